//! Parsing of policy documents from raw JSON into the form the evaluator
//! reads: identity, bucket, VPC endpoint, SCP, RCP, boundary and session
//! policies all share this grammar.
//!
//! The parser accepts what IAM accepts (a single statement object or a list,
//! strings or lists for every element, numbers and booleans as condition
//! values) and rejects what IAM rejects, with the JSON path of the first
//! problem, so a malformed template or scenario produces an error and never
//! a panic or a silently wrong decision.

use serde_json::{Map, Value as Json};

use super::condition::{BaseOperator, Operator, SetQualifier};
use crate::error::Error;
use crate::policy::Effect;

/// A parsed policy document with the name it is reported under.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The name shown in decisions, such as `backup-instance-put`.
    pub name: String,
    /// `Version`; policy variables are substituted only under `2012-10-17`.
    pub version: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<PolicyStatement>,
}

/// One statement of a parsed policy.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyStatement {
    /// Position in the document, for statements without a `Sid`.
    pub index: usize,
    /// `Sid`, if the statement has one.
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// `Principal` or `NotPrincipal`; `None` in identity policies and SCPs.
    pub principal: Option<PrincipalElement>,
    /// `Action` or `NotAction`.
    pub action: NameList,
    /// `Resource` or `NotResource`; `None` only where the element was absent.
    pub resource: Option<NameList>,
    /// Condition clauses, all of which must hold.
    pub conditions: Vec<Condition>,
}

impl PolicyStatement {
    /// Returns the `Sid`, or `#N` (the statement's index) when it has none.
    pub fn label(&self) -> String {
        self.sid.clone().unwrap_or_else(|| format!("#{}", self.index))
    }
}

/// A list of patterns that either names what matches (`Action`,
/// `Resource`) or names the exceptions (`NotAction`, `NotResource`).
#[derive(Debug, Clone, PartialEq)]
pub struct NameList {
    /// The patterns as written.
    pub patterns: Vec<String>,
    /// `true` for the `Not…` form.
    pub negated: bool,
}

/// The `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PrincipalElement {
    /// `true` for `NotPrincipal`.
    pub negated: bool,
    /// `"*"` or `{"AWS": "*"}`: every principal, anonymous callers included.
    pub anyone: bool,
    /// `AWS` entries: account IDs, root, role, user and session ARNs.
    pub aws: Vec<String>,
    /// `Service` entries such as `ec2.amazonaws.com`.
    pub service: Vec<String>,
    /// `Federated` entries.
    pub federated: Vec<String>,
    /// `CanonicalUser` entries.
    pub canonical_user: Vec<String>,
}

/// One condition clause: an operator applied to one context key.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator, with its set qualifier and `IfExists` suffix.
    pub operator: Operator,
    /// The context key as written, such as `aws:SourceVpce`.
    pub key: String,
    /// The values, any one of which may match.
    pub values: Vec<String>,
}

/// Where a policy is used; resource-side policies must name a principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Identity, boundary, session and SCP policies: no `Principal`.
    Identity,
    /// Bucket, VPC endpoint and RCP policies: `Principal` or `NotPrincipal` required.
    Resource,
}

type ParseResult<T> = Result<T, (String, String)>;

impl Policy {
    /// Parses a policy from JSON text.
    ///
    /// # Errors
    /// [`Error::InvalidDocument`] naming `name`, the JSON path and the problem.
    pub fn parse_str(text: &str, name: &str, kind: PolicyKind) -> Result<Policy, Error> {
        let value: Json = serde_json::from_str(text).map_err(|err| Error::InvalidDocument {
            kind: "policy",
            source_name: name.to_owned(),
            path: format!("line {}, column {}", err.line(), err.column()),
            message: err.to_string(),
        })?;
        Policy::from_json(&value, name, kind)
    }

    /// Parses a policy from a JSON value.
    ///
    /// # Errors
    /// [`Error::InvalidDocument`] naming `name`, the JSON path and the problem.
    pub fn from_json(value: &Json, name: &str, kind: PolicyKind) -> Result<Policy, Error> {
        Policy::parse_at(value, name, kind, "$").map_err(|(path, message)| Error::InvalidDocument {
            kind: "policy",
            source_name: name.to_owned(),
            path,
            message,
        })
    }

    /// Parses a policy found at `base` inside a larger document, returning
    /// the full JSON path of the problem on failure.
    pub(crate) fn parse_at(value: &Json, name: &str, kind: PolicyKind, base: &str) -> ParseResult<Policy> {
        let object = value
            .as_object()
            .ok_or_else(|| (base.to_owned(), format!("a policy must be a JSON object, found {}", type_name(value))))?;
        for key in object.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err((format!("{base}.{key}"), format!("unknown policy element `{key}`; expected Version, Id or Statement")));
            }
        }
        let version = match object.get("Version") {
            None => None,
            Some(Json::String(text)) if text == "2012-10-17" || text == "2008-10-17" => Some(text.clone()),
            Some(other) => {
                return Err((format!("{base}.Version"), format!("Version must be \"2012-10-17\" or \"2008-10-17\", found {other}")));
            }
        };
        let statements = match object.get("Statement") {
            None => return Err((base.to_owned(), "missing Statement".to_owned())),
            Some(Json::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(index, item)| parse_statement(item, index, kind, &format!("{base}.Statement[{index}]")))
                .collect::<ParseResult<Vec<_>>>()?,
            Some(single @ Json::Object(_)) => vec![parse_statement(single, 0, kind, &format!("{base}.Statement"))?],
            Some(other) => {
                return Err((format!("{base}.Statement"), format!("Statement must be an object or a list, found {}", type_name(other))));
            }
        };
        Ok(Policy { name: name.to_owned(), version, statements })
    }

    /// Returns `true` when `${…}` policy variables are substituted, which IAM
    /// does only for documents that declare `"Version": "2012-10-17"`.
    pub fn substitutes_variables(&self) -> bool {
        self.version.as_deref() == Some("2012-10-17")
    }
}

fn parse_statement(value: &Json, index: usize, kind: PolicyKind, path: &str) -> ParseResult<PolicyStatement> {
    let object = value
        .as_object()
        .ok_or_else(|| (path.to_owned(), format!("a statement must be a JSON object, found {}", type_name(value))))?;
    const KNOWN: [&str; 10] = [
        "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition",
        "Id",
    ];
    if let Some(unknown) = object.keys().find(|key| !KNOWN.contains(&key.as_str())) {
        return Err((format!("{path}.{unknown}"), format!("unknown statement element `{unknown}`")));
    }
    let sid = match object.get("Sid") {
        None => None,
        Some(Json::String(text)) => Some(text.clone()),
        Some(other) => return Err((format!("{path}.Sid"), format!("Sid must be a string, found {}", type_name(other)))),
    };
    let effect = match object.get("Effect") {
        Some(Json::String(text)) if text == "Allow" => Effect::Allow,
        Some(Json::String(text)) if text == "Deny" => Effect::Deny,
        Some(other) => return Err((format!("{path}.Effect"), format!("Effect must be \"Allow\" or \"Deny\", found {other}"))),
        None => return Err((path.to_owned(), "missing Effect".to_owned())),
    };
    let principal = either(object, "Principal", "NotPrincipal", path)?
        .map(|(negated, value, at)| parse_principal(value, negated, &at))
        .transpose()?;
    if kind == PolicyKind::Resource && principal.is_none() {
        return Err((path.to_owned(), "missing Principal or NotPrincipal, which resource policies require".to_owned()));
    }
    if kind == PolicyKind::Identity && principal.is_some() {
        return Err((path.to_owned(), "Principal and NotPrincipal are not allowed in identity-based policies".to_owned()));
    }
    let action = match either(object, "Action", "NotAction", path)? {
        Some((negated, value, at)) => NameList { patterns: string_list(value, &at)?, negated },
        None => return Err((path.to_owned(), "missing Action or NotAction".to_owned())),
    };
    let resource = match either(object, "Resource", "NotResource", path)? {
        Some((negated, value, at)) => Some(NameList { patterns: string_list(value, &at)?, negated }),
        None => return Err((path.to_owned(), "missing Resource or NotResource".to_owned())),
    };
    let conditions = match object.get("Condition") {
        None => Vec::new(),
        Some(value) => parse_conditions(value, &format!("{path}.Condition"))?,
    };
    Ok(PolicyStatement { index, sid, effect, principal, action, resource, conditions })
}

/// Returns the element present among `positive` and `negative`, rejecting
/// statements that carry both.
fn either<'a>(
    object: &'a Map<String, Json>,
    positive: &str,
    negative: &str,
    path: &str,
) -> ParseResult<Option<(bool, &'a Json, String)>> {
    match (object.get(positive), object.get(negative)) {
        (Some(_), Some(_)) => Err((path.to_owned(), format!("a statement cannot have both {positive} and {negative}"))),
        (Some(value), None) => Ok(Some((false, value, format!("{path}.{positive}")))),
        (None, Some(value)) => Ok(Some((true, value, format!("{path}.{negative}")))),
        (None, None) => Ok(None),
    }
}

fn string_list(value: &Json, path: &str) -> ParseResult<Vec<String>> {
    match value {
        Json::String(text) => Ok(vec![text.clone()]),
        Json::Array(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| match item {
                Json::String(text) => Ok(text.clone()),
                other => Err((format!("{path}[{index}]"), format!("expected a string, found {}", type_name(other)))),
            })
            .collect(),
        other => Err((path.to_owned(), format!("expected a string or a list of strings, found {}", type_name(other)))),
    }
}

fn parse_principal(value: &Json, negated: bool, path: &str) -> ParseResult<PrincipalElement> {
    let mut element = PrincipalElement { negated, ..PrincipalElement::default() };
    match value {
        Json::String(text) if text == "*" => element.anyone = true,
        Json::String(text) => {
            return Err((path.to_owned(), format!("a principal string must be \"*\", found {text:?}; use {{\"AWS\": ...}} for ARNs")));
        }
        Json::Object(map) => {
            for (kind, entries) in map {
                let at = format!("{path}.{kind}");
                let entries = string_list(entries, &at)?;
                match kind.as_str() {
                    "AWS" => {
                        if entries.iter().any(|entry| entry == "*") {
                            element.anyone = true;
                        }
                        element.aws.extend(entries.into_iter().filter(|entry| entry != "*"));
                    }
                    "Service" => element.service.extend(entries),
                    "Federated" => element.federated.extend(entries),
                    "CanonicalUser" => element.canonical_user.extend(entries),
                    other => {
                        return Err((at, format!("unknown principal type `{other}`; expected AWS, Service, Federated or CanonicalUser")));
                    }
                }
            }
        }
        other => return Err((path.to_owned(), format!("Principal must be \"*\" or an object, found {}", type_name(other)))),
    }
    Ok(element)
}

fn parse_conditions(value: &Json, path: &str) -> ParseResult<Vec<Condition>> {
    let operators = value
        .as_object()
        .ok_or_else(|| (path.to_owned(), format!("Condition must be an object, found {}", type_name(value))))?;
    let mut clauses = Vec::new();
    for (name, keys) in operators {
        let at = format!("{path}.{name}");
        let operator = Operator::parse(name).map_err(|message| (at.clone(), message))?;
        let keys = keys
            .as_object()
            .ok_or_else(|| (at.clone(), format!("a condition operator takes an object of keys, found {}", type_name(keys))))?;
        for (key, values) in keys {
            let key_path = format!("{at}.{key}");
            let values = condition_values(values, &key_path)?;
            for (index, text) in values.iter().enumerate() {
                let value_path = if values.len() == 1 { key_path.clone() } else { format!("{key_path}[{index}]") };
                check_value(operator.base, text).map_err(|message| (value_path, message))?;
            }
            clauses.push(Condition { operator: operator.clone(), key: key.clone(), values });
        }
    }
    Ok(clauses)
}

fn condition_values(value: &Json, path: &str) -> ParseResult<Vec<String>> {
    let scalar = |item: &Json, at: String| match item {
        Json::String(text) => Ok(text.clone()),
        Json::Bool(flag) => Ok(flag.to_string()),
        Json::Number(number) => Ok(number.to_string()),
        other => Err((at, format!("a condition value must be a string, number or boolean, found {}", type_name(other)))),
    };
    match value {
        Json::Array(items) => items.iter().enumerate().map(|(index, item)| scalar(item, format!("{path}[{index}]"))).collect(),
        other => Ok(vec![scalar(other, path.to_owned())?]),
    }
}

/// Rejects condition values that IAM would reject when the policy is saved:
/// numbers, dates, addresses and booleans that do not parse.
fn check_value(base: BaseOperator, text: &str) -> Result<(), String> {
    use super::condition::{parse_date, parse_network};
    match base {
        BaseOperator::NumericEquals
        | BaseOperator::NumericNotEquals
        | BaseOperator::NumericLessThan
        | BaseOperator::NumericLessThanEquals
        | BaseOperator::NumericGreaterThan
        | BaseOperator::NumericGreaterThanEquals => text
            .trim()
            .parse::<f64>()
            .map(drop)
            .map_err(|_| format!("{text:?} is not a number")),
        BaseOperator::DateEquals
        | BaseOperator::DateNotEquals
        | BaseOperator::DateLessThan
        | BaseOperator::DateLessThanEquals
        | BaseOperator::DateGreaterThan
        | BaseOperator::DateGreaterThanEquals => parse_date(text)
            .map(drop)
            .ok_or_else(|| format!("{text:?} is not an ISO 8601 date or epoch seconds")),
        BaseOperator::IpAddress | BaseOperator::NotIpAddress => parse_network(text)
            .map(drop)
            .ok_or_else(|| format!("{text:?} is not an IP address or CIDR block")),
        BaseOperator::Bool | BaseOperator::Null => match text.to_ascii_lowercase().as_str() {
            "true" | "false" => Ok(()),
            _ => Err(format!("{text:?} is not \"true\" or \"false\"")),
        },
        _ => Ok(()),
    }
}

impl SetQualifier {
    fn prefix(self) -> &'static str {
        match self {
            SetQualifier::ForAnyValue => "ForAnyValue",
            SetQualifier::ForAllValues => "ForAllValues",
        }
    }
}

impl Operator {
    /// Parses an operator name such as `ForAnyValue:StringLikeIfExists`.
    ///
    /// # Errors
    /// A message naming the unknown operator or the invalid combination.
    pub fn parse(name: &str) -> Result<Operator, String> {
        let (set, rest) = match name.split_once(':') {
            Some((prefix, rest)) => {
                let set = [SetQualifier::ForAnyValue, SetQualifier::ForAllValues]
                    .into_iter()
                    .find(|set| set.prefix() == prefix)
                    .ok_or_else(|| format!("unknown set operator `{prefix}`; expected ForAnyValue or ForAllValues"))?;
                (Some(set), rest)
            }
            None => (None, name),
        };
        let (base_name, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let base = BaseOperator::from_name(base_name).ok_or_else(|| format!("unknown condition operator `{name}`"))?;
        if base == BaseOperator::Null && (if_exists || set.is_some()) {
            return Err(format!("`{name}`: Null takes neither IfExists nor a set operator"));
        }
        Ok(Operator { set, base, if_exists })
    }
}

fn type_name(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Json) -> Result<Policy, Error> {
        Policy::from_json(&value, "p", PolicyKind::Resource)
    }

    #[test]
    fn single_statement_object_parses() {
        let policy = parse(json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}})).unwrap();
        assert_eq!(policy.statements.len(), 1);
        assert!(policy.statements[0].principal.as_ref().unwrap().anyone);
    }

    #[test]
    fn error_names_condition_value_path() {
        let err = parse(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
             "Condition": {"NumericLessThan": {"s3:max-keys": ["10", "ten"]}}}
        ]}))
        .unwrap_err()
        .to_string();
        assert!(err.contains("$.Statement[0].Condition.NumericLessThan.s3:max-keys[1]"), "{err}");
        assert!(err.contains("\"ten\" is not a number"), "{err}");
    }

    #[test]
    fn unknown_operator_is_rejected() {
        let err = parse(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringEqualz": {"a": "b"}}}]}))
        .unwrap_err()
        .to_string();
        assert!(err.contains("$.Statement[0].Condition.StringEqualz"), "{err}");
    }

    #[test]
    fn resource_policy_requires_principal() {
        let err = parse(json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})).unwrap_err().to_string();
        assert!(err.contains("$.Statement[0]"), "{err}");
        assert!(err.contains("Principal"), "{err}");
    }

    #[test]
    fn both_action_forms_are_rejected() {
        let err = Policy::from_json(
            &json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*", "Resource": "*"}]}),
            "p",
            PolicyKind::Identity,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("both Action and NotAction"), "{err}");
    }

    #[test]
    fn non_object_policy_is_rejected() {
        for value in [json!(null), json!([1]), json!("x"), json!({"Statement": 3})] {
            assert!(parse(value).is_err());
        }
    }

    #[test]
    fn operator_names_parse() {
        let operator = Operator::parse("ForAllValues:StringLikeIfExists").unwrap();
        assert_eq!(operator.set, Some(SetQualifier::ForAllValues));
        assert_eq!(operator.base, BaseOperator::StringLike);
        assert!(operator.if_exists);
        assert!(Operator::parse("NullIfExists").is_err());
        assert!(Operator::parse("ForSomeValues:StringLike").is_err());
    }
}

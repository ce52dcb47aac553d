//! Role trust: who outside the stack's account can assume a role. A role
//! that reaches the bucket is only as private as its trust policy, so the
//! analysis reads `AssumeRolePolicyDocument` and names the statements that
//! let anyone, or another account, assume the role without a condition
//! that narrows the callers.

use serde_json::Value as Json;

use super::condition::{BaseOperator, SetQualifier};
use super::document::{Condition, Policy, PolicyKind, PolicyStatement};
use super::pattern::action_matches;
use crate::policy::Effect;

/// Condition keys that narrow who may assume a role to an organization,
/// to named principals or to holders of a shared external ID.
///
/// NOTE: a condition on one of these keys counts as narrowing whatever
/// fixed values it lists, so a list of many accounts is taken as narrow.
/// Only the forms that match every caller are caught (see `narrows`).
const NARROWING_KEYS: [&str; 5] = ["aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn", "sts:ExternalId"];

/// One trust statement that lets callers outside the account assume a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenTrust {
    /// The statement's `Sid`, or `#N`.
    pub statement: String,
    /// Who it trusts, such as `everyone ("*")` or `account 444455556666`.
    pub trusted: String,
}

/// Parses a trust policy. Trust policies have no `Resource` element, which
/// the policy grammar requires of resource policies, so the role's ARN is
/// put in its place before parsing.
///
/// # Errors
/// The JSON path and the problem, as the policy parser reports them.
pub(crate) fn parse_trust(document: &Json, role: &str, path: &str) -> Result<Policy, (String, String)> {
    let mut document = document.clone();
    let statements = match document.get_mut("Statement") {
        Some(Json::Array(items)) => items.iter_mut().collect::<Vec<_>>(),
        Some(one @ Json::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    for statement in statements {
        if let Json::Object(map) = statement {
            if !map.contains_key("Resource") && !map.contains_key("NotResource") {
                map.insert("Resource".to_owned(), Json::String("*".to_owned()));
            }
        }
    }
    Policy::parse_at(&document, &format!("{role} trust policy"), PolicyKind::Resource, path)
}

/// Returns the statements of `trust` that let a caller outside `account`
/// assume the role with no narrowing condition.
pub fn open_trust(trust: &Policy, account: &str) -> Vec<OpenTrust> {
    let allows = |statement: &&PolicyStatement| statement.effect == Effect::Allow;
    let aws = trust
        .statements
        .iter()
        .filter(allows)
        .filter(|statement| allows_action(statement, "sts:AssumeRole") && !narrowed(statement))
        .filter_map(|statement| outsiders(statement, account).map(|trusted| OpenTrust { statement: statement.label(), trusted }));
    let web_identity = trust
        .statements
        .iter()
        .filter(allows)
        .filter(|statement| allows_action(statement, "sts:AssumeRoleWithWebIdentity"))
        .filter_map(|statement| open_web_identity(statement).map(|trusted| OpenTrust { statement: statement.label(), trusted }));
    aws.chain(web_identity).collect()
}

fn allows_action(statement: &PolicyStatement, action: &str) -> bool {
    let listed = statement.action.patterns.iter().any(|pattern| action_matches(pattern, action));
    listed != statement.action.negated
}

/// Describes who a web identity trust admits when it names no subject:
/// everyone with a token from the provider, such as any repository's
/// workflow for GitHub's OIDC provider. A condition on the provider's
/// `sub` key names the subjects, and so does Amazon Cognito's `aud`, which
/// is the identity pool ID. Their values are not judged. Other `aud` keys
/// do not count, because GitHub's is `sts.amazonaws.com` for everyone.
fn open_web_identity(statement: &PolicyStatement) -> Option<String> {
    let principal = statement.principal.as_ref().filter(|principal| !principal.negated)?;
    let provider = principal.federated.first()?;
    let names_subject = statement.conditions.iter().any(|condition| {
        let key = condition.key.to_ascii_lowercase();
        !condition.operator.if_exists && (key.ends_with(":sub") || key == "cognito-identity.amazonaws.com:aud")
    });
    let host = provider.rsplit_once("oidc-provider/").map_or(provider.as_str(), |(_, host)| host);
    (!names_subject).then(|| format!("everyone with a web identity token from {host} (add a condition on {host}:sub)"))
}

fn narrowed(statement: &PolicyStatement) -> bool {
    statement.conditions.iter().any(narrows)
}

/// Returns `true` when `condition` admits only callers whose narrowing key
/// has one of the listed values. It does not when the operator is negated
/// (`StringNotEquals` admits every other value), when `IfExists` or
/// `ForAllValues` makes it hold for callers without the key, or when a
/// value can match any caller (see `value_narrows`).
fn narrows(condition: &Condition) -> bool {
    let Some(key) = NARROWING_KEYS.iter().find(|key| condition.key.eq_ignore_ascii_case(key)) else { return false };
    let operator = &condition.operator;
    if operator.if_exists || operator.set == Some(SetQualifier::ForAllValues) || condition.values.is_empty() {
        return false;
    }
    // ArnEquals matches wildcards as ArnLike does.
    let wildcards = match operator.base {
        BaseOperator::StringEquals | BaseOperator::StringEqualsIgnoreCase => false,
        BaseOperator::StringLike | BaseOperator::ArnLike | BaseOperator::ArnEquals => true,
        _ => return false,
    };
    condition.values.iter().all(|value| value_narrows(key, value, wildcards))
}

/// Returns `true` when `value` of the narrowing `key` admits callers of
/// named accounts or organizations only. A policy variable can take the
/// caller's own value, and a wildcard in the account or organization part
/// admits every one: `arn:aws:iam::*:*`, `????????????` or `o-*`.
fn value_narrows(key: &str, value: &str, wildcards: bool) -> bool {
    let literal = |part: &str| !part.is_empty() && !(wildcards && part.contains(['*', '?']));
    if value.contains("${") {
        return false;
    }
    match key {
        "aws:PrincipalAccount" => literal(value) && value.len() == 12 && value.bytes().all(|byte| byte.is_ascii_digit()),
        "aws:PrincipalOrgID" => literal(value),
        // `o-ORGID/r-ROOT/...`: the organization part must be named.
        "aws:PrincipalOrgPaths" => literal(value.split('/').next().unwrap_or_default()),
        // `arn:PARTITION:SERVICE::ACCOUNT:...`: the account part must be named.
        "aws:PrincipalArn" => value.split(':').nth(4).is_some_and(|account| literal(account)),
        // A shared secret: any literal value narrows.
        _ => literal(value),
    }
}

/// Describes the outside callers a statement trusts, or `None` when it
/// trusts only services and principals of `account`.
fn outsiders(statement: &PolicyStatement, account: &str) -> Option<String> {
    let principal = statement.principal.as_ref()?;
    if principal.negated {
        return Some("everyone but the NotPrincipal entries".to_owned());
    }
    if principal.anyone || principal.aws.iter().any(|entry| entry == "*") {
        return Some("everyone (\"*\")".to_owned());
    }
    let others: Vec<&str> = principal.aws.iter().filter_map(|entry| entry_account(entry)).filter(|other| *other != account).collect();
    (!others.is_empty()).then(|| format!("account {}", others.join(", account ")))
}

/// Returns the account of an `AWS` principal entry: a bare account ID or
/// the account field of an ARN.
fn entry_account(entry: &str) -> Option<&str> {
    if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
        return Some(entry);
    }
    entry.strip_prefix("arn:").and_then(|rest| rest.split(':').nth(3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn open(document: Json) -> Vec<OpenTrust> {
        open_trust(&parse_trust(&document, "Role", "$").unwrap(), "111122223333")
    }

    #[test]
    fn anyone_is_open() {
        let found = open(json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}));
        assert_eq!(found, vec![OpenTrust { statement: "#0".to_owned(), trusted: "everyone (\"*\")".to_owned() }]);
    }

    #[test]
    fn other_account_is_open() {
        let found = open(json!({"Statement": {"Sid": "Vendor", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}}));
        assert_eq!(found[0].trusted, "account 444455556666");
        assert_eq!(found[0].statement, "Vendor");
    }

    #[test]
    fn narrowed_or_own_account_is_closed() {
        assert!(open(json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}]})).is_empty());
        assert!(open(json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}]})).is_empty());
        assert!(open(json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]})).is_empty());
        assert!(open(json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})).is_empty());
        assert!(open(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:TagSession"}]})).is_empty());
        assert!(open(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::444455556666:role/*"}}}]})).is_empty());
    }

    #[test]
    fn web_identity_without_subject_is_open() {
        let provider = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
        let open_trust = |condition: Json| {
            let mut statement = json!({"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity"});
            if !condition.is_null() {
                statement["Condition"] = condition;
            }
            open(json!({"Statement": [statement]}))
        };

        let found = open_trust(Json::Null);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].trusted.contains("token.actions.githubusercontent.com:sub"), "{}", found[0].trusted);
        let named = json!({"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/backups:*"}});
        assert!(open_trust(named).is_empty());
        let audience_only = json!({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}});
        assert_eq!(open_trust(audience_only).len(), 1, "GitHub's aud is the same for every repository");
    }

    #[test]
    fn condition_matching_everyone_is_open() {
        let conditions = [
            json!({"StringLike": {"aws:PrincipalArn": "*"}}),
            json!({"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::444455556666:role/*", "**"]}}),
            json!({"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}),
            json!({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}),
            json!({"ForAllValues:StringEquals": {"aws:PrincipalOrgPaths": ["o-abc/r-1/ou-2/"]}}),
            json!({"Null": {"sts:ExternalId": "false"}}),
        ];
        for condition in conditions {
            let statement = json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": condition});
            let found = open(json!({"Statement": [statement]}));
            assert_eq!(found.len(), 1, "{condition} should leave the role open");
        }
    }
}

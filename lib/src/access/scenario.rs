//! Access scenarios: one authorization request with the policies that apply
//! to it and, optionally, the decision AWS's documentation gives for it.
//!
//! The JSON format has `id`, `description`, `policies` (`identity`,
//! `resource`, `vpcEndpoint`, `scp`, `rcp`, `permissionBoundary`,
//! `session`), `request` (`principal`, `action`, `resource`,
//! `resourceAccount`, `context`), an optional `resourceState` and an
//! optional `expected` (`decision`, `decidedBy`, `reason`, `sources`).
//! `vaultgate verify --scenario FILE` reads this format, and the core
//! crate's tests keep a corpus of such files.
//!
//! Unknown keys are errors, so that a misspelt `expected` or `context`
//! cannot make a file check nothing. Context values are strings; the
//! typed keys below also take their JSON type, and their strings must
//! parse as that type.

use serde_json::{Map, Value as Json};

use super::decision::{Decision, Evaluation, Layer};
use super::document::{Policy, PolicyKind};
use super::evaluate::{evaluate, OrgLevel, PolicySet};
use super::condition::parse_date;
use super::request::{Caller, Context, LockMode, Request, ResourceState};
use crate::error::Error;

/// A parsed scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// `id`.
    pub id: String,
    /// `description`.
    pub description: String,
    /// The policies that apply.
    pub policies: PolicySet,
    /// The request.
    pub request: Request,
    /// Service-side state of the resource.
    pub state: ResourceState,
    /// The documented decision, when the file states one.
    pub expected: Option<Expected>,
}

/// The documented decision of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// The decision.
    pub decision: Decision,
    /// Free text naming the deciding layer and statement.
    pub decided_by: String,
    /// Why.
    pub reason: String,
    /// The documentation pages the decision rests on.
    pub sources: Vec<String>,
}

type ParseResult<T> = Result<T, (String, String)>;

/// Context keys whose values are dates, booleans or numbers.
const DATE_KEYS: [&str; 3] = ["aws:CurrentTime", "aws:TokenIssueTime", "s3:object-lock-retain-until-date"];
const BOOL_KEYS: [&str; 4] = ["aws:SecureTransport", "aws:MultiFactorAuthPresent", "aws:ViaAWSService", "aws:PrincipalIsAWSService"];
const NUMBER_KEYS: [&str; 5] = ["aws:EpochTime", "aws:MultiFactorAuthAge", "s3:max-keys", "s3:object-lock-remaining-retention-days", "s3:signatureAge"];

impl Scenario {
    /// Parses a scenario from JSON text; `source_name` (usually the file
    /// name) appears in errors.
    ///
    /// # Errors
    /// [`Error::InvalidDocument`] naming the file, the JSON path and the problem.
    pub fn parse_str(text: &str, source_name: &str) -> Result<Scenario, Error> {
        let value: Json = serde_json::from_str(text).map_err(|err| Error::InvalidDocument {
            kind: "scenario",
            source_name: source_name.to_owned(),
            path: format!("line {}, column {}", err.line(), err.column()),
            message: err.to_string(),
        })?;
        Scenario::from_json(&value, source_name)
    }

    /// Parses a scenario from a JSON value.
    ///
    /// # Errors
    /// [`Error::InvalidDocument`] naming the file, the JSON path and the problem.
    pub fn from_json(value: &Json, source_name: &str) -> Result<Scenario, Error> {
        parse_scenario(value).map_err(|(path, message)| Error::InvalidDocument {
            kind: "scenario",
            source_name: source_name.to_owned(),
            path,
            message,
        })
    }

    /// Evaluates the scenario's request.
    pub fn evaluate(&self) -> Evaluation {
        evaluate(&self.policies, &self.request, &self.state)
    }

    /// Compares an evaluation with the expected result: the decision, the
    /// layers the head of `decidedBy` names (before any `(` or `;`), and
    /// every statement `Sid` of the scenario's policies that `decidedBy`
    /// names as a whole word. Returns one line per difference; an empty
    /// list when nothing differs or nothing is expected.
    pub fn mismatches(&self, evaluation: &Evaluation) -> Vec<String> {
        let Some(expected) = &self.expected else { return Vec::new() };
        if evaluation.decision != expected.decision {
            return vec![format!("expected {}, got {} ({})", expected.decision, evaluation.decision, evaluation.reason)];
        }
        let mut differences = Vec::new();
        let layers = evaluation.layers();
        for layer in named_layers(&expected.decided_by) {
            if !layers.contains(&layer) {
                differences.push(format!("decidedBy names layer {layer}, evaluation names {layers:?}"));
            }
        }
        let statements = evaluation.statements();
        for sid in self.named_sids(&expected.decided_by) {
            if !statements.contains(&sid.as_str()) {
                differences.push(format!("decidedBy names {sid}, evaluation names {statements:?}"));
            }
        }
        differences
    }

    /// Returns the statement ids of the scenario's policies that appear as
    /// whole words in `text`.
    fn named_sids(&self, text: &str) -> Vec<String> {
        let set = &self.policies;
        let policies = set
            .identity
            .iter()
            .chain(&set.resource)
            .chain(&set.vpc_endpoints)
            .chain(&set.permission_boundary)
            .chain(&set.session)
            .chain(set.scps.iter().chain(&set.rcps).flat_map(|level| &level.policies));
        let mut sids: Vec<String> = policies.flat_map(|policy| policy.statements.iter().filter_map(|s| s.sid.clone())).collect();
        sids.sort();
        sids.dedup();
        sids.retain(|sid| text.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| word == sid));
        sids
    }
}

/// Returns the layers that the head of a `decidedBy` text names, before any
/// `(` or `;` that starts an explanation. Only whole words count, so that a
/// Sid such as `DenyOutsideBackupEndpoint` does not read as "endpoint".
fn named_layers(decided_by: &str) -> Vec<Layer> {
    let head = decided_by.split(['(', ';']).next().unwrap_or_default().to_ascii_lowercase();
    let keywords: [(&str, Layer); 9] = [
        ("identity", Layer::Identity),
        ("bucket policy", Layer::Resource),
        ("resource policy", Layer::Resource),
        ("endpoint", Layer::VpcEndpoint),
        ("scp", Layer::Scp),
        ("rcp", Layer::Rcp),
        ("boundary", Layer::PermissionBoundary),
        ("session", Layer::Session),
        ("object lock", Layer::ObjectLock),
    ];
    let words: Vec<&str> = head.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let phrase_present = |keyword: &str| {
        let keyword: Vec<&str> = keyword.split(' ').collect();
        words.windows(keyword.len()).any(|window| window == keyword.as_slice())
    };
    let mut layers = Vec::new();
    for (keyword, layer) in keywords {
        if phrase_present(keyword) && !layers.contains(&layer) {
            layers.push(layer);
        }
    }
    layers
}

fn parse_scenario(value: &Json) -> ParseResult<Scenario> {
    let root = object(value, "$")?;
    known_keys(root, "$", &["id", "description", "policies", "request", "resourceState", "expected"])?;
    let id = optional_string(root, "id", "$")?.unwrap_or_default();
    let description = optional_string(root, "description", "$")?.unwrap_or_default();
    let policies = match root.get("policies") {
        Some(value) => parse_policies(value, "$.policies")?,
        None => PolicySet::default(),
    };
    let request = parse_request(root.get("request").ok_or_else(|| ("$".to_owned(), "missing request".to_owned()))?, "$.request")?;
    let state = match root.get("resourceState") {
        Some(value) => parse_state(value, "$.resourceState")?,
        None => ResourceState::default(),
    };
    let expected = root.get("expected").map(|value| parse_expected(value, "$.expected")).transpose()?;
    Ok(Scenario { id, description, policies, request, state, expected })
}

fn parse_policies(value: &Json, path: &str) -> ParseResult<PolicySet> {
    let map = object(value, path)?;
    let mut set = PolicySet::default();
    for (key, value) in map {
        let at = format!("{path}.{key}");
        match key.as_str() {
            "identity" => set.identity = named_policies(value, &at, PolicyKind::Identity)?,
            "permissionBoundary" => set.permission_boundary = named_policies(value, &at, PolicyKind::Identity)?,
            "vpcEndpoint" => set.vpc_endpoints = named_policies(value, &at, PolicyKind::Resource)?,
            "resource" => set.resource = Some(Policy::parse_at(value, "bucket policy", PolicyKind::Resource, &at)?),
            "session" => set.session = Some(Policy::parse_at(value, "session policy", PolicyKind::Identity, &at)?),
            "scp" => set.scps = org_levels(value, &at, PolicyKind::Identity)?,
            "rcp" => set.rcps = org_levels(value, &at, PolicyKind::Resource)?,
            other => {
                return Err((at, format!("unknown policy layer `{other}`; expected identity, resource, vpcEndpoint, scp, rcp, permissionBoundary or session")));
            }
        }
    }
    Ok(set)
}

fn named_policies(value: &Json, path: &str, kind: PolicyKind) -> ParseResult<Vec<Policy>> {
    array(value, path)?
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let at = format!("{path}[{index}]");
            let entry = object(item, &at)?;
            known_keys(entry, &at, &["name", "policy"])?;
            let name = required_string(entry, "name", &at)?;
            let policy = entry.get("policy").ok_or_else(|| (at.clone(), "missing policy".to_owned()))?;
            Policy::parse_at(policy, &name, kind, &format!("{at}.policy"))
        })
        .collect()
}

fn org_levels(value: &Json, path: &str, kind: PolicyKind) -> ParseResult<Vec<OrgLevel>> {
    array(value, path)?
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let at = format!("{path}[{index}]");
            let entry = object(item, &at)?;
            known_keys(entry, &at, &["orgIdentifier", "policies"])?;
            let id = required_string(entry, "orgIdentifier", &at)?;
            let policies = named_policies(entry.get("policies").unwrap_or(&Json::Array(Vec::new())), &format!("{at}.policies"), kind)?;
            Ok(OrgLevel { id, policies })
        })
        .collect()
}

fn parse_request(value: &Json, path: &str) -> ParseResult<Request> {
    let map = object(value, path)?;
    known_keys(map, path, &["principal", "action", "resource", "resourceAccount", "context"])?;
    let mut context = Context::new();
    if let Some(entries) = map.get("context") {
        let at = format!("{path}.context");
        for (key, value) in object(entries, &at)? {
            let key_path = format!("{at}.{key}");
            let scalar = |item: &Json, at: String| context_value(key, item).map_err(|message| (at, message));
            let values = match value {
                Json::Array(items) => {
                    items.iter().enumerate().map(|(i, item)| scalar(item, format!("{key_path}[{i}]"))).collect::<ParseResult<Vec<_>>>()?
                }
                other => vec![scalar(other, key_path.clone())?],
            };
            context.insert_values(key, values);
        }
    }
    let principal = required_string(map, "principal", path)?;
    let caller = Caller::parse(&principal, context.value("aws:PrincipalArn")).map_err(|message| (format!("{path}.principal"), message))?;
    let action = required_string(map, "action", path)?;
    if !action.contains(':') {
        return Err((format!("{path}.action"), format!("{action:?} is not an action; write it as service:Action, such as s3:PutObject")));
    }
    let resource = required_string(map, "resource", path)?;
    let resource_account = required_string(map, "resourceAccount", path)?;
    Ok(Request { caller, action, resource, resource_account, context })
}

fn parse_state(value: &Json, path: &str) -> ParseResult<ResourceState> {
    let map = object(value, path)?;
    let mut state = ResourceState::default();
    for (key, value) in map {
        let at = format!("{path}.{key}");
        let flag = || value.as_bool().ok_or_else(|| (at.clone(), "expected true or false".to_owned()));
        match key.as_str() {
            "objectLockMode" => {
                state.object_lock_mode = match value.as_str() {
                    Some("COMPLIANCE") => Some(LockMode::Compliance),
                    Some("GOVERNANCE") => Some(LockMode::Governance),
                    _ => return Err((at, format!("expected \"COMPLIANCE\" or \"GOVERNANCE\", found {value}"))),
                }
            }
            "versionUnderRetention" => state.version_under_retention = flag()?,
            "legalHold" => state.legal_hold = flag()?,
            "bypassGovernanceHeader" => state.bypass_governance_header = flag()?,
            "retentionExtensionOnly" => state.retention_extension_only = flag()?,
            "aclsDisabled" => state.acls_disabled = flag()?,
            "bucketObjectLock" => state.bucket_object_lock = flag()?,
            "versioningEnableOnly" => state.versioning_enable_only = flag()?,
            other => {
                return Err((at, format!("unknown resource state `{other}`; expected objectLockMode, versionUnderRetention, legalHold, bypassGovernanceHeader, retentionExtensionOnly, aclsDisabled, bucketObjectLock or versioningEnableOnly")));
            }
        }
    }
    Ok(state)
}

fn parse_expected(value: &Json, path: &str) -> ParseResult<Expected> {
    let map = object(value, path)?;
    known_keys(map, path, &["decision", "decidedBy", "reason", "sources"])?;
    let name = required_string(map, "decision", path)?;
    let decision = Decision::from_name(&name).ok_or_else(|| {
        (format!("{path}.decision"), format!("{name:?} is not a decision; expected Allowed, ExplicitlyDenied, ImplicitlyDenied or Denied"))
    })?;
    let sources = match map.get("sources") {
        Some(value) => array(value, &format!("{path}.sources"))?
            .iter()
            .enumerate()
            .map(|(i, item)| item.as_str().map(str::to_owned).ok_or_else(|| (format!("{path}.sources[{i}]"), "expected a URL string".to_owned())))
            .collect::<ParseResult<Vec<_>>>()?,
        None => Vec::new(),
    };
    Ok(Expected {
        decision,
        decided_by: optional_string(map, "decidedBy", path)?.unwrap_or_default(),
        reason: optional_string(map, "reason", path)?.unwrap_or_default(),
        sources,
    })
}

/// Rejects keys outside `allowed`, naming the key's JSON path.
fn known_keys(map: &Map<String, Json>, path: &str, allowed: &[&str]) -> ParseResult<()> {
    match map.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(unknown) => Err((format!("{path}.{unknown}"), format!("unknown key `{unknown}`; expected one of {}", allowed.join(", ")))),
        None => Ok(()),
    }
}

/// Reads one context value as the string the evaluator compares, checking
/// it against the key's type where the key has one.
fn context_value(key: &str, item: &Json) -> Result<String, String> {
    let typed = |keys: &[&str]| keys.iter().any(|k| k.eq_ignore_ascii_case(key));
    let text = match item {
        Json::String(text) => text.clone(),
        Json::Bool(flag) if typed(&BOOL_KEYS) => flag.to_string(),
        Json::Number(number) if typed(&NUMBER_KEYS) || typed(&DATE_KEYS) => number.to_string(),
        other => {
            return Err(format!("{key} takes a string, found {other}; write the value in quotes, as AWS sends every context value as text"));
        }
    };
    if typed(&DATE_KEYS) && parse_date(&text).is_none() {
        return Err(format!("{text:?} is not an ISO 8601 date or epoch seconds, which {key} takes, such as \"2025-06-01T03:00:00Z\""));
    }
    if typed(&BOOL_KEYS) && !(text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false")) {
        return Err(format!("{text:?} is not true or false, which {key} takes"));
    }
    if typed(&NUMBER_KEYS) && text.trim().parse::<f64>().is_err() {
        return Err(format!("{text:?} is not a number, which {key} takes"));
    }
    Ok(text)
}

fn object<'a>(value: &'a Json, path: &str) -> ParseResult<&'a Map<String, Json>> {
    value.as_object().ok_or_else(|| (path.to_owned(), "expected an object".to_owned()))
}

fn array<'a>(value: &'a Json, path: &str) -> ParseResult<&'a Vec<Json>> {
    value.as_array().ok_or_else(|| (path.to_owned(), "expected a list".to_owned()))
}

fn optional_string(map: &Map<String, Json>, key: &str, path: &str) -> ParseResult<Option<String>> {
    match map.get(key) {
        None => Ok(None),
        Some(Json::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err((format!("{path}.{key}"), "expected a string".to_owned())),
    }
}

fn required_string(map: &Map<String, Json>, key: &str, path: &str) -> ParseResult<String> {
    optional_string(map, key, path)?.ok_or_else(|| (path.to_owned(), format!("missing {key}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_file_and_path() {
        let text = r#"{"request": {"principal": "anonymous", "action": "s3:PutObject", "resource": "arn:aws:s3:::b/k", "resourceAccount": "111122223333"},
            "policies": {"identity": [{"name": "p", "policy": {"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}}]}}"#;
        let message = Scenario::parse_str(text, "case.json").unwrap_err().to_string();
        assert!(message.contains("case.json"), "{message}");
        assert!(message.contains("$.policies.identity[0].policy.Statement[0].Effect"), "{message}");
    }

    #[test]
    fn invalid_json_names_line() {
        let message = Scenario::parse_str("{\"id\": ", "case.json").unwrap_err().to_string();
        assert!(message.contains("line 1"), "{message}");
    }

    const REQUEST: &str = r#""principal": "anonymous", "action": "s3:PutObject", "resource": "arn:aws:s3:::b/k", "resourceAccount": "111122223333""#;

    fn rejection(text: &str) -> String {
        Scenario::parse_str(text, "c.json").unwrap_err().to_string()
    }

    #[test]
    fn unknown_keys_name_their_path() {
        let message = rejection(&format!(r#"{{"request": {{{REQUEST}}}, "expect": {{"decision": "Allowed"}}}}"#));
        assert!(message.contains("at $.expect:"), "{message}");
        assert!(message.contains("expected one of id, description, policies, request, resourceState, expected"), "{message}");
        let message = rejection(&format!(r#"{{"request": {{{REQUEST}, "contxt": {{}}}}}}"#));
        assert!(message.contains("$.request.contxt"), "{message}");
        let message = rejection(&format!(r#"{{"request": {{{REQUEST}}}, "expected": {{"decision": "Allowed", "decided_by": "x"}}}}"#));
        assert!(message.contains("$.expected.decided_by"), "{message}");
        let message = rejection(&format!(r#"{{"request": {{{REQUEST}}}, "policies": {{"identity": [{{"name": "p", "polciy": {{}}}}]}}}}"#));
        assert!(message.contains("$.policies.identity[0].polciy"), "{message}");
    }

    #[test]
    fn context_values_are_typed() {
        let with_context = |context: &str| format!(r#"{{"request": {{{REQUEST}, "context": {context}}}}}"#);
        let message = rejection(&with_context(r#"{"aws:SourceVpce": 5}"#));
        assert!(message.contains("$.request.context.aws:SourceVpce"), "{message}");
        assert!(message.contains("takes a string"), "{message}");
        let message = rejection(&with_context(r#"{"aws:CurrentTime": "not a date"}"#));
        assert!(message.contains("$.request.context.aws:CurrentTime"), "{message}");
        assert!(message.contains("not an ISO 8601 date"), "{message}");
        let message = rejection(&with_context(r#"{"aws:SecureTransport": "yes"}"#));
        assert!(message.contains("not true or false"), "{message}");
        let parsed = Scenario::parse_str(&with_context(r#"{"aws:SecureTransport": true, "s3:max-keys": 10, "aws:CurrentTime": "2025-06-01"}"#), "c.json").unwrap();
        assert_eq!(parsed.request.context.value("aws:SecureTransport"), Some("true"));
        assert_eq!(parsed.request.context.value("s3:max-keys"), Some("10"));
    }

    #[test]
    fn unknown_decision_is_rejected() {
        let text = r#"{"request": {"principal": "anonymous", "action": "s3:PutObject", "resource": "r", "resourceAccount": "111122223333"},
            "expected": {"decision": "Maybe"}}"#;
        let message = Scenario::parse_str(text, "c.json").unwrap_err().to_string();
        assert!(message.contains("$.expected.decision"), "{message}");
    }
}

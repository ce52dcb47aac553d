//! `role-trust-allows-outsiders` on trust conditions that look narrow but
//! match every caller, and on trusts that are narrow. A condition narrows
//! only when some caller outside the intended set fails it.

use std::path::PathBuf;

use serde_json::{json, Value};
use vaultgate_core::access::{verify, Expectations, Report, Settings};
use vaultgate_core::Template;

fn stack() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/backup-stack.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Verifies the fixture with the restore role trusting everyone (`"*"`)
/// under `condition`.
fn report_with_trust_condition(condition: &Value) -> Report {
    let mut value = stack();
    let statement = &mut value["Resources"]["RestoreRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    statement["Principal"] = json!({"AWS": "*"});
    statement["Condition"] = condition.clone();
    let template = Template::from_json_value(value, "backup-stack.json").unwrap();
    verify(&template, "backup-stack.json", &Settings::default(), &Expectations::defaults()).unwrap()
}

fn flags_open_trust(report: &Report) -> bool {
    report.findings.iter().any(|finding| finding.code == "role-trust-allows-outsiders")
}

/// Each of these conditions lets every AWS principal assume the role.
/// Every principal ARN starts with `arn:` and has colons, and `?*` matches
/// any non-empty value. IAM's ArnEquals takes `*` and `?` as wildcards in
/// each ARN field, as ArnLike does. A policy variable compared with its
/// own key is always equal. Every account ID has twelve characters, and
/// every organization ID starts with `o-`.
#[test]
fn condition_matching_everyone_flagged() {
    let conditions = [
        json!({"StringLike": {"aws:PrincipalArn": "arn:*"}}),
        json!({"StringLike": {"aws:PrincipalArn": "*:*"}}),
        json!({"StringLike": {"aws:PrincipalArn": "?*"}}),
        json!({"StringLike": {"AWS:PRINCIPALARN": "arn:*"}}),
        json!({"StringLike": {"aws:PrincipalArn": ["arn:aws:iam::111122223333:role/Restore", "arn:*"]}}),
        json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:*"}}),
        json!({"ArnEquals": {"aws:PrincipalArn": "*"}}),
        json!({"ArnEquals": {"aws:PrincipalArn": "arn:*:*:*:*:*"}}),
        json!({"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}}),
        json!({"StringLike": {"aws:PrincipalAccount": "????????????"}}),
        json!({"StringLike": {"aws:PrincipalOrgID": "o-*"}}),
    ];
    let mut missed = Vec::new();
    for condition in conditions {
        if !flags_open_trust(&report_with_trust_condition(&condition)) {
            missed.push(condition.to_string());
        }
    }

    assert!(missed.is_empty(), "these conditions match every caller, but the trust counts as narrowed: {missed:#?}");
}

/// Conditions that do narrow the callers, written in forms the check must
/// still recognize: keys in another case, several clauses of which one
/// narrows, and an organization path with a wildcard after the OU.
#[test]
fn narrow_conditions_not_flagged() {
    let conditions = [
        json!({"StringEquals": {"AWS:PrincipalOrgId": "o-a1b2c3d4e5"}}),
        json!({"StringEquals": {"aws:PrincipalAccount": "111122223333"}, "Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        json!({"StringNotEquals": {"aws:PrincipalTag/team": "guest"}, "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
        json!({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"}}),
        json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/backup-*"}}),
    ];
    let mut flagged = Vec::new();
    for condition in conditions {
        if flags_open_trust(&report_with_trust_condition(&condition)) {
            flagged.push(condition.to_string());
        }
    }

    assert!(flagged.is_empty(), "these conditions narrow the callers, but the trust is flagged: {flagged:#?}");
}

//! `evaluate_kms`: a key policy must grant the caller itself or enable IAM
//! policies with a statement for the account, unlike a bucket policy.

use vaultgate_core::access::{evaluate_kms, Caller, Context, Decision, Policy, PolicyKind, PolicySet, Request};

const ROLE_SESSION: &str = "arn:aws:sts::111122223333:assumed-role/writer/i-0123456789abcdef0";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn policy(text: &str, name: &str, kind: PolicyKind) -> Policy {
    Policy::parse_str(text, name, kind).unwrap()
}

fn identity_allowing_data_keys() -> Policy {
    let text = format!(r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": "{KEY}"}}]}}"#);
    policy(&text, "writer", PolicyKind::Identity)
}

fn key_policy(statement: &str) -> Policy {
    policy(&format!(r#"{{"Version": "2012-10-17", "Statement": [{statement}]}}"#), "key policy", PolicyKind::Resource)
}

fn data_key_request(principal: &str) -> Request {
    Request {
        caller: Caller::parse(principal, None).unwrap(),
        action: "kms:GenerateDataKey".into(),
        resource: KEY.into(),
        resource_account: "111122223333".into(),
        context: Context::new(),
    }
}

const ACCOUNT_STATEMENT: &str = r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}"#;
const ADMIN_ONLY_STATEMENT: &str = r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/key-admin"}, "Action": "kms:*", "Resource": "*"}"#;

#[test]
fn account_statement_enables_identity_policy() {
    let policies = PolicySet { identity: vec![identity_allowing_data_keys()], resource: Some(key_policy(ACCOUNT_STATEMENT)), ..PolicySet::default() };
    assert_eq!(evaluate_kms(&policies, &data_key_request(ROLE_SESSION)).decision, Decision::Allowed);
}

#[test]
fn identity_policy_alone_does_not_count() {
    let policies = PolicySet { identity: vec![identity_allowing_data_keys()], resource: Some(key_policy(ADMIN_ONLY_STATEMENT)), ..PolicySet::default() };

    let evaluation = evaluate_kms(&policies, &data_key_request(ROLE_SESSION));

    assert_eq!(evaluation.decision, Decision::ImplicitlyDenied);
    assert!(evaluation.reason.contains("enables IAM policies"), "{}", evaluation.reason);
}

#[test]
fn root_user_needs_account_statement() {
    let policies = PolicySet { resource: Some(key_policy(ADMIN_ONLY_STATEMENT)), ..PolicySet::default() };
    assert_eq!(evaluate_kms(&policies, &data_key_request("arn:aws:iam::111122223333:root")).decision, Decision::ImplicitlyDenied);
}

#[test]
fn key_policy_grant_to_role_suffices() {
    let grant = r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/writer"}, "Action": "kms:GenerateDataKey", "Resource": "*"}"#;
    let policies = PolicySet { resource: Some(key_policy(grant)), ..PolicySet::default() };
    assert_eq!(evaluate_kms(&policies, &data_key_request(ROLE_SESSION)).decision, Decision::Allowed);
}

#[test]
fn key_policy_deny_wins() {
    let statements = format!(
        r#"{ACCOUNT_STATEMENT}, {{"Effect": "Deny", "Principal": "*", "Action": "kms:GenerateDataKey", "Resource": "*", "Condition": {{"StringNotEquals": {{"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}}}}"#
    );
    let policies = PolicySet { identity: vec![identity_allowing_data_keys()], resource: Some(key_policy(&statements)), ..PolicySet::default() };

    let mut request = data_key_request(ROLE_SESSION);
    assert_eq!(evaluate_kms(&policies, &request).decision, Decision::ExplicitlyDenied, "no kms:ViaService");

    request.context.insert("kms:ViaService", "s3.us-east-1.amazonaws.com");
    assert_eq!(evaluate_kms(&policies, &request).decision, Decision::Allowed, "through S3");
}

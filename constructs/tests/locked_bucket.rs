//! `LockedBucket::add_to_resource_policy`: how statements reach the bucket
//! policy resource, including when the resource was edited through
//! `Scope::resource_mut` in between.

use serde_json::{json, Value as Json};
use vaultgate_constructs::locked_bucket::{LockedBucket, LockedBucketProps};
use vaultgate_core::policy::{Principal, Statement};
use vaultgate_core::{Expr, Stack};

fn statement_ids(stack: &Stack, bucket: &LockedBucket) -> Vec<String> {
    let template = stack.synth().unwrap().template;
    let document = &template.resources[bucket.policy.as_str()].properties["PolicyDocument"];
    document["Statement"].as_array().unwrap().iter().map(|statement| statement["Sid"].as_str().unwrap().to_owned()).collect()
}

fn extra_statement(sid: &str) -> Statement {
    Statement::deny()
        .sid(sid)
        .principal(Principal::Anyone)
        .actions(&["s3:DeleteBucket"])
        .resource(Expr::string("arn:aws:s3:::example"))
}

#[test]
fn added_statements_follow_initial_ones() {
    let mut stack = Stack::new("Demo");
    let mut root = stack.root();
    let mut bucket = LockedBucket::new(&mut root, "Backups", &LockedBucketProps::default()).unwrap();
    bucket.add_to_resource_policy(&mut root, extra_statement("First")).unwrap();
    bucket.add_to_resource_policy(&mut root, extra_statement("Second")).unwrap();
    assert_eq!(statement_ids(&stack, &bucket), ["DenyInsecureTransport", "First", "Second"]);
}

#[test]
fn statement_added_by_hand_is_kept() {
    let mut stack = Stack::new("Demo");
    let mut root = stack.root();
    let mut bucket = LockedBucket::new(&mut root, "Backups", &LockedBucketProps::default()).unwrap();
    let policy = root.resource_mut(&bucket.policy).unwrap();
    let Some(Json::Array(written)) = policy.properties.get_mut("PolicyDocument").and_then(|document| document.get_mut("Statement")) else {
        panic!("the bucket policy has no Statement list");
    };
    written.push(json!({"Sid": "ByHand", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "*"}));

    bucket.add_to_resource_policy(&mut root, extra_statement("Added")).unwrap();
    assert_eq!(statement_ids(&stack, &bucket), ["DenyInsecureTransport", "ByHand", "Added"]);
}

#[test]
fn replaced_document_is_written_again() {
    let mut stack = Stack::new("Demo");
    let mut root = stack.root();
    let mut bucket = LockedBucket::new(&mut root, "Backups", &LockedBucketProps::default()).unwrap();
    bucket.add_to_resource_policy(&mut root, extra_statement("First")).unwrap();
    let policy = root.resource_mut(&bucket.policy).unwrap();
    policy.properties.insert("PolicyDocument".to_owned(), json!({"Version": "2012-10-17"}));

    bucket.add_to_resource_policy(&mut root, extra_statement("Second")).unwrap();
    assert_eq!(statement_ids(&stack, &bucket), ["DenyInsecureTransport", "First", "Second"]);
}

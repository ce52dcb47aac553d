//! verify's view of the backup bucket's protection: the warning for
//! protection settings written as intrinsics, and the S3 refusals
//! (`DeleteBucket` on a bucket with a version under retention) that stand
//! in for IAM's decision in the matrix.

use std::path::PathBuf;

use serde_json::{json, Value};
use vaultgate_core::access::{diff, verify, Decision, Expectations, Report, Settings};
use vaultgate_core::Template;

fn stack() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/backup-stack.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn report_of(value: Value) -> Report {
    let template = Template::from_json_value(value, "backup-stack.json").unwrap();
    verify(&template, "backup-stack.json", &Settings::default(), &Expectations::defaults()).unwrap()
}

fn deploy_time_warnings(report: &Report) -> Vec<String> {
    report.findings.iter().filter(|finding| finding.code == "protection-set-at-deploy").map(|finding| finding.message.clone()).collect()
}

/// Adds a `Locked` parameter, true by default, and the `UseLock` condition
/// on it, so that a bucket property can be switched off at deploy time.
fn with_lock_switch(value: &mut Value) {
    value["Parameters"]["Locked"] = json!({"Type": "String", "Default": "true", "AllowedValues": ["true", "false"]});
    value["Conditions"]["UseLock"] = json!({"Fn::Equals": [{"Ref": "Locked"}, "true"]});
}

/// A deploy with `Locked=false` drops the whole Object Lock configuration,
/// its default retention or versioning, just as a deploy that changes one
/// field below them does, so each is set at deploy time.
#[test]
fn whole_protection_block_from_condition_warned() {
    let cases = [
        (vec!["ObjectLockConfiguration"], "ObjectLockConfiguration"),
        (vec!["ObjectLockConfiguration", "Rule"], "ObjectLockConfiguration.Rule"),
        (vec!["ObjectLockConfiguration", "Rule", "DefaultRetention"], "ObjectLockConfiguration.Rule.DefaultRetention"),
        (vec!["VersioningConfiguration"], "VersioningConfiguration"),
    ];
    let mut missed = Vec::new();
    for (path, shown) in cases {
        let mut value = stack();
        with_lock_switch(&mut value);
        let mut property = &mut value["Resources"]["BackupBucket"]["Properties"];
        for key in &path {
            property = &mut property[*key];
        }
        let written = property.clone();
        *property = json!({"Fn::If": ["UseLock", written, {"Ref": "AWS::NoValue"}]});

        let report = report_of(value);

        let warnings = deploy_time_warnings(&report);
        if !(warnings.len() == 1 && warnings[0].contains(shown)) {
            missed.push(format!("{shown}: {warnings:?}"));
        }
    }

    assert!(missed.is_empty(), "these properties written as Fn::If get no single warning that names them: {missed:#?}");
}

/// YAML short forms parse to the same intrinsics as their long forms.
#[test]
fn yaml_short_forms_warned() {
    let yaml = r#"
Parameters:
  Mode:
    Type: String
    Default: COMPLIANCE
  Locked:
    Type: String
    Default: "true"
Conditions:
  UseLock: !Equals [!Ref Locked, "true"]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      ObjectLockEnabled: !If [UseLock, true, false]
      VersioningConfiguration:
        Status: Enabled
      ObjectLockConfiguration:
        ObjectLockEnabled: Enabled
        Rule:
          DefaultRetention:
            Mode: !Ref Mode
            Days: !If [UseLock, 30, !Ref "AWS::NoValue"]
"#;
    let template = Template::parse(yaml, "bucket.yaml").unwrap();

    let report = verify(&template, "bucket.yaml", &Settings::default(), &Expectations::defaults()).unwrap();

    let warnings = deploy_time_warnings(&report);
    assert_eq!(warnings.len(), 3, "{:#?}", report.findings);
    assert!(warnings[0].starts_with("ObjectLockEnabled "), "{}", warnings[0]);
    assert!(warnings[1].contains("DefaultRetention.Mode"), "{}", warnings[1]);
    assert!(warnings[2].contains("DefaultRetention.Days"), "{}", warnings[2]);
}

/// A new stack's bucket is empty until the first upload, so a grant of
/// `s3:DeleteBucket` works then, whatever Object Lock does to the objects
/// written later. Adding that grant to the restore role is the kind of
/// change `--baseline` and the deploy binary's prompt exist to show, but
/// the cell turns from ImplicitlyDenied into Denied ("refused by S3") and
/// is not marked broadening.
#[test]
fn delete_bucket_grant_is_broadening() {
    let old = report_of(stack());
    let mut value = stack();
    let statements = value["Resources"]["RestorePolicy"]["Properties"]["PolicyDocument"]["Statement"].as_array_mut().unwrap();
    statements.push(json!({"Sid": "DeleteBucket", "Effect": "Allow", "Action": "s3:DeleteBucket", "Resource": {"Fn::GetAtt": ["BackupBucket", "Arn"]}}));

    let new = report_of(value);

    let cell = new.matrix.cell("role:RestoreRole", "s3:DeleteBucket", None).expect("the DeleteBucket cell");
    assert_eq!(cell.evaluation.decision, Decision::Denied, "{}", cell.evaluation.reason);
    let changes = diff(&old.matrix, &new.matrix);
    let change = changes.iter().find(|change| change.source == "role:RestoreRole" && change.action == "s3:DeleteBucket");
    let change = change.unwrap_or_else(|| panic!("the DeleteBucket grant changed no cell: {changes:#?}"));
    assert!(change.broadening, "the restore role may now delete the empty bucket, but the change is not broadening: {change}");
}

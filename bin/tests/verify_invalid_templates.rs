//! `vaultgate verify` on templates that CloudFormation rejects. Synthesis
//! validation problems must be reported as `invalid-template` findings that
//! name the logical ID and the fix, and make verify exit 1. This applies to
//! text and JSON reports and to JSON and YAML input. Valid templates must
//! still pass.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{vaultgate, workspace_root};
use serde_json::{json, Map, Value};

fn stack_fixture() -> PathBuf {
    workspace_root().join("lib/tests/fixtures/backup-stack.json")
}

fn run(args: &[&str]) -> Output {
    vaultgate(&workspace_root(), args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn fixture_value() -> Value {
    serde_json::from_str(&std::fs::read_to_string(stack_fixture()).unwrap()).unwrap()
}

/// Writes the backup stack fixture with `change` applied to the whole
/// template as `name` in `directory`, pretty-printed.
fn changed(directory: &Path, name: &str, change: impl FnOnce(&mut Value)) -> PathBuf {
    let mut template = fixture_value();
    change(&mut template);
    let file = directory.join(name);
    std::fs::write(&file, serde_json::to_string_pretty(&template).unwrap()).unwrap();
    file
}

fn resources(template: &mut Value) -> &mut Map<String, Value> {
    template["Resources"].as_object_mut().unwrap()
}

/// Runs verify with `--format json` and returns the exit code and the
/// `invalid-template` findings.
fn invalid_findings(file: &Path) -> (Option<i32>, Vec<Value>) {
    let output = run(&["verify", file.to_str().unwrap(), "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|err| panic!("no JSON report ({err}): {}{}", stdout(&output), stderr(&output)));
    let found = report["findings"].as_array().unwrap().iter().filter(|finding| finding["code"] == "invalid-template").cloned().collect();
    (output.status.code(), found)
}

#[test]
fn default_stack_has_no_invalid_template() {
    let output = run(&["verify", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stdout(&output).contains("invalid-template"), "{}", stdout(&output));
}

#[test]
fn fixture_has_no_invalid_template() {
    let (code, found) = invalid_findings(&stack_fixture());
    assert_eq!(code, Some(0));
    assert_eq!(found, Vec::<Value>::new());
}

#[test]
fn yaml_depends_on_cycle_fails() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("cycle.yaml");
    std::fs::write(
        &file,
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Topic:\n    Type: AWS::SNS::Topic\n    DependsOn: Queue\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !GetAtt Topic.TopicName\n",
    )
    .unwrap();

    let output = run(&["verify", file.to_str().unwrap()]);

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("error [invalid-template] Queue: dependency cycle: Queue -> Topic -> Queue"), "{text}");
    assert!(text.contains("remove one reference or DependsOn in the cycle"), "{text}");
}

#[test]
fn unknown_get_att_names_attribute() {
    let directory = tempfile::tempdir().unwrap();
    let file = changed(directory.path(), "getatt.json", |template| {
        template["Outputs"]["BucketThing"] = json!({"Value": {"Fn::GetAtt": ["BackupBucket", "NoSuchAttribute"]}});
    });

    let (code, found) = invalid_findings(&file);

    assert_eq!(code, Some(1));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["subject"], "BucketThing");
    let message = found[0]["message"].as_str().unwrap();
    assert!(message.contains("`NoSuchAttribute`"), "{message}");
    assert!(message.contains("known attributes: Arn,"), "{message}");
}

#[test]
fn over_limit_template_fails() {
    let directory = tempfile::tempdir().unwrap();
    let file = changed(directory.path(), "big.json", |template| {
        for index in 0..490 {
            resources(template).insert(format!("Topic{index}"), json!({"Type": "AWS::SNS::Topic"}));
        }
    });

    let (code, found) = invalid_findings(&file);

    assert_eq!(code, Some(1));
    let messages: Vec<&str> = found.iter().map(|finding| finding["message"].as_str().unwrap()).collect();
    assert!(messages.iter().any(|message| message.contains("has 511 resources, over CloudFormation's limit of 500; split it")), "{messages:?}");
}

#[test]
fn missing_parameter_ref_fails() {
    let directory = tempfile::tempdir().unwrap();
    let file = changed(directory.path(), "ref.json", |template| {
        resources(template).insert("Alerts".to_owned(), json!({"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Ref": "MissingName"}}}));
    });

    let (code, found) = invalid_findings(&file);

    assert_eq!(code, Some(1));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["subject"], "Alerts");
    assert!(found[0]["message"].as_str().unwrap().contains("`MissingName`"), "{found:?}");
    assert!(found[0]["message"].as_str().unwrap().contains("add it or fix the reference"), "{found:?}");
}

/// The old template of `--baseline` only feeds the list of changed cells,
/// so its validation problems must neither fail the run nor appear among
/// the new template's findings.
#[test]
fn invalid_baseline_does_not_leak() {
    let directory = tempfile::tempdir().unwrap();
    let old = changed(directory.path(), "old.json", |template| {
        resources(template)["RestoreRole"]["DependsOn"] = json!(["RestorePolicy"]);
        resources(template)["RestorePolicy"]["DependsOn"] = json!(["RestoreRole"]);
    });

    for format in ["text", "json"] {
        let output = run(&["verify", stack_fixture().to_str().unwrap(), "--baseline", old.to_str().unwrap(), "--format", format]);

        assert_eq!(output.status.code(), Some(0), "{format}: {}", stderr(&output));
        assert!(!stdout(&output).contains("invalid-template"), "{format}: {}", stdout(&output));
    }
}

/// CloudFormation rejects `Fn::GetAtt` on a parameter ("references
/// undefined resource"), and cfn-lint 1.58.0 reports it as E6101 in an
/// output. verify accepts it, because the reference check counts
/// parameters as targets and the attribute check skips names that are no
/// resource.
#[test]
fn get_att_of_parameter_fails() {
    let directory = tempfile::tempdir().unwrap();
    let file = changed(directory.path(), "getatt-parameter.json", |template| {
        template["Parameters"] = json!({"TeamName": {"Type": "String"}});
        template["Outputs"]["TeamArn"] = json!({"Value": {"Fn::GetAtt": ["TeamName", "Arn"]}});
        resources(template).insert(
            "Alerts".to_owned(),
            json!({"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::GetAtt": ["TeamName", "Value"]}}}),
        );
    });

    let (code, found) = invalid_findings(&file);

    assert_eq!(code, Some(1), "{found:?}");
    let subjects: Vec<&str> = found.iter().map(|finding| finding["subject"].as_str().unwrap()).collect();
    assert!(subjects.contains(&"TeamArn"), "{found:?}");
    assert!(subjects.contains(&"Alerts"), "{found:?}");
}

/// Every `invalid-template` message must give the fix. These three state
/// only what is wrong.
#[test]
fn invalid_template_messages_give_fix() {
    let directory = tempfile::tempdir().unwrap();
    type Change = fn(&mut Value);
    let cases: [(&str, Change); 3] = [
        ("missing DependsOn target", |template| resources(template)["RestoreRole"]["DependsOn"] = json!(["NoSuchResource"])),
        ("missing Condition", |template| resources(template)["RestoreRole"]["Condition"] = json!("NoSuchCondition")),
        ("output to missing resource", |template| {
            template["Outputs"]["Dangling"] = json!({"Value": {"Ref": "NoSuchResource"}});
        }),
    ];
    // Phrases the other invalid-template messages use for their fix.
    let fixes = ["add it", "remove", "fix the", "define it", "choose", "use "];
    let mut without_fix = Vec::new();
    for (index, (case, change)) in cases.into_iter().enumerate() {
        let file = changed(directory.path(), &format!("case{index}.json"), change);

        let (code, found) = invalid_findings(&file);

        assert_eq!(code, Some(1), "{case}");
        assert_eq!(found.len(), 1, "{case}: {found:?}");
        let message = found[0]["message"].as_str().unwrap().to_owned();
        if !fixes.iter().any(|fix| message.contains(fix)) {
            without_fix.push(format!("{case}: {message}"));
        }
    }
    assert_eq!(without_fix, Vec::<String>::new(), "these messages give no fix");
}

/// A `Ref` to a missing parameter in the bucket name stops the access
/// model, which needs the bucket's name, so verify reports unreadable input
/// (exit 2) rather than a finding. The message still names the fix.
#[test]
fn missing_parameter_in_bucket_name_is_explained() {
    let directory = tempfile::tempdir().unwrap();
    let file = changed(directory.path(), "bucket-ref.json", |template| {
        resources(template)["BackupBucket"]["Properties"]["BucketName"] = json!({"Ref": "MissingName"});
    });

    let output = run(&["verify", file.to_str().unwrap(), "--format", "json"]);

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("BackupBucket"), "{message}");
    assert!(message.contains("`MissingName`"), "{message}");
    assert!(message.contains("add it or fix the reference"), "{message}");
}

/// CloudFormation limits the template body, the bytes sent, to 1,000,000
/// bytes, and cfn-lint 1.58.0 (E1002) checks the file's size. verify
/// measures its own pretty-printed copy instead, so a compact template
/// well under the limit fails.
#[test]
fn compact_template_under_size_limit_passes() {
    let directory = tempfile::tempdir().unwrap();
    let mut template = fixture_value();
    for index in 0..300 {
        let statements: Vec<Value> = (0..14)
            .map(|statement| {
                json!({
                    "Sid": format!("S{statement}"),
                    "Effect": "Allow",
                    "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"],
                    "Resource": [format!("arn:aws:sqs:us-east-1:111122223333:queue{index}x{statement}")],
                    "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["a", "b"]}}
                })
            })
            .collect();
        resources(&mut template).insert(
            format!("Policy{index}"),
            json!({"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}}),
        );
    }
    let text = serde_json::to_string(&template).unwrap();
    assert!(text.len() < 1_000_000, "the compact file is {} bytes", text.len());
    let file = directory.path().join("compact.json");
    std::fs::write(&file, &text).unwrap();

    let (code, found) = invalid_findings(&file);

    let errors: Vec<&Value> = found.iter().filter(|finding| finding["severity"] == "error").collect();
    assert_eq!(errors, Vec::<&Value>::new(), "file of {} bytes", text.len());
    assert_eq!(code, Some(0));
}

//! `vaultgate verify` end to end: exit codes, the text and JSON reports,
//! baselines, scenarios, expectations files and malformed input.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{example_configs, vaultgate, workspace_root};
use serde_json::Value;

fn stack_fixture() -> PathBuf {
    workspace_root().join("lib/tests/fixtures/backup-stack.json")
}

fn writeup_fixture() -> PathBuf {
    workspace_root().join("bin/tests/fixtures/original-writeup.json")
}

fn case(name: &str) -> PathBuf {
    workspace_root().join("lib/tests/access_cases").join(name)
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

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn write_temp(directory: &Path, name: &str, text: &str) -> PathBuf {
    let file = directory.join(name);
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn default_stack_passes() {
    let output = run(&["verify"]);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    assert!(stdout(&output).contains("Result: PASS"), "{}", stdout(&output));
}

#[test]
fn json_report_has_every_cell() {
    let output = run(&["verify", path(&stack_fixture()), "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["passed"], true);
    let sources = report["sources"].as_array().unwrap().len();
    let cells = report["matrix"].as_array().unwrap();
    assert_eq!(cells.len(), sources * 16);
    let put = cells.iter().find(|c| c["source"] == "PrivateSubnet" && c["action"] == "s3:PutObject").unwrap();
    assert_eq!(put["decision"], "Allowed");
    assert!(put["decidedBy"].as_array().unwrap().iter().any(|d| d["statement"] == "UploadOnlyToBackupBucket"), "{put}");
}

#[test]
fn original_writeup_fails_with_reasons() {
    let output = run(&["verify", path(&writeup_fixture())]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("Allowed           s3:PutObjectAcl"), "{text}");
    assert!(text.contains("[writer-granted-dangerous-action]"), "{text}");
    assert!(text.contains("[overwrites-possible]"), "{text}");
    assert!(text.contains("[management-locked-out]"), "{text}");
    assert!(text.contains("[no-restore-path]"), "{text}");
    assert!(text.contains("Result: FAIL"), "{text}");
    assert!(stderr(&output).contains("verification of"), "{}", stderr(&output));
}

#[test]
fn original_writeup_json_names_flaws() {
    let output = run(&["verify", path(&writeup_fixture()), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["passed"], false);
    let codes: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    for code in ["writer-granted-dangerous-action", "overwrites-possible", "management-locked-out", "no-restore-path"] {
        assert!(codes.contains(&code), "missing {code} in {codes:?}");
    }
    let acl = report["violations"].as_array().unwrap().iter().find(|v| v["action"] == "s3:PutObjectAcl");
    assert!(acl.is_some(), "{}", report["violations"]);
}

#[test]
fn baseline_marks_broadening() {
    let output = run(&["verify", path(&writeup_fixture()), "--baseline", path(&stack_fixture())]);
    let text = stdout(&output);
    assert!(text.contains("BROADENED PrivateSubnet s3:PutObjectAcl"), "{text}");
    assert!(text.contains("Changes since"), "{text}");

    let output = run(&["verify", path(&stack_fixture()), "--baseline", path(&writeup_fixture()), "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let changes = report["baseline"]["changes"].as_array().unwrap();
    let acl = changes.iter().find(|c| c["source"] == "PrivateSubnet" && c["action"] == "s3:PutObjectAcl").unwrap();
    assert_eq!(acl["broadening"], false);
    assert_eq!(acl["before"], "Allowed");
}

#[test]
fn scenario_json_has_decision() {
    let output = run(&["verify", "--scenario", path(&case("09-put-from-bastion-internet.json")), "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let result: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(result["decision"], "ExplicitlyDenied");
    assert_eq!(result["matchesExpected"], true);
    assert_eq!(result["decidedBy"][0]["statement"], "DenyOutsideBackupEndpoint");
}

#[test]
fn scenario_text_has_decision() {
    let output = run(&["verify", "--scenario", path(&case("48-compliance-locked-deleteversion-admin.json"))]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.starts_with("48-compliance-locked-deleteversion-admin: Denied"), "{text}");
    assert!(text.contains("object-lock"), "{text}");
}

#[test]
fn scenario_mismatch_exits_one() {
    let directory = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(case("01-put-via-endpoint.json")).unwrap().replace("\"decision\": \"Allowed\"", "\"decision\": \"ExplicitlyDenied\"");
    let file = write_temp(directory.path(), "changed.json", &text);
    let output = run(&["verify", "--scenario", path(&file)]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("DIFFERS"), "{}", stdout(&output));
}

#[test]
fn custom_expectations_can_fail() {
    let directory = tempfile::tempdir().unwrap();
    let rules = write_temp(directory.path(), "rules.toml", "[[expect]]\nkind = \"internet-anonymous\"\nactions = [\"s3:GetObject\"]\ndecision = \"allow\"\n");
    let output = run(&["verify", path(&stack_fixture()), "--expectations", path(&rules)]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("VIOLATED internet-anonymous s3:GetObject"), "{}", stdout(&output));
}

#[test]
fn yaml_template_is_read() {
    let directory = tempfile::tempdir().unwrap();
    let value: Value = serde_json::from_str(&std::fs::read_to_string(stack_fixture()).unwrap()).unwrap();
    let file = write_temp(directory.path(), "stack.yaml", &serde_yaml::to_string(&value).unwrap());
    let output = run(&["verify", path(&file)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// Runs verify on bad input and returns stderr after checking the exit
/// code is 2 and nothing panicked.
fn rejected(args: &[&str]) -> String {
    let output = run(args);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    message
}

#[test]
fn malformed_template_json_exits_two() {
    let directory = tempfile::tempdir().unwrap();
    let file = write_temp(directory.path(), "broken.json", "{\"Resources\": {");
    let message = rejected(&["verify", path(&file)]);
    assert!(message.contains("broken.json"), "{message}");
    assert!(message.contains("line 1"), "{message}");
}

#[test]
fn malformed_policy_names_json_path() {
    let directory = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(stack_fixture()).unwrap().replacen("\"Effect\": \"Allow\"", "\"Effect\": \"Permit\"", 1);
    let file = write_temp(directory.path(), "bad-policy.json", &text);
    let message = rejected(&["verify", path(&file)]);
    assert!(message.contains("bad-policy.json"), "{message}");
    assert!(message.contains("$.Resources.S3Endpoint.Properties.PolicyDocument.Statement[0].Effect"), "{message}");
    assert!(message.contains("Permit"), "{message}");
}

/// Returns the backup stack fixture with `change` applied to its resources,
/// written to `name` in `directory`.
fn changed_stack(directory: &Path, name: &str, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> PathBuf {
    let mut template: Value = serde_json::from_str(&std::fs::read_to_string(stack_fixture()).unwrap()).unwrap();
    change(template["Resources"].as_object_mut().unwrap());
    write_temp(directory, name, &template.to_string())
}

#[test]
fn depends_on_cycle_fails() {
    let directory = tempfile::tempdir().unwrap();
    let file = changed_stack(directory.path(), "cycle.json", |resources| {
        let ids: Vec<String> = resources.keys().take(2).cloned().collect();
        resources[&ids[0]]["DependsOn"] = serde_json::json!([ids[1]]);
        resources[&ids[1]]["DependsOn"] = serde_json::json!([ids[0]]);
    });

    let output = run(&["verify", path(&file)]);

    assert_eq!(output.status.code(), Some(1), "{}{}", stdout(&output), stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("[invalid-template]"), "{text}");
    assert!(text.contains("Result: FAIL"), "{text}");
}

#[test]
fn unknown_reference_fails_in_json() {
    let directory = tempfile::tempdir().unwrap();
    let file = changed_stack(directory.path(), "dangling.json", |resources| {
        resources.insert("Alerts".to_owned(), serde_json::json!({
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": {"Fn::GetAtt": ["Alerts", "TopicName"]}, "KmsMasterKeyId": {"Ref": "NoSuchKey"}}
        }));
    });

    let output = run(&["verify", path(&file), "--format", "json"]);

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["passed"], false);
    let invalid: Vec<&Value> =
        report["findings"].as_array().unwrap().iter().filter(|finding| finding["code"] == "invalid-template").collect();
    assert!(invalid.iter().all(|finding| finding["subject"] == "Alerts"), "{invalid:?}");
    assert!(invalid.iter().any(|finding| finding["message"].as_str().unwrap().contains("NoSuchKey")), "{invalid:?}");
    assert!(invalid.iter().any(|finding| finding["severity"] == "error"), "{invalid:?}");
}

/// SAM and other macros add resources that the template's references may
/// name, so a template with a Transform is not validated before expansion.
#[test]
fn transform_skips_template_validation() {
    let directory = tempfile::tempdir().unwrap();
    let file = changed_stack(directory.path(), "sam.json", |resources| {
        resources.insert("Alerts".to_owned(), serde_json::json!({
            "Type": "AWS::SNS::Topic",
            "Properties": {"KmsMasterKeyId": {"Ref": "FnRole"}}
        }));
    });
    let mut template: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    template["Transform"] = serde_json::json!("AWS::Serverless-2016-10-31");
    std::fs::write(&file, template.to_string()).unwrap();

    let output = run(&["verify", path(&file), "--format", "json"]);

    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let codes: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|finding| finding["code"].as_str().unwrap()).collect();
    assert!(!codes.contains(&"invalid-template"), "{codes:?}");
    assert!(codes.contains(&"template-not-validated"), "{codes:?}");
}

#[test]
fn self_named_bucket_exits_two() {
    let directory = tempfile::tempdir().unwrap();
    let mut template: Value = serde_json::from_str(&std::fs::read_to_string(stack_fixture()).unwrap()).unwrap();
    let resources = template["Resources"].as_object_mut().unwrap();
    let bucket = resources.iter().find(|(_, resource)| resource["Type"] == "AWS::S3::Bucket").map(|(id, _)| id.clone()).unwrap();
    resources[&bucket]["Properties"]["BucketName"] = serde_json::json!({"Ref": bucket});
    let file = write_temp(directory.path(), "self-named.json", &template.to_string());

    let message = rejected(&["verify", path(&file)]);

    assert!(message.contains(&format!("the name of resource `{bucket}` refers back to it")), "{message}");
    assert!(message.contains("remove the reference from the name property"), "{message}");
}

#[test]
fn malformed_scenario_names_json_path() {
    let directory = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(case("01-put-via-endpoint.json")).unwrap().replace("\"StringNotEquals\"", "\"StringNotEqual\"");
    let file = write_temp(directory.path(), "bad-case.json", &text);
    let message = rejected(&["verify", "--scenario", path(&file)]);
    assert!(message.contains("bad-case.json"), "{message}");
    assert!(message.contains("$.policies.resource.Statement[0].Condition.StringNotEqual"), "{message}");
}

#[test]
fn malformed_expectations_exit_two() {
    let directory = tempfile::tempdir().unwrap();
    let rules = write_temp(directory.path(), "rules.toml", "[[expect]]\nactions = [\"s3:*\"]\ndecision = \"sometimes\"\n");
    let message = rejected(&["verify", path(&stack_fixture()), "--expectations", path(&rules)]);
    assert!(message.contains("rules.toml"), "{message}");
    assert!(message.contains("$.expect[0].decision"), "{message}");
}

#[test]
fn missing_file_exits_two() {
    let message = rejected(&["verify", "no-such-template.json"]);
    assert!(message.contains("no-such-template.json"), "{message}");
    let message = rejected(&["verify", "--scenario", "no-such-case.json"]);
    assert!(message.contains("no-such-case.json"), "{message}");
}

#[test]
fn non_object_inputs_exit_two() {
    let directory = tempfile::tempdir().unwrap();
    for (name, text) in [("list.json", "[1, 2]"), ("null.json", "null"), ("string.yaml", "just text")] {
        let file = write_temp(directory.path(), name, text);
        let message = rejected(&["verify", path(&file)]);
        assert!(message.contains(name), "{message}");
        let message = rejected(&["verify", "--scenario", path(&file)]);
        assert!(message.contains(name), "{message}");
    }
}

#[test]
fn stock_examples_pass() {
    let directory = tempfile::tempdir().unwrap();
    for config in example_configs() {
        let template = directory.path().join("template.json");
        let synth = run(&["synth", "--config", path(&config), "--out", path(&template)]);
        assert_eq!(synth.status.code(), Some(0), "{}: {}", config.display(), stderr(&synth));
        let output = run(&["verify", path(&template)]);
        assert_eq!(output.status.code(), Some(0), "{} fails verification:\n{}{}", config.display(), stdout(&output), stderr(&output));
        assert!(!stdout(&output).contains("writer-subnet-not-on-endpoint"), "{}", stdout(&output));
    }
}

#[test]
fn bastion_upload_through_endpoint_fails() {
    // The named-bucket example, whose bastion carries the writer role, with
    // the public route table added to the endpoint's RouteTableIds.
    let fixture = workspace_root().join("bin/tests/fixtures/named-bucket-public-route.json");
    let output = run(&["verify", path(&fixture)]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(text.contains("error [public-route-table-on-endpoint]"), "{text}");
    assert!(text.contains("VIOLATED BackupPublicSubnetEE115F97 s3:PutObject on BackupBucket85DDAF3E: expected deny, got Allowed"), "{text}");
    assert!(text.contains("Result: FAIL"), "{text}");
}

#[test]
fn open_trust_is_broadening() {
    let directory = tempfile::tempdir().unwrap();
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(stack_fixture()).unwrap()).unwrap();
    value["Resources"]["RestoreRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = serde_json::json!({"AWS": "*"});
    let file = write_temp(directory.path(), "trust-any.json", &value.to_string());
    let output = run(&["verify", path(&file), "--baseline", path(&stack_fixture())]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("error [role-trust-allows-outsiders] RestoreRole"), "{text}");
    assert!(text.contains("BROADENED assumed-from-outside:RestoreRole s3:GetObject on BackupBucket: absent -> Allowed"), "{text}");
}

#[test]
fn empty_template_exits_two() {
    let directory = tempfile::tempdir().unwrap();
    for (name, text) in [("no-resources.json", "{\"AWSTemplateFormatVersion\": \"2010-09-09\"}"), ("empty-resources.json", "{\"Resources\": {}}")] {
        let file = write_temp(directory.path(), name, text);
        let message = rejected(&["verify", path(&file)]);
        assert!(message.contains(name), "{message}");
        assert!(message.contains("$.Resources"), "{message}");
    }
}

#[test]
fn misspelt_expectation_action_exits_two() {
    let directory = tempfile::tempdir().unwrap();
    let rules = write_temp(directory.path(), "rules.toml", "[[expect]]\nkind = \"instance\"\nactions = [\"s3:PutObjet\"]\ndecision = \"allow\"\n");
    let message = rejected(&["verify", path(&stack_fixture()), "--expectations", path(&rules)]);
    assert!(message.contains("$.expect[0].actions[0]"), "{message}");
    assert!(message.contains("s3:PutObjet"), "{message}");
    assert!(message.contains("s3:PutObject, s3:GetObject"), "{message}");
}

#[test]
fn missing_writer_fails() {
    let directory = tempfile::tempdir().unwrap();
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(stack_fixture()).unwrap()).unwrap();
    value["Resources"].as_object_mut().unwrap().remove("PrivateInstance");
    let file = write_temp(directory.path(), "no-writer.json", &value.to_string());
    let output = run(&["verify", path(&file)]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(stdout(&output).contains("VIOLATED rule 0 expects allow but no cell matches"), "{}", stdout(&output));
}

#[test]
fn scenario_typos_exit_two() {
    let directory = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(case("09-put-from-bastion-internet.json")).unwrap();
    for (from, to, named) in [("\"expected\"", "\"expect\"", "$.expect"), ("\"context\"", "\"contxt\"", "$.request.contxt")] {
        assert!(original.contains(from), "{from}");
        let file = write_temp(directory.path(), "typo.json", &original.replacen(from, to, 1));
        let message = rejected(&["verify", "--scenario", path(&file)]);
        assert!(message.contains(named), "{message}");
    }
}

#[test]
fn scenario_wrong_deciding_sid_exits_one() {
    let directory = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(case("09-put-from-bastion-internet.json"))
        .unwrap()
        .replace("\"decidedBy\": \"bucket policy DenyOutsideBackupEndpoint\"", "\"decidedBy\": \"bucket policy DenyInsecureTransport\"");
    assert!(text.contains("DenyInsecureTransport\""), "the case changed");
    let file = write_temp(directory.path(), "wrong-sid.json", &text);
    let output = run(&["verify", "--scenario", path(&file)]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(stdout(&output).contains("decidedBy names DenyInsecureTransport"), "{}", stdout(&output));
}

#[test]
fn plain_text_template_is_named_as_such() {
    let directory = tempfile::tempdir().unwrap();
    let file = write_temp(directory.path(), "notes.txt", "not json {\n");
    let message = rejected(&["verify", path(&file)]);
    assert!(message.contains("neither valid JSON nor a YAML mapping"), "{message}");
}

#[test]
fn root_cells_name_their_grant() {
    let output = run(&["verify", path(&stack_fixture()), "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let cell = report["matrix"].as_array().unwrap().iter().find(|c| c["source"] == "account-root" && c["action"] == "s3:PutBucketPolicy").unwrap();
    assert_eq!(cell["decision"], "Allowed");
    assert_eq!(cell["decidedBy"][0]["policy"], "account root user", "{cell}");
    assert!(stdout(&run(&["verify", path(&stack_fixture())])).contains("s3:PutBucketPolicy                    identity allow in account root user"));
}

/// The JSON report is streamed through a buffer, so a write error can come
/// from any flush. It must end the command with exit code 1 and a message.
#[cfg(target_os = "linux")]
#[test]
fn json_report_to_full_device() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_vaultgate"))
        .args(["verify", path(&stack_fixture()), "--format", "json"])
        .stdout(full)
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("cannot write to standard output: No space left on device"), "{}", stderr(&output));
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
}

/// Synthesizes the SSE-KMS example, lets `change` edit its template and
/// returns verify's JSON report of the result.
fn kms_report(change: impl FnOnce(&mut Value)) -> Value {
    let directory = tempfile::tempdir().unwrap();
    let template = directory.path().join("kms.json");
    let config = workspace_root().join("examples/kms-governance.toml");
    let synth = run(&["synth", "--config", path(&config), "--out", path(&template)]);
    assert_eq!(synth.status.code(), Some(0), "{}", stderr(&synth));
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(&template).unwrap()).unwrap();
    change(&mut value);
    std::fs::write(&template, serde_json::to_string(&value).unwrap()).unwrap();
    let output = run(&["verify", path(&template), "--format", "json"]);
    serde_json::from_str(&stdout(&output)).unwrap_or_else(|err| panic!("{err}: {}", stderr(&output)))
}

/// Returns the findings of a report with `code`, as (subject, message) pairs.
fn findings_with(report: &Value, code: &str) -> Vec<(String, String)> {
    let findings = report["findings"].as_array().unwrap();
    let matching = findings.iter().filter(|finding| finding["code"] == code);
    matching.map(|finding| (finding["subject"].as_str().unwrap().to_owned(), finding["message"].as_str().unwrap().to_owned())).collect()
}

/// Returns the logical ID of the first resource of `resource_type` whose ID starts with `prefix`.
fn resource_id(value: &Value, resource_type: &str, prefix: &str) -> String {
    let resources = value["Resources"].as_object().unwrap();
    let mut ids = resources.iter().filter(|(id, resource)| resource["Type"] == resource_type && id.starts_with(prefix)).map(|(id, _)| id.clone());
    ids.next().unwrap_or_else(|| panic!("no {resource_type} {prefix}*"))
}

#[test]
fn kms_example_has_no_key_findings() {
    let report = kms_report(|_| {});
    assert!(findings_with(&report, "kms-key-denies").is_empty(), "{}", report["findings"]);
    assert!(findings_with(&report, "kms-key-not-evaluated").is_empty(), "{}", report["findings"]);
    assert_eq!(report["passed"], true);
}

#[test]
fn kms_restore_without_decrypt_fails() {
    let report = kms_report(|value| {
        let role = resource_id(value, "AWS::IAM::Role", "BackupRestoreRole");
        let statements = value["Resources"][&role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].as_array_mut().unwrap();
        statements.retain(|statement| statement["Sid"] != "DecryptBackups");
    });
    let denied = findings_with(&report, "kms-key-denies");
    assert_eq!(denied.len(), 2, "GetObject and GetObjectVersion: {denied:?}");
    assert!(denied.iter().all(|(subject, _)| subject.starts_with("role:BackupRestoreRole")), "{denied:?}");
    assert!(denied[0].1.contains("kms:Decrypt"), "{}", denied[0].1);
    assert_eq!(report["passed"], false);
}

#[test]
fn kms_key_policy_without_account_fails() {
    let report = kms_report(|value| {
        let key = resource_id(value, "AWS::KMS::Key", "BackupBucketKey");
        value["Resources"][&key]["Properties"]["KeyPolicy"] = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/key-admin"}, "Action": "kms:*", "Resource": "*"}]
        });
    });
    let denied = findings_with(&report, "kms-key-denies");
    let subjects: Vec<&str> = denied.iter().map(|(subject, _)| subject.as_str()).collect();
    assert!(subjects.iter().any(|subject| subject.starts_with("BackupPrivateSubnet")), "the writer: {subjects:?}");
    assert!(subjects.iter().any(|subject| subject.starts_with("role:BackupRestoreRole")), "the restore role: {subjects:?}");
    assert!(denied.iter().all(|(_, message)| message.contains("enables IAM policies") || message.contains("enable IAM policies")), "{denied:?}");
}

#[test]
fn kms_key_policy_granting_roles_passes() {
    let report = kms_report(|value| {
        let key = resource_id(value, "AWS::KMS::Key", "BackupBucketKey");
        let writer = resource_id(value, "AWS::IAM::Role", "BackupBackupInstanceRole");
        let restore = resource_id(value, "AWS::IAM::Role", "BackupRestoreRole");
        value["Resources"][&key]["Properties"]["KeyPolicy"] = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": {"Fn::GetAtt": [writer, "Arn"]}}, "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"},
                {"Effect": "Allow", "Principal": {"AWS": {"Fn::GetAtt": [restore, "Arn"]}}, "Action": "kms:Decrypt", "Resource": "*"}
            ]
        });
    });
    let denied = findings_with(&report, "kms-key-denies");
    let subjects: Vec<&str> = denied.iter().map(|(subject, _)| subject.as_str()).collect();
    assert!(!subjects.iter().any(|subject| subject.starts_with("BackupPrivateSubnet") || subject.starts_with("role:")), "{denied:?}");
}

#[test]
fn kms_key_outside_template_warned() {
    let report = kms_report(|value| {
        let bucket = resource_id(value, "AWS::S3::Bucket", "BackupBucket");
        let default = &mut value["Resources"][&bucket]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"];
        default["KMSMasterKeyID"] = serde_json::json!("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    });
    let warned = findings_with(&report, "kms-key-not-evaluated");
    assert_eq!(warned.len(), 1, "{}", report["findings"]);
    assert!(warned[0].1.contains("1234abcd"), "{}", warned[0].1);
}

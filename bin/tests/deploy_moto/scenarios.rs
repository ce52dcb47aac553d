//! The scenarios: each runs the `vaultgate-deploy` binary against moto and
//! checks its exit status and report, then checks moto's state through the
//! SDK, never through the binary under test.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use aws_sdk_cloudformation::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cloudformation::types::StackStatus;
use serde_json::{json, Value as Json};

use crate::moto::Moto;

const PARAMETERS: [&str; 4] = ["--parameter", "KeyName=ops", "--parameter", "SshCidr=203.0.113.7/32"];

/// The exit status and output of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "unexpected exit status\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
        self
    }
}

/// Runs the binary with only test settings in the AWS environment:
/// inherited `AWS_*` variables are dropped, the shared config files point
/// nowhere, and `overrides` set (`Some`) or remove (`None`) variables last.
fn run(endpoint: &str, args: &[&str], overrides: &[(&str, Option<&str>)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vaultgate-deploy"));
    command.args(args).stdin(std::process::Stdio::null());
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_CONFIG_FILE", "/nonexistent/vaultgate-test/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/vaultgate-test/credentials")
        .env("AWS_ENDPOINT_URL", endpoint);
    for (name, value) in overrides {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let output = command.output().expect("cannot run vaultgate-deploy");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn deploy_tool(moto: &Moto, args: &[&str]) -> Run {
    run(&moto.url, args, &[])
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime").block_on(future)
}

fn cfn(moto: &Moto) -> aws_sdk_cloudformation::Client {
    let config = aws_sdk_cloudformation::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .endpoint_url(&moto.url)
        .build();
    aws_sdk_cloudformation::Client::from_conf(config)
}

fn s3(moto: &Moto) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "tests"))
        .endpoint_url(&moto.url)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Returns the newest live stack with this name, as (stack ID, status).
fn stack(moto: &Moto, name: &str) -> (String, StackStatus) {
    let output = block_on(cfn(moto).describe_stacks().stack_name(name).send()).expect("describe stacks");
    let stack = output.stacks().iter().filter(|s| s.stack_status() != Some(&StackStatus::DeleteComplete)).last().expect("a live stack");
    (stack.stack_id().unwrap().to_owned(), stack.stack_status().unwrap().clone())
}

fn deployed_template(moto: &Moto, stack_id: &str) -> String {
    let output = block_on(cfn(moto).get_template().stack_name(stack_id).send()).expect("get template");
    output.template_body().unwrap_or_default().to_owned()
}

/// Lists the change sets of one stack as (name, status). moto lists every
/// stack's change sets whatever the StackName, so they are filtered by ID.
fn change_sets(moto: &Moto, stack_id: &str) -> Vec<(String, String)> {
    let output = block_on(cfn(moto).list_change_sets().stack_name(stack_id).send()).expect("list change sets");
    output
        .summaries()
        .iter()
        .filter(|summary| summary.stack_id() == Some(stack_id))
        .map(|summary| (summary.change_set_name().unwrap_or_default().to_owned(), summary.status().map(|s| s.as_str().to_owned()).unwrap_or_default()))
        .collect()
}

fn physical_id(moto: &Moto, stack_id: &str, logical_id: &str) -> String {
    let output = block_on(cfn(moto).list_stack_resources().stack_name(stack_id).send()).expect("list stack resources");
    output
        .stack_resource_summaries()
        .iter()
        .find(|summary| summary.logical_resource_id() == Some(logical_id))
        .and_then(|summary| summary.physical_resource_id())
        .unwrap_or_else(|| panic!("no physical ID for {logical_id}"))
        .to_owned()
}

fn fixture() -> Json {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/backup-stack.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("fixture JSON")
}

/// Builds a stack of the backup bucket, its policy and a role, without
/// parameters, that moto can delete completely.
fn small_template() -> Json {
    let mut template = fixture();
    let resources = template["Resources"].as_object_mut().unwrap();
    resources.retain(|id, _| ["BackupBucket", "BackupBucketPolicy", "BackupInstanceRole"].contains(&id.as_str()));
    template["Resources"]["BackupBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]["Condition"] =
        json!({"StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}});
    template.as_object_mut().unwrap().remove("Parameters");
    template["Outputs"].as_object_mut().unwrap().remove("EndpointId");
    template
}

/// Builds the small template padded past the 51,200-byte inline limit.
fn large_template(padding: char) -> Json {
    let mut template = small_template();
    template["Metadata"] = json!({"Padding": padding.to_string().repeat(60_000)});
    template
}

fn write(directory: &tempfile::TempDir, name: &str, template: &Json) -> PathBuf {
    let path = directory.path().join(name);
    std::fs::write(&path, serde_json::to_string_pretty(template).unwrap()).expect("write template");
    path
}

fn with_bucket_name(mut template: Json) -> Json {
    template["Resources"]["BackupBucket"]["Properties"]["BucketName"] = json!("renamed-backups");
    template
}

pub fn create_stack_from_default_template(moto: &Moto) {
    let mut args = vec!["deploy", "--stack-name", "create-test", "--yes"];
    args.extend(PARAMETERS);
    let run = deploy_tool(moto, &args);

    run.expect_code(0);
    assert!(run.stdout.contains("(create) for stack create-test"), "{}", run.stdout);
    assert!(run.stdout.contains("Add     BackupBucket"), "{}", run.stdout);
    assert!(run.stdout.contains("Stack create-test is CREATE_COMPLETE."), "{}", run.stdout);
    // moto reports no outputs, and the report states that instead of staying silent.
    assert!(run.stdout.contains("Outputs:") || run.stdout.contains("CloudFormation returned no outputs, though the template declares"), "{}", run.stdout);
    let (stack_id, status) = stack(moto, "create-test");
    assert_eq!(status, StackStatus::CreateComplete);
    assert!(deployed_template(moto, &stack_id).contains("\"ObjectLockEnabled\": true"));
    let output = block_on(cfn(moto).list_stack_resources().stack_name(&stack_id).send()).expect("list stack resources");
    let buckets = output.stack_resource_summaries().iter().filter(|summary| summary.resource_type() == Some("AWS::S3::Bucket")).count();
    assert_eq!(buckets, 1, "the default stack has one bucket, the backup bucket");
}

pub fn update_of_mutable_property(moto: &Moto) {
    let directory = tempfile::tempdir().unwrap();
    let original = write(&directory, "original.json", &fixture());
    let mut changed = fixture();
    changed["Resources"]["Vpc"]["Properties"]["EnableDnsHostnames"] = json!(false);
    let changed = write(&directory, "changed.json", &changed);
    let mut args = vec!["deploy", "--stack-name", "update-test", "--yes", original.to_str().unwrap()];
    args.extend(PARAMETERS);
    deploy_tool(moto, &args).expect_code(0);

    // moto 5.2.6 fails an update that keeps an SSM-typed parameter through
    // UsePreviousValue (it looks the resolved AMI ID up as a parameter
    // name), so this update passes every parameter.
    let mut args = vec!["deploy", "--stack-name", "update-test", "--yes", changed.to_str().unwrap()];
    args.extend(PARAMETERS);
    args.extend(["--parameter", "LatestAmiId=/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"]);
    let run = deploy_tool(moto, &args);

    run.expect_code(0);
    assert!(run.stdout.contains("(update) for stack update-test"), "{}", run.stdout);
    assert!(run.stdout.contains("Modify  Vpc"), "{}", run.stdout);
    assert!(run.stdout.contains("Stack update-test is UPDATE_COMPLETE."), "{}", run.stdout);
    let (stack_id, status) = stack(moto, "update-test");
    assert_eq!(status, StackStatus::UpdateComplete);
    assert!(deployed_template(moto, &stack_id).contains("\"EnableDnsHostnames\": false"));
}

pub fn no_op_update_reports_no_changes(moto: &Moto) {
    let directory = tempfile::tempdir().unwrap();
    let template = write(&directory, "stack.json", &fixture());
    let mut args = vec!["deploy", "--stack-name", "noop-test", "--yes", template.to_str().unwrap()];
    args.extend(PARAMETERS);
    deploy_tool(moto, &args).expect_code(0);

    // Parameters left out keep their deployed values.
    let run = deploy_tool(moto, &["deploy", "--stack-name", "noop-test", "--yes", template.to_str().unwrap()]);

    run.expect_code(0);
    assert!(run.stdout.contains("No changes: stack noop-test already matches the template and parameters"), "{}", run.stdout);
    let (stack_id, status) = stack(moto, "noop-test");
    assert_eq!(status, StackStatus::CreateComplete);
    assert_eq!(change_sets(moto, &stack_id).len(), 1, "only the executed change set remains");
}

pub fn no_op_change_set_is_deleted(moto: &Moto) {
    // Without parameters moto computes a change set for an identical
    // template and marks it FAILED with CloudFormation's no-change reason.
    let directory = tempfile::tempdir().unwrap();
    let template = write(&directory, "small.json", &small_template());
    deploy_tool(moto, &["deploy", "--stack-name", "empty-test", "--yes", template.to_str().unwrap()]).expect_code(0);

    let run = deploy_tool(moto, &["deploy", "--stack-name", "empty-test", "--yes", template.to_str().unwrap()]);

    run.expect_code(0);
    assert!(run.stdout.contains("No changes: stack empty-test already matches the template and parameters. The empty change set is deleted."), "{}", run.stdout);
    let (stack_id, _) = stack(moto, "empty-test");
    let remaining = change_sets(moto, &stack_id);
    assert_eq!(remaining.len(), 1, "{remaining:?}");
    assert_ne!(remaining[0].1, "FAILED", "{remaining:?}");
}

pub fn bucket_replacement_is_refused(moto: &Moto) {
    let directory = tempfile::tempdir().unwrap();
    let original = write(&directory, "original.json", &fixture());
    let renamed = write(&directory, "renamed.json", &with_bucket_name(fixture()));
    let mut args = vec!["deploy", "--stack-name", "refuse-test", "--yes", original.to_str().unwrap()];
    args.extend(PARAMETERS);
    deploy_tool(moto, &args).expect_code(0);

    let run = deploy_tool(moto, &["deploy", "--stack-name", "refuse-test", "--yes", renamed.to_str().unwrap()]);

    // moto's change set leaves Replacement out, so the local prediction
    // from BucketName being create-only is what catches this.
    run.expect_code(3);
    assert!(
        run.stdout.contains("BackupBucket (AWS::S3::Bucket) would be replaced (local prediction: create-only BucketName changes)"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("--allow-replacement BackupBucket"), "{}", run.stderr);
    let (stack_id, status) = stack(moto, "refuse-test");
    assert_eq!(status, StackStatus::CreateComplete);
    assert!(!deployed_template(moto, &stack_id).contains("renamed-backups"));
    assert_eq!(change_sets(moto, &stack_id).len(), 1, "the refused change set is deleted");
}

pub fn dropping_retain_is_refused(moto: &Moto) {
    let directory = tempfile::tempdir().unwrap();
    let original = write(&directory, "original.json", &fixture());
    let mut unretained = fixture();
    unretained["Resources"]["BackupBucket"]["DeletionPolicy"] = json!("Delete");
    unretained["Resources"]["BackupBucket"]["UpdateReplacePolicy"] = json!("Delete");
    let unretained = write(&directory, "unretained.json", &unretained);
    let mut args = vec!["deploy", "--stack-name", "unprotect-test", "--yes", original.to_str().unwrap()];
    args.extend(PARAMETERS);
    deploy_tool(moto, &args).expect_code(0);

    let mut args = vec!["deploy", "--stack-name", "unprotect-test", "--yes", unretained.to_str().unwrap()];
    args.extend(PARAMETERS);
    args.extend(["--parameter", "LatestAmiId=/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"]);
    let run = deploy_tool(moto, &args);

    run.expect_code(3);
    assert!(
        run.stdout.contains("  - BackupBucket (AWS::S3::Bucket) would lose its protection (DeletionPolicy Retain -> Delete, UpdateReplacePolicy Retain -> Delete)"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("deploy again with --allow-unprotect BackupBucket"), "{}", run.stderr);
    let (stack_id, status) = stack(moto, "unprotect-test");
    assert_eq!(status, StackStatus::CreateComplete);
    let deployed: Json = serde_json::from_str(&deployed_template(moto, &stack_id)).expect("deployed template JSON");
    assert_eq!(deployed["Resources"]["BackupBucket"]["DeletionPolicy"], json!("Retain"));
    assert_eq!(change_sets(moto, &stack_id).len(), 1, "the refused change set is deleted");
}

pub fn failed_execution_is_reported(moto: &Moto) {
    let directory = tempfile::tempdir().unwrap();
    let mut broken = small_template();
    broken["Resources"]["Broken"] = json!({"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": "vpc-0000000000000dead", "CidrBlock": "10.9.0.0/24"}});
    let broken = write(&directory, "broken.json", &broken);
    let valid = write(&directory, "valid.json", &small_template());

    let run = deploy_tool(moto, &["deploy", "--stack-name", "fail-test", "--yes", "--timeout", "60", broken.to_str().unwrap()]);

    run.expect_code(1);
    assert!(run.stderr.contains("executing the change set failed: InvalidVpcID.NotFound"), "{}", run.stderr);
    assert!(run.stdout.contains("ExecuteChangeSet failed; stack fail-test is REVIEW_IN_PROGRESS"), "{}", run.stdout);
    let watch = deploy_tool(moto, &["watch", "--stack-name", "fail-test", "--timeout", "60"]);
    watch.expect_code(0);
    assert!(watch.stdout.contains("REVIEW_IN_PROGRESS: it only holds change sets"), "{}", watch.stdout);
    let retry = deploy_tool(moto, &["deploy", "--stack-name", "fail-test", "--yes", "--timeout", "60", valid.to_str().unwrap()]);
    retry.expect_code(0);
    assert!(retry.stdout.contains("Stack fail-test is CREATE_COMPLETE."), "{}", retry.stdout);
}

pub fn destroy_keeps_retained_bucket(moto: &Moto) {
    let directory = tempfile::tempdir().unwrap();
    let template = write(&directory, "small.json", &small_template());
    deploy_tool(moto, &["deploy", "--stack-name", "destroy-test", "--yes", template.to_str().unwrap()]).expect_code(0);
    let (stack_id, _) = stack(moto, "destroy-test");
    let bucket = physical_id(moto, &stack_id, "BackupBucket");

    let run = deploy_tool(moto, &["destroy", "--stack-name", "destroy-test", "--yes"]);

    run.expect_code(0);
    let remaining = run.stdout.split("Retained resources that remain:\n").nth(1).unwrap_or_else(|| panic!("{}", run.stdout));
    let first = remaining.lines().next().unwrap();
    assert!(first.starts_with(&format!("  - {bucket} (BackupBucket, AWS::S3::Bucket) [still exists]: the backup bucket")), "{}", run.stdout);
    block_on(s3(moto).head_bucket().bucket(&bucket).send()).expect("the retained bucket still exists");
    let described = block_on(cfn(moto).describe_stacks().stack_name(&stack_id).send()).expect("describe by ID");
    assert_eq!(described.stacks()[0].stack_status(), Some(&StackStatus::DeleteComplete));
}

pub fn destroy_needs_flag_for_unretained_bucket(moto: &Moto) {
    let directory = tempfile::tempdir().unwrap();
    let mut unretained = small_template();
    unretained["Resources"]["BackupBucket"]["DeletionPolicy"] = json!("Delete");
    unretained["Resources"]["BackupBucket"]["UpdateReplacePolicy"] = json!("Delete");
    let template = write(&directory, "unretained.json", &unretained);
    let created = deploy_tool(moto, &["deploy", "--stack-name", "unretained-test", "--yes", template.to_str().unwrap()]);
    created.expect_code(0);
    assert!(created.stdout.contains("WARNING: bucket BackupBucket has Object Lock but DeletionPolicy Delete"), "{}", created.stdout);
    let (stack_id, _) = stack(moto, "unretained-test");
    let bucket = physical_id(moto, &stack_id, "BackupBucket");

    let refused = deploy_tool(moto, &["destroy", "--stack-name", "unretained-test", "--yes"]);

    refused.expect_code(3);
    assert!(refused.stdout.contains(&format!("  - {bucket} (BackupBucket, AWS::S3::Bucket, Object Lock): DeletionPolicy Delete")), "{}", refused.stdout);
    assert!(refused.stderr.contains("destroy again with --delete-bucket BackupBucket"), "{}", refused.stderr);
    assert_eq!(stack(moto, "unretained-test").1, StackStatus::CreateComplete);
    block_on(s3(moto).head_bucket().bucket(&bucket).send()).expect("the bucket still exists");

    let allowed = deploy_tool(moto, &["destroy", "--stack-name", "unretained-test", "--yes", "--delete-bucket", "BackupBucket"]);

    allowed.expect_code(0);
    assert!(allowed.stdout.contains(&format!("WARNING: --delete-bucket BackupBucket: deleting stack unretained-test deletes bucket {bucket}")), "{}", allowed.stdout);
    let described = block_on(cfn(moto).describe_stacks().stack_name(&stack_id).send()).expect("describe by ID");
    assert_eq!(described.stacks()[0].stack_status(), Some(&StackStatus::DeleteComplete));
}

pub fn destroy_reports_failed_delete(moto: &Moto) {
    let mut args = vec!["deploy", "--stack-name", "destroy-full", "--yes"];
    args.extend(PARAMETERS);
    deploy_tool(moto, &args).expect_code(0);

    let run = deploy_tool(moto, &["destroy", "--stack-name", "destroy-full", "--yes"]);

    // moto 5.2.6 cannot delete the VPC endpoint and route tables it
    // created, so its DeleteStack fails; the error names the cause.
    run.expect_code(1);
    assert!(run.stdout.contains(", AWS::S3::Bucket): the backup bucket"), "{}", run.stdout);
    assert!(run.stderr.contains("deleting stack destroy-full failed: DependencyViolation"), "{}", run.stderr);
}

pub fn large_template_goes_through_bucket(moto: &Moto) {
    let directory = tempfile::tempdir().unwrap();
    let first = write(&directory, "large.json", &large_template('a'));
    let second = write(&directory, "large2.json", &large_template('b'));
    block_on(s3(moto).create_bucket().bucket("vaultgate-templates").send()).expect("create template bucket");

    let run = deploy_tool(moto, &["deploy", "--stack-name", "large-test", "--yes", "--template-bucket", "vaultgate-templates", first.to_str().unwrap()]);

    run.expect_code(0);
    assert!(run.stdout.contains("-byte template to s3://vaultgate-templates/vaultgate/large-test/"), "{}", run.stdout);
    let listed = block_on(s3(moto).list_objects_v2().bucket("vaultgate-templates").prefix("vaultgate/large-test/").send()).expect("list");
    assert_eq!(listed.contents().len(), 1);
    let (stack_id, status) = stack(moto, "large-test");
    assert_eq!(status, StackStatus::CreateComplete);

    let backup_bucket = physical_id(moto, &stack_id, "BackupBucket");
    let refused = deploy_tool(moto, &["deploy", "--stack-name", "large-test", "--yes", "--template-bucket", &backup_bucket, second.to_str().unwrap()]);
    refused.expect_code(3);
    assert!(refused.stderr.contains(&format!("--template-bucket {backup_bucket} is the backup bucket")), "{}", refused.stderr);
}

pub fn large_template_needs_bucket(moto: &Moto) {
    let directory = tempfile::tempdir().unwrap();
    let large = write(&directory, "large.json", &large_template('a'));

    let run = deploy_tool(moto, &["deploy", "--stack-name", "large-test", "--yes", large.to_str().unwrap()]);

    run.expect_code(1);
    assert!(run.stderr.contains("over CloudFormation's 51200-byte limit for inline templates; pass --template-bucket BUCKET"), "{}", run.stderr);
}

pub fn diff_marks_replacement(moto: &Moto) {
    let directory = tempfile::tempdir().unwrap();
    let original = write(&directory, "original.json", &fixture());
    let renamed = write(&directory, "renamed.json", &with_bucket_name(fixture()));
    let mut args = vec!["deploy", "--stack-name", "diff-test", "--yes", original.to_str().unwrap()];
    args.extend(PARAMETERS);
    deploy_tool(moto, &args).expect_code(0);

    let run = deploy_tool(moto, &["diff", "--stack-name", "diff-test", renamed.to_str().unwrap()]);

    run.expect_code(0);
    assert!(run.stdout.contains("~ BackupBucket (AWS::S3::Bucket)  [replacement]\n"), "{}", run.stdout);
    assert!(run.stdout.contains("Properties.BucketName: (absent) -> \"renamed-backups\"  (create-only: replaces the resource)"), "{}", run.stdout);
    assert!(run.stdout.contains("Access to the backup bucket: no broadening found."), "{}", run.stdout);
}

fn small_template_file(directory: &tempfile::TempDir) -> String {
    write(directory, "small.json", &small_template()).to_str().unwrap().to_owned()
}

pub fn missing_region_is_named(moto: &Moto) {
    let directory = tempfile::tempdir().unwrap();
    let template = small_template_file(&directory);

    let run = run(&moto.url, &["deploy", "--stack-name", "region-test", "--yes", &template], &[("AWS_REGION", None)]);

    run.expect_code(1);
    assert!(run.stderr.contains("no AWS region is set: pass --region, set AWS_REGION, or set `region` for"), "{}", run.stderr);
}

pub fn missing_credentials_are_named(moto: &Moto) {
    let directory = tempfile::tempdir().unwrap();
    let template = small_template_file(&directory);

    let run = run(&moto.url, &["deploy", "--stack-name", "credentials-test", "--yes", &template], &[("AWS_ACCESS_KEY_ID", None), ("AWS_SECRET_ACCESS_KEY", None)]);

    run.expect_code(1);
    let first_line = run.stderr.lines().next().unwrap_or_default();
    assert!(
        first_line.starts_with("error: no usable AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or set AWS_PROFILE (or pass --profile)"),
        "the message leads with what to set: {}",
        run.stderr
    );
    assert!(run.stderr.contains("The SDK's credential chain reported: "), "{}", run.stderr);
    assert!(run.stderr.contains("Environment: the credential provider was not enabled"), "the causes are shown: {}", run.stderr);
    assert!(!run.stderr.contains("CredentialsNotLoaded("), "no Debug dump: {}", run.stderr);
    assert!(run.stderr.len() < 1000, "{} bytes: {}", run.stderr.len(), run.stderr);
}

pub fn unreachable_endpoint_shows_cause(_moto: &Moto) {
    let directory = tempfile::tempdir().unwrap();
    let template = small_template_file(&directory);
    let closed_port = TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).unwrap().port();

    let run = run(&format!("http://127.0.0.1:{closed_port}"), &["deploy", "--stack-name", "offline-test", "--yes", &template], &[]);

    run.expect_code(1);
    assert!(run.stderr.contains("describing stack offline-test failed: dispatch failure"), "{}", run.stderr);
    assert!(run.stderr.contains("Connection refused"), "the cause behind the dispatch failure is shown: {}", run.stderr);
    assert!(!run.stderr.contains("DispatchFailure("), "no Debug dump: {}", run.stderr);
}

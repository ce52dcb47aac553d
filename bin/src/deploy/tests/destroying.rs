//! Destroy: a stack whose deletion would delete a bucket is refused unless
//! `--delete-bucket` names the bucket, and a retained bucket needs nothing.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_cloudformation::operation::delete_stack::DeleteStackOutput;
use aws_sdk_cloudformation::operation::get_template::GetTemplateOutput;
use aws_sdk_cloudformation::operation::list_stack_resources::ListStackResourcesOutput;
use aws_sdk_cloudformation::types::{ResourceStatus, StackResourceSummary, StackStatus};
use aws_sdk_cloudformation::Client;
use aws_smithy_mocks::{mock, Rule};

use super::*;
use crate::deploy::destroy::destroy;
use crate::deploy::{DeployError, Outcome};

const BUCKET: &str = "backups-backupbucket-1x2y3z";

/// The fixture with the backup bucket's `DeletionPolicy` set to `Delete`.
fn unretained_template() -> String {
    let mut template: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    template["Resources"]["BackupBucket"]["DeletionPolicy"] = serde_json::json!("Delete");
    serde_json::to_string(&template).unwrap()
}

fn summary(logical_id: &str, physical_id: &str, resource_type: &str) -> StackResourceSummary {
    StackResourceSummary::builder()
        .logical_resource_id(logical_id)
        .physical_resource_id(physical_id)
        .resource_type(resource_type)
        .resource_status(ResourceStatus::CreateComplete)
        .build()
}

/// Rules for a stack in CREATE_COMPLETE whose template is `template` and
/// whose deletion completes, followed by the DeleteStack rule.
fn destroy_rules(template: String) -> (Vec<Rule>, Rule) {
    let rules = vec![
        mock!(Client::describe_stacks)
            .match_requests(|request| request.stack_name() == Some(NAME))
            .then_output(|| stacks(STACK_ID, StackStatus::CreateComplete)),
        stack_status_rule(STACK_ID, vec![StackStatus::DeleteComplete]),
        events_rule(
            STACK_ID,
            vec![vec![stack_event(STACK_ID, 0, "CREATE_COMPLETE", None)], vec![stack_event(STACK_ID, 5, "DELETE_COMPLETE", None), stack_event(STACK_ID, 0, "CREATE_COMPLETE", None)]],
        ),
        mock!(Client::get_template)
            .match_requests(|request| request.stack_name() == Some(STACK_ID))
            .then_output(move || GetTemplateOutput::builder().template_body(template.clone()).build()),
        mock!(Client::list_stack_resources).match_requests(|request| request.stack_name() == Some(STACK_ID)).then_output(|| {
            ListStackResourcesOutput::builder()
                .stack_resource_summaries(summary("Vpc", "vpc-0abc", "AWS::EC2::VPC"))
                .stack_resource_summaries(summary("BackupBucket", BUCKET, "AWS::S3::Bucket"))
                .build()
        }),
    ];
    let delete = mock!(Client::delete_stack).match_requests(|request| request.stack_name() == Some(STACK_ID)).then_output(|| DeleteStackOutput::builder().build());
    (rules, delete)
}

#[tokio::test]
async fn unretained_bucket_is_refused() {
    let (mut rules, delete) = destroy_rules(unretained_template());
    rules.push(delete.clone());
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());

    let error = destroy(&context, NAME, true, Duration::from_secs(10), &BTreeSet::new()).await.unwrap_err();

    let DeployError::Refused(message) = error else { panic!("expected a refusal, got {error}") };
    assert!(message.ends_with("destroy again with --delete-bucket BackupBucket"), "{message}");
    let printed = text(&output);
    assert!(printed.contains("Refused: deleting stack Backups would delete these buckets, which no DeletionPolicy keeps:"), "{printed}");
    assert!(printed.contains(&format!("  - {BUCKET} (BackupBucket, AWS::S3::Bucket, Object Lock): DeletionPolicy Delete")), "{printed}");
    assert_eq!(delete.num_calls(), 0);
}

#[tokio::test]
async fn named_bucket_is_deleted() {
    let (mut rules, delete) = destroy_rules(unretained_template());
    rules.push(delete.clone());
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());
    let named = BTreeSet::from(["BackupBucket".to_owned(), "Nope".to_owned()]);

    let outcome = destroy(&context, NAME, true, Duration::from_secs(10), &named).await.unwrap();

    assert_eq!(outcome, Outcome::Succeeded, "{}", text(&output));
    assert_eq!(delete.num_calls(), 1);
    let printed = text(&output);
    assert!(printed.contains(&format!("WARNING: --delete-bucket BackupBucket: deleting stack Backups deletes bucket {BUCKET} and every object in it")), "{printed}");
    assert!(printed.contains("warning: --delete-bucket Nope matches no bucket"), "{printed}");
}

/// Builds an S3 client whose HeadBucket finds every bucket, for the check of
/// retained buckets after a deletion.
fn s3_finding_buckets() -> aws_sdk_s3::Client {
    let head = mock!(aws_sdk_s3::Client::head_bucket).then_output(|| aws_sdk_s3::operation::head_bucket::HeadBucketOutput::builder().build());
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "tests"))
        .http_client(aws_smithy_mocks::create_mock_http_client())
        .interceptor(aws_smithy_mocks::MockResponseInterceptor::new().with_rule(&head))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

#[tokio::test]
async fn retained_bucket_needs_no_flag() {
    let (mut rules, delete) = destroy_rules(FIXTURE.to_owned());
    rules.push(delete.clone());
    let (mut context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());
    context.s3 = s3_finding_buckets();

    let outcome = destroy(&context, NAME, true, Duration::from_secs(10), &BTreeSet::new()).await.unwrap();

    assert_eq!(outcome, Outcome::Succeeded, "{}", text(&output));
    assert_eq!(delete.num_calls(), 1);
    let printed = text(&output);
    assert!(printed.contains(&format!("  - {BUCKET} (BackupBucket, AWS::S3::Bucket) [still exists]: the backup bucket")), "{printed}");
    assert!(!printed.contains("WARNING"), "{printed}");
}

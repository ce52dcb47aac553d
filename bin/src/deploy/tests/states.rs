//! Stack states before planning: a failed create (ROLLBACK_COMPLETE), a
//! failed update rollback (UPDATE_ROLLBACK_FAILED), and an operation that
//! is still running.

use aws_sdk_cloudformation::operation::continue_update_rollback::ContinueUpdateRollbackOutput;
use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_stack::DeleteStackOutput;
use aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput;
use aws_sdk_cloudformation::operation::get_template::GetTemplateOutput;
use aws_sdk_cloudformation::operation::list_stack_resources::ListStackResourcesOutput;
use aws_sdk_cloudformation::types::{ChangeAction, Replacement, ResourceStatus, StackResourceSummary, StackStatus};
use aws_sdk_cloudformation::Client;
use aws_smithy_mocks::{mock, Rule};

use super::*;
use crate::deploy::deploy::deploy;
use crate::deploy::{DeployError, Outcome};

/// The history of a create that failed on the bucket and rolled back,
/// newest first, as CloudFormation reports it.
fn failed_create_history() -> Vec<aws_sdk_cloudformation::types::StackEvent> {
    vec![
        stack_event(STACK_ID, 9, "ROLLBACK_COMPLETE", None),
        event(STACK_ID, 8, "BackupBucket", "AWS::S3::Bucket", "DELETE_SKIPPED", None),
        event(STACK_ID, 7, "Vpc", "AWS::EC2::VPC", "DELETE_COMPLETE", None),
        stack_event(STACK_ID, 6, "ROLLBACK_IN_PROGRESS", Some("The following resource(s) failed to create: [BackupBucketPolicy]. Rollback requested by user.")),
        event(STACK_ID, 5, "BackupBucketPolicy", "AWS::S3::BucketPolicy", "CREATE_FAILED", Some("Resource handler returned message: \"Policy has invalid resource\" (Service: S3, Status Code: 400)")),
        event(STACK_ID, 4, "BackupBucket", "AWS::S3::Bucket", "CREATE_COMPLETE", None),
        event(STACK_ID, 3, "Vpc", "AWS::EC2::VPC", "CREATE_COMPLETE", None),
        stack_event(STACK_ID, 1, "CREATE_IN_PROGRESS", Some("User Initiated")),
    ]
}

fn failed_stack_rules() -> Vec<Rule> {
    vec![
        mock!(Client::get_template)
            .match_requests(|request| request.stack_name() == Some(STACK_ID))
            .then_output(|| GetTemplateOutput::builder().template_body(FIXTURE).build()),
        mock!(Client::list_stack_resources).match_requests(|request| request.stack_name() == Some(STACK_ID)).then_output(|| {
            ListStackResourcesOutput::builder()
                .stack_resource_summaries(
                    StackResourceSummary::builder()
                        .logical_resource_id("Vpc")
                        .physical_resource_id("vpc-0abc")
                        .resource_type("AWS::EC2::VPC")
                        .resource_status(ResourceStatus::DeleteComplete)
                        .build(),
                )
                .stack_resource_summaries(
                    StackResourceSummary::builder()
                        .logical_resource_id("BackupBucket")
                        .physical_resource_id("backups-bucket-abc")
                        .resource_type("AWS::S3::Bucket")
                        .resource_status(ResourceStatus::DeleteSkipped)
                        .build(),
                )
                .build()
        }),
    ]
}

#[tokio::test]
async fn rollback_complete_is_refused_without_flag() {
    let mut rules = failed_stack_rules();
    rules.push(mock!(Client::describe_stacks).match_requests(|r| r.stack_name() == Some(NAME)).then_output(|| stacks(STACK_ID, StackStatus::RollbackComplete)));
    rules.push(events_rule(STACK_ID, vec![failed_create_history()]));
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());

    let error = deploy(&context, &config(), &fixture()).await.unwrap_err();

    let DeployError::Refused(message) = error else { panic!("expected a refusal, got {error}") };
    assert!(message.contains("pass --replace-failed-stack"), "{message}");
    assert!(message.contains("backups-bucket-abc (BackupBucket)"), "{message}");
    let printed = text(&output);
    assert!(printed.contains("cannot be updated: its creation failed and was rolled back (ROLLBACK_COMPLETE)"), "{printed}");
    assert!(printed.contains("BackupBucketPolicy (AWS::S3::BucketPolicy) CREATE_FAILED: Resource handler returned message: \"Policy has invalid resource\""), "{printed}");
}

#[tokio::test]
async fn rollback_complete_is_replaced_with_flag() {
    let mut rules = failed_stack_rules();
    rules.push(
        mock!(Client::describe_stacks)
            .match_requests(|r| r.stack_name() == Some(NAME))
            .sequence()
            .output(|| stacks(STACK_ID, StackStatus::RollbackComplete))
            .error(missing_stack)
            .build(),
    );
    let mut deleted_history = failed_create_history();
    deleted_history.insert(0, stack_event(STACK_ID, 11, "DELETE_COMPLETE", None));
    deleted_history.insert(1, stack_event(STACK_ID, 10, "DELETE_IN_PROGRESS", Some("User Initiated")));
    rules.push(events_rule(STACK_ID, vec![failed_create_history(), failed_create_history(), deleted_history]));
    rules.push(stack_status_rule(STACK_ID, vec![StackStatus::DeleteComplete]));
    let delete = mock!(Client::delete_stack).match_requests(|r| r.stack_name() == Some(STACK_ID)).then_output(|| DeleteStackOutput::builder().build());
    rules.push(delete.clone());
    rules.push(
        mock!(Client::create_change_set)
            .match_requests(|r| r.stack_name() == Some(NAME) && r.change_set_type() == Some(&aws_sdk_cloudformation::types::ChangeSetType::Create))
            .then_output(|| CreateChangeSetOutput::builder().id(CHANGE_SET_ID).stack_id(NEW_STACK_ID).build()),
    );
    rules.push(mock!(Client::describe_change_set).then_output(|| ready_change_set(vec![resource_change(ChangeAction::Add, "BackupBucket", "AWS::S3::Bucket", None)])));
    rules.push(mock!(Client::execute_change_set).then_output(|| ExecuteChangeSetOutput::builder().build()));
    rules.push(events_rule(NEW_STACK_ID, vec![vec![stack_event(NEW_STACK_ID, 20, "REVIEW_IN_PROGRESS", None)]]));
    rules.push(stack_status_rule(NEW_STACK_ID, vec![StackStatus::CreateInProgress, StackStatus::CreateComplete]));
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());
    let mut settings = config();
    settings.replace_failed_stack = true;

    let outcome = deploy(&context, &settings, &fixture()).await.unwrap();

    let printed = text(&output);
    assert_eq!(outcome, Outcome::Succeeded, "{printed}");
    assert_eq!(delete.num_calls(), 1);
    assert!(printed.contains("leaves these resources behind"), "{printed}");
    assert!(printed.contains("  - backups-bucket-abc (BackupBucket, AWS::S3::Bucket): the backup bucket"), "{printed}");
    assert!(printed.contains("Stack Backups is CREATE_COMPLETE."), "{printed}");
}

#[tokio::test]
async fn retained_bucket_name_clash_is_refused() {
    let mut rules = failed_stack_rules();
    rules.push(mock!(Client::describe_stacks).match_requests(|r| r.stack_name() == Some(NAME)).then_output(|| stacks(STACK_ID, StackStatus::RollbackComplete)));
    rules.push(events_rule(STACK_ID, vec![failed_create_history()]));
    let (context, _) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());
    let mut settings = config();
    settings.replace_failed_stack = true;
    let mut loaded = fixture();
    loaded.template.resources["BackupBucket"].properties.insert("BucketName".into(), "backups-bucket-abc".into());

    let error = deploy(&context, &settings, &loaded).await.unwrap_err();

    assert!(matches!(error, DeployError::Refused(ref m) if m.contains("names bucket backups-bucket-abc")), "{error}");
}

fn rollback_failed_history() -> Vec<aws_sdk_cloudformation::types::StackEvent> {
    vec![
        stack_event(STACK_ID, 9, "UPDATE_ROLLBACK_FAILED", Some("The following resource(s) failed to update: [Bastion].")),
        event(STACK_ID, 8, "Bastion", "AWS::EC2::Instance", "UPDATE_FAILED", Some("Resource handler returned message: \"The instance ID 'i-0abc' does not exist\"")),
        stack_event(STACK_ID, 5, "UPDATE_ROLLBACK_IN_PROGRESS", Some("The following resource(s) failed to update: [Bastion].")),
    ]
}

#[tokio::test]
async fn update_rollback_failed_continues_with_yes() {
    let mut rules = vec![
        mock!(Client::describe_stacks)
            .match_requests(|r| r.stack_name() == Some(NAME))
            .sequence()
            .output(|| stacks(STACK_ID, StackStatus::UpdateRollbackFailed))
            .output(|| stacks(STACK_ID, StackStatus::UpdateRollbackComplete))
            .build(),
        events_rule(STACK_ID, vec![rollback_failed_history()]),
        stack_status_rule(STACK_ID, vec![StackStatus::UpdateRollbackComplete, StackStatus::UpdateComplete]),
    ];
    let resume = mock!(Client::continue_update_rollback)
        .match_requests(|r| r.stack_name() == Some(STACK_ID))
        .then_output(|| ContinueUpdateRollbackOutput::builder().build());
    rules.push(resume.clone());
    rules.extend(update_planning_rules(vec![resource_change(ChangeAction::Modify, "Bastion", "AWS::EC2::Instance", Some(Replacement::False))]));
    let execute = rules.last().unwrap().clone();
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());

    let outcome = deploy(&context, &config(), &fixture()).await.unwrap();

    let printed = text(&output);
    assert_eq!(outcome, Outcome::Succeeded, "{printed}");
    assert_eq!(resume.num_calls(), 1);
    assert_eq!(execute.num_calls(), 1);
    assert!(printed.contains("Bastion (AWS::EC2::Instance) UPDATE_FAILED: Resource handler returned message"), "{printed}");
    assert!(printed.contains("Stack Backups is UPDATE_ROLLBACK_COMPLETE; deploying."), "{printed}");
}

#[tokio::test]
async fn update_rollback_failed_needs_confirmation() {
    let rules = vec![
        mock!(Client::describe_stacks).match_requests(|r| r.stack_name() == Some(NAME)).then_output(|| stacks(STACK_ID, StackStatus::UpdateRollbackFailed)),
        events_rule(STACK_ID, vec![rollback_failed_history()]),
    ];
    let (context, _) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());
    let mut settings = config();
    settings.yes = false;

    let error = deploy(&context, &settings, &fixture()).await.unwrap_err();

    let DeployError::Refused(message) = error else { panic!("expected a refusal, got {error}") };
    assert!(message.contains("Continue the update rollback of stack Backups"), "{message}");
    assert!(message.contains("pass --yes"), "{message}");
}

#[tokio::test]
async fn running_update_is_waited_for() {
    let mut rules = vec![
        mock!(Client::describe_stacks)
            .match_requests(|r| r.stack_name() == Some(NAME))
            .sequence()
            .output(|| stacks(STACK_ID, StackStatus::UpdateInProgress))
            .output(|| stacks(STACK_ID, StackStatus::UpdateComplete))
            .build(),
        events_rule(STACK_ID, vec![vec![stack_event(STACK_ID, 1, "UPDATE_IN_PROGRESS", Some("User Initiated"))]]),
        stack_status_rule(STACK_ID, vec![StackStatus::UpdateInProgress, StackStatus::UpdateComplete]),
    ];
    rules.extend(update_planning_rules(vec![resource_change(ChangeAction::Modify, "Bastion", "AWS::EC2::Instance", Some(Replacement::False))]));
    let create = rules[4].clone();
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());

    let outcome = deploy(&context, &config(), &fixture()).await.unwrap();

    assert_eq!(outcome, Outcome::Succeeded, "{}", text(&output));
    assert_eq!(create.num_calls(), 1);
    assert!(text(&output).starts_with("Stack Backups is UPDATE_IN_PROGRESS: waiting for that operation to finish"), "{}", text(&output));
}

#[tokio::test]
async fn running_update_past_timeout_is_not_raced() {
    let rules = vec![
        mock!(Client::describe_stacks).match_requests(|r| r.stack_name() == Some(NAME)).then_output(|| stacks(STACK_ID, StackStatus::UpdateInProgress)),
        events_rule(STACK_ID, vec![vec![stack_event(STACK_ID, 1, "UPDATE_IN_PROGRESS", Some("User Initiated"))]]),
        stack_status_rule(STACK_ID, vec![StackStatus::UpdateInProgress]),
    ];
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());
    let mut settings = config();
    settings.timeout = std::time::Duration::from_millis(20);

    let outcome = deploy(&context, &settings, &fixture()).await.unwrap();

    assert_eq!(outcome, Outcome::TimedOut);
    assert!(text(&output).contains("Timed out: stack Backups is still UPDATE_IN_PROGRESS; nothing was deployed."), "{}", text(&output));
}

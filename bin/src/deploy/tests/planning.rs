//! Planning: no-change change sets, change-set replacements of protected
//! resources, access broadening, and declining a new stack's change set.

use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_change_set::DeleteChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_stack::DeleteStackOutput;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::types::{ChangeAction, ChangeSetStatus, ExecutionStatus, Replacement, RequiresRecreation, ResourceAttribute};
use aws_sdk_cloudformation::types::{Change, ChangeType, ResourceChange, ResourceChangeDetail, ResourceTargetDefinition, StackStatus};
use aws_sdk_cloudformation::Client;
use aws_smithy_mocks::{mock, Rule};

use super::*;
use crate::deploy::deploy::deploy;
use crate::deploy::{DeployError, Outcome};

fn delete_change_set_rule() -> Rule {
    mock!(Client::delete_change_set)
        .match_requests(|request| request.change_set_name() == Some(CHANGE_SET_ID))
        .then_output(|| DeleteChangeSetOutput::builder().build())
}

fn existing_stack_rules() -> Vec<Rule> {
    vec![
        mock!(Client::describe_stacks)
            .match_requests(|request| request.stack_name() == Some(NAME))
            .sequence()
            .output(|| stacks(STACK_ID, StackStatus::CreateComplete))
            .build(),
        stack_status_rule(STACK_ID, vec![StackStatus::UpdateComplete]),
        events_rule(STACK_ID, vec![vec![stack_event(STACK_ID, 0, "CREATE_COMPLETE", None)]]),
    ]
}

/// The change set CloudFormation computes for a new `BucketName`.
fn bucket_replacement() -> Change {
    let target = ResourceTargetDefinition::builder()
        .attribute(ResourceAttribute::Properties)
        .name("BucketName")
        .requires_recreation(RequiresRecreation::Always)
        .build();
    let change = ResourceChange::builder()
        .action(ChangeAction::Modify)
        .logical_resource_id("BackupBucket")
        .physical_resource_id("backups-bucket-abc")
        .resource_type("AWS::S3::Bucket")
        .replacement(Replacement::True)
        .details(ResourceChangeDetail::builder().target(target).build())
        .build();
    Change::builder().r#type(ChangeType::Resource).resource_change(change).build()
}

#[tokio::test]
async fn empty_change_set_is_deleted() {
    let mut rules = existing_stack_rules();
    rules.push(
        mock!(Client::get_template)
            .then_output(|| aws_sdk_cloudformation::operation::get_template::GetTemplateOutput::builder().template_body(FIXTURE).build()),
    );
    rules.push(mock!(Client::create_change_set).then_output(|| CreateChangeSetOutput::builder().id(CHANGE_SET_ID).stack_id(STACK_ID).build()));
    rules.push(mock!(Client::describe_change_set).then_output(|| {
        DescribeChangeSetOutput::builder()
            .change_set_id(CHANGE_SET_ID)
            .status(ChangeSetStatus::Failed)
            .execution_status(ExecutionStatus::Unavailable)
            .status_reason("The submitted information didn't contain changes. Submit different information to create a change set.")
            .build()
    }));
    let delete = delete_change_set_rule();
    rules.push(delete.clone());
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());

    let outcome = deploy(&context, &config(), &fixture()).await.unwrap();

    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(delete.num_calls(), 1);
    assert!(text(&output).contains("No changes: stack Backups already matches"), "{}", text(&output));
}

#[tokio::test]
async fn change_set_bucket_replacement_is_refused() {
    let mut rules = existing_stack_rules();
    rules.extend(update_planning_rules(vec![bucket_replacement()]));
    let execute = rules.pop().unwrap();
    let delete = delete_change_set_rule();
    rules.push(delete.clone());
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());

    let error = deploy(&context, &config(), &fixture()).await.unwrap_err();

    let DeployError::Refused(message) = error else { panic!("expected a refusal, got {error}") };
    assert!(message.contains("--allow-replacement BackupBucket"), "{message}");
    let printed = text(&output);
    assert!(printed.contains("Modify  BackupBucket"), "{printed}");
    assert!(printed.contains("BackupBucket (AWS::S3::Bucket) would be replaced (change set: Replacement True)"), "{printed}");
    assert_eq!(delete.num_calls(), 1);
    assert_eq!(execute.num_calls(), 0);
}

#[tokio::test]
async fn allowed_bucket_replacement_executes() {
    let mut rules = existing_stack_rules();
    rules.extend(update_planning_rules(vec![bucket_replacement()]));
    let execute = rules.last().unwrap().clone();
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());
    let mut settings = config();
    settings.allow_replacement.insert("BackupBucket".to_owned());

    let outcome = deploy(&context, &settings, &fixture()).await.unwrap();

    assert_eq!(outcome, Outcome::Succeeded, "{}", text(&output));
    assert_eq!(execute.num_calls(), 1);
    assert!(text(&output).contains("allowed by --allow-replacement: BackupBucket"), "{}", text(&output));
}

#[tokio::test]
async fn broadening_needs_approval_despite_yes() {
    let mut rules = existing_stack_rules();
    rules.extend(update_planning_rules(vec![resource_change(ChangeAction::Modify, "BackupBucketPolicy", "AWS::S3::BucketPolicy", Some(Replacement::False))]));
    let execute = rules.pop().unwrap();
    let delete = delete_change_set_rule();
    rules.push(delete.clone());
    let (mut context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());
    context.access_check = ALWAYS_BROADENS;

    let error = deploy(&context, &config(), &fixture()).await.unwrap_err();

    let DeployError::Refused(message) = error else { panic!("expected a refusal, got {error}") };
    assert!(message.contains("--require-approval never"), "{message}");
    assert!(text(&output).contains("broadens access to the backup bucket:\n  - s3:DeleteObject"), "{}", text(&output));
    assert_eq!(delete.num_calls(), 1);
    assert_eq!(execute.num_calls(), 0);
}

#[tokio::test]
async fn broadening_approved_by_never() {
    let mut rules = existing_stack_rules();
    rules.extend(update_planning_rules(vec![resource_change(ChangeAction::Modify, "BackupBucketPolicy", "AWS::S3::BucketPolicy", Some(Replacement::False))]));
    let execute = rules.last().unwrap().clone();
    let (mut context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());
    context.access_check = ALWAYS_BROADENS;
    let mut settings = config();
    settings.approval = Approval::Never;

    let outcome = deploy(&context, &settings, &fixture()).await.unwrap();

    assert_eq!(outcome, Outcome::Succeeded, "{}", text(&output));
    assert_eq!(execute.num_calls(), 1);
}

#[tokio::test]
async fn broadening_asks_even_with_yes() {
    let mut rules = existing_stack_rules();
    rules.extend(update_planning_rules(vec![resource_change(ChangeAction::Modify, "BackupBucketPolicy", "AWS::S3::BucketPolicy", Some(Replacement::False))]));
    let execute = rules.last().unwrap().clone();
    let prompt = ScriptedPrompt { interactive: true, answers: vec![true], questions: Default::default() };
    let questions = prompt.questions.clone();
    let (mut context, _) = context(&rules.iter().collect::<Vec<_>>(), prompt);
    context.access_check = ALWAYS_BROADENS;

    let outcome = deploy(&context, &config(), &fixture()).await.unwrap();

    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(*questions.lock().unwrap(), ["Deploy a change that broadens access to the backup bucket?"]);
    assert_eq!(execute.num_calls(), 1);
}

#[tokio::test]
async fn declined_create_removes_review_stack() {
    let rules = vec![
        mock!(Client::describe_stacks).match_requests(|request| request.stack_name() == Some(NAME)).sequence().error(missing_stack).build(),
        mock!(Client::create_change_set)
            .match_requests(|request| request.stack_name() == Some(NAME))
            .then_output(|| CreateChangeSetOutput::builder().id(CHANGE_SET_ID).stack_id(NEW_STACK_ID).build()),
        mock!(Client::describe_change_set)
            .then_output(|| ready_change_set(vec![resource_change(ChangeAction::Add, "BackupBucket", "AWS::S3::Bucket", None)])),
        delete_change_set_rule(),
        mock!(Client::delete_stack)
            .match_requests(|request| request.stack_name() == Some(NEW_STACK_ID))
            .then_output(|| DeleteStackOutput::builder().build()),
    ];
    let prompt = ScriptedPrompt { interactive: true, answers: vec![false], questions: Default::default() };
    let (context, _) = context(&rules.iter().collect::<Vec<_>>(), prompt);
    let mut settings = config();
    settings.yes = false;

    let error = deploy(&context, &settings, &fixture()).await.unwrap_err();

    assert!(matches!(error, DeployError::Refused(ref m) if m.contains("declined")), "{error}");
    assert_eq!(rules[3].num_calls(), 1, "change set deleted");
    assert_eq!(rules[4].num_calls(), 1, "empty stack deleted");
}

#[tokio::test]
async fn unattended_run_without_yes_is_refused() {
    let mut rules = existing_stack_rules();
    rules.extend(update_planning_rules(vec![resource_change(ChangeAction::Modify, "Bastion", "AWS::EC2::Instance", Some(Replacement::True))]));
    let execute = rules.pop().unwrap();
    let delete = delete_change_set_rule();
    rules.push(delete.clone());
    let (context, _) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());
    let mut settings = config();
    settings.yes = false;

    let error = deploy(&context, &settings, &fixture()).await.unwrap_err();

    assert!(matches!(error, DeployError::Refused(ref m) if m.contains("pass --yes")), "{error}");
    assert_eq!(execute.num_calls(), 0);
    assert_eq!(delete.num_calls(), 1);
}

#[tokio::test]
async fn open_ssh_cidr_is_warned_not_refused() {
    let mut rules = existing_stack_rules();
    rules.extend(update_planning_rules(vec![resource_change(ChangeAction::Modify, "BastionSecurityGroup", "AWS::EC2::SecurityGroup", Some(Replacement::False))]));
    let execute = rules.last().unwrap().clone();
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());
    let mut settings = config();
    settings.parameters.insert("SshCidr".to_owned(), "0.0.0.0/0".to_owned());

    let outcome = deploy(&context, &settings, &fixture()).await.unwrap();

    assert_eq!(outcome, Outcome::Succeeded, "{}", text(&output));
    assert_eq!(execute.num_calls(), 1);
    assert!(text(&output).contains("warning: SshCidr is 0.0.0.0/0, so the bastion accepts SSH connections from any address"), "{}", text(&output));
}

/// The fixture with the backup bucket's policies set to `Delete`, as
/// `removal_policy = "destroy_backups"` writes them.
fn unretained_fixture() -> LoadedTemplate {
    let mut template = vaultgate_core::Template::parse(FIXTURE, "backup-stack.json").unwrap();
    let bucket = template.resources.get_mut("BackupBucket").unwrap();
    bucket.deletion_policy = Some(vaultgate_core::template::DeletionPolicy::Delete);
    bucket.update_replace_policy = Some(vaultgate_core::template::DeletionPolicy::Delete);
    template_source::from_template(template, "unretained.json".to_owned()).unwrap()
}

/// Builds a change that modifies the bucket in place, without replacement,
/// so that only the policy guard can object to it.
fn bucket_modified_in_place() -> Change {
    resource_change(ChangeAction::Modify, "BackupBucket", "AWS::S3::Bucket", Some(Replacement::False))
}

#[tokio::test]
async fn dropping_bucket_retain_is_refused() {
    let mut rules = existing_stack_rules();
    rules.extend(update_planning_rules(vec![bucket_modified_in_place()]));
    let execute = rules.pop().unwrap();
    let delete = delete_change_set_rule();
    rules.push(delete.clone());
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());

    let error = deploy(&context, &config(), &unretained_fixture()).await.unwrap_err();

    let DeployError::Refused(message) = error else { panic!("expected a refusal, got {error}") };
    assert!(message.ends_with("deploy again with --allow-unprotect BackupBucket"), "{message}");
    let printed = text(&output);
    assert!(
        printed.contains("  - BackupBucket (AWS::S3::Bucket) would lose its protection (DeletionPolicy Retain -> Delete, UpdateReplacePolicy Retain -> Delete)"),
        "{printed}"
    );
    assert_eq!(delete.num_calls(), 1);
    assert_eq!(execute.num_calls(), 0);
}

#[tokio::test]
async fn allowed_unprotect_executes() {
    let mut rules = existing_stack_rules();
    rules.extend(update_planning_rules(vec![bucket_modified_in_place()]));
    let execute = rules.last().unwrap().clone();
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());
    let mut settings = config();
    settings.allow_replacement.insert("BackupBucket".to_owned());
    settings.allow_unprotect.insert("BackupBucket".to_owned());

    let outcome = deploy(&context, &settings, &unretained_fixture()).await.unwrap();

    assert_eq!(outcome, Outcome::Succeeded, "{}", text(&output));
    assert_eq!(execute.num_calls(), 1);
    let printed = text(&output);
    assert!(printed.contains("allowed by --allow-unprotect: BackupBucket (AWS::S3::Bucket) would lose its protection"), "{printed}");
    assert!(printed.contains("warning: --allow-replacement BackupBucket matches no guarded change"), "{printed}");
}

#[tokio::test]
async fn new_unretained_lock_bucket_warns() {
    let rules = vec![
        mock!(Client::describe_stacks).match_requests(|request| request.stack_name() == Some(NAME)).sequence().error(missing_stack).build(),
        mock!(Client::create_change_set)
            .match_requests(|request| request.stack_name() == Some(NAME))
            .then_output(|| CreateChangeSetOutput::builder().id(CHANGE_SET_ID).stack_id(NEW_STACK_ID).build()),
        mock!(Client::describe_change_set)
            .then_output(|| ready_change_set(vec![resource_change(ChangeAction::Add, "BackupBucket", "AWS::S3::Bucket", None)])),
        delete_change_set_rule(),
        mock!(Client::delete_stack)
            .match_requests(|request| request.stack_name() == Some(NEW_STACK_ID))
            .then_output(|| DeleteStackOutput::builder().build()),
    ];
    let prompt = ScriptedPrompt { interactive: true, answers: vec![false], questions: Default::default() };
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), prompt);
    let mut settings = config();
    settings.yes = false;

    let error = deploy(&context, &settings, &unretained_fixture()).await.unwrap_err();

    assert!(matches!(error, DeployError::Refused(ref m) if m.contains("declined")), "a warning, not a refusal by a guard: {error}");
    let printed = text(&output);
    assert!(printed.contains("WARNING: bucket BackupBucket has Object Lock but DeletionPolicy Delete and UpdateReplacePolicy Delete"), "{printed}");
    assert!(!printed.contains("Refused:"), "{printed}");
}

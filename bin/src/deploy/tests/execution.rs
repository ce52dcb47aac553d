//! Following an executed change set: a failed update with per-resource
//! reasons, a deadline passing while the update runs, and Ctrl-C.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudformation::types::{ChangeAction, Replacement, StackStatus};
use aws_sdk_cloudformation::Client;
use aws_smithy_mocks::{mock, Rule};

use super::*;
use crate::deploy::deploy::deploy;
use crate::deploy::Outcome;

fn update_rules(status_after_execute: Vec<StackStatus>, histories: Vec<Vec<aws_sdk_cloudformation::types::StackEvent>>) -> Vec<Rule> {
    let mut rules = vec![
        mock!(Client::describe_stacks)
            .match_requests(|r| r.stack_name() == Some(NAME))
            .sequence()
            .output(|| stacks(STACK_ID, StackStatus::CreateComplete))
            .build(),
        stack_status_rule(STACK_ID, status_after_execute),
        events_rule(STACK_ID, histories),
    ];
    rules.extend(update_planning_rules(vec![resource_change(ChangeAction::Modify, "Bastion", "AWS::EC2::Instance", Some(Replacement::True))]));
    rules
}

#[tokio::test]
async fn failed_update_lists_first_failures() {
    let before = vec![stack_event(STACK_ID, 1, "CREATE_COMPLETE", None)];
    let mut after = vec![
        stack_event(STACK_ID, 30, "UPDATE_ROLLBACK_COMPLETE", None),
        event(STACK_ID, 29, "Bastion", "AWS::EC2::Instance", "UPDATE_COMPLETE", None),
        stack_event(STACK_ID, 28, "UPDATE_ROLLBACK_IN_PROGRESS", Some("The following resource(s) failed to update: [Bastion, BackupInstanceRole].")),
        event(STACK_ID, 27, "BackupInstanceRole", "AWS::IAM::Role", "UPDATE_FAILED", Some("Resource update cancelled")),
        event(
            STACK_ID,
            26,
            "Bastion",
            "AWS::EC2::Instance",
            "UPDATE_FAILED",
            Some("Resource handler returned message: \"The requested configuration is currently not supported. (Service: Ec2, Status Code: 400)\""),
        ),
        event(STACK_ID, 25, "Bastion", "AWS::EC2::Instance", "UPDATE_IN_PROGRESS", None),
        stack_event(STACK_ID, 24, "UPDATE_IN_PROGRESS", Some("User Initiated")),
    ];
    after.extend(before.clone());
    let rules = update_rules(vec![StackStatus::UpdateRollbackInProgress, StackStatus::UpdateRollbackComplete], vec![before, after]);
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());

    let outcome = deploy(&context, &config(), &fixture()).await.unwrap();

    let printed = text(&output);
    assert_eq!(outcome, Outcome::Failed, "{printed}");
    let report = printed.split("Stack Backups failed: it ended in UPDATE_ROLLBACK_COMPLETE.\n").nth(1).expect(&printed);
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines[0], "First failing events:");
    assert!(lines[1].starts_with("  Bastion (AWS::EC2::Instance) UPDATE_FAILED: Resource handler returned message: \"The requested configuration"), "{printed}");
    assert_eq!(lines[2], "  BackupInstanceRole (AWS::IAM::Role) UPDATE_FAILED: Resource update cancelled");
    assert!(lines[3].starts_with("Rollback finished (UPDATE_ROLLBACK_COMPLETE)"), "{printed}");
    // Events of the earlier create are not shown as part of this update.
    assert!(!printed.contains("CREATE_COMPLETE  "), "{printed}");
    assert!(printed.contains("UPDATE_FAILED                         Bastion (AWS::EC2::Instance)"), "{printed}");
}

#[tokio::test]
async fn timeout_reports_update_still_running() {
    let rules = update_rules(vec![StackStatus::UpdateInProgress], vec![vec![stack_event(STACK_ID, 1, "CREATE_COMPLETE", None)]]);
    let (mut context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());
    context.aws_flags = " --region eu-west-1".to_owned();
    let mut settings = config();
    settings.timeout = Duration::from_millis(30);

    let outcome = deploy(&context, &settings, &fixture()).await.unwrap();

    assert_eq!(outcome, Outcome::TimedOut);
    assert!(
        text(&output).contains(
            "Timed out: stack Backups is still UPDATE_IN_PROGRESS. The operation goes on in CloudFormation; resume watching with: vaultgate-deploy watch --stack-name Backups --region eu-west-1"
        ),
        "{}",
        text(&output)
    );
}

#[tokio::test]
async fn ctrl_c_stops_watching_only() {
    let rules = update_rules(vec![StackStatus::UpdateInProgress], vec![vec![stack_event(STACK_ID, 1, "CREATE_COMPLETE", None)]]);
    let execute = rules.last().unwrap().clone();
    let (mut context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());
    context.interrupt = Arc::new(|| Box::pin(std::future::ready(())));

    let outcome = deploy(&context, &config(), &fixture()).await.unwrap();

    // No rule answers DeleteStack, CancelUpdateStack or rollbacks: calling
    // one would panic, so the stack operation is left alone.
    assert_eq!(outcome, Outcome::Interrupted);
    assert_eq!(execute.num_calls(), 1);
    assert!(
        text(&output).contains("Stopped watching. The operation goes on in CloudFormation; resume watching with: vaultgate-deploy watch --stack-name Backups"),
        "{}",
        text(&output)
    );
}

#[tokio::test]
async fn watch_reports_failed_stack() {
    let history = vec![
        stack_event(STACK_ID, 9, "UPDATE_ROLLBACK_COMPLETE", None),
        event(STACK_ID, 5, "Bastion", "AWS::EC2::Instance", "UPDATE_FAILED", Some("Instance type t9.nano is not supported")),
    ];
    let rules = vec![
        mock!(Client::describe_stacks).match_requests(|r| r.stack_name() == Some(NAME)).then_output(|| stacks(STACK_ID, StackStatus::UpdateRollbackComplete)),
        events_rule(STACK_ID, vec![history]),
    ];
    let (context, output) = context(&rules.iter().collect::<Vec<_>>(), ScriptedPrompt::unattended());

    let outcome = crate::deploy::events::watch(&context, NAME, Duration::from_secs(5)).await.unwrap();

    assert_eq!(outcome, Outcome::Failed);
    assert!(text(&output).contains("  Bastion (AWS::EC2::Instance) UPDATE_FAILED: Instance type t9.nano is not supported"), "{}", text(&output));
}

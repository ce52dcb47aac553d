//! Tests of whole subcommands against CloudFormation responses replayed by
//! aws-smithy-mocks, for the states a local emulator cannot produce:
//! failed creates and rollbacks, per-resource failure events, operations
//! still running at the deadline, and Ctrl-C while following.
//!
//! The responses are shaped like real CloudFormation's: events newest
//! first with the whole history on every call, stacks described by ID,
//! and the status reasons CloudFormation writes. Rules that answer by stack
//! ID match only that ID, so a poll by name finds no rule and panics.

mod destroying;
mod errors;
mod execution;
mod planning;
mod states;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_cloudformation::config::retry::RetryConfig;
use aws_sdk_cloudformation::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cloudformation::error::ErrorMetadata;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_stacks::{DescribeStacksError, DescribeStacksOutput};
use aws_sdk_cloudformation::primitives::DateTime;
use aws_sdk_cloudformation::types::{
    Change, ChangeAction, ChangeSetStatus, ExecutionStatus, Parameter, Replacement, ResourceChange, ResourceStatus, Stack, StackEvent,
    StackStatus,
};
use aws_sdk_cloudformation::Client;
use aws_smithy_mocks::{create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode};
use indexmap::IndexMap;

use super::access::AccessCheck;
use super::args::{Approval, DeployConfig};
use super::template_source::{self, LoadedTemplate};
use super::ui::{ScriptedPrompt, Ui};
use super::Context;

pub const NAME: &str = "Backups";
pub const STACK_ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/Backups/11111111-aaaa";
pub const NEW_STACK_ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/Backups/22222222-bbbb";
pub const CHANGE_SET_ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/vaultgate-1/33333333-cccc";
pub const FIXTURE: &str = include_str!("../../../tests/fixtures/backup-stack.json");

/// A context whose CloudFormation client answers from `rules`, with
/// output captured and prompts answered by `prompt`.
pub fn context(rules: &[&Rule], prompt: ScriptedPrompt) -> (Context, Arc<Mutex<Vec<u8>>>) {
    let interceptor = rules.iter().fold(MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny), |interceptor, rule| interceptor.with_rule(rule));
    let config = aws_sdk_cloudformation::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .retry_config(RetryConfig::disabled())
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .build();
    let s3_config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "tests"))
        .http_client(create_mock_http_client())
        .interceptor(MockResponseInterceptor::new())
        .build();
    let (ui, output) = Ui::captured(prompt);
    let context = Context {
        cfn: Client::from_conf(config),
        s3: aws_sdk_s3::Client::from_conf(s3_config),
        region: "us-east-1".to_owned(),
        ui,
        poll_interval: Duration::from_millis(1),
        access_check: no_broadening,
        interrupt: Arc::new(|| Box::pin(std::future::pending())),
        aws_flags: String::new(),
    };
    (context, output)
}

fn no_broadening(_: &vaultgate_core::Template, _: &vaultgate_core::Template) -> Vec<String> {
    Vec::new()
}

/// An access check that always finds one broadening.
pub const ALWAYS_BROADENS: AccessCheck = |_, _| vec!["s3:DeleteObject on the backup bucket by any principal in the account".to_owned()];

/// The text written so far.
pub fn text(output: &Arc<Mutex<Vec<u8>>>) -> String {
    String::from_utf8(output.lock().unwrap().clone()).unwrap()
}

/// Deploy settings for the fixture template with its required parameters.
pub fn config() -> DeployConfig {
    DeployConfig {
        stack_name: NAME.to_owned(),
        template: None,
        parameters: IndexMap::from([("KeyName".to_owned(), "ops".to_owned()), ("SshCidr".to_owned(), "203.0.113.7/32".to_owned())]),
        tags: IndexMap::new(),
        execute: true,
        yes: true,
        timeout: Duration::from_secs(10),
        allow_replacement: BTreeSet::new(),
        allow_unprotect: BTreeSet::new(),
        approval: Approval::Broadening,
        replace_failed_stack: false,
        template_bucket: None,
    }
}

/// Loads the fixture template, the one GetTemplate returns in these tests.
pub fn fixture() -> LoadedTemplate {
    let template = vaultgate_core::Template::parse(FIXTURE, "backup-stack.json").unwrap();
    template_source::from_template(template, "backup-stack.json".to_owned()).unwrap()
}

pub fn stack(id: &str, status: StackStatus) -> Stack {
    Stack::builder()
        .stack_id(id)
        .stack_name(NAME)
        .stack_status(status)
        .creation_time(DateTime::from_secs(1_700_000_000))
        .parameters(Parameter::builder().parameter_key("KeyName").parameter_value("ops").build())
        .parameters(Parameter::builder().parameter_key("SshCidr").parameter_value("203.0.113.7/32").build())
        .build()
}

pub fn stacks(id: &str, status: StackStatus) -> DescribeStacksOutput {
    DescribeStacksOutput::builder().stacks(stack(id, status)).build()
}

/// CloudFormation's answer to DescribeStacks for a name it does not know.
pub fn missing_stack() -> DescribeStacksError {
    DescribeStacksError::generic(ErrorMetadata::builder().code("ValidationError").message(format!("Stack with id {NAME} does not exist")).build())
}

/// One stack event; `seconds` orders them.
pub fn event(stack_id: &str, seconds: i64, logical_id: &str, resource_type: &str, status: &str, reason: Option<&str>) -> StackEvent {
    let mut builder = StackEvent::builder()
        .stack_id(stack_id)
        .event_id(format!("{logical_id}-{status}-{seconds}"))
        .stack_name(NAME)
        .logical_resource_id(logical_id)
        .resource_type(resource_type)
        .resource_status(ResourceStatus::from(status))
        .timestamp(DateTime::from_secs(1_700_000_000 + seconds));
    if let Some(reason) = reason {
        builder = builder.resource_status_reason(reason);
    }
    builder.build()
}

/// A stack-level event.
pub fn stack_event(stack_id: &str, seconds: i64, status: &str, reason: Option<&str>) -> StackEvent {
    event(stack_id, seconds, NAME, "AWS::CloudFormation::Stack", status, reason)
}

/// A change of one resource, without details.
pub fn resource_change(action: ChangeAction, logical_id: &str, resource_type: &str, replacement: Option<Replacement>) -> Change {
    let mut change = ResourceChange::builder().action(action).logical_resource_id(logical_id).resource_type(resource_type);
    if let Some(replacement) = replacement {
        change = change.replacement(replacement);
    }
    Change::builder().r#type(aws_sdk_cloudformation::types::ChangeType::Resource).resource_change(change.build()).build()
}

/// A computed change set with `changes`.
pub fn ready_change_set(changes: Vec<Change>) -> DescribeChangeSetOutput {
    DescribeChangeSetOutput::builder()
        .change_set_id(CHANGE_SET_ID)
        .stack_id(STACK_ID)
        .status(ChangeSetStatus::CreateComplete)
        .execution_status(ExecutionStatus::Available)
        .set_changes(Some(changes))
        .build()
}

/// Rules for an update of `STACK_ID` that goes through planning and
/// execution: GetTemplate returns the fixture, the change set has
/// `changes`, and ExecuteChangeSet succeeds.
pub fn update_planning_rules(changes: Vec<Change>) -> Vec<Rule> {
    let changes = Arc::new(changes);
    vec![
        mock!(Client::get_template)
            .match_requests(|request| request.stack_name() == Some(STACK_ID))
            .then_output(|| aws_sdk_cloudformation::operation::get_template::GetTemplateOutput::builder().template_body(FIXTURE).build()),
        mock!(Client::create_change_set)
            .match_requests(|request| request.stack_name() == Some(NAME))
            .then_output(|| {
                aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput::builder().id(CHANGE_SET_ID).stack_id(STACK_ID).build()
            }),
        mock!(Client::describe_change_set)
            .match_requests(|request| request.change_set_name() == Some(CHANGE_SET_ID))
            .then_output(move || ready_change_set(changes.as_ref().clone())),
        mock!(Client::execute_change_set)
            .match_requests(|request| request.change_set_name() == Some(CHANGE_SET_ID))
            .then_output(|| aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput::builder().build()),
    ]
}

/// A rule answering DescribeStackEvents for `stack_id` with the given
/// histories in turn (each newest first), the last one repeating.
pub fn events_rule(stack_id: &'static str, histories: Vec<Vec<StackEvent>>) -> Rule {
    let mut sequence = mock!(Client::describe_stack_events).match_requests(move |request| request.stack_name() == Some(stack_id)).sequence();
    let count = histories.len();
    for (index, history) in histories.into_iter().enumerate() {
        let output = move || aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput::builder().set_stack_events(Some(history.clone())).build();
        sequence = sequence.output(output);
        if index + 1 == count {
            return sequence.repeatedly().build();
        }
    }
    unreachable!("events_rule needs at least one history")
}

/// A rule answering DescribeStacks for `stack_id` with the statuses in
/// turn, the last one repeating.
pub fn stack_status_rule(stack_id: &'static str, statuses: Vec<StackStatus>) -> Rule {
    let mut sequence = mock!(Client::describe_stacks).match_requests(move |request| request.stack_name() == Some(stack_id)).sequence();
    let count = statuses.len();
    for (index, status) in statuses.into_iter().enumerate() {
        sequence = sequence.output(move || stacks(stack_id, status.clone()));
        if index + 1 == count {
            return sequence.repeatedly().build();
        }
    }
    unreachable!("stack_status_rule needs at least one status")
}

//! Bringing the stack into a state that a change set can act on: waiting
//! out a running operation, re-creating a stack whose creation failed (only
//! with `--replace-failed-stack`), or continuing a failed update rollback.

use std::time::Instant;

use aws_sdk_cloudformation::types::{ChangeSetType, StackStatus};
use serde_json::Value as Json;
use vaultgate_core::template::Template;

use super::args::DeployConfig;
use super::destroy::{print_retained, retained_resources};
use super::events::{self, failure_report, report_end, Followed};
use super::state::{self, explain_failed_create, next_step, Next, StackInfo};
use super::{Context, DeployError, Outcome};

/// How many times the stack's state is re-read before giving up: each
/// pass either returns or waits for an operation that changes the state.
const MAX_PASSES: usize = 4;

/// The kind of change set to create, and the stack it acts on.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: ChangeSetType,
    /// The stack as it was before the change set, if it existed.
    pub existing: Option<StackInfo>,
}

/// The result of preparing.
#[derive(Debug)]
pub enum Prepared {
    Ready(Target),
    /// Preparing ended the run, with this outcome, after saying why.
    Stopped(Outcome),
}

/// Reads the stack's state and acts on it until a change set can be made.
///
/// # Errors
/// [`DeployError::Refused`] when the state forbids deploying or the user
/// declines; [`DeployError::Aws`] when a call fails.
pub async fn prepare_stack(context: &Context, config: &DeployConfig, new: &Template) -> Result<Prepared, DeployError> {
    let name = config.stack_name.as_str();
    for _ in 0..MAX_PASSES {
        let Some(info) = state::describe(context, name).await? else {
            return Ok(Prepared::Ready(Target { kind: ChangeSetType::Create, existing: None }));
        };
        let stopped = match next_step(&info.status) {
            Next::Update => return Ok(Prepared::Ready(Target { kind: ChangeSetType::Update, existing: Some(info) })),
            Next::CreateInReview => return Ok(Prepared::Ready(Target { kind: ChangeSetType::Create, existing: Some(info) })),
            Next::Create => return Ok(Prepared::Ready(Target { kind: ChangeSetType::Create, existing: None })),
            Next::Refuse(reason) => return Err(DeployError::Refused(format!("cannot deploy stack {name}: {reason}"))),
            Next::Wait => wait_for_operation(context, config, &info).await?,
            Next::ReplaceFailedCreate => replace_failed_stack(context, config, &info, new).await?,
            Next::ContinueRollback => continue_rollback(context, config, &info).await?,
        };
        if let Some(outcome) = stopped {
            return Ok(Prepared::Stopped(outcome));
        }
    }
    Err(DeployError::Refused(format!("stack {name} kept changing state; deploy again once it settles")))
}

/// Follows the running operation to its end. Returns an outcome when the
/// run must stop (timeout or Ctrl-C), `None` to read the state again.
async fn wait_for_operation(context: &Context, config: &DeployConfig, info: &StackInfo) -> Result<Option<Outcome>, DeployError> {
    context.ui.line(format!("Stack {} is {}: waiting for that operation to finish before deploying.", info.name, info.status.as_str()));
    let since = events::latest_event_id(context, &info.id).await?;
    let report = events::follow(context, &info.id, since, Instant::now() + config.timeout, 0).await?;
    match report.end {
        Followed::Settled(_) | Followed::Gone => Ok(None),
        Followed::TimedOut(status) => {
            context.ui.line(format!("Timed out: stack {} is still {}; nothing was deployed.", info.name, status.as_str()));
            Ok(Some(Outcome::TimedOut))
        }
        Followed::Interrupted(_) => {
            context.ui.line("Stopped waiting; nothing was deployed.");
            Ok(Some(Outcome::Interrupted))
        }
    }
}

/// Explains a failed create and, with `--replace-failed-stack` and a yes,
/// deletes the stack so that the next pass creates it. Retained resources
/// that the deletion leaves behind are named first.
async fn replace_failed_stack(context: &Context, config: &DeployConfig, info: &StackInfo, new: &Template) -> Result<Option<Outcome>, DeployError> {
    let name = &info.name;
    context.ui.line(format!("Stack {name} cannot be updated: {}.", explain_failed_create(&info.status)));
    let history = events::events_since(context, &info.id, None).await?;
    for line in failure_report(&history, info) {
        context.ui.line(line);
    }
    let retained = retained_resources(context, info).await?;
    if !config.replace_failed_stack {
        let mut message = format!("stack {name} is {}; pass --replace-failed-stack to delete it and create it again", info.status.as_str());
        if !retained.is_empty() {
            let names: Vec<String> = retained.iter().map(|r| format!("{} ({})", r.physical_id, r.logical_id)).collect();
            message.push_str(&format!(", which leaves {} behind outside any stack", names.join(", ")));
        }
        return Err(DeployError::Refused(message));
    }
    if !retained.is_empty() {
        context.ui.line(format!("Deleting stack {name} leaves these resources behind; the new stack creates its own and will not manage them:"));
        print_retained(context, &retained);
        let taken: Vec<&str> = new
            .resources
            .values()
            .filter(|r| r.resource_type == "AWS::S3::Bucket")
            .filter_map(|r| r.properties.get("BucketName").and_then(Json::as_str))
            .filter(|bucket| retained.iter().any(|r| r.physical_id == *bucket))
            .collect();
        if !taken.is_empty() {
            return Err(DeployError::Refused(format!(
                "the new template names bucket {} which the retained bucket of the failed stack already uses, so the creation would fail; \
                 rename the bucket in the template or remove the retained bucket first",
                taken.join(", ")
            )));
        }
    }
    let question = format!("Delete failed stack {name} and create it again?");
    if !context.ui.confirm(&question, config.yes, "pass --yes to replace the failed stack without a prompt")? {
        return Err(DeployError::Refused(format!("replacing stack {name} declined; nothing changed")));
    }
    let label = format!("failed stack {name}");
    let report = events::delete_and_follow(context, &info.id, &label, Instant::now() + config.timeout, 0).await?;
    match &report.end {
        Followed::Settled(end) if end.status == StackStatus::DeleteComplete => Ok(None),
        Followed::Gone => Ok(None),
        _ => Ok(Some(report_end(context, &report, name, &StackStatus::DeleteComplete, &[]))),
    }
}

/// Explains UPDATE_ROLLBACK_FAILED and, with a yes, continues the rollback
/// so that the next pass can update the stack.
async fn continue_rollback(context: &Context, config: &DeployConfig, info: &StackInfo) -> Result<Option<Outcome>, DeployError> {
    let name = &info.name;
    context.ui.line(format!(
        "Stack {name} is UPDATE_ROLLBACK_FAILED: an update failed and so did its rollback. It cannot be updated until the rollback finishes."
    ));
    let history = events::events_since(context, &info.id, None).await?;
    for line in failure_report(&history, info).into_iter().take_while(|line| !line.starts_with("Rollback failed")) {
        context.ui.line(line);
    }
    let question = format!("Continue the update rollback of stack {name} (continue-update-rollback), then deploy?");
    if !context.ui.confirm(&question, config.yes, "pass --yes to continue the rollback without a prompt")? {
        return Err(DeployError::Refused(format!(
            "continuing the rollback of stack {name} declined; nothing changed. Run deploy again, or `aws cloudformation continue-update-rollback --stack-name {name}`"
        )));
    }
    let since = events::latest_event_id(context, &info.id).await?;
    context
        .cfn
        .continue_update_rollback()
        .stack_name(&info.id)
        .send()
        .await
        .map_err(|error| DeployError::aws(format!("continuing the update rollback of stack {name}"), error))?;
    context.ui.line(format!("Continuing the update rollback of stack {name}."));
    let report = events::follow(context, &info.id, since, Instant::now() + config.timeout, 0).await?;
    match &report.end {
        Followed::Settled(end) if end.status == StackStatus::UpdateRollbackComplete => {
            context.ui.line(format!("Stack {name} is UPDATE_ROLLBACK_COMPLETE; deploying."));
            Ok(None)
        }
        _ => {
            let outcome = report_end(context, &report, name, &StackStatus::UpdateRollbackComplete, &[]);
            if outcome == Outcome::Failed {
                context.ui.line(format!(
                    "A resource that cannot be rolled back can be skipped: aws cloudformation continue-update-rollback --stack-name {name} --resources-to-skip LOGICAL_ID"
                ));
            }
            Ok(Some(outcome))
        }
    }
}

//! Following a stack: new events as they arrive, a progress bar, and the
//! end state. Every follow has a deadline, polls by stack ID, and stops
//! watching (never the stack operation) on Ctrl-C.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::primitives::DateTimeFormat;
use aws_sdk_cloudformation::types::{StackEvent, StackStatus};

use super::state::{self, is_settled, StackInfo};
use super::{Context, DeployError, Outcome};

/// Most pages of events read in one poll; CloudFormation returns up to 100
/// events a page.
const MAX_EVENT_PAGES: usize = 20;
/// Failing events listed in a failure report.
const MAX_FAILURES_SHOWN: usize = 5;

/// One stack event, as shown to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    /// UTC time of day, `HH:MM:SS`.
    pub time: String,
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}

impl Event {
    fn from_sdk(event: &StackEvent) -> Event {
        let time = event
            .timestamp()
            .and_then(|timestamp| timestamp.fmt(DateTimeFormat::DateTime).ok())
            .and_then(|text| text.get(11..19).map(str::to_owned))
            .unwrap_or_default();
        Event {
            id: event.event_id().unwrap_or_default().to_owned(),
            time,
            logical_id: event.logical_resource_id().unwrap_or_default().to_owned(),
            resource_type: event.resource_type().unwrap_or_default().to_owned(),
            status: event.resource_status().map(|status| status.as_str().to_owned()).unwrap_or_default(),
            reason: event.resource_status_reason().filter(|reason| !reason.is_empty()).map(str::to_owned),
        }
    }

    fn is_stack_event(&self) -> bool {
        self.resource_type == "AWS::CloudFormation::Stack"
    }

    fn line(&self) -> String {
        let mut line = format!("{}  {:<36}  {} ({})", self.time, self.status, self.logical_id, self.resource_type);
        if let Some(reason) = &self.reason {
            line.push_str(&format!(": {reason}"));
        }
        line
    }
}

/// The end of a follow.
#[derive(Debug, Clone, PartialEq)]
pub enum Followed {
    /// No operation runs on the stack any more.
    Settled(StackInfo),
    /// The deadline passed while the stack was still in this status.
    TimedOut(StackStatus),
    /// The user stopped watching while the stack was in this status.
    Interrupted(Option<StackStatus>),
    /// The stack ID no longer describes a stack. CloudFormation keeps
    /// describing deleted stacks by ID; emulators may forget them.
    Gone,
}

/// A follow's end and every event it saw, oldest first.
#[derive(Debug, Clone)]
pub struct FollowReport {
    pub end: Followed,
    pub events: Vec<Event>,
}

/// Returns the ID of the stack's newest event, the point after which a
/// follow shows events.
///
/// # Errors
/// [`DeployError::Aws`] when the call fails.
pub async fn latest_event_id(context: &Context, stack_id: &str) -> Result<Option<String>, DeployError> {
    let output = context
        .cfn
        .describe_stack_events()
        .stack_name(stack_id)
        .send()
        .await
        .map_err(|error| DeployError::aws(format!("reading the events of stack {stack_id}"), error))?;
    Ok(output.stack_events().first().and_then(|event| event.event_id()).map(str::to_owned))
}

/// Reads the events newer than `since`, oldest first.
///
/// # Errors
/// [`DeployError::Aws`] when a call fails.
pub async fn events_since(context: &Context, stack_id: &str, since: Option<&str>) -> Result<Vec<Event>, DeployError> {
    let mut newest_first = Vec::new();
    let mut token: Option<String> = None;
    'pages: for _ in 0..MAX_EVENT_PAGES {
        let output = context
            .cfn
            .describe_stack_events()
            .stack_name(stack_id)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|error| DeployError::aws(format!("reading the events of stack {stack_id}"), error))?;
        for event in output.stack_events() {
            if since.is_some() && event.event_id() == since {
                break 'pages;
            }
            newest_first.push(Event::from_sdk(event));
        }
        match output.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    newest_first.reverse();
    Ok(newest_first)
}

/// Deletes the stack `stack_id` and follows it until it settles, the
/// deadline passes or it is gone. `label` names the stack in messages, such
/// as "stack S" or "failed stack S"; `resources` sizes the progress display.
///
/// # Errors
/// [`DeployError::Aws`] when a call fails.
pub async fn delete_and_follow(
    context: &Context,
    stack_id: &str,
    label: &str,
    deadline: Instant,
    resources: u64,
) -> Result<FollowReport, DeployError> {
    let since = latest_event_id(context, stack_id).await?;
    context
        .cfn
        .delete_stack()
        .stack_name(stack_id)
        .send()
        .await
        .map_err(|error| DeployError::aws(format!("deleting {label}"), error))?;
    context.ui.line(format!("Deleting {label}."));
    follow(context, stack_id, since, deadline, resources).await
}

/// Prints the stack's events after `since` until the stack settles, the
/// deadline passes or the user interrupts. `resources` sizes the progress bar.
///
/// # Errors
/// [`DeployError::Aws`] when a call fails.
pub async fn follow(context: &Context, stack_id: &str, since: Option<String>, deadline: Instant, resources: u64) -> Result<FollowReport, DeployError> {
    let bar = context.ui.progress_bar(resources.max(1));
    let mut interrupt = (context.interrupt)();
    let mut since = since;
    let mut seen = Vec::new();
    let mut finished = BTreeSet::new();
    let mut last_status = None;
    let end = loop {
        let poll = async {
            let events = events_since(context, stack_id, since.as_deref()).await?;
            let info = state::describe(context, stack_id).await?;
            Ok::<_, DeployError>((events, info))
        };
        let (events, info) = tokio::select! {
            biased;
            _ = &mut interrupt => break Followed::Interrupted(last_status),
            result = poll => result?,
        };
        for event in events {
            bar.suspend(|| context.ui.line(event.line()));
            if !event.is_stack_event() && (event.status.ends_with("_COMPLETE") || event.status.ends_with("_FAILED") || event.status == "DELETE_SKIPPED") && finished.insert(event.logical_id.clone()) {
                bar.inc(1);
            }
            bar.set_message(format!("{} {}", event.logical_id, event.status));
            since = Some(event.id.clone());
            seen.push(event);
        }
        let Some(info) = info else { break Followed::Gone };
        if is_settled(&info.status) {
            break Followed::Settled(info);
        }
        last_status = Some(info.status.clone());
        if Instant::now() >= deadline {
            break Followed::TimedOut(info.status);
        }
        tokio::select! {
            biased;
            _ = &mut interrupt => break Followed::Interrupted(last_status),
            _ = tokio::time::sleep(context.poll_interval) => {}
        }
    };
    bar.finish_and_clear();
    Ok(FollowReport { end, events: seen })
}

/// Lists the first failing events, root cause first, and what the final
/// status means for the stack.
pub fn failure_report(events: &[Event], info: &StackInfo) -> Vec<String> {
    let mut lines = Vec::new();
    let failing: Vec<&Event> = events.iter().filter(|e| e.status.ends_with("_FAILED") && !e.is_stack_event() && e.reason.is_some()).collect();
    // "Resource creation cancelled" follows a failure elsewhere; list the
    // failures with a cause of their own first.
    let (causes, cancelled): (Vec<&Event>, Vec<&Event>) = failing.into_iter().partition(|e| !e.reason.as_deref().unwrap_or_default().contains("cancelled"));
    let shown: Vec<&Event> = causes.into_iter().chain(cancelled).take(MAX_FAILURES_SHOWN).collect();
    if shown.is_empty() {
        let reason = info.status_reason.as_deref().unwrap_or("CloudFormation gave no reason");
        lines.push(format!("No resource reported a failure; the stack's reason: {reason}"));
    } else {
        lines.push("First failing events:".to_owned());
        for event in shown {
            lines.push(format!("  {} ({}) {}: {}", event.logical_id, event.resource_type, event.status, event.reason.as_deref().unwrap_or_default()));
        }
    }
    lines.push(rollback_outcome(&info.status, &info.name).to_owned());
    lines
}

/// Explains what a final status means after a failure.
pub fn rollback_outcome(status: &StackStatus, stack_name: &str) -> String {
    match status {
        StackStatus::RollbackComplete => format!(
            "Rollback finished (ROLLBACK_COMPLETE): CloudFormation deleted what this attempt created, except resources whose DeletionPolicy keeps them. \
             The stack can only be deleted now: deploy again with --replace-failed-stack to delete it and create {stack_name} anew."
        ),
        StackStatus::RollbackFailed => format!(
            "Rollback failed too (ROLLBACK_FAILED): run `vaultgate-deploy destroy --stack-name {stack_name}`, then remove any leftovers the events name."
        ),
        StackStatus::UpdateRollbackComplete => "Rollback finished (UPDATE_ROLLBACK_COMPLETE): the stack runs its previous template again.".to_owned(),
        StackStatus::UpdateRollbackFailed => {
            "Rollback failed (UPDATE_ROLLBACK_FAILED): fix what the events name, then deploy again to be offered continue-update-rollback.".to_owned()
        }
        StackStatus::CreateFailed | StackStatus::UpdateFailed => format!("Rollback is disabled for this stack, so nothing was rolled back ({}).", status.as_str()),
        StackStatus::DeleteFailed => "The deletion stopped (DELETE_FAILED): the resources named above still exist.".to_owned(),
        other => format!("The stack ended in {}.", other.as_str()),
    }
}

/// Prints the stack's outputs, or explains why there are none.
pub fn print_outputs(context: &Context, info: &StackInfo, declared: &[String]) {
    if info.outputs.is_empty() {
        if !declared.is_empty() {
            context.ui.line(format!(
                "CloudFormation returned no outputs, though the template declares {} ({}); some emulators do not report outputs. \
                 Check with `aws cloudformation describe-stacks --stack-name {}`.",
                declared.len(),
                declared.join(", "),
                info.id
            ));
        }
        return;
    }
    context.ui.line("Outputs:");
    let width = info.outputs.iter().map(|(key, _, _)| key.len()).max().unwrap_or(0);
    for (key, value, _) in &info.outputs {
        context.ui.line(format!("  {key:width$}  {value}"));
    }
}

/// Reports the end of a follow and maps it to an outcome. `succeeded` is
/// the status that means the operation worked.
pub fn report_end(context: &Context, report: &FollowReport, stack_name: &str, succeeded: &StackStatus, declared_outputs: &[String]) -> Outcome {
    match &report.end {
        Followed::Settled(info) if &info.status == succeeded => {
            context.ui.line(format!("Stack {stack_name} is {}.", info.status.as_str()));
            print_outputs(context, info, declared_outputs);
            Outcome::Succeeded
        }
        Followed::Settled(info) => {
            context.ui.line(format!("Stack {stack_name} failed: it ended in {}.", info.status.as_str()));
            for line in failure_report(&report.events, info) {
                context.ui.line(line);
            }
            Outcome::Failed
        }
        Followed::Gone if succeeded == &StackStatus::DeleteComplete => {
            context.ui.line(format!("Stack {stack_name} is deleted."));
            Outcome::Succeeded
        }
        Followed::Gone => {
            context.ui.line(format!("Stack {stack_name} disappeared while being watched; check it in the console."));
            Outcome::Failed
        }
        Followed::TimedOut(status) => {
            context.ui.line(format!(
                "Timed out: stack {stack_name} is still {}. The operation goes on in CloudFormation; resume watching with: {}",
                status.as_str(),
                context.watch_hint(stack_name)
            ));
            Outcome::TimedOut
        }
        Followed::Interrupted(status) => {
            let status = status.as_ref().map(|s| format!(" (now {})", s.as_str())).unwrap_or_default();
            context.ui.line(format!(
                "Stopped watching{status}. The operation goes on in CloudFormation; resume watching with: {}",
                context.watch_hint(stack_name)
            ));
            Outcome::Interrupted
        }
    }
}

/// The `watch` subcommand: follows a stack until it settles and reports how
/// it ended.
///
/// # Errors
/// [`DeployError::NotFound`] when the stack does not exist, and
/// [`DeployError::Aws`] when a call fails.
pub async fn watch(context: &Context, stack_name: &str, timeout: Duration) -> Result<Outcome, DeployError> {
    let Some(info) = state::describe(context, stack_name).await? else {
        return Err(DeployError::NotFound(format!("stack {stack_name} does not exist")));
    };
    if info.status == StackStatus::ReviewInProgress {
        context.ui.line(format!("Stack {stack_name} is REVIEW_IN_PROGRESS: it only holds change sets, and no operation is running."));
        return Ok(Outcome::Succeeded);
    }
    let report = if is_settled(&info.status) {
        let recent = events_since(context, &info.id, None).await?;
        FollowReport { end: Followed::Settled(info.clone()), events: recent }
    } else {
        context.ui.line(format!("Watching stack {stack_name} ({}).", info.status.as_str()));
        let since = latest_event_id(context, &info.id).await?;
        follow(context, &info.id, since, Instant::now() + timeout, 0).await?
    };
    let succeeded = match &report.end {
        Followed::Settled(end) if is_success(&end.status) => end.status.clone(),
        _ => StackStatus::CreateComplete,
    };
    Ok(report_end(context, &report, stack_name, &succeeded, &[]))
}

/// Returns `true` for the statuses in which a stack operation worked.
pub fn is_success(status: &StackStatus) -> bool {
    matches!(status, StackStatus::CreateComplete | StackStatus::UpdateComplete | StackStatus::DeleteComplete | StackStatus::ImportComplete)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(logical_id: &str, status: &str, reason: Option<&str>) -> Event {
        Event {
            id: format!("{logical_id}-{status}"),
            time: "12:00:00".into(),
            logical_id: logical_id.into(),
            resource_type: if logical_id == "Stack" { "AWS::CloudFormation::Stack".into() } else { "AWS::S3::Bucket".into() },
            status: status.into(),
            reason: reason.map(Into::into),
        }
    }

    fn info(status: StackStatus) -> StackInfo {
        StackInfo {
            id: "arn:stack".into(),
            name: "Backups".into(),
            status,
            status_reason: Some("The following resource(s) failed to create: [Bucket].".into()),
            parameters: Default::default(),
            outputs: Vec::new(),
            termination_protection: false,
        }
    }

    #[test]
    fn failure_report_puts_root_cause_first() {
        let events = [
            event("Stack", "CREATE_IN_PROGRESS", Some("User Initiated")),
            event("Role", "CREATE_FAILED", Some("Resource creation cancelled")),
            event("Bucket", "CREATE_FAILED", Some("my-bucket already exists")),
            event("Stack", "ROLLBACK_IN_PROGRESS", Some("The following resource(s) failed to create: [Bucket, Role].")),
        ];
        let lines = failure_report(&events, &info(StackStatus::RollbackComplete));
        assert_eq!(lines[0], "First failing events:");
        assert_eq!(lines[1], "  Bucket (AWS::S3::Bucket) CREATE_FAILED: my-bucket already exists");
        assert!(lines[2].contains("Role"), "{lines:#?}");
        assert!(lines[3].contains("--replace-failed-stack"), "{lines:#?}");
    }

    #[test]
    fn failure_report_without_events_uses_stack_reason() {
        let lines = failure_report(&[], &info(StackStatus::UpdateRollbackComplete));
        assert!(lines[0].contains("failed to create: [Bucket]"), "{lines:#?}");
        assert!(lines[1].contains("previous template"), "{lines:#?}");
    }
}

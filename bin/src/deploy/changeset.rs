//! Change set calls: create one, wait until CloudFormation has computed it,
//! read its changes, and execute or delete it. Every wait has a deadline.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{Capability, ChangeSetStatus, ChangeSetType, Parameter, RequiresRecreation, Tag};
use indexmap::IndexMap;

use super::changes::{Action, PlannedChange, Replacement};
use super::template_source::TemplateLocation;
use super::{Context, DeployError};

/// Status reasons with which CloudFormation marks a change set that would
/// change nothing. The first is the change set wording; the second is the
/// one UpdateStack uses, which some endpoints return here too.
const NO_CHANGES_REASONS: [&str; 2] = ["didn't contain changes", "No updates are to be performed"];

/// Most pages of changes read from one change set (CloudFormation returns
/// up to 100 changes a page, and a template contains at most 500 resources).
const MAX_PAGES: usize = 20;

/// The parameters of a change set to create.
#[derive(Debug, Clone)]
pub struct ChangeSetRequest<'a> {
    pub stack_name: &'a str,
    pub kind: ChangeSetType,
    pub template: &'a TemplateLocation,
    pub parameters: Vec<Parameter>,
    pub tags: &'a IndexMap<String, String>,
}

/// A created change set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedChangeSet {
    pub id: String,
    pub stack_id: String,
}

/// The result of CloudFormation computing a change set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Computed {
    /// Ready to execute, with its changes.
    Ready(Vec<PlannedChange>),
    /// The template and parameters match the deployed stack.
    NoChanges,
    /// CloudFormation could not compute it, for the given reason.
    Failed(String),
    /// The deadline passed while CloudFormation was still computing it.
    StillComputing,
}

/// The result of asking for a change set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    ChangeSet(CreatedChangeSet),
    /// The request itself was rejected because nothing would change, as
    /// some endpoints do instead of creating a failed change set.
    NoChanges,
}

/// Creates a change set named after the current time in milliseconds.
///
/// # Errors
/// [`DeployError::Aws`] when CloudFormation rejects the request.
pub async fn create(context: &Context, request: ChangeSetRequest<'_>) -> Result<Created, DeployError> {
    // Milliseconds keep two deploys of one stack in the same second apart.
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_millis()).unwrap_or_default();
    let mut call = context
        .cfn
        .create_change_set()
        .stack_name(request.stack_name)
        .change_set_name(format!("vaultgate-{millis}"))
        .change_set_type(request.kind.clone())
        .description("Created by vaultgate-deploy")
        // The backup stack creates IAM roles, some with fixed names.
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .set_parameters(Some(request.parameters));
    call = match request.template {
        TemplateLocation::Body(body) => call.template_body(body),
        TemplateLocation::Url(url) => call.template_url(url),
    };
    for (key, value) in request.tags {
        call = call.tags(Tag::builder().key(key).value(value).build());
    }
    let action = format!("creating a change set for stack {}", request.stack_name);
    let output = match call.send().await {
        Ok(output) => output,
        Err(error) if error.message().is_some_and(|message| NO_CHANGES_REASONS.iter().any(|known| message.contains(known))) => {
            return Ok(Created::NoChanges);
        }
        Err(error) => return Err(DeployError::aws(action, error)),
    };
    match (output.id(), output.stack_id()) {
        (Some(id), Some(stack_id)) => Ok(Created::ChangeSet(CreatedChangeSet { id: id.to_owned(), stack_id: stack_id.to_owned() })),
        _ => Err(DeployError::Aws {
            action,
            detail: "the response has no change set ID or stack ID".to_owned(),
        }),
    }
}

/// Polls the change set until CloudFormation has computed it or `deadline`
/// passes, then reads every page of its changes.
///
/// # Errors
/// [`DeployError::Aws`] when a call fails.
pub async fn wait_until_computed(context: &Context, change_set_id: &str, deadline: Instant) -> Result<Computed, DeployError> {
    loop {
        let output = context
            .cfn
            .describe_change_set()
            .change_set_name(change_set_id)
            .send()
            .await
            .map_err(|error| DeployError::aws("describing the change set", error))?;
        let reason = output.status_reason().unwrap_or_default().to_owned();
        match output.status() {
            Some(ChangeSetStatus::CreateComplete) => return Ok(Computed::Ready(read_changes(context, change_set_id).await?)),
            Some(ChangeSetStatus::Failed) if NO_CHANGES_REASONS.iter().any(|known| reason.contains(known)) => return Ok(Computed::NoChanges),
            Some(ChangeSetStatus::Failed) => return Ok(Computed::Failed(reason)),
            Some(ChangeSetStatus::CreatePending) | Some(ChangeSetStatus::CreateInProgress) => {}
            other => {
                let status = other.map(|s| s.as_str().to_owned()).unwrap_or_else(|| "missing".to_owned());
                return Ok(Computed::Failed(format!("the change set is in status {status}: {reason}")));
            }
        }
        if Instant::now() >= deadline {
            return Ok(Computed::StillComputing);
        }
        tokio::time::sleep(context.poll_interval).await;
    }
}

async fn read_changes(context: &Context, change_set_id: &str) -> Result<Vec<PlannedChange>, DeployError> {
    let mut changes = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let output = context
            .cfn
            .describe_change_set()
            .change_set_name(change_set_id)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|error| DeployError::aws("reading the change set's changes", error))?;
        changes.extend(output.changes().iter().filter_map(|change| change.resource_change()).map(planned_change));
        match output.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => return Ok(changes),
        }
    }
    Err(DeployError::Aws {
        action: "reading the change set's changes".to_owned(),
        detail: format!("more than {MAX_PAGES} pages of changes; the change set is larger than any valid template allows"),
    })
}

fn planned_change(change: &aws_sdk_cloudformation::types::ResourceChange) -> PlannedChange {
    let action_name = change.action().map(|action| action.as_str().to_owned()).unwrap_or_else(|| "?".to_owned());
    let replacement = match change.replacement() {
        Some(aws_sdk_cloudformation::types::Replacement::True) => Replacement::True,
        Some(aws_sdk_cloudformation::types::Replacement::Conditional) => Replacement::Conditional,
        Some(aws_sdk_cloudformation::types::Replacement::False) => Replacement::False,
        _ => Replacement::Unknown,
    };
    let mut causing_properties = Vec::new();
    for detail in change.details() {
        let Some(target) = detail.target() else { continue };
        let recreates = matches!(target.requires_recreation(), Some(RequiresRecreation::Always) | Some(RequiresRecreation::Conditionally));
        if let (true, Some(name)) = (recreates, target.name()) {
            if !causing_properties.iter().any(|known: &String| known == name) {
                causing_properties.push(name.to_owned());
            }
        }
    }
    PlannedChange {
        action: Action::from_name(&action_name),
        action_name,
        logical_id: change.logical_resource_id().unwrap_or_default().to_owned(),
        resource_type: change.resource_type().unwrap_or_default().to_owned(),
        physical_id: change.physical_resource_id().map(str::to_owned),
        replacement,
        causing_properties,
        predicted_properties: Vec::new(),
    }
}

/// Deletes a change set that will not be executed.
///
/// # Errors
/// [`DeployError::Aws`] when the call fails.
pub async fn delete(context: &Context, change_set_id: &str) -> Result<(), DeployError> {
    context
        .cfn
        .delete_change_set()
        .change_set_name(change_set_id)
        .send()
        .await
        .map_err(|error| DeployError::aws(format!("deleting change set {change_set_id}"), error))?;
    Ok(())
}

/// Starts executing a change set.
///
/// # Errors
/// [`DeployError::Aws`] when CloudFormation rejects the request.
pub async fn execute(context: &Context, change_set_id: &str) -> Result<(), DeployError> {
    context
        .cfn
        .execute_change_set()
        .change_set_name(change_set_id)
        .send()
        .await
        .map_err(|error| DeployError::aws("executing the change set", error))?;
    Ok(())
}

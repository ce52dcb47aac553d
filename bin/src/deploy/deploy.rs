//! The `deploy` subcommand: plan a change set, show it, run the guards, ask,
//! execute, and follow the stack until it settles.

use std::time::Instant;

use aws_sdk_cloudformation::types::{ChangeSetType, Parameter, StackStatus, TemplateStage};
use indexmap::IndexMap;
use serde_json::Value as Json;
use vaultgate_core::template::Template;
use vaultgate_core::validate::MAX_INLINE_TEMPLATE_BYTES;

use super::access::needs_approval;
use super::args::DeployConfig;
use super::changes::{merge_predictions, render_table, PlannedChange};
use super::changeset::{self, ChangeSetRequest, Computed, Created, CreatedChangeSet};
use super::destroy::stack_resources;
use super::events::{self, report_end};
use super::guards::{destructive_findings, internet_route_findings, partition_allowed, unprotect_findings, unretained_lock_warnings, AllowFlag, Finding};
use super::prepare::{prepare_stack, Prepared, Target};
use super::replacement::{predict_replacements, ParameterValues};
use super::state::{self, StackInfo};
use super::template_source::{self, backup_bucket_ids, LoadedTemplate};
use super::{Context, DeployError, Outcome};

/// The decision of the review of a computed change set.
enum Review {
    Execute,
    /// Stop and keep the change set (`--no-execute`).
    KeepForReview,
}

/// Deploys `loaded` to the stack in `config`.
///
/// # Errors
/// [`DeployError::Refused`] when a guard, a declined prompt or the stack's
/// state stops it before anything changed; [`DeployError::Aws`] and others
/// when a call fails.
pub async fn deploy(context: &Context, config: &DeployConfig, loaded: &LoadedTemplate) -> Result<Outcome, DeployError> {
    template_source::check_size(loaded, config.template_bucket.as_deref())?;
    for warning in &loaded.warnings {
        context.ui.line(format!("warning: {warning}"));
    }
    let target = match prepare_stack(context, config, &loaded.template).await? {
        Prepared::Ready(target) => target,
        Prepared::Stopped(outcome) => return Ok(outcome),
    };
    let updating = target.kind == ChangeSetType::Update;
    let existing = target.existing.as_ref();

    let deployed = match existing {
        Some(info) if updating => deployed_template(context, info).await?,
        _ => None,
    };
    let (parameters, values) = resolve_parameters(&loaded.template, &config.parameters, existing.filter(|_| updating))?;
    if let Some(warning) = open_ssh_warning(&values.new) {
        context.ui.line(warning);
    }

    let backup_names = if loaded.body.len() > MAX_INLINE_TEMPLATE_BYTES {
        backup_bucket_names(context, existing, deployed.as_ref(), &loaded.template).await?
    } else {
        Vec::new()
    };
    let location = template_source::location(context, loaded, &config.stack_name, config.template_bucket.as_deref(), &backup_names).await?;

    // CreateChangeSet is the one call made by name: CloudFormation accepts
    // a stack ID here too, but emulators look change set stacks up by name.
    // Everything after it uses the stack ID the call returns.
    let request = ChangeSetRequest {
        stack_name: &config.stack_name,
        kind: target.kind.clone(),
        template: &location,
        parameters,
        tags: &config.tags,
    };
    let created = match changeset::create(context, request).await? {
        Created::ChangeSet(created) => created,
        Created::NoChanges => {
            context.ui.line(format!("No changes: stack {} already matches the template and parameters; no change set was kept.", config.stack_name));
            return Ok(Outcome::Succeeded);
        }
    };
    let kind_name = if updating { "update" } else { "create" };
    context.ui.line(format!("Created change set {} ({kind_name}) for stack {}.", created.id, config.stack_name));

    let review = review(context, config, loaded, deployed.as_ref(), &values, &created, updating).await;
    let changes = match review {
        Ok(Ok((Review::Execute, changes))) => changes,
        Ok(Ok((Review::KeepForReview, _))) => return Ok(Outcome::Succeeded),
        Ok(Err(outcome)) => {
            abandon(context, &target, &created).await;
            return Ok(outcome);
        }
        Err(error) => {
            abandon(context, &target, &created).await;
            return Err(error);
        }
    };

    let since = events::latest_event_id(context, &created.stack_id).await?;
    if let Err(error) = changeset::execute(context, &created.id).await {
        // Emulators report a failed execution this way, leaving the stack
        // where it was. The change set is kept: the call may have started
        // the execution after all, and then deleting the stack or change
        // set would race it.
        if let Ok(Some(info)) = state::describe(context, &created.stack_id).await {
            context.ui.line(format!("ExecuteChangeSet failed; stack {} is {} and change set {} was kept.", config.stack_name, info.status.as_str(), created.id));
        }
        return Err(error);
    }
    context.ui.line(format!("Executing change set on stack {}.", config.stack_name));
    let report = events::follow(context, &created.stack_id, since, Instant::now() + config.timeout, changes.len() as u64).await?;
    let succeeded = if updating { StackStatus::UpdateComplete } else { StackStatus::CreateComplete };
    let declared: Vec<String> = loaded.template.outputs.keys().cloned().collect();
    Ok(report_end(context, &report, &config.stack_name, &succeeded, &declared))
}

/// Waits for the change set, shows it and runs the guards and prompts.
/// `Ok(Err(outcome))` ends the run with `outcome` after the change set is
/// abandoned.
async fn review(
    context: &Context,
    config: &DeployConfig,
    loaded: &LoadedTemplate,
    deployed: Option<&Template>,
    values: &ParameterValues,
    created: &CreatedChangeSet,
    updating: bool,
) -> Result<Result<(Review, Vec<PlannedChange>), Outcome>, DeployError> {
    let mut changes = match changeset::wait_until_computed(context, &created.id, Instant::now() + config.timeout).await? {
        Computed::Ready(changes) => changes,
        Computed::NoChanges => {
            context.ui.line(format!("No changes: stack {} already matches the template and parameters. The empty change set is deleted.", config.stack_name));
            return Ok(Err(Outcome::Succeeded));
        }
        Computed::Failed(reason) => {
            return Err(DeployError::Aws { action: "computing the change set".to_owned(), detail: format!("{reason} (the change set is deleted)") });
        }
        Computed::StillComputing => {
            context.ui.line(format!("Timed out: change set {} was still being computed; it is deleted and nothing changed.", created.id));
            return Ok(Err(Outcome::TimedOut));
        }
    };
    if let Some(deployed) = deployed {
        merge_predictions(&mut changes, &predict_replacements(deployed, &loaded.template, values));
    }
    context.ui.block(&render_table(&changes));

    if !updating {
        for warning in unretained_lock_warnings(&loaded.template) {
            context.ui.line(warning);
        }
    }

    let mut findings = destructive_findings(deployed, &loaded.template, &changes);
    if let Some(deployed) = deployed {
        findings.extend(unprotect_findings(deployed, &loaded.template));
        findings.extend(internet_route_findings(deployed, &loaded.template));
    }
    refuse_guarded(context, config, findings)?;

    // A new stack has no previous access to compare with.
    let broadening = deployed.map(|deployed| (context.access_check)(deployed, &loaded.template)).unwrap_or_default();
    if !broadening.is_empty() {
        context.ui.line("This change broadens access to the backup bucket:");
        for line in &broadening {
            context.ui.line(format!("  - {line}"));
        }
        if needs_approval(&broadening, config.approval) {
            let question = "Deploy a change that broadens access to the backup bucket?";
            if !context.ui.confirm(question, false, "pass --require-approval never to deploy it without a prompt")? {
                return Err(DeployError::Refused("access broadening declined; the change set was deleted and nothing changed".to_owned()));
            }
        }
    }

    if !config.execute {
        context.ui.line(format!(
            "Change set kept for review (--no-execute): {id}\n  execute it: aws cloudformation execute-change-set --change-set-name {id}\n  delete it:  aws cloudformation delete-change-set --change-set-name {id}",
            id = created.id
        ));
        return Ok(Ok((Review::KeepForReview, changes)));
    }
    let question = format!("Execute this change set on stack {}?", config.stack_name);
    if !context.ui.confirm(&question, config.yes, "pass --yes to deploy without a prompt")? {
        return Err(DeployError::Refused("deployment declined; the change set was deleted and nothing changed".to_owned()));
    }
    Ok(Ok((Review::Execute, changes)))
}

/// Reports the findings that the `--allow-*` flags allow, warns about
/// flag values that match no finding, and refuses the rest.
///
/// # Errors
/// [`DeployError::Refused`] naming the flag and logical ID that would allow
/// each refused finding.
fn refuse_guarded(context: &Context, config: &DeployConfig, findings: Vec<Finding>) -> Result<(), DeployError> {
    for (flag, ids) in [(AllowFlag::Replacement, &config.allow_replacement), (AllowFlag::Unprotect, &config.allow_unprotect)] {
        for id in ids {
            if !findings.iter().any(|finding| finding.flag == flag && finding.allow_ids.contains(id)) {
                context.ui.line(format!("warning: {} {id} matches no guarded change in this change set", flag.name()));
            }
        }
    }
    let (refused, allowed) = partition_allowed(findings, &config.allow_replacement, &config.allow_unprotect);
    for finding in &allowed {
        context.ui.line(format!("allowed by {}: {finding}", finding.flag.name()));
    }
    if refused.is_empty() {
        return Ok(());
    }

    context.ui.line("Refused: this change set would destroy guarded resources, drop their protection, or expose the private subnet:");
    for finding in &refused {
        context.ui.line(format!("  - {finding}"));
    }
    let mut flags: Vec<String> = Vec::new();
    for finding in &refused {
        let flag = format!("{} {}", finding.flag.name(), finding.logical_id);
        if !flags.contains(&flag) {
            flags.push(flag);
        }
    }
    Err(DeployError::Refused(format!(
        "the change set was deleted and nothing changed. If you mean it, deploy again with {}",
        flags.join(" ")
    )))
}

/// Deletes an unexecuted change set and, when it created the stack, the
/// empty REVIEW_IN_PROGRESS stack it made. Failures are reported, not
/// raised: the run is ending with a more important message.
async fn abandon(context: &Context, target: &Target, created: &CreatedChangeSet) {
    if let Err(error) = changeset::delete(context, &created.id).await {
        context.ui.line(format!("warning: {error}"));
    }
    if target.kind == ChangeSetType::Create && target.existing.is_none() {
        if let Err(error) = context.cfn.delete_stack().stack_name(&created.stack_id).send().await {
            context.ui.line(format!("warning: {}", DeployError::aws("deleting the empty stack the change set created", error)));
        }
    }
}

/// Reads the deployed template. A template this program cannot read does
/// not stop the deployment: the change set's own replacement flags still
/// feed the guards, but local prediction and the route guard are skipped.
async fn deployed_template(context: &Context, info: &StackInfo) -> Result<Option<Template>, DeployError> {
    let output = context
        .cfn
        .get_template()
        .stack_name(&info.id)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(|error| DeployError::aws(format!("reading the deployed template of stack {}", info.name), error))?;
    let source = format!("the deployed template of stack {}", info.name);
    match Template::parse(output.template_body().unwrap_or_default(), &source) {
        Ok(template) => Ok(Some(template)),
        Err(error) => {
            context.ui.line(format!(
                "warning: {error}; replacements are predicted from the change set alone, and routes and deletion policies are not checked"
            ));
            Ok(None)
        }
    }
}

/// Builds the change set's parameters: given values first, then (on update)
/// the deployed value, then the template default. Also returns the values
/// on both sides for the replacement prediction.
///
/// # Errors
/// [`DeployError::Usage`] listing unknown keys and parameters without a value.
pub fn resolve_parameters(
    template: &Template,
    given: &IndexMap<String, String>,
    deployed: Option<&StackInfo>,
) -> Result<(Vec<Parameter>, ParameterValues), DeployError> {
    let mut problems = Vec::new();
    for key in given.keys() {
        if !template.parameters.contains_key(key) {
            let declared: Vec<&str> = template.parameters.keys().map(String::as_str).collect();
            problems.push(format!("--parameter {key}: the template declares no such parameter (it declares: {})", declared.join(", ")));
        }
    }
    let mut parameters = Vec::new();
    let mut values = ParameterValues { deployed: deployed.map(|info| info.parameters.clone()).unwrap_or_default(), new: IndexMap::new() };
    for (name, declared) in &template.parameters {
        if let Some(value) = given.get(name) {
            parameters.push(Parameter::builder().parameter_key(name).parameter_value(value).build());
            values.new.insert(name.clone(), value.clone());
        } else if let Some(previous) = values.deployed.get(name).cloned() {
            parameters.push(Parameter::builder().parameter_key(name).use_previous_value(true).build());
            values.new.insert(name.clone(), previous);
        } else if let Some(default) = &declared.default {
            values.new.insert(name.clone(), parameter_text(default));
        } else {
            let about = declared.description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
            problems.push(format!("parameter {name}{about} has no default and no deployed value: pass --parameter {name}=VALUE"));
        }
    }
    if problems.is_empty() {
        Ok((parameters, values))
    } else {
        Err(DeployError::Usage(problems))
    }
}

/// Writes a parameter default the way CloudFormation passes it: lists
/// comma-separated, everything else as its text.
fn parameter_text(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        Json::Array(items) => items.iter().map(parameter_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Names of the backup buckets: literal `BucketName`s in the new template
/// and the physical names of the deployed ones.
async fn backup_bucket_names(
    context: &Context,
    existing: Option<&StackInfo>,
    deployed: Option<&Template>,
    new: &Template,
) -> Result<Vec<String>, DeployError> {
    let mut names: Vec<String> = backup_bucket_ids(new)
        .iter()
        .filter_map(|id| new.resources[id].properties.get("BucketName").and_then(Json::as_str).map(str::to_owned))
        .collect();
    if let (Some(info), Some(deployed)) = (existing, deployed) {
        let ids = backup_bucket_ids(deployed);
        for resource in stack_resources(context, &info.id).await? {
            if ids.contains(&resource.logical_id) {
                names.extend(resource.physical_id);
            }
        }
    }
    Ok(names)
}

/// The template parameter that sets the address block allowed to reach the
/// bastion over SSH.
const SSH_CIDR_PARAMETER: &str = "SshCidr";

/// Returns a warning when the SSH parameter admits every address. It is a
/// warning, not a refusal: the bastion still needs the key pair, and a
/// short test may mean it.
pub fn open_ssh_warning(values: &IndexMap<String, String>) -> Option<String> {
    let cidr = values.get(SSH_CIDR_PARAMETER)?.trim();
    if cidr != "0.0.0.0/0" && cidr != "::/0" {
        return None;
    }
    Some(format!(
        "warning: {SSH_CIDR_PARAMETER} is {cidr}, so the bastion accepts SSH connections from any address on the internet; \
         pass --parameter {SSH_CIDR_PARAMETER}=ADDRESS/32 with your own address to narrow it"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Template {
        Template::parse(include_str!("../../tests/fixtures/backup-stack.json"), "fixture").unwrap()
    }

    #[test]
    fn missing_parameters_are_listed() {
        let DeployError::Usage(problems) = resolve_parameters(&template(), &IndexMap::new(), None).unwrap_err() else { panic!() };
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].contains("pass --parameter KeyName=VALUE"), "{problems:#?}");
    }

    #[test]
    fn unknown_parameter_is_rejected() {
        let given = IndexMap::from([("KeyName".to_owned(), "k".to_owned()), ("SshCidr".to_owned(), "1.2.3.4/32".to_owned()), ("Nope".to_owned(), "x".to_owned())]);
        let DeployError::Usage(problems) = resolve_parameters(&template(), &given, None).unwrap_err() else { panic!() };
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(problems[0].contains("Nope"), "{problems:#?}");
    }

    #[test]
    fn update_keeps_previous_values() {
        let info = StackInfo {
            id: "arn:aws:cloudformation:us-east-1:1:stack/s/1".into(),
            name: "s".into(),
            status: StackStatus::CreateComplete,
            status_reason: None,
            parameters: IndexMap::from([("KeyName".to_owned(), "old".to_owned()), ("SshCidr".to_owned(), "1.2.3.4/32".to_owned())]),
            outputs: Vec::new(),
            termination_protection: false,
        };
        let given = IndexMap::from([("KeyName".to_owned(), "new".to_owned())]);
        let (parameters, values) = resolve_parameters(&template(), &given, Some(&info)).unwrap();
        assert_eq!(parameters.len(), 2);
        assert_eq!(parameters[0].parameter_value(), Some("new"));
        assert_eq!(parameters[1].use_previous_value(), Some(true));
        assert_eq!(values.new["SshCidr"], "1.2.3.4/32");
        assert_eq!(values.new["LatestAmiId"], "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64");
    }

    #[test]
    fn open_ssh_cidr_warns() {
        for open in ["0.0.0.0/0", "::/0"] {
            let values = IndexMap::from([("SshCidr".to_owned(), open.to_owned())]);
            let warning = open_ssh_warning(&values).expect("a warning");
            assert!(warning.starts_with(&format!("warning: SshCidr is {open}, so the bastion accepts SSH")), "{warning}");
        }
    }

    #[test]
    fn narrow_ssh_cidr_is_quiet() {
        let values = IndexMap::from([("SshCidr".to_owned(), "203.0.113.7/32".to_owned())]);
        assert_eq!(open_ssh_warning(&values), None);
        assert_eq!(open_ssh_warning(&IndexMap::new()), None);
    }
}

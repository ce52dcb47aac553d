//! The `destroy` subcommand, and the list of resources that outlive their
//! stack because their `DeletionPolicy` keeps them (the backup bucket
//! first), which deploy also shows before replacing a failed stack.
//! Destroy refuses to delete a stack whose deletion would delete a bucket
//! unless `--delete-bucket` names the bucket.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::types::{StackStatus, TemplateStage};
use vaultgate_core::template::{DeletionPolicy, Template};

use super::events::{self, report_end, Followed};
use super::guards::has_object_lock;
use super::state::{self, is_operation_running, StackInfo};
use super::template_source::backup_bucket_ids;
use super::{Context, DeployError, Outcome};

/// Most pages of resources read from one stack (100 a page, 500 at most).
const MAX_RESOURCE_PAGES: usize = 10;

/// One resource of a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceSummary {
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: Option<String>,
    pub status: String,
}

/// A resource that stays when its stack is deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retained {
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: String,
    /// The reason it stays.
    pub why: String,
}

/// Lists the stack's resources.
///
/// # Errors
/// [`DeployError::Aws`] when a call fails.
pub async fn stack_resources(context: &Context, stack_id: &str) -> Result<Vec<ResourceSummary>, DeployError> {
    let mut resources = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_RESOURCE_PAGES {
        let output = context
            .cfn
            .list_stack_resources()
            .stack_name(stack_id)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|error| DeployError::aws(format!("listing the resources of stack {stack_id}"), error))?;
        for summary in output.stack_resource_summaries() {
            let logical_id = summary.logical_resource_id().unwrap_or_default();
            // Some emulators list a resource with an empty logical ID.
            if logical_id.is_empty() {
                continue;
            }
            resources.push(ResourceSummary {
                logical_id: logical_id.to_owned(),
                resource_type: summary.resource_type().unwrap_or_default().to_owned(),
                physical_id: summary.physical_resource_id().filter(|id| !id.is_empty()).map(str::to_owned),
                status: summary.resource_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            });
        }
        match output.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    Ok(resources)
}

/// A bucket of a stack that the stack's deletion deletes, because no
/// `DeletionPolicy` keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedBucket {
    pub logical_id: String,
    pub physical_id: String,
    /// The bucket's `DeletionPolicy`, or "(absent)", whose default for a
    /// bucket is `Delete`.
    pub policy: &'static str,
    pub object_lock: bool,
}

impl std::fmt::Display for DeletedBucket {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lock = if self.object_lock { ", Object Lock" } else { "" };
        write!(formatter, "{} ({}, AWS::S3::Bucket{lock}): DeletionPolicy {}", self.physical_id, self.logical_id, self.policy)
    }
}

/// Lists the resources of a stack that its deletion leaves behind: those
/// whose `DeletionPolicy` keeps them and that exist, the backup bucket first.
/// When the deployed template cannot be read, every existing bucket is
/// listed, since a bucket is what must never vanish from view unannounced.
///
/// # Errors
/// [`DeployError::Aws`] when a call fails.
pub async fn retained_resources(context: &Context, info: &StackInfo) -> Result<Vec<Retained>, DeployError> {
    let (template, resources) = stack_contents(context, info).await?;
    Ok(retained_from(template.as_ref(), &resources))
}

/// Reads the stack's template, or `None` with a warning when it cannot be
/// parsed, and lists the stack's resources.
///
/// # Errors
/// [`DeployError::Aws`] when a call fails.
async fn stack_contents(context: &Context, info: &StackInfo) -> Result<(Option<Template>, Vec<ResourceSummary>), DeployError> {
    let output = context
        .cfn
        .get_template()
        .stack_name(&info.id)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(|error| DeployError::aws(format!("reading the template of stack {}", info.name), error))?;
    let template = match Template::parse(output.template_body().unwrap_or_default(), &format!("the template of stack {}", info.name)) {
        Ok(template) => Some(template),
        Err(error) => {
            context.ui.line(format!("warning: {error}; listing every bucket of the stack as possibly retained"));
            None
        }
    };
    let resources = stack_resources(context, &info.id).await?;
    Ok((template, resources))
}

/// Picks the existing buckets that the stack's deletion deletes: those
/// declared without a `DeletionPolicy` of `Retain` or
/// `RetainExceptOnCreate`, in stack order.
pub fn deleted_buckets(template: &Template, resources: &[ResourceSummary]) -> Vec<DeletedBucket> {
    let mut buckets = Vec::new();
    for resource in resources {
        if resource.resource_type != "AWS::S3::Bucket" || resource.status == "DELETE_COMPLETE" {
            continue;
        }
        let (Some(physical_id), Some(declared)) = (&resource.physical_id, template.resources.get(&resource.logical_id)) else { continue };
        let policy = match declared.deletion_policy {
            Some(DeletionPolicy::Retain) | Some(DeletionPolicy::RetainExceptOnCreate) => continue,
            Some(DeletionPolicy::Snapshot) => "Snapshot",
            Some(DeletionPolicy::Delete) => "Delete",
            None => "(absent)",
        };
        buckets.push(DeletedBucket { logical_id: resource.logical_id.clone(), physical_id: physical_id.clone(), policy, object_lock: has_object_lock(declared) });
    }
    buckets
}

/// Warns about each bucket that `--delete-bucket` names, and refuses when
/// the deletion would delete a bucket that it does not name.
///
/// # Errors
/// [`DeployError::Refused`] naming the `--delete-bucket` flags to pass.
pub fn check_deleted_buckets(context: &Context, stack_name: &str, buckets: &[DeletedBucket], delete_buckets: &BTreeSet<String>) -> Result<(), DeployError> {
    for id in delete_buckets {
        if !buckets.iter().any(|bucket| &bucket.logical_id == id) {
            context.ui.line(format!("warning: --delete-bucket {id} matches no bucket that deleting stack {stack_name} would delete"));
        }
    }
    let (named, unnamed): (Vec<&DeletedBucket>, Vec<&DeletedBucket>) = buckets.iter().partition(|bucket| delete_buckets.contains(&bucket.logical_id));
    for bucket in &named {
        context.ui.line(format!("WARNING: --delete-bucket {}: deleting stack {stack_name} deletes bucket {} and every object in it", bucket.logical_id, bucket.physical_id));
    }
    if unnamed.is_empty() {
        return Ok(());
    }

    context.ui.line(format!("Refused: deleting stack {stack_name} would delete these buckets, which no DeletionPolicy keeps:"));
    for bucket in &unnamed {
        context.ui.line(format!("  - {bucket}"));
    }
    let flags: Vec<String> = unnamed.iter().map(|bucket| format!("--delete-bucket {}", bucket.logical_id)).collect();
    Err(DeployError::Refused(format!("nothing changed. If you mean to delete them and their objects, destroy again with {}", flags.join(" "))))
}

/// Picks the retained resources from the stack's resources, backup buckets
/// first, then other buckets, then the rest, each group in stack order.
pub fn retained_from(template: Option<&Template>, resources: &[ResourceSummary]) -> Vec<Retained> {
    let backup_ids = template.map(backup_bucket_ids).unwrap_or_default();
    let mut retained: Vec<(u8, Retained)> = Vec::new();
    for resource in resources {
        let Some(physical_id) = &resource.physical_id else { continue };
        if resource.status == "DELETE_COMPLETE" {
            continue;
        }
        let is_bucket = resource.resource_type == "AWS::S3::Bucket";
        let why = match template.map(|t| t.resources.get(&resource.logical_id)) {
            Some(Some(declared)) => {
                let policy = match declared.deletion_policy {
                    Some(DeletionPolicy::Retain) => "Retain",
                    Some(DeletionPolicy::RetainExceptOnCreate) => "RetainExceptOnCreate",
                    _ => continue,
                };
                if backup_ids.contains(&resource.logical_id) {
                    let lock = if has_object_lock(declared) { ", and Object Lock keeps each locked version until its retention ends" } else { "" };
                    format!("the backup bucket: DeletionPolicy {policy} keeps it and the backups in it{lock}")
                } else if is_bucket {
                    format!("DeletionPolicy {policy} keeps the bucket and its objects")
                } else {
                    format!("DeletionPolicy {policy}")
                }
            }
            Some(None) => continue,
            None if is_bucket => "possibly retained: the stack's template could not be read".to_owned(),
            None => continue,
        };
        let rank = if backup_ids.contains(&resource.logical_id) { 0 } else if is_bucket { 1 } else { 2 };
        retained.push((
            rank,
            Retained { logical_id: resource.logical_id.clone(), resource_type: resource.resource_type.clone(), physical_id: physical_id.clone(), why },
        ));
    }
    retained.sort_by_key(|(rank, _)| *rank);
    retained.into_iter().map(|(_, resource)| resource).collect()
}

/// Prints retained resources, one a line.
pub fn print_retained(context: &Context, retained: &[Retained]) {
    for resource in retained {
        context.ui.line(format!("  - {} ({}, {}): {}", resource.physical_id, resource.logical_id, resource.resource_type, resource.why));
    }
}

/// Deletes the stack after confirmation and lists what remains.
///
/// # Errors
/// [`DeployError::Refused`] when termination protection is on, when the
/// deletion would delete a bucket that `delete_buckets` does not name, or
/// when the user declines; [`DeployError::Aws`] when a call fails.
pub async fn destroy(context: &Context, stack_name: &str, yes: bool, timeout: Duration, delete_buckets: &BTreeSet<String>) -> Result<Outcome, DeployError> {
    let Some(mut info) = state::describe(context, stack_name).await? else {
        context.ui.line(format!("Stack {stack_name} does not exist; nothing to delete."));
        return Ok(Outcome::Succeeded);
    };
    if info.termination_protection {
        return Err(DeployError::Refused(format!(
            "stack {stack_name} has termination protection; turn it off first: \
             aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name {stack_name}"
        )));
    }
    if is_operation_running(&info.status) {
        context.ui.line(format!("Stack {stack_name} is {}: waiting for that operation to finish.", info.status.as_str()));
        let since = events::latest_event_id(context, &info.id).await?;
        let report = events::follow(context, &info.id, since, Instant::now() + timeout, 0).await?;
        match report.end {
            Followed::Settled(settled) if settled.status == StackStatus::DeleteComplete => {
                context.ui.line(format!("Stack {stack_name} is deleted."));
                return Ok(Outcome::Succeeded);
            }
            Followed::Settled(settled) => info = settled,
            Followed::Gone => {
                context.ui.line(format!("Stack {stack_name} is deleted."));
                return Ok(Outcome::Succeeded);
            }
            _ => return Ok(report_end(context, &report, stack_name, &StackStatus::DeleteComplete, &[])),
        }
    }

    let (template, resources) = stack_contents(context, &info).await?;
    // NOTE: with an unreadable template the buckets are listed below as
    // possibly retained, and none is refused, since their policy is unknown.
    let buckets = template.as_ref().map(|template| deleted_buckets(template, &resources)).unwrap_or_default();
    check_deleted_buckets(context, stack_name, &buckets, delete_buckets)?;
    let retained = retained_from(template.as_ref(), &resources);
    if retained.is_empty() {
        context.ui.line(format!("Deleting stack {stack_name} ({}) deletes all its resources; none is retained.", info.status.as_str()));
    } else {
        context.ui.line(format!("Deleting stack {stack_name} ({}) deletes its resources except these, which stay:", info.status.as_str()));
        print_retained(context, &retained);
    }
    if !context.ui.confirm(&format!("Delete stack {stack_name}?"), yes, "pass --yes to delete without a prompt")? {
        return Err(DeployError::Refused(format!("deleting stack {stack_name} declined; nothing changed")));
    }

    let resource_count = resources.len() as u64;
    let label = format!("stack {stack_name}");
    let report = events::delete_and_follow(context, &info.id, &label, Instant::now() + timeout, resource_count).await?;
    let outcome = report_end(context, &report, stack_name, &StackStatus::DeleteComplete, &[]);
    if outcome == Outcome::Succeeded && !retained.is_empty() {
        context.ui.line("Retained resources that remain:");
        for resource in &retained {
            let presence = if resource.resource_type == "AWS::S3::Bucket" { bucket_presence(context, &resource.physical_id).await } else { "" };
            context.ui.line(format!("  - {} ({}, {}){presence}: {}", resource.physical_id, resource.logical_id, resource.resource_type, resource.why));
        }
    }
    Ok(outcome)
}

/// Checks that a retained bucket still exists, as a note for the list.
async fn bucket_presence(context: &Context, bucket: &str) -> &'static str {
    match context.s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => " [still exists]",
        Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => " [not found: deleted by someone else]",
        Err(_) => " [could not check]",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(logical_id: &str, resource_type: &str, status: &str) -> ResourceSummary {
        ResourceSummary {
            logical_id: logical_id.into(),
            resource_type: resource_type.into(),
            physical_id: Some(format!("{}-physical", logical_id.to_lowercase())),
            status: status.into(),
        }
    }

    #[test]
    fn backup_bucket_is_listed_first() {
        let mut template = Template::parse(include_str!("../../tests/fixtures/backup-stack.json"), "fixture").unwrap();
        let mut logs: vaultgate_core::template::Resource = serde_json::from_value(serde_json::json!({"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"})).unwrap();
        logs.update_replace_policy = Some(DeletionPolicy::Retain);
        template.resources.insert("LogBucket".into(), logs);
        template.resources.get_mut("BackupInstanceRole").unwrap().deletion_policy = Some(DeletionPolicy::Retain);
        let resources = [
            resource("BackupInstanceRole", "AWS::IAM::Role", "CREATE_COMPLETE"),
            resource("LogBucket", "AWS::S3::Bucket", "CREATE_COMPLETE"),
            resource("Vpc", "AWS::EC2::VPC", "CREATE_COMPLETE"),
            resource("BackupBucket", "AWS::S3::Bucket", "CREATE_COMPLETE"),
        ];
        let retained = retained_from(Some(&template), &resources);
        let order: Vec<&str> = retained.iter().map(|r| r.logical_id.as_str()).collect();
        assert_eq!(order, ["BackupBucket", "LogBucket", "BackupInstanceRole"]);
        assert!(retained[0].why.starts_with("the backup bucket"), "{}", retained[0].why);
        assert!(retained[0].why.contains("Object Lock"), "{}", retained[0].why);
    }

    #[test]
    fn deleted_resources_are_not_retained() {
        let template = Template::parse(include_str!("../../tests/fixtures/backup-stack.json"), "fixture").unwrap();
        let resources = [resource("BackupBucket", "AWS::S3::Bucket", "DELETE_COMPLETE")];
        assert!(retained_from(Some(&template), &resources).is_empty());
        let skipped = [resource("BackupBucket", "AWS::S3::Bucket", "DELETE_SKIPPED")];
        assert_eq!(retained_from(Some(&template), &skipped).len(), 1);
    }

    #[test]
    fn unreadable_template_lists_every_bucket() {
        let resources = [resource("Vpc", "AWS::EC2::VPC", "CREATE_COMPLETE"), resource("Data", "AWS::S3::Bucket", "CREATE_COMPLETE")];
        let retained = retained_from(None, &resources);
        assert_eq!(retained.len(), 1);
        assert!(retained[0].why.contains("could not be read"), "{}", retained[0].why);
    }

    #[test]
    fn deleted_buckets_skip_retained_ones() {
        let mut template = Template::parse(include_str!("../../tests/fixtures/backup-stack.json"), "fixture").unwrap();
        let logs: vaultgate_core::template::Resource = serde_json::from_value(serde_json::json!({"Type": "AWS::S3::Bucket"})).unwrap();
        template.resources.insert("LogBucket".into(), logs);
        let resources = [
            resource("BackupBucket", "AWS::S3::Bucket", "CREATE_COMPLETE"),
            resource("LogBucket", "AWS::S3::Bucket", "CREATE_COMPLETE"),
            resource("Vpc", "AWS::EC2::VPC", "CREATE_COMPLETE"),
        ];

        let buckets = deleted_buckets(&template, &resources);

        assert_eq!(buckets.len(), 1, "{buckets:?}");
        assert_eq!(buckets[0].to_string(), "logbucket-physical (LogBucket, AWS::S3::Bucket): DeletionPolicy (absent)");
    }

    #[test]
    fn deleted_bucket_notes_object_lock() {
        let mut template = Template::parse(include_str!("../../tests/fixtures/backup-stack.json"), "fixture").unwrap();
        template.resources.get_mut("BackupBucket").unwrap().deletion_policy = Some(DeletionPolicy::Delete);
        let buckets = deleted_buckets(&template, &[resource("BackupBucket", "AWS::S3::Bucket", "CREATE_COMPLETE")]);
        assert_eq!(buckets.len(), 1);
        assert!(buckets[0].object_lock);
        assert!(deleted_buckets(&template, &[resource("BackupBucket", "AWS::S3::Bucket", "DELETE_COMPLETE")]).is_empty());
    }
}

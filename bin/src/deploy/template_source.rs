//! The template to deploy: read from a file or synthesized from the default
//! stack, validated, and passed to CloudFormation inline or, past the inline
//! size limit, through an S3 upload.

use std::path::Path;

use sha2::{Digest, Sha256};
use vaultgate_core::template::Template;
use vaultgate_core::validate::{validate_template, Severity, MAX_INLINE_TEMPLATE_BYTES};

use super::guards::has_object_lock;
use super::{Context, DeployError};

/// A validated template and the JSON text that is sent to CloudFormation.
#[derive(Debug, Clone)]
pub struct LoadedTemplate {
    pub template: Template,
    /// The template as sent: vaultgate's canonical JSON, so YAML input and
    /// short-form tags reach CloudFormation the way they were validated.
    pub body: String,
    /// The template's origin, such as its path, for messages.
    pub source: String,
    /// Warnings from validation, shown before planning.
    pub warnings: Vec<String>,
}

/// The way CloudFormation receives the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateLocation {
    Body(String),
    Url(String),
}

/// Reads and validates the template at `path`, or the default stack.
///
/// # Errors
/// [`DeployError::Template`] when the file cannot be read or parsed, or
/// validation finds errors (all of them are listed).
pub fn load(path: Option<&Path>) -> Result<LoadedTemplate, DeployError> {
    let (template, source) = match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|error| DeployError::Template(format!("cannot read template `{}`: {error}", path.display())))?;
            let source = path.display().to_string();
            let template = Template::parse(&text, &source).map_err(|error| DeployError::Template(error.to_string()))?;
            (template, source)
        }
        None => (default_template()?, "the default backup stack".to_owned()),
    };
    from_template(template, source)
}

/// Validates an already-built template.
///
/// # Errors
/// [`DeployError::Template`] listing every validation error.
pub fn from_template(template: Template, source: String) -> Result<LoadedTemplate, DeployError> {
    let problems = validate_template(&template, &Default::default());
    let errors: Vec<String> = problems.iter().filter(|p| p.severity == Severity::Error).map(|p| format!("  - {p}")).collect();
    if !errors.is_empty() {
        return Err(DeployError::Template(format!("template from {source} is invalid ({} errors):\n{}", errors.len(), errors.join("\n"))));
    }
    // The inline-size warning is handled by `location`, with the fix.
    let warnings = problems
        .iter()
        .filter(|p| p.severity == Severity::Warning && !p.message.contains("inline templates"))
        .map(ToString::to_string)
        .collect();
    let body = template.to_json_string();
    Ok(LoadedTemplate { template, body, source, warnings })
}

/// Returns the default backup stack, synthesized with default settings.
fn default_template() -> Result<Template, DeployError> {
    Ok(vaultgate_constructs::default_template())
}

/// Returns the logical IDs of the backup buckets: buckets with Object
/// Lock, or, when there are none, buckets kept by their `DeletionPolicy`.
pub fn backup_bucket_ids(template: &Template) -> Vec<String> {
    let buckets = || template.resources.iter().filter(|(_, resource)| resource.resource_type == "AWS::S3::Bucket");
    let locked: Vec<String> = buckets().filter(|(_, resource)| has_object_lock(resource)).map(|(id, _)| id.clone()).collect();
    if !locked.is_empty() {
        return locked;
    }
    buckets()
        .filter(|(_, resource)| resource.deletion_policy.is_some_and(|policy| policy != vaultgate_core::template::DeletionPolicy::Delete))
        .map(|(id, _)| id.clone())
        .collect()
}

/// Checks that a template over the inline limit has a bucket to go through,
/// before any AWS call is made.
///
/// # Errors
/// [`DeployError::Template`] saying to pass `--template-bucket`.
pub fn check_size(loaded: &LoadedTemplate, template_bucket: Option<&str>) -> Result<(), DeployError> {
    if loaded.body.len() > MAX_INLINE_TEMPLATE_BYTES && template_bucket.is_none() {
        return Err(too_large(loaded));
    }
    Ok(())
}

fn too_large(loaded: &LoadedTemplate) -> DeployError {
    DeployError::Template(format!(
        "the template from {} is {} bytes, over CloudFormation's {MAX_INLINE_TEMPLATE_BYTES}-byte limit for inline templates; \
         pass --template-bucket BUCKET to upload it to an S3 bucket you own (not the backup bucket)",
        loaded.source,
        loaded.body.len()
    ))
}

/// Decides how to pass the template: inline when it fits, else uploaded to
/// `template_bucket`, which must not be one of `backup_bucket_names`.
///
/// # Errors
/// [`DeployError::Template`] when the template is too large and no bucket
/// is given, [`DeployError::Refused`] for the backup bucket, and
/// [`DeployError::Aws`] when the upload fails.
pub async fn location(
    context: &Context,
    loaded: &LoadedTemplate,
    stack_name: &str,
    template_bucket: Option<&str>,
    backup_bucket_names: &[String],
) -> Result<TemplateLocation, DeployError> {
    let size = loaded.body.len();
    if size <= MAX_INLINE_TEMPLATE_BYTES {
        return Ok(TemplateLocation::Body(loaded.body.clone()));
    }
    let Some(bucket) = template_bucket else { return Err(too_large(loaded)) };
    if backup_bucket_names.iter().any(|name| name == bucket) {
        return Err(DeployError::Refused(format!(
            "--template-bucket {bucket} is the backup bucket, which accepts only backups through the VPC endpoint; choose another bucket"
        )));
    }
    let key = format!("vaultgate/{stack_name}/{}.json", hex_digest(loaded.body.as_bytes()));
    context
        .s3
        .put_object()
        .bucket(bucket)
        .key(&key)
        .content_type("application/json")
        .body(loaded.body.clone().into_bytes().into())
        .send()
        .await
        .map_err(|error| DeployError::aws(format!("uploading the template to s3://{bucket}/{key}"), error))?;
    context.ui.line(format!("Uploaded the {size}-byte template to s3://{bucket}/{key}"));
    Ok(TemplateLocation::Url(template_url(bucket, &key, &context.region)))
}

/// Builds the virtual-hosted S3 URL that CloudFormation reads the template from.
fn template_url(bucket: &str, key: &str, region: &str) -> String {
    let domain = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
    format!("https://{bucket}.s3.{region}.{domain}/{key}")
}

fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_template_is_valid() {
        let loaded = load(None).unwrap();
        assert_eq!(backup_bucket_ids(&loaded.template).len(), 1, "{}", loaded.body);
        assert!(loaded.body.len() <= MAX_INLINE_TEMPLATE_BYTES, "the default stack deploys inline");
    }

    #[test]
    fn fixture_has_one_backup_bucket() {
        let template = Template::parse(include_str!("../../tests/fixtures/backup-stack.json"), "fixture").unwrap();
        assert_eq!(backup_bucket_ids(&template), ["BackupBucket"]);
    }

    #[test]
    fn invalid_template_lists_errors() {
        let template = Template::parse(r#"{"Resources": {"A": {"Type": "AWS::SNS::Topic", "DependsOn": ["Missing"]}}}"#, "t.json").unwrap();
        let error = from_template(template, "t.json".into()).unwrap_err().to_string();
        assert!(error.contains("t.json is invalid"), "{error}");
        assert!(error.contains("Missing"), "{error}");
    }

    #[test]
    fn template_url_uses_region_domain() {
        assert_eq!(template_url("b", "k.json", "eu-west-1"), "https://b.s3.eu-west-1.amazonaws.com/k.json");
        assert_eq!(template_url("b", "k.json", "cn-north-1"), "https://b.s3.cn-north-1.amazonaws.com.cn/k.json");
    }
}

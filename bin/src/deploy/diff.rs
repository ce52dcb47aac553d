//! The `diff` subcommand: the template against the deployed stack's
//! template, resource by resource and property by property, with changes
//! that need replacement marked and access-matrix changes listed.

use aws_sdk_cloudformation::types::TemplateStage;
use serde_json::Value as Json;
use vaultgate_core::template::{Resource, Template};

use super::replacement::{changed_create_only_properties, create_only_of, ParameterValues};
use super::state;
use super::template_source::LoadedTemplate;
use super::{Context, DeployError, Outcome};

/// Longest JSON value shown in full; longer ones are cut with `…`.
const MAX_VALUE_CHARS: usize = 80;

/// One changed property or resource attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyChange {
    /// `Properties.Name`, or an attribute such as `DeletionPolicy`.
    pub name: String,
    pub old: Option<Json>,
    pub new: Option<Json>,
    /// The property is create-only, so changing it replaces the resource.
    pub replaces: bool,
}

/// The differences between the resources of two templates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateDiff {
    /// (logical ID, type)
    pub added: Vec<(String, String)>,
    /// (logical ID, type)
    pub removed: Vec<(String, String)>,
    /// (logical ID, type, changes)
    pub modified: Vec<(String, String, Vec<PropertyChange>)>,
}

impl TemplateDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.modified.is_empty()
    }
}

/// Compares the resources of two templates. Parameter values resolve
/// `Ref`s in create-only properties, as deploy's prediction does.
pub fn diff_templates(old: &Template, new: &Template, parameters: &ParameterValues) -> TemplateDiff {
    let mut diff = TemplateDiff::default();
    for (id, resource) in &new.resources {
        match old.resources.get(id) {
            None => diff.added.push((id.clone(), resource.resource_type.clone())),
            Some(previous) => {
                let changes = resource_changes(previous, resource, parameters);
                if !changes.is_empty() {
                    diff.modified.push((id.clone(), resource.resource_type.clone(), changes));
                }
            }
        }
    }
    for (id, resource) in &old.resources {
        if !new.resources.contains_key(id) {
            diff.removed.push((id.clone(), resource.resource_type.clone()));
        }
    }
    diff
}

fn resource_changes(old: &Resource, new: &Resource, parameters: &ParameterValues) -> Vec<PropertyChange> {
    let mut changes = Vec::new();
    if old.resource_type != new.resource_type {
        changes.push(PropertyChange { name: "Type".into(), old: Some(old.resource_type.clone().into()), new: Some(new.resource_type.clone().into()), replaces: true });
        return changes;
    }
    let replacing = changed_create_only_properties(old, new, parameters);
    let create_only = create_only_of(&new.resource_type);
    let mut names: Vec<&String> = new.properties.keys().collect();
    names.extend(old.properties.keys().filter(|name| !new.properties.contains_key(*name)));
    for name in names {
        let (before, after) = (old.properties.get(name), new.properties.get(name));
        let top_level_replaces = replacing.iter().any(|path| path == name || path.starts_with(&format!("{name}.")));
        if before != after || top_level_replaces {
            let replaces = top_level_replaces || (before != after && create_only.contains(&name.as_str()));
            changes.push(PropertyChange { name: format!("Properties.{name}"), old: before.cloned(), new: after.cloned(), replaces });
        }
    }
    let attributes = [
        ("DeletionPolicy", old.deletion_policy.map(|p| json_of(&p)), new.deletion_policy.map(|p| json_of(&p))),
        ("UpdateReplacePolicy", old.update_replace_policy.map(|p| json_of(&p)), new.update_replace_policy.map(|p| json_of(&p))),
        ("Condition", old.condition.clone().map(Json::from), new.condition.clone().map(Json::from)),
        ("DependsOn", Some(Json::from(old.depends_on.clone())), Some(Json::from(new.depends_on.clone()))),
        ("UpdatePolicy", old.update_policy.clone(), new.update_policy.clone()),
        ("CreationPolicy", old.creation_policy.clone(), new.creation_policy.clone()),
    ];
    for (name, before, after) in attributes {
        if before != after {
            changes.push(PropertyChange { name: name.to_owned(), old: before, new: after, replaces: false });
        }
    }
    changes
}

fn json_of(policy: &impl serde::Serialize) -> Json {
    serde_json::to_value(policy).unwrap_or(Json::Null)
}

/// Renders the diff and the access-matrix changes as text.
pub fn render(diff: &TemplateDiff, broadening: &[String]) -> String {
    let mut text = String::new();
    if diff.is_empty() {
        text.push_str("Resources: no differences.\n");
    }
    for (id, resource_type) in &diff.added {
        text.push_str(&format!("+ {id} ({resource_type})\n"));
    }
    for (id, resource_type) in &diff.removed {
        text.push_str(&format!("- {id} ({resource_type})\n"));
    }
    for (id, resource_type, changes) in &diff.modified {
        let replaced = changes.iter().any(|change| change.replaces);
        let mark = if replaced { "  [replacement]" } else { "" };
        text.push_str(&format!("~ {id} ({resource_type}){mark}\n"));
        for change in changes {
            let note = if change.replaces { "  (create-only: replaces the resource)" } else { "" };
            text.push_str(&format!("    {}: {} -> {}{note}\n", change.name, shown(change.old.as_ref()), shown(change.new.as_ref())));
        }
    }
    if broadening.is_empty() {
        text.push_str("Access to the backup bucket: no broadening found.\n");
    } else {
        text.push_str("Access to the backup bucket broadens:\n");
        for line in broadening {
            text.push_str(&format!("  + {line}\n"));
        }
    }
    text
}

fn shown(value: Option<&Json>) -> String {
    let Some(value) = value else { return "(absent)".to_owned() };
    let text = value.to_string();
    if text.chars().count() <= MAX_VALUE_CHARS {
        text
    } else {
        let cut: String = text.chars().take(MAX_VALUE_CHARS).collect();
        format!("{cut}…")
    }
}

/// Compares `loaded` with the deployed stack and prints the differences.
///
/// # Errors
/// [`DeployError::Aws`] when a call fails, and [`DeployError::Template`]
/// when the deployed template cannot be read.
pub async fn diff(context: &Context, stack_name: &str, loaded: &LoadedTemplate) -> Result<Outcome, DeployError> {
    let Some(info) = state::describe(context, stack_name).await? else {
        context.ui.line(format!("Stack {stack_name} does not exist; deploying creates every resource:"));
        let diff = diff_templates(&Template::default(), &loaded.template, &ParameterValues::default());
        context.ui.block(&render(&diff, &[]));
        return Ok(Outcome::Succeeded);
    };
    let output = context
        .cfn
        .get_template()
        .stack_name(&info.id)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(|error| DeployError::aws(format!("reading the deployed template of stack {stack_name}"), error))?;
    let deployed = Template::parse(output.template_body().unwrap_or_default(), &format!("the deployed template of stack {stack_name}"))
        .map_err(|error| DeployError::Template(error.to_string()))?;
    // Parameters left out of a diff keep their deployed values, as on deploy.
    let parameters = ParameterValues { deployed: info.parameters.clone(), new: info.parameters.clone() };
    let diff = diff_templates(&deployed, &loaded.template, &parameters);
    let broadening = (context.access_check)(&deployed, &loaded.template);
    context.ui.line(format!("Stack {stack_name} ({}) against {}:", info.status.as_str(), loaded.source));
    context.ui.block(&render(&diff, &broadening));
    Ok(Outcome::Succeeded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Template {
        Template::parse(include_str!("../../tests/fixtures/backup-stack.json"), "fixture").unwrap()
    }

    #[test]
    fn identical_templates_have_no_diff() {
        let diff = diff_templates(&fixture(), &fixture(), &ParameterValues::default());
        assert!(diff.is_empty());
        assert!(render(&diff, &[]).starts_with("Resources: no differences."));
    }

    #[test]
    fn bucket_name_change_is_marked_replacement() {
        let mut new = fixture();
        new.resources["BackupBucket"].properties.insert("BucketName".into(), "named".into());
        new.resources["Vpc"].properties.insert("EnableDnsHostnames".into(), false.into());
        new.resources.shift_remove("Bastion");
        let diff = diff_templates(&fixture(), &new, &ParameterValues::default());
        assert_eq!(diff.removed, [("Bastion".to_owned(), "AWS::EC2::Instance".to_owned())]);
        assert_eq!(diff.modified.len(), 2);
        let text = render(&diff, &[]);
        assert!(text.contains("~ BackupBucket (AWS::S3::Bucket)  [replacement]\n"), "{text}");
        assert!(text.contains("    Properties.BucketName: (absent) -> \"named\"  (create-only: replaces the resource)\n"), "{text}");
        assert!(text.contains("~ Vpc (AWS::EC2::VPC)\n    Properties.EnableDnsHostnames: true -> false\n"), "{text}");
        assert!(text.contains("- Bastion (AWS::EC2::Instance)\n"), "{text}");
    }

    #[test]
    fn deletion_policy_change_is_listed() {
        let mut new = fixture();
        new.resources["BackupBucket"].deletion_policy = Some(vaultgate_core::template::DeletionPolicy::Delete);
        let text = render(&diff_templates(&fixture(), &new, &ParameterValues::default()), &[]);
        assert!(text.contains("    DeletionPolicy: \"Retain\" -> \"Delete\"\n"), "{text}");
    }

    #[test]
    fn broadening_is_rendered() {
        let text = render(&TemplateDiff::default(), &["s3:GetObject by anyone".to_owned()]);
        assert!(text.contains("Access to the backup bucket broadens:\n  + s3:GetObject by anyone\n"), "{text}");
    }
}

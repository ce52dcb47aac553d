//! Stacks and apps: a stack owns one construct tree and becomes one template;
//! an app holds several stacks and writes them to a directory.

use std::collections::BTreeMap;
use std::path::Path;

use indexmap::{IndexMap, IndexSet};
use serde_json::{Map, Value as Json};

use crate::construct::{allocate_logical_id, is_valid_logical_id, LogicalId, Scope};
use crate::error::Error;
use crate::expr::Expr;
use crate::resources::{tag_style, TagStyle};
use crate::template::{Format, Output, Parameter, Resource, Template, FORMAT_VERSION};
use crate::validate::{validate_template, Problem, Severity};

/// One stack: a construct tree that synthesizes to one template.
#[derive(Debug, Clone)]
pub struct Stack {
    name: String,
    description: Option<String>,
    pub(crate) nodes: IndexSet<String>,
    resources: IndexMap<String, Resource>,
    /// Construct path of each resource, by logical ID.
    resource_paths: IndexMap<String, String>,
    parameters: IndexMap<String, Parameter>,
    conditions: IndexMap<String, Json>,
    outputs: IndexMap<String, Output>,
    mappings: IndexMap<String, IndexMap<String, Map<String, Json>>>,
    stack_tags: BTreeMap<String, String>,
    /// Tags set on a subtree: path prefix below the stack, key, value.
    pub(crate) scoped_tags: Vec<(String, String, String)>,
    renames: IndexMap<String, String>,
    overrides: IndexMap<String, String>,
    problems: Vec<Problem>,
}

/// The result of synthesizing a stack: the template and its warnings.
#[derive(Debug, Clone)]
pub struct Synthesized {
    /// The validated template.
    pub template: Template,
    /// Warnings found by validation; errors stop synthesis instead.
    pub warnings: Vec<Problem>,
    /// Construct path of each resource, by logical ID.
    pub resource_paths: IndexMap<String, String>,
}

impl Synthesized {
    /// Returns the template as pretty JSON, ending in a newline.
    pub fn to_json_string(&self) -> String {
        self.template.to_json_string()
    }
}

impl Stack {
    /// Creates an empty stack. The name becomes the root of every construct
    /// path in it.
    pub fn new(name: &str) -> Stack {
        Stack {
            name: name.to_owned(),
            description: None,
            nodes: IndexSet::new(),
            resources: IndexMap::new(),
            resource_paths: IndexMap::new(),
            parameters: IndexMap::new(),
            conditions: IndexMap::new(),
            outputs: IndexMap::new(),
            mappings: IndexMap::new(),
            stack_tags: BTreeMap::new(),
            scoped_tags: Vec::new(),
            renames: IndexMap::new(),
            overrides: IndexMap::new(),
            problems: Vec::new(),
        }
    }

    /// Returns the stack's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sets the template's `Description`.
    pub fn set_description(&mut self, text: &str) {
        self.description = Some(text.to_owned());
    }

    /// Returns the root scope, where top-level constructs are added.
    pub fn root(&mut self) -> Scope<'_> {
        Scope { stack: self, path: Vec::new() }
    }

    /// Applies a tag to every taggable resource of the stack.
    pub fn add_tag(&mut self, key: &str, value: &str) {
        self.stack_tags.insert(key.to_owned(), value.to_owned());
    }

    /// Maps a derived logical ID to another one, so that a construct moved in
    /// the tree keeps the logical ID (and so the physical resource) it had.
    /// Call it before the construct is added.
    pub fn rename_logical_id(&mut self, derived: &str, kept: &str) {
        self.renames.insert(derived.to_owned(), kept.to_owned());
    }

    /// Sets the logical ID of the resource at `path` (below the stack, such
    /// as `Backup/Bucket/Resource`) instead of deriving it. Call it before
    /// the construct is added.
    pub fn override_logical_id(&mut self, path: &str, logical_id: &str) {
        self.overrides.insert(path.to_owned(), logical_id.to_owned());
    }

    /// Adds a mapping for `Fn::FindInMap`.
    pub fn add_mapping(&mut self, name: &str, mapping: IndexMap<String, Map<String, Json>>) {
        self.mappings.insert(name.to_owned(), mapping);
    }

    /// Records a problem found by a construct, reported at synth with the
    /// validation results. Constructs use it for warnings, such as a long
    /// retention period, that should not stop construction.
    pub fn report(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// Returns the resource with the given logical ID.
    pub fn resource(&self, logical_id: &LogicalId) -> Option<&Resource> {
        self.resources.get(logical_id.as_str())
    }

    /// Returns the resource with the given logical ID, mutably.
    pub fn resource_mut(&mut self, logical_id: &LogicalId) -> Option<&mut Resource> {
        self.resources.get_mut(logical_id.as_str())
    }

    /// Returns the number of resources added so far.
    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    pub(crate) fn insert_resource(
        &mut self,
        full_path: String,
        components: &[&str],
        resource: Resource,
    ) -> Result<LogicalId, Error> {
        let below_stack = components.join("/");
        let derived = match self.overrides.get(&below_stack) {
            Some(id) => id.clone(),
            None => allocate_logical_id(components),
        };
        let logical_id = self.renames.get(&derived).cloned().unwrap_or(derived);
        if let Some(first) = self.resource_paths.get(&logical_id) {
            return Err(Error::LogicalIdCollision { logical_id, first: first.clone(), second: full_path });
        }
        if let Some(first) = self.parameters.contains_key(&logical_id).then(|| format!("parameter {logical_id}")) {
            return Err(Error::LogicalIdCollision { logical_id, first, second: full_path });
        }
        self.resource_paths.insert(logical_id.clone(), full_path);
        self.resources.insert(logical_id.clone(), resource);
        Ok(LogicalId(logical_id))
    }

    pub(crate) fn insert_parameter(&mut self, name: &str, parameter: Parameter, path: String) -> Result<Expr, Error> {
        if self.parameters.contains_key(name) || self.resources.contains_key(name) {
            return Err(Error::DuplicateName { section: "parameter", name: name.to_owned(), path });
        }
        self.parameters.insert(name.to_owned(), parameter);
        Ok(Expr::reference(name))
    }

    pub(crate) fn insert_output(&mut self, name: &str, output: Output, path: String) -> Result<(), Error> {
        if self.outputs.contains_key(name) {
            return Err(Error::DuplicateName { section: "output", name: name.to_owned(), path });
        }
        self.outputs.insert(name.to_owned(), output);
        Ok(())
    }

    pub(crate) fn insert_condition(&mut self, name: &str, condition: Json, path: String) -> Result<(), Error> {
        if self.conditions.contains_key(name) {
            return Err(Error::DuplicateName { section: "condition", name: name.to_owned(), path });
        }
        self.conditions.insert(name.to_owned(), condition);
        Ok(())
    }

    /// Builds the template without validating it.
    pub fn to_template(&self) -> Template {
        let mut resources = self.resources.clone();
        for (logical_id, resource) in resources.iter_mut() {
            let path = &self.resource_paths[logical_id];
            self.apply_tags(path, resource);
        }
        Template {
            format_version: Some(FORMAT_VERSION.to_owned()),
            description: self.description.clone(),
            parameters: self.parameters.clone(),
            mappings: self.mappings.clone(),
            conditions: self.conditions.clone(),
            resources,
            outputs: self.outputs.clone(),
            ..Template::default()
        }
    }

    /// Merges stack tags and subtree tags into a taggable resource's `Tags`.
    /// A deeper subtree's tag wins over a higher one, and a tag the resource
    /// sets itself wins over both. Tags are written sorted by key.
    fn apply_tags(&self, full_path: &str, resource: &mut Resource) {
        let Some(style) = tag_style(&resource.resource_type) else { return };
        let below_stack = full_path.split_once('/').map_or("", |(_, rest)| rest);
        let mut tags = self.stack_tags.clone();
        let mut scoped: Vec<&(String, String, String)> = self
            .scoped_tags
            .iter()
            .filter(|(prefix, _, _)| {
                prefix.is_empty() || below_stack == prefix || below_stack.starts_with(&format!("{prefix}/"))
            })
            .collect();
        scoped.sort_by_key(|(prefix, _, _)| if prefix.is_empty() { 0 } else { prefix.split('/').count() });
        for (_, key, value) in scoped {
            tags.insert(key.clone(), value.clone());
        }
        if tags.is_empty() {
            return;
        }

        let mut merged: BTreeMap<String, Json> = tags.into_iter().map(|(key, value)| (key, Json::String(value))).collect();
        match (style, resource.properties.get("Tags")) {
            (TagStyle::KeyValueList, Some(Json::Array(own))) => {
                for tag in own {
                    if let (Some(Json::String(key)), Some(value)) = (tag.get("Key"), tag.get("Value")) {
                        merged.insert(key.clone(), value.clone());
                    }
                }
            }
            (TagStyle::Map, Some(Json::Object(own))) => {
                for (key, value) in own {
                    merged.insert(key.clone(), value.clone());
                }
            }
            _ => {}
        }
        let tags = match style {
            TagStyle::KeyValueList => Json::Array(
                merged
                    .into_iter()
                    .map(|(key, value)| {
                        let mut tag = Map::new();
                        tag.insert("Key".to_owned(), Json::String(key));
                        tag.insert("Value".to_owned(), value);
                        Json::Object(tag)
                    })
                    .collect(),
            ),
            TagStyle::Map => Json::Object(merged.into_iter().collect()),
        };
        resource.properties.insert("Tags".to_owned(), tags);
    }

    /// Synthesizes the stack: builds the template and validates the whole.
    ///
    /// # Errors
    /// [`Error::Invalid`] listing every error found, each with its construct
    /// path and logical ID. Warnings do not fail synthesis; they are returned
    /// in [`Synthesized::warnings`].
    pub fn synth(&self) -> Result<Synthesized, Error> {
        let template = self.to_template();
        let mut problems = self.problems.clone();
        problems.extend(validate_template(&template, &self.resource_paths));
        for logical_id in self.resources.keys() {
            if !is_valid_logical_id(logical_id) {
                problems.push(Problem::error(
                    Some(self.resource_paths[logical_id].clone()),
                    Some(logical_id.clone()),
                    format!("logical ID {logical_id:?} is invalid: use 1 to 255 ASCII letters and digits"),
                ));
            }
        }
        let (errors, warnings): (Vec<Problem>, Vec<Problem>) =
            problems.into_iter().partition(|problem| problem.severity == Severity::Error);
        if !errors.is_empty() {
            return Err(Error::Invalid { stack: self.name.clone(), problems: errors });
        }
        Ok(Synthesized { template, warnings, resource_paths: self.resource_paths.clone() })
    }
}

/// An app: several stacks synthesized together.
#[derive(Debug, Default)]
pub struct App {
    stacks: Vec<Stack>,
}

impl App {
    /// Creates an app with no stacks.
    pub fn new() -> App {
        App::default()
    }

    /// Adds a stack and returns it for construction.
    pub fn add_stack(&mut self, stack: Stack) -> &mut Stack {
        self.stacks.push(stack);
        self.stacks.last_mut().expect("just pushed")
    }

    /// Returns the stacks in the order they were added.
    pub fn stacks(&self) -> &[Stack] {
        &self.stacks
    }

    /// Synthesizes every stack. All stacks are validated before any error is
    /// returned, so one run reports the problems of every stack.
    ///
    /// # Errors
    /// The first stack's [`Error::Invalid`] when several fail; the others'
    /// problems are appended to it.
    pub fn synth(&self) -> Result<Vec<Synthesized>, Error> {
        let mut done = Vec::new();
        let mut failures: Vec<Problem> = Vec::new();
        let mut first_failed: Option<String> = None;
        for stack in &self.stacks {
            match stack.synth() {
                Ok(synthesized) => done.push(synthesized),
                Err(Error::Invalid { stack, problems }) => {
                    first_failed.get_or_insert(stack);
                    failures.extend(problems);
                }
                Err(other) => return Err(other),
            }
        }
        match first_failed {
            Some(stack) => Err(Error::Invalid { stack, problems: failures }),
            None => Ok(done),
        }
    }

    /// Synthesizes every stack and writes `NAME.template.json` (or `.yaml`)
    /// for each into `directory`. Nothing is written unless every stack is
    /// valid, and each file is written to a temporary file first and then
    /// renamed, so a failure leaves no partial template behind.
    ///
    /// # Errors
    /// [`Error::Invalid`] from validation, [`Error::Io`] when `directory`
    /// does not exist or cannot be written.
    pub fn write_to_dir(&self, directory: &Path, format: Format) -> Result<Vec<std::path::PathBuf>, Error> {
        let synthesized = self.synth()?;
        let extension = match format {
            Format::Json => "json",
            Format::Yaml => "yaml",
        };
        let mut written = Vec::new();
        for (stack, result) in self.stacks.iter().zip(&synthesized) {
            let path = directory.join(format!("{}.template.{extension}", stack.name()));
            crate::write::write_atomic(&path, result.template.to_string_in(format).as_bytes())?;
            written.push(path);
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn duplicate_child_rejected() {
        let mut stack = Stack::new("S");
        let mut root = stack.root();
        root.add_resource("A", Resource::new("AWS::SNS::Topic")).unwrap();
        let err = root.add_resource("A", Resource::new("AWS::SNS::Topic")).unwrap_err();
        assert!(err.to_string().contains("already has a child named \"A\""), "{err}");
    }

    #[test]
    fn logical_id_collision_names_both_paths() {
        let mut stack = Stack::new("S");
        let mut root = stack.root();
        root.add_resource("Foo", Resource::new("AWS::SNS::Topic")).unwrap();
        let err = root.add_resource("Foo-", Resource::new("AWS::SNS::Topic")).unwrap_err().to_string();
        assert!(err.contains("`S/Foo`"), "{err}");
        assert!(err.contains("`S/Foo-`"), "{err}");
    }

    #[test]
    fn rename_table_keeps_old_id() {
        let mut stack = Stack::new("S");
        let moved = allocate_logical_id(&["New", "Topic"]);
        stack.rename_logical_id(&moved, "OldTopic");
        let mut root = stack.root();
        let mut group = root.child("New").unwrap();
        let id = group.add_resource("Topic", Resource::new("AWS::SNS::Topic")).unwrap();
        assert_eq!(id.as_str(), "OldTopic");
    }

    #[test]
    fn deeper_tag_wins() {
        let mut stack = Stack::new("S");
        stack.add_tag("team", "platform");
        stack.add_tag("env", "prod");
        let mut root = stack.root();
        let mut group = root.child("G").unwrap();
        group.add_tag("env", "test");
        let id = group.add_resource("Vpc", Resource::new("AWS::EC2::VPC")).unwrap();
        let template = stack.to_template();
        assert_eq!(
            template.resources[id.as_str()].properties["Tags"],
            json!([{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "platform"}])
        );
    }
}

//! Stacks and apps. A stack owns one construct tree and becomes one
//! template, and an app contains several stacks and writes them to a
//! directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use indexmap::{IndexMap, IndexSet};
use serde_json::{Map, Value as Json};

use crate::construct::{logical_id_of_path, LogicalId, Scope};
use crate::error::Error;
use crate::expr::Expr;
use crate::resources::{tag_style, TagStyle};
use crate::template::{Format, Output, Parameter, Resource, Template, FORMAT_VERSION};
use crate::validate::{json_size, stack_name_violations, tag_violations, validate_template_of_size, Problem, Severity, MAX_TAGS};
use crate::batch::{duplicate_name_problems, with_stack_path, TemplateBatch};

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
    /// Rename entries (by derived ID) and overrides (by path below the
    /// stack) that matched a resource, so unmatched ones can be reported.
    used_renames: IndexSet<String>,
    used_overrides: IndexSet<String>,
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
    /// path in it. It is checked against CloudFormation's stack name rules
    /// at synth, so that every problem is reported together.
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
            used_renames: IndexSet::new(),
            used_overrides: IndexSet::new(),
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
        Scope { stack: self, path: String::new() }
    }

    /// Applies a tag to every taggable resource of the stack. A tag that
    /// breaks the tag rules ([`crate::validate::tag_violations`]) is a synth
    /// error.
    pub fn add_tag(&mut self, key: &str, value: &str) {
        self.stack_tags.insert(key.to_owned(), value.to_owned());
    }

    /// Maps a derived logical ID to another one, so that a construct moved in
    /// the tree keeps the logical ID (and so the physical resource) it had.
    /// Call it before the construct is added. An entry that matches no
    /// resource is a synth error, because a mistyped entry would let the
    /// resource get a new logical ID and be replaced.
    pub fn rename_logical_id(&mut self, derived: &str, kept: &str) {
        self.renames.insert(derived.to_owned(), kept.to_owned());
    }

    /// Sets the logical ID of the resource at `path` (below the stack, such
    /// as `Backup/Bucket/Resource`) instead of deriving it. Call it before
    /// the construct is added. An override whose path matches no resource is
    /// a synth error.
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

    /// Returns the construct path of the resource with the given logical ID,
    /// such as `Backups/Backup/Bucket/Resource`.
    pub fn resource_path(&self, logical_id: &LogicalId) -> Option<&str> {
        self.resource_paths.get(logical_id.as_str()).map(String::as_str)
    }

    /// Returns the number of resources added so far.
    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    /// Adds a resource at `below_stack`, its path below the stack, under the
    /// logical ID that the path, the overrides and the rename table give it.
    pub(crate) fn insert_resource(&mut self, below_stack: &str, resource: Resource) -> Result<LogicalId, Error> {
        let derived = match self.overrides.get(below_stack) {
            Some(id) => {
                self.used_overrides.insert(below_stack.to_owned());
                id.clone()
            }
            None => logical_id_of_path(below_stack),
        };
        let logical_id = match self.renames.get(&derived) {
            Some(kept) => {
                self.used_renames.insert(derived.clone());
                kept.clone()
            }
            None => derived,
        };
        let full_path = self.scope_path(below_stack);
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
        self.build().0
    }

    /// Builds the template and returns it with the problems found while
    /// merging tags, which synth reports.
    fn build(&self) -> (Template, Vec<Problem>) {
        let template = Template {
            format_version: Some(FORMAT_VERSION.to_owned()),
            description: self.description.clone(),
            parameters: self.parameters.clone(),
            mappings: self.mappings.clone(),
            conditions: self.conditions.clone(),
            resources: self.resources.clone(),
            outputs: self.outputs.clone(),
            ..Template::default()
        };
        self.merge_tags(template)
    }

    /// Merges the stack and subtree tags into the template's resources and
    /// returns the problems found, which synth reports.
    fn merge_tags(&self, mut template: Template) -> (Template, Vec<Problem>) {
        let mut problems = Vec::new();
        for (logical_id, resource) in template.resources.iter_mut() {
            let path = &self.resource_paths[logical_id];
            problems.extend(self.apply_tags(logical_id, path, resource));
        }
        (template, problems)
    }

    /// Returns the part of a construct path below the stack. The stack's
    /// name is stripped as a whole because it may itself contain `/` (an
    /// invalid name, reported at synth).
    fn below_stack<'p>(&self, full_path: &'p str) -> &'p str {
        full_path
            .strip_prefix(self.name.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or(full_path)
    }

    /// Returns the construct path of `below_stack`, a path below the stack:
    /// the stack's name, then `/` and `below_stack` unless it is empty.
    pub(crate) fn scope_path(&self, below_stack: &str) -> String {
        if below_stack.is_empty() {
            return self.name.clone();
        }
        let mut path = String::with_capacity(self.name.len() + 1 + below_stack.len());
        path.push_str(&self.name);
        path.push('/');
        path.push_str(below_stack);
        path
    }

    /// Returns the stack and subtree tags that apply at a path below the
    /// stack. A deeper subtree's tag wins over a higher one.
    fn tags_at(&self, below_stack: &str) -> BTreeMap<String, String> {
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
        tags
    }

    /// Merges stack tags and subtree tags into a taggable resource's `Tags`.
    /// A deeper subtree's tag wins over a higher one, and a tag the resource
    /// sets itself wins over both. Tags are written sorted by key.
    ///
    /// A `Tags` that is an intrinsic function (or is malformed) is left as it
    /// is and a warning returned, because replacing it would silently drop
    /// the resource's own tags. More than [`MAX_TAGS`] tags is an error.
    fn apply_tags(&self, logical_id: &str, full_path: &str, resource: &mut Resource) -> Option<Problem> {
        let style = tag_style(&resource.resource_type)?;
        let tags = self.tags_at(self.below_stack(full_path));
        let own = match literal_tags(style, resource.properties.get("Tags")) {
            Ok(own) => own,
            Err(_) if tags.is_empty() => return None,
            Err(reason) => {
                return Some(Problem::warning(
                    Some(full_path.to_owned()),
                    Some(logical_id.to_owned()),
                    reason.message(style),
                ))
            }
        };

        let mut merged: BTreeMap<String, Json> = tags.into_iter().map(|(key, value)| (key, Json::String(value))).collect();
        let added = !merged.is_empty();
        merged.extend(own);
        let count = merged.len();
        // Without stack or subtree tags the resource's Tags stays byte for
        // byte as the construct wrote it.
        if added {
            resource.properties.insert("Tags".to_owned(), render_tags(style, merged));
        }
        (count > MAX_TAGS).then(|| {
            Problem::error(
                Some(full_path.to_owned()),
                Some(logical_id.to_owned()),
                format!(
                    "the resource has {count} tags after the stack and subtree tags are merged, over the limit of {MAX_TAGS}; remove tags from the resource, its subtrees or the stack"
                ),
            )
        })
    }

    /// Returns the problems in the stack's own settings: its name, its tags,
    /// and rename entries or overrides that matched no resource.
    fn settings_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let violations = stack_name_violations(&self.name);
        if !violations.is_empty() {
            problems.push(Problem::error(
                None,
                None,
                format!(
                    "stack name {:?} is invalid: {}; pass Stack::new a name of 1 to 128 ASCII letters, digits and `-` that starts with a letter",
                    self.name,
                    violations.join("; ")
                ),
            ));
        }

        for (key, value) in &self.stack_tags {
            let violations = tag_violations(key, value);
            if !violations.is_empty() {
                problems.push(Problem::error(
                    Some(self.name.clone()),
                    None,
                    format!("stack tag {key:?} is invalid: {}; change the tag given to Stack::add_tag", violations.join("; ")),
                ));
            }
        }
        for (prefix, key, value) in &self.scoped_tags {
            let violations = tag_violations(key, value);
            if !violations.is_empty() {
                problems.push(Problem::error(
                    Some(self.scope_path(prefix)),
                    None,
                    format!("tag {key:?} set here is invalid: {}; change the tag given to Scope::add_tag", violations.join("; ")),
                ));
            }
        }

        for (derived, kept) in &self.renames {
            if self.used_renames.contains(derived) {
                continue;
            }
            let fix = if self.resources.contains_key(derived) {
                "the resource was added before the entry; call rename_logical_id before adding the construct"
            } else {
                "correct the derived ID (the one the resource gets without the entry) or remove the entry"
            };
            problems.push(Problem::error(None, None, format!(
                "rename entry {derived:?} -> {kept:?} matches no resource, so the resource it was meant for gets a new logical ID and CloudFormation replaces it; {fix}"
            )));
        }
        for (path, logical_id) in &self.overrides {
            if self.used_overrides.contains(path) {
                continue;
            }
            let stack_prefix = format!("{}/", self.name);
            let fix = if self.resource_paths.values().any(|full| self.below_stack(full) == path) {
                "the resource was added before the override; call override_logical_id before adding the construct".to_owned()
            } else if path.starts_with(&stack_prefix) {
                format!("give the path below the stack, without the leading `{stack_prefix}`")
            } else if self.nodes.contains(path) {
                format!("`{path}` is a construct, not a resource; give its resource's path, such as `{path}/Resource`")
            } else {
                "correct the path (below the stack, such as `Backup/Bucket/Resource`) or remove the override".to_owned()
            };
            problems.push(Problem::error(None, None, format!(
                "logical ID override `{path}` -> {logical_id:?} matches no resource, so the resource it was meant for keeps its derived logical ID; {fix}"
            )));
        }
        problems
    }

    /// Synthesizes the stack: builds the template and validates the whole.
    ///
    /// # Errors
    /// [`Error::Invalid`] listing every error found, each with its construct
    /// path and logical ID: an invalid stack name or tag, a rename entry or
    /// logical ID override that matched no resource, more than
    /// [`MAX_TAGS`] tags on a resource, and everything
    /// [`validate_template`] finds. Warnings do not fail synthesis; they are
    /// returned in [`Synthesized::warnings`].
    pub fn synth(&self) -> Result<Synthesized, Error> {
        self.synth_with(|template| (json_size(template), ())).map(|(synthesized, ())| synthesized)
    }

    /// Synthesizes the stack as [`Stack::synth`] does and also returns the
    /// template as JSON text, serialized once for both the size check and
    /// the caller.
    pub(crate) fn synth_json(&self) -> Result<(Synthesized, String), Error> {
        self.synth_with(measure_json)
    }

    /// Copies the stack into its template, then validates the template with
    /// the size that `measure` returns along with its other result.
    fn synth_with<T>(&self, measure: impl FnOnce(&Template) -> (usize, T)) -> Result<(Synthesized, T), Error> {
        let settings = self.settings_problems();
        let (template, tag_problems) = self.build();
        let (size, measured) = measure(&template);
        let synthesized = self.validate(template, settings, tag_problems, self.resource_paths.clone(), size)?;
        Ok((synthesized, measured))
    }

    /// Synthesizes the stack as [`Stack::synth`] does, but moves the
    /// resources and the other sections into the template instead of
    /// copying them, for a caller that has no use for the stack afterwards.
    ///
    /// # Errors
    /// The errors of [`Stack::synth`]; the stack is gone either way.
    pub fn into_synth(self) -> Result<Synthesized, Error> {
        self.into_synth_with(|template| (json_size(template), ())).map(|(synthesized, ())| synthesized)
    }

    /// Synthesizes the stack as [`Stack::into_synth`] does and also returns
    /// the template as JSON text, serialized once for both the size check
    /// and the caller.
    pub(crate) fn into_synth_json(self) -> Result<(Synthesized, String), Error> {
        self.into_synth_with(measure_json)
    }

    /// Moves the stack into its template, then validates the template with
    /// the size that `measure` returns along with its other result.
    fn into_synth_with<T>(mut self, measure: impl FnOnce(&Template) -> (usize, T)) -> Result<(Synthesized, T), Error> {
        // The settings checks read the resources, so they run before the
        // resources move out.
        let settings = self.settings_problems();
        let template = Template {
            format_version: Some(FORMAT_VERSION.to_owned()),
            description: self.description.take(),
            parameters: std::mem::take(&mut self.parameters),
            mappings: std::mem::take(&mut self.mappings),
            conditions: std::mem::take(&mut self.conditions),
            resources: std::mem::take(&mut self.resources),
            outputs: std::mem::take(&mut self.outputs),
            ..Template::default()
        };
        let (template, tag_problems) = self.merge_tags(template);
        let resource_paths = std::mem::take(&mut self.resource_paths);
        let (size, measured) = measure(&template);
        let synthesized = self.validate(template, settings, tag_problems, resource_paths, size)?;
        Ok((synthesized, measured))
    }

    /// Validates the built template and returns it with its warnings, or
    /// every error found: those the constructs reported, then `settings`,
    /// then `tag_problems`, then the template's own.
    fn validate(
        &self,
        template: Template,
        settings: Vec<Problem>,
        tag_problems: Vec<Problem>,
        resource_paths: IndexMap<String, String>,
        json_size: usize,
    ) -> Result<Synthesized, Error> {
        let mut problems = self.problems.clone();
        problems.extend(settings);
        problems.extend(tag_problems);
        problems.extend(validate_template_of_size(&template, &resource_paths, json_size));
        let (errors, warnings): (Vec<Problem>, Vec<Problem>) =
            problems.into_iter().partition(|problem| problem.severity == Severity::Error);
        if !errors.is_empty() {
            return Err(Error::Invalid { stack: self.name.clone(), problems: errors });
        }
        Ok(Synthesized { template, warnings, resource_paths })
    }
}

/// Serializes a template to JSON and returns the text with its length,
/// which validation checks against CloudFormation's size limits.
fn measure_json(template: &Template) -> (usize, String) {
    let text = template.to_json_string();
    (text.len(), text)
}

/// Reason a resource's `Tags` cannot take merged tags.
enum NotLiteral {
    /// `Tags`, one of its entries or an entry's key is an intrinsic function.
    Intrinsic,
    /// `Tags` has another shape than the resource type's tag style.
    Malformed,
}

impl NotLiteral {
    fn message(&self, style: TagStyle) -> String {
        let literal = match style {
            TagStyle::KeyValueList => "a list of objects with a literal `Key` and a `Value`",
            TagStyle::Map => "a map of tag keys to values",
        };
        match self {
            NotLiteral::Intrinsic => format!(
                "the stack and subtree tags were not merged into this resource because its Tags is an intrinsic function or contains one in place of a tag or key; add those tags to its Tags yourself, or write Tags as {literal}"
            ),
            NotLiteral::Malformed => format!(
                "the stack and subtree tags were not merged into this resource because its Tags is not {literal}; fix its Tags"
            ),
        }
    }
}

/// Returns `true` for `{"Ref": ...}` and `{"Fn::...": ...}`.
fn is_intrinsic(value: &Json) -> bool {
    match value {
        Json::Object(map) if map.len() == 1 => map.keys().all(|key| key == "Ref" || key.starts_with("Fn::")),
        _ => false,
    }
}

/// Returns the tags a resource sets itself, when its `Tags` is literal.
/// Values may be intrinsics; keys may not, because tags merge by key.
fn literal_tags(style: TagStyle, tags: Option<&Json>) -> Result<Vec<(String, Json)>, NotLiteral> {
    let Some(tags) = tags else { return Ok(Vec::new()) };
    if is_intrinsic(tags) {
        return Err(NotLiteral::Intrinsic);
    }
    match (style, tags) {
        (TagStyle::KeyValueList, Json::Array(entries)) => entries
            .iter()
            .map(|entry| match (entry.get("Key"), entry.get("Value")) {
                (Some(Json::String(key)), Some(value)) => Ok((key.clone(), value.clone())),
                (Some(key), Some(_)) if is_intrinsic(key) => Err(NotLiteral::Intrinsic),
                _ if is_intrinsic(entry) => Err(NotLiteral::Intrinsic),
                _ => Err(NotLiteral::Malformed),
            })
            .collect(),
        (TagStyle::Map, Json::Object(map)) => Ok(map.iter().map(|(key, value)| (key.clone(), value.clone())).collect()),
        _ => Err(NotLiteral::Malformed),
    }
}

/// Writes merged tags in the resource type's tag style, sorted by key.
fn render_tags(style: TagStyle, merged: BTreeMap<String, Json>) -> Json {
    match style {
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
    /// [`Error::Invalid`] when stack names repeat or any stack fails; it
    /// carries the first failing stack's name and every stack's problems.
    pub fn synth(&self) -> Result<Vec<Synthesized>, Error> {
        let mut done = Vec::new();
        let (mut first_failed, mut failures) = duplicate_name_problems(self.stacks.iter().map(Stack::name));
        for stack in &self.stacks {
            match stack.synth() {
                Ok(synthesized) => done.push(synthesized),
                Err(Error::Invalid { stack, problems }) => {
                    failures.extend(with_stack_path(problems, &stack));
                    first_failed.get_or_insert(stack);
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
    /// for each into `directory`, returning the paths in stack order.
    /// Nothing is written unless every stack is valid: each template goes
    /// to a temporary file first, and the files are renamed into place only
    /// once every stack has passed, so a failure leaves no template behind.
    ///
    /// Stacks are synthesized on as many threads as the machine has cores
    /// (see [`std::thread::available_parallelism`]), at most one per stack.
    /// The output does not depend on the number of threads.
    ///
    /// # Errors
    /// [`Error::Invalid`] from validation, with every stack's problems in
    /// stack order, [`Error::UnsafeFileName`] when a stack name would not
    /// make a plain file name in `directory`, [`Error::Io`] when `directory`
    /// does not exist or cannot be written. When some stacks fail validation
    /// and others cannot be written, the error is [`Error::Invalid`], with a
    /// problem for each stack that was not written.
    pub fn write_to_dir(&self, directory: &Path, format: Format) -> Result<Vec<PathBuf>, Error> {
        let batch = TemplateBatch::new(directory, format);
        batch.check_directory()?;
        // The batch keeps every failed add, and commit reports them with the
        // validation problems of every other stack, so an add's error is not
        // needed here and the stacks after it are still added.
        let threads = std::thread::available_parallelism().map_or(1, usize::from).min(self.stacks.len());
        if threads <= 1 {
            for (position, stack) in self.stacks.iter().enumerate() {
                let _ = batch.add_at(position, stack);
            }
            return batch.commit();
        }

        // Workers take the next stack by index, so a slow stack does not
        // hold up the others; the batch orders the results by index.
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| loop {
                    let position = next.fetch_add(1, Ordering::Relaxed);
                    let Some(stack) = self.stacks.get(position) else { return };
                    let _ = batch.add_at(position, stack);
                });
            }
        });
        batch.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::construct::allocate_logical_id;
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
    fn json_text_matches_synth() {
        let mut stack = Stack::new("S");
        let mut root = stack.root();
        for index in 0..300 {
            let mut topic = Resource::new("AWS::SNS::Topic");
            topic.properties.insert("TopicName".to_owned(), json!(format!("topic-{index:0>180}")));
            root.add_resource(&format!("Topic{index}"), topic).unwrap();
        }
        let copied = stack.synth().unwrap();

        let (moved, text) = stack.into_synth_json().unwrap();

        assert_eq!(text, copied.to_json_string());
        assert_eq!(moved.warnings, copied.warnings);
        assert!(moved.warnings[0].to_string().contains("-byte limit for inline templates"), "{}", moved.warnings[0]);
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

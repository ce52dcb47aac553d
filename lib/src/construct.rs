//! The construct tree: paths, scopes and the logical ID allocator.
//!
//! A construct is a named node under a stack; its path is the ids from the
//! stack down, joined by `/`. Logical IDs derive from the path alone, so they
//! are stable across runs and unaffected by edits elsewhere in the tree.
//! Construct ids and the tree's shape are therefore public API: renaming a
//! construct renames its resources, and CloudFormation replaces them. The
//! stack's rename table ([`crate::Stack::rename_logical_id`]) keeps the old
//! IDs when a construct has to move.

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::expr::Expr;
use crate::stack::Stack;
use crate::template::{Export, Output, Parameter, Resource};

/// The child id that marks a construct's primary resource. It is left out of
/// logical IDs, so `Backups/Resource` reads as `Backups…`.
pub const PRIMARY_ID: &str = "Resource";

/// Maximum length of a logical ID, from CloudFormation's template limits.
pub const MAX_LOGICAL_ID_LEN: usize = 255;

/// The logical ID of a resource in a template.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogicalId(pub(crate) String);

impl LogicalId {
    /// Returns the ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `Ref` to this resource.
    pub fn reference(&self) -> Expr {
        Expr::reference(self.0.clone())
    }

    /// `Fn::GetAtt` of one of this resource's attributes.
    pub fn get_att(&self, attribute: &str) -> Expr {
        Expr::get_att(self.0.clone(), attribute)
    }
}

impl std::fmt::Display for LogicalId {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// Checks one construct id. Ids may not be empty or contain `/`, which
/// separates path components, and must be printable ASCII so that paths read
/// the same everywhere.
pub fn validate_construct_id(parent: &str, id: &str) -> Result<(), Error> {
    match invalid_id_reason(id) {
        Some(reason) => Err(Error::InvalidId { parent: parent.to_owned(), id: id.to_owned(), reason }),
        None => Ok(()),
    }
}

/// Returns why `id` is not a valid construct id, or `None` when it is valid.
fn invalid_id_reason(id: &str) -> Option<&'static str> {
    if id.is_empty() {
        Some("it is empty")
    } else if id.contains('/') {
        Some("`/` separates path components")
    } else if !id.chars().all(|c| c.is_ascii_graphic()) {
        Some("it contains whitespace or a non-ASCII character")
    } else {
        None
    }
}

/// Derives a logical ID from a construct path below the stack.
///
/// A construct directly under the stack keeps its id (sanitized) so that
/// top-level names stay readable. A deeper path becomes its components with
/// non-alphanumeric characters removed, `Resource` components dropped and
/// repeated neighbours merged, followed by eight hex digits of the SHA-256 of
/// the whole path. The hash keeps paths that sanitize alike apart, so
/// `A/B-C` and `A/BC` get different IDs.
pub fn allocate_logical_id(components: &[&str]) -> String {
    logical_id_of_components(components.iter().copied())
}

/// Derives the logical ID of a path below the stack, given as its ids joined
/// by `/`, as [`allocate_logical_id`] does for the ids.
pub(crate) fn logical_id_of_path(path: &str) -> String {
    logical_id_of_components(path.split('/'))
}

/// Implements [`allocate_logical_id`] over any sequence of ids, so that a
/// joined path need not be split into a list first.
fn logical_id_of_components<'c>(components: impl Iterator<Item = &'c str> + Clone) -> String {
    let mut leading = components.clone();
    let readable = match (leading.next(), leading.next(), leading.next()) {
        (Some(only), None, _) => Some(only),
        (Some(first), Some(PRIMARY_ID), None) if first != PRIMARY_ID => Some(first),
        _ => None,
    };
    if let Some(component) = readable {
        let sanitized = sanitize(component);
        if sanitized.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
            return truncate(sanitized, MAX_LOGICAL_ID_LEN);
        }
    }

    // Each sanitized id is appended in place and removed again when it
    // repeats the one before, so no id is copied on its own.
    let mut id = String::with_capacity(64);
    let mut previous: Option<std::ops::Range<usize>> = None;
    for component in components.clone().filter(|c| *c != PRIMARY_ID) {
        let start = id.len();
        push_sanitized(&mut id, component);
        if previous.as_ref().is_some_and(|range| id[range.clone()] == id[start..]) {
            id.truncate(start);
            continue;
        }
        previous = Some(start..id.len());
    }
    if !id.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        id.insert(0, 'R');
    }

    // Hashing the ids with `/` between them hashes the joined path.
    let mut hasher = Sha256::new();
    for (index, component) in components.enumerate() {
        if index > 0 {
            hasher.update(b"/");
        }
        hasher.update(component.as_bytes());
    }
    let digest = hasher.finalize();
    id.truncate(MAX_LOGICAL_ID_LEN - 8);
    for byte in &digest[..4] {
        id.push(char::from(UPPER_HEX_DIGITS[usize::from(byte >> 4)]));
        id.push(char::from(UPPER_HEX_DIGITS[usize::from(byte & 0x0F)]));
    }
    id
}

const UPPER_HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

fn sanitize(component: &str) -> String {
    let mut sanitized = String::with_capacity(component.len());
    push_sanitized(&mut sanitized, component);
    sanitized
}

/// Appends the ASCII letters and digits of `component` to `text`.
fn push_sanitized(text: &mut String, component: &str) {
    // Most ids are already alphanumeric, so copy them whole.
    if component.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
        text.push_str(component);
    } else {
        text.extend(component.chars().filter(char::is_ascii_alphanumeric));
    }
}

fn truncate(mut text: String, max: usize) -> String {
    text.truncate(max);
    text
}

/// Returns `true` when `id` is a valid logical ID: 1 to 255 ASCII letters
/// and digits.
pub fn is_valid_logical_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_LOGICAL_ID_LEN && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A place in the construct tree where constructs add children, resources,
/// parameters, outputs and tags.
///
/// A scope borrows its stack mutably; [`Scope::child`] opens a nested scope.
pub struct Scope<'a> {
    pub(crate) stack: &'a mut Stack,
    /// The path below the stack: ids joined by `/`, empty for the root.
    pub(crate) path: String,
}

impl<'a> Scope<'a> {
    /// Returns the path from the stack down, joined by `/`, starting with the
    /// stack's name.
    pub fn path(&self) -> String {
        self.stack.scope_path(&self.path)
    }

    /// Returns the stack this scope belongs to.
    pub fn stack(&mut self) -> &mut Stack {
        self.stack
    }

    /// Opens the child construct `id` under this scope.
    ///
    /// # Errors
    /// [`Error::InvalidId`] for an empty id or one containing `/` or
    /// whitespace, [`Error::DuplicateId`] when this scope already has a child
    /// of that name.
    pub fn child(&mut self, id: &str) -> Result<Scope<'_>, Error> {
        let path = self.register(id)?;
        Ok(Scope { stack: self.stack, path })
    }

    /// Records the child `id` in the stack's tree and returns its path below
    /// the stack.
    fn register(&mut self, id: &str) -> Result<String, Error> {
        // The parent's path is built only for an error message.
        if let Some(reason) = invalid_id_reason(id) {
            return Err(Error::InvalidId { parent: self.path(), id: id.to_owned(), reason });
        }
        let mut path = String::with_capacity(self.path.len() + 1 + id.len());
        if !self.path.is_empty() {
            path.push_str(&self.path);
            path.push('/');
        }
        path.push_str(id);
        if !self.stack.nodes.insert(path.clone()) {
            return Err(Error::DuplicateId { parent: self.path(), id: id.to_owned() });
        }
        Ok(path)
    }

    /// Adds a resource as the child `id` and returns its logical ID.
    ///
    /// Name the primary resource of a construct [`PRIMARY_ID`] so that its
    /// logical ID carries the construct's name alone.
    ///
    /// # Errors
    /// The errors of [`Scope::child`], and [`Error::LogicalIdCollision`] when
    /// the derived ID is taken by another path.
    pub fn add_resource(&mut self, id: &str, resource: impl Into<Resource>) -> Result<LogicalId, Error> {
        let path = self.register(id)?;
        self.stack.insert_resource(&path, resource.into())
    }

    /// Adds a template parameter named `name` and returns a `Ref` to it.
    /// Parameter names are chosen by the caller, not derived from the path,
    /// because users type them on the command line.
    ///
    /// # Errors
    /// [`Error::DuplicateName`] when the stack already has the parameter.
    pub fn add_parameter(&mut self, name: &str, parameter: Parameter) -> Result<Expr, Error> {
        let path = self.path();
        self.stack.insert_parameter(name, parameter, path)
    }

    /// Adds a stack output named `name`.
    ///
    /// # Errors
    /// [`Error::DuplicateName`] when the stack already has the output.
    pub fn add_output(&mut self, name: &str, value: impl Into<Expr>, description: &str) -> Result<(), Error> {
        let output = Output {
            description: Some(description.to_owned()),
            value: value.into().to_json(),
            export: None,
            condition: None,
        };
        let path = self.path();
        self.stack.insert_output(name, output, path)
    }

    /// Adds a stack output named `name` and exports it as `export_name`,
    /// for other stacks' `Fn::ImportValue`.
    ///
    /// # Errors
    /// [`Error::DuplicateName`] when the stack already has the output.
    pub fn add_exported_output(
        &mut self,
        name: &str,
        value: impl Into<Expr>,
        description: &str,
        export_name: Expr,
    ) -> Result<(), Error> {
        let output = Output {
            description: Some(description.to_owned()),
            value: value.into().to_json(),
            export: Some(Export { name: export_name.to_json() }),
            condition: None,
        };
        let path = self.path();
        self.stack.insert_output(name, output, path)
    }

    /// Adds a named condition, a condition function such as `Fn::Equals`.
    ///
    /// # Errors
    /// [`Error::DuplicateName`] when the stack already has the condition.
    pub fn add_condition(&mut self, name: &str, condition: Expr) -> Result<(), Error> {
        let path = self.path();
        self.stack.insert_condition(name, condition.to_json(), path)
    }

    /// Applies a tag to every taggable resource in this scope's subtree,
    /// including resources added after this call. A tag set deeper in the
    /// tree wins over one with the same key set higher up. A tag that breaks
    /// the tag rules ([`crate::validate::tag_violations`]) is a synth error
    /// naming this scope's path.
    pub fn add_tag(&mut self, key: &str, value: &str) {
        let prefix = self.path.clone();
        self.stack.scoped_tags.push((prefix, key.to_owned(), value.to_owned()));
    }

    /// Returns the resource with the given logical ID, to add properties,
    /// dependencies or attributes after it was created.
    pub fn resource_mut(&mut self, logical_id: &LogicalId) -> Option<&mut Resource> {
        self.stack.resource_mut(logical_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_id_kept_readable() {
        assert_eq!(allocate_logical_id(&["Vpc"]), "Vpc");
        assert_eq!(allocate_logical_id(&["Backups", "Resource"]), "Backups");
    }

    #[test]
    fn nested_id_gets_path_hash() {
        let id = allocate_logical_id(&["Backup", "Bucket", "Resource"]);
        assert!(id.starts_with("BackupBucket"), "{id}");
        assert_eq!(id.len(), "BackupBucket".len() + 8);
    }

    #[test]
    fn similar_paths_get_distinct_ids() {
        assert_ne!(allocate_logical_id(&["A", "B-C"]), allocate_logical_id(&["A", "BC"]));
    }

    #[test]
    fn invalid_construct_ids_rejected() {
        for id in ["", "a/b", "a b", "é"] {
            assert!(validate_construct_id("Stack", id).is_err(), "{id:?}");
        }
    }
}

//! The core crate's error type. Every variant names the value at fault and,
//! where one exists, the construct path, so that a message alone says where
//! to look and what to change.

use crate::validate::Problem;

/// Errors from building, validating, reading or writing templates.
// Variant fields are the values each message shows.
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A template file or text could not be read as a template.
    #[error("invalid template {source_name}{}: {message}", location.as_ref().map(|at| format!(" at {at}")).unwrap_or_default())]
    Parse { source_name: String, location: Option<String>, message: String },

    /// A construct id is empty or contains a character that would make paths ambiguous.
    #[error("invalid construct id {id:?} under `{parent}`: {reason}; use letters, digits, `-` or `_`")]
    InvalidId { parent: String, id: String, reason: &'static str },

    /// Two children of one construct share an id.
    #[error("construct `{parent}` already has a child named {id:?}; give each child a unique id")]
    DuplicateId { parent: String, id: String },

    /// Two constructs were given the same logical ID.
    #[error("logical ID `{logical_id}` is claimed by both `{first}` and `{second}`; rename one construct or override its logical ID")]
    LogicalIdCollision { logical_id: String, first: String, second: String },

    /// Two parameters, outputs, conditions or mappings share a name.
    #[error("{section} `{name}` is defined twice (second time at `{path}`); give each a unique name")]
    DuplicateName { section: &'static str, name: String, path: String },

    /// Synth-time validation found errors; every one is listed.
    #[error("template `{stack}` is invalid ({} problem{}):\n{}", problems.len(), if problems.len() == 1 { "" } else { "s" }, format_problems(problems))]
    Invalid { stack: String, problems: Vec<Problem> },

    /// A policy, access scenario or expectations file could not be read;
    /// `path` is the JSON path of the offending value, such as
    /// `$.Statement[0].Condition`.
    #[error("invalid {kind} {source_name} at {path}: {message}")]
    InvalidDocument { kind: &'static str, source_name: String, path: String, message: String },

    /// A stack name would not make a plain file name, so its template file
    /// could land outside the output directory or fail to be created.
    #[error("stack name {name:?} cannot name a template file in `{directory}`: {reason}; name the stack with ASCII letters, digits and `-`, starting with a letter")]
    UnsafeFileName { name: String, directory: String, reason: &'static str },

    /// A file could not be written or read.
    #[error("cannot {action} `{path}`: {source}")]
    Io { action: &'static str, path: String, #[source] source: std::io::Error },
}

fn format_problems(problems: &[Problem]) -> String {
    problems.iter().map(|problem| format!("  - {problem}")).collect::<Vec<_>>().join("\n")
}

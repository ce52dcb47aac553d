//! The constructs crate's error type.

use vaultgate_core::Problem;

/// One invalid prop: the field, the value given and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropProblem {
    /// The prop's name as written in config files, such as `bucket.retention.days`.
    pub field: String,
    /// The value given, as written in config files.
    pub value: String,
    /// The problem and its fix.
    pub message: String,
}

impl std::fmt::Display for PropProblem {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "`{}` = {}: {}", self.field, self.value, self.message)
    }
}

/// Errors from building constructs.
#[derive(Debug, thiserror::Error)]
pub enum ConstructError {
    /// Props that are invalid or combine unsafely; every problem is listed.
    #[error("invalid props for `{path}`:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    InvalidProps {
        /// Construct path of the construct that rejected its props.
        path: String,
        /// Every problem found.
        problems: Vec<PropProblem>,
    },

    /// A resource handed to a construct belongs to another stack.
    #[error("`{logical_id}` is not a resource of the stack at `{path}`; pass a resource created in the same stack")]
    NotInStack {
        /// Path of the scope that was used.
        path: String,
        /// The logical ID that was not found.
        logical_id: String,
    },

    /// An error from the core: a duplicate id, a logical ID collision, or
    /// synth-time validation.
    #[error(transparent)]
    Core(#[from] vaultgate_core::Error),
}

/// Collects prop problems for one construct, so that all are reported at once.
#[derive(Debug, Default)]
pub(crate) struct PropChecker {
    problems: Vec<PropProblem>,
}

impl PropChecker {
    pub(crate) fn reject(&mut self, field: &str, value: impl std::fmt::Display, message: impl Into<String>) {
        self.problems.push(PropProblem { field: field.to_owned(), value: value.to_string(), message: message.into() });
    }

    pub(crate) fn finish(self, path: String) -> Result<(), ConstructError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConstructError::InvalidProps { path, problems: self.problems })
        }
    }
}

/// Builds a warning for `path`, reported at synth next to validation warnings.
pub(crate) fn warning(path: String, message: impl Into<String>) -> Problem {
    Problem::warning(Some(path), None, message)
}

//! Expectations on the access matrix, in a file users edit: TOML (or the
//! same structure in JSON) with one `[[expect]]` table per rule.
//!
//! ```toml
//! [[expect]]
//! kind = "instance"            # optional source kind
//! route = "endpoint"           # optional: endpoint, internet or unreachable
//! source = "*"                 # glob on the source name
//! actions = ["s3:PutObject"]   # globs on the action
//! except = []                  # actions the rule leaves out
//! bucket = "*"                 # glob on the bucket's logical ID
//! decision = "allow"           # allow, deny, or an exact decision name
//! why = "writers upload through the endpoint"
//! ```
//!
//! The architecture's own expectations ship as [`DEFAULT_EXPECTATIONS`].

use serde::{Deserialize, Serialize};

use super::decision::Decision;
use super::matrix::{Cell, Matrix};
use super::model::StackModel;
use super::pattern::Pattern;
use super::sources::{Route, SourceKind};
use crate::error::Error;

/// The expectations of the backup architecture, embedded from
/// `default_expectations.toml`.
pub const DEFAULT_EXPECTATIONS: &str = include_str!("default_expectations.toml");

/// The route filter of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteKind {
    /// Through an S3 gateway endpoint.
    Endpoint,
    /// Over the internet.
    Internet,
    /// No route to S3.
    Unreachable,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// Only sources of this kind.
    #[serde(default)]
    pub kind: Option<SourceKind>,
    /// Only sources on this route.
    #[serde(default)]
    pub route: Option<RouteKind>,
    /// Glob on source names; every source by default.
    #[serde(default = "star")]
    pub source: String,
    /// Globs on actions.
    pub actions: Vec<String>,
    /// Actions left out of `actions`.
    #[serde(default)]
    pub except: Vec<String>,
    /// Glob on bucket logical IDs; every bucket by default.
    #[serde(default = "star")]
    pub bucket: String,
    /// `allow`, `deny`, `Allowed`, `ExplicitlyDenied`, `ImplicitlyDenied` or `Denied`.
    pub decision: String,
    /// The rule's reason, shown with violations.
    #[serde(default)]
    pub why: String,
}

fn star() -> String {
    "*".to_owned()
}

/// A parsed expectations file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// The rules, in file order.
    #[serde(default)]
    pub expect: Vec<Expectation>,
}

/// A cell that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Index of the rule in the file.
    pub rule: usize,
    /// The rule's expected decision.
    pub expected: String,
    /// The rule's reason.
    pub why: String,
    /// The cell.
    pub cell: Cell,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let evaluation = &self.cell.evaluation;
        write!(
            f,
            "{} {} on {}: expected {}, got {} ({})",
            self.cell.source, self.cell.action, self.cell.bucket, self.expected, evaluation.decision, evaluation.reason
        )?;
        if !self.why.is_empty() {
            write!(f, "; rule: {}", self.why)?;
        }
        Ok(())
    }
}

impl Expectations {
    /// Parses TOML, or JSON when the text starts with `{`.
    ///
    /// # Errors
    /// [`Error::InvalidDocument`] naming the file, the place and the problem.
    pub fn parse(text: &str, source_name: &str) -> Result<Expectations, Error> {
        let invalid = |path: String, message: String| Error::InvalidDocument { kind: "expectations", source_name: source_name.to_owned(), path, message };
        let parsed: Expectations = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|err| invalid(format!("line {}, column {}", err.line(), err.column()), err.to_string()))?
        } else {
            toml::from_str(text).map_err(|err| {
                let place = err.span().map_or_else(|| "$".to_owned(), |span| format!("byte {}", span.start));
                invalid(place, err.message().to_owned())
            })?
        };
        for (index, rule) in parsed.expect.iter().enumerate() {
            if parse_expected(&rule.decision).is_none() {
                return Err(invalid(
                    format!("$.expect[{index}].decision"),
                    format!("{:?} is not a decision; use allow, deny, Allowed, ExplicitlyDenied, ImplicitlyDenied or Denied", rule.decision),
                ));
            }
            if rule.actions.is_empty() {
                return Err(invalid(format!("$.expect[{index}].actions"), "a rule needs at least one action pattern".to_owned()));
            }
        }
        Ok(parsed)
    }

    /// Parses the architecture's default expectations.
    pub fn defaults() -> Expectations {
        Expectations::parse(DEFAULT_EXPECTATIONS, "default_expectations.toml").expect("the embedded expectations are valid")
    }

    /// Checks every cell of `matrix` against the rules. Returns the
    /// violations and the indexes of rules that matched no cell.
    pub fn check(&self, model: &StackModel, matrix: &Matrix) -> (Vec<Violation>, Vec<usize>) {
        let mut violations = Vec::new();
        let mut unmatched = Vec::new();
        for (index, rule) in self.expect.iter().enumerate() {
            let matching: Vec<&Cell> = matrix.cells.iter().filter(|cell| rule.selects(model, cell)).collect();
            if matching.is_empty() {
                unmatched.push(index);
            }
            let accepts = parse_expected(&rule.decision).expect("checked when parsed");
            for cell in matching {
                if !accepts(cell.evaluation.decision) {
                    violations.push(Violation { rule: index, expected: rule.decision.clone(), why: rule.why.clone(), cell: cell.clone() });
                }
            }
        }
        (violations, unmatched)
    }
}

fn glob(pattern: &str, text: &str, ignore_case: bool) -> bool {
    Pattern::compile(pattern, true, None).is_some_and(|p| p.matches(text, ignore_case))
}

impl Expectation {
    fn selects(&self, model: &StackModel, cell: &Cell) -> bool {
        let Some(source) = model.source(&cell.source) else { return false };
        let route = match source.route {
            Route::Endpoint { .. } => RouteKind::Endpoint,
            Route::Internet { .. } => RouteKind::Internet,
            Route::Unreachable => RouteKind::Unreachable,
        };
        self.kind.is_none_or(|kind| kind == source.kind)
            && self.route.is_none_or(|wanted| wanted == route)
            && glob(&self.source, &cell.source, false)
            && glob(&self.bucket, &cell.bucket, false)
            && self.actions.iter().any(|pattern| glob(pattern, &cell.action, true))
            && !self.except.iter().any(|pattern| glob(pattern, &cell.action, true))
    }
}

fn parse_expected(text: &str) -> Option<fn(Decision) -> bool> {
    Some(match text {
        "allow" => |d: Decision| d == Decision::Allowed,
        "deny" => |d: Decision| d != Decision::Allowed,
        "Allowed" => |d: Decision| d == Decision::Allowed,
        "ExplicitlyDenied" => |d: Decision| d == Decision::ExplicitlyDenied,
        "ImplicitlyDenied" => |d: Decision| d == Decision::ImplicitlyDenied,
        "Denied" => |d: Decision| d == Decision::Denied,
        _ => return None,
    })
}

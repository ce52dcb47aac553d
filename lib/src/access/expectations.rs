//! Expectations on the access matrix, in a file users edit: TOML (or the
//! same structure in JSON) with one `[[expect]]` table per rule.
//!
//! ```toml
//! [[expect]]
//! kind = "instance"            # optional source kind
//! subnet = "private"           # optional: public or private (instances only)
//! route = "endpoint"           # optional: endpoint, internet or unreachable
//! source = "*"                 # glob on the source name
//! actions = ["s3:PutObject"]   # globs on the action
//! except = []                  # actions the rule leaves out
//! bucket = "*"                 # glob on the bucket's logical ID
//! decision = "allow"           # allow, deny, or an exact decision name
//! why = "writers upload through the endpoint"
//! ```
//!
//! Every action pattern must match at least one of the matrix's actions,
//! so that a misspelt action is an input error instead of a rule that
//! checks nothing. A rule that expects `allow` but selects no cell is a
//! violation: there is nothing that proves the allowed path exists.
//!
//! The architecture's own expectations ship as [`DEFAULT_EXPECTATIONS`].

use serde::{Deserialize, Serialize};

use super::decision::Decision;
use super::matrix::{Cell, Matrix, MATRIX_ACTIONS};
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

/// The subnet filter of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubnetKind {
    /// A subnet whose route table sends `0.0.0.0/0` to an internet gateway.
    Public,
    /// Any other subnet: no route to an internet gateway.
    Private,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// Only sources of this kind.
    #[serde(default)]
    pub kind: Option<SourceKind>,
    /// Only instance sources in a subnet of this kind; other sources have
    /// no subnet, so a rule with this filter never selects them.
    #[serde(default)]
    pub subnet: Option<SubnetKind>,
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

/// A cell that breaks a rule, or a rule expecting `allow` that selects no cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Index of the rule in the file.
    pub rule: usize,
    /// The rule's expected decision.
    pub expected: String,
    /// The rule's reason.
    pub why: String,
    /// The rule's filters, for people, such as `kind instance, subnet private`.
    pub selector: String,
    /// The cell; `None` when the rule expects `allow` and selects no cell.
    pub cell: Option<Cell>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.cell {
            Some(cell) => write!(
                f,
                "{} {} on {}: expected {}, got {} ({})",
                cell.source, cell.action, cell.bucket, self.expected, cell.evaluation.decision, cell.evaluation.reason
            )?,
            None => write!(
                f,
                "rule {} expects {} but no cell matches its filters ({}), so nothing shows that the allowed path exists",
                self.rule, self.expected, self.selector
            )?,
        }
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
                let place = err.span().map_or_else(|| "$".to_owned(), |span| line_and_column(text, span.start));
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
            let lists = [("actions", &rule.actions), ("except", &rule.except)];
            for (field, patterns) in lists {
                for (position, pattern) in patterns.iter().enumerate() {
                    if !MATRIX_ACTIONS.iter().any(|action| glob(pattern, action, true)) {
                        return Err(invalid(
                            format!("$.expect[{index}].{field}[{position}]"),
                            format!("{pattern:?} matches none of the matrix's actions; use one of {} or a pattern such as s3:Put*", MATRIX_ACTIONS.join(", ")),
                        ));
                    }
                }
            }
        }
        Ok(parsed)
    }

    /// Parses the architecture's default expectations.
    pub fn defaults() -> Expectations {
        Expectations::parse(DEFAULT_EXPECTATIONS, "default_expectations.toml").expect("the embedded expectations are valid")
    }

    /// Checks every cell of `matrix` against the rules. Returns the
    /// violations and the indexes of rules that matched no cell but expect
    /// a denial, which is harmless. A rule expecting `allow` that matches no
    /// cell is a violation.
    pub fn check(&self, model: &StackModel, matrix: &Matrix) -> (Vec<Violation>, Vec<usize>) {
        let mut violations = Vec::new();
        let mut unmatched = Vec::new();
        for (index, rule) in self.expect.iter().enumerate() {
            let violation = |cell: Option<&Cell>| Violation {
                rule: index,
                expected: rule.decision.clone(),
                why: rule.why.clone(),
                selector: rule.selector(),
                cell: cell.cloned(),
            };
            let matching: Vec<&Cell> = matrix.cells.iter().filter(|cell| rule.selects(model, cell)).collect();
            let accepts = parse_expected(&rule.decision).expect("checked when parsed");
            if matching.is_empty() {
                if accepts(Decision::Allowed) {
                    violations.push(violation(None));
                } else {
                    unmatched.push(index);
                }
            }
            for cell in matching {
                if !accepts(cell.evaluation.decision) {
                    violations.push(violation(Some(cell)));
                }
            }
        }
        (violations, unmatched)
    }
}

/// Turns a byte offset into `line L, column C`, both counted from 1.
fn line_and_column(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |last| last.chars().count()) + 1;
    format!("line {line}, column {column}")
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
        let subnet = source.subnet.as_deref().map(|id| if model.network.is_public_subnet(id) { SubnetKind::Public } else { SubnetKind::Private });
        self.kind.is_none_or(|kind| kind == source.kind)
            && self.subnet.is_none_or(|wanted| subnet == Some(wanted))
            && self.route.is_none_or(|wanted| wanted == route)
            && glob(&self.source, &cell.source, false)
            && glob(&self.bucket, &cell.bucket, false)
            && self.actions.iter().any(|pattern| glob(pattern, &cell.action, true))
            && !self.except.iter().any(|pattern| glob(pattern, &cell.action, true))
    }
}

impl Expectation {
    /// Describes the rule's filters, such as `kind instance, subnet private,
    /// actions s3:PutObject`.
    pub fn selector(&self) -> String {
        let mut parts = Vec::new();
        if let Some(kind) = &self.kind {
            parts.push(format!("kind {}", kebab(kind)));
        }
        if let Some(subnet) = &self.subnet {
            parts.push(format!("subnet {}", kebab(subnet)));
        }
        if let Some(route) = &self.route {
            parts.push(format!("route {}", kebab(route)));
        }
        if self.source != "*" {
            parts.push(format!("source {}", self.source));
        }
        if self.bucket != "*" {
            parts.push(format!("bucket {}", self.bucket));
        }
        parts.push(format!("actions {}", self.actions.join(" ")));
        if !self.except.is_empty() {
            parts.push(format!("except {}", self.except.join(" ")));
        }
        parts.join(", ")
    }
}

/// Returns the name a filter value has in the file, such as `other-vpc-endpoint`.
fn kebab<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
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

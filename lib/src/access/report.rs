//! The offline access proof of a template: its matrix, its design findings
//! and the expectations it breaks, plus the cells that changed against a
//! baseline template.

use std::collections::HashMap;

use serde::Serialize;

use super::decision::{Decision, Evaluation, Layer};
use super::expectations::{Expectations, Violation};
use super::findings::{findings, template_findings, Finding};
use super::kms::kms_findings;
use super::matrix::{Cell, Matrix};
use super::model::{Settings, StackModel};
use crate::error::Error;
use crate::template::Template;
use crate::validate::Severity;

/// The result of verifying one template.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The access matrix.
    pub matrix: Matrix,
    /// Design findings, errors first.
    pub findings: Vec<Finding>,
    /// Cells that break an expectation.
    pub violations: Vec<Violation>,
    /// Indexes of expectation rules that matched no cell.
    #[serde(rename = "unmatchedRules")]
    pub unmatched_rules: Vec<usize>,
    /// The model the matrix was computed from.
    #[serde(skip)]
    pub model: StackModel,
}

impl Report {
    /// Returns `true` when no expectation is violated and no finding is an error.
    pub fn passed(&self) -> bool {
        self.violations.is_empty() && !self.findings.iter().any(|finding| finding.severity == Severity::Error)
    }
}

/// Verifies a template against expectations. The report's findings also
/// include the problems that synthesis validation finds in the template, with
/// the code `invalid-template`, except its size in bytes, which depends on the
/// text sent (see [`template_size_findings`](super::template_size_findings)).
///
/// # Errors
/// [`Error::InvalidDocument`] when an intrinsic or policy in the template
/// cannot be read.
pub fn verify(template: &Template, source_name: &str, settings: &Settings, expectations: &Expectations) -> Result<Report, Error> {
    let model = StackModel::from_template(template, settings, source_name)?;
    let matrix = Matrix::evaluate(&model);
    let mut findings = findings(&model, &matrix);
    // CloudFormation rejects a template that fails synthesis validation (a
    // dependency cycle, a reference to a missing resource), so verify reports them too.
    findings.extend(template_findings(template));
    findings.extend(kms_findings(template, &model, &matrix));
    findings.sort_by_key(|finding| finding.severity);
    let (violations, unmatched_rules) = expectations.check(&model, &matrix);
    Ok(Report { matrix, findings, violations, unmatched_rules, model })
}

/// A cell whose decision differs between two matrices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellChange {
    /// Source name.
    pub source: String,
    /// Action.
    pub action: String,
    /// Bucket logical ID.
    pub bucket: String,
    /// Decision in the baseline; `None` when the cell is new.
    pub before: Option<Decision>,
    /// Decision now; `None` when the cell disappeared.
    pub after: Option<Decision>,
    /// `true` when something is granted now that was not before: the cell
    /// is allowed now, or IAM now allows a request that S3's state or rules
    /// still refuse, such as a `DeleteBucket` grant on a bucket that contains
    /// backups.
    pub broadening: bool,
}

impl std::fmt::Display for CellChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = |decision: Option<Decision>| decision.map_or("absent", Decision::as_str);
        write!(
            f,
            "{}{} {} on {}: {} -> {}",
            if self.broadening { "BROADENED " } else { "" },
            self.source,
            self.action,
            self.bucket,
            name(self.before),
            name(self.after)
        )
    }
}

/// Lists the cells whose decision changed from `baseline` to `current`,
/// in the current matrix's order, then cells that disappeared.
pub fn diff(baseline: &Matrix, current: &Matrix) -> Vec<CellChange> {
    // Indexes, because a renamed bucket or source misses every lookup, and
    // a miss in `Matrix::cell` searches all cells.
    let baseline_cells = index_cells(baseline);
    let current_cells = index_cells(current);
    let mut changes = Vec::new();
    for cell in &current.cells {
        let old = baseline_cells.get(&cell_key(cell));
        let before = old.map(|c| c.evaluation.decision);
        let after = cell.evaluation.decision;
        if before != Some(after) {
            // A new cell broadens only when allowed, and a changed one when
            // it gets further. A new grant that S3's state refuses for now
            // (Object Lock, a non-empty bucket) still counts.
            let broadening = match old {
                None => after.is_allowed(),
                Some(old) => reach(&cell.evaluation) > reach(&old.evaluation),
            };
            changes.push(CellChange {
                source: cell.source.clone(),
                action: cell.action.clone(),
                bucket: cell.bucket.clone(),
                before,
                after: Some(after),
                broadening,
            });
        }
    }
    for cell in &baseline.cells {
        if !current_cells.contains_key(&cell_key(cell)) {
            changes.push(CellChange {
                source: cell.source.clone(),
                action: cell.action.clone(),
                bucket: cell.bucket.clone(),
                before: Some(cell.evaluation.decision),
                after: None,
                broadening: false,
            });
        }
    }
    changes
}

/// Ranks how far a request gets: 0 when IAM or the network refuses it, 1
/// when IAM allows it but S3 refuses it for the resource's state or its
/// own rules, 2 when it is allowed.
fn reach(evaluation: &Evaluation) -> u8 {
    match evaluation.decision {
        Decision::Allowed => 2,
        Decision::Denied if !evaluation.layers().contains(&Layer::Network) => 1,
        _ => 0,
    }
}

/// Returns a cell's source, action in lowercase and bucket, the names that
/// [`Matrix::cell`] matches it by.
fn cell_key(cell: &Cell) -> (&str, String, &str) {
    (&cell.source, cell.action.to_ascii_lowercase(), &cell.bucket)
}

/// Maps each cell's key to the cell, keeping the first of equal keys as
/// [`Matrix::cell`] finds it.
fn index_cells(matrix: &Matrix) -> HashMap<(&str, String, &str), &Cell> {
    let mut cells = HashMap::with_capacity(matrix.cells.len());
    for cell in &matrix.cells {
        cells.entry(cell_key(cell)).or_insert(cell);
    }
    cells
}

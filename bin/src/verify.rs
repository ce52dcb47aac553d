//! `vaultgate verify`: the offline access proof. It evaluates who can do
//! what to the stack's buckets (the access matrix), lists design findings,
//! checks the matrix against expectations and, with `--baseline`, lists the
//! cells that changed. `--scenario` evaluates one access-case file instead.
//!
//! Exit codes: 0 when everything holds, 1 when an expectation is violated
//! or a finding is an error, 2 when an input file is malformed.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Serialize;
use serde_json::json;
use vaultgate_core::access::{
    diff, template_size_findings, verify, CellChange, Deciding, Decision, Expectations, Finding, Report, Route, Scenario, Settings,
    SourceKind,
};
use vaultgate_core::Template;

use crate::cli_error::CliError;

/// Flags of `vaultgate verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Template to verify (JSON or YAML). Default: the default backup stack.
    #[arg(value_name = "TEMPLATE")]
    template: Option<PathBuf>,
    /// Output format: `text` for people, `json` for machines.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// An older template; the cells whose decision changed are listed, and
    /// those that grant something new are marked as broadening.
    #[arg(long, value_name = "OLD_TEMPLATE")]
    baseline: Option<PathBuf>,
    /// Evaluate one access-case file and print its decision instead of
    /// verifying a template.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["template", "baseline", "expectations"])]
    scenario: Option<PathBuf>,
    /// Expectations file (TOML, or JSON) that replaces the architecture's
    /// default expectations.
    #[arg(long, value_name = "FILE")]
    expectations: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

/// Runs `vaultgate verify`.
pub fn run(args: &VerifyArgs) -> Result<(), CliError> {
    if let Some(path) = &args.scenario {
        return run_scenario(path, args.format);
    }
    let expectations = match &args.expectations {
        Some(path) => Expectations::parse(&read(path)?, &path.display().to_string())?,
        None => Expectations::defaults(),
    };
    let settings = Settings::default();
    // CloudFormation limits the template body as sent, so the size checked
    // is the file's, or that of the template `vaultgate synth` writes.
    let (template, name, size) = match &args.template {
        Some(path) => {
            let (template, size) = load_template(path)?;
            (template, path.display().to_string(), size)
        }
        None => {
            let template = vaultgate_constructs::default_template();
            let size = template.to_json_string().len();
            (template, "the default stack".to_owned(), size)
        }
    };
    let mut report = verify(&template, &name, &settings, &expectations)?;
    report.findings.extend(template_size_findings(size));
    report.findings.sort_by_key(|finding| finding.severity);
    let baseline = match &args.baseline {
        Some(path) => {
            let (old, _) = load_template(path)?;
            let old_report = verify(&old, &path.display().to_string(), &settings, &expectations)?;
            Some((path.display().to_string(), diff(&old_report.matrix, &report.matrix)))
        }
        None => None,
    };

    match args.format {
        ReportFormat::Json => {
            emit_json(&report_json(&name, &report, &expectations, baseline.as_ref()))?;
        }
        ReportFormat::Text => emit(&report_text(&name, &report, &expectations, baseline.as_ref()))?,
    }
    if report.passed() {
        Ok(())
    } else {
        let errors = report.findings.iter().filter(|f| f.severity == vaultgate_core::Severity::Error).count();
        Err(CliError::Failed(format!(
            "verification of {name} failed: {} violated expectation{}, {errors} error-level finding{}",
            report.violations.len(),
            plural(report.violations.len()),
            plural(errors)
        )))
    }
}

/// Writes to standard output, reporting a closed pipe as an error instead
/// of panicking as `print!` does.
fn emit(text: &str) -> Result<(), CliError> {
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|err| CliError::Output(format!("cannot write to standard output: {err}")))
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|err| CliError::Input(format!("cannot read {}: {err}", path.display())))
}

/// Reads and parses a template file, and returns it with its size in bytes.
fn load_template(path: &Path) -> Result<(Template, usize), CliError> {
    let text = read(path)?;
    Ok((Template::parse(&text, &path.display().to_string())?, text.len()))
}

fn run_scenario(path: &Path, format: ReportFormat) -> Result<(), CliError> {
    let name = path.display().to_string();
    let scenario = Scenario::parse_str(&read(path)?, &name)?;
    let evaluation = scenario.evaluate();
    let expected = scenario.expected.as_ref().map(|expected| expected.decision);
    // The decision, the layers and the Sids that `decidedBy` names.
    let mismatches = scenario.mismatches(&evaluation);
    match format {
        ReportFormat::Json => {
            let value = json!({
                "scenario": name,
                "id": scenario.id,
                "decision": evaluation.decision,
                "decidedBy": evaluation.decided_by,
                "reason": evaluation.reason,
                "expected": expected,
                "matchesExpected": expected.map(|_| mismatches.is_empty()),
                "mismatches": mismatches,
            });
            emit(&format!("{}\n", serde_json::to_string_pretty(&value).expect("evaluations serialize")))?;
        }
        ReportFormat::Text => {
            let mut text = format!("{}: {}\n", if scenario.id.is_empty() { &name } else { &scenario.id }, evaluation.decision);
            for reason in &evaluation.decided_by {
                let _ = writeln!(text, "  decided by {reason}");
            }
            let _ = writeln!(text, "  {}", evaluation.reason);
            if let Some(expected) = expected {
                let _ = writeln!(text, "  expected {expected}: {}", if mismatches.is_empty() { "matches" } else { "DIFFERS" });
            }
            for mismatch in &mismatches {
                let _ = writeln!(text, "    {mismatch}");
            }
            emit(&text)?;
        }
    }
    if mismatches.is_empty() {
        Ok(())
    } else {
        Err(CliError::Failed(format!("{name}: {}", mismatches.join("; "))))
    }
}

fn route_text(route: &Route) -> String {
    match route {
        Route::Endpoint { endpoint_id, .. } => format!("through {endpoint_id}"),
        Route::Internet { source_ip } => format!("over the internet from {source_ip}"),
        Route::Unreachable => "no route to S3".to_owned(),
    }
}

/// The `--format json` report, borrowed from the verified report and
/// serialized straight to standard output. A template with hundreds of
/// buckets has a matrix of tens of thousands of cells, and a `serde_json`
/// tree of them took about ten times the memory of the text.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport<'a> {
    template: &'a str,
    passed: bool,
    buckets: Vec<JsonBucket<'a>>,
    sources: Vec<JsonSource<'a>>,
    matrix: Vec<JsonCell<'a>>,
    findings: &'a [Finding],
    /// A violation without a cell is a rule expecting allow that selects no
    /// cell; its cell fields are null.
    violations: Vec<JsonViolation<'a>>,
    unmatched_rules: Vec<JsonUnmatchedRule<'a>>,
    baseline: Option<JsonBaseline<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonBucket<'a> {
    logical_id: &'a str,
    name: &'a str,
    versioning: bool,
    object_lock: bool,
}

#[derive(Serialize)]
struct JsonSource<'a> {
    name: &'a str,
    kind: &'a SourceKind,
    description: &'a str,
    route: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonCell<'a> {
    source: &'a str,
    action: &'a str,
    bucket: &'a str,
    decision: Decision,
    decided_by: &'a [Deciding],
    reason: &'a str,
}

#[derive(Serialize)]
struct JsonViolation<'a> {
    rule: usize,
    expected: &'a str,
    why: &'a str,
    selector: &'a str,
    source: Option<&'a str>,
    action: Option<&'a str>,
    bucket: Option<&'a str>,
    decision: Option<Decision>,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonUnmatchedRule<'a> {
    rule: usize,
    why: &'a str,
}

#[derive(Serialize)]
struct JsonBaseline<'a> {
    template: &'a str,
    changes: &'a [CellChange],
}

fn report_json<'a>(
    name: &'a str,
    report: &'a Report,
    expectations: &'a Expectations,
    baseline: Option<&'a (String, Vec<CellChange>)>,
) -> JsonReport<'a> {
    let model = &report.model;
    let buckets = model
        .buckets
        .iter()
        .map(|bucket| JsonBucket {
            logical_id: &bucket.logical_id,
            name: &bucket.name,
            versioning: bucket.versioning,
            object_lock: bucket.object_lock,
        })
        .collect();
    let sources = model
        .sources
        .iter()
        .map(|source| JsonSource {
            name: &source.name,
            kind: &source.kind,
            description: &source.description,
            route: route_text(&source.route),
        })
        .collect();
    let matrix = report
        .matrix
        .cells
        .iter()
        .map(|cell| JsonCell {
            source: &cell.source,
            action: &cell.action,
            bucket: &cell.bucket,
            decision: cell.evaluation.decision,
            decided_by: &cell.evaluation.decided_by,
            reason: &cell.evaluation.reason,
        })
        .collect();
    let violations = report
        .violations
        .iter()
        .map(|violation| {
            let cell = violation.cell.as_ref();
            JsonViolation {
                rule: violation.rule,
                expected: &violation.expected,
                why: &violation.why,
                selector: &violation.selector,
                source: cell.map(|cell| cell.source.as_str()),
                action: cell.map(|cell| cell.action.as_str()),
                bucket: cell.map(|cell| cell.bucket.as_str()),
                decision: cell.map(|cell| cell.evaluation.decision),
                reason: cell.map(|cell| cell.evaluation.reason.as_str()),
            }
        })
        .collect();
    let unmatched_rules = report
        .unmatched_rules
        .iter()
        .map(|&rule| JsonUnmatchedRule { rule, why: &expectations.expect[rule].why })
        .collect();
    JsonReport {
        template: name,
        passed: report.passed(),
        buckets,
        sources,
        matrix,
        findings: &report.findings,
        violations,
        unmatched_rules,
        baseline: baseline.map(|(template, changes)| JsonBaseline { template, changes }),
    }
}

/// Writes `value` as pretty JSON and a newline to standard output, without
/// building the text in memory first.
fn emit_json(value: &impl Serialize) -> Result<(), CliError> {
    let fail = |err: std::io::Error| CliError::Output(format!("cannot write to standard output: {err}"));
    let mut writer = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut writer, value).map_err(|err| fail(err.into()))?;
    writer.write_all(b"\n").map_err(fail)?;
    writer.flush().map_err(fail)
}

/// Single-letter codes of the matrix table.
fn letter(decision: vaultgate_core::access::Decision) -> char {
    use vaultgate_core::access::Decision;
    match decision {
        Decision::Allowed => 'A',
        Decision::ExplicitlyDenied => 'E',
        Decision::ImplicitlyDenied => 'I',
        Decision::Denied => 'D',
    }
}

fn report_text(name: &str, report: &Report, expectations: &Expectations, baseline: Option<&(String, Vec<CellChange>)>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "vaultgate verify: {name}");
    for bucket in &report.model.buckets {
        matrix_text(&mut out, report, &bucket.logical_id, &bucket.name);
    }

    let _ = writeln!(out, "\nFindings: {}", report.findings.len());
    for finding in &report.findings {
        let _ = writeln!(out, "  {finding}");
    }

    let _ = writeln!(out, "\nExpectations: {} rules, {} violations", expectations.expect.len(), report.violations.len());
    for violation in &report.violations {
        let _ = writeln!(out, "  VIOLATED {violation}");
    }
    for index in &report.unmatched_rules {
        let _ = writeln!(out, "  note: rule {index} ({}) matched no cell", expectations.expect[*index].why);
    }

    if let Some((template, changes)) = baseline {
        let _ = writeln!(out, "\nChanges since {template}: {}", changes.len());
        for change in changes {
            let _ = writeln!(out, "  {change}");
        }
    }

    let _ = writeln!(out, "\nResult: {}", if report.passed() { "PASS" } else { "FAIL" });
    out
}

/// Writes one bucket's table of single-letter decisions, then every cell
/// with its deciding layers and statements.
fn matrix_text(out: &mut String, report: &Report, bucket: &str, bucket_name: &str) {
    let matrix = &report.matrix;
    let _ = writeln!(out, "\nBucket {bucket} ({bucket_name}): A allowed, E explicitly denied, I implicitly denied, D refused by S3 state or no route");
    for (index, action) in matrix.actions.iter().enumerate() {
        let _ = writeln!(out, "  {:>2} {action}", index + 1);
    }

    let width = matrix.sources.iter().map(String::len).max().unwrap_or(10).max(10);
    let header: String = (1..=matrix.actions.len()).map(|i| format!("{i:>3}")).collect();
    let _ = writeln!(out, "  {:width$} {header}", "source");
    for source in &matrix.sources {
        let row: String = matrix
            .actions
            .iter()
            .map(|action| matrix.cell(source, action, Some(bucket)).map_or(' ', |c| letter(c.evaluation.decision)))
            .map(|code| format!("{code:>3}"))
            .collect();
        let _ = writeln!(out, "  {source:width$} {row}");
    }

    let _ = writeln!(out, "\nDeciding layers and statements:");
    for source in &report.model.sources {
        let _ = writeln!(out, "  {} ({}; {})", source.name, source.description, route_text(&source.route));
        for action in &matrix.actions {
            let Some(cell) = matrix.cell(&source.name, action, Some(bucket)) else { continue };
            let reasons: Vec<String> = cell.evaluation.decided_by.iter().map(ToString::to_string).collect();
            let _ = writeln!(out, "    {:<17} {:<37} {}", cell.evaluation.decision.as_str(), action, reasons.join("; "));
        }
    }
}

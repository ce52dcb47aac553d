//! End-to-end tests of `vaultgate-deploy` against moto's server mode.
//!
//! One moto server serves every test, reset before each, and is killed
//! when the run ends, even after a failing test. libtest offers no hook
//! after the last test, so this file has its own small runner. It accepts
//! name filters like libtest and prints libtest's summary line.
//!
//! What moto (5.2.6) does, and how the tests treat it: it reports no
//! Outputs after ExecuteChangeSet and only stack-level events; a failed
//! execution is an HTTP error of ExecuteChangeSet with the stack left in
//! REVIEW_IN_PROGRESS; it drops most S3 bucket settings, so nothing is
//! asserted by reading a bucket's configuration back; a stack created again
//! gets a second record with the same name; and DeleteStack fails with
//! DependencyViolation on the full backup stack, leaving resources behind.

mod moto;
mod scenarios;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::Instant;

use moto::Moto;

type Scenario = fn(&Moto);

const SCENARIOS: &[(&str, Scenario)] = &[
    ("create_stack_from_default_template", scenarios::create_stack_from_default_template),
    ("update_of_mutable_property", scenarios::update_of_mutable_property),
    ("no_op_update_reports_no_changes", scenarios::no_op_update_reports_no_changes),
    ("no_op_change_set_is_deleted", scenarios::no_op_change_set_is_deleted),
    ("bucket_replacement_is_refused", scenarios::bucket_replacement_is_refused),
    ("dropping_retain_is_refused", scenarios::dropping_retain_is_refused),
    ("failed_execution_is_reported", scenarios::failed_execution_is_reported),
    ("destroy_keeps_retained_bucket", scenarios::destroy_keeps_retained_bucket),
    ("destroy_needs_flag_for_unretained_bucket", scenarios::destroy_needs_flag_for_unretained_bucket),
    ("destroy_reports_failed_delete", scenarios::destroy_reports_failed_delete),
    ("large_template_goes_through_bucket", scenarios::large_template_goes_through_bucket),
    ("large_template_needs_bucket", scenarios::large_template_needs_bucket),
    ("diff_marks_replacement", scenarios::diff_marks_replacement),
    ("missing_region_is_named", scenarios::missing_region_is_named),
    ("missing_credentials_are_named", scenarios::missing_credentials_are_named),
    ("unreachable_endpoint_shows_cause", scenarios::unreachable_endpoint_shows_cause),
];

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let filters: Vec<&String> = arguments.iter().filter(|argument| !argument.starts_with('-')).collect();
    let selected: Vec<&(&str, Scenario)> =
        SCENARIOS.iter().filter(|(name, _)| filters.is_empty() || filters.iter().any(|filter| name.contains(filter.as_str()))).collect();
    if arguments.iter().any(|argument| argument == "--list") {
        for (name, _) in &selected {
            println!("{name}: test");
        }
        return ExitCode::SUCCESS;
    }
    println!("\nrunning {} tests", selected.len());
    if selected.is_empty() {
        println!("\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; {} filtered out; finished in 0.00s\n", SCENARIOS.len());
        return ExitCode::SUCCESS;
    }

    let started = Instant::now();
    let moto = Moto::start();
    let mut failed = Vec::new();
    for (name, scenario) in &selected {
        moto.reset();
        let result = catch_unwind(AssertUnwindSafe(|| scenario(&moto)));
        println!("test {name} ... {}", if result.is_ok() { "ok" } else { "FAILED" });
        if result.is_err() {
            failed.push(*name);
        }
    }
    drop(moto);

    if !failed.is_empty() {
        println!("\nfailures:");
        for name in &failed {
            println!("    {name}");
        }
    }
    println!(
        "\ntest result: {}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out; finished in {:.2}s\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        selected.len() - failed.len(),
        failed.len(),
        SCENARIOS.len() - selected.len(),
        started.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

//! Every template vaultgate synthesizes, the default stack and each example
//! settings file, passes cfn-lint with no errors.
//!
//! cfn-lint runs with `-x E3012:strict=true`, so property values must have
//! exactly the schema's types. No rule is switched off; a rule configured
//! away would go in `.cfnlintrc` at the workspace root, with its reason.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{cfn_lint, example_configs, vaultgate, workspace_root};

fn synthesized_templates(directory: &std::path::Path) -> Vec<PathBuf> {
    let mut written = Vec::new();
    let output = vaultgate(directory, &["synth", "--out", "default.json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    written.push(directory.join("default.json"));
    for config in example_configs() {
        let name = format!("{}.json", config.file_stem().unwrap().to_str().unwrap());
        let output = vaultgate(directory, &["synth", "--config", config.to_str().unwrap(), "--out", &name]);
        assert!(output.status.success(), "{}: {}", config.display(), String::from_utf8_lossy(&output.stderr));
        written.push(directory.join(name));
    }
    written
}

#[test]
fn cfn_lint_reports_no_errors() {
    let directory = tempfile::tempdir().unwrap();
    let templates = synthesized_templates(directory.path());
    assert!(templates.len() >= 4, "expected the default and three examples, got {templates:?}");
    let output = Command::new(cfn_lint())
        .current_dir(workspace_root())
        .args(["--format", "parseable", "-x", "E3012:strict=true", "--"])
        .args(&templates)
        .output()
        .expect("cfn-lint runs");
    let report = String::from_utf8_lossy(&output.stdout);
    let errors: Vec<&str> = report.lines().filter(|line| line.contains(":E")).collect();
    assert!(errors.is_empty(), "cfn-lint errors:\n{}", errors.join("\n"));
    // cfn-lint exits 0 when clean, and with bit 2 for errors, 4 for warnings
    // and 8 for informational findings.
    let code = output.status.code().expect("cfn-lint exited");
    assert_eq!(code & 2, 0, "cfn-lint reported errors:\n{report}\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(code & 1, 0, "cfn-lint failed:\n{}", String::from_utf8_lossy(&output.stderr));
}

//! Helpers shared by the CLI's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("bin/ has a parent").to_path_buf()
}

/// Every example settings file, sorted by name.
pub fn example_configs() -> Vec<PathBuf> {
    let mut configs: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("examples"))
        .expect("examples/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| matches!(path.extension().and_then(|e| e.to_str()), Some("toml" | "json")))
        .collect();
    configs.sort();
    configs
}

/// Runs the `vaultgate` binary with `args` in `directory`.
pub fn vaultgate(directory: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vaultgate"))
        .args(args)
        .current_dir(directory)
        .output()
        .expect("vaultgate runs")
}

/// Returns the cfn-lint executable of the test venv, failing with the fix
/// when it is missing.
pub fn cfn_lint() -> PathBuf {
    let venv = std::env::var_os("VAULTGATE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv"));
    let path = venv.join("bin").join("cfn-lint");
    assert!(path.exists(), "cfn-lint not found at {}; run scripts/test, which installs it", path.display());
    path
}

//! Golden templates: the default stack and each example settings file,
//! kept in `snapshots/` at the workspace root. A change to any of them
//! fails here until a person reviews and accepts it (`cargo insta review`).

mod common;

use common::{example_configs, vaultgate};

fn synthesize(args: &[&str]) -> String {
    let directory = tempfile::tempdir().unwrap();
    let mut all = vec!["synth", "--out", "t.json"];
    all.extend_from_slice(args);
    let output = vaultgate(directory.path(), &all);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    std::fs::read_to_string(directory.path().join("t.json")).unwrap()
}

fn check(name: &str, template: &str) {
    insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!(name, template);
    });
}

#[test]
fn default_stack_snapshot() {
    check("default", &synthesize(&[]));
}

#[test]
fn example_config_snapshots() {
    let configs = example_configs();
    assert!(!configs.is_empty());
    for config in configs {
        let name = config.file_stem().unwrap().to_str().unwrap().to_owned();
        check(&name, &synthesize(&["--config", config.to_str().unwrap()]));
    }
}

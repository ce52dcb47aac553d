//! `vaultgate synth` end to end: files written, bad input rejected with a
//! clear message, exit code 2 and nothing on disk.

mod common;

use common::{vaultgate, workspace_root};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn synth_writes_template_json_by_default() {
    let directory = tempfile::tempdir().unwrap();
    let output = vaultgate(directory.path(), &["synth"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(directory.path().join("template.json")).unwrap();
    let template: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(template["AWSTemplateFormatVersion"], "2010-09-09");
    assert!(stderr(&output).contains("resources"), "{}", stderr(&output));
}

#[test]
fn synth_twice_is_byte_identical() {
    let directory = tempfile::tempdir().unwrap();
    vaultgate(directory.path(), &["synth", "--out", "a.json"]);
    vaultgate(directory.path(), &["synth", "--out", "b.json"]);
    let first = std::fs::read(directory.path().join("a.json")).unwrap();
    let second = std::fs::read(directory.path().join("b.json")).unwrap();
    assert!(!first.is_empty());
    assert_eq!(first, second);
}

#[test]
fn synth_to_stdout_prints_template() {
    let directory = tempfile::tempdir().unwrap();
    let output = vaultgate(directory.path(), &["synth", "--out", "-"]);
    assert!(output.status.success());
    let template: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(template["Resources"].as_object().unwrap().len() >= 20);
    assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 0);
}

#[test]
fn synth_yaml_parses_back() {
    let directory = tempfile::tempdir().unwrap();
    let output = vaultgate(directory.path(), &["synth", "--format", "yaml", "--out", "t.yaml"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(directory.path().join("t.yaml")).unwrap();
    let template = vaultgate_core::Template::parse(&text, "t.yaml").unwrap();
    assert_eq!(template, vaultgate_constructs::default_template());
}

#[test]
fn config_schema_lists_fields() {
    let directory = tempfile::tempdir().unwrap();
    let output = vaultgate(directory.path(), &["synth", "--print-config-schema"]);
    assert!(output.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    for field in ["stack_name", "network", "bucket", "endpoint", "bastion", "backup_instance", "restore", "tags"] {
        assert!(properties.contains_key(field), "schema lacks {field}");
    }
}

/// Writes `config` as `name`, runs synth with it and returns stderr after
/// checking exit code 2 and that no template was written.
fn rejected(name: &str, config: &str) -> String {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join(name), config).unwrap();
    let output = vaultgate(directory.path(), &["synth", "--config", name]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let leftovers: Vec<_> = std::fs::read_dir(directory.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|file| file != name)
        .collect();
    assert!(leftovers.is_empty(), "files left behind: {leftovers:?}");
    stderr(&output)
}

#[test]
fn overlapping_subnet_rejected() {
    let message = rejected("c.toml", "[network]\npublic_subnet_cidr = \"10.0.0.0/23\"\nprivate_subnet_cidr = \"10.0.1.0/24\"\n");
    assert!(message.contains("network.private_subnet_cidr"), "{message}");
    assert!(message.contains("overlaps"), "{message}");
}

#[test]
fn subnet_outside_vpc_rejected() {
    let message = rejected("c.toml", "[network]\nprivate_subnet_cidr = \"192.168.1.0/24\"\n");
    assert!(message.contains("192.168.1.0/24"), "{message}");
    assert!(message.contains("outside the VPC"), "{message}");
}

#[test]
fn invalid_bucket_name_rejected() {
    let message = rejected("c.toml", "[bucket]\nbucket_name = \"Acme_Backups\"\n");
    assert!(message.contains("bucket.bucket_name"), "{message}");
    assert!(message.contains("Acme_Backups"), "{message}");
    assert!(message.contains("lowercase"), "{message}");
}

#[test]
fn zero_retention_rejected() {
    let message = rejected("c.toml", "[bucket.retention]\ndays = 0\n");
    assert!(message.contains("bucket.retention.days"), "{message}");
    assert!(message.contains("greater than zero"), "{message}");
}

#[test]
fn retention_days_and_years_rejected() {
    let message = rejected("c.toml", "[bucket.retention]\ndays = 30\nyears = 1\n");
    assert!(message.contains("bucket.retention"), "{message}");
    assert!(message.contains("not both"), "{message}");
}

#[test]
fn suspended_versioning_rejected() {
    let message = rejected("c.toml", "[bucket]\nversioning = \"Suspended\"\n");
    assert!(message.contains("bucket.versioning"), "{message}");
    assert!(message.contains("Object Lock requires versioning"), "{message}");
}

#[test]
fn unknown_config_field_rejected() {
    let message = rejected("c.toml", "[bucket]\nretension_days = 30\n");
    assert!(message.contains("retension_days"), "{message}");
    assert!(message.contains("bucket"), "{message}");
    assert!(message.contains("--print-config-schema"), "{message}");
}

#[test]
fn duplicate_key_named() {
    let message = rejected("c.toml", "stack_name = \"A\"\nstack_name = \"B\"\n");
    assert!(message.contains("line 2, column 1"), "{message}");
    assert!(message.contains("duplicate key `stack_name`"), "{message}");
}

#[test]
fn dotted_key_over_value_named() {
    let message = rejected("c.toml", "[network]\npublic_subnet_cidr = \"10.0.0.0/24\"\npublic_subnet_cidr.x = 1\n");
    assert!(message.contains("line 3, column 1"), "{message}");
    assert!(message.contains("`public_subnet_cidr` already holds a value of type string"), "{message}");
    assert!(message.contains("keep one of the two entries"), "{message}");

    let message = rejected("c.toml", "[network]\nvpc.mode = \"new\"\nvpc.mode.deep = 1\n");
    assert!(message.contains("`vpc.mode` already holds a value of type string"), "{message}");
}

/// serde reads a list into a struct field by field, so these would set
/// `network.vpc` from a VPC-shaped table instead of failing.
#[test]
fn array_of_tables_rejected() {
    let message = rejected("c.toml", "[[network]]\ncidr_block = \"10.9.0.0/16\"\n");
    assert!(message.contains("at `network`"), "{message}");
    assert!(message.contains("write `[network]` in place of `[[network]]`"), "{message}");

    let nested = rejected("c.toml", "[network]\n[[network.vpc]]\ncidr_block = \"10.9.0.0/16\"\n");
    assert!(nested.contains("write `[network.vpc]` in place of `[[network.vpc]]`"), "{nested}");
}

#[test]
fn json_list_for_object_rejected() {
    let message = rejected("c.json", "{\"network\": [{\"vpc\": {\"cidr_block\": \"10.9.0.0/16\"}}]}");
    assert!(message.contains("`network` is a list, but it must be one object"), "{message}");
}

#[test]
fn malformed_config_rejected() {
    let message = rejected("c.json", "{\"bucket\": {\"retention\": ");
    assert!(message.contains("c.json"), "{message}");
    assert!(message.contains("EOF"), "{message}");
}

#[test]
fn wrong_type_names_field_path() {
    let message = rejected("c.json", "{\"bucket\": {\"retention\": {\"days\": \"thirty\"}}}");
    assert!(message.contains("bucket.retention.days"), "{message}");
}

#[test]
fn all_problems_reported_together() {
    let message = rejected("c.toml", "[bucket]\nbucket_name = \"UPPER\"\nversioning = \"Suspended\"\n[bucket.retention]\ndays = 0\n");
    assert!(message.contains("bucket.bucket_name"), "{message}");
    assert!(message.contains("bucket.versioning"), "{message}");
    assert!(message.contains("bucket.retention.days"), "{message}");
}

#[test]
fn missing_output_directory_rejected() {
    let directory = tempfile::tempdir().unwrap();
    let output = vaultgate(directory.path(), &["synth", "--out", "missing/template.json"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("missing"), "{message}");
    assert!(message.contains("does not exist"), "{message}");
    assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 0);
}

#[test]
fn missing_config_file_rejected() {
    let directory = tempfile::tempdir().unwrap();
    let output = vaultgate(directory.path(), &["synth", "--config", "nope.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("nope.toml"));
}

#[test]
fn examples_synthesize() {
    for config in common::example_configs() {
        let directory = tempfile::tempdir().unwrap();
        let output = vaultgate(directory.path(), &["synth", "--config", config.to_str().unwrap()]);
        assert!(output.status.success(), "{}: {}", config.display(), stderr(&output));
    }
    assert!(workspace_root().join("examples").is_dir());
}

#[test]
fn trailing_json_rejected() {
    let message = rejected("c.json", "{\"stack_name\": \"A\"} garbage");
    assert!(message.contains("trailing characters"), "{message}");
}

#[test]
fn json_array_rejected() {
    let message = rejected("c.json", "[]");
    assert!(message.contains("JSON object"), "{message}");
}

#[test]
fn toml_syntax_error_has_position() {
    let message = rejected("c.toml", "stack_name = \"A\"\n[bucket\n");
    assert!(message.contains("line 2"), "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
}

#[test]
fn unknown_extension_rejected() {
    let message = rejected("c.yaml", "stack_name: A\n");
    assert!(message.contains("TOML (.toml) or JSON (.json)"), "{message}");
}

#[test]
fn directory_output_rejected() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::create_dir(directory.path().join("outdir")).unwrap();
    for out in ["outdir", "nodir/", ""] {
        let output = vaultgate(directory.path(), &["synth", "--out", out]);
        assert_eq!(output.status.code(), Some(2), "{out:?}: {}", stderr(&output));
        assert!(stderr(&output).contains("--out") || stderr(&output).contains("directory"), "{out:?}: {}", stderr(&output));
    }
    assert_eq!(std::fs::read_dir(directory.path().join("outdir")).unwrap().count(), 0);
}

#[test]
fn schema_conflicts_with_out() {
    let directory = tempfile::tempdir().unwrap();
    let output = vaultgate(directory.path(), &["synth", "--print-config-schema", "--out", "x.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot be used with"), "{}", stderr(&output));
}

#[test]
fn invalid_settings_exit_two() {
    let message = rejected("c.toml", "stack_name = \"My Stack\"\n[tags]\n\"\" = \"v\"\n[bastion]\ninstance_type = \"t4g.micro\"\n");
    assert!(message.contains("`stack_name`"), "{message}");
    assert!(message.contains("`tags.`"), "{message}");
    assert!(message.contains("`bastion.instance_type`"), "{message}");
}

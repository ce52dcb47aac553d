//! Stack names: a name must follow CloudFormation's rules, must not break
//! subtree tags, must be unique within an app, and can never place a
//! template file outside the output directory.

use serde_json::json;
use vaultgate_core::template::Resource;
use vaultgate_core::{App, Error, Format, Problem, Stack};

fn invalid(result: Result<impl std::fmt::Debug, Error>) -> (String, Vec<Problem>) {
    match result {
        Err(Error::Invalid { stack, problems }) => (stack, problems),
        other => panic!("expected Error::Invalid, got {other:?}"),
    }
}

#[test]
fn slash_name_keeps_subtree_tags() {
    let mut stack = Stack::new("team/backup");
    stack.add_tag("owner", "platform");
    let mut root = stack.root();
    let mut group = root.child("Network").unwrap();
    group.add_tag("tier", "private");
    let id = group.add_resource("Vpc", Resource::new("AWS::EC2::VPC")).unwrap();

    let template = stack.to_template();

    assert_eq!(
        template.resources[id.as_str()].properties["Tags"],
        json!([{"Key": "owner", "Value": "platform"}, {"Key": "tier", "Value": "private"}])
    );
}

#[test]
fn invalid_name_is_synth_error() {
    let mut stack = Stack::new("team/backup");
    stack.root().add_resource("Topic", Resource::new("AWS::SNS::Topic")).unwrap();
    let (name, problems) = invalid(stack.synth());
    assert_eq!(name, "team/backup");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let message = problems[0].to_string();
    assert!(message.starts_with("stack name \"team/backup\" is invalid: it contains '/'"), "{message}");
    assert!(message.contains("pass Stack::new a name of 1 to 128 ASCII letters, digits and `-`"), "{message}");
}

#[test]
fn every_name_rule_reported() {
    let (_, problems) = invalid(Stack::new("1 bad").synth());
    let message = problems[0].to_string();
    assert!(message.contains("it must start with a letter"), "{message}");
    assert!(message.contains("it contains ' '"), "{message}");
}

#[test]
fn duplicate_names_rejected() {
    let mut app = App::new();
    app.add_stack(Stack::new("Backup"));
    app.add_stack(Stack::new("Other"));
    app.add_stack(Stack::new("Backup"));
    let dir = tempfile::tempdir().unwrap();

    let (name, problems) = invalid(app.write_to_dir(dir.path(), Format::Json));

    assert_eq!(name, "Backup");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(
        problems[0].to_string(),
        "stack name \"Backup\" is used by 2 stacks, but each stack is written to its own `NAME.template.json`; give each stack a unique name"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a template was written");
}

#[test]
fn case_only_difference_rejected() {
    let mut app = App::new();
    app.add_stack(Stack::new("Backup"));
    app.add_stack(Stack::new("BACKUP"));
    let (_, problems) = invalid(app.synth());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let message = problems[0].to_string();
    assert!(message.contains("\"Backup\", \"BACKUP\" differ only in case"), "{message}");
}

#[test]
fn duplicates_reported_with_stack_problems() {
    let mut app = App::new();
    app.add_stack(Stack::new("A"));
    app.add_stack(Stack::new("A"));
    app.add_stack(Stack::new("bad/name"));
    let (name, problems) = invalid(app.synth());
    assert_eq!(name, "A");
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(messages[0].contains("stack name \"A\" is used by 2 stacks"), "{messages:#?}");
    assert!(messages[1].contains("stack name \"bad/name\" is invalid"), "{messages:#?}");
}

#[test]
fn escaping_name_writes_nothing() {
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("out");
    std::fs::create_dir(&dir).unwrap();
    let mut app = App::new();
    app.add_stack(Stack::new("../escaped"));

    let (_, problems) = invalid(app.write_to_dir(&dir, Format::Json));

    assert!(problems[0].to_string().contains("stack name \"../escaped\" is invalid"), "{problems:#?}");
    assert!(!outer.path().join("escaped.template.json").exists());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn unique_names_written() {
    let mut app = App::new();
    app.add_stack(Stack::new("Backup"));
    app.add_stack(Stack::new("Backup-2"));
    let dir = tempfile::tempdir().unwrap();
    let written = app.write_to_dir(dir.path(), Format::Yaml).unwrap();
    assert_eq!(written, [dir.path().join("Backup.template.yaml"), dir.path().join("Backup-2.template.yaml")]);
    assert!(written.iter().all(|path| path.is_file()));
}

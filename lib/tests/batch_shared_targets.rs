//! `TemplateBatch::commit` rejects two stacks whose template files lead to
//! one file through symbolic links. Each resolved directory is cached per
//! commit, so these cases put the links in other directories, behind
//! directory aliases and among many plain files.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use vaultgate_core::batch::TemplateBatch;
use vaultgate_core::template::Resource;
use vaultgate_core::{Error, Format, Stack};

fn stack(name: &str) -> Stack {
    let mut stack = Stack::new(name);
    stack.root().add_resource("Alerts", Resource::new("AWS::SNS::Topic")).unwrap();
    stack
}

/// Commits a batch of `names` into `directory` and returns the problems'
/// text, failing when the batch was written.
fn rejected(directory: &Path, names: &[&str]) -> String {
    let batch = TemplateBatch::new(directory, Format::Json);
    for name in names {
        batch.add(stack(name)).unwrap();
    }
    match batch.commit() {
        Ok(paths) => panic!("the batch was written: {paths:?}"),
        Err(Error::Invalid { problems, .. }) => problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
        Err(other) => panic!("expected Error::Invalid, got {other:?}"),
    }
}

fn temporary_files(directory: &Path) -> usize {
    fs::read_dir(directory).unwrap().filter(|entry| entry.as_ref().unwrap().file_name().to_string_lossy().starts_with(".tmp")).count()
}

#[test]
fn link_through_other_directory_rejected() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    let elsewhere = root.path().join("elsewhere");
    fs::create_dir(&out).unwrap();
    fs::create_dir(&elsewhere).unwrap();
    // out/A -> elsewhere/hop.json -> out/B: the second link sits in another directory.
    symlink("../out/B.template.json", elsewhere.join("hop.json")).unwrap();
    symlink("../elsewhere/hop.json", out.join("A.template.json")).unwrap();

    let message = rejected(&out, &["A", "B"]);

    assert!(message.contains("lead to the same file"), "{message}");
    assert!(!out.join("B.template.json").exists(), "B was written");
    assert_eq!(temporary_files(&out), 0);
    assert_eq!(temporary_files(&elsewhere), 0);
}

#[test]
fn links_to_one_outside_file_rejected() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    let shared = root.path().join("shared");
    fs::create_dir(&out).unwrap();
    fs::create_dir(&shared).unwrap();
    symlink("../shared/one.json", out.join("A.template.json")).unwrap();
    symlink(shared.join("one.json"), out.join("B.template.json")).unwrap();

    let message = rejected(&out, &["A", "B"]);

    assert!(message.contains("lead to the same file"), "{message}");
    assert!(!shared.join("one.json").exists(), "the shared file was written");
    assert_eq!(temporary_files(&shared), 0);
}

#[test]
fn link_through_directory_alias_rejected() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    fs::create_dir(&out).unwrap();
    // `alias` is the batch directory under another name, so the link's
    // target directory differs in text from the batch directory.
    symlink(".", out.join("alias")).unwrap();
    symlink("alias/B.template.json", out.join("A.template.json")).unwrap();

    let message = rejected(&out, &["A", "B"]);

    assert!(message.contains("lead to the same file"), "{message}");
    assert!(!out.join("B.template.json").exists(), "B was written");
}

#[test]
fn batch_directory_through_link_rejected() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    fs::create_dir(&out).unwrap();
    symlink("out", root.path().join("via")).unwrap();
    symlink(out.join("B.template.json"), out.join("A.template.json")).unwrap();

    // The batch writes to `via`, the link leads back to `out`.
    let message = rejected(&root.path().join("via"), &["A", "B"]);

    assert!(message.contains("lead to the same file"), "{message}");
    assert!(!out.join("B.template.json").exists(), "B was written");
}

#[test]
fn one_link_among_many_files_rejected() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    fs::create_dir(&out).unwrap();
    symlink("Stack-41.template.json", out.join("Stack-07.template.json")).unwrap();
    let names: Vec<String> = (0..50).map(|index| format!("Stack-{index:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();

    let message = rejected(&out, &names);

    assert!(message.contains("Stack-07.template.json"), "{message}");
    assert!(message.contains("Stack-41.template.json"), "{message}");
    assert_eq!(fs::read_dir(&out).unwrap().count(), 1, "only the link remains");
}

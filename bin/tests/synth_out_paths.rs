//! `vaultgate synth --out` with the paths a new user types: relative
//! paths, a file where a directory should be, a directory without write
//! permission and a special file. Each error must name the path and the
//! fix, and no temporary file may remain.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::vaultgate;

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Returns the names under `directory` that start with `.tmp`, the prefix
/// of staged files.
fn temporary_files(directory: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(directory).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().starts_with(".tmp") {
            found.push(entry.path());
        }
        if entry.file_type().unwrap().is_dir() {
            found.extend(temporary_files(&entry.path()));
        }
    }
    found
}

#[test]
fn relative_out_paths_written() {
    let directory = tempfile::tempdir().unwrap();
    fs::create_dir(directory.path().join("x")).unwrap();

    for out in ["out.json", "./x/out.json"] {
        let output = vaultgate(directory.path(), &["synth", "--out", out]);

        assert_eq!(output.status.code(), Some(0), "{out}: {}", stderr(&output));
        let text = fs::read_to_string(directory.path().join(out)).unwrap();
        assert!(text.starts_with('{'), "{out}: {text}");
    }
    assert_eq!(temporary_files(directory.path()), Vec::<PathBuf>::new());
}

#[test]
fn relative_missing_directory_named() {
    let directory = tempfile::tempdir().unwrap();

    let output = vaultgate(directory.path(), &["synth", "--out", "./y/out.json"]);

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("`./y/out.json`"), "{message}");
    assert!(message.contains("directory `./y` does not exist"), "{message}");
}

/// `--out notes.txt/template.json` where `notes.txt` is a file. The
/// library reports "is not a directory", but the CLI's own check runs
/// first and reports that the directory does not exist, which sends the
/// user to create a directory whose name is taken.
#[test]
fn file_as_out_directory_named() {
    let directory = tempfile::tempdir().unwrap();
    fs::write(directory.path().join("notes.txt"), "keep").unwrap();

    let output = vaultgate(directory.path(), &["synth", "--out", "notes.txt/template.json"]);

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("`notes.txt/template.json`"), "{message}");
    assert!(!message.contains("does not exist"), "{message}");
    assert!(message.contains("is not a directory"), "{message}");
    assert_eq!(fs::read_to_string(directory.path().join("notes.txt")).unwrap(), "keep");
}

/// A FIFO replaces `/dev/null` (the real one must never be used in a
/// test): `synth` must not rename a regular file over it.
#[cfg(unix)]
#[test]
fn fifo_out_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let directory = tempfile::tempdir().unwrap();
    let fifo = directory.path().join("sink");
    let mkfifo = Command::new("mkfifo").arg(&fifo).status();
    if !mkfifo.is_ok_and(|status| status.success()) {
        eprintln!("mkfifo is not available; skipped");
        return;
    }

    let output = vaultgate(directory.path(), &["synth", "--out", "sink"]);

    let file_type = fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(file_type.is_fifo(), "the FIFO was replaced (exit {:?}): {}", output.status.code(), stderr(&output));
}

/// Root passes every permission check, so as root the binary runs as the
/// user `nobody` (uid 65534) through `setpriv`; as another user it runs
/// directly. The error must name the path and what to do.
#[cfg(target_os = "linux")]
#[test]
fn unwritable_directory_explained() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    fs::set_permissions(root.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let locked = root.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    let out = locked.join("template.json");
    let out_text = out.to_str().unwrap();

    let is_root = Command::new("id").arg("-u").output().is_ok_and(|output| output.stdout.starts_with(b"0\n"));
    let output = if is_root {
        let run = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_vaultgate"), "synth", "--out", out_text])
            .current_dir(root.path())
            .output();
        match run {
            Ok(output) if !stderr(&output).contains("setpriv:") => output,
            _ => {
                eprintln!("running as root and setpriv cannot drop to uid 65534; skipped");
                return;
            }
        }
    } else {
        vaultgate(root.path(), &["synth", "--out", out_text])
    };

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains(&format!("`{out_text}`")), "{message}");
    assert!(message.contains("permission") || message.contains("Permission"), "{message}");
    assert!(message.contains("choose another") || message.contains("writable"), "the error gives no fix: {message}");
    assert_eq!(temporary_files(root.path()), Vec::<PathBuf>::new());
}

//! Edge cases of `write_atomic` and `StagedFile`, met by a user of
//! `vaultgate synth --out`. A staged file on tmpfs (not flushed) and on disk
//! (flushed) must end the same way. Every error must name the destination
//! and the fix, and leave no temporary file. A destination that is not a
//! regular file must not be replaced by one.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::{symlink, FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use vaultgate_core::write::{commit_all, write_atomic, StagedFile};

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Returns every file under `directory` whose name starts with `.tmp`, the
/// prefix tempfile gives staged files.
fn temporary_files(directory: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(directory).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with(".tmp") {
            found.push(path.clone());
        }
        if entry.file_type().unwrap().is_dir() {
            found.extend(temporary_files(&path));
        }
    }
    found
}

/// Returns a directory on tmpfs (`/dev/shm` on Linux) when this process
/// may write there.
fn tmpfs_directory() -> Option<tempfile::TempDir> {
    let mounts = fs::read_to_string("/proc/mounts").ok()?;
    let is_tmpfs = mounts.lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.get(1) == Some(&"/dev/shm") && fields.get(2) == Some(&"tmpfs")
    });
    if !is_tmpfs {
        return None;
    }
    tempfile::tempdir_in("/dev/shm").ok()
}

/// Returns a directory next to the build output, which is on disk (not
/// tmpfs) on the machines this project builds on.
fn disk_directory() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

/// Replaces a setuid file, a setgid file behind a symbolic link and writes
/// a new file, through `commit_all` with several files so that the flush
/// threads run on disk, then checks contents, modes and the link.
fn replace_three_files(directory: &Path) {
    let plain = directory.join("plain.json");
    fs::write(&plain, "old").unwrap();
    set_mode(&plain, 0o4750);
    let real = directory.join("real.json");
    fs::write(&real, "old").unwrap();
    set_mode(&real, 0o2640);
    let link = directory.join("link.json");
    symlink("real.json", &link).unwrap();
    let new = directory.join("new.json");

    let staged: Vec<StagedFile> = [(&plain, "plain"), (&link, "linked"), (&new, "new")]
        .into_iter()
        .map(|(path, text)| StagedFile::write(path, text.as_bytes()).unwrap())
        .collect();
    commit_all(staged).unwrap();

    assert_eq!(fs::read_to_string(&plain).unwrap(), "plain");
    assert_eq!(mode(&plain), 0o750, "setuid bit kept on {}", plain.display());
    assert_eq!(fs::read_to_string(&real).unwrap(), "linked");
    assert_eq!(mode(&real), 0o640, "setgid bit kept on {}", real.display());
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced");
    assert_eq!(fs::read_link(&link).unwrap(), Path::new("real.json"));
    assert_eq!(fs::read_to_string(&new).unwrap(), "new");
    assert_eq!(temporary_files(directory), Vec::<PathBuf>::new());
}

#[test]
fn tmpfs_replace_keeps_modes_and_links() {
    let Some(directory) = tmpfs_directory() else {
        eprintln!("no writable tmpfs at /dev/shm; skipped");
        return;
    };
    replace_three_files(directory.path());
}

#[test]
fn disk_replace_keeps_modes_and_links() {
    replace_three_files(disk_directory().path());
}

#[test]
fn symlinked_directory_path_written() {
    let directory = tempfile::tempdir().unwrap();
    fs::create_dir(directory.path().join("real")).unwrap();
    symlink("real", directory.path().join("alias")).unwrap();

    write_atomic(&directory.path().join("alias").join("out.json"), b"{}").unwrap();

    assert_eq!(fs::read(directory.path().join("real").join("out.json")).unwrap(), b"{}");
    assert!(fs::symlink_metadata(directory.path().join("alias")).unwrap().file_type().is_symlink());
    assert_eq!(temporary_files(directory.path()), Vec::<PathBuf>::new());
}

/// One failing destination: how to build it inside a fresh directory, the
/// path to write, and a fragment the error must contain.
struct FailingCase {
    name: &'static str,
    build: fn(&Path),
    destination: &'static str,
    expected: &'static str,
}

#[test]
fn failures_name_destination_and_leave_nothing() {
    let cases = [
        FailingCase { name: "missing directory", build: |_| {}, destination: "missing/out.json", expected: "does not exist; create it first" },
        FailingCase {
            name: "file as directory",
            build: |dir| fs::write(dir.join("plain"), "x").unwrap(),
            destination: "plain/out.json",
            expected: "is not a directory; choose a directory",
        },
        FailingCase {
            name: "dangling link into missing directory",
            build: |dir| symlink("nowhere/x.json", dir.join("link.json")).unwrap(),
            destination: "link.json",
            expected: "does not exist; create it first",
        },
        FailingCase {
            name: "link loop",
            build: |dir| {
                symlink("b", dir.join("a")).unwrap();
                symlink("a", dir.join("b")).unwrap();
            },
            destination: "a",
            expected: "check for a link loop",
        },
        FailingCase {
            name: "read-only file",
            build: |dir| {
                fs::write(dir.join("ro.json"), "old").unwrap();
                set_mode(&dir.join("ro.json"), 0o444);
            },
            destination: "ro.json",
            expected: "is read-only; make it writable or choose another path",
        },
        FailingCase {
            name: "directory",
            build: |dir| fs::create_dir(dir.join("sub")).unwrap(),
            destination: "sub",
            expected: "is a directory; choose a file path",
        },
        FailingCase {
            name: "link to a directory",
            build: |dir| {
                fs::create_dir(dir.join("sub")).unwrap();
                symlink("sub", dir.join("link.json")).unwrap();
            },
            destination: "link.json",
            expected: "is a directory; choose a file path",
        },
    ];
    for case in cases {
        let directory = tempfile::tempdir().unwrap();
        (case.build)(directory.path());
        let path = directory.path().join(case.destination);

        let message = write_atomic(&path, b"new").unwrap_err().to_string();

        assert!(message.contains(&format!("`{}`", path.display())), "{}: {message}", case.name);
        assert!(message.contains(case.expected), "{}: {message}", case.name);
        assert_eq!(temporary_files(directory.path()), Vec::<PathBuf>::new(), "{}", case.name);
    }
}

/// A directory that is a link to itself cannot be entered. The error must
/// name the link instead of telling the user to create a directory that
/// `ls` shows already.
#[test]
fn directory_link_loop_explained() {
    let directory = tempfile::tempdir().unwrap();
    symlink("loop", directory.path().join("loop")).unwrap();
    let path = directory.path().join("loop").join("out.json");

    let message = write_atomic(&path, b"new").unwrap_err().to_string();

    assert!(message.contains(&format!("`{}`", path.display())), "{message}");
    assert!(!message.contains("does not exist; create it first"), "{message}");
    assert!(message.contains("link"), "{message}");
}

/// A directory that is a dangling link cannot be created with `mkdir`
/// (the name is taken), so the error must name the link or its target.
#[test]
fn dangling_directory_link_explained() {
    let directory = tempfile::tempdir().unwrap();
    symlink("absent-target", directory.path().join("out")).unwrap();
    let path = directory.path().join("out").join("template.json");

    let message = write_atomic(&path, b"new").unwrap_err().to_string();

    assert!(message.contains(&format!("`{}`", path.display())), "{message}");
    assert!(message.contains("absent-target") || message.contains("symbolic link"), "{message}");
}

/// `vaultgate synth --out /dev/null` is a common way to check a template
/// without keeping it. A FIFO replaces such a special file here,
/// because it needs no privileges. It must still be a FIFO afterwards, not
/// a regular file renamed over it.
#[test]
fn fifo_destination_not_replaced() {
    let directory = tempfile::tempdir().unwrap();
    let fifo = directory.path().join("pipe.json");
    let status = Command::new("mkfifo").arg(&fifo).status();
    if !status.is_ok_and(|status| status.success()) {
        eprintln!("mkfifo is not available; skipped");
        return;
    }

    let result = write_atomic(&fifo, b"{}");

    let file_type = fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(file_type.is_fifo(), "the FIFO was replaced by a regular file (result: {result:?})");
    assert_eq!(temporary_files(directory.path()), Vec::<PathBuf>::new());
}

/// The same with a character device like `/dev/null` (major 1, minor 3),
/// made in a temporary directory so that the real `/dev/null` is never at
/// risk. Creating it needs root, so the test is skipped elsewhere.
#[test]
fn device_destination_not_replaced() {
    let directory = tempfile::tempdir().unwrap();
    let device = directory.path().join("null");
    let status = Command::new("mknod").arg(&device).args(["c", "1", "3"]).status();
    if !status.is_ok_and(|status| status.success()) {
        eprintln!("mknod failed (not root?); skipped");
        return;
    }
    set_mode(&device, 0o666);

    let result = write_atomic(&device, b"{}");

    let file_type = fs::symlink_metadata(&device).unwrap().file_type();
    assert!(file_type.is_char_device(), "the device was replaced by a regular file (result: {result:?})");
}

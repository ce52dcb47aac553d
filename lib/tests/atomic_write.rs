//! `write_atomic` replaces a file in one step without changing what kind of
//! file sits at the destination: permissions, read-only files and symbolic
//! links are respected, and errors name the destination, never the
//! temporary file.

use std::fs;
use std::path::Path;

use vaultgate_core::write::{template_path, write_atomic};
use vaultgate_core::{Error, Format};

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn new_file_written() {
    let dir = temp_dir();
    let path = dir.path().join("out.json");
    write_atomic(&path, b"{}\n").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"{}\n");
}

#[test]
fn missing_directory_named() {
    let dir = temp_dir();
    let path = dir.path().join("missing").join("out.json");
    let message = write_atomic(&path, b"x").unwrap_err().to_string();
    assert!(message.contains(&format!("`{}`", path.display())), "{message}");
    assert!(message.contains("does not exist; create it first"), "{message}");
}

#[test]
fn file_as_directory_named() {
    let dir = temp_dir();
    let parent = dir.path().join("plain");
    fs::write(&parent, b"not a directory").unwrap();
    let path = parent.join("out.json");
    let message = write_atomic(&path, b"x").unwrap_err().to_string();
    assert!(message.contains(&format!("directory `{}` is not a directory; choose a directory", parent.display())), "{message}");
    assert_eq!(fs::read(&parent).unwrap(), b"not a directory");
}

#[test]
fn directory_destination_rejected() {
    let dir = temp_dir();
    let path = dir.path().join("sub");
    fs::create_dir(&path).unwrap();
    let message = write_atomic(&path, b"x").unwrap_err().to_string();
    assert!(message.contains("is a directory"), "{message}");
    assert!(path.is_dir());
}

/// Returns the file's permission bits.
#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
#[test]
fn new_file_follows_umask() {
    let dir = temp_dir();
    // `File::create` requests 0o666 and the kernel applies the umask, so a
    // file made that way shows the mode a new template should get. The
    // umask is not changed here because tests share the process.
    let reference = dir.path().join("reference");
    fs::File::create(&reference).unwrap();
    let path = dir.path().join("out.json");
    write_atomic(&path, b"{}").unwrap();
    assert_eq!(mode(&path), mode(&reference), "written {:o}, expected {:o}", mode(&path), mode(&reference));
}

#[cfg(unix)]
#[test]
fn existing_permissions_kept() {
    let dir = temp_dir();
    let path = dir.path().join("out.json");
    fs::write(&path, b"old").unwrap();
    set_mode(&path, 0o640);
    write_atomic(&path, b"new").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"new");
    assert_eq!(mode(&path), 0o640);
}

// Tests may run as root, where writing a read-only file succeeds, so this
// checks that write_atomic reads the mode rather than waiting for EACCES.
#[cfg(unix)]
#[test]
fn read_only_destination_rejected() {
    let dir = temp_dir();
    let path = dir.path().join("out.json");
    fs::write(&path, b"old").unwrap();
    set_mode(&path, 0o444);
    let err = write_atomic(&path, b"new").unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(message.contains(&format!("`{}`", path.display())), "{message}");
    assert!(message.contains("is read-only; make it writable or choose another path"), "{message}");
    assert_eq!(fs::read(&path).unwrap(), b"old");
    assert_eq!(mode(&path), 0o444);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "a temporary file was left behind");
}

#[cfg(unix)]
#[test]
fn symlink_target_replaced() {
    let dir = temp_dir();
    let target = dir.path().join("real.json");
    let link = dir.path().join("link.json");
    fs::write(&target, b"old").unwrap();
    set_mode(&target, 0o604);
    std::os::unix::fs::symlink("real.json", &link).unwrap();

    write_atomic(&link, b"new").unwrap();

    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced");
    assert_eq!(fs::read_link(&link).unwrap(), Path::new("real.json"));
    assert_eq!(fs::read(&target).unwrap(), b"new");
    assert_eq!(mode(&target), 0o604);
}

#[cfg(unix)]
#[test]
fn symlink_chain_into_other_directory() {
    let dir = temp_dir();
    fs::create_dir(dir.path().join("real")).unwrap();
    let target = dir.path().join("real").join("out.json");
    std::os::unix::fs::symlink(&target, dir.path().join("second")).unwrap();
    std::os::unix::fs::symlink("second", dir.path().join("first")).unwrap();

    // The target does not exist yet: a dangling link gets its target created.
    write_atomic(&dir.path().join("first"), b"new").unwrap();

    assert_eq!(fs::read(&target).unwrap(), b"new");
    assert!(fs::symlink_metadata(dir.path().join("first")).unwrap().file_type().is_symlink());
    assert!(fs::symlink_metadata(dir.path().join("second")).unwrap().file_type().is_symlink());
}

#[cfg(unix)]
#[test]
fn read_only_symlink_target_rejected() {
    let dir = temp_dir();
    let target = dir.path().join("real.json");
    let link = dir.path().join("link.json");
    fs::write(&target, b"old").unwrap();
    set_mode(&target, 0o444);
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let message = write_atomic(&link, b"new").unwrap_err().to_string();
    assert!(message.contains(&format!("`{}`", link.display())), "{message}");
    assert!(message.contains("is read-only"), "{message}");
    assert_eq!(fs::read(&target).unwrap(), b"old");
}

#[cfg(unix)]
#[test]
fn symlink_loop_rejected() {
    let dir = temp_dir();
    std::os::unix::fs::symlink("b", dir.path().join("a")).unwrap();
    std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
    let message = write_atomic(&dir.path().join("a"), b"x").unwrap_err().to_string();
    assert!(message.contains("link loop"), "{message}");
}

// /proc accepts no new files, so creating the temporary file fails; tempfile
// appends the temporary name to that error, and write_atomic must drop it.
#[cfg(target_os = "linux")]
#[test]
fn error_names_destination_only() {
    let path = Path::new("/proc/vaultgate.template.json");
    let message = write_atomic(path, b"x").unwrap_err().to_string();
    assert!(message.starts_with("cannot write `/proc/vaultgate.template.json`: "), "{message}");
    assert!(!message.contains(".tmp"), "{message}");
    assert!(!message.contains("at path"), "{message}");
}

#[test]
fn template_path_plain_name() {
    let path = template_path(Path::new("out"), "Backup-2", Format::Yaml).unwrap();
    assert_eq!(path, Path::new("out").join("Backup-2.template.yaml"));
}

#[test]
fn template_path_rejects_escapes() {
    for name in ["../escaped", "a/b", "/etc/passwd", "a\\b", "", ".", "..", "c:x", "a\nb"] {
        let err = template_path(Path::new("out"), name, Format::Json).unwrap_err();
        assert!(matches!(err, Error::UnsafeFileName { .. }), "{name:?}: {err:?}");
        let message = err.to_string();
        assert!(message.contains(&format!("stack name {name:?}")), "{message}");
        assert!(message.contains("`out`"), "{message}");
    }
}

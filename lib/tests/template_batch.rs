//! `TemplateBatch` and `App::write_to_dir` write every template or none:
//! files appear under their final names only after every stack has passed,
//! the bytes match `Stack::synth`, and the report follows stack order
//! whatever the number of threads.

use std::fs;
use std::path::Path;

use vaultgate_core::batch::TemplateBatch;
use vaultgate_core::template::Resource;
use vaultgate_core::{App, Error, Expr, Format, Stack};

/// Builds a stack with a topic and an output. When `broken`, the output
/// refers to a resource that does not exist: `Missing` followed by the
/// stack name without `-`.
fn stack(name: &str, broken: bool) -> Stack {
    let mut stack = Stack::new(name);
    let mut root = stack.root();
    let topic = root.add_resource("Alerts", Resource::new("AWS::SNS::Topic")).unwrap();
    let target = if broken { format!("Missing{}", name.replace('-', "")) } else { topic.as_str().to_owned() };
    root.add_output("TopicArn", Expr::reference(&target), "Alert topic").unwrap();
    stack
}

fn file_names(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(directory).unwrap().map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn app_of(count: usize, broken: &[usize]) -> App {
    let mut app = App::new();
    for index in 0..count {
        app.add_stack(stack(&format!("Stack-{index:02}"), broken.contains(&index)));
    }
    app
}

#[test]
fn app_files_match_synth() {
    let app = app_of(12, &[]);
    let directory = tempfile::tempdir().unwrap();

    let written = app.write_to_dir(directory.path(), Format::Json).unwrap();

    assert_eq!(written.len(), 12);
    for (stack, path) in app.stacks().iter().zip(&written) {
        assert_eq!(path, &directory.path().join(format!("{}.template.json", stack.name())));
        let expected = stack.synth().unwrap().to_json_string();
        assert_eq!(fs::read_to_string(path).unwrap(), expected, "{}", path.display());
    }
    assert_eq!(file_names(directory.path()).len(), 12, "temporary files left behind");
}

#[test]
fn app_invalid_stack_writes_nothing() {
    let app = app_of(12, &[3, 9]);
    let directory = tempfile::tempdir().unwrap();

    let err = app.write_to_dir(directory.path(), Format::Json).unwrap_err();

    let Error::Invalid { stack, problems } = err else { panic!("expected Error::Invalid, got {err:?}") };
    assert_eq!(stack, "Stack-03");
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].to_string().contains("MissingStack03"), "{}", problems[0]);
    assert!(problems[1].to_string().contains("MissingStack09"), "{}", problems[1]);
    assert_eq!(file_names(directory.path()), Vec::<String>::new());
}

#[test]
fn app_problems_name_their_stack() {
    let app = app_of(3, &[1]);
    let directory = tempfile::tempdir().unwrap();

    let Error::Invalid { problems, .. } = app.write_to_dir(directory.path(), Format::Json).unwrap_err() else {
        panic!("expected Error::Invalid")
    };
    let Error::Invalid { problems: synth_problems, .. } = app.synth().unwrap_err() else { panic!("expected Error::Invalid") };

    for problem in problems.iter().chain(&synth_problems) {
        assert!(problem.to_string().starts_with("Stack-01 (TopicArn): output refers to"), "{problem}");
    }
}

#[test]
fn app_keeps_old_files_on_failure() {
    let directory = tempfile::tempdir().unwrap();
    let old = directory.path().join("Stack-00.template.json");
    fs::write(&old, "old\n").unwrap();

    app_of(4, &[2]).write_to_dir(directory.path(), Format::Json).unwrap_err();

    assert_eq!(fs::read_to_string(&old).unwrap(), "old\n");
    assert_eq!(file_names(directory.path()), ["Stack-00.template.json"]);
}

#[test]
fn app_missing_directory_named() {
    let directory = tempfile::tempdir().unwrap();
    let missing = directory.path().join("missing");

    let message = app_of(3, &[]).write_to_dir(&missing, Format::Json).unwrap_err().to_string();

    assert!(message.contains(&format!("directory `{}` does not exist", missing.display())), "{message}");
    assert_eq!(file_names(directory.path()), Vec::<String>::new());
}

#[test]
fn app_missing_directory_reported_once() {
    let directory = tempfile::tempdir().unwrap();
    let missing = directory.path().join("missing");

    let err = app_of(5, &[2]).write_to_dir(&missing, Format::Json).unwrap_err();

    let Error::Io { path, .. } = &err else { panic!("expected Error::Io, got {err:?}") };
    assert_eq!(path, &missing.display().to_string());
    assert!(err.to_string().contains("does not exist; create it first"), "{err}");
}

#[test]
fn batch_reports_in_added_order() {
    let directory = tempfile::tempdir().unwrap();
    let batch = TemplateBatch::new(directory.path(), Format::Yaml);
    batch.add(stack("Zeta", true)).unwrap();
    batch.add(stack("Alpha", false)).unwrap();
    batch.add(stack("Beta", true)).unwrap();

    let Error::Invalid { stack, problems } = batch.commit().unwrap_err() else { panic!("expected Error::Invalid") };

    assert_eq!(stack, "Zeta");
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].to_string().contains("MissingZeta"), "{}", problems[0]);
    assert!(problems[1].to_string().contains("MissingBeta"), "{}", problems[1]);
    assert_eq!(file_names(directory.path()), Vec::<String>::new());
}

#[test]
fn batch_rejects_repeated_name() {
    let directory = tempfile::tempdir().unwrap();
    let batch = TemplateBatch::new(directory.path(), Format::Json);
    batch.add(stack("Backup", false)).unwrap();
    batch.add(stack("backup", false)).unwrap();

    let message = batch.commit().unwrap_err().to_string();

    assert!(message.contains("\"Backup\", \"backup\" differ only in case"), "{message}");
    assert_eq!(file_names(directory.path()), Vec::<String>::new());
}

#[test]
fn batch_shared_across_threads() {
    let directory = tempfile::tempdir().unwrap();
    let batch = TemplateBatch::new(directory.path(), Format::Json);

    std::thread::scope(|scope| {
        for thread in 0..4 {
            let batch = &batch;
            scope.spawn(move || {
                for index in 0..5 {
                    batch.add(stack(&format!("T{thread}-{index}"), false)).unwrap();
                }
            });
        }
    });
    let written = batch.commit().unwrap();

    assert_eq!(written.len(), 20);
    assert_eq!(file_names(directory.path()).len(), 20);
}

#[test]
fn batch_dropped_removes_temporary_files() {
    let directory = tempfile::tempdir().unwrap();
    let batch = TemplateBatch::new(directory.path(), Format::Json);
    batch.add(stack("Backup", false)).unwrap();
    assert_eq!(file_names(directory.path()).len(), 1, "the template is staged under a temporary name");

    drop(batch);

    assert_eq!(file_names(directory.path()), Vec::<String>::new());
}

#[test]
fn batch_rename_failure_names_destination() {
    let directory = tempfile::tempdir().unwrap();
    let batch = TemplateBatch::new(directory.path(), Format::Json);
    batch.add(stack("Backup", false)).unwrap();
    // A directory created after staging makes the rename fail.
    let destination = directory.path().join("Backup.template.json");
    fs::create_dir(&destination).unwrap();
    fs::write(destination.join("keep"), "x").unwrap();

    let message = batch.commit().unwrap_err().to_string();

    assert!(message.contains(&format!("`{}`", destination.display())), "{message}");
    assert_eq!(file_names(directory.path()), ["Backup.template.json"]);
}

#[cfg(unix)]
#[test]
fn app_rejects_link_between_stack_files() {
    let directory = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("Bb.template.json", directory.path().join("Aa.template.json")).unwrap();
    let mut app = App::new();
    app.add_stack(stack("Aa", false));
    app.add_stack(stack("Bb", false));

    let Error::Invalid { stack, problems } = app.write_to_dir(directory.path(), Format::Json).unwrap_err() else {
        panic!("expected Error::Invalid")
    };

    assert_eq!(stack, "Aa");
    assert!(problems[0].to_string().contains("lead to the same file"), "{}", problems[0]);
    assert_eq!(file_names(directory.path()), ["Aa.template.json"], "only the link remains");
    assert!(!directory.path().join("Bb.template.json").exists());
}

#[test]
fn batch_remembers_failed_add() {
    let directory = tempfile::tempdir().unwrap();
    let batch = TemplateBatch::new(directory.path(), Format::Json);
    batch.add(stack("Good", false)).unwrap();
    fs::create_dir(directory.path().join("Blocked.template.json")).unwrap();
    batch.add(stack("Blocked", false)).unwrap_err();

    let err = batch.commit().unwrap_err();

    let Error::Io { path, .. } = &err else { panic!("expected the add's Error::Io again, got {err:?}") };
    assert!(path.ends_with("Blocked.template.json"), "{path}");
    assert_eq!(file_names(directory.path()), ["Blocked.template.json"], "the good stack was not written alone");
}

#[test]
fn app_reports_unwritten_and_invalid() {
    let directory = tempfile::tempdir().unwrap();
    fs::create_dir(directory.path().join("Stack-01.template.json")).unwrap();
    let app = app_of(6, &[4]);

    let Error::Invalid { stack, problems } = app.write_to_dir(directory.path(), Format::Json).unwrap_err() else {
        panic!("expected Error::Invalid")
    };

    assert_eq!(stack, "Stack-04", "the header names the stack that failed validation");
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].to_string().contains("stack \"Stack-01\" was not written"), "{}", problems[0]);
    assert!(problems[1].to_string().contains("MissingStack04"), "{}", problems[1]);
    assert_eq!(file_names(directory.path()), ["Stack-01.template.json"], "no template was written");
}

#[test]
fn app_io_error_alone_stays_io() {
    let directory = tempfile::tempdir().unwrap();
    fs::create_dir(directory.path().join("Stack-02.template.json")).unwrap();

    let err = app_of(4, &[]).write_to_dir(directory.path(), Format::Json).unwrap_err();

    let Error::Io { path, .. } = &err else { panic!("expected Error::Io, got {err:?}") };
    assert!(path.ends_with("Stack-02.template.json"), "{path}");
    assert_eq!(file_names(directory.path()), ["Stack-02.template.json"]);
}

/// Repeated stack names are a validation problem of the app, reported by
/// `App::synth` as `Error::Invalid`. An I/O error on another stack must
/// not hide it, or the user fixes the file and only then learns of it.
#[test]
fn app_io_error_keeps_duplicate_names() {
    let directory = tempfile::tempdir().unwrap();
    fs::create_dir(directory.path().join("Blocked.template.json")).unwrap();
    let mut app = App::new();
    app.add_stack(stack("Backup", false));
    app.add_stack(stack("Backup", false));
    app.add_stack(stack("Blocked", false));

    let err = app.write_to_dir(directory.path(), Format::Json).unwrap_err();

    let Error::Invalid { problems, .. } = &err else { panic!("expected Error::Invalid, got {err:?}") };
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(messages.iter().any(|message| message.contains("stack name \"Backup\" is used by 2 stacks")), "{messages:#?}");
    assert!(messages.iter().any(|message| message.contains("stack \"Blocked\" was not written")), "{messages:#?}");
    assert_eq!(file_names(directory.path()), ["Blocked.template.json"], "no template was written");
}

/// Two stack files that lead to one file through a link are an app-level
/// problem too, so an I/O error on a third stack must not hide it.
#[cfg(unix)]
#[test]
fn app_io_error_keeps_shared_target() {
    let directory = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("Bb.template.json", directory.path().join("Aa.template.json")).unwrap();
    fs::create_dir(directory.path().join("Cc.template.json")).unwrap();
    let mut app = App::new();
    app.add_stack(stack("Aa", false));
    app.add_stack(stack("Bb", false));
    app.add_stack(stack("Cc", false));

    let err = app.write_to_dir(directory.path(), Format::Json).unwrap_err();

    let Error::Invalid { problems, .. } = &err else { panic!("expected Error::Invalid, got {err:?}") };
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(messages.iter().any(|message| message.contains("lead to the same file")), "{messages:#?}");
    assert!(messages.iter().any(|message| message.contains("stack \"Cc\" was not written")), "{messages:#?}");
}

/// The message opens with "template `X` is invalid". X must be a stack that
/// failed validation, not one that is valid but could not be written.
#[test]
fn app_error_header_names_invalid_stack() {
    let directory = tempfile::tempdir().unwrap();
    fs::create_dir(directory.path().join("Stack-01.template.json")).unwrap();
    let app = app_of(6, &[4]);

    let message = app.write_to_dir(directory.path(), Format::Json).unwrap_err().to_string();

    let header = message.lines().next().unwrap();
    assert!(!header.contains("`Stack-01` is invalid"), "Stack-01 passed validation: {message}");
}

/// Clears the immutable attribute of a file when dropped, so that the
/// temporary directory can be removed even when an assert fails.
struct ImmutableFile(std::path::PathBuf);

impl ImmutableFile {
    /// Sets the immutable attribute with `chattr +i`, or returns `None` when
    /// the file system or the user's privileges do not allow it.
    fn set(path: &Path) -> Option<ImmutableFile> {
        let status = std::process::Command::new("chattr").arg("+i").arg(path).stderr(std::process::Stdio::null()).status();
        status.ok().filter(|status| status.success()).map(|_| ImmutableFile(path.to_path_buf()))
    }
}

impl Drop for ImmutableFile {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

/// README: `App::write_to_dir` "writes every template or none". Not even
/// root can replace an immutable file, so staging must find it before the
/// files before it are renamed into place.
#[cfg(target_os = "linux")]
#[test]
fn app_rename_failure_keeps_old_files() {
    let directory = tempfile::tempdir().unwrap();
    let first = directory.path().join("Stack-00.template.json");
    let second = directory.path().join("Stack-01.template.json");
    fs::write(&first, "old\n").unwrap();
    fs::write(&second, "old\n").unwrap();
    let Some(_immutable) = ImmutableFile::set(&second) else {
        eprintln!("chattr +i is not permitted here; skipped");
        return;
    };

    let err = app_of(2, &[]).write_to_dir(directory.path(), Format::Json).unwrap_err();

    assert!(err.to_string().contains("Stack-01.template.json"), "{err}");
    assert_eq!(fs::read_to_string(&second).unwrap(), "old\n");
    assert_eq!(fs::read_to_string(&first).unwrap(), "old\n", "Stack-00 was replaced although Stack-01 was not");
    assert_eq!(file_names(directory.path()), ["Stack-00.template.json", "Stack-01.template.json"]);
}

#[test]
fn file_as_directory_named() {
    let directory = tempfile::tempdir().unwrap();
    let plain = directory.path().join("plain");
    fs::write(&plain, "x").unwrap();

    let message = app_of(1, &[]).write_to_dir(&plain, Format::Json).unwrap_err().to_string();

    assert!(message.contains("is not a directory"), "{message}");
}

#[cfg(unix)]
#[test]
fn replaced_file_loses_setuid() {
    use std::os::unix::fs::PermissionsExt;
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("Stack-00.template.json");
    fs::write(&path, "old").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o4755)).unwrap();

    app_of(1, &[]).write_to_dir(directory.path(), Format::Json).unwrap();

    assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o7777, 0o755);
}

/// Clears a file attribute set with `chattr` when dropped, so that the
/// temporary directory can be removed even when an assert fails.
struct FileAttribute {
    path: std::path::PathBuf,
    flag: char,
}

impl FileAttribute {
    /// Sets attribute `flag` (`a` append-only, `i` immutable) with
    /// `chattr`, or returns `None` when the file system or the user's
    /// privileges do not allow it.
    fn set(path: &Path, flag: char) -> Option<FileAttribute> {
        let status = std::process::Command::new("chattr").arg(format!("+{flag}")).arg(path).stderr(std::process::Stdio::null()).status();
        status.ok().filter(|status| status.success()).map(|_| FileAttribute { path: path.to_path_buf(), flag })
    }
}

impl Drop for FileAttribute {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr").arg(format!("-{}", self.flag)).arg(&self.path).status();
    }
}

/// README: `App::write_to_dir` "writes every template or none". Linux
/// rejects a rename over an append-only file (`chattr +a`) with EPERM,
/// even for root, so staging must find it as it finds an immutable one.
#[cfg(target_os = "linux")]
#[test]
fn app_append_only_file_keeps_old_files() {
    let directory = tempfile::tempdir().unwrap();
    let first = directory.path().join("Stack-00.template.json");
    let second = directory.path().join("Stack-01.template.json");
    fs::write(&first, "old\n").unwrap();
    fs::write(&second, "old\n").unwrap();
    let Some(_append_only) = FileAttribute::set(&second, 'a') else {
        eprintln!("chattr +a is not permitted here; skipped");
        return;
    };

    let err = app_of(2, &[]).write_to_dir(directory.path(), Format::Json).unwrap_err();

    assert!(err.to_string().contains("Stack-01.template.json"), "{err}");
    assert_eq!(fs::read_to_string(&second).unwrap(), "old\n");
    assert_eq!(fs::read_to_string(&first).unwrap(), "old\n", "Stack-00 was replaced although Stack-01 was not");
}

/// A directory in which no file can be created (immutable here, or without
/// write permission for a non-root user) fails every stack the same way.
/// The report should say so once, as it does for a missing directory,
/// not once for each valid stack.
#[cfg(target_os = "linux")]
#[test]
fn app_unwritable_directory_reported_once() {
    let parent = tempfile::tempdir().unwrap();
    let directory = parent.path().join("out");
    fs::create_dir(&directory).unwrap();
    let Some(_immutable) = FileAttribute::set(&directory, 'i') else {
        eprintln!("chattr +i is not permitted here; skipped");
        return;
    };

    let err = app_of(5, &[2]).write_to_dir(&directory, Format::Json).unwrap_err();

    let message = err.to_string();
    let repeats = message.matches("was not written").count();
    assert!(repeats <= 1, "the directory problem is repeated {repeats} times: {message}");
}

/// Linux forbids removing or renaming files in an append-only directory,
/// so neither the renames nor the clean-up of the temporary files can
/// work there. The batch should fail before it writes any temporary file,
/// instead of leaving `.tmp` files behind.
#[cfg(target_os = "linux")]
#[test]
fn app_append_only_directory_leaves_no_files() {
    let parent = tempfile::tempdir().unwrap();
    let directory = parent.path().join("out");
    fs::create_dir(&directory).unwrap();
    let Some(_append_only) = FileAttribute::set(&directory, 'a') else {
        eprintln!("chattr +a is not permitted here; skipped");
        return;
    };

    let result = app_of(3, &[]).write_to_dir(&directory, Format::Json);

    let names = file_names(&directory);
    assert!(result.is_err(), "the renames should fail in an append-only directory; wrote {names:?}");
    assert_eq!(names, Vec::<String>::new(), "temporary files left behind");
}

/// `write_to_dir` returns an I/O error alone as `Error::Io`, so that the
/// header never calls a stack invalid that only could not be written. A
/// batch used directly does call it invalid.
#[test]
fn batch_failed_add_alone_not_called_invalid() {
    let directory = tempfile::tempdir().unwrap();
    let batch = TemplateBatch::new(directory.path(), Format::Json);
    batch.add(stack("Good", false)).unwrap();
    fs::create_dir(directory.path().join("Blocked.template.json")).unwrap();
    batch.add(stack("Blocked", false)).unwrap_err();

    let message = batch.commit().unwrap_err().to_string();

    let header = message.lines().next().unwrap();
    assert!(!header.contains("`Blocked` is invalid"), "Blocked passed validation: {message}");
}

#[test]
fn app_yaml_files_match_synth() {
    let app = app_of(3, &[]);
    let directory = tempfile::tempdir().unwrap();

    let written = app.write_to_dir(directory.path(), Format::Yaml).unwrap();

    for (stack, path) in app.stacks().iter().zip(&written) {
        assert_eq!(path, &directory.path().join(format!("{}.template.yaml", stack.name())));
        let expected = stack.synth().unwrap().template.to_string_in(Format::Yaml);
        assert_eq!(fs::read_to_string(path).unwrap(), expected, "{}", path.display());
    }
}

#[cfg(unix)]
#[test]
fn app_writes_through_directory_link() {
    let parent = tempfile::tempdir().unwrap();
    let real = parent.path().join("real");
    fs::create_dir(&real).unwrap();
    let link = parent.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();

    let written = app_of(2, &[]).write_to_dir(&link, Format::Json).unwrap();

    assert_eq!(written[0], link.join("Stack-00.template.json"));
    assert_eq!(file_names(&real), ["Stack-00.template.json", "Stack-01.template.json"]);
}

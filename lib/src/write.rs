//! Atomic file output: a file is written next to its destination under a
//! temporary name and renamed into place, so a failed run never leaves a
//! half-written template. This module also turns stack names into template
//! file names, because a name is only safe to write once it is checked.

use std::fs::{self, Metadata};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use crate::error::Error;
use crate::template::Format;

/// Maximum number of symbolic links followed from a destination, the same
/// limit Linux applies (`MAXSYMLINKS`), so a link loop ends in an error.
const MAX_SYMLINK_HOPS: usize = 40;

/// Writes `bytes` to `path` atomically.
///
/// The file gets the permissions of the file it replaces. A new file gets
/// mode `0o666` minus the process umask on Unix, as `File::create` would
/// give it. When `path` is a symbolic link, the link's target is replaced
/// and the link is kept.
///
/// # Errors
/// [`Error::Io`] naming `path` when its directory does not exist, when it is
/// a directory or a read-only file, or when the file cannot be written or
/// renamed. No partial file is left behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let staged = StagedFile::write(path, bytes)?;
    staged.sync()?;
    staged.commit()
}

/// A file written in full under a temporary name next to its destination,
/// and not yet renamed into place. Dropping it removes the temporary file,
/// so a batch that fails part-way leaves nothing behind.
///
/// [`write_atomic`] is [`StagedFile::write`], [`StagedFile::sync`] and
/// [`StagedFile::commit`] in one call. The steps are separate so that a
/// batch of files can be written first, flushed to disk concurrently and
/// renamed only once every file is complete (see [`commit_all`]).
#[derive(Debug)]
pub struct StagedFile {
    /// The temporary file. Its descriptor is closed, so that a batch of
    /// many files does not hold one descriptor each.
    temporary: tempfile::TempPath,
    /// The file the rename replaces: `destination` with symbolic links
    /// followed.
    target: PathBuf,
    /// The path the caller asked for, the one that errors name.
    destination: PathBuf,
}

impl StagedFile {
    /// Writes `bytes` to a new temporary file in the directory of `path`
    /// (of its target, when `path` is a symbolic link), with the
    /// permissions [`write_atomic`] gives.
    ///
    /// # Errors
    /// [`Error::Io`] naming `path`, as [`write_atomic`] describes.
    pub fn write(path: &Path, bytes: &[u8]) -> Result<StagedFile, Error> {
        let fail = |source: io::Error| io_error(path, source);

        let target = resolve_symlinks(path).map_err(fail)?;
        let directory = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        if !directory.is_dir() {
            let problem = if directory.exists() { "is not a directory; choose a directory" } else { "does not exist; create it first" };
            return Err(fail(io::Error::new(io::ErrorKind::NotFound, format!("directory `{}` {problem}", directory.display()))));
        }
        let existing = match fs::metadata(&target) {
            Ok(metadata) => Some(metadata),
            Err(err) if err.kind() == io::ErrorKind::NotFound => None,
            Err(err) => return Err(fail(err)),
        };
        if let Some(metadata) = &existing {
            check_replaceable(path, &target, metadata).map_err(fail)?;
        }

        let mut builder = tempfile::Builder::new();
        // tempfile creates files with mode 0o600 by default. Asking for 0o666
        // lets open(2) apply the umask, as it does for any new file.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let mut file = builder.tempfile_in(directory).map_err(|err| fail(without_temp_path(err)))?;
        // Writing through `as_file_mut` keeps the temporary name out of errors;
        // the `Write` impl of `NamedTempFile` adds it.
        file.as_file_mut().write_all(bytes).map_err(fail)?;
        if let Some(metadata) = &existing {
            file.as_file().set_permissions(plain_permissions(metadata)).map_err(fail)?;
        }
        Ok(StagedFile { temporary: file.into_temp_path(), target, destination: path.to_path_buf() })
    }

    /// Returns the path the file will have once committed.
    pub fn destination(&self) -> &Path {
        &self.destination
    }

    /// Returns the file the rename replaces, with its directory made
    /// absolute and free of links, so that two destinations that lead to
    /// one file compare equal.
    pub(crate) fn resolved_target(&self) -> PathBuf {
        let directory = self.target.parent().and_then(|parent| {
            let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
            fs::canonicalize(parent).ok()
        });
        match (directory, self.target.file_name()) {
            (Some(directory), Some(name)) => directory.join(name),
            _ => self.target.clone(),
        }
    }

    /// Flushes the temporary file's contents to disk (`fsync`), so that
    /// after a power loss the destination contains either the old file or the
    /// whole new one, never an empty file under the new name.
    ///
    /// # Errors
    /// [`Error::Io`] naming the destination when the flush fails.
    pub fn sync(&self) -> Result<(), Error> {
        let fail = |source: io::Error| io_error(&self.destination, source);
        fs::File::open(&self.temporary).map_err(fail)?.sync_all().map_err(fail)
    }

    /// Renames the temporary file into place, replacing any file there.
    ///
    /// # Errors
    /// [`Error::Io`] naming the destination when the rename fails; the
    /// temporary file is then removed.
    pub fn commit(self) -> Result<(), Error> {
        let StagedFile { temporary, target, destination } = self;
        temporary.persist(&target).map_err(|err| io_error(&destination, err.error))
    }
}

/// Flushes every staged file to disk, then renames each into place in
/// order, stopping at the first failure.
///
/// The flushes run on several threads at once, because a file system
/// journal such as ext4's can then commit them together instead of one
/// after another. With one flush after another, writing 50 templates to
/// ext4 took about 24 ms longer than to tmpfs (see BENCHMARKS.md).
///
/// # Errors
/// [`Error::Io`] naming the destination of the first file, in order, whose
/// flush or rename failed. Files not yet renamed are removed.
pub fn commit_all(files: Vec<StagedFile>) -> Result<(), Error> {
    const MAX_SYNC_THREADS: usize = 16;
    let threads = files.len().min(MAX_SYNC_THREADS);
    if threads > 1 {
        let per_thread = files.len().div_ceil(threads);
        let failures: Vec<Option<(usize, Error)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = files
                .chunks(per_thread)
                .enumerate()
                .map(|(chunk, batch)| {
                    scope.spawn(move || {
                        batch.iter().enumerate().find_map(|(offset, file)| {
                            file.sync().err().map(|err| (chunk * per_thread + offset, err))
                        })
                    })
                })
                .collect();
            workers.into_iter().map(|worker| worker.join().expect("a flush thread panicked")).collect()
        });
        if let Some((_, err)) = failures.into_iter().flatten().min_by_key(|(index, _)| *index) {
            return Err(err);
        }
    } else {
        for file in &files {
            file.sync()?;
        }
    }
    for file in files {
        file.commit()?;
    }
    Ok(())
}

/// Returns the permissions of the file being replaced without the setuid,
/// setgid and sticky bits, because a template is data, never a program.
fn plain_permissions(metadata: &Metadata) -> fs::Permissions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::Permissions::from_mode(metadata.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        metadata.permissions()
    }
}

fn io_error(path: &Path, source: io::Error) -> Error {
    Error::Io { action: "write", path: path.display().to_string(), source }
}

/// Follows symbolic links at the path's last component and returns the file
/// they lead to, so that the target is replaced and the link stays. A dangling link resolves to
/// its missing target, which is then created.
fn resolve_symlinks(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_SYMLINK_HOPS {
        match fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                // A relative link is relative to the link's directory, and
                // joining an absolute one replaces the base.
                current = match current.parent() {
                    Some(parent) => parent.join(link),
                    None => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(io::Error::other(format!(
        "more than {MAX_SYMLINK_HOPS} symbolic links to follow; check for a link loop"
    )))
}

/// Rejects an existing destination that must not be replaced. Read-only is
/// judged from the permission bits, not by trying to write, because the
/// rename would succeed even on a read-only file (and root passes every
/// permission check anyway).
fn check_replaceable(path: &Path, target: &Path, metadata: &Metadata) -> io::Result<()> {
    let subject = if target == path { "the file".to_owned() } else { format!("its target `{}`", target.display()) };
    if metadata.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            format!("{subject} is a directory; choose a file path"),
        ));
    }
    if metadata.permissions().readonly() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{subject} is read-only; make it writable or choose another path"),
        ));
    }
    Ok(())
}

/// Drops the temporary file's name that tempfile appends to its errors
/// (`... at path "/dir/.tmpXXXX"`), so a message names only the destination.
fn without_temp_path(err: io::Error) -> io::Error {
    if err.raw_os_error().is_some() {
        return err;
    }
    let text = err.to_string();
    match text.rfind(" at path \"") {
        Some(end) => io::Error::new(err.kind(), text[..end].to_owned()),
        None => err,
    }
}

/// Returns `directory/NAME.template.json` (or `.yaml`) for the stack named
/// `stack_name`. Stack names are validated at synth already; this check
/// stays so that no name can place a file outside `directory`.
///
/// # Errors
/// [`Error::UnsafeFileName`] when the name is empty, is `.` or `..`, or
/// contains a path separator, a drive separator `:` or a control character.
pub fn template_path(directory: &Path, stack_name: &str, format: Format) -> Result<PathBuf, Error> {
    let reason = if stack_name.is_empty() {
        Some("it is empty")
    } else if stack_name == "." || stack_name == ".." {
        Some("it names a directory")
    } else if stack_name.contains(['/', '\\']) {
        Some("it contains a path separator")
    } else if stack_name.contains(':') {
        Some("it contains `:`, a drive or stream separator on Windows")
    } else if stack_name.chars().any(char::is_control) {
        Some("it contains a control character")
    } else {
        None
    };
    let extension = match format {
        Format::Json => "json",
        Format::Yaml => "yaml",
    };
    let file_name = format!("{stack_name}.template.{extension}");
    let mut components = Path::new(&file_name).components();
    let plain = matches!(components.next(), Some(Component::Normal(part)) if part == file_name.as_str())
        && components.next().is_none();
    let reason = reason.or((!plain).then_some("it is not a plain file name"));
    match reason {
        Some(reason) => Err(Error::UnsafeFileName {
            name: stack_name.to_owned(),
            directory: directory.display().to_string(),
            reason,
        }),
        None => Ok(directory.join(file_name)),
    }
}

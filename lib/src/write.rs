//! Atomic file output: a file is written next to its destination under a
//! temporary name and renamed into place, so a failed run never leaves a
//! half-written template. This module also turns stack names into template
//! file names, because a name is only safe to write once it is checked.

use std::collections::HashMap;
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
    /// Whether the file lives in memory (tmpfs, ramfs), where `fsync` has
    /// nothing to flush.
    in_memory: bool,
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

        let (target, existing) = resolve_symlinks(path).map_err(fail)?;
        let directory = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        // A missing directory is checked for only after a failure, which
        // saves a lookup per file when the write succeeds.
        let existing = match existing {
            Ok(existing) => existing,
            Err(err) => {
                check_directory(directory).map_err(fail)?;
                return Err(fail(err));
            }
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
        let mut file = match builder.tempfile_in(directory) {
            Ok(file) => file,
            Err(err) => {
                check_directory(directory).map_err(fail)?;
                if err.kind() == io::ErrorKind::PermissionDenied {
                    return Err(fail(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        format!("no permission to create a file in directory `{}`; make it writable or choose another path", directory.display()),
                    )));
                }
                return Err(fail(without_temp_path(err)));
            }
        };
        // Writing through `as_file_mut` keeps the temporary name out of errors;
        // the `Write` impl of `NamedTempFile` adds it.
        file.as_file_mut().write_all(bytes).map_err(fail)?;
        if let Some(metadata) = &existing {
            file.as_file().set_permissions(plain_permissions(metadata)).map_err(fail)?;
        }
        let in_memory = is_in_memory(file.as_file());
        Ok(StagedFile { temporary: file.into_temp_path(), target, destination: path.to_path_buf(), in_memory })
    }

    /// Returns the path the file will have once committed.
    pub fn destination(&self) -> &Path {
        &self.destination
    }

    /// Returns the file the rename replaces, with its directory made
    /// absolute and free of links, so that two destinations that lead to
    /// one file compare equal. `directories` keeps each directory resolved
    /// so far, because a batch writes most of its files into one.
    pub(crate) fn resolved_target(&self, directories: &mut HashMap<PathBuf, Option<PathBuf>>) -> PathBuf {
        let parent = match self.target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let directory = directories.entry(parent.to_path_buf()).or_insert_with(|| fs::canonicalize(parent).ok());
        match (directory, self.target.file_name()) {
            (Some(directory), Some(name)) => directory.join(name),
            _ => self.target.clone(),
        }
    }

    /// Flushes the temporary file's contents to disk (`fsync`), so that
    /// after a power loss the destination contains either the old file or the
    /// whole new one, never an empty file under the new name. A file in a
    /// memory file system (tmpfs, ramfs) survives no power loss, so it is
    /// not flushed.
    ///
    /// # Errors
    /// [`Error::Io`] naming the destination when the flush fails.
    pub fn sync(&self) -> Result<(), Error> {
        if self.in_memory {
            return Ok(());
        }
        let fail = |source: io::Error| io_error(&self.destination, source);
        fs::File::open(&self.temporary).map_err(fail)?.sync_all().map_err(fail)
    }

    /// Renames the temporary file into place, replacing any file there.
    ///
    /// # Errors
    /// [`Error::Io`] naming the destination when the rename fails; the
    /// temporary file is then removed.
    pub fn commit(self) -> Result<(), Error> {
        let StagedFile { temporary, target, destination, .. } = self;
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
    // Files in memory need no flush, so they need no thread either.
    let to_flush: Vec<&StagedFile> = files.iter().filter(|file| !file.in_memory).collect();
    let threads = to_flush.len().min(MAX_SYNC_THREADS);
    if threads > 1 {
        let per_thread = to_flush.len().div_ceil(threads);
        let failures: Vec<Option<(usize, Error)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = to_flush
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
        for file in to_flush {
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

/// Returns whether `file` is in a file system kept only in memory, where
/// `fsync` flushes nothing. Any doubt counts as on disk.
fn is_in_memory(file: &fs::File) -> bool {
    #[cfg(target_os = "linux")]
    {
        // The `f_type` values of `statfs(2)`.
        const TMPFS_MAGIC: u32 = 0x0102_1994;
        const RAMFS_MAGIC: u32 = 0x8584_58f6;
        // `f_type` is signed on some targets; the magic numbers fill 32 bits.
        #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
        rustix::fs::fstatfs(file).is_ok_and(|stat| matches!(stat.f_type as u32, TMPFS_MAGIC | RAMFS_MAGIC))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        false
    }
}

fn io_error(path: &Path, source: io::Error) -> Error {
    Error::Io { action: "write", path: path.display().to_string(), source }
}

/// A destination with its symbolic links followed, and the metadata of the
/// file it leads to.
type Resolved = (PathBuf, io::Result<Option<Metadata>>);

/// Follows symbolic links at the path's last component and returns the file
/// they lead to, so that the target is replaced and the link stays, with
/// the target's metadata: `None` when it does not exist, and an error when
/// it cannot be looked up. A dangling link resolves to its missing target,
/// which is then created.
fn resolve_symlinks(path: &Path) -> io::Result<Resolved> {
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
            Ok(metadata) => return Ok((current, Ok(Some(metadata)))),
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok((current, Ok(None))),
            Err(err) => return Ok((current, Err(err))),
        }
    }
    Err(io::Error::other(format!(
        "more than {MAX_SYMLINK_HOPS} symbolic links to follow; check for a link loop"
    )))
}

/// Explains a failure to write into `directory` when the directory is
/// missing or is not a directory.
fn check_directory(directory: &Path) -> io::Result<()> {
    if directory.is_dir() {
        return Ok(());
    }
    // `mkdir` cannot help when the name is taken by a broken link.
    if let Ok(target) = fs::read_link(directory) {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "directory `{}` is a symbolic link to `{}`, which is missing or leads back to the link; fix the link or choose another directory",
                directory.display(),
                target.display()
            ),
        ));
    }
    let problem = if directory.exists() { "is not a directory; choose a directory" } else { "does not exist; create it first" };
    Err(io::Error::new(io::ErrorKind::NotFound, format!("directory `{}` {problem}", directory.display())))
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
    // A rename would put a regular file in place of a device such as
    // `/dev/null` or a FIFO that another program reads.
    if !metadata.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{subject} is {}, not a regular file, and is never replaced; choose a regular file path", special_file_kind(metadata)),
        ));
    }
    if metadata.permissions().readonly() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{subject} is read-only; make it writable or choose another path"),
        ));
    }
    // An immutable or append-only file cannot be replaced, even by root.
    // Finding it here, before any file of a batch is renamed, keeps the
    // batch from being renamed only in part.
    if let Some((attribute, flag)) = locked_attribute(target) {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{subject} is {attribute} (`chattr +{flag}`), so it cannot be replaced; clear the flag with `chattr -{flag}` or choose another path"),
        ));
    }
    Ok(())
}

/// Returns the attribute and its `chattr` letter when `path` is immutable
/// or append-only. No one, root included, can rename over or remove such a
/// file, or rename or remove files in such a directory. statx(2) reports
/// both attributes where the file system has them.
fn locked_attribute(path: &Path) -> Option<(&'static str, char)> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{statx, AtFlags, StatxAttributes, StatxFlags, CWD};
        let attributes = statx(CWD, path, AtFlags::empty(), StatxFlags::empty()).ok()?.stx_attributes;
        if attributes.contains(StatxAttributes::IMMUTABLE) {
            return Some(("immutable", 'i'));
        }
        if attributes.contains(StatxAttributes::APPEND) {
            return Some(("append-only", 'a'));
        }
        None
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        None
    }
}

/// Checks that files can be created, renamed and removed in `directory`:
/// it exists, is a directory, is neither immutable nor append-only, and
/// the user may write in it.
pub(crate) fn check_writable_directory(directory: &Path) -> io::Result<()> {
    check_directory(directory)?;
    if let Some((attribute, flag)) = locked_attribute(directory) {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("directory `{}` is {attribute} (`chattr +{flag}`), so no file in it can be replaced or removed; clear the flag with `chattr -{flag}` or choose another directory", directory.display()),
        ));
    }
    #[cfg(target_os = "linux")]
    if rustix::fs::access(directory, rustix::fs::Access::WRITE_OK | rustix::fs::Access::EXEC_OK).is_err() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("no permission to create a file in directory `{}`; make it writable or choose another path", directory.display()),
        ));
    }
    Ok(())
}

/// Names the kind of a file that is neither a regular file nor a directory.
fn special_file_kind(metadata: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let file_type = metadata.file_type();
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    let _ = metadata;
    "a special file"
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns the mount point of a tmpfs that this process may write to,
    /// as `/proc/mounts` lists it, when there is one.
    #[cfg(target_os = "linux")]
    fn writable_tmpfs() -> Option<PathBuf> {
        let mounts = fs::read_to_string("/proc/mounts").ok()?;
        mounts
            .lines()
            .filter_map(|line| {
                // device, mount point, file system type, options, ...
                let fields: Vec<&str> = line.split_whitespace().collect();
                let writable = fields.get(3).is_some_and(|options| options.split(',').any(|option| option == "rw"));
                let tmpfs = fields.get(2) == Some(&"tmpfs");
                (tmpfs && writable).then(|| PathBuf::from(fields[1]))
            })
            .find(|mount| tempfile::tempdir_in(mount).is_ok())
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn tmpfs_file_skips_flush() {
        let Some(mount) = writable_tmpfs() else {
            eprintln!("no writable tmpfs mount; skipped");
            return;
        };
        let dir = tempfile::tempdir_in(&mount).unwrap();
        let staged = StagedFile::write(&dir.path().join("a.json"), b"{}").unwrap();
        assert!(staged.in_memory, "a file under {} should count as in memory", mount.display());
        commit_all(vec![staged]).unwrap();
        assert_eq!(fs::read(dir.path().join("a.json")).unwrap(), b"{}");
    }

    #[test]
    fn disk_file_flushed() {
        // The source tree is on disk on most machines. Elsewhere the test is skipped.
        let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        if is_in_memory(&fs::File::open(dir.path()).unwrap()) {
            eprintln!("the source tree is in memory; skipped");
            return;
        }
        let staged = StagedFile::write(&dir.path().join("a.json"), b"{}").unwrap();
        assert!(!staged.in_memory);
        staged.sync().unwrap();
        staged.commit().unwrap();
        assert_eq!(fs::read(dir.path().join("a.json")).unwrap(), b"{}");
    }
}

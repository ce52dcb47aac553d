//! Atomic file output: a file is written next to its destination under a
//! temporary name and renamed into place, so a failed run never leaves a
//! half-written template.

use std::io::Write;
use std::path::Path;

use crate::error::Error;

/// Writes `bytes` to `path` atomically.
///
/// # Errors
/// [`Error::Io`] naming `path` when its directory does not exist or the file
/// cannot be written or renamed; no partial file is left behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let shown = path.display().to_string();
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !directory.is_dir() {
        return Err(Error::Io {
            action: "write",
            path: shown,
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("directory `{}` does not exist; create it first", directory.display()),
            ),
        });
    }
    let io_error = |source| Error::Io { action: "write", path: shown.clone(), source };
    let mut file = tempfile::NamedTempFile::new_in(directory).map_err(io_error)?;
    file.write_all(bytes).map_err(io_error)?;
    file.as_file().sync_all().map_err(io_error)?;
    file.persist(path).map_err(|err| io_error(err.error))?;
    Ok(())
}

//! Writing the templates of many stacks into one directory as one batch.
//! Each stack is synthesized and its template written under a temporary
//! name as soon as it is added, so only one template at a time is in
//! memory. The files are renamed into place only when every stack has
//! passed, so a failure leaves no template behind. [`App::write_to_dir`]
//! is built on it, and a program that builds its stacks one by one can use it
//! directly to keep no more than one construct tree at a time.
//!
//! [`App::write_to_dir`]: crate::App::write_to_dir

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use indexmap::{IndexMap, IndexSet};

use crate::error::Error;
use crate::stack::{Stack, Synthesized};
use crate::template::Format;
use crate::validate::Problem;
use crate::write::{check_writable_directory, commit_all, template_path, StagedFile};

/// Templates synthesized and written under temporary names, waiting to be
/// renamed into place together by [`TemplateBatch::commit`].
///
/// Stacks may be added from several threads at once: the batch is `Sync`,
/// and [`TemplateBatch::add`] synthesizes outside its lock. Problems are
/// reported in the order the stacks were added, so a program that needs the
/// same report on every run adds them from one thread or uses
/// [`App::write_to_dir`](crate::App::write_to_dir).
///
/// ```
/// use vaultgate_core::batch::TemplateBatch;
/// use vaultgate_core::template::Resource;
/// use vaultgate_core::{Format, Stack};
///
/// let directory = tempfile::tempdir().unwrap();
/// let batch = TemplateBatch::new(directory.path(), Format::Json);
/// for name in ["Backup-1", "Backup-2"] {
///     // Each stack moves into the batch; only its temporary file remains.
///     let mut stack = Stack::new(name);
///     stack.root().add_resource("Alerts", Resource::new("AWS::SNS::Topic")).unwrap();
///     batch.add(stack).unwrap();
/// }
/// let written = batch.commit().unwrap();
/// assert_eq!(written[1], directory.path().join("Backup-2.template.json"));
/// ```
#[derive(Debug)]
pub struct TemplateBatch {
    directory: PathBuf,
    format: Format,
    /// Position the next [`TemplateBatch::add`] reports its stack at.
    next_position: AtomicUsize,
    /// The outcome of checking the directory, done at the first add: a
    /// problem with it fails every add alike, and an append-only directory
    /// would let files be created but neither renamed nor removed.
    directory_check: OnceLock<Result<(), (std::io::ErrorKind, String)>>,
    entries: Mutex<Vec<Entry>>,
}

#[derive(Debug)]
struct Entry {
    /// Position among the added stacks, which orders the report.
    position: usize,
    name: String,
    outcome: Outcome,
}

/// The added stacks sorted into staged files and problems.
struct Report {
    /// The templates written under temporary names, in the order added.
    staged: Vec<StagedFile>,
    /// The first stack that failed validation or conflicts with another.
    first_invalid: Option<String>,
    /// The error of the first stack whose template could not be written.
    first_unwritten: Option<Error>,
    /// Every problem, in the order of [`TemplateBatch::commit`]'s errors.
    problems: Vec<Problem>,
}

#[derive(Debug)]
enum Outcome {
    Staged(StagedFile),
    Invalid(Vec<Problem>),
    /// A copy of the error `add` returned, kept so that a caller who goes
    /// on to commit gets no partial set of templates.
    Failed(Error),
}

/// Returns a copy of an error of `add`, which returns the error to its
/// caller while the batch keeps one for `commit`. An `io::Error` cannot be
/// cloned, so the copy keeps its kind and message.
fn copy_error(err: &Error, stack: &str) -> Error {
    match err {
        Error::Io { action, path, source } => {
            Error::Io { action, path: path.clone(), source: std::io::Error::new(source.kind(), source.to_string()) }
        }
        Error::UnsafeFileName { name, directory, reason } => {
            Error::UnsafeFileName { name: name.clone(), directory: directory.clone(), reason }
        }
        other => Error::Io { action: "write the template of stack", path: stack.to_owned(), source: std::io::Error::other(other.to_string()) },
    }
}

impl TemplateBatch {
    /// Creates an empty batch that writes `NAME.template.json` (or `.yaml`)
    /// files into `directory`.
    pub fn new(directory: impl Into<PathBuf>, format: Format) -> TemplateBatch {
        TemplateBatch {
            directory: directory.into(),
            format,
            next_position: AtomicUsize::new(0),
            directory_check: OnceLock::new(),
            entries: Mutex::new(Vec::new()),
        }
    }

    /// Synthesizes `stack` and writes its template under a temporary name in
    /// the batch's directory. The stack moves into its template (see
    /// [`Stack::into_synth`]) and is gone once added. A stack that fails
    /// validation is not an error here: its problems are kept and reported
    /// by [`TemplateBatch::commit`] together with every other stack's.
    ///
    /// # Errors
    /// [`Error::UnsafeFileName`] when the stack's name would not make a plain
    /// file name, [`Error::Io`] when the directory does not exist or the
    /// file cannot be written, and any other error of [`Stack::synth`]
    /// except [`Error::Invalid`].
    pub fn add(&self, stack: Stack) -> Result<(), Error> {
        let position = self.next_position.fetch_add(1, Ordering::Relaxed);
        let name = stack.name().to_owned();
        // Validation measures the JSON text anyway, so JSON is serialized once.
        let synthesized = match self.format {
            Format::Json => stack.into_synth_json().map(|(synthesized, text)| (synthesized, Some(text))),
            Format::Yaml => stack.into_synth().map(|synthesized| (synthesized, None)),
        };
        self.stage(position, name, synthesized)
    }

    /// Adds a copy of `stack` as [`TemplateBatch::add`] does, reported at
    /// `position` among the batch's stacks instead of after those added
    /// before it.
    pub(crate) fn add_at(&self, position: usize, stack: &Stack) -> Result<(), Error> {
        let synthesized = match self.format {
            Format::Json => stack.synth_json().map(|(synthesized, text)| (synthesized, Some(text))),
            Format::Yaml => stack.synth().map(|synthesized| (synthesized, None)),
        };
        self.stage(position, stack.name().to_owned(), synthesized)
    }

    /// Writes a synthesized template under a temporary name, or keeps the
    /// problems of a stack that failed. `text` is the template already
    /// serialized in the batch's format, when the caller has it.
    fn stage(&self, position: usize, name: String, synthesized: Result<(Synthesized, Option<String>), Error>) -> Result<(), Error> {
        let staged = synthesized.and_then(|(synthesized, text)| {
            self.check_directory()?;
            let path = template_path(&self.directory, &name, self.format)?;
            let text = text.unwrap_or_else(|| synthesized.template.to_string_in(self.format));
            drop(synthesized);
            StagedFile::write(&path, text.as_bytes())
        });
        let (outcome, result) = match staged {
            Ok(file) => (Outcome::Staged(file), Ok(())),
            Err(Error::Invalid { problems, .. }) => (Outcome::Invalid(problems), Ok(())),
            Err(other) => (Outcome::Failed(copy_error(&other, &name)), Err(other)),
        };
        self.lock().push(Entry { position, name, outcome });
        result
    }

    /// Renames every template into place and returns their paths in the
    /// order the stacks were added. When any stack failed, or two stacks
    /// would write the same file, nothing is renamed and every temporary
    /// file is removed.
    ///
    /// # Errors
    /// [`Error::Invalid`] carrying the first failing stack's name and the
    /// problems of every stack: repeated names first, then each stack's in
    /// the order they were added, with a problem for each stack that was
    /// not written. When every stack passed validation but some could not
    /// be written, the error of the first of them, as `add` returned it.
    /// [`Error::Io`] when a file cannot be flushed or renamed; the files
    /// renamed before it stay.
    pub fn commit(self) -> Result<Vec<PathBuf>, Error> {
        let report = self.into_report();
        if let Some(stack) = report.first_invalid {
            return Err(Error::Invalid { stack, problems: report.problems });
        }
        if let Some(err) = report.first_unwritten {
            return Err(err);
        }

        let paths = report.staged.iter().map(|file| file.destination().to_path_buf()).collect();
        commit_all(report.staged)?;
        Ok(paths)
    }

    /// Sorts the added stacks into staged files and problems.
    fn into_report(self) -> Report {
        let mut entries = self.entries.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.sort_by_key(|entry| entry.position);

        let (mut first_invalid, mut problems) = duplicate_name_problems(entries.iter().map(|entry| entry.name.as_str()));
        let mut first_unwritten = None;
        let mut staged = Vec::with_capacity(entries.len());
        let mut staged_names = Vec::with_capacity(entries.len());
        for entry in entries {
            match entry.outcome {
                Outcome::Staged(file) => {
                    staged.push(file);
                    staged_names.push(entry.name);
                }
                Outcome::Invalid(stack_problems) => {
                    problems.extend(with_stack_path(stack_problems, &entry.name));
                    first_invalid.get_or_insert(entry.name);
                }
                Outcome::Failed(err) => {
                    problems.push(Problem::error(
                        None,
                        None,
                        format!("stack {:?} was not written: {err}; fix that and write the stacks again", entry.name),
                    ));
                    first_unwritten.get_or_insert(err);
                }
            }
        }
        if let Some((name, problem)) = shared_target_problem(&staged, &staged_names) {
            first_invalid.get_or_insert(name);
            problems.push(problem);
        }
        Report { staged, first_invalid, first_unwritten, problems }
    }

    /// Checks once per batch that templates can be written into the
    /// directory (see `directory_check`), so that an unusable directory is
    /// reported once, and before a caller synthesizes anything.
    pub(crate) fn check_directory(&self) -> Result<(), Error> {
        let directory = if self.directory.as_os_str().is_empty() { Path::new(".") } else { self.directory.as_path() };
        let outcome = self.directory_check.get_or_init(|| {
            check_writable_directory(directory).map_err(|err| (err.kind(), err.to_string()))
        });
        outcome.clone().map_err(|(kind, message)| Error::Io {
            action: "write into",
            path: directory.display().to_string(),
            source: std::io::Error::new(kind, message),
        })
    }

    /// Returns the directory the templates are written into.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        // A thread that panicked while holding the lock left the list
        // whole, because pushing is the only thing done under it.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Reports two staged files whose destinations lead to the same file, as
/// when `A.template.json` is a symbolic link to `B.template.json`: renaming
/// both would leave one stack's template under the other's name. Returns
/// the first such stack's name with the problem.
fn shared_target_problem(staged: &[StagedFile], names: &[String]) -> Option<(String, Problem)> {
    let mut by_target: IndexMap<PathBuf, Vec<usize>> = IndexMap::new();
    let mut directories = HashMap::new();
    for (index, file) in staged.iter().enumerate() {
        by_target.entry(file.resolved_target(&mut directories)).or_default().push(index);
    }
    // Files with the same destination come from stacks with the same name,
    // which `duplicate_name_problems` reports already.
    let (target, first, destinations) = by_target.iter().find_map(|(target, indices)| {
        let destinations: IndexSet<String> =
            indices.iter().map(|&index| format!("`{}`", staged[index].destination().display())).collect();
        (destinations.len() > 1).then_some((target, indices[0], destinations))
    })?;
    let destinations: Vec<String> = destinations.into_iter().collect();
    let message = format!(
        "the template files {} lead to the same file `{}` through symbolic links, so one stack's template would replace another's; remove the link or write to another directory",
        destinations.join(" and "),
        target.display()
    );
    Some((names[first].clone(), Problem::error(None, None, message)))
}

/// Gives the problems of one stack of many the stack's name as their path
/// where they have none. Problems with outputs, parameters and the template
/// as a whole have no path, and resource paths already start with the
/// stack's name.
pub(crate) fn with_stack_path(problems: Vec<Problem>, stack: &str) -> impl Iterator<Item = Problem> + '_ {
    problems.into_iter().map(move |mut problem| {
        problem.path.get_or_insert_with(|| stack.to_owned());
        problem
    })
}

/// Reports stack names used more than once, and names that differ only in
/// case, because each stack is written to a file named after it and such
/// files collide (the latter on case-insensitive file systems). Returns the
/// first such name with the problems.
pub(crate) fn duplicate_name_problems<'a>(names: impl Iterator<Item = &'a str>) -> (Option<String>, Vec<Problem>) {
    let mut groups: IndexMap<String, Vec<&str>> = IndexMap::new();
    for name in names {
        groups.entry(name.to_ascii_lowercase()).or_default().push(name);
    }
    let mut first = None;
    let mut problems = Vec::new();
    for names in groups.values().filter(|names| names.len() > 1) {
        first.get_or_insert_with(|| names[0].to_owned());
        let distinct: IndexSet<&str> = names.iter().copied().collect();
        let message = if distinct.len() == 1 {
            format!(
                "stack name {:?} is used by {} stacks, but each stack is written to its own `NAME.template.json`; give each stack a unique name",
                names[0],
                names.len()
            )
        } else {
            let shown: Vec<String> = distinct.iter().map(|name| format!("{name:?}")).collect();
            format!(
                "stack names {} differ only in case, so their template files collide on case-insensitive file systems; give each stack a name that differs in more than case",
                shown.join(", ")
            )
        };
        problems.push(Problem::error(None, None, message));
    }
    (first, problems)
}

//! Output, confirmation prompts and the progress display. Tests swap the
//! terminal for a buffer and scripted answers.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Mutex;
#[cfg(test)]
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::DeployError;

/// Answers yes/no questions.
pub trait Prompt: Send {
    /// Returns `true` when a person can answer: standard input is a
    /// terminal and no CI system is running the program.
    fn interactive(&self) -> bool;
    /// Asks `question` and returns the answer.
    ///
    /// # Errors
    /// Reading the answer failed.
    fn ask(&mut self, question: &str) -> std::io::Result<bool>;
}

/// Asks on the terminal: the question goes to standard output, the answer
/// comes from standard input, and only `y` or `yes` means yes.
pub struct TerminalPrompt;

impl Prompt for TerminalPrompt {
    fn interactive(&self) -> bool {
        std::io::stdin().is_terminal() && !running_in_ci()
    }

    fn ask(&mut self, question: &str) -> std::io::Result<bool> {
        let mut stdout = std::io::stdout();
        write!(stdout, "{question} [y/N] ")?;
        stdout.flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
    }
}

/// Returns `true` when the `CI` variable is set to anything but an empty
/// string, `0` or `false`, the convention of common CI systems.
fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !matches!(value.to_ascii_lowercase().as_str(), "" | "0" | "false"))
}

/// The report output and the prompt of a subcommand.
pub struct Ui {
    out: Mutex<Box<dyn Write + Send>>,
    prompt: Mutex<Box<dyn Prompt>>,
    show_progress: bool,
}

impl Ui {
    /// Writes to standard output, asks on the terminal, and draws progress
    /// bars on standard error when it is a terminal.
    pub fn terminal() -> Ui {
        Ui {
            out: Mutex::new(Box::new(std::io::stdout())),
            prompt: Mutex::new(Box::new(TerminalPrompt)),
            show_progress: std::io::stderr().is_terminal(),
        }
    }

    /// Writes to a shared buffer and answers from `prompt`, with no
    /// progress bars: for tests.
    #[cfg(test)]
    pub fn captured(prompt: impl Prompt + 'static) -> (Ui, Arc<Mutex<Vec<u8>>>) {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let ui = Ui { out: Mutex::new(Box::new(SharedBuffer(buffer.clone()))), prompt: Mutex::new(Box::new(prompt)), show_progress: false };
        (ui, buffer)
    }

    /// Writes one line of the report.
    pub fn line(&self, text: impl AsRef<str>) {
        let mut out = self.out.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // A closed standard output (a pipe to `head`) must not abort a
        // deployment halfway, so write errors are dropped.
        let _ = writeln!(out, "{}", text.as_ref());
        let _ = out.flush();
    }

    /// Writes a block of text that already ends in a newline.
    pub fn block(&self, text: &str) {
        let mut out = self.out.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    /// Asks `question` unless `yes` answers it already. Without `yes` and
    /// without a person to ask, the run stops with [`DeployError::Refused`]
    /// naming `skip_hint`, the flag that answers the question.
    ///
    /// # Errors
    /// [`DeployError::Refused`] when nobody can answer, and
    /// [`DeployError::Io`] when reading the answer fails.
    pub fn confirm(&self, question: &str, yes: bool, skip_hint: &str) -> Result<bool, DeployError> {
        if yes {
            return Ok(true);
        }
        let mut prompt = self.prompt.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !prompt.interactive() {
            return Err(DeployError::Refused(format!(
                "cannot ask \"{question}\": standard input is not a terminal (or CI is set); {skip_hint}"
            )));
        }
        prompt.ask(question).map_err(|source| DeployError::Io { action: "read the answer from standard input", source })
    }

    /// Makes a progress bar over `length` resources, hidden unless standard
    /// error is a terminal.
    pub fn progress_bar(&self, length: u64) -> ProgressBar {
        if !self.show_progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} resources  {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    }
}

#[cfg(test)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

#[cfg(test)]
impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Answers from a fixed list, in order, and records the questions: for tests.
#[cfg(test)]
pub struct ScriptedPrompt {
    pub interactive: bool,
    pub answers: Vec<bool>,
    pub questions: Arc<Mutex<Vec<String>>>,
}

#[cfg(test)]
impl ScriptedPrompt {
    /// A prompt that is not interactive, as in CI.
    pub fn unattended() -> ScriptedPrompt {
        ScriptedPrompt { interactive: false, answers: Vec::new(), questions: Arc::default() }
    }
}

#[cfg(test)]
impl Prompt for ScriptedPrompt {
    fn interactive(&self) -> bool {
        self.interactive
    }

    fn ask(&mut self, question: &str) -> std::io::Result<bool> {
        self.questions.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(question.to_owned());
        if self.answers.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, format!("no scripted answer to {question:?}")));
        }
        Ok(self.answers.remove(0))
    }
}

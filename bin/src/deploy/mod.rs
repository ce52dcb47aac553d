//! `vaultgate-deploy`: deploys vaultgate templates with CloudFormation change
//! sets, guarded against changes that lose backups or open the private
//! subnet, and follows the stack until it settles.
//!
//! The modules split the work by concept. `args` parses the command line,
//! `aws` builds clients, `template_source` loads, validates and uploads
//! templates, and `state` and `prepare` decide what each stack status
//! allows. `changeset` and `changes` plan, `replacement` predicts
//! replacements locally, `guards` and `access` keep deployments safe, and
//! `events` follows a stack. `deploy`, `diff` and `destroy` are the
//! subcommands.

pub mod access;
pub mod args;
pub mod aws;
pub mod changes;
pub mod changeset;
pub mod deploy;
pub mod destroy;
pub mod diff;
pub mod events;
pub mod guards;
pub mod prepare;
pub mod replacement;
pub mod state;
pub mod template_source;
pub mod ui;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use clap::Parser;

use self::access::AccessCheck;
use self::args::{AwsArgs, Cli, Command};
use self::ui::Ui;

/// Exit status when a safety guard, a declined prompt or the stack's state
/// stops the deployment before anything changed.
pub const EXIT_REFUSED: u8 = 3;
/// Exit status when `--timeout` passed while the stack was still in progress.
pub const EXIT_TIMED_OUT: u8 = 4;
/// Exit status after Ctrl-C stopped the watching (not the deployment).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Errors that stop a subcommand. Failed deployments are not errors: they
/// are reported as they happen and end in [`Outcome::Failed`].
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// Invalid command-line values, every one listed.
    #[error("invalid arguments:\n{}", bullet_list(.0))]
    Usage(Vec<String>),
    /// The template could not be read or is invalid.
    #[error("{0}")]
    Template(String),
    /// Region or credentials are missing or unusable.
    #[error("{0}")]
    Config(String),
    /// An AWS call failed; `detail` is the SDK error with its whole chain of
    /// causes.
    #[error("{action} failed: {detail}")]
    Aws { action: String, detail: String },
    /// The stack to act on does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A guard, a declined prompt or the stack's state stopped the run
    /// before anything changed.
    #[error("{0}")]
    Refused(String),
    /// Output or prompt input failed.
    #[error("cannot {action}: {source}")]
    Io { action: &'static str, #[source] source: std::io::Error },
}

impl DeployError {
    /// Wraps an SDK error. A service error shows its code and message.
    /// Anything else (a connection failure, a timeout, a credentials
    /// problem, a response without an error code) shows the error's whole
    /// chain of causes, because the outermost one alone ("dispatch
    /// failure") gives no reason. The SDK's Debug form is left out: it
    /// repeats the chain as a kilobyte of nested structs.
    pub fn aws<E>(action: impl Into<String>, error: SdkError<E, HttpResponse>) -> DeployError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let detail = match error.as_service_error().map(|service| (service.code(), service.message())) {
            Some((Some(code), message)) => format!("{code}: {}", message.unwrap_or("(no message)")),
            _ => match error.raw_response().map(|response| response.status().as_u16()) {
                Some(status) => format!("HTTP {status}: {}", error_chain(&error)),
                None => error_chain(&error),
            },
        };
        DeployError::Aws { action: action.into(), detail }
    }
}

/// Joins the messages of an error and its sources with ": ", as
/// `DisplayErrorContext` does but without its Debug dump. A source whose
/// message is already part of the text is skipped, since some errors
/// repeat their source in their own message.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !message.is_empty() && !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

fn bullet_list(items: &[String]) -> String {
    items.iter().map(|item| format!("  - {item}")).collect::<Vec<_>>().join("\n")
}

/// The result of a subcommand that ran to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done: deployed, no changes, change set left for review, deleted, or diffed.
    Succeeded,
    /// The stack operation failed; the failing events were printed.
    Failed,
    /// The stack was still in progress when `--timeout` passed.
    TimedOut,
    /// Ctrl-C stopped the watching; the stack operation goes on.
    Interrupted,
}

/// A future that completes when the user asks to stop watching.
pub type InterruptFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Everything a subcommand needs from outside: clients, output and prompt,
/// and the knobs that tests turn.
pub struct Context {
    pub cfn: aws_sdk_cloudformation::Client,
    pub s3: aws_sdk_s3::Client,
    /// The region the clients use, for template URLs and resume hints.
    pub region: String,
    pub ui: Ui,
    /// Pause between two polls of a stack or change set.
    pub poll_interval: Duration,
    /// The access matrix comparison; [`access::access_broadening`] outside tests.
    pub access_check: AccessCheck,
    /// Makes the future that stops the watching; Ctrl-C outside tests.
    pub interrupt: Arc<dyn Fn() -> InterruptFuture + Send + Sync>,
    /// The `--region`/`--profile` flags, repeated in resume hints.
    pub aws_flags: String,
}

impl Context {
    /// Returns the command that resumes watching `stack_name`.
    pub fn watch_hint(&self, stack_name: &str) -> String {
        format!("vaultgate-deploy watch --stack-name {stack_name}{}", self.aws_flags)
    }
}

/// Parses the command line, runs the subcommand and maps its result to
/// the exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli));
    match result {
        Ok(outcome) => ExitCode::from(exit_status(outcome)),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(match error {
                DeployError::Usage(_) => 2,
                DeployError::Refused(_) => EXIT_REFUSED,
                _ => 1,
            })
        }
    }
}

/// Maps an outcome to the process exit status.
pub fn exit_status(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Succeeded => 0,
        Outcome::Failed => 1,
        Outcome::TimedOut => EXIT_TIMED_OUT,
        Outcome::Interrupted => EXIT_INTERRUPTED,
    }
}

async fn run(cli: Cli) -> Result<Outcome, DeployError> {
    match cli.command {
        Command::Deploy(args) => {
            let config = args::DeployConfig::from_args(&args)?;
            let loaded = template_source::load(config.template.as_deref())?;
            let context = connect(&args.aws).await?;
            deploy::deploy(&context, &config, &loaded).await
        }
        Command::Diff(args) => {
            let stack_name = args::validated_stack_name(&args.stack_name)?;
            let loaded = template_source::load(args.template.as_deref())?;
            let context = connect(&args.aws).await?;
            diff::diff(&context, &stack_name, &loaded).await
        }
        Command::Destroy(args) => {
            let stack_name = args::validated_stack_name(&args.stack_name)?;
            let context = connect(&args.aws).await?;
            let delete_buckets = args.delete_buckets.iter().cloned().collect();
            destroy::destroy(&context, &stack_name, args.yes, Duration::from_secs(args.timeout.max(1)), &delete_buckets).await
        }
        Command::Watch(args) => {
            let stack_name = args::validated_stack_name(&args.stack_name)?;
            let context = connect(&args.aws).await?;
            events::watch(&context, &stack_name, Duration::from_secs(args.timeout.max(1))).await
        }
    }
}

async fn connect(aws_args: &AwsArgs) -> Result<Context, DeployError> {
    let clients = aws::connect(aws_args).await?;
    let mut aws_flags = String::new();
    if let Some(region) = &aws_args.region {
        aws_flags.push_str(&format!(" --region {region}"));
    }
    if let Some(profile) = &aws_args.profile {
        aws_flags.push_str(&format!(" --profile {profile}"));
    }
    Ok(Context {
        cfn: clients.cfn,
        s3: clients.s3,
        region: clients.region,
        ui: Ui::terminal(),
        poll_interval: Duration::from_secs(2),
        access_check: access::access_broadening,
        interrupt: Arc::new(|| {
            Box::pin(async {
                // An error here means no handler could be installed; then
                // only the deadline ends the watching.
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            })
        }),
        aws_flags,
    })
}

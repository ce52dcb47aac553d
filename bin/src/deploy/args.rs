//! Command-line arguments of `vaultgate-deploy`, in two steps: the raw clap
//! structures, then validated settings that the rest of the program trusts
//! (parameters and tags parsed into ordered maps, durations, allow-lists).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indexmap::IndexMap;

use super::DeployError;

/// Deploys, compares and deletes vaultgate stacks with AWS CloudFormation.
///
/// Credentials and region come from the standard AWS chain (environment,
/// shared config and credentials files, SSO). `AWS_ENDPOINT_URL` points every
/// client at another endpoint, such as a local emulator.
#[derive(Debug, Parser)]
#[command(name = "vaultgate-deploy", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Creates or updates a stack through a change set.
    Deploy(DeployArgs),
    /// Compares a template with the deployed stack's template.
    Diff(DiffArgs),
    /// Deletes a stack and lists the retained resources that remain.
    Destroy(DestroyArgs),
    /// Follows the events of a stack until it settles.
    Watch(WatchArgs),
}

/// The AWS region and profile to use.
#[derive(Debug, Clone, Default, Args)]
pub struct AwsArgs {
    /// AWS region. Default: `AWS_REGION`, then the profile's region.
    #[arg(long)]
    pub region: Option<String>,
    /// Named profile from the shared config files. Default: `AWS_PROFILE`, then `default`.
    #[arg(long)]
    pub profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// CloudFormation stack name.
    #[arg(long)]
    pub stack_name: String,
    /// Template file, JSON or YAML. Default: vaultgate's default backup stack.
    pub template: Option<PathBuf>,
    /// Template parameter value; repeat for each parameter. Parameters left
    /// out keep their deployed value on update, then their template default.
    #[arg(long = "parameter", value_name = "KEY=VALUE")]
    pub parameters: Vec<String>,
    /// Stack tag; repeat for each tag. CloudFormation copies stack tags to
    /// the resources that support tags.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Creates and prints the change set but leaves it unexecuted for review.
    #[arg(long)]
    pub no_execute: bool,
    /// Executes without asking for confirmation. Access broadening still
    /// needs confirmation unless `--require-approval never` is given.
    #[arg(long)]
    pub yes: bool,
    /// Seconds to wait for the stack to settle before giving up watching;
    /// the deployment itself goes on.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub timeout: u64,
    /// Logical ID of a protected resource that this deployment may replace or
    /// remove, or of a route that may open a route table to the internet.
    /// Repeat for each.
    #[arg(long = "allow-replacement", value_name = "LOGICAL_ID")]
    pub allow_replacement: Vec<String>,
    /// Logical ID of a protected resource whose `DeletionPolicy` or
    /// `UpdateReplacePolicy` this deployment may weaken (such as from
    /// `Retain` to `Delete`), so that a later removal, replacement or stack
    /// deletion deletes it and its data. Repeat for each.
    #[arg(long = "allow-unprotect", value_name = "LOGICAL_ID")]
    pub allow_unprotect: Vec<String>,
    /// When to ask before a change that broadens access to the backup bucket.
    #[arg(long, value_enum, default_value_t = Approval::Broadening)]
    pub require_approval: Approval,
    /// Deletes a stack whose creation failed (ROLLBACK_COMPLETE and similar)
    /// and creates it again.
    #[arg(long)]
    pub replace_failed_stack: bool,
    /// S3 bucket to upload templates over 51,200 bytes to. Must not be the
    /// backup bucket.
    #[arg(long, value_name = "BUCKET")]
    pub template_bucket: Option<String>,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// CloudFormation stack name.
    #[arg(long)]
    pub stack_name: String,
    /// Template file, JSON or YAML. Default: vaultgate's default backup stack.
    pub template: Option<PathBuf>,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// CloudFormation stack name.
    #[arg(long)]
    pub stack_name: String,
    /// Deletes without asking for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Logical ID of a bucket that the stack's deletion may delete with every
    /// object in it, because no `DeletionPolicy: Retain` keeps it. Without
    /// it, destroy refuses to delete such a stack. Repeat for each.
    #[arg(long = "delete-bucket", value_name = "LOGICAL_ID")]
    pub delete_buckets: Vec<String>,
    /// Seconds to wait for the deletion to finish before giving up watching.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub timeout: u64,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// CloudFormation stack name.
    #[arg(long)]
    pub stack_name: String,
    /// Seconds to wait for the stack to settle.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub timeout: u64,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// When a change that broadens access to the backup bucket needs a yes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Approval {
    /// Never ask. The only way to deploy an access broadening without a prompt.
    Never,
    /// Ask whenever the access matrix shows broader access, even with `--yes`.
    Broadening,
}

/// Validated deploy settings.
#[derive(Debug, Clone)]
pub struct DeployConfig {
    pub stack_name: String,
    pub template: Option<PathBuf>,
    /// Parameter values in the order given.
    pub parameters: IndexMap<String, String>,
    pub tags: IndexMap<String, String>,
    pub execute: bool,
    pub yes: bool,
    pub timeout: Duration,
    pub allow_replacement: BTreeSet<String>,
    pub allow_unprotect: BTreeSet<String>,
    pub approval: Approval,
    pub replace_failed_stack: bool,
    pub template_bucket: Option<String>,
}

impl DeployConfig {
    /// Validates the raw arguments and collects every problem.
    ///
    /// # Errors
    /// [`DeployError::Usage`] listing each invalid value.
    pub fn from_args(args: &DeployArgs) -> Result<DeployConfig, DeployError> {
        let mut problems = Vec::new();
        check_stack_name(&args.stack_name, &mut problems);
        let parameters = parse_pairs("--parameter", &args.parameters, &mut problems);
        let tags = parse_pairs("--tag", &args.tags, &mut problems);
        if args.timeout == 0 {
            problems.push("--timeout must be at least 1 second".to_owned());
        }
        if let Some(bucket) = &args.template_bucket {
            for violation in vaultgate_core::validate::bucket_name_violations(bucket) {
                problems.push(format!("--template-bucket {bucket:?}: {violation}"));
            }
        }
        if !problems.is_empty() {
            return Err(DeployError::Usage(problems));
        }
        Ok(DeployConfig {
            stack_name: args.stack_name.clone(),
            template: args.template.clone(),
            parameters,
            tags,
            execute: !args.no_execute,
            yes: args.yes,
            timeout: Duration::from_secs(args.timeout),
            allow_replacement: args.allow_replacement.iter().cloned().collect(),
            allow_unprotect: args.allow_unprotect.iter().cloned().collect(),
            approval: args.require_approval,
            replace_failed_stack: args.replace_failed_stack,
            template_bucket: args.template_bucket.clone(),
        })
    }
}

/// Checks a stack name against CloudFormation's rule: a letter, then
/// letters, digits and hyphens, 128 characters at most.
pub fn check_stack_name(name: &str, problems: &mut Vec<String>) {
    let valid = name.len() <= 128
        && name.chars().next().is_some_and(|first| first.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid {
        problems.push(format!(
            "--stack-name {name:?} is not a valid stack name: use a letter, then letters, digits and hyphens, at most 128 characters"
        ));
    }
}

/// Validates a stack name on its own, for the subcommands that take nothing else.
///
/// # Errors
/// [`DeployError::Usage`] when the name is invalid.
pub fn validated_stack_name(name: &str) -> Result<String, DeployError> {
    let mut problems = Vec::new();
    check_stack_name(name, &mut problems);
    if problems.is_empty() {
        Ok(name.to_owned())
    } else {
        Err(DeployError::Usage(problems))
    }
}

fn parse_pairs(flag: &str, items: &[String], problems: &mut Vec<String>) -> IndexMap<String, String> {
    let mut pairs = IndexMap::new();
    for item in items {
        match item.split_once('=') {
            Some((key, value)) if !key.is_empty() => {
                if pairs.insert(key.to_owned(), value.to_owned()).is_some() {
                    problems.push(format!("{flag} {key} is given twice; give each key once"));
                }
            }
            _ => problems.push(format!("{flag} {item:?} is not KEY=VALUE")),
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy_args(extra: &[&str]) -> DeployArgs {
        let mut argv = vec!["vaultgate-deploy", "deploy", "--stack-name", "Backups"];
        argv.extend_from_slice(extra);
        match Cli::parse_from(argv).command {
            Command::Deploy(args) => args,
            other => panic!("parsed {other:?}"),
        }
    }

    #[test]
    fn parameters_keep_their_order() {
        let config = DeployConfig::from_args(&deploy_args(&["--parameter", "B=2", "--parameter", "A=x=y"])).unwrap();
        let pairs: Vec<_> = config.parameters.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(pairs, [("B", "2"), ("A", "x=y")]);
    }

    #[test]
    fn invalid_values_are_all_reported() {
        let mut args = deploy_args(&["--parameter", "novalue", "--tag", "=v", "--parameter", "K=1", "--parameter", "K=2", "--timeout", "0"]);
        args.stack_name = "1bad_name".to_owned();
        let DeployError::Usage(problems) = DeployConfig::from_args(&args).unwrap_err() else { panic!() };
        assert_eq!(problems.len(), 5, "{problems:#?}");
        assert!(problems[0].contains("1bad_name"), "{problems:#?}");
        assert!(problems.iter().any(|p| p.contains("\"novalue\" is not KEY=VALUE")), "{problems:#?}");
        assert!(problems.iter().any(|p| p.contains("K is given twice")), "{problems:#?}");
        assert!(problems.iter().any(|p| p.contains("--timeout")), "{problems:#?}");
    }

    #[test]
    fn approval_defaults_to_broadening() {
        let config = DeployConfig::from_args(&deploy_args(&[])).unwrap();
        assert_eq!(config.approval, Approval::Broadening);
        assert!(config.execute);
        assert!(!config.yes);
    }

    #[test]
    fn template_bucket_name_is_checked() {
        let args = deploy_args(&["--template-bucket", "Not_A_Bucket"]);
        let DeployError::Usage(problems) = DeployConfig::from_args(&args).unwrap_err() else { panic!() };
        assert!(problems[0].contains("Not_A_Bucket"), "{problems:#?}");
    }
}

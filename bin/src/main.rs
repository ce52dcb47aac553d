//! The `vaultgate` command: `synth` writes the backup stack's template and
//! `verify` proves, from a template alone, who can do what to the bucket.
//!
//! Arguments are parsed in two steps: clap reads the raw flags, then each
//! command turns them into a validated plan before touching the disk.

mod cli_error;
mod synth;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Synthesizes the private-subnet S3 backup architecture to CloudFormation
/// and proves its access rules before deployment.
#[derive(Debug, Parser)]
#[command(name = "vaultgate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the CloudFormation template of the backup stack.
    Synth(synth::SynthArgs),
    /// Prove offline who can do what to the backup bucket.
    Verify(verify::VerifyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Synth(args) => synth::run(&args),
        Command::Verify(args) => verify::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

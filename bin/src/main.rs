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

/// jemalloc serves the many small allocations of synthesis and verify
/// faster than glibc's malloc; the `jemalloc` feature in Cargo.toml gives
/// the figures and the costs.
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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

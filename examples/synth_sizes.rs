//! Synthesizes the benchmark sizes that `vaultgate synth` cannot express,
//! for the whole-process comparison in `benches/compare/run.sh`. It reads
//! the same environment variables as the reference apps it is compared with:
//!
//! - `MODE`: `default` (one default stack), `big` (the default architecture
//!   plus `EXTRA` private subnets attached to its endpoint) or `many`
//!   (`STACKS` default stacks). Default: `default`.
//! - `EXTRA`: extra subnets of `big`, three resources each. Default: as
//!   many as fit in 445 resources, the size of the reference apps' big
//!   stack.
//! - `STACKS`: stacks of `many`. Default: 50.
//! - `OUT`: the directory to write `NAME.template.json` files into, created
//!   when missing. Default: `vaultgate.out`.
//! - `REPORT`: when set, prints the mode, stack and resource counts as JSON
//!   to standard error.
//!
//! The comparison's default size runs the real `vaultgate synth` process,
//! not this example. Build it with
//! `cargo build --release --example synth_sizes`.

use std::error::Error;
use std::path::PathBuf;

use vaultgate::{App, Format};

#[path = "../benches/support/stacks.rs"]
mod stacks;

/// Reads a count from the environment variable `name`, or `default` when
/// it is unset.
fn count_from_env(name: &str, default: usize) -> Result<usize, Box<dyn Error>> {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .map_err(|_| format!("invalid {name}={text:?}: expected a whole number such as {default}").into()),
        Err(_) => Ok(default),
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mode = std::env::var("MODE").unwrap_or_else(|_| "default".to_owned());
    let out = PathBuf::from(std::env::var("OUT").unwrap_or_else(|_| "vaultgate.out".to_owned()));

    let app = match mode.as_str() {
        "default" => {
            let mut app = App::new();
            app.add_stack(stacks::default_stack("BackupStack")?);
            app
        }
        "big" => {
            let extra = count_from_env("EXTRA", stacks::extra_subnets_for(445))?;
            if extra > 246 {
                return Err(format!("invalid EXTRA={extra}: at most 246 extra /24 subnets fit in the VPC").into());
            }
            let mut app = App::new();
            app.add_stack(stacks::big_stack("BigStack", extra)?);
            app
        }
        "many" => stacks::many_app(count_from_env("STACKS", 50)?)?,
        other => return Err(format!("invalid MODE={other:?}: use default, big or many").into()),
    };

    std::fs::create_dir_all(&out).map_err(|err| format!("cannot create OUT directory `{}`: {err}", out.display()))?;
    app.write_to_dir(&out, Format::Json)?;

    if std::env::var_os("REPORT").is_some() {
        let resources: usize = app.stacks().iter().map(|stack| stack.resource_count()).sum();
        eprintln!(
            "{}",
            serde_json::json!({"mode": mode, "stacks": app.stacks().len(), "resources": resources})
        );
    }
    Ok(())
}

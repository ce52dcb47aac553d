//! Synthesizes the benchmark sizes that `vaultgate synth` cannot express,
//! for the whole-process comparison in `benches/compare/run.sh`. It reads
//! the same environment variables as the reference apps it is compared with:
//!
//! - `MODE`: `default` (one default stack), `big` (the default architecture
//!   plus `EXTRA` private subnets attached to its endpoint), `many` or
//!   `many-app`. Default: `default`. `many` builds `STACKS` default stacks
//!   on one thread per core and adds each to a shared [`TemplateBatch`] as
//!   soon as it is built. `many-app` builds the same stacks into one
//!   [`App`] first and writes them with `App::write_to_dir`.
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
//! `cargo build --release --example synth_sizes`. Like the `vaultgate`
//! binary, it allocates with jemalloc.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use vaultgate::batch::TemplateBatch;
use vaultgate::{App, Format, Stack};

#[path = "../benches/support/stacks.rs"]
mod stacks;

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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

/// Writes the app's stacks and returns the number of stacks and resources.
fn write_app(app: &App, out: &Path) -> Result<(usize, usize), Box<dyn Error>> {
    app.write_to_dir(out, Format::Json)?;
    let resources = app.stacks().iter().map(|stack| stack.resource_count()).sum();
    Ok((app.stacks().len(), resources))
}

/// Writes one stack, moving it into its template as `vaultgate synth`
/// does, and returns the number of stacks and resources.
fn write_stack(stack: Stack, out: &Path) -> Result<(usize, usize), Box<dyn Error>> {
    let resources = stack.resource_count();
    let batch = TemplateBatch::new(out, Format::Json);
    batch.add(stack)?;
    batch.commit()?;
    Ok((1, resources))
}

/// Builds `count` default stacks on one thread per core, adds each to a
/// batch as soon as it is built, and drops it, so that only one construct
/// tree per thread exists at a time. Returns the number of resources.
fn write_streamed(count: usize, out: &Path) -> Result<usize, Box<dyn Error>> {
    let batch = TemplateBatch::new(out, Format::Json);
    let next = AtomicUsize::new(0);
    let resources = AtomicUsize::new(0);
    let failure = Mutex::new(None);
    let threads = std::thread::available_parallelism().map_or(1, usize::from).min(count);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= count {
                    return;
                }
                let added = stacks::default_stack(&format!("Backup{index:02}"))
                    .map_err(|err| err.to_string())
                    .and_then(|stack| {
                        resources.fetch_add(stack.resource_count(), Ordering::Relaxed);
                        batch.add(stack).map_err(|err| err.to_string())
                    });
                if let Err(message) = added {
                    failure.lock().expect("no thread panics while holding the lock").get_or_insert(message);
                    return;
                }
            });
        }
    });
    if let Some(message) = failure.into_inner()? {
        return Err(message.into());
    }
    batch.commit()?;
    Ok(resources.into_inner())
}

fn main() -> Result<(), Box<dyn Error>> {
    let mode = std::env::var("MODE").unwrap_or_else(|_| "default".to_owned());
    let out = PathBuf::from(std::env::var("OUT").unwrap_or_else(|_| "vaultgate.out".to_owned()));
    std::fs::create_dir_all(&out).map_err(|err| format!("cannot create OUT directory `{}`: {err}", out.display()))?;

    let (stack_count, resources) = match mode.as_str() {
        "default" => {
            write_stack(stacks::default_stack("BackupStack")?, &out)?
        }
        "big" => {
            let extra = count_from_env("EXTRA", stacks::extra_subnets_for(445))?;
            if extra > 246 {
                return Err(format!("invalid EXTRA={extra}: at most 246 extra /24 subnets fit in the VPC").into());
            }
            write_stack(stacks::big_stack("BigStack", extra)?, &out)?
        }
        "many" => {
            let count = count_from_env("STACKS", 50)?;
            (count, write_streamed(count, &out)?)
        }
        "many-app" => write_app(&stacks::many_app(count_from_env("STACKS", 50)?)?, &out)?,
        other => return Err(format!("invalid MODE={other:?}: use default, big, many or many-app").into()),
    };

    if std::env::var_os("REPORT").is_some() {
        eprintln!("{}", serde_json::json!({"mode": mode, "stacks": stack_count, "resources": resources}));
    }
    Ok(())
}

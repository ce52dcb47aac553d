//! `vaultgate synth`: reads an optional settings file, builds the stack and
//! writes its template atomically, or prints the settings' JSON Schema.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use vaultgate_constructs::BackupConfig;
use vaultgate_core::write::write_atomic;
use vaultgate_core::Format;

use crate::cli_error::CliError;

/// Flags of `vaultgate synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Settings file (TOML, or JSON when it ends in `.json`) that sets the
    /// stack name and every prop of the architecture. Default: the default
    /// stack.
    #[arg(long, value_name = "FILE", conflicts_with = "print_config_schema")]
    config: Option<PathBuf>,
    /// Output path of the template, or `-` for standard output.
    #[arg(long, short, value_name = "PATH", default_value = "template.json", conflicts_with = "print_config_schema")]
    out: String,
    /// Template format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    format: OutputFormat,
    /// Print the settings file's JSON Schema and exit.
    #[arg(long)]
    print_config_schema: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutputFormat {
    Json,
    Yaml,
}

/// The template's destination.
enum Destination {
    Stdout,
    File(PathBuf),
}

/// Runs `vaultgate synth`.
pub fn run(args: &SynthArgs) -> Result<(), CliError> {
    if args.print_config_schema {
        let schema = schemars::schema_for!(BackupConfig);
        let text = serde_json::to_string_pretty(&schema).expect("schemas serialize");
        println!("{text}");
        return Ok(());
    }

    let config = match &args.config {
        Some(path) => load_config(path)?,
        None => BackupConfig::default(),
    };
    let destination = if args.out == "-" { Destination::Stdout } else { Destination::File(PathBuf::from(&args.out)) };
    if let Destination::File(path) = &destination {
        check_output_directory(path)?;
    }
    let format = match args.format {
        OutputFormat::Json => Format::Json,
        OutputFormat::Yaml => Format::Yaml,
    };

    let stack = config.build()?;
    // The stack is not needed afterwards, so it moves into its template.
    let synthesized = stack.into_synth()?;
    for warning in &synthesized.warnings {
        eprintln!("warning: {warning}");
    }
    let text = synthesized.template.to_string_in(format);
    let summary = format!("{} resources, {} bytes", synthesized.template.resources.len(), text.len());
    match destination {
        Destination::Stdout => {
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(|err| CliError::Output(format!("cannot write to standard output: {err}")))?;
            eprintln!("synthesized {} ({summary})", config.stack_name);
        }
        Destination::File(path) => {
            write_atomic(&path, text.as_bytes())?;
            eprintln!("wrote {} ({summary})", path.display());
        }
    }
    Ok(())
}

fn check_output_directory(path: &Path) -> Result<(), CliError> {
    let shown = path.display();
    if path.as_os_str().is_empty() {
        return Err(CliError::Input("--out is empty; give a file path, or - for standard output".to_owned()));
    }
    if path.is_dir() || path.to_string_lossy().ends_with('/') {
        return Err(CliError::Input(format!("cannot write `{shown}`: it is a directory; give a file path such as {shown}/template.json")));
    }
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !directory.is_dir() {
        return Err(CliError::Input(format!(
            "cannot write `{}`: directory `{}` does not exist; create it or choose another --out",
            path.display(),
            directory.display()
        )));
    }
    Ok(())
}

/// Reads a settings file, TOML unless its name ends in `.json`. Errors name
/// the file, the field's path and what is wrong.
fn load_config(path: &Path) -> Result<BackupConfig, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| CliError::Input(format!("cannot read settings file `{}`: {err}", path.display())))?;
    let extension = path.extension().and_then(|ext| ext.to_str()).unwrap_or_default().to_ascii_lowercase();
    let is_json = match extension.as_str() {
        "json" => true,
        "toml" => false,
        other => {
            return Err(CliError::Input(format!(
                "settings file `{}` has the extension {other:?}; write it as TOML (.toml) or JSON (.json)",
                path.display()
            )))
        }
    };
    let invalid = |field: String, message: String| {
        let at = if field.is_empty() || field == "." { String::new() } else { format!(" at `{field}`") };
        CliError::Input(format!(
            "invalid settings file `{}`{at}: {message}; run `vaultgate synth --print-config-schema` for every field",
            path.display()
        ))
    };
    if is_json {
        if !text.trim_start().starts_with('{') {
            return Err(invalid(String::new(), "the top level must be a JSON object".to_owned()));
        }
        let mut deserializer = serde_json::Deserializer::from_str(&text);
        let config = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|err| invalid(err.path().to_string(), err.into_inner().to_string()))?;
        deserializer.end().map_err(|err| invalid(String::new(), err.to_string()))?;
        Ok(config)
    } else {
        // A syntax error comes from parsing, a wrong field or value from
        // deserializing; both carry the byte span of the offending text.
        let located = |err: toml::de::Error, path: String| {
            let position = err.span().map(|span| line_and_column(&text, span.start));
            let mut message = err.message().trim().replace('\n', " ");
            // toml 1 reports a repeated key or table without naming it; the
            // span covers the repeated name, so the message quotes it.
            if message == "duplicate key" {
                if let Some(name) = err.span().and_then(|span| text.get(span)) {
                    message = format!("duplicate key `{}`; each key and table may appear once", name.trim());
                }
            }
            match position {
                Some((line, column)) => invalid(path, format!("line {line}, column {column}: {message}")),
                None => invalid(path, message),
            }
        };
        let deserializer = toml::Deserializer::parse(&text).map_err(|err| located(err, String::new()))?;
        serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let path = err.path().to_string();
            located(err.into_inner(), path)
        })
    }
}

/// Converts a byte offset into 1-based line and column numbers.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |rest| rest.chars().count()) + 1;
    (line, column)
}

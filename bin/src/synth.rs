//! `vaultgate synth`: reads an optional settings file, builds the stack and
//! writes its template atomically, or prints the settings' JSON Schema.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Deserialize;
use serde_json::Value;
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
        // A file in the way or a broken link gets the library's message,
        // which names which of the two it is.
        if std::fs::symlink_metadata(directory).is_ok() {
            return Ok(());
        }
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
        if let Ok(value) = serde_json::from_str::<Value>(&text) {
            if let Some(field) = list_in_place_of_table(&value) {
                return Err(invalid(field.clone(), format!("`{field}` is a list, but it must be one object; write `\"{field}\": {{ ... }}` without the brackets")));
            }
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
            // toml 1 reports a repeated key or table, or a dotted key under a
            // key that already has a value, without naming the key. The span
            // covers that key, so the message quotes it.
            let located_name = err.span().and_then(|span| Some((text.get(span.clone())?.trim(), span)));
            if let Some((name, span)) = located_name {
                if message == "duplicate key" {
                    message = format!("duplicate key `{name}`; each key and table may appear once");
                } else if let Some(kind) = message.strip_prefix("cannot extend value of type ").and_then(|rest| rest.strip_suffix(" with a dotted key")) {
                    // The span covers the last part of the key that has the
                    // value, and the line up to it gives the parts before it.
                    let line_start = text[..span.start].rfind('\n').map_or(0, |newline| newline + 1);
                    let dotted = text.get(line_start..span.end).map_or(name, str::trim);
                    message = format!(
                        "`{dotted}` already holds a value of type {kind}, so a dotted key cannot add keys under it; keep one of the two entries"
                    );
                }
            }
            match position {
                Some((line, column)) => invalid(path, format!("line {line}, column {column}: {message}")),
                None => invalid(path, message),
            }
        };
        let parse = || toml::Deserializer::parse(&text).map_err(|err| located(err, String::new()));
        // The shape check reads a plain value, and deserializing consumes
        // the parsed document, so the text is parsed once for each.
        if let Ok(value) = Value::deserialize(parse()?) {
            if let Some(field) = list_in_place_of_table(&value) {
                return Err(invalid(field.clone(), format!("`{field}` is an array of tables, but it must be one table; write `[{field}]` in place of `[[{field}]]`")));
            }
        }
        serde_path_to_error::deserialize(parse()?).map_err(|err| {
            let path = err.path().to_string();
            located(err.into_inner(), path)
        })
    }
}

/// Returns the dotted path of the first field that the settings schema
/// declares as one table but the file gives as a list, such as `[[network]]`
/// in place of `[network]`. serde reads a list into a struct field by
/// field, so `[[network]]` with a `cidr_block` would silently set
/// `network.vpc` instead of failing.
fn list_in_place_of_table(value: &Value) -> Option<String> {
    let schema = serde_json::to_value(schemars::schema_for!(BackupConfig)).expect("the settings schema serializes");
    find_list_in_place_of_table(value, &schema, &schema, "")
}

fn find_list_in_place_of_table(value: &Value, schema: &Value, root: &Value, path: &str) -> Option<String> {
    let schema = resolve_schema(schema, root);
    match value {
        Value::Array(_) if expects_object(schema, root) => Some(path.to_owned()),
        Value::Object(fields) => {
            let properties = schema.get("properties").and_then(Value::as_object)?;
            fields.iter().find_map(|(name, field)| {
                let field_schema = properties.get(name)?;
                let field_path = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                find_list_in_place_of_table(field, field_schema, root, &field_path)
            })
        }
        _ => None,
    }
}

/// Follows a `$ref` to its definition, and an optional field's
/// `anyOf: [definition, null]` to the definition.
fn resolve_schema<'s>(schema: &'s Value, root: &'s Value) -> &'s Value {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let pointer = reference.trim_start_matches('#');
        return root.pointer(pointer).map_or(schema, |target| resolve_schema(target, root));
    }
    let alternatives = schema.get("anyOf").or_else(|| schema.get("oneOf")).and_then(Value::as_array);
    if let Some(alternatives) = alternatives {
        let not_null: Vec<&Value> = alternatives.iter().filter(|alternative| alternative.get("type") != Some(&Value::from("null"))).collect();
        if let [only] = not_null.as_slice() {
            return resolve_schema(only, root);
        }
    }
    schema
}

/// Returns whether a schema accepts only an object (a TOML table).
fn expects_object(schema: &Value, root: &Value) -> bool {
    let schema = resolve_schema(schema, root);
    schema.get("type") == Some(&Value::from("object")) || (schema.get("type").is_none() && schema.get("properties").is_some())
}

/// Converts a byte offset into 1-based line and column numbers.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |rest| rest.chars().count()) + 1;
    (line, column)
}

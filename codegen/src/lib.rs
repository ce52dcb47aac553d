//! Generates vaultgate's typed CloudFormation resources (the `resources`
//! module of `vaultgate-core`) from the resource provider schemas vendored in
//! `codegen/schemas/`, after applying the JSON merge patches in
//! `codegen/patches/`.
//!
//! [`generate`] returns every output file in memory, so the binary writes
//! them and the staleness test compares them with the committed ones.

mod model;
mod naming;
mod render;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

pub use naming::{identifier, upper_camel};

/// The folder, relative to the workspace root, that holds the generated
/// modules.
pub const OUTPUT_DIR: &str = "lib/src/resources/generated";

/// The workspace root, found from this crate's manifest directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("codegen/ sits in the workspace root").to_owned()
}

/// Generates every file under [`OUTPUT_DIR`], keyed by its path relative to
/// the workspace root.
///
/// # Panics
///
/// Panics with the file and the problem when a schema or patch cannot be
/// read or parsed, or when a schema uses a form the generator cannot map.
pub fn generate() -> BTreeMap<PathBuf, String> {
    let codegen = workspace_root().join("codegen");
    let schemas = load_schemas(&codegen.join("schemas"), &codegen.join("patches"));
    let source = read_json(&codegen.join("schemas/source.json"));
    let source = format!(
        "CloudFormation resource provider schemas of the PyPI package {} {}\n// ({} and the files it lists),\n// vendored in codegen/schemas/",
        source["package"].as_str().expect("source.json names the package"),
        source["version"].as_str().expect("source.json names the version"),
        source["index"].as_str().expect("source.json names the index"),
    );
    let header = render::header(&source);

    let resources: Vec<model::Resource> = schemas.values().map(model::Resource::from_schema).collect();
    let services = model::by_service(resources);
    let mut files = BTreeMap::new();
    for (service, resources) in &services {
        let namespace = resources[0].type_name.split("::").nth(1).expect("checked when modelled");
        let text = render::service_file(&header, namespace, resources);
        files.insert(PathBuf::from(OUTPUT_DIR).join(format!("{service}.rs")), text);
    }
    let names: Vec<String> = services.keys().cloned().collect();
    let mut all: Vec<&model::Resource> = services.values().flatten().collect();
    all.sort_by(|a, b| a.type_name.cmp(&b.type_name));
    files.insert(PathBuf::from(OUTPUT_DIR).join("mod.rs"), render::mod_file(&header, &names, &all));
    files
}

fn read_json(path: &Path) -> Json {
    let text = fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{} is not valid JSON: {error}", path.display()))
}

/// Reads every `aws-*.json` schema, applies the patch of the same file name
/// when one exists, and keys the result by type name.
///
/// # Panics
///
/// Panics when a patch has no schema to apply to, so a renamed schema cannot
/// silently drop its fix.
pub fn load_schemas(schema_dir: &Path, patch_dir: &Path) -> BTreeMap<String, Json> {
    let mut schemas = BTreeMap::new();
    let mut names = Vec::new();
    for path in json_files(schema_dir) {
        let file_name = path.file_name().expect("listed file").to_string_lossy().into_owned();
        if !file_name.starts_with("aws-") {
            continue;
        }
        let mut schema = read_json(&path);
        let patch_path = patch_dir.join(&file_name);
        if patch_path.exists() {
            merge_patch(&mut schema, &read_json(&patch_path));
        }
        let type_name = schema["typeName"]
            .as_str()
            .unwrap_or_else(|| panic!("{} has no typeName", path.display()))
            .to_owned();
        names.push(file_name);
        schemas.insert(type_name, schema);
    }
    for patch in json_files(patch_dir) {
        let file_name = patch.file_name().expect("listed file").to_string_lossy().into_owned();
        assert!(
            names.contains(&file_name),
            "patch {} has no schema codegen/schemas/{file_name} to apply to",
            patch.display()
        );
    }
    schemas
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

/// Applies a JSON merge patch (RFC 7396): objects merge key by key, `null`
/// removes a key, and any other value replaces the target.
pub fn merge_patch(target: &mut Json, patch: &Json) {
    let Json::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Json::Object(serde_json::Map::new());
    }
    let object = target.as_object_mut().expect("just made an object");
    for (key, change) in changes {
        if change.is_null() {
            object.remove(key);
        } else {
            merge_patch(object.entry(key.clone()).or_insert(Json::Null), change);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_merges_removes_and_replaces() {
        let mut target = json!({"a": {"b": 1, "c": 2}, "d": [1, 2], "e": "x"});
        merge_patch(&mut target, &json!({"a": {"b": null, "f": 3}, "d": [3], "g": true}));
        assert_eq!(target, json!({"a": {"c": 2, "f": 3}, "d": [3], "e": "x", "g": true}));
    }
}

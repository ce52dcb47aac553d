//! Writes the generated resource modules into `lib/src/resources/generated/`
//! and removes generated files that the schemas no longer produce.

use std::fs;

fn main() {
    let root = vaultgate_codegen::workspace_root();
    let files = vaultgate_codegen::generate();
    let output = root.join(vaultgate_codegen::OUTPUT_DIR);
    fs::create_dir_all(&output).unwrap_or_else(|error| panic!("cannot create {}: {error}", output.display()));

    for entry in fs::read_dir(&output).expect("output folder was just created") {
        let path = entry.expect("readable directory entry").path();
        let relative = path.strip_prefix(&root).expect("inside the workspace").to_owned();
        if path.extension().is_some_and(|ext| ext == "rs") && !files.contains_key(&relative) {
            fs::remove_file(&path).unwrap_or_else(|error| panic!("cannot remove {}: {error}", path.display()));
            println!("removed {}", relative.display());
        }
    }
    for (relative, text) in &files {
        let path = root.join(relative);
        if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            fs::write(&path, text).unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
            println!("wrote {}", relative.display());
        }
    }
    println!("{} generated files up to date", files.len());
}

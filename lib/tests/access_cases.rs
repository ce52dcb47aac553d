//! Runs every scenario in `tests/access_cases/` through the evaluator and
//! checks the documented decision, the deciding layers the `decidedBy` text
//! names, and every statement `Sid` it names. All failing cases are
//! reported together, by id.

use std::path::PathBuf;

use vaultgate_core::access::{Layer, Scenario};

fn case_files() -> Vec<PathBuf> {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/access_cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", directory.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

/// Layers that the head of a `decidedBy` text names, before any `(` or `;`
/// that starts an explanation.
fn named_layers(decided_by: &str) -> Vec<Layer> {
    let head = decided_by.split(['(', ';']).next().unwrap_or_default().to_ascii_lowercase();
    let mut layers = Vec::new();
    let keywords: [(&str, Layer); 9] = [
        ("identity", Layer::Identity),
        ("bucket policy", Layer::Resource),
        ("resource policy", Layer::Resource),
        ("endpoint", Layer::VpcEndpoint),
        ("scp", Layer::Scp),
        ("rcp", Layer::Rcp),
        ("boundary", Layer::PermissionBoundary),
        ("session", Layer::Session),
        ("object lock", Layer::ObjectLock),
    ];
    // Whole words only, so that a Sid such as `DenyOutsideBackupEndpoint`
    // does not read as the word "endpoint".
    let words: Vec<&str> = head.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let phrase_present = |keyword: &str| {
        let keyword: Vec<&str> = keyword.split(' ').collect();
        words.windows(keyword.len()).any(|window| window == keyword.as_slice())
    };
    for (keyword, layer) in keywords {
        if phrase_present(keyword) && !layers.contains(&layer) {
            layers.push(layer);
        }
    }
    layers
}

/// Statement ids of the scenario's policies that appear as whole words in `text`.
fn named_sids(scenario_text: &str, text: &str) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(scenario_text).expect("valid JSON");
    let mut sids = Vec::new();
    collect_sids(&value["policies"], &mut sids);
    sids.retain(|sid| text.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| word == sid));
    sids
}

fn collect_sids(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(sid)) = map.get("Sid") {
                found.push(sid.clone());
            }
            map.values().for_each(|item| collect_sids(item, found));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| collect_sids(item, found)),
        _ => {}
    }
}

#[test]
fn every_case_matches_its_documented_decision() {
    let files = case_files();
    assert!(files.len() >= 40, "expected the case corpus, found {} files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let scenario = match Scenario::parse_str(&text, &name) {
            Ok(scenario) => scenario,
            Err(err) => {
                failures.push(format!("{name}: {err}"));
                continue;
            }
        };
        let Some(expected) = &scenario.expected else {
            failures.push(format!("{}: no expected decision", scenario.id));
            continue;
        };
        let evaluation = scenario.evaluate();
        if evaluation.decision != expected.decision {
            failures.push(format!(
                "{}: expected {}, got {} ({})",
                scenario.id, expected.decision, evaluation.decision, evaluation.reason
            ));
            continue;
        }
        let layers = evaluation.layers();
        for layer in named_layers(&expected.decided_by) {
            if !layers.contains(&layer) {
                failures.push(format!("{}: decidedBy names layer {layer}, evaluation names {layers:?}", scenario.id));
            }
        }
        let statements = evaluation.statements();
        for sid in named_sids(&text, &expected.decided_by) {
            if !statements.contains(&sid.as_str()) {
                failures.push(format!("{}: decidedBy names {sid}, evaluation names {statements:?}", scenario.id));
            }
        }
        if expected.sources.is_empty() {
            failures.push(format!("{}: no sources", scenario.id));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), files.len(), failures.join("\n"));
}

#[test]
fn case_ids_match_file_names() {
    for path in case_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let scenario = Scenario::parse_str(&text, "case").unwrap();
        let stem = path.file_stem().unwrap().to_string_lossy();
        assert_eq!(scenario.id, stem, "{}", path.display());
    }
}

#[test]
fn corpus_covers_every_operator_and_layer() {
    use std::collections::BTreeSet;
    use vaultgate_core::access::BaseOperator;

    let mut operators = BTreeSet::new();
    let mut qualifiers = BTreeSet::new();
    let mut layers = BTreeSet::new();
    for path in case_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let scenario = Scenario::parse_str(&text, "case").unwrap();
        let policies = &scenario.policies;
        let all = policies
            .identity
            .iter()
            .chain(&policies.resource)
            .chain(&policies.vpc_endpoints)
            .chain(&policies.permission_boundary)
            .chain(&policies.session)
            .chain(policies.scps.iter().chain(&policies.rcps).flat_map(|level| &level.policies));
        for policy in all {
            for condition in policy.statements.iter().flat_map(|statement| &statement.conditions) {
                operators.insert(condition.operator.base.name());
                qualifiers.insert((condition.operator.set.is_some(), condition.operator.if_exists));
            }
        }
        layers.extend(scenario.evaluate().layers());
    }
    for operator in BaseOperator::all() {
        assert!(operators.contains(operator.name()), "no case uses {}", operator.name());
    }
    assert!(qualifiers.contains(&(true, false)), "no case uses ForAnyValue or ForAllValues");
    assert!(qualifiers.contains(&(false, true)), "no case uses an IfExists operator");
    for layer in [
        Layer::Identity,
        Layer::Resource,
        Layer::VpcEndpoint,
        Layer::Scp,
        Layer::Rcp,
        Layer::PermissionBoundary,
        Layer::Session,
        Layer::ObjectLock,
        Layer::Service,
    ] {
        assert!(layers.contains(&layer), "no case is decided by layer {layer}");
    }
}

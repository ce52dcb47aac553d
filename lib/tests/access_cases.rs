//! Runs every scenario in `tests/access_cases/` through the evaluator and
//! checks the documented decision, the deciding layers the `decidedBy` text
//! names, and every statement `Sid` it names (see `Scenario::mismatches`).
//! All failing cases are reported together, by id.

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
        failures.extend(scenario.mismatches(&evaluation).into_iter().map(|difference| format!("{}: {difference}", scenario.id)));
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

//! `Matrix::cell` computes a cell's position instead of searching. These
//! tests compare it with a plain search over every cell of a template with
//! several buckets. They cover every source, action and bucket, the default
//! bucket, actions in other cases and names the matrix does not have. They
//! also cover matrices whose cells are in another order.

use std::path::PathBuf;

use serde_json::{json, Value};
use vaultgate_core::access::{Cell, Matrix, Settings, StackModel};
use vaultgate_core::Template;

/// The backup stack fixture with `extra` more buckets; every third has a
/// bucket policy that denies uploads, so that the buckets' cells differ.
fn several_buckets(extra: usize) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/backup-stack.json");
    let mut template: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let resources = template["Resources"].as_object_mut().unwrap();
    for index in 0..extra {
        let properties = if index % 2 == 1 { json!({"VersioningConfiguration": {"Status": "Enabled"}}) } else { json!({}) };
        resources.insert(format!("Extra{index}"), json!({"Type": "AWS::S3::Bucket", "Properties": properties}));
        if index % 3 == 0 {
            resources.insert(
                format!("Extra{index}Policy"),
                json!({"Type": "AWS::S3::BucketPolicy", "Properties": {
                    "Bucket": {"Ref": format!("Extra{index}")},
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                        "Sid": "DenyPut", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                        "Resource": {"Fn::Sub": format!("${{Extra{index}.Arn}}/*")}
                    }]}
                }}),
            );
        }
    }
    template
}

fn matrix_of(value: Value) -> Matrix {
    let template = Template::from_json_value(value, "several-buckets.json").unwrap();
    let model = StackModel::from_template(&template, &Settings::default(), "several-buckets.json").unwrap();
    Matrix::evaluate(&model)
}

/// Searches every cell as `Matrix::cell` did before it computed positions,
/// and returns the first match, on the first bucket when none is given.
fn searched<'m>(matrix: &'m Matrix, source: &str, action: &str, bucket: Option<&str>) -> Option<&'m Cell> {
    let bucket = bucket.or_else(|| matrix.buckets.first().map(String::as_str))?;
    matrix.cells.iter().find(|cell| cell.source == source && cell.bucket == bucket && cell.action.eq_ignore_ascii_case(action))
}

/// Checks every lookup of `matrix` against the plain search, by identity
/// of the cell returned.
fn assert_lookups_match(matrix: &Matrix, label: &str) {
    let mut sources: Vec<String> = matrix.sources.clone();
    sources.push("no-such-source".to_owned());
    let mut actions: Vec<String> = Vec::new();
    for action in &matrix.actions {
        actions.push(action.clone());
        actions.push(action.to_uppercase());
        actions.push(action.to_lowercase());
    }
    actions.push("s3:NoSuchAction".to_owned());
    let mut buckets: Vec<Option<&str>> = matrix.buckets.iter().map(|bucket| Some(bucket.as_str())).collect();
    buckets.push(None);
    buckets.push(Some("NoSuchBucket"));

    for bucket in &buckets {
        for source in &sources {
            for action in &actions {
                let computed = matrix.cell(source, action, *bucket).map(std::ptr::from_ref);
                let plain = searched(matrix, source, action, *bucket).map(std::ptr::from_ref);
                assert_eq!(computed, plain, "{label}: {source} {action} {bucket:?}");
            }
        }
    }
}

#[test]
fn lookup_matches_search_for_several_buckets() {
    let matrix = matrix_of(several_buckets(12));
    assert_eq!(matrix.buckets.len(), 13);

    assert_lookups_match(&matrix, "evaluated order");
}

#[test]
fn lookup_matches_search_in_other_orders() {
    let evaluated = matrix_of(several_buckets(4));

    let mut reversed = evaluated.clone();
    reversed.cells.reverse();
    assert_lookups_match(&reversed, "reversed");

    let mut rotated = evaluated.clone();
    rotated.cells.rotate_left(7);
    assert_lookups_match(&rotated, "rotated by 7");

    // Buckets listed in another order than their cells.
    let mut buckets_reversed = evaluated.clone();
    buckets_reversed.buckets.reverse();
    assert_lookups_match(&buckets_reversed, "bucket list reversed");

    // One cell missing shifts every later position.
    let mut one_missing = evaluated;
    one_missing.cells.remove(20);
    assert_lookups_match(&one_missing, "one cell missing");
}

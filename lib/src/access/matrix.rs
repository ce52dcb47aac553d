//! The access matrix: every request source against every S3 action on
//! every bucket of the stack, each cell an [`Evaluation`] with the deciding
//! layer and statement.

use serde_json::json;

use super::decision::{Deciding, Decision, Evaluation, Layer};
use super::document::{Policy, PolicyKind};
use super::evaluate::{evaluate, PolicySet};
use super::model::{Bucket, StackModel};
use super::request::{Request, ResourceState};
use super::sources::{RequestSource, Route, OTHER_VPC_ENDPOINT};

/// The S3 actions the matrix evaluates, in column order.
pub const MATRIX_ACTIONS: [&str; 16] = [
    "s3:PutObject",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectAcl",
    "s3:PutObjectRetention",
    "s3:BypassGovernanceRetention",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketVersioning",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:DeleteBucket",
];

/// The object key that object-level cells act on.
pub const PROBE_KEY: &str = "backups/probe.tar.zst";

/// Returns `true` for actions on objects (as opposed to the bucket).
pub fn is_object_action(action: &str) -> bool {
    matches!(
        action,
        "s3:PutObject"
            | "s3:GetObject"
            | "s3:GetObjectVersion"
            | "s3:DeleteObject"
            | "s3:DeleteObjectVersion"
            | "s3:PutObjectAcl"
            | "s3:PutObjectRetention"
            | "s3:BypassGovernanceRetention"
            | "s3:AbortMultipartUpload"
            | "s3:PutObjectTagging"
            | "s3:PutObjectLegalHold"
    )
}

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Cell {
    /// Source name.
    pub source: String,
    /// Action.
    pub action: String,
    /// Bucket logical ID.
    pub bucket: String,
    /// The decision and its reasons.
    pub evaluation: Evaluation,
}

/// The whole matrix.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Matrix {
    /// Source names, in row order.
    pub sources: Vec<String>,
    /// Actions, in column order.
    pub actions: Vec<String>,
    /// Bucket logical IDs.
    pub buckets: Vec<String>,
    /// Cells, bucket by bucket, then row by row.
    pub cells: Vec<Cell>,
}

impl Matrix {
    /// Evaluates every source, action and bucket of the model.
    pub fn evaluate(model: &StackModel) -> Matrix {
        let mut cells = Vec::new();
        for bucket in &model.buckets {
            for source in &model.sources {
                for action in MATRIX_ACTIONS {
                    cells.push(Cell {
                        source: source.name.clone(),
                        action: action.to_owned(),
                        bucket: bucket.logical_id.clone(),
                        evaluation: evaluate_cell(model, source, action, bucket),
                    });
                }
            }
        }
        Matrix {
            sources: model.sources.iter().map(|s| s.name.clone()).collect(),
            actions: MATRIX_ACTIONS.iter().map(|a| (*a).to_owned()).collect(),
            buckets: model.buckets.iter().map(|b| b.logical_id.clone()).collect(),
            cells,
        }
    }

    /// Returns the cell of `source` and `action` on `bucket`, or on the
    /// first bucket when `bucket` is `None`.
    pub fn cell(&self, source: &str, action: &str, bucket: Option<&str>) -> Option<&Cell> {
        let bucket = bucket.or_else(|| self.buckets.first().map(String::as_str))?;
        self.cells.iter().find(|cell| cell.source == source && cell.bucket == bucket && cell.action.eq_ignore_ascii_case(action))
    }
}

/// Evaluates the full matrix of a model; a stable entry point for benchmarks.
pub fn evaluate_matrix(model: &StackModel) -> Matrix {
    Matrix::evaluate(model)
}

/// Assembles the policies that apply to a source's request to a bucket.
pub fn policy_set(model: &StackModel, source: &RequestSource, bucket: &Bucket) -> PolicySet {
    let full_access = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]});
    let default_policy = |id: &str| Policy::from_json(&full_access, id, PolicyKind::Resource).expect("the default endpoint policy is valid");
    let mut endpoints: Vec<Policy> = model
        .network
        .endpoints
        .iter()
        .filter(|endpoint| endpoint.is_s3_gateway())
        .map(|endpoint| match &endpoint.policy {
            // StackModel::from_template has already rejected policies that do not parse.
            Some(document) => Policy::from_json(document, &endpoint.id, PolicyKind::Resource).unwrap_or_else(|_| default_policy(&endpoint.id)),
            None => default_policy(&endpoint.id),
        })
        .collect();
    endpoints.push(default_policy(OTHER_VPC_ENDPOINT));
    PolicySet {
        identity: source.identity.clone(),
        resource: bucket.policy.clone(),
        vpc_endpoints: endpoints,
        permission_boundary: source.boundary.clone(),
        ..PolicySet::default()
    }
}

/// Builds the request a source sends for `action` on `bucket`.
pub fn request_for(model: &StackModel, source: &RequestSource, action: &str, bucket: &Bucket) -> Request {
    let resource = if is_object_action(action) { format!("{}/{PROBE_KEY}", bucket.arn) } else { bucket.arn.clone() };
    Request {
        caller: source.caller.clone(),
        action: action.to_owned(),
        resource,
        resource_account: model.settings.environment.account.clone(),
        context: source.context.clone(),
    }
}

/// Returns the service-side state a cell's request meets: versions under the
/// bucket's default retention, and a caller that sends the governance
/// bypass header whenever it helps.
pub fn state_for(bucket: &Bucket) -> ResourceState {
    match bucket.default_retention {
        Some((mode, _)) if bucket.object_lock => ResourceState {
            object_lock_mode: Some(mode),
            version_under_retention: true,
            bypass_governance_header: true,
            ..ResourceState::default()
        },
        _ => ResourceState::default(),
    }
}

/// Evaluates one cell.
pub fn evaluate_cell(model: &StackModel, source: &RequestSource, action: &str, bucket: &Bucket) -> Evaluation {
    if source.route == Route::Unreachable {
        return Evaluation {
            decision: Decision::Denied,
            decided_by: vec![Deciding { layer: Layer::Network, scope: source.subnet.clone(), policy: None, statement: None, effect: "unreachable" }],
            reason: "no route from the source reaches S3".to_owned(),
        };
    }
    evaluate(&policy_set(model, source, bucket), &request_for(model, source, action, bucket), &state_for(bucket))
}

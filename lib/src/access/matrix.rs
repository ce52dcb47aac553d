//! The access matrix: every request source against every S3 action on
//! every bucket of the stack, each cell an [`Evaluation`] with the deciding
//! layer and statement.

use serde_json::json;

use super::compiled::{CompiledPolicy, Layers};
use super::decision::{Deciding, Decision, Evaluation, Layer};
use super::document::{Policy, PolicyKind};
use super::evaluate::{evaluate, evaluate_compiled, PolicySet};
use super::model::{Bucket, StackModel};
use super::request::{Request, RequestRef, ResourceState};
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
    ///
    /// Each cell gets the decision [`evaluate_cell`] returns, but every
    /// policy is parsed and compiled once for the whole matrix, and a
    /// source's caller and context are shared by its cells.
    pub fn evaluate(model: &StackModel) -> Matrix {
        let endpoint_policies = endpoint_policies(model);
        let endpoints = CompiledPolicy::all(&endpoint_policies);
        let principals = SourcePolicies::compile(&model.sources);
        let account = model.settings.environment.account.as_str();
        let mut cells = Vec::with_capacity(model.buckets.len() * model.sources.len() * MATRIX_ACTIONS.len());
        for bucket in &model.buckets {
            let bucket_policy = bucket.policy.as_ref().map(CompiledPolicy::new);
            let object_arn = object_arn(bucket);
            let state = state_for(bucket);
            for (index, source) in model.sources.iter().enumerate() {
                let (identity, boundary) = principals.of(index);
                // The same layers as `policy_set` assembles for this source and bucket.
                let layers = Layers {
                    identity,
                    resource: bucket_policy.as_ref(),
                    vpc_endpoints: &endpoints,
                    scps: &[],
                    rcps: &[],
                    permission_boundary: boundary,
                    session: None,
                };
                for action in MATRIX_ACTIONS {
                    let evaluation = match unreachable_denial(source) {
                        Some(evaluation) => evaluation,
                        None => {
                            let resource = if is_object_action(action) { object_arn.as_str() } else { bucket.arn.as_str() };
                            let request = RequestRef { caller: &source.caller, action, resource, resource_account: account, context: &source.context };
                            evaluate_compiled(layers, request, &state)
                        }
                    };
                    cells.push(Cell { source: source.name.clone(), action: action.to_owned(), bucket: bucket.logical_id.clone(), evaluation });
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
        let matches = |cell: &&Cell| cell.source == source && cell.bucket == bucket && cell.action.eq_ignore_ascii_case(action);
        // `Matrix::evaluate` lays the cells out bucket by bucket, source by
        // source, in action order, so the position can be computed. A search
        // through every cell per lookup made verify quadratic in the buckets.
        let position = self.buckets.iter().position(|name| name == bucket).and_then(|bucket_index| {
            let source_index = self.sources.iter().position(|name| name == source)?;
            let action_index = self.actions.iter().position(|name| name.eq_ignore_ascii_case(action))?;
            Some((bucket_index * self.sources.len() + source_index) * self.actions.len() + action_index)
        });
        match position.and_then(|index| self.cells.get(index)).filter(matches) {
            Some(cell) => Some(cell),
            // A matrix assembled in another order is searched.
            None => self.cells.iter().find(matches),
        }
    }
}

/// The compiled identity policies and boundary of every source. Sources
/// with the same policies, such as the sources that use one role's
/// credentials, share one compiled copy.
struct SourcePolicies<'p> {
    distinct: Vec<CompiledPrincipalPolicies<'p>>,
    /// For each source, its index in `distinct`.
    by_source: Vec<usize>,
}

/// One distinct pair of identity policies and boundary, with its compiled form.
struct CompiledPrincipalPolicies<'p> {
    identity: &'p [Policy],
    boundary: &'p [Policy],
    compiled_identity: Vec<CompiledPolicy<'p>>,
    compiled_boundary: Vec<CompiledPolicy<'p>>,
}

impl<'p> SourcePolicies<'p> {
    fn compile(sources: &'p [RequestSource]) -> SourcePolicies<'p> {
        let mut distinct: Vec<CompiledPrincipalPolicies<'p>> = Vec::new();
        let mut by_source = Vec::with_capacity(sources.len());
        for source in sources {
            let same = distinct.iter().position(|known| known.identity == source.identity.as_slice() && known.boundary == source.boundary.as_slice());
            let index = same.unwrap_or_else(|| {
                distinct.push(CompiledPrincipalPolicies {
                    identity: &source.identity,
                    boundary: &source.boundary,
                    compiled_identity: CompiledPolicy::all(&source.identity),
                    compiled_boundary: CompiledPolicy::all(&source.boundary),
                });
                distinct.len() - 1
            });
            by_source.push(index);
        }
        SourcePolicies { distinct, by_source }
    }

    /// Returns the compiled identity policies and boundary of the source at `index`.
    fn of(&self, index: usize) -> (&[CompiledPolicy<'p>], &[CompiledPolicy<'p>]) {
        let policies = &self.distinct[self.by_source[index]];
        (&policies.compiled_identity, &policies.compiled_boundary)
    }
}

/// Evaluates the full matrix of a model; a stable entry point for benchmarks.
pub fn evaluate_matrix(model: &StackModel) -> Matrix {
    Matrix::evaluate(model)
}

/// Assembles the policies that apply to a source's request to a bucket.
pub fn policy_set(model: &StackModel, source: &RequestSource, bucket: &Bucket) -> PolicySet {
    PolicySet {
        identity: source.identity.clone(),
        resource: bucket.policy.clone(),
        vpc_endpoints: endpoint_policies(model),
        permission_boundary: source.boundary.clone(),
        ..PolicySet::default()
    }
}

/// Parses the policies of the model's S3 gateway endpoints, named by
/// endpoint ID, followed by the default full-access policy of the
/// endpoint in another VPC.
fn endpoint_policies(model: &StackModel) -> Vec<Policy> {
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
    endpoints
}

/// Builds the ARN of the probe object in `bucket`.
fn object_arn(bucket: &Bucket) -> String {
    format!("{}/{PROBE_KEY}", bucket.arn)
}

/// Builds the request a source sends for `action` on `bucket`.
pub fn request_for(model: &StackModel, source: &RequestSource, action: &str, bucket: &Bucket) -> Request {
    let resource = if is_object_action(action) { object_arn(bucket) } else { bucket.arn.clone() };
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
/// bypass header whenever it helps. Each cell stands for the request that
/// weakens backups most: a retention change shortens it, and a
/// `PutBucketVersioning` request suspends versioning.
pub fn state_for(bucket: &Bucket) -> ResourceState {
    let acls_disabled = bucket.acls_disabled;
    let bucket_object_lock = bucket.object_lock;
    match bucket.default_retention {
        Some((mode, _)) if bucket.object_lock => ResourceState {
            object_lock_mode: Some(mode),
            version_under_retention: true,
            bypass_governance_header: true,
            acls_disabled,
            bucket_object_lock,
            ..ResourceState::default()
        },
        _ => ResourceState { acls_disabled, bucket_object_lock, ..ResourceState::default() },
    }
}

/// Evaluates one cell.
pub fn evaluate_cell(model: &StackModel, source: &RequestSource, action: &str, bucket: &Bucket) -> Evaluation {
    if let Some(evaluation) = unreachable_denial(source) {
        return evaluation;
    }
    evaluate(&policy_set(model, source, bucket), &request_for(model, source, action, bucket), &state_for(bucket))
}

/// Returns the denial of every request of a source without a route to S3.
fn unreachable_denial(source: &RequestSource) -> Option<Evaluation> {
    (source.route == Route::Unreachable).then(|| Evaluation {
        decision: Decision::Denied,
        decided_by: vec![Deciding { layer: Layer::Network, scope: source.subnet.clone(), policy: None, statement: None, effect: "unreachable" }],
        reason: "no route from the source reaches S3".to_owned(),
    })
}

//! Offline access proofs: an IAM policy evaluator for S3 requests and the
//! template analysis that turns a CloudFormation template into requests.
//!
//! The evaluator follows AWS's documented evaluation logic across every
//! layer (identity, bucket, VPC endpoint, SCP, RCP, permissions boundary,
//! session policy) and models the S3 state that IAM does not decide,
//! such as Object Lock retention. Each decision names the layers, policies
//! and statements behind it.
//!
//! ```
//! use vaultgate_core::access::{evaluate, Caller, Context, Decision, Policy, PolicyKind, PolicySet, Request, ResourceState};
//!
//! let policy = Policy::parse_str(
//!     r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::backups/*"}]}"#,
//!     "writer",
//!     PolicyKind::Identity,
//! ).unwrap();
//! let policies = PolicySet { identity: vec![policy], ..PolicySet::default() };
//! let request = Request {
//!     caller: Caller::parse("arn:aws:sts::111122223333:assumed-role/writer/i-1", None).unwrap(),
//!     action: "s3:PutObject".into(),
//!     resource: "arn:aws:s3:::backups/db.tar".into(),
//!     resource_account: "111122223333".into(),
//!     context: Context::new(),
//! };
//! assert_eq!(evaluate(&policies, &request, &ResourceState::default()).decision, Decision::Allowed);
//! ```

mod assert;
mod compiled;
mod condition;
mod decision;
mod document;
mod evaluate;
mod expectations;
mod findings;
mod kms;
mod matrix;
mod model;
mod network;
mod pattern;
mod request;
mod report;
mod resolve;
mod scenario;
mod sources;
mod trust;

pub use condition::{BaseOperator, Operator, SetQualifier};
pub use decision::{Deciding, Decision, Evaluation, Layer};
pub use document::{Condition, NameList, Policy, PolicyKind, PolicyStatement, PrincipalElement};
pub use evaluate::{evaluate, evaluate_iam, evaluate_kms, OrgLevel, PolicySet};
pub use request::{Caller, Context, LockMode, Request, ResourceState};
pub use resolve::{Environment, Resolver};
pub use scenario::{Expected, Scenario};
pub use matrix::{evaluate_cell, evaluate_matrix, is_object_action, policy_set, request_for, state_for, Cell, Matrix, MATRIX_ACTIONS, PROBE_KEY};
pub use model::{Bucket, LifecycleRule, Role, Settings, StackModel};
pub use network::{DefaultRoute, Endpoint, Instance, Network, RouteTable, S3Path, Subnet, Vpc};
pub use sources::{build_context, RequestSource, Route, SourceKind, OTHER_VPC, OTHER_VPC_ENDPOINT};
pub use expectations::{Expectation, Expectations, RouteKind, SubnetKind, Violation, DEFAULT_EXPECTATIONS};
pub use findings::{findings, template_findings, template_size_findings, Finding};
pub use report::{diff, verify, CellChange, Report};
pub use assert::{assert_access, AccessAssert, AccessQuery};
pub use trust::{open_trust, OpenTrust};

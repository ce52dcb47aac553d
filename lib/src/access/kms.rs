//! SSE-KMS: when a bucket encrypts objects by default with a KMS key, S3
//! sends a request to KMS on the caller's behalf for every upload and every
//! read (a forward access session, in the IAM user guide's words). The S3
//! request fails unless the key lets the caller use it. The access matrix
//! contains S3's own decision, so this module checks the key for each cell
//! that S3 allows and reports the cells that the key would still refuse.

use serde_json::{json, Value as Json};

use super::evaluate::{evaluate_kms, PolicySet};
use super::findings::Finding;
use super::matrix::Matrix;
use super::model::StackModel;
use super::request::Request;
use super::resolve::Resolver;
use crate::template::Template;
use crate::validate::Severity;

/// The KMS permission that each S3 action of the matrix needs on an
/// SSE-KMS bucket: a data key to encrypt an upload, decryption to read.
const KMS_ACTIONS: [(&str, &str); 3] =
    [("s3:PutObject", "kms:GenerateDataKey"), ("s3:GetObject", "kms:Decrypt"), ("s3:GetObjectVersion", "kms:Decrypt")];

/// Context keys of the S3 request that the KMS request, which S3 sends on
/// the caller's behalf, does not carry: it does not pass through the VPC
/// (the KMS developer guide warns that VPC conditions fail such requests).
// NOTE: every other key of the S3 request is taken to reach KMS unchanged.
// Which global keys a forward access session carries was not checked key
// by key.
const NETWORK_KEYS: [&str; 3] = ["aws:SourceVpce", "aws:SourceVpc", "aws:VpcSourceIp"];

/// Reports the sources that S3 lets upload to or read from an SSE-KMS
/// bucket but whose KMS request the bucket's key would refuse (code
/// `kms-key-denies`). A bucket whose key the template does not define
/// cannot be checked and gets a warning (code `kms-key-not-evaluated`).
pub(crate) fn kms_findings(template: &Template, model: &StackModel, matrix: &Matrix) -> Vec<Finding> {
    let resolver = Resolver::new(template, model.settings.environment.clone());
    let mut found = Vec::new();
    for bucket in &model.buckets {
        let Some(written_key) = default_kms_key(template, &bucket.logical_id) else { continue };
        let Some(key_id) = key_in_template(template, &written_key) else {
            found.push(finding(
                Severity::Warning,
                "kms-key-not-evaluated",
                &bucket.logical_id,
                format!("the bucket encrypts with KMS key {written_key}, which this template does not define, so verify cannot check that the writer and the readers may use it; check its key policy by hand"),
            ));
            continue;
        };
        let Some(key_policy) = key_policy(&resolver, &key_id) else { continue };
        let environment = resolver.environment();
        let Ok(Json::String(key_arn)) = resolver.attribute(&key_id, "Arn") else { continue };
        for cell in matrix.cells.iter().filter(|cell| cell.bucket == bucket.logical_id && cell.evaluation.decision.is_allowed()) {
            let Some((_, kms_action)) = KMS_ACTIONS.iter().find(|(s3_action, _)| *s3_action == cell.action) else { continue };
            let Some(source) = model.source(&cell.source) else { continue };
            let mut context = source.context.clone();
            for key in NETWORK_KEYS {
                context.remove(key);
            }
            context.insert("kms:ViaService", format!("s3.{}.amazonaws.com", environment.region));
            context.insert("kms:CallerAccount", environment.account.clone());
            let request = Request {
                caller: source.caller.clone(),
                action: (*kms_action).to_owned(),
                resource: key_arn.clone(),
                resource_account: environment.account.clone(),
                context,
            };
            let policies = PolicySet {
                identity: source.identity.clone(),
                resource: Some(key_policy.clone()),
                permission_boundary: source.boundary.clone(),
                ..PolicySet::default()
            };
            let evaluation = evaluate_kms(&policies, &request);
            if !evaluation.decision.is_allowed() {
                found.push(finding(
                    Severity::Error,
                    "kms-key-denies",
                    &source.name,
                    format!(
                        "S3 allows {} on bucket {}, but KMS key {key_id} refuses {kms_action} ({}), so the request fails with AccessDenied; allow {kms_action} on the key in the caller's identity policy and enable IAM policies in the key policy, or grant the caller in the key policy",
                        cell.action, bucket.logical_id, evaluation.reason
                    ),
                ));
            }
        }
    }
    found
}

/// Returns the `KMSMasterKeyID` of a bucket's default SSE-KMS encryption as
/// written, or `None` for a bucket without SSE-KMS or with the AWS managed
/// key (`aws/s3`), which every caller in the account may use through S3.
fn default_kms_key(template: &Template, bucket: &str) -> Option<Json> {
    let rules = template.resources.get(bucket)?.properties.get("BucketEncryption")?.get("ServerSideEncryptionConfiguration")?;
    rules.as_array()?.iter().find_map(|rule| {
        let default = rule.get("ServerSideEncryptionByDefault")?;
        let algorithm = default.get("SSEAlgorithm")?.as_str()?;
        if !algorithm.starts_with("aws:kms") {
            return None;
        }
        default.get("KMSMasterKeyID").cloned()
    })
}

/// Returns the logical ID of the `AWS::KMS::Key` that a written key ID
/// refers to with `Ref` or `Fn::GetAtt`, if the template defines it.
fn key_in_template(template: &Template, written: &Json) -> Option<String> {
    let id = match written {
        Json::Object(map) => match (map.get("Ref"), map.get("Fn::GetAtt")) {
            (Some(Json::String(id)), _) => id.clone(),
            (_, Some(Json::Array(parts))) => parts.first()?.as_str()?.to_owned(),
            (_, Some(Json::String(dotted))) => dotted.split_once('.').map_or(dotted.as_str(), |(id, _)| id).to_owned(),
            _ => return None,
        },
        _ => return None,
    };
    (template.resources.get(&id)?.resource_type == "AWS::KMS::Key").then_some(id)
}

/// Returns the key's resolved key policy. A key without one gets the
/// default key policy, which enables IAM policies for the account.
fn key_policy(resolver: &Resolver<'_>, key_id: &str) -> Option<super::document::Policy> {
    let properties = resolver.properties(key_id).ok()?;
    let environment = resolver.environment();
    let default = || {
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:{}:iam::{}:root", environment.partition, environment.account)},
            "Action": "kms:*",
            "Resource": "*",
        }]})
    };
    let document = properties.get("KeyPolicy").cloned().unwrap_or_else(default);
    let document = match document {
        Json::String(text) => serde_json::from_str(&text).ok()?,
        other => other,
    };
    super::document::Policy::from_json(&document, &format!("{key_id} key policy"), super::document::PolicyKind::Resource).ok()
}

fn finding(severity: Severity, code: &'static str, subject: &str, message: String) -> Finding {
    Finding { severity, code, subject: subject.to_owned(), message }
}

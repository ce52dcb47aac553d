//! Design findings: mistakes in the backup architecture that the access
//! matrix alone does not spell out, each with a severity, a stable code,
//! the resource or source at fault and the fix.

use indexmap::IndexMap;
use serde::Serialize;

use super::decision::{Decision, Layer};
use super::document::{Policy, PolicyStatement};
use super::evaluate::{evaluate_iam, PolicySet};
use super::matrix::{is_object_action, Matrix, MATRIX_ACTIONS};
use super::model::StackModel;
use super::network::DefaultRoute;
use super::pattern::{action_matches, Pattern};
use super::request::{Caller, Request};
use super::sources::{Route, SourceKind};
use super::trust::open_trust;
use crate::policy::Effect;
use crate::template::Template;
use crate::validate::{size_problems, validate_template_except_size, Problem, Severity};

/// One design finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `error` or `warning`; errors make `vaultgate verify` fail.
    #[serde(serialize_with = "severity_name")]
    pub severity: Severity,
    /// Stable kebab-case code, such as `no-restore-path`.
    pub code: &'static str,
    /// The logical ID or source name at fault.
    pub subject: String,
    /// The problem and its fix.
    pub message: String,
}

fn severity_name<S: serde::Serializer>(severity: &Severity, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    })
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = if self.severity == Severity::Error { "error" } else { "warning" };
        write!(f, "{level} [{}] {}: {}", self.code, self.subject, self.message)
    }
}

/// Actions a writer must never be granted: they change or destroy what
/// was written.
const DANGEROUS_WRITER_ACTIONS: [&str; 5] =
    ["s3:PutObjectAcl", "s3:PutObjectRetention", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"];

/// Collects every finding of a model and its matrix, errors first.
pub fn findings(model: &StackModel, matrix: &Matrix) -> Vec<Finding> {
    let mut found = Vec::new();
    network_findings(model, &mut found);
    endpoint_policy_findings(model, &mut found);
    bucket_policy_findings(model, &mut found);
    writer_findings(model, matrix, &mut found);
    bucket_findings(model, matrix, &mut found);
    package_repository_findings(model, &mut found);
    trust_findings(model, &mut found);
    for role in model.roles.iter().filter(|role| !role.unknown_policies.is_empty()) {
        found.push(warning("unknown-managed-policy", &role.logical_id, format!(
            "managed policies {} are not in the template and not known to vaultgate, so the matrix leaves them out; attach a customer managed policy from the template instead",
            role.unknown_policies.join(", ")
        )));
    }
    found.sort_by_key(|finding| finding.severity);
    found
}

/// Returns the problems that synthesis validation finds in `template`, each
/// as a finding with the code `invalid-template` and the logical ID at fault
/// (or `template`) as its subject. The size in bytes is not checked, because
/// it depends on the text sent: see [`template_size_findings`].
///
/// A template with a `Transform` (such as `AWS::Serverless-2016-10-31`) is
/// not validated, because its macros add resources that its references may
/// name. One warning reports that instead.
pub fn template_findings(template: &Template) -> Vec<Finding> {
    let mut found = deploy_time_protection(template);
    if let Some(transform) = &template.transform {
        found.push(warning(
            "template-not-validated",
            "template",
            format!("the template declares Transform {transform}, whose macros CloudFormation expands before validating, so synthesis validation was skipped; verify the processed template (`aws cloudformation get-template --template-stage Processed`) to check it"),
        ));
        return found;
    }
    found.extend(validate_template_except_size(template, &IndexMap::new()).into_iter().map(invalid_template));
    found
}

/// The bucket properties that protect backups from being changed or
/// deleted, as paths below `Properties`.
const PROTECTION_PATHS: [&[&str]; 6] = [
    &["ObjectLockEnabled"],
    &["ObjectLockConfiguration", "ObjectLockEnabled"],
    &["ObjectLockConfiguration", "Rule", "DefaultRetention", "Mode"],
    &["ObjectLockConfiguration", "Rule", "DefaultRetention", "Days"],
    &["ObjectLockConfiguration", "Rule", "DefaultRetention", "Years"],
    &["VersioningConfiguration", "Status"],
];

/// Reports bucket protections that an intrinsic function sets, such as a
/// retention mode from a parameter. verify resolves parameters to their
/// defaults and conditions from those, so its proof holds for those values
/// only. A deploy with other values can weaken the protection unseen.
fn deploy_time_protection(template: &Template) -> Vec<Finding> {
    let mut found = Vec::new();
    for (logical_id, resource) in template.resources.iter().filter(|(_, resource)| resource.resource_type == "AWS::S3::Bucket") {
        // A whole block written as an intrinsic, such as an Fn::If around
        // ObjectLockConfiguration, is reported once, at the block.
        let mut reported: Vec<String> = Vec::new();
        for path in PROTECTION_PATHS {
            let mut value = resource.properties.get(path[0]);
            for depth in 1..=path.len() {
                let Some(current) = value else { break };
                let at = path[..depth].join(".");
                if is_intrinsic(current) && !reported.iter().any(|done| at.starts_with(done.as_str())) {
                    found.push(warning(
                        "protection-set-at-deploy",
                        logical_id,
                        format!(
                            "{at} is {current}, which CloudFormation resolves only at deploy time; verify assumed the defaults of the parameters and conditions it uses, so a deploy with other values can weaken Object Lock or versioning without a finding; write the value in the template, or verify a template with each value you deploy"
                        ),
                    ));
                    reported.push(at);
                    break;
                }
                value = path.get(depth).and_then(|key| current.get(key));
            }
        }
    }
    found
}

/// Returns `true` for a `Ref` or `Fn::` intrinsic function: an object with
/// one key, which names the function.
fn is_intrinsic(value: &serde_json::Value) -> bool {
    value.as_object().is_some_and(|map| map.len() == 1 && map.keys().all(|key| key == "Ref" || key.starts_with("Fn::")))
}

/// Checks a template body of `size` bytes, as it will be sent to
/// CloudFormation, against the size limits, with the code `invalid-template`.
pub fn template_size_findings(size: usize) -> Vec<Finding> {
    size_problems(size).into_iter().map(invalid_template).collect()
}

fn invalid_template(problem: Problem) -> Finding {
    Finding {
        severity: problem.severity,
        code: "invalid-template",
        subject: problem.logical_id.unwrap_or_else(|| "template".to_owned()),
        message: problem.message,
    }
}

fn error(code: &'static str, subject: &str, message: String) -> Finding {
    Finding { severity: Severity::Error, code, subject: subject.to_owned(), message }
}

fn warning(code: &'static str, subject: &str, message: String) -> Finding {
    Finding { severity: Severity::Warning, code, subject: subject.to_owned(), message }
}

fn network_findings(model: &StackModel, found: &mut Vec<Finding>) {
    for endpoint in model.network.endpoints.iter().filter(|e| e.is_s3_gateway()) {
        if endpoint.route_tables.is_empty() {
            found.push(error("endpoint-without-route-tables", &endpoint.logical_id, "the S3 gateway endpoint lists no RouteTableIds, so no subnet's traffic goes through it; add the private subnets' route tables".to_owned()));
        }
        for table in endpoint.route_tables.iter().filter_map(|id| model.network.route_table(id)) {
            if let Some(DefaultRoute::InternetGateway(gateway)) = &table.default_route {
                // An error, because it gives public subnets, such as the
                // bastion's, the same aws:SourceVpce as the writer.
                found.push(error("public-route-table-on-endpoint", &endpoint.logical_id, format!(
                    "route table {} routes 0.0.0.0/0 to internet gateway {gateway} and is attached to the endpoint, so public subnets reach the bucket with the endpoint's aws:SourceVpce and pass the bucket policy's endpoint check; remove it from RouteTableIds and attach only private route tables",
                    table.logical_id
                )));
            }
        }
    }
}

fn endpoint_policy_findings(model: &StackModel, found: &mut Vec<Finding>) {
    for endpoint in model.network.endpoints.iter().filter(|e| e.is_s3_gateway()) {
        let Some(document) = &endpoint.policy else { continue };
        // The model rejects templates whose endpoint policies do not parse.
        let Ok(policy) = Policy::from_json(document, &endpoint.logical_id, super::document::PolicyKind::Resource) else { continue };
        if !policy.statements.iter().any(|s| s.effect == Effect::Allow) {
            found.push(error("endpoint-policy-without-allow", &endpoint.logical_id, "the endpoint policy has no Allow statement, so every S3 request through the endpoint is denied; allow s3:PutObject on the backup bucket's objects".to_owned()));
        }
        for statement in &policy.statements {
            let principal = statement.principal.as_ref().filter(|p| !p.negated);
            if principal.is_some_and(|p| p.aws.iter().any(|entry| entry.len() == 12 || entry.ends_with(":root"))) {
                found.push(warning("endpoint-policy-account-principal", &endpoint.logical_id, format!(
                    "statement {} names an account as principal; in a gateway endpoint policy use Principal \"*\" with an aws:PrincipalArn condition to name principals",
                    statement.label()
                )));
            }
        }
    }
}

fn names_key(statement: &PolicyStatement, key: &str) -> bool {
    statement.conditions.iter().any(|condition| condition.key.eq_ignore_ascii_case(key))
}

fn bucket_policy_findings(model: &StackModel, found: &mut Vec<Finding>) {
    let has_endpoint = model.network.endpoints.iter().any(|e| e.is_s3_gateway());
    for bucket in &model.buckets {
        let Some(policy) = &bucket.policy else { continue };
        let object_arn = format!("{}/probe", bucket.arn);
        for statement in policy.statements.iter().filter(|s| s.effect == Effect::Deny) {
            if has_endpoint && names_key(statement, "aws:SourceVpc") && !names_key(statement, "aws:SourceVpce") {
                found.push(warning("source-vpc-instead-of-vpce", &bucket.logical_id, format!(
                    "statement {} tests aws:SourceVpc, which any endpoint in the VPC satisfies, including one with the default full-access policy; test aws:SourceVpce against the backup endpoint's ID",
                    statement.label()
                )));
            }
            let resource_matches = |arn: &str| {
                statement.resource.as_ref().is_some_and(|list| {
                    let listed = list.patterns.iter().any(|p| Pattern::compile(p, true, None).is_some_and(|c| c.matches_arn(arn)));
                    listed != list.negated
                })
            };
            let covers = |action: &str| {
                let listed = statement.action.patterns.iter().any(|p| action_matches(p, action));
                listed != statement.action.negated
            };
            if covers("s3:PutBucketPolicy") && !resource_matches(&bucket.arn) {
                found.push(warning("deny-missing-bucket-arn", &bucket.logical_id, format!(
                    "Deny statement {} covers bucket actions but not the bucket ARN {}, so bucket-level requests escape it; add the bucket ARN to Resource",
                    statement.label(), bucket.arn
                )));
            }
            if covers("s3:PutObject") && !resource_matches(&object_arn) {
                found.push(warning("deny-missing-object-arn", &bucket.logical_id, format!(
                    "Deny statement {} covers object actions but not {}/*, so object requests escape it; add the object ARN pattern to Resource",
                    statement.label(), bucket.arn
                )));
            }
            if covers("s3:PutBucketPolicy") && resource_matches(&bucket.arn) && statement.conditions.is_empty() && statement.principal.as_ref().is_some_and(|p| p.anyone && !p.negated) {
                found.push(error("unconditional-policy-deny", &bucket.logical_id, format!(
                    "Deny statement {} denies s3:PutBucketPolicy to everyone with no condition, so only the root user can ever change the policy again; exempt the administrator role with an aws:PrincipalArn condition",
                    statement.label()
                )));
            }
        }
    }
}

/// Returns the instance sources that can upload to some bucket.
fn writers<'m>(model: &'m StackModel, matrix: &Matrix) -> Vec<&'m super::sources::RequestSource> {
    model
        .sources
        .iter()
        .filter(|source| source.kind == SourceKind::Instance)
        .filter(|source| matrix.cells.iter().any(|c| c.source == source.name && c.action == "s3:PutObject" && c.evaluation.decision.is_allowed()))
        .collect()
}

fn writer_findings(model: &StackModel, matrix: &Matrix, found: &mut Vec<Finding>) {
    // A writer whose role may upload but whose subnet's route table is not
    // on the endpoint. Public subnets are left out: an instance there with
    // the writer role (an acceptance-test bastion) must be refused, and
    // attaching its route table would let it upload.
    let private = |s: &&super::sources::RequestSource| s.subnet.as_deref().is_none_or(|subnet| !model.network.is_public_subnet(subnet));
    for source in model.sources.iter().filter(|s| s.kind == SourceKind::Instance && !matches!(s.route, Route::Endpoint { .. })).filter(private) {
        let identity_allows_upload = model.buckets.iter().any(|bucket| {
            let request = Request {
                caller: source.caller.clone(),
                action: "s3:PutObject".to_owned(),
                resource: format!("{}/probe", bucket.arn),
                resource_account: model.settings.environment.account.clone(),
                context: source.context.clone(),
            };
            let identity_only = PolicySet { identity: source.identity.clone(), ..PolicySet::default() };
            evaluate_iam(&identity_only, &request).decision.is_allowed()
        });
        if identity_allows_upload && model.network.endpoints.iter().any(|e| e.is_s3_gateway()) {
            let table = source.subnet.as_deref().and_then(|s| model.network.subnet(s)).and_then(|s| s.route_table.clone()).unwrap_or_else(|| "the main route table".to_owned());
            found.push(error("writer-subnet-not-on-endpoint", &source.name, format!(
                "the instance's role may upload backups, but route table {table} of its private subnet is not attached to the S3 gateway endpoint; add it to the endpoint's RouteTableIds"
            )));
        }
    }
    for source in writers(model, matrix) {
        for action in DANGEROUS_WRITER_ACTIONS {
            let allowed = matrix.cells.iter().find(|c| c.source == source.name && c.action == action && c.evaluation.decision.is_allowed());
            if let Some(cell) = allowed {
                found.push(error("writer-granted-dangerous-action", &source.name, format!(
                    "the writer is allowed {action} on bucket {} ({}); grant only s3:PutObject",
                    cell.bucket, cell.evaluation.reason
                )));
            }
        }
        let globbed: Vec<String> = source
            .identity
            .iter()
            .flat_map(|policy| policy.statements.iter().filter(|s| s.effect == Effect::Allow).map(move |s| (policy, s)))
            .filter(|(_, s)| s.action.negated || s.action.patterns.iter().any(|p| p.contains('*') || p.contains('?')))
            .map(|(policy, s)| format!("{} {}", policy.name, s.label()))
            .collect();
        if !globbed.is_empty() {
            found.push(warning("writer-action-glob", &source.name, format!(
                "the writer's policies grant actions by wildcard or NotAction ({}), which silently grows as S3 adds actions; list actions by name",
                globbed.join(", ")
            )));
        }
    }
    for endpoint in model.network.endpoints.iter().filter(|e| e.is_s3_gateway()) {
        let Some(policy) = endpoint.policy.as_ref().and_then(|d| Policy::from_json(d, &endpoint.logical_id, super::document::PolicyKind::Resource).ok()) else { continue };
        for statement in policy.statements.iter().filter(|s| s.effect == Effect::Allow) {
            let dangerous: Vec<&str> = DANGEROUS_WRITER_ACTIONS.iter().copied().filter(|a| statement.action.patterns.iter().any(|p| action_matches(p, a)) != statement.action.negated).collect();
            if !dangerous.is_empty() {
                found.push(error("endpoint-allows-dangerous-action", &endpoint.logical_id, format!(
                    "endpoint statement {} allows {} through the writers' path; allow only s3:PutObject",
                    statement.label(), dangerous.join(", ")
                )));
            }
        }
    }
}

fn bucket_findings(model: &StackModel, matrix: &Matrix, found: &mut Vec<Finding>) {
    if model.buckets.is_empty() {
        found.push(error("no-bucket", "$.Resources", "the template has no AWS::S3::Bucket, so there is no backup bucket whose access could be proven; verify the template that defines the bucket".to_owned()));
    }
    for bucket in &model.buckets {
        let allowed = |source_filter: &dyn Fn(&super::sources::RequestSource) -> bool, action: &str| {
            model.sources.iter().filter(|s| source_filter(s)).any(|source| {
                matrix.cell(&source.name, action, Some(&bucket.logical_id)).is_some_and(|c| c.evaluation.decision.is_allowed())
            })
        };
        let written = allowed(&|_| true, "s3:PutObject");
        if bucket.object_lock && !bucket.versioning {
            found.push(error("object-lock-without-versioning", &bucket.logical_id, "ObjectLockEnabled is set but VersioningConfiguration is not Enabled; Object Lock works only on versioned buckets".to_owned()));
        }
        if written && !bucket.versioning {
            found.push(error("overwrites-possible", &bucket.logical_id, "uploads are allowed but versioning is off, so an upload with an existing key overwrites the backup; enable versioning and Object Lock".to_owned()));
        }
        if written && !bucket.object_lock {
            found.push(warning("no-object-lock", &bucket.logical_id, "backups are writable but Object Lock is off, so anyone allowed DeleteObjectVersion can destroy them; enable Object Lock with a default retention".to_owned()));
        }
        if let Some((_, days)) = bucket.default_retention {
            for rule in &bucket.lifecycle {
                let shorter = [rule.expiration_days, rule.noncurrent_expiration_days].into_iter().flatten().filter(|d| *d < days).min();
                if let Some(expiry) = shorter {
                    found.push(warning("lifecycle-fights-retention", &bucket.logical_id, format!(
                        "lifecycle rule {} expires versions after {expiry} days, before the {days}-day default retention ends, so expirations fail until then; make expiration at least the retention",
                        rule.id.as_deref().unwrap_or("(no Id)")
                    )));
                }
            }
        }
        let managers = |s: &super::sources::RequestSource| !matches!(s.kind, SourceKind::AccountRoot | SourceKind::AssumedFromOutside);
        if bucket.policy.is_some() && !allowed(&managers, "s3:PutBucketPolicy") {
            let admin_denied = matrix
                .cell("console-admin", "s3:PutBucketPolicy", Some(&bucket.logical_id))
                .filter(|c| c.evaluation.decision == Decision::ExplicitlyDenied && c.evaluation.layers().contains(&Layer::Resource));
            let detail = admin_denied.map_or_else(String::new, |c| format!(" (the console administrator's request fails: {})", c.evaluation.reason));
            found.push(error("management-locked-out", &bucket.logical_id, format!(
                "no one but the root user can change the bucket policy{detail}; exempt the administrator role from the endpoint Deny with an aws:PrincipalArn condition"
            )));
        }
        let restorers = |s: &super::sources::RequestSource| {
            !matches!(
                s.kind,
                SourceKind::AccountRoot | SourceKind::InternetAnonymous | SourceKind::InternetWithCredentials | SourceKind::OtherVpcEndpoint | SourceKind::AssumedFromOutside
            )
        };
        if written && !allowed(&restorers, "s3:GetObject") && !allowed(&restorers, "s3:GetObjectVersion") {
            found.push(error("no-restore-path", &bucket.logical_id, "backups can be written but no role or administrator can read them back; add a restore role allowed s3:GetObject and s3:GetObjectVersion and exempt it from the endpoint Deny".to_owned()));
        }
    }
}

/// Flags roles with access to a bucket whose trust policy lets anyone, or
/// another account, assume them. Access is judged from the identity
/// policies alone, because the bucket policy may stop the outsider today
/// (a writer role is held to the endpoint) and a later edit may not.
fn trust_findings(model: &StackModel, found: &mut Vec<Finding>) {
    let account = &model.settings.environment.account;
    for role in &model.roles {
        let open = role.trust.as_ref().map(|trust| open_trust(trust, account)).unwrap_or_default();
        if open.is_empty() {
            continue;
        }
        let caller = Caller::RoleSession {
            session_arn: format!("arn:aws:sts::{account}:assumed-role/{}/outsider", role.name),
            role_arn: role.arn.clone(),
            role_name: role.name.clone(),
            account: account.clone(),
        };
        let identity_only = PolicySet { identity: role.policies.clone(), permission_boundary: role.boundary.clone().into_iter().collect(), ..PolicySet::default() };
        let granted: Vec<String> = model
            .buckets
            .iter()
            .flat_map(|bucket| MATRIX_ACTIONS.iter().map(move |action| (bucket, *action)))
            .filter(|(bucket, action)| {
                let resource = if is_object_action(action) { format!("{}/probe", bucket.arn) } else { bucket.arn.clone() };
                let request = Request { caller: caller.clone(), action: (*action).to_owned(), resource, resource_account: account.clone(), context: Default::default() };
                evaluate_iam(&identity_only, &request).decision.is_allowed()
            })
            .map(|(bucket, action)| format!("{action} on {}", bucket.logical_id))
            .collect();
        if granted.is_empty() {
            continue;
        }
        let granted_list = match granted.len() {
            0..=4 => granted.join(", "),
            count => format!("{} and {} more", granted[..4].join(", "), count - 4),
        };
        let trusted: Vec<String> = open.iter().map(|o| format!("statement {} trusts {}", o.statement, o.trusted)).collect();
        found.push(error("role-trust-allows-outsiders", &role.logical_id, format!(
            "the role's policies grant {} and its trust policy lets callers outside the account assume it ({}) without a condition that names them; name the trusted principals of this account in Principal, or add an aws:PrincipalOrgID, aws:PrincipalArn or sts:ExternalId condition (for a web identity provider, one on its sub key)",
            granted_list,
            trusted.join("; ")
        )));
    }
}

/// Returns an object ARN in the Amazon Linux package repository bucket of a region.
fn repository_objects(region: &str, image: &str) -> Vec<String> {
    if image.contains("al2023") || image.contains("amazon-linux-2023") {
        vec![format!("arn:aws:s3:::al2023-repos-{region}-de612dc2/core/mirrors/latest/x86_64/mirror.list")]
    } else {
        vec![format!("arn:aws:s3:::amazonlinux-2-repos-{region}/2/core/latest/x86_64/mirror.list")]
    }
}

fn package_repository_findings(model: &StackModel, found: &mut Vec<Finding>) {
    let region = &model.settings.environment.region;
    for source in model.sources.iter().filter(|s| s.kind == SourceKind::Instance) {
        let Some(instance) = model.network.instances.iter().find(|i| Some(&i.logical_id) == source.instance.as_ref()) else { continue };
        let image = instance.image_id.clone().unwrap_or_default().to_ascii_lowercase();
        if !(image.contains("amzn") || image.contains("amazon-linux") || image.contains("al2023")) {
            continue;
        }
        let reaches = match &source.route {
            Route::Internet { .. } => true,
            Route::Unreachable => false,
            Route::Endpoint { endpoint_id, .. } => {
                let endpoint = model.network.endpoint(endpoint_id);
                let policy = endpoint.and_then(|e| e.policy.as_ref()).and_then(|d| Policy::from_json(d, endpoint_id, super::document::PolicyKind::Resource).ok());
                match policy {
                    None => true,
                    Some(policy) => repository_objects(region, &image).iter().all(|object| {
                        let request = Request {
                            caller: Caller::Anonymous,
                            action: "s3:GetObject".to_owned(),
                            resource: object.clone(),
                            resource_account: "137112412989".to_owned(),
                            context: source.context.clone(),
                        };
                        let set = PolicySet { vpc_endpoints: vec![policy.clone()], resource: Some(public_read()), ..PolicySet::default() };
                        evaluate_iam(&set, &request).decision.is_allowed()
                    }),
                }
            }
        };
        if !reaches {
            found.push(warning("no-package-repository-path", &source.name, format!(
                "instance {} runs Amazon Linux but has no internet route and no S3 endpoint path that allows s3:GetObject on the {region} package repository buckets, so dnf and yum cannot install or update packages; allow GetObject on those buckets in the endpoint policy",
                instance.logical_id
            )));
        }
    }
}

/// Returns a public-read policy that replaces the repository buckets' own policy, which the template cannot show.
fn public_read() -> Policy {
    Policy::parse_str(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}"#,
        "repository bucket policy",
        super::document::PolicyKind::Resource,
    )
    .expect("a valid built-in policy")
}

//! The access model of a template: its roles with the policies attached to
//! them, its buckets with their policies and Object Lock settings, and the
//! request sources that can reach those buckets.
//!
//! Roles get their permissions from inline `Policies`, from
//! `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy` resources that list
//! them in `Roles`, and from `ManagedPolicyArns`; instances get a role
//! through `IamInstanceProfile` and the profile's `Roles`.

use serde_json::{json, Map, Value as Json};

use super::document::{Policy, PolicyKind};
use super::network::Network;
use super::request::LockMode;
use super::resolve::{Environment, Resolver};
use super::sources::{request_sources, RequestSource};
use super::trust::parse_trust;
use crate::error::Error;
use crate::template::Template;

/// Assumptions the analysis makes where a template gives no value.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Account, region, partition and stack name.
    pub environment: Environment,
    /// The role ARN (with path) that administrators use from the console.
    /// By default an IAM Identity Center administrator role.
    pub admin_role_arn: String,
    /// `aws:CurrentTime` of every request, so results do not depend on the
    /// clock; by default 2025-06-01T03:00:00Z.
    pub current_time: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            environment: Environment::default(),
            admin_role_arn: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef".to_owned(),
            current_time: "2025-06-01T03:00:00Z".to_owned(),
        }
    }
}

/// An IAM role and what it is allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    /// Logical ID.
    pub logical_id: String,
    /// Role name.
    pub name: String,
    /// ARN, with the role's path.
    pub arn: String,
    /// Identity-based policies: inline, attached and managed.
    pub policies: Vec<Policy>,
    /// The permissions boundary, when set.
    pub boundary: Option<Policy>,
    /// Names of the instance profiles that contain the role.
    pub instance_profiles: Vec<String>,
    /// Managed policy ARNs whose content the analysis does not know.
    pub unknown_policies: Vec<String>,
    /// `AssumeRolePolicyDocument`, when the template gives one.
    pub trust: Option<Policy>,
}

/// A lifecycle rule, reduced to what matters for retention.
#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleRule {
    /// `Id`, when set.
    pub id: Option<String>,
    /// `ExpirationInDays` of current versions.
    pub expiration_days: Option<u64>,
    /// `NoncurrentVersionExpiration.NoncurrentDays`.
    pub noncurrent_expiration_days: Option<u64>,
}

/// An S3 bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// Logical ID.
    pub logical_id: String,
    /// Bucket name.
    pub name: String,
    /// Bucket ARN.
    pub arn: String,
    /// The bucket policy, when the template attaches one.
    pub policy: Option<Policy>,
    /// `VersioningConfiguration.Status` is `Enabled`.
    pub versioning: bool,
    /// `ObjectLockEnabled`.
    pub object_lock: bool,
    /// Default retention mode and days (years count as 365 days).
    pub default_retention: Option<(LockMode, u64)>,
    /// Lifecycle rules.
    pub lifecycle: Vec<LifecycleRule>,
    /// `OwnershipControls` sets `BucketOwnerEnforced` as a literal, so ACLs
    /// are disabled. S3 also disables ACLs on a new bucket without
    /// `OwnershipControls`, and a parameter or condition may set the value,
    /// but this field is then `false`. The analysis does not count on a
    /// default that the bucket's history, a change outside the template or
    /// a deploy-time value may not keep, so IAM decides the ACL calls.
    pub acls_disabled: bool,
}

/// Everything the access analysis reads from one template.
#[derive(Debug, Clone, PartialEq)]
pub struct StackModel {
    /// The settings used.
    pub settings: Settings,
    /// VPCs, subnets, routes, endpoints and instances.
    pub network: Network,
    /// IAM roles.
    pub roles: Vec<Role>,
    /// S3 buckets.
    pub buckets: Vec<Bucket>,
    /// Everyone and everything that can send a request to the buckets.
    pub sources: Vec<RequestSource>,
}

impl StackModel {
    /// Reads the access model of a template.
    ///
    /// # Errors
    /// [`Error::InvalidDocument`] naming the template, the JSON path of the
    /// intrinsic or policy that cannot be read, and the problem.
    pub fn from_template(template: &Template, settings: &Settings, source_name: &str) -> Result<StackModel, Error> {
        let invalid = |(path, message): (String, String)| Error::InvalidDocument { kind: "template", source_name: source_name.to_owned(), path, message };
        let split = |message: String| match message.split_once(": ") {
            Some((path, rest)) if path.starts_with('$') => (path.to_owned(), rest.to_owned()),
            _ => ("$.Resources".to_owned(), message),
        };
        // CloudFormation rejects a template without resources, and an empty
        // model would pass every check with nothing proven.
        if template.resources.is_empty() {
            return Err(invalid((
                "$.Resources".to_owned(),
                "the template has no resources; CloudFormation requires a Resources section with at least one resource, so pass the synthesized backup stack".to_owned(),
            )));
        }
        let resolver = Resolver::new(template, settings.environment.clone());
        if let Some(message) = resolver.name_cycles().into_iter().next() {
            return Err(invalid(("$.Resources".to_owned(), message)));
        }
        let network = Network::from_template(template, &resolver).map_err(|m| invalid(split(m)))?;
        // Endpoint policies are checked here so that a malformed one is an
        // input error, not a silently different matrix.
        for endpoint in &network.endpoints {
            if let Some(document) = &endpoint.policy {
                let path = format!("$.Resources.{}.Properties.PolicyDocument", endpoint.logical_id);
                policy_at(document, &endpoint.id, PolicyKind::Resource, &path).map_err(invalid)?;
            }
        }
        let roles = read_roles(template, &resolver).map_err(invalid)?;
        let buckets = read_buckets(template, &resolver).map_err(invalid)?;
        let mut model = StackModel { settings: settings.clone(), network, roles, buckets, sources: Vec::new() };
        model.sources = request_sources(&model);
        Ok(model)
    }

    /// Looks a role up by logical ID, name or ARN.
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|role| role.logical_id == id || role.name == id || role.arn == id)
    }

    /// Returns the role of an instance, through its instance profile.
    pub fn instance_role(&self, instance_profile: &str) -> Option<&Role> {
        self.roles.iter().find(|role| role.instance_profiles.iter().any(|profile| profile == instance_profile))
    }

    /// Looks a source up by name.
    pub fn source(&self, name: &str) -> Option<&RequestSource> {
        self.sources.iter().find(|source| source.name == name)
    }
}

fn policy_at(document: &Json, name: &str, kind: PolicyKind, path: &str) -> Result<Policy, (String, String)> {
    let parsed;
    let document = match document {
        Json::String(text) => {
            parsed = serde_json::from_str::<Json>(text).map_err(|err| (path.to_owned(), format!("the policy document is not JSON: {err}")))?;
            &parsed
        }
        other => other,
    };
    Policy::parse_at(document, name, kind, path)
}

/// Content of AWS managed policies that matter for S3 access. Others are
/// listed as unknown in [`Role::unknown_policies`].
fn aws_managed_policy(arn: &str) -> Option<Json> {
    let name = arn.rsplit('/').next()?;
    Some(match name {
        "AdministratorAccess" => json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        "AmazonS3FullAccess" => json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "s3-object-lambda:*"], "Resource": "*"}]}),
        "AmazonS3ReadOnlyAccess" => json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "s3:Describe*"], "Resource": "*"}]}),
        // Grants SSM, EC2 messages and related calls, none of them on S3 objects.
        "AmazonSSMManagedInstanceCore" => json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ssm:*", "ssmmessages:*", "ec2messages:*"], "Resource": "*"}]}),
        _ => return None,
    })
}

fn read_roles(template: &Template, resolver: &Resolver<'_>) -> Result<Vec<Role>, (String, String)> {
    let wrap = |message: String| ("$.Resources".to_owned(), message);
    let deployed = |kind: &'static str| {
        template.resources.iter().filter(move |(id, r)| r.resource_type == kind && resolver.is_deployed(id)).map(|(id, _)| id.clone())
    };
    let text_list = |value: Option<&Json>| -> Vec<String> {
        match value {
            Some(Json::Array(items)) => items.iter().filter_map(Json::as_str).map(str::to_owned).collect(),
            Some(Json::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        }
    };
    let mut managed: Vec<(String, Policy, Vec<String>)> = Vec::new();
    for logical_id in deployed("AWS::IAM::ManagedPolicy") {
        let properties = resolver.properties(&logical_id).map_err(wrap)?;
        let path = format!("$.Resources.{logical_id}.Properties.PolicyDocument");
        let document = properties.get("PolicyDocument").ok_or_else(|| (path.clone(), "missing PolicyDocument".to_owned()))?;
        let policy = policy_at(document, &logical_id, PolicyKind::Identity, &path)?;
        managed.push((resolver.physical_id(&logical_id), policy, text_list(properties.get("Roles"))));
    }
    let mut attached: Vec<(Policy, Vec<String>)> = Vec::new();
    for logical_id in deployed("AWS::IAM::Policy").chain(deployed("AWS::IAM::RolePolicy")) {
        let properties = resolver.properties(&logical_id).map_err(wrap)?;
        let path = format!("$.Resources.{logical_id}.Properties.PolicyDocument");
        let document = properties.get("PolicyDocument").ok_or_else(|| (path.clone(), "missing PolicyDocument".to_owned()))?;
        let name = properties.get("PolicyName").and_then(Json::as_str).unwrap_or(&logical_id).to_owned();
        let mut roles = text_list(properties.get("Roles"));
        roles.extend(text_list(properties.get("RoleName")));
        attached.push((policy_at(document, &name, PolicyKind::Identity, &path)?, roles));
    }
    let mut profiles: Vec<(String, Vec<String>)> = Vec::new();
    for logical_id in deployed("AWS::IAM::InstanceProfile") {
        let properties = resolver.properties(&logical_id).map_err(wrap)?;
        profiles.push((resolver.physical_id(&logical_id), text_list(properties.get("Roles"))));
    }

    let mut roles = Vec::new();
    for logical_id in deployed("AWS::IAM::Role") {
        let properties = resolver.properties(&logical_id).map_err(wrap)?;
        let name = resolver.physical_id(&logical_id);
        let arn = resolver.attribute(&logical_id, "Arn").map_err(wrap)?.as_str().unwrap_or_default().to_owned();
        let mut policies = Vec::new();
        let mut unknown_policies = Vec::new();
        if let Some(Json::Array(inline)) = properties.get("Policies") {
            for (index, entry) in inline.iter().enumerate() {
                let path = format!("$.Resources.{logical_id}.Properties.Policies[{index}]");
                let entry = entry.as_object().ok_or_else(|| (path.clone(), "expected an object with PolicyName and PolicyDocument".to_owned()))?;
                let policy_name = entry.get("PolicyName").and_then(Json::as_str).unwrap_or(&logical_id).to_owned();
                let document = entry.get("PolicyDocument").ok_or_else(|| (path.clone(), "missing PolicyDocument".to_owned()))?;
                policies.push(policy_at(document, &policy_name, PolicyKind::Identity, &format!("{path}.PolicyDocument"))?);
            }
        }
        let named_here = |names: &[String]| names.contains(&name);
        policies.extend(attached.iter().filter(|(_, names)| named_here(names)).map(|(policy, _)| policy.clone()));
        policies.extend(managed.iter().filter(|(_, _, names)| named_here(names)).map(|(_, policy, _)| policy.clone()));
        let managed_policy = |arn: &str, unknown: &mut Vec<String>| {
            if let Some((_, policy, _)) = managed.iter().find(|(managed_arn, _, _)| managed_arn == arn) {
                return Some(policy.clone());
            }
            match aws_managed_policy(arn).and_then(|document| Policy::from_json(&document, arn.rsplit('/').next().unwrap_or(arn), PolicyKind::Identity).ok()) {
                Some(policy) => Some(policy),
                None => {
                    unknown.push(arn.to_owned());
                    None
                }
            }
        };
        for arn in text_list(properties.get("ManagedPolicyArns")) {
            if let Some(policy) = managed_policy(&arn, &mut unknown_policies) {
                policies.push(policy);
            }
        }
        let boundary = properties.get("PermissionsBoundary").and_then(Json::as_str).and_then(|arn| managed_policy(arn, &mut unknown_policies));
        let instance_profiles = profiles.iter().filter(|(_, names)| named_here(names)).map(|(profile, _)| profile.clone()).collect();
        let trust = match properties.get("AssumeRolePolicyDocument") {
            Some(document) => {
                let path = format!("$.Resources.{logical_id}.Properties.AssumeRolePolicyDocument");
                let parsed;
                let document = match document {
                    Json::String(text) => {
                        parsed = serde_json::from_str::<Json>(text).map_err(|err| (path.clone(), format!("the trust policy is not JSON: {err}")))?;
                        &parsed
                    }
                    other => other,
                };
                Some(parse_trust(document, &logical_id, &path)?)
            }
            None => None,
        };
        roles.push(Role { logical_id, name, arn, policies, boundary, instance_profiles, unknown_policies, trust });
    }
    Ok(roles)
}

fn number(value: Option<&Json>) -> Option<u64> {
    match value? {
        Json::Number(number) => number.as_u64(),
        Json::String(text) => text.parse().ok(),
        _ => None,
    }
}

fn read_buckets(template: &Template, resolver: &Resolver<'_>) -> Result<Vec<Bucket>, (String, String)> {
    let wrap = |message: String| ("$.Resources".to_owned(), message);
    let mut buckets = Vec::new();
    for (logical_id, _) in template.resources.iter().filter(|(id, r)| r.resource_type == "AWS::S3::Bucket" && resolver.is_deployed(id)) {
        let properties = resolver.properties(logical_id).map_err(wrap)?;
        let object = |map: &Map<String, Json>, key: &str| map.get(key).and_then(Json::as_object).cloned().unwrap_or_default();
        let versioning = object(&properties, "VersioningConfiguration").get("Status").and_then(Json::as_str) == Some("Enabled");
        let object_lock = properties.get("ObjectLockEnabled").is_some_and(|v| v == &json!(true) || v == &json!("true") || v == &json!("Enabled"));
        let retention = object(&object(&object(&properties, "ObjectLockConfiguration"), "Rule"), "DefaultRetention");
        let default_retention = retention.get("Mode").and_then(Json::as_str).and_then(|mode| {
            let mode = match mode {
                "COMPLIANCE" => LockMode::Compliance,
                "GOVERNANCE" => LockMode::Governance,
                _ => return None,
            };
            let days = number(retention.get("Days")).or_else(|| number(retention.get("Years")).map(|years| years * 365))?;
            Some((mode, days))
        });
        let lifecycle = match object(&properties, "LifecycleConfiguration").get("Rules") {
            Some(Json::Array(rules)) => rules
                .iter()
                .filter_map(Json::as_object)
                .filter(|rule| rule.get("Status").and_then(Json::as_str) != Some("Disabled"))
                .map(|rule| LifecycleRule {
                    id: rule.get("Id").and_then(Json::as_str).map(str::to_owned),
                    expiration_days: number(rule.get("ExpirationInDays")),
                    noncurrent_expiration_days: number(object(rule, "NoncurrentVersionExpiration").get("NoncurrentDays"))
                        .or_else(|| number(rule.get("NoncurrentVersionExpirationInDays"))),
                })
                .collect(),
            _ => Vec::new(),
        };
        // Read as written, not as resolved: a value from a parameter or a
        // condition may be deployed as something else than its default.
        let written = template.resources[logical_id].properties.get("OwnershipControls").and_then(|controls| controls.get("Rules"));
        let acls_disabled = match written {
            Some(Json::Array(rules)) => {
                rules.iter().any(|rule| rule.get("ObjectOwnership").and_then(Json::as_str) == Some("BucketOwnerEnforced"))
            }
            _ => false,
        };
        let name = resolver.physical_id(logical_id);
        buckets.push(Bucket {
            arn: format!("arn:{}:s3:::{name}", resolver.environment().partition),
            name,
            logical_id: logical_id.clone(),
            policy: None,
            versioning,
            object_lock,
            default_retention,
            lifecycle,
            acls_disabled,
        });
    }
    for (logical_id, _) in template.resources.iter().filter(|(id, r)| r.resource_type == "AWS::S3::BucketPolicy" && resolver.is_deployed(id)) {
        let properties = resolver.properties(logical_id).map_err(wrap)?;
        let bucket_name = properties.get("Bucket").and_then(Json::as_str).unwrap_or_default();
        let path = format!("$.Resources.{logical_id}.Properties.PolicyDocument");
        let document = properties.get("PolicyDocument").ok_or_else(|| (path.clone(), "missing PolicyDocument".to_owned()))?;
        let policy = policy_at(document, logical_id, PolicyKind::Resource, &path)?;
        if let Some(bucket) = buckets.iter_mut().find(|bucket| bucket.name == bucket_name) {
            bucket.policy = Some(policy);
        }
    }
    Ok(buckets)
}

//! Safety guards: changes that deploy refuses unless the user names the
//! resource with `--allow-replacement` or `--allow-unprotect`.
//!
//! A protected resource is one whose replacement or removal loses data or
//! opens the network. Resources kept by `DeletionPolicy` or
//! `UpdateReplacePolicy` `Retain` (or `RetainExceptOnCreate`, or
//! `Snapshot`) are protected because a replacement or removal would
//! otherwise delete them. Buckets with Object Lock are protected because a
//! new bucket starts empty while the locked versions stay in the old one.
//! The S3 gateway endpoint is protected because the bucket policy admits
//! requests only through its ID. Dropping a keeping policy is guarded on
//! its own (`--allow-unprotect`), since it makes the next removal, stack
//! deletion or replacement delete the resource. Separately, a route to
//! 0.0.0.0/0 or ::/0 on a route table or subnet that had no default route
//! opens the private subnet to the internet.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;
use vaultgate_core::template::{DeletionPolicy, Resource, Template};

use super::changes::{Action, PlannedChange, Replacement};

/// The command-line flag that allows a guarded change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AllowFlag {
    /// `--allow-replacement`: replacing or removing a protected resource,
    /// or a new default route.
    Replacement,
    /// `--allow-unprotect`: weakening a protected resource's
    /// `DeletionPolicy` or `UpdateReplacePolicy`.
    Unprotect,
}

impl AllowFlag {
    /// Returns the flag as typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            AllowFlag::Replacement => "--allow-replacement",
            AllowFlag::Unprotect => "--allow-unprotect",
        }
    }
}

/// One change that a guard objects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub logical_id: String,
    pub resource_type: String,
    /// The change, such as "would be replaced (change set: Replacement True)".
    pub change: String,
    /// The reasons the resource is protected.
    pub protections: Vec<String>,
    /// The flag that allows this change.
    pub flag: AllowFlag,
    /// Logical IDs that `flag` accepts to allow this change.
    pub allow_ids: Vec<String>,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{} ({}) {}: {}", self.logical_id, self.resource_type, self.change, self.protections.join("; "))
    }
}

/// Returns why a resource is protected, or an empty list when it is not.
pub fn protections(resource: &Resource) -> Vec<String> {
    let mut reasons = Vec::new();
    match resource.deletion_policy {
        Some(DeletionPolicy::Retain) | Some(DeletionPolicy::RetainExceptOnCreate) => {
            reasons.push("its DeletionPolicy keeps it, so the old resource would stay behind outside the stack".to_owned())
        }
        Some(DeletionPolicy::Snapshot) => {
            reasons.push("its DeletionPolicy is Snapshot: its data matters, and only a snapshot of it would stay".to_owned())
        }
        _ => match resource.update_replace_policy {
            Some(DeletionPolicy::Retain) | Some(DeletionPolicy::RetainExceptOnCreate) => {
                reasons.push("its UpdateReplacePolicy keeps it, so a replacement would leave the old one behind".to_owned())
            }
            Some(DeletionPolicy::Snapshot) => {
                reasons.push("its UpdateReplacePolicy is Snapshot: its data matters, and only a snapshot of it would stay".to_owned())
            }
            _ => {}
        },
    }
    if has_object_lock(resource) {
        reasons.push("it is a bucket with Object Lock: a new bucket starts empty and the locked backups stay in the old one".to_owned());
    }
    if is_s3_gateway_endpoint(resource) {
        reasons.push("it is the S3 gateway endpoint: the bucket policy admits requests only through its ID, and the private subnet reaches S3 only through it".to_owned());
    }
    reasons
}

/// Returns `true` for a bucket with `ObjectLockEnabled` or an enabled
/// `ObjectLockConfiguration`.
pub fn has_object_lock(resource: &Resource) -> bool {
    if resource.resource_type != "AWS::S3::Bucket" {
        return false;
    }
    let enabled = matches!(resource.properties.get("ObjectLockEnabled"), Some(Json::Bool(true)))
        || matches!(resource.properties.get("ObjectLockEnabled"), Some(Json::String(text)) if text.eq_ignore_ascii_case("true"));
    let configured = resource
        .properties
        .get("ObjectLockConfiguration")
        .and_then(|configuration| configuration.get("ObjectLockEnabled"))
        .is_some_and(|value| value == "Enabled");
    enabled || configured
}

/// Returns `true` for a gateway VPC endpoint whose service name ends in
/// `.s3`, written literally or through `Fn::Sub`.
pub fn is_s3_gateway_endpoint(resource: &Resource) -> bool {
    if resource.resource_type != "AWS::EC2::VPCEndpoint" {
        return false;
    }
    // CloudFormation's default endpoint type is Gateway.
    let gateway = match resource.properties.get("VpcEndpointType") {
        None => true,
        Some(Json::String(kind)) => kind == "Gateway",
        Some(_) => false,
    };
    let service = match resource.properties.get("ServiceName") {
        Some(Json::String(name)) => Some(name.as_str()),
        Some(Json::Object(function)) => match function.get("Fn::Sub") {
            Some(Json::String(name)) => Some(name.as_str()),
            Some(Json::Array(parts)) => parts.first().and_then(Json::as_str),
            _ => None,
        },
        _ => None,
    };
    gateway && service.is_some_and(|name| name.ends_with(".s3"))
}

/// Finds the replacements and removals of protected resources, from the
/// change set and the local prediction merged in `changes`, and from
/// resources that the new template drops.
pub fn destructive_findings(deployed: Option<&Template>, new: &Template, changes: &[PlannedChange]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut seen = BTreeSet::new();
    for change in changes {
        let removed = change.action == Action::Remove;
        if !removed && !change.replaces() {
            continue;
        }
        let mut reasons = Vec::new();
        for resource in [deployed.and_then(|t| t.resources.get(&change.logical_id)), new.resources.get(&change.logical_id)].into_iter().flatten() {
            for reason in protections(resource) {
                if !reasons.contains(&reason) {
                    reasons.push(reason);
                }
            }
        }
        if reasons.is_empty() {
            continue;
        }
        let what = if removed { "would be removed".to_owned() } else { format!("would be replaced ({})", replacement_sources(change)) };
        seen.insert(change.logical_id.clone());
        findings.push(Finding {
            logical_id: change.logical_id.clone(),
            resource_type: change.resource_type.clone(),
            change: what,
            protections: reasons,
            flag: AllowFlag::Replacement,
            allow_ids: vec![change.logical_id.clone()],
        });
    }
    if let Some(deployed) = deployed {
        for (logical_id, resource) in &deployed.resources {
            if new.resources.contains_key(logical_id) || seen.contains(logical_id) {
                continue;
            }
            let reasons = protections(resource);
            if !reasons.is_empty() {
                findings.push(Finding {
                    logical_id: logical_id.clone(),
                    resource_type: resource.resource_type.clone(),
                    change: "would be removed (it is missing from the new template)".to_owned(),
                    protections: reasons,
                    flag: AllowFlag::Replacement,
                    allow_ids: vec![logical_id.clone()],
                });
            }
        }
    }
    findings
}

fn replacement_sources(change: &PlannedChange) -> String {
    let mut sources = Vec::new();
    match change.replacement {
        Replacement::True => sources.push("change set: Replacement True".to_owned()),
        Replacement::Conditional => sources.push("change set: Replacement Conditional".to_owned()),
        Replacement::False | Replacement::Unknown => {}
    }
    if !change.predicted_properties.is_empty() {
        sources.push(format!("local prediction: create-only {} changes", change.predicted_properties.join(", ")));
    }
    sources.join("; ")
}

/// Finds routes that give a deployed route table, or a deployed subnet,
/// without a default route one to 0.0.0.0/0 or ::/0. A new stack has
/// nothing to open, so there is nothing to find without a deployed template.
pub fn internet_route_findings(deployed: &Template, new: &Template) -> Vec<Finding> {
    let old_routes = default_routes(deployed);
    let new_routes = default_routes(new);
    let mut findings = Vec::new();
    let mut reported_tables = BTreeSet::new();

    for (table, routes) in &new_routes {
        let table_existed = deployed.resources.get(table).is_some_and(|r| r.resource_type == "AWS::EC2::RouteTable");
        if !table_existed || old_routes.contains_key(table) {
            continue;
        }
        reported_tables.insert(table.clone());
        for (route, destination) in routes {
            findings.push(route_finding(route, format!("would add {destination} to route table {table}, which had no default route"), table));
        }
    }

    let old_tables = subnet_tables(deployed);
    for (subnet, table) in subnet_tables(new) {
        if !deployed.resources.contains_key(&subnet) || reported_tables.contains(&table) {
            continue;
        }
        let was_open = old_tables.get(&subnet).is_some_and(|old_table| old_routes.contains_key(old_table));
        let Some(routes) = new_routes.get(&table) else { continue };
        if was_open {
            continue;
        }
        for (route, destination) in routes {
            findings.push(route_finding(route, format!("would give subnet {subnet}, which had no default route, {destination} through route table {table}"), &table));
        }
    }
    findings
}

fn route_finding(route: &str, change: String, table: &str) -> Finding {
    Finding {
        logical_id: route.to_owned(),
        resource_type: "AWS::EC2::Route".to_owned(),
        change,
        protections: vec!["a default route opens the private subnet to the internet, which the backup design forbids".to_owned()],
        flag: AllowFlag::Replacement,
        allow_ids: vec![route.to_owned(), table.to_owned()],
    }
}

/// Maps each route table (by logical ID, or by literal ID) to its default
/// routes as (route logical ID, destination).
fn default_routes(template: &Template) -> BTreeMap<String, Vec<(String, String)>> {
    let mut routes: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (logical_id, resource) in &template.resources {
        if resource.resource_type != "AWS::EC2::Route" {
            continue;
        }
        let properties = &resource.properties;
        let destination = [("DestinationCidrBlock", "0.0.0.0/0"), ("DestinationIpv6CidrBlock", "::/0")]
            .into_iter()
            .find(|(key, open)| properties.get(*key).and_then(Json::as_str) == Some(*open))
            .map(|(_, open)| open);
        let (Some(destination), Some(table)) = (destination, properties.get("RouteTableId").and_then(reference_name)) else { continue };
        routes.entry(table).or_default().push((logical_id.clone(), destination.to_owned()));
    }
    routes
}

/// Maps each subnet to its route table through the template's
/// `AWS::EC2::SubnetRouteTableAssociation` resources.
fn subnet_tables(template: &Template) -> BTreeMap<String, String> {
    let mut tables = BTreeMap::new();
    for resource in template.resources.values() {
        if resource.resource_type != "AWS::EC2::SubnetRouteTableAssociation" {
            continue;
        }
        let subnet = resource.properties.get("SubnetId").and_then(reference_name);
        let table = resource.properties.get("RouteTableId").and_then(reference_name);
        if let (Some(subnet), Some(table)) = (subnet, table) {
            tables.insert(subnet, table);
        }
    }
    tables
}

/// Returns the logical ID in `{"Ref": ID}`, or a literal string ID.
fn reference_name(value: &Json) -> Option<String> {
    match value {
        Json::String(literal) => Some(literal.clone()),
        Json::Object(map) => map.get("Ref").and_then(Json::as_str).map(str::to_owned),
        _ => None,
    }
}

/// Ranks how much of a resource a policy keeps: 2 for the resource itself
/// (`Retain`, `RetainExceptOnCreate`), 1 for a snapshot, 0 for nothing
/// (`Delete`, or no policy, whose default is `Delete` for most types).
fn keep_rank(policy: Option<DeletionPolicy>) -> u8 {
    match policy {
        Some(DeletionPolicy::Retain) | Some(DeletionPolicy::RetainExceptOnCreate) => 2,
        Some(DeletionPolicy::Snapshot) => 1,
        Some(DeletionPolicy::Delete) | None => 0,
    }
}

fn policy_name(policy: Option<DeletionPolicy>) -> &'static str {
    match policy {
        Some(DeletionPolicy::Retain) => "Retain",
        Some(DeletionPolicy::RetainExceptOnCreate) => "RetainExceptOnCreate",
        Some(DeletionPolicy::Snapshot) => "Snapshot",
        Some(DeletionPolicy::Delete) => "Delete",
        None => "(absent)",
    }
}

/// Finds protected resources of the deployed template whose
/// `DeletionPolicy` or `UpdateReplacePolicy` the new template weakens:
/// from keeping the resource to a snapshot or nothing, or from a snapshot
/// to nothing. The change itself deletes nothing, but it makes the next
/// removal, replacement or stack deletion delete the resource and its
/// data, so it needs `--allow-unprotect`. Resources missing from the new
/// template are left to [`destructive_findings`].
pub fn unprotect_findings(deployed: &Template, new: &Template) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (logical_id, old) in &deployed.resources {
        let Some(updated) = new.resources.get(logical_id) else { continue };
        if protections(old).is_empty() {
            continue;
        }
        let pairs = [("DeletionPolicy", old.deletion_policy, updated.deletion_policy), ("UpdateReplacePolicy", old.update_replace_policy, updated.update_replace_policy)];
        let mut changes = Vec::new();
        let mut reasons = Vec::new();
        for (attribute, before, after) in pairs {
            if keep_rank(after) >= keep_rank(before) {
                continue;
            }
            changes.push(format!("{attribute} {} -> {}", policy_name(before), policy_name(after)));
            reasons.push(match attribute {
                "DeletionPolicy" => "removing it from the template or deleting the stack would then delete it and its data".to_owned(),
                _ => "a replacement would then delete the old one and its data".to_owned(),
            });
        }
        if changes.is_empty() {
            continue;
        }
        if has_object_lock(old) {
            reasons.push("it is a bucket with Object Lock, which holds the backups".to_owned());
        }
        findings.push(Finding {
            logical_id: logical_id.clone(),
            resource_type: old.resource_type.clone(),
            change: format!("would lose its protection ({})", changes.join(", ")),
            protections: reasons,
            flag: AllowFlag::Unprotect,
            allow_ids: vec![logical_id.clone()],
        });
    }
    findings
}

/// Returns a warning for each bucket with Object Lock in a new stack's
/// template that the stack's deletion or the bucket's replacement would
/// delete. Such a template is an explicit choice (`removal_policy =
/// "destroy_backups"` in vaultgate's settings), so it is warned about, not
/// refused.
pub fn unretained_lock_warnings(new: &Template) -> Vec<String> {
    let mut warnings = Vec::new();
    for (logical_id, resource) in &new.resources {
        if !has_object_lock(resource) {
            continue;
        }
        let deletion = resource.deletion_policy;
        let replace = resource.update_replace_policy;
        if keep_rank(deletion) == 2 && keep_rank(replace) == 2 {
            continue;
        }
        warnings.push(format!(
            "WARNING: bucket {logical_id} has Object Lock but DeletionPolicy {} and UpdateReplacePolicy {}: \
             deleting the stack or replacing the bucket deletes it and its backups once no version is locked \
             (vaultgate writes this for removal_policy = \"destroy_backups\"; keep the default \"retain\" to keep the backups)",
            policy_name(deletion),
            policy_name(replace)
        ));
    }
    warnings
}

/// Splits findings into those refused and those allowed, each by the set
/// of logical IDs given to its flag.
pub fn partition_allowed(findings: Vec<Finding>, allow_replacement: &BTreeSet<String>, allow_unprotect: &BTreeSet<String>) -> (Vec<Finding>, Vec<Finding>) {
    findings.into_iter().partition(|finding| {
        let allowed = match finding.flag {
            AllowFlag::Replacement => allow_replacement,
            AllowFlag::Unprotect => allow_unprotect,
        };
        !finding.allow_ids.iter().any(|id| allowed.contains(id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::changes::tests::change;
    use serde_json::json;

    fn template(value: Json) -> Template {
        Template::from_json_value(value, "test").unwrap()
    }

    fn fixture() -> Template {
        Template::parse(include_str!("../../tests/fixtures/backup-stack.json"), "backup-stack.json").unwrap()
    }

    #[test]
    fn bucket_replacement_is_refused() {
        let deployed = fixture();
        let findings = destructive_findings(Some(&deployed), &deployed, &[change("Modify", "BackupBucket", "AWS::S3::Bucket", Replacement::True)]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].logical_id, "BackupBucket");
        assert_eq!(findings[0].protections.len(), 2, "{:?}", findings[0]);
        let named = BTreeSet::from(["BackupBucket".to_owned()]);
        let (refused, allowed) = partition_allowed(findings.clone(), &BTreeSet::new(), &BTreeSet::new());
        assert_eq!((refused.len(), allowed.len()), (1, 0));
        let (refused, allowed) = partition_allowed(findings.clone(), &BTreeSet::new(), &named);
        assert_eq!((refused.len(), allowed.len()), (1, 0), "--allow-unprotect does not allow a replacement");
        let (refused, allowed) = partition_allowed(findings, &named, &BTreeSet::new());
        assert_eq!((refused.len(), allowed.len()), (0, 1));
    }

    #[test]
    fn predicted_replacement_is_refused() {
        let deployed = fixture();
        let mut modify = change("Modify", "BackupBucket", "AWS::S3::Bucket", Replacement::False);
        modify.predicted_properties = vec!["BucketName".into()];
        let findings = destructive_findings(Some(&deployed), &deployed, &[modify]);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].change.contains("local prediction: create-only BucketName"), "{}", findings[0]);
    }

    #[test]
    fn endpoint_replacement_is_refused() {
        let deployed = fixture();
        let findings = destructive_findings(Some(&deployed), &deployed, &[change("Modify", "S3Endpoint", "AWS::EC2::VPCEndpoint", Replacement::Conditional)]);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].protections[0].contains("S3 gateway endpoint"), "{}", findings[0]);
    }

    #[test]
    fn unprotected_replacement_passes() {
        let deployed = fixture();
        let findings = destructive_findings(Some(&deployed), &deployed, &[change("Modify", "Bastion", "AWS::EC2::Instance", Replacement::True)]);
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn retained_resource_dropped_from_template_is_refused() {
        let deployed = fixture();
        let mut new = deployed.clone();
        new.resources.shift_remove("BackupBucket");
        let findings = destructive_findings(Some(&deployed), &new, &[]);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].change.contains("missing from the new template"), "{}", findings[0]);
        let removal = destructive_findings(Some(&deployed), &new, &[change("Remove", "BackupBucket", "AWS::S3::Bucket", Replacement::Unknown)]);
        assert_eq!(removal.len(), 1);
        assert_eq!(removal[0].change, "would be removed");
    }

    #[test]
    fn object_lock_detection_forms() {
        let flag = template(json!({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"ObjectLockEnabled": true}}}}));
        let configuration = template(json!({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}}}}}));
        let plain = template(json!({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}));
        assert!(has_object_lock(&flag.resources["B"]));
        assert!(has_object_lock(&configuration.resources["B"]));
        assert!(!has_object_lock(&plain.resources["B"]));
    }

    #[test]
    fn default_route_on_private_table_is_refused() {
        let deployed = fixture();
        let mut new = deployed.clone();
        let route = json!({"Type": "AWS::EC2::Route", "Properties": {"RouteTableId": {"Ref": "PrivateRouteTable"}, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": {"Ref": "InternetGateway"}}});
        new.resources.insert("PrivateDefaultRoute".into(), serde_json::from_value(route).unwrap());
        let findings = internet_route_findings(&deployed, &new);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].logical_id, "PrivateDefaultRoute");
        assert!(findings[0].change.contains("PrivateRouteTable"), "{}", findings[0]);
        assert!(internet_route_findings(&deployed, &deployed).is_empty());
    }

    #[test]
    fn ipv6_default_route_is_refused() {
        let deployed = fixture();
        let mut new = deployed.clone();
        let route = json!({"Type": "AWS::EC2::Route", "Properties": {"RouteTableId": {"Ref": "PrivateRouteTable"}, "DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1"}});
        new.resources.insert("PrivateIpv6Route".into(), serde_json::from_value(route).unwrap());
        let findings = internet_route_findings(&deployed, &new);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].change.contains("::/0"), "{}", findings[0]);
    }

    #[test]
    fn private_subnet_moved_to_public_table_is_refused() {
        let deployed = fixture();
        let mut new = deployed.clone();
        let association = new.resources.get_mut("PrivateSubnetRouteTableAssociation").unwrap();
        association.properties.insert("RouteTableId".into(), json!({"Ref": "PublicRouteTable"}));
        let findings = internet_route_findings(&deployed, &new);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].logical_id, "PublicDefaultRoute");
        assert!(findings[0].change.contains("subnet PrivateSubnet"), "{}", findings[0]);
    }

    #[test]
    fn dropping_bucket_retain_is_refused() {
        let deployed = fixture();
        let mut new = deployed.clone();
        let bucket = new.resources.get_mut("BackupBucket").unwrap();
        bucket.deletion_policy = Some(DeletionPolicy::Delete);
        bucket.update_replace_policy = None;

        let findings = unprotect_findings(&deployed, &new);

        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].logical_id, "BackupBucket");
        assert_eq!(findings[0].flag, AllowFlag::Unprotect);
        assert_eq!(findings[0].change, "would lose its protection (DeletionPolicy Retain -> Delete, UpdateReplacePolicy Retain -> (absent))");
        assert!(findings[0].protections.iter().any(|reason| reason.contains("Object Lock")), "{}", findings[0]);
        let named = BTreeSet::from(["BackupBucket".to_owned()]);
        let (refused, _) = partition_allowed(findings.clone(), &named, &BTreeSet::new());
        assert_eq!(refused.len(), 1, "--allow-replacement does not allow dropping Retain");
        let (refused, allowed) = partition_allowed(findings, &BTreeSet::new(), &named);
        assert_eq!((refused.len(), allowed.len()), (0, 1));
    }

    #[test]
    fn one_weakened_policy_is_refused() {
        let deployed = fixture();
        let mut new = deployed.clone();
        new.resources.get_mut("BackupBucket").unwrap().update_replace_policy = Some(DeletionPolicy::Delete);

        let findings = unprotect_findings(&deployed, &new);

        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].change, "would lose its protection (UpdateReplacePolicy Retain -> Delete)");
    }

    #[test]
    fn snapshot_to_delete_is_refused() {
        let deployed = template(json!({"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot", "UpdateReplacePolicy": "Snapshot"}}}));
        let new = template(json!({"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "UpdateReplacePolicy": "Snapshot"}}}));

        let findings = unprotect_findings(&deployed, &new);

        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].change, "would lose its protection (DeletionPolicy Snapshot -> (absent))");
    }

    #[test]
    fn kept_or_stronger_policies_pass() {
        let deployed = fixture();
        let mut new = deployed.clone();
        new.resources.get_mut("BackupBucket").unwrap().deletion_policy = Some(DeletionPolicy::RetainExceptOnCreate);
        assert!(unprotect_findings(&deployed, &new).is_empty());
        assert!(unprotect_findings(&deployed, &deployed).is_empty());

        let unprotected = template(json!({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}));
        let retained = template(json!({"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "DeletionPolicy": "Retain"}}}));
        assert!(unprotect_findings(&unprotected, &retained).is_empty());
        assert!(unprotect_findings(&retained, &unprotected).len() == 1);
    }

    #[test]
    fn removed_resource_is_left_to_destructive_findings() {
        let deployed = fixture();
        let mut new = deployed.clone();
        new.resources.shift_remove("BackupBucket");
        assert!(unprotect_findings(&deployed, &new).is_empty());
        assert_eq!(destructive_findings(Some(&deployed), &new, &[]).len(), 1);
    }

    #[test]
    fn snapshot_policy_protects_from_replacement() {
        let deployed = template(json!({"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "UpdateReplacePolicy": "Snapshot"}}}));
        let findings = destructive_findings(Some(&deployed), &deployed, &[change("Modify", "Db", "AWS::RDS::DBInstance", Replacement::True)]);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].protections[0].contains("UpdateReplacePolicy is Snapshot"), "{}", findings[0]);
    }

    #[test]
    fn new_lock_bucket_without_retain_warns() {
        let mut new = fixture();
        assert!(unretained_lock_warnings(&new).is_empty());
        let bucket = new.resources.get_mut("BackupBucket").unwrap();
        bucket.deletion_policy = Some(DeletionPolicy::Delete);
        bucket.update_replace_policy = Some(DeletionPolicy::Delete);

        let warnings = unretained_lock_warnings(&new);

        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].starts_with("WARNING: bucket BackupBucket has Object Lock but DeletionPolicy Delete and UpdateReplacePolicy Delete"), "{}", warnings[0]);
    }
}

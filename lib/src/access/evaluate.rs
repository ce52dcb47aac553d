//! AWS's policy evaluation logic over every layer that can apply to an S3
//! request: identity policies, the bucket policy, the VPC endpoint policy,
//! SCPs and RCPs level by level, permissions boundaries, session policies,
//! and then the service-side state that IAM does not decide.
//!
//! The order follows the IAM User Guide's "Policy evaluation logic" pages:
//! an explicit deny in any layer wins; every gate (SCP levels, the endpoint
//! policy, boundary, session policy) must allow; within one account an
//! allow from the identity policy or the resource policy grants, across
//! accounts both must.

use std::fmt::Write as _;

use super::compiled::{CompiledLevel, CompiledPolicy, CompiledPrincipal, CompiledSet, CompiledStatement, Layers};
use super::decision::{Deciding, Decision, Evaluation, Layer};
use super::document::Policy;
use super::pattern::{SplitArn, Variables};
use super::request::{Caller, LockMode, Request, RequestRef, ResourceState};
use crate::policy::Effect;

/// One level of an AWS Organizations hierarchy with the policies attached there.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgLevel {
    /// The root, OU or account ID, such as `r-root` or `ou-backup`.
    pub id: String,
    /// The policies attached at this level.
    pub policies: Vec<Policy>,
}

/// Every policy that can apply to one request, by layer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicySet {
    /// The caller's identity-based policies.
    pub identity: Vec<Policy>,
    /// The bucket policy.
    pub resource: Option<Policy>,
    /// VPC endpoint policies; each policy's name is the endpoint ID, and the
    /// one whose ID equals the request's `aws:SourceVpce` applies.
    pub vpc_endpoints: Vec<Policy>,
    /// SCP levels from the root down; each level must allow.
    pub scps: Vec<OrgLevel>,
    /// RCP levels from the root down. `RCPFullAWSAccess` is attached at every
    /// level and cannot be detached, so RCPs only ever deny.
    pub rcps: Vec<OrgLevel>,
    /// The caller's permissions boundary.
    pub permission_boundary: Vec<Policy>,
    /// The session policy of a role or federated session.
    pub session: Option<Policy>,
}

/// The way a `Principal` element matched the caller, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PrincipalMatch {
    /// The caller's account (`111122223333` or its `root` ARN): in a
    /// resource policy this delegates to the account's identity policies.
    Account,
    /// `"*"`: everyone, anonymous included.
    Everyone,
    /// The role ARN of the caller's session; such grants are still limited
    /// by the boundary and the session policy.
    Role,
    /// The caller's own ARN: the user, or the exact role session.
    Direct,
}

/// Facts about the request that every statement check needs.
struct Subject<'a> {
    request: RequestRef<'a>,
    /// The request's resource, split once for every resource pattern.
    resource: SplitArn<'a>,
    has_boundary: bool,
}

/// Evaluates `request` against `policies`, then applies `state`, the
/// service-side rules that IAM does not decide.
pub fn evaluate(policies: &PolicySet, request: &Request, state: &ResourceState) -> Evaluation {
    evaluate_compiled(CompiledSet::new(policies).layers(), request.as_ref(), state)
}

/// Evaluates the policies alone, without service-side state.
pub fn evaluate_iam(policies: &PolicySet, request: &Request) -> Evaluation {
    evaluate_iam_compiled(CompiledSet::new(policies).layers(), request.as_ref())
}

/// Evaluates a request to an AWS KMS key, with the key policy as
/// `policies.resource`. A key policy differs from a bucket policy within the
/// key's account: an identity policy counts only when the key policy allows
/// the account itself (its `root` principal), which enables IAM policies for
/// the key. Without such a statement only a grant in the key policy to the
/// caller, its role or everyone allows the request, even for the root user.
pub fn evaluate_kms(policies: &PolicySet, request: &Request) -> Evaluation {
    let compiled = CompiledSet::new(policies);
    let layers = compiled.layers();
    let request = request.as_ref();
    let evaluation = evaluate_iam_compiled(layers, request);
    if evaluation.decision != Decision::Allowed || request.is_cross_account() {
        return evaluation;
    }
    // Within the account the request is allowed through the key policy's
    // own grant, or through the identity policy when the key policy grants
    // the account. Either kind of statement keeps the evaluation.
    let subject = Subject { request, resource: SplitArn::new(request.resource), has_boundary: false };
    let key_grant = layers.resource.is_some_and(|policy| {
        policy
            .statements
            .iter()
            .filter(|statement| statement.statement.effect == Effect::Allow)
            .any(|statement| applies(statement, &subject).is_some())
    });
    if key_grant {
        return evaluation;
    }
    let key_policy = policies.resource.as_ref().map(|policy| policy.name.clone());
    Evaluation {
        decision: Decision::ImplicitlyDenied,
        decided_by: vec![Deciding { layer: Layer::Resource, scope: None, policy: key_policy, statement: None, effect: "no-allow" }],
        reason: "the key policy neither allows the caller nor enables IAM policies with a statement for the account, so the identity policy's allow does not count".to_owned(),
    }
}

/// [`evaluate`] over policies compiled beforehand.
pub(crate) fn evaluate_compiled(policies: Layers<'_>, request: RequestRef<'_>, state: &ResourceState) -> Evaluation {
    let iam = evaluate_iam_compiled(policies, request);
    if iam.decision != Decision::Allowed {
        return iam;
    }
    if let Some(refusal) = service_refusal(request, state) {
        return refusal;
    }
    object_lock(policies, request, state).unwrap_or(iam)
}

/// [`evaluate_iam`] over policies compiled beforehand.
pub(crate) fn evaluate_iam_compiled(policies: Layers<'_>, request: RequestRef<'_>) -> Evaluation {
    let caller = request.caller;
    let subject = Subject {
        request,
        resource: SplitArn::new(request.resource),
        has_boundary: caller.is_iam_principal() && !policies.permission_boundary.is_empty(),
    };
    let identity: &[CompiledPolicy<'_>] = if caller.is_iam_principal() { policies.identity } else { &[] };
    let boundary: &[CompiledPolicy<'_>] = if caller.is_iam_principal() { policies.permission_boundary } else { &[] };
    let session = policies.session.filter(|_| matches!(caller, Caller::RoleSession { .. } | Caller::FederatedUser { .. }));
    let endpoint = match request.context.get_lowercase("aws:sourcevpce") {
        Some([id]) => policies.vpc_endpoints.iter().find(|policy| policy.policy.name == *id),
        _ => None,
    };
    let scps: &[CompiledLevel<'_>] = if caller.account().is_some() { policies.scps } else { &[] };
    let root_owner = matches!(caller, Caller::Root { account } if account == request.resource_account);
    let bucket_policy_action = is_bucket_policy_action(request.action);

    // Explicit denies, in every layer.
    let mut denies = Vec::new();
    for level in policies.rcps {
        collect(&mut denies, &subject, Layer::Rcp, Some(level.id), &level.policies, Effect::Deny);
    }
    for level in scps {
        collect(&mut denies, &subject, Layer::Scp, Some(level.id), &level.policies, Effect::Deny);
    }
    if let Some(policy) = endpoint {
        collect(&mut denies, &subject, Layer::VpcEndpoint, Some(&policy.policy.name), std::slice::from_ref(policy), Effect::Deny);
    }
    // The bucket owner's root user can always read, replace and delete the
    // bucket policy, whatever the bucket policy denies; only endpoint
    // policies and Organizations policies can stop it.
    if let Some(policy) = policies.resource.filter(|_| !(root_owner && bucket_policy_action)) {
        collect(&mut denies, &subject, Layer::Resource, None, std::slice::from_ref(policy), Effect::Deny);
    }
    collect(&mut denies, &subject, Layer::Identity, None, identity, Effect::Deny);
    collect(&mut denies, &subject, Layer::PermissionBoundary, None, boundary, Effect::Deny);
    if let Some(policy) = session {
        collect(&mut denies, &subject, Layer::Session, None, std::slice::from_ref(policy), Effect::Deny);
    }
    if !denies.is_empty() {
        let reason = sentence("an explicit Deny matched: ", &denies, "");
        return Evaluation { decision: Decision::ExplicitlyDenied, decided_by: denies, reason };
    }

    // Gates: every SCP level and the endpoint policy must allow.
    let mut grants = Vec::new();
    let mut missing = Vec::new();
    for level in scps {
        gate(&mut grants, &mut missing, &subject, Layer::Scp, Some(level.id), &level.policies);
    }
    if let Some(policy) = endpoint {
        gate(&mut grants, &mut missing, &subject, Layer::VpcEndpoint, Some(&policy.policy.name), std::slice::from_ref(policy));
    }

    // The identity side: identity policies, limited by boundary and session policy.
    let mut identity_grants = Vec::new();
    collect(&mut identity_grants, &subject, Layer::Identity, None, identity, Effect::Allow);
    let identity_allows = root_owner_or_root(caller) || !identity_grants.is_empty();
    // The root user has no policies; name its implicit grant so that every
    // allowed request says what allowed it.
    if root_owner_or_root(caller) && identity_grants.is_empty() {
        identity_grants.push(Deciding { layer: Layer::Identity, scope: None, policy: Some(ROOT_GRANT.to_owned()), statement: None, effect: "allow" });
    }
    let mut limit_grants = Vec::new();
    let mut limit_missing = Vec::new();
    if !boundary.is_empty() {
        gate(&mut limit_grants, &mut limit_missing, &subject, Layer::PermissionBoundary, None, boundary);
    }
    if let Some(policy) = session {
        gate(&mut limit_grants, &mut limit_missing, &subject, Layer::Session, None, std::slice::from_ref(policy));
    }
    let limits_allow = limit_missing.is_empty();

    // The resource side, by how the bucket policy named the caller.
    let mut resource_grants: Vec<(Deciding, PrincipalMatch)> = Vec::new();
    if let Some(policy) = policies.resource {
        for statement in policy.statements.iter().filter(|s| s.statement.effect == Effect::Allow) {
            if let Some(matched) = applies(statement, &subject) {
                resource_grants.push((deciding(Layer::Resource, None, policy, statement, "allow"), matched));
            }
        }
    }
    let resource_grant = |accept: &dyn Fn(PrincipalMatch) -> bool| {
        resource_grants.iter().filter(|(_, matched)| accept(*matched)).map(|(d, _)| d.clone()).collect::<Vec<_>>()
    };

    let granted: Vec<Deciding>;
    if request.is_cross_account() {
        // Across accounts the bucket policy must allow (an account principal
        // counts, it delegates to that account) and so must the caller's side.
        let from_resource = resource_grant(&|_| true);
        if from_resource.is_empty() {
            missing.push(no_allow(Layer::Resource, policies.resource));
        }
        let identity_side_ok = matches!(caller, Caller::Anonymous) || (identity_allows && limits_allow);
        if !identity_side_ok {
            push_identity_side(&mut missing, identity_allows, identity, &limit_missing);
        }
        granted = [identity_grants.clone(), limit_grants.clone(), from_resource].concat();
    } else {
        // Within one account either side grants. A grant to the user or the
        // exact session ARN is not limited by boundary or session policy; a
        // grant to the role ARN or to everyone is. An account principal
        // grants nothing by itself.
        let unlimited = resource_grant(&|m| m == PrincipalMatch::Direct || (m == PrincipalMatch::Everyone && matches!(caller, Caller::User { .. })));
        let limited = resource_grant(&|m| m == PrincipalMatch::Role || m == PrincipalMatch::Everyone);
        if identity_allows && limits_allow {
            granted = [identity_grants.clone(), limit_grants.clone()].concat();
        } else if !unlimited.is_empty() {
            granted = unlimited;
        } else if !limited.is_empty() && limits_allow {
            granted = [limited, limit_grants.clone()].concat();
        } else {
            push_identity_side(&mut missing, identity_allows, identity, &limit_missing);
            if !identity_allows && !limited.is_empty() {
                // The bucket policy granted the role, but the boundary or the
                // session policy took the grant away: name them too.
                missing.extend(limit_missing.iter().cloned());
            }
            granted = Vec::new();
        }
    }

    if !missing.is_empty() {
        let reason = sentence("no Allow in a layer that must allow: ", &missing, "");
        return Evaluation { decision: Decision::ImplicitlyDenied, decided_by: missing, reason };
    }
    let mut decided_by = granted;
    decided_by.extend(grants);
    let only_root_grant = decided_by.iter().all(|d| d.policy.as_deref() == Some(ROOT_GRANT) || (d.layer != Layer::Identity && d.layer != Layer::Resource));
    let reason = if root_owner_or_root(caller) && only_root_grant {
        "the account root user has full access in its own account and nothing denied".to_owned()
    } else {
        sentence("allowed by ", &decided_by, " and no Deny matched")
    };
    Evaluation { decision: Decision::Allowed, decided_by, reason }
}

/// The policy name of the root user's implicit identity grant.
const ROOT_GRANT: &str = "account root user";

fn root_owner_or_root(caller: &Caller) -> bool {
    matches!(caller, Caller::Root { .. })
}

fn push_identity_side(missing: &mut Vec<Deciding>, identity_allows: bool, identity: &[CompiledPolicy<'_>], limit_missing: &[Deciding]) {
    if !identity_allows {
        let policy = (identity.len() == 1).then(|| identity[0].policy.name.clone());
        missing.push(Deciding { layer: Layer::Identity, scope: None, policy, statement: None, effect: "no-allow" });
    } else {
        missing.extend_from_slice(limit_missing);
    }
}

fn no_allow(layer: Layer, policy: Option<&CompiledPolicy<'_>>) -> Deciding {
    Deciding { layer, scope: None, policy: policy.map(|p| p.policy.name.clone()), statement: None, effect: "no-allow" }
}

/// Records the first matching `Allow` of a layer that must allow, or the
/// layer as missing one.
fn gate(grants: &mut Vec<Deciding>, missing: &mut Vec<Deciding>, subject: &Subject<'_>, layer: Layer, scope: Option<&str>, policies: &[CompiledPolicy<'_>]) {
    match first_match(subject, policies, Effect::Allow) {
        Some((policy, statement)) => grants.push(deciding(layer, scope, policy, statement, "allow")),
        None => {
            let policy = (policies.len() == 1).then(|| policies[0].policy.name.clone());
            missing.push(Deciding { layer, scope: scope.map(str::to_owned), policy, statement: None, effect: "no-allow" });
        }
    }
}

/// Appends every statement of `effect` in `policies` that applies.
fn collect(found: &mut Vec<Deciding>, subject: &Subject<'_>, layer: Layer, scope: Option<&str>, policies: &[CompiledPolicy<'_>], effect: Effect) {
    let label = if effect == Effect::Deny { "deny" } else { "allow" };
    for policy in policies {
        for statement in policy.statements.iter().filter(|s| s.statement.effect == effect) {
            if applies(statement, subject).is_some() {
                found.push(deciding(layer, scope, policy, statement, label));
            }
        }
    }
}

/// Returns the first statement of `effect` in `policies` that applies, in
/// the order [`collect`] lists them.
fn first_match<'a, 'p>(
    subject: &Subject<'_>,
    policies: &'a [CompiledPolicy<'p>],
    effect: Effect,
) -> Option<(&'a CompiledPolicy<'p>, &'a CompiledStatement<'p>)> {
    policies.iter().find_map(|policy| {
        policy
            .statements
            .iter()
            .find(|s| s.statement.effect == effect && applies(s, subject).is_some())
            .map(|statement| (policy, statement))
    })
}

fn deciding(layer: Layer, scope: Option<&str>, policy: &CompiledPolicy<'_>, statement: &CompiledStatement<'_>, effect: &'static str) -> Deciding {
    Deciding {
        layer,
        scope: scope.map(str::to_owned),
        policy: Some(policy.policy.name.clone()),
        statement: Some(statement.statement.label()),
        effect,
    }
}

/// Builds `prefix`, the reasons joined with `; `, then `suffix`, in one
/// buffer sized by an estimate of 64 bytes per reason.
fn sentence(prefix: &str, items: &[Deciding], suffix: &str) -> String {
    let mut sentence = String::with_capacity(prefix.len() + 64 * items.len() + suffix.len());
    sentence.push_str(prefix);
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            sentence.push_str("; ");
        }
        write!(sentence, "{item}").expect("writing to a String does not fail");
    }
    sentence.push_str(suffix);
    sentence
}

/// Returns how the statement's principal matched when the statement applies
/// to the request, or `None` when it does not. Every check is free of side
/// effects and all must pass, so the cheapest, the action, comes first.
fn applies(compiled: &CompiledStatement<'_>, subject: &Subject<'_>) -> Option<PrincipalMatch> {
    let request = subject.request;
    let statement = compiled.statement;
    let action_listed = compiled.actions.iter().any(|pattern| pattern.matches(request.action, true));
    if action_listed == statement.action.negated {
        return None;
    }
    let matched = match &compiled.principal {
        None => PrincipalMatch::Direct,
        Some(principal) if principal.element.negated => {
            // A Deny with NotPrincipal always denies principals that have a
            // permissions boundary, whatever NotPrincipal lists.
            let boundary_rule = statement.effect == Effect::Deny && subject.has_boundary;
            if !boundary_rule && not_principal_excludes(principal, request.caller) {
                return None;
            }
            PrincipalMatch::Direct
        }
        Some(principal) => principal_match(principal, request.caller)?,
    };
    if let (Some(resources), Some(element)) = (&compiled.resources, &statement.resource) {
        let variables = Variables { context: request.context, enabled: compiled.variables_enabled };
        let listed = resources.iter().any(|pattern| pattern.with_pattern(true, variables, |compiled| compiled.matches_split_arn(&subject.resource)));
        if listed == element.negated {
            return None;
        }
    }
    let conditions_hold = compiled.conditions.iter().all(|condition| condition.holds(request.context));
    conditions_hold.then_some(matched)
}

/// Returns `true` when `entry` is `arn:aws:iam::ACCOUNT:RESOURCE` and
/// `resource` accepts RESOURCE, without building the ARN.
fn is_iam_arn(entry: &str, account: &str, resource: impl FnOnce(&str) -> bool) -> bool {
    entry
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.strip_prefix(account))
        .and_then(|rest| rest.strip_prefix(':'))
        .is_some_and(resource)
}

/// Returns `true` when `entry` is one of the ARNs that name the caller in
/// a `Principal` element: the user's, the federated user's or the session's
/// own ARN, or the root user's `arn:aws:iam::ACCOUNT:root`.
fn names_caller(entry: &str, caller: &Caller) -> bool {
    match caller {
        Caller::User { arn, .. } | Caller::FederatedUser { arn, .. } => entry == arn,
        Caller::RoleSession { session_arn, .. } => entry == session_arn,
        Caller::Root { account } => is_iam_arn(entry, account, |resource| resource == "root"),
        Caller::Anonymous | Caller::Service(_) => false,
    }
}

/// Returns `true` when `entry` names the role of a role session, with or
/// without the role's path.
fn names_role(entry: &str, caller: &Caller) -> bool {
    match caller {
        Caller::RoleSession { role_arn, role_name, account, .. } => {
            entry == role_arn || is_iam_arn(entry, account, |resource| resource.strip_prefix("role/") == Some(role_name.as_str()))
        }
        _ => false,
    }
}

fn principal_match(principal: &CompiledPrincipal<'_>, caller: &Caller) -> Option<PrincipalMatch> {
    let element = principal.element;
    let mut best: Option<PrincipalMatch> = element.anyone.then_some(PrincipalMatch::Everyone);
    let mut consider = |found: PrincipalMatch| best = Some(best.map_or(found, |current| current.max(found)));
    for entry in &principal.aws {
        if let Some(account) = entry.account {
            if caller.account() == Some(account) {
                consider(if matches!(caller, Caller::Root { .. }) { PrincipalMatch::Direct } else { PrincipalMatch::Account });
            }
        } else if names_caller(entry.text, caller) {
            consider(PrincipalMatch::Direct);
        } else if names_role(entry.text, caller) {
            consider(PrincipalMatch::Role);
        }
    }
    if let Caller::Service(name) = caller {
        if element.service.iter().any(|service| service == name) {
            consider(PrincipalMatch::Direct);
        }
    }
    best
}

/// Returns `true` when `NotPrincipal` lists every identity IAM checks for
/// the caller: the account, then the role or user, then the session.
/// Listing only the session leaves the Deny in force for the caller.
fn not_principal_excludes(principal: &CompiledPrincipal<'_>, caller: &Caller) -> bool {
    let element = principal.element;
    if element.anyone {
        return true;
    }
    let account_listed = |account: &str| principal.aws.iter().any(|entry| entry.account == Some(account));
    let arn_listed = |arn: &str| element.aws.iter().any(|entry| entry == arn);
    match caller {
        Caller::Anonymous => false,
        Caller::Service(name) => element.service.iter().any(|service| service == name),
        Caller::Root { account } => account_listed(account),
        Caller::User { arn, account } | Caller::FederatedUser { arn, account } => account_listed(account) && arn_listed(arn),
        Caller::RoleSession { session_arn, account, .. } => {
            account_listed(account) && element.aws.iter().any(|entry| names_role(entry, caller)) && arn_listed(session_arn)
        }
    }
}

/// Returns `true` for the actions on the bucket policy itself.
fn is_bucket_policy_action(action: &str) -> bool {
    ["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"].iter().any(|known| known.eq_ignore_ascii_case(action))
}

/// Returns `true` for the actions that set an ACL.
fn is_acl_write_action(action: &str) -> bool {
    ["s3:PutObjectAcl", "s3:PutObjectVersionAcl", "s3:PutBucketAcl"].iter().any(|known| known.eq_ignore_ascii_case(action))
}

/// Service rules outside policies that refuse a request IAM allowed.
fn service_refusal(request: RequestRef<'_>, state: &ResourceState) -> Option<Evaluation> {
    let refuse = |reason: &str| {
        Some(Evaluation {
            decision: Decision::Denied,
            decided_by: vec![Deciding { layer: Layer::Service, scope: None, policy: None, statement: None, effect: "refused" }],
            reason: reason.to_owned(),
        })
    };
    if is_bucket_policy_action(request.action) && request.is_cross_account() {
        return refuse("S3 accepts bucket-policy requests only from identities in the bucket owner's account (405 Method Not Allowed)");
    }
    // The bucket contains the version under retention, so it is not empty,
    // and S3 deletes only empty buckets.
    if state.version_under_retention && request.action.eq_ignore_ascii_case("s3:DeleteBucket") {
        return refuse("the bucket contains an object version under Object Lock retention, so it is not empty, and S3 deletes only empty buckets (409 BucketNotEmpty)");
    }
    let suspends_versioning = request.action.eq_ignore_ascii_case("s3:PutBucketVersioning") && !state.versioning_enable_only;
    if state.bucket_object_lock && suspends_versioning {
        return refuse("the bucket has Object Lock enabled, and S3 does not suspend versioning on such a bucket");
    }
    if state.acls_disabled && is_acl_write_action(request.action) {
        return refuse("the bucket's Object Ownership is BucketOwnerEnforced, so ACLs are disabled and S3 rejects requests that set one (400 AccessControlListNotSupported)");
    }
    None
}

/// Object Lock: a version under retention or legal hold cannot be deleted,
/// and its retention cannot be shortened, except in governance mode by a
/// caller allowed `s3:BypassGovernanceRetention` who sends the bypass header.
fn object_lock(policies: Layers<'_>, request: RequestRef<'_>, state: &ResourceState) -> Option<Evaluation> {
    let deletes_version = request.action.eq_ignore_ascii_case("s3:DeleteObjectVersion");
    let shortens_retention = request.action.eq_ignore_ascii_case("s3:PutObjectRetention") && !state.retention_extension_only;
    if !(deletes_version || shortens_retention) {
        return None;
    }
    let refuse = |reason: String| {
        Some(Evaluation {
            decision: Decision::Denied,
            decided_by: vec![Deciding { layer: Layer::ObjectLock, scope: None, policy: None, statement: None, effect: "refused" }],
            reason,
        })
    };
    if deletes_version && state.legal_hold {
        return refuse("the object version has a legal hold, so S3 refuses to delete it".to_owned());
    }
    if !state.version_under_retention {
        return None;
    }
    match state.object_lock_mode? {
        LockMode::Compliance => refuse(
            "the version is under COMPLIANCE retention: no user, the root user included, can delete it or shorten its retention".to_owned(),
        ),
        LockMode::Governance => {
            if !state.bypass_governance_header {
                return refuse("the version is under GOVERNANCE retention and the request does not send the bypass header".to_owned());
            }
            let bypass = RequestRef { action: "s3:BypassGovernanceRetention", ..request };
            let allowed = evaluate_iam_compiled(policies, bypass);
            if allowed.decision.is_allowed() {
                None
            } else {
                refuse(format!(
                    "the version is under GOVERNANCE retention and s3:BypassGovernanceRetention is not allowed ({})",
                    allowed.reason
                ))
            }
        }
    }
}

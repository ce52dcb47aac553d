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

use super::condition::condition_holds;
use super::decision::{Deciding, Decision, Evaluation, Layer};
use super::document::{Policy, PolicyStatement, PrincipalElement};
use super::pattern::{action_matches, Pattern, Variables};
use super::request::{Caller, LockMode, Request, ResourceState};
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
    request: &'a Request,
    has_boundary: bool,
}

/// Evaluates `request` against `policies`, then applies `state`, the
/// service-side rules that IAM does not decide.
pub fn evaluate(policies: &PolicySet, request: &Request, state: &ResourceState) -> Evaluation {
    let iam = evaluate_iam(policies, request);
    if iam.decision != Decision::Allowed {
        return iam;
    }
    if let Some(refusal) = service_refusal(request) {
        return refusal;
    }
    object_lock(policies, request, state).unwrap_or(iam)
}

/// Evaluates the policies alone, without service-side state.
pub fn evaluate_iam(policies: &PolicySet, request: &Request) -> Evaluation {
    let caller = &request.caller;
    let subject = Subject { request, has_boundary: caller.is_iam_principal() && !policies.permission_boundary.is_empty() };
    let identity: &[Policy] = if caller.is_iam_principal() { &policies.identity } else { &[] };
    let boundary: &[Policy] = if caller.is_iam_principal() { &policies.permission_boundary } else { &[] };
    let session = policies.session.as_ref().filter(|_| matches!(caller, Caller::RoleSession { .. } | Caller::FederatedUser { .. }));
    let endpoint = request
        .context
        .value("aws:SourceVpce")
        .and_then(|id| policies.vpc_endpoints.iter().find(|policy| policy.name == id));
    let scps: &[OrgLevel] = if caller.account().is_some() { &policies.scps } else { &[] };
    let root_owner = matches!(caller, Caller::Root { account } if *account == request.resource_account);
    let bucket_policy_action = ["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"]
        .iter()
        .any(|action| action.eq_ignore_ascii_case(&request.action));

    // Explicit denies, in every layer.
    let mut denies = Vec::new();
    for level in &policies.rcps {
        collect(&mut denies, &subject, Layer::Rcp, Some(&level.id), &level.policies, Effect::Deny);
    }
    for level in scps {
        collect(&mut denies, &subject, Layer::Scp, Some(&level.id), &level.policies, Effect::Deny);
    }
    if let Some(policy) = endpoint {
        collect(&mut denies, &subject, Layer::VpcEndpoint, Some(&policy.name), std::slice::from_ref(policy), Effect::Deny);
    }
    // The bucket owner's root user can always read, replace and delete the
    // bucket policy, whatever the bucket policy denies; only endpoint
    // policies and Organizations policies can stop it.
    if let Some(policy) = policies.resource.as_ref().filter(|_| !(root_owner && bucket_policy_action)) {
        collect(&mut denies, &subject, Layer::Resource, None, std::slice::from_ref(policy), Effect::Deny);
    }
    collect(&mut denies, &subject, Layer::Identity, None, identity, Effect::Deny);
    collect(&mut denies, &subject, Layer::PermissionBoundary, None, boundary, Effect::Deny);
    if let Some(policy) = session {
        collect(&mut denies, &subject, Layer::Session, None, std::slice::from_ref(policy), Effect::Deny);
    }
    if !denies.is_empty() {
        let reason = format!("an explicit Deny matched: {}", join(&denies));
        return Evaluation { decision: Decision::ExplicitlyDenied, decided_by: denies, reason };
    }

    // Gates: every SCP level and the endpoint policy must allow.
    let mut grants = Vec::new();
    let mut missing = Vec::new();
    for level in scps {
        gate(&mut grants, &mut missing, &subject, Layer::Scp, Some(&level.id), &level.policies);
    }
    if let Some(policy) = endpoint {
        gate(&mut grants, &mut missing, &subject, Layer::VpcEndpoint, Some(&policy.name), std::slice::from_ref(policy));
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
    if let Some(policy) = &policies.resource {
        for statement in policy.statements.iter().filter(|s| s.effect == Effect::Allow) {
            if let Some(matched) = applies(statement, policy, &subject) {
                resource_grants.push((deciding(Layer::Resource, None, policy, Some(statement), "allow"), matched));
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
            missing.push(no_allow(Layer::Resource, policies.resource.as_ref()));
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
        let reason = format!("no Allow in a layer that must allow: {}", join(&missing));
        return Evaluation { decision: Decision::ImplicitlyDenied, decided_by: missing, reason };
    }
    let mut decided_by = granted;
    decided_by.extend(grants);
    let only_root_grant = decided_by.iter().all(|d| d.policy.as_deref() == Some(ROOT_GRANT) || (d.layer != Layer::Identity && d.layer != Layer::Resource));
    let reason = if root_owner_or_root(caller) && only_root_grant {
        "the account root user has full access in its own account and nothing denied".to_owned()
    } else {
        format!("allowed by {} and no Deny matched", join(&decided_by))
    };
    Evaluation { decision: Decision::Allowed, decided_by, reason }
}

/// The policy name of the root user's implicit identity grant.
const ROOT_GRANT: &str = "account root user";

fn root_owner_or_root(caller: &Caller) -> bool {
    matches!(caller, Caller::Root { .. })
}

fn push_identity_side(missing: &mut Vec<Deciding>, identity_allows: bool, identity: &[Policy], limit_missing: &[Deciding]) {
    if !identity_allows {
        let policy = (identity.len() == 1).then(|| identity[0].name.clone());
        missing.push(Deciding { layer: Layer::Identity, scope: None, policy, statement: None, effect: "no-allow" });
    } else {
        missing.extend_from_slice(limit_missing);
    }
}

fn no_allow(layer: Layer, policy: Option<&Policy>) -> Deciding {
    Deciding { layer, scope: None, policy: policy.map(|p| p.name.clone()), statement: None, effect: "no-allow" }
}

/// Records the first matching `Allow` of a layer that must allow, or the
/// layer as missing one.
fn gate(grants: &mut Vec<Deciding>, missing: &mut Vec<Deciding>, subject: &Subject<'_>, layer: Layer, scope: Option<&str>, policies: &[Policy]) {
    let mut found = Vec::new();
    collect(&mut found, subject, layer, scope, policies, Effect::Allow);
    match found.into_iter().next() {
        Some(grant) => grants.push(grant),
        None => {
            let policy = (policies.len() == 1).then(|| policies[0].name.clone());
            missing.push(Deciding { layer, scope: scope.map(str::to_owned), policy, statement: None, effect: "no-allow" });
        }
    }
}

/// Appends every statement of `effect` in `policies` that applies.
fn collect(found: &mut Vec<Deciding>, subject: &Subject<'_>, layer: Layer, scope: Option<&str>, policies: &[Policy], effect: Effect) {
    let label = if effect == Effect::Deny { "deny" } else { "allow" };
    for policy in policies {
        for statement in policy.statements.iter().filter(|s| s.effect == effect) {
            if applies(statement, policy, subject).is_some() {
                found.push(deciding(layer, scope, policy, Some(statement), label));
            }
        }
    }
}

fn deciding(layer: Layer, scope: Option<&str>, policy: &Policy, statement: Option<&PolicyStatement>, effect: &'static str) -> Deciding {
    Deciding {
        layer,
        scope: scope.map(str::to_owned),
        policy: Some(policy.name.clone()),
        statement: statement.map(PolicyStatement::label),
        effect,
    }
}

fn join(items: &[Deciding]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// Returns how the statement's principal matched when the statement applies
/// to the request, or `None` when it does not.
fn applies(statement: &PolicyStatement, policy: &Policy, subject: &Subject<'_>) -> Option<PrincipalMatch> {
    let request = subject.request;
    let matched = match &statement.principal {
        None => PrincipalMatch::Direct,
        Some(element) if element.negated => {
            // A Deny with NotPrincipal always denies principals that have a
            // permissions boundary, whatever NotPrincipal lists.
            let boundary_rule = statement.effect == Effect::Deny && subject.has_boundary;
            if !boundary_rule && not_principal_excludes(element, &request.caller) {
                return None;
            }
            PrincipalMatch::Direct
        }
        Some(element) => principal_match(element, &request.caller)?,
    };
    let action_listed = statement.action.patterns.iter().any(|pattern| action_matches(pattern, &request.action));
    if action_listed == statement.action.negated {
        return None;
    }
    if let Some(resources) = &statement.resource {
        let variables = Variables { context: &request.context, enabled: policy.substitutes_variables() };
        let listed = resources.patterns.iter().any(|pattern| {
            Pattern::compile(pattern, true, Some(variables)).is_some_and(|compiled| compiled.matches_arn(&request.resource))
        });
        if listed == resources.negated {
            return None;
        }
    }
    let conditions_hold =
        statement.conditions.iter().all(|condition| condition_holds(condition, &request.context, policy.substitutes_variables()));
    conditions_hold.then_some(matched)
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Returns the account an `AWS` principal entry names as a whole
/// (`111122223333` or `arn:aws:iam::111122223333:root`).
fn account_entry(entry: &str) -> Option<&str> {
    if is_account_id(entry) {
        return Some(entry);
    }
    let parts: Vec<&str> = entry.split(':').collect();
    match parts[..] {
        ["arn", _, "iam", "", account, "root"] if is_account_id(account) => Some(account),
        _ => None,
    }
}

/// Returns the ARNs that name the caller in a `Principal` element.
fn caller_arns(caller: &Caller) -> Vec<String> {
    match caller {
        Caller::User { arn, .. } | Caller::FederatedUser { arn, .. } => vec![arn.clone()],
        Caller::RoleSession { session_arn, .. } => vec![session_arn.clone()],
        Caller::Root { account } => vec![format!("arn:aws:iam::{account}:root")],
        Caller::Anonymous | Caller::Service(_) => Vec::new(),
    }
}

/// Returns `true` when `entry` names the role of a role session, with or
/// without the role's path.
fn names_role(entry: &str, caller: &Caller) -> bool {
    match caller {
        Caller::RoleSession { role_arn, role_name, account, .. } => {
            entry == role_arn || entry == format!("arn:aws:iam::{account}:role/{role_name}")
        }
        _ => false,
    }
}

fn principal_match(element: &PrincipalElement, caller: &Caller) -> Option<PrincipalMatch> {
    let mut best: Option<PrincipalMatch> = element.anyone.then_some(PrincipalMatch::Everyone);
    let mut consider = |found: PrincipalMatch| best = Some(best.map_or(found, |current| current.max(found)));
    for entry in &element.aws {
        if let Some(account) = account_entry(entry) {
            if caller.account() == Some(account) {
                consider(if matches!(caller, Caller::Root { .. }) { PrincipalMatch::Direct } else { PrincipalMatch::Account });
            }
        } else if caller_arns(caller).iter().any(|arn| arn == entry) {
            consider(PrincipalMatch::Direct);
        } else if names_role(entry, caller) {
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
fn not_principal_excludes(element: &PrincipalElement, caller: &Caller) -> bool {
    if element.anyone {
        return true;
    }
    let account_listed = |account: &str| element.aws.iter().any(|entry| account_entry(entry) == Some(account));
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

/// Service rules outside policies that refuse a request IAM allowed.
// NOTE: S3 also refuses to suspend versioning on an Object Lock bucket, to
// delete a non-empty bucket and to set ACLs when object ownership is
// BucketOwnerEnforced; those rules are not modelled, so such requests get
// IAM's decision.
fn service_refusal(request: &Request) -> Option<Evaluation> {
    let bucket_policy_action = ["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"]
        .iter()
        .any(|action| action.eq_ignore_ascii_case(&request.action));
    if bucket_policy_action && request.is_cross_account() {
        return Some(Evaluation {
            decision: Decision::Denied,
            decided_by: vec![Deciding { layer: Layer::Service, scope: None, policy: None, statement: None, effect: "refused" }],
            reason: "S3 accepts bucket-policy requests only from identities in the bucket owner's account (405 Method Not Allowed)".to_owned(),
        });
    }
    None
}

/// Object Lock: a version under retention or legal hold cannot be deleted,
/// and its retention cannot be shortened, except in governance mode by a
/// caller allowed `s3:BypassGovernanceRetention` who sends the bypass header.
fn object_lock(policies: &PolicySet, request: &Request, state: &ResourceState) -> Option<Evaluation> {
    let action = request.action.to_ascii_lowercase();
    let deletes_version = action == "s3:deleteobjectversion";
    let shortens_retention = action == "s3:putobjectretention" && !state.retention_extension_only;
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
            let bypass = Request { action: "s3:BypassGovernanceRetention".to_owned(), ..request.clone() };
            let allowed = evaluate_iam(policies, &bypass);
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

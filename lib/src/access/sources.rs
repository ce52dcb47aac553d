//! Request sources: everyone and everything that can send an S3 request to
//! the stack's buckets, with the request context AWS would build for them.
//!
//! Context keys are derived from the path, never assumed: `aws:SourceVpce`,
//! `aws:SourceVpc` and `aws:VpcSourceIp` exist only for requests through a
//! VPC endpoint, `aws:SourceIp` only for requests outside one, principal
//! keys only for signed requests.

use super::document::Policy;
use super::model::StackModel;
use super::network::S3Path;
use super::request::{Caller, Context};
use super::trust::open_trust;

/// The ID given to the endpoint of a VPC outside the stack.
pub const OTHER_VPC_ENDPOINT: &str = "vpce-0ffffffffffffffff";
/// The ID given to that VPC.
pub const OTHER_VPC: &str = "vpc-0ffffffffffffffff";

/// The kind of requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// An instance of the stack, with its instance profile's role.
    Instance,
    /// Unsigned requests from the internet.
    InternetAnonymous,
    /// An instance role's credentials used from the internet.
    InternetWithCredentials,
    /// An instance role's credentials used through another VPC's S3
    /// endpoint that has the default full-access policy.
    OtherVpcEndpoint,
    /// An administrator in the console, with `AdministratorAccess`.
    ConsoleAdmin,
    /// A role of the stack not attached to an instance (such as a restore
    /// role), assumed from the console.
    Role,
    /// The account's root user in the console.
    AccountRoot,
    /// A caller outside the account who assumes a role whose trust policy
    /// lets anyone or another account in, using it from the internet.
    AssumedFromOutside,
}

/// The network path of a source's requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Through an S3 gateway endpoint.
    Endpoint {
        /// Endpoint ID, `vpce-…`.
        endpoint_id: String,
        /// The endpoint's VPC ID.
        vpc_id: String,
        /// The sender's private address.
        private_ip: String,
    },
    /// Over the internet from a public address.
    Internet {
        /// The address S3 receives the request from.
        source_ip: String,
    },
    /// No route reaches S3.
    Unreachable,
}

/// One requester.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestSource {
    /// Unique name: the subnet's logical ID for an instance (the instance's
    /// when a subnet has several), otherwise `internet-anonymous`,
    /// `internet-credentials:ROLE`, `other-vpc-endpoint:ROLE`,
    /// `console-admin`, `role:ROLE`, `account-root` or
    /// `assumed-from-outside:ROLE`.
    pub name: String,
    /// The kind of requester.
    pub kind: SourceKind,
    /// One line for people.
    pub description: String,
    /// The principal that signs the requests.
    pub caller: Caller,
    /// Identity-based policies of the caller.
    pub identity: Vec<Policy>,
    /// The caller's permissions boundary.
    pub boundary: Vec<Policy>,
    /// The network path.
    pub route: Route,
    /// The request context, without per-request keys.
    pub context: Context,
    /// Logical ID of the role behind the credentials.
    pub role: Option<String>,
    /// Logical ID of the instance, for instance sources.
    pub instance: Option<String>,
    /// Logical ID of the subnet, for instance sources.
    pub subnet: Option<String>,
}

/// Builds every request source of the model.
pub(crate) fn request_sources(model: &StackModel) -> Vec<RequestSource> {
    let account = &model.settings.environment.account;
    let mut sources = Vec::new();
    let per_subnet = |subnet: &Option<String>| model.network.instances.iter().filter(|i| &i.subnet == subnet).count();
    for instance in &model.network.instances {
        let role = instance.instance_profile.as_deref().and_then(|profile| model.instance_role(profile));
        let name = match &instance.subnet {
            Some(subnet) if per_subnet(&instance.subnet) == 1 => subnet.clone(),
            Some(subnet) => format!("{subnet}/{}", instance.logical_id),
            None => instance.logical_id.clone(),
        };
        let route = match instance.subnet.as_deref().map(|subnet| model.network.s3_path(subnet, instance.public_ip.as_deref())) {
            Some(S3Path::Endpoint(endpoint)) => match model.network.endpoint(&endpoint) {
                Some(endpoint) => Route::Endpoint { endpoint_id: endpoint.id.clone(), vpc_id: endpoint.vpc_id.clone(), private_ip: instance.private_ip.clone() },
                None => Route::Unreachable,
            },
            Some(S3Path::Internet { source_ip, .. }) => Route::Internet { source_ip },
            Some(S3Path::Unreachable) | None => Route::Unreachable,
        };
        let caller = match role {
            Some(role) => session(account, role, &instance.id),
            None => Caller::Anonymous,
        };
        let ec2 = instance.subnet.as_deref().and_then(|subnet| model.network.vpc_of_subnet(subnet)).map(|vpc| (vpc.to_owned(), instance.private_ip.clone()));
        let description = match role {
            Some(role) => format!("instance {} in {} with role {}", instance.logical_id, instance.subnet.as_deref().unwrap_or("no subnet"), role.logical_id),
            None => format!("instance {} without an instance profile (unsigned requests)", instance.logical_id),
        };
        sources.push(source(model, name, SourceKind::Instance, description, caller, role, route, ec2.clone(), Some(&instance.logical_id), instance.subnet.clone()));

        if let Some(role) = role {
            let caller = || session(account, role, &instance.id);
            if !sources.iter().any(|s: &RequestSource| s.name == format!("internet-credentials:{}", role.logical_id)) {
                sources.push(source(
                    model,
                    format!("internet-credentials:{}", role.logical_id),
                    SourceKind::InternetWithCredentials,
                    format!("credentials of role {} used from the internet", role.logical_id),
                    caller(),
                    Some(role),
                    Route::Internet { source_ip: "192.0.2.50".to_owned() },
                    ec2.clone(),
                    None,
                    None,
                ));
                sources.push(source(
                    model,
                    format!("other-vpc-endpoint:{}", role.logical_id),
                    SourceKind::OtherVpcEndpoint,
                    format!("credentials of role {} used through another VPC's S3 endpoint with the default policy", role.logical_id),
                    caller(),
                    Some(role),
                    Route::Endpoint { endpoint_id: OTHER_VPC_ENDPOINT.to_owned(), vpc_id: OTHER_VPC.to_owned(), private_ip: "172.31.5.9".to_owned() },
                    ec2.clone(),
                    None,
                    None,
                ));
            }
        }
    }
    let console = Route::Internet { source_ip: "198.51.100.7".to_owned() };
    sources.push(source(model, "internet-anonymous".to_owned(), SourceKind::InternetAnonymous, "unsigned requests from the internet".to_owned(), Caller::Anonymous, None, Route::Internet { source_ip: "192.0.2.99".to_owned() }, None, None, None));
    let admin = &model.settings.admin_role_arn;
    let admin_name = admin.rsplit('/').next().unwrap_or("Admin");
    let admin_caller = Caller::parse(&format!("arn:aws:sts::{account}:assumed-role/{admin_name}/admin@example.com"), Some(admin)).unwrap_or(Caller::Anonymous);
    let mut admin_source = source(model, "console-admin".to_owned(), SourceKind::ConsoleAdmin, format!("administrator {admin} in the console"), admin_caller, None, console.clone(), None, None, None);
    admin_source.identity = vec![Policy::parse_str(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#, "AdministratorAccess", super::document::PolicyKind::Identity).expect("a valid built-in policy")];
    admin_source.context.insert("aws:MultiFactorAuthPresent", "true");
    sources.push(admin_source);
    for role in model.roles.iter().filter(|role| role.instance_profiles.is_empty()) {
        let caller = session(account, role, "operator@example.com");
        let mut role_source = source(model, format!("role:{}", role.logical_id), SourceKind::Role, format!("role {} assumed from the console", role.logical_id), caller, Some(role), console.clone(), None, None, None);
        role_source.context.insert("aws:MultiFactorAuthPresent", "true");
        sources.push(role_source);
    }
    sources.push(source(model, "account-root".to_owned(), SourceKind::AccountRoot, "the account's root user in the console".to_owned(), Caller::Root { account: account.clone() }, None, console, None, None, None));
    // A role session lives in the role's account whoever assumed it, so the
    // outsider's requests differ from the role's own only by their route.
    for role in &model.roles {
        let open = role.trust.as_ref().map(|trust| open_trust(trust, account)).unwrap_or_default();
        let Some(first) = open.first() else { continue };
        let caller = session(account, role, "outsider");
        let description = format!("a caller outside the account assumes role {}, whose trust statement {} trusts {}, and calls S3 from the internet", role.logical_id, first.statement, first.trusted);
        let route = Route::Internet { source_ip: "203.0.113.66".to_owned() };
        sources.push(source(model, format!("assumed-from-outside:{}", role.logical_id), SourceKind::AssumedFromOutside, description, caller, Some(role), route, None, None, None));
    }
    sources
}

/// Builds the caller of a session of `role`, without parsing an ARN, so
/// that any role name the template holds gives a caller.
fn session(account: &str, role: &super::model::Role, session_name: &str) -> Caller {
    Caller::RoleSession {
        session_arn: format!("arn:aws:sts::{account}:assumed-role/{}/{session_name}", role.name),
        role_arn: role.arn.clone(),
        role_name: role.name.clone(),
        account: account.to_owned(),
    }
}

#[allow(clippy::too_many_arguments)]
fn source(
    model: &StackModel,
    name: String,
    kind: SourceKind,
    description: String,
    caller: Caller,
    role: Option<&super::model::Role>,
    route: Route,
    ec2: Option<(String, String)>,
    instance: Option<&str>,
    subnet: Option<String>,
) -> RequestSource {
    let context = build_context(model, &caller, &route, ec2.as_ref());
    RequestSource {
        name,
        kind,
        description,
        identity: role.map(|r| r.policies.clone()).unwrap_or_default(),
        boundary: role.and_then(|r| r.boundary.clone()).into_iter().collect(),
        caller,
        route,
        context,
        role: role.map(|r| r.logical_id.clone()),
        instance: instance.map(str::to_owned),
        subnet,
    }
}

/// Builds the request context AWS creates for a caller on a route.
/// `ec2` is the VPC and private address an instance role's credentials
/// were delivered to.
pub fn build_context(model: &StackModel, caller: &Caller, route: &Route, ec2: Option<&(String, String)>) -> Context {
    let settings = &model.settings;
    let mut context = Context::new();
    context.insert("aws:SecureTransport", "true");
    context.insert("aws:CurrentTime", settings.current_time.clone());
    context.insert("aws:RequestedRegion", settings.environment.region.clone());
    context.insert("aws:ViaAWSService", "false");
    match route {
        Route::Endpoint { endpoint_id, vpc_id, private_ip } => {
            context.insert("aws:SourceVpce", endpoint_id.clone());
            context.insert("aws:SourceVpc", vpc_id.clone());
            context.insert("aws:VpcSourceIp", private_ip.clone());
        }
        Route::Internet { source_ip } => context.insert("aws:SourceIp", source_ip.clone()),
        Route::Unreachable => {}
    }
    match caller {
        Caller::Anonymous | Caller::Service(_) => {}
        Caller::Root { account } => {
            context.insert("aws:PrincipalArn", format!("arn:aws:iam::{account}:root"));
            context.insert("aws:PrincipalAccount", account.clone());
            context.insert("aws:PrincipalType", "Account");
            context.insert("aws:userid", account.clone());
        }
        Caller::User { arn, account } => {
            context.insert("aws:PrincipalArn", arn.clone());
            context.insert("aws:PrincipalAccount", account.clone());
            context.insert("aws:PrincipalType", "User");
            context.insert("aws:username", arn.rsplit('/').next().unwrap_or_default());
        }
        Caller::RoleSession { session_arn, role_arn, account, .. } => {
            let session_name = session_arn.rsplit('/').next().unwrap_or_default();
            context.insert("aws:PrincipalArn", role_arn.clone());
            context.insert("aws:PrincipalAccount", account.clone());
            context.insert("aws:PrincipalType", "AssumedRole");
            let role_id = model.roles.iter().find(|role| role.arn == *role_arn).map_or_else(
                || "AROAEXAMPLEROLEID0000".to_owned(),
                |role| format!("AROA{}", &role.logical_id.to_ascii_uppercase().chars().filter(char::is_ascii_alphanumeric).collect::<String>()),
            );
            context.insert("aws:userid", format!("{role_id}:{session_name}"));
            context.insert("aws:MultiFactorAuthPresent", "false");
            context.insert("aws:TokenIssueTime", settings.current_time.clone());
        }
        Caller::FederatedUser { arn, account } => {
            context.insert("aws:PrincipalArn", arn.clone());
            context.insert("aws:PrincipalAccount", account.clone());
            context.insert("aws:PrincipalType", "FederatedUser");
        }
    }
    if let Some((vpc, private_ip)) = ec2 {
        if matches!(caller, Caller::RoleSession { .. }) {
            context.insert("aws:Ec2InstanceSourceVpc", vpc.clone());
            context.insert("aws:Ec2InstanceSourcePrivateIPv4", private_ip.clone());
        }
    }
    context
}

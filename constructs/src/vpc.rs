//! `BackupVpc`: the VPC with its internet gateway, or an existing VPC given
//! as parameters, and `PublicSubnet`, the bastion's subnet with a default
//! route to the internet gateway.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use vaultgate_core::resources::ec2;
use vaultgate_core::template::Parameter;
use vaultgate_core::{Expr, LogicalId, Scope};

use crate::error::{ConstructError, PropChecker};
use crate::checks::check_cidr;

/// The origin of the VPC: created by the stack or imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VpcMode {
    /// A new VPC with its own internet gateway.
    #[default]
    New,
    /// An existing VPC, such as the account's default VPC, and its internet
    /// gateway, given at deploy time through the `VpcId` and
    /// `InternetGatewayId` parameters.
    Existing,
}

/// Props of [`BackupVpc`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BackupVpcProps {
    /// Whether to create the VPC or use an existing one. Default: a new VPC.
    pub mode: VpcMode,
    /// The VPC's IPv4 CIDR block. For a new VPC it is the block created.
    /// For an existing VPC it is required and must be that VPC's block: it is
    /// used only to check at synth time that the subnets fit inside it (the
    /// default VPC's block is `172.31.0.0/16`). Default for a new VPC:
    /// `10.0.0.0/16`.
    pub cidr_block: Option<String>,
}

impl Default for BackupVpcProps {
    fn default() -> Self {
        BackupVpcProps { mode: VpcMode::New, cidr_block: None }
    }
}

/// The block of a new VPC whose props name none.
pub const DEFAULT_VPC_CIDR: &str = "10.0.0.0/16";

impl BackupVpcProps {
    /// Returns the VPC's CIDR block as given, or the default for a new VPC.
    pub fn effective_cidr_block(&self) -> Option<&str> {
        match (&self.cidr_block, self.mode) {
            (Some(block), _) => Some(block),
            (None, VpcMode::New) => Some(DEFAULT_VPC_CIDR),
            (None, VpcMode::Existing) => None,
        }
    }

    /// Checks the props and returns the VPC's block when it is valid.
    pub(crate) fn check(&self, checker: &mut PropChecker, field: &str) -> Option<ipnet::Ipv4Net> {
        match self.effective_cidr_block() {
            Some(block) => check_cidr(checker, &format!("{field}.cidr_block"), block, 16..=28),
            None => {
                checker.reject(
                    &format!("{field}.cidr_block"),
                    "(missing)",
                    "an existing VPC needs its CIDR block, such as 172.31.0.0/16 for the default VPC, so that the subnets can be checked against it",
                );
                None
            }
        }
    }
}

/// A VPC and its internet gateway, created or imported.
///
/// ```
/// use vaultgate_constructs::vpc::{BackupVpc, BackupVpcProps};
/// let mut stack = vaultgate_core::Stack::new("Demo");
/// let vpc = BackupVpc::new(&mut stack.root(), "Vpc", &BackupVpcProps::default()).unwrap();
/// assert!(vpc.attachment.is_some());
/// ```
#[derive(Debug, Clone)]
pub struct BackupVpc {
    /// The VPC's ID: a `Ref` to the new VPC or to the `VpcId` parameter.
    pub vpc_id: Expr,
    /// The internet gateway's ID, or a `Ref` to the `InternetGatewayId` parameter.
    pub internet_gateway_id: Expr,
    /// The gateway attachment of a new VPC, which default routes must depend on.
    pub attachment: Option<LogicalId>,
    /// The VPC's CIDR block as given in the props.
    pub cidr_block: String,
}

impl BackupVpc {
    /// Creates the VPC (DNS support and hostnames on, which gateway endpoints
    /// need for S3's DNS names), an internet gateway and its attachment; or,
    /// for an existing VPC, the two parameters that name them.
    ///
    /// # Errors
    /// [`ConstructError::InvalidProps`] for a CIDR block that is not a valid
    /// IPv4 block between /16 and /28; core errors for duplicate ids.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: &BackupVpcProps) -> Result<BackupVpc, ConstructError> {
        let mut checker = PropChecker::default();
        props.check(&mut checker, "network.vpc");
        checker.finish(format!("{}/{id}", scope.path()))?;
        let mut scope = scope.child(id)?;
        let cidr_block = props.effective_cidr_block().unwrap_or(DEFAULT_VPC_CIDR).to_owned();

        if props.mode == VpcMode::Existing {
            let vpc_id = scope.add_parameter(
                "VpcId",
                Parameter::new("AWS::EC2::VPC::Id").description("ID of the existing VPC to deploy the backup subnets into"),
            )?;
            let internet_gateway_id = scope.add_parameter(
                "InternetGatewayId",
                Parameter::new("String")
                    .description("ID of the existing VPC's internet gateway, for the bastion's public subnet")
                    .pattern("^igw-[0-9a-f]{8,17}$", "must be an internet gateway ID such as igw-0123456789abcdef0"),
            )?;
            return Ok(BackupVpc { vpc_id, internet_gateway_id, attachment: None, cidr_block });
        }

        let mut vpc = ec2::Vpc::new();
        vpc.cidr_block = Some(cidr_block.as_str().into());
        vpc.enable_dns_hostnames = Some(true.into());
        vpc.enable_dns_support = Some(true.into());
        let vpc = scope.add_resource("Resource", vpc)?;

        let gateway = scope.add_resource("InternetGateway", ec2::InternetGateway::new())?;
        let mut attachment = ec2::VpcGatewayAttachment::new(vpc.reference());
        attachment.internet_gateway_id = Some(gateway.reference().into());
        let attachment = scope.add_resource("GatewayAttachment", attachment)?;

        Ok(BackupVpc {
            vpc_id: vpc.reference(),
            internet_gateway_id: gateway.reference(),
            attachment: Some(attachment),
            cidr_block,
        })
    }
}

/// Adds a subnet (the scope's `Resource`), a route table of its own with no
/// routes and their association, and returns the subnet and the table.
pub(crate) fn add_subnet_with_route_table(
    scope: &mut Scope<'_>,
    vpc: &BackupVpc,
    cidr_block: &str,
    availability_zone: Expr,
    public_ip_on_launch: bool,
) -> Result<(LogicalId, LogicalId), ConstructError> {
    let mut subnet = ec2::Subnet::new(vpc.vpc_id.clone());
    subnet.cidr_block = Some(cidr_block.into());
    subnet.availability_zone = Some(availability_zone.into());
    subnet.map_public_ip_on_launch = Some(public_ip_on_launch.into());
    let subnet = scope.add_resource("Resource", subnet)?;

    let route_table = scope.add_resource("RouteTable", ec2::RouteTable::new(vpc.vpc_id.clone()))?;
    scope.add_resource(
        "RouteTableAssociation",
        ec2::SubnetRouteTableAssociation::new(route_table.reference(), subnet.reference()),
    )?;
    Ok((subnet, route_table))
}

/// A public subnet whose route table sends 0.0.0.0/0 to the internet gateway.
#[derive(Debug, Clone)]
pub struct PublicSubnet {
    /// `Ref` to the subnet.
    pub subnet_id: Expr,
    /// The public route table. It must never be attached to the S3 gateway
    /// endpoint: the bastion's S3 traffic would then pass through the
    /// endpoint and satisfy the bucket policy.
    pub route_table: LogicalId,
}

impl PublicSubnet {
    /// Creates the subnet (public IPs on launch), its route table, the
    /// association and the default route.
    ///
    /// # Errors
    /// Core errors for duplicate ids.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        vpc: &BackupVpc,
        cidr_block: &str,
        availability_zone: Expr,
    ) -> Result<PublicSubnet, ConstructError> {
        let mut scope = scope.child(id)?;
        let (subnet, route_table) = add_subnet_with_route_table(&mut scope, vpc, cidr_block, availability_zone, true)?;

        let mut route = ec2::Route::new(route_table.reference());
        route.destination_cidr_block = Some("0.0.0.0/0".into());
        route.gateway_id = Some(vpc.internet_gateway_id.clone().into());
        let route = scope.add_resource("DefaultRoute", route)?;
        if let Some(attachment) = &vpc.attachment {
            let route = scope.resource_mut(&route).expect("just added");
            route.depends_on.push(attachment.as_str().to_owned());
        }

        Ok(PublicSubnet { subnet_id: subnet.reference(), route_table })
    }
}

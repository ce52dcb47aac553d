//! `PrivateBackupSubnet`: the subnet the backup instance runs in, with a
//! route table of its own that has no route to the internet.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use vaultgate_core::{Expr, LogicalId, Scope};

use crate::error::ConstructError;
use crate::vpc::{add_subnet_with_route_table, BackupVpc};

/// Props of [`PrivateBackupSubnet`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivateBackupSubnetProps {
    /// The subnet's IPv4 CIDR block, inside the VPC's block and overlapping
    /// no other subnet.
    pub cidr_block: String,
}

/// A private subnet and its own route table.
///
/// The route table starts with only the VPC's local route: no internet
/// gateway, no NAT, no `0.0.0.0/0` or `::/0`. The S3 gateway endpoint adds
/// the one route it needs (to S3's prefix list) when it is attached to
/// [`PrivateBackupSubnet::route_table`]. Instances here get no public IP.
///
/// ```
/// use vaultgate_constructs::private_backup_subnet::{PrivateBackupSubnet, PrivateBackupSubnetProps};
/// use vaultgate_constructs::vpc::{BackupVpc, BackupVpcProps};
/// use vaultgate_core::Expr;
///
/// let mut stack = vaultgate_core::Stack::new("Demo");
/// let mut root = stack.root();
/// let vpc = BackupVpc::new(&mut root, "Vpc", &BackupVpcProps::default()).unwrap();
/// let props = PrivateBackupSubnetProps { cidr_block: "10.0.1.0/24".into() };
/// let subnet = PrivateBackupSubnet::new(&mut root, "Private", &vpc, &props, Expr::select(0, Expr::get_azs())).unwrap();
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct PrivateBackupSubnet {
    /// `Ref` to the subnet.
    pub subnet_id: Expr,
    /// The subnet's own route table, to attach to the S3 gateway endpoint.
    pub route_table: LogicalId,
}

impl PrivateBackupSubnet {
    /// Creates the subnet, its route table and their association.
    ///
    /// CIDR blocks given as literals are checked at synth: a block outside
    /// the VPC or overlapping another subnet is an error.
    ///
    /// # Errors
    /// Core errors for duplicate ids.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        vpc: &BackupVpc,
        props: &PrivateBackupSubnetProps,
        availability_zone: Expr,
    ) -> Result<PrivateBackupSubnet, ConstructError> {
        let mut scope = scope.child(id)?;
        let (subnet, route_table) = add_subnet_with_route_table(&mut scope, vpc, &props.cidr_block, availability_zone, false)?;
        Ok(PrivateBackupSubnet { subnet_id: subnet.reference(), route_table })
    }
}

//! `BastionHost`: the public instance operators SSH through to reach the
//! private backup instance.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use vaultgate_core::resources::ec2::{self, security_group};
use vaultgate_core::{Expr, LogicalId, Scope};

use crate::error::ConstructError;
use crate::instance::{hardened_instance, https_egress, InstanceInputs};

/// Options of [`BastionHost`] that users set in config files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BastionHostOptions {
    /// The EC2 instance type. Default: `t3.micro`.
    pub instance_type: String,
}

impl Default for BastionHostOptions {
    fn default() -> Self {
        BastionHostOptions { instance_type: "t3.micro".to_owned() }
    }
}

/// Props of [`BastionHost`].
#[derive(Debug, Clone)]
pub struct BastionHostProps {
    /// The VPC's ID.
    pub vpc_id: Expr,
    /// The public subnet.
    pub subnet_id: Expr,
    /// The CIDR block allowed to SSH in, usually a `Ref` to a parameter with
    /// no default, so that nobody deploys SSH open to 0.0.0.0/0 by accident.
    pub ssh_cidr: Expr,
    /// AMI and key pair.
    pub inputs: InstanceInputs,
    /// The options set in config files.
    pub options: BastionHostOptions,
}

/// A bastion instance in the public subnet.
///
/// Its security group admits SSH only from `ssh_cidr`. Egress is HTTPS to
/// anywhere, so that the acceptance test's upload from the bastion reaches
/// S3 and is refused by the bucket policy rather than by the network, and
/// SSH to the backup instance's group, which the pattern adds. The bastion
/// has no IAM role: it never needs AWS credentials.
#[derive(Debug, Clone)]
pub struct BastionHost {
    /// The instance.
    pub instance: LogicalId,
    /// The security group.
    pub security_group: LogicalId,
}

impl BastionHost {
    /// Creates the security group and the instance.
    ///
    /// # Errors
    /// Core errors for duplicate ids.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: &BastionHostProps) -> Result<BastionHost, ConstructError> {
        let mut scope = scope.child(id)?;
        let mut group = ec2::SecurityGroup::new("Bastion: SSH in from the allowed CIDR block");
        group.vpc_id = Some(props.vpc_id.clone().into());
        let mut ssh = security_group::Ingress::new("tcp");
        ssh.from_port = Some(22.into());
        ssh.to_port = Some(22.into());
        ssh.cidr_ip = Some(props.ssh_cidr.clone().into());
        ssh.description = Some("SSH from the allowed CIDR block".into());
        group.security_group_ingress = Some(vec![ssh.into()].into());
        group.security_group_egress = Some(vec![https_egress("HTTPS to AWS APIs and package repositories").into()].into());
        let security_group = scope.add_resource("SecurityGroup", group)?;

        let instance = hardened_instance(
            &props.inputs,
            &props.options.instance_type,
            props.subnet_id.clone(),
            ec2::SecurityGroup::group_id(&security_group),
        );
        let instance = scope.add_resource("Resource", instance)?;
        Ok(BastionHost { instance, security_group })
    }

    /// Returns the bastion's public IP address.
    pub fn public_ip(&self) -> Expr {
        ec2::Instance::public_ip(&self.instance)
    }
}

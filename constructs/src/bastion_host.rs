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
    /// The EC2 instance type, x86_64 to match the AMI. Default: `t3.micro`.
    pub instance_type: String,
    /// Attach the backup writer role to the bastion too, so that the
    /// acceptance test's upload from the bastion carries the writer's
    /// credentials and is refused by the bucket policy because it does not
    /// come through the endpoint. Default: off, so the bastion has no AWS
    /// credentials and its upload fails for lack of them, which proves
    /// nothing about the bucket policy. The trade-off when on: IAM alone
    /// would let the bastion upload, and only the endpoint condition stops it.
    pub attach_writer_role: bool,
}

impl Default for BastionHostOptions {
    fn default() -> Self {
        BastionHostOptions { instance_type: "t3.micro".to_owned(), attach_writer_role: false }
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
    /// The CIDR block the bastion may open SSH connections to: the private
    /// backup subnet.
    pub ssh_destination_cidr: String,
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
/// SSH to the private backup subnet. Both egress rules are inline: mixing
/// inline rules with separate egress resources on one group lets updates
/// drop rules. By default the bastion has no IAM role.
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
        let mut ssh_out = security_group::Egress::new("tcp");
        ssh_out.from_port = Some(22.into());
        ssh_out.to_port = Some(22.into());
        ssh_out.cidr_ip = Some(props.ssh_destination_cidr.as_str().into());
        ssh_out.description = Some("SSH to the private backup subnet".into());
        group.security_group_egress =
            Some(vec![https_egress("HTTPS to AWS APIs and package repositories").into(), ssh_out.into()].into());
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

    /// Attaches an instance profile, which gives the bastion that role's
    /// credentials.
    ///
    /// # Errors
    /// [`ConstructError::NotInStack`] when `scope` belongs to another stack.
    pub fn attach_instance_profile(&self, scope: &mut Scope<'_>, profile: Expr) -> Result<(), ConstructError> {
        let path = scope.path();
        let instance = scope
            .resource_mut(&self.instance)
            .ok_or_else(|| ConstructError::NotInStack { path, logical_id: self.instance.to_string() })?;
        instance.properties.insert("IamInstanceProfile".to_owned(), profile.to_json());
        Ok(())
    }

    /// Returns the bastion's public IP address.
    pub fn public_ip(&self) -> Expr {
        ec2::Instance::public_ip(&self.instance)
    }
}

//! `BackupInstance`: the private instance that writes backups, with the
//! role that may upload them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use vaultgate_core::policy::Principal;
use vaultgate_core::resources::ec2::{self, security_group};
use vaultgate_core::resources::iam;
use vaultgate_core::{Expr, LogicalId, Scope};

use crate::error::ConstructError;
use crate::iam::create_role;
use crate::instance::{hardened_instance, https_egress, InstanceInputs};

/// Options of [`BackupInstance`] that users set in config files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BackupInstanceOptions {
    /// The EC2 instance type, x86_64 to match the AMI. Default: `t3.micro`.
    pub instance_type: String,
}

impl Default for BackupInstanceOptions {
    fn default() -> Self {
        BackupInstanceOptions { instance_type: "t3.micro".to_owned() }
    }
}

/// Props of [`BackupInstance`].
#[derive(Debug, Clone)]
pub struct BackupInstanceProps {
    /// The VPC's ID.
    pub vpc_id: Expr,
    /// The private backup subnet.
    pub subnet_id: Expr,
    /// The bastion's security group, the only source admitted for SSH.
    pub bastion_security_group_id: Expr,
    /// Resources the instance must not start before, such as the S3 gateway
    /// endpoint whose route its first upload needs.
    pub depends_on: Vec<LogicalId>,
    /// AMI and key pair.
    pub inputs: InstanceInputs,
    /// The options set in config files.
    pub options: BackupInstanceOptions,
}

/// The private backup instance and its writer role.
///
/// The security group admits SSH only from the bastion's group and lets out
/// only HTTPS. The HTTPS rule names 0.0.0.0/0 because S3's addresses change;
/// the subnet's route table, which reaches nothing but the endpoint, is what
/// keeps the traffic inside. The role starts with no permissions: grant it
/// uploads with [`crate::locked_bucket::LockedBucket::grant_upload`].
#[derive(Debug, Clone)]
pub struct BackupInstance {
    /// The instance.
    pub instance: LogicalId,
    /// The writer role.
    pub role: LogicalId,
    /// The instance profile that carries the writer role.
    pub instance_profile: LogicalId,
    /// The security group.
    pub security_group: LogicalId,
}

impl BackupInstance {
    /// Creates the security group, the role, its instance profile and the
    /// instance.
    ///
    /// # Errors
    /// Core errors for duplicate ids.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: &BackupInstanceProps) -> Result<BackupInstance, ConstructError> {
        let mut scope = scope.child(id)?;
        let mut group = ec2::SecurityGroup::new("Backup instance: SSH in from the bastion, HTTPS out to S3");
        group.vpc_id = Some(props.vpc_id.clone().into());
        let mut ssh = security_group::Ingress::new("tcp");
        ssh.from_port = Some(22.into());
        ssh.to_port = Some(22.into());
        ssh.source_security_group_id = Some(props.bastion_security_group_id.clone().into());
        ssh.description = Some("SSH from the bastion".into());
        group.security_group_ingress = Some(vec![ssh.into()].into());
        group.security_group_egress = Some(vec![https_egress("HTTPS to S3 through the gateway endpoint").into()].into());
        let security_group = scope.add_resource("SecurityGroup", group)?;

        let role = create_role(
            &mut scope,
            "Role",
            Principal::Service(vec!["ec2.amazonaws.com".to_owned()]),
            "Backup writer: uploads backups to the locked bucket",
        )?;
        let profile = scope.add_resource("InstanceProfile", iam::InstanceProfile::new(vec![role.reference().into()]))?;

        let mut instance = hardened_instance(
            &props.inputs,
            &props.options.instance_type,
            props.subnet_id.clone(),
            ec2::SecurityGroup::group_id(&security_group),
        );
        instance.iam_instance_profile = Some(profile.reference().into());
        let instance = scope.add_resource("Resource", instance)?;
        let resource = scope.resource_mut(&instance).expect("just added");
        resource.depends_on.extend(props.depends_on.iter().map(|id| id.as_str().to_owned()));

        Ok(BackupInstance { instance, role, instance_profile: profile, security_group })
    }

    /// Returns the writer role's ARN, with its path.
    pub fn role_arn(&self) -> Expr {
        iam::Role::arn(&self.role)
    }

    /// Returns the instance's private IP address.
    pub fn private_ip(&self) -> Expr {
        ec2::Instance::private_ip(&self.instance)
    }
}

//! `BackupArchitecture`: the pattern that composes the VPC, the private
//! backup subnet, the S3 gateway endpoint, the locked bucket, the restore
//! role, the bastion and the backup instance into the whole architecture.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use vaultgate_core::policy::Principal;
use vaultgate_core::resources::{ec2, iam};
use vaultgate_core::template::Parameter;
use vaultgate_core::{Expr, LogicalId, Scope};

use crate::backup_instance::{BackupInstance, BackupInstanceOptions, BackupInstanceProps};
use crate::bastion_host::{BastionHost, BastionHostOptions, BastionHostProps};
use crate::checks::{check_cidr, instance_type_problem, principal_arn_problem};
use crate::error::{ConstructError, PropChecker};
use crate::iam::{create_role, this_account};
use crate::instance::InstanceInputs;
use crate::locked_bucket::{LockedBucket, LockedBucketProps};
use crate::private_backup_subnet::{PrivateBackupSubnet, PrivateBackupSubnetProps};
use crate::s3_gateway_endpoint::{S3GatewayEndpoint, S3GatewayEndpointOptions, S3GatewayEndpointProps};
use crate::vpc::{BackupVpc, BackupVpcProps, PublicSubnet};

/// The public SSM parameter that always names the latest Amazon Linux 2023
/// AMI for x86_64.
pub const AL2023_AMI_PARAMETER: &str = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

/// Highest availability zone index accepted. Every region has at least
/// three zones today, but not every account sees more than two in each, so
/// indexes above 1 can still fail at deploy.
pub const MAX_AVAILABILITY_ZONE_INDEX: u32 = 5;

/// Subnet layout of the architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkProps {
    /// The VPC, new or existing. Default: a new VPC with 10.0.0.0/16.
    pub vpc: BackupVpcProps,
    /// The bastion's public subnet. Default: `10.0.0.0/24`.
    pub public_subnet_cidr: String,
    /// The private backup subnet. Default: `10.0.1.0/24`.
    pub private_subnet_cidr: String,
    /// Index into the region's availability zones (`Fn::GetAZs`) for both
    /// subnets, from 0 to 5. Default: 0, the first zone.
    pub availability_zone_index: u32,
}

impl Default for NetworkProps {
    fn default() -> Self {
        NetworkProps {
            vpc: BackupVpcProps::default(),
            public_subnet_cidr: "10.0.0.0/24".to_owned(),
            private_subnet_cidr: "10.0.1.0/24".to_owned(),
            availability_zone_index: 0,
        }
    }
}

/// The restore path.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RestoreProps {
    /// ARNs of the principals that may assume the restore role. Default:
    /// the account itself, so any IAM principal of this account whose own
    /// policy allows `sts:AssumeRole` on the role.
    pub trusted_principal_arns: Vec<String>,
}

/// Props of [`BackupArchitecture`]: every setting of the architecture.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BackupArchitectureProps {
    /// Subnet layout. Default: new VPC 10.0.0.0/16, public 10.0.0.0/24,
    /// private 10.0.1.0/24, in the region's first availability zone.
    pub network: NetworkProps,
    /// The backup bucket. Default: generated name, COMPLIANCE retention for
    /// 30 days, SSE-S3, retained on stack deletion.
    pub bucket: LockedBucketProps,
    /// The S3 gateway endpoint. Default: uploads to the backup bucket only.
    pub endpoint: S3GatewayEndpointOptions,
    /// The bastion. Default: `t3.micro`.
    pub bastion: BastionHostOptions,
    /// The backup instance. Default: `t3.micro`.
    pub backup_instance: BackupInstanceOptions,
    /// The restore role. Default: assumable by the account's IAM principals.
    pub restore: RestoreProps,
}

impl BackupArchitectureProps {
    /// Collects every invalid prop of the whole architecture.
    pub(crate) fn check(&self, checker: &mut PropChecker) {
        let network = &self.network;
        let vpc_block = self.network.vpc.check(checker, "network.vpc");
        let public = check_cidr(checker, "network.public_subnet_cidr", &network.public_subnet_cidr, 16..=28);
        let private = check_cidr(checker, "network.private_subnet_cidr", &network.private_subnet_cidr, 16..=28);
        for (field, block) in [("network.public_subnet_cidr", public), ("network.private_subnet_cidr", private)] {
            if let (Some(vpc), Some(block)) = (vpc_block, block) {
                if !vpc.contains(&block) {
                    checker.reject(field, format!("\"{block}\""), format!("the subnet lies outside the VPC's block {vpc}; choose a block inside it"));
                }
            }
        }
        if let (Some(public), Some(private)) = (public, private) {
            if public.contains(&private) || private.contains(&public) {
                checker.reject(
                    "network.private_subnet_cidr",
                    format!("\"{private}\""),
                    format!("overlaps the public subnet {public}; give each subnet its own block"),
                );
            }
        }
        self.bucket.check(checker, "bucket");
        if network.availability_zone_index > MAX_AVAILABILITY_ZONE_INDEX {
            checker.reject(
                "network.availability_zone_index",
                network.availability_zone_index,
                format!("use 0 to {MAX_AVAILABILITY_ZONE_INDEX}; Fn::Select fails at deploy when the region has fewer zones"),
            );
        }
        for (field, instance_type) in [("bastion.instance_type", &self.bastion.instance_type), ("backup_instance.instance_type", &self.backup_instance.instance_type)] {
            if let Some(problem) = instance_type_problem(instance_type) {
                checker.reject(field, format!("{instance_type:?}"), problem);
            }
        }
        for arn in &self.restore.trusted_principal_arns {
            if let Some(problem) = principal_arn_problem(arn) {
                checker.reject("restore.trusted_principal_arns", format!("{arn:?}"), problem);
            }
        }
    }
}

/// The whole backup architecture.
///
/// ```
/// use vaultgate_constructs::backup_architecture::{BackupArchitecture, BackupArchitectureProps};
///
/// let mut stack = vaultgate_core::Stack::new("Backups");
/// let parts = BackupArchitecture::new(&mut stack.root(), "Backup", &BackupArchitectureProps::default()).unwrap();
/// let template = stack.synth().unwrap().template;
/// assert!(template.resources.contains_key(parts.endpoint.endpoint.as_str()));
/// ```
#[derive(Debug, Clone)]
pub struct BackupArchitecture {
    /// The VPC.
    pub vpc: BackupVpc,
    /// The bastion's subnet.
    pub public_subnet: PublicSubnet,
    /// The private backup subnet.
    pub private_subnet: PrivateBackupSubnet,
    /// The backup bucket.
    pub bucket: LockedBucket,
    /// The S3 gateway endpoint.
    pub endpoint: S3GatewayEndpoint,
    /// The bastion.
    pub bastion: BastionHost,
    /// The backup instance and its writer role.
    pub backup_instance: BackupInstance,
    /// The restore role.
    pub restore_role: LogicalId,
}

impl BackupArchitecture {
    /// Builds the architecture under `id`, with the template parameters
    /// `KeyName`, `SshCidr` and `LatestAmiId` and the stack outputs.
    ///
    /// # Errors
    /// [`ConstructError::InvalidProps`] listing every invalid prop; core
    /// errors for duplicate ids or parameter names.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: &BackupArchitectureProps) -> Result<BackupArchitecture, ConstructError> {
        let mut checker = PropChecker::default();
        props.check(&mut checker);
        checker.finish(format!("{}/{id}", scope.path()))?;
        let mut scope = scope.child(id)?;

        let key_name = scope.add_parameter(
            "KeyName",
            Parameter::new("AWS::EC2::KeyPair::KeyName").description("Existing EC2 key pair for SSH to the bastion and the backup instance"),
        )?;
        let ssh_cidr = scope.add_parameter(
            "SshCidr",
            Parameter::new("String")
                .description("CIDR block allowed to SSH to the bastion, such as 203.0.113.7/32; there is no default, so SSH is never open to the internet by accident")
                .pattern(
                    r"^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)/(3[0-2]|[12]?\d)$",
                    "must be an IPv4 CIDR block such as 203.0.113.7/32",
                ),
        )?;
        let image_id = scope.add_parameter(
            "LatestAmiId",
            Parameter::new("AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>")
                .description("SSM parameter naming the Amazon Linux 2023 AMI")
                .default_value(AL2023_AMI_PARAMETER),
        )?;
        let inputs = InstanceInputs { image_id, key_name };

        let network = &props.network;
        let zone = Expr::select(network.availability_zone_index, Expr::get_azs());
        let vpc = BackupVpc::new(&mut scope, "Vpc", &network.vpc)?;
        let public_subnet = PublicSubnet::new(&mut scope, "PublicSubnet", &vpc, &network.public_subnet_cidr, zone.clone())?;
        let private_props = PrivateBackupSubnetProps { cidr_block: network.private_subnet_cidr.clone() };
        let private_subnet = PrivateBackupSubnet::new(&mut scope, "PrivateSubnet", &vpc, &private_props, zone)?;

        let mut bucket = LockedBucket::new(&mut scope, "Bucket", &props.bucket)?;
        let endpoint = S3GatewayEndpoint::new(
            &mut scope,
            "S3Endpoint",
            &S3GatewayEndpointProps {
                vpc_id: vpc.vpc_id.clone(),
                route_tables: vec![private_subnet.route_table.clone()],
                bucket_objects_arn: bucket.objects_arn(),
                options: props.endpoint.clone(),
            },
        )?;

        let bastion = BastionHost::new(
            &mut scope,
            "Bastion",
            &BastionHostProps {
                vpc_id: vpc.vpc_id.clone(),
                subnet_id: public_subnet.subnet_id.clone(),
                ssh_cidr,
                ssh_destination_cidr: network.private_subnet_cidr.clone(),
                inputs: inputs.clone(),
                options: props.bastion.clone(),
            },
        )?;
        let backup_instance = BackupInstance::new(
            &mut scope,
            "BackupInstance",
            &BackupInstanceProps {
                vpc_id: vpc.vpc_id.clone(),
                subnet_id: private_subnet.subnet_id.clone(),
                bastion_security_group_id: ec2::SecurityGroup::group_id(&bastion.security_group),
                depends_on: vec![endpoint.endpoint.clone()],
                inputs,
                options: props.backup_instance.clone(),
            },
        )?;
        if props.bastion.attach_writer_role {
            bastion.attach_instance_profile(&mut scope, backup_instance.instance_profile.reference())?;
        }

        let trust = if props.restore.trusted_principal_arns.is_empty() {
            this_account()
        } else {
            Principal::Aws(props.restore.trusted_principal_arns.iter().map(|arn| Expr::string(arn.clone())).collect())
        };
        let restore_role = create_role(&mut scope, "RestoreRole", trust, "Restore: lists and reads backup versions")?;

        bucket.grant_upload(&mut scope, &backup_instance.role)?;
        bucket.grant_restore(&mut scope, &restore_role)?;
        bucket.deny_outside_endpoint(&mut scope, endpoint.endpoint_id(), vec![iam::Role::arn(&restore_role)])?;
        bucket.deny_uploads_except(&mut scope, backup_instance.role_arn())?;

        let parts = BackupArchitecture { vpc, public_subnet, private_subnet, bucket, endpoint, bastion, backup_instance, restore_role };
        parts.add_outputs(&mut scope, props.bastion.attach_writer_role)?;
        Ok(parts)
    }

    fn add_outputs(&self, scope: &mut Scope<'_>, bastion_has_writer_role: bool) -> Result<(), ConstructError> {
        let bastion_description = if bastion_has_writer_role {
            "Run on the bastion: the upload fails, because the bucket denies writes that do not come through the endpoint"
        } else {
            "Run on the bastion: the upload fails, because the bastion has no AWS credentials (set bastion.attach_writer_role to test the bucket policy instead)"
        };
        let bucket = self.bucket.bucket.as_str();
        scope.add_output("BucketName", self.bucket.bucket_name(), "Name of the backup bucket")?;
        scope.add_output("EndpointId", self.endpoint.endpoint_id(), "ID of the S3 gateway endpoint")?;
        scope.add_output("RestoreRoleArn", iam::Role::arn(&self.restore_role), "Role to assume to read backups back")?;
        scope.add_output("BackupInstancePrivateIp", self.backup_instance.private_ip(), "Private IP of the backup instance")?;
        scope.add_output("BastionPublicIp", self.bastion.public_ip(), "Public IP of the bastion")?;
        scope.add_output(
            "UploadFromBackupInstanceCommand",
            Expr::sub(format!(
                "aws s3 cp /etc/hostname s3://${{{bucket}}}/acceptance/from-backup-instance.txt --checksum-algorithm CRC32 --region ${{AWS::Region}}"
            )),
            "Run on the backup instance: the upload succeeds through the endpoint",
        )?;
        scope.add_output(
            "UploadFromBastionCommand",
            Expr::sub(format!(
                "aws s3 cp /etc/hostname s3://${{{bucket}}}/acceptance/from-bastion.txt --checksum-algorithm CRC32 --region ${{AWS::Region}}"
            )),
            bastion_description,
        )?;
        Ok(())
    }
}

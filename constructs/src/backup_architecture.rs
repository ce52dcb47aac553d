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
use crate::checks::check_cidr;
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
    /// subnets. Default: 0, the first zone.
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
        self.network.vpc.check(checker, "network.vpc");
        let vpc_block = network.vpc.cidr_block.parse::<ipnet::Ipv4Net>().ok();
        let public = check_cidr(checker, "network.public_subnet_cidr", &network.public_subnet_cidr, 16..=28);
        let private = check_cidr(checker, "network.private_subnet_cidr", &network.private_subnet_cidr, 16..=28);
        for (field, block) in [("network.public_subnet_cidr", public), ("network.private_subnet_cidr", private)] {
            if let (Some(vpc), Some(block)) = (vpc_block, block) {
                if !vpc.contains(&block) {
                    checker.reject(field, format!("{block:?}").trim_matches('"'), format!("the subnet lies outside the VPC's block {vpc}; choose a block inside it"));
                }
            }
        }
        if let (Some(public), Some(private)) = (public, private) {
            if public.contains(&private) || private.contains(&public) {
                checker.reject(
                    "network.private_subnet_cidr",
                    private,
                    format!("overlaps the public subnet {public}; give each subnet its own block"),
                );
            }
        }
        self.bucket.check(checker, "bucket");
        for (field, options) in [("bastion.instance_type", &self.bastion.instance_type), ("backup_instance.instance_type", &self.backup_instance.instance_type)] {
            if !options.contains('.') || options.contains(char::is_whitespace) {
                checker.reject(field, format!("{options:?}"), "not an EC2 instance type; write it like t3.micro");
            }
        }
        for arn in &self.restore.trusted_principal_arns {
            if !arn.starts_with("arn:") {
                checker.reject("restore.trusted_principal_arns", format!("{arn:?}"), "not an ARN; write it like arn:aws:iam::111122223333:role/operator");
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

        let key_name = scope.add_parameter(
            "KeyName",
            Parameter::new("AWS::EC2::KeyPair::KeyName").description("Existing EC2 key pair for SSH to the bastion and the backup instance"),
        )?;
        let ssh_cidr = scope.add_parameter(
            "SshCidr",
            Parameter::new("String")
                .description("CIDR block allowed to SSH to the bastion, such as 203.0.113.7/32; there is no default, so SSH is never open to the internet by accident")
                .pattern(
                    r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})/(\d{1,2})$",
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

        let mut scope = scope.child(id)?;
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
        add_bastion_ssh_egress(&mut scope, &bastion, &backup_instance)?;

        let trust = if props.restore.trusted_principal_arns.is_empty() {
            this_account()
        } else {
            Principal::Aws(props.restore.trusted_principal_arns.iter().map(|arn| Expr::string(arn.clone())).collect())
        };
        let restore_role = create_role(&mut scope, "RestoreRole", trust, "Restore: lists and reads backup versions")?;

        bucket.grant_upload(&mut scope, &backup_instance.role);
        bucket.grant_restore(&mut scope, &restore_role);
        bucket.deny_outside_endpoint(&mut scope, endpoint.endpoint_id(), vec![iam::Role::arn(&restore_role)]);
        bucket.deny_uploads_except(&mut scope, backup_instance.role_arn());

        let parts = BackupArchitecture { vpc, public_subnet, private_subnet, bucket, endpoint, bastion, backup_instance, restore_role };
        parts.add_outputs(&mut scope)?;
        Ok(parts)
    }

    fn add_outputs(&self, scope: &mut Scope<'_>) -> Result<(), ConstructError> {
        let bucket = self.bucket.bucket.as_str();
        scope.add_output("BucketName", self.bucket.bucket_name(), "Name of the backup bucket")?;
        scope.add_output("EndpointId", self.endpoint.endpoint_id(), "ID of the S3 gateway endpoint")?;
        scope.add_output("RestoreRoleArn", iam::Role::arn(&self.restore_role), "Role to assume to read backups back")?;
        scope.add_output("BackupInstancePrivateIp", self.backup_instance.private_ip(), "Private IP of the backup instance")?;
        scope.add_output("BastionPublicIp", self.bastion.public_ip(), "Public IP of the bastion")?;
        scope.add_output(
            "UploadFromBackupInstanceCommand",
            Expr::sub(format!(
                "aws s3 cp /etc/hostname s3://${{{bucket}}}/acceptance/from-backup-instance.txt --region ${{AWS::Region}}"
            )),
            "Run on the backup instance: the upload succeeds through the endpoint",
        )?;
        scope.add_output(
            "UploadFromBastionCommand",
            Expr::sub(format!(
                "aws s3 cp /etc/hostname s3://${{{bucket}}}/acceptance/from-bastion.txt --region ${{AWS::Region}}"
            )),
            "Run on the bastion: the upload fails, because it does not come through the endpoint",
        )?;
        Ok(())
    }
}

/// Lets the bastion open SSH to the backup instance's group. A separate
/// egress resource, because the two groups refer to each other and inline
/// rules both ways would form a dependency cycle.
fn add_bastion_ssh_egress(scope: &mut Scope<'_>, bastion: &BastionHost, instance: &BackupInstance) -> Result<(), ConstructError> {
    let mut egress = vaultgate_core::resources::ec2::SecurityGroupEgress::new(ec2::SecurityGroup::group_id(&bastion.security_group), "tcp");
    egress.from_port = Some(22.into());
    egress.to_port = Some(22.into());
    egress.destination_security_group_id = Some(ec2::SecurityGroup::group_id(&instance.security_group).into());
    egress.description = Some("SSH to the backup instance".into());
    scope.add_resource("BastionSshToBackupInstance", egress)?;
    Ok(())
}

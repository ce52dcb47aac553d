//! Settings shared by the bastion and the backup instance: IMDSv2 only, an
//! encrypted root volume, the AMI and key pair from parameters.

use vaultgate_core::resources::ec2::{self, instance, security_group};
use vaultgate_core::Expr;

/// Size of the encrypted root volume in GiB. Amazon Linux 2023 AMIs have an
/// 8 GiB root snapshot, and a smaller volume fails to launch.
pub(crate) const ROOT_VOLUME_GIB: i64 = 8;

/// Inputs every instance needs from the template's parameters.
#[derive(Debug, Clone)]
pub struct InstanceInputs {
    /// The AMI ID, usually a `Ref` to an SSM-backed parameter of type
    /// `AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>`.
    pub image_id: Expr,
    /// The EC2 key pair name, for SSH.
    pub key_name: Expr,
}

/// Builds an instance in `subnet_id` with IMDSv2 required (a hop limit of 1,
/// so containers on the host cannot reach the metadata service) and an
/// encrypted gp3 root volume.
pub(crate) fn hardened_instance(
    inputs: &InstanceInputs,
    instance_type: &str,
    subnet_id: Expr,
    security_group_id: Expr,
) -> ec2::Instance {
    let mut instance = ec2::Instance::new();
    instance.image_id = Some(inputs.image_id.clone().into());
    instance.key_name = Some(inputs.key_name.clone().into());
    instance.instance_type = Some(instance_type.into());
    instance.subnet_id = Some(subnet_id.into());
    instance.security_group_ids = Some(vec![security_group_id.into()].into());
    let mut metadata = instance::MetadataOptions::new();
    metadata.http_endpoint = Some("enabled".into());
    metadata.http_tokens = Some("required".into());
    metadata.http_put_response_hop_limit = Some(1.into());
    instance.metadata_options = Some(metadata.into());

    let mut volume = instance::Ebs::new();
    volume.encrypted = Some(true.into());
    volume.volume_type = Some("gp3".into());
    volume.volume_size = Some(ROOT_VOLUME_GIB.into());
    volume.delete_on_termination = Some(true.into());
    let mut root = instance::BlockDeviceMapping::new("/dev/xvda");
    root.ebs = Some(volume.into());
    instance.block_device_mappings = Some(vec![root.into()].into());
    instance
}

/// Builds an egress rule for HTTPS (TCP 443) to 0.0.0.0/0.
pub(crate) fn https_egress(description: &str) -> security_group::Egress {
    let mut rule = security_group::Egress::new("tcp");
    rule.from_port = Some(443.into());
    rule.to_port = Some(443.into());
    rule.cidr_ip = Some("0.0.0.0/0".into());
    rule.description = Some(description.into());
    rule
}

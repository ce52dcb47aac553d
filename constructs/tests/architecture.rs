//! The default backup architecture, checked point by point on the
//! synthesized template with the assertions module.

use serde_json::{json, Value as Json};
use vaultgate_constructs::locked_bucket::{Encryption, RetentionMode, RetentionProps};
use vaultgate_constructs::vpc::VpcMode;
use vaultgate_constructs::BackupConfig;
use vaultgate_core::assertions::{Capture, Match, TemplateAssert};
use vaultgate_core::{matcher, Template};

fn synthesize(config: &BackupConfig) -> Template {
    config.build().unwrap().synth().unwrap().template
}

fn default_assert() -> TemplateAssert {
    TemplateAssert::from_template(synthesize(&BackupConfig::default()))
}

/// Returns the one resource of `resource_type` whose logical ID starts with
/// `prefix`, as (logical ID, resource JSON).
fn resource(template: &Template, resource_type: &str, prefix: &str) -> (String, Json) {
    let found: Vec<_> = template
        .resources
        .iter()
        .filter(|(id, r)| r.resource_type == resource_type && id.starts_with(prefix))
        .collect();
    assert_eq!(found.len(), 1, "{resource_type} {prefix}: {:?}", found.iter().map(|(id, _)| id).collect::<Vec<_>>());
    (found[0].0.clone(), serde_json::to_value(found[0].1).unwrap())
}

fn statements(document: &Json) -> Vec<Json> {
    document["Statement"].as_array().unwrap().clone()
}

fn as_list(value: &Json) -> Vec<Json> {
    match value {
        Json::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

#[test]
fn vpc_and_public_subnet_route() {
    let template = default_assert();
    template.has_resource_properties("AWS::EC2::VPC", json!({"CidrBlock": "10.0.0.0/16", "EnableDnsSupport": true, "EnableDnsHostnames": true}));
    template.resource_count_is("AWS::EC2::InternetGateway", 1);
    template.resource_count_is("AWS::EC2::NatGateway", 0);
    template.resource_count_is("AWS::EC2::Route", 1);
    let (public_table, _) = resource(template.template(), "AWS::EC2::RouteTable", "BackupPublicSubnet");
    template.has_resource_properties(
        "AWS::EC2::Route",
        json!({"DestinationCidrBlock": "0.0.0.0/0", "RouteTableId": {"Ref": public_table}}),
    );
}

#[test]
fn private_route_table_reaches_nothing() {
    let template = default_assert();
    let (private_table, _) = resource(template.template(), "AWS::EC2::RouteTable", "BackupPrivateSubnet");
    let routes = template.find_resources("AWS::EC2::Route", matcher!({"Properties": {"RouteTableId": {"Ref": private_table.as_str()}}}));
    assert!(routes.is_empty(), "private route table has routes: {routes:?}");
    template.has_resource_properties("AWS::EC2::Subnet", json!({"CidrBlock": "10.0.1.0/24", "MapPublicIpOnLaunch": false}));
    let (_, association) = resource(template.template(), "AWS::EC2::SubnetRouteTableAssociation", "BackupPrivateSubnet");
    assert_eq!(association["Properties"]["RouteTableId"], json!({"Ref": private_table}));
}

#[test]
fn endpoint_attached_to_private_table_only() {
    let template = default_assert();
    let (private_table, _) = resource(template.template(), "AWS::EC2::RouteTable", "BackupPrivateSubnet");
    template.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        json!({
            "ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"},
            "VpcEndpointType": "Gateway",
            "RouteTableIds": [{"Ref": private_table}],
        }),
    );
}

#[test]
fn private_instance_waits_for_endpoint() {
    let template = default_assert();
    let (endpoint, _) = resource(template.template(), "AWS::EC2::VPCEndpoint", "Backup");
    let (_, instance) = resource(template.template(), "AWS::EC2::Instance", "BackupBackupInstance");
    assert_eq!(instance["DependsOn"], json!([endpoint]));
}

#[test]
fn endpoint_policy_allows_only_uploads() {
    let template = synthesize(&BackupConfig::default());
    let (bucket, _) = resource(&template, "AWS::S3::Bucket", "Backup");
    let (_, endpoint) = resource(&template, "AWS::EC2::VPCEndpoint", "Backup");
    let policy = statements(&endpoint["Properties"]["PolicyDocument"]);
    assert_eq!(policy.len(), 1);
    assert_eq!(policy[0]["Effect"], "Allow");
    assert_eq!(policy[0]["Principal"], "*");
    assert_eq!(policy[0]["Action"], json!(["s3:PutObject", "s3:AbortMultipartUpload"]));
    assert_eq!(policy[0]["Resource"], json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:s3:::${{{bucket}}}/*")}));
}

#[test]
fn package_repositories_are_opt_in() {
    let mut config = BackupConfig::default();
    config.endpoint.allow_package_repositories = true;
    let template = synthesize(&config);
    let (_, endpoint) = resource(&template, "AWS::EC2::VPCEndpoint", "Backup");
    let policy = statements(&endpoint["Properties"]["PolicyDocument"]);
    assert_eq!(policy.len(), 2);
    assert_eq!(policy[1]["Action"], "s3:GetObject");
    let resources = as_list(&policy[1]["Resource"]);
    assert!(resources.iter().all(|arn| arn["Fn::Sub"].as_str().unwrap().contains("repos-${AWS::Region}")), "{resources:?}");
}

#[test]
fn bucket_name_generated_by_default() {
    let template = default_assert();
    template.has_resource_properties("AWS::S3::Bucket", matcher!({"BucketName": Match::absent()}));
}

#[test]
fn bucket_locked_and_hardened() {
    let template = default_assert();
    template.has_resource(
        "AWS::S3::Bucket",
        json!({
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "VersioningConfiguration": {"Status": "Enabled"},
                "ObjectLockEnabled": true,
                "ObjectLockConfiguration": {
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 30}}
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": true, "BlockPublicPolicy": true,
                    "IgnorePublicAcls": true, "RestrictPublicBuckets": true
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]}
            }
        }),
    );
}

#[test]
fn lifecycle_respects_retention() {
    let template = default_assert();
    let noncurrent = Capture::new();
    template.has_resource_properties(
        "AWS::S3::Bucket",
        matcher!({"LifecycleConfiguration": {"Rules": [
            {"Id": "AbortIncompleteMultipartUploads", "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}},
            {"Id": "ExpireNoncurrentVersionsAfterRetention", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": &noncurrent}}
        ]}}),
    );
    assert!(noncurrent.as_json().as_u64().unwrap() >= 30);
}

#[test]
fn retention_in_years_written_as_years() {
    let mut config = BackupConfig::default();
    config.bucket.retention = RetentionProps { mode: RetentionMode::Governance, days: None, years: Some(2) };
    let template = TemplateAssert::from_template(synthesize(&config));
    template.has_resource_properties(
        "AWS::S3::Bucket",
        matcher!({"ObjectLockConfiguration": {"Rule": {"DefaultRetention": Match::object_equals(json!({"Mode": "GOVERNANCE", "Years": 2}))}}}),
    );
}

#[test]
fn long_retention_warns() {
    let mut config = BackupConfig::default();
    config.bucket.retention.days = Some(400);
    let synthesized = config.build().unwrap().synth().unwrap();
    assert_eq!(synthesized.warnings.len(), 1, "{:?}", synthesized.warnings);
    assert!(synthesized.warnings[0].message.contains("400 days"), "{}", synthesized.warnings[0]);
}

#[test]
fn bucket_policy_denies_outside_endpoint() {
    let template = synthesize(&BackupConfig::default());
    let (bucket, _) = resource(&template, "AWS::S3::Bucket", "Backup");
    let (endpoint, _) = resource(&template, "AWS::EC2::VPCEndpoint", "Backup");
    let (_, policy) = resource(&template, "AWS::S3::BucketPolicy", "Backup");
    let text = policy.to_string();
    assert!(!text.contains("aws:SourceVpc\""), "aws:SourceVpc used: {text}");

    let all = statements(&policy["Properties"]["PolicyDocument"]);
    let bucket_arn = json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:s3:::${{{bucket}}}")});
    let objects_arn = json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:s3:::${{{bucket}}}/*")});
    for statement in &all {
        assert_eq!(statement["Effect"], "Deny", "{statement}");
        assert_eq!(statement["Resource"], json!([bucket_arn, objects_arn]), "{statement}");
    }
    let by_sid = |sid: &str| all.iter().find(|s| s["Sid"] == sid).unwrap_or_else(|| panic!("no {sid}")).clone();

    let tls = by_sid("DenyInsecureTransport");
    assert_eq!(tls["Condition"], json!({"Bool": {"aws:SecureTransport": "false"}}));

    let writes = by_sid("DenyObjectWritesOutsideBackupEndpoint");
    assert_eq!(writes["Condition"], json!({"StringNotEquals": {"aws:SourceVpce": {"Ref": endpoint}}}));
    let write_actions = as_list(&writes["Action"]);
    for action in ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:BypassGovernanceRetention"] {
        assert!(write_actions.contains(&json!(action)), "{action} not denied outside the endpoint");
    }
    let reads = by_sid("DenyObjectReadsOutsideBackupEndpoint");
    assert_eq!(reads["Condition"]["StringNotEquals"], json!({"aws:SourceVpce": {"Ref": endpoint}}));
    assert!(reads["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]["Fn::GetAtt"][0].as_str().unwrap().starts_with("BackupRestoreRole"));
}

#[test]
fn management_never_locked_out() {
    let template = synthesize(&BackupConfig::default());
    let (_, policy) = resource(&template, "AWS::S3::BucketPolicy", "Backup");
    for statement in statements(&policy["Properties"]["PolicyDocument"]) {
        let actions = as_list(&statement["Action"]);
        let conditions = statement["Condition"].as_object().unwrap();
        if actions.contains(&json!("s3:*")) {
            assert_eq!(conditions.keys().collect::<Vec<_>>(), ["Bool"], "an s3:* deny beyond TLS: {statement}");
        }
        for management in ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration"] {
            assert!(!actions.contains(&json!(management)), "{management} denied: {statement}");
        }
    }
}

#[test]
fn only_writer_may_upload() {
    let template = synthesize(&BackupConfig::default());
    let (writer, _) = resource(&template, "AWS::IAM::Role", "BackupBackupInstanceRole");
    let (_, policy) = resource(&template, "AWS::S3::BucketPolicy", "Backup");
    let statement = statements(&policy["Properties"]["PolicyDocument"])
        .into_iter()
        .find(|s| s["Sid"] == "DenyUploadsExceptBackupWriter")
        .unwrap();
    assert_eq!(statement["Action"], json!(["s3:PutObject", "s3:AbortMultipartUpload"]));
    assert_eq!(statement["Condition"], json!({"ArnNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": [writer, "Arn"]}}}));
}

#[test]
fn writer_role_grants_exact_actions() {
    let template = synthesize(&BackupConfig::default());
    let (_, role) = resource(&template, "AWS::IAM::Role", "BackupBackupInstanceRole");
    assert_eq!(role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"], json!({"Service": "ec2.amazonaws.com"}));
    let policies = role["Properties"]["Policies"].as_array().unwrap();
    assert_eq!(policies.len(), 1);
    let granted = statements(&policies[0]["PolicyDocument"]);
    assert_eq!(granted.len(), 1);
    assert_eq!(granted[0]["Action"], json!(["s3:PutObject", "s3:AbortMultipartUpload"]));
    assert!(granted[0]["Resource"]["Fn::Sub"].as_str().unwrap().ends_with("}/*"));
    assert!(!role.to_string().contains("s3:PutObject*"));
}

#[test]
fn kms_grants_key_actions_to_writer() {
    let mut config = BackupConfig::default();
    config.bucket.encryption = Encryption::Kms;
    let template = synthesize(&config);
    let (key, key_resource) = resource(&template, "AWS::KMS::Key", "Backup");
    assert_eq!(key_resource["DeletionPolicy"], "Retain");
    assert_eq!(key_resource["Properties"]["EnableKeyRotation"], true);
    let (_, bucket) = resource(&template, "AWS::S3::Bucket", "Backup");
    let default = &bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0];
    assert_eq!(default["ServerSideEncryptionByDefault"]["SSEAlgorithm"], "aws:kms");
    assert_eq!(default["ServerSideEncryptionByDefault"]["KMSMasterKeyID"], json!({"Fn::GetAtt": [key, "Arn"]}));
    let (_, writer) = resource(&template, "AWS::IAM::Role", "BackupBackupInstanceRole");
    let granted = statements(&writer["Properties"]["Policies"][0]["PolicyDocument"]);
    assert_eq!(granted[1]["Action"], json!(["kms:GenerateDataKey", "kms:Decrypt"]));
    let (_, restore) = resource(&template, "AWS::IAM::Role", "BackupRestoreRole");
    let granted = statements(&restore["Properties"]["Policies"][0]["PolicyDocument"]);
    assert_eq!(granted.last().unwrap()["Action"], "kms:Decrypt");
}

#[test]
fn restore_role_reads_versions_only() {
    let template = synthesize(&BackupConfig::default());
    let (_, role) = resource(&template, "AWS::IAM::Role", "BackupRestoreRole");
    let granted = statements(&role["Properties"]["Policies"][0]["PolicyDocument"]);
    let actions: Vec<Json> = granted.iter().flat_map(|s| as_list(&s["Action"])).collect();
    assert_eq!(actions, vec![json!("s3:ListBucket"), json!("s3:ListBucketVersions"), json!("s3:GetObject"), json!("s3:GetObjectVersion")]);
    assert!(granted.iter().all(|s| s["Effect"] == "Allow"));
}

#[test]
fn ssh_parameters_without_open_default() {
    let template = default_assert();
    template.has_parameter("SshCidr", matcher!({"Type": "String", "Default": Match::absent()}));
    template.has_parameter("KeyName", json!({"Type": "AWS::EC2::KeyPair::KeyName"}));
    template.has_parameter(
        "LatestAmiId",
        json!({"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"}),
    );
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({"SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": {"Ref": "SshCidr"}}]}),
    );
}

#[test]
fn backup_instance_group_rules() {
    let template = synthesize(&BackupConfig::default());
    let (bastion_group, _) = resource(&template, "AWS::EC2::SecurityGroup", "BackupBastion");
    let (_, group) = resource(&template, "AWS::EC2::SecurityGroup", "BackupBackupInstance");
    let ingress = group["Properties"]["SecurityGroupIngress"].as_array().unwrap();
    assert_eq!(ingress.len(), 1);
    assert_eq!(ingress[0]["SourceSecurityGroupId"], json!({"Fn::GetAtt": [bastion_group, "GroupId"]}));
    assert_eq!(ingress[0]["FromPort"], 22);
    let egress = group["Properties"]["SecurityGroupEgress"].as_array().unwrap();
    assert_eq!(egress.len(), 1);
    assert_eq!(egress[0]["FromPort"], 443);
    assert_eq!(egress[0]["ToPort"], 443);
}

#[test]
fn instances_hardened() {
    let template = default_assert();
    template.resource_count_is("AWS::EC2::Instance", 2);
    template.all_resources_properties(
        "AWS::EC2::Instance",
        json!({
            "ImageId": {"Ref": "LatestAmiId"},
            "KeyName": {"Ref": "KeyName"},
            "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": true}}]
        }),
    );
}

#[test]
fn outputs_name_region_in_commands() {
    let template = default_assert();
    for name in ["BucketName", "EndpointId", "BackupInstancePrivateIp", "BastionPublicIp", "RestoreRoleArn"] {
        template.has_output(name, matcher!({"Value": Match::any_value()}));
    }
    for name in ["UploadFromBackupInstanceCommand", "UploadFromBastionCommand"] {
        let command = Capture::new();
        template.has_output(name, matcher!({"Value": {"Fn::Sub": &command}}));
        let text = command.as_string();
        assert!(text.starts_with("aws s3 cp "), "{text}");
        assert!(text.ends_with("--region ${AWS::Region}"), "{text}");
    }
}

#[test]
fn existing_vpc_given_as_parameters() {
    let mut config = BackupConfig::default();
    config.network.vpc.mode = VpcMode::Existing;
    config.network.vpc.cidr_block = Some("172.31.0.0/16".into());
    config.network.public_subnet_cidr = "172.31.200.0/24".into();
    config.network.private_subnet_cidr = "172.31.201.0/24".into();
    let template = TemplateAssert::from_template(synthesize(&config));
    template.resource_count_is("AWS::EC2::VPC", 0);
    template.resource_count_is("AWS::EC2::InternetGateway", 0);
    template.has_parameter("VpcId", json!({"Type": "AWS::EC2::VPC::Id"}));
    template.has_resource_properties("AWS::EC2::Route", json!({"GatewayId": {"Ref": "InternetGatewayId"}}));
    template.all_resources_properties("AWS::EC2::Subnet", json!({"VpcId": {"Ref": "VpcId"}}));
}

#[test]
fn tags_reach_taggable_resources() {
    let mut config = BackupConfig::default();
    config.tags.insert("team".into(), "platform".into());
    let template = TemplateAssert::from_template(synthesize(&config));
    for resource_type in ["AWS::EC2::VPC", "AWS::S3::Bucket", "AWS::EC2::Instance", "AWS::IAM::Role"] {
        template.all_resources_properties(resource_type, matcher!({"Tags": Match::array_with([json!({"Key": "team", "Value": "platform"})])}));
    }
}

#[test]
fn endpoint_without_route_table_rejected() {
    use vaultgate_constructs::s3_gateway_endpoint::{S3GatewayEndpoint, S3GatewayEndpointProps};
    let mut stack = vaultgate_core::Stack::new("S");
    let props = S3GatewayEndpointProps {
        vpc_id: vaultgate_core::Expr::string("vpc-1"),
        route_tables: vec![],
        bucket_objects_arn: vaultgate_core::Expr::string("arn:aws:s3:::b/*"),
        options: Default::default(),
    };
    let err = S3GatewayEndpoint::new(&mut stack.root(), "Endpoint", &props).unwrap_err().to_string();
    assert!(err.contains("S/Endpoint"), "{err}");
    assert!(err.contains("route_tables"), "{err}");
    assert!(err.contains("no route table"), "{err}");
}

#[test]
fn default_template_stable() {
    let first = synthesize(&BackupConfig::default()).to_json_string();
    let second = synthesize(&BackupConfig::default()).to_json_string();
    assert_eq!(first, second);
}

#[test]
fn bastion_egress_inline_only() {
    let template = synthesize(&BackupConfig::default());
    template.resources.values().for_each(|r| assert_ne!(r.resource_type, "AWS::EC2::SecurityGroupEgress"));
    let (_, group) = resource(&template, "AWS::EC2::SecurityGroup", "BackupBastion");
    let egress = group["Properties"]["SecurityGroupEgress"].as_array().unwrap();
    assert_eq!(egress.len(), 2);
    assert_eq!(egress[1]["CidrIp"], "10.0.1.0/24");
    assert_eq!(egress[1]["FromPort"], 22);
}

#[test]
fn bastion_writer_role_is_opt_in() {
    let template = synthesize(&BackupConfig::default());
    let (_, bastion) = resource(&template, "AWS::EC2::Instance", "BackupBastion");
    assert!(bastion["Properties"].get("IamInstanceProfile").is_none());

    let mut config = BackupConfig::default();
    config.bastion.attach_writer_role = true;
    let template = synthesize(&config);
    let (profile, _) = resource(&template, "AWS::IAM::InstanceProfile", "BackupBackupInstance");
    let (_, bastion) = resource(&template, "AWS::EC2::Instance", "BackupBastion");
    assert_eq!(bastion["Properties"]["IamInstanceProfile"], json!({"Ref": profile}));
    let description = template.outputs["UploadFromBastionCommand"].description.clone().unwrap();
    assert!(description.contains("through the endpoint"), "{description}");
}

#[test]
fn kms_denies_other_encryption() {
    let mut config = BackupConfig::default();
    config.bucket.encryption = Encryption::Kms;
    let template = synthesize(&config);
    let (key, _) = resource(&template, "AWS::KMS::Key", "Backup");
    let (_, policy) = resource(&template, "AWS::S3::BucketPolicy", "Backup");
    let all = statements(&policy["Properties"]["PolicyDocument"]);
    let other_key = all.iter().find(|s| s["Sid"] == "DenyUploadsWithOtherKmsKey").unwrap();
    assert_eq!(
        other_key["Condition"]["StringNotEquals"]["s3:x-amz-server-side-encryption-aws-kms-key-id"],
        json!({"Fn::GetAtt": [key, "Arn"]})
    );
    assert_eq!(other_key["Condition"]["Null"]["s3:x-amz-server-side-encryption-aws-kms-key-id"], "false");
    assert!(all.iter().any(|s| s["Sid"] == "DenyUploadsWithOtherEncryption"));
}

#[test]
fn upload_commands_send_checksum() {
    let template = synthesize(&BackupConfig::default());
    let command = serde_json::to_string(&template.outputs["UploadFromBackupInstanceCommand"].value).unwrap();
    assert!(command.contains("--checksum-algorithm CRC32"), "{command}");
}

#[test]
fn grant_to_foreign_role_rejected() {
    use vaultgate_constructs::locked_bucket::{LockedBucket, LockedBucketProps};
    let mut other = vaultgate_core::Stack::new("Other");
    let role = other.root().add_resource("Role", vaultgate_core::template::Resource::new("AWS::IAM::Role")).unwrap();
    let mut stack = vaultgate_core::Stack::new("S");
    let mut root = stack.root();
    let bucket = LockedBucket::new(&mut root, "Bucket", &LockedBucketProps::default()).unwrap();
    let err = bucket.grant_upload(&mut root, &role).unwrap_err().to_string();
    assert!(err.contains("`Role` is not a resource of the stack"), "{err}");
}

#[test]
fn invalid_props_leave_stack_untouched() {
    let mut config = BackupConfig::default();
    config.bucket.retention.days = Some(0);
    let mut stack = vaultgate_core::Stack::new("S");
    let props = config.architecture_props();
    assert!(vaultgate_constructs::BackupArchitecture::new(&mut stack.root(), "Backup", &props).is_err());
    assert_eq!(stack.resource_count(), 0);
    let fixed = BackupConfig::default().architecture_props();
    assert!(vaultgate_constructs::BackupArchitecture::new(&mut stack.root(), "Backup", &fixed).is_ok());
}

/// Returns the message of the config's build error.
fn build_error(config: &BackupConfig) -> String {
    config.build().unwrap_err().to_string()
}

#[test]
fn settings_rejected_with_field() {
    let cases: Vec<(&str, Box<dyn Fn(&mut BackupConfig)>, &str)> = vec![
        ("bucket.kms_key_arn", Box::new(|c| { c.bucket.encryption = Encryption::Kms; c.bucket.kms_key_arn = Some("not an arn".into()) }), "not a KMS key ARN"),
        ("network.vpc.cidr_block", Box::new(|c| c.network.vpc.cidr_block = Some("010.000.000.000/16".into())), "write it as 10.0.0.0/16"),
        ("tags.aws:owner", Box::new(|c| { c.tags.insert("aws:owner".into(), "x".into()); }), "reserved prefix"),
        ("tags", Box::new(|c| { for i in 0..51 { c.tags.insert(format!("k{i}"), "v".into()); } }), "at most 50 tags"),
        ("bastion.instance_type", Box::new(|c| c.bastion.instance_type = "t3.micr0".into()), "not an EC2 instance type"),
        ("backup_instance.instance_type", Box::new(|c| c.backup_instance.instance_type = "t4g.micro".into()), "Arm"),
        ("network.availability_zone_index", Box::new(|c| c.network.availability_zone_index = 99), "use 0 to 5"),
        ("bucket.retention.days", Box::new(|c| c.bucket.retention.days = Some(u32::MAX)), "limited to 36500 days"),
        ("bucket.retention.years", Box::new(|c| c.bucket.retention.years = Some(100_000)), "limited to 100 years"),
        ("stack_name", Box::new(|c| c.stack_name = "../escaped".into()), "invalid CloudFormation stack name"),
        ("network.vpc.cidr_block", Box::new(|c| c.network.vpc.mode = VpcMode::Existing), "an existing VPC needs its CIDR block"),
        ("restore.trusted_principal_arns", Box::new(|c| c.restore.trusted_principal_arns = vec!["arn:".into()]), "not an IAM principal ARN"),
    ];
    for (field, change, fix) in cases {
        let mut config = BackupConfig::default();
        change(&mut config);
        let message = build_error(&config);
        assert!(message.contains(&format!("`{field}`")), "{field}: {message}");
        assert!(message.contains(fix), "{field}: {message}");
    }
}

#[test]
fn x86_instance_types_accepted() {
    for instance_type in ["t3.micro", "m5.2xlarge", "c6in.large", "g4dn.xlarge", "m7i.metal-24xl", "t2.nano"] {
        let mut config = BackupConfig::default();
        config.bastion.instance_type = instance_type.into();
        assert!(config.build().is_ok(), "{instance_type}");
    }
}

#[test]
fn kms_plain_upload_allowed() {
    use vaultgate_core::access::{assert_access, Decision};
    let mut config = BackupConfig::default();
    config.bucket.encryption = Encryption::Kms;
    let template = synthesize(&config);
    let private_subnet = resource(&template, "AWS::EC2::Subnet", "BackupPrivateSubnet").0;
    assert_access(&template).source(&private_subnet).action("s3:PutObject").is(Decision::Allowed);
}

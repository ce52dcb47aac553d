//! The generated typed resources serialize to the properties CloudFormation
//! expects, and the generated tables drive tagging and `Fn::GetAtt` checks.

use serde_json::json;
use vaultgate_core::resources::{attributes_of, create_only_properties, ec2, s3, tag_style, TagStyle};
use vaultgate_core::template::Resource;
use vaultgate_core::{Error, Expr, Stack, Value};

fn immutable_bucket() -> s3::Bucket {
    let retention = s3::bucket::DefaultRetention { mode: Some("COMPLIANCE".into()), days: Some(30.into()), ..Default::default() };
    let rule = s3::bucket::ObjectLockRule { default_retention: Some(retention.into()) };
    let lock = s3::bucket::ObjectLockConfiguration { object_lock_enabled: Some("Enabled".into()), rule: Some(rule.into()) };
    s3::Bucket {
        versioning_configuration: Some(s3::bucket::VersioningConfiguration::new("Enabled").into()),
        object_lock_enabled: Some(true.into()),
        object_lock_configuration: Some(lock.into()),
        ..s3::Bucket::new()
    }
}

#[test]
fn bucket_with_versioning_and_object_lock() {
    let resource = Resource::from(immutable_bucket());
    assert_eq!(resource.resource_type, "AWS::S3::Bucket");
    assert_eq!(
        json!(resource.properties),
        json!({
            "ObjectLockConfiguration": {
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Days": 30, "Mode": "COMPLIANCE"}}
            },
            "ObjectLockEnabled": true,
            "VersioningConfiguration": {"Status": "Enabled"}
        })
    );
}

#[test]
fn bucket_properties_keep_schema_order() {
    let resource = Resource::from(immutable_bucket());
    let keys: Vec<&str> = resource.properties.keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["ObjectLockConfiguration", "ObjectLockEnabled", "VersioningConfiguration"]);
}

#[test]
fn empty_bucket_has_no_properties() {
    assert!(Resource::from(s3::Bucket::new()).properties.is_empty());
}

#[test]
fn bucket_encryption_uses_exact_property_names() {
    let by_default = s3::bucket::ServerSideEncryptionByDefault {
        kms_master_key_id: Some(Expr::get_att("Key", "Arn").into()),
        ..s3::bucket::ServerSideEncryptionByDefault::new("aws:kms")
    };
    let rule = s3::bucket::ServerSideEncryptionRule {
        server_side_encryption_by_default: Some(by_default.into()),
        bucket_key_enabled: Some(true.into()),
        ..Default::default()
    };
    let bucket = s3::Bucket {
        bucket_encryption: Some(s3::bucket::BucketEncryption::new(vec![Value::from(rule)]).into()),
        bucket_name: Some(Expr::sub("backups-${AWS::AccountId}").into()),
        ..Default::default()
    };
    assert_eq!(
        json!(Resource::from(bucket).properties),
        json!({
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                "BucketKeyEnabled": true,
                "ServerSideEncryptionByDefault": {
                    "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]},
                    "SSEAlgorithm": "aws:kms"
                }
            }]},
            "BucketName": {"Fn::Sub": "backups-${AWS::AccountId}"}
        })
    );
}

#[test]
fn bucket_policy_takes_json_document() {
    let document = json!({"Version": "2012-10-17", "Statement": []});
    let policy = s3::BucketPolicy::new(Expr::reference("Backups"), document.clone());
    assert_eq!(
        json!(Resource::from(policy).properties),
        json!({"Bucket": {"Ref": "Backups"}, "PolicyDocument": document})
    );
}

#[test]
fn type_property_serializes_as_type() {
    let gpu = ec2::instance::ElasticGpuSpecification::new("eg1.medium");
    assert_eq!(serde_json::to_value(gpu).unwrap(), json!({"Type": "eg1.medium"}));
}

#[test]
fn security_group_ingress_rules_nest() {
    let ingress = ec2::security_group::Ingress {
        cidr_ip: Some("10.0.0.0/16".into()),
        from_port: Some(22.into()),
        to_port: Some(22.into()),
        ..ec2::security_group::Ingress::new("tcp")
    };
    let group = ec2::SecurityGroup {
        security_group_ingress: Some(vec![Value::from(ingress)].into()),
        vpc_id: Some(Expr::reference("Vpc").into()),
        ..ec2::SecurityGroup::new("Bastion SSH")
    };
    assert_eq!(
        json!(Resource::from(group).properties),
        json!({
            "GroupDescription": "Bastion SSH",
            "SecurityGroupIngress": [{"CidrIp": "10.0.0.0/16", "FromPort": 22, "IpProtocol": "tcp", "ToPort": 22}],
            "VpcId": {"Ref": "Vpc"}
        })
    );
}

#[test]
fn get_att_functions_pass_validation() {
    let mut stack = Stack::new("Demo");
    let mut root = stack.root();
    let bucket = root.add_resource("Backups", immutable_bucket()).unwrap();
    root.add_output("BucketArn", s3::Bucket::arn(&bucket), "Backup bucket").unwrap();
    assert_eq!(s3::Bucket::arn(&bucket).to_json(), json!({"Fn::GetAtt": ["Backups", "Arn"]}));
    assert!(stack.synth().is_ok());
}

#[test]
fn unknown_attribute_fails_validation() {
    let mut stack = Stack::new("Demo");
    let mut root = stack.root();
    let bucket = root.add_resource("Backups", immutable_bucket()).unwrap();
    root.add_output("Bad", bucket.get_att("NoSuchAttribute"), "Wrong attribute").unwrap();
    let Err(Error::Invalid { problems, .. }) = stack.synth() else { panic!("synth should fail") };
    assert!(problems[0].message.contains("NoSuchAttribute"), "{}", problems[0].message);
}

#[test]
fn tables_come_from_schemas() {
    assert_eq!(tag_style("AWS::EC2::VPC"), Some(TagStyle::KeyValueList));
    assert_eq!(tag_style("AWS::EC2::Route"), None);
    assert_eq!(tag_style("AWS::SNS::Topic"), None, "not vendored");

    let bucket_attributes = attributes_of("AWS::S3::Bucket").unwrap();
    assert!(bucket_attributes.contains(&"Arn"));
    assert!(bucket_attributes.contains(&"MetadataTableConfiguration.S3TablesDestination.TableArn"));
    assert_eq!(attributes_of("AWS::S3::BucketPolicy"), Some(&[][..]));
    assert_eq!(attributes_of("AWS::SNS::Topic"), None);
    assert!(attributes_of("AWS::EC2::VPC").unwrap().contains(&"CidrBlock"), "added by a patch");
    assert!(attributes_of("AWS::EC2::Subnet").unwrap().contains(&"AvailabilityZone"), "added by a patch");

    assert!(create_only_properties("AWS::S3::Bucket").unwrap().contains(&"BucketName"));
    assert!(create_only_properties("AWS::EC2::VPCEndpoint").unwrap().contains(&"DnsOptions.PrivateDnsPreference"));
    assert!(create_only_properties("AWS::EC2::Subnet").unwrap().contains(&"VpcId"));
}

/// Returns one intrinsic of each kind, for typed properties that take strings.
fn intrinsics() -> Vec<Expr> {
    vec![
        Expr::reference("Vpc"),
        Expr::get_att("Bucket", "Arn"),
        Expr::sub("arn:${AWS::Partition}:s3:::${Bucket}/*"),
        Expr::sub_with("${Name}-x", indexmap::IndexMap::from([("Name".to_owned(), Expr::reference("Param"))])),
        Expr::join(",", vec![Expr::string("a"), Expr::reference("B")]),
        Expr::select(1, Expr::get_azs()),
        Expr::if_("IsProd", Expr::string("a"), Expr::reference("AWS::NoValue")),
        Expr::find_in_map("Map", Expr::reference("AWS::Region"), Expr::string("Ami")),
        Expr::base64(Expr::sub("#!/bin/sh\necho ${AWS::StackName}\n")),
        Expr::import_value(Expr::string("Shared-VpcId")),
        Expr::List(vec![Expr::string("x"), Expr::reference("Y")]),
        Expr::Literal(json!({"Nested": [1, 2.5, true, null]})),
    ]
}

/// Asserts that moving `typed` into a resource gives what serializing it
/// gives, keys in the same order (map equality ignores the order).
fn assert_moved_matches_serialized<T: vaultgate_core::resources::CfnResource + Clone>(typed: T)
where
    Resource: From<T>,
{
    let serialized = serde_json::to_string(&typed.to_resource()).unwrap();
    let moved = serde_json::to_string(&Resource::from(typed)).unwrap();
    assert_eq!(moved, serialized);
}

#[test]
fn moved_properties_match_serialized_ones() {
    use vaultgate_core::resources::iam;

    let mut instance = ec2::Instance::new();
    instance.image_id = Some(Expr::reference("LatestAmiId").into());
    instance.instance_type = Some("t3.micro".into());
    instance.ipv6_address_count = Some(2.into());
    instance.monitoring = Some(false.into());
    instance.security_group_ids = Some(intrinsics().into_iter().map(Value::from).collect::<Vec<_>>().into());
    instance.user_data = Some(Expr::base64(Expr::sub("#!/bin/sh\necho \"${AWS::Region}\"\n")).into());
    instance.metadata_options = Some(
        ec2::instance::MetadataOptions {
            http_tokens: Some("required".into()),
            http_put_response_hop_limit: Some(1.into()),
            ..Default::default()
        }
        .into(),
    );
    let ebs = ec2::instance::Ebs { encrypted: Some(true.into()), volume_size: Some(8.into()), ..Default::default() };
    let mapping = ec2::instance::BlockDeviceMapping {
        ebs: Some(ebs.into()),
        no_device: Some(json!({}).into()),
        ..ec2::instance::BlockDeviceMapping::new("/dev/xvda")
    };
    instance.block_device_mappings = Some(vec![mapping.into(), Value::Expr(Expr::reference("ExtraMapping"))].into());
    instance.tags = Some(vec![ec2::instance::Tag::new("Name", Expr::sub("${AWS::StackName}-host")).into()].into());
    instance.volumes = Some(Value::Expr(Expr::if_("HasVolumes", Expr::List(vec![]), Expr::reference("AWS::NoValue"))));
    assert_moved_matches_serialized(instance);

    let document = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "*"}]});
    let mut role = iam::Role::new(document.clone());
    role.max_session_duration = Some(3600.into());
    role.policies = Some(vec![iam::role::Policy::new(document.clone(), "Upload").into()].into());
    role.managed_policy_arns = Some(Value::Expr(Expr::split(",", Expr::reference("Arns"))));
    assert_moved_matches_serialized(role);

    let mut bucket = immutable_bucket();
    bucket.bucket_name = Some(Expr::sub_with("${Prefix}-backups", indexmap::IndexMap::from([("Prefix".to_owned(), Expr::reference("AWS::StackName"))])).into());
    assert_moved_matches_serialized(bucket);

    let mut endpoint = ec2::VpcEndpoint::new(Expr::reference("Vpc"));
    endpoint.policy_document = Some(document.into());
    endpoint.route_table_ids = Some(vec![Value::Expr(Expr::reference("Table")), "rtb-0123".into()].into());
    assert_moved_matches_serialized(endpoint);

    assert_moved_matches_serialized(s3::Bucket::new());
}

//! Template analysis end to end on a fixture of the backup architecture:
//! the network model, request sources and their context keys, the matrix,
//! the design findings (one variant of the fixture per finding), the
//! default expectations and baseline diffs.

use std::path::PathBuf;

use serde_json::{json, Value};
use vaultgate_core::access::{
    diff, evaluate_cell, verify, Decision, Expectations, Layer, Matrix, Report, Route, Settings, SourceKind, StackModel,
};
use vaultgate_core::Template;

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn stack() -> Value {
    fixture("backup-stack.json")
}

fn report_of(value: Value) -> Report {
    let template = Template::from_json_value(value, "backup-stack.json").unwrap();
    verify(&template, "backup-stack.json", &Settings::default(), &Expectations::defaults()).unwrap()
}

fn model_of(value: Value) -> StackModel {
    let template = Template::from_json_value(value, "backup-stack.json").unwrap();
    StackModel::from_template(&template, &Settings::default(), "backup-stack.json").unwrap()
}

fn codes(report: &Report) -> Vec<&'static str> {
    report.findings.iter().map(|finding| finding.code).collect()
}

fn decision(report: &Report, source: &str, action: &str) -> Decision {
    report.matrix.cell(source, action, None).unwrap_or_else(|| panic!("no cell {source} {action}")).evaluation.decision
}

fn resource<'a>(value: &'a mut Value, logical_id: &str) -> &'a mut Value {
    &mut value["Resources"][logical_id]
}

#[test]
fn fixture_passes_verification() {
    let report = report_of(stack());
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    assert!(report.unmatched_rules.is_empty(), "{:?}", report.unmatched_rules);
    assert!(report.passed());
}

#[test]
fn writer_may_only_upload() {
    let report = report_of(stack());
    let put = &report.matrix.cell("PrivateSubnet", "s3:PutObject", None).unwrap().evaluation;
    assert_eq!(put.decision, Decision::Allowed);
    assert!(put.statements().contains(&"PutBackups"), "{put:?}");
    assert!(put.statements().contains(&"UploadOnlyToBackupBucket"), "{put:?}");
    for action in &report.matrix.actions {
        if action != "s3:PutObject" {
            assert_ne!(decision(&report, "PrivateSubnet", action), Decision::Allowed, "{action}");
        }
    }
}

#[test]
fn bastion_upload_fails() {
    let report = report_of(stack());
    let cell = &report.matrix.cell("PublicSubnet", "s3:PutObject", None).unwrap().evaluation;
    assert_eq!(cell.decision, Decision::ExplicitlyDenied);
    assert_eq!(cell.statements(), vec!["DenyOutsideBackupEndpoint"]);
}

#[test]
fn stolen_credentials_fail_everywhere() {
    let report = report_of(stack());
    for source in ["internet-credentials:WriterRole", "other-vpc-endpoint:WriterRole", "internet-anonymous"] {
        for action in &report.matrix.actions {
            assert_eq!(decision(&report, source, action), Decision::ExplicitlyDenied, "{source} {action}");
        }
    }
}

#[test]
fn compliance_lock_stops_admin_delete() {
    let report = report_of(stack());
    let cell = &report.matrix.cell("console-admin", "s3:DeleteObjectVersion", None).unwrap().evaluation;
    assert_eq!(cell.decision, Decision::Denied);
    assert_eq!(cell.layers(), vec![Layer::ObjectLock]);
    assert_eq!(decision(&report, "console-admin", "s3:GetObject"), Decision::Allowed);
    assert_eq!(decision(&report, "role:RestoreRole", "s3:GetObjectVersion"), Decision::Allowed);
}

#[test]
fn locked_bucket_cannot_be_deleted() {
    let report = report_of(stack());
    let cell = &report.matrix.cell("console-admin", "s3:DeleteBucket", None).unwrap().evaluation;
    assert_eq!(cell.decision, Decision::Denied, "{}", cell.reason);
    assert_eq!(cell.layers(), vec![Layer::Service]);
    assert!(cell.reason.contains("BucketNotEmpty"), "{}", cell.reason);
}

#[test]
fn locked_bucket_keeps_versioning() {
    let report = report_of(stack());
    let cell = &report.matrix.cell("console-admin", "s3:PutBucketVersioning", None).unwrap().evaluation;
    assert_eq!(cell.decision, Decision::Denied, "{}", cell.reason);
    assert_eq!(cell.layers(), vec![Layer::Service]);
    assert!(cell.reason.contains("does not suspend versioning"), "{}", cell.reason);
    assert_eq!(decision(&report, "console-admin", "s3:PutLifecycleConfiguration"), Decision::Allowed);
}

#[test]
fn unlocked_bucket_deletion_left_to_iam() {
    let mut value = stack();
    let properties = resource(&mut value, "BackupBucket")["Properties"].as_object_mut().unwrap();
    properties.remove("ObjectLockConfiguration");
    properties.remove("ObjectLockEnabled");

    let report = report_of(value);

    assert_eq!(decision(&report, "console-admin", "s3:DeleteBucket"), Decision::Allowed);
    assert_eq!(decision(&report, "console-admin", "s3:PutBucketVersioning"), Decision::Allowed);
}

#[test]
fn root_keeps_bucket_policy_access_only() {
    let report = report_of(stack());
    assert_eq!(decision(&report, "account-root", "s3:PutBucketPolicy"), Decision::Allowed);
    assert_eq!(decision(&report, "account-root", "s3:PutObject"), Decision::ExplicitlyDenied);
}

/// `Matrix::evaluate` compiles each policy once for all its cells, so
/// each cell is checked against the same cell evaluated on its own. The
/// variants cover governance retention, where the bypass check runs, and
/// an unreachable subnet.
#[test]
fn matrix_cells_match_single_cells() {
    let mut governance = stack();
    resource(&mut governance, "BackupBucket")["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Mode"] = json!("GOVERNANCE");
    let mut unreachable = stack();
    resource(&mut unreachable, "S3Endpoint")["Properties"]["RouteTableIds"] = json!([]);
    for (variant, value) in [("default", stack()), ("governance", governance), ("unreachable", unreachable)] {
        let model = model_of(value);
        let matrix = Matrix::evaluate(&model);
        assert_eq!(matrix.cells.len(), model.buckets.len() * model.sources.len() * matrix.actions.len(), "{variant}");
        for cell in &matrix.cells {
            let source = model.sources.iter().find(|source| source.name == cell.source).unwrap();
            let bucket = model.buckets.iter().find(|bucket| bucket.logical_id == cell.bucket).unwrap();
            let single = evaluate_cell(&model, source, &cell.action, bucket);
            assert_eq!(cell.evaluation, single, "{variant}: {} {}", cell.source, cell.action);
        }
    }
}

/// `Matrix::cell` computes a cell's position from the layout that
/// `Matrix::evaluate` uses, so every cell is looked up by its own names,
/// with the action in any case, in a matrix of two buckets and in one
/// whose cells were reordered.
#[test]
fn cell_lookup_finds_every_cell() {
    let mut two_buckets = stack();
    let copy = resource(&mut two_buckets, "BackupBucket").clone();
    two_buckets["Resources"]["SecondBucket"] = copy;
    two_buckets["Resources"]["SecondBucket"]["Properties"]["BucketName"] = json!("second-backup-bucket");
    let mut matrix = Matrix::evaluate(&model_of(two_buckets));
    assert_eq!(matrix.buckets.len(), 2);

    for reversed in [false, true] {
        if reversed {
            matrix.cells.reverse();
        }
        for cell in &matrix.cells {
            let found = matrix.cell(&cell.source, &cell.action.to_uppercase(), Some(&cell.bucket)).unwrap();
            assert_eq!((&found.source, &found.action, &found.bucket), (&cell.source, &cell.action, &cell.bucket), "reversed: {reversed}");
        }
        assert!(matrix.cell("no-such-source", "s3:PutObject", None).is_none());
        assert!(matrix.cell(&matrix.sources[0], "s3:NoSuchAction", None).is_none());
        assert!(matrix.cell(&matrix.sources[0], "s3:PutObject", Some("NoSuchBucket")).is_none());
    }
}

#[test]
fn network_routes_follow_route_tables() {
    let model = model_of(stack());
    let private = model.source("PrivateSubnet").unwrap();
    let endpoint = model.network.endpoint("S3Endpoint").unwrap();
    assert!(endpoint.id.starts_with("vpce-"), "{}", endpoint.id);
    assert!(matches!(&private.route, Route::Endpoint { endpoint_id, .. } if *endpoint_id == endpoint.id), "{:?}", private.route);
    let public = model.source("PublicSubnet").unwrap();
    assert!(matches!(&public.route, Route::Internet { source_ip } if source_ip.starts_with("203.0.113.")), "{:?}", public.route);
    assert_eq!(model.source("PrivateSubnet").unwrap().kind, SourceKind::Instance);
    assert_eq!(model.source("role:RestoreRole").unwrap().kind, SourceKind::Role);
}

#[test]
fn subnet_without_routes_is_unreachable() {
    let mut value = stack();
    resource(&mut value, "S3Endpoint")["Properties"]["RouteTableIds"] = json!([]);
    let report = report_of(value);
    let cell = &report.matrix.cell("PrivateSubnet", "s3:PutObject", None).unwrap().evaluation;
    assert_eq!(cell.decision, Decision::Denied);
    assert_eq!(cell.layers(), vec![Layer::Network]);
}

#[test]
fn context_keys_come_from_the_route() {
    let model = model_of(stack());
    let private = &model.source("PrivateSubnet").unwrap().context;
    assert!(private.value("aws:SourceVpce").unwrap().starts_with("vpce-"));
    assert!(private.value("aws:SourceVpc").unwrap().starts_with("vpc-"));
    assert!(private.value("aws:VpcSourceIp").unwrap().starts_with("10.0.1."));
    assert!(!private.contains("aws:SourceIp"));
    let principal_arn = private.value("aws:PrincipalArn").unwrap();
    assert!(principal_arn.starts_with("arn:aws:iam::111122223333:role/backup/vaultgate-WriterRole-"), "{principal_arn}");
    assert_eq!(private.value("aws:PrincipalAccount"), Some("111122223333"));
    let public = &model.source("PublicSubnet").unwrap().context;
    assert!(public.contains("aws:SourceIp"));
    assert!(!public.contains("aws:SourceVpce"));
    assert!(!public.contains("aws:SourceVpc"));
    assert!(!public.contains("aws:VpcSourceIp"));
    let anonymous = &model.source("internet-anonymous").unwrap().context;
    assert!(!anonymous.contains("aws:PrincipalArn"));
    assert!(!anonymous.contains("aws:PrincipalAccount"));
}

/// For each key the model builds, a bucket policy that denies unless the
/// key has the value the template implies: the built context passes, and
/// the same context without the key is denied. A key the model forgot or
/// built wrong fails its row.
#[test]
fn forgotten_context_key_changes_decision() {
    use vaultgate_core::access::{evaluate, Policy, PolicyKind, PolicySet, Request, ResourceState};

    let model = model_of(stack());
    let endpoint_id = model.network.endpoint("S3Endpoint").unwrap().id.clone();
    let vpc_id = model.network.vpcs[0].id.clone();
    let writer_arn = model.role("WriterRole").unwrap().arn.clone();
    let rows: Vec<(&str, &str, Value)> = vec![
        ("PrivateSubnet", "aws:SourceVpce", json!({"StringNotEquals": {"aws:SourceVpce": endpoint_id}})),
        ("PrivateSubnet", "aws:SourceVpc", json!({"StringNotEquals": {"aws:SourceVpc": vpc_id}})),
        ("PrivateSubnet", "aws:VpcSourceIp", json!({"NotIpAddress": {"aws:VpcSourceIp": "10.0.1.0/24"}})),
        ("PublicSubnet", "aws:SourceIp", json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}})),
        ("PrivateSubnet", "aws:SecureTransport", json!({"BoolIfExists": {"aws:SecureTransport": "false"}})),
        ("PrivateSubnet", "aws:PrincipalArn", json!({"ArnNotEquals": {"aws:PrincipalArn": writer_arn}})),
        ("PrivateSubnet", "aws:PrincipalAccount", json!({"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}})),
        ("PrivateSubnet", "aws:PrincipalType", json!({"StringNotEquals": {"aws:PrincipalType": "AssumedRole"}})),
        ("PrivateSubnet", "aws:Ec2InstanceSourceVpc", json!({"StringNotEquals": {"aws:Ec2InstanceSourceVpc": vpc_id}})),
        ("PrivateSubnet", "aws:Ec2InstanceSourcePrivateIPv4", json!({"NotIpAddress": {"aws:Ec2InstanceSourcePrivateIPv4": "10.0.1.0/24"}})),
        ("PrivateSubnet", "aws:RequestedRegion", json!({"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}})),
        ("PrivateSubnet", "aws:CurrentTime", json!({"DateNotEquals": {"aws:CurrentTime": "2025-06-01T03:00:00Z"}})),
        ("PrivateSubnet", "aws:userid", json!({"StringNotLike": {"aws:userid": "AROA*:i-*"}})),
        ("console-admin", "aws:MultiFactorAuthPresent", json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})),
    ];
    for (source_name, key, condition) in rows {
        let source = model.source(source_name).unwrap();
        let policy = Policy::from_json(
            &json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"},
                {"Sid": "KeyGuard", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*", "Condition": condition}
            ]}),
            "guard",
            PolicyKind::Resource,
        )
        .unwrap();
        let set = PolicySet { resource: Some(policy), ..PolicySet::default() };
        let mut request = Request {
            caller: source.caller.clone(),
            action: "s3:PutObject".into(),
            resource: "arn:aws:s3:::bucket/key".into(),
            resource_account: "111122223333".into(),
            context: source.context.clone(),
        };
        let built = evaluate(&set, &request, &ResourceState::default());
        assert_eq!(built.decision, Decision::Allowed, "{source_name}: {key} as built should pass ({})", built.reason);
        assert!(request.context.remove(key).is_some(), "{source_name} has no {key}");
        let forgotten = evaluate(&set, &request, &ResourceState::default());
        assert_eq!(forgotten.decision, Decision::ExplicitlyDenied, "{source_name}: dropping {key} should be denied");
    }
}

#[test]
fn endpoint_without_route_tables_is_an_error() {
    let mut value = stack();
    resource(&mut value, "S3Endpoint")["Properties"]["RouteTableIds"] = json!([]);
    let report = report_of(value);
    assert!(codes(&report).contains(&"endpoint-without-route-tables"), "{:?}", codes(&report));
    assert!(!report.passed());
}

#[test]
fn writer_subnet_off_endpoint_is_an_error() {
    let mut value = stack();
    value["Resources"]["SpareRouteTable"] = json!({"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}});
    resource(&mut value, "S3Endpoint")["Properties"]["RouteTableIds"] = json!([{"Ref": "SpareRouteTable"}]);
    let report = report_of(value);
    // The private instance also loses its path to the package repositories.
    assert_eq!(codes(&report), vec!["writer-subnet-not-on-endpoint", "no-package-repository-path"], "{:#?}", report.findings);
    assert_eq!(report.findings[0].subject, "PrivateSubnet");
}

#[test]
fn public_route_table_on_endpoint_is_flagged() {
    let mut value = stack();
    resource(&mut value, "S3Endpoint")["Properties"]["RouteTableIds"] = json!([{"Ref": "PrivateRouteTable"}, {"Ref": "PublicRouteTable"}]);
    let report = report_of(value);
    assert!(codes(&report).contains(&"public-route-table-on-endpoint"), "{:?}", codes(&report));
    // The bastion's requests now carry the endpoint's aws:SourceVpce.
    assert!(matches!(report.model.source("PublicSubnet").unwrap().route, Route::Endpoint { .. }));
}

#[test]
fn public_route_table_on_endpoint_is_an_error() {
    let mut value = stack();
    resource(&mut value, "S3Endpoint")["Properties"]["RouteTableIds"] = json!([{"Ref": "PrivateRouteTable"}, {"Ref": "PublicRouteTable"}]);
    let report = report_of(value);
    let finding = report.findings.iter().find(|f| f.code == "public-route-table-on-endpoint").expect("the finding");
    assert_eq!(finding.severity, vaultgate_core::Severity::Error);
    assert!(!report.passed());
    // The bastion is not the writer, so no rule asks for its upload to be allowed.
    let asks_bastion_upload = report.violations.iter().any(|v| v.expected == "allow" && v.cell.as_ref().is_some_and(|c| c.source == "PublicSubnet"));
    assert!(!asks_bastion_upload, "{:#?}", report.violations);
}

#[test]
fn bastion_upload_through_endpoint_fails() {
    let mut value = stack();
    resource(&mut value, "BastionInstance")["Properties"]["IamInstanceProfile"] = json!({"Ref": "WriterInstanceProfile"});
    resource(&mut value, "S3Endpoint")["Properties"]["RouteTableIds"] = json!([{"Ref": "PrivateRouteTable"}, {"Ref": "PublicRouteTable"}]);
    let report = report_of(value);
    assert_eq!(decision(&report, "PublicSubnet", "s3:PutObject"), Decision::Allowed);
    let bastion_put = report
        .violations
        .iter()
        .find(|v| v.cell.as_ref().is_some_and(|c| c.source == "PublicSubnet" && c.action == "s3:PutObject"))
        .unwrap_or_else(|| panic!("no violation for the bastion's upload: {:#?}", report.violations));
    assert_eq!(bastion_put.expected, "deny");
    assert!(bastion_put.selector.contains("subnet public"), "{}", bastion_put.selector);
    assert!(!report.passed());
}

#[test]
fn bastion_with_writer_role_passes_when_refused() {
    let mut value = stack();
    resource(&mut value, "BastionInstance")["Properties"]["IamInstanceProfile"] = json!({"Ref": "WriterInstanceProfile"});
    let report = report_of(value);
    assert_eq!(decision(&report, "PublicSubnet", "s3:PutObject"), Decision::ExplicitlyDenied);
    assert!(!codes(&report).contains(&"writer-subnet-not-on-endpoint"), "{:#?}", report.findings);
    assert!(report.passed(), "{:#?} {:#?}", report.findings, report.violations);
}

#[test]
fn allow_rule_without_cells_is_violated() {
    let mut value = stack();
    value["Resources"].as_object_mut().unwrap().remove("PrivateInstance");
    let report = report_of(value);
    let missing = report.violations.iter().find(|v| v.cell.is_none()).unwrap_or_else(|| panic!("{:#?}", report.violations));
    assert_eq!(missing.rule, 0);
    assert!(missing.to_string().contains("no cell matches"), "{missing}");
    assert!(!report.passed());
}

#[test]
fn endpoint_policy_without_allow_is_an_error() {
    let mut value = stack();
    resource(&mut value, "S3Endpoint")["Properties"]["PolicyDocument"] =
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "*"}]});
    let report = report_of(value);
    assert!(codes(&report).contains(&"endpoint-policy-without-allow"), "{:?}", codes(&report));
    assert_eq!(decision(&report, "PrivateSubnet", "s3:PutObject"), Decision::ImplicitlyDenied);
}

#[test]
fn endpoint_account_principal_is_flagged() {
    let mut value = stack();
    resource(&mut value, "S3Endpoint")["Properties"]["PolicyDocument"]["Statement"][0]["Principal"] = json!({"AWS": "111122223333"});
    let report = report_of(value);
    assert!(codes(&report).contains(&"endpoint-policy-account-principal"), "{:?}", codes(&report));
}

#[test]
fn source_vpc_condition_is_flagged() {
    let mut value = stack();
    resource(&mut value, "BackupBucketPolicy")["Properties"]["PolicyDocument"]["Statement"][0]["Condition"]["StringNotEquals"] =
        json!({"aws:SourceVpc": {"Ref": "Vpc"}});
    let report = report_of(value);
    assert!(codes(&report).contains(&"source-vpc-instead-of-vpce"), "{:?}", codes(&report));
    // Credentials used through another endpoint in the same VPC would pass; the
    // other-VPC source still fails.
    assert_eq!(decision(&report, "other-vpc-endpoint:WriterRole", "s3:PutObject"), Decision::ExplicitlyDenied);
}

#[test]
fn deny_missing_bucket_arn_is_flagged() {
    let mut value = stack();
    resource(&mut value, "BackupBucketPolicy")["Properties"]["PolicyDocument"]["Statement"][0]["Resource"] = json!({"Fn::Sub": "${BackupBucket.Arn}/*"});
    let report = report_of(value);
    assert!(codes(&report).contains(&"deny-missing-bucket-arn"), "{:?}", codes(&report));
    assert!(!codes(&report).contains(&"deny-missing-object-arn"));
}

#[test]
fn deny_missing_objects_is_flagged() {
    let mut value = stack();
    resource(&mut value, "BackupBucketPolicy")["Properties"]["PolicyDocument"]["Statement"][0]["Resource"] = json!({"Fn::GetAtt": ["BackupBucket", "Arn"]});
    let report = report_of(value);
    assert!(codes(&report).contains(&"deny-missing-object-arn"), "{:?}", codes(&report));
    // Without the objects in the Deny, the bastion's upload is only implicitly denied.
    assert_eq!(decision(&report, "PublicSubnet", "s3:PutObject"), Decision::ImplicitlyDenied);
}

#[test]
fn writer_glob_is_flagged() {
    let mut value = stack();
    resource(&mut value, "WriterRole")["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"] = json!("s3:Put*");
    let report = report_of(value);
    assert!(codes(&report).contains(&"writer-action-glob"), "{:?}", codes(&report));
}

#[test]
fn writer_acl_grant_is_an_error() {
    let mut value = stack();
    resource(&mut value, "WriterRole")["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"] = json!(["s3:PutObject", "s3:PutObjectAcl"]);
    resource(&mut value, "S3Endpoint")["Properties"]["PolicyDocument"]["Statement"][0]["Action"] = json!(["s3:PutObject", "s3:PutObjectAcl"]);
    let report = report_of(value);
    assert!(codes(&report).contains(&"writer-granted-dangerous-action"), "{:?}", codes(&report));
    assert!(codes(&report).contains(&"endpoint-allows-dangerous-action"), "{:?}", codes(&report));
    assert!(report.violations.iter().any(|v| v.cell.as_ref().is_some_and(|c| c.action == "s3:PutObjectAcl")), "{:#?}", report.violations);
}

#[test]
fn unconditional_policy_deny_is_an_error() {
    let mut value = stack();
    let statements = resource(&mut value, "BackupBucketPolicy")["Properties"]["PolicyDocument"]["Statement"].as_array_mut().unwrap();
    statements.push(json!({"Sid": "FreezePolicy", "Effect": "Deny", "Principal": "*", "Action": "s3:PutBucketPolicy", "Resource": {"Fn::GetAtt": ["BackupBucket", "Arn"]}}));
    let report = report_of(value);
    assert!(codes(&report).contains(&"unconditional-policy-deny"), "{:?}", codes(&report));
    assert!(codes(&report).contains(&"management-locked-out"), "{:?}", codes(&report));
}

#[test]
fn endpoint_only_deny_locks_out_management() {
    let mut value = stack();
    resource(&mut value, "BackupBucketPolicy")["Properties"]["PolicyDocument"]["Statement"][0]["Condition"]
        .as_object_mut()
        .unwrap()
        .remove("ArnNotLike");
    let report = report_of(value);
    assert!(codes(&report).contains(&"management-locked-out"), "{:?}", codes(&report));
    assert!(codes(&report).contains(&"no-restore-path"), "{:?}", codes(&report));
    assert_eq!(decision(&report, "console-admin", "s3:PutBucketPolicy"), Decision::ExplicitlyDenied);
}

#[test]
fn missing_restore_role_is_tolerated_with_admin() {
    let mut value = stack();
    let resources = value["Resources"].as_object_mut().unwrap();
    resources.remove("RestorePolicy");
    resources.remove("RestoreRole");
    resource(&mut value, "BackupBucketPolicy")["Properties"]["PolicyDocument"]["Statement"][0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"] =
        json!("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_*");
    let report = report_of(value);
    assert!(!codes(&report).contains(&"no-restore-path"), "the exempt administrator can restore: {:?}", codes(&report));
}

#[test]
fn object_lock_without_versioning_is_an_error() {
    let mut value = stack();
    resource(&mut value, "BackupBucket")["Properties"].as_object_mut().unwrap().remove("VersioningConfiguration");
    let report = report_of(value);
    assert!(codes(&report).contains(&"object-lock-without-versioning"), "{:?}", codes(&report));
    assert!(codes(&report).contains(&"overwrites-possible"), "{:?}", codes(&report));
}

#[test]
fn lifecycle_shorter_than_retention_is_flagged() {
    let mut value = stack();
    resource(&mut value, "BackupBucket")["Properties"]["LifecycleConfiguration"]["Rules"][0]["NoncurrentVersionExpiration"]["NoncurrentDays"] = json!(7);
    let report = report_of(value);
    assert!(codes(&report).contains(&"lifecycle-fights-retention"), "{:?}", codes(&report));
}

#[test]
fn private_amazon_linux_without_repositories_is_flagged() {
    let mut value = stack();
    resource(&mut value, "S3Endpoint")["Properties"]["PolicyDocument"]["Statement"].as_array_mut().unwrap().truncate(1);
    let report = report_of(value);
    assert_eq!(codes(&report), vec!["no-package-repository-path"], "{:#?}", report.findings);
    assert_eq!(report.findings[0].subject, "PrivateSubnet");
}

#[test]
fn owner_enforced_bucket_refuses_acls() {
    let mut value = stack();
    resource(&mut value, "BackupBucket")["Properties"]["OwnershipControls"] = json!({"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]});
    resource(&mut value, "WriterRole")["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"] = json!(["s3:PutObject", "s3:PutObjectAcl"]);
    resource(&mut value, "S3Endpoint")["Properties"]["PolicyDocument"]["Statement"][0]["Action"] = json!(["s3:PutObject", "s3:PutObjectAcl"]);

    let report = report_of(value);

    let cell = report.matrix.cell("PrivateSubnet", "s3:PutObjectAcl", None).expect("the ACL cell");
    assert_eq!(cell.evaluation.decision, Decision::Denied, "{}", cell.evaluation.reason);
    assert_eq!(cell.evaluation.layers(), vec![Layer::Service], "{:?}", cell.evaluation.decided_by);
    assert!(cell.evaluation.reason.contains("AccessControlListNotSupported"), "{}", cell.evaluation.reason);
    // The writer cannot set ACLs, so the matrix-based finding is gone, but
    // the endpoint policy still lets ACL calls through.
    assert!(!codes(&report).contains(&"writer-granted-dangerous-action"), "{:?}", codes(&report));
    assert!(codes(&report).contains(&"endpoint-allows-dangerous-action"), "{:?}", codes(&report));
    assert_eq!(decision(&report, "PrivateSubnet", "s3:PutObject"), Decision::Allowed);
}

#[test]
fn ownership_from_parameter_left_to_iam() {
    let mut value = stack();
    value["Parameters"]["Ownership"] =
        json!({"Type": "String", "Default": "BucketOwnerEnforced", "AllowedValues": ["BucketOwnerEnforced", "ObjectWriter"]});
    resource(&mut value, "BackupBucket")["Properties"]["OwnershipControls"] = json!({"Rules": [{"ObjectOwnership": {"Ref": "Ownership"}}]});
    resource(&mut value, "WriterRole")["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"] = json!(["s3:PutObject", "s3:PutObjectAcl"]);
    resource(&mut value, "S3Endpoint")["Properties"]["PolicyDocument"]["Statement"][0]["Action"] = json!(["s3:PutObject", "s3:PutObjectAcl"]);

    let report = report_of(value);

    assert_eq!(decision(&report, "PrivateSubnet", "s3:PutObjectAcl"), Decision::Allowed);
}

#[test]
fn retention_mode_from_parameter_warned() {
    let mut value = stack();
    value["Parameters"]["RetentionMode"] = json!({"Type": "String", "Default": "COMPLIANCE", "AllowedValues": ["COMPLIANCE", "GOVERNANCE"]});
    resource(&mut value, "BackupBucket")["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Mode"] =
        json!({"Ref": "RetentionMode"});

    let report = report_of(value);

    let warned: Vec<_> = report.findings.iter().filter(|finding| finding.code == "protection-set-at-deploy").collect();
    assert_eq!(warned.len(), 1, "{:#?}", report.findings);
    assert_eq!(warned[0].subject, "BackupBucket");
    assert!(warned[0].message.contains("ObjectLockConfiguration.Rule.DefaultRetention.Mode"), "{}", warned[0].message);
    assert!(warned[0].message.contains("RetentionMode"), "{}", warned[0].message);
    assert!(report.passed(), "a warning alone does not fail verify");
}

#[test]
fn acls_enabled_without_ownership_controls() {
    let mut value = stack();
    resource(&mut value, "WriterRole")["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"] = json!(["s3:PutObject", "s3:PutObjectAcl"]);
    resource(&mut value, "S3Endpoint")["Properties"]["PolicyDocument"]["Statement"][0]["Action"] = json!(["s3:PutObject", "s3:PutObjectAcl"]);
    for ownership in [None, Some("ObjectWriter"), Some("BucketOwnerPreferred")] {
        let mut value = value.clone();
        if let Some(ownership) = ownership {
            resource(&mut value, "BackupBucket")["Properties"]["OwnershipControls"] = json!({"Rules": [{"ObjectOwnership": ownership}]});
        }

        let report = report_of(value);

        assert_eq!(decision(&report, "PrivateSubnet", "s3:PutObjectAcl"), Decision::Allowed, "ownership {ownership:?}");
    }
}

#[test]
fn original_writeup_fails_for_each_documented_flaw() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bin/tests/fixtures/original-writeup.json");
    let value: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let report = report_of(value);
    assert!(!report.passed());
    let found = codes(&report);
    for code in ["writer-granted-dangerous-action", "overwrites-possible", "management-locked-out", "no-restore-path"] {
        assert!(found.contains(&code), "missing {code}: {found:?}");
    }
    assert_eq!(decision(&report, "PrivateSubnet", "s3:PutObjectAcl"), Decision::Allowed);
}

#[test]
fn baseline_diff_reports_broadening() {
    let good = report_of(stack());
    let mut value = stack();
    resource(&mut value, "WriterRole")["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"] = json!(["s3:PutObject", "s3:PutObjectAcl"]);
    resource(&mut value, "S3Endpoint")["Properties"]["PolicyDocument"]["Statement"][0]["Action"] = json!(["s3:PutObject", "s3:PutObjectAcl"]);
    let changed = report_of(value);
    let changes = diff(&good.matrix, &changed.matrix);
    let acl = changes.iter().find(|c| c.source == "PrivateSubnet" && c.action == "s3:PutObjectAcl").expect("the ACL cell changed");
    assert!(acl.broadening);
    assert!(changes.iter().all(|c| c.source == "PrivateSubnet" || !c.broadening), "{changes:#?}");
    assert!(diff(&good.matrix, &good.matrix).is_empty());
    let narrowing = diff(&changed.matrix, &good.matrix);
    assert!(narrowing.iter().all(|c| !c.broadening), "{narrowing:#?}");
}

/// A renamed bucket shares no cell with the old name, so every cell of the
/// old name disappears and every cell of the new one is new.
#[test]
fn baseline_diff_of_renamed_bucket() {
    let good = report_of(stack());
    let renamed = stack().to_string().replace("BackupBucket", "ArchiveBucket");
    let renamed = report_of(serde_json::from_str(&renamed).unwrap());
    assert_eq!(renamed.matrix.buckets, vec!["ArchiveBucket".to_owned()]);

    let changes = diff(&good.matrix, &renamed.matrix);

    let cells = good.matrix.cells.len();
    let removed: Vec<_> = changes.iter().filter(|c| c.after.is_none()).collect();
    let added: Vec<_> = changes.iter().filter(|c| c.before.is_none()).collect();
    assert_eq!(removed.len(), cells);
    assert!(removed.iter().all(|c| c.bucket == "BackupBucket"), "{removed:#?}");
    assert_eq!(added.len(), renamed.matrix.cells.len());
    assert!(added.iter().all(|c| c.bucket == "ArchiveBucket"), "{added:#?}");
    assert_eq!(changes.len(), removed.len() + added.len());
}

#[test]
fn restore_role_open_to_anyone_fails() {
    let mut value = stack();
    resource(&mut value, "RestoreRole")["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = json!({"AWS": "*"});
    let report = report_of(value);
    let finding = report.findings.iter().find(|f| f.code == "role-trust-allows-outsiders").unwrap_or_else(|| panic!("{:#?}", report.findings));
    assert_eq!(finding.severity, vaultgate_core::Severity::Error);
    assert_eq!(finding.subject, "RestoreRole");
    assert!(finding.message.contains("s3:GetObject on BackupBucket"), "{finding}");
    assert_eq!(decision(&report, "assumed-from-outside:RestoreRole", "s3:GetObjectVersion"), Decision::Allowed);
    assert!(!report.passed());

    let changes = diff(&report_of(stack()).matrix, &report.matrix);
    let broadened: Vec<&str> = changes.iter().filter(|c| c.broadening).map(|c| c.action.as_str()).collect();
    assert_eq!(broadened, vec!["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions"], "{changes:#?}");
    assert!(changes.iter().all(|c| c.source == "assumed-from-outside:RestoreRole"), "{changes:#?}");
}

#[test]
fn other_account_trust_needs_condition() {
    let mut value = stack();
    let trust = &mut resource(&mut value, "RestoreRole")["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    trust["Principal"] = json!({"AWS": "arn:aws:iam::444455556666:root"});
    assert!(codes(&report_of(value.clone())).contains(&"role-trust-allows-outsiders"));
    let trust = &mut resource(&mut value, "RestoreRole")["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    trust["Condition"] = json!({"StringEquals": {"sts:ExternalId": "backup-audit-7f3c"}});
    let report = report_of(value);
    assert!(!codes(&report).contains(&"role-trust-allows-outsiders"), "{:#?}", report.findings);
    assert!(report.model.source("assumed-from-outside:RestoreRole").is_none());
}

#[test]
fn web_identity_trust_needs_subject() {
    let mut value = stack();
    let trust = &mut resource(&mut value, "RestoreRole")["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    trust["Principal"] = json!({"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"});
    trust["Action"] = json!("sts:AssumeRoleWithWebIdentity");
    trust["Condition"] = json!({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}});

    let report = report_of(value.clone());

    let finding = report.findings.iter().find(|finding| finding.code == "role-trust-allows-outsiders").expect("an open web identity trust");
    assert!(finding.message.contains("token.actions.githubusercontent.com:sub"), "{}", finding.message);

    let trust = &mut resource(&mut value, "RestoreRole")["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    trust["Condition"]["StringLike"] = json!({"token.actions.githubusercontent.com:sub": "repo:acme/restore:ref:refs/heads/main"});
    let report = report_of(value);
    assert!(!codes(&report).contains(&"role-trust-allows-outsiders"), "{:#?}", report.findings);
}

#[test]
fn writer_role_open_to_anyone_is_an_error() {
    // The bucket policy holds the writer to the endpoint, so the outsider's
    // cells stay denied, but the open trust is still an error.
    let mut value = stack();
    resource(&mut value, "WriterRole")["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = json!("*");
    let report = report_of(value);
    assert!(codes(&report).contains(&"role-trust-allows-outsiders"), "{:#?}", report.findings);
    assert_eq!(decision(&report, "assumed-from-outside:WriterRole", "s3:PutObject"), Decision::ExplicitlyDenied);
    assert!(!report.passed());
}

#[test]
fn template_without_resources_is_rejected() {
    for value in [json!({"AWSTemplateFormatVersion": "2010-09-09"}), json!({"Resources": {}})] {
        let template = Template::from_json_value(value, "empty.json").unwrap();
        let message = verify(&template, "empty.json", &Settings::default(), &Expectations::defaults()).unwrap_err().to_string();
        assert!(message.contains("empty.json"), "{message}");
        assert!(message.contains("$.Resources"), "{message}");
        assert!(message.contains("no resources"), "{message}");
    }
}

#[test]
fn template_without_bucket_fails() {
    let template = Template::from_json_value(json!({"Resources": {"Vpc": stack()["Resources"]["Vpc"].clone()}}), "t.json").unwrap();
    let report = verify(&template, "t.json", &Settings::default(), &Expectations::defaults()).unwrap();
    assert!(codes(&report).contains(&"no-bucket"), "{:#?}", report.findings);
    assert!(!report.passed());
}

#[test]
fn custom_expectations_find_violations() {
    let template = Template::from_json_value(stack(), "t.json").unwrap();
    let expectations = Expectations::parse(
        "[[expect]]\nsource = \"PrivateSubnet\"\nactions = [\"s3:GetObject\"]\ndecision = \"allow\"\nwhy = \"test\"\n",
        "mine.toml",
    )
    .unwrap();
    let report = verify(&template, "t.json", &Settings::default(), &expectations).unwrap();
    assert_eq!(report.violations.len(), 1);
    assert_eq!(report.violations[0].cell.as_ref().unwrap().action, "s3:GetObject");
    assert!(!report.passed());
}

#[test]
fn invalid_expectations_name_the_place() {
    let message = Expectations::parse("[[expect]]\nactions = [\"s3:*\"]\ndecision = \"maybe\"\n", "mine.toml").unwrap_err().to_string();
    assert!(message.contains("mine.toml"), "{message}");
    assert!(message.contains("$.expect[0].decision"), "{message}");
    let message = Expectations::parse("[[expect]]\nsauce = 1\n", "mine.toml").unwrap_err().to_string();
    assert!(message.contains("sauce"), "{message}");
    assert!(Expectations::parse("{\"expect\": []}", "mine.json").unwrap().expect.is_empty());
}

#[test]
fn misspelt_action_is_rejected() {
    let message = Expectations::parse("[[expect]]\nactions = [\"s3:PutObjet\"]\ndecision = \"allow\"\n", "mine.toml").unwrap_err().to_string();
    assert!(message.contains("$.expect[0].actions[0]"), "{message}");
    assert!(message.contains("s3:PutObjet"), "{message}");
    assert!(message.contains("s3:PutObject, s3:GetObject"), "{message}");
    let message = Expectations::parse("[[expect]]\nactions = [\"s3:*\"]\nexcept = [\"s3:GetObjekt\"]\ndecision = \"deny\"\n", "mine.toml").unwrap_err().to_string();
    assert!(message.contains("$.expect[0].except[0]"), "{message}");
    assert!(Expectations::parse("[[expect]]\nactions = [\"s3:Put*\"]\ndecision = \"deny\"\n", "mine.toml").is_ok());
}

#[test]
fn toml_error_names_line_and_column() {
    let message = Expectations::parse("[[expect]]\nkind = \"instanse\"\nactions = [\"*\"]\ndecision = \"deny\"\n", "mine.toml").unwrap_err().to_string();
    assert!(message.contains("line 2, column 8"), "{message}");
    assert!(!message.contains("byte"), "{message}");
}

#[test]
fn subnet_filter_selects_by_internet_route() {
    let template = Template::from_json_value(stack(), "t.json").unwrap();
    let rules = "[[expect]]\nsubnet = \"public\"\nactions = [\"s3:PutObject\"]\ndecision = \"allow\"\n\n[[expect]]\nsubnet = \"private\"\nactions = [\"s3:PutObject\"]\ndecision = \"deny\"\n";
    let expectations = Expectations::parse(rules, "mine.toml").unwrap();
    let report = verify(&template, "t.json", &Settings::default(), &expectations).unwrap();
    let sources: Vec<(usize, &str)> = report.violations.iter().map(|v| (v.rule, v.cell.as_ref().unwrap().source.as_str())).collect();
    assert_eq!(sources, vec![(0, "PublicSubnet"), (1, "PrivateSubnet")]);
}

#[test]
fn unresolvable_template_names_the_path() {
    let mut value = stack();
    resource(&mut value, "WriterRole")["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"] = json!({"Ref": "NoSuchThing"});
    let template = Template::from_json_value(value, "broken.json").unwrap();
    let message = verify(&template, "broken.json", &Settings::default(), &Expectations::defaults()).unwrap_err().to_string();
    assert!(message.contains("broken.json"), "{message}");
    assert!(message.contains("$.Resources.WriterRole"), "{message}");
    assert!(message.contains("NoSuchThing"), "{message}");
}

#[test]
fn invalid_policy_in_template_names_the_path() {
    let mut value = stack();
    resource(&mut value, "WriterRole")["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Effect"] = json!("Permit");
    let template = Template::from_json_value(value, "broken.json").unwrap();
    let message = verify(&template, "broken.json", &Settings::default(), &Expectations::defaults()).unwrap_err().to_string();
    assert!(message.contains("$.Resources.WriterRole.Properties.Policies[0].PolicyDocument.Statement[0].Effect"), "{message}");
}

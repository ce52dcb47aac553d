//! `S3GatewayEndpoint::add_route_table`: attaching route tables after the
//! endpoint is created.

use serde_json::{json, Value as Json};
use vaultgate_constructs::backup_architecture::{BackupArchitecture, BackupArchitectureProps};
use vaultgate_constructs::private_backup_subnet::{PrivateBackupSubnet, PrivateBackupSubnetProps};
use vaultgate_constructs::ConstructError;
use vaultgate_core::{Expr, LogicalId, Stack};

fn route_table_ids(stack: &Stack, endpoint: &LogicalId) -> Json {
    stack.resource(endpoint).unwrap().properties["RouteTableIds"].clone()
}

fn extra_subnet(root: &mut vaultgate_core::Scope<'_>, parts: &BackupArchitecture, id: &str, cidr_block: &str) -> PrivateBackupSubnet {
    let props = PrivateBackupSubnetProps { cidr_block: cidr_block.to_owned() };
    PrivateBackupSubnet::new(root, id, &parts.vpc, &props, Expr::select(0, Expr::get_azs())).unwrap()
}

#[test]
fn added_tables_follow_initial_one() {
    let mut stack = Stack::new("Backups");
    let mut root = stack.root();
    let parts = BackupArchitecture::new(&mut root, "Backup", &BackupArchitectureProps::default()).unwrap();
    let second = extra_subnet(&mut root, &parts, "Second", "10.0.2.0/24");
    let third = extra_subnet(&mut root, &parts, "Third", "10.0.3.0/24");
    parts.endpoint.add_route_table(&mut root, &second.route_table).unwrap();
    parts.endpoint.add_route_table(&mut root, &third.route_table).unwrap();

    let expected = json!([
        {"Ref": parts.private_subnet.route_table.as_str()},
        {"Ref": second.route_table.as_str()},
        {"Ref": third.route_table.as_str()},
    ]);
    assert_eq!(route_table_ids(&stack, &parts.endpoint.endpoint), expected);
    assert!(stack.synth().is_ok());
}

#[test]
fn attached_table_rejected_twice() {
    let mut stack = Stack::new("Backups");
    let mut root = stack.root();
    let parts = BackupArchitecture::new(&mut root, "Backup", &BackupArchitectureProps::default()).unwrap();
    let err = parts.endpoint.add_route_table(&mut root, &parts.private_subnet.route_table).unwrap_err();

    let ConstructError::InvalidProps { path, problems } = &err else { panic!("expected InvalidProps, got {err}") };
    assert_eq!(path, "Backups/Backup/S3Endpoint");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].field, "route_tables");
    assert!(problems[0].message.contains("already attached"), "{err}");
    let tables = route_table_ids(&stack, &parts.endpoint.endpoint);
    assert_eq!(tables.as_array().unwrap().len(), 1, "{tables}");
}

#[test]
fn replaced_table_list_rejected() {
    let mut stack = Stack::new("Backups");
    let mut root = stack.root();
    let parts = BackupArchitecture::new(&mut root, "Backup", &BackupArchitectureProps::default()).unwrap();
    let second = extra_subnet(&mut root, &parts, "Second", "10.0.2.0/24");
    let endpoint = root.resource_mut(&parts.endpoint.endpoint).unwrap();
    endpoint.properties.insert("RouteTableIds".to_owned(), json!({"Fn::Split": [",", {"Ref": "Tables"}]}));

    let err = parts.endpoint.add_route_table(&mut root, &second.route_table).unwrap_err();
    assert!(err.to_string().contains("RouteTableIds is not a list"), "{err}");
}

#[test]
fn endpoint_of_other_stack_rejected() {
    let mut first = Stack::new("First");
    let parts = BackupArchitecture::new(&mut first.root(), "Backup", &BackupArchitectureProps::default()).unwrap();
    let mut second = Stack::new("Second");
    let err = parts.endpoint.add_route_table(&mut second.root(), &parts.private_subnet.route_table).unwrap_err();
    assert!(matches!(err, ConstructError::NotInStack { .. }), "{err}");
}

#[test]
fn table_of_other_stack_rejected() {
    let mut first = Stack::new("First");
    let mut first_root = first.root();
    let parts = BackupArchitecture::new(&mut first_root, "Backup", &BackupArchitectureProps::default()).unwrap();
    let mut second = Stack::new("Second");
    let mut second_root = second.root();
    let other = BackupArchitecture::new(&mut second_root, "Backup", &BackupArchitectureProps::default()).unwrap();
    let stray = extra_subnet(&mut second_root, &other, "Stray", "10.0.2.0/24");

    let err = parts.endpoint.add_route_table(&mut first.root(), &stray.route_table).unwrap_err();

    let message = err.to_string();
    assert!(message.contains("First/Backup/S3Endpoint"), "{message}");
    assert!(message.contains(stray.route_table.as_str()), "{message}");
    assert!(message.contains("no resource of this stack has that logical ID"), "{message}");
}

#[test]
fn non_route_table_rejected() {
    let mut stack = Stack::new("Backups");
    let mut root = stack.root();
    let parts = BackupArchitecture::new(&mut root, "Backup", &BackupArchitectureProps::default()).unwrap();

    let err = parts.endpoint.add_route_table(&mut root, &parts.bucket.bucket).unwrap_err();

    let message = err.to_string();
    assert!(message.contains("it is an AWS::S3::Bucket, not an AWS::EC2::RouteTable"), "{message}");
    let tables = route_table_ids(&stack, &parts.endpoint.endpoint);
    assert_eq!(tables.as_array().unwrap().len(), 1, "{tables}");
}

//! Raw resources, property overrides, exports and logical ID overrides:
//! the ways out of the typed API.

use serde_json::json;
use vaultgate_core::resources::{add_property_override, s3, RawResource};
use vaultgate_core::{Expr, Pseudo, Stack};

#[test]
fn raw_resource_keeps_properties() {
    let mut stack = Stack::new("S");
    let properties = json!({"Name": "backups", "RetentionInDays": 7}).as_object().unwrap().clone();
    let raw = RawResource { resource_type: "AWS::Logs::LogGroup".into(), properties };
    stack.root().add_resource("Logs", raw).unwrap();
    let template = stack.synth().unwrap().template;
    assert_eq!(template.resources["Logs"].resource_type, "AWS::Logs::LogGroup");
    assert_eq!(template.resources["Logs"].properties["RetentionInDays"], 7);
}

#[test]
fn property_override_sets_nested_value() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let bucket = root.add_resource("Bucket", s3::Bucket::new()).unwrap();
    let resource = root.resource_mut(&bucket).unwrap();
    add_property_override(resource, "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", json!(true));
    let template = stack.synth().unwrap().template;
    assert_eq!(
        template.resources["Bucket"].properties["NotificationConfiguration"],
        json!({"EventBridgeConfiguration": {"EventBridgeEnabled": true}})
    );
}

#[test]
fn exported_output_written() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let bucket = root.add_resource("Bucket", s3::Bucket::new()).unwrap();
    let export = Expr::sub(format!("${{{}}}-BucketName", Pseudo::StackName.name()));
    root.add_exported_output("BucketName", bucket.reference(), "the bucket", export).unwrap();
    let template = stack.synth().unwrap().template;
    let output = serde_json::to_value(&template.outputs["BucketName"]).unwrap();
    assert_eq!(output["Export"], json!({"Name": {"Fn::Sub": "${AWS::StackName}-BucketName"}}));
}

#[test]
fn invalid_override_reported_at_synth() {
    let mut stack = Stack::new("S");
    stack.override_logical_id("Group/Bucket", "bad-id");
    let mut root = stack.root();
    let mut group = root.child("Group").unwrap();
    group.add_resource("Bucket", s3::Bucket::new()).unwrap();
    let err = stack.synth().unwrap_err().to_string();
    assert!(err.contains("\"bad-id\""), "{err}");
    assert!(err.contains("S/Group/Bucket"), "{err}");
}

#[test]
fn duplicate_output_rejected() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    root.add_output("Name", Expr::string("a"), "a").unwrap();
    let err = root.add_output("Name", Expr::string("b"), "b").unwrap_err().to_string();
    assert!(err.contains("output `Name` is defined twice"), "{err}");
}

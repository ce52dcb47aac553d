//! Synth-time validation: every problem is reported, with its construct
//! path and logical ID, and none stops the others from being found.

use serde_json::json;
use vaultgate_core::template::Resource;
use vaultgate_core::{Error, Expr, Problem, Severity, Stack};

fn topic_with(properties: serde_json::Value) -> Resource {
    let mut resource = Resource::new("AWS::SNS::Topic");
    resource.properties = properties.as_object().unwrap().clone();
    resource
}

fn problems(stack: &Stack) -> Vec<Problem> {
    match stack.synth() {
        Err(Error::Invalid { problems, .. }) => problems,
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("synth succeeded"),
    }
}

#[test]
fn dangling_ref_names_target_and_path() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let mut group = root.child("Alerts").unwrap();
    group.add_resource("Topic", topic_with(json!({"TopicName": {"Ref": "Missing"}}))).unwrap();
    let found = problems(&stack);
    assert_eq!(found.len(), 1, "{found:?}");
    let message = found[0].to_string();
    assert!(message.contains("`Missing`"), "{message}");
    assert!(message.contains("S/Alerts/Topic"), "{message}");
    assert!(message.starts_with("S/Alerts/Topic (AlertsTopic"), "{message}");
}

#[test]
fn dangling_get_att_and_sub_found() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    root.add_resource("A", topic_with(json!({"TopicName": {"Fn::GetAtt": ["Ghost", "Arn"]}}))).unwrap();
    root.add_resource("B", topic_with(json!({"TopicName": {"Fn::Sub": "${Phantom}-x"}}))).unwrap();
    let text: Vec<String> = problems(&stack).iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|m| m.contains("`Ghost`")), "{text:?}");
    assert!(text.iter().any(|m| m.contains("`Phantom`")), "{text:?}");
}

#[test]
fn unknown_attribute_rejected() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    root.add_resource("Bucket", Resource::new("AWS::S3::Bucket")).unwrap();
    root.add_output("X", Expr::get_att("Bucket", "Colour"), "x").unwrap();
    let text = problems(&stack)[0].to_string();
    assert!(text.contains("`Colour`"), "{text}");
    assert!(text.contains("Arn"), "{text}");
}

#[test]
fn dangling_depends_on_and_condition() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let id = root.add_resource("A", Resource::new("AWS::SNS::Topic")).unwrap();
    let resource = root.resource_mut(&id).unwrap();
    resource.depends_on.push("Nowhere".into());
    resource.condition = Some("IsProd".into());
    let text: Vec<String> = problems(&stack).iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|m| m.contains("DependsOn names `Nowhere`")), "{text:?}");
    assert!(text.iter().any(|m| m.contains("Condition `IsProd`")), "{text:?}");
}

#[test]
fn dependency_cycle_printed() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    root.add_resource("A", topic_with(json!({"TopicName": {"Ref": "B"}}))).unwrap();
    root.add_resource("B", topic_with(json!({"TopicName": {"Fn::GetAtt": ["C", "TopicName"]}}))).unwrap();
    let c = root.add_resource("C", Resource::new("AWS::SNS::Topic")).unwrap();
    root.resource_mut(&c).unwrap().depends_on.push("A".into());
    let found = problems(&stack);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("A -> B -> C -> A"), "{}", found[0]);
}

#[test]
fn resource_limit_enforced() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    for index in 0..501 {
        root.add_resource(&format!("Topic{index}"), Resource::new("AWS::SNS::Topic")).unwrap();
    }
    let text = problems(&stack)[0].to_string();
    assert!(text.contains("501 resources"), "{text}");
    assert!(text.contains("limit of 500"), "{text}");
}

#[test]
fn large_template_warns_about_upload() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    for index in 0..40 {
        let name = "x".repeat(1500);
        root.add_resource(&format!("Topic{index}"), topic_with(json!({"DisplayName": name}))).unwrap();
    }
    let synthesized = stack.synth().unwrap();
    assert_eq!(synthesized.warnings.len(), 1);
    assert_eq!(synthesized.warnings[0].severity, Severity::Warning);
    assert!(synthesized.warnings[0].message.contains("51200-byte"), "{}", synthesized.warnings[0]);
}

#[test]
fn subnet_checks_against_vpc() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let mut vpc = Resource::new("AWS::EC2::VPC");
    vpc.properties.insert("CidrBlock".into(), json!("10.0.0.0/16"));
    root.add_resource("Vpc", vpc).unwrap();
    for (id, block) in [("Inside", "10.0.1.0/24"), ("Overlap", "10.0.1.128/25"), ("Outside", "10.1.0.0/24"), ("Bad", "10.0.300.0/24")] {
        let mut subnet = Resource::new("AWS::EC2::Subnet");
        subnet.properties.insert("VpcId".into(), json!({"Ref": "Vpc"}));
        subnet.properties.insert("CidrBlock".into(), json!(block));
        root.add_resource(id, subnet).unwrap();
    }
    let text: Vec<String> = problems(&stack).iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 3, "{text:?}");
    assert!(text.iter().any(|m| m.starts_with("S/Overlap") && m.contains("overlaps 10.0.1.0/24")), "{text:?}");
    assert!(text.iter().any(|m| m.starts_with("S/Outside") && m.contains("outside its VPC")), "{text:?}");
    assert!(text.iter().any(|m| m.starts_with("S/Bad") && m.contains("\"10.0.300.0/24\"")), "{text:?}");
}

#[test]
fn bucket_name_checked_in_template() {
    let mut stack = Stack::new("S");
    let mut bucket = Resource::new("AWS::S3::Bucket");
    bucket.properties.insert("BucketName".into(), json!("Bad_Name"));
    stack.root().add_resource("Bucket", bucket).unwrap();
    let text = problems(&stack)[0].to_string();
    assert!(text.contains("\"Bad_Name\""), "{text}");
    assert!(text.contains("S3's naming rules"), "{text}");
}

#[test]
fn every_problem_reported_at_once() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    root.add_resource("A", topic_with(json!({"TopicName": {"Ref": "One"}}))).unwrap();
    root.add_resource("B", topic_with(json!({"TopicName": {"Ref": "Two"}}))).unwrap();
    let err = stack.synth().unwrap_err().to_string();
    assert!(err.contains("2 problems"), "{err}");
    assert!(err.contains("`One`") && err.contains("`Two`"), "{err}");
}

#[test]
fn parsed_template_validates_without_paths() {
    let template = vaultgate_core::Template::parse(
        r#"{"Resources": {"A": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Ref": "Nope"}}}}}"#,
        "t.json",
    )
    .unwrap();
    let found = vaultgate_core::validate::validate_template(&template, &Default::default());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].logical_id.as_deref(), Some("A"));
    assert_eq!(found[0].path, None);
}

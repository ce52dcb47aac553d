//! Stack and subtree tags merged into resources: a resource whose Tags is an
//! intrinsic function keeps it and gets a warning, invalid tags are synth
//! errors naming where they were set, and the per-resource limit holds.

use serde_json::json;
use vaultgate_core::template::Resource;
use vaultgate_core::validate::MAX_TAGS;
use vaultgate_core::{Error, Problem, Severity, Stack};

fn resource_with(resource_type: &str, properties: serde_json::Value) -> Resource {
    let mut resource = Resource::new(resource_type);
    resource.properties = properties.as_object().unwrap().clone();
    resource
}

fn errors(stack: &Stack) -> Vec<Problem> {
    match stack.synth() {
        Err(Error::Invalid { problems, .. }) => problems,
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("synth succeeded"),
    }
}

#[test]
fn intrinsic_tags_kept_with_warning() {
    let own = json!({"Fn::If": ["IsProd", [{"Key": "env", "Value": "prod"}], {"Ref": "AWS::NoValue"}]});
    let mut stack = Stack::new("S");
    stack.add_tag("owner", "platform");
    let mut root = stack.root();
    root.add_condition(
        "IsProd",
        vaultgate_core::Expr::equals(vaultgate_core::Expr::string("a"), vaultgate_core::Expr::string("a")),
    )
    .unwrap();
    let mut group = root.child("Network").unwrap();
    let id = group.add_resource("Vpc", resource_with("AWS::EC2::VPC", json!({"Tags": own.clone()}))).unwrap();

    let synthesized = stack.synth().unwrap();

    assert_eq!(synthesized.template.resources[id.as_str()].properties["Tags"], own);
    assert_eq!(synthesized.warnings.len(), 1, "{:#?}", synthesized.warnings);
    let warning = &synthesized.warnings[0];
    assert_eq!(warning.severity, Severity::Warning);
    assert_eq!(warning.path.as_deref(), Some("S/Network/Vpc"));
    assert_eq!(warning.logical_id.as_deref(), Some(id.as_str()));
    assert!(
        warning.message.starts_with(
            "the stack and subtree tags were not merged into this resource because its Tags is an intrinsic function"
        ),
        "{warning}"
    );
}

#[test]
fn intrinsic_tag_key_kept() {
    let own = json!([{"Key": {"Ref": "AWS::StackName"}, "Value": "x"}]);
    let mut stack = Stack::new("S");
    stack.add_tag("owner", "platform");
    let id = stack.root().add_resource("Vpc", resource_with("AWS::EC2::VPC", json!({"Tags": own.clone()}))).unwrap();
    let synthesized = stack.synth().unwrap();
    assert_eq!(synthesized.template.resources[id.as_str()].properties["Tags"], own);
    assert_eq!(synthesized.warnings.len(), 1, "{:#?}", synthesized.warnings);
}

#[test]
fn intrinsic_tag_value_merged() {
    let mut stack = Stack::new("S");
    stack.add_tag("owner", "platform");
    let own = json!([{"Key": "Name", "Value": {"Fn::Sub": "${AWS::StackName}-vpc"}}]);
    let id = stack.root().add_resource("Vpc", resource_with("AWS::EC2::VPC", json!({"Tags": own}))).unwrap();
    let synthesized = stack.synth().unwrap();
    assert!(synthesized.warnings.is_empty(), "{:#?}", synthesized.warnings);
    assert_eq!(
        synthesized.template.resources[id.as_str()].properties["Tags"],
        json!([
            {"Key": "Name", "Value": {"Fn::Sub": "${AWS::StackName}-vpc"}},
            {"Key": "owner", "Value": "platform"}
        ])
    );
}

#[test]
fn intrinsic_tags_without_applied_tags_silent() {
    let own = json!({"Ref": "AWS::NoValue"});
    let mut stack = Stack::new("S");
    stack.root().add_resource("Vpc", resource_with("AWS::EC2::VPC", json!({"Tags": own}))).unwrap();
    let synthesized = stack.synth().unwrap();
    assert!(synthesized.warnings.is_empty(), "{:#?}", synthesized.warnings);
}

#[test]
fn invalid_stack_tag_rejected() {
    let mut stack = Stack::new("S");
    stack.add_tag("aws:owner", "platform");
    let found = errors(&stack);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0].to_string(),
        "S: stack tag \"aws:owner\" is invalid: the key starts with the reserved prefix `aws:`; change the tag given to Stack::add_tag"
    );
}

#[test]
fn invalid_subtree_tag_names_scope() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    root.add_tag("team", "ok");
    let mut group = root.child("Backup").unwrap();
    group.add_tag("cost{center}", "42");
    root.add_tag("", "x");
    let messages: Vec<String> = errors(&stack).iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(messages[0].starts_with("S/Backup: tag \"cost{center}\" set here is invalid: the key contains '{'"), "{}", messages[0]);
    assert!(messages[0].ends_with("change the tag given to Scope::add_tag"), "{}", messages[0]);
    assert!(messages[1].starts_with("S: tag \"\" set here is invalid: the key is 0 characters long"), "{}", messages[1]);
}

#[test]
fn too_many_tags_after_merge() {
    let mut stack = Stack::new("S");
    for i in 0..MAX_TAGS {
        stack.add_tag(&format!("stack{i}"), "v");
    }
    let mut root = stack.root();
    let own = json!({"Tags": [{"Key": "own", "Value": "v"}]});
    let id = root.add_resource("Vpc", resource_with("AWS::EC2::VPC", own)).unwrap();
    root.add_resource("Gateway", Resource::new("AWS::EC2::InternetGateway")).unwrap();
    let found = errors(&stack);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].logical_id.as_deref(), Some(id.as_str()));
    assert_eq!(found[0].path.as_deref(), Some("S/Vpc"));
    assert!(found[0].message.starts_with(&format!("the resource has {} tags after", MAX_TAGS + 1)), "{}", found[0]);
}

#[test]
fn tag_limit_reached_is_fine() {
    let mut stack = Stack::new("S");
    for i in 0..MAX_TAGS {
        stack.add_tag(&format!("stack{i}"), "v");
    }
    stack.root().add_resource("Vpc", Resource::new("AWS::EC2::VPC")).unwrap();
    stack.synth().unwrap();
}

//! `Stack::into_synth` moves the stack into its template, and must give
//! exactly what `Stack::synth` gives: the same text, warnings, resource
//! paths and errors.

use serde_json::json;
use vaultgate_core::construct::allocate_logical_id;
use vaultgate_core::template::{Parameter, Resource};
use vaultgate_core::validate::Problem;
use vaultgate_core::{Error, Expr, Stack};

/// Builds a stack that uses every section and tag kind. When `invalid`, it
/// also has a bad name, a bad tag, an unmatched rename and a dangling `Ref`.
fn stack(invalid: bool) -> Stack {
    let mut stack = Stack::new(if invalid { "Bad Name" } else { "Full" });
    stack.set_description("every section");
    stack.add_tag("team", "platform");
    stack.add_mapping("Amis", indexmap::IndexMap::from([("us-east-1".to_owned(), json!({"Ami": "ami-1"}).as_object().unwrap().clone())]));
    stack.rename_logical_id(&allocate_logical_id(&["Group", "Renamed"]), "KeptTopic");
    stack.override_logical_id("Group/Overridden", "FixedTopic");
    if invalid {
        stack.rename_logical_id("NoSuchId", "Other");
        stack.add_tag("aws:reserved", "x");
    }
    stack.report(Problem::warning(Some("Full/Group".to_owned()), None, "a construct's warning"));

    let mut root = stack.root();
    let env = root.add_parameter("Env", Parameter::new("String")).unwrap();
    root.add_condition("IsProd", Expr::equals(env, Expr::string("prod"))).unwrap();
    let mut group = root.child("Group").unwrap();
    group.add_tag("tier", "backup");
    let vpc = group.add_resource("Vpc", Resource::new("AWS::EC2::VPC")).unwrap();
    let mut topic = Resource::new("AWS::SNS::Topic");
    topic.properties.insert("TopicName".to_owned(), Expr::sub("${AWS::StackName}-alerts").to_json());
    if invalid {
        topic.properties.insert("Missing".to_owned(), Expr::reference("Nowhere").to_json());
    }
    group.add_resource("Renamed", topic.clone()).unwrap();
    group.add_resource("Overridden", topic).unwrap();
    root.add_output("VpcId", vpc.reference(), "the VPC").unwrap();
    stack
}

#[test]
fn valid_stack_synthesizes_alike() {
    let borrowed = stack(false).synth().unwrap();
    let moved = stack(false).into_synth().unwrap();
    assert_eq!(moved.to_json_string(), borrowed.to_json_string());
    assert_eq!(moved.warnings, borrowed.warnings);
    assert_eq!(moved.resource_paths, borrowed.resource_paths);
    assert!(!moved.warnings.is_empty());
}

#[test]
fn invalid_stack_fails_alike() {
    let messages = |result: Result<_, Error>| match result {
        Err(Error::Invalid { stack, problems }) => (stack, problems),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("synth succeeded"),
    };
    let (borrowed_stack, borrowed) = messages(stack(true).synth());
    let (moved_stack, moved) = messages(stack(true).into_synth());
    assert_eq!(moved_stack, borrowed_stack);
    assert_eq!(moved, borrowed);
    assert!(moved.len() >= 4, "{moved:?}");
}

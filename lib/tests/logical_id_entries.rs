//! Rename entries and logical ID overrides that match no resource are synth
//! errors: a mistyped entry would let the resource get a new logical ID, and
//! CloudFormation would replace it.

use vaultgate_core::construct::allocate_logical_id;
use vaultgate_core::template::Resource;
use vaultgate_core::{Error, Stack};

fn error_messages(stack: &Stack) -> Vec<String> {
    match stack.synth() {
        Err(Error::Invalid { problems, .. }) => problems.iter().map(ToString::to_string).collect(),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("synth succeeded"),
    }
}

fn add_topic(stack: &mut Stack) -> String {
    let mut root = stack.root();
    let mut group = root.child("Alerts").unwrap();
    group.add_resource("Topic", Resource::new("AWS::SNS::Topic")).unwrap().to_string()
}

#[test]
fn used_entries_pass() {
    let mut stack = Stack::new("S");
    stack.rename_logical_id(&allocate_logical_id(&["Alerts", "Topic"]), "OldTopic");
    let mut other = Stack::new("T");
    other.override_logical_id("Alerts/Topic", "Kept");
    assert_eq!(add_topic(&mut stack), "OldTopic");
    assert_eq!(add_topic(&mut other), "Kept");
    stack.synth().unwrap();
    other.synth().unwrap();
}

#[test]
fn mistyped_rename_rejected() {
    let mut stack = Stack::new("S");
    stack.rename_logical_id("AlertsTopicTYPO", "OldTopic");
    add_topic(&mut stack);
    let messages = error_messages(&stack);
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(
        messages[0],
        "rename entry \"AlertsTopicTYPO\" -> \"OldTopic\" matches no resource, so the resource it was meant for gets a new logical ID and CloudFormation replaces it; correct the derived ID (the one the resource gets without the entry) or remove the entry"
    );
}

#[test]
fn late_rename_rejected() {
    let mut stack = Stack::new("S");
    let derived = add_topic(&mut stack);
    stack.rename_logical_id(&derived, "OldTopic");
    let messages = error_messages(&stack);
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert!(messages[0].ends_with("call rename_logical_id before adding the construct"), "{}", messages[0]);
}

#[test]
fn mistyped_override_rejected() {
    let mut stack = Stack::new("S");
    stack.override_logical_id("Alerts/Topik", "Kept");
    add_topic(&mut stack);
    let messages = error_messages(&stack);
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(
        messages[0],
        "logical ID override `Alerts/Topik` -> \"Kept\" matches no resource, so the resource it was meant for keeps its derived logical ID; correct the path (below the stack, such as `Backup/Bucket/Resource`) or remove the override"
    );
}

#[test]
fn override_hints_at_likely_mistake() {
    let mut stack = Stack::new("S");
    stack.override_logical_id("S/Alerts/Topic", "WithStackName");
    stack.override_logical_id("Alerts", "OnConstruct");
    add_topic(&mut stack);
    stack.override_logical_id("Alerts/Topic", "TooLate");
    let messages = error_messages(&stack);
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert!(messages[0].ends_with("give the path below the stack, without the leading `S/`"), "{}", messages[0]);
    assert!(
        messages[1].ends_with("`Alerts` is a construct, not a resource; give its resource's path, such as `Alerts/Resource`"),
        "{}",
        messages[1]
    );
    assert!(messages[2].ends_with("call override_logical_id before adding the construct"), "{}", messages[2]);
}

#[test]
fn every_unused_entry_reported() {
    let mut stack = Stack::new("S");
    stack.rename_logical_id("A", "B");
    stack.rename_logical_id("C", "D");
    stack.override_logical_id("X/Y", "Z");
    let messages = error_messages(&stack);
    assert_eq!(messages.len(), 3, "{messages:#?}");
}

//! Names of parameters, outputs, conditions and mappings must be logical
//! IDs (1 to 255 ASCII letters and digits), or CloudFormation rejects the
//! template. Synthesized and parsed templates are both checked.

use indexmap::IndexMap;
use vaultgate_core::template::{Parameter, Resource};
use vaultgate_core::validate::validate_template;
use vaultgate_core::{Error, Expr, Stack, Template};

fn error_messages(stack: &Stack) -> Vec<String> {
    match stack.synth() {
        Err(Error::Invalid { problems, .. }) => problems.iter().map(ToString::to_string).collect(),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("synth succeeded"),
    }
}

#[test]
fn invalid_names_reported_per_section() {
    let mut stack = Stack::new("S");
    stack.add_mapping("Region-Map", IndexMap::new());
    let mut root = stack.root();
    let topic = root.add_resource("Topic", Resource::new("AWS::SNS::Topic")).unwrap();
    let parameter = root.add_parameter("Bad-Name", Parameter::new("String")).unwrap();
    root.add_output("Topic_Arn", topic.reference(), "topic").unwrap();
    root.add_condition("Is Prod", Expr::equals(parameter, Expr::string("prod"))).unwrap();

    let messages = error_messages(&stack);

    assert_eq!(messages.len(), 4, "{messages:#?}");
    let expected = [
        "parameter name \"Bad-Name\" is invalid: use 1 to 255 ASCII letters and digits",
        "output name \"Topic_Arn\" is invalid",
        "condition name \"Is Prod\" is invalid",
        "mapping name \"Region-Map\" is invalid",
    ];
    for text in expected {
        assert!(messages.iter().any(|message| message.contains(text)), "{text} not in {messages:#?}");
    }
}

#[test]
fn long_name_rejected() {
    let mut stack = Stack::new("S");
    let name = "P".repeat(256);
    stack.root().add_parameter(&name, Parameter::new("String")).unwrap();
    let messages = error_messages(&stack);
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert!(messages[0].contains("parameter name"), "{}", messages[0]);
}

#[test]
fn valid_names_pass() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    root.add_parameter(&"P".repeat(255), Parameter::new("String")).unwrap();
    root.add_parameter("Env2", Parameter::new("String")).unwrap();
    stack.synth().unwrap();
}

#[test]
fn parsed_template_checked() {
    let text = r#"{
        "Parameters": {"Bad-Name": {"Type": "String"}},
        "Conditions": {"ok_not": {"Fn::Equals": ["a", "b"]}},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}, "Bad.Id": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"Out-1": {"Value": "x"}}
    }"#;
    let template = Template::from_json_str(text, "test.json").unwrap();
    let messages: Vec<String> =
        validate_template(&template, &Default::default()).iter().map(ToString::to_string).collect();
    assert!(messages.iter().any(|m| m.contains("parameter name \"Bad-Name\"")), "{messages:#?}");
    assert!(messages.iter().any(|m| m.contains("condition name \"ok_not\"")), "{messages:#?}");
    assert!(messages.iter().any(|m| m.contains("logical ID \"Bad.Id\" is invalid")), "{messages:#?}");
    assert!(messages.iter().any(|m| m.contains("output name \"Out-1\"")), "{messages:#?}");
    assert_eq!(messages.len(), 4, "{messages:#?}");
}

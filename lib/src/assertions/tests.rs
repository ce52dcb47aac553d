use serde_json::json;

use super::*;
use crate::expr::Expr;
use crate::template::{DeletionPolicy, Parameter};
use crate::{matcher, Stack};

fn bucket(properties: Json) -> Resource {
    let mut resource = Resource::new("AWS::S3::Bucket");
    let Json::Object(map) = properties else { panic!("test properties must be an object") };
    resource.properties = map;
    resource
}

/// Two buckets (versioned `Backups`, suspended `Logs`) and a topic.
fn sample() -> TemplateAssert {
    let mut stack = Stack::new("Sample");
    let mut root = stack.root();
    root.add_resource(
        "Backups",
        bucket(json!({
            "VersioningConfiguration": {"Status": "Enabled"},
            "ObjectLockEnabled": true,
            "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "data"}],
        })),
    )
    .unwrap();
    let mut logs = bucket(json!({
        "VersioningConfiguration": {"Status": "Suspended"},
        "Tags": [{"Key": "env", "Value": "test"}],
    }));
    logs.deletion_policy = Some(DeletionPolicy::Retain);
    logs.update_replace_policy = Some(DeletionPolicy::Retain);
    logs.depends_on = vec!["Alerts".to_owned()];
    root.add_resource("Logs", logs).unwrap();
    root.add_resource("Alerts", Resource::new("AWS::SNS::Topic")).unwrap();
    root.add_output("BackupsName", Expr::reference("Backups"), "Name of the backup bucket").unwrap();
    root.add_parameter("KeyName", Parameter::new("AWS::EC2::KeyPair::KeyName").description("SSH key pair")).unwrap();
    TemplateAssert::from_stack(&stack)
}

fn properties_error(template: &TemplateAssert, matcher: impl Into<Matcher>) -> String {
    template.check_resource_properties("AWS::S3::Bucket", matcher).unwrap_err().to_string()
}

#[test]
fn resource_count_matches() {
    let template = sample();
    template.resource_count_is("AWS::S3::Bucket", 2);
    template.resource_count_is("AWS::SNS::Topic", 1);
    template.resource_count_is("AWS::EC2::VPC", 0);
}

#[test]
fn resource_count_message_lists_ids() {
    let error = sample().check_resource_count("AWS::S3::Bucket", 1).unwrap_err();
    assert_eq!(error.to_string(), "expected 1 resource of type AWS::S3::Bucket, found 2 (`Backups`, `Logs`)");
    let error = sample().check_resource_count("AWS::EC2::VPC", 2).unwrap_err();
    assert_eq!(error.to_string(), "expected 2 resources of type AWS::EC2::VPC, found 0");
}

#[test]
#[should_panic(expected = "expected 3 resources of type AWS::S3::Bucket, found 2")]
fn resource_count_is_panics() {
    sample().resource_count_is("AWS::S3::Bucket", 3);
}

#[test]
fn properties_are_object_like_by_default() {
    let template = sample();
    template.has_resource_properties("AWS::S3::Bucket", json!({"ObjectLockEnabled": true}));
    template.has_resource_properties("AWS::S3::Bucket", json!({"VersioningConfiguration": {}}));
    template.has_resource_properties("AWS::S3::Bucket", json!({}));
}

#[test]
fn properties_mismatch_names_closest_and_path() {
    let error = sample()
        .check_resource_properties(
            "AWS::S3::Bucket",
            json!({"VersioningConfiguration": {"Status": "Enabled"}, "Tags": [{"Key": "env", "Value": "test"}]}),
        )
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "no resource of type AWS::S3::Bucket matches the expected properties; \
         the closest of 2 candidates is `Backups` with 1 mismatch:\n  \
         $.Properties.Tags: expected an array of 1 element, found 2 elements: \
         [{\"Key\":\"env\",\"Value\":\"prod\"},{\"Key\":\"team\",\"Value\":\"data\"}]"
    );
    assert_eq!(error.mismatches.len(), 1);
    assert_eq!(error.mismatches[0].path, "$.Properties.Tags");
}

#[test]
fn properties_mismatch_lists_every_difference() {
    let error = sample()
        .check_resource_properties(
            "AWS::S3::Bucket",
            json!({"VersioningConfiguration": {"Status": "Enabled"}, "ObjectLockEnabled": false, "BucketName": "b"}),
        )
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "no resource of type AWS::S3::Bucket matches the expected properties; \
         the closest of 2 candidates is `Backups` with 2 mismatches:\n  \
         $.Properties.ObjectLockEnabled: expected false, found true\n  \
         $.Properties.BucketName: expected \"b\", but the key is missing"
    );
}

#[test]
fn nested_scalar_mismatch_path() {
    let error = properties_error(
        &sample(),
        json!({"VersioningConfiguration": {"Status": "Enabled"}, "Tags": [{"Key": "env", "Value": "test"}], "ObjectLockEnabled": true}),
    );
    assert!(error.contains("the closest of 2 candidates is `Backups`"), "{error}");

    let error = properties_error(&sample(), json!({"VersioningConfiguration": {"Status": "Disabled"}}));
    assert!(error.contains("the closest of 2 candidates is `Backups` with 1 mismatch"), "{error}");
    assert!(
        error.contains(r#"$.Properties.VersioningConfiguration.Status: expected "Disabled", found "Enabled""#),
        "{error}"
    );
}

#[test]
fn closest_resource_has_fewest_mismatches() {
    let error = sample()
        .check_resource_properties(
            "AWS::S3::Bucket",
            matcher!({
                "VersioningConfiguration": {"Status": "Enabled"},
                "Tags": [{"Key": "env", "Value": "test"}],
                "ObjectLockEnabled": Match::absent(),
            }),
        )
        .unwrap_err();
    assert!(error.summary.contains("is `Logs` with 1 mismatch"), "{error}");
    assert_eq!(
        error.mismatches,
        vec![Mismatch {
            path: "$.Properties.VersioningConfiguration.Status".to_owned(),
            message: r#"expected "Enabled", found "Suspended""#.to_owned(),
        }]
    );
}

#[test]
fn missing_type_lists_present_types() {
    let error = sample().check_resource_properties("AWS::EC2::VPC", json!({})).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the template has no resource of type AWS::EC2::VPC; types present: AWS::S3::Bucket, AWS::SNS::Topic"
    );
    let empty = TemplateAssert::from_template(Template::default());
    let error = empty.check_resource("AWS::EC2::VPC", json!({})).unwrap_err();
    assert_eq!(error.to_string(), "the template has no resource of type AWS::EC2::VPC; the template has no resources");
}

#[test]
#[should_panic(expected = "$.Properties.ObjectLockEnabled: expected false, found true")]
fn has_resource_properties_panics() {
    sample().has_resource_properties("AWS::S3::Bucket", json!({"ObjectLockEnabled": false}));
}

#[test]
fn wrong_kind_of_value() {
    let error = properties_error(&sample(), json!({"VersioningConfiguration": "Enabled"}));
    assert!(error.contains(r#"$.Properties.VersioningConfiguration: expected "Enabled", found {"Status":"Enabled"}"#), "{error}");

    let error = properties_error(&sample(), json!({"ObjectLockEnabled": {"Enabled": true}}));
    assert!(error.contains("$.Properties.ObjectLockEnabled: expected an object, found true"), "{error}");

    let error = properties_error(&sample(), json!({"VersioningConfiguration": ["Enabled"]}));
    assert!(error.contains(r#"$.Properties.VersioningConfiguration: expected an array, found {"Status":"Enabled"}"#), "{error}");
}

#[test]
fn arrays_match_exactly_by_default() {
    let template = sample();
    template.has_resource_properties(
        "AWS::S3::Bucket",
        json!({"Tags": [{"Key": "env"}, {"Key": "team", "Value": "data"}]}),
    );
    let error = properties_error(&template, json!({"Tags": [{"Key": "team"}, {"Key": "env"}], "ObjectLockEnabled": true}));
    assert!(error.contains("is `Backups` with 2 mismatches"), "{error}");
    assert!(error.contains(r#"$.Properties.Tags[0].Key: expected "team", found "env""#), "{error}");
    assert!(error.contains(r#"$.Properties.Tags[1].Key: expected "env", found "team""#), "{error}");
}

#[test]
fn array_with_matches_subsequence() {
    let template = sample();
    template.has_resource_properties("AWS::S3::Bucket", matcher!({"Tags": Match::array_with([json!({"Key": "team"})])}));
    template.has_resource_properties(
        "AWS::S3::Bucket",
        matcher!({"Tags": Match::array_with([json!({"Key": "env"}), json!({"Key": "team"})])}),
    );
    template.has_resource_properties("AWS::S3::Bucket", matcher!({"Tags": Match::array_with(Vec::<Matcher>::new())}));
}

#[test]
fn array_with_keeps_order() {
    let error = properties_error(
        &sample(),
        matcher!({"Tags": Match::array_with([json!({"Key": "team"}), json!({"Key": "env"})])}),
    );
    assert!(error.contains("is `Backups` with 1 mismatch"), "{error}");
    assert!(
        error.contains(
            r#"$.Properties.Tags: expected an element matching {"Key":"env"} (array_with item [1], items in order), found [{"Key":"env","Value":"prod"},{"Key":"team","Value":"data"}]"#
        ),
        "{error}"
    );
}

#[test]
fn array_equals_matches_exactly() {
    let template = sample();
    template.has_resource_properties(
        "AWS::S3::Bucket",
        matcher!({"Tags": Match::array_equals([json!({"Key": "env", "Value": "test"})])}),
    );
    let error = template
        .check_resource_properties("AWS::S3::Bucket", matcher!({"Tags": Match::array_equals(Vec::<Matcher>::new())}))
        .unwrap_err();
    assert!(error.to_string().contains("$.Properties.Tags: expected an array of 0 elements, found 2 elements"), "{error}");
}

#[test]
fn object_equals_rejects_extra_keys() {
    let template = sample();
    template.has_resource_properties(
        "AWS::S3::Bucket",
        matcher!({"VersioningConfiguration": Match::object_equals(json!({"Status": "Enabled"}))}),
    );

    let error = properties_error(&template, Match::object_equals(json!({"VersioningConfiguration": {"Status": "Enabled"}})));
    assert!(error.contains("is `Backups` with 2 mismatches"), "{error}");
    assert!(error.contains("$.Properties.ObjectLockEnabled: expected no such key, found true"), "{error}");
    assert!(error.contains(r#"$.Properties.Tags: expected no such key, found [{"Key":"env","Value":"prod"},"#), "{error}");
}

#[test]
fn object_equals_applies_to_nested_objects() {
    let template = sample();
    let error = properties_error(
        &template,
        Match::object_equals(json!({"VersioningConfiguration": {"Status": "Suspended"}, "Tags": [{"Key": "env"}]})),
    );
    assert!(error.contains("is `Logs` with 1 mismatch"), "{error}");
    assert!(error.contains(r#"$.Properties.Tags[0].Value: expected no such key, found "test""#), "{error}");

    template.has_resource_properties(
        "AWS::S3::Bucket",
        Match::object_equals(matcher!({
            "VersioningConfiguration": {"Status": "Suspended"},
            "Tags": [Match::object_like(json!({"Key": "env"}))],
        })),
    );
}

#[test]
fn exact_compares_whole_value() {
    let template = sample();
    template.has_resource_properties(
        "AWS::S3::Bucket",
        matcher!({"Tags": Match::exact(json!([{"Key": "env", "Value": "test"}]))}),
    );
    let error = template
        .check_all_resources_properties("AWS::S3::Bucket", matcher!({"Tags": Match::exact(json!([{"Key": "env"}]))}))
        .unwrap_err()
        .to_string();
    assert!(error.contains("$.Resources.Backups.Properties.Tags: expected an array of 1 element, found 2 elements"), "{error}");
    assert!(error.contains(r#"$.Resources.Logs.Properties.Tags[0].Value: expected no such key, found "test""#), "{error}");
}

#[test]
fn any_value_requires_present_non_null() {
    let template = sample();
    template.has_resource_properties("AWS::S3::Bucket", matcher!({"ObjectLockEnabled": Match::any_value()}));

    let error = properties_error(&template, matcher!({"BucketName": Match::any_value()}));
    assert!(error.contains("$.Properties.BucketName: expected any value, but the key is missing"), "{error}");

    let nulls = TemplateAssert::from_json(r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": null}}}}"#);
    let error = nulls.check_resource_properties("AWS::SQS::Queue", matcher!({"QueueName": Match::any_value()})).unwrap_err();
    assert!(error.to_string().contains("$.Properties.QueueName: expected any value other than null, found null"), "{error}");
    nulls.has_resource_properties("AWS::SQS::Queue", matcher!({"QueueName": null}));
}

#[test]
fn absent_rejects_present_key() {
    let template = sample();
    template.has_resource_properties(
        "AWS::S3::Bucket",
        matcher!({"ObjectLockEnabled": Match::absent(), "VersioningConfiguration": {"Status": "Suspended"}}),
    );
    let error = properties_error(&template, matcher!({"Tags": Match::absent()}));
    assert!(error.contains("is `Backups` with 1 mismatch"), "{error}");
    assert!(error.contains(r#"$.Properties.Tags: expected the key to be absent, found [{"Key":"env","#), "{error}");
}

#[test]
fn string_containing_checks_substring() {
    let template = sample();
    template.has_resource_properties(
        "AWS::S3::Bucket",
        matcher!({"VersioningConfiguration": {"Status": Match::string_containing("Susp")}}),
    );
    let error = properties_error(&template, matcher!({"VersioningConfiguration": {"Status": Match::string_containing("Off")}}));
    assert!(
        error.contains(r#"$.Properties.VersioningConfiguration.Status: expected a string containing "Off", found "Enabled""#),
        "{error}"
    );
    let error = properties_error(&template, matcher!({"ObjectLockEnabled": Match::string_containing("true")}));
    assert!(error.contains(r#"$.Properties.ObjectLockEnabled: expected a string containing "true", found true"#), "{error}");
}

#[test]
fn not_inverts_matcher() {
    let template = sample();
    template.has_resource_properties(
        "AWS::S3::Bucket",
        matcher!({"VersioningConfiguration": {"Status": Match::not("Enabled")}}),
    );
    template.has_resource_properties("AWS::S3::Bucket", matcher!({"BucketName": Match::not("backups")}));

    let error = template
        .check_all_resources_properties("AWS::S3::Bucket", matcher!({"Tags": Match::not(Match::array_with([json!({"Key": "team"})]))}))
        .unwrap_err();
    assert!(
        error.to_string().contains(
            r#"$.Resources.Backups.Properties.Tags: expected a value not matching "<array with [{\"Key\":\"team\"}]>", found [{"#
        ),
        "{error}"
    );
    let error = properties_error(&template, matcher!({"BucketName": Match::not(Match::absent())}));
    assert!(error.contains(r#"$.Properties.BucketName: expected a value not matching "<absent>", found no value"#), "{error}");
}

#[test]
fn capture_records_matched_value() {
    let template = sample();
    let status = Capture::new();
    let tags = Capture::new();
    template.has_resource_properties(
        "AWS::S3::Bucket",
        matcher!({"ObjectLockEnabled": true, "VersioningConfiguration": {"Status": &status}, "Tags": &tags}),
    );
    assert_eq!(status.as_string(), "Enabled");
    assert_eq!(status.as_json(), json!("Enabled"));
    assert_eq!(tags.as_array().len(), 2);
    assert_eq!(status.values(), vec![json!("Enabled")]);
}

#[test]
fn capture_records_every_matching_resource() {
    let template = sample();
    let status = Capture::new();
    template.has_resource_properties("AWS::S3::Bucket", matcher!({"VersioningConfiguration": {"Status": &status}}));
    assert_eq!(status.values(), vec![json!("Enabled"), json!("Suspended")]);

    let configuration = Capture::new();
    template.all_resources_properties("AWS::S3::Bucket", matcher!({"VersioningConfiguration": &configuration}));
    assert_eq!(configuration.as_object()["Status"], json!("Enabled"));
    assert_eq!(configuration.values().len(), 2);
}

#[test]
fn capture_skips_failed_matches() {
    let template = sample();
    let status = Capture::new();
    let result = template.check_resource_properties(
        "AWS::S3::Bucket",
        matcher!({"VersioningConfiguration": {"Status": &status}, "BucketName": "missing"}),
    );
    assert!(result.is_err());
    assert!(status.values().is_empty());

    let value = Capture::new();
    template.has_resource_properties(
        "AWS::S3::Bucket",
        matcher!({"Tags": Match::array_with([matcher!({"Key": "team", "Value": &value})])}),
    );
    assert_eq!(value.values(), vec![json!("data")], "elements tried before the match must not be recorded");
}

#[test]
fn capture_matching_filters_values() {
    let template = sample();
    let status = Capture::new();
    template.has_resource_properties(
        "AWS::S3::Bucket",
        matcher!({"VersioningConfiguration": {"Status": status.matching(Match::string_containing("Susp"))}}),
    );
    assert_eq!(status.values(), vec![json!("Suspended")]);

    let error = properties_error(&template, matcher!({"BucketName": &Capture::new()}));
    assert!(error.contains("$.Properties.BucketName: expected a value to capture, but the key is missing"), "{error}");
}

#[test]
#[should_panic(expected = "the capture recorded no value")]
fn empty_capture_panics() {
    Capture::new().as_json();
}

#[test]
#[should_panic(expected = "the captured value is not a string: true")]
fn capture_type_mismatch_panics() {
    let flag = Capture::new();
    sample().has_resource_properties("AWS::S3::Bucket", matcher!({"ObjectLockEnabled": &flag}));
    flag.as_string();
}

#[test]
fn has_resource_matches_attributes() {
    let template = sample();
    template.has_resource("AWS::S3::Bucket", json!({"DeletionPolicy": "Retain", "DependsOn": ["Alerts"]}));
    template.has_resource("AWS::SNS::Topic", matcher!({"Properties": Match::absent()}));

    let error = template
        .check_resource("AWS::S3::Bucket", json!({"DeletionPolicy": "Delete", "Properties": {"ObjectLockEnabled": true}}))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "no resource of type AWS::S3::Bucket matches the expected resource; \
         the closest of 2 candidates is `Backups` with 1 mismatch:\n  \
         $.DeletionPolicy: expected \"Delete\", but the key is missing"
    );
}

#[test]
fn find_resources_returns_matches_by_id() {
    let template = sample();
    let retained = template.find_resources("AWS::S3::Bucket", json!({"DeletionPolicy": "Retain"}));
    assert_eq!(retained.keys().collect::<Vec<_>>(), vec!["Logs"]);
    assert!(retained["Logs"].is_retained());

    let all = template.find_resources("AWS::S3::Bucket", Match::any_value());
    assert_eq!(all.keys().collect::<Vec<_>>(), vec!["Backups", "Logs"]);
    assert!(template.find_resources("AWS::EC2::VPC", Match::any_value()).is_empty());
}

#[test]
fn all_resources_lists_each_failure() {
    let template = sample();
    template.all_resources_properties("AWS::S3::Bucket", matcher!({"VersioningConfiguration": {"Status": Match::any_value()}}));
    template.all_resources("AWS::S3::Bucket", json!({"Type": "AWS::S3::Bucket"}));

    let error = template.check_all_resources("AWS::S3::Bucket", json!({"DeletionPolicy": "Retain"})).unwrap_err();
    assert_eq!(
        error.to_string(),
        "1 of 2 resources of type AWS::S3::Bucket do not match the expected resource: `Backups`:\n  \
         $.Resources.Backups.DeletionPolicy: expected \"Retain\", but the key is missing"
    );

    let error = template
        .check_all_resources_properties("AWS::S3::Bucket", json!({"VersioningConfiguration": {"Status": "Enabled"}, "ObjectLockEnabled": true}))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "1 of 2 resources of type AWS::S3::Bucket do not match the expected properties: `Logs`:\n  \
         $.Resources.Logs.Properties.VersioningConfiguration.Status: expected \"Enabled\", found \"Suspended\"\n  \
         $.Resources.Logs.Properties.ObjectLockEnabled: expected true, but the key is missing"
    );
}

#[test]
fn all_resources_fails_without_resources() {
    let error = sample().check_all_resources("AWS::EC2::VPC", json!({})).unwrap_err();
    assert!(error.summary.starts_with("the template has no resource of type AWS::EC2::VPC"), "{error}");
}

#[test]
fn outputs_match_by_name() {
    let template = sample();
    template.has_output("BackupsName", json!({"Value": {"Ref": "Backups"}}));
    template.has_output("*", matcher!({"Description": Match::string_containing("backup")}));

    let error = template.check_output("BackupsName", json!({"Value": {"Ref": "Logs"}})).unwrap_err();
    assert_eq!(
        error.to_string(),
        "output `BackupsName` does not match the expected value:\n  $.Value.Ref: expected \"Logs\", found \"Backups\""
    );
    let error = template.check_output("LogsName", json!({})).unwrap_err();
    assert_eq!(error.to_string(), "output `LogsName` not found; outputs present: `BackupsName`");
    let error = template.check_output("*", json!({"Export": {}})).unwrap_err();
    assert_eq!(
        error.to_string(),
        "no output matches the expected value; the closest of 1 candidate is `BackupsName` with 1 mismatch:\n  \
         $.Export: expected {}, but the key is missing"
    );
}

#[test]
fn parameters_match_by_name() {
    let template = sample();
    template.has_parameter("KeyName", json!({"Type": "AWS::EC2::KeyPair::KeyName"}));
    template.has_parameter("*", matcher!({"Default": Match::absent()}));

    let error = template.check_parameter("KeyName", json!({"Type": "String"})).unwrap_err();
    assert_eq!(
        error.to_string(),
        "parameter `KeyName` does not match the expected value:\n  \
         $.Type: expected \"String\", found \"AWS::EC2::KeyPair::KeyName\""
    );
    let empty = TemplateAssert::from_template(Template::default());
    let error = empty.check_parameter("KeyName", json!({})).unwrap_err();
    assert_eq!(error.to_string(), "parameter `KeyName` not found; the template has no parameters");
}

#[test]
fn from_json_reads_template() {
    let template = TemplateAssert::from_json(
        r#"{"Resources": {"Web": {"Type": "AWS::EC2::Instance", "Properties": {"Tags": [], "Port": 22}}}}"#,
    );
    template.resource_count_is("AWS::EC2::Instance", 1);
    template.has_resource_properties("AWS::EC2::Instance", json!({"Port": 22.0, "Tags": []}));
    assert_eq!(template.template().resources.len(), 1);
}

#[test]
#[should_panic(expected = "invalid template TemplateAssert::from_json input at line 1")]
fn from_json_panics_on_invalid_text() {
    TemplateAssert::from_json("{\"Resources\": ");
}

#[test]
#[should_panic(expected = "stack `Broken` failed to synthesize")]
fn from_stack_panics_on_invalid_stack() {
    let mut stack = Stack::new("Broken");
    stack.root().add_output("Missing", Expr::reference("NoSuchResource"), "Dangling reference").unwrap();
    TemplateAssert::from_stack(&stack);
}

#[test]
fn keys_with_dots_use_brackets() {
    let template = TemplateAssert::from_json(
        r#"{"Resources": {"P": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Condition": {"a.b": "x", "aws:SourceVpce": "vpce-1"}}}}}"#,
    );
    let error = template
        .check_resource_properties("AWS::S3::BucketPolicy", json!({"Condition": {"a.b": "y", "aws:SourceVpce": "vpce-2"}}))
        .unwrap_err();
    assert_eq!(
        error.mismatches.iter().map(|mismatch| mismatch.path.as_str()).collect::<Vec<_>>(),
        vec![r#"$.Properties.Condition["a.b"]"#, "$.Properties.Condition.aws:SourceVpce"]
    );
}

#[test]
fn long_values_are_cut() {
    let long = "x".repeat(500);
    let template = TemplateAssert::from_json(&format!(
        r#"{{"Resources": {{"T": {{"Type": "AWS::SNS::Topic", "Properties": {{"TopicName": "{long}"}}}}}}}}"#
    ));
    let error = template.check_resource_properties("AWS::SNS::Topic", json!({"TopicName": "short"})).unwrap_err();
    let message = &error.mismatches[0].message;
    assert!(message.ends_with('…'), "{message}");
    assert!(message.len() < 300, "{message}");
}

#[test]
fn matcher_macro_builds_nested_values() {
    let matcher = matcher!({
        "Null": null,
        "Number": -1,
        "Float": 2.5,
        "Flag": false,
        "List": [1, {"Inner": Match::any_value()}, [null]],
        "Empty": {},
        "EmptyList": [],
        "Expression": json!({"Ref": "X"}),
    });
    assert_eq!(
        matcher.to_string(),
        r#"{"Null":null,"Number":-1,"Float":2.5,"Flag":false,"List":[1,{"Inner":"<any value>"},[null]],"Empty":{},"EmptyList":[],"Expression":{"Ref":"X"}}"#
    );
}

#[test]
#[should_panic(expected = "Match::object_like expects a JSON object, found [1]")]
fn object_like_rejects_non_object() {
    Match::object_like(json!([1]));
}

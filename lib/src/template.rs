//! The CloudFormation template model: every top-level section, in the order
//! CloudFormation documents them, with ordered maps so that serialization is
//! byte-for-byte deterministic.
//!
//! The model reads existing templates too, in JSON or YAML (short-form tags
//! such as `!Ref` included), which is how `verify` and `deploy` see templates
//! that vaultgate did not write.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::error::Error;

/// The only template format version CloudFormation defines.
pub const FORMAT_VERSION: &str = "2010-09-09";

/// A whole CloudFormation template.
// Fields mirror CloudFormation's template keys one to one; each serde
// rename gives the key, and the CloudFormation template reference its meaning.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// `AWSTemplateFormatVersion`; vaultgate always writes `2010-09-09`.
    #[serde(rename = "AWSTemplateFormatVersion", default, skip_serializing_if = "Option::is_none")]
    pub format_version: Option<String>,
    #[serde(rename = "Description", default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "Metadata", default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Json>,
    /// `Transform`: one macro name or a list of them.
    #[serde(rename = "Transform", default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<Json>,
    #[serde(rename = "Parameters", default, skip_serializing_if = "IndexMap::is_empty")]
    pub parameters: IndexMap<String, Parameter>,
    #[serde(rename = "Rules", default, skip_serializing_if = "Map::is_empty")]
    pub rules: Map<String, Json>,
    /// `Mappings`: map name, then top-level key, then second-level key.
    #[serde(rename = "Mappings", default, skip_serializing_if = "IndexMap::is_empty")]
    pub mappings: IndexMap<String, IndexMap<String, Map<String, Json>>>,
    /// `Conditions`: each a condition function in its JSON form.
    #[serde(rename = "Conditions", default, skip_serializing_if = "IndexMap::is_empty")]
    pub conditions: IndexMap<String, Json>,
    #[serde(rename = "Resources", default)]
    pub resources: IndexMap<String, Resource>,
    #[serde(rename = "Outputs", default, skip_serializing_if = "IndexMap::is_empty")]
    pub outputs: IndexMap<String, Output>,
}

/// One resource: its type, properties and resource attributes.
// Fields mirror CloudFormation's template keys one to one; each serde
// rename gives the key, and the CloudFormation template reference its meaning.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    #[serde(rename = "Type")]
    pub resource_type: String,
    #[serde(rename = "Condition", default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// `DependsOn`, always written as a list.
    #[serde(rename = "DependsOn", default, skip_serializing_if = "Vec::is_empty", deserialize_with = "one_or_many")]
    pub depends_on: Vec<String>,
    #[serde(rename = "Properties", default, skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Json>,
    #[serde(rename = "DeletionPolicy", default, skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<DeletionPolicy>,
    #[serde(rename = "UpdateReplacePolicy", default, skip_serializing_if = "Option::is_none")]
    pub update_replace_policy: Option<DeletionPolicy>,
    #[serde(rename = "UpdatePolicy", default, skip_serializing_if = "Option::is_none")]
    pub update_policy: Option<Json>,
    #[serde(rename = "CreationPolicy", default, skip_serializing_if = "Option::is_none")]
    pub creation_policy: Option<Json>,
    #[serde(rename = "Metadata", default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Json>,
}

impl Resource {
    /// Creates a resource of `resource_type` with no properties.
    pub fn new(resource_type: impl Into<String>) -> Resource {
        Resource {
            resource_type: resource_type.into(),
            condition: None,
            depends_on: Vec::new(),
            properties: Map::new(),
            deletion_policy: None,
            update_replace_policy: None,
            update_policy: None,
            creation_policy: None,
            metadata: Map::new(),
        }
    }

    /// Returns `true` when both `DeletionPolicy` and `UpdateReplacePolicy`
    /// keep the physical resource.
    pub fn is_retained(&self) -> bool {
        self.deletion_policy == Some(DeletionPolicy::Retain)
            && self.update_replace_policy == Some(DeletionPolicy::Retain)
    }
}

/// The fate of a resource's physical resource when the resource is deleted
/// or replaced: the value of `DeletionPolicy` and `UpdateReplacePolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeletionPolicy {
    /// The physical resource is deleted.
    Delete,
    /// The physical resource is kept, outside the stack.
    Retain,
    /// Kept, except when the stack's creation fails.
    RetainExceptOnCreate,
    /// A snapshot is taken, then the resource is deleted.
    Snapshot,
}

/// One template parameter, with every field CloudFormation accepts.
// Fields mirror CloudFormation's template keys one to one; each serde
// rename gives the key, and the CloudFormation template reference its meaning.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    #[serde(rename = "Type")]
    pub parameter_type: String,
    #[serde(rename = "Default", default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Json>,
    #[serde(rename = "Description", default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "AllowedValues", default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<Json>,
    #[serde(rename = "AllowedPattern", default, skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    #[serde(rename = "ConstraintDescription", default, skip_serializing_if = "Option::is_none")]
    pub constraint_description: Option<String>,
    #[serde(rename = "MinLength", default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    #[serde(rename = "MaxLength", default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    #[serde(rename = "MinValue", default, skip_serializing_if = "Option::is_none")]
    pub min_value: Option<f64>,
    #[serde(rename = "MaxValue", default, skip_serializing_if = "Option::is_none")]
    pub max_value: Option<f64>,
    #[serde(rename = "NoEcho", default, skip_serializing_if = "Option::is_none")]
    pub no_echo: Option<bool>,
}

impl Parameter {
    /// Creates a parameter of `parameter_type`, such as `String` or
    /// `AWS::EC2::KeyPair::KeyName`, with no constraints.
    pub fn new(parameter_type: impl Into<String>) -> Parameter {
        Parameter {
            parameter_type: parameter_type.into(),
            default: None,
            description: None,
            allowed_values: Vec::new(),
            allowed_pattern: None,
            constraint_description: None,
            min_length: None,
            max_length: None,
            min_value: None,
            max_value: None,
            no_echo: None,
        }
    }

    /// Sets the description shown by the console and CLI.
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Parameter {
        self.description = Some(text.into());
        self
    }

    /// Sets the default value.
    #[must_use]
    pub fn default_value(mut self, value: impl Into<Json>) -> Parameter {
        self.default = Some(value.into());
        self
    }

    /// Sets the regular expression that the value must match, and the message
    /// CloudFormation shows when it does not.
    #[must_use]
    pub fn pattern(mut self, pattern: impl Into<String>, constraint: impl Into<String>) -> Parameter {
        self.allowed_pattern = Some(pattern.into());
        self.constraint_description = Some(constraint.into());
        self
    }
}

/// One stack output, optionally exported for `Fn::ImportValue`.
// Fields mirror CloudFormation's template keys one to one; each serde
// rename gives the key, and the CloudFormation template reference its meaning.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    #[serde(rename = "Description", default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "Value")]
    pub value: Json,
    #[serde(rename = "Export", default, skip_serializing_if = "Option::is_none")]
    pub export: Option<Export>,
    #[serde(rename = "Condition", default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

/// The export of an output.
// Fields mirror CloudFormation's template keys one to one; each serde
// rename gives the key, and the CloudFormation template reference its meaning.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Export {
    #[serde(rename = "Name")]
    pub name: Json,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(name) => vec![name],
        OneOrMany::Many(names) => names,
    })
}

/// Most bytes [`Template::to_json_string`] reserves before writing. Larger
/// templates grow the text as they are written.
const MAX_INITIAL_CAPACITY: usize = 128 * 1024;

/// The start of a line for [`PrettyFormatter`]: the comma that ends the
/// previous entry, a newline, then indentation of two spaces per level.
const LINE_START: &[u8; 66] = b",\n                                                                ";

/// serde_json's pretty format, byte for byte as its `PrettyFormatter` writes
/// it with two-space indentation, except that each line break and its
/// indentation go out in one write instead of one write per level.
#[derive(Debug, Default)]
struct PrettyFormatter {
    depth: usize,
    has_value: bool,
}

impl PrettyFormatter {
    /// Writes a comma when `comma` is set, then a newline and the
    /// indentation of the current depth.
    fn new_line<W: ?Sized + std::io::Write>(&self, writer: &mut W, comma: bool) -> std::io::Result<()> {
        let start = if comma { 0 } else { 1 };
        let spaces = 2 * self.depth;
        let available = LINE_START.len() - 2;
        if spaces <= available {
            return writer.write_all(&LINE_START[start..2 + spaces]);
        }
        // Deeper than the constant reaches, which templates seldom are.
        writer.write_all(&LINE_START[start..])?;
        let mut rest = spaces - available;
        while rest > 0 {
            let chunk = rest.min(available);
            writer.write_all(&LINE_START[2..2 + chunk])?;
            rest -= chunk;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for PrettyFormatter {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.new_line(writer, false)?;
        }
        writer.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        self.new_line(writer, !first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _writer: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.new_line(writer, false)?;
        }
        writer.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        self.new_line(writer, !first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _writer: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Output format of a synthesized template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Pretty-printed JSON with two-space indentation and a final newline.
    #[default]
    Json,
    /// YAML in the long form of intrinsics (`Fn::GetAtt:`), which any YAML
    /// reader understands without CloudFormation's custom tags.
    Yaml,
}

impl Template {
    /// Serializes to pretty JSON, ending in a newline.
    pub fn to_json_string(&self) -> String {
        // About 1 KiB per resource is enough for most templates, so the text
        // is seldom copied as it grows.
        let estimate = 1024 * (self.resources.len() + 2);
        let mut bytes = Vec::with_capacity(estimate.min(MAX_INITIAL_CAPACITY));
        self.write_json(&mut bytes).expect("writing to memory does not fail");
        bytes.push(b'\n');
        String::from_utf8(bytes).expect("serde_json writes UTF-8")
    }

    /// Writes the template as pretty JSON, without the final newline of
    /// [`Template::to_json_string`].
    pub(crate) fn write_json<W: std::io::Write>(&self, writer: W) -> std::io::Result<()> {
        let mut serializer = serde_json::Serializer::with_formatter(writer, PrettyFormatter::default());
        self.serialize(&mut serializer).map_err(std::io::Error::from)
    }

    /// Serializes in the given format.
    pub fn to_string_in(&self, format: Format) -> String {
        match format {
            Format::Json => self.to_json_string(),
            Format::Yaml => serde_yaml::to_string(self).expect("the template model always serializes"),
        }
    }

    /// Parses a template from JSON or YAML text; the format is detected from
    /// the first non-blank character (`{` means JSON).
    ///
    /// # Errors
    /// [`Error::Parse`] with the source name, the line and column where known,
    /// and what is wrong.
    pub fn parse(text: &str, source: &str) -> Result<Template, Error> {
        if text.trim_start().starts_with('{') {
            return Template::from_json_str(text, source);
        }
        let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|err| Error::Parse {
            source_name: source.to_owned(),
            location: err.location().map(|at| format!("line {}, column {}", at.line(), at.column())),
            message: err.to_string(),
        })?;
        // Plain text parses as a YAML string, which is no template at all.
        if !yaml.is_mapping() {
            return Err(Error::Parse {
                source_name: source.to_owned(),
                location: Some("$".to_owned()),
                message: "the text is neither valid JSON nor a YAML mapping; a template is a JSON object or a YAML mapping with a Resources section".to_owned(),
            });
        }
        let json = yaml_to_json(yaml).map_err(|message| Error::Parse {
            source_name: source.to_owned(),
            location: None,
            message,
        })?;
        Template::from_json_value(json, source)
    }

    /// Parses a template from JSON text.
    ///
    /// # Errors
    /// [`Error::Parse`] naming the source and the line and column of the problem.
    pub fn from_json_str(text: &str, source: &str) -> Result<Template, Error> {
        let value: Json = serde_json::from_str(text).map_err(|err| Error::Parse {
            source_name: source.to_owned(),
            location: Some(format!("line {}, column {}", err.line(), err.column())),
            message: err.to_string(),
        })?;
        Template::from_json_value(value, source)
    }

    /// Reads the model from an already-parsed JSON value.
    ///
    /// # Errors
    /// [`Error::Parse`] naming the source and the JSON path of the problem.
    pub fn from_json_value(value: Json, source: &str) -> Result<Template, Error> {
        if !value.is_object() {
            return Err(Error::Parse {
                source_name: source.to_owned(),
                location: Some("$".to_owned()),
                message: "a template must be a JSON object with a Resources section".to_owned(),
            });
        }
        serde_path_error(value).map_err(|(path, message)| Error::Parse {
            source_name: source.to_owned(),
            location: Some(path),
            message,
        })
    }
}

/// Deserializes a template and reports the section and entry that failed,
/// as a JSON path such as `$.Resources.Bucket`.
fn serde_path_error(value: Json) -> Result<Template, (String, String)> {
    let Json::Object(mut sections) = value else { unreachable!("checked by the caller") };
    let mut template = Template::default();
    if let Some(resources) = sections.remove("Resources") {
        let Json::Object(resources) = resources else {
            return Err(("$.Resources".to_owned(), "Resources must be an object".to_owned()));
        };
        for (logical_id, body) in resources {
            let resource: Resource = serde_json::from_value(body)
                .map_err(|err| (format!("$.Resources.{logical_id}"), err.to_string()))?;
            template.resources.insert(logical_id, resource);
        }
    }
    if let Some(parameters) = sections.remove("Parameters") {
        let Json::Object(parameters) = parameters else {
            return Err(("$.Parameters".to_owned(), "Parameters must be an object".to_owned()));
        };
        for (name, body) in parameters {
            let parameter: Parameter = serde_json::from_value(body)
                .map_err(|err| (format!("$.Parameters.{name}"), err.to_string()))?;
            template.parameters.insert(name, parameter);
        }
    }
    if let Some(outputs) = sections.remove("Outputs") {
        let Json::Object(outputs) = outputs else {
            return Err(("$.Outputs".to_owned(), "Outputs must be an object".to_owned()));
        };
        for (name, body) in outputs {
            let output: Output = serde_json::from_value(body)
                .map_err(|err| (format!("$.Outputs.{name}"), err.to_string()))?;
            template.outputs.insert(name, output);
        }
    }
    let rest: Template = serde_json::from_value(Json::Object(sections)).map_err(|err| ("$".to_owned(), err.to_string()))?;
    template.format_version = rest.format_version;
    template.description = rest.description;
    template.metadata = rest.metadata;
    template.transform = rest.transform;
    template.rules = rest.rules;
    template.mappings = rest.mappings;
    template.conditions = rest.conditions;
    Ok(template)
}

/// Converts YAML to JSON, turning CloudFormation's short-form tags into the
/// long form: `!Ref X` becomes `{"Ref": "X"}`, `!GetAtt A.B` becomes
/// `{"Fn::GetAtt": ["A", "B"]}`, and `!Sub`, `!If` and the rest become `Fn::…`.
fn yaml_to_json(value: serde_yaml::Value) -> Result<Json, String> {
    use serde_yaml::Value as Yaml;
    Ok(match value {
        Yaml::Null => Json::Null,
        Yaml::Bool(flag) => Json::Bool(flag),
        Yaml::Number(number) => serde_json::to_value(&number).map_err(|err| err.to_string())?,
        Yaml::String(text) => Json::String(text),
        Yaml::Sequence(items) => Json::Array(items.into_iter().map(yaml_to_json).collect::<Result<_, _>>()?),
        Yaml::Mapping(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let key = match key {
                    Yaml::String(text) => text,
                    Yaml::Number(number) => number.to_string(),
                    Yaml::Bool(flag) => flag.to_string(),
                    other => return Err(format!("mapping key {other:?} is not a string")),
                };
                map.insert(key, yaml_to_json(value)?);
            }
            Json::Object(map)
        }
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = yaml_to_json(tagged.value)?;
            let (key, inner) = match name {
                "Ref" => ("Ref".to_owned(), inner),
                "Condition" => ("Condition".to_owned(), inner),
                "GetAtt" => {
                    let inner = match inner {
                        Json::String(dotted) => match dotted.split_once('.') {
                            Some((id, attribute)) => Json::Array(vec![id.into(), attribute.into()]),
                            None => Json::String(dotted),
                        },
                        other => other,
                    };
                    ("Fn::GetAtt".to_owned(), inner)
                }
                other => (format!("Fn::{other}"), inner),
            };
            let mut map = Map::new();
            map.insert(key, inner);
            Json::Object(map)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sections_serialize_in_canonical_order() {
        let mut template = Template { format_version: Some(FORMAT_VERSION.into()), ..Template::default() };
        template.outputs.insert("A".into(), Output { description: None, value: json!("x"), export: None, condition: None });
        template.resources.insert("R".into(), Resource::new("AWS::SNS::Topic"));
        template.parameters.insert("P".into(), Parameter::new("String"));
        template.description = Some("d".into());
        let text = template.to_json_string();
        let order: Vec<usize> = ["AWSTemplateFormatVersion", "Description", "Parameters", "Resources", "Outputs"]
            .iter()
            .map(|key| text.find(&format!("\"{key}\"")).expect(key))
            .collect();
        assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
    }

    #[test]
    fn json_text_matches_serde_json_pretty() {
        let mut deep = json!("leaf");
        for level in 0..45 {
            deep = if level % 2 == 0 { json!({"Level": deep, "Empty": {}}) } else { json!([deep, [], "x\n\"y\""]) };
        }
        let mut template = Template { format_version: Some(FORMAT_VERSION.into()), ..Template::default() };
        let mut resource = Resource::new("AWS::SNS::Topic");
        resource.properties.insert("Deep".into(), deep);
        resource.properties.insert("Number".into(), json!(1.5));
        template.resources.insert("Topic".into(), resource);
        template.resources.insert("Empty".into(), Resource::new("AWS::SNS::Topic"));

        let expected = serde_json::to_string_pretty(&template).unwrap() + "\n";
        assert_eq!(template.to_json_string(), expected);
    }

    #[test]
    fn yaml_short_tags_become_long_form() {
        let text = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub '${AWS::StackName}-b'\n      Tags:\n        - Key: k\n          Value: !GetAtt X.Arn\n";
        let template = Template::parse(text, "t.yaml").unwrap();
        let props = &template.resources["B"].properties;
        assert_eq!(props["BucketName"], json!({"Fn::Sub": "${AWS::StackName}-b"}));
        assert_eq!(props["Tags"][0]["Value"], json!({"Fn::GetAtt": ["X", "Arn"]}));
    }

    #[test]
    fn depends_on_accepts_a_single_name() {
        let template = Template::parse(r#"{"Resources": {"A": {"Type": "T", "DependsOn": "B"}}}"#, "t.json").unwrap();
        assert_eq!(template.resources["A"].depends_on, vec!["B".to_owned()]);
    }

    #[test]
    fn parse_error_names_resource_path() {
        let err = Template::parse(r#"{"Resources": {"A": {"Properties": {}}}}"#, "t.json").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("t.json"), "{message}");
        assert!(message.contains("$.Resources.A"), "{message}");
        assert!(message.contains("Type"), "{message}");
    }
}

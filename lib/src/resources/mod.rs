//! Typed L1 resources, generated from CloudFormation's resource provider
//! schemas, and the raw escape hatch for any other resource type.

use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::template::Resource;

/// How a resource type takes its `Tags` property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagStyle {
    /// A list of `{"Key": …, "Value": …}` objects.
    KeyValueList,
    /// An object mapping keys to values.
    Map,
}

/// A typed resource: its properties serialize to the template's
/// `Properties` object.
pub trait CfnResource: Serialize {
    /// The CloudFormation type name, such as `AWS::S3::Bucket`.
    const RESOURCE_TYPE: &'static str;

    /// Builds the template resource with these properties and no attributes.
    fn to_resource(&self) -> Resource {
        let mut resource = Resource::new(Self::RESOURCE_TYPE);
        match serde_json::to_value(self).expect("typed resources always serialize") {
            Json::Object(properties) => resource.properties = properties,
            Json::Null => {}
            other => panic!("{} serialized to {other}, not an object", Self::RESOURCE_TYPE),
        }
        resource
    }
}

/// A resource of any type, with properties given as raw JSON: the escape
/// hatch for types that vaultgate does not generate.
#[derive(Debug, Clone, PartialEq)]
pub struct RawResource {
    /// The CloudFormation type name.
    pub resource_type: String,
    /// The `Properties` object.
    pub properties: Map<String, Json>,
}

impl From<RawResource> for Resource {
    fn from(raw: RawResource) -> Resource {
        let mut resource = Resource::new(raw.resource_type);
        resource.properties = raw.properties;
        resource
    }
}

/// Sets a property at a dotted path (`BucketEncryption.ServerSideEncryptionConfiguration`)
/// on a resource, creating objects along the way: the property override
/// escape hatch for settings the typed properties do not cover.
pub fn add_property_override(resource: &mut Resource, path: &str, value: Json) {
    let mut parts = path.split('.').peekable();
    let mut current = &mut resource.properties;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            current.insert(part.to_owned(), value);
            return;
        }
        let entry = current.entry(part.to_owned()).or_insert_with(|| Json::Object(Map::new()));
        if !entry.is_object() {
            *entry = Json::Object(Map::new());
        }
        current = entry.as_object_mut().expect("just made an object");
    }
}

/// Returns how `resource_type` takes tags, or `None` when it is not taggable
/// or its schema is not vendored.
pub fn tag_style(resource_type: &str) -> Option<TagStyle> {
    // NOTE: a hand-kept list until the generator emits this table.
    match resource_type {
        "AWS::EC2::VPC" | "AWS::EC2::Subnet" | "AWS::EC2::RouteTable" | "AWS::EC2::InternetGateway"
        | "AWS::EC2::SecurityGroup" | "AWS::EC2::Instance" | "AWS::S3::Bucket" | "AWS::IAM::Role"
        | "AWS::KMS::Key" => Some(TagStyle::KeyValueList),
        _ => None,
    }
}

/// Returns the `Fn::GetAtt` attributes of `resource_type`, or `None` when its
/// schema is not vendored.
pub fn attributes_of(resource_type: &str) -> Option<&'static [&'static str]> {
    match resource_type {
        "AWS::S3::Bucket" => Some(&["Arn", "DomainName", "DualStackDomainName", "MetadataTableConfiguration.S3TablesDestination.TableArn", "MetadataTableConfiguration.S3TablesDestination.TableNamespace", "RegionalDomainName", "WebsiteURL"]),
        _ => None,
    }
}

/// Returns the properties of `resource_type` that CloudFormation cannot
/// update in place: changing one replaces the resource. `None` when the
/// type's schema is not vendored.
pub fn create_only_properties(resource_type: &str) -> Option<&'static [&'static str]> {
    match resource_type {
        "AWS::S3::Bucket" => Some(&["BucketName", "ObjectLockEnabled"]),
        _ => None,
    }
}

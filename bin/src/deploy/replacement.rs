//! Local replacement prediction: which resources an update replaces,
//! worked out from the deployed and new templates and the create-only
//! properties of each resource type.
//!
//! CloudFormation's change set reports the same, but an emulator may
//! leave `Replacement` out and a change set hides it behind `Conditional`
//! when a value is unknown until deploy. The guards refuse when either
//! source predicts a replacement, so each covers the other's gaps.

use indexmap::IndexMap;
use serde_json::Value as Json;
use vaultgate_core::resources::create_only_properties;
use vaultgate_core::template::{Resource, Template};

/// Create-only properties of `AWS::S3::Bucket` that the guards rely on even
/// when the generated table lacks the type: setting or changing a bucket
/// name, or turning Object Lock on for an existing bucket, creates a new
/// bucket.
const BUCKET_CREATE_ONLY: &[&str] = &["BucketName", "ObjectLockEnabled"];

/// A resource that the new template replaces, by local prediction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredictedReplacement {
    pub logical_id: String,
    pub resource_type: String,
    /// Create-only properties whose value changes, or `Type` when the
    /// resource type itself changes.
    pub properties: Vec<String>,
}

/// Parameter values on each side of an update, used to resolve `Ref`s to
/// parameters inside create-only properties.
#[derive(Debug, Clone, Default)]
pub struct ParameterValues {
    pub deployed: IndexMap<String, String>,
    pub new: IndexMap<String, String>,
}

/// Predicts the replacements that updating from `deployed` to `new` causes,
/// in the new template's resource order. Resource types whose create-only
/// properties are unknown are predicted only from a change of type.
pub fn predict_replacements(deployed: &Template, new: &Template, parameters: &ParameterValues) -> Vec<PredictedReplacement> {
    let mut predicted = Vec::new();
    for (logical_id, new_resource) in &new.resources {
        let Some(old_resource) = deployed.resources.get(logical_id) else { continue };
        if old_resource.resource_type != new_resource.resource_type {
            predicted.push(PredictedReplacement {
                logical_id: logical_id.clone(),
                resource_type: new_resource.resource_type.clone(),
                properties: vec!["Type".to_owned()],
            });
            continue;
        }
        let changed = changed_create_only_properties(old_resource, new_resource, parameters);
        if !changed.is_empty() {
            predicted.push(PredictedReplacement {
                logical_id: logical_id.clone(),
                resource_type: new_resource.resource_type.clone(),
                properties: changed,
            });
        }
    }
    predicted
}

/// Returns the create-only properties of one resource type, with the
/// bucket rules added for `AWS::S3::Bucket`.
pub fn create_only_of(resource_type: &str) -> Vec<&'static str> {
    let mut properties: Vec<&'static str> = create_only_properties(resource_type).unwrap_or_default().to_vec();
    if resource_type == "AWS::S3::Bucket" {
        for property in BUCKET_CREATE_ONLY {
            if !properties.contains(property) {
                properties.push(property);
            }
        }
    }
    properties
}

/// Returns the create-only properties whose resolved value differs between
/// the two resources. A property that is set on one side only counts as
/// changed.
pub fn changed_create_only_properties(old: &Resource, new: &Resource, parameters: &ParameterValues) -> Vec<String> {
    let mut changed = Vec::new();
    for path in create_only_of(&new.resource_type) {
        let old_value = property_at(&old.properties, path).map(|value| resolve(value, &parameters.deployed));
        let new_value = property_at(&new.properties, path).map(|value| resolve(value, &parameters.new));
        if old_value != new_value {
            changed.push(path.replace('/', "."));
        }
    }
    changed
}

/// Looks up a property by a path whose parts are separated by `/`, the
/// form the resource schemas use for nested create-only properties.
fn property_at<'a>(properties: &'a serde_json::Map<String, Json>, path: &str) -> Option<&'a Json> {
    let mut parts = path.trim_start_matches("/properties/").split('/');
    let mut current = properties.get(parts.next()?)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

/// Replaces each `{"Ref": "Parameter"}` with the parameter's value where it
/// is known, so that changing a parameter counts as changing the property.
fn resolve(value: &Json, parameters: &IndexMap<String, String>) -> Json {
    match value {
        Json::Object(map) => {
            if let (1, Some(Json::String(name))) = (map.len(), map.get("Ref")) {
                if let Some(resolved) = parameters.get(name) {
                    return Json::String(resolved.clone());
                }
            }
            Json::Object(map.iter().map(|(key, inner)| (key.clone(), resolve(inner, parameters))).collect())
        }
        Json::Array(items) => Json::Array(items.iter().map(|item| resolve(item, parameters)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bucket(properties: Json) -> Template {
        let text = json!({"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": properties}}});
        Template::from_json_value(text, "test").unwrap()
    }

    #[test]
    fn setting_bucket_name_replaces_bucket() {
        let predicted = predict_replacements(&bucket(json!({})), &bucket(json!({"BucketName": "b"})), &ParameterValues::default());
        assert_eq!(predicted.len(), 1);
        assert_eq!(predicted[0].logical_id, "Bucket");
        assert_eq!(predicted[0].properties, ["BucketName"]);
    }

    #[test]
    fn turning_object_lock_on_replaces_bucket() {
        let old = bucket(json!({"VersioningConfiguration": {"Status": "Enabled"}}));
        let new = bucket(json!({"VersioningConfiguration": {"Status": "Enabled"}, "ObjectLockEnabled": true}));
        let predicted = predict_replacements(&old, &new, &ParameterValues::default());
        assert_eq!(predicted[0].properties, ["ObjectLockEnabled"]);
    }

    #[test]
    fn mutable_property_change_is_not_replacement() {
        let old = bucket(json!({"VersioningConfiguration": {"Status": "Enabled"}}));
        let new = bucket(json!({"VersioningConfiguration": {"Status": "Suspended"}}));
        assert!(predict_replacements(&old, &new, &ParameterValues::default()).is_empty());
    }

    #[test]
    fn changed_parameter_behind_ref_replaces() {
        let template = bucket(json!({"BucketName": {"Ref": "Name"}}));
        let mut parameters = ParameterValues::default();
        parameters.deployed.insert("Name".into(), "old-name".into());
        parameters.new.insert("Name".into(), "old-name".into());
        assert!(predict_replacements(&template, &template, &parameters).is_empty());
        parameters.new.insert("Name".into(), "new-name".into());
        assert_eq!(predict_replacements(&template, &template, &parameters)[0].properties, ["BucketName"]);
    }

    #[test]
    fn type_change_is_replacement() {
        let old = bucket(json!({}));
        let new = Template::from_json_value(json!({"Resources": {"Bucket": {"Type": "AWS::SNS::Topic"}}}), "t").unwrap();
        assert_eq!(predict_replacements(&old, &new, &ParameterValues::default())[0].properties, ["Type"]);
    }

    #[test]
    fn nested_paths_are_followed() {
        let properties = json!({"A": {"B": 1}}).as_object().unwrap().clone();
        assert_eq!(property_at(&properties, "/properties/A/B"), Some(&json!(1)));
        assert_eq!(property_at(&properties, "A/C"), None);
    }
}

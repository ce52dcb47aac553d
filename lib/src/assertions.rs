//! Assertions on synthesized templates for users' tests, in the manner of
//! the AWS CDK `assertions` module: count resources, look for a resource,
//! output or parameter that matches a partial expectation, and capture
//! generated values.
//!
//! Every assertion comes in two forms. `has_*`, `resource_count_is` and
//! `all_*` panic with a message that names the resource type, the closest
//! candidate and each mismatch as a JSON path. The `check_*` forms return
//! the same message as an [`AssertionError`] instead.
//!
//! ```
//! use serde_json::json;
//! use vaultgate_core::assertions::{Capture, Match, TemplateAssert};
//! use vaultgate_core::template::Resource;
//! use vaultgate_core::{matcher, Stack};
//!
//! let mut stack = Stack::new("Demo");
//! let mut bucket = Resource::new("AWS::S3::Bucket");
//! bucket.properties.insert("VersioningConfiguration".into(), json!({"Status": "Enabled"}));
//! stack.root().add_resource("Backups", bucket).unwrap();
//!
//! let template = TemplateAssert::from_stack(&stack);
//! template.resource_count_is("AWS::S3::Bucket", 1);
//! let status = Capture::new();
//! template.has_resource_properties(
//!     "AWS::S3::Bucket",
//!     matcher!({ "VersioningConfiguration": { "Status": &status }, "BucketName": Match::absent() }),
//! );
//! assert_eq!(status.as_string(), "Enabled");
//!
//! let error = template
//!     .check_resource_properties("AWS::S3::Bucket", json!({"VersioningConfiguration": {"Status": "Suspended"}}))
//!     .unwrap_err();
//! assert!(error.to_string().contains(
//!     r#"$.Properties.VersioningConfiguration.Status: expected "Suspended", found "Enabled""#
//! ));
//! ```

use std::fmt;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value as Json;

use crate::stack::Stack;
use crate::template::{Resource, Template};

mod matcher;
#[cfg(test)]
mod tests;

pub use matcher::{Capture, Match, Matcher, Mismatch};
use matcher::{evaluate, Outcome};

/// A failed assertion: a one-line summary and the mismatches behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionError {
    /// Description of the expectation and of the closest candidate.
    pub summary: String,
    /// Every difference found in the closest candidate, or in each failing
    /// resource for `all_resources`. Empty when nothing could be compared,
    /// such as when no resource has the requested type.
    pub mismatches: Vec<Mismatch>,
}

impl fmt::Display for AssertionError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.summary)?;
        if !self.mismatches.is_empty() {
            formatter.write_str(":")?;
        }
        for mismatch in &self.mismatches {
            write!(formatter, "\n  {mismatch}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AssertionError {}

/// A template under test.
#[derive(Debug, Clone)]
pub struct TemplateAssert {
    template: Template,
}

impl TemplateAssert {
    /// Synthesizes `stack`, validation included, and wraps the template.
    ///
    /// # Panics
    /// When synthesis fails; the message lists every validation error.
    #[track_caller]
    pub fn from_stack(stack: &Stack) -> TemplateAssert {
        match stack.synth() {
            Ok(synthesized) => TemplateAssert { template: synthesized.template },
            Err(error) => panic!("stack `{}` failed to synthesize: {error}", stack.name()),
        }
    }

    /// Wraps a template as it is, without validating it.
    pub fn from_template(template: Template) -> TemplateAssert {
        TemplateAssert { template }
    }

    /// Parses a template from JSON text.
    ///
    /// # Panics
    /// When the text is not a valid template; the message gives the line and
    /// column of the problem.
    #[track_caller]
    pub fn from_json(text: &str) -> TemplateAssert {
        match Template::from_json_str(text, "TemplateAssert::from_json input") {
            Ok(template) => TemplateAssert { template },
            Err(error) => panic!("{error}"),
        }
    }

    /// Returns the template under test.
    pub fn template(&self) -> &Template {
        &self.template
    }

    /// Checks that the template has exactly `expected` resources of `resource_type`.
    ///
    /// # Errors
    /// An [`AssertionError`] giving the count found and the logical IDs.
    pub fn check_resource_count(&self, resource_type: &str, expected: usize) -> Result<(), AssertionError> {
        let found: Vec<&str> = self.resources_of_type(resource_type).map(|(id, _)| id.as_str()).collect();
        if found.len() == expected {
            return Ok(());
        }
        let ids = if found.is_empty() { String::new() } else { format!(" ({})", backticked(&found)) };
        Err(AssertionError {
            summary: format!(
                "expected {expected} resource{} of type {resource_type}, found {}{ids}",
                plural(expected),
                found.len()
            ),
            mismatches: Vec::new(),
        })
    }

    /// Asserts that the template has exactly `expected` resources of `resource_type`.
    ///
    /// # Panics
    /// With the message of [`TemplateAssert::check_resource_count`].
    #[track_caller]
    pub fn resource_count_is(&self, resource_type: &str, expected: usize) {
        or_panic(self.check_resource_count(resource_type, expected));
    }

    /// Checks that some resource of `resource_type` has properties matching
    /// `properties`, compared object-like unless the matcher sets exact mode.
    /// Captures record the values of every matching resource.
    ///
    /// # Errors
    /// An [`AssertionError`] naming the closest resource (the one with the
    /// fewest mismatches, the first on ties) and each of its mismatches, with
    /// paths such as `$.Properties.BucketName`.
    pub fn check_resource_properties(
        &self,
        resource_type: &str,
        properties: impl Into<Matcher>,
    ) -> Result<(), AssertionError> {
        let matcher = properties.into();
        let outcomes = self.evaluate_resources(resource_type, |resource| {
            evaluate(&matcher, Some(&Json::Object(resource.properties.clone())), "$.Properties")
        })?;
        expect_any(outcomes, || format!("no resource of type {resource_type} matches the expected properties"))
    }

    /// Asserts that some resource of `resource_type` has matching properties.
    ///
    /// # Panics
    /// With the message of [`TemplateAssert::check_resource_properties`].
    #[track_caller]
    pub fn has_resource_properties(&self, resource_type: &str, properties: impl Into<Matcher>) {
        or_panic(self.check_resource_properties(resource_type, properties));
    }

    /// Checks that some resource of `resource_type` matches `resource` as a
    /// whole: `Properties`, `DeletionPolicy`, `DependsOn`, `Condition` and
    /// the other resource attributes, as they appear in the template.
    ///
    /// # Errors
    /// Like [`TemplateAssert::check_resource_properties`], with paths such as
    /// `$.DeletionPolicy`.
    pub fn check_resource(&self, resource_type: &str, resource: impl Into<Matcher>) -> Result<(), AssertionError> {
        let matcher = resource.into();
        let outcomes = self.evaluate_resources(resource_type, |actual| evaluate(&matcher, Some(&to_json(actual)), "$"))?;
        expect_any(outcomes, || format!("no resource of type {resource_type} matches the expected resource"))
    }

    /// Asserts that some resource of `resource_type` matches `resource` as a whole.
    ///
    /// # Panics
    /// With the message of [`TemplateAssert::check_resource`].
    #[track_caller]
    pub fn has_resource(&self, resource_type: &str, resource: impl Into<Matcher>) {
        or_panic(self.check_resource(resource_type, resource));
    }

    /// Returns the resources of `resource_type` that match `resource` as a
    /// whole (as in [`TemplateAssert::has_resource`]), by logical ID in
    /// template order. Pass `Match::any_value()` to get all of them.
    pub fn find_resources(&self, resource_type: &str, resource: impl Into<Matcher>) -> IndexMap<String, Resource> {
        let matcher = resource.into();
        let mut found = IndexMap::new();
        for (logical_id, actual) in self.resources_of_type(resource_type) {
            let outcome = evaluate(&matcher, Some(&to_json(actual)), "$");
            if outcome.is_match() {
                outcome.commit();
                found.insert(logical_id.clone(), actual.clone());
            }
        }
        found
    }

    /// Checks that every resource of `resource_type` matches `resource` as a
    /// whole. A template without such resources fails, because a check that
    /// passes on nothing would hide a misspelt type or a missing resource.
    ///
    /// # Errors
    /// An [`AssertionError`] listing the mismatches of every failing
    /// resource, with paths from the template root such as
    /// `$.Resources.Bucket.DeletionPolicy`.
    pub fn check_all_resources(&self, resource_type: &str, resource: impl Into<Matcher>) -> Result<(), AssertionError> {
        let matcher = resource.into();
        let outcomes = self.evaluate_resources(resource_type, |actual| evaluate(&matcher, Some(&to_json(actual)), "$"))?;
        expect_all(outcomes, resource_type, " resource")
    }

    /// Asserts that every resource of `resource_type` matches `resource` as a whole.
    ///
    /// # Panics
    /// With the message of [`TemplateAssert::check_all_resources`].
    #[track_caller]
    pub fn all_resources(&self, resource_type: &str, resource: impl Into<Matcher>) {
        or_panic(self.check_all_resources(resource_type, resource));
    }

    /// Checks that every resource of `resource_type` has properties matching
    /// `properties`. A template without such resources fails.
    ///
    /// # Errors
    /// Like [`TemplateAssert::check_all_resources`], with paths such as
    /// `$.Resources.Bucket.Properties.BucketName`.
    pub fn check_all_resources_properties(
        &self,
        resource_type: &str,
        properties: impl Into<Matcher>,
    ) -> Result<(), AssertionError> {
        let matcher = properties.into();
        let outcomes = self.evaluate_resources(resource_type, |resource| {
            evaluate(&matcher, Some(&Json::Object(resource.properties.clone())), "$.Properties")
        })?;
        expect_all(outcomes, resource_type, " properties")
    }

    /// Asserts that every resource of `resource_type` has matching properties.
    ///
    /// # Panics
    /// With the message of [`TemplateAssert::check_all_resources_properties`].
    #[track_caller]
    pub fn all_resources_properties(&self, resource_type: &str, properties: impl Into<Matcher>) {
        or_panic(self.check_all_resources_properties(resource_type, properties));
    }

    /// Checks that the output `name` matches `output`, such as
    /// `json!({"Value": {"Ref": "Bucket"}})`. The name `*` accepts any output.
    ///
    /// # Errors
    /// An [`AssertionError`] when the output is missing (listing the outputs
    /// present) or does not match (listing the mismatches).
    pub fn check_output(&self, name: &str, output: impl Into<Matcher>) -> Result<(), AssertionError> {
        let entries = self.template.outputs.iter().map(|(key, value)| (key.as_str(), to_json(value)));
        check_named("output", name, entries.collect(), &output.into())
    }

    /// Asserts that the output `name` (or any output, for `*`) matches `output`.
    ///
    /// # Panics
    /// With the message of [`TemplateAssert::check_output`].
    #[track_caller]
    pub fn has_output(&self, name: &str, output: impl Into<Matcher>) {
        or_panic(self.check_output(name, output));
    }

    /// Checks that the parameter `name` matches `parameter`, such as
    /// `json!({"Type": "String"})`. The name `*` accepts any parameter.
    ///
    /// # Errors
    /// Like [`TemplateAssert::check_output`].
    pub fn check_parameter(&self, name: &str, parameter: impl Into<Matcher>) -> Result<(), AssertionError> {
        let entries = self.template.parameters.iter().map(|(key, value)| (key.as_str(), to_json(value)));
        check_named("parameter", name, entries.collect(), &parameter.into())
    }

    /// Asserts that the parameter `name` (or any parameter, for `*`) matches `parameter`.
    ///
    /// # Panics
    /// With the message of [`TemplateAssert::check_parameter`].
    #[track_caller]
    pub fn has_parameter(&self, name: &str, parameter: impl Into<Matcher>) {
        or_panic(self.check_parameter(name, parameter));
    }

    fn resources_of_type<'a>(&'a self, resource_type: &'a str) -> impl Iterator<Item = (&'a String, &'a Resource)> {
        self.template.resources.iter().filter(move |(_, resource)| resource.resource_type == resource_type)
    }

    /// Evaluates every resource of `resource_type`, failing when there is
    /// none so that a misspelt type reports what types the template has.
    fn evaluate_resources(
        &self,
        resource_type: &str,
        evaluate_one: impl Fn(&Resource) -> Outcome,
    ) -> Result<Vec<(String, Outcome)>, AssertionError> {
        let outcomes: Vec<(String, Outcome)> = self
            .resources_of_type(resource_type)
            .map(|(logical_id, resource)| (logical_id.clone(), evaluate_one(resource)))
            .collect();
        if !outcomes.is_empty() {
            return Ok(outcomes);
        }
        let mut types: Vec<&str> = Vec::new();
        for resource in self.template.resources.values() {
            if !types.contains(&resource.resource_type.as_str()) {
                types.push(&resource.resource_type);
            }
        }
        let present = if types.is_empty() {
            "the template has no resources".to_owned()
        } else {
            format!("types present: {}", types.join(", "))
        };
        Err(AssertionError {
            summary: format!("the template has no resource of type {resource_type}; {present}"),
            mismatches: Vec::new(),
        })
    }
}

/// Passes when at least one outcome matches, recording the captures of
/// every match; otherwise reports the candidate with the fewest mismatches.
fn expect_any(outcomes: Vec<(String, Outcome)>, summary: impl Fn() -> String) -> Result<(), AssertionError> {
    if outcomes.iter().any(|(_, outcome)| outcome.is_match()) {
        for (_, outcome) in outcomes.into_iter().filter(|(_, outcome)| outcome.is_match()) {
            outcome.commit();
        }
        return Ok(());
    }
    let candidates = outcomes.len();
    let (closest, outcome) = outcomes
        .into_iter()
        .min_by_key(|(_, outcome)| outcome.mismatches.len())
        .expect("callers pass at least one candidate");
    let count = outcome.mismatches.len();
    Err(AssertionError {
        summary: format!(
            "{}; the closest of {candidates} candidate{} is `{closest}` with {count} mismatch{}",
            summary(),
            plural(candidates),
            if count == 1 { "" } else { "es" }
        ),
        mismatches: outcome.mismatches,
    })
}

/// Passes when every outcome matches, recording all captures; otherwise
/// lists the mismatches of each failing resource under `$.Resources.<id>`.
fn expect_all(outcomes: Vec<(String, Outcome)>, resource_type: &str, what: &str) -> Result<(), AssertionError> {
    let total = outcomes.len();
    let failing: Vec<&String> = outcomes.iter().filter(|(_, outcome)| !outcome.is_match()).map(|(id, _)| id).collect();
    if failing.is_empty() {
        for (_, outcome) in outcomes {
            outcome.commit();
        }
        return Ok(());
    }
    let summary = format!(
        "{} of {total} resources of type {resource_type} do not match the expected{what}: {}",
        failing.len(),
        backticked(&failing.iter().map(|id| id.as_str()).collect::<Vec<_>>())
    );
    let mismatches = outcomes
        .into_iter()
        .flat_map(|(logical_id, outcome)| {
            outcome.mismatches.into_iter().map(move |mismatch| Mismatch {
                path: format!("$.Resources.{logical_id}{}", &mismatch.path[1..]),
                message: mismatch.message,
            })
        })
        .collect();
    Err(AssertionError { summary, mismatches })
}

/// Checks an output or parameter by name, or every one of them for `*`.
fn check_named(section: &str, name: &str, entries: Vec<(&str, Json)>, matcher: &Matcher) -> Result<(), AssertionError> {
    let names: Vec<&str> = entries.iter().map(|(key, _)| *key).collect();
    let candidates: Vec<(String, Outcome)> = entries
        .iter()
        .filter(|(key, _)| name == "*" || *key == name)
        .map(|(key, value)| ((*key).to_owned(), evaluate(matcher, Some(value), "$")))
        .collect();
    if candidates.is_empty() {
        let present = if names.is_empty() {
            format!("the template has no {section}s")
        } else {
            format!("{section}s present: {}", backticked(&names))
        };
        return Err(AssertionError {
            summary: format!("{section} `{name}` not found; {present}"),
            mismatches: Vec::new(),
        });
    }
    if name == "*" {
        return expect_any(candidates, || format!("no {section} matches the expected value"));
    }
    let (_, outcome) = candidates.into_iter().next().expect("checked above");
    if outcome.is_match() {
        outcome.commit();
        return Ok(());
    }
    Err(AssertionError {
        summary: format!("{section} `{name}` does not match the expected value"),
        mismatches: outcome.mismatches,
    })
}

fn to_json(value: &impl Serialize) -> Json {
    serde_json::to_value(value).expect("the template model always serializes")
}

fn backticked(names: &[&str]) -> String {
    names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

#[track_caller]
fn or_panic(result: Result<(), AssertionError>) {
    if let Err(error) = result {
        panic!("{error}");
    }
}

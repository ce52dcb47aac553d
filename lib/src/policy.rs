//! IAM policy documents as typed values: statements with principals,
//! actions, resources and conditions whose values may be intrinsics.
//!
//! Documents serialize to the JSON that IAM, S3 bucket policies and VPC
//! endpoint policies read. Statement keys are written in a fixed order and
//! condition operators and keys in insertion order, so output is stable.

use indexmap::IndexMap;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value as Json;

use crate::expr::Expr;

/// The policy language version every document declares.
pub const POLICY_VERSION: &str = "2012-10-17";

/// Whether a statement allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    /// Grants the listed actions.
    Allow,
    /// Denies the listed actions, whatever any other statement allows.
    Deny,
}

/// The `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    /// `"*"`: everyone, including anonymous callers.
    Anyone,
    /// `{"AWS": [...]}`: accounts, roles, users or sessions by ARN.
    Aws(Vec<Expr>),
    /// `{"Service": [...]}`: AWS services such as `ec2.amazonaws.com`.
    Service(Vec<String>),
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Principal::Anyone => serializer.serialize_str("*"),
            Principal::Aws(arns) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("AWS", &OneOrList(arns))?;
                map.end()
            }
            Principal::Service(services) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("Service", &OneOrList(services))?;
                map.end()
            }
        }
    }
}

/// A list written as its only item when it has one, as IAM's own examples
/// do, and as a list otherwise. Items are serialized in place, without
/// building JSON values first.
struct OneOrList<'a, T>(&'a [T]);

impl<T: Serialize> Serialize for OneOrList<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            [one] => one.serialize(serializer),
            items => items.serialize(serializer),
        }
    }
}

/// A statement's `Condition` element: operator, then context key, then one
/// value or a list of them.
struct Conditions<'a>(&'a IndexMap<String, IndexMap<String, Vec<Expr>>>);

impl Serialize for Conditions<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(operator, keys)| (operator, ConditionValues(keys))))
    }
}

/// The context keys of one condition operator, with their values.
struct ConditionValues<'a>(&'a IndexMap<String, Vec<Expr>>);

impl Serialize for ConditionValues<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(key, values)| (key, OneOrList(values))))
    }
}

/// One policy statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Statement id, shown by `vaultgate verify` as the deciding statement.
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// `Principal`, for resource and endpoint policies.
    pub principal: Option<Principal>,
    /// `NotPrincipal`, for resource policies.
    pub not_principal: Option<Principal>,
    /// `Action` entries such as `s3:PutObject`.
    pub actions: Vec<String>,
    /// `NotAction` entries.
    pub not_actions: Vec<String>,
    /// `Resource` ARNs, which may be intrinsics.
    pub resources: Vec<Expr>,
    /// `NotResource` ARNs.
    pub not_resources: Vec<Expr>,
    /// `Condition`: operator, then context key, then values.
    pub conditions: IndexMap<String, IndexMap<String, Vec<Expr>>>,
}

impl Statement {
    fn with_effect(effect: Effect) -> Statement {
        Statement {
            sid: None,
            effect,
            principal: None,
            not_principal: None,
            actions: Vec::new(),
            not_actions: Vec::new(),
            resources: Vec::new(),
            not_resources: Vec::new(),
            conditions: IndexMap::new(),
        }
    }

    /// Creates an Allow statement with no elements yet.
    pub fn allow() -> Statement {
        Statement::with_effect(Effect::Allow)
    }

    /// Creates a Deny statement with no elements yet.
    pub fn deny() -> Statement {
        Statement::with_effect(Effect::Deny)
    }

    /// Sets the statement id.
    #[must_use]
    pub fn sid(mut self, sid: &str) -> Statement {
        self.sid = Some(sid.to_owned());
        self
    }

    /// Sets `Principal`.
    #[must_use]
    pub fn principal(mut self, principal: Principal) -> Statement {
        self.principal = Some(principal);
        self
    }

    /// Sets `NotPrincipal`.
    #[must_use]
    pub fn not_principal(mut self, principal: Principal) -> Statement {
        self.not_principal = Some(principal);
        self
    }

    /// Appends actions to `Action`.
    #[must_use]
    pub fn actions(mut self, actions: &[&str]) -> Statement {
        self.actions.extend(actions.iter().map(|action| (*action).to_owned()));
        self
    }

    /// Appends actions to `NotAction`.
    #[must_use]
    pub fn not_actions(mut self, actions: &[&str]) -> Statement {
        self.not_actions.extend(actions.iter().map(|action| (*action).to_owned()));
        self
    }

    /// Appends one resource ARN to `Resource`.
    #[must_use]
    pub fn resource(mut self, arn: Expr) -> Statement {
        self.resources.push(arn);
        self
    }

    /// Appends one ARN to `NotResource`.
    #[must_use]
    pub fn not_resource(mut self, arn: Expr) -> Statement {
        self.not_resources.push(arn);
        self
    }

    /// Adds a condition: `operator` (such as `StringNotEquals`) on context
    /// `key` with the given values. Values for the same operator and key are
    /// appended.
    #[must_use]
    pub fn condition(mut self, operator: &str, key: &str, values: Vec<Expr>) -> Statement {
        self.conditions
            .entry(operator.to_owned())
            .or_default()
            .entry(key.to_owned())
            .or_default()
            .extend(values);
        self
    }

    /// Converts to the JSON of one entry of a document's `Statement` list.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).expect("policy statements always serialize")
    }
}

impl Serialize for Statement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let present = [
            self.sid.is_some(),
            self.principal.is_some(),
            self.not_principal.is_some(),
            !self.actions.is_empty(),
            !self.not_actions.is_empty(),
            !self.resources.is_empty(),
            !self.not_resources.is_empty(),
            !self.conditions.is_empty(),
        ];
        // `Effect` is always written.
        let len = 1 + present.iter().filter(|present| **present).count();
        let mut map = serializer.serialize_map(Some(len))?;
        if let Some(sid) = &self.sid {
            map.serialize_entry("Sid", sid)?;
        }
        map.serialize_entry("Effect", &self.effect)?;
        if let Some(principal) = &self.principal {
            map.serialize_entry("Principal", principal)?;
        }
        if let Some(principal) = &self.not_principal {
            map.serialize_entry("NotPrincipal", principal)?;
        }
        if !self.actions.is_empty() {
            map.serialize_entry("Action", &OneOrList(&self.actions))?;
        }
        if !self.not_actions.is_empty() {
            map.serialize_entry("NotAction", &OneOrList(&self.not_actions))?;
        }
        if !self.resources.is_empty() {
            map.serialize_entry("Resource", &OneOrList(&self.resources))?;
        }
        if !self.not_resources.is_empty() {
            map.serialize_entry("NotResource", &OneOrList(&self.not_resources))?;
        }
        if !self.conditions.is_empty() {
            map.serialize_entry("Condition", &Conditions(&self.conditions))?;
        }
        map.end()
    }
}

/// A policy document: a version and a list of statements.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyDocument {
    /// The statements, in the order they are written.
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Creates a document with the given statements.
    pub fn new(statements: Vec<Statement>) -> PolicyDocument {
        PolicyDocument { statements }
    }

    /// Appends a statement.
    pub fn add_statement(&mut self, statement: Statement) {
        self.statements.push(statement);
    }

    /// Converts to the JSON that IAM reads.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).expect("policy documents always serialize")
    }
}

impl Serialize for PolicyDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("Version", POLICY_VERSION)?;
        map.serialize_entry("Statement", &self.statements)?;
        map.end()
    }
}

impl From<PolicyDocument> for Json {
    fn from(document: PolicyDocument) -> Json {
        document.to_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statement_serializes_in_fixed_order() {
        let statement = Statement::deny()
            .sid("DenyOutsideEndpoint")
            .principal(Principal::Anyone)
            .actions(&["s3:PutObject"])
            .resource(Expr::string("arn:aws:s3:::b/*"))
            .condition("StringNotEquals", "aws:SourceVpce", vec![Expr::reference("Endpoint")]);
        let text = serde_json::to_string(&PolicyDocument::new(vec![statement])).unwrap();
        assert_eq!(
            text,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideEndpoint","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"aws:SourceVpce":{"Ref":"Endpoint"}}}}]}"#
        );
    }

    #[test]
    fn several_values_become_a_list() {
        let statement = Statement::allow().actions(&["s3:PutObject", "s3:AbortMultipartUpload"]);
        assert_eq!(serde_json::to_value(&statement).unwrap()["Action"], json!(["s3:PutObject", "s3:AbortMultipartUpload"]));
    }
}

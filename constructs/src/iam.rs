//! IAM roles and their inline policies, shared by the constructs that need a
//! role: the backup writer and the restore role.

use serde_json::{json, Value as Json};
use vaultgate_core::policy::{PolicyDocument, Principal, Statement};
use vaultgate_core::resources::iam;
use vaultgate_core::{Expr, LogicalId, Scope};

use crate::error::ConstructError;

/// Creates a role that `principal` may assume, with no permissions yet.
pub(crate) fn create_role(
    scope: &mut Scope<'_>,
    id: &str,
    principal: Principal,
    description: &str,
) -> Result<LogicalId, ConstructError> {
    let trust = PolicyDocument::new(vec![Statement::allow().principal(principal).actions(&["sts:AssumeRole"])]);
    let mut role = iam::Role::new(trust.to_json());
    role.description = Some(description.into());
    Ok(scope.add_resource(id, role)?)
}

/// Appends an inline policy named `name` to the role's `Policies`.
pub(crate) fn attach_inline_policy(
    scope: &mut Scope<'_>,
    role: &LogicalId,
    name: &str,
    document: &PolicyDocument,
) -> Result<(), ConstructError> {
    let path = scope.path();
    let resource = scope
        .resource_mut(role)
        .ok_or_else(|| ConstructError::NotInStack { path, logical_id: role.to_string() })?;
    let policies = resource.properties.entry("Policies").or_insert_with(|| Json::Array(Vec::new()));
    if let Json::Array(policies) = policies {
        policies.push(json!({"PolicyName": name, "PolicyDocument": document.to_json()}));
    }
    Ok(())
}

/// The trust principal for a role that IAM principals of this account may
/// assume when their own policies allow `sts:AssumeRole` on it.
pub(crate) fn this_account() -> Principal {
    Principal::Aws(vec![Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")])
}

//! Stack states and what each allows. Every status CloudFormation defines
//! is matched by name, so a new one is refused instead of guessed at.
//!
//! Stacks are looked up by name once, and from then on by their stack ID:
//! a name can stand for a deleted stack and its re-created successor at the
//! same time, and an ID never changes meaning.

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{Stack, StackStatus};
use indexmap::IndexMap;

use super::{Context, DeployError};

/// The deployed stack's identity, status, parameters and outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct StackInfo {
    pub id: String,
    pub name: String,
    pub status: StackStatus,
    pub status_reason: Option<String>,
    /// Deployed parameter values, as given (not resolved).
    pub parameters: IndexMap<String, String>,
    /// Outputs as (key, value, description).
    pub outputs: Vec<(String, String, Option<String>)>,
    pub termination_protection: bool,
}

impl StackInfo {
    fn from_sdk(stack: &Stack) -> Option<StackInfo> {
        Some(StackInfo {
            id: stack.stack_id()?.to_owned(),
            name: stack.stack_name().unwrap_or_default().to_owned(),
            status: stack.stack_status()?.clone(),
            status_reason: stack.stack_status_reason().map(str::to_owned),
            parameters: stack
                .parameters()
                .iter()
                .filter_map(|p| Some((p.parameter_key()?.to_owned(), p.parameter_value().unwrap_or_default().to_owned())))
                .collect(),
            outputs: stack
                .outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value().unwrap_or_default().to_owned(), o.description().map(str::to_owned))))
                .collect(),
            termination_protection: stack.enable_termination_protection().unwrap_or(false),
        })
    }
}

/// Describes the stack named or identified by `name_or_id`; `None` when it
/// does not exist. Of several stacks with one name, the live one wins.
///
/// # Errors
/// [`DeployError::Aws`] for any failure other than "does not exist".
pub async fn describe(context: &Context, name_or_id: &str) -> Result<Option<StackInfo>, DeployError> {
    let response = match context.cfn.describe_stacks().stack_name(name_or_id).send().await {
        Ok(response) => response,
        Err(error) if is_missing_stack(error.code(), error.message()) => return Ok(None),
        Err(error) => return Err(DeployError::aws(format!("describing stack {name_or_id}"), error)),
    };
    // CloudFormation describes at most one live stack per name. An emulator
    // may keep an abandoned REVIEW_IN_PROGRESS record beside its successor,
    // so the newest live record is the one deploys act on.
    let mut live: Vec<&Stack> = response.stacks().iter().filter(|stack| stack.stack_status() != Some(&StackStatus::DeleteComplete)).collect();
    live.sort_by_key(|stack| stack.creation_time().map(|time| (time.secs(), time.subsec_nanos())));
    Ok(match live.last() {
        Some(stack) => StackInfo::from_sdk(stack),
        // By ID, CloudFormation still describes a deleted stack; by name
        // it does not, and neither does this function.
        None if name_or_id.starts_with("arn:") => response.stacks().last().and_then(StackInfo::from_sdk),
        None => None,
    })
}

/// Returns `true` for CloudFormation's "stack does not exist" error.
pub fn is_missing_stack(code: Option<&str>, message: Option<&str>) -> bool {
    code == Some("ValidationError") && message.is_some_and(|m| m.contains("does not exist"))
}

/// The step deploy takes with a stack in a given status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Update it with an UPDATE change set.
    Update,
    /// It exists only to hold change sets (REVIEW_IN_PROGRESS): create it
    /// with a CREATE change set.
    CreateInReview,
    /// An operation is running: wait until the stack settles, then decide
    /// again. Racing it would fail or, worse, fight it.
    Wait,
    /// Its creation failed and it can only be deleted; deploy re-creates it
    /// only with `--replace-failed-stack`.
    ReplaceFailedCreate,
    /// An update's rollback failed; continue-update-rollback can bring it
    /// back to UPDATE_ROLLBACK_COMPLETE.
    ContinueRollback,
    /// It is gone (DELETE_COMPLETE): create a new stack.
    Create,
    /// No safe step exists. The message explains why and what to do.
    Refuse(String),
}

/// Decides what to do with a stack in `status`.
pub fn next_step(status: &StackStatus) -> Next {
    match status {
        StackStatus::CreateComplete
        | StackStatus::UpdateComplete
        | StackStatus::UpdateRollbackComplete
        | StackStatus::ImportComplete
        | StackStatus::ImportRollbackComplete
        // With rollback disabled, a failed update can be updated again.
        | StackStatus::UpdateFailed => Next::Update,
        StackStatus::ReviewInProgress => Next::CreateInReview,
        StackStatus::CreateInProgress
        | StackStatus::UpdateInProgress
        | StackStatus::UpdateCompleteCleanupInProgress
        | StackStatus::UpdateRollbackInProgress
        | StackStatus::UpdateRollbackCompleteCleanupInProgress
        | StackStatus::RollbackInProgress
        | StackStatus::DeleteInProgress
        | StackStatus::ImportInProgress
        | StackStatus::ImportRollbackInProgress => Next::Wait,
        StackStatus::RollbackComplete | StackStatus::RollbackFailed | StackStatus::CreateFailed => Next::ReplaceFailedCreate,
        StackStatus::UpdateRollbackFailed => Next::ContinueRollback,
        StackStatus::DeleteComplete => Next::Create,
        StackStatus::DeleteFailed => Next::Refuse(
            "the stack's deletion failed (DELETE_FAILED); see its events, remove what blocked the deletion, and run `vaultgate-deploy destroy` again".to_owned(),
        ),
        StackStatus::ImportRollbackFailed => Next::Refuse(
            "the rollback of a resource import failed (IMPORT_ROLLBACK_FAILED); fix the resources named in the stack's events in the console, then deploy again".to_owned(),
        ),
        other => Next::Refuse(format!("the stack is in status {}, which this version of vaultgate-deploy does not know; check it in the console", other.as_str())),
    }
}

/// Returns `true` when no operation is running on a stack in `status`.
/// REVIEW_IN_PROGRESS counts as running: after a change set executes, the
/// stack passes through it before its creation starts.
pub fn is_settled(status: &StackStatus) -> bool {
    !status.as_str().ends_with("_IN_PROGRESS")
}

/// Returns `true` while an operation runs on the stack. A stack in
/// REVIEW_IN_PROGRESS contains only change sets, so nothing runs on it.
pub fn is_operation_running(status: &StackStatus) -> bool {
    !is_settled(status) && status != &StackStatus::ReviewInProgress
}

/// Explains a status that ends a failed create, for the user.
pub fn explain_failed_create(status: &StackStatus) -> &'static str {
    match status {
        StackStatus::RollbackComplete => {
            "its creation failed and was rolled back (ROLLBACK_COMPLETE). CloudFormation cannot update such a stack: it must be deleted and created again"
        }
        StackStatus::RollbackFailed => {
            "its creation failed and the rollback failed too (ROLLBACK_FAILED). It can only be deleted; some resources may need removing by hand"
        }
        StackStatus::CreateFailed => {
            "its creation failed with rollback disabled (CREATE_FAILED). It can only be deleted and created again"
        }
        _ => "it is not in a failed-create state",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_status_is_decided() {
        for status in StackStatus::values() {
            let next = next_step(&StackStatus::from(*status));
            if let Next::Refuse(reason) = &next {
                assert!(!reason.contains("does not know"), "{status} fell through to the unknown branch");
            }
        }
    }

    #[test]
    fn failed_create_states_need_replacement() {
        assert_eq!(next_step(&StackStatus::RollbackComplete), Next::ReplaceFailedCreate);
        assert_eq!(next_step(&StackStatus::UpdateRollbackFailed), Next::ContinueRollback);
        assert_eq!(next_step(&StackStatus::UpdateInProgress), Next::Wait);
        assert_eq!(next_step(&StackStatus::ReviewInProgress), Next::CreateInReview);
        assert!(matches!(next_step(&StackStatus::from("SOMETHING_NEW")), Next::Refuse(reason) if reason.contains("SOMETHING_NEW")));
    }

    #[test]
    fn in_progress_states_are_not_settled() {
        assert!(!is_settled(&StackStatus::ReviewInProgress));
        assert!(!is_settled(&StackStatus::UpdateCompleteCleanupInProgress));
        assert!(is_settled(&StackStatus::UpdateRollbackFailed));
        assert!(!is_operation_running(&StackStatus::ReviewInProgress));
        assert!(is_operation_running(&StackStatus::DeleteInProgress));
    }

    #[test]
    fn missing_stack_error_is_recognised() {
        assert!(is_missing_stack(Some("ValidationError"), Some("Stack with id x does not exist")));
        assert!(!is_missing_stack(Some("ValidationError"), Some("Template format error")));
        assert!(!is_missing_stack(Some("Throttling"), Some("does not exist")));
    }
}

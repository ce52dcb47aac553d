//! The boundary between deploy and the access matrix: which changes grant
//! more access to the backup bucket than the deployed stack does. Deploy
//! asks for confirmation before such a change, even with `--yes`, unless
//! `--require-approval never` is given.

use vaultgate_core::access::{diff, Matrix, Settings, StackModel};
use vaultgate_core::template::Template;

use super::args::Approval;

/// Compares the access matrices of two templates; each returned line is one
/// request that `new` allows and `old` denies. Deploy and diff call it
/// through this type, so tests can put in a check that finds broadening.
pub type AccessCheck = fn(old: &Template, new: &Template) -> Vec<String>;

/// Returns one line per request to the backup bucket that `new` allows and
/// `old` denies, by the access matrix of `vaultgate verify` (not by policy
/// text, so a narrowed statement is never called broadening).
///
/// When either matrix cannot be computed, the change cannot be shown to be
/// safe, so one line says so and the change needs approval too.
pub fn access_broadening(old: &Template, new: &Template) -> Vec<String> {
    let settings = Settings::default();
    let matrix = |template: &Template, name: &str| {
        StackModel::from_template(template, &settings, name).map(|model| Matrix::evaluate(&model))
    };
    match (matrix(old, "the deployed template"), matrix(new, "the new template")) {
        (Ok(before), Ok(after)) => diff(&before, &after)
            .into_iter()
            .filter(|change| change.broadening)
            .map(|change| change.to_string())
            .collect(),
        (Err(err), _) | (_, Err(err)) => {
            vec![format!("the access matrix could not be computed ({err}); review the access change by hand")]
        }
    }
}

/// Returns `true` when the broadening lines need the user's yes.
pub fn needs_approval(broadening: &[String], approval: Approval) -> bool {
    !broadening.is_empty() && approval == Approval::Broadening
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_template_not_broadening() {
        let template = vaultgate_constructs::default_template();
        assert_eq!(access_broadening(&template, &template), Vec::<String>::new());
    }

    #[test]
    fn opened_endpoint_is_broadening() {
        let old = vaultgate_constructs::default_template();
        let mut new = old.clone();
        for resource in new.resources.values_mut() {
            if resource.resource_type == "AWS::S3::BucketPolicy" {
                let statements = resource.properties["PolicyDocument"]["Statement"].as_array_mut().unwrap();
                statements.retain(|statement| statement["Sid"] == "DenyInsecureTransport");
            }
        }
        let lines = access_broadening(&old, &new);
        assert!(!lines.is_empty());
        assert!(lines.iter().all(|line| line.starts_with("BROADENED ")), "{lines:?}");
        // Dropping the endpoint denies lets credentials used outside the
        // endpoint reach the bucket; the reverse change only narrows access.
        assert!(access_broadening(&new, &old).is_empty());
    }

    #[test]
    fn broadening_needs_approval_unless_never() {
        let lines = vec!["s3:GetObject by anyone".to_owned()];
        assert!(needs_approval(&lines, Approval::Broadening));
        assert!(!needs_approval(&lines, Approval::Never));
        assert!(!needs_approval(&[], Approval::Broadening));
    }
}

//! The boundary between deploy and the access matrix: which changes grant
//! more access to the backup bucket than the deployed stack does. Deploy
//! asks for confirmation before such a change, even with `--yes`, unless
//! `--require-approval never` is given.

use vaultgate_core::template::Template;

use super::args::Approval;

/// Compares the access matrices of two templates; each returned line is one
/// request that `new` allows and `old` denies. Deploy and diff call it
/// through this type, so tests can put in a check that finds broadening.
pub type AccessCheck = fn(old: &Template, new: &Template) -> Vec<String>;

/// Returns one line per request to the backup bucket that `new` allows and
/// `old` denies, such as "s3:DeleteObject by arn:…:role/x through vpce-…".
//
// NOTE: a placeholder that compares nothing and always returns no lines,
// until vaultgate_core::access (the access matrix) is available. To swap it,
// evaluate the matrix of both templates here and return the cells that
// change from deny to allow; the callers need no change.
pub fn access_broadening(old: &Template, new: &Template) -> Vec<String> {
    let _ = (old, new);
    Vec::new()
}

/// Returns `true` when the broadening lines need the user's yes.
pub fn needs_approval(broadening: &[String], approval: Approval) -> bool {
    !broadening.is_empty() && approval == Approval::Broadening
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadening_needs_approval_unless_never() {
        let lines = vec!["s3:GetObject by anyone".to_owned()];
        assert!(needs_approval(&lines, Approval::Broadening));
        assert!(!needs_approval(&lines, Approval::Never));
        assert!(!needs_approval(&[], Approval::Broadening));
    }
}

//! One-line access assertions for users' tests: a source, an action and
//! the decision it must get, with a failure message that names the
//! deciding layer and statement.
//!
//! ```
//! use vaultgate_core::access::assert_access;
//! use vaultgate_core::Template;
//!
//! let template = Template::parse(r#"{"Resources": {
//!     "Site": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "public-site"}},
//!     "SitePolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Site"},
//!         "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Sid": "PublicRead", "Effect": "Allow",
//!             "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::public-site/*"}]}}}
//! }}"#, "site.json").unwrap();
//!
//! let access = assert_access(&template);
//! access.source("internet-anonymous").action("s3:GetObject").is_allowed();
//! access.source("internet-anonymous").action("s3:PutObject").is_denied();
//! assert_eq!(access.source("internet-anonymous").action("s3:GetObject").statements(), vec!["PublicRead"]);
//! ```

use super::decision::{Decision, Evaluation, Layer};
use super::findings::{findings, Finding};
use super::matrix::{evaluate_cell, Matrix};
use super::model::{Settings, StackModel};
use crate::error::Error;
use crate::template::Template;

/// Builds the access model of `template` with the default [`Settings`].
///
/// # Panics
/// When the template cannot be analysed, with the error naming the JSON
/// path; use [`AccessAssert::new`] to get the error instead.
pub fn assert_access(template: &Template) -> AccessAssert {
    AccessAssert::new(template, &Settings::default()).unwrap_or_else(|err| panic!("cannot analyse the template: {err}"))
}

/// The access model of one template, ready for assertions.
#[derive(Debug, Clone)]
pub struct AccessAssert {
    model: StackModel,
    matrix: Matrix,
}

impl AccessAssert {
    /// Analyses `template` with `settings`.
    ///
    /// # Errors
    /// [`Error::InvalidDocument`] when an intrinsic or policy cannot be read.
    pub fn new(template: &Template, settings: &Settings) -> Result<AccessAssert, Error> {
        let model = StackModel::from_template(template, settings, "template")?;
        let matrix = Matrix::evaluate(&model);
        Ok(AccessAssert { model, matrix })
    }

    /// Starts a query for the source with this name (see
    /// [`RequestSource::name`](super::RequestSource::name)), or for the
    /// instance source of an instance or subnet logical ID, or for the
    /// `role:` source of a role logical ID.
    #[must_use]
    pub fn source(&self, name: &str) -> AccessQuery<'_> {
        AccessQuery { parent: self, source: name.to_owned(), action: None, bucket: None }
    }

    /// Returns the model.
    pub fn model(&self) -> &StackModel {
        &self.model
    }

    /// Returns the matrix.
    pub fn matrix(&self) -> &Matrix {
        &self.matrix
    }

    /// Returns the design findings.
    pub fn findings(&self) -> Vec<Finding> {
        findings(&self.model, &self.matrix)
    }

    /// Asserts that no finding has this code.
    ///
    /// # Panics
    /// When one does, with its message.
    pub fn has_no_finding(&self, code: &str) {
        if let Some(finding) = self.findings().into_iter().find(|finding| finding.code == code) {
            panic!("expected no `{code}` finding, found: {finding}");
        }
    }

    /// Asserts that a finding has this code.
    ///
    /// # Panics
    /// When none does, listing the findings there are.
    pub fn has_finding(&self, code: &str) {
        let found = self.findings();
        if !found.iter().any(|finding| finding.code == code) {
            let list: Vec<String> = found.iter().map(ToString::to_string).collect();
            panic!("expected a `{code}` finding, found {}:\n{}", list.len(), list.join("\n"));
        }
    }

    fn resolve_source(&self, name: &str) -> Option<&super::sources::RequestSource> {
        let sources = &self.model.sources;
        sources
            .iter()
            .find(|s| s.name == name)
            .or_else(|| sources.iter().find(|s| s.instance.as_deref() == Some(name) || s.subnet.as_deref() == Some(name)))
            .or_else(|| sources.iter().find(|s| s.name == format!("role:{name}")))
    }
}

/// A question about one source: which action, on which bucket.
#[derive(Debug, Clone)]
pub struct AccessQuery<'a> {
    parent: &'a AccessAssert,
    source: String,
    action: Option<String>,
    bucket: Option<String>,
}

impl AccessQuery<'_> {
    /// Sets the action, such as `s3:PutObject`. Any S3 action works, not
    /// only the matrix's columns.
    #[must_use]
    pub fn action(mut self, action: &str) -> Self {
        self.action = Some(action.to_owned());
        self
    }

    /// Sets the bucket by logical ID or name. Default: the template's only
    /// bucket (a query on a template with several buckets must set one).
    #[must_use]
    pub fn bucket(mut self, bucket: &str) -> Self {
        self.bucket = Some(bucket.to_owned());
        self
    }

    /// Evaluates the request.
    ///
    /// # Panics
    /// When the source, action or bucket is unknown, listing the known ones.
    pub fn evaluation(&self) -> Evaluation {
        let model = &self.parent.model;
        let source = self.parent.resolve_source(&self.source).unwrap_or_else(|| {
            let known: Vec<&str> = model.sources.iter().map(|s| s.name.as_str()).collect();
            panic!("no request source `{}`; the sources are {}", self.source, known.join(", "))
        });
        let action = self.action.as_deref().unwrap_or_else(|| panic!("no action set for `{}`; call .action(\"s3:…\")", self.source));
        let bucket = match &self.bucket {
            Some(id) => model.buckets.iter().find(|b| b.logical_id == *id || b.name == *id),
            None if model.buckets.len() == 1 => model.buckets.first(),
            None => None,
        }
        .unwrap_or_else(|| {
            let known: Vec<&str> = model.buckets.iter().map(|b| b.logical_id.as_str()).collect();
            panic!("choose a bucket with .bucket(…); the template's buckets are [{}]", known.join(", "))
        });
        evaluate_cell(model, source, action, bucket)
    }

    /// Returns the decision.
    pub fn decision(&self) -> Decision {
        self.evaluation().decision
    }

    /// Returns the deciding statements' labels.
    pub fn statements(&self) -> Vec<String> {
        self.evaluation().statements().into_iter().map(str::to_owned).collect()
    }

    fn fail(&self, expected: &str, evaluation: &Evaluation) -> ! {
        panic!(
            "expected {} {} to be {expected}, but it is {}: {}",
            self.source,
            self.action.as_deref().unwrap_or("?"),
            evaluation.decision,
            evaluation.reason
        )
    }

    /// Asserts the request is allowed.
    ///
    /// # Panics
    /// When it is not, with the deciding layer and statement.
    pub fn is_allowed(&self) {
        let evaluation = self.evaluation();
        if !evaluation.decision.is_allowed() {
            self.fail("allowed", &evaluation);
        }
    }

    /// Asserts the request is denied, in any of the three ways.
    ///
    /// # Panics
    /// When it is allowed, with the statements that allow it.
    pub fn is_denied(&self) {
        let evaluation = self.evaluation();
        if evaluation.decision.is_allowed() {
            self.fail("denied", &evaluation);
        }
    }

    /// Asserts the exact decision.
    ///
    /// # Panics
    /// When the decision differs.
    pub fn is(&self, decision: Decision) {
        let evaluation = self.evaluation();
        if evaluation.decision != decision {
            self.fail(decision.as_str(), &evaluation);
        }
    }

    /// Asserts the request is denied by an explicit Deny in `layer` whose
    /// `Sid` is `sid`.
    ///
    /// # Panics
    /// When it is not.
    pub fn is_denied_by(&self, layer: Layer, sid: &str) {
        let evaluation = self.evaluation();
        let matched = evaluation.decision == Decision::ExplicitlyDenied
            && evaluation.decided_by.iter().any(|d| d.layer == layer && d.statement.as_deref() == Some(sid));
        if !matched {
            self.fail(&format!("explicitly denied by {layer} statement {sid}"), &evaluation);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> AccessAssert {
        let template = Template::parse(include_str!("../../tests/fixtures/backup-stack.json"), "backup-stack.json").unwrap();
        assert_access(&template)
    }

    #[test]
    fn one_line_facts_hold() {
        let access = fixture();
        access.source("PrivateSubnet").action("s3:PutObject").is_allowed();
        access.source("PrivateInstance").action("s3:PutObject").is_allowed();
        access.source("PrivateSubnet").action("s3:DeleteObjectVersion").is_denied();
        access.source("PublicSubnet").action("s3:PutObject").is_denied_by(Layer::Resource, "DenyOutsideBackupEndpoint");
        access.source("RestoreRole").action("s3:GetObjectVersion").is_allowed();
        access.source("console-admin").action("s3:DeleteObjectVersion").is(Decision::Denied);
        access.source("PrivateSubnet").action("s3:AbortMultipartUpload").is(Decision::ImplicitlyDenied);
        access.has_no_finding("no-restore-path");
    }

    #[test]
    #[should_panic(expected = "expected PublicSubnet s3:PutObject to be allowed, but it is ExplicitlyDenied")]
    fn failure_names_decision() {
        fixture().source("PublicSubnet").action("s3:PutObject").is_allowed();
    }

    #[test]
    #[should_panic(expected = "no request source `Nowhere`; the sources are PrivateSubnet, ")]
    fn unknown_source_lists_sources() {
        fixture().source("Nowhere").action("s3:PutObject").is_allowed();
    }
}

//! `LockedBucket`: an S3 bucket that holds only backups, which nobody can
//! change or delete once written, and its bucket policy.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use vaultgate_core::policy::{PolicyDocument, Principal, Statement};
use vaultgate_core::resources::s3::bucket;
use vaultgate_core::resources::{kms, s3};
use vaultgate_core::template::DeletionPolicy;
use vaultgate_core::validate::bucket_name_violations;
use vaultgate_core::{Expr, LogicalId, Scope};

use crate::actions;
use crate::checks::{kms_key_arn_problem, MAX_RETENTION_DAYS};
use crate::error::{warning, ConstructError, PropChecker};
use crate::iam::{attach_inline_policy, this_account};

/// Object Lock retention mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum RetentionMode {
    /// Nobody, not even the account root, can delete or overwrite a locked
    /// version or shorten its retention until it expires.
    #[default]
    #[serde(rename = "COMPLIANCE")]
    Compliance,
    /// Principals with `s3:BypassGovernanceRetention` can delete locked
    /// versions early; everyone else cannot.
    #[serde(rename = "GOVERNANCE")]
    Governance,
}

impl RetentionMode {
    fn as_str(self) -> &'static str {
        match self {
            RetentionMode::Compliance => "COMPLIANCE",
            RetentionMode::Governance => "GOVERNANCE",
        }
    }
}

/// Default Object Lock retention of each new object version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionProps {
    /// Retention mode. Default: `COMPLIANCE`, which even the account root
    /// cannot bypass; the trade-off is that a mistaken upload stays (and is
    /// billed) until its retention ends.
    pub mode: RetentionMode,
    /// Retention in days, greater than zero. Set either `days` or `years`.
    /// Default: 30 days when neither is set.
    pub days: Option<u32>,
    /// Retention in years, greater than zero. Set either `days` or `years`.
    pub years: Option<u32>,
}

impl Default for RetentionProps {
    fn default() -> Self {
        RetentionProps { mode: RetentionMode::Compliance, days: None, years: None }
    }
}

impl RetentionProps {
    /// Returns the retention in days, counting a year as 365 days; 30 when neither
    /// field is set.
    pub fn in_days(&self) -> u32 {
        match (self.days, self.years) {
            (Some(days), _) => days,
            (None, Some(years)) => years.saturating_mul(365),
            (None, None) => 30,
        }
    }
}

/// Versioning status. Object Lock works only on versioned buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum VersioningStatus {
    /// Every overwrite keeps the previous version.
    #[default]
    Enabled,
    /// Rejected: S3 refuses to suspend versioning on an Object Lock bucket.
    Suspended,
}

/// Server-side encryption at rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Encryption {
    /// SSE-S3 (AES-256 with keys S3 manages): no key to lose and no KMS cost.
    #[default]
    S3Managed,
    /// SSE-KMS with a customer managed key: key use is logged and can be
    /// revoked, at the cost of KMS requests and of a key whose loss makes
    /// the backups unreadable. The writer is also granted
    /// `kms:GenerateDataKey` and `kms:Decrypt`, the restore role `kms:Decrypt`.
    Kms,
}

/// The fate of the bucket when the stack is deleted or the bucket is
/// replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RemovalPolicy {
    /// The bucket and its backups stay when the stack is deleted or the
    /// bucket is replaced.
    #[default]
    Retain,
    /// The bucket is deleted with the stack. A loud opt-in: synth warns, and
    /// S3 still refuses to delete a bucket that holds locked versions.
    DestroyBackups,
}

/// Props of [`LockedBucket`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LockedBucketProps {
    /// The bucket's name. Default: a name CloudFormation generates. A fixed
    /// name with the `retain` removal policy means that re-creating the stack
    /// fails until the retained bucket is renamed or removed by hand, and
    /// setting or changing a name later replaces the bucket.
    pub bucket_name: Option<String>,
    /// Versioning status. Default: `Enabled`, which Object Lock requires;
    /// `Suspended` is rejected.
    pub versioning: VersioningStatus,
    /// Default retention of every new object version. Default: COMPLIANCE
    /// mode for 30 days.
    pub retention: RetentionProps,
    /// Encryption at rest. Default: SSE-S3.
    pub encryption: Encryption,
    /// ARN of an existing KMS key, with `encryption = "kms"`. Default: a new
    /// customer managed key with rotation on, kept when the stack is deleted.
    pub kms_key_arn: Option<String>,
    /// Days after which an incomplete multipart upload is aborted and its
    /// parts deleted. Default: 7.
    pub abort_incomplete_multipart_upload_days: u32,
    /// Days after which a noncurrent version expires; at least the
    /// retention, so that lifecycle never fights the lock. Default: the
    /// retention in days.
    pub noncurrent_version_expiration_days: Option<u32>,
    /// The fate of the bucket when the stack is deleted or the bucket is
    /// replaced. Default: retain.
    pub removal_policy: RemovalPolicy,
}

impl Default for LockedBucketProps {
    fn default() -> Self {
        LockedBucketProps {
            bucket_name: None,
            versioning: VersioningStatus::Enabled,
            retention: RetentionProps::default(),
            encryption: Encryption::S3Managed,
            kms_key_arn: None,
            abort_incomplete_multipart_upload_days: 7,
            noncurrent_version_expiration_days: None,
            removal_policy: RemovalPolicy::Retain,
        }
    }
}

impl LockedBucketProps {
    /// Collects every invalid or unsafe prop under `field`.
    pub(crate) fn check(&self, checker: &mut PropChecker, field: &str) {
        if let Some(name) = &self.bucket_name {
            let violations = bucket_name_violations(name);
            if !violations.is_empty() {
                checker.reject(
                    &format!("{field}.bucket_name"),
                    format!("{name:?}"),
                    format!("invalid S3 bucket name: {}; or leave it out to let CloudFormation generate one", violations.join("; ")),
                );
            }
        }
        if self.versioning == VersioningStatus::Suspended {
            checker.reject(
                &format!("{field}.versioning"),
                "\"Suspended\"",
                "Object Lock requires versioning to stay Enabled; remove the setting",
            );
        }
        let retention = &self.retention;
        match (retention.days, retention.years) {
            (Some(days), Some(years)) => checker.reject(
                &format!("{field}.retention"),
                format!("days = {days}, years = {years}"),
                "set either days or years, not both",
            ),
            (Some(0), None) => checker.reject(&format!("{field}.retention.days"), 0, "retention must be greater than zero"),
            (None, Some(0)) => checker.reject(&format!("{field}.retention.years"), 0, "retention must be greater than zero"),
            (Some(days), None) if days > MAX_RETENTION_DAYS => checker.reject(
                &format!("{field}.retention.days"),
                days,
                format!("retention is limited to {MAX_RETENTION_DAYS} days (100 years)"),
            ),
            (None, Some(years)) if years > MAX_RETENTION_DAYS / 365 => checker.reject(
                &format!("{field}.retention.years"),
                years,
                format!("retention is limited to {} years", MAX_RETENTION_DAYS / 365),
            ),
            _ => {}
        }
        if let Some(days) = self.noncurrent_version_expiration_days {
            if days < retention.in_days() {
                checker.reject(
                    &format!("{field}.noncurrent_version_expiration_days"),
                    days,
                    format!("noncurrent versions would be due to expire before their {}-day retention ends; use at least {}", retention.in_days(), retention.in_days()),
                );
            }
        }
        if self.abort_incomplete_multipart_upload_days == 0 {
            checker.reject(
                &format!("{field}.abort_incomplete_multipart_upload_days"),
                0,
                "must be at least 1 day",
            );
        }
        if let Some(problem) = self.kms_key_arn.as_deref().and_then(kms_key_arn_problem) {
            checker.reject(&format!("{field}.kms_key_arn"), format!("{:?}", self.kms_key_arn.as_deref().unwrap_or_default()), problem);
        }
        if let Some(days) = self.noncurrent_version_expiration_days {
            if days > MAX_RETENTION_DAYS * 2 {
                checker.reject(&format!("{field}.noncurrent_version_expiration_days"), days, format!("use at most {}", MAX_RETENTION_DAYS * 2));
            }
        }
        if self.kms_key_arn.is_some() && self.encryption != Encryption::Kms {
            checker.reject(
                &format!("{field}.kms_key_arn"),
                format!("{:?}", self.kms_key_arn.as_deref().unwrap_or_default()),
                "a KMS key is used only with encryption = \"kms\"; set that or remove the key",
            );
        }
    }
}

/// An S3 bucket for backups: versioned, Object Lock with a default
/// retention, public access blocked, ACLs disabled, encrypted, retained
/// when the stack is deleted, with lifecycle rules that clean up aborted
/// uploads and expire noncurrent versions only after their retention.
///
/// Its bucket policy starts with a deny of every request without TLS; the
/// pattern adds the endpoint and writer restrictions through
/// [`LockedBucket::deny_outside_endpoint`] and
/// [`LockedBucket::deny_uploads_except`].
///
/// ```
/// use vaultgate_constructs::locked_bucket::{LockedBucket, LockedBucketProps};
///
/// let mut stack = vaultgate_core::Stack::new("Demo");
/// let bucket = LockedBucket::new(&mut stack.root(), "Backups", &LockedBucketProps::default()).unwrap();
/// let template = stack.synth().unwrap().template;
/// assert_eq!(template.resources[bucket.bucket.as_str()].properties["ObjectLockEnabled"], true);
/// ```
#[derive(Debug, Clone)]
pub struct LockedBucket {
    /// The bucket resource.
    pub bucket: LogicalId,
    /// The bucket policy resource.
    pub policy: LogicalId,
    /// The KMS key ARN with SSE-KMS.
    pub kms_key_arn: Option<Expr>,
    statements: Vec<Statement>,
}

impl LockedBucket {
    /// Creates the bucket, its policy and, for SSE-KMS without a given key,
    /// the key.
    ///
    /// # Errors
    /// [`ConstructError::InvalidProps`] listing every invalid prop: a bucket
    /// name that breaks S3's rules, versioning `Suspended`, a retention of
    /// zero or in both days and years, lifecycle expiry shorter than the
    /// retention, a KMS key without KMS encryption.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: &LockedBucketProps) -> Result<LockedBucket, ConstructError> {
        let mut checker = PropChecker::default();
        props.check(&mut checker, "bucket");
        checker.finish(format!("{}/{id}", scope.path()))?;
        let mut scope = scope.child(id)?;

        let path = scope.path();
        let retention_days = props.retention.in_days();
        if retention_days > 365 {
            scope.stack().report(warning(
                path.clone(),
                format!("retention of {retention_days} days: every version is kept (and billed) at least that long, and COMPLIANCE mode cannot be shortened"),
            ));
        }
        if props.bucket_name.is_some() && props.removal_policy == RemovalPolicy::Retain {
            scope.stack().report(warning(
                path.clone(),
                "a fixed bucket name with Retain: re-creating the stack fails while the retained bucket exists; leave the name out to let CloudFormation generate one",
            ));
        }
        if props.removal_policy == RemovalPolicy::DestroyBackups {
            scope.stack().report(warning(
                path.clone(),
                "removal_policy = \"destroy_backups\": deleting the stack deletes the backup bucket once its versions are no longer locked",
            ));
        }

        let kms_key_arn = match (props.encryption, &props.kms_key_arn) {
            (Encryption::Kms, Some(arn)) => Some(Expr::string(arn.clone())),
            (Encryption::Kms, None) => {
                let key_policy = PolicyDocument::new(vec![Statement::allow()
                    .sid("AllowAccountToManageKeyThroughIam")
                    .principal(this_account())
                    .actions(&["kms:*"])
                    .resource(Expr::string("*"))]);
                let mut key = kms::Key::new();
                key.description = Some("Encrypts the backup bucket's objects".into());
                key.enable_key_rotation = Some(true.into());
                key.key_policy = Some(key_policy.to_json().into());
                let key = scope.add_resource("Key", key)?;
                let resource = scope.resource_mut(&key).expect("just added");
                resource.deletion_policy = Some(DeletionPolicy::Retain);
                resource.update_replace_policy = Some(DeletionPolicy::Retain);
                Some(kms::Key::arn(&key))
            }
            (Encryption::S3Managed, _) => None,
        };

        let bucket = scope.add_resource("Resource", bucket_properties(props, kms_key_arn.as_ref()))?;
        let removal = match props.removal_policy {
            RemovalPolicy::Retain => DeletionPolicy::Retain,
            RemovalPolicy::DestroyBackups => DeletionPolicy::Delete,
        };
        let resource = scope.resource_mut(&bucket).expect("just added");
        resource.deletion_policy = Some(removal);
        resource.update_replace_policy = Some(removal);

        let mut statements = vec![Statement::deny()
            .sid("DenyInsecureTransport")
            .principal(Principal::Anyone)
            .actions(&["s3:*"])
            .resource(bucket_arn(&bucket))
            .resource(objects_arn(&bucket))
            .condition("Bool", "aws:SecureTransport", vec![Expr::string("false")])];
        if let Some(key) = &kms_key_arn {
            // Default encryption covers uploads that name no encryption, so
            // these denies apply only when a request sends the header (the
            // Null condition) and names SSE-S3 or another key. A negated
            // operator alone, IfExists or not, also matches an absent header
            // and would refuse every plain upload.
            statements.push(
                Statement::deny()
                    .sid("DenyUploadsWithOtherEncryption")
                    .principal(Principal::Anyone)
                    .actions(&["s3:PutObject"])
                    .resource(bucket_arn(&bucket))
                    .resource(objects_arn(&bucket))
                    .condition("Null", "s3:x-amz-server-side-encryption", vec![Expr::string("false")])
                    .condition("StringNotEquals", "s3:x-amz-server-side-encryption", vec![Expr::string("aws:kms")]),
            );
            statements.push(
                Statement::deny()
                    .sid("DenyUploadsWithOtherKmsKey")
                    .principal(Principal::Anyone)
                    .actions(&["s3:PutObject"])
                    .resource(bucket_arn(&bucket))
                    .resource(objects_arn(&bucket))
                    .condition("Null", "s3:x-amz-server-side-encryption-aws-kms-key-id", vec![Expr::string("false")])
                    .condition("StringNotEquals", "s3:x-amz-server-side-encryption-aws-kms-key-id", vec![key.clone()]),
            );
        }
        let document = PolicyDocument::new(statements);
        let policy = scope.add_resource("Policy", s3::BucketPolicy::new(bucket.reference(), document.to_json()))?;
        Ok(LockedBucket { bucket, policy, kms_key_arn, statements: document.statements })
    }

    /// `arn:PARTITION:s3:::BUCKET`, the bucket's ARN.
    pub fn arn(&self) -> Expr {
        bucket_arn(&self.bucket)
    }

    /// `arn:PARTITION:s3:::BUCKET/*`, the ARN of every object in the bucket.
    pub fn objects_arn(&self) -> Expr {
        objects_arn(&self.bucket)
    }

    /// `Ref` to the bucket: its name.
    pub fn bucket_name(&self) -> Expr {
        self.bucket.reference()
    }

    /// Appends a statement to the bucket policy.
    ///
    /// Only the new statement is serialized and appended to the policy
    /// resource's `Statement` list, so statements added to that list through
    /// [`Scope::resource_mut`] are kept. When the resource's `PolicyDocument`
    /// has no `Statement` list, the document is written again from every
    /// statement this construct added.
    ///
    /// # Errors
    /// [`ConstructError::NotInStack`] when `scope` belongs to another stack
    /// than the bucket.
    pub fn add_to_resource_policy(&mut self, scope: &mut Scope<'_>, statement: Statement) -> Result<(), ConstructError> {
        let Some(policy) = scope.resource_mut(&self.policy) else {
            return Err(ConstructError::NotInStack { path: scope.path(), logical_id: self.policy.to_string() });
        };
        let written = policy.properties.get_mut("PolicyDocument").and_then(|document| document.get_mut("Statement"));
        if let Some(Json::Array(written)) = written {
            written.push(statement.to_json());
            self.statements.push(statement);
        } else {
            self.statements.push(statement);
            let document = PolicyDocument::new(self.statements.clone());
            policy.properties.insert("PolicyDocument".to_owned(), document.to_json());
        }
        Ok(())
    }

    /// Denies every object write and delete that does not arrive through
    /// `endpoint_id`. The condition key is `aws:SourceVpce`, because
    /// `aws:SourceVpc` would let any other endpoint in the VPC through.
    /// Object reads and listings outside the endpoint are denied too, except
    /// for `readers` (the restore role). They are matched on
    /// `aws:PrincipalArn`, the role's ARN whatever session assumed it.
    ///
    /// The denies cover object actions only, never bucket management such
    /// as `s3:PutBucketPolicy`: a deny-unless-endpoint on `s3:*` would lock
    /// out the console and CloudFormation itself from every later update.
    /// The trade-off is that an operator whose IAM policy allows
    /// `s3:PutBucketPolicy` can loosen this policy; the COMPLIANCE lock still
    /// protects every version already written.
    ///
    /// # Errors
    /// [`ConstructError::NotInStack`] when `scope` belongs to another stack.
    pub fn deny_outside_endpoint(&mut self, scope: &mut Scope<'_>, endpoint_id: Expr, readers: Vec<Expr>) -> Result<(), ConstructError> {
        let writes = Statement::deny()
            .sid("DenyObjectWritesOutsideBackupEndpoint")
            .principal(Principal::Anyone)
            .actions(actions::OBJECT_WRITES)
            .resource(self.arn())
            .resource(self.objects_arn())
            .condition("StringNotEquals", "aws:SourceVpce", vec![endpoint_id.clone()]);
        self.add_to_resource_policy(scope, writes)?;

        let mut reads = Statement::deny()
            .sid("DenyObjectReadsOutsideBackupEndpoint")
            .principal(Principal::Anyone)
            .actions(actions::OBJECT_READS)
            .resource(self.arn())
            .resource(self.objects_arn())
            .condition("StringNotEquals", "aws:SourceVpce", vec![endpoint_id]);
        if !readers.is_empty() {
            reads = reads.condition("ArnNotEquals", "aws:PrincipalArn", readers);
        }
        self.add_to_resource_policy(scope, reads)
    }

    /// Denies uploads by any principal other than `writer_arn` (the backup
    /// writer role's ARN), so that no other principal can add object versions.
    ///
    /// # Errors
    /// [`ConstructError::NotInStack`] when `scope` belongs to another stack.
    pub fn deny_uploads_except(&mut self, scope: &mut Scope<'_>, writer_arn: Expr) -> Result<(), ConstructError> {
        let statement = Statement::deny()
            .sid("DenyUploadsExceptBackupWriter")
            .principal(Principal::Anyone)
            .actions(actions::UPLOAD)
            .resource(self.arn())
            .resource(self.objects_arn())
            .condition("ArnNotEquals", "aws:PrincipalArn", vec![writer_arn]);
        self.add_to_resource_policy(scope, statement)
    }

    /// Grants `role` exactly `s3:PutObject` and `s3:AbortMultipartUpload` on
    /// the bucket's objects (and the KMS actions an upload needs with
    /// SSE-KMS), and returns the statements added.
    ///
    /// # Errors
    /// [`ConstructError::NotInStack`] when `role` is not a resource of
    /// `scope`'s stack.
    pub fn grant_upload(&self, scope: &mut Scope<'_>, role: &LogicalId) -> Result<Vec<Statement>, ConstructError> {
        let mut statements =
            vec![Statement::allow().sid("UploadBackups").actions(actions::UPLOAD).resource(self.objects_arn())];
        if let Some(key) = &self.kms_key_arn {
            statements.push(Statement::allow().sid("EncryptBackups").actions(actions::KMS_WRITE).resource(key.clone()));
        }
        attach_inline_policy(scope, role, "BackupUpload", &PolicyDocument::new(statements.clone()))?;
        Ok(statements)
    }

    /// Grants `role` listing and reading of object versions, and nothing
    /// else (plus `kms:Decrypt` with SSE-KMS), and returns the statements
    /// added.
    ///
    /// # Errors
    /// [`ConstructError::NotInStack`] when `role` is not a resource of
    /// `scope`'s stack.
    pub fn grant_restore(&self, scope: &mut Scope<'_>, role: &LogicalId) -> Result<Vec<Statement>, ConstructError> {
        let mut statements = vec![
            Statement::allow()
                .sid("ListBackupVersions")
                .actions(&["s3:ListBucket", "s3:ListBucketVersions"])
                .resource(self.arn()),
            Statement::allow()
                .sid("ReadBackupVersions")
                .actions(&["s3:GetObject", "s3:GetObjectVersion"])
                .resource(self.objects_arn()),
        ];
        if let Some(key) = &self.kms_key_arn {
            statements.push(Statement::allow().sid("DecryptBackups").actions(actions::KMS_READ).resource(key.clone()));
        }
        attach_inline_policy(scope, role, "BackupRestore", &PolicyDocument::new(statements.clone()))?;
        Ok(statements)
    }
}

fn bucket_arn(bucket: &LogicalId) -> Expr {
    Expr::sub(format!("arn:${{AWS::Partition}}:s3:::${{{bucket}}}"))
}

fn objects_arn(bucket: &LogicalId) -> Expr {
    Expr::sub(format!("arn:${{AWS::Partition}}:s3:::${{{bucket}}}/*"))
}

fn bucket_properties(props: &LockedBucketProps, kms_key_arn: Option<&Expr>) -> s3::Bucket {
    let retention = &props.retention;
    let mut default_retention = bucket::DefaultRetention::new();
    default_retention.mode = Some(retention.mode.as_str().into());
    match (retention.days, retention.years) {
        (None, Some(years)) => default_retention.years = Some(i64::from(years).into()),
        _ => default_retention.days = Some(i64::from(retention.in_days()).into()),
    }
    let mut lock_rule = bucket::ObjectLockRule::new();
    lock_rule.default_retention = Some(default_retention.into());
    let mut object_lock = bucket::ObjectLockConfiguration::new();
    object_lock.object_lock_enabled = Some("Enabled".into());
    object_lock.rule = Some(lock_rule.into());

    let mut public_access = bucket::PublicAccessBlockConfiguration::new();
    public_access.block_public_acls = Some(true.into());
    public_access.block_public_policy = Some(true.into());
    public_access.ignore_public_acls = Some(true.into());
    public_access.restrict_public_buckets = Some(true.into());

    let mut ownership_rule = bucket::OwnershipControlsRule::new();
    ownership_rule.object_ownership = Some("BucketOwnerEnforced".into());

    let mut encryption_default = match kms_key_arn {
        Some(_) => bucket::ServerSideEncryptionByDefault::new("aws:kms"),
        None => bucket::ServerSideEncryptionByDefault::new("AES256"),
    };
    encryption_default.kms_master_key_id = kms_key_arn.map(|key| key.clone().into());
    let mut encryption_rule = bucket::ServerSideEncryptionRule::new();
    encryption_rule.server_side_encryption_by_default = Some(encryption_default.into());
    encryption_rule.bucket_key_enabled = Some(kms_key_arn.is_some().into());

    let mut abort_uploads = bucket::Rule::new("Enabled");
    abort_uploads.id = Some("AbortIncompleteMultipartUploads".into());
    abort_uploads.abort_incomplete_multipart_upload = Some(
        bucket::AbortIncompleteMultipartUpload::new(i64::from(props.abort_incomplete_multipart_upload_days)).into(),
    );
    let noncurrent_days = props.noncurrent_version_expiration_days.unwrap_or_else(|| retention.in_days());
    let mut expire_noncurrent = bucket::Rule::new("Enabled");
    expire_noncurrent.id = Some("ExpireNoncurrentVersionsAfterRetention".into());
    expire_noncurrent.noncurrent_version_expiration =
        Some(bucket::NoncurrentVersionExpiration::new(i64::from(noncurrent_days)).into());

    let mut bucket = s3::Bucket::new();
    bucket.bucket_name = props.bucket_name.as_deref().map(Into::into);
    bucket.versioning_configuration = Some(bucket::VersioningConfiguration::new("Enabled").into());
    bucket.object_lock_enabled = Some(true.into());
    bucket.object_lock_configuration = Some(object_lock.into());
    bucket.public_access_block_configuration = Some(public_access.into());
    bucket.ownership_controls = Some(bucket::OwnershipControls::new(vec![ownership_rule.into()]).into());
    bucket.bucket_encryption = Some(bucket::BucketEncryption::new(vec![encryption_rule.into()]).into());
    bucket.lifecycle_configuration =
        Some(bucket::LifecycleConfiguration::new(vec![abort_uploads.into(), expire_noncurrent.into()]).into());
    bucket
}

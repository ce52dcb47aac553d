//! IAM action lists used by the constructs, named once so that every grant,
//! endpoint policy and deny statement draws on the same lists.

/// Uploading one object, in one request or in parts. Multipart uploads need
/// `s3:PutObject` for every part and `s3:AbortMultipartUpload` to clean up.
/// `s3:PutObject*` is deliberately not used: that glob also matches
/// `s3:PutObjectAcl`, `s3:PutObjectRetention` and `s3:PutObjectLegalHold`.
pub const UPLOAD: &[&str] = &["s3:PutObject", "s3:AbortMultipartUpload"];

/// Reading objects and their versions back, and listing them: the restore path.
pub const RESTORE: &[&str] = &["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions"];

/// Object actions that change or remove backups or their protection.
pub const OBJECT_WRITES: &[&str] = &[
    "s3:PutObject",
    "s3:AbortMultipartUpload",
    "s3:PutObjectAcl",
    "s3:PutObjectVersionAcl",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:RestoreObject",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:ReplicateObject",
    "s3:ReplicateDelete",
    "s3:ReplicateTags",
];

/// Object and listing actions that read backups.
pub const OBJECT_READS: &[&str] = &[
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectAttributes",
    "s3:GetObjectVersionAttributes",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:ListMultipartUploadParts",
];

/// Reading the Amazon Linux package repositories, which are S3 buckets, so
/// that `dnf` works on an instance whose only route to S3 is the endpoint.
pub const PACKAGE_REPOSITORY_READ: &[&str] = &["s3:GetObject"];

/// KMS actions a writer needs on the bucket key when the bucket uses SSE-KMS:
/// `GenerateDataKey` to encrypt each upload and `Decrypt` to finish
/// multipart uploads.
pub const KMS_WRITE: &[&str] = &["kms:GenerateDataKey", "kms:Decrypt"];

/// KMS actions a reader needs to decrypt SSE-KMS objects.
pub const KMS_READ: &[&str] = &["kms:Decrypt"];

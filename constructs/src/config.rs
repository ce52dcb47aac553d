//! `BackupConfig`: the settings file of `vaultgate synth --config`, which
//! names the stack and sets every prop of the backup architecture.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use vaultgate_core::validate::{stack_name_violations, tag_violations, MAX_TAGS};
use vaultgate_core::Stack;

use crate::backup_architecture::{BackupArchitecture, BackupArchitectureProps, NetworkProps, RestoreProps};
use crate::backup_instance::BackupInstanceOptions;
use crate::bastion_host::BastionHostOptions;
use crate::error::{ConstructError, PropChecker};
use crate::locked_bucket::LockedBucketProps;
use crate::s3_gateway_endpoint::S3GatewayEndpointOptions;

/// The construct id of the architecture inside its stack.
pub const ARCHITECTURE_ID: &str = "Backup";

/// A whole stack of the backup architecture, as read from a TOML or JSON
/// settings file. Every field is optional; unknown fields are rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BackupConfig {
    /// The stack's name: the root of every construct path and of the
    /// logical IDs' hashes, and the name to deploy the stack under. It must
    /// follow CloudFormation's stack name rules. Default: `VaultgateBackup`.
    pub stack_name: String,
    /// The template's description. Default: a sentence naming the architecture.
    pub description: String,
    /// Tags applied to every taggable resource. Default: none.
    pub tags: BTreeMap<String, String>,
    /// Subnet layout.
    pub network: NetworkProps,
    /// The backup bucket.
    pub bucket: LockedBucketProps,
    /// The S3 gateway endpoint.
    pub endpoint: S3GatewayEndpointOptions,
    /// The bastion.
    pub bastion: BastionHostOptions,
    /// The backup instance.
    pub backup_instance: BackupInstanceOptions,
    /// The restore role.
    pub restore: RestoreProps,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            stack_name: "VaultgateBackup".to_owned(),
            description: "Private-subnet backups to a locked S3 bucket through an S3 gateway endpoint (vaultgate)".to_owned(),
            tags: BTreeMap::new(),
            network: NetworkProps::default(),
            bucket: LockedBucketProps::default(),
            endpoint: S3GatewayEndpointOptions::default(),
            bastion: BastionHostOptions::default(),
            backup_instance: BackupInstanceOptions::default(),
            restore: RestoreProps::default(),
        }
    }
}

impl BackupConfig {
    /// The props of the architecture construct.
    pub fn architecture_props(&self) -> BackupArchitectureProps {
        BackupArchitectureProps {
            network: self.network.clone(),
            bucket: self.bucket.clone(),
            endpoint: self.endpoint.clone(),
            bastion: self.bastion.clone(),
            backup_instance: self.backup_instance.clone(),
            restore: self.restore.clone(),
        }
    }

    /// Collects every invalid setting, the architecture's `props` (made by
    /// [`BackupConfig::architecture_props`]) included, so that one run
    /// reports all of them.
    fn check(&self, props: &BackupArchitectureProps, checker: &mut PropChecker) {
        let violations = stack_name_violations(&self.stack_name);
        if !violations.is_empty() {
            checker.reject("stack_name", format!("{:?}", self.stack_name), format!("invalid CloudFormation stack name: {}", violations.join("; ")));
        }
        if self.tags.len() > MAX_TAGS {
            checker.reject("tags", format!("{} tags", self.tags.len()), format!("a resource takes at most {MAX_TAGS} tags"));
        }
        for (key, value) in &self.tags {
            let violations = tag_violations(key, value);
            if !violations.is_empty() {
                checker.reject(&format!("tags.{key}"), format!("{value:?}"), format!("invalid tag: {}", violations.join("; ")));
            }
        }
        props.check(checker);
    }

    /// Builds the stack.
    ///
    /// # Errors
    /// [`ConstructError::InvalidProps`] listing every invalid setting, with
    /// its field name as written in the settings file.
    pub fn build(&self) -> Result<Stack, ConstructError> {
        let props = self.architecture_props();
        let mut checker = PropChecker::default();
        self.check(&props, &mut checker);
        checker.finish(self.stack_name.clone())?;

        let mut stack = Stack::new(&self.stack_name);
        stack.set_description(&self.description);
        for (key, value) in &self.tags {
            stack.add_tag(key, value);
        }
        BackupArchitecture::new(&mut stack.root(), ARCHITECTURE_ID, &props)?;
        Ok(stack)
    }
}

//! Typed constructs for the private-subnet S3 backup architecture.
//!
//! Each construct creates typed L1 resources from [`vaultgate_core`] and
//! wires them with references; each validates its props when it is
//! created and reports every problem at once. [`BackupArchitecture`]
//! composes them into the whole architecture, and [`BackupConfig`] is the
//! settings file that `vaultgate synth --config` reads.
//!
//! ```
//! let template = vaultgate_constructs::default_template();
//! let buckets = template.resources.values().filter(|r| r.resource_type == "AWS::S3::Bucket").count();
//! assert_eq!(buckets, 1);
//! ```
#![deny(missing_docs)]

pub mod actions;
pub mod backup_architecture;
pub mod backup_instance;
pub mod bastion_host;
mod checks;
pub mod config;
pub mod error;
mod iam;
pub mod instance;
pub mod locked_bucket;
pub mod private_backup_subnet;
pub mod s3_gateway_endpoint;
pub mod vpc;

pub use backup_architecture::{BackupArchitecture, BackupArchitectureProps};
pub use backup_instance::BackupInstance;
pub use bastion_host::BastionHost;
pub use config::BackupConfig;
pub use error::ConstructError;
pub use locked_bucket::LockedBucket;
pub use private_backup_subnet::PrivateBackupSubnet;
pub use s3_gateway_endpoint::S3GatewayEndpoint;

/// Synthesizes the default stack, [`BackupConfig::default`].
///
/// # Panics
/// Never in practice: the default config is valid, and a test keeps it so.
pub fn default_template() -> vaultgate_core::Template {
    let stack = BackupConfig::default().build().expect("the default config is valid");
    stack.synth().expect("the default stack is valid").template
}

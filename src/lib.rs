//! vaultgate synthesizes AWS CloudFormation templates from typed Rust constructs.
//!
//! This root crate re-exports the public API: the core model and machinery from
//! [`vaultgate_core`] and the backup constructs from [`vaultgate_constructs`].

pub use vaultgate_constructs as constructs;
pub use vaultgate_core::*;

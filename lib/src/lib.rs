//! Core of vaultgate: the CloudFormation template model, intrinsic functions,
//! typed resources, the construct tree with its logical ID allocator,
//! synth-time validation, IAM policy documents and access evaluation.
//!
//! ```
//! use vaultgate_core::{Expr, Stack};
//! use vaultgate_core::template::Resource;
//!
//! let mut stack = Stack::new("Demo");
//! let mut root = stack.root();
//! let topic = root.add_resource("Alerts", Resource::new("AWS::SNS::Topic")).unwrap();
//! root.add_output("TopicArn", Expr::reference(topic.as_str()), "Alert topic").unwrap();
//! let synthesized = stack.synth().unwrap();
//! assert!(synthesized.template.resources.contains_key("Alerts"));
//! ```
#![deny(missing_docs)]

pub mod access;
pub mod assertions;
pub mod batch;
pub mod construct;
pub mod error;
pub mod expr;
pub mod policy;
pub mod resources;
pub mod stack;
pub mod template;
pub mod validate;
pub mod write;

pub use construct::{LogicalId, Scope};
pub use error::Error;
pub use expr::{Expr, Pseudo, Value};
pub use stack::{App, Stack, Synthesized};
pub use template::{Format, Template};
pub use validate::{Problem, Severity};

//! The result of an evaluation: one of four decisions, the layers and
//! statements that decided it, and a sentence that explains it.

use serde::Serialize;

/// The outcome of an authorization request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub enum Decision {
    /// Every layer that must allow did, and nothing denied.
    Allowed,
    /// A `Deny` statement in some layer matched.
    ExplicitlyDenied,
    /// No `Deny` matched, but a layer that must allow did not.
    ImplicitlyDenied,
    /// IAM allowed the request, but the service refuses it because of the
    /// resource's own state, such as Object Lock retention.
    Denied,
}

impl Decision {
    /// Returns `true` only for [`Decision::Allowed`].
    pub fn is_allowed(self) -> bool {
        self == Decision::Allowed
    }

    /// Returns the name used in scenario files and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "Allowed",
            Decision::ExplicitlyDenied => "ExplicitlyDenied",
            Decision::ImplicitlyDenied => "ImplicitlyDenied",
            Decision::Denied => "Denied",
        }
    }

    /// Parses the name used in scenario files.
    pub fn from_name(name: &str) -> Option<Decision> {
        [Decision::Allowed, Decision::ExplicitlyDenied, Decision::ImplicitlyDenied, Decision::Denied]
            .into_iter()
            .find(|decision| decision.as_str() == name)
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A layer of the evaluation: a policy type, or the service's own state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    /// Identity-based policies of the caller.
    Identity,
    /// The resource-based policy (the bucket policy).
    Resource,
    /// The policy of the VPC endpoint the request went through.
    VpcEndpoint,
    /// Service control policies, one level of the organization at a time.
    Scp,
    /// Resource control policies.
    Rcp,
    /// The caller's permissions boundary.
    PermissionBoundary,
    /// The session policy passed when the role was assumed.
    Session,
    /// S3 Object Lock retention and legal holds.
    ObjectLock,
    /// A rule of the service outside policies, such as bucket-policy calls
    /// being accepted only from the bucket owner's account.
    Service,
    /// The network: no route carries the request to S3.
    Network,
}

impl Layer {
    /// Returns the kebab-case name used in output, such as `vpc-endpoint`.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Identity => "identity",
            Layer::Resource => "resource",
            Layer::VpcEndpoint => "vpc-endpoint",
            Layer::Scp => "scp",
            Layer::Rcp => "rcp",
            Layer::PermissionBoundary => "permission-boundary",
            Layer::Session => "session",
            Layer::ObjectLock => "object-lock",
            Layer::Service => "service",
            Layer::Network => "network",
        }
    }
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason behind a decision: a statement that matched, or a layer
/// that had no matching `Allow`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deciding {
    /// The layer.
    pub layer: Layer,
    /// The organization level for SCPs and RCPs, or the endpoint ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The policy's name, when one policy decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The statement's `Sid`, or `#N` for a statement without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// The layer's effect: `deny`, `allow`, `no-allow`, `refused` or `unreachable`.
    pub effect: &'static str,
}

impl std::fmt::Display for Deciding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Plain writes are cheaper than `write!`, and no part takes a width.
        f.write_str(self.layer.as_str())?;
        f.write_str(" ")?;
        f.write_str(self.effect)?;
        if let Some(scope) = &self.scope {
            f.write_str(" at ")?;
            f.write_str(scope)?;
        }
        if let Some(policy) = self.policy.as_ref().filter(|policy| Some(*policy) != self.scope.as_ref()) {
            f.write_str(" in ")?;
            f.write_str(policy)?;
        }
        if let Some(statement) = &self.statement {
            f.write_str(" (")?;
            f.write_str(statement)?;
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A decision with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The decision.
    pub decision: Decision,
    /// The statements and layers that decided it, in layer order.
    #[serde(rename = "decidedBy")]
    pub decided_by: Vec<Deciding>,
    /// One sentence explaining the decision.
    pub reason: String,
}

impl Evaluation {
    /// Returns the distinct layers among the reasons.
    pub fn layers(&self) -> Vec<Layer> {
        let mut layers: Vec<Layer> = self.decided_by.iter().map(|d| d.layer).collect();
        layers.sort();
        layers.dedup();
        layers
    }

    /// Returns the statement labels among the reasons.
    pub fn statements(&self) -> Vec<&str> {
        self.decided_by.iter().filter_map(|d| d.statement.as_deref()).collect()
    }

    /// Returns the reason that matters most: the first deny or missing allow,
    /// or for an allowed request the first granting statement.
    pub fn primary(&self) -> Option<&Deciding> {
        self.decided_by.first()
    }
}

//! The request being authorized: the caller and the identities IAM checks
//! behind it, the action, the resource, the request context keys and the
//! service-side state of the resource.

use indexmap::IndexMap;

/// Request context keys and their values. Key names compare ignoring case,
/// as IAM compares them; a key is either absent or has one or more values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    entries: IndexMap<String, (String, Vec<String>)>,
}

impl Context {
    /// Creates an empty context, in which every key is absent.
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets a single-valued key, replacing any value it had.
    pub fn insert(&mut self, key: &str, value: impl Into<String>) {
        self.insert_values(key, vec![value.into()]);
    }

    /// Sets a multivalued key such as `aws:CalledVia`, replacing any value.
    pub fn insert_values(&mut self, key: &str, values: Vec<String>) {
        self.entries.insert(key.to_ascii_lowercase(), (key.to_owned(), values));
    }

    /// Removes a key, making it absent. Returns its values if it was present.
    pub fn remove(&mut self, key: &str) -> Option<Vec<String>> {
        self.entries.shift_remove(&key.to_ascii_lowercase()).map(|(_, values)| values)
    }

    /// Returns the values of `key`, or `None` when the key is absent.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.entries.get(&key.to_ascii_lowercase()).map(|(_, values)| values.as_slice())
    }

    /// Returns the values of a key given in lowercase, sparing the
    /// lowercasing that [`Context::get`] does on every call.
    pub(crate) fn get_lowercase(&self, lowercase_key: &str) -> Option<&[String]> {
        self.entries.get(lowercase_key).map(|(_, values)| values.as_slice())
    }

    /// Returns the single value of `key`, if it has exactly one.
    pub fn value(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some([value]) => Some(value),
            _ => None,
        }
    }

    /// Returns `true` when `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(&key.to_ascii_lowercase())
    }

    /// Iterates over keys as first written and their values, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.values().map(|(key, values)| (key.as_str(), values.as_slice()))
    }
}

/// The caller of a request, parsed from its ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An unsigned request.
    Anonymous,
    /// The root user of `account`.
    Root {
        /// The 12-digit account ID.
        account: String,
    },
    /// An IAM user.
    User {
        /// The user's ARN.
        arn: String,
        /// The 12-digit account ID.
        account: String,
    },
    /// A session of an assumed role.
    RoleSession {
        /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
        session_arn: String,
        /// The role's IAM ARN, with its path when known.
        role_arn: String,
        /// The role's name.
        role_name: String,
        /// The 12-digit account ID.
        account: String,
    },
    /// An STS federated user session.
    FederatedUser {
        /// `arn:aws:sts::ACCOUNT:federated-user/NAME`.
        arn: String,
        /// The 12-digit account ID.
        account: String,
    },
    /// An AWS service principal such as `cloudtrail.amazonaws.com`.
    Service(String),
}

impl Caller {
    /// Parses a caller from its ARN. `anonymous` and `*` mean an unsigned
    /// request and a name ending in `.amazonaws.com` a service principal.
    /// `principal_arn` (the `aws:PrincipalArn` context value) supplies the
    /// path of a role, which session ARNs leave out.
    ///
    /// # Errors
    /// A message naming the text when it is not a principal ARN.
    pub fn parse(text: &str, principal_arn: Option<&str>) -> Result<Caller, String> {
        if text == "anonymous" || text == "*" {
            return Ok(Caller::Anonymous);
        }
        if text.ends_with(".amazonaws.com") && !text.starts_with("arn:") {
            return Ok(Caller::Service(text.to_owned()));
        }
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let invalid = || format!("{text:?} is not a principal ARN (root, user, assumed-role session or federated user), \"anonymous\" or a service name");
        let [prefix, partition, service, _region, account, resource] = parts[..] else { return Err(invalid()) };
        if prefix != "arn" || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let account = account.to_owned();
        match (service, resource.split_once('/')) {
            ("iam", None) if resource == "root" => Ok(Caller::Root { account }),
            ("iam", Some(("user", _))) => Ok(Caller::User { arn: text.to_owned(), account }),
            ("sts", Some(("assumed-role", rest))) => {
                let (role_name, _session) = rest.split_once('/').ok_or_else(invalid)?;
                let plain_role_arn = format!("arn:{partition}:iam::{account}:role/{role_name}");
                let role_arn = principal_arn
                    .filter(|arn| arn.starts_with(&format!("arn:{partition}:iam::{account}:role/")) && arn.ends_with(&format!("/{role_name}")))
                    .map_or(plain_role_arn, str::to_owned);
                Ok(Caller::RoleSession { session_arn: text.to_owned(), role_arn, role_name: role_name.to_owned(), account })
            }
            ("sts", Some(("federated-user", _))) => Ok(Caller::FederatedUser { arn: text.to_owned(), account }),
            _ => Err(invalid()),
        }
    }

    /// Returns the caller's account ID; `None` for anonymous and service callers.
    pub fn account(&self) -> Option<&str> {
        match self {
            Caller::Root { account }
            | Caller::User { account, .. }
            | Caller::RoleSession { account, .. }
            | Caller::FederatedUser { account, .. } => Some(account),
            Caller::Anonymous | Caller::Service(_) => None,
        }
    }

    /// Returns the ARN the caller signs as.
    pub fn arn(&self) -> String {
        match self {
            Caller::Anonymous => "anonymous".to_owned(),
            Caller::Root { account } => format!("arn:aws:iam::{account}:root"),
            Caller::User { arn, .. } | Caller::FederatedUser { arn, .. } => arn.clone(),
            Caller::RoleSession { session_arn, .. } => session_arn.clone(),
            Caller::Service(name) => name.clone(),
        }
    }

    /// Returns `true` for callers that identity-based policies, boundaries
    /// and session policies apply to: IAM users, role sessions and
    /// federated users.
    pub fn is_iam_principal(&self) -> bool {
        matches!(self, Caller::User { .. } | Caller::RoleSession { .. } | Caller::FederatedUser { .. })
    }
}

/// An authorization request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Who calls.
    pub caller: Caller,
    /// The action, such as `s3:PutObject`.
    pub action: String,
    /// The resource ARN.
    pub resource: String,
    /// The account that owns the resource.
    pub resource_account: String,
    /// The request context.
    pub context: Context,
}

impl Request {
    /// Returns `true` when the caller is in another account than the
    /// resource, or is anonymous, so that the resource policy must allow.
    pub fn is_cross_account(&self) -> bool {
        self.as_ref().is_cross_account()
    }

    /// Borrows every field, for the evaluator.
    pub(crate) fn as_ref(&self) -> RequestRef<'_> {
        RequestRef {
            caller: &self.caller,
            action: &self.action,
            resource: &self.resource,
            resource_account: &self.resource_account,
            context: &self.context,
        }
    }
}

/// A [`Request`] with borrowed fields, so that requests that differ only in
/// the action or the resource share the caller and the context.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestRef<'a> {
    pub caller: &'a Caller,
    pub action: &'a str,
    pub resource: &'a str,
    pub resource_account: &'a str,
    pub context: &'a Context,
}

impl RequestRef<'_> {
    /// [`Request::is_cross_account`].
    pub(crate) fn is_cross_account(&self) -> bool {
        self.caller.account() != Some(self.resource_account)
    }
}

/// The Object Lock retention mode of an object version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// No user, root included, can delete the version or shorten its
    /// retention until the retention date passes.
    Compliance,
    /// Users with `s3:BypassGovernanceRetention` who send the bypass header
    /// can delete the version or shorten its retention.
    Governance,
}

/// State of the resource that S3 enforces after IAM allows a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceState {
    /// The Object Lock mode of the version the request acts on, if any.
    pub object_lock_mode: Option<LockMode>,
    /// `true` when that version's retain-until date is in the future.
    pub version_under_retention: bool,
    /// `true` when the version has a legal hold.
    pub legal_hold: bool,
    /// `true` when the request sends `x-amz-bypass-governance-retention: true`.
    pub bypass_governance_header: bool,
    /// `true` when a `PutObjectRetention` request only extends the retention
    /// date in the same mode; by default a retention change is taken to
    /// shorten it or change the mode, which Object Lock restricts.
    pub retention_extension_only: bool,
    /// `true` when the bucket's Object Ownership is `BucketOwnerEnforced`:
    /// ACLs are disabled, and S3 rejects requests that set one.
    pub acls_disabled: bool,
    /// `true` when the bucket has Object Lock enabled, so S3 rejects a
    /// request to suspend its versioning.
    pub bucket_object_lock: bool,
    /// `true` when a `PutBucketVersioning` request only enables versioning;
    /// by default it is taken to suspend it, the change that weakens
    /// backups.
    pub versioning_enable_only: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_keys_ignore_case() {
        let mut context = Context::new();
        context.insert("aws:SourceVpce", "vpce-1");
        assert_eq!(context.value("AWS:sourcevpce"), Some("vpce-1"));
        assert!(context.remove("aws:sourceVPCE").is_some());
        assert!(!context.contains("aws:SourceVpce"));
    }

    #[test]
    fn session_takes_role_path_from_principal_arn() {
        let caller = Caller::parse(
            "arn:aws:sts::111122223333:assumed-role/Admin/alice",
            Some("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/Admin"),
        )
        .unwrap();
        let Caller::RoleSession { role_arn, .. } = caller else { panic!("expected a role session") };
        assert_eq!(role_arn, "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/Admin");
    }

    #[test]
    fn callers_parse() {
        assert_eq!(Caller::parse("anonymous", None).unwrap(), Caller::Anonymous);
        assert_eq!(Caller::parse("arn:aws:iam::111122223333:root", None).unwrap(), Caller::Root { account: "111122223333".into() });
        assert!(matches!(Caller::parse("arn:aws:iam::111122223333:user/a", None).unwrap(), Caller::User { .. }));
        assert!(Caller::parse("arn:aws:s3:::bucket", None).is_err());
        assert!(Caller::parse("arn:aws:iam::1234:root", None).is_err());
        assert!(Caller::parse("", None).is_err());
    }
}

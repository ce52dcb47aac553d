//! Prop checks shared by several constructs.

use std::ops::RangeInclusive;

use ipnet::Ipv4Net;

use crate::error::PropChecker;

/// Largest default retention accepted, in days: 100 years.
// NOTE: S3's API reference gives no maximum for DefaultRetention; this
// bound only keeps values far inside the API's 32-bit integers.
pub(crate) const MAX_RETENTION_DAYS: u32 = 36_500;

/// Returns the problem with an EC2 instance type for an x86_64 AMI, if any:
/// it must read `FAMILY.SIZE`, and an Arm (Graviton) family, whose name has
/// a `g` after its generation digit (`t4g`, `m7gd`), needs an arm64 AMI.
pub(crate) fn instance_type_problem(value: &str) -> Option<String> {
    const SIZES: [&str; 6] = ["nano", "micro", "small", "medium", "large", "metal"];
    let Some((family, size)) = value.split_once('.') else {
        return Some("not an EC2 instance type; write it like t3.micro".to_owned());
    };
    let family_ok = family.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && family.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && family.chars().any(|c| c.is_ascii_digit());
    let size_ok = SIZES.contains(&size)
        || size.strip_suffix("xlarge").is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
        || size.strip_prefix("metal-").is_some_and(|n| n.ends_with("xl"));
    if !family_ok || !size_ok {
        return Some("not an EC2 instance type; write it like t3.micro".to_owned());
    }
    let after_generation = family.trim_start_matches(|c: char| c.is_ascii_lowercase());
    let suffix = after_generation.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    if suffix.contains('g') {
        return Some("an Arm (Graviton) instance type cannot boot the x86_64 Amazon Linux AMI; choose an x86_64 type such as t3.micro".to_owned());
    }
    None
}

/// Returns the problem with a principal ARN for a role trust policy, if any:
/// it must name an account root, role or user, such as
/// `arn:aws:iam::111122223333:role/operator`.
pub(crate) fn principal_arn_problem(value: &str) -> Option<String> {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && (parts[5] == "root" || parts[5].strip_prefix("role/").is_some_and(|r| !r.is_empty()) || parts[5].strip_prefix("user/").is_some_and(|u| !u.is_empty()));
    (!valid).then(|| "not an IAM principal ARN; write it like arn:aws:iam::111122223333:role/operator".to_owned())
}

/// Returns the problem with a KMS key ARN, if any.
pub(crate) fn kms_key_arn_problem(value: &str) -> Option<String> {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "kms"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5].strip_prefix("key/").is_some_and(|id| !id.is_empty());
    (!valid).then(|| "not a KMS key ARN; write it like arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab".to_owned())
}

/// Checks that `value` is an IPv4 CIDR block with no host bits set and a
/// prefix length in `prefixes`, and returns it when it is.
pub(crate) fn check_cidr(
    checker: &mut PropChecker,
    field: &str,
    value: &str,
    prefixes: RangeInclusive<u8>,
) -> Option<Ipv4Net> {
    let Ok(block) = value.parse::<Ipv4Net>() else {
        checker.reject(field, format!("{value:?}"), "not an IPv4 CIDR block; write it like 10.0.1.0/24");
        return None;
    };
    if block.to_string() != value {
        checker.reject(field, format!("{value:?}"), format!("not in canonical form; write it as {block}"));
        return None;
    }
    if block.trunc() != block {
        checker.reject(field, format!("{value:?}"), format!("host bits are set; use {}", block.trunc()));
        return None;
    }
    if !prefixes.contains(&block.prefix_len()) {
        checker.reject(
            field,
            format!("{value:?}"),
            format!("the prefix length must be between /{} and /{}", prefixes.start(), prefixes.end()),
        );
        return None;
    }
    Some(block)
}

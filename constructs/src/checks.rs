//! Prop checks shared by several constructs.

use std::ops::RangeInclusive;

use ipnet::Ipv4Net;

use crate::error::PropChecker;

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

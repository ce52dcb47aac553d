//! Condition operators and their evaluation against the request context,
//! with IAM's rules for absent keys: a positive operator is false on an
//! absent key, a negated one is true, `…IfExists` is true, `ForAnyValue`
//! is false and `ForAllValues` is true.

use std::net::IpAddr;

use ipnet::IpNet;

use super::document::Condition;
use super::pattern::{ValuePattern, Variables};
use super::request::Context;

/// The operator families and their members, without set qualifier or
/// `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnNotEquals,
    ArnLike,
    ArnNotLike,
    Null,
}

const ALL_OPERATORS: [(BaseOperator, &str); 27] = [
    (BaseOperator::StringEquals, "StringEquals"),
    (BaseOperator::StringNotEquals, "StringNotEquals"),
    (BaseOperator::StringEqualsIgnoreCase, "StringEqualsIgnoreCase"),
    (BaseOperator::StringNotEqualsIgnoreCase, "StringNotEqualsIgnoreCase"),
    (BaseOperator::StringLike, "StringLike"),
    (BaseOperator::StringNotLike, "StringNotLike"),
    (BaseOperator::NumericEquals, "NumericEquals"),
    (BaseOperator::NumericNotEquals, "NumericNotEquals"),
    (BaseOperator::NumericLessThan, "NumericLessThan"),
    (BaseOperator::NumericLessThanEquals, "NumericLessThanEquals"),
    (BaseOperator::NumericGreaterThan, "NumericGreaterThan"),
    (BaseOperator::NumericGreaterThanEquals, "NumericGreaterThanEquals"),
    (BaseOperator::DateEquals, "DateEquals"),
    (BaseOperator::DateNotEquals, "DateNotEquals"),
    (BaseOperator::DateLessThan, "DateLessThan"),
    (BaseOperator::DateLessThanEquals, "DateLessThanEquals"),
    (BaseOperator::DateGreaterThan, "DateGreaterThan"),
    (BaseOperator::DateGreaterThanEquals, "DateGreaterThanEquals"),
    (BaseOperator::Bool, "Bool"),
    (BaseOperator::BinaryEquals, "BinaryEquals"),
    (BaseOperator::IpAddress, "IpAddress"),
    (BaseOperator::NotIpAddress, "NotIpAddress"),
    (BaseOperator::ArnEquals, "ArnEquals"),
    (BaseOperator::ArnNotEquals, "ArnNotEquals"),
    (BaseOperator::ArnLike, "ArnLike"),
    (BaseOperator::ArnNotLike, "ArnNotLike"),
    (BaseOperator::Null, "Null"),
];

impl BaseOperator {
    /// Looks an operator up by its exact name, such as `StringNotEquals`.
    pub fn from_name(name: &str) -> Option<BaseOperator> {
        ALL_OPERATORS.iter().find(|(_, known)| *known == name).map(|(operator, _)| *operator)
    }

    /// Returns the operator's name.
    pub fn name(self) -> &'static str {
        ALL_OPERATORS.iter().find(|(operator, _)| *operator == self).map_or("", |(_, name)| name)
    }

    /// Iterates over every operator, in the order the IAM reference lists them.
    pub fn all() -> impl Iterator<Item = BaseOperator> {
        ALL_OPERATORS.iter().map(|(operator, _)| *operator)
    }

    /// Returns `true` for the negated forms (`StringNotEquals`,
    /// `NotIpAddress` and the like), which match when no value matches.
    pub fn is_negated(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// Returns the positive form of a negated operator, or the operator itself.
    pub fn positive(self) -> BaseOperator {
        use BaseOperator::*;
        match self {
            StringNotEquals => StringEquals,
            StringNotEqualsIgnoreCase => StringEqualsIgnoreCase,
            StringNotLike => StringLike,
            NumericNotEquals => NumericEquals,
            DateNotEquals => DateEquals,
            NotIpAddress => IpAddress,
            ArnNotEquals => ArnEquals,
            ArnNotLike => ArnLike,
            other => other,
        }
    }
}

/// `ForAnyValue` or `ForAllValues`, for multivalued context keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    /// True when at least one context value matches; false on an absent key.
    ForAnyValue,
    /// True when every context value matches; true on an absent key.
    ForAllValues,
}

/// A full condition operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// `ForAnyValue:` or `ForAllValues:`, if written.
    pub set: Option<SetQualifier>,
    /// The operator proper.
    pub base: BaseOperator,
    /// `true` when the name ends in `IfExists`.
    pub if_exists: bool,
}

impl std::fmt::Display for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.set {
            Some(SetQualifier::ForAnyValue) => write!(f, "ForAnyValue:")?,
            Some(SetQualifier::ForAllValues) => write!(f, "ForAllValues:")?,
            None => {}
        }
        write!(f, "{}{}", self.base.name(), if self.if_exists { "IfExists" } else { "" })
    }
}

/// Evaluates one condition clause against the context.
#[cfg(test)]
pub(crate) fn condition_holds(condition: &Condition, context: &Context, variables_enabled: bool) -> bool {
    CompiledCondition::new(condition, variables_enabled).holds(context)
}

/// A condition clause with its policy values parsed once, so that a policy
/// evaluated against many requests does not parse numbers, dates,
/// addresses and patterns again for each of them.
#[derive(Debug, Clone)]
pub(crate) struct CompiledCondition<'p> {
    operator: &'p Operator,
    /// The context key in lowercase, as [`Context`] stores it.
    key: String,
    values: PolicyValues<'p>,
    variables_enabled: bool,
}

/// The policy values of a clause in the form its positive operator compares.
#[derive(Debug, Clone)]
enum PolicyValues<'p> {
    /// `Null`: `Some(true)` for `true`, `Some(false)` for `false`, `None`
    /// for any other text, which never holds.
    Null(Vec<Option<bool>>),
    /// String and ARN operators: patterns without wildcards for the
    /// `Equals` forms, with wildcards for `Like` and the ARN forms.
    Patterns { values: Vec<ValuePattern<'p>>, wildcards: bool, ignore_case: bool, arn: bool },
    /// Numeric operators; `None` for a value that is not a number.
    Numbers(Vec<Option<f64>>),
    /// Date operators, in seconds since the epoch; `None` for a value that
    /// is not a date.
    Dates(Vec<Option<f64>>),
    /// `Bool`, compared ignoring ASCII case.
    Bools(&'p [String]),
    /// `BinaryEquals`, compared exactly.
    Binary(&'p [String]),
    /// `IpAddress`; `None` for a value that is not an address or block.
    Networks(Vec<Option<IpNet>>),
}

impl<'p> CompiledCondition<'p> {
    /// Compiles a clause of a policy whose `${…}` variables are substituted
    /// when `variables_enabled` is set.
    pub(crate) fn new(condition: &'p Condition, variables_enabled: bool) -> CompiledCondition<'p> {
        use BaseOperator::*;
        let operator = &condition.operator;
        let texts = &condition.values;
        let patterns = |wildcards: bool, ignore_case: bool, arn: bool| PolicyValues::Patterns {
            values: texts.iter().map(|text| ValuePattern::new(text, wildcards, variables_enabled)).collect(),
            wildcards,
            ignore_case,
            arn,
        };
        let values = if operator.base == Null {
            PolicyValues::Null(
                texts
                    .iter()
                    .map(|value| match value.to_ascii_lowercase().as_str() {
                        "true" => Some(true),
                        "false" => Some(false),
                        _ => None,
                    })
                    .collect(),
            )
        } else {
            match operator.base.positive() {
                StringEquals => patterns(false, false, false),
                StringEqualsIgnoreCase => patterns(false, true, false),
                StringLike => patterns(true, false, false),
                ArnEquals | ArnLike => patterns(true, false, true),
                NumericEquals | NumericLessThan | NumericLessThanEquals | NumericGreaterThan | NumericGreaterThanEquals => {
                    PolicyValues::Numbers(texts.iter().map(|text| text.trim().parse::<f64>().ok()).collect())
                }
                DateEquals | DateLessThan | DateLessThanEquals | DateGreaterThan | DateGreaterThanEquals => {
                    PolicyValues::Dates(texts.iter().map(|text| parse_date(text)).collect())
                }
                Bool => PolicyValues::Bools(texts),
                BinaryEquals => PolicyValues::Binary(texts),
                IpAddress => PolicyValues::Networks(texts.iter().map(|text| parse_network(text)).collect()),
                // `positive` maps every negated operator to one of the above.
                other => unreachable!("{other:?} is not a positive operator"),
            }
        };
        CompiledCondition { operator, key: condition.key.to_ascii_lowercase(), values, variables_enabled }
    }

    /// Evaluates the clause against the context.
    pub(crate) fn holds(&self, context: &Context) -> bool {
        let operator = self.operator;
        let present = context.get_lowercase(&self.key).filter(|values| !values.is_empty());
        if let PolicyValues::Null(flags) = &self.values {
            return flags.iter().any(|flag| match flag {
                Some(true) => present.is_none(),
                Some(false) => present.is_some(),
                None => false,
            });
        }
        let Some(values) = present else {
            if operator.if_exists {
                return true;
            }
            return match operator.set {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => operator.base.is_negated(),
            };
        };
        let variables = Variables { context, enabled: self.variables_enabled };
        let negated = operator.base.is_negated();
        let matches_one = |value: &String| self.positive_match(operator.base.positive(), value, variables);
        match operator.set {
            None if negated => !values.iter().any(matches_one),
            None => values.iter().any(matches_one),
            Some(SetQualifier::ForAnyValue) => values.iter().any(|value| matches_one(value) != negated),
            Some(SetQualifier::ForAllValues) => values.iter().all(|value| matches_one(value) != negated),
        }
    }

    /// Returns `true` when the context value matches any of the policy
    /// values under the positive operator.
    fn positive_match(&self, operator: BaseOperator, context_value: &str, variables: Variables<'_>) -> bool {
        match &self.values {
            PolicyValues::Patterns { values, wildcards, ignore_case, arn } => values.iter().any(|value| {
                value.with_pattern(*wildcards, variables, |pattern| {
                    if *arn {
                        pattern.matches_arn(context_value)
                    } else {
                        pattern.matches(context_value, *ignore_case)
                    }
                })
            }),
            PolicyValues::Numbers(numbers) => match context_value.trim().parse::<f64>() {
                Ok(left) => numbers.iter().any(|right| right.is_some_and(|right| compare(operator, left, right))),
                Err(_) => false,
            },
            PolicyValues::Dates(dates) => match parse_date(context_value) {
                Some(left) => dates.iter().any(|right| right.is_some_and(|right| compare(operator, left, right))),
                None => false,
            },
            PolicyValues::Bools(texts) => texts.iter().any(|text| context_value.eq_ignore_ascii_case(text)),
            PolicyValues::Binary(texts) => texts.iter().any(|text| context_value == text),
            PolicyValues::Networks(networks) => match context_value.trim().parse::<IpAddr>() {
                Ok(address) => networks.iter().any(|network| network.is_some_and(|network| network.contains(&address))),
                Err(_) => false,
            },
            PolicyValues::Null(_) => false,
        }
    }
}

fn compare(operator: BaseOperator, left: f64, right: f64) -> bool {
    use BaseOperator::*;
    match operator {
        NumericEquals | DateEquals => left == right,
        NumericLessThan | DateLessThan => left < right,
        NumericLessThanEquals | DateLessThanEquals => left <= right,
        NumericGreaterThan | DateGreaterThan => left > right,
        NumericGreaterThanEquals | DateGreaterThanEquals => left >= right,
        _ => false,
    }
}

/// Parses an address or CIDR block; a bare address is a one-address block.
pub(crate) fn parse_network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>().ok().or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Parses a date as IAM accepts it: epoch seconds, or ISO 8601
/// (`2025-06-01`, `2025-06-01T03:00:00Z`, with optional fraction and
/// `±hh:mm` offset). Returns seconds since the Unix epoch.
pub(crate) fn parse_date(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return Some(seconds);
    }
    let (date, time) = match text.split_once(['T', 't', ' ']) {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let mut date_parts = date.splitn(3, '-');
    let year: i64 = parse_digits(date_parts.next()?, 4)?;
    let month: i64 = parse_digits(date_parts.next()?, 2)?;
    let day: i64 = parse_digits(date_parts.next()?, 2)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) as f64 * 86_400.0;
    if let Some(time) = time {
        let (clock, offset) = split_offset(time)?;
        let mut clock_parts = clock.splitn(3, ':');
        let hour: i64 = parse_digits(clock_parts.next()?, 2)?;
        let minute: i64 = parse_digits(clock_parts.next()?, 2)?;
        let second: f64 = match clock_parts.next() {
            Some(text) => {
                let whole = text.split('.').next()?;
                parse_digits::<i64>(whole, 2)?;
                text.parse().ok()?
            }
            None => 0.0,
        };
        if hour > 24 || minute > 59 || second >= 61.0 {
            return None;
        }
        seconds += (hour * 3600 + minute * 60) as f64 + second - offset as f64;
    }
    Some(seconds)
}

fn parse_digits<T: std::str::FromStr>(text: &str, width: usize) -> Option<T> {
    (text.len() == width && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok()).flatten()
}

/// Splits `03:00:00Z` or `03:00:00+02:00` into the clock and the offset in seconds.
fn split_offset(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    match time.rfind(['+', '-']) {
        Some(at) => {
            let sign = if time.as_bytes()[at] == b'-' { -1 } else { 1 };
            let (hours, minutes) = time[at + 1..].split_once(':').unwrap_or((&time[at + 1..], "00"));
            let hours: i64 = parse_digits(hours, 2)?;
            let minutes: i64 = parse_digits(minutes, 2)?;
            Some((&time[..at], sign * (hours * 3600 + minutes * 60)))
        }
        None => Some((time, 0)),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// well-known civil-calendar algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(operator: &str, key: &str, values: &[&str], context: &Context) -> bool {
        let condition = Condition {
            operator: Operator::parse(operator).unwrap(),
            key: key.to_owned(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        };
        condition_holds(&condition, context, true)
    }

    fn context(pairs: &[(&str, &str)]) -> Context {
        let mut context = Context::new();
        for (key, value) in pairs {
            context.insert(key, *value);
        }
        context
    }

    #[test]
    fn absent_key_rules() {
        let empty = Context::new();
        assert!(!holds("StringEquals", "aws:SourceVpce", &["v"], &empty));
        assert!(holds("StringNotEquals", "aws:SourceVpce", &["v"], &empty));
        assert!(holds("StringEqualsIfExists", "aws:SourceVpce", &["v"], &empty));
        assert!(holds("StringNotEqualsIfExists", "aws:SourceVpce", &["v"], &empty));
        assert!(holds("NotIpAddress", "aws:SourceIp", &["10.0.0.0/8"], &empty));
        assert!(!holds("ForAnyValue:StringEquals", "aws:CalledVia", &["x"], &empty));
        assert!(holds("ForAllValues:StringEquals", "aws:TagKeys", &["x"], &empty));
        assert!(holds("Null", "aws:SourceVpce", &["true"], &empty));
        assert!(!holds("Null", "aws:SourceVpce", &["false"], &empty));
        assert!(!holds("NumericLessThan", "s3:max-keys", &["10"], &empty));
    }

    #[test]
    fn negated_operator_is_nor_of_values() {
        let ctx = context(&[("aws:SourceVpce", "vpce-b")]);
        assert!(!holds("StringNotEquals", "aws:SourceVpce", &["vpce-a", "vpce-b"], &ctx));
        assert!(holds("StringNotEquals", "aws:SourceVpce", &["vpce-a", "vpce-c"], &ctx));
    }

    #[test]
    fn string_family() {
        let ctx = context(&[("k", "Backup-01")]);
        assert!(holds("StringEquals", "K", &["Backup-01"], &ctx));
        assert!(!holds("StringEquals", "k", &["backup-01"], &ctx));
        assert!(holds("StringEqualsIgnoreCase", "k", &["backup-01"], &ctx));
        assert!(holds("StringLike", "k", &["Backup-??"], &ctx));
        assert!(!holds("StringEquals", "k", &["Backup-*"], &ctx));
        assert!(holds("StringNotLike", "k", &["x*"], &ctx));
    }

    #[test]
    fn numeric_date_bool_binary_ip_arn() {
        let ctx = context(&[
            ("n", "30"),
            ("d", "2025-06-01T03:00:00Z"),
            ("b", "true"),
            ("bin", "QmluYXJ5"),
            ("ip", "10.0.1.25"),
            ("arn", "arn:aws:iam::111122223333:role/a/b"),
        ]);
        assert!(holds("NumericGreaterThanEquals", "n", &["30"], &ctx));
        assert!(holds("NumericLessThan", "n", &["30.5"], &ctx));
        assert!(!holds("NumericEquals", "n", &["31"], &ctx));
        assert!(holds("DateGreaterThan", "d", &["2025-05-31"], &ctx));
        assert!(holds("DateEquals", "d", &["2025-06-01T05:00:00+02:00"], &ctx));
        assert!(holds("DateLessThan", "d", &["1748750401"], &ctx));
        assert!(holds("Bool", "b", &["TRUE"], &ctx));
        assert!(holds("BinaryEquals", "bin", &["QmluYXJ5"], &ctx));
        assert!(holds("IpAddress", "ip", &["10.0.1.0/24"], &ctx));
        assert!(!holds("IpAddress", "ip", &["10.0.2.0/24"], &ctx));
        assert!(holds("IpAddress", "ip", &["10.0.1.25"], &ctx));
        assert!(holds("ArnLike", "arn", &["arn:aws:iam::*:role/a/*"], &ctx));
        assert!(holds("ArnEquals", "arn", &["arn:aws:iam::111122223333:role/a/b"], &ctx));
        assert!(holds("ArnNotLike", "arn", &["arn:aws:iam::*:user/*"], &ctx));
    }

    #[test]
    fn set_operators_on_multivalued_keys() {
        let mut ctx = Context::new();
        ctx.insert_values("aws:TagKeys", vec!["a".into(), "b".into()]);
        assert!(holds("ForAllValues:StringEquals", "aws:TagKeys", &["a", "b", "c"], &ctx));
        assert!(!holds("ForAllValues:StringEquals", "aws:TagKeys", &["a"], &ctx));
        assert!(holds("ForAnyValue:StringEquals", "aws:TagKeys", &["b"], &ctx));
        assert!(holds("ForAnyValue:StringNotEquals", "aws:TagKeys", &["a"], &ctx));
        assert!(!holds("ForAllValues:StringNotEquals", "aws:TagKeys", &["a"], &ctx));
    }

    #[test]
    fn dates_parse() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_date("2000-03-01"), Some(951_868_800.0));
        assert_eq!(parse_date("not a date"), None);
        assert_eq!(parse_date("2025-13-01"), None);
    }
}

//! Intrinsic functions, pseudo parameters and the `Value<T>` wrapper that lets
//! every typed property hold either a literal or an intrinsic.
//!
//! Expressions serialize to CloudFormation's long JSON form (`{"Fn::GetAtt": [..]}`)
//! and parse back from it, so templates written by other tools read into the same
//! model. The short YAML tags (`!Ref`) are converted to the long form on load.

use indexmap::IndexMap;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value as Json};

mod references;

pub(crate) use references::References;
use references::sub_reference_names;

/// A CloudFormation intrinsic function, pseudo parameter reference or literal.
///
/// Literals appear where an intrinsic takes a list of values, such as the parts
/// of `Fn::Join`.
// Variant fields are the intrinsic's arguments in CloudFormation's order.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal JSON value: a string, number, boolean, list or plain object.
    Literal(Json),
    /// `Ref` to a parameter, a resource's logical ID or a pseudo parameter.
    Ref(String),
    /// `Fn::GetAtt` of a resource's attribute.
    GetAtt { logical_id: String, attribute: String },
    /// `Fn::Sub` with an optional map of variables.
    Sub { template: String, variables: IndexMap<String, Expr> },
    /// `Fn::Join` of a list with a delimiter.
    Join { delimiter: String, items: Box<Expr> },
    /// `Fn::Select` of one element of a list.
    Select { index: Box<Expr>, list: Box<Expr> },
    /// `Fn::Split` of a string into a list.
    Split { delimiter: String, source: Box<Expr> },
    /// `Fn::If` on a named condition.
    If { condition: String, if_true: Box<Expr>, if_false: Box<Expr> },
    /// `Fn::Equals` of two values, usable only in conditions.
    Equals(Box<Expr>, Box<Expr>),
    /// `Fn::And` of two to ten conditions.
    And(Vec<Expr>),
    /// `Fn::Or` of two to ten conditions.
    Or(Vec<Expr>),
    /// `Fn::Not` of one condition.
    Not(Box<Expr>),
    /// `Condition` reference to a named condition, inside condition functions.
    Condition(String),
    /// `Fn::FindInMap` with map, top-level key and second-level key.
    FindInMap { map: String, top_key: Box<Expr>, second_key: Box<Expr> },
    /// `Fn::GetAZs` for a region; an empty string means the stack's region.
    GetAzs(Box<Expr>),
    /// `Fn::Cidr` of an IP block into `count` subnets of `cidr_bits` host bits.
    Cidr { ip_block: Box<Expr>, count: Box<Expr>, cidr_bits: Box<Expr> },
    /// `Fn::ImportValue` of another stack's export.
    ImportValue(Box<Expr>),
    /// `Fn::Base64` of a string.
    Base64(Box<Expr>),
    /// A list whose elements may be intrinsics.
    List(Vec<Expr>),
}

/// The pseudo parameters CloudFormation defines for every stack.
// Each variant is the pseudo parameter of the same name after `AWS::`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pseudo {
    AccountId,
    NotificationArns,
    NoValue,
    Partition,
    Region,
    StackId,
    StackName,
    UrlSuffix,
}

impl Pseudo {
    /// All pseudo parameters, in alphabetical order of their names.
    pub const ALL: [Pseudo; 8] = [
        Pseudo::AccountId,
        Pseudo::NotificationArns,
        Pseudo::NoValue,
        Pseudo::Partition,
        Pseudo::Region,
        Pseudo::StackId,
        Pseudo::StackName,
        Pseudo::UrlSuffix,
    ];

    /// Returns the name used in `Ref` and `Fn::Sub`, such as `AWS::Region`.
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::NotificationArns => "AWS::NotificationARNs",
            Pseudo::NoValue => "AWS::NoValue",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::Region => "AWS::Region",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
        }
    }

    /// Parses a pseudo parameter name such as `AWS::Region`.
    pub fn from_name(name: &str) -> Option<Pseudo> {
        Pseudo::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl Expr {
    /// `Ref` to a parameter or resource by logical ID.
    pub fn reference(logical_id: impl Into<String>) -> Expr {
        Expr::Ref(logical_id.into())
    }

    /// `Ref` to a pseudo parameter.
    pub fn pseudo(pseudo: Pseudo) -> Expr {
        Expr::Ref(pseudo.name().to_owned())
    }

    /// `Fn::GetAtt` of a resource attribute.
    pub fn get_att(logical_id: impl Into<String>, attribute: impl Into<String>) -> Expr {
        Expr::GetAtt { logical_id: logical_id.into(), attribute: attribute.into() }
    }

    /// `Fn::Sub` with no variable map: `${Name}` refers to parameters, resources and
    /// pseudo parameters, and `${Name.Attr}` to attributes.
    pub fn sub(template: impl Into<String>) -> Expr {
        Expr::Sub { template: template.into(), variables: IndexMap::new() }
    }

    /// `Fn::Sub` with a variable map.
    pub fn sub_with(template: impl Into<String>, variables: IndexMap<String, Expr>) -> Expr {
        Expr::Sub { template: template.into(), variables }
    }

    /// `Fn::Join` of the given parts.
    pub fn join(delimiter: impl Into<String>, items: Vec<Expr>) -> Expr {
        Expr::Join { delimiter: delimiter.into(), items: Box::new(Expr::List(items)) }
    }

    /// `Fn::Select` of element `index` of `list`.
    pub fn select(index: u32, list: Expr) -> Expr {
        Expr::Select { index: Box::new(Expr::Literal(Json::from(index))), list: Box::new(list) }
    }

    /// `Fn::Split` of `source` on `delimiter`.
    pub fn split(delimiter: impl Into<String>, source: Expr) -> Expr {
        Expr::Split { delimiter: delimiter.into(), source: Box::new(source) }
    }

    /// `Fn::If` on the condition named `condition`.
    pub fn if_(condition: impl Into<String>, if_true: Expr, if_false: Expr) -> Expr {
        Expr::If { condition: condition.into(), if_true: Box::new(if_true), if_false: Box::new(if_false) }
    }

    /// `Fn::Equals` of two values.
    pub fn equals(left: Expr, right: Expr) -> Expr {
        Expr::Equals(Box::new(left), Box::new(right))
    }

    /// `Fn::FindInMap`.
    pub fn find_in_map(map: impl Into<String>, top_key: Expr, second_key: Expr) -> Expr {
        Expr::FindInMap { map: map.into(), top_key: Box::new(top_key), second_key: Box::new(second_key) }
    }

    /// `Fn::GetAZs` for the stack's own region.
    pub fn get_azs() -> Expr {
        Expr::GetAzs(Box::new(Expr::Literal(Json::String(String::new()))))
    }

    /// `Fn::Cidr`.
    pub fn cidr(ip_block: Expr, count: u32, cidr_bits: u32) -> Expr {
        Expr::Cidr {
            ip_block: Box::new(ip_block),
            count: Box::new(Expr::Literal(Json::from(count))),
            cidr_bits: Box::new(Expr::Literal(Json::from(cidr_bits))),
        }
    }

    /// `Fn::ImportValue` of an exported name.
    pub fn import_value(name: Expr) -> Expr {
        Expr::ImportValue(Box::new(name))
    }

    /// `Fn::Base64` of a string.
    pub fn base64(value: Expr) -> Expr {
        Expr::Base64(Box::new(value))
    }

    /// Wraps text as a string literal.
    pub fn string(value: impl Into<String>) -> Expr {
        Expr::Literal(Json::String(value.into()))
    }

    /// Converts to the JSON form CloudFormation reads.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).expect("expressions always serialize to JSON")
    }

    /// Converts to the JSON form as [`Expr::to_json`] does, moving the
    /// names and literals of the most common intrinsics instead of copying
    /// them.
    pub(crate) fn into_json(self) -> Json {
        let one = |key: &str, argument: Json| {
            let mut map = Map::with_capacity(1);
            map.insert(key.to_owned(), argument);
            Json::Object(map)
        };
        match self {
            Expr::Literal(value) => value,
            Expr::Ref(name) => one("Ref", Json::String(name)),
            Expr::GetAtt { logical_id, attribute } => {
                one("Fn::GetAtt", Json::Array(vec![Json::String(logical_id), Json::String(attribute)]))
            }
            Expr::Sub { template, variables } if variables.is_empty() => one("Fn::Sub", Json::String(template)),
            Expr::List(items) => Json::Array(items.into_iter().map(Expr::into_json).collect()),
            other => other.to_json(),
        }
    }

    /// Parses the long JSON form of an intrinsic. Any value that is not a
    /// one-key object naming an intrinsic becomes a literal; lists become
    /// [`Expr::List`] so that intrinsics inside them are found.
    pub fn from_json(value: &Json) -> Expr {
        match value {
            Json::Array(items) => Expr::List(items.iter().map(Expr::from_json).collect()),
            Json::Object(map) if map.len() == 1 => {
                let (key, arg) = map.iter().next().expect("one entry");
                parse_intrinsic(key, arg).unwrap_or_else(|| Expr::Literal(value.clone()))
            }
            other => Expr::Literal(other.clone()),
        }
    }

    /// Returns the logical IDs this expression refers to through `Ref`,
    /// `Fn::GetAtt` and `Fn::Sub`, pseudo parameters excluded.
    pub fn references(&self) -> Vec<String> {
        let mut found = Vec::new();
        collect_json_references(&self.to_json(), &mut found);
        found
    }
}

fn boxed(value: &Json) -> Box<Expr> {
    Box::new(Expr::from_json(value))
}

fn parse_intrinsic(key: &str, arg: &Json) -> Option<Expr> {
    let list = arg.as_array();
    let expr = match key {
        "Ref" => Expr::Ref(arg.as_str()?.to_owned()),
        "Condition" => Expr::Condition(arg.as_str()?.to_owned()),
        "Fn::GetAtt" => match arg {
            Json::String(dotted) => {
                let (logical_id, attribute) = dotted.split_once('.')?;
                Expr::get_att(logical_id, attribute)
            }
            Json::Array(parts) if parts.len() == 2 => {
                Expr::get_att(parts[0].as_str()?, parts[1].as_str()?)
            }
            _ => return None,
        },
        "Fn::Sub" => match arg {
            Json::String(template) => Expr::sub(template.clone()),
            Json::Array(parts) if parts.len() == 2 => {
                let variables = parts[1]
                    .as_object()?
                    .iter()
                    .map(|(name, value)| (name.clone(), Expr::from_json(value)))
                    .collect();
                Expr::sub_with(parts[0].as_str()?, variables)
            }
            _ => return None,
        },
        "Fn::Join" if list?.len() == 2 => {
            let parts = list?;
            Expr::Join { delimiter: parts[0].as_str()?.to_owned(), items: boxed(&parts[1]) }
        }
        "Fn::Select" if list?.len() == 2 => {
            let parts = list?;
            Expr::Select { index: boxed(&parts[0]), list: boxed(&parts[1]) }
        }
        "Fn::Split" if list?.len() == 2 => {
            let parts = list?;
            Expr::Split { delimiter: parts[0].as_str()?.to_owned(), source: boxed(&parts[1]) }
        }
        "Fn::If" if list?.len() == 3 => {
            let parts = list?;
            Expr::If {
                condition: parts[0].as_str()?.to_owned(),
                if_true: boxed(&parts[1]),
                if_false: boxed(&parts[2]),
            }
        }
        "Fn::Equals" if list?.len() == 2 => {
            let parts = list?;
            Expr::Equals(boxed(&parts[0]), boxed(&parts[1]))
        }
        "Fn::And" => Expr::And(list?.iter().map(Expr::from_json).collect()),
        "Fn::Or" => Expr::Or(list?.iter().map(Expr::from_json).collect()),
        "Fn::Not" if list?.len() == 1 => Expr::Not(boxed(&list?[0])),
        "Fn::FindInMap" if list?.len() == 3 => {
            let parts = list?;
            Expr::FindInMap {
                map: parts[0].as_str()?.to_owned(),
                top_key: boxed(&parts[1]),
                second_key: boxed(&parts[2]),
            }
        }
        "Fn::GetAZs" => Expr::GetAzs(boxed(arg)),
        "Fn::Cidr" if list?.len() == 3 => {
            let parts = list?;
            Expr::Cidr { ip_block: boxed(&parts[0]), count: boxed(&parts[1]), cidr_bits: boxed(&parts[2]) }
        }
        "Fn::ImportValue" => Expr::ImportValue(boxed(arg)),
        "Fn::Base64" => Expr::Base64(boxed(arg)),
        _ => return None,
    };
    Some(expr)
}

/// Collects the logical IDs referred to anywhere inside a JSON value, through
/// `Ref`, `Fn::GetAtt` and the `${Name}` and `${Name.Attr}` forms of `Fn::Sub`.
/// Pseudo parameters (`AWS::…`) and `Fn::Sub` variables are skipped.
pub fn collect_json_references(value: &Json, found: &mut Vec<String>) {
    found.extend(References::of_value(value).names.into_iter().map(str::to_owned));
}

/// Collects the logical IDs referred to inside a JSON object, as
/// [`collect_json_references`] does for `Json::Object(map)`, without
/// copying the map into a `Json` value first.
pub fn collect_map_references(map: &Map<String, Json>, found: &mut Vec<String>) {
    found.extend(References::of_map(map).names.into_iter().map(str::to_owned));
}

/// Returns the text inside each `${…}` placeholder of an `Fn::Sub`
/// template, in order, without `${!Literal}` escapes.
pub fn sub_placeholders(template: &str) -> Vec<&str> {
    placeholders(template).collect()
}

/// Returns the placeholders of [`sub_placeholders`] one at a time, so that
/// a caller that only reads them needs no list.
pub(crate) fn placeholders(template: &str) -> impl Iterator<Item = &str> {
    let mut rest = template;
    std::iter::from_fn(move || loop {
        // A one-byte search runs as memchr, faster than searching for the
        // pair `${`, and scripts contain few `$` that start no placeholder.
        let dollar = rest.find('$')?;
        let Some(after) = rest[dollar + 1..].strip_prefix('{') else {
            rest = &rest[dollar + 1..];
            continue;
        };
        let end = after.find('}')?;
        let inner = &after[..end];
        rest = &after[end + 1..];
        if !inner.starts_with('!') {
            return Some(inner);
        }
    })
}

/// Returns the names that `${…}` placeholders in an `Fn::Sub` template refer
/// to, without pseudo parameters, the given variables or `${!Literal}` escapes.
pub fn sub_references(template: &str, variables: &[&str]) -> Vec<String> {
    sub_reference_names(template, variables).into_iter().map(str::to_owned).collect()
}

fn serialize_one<S: Serializer, T: Serialize + ?Sized>(serializer: S, key: &str, value: &T) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(key, value)?;
    map.end()
}

/// The variable map of `Fn::Sub`.
struct SubVariables<'a>(&'a IndexMap<String, Expr>);

impl Serialize for SubVariables<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0)
    }
}

// Arguments are written as tuples, which serialize as JSON lists, so that
// string arguments need no copy into a `Json` value first.
impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Expr::Literal(value) => value.serialize(serializer),
            Expr::Ref(name) => serialize_one(serializer, "Ref", name),
            Expr::Condition(name) => serialize_one(serializer, "Condition", name),
            Expr::GetAtt { logical_id, attribute } => {
                serialize_one(serializer, "Fn::GetAtt", &[logical_id, attribute])
            }
            Expr::Sub { template, variables } if variables.is_empty() => {
                serialize_one(serializer, "Fn::Sub", template)
            }
            Expr::Sub { template, variables } => {
                serialize_one(serializer, "Fn::Sub", &(template, SubVariables(variables)))
            }
            Expr::Join { delimiter, items } => serialize_one(serializer, "Fn::Join", &(delimiter, items)),
            Expr::Select { index, list } => serialize_one(serializer, "Fn::Select", &(index, list)),
            Expr::Split { delimiter, source } => serialize_one(serializer, "Fn::Split", &(delimiter, source)),
            Expr::If { condition, if_true, if_false } => {
                serialize_one(serializer, "Fn::If", &(condition, if_true, if_false))
            }
            Expr::Equals(left, right) => serialize_one(serializer, "Fn::Equals", &(left, right)),
            Expr::And(items) => serialize_one(serializer, "Fn::And", items),
            Expr::Or(items) => serialize_one(serializer, "Fn::Or", items),
            Expr::Not(item) => serialize_one(serializer, "Fn::Not", &[item]),
            Expr::FindInMap { map, top_key, second_key } => {
                serialize_one(serializer, "Fn::FindInMap", &(map, top_key, second_key))
            }
            Expr::GetAzs(region) => serialize_one(serializer, "Fn::GetAZs", region.as_ref()),
            Expr::Cidr { ip_block, count, cidr_bits } => {
                serialize_one(serializer, "Fn::Cidr", &(ip_block, count, cidr_bits))
            }
            Expr::ImportValue(name) => serialize_one(serializer, "Fn::ImportValue", name.as_ref()),
            Expr::Base64(value) => serialize_one(serializer, "Fn::Base64", value.as_ref()),
            Expr::List(items) => items.serialize(serializer),
        }
    }
}

impl From<Expr> for Json {
    fn from(expr: Expr) -> Json {
        expr.to_json()
    }
}

/// A property value: a literal of type `T` or an intrinsic function.
///
/// Every typed property is a `Value`, so any property accepts an intrinsic
/// where CloudFormation does. `From` conversions keep literals short:
/// `"10.0.0.0/16".into()`, `true.into()`, `Expr::reference("Vpc").into()`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<T> {
    /// A literal value.
    Literal(T),
    /// An intrinsic function resolved by CloudFormation at deploy time.
    Expr(Expr),
}

impl<T> Value<T> {
    /// Returns the literal, or `None` when the value is only known at deploy time.
    pub fn literal(&self) -> Option<&T> {
        match self {
            Value::Literal(value) => Some(value),
            Value::Expr(_) => None,
        }
    }
}

impl<T: Serialize> Serialize for Value<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Literal(value) => value.serialize(serializer),
            Value::Expr(expr) => expr.serialize(serializer),
        }
    }
}

impl<T> From<Expr> for Value<T> {
    fn from(expr: Expr) -> Self {
        Value::Expr(expr)
    }
}

impl From<&str> for Value<String> {
    fn from(text: &str) -> Self {
        Value::Literal(text.to_owned())
    }
}

impl From<String> for Value<String> {
    fn from(text: String) -> Self {
        Value::Literal(text)
    }
}

impl From<bool> for Value<bool> {
    fn from(flag: bool) -> Self {
        Value::Literal(flag)
    }
}

impl From<i64> for Value<i64> {
    fn from(number: i64) -> Self {
        Value::Literal(number)
    }
}

impl From<f64> for Value<f64> {
    fn from(number: f64) -> Self {
        Value::Literal(number)
    }
}

impl From<Json> for Value<Json> {
    fn from(value: Json) -> Self {
        Value::Literal(value)
    }
}

impl<T> From<Vec<T>> for Value<Vec<T>> {
    fn from(items: Vec<T>) -> Self {
        Value::Literal(items)
    }
}

impl<T> From<IndexMap<String, T>> for Value<IndexMap<String, T>> {
    fn from(items: IndexMap<String, T>) -> Self {
        Value::Literal(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn intrinsics_round_trip_through_json() {
        let cases = vec![
            Expr::reference("Vpc"),
            Expr::pseudo(Pseudo::Region),
            Expr::get_att("Bucket", "Arn"),
            Expr::sub("arn:${AWS::Partition}:s3:::${Bucket}/*"),
            Expr::sub_with("${A}-x", IndexMap::from([("A".to_owned(), Expr::reference("B"))])),
            Expr::join("", vec![Expr::string("a"), Expr::reference("B")]),
            Expr::select(0, Expr::get_azs()),
            Expr::split(",", Expr::reference("List")),
            Expr::if_("IsProd", Expr::string("a"), Expr::pseudo(Pseudo::NoValue)),
            Expr::equals(Expr::reference("Env"), Expr::string("prod")),
            Expr::And(vec![Expr::Condition("A".into()), Expr::Condition("B".into())]),
            Expr::Or(vec![Expr::Condition("A".into()), Expr::Condition("B".into())]),
            Expr::Not(Box::new(Expr::Condition("A".into()))),
            Expr::find_in_map("Map", Expr::pseudo(Pseudo::Region), Expr::string("Ami")),
            Expr::cidr(Expr::string("10.0.0.0/16"), 4, 8),
            Expr::import_value(Expr::string("Shared-VpcId")),
            Expr::base64(Expr::sub("echo ${AWS::StackName}")),
        ];
        for expr in cases {
            let json = expr.to_json();
            assert_eq!(Expr::from_json(&json), expr, "round trip of {json}");
        }
    }

    #[test]
    fn get_att_serializes_as_list() {
        assert_eq!(Expr::get_att("Bucket", "Arn").to_json(), json!({"Fn::GetAtt": ["Bucket", "Arn"]}));
    }

    #[test]
    fn sub_references_skip_pseudo_and_escapes() {
        let names = sub_references("${AWS::Region}-${Bucket.Arn}-${!Literal}-${Var}-${Other}", &["Var"]);
        assert_eq!(names, vec!["Bucket".to_owned(), "Other".to_owned()]);
    }

    #[test]
    fn references_found_inside_nested_values() {
        let value = json!({"A": [{"Ref": "X"}, {"Fn::GetAtt": "Y.Arn"}, {"Ref": "AWS::Region"}]});
        let mut found = Vec::new();
        collect_json_references(&value, &mut found);
        assert_eq!(found, vec!["X".to_owned(), "Y".to_owned()]);
    }

    /// Returns the placeholders by searching for each `${` pair directly,
    /// the plain method that the byte search must agree with.
    fn placeholders_by_pair(template: &str) -> Vec<&str> {
        let mut found = Vec::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            if !after[..end].starts_with('!') {
                found.push(&after[..end]);
            }
            rest = &after[end + 1..];
        }
        found
    }

    #[test]
    fn placeholders_edge_cases() {
        let cases: [(&str, &[&str]); 9] = [
            ("${A}-${B.Arn}", &["A", "B.Arn"]),
            ("$${A}", &["A"]),
            ("$$", &[]),
            ("cost: $5, ${Env}", &["Env"]),
            ("${!Literal} ${Real}", &["Real"]),
            ("${Open", &[]),
            ("trailing $", &[]),
            ("${}", &[""]),
            ("€${Ünïcode}€", &["Ünïcode"]),
        ];
        for (template, expected) in cases {
            assert_eq!(sub_placeholders(template), expected.to_vec(), "{template:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn placeholders_match_pair_search(template in "[ab${}!.$€]{0,40}") {
            proptest::prop_assert_eq!(sub_placeholders(&template), placeholders_by_pair(&template));
        }
    }
}

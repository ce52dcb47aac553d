//! Matchers: a tree of expected JSON values and special nodes (any value,
//! absent, substring, negation, capture), and the engine that compares the
//! tree with actual template JSON and lists every mismatch by JSON path.
//!
//! Objects in a matcher are compared object-like unless an enclosing
//! [`Match::object_equals`] or [`Match::exact`] sets exact mode. Keys the
//! matcher gives must match, and extra keys in the template are allowed. Arrays
//! always have to match element by element unless [`Match::array_with`] is
//! used, because the order of list properties (subnets, statements) matters.

use std::fmt;
use std::sync::{Arc, Mutex};

use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

/// Maximum length in characters of a JSON value quoted in a mismatch
/// message. Longer values are cut, so a whole policy document does not bury
/// the path.
const MAX_QUOTED_CHARS: usize = 200;

/// An expected value, built from JSON (`Matcher::from(json!(...))`), from the
/// [`Match`] functions, or with the [`matcher!`](crate::matcher) macro that
/// mixes both.
#[derive(Debug, Clone)]
pub struct Matcher(pub(crate) Node);

#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A JSON scalar: null, a boolean, a number or a string.
    Literal(Json),
    /// `partial` is `None` when the object inherits the mode of the nearest
    /// enclosing object, which is object-like at the root.
    Object { entries: IndexMap<String, Node>, partial: Option<bool> },
    /// `contains` is `true` for `array_with`: the items must appear in this
    /// order, other elements may sit between them.
    Array { items: Vec<Node>, contains: bool },
    AnyValue,
    Absent,
    StringContaining(String),
    Not(Box<Node>),
    Capture(Capture, Option<Box<Node>>),
}

/// Constructors of the special matchers, named after the CDK `Match` class
/// they mirror.
pub enum Match {}

impl Match {
    /// Matches an object that has every key given, with matching values;
    /// extra keys are allowed, here and in nested objects.
    ///
    /// # Panics
    /// When `pattern` is not an object.
    #[track_caller]
    pub fn object_like(pattern: impl Into<Matcher>) -> Matcher {
        Matcher(with_object_mode(pattern.into().0, true, "Match::object_like"))
    }

    /// Matches an object with exactly the keys given; nested objects are
    /// compared exactly too unless wrapped in [`Match::object_like`].
    ///
    /// # Panics
    /// When `pattern` is not an object.
    #[track_caller]
    pub fn object_equals(pattern: impl Into<Matcher>) -> Matcher {
        Matcher(with_object_mode(pattern.into().0, false, "Match::object_equals"))
    }

    /// Matches an array that contains an element matching each item, in the
    /// order given; other elements may come before, between and after them.
    pub fn array_with<I>(items: I) -> Matcher
    where
        I: IntoIterator,
        I::Item: Into<Matcher>,
    {
        Matcher(Node::Array { items: items.into_iter().map(|item| item.into().0).collect(), contains: true })
    }

    /// Matches an array of exactly these elements in this order. A JSON
    /// array given as a pattern means the same.
    pub fn array_equals<I>(items: I) -> Matcher
    where
        I: IntoIterator,
        I::Item: Into<Matcher>,
    {
        Matcher(Node::Array { items: items.into_iter().map(|item| item.into().0).collect(), contains: false })
    }

    /// Matches any value that is present and not null.
    pub fn any_value() -> Matcher {
        Matcher(Node::AnyValue)
    }

    /// Matches when the key is missing from the enclosing object.
    pub fn absent() -> Matcher {
        Matcher(Node::Absent)
    }

    /// Matches a string that contains `needle`.
    pub fn string_containing(needle: impl Into<String>) -> Matcher {
        Matcher(Node::StringContaining(needle.into()))
    }

    /// Matches any value, or a missing key, that `matcher` does not match.
    pub fn not(matcher: impl Into<Matcher>) -> Matcher {
        Matcher(Node::Not(Box::new(matcher.into().0)))
    }

    /// Matches exactly this JSON value: objects at every depth must have the
    /// same keys, arrays the same elements.
    pub fn exact(value: Json) -> Matcher {
        Matcher(from_json(value, Some(false)))
    }
}

/// Sets the mode of a top-level object node, rejecting anything else because
/// `object_like(json!(1))` is a mistake in the test, not a failed match.
#[track_caller]
fn with_object_mode(node: Node, partial: bool, function: &str) -> Node {
    match node {
        Node::Object { entries, .. } => Node::Object { entries, partial: Some(partial) },
        other => panic!("{function} expects a JSON object, found {}", describe(&other)),
    }
}

fn from_json(value: Json, partial: Option<bool>) -> Node {
    match value {
        Json::Object(map) => Node::Object {
            entries: map.into_iter().map(|(key, value)| (key, from_json(value, partial))).collect(),
            partial,
        },
        Json::Array(items) => Node::Array {
            items: items.into_iter().map(|item| from_json(item, partial)).collect(),
            contains: false,
        },
        scalar => Node::Literal(scalar),
    }
}

impl Matcher {
    /// Builds an object node for [`matcher!`](crate::matcher); its mode is
    /// inherited from the enclosing object.
    #[doc(hidden)]
    pub fn __object(entries: Vec<(String, Matcher)>) -> Matcher {
        Matcher(Node::Object {
            entries: entries.into_iter().map(|(key, matcher)| (key, matcher.0)).collect(),
            partial: None,
        })
    }

    /// Builds a JSON null literal for [`matcher!`](crate::matcher), so that
    /// callers of the macro need no `serde_json` import.
    #[doc(hidden)]
    pub fn __null() -> Matcher {
        Matcher(Node::Literal(Json::Null))
    }

    /// Builds an exact array node for [`matcher!`](crate::matcher).
    #[doc(hidden)]
    pub fn __array(items: Vec<Matcher>) -> Matcher {
        Matcher(Node::Array { items: items.into_iter().map(|item| item.0).collect(), contains: false })
    }
}

impl From<Json> for Matcher {
    fn from(value: Json) -> Matcher {
        Matcher(from_json(value, None))
    }
}

impl From<&Json> for Matcher {
    fn from(value: &Json) -> Matcher {
        Matcher(from_json(value.clone(), None))
    }
}

macro_rules! literal_from {
    ($($source:ty),*) => {
        $(impl From<$source> for Matcher {
            fn from(value: $source) -> Matcher {
                Matcher(Node::Literal(Json::from(value)))
            }
        })*
    };
}

literal_from!(&str, String, bool, i32, i64, u32, u64, f64);

impl From<Capture> for Matcher {
    fn from(capture: Capture) -> Matcher {
        Matcher(Node::Capture(capture, None))
    }
}

impl From<&Capture> for Matcher {
    fn from(capture: &Capture) -> Matcher {
        Matcher(Node::Capture(capture.clone(), None))
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&describe(&self.0))
    }
}

/// Builds a [`Matcher`] from JSON-like syntax whose values may be matchers.
///
/// `{` and `[` open nested objects and arrays, and `null` is JSON null. Any
/// other value is an expression converted with `Matcher::from`: a string,
/// number, bool, `serde_json::Value`, [`Capture`] or [`Matcher`].
///
/// ```
/// use serde_json::json;
/// use vaultgate_core::assertions::{Capture, Match};
/// use vaultgate_core::matcher;
///
/// let status = Capture::new();
/// let properties = matcher!({
///     "BucketName": Match::absent(),
///     "VersioningConfiguration": { "Status": &status },
///     "Tags": Match::array_with([json!({"Key": "env"})]),
/// });
/// assert!(properties.to_string().contains("\"BucketName\":\"<absent>\""));
/// ```
#[macro_export]
macro_rules! matcher {
    // Object entries are collected one key at a time: `@object` reads a key,
    // `@value` gathers the value's tokens up to the next top-level comma.
    (@object [$($done:tt)*]) => {
        $crate::assertions::Matcher::__object(::std::vec![$($done)*])
    };
    (@object [$($done:tt)*] $key:literal : $($rest:tt)*) => {
        $crate::matcher!(@value [$($done)*] $key [] $($rest)*)
    };
    (@value [$($done:tt)*] $key:literal [$($value:tt)+] , $($rest:tt)*) => {
        $crate::matcher!(@object [$($done)* (::std::string::String::from($key), $crate::matcher!($($value)+)),] $($rest)*)
    };
    (@value [$($done:tt)*] $key:literal [$($value:tt)+]) => {
        $crate::matcher!(@object [$($done)* (::std::string::String::from($key), $crate::matcher!($($value)+)),])
    };
    (@value [$($done:tt)*] $key:literal [$($value:tt)*] $next:tt $($rest:tt)*) => {
        $crate::matcher!(@value [$($done)*] $key [$($value)* $next] $($rest)*)
    };
    (@array [$($done:tt)*] []) => {
        $crate::assertions::Matcher::__array(::std::vec![$($done)*])
    };
    (@array [$($done:tt)*] [$($item:tt)+]) => {
        $crate::assertions::Matcher::__array(::std::vec![$($done)* $crate::matcher!($($item)+)])
    };
    (@array [$($done:tt)*] [$($item:tt)+] , $($rest:tt)*) => {
        $crate::matcher!(@array [$($done)* $crate::matcher!($($item)+),] [] $($rest)*)
    };
    (@array [$($done:tt)*] [$($item:tt)*] $next:tt $($rest:tt)*) => {
        $crate::matcher!(@array [$($done)*] [$($item)* $next] $($rest)*)
    };
    (null) => {
        $crate::assertions::Matcher::__null()
    };
    ({ $($body:tt)* }) => {
        $crate::matcher!(@object [] $($body)*)
    };
    ([ $($body:tt)* ]) => {
        $crate::matcher!(@array [] [] $($body)*)
    };
    ($other:expr) => {
        $crate::assertions::Matcher::from($other)
    };
}

/// Records the values it matches, so that a test can read a generated value
/// (a logical ID in a `Ref`, a policy statement) and assert on it.
///
/// Values are recorded only when the whole assertion matches, once per
/// matching resource, in template order. Clones share the recorded values.
#[derive(Debug, Clone, Default)]
pub struct Capture {
    values: Arc<Mutex<Vec<Json>>>,
}

impl Capture {
    /// Creates a capture that matches any present value.
    pub fn new() -> Capture {
        Capture::default()
    }

    /// Returns a matcher that records the value only when `matcher` matches it.
    pub fn matching(&self, matcher: impl Into<Matcher>) -> Matcher {
        Matcher(Node::Capture(self.clone(), Some(Box::new(matcher.into().0))))
    }

    /// Returns every recorded value, oldest first.
    pub fn values(&self) -> Vec<Json> {
        self.values.lock().expect("capture lock poisoned").clone()
    }

    /// Returns the first recorded value.
    ///
    /// # Panics
    /// When nothing was recorded, because no assertion using the capture
    /// has matched yet.
    #[track_caller]
    pub fn as_json(&self) -> Json {
        match self.values().into_iter().next() {
            Some(value) => value,
            None => panic!("the capture recorded no value: no assertion using it has passed yet; read it after one does"),
        }
    }

    /// Returns the first recorded value as a string.
    ///
    /// # Panics
    /// When nothing was recorded or the value is not a string.
    #[track_caller]
    pub fn as_string(&self) -> String {
        match self.as_json() {
            Json::String(text) => text,
            other => panic!("the captured value is not a string: {}", quote(&other)),
        }
    }

    /// Returns the first recorded value as an array.
    ///
    /// # Panics
    /// When nothing was recorded or the value is not an array.
    #[track_caller]
    pub fn as_array(&self) -> Vec<Json> {
        match self.as_json() {
            Json::Array(items) => items,
            other => panic!("the captured value is not an array: {}", quote(&other)),
        }
    }

    /// Returns the first recorded value as an object.
    ///
    /// # Panics
    /// When nothing was recorded or the value is not an object.
    #[track_caller]
    pub fn as_object(&self) -> Map<String, Json> {
        match self.as_json() {
            Json::Object(map) => map,
            other => panic!("the captured value is not an object: {}", quote(&other)),
        }
    }

    fn record(&self, value: Json) {
        self.values.lock().expect("capture lock poisoned").push(value);
    }
}

/// One difference between a matcher and the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// JSON path of the value, such as `$.Properties.Tags[0].Value`.
    pub path: String,
    /// Expected and found values, in words.
    pub message: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.path, self.message)
    }
}

/// The result of comparing one matcher with one value. Captures are held
/// back until the caller decides that the whole assertion matched.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) mismatches: Vec<Mismatch>,
    captures: Vec<(Capture, Json)>,
}

impl Outcome {
    pub(crate) fn is_match(&self) -> bool {
        self.mismatches.is_empty()
    }

    /// Records the captured values; call it only for a successful match.
    pub(crate) fn commit(self) {
        for (capture, value) in self.captures {
            capture.record(value);
        }
    }

    fn fail(&mut self, path: &str, message: String) {
        self.mismatches.push(Mismatch { path: path.to_owned(), message });
    }
}

/// Compares `matcher` with `actual` (`None` for a missing key) and returns
/// every mismatch, with paths starting at `root`. Objects whose mode is not
/// set explicitly are compared object-like.
pub(crate) fn evaluate(matcher: &Matcher, actual: Option<&Json>, root: &str) -> Outcome {
    let mut outcome = Outcome::default();
    compare(&matcher.0, actual, root, true, &mut outcome);
    outcome
}

fn compare(node: &Node, actual: Option<&Json>, path: &str, partial: bool, outcome: &mut Outcome) {
    match node {
        Node::Literal(expected) => match actual {
            Some(value) if json_equal(expected, value) => {}
            Some(value) => outcome.fail(path, format!("expected {}, found {}", quote(expected), quote(value))),
            None => outcome.fail(path, format!("expected {}, but the key is missing", quote(expected))),
        },
        Node::Object { entries, partial: own } => {
            let partial = own.unwrap_or(partial);
            let map = match actual {
                Some(Json::Object(map)) => map,
                Some(other) => {
                    return outcome.fail(path, format!("expected an object, found {}", quote(other)));
                }
                None => {
                    return outcome.fail(path, format!("expected {}, but the key is missing", describe(node)));
                }
            };
            for (key, entry) in entries {
                compare(entry, map.get(key), &child_path(path, key), partial, outcome);
            }
            if !partial {
                for (key, value) in map.iter().filter(|(key, _)| !entries.contains_key(*key)) {
                    outcome.fail(&child_path(path, key), format!("expected no such key, found {}", quote(value)));
                }
            }
        }
        Node::Array { items, contains } => {
            let elements = match actual {
                Some(Json::Array(elements)) => elements,
                Some(other) => {
                    return outcome.fail(path, format!("expected an array, found {}", quote(other)));
                }
                None => {
                    return outcome.fail(path, format!("expected {}, but the key is missing", describe(node)));
                }
            };
            if *contains {
                compare_subsequence(items, elements, path, partial, outcome);
            } else if items.len() != elements.len() {
                outcome.fail(
                    path,
                    format!(
                        "expected an array of {} element{}, found {} element{}: {}",
                        items.len(),
                        plural(items.len()),
                        elements.len(),
                        plural(elements.len()),
                        quote(&Json::Array(elements.clone()))
                    ),
                );
            } else {
                for (index, (item, element)) in items.iter().zip(elements).enumerate() {
                    compare(item, Some(element), &format!("{path}[{index}]"), partial, outcome);
                }
            }
        }
        Node::AnyValue => match actual {
            None => outcome.fail(path, "expected any value, but the key is missing".to_owned()),
            Some(Json::Null) => outcome.fail(path, "expected any value other than null, found null".to_owned()),
            Some(_) => {}
        },
        Node::Absent => {
            if let Some(value) = actual {
                outcome.fail(path, format!("expected the key to be absent, found {}", quote(value)));
            }
        }
        Node::StringContaining(needle) => match actual {
            Some(Json::String(text)) if text.contains(needle.as_str()) => {}
            Some(value) => outcome.fail(
                path,
                format!("expected a string containing {}, found {}", quote(&Json::from(needle.as_str())), quote(value)),
            ),
            None => outcome.fail(
                path,
                format!("expected a string containing {}, but the key is missing", quote(&Json::from(needle.as_str()))),
            ),
        },
        Node::Not(inner) => {
            let mut trial = Outcome::default();
            compare(inner, actual, path, partial, &mut trial);
            if trial.is_match() {
                let found = actual.map_or_else(|| "no value".to_owned(), quote);
                outcome.fail(path, format!("expected a value not matching {}, found {found}", describe(inner)));
            }
        }
        Node::Capture(capture, inner) => {
            let Some(value) = actual else {
                return outcome.fail(path, "expected a value to capture, but the key is missing".to_owned());
            };
            let mut trial = Outcome::default();
            if let Some(inner) = inner {
                compare(inner, actual, path, partial, &mut trial);
            }
            if trial.is_match() {
                outcome.captures.extend(trial.captures);
                outcome.captures.push((capture.clone(), value.clone()));
            } else {
                outcome.mismatches.extend(trial.mismatches);
            }
        }
    }
}

/// Matches `items` against `elements` as an ordered subsequence. Taking the
/// earliest matching element for each item is enough: if any assignment in
/// order exists, the earliest one leaves the most elements for later items.
fn compare_subsequence(items: &[Node], elements: &[Json], path: &str, partial: bool, outcome: &mut Outcome) {
    let mut next = 0;
    for (index, item) in items.iter().enumerate() {
        let found = (next..elements.len()).find_map(|position| {
            let mut trial = Outcome::default();
            compare(item, Some(&elements[position]), &format!("{path}[{position}]"), partial, &mut trial);
            trial.is_match().then_some((position, trial))
        });
        match found {
            Some((position, trial)) => {
                outcome.captures.extend(trial.captures);
                next = position + 1;
            }
            None => outcome.fail(
                path,
                format!(
                    "expected an element matching {} (array_with item [{index}], items in order), found {}",
                    describe(item),
                    quote(&Json::Array(elements.to_vec()))
                ),
            ),
        }
    }
}

/// Compares JSON values, treating numbers as equal when their values are,
/// so that `1` and `1.0` match.
fn json_equal(left: &Json, right: &Json) -> bool {
    match (left, right) {
        (Json::Number(a), Json::Number(b)) => a == b || a.as_f64() == b.as_f64(),
        _ => left == right,
    }
}

/// Appends `key` to a JSON path, in bracket form when the key contains
/// characters that would make the dotted form ambiguous.
fn child_path(path: &str, key: &str) -> String {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':'));
    if plain {
        format!("{path}.{key}")
    } else {
        format!("{path}[{}]", Json::from(key))
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

/// Renders a JSON value compactly, cut to [`MAX_QUOTED_CHARS`].
pub(crate) fn quote(value: &Json) -> String {
    let text = value.to_string();
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Renders a matcher as JSON, with special nodes written as `"<…>"` strings.
fn describe(node: &Node) -> String {
    quote(&describe_json(node))
}

fn describe_json(node: &Node) -> Json {
    match node {
        Node::Literal(value) => value.clone(),
        Node::Object { entries, .. } => {
            Json::Object(entries.iter().map(|(key, entry)| (key.clone(), describe_json(entry))).collect())
        }
        Node::Array { items, contains: false } => Json::Array(items.iter().map(describe_json).collect()),
        Node::Array { items, contains: true } => Json::String(format!(
            "<array with {}>",
            Json::Array(items.iter().map(describe_json).collect())
        )),
        Node::AnyValue => Json::from("<any value>"),
        Node::Absent => Json::from("<absent>"),
        Node::StringContaining(needle) => Json::String(format!("<string containing {}>", Json::from(needle.as_str()))),
        Node::Not(inner) => Json::String(format!("<not {}>", describe_json(inner))),
        Node::Capture(_, None) => Json::from("<capture>"),
        Node::Capture(_, Some(inner)) => Json::String(format!("<capture of {}>", describe_json(inner))),
    }
}

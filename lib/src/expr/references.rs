//! References that a template value makes through intrinsic functions,
//! found in one walk over the JSON: the logical IDs it names, the
//! attributes it reads with `Fn::GetAtt`, and the conditions it names in
//! `Fn::If`.
//!
//! Validation needs all three for every resource. Collecting them together,
//! as slices of the template instead of copies, visits each value once and
//! allocates nothing but the three lists.

use serde_json::{Map, Value as Json};

use super::{placeholders, Pseudo};

/// The references found in one JSON value, each list in the order the walk
/// meets them (depth first, in map and list order).
#[derive(Debug, Default)]
pub(crate) struct References<'a> {
    /// Logical IDs named by `Ref`, `Fn::GetAtt` and the `${Name}` and
    /// `${Name.Attr}` forms of `Fn::Sub`, as [`super::collect_json_references`]
    /// returns them: pseudo parameters and `Fn::Sub` variables are skipped.
    pub(crate) names: Vec<&'a str>,
    /// `Fn::GetAtt` targets and attributes, from both forms of `Fn::GetAtt`
    /// and from `${Name.Attr}` in `Fn::Sub`.
    pub(crate) get_atts: Vec<(&'a str, &'a str)>,
    /// Conditions named by `Fn::If`.
    pub(crate) conditions: Vec<&'a str>,
}

impl<'a> References<'a> {
    /// Returns the references inside `value`.
    pub(crate) fn of_value(value: &'a Json) -> References<'a> {
        let mut references = References::default();
        references.visit(value, true);
        references
    }

    /// Returns the references inside `map`, as [`References::of_value`] does
    /// for `Json::Object(map)`.
    pub(crate) fn of_map(map: &'a Map<String, Json>) -> References<'a> {
        let mut references = References::default();
        references.visit_map(map, true);
        references
    }

    /// Walks `value`. `names` is false inside the parts of an intrinsic
    /// whose names were already taken, such as the template string of an
    /// `Fn::Sub`: `Fn::GetAtt` and `Fn::If` are still looked for there.
    fn visit(&mut self, value: &'a Json, names: bool) {
        match value {
            Json::Array(items) => items.iter().for_each(|item| self.visit(item, names)),
            Json::Object(map) => self.visit_map(map, names),
            _ => {}
        }
    }

    fn visit_map(&mut self, map: &'a Map<String, Json>, names: bool) {
        // One pass over the keys in place of a hash lookup per key looked for.
        let (mut get_att, mut sub, mut if_) = (None, None, None);
        for (key, value) in map {
            match key.as_str() {
                "Fn::GetAtt" => get_att = Some(value),
                "Fn::Sub" => sub = Some(value),
                "Fn::If" => if_ = Some(value),
                _ => {}
            }
        }
        self.push_get_atts(get_att, sub);
        if let Some(Json::Array(parts)) = if_ {
            if let Some(Json::String(condition)) = parts.first() {
                self.conditions.push(condition);
            }
        }

        if names && map.len() == 1 {
            let (key, argument) = map.iter().next().expect("one entry");
            match (key.as_str(), argument) {
                ("Ref", Json::String(name)) => {
                    if !name.starts_with("AWS::") {
                        self.names.push(name);
                    }
                    return;
                }
                ("Fn::GetAtt", Json::String(dotted)) => {
                    self.names.push(dotted.split_once('.').map_or(dotted.as_str(), |(id, _)| id));
                    return;
                }
                ("Fn::GetAtt", Json::Array(parts)) => {
                    if let Some(Json::String(logical_id)) = parts.first() {
                        self.names.push(logical_id);
                    }
                    for (index, part) in parts.iter().enumerate() {
                        self.visit(part, index > 0);
                    }
                    return;
                }
                ("Fn::Sub", Json::String(template)) => {
                    push_sub_reference_names(&mut self.names, template, &[]);
                    return;
                }
                ("Fn::Sub", Json::Array(parts)) if parts.len() == 2 => {
                    let variables: Vec<&str> = parts[1]
                        .as_object()
                        .map(|variables| variables.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    if let Json::String(template) = &parts[0] {
                        push_sub_reference_names(&mut self.names, template, &variables);
                    }
                    self.visit(&parts[0], false);
                    self.visit(&parts[1], true);
                    return;
                }
                _ => {}
            }
        }
        map.values().for_each(|value| self.visit(value, names));
    }

    /// Records the `Fn::GetAtt` of this map and the `${Name.Attr}`
    /// placeholders of its `Fn::Sub`, in that order.
    fn push_get_atts(&mut self, get_att: Option<&'a Json>, sub: Option<&'a Json>) {
        match get_att {
            Some(Json::Array(parts)) if parts.len() == 2 => {
                if let (Some(target), Some(attribute)) = (parts[0].as_str(), parts[1].as_str()) {
                    self.get_atts.push((target, attribute));
                }
            }
            Some(Json::String(dotted)) => {
                if let Some(pair) = dotted.split_once('.') {
                    self.get_atts.push(pair);
                }
            }
            _ => {}
        }
        let template = match sub {
            Some(Json::String(template)) => Some(template.as_str()),
            Some(Json::Array(parts)) => parts.first().and_then(Json::as_str),
            _ => None,
        };
        if let Some(template) = template {
            self.get_atts.extend(
                placeholders(template)
                    .filter(|inner| Pseudo::from_name(inner).is_none())
                    .filter_map(|inner| inner.split_once('.')),
            );
        }
    }
}

/// Returns the names that `${…}` placeholders in an `Fn::Sub` template refer
/// to, without pseudo parameters, the given variables or `${!Literal}`
/// escapes, as slices of `template`.
pub(crate) fn sub_reference_names<'t>(template: &'t str, variables: &[&str]) -> Vec<&'t str> {
    let mut names = Vec::new();
    push_sub_reference_names(&mut names, template, variables);
    names
}

/// Appends the names of [`sub_reference_names`] to `names`.
fn push_sub_reference_names<'t>(names: &mut Vec<&'t str>, template: &'t str, variables: &[&str]) {
    for inner in placeholders(template) {
        if inner.starts_with("AWS::") {
            continue;
        }
        let name = inner.split_once('.').map_or(inner, |(id, _)| id).trim();
        if !name.is_empty() && !variables.contains(&name) {
            names.push(name);
        }
    }
}

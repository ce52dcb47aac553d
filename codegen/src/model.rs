//! Turns one resource provider schema into the model the renderer prints:
//! the resource struct, its nested property structs, its `Fn::GetAtt`
//! attributes, create-only properties and tag style.
//!
//! Property paths follow the schema's own pointer form (`/properties/A/B`,
//! `*` for an array item or map value), so they compare directly with the
//! schema's readOnlyProperties, createOnlyProperties and writeOnlyProperties.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

use crate::naming::{identifier, snake_case, upper_camel};

/// A property's Rust type, before the `Value<…>` wrapper is added.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    String,
    Integer,
    Number,
    Boolean,
    /// Free-form JSON, with the reason the schema gives no single type.
    Json(&'static str),
    List(Box<Type>),
    Map(Box<Type>),
    /// A nested struct, by its index in [`Resource::structs`].
    Struct { index: usize, boxed: bool },
}

#[derive(Debug, Clone)]
pub struct Field {
    pub property: String,
    pub ident: String,
    pub ty: Type,
    pub required: bool,
    pub doc: String,
    pub create_only: bool,
    pub write_only: bool,
    pub read_only: bool,
    pub allowed: Vec<String>,
    pub default: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Struct {
    pub name: String,
    pub doc: String,
    pub fields: Vec<Field>,
    /// Pointer paths through which the struct is reached.
    paths: BTreeSet<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagStyle {
    KeyValueList,
    Map,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub type_name: String,
    /// `ec2`, `s3`: the lowercased service part of the type name.
    pub service: String,
    pub name: String,
    pub module: String,
    pub doc: String,
    pub fields: Vec<Field>,
    pub structs: Vec<Struct>,
    pub attributes: Vec<String>,
    pub create_only: Vec<String>,
    pub tag_style: Option<TagStyle>,
}

impl Resource {
    /// Builds the model of one schema. Panics with the type name and the
    /// problem when the schema uses a form the generator cannot map.
    pub fn from_schema(schema: &Json) -> Resource {
        let type_name = schema["typeName"].as_str().expect("schema has a typeName").to_owned();
        let mut parts = type_name.split("::");
        let (_, service, short) = (parts.next(), parts.next(), parts.next());
        let (service, short) = (service.expect("service part"), short.expect("type part"));
        let name = upper_camel(short);

        let mut builder = Builder {
            schema,
            type_name: &type_name,
            structs: Vec::new(),
            by_key: BTreeMap::new(),
            read_only: pointer_set(schema, "readOnlyProperties"),
            create_only: pointer_set(schema, "createOnlyProperties"),
            write_only: pointer_set(schema, "writeOnlyProperties"),
        };
        let properties = schema["properties"].as_object().expect("schema has properties");
        let required = string_list(&schema["required"]);
        let mut fields = Vec::new();
        for (property, node) in properties {
            let path = format!("/properties/{property}");
            if builder.read_only.contains(&path) {
                continue;
            }
            let ty = builder.type_of(node, property, &path);
            fields.push(builder.field(property, node, ty, required.contains(property), &path));
        }
        builder.finish_structs(&name);

        Resource {
            service: service.to_ascii_lowercase(),
            module: snake_case(short),
            doc: first_sentence(schema["description"].as_str().unwrap_or("")),
            attributes: attributes(schema, &builder.read_only),
            create_only: dotted(&builder.create_only),
            tag_style: tag_style(schema),
            structs: builder.structs,
            type_name,
            name,
            fields,
        }
    }
}

struct Builder<'a> {
    schema: &'a Json,
    type_name: &'a str,
    structs: Vec<Struct>,
    /// Definition name or inline pointer path -> index in `structs`.
    by_key: BTreeMap<String, usize>,
    read_only: BTreeSet<String>,
    create_only: BTreeSet<String>,
    write_only: BTreeSet<String>,
}

impl<'s> Builder<'s> {
    fn definition<'r>(&self, reference: &'r str) -> (&'r str, &'s Json) {
        let name = reference
            .strip_prefix("#/definitions/")
            .unwrap_or_else(|| panic!("{}: unsupported $ref `{reference}`", self.type_name));
        let node = self.schema["definitions"]
            .get(name)
            .unwrap_or_else(|| panic!("{}: $ref to missing definition `{name}`", self.type_name));
        (name, node)
    }

    /// Maps a schema node to a Rust type, registering nested structs. `hint`
    /// names an inline object's struct; `path` is where the node sits.
    fn type_of(&mut self, node: &Json, hint: &str, path: &str) -> Type {
        if let Some(reference) = node.get("$ref").and_then(Json::as_str) {
            let (name, definition) = self.definition(reference);
            let name = name.to_owned();
            let definition = definition.clone();
            return self.type_of_node(&definition, &name, &format!("#/definitions/{name}"), path);
        }
        self.type_of_node(node, hint, path, path)
    }

    fn type_of_node(&mut self, node: &Json, hint: &str, key: &str, path: &str) -> Type {
        if let Some(Json::Array(types)) = node.get("type") {
            return if types.len() == 1 {
                let mut single = node.clone();
                single["type"] = types[0].clone();
                self.type_of_node(&single, hint, key, path)
            } else {
                Type::Json("the schema allows several types")
            };
        }
        for combinator in ["oneOf", "anyOf", "allOf"] {
            if let Some(Json::Array(branches)) = node.get(combinator) {
                // Branches that only add `required`, `format` or
                // relationship constraints leave the node's own type in place.
                let shapes = ["type", "properties", "$ref", "items", "enum", "const"];
                if branches.iter().any(|branch| shapes.iter().any(|k| branch.get(k).is_some())) {
                    return Type::Json("the schema gives alternative shapes (oneOf/anyOf)");
                }
            }
        }
        let has_properties = node.get("properties").and_then(Json::as_object).is_some_and(|p| !p.is_empty());
        match node.get("type").and_then(Json::as_str) {
            Some("string") => Type::String,
            Some("integer") => Type::Integer,
            Some("number") => Type::Number,
            Some("boolean") => Type::Boolean,
            Some("array") => match node.get("items") {
                Some(items) => Type::List(Box::new(self.type_of(items, hint, &format!("{path}/*")))),
                None => Type::List(Box::new(Type::Json("the schema does not type the items"))),
            },
            Some("object") | None if has_properties => self.struct_of(node, hint, key, path),
            Some("object") => self.map_of(node, hint, path),
            None => Type::Json("the schema gives no type"),
            Some(other) => panic!("{}: unsupported type `{other}` at {path}", self.type_name),
        }
    }

    fn map_of(&mut self, node: &Json, hint: &str, path: &str) -> Type {
        let value_path = format!("{path}/*");
        if let Some(Json::Object(patterns)) = node.get("patternProperties") {
            let types: Vec<Type> = patterns.values().map(|value| self.type_of(value, hint, &value_path)).collect();
            return match types.first() {
                Some(first) if types.iter().all(|ty| ty == first) => Type::Map(Box::new(first.clone())),
                _ => Type::Json("the map's patterns have different value types"),
            };
        }
        if let Some(value @ Json::Object(_)) = node.get("additionalProperties") {
            return Type::Map(Box::new(self.type_of(value, hint, &value_path)));
        }
        Type::Json("the schema declares an object without properties")
    }

    fn struct_of(&mut self, node: &Json, hint: &str, key: &str, path: &str) -> Type {
        if let Some(&index) = self.by_key.get(key) {
            self.structs[index].paths.insert(path.to_owned());
            self.add_nested_paths(index, path);
            return Type::Struct { index, boxed: false };
        }
        let mut name = upper_camel(hint);
        if self.structs.iter().any(|existing| existing.name == name) {
            name = format!("{}{name}", upper_camel(key.rsplit('/').nth(1).unwrap_or("Nested")));
        }
        let index = self.structs.len();
        self.by_key.insert(key.to_owned(), index);
        self.structs.push(Struct {
            name,
            doc: first_sentence(node.get("description").and_then(Json::as_str).unwrap_or("")),
            fields: Vec::new(),
            paths: BTreeSet::from([path.to_owned()]),
        });

        let required = string_list(&node["required"]);
        let mut fields = Vec::new();
        for (property, child) in node["properties"].as_object().expect("checked above") {
            let child_path = format!("{path}/{property}");
            let ty = self.type_of(child, property, &child_path);
            fields.push(self.field(property, child, ty, required.contains(property), &child_path));
        }
        self.structs[index].fields = fields;
        Type::Struct { index, boxed: false }
    }

    /// Records the paths of structs nested below `index` when it is reached
    /// through one more path, so their flags consider every path.
    fn add_nested_paths(&mut self, index: usize, path: &str) {
        let mut pending = vec![(index, path.to_owned())];
        let mut seen = BTreeSet::new();
        while let Some((current, base)) = pending.pop() {
            // A recursive type has endless paths, so the walk stops at a
            // depth no real schema reaches.
            if !seen.insert((current, base.clone())) || base.len() > 2000 {
                continue;
            }
            for field in &self.structs[current].fields {
                let mut field_path = format!("{base}/{}", field.property);
                let mut ty = &field.ty;
                loop {
                    match ty {
                        Type::List(inner) | Type::Map(inner) => {
                            field_path.push_str("/*");
                            ty = inner;
                        }
                        Type::Struct { index: nested, .. } => {
                            pending.push((*nested, field_path.clone()));
                            break;
                        }
                        _ => break,
                    }
                }
            }
        }
        for (nested, nested_path) in seen {
            self.structs[nested].paths.insert(nested_path);
        }
    }

    fn field(&self, property: &str, node: &Json, ty: Type, required: bool, path: &str) -> Field {
        let resolved = match node.get("$ref").and_then(Json::as_str) {
            Some(reference) => self.definition(reference).1,
            None => node,
        };
        let description = node
            .get("description")
            .or_else(|| resolved.get("description"))
            .and_then(Json::as_str)
            .unwrap_or("");
        let allowed = resolved
            .get("enum")
            .and_then(Json::as_array)
            .map(|values| values.iter().map(|value| value.to_string()).collect())
            .unwrap_or_default();
        let default = node
            .get("default")
            .filter(|value| !value.is_object() && !value.is_array())
            .map(Json::to_string)
            .filter(|text| text.len() <= 40);
        Field {
            property: property.to_owned(),
            ident: identifier(property),
            ty,
            required,
            doc: first_sentence(description),
            create_only: covered(&self.create_only, path),
            write_only: covered(&self.write_only, path),
            read_only: self.read_only.contains(path),
            allowed,
            default,
        }
    }

    /// Settles nested fields' flags over every path that reaches their
    /// struct, drops read-only nested fields and boxes struct fields that
    /// would otherwise make a type contain itself.
    fn finish_structs(&mut self, resource: &str) {
        for s in &mut self.structs {
            let paths: Vec<String> = s.paths.iter().cloned().collect();
            for field in &mut s.fields {
                let field_paths: Vec<String> = paths.iter().map(|p| format!("{p}/{}", field.property)).collect();
                field.read_only = field_paths.iter().all(|p| self.read_only.contains(p));
                field.create_only = field_paths.iter().all(|p| covered(&self.create_only, p));
                field.write_only = field_paths.iter().all(|p| covered(&self.write_only, p));
            }
            s.fields.retain(|field| !field.read_only);
        }

        let direct: Vec<Vec<usize>> = self
            .structs
            .iter()
            .map(|s| s.fields.iter().filter_map(|f| direct_struct(&f.ty)).collect())
            .collect();
        for from in 0..self.structs.len() {
            for field in &mut self.structs[from].fields {
                if let Type::Struct { index, boxed } = &mut field.ty {
                    *boxed = reaches(&direct, *index, from);
                }
            }
        }

        let mut names = BTreeSet::new();
        for s in &self.structs {
            assert!(names.insert(s.name.clone()), "{resource}: two nested types are named `{}`", s.name);
        }
    }
}

fn direct_struct(ty: &Type) -> Option<usize> {
    match ty {
        Type::Struct { index, .. } => Some(*index),
        _ => None,
    }
}

/// Returns whether `target` is reachable from `start` through fields that
/// hold a struct directly (lists and maps already allocate).
fn reaches(direct: &[Vec<usize>], start: usize, target: usize) -> bool {
    let mut pending = vec![start];
    let mut seen = BTreeSet::new();
    while let Some(current) = pending.pop() {
        if current == target {
            return true;
        }
        if seen.insert(current) {
            pending.extend(&direct[current]);
        }
    }
    false
}

/// Returns whether `path` or one of its ancestors is in `set`.
fn covered(set: &BTreeSet<String>, path: &str) -> bool {
    let mut current = path;
    loop {
        if set.contains(current) {
            return true;
        }
        match current.rfind('/') {
            Some(cut) if cut > "/properties".len() => current = &current[..cut],
            _ => return false,
        }
    }
}

fn string_list(value: &Json) -> Vec<String> {
    value.as_array().map(|items| items.iter().filter_map(Json::as_str).map(str::to_owned).collect()).unwrap_or_default()
}

fn pointer_set(schema: &Json, key: &str) -> BTreeSet<String> {
    string_list(&schema[key]).into_iter().collect()
}

/// `/properties/A/B` -> `A.B`, sorted.
fn dotted(paths: &BTreeSet<String>) -> Vec<String> {
    let mut names: Vec<String> = paths
        .iter()
        .filter_map(|path| path.strip_prefix("/properties/"))
        .map(|rest| rest.replace('/', "."))
        .collect();
    names.sort();
    names
}

/// The `Fn::GetAtt` attributes: read-only properties that resolve to a
/// scalar or a list of scalars. Objects, lists of objects and anything inside
/// a list are left out because `Fn::GetAtt` cannot return or index them.
///
/// A patch can add attributes the schema does not list as read-only under
/// the key `x-vaultgate-extra-attributes` (dotted names).
fn attributes(schema: &Json, read_only: &BTreeSet<String>) -> Vec<String> {
    let extra = string_list(&schema["x-vaultgate-extra-attributes"]);
    let attribute_paths: BTreeSet<String> = read_only
        .iter()
        .filter(|path| !path.contains("/*"))
        .filter(|path| match resolve_pointer(schema, path) {
            Some(node) => !is_object_like(schema, node),
            None => true,
        })
        .cloned()
        .chain(extra.iter().map(|name| format!("/properties/{}", name.replace('.', "/"))))
        .collect();
    dotted(&attribute_paths)
}

fn resolve_ref<'a>(schema: &'a Json, node: &'a Json) -> &'a Json {
    match node.get("$ref").and_then(Json::as_str).and_then(|r| r.strip_prefix("#/definitions/")) {
        Some(name) => schema["definitions"].get(name).unwrap_or(node),
        None => node,
    }
}

fn resolve_pointer<'a>(schema: &'a Json, path: &str) -> Option<&'a Json> {
    let mut parts = path.strip_prefix("/properties/")?.split('/');
    let mut node = resolve_ref(schema, schema["properties"].get(parts.next()?)?);
    for part in parts {
        node = resolve_ref(schema, node.get("properties")?.get(part)?);
    }
    Some(node)
}

fn is_object_like(schema: &Json, node: &Json) -> bool {
    let types = match node.get("type") {
        Some(Json::String(one)) => vec![one.as_str()],
        Some(Json::Array(many)) => many.iter().filter_map(Json::as_str).collect(),
        _ => vec![],
    };
    if types.contains(&"object") || (types.is_empty() && node.get("properties").is_some()) {
        return true;
    }
    if types.contains(&"array") {
        return node.get("items").is_some_and(|items| is_object_like(schema, resolve_ref(schema, items)) || {
            let items = resolve_ref(schema, items);
            items.get("type").and_then(Json::as_str) == Some("array")
        });
    }
    false
}

fn tag_style(schema: &Json) -> Option<TagStyle> {
    let tagging = schema.get("tagging").and_then(Json::as_object).cloned().unwrap_or_else(Map::new);
    let taggable = tagging
        .get("taggable")
        .or_else(|| schema.get("taggable"))
        .and_then(Json::as_bool)
        .unwrap_or(false);
    if !taggable {
        return None;
    }
    let property = tagging.get("tagProperty").and_then(Json::as_str).unwrap_or("/properties/Tags");
    let node = resolve_pointer(schema, property)?;
    match node.get("type").and_then(Json::as_str) {
        Some("array") => Some(TagStyle::KeyValueList),
        Some("object") => Some(TagStyle::Map),
        _ => None,
    }
}

/// The first sentence of a schema description, on one line.
pub fn first_sentence(description: &str) -> String {
    let line = description.split('\n').map(str::trim).find(|line| !line.is_empty()).unwrap_or("");
    let collapsed = line.split_whitespace().collect::<Vec<_>>().join(" ");
    let sentence = match collapsed.find(". ") {
        Some(end) => &collapsed[..=end],
        None => collapsed.as_str(),
    };
    let mut sentence = sentence.trim().to_owned();
    if !sentence.is_empty() && !sentence.ends_with(['.', '!', '?', ':']) {
        sentence.push('.');
    }
    sentence
}

/// Groups resource models by service module, both sorted by name.
pub fn by_service(resources: Vec<Resource>) -> IndexMap<String, Vec<Resource>> {
    let mut services: BTreeMap<String, Vec<Resource>> = BTreeMap::new();
    for resource in resources {
        services.entry(resource.service.clone()).or_default().push(resource);
    }
    services
        .into_iter()
        .map(|(service, mut resources)| {
            resources.sort_by(|a, b| a.name.cmp(&b.name));
            (service, resources)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(properties: Json, definitions: Json) -> Json {
        json!({
            "typeName": "AWS::Demo::Thing",
            "description": "A thing. More text.",
            "properties": properties,
            "definitions": definitions,
            "required": ["Name"],
            "readOnlyProperties": ["/properties/Arn", "/properties/Info/Id", "/properties/Info/Nested"],
            "createOnlyProperties": ["/properties/Name", "/properties/Info"],
            "writeOnlyProperties": ["/properties/Secret"],
            "tagging": {"taggable": true, "tagProperty": "/properties/Tags"},
        })
    }

    fn demo() -> Resource {
        let properties = json!({
            "Name": {"type": "string", "description": "The name. Ignored."},
            "Arn": {"type": "string"},
            "Secret": {"type": "string"},
            "Type": {"type": "string", "enum": ["a", "b"]},
            "Policy": {"type": ["object", "string"]},
            "Either": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "Info": {"$ref": "#/definitions/Info"},
            "Tree": {"$ref": "#/definitions/Node"},
            "Labels": {"type": "object", "patternProperties": {"^.+$": {"type": "string"}}},
            "Tags": {"type": "object", "additionalProperties": {"type": "string"}},
        });
        let definitions = json!({
            "Info": {"type": "object", "properties": {
                "Id": {"type": "string"},
                "Size": {"type": "integer"},
                "Nested": {"type": "object", "properties": {"X": {"type": "number"}}},
            }},
            "Node": {"type": "object", "properties": {
                "Child": {"$ref": "#/definitions/Node"},
                "Children": {"type": "array", "items": {"$ref": "#/definitions/Node"}},
            }},
        });
        Resource::from_schema(&schema(properties, definitions))
    }

    fn field<'a>(fields: &'a [Field], property: &str) -> &'a Field {
        fields.iter().find(|f| f.property == property).unwrap_or_else(|| panic!("no field {property}"))
    }

    #[test]
    fn read_only_properties_become_attributes_not_fields() {
        let resource = demo();
        assert!(resource.fields.iter().all(|f| f.property != "Arn"));
        assert_eq!(resource.attributes, vec!["Arn".to_owned(), "Info.Id".to_owned()]);
        let info = &resource.structs[0];
        assert_eq!(info.fields.iter().map(|f| f.property.as_str()).collect::<Vec<_>>(), vec!["Size"]);
    }

    #[test]
    fn flags_follow_schema_paths() {
        let resource = demo();
        assert!(field(&resource.fields, "Name").create_only);
        assert!(field(&resource.fields, "Name").required);
        assert!(field(&resource.fields, "Secret").write_only);
        assert!(!field(&resource.fields, "Secret").create_only);
        assert!(field(&resource.structs[0].fields, "Size").create_only, "inherits create-only from Info");
        assert_eq!(resource.create_only, vec!["Info".to_owned(), "Name".to_owned()]);
        assert_eq!(resource.tag_style, Some(TagStyle::Map));
    }

    #[test]
    fn hard_shapes_map_to_expected_types() {
        let resource = demo();
        assert_eq!(field(&resource.fields, "Type").ident, "type_");
        assert!(matches!(field(&resource.fields, "Policy").ty, Type::Json(_)));
        assert!(matches!(field(&resource.fields, "Either").ty, Type::Json(_)));
        assert_eq!(field(&resource.fields, "Labels").ty, Type::Map(Box::new(Type::String)));
        assert_eq!(field(&resource.fields, "Name").doc, "The name.");
    }

    #[test]
    fn recursive_definition_is_boxed_only_where_direct() {
        let resource = demo();
        let node = resource.structs.iter().find(|s| s.name == "Node").expect("Node struct");
        let index = resource.structs.iter().position(|s| s.name == "Node").unwrap();
        assert_eq!(field(&node.fields, "Child").ty, Type::Struct { index, boxed: true });
        assert_eq!(
            field(&node.fields, "Children").ty,
            Type::List(Box::new(Type::Struct { index, boxed: false }))
        );
        assert_eq!(field(&resource.fields, "Tree").ty, Type::Struct { index, boxed: false });
    }
}

//! Synth-time validation of a whole template. Every check runs and every
//! problem is collected, so one run shows all of them; each problem names the
//! construct path (where known) and the logical ID.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use ipnet::Ipv4Net;
use serde_json::Value as Json;

use crate::construct::{is_valid_logical_id, MAX_LOGICAL_ID_LEN};
use crate::expr::References;
use crate::resources::attributes_of;
use crate::template::Template;

/// CloudFormation's maximum number of resources in one template.
pub const MAX_RESOURCES: usize = 500;
/// CloudFormation's maximum number of parameters in one template.
pub const MAX_PARAMETERS: usize = 200;
/// CloudFormation's maximum number of outputs in one template.
pub const MAX_OUTPUTS: usize = 200;
/// Maximum size in bytes of a template uploaded through S3.
pub const MAX_TEMPLATE_BYTES: usize = 1_000_000;
/// Maximum size in bytes of a template passed inline in an API call; larger
/// templates must be uploaded to S3 before deploying.
pub const MAX_INLINE_TEMPLATE_BYTES: usize = 51_200;

/// The seriousness of a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The template would be rejected or would deploy something unsafe.
    Error,
    /// The template deploys, but something deserves a look.
    Warning,
}

/// One problem found in a stack or template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Whether the problem stops synthesis.
    pub severity: Severity,
    /// Construct path of the resource at fault, where it came from a construct.
    pub path: Option<String>,
    /// Logical ID of the resource or entry at fault.
    pub logical_id: Option<String>,
    /// The problem, with the value at fault and the fix.
    pub message: String,
}

impl Problem {
    /// Creates an error-level problem.
    pub fn error(path: Option<String>, logical_id: Option<String>, message: impl Into<String>) -> Problem {
        Problem { severity: Severity::Error, path, logical_id, message: message.into() }
    }

    /// Creates a warning-level problem.
    pub fn warning(path: Option<String>, logical_id: Option<String>, message: impl Into<String>) -> Problem {
        Problem { severity: Severity::Warning, path, logical_id, message: message.into() }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.path, &self.logical_id) {
            (Some(path), Some(id)) => write!(formatter, "{path} ({id}): ")?,
            (Some(path), None) => write!(formatter, "{path}: ")?,
            (None, Some(id)) => write!(formatter, "{id}: ")?,
            (None, None) => {}
        }
        formatter.write_str(&self.message)
    }
}

/// Validates a template and returns every problem found, errors first.
/// `paths` maps logical IDs to construct paths, for messages; it may be empty
/// for templates that were not synthesized by vaultgate.
pub fn validate_template(template: &Template, paths: &IndexMap<String, String>) -> Vec<Problem> {
    validate_template_of_size(template, paths, json_size(template))
}

/// Validates a template as [`validate_template`] does, with `size` as the
/// length of [`Template::to_json_string`], for a caller that has already
/// serialized the template.
pub(crate) fn validate_template_of_size(template: &Template, paths: &IndexMap<String, String>, size: usize) -> Vec<Problem> {
    let mut problems = validate_template_except_size(template, paths);
    problems.extend(size_problems(size));
    problems.sort_by_key(|problem| problem.severity);
    problems
}

/// Validates a template as [`validate_template`] does but for its size in
/// bytes, for a caller whose template text is not the one that will be
/// sent, such as `vaultgate verify`, which reads a file.
pub(crate) fn validate_template_except_size(template: &Template, paths: &IndexMap<String, String>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let at = |logical_id: &str| paths.get(logical_id).cloned();

    check_counts(template, &mut problems);
    check_names(template, &at, &mut problems);
    // Both checks read what each resource's properties refer to, so each
    // resource is walked once. Both use the names as a set, so they are
    // sorted and deduplicated once here.
    let mut references: Vec<References> =
        template.resources.values().map(|resource| References::of_map(&resource.properties)).collect();
    for found in &mut references {
        found.names.sort_unstable();
        found.names.dedup();
    }
    check_references(template, &references, &at, &mut problems);
    check_cycles(template, &references, &at, &mut problems);
    check_network(template, &at, &mut problems);
    check_bucket_names(template, &at, &mut problems);

    problems.sort_by_key(|problem| problem.severity);
    problems
}

fn check_counts(template: &Template, problems: &mut Vec<Problem>) {
    let counts = [
        ("resources", template.resources.len(), MAX_RESOURCES),
        ("parameters", template.parameters.len(), MAX_PARAMETERS),
        ("outputs", template.outputs.len(), MAX_OUTPUTS),
    ];
    for (section, count, max) in counts {
        if count > max {
            problems.push(Problem::error(
                None,
                None,
                format!("the template has {count} {section}, over CloudFormation's limit of {max}; split it into several stacks"),
            ));
        }
    }
}

/// Checks a template body of `size` bytes against CloudFormation's limits
/// on the template as sent.
pub(crate) fn size_problems(size: usize) -> Vec<Problem> {
    if size > MAX_TEMPLATE_BYTES {
        vec![Problem::error(
            None,
            None,
            format!("the template is {size} bytes, over CloudFormation's limit of {MAX_TEMPLATE_BYTES}; split it into several stacks"),
        )]
    } else if size > MAX_INLINE_TEMPLATE_BYTES {
        vec![Problem::warning(
            None,
            None,
            format!("the template is {size} bytes, over the {MAX_INLINE_TEMPLATE_BYTES}-byte limit for inline templates; upload it to an S3 bucket to deploy it"),
        )]
    } else {
        Vec::new()
    }
}

/// Returns the length in bytes of [`Template::to_json_string`] without
/// building the string, which for a large template is a copy of several
/// hundred kilobytes.
pub(crate) fn json_size(template: &Template) -> usize {
    struct ByteCounter(usize);
    impl std::io::Write for ByteCounter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = ByteCounter(0);
    template.write_json(&mut counter).expect("counting bytes does not fail");
    // `to_json_string` ends the text with a newline.
    counter.0 + 1
}

/// Checks the names CloudFormation requires to be logical IDs (1 to 255
/// ASCII letters and digits): those of resources, parameters, outputs,
/// conditions and mappings.
fn check_names(template: &Template, at: &dyn Fn(&str) -> Option<String>, problems: &mut Vec<Problem>) {
    for logical_id in template.resources.keys() {
        if !is_valid_logical_id(logical_id) {
            problems.push(Problem::error(
                at(logical_id),
                Some(logical_id.clone()),
                format!("logical ID {logical_id:?} is invalid: use 1 to {MAX_LOGICAL_ID_LEN} ASCII letters and digits"),
            ));
        }
    }
    let sections: [(&str, Vec<&String>); 4] = [
        ("parameter", template.parameters.keys().collect()),
        ("output", template.outputs.keys().collect()),
        ("condition", template.conditions.keys().collect()),
        ("mapping", template.mappings.keys().collect()),
    ];
    for (section, names) in sections {
        for name in names.into_iter().filter(|name| !is_valid_logical_id(name)) {
            problems.push(Problem::error(
                None,
                Some(name.clone()),
                format!("{section} name {name:?} is invalid: use 1 to {MAX_LOGICAL_ID_LEN} ASCII letters and digits"),
            ));
        }
    }
}

/// Checks that every reference, `Fn::GetAtt`, `DependsOn` and condition name
/// in resources, outputs and conditions names something the template has.
/// `references` contains what each resource's properties refer to, in
/// resource order.
fn check_references(
    template: &Template,
    references: &[References],
    at: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) {
    let is_target = |name: &str| template.resources.contains_key(name) || template.parameters.contains_key(name);

    for ((logical_id, resource), found) in template.resources.iter().zip(references) {
        let with_metadata;
        let names: &[&str] = if resource.metadata.is_empty() {
            &found.names
        } else {
            let mut names = found.names.clone();
            names.extend(References::of_map(&resource.metadata).names);
            with_metadata = sorted_unique(names);
            &with_metadata
        };
        for &name in names {
            if !is_target(name) {
                problems.push(Problem::error(
                    at(logical_id),
                    Some(logical_id.clone()),
                    format!("refers to `{name}`, which is neither a resource nor a parameter of this template; add it or fix the reference"),
                ));
            }
        }
        check_get_atts(template, logical_id, &found.get_atts, at, problems);
        for dependency in &resource.depends_on {
            if !template.resources.contains_key(dependency) {
                problems.push(Problem::error(
                    at(logical_id),
                    Some(logical_id.clone()),
                    format!("DependsOn names `{dependency}`, which is not a resource of this template; add that resource or remove it from DependsOn"),
                ));
            }
        }
        if let Some(condition) = &resource.condition {
            if !template.conditions.contains_key(condition) {
                problems.push(Problem::error(
                    at(logical_id),
                    Some(logical_id.clone()),
                    format!("Condition `{condition}` is not defined in the Conditions section; define it there or remove the resource's Condition"),
                ));
            }
        }
        for condition in &found.conditions {
            if !template.conditions.contains_key(*condition) {
                problems.push(Problem::error(
                    at(logical_id),
                    Some(logical_id.clone()),
                    format!("Fn::If names condition `{condition}`, which is not defined in the Conditions section; define it there or fix the name"),
                ));
            }
        }
    }

    for (name, output) in &template.outputs {
        let found = References::of_value(&output.value);
        for target in sorted_unique(found.names) {
            if !is_target(target) {
                problems.push(Problem::error(
                    None,
                    Some(name.clone()),
                    format!("output refers to `{target}`, which is neither a resource nor a parameter of this template; add it or fix the reference"),
                ));
            }
        }
        check_get_atts(template, name, &found.get_atts, at, problems);
    }

    for (name, condition) in &template.conditions {
        for target in sorted_unique(References::of_value(condition).names) {
            if !template.parameters.contains_key(target) {
                problems.push(Problem::error(
                    None,
                    Some(name.clone()),
                    format!("condition refers to `{target}`; conditions may refer only to parameters and pseudo parameters"),
                ));
            }
        }
    }
}

/// Returns `names` sorted, each once.
fn sorted_unique(mut names: Vec<&str>) -> Vec<&str> {
    names.sort_unstable();
    names.dedup();
    names
}

/// Checks that every `Fn::GetAtt` in `pairs` (target, attribute) targets a
/// resource, not a parameter, and names an attribute the target's type
/// has, where the type's attributes are known from its schema.
fn check_get_atts(
    template: &Template,
    owner: &str,
    pairs: &[(&str, &str)],
    at: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) {
    for &(target, attribute) in pairs {
        if !template.resources.contains_key(target) && template.parameters.contains_key(target) {
            problems.push(Problem::error(
                at(owner),
                Some(owner.to_owned()),
                format!("Fn::GetAtt asks parameter `{target}` for attribute `{attribute}`, but only resources have attributes; use {{\"Ref\": \"{target}\"}} for the parameter's value"),
            ));
            continue;
        }
        let Some(resource) = template.resources.get(target) else { continue };
        let Some(known) = attributes_of(&resource.resource_type) else { continue };
        if !known.contains(&attribute) {
            problems.push(Problem::error(
                at(owner),
                Some(owner.to_owned()),
                format!(
                    "Fn::GetAtt asks `{target}` ({}) for attribute `{attribute}`, which that type does not have; known attributes: {}",
                    resource.resource_type,
                    known.join(", ")
                ),
            ));
        }
    }
}

/// Finds dependency cycles through references and `DependsOn`, and reports
/// each cycle once with its members in order.
fn check_cycles(
    template: &Template,
    references: &[References],
    at: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) {
    // Nodes are numbered in logical ID order, and each node's targets are
    // sorted, so the search visits them in the same order on every run. Plain
    // indices keep the search free of string comparisons.
    let keys: Vec<&str> = template.resources.keys().map(String::as_str).collect();
    let mut resource_of_node: Vec<usize> = (0..keys.len()).collect();
    resource_of_node.sort_unstable_by_key(|&index| keys[index]);
    let names: Vec<&str> = resource_of_node.iter().map(|&index| keys[index]).collect();
    let mut node_of_resource = vec![0; names.len()];
    for (node, &index) in resource_of_node.iter().enumerate() {
        node_of_resource[index] = node;
    }
    let mut edges = Edges::default();
    let mut targets: Vec<usize> = Vec::new();
    for &index in &resource_of_node {
        let resource = &template.resources[index];
        targets.clear();
        targets.extend(
            references[index]
                .names
                .iter()
                .copied()
                .chain(resource.depends_on.iter().map(String::as_str))
                .filter_map(|target| template.resources.get_index_of(target))
                .map(|index| node_of_resource[index]),
        );
        targets.sort_unstable();
        targets.dedup();
        edges.push_node(&targets);
    }

    // Depth-first search with colours: 0 = not seen, 1 = on the current path, 2 = done.
    let mut colour = vec![0_u8; names.len()];
    let mut reported: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut path: Vec<usize> = Vec::new();
    for start in 0..names.len() {
        visit(start, &edges, &mut colour, &mut path, &mut |cycle: &[usize]| {
            let cycle: Vec<String> = cycle.iter().map(|&node| names[node].to_owned()).collect();
            let mut canonical = cycle.clone();
            let smallest = (0..canonical.len()).min_by_key(|&i| &cycle[i]).unwrap_or(0);
            canonical.rotate_left(smallest);
            if reported.insert(canonical.clone()) {
                let mut shown = canonical.clone();
                shown.push(canonical[0].clone());
                problems.push(Problem::error(
                    at(&canonical[0]),
                    Some(canonical[0].clone()),
                    format!(
                        "dependency cycle: {}; remove one reference or DependsOn in the cycle",
                        shown.join(" -> ")
                    ),
                ));
            }
        });
    }
}

/// The dependency graph's edges, each node's targets in one shared list,
/// so that building the graph allocates two lists instead of one per node.
#[derive(Default)]
struct Edges {
    /// End of each node's targets in `targets`; they start at the end of
    /// the previous node's.
    ends: Vec<usize>,
    targets: Vec<usize>,
}

impl Edges {
    /// Appends the next node with its targets.
    fn push_node(&mut self, targets: &[usize]) {
        self.targets.extend_from_slice(targets);
        self.ends.push(self.targets.len());
    }

    /// Returns the targets of `node`.
    fn of(&self, node: usize) -> &[usize] {
        let start = if node == 0 { 0 } else { self.ends[node - 1] };
        &self.targets[start..self.ends[node]]
    }
}

fn visit(node: usize, edges: &Edges, colour: &mut [u8], path: &mut Vec<usize>, report: &mut dyn FnMut(&[usize])) {
    match colour[node] {
        2 => return,
        1 => {
            let start = path.iter().position(|&n| n == node).unwrap_or(0);
            report(&path[start..]);
            return;
        }
        _ => {}
    }
    colour[node] = 1;
    path.push(node);
    for &target in edges.of(node) {
        visit(target, edges, colour, path, report);
    }
    path.pop();
    colour[node] = 2;
}

fn literal_cidr(value: Option<&Json>) -> Option<Result<Ipv4Net, String>> {
    let text = value?.as_str()?;
    Some(text.parse::<Ipv4Net>().map_err(|_| text.to_owned()))
}

/// Checks CIDR blocks whose values are literals: each must parse, a subnet
/// must lie inside its VPC, and subnets of one VPC must not overlap. Values
/// known only at deploy time (parameters of an existing VPC) are skipped.
fn check_network(template: &Template, at: &dyn Fn(&str) -> Option<String>, problems: &mut Vec<Problem>) {
    let mut vpc_blocks: BTreeMap<&str, Ipv4Net> = BTreeMap::new();
    for (logical_id, resource) in &template.resources {
        if resource.resource_type != "AWS::EC2::VPC" {
            continue;
        }
        match literal_cidr(resource.properties.get("CidrBlock")) {
            Some(Ok(block)) => {
                if block.trunc() != block {
                    problems.push(Problem::error(at(logical_id), Some(logical_id.clone()), format!(
                        "VPC CIDR block {block} has host bits set; use {}", block.trunc())));
                }
                if !(16..=28).contains(&block.prefix_len()) {
                    problems.push(Problem::error(at(logical_id), Some(logical_id.clone()), format!(
                        "VPC CIDR block {block} must have a prefix length between /16 and /28")));
                }
                vpc_blocks.insert(logical_id.as_str(), block);
            }
            Some(Err(text)) => problems.push(Problem::error(at(logical_id), Some(logical_id.clone()), format!(
                "VPC CIDR block {text:?} is not a valid IPv4 CIDR block such as 10.0.0.0/16"))),
            None => {}
        }
    }

    let mut subnets_by_vpc: BTreeMap<&str, Vec<(&str, Ipv4Net)>> = BTreeMap::new();
    for (logical_id, resource) in &template.resources {
        if resource.resource_type != "AWS::EC2::Subnet" {
            continue;
        }
        let block = match literal_cidr(resource.properties.get("CidrBlock")) {
            Some(Ok(block)) => block,
            Some(Err(text)) => {
                problems.push(Problem::error(at(logical_id), Some(logical_id.clone()), format!(
                    "subnet CIDR block {text:?} is not a valid IPv4 CIDR block such as 10.0.1.0/24")));
                continue;
            }
            None => continue,
        };
        if block.trunc() != block {
            problems.push(Problem::error(at(logical_id), Some(logical_id.clone()), format!(
                "subnet CIDR block {block} has host bits set; use {}", block.trunc())));
        }
        if !(16..=28).contains(&block.prefix_len()) {
            problems.push(Problem::error(at(logical_id), Some(logical_id.clone()), format!(
                "subnet CIDR block {block} must have a prefix length between /16 and /28")));
        }
        let vpc = resource.properties.get("VpcId").and_then(|v| v.get("Ref")).and_then(Json::as_str);
        let Some((vpc, vpc_block)) = vpc.and_then(|vpc| vpc_blocks.get_key_value(vpc)) else { continue };
        if !vpc_block.contains(&block) {
            problems.push(Problem::error(at(logical_id), Some(logical_id.clone()), format!(
                "subnet CIDR block {block} lies outside its VPC's block {vpc_block}; choose a block inside {vpc_block}")));
        }
        subnets_by_vpc.entry(vpc).or_default().push((logical_id.as_str(), block));
    }
    for subnets in subnets_by_vpc.values() {
        // Two CIDR blocks either nest or are disjoint, so one contains the
        // other exactly when their address ranges meet. Integer ranges make
        // that test cheap for the many pairs of a large template.
        let ranges: Vec<(u32, u32)> =
            subnets.iter().map(|(_, block)| (u32::from(block.network()), u32::from(block.broadcast()))).collect();
        for (i, (first, first_block)) in subnets.iter().enumerate() {
            for (j, (second, second_block)) in subnets.iter().enumerate().skip(i + 1) {
                if ranges[i].0 <= ranges[j].1 && ranges[j].0 <= ranges[i].1 {
                    problems.push(Problem::error(at(second), Some(second.to_string()), format!(
                        "subnet CIDR block {second_block} overlaps {first_block} of `{}` ({first}); give each subnet its own block",
                        at(first).unwrap_or_else(|| first.to_string()))));
                }
            }
        }
    }
}

/// Returns every way `name` breaks S3's general purpose bucket naming rules,
/// or an empty list when it follows them.
pub fn bucket_name_violations(name: &str) -> Vec<String> {
    let mut violations = Vec::new();
    if !(3..=63).contains(&name.len()) {
        violations.push(format!("it is {} characters long; use 3 to 63", name.len()));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '.')) {
        violations.push(format!("it contains {bad:?}; use only lowercase letters, digits, `.` and `-`"));
    }
    let first_last_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !first_last_ok(name.chars().next()) || !first_last_ok(name.chars().last()) {
        violations.push("it must begin and end with a lowercase letter or digit".to_owned());
    }
    if name.contains("..") {
        violations.push("it contains two adjacent periods".to_owned());
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        violations.push("it is formatted as an IP address".to_owned());
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            violations.push(format!("it starts with the reserved prefix `{prefix}`"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            violations.push(format!("it ends with the reserved suffix `{suffix}`"));
        }
    }
    violations
}

/// Maximum number of tags on one resource, the lowest limit among the
/// services vaultgate tags (EC2, S3 and IAM each allow 50).
pub const MAX_TAGS: usize = 50;

/// Returns every way a tag breaks the rules EC2, S3 and IAM share: a key of
/// 1 to 128 characters and a value of at most 256, neither starting with
/// the reserved `aws:` prefix, using only letters, digits, spaces and
/// `_ . : / = + - @` (IAM's character set, the narrowest of the three).
/// An empty list means the tag is valid.
pub fn tag_violations(key: &str, value: &str) -> Vec<String> {
    let allowed = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
    let mut violations = Vec::new();
    let key_length = key.chars().count();
    if !(1..=128).contains(&key_length) {
        violations.push(format!("the key is {key_length} characters long; use 1 to 128"));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        violations.push("the key starts with the reserved prefix `aws:`".to_owned());
    }
    if let Some(bad) = key.chars().find(|c| !allowed(*c)) {
        violations.push(format!("the key contains {bad:?}; use letters, digits, spaces and _ . : / = + - @"));
    }
    let value_length = value.chars().count();
    if value_length > 256 {
        violations.push(format!("the value is {value_length} characters long; use at most 256"));
    }
    if let Some(bad) = value.chars().find(|c| !allowed(*c)) {
        violations.push(format!("the value contains {bad:?}; use letters, digits, spaces and _ . : / = + - @"));
    }
    violations
}

/// Returns every way `name` breaks CloudFormation's stack name rules: 1 to
/// 128 characters, ASCII letters, digits and hyphens, starting with a
/// letter. An empty list means the name is valid.
pub fn stack_name_violations(name: &str) -> Vec<String> {
    let mut violations = Vec::new();
    if !(1..=128).contains(&name.len()) {
        violations.push(format!("it is {} characters long; use 1 to 128", name.len()));
    }
    if !name.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        violations.push("it must start with a letter".to_owned());
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
        violations.push(format!("it contains {bad:?}; use only ASCII letters, digits and `-`"));
    }
    violations
}

fn check_bucket_names(template: &Template, at: &dyn Fn(&str) -> Option<String>, problems: &mut Vec<Problem>) {
    for (logical_id, resource) in &template.resources {
        if resource.resource_type != "AWS::S3::Bucket" {
            continue;
        }
        let Some(Json::String(name)) = resource.properties.get("BucketName") else { continue };
        let violations = bucket_name_violations(name);
        if !violations.is_empty() {
            problems.push(Problem::error(at(logical_id), Some(logical_id.clone()), format!(
                "bucket name {name:?} breaks S3's naming rules: {}; or leave the name out to let CloudFormation generate one",
                violations.join("; "))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_rules() {
        assert!(tag_violations("team", "platform").is_empty());
        assert!(tag_violations("cost-center", "").is_empty());
        assert_eq!(tag_violations("", "v").len(), 1);
        assert_eq!(tag_violations("aws:owner", "v").len(), 1);
        assert_eq!(tag_violations(&"k".repeat(129), "v").len(), 1);
        assert_eq!(tag_violations("k", &"v".repeat(257)).len(), 1);
        assert_eq!(tag_violations("k", "{x}").len(), 1);
    }

    #[test]
    fn stack_name_rules() {
        assert!(stack_name_violations("VaultgateBackup-2").is_empty());
        for bad in ["", "1abc", "My Stack", "a/b", "../escaped"] {
            assert!(!stack_name_violations(bad).is_empty(), "{bad:?}");
        }
    }

    #[test]
    fn bucket_name_rules() {
        assert!(bucket_name_violations("acme-backups-1").is_empty());
        assert!(!bucket_name_violations("Acme_Backups").is_empty());
        assert!(!bucket_name_violations("ab").is_empty());
        assert!(!bucket_name_violations("192.168.5.4").is_empty());
        assert!(!bucket_name_violations("a..b").is_empty());
        assert!(!bucket_name_violations("xn--abc").is_empty());
    }
}

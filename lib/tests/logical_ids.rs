//! Logical IDs derive from construct paths alone: unique, stable across
//! runs, and untouched by edits elsewhere in the tree.

use proptest::prelude::*;
use vaultgate_core::construct::allocate_logical_id;
use vaultgate_core::template::Resource;
use vaultgate_core::Stack;

/// A construct tree: children by id, and whether a topic sits at this path.
#[derive(Default)]
struct Node {
    children: std::collections::BTreeMap<String, Node>,
    leaf: bool,
}

/// Builds a stack with one topic at each path, adding children in the
/// order given (or reversed), and returns the logical IDs by path.
fn build(paths: &[Vec<String>], reversed: bool) -> Result<std::collections::BTreeMap<String, String>, vaultgate_core::Error> {
    let mut tree = Node::default();
    for path in paths {
        let mut node = &mut tree;
        for component in path {
            node = node.children.entry(component.clone()).or_default();
        }
        node.leaf = true;
    }
    let mut stack = Stack::new("S");
    let mut ids = std::collections::BTreeMap::new();
    add_tree(&mut stack.root(), &tree, "", reversed, &mut ids)?;
    Ok(ids)
}

fn add_tree(
    scope: &mut vaultgate_core::Scope<'_>,
    node: &Node,
    prefix: &str,
    reversed: bool,
    ids: &mut std::collections::BTreeMap<String, String>,
) -> Result<(), vaultgate_core::Error> {
    let mut children: Vec<(&String, &Node)> = node.children.iter().collect();
    if reversed {
        children.reverse();
    }
    for (id, child) in children {
        let path = if prefix.is_empty() { id.clone() } else { format!("{prefix}/{id}") };
        if child.leaf && child.children.is_empty() {
            ids.insert(path, scope.add_resource(id, Resource::new("AWS::SNS::Topic"))?.to_string());
        } else {
            // A path that is both a resource and a parent gets its resource
            // as the child `Resource`, as constructs do.
            let mut inner = scope.child(id)?;
            if child.leaf {
                let resource_path = format!("{path}/Resource");
                ids.insert(resource_path, inner.add_resource("Resource", Resource::new("AWS::SNS::Topic"))?.to_string());
            }
            add_tree(&mut inner, child, &path, reversed, ids)?;
        }
    }
    Ok(())
}

fn component() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z][A-Za-z0-9]{0,6}",
        "[A-Za-z][A-Za-z0-9_-]{0,6}",
        Just("Resource".to_owned()),
    ]
}

proptest! {
    #[test]
    fn ids_unique_across_distinct_paths(paths in proptest::collection::btree_set(proptest::collection::vec(component(), 1..4), 1..40)) {
        let ids: std::collections::BTreeMap<String, Vec<String>> = paths.iter().fold(Default::default(), |mut map, path| {
            let components: Vec<&str> = path.iter().map(String::as_str).collect();
            map.entry(allocate_logical_id(&components)).or_default().push(path.join("/"));
            map
        });
        for (id, owners) in &ids {
            // Top-level ids are kept verbatim after sanitizing, so `A-b` and
            // `Ab` collide there; the stack reports that as an error naming
            // both paths. Below the top level the path hash keeps them apart.
            if owners.len() > 1 {
                prop_assert!(owners.iter().all(|owner| owner.split('/').filter(|c| *c != "Resource").count() <= 1), "{id}: {owners:?}");
            }
            prop_assert!(vaultgate_core::construct::is_valid_logical_id(id), "{id}");
        }
    }

    #[test]
    fn ids_stable_and_independent(paths in proptest::collection::btree_set(proptest::collection::vec(component(), 2..4), 2..20)) {
        let paths: Vec<Vec<String>> = paths.into_iter().collect();
        for path in &paths {
            let components: Vec<&str> = path.iter().map(String::as_str).collect();
            let alone = allocate_logical_id(&components);
            prop_assert_eq!(&alone, &allocate_logical_id(&components));
        }
        // Building the tree in any order gives every path the same ID.
        match (build(&paths, false), build(&paths, true)) {
            (Ok(forward), Ok(backward)) => {
                let unique: std::collections::BTreeSet<&String> = forward.values().collect();
                prop_assert_eq!(unique.len(), forward.len());
                prop_assert_eq!(forward, backward);
            }
            // A construct tree may legitimately fail to build: a path that
            // ends in `Resource` beside a resource at its parent, or two
            // top-level ids that sanitize alike. Both orders must agree.
            (Err(first), Err(second)) => prop_assert_eq!(first.to_string().is_empty(), second.to_string().is_empty()),
            (forward, backward) => prop_assert!(false, "order changed the outcome: {:?} vs {:?}", forward.is_ok(), backward.is_ok()),
        }
    }
}

#[test]
fn renaming_one_construct_keeps_other_ids() {
    let names = |renamed: &str| {
        let mut stack = Stack::new("S");
        let mut root = stack.root();
        let mut network = root.child("Network").unwrap();
        let a = network.add_resource("Vpc", Resource::new("AWS::EC2::VPC")).unwrap();
        let mut storage = root.child(renamed).unwrap();
        let b = storage.add_resource("Bucket", Resource::new("AWS::S3::Bucket")).unwrap();
        (a.to_string(), b.to_string())
    };
    let (vpc_before, bucket_before) = names("Storage");
    let (vpc_after, bucket_after) = names("Archive");
    assert_eq!(vpc_before, vpc_after);
    assert_ne!(bucket_before, bucket_after);
}

#[test]
fn top_level_collision_is_error() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    root.add_resource("Bucket", Resource::new("AWS::S3::Bucket")).unwrap();
    let err = root.add_resource("Bucket_", Resource::new("AWS::S3::Bucket")).unwrap_err().to_string();
    assert!(err.contains("S/Bucket") && err.contains("S/Bucket_"), "{err}");
}

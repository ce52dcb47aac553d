//! Property tests of laws that any correct IAM evaluator obeys, over
//! random scenarios built from the architecture's vocabulary: adding a Deny
//! never grants, adding an Allow never takes a grant away, statement order
//! does not matter, and `…IfExists` on a negated operator answers the same
//! as the plain operator when the key is absent.

use proptest::prelude::*;
use serde_json::{json, Value};
use vaultgate_core::access::{Decision, Scenario};

const ACCOUNT: &str = "111122223333";
const BUCKET: &str = "arn:aws:s3:::acme-backups-111122223333";
const ENDPOINT: &str = "vpce-0a1b2c3d4e5f60718";
const ROLE: &str = "arn:aws:iam::111122223333:role/backup-instance-role";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/backup-instance-role/i-0123456789abcdef0";
const PARTNER_SESSION: &str = "arn:aws:sts::444455556666:assumed-role/partner-restore/job-42";

fn action_pattern() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["s3:PutObject", "s3:GetObject", "s3:*", "s3:Put*", "*", "s3:DeleteObject*", "s3:?etObject", "s3:ListBucket"])
}

fn resource_pattern() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["*", "", "/*", "/hosts/*", "/hosts/db??/*"])
        .prop_map(|suffix| if suffix == "*" { "*".to_owned() } else { format!("{BUCKET}{suffix}") })
}

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(prop::sample::select(vec![
        json!({"StringEquals": {"aws:SourceVpce": ENDPOINT}}),
        json!({"StringNotEquals": {"aws:SourceVpce": ENDPOINT}}),
        json!({"StringNotEqualsIfExists": {"aws:SourceVpce": ENDPOINT}}),
        json!({"Bool": {"aws:SecureTransport": "false"}}),
        json!({"Null": {"aws:SourceVpce": "true"}}),
        json!({"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}),
        json!({"NotIpAddress": {"aws:SourceIp": "198.51.100.0/24"}}),
        json!({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/backup-*"}}),
        json!({"NumericLessThan": {"s3:max-keys": "10"}}),
        json!({"ForAnyValue:StringEquals": {"aws:CalledVia": ["cloudformation.amazonaws.com"]}}),
        json!({"ForAllValues:StringEquals": {"aws:CalledVia": ["cloudformation.amazonaws.com"]}}),
        json!({"DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}),
    ]))
}

fn principal() -> impl Strategy<Value = (&'static str, Value)> {
    prop::sample::select(vec![
        ("Principal", json!("*")),
        ("Principal", json!({"AWS": ROLE})),
        ("Principal", json!({"AWS": ACCOUNT})),
        ("Principal", json!({"AWS": SESSION})),
        ("Principal", json!({"AWS": "arn:aws:iam::444455556666:role/partner-restore"})),
        ("NotPrincipal", json!({"AWS": [ROLE, SESSION, format!("arn:aws:iam::{ACCOUNT}:root")]})),
    ])
}

/// A statement; `with_principal` adds a `Principal` for resource-side policies.
fn statement(with_principal: bool) -> impl Strategy<Value = Value> {
    (prop::bool::weighted(0.75), action_pattern(), resource_pattern(), condition(), principal(), prop::bool::weighted(0.2)).prop_map(
        move |(allow, action, resource, condition, (principal_key, principal), not_action)| {
            let mut statement = json!({"Effect": if allow { "Allow" } else { "Deny" }});
            statement[if not_action { "NotAction" } else { "Action" }] = json!(action);
            statement["Resource"] = json!(resource);
            if with_principal {
                // NotPrincipal is only meaningful with Deny.
                if principal_key == "NotPrincipal" && allow {
                    statement["Principal"] = json!("*");
                } else {
                    statement[principal_key] = principal;
                }
            }
            if let Some(condition) = condition {
                statement["Condition"] = condition;
            }
            statement
        },
    )
}

/// A document of up to three random statements, most often after a
/// full-access Allow, so that a useful share of scenarios is allowed.
fn document(with_principal: bool) -> impl Strategy<Value = Value> {
    (prop::bool::weighted(0.8), prop::collection::vec(statement(with_principal), 0..3)).prop_map(move |(full_access, mut statements)| {
        if full_access || statements.is_empty() {
            let mut allow_all = json!({"Effect": "Allow", "Action": "*", "Resource": "*"});
            if with_principal {
                allow_all["Principal"] = json!("*");
            }
            statements.insert(0, allow_all);
        }
        json!({"Version": "2012-10-17", "Statement": statements})
    })
}

fn context() -> impl Strategy<Value = Value> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(endpoint, tls, via_cfn, max_keys, time)| {
        let mut context = json!({"aws:SecureTransport": tls.to_string(), "aws:PrincipalArn": ROLE, "aws:PrincipalAccount": ACCOUNT});
        if endpoint {
            context["aws:SourceVpce"] = json!(ENDPOINT);
            context["aws:VpcSourceIp"] = json!("10.0.1.25");
        } else {
            context["aws:SourceIp"] = json!("198.51.100.7");
        }
        if via_cfn {
            context["aws:CalledVia"] = json!(["cloudformation.amazonaws.com"]);
        }
        if max_keys {
            context["s3:max-keys"] = json!("5");
        }
        if time {
            context["aws:CurrentTime"] = json!("2025-06-01T03:00:00Z");
        }
        context
    })
}

/// A whole scenario with every layer present, so that adding a statement
/// never creates a new gate.
fn scenario() -> impl Strategy<Value = Value> {
    (
        document(false),
        document(true),
        document(true),
        document(false),
        document(false),
        document(false),
        context(),
        prop::sample::select(vec!["s3:PutObject", "s3:GetObject", "s3:DeleteObjectVersion", "s3:ListBucket"]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(identity, resource, endpoint, boundary, session, scp, context, action, object, partner)| {
            let resource_arn = if object && action != "s3:ListBucket" { format!("{BUCKET}/hosts/db01/x.tar") } else { BUCKET.to_owned() };
            json!({
                "id": "random",
                "policies": {
                    "identity": [{"name": "identity", "policy": identity}],
                    "resource": resource,
                    "vpcEndpoint": [{"name": ENDPOINT, "policy": endpoint}],
                    "permissionBoundary": [{"name": "boundary", "policy": boundary}],
                    "session": session,
                    "scp": [{"orgIdentifier": "r-root", "policies": [{"name": "scp", "policy": scp}]}]
                },
                "request": {
                    "principal": if partner { PARTNER_SESSION } else { SESSION },
                    "action": action,
                    "resource": resource_arn,
                    "resourceAccount": ACCOUNT,
                    "context": context
                }
            })
        })
}

/// JSON pointers of every policy document in a scenario.
const POLICY_POINTERS: [&str; 6] = [
    "/policies/identity/0/policy",
    "/policies/resource",
    "/policies/vpcEndpoint/0/policy",
    "/policies/permissionBoundary/0/policy",
    "/policies/session",
    "/policies/scp/0/policies/0/policy",
];

fn decide(value: &Value) -> Decision {
    Scenario::from_json(value, "generated").expect("generated scenarios are valid").evaluate().decision
}

fn with_statement(value: &Value, pointer: &str, statement: Value) -> Value {
    let mut changed = value.clone();
    changed.pointer_mut(pointer).unwrap()["Statement"].as_array_mut().unwrap().push(statement);
    changed
}

fn is_resource_side(pointer: &str) -> bool {
    pointer.contains("resource") || pointer.contains("vpcEndpoint")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn adding_deny_never_grants(
        base in scenario(),
        layer in 0..POLICY_POINTERS.len(),
        extra_resource_side in statement(true),
        extra_identity_side in statement(false),
    ) {
        let pointer = POLICY_POINTERS[layer];
        let mut extra = if is_resource_side(pointer) { extra_resource_side } else { extra_identity_side };
        extra["Effect"] = json!("Deny");
        let before = decide(&base);
        let after = decide(&with_statement(&base, pointer, extra));
        prop_assert!(before.is_allowed() || !after.is_allowed(), "a Deny turned {before} into {after}");
    }

    #[test]
    fn adding_allow_keeps_grants(
        base in scenario(),
        layer in 0..POLICY_POINTERS.len(),
        extra_resource_side in statement(true),
        extra_identity_side in statement(false),
    ) {
        let pointer = POLICY_POINTERS[layer];
        let mut extra = if is_resource_side(pointer) { extra_resource_side } else { extra_identity_side };
        extra["Effect"] = json!("Allow");
        if extra.get("NotPrincipal").is_some() {
            extra.as_object_mut().unwrap().remove("NotPrincipal");
            extra["Principal"] = json!("*");
        }
        let before = decide(&base);
        let after = decide(&with_statement(&base, pointer, extra));
        prop_assert!(!before.is_allowed() || after.is_allowed(), "an Allow turned {before} into {after}");
    }

    #[test]
    fn statement_order_is_irrelevant(base in scenario(), seed in any::<u64>()) {
        let mut shuffled = base.clone();
        for (offset, pointer) in POLICY_POINTERS.iter().enumerate() {
            let statements = shuffled.pointer_mut(pointer).unwrap()["Statement"].as_array_mut().unwrap();
            let rotation = (seed as usize).wrapping_add(offset) % statements.len().max(1);
            statements.rotate_left(rotation);
            if seed % 2 == 1 {
                statements.reverse();
            }
        }
        let first = Scenario::from_json(&base, "a").unwrap().evaluate();
        let second = Scenario::from_json(&shuffled, "b").unwrap().evaluate();
        prop_assert_eq!(first.decision, second.decision);
        let mut layers_first = first.layers();
        let mut layers_second = second.layers();
        layers_first.sort();
        layers_second.sort();
        prop_assert_eq!(layers_first, layers_second);
    }

    #[test]
    fn if_exists_matches_negated_on_absent_key(
        operator in prop::sample::select(vec![
            "StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
            "DateNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike",
        ]),
        allow in any::<bool>(),
    ) {
        let value = match operator {
            "NumericNotEquals" => "10",
            "DateNotEquals" => "2025-06-01T00:00:00Z",
            "NotIpAddress" => "10.0.0.0/8",
            "ArnNotEquals" | "ArnNotLike" => ROLE,
            _ => "anything",
        };
        let scenario_with = |name: String| json!({
            "policies": {
                "identity": [{"name": "id", "policy": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
                    {"Effect": if allow { "Allow" } else { "Deny" }, "Action": "s3:*", "Resource": "*",
                     "Condition": {name: {"test:AbsentKey": value}}}
                ]}}]
            },
            "request": {"principal": SESSION, "action": "s3:GetObject", "resource": format!("{BUCKET}/k"),
                        "resourceAccount": ACCOUNT, "context": {"aws:PrincipalArn": ROLE}}
        });
        let plain = decide(&scenario_with(operator.to_owned()));
        let if_exists = decide(&scenario_with(format!("{operator}IfExists")));
        prop_assert_eq!(plain, if_exists);
        // The negated operator holds on the absent key, so the statement applies.
        prop_assert_eq!(plain, if allow { Decision::Allowed } else { Decision::ExplicitlyDenied });
    }
}

/// The laws above are only as strong as the scenarios: this checks that
/// the generator reaches allowed and both kinds of denied requests.
#[test]
fn generated_scenarios_reach_each_decision() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let mut counts = std::collections::BTreeMap::new();
    for _ in 0..2000 {
        let value = scenario().new_tree(&mut runner).unwrap().current();
        *counts.entry(decide(&value)).or_insert(0) += 1;
    }
    for decision in [Decision::Allowed, Decision::ExplicitlyDenied, Decision::ImplicitlyDenied] {
        assert!(counts.get(&decision).copied().unwrap_or(0) >= 10, "{decision} too rare: {counts:?}");
    }
}

//! Policies compiled for evaluation. Action and resource patterns,
//! condition values and principal entries are parsed once per policy, so
//! evaluating one set of policies against many requests repeats none of
//! that work. The access matrix sends 16 requests from each source.
//!
//! A compiled policy borrows the [`Policy`] it was built from, and the
//! evaluator reads names, `Sid`s and effects from there.

use super::condition::CompiledCondition;
use super::document::{Policy, PolicyStatement, PrincipalElement};
use super::evaluate::{OrgLevel, PolicySet};
use super::pattern::{Pattern, ValuePattern};

/// A policy with its statements compiled.
#[derive(Debug, Clone)]
pub(crate) struct CompiledPolicy<'p> {
    pub policy: &'p Policy,
    pub statements: Vec<CompiledStatement<'p>>,
}

/// A statement with its patterns, conditions and principal compiled.
#[derive(Debug, Clone)]
pub(crate) struct CompiledStatement<'p> {
    pub statement: &'p PolicyStatement,
    /// `Action` or `NotAction` patterns, matched ignoring case.
    pub actions: Vec<Pattern>,
    /// `Resource` or `NotResource` patterns; `None` where the element was absent.
    pub resources: Option<Vec<ValuePattern<'p>>>,
    pub conditions: Vec<CompiledCondition<'p>>,
    pub principal: Option<CompiledPrincipal<'p>>,
    /// `true` when `${…}` policy variables are substituted in the statement.
    pub variables_enabled: bool,
}

/// A `Principal` or `NotPrincipal` element with the account that each
/// `AWS` entry names as a whole (`111122223333` or its `root` ARN).
#[derive(Debug, Clone)]
pub(crate) struct CompiledPrincipal<'p> {
    pub element: &'p PrincipalElement,
    pub aws: Vec<AwsEntry<'p>>,
}

/// One `AWS` entry of a principal element.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AwsEntry<'p> {
    pub text: &'p str,
    /// The account, when the entry is an account ID or an account's root ARN.
    pub account: Option<&'p str>,
}

/// An organization level with its policies compiled.
#[derive(Debug, Clone)]
pub(crate) struct CompiledLevel<'p> {
    pub id: &'p str,
    pub policies: Vec<CompiledPolicy<'p>>,
}

/// A whole [`PolicySet`], compiled.
#[derive(Debug, Clone)]
pub(crate) struct CompiledSet<'p> {
    identity: Vec<CompiledPolicy<'p>>,
    resource: Option<CompiledPolicy<'p>>,
    vpc_endpoints: Vec<CompiledPolicy<'p>>,
    scps: Vec<CompiledLevel<'p>>,
    rcps: Vec<CompiledLevel<'p>>,
    permission_boundary: Vec<CompiledPolicy<'p>>,
    session: Option<CompiledPolicy<'p>>,
}

/// The compiled policies of every layer that can apply to one request, by
/// layer, as [`PolicySet`] has them. The layers are borrowed, so a caller
/// that evaluates many requests compiles each layer once and combines them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layers<'a> {
    pub identity: &'a [CompiledPolicy<'a>],
    pub resource: Option<&'a CompiledPolicy<'a>>,
    pub vpc_endpoints: &'a [CompiledPolicy<'a>],
    pub scps: &'a [CompiledLevel<'a>],
    pub rcps: &'a [CompiledLevel<'a>],
    pub permission_boundary: &'a [CompiledPolicy<'a>],
    pub session: Option<&'a CompiledPolicy<'a>>,
}

impl<'p> CompiledPolicy<'p> {
    pub(crate) fn new(policy: &'p Policy) -> CompiledPolicy<'p> {
        let variables_enabled = policy.substitutes_variables();
        let statements = policy.statements.iter().map(|statement| CompiledStatement::new(statement, variables_enabled)).collect();
        CompiledPolicy { policy, statements }
    }

    /// Compiles each policy of a list.
    pub(crate) fn all(policies: &'p [Policy]) -> Vec<CompiledPolicy<'p>> {
        policies.iter().map(CompiledPolicy::new).collect()
    }
}

impl<'p> CompiledStatement<'p> {
    fn new(statement: &'p PolicyStatement, variables_enabled: bool) -> CompiledStatement<'p> {
        // Actions never substitute variables, so they always compile.
        let actions = statement.action.patterns.iter().filter_map(|pattern| Pattern::compile(pattern, true, None)).collect();
        let resources = statement
            .resource
            .as_ref()
            .map(|resources| resources.patterns.iter().map(|pattern| ValuePattern::new(pattern, true, variables_enabled)).collect());
        let conditions = statement.conditions.iter().map(|condition| CompiledCondition::new(condition, variables_enabled)).collect();
        let principal = statement.principal.as_ref().map(|element| CompiledPrincipal {
            element,
            aws: element.aws.iter().map(|text| AwsEntry { text, account: account_entry(text) }).collect(),
        });
        CompiledStatement { statement, actions, resources, conditions, principal, variables_enabled }
    }
}

impl<'p> CompiledSet<'p> {
    pub(crate) fn new(set: &'p PolicySet) -> CompiledSet<'p> {
        let level = |level: &'p OrgLevel| CompiledLevel { id: &level.id, policies: CompiledPolicy::all(&level.policies) };
        CompiledSet {
            identity: CompiledPolicy::all(&set.identity),
            resource: set.resource.as_ref().map(CompiledPolicy::new),
            vpc_endpoints: CompiledPolicy::all(&set.vpc_endpoints),
            scps: set.scps.iter().map(level).collect(),
            rcps: set.rcps.iter().map(level).collect(),
            permission_boundary: CompiledPolicy::all(&set.permission_boundary),
            session: set.session.as_ref().map(CompiledPolicy::new),
        }
    }

    pub(crate) fn layers(&self) -> Layers<'_> {
        Layers {
            identity: &self.identity,
            resource: self.resource.as_ref(),
            vpc_endpoints: &self.vpc_endpoints,
            scps: &self.scps,
            rcps: &self.rcps,
            permission_boundary: &self.permission_boundary,
            session: self.session.as_ref(),
        }
    }
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Returns the account an `AWS` principal entry names as a whole
/// (`111122223333` or `arn:aws:iam::111122223333:root`).
pub(crate) fn account_entry(entry: &str) -> Option<&str> {
    if is_account_id(entry) {
        return Some(entry);
    }
    let parts: Vec<&str> = entry.split(':').collect();
    match parts[..] {
        ["arn", _, "iam", "", account, "root"] if is_account_id(account) => Some(account),
        _ => None,
    }
}

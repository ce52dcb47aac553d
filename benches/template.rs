//! Benchmarks of reading an existing template: parsing the JSON of the big
//! stack (the most resources under CloudFormation's limit of 500) and
//! validating it, as `verify` does with templates that vaultgate did not
//! write.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use vaultgate::validate::{validate_template, MAX_RESOURCES};
use vaultgate::Template;

// This file uses only the big stack, so the other builders are unused here.
#[allow(dead_code)]
#[path = "support/stacks.rs"]
mod stacks;

fn parse_and_validate(c: &mut Criterion) {
    let stack = stacks::big_stack("BigStack", stacks::extra_subnets_for(MAX_RESOURCES)).unwrap();
    let text = stack.synth().unwrap().to_json_string();
    let template = Template::parse(&text, "BigStack.template.json").unwrap();
    let resources = template.resources.len();
    assert!(resources > MAX_RESOURCES - stacks::RESOURCES_PER_EXTRA_SUBNET && resources <= MAX_RESOURCES, "{resources} resources");
    let problems = validate_template(&template, &Default::default());
    assert!(problems.iter().all(|problem| problem.severity != vaultgate::Severity::Error), "{problems:?}");

    let mut group = c.benchmark_group(format!("big_template_{resources}"));
    group.bench_function("parse", |b| b.iter(|| Template::parse(black_box(&text), "BigStack.template.json").unwrap()));
    group.bench_function("validate", |b| b.iter(|| validate_template(black_box(&template), &Default::default())));
    group.bench_function("parse_validate", |b| {
        b.iter(|| {
            let template = Template::parse(black_box(&text), "BigStack.template.json").unwrap();
            validate_template(&template, &Default::default())
        })
    });
    group.finish();
}

criterion_group!(benches, parse_and_validate);
criterion_main!(benches);

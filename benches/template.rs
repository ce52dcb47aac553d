//! Benchmarks of reading an existing template: parsing the JSON of the
//! 498-resource stack and validating it, as `verify` does with templates
//! that vaultgate did not write.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use vaultgate::validate::validate_template;
use vaultgate::Template;

// This file uses only the big stack, so the other builders are unused here.
#[allow(dead_code)]
#[path = "support/stacks.rs"]
mod stacks;

fn parse_and_validate(c: &mut Criterion) {
    let stack = stacks::big_stack("BigStack", stacks::extra_subnets_for(498)).unwrap();
    let text = stack.synth().unwrap().to_json_string();
    let template = Template::parse(&text, "BigStack.template.json").unwrap();
    assert_eq!(template.resources.len(), 498, "the big stack's size drifted");
    assert!(validate_template(&template, &Default::default()).iter().all(|p| p.severity != vaultgate::Severity::Error));

    let mut group = c.benchmark_group("big_template_498");
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

//! Synthesis benchmarks: the default stack, one stack near CloudFormation's
//! 500-resource limit, and an app of 50 default stacks. Each case builds the
//! construct tree, synthesizes (which validates the whole template) and
//! serializes to JSON, which is the work `vaultgate synth` does in-process.
//! `build_into_synth_json` does the same with `Stack::into_synth`, which
//! moves the stack into its template instead of copying it. BENCHMARKS.md
//! records the results and the commands.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};

#[path = "support/stacks.rs"]
mod stacks;

/// CloudFormation's limit of resources in one stack. The big stack gets as
/// close to it as three resources per extra subnet allow.
const MAX_RESOURCES: usize = vaultgate::validate::MAX_RESOURCES;
/// Stacks in the app case, as in the whole-process comparison.
const APP_STACKS: usize = 50;

fn default_stack(c: &mut Criterion) {
    let mut group = c.benchmark_group("default_stack");
    group.bench_function("build", |b| b.iter(|| stacks::default_stack(black_box("VaultgateBackup")).unwrap()));
    let stack = stacks::default_stack("VaultgateBackup").unwrap();
    group.bench_function("synth", |b| b.iter(|| black_box(&stack).synth().unwrap()));
    let synthesized = stack.synth().unwrap();
    group.bench_function("to_json", |b| b.iter(|| black_box(&synthesized).to_json_string()));
    group.bench_function("build_synth_json", |b| {
        b.iter(|| {
            let stack = stacks::default_stack(black_box("VaultgateBackup")).unwrap();
            stack.synth().unwrap().to_json_string()
        })
    });
    group.bench_function("build_into_synth_json", |b| {
        b.iter(|| {
            let stack = stacks::default_stack(black_box("VaultgateBackup")).unwrap();
            stack.into_synth().unwrap().to_json_string()
        })
    });
    group.finish();
}

fn big_stack(c: &mut Criterion) {
    let extra = stacks::extra_subnets_for(MAX_RESOURCES);
    let stack = stacks::big_stack("BigStack", extra).unwrap();
    let resources = stack.resource_count();
    assert!(resources > MAX_RESOURCES - stacks::RESOURCES_PER_EXTRA_SUBNET && resources <= MAX_RESOURCES, "{resources} resources");

    let mut group = c.benchmark_group(format!("big_stack_{resources}"));
    group.bench_function("build", |b| b.iter(|| stacks::big_stack("BigStack", black_box(extra)).unwrap()));
    group.bench_function("synth", |b| b.iter(|| black_box(&stack).synth().unwrap()));
    let synthesized = stack.synth().unwrap();
    group.bench_function("to_json", |b| b.iter(|| black_box(&synthesized).to_json_string()));
    group.bench_function("build_synth_json", |b| {
        b.iter(|| {
            let stack = stacks::big_stack("BigStack", black_box(extra)).unwrap();
            stack.synth().unwrap().to_json_string()
        })
    });
    group.bench_function("build_into_synth_json", |b| {
        b.iter(|| {
            let stack = stacks::big_stack("BigStack", black_box(extra)).unwrap();
            stack.into_synth().unwrap().to_json_string()
        })
    });
    group.finish();
}

fn app_of_stacks(c: &mut Criterion) {
    let mut group = c.benchmark_group("app_50_stacks");
    group.bench_function("build_synth_json", |b| {
        b.iter(|| {
            let app = stacks::many_app(black_box(APP_STACKS)).unwrap();
            let templates: Vec<String> = app.synth().unwrap().iter().map(|s| s.to_json_string()).collect();
            templates
        })
    });
    group.finish();
}

criterion_group!(benches, default_stack, big_stack, app_of_stacks);
criterion_main!(benches);

//! Criterion benchmark of the offline access proof: building the access
//! model of the default stack's template and evaluating its full matrix
//! (every request source against every S3 action in the matrix).

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use vaultgate::access::{evaluate_matrix, Settings, StackModel};

fn access_matrix(c: &mut Criterion) {
    let template = vaultgate::constructs::default_template();
    let settings = Settings::default();
    let model = StackModel::from_template(&template, &settings, "default").expect("the default template is readable");

    let mut group = c.benchmark_group("access_matrix");
    group.bench_function("model", |b| {
        b.iter(|| StackModel::from_template(black_box(&template), &settings, "default").unwrap())
    });
    group.bench_function("evaluate", |b| b.iter(|| evaluate_matrix(black_box(&model))));
    group.finish();
}

criterion_group!(benches, access_matrix);
criterion_main!(benches);

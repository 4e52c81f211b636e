//! Evaluation speed: a compliant two-container pod, a pod violating most checks, and
//! parse + evaluate from the JSON bytes of a ~2 KB pod.

use criterion::{Criterion, criterion_group, criterion_main};
use podsec_policy::model::{PodMetadata, PodSpec};
use podsec_policy::{Level, LevelVersion, Version, evaluate};
use serde::Deserialize;
use std::hint::black_box;

const COMPLIANT: &str = include_str!("data/compliant.json");
const VIOLATING: &str = include_str!("data/violating.json");
/// The compliant pod as compact JSON (as API servers send it): about 1.9 KB.
const COMPLIANT_COMPACT: &[u8] = include_bytes!("data/compliant.min.json");

#[derive(Deserialize)]
struct Pod {
    #[serde(default)]
    metadata: PodMetadata,
    #[serde(default)]
    spec: PodSpec,
}

fn parse(json: &str) -> Pod {
    serde_json::from_str(json).expect("bench pod parses")
}

fn benches(c: &mut Criterion) {
    let restricted = LevelVersion::new(Level::Restricted, Version::Latest);
    let baseline = LevelVersion::new(Level::Baseline, Version::Latest);
    let compliant = parse(COMPLIANT);
    let violating = parse(VIOLATING);
    assert!(evaluate(restricted, &compliant.metadata, &compliant.spec).is_allowed());
    assert!(
        evaluate(restricted, &violating.metadata, &violating.spec)
            .violations
            .len()
            >= 10
    );

    let mut group = c.benchmark_group("evaluate");
    group.bench_function("compliant/restricted:latest", |b| {
        b.iter(|| {
            evaluate(
                black_box(restricted),
                black_box(&compliant.metadata),
                black_box(&compliant.spec),
            )
        })
    });
    group.bench_function("compliant/baseline:latest", |b| {
        b.iter(|| {
            evaluate(
                black_box(baseline),
                black_box(&compliant.metadata),
                black_box(&compliant.spec),
            )
        })
    });
    group.bench_function("violating/restricted:latest", |b| {
        b.iter(|| {
            evaluate(
                black_box(restricted),
                black_box(&violating.metadata),
                black_box(&violating.spec),
            )
        })
    });
    group.bench_function("violating/restricted:latest+message", |b| {
        b.iter(|| {
            evaluate(
                black_box(restricted),
                black_box(&violating.metadata),
                black_box(&violating.spec),
            )
            .forbidden_detail()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("parse+evaluate");
    group.throughput(criterion::Throughput::Bytes(COMPLIANT_COMPACT.len() as u64));
    let parse_bytes =
        |bytes: &[u8]| -> Pod { serde_json::from_slice(bytes).expect("bench pod parses") };
    group.bench_function("compliant-2kb-json/restricted:latest", |b| {
        b.iter(|| {
            let pod = parse_bytes(black_box(COMPLIANT_COMPACT));
            evaluate(restricted, &pod.metadata, &pod.spec).is_allowed()
        })
    });
    group.bench_function("compliant-2kb-json/parse-only", |b| {
        b.iter(|| parse_bytes(black_box(COMPLIANT_COMPACT)))
    });
    group.finish();
}

criterion_group!(evaluation, benches);
criterion_main!(evaluation, floors);

fn floor(c: &mut Criterion) {
    c.bench_function("floor/serde_json-ignored-any-2kb", |b| {
        b.iter(|| {
            serde_json::from_slice::<serde::de::IgnoredAny>(black_box(COMPLIANT_COMPACT))
                .expect("json")
        })
    });
    c.bench_function("floor/serde_json-value-2kb", |b| {
        b.iter(|| {
            serde_json::from_slice::<serde_json::Value>(black_box(COMPLIANT_COMPACT)).expect("json")
        })
    });
}
criterion_group!(floors, floor);

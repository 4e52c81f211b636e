//! The namespace lookup hot path: a hit in the converted map, against converting the watcher's
//! metadata object on every lookup (the alternative design).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use futures::FutureExt;
use k8s_openapi::api::core::v1::Namespace as K8sNamespace;
use kube::api::{ObjectMeta, PartialObjectMeta};
use podsec_admission::NamespaceGetter;
use podsec_admission::decode::Namespace;
use podsec_kube::NamespaceCache;
use podsec_kube::testing::FakeApiServer;

fn labels(i: usize) -> [(String, String); 3] {
    [
        (
            "pod-security.kubernetes.io/enforce".into(),
            "baseline".into(),
        ),
        (
            "pod-security.kubernetes.io/warn".into(),
            "restricted".into(),
        ),
        ("team".into(), format!("team-{i}")),
    ]
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let (api, cache) = runtime.block_on(async {
        let api = FakeApiServer::start().await;
        for i in 0..1000 {
            api.create_namespace(&format!("ns-{i}"), labels(i));
        }
        let cache = NamespaceCache::new(api.client());
        tokio::time::timeout(Duration::from_secs(10), cache.readiness().wait())
            .await
            .expect("synced");
        (api, cache)
    });
    let _guard = runtime.enter();

    c.bench_function("lookup/cache_hit", |b| {
        b.iter(|| {
            let found = cache
                .get_namespace(black_box("ns-500"), None)
                .now_or_never()
                .expect("a hit is ready at once");
            black_box(found.expect("found"))
        })
    });

    // What a lookup would cost if the store kept the watcher's objects and converted them.
    let meta: PartialObjectMeta<K8sNamespace> = PartialObjectMeta {
        types: None,
        metadata: ObjectMeta {
            name: Some("ns-500".into()),
            labels: Some(labels(500).into_iter().collect()),
            resource_version: Some("12345".into()),
            uid: Some("00000000-0000-0000-0000-000000000500".into()),
            ..ObjectMeta::default()
        },
        _phantom: std::marker::PhantomData,
    };
    let stored = Arc::new(meta);
    c.bench_function("lookup/convert_on_lookup", |b| {
        b.iter(|| {
            let meta = black_box(&stored);
            black_box(Arc::new(Namespace {
                name: meta.metadata.name.clone().unwrap_or_default(),
                labels: meta.metadata.labels.clone().unwrap_or_default(),
            }))
        })
    });
    drop(api);
}

criterion_group!(lookup, benches);
criterion_main!(lookup);

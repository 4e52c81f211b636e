//! Rule evaluation speed with ten image rules and five exemptions active, on the compliant
//! two-container pod of the policy benches (the exact evaluation is timed beside it for
//! scale), and on a pod that violates most image rules.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use podsec_policy::model::{PodMetadata, PodSpec};
use podsec_policy::{Level, LevelVersion, Version, evaluate};
use podsec_rules::evaluate::{exempt_checks, images, secure_defaults};
use podsec_rules::load;
use serde::Deserialize;

const COMPLIANT: &str = include_str!("../../podsec-policy/benches/data/compliant.json");

/// Ten image rules (four scoped by namespace selectors, all matching the bench namespace
/// except one) and five exemptions, none of which matches the pod: the full scan runs.
const POLICY: &str = r#"
apiVersion: podsec.dev/v1alpha1
kind: PodsecPolicy
images:
- name: trusted-registries
  allowedRegistries: [registry.example.com, "*.gcr.io", "quay.io", "localhost:5000"]
- name: shop-repositories
  namespaceSelector: {matchLabels: {team: shop}}
  allowedRepositories: ["registry.example.com/shop/*", "registry.example.com/mesh/*"]
- name: no-latest
  mode: warn
  deniedTags: [latest, ""]
- name: prod-digests
  mode: audit
  namespaceSelector:
    matchExpressions: [{key: env, operator: In, values: [prod, staging]}]
  requireDigest: true
- name: dev-only
  namespaceSelector: {matchLabels: {env: dev}}
  requireDigest: true
- name: no-hub
  allowedRegistries: ["*.example.com", "*.gcr.io", "quay.io"]
- name: no-edge
  deniedTags: [edge, nightly, canary, dev]
- name: team-registries
  namespaceSelector:
    matchExpressions: [{key: team, operator: Exists}]
  allowedRepositories: ["registry.example.com/*", "eu.gcr.io/team/*"]
- name: not-sandbox
  namespaceSelector:
    matchExpressions: [{key: sandbox, operator: DoesNotExist}]
  allowedRegistries: ["registry.example.com"]
- name: audit-everything
  mode: audit
  allowedRepositories: ["registry.example.com/*"]
exemptions:
- name: node-exporter
  checks: [hostPorts, hostNamespaces, hostPathVolumes]
  namespaces: [monitoring]
  serviceAccounts: [node-exporter]
  images: ["quay.io/prometheus/node-exporter"]
- name: debug
  checks: [privileged]
  namespaceSelector: {matchLabels: {debug: allowed}}
- name: csi
  checks: [privileged, hostPathVolumes]
  podSelector: {matchLabels: {app: csi-driver}}
- name: legacy-root
  checks: [runAsNonRoot, runAsUser]
  serviceAccounts: [legacy]
  expires: "2030-01-01"
- name: istio-init
  checks: [capabilities_baseline, capabilities_restricted]
  images: ["docker.io/istio/proxyv2:*"]
secureDefaults:
  namespaceSelector: {matchLabels: {podsec.dev/secure-defaults: enabled}}
"#;

#[derive(Deserialize)]
struct Pod {
    #[serde(default)]
    metadata: PodMetadata,
    #[serde(default)]
    spec: PodSpec,
}

fn benches(c: &mut Criterion) {
    let policy = load(POLICY.as_bytes()).expect("bench policy loads");
    assert_eq!((policy.images.len(), policy.exemptions.len()), (10, 5));
    let mut pod: Pod = serde_json::from_str(COMPLIANT).expect("bench pod parses");
    pod.metadata.labels.extend(
        [("app", "web"), ("pod-template-hash", "7d4b9c8f6")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    pod.spec
        .service_account_name
        .get_or_insert_with(|| "web".to_owned());
    let ns_labels: BTreeMap<String, String> = [
        ("team", "shop"),
        ("env", "prod"),
        ("kubernetes.io/metadata.name", "shop"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let restricted = LevelVersion::new(Level::Restricted, Version::Latest);

    // Every image of the compliant pod is allowed except for `prod-digests` (audit).
    let mut digestless = images(&policy, &ns_labels, &pod.spec);
    digestless.retain(|v| v.rule != "prod-digests");
    assert!(digestless.is_empty(), "{digestless:?}");
    let allowed_ns: BTreeMap<String, String> = [("team", "shop")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    assert!(images(&policy, &allowed_ns, &pod.spec).is_empty());
    assert!(exempt_checks(&policy, now, "shop", &ns_labels, &pod.metadata, &pod.spec).is_empty());

    let mut violating = pod.spec.clone();
    for (i, c) in violating.containers.iter_mut().enumerate() {
        c.image = if i == 0 {
            "nginx".into()
        } else {
            "docker.io/user/app:edge".into()
        };
    }
    assert!(images(&policy, &allowed_ns, &violating).len() >= 8);

    let mut group = c.benchmark_group("rules");
    group.bench_function("exact evaluate restricted:latest (scale)", |b| {
        b.iter(|| {
            evaluate(
                black_box(restricted),
                black_box(&pod.metadata),
                black_box(&pod.spec),
            )
        })
    });
    group.bench_function("images/10 rules/compliant", |b| {
        b.iter(|| {
            images(
                black_box(&policy),
                black_box(&allowed_ns),
                black_box(&pod.spec),
            )
        })
    });
    group.bench_function("exemptions/5/none match", |b| {
        b.iter(|| {
            exempt_checks(
                black_box(&policy),
                black_box(now),
                black_box("shop"),
                black_box(&ns_labels),
                black_box(&pod.metadata),
                black_box(&pod.spec),
            )
        })
    });
    group.bench_function("all/10 rules + 5 exemptions + defaults/compliant", |b| {
        b.iter(|| {
            let v = images(
                black_box(&policy),
                black_box(&allowed_ns),
                black_box(&pod.spec),
            );
            let e = exempt_checks(
                black_box(&policy),
                black_box(now),
                black_box("shop"),
                black_box(&allowed_ns),
                black_box(&pod.metadata),
                black_box(&pod.spec),
            );
            let d = secure_defaults(black_box(&policy), black_box(&allowed_ns)).is_some();
            (v, e, d)
        })
    });
    group.bench_function("images/10 rules/violating", |b| {
        b.iter(|| {
            images(
                black_box(&policy),
                black_box(&allowed_ns),
                black_box(&violating),
            )
        })
    });
    group.bench_function("parse image", |b| {
        b.iter(|| podsec_rules::image::parse(black_box("registry.example.com/shop/web:1.27.3")))
    });
    group.bench_function("load policy", |b| {
        b.iter(|| load(black_box(POLICY.as_bytes())))
    });
    group.finish();
}

criterion_group!(rules, benches);
criterion_main!(rules);

//! `locate::index` (and `locate`) on a typical ~800-byte pod, against `decode` of the same
//! document for scale: as plain YAML (the fast path), as YAML with an anchor (read with
//! granit-parser), and a smaller pod as JSON.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use podsec_manifest::documents;
use podsec_manifest::locate::index;

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: team-0
  labels:
    app: web
    tier: frontend
    release: \"r0\"
  annotations:
    example.com/owner: \"team-0\"
    example.com/description: a pod used for benchmarking the locator
spec:
  serviceAccountName: web
  nodeSelector:
    kubernetes.io/os: linux
  containers:
  - name: app
    image: registry.example.com/web:0
    args: [--listen=:8080, -v]
    ports:
    - containerPort: 8080
      protocol: TCP
    resources:
      limits: {cpu: 500m, memory: 128Mi}
      requests: {cpu: 100m, memory: 64Mi}
    env:
    - name: MODE
      value: production
  - name: sidecar
    image: registry.example.com/proxy:1.2.3
    ports:
    - containerPort: 9090
  volumes:
  - name: cache
    emptyDir: {}
";

/// A smaller pod as a JSON document.
const JSON_POD: &str = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",
 \"metadata\": {\"name\": \"web-0\", \"labels\": {\"app\": \"web\"}},
 \"spec\": {\"containers\": [
  {\"name\": \"app\", \"image\": \"registry.example.com/web:0\", \"ports\": [{\"containerPort\": 8080}]},
  {\"name\": \"sidecar\", \"image\": \"registry.example.com/proxy:1.2.3\"}],
  \"volumes\": [{\"name\": \"cache\", \"emptyDir\": {}}]}}
";

/// The paths `podsec check --level restricted` locates for this pod.
const PATHS: &[&str] = &[
    "spec.containers[0].securityContext.allowPrivilegeEscalation",
    "spec.containers[1].securityContext.allowPrivilegeEscalation",
    "spec.containers[0].securityContext.capabilities.drop",
    "spec.containers[1].securityContext.capabilities.drop",
    "spec.securityContext.runAsNonRoot",
    "spec.containers[0].securityContext.runAsNonRoot",
    "spec.containers[1].securityContext.runAsNonRoot",
    "spec.securityContext.seccompProfile.type",
];

fn locate(c: &mut Criterion) {
    let anchored = format!("{POD}x-anchor: &a 1\n");
    let mut group = c.benchmark_group("locate");
    for (name, text) in [
        ("yaml", POD),
        ("yaml-anchor", anchored.as_str()),
        ("json", JSON_POD),
    ] {
        let docs = documents(text);
        let doc = &docs[0];
        let fields = index(doc);
        assert!(fields.len() == 1 && fields[0].locate(PATHS[0]).line > 1);
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| black_box(doc).decode())
        });
        group.bench_function(format!("index/{name}"), |b| {
            b.iter(|| index(black_box(doc)))
        });
        group.bench_function(format!("index+locate/{name}"), |b| {
            b.iter(|| {
                let fields = index(black_box(doc));
                PATHS
                    .iter()
                    .map(|p| fields[0].locate(p).line)
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, locate);
criterion_main!(benches);

//! Engine overhead: a pod CREATE with a cached namespace (compared with decoding and
//! evaluating the same pod directly), and a namespace relabel over 3,000 existing pods.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use podsec_admission::config::AdmissionConfig;
use podsec_admission::decode::{Namespace, PodTemplate};
use podsec_admission::{
    Admission, GroupVersionKind, GroupVersionResource, ListedPod, NoopRecorder, Operation, Request,
    StaticNamespaces, StaticPods,
};
use podsec_policy::{Level, LevelVersion, Version, evaluate};
use serde_json::value::RawValue;
use serde_json::{Value, json};

fn compliant_pod(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "r", "labels": {"app": "web"}, "annotations": {"a": "b"}},
        "spec": {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "volumes": [{"name": "cache", "emptyDir": {}}],
            "containers": [
                {"name": "app", "image": "web:1", "ports": [{"containerPort": 8080}],
                 "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}},
                {"name": "proxy", "image": "proxy:1",
                 "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}})
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (format!("pod-security.kubernetes.io/{k}"), (*v).to_owned()))
        .collect()
}

fn request(
    resource: &str,
    kind: &str,
    op: Operation,
    ns: &str,
    object: &Value,
    old: Option<&Value>,
) -> Request {
    Request {
        uid: "uid".into(),
        kind: GroupVersionKind {
            group: String::new(),
            version: "v1".into(),
            kind: kind.into(),
        },
        resource: GroupVersionResource {
            group: String::new(),
            version: "v1".into(),
            resource: resource.into(),
        },
        subresource: String::new(),
        name: "p".into(),
        namespace: ns.into(),
        operation: op,
        username: "alice".into(),
        object: Some(RawValue::from_string(object.to_string()).expect("json")),
        old_object: old.map(|o| RawValue::from_string(o.to_string()).expect("json")),
        dry_run: false,
        deadline: None,
    }
}

/// 3,000 pods: 100 controllers with 25 identical replicas each, and 500 distinct
/// standalone pods (each with its own image and a different violation mix).
fn relabel_pods() -> StaticPods {
    let mut pods = StaticPods::default();
    for c in 0..100 {
        let mut pod = compliant_pod("x");
        pod["spec"]["containers"][0]["image"] = json!(format!("app-{c}:1"));
        if c % 3 == 0 {
            pod["spec"]["hostNetwork"] = json!(true);
        }
        let template: PodTemplate = serde_json::from_value(pod).expect("pod");
        for r in 0..25 {
            pods.insert(
                "team",
                ListedPod {
                    name: format!("app-{c}-{r}"),
                    controller_uid: Some(format!("uid-{c}")),
                    pod: template.clone(),
                },
            );
        }
    }
    for s in 0..500 {
        let mut pod = compliant_pod("x");
        pod["spec"]["containers"][1]["image"] = json!(format!("tool-{s}:1"));
        if s % 2 == 0 {
            pod["spec"]["containers"][1]["securityContext"]["privileged"] = json!(true);
        }
        if s % 5 == 0 {
            pod["spec"]["securityContext"]["runAsNonRoot"] = json!(false);
        }
        let template: PodTemplate = serde_json::from_value(pod).expect("pod");
        pods.insert(
            "team",
            ListedPod {
                name: format!("standalone-{s}"),
                controller_uid: None,
                pod: template,
            },
        );
    }
    pods
}

fn benches(c: &mut Criterion) {
    let namespaces: StaticNamespaces = [
        Namespace {
            name: "r".into(),
            labels: labels(&[("enforce", "restricted")]),
        },
        Namespace {
            name: "team".into(),
            labels: labels(&[("enforce", "privileged")]),
        },
    ]
    .into_iter()
    .collect();
    let engine = Admission::new(
        AdmissionConfig::default(),
        namespaces,
        relabel_pods(),
        NoopRecorder,
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");

    let pod = compliant_pod("p");
    let create = request("pods", "Pod", Operation::Create, "r", &pod, None);
    assert!(rt.block_on(engine.validate(&create)).allowed);
    let pod_text = pod.to_string();

    let mut group = c.benchmark_group("engine");
    group.bench_function("pod-create/restricted (decode + evaluate + respond)", |b| {
        b.iter(|| rt.block_on(engine.validate(black_box(&create))))
    });
    group.bench_function("baseline: decode + evaluate the same pod directly", |b| {
        let policy = LevelVersion::new(Level::Restricted, Version::Latest);
        b.iter(|| {
            let p: PodTemplate = serde_json::from_str(black_box(&pod_text)).expect("pod");
            evaluate(policy, &p.metadata, &p.spec)
        })
    });

    let ns = |labels: BTreeMap<String, String>| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team", "labels": labels}});
    let relabel = request(
        "namespaces",
        "Namespace",
        Operation::Update,
        "team",
        &ns(labels(&[("enforce", "restricted")])),
        Some(&ns(labels(&[("enforce", "privileged")]))),
    );
    let warnings = rt.block_on(engine.validate(&relabel)).warnings;
    assert!(warnings.len() > 3, "{warnings:?}");
    group.bench_function("namespace-relabel/3000 pods", |b| {
        b.iter(|| rt.block_on(engine.validate(black_box(&relabel))))
    });
    group.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);

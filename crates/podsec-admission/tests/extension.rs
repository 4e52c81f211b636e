//! The engine with an [`Extension`] (opt-in rules beyond Pod Security): exempted checks
//! leave every evaluation and are annotated, findings deny pods, warn on workloads, warn and
//! audit per mode, and apply in privileged and exempt namespaces too. Without an extension
//! the answers are upstream's (the golden suites prove that; one case here compares).

use std::collections::BTreeMap;
use std::sync::Arc;

use podsec_admission::config::{AdmissionConfig, load};
use podsec_admission::decode::Namespace;
use podsec_admission::decode::PodTemplate;
use podsec_admission::extension::{Extension, Finding, PodContext};
use podsec_admission::{
    Admission, GroupVersionKind, GroupVersionResource, ListedPod, Mode, NoopRecorder, Operation,
    Request, Response, StaticNamespaces, StaticPods,
};
use podsec_policy::CheckId;
use serde_json::value::RawValue;
use serde_json::{Value, json};

const CONFIG: &str = "
apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
exemptions: {namespaces: [exempt-ns]}
";

/// Exempts `hostPorts` for pods labelled `host-ports: allowed`; finds every container image
/// starting with `bad/`, in the mode the namespace's `image-mode` label names (enforce when
/// absent).
#[derive(Debug)]
struct Fake;

impl Extension for Fake {
    fn exempt_checks(&self, pod: &PodContext<'_>) -> Vec<(CheckId, String)> {
        let labels = &pod.template.metadata.labels;
        if labels.get("host-ports").map(String::as_str) == Some("allowed") {
            vec![(CheckId::new("hostPorts"), "ports-ok".to_owned())]
        } else {
            Vec::new()
        }
    }

    fn findings(&self, pod: &PodContext<'_>) -> Vec<Finding> {
        let mode = match pod.namespace_labels.get("image-mode").map(String::as_str) {
            Some("warn") => Mode::Warn,
            Some("audit") => Mode::Audit,
            _ => Mode::Enforce,
        };
        pod.template
            .spec
            .containers
            .iter()
            .filter(|c| c.image.starts_with("bad/"))
            .map(|c| Finding {
                policy: "podsec image policy",
                annotation: "image-policy-violations",
                rule: "no-bad".to_owned(),
                mode,
                detail: format!(
                    "container {:?} image {:?} is not from an allowed registry",
                    c.name, c.image
                ),
            })
            .collect()
    }
}

fn namespace(name: &str, labels: &[(&str, &str)]) -> Namespace {
    Namespace {
        name: name.into(),
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn engine(extension: bool) -> Admission<StaticNamespaces, StaticPods, NoopRecorder> {
    engine_with_pods(extension, StaticPods::default())
}

fn engine_with_pods(
    extension: bool,
    pods: StaticPods,
) -> Admission<StaticNamespaces, StaticPods, NoopRecorder> {
    let config = AdmissionConfig::new(&load(CONFIG.as_bytes()).expect("config")).expect("valid");
    let namespaces: StaticNamespaces = [
        namespace(
            "base",
            &[("pod-security.kubernetes.io/enforce", "baseline")],
        ),
        namespace(
            "base-warn",
            &[
                ("pod-security.kubernetes.io/enforce", "baseline"),
                ("image-mode", "warn"),
            ],
        ),
        namespace(
            "base-audit",
            &[
                ("pod-security.kubernetes.io/enforce", "baseline"),
                ("image-mode", "audit"),
            ],
        ),
        namespace("priv", &[]),
        namespace(
            "exempt-ns",
            &[("pod-security.kubernetes.io/enforce", "restricted")],
        ),
    ]
    .into_iter()
    .collect();
    let engine = Admission::new(config, namespaces, pods, NoopRecorder);
    let extension: Option<Arc<dyn Extension>> = extension.then(|| Arc::new(Fake) as _);
    engine.with_extension(extension)
}

fn request(kind: &str, namespace: &str, object: &Value) -> Request {
    let (group, resource) = match kind {
        "Pod" => ("", "pods"),
        _ => ("apps", "deployments"),
    };
    Request {
        uid: "uid".into(),
        kind: GroupVersionKind {
            group: group.into(),
            version: "v1".into(),
            kind: kind.into(),
        },
        resource: GroupVersionResource {
            group: group.into(),
            version: "v1".into(),
            resource: resource.into(),
        },
        subresource: String::new(),
        name: object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .into(),
        namespace: namespace.into(),
        operation: Operation::Create,
        username: "alice".into(),
        object: Some(RawValue::from_string(object.to_string()).expect("json")),
        old_object: None,
        dry_run: false,
        deadline: None,
    }
}

fn pod(labels: Value, containers: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "p", "labels": labels},
           "spec": {"containers": containers}})
}

fn deployment(containers: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"template": {"spec": {"containers": containers}}}})
}

async fn answer(extension: bool, kind: &str, namespace: &str, object: &Value) -> Response {
    engine(extension)
        .validate(&request(kind, namespace, object))
        .await
}

fn message(response: &Response) -> &str {
    response.status.as_ref().map_or("", |s| s.message.as_str())
}

#[tokio::test]
async fn an_exempted_check_leaves_the_evaluation_and_is_annotated() {
    let host_port =
        json!([{"name": "c", "image": "ok/app", "ports": [{"containerPort": 80, "hostPort": 80}]}]);
    let object = pod(json!({"host-ports": "allowed"}), host_port.clone());
    let with = answer(true, "Pod", "base", &object).await;
    assert!(with.allowed, "{with:?}");
    assert_eq!(
        with.audit_annotations
            .get("exempted-checks")
            .map(String::as_str),
        Some(r#"hostPorts (exemption "ports-ok")"#)
    );
    // Not labelled: no exemption, upstream's denial.
    let unlabelled = pod(json!({}), host_port.clone());
    let denied = answer(true, "Pod", "base", &unlabelled).await;
    assert_eq!(
        message(&denied),
        r#"pods "p" is forbidden: violates PodSecurity "baseline:latest": hostPort (container "c" uses hostPort 80)"#
    );
    assert_eq!(denied, answer(false, "Pod", "base", &unlabelled).await);
    // Another violation still denies, its message without the exempted check.
    let both = pod(
        json!({"host-ports": "allowed"}),
        json!([{"name": "c", "image": "ok/app", "ports": [{"containerPort": 80, "hostPort": 80}],
                "securityContext": {"privileged": true}}]),
    );
    let denied = answer(true, "Pod", "base", &both).await;
    assert_eq!(
        message(&denied),
        r#"pods "p" is forbidden: violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)"#
    );
    assert!(denied.audit_annotations.contains_key("exempted-checks"));
}

#[tokio::test]
async fn an_enforce_finding_denies_a_pod_and_warns_on_a_workload() {
    let bad = json!([{"name": "c", "image": "bad/app"}, {"name": "d", "image": "bad/db"}]);
    let denied = answer(true, "Pod", "base", &pod(json!({}), bad.clone())).await;
    assert!(!denied.allowed);
    let status = denied.status.as_ref().expect("a status");
    assert_eq!((status.code, status.reason.as_str()), (403, "Forbidden"));
    assert_eq!(
        status.message,
        r#"pods "p" is forbidden: violates podsec image policy: container "c" image "bad/app" is not from an allowed registry, container "d" image "bad/db" is not from an allowed registry"#
    );
    let workload = answer(true, "Deployment", "base", &deployment(bad.clone())).await;
    assert!(workload.allowed);
    assert_eq!(
        workload.warnings,
        [
            r#"would violate podsec image policy: container "c" image "bad/app" is not from an allowed registry, container "d" image "bad/db" is not from an allowed registry"#
        ]
    );
    // Without the extension: allowed, nothing said.
    let plain = answer(false, "Pod", "base", &pod(json!({}), bad)).await;
    assert!(plain.allowed && plain.warnings.is_empty());
}

#[tokio::test]
async fn pod_security_denials_come_first() {
    let both = json!([{"name": "c", "image": "bad/app", "securityContext": {"privileged": true}}]);
    let denied = answer(true, "Pod", "base", &pod(json!({}), both.clone())).await;
    assert_eq!(
        denied,
        answer(false, "Pod", "base", &pod(json!({}), both)).await
    );
}

#[tokio::test]
async fn warn_and_audit_findings() {
    let bad = json!([{"name": "c", "image": "bad/app"}]);
    let warned = answer(true, "Pod", "base-warn", &pod(json!({}), bad.clone())).await;
    assert!(warned.allowed);
    assert_eq!(
        warned.warnings,
        [
            r#"would violate podsec image policy: container "c" image "bad/app" is not from an allowed registry"#
        ]
    );
    let audited = answer(true, "Pod", "base-audit", &pod(json!({}), bad)).await;
    assert!(audited.allowed && audited.warnings.is_empty());
    assert_eq!(
        audited
            .audit_annotations
            .get("image-policy-violations")
            .map(String::as_str),
        Some(
            r#"would violate podsec image policy: container "c" image "bad/app" is not from an allowed registry"#
        )
    );
}

#[tokio::test]
async fn findings_apply_in_privileged_and_exempt_namespaces() {
    let bad = json!([{"name": "c", "image": "bad/app"}]);
    for namespace in ["priv", "exempt-ns"] {
        let upstream = answer(false, "Pod", namespace, &pod(json!({}), bad.clone())).await;
        assert!(upstream.allowed);
        let denied = answer(true, "Pod", namespace, &pod(json!({}), bad.clone())).await;
        assert!(!denied.allowed, "{namespace}");
        assert!(
            message(&denied).contains("violates podsec image policy"),
            "{namespace}"
        );
        // Upstream's annotations stay (`exempt: namespace`, `enforce-policy`).
        assert_eq!(denied.audit_annotations, upstream.audit_annotations);
        let workload = answer(true, "Deployment", namespace, &deployment(bad.clone())).await;
        assert!(workload.allowed);
        assert_eq!(workload.warnings.len(), 1, "{namespace}");
    }
    // Nothing found: the answer is upstream's, byte for byte.
    let good = pod(json!({}), json!([{"name": "c", "image": "ok/app"}]));
    for namespace in ["priv", "exempt-ns", "base"] {
        assert_eq!(
            answer(true, "Pod", namespace, &good).await,
            answer(false, "Pod", namespace, &good).await
        );
    }
}

#[tokio::test]
async fn exempted_checks_leave_the_namespace_relabel_warnings() {
    let listed = |name: &str, labels: Value| ListedPod {
        name: name.into(),
        controller_uid: None,
        pod: serde_json::from_value::<PodTemplate>(json!({
            "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "ok/app",
                                     "ports": [{"containerPort": 80, "hostPort": 80}]}]}
        }))
        .expect("a pod"),
    };
    let mut pods = StaticPods::default();
    pods.insert("priv", listed("agent", json!({"host-ports": "allowed"})));
    pods.insert("priv", listed("web", json!({})));
    let namespace = |labels: Value| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "priv", "labels": labels}});
    let mut relabel = request(
        "Namespace",
        "priv",
        &namespace(json!({"pod-security.kubernetes.io/enforce": "baseline"})),
    );
    relabel.resource = GroupVersionResource {
        group: String::new(),
        version: "v1".into(),
        resource: "namespaces".into(),
    };
    relabel.kind.group = String::new();
    relabel.operation = Operation::Update;
    relabel.old_object =
        Some(RawValue::from_string(namespace(json!({})).to_string()).expect("json"));
    let upstream = engine_with_pods(false, pods.clone())
        .validate(&relabel)
        .await;
    assert_eq!(
        upstream.warnings,
        [
            r#"existing pods in namespace "priv" violate the new PodSecurity enforce level "baseline:latest""#,
            "agent (and 1 other pod): hostPort",
        ]
    );
    let with = engine_with_pods(true, pods).validate(&relabel).await;
    assert_eq!(
        with.warnings,
        [
            r#"existing pods in namespace "priv" violate the new PodSecurity enforce level "baseline:latest""#,
            "web: hostPort",
        ]
    );
}

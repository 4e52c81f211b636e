//! Scenario tables for the engine, ported from upstream's admission tests
//! (`TestValidatePodAndController`, `TestValidateNamespace`, `TestExemptNamespaceWarning`,
//! `TestPrioritizePods`) and the spec's response catalogue: exact messages, status codes,
//! audit annotations, warnings and metric increments, with in-memory fakes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use podsec_admission::config::{AdmissionConfig, load};
use podsec_admission::decode::{Namespace, PodTemplate};
use podsec_admission::metrics::Series;
use podsec_admission::{
    Admission, CountingRecorder, Decision, GroupVersionKind, GroupVersionResource, Limits,
    ListedPod, LookupError, NamespaceGetter, Operation, PodLister, Request, Response,
    StaticNamespaces, StaticPods,
};
use podsec_policy::Level;
use serde_json::value::RawValue;
use serde_json::{Value, json};

const CONFIG: &str = r#"
apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults: {enforce: privileged, audit: privileged, warn: privileged}
exemptions:
  usernames: [exempt-user]
  runtimeClasses: [exempt-rc]
  namespaces: [exempt-ns]
"#;

fn namespace(name: &str, labels: &[(&str, &str)]) -> Namespace {
    let mut map: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (format!("pod-security.kubernetes.io/{k}"), (*v).to_owned()))
        .collect();
    map.insert("kubernetes.io/metadata.name".into(), name.into());
    Namespace {
        name: name.into(),
        labels: map,
    }
}

fn namespaces() -> StaticNamespaces {
    [
        namespace("priv", &[]),
        namespace("restricted", &[("enforce", "restricted")]),
        namespace(
            "baseline-warn-restricted",
            &[("enforce", "baseline"), ("warn", "restricted")],
        ),
        namespace("audit-restricted", &[("audit", "restricted")]),
        namespace(
            "warn-restricted",
            &[("warn", "restricted"), ("warn-version", "v1.30")],
        ),
        namespace(
            "enforce-only",
            &[("enforce", "restricted"), ("warn", "privileged")],
        ),
        namespace("bad-labels", &[("audit", "bsaeline")]),
        namespace("bad-enforce", &[("enforce", "strict")]),
        namespace("exempt-ns", &[("enforce", "restricted")]),
    ]
    .into_iter()
    .collect()
}

type Engine<P = StaticPods> = Admission<StaticNamespaces, P, CountingRecorder>;

fn engine() -> Engine {
    engine_with_pods(StaticPods::default())
}

fn engine_with_pods<P: PodLister>(pods: P) -> Engine<P> {
    let config = AdmissionConfig::new(&load(CONFIG.as_bytes()).expect("config")).expect("valid");
    Admission::new(config, namespaces(), pods, CountingRecorder::new(37))
}

fn raw(v: &Value) -> Box<RawValue> {
    RawValue::from_string(v.to_string()).expect("json")
}

fn pod_json(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})
}

/// A pod that violates only `restricted` (runAsNonRoot etc.).
fn baseline_pod(name: &str) -> Value {
    pod_json(name, json!({"containers": [{"name": "c", "image": "i"}]}))
}

/// A pod that violates `baseline` (privileged).
fn privileged_pod(name: &str) -> Value {
    pod_json(
        name,
        json!({"containers": [{"name": "c", "image": "i", "securityContext": {"privileged": true}}]}),
    )
}

fn restricted_pod(name: &str) -> Value {
    pod_json(
        name,
        json!({"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
               "containers": [{"name": "c", "image": "i", "securityContext":
                   {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}),
    )
}

fn request(
    resource: (&str, &str),
    kind: (&str, &str),
    op: Operation,
    ns: &str,
    name: &str,
) -> Request {
    Request {
        uid: "uid".into(),
        kind: GroupVersionKind {
            group: kind.0.into(),
            version: "v1".into(),
            kind: kind.1.into(),
        },
        resource: GroupVersionResource {
            group: resource.0.into(),
            version: "v1".into(),
            resource: resource.1.into(),
        },
        subresource: String::new(),
        name: name.into(),
        namespace: ns.into(),
        operation: op,
        username: "alice".into(),
        object: None,
        old_object: None,
        dry_run: false,
        deadline: None,
    }
}

fn pod_request(ns: &str, object: &Value) -> Request {
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    let mut r = request(("", "pods"), ("", "Pod"), Operation::Create, ns, name);
    r.object = Some(raw(object));
    r
}

fn annotations(response: &Response) -> Vec<(&str, &str)> {
    response
        .audit_annotations
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

const BASELINE_POD_RESTRICTED: &str = r#"allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#;
const PRIVILEGED_POD_BASELINE: &str =
    r#"privileged (container "c" must not set securityContext.privileged=true)"#;

fn evaluations(engine: &Engine<impl PodLister>) -> Vec<(Decision, Level, String, &'static str)> {
    engine
        .recorder()
        .snapshot()
        .into_iter()
        .flat_map(|(series, n)| match series {
            Series::Evaluation {
                decision,
                level,
                version,
                mode,
                ..
            } => vec![(decision, level, version, mode); n as usize],
            _ => vec![],
        })
        .collect()
}

fn count(engine: &Engine<impl PodLister>, pred: impl Fn(&Series) -> bool) -> u64 {
    engine
        .recorder()
        .snapshot()
        .iter()
        .filter(|(s, _)| pred(s))
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test]
async fn pod_enforce_denial_has_exact_status_and_no_warning() {
    let e = engine();
    let r = e
        .validate(&pod_request(
            "baseline-warn-restricted",
            &privileged_pod("p"),
        ))
        .await;
    assert!(!r.allowed);
    let status = r.status.as_ref().expect("status");
    assert_eq!(status.code, 403);
    assert_eq!(status.reason, "Forbidden");
    assert_eq!(
        status.message,
        format!(
            r#"pods "p" is forbidden: violates PodSecurity "baseline:latest": {PRIVILEGED_POD_BASELINE}"#
        )
    );
    let details = status.details.as_ref().expect("details");
    assert_eq!(
        (details.name.as_str(), details.kind.as_str()),
        ("p", "pods")
    );
    assert!(r.warnings.is_empty(), "no warnings on a denied request");
    assert_eq!(annotations(&r), [("enforce-policy", "baseline:latest")]);
    assert_eq!(
        evaluations(&e),
        [(Decision::Deny, Level::Baseline, "latest".into(), "enforce")]
    );
    let json = serde_json::to_value(&r).expect("serializes");
    assert_eq!(
        json["status"],
        json!({"metadata": {}, "status": "Failure", "message": status.message, "reason": "Forbidden",
               "details": {"name": "p", "kind": "pods"}, "code": 403})
    );
}

#[tokio::test]
async fn pod_warn_and_audit() {
    let e = engine();
    let r = e
        .validate(&pod_request("baseline-warn-restricted", &baseline_pod("p")))
        .await;
    assert!(r.allowed);
    assert_eq!(
        r.warnings,
        [format!(
            r#"would violate PodSecurity "restricted:latest": {BASELINE_POD_RESTRICTED}"#
        )]
    );
    assert_eq!(annotations(&r), [("enforce-policy", "baseline:latest")]);

    let r = e
        .validate(&pod_request("audit-restricted", &baseline_pod("p")))
        .await;
    assert!(r.allowed && r.warnings.is_empty());
    assert_eq!(
        annotations(&r),
        [
            (
                "audit-violations",
                format!(
                    r#"would violate PodSecurity "restricted:latest": {BASELINE_POD_RESTRICTED}"#
                )
                .as_str()
            ),
            ("enforce-policy", "privileged:latest"),
        ]
    );
    // Enforce records allow and deny; audit and warn only deny.
    assert_eq!(
        evaluations(&e),
        [
            (
                Decision::Allow,
                Level::Privileged,
                "latest".into(),
                "enforce"
            ),
            (Decision::Allow, Level::Baseline, "latest".into(), "enforce"),
            (Decision::Deny, Level::Restricted, "latest".into(), "audit"),
            (Decision::Deny, Level::Restricted, "latest".into(), "warn"),
        ]
    );
}

#[tokio::test]
async fn denied_pod_still_gets_audit_annotation() {
    let e = engine();
    let mut ns = namespaces();
    ns.insert(namespace(
        "strict-audit",
        &[("enforce", "baseline"), ("audit", "restricted")],
    ));
    let config = AdmissionConfig::new(&load(CONFIG.as_bytes()).expect("config")).expect("valid");
    let e2 = Admission::new(config, ns, StaticPods::default(), CountingRecorder::new(37));
    drop(e);
    let r = e2
        .validate(&pod_request("strict-audit", &privileged_pod("p")))
        .await;
    assert!(!r.allowed);
    assert!(
        r.audit_annotations["audit-violations"]
            .starts_with(r#"would violate PodSecurity "restricted:latest": privileged ("#)
    );
}

#[tokio::test]
async fn pod_short_circuits_in_upstream_order() {
    let e = engine();
    // Ignored subresource: nothing at all.
    let mut r = pod_request("restricted", &privileged_pod("p"));
    r.subresource = "status".into();
    assert_eq!(e.validate(&r).await, Response::allow());
    // Exempt namespace, then exempt user.
    let r = e
        .validate(&pod_request("exempt-ns", &privileged_pod("p")))
        .await;
    assert!(r.allowed);
    assert_eq!(annotations(&r), [("exempt", "namespace")]);
    let mut req = pod_request("restricted", &privileged_pod("p"));
    req.username = "exempt-user".into();
    assert_eq!(annotations(&e.validate(&req).await), [("exempt", "user")]);
    // Runtime class exemption comes after the namespace lookup.
    let mut pod = privileged_pod("p");
    pod["spec"]["runtimeClassName"] = json!("exempt-rc");
    assert_eq!(
        annotations(&e.validate(&pod_request("restricted", &pod)).await),
        [("exempt", "runtimeClass")]
    );
    assert_eq!(count(&e, |s| matches!(s, Series::Exemption(_))), 3);
    assert!(evaluations(&e).is_empty());
    // Fully privileged namespace: the short-circuit annotation is always privileged:latest.
    let r = e.validate(&pod_request("priv", &privileged_pod("p"))).await;
    assert_eq!(annotations(&r), [("enforce-policy", "privileged:latest")]);
}

#[tokio::test]
async fn pod_namespace_lookup_failures() {
    let e = engine();
    let r = e
        .validate(&pod_request("missing", &restricted_pod("p")))
        .await;
    assert!(!r.allowed);
    let status = r.status.as_ref().expect("status");
    assert_eq!(
        (status.code, status.reason.as_str()),
        (500, "InternalError")
    );
    assert_eq!(
        status.message,
        r#"Internal error occurred: failed to lookup namespace "missing""#
    );
    assert_eq!(
        annotations(&r),
        [(
            "error",
            r#"Internal error occurred: failed to lookup namespace "missing": namespaces "missing" not found"#
        )]
    );
    assert_eq!(
        serde_json::to_value(status).expect("json")["details"],
        json!({"causes": [{"message": "failed to lookup namespace \"missing\""}]})
    );
    let r = e.validate(&pod_request("", &restricted_pod("p"))).await;
    assert_eq!(
        annotations(&r),
        [(
            "error",
            r#"Internal error occurred: failed to lookup namespace "": resource name may not be empty"#
        )]
    );
    assert_eq!(
        count(&e, |s| matches!(s, Series::Error { fatal: true, .. })),
        2
    );
}

#[tokio::test]
async fn pod_decode_failures() {
    let e = engine();
    let mut r = pod_request(
        "restricted",
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}),
    );
    r.name = "x".into();
    let resp = e.validate(&r).await;
    assert_eq!(
        resp.status.as_ref().map(|s| (s.code, s.message.as_str())),
        Some((400, "failed to decode pod"))
    );
    assert_eq!(annotations(&resp), [("error", "failed to decode pod")]);

    let r = pod_request(
        "restricted",
        &json!({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": "x"}}),
    );
    let resp = e.validate(&r).await;
    assert_eq!(
        resp.status.as_ref().map(|s| s.message.as_str()),
        Some("failed to decode object")
    );
    assert!(resp.audit_annotations["error"].starts_with("failed to decode object: "));

    let mut r = pod_request("restricted", &restricted_pod("p"));
    r.operation = Operation::Update;
    let resp = e.validate(&r).await;
    assert_eq!(
        resp.status.as_ref().map(|s| s.message.as_str()),
        Some("failed to decode old pod")
    );
    assert_eq!(
        count(&e, |s| matches!(s, Series::Error { fatal: true, .. })),
        3
    );
}

#[tokio::test]
async fn pod_updates_only_evaluated_when_significant() {
    let e = engine();
    let old = privileged_pod("p");
    let mut relabelled = old.clone();
    relabelled["metadata"]["labels"] = json!({"a": "b"});
    let mut r = pod_request("restricted", &relabelled);
    r.operation = Operation::Update;
    r.old_object = Some(raw(&old));
    assert_eq!(e.validate(&r).await, Response::allow());
    assert!(evaluations(&e).is_empty());

    let mut new_image = old.clone();
    new_image["spec"]["containers"][0]["image"] = json!("other");
    r.object = Some(raw(&new_image));
    assert!(!e.validate(&r).await.allowed);

    // Adding a compliant ephemeral container re-checks the whole (non-compliant) pod.
    let mut debug = old.clone();
    debug["spec"]["ephemeralContainers"] = json!([{"name": "dbg", "image": "busybox"}]);
    r.object = Some(raw(&debug));
    r.subresource = "ephemeralcontainers".into();
    let resp = e.validate(&r).await;
    assert!(!resp.allowed);
    assert!(resp.status.expect("status").message.starts_with(r#"pods "p" is forbidden: violates PodSecurity "restricted:latest": privileged (container "c" "#));
}

#[tokio::test]
async fn label_errors_annotate_and_evaluate_with_fallback() {
    let e = engine();
    let r = e
        .validate(&pod_request("bad-labels", &privileged_pod("p")))
        .await;
    assert!(r.allowed);
    // Label errors disable the privileged short-circuit: the pod is evaluated (and allowed).
    assert_eq!(
        annotations(&r),
        [
            ("enforce-policy", "privileged:latest"),
            (
                "error",
                r#"Failed to parse policy: metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: "bsaeline": must be one of privileged, baseline, restricted"#
            ),
        ]
    );
    assert_eq!(
        count(&e, |s| matches!(s, Series::Error { fatal: false, .. })),
        1
    );
    // An invalid enforce level fails closed: restricted.
    let r = e
        .validate(&pod_request("bad-enforce", &baseline_pod("p")))
        .await;
    assert!(!r.allowed);
    assert!(
        r.status
            .expect("status")
            .message
            .contains(r#"violates PodSecurity "restricted:latest""#)
    );
}

#[tokio::test]
async fn unnamed_pod_message_and_details() {
    let e = engine();
    let mut r = pod_request("restricted", &privileged_pod(""));
    r.name = String::new();
    let resp = e.validate(&r).await;
    let status = resp.status.expect("status");
    assert!(
        status
            .message
            .starts_with(r#"pods is forbidden: violates PodSecurity "restricted:latest": "#)
    );
    assert_eq!(
        serde_json::to_value(&status).expect("json")["details"],
        json!({"kind": "pods"})
    );
    let mut r = pod_request("restricted", &privileged_pod("a\u{1}b\u{2028}c😀"));
    r.name = "a\u{1}b\u{2028}c😀".into();
    let status = e.validate(&r).await.status.expect("status");
    assert!(
        status
            .message
            .starts_with("pods \"a\\x01b\\u2028c😀\" is forbidden")
    );
}

fn workload_request(ns: &str, object: Value) -> Request {
    let kind = object["kind"].as_str().unwrap_or_default().to_owned();
    let group = object["apiVersion"]
        .as_str()
        .and_then(|a| a.split_once('/'))
        .map(|(g, _)| g.to_owned())
        .unwrap_or_default();
    let resource = format!("{}s", kind.to_lowercase());
    let mut r = request(
        (&group, &resource),
        (&group, &kind),
        Operation::Create,
        ns,
        "w",
    );
    r.object = Some(raw(&object));
    r
}

fn deployment(spec: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},
           "spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": spec}}})
}

#[tokio::test]
async fn workloads_warn_and_audit_but_never_deny() {
    let e = engine();
    let spec = json!({"containers": [{"name": "c", "image": "i", "securityContext": {"privileged": true}}]});
    let r = e
        .validate(&workload_request("restricted", deployment(spec.clone())))
        .await;
    assert!(r.allowed);
    assert_eq!(r.warnings.len(), 1);
    assert!(
        r.warnings[0].starts_with(r#"would violate PodSecurity "restricted:latest": privileged ("#)
    );
    assert!(
        r.audit_annotations.is_empty(),
        "no enforce-policy for controllers"
    );

    // Warn and audit privileged: not evaluated at all, whatever enforce says.
    let r = e
        .validate(&workload_request("enforce-only", deployment(spec.clone())))
        .await;
    assert_eq!(r, Response::allow());

    // Subresources are skipped.
    let mut req = workload_request("restricted", deployment(spec.clone()));
    req.subresource = "scale".into();
    assert_eq!(e.validate(&req).await, Response::allow());

    // A CronJob's template is under jobTemplate.
    let cron = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "w"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}});
    let r = e.validate(&workload_request("restricted", cron)).await;
    assert_eq!(r.warnings.len(), 1);

    // Extraction error for a type without a template.
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "w"}});
    let r = e.validate(&workload_request("restricted", svc)).await;
    assert!(r.allowed);
    assert_eq!(
        annotations(&r),
        [(
            "error",
            "failed to extract pod template: unexpected object type: /v1, Kind=Service"
        )]
    );

    // A ReplicationController without a template is allowed silently.
    let rc = json!({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "w"}, "spec": {}});
    assert_eq!(
        e.validate(&workload_request("restricted", rc)).await,
        Response::allow()
    );

    // A request without an object (upstream crashes) is allowed.
    let mut req = workload_request("restricted", deployment(json!({})));
    req.object = None;
    req.operation = Operation::Delete;
    assert_eq!(e.validate(&req).await, Response::allow());

    // Namespace lookup failure: allowed, with the error annotation.
    let r = e
        .validate(&workload_request("nope", deployment(json!({}))))
        .await;
    assert!(r.allowed);
    assert_eq!(
        annotations(&r),
        [(
            "error",
            r#"failed to lookup namespace "nope": namespaces "nope" not found"#
        )]
    );
    assert!(
        count(&e, |s| matches!(
            s,
            Series::Evaluation {
                mode: "enforce",
                ..
            }
        )) == 0
    );
}

fn ns_request(
    op: Operation,
    name: &str,
    labels: &[(&str, &str)],
    old: Option<&[(&str, &str)]>,
) -> Request {
    let obj = |labels: &[(&str, &str)]| {
        let ns = namespace(name, labels);
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": ns.labels}})
    };
    let mut r = request(("", "namespaces"), ("", "Namespace"), op, name, name);
    r.object = Some(raw(&obj(labels)));
    r.old_object = old.map(|l| raw(&obj(l)));
    r
}

#[tokio::test]
async fn namespace_invalid_labels() {
    let e = engine();
    let r = e
        .validate(&ns_request(
            Operation::Create,
            "test",
            &[("enforce", "x"), ("warn-version", "y")],
            None,
        ))
        .await;
    assert!(!r.allowed);
    let status = r.status.expect("status");
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
    assert_eq!(
        status.message,
        r#"Namespace "test" is invalid: [metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "x": must be one of privileged, baseline, restricted, metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "y": must be "latest" or "v1.x"]"#
    );
    assert_eq!(
        serde_json::to_value(&status).expect("json")["details"],
        json!({"name": "test", "kind": "Namespace", "causes": [
            {"reason": "FieldValueInvalid", "message": "Invalid value: \"x\": must be one of privileged, baseline, restricted", "field": "metadata.labels[pod-security.kubernetes.io/enforce]"},
            {"reason": "FieldValueInvalid", "message": "Invalid value: \"y\": must be \"latest\" or \"v1.x\"", "field": "metadata.labels[pod-security.kubernetes.io/warn-version]"}]})
    );
    // Unchanged invalid labels are tolerated on update; a changed invalid value is not.
    let bad: &[(&str, &str)] = &[("enforce", "x")];
    let r = e
        .validate(&ns_request(
            Operation::Update,
            "test",
            &[("enforce", "x"), ("other", "1")],
            Some(bad),
        ))
        .await;
    assert!(r.allowed);
    let r = e
        .validate(&ns_request(
            Operation::Update,
            "test",
            &[("enforce", "z")],
            Some(bad),
        ))
        .await;
    assert!(!r.allowed);
    assert!(
        e.recorder().snapshot().is_empty(),
        "namespace requests record no metrics"
    );
}

#[tokio::test]
async fn exempt_namespace_warning() {
    let e = engine();
    let r = e
        .validate(&ns_request(
            Operation::Create,
            "exempt-ns",
            &[("enforce", "restricted")],
            None,
        ))
        .await;
    assert!(r.allowed);
    assert_eq!(
        r.warnings,
        [
            r#"namespace "exempt-ns" is exempt from Pod Security, and the policy (enforce=restricted:latest) will be ignored"#
        ]
    );
    let r = e
        .validate(&ns_request(
            Operation::Create,
            "exempt-ns",
            &[
                ("enforce", "restricted"),
                ("enforce-version", "v1.0"),
                ("audit", "restricted"),
                ("warn", "baseline"),
            ],
            None,
        ))
        .await;
    assert_eq!(
        r.warnings,
        [
            r#"namespace "exempt-ns" is exempt from Pod Security, and the policy (enforce=restricted:v1.0, audit=restricted:latest, warn=baseline:latest) will be ignored"#
        ]
    );
    // Fully privileged: no warning.
    let r = e
        .validate(&ns_request(
            Operation::Create,
            "exempt-ns",
            &[("enforce", "privileged")],
            None,
        ))
        .await;
    assert!(r.warnings.is_empty());
}

fn listed(name: &str, controller: Option<&str>, pod: &Value) -> ListedPod {
    ListedPod {
        name: name.into(),
        controller_uid: controller.map(str::to_owned),
        pod: serde_json::from_value::<PodTemplate>(pod.clone()).expect("pod"),
    }
}

#[tokio::test]
async fn namespace_tightening_checks_existing_pods() {
    let mut pods = StaticPods::default();
    for (name, controller, pod) in [
        ("web-1", Some("rs-web"), privileged_pod("x")),
        ("web-2", Some("rs-web"), privileged_pod("x")),
        ("web-3", Some("rs-web"), privileged_pod("x")),
        ("lonely", None, baseline_pod("x")),
        ("good", None, restricted_pod("x")),
    ] {
        pods.insert("test", listed(name, controller, &pod));
    }
    let e = engine_with_pods(pods.clone());
    let r = e
        .validate(&ns_request(
            Operation::Update,
            "test",
            &[("enforce", "restricted")],
            Some(&[]),
        ))
        .await;
    assert!(r.allowed);
    assert_eq!(
        r.warnings,
        [
            r#"existing pods in namespace "test" violate the new PodSecurity enforce level "restricted:latest""#,
            "lonely: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile",
            "web-1 (and 2 other pods): privileged, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile",
        ]
    );
    assert!(r.audit_annotations.is_empty());

    // Relaxing or keeping the level at the same version: no check. A version change: check.
    let old: &[(&str, &str)] = &[("enforce", "restricted")];
    let r = e
        .validate(&ns_request(
            Operation::Update,
            "test",
            &[("enforce", "baseline")],
            Some(old),
        ))
        .await;
    assert!(r.warnings.is_empty());
    let r = e
        .validate(&ns_request(
            Operation::Update,
            "test",
            &[("enforce", "baseline"), ("enforce-version", "v1.30")],
            Some(old),
        ))
        .await;
    assert_eq!(
        r.warnings,
        [
            r#"existing pods in namespace "test" violate the new PodSecurity enforce level "baseline:v1.30""#,
            "web-1 (and 2 other pods): privileged",
        ]
    );

    // The cap applies after prioritisation (name order, but one pod per controller first:
    // good, lonely, web-1, then web-2, web-3).
    let capped = engine_with_pods(pods).with_limits(Limits {
        max_pods: 3,
        time_budget: Duration::from_secs(1),
    });
    let r = capped
        .validate(&ns_request(
            Operation::Update,
            "test",
            &[("enforce", "baseline")],
            Some(&[]),
        ))
        .await;
    assert_eq!(
        r.warnings,
        [
            "new PodSecurity enforce level only checked against the first 3 of 5 existing pods",
            r#"existing pods in namespace "test" violate the new PodSecurity enforce level "baseline:latest""#,
            "web-1: privileged",
        ]
    );
}

/// A lister that always fails.
struct BrokenLister;

impl PodLister for BrokenLister {
    fn list_pods(
        &self,
        _: &str,
        _: Instant,
    ) -> impl std::future::Future<Output = Result<Vec<Arc<ListedPod>>, LookupError>> + Send {
        std::future::ready(Err(LookupError("connection refused".into())))
    }
}

#[tokio::test]
async fn namespace_list_failure_is_one_warning() {
    let e = engine_with_pods(BrokenLister);
    let r = e
        .validate(&ns_request(
            Operation::Update,
            "test",
            &[("enforce", "restricted")],
            Some(&[]),
        ))
        .await;
    assert_eq!(
        r.warnings,
        ["failed to list pods while checking new PodSecurity enforce level"]
    );
}

/// A getter that counts lookups (the engine must not look up namespaces it does not need).
struct Counting(StaticNamespaces, Arc<std::sync::atomic::AtomicUsize>);

impl NamespaceGetter for Counting {
    fn get_namespace(
        &self,
        name: &str,
        deadline: Option<Instant>,
    ) -> impl std::future::Future<Output = Result<Arc<Namespace>, LookupError>> + Send {
        self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.0.get_namespace(name, deadline)
    }
}

#[tokio::test]
async fn exemptions_skip_the_namespace_lookup() {
    let config = AdmissionConfig::new(&load(CONFIG.as_bytes()).expect("config")).expect("valid");
    let lookups = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let getter = Counting(namespaces(), lookups.clone());
    let e = Admission::new(
        config,
        getter,
        StaticPods::default(),
        CountingRecorder::new(37),
    );
    let n = || lookups.load(std::sync::atomic::Ordering::SeqCst);
    e.validate(&pod_request("exempt-ns", &privileged_pod("p")))
        .await;
    let mut r = pod_request("restricted", &privileged_pod("p"));
    r.username = "exempt-user".into();
    e.validate(&r).await;
    let mut r = pod_request("restricted", &privileged_pod("p"));
    r.subresource = "exec".into();
    e.validate(&r).await;
    assert_eq!(n(), 0);
    e.validate(&pod_request("restricted", &privileged_pod("p")))
        .await;
    assert_eq!(n(), 1);
}

#[tokio::test]
async fn expired_deadline_still_evaluates_one_listed_pod() {
    let mut pods = StaticPods::default();
    for i in 0..5 {
        pods.insert("test", listed(&format!("p{i}"), None, &privileged_pod("x")));
    }
    let e = engine_with_pods(pods);
    let mut r = ns_request(
        Operation::Update,
        "test",
        &[("enforce", "baseline")],
        Some(&[]),
    );
    // Already expired: the budget is zero, yet (with a lister that ignores deadlines, like
    // upstream's in-tree cache) the first pod is evaluated before the deadline is checked.
    r.deadline = Some(Instant::now());
    let resp = e.validate(&r).await;
    assert_eq!(
        resp.warnings,
        [
            "new PodSecurity enforce level only checked against the first 1 of 5 existing pods",
            r#"existing pods in namespace "test" violate the new PodSecurity enforce level "baseline:latest""#,
            "p0: privileged",
        ]
    );
    // Half of the remaining deadline is the budget: with plenty of time, every pod is checked.
    r.deadline = Some(Instant::now() + Duration::from_secs(30));
    let resp = e.validate(&r).await;
    assert_eq!(
        resp.warnings.last().map(String::as_str),
        Some("p0 (and 4 other pods): privileged")
    );
}

/// The pod or template a request carries, as an offline caller decodes it.
fn decoded(request: &Request) -> PodTemplate {
    let raw = request.object.as_deref().expect("an object");
    match podsec_admission::decode::decode_object(raw, &request.kind).expect("decodes") {
        podsec_admission::decode::Object::Pod(pod) => pod,
        podsec_admission::decode::Object::Workload {
            template: Some(t), ..
        } => t,
        _ => panic!("a pod or a workload"),
    }
}

#[tokio::test]
async fn traced_answers_are_the_engines_with_each_evaluation_once() {
    use podsec_admission::Trace;
    use podsec_policy::{LevelVersion, Version};
    let lv = |level| LevelVersion::new(level, Version::Latest);
    let cases = [
        // Pod: enforce baseline, audit privileged (the default), warn restricted: in
        // that order.
        (
            pod_request("baseline-warn-restricted", &baseline_pod("p")),
            false,
            Some(vec![
                lv(Level::Baseline),
                lv(Level::Privileged),
                lv(Level::Restricted),
            ]),
        ),
        // Denied pod: enforce restricted; audit and warn privileged are evaluated too.
        (
            pod_request("restricted", &privileged_pod("p")),
            false,
            Some(vec![lv(Level::Restricted), lv(Level::Privileged)]),
        ),
        // Workload: the API server evaluates audit and warn only, unless asked for enforce.
        (
            workload_request(
                "baseline-warn-restricted",
                deployment(json!({"containers": [{"name": "c", "image": "i"}]})),
            ),
            false,
            Some(vec![lv(Level::Privileged), lv(Level::Restricted)]),
        ),
        (
            workload_request(
                "baseline-warn-restricted",
                deployment(json!({"containers": [{"name": "c", "image": "i"}]})),
            ),
            true,
            Some(vec![
                lv(Level::Baseline),
                lv(Level::Privileged),
                lv(Level::Restricted),
            ]),
        ),
        // Exempt namespace: nothing evaluated.
        (pod_request("exempt-ns", &privileged_pod("p")), true, None),
    ];
    for (request, evaluate_enforce, want) in cases {
        let e = engine();
        let template = decoded(&request);
        let mut trace = Trace {
            evaluate_enforce,
            ..Trace::default()
        };
        let traced = e
            .validate_traced(&request, Some(&template), &mut trace)
            .await;
        assert_eq!(traced, engine().validate(&request).await, "{request:?}");
        let evaluated: Vec<LevelVersion> = trace.evaluations.iter().map(|(lv, _)| *lv).collect();
        match want {
            Some(want) => {
                assert!(!trace.exempt);
                assert!(trace.policy.is_some());
                assert_eq!(evaluated, want, "{}", request.namespace);
                // Each evaluation is the registry's own.
                for (policy, evaluation) in &trace.evaluations {
                    let direct =
                        podsec_policy::evaluate(*policy, &template.metadata, &template.spec);
                    assert_eq!(evaluation.forbidden_detail(), direct.forbidden_detail());
                }
                let first = want[0];
                assert!(trace.take(first).is_some());
                assert!(trace.take(first).is_none(), "taken once");
            }
            None => {
                assert!(trace.exempt);
                assert!(evaluated.is_empty());
            }
        }
    }
}

//! The admission engine with the kube-backed lookups, against the in-process API stand-in.

use std::time::{Duration, Instant};

use podsec_admission::config::{AdmissionConfig, load};
use podsec_admission::review::decode_review;
use podsec_admission::{Admission, NoopRecorder, Request, Response};
use podsec_kube::testing::FakeApiServer;
use podsec_kube::{LivePodLister, NamespaceCache};
use serde_json::json;

const ENFORCE: &str = "pod-security.kubernetes.io/enforce";

type Engine = Admission<NamespaceCache, LivePodLister, NoopRecorder>;

fn engine(api: &FakeApiServer) -> (Engine, NamespaceCache) {
    let config = AdmissionConfig::new(&load(b"").expect("defaults")).expect("valid defaults");
    let client = api.client();
    let cache = NamespaceCache::new(client.clone());
    let engine = Admission::new(
        config,
        cache.clone(),
        LivePodLister::new(client),
        NoopRecorder,
    );
    (engine, cache)
}

fn review(request: serde_json::Value) -> Request {
    let body =
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request});
    let (_, mut request) = decode_review(body.to_string().as_bytes()).expect("a valid review");
    request.deadline = Some(Instant::now() + Duration::from_secs(10));
    request
}

fn host_pid_pod(namespace: &str) -> Request {
    review(json!({
        "uid": "1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "name": "p", "namespace": namespace, "operation": "CREATE", "userInfo": {"username": "alice"},
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                   "spec": {"hostPID": true, "containers": [{"name": "c", "image": "i"}]}}
    }))
}

fn relabel(name: &str, old: &str, new: &str) -> Request {
    let object = |level: &str| {
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": name, "labels": {ENFORCE: level}}})
    };
    review(json!({
        "uid": "2", "kind": {"group": "", "version": "v1", "kind": "Namespace"},
        "resource": {"group": "", "version": "v1", "resource": "namespaces"},
        "name": name, "namespace": name, "operation": "UPDATE", "userInfo": {"username": "alice"},
        "object": object(new), "oldObject": object(old)
    }))
}

async fn decide(engine: &Engine, request: &Request) -> Response {
    engine.validate(request).await
}

#[tokio::test]
async fn decisions_follow_the_cluster() {
    let api = FakeApiServer::start().await;
    api.create_namespace("team", [(ENFORCE, "baseline")]);
    let (engine, cache) = engine(&api);
    tokio::time::timeout(Duration::from_secs(5), cache.readiness().wait())
        .await
        .expect("synced");

    let denied = decide(&engine, &host_pid_pod("team")).await;
    assert!(!denied.allowed);
    assert_eq!(
        denied.status.expect("a status").message,
        r#"pods "p" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)"#
    );

    // A label change reaches decisions.
    api.set_labels("team", [(ENFORCE, "privileged")]);
    let until = Instant::now() + Duration::from_secs(5);
    while !decide(&engine, &host_pid_pod("team")).await.allowed {
        assert!(
            Instant::now() < until,
            "the relabel never reached the decision"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A namespace that does not exist: upstream's error, never an allowed pod.
    let missing = decide(&engine, &host_pid_pod("nope")).await;
    assert!(!missing.allowed);
    assert_eq!(
        missing.audit_annotations.get("error").map(String::as_str),
        Some(
            r#"Internal error occurred: failed to lookup namespace "nope": namespaces "nope" not found"#
        ),
        "{missing:?}"
    );
}

#[tokio::test]
async fn a_relabel_lists_pods_and_warns() {
    let api = FakeApiServer::start().await;
    api.create_namespace("team", [(ENFORCE, "privileged")]);
    let controller = |uid: &str| json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": uid, "controller": true}]);
    for (name, owner) in [("web-a", "rs-1"), ("web-b", "rs-1"), ("web-c", "rs-1")] {
        api.add_pod(
            "team",
            json!({"metadata": {"name": name, "ownerReferences": controller(owner)},
                   "spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "i"}]}}),
        );
    }
    api.add_pod(
        "team",
        json!({"metadata": {"name": "fine"},
               "spec": {"containers": [{"name": "c", "image": "i"}]}}),
    );
    let (engine, cache) = engine(&api);
    tokio::time::timeout(Duration::from_secs(5), cache.readiness().wait())
        .await
        .expect("synced");

    let response = decide(&engine, &relabel("team", "privileged", "baseline")).await;
    assert!(response.allowed);
    assert_eq!(
        response.warnings,
        [
            r#"existing pods in namespace "team" violate the new PodSecurity enforce level "baseline:latest""#,
            "web-a (and 2 other pods): host namespaces",
        ]
    );
    assert_eq!(
        api.count_requests(|r| r == "GET /api/v1/namespaces/team/pods"),
        1
    );

    // A slow API server: the list times out into upstream's single warning.
    api.set_delay(Duration::from_secs(3));
    let mut slow = relabel("team", "privileged", "baseline");
    slow.deadline = Some(Instant::now() + Duration::from_millis(200));
    let started = Instant::now();
    let response = decide(&engine, &slow).await;
    assert!(response.allowed);
    assert_eq!(
        response.warnings,
        ["failed to list pods while checking new PodSecurity enforce level"]
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn api_down_gives_no_wrong_decision() {
    let api = FakeApiServer::start().await;
    api.create_namespace("team", [(ENFORCE, "privileged")]);
    api.stop().await;
    let (engine, cache) = engine(&api);
    assert!(!cache.is_ready());

    // The namespace cannot be looked up: the pod is refused with an internal error, never
    // admitted on a guess.
    let response = decide(&engine, &host_pid_pod("team")).await;
    assert!(!response.allowed);
    let status = response.status.expect("a status");
    assert_eq!(status.code, 500, "{status:?}");
    let error = &response.audit_annotations["error"];
    assert!(
        error.starts_with(
            r#"Internal error occurred: failed to lookup namespace "team": Get "/api/v1/namespaces/team": "#
        ),
        "{error}"
    );

    api.restart().await;
    tokio::time::timeout(Duration::from_secs(5), cache.readiness().wait())
        .await
        .expect("synced after the API server came back");
    assert!(decide(&engine, &host_pid_pod("team")).await.allowed);
}

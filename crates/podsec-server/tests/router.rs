//! In-process tests of the HTTP surface: real AdmissionReview bodies through `router()`,
//! every error path with upstream's exact status and text, health, metrics, UID echo under
//! concurrency, `?timeout=`, configuration swap.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use podsec_admission::config::{AdmissionConfig, load};
use podsec_admission::decode::{Namespace, PodTemplate};
use podsec_admission::{ListedPod, LookupError, PodLister, StaticNamespaces, StaticPods};
use podsec_server::{AppState, Metrics, Readiness, router};
use serde_json::{Value, json};
use tower::ServiceExt as _;

fn namespace(name: &str, labels: &[(&str, &str)]) -> Namespace {
    Namespace {
        name: name.into(),
        labels: labels
            .iter()
            .map(|(k, v)| (format!("pod-security.kubernetes.io/{k}"), (*v).to_owned()))
            .collect(),
    }
}

fn namespaces() -> StaticNamespaces {
    [
        namespace("open", &[]),
        namespace("team", &[("enforce", "baseline"), ("warn", "restricted")]),
    ]
    .into_iter()
    .collect()
}

struct App<P: PodLister + 'static> {
    router: Router,
    state: Arc<AppState<StaticNamespaces, P>>,
    ready: Arc<AtomicBool>,
}

fn app_with<P: PodLister + 'static>(pods: P) -> App<P> {
    let ready = Arc::new(AtomicBool::new(false));
    let state = AppState::new(
        AdmissionConfig::default(),
        namespaces(),
        pods,
        Metrics::new(37),
        Readiness::from_flag(Arc::clone(&ready)),
    );
    App {
        router: router(Arc::clone(&state)),
        state,
        ready,
    }
}

fn app() -> App<StaticPods> {
    app_with(StaticPods::default())
}

struct Reply {
    status: StatusCode,
    content_type: String,
    nosniff: bool,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        assert_eq!(self.content_type, "application/json");
        assert!(self.body.ends_with("}\n"), "{:?}", self.body);
        serde_json::from_str(&self.body).expect("JSON reply")
    }

    fn assert_text(&self, status: StatusCode, body: &str) {
        assert_eq!((self.status, self.body.as_str()), (status, body));
        assert_eq!(self.content_type, "text/plain; charset=utf-8");
        assert!(self.nosniff);
    }
}

async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let nosniff = headers
        .get(header::X_CONTENT_TYPE_OPTIONS)
        .is_some_and(|v| v.as_bytes() == b"nosniff");
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Reply {
        status,
        content_type,
        nosniff,
        body: String::from_utf8(body.to_vec()).expect("utf-8"),
    }
}

async fn post(router: &Router, uri: &str, content_type: &str, body: impl Into<Body>) -> Reply {
    let request = Request::post(uri)
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .expect("request");
    send(router, request).await
}

async fn review(router: &Router, body: &Value) -> Reply {
    post(router, "/validate", "application/json", body.to_string()).await
}

async fn get(router: &Router, uri: &str) -> Reply {
    send(
        router,
        Request::get(uri).body(Body::empty()).expect("request"),
    )
    .await
}

fn pod(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})
}

fn pod_review(uid: &str, ns: &str, object: Value) -> Value {
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": uid,
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "name": object["metadata"]["name"], "namespace": ns, "operation": "CREATE",
        "userInfo": {"username": "alice"}, "object": object}})
}

fn host_pid_pod(name: &str) -> Value {
    pod(
        name,
        json!({"hostPID": true, "containers": [{"name": "c", "image": "i"}]}),
    )
}

fn plain_pod(name: &str) -> Value {
    pod(name, json!({"containers": [{"name": "c", "image": "i"}]}))
}

fn ns_review(uid: &str, name: &str, new: &[(&str, &str)], old: &[(&str, &str)]) -> Value {
    let obj = |labels: &[(&str, &str)]| {
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": name, "labels": namespace(name, labels).labels}})
    };
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": uid,
        "kind": {"group": "", "version": "v1", "kind": "Namespace"},
        "resource": {"group": "", "version": "v1", "resource": "namespaces"},
        "name": name, "namespace": name, "operation": "UPDATE",
        "userInfo": {"username": "alice"}, "object": obj(new), "oldObject": obj(old)}})
}

#[tokio::test]
async fn allowed_pod_echoes_uid_and_type() {
    let app = app();
    let reply = review(&app.router, &pod_review("uid-1", "open", host_pid_pod("p"))).await;
    assert_eq!(
        reply.json(),
        json!({"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
               "response": {"uid": "uid-1", "allowed": true,
                            "auditAnnotations": {"enforce-policy": "privileged:latest"}}})
    );
}

#[tokio::test]
async fn denied_pod_has_upstream_status_and_key_order() {
    let app = app();
    let reply = review(&app.router, &pod_review("uid-2", "team", host_pid_pod("p"))).await;
    assert_eq!(
        reply.body,
        concat!(
            r#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","response":{"uid":"uid-2","allowed":false,"#,
            r#""status":{"metadata":{},"status":"Failure","message":"pods \"p\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostPID=true)","reason":"Forbidden","details":{"name":"p","kind":"pods"},"code":403},"#,
            r#""auditAnnotations":{"enforce-policy":"baseline:latest"}}}"#,
            "\n"
        )
    );

    // Allowed at baseline, warned at restricted.
    let reply = review(&app.router, &pod_review("uid-3", "team", plain_pod("q"))).await;
    let json = reply.json();
    assert_eq!(json["response"]["allowed"], true);
    assert_eq!(
        json["response"]["warnings"][0],
        r#"would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#
    );
}

#[tokio::test]
async fn v1beta1_is_answered_in_kind_and_any_path_reviews() {
    let app = app();
    let mut body = pod_review("b1", "team", host_pid_pod("p"));
    body["apiVersion"] = json!("admission.k8s.io/v1beta1");
    for path in [
        "/",
        "/validate",
        "/livez",
        "/healthz/typo",
        "/metrics/x",
        "/readyz/x",
    ] {
        let reply = post(&app.router, path, "application/json", body.to_string()).await;
        let json = reply.json();
        assert_eq!(json["apiVersion"], "admission.k8s.io/v1beta1", "{path}");
        assert_eq!(json["kind"], "AdmissionReview");
        assert_eq!(json["response"]["uid"], "b1");
        assert_eq!(json["response"]["allowed"], false);
    }
}

#[tokio::test]
async fn namespace_relabel_lists_existing_pods() {
    let mut pods = StaticPods::default();
    let template: PodTemplate = serde_json::from_value(host_pid_pod("x")).expect("pod template");
    pods.insert(
        "open",
        ListedPod {
            name: "web-1".into(),
            controller_uid: None,
            pod: template,
        },
    );
    let app = app_with(pods);
    let reply = review(
        &app.router,
        &ns_review("ns-1", "open", &[("enforce", "baseline")], &[]),
    )
    .await;
    let json = reply.json();
    assert_eq!(json["response"]["uid"], "ns-1");
    assert_eq!(json["response"]["allowed"], true);
    assert_eq!(
        json["response"]["warnings"],
        json!([
            r#"existing pods in namespace "open" violate the new PodSecurity enforce level "baseline:latest""#,
            "web-1: host namespaces"
        ])
    );
}

#[tokio::test]
async fn error_paths_have_upstream_codes_and_texts() {
    let app = app();
    let r = &app.router;
    let valid = pod_review("e", "open", plain_pod("p")).to_string();

    // Empty body: Content-Length 0, or no body at all, whatever the content type.
    let request = Request::post("/")
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::CONTENT_LENGTH, "0")
        .body(Body::empty())
        .expect("request");
    send(r, request)
        .await
        .assert_text(StatusCode::BAD_REQUEST, "request body is empty\n");
    get(r, "/livez")
        .await
        .assert_text(StatusCode::BAD_REQUEST, "request body is empty\n");

    // 3 MiB: 3145728 bytes refused (even with the wrong content type), one less accepted.
    let big = vec![b' '; 3_145_728];
    post(r, "/", "text/plain", big).await.assert_text(
        StatusCode::PAYLOAD_TOO_LARGE,
        "request entity is too large; limit is 3145728 bytes\n",
    );
    let mut padded = valid.clone().into_bytes();
    padded.resize(3_145_727, b' ');
    let reply = post(r, "/", "application/json", padded).await;
    assert_eq!(reply.json()["response"]["uid"], "e");

    // Content type: exactly application/json.
    for content_type in [
        "application/json; charset=utf-8",
        "text/json",
        "Application/JSON",
        "application/yaml",
    ] {
        post(r, "/", content_type, valid.clone()).await.assert_text(
            StatusCode::BAD_REQUEST,
            "unable to process a request with a non-json content type\n",
        );
    }
    let request = Request::post("/")
        .body(Body::from(valid.clone()))
        .expect("request");
    send(r, request).await.assert_text(
        StatusCode::BAD_REQUEST,
        "unable to process a request with a non-json content type\n",
    );

    // Decoding.
    for body in [
        "garbage",
        "[1]",
        r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReviewX","request":{"uid":"x"}}"#,
        r#"{"request": 5}"#,
    ] {
        post(r, "/", "application/json", body)
            .await
            .assert_text(StatusCode::BAD_REQUEST, "unable to decode the request\n");
    }
    post(
        r,
        "/",
        "application/json",
        r#"{"apiVersion":"v1","kind":"Namespace"}"#,
    )
    .await
    .assert_text(
        StatusCode::BAD_REQUEST,
        "unexpected AdmissionReview kind: /v1, Kind=Namespace\n",
    );
    post(
        r,
        "/",
        "application/json",
        r#"{"apiVersion":"apps/v1","kind":"Deployment"}"#,
    )
    .await
    .assert_text(
        StatusCode::BAD_REQUEST,
        "unexpected AdmissionReview kind: apps/v1, Kind=Deployment\n",
    );

    // A chunked body with no content is not "empty" (Go: not http.NoBody); like whitespace
    // only, it is a review without request.
    for content in ["", " \n"] {
        let request = Request::post("/")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::new(Chunked(Some(Bytes::from(content)))))
            .expect("request");
        send(r, request)
            .await
            .assert_text(StatusCode::BAD_REQUEST, "admission review has no request\n");
    }

    // No request (upstream crashes): 400.
    for body in [
        "null",
        "{}",
        r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#,
        r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":null}"#,
        r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","Request":{"uid":"x"}}"#,
    ] {
        post(r, "/", "application/json", body)
            .await
            .assert_text(StatusCode::BAD_REQUEST, "admission review has no request\n");
    }
}

#[tokio::test]
async fn health_endpoints() {
    let app = app();
    let r = &app.router;
    get(r, "/healthz").await.assert_text(StatusCode::OK, "ok");
    get(r, "/healthz?verbose")
        .await
        .assert_text(StatusCode::OK, "[+]ping ok\nhealthz check passed\n");
    get(r, "/healthz/ping")
        .await
        .assert_text(StatusCode::OK, "ok");
    let request = Request::delete("/healthz")
        .body(Body::empty())
        .expect("request");
    send(r, request).await.assert_text(StatusCode::OK, "ok");

    // Not synced yet.
    get(r, "/readyz").await.assert_text(
        StatusCode::INTERNAL_SERVER_ERROR,
        "[-]informer-sync failed: reason withheld\nreadyz check failed\n",
    );
    get(r, "/readyz/informer-sync").await.assert_text(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal server error: 1 informers not started yet: [*v1.Namespace]\n",
    );
    get(r, "/readyz?exclude=informer-sync")
        .await
        .assert_text(StatusCode::OK, "ok");

    app.ready.store(true, Ordering::SeqCst);
    get(r, "/readyz").await.assert_text(StatusCode::OK, "ok");
    get(r, "/readyz?verbose")
        .await
        .assert_text(StatusCode::OK, "[+]informer-sync ok\nreadyz check passed\n");
    get(r, "/readyz/informer-sync")
        .await
        .assert_text(StatusCode::OK, "ok");

    // Shutdown begun: not ready any more.
    app.state.readiness().start_draining();
    get(r, "/readyz").await.assert_text(
        StatusCode::INTERNAL_SERVER_ERROR,
        "[+]informer-sync ok\n[-]shutdown failed: reason withheld\nreadyz check failed\n",
    );
}

const INITIAL_METRICS: &str = "\
# HELP pod_security_evaluations_total [ALPHA] Number of policy evaluations that occurred, not counting ignored or exempt requests.
# TYPE pod_security_evaluations_total counter
pod_security_evaluations_total{decision=\"allow\",mode=\"enforce\",policy_level=\"privileged\",policy_version=\"latest\",request_operation=\"create\",resource=\"pod\",subresource=\"\"} 0
pod_security_evaluations_total{decision=\"allow\",mode=\"enforce\",policy_level=\"privileged\",policy_version=\"latest\",request_operation=\"update\",resource=\"pod\",subresource=\"\"} 0
# HELP pod_security_exemptions_total [ALPHA] Number of exempt requests, not counting ignored or out of scope requests.
# TYPE pod_security_exemptions_total counter
pod_security_exemptions_total{request_operation=\"create\",resource=\"controller\",subresource=\"\"} 0
pod_security_exemptions_total{request_operation=\"create\",resource=\"pod\",subresource=\"\"} 0
pod_security_exemptions_total{request_operation=\"update\",resource=\"controller\",subresource=\"\"} 0
pod_security_exemptions_total{request_operation=\"update\",resource=\"pod\",subresource=\"\"} 0
# HELP pod_security_webhook_reload_errors_total Number of rejected reloads of the configuration file or of the TLS certificate and key; the previous one stays in force.
# TYPE pod_security_webhook_reload_errors_total counter
pod_security_webhook_reload_errors_total{source=\"config\"} 0
pod_security_webhook_reload_errors_total{source=\"tls\"} 0
";

#[tokio::test]
async fn metrics_exposition() {
    let app = app();
    let reply = get(&app.router, "/metrics").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.content_type,
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(reply.body, INITIAL_METRICS);

    // One denial at enforce (baseline), one pod whose namespace is missing (fatal error), one
    // allowed pod in a privileged namespace, a future version.
    review(&app.router, &pod_review("1", "team", host_pid_pod("p"))).await;
    review(&app.router, &pod_review("2", "missing", plain_pod("p"))).await;
    review(&app.router, &pod_review("3", "open", plain_pod("p"))).await;
    post(&app.router, "/", "application/json", "garbage").await;
    let body = get(&app.router, "/metrics").await.body;
    let lines: Vec<&str> = body.lines().collect();
    let expect = [
        "# HELP pod_security_errors_total [ALPHA] Number of errors preventing normal evaluation. Non-fatal errors may result in the latest restricted profile being used for evaluation.",
        "# TYPE pod_security_errors_total counter",
        r#"pod_security_errors_total{fatal="true",request_operation="create",resource="pod",subresource=""} 1"#,
        r#"pod_security_evaluations_total{decision="allow",mode="enforce",policy_level="privileged",policy_version="latest",request_operation="create",resource="pod",subresource=""} 1"#,
        r#"pod_security_evaluations_total{decision="deny",mode="enforce",policy_level="baseline",policy_version="latest",request_operation="create",resource="pod",subresource=""} 1"#,
        "# TYPE pod_security_webhook_request_duration_seconds histogram",
        r#"pod_security_webhook_request_duration_seconds_count{decision="deny",resource="pod"} 2"#,
        r#"pod_security_webhook_request_duration_seconds_count{decision="allow",resource="pod"} 1"#,
        r#"pod_security_webhook_request_duration_seconds_count{decision="error",resource="unknown"} 1"#,
        r#"pod_security_webhook_request_duration_seconds_bucket{decision="deny",resource="pod",le="+Inf"} 2"#,
    ];
    for line in expect {
        assert!(lines.contains(&line), "missing {line:?} in\n{body}");
    }
    // Families sorted by name: errors first.
    assert!(body.starts_with("# HELP pod_security_errors_total"));
    let position = |needle: &str| body.find(needle).expect(needle);
    assert!(
        position("pod_security_evaluations_total{decision=\"allow\"")
            < position("pod_security_evaluations_total{decision=\"deny\"")
    );
    assert!(
        position("# HELP pod_security_webhook_reload")
            < position("# HELP pod_security_webhook_request")
    );
}

#[tokio::test]
async fn uid_echo_under_concurrency() {
    let app = app();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let router = app.router.clone();
        tasks.push(tokio::spawn(async move {
            let uid = format!("uid-{i:03}");
            let (ns, object) = match i % 3 {
                0 => ("open", plain_pod(&format!("p{i}"))),
                1 => ("team", host_pid_pod(&format!("p{i}"))),
                _ => ("team", plain_pod(&format!("p{i}"))),
            };
            let json = review(&router, &pod_review(&uid, ns, object)).await.json();
            (uid, i, json)
        }));
    }
    for task in tasks {
        let (uid, i, json) = task.await.expect("task");
        assert_eq!(json["response"]["uid"], uid.as_str());
        assert_eq!(json["response"]["allowed"], i % 3 != 1, "{json}");
        if i % 3 == 1 {
            let message = json["response"]["status"]["message"]
                .as_str()
                .expect("message");
            assert!(
                message.starts_with(&format!("pods \"p{i}\" is forbidden")),
                "{message}"
            );
        }
    }
}

/// A body of unknown length (sent chunked) with one data frame.
struct Chunked(Option<Bytes>);

impl http_body::Body for Chunked {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.take().map(|b| Ok(http_body::Frame::data(b))))
    }
}

/// Records the deadline each listing gets, relative to the call.
#[derive(Default)]
struct RecordingPods(Mutex<Vec<Duration>>);

impl PodLister for RecordingPods {
    fn list_pods(
        &self,
        _namespace: &str,
        deadline: Instant,
    ) -> impl Future<Output = Result<Vec<Arc<ListedPod>>, LookupError>> + Send {
        if let Ok(mut seen) = self.0.lock() {
            seen.push(deadline.saturating_duration_since(Instant::now()));
        }
        std::future::ready(Ok(Vec::new()))
    }
}

#[tokio::test]
async fn timeout_parameter_bounds_the_pod_listing() {
    let app = app_with(RecordingPods::default());
    let body = ns_review("t", "open", &[("enforce", "restricted")], &[]).to_string();
    for uri in [
        "/?timeout=1s",
        "/?timeout=-5s",
        "/?timeout=0s",
        "/?timeout=2",
        "/?timeout=10s",
        "/",
        "/?x=1&timeout=500ms&timeout=10s",
    ] {
        let reply = post(&app.router, uri, "application/json", body.clone()).await;
        assert_eq!(reply.json()["response"]["allowed"], true);
    }
    let seen = app.state_pods();
    let ms: Vec<u128> = seen.iter().map(Duration::as_millis).collect();
    // budget = min(1 s, remaining / 2)
    assert!((250..=500).contains(&ms[0]), "{ms:?}");
    assert_eq!(ms[1], 0, "{ms:?}");
    assert_eq!(ms[2], 0, "{ms:?}");
    assert!(ms[3] > 700, "bare number ignored: {ms:?}");
    assert!(ms[4] > 700, "{ms:?}");
    assert!(ms[5] > 700, "{ms:?}");
    assert!((100..=250).contains(&ms[6]), "first value wins: {ms:?}");
}

impl App<RecordingPods> {
    fn state_pods(&self) -> Vec<Duration> {
        self.state
            .pods()
            .0
            .lock()
            .map(|v| v.clone())
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn configuration_swap_applies_to_new_requests() {
    let app = app();
    let reply = review(&app.router, &pod_review("c1", "open", host_pid_pod("p"))).await;
    assert_eq!(reply.json()["response"]["allowed"], true);
    let config = load(
        br#"{"apiVersion":"pod-security.admission.config.k8s.io/v1","kind":"PodSecurityConfiguration",
             "defaults":{"enforce":"baseline"}}"#,
    )
    .expect("config");
    app.state
        .set_config(AdmissionConfig::new(&config).expect("valid"));
    let reply = review(&app.router, &pod_review("c2", "open", host_pid_pod("p"))).await;
    assert_eq!(reply.json()["response"]["allowed"], false);
}

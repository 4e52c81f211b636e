//! The emulation-version cap, in-process: what `latest` and newer labels evaluate as, the
//! info metric, the engine swap (configuration reloads keep the cap, requests in flight keep
//! their engine) and the refresh from a version source that changes, fails and lies.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt as _;
use podsec_admission::config::{AdmissionConfig, load};
use podsec_admission::decode::Namespace;
use podsec_admission::{LookupError, NamespaceGetter, StaticPods};
use podsec_policy::Version;
use podsec_server::emulation::{FetchError, FetchFuture, Fetched, Start, start, watch_version};
use podsec_server::{
    AppState, Cap, CapSource, Emulation, Metrics, Readiness, VersionSource, router,
};
use serde_json::{Value, json};
use tokio::sync::{Notify, Semaphore};
use tower::ServiceExt as _;

/// Allowed from v1.37 on, forbidden before.
const SYSCTL: &str = "net.ipv4.tcp_slow_start_after_idle";

/// Namespaces enforcing baseline at `latest`, `v1.37` and `v1.36`; `slow` (also
/// `baseline:latest`) answers only once a permit is released.
#[derive(Clone)]
struct Namespaces {
    slow: Arc<Semaphore>,
    /// Notified when a lookup of `slow` starts waiting.
    parked: Arc<Notify>,
}

fn labels(version: Option<&str>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(
        "pod-security.kubernetes.io/enforce".to_owned(),
        "baseline".to_owned(),
    )]);
    if let Some(version) = version {
        labels.insert(
            "pod-security.kubernetes.io/enforce-version".into(),
            version.into(),
        );
    }
    labels
}

impl NamespaceGetter for Namespaces {
    fn get_namespace(
        &self,
        name: &str,
        _deadline: Option<Instant>,
    ) -> impl Future<Output = Result<Arc<Namespace>, LookupError>> + Send {
        let name = name.to_owned();
        let slow = Arc::clone(&self.slow);
        let parked = Arc::clone(&self.parked);
        async move {
            let labels = match name.as_str() {
                "latest" => labels(None),
                "pinned" => labels(Some("v1.37")),
                "old" => labels(Some("v1.36")),
                "slow" => {
                    parked.notify_one();
                    let _permit = slow.acquire().await.expect("open");
                    labels(None)
                }
                _ => BTreeMap::new(),
            };
            Ok(Arc::new(Namespace { name, labels }))
        }
    }
}

struct App {
    router: Router,
    state: Arc<AppState<Namespaces, StaticPods>>,
    slow: Arc<Semaphore>,
    parked: Arc<Notify>,
}

fn app() -> App {
    let slow = Arc::new(Semaphore::new(0));
    let parked = Arc::new(Notify::new());
    let state = AppState::new(
        AdmissionConfig::default(),
        Namespaces {
            slow: Arc::clone(&slow),
            parked: Arc::clone(&parked),
        },
        StaticPods::default(),
        Metrics::new(37),
        Readiness::always(),
    );
    App {
        router: router(Arc::clone(&state)),
        state,
        slow,
        parked,
    }
}

fn sysctl_review(namespace: &str) -> Value {
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "u", "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "name": "p", "namespace": namespace, "operation": "CREATE",
        "userInfo": {"username": "alice"},
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                   "spec": {"securityContext": {"sysctls": [{"name": SYSCTL, "value": "0"}]},
                            "containers": [{"name": "c", "image": "i"}]}}}})
}

async fn body(router: &Router, request: Request<Body>) -> String {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

/// The denial message of a pod with [`SYSCTL`] in `namespace`, `None` when allowed.
async fn denial(router: &Router, namespace: &str) -> Option<String> {
    let request = Request::post("/validate")
        .header("content-type", "application/json")
        .body(Body::from(sysctl_review(namespace).to_string()))
        .expect("request");
    let reply: Value = serde_json::from_str(&body(router, request).await).expect("JSON");
    let response = &reply["response"];
    if response["allowed"] == true {
        return None;
    }
    Some(
        response["status"]["message"]
            .as_str()
            .expect("a message")
            .to_owned(),
    )
}

fn forbidden(version: &str) -> String {
    format!(
        "pods \"p\" is forbidden: violates PodSecurity \"baseline:{version}\": forbidden sysctls ({SYSCTL})"
    )
}

async fn info_lines(router: &Router) -> Vec<String> {
    let request = Request::get("/metrics")
        .body(Body::empty())
        .expect("request");
    body(router, request)
        .await
        .lines()
        .filter(|line| line.contains("podsec_emulation_version_info"))
        .map(str::to_owned)
        .collect()
}

fn info(source: &str, version: &str) -> Vec<String> {
    vec![
        "# HELP podsec_emulation_version_info The policy version `latest` and newer versions evaluate as (version), and where its cap comes from (source: apiserver, flag, off or unknown). Always 1.".to_owned(),
        "# TYPE podsec_emulation_version_info gauge".to_owned(),
        format!(r#"podsec_emulation_version_info{{source="{source}",version="{version}"}} 1"#),
    ]
}

#[tokio::test]
async fn the_cap_decides_and_messages_name_the_label_version() {
    let app = app();
    // Not set yet: the newest policy, and no info metric.
    assert_eq!(app.state.emulation(), None);
    assert_eq!(denial(&app.router, "latest").await, None);
    assert!(info_lines(&app.router).await.is_empty());

    assert!(
        app.state
            .set_emulation(Cap::at(Version::v1(36), CapSource::ApiServer))
    );
    assert_eq!(
        denial(&app.router, "latest").await,
        Some(forbidden("latest"))
    );
    assert_eq!(
        denial(&app.router, "pinned").await,
        Some(forbidden("v1.37"))
    );
    assert_eq!(denial(&app.router, "old").await, Some(forbidden("v1.36")));
    assert_eq!(info_lines(&app.router).await, info("apiserver", "v1.36"));
    // The same cap again changes nothing.
    assert!(
        !app.state
            .set_emulation(Cap::at(Version::v1(36), CapSource::ApiServer))
    );

    // No cap: v1.37's list applies to `latest` and `v1.37`; v1.36 is still v1.36.
    assert!(app.state.set_emulation(Cap::none(CapSource::Off)));
    assert_eq!(denial(&app.router, "latest").await, None);
    assert_eq!(denial(&app.router, "pinned").await, None);
    assert_eq!(denial(&app.router, "old").await, Some(forbidden("v1.36")));
    assert_eq!(info_lines(&app.router).await, info("off", "v1.37"));

    // A cap newer than podsec's newest policy is no cap.
    app.state
        .set_emulation(Cap::at(Version::v1(40), CapSource::Flag));
    assert_eq!(denial(&app.router, "latest").await, None);
    assert_eq!(info_lines(&app.router).await, info("flag", "v1.37"));
}

#[tokio::test]
async fn a_configuration_reload_keeps_the_cap() {
    let app = app();
    app.state
        .set_emulation(Cap::at(Version::v1(36), CapSource::Flag));
    let config = load(
        br#"{"apiVersion":"pod-security.admission.config.k8s.io/v1","kind":"PodSecurityConfiguration",
             "defaults":{"enforce":"baseline","enforce-version":"latest"}}"#,
    )
    .expect("config");
    app.state
        .set_config(AdmissionConfig::new(&config).expect("valid"));
    // The unlabelled namespace now gets the configuration's `baseline:latest`, capped.
    assert_eq!(denial(&app.router, "open").await, Some(forbidden("latest")));
    assert_eq!(
        app.state.emulation(),
        Some(Cap::at(Version::v1(36), CapSource::Flag))
    );
    // And a cap change keeps the configuration.
    app.state.set_emulation(Cap::none(CapSource::Off));
    assert_eq!(denial(&app.router, "open").await, None);
    app.state
        .set_emulation(Cap::at(Version::v1(36), CapSource::Flag));
    assert_eq!(denial(&app.router, "open").await, Some(forbidden("latest")));
}

#[tokio::test]
async fn requests_in_flight_finish_with_their_engine() {
    let app = app();
    app.state
        .set_emulation(Cap::at(Version::v1(36), CapSource::ApiServer));
    let router = app.router.clone();
    let in_flight = tokio::spawn(async move { denial(&router, "slow").await });
    // The request has its engine and waits for its namespace.
    tokio::time::timeout(Duration::from_secs(5), app.parked.notified())
        .await
        .expect("the request reaches its namespace lookup");
    assert!(!in_flight.is_finished());
    app.state
        .set_emulation(Cap::at(Version::v1(37), CapSource::ApiServer));
    assert_eq!(denial(&app.router, "latest").await, None);
    app.slow.add_permits(1);
    assert_eq!(
        in_flight.await.expect("task"),
        Some(forbidden("latest")),
        "the request started under the v1.36 cap"
    );
}

/// A version source whose answer the test sets; counts reads.
#[derive(Clone)]
struct Source(Arc<Mutex<(Result<Fetched, FetchError>, usize)>>);

impl Source {
    fn new(answer: Result<Fetched, FetchError>) -> Self {
        Source(Arc::new(Mutex::new((answer, 0))))
    }

    fn set(&self, answer: Result<Fetched, FetchError>) {
        self.0.lock().expect("lock").0 = answer;
    }

    fn reads(&self) -> usize {
        self.0.lock().expect("lock").1
    }
}

impl VersionSource for Source {
    fn fetch(&self) -> FetchFuture<'_> {
        let mut guard = self.0.lock().expect("lock");
        guard.1 += 1;
        let answer = guard.0.clone();
        Box::pin(async move { answer })
    }
}

fn minor(minor: u64) -> Result<Fetched, FetchError> {
    Ok(Fetched {
        version: Version::v1(minor),
        reported: format!("v1.{minor}.2"),
    })
}

async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let until = Instant::now() + Duration::from_secs(5);
    while !check().await {
        assert!(Instant::now() < until, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_refresh_follows_the_api_server() {
    let app = app();
    let source = Source::new(minor(36));
    let emulation = Emulation::Auto {
        source: Arc::new(source.clone()),
        refresh: Duration::from_millis(20),
    };
    let start = start(&emulation).await;
    assert_eq!(
        start,
        Start {
            cap: Cap::at(Version::v1(36), CapSource::ApiServer),
            error: None
        }
    );
    app.state.set_emulation(start.cap);
    let watcher = tokio::spawn(watch_version(
        Arc::clone(&app.state),
        Arc::new(source.clone()),
        Duration::from_millis(20),
        start,
    ));
    assert_eq!(
        denial(&app.router, "pinned").await,
        Some(forbidden("v1.37"))
    );

    // An upgrade.
    source.set(minor(37));
    eventually("the v1.37 cap", || async {
        denial(&app.router, "pinned").await.is_none()
    })
    .await;
    assert_eq!(info_lines(&app.router).await, info("apiserver", "v1.37"));

    // A downgrade (or a new emulation version), then the API server goes away: the version
    // last read stays.
    source.set(minor(36));
    eventually("the v1.36 cap", || async {
        denial(&app.router, "latest").await.is_some()
    })
    .await;
    source.set(Err(FetchError::Unavailable("connection refused".into())));
    let reads = source.reads();
    eventually("more reads", || async { source.reads() > reads + 2 }).await;
    assert_eq!(
        app.state.emulation(),
        Some(Cap::at(Version::v1(36), CapSource::ApiServer))
    );
    assert_eq!(
        denial(&app.router, "latest").await,
        Some(forbidden("latest"))
    );

    // An answer that does not parse: no cap.
    source.set(Err(FetchError::Unparsable("gitVersion \"x\"".into())));
    eventually("no cap", || async {
        app.state.emulation() == Some(Cap::none(CapSource::Unknown))
    })
    .await;
    assert_eq!(denial(&app.router, "latest").await, None);
    assert_eq!(info_lines(&app.router).await, info("unknown", "v1.37"));
    watcher.abort();
}

#[tokio::test]
async fn a_failing_start_serves_uncapped_then_catches_up() {
    let app = app();
    let source = Source::new(Err(FetchError::Unavailable("connection refused".into())));
    let emulation = Emulation::Auto {
        source: Arc::new(source.clone()),
        refresh: Duration::from_millis(20),
    };
    let first = start(&emulation).await;
    assert_eq!(
        first,
        Start {
            cap: Cap::none(CapSource::Unknown),
            error: Some(FetchError::Unavailable("connection refused".into()))
        }
    );
    app.state.set_emulation(first.cap);
    assert_eq!(denial(&app.router, "latest").await, None);
    assert_eq!(info_lines(&app.router).await, info("unknown", "v1.37"));

    let watcher = tokio::spawn(watch_version(
        Arc::clone(&app.state),
        Arc::new(source.clone()),
        Duration::from_millis(20),
        first,
    ));
    source.set(minor(36));
    eventually("the v1.36 cap", || async {
        denial(&app.router, "latest").await.is_some()
    })
    .await;
    assert_eq!(info_lines(&app.router).await, info("apiserver", "v1.36"));
    watcher.abort();

    // The fixed and off settings never read.
    let reads = source.reads();
    assert_eq!(
        start(&Emulation::Fixed(Version::v1(35))).await.cap,
        Cap::at(Version::v1(35), CapSource::Flag)
    );
    assert_eq!(start(&Emulation::Off).await.cap, Cap::none(CapSource::Off));
    assert_eq!(source.reads(), reads);
}

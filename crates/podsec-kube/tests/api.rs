//! The namespace cache and the pod lister against the in-process API stand-in.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use podsec_admission::{LookupError, NamespaceGetter, PodLister};
use podsec_kube::testing::FakeApiServer;
use podsec_kube::{LivePodLister, NamespaceCache};
use serde_json::json;

const ENFORCE: &str = "pod-security.kubernetes.io/enforce";

/// Polls `check` every 20 ms until it returns true, for at most `secs` seconds.
async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let until = Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(Instant::now() < until, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn ready(cache: &NamespaceCache) {
    tokio::time::timeout(Duration::from_secs(5), cache.readiness().wait())
        .await
        .expect("the cache syncs within 5 s");
}

/// Synced and watching.
async fn watching(cache: &NamespaceCache, api: &FakeApiServer) {
    ready(cache).await;
    api.wait_for_watch().await;
}

fn soon() -> Option<Instant> {
    Some(Instant::now() + Duration::from_secs(2))
}

async fn enforce_label(cache: &NamespaceCache, name: &str) -> Result<Option<String>, LookupError> {
    let ns = cache.get_namespace(name, soon()).await?;
    Ok(ns.labels.get(ENFORCE).cloned())
}

async fn label_is(cache: &NamespaceCache, name: &str, value: &str) -> bool {
    enforce_label(cache, name).await.ok().flatten().as_deref() == Some(value)
}

#[tokio::test]
async fn cache_becomes_ready_after_the_initial_list() {
    let api = FakeApiServer::start().await;
    api.create_namespace("team", [(ENFORCE, "baseline")]);
    api.create_namespace("other", [("a", "b")]);
    api.set_delay(Duration::from_millis(800));
    let cache = NamespaceCache::new(api.client());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!cache.is_ready(), "ready before the list was answered");
    assert!(!cache.readiness().is_ready());
    ready(&cache).await;
    api.set_delay(Duration::ZERO);

    assert!(cache.is_ready());
    assert_eq!(cache.len(), 2);
    let team = cache.cached("team").expect("team is cached");
    assert_eq!(team.name, "team");
    assert_eq!(
        team.labels,
        BTreeMap::from([
            (ENFORCE.to_owned(), "baseline".to_owned()),
            ("kubernetes.io/metadata.name".to_owned(), "team".to_owned()),
        ])
    );
    // A hit: no live GET, even with an expired deadline.
    let hit = cache
        .get_namespace("team", Some(Instant::now()))
        .await
        .expect("a cache hit ignores the deadline");
    assert_eq!(hit, team);
    assert_eq!(
        api.count_requests(|r| r.starts_with("GET /api/v1/namespaces/")),
        0
    );
    // The watcher asked for metadata only and then watched with bookmarks.
    assert_eq!(api.namespace_lists(), 1);
    eventually(5, "the watch", || async {
        api.count_requests(|r| r.contains("watch=true") && r.contains("allowWatchBookmarks=true"))
            == 1
    })
    .await;
}

#[tokio::test]
async fn label_changes_reach_lookups() {
    let api = FakeApiServer::start().await;
    api.create_namespace("team", [(ENFORCE, "baseline")]);
    let cache = NamespaceCache::new(api.client());
    ready(&cache).await;
    assert!(label_is(&cache, "team", "baseline").await);

    api.set_labels("team", [(ENFORCE, "restricted")]);
    eventually(5, "the relabel", || label_is(&cache, "team", "restricted")).await;

    api.create_namespace("new", [(ENFORCE, "privileged")]);
    eventually(5, "the new namespace", || async {
        cache.cached("new").is_some()
    })
    .await;
    api.send_bookmark();

    api.delete_namespace("team");
    eventually(5, "the deletion", || async {
        cache.cached("team").is_none()
    })
    .await;
    let err = cache
        .get_namespace("team", soon())
        .await
        .expect_err("deleted");
    assert_eq!(err.0, r#"namespaces "team" not found"#);
    // Watch events only: one list.
    assert_eq!(api.namespace_lists(), 1);
}

#[tokio::test]
async fn api_down_at_start_means_not_ready_and_errors() {
    let api = FakeApiServer::start().await;
    api.create_namespace("team", [(ENFORCE, "baseline")]);
    api.stop().await;
    let cache = NamespaceCache::new(api.client());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!cache.is_ready());

    let err = cache
        .get_namespace("team", soon())
        .await
        .expect_err("no answer without the API server");
    assert!(
        err.0.starts_with(r#"Get "/api/v1/namespaces/team": "#)
            && err.0.contains("onnection refused"),
        "{}",
        err.0
    );

    api.restart().await;
    ready(&cache).await;
    assert!(label_is(&cache, "team", "baseline").await);
}

#[tokio::test]
async fn api_failing_at_start_means_not_ready_and_errors() {
    let api = FakeApiServer::start().await;
    api.create_namespace("team", [(ENFORCE, "baseline")]);
    api.set_failing(true);
    let cache = NamespaceCache::new(api.client());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!cache.is_ready());
    let err = cache
        .get_namespace("team", soon())
        .await
        .expect_err("a 500");
    assert_eq!(
        err.0,
        "Internal error occurred: the fake API server is failing"
    );

    api.set_failing(false);
    ready(&cache).await;
    assert!(label_is(&cache, "team", "baseline").await);
}

#[tokio::test]
async fn a_watch_ended_mid_stream_resumes_without_relisting() {
    let api = FakeApiServer::start().await;
    api.create_namespace("team", [(ENFORCE, "baseline")]);
    let cache = NamespaceCache::new(api.client());
    watching(&cache, &api).await;

    // Changes made while the watch is down are replayed from its resourceVersion.
    api.hold_watch_events();
    api.set_labels("team", [(ENFORCE, "restricted")]);
    api.end_watches();
    api.release_watch_events();
    eventually(5, "the change made while disconnected", || {
        label_is(&cache, "team", "restricted")
    })
    .await;
    api.set_labels("team", [(ENFORCE, "privileged")]);
    eventually(5, "a later change", || {
        label_is(&cache, "team", "privileged")
    })
    .await;
    assert_eq!(api.namespace_lists(), 1, "{:?}", api.requests());
    let watches = api.count_requests(|r| r.contains("watch=true"));
    assert!(watches >= 2, "{:?}", api.requests());
}

#[tokio::test]
async fn a_connection_cut_mid_stream_recovers() {
    let api = FakeApiServer::start().await;
    api.create_namespace("team", [(ENFORCE, "baseline")]);
    let cache = NamespaceCache::new(api.client());
    watching(&cache, &api).await;

    api.stop().await;
    api.set_labels("team", [(ENFORCE, "restricted")]);
    // While the API server is away, the cache keeps answering from what it has.
    assert!(label_is(&cache, "team", "baseline").await);
    tokio::time::sleep(Duration::from_millis(100)).await;
    api.restart().await;
    eventually(8, "the change after the reconnect", || {
        label_is(&cache, "team", "restricted")
    })
    .await;
    api.set_labels("team", [(ENFORCE, "privileged")]);
    eventually(5, "a later change", || {
        label_is(&cache, "team", "privileged")
    })
    .await;
}

#[tokio::test]
async fn gone_410_relists_and_recovers() {
    let api = FakeApiServer::start().await;
    api.create_namespace("team", [(ENFORCE, "baseline")]);
    api.create_namespace("doomed", [("x", "y")]);
    let cache = NamespaceCache::new(api.client());
    watching(&cache, &api).await;
    assert_eq!(api.namespace_lists(), 1);

    // The watch misses these changes, then its history is compacted away: only a re-list
    // can bring them.
    api.hold_watch_events();
    api.set_labels("team", [(ENFORCE, "restricted")]);
    api.delete_namespace("doomed");
    api.create_namespace("born", [("x", "y")]);
    api.expire_resource_versions();
    api.release_watch_events();

    eventually(8, "the re-list", || async {
        label_is(&cache, "team", "restricted").await
            && cache.cached("doomed").is_none()
            && cache.cached("born").is_some()
    })
    .await;
    assert!(api.namespace_lists() >= 2, "{:?}", api.requests());
    assert!(cache.is_ready(), "stays ready through a re-list");

    api.set_labels("team", [(ENFORCE, "privileged")]);
    eventually(5, "a change after the re-list", || {
        label_is(&cache, "team", "privileged")
    })
    .await;
}

#[tokio::test]
async fn a_watch_from_a_compacted_version_gets_410() {
    let api = FakeApiServer::start().await;
    api.create_namespace("team", Vec::<(String, String)>::new());
    api.create_namespace("team2", Vec::<(String, String)>::new());
    api.expire_resource_versions();
    let url = format!("{}/api/v1/namespaces?watch=1&resourceVersion=1", api.url());
    let body = raw_get(&url).await;
    assert!(body.contains(r#""type":"ERROR""#), "{body}");
    assert!(body.contains(r#""code":410"#), "{body}");
    assert!(body.contains(r#""reason":"Expired""#), "{body}");
}

/// A plain HTTP/1.1 GET of a response that ends, returning the raw response.
async fn raw_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("connects");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("writes");
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut out))
        .await
        .expect("the response ends")
        .expect("reads");
    out
}

#[tokio::test]
async fn a_miss_falls_back_to_a_live_get() {
    let api = FakeApiServer::start().await;
    api.create_namespace("team", [(ENFORCE, "baseline")]);
    let cache = NamespaceCache::new(api.client());
    watching(&cache, &api).await;

    api.hold_watch_events();
    api.create_namespace("fresh", [(ENFORCE, "restricted")]);
    assert!(cache.cached("fresh").is_none());
    let fresh = cache
        .get_namespace("fresh", soon())
        .await
        .expect("a live GET");
    assert_eq!(fresh.name, "fresh");
    assert_eq!(
        fresh.labels.get(ENFORCE).map(String::as_str),
        Some("restricted")
    );
    assert_eq!(
        api.count_requests(|r| r == "GET /api/v1/namespaces/fresh"),
        1
    );
    // The live answer is not cached: the watch brings it.
    assert!(cache.cached("fresh").is_none());
    api.release_watch_events();
    eventually(5, "the watch event", || async {
        cache.cached("fresh").is_some()
    })
    .await;

    // Not found: the API server's message.
    let err = cache
        .get_namespace("missing", soon())
        .await
        .expect_err("missing");
    assert_eq!(err.0, r#"namespaces "missing" not found"#);
    // No deadline at all is allowed too.
    let err = cache
        .get_namespace("missing", None)
        .await
        .expect_err("missing");
    assert_eq!(err.0, r#"namespaces "missing" not found"#);

    // Empty name: rejected before any call.
    let before = api.requests().len();
    let err = cache.get_namespace("", soon()).await.expect_err("empty");
    assert_eq!(err.0, "resource name may not be empty");
    // An expired deadline: no call either.
    let err = cache
        .get_namespace("missing", Some(Instant::now()))
        .await
        .expect_err("expired");
    assert_eq!(err.0, "context deadline exceeded");
    assert_eq!(api.requests().len(), before);

    // A slow API server: the deadline cuts the GET short.
    api.set_delay(Duration::from_secs(2));
    let started = Instant::now();
    let err = cache
        .get_namespace("slow", Some(Instant::now() + Duration::from_millis(100)))
        .await
        .expect_err("too slow");
    assert_eq!(err.0, "context deadline exceeded");
    assert!(started.elapsed() < Duration::from_secs(1));
}

fn pod(name: &str, spec: serde_json::Value) -> serde_json::Value {
    json!({"metadata": {"name": name}, "spec": spec})
}

#[tokio::test]
async fn pod_listing_converts_pods_and_honours_the_deadline() {
    let api = FakeApiServer::start().await;
    api.create_namespace("team", Vec::<(String, String)>::new());
    api.add_pod(
        "team",
        json!({
            "metadata": {"name": "web-1", "annotations": {"a": "b"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                                              "uid": "rs-uid", "controller": true}]},
            "spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "nginx"}]},
            "status": {"phase": "Running"}
        }),
    );
    api.add_pod(
        "team",
        pod(
            "alone",
            json!({"containers": [{"name": "c", "image": "i"}]}),
        ),
    );
    api.add_pod("elsewhere", pod("x", json!({"containers": []})));
    let lister = LivePodLister::new(api.client());

    let pods = lister
        .list_pods("team", Instant::now() + Duration::from_secs(2))
        .await
        .expect("listed");
    let names: Vec<&str> = pods.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["alone", "web-1"]);
    assert_eq!(pods[0].controller_uid, None);
    assert_eq!(pods[1].controller_uid.as_deref(), Some("rs-uid"));
    assert!(pods[1].pod.spec.host_network);
    assert_eq!(pods[1].pod.spec.containers[0].name, "c");
    assert_eq!(pods[1].pod.metadata.annotations["a"], "b");
    assert_eq!(pods[1].pod.metadata.namespace, "team");
    assert!(
        lister
            .list_pods("empty", Instant::now() + Duration::from_secs(2))
            .await
            .expect("listed")
            .is_empty()
    );

    // Slow: the deadline wins.
    api.set_delay(Duration::from_secs(2));
    let started = Instant::now();
    let err = lister
        .list_pods("team", Instant::now() + Duration::from_millis(100))
        .await
        .expect_err("too slow");
    assert_eq!(err.0, "context deadline exceeded");
    assert!(started.elapsed() < Duration::from_secs(1));
    api.set_delay(Duration::ZERO);

    // Failing and unreachable: errors, never an empty list.
    api.set_failing(true);
    let err = lister
        .list_pods("team", Instant::now() + Duration::from_secs(2))
        .await
        .expect_err("a 500");
    assert_eq!(
        err.0,
        "Internal error occurred: the fake API server is failing"
    );
    api.set_failing(false);
    api.stop().await;
    let err = lister
        .list_pods("team", Instant::now() + Duration::from_secs(2))
        .await
        .expect_err("unreachable");
    assert!(
        err.0.starts_with(r#"Get "/api/v1/namespaces/team/pods": "#),
        "{}",
        err.0
    );
}

#[tokio::test]
async fn the_rate_limited_client_works() {
    let api = FakeApiServer::start().await;
    api.create_namespace("team", [(ENFORCE, "baseline")]);
    let client = podsec_kube::client_from_config(api.config(), 50.0, 2).expect("a client");
    let cache = NamespaceCache::new(client.clone());
    ready(&cache).await;
    // 2 burst + 50/s: 6 more GETs take at least ~60 ms in total.
    let started = Instant::now();
    for _ in 0..6 {
        let err = cache
            .get_namespace("missing", soon())
            .await
            .expect_err("missing");
        assert_eq!(err.0, r#"namespaces "missing" not found"#);
    }
    assert!(
        started.elapsed() >= Duration::from_millis(60),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn client_errors_are_reported() {
    let missing = std::path::Path::new("/nonexistent/kubeconfig");
    let Err(err) = podsec_kube::client(Some(missing), 20.0, 50).await else {
        panic!("a client from a missing kubeconfig");
    };
    assert!(
        err.to_string()
            .starts_with("loading kubeconfig /nonexistent/kubeconfig: "),
        "{err}"
    );
}

#[tokio::test]
async fn client_from_a_kubeconfig_file() {
    let api = FakeApiServer::start().await;
    api.create_namespace("team", [(ENFORCE, "baseline")]);
    let dir = std::env::temp_dir().join(format!(
        "podsec-kube-test-{}-{}",
        std::process::id(),
        api.url().rsplit(':').next().unwrap_or("0")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kubeconfig");
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: fake\n\
         clusters:\n- name: fake\n  cluster:\n    server: {}\n\
         contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: me\n\
         users:\n- name: me\n  user:\n    token: secret\n",
        api.url()
    );
    std::fs::write(&path, kubeconfig).unwrap();
    let client = podsec_kube::client(Some(&path), 20.0, 50).await;
    std::fs::remove_dir_all(&dir).unwrap();
    let cache = NamespaceCache::new(client.unwrap());
    ready(&cache).await;
    assert!(label_is(&cache, "team", "baseline").await);
}

#[tokio::test]
async fn no_kubeconfig_outside_a_cluster_is_an_error() {
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        return; // running in a pod: the in-cluster configuration exists
    }
    let Err(err) = podsec_kube::client(None, 20.0, 50).await else {
        panic!("an in-cluster client outside a cluster");
    };
    assert!(
        err.to_string()
            .starts_with("loading in-cluster configuration: "),
        "{err}"
    );
}

//! An in-process stand-in of the Kubernetes API for tests (feature `testing`).
//!
//! [`FakeApiServer`] serves, over plain HTTP on `127.0.0.1` with a free port:
//!
//! * `GET /api/v1/namespaces`: the list, with `metadata.resourceVersion`; with `?watch=1` (or
//!   `true`) a stream of newline-delimited watch events (`ADDED`, `MODIFIED`, `DELETED`,
//!   `BOOKMARK`, `ERROR`) starting after `resourceVersion` (a compacted one gets the API
//!   server's `410 Gone` `ERROR` event, `Expired: too old resource version: N (M)`);
//! * `GET /api/v1/namespaces/<name>`: the namespace, or a `404 NotFound` Status;
//! * `GET /api/v1/namespaces/<ns>/pods`: the pod list, in name order;
//! * LIST, cluster-wide and per namespace, at their real paths, of pods,
//!   replicationcontrollers and podtemplates (`/api/v1/<resource>`,
//!   `/api/v1/namespaces/<ns>/<resource>`), deployments, replicasets, statefulsets and
//!   daemonsets (`/apis/apps/v1/...`), jobs and cronjobs (`/apis/batch/v1/...`), and
//!   `wgpolicyk8s.io/v1alpha2` policyreports (namespaced) and clusterpolicyreports, and
//!   `policy/v1beta1` podsecuritypolicies (cluster-scoped; `unserve` them for a v1.25+
//!   server): items in
//!   namespace then name order, without `kind`/`apiVersion` (as the API server writes list
//!   items). `?limit=N` pages the list: `metadata.continue` is an opaque token naming the
//!   last item served, `metadata.remainingItemCount` counts what is left; a bad token is a
//!   `400 BadRequest`, an expired one a `410 Expired`. `GET /api/v1/namespaces` pages too.
//! * `PATCH /apis/wgpolicyk8s.io/v1alpha2/namespaces/<ns>/policyreports/<name>` and
//!   `PATCH /apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/<name>`: server-side apply
//!   (`Content-Type: application/apply-patch+yaml`, a JSON body, `fieldManager` required):
//!   the object is stored (uid, resourceVersion, `managedFields` with the field manager)
//!   and answered, `201` when created, `200` when replaced; `GET` of the same paths answers
//!   the stored object.
//! * `GET /version`: the API server's version (`v1.37.0` unless set), settable at runtime as
//!   a `gitVersion` ([`FakeApiServer::set_version`]) or as any JSON body
//!   ([`FakeApiServer::set_version_json`]), and able to fail on its own
//!   ([`FakeApiServer::set_version_failing`]).
//!
//! Like the API server, it answers `Accept: application/json;as=PartialObjectMetadata[List]`
//! with metadata-only objects (what kube's metadata API and watcher request), gives every
//! namespace the `kubernetes.io/metadata.name` label, and numbers every change with a new
//! resourceVersion.
//!
//! Test controls: change namespaces and pods; add any object of the kinds above
//! ([`FakeApiServer::add_object`]); forbid listing a resource (`403 Forbidden`, as RBAC
//! answers) or stop serving it (`404 NotFound`); expire continue tokens (`410 Expired`, at
//! once or after some pages); read back applied objects and their field managers; hold
//! watch events back (a namespace the watch has not seen yet); expire resourceVersions (open watches get `410 Gone` and must re-list);
//! end open watch streams; delay responses; fail every request with a `500`; stop the
//! listener (connections refused, open connections cut) and start it again on the same port.
//! Every request is logged for assertions.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{broadcast, watch};
use tokio::task::{JoinHandle, JoinSet};

/// The in-process Kubernetes API stand-in. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeApiServer {
    addr: SocketAddr,
    state: Arc<ApiState>,
    server: Mutex<Option<JoinHandle<()>>>,
}

/// A change to a namespace, as a watch event.
#[derive(Debug, Clone)]
struct Change {
    rv: u64,
    kind: &'static str,
    namespace: StoredNamespace,
}

#[derive(Debug, Clone)]
struct StoredNamespace {
    name: String,
    uid: String,
    rv: u64,
    labels: BTreeMap<String, String>,
}

/// What open watch streams receive.
#[derive(Debug, Clone)]
enum Frame {
    Change(Change),
    Bookmark(u64),
    /// `410 Gone`: the stream's position was compacted; the stream then ends.
    Expired(u64),
}

#[derive(Debug)]
struct ApiState {
    data: Mutex<Data>,
    frames: broadcast::Sender<Frame>,
    /// Bumped to end every open watch stream.
    cut: watch::Sender<u64>,
    /// Open watch streams.
    watches: AtomicUsize,
}

/// Counts an open watch stream while alive.
struct OpenWatch(Arc<ApiState>);

impl Drop for OpenWatch {
    fn drop(&mut self) {
        self.0.watches.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Debug, Default)]
struct Data {
    rv: u64,
    uids: u64,
    namespaces: BTreeMap<String, StoredNamespace>,
    /// Objects other than namespaces, by resource, then by (namespace, name).
    objects: BTreeMap<ResourceKey, BTreeMap<(String, String), Value>>,
    /// Resources (plural names) whose LIST is forbidden (`403`).
    forbidden: Vec<String>,
    /// Resources (plural names) not served (`404`).
    unserved: Vec<String>,
    /// Continue tokens of an older generation are expired (`410`).
    token_generation: u64,
    /// Expire continue tokens after this many more paged responses.
    expire_after_pages: Option<usize>,
    /// Server-side applies, in order.
    applies: Vec<Applied>,
    /// Namespace changes after `compacted`, for watches that resume.
    history: Vec<Change>,
    /// Watches from a resourceVersion below this get `410 Gone`.
    compacted: u64,
    /// Changes not yet sent to open watches.
    held: Option<Vec<Change>>,
    delay: Duration,
    failing: bool,
    requests: Vec<String>,
    /// Namespace requests that asked for full objects rather than metadata.
    full_namespace_requests: usize,
    /// The body of `GET /version`.
    version: Value,
    /// `GET /version` fails with a `500`.
    version_failing: bool,
}

/// A resource: its API group (`""` for the core group) and its plural name.
type ResourceKey = (String, String);

/// One server-side apply the stand-in served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// `group/version` of the path.
    pub api_version: String,
    /// The resource's plural name (`policyreports`).
    pub resource: String,
    /// The namespace of the path (`None` for a cluster-scoped resource).
    pub namespace: Option<String>,
    /// The object's name.
    pub name: String,
    /// The `fieldManager` query parameter.
    pub field_manager: String,
    /// Whether `force=true` was given.
    pub force: bool,
}

/// A resource the stand-in serves besides namespaces.
#[derive(Debug, Clone, Copy)]
struct Served {
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
}

/// Every resource the stand-in serves besides namespaces.
const SERVED: &[Served] = &[
    Served {
        group: "",
        version: "v1",
        plural: "pods",
        kind: "Pod",
        namespaced: true,
    },
    Served {
        group: "",
        version: "v1",
        plural: "replicationcontrollers",
        kind: "ReplicationController",
        namespaced: true,
    },
    Served {
        group: "",
        version: "v1",
        plural: "podtemplates",
        kind: "PodTemplate",
        namespaced: true,
    },
    Served {
        group: "apps",
        version: "v1",
        plural: "deployments",
        kind: "Deployment",
        namespaced: true,
    },
    Served {
        group: "apps",
        version: "v1",
        plural: "replicasets",
        kind: "ReplicaSet",
        namespaced: true,
    },
    Served {
        group: "apps",
        version: "v1",
        plural: "statefulsets",
        kind: "StatefulSet",
        namespaced: true,
    },
    Served {
        group: "apps",
        version: "v1",
        plural: "daemonsets",
        kind: "DaemonSet",
        namespaced: true,
    },
    Served {
        group: "batch",
        version: "v1",
        plural: "jobs",
        kind: "Job",
        namespaced: true,
    },
    Served {
        group: "batch",
        version: "v1",
        plural: "cronjobs",
        kind: "CronJob",
        namespaced: true,
    },
    Served {
        group: "policy",
        version: "v1beta1",
        plural: "podsecuritypolicies",
        kind: "PodSecurityPolicy",
        namespaced: false,
    },
    Served {
        group: "wgpolicyk8s.io",
        version: "v1alpha2",
        plural: "policyreports",
        kind: "PolicyReport",
        namespaced: true,
    },
    Served {
        group: "wgpolicyk8s.io",
        version: "v1alpha2",
        plural: "clusterpolicyreports",
        kind: "ClusterPolicyReport",
        namespaced: false,
    },
];

impl Served {
    fn by_kind(api_version: &str, kind: &str) -> Option<Served> {
        SERVED
            .iter()
            .copied()
            .find(|s| s.kind == kind && s.api_version() == api_version)
    }

    fn by_path(group: &str, version: &str, plural: &str) -> Option<Served> {
        SERVED
            .iter()
            .copied()
            .find(|s| s.group == group && s.version == version && s.plural == plural)
    }

    fn api_version(self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    fn key(self) -> ResourceKey {
        (self.group.to_owned(), self.plural.to_owned())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FakeApiServer {
    /// Starts an empty API server on `127.0.0.1` with a free port.
    pub async fn start() -> FakeApiServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let (frames, _) = broadcast::channel(4096);
        let state = Arc::new(ApiState {
            data: Mutex::new(Data {
                rv: 1,
                version: version_info(DEFAULT_VERSION),
                ..Data::default()
            }),
            frames,
            cut: watch::Sender::new(0),
            watches: AtomicUsize::new(0),
        });
        let server = tokio::spawn(serve(listener, router(Arc::clone(&state))));
        FakeApiServer {
            addr,
            state,
            server: Mutex::new(Some(server)),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kube configuration pointing at this server (plain HTTP, no credentials).
    pub fn config(&self) -> kube::Config {
        let mut config = kube::Config::new(self.url().parse().expect("a valid URL"));
        config.connect_timeout = Some(Duration::from_secs(2));
        config
    }

    /// A kube client for this server (not rate limited).
    pub fn client(&self) -> kube::Client {
        kube::Client::try_from(self.config()).expect("a client for the fake API server")
    }

    /// Stops listening and cuts every open connection: clients get `connection refused` until
    /// [`FakeApiServer::restart`].
    pub async fn stop(&self) {
        let server = lock(&self.server).take();
        if let Some(server) = server {
            server.abort();
            let _ = server.await;
        }
    }

    /// Listens again on the same port after [`FakeApiServer::stop`] (no-op when running).
    pub async fn restart(&self) {
        if lock(&self.server).is_some() {
            return;
        }
        let socket = TcpSocket::new_v4().expect("a socket");
        socket.set_reuseaddr(true).expect("SO_REUSEADDR");
        socket.bind(self.addr).expect("binding the same port again");
        let listener = socket.listen(128).expect("listening");
        let server = tokio::spawn(serve(listener, router(Arc::clone(&self.state))));
        *lock(&self.server) = Some(server);
    }

    /// Creates a namespace with `labels` (plus `kubernetes.io/metadata.name`, as the API
    /// server adds it); returns its resourceVersion. Replaces an existing one (`MODIFIED`).
    pub fn create_namespace<K, V>(
        &self,
        name: &str,
        labels: impl IntoIterator<Item = (K, V)>,
    ) -> u64
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut data = lock(&self.state.data);
        data.rv += 1;
        data.uids += 1;
        let rv = data.rv;
        let mut labels: BTreeMap<String, String> = labels
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        labels.insert("kubernetes.io/metadata.name".into(), name.into());
        let existing = data.namespaces.get(name).map(|ns| ns.uid.clone());
        let kind = if existing.is_some() {
            "MODIFIED"
        } else {
            "ADDED"
        };
        let namespace = StoredNamespace {
            name: name.into(),
            uid: existing.unwrap_or_else(|| format!("00000000-0000-0000-0000-{:012}", data.uids)),
            rv,
            labels,
        };
        data.namespaces.insert(name.into(), namespace.clone());
        self.publish(&mut data, kind, namespace);
        rv
    }

    /// Replaces the labels of an existing namespace (`MODIFIED`); returns the new
    /// resourceVersion.
    ///
    /// # Panics
    /// If the namespace does not exist.
    pub fn set_labels<K, V>(&self, name: &str, labels: impl IntoIterator<Item = (K, V)>) -> u64
    where
        K: Into<String>,
        V: Into<String>,
    {
        assert!(
            lock(&self.state.data).namespaces.contains_key(name),
            "namespace {name} does not exist"
        );
        self.create_namespace(name, labels)
    }

    /// Deletes a namespace (`DELETED`) and its pods; returns the resourceVersion.
    pub fn delete_namespace(&self, name: &str) -> u64 {
        let mut data = lock(&self.state.data);
        data.rv += 1;
        let rv = data.rv;
        for objects in data.objects.values_mut() {
            objects.retain(|(namespace, _), _| namespace != name);
        }
        if let Some(mut namespace) = data.namespaces.remove(name) {
            namespace.rv = rv;
            self.publish(&mut data, "DELETED", namespace);
        }
        rv
    }

    fn publish(&self, data: &mut Data, kind: &'static str, namespace: StoredNamespace) {
        let change = Change {
            rv: namespace.rv,
            kind,
            namespace,
        };
        data.history.push(change.clone());
        match &mut data.held {
            Some(held) => held.push(change),
            None => {
                let _ = self.state.frames.send(Frame::Change(change));
            }
        }
    }

    /// Adds (or replaces) a pod in `namespace`. `pod` is the Pod JSON; `metadata.name` is
    /// required, `apiVersion`, `kind`, `metadata.namespace` and `metadata.resourceVersion`
    /// are filled in.
    pub fn add_pod(&self, namespace: &str, mut pod: Value) {
        pod["apiVersion"] = json!("v1");
        pod["kind"] = json!("Pod");
        pod["metadata"]["namespace"] = json!(namespace);
        self.add_object(pod);
    }

    /// Adds (or replaces) any object the stand-in serves, by its `apiVersion` and `kind`: a
    /// `Namespace` (its labels kept, as [`FakeApiServer::create_namespace`]), a pod, a
    /// workload of any kind listed in the module documentation, a policy report.
    /// `metadata.name` is required, and `metadata.namespace` for a namespaced kind;
    /// `metadata.uid` (unless given), `metadata.resourceVersion` and
    /// `metadata.creationTimestamp` are filled in.
    ///
    /// # Panics
    /// On a kind the stand-in does not serve, or a missing name or namespace.
    pub fn add_object(&self, mut object: Value) {
        let api_version = object["apiVersion"].as_str().unwrap_or_default().to_owned();
        let kind = object["kind"].as_str().unwrap_or_default().to_owned();
        let name = object["metadata"]["name"]
            .as_str()
            .expect("the object has metadata.name")
            .to_owned();
        if kind == "Namespace" && api_version == "v1" {
            let labels: BTreeMap<String, String> = object["metadata"]["labels"]
                .as_object()
                .map(|labels| {
                    labels
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            self.create_namespace(&name, labels);
            return;
        }
        let served = Served::by_kind(&api_version, &kind)
            .unwrap_or_else(|| panic!("the stand-in does not serve {api_version} {kind}"));
        let namespace = if served.namespaced {
            object["metadata"]["namespace"]
                .as_str()
                .expect("a namespaced object has metadata.namespace")
                .to_owned()
        } else {
            String::new()
        };
        let mut data = lock(&self.state.data);
        data.rv += 1;
        data.uids += 1;
        let rv = data.rv;
        if object["metadata"]["uid"].as_str().is_none() {
            object["metadata"]["uid"] = json!(format!("00000000-0000-0000-0001-{:012}", data.uids));
        }
        object["metadata"]["resourceVersion"] = json!(rv.to_string());
        if object["metadata"]["creationTimestamp"].is_null() {
            object["metadata"]["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
        }
        data.objects
            .entry(served.key())
            .or_default()
            .insert((namespace, name), object);
    }

    /// Makes every LIST of `resource` (its plural name: `pods`, `deployments`,
    /// `namespaces`, ...) answer `403 Forbidden`, as RBAC does for an anonymous user.
    pub fn forbid(&self, resource: &str) {
        lock(&self.state.data).forbidden.push(resource.to_owned());
    }

    /// Makes `resource` (its plural name) unserved: `404 NotFound`, as an API server that
    /// does not have that API group or version answers.
    pub fn unserve(&self, resource: &str) {
        lock(&self.state.data).unserved.push(resource.to_owned());
    }

    /// Expires every continue token handed out so far: continuing a list with one gets
    /// `410 Expired`, as after etcd compaction.
    pub fn expire_continue_tokens(&self) {
        lock(&self.state.data).token_generation += 1;
    }

    /// Expires the continue tokens handed out so far once `pages` more paged responses
    /// (responses with a continue token) have been served: a listing in progress then hits
    /// `410 Expired` on its next page.
    pub fn expire_continue_tokens_after(&self, pages: usize) {
        let mut data = lock(&self.state.data);
        if pages == 0 {
            data.token_generation += 1;
            data.expire_after_pages = None;
        } else {
            data.expire_after_pages = Some(pages);
        }
    }

    /// The stored object of `kind` (`apiVersion` `api_version`) named `name` in `namespace`
    /// (`None` for a cluster-scoped kind): what was added or applied.
    pub fn object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let served = Served::by_kind(api_version, kind)?;
        let data = lock(&self.state.data);
        data.objects
            .get(&served.key())?
            .get(&(namespace.unwrap_or_default().to_owned(), name.to_owned()))
            .cloned()
    }

    /// Every stored object of `kind` (`apiVersion` `api_version`), in namespace then name
    /// order.
    pub fn objects(&self, api_version: &str, kind: &str) -> Vec<Value> {
        let Some(served) = Served::by_kind(api_version, kind) else {
            return Vec::new();
        };
        let data = lock(&self.state.data);
        data.objects
            .get(&served.key())
            .map(|objects| objects.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every server-side apply served so far, in order.
    pub fn applies(&self) -> Vec<Applied> {
        lock(&self.state.data).applies.clone()
    }

    /// Holds namespace watch events back from open watches until
    /// [`FakeApiServer::release_watch_events`] (the objects change at once for lists and GETs).
    pub fn hold_watch_events(&self) {
        let mut data = lock(&self.state.data);
        data.held.get_or_insert_with(Vec::new);
    }

    /// Sends the held events to open watches.
    pub fn release_watch_events(&self) {
        let mut data = lock(&self.state.data);
        for change in data.held.take().unwrap_or_default() {
            let _ = self.state.frames.send(Frame::Change(change));
        }
    }

    /// Compacts history up to the current resourceVersion, as etcd compaction does: open
    /// watches get a `410 Gone` `ERROR` event and end; a watch from an older resourceVersion
    /// gets the same; held events are dropped (a client learns about them by re-listing).
    pub fn expire_resource_versions(&self) {
        let mut data = lock(&self.state.data);
        data.compacted = data.rv;
        data.history.clear();
        if data.held.is_some() {
            data.held = Some(Vec::new());
        }
        let _ = self.state.frames.send(Frame::Expired(data.rv));
    }

    /// Sends a `BOOKMARK` with the current resourceVersion to open watches.
    pub fn send_bookmark(&self) {
        let rv = lock(&self.state.data).rv;
        let _ = self.state.frames.send(Frame::Bookmark(rv));
    }

    /// Ends every open watch stream (the connection stays usable), as an API server does when
    /// a watch times out or the server restarts behind a load balancer.
    pub fn end_watches(&self) {
        self.state.cut.send_modify(|generation| *generation += 1);
    }

    /// Delays every response (watches: before the stream starts) by `delay`.
    pub fn set_delay(&self, delay: Duration) {
        lock(&self.state.data).delay = delay;
    }

    /// Makes every request fail with `500 InternalError` (or stop failing).
    pub fn set_failing(&self, failing: bool) {
        lock(&self.state.data).failing = failing;
    }

    /// Makes `GET /version` answer for `git_version` (e.g. `v1.36.2` or `v1.36.0-eks-abc`):
    /// `gitVersion` as given, `major` and `minor` from it when it reads as `v<major>.<minor>...`
    /// (else empty), and the other fields of a real answer.
    pub fn set_version(&self, git_version: &str) {
        lock(&self.state.data).version = version_info(git_version);
    }

    /// Makes `GET /version` answer with `body` as is (e.g. `major`/`minor` only, an emulation
    /// version, or something unparsable).
    pub fn set_version_json(&self, body: Value) {
        lock(&self.state.data).version = body;
    }

    /// Makes `GET /version` alone fail with `500 InternalError` (or stop failing).
    pub fn set_version_failing(&self, failing: bool) {
        lock(&self.state.data).version_failing = failing;
    }

    /// How many watch streams are open.
    pub fn open_watches(&self) -> usize {
        self.state.watches.load(Ordering::SeqCst)
    }

    /// Waits until at least one watch stream is open (e.g. a cache's watch after its list).
    ///
    /// # Panics
    /// After 5 s without one.
    pub async fn wait_for_watch(&self) {
        let until = tokio::time::Instant::now() + Duration::from_secs(5);
        while self.open_watches() == 0 {
            assert!(
                tokio::time::Instant::now() < until,
                "no watch opened within 5 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        lock(&self.state.data).rv
    }

    /// Every request so far, as `GET <path>?<query>`.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.state.data).requests.clone()
    }

    /// How many requests so far satisfy `predicate`.
    pub fn count_requests(&self, predicate: impl Fn(&str) -> bool) -> usize {
        lock(&self.state.data)
            .requests
            .iter()
            .filter(|r| predicate(r))
            .count()
    }

    /// How many namespace requests asked for full `Namespace` objects instead of
    /// `PartialObjectMetadata` (a metadata-only client makes none).
    pub fn full_namespace_requests(&self) -> usize {
        lock(&self.state.data).full_namespace_requests
    }

    /// How many namespace lists (not watches) were served.
    pub fn namespace_lists(&self) -> usize {
        self.count_requests(|r| {
            let (path, query) = r.split_once('?').unwrap_or((r, ""));
            path == "GET /api/v1/namespaces" && !query.split('&').any(is_watch_param)
        })
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        if let Some(server) = lock(&self.server).take() {
            server.abort();
        }
    }
}

fn is_watch_param(param: &str) -> bool {
    param == "watch=1" || param == "watch=true"
}

/// Accepts connections until aborted; aborting drops every connection too.
async fn serve(listener: TcpListener, app: Router) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let service = TowerToHyperService::new(app.clone());
                connections.spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// The version [`FakeApiServer::start`] reports.
pub const DEFAULT_VERSION: &str = "v1.37.0";

/// A `/version` answer for `git_version`.
fn version_info(git_version: &str) -> Value {
    let (major, minor) = crate::parse_git_version(git_version)
        .and_then(|v| match v {
            podsec_policy::Version::Release { major, minor } => {
                Some((major.to_string(), minor.to_string()))
            }
            podsec_policy::Version::Latest => None,
        })
        .unwrap_or_default();
    json!({
        "major": major,
        "minor": minor,
        "gitVersion": git_version,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.25.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

async fn version(State(state): State<Arc<ApiState>>) -> Response {
    let data = lock(&state.data);
    if data.version_failing {
        return status_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error occurred: the fake API server's /version is failing",
            "InternalError",
            None,
        );
    }
    json_response(StatusCode::OK, &data.version)
}

fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/version", get(version))
        .route("/api/v1/namespaces", get(namespaces))
        .route("/api/v1/namespaces/{name}", get(namespace))
        .route("/api/v1/{resource}", get(list_core))
        .route(
            "/api/v1/namespaces/{namespace}/{resource}",
            get(list_core_in),
        )
        .route("/apis/{group}/{version}/{resource}", get(list_group))
        .route(
            "/apis/{group}/{version}/{resource}/{name}",
            get(get_cluster_object).patch(apply_cluster_object),
        )
        .route(
            "/apis/{group}/{version}/namespaces/{namespace}/{resource}",
            get(list_group_in),
        )
        .route(
            "/apis/{group}/{version}/namespaces/{namespace}/{resource}/{name}",
            get(get_namespaced_object).patch(apply_namespaced_object),
        )
        .fallback(not_found_path)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            gate,
        ))
        .with_state(state)
}

/// Logs the request, applies the delay and the failure switch.
async fn gate(
    State(state): State<Arc<ApiState>>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let (delay, failing) = {
        let mut data = lock(&state.data);
        let uri = request.uri();
        let line = match uri.query() {
            Some(query) => format!("{} {}?{query}", request.method(), uri.path()),
            None => format!("{} {}", request.method(), uri.path()),
        };
        // `/api/v1/namespaces` and `/api/v1/namespaces/<name>`, not what is in them.
        if uri.path().starts_with("/api/v1/namespaces")
            && uri.path().split('/').count() <= 5
            && !metadata_only(request.headers())
        {
            data.full_namespace_requests += 1;
        }
        data.requests.push(line);
        (data.delay, data.failing)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if failing {
        return status_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error occurred: the fake API server is failing",
            "InternalError",
            None,
        );
    }
    next.run(request).await
}

fn status_json(code: StatusCode, message: &str, reason: &str, details: Option<Value>) -> Value {
    let mut status = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code.as_u16(),
    });
    if let Some(details) = details {
        status["details"] = details;
    }
    status
}

fn status_response(
    code: StatusCode,
    message: &str,
    reason: &str,
    details: Option<Value>,
) -> Response {
    json_response(code, &status_json(code, message, reason, details))
}

fn json_response(code: StatusCode, body: &Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn not_found_path() -> Response {
    status_response(
        StatusCode::NOT_FOUND,
        "the server could not find the requested resource",
        "NotFound",
        None,
    )
}

/// Whether the client asked for metadata-only objects.
fn metadata_only(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("as=PartialObjectMetadata"))
}

fn namespace_json(namespace: &StoredNamespace, metadata_only: bool) -> Value {
    let metadata = json!({
        "name": namespace.name,
        "uid": namespace.uid,
        "resourceVersion": namespace.rv.to_string(),
        "creationTimestamp": "2026-01-01T00:00:00Z",
        "labels": namespace.labels,
    });
    if metadata_only {
        json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metadata})
    } else {
        json!({
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": metadata,
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        })
    }
}

async fn namespaces(
    State(state): State<Arc<ApiState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let meta = metadata_only(&headers);
    if query.get("watch").is_some_and(|w| w == "1" || w == "true") {
        return watch_namespaces(&state, &query, meta);
    }
    let mut data = lock(&state.data);
    if let Some(denied) = denied(&data, "", "namespaces", None) {
        return denied;
    }
    let (api_version, kind) = if meta {
        ("meta.k8s.io/v1", "PartialObjectMetadataList")
    } else {
        ("v1", "NamespaceList")
    };
    let keys: Vec<(String, String)> = data
        .namespaces
        .keys()
        .map(|name| (String::new(), name.clone()))
        .collect();
    let page = match paginate(&mut data, &keys, &query) {
        Ok(page) => page,
        Err(response) => return *response,
    };
    let items: Vec<Value> = page
        .keys
        .iter()
        .filter_map(|(_, name)| data.namespaces.get(name))
        .map(|ns| namespace_json(ns, meta))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "kind": kind,
            "apiVersion": api_version,
            "metadata": page.metadata(data.rv),
            "items": items,
        }),
    )
}

fn watch_line(kind: &str, object: &Value) -> Result<Bytes, Infallible> {
    let mut line = json!({"type": kind, "object": object}).to_string();
    line.push('\n');
    Ok(Bytes::from(line))
}

fn gone(from: u64, current: u64) -> Value {
    status_json(
        StatusCode::GONE,
        &format!("too old resource version: {from} ({current})"),
        "Expired",
        None,
    )
}

fn watch_namespaces(
    state: &Arc<ApiState>,
    query: &HashMap<String, String>,
    meta: bool,
) -> Response {
    let from: Option<u64> = query
        .get("resourceVersion")
        .filter(|rv| !rv.is_empty() && *rv != "0")
        .map(|rv| rv.parse().unwrap_or(0));
    let bookmarks = query
        .get("allowWatchBookmarks")
        .is_some_and(|b| b == "true" || b == "1");
    let mut cut = state.cut.subscribe();
    cut.mark_unchanged();
    // Under the lock: the replay and the subscription meet without a gap.
    let (replay, mut frames, compacted_error) = {
        let data = lock(&state.data);
        let frames = state.frames.subscribe();
        match from {
            Some(from) if from < data.compacted => (Vec::new(), frames, Some(gone(from, data.rv))),
            Some(from) => {
                let replay: Vec<Change> = data
                    .history
                    .iter()
                    .filter(|change| change.rv > from)
                    .filter(|change| {
                        // Held events are not delivered yet.
                        data.held
                            .as_ref()
                            .is_none_or(|held| !held.iter().any(|h| h.rv == change.rv))
                    })
                    .cloned()
                    .collect();
                (replay, frames, None)
            }
            // No resourceVersion: the current state as ADDED events, then changes.
            None => {
                let replay = data
                    .namespaces
                    .values()
                    .map(|ns| Change {
                        rv: ns.rv,
                        kind: "ADDED",
                        namespace: ns.clone(),
                    })
                    .collect();
                (replay, frames, None)
            }
        }
    };
    state.watches.fetch_add(1, Ordering::SeqCst);
    let open = OpenWatch(Arc::clone(state));
    let stream = async_stream(move |tx| async move {
        let _open = open;
        if let Some(status) = compacted_error {
            let _ = tx.send(watch_line("ERROR", &status)).await;
            return;
        }
        let mut last = from.unwrap_or(0);
        for change in replay {
            last = last.max(change.rv);
            if tx
                .send(watch_line(
                    change.kind,
                    &namespace_json(&change.namespace, meta),
                ))
                .await
                .is_err()
            {
                return;
            }
        }
        loop {
            let frame = tokio::select! {
                frame = frames.recv() => frame,
                _ = cut.changed() => return,
                () = tx.closed() => return,
            };
            let line = match frame {
                Ok(Frame::Change(change)) => {
                    if change.rv <= last {
                        continue;
                    }
                    last = change.rv;
                    watch_line(change.kind, &namespace_json(&change.namespace, meta))
                }
                Ok(Frame::Bookmark(rv)) => {
                    if !bookmarks {
                        continue;
                    }
                    last = last.max(rv);
                    let kind = if meta {
                        "PartialObjectMetadata"
                    } else {
                        "Namespace"
                    };
                    let api_version = if meta { "meta.k8s.io/v1" } else { "v1" };
                    watch_line(
                        "BOOKMARK",
                        &json!({"kind": kind, "apiVersion": api_version,
                                "metadata": {"resourceVersion": rv.to_string()}}),
                    )
                }
                Ok(Frame::Expired(current)) => {
                    let _ = tx.send(watch_line("ERROR", &gone(last, current))).await;
                    return;
                }
                // Fell behind: end the stream, the client resumes from its last event.
                Err(broadcast::error::RecvError::Lagged(_)) => return,
                Err(broadcast::error::RecvError::Closed) => return,
            };
            if tx.send(line).await.is_err() {
                return;
            }
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .expect("a valid response")
}

/// A stream fed by a task: `producer` sends items until it returns or the body is dropped.
fn async_stream<F, Fut>(
    producer: F,
) -> impl futures::Stream<Item = Result<Bytes, Infallible>> + Send + 'static
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Bytes, Infallible>>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let task = tokio::spawn(producer(tx));
    // The task ends on its own when the receiver goes (sends fail, `closed()` fires).
    drop(task);
    tokio_stream::wrappers::ReceiverStream::new(rx).fuse()
}

async fn namespace(
    State(state): State<Arc<ApiState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let data = lock(&state.data);
    match data.namespaces.get(&name) {
        Some(ns) => json_response(StatusCode::OK, &namespace_json(ns, metadata_only(&headers))),
        None => status_response(
            StatusCode::NOT_FOUND,
            &format!("namespaces \"{name}\" not found"),
            "NotFound",
            Some(json!({"name": name, "kind": "namespaces"})),
        ),
    }
}

/// `403 Forbidden` for a forbidden resource, `404 NotFound` for an unserved one, as the API
/// server words them for an anonymous user.
fn denied(data: &Data, group: &str, plural: &str, namespace: Option<&str>) -> Option<Response> {
    if data.unserved.iter().any(|r| r == plural) {
        return Some(not_found_response());
    }
    if !data.forbidden.iter().any(|r| r == plural) {
        return None;
    }
    let qualified = if group.is_empty() {
        plural.to_owned()
    } else {
        format!("{plural}.{group}")
    };
    let scope = match namespace {
        Some(namespace) => format!("in the namespace \"{namespace}\""),
        None => "at the cluster scope".to_owned(),
    };
    Some(status_response(
        StatusCode::FORBIDDEN,
        &format!(
            "{qualified} is forbidden: User \"system:anonymous\" cannot list resource \"{plural}\" in API group \"{group}\" {scope}"
        ),
        "Forbidden",
        Some(json!({"group": group, "kind": plural})),
    ))
}

fn not_found_response() -> Response {
    status_response(
        StatusCode::NOT_FOUND,
        "the server could not find the requested resource",
        "NotFound",
        None,
    )
}

/// One page of a list: the keys to serve, and where the list goes on.
struct Page {
    keys: Vec<(String, String)>,
    continue_token: Option<String>,
    remaining: usize,
}

impl Page {
    /// The list's `metadata`.
    fn metadata(&self, rv: u64) -> Value {
        let mut metadata = json!({"resourceVersion": rv.to_string()});
        if let Some(token) = &self.continue_token {
            metadata["continue"] = json!(token);
            metadata["remainingItemCount"] = json!(self.remaining);
        }
        metadata
    }
}

/// A continue token: opaque to clients (hex of a small JSON object).
fn encode_token(generation: u64, rv: u64, last: &(String, String)) -> String {
    let text = json!({"g": generation, "rv": rv, "start": [last.0, last.1]}).to_string();
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The generation and last key of a continue token.
fn decode_token(token: &str) -> Option<(u64, (String, String))> {
    if !token.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    let value: Value = serde_json::from_slice(&bytes?).ok()?;
    let generation = value["g"].as_u64()?;
    let start = value["start"].as_array()?;
    let namespace = start.first()?.as_str()?.to_owned();
    let name = start.get(1)?.as_str()?.to_owned();
    Some((generation, (namespace, name)))
}

/// Applies `limit` and `continue` to `keys` (sorted), as the API server pages a list.
fn paginate(
    data: &mut Data,
    keys: &[(String, String)],
    query: &HashMap<String, String>,
) -> Result<Page, Box<Response>> {
    let limit: usize = match query.get("limit").map(|l| l.parse::<usize>()) {
        None => 0,
        Some(Ok(limit)) => limit,
        Some(Err(_)) => {
            return Err(Box::new(status_response(
                StatusCode::BAD_REQUEST,
                "limit: Invalid value: must be a non-negative integer",
                "BadRequest",
                None,
            )));
        }
    };
    let start = match query.get("continue").filter(|c| !c.is_empty()) {
        None => 0,
        Some(token) => {
            let Some((generation, last)) = decode_token(token) else {
                return Err(Box::new(status_response(
                    StatusCode::BAD_REQUEST,
                    "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
                    "BadRequest",
                    None,
                )));
            };
            if generation != data.token_generation {
                return Err(Box::new(status_response(
                    StatusCode::GONE,
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
                    "Expired",
                    None,
                )));
            }
            keys.partition_point(|key| *key <= last)
        }
    };
    let rest = &keys[start..];
    let take = if limit == 0 {
        rest.len()
    } else {
        limit.min(rest.len())
    };
    let page_keys = rest[..take].to_vec();
    let remaining = rest.len() - take;
    let continue_token = if remaining > 0 {
        let last = page_keys.last().cloned().unwrap_or_default();
        let token = encode_token(data.token_generation, data.rv, &last);
        if let Some(pages) = &mut data.expire_after_pages {
            *pages -= 1;
            if *pages == 0 {
                data.expire_after_pages = None;
                data.token_generation += 1;
            }
        }
        Some(token)
    } else {
        None
    };
    Ok(Page {
        keys: page_keys,
        continue_token,
        remaining,
    })
}

/// LIST of a served resource, cluster-wide (`namespace` `None`) or in one namespace.
fn list_objects(
    state: &ApiState,
    group: &str,
    version: &str,
    plural: &str,
    namespace: Option<&str>,
    query: &HashMap<String, String>,
) -> Response {
    let Some(served) = Served::by_path(group, version, plural) else {
        return not_found_response();
    };
    if namespace.is_some() && !served.namespaced {
        return not_found_response();
    }
    let mut data = lock(&state.data);
    if let Some(denied) = denied(&data, group, plural, namespace) {
        return denied;
    }
    let keys: Vec<(String, String)> = data
        .objects
        .get(&served.key())
        .map(|objects| {
            objects
                .keys()
                .filter(|(ns, _)| namespace.is_none_or(|n| n == ns))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let page = match paginate(&mut data, &keys, query) {
        Ok(page) => page,
        Err(response) => return *response,
    };
    let objects = data.objects.get(&served.key());
    let items: Vec<Value> = page
        .keys
        .iter()
        .filter_map(|key| objects?.get(key))
        .map(|object| {
            let mut item = object.clone();
            if let Some(map) = item.as_object_mut() {
                map.remove("kind");
                map.remove("apiVersion");
            }
            item
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "kind": format!("{}List", served.kind),
            "apiVersion": served.api_version(),
            "metadata": page.metadata(data.rv),
            "items": items,
        }),
    )
}

async fn list_core(
    State(state): State<Arc<ApiState>>,
    Path(resource): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list_objects(&state, "", "v1", &resource, None, &query)
}

async fn list_core_in(
    State(state): State<Arc<ApiState>>,
    Path((namespace, resource)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list_objects(&state, "", "v1", &resource, Some(&namespace), &query)
}

async fn list_group(
    State(state): State<Arc<ApiState>>,
    Path((group, version, resource)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list_objects(&state, &group, &version, &resource, None, &query)
}

async fn list_group_in(
    State(state): State<Arc<ApiState>>,
    Path((group, version, namespace, resource)): Path<(String, String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list_objects(
        &state,
        &group,
        &version,
        &resource,
        Some(&namespace),
        &query,
    )
}

/// GET of one stored object.
fn get_object(
    state: &ApiState,
    group: &str,
    version: &str,
    plural: &str,
    namespace: Option<&str>,
    name: &str,
) -> Response {
    let Some(served) = Served::by_path(group, version, plural) else {
        return not_found_response();
    };
    if served.namespaced != namespace.is_some() {
        return not_found_response();
    }
    let data = lock(&state.data);
    let key = (namespace.unwrap_or_default().to_owned(), name.to_owned());
    match data.objects.get(&served.key()).and_then(|o| o.get(&key)) {
        Some(object) => json_response(StatusCode::OK, object),
        None => {
            let qualified = if group.is_empty() {
                plural.to_owned()
            } else {
                format!("{plural}.{group}")
            };
            status_response(
                StatusCode::NOT_FOUND,
                &format!("{qualified} \"{name}\" not found"),
                "NotFound",
                Some(json!({"name": name, "group": group, "kind": plural})),
            )
        }
    }
}

async fn get_cluster_object(
    State(state): State<Arc<ApiState>>,
    Path((group, version, resource, name)): Path<(String, String, String, String)>,
) -> Response {
    get_object(&state, &group, &version, &resource, None, &name)
}

async fn get_namespaced_object(
    State(state): State<Arc<ApiState>>,
    Path((group, version, namespace, resource, name)): Path<(
        String,
        String,
        String,
        String,
        String,
    )>,
) -> Response {
    get_object(&state, &group, &version, &resource, Some(&namespace), &name)
}

/// What a server-side apply names: the path and the query.
struct ApplyTarget<'a> {
    group: &'a str,
    version: &'a str,
    plural: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

/// Server-side apply of a policy report: the object is stored as applied (uid and
/// creationTimestamp kept from an existing one), with the field manager in
/// `managedFields`.
fn apply_object(
    state: &ApiState,
    target: &ApplyTarget<'_>,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let Some(served) = Served::by_path(target.group, target.version, target.plural)
        .filter(|s| s.group == "wgpolicyk8s.io")
    else {
        return status_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "the server does not allow this method on the requested resource",
            "MethodNotAllowed",
            None,
        );
    };
    if served.namespaced != target.namespace.is_some() {
        return not_found_response();
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/apply-patch+yaml") {
        return status_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!(
                "the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml (got {content_type:?})"
            ),
            "UnsupportedMediaType",
            None,
        );
    }
    let Some(manager) = query.get("fieldManager").filter(|m| !m.is_empty()) else {
        return status_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            "Invalid",
            None,
        );
    };
    let mut object: Value = match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Value::Object(map),
        _ => {
            return status_response(
                StatusCode::BAD_REQUEST,
                "error decoding patch: the stand-in accepts JSON apply patches only",
                "BadRequest",
                None,
            );
        }
    };
    if object["apiVersion"].as_str() != Some(served.api_version().as_str())
        || object["kind"].as_str() != Some(served.kind)
    {
        return status_response(
            StatusCode::BAD_REQUEST,
            &format!(
                "the apiVersion and kind of the object ({} {}) do not match the URL ({} {})",
                object["apiVersion"],
                object["kind"],
                served.api_version(),
                served.kind
            ),
            "BadRequest",
            None,
        );
    }
    if object["metadata"]["name"].as_str() != Some(target.name) {
        return status_response(
            StatusCode::BAD_REQUEST,
            &format!(
                "the name of the object ({}) does not match the name on the URL ({})",
                object["metadata"]["name"].as_str().unwrap_or_default(),
                target.name
            ),
            "BadRequest",
            None,
        );
    }
    if let Some(namespace) = target.namespace {
        match object["metadata"]["namespace"].as_str() {
            None => object["metadata"]["namespace"] = json!(namespace),
            Some(given) if given == namespace => {}
            Some(given) => {
                return status_response(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "the namespace of the provided object ({given}) does not match the namespace sent on the request ({namespace})"
                    ),
                    "BadRequest",
                    None,
                );
            }
        }
    }
    let force = query.get("force").is_some_and(|f| f == "true");
    let mut data = lock(&state.data);
    data.rv += 1;
    let rv = data.rv;
    let key = (
        target.namespace.unwrap_or_default().to_owned(),
        target.name.to_owned(),
    );
    let existing = data
        .objects
        .get(&served.key())
        .and_then(|o| o.get(&key))
        .cloned();
    let created = existing.is_none();
    let (uid, created_at) = match &existing {
        Some(old) => (
            old["metadata"]["uid"].clone(),
            old["metadata"]["creationTimestamp"].clone(),
        ),
        None => {
            data.uids += 1;
            (
                json!(format!("00000000-0000-0000-0002-{:012}", data.uids)),
                json!("2026-01-01T00:00:00Z"),
            )
        }
    };
    object["metadata"]["uid"] = uid;
    object["metadata"]["creationTimestamp"] = created_at;
    object["metadata"]["resourceVersion"] = json!(rv.to_string());
    object["metadata"]["managedFields"] = json!([{
        "manager": manager,
        "operation": "Apply",
        "apiVersion": served.api_version(),
        "time": "2026-01-01T00:00:00Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": {},
    }]);
    data.objects
        .entry(served.key())
        .or_default()
        .insert(key, object.clone());
    data.applies.push(Applied {
        api_version: served.api_version(),
        resource: served.plural.to_owned(),
        namespace: target.namespace.map(str::to_owned),
        name: target.name.to_owned(),
        field_manager: manager.clone(),
        force,
    });
    let code = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    json_response(code, &object)
}

async fn apply_cluster_object(
    State(state): State<Arc<ApiState>>,
    Path((group, version, resource, name)): Path<(String, String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = ApplyTarget {
        group: &group,
        version: &version,
        plural: &resource,
        namespace: None,
        name: &name,
    };
    apply_object(&state, &target, &query, &headers, &body)
}

async fn apply_namespaced_object(
    State(state): State<Arc<ApiState>>,
    Path((group, version, namespace, resource, name)): Path<(
        String,
        String,
        String,
        String,
        String,
    )>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = ApplyTarget {
        group: &group,
        version: &version,
        plural: &resource,
        namespace: Some(&namespace),
        name: &name,
    };
    apply_object(&state, &target, &query, &headers, &body)
}

//! The namespace cache: a metadata watch on all namespaces with a live GET fallback.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use futures::StreamExt;
use futures::future::Either;
use k8s_openapi::api::core::v1::Namespace as K8sNamespace;
use kube::Client;
use kube::api::{Api, PartialObjectMeta};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use podsec_admission::decode::Namespace;
use podsec_admission::{LookupError, NamespaceGetter};
use tokio::sync::watch;
use tokio::task::AbortHandle;

use crate::errors::bounded;

type Map = HashMap<String, Arc<Namespace>, foldhash::fast::RandomState>;

/// [`NamespaceGetter`] backed by a watch on all namespaces, as upstream's shared informer.
///
/// [`NamespaceCache::new`] spawns a task running kube's metadata watcher (only
/// `PartialObjectMetadata` is transferred: names and labels are all admission reads). Its
/// events maintain a map of ready-made [`Arc<Namespace>`](Namespace), so a lookup is a read
/// lock, a hash lookup and a reference-count increment, with no conversion and no allocation;
/// the full objects are never kept. A re-list (after a `410 Gone`) is buffered and swapped in
/// whole when complete, so lookups never see a half-listed cache.
///
/// A lookup that misses the cache (before the first list completes, or a namespace created a
/// moment ago) makes a live `GET /api/v1/namespaces/<name>` bounded by the request's deadline,
/// exactly as upstream: `namespaces "<name>" not found` when it does not exist, `context
/// deadline exceeded` past the deadline, the connection error when the API server is
/// unreachable. Cache hits ignore the deadline.
///
/// Watch errors and dropped connections are retried by kube's watcher with its default
/// exponential backoff (0.8 s doubling to 30 s, with jitter), re-listing on `410 Gone`.
///
/// Cheap to clone (clones share the cache); the watch task stops when the last clone is
/// dropped. Must be created inside a tokio runtime.
#[derive(Clone)]
pub struct NamespaceCache {
    shared: Arc<Shared>,
    api: Api<PartialObjectMeta<K8sNamespace>>,
    _task: Arc<TaskGuard>,
}

impl std::fmt::Debug for NamespaceCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamespaceCache")
            .field("ready", &self.is_ready())
            .field("namespaces", &self.len())
            .finish_non_exhaustive()
    }
}

/// What the watch task and the lookups share.
struct Shared {
    namespaces: RwLock<Map>,
    ready: watch::Sender<bool>,
}

/// Aborts the watch task when the last [`NamespaceCache`] clone goes away.
struct TaskGuard(AbortHandle);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Readiness of a [`NamespaceCache`]: false until the first complete list of namespaces has
/// been received, then true for good (as upstream's informer `HasSynced`; later watch errors
/// keep serving the last known state while the watcher recovers). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Readiness(watch::Receiver<bool>);

impl Readiness {
    /// Whether the cache has synced.
    pub fn is_ready(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits until the cache has synced (returns at once if it has). Returns early only if
    /// the cache was dropped before syncing.
    pub async fn wait(&mut self) {
        let _ = self.0.wait_for(|ready| *ready).await;
    }

    /// The underlying channel, e.g. to combine with other readiness signals.
    pub fn into_receiver(self) -> watch::Receiver<bool> {
        self.0
    }
}

impl NamespaceCache {
    /// Starts watching namespaces with `client`.
    pub fn new(client: Client) -> Self {
        let api: Api<PartialObjectMeta<K8sNamespace>> = Api::all(client);
        let shared = Arc::new(Shared {
            namespaces: RwLock::new(Map::default()),
            ready: watch::Sender::new(false),
        });
        let task = tokio::spawn(run_watch(api.clone(), Arc::clone(&shared)));
        NamespaceCache {
            shared,
            api,
            _task: Arc::new(TaskGuard(task.abort_handle())),
        }
    }

    /// Whether the first list has completed.
    pub fn is_ready(&self) -> bool {
        *self.shared.ready.borrow()
    }

    /// A readiness handle for `/readyz`.
    pub fn readiness(&self) -> Readiness {
        Readiness(self.shared.ready.subscribe())
    }

    /// Number of namespaces in the cache.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether the cache holds no namespace.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// The cached namespace, without the live fallback.
    pub fn cached(&self, name: &str) -> Option<Arc<Namespace>> {
        self.read().get(name).cloned()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Map> {
        self.shared
            .namespaces
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl NamespaceGetter for NamespaceCache {
    fn get_namespace(
        &self,
        name: &str,
        deadline: Option<Instant>,
    ) -> impl Future<Output = Result<Arc<Namespace>, LookupError>> + Send {
        if name.is_empty() {
            return Either::Left(std::future::ready(Err(LookupError(
                "resource name may not be empty".to_owned(),
            ))));
        }
        if let Some(hit) = self.cached(name) {
            return Either::Left(std::future::ready(Ok(hit)));
        }
        let api = self.api.clone();
        let name = name.to_owned();
        Either::Right(async move {
            let path = format!("/api/v1/namespaces/{name}");
            let meta = bounded(deadline, &path, api.get(&name)).await?;
            Ok(Arc::new(convert(meta)))
        })
    }
}

/// The namespace admission reads from a metadata object.
fn convert(meta: PartialObjectMeta<K8sNamespace>) -> Namespace {
    Namespace {
        name: meta.metadata.name.unwrap_or_default(),
        labels: meta.metadata.labels.unwrap_or_default(),
    }
}

/// Runs the watcher forever, applying its events to the shared map.
async fn run_watch(api: Api<PartialObjectMeta<K8sNamespace>>, shared: Arc<Shared>) {
    let stream = watcher::watcher(api, watcher::Config::default()).default_backoff();
    let mut stream = std::pin::pin!(stream);
    // The namespaces of a (re-)list in progress, swapped in whole at its end.
    let mut relist: Option<Map> = None;
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::Init) => relist = Some(Map::default()),
            Ok(Event::InitApply(meta)) => {
                let namespace = convert(meta);
                relist
                    .get_or_insert_with(Map::default)
                    .insert(namespace.name.clone(), Arc::new(namespace));
            }
            Ok(Event::InitDone) => {
                let listed = relist.take().unwrap_or_default();
                tracing::debug!(namespaces = listed.len(), "namespace cache listed");
                *write(&shared) = listed;
                shared
                    .ready
                    .send_if_modified(|ready| !std::mem::replace(ready, true));
            }
            Ok(Event::Apply(meta)) => {
                let namespace = convert(meta);
                write(&shared).insert(namespace.name.clone(), Arc::new(namespace));
            }
            Ok(Event::Delete(meta)) => {
                if let Some(name) = meta.metadata.name.as_deref() {
                    write(&shared).remove(name);
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "namespace watch failed; retrying with backoff");
            }
        }
    }
}

fn write(shared: &Shared) -> std::sync::RwLockWriteGuard<'_, Map> {
    shared
        .namespaces
        .write()
        .unwrap_or_else(PoisonError::into_inner)
}

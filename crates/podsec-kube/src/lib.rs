//! # podsec-kube
//!
//! Kubernetes API access for the `podsec serve` webhook, with [kube](https://docs.rs/kube):
//!
//! * [`NamespaceCache`]: the engine's [`NamespaceGetter`](podsec_admission::NamespaceGetter).
//!   A metadata watch on all namespaces (labels are all admission reads) keeps an in-memory
//!   map of converted [`Namespace`](podsec_admission::decode::Namespace)s; a lookup that
//!   misses falls back to a live `GET /api/v1/namespaces/<name>` bounded by the request's
//!   deadline, as upstream does. [`NamespaceCache::readiness`] turns true once the first
//!   list has completed (`/readyz`).
//! * [`LivePodLister`]: the engine's [`PodLister`](podsec_admission::PodLister), a live
//!   `LIST /api/v1/namespaces/<ns>/pods` bounded by the deadline, decoded straight into the
//!   lean pod model.
//! * [`client`]: a kube [`Client`](kube::Client) from `--kubeconfig` or the in-cluster
//!   configuration, with upstream's client-side rate limit (`--client-qps-limit`,
//!   `--client-qps-burst`) as a token-bucket [`RateLimitLayer`].
//! * [`apiserver_version`]: the cluster's Kubernetes version from `GET /version` (its
//!   emulation version when it reports one), what `latest` means to the cluster's built-in
//!   Pod Security Admission (`podsec serve --emulation-version auto`).
//! * [`connect`]: a client for a kubeconfig context (`--kubeconfig`, `--context`, else
//!   `$KUBECONFIG` / `~/.kube/config` and its current context), for the CLI.
//! * [`listing`]: cluster-wide, paginated LIST of namespaces, pods and every workload kind,
//!   page by page, restarting once on an expired continue token.
//! * [`apply`]: server-side apply of `wgpolicyk8s.io/v1alpha2` policy reports.
//! * `testing` (feature `testing`): [`testing::FakeApiServer`], an in-process stand-in of the
//!   Kubernetes API for tests.
//!
//! Errors of lookups carry upstream's texts (see [`LookupError`](podsec_admission::LookupError)):
//! the API server's message (`namespaces "x" not found`), `context deadline exceeded` when
//! the deadline passes, or `Get "<path>": <cause>` when the API server cannot be reached.
//!
//! TLS uses rustls with the `ring` provider (no aws-lc, no cmake needed to build).
//!
//! Wiring the webhook's engine:
//!
//! ```no_run
//! # async fn wire(config: podsec_admission::config::AdmissionConfig) -> Result<(), podsec_kube::Error> {
//! use podsec_admission::{Admission, NoopRecorder};
//! use podsec_kube::{LivePodLister, NamespaceCache};
//!
//! // `--kubeconfig` (or in-cluster), `--client-qps-limit`, `--client-qps-burst`.
//! let client = podsec_kube::client(None, 20.0, 50).await?;
//! let namespaces = NamespaceCache::new(client.clone()); // starts the watch
//! let readiness = namespaces.readiness(); // `/readyz`: `readiness.is_ready()`
//! let engine = Admission::new(config, namespaces, LivePodLister::new(client), NoopRecorder);
//! # let _ = (engine, readiness);
//! # Ok(())
//! # }
//! ```

pub mod apply;
mod client;
mod errors;
pub mod listing;
mod namespaces;
mod pods;
mod ratelimit;
mod version;

#[cfg(feature = "testing")]
pub mod testing;

pub use client::{Connection, Error, client, client_from_config, connect};
pub use namespaces::{NamespaceCache, Readiness};
pub use pods::LivePodLister;
pub use ratelimit::{RateLimit, RateLimitLayer};
pub use version::{
    ClusterVersion, VersionError, apiserver_version, parse_git_version, parse_major_minor,
    version_of,
};

/// The kube crate this crate is built with (so callers name the same `Client` type).
pub use kube;

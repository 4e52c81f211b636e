//! # podsec-server
//!
//! The Pod Security Admission webhook server behind `podsec serve`: a drop-in replacement for
//! upstream's standalone webhook (spec §11), built on the [`podsec_admission`] engine.
//!
//! * [`router()`]: the HTTP surface, driven in-process by tests. AdmissionReview handling on
//!   every path except the exact health and metrics paths, with upstream's status codes and
//!   texts (`?timeout=` deadline, empty body, 3 MiB limit, content type, decode errors), a
//!   fresh response per request;
//! * [`Metrics`]: upstream's three counters (a [`podsec_admission::Recorder`]) plus
//!   `pod_security_webhook_request_duration_seconds`,
//!   `pod_security_webhook_reload_errors_total` and `podsec_emulation_version_info`;
//! * [`emulation`]: what `latest` means (`--emulation-version`): the API server's version,
//!   read at start and refreshed, a fixed `v1.N`, or no cap as upstream's webhook;
//! * [`Server`]: HTTPS only for admission (rustls with ring, TLS 1.2+, HTTP/1.1 and HTTP/2),
//!   optional plain-HTTP health/metrics ports, hot reload of the configuration and of the TLS
//!   pair, graceful shutdown.
//!
//! The server is generic over the lookups ([`NamespaceGetter`](podsec_admission::NamespaceGetter),
//! [`PodLister`](podsec_admission::PodLister)): tests use the in-memory ones, the binary the
//! Kubernetes API.
//!
//! Deliberate differences from upstream's webhook:
//! * a review without `request` gets `400 admission review has no request` (upstream crashes
//!   and closes the connection);
//! * `admission.k8s.io/v1beta1` reviews are answered in kind (upstream: `400 unable to decode
//!   the request`);
//! * YAML bodies (accepted by upstream although the content type must say JSON) are
//!   `400 unable to decode the request`;
//! * the reply is the review with `apiVersion`, `kind` and `response` only (upstream echoes
//!   the request too, which the API server ignores), with `Content-Type: application/json`;
//! * missing or invalid TLS files fail start-up with a clear error (upstream panics or serves
//!   failing handshakes);
//! * `/readyz` also fails (`[-]shutdown failed`) once shutdown has begun;
//! * `latest` (and any newer `*-version` label) can be capped at the cluster's version, as the
//!   built-in controller caps it ([`emulation`]; upstream's webhook has no cap).

pub mod duration;
pub mod emulation;
pub mod health;
pub mod logging;
pub mod lookup;
pub mod metrics;
pub mod policy;
pub mod reload;
pub mod router;
pub mod serve;
pub mod tls;

pub use emulation::{Cap, CapSource, Emulation, EmulationSetting, VersionSource};
pub use health::Readiness;
pub use logging::LogFormat;
pub use lookup::Shared;
pub use metrics::{KUBERNETES_MINOR, Metrics, ReloadSource};
pub use router::{AppState, Engine, MAX_BODY_BYTES, health_router, router};
pub use serve::{Server, ServerOptions, StartError, shutdown_signal};

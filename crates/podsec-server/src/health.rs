//! Liveness and readiness: `/healthz`, `/healthz/ping`, `/readyz`, `/readyz/informer-sync`
//! with upstream's bodies (spec §11.3), and the [`Readiness`] source they read.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// Whether the server is ready: the caller's source (the namespace cache has synced) and,
/// once shutdown has begun, never.
#[derive(Clone)]
pub struct Readiness {
    source: Arc<dyn Fn() -> bool + Send + Sync>,
    draining: Arc<AtomicBool>,
}

impl fmt::Debug for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readiness")
            .field("synced", &self.synced())
            .field("draining", &self.is_draining())
            .finish()
    }
}

impl Readiness {
    /// Ready as long as the server is not shutting down (no cache to wait for).
    pub fn always() -> Self {
        Readiness::from_fn(|| true)
    }

    /// Ready when `flag` is true.
    pub fn from_flag(flag: Arc<AtomicBool>) -> Self {
        Readiness::from_fn(move || flag.load(Ordering::Acquire))
    }

    /// Ready when the last value sent on the channel is true.
    pub fn from_watch(receiver: tokio::sync::watch::Receiver<bool>) -> Self {
        Readiness::from_fn(move || *receiver.borrow())
    }

    /// Ready when `source` returns true.
    pub fn from_fn(source: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        Readiness {
            source: Arc::new(source),
            draining: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether the caller's source reports synced (the `informer-sync` check).
    pub fn synced(&self) -> bool {
        (self.source)()
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    /// Marks the server as shutting down: `/readyz` fails from now on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }

    /// Whether `/readyz` succeeds.
    pub fn is_ready(&self) -> bool {
        !self.is_draining() && self.synced()
    }
}

/// A `text/plain; charset=utf-8` response with `X-Content-Type-Options: nosniff`.
pub(crate) fn text(status: StatusCode, body: impl Into<String>) -> Response {
    let mut response = (status, body.into()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Query keys (`verbose`, `exclude`) and their values.
fn query_pairs(uri: &Uri) -> impl Iterator<Item = (&str, &str)> {
    uri.query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

fn has_key(uri: &Uri, key: &str) -> bool {
    query_pairs(uri).any(|(k, _)| k == key)
}

/// `/healthz`: always `ok`; `?verbose` lists the `ping` check.
pub(crate) fn healthz(uri: &Uri) -> Response {
    if has_key(uri, "verbose") {
        text(StatusCode::OK, "[+]ping ok\nhealthz check passed\n")
    } else {
        text(StatusCode::OK, "ok")
    }
}

/// `/healthz/ping`.
pub(crate) fn ping() -> Response {
    text(StatusCode::OK, "ok")
}

/// `/readyz`: the `informer-sync` check (excludable with `?exclude=informer-sync`) and,
/// during shutdown, a failing `shutdown` check.
pub(crate) fn readyz(uri: &Uri, readiness: &Readiness) -> Response {
    let excluded = query_pairs(uri).any(|(k, v)| k == "exclude" && v == "informer-sync");
    let verbose = has_key(uri, "verbose");
    let synced = excluded || readiness.synced();
    let draining = readiness.is_draining();
    if synced && !draining {
        return if verbose {
            let line = if excluded {
                "[+]informer-sync excluded: ok\n"
            } else {
                "[+]informer-sync ok\n"
            };
            text(StatusCode::OK, format!("{line}readyz check passed\n"))
        } else {
            text(StatusCode::OK, "ok")
        };
    }
    let mut body = String::new();
    body.push_str(if synced {
        "[+]informer-sync ok\n"
    } else {
        "[-]informer-sync failed: reason withheld\n"
    });
    if draining {
        body.push_str("[-]shutdown failed: reason withheld\n");
    }
    body.push_str("readyz check failed\n");
    text(StatusCode::INTERNAL_SERVER_ERROR, body)
}

/// `/readyz/informer-sync`.
pub(crate) fn informer_sync(readiness: &Readiness) -> Response {
    if readiness.synced() {
        text(StatusCode::OK, "ok")
    } else {
        text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal server error: 1 informers not started yet: [*v1.Namespace]\n",
        )
    }
}

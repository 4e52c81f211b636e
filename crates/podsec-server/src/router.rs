//! The HTTP surface: [`router`] (admission reviews on every path except the health and
//! metrics paths, spec §11.3–§11.4), [`health_router`] (health and metrics only, for the
//! optional plain-HTTP ports), and the shared [`AppState`] holding the swappable engine.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, ArcSwapOption};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use podsec_admission::config::AdmissionConfig;
use podsec_admission::extension::Extension;
use podsec_admission::mutate::SecureDefaults;
use podsec_admission::review::{ReviewError, decode_review, encode_review};
use podsec_admission::{Admission, NamespaceGetter, PodLister};
use podsec_policy::Registry;

use crate::duration::parse_go_duration;
use crate::emulation::Cap;
use crate::health::{self, Readiness, text};
use crate::lookup::Shared;
use crate::metrics::{self, Metrics};

/// Bodies of this many bytes or more are refused with `413` (upstream: 3 MiB; the largest
/// accepted body is one byte less).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// The engine type the server runs: lookups shared across configuration reloads, metrics
/// recorded into [`Metrics`].
pub type Engine<N, P> = Admission<Shared<N>, Shared<P>, Metrics>;

/// Everything the handlers share: the engine (swapped atomically when the configuration is
/// reloaded or the emulation-version cap changes), the lookups it is rebuilt from, metrics
/// and readiness.
pub struct AppState<N, P> {
    engine: ArcSwap<Engine<N, P>>,
    /// The cap in force and its registry (`None` until [`AppState::set_emulation`]: the
    /// engine's default, uncapped registry). Held while an engine is rebuilt, so a
    /// configuration reload and a cap change never undo each other.
    emulation: Mutex<Option<(Cap, Arc<Registry>)>>,
    /// The opt-in policy's extension of the engine, if a policy is loaded.
    extension: Mutex<Option<Arc<dyn Extension>>>,
    /// The opt-in policy's secure defaults, answered on `/mutate` (`None`: no policy loaded,
    /// and `/mutate` validates like every other path, as upstream's webhook does).
    mutation: ArcSwapOption<MutationPolicy>,
    namespaces: Shared<N>,
    pods: Shared<P>,
    metrics: Metrics,
    readiness: Readiness,
}

impl<N, P> fmt::Debug for AppState<N, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("readiness", &self.readiness)
            .finish_non_exhaustive()
    }
}

impl<N, P> AppState<N, P>
where
    N: NamespaceGetter + 'static,
    P: PodLister + 'static,
{
    /// State serving `config` with the given lookups, metrics and readiness.
    pub fn new(
        config: AdmissionConfig,
        namespaces: N,
        pods: P,
        metrics: Metrics,
        readiness: Readiness,
    ) -> Arc<Self> {
        let namespaces = Shared(Arc::new(namespaces));
        let pods = Shared(Arc::new(pods));
        let engine = Admission::new(config, namespaces.clone(), pods.clone(), metrics.clone());
        Arc::new(AppState {
            engine: ArcSwap::from_pointee(engine),
            emulation: Mutex::new(None),
            extension: Mutex::new(None),
            mutation: ArcSwapOption::empty(),
            namespaces,
            pods,
            metrics,
            readiness,
        })
    }

    /// Replaces the configuration, keeping the emulation-version cap in force: requests that
    /// already started finish with the old engine, new ones use the new one.
    pub fn set_config(&self, config: AdmissionConfig) {
        let emulation = lock(&self.emulation);
        let registry = emulation.as_ref().map(|(_, registry)| Arc::clone(registry));
        self.engine.store(Arc::new(self.build(config, registry)));
    }

    /// Applies an emulation-version cap (what `latest` and newer versions evaluate as) with
    /// the configuration in force, and sets the info metric; logs the version in force the
    /// first time and whenever it changes. Returns whether anything changed. Requests that
    /// already started finish with the old engine.
    pub fn set_emulation(&self, cap: Cap) -> bool {
        let mut emulation = lock(&self.emulation);
        let previous = emulation
            .as_ref()
            .map(|(cap, registry)| (*cap, registry.newest()));
        if previous.is_some_and(|(previous, _)| previous == cap) {
            return false;
        }
        let registry = cap.registry();
        let effective = registry.newest();
        let config = self.engine.load().config().clone();
        self.engine
            .store(Arc::new(self.build(config, Some(Arc::clone(&registry)))));
        *emulation = Some((cap, Arc::clone(&registry)));
        self.metrics
            .set_emulation_info(&effective.to_string(), cap.source.as_str());
        drop(emulation);
        let requested = cap
            .version
            .map_or_else(|| "none".to_owned(), |version| version.to_string());
        match previous {
            None => tracing::info!(
                version = %effective,
                cap = %requested,
                source = cap.source.as_str(),
                "`latest` and newer policy versions evaluate as {effective}"
            ),
            Some((_, before)) => tracing::info!(
                version = %effective,
                previous = %before,
                cap = %requested,
                source = cap.source.as_str(),
                "emulation version changed: `latest` and newer policy versions now evaluate as {effective}"
            ),
        }
        true
    }

    /// Replaces the opt-in policy: the engine's extension and `/mutate`'s secure defaults
    /// (`None`: no policy; every answer is upstream's). Requests that already started finish
    /// with the old engine.
    pub fn set_policy(
        &self,
        extension: Option<Arc<dyn Extension>>,
        mutation: Option<Arc<MutationPolicy>>,
    ) {
        let emulation = lock(&self.emulation);
        let registry = emulation.as_ref().map(|(_, registry)| Arc::clone(registry));
        *lock(&self.extension) = extension;
        let config = self.engine.load().config().clone();
        self.engine.store(Arc::new(self.build(config, registry)));
        self.mutation.store(mutation);
    }

    /// The emulation-version cap in force (`None` before [`AppState::set_emulation`]).
    pub fn emulation(&self) -> Option<Cap> {
        lock(&self.emulation).as_ref().map(|(cap, _)| *cap)
    }

    fn build(&self, config: AdmissionConfig, registry: Option<Arc<Registry>>) -> Engine<N, P> {
        let engine = Admission::new(
            config,
            self.namespaces.clone(),
            self.pods.clone(),
            self.metrics.clone(),
        );
        let engine = engine.with_extension(lock(&self.extension).clone());
        match registry {
            Some(registry) => engine.with_registry(registry),
            None => engine,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> AdmissionConfig {
        self.engine.load().config().clone()
    }

    /// The namespace lookup.
    pub fn namespaces(&self) -> &N {
        &self.namespaces.0
    }

    /// The pod lister.
    pub fn pods(&self) -> &P {
        &self.pods.0
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The readiness source.
    pub fn readiness(&self) -> &Readiness {
        &self.readiness
    }
}

/// What `/mutate` answers with when a policy configures secure defaults: for the labels of
/// a request's namespace, the defaults its pods get (`None`: the namespace does not opt in).
pub struct MutationPolicy {
    select: Box<SelectDefaults>,
}

/// Chooses secure defaults from a namespace's labels.
type SelectDefaults = dyn Fn(&BTreeMap<String, String>) -> Option<SecureDefaults> + Send + Sync;

impl MutationPolicy {
    /// Secure defaults chosen by `select`.
    pub fn new(
        select: impl Fn(&BTreeMap<String, String>) -> Option<SecureDefaults> + Send + Sync + 'static,
    ) -> Self {
        MutationPolicy {
            select: Box::new(select),
        }
    }
}

impl fmt::Debug for MutationPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutationPolicy").finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The HTTPS router: `/healthz`, `/healthz/ping`, `/readyz`, `/readyz/informer-sync`,
/// `/metrics` (exact paths, any method), and the admission review handler on every other path.
pub fn router<N, P>(state: Arc<AppState<N, P>>) -> Router
where
    N: NamespaceGetter + 'static,
    P: PodLister + 'static,
{
    health_routes::<N, P>()
        .route("/mutate", any(mutate::<N, P>))
        .fallback(admit::<N, P>)
        .with_state(state)
}

/// The plain-HTTP router of `--health-port`/`--metrics-port`: only the health and metrics
/// paths; everything else is `404`.
pub fn health_router<N, P>(state: Arc<AppState<N, P>>) -> Router
where
    N: NamespaceGetter + 'static,
    P: PodLister + 'static,
{
    health_routes::<N, P>()
        .fallback(|| async { text(StatusCode::NOT_FOUND, "404 page not found\n") })
        .with_state(state)
}

fn health_routes<N, P>() -> Router<Arc<AppState<N, P>>>
where
    N: NamespaceGetter + 'static,
    P: PodLister + 'static,
{
    Router::new()
        .route(
            "/healthz",
            any(|uri: Uri| async move { health::healthz(&uri) }),
        )
        .route("/healthz/ping", any(|| async { health::ping() }))
        .route(
            "/readyz",
            any(
                |State(state): State<Arc<AppState<N, P>>>, uri: Uri| async move {
                    health::readyz(&uri, &state.readiness)
                },
            ),
        )
        .route(
            "/readyz/informer-sync",
            any(|State(state): State<Arc<AppState<N, P>>>| async move {
                health::informer_sync(&state.readiness)
            }),
        )
        .route(
            "/metrics",
            any(|State(state): State<Arc<AppState<N, P>>>| async move {
                let mut response = state.metrics.render().into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(metrics::CONTENT_TYPE),
                );
                response
            }),
        )
}

/// The deadline of `?timeout=<Go duration>` (first occurrence; unparseable values ignored).
fn deadline(uri: &Uri, now: Instant) -> Option<Instant> {
    let value = uri
        .query()?
        .split('&')
        .filter_map(|p| p.split_once('=').or(Some((p, ""))))
        .find(|(k, _)| *k == "timeout")?
        .1;
    let nanos = parse_go_duration(value)?;
    let magnitude = Duration::from_nanos(nanos.unsigned_abs());
    if nanos >= 0 {
        now.checked_add(magnitude)
    } else {
        Some(now.checked_sub(magnitude).unwrap_or(now))
    }
}

/// The admission review handler (spec §11.4, in upstream's order).
async fn admit<N, P>(State(state): State<Arc<AppState<N, P>>>, request: Request) -> Response
where
    N: NamespaceGetter + 'static,
    P: PodLister + 'static,
{
    let started = Instant::now();
    let (response, resource, decision) = handle(&state, request, started).await;
    state
        .metrics
        .observe_request(resource, decision, started.elapsed());
    response
}

/// `/mutate`: secure defaults when the loaded policy configures them; without a policy,
/// the admission review handler, as on every other path.
async fn mutate<N, P>(State(state): State<Arc<AppState<N, P>>>, request: Request) -> Response
where
    N: NamespaceGetter + 'static,
    P: PodLister + 'static,
{
    let Some(policy) = state.mutation.load_full() else {
        return admit(State(state), request).await;
    };
    let started = Instant::now();
    let (version, review) = match read_review(request, started).await {
        Ok(read) => read,
        Err(failed) => {
            state
                .metrics
                .observe_request("unknown", "error", started.elapsed());
            return failed;
        }
    };
    let engine = state.engine.load_full();
    let response = engine
        .mutate(&review, |labels| (policy.select)(labels))
        .await;
    let resource = review.resource_class().metric_label();
    let patched = response.patch.is_some();
    if review.resource_class() == podsec_admission::ResourceClass::Pod {
        let decision = if patched { "patch" } else { "allow" };
        state
            .metrics
            .record_policy_rule("secureDefaults", decision, "mutate");
    }
    tracing::debug!(
        uid = %review.uid,
        namespace = %review.namespace,
        name = %review.name,
        patched,
        "mutating admission review"
    );
    let reply = reply(version, &review.uid, &response);
    state
        .metrics
        .observe_request(resource, "allow", started.elapsed());
    reply
}

fn reply(
    version: podsec_admission::review::ReviewVersion,
    uid: &str,
    response: &podsec_admission::Response,
) -> Response {
    let mut body = encode_review(version, uid, response);
    body.push(b'\n');
    let mut reply = Response::new(Body::from(body));
    reply.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    reply
}

async fn handle<N, P>(
    state: &AppState<N, P>,
    request: Request,
    now: Instant,
) -> (Response, &'static str, &'static str)
where
    N: NamespaceGetter + 'static,
    P: PodLister + 'static,
{
    let (version, review) = match read_review(request, now).await {
        Ok(read) => read,
        Err(failed) => return (failed, "unknown", "error"),
    };

    // 6. Evaluate with the engine in force now; a fresh response per request.
    let engine = state.engine.load_full();
    let response = engine.validate(&review).await;
    let resource = review.resource_class().metric_label();
    let decision = if response.allowed { "allow" } else { "deny" };
    tracing::debug!(
        uid = %review.uid,
        namespace = %review.namespace,
        name = %review.name,
        kind = %review.kind.kind,
        operation = %review.operation.metric_label(),
        decision,
        "admission review"
    );
    (reply(version, &review.uid, &response), resource, decision)
}

/// Steps 2 to 5 of the review handler: the body read, checked and decoded into a review
/// (with the request's deadline), or the plain-text failure reply.
async fn read_review(
    request: Request,
    now: Instant,
) -> Result<
    (
        podsec_admission::review::ReviewVersion,
        podsec_admission::Request,
    ),
    Response,
> {
    let fail = |status: StatusCode, message: &str| text(status, format!("{message}\n"));
    let (parts, body) = request.into_parts();
    let deadline = deadline(&parts.uri, now);

    // 2. No body at all (Go's http.NoBody).
    let declared_empty = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() == b"0");
    if declared_empty || http_body::Body::is_end_stream(&body) {
        return Err(fail(StatusCode::BAD_REQUEST, "request body is empty"));
    }

    // 3. At most MAX_BODY_BYTES - 1 bytes.
    let bytes = match read_body(body).await {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge) => {
            return Err(fail(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("request entity is too large; limit is {MAX_BODY_BYTES} bytes"),
            ));
        }
        Err(BodyError::Read) => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "unable to read the body from the incoming request",
            ));
        }
    };

    // 4. Exactly `application/json`.
    if parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes() != b"application/json")
    {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "unable to process a request with a non-json content type",
        ));
    }

    // 5. Decode.
    // A body of `null`, or a chunked body with no content, decodes upstream to a review
    // without `request` (and crashes): answered like a missing `request`.
    let decoded = match decode_review(&bytes) {
        Err(ReviewError::Undecodable(_)) if matches!(bytes.trim_ascii(), b"null" | b"") => {
            Err(ReviewError::MissingRequest)
        }
        other => other,
    };
    let (version, mut review) = match decoded {
        Ok(decoded) => decoded,
        Err(err @ (ReviewError::Undecodable(_) | ReviewError::UnexpectedKind(_))) => {
            tracing::debug!(error = ?err, "undecodable admission review");
            return Err(fail(StatusCode::BAD_REQUEST, &err.to_string()));
        }
        Err(err @ ReviewError::MissingRequest) => {
            return Err(fail(StatusCode::BAD_REQUEST, &err.to_string()));
        }
    };
    drop(bytes);
    review.deadline = deadline;

    Ok((version, review))
}

enum BodyError {
    TooLarge,
    Read,
}

async fn read_body(body: Body) -> Result<axum::body::Bytes, BodyError> {
    match Limited::new(body, MAX_BODY_BYTES - 1).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Read),
    }
}

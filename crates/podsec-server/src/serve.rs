//! Start-up and serving: [`Server::bind`] loads the configuration and the TLS pair (failing
//! with a clear error, where upstream panics), applies the emulation-version cap (reading the
//! API server's version once for `auto`; a failure there never stops the start) and binds the
//! listeners; [`Server::run`] serves HTTPS (HTTP/1.1 and HTTP/2 by ALPN) and the optional
//! plain-HTTP health/metrics ports, runs the reload watchers and the version refresh, and on
//! shutdown turns readiness false, stops accepting,
//! lets in-flight requests finish (bounded by a grace period) and returns.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use podsec_admission::config::{AdmissionConfig, ConfigError};
use podsec_admission::{NamespaceGetter, PodLister};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::emulation::{Emulation, Start, start, watch_version};
use crate::health::Readiness;
use crate::metrics::Metrics;
use crate::reload::{config_from_bytes, watch_config, watch_policy, watch_tls};
use crate::router::{AppState, health_router, router};
use crate::tls::{CertStore, TlsError, parse_pair, read_pair, server_config};

/// What the server needs to start.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// HTTPS address (`--bind-address`:`--secure-port`).
    pub secure_addr: SocketAddr,
    /// Plain-HTTP health and metrics addresses (`--health-port`, `--metrics-port`); the same
    /// address given twice is bound once.
    pub plain_addrs: Vec<SocketAddr>,
    /// Serving certificate chain, PEM.
    pub tls_cert_file: PathBuf,
    /// Serving private key, PEM.
    pub tls_key_file: PathBuf,
    /// PodSecurityConfiguration (or AdmissionConfiguration) file; `None`: upstream's defaults.
    pub config_file: Option<PathBuf>,
    /// podsec's opt-in `PodsecPolicy` file; `None`: no policy, every answer upstream's.
    pub policy_file: Option<PathBuf>,
    /// How often the configuration and TLS files are checked for changes.
    pub reload_interval: Duration,
    /// Offer HTTP/2 (ALPN `h2`).
    pub http2: bool,
    /// After the shutdown signal: how long to keep serving with readiness false, so load
    /// balancers stop sending traffic before the listeners close.
    pub shutdown_delay: Duration,
    /// After the listeners close: how long in-flight requests may take to finish.
    pub shutdown_grace: Duration,
    /// What `latest` and newer policy versions evaluate as (see [`crate::emulation`]).
    pub emulation: Emulation,
}

impl ServerOptions {
    /// Options with upstream's defaults (`0.0.0.0:8443`, no emulation-version cap), a 2 s
    /// reload interval, HTTP/2, no shutdown delay and a 30 s grace period.
    pub fn new(tls_cert_file: PathBuf, tls_key_file: PathBuf) -> Self {
        ServerOptions {
            secure_addr: SocketAddr::from(([0, 0, 0, 0], 8443)),
            plain_addrs: Vec::new(),
            tls_cert_file,
            tls_key_file,
            config_file: None,
            policy_file: None,
            reload_interval: Duration::from_secs(2),
            http2: true,
            shutdown_delay: Duration::ZERO,
            shutdown_grace: Duration::from_secs(30),
            emulation: Emulation::Off,
        }
    }
}

/// A start-up failure.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration file cannot be read or is invalid.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// The policy file cannot be read or is invalid.
    #[error("{0}")]
    Policy(String),
    /// The TLS pair cannot be loaded.
    #[error("loading the serving certificate: {0}")]
    Tls(#[from] TlsError),
    /// A listener cannot be bound.
    #[error("listening on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// A bound, not yet serving, webhook server.
#[derive(Debug)]
pub struct Server<N, P> {
    options: ServerOptions,
    state: Arc<AppState<N, P>>,
    store: Arc<CertStore>,
    tls_initial: (Vec<u8>, Vec<u8>),
    config_initial: Vec<u8>,
    policy_initial: Vec<u8>,
    emulation_start: Start,
    secure: TcpListener,
    plain: Vec<TcpListener>,
}

/// Loads the configuration file (empty path or `None`: defaults) and returns it with the
/// bytes read.
pub fn load_config(
    path: Option<&std::path::Path>,
) -> Result<(AdmissionConfig, Vec<u8>), ConfigError> {
    match path {
        Some(path) if !path.as_os_str().is_empty() => {
            let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            Ok((config_from_bytes(&bytes, path)?, bytes))
        }
        _ => Ok((AdmissionConfig::default(), Vec::new())),
    }
}

impl<N, P> Server<N, P>
where
    N: NamespaceGetter + 'static,
    P: PodLister + 'static,
{
    /// Loads the configuration and the TLS pair, applies the emulation-version cap (for
    /// `auto`, one read of the API server's version, bounded by
    /// [`FETCH_TIMEOUT`](crate::emulation::FETCH_TIMEOUT); without an answer, no cap), then
    /// binds every listener.
    pub async fn bind(
        options: ServerOptions,
        namespaces: N,
        pods: P,
        metrics: Metrics,
        readiness: Readiness,
    ) -> Result<Self, StartError> {
        let (config, config_initial) = load_config(options.config_file.as_deref())?;
        let policy = match options.policy_file.as_deref() {
            Some(path) if !path.as_os_str().is_empty() => {
                Some(crate::policy::load_policy(path).map_err(StartError::Policy)?)
            }
            _ => None,
        };
        let (cert, key) = read_pair(&options.tls_cert_file, &options.tls_key_file)?;
        let pair = parse_pair(&cert, &key, &options.tls_cert_file, &options.tls_key_file)?;
        let store = CertStore::new(pair);
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| StartError::Bind { addr, source })
        };
        let secure = bind(options.secure_addr).await?;
        let mut plain = Vec::new();
        let mut seen = Vec::new();
        for &addr in &options.plain_addrs {
            if !seen.contains(&addr) {
                seen.push(addr);
                plain.push(bind(addr).await?);
            }
        }
        let state = AppState::new(config, namespaces, pods, metrics, readiness);
        let policy_initial = match policy {
            Some((policy, bytes)) => {
                crate::policy::apply(&state, policy);
                bytes
            }
            None => Vec::new(),
        };
        let emulation_start = start(&options.emulation).await;
        state.set_emulation(emulation_start.cap);
        Ok(Server {
            options,
            state,
            store,
            tls_initial: (cert, key),
            config_initial,
            policy_initial,
            emulation_start,
            secure,
            plain,
        })
    }

    /// The bound HTTPS address (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.secure.local_addr()
    }

    /// The bound plain-HTTP addresses, in the order of [`ServerOptions::plain_addrs`]
    /// (duplicates removed).
    pub fn plain_addrs(&self) -> std::io::Result<Vec<SocketAddr>> {
        self.plain.iter().map(TcpListener::local_addr).collect()
    }

    /// The shared state (engine, metrics, readiness).
    pub fn state(&self) -> &Arc<AppState<N, P>> {
        &self.state
    }

    /// The certificate store (to inspect the pair in force).
    pub fn cert_store(&self) -> &Arc<CertStore> {
        &self.store
    }

    /// Serves until `shutdown` completes, then drains: readiness false, wait
    /// [`ServerOptions::shutdown_delay`], close the listeners, let in-flight requests finish
    /// within [`ServerOptions::shutdown_grace`].
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), StartError> {
        let Server {
            options,
            state,
            store,
            tls_initial,
            config_initial,
            policy_initial,
            emulation_start,
            secure,
            plain,
        } = self;
        let tls = server_config(Arc::clone(&store), options.http2)?;
        let mut watchers = Vec::new();
        watchers.push(tokio::spawn(watch_tls(
            Arc::clone(&store),
            state.metrics().clone(),
            options.tls_cert_file.clone(),
            options.tls_key_file.clone(),
            options.reload_interval,
            tls_initial,
        )));
        if let Some(path) = options
            .config_file
            .clone()
            .filter(|p| !p.as_os_str().is_empty())
        {
            watchers.push(tokio::spawn(watch_config(
                Arc::clone(&state),
                path,
                options.reload_interval,
                config_initial,
            )));
        }
        if let Some(path) = options
            .policy_file
            .clone()
            .filter(|p| !p.as_os_str().is_empty())
        {
            watchers.push(tokio::spawn(watch_policy(
                Arc::clone(&state),
                path,
                options.reload_interval,
                policy_initial,
            )));
        }
        if let Emulation::Auto { source, refresh } = &options.emulation {
            watchers.push(tokio::spawn(watch_version(
                Arc::clone(&state),
                Arc::clone(source),
                *refresh,
                emulation_start,
            )));
        }

        let (stop_tx, stop_rx) = watch::channel(false);
        let mut loops = Vec::new();
        if let Ok(addr) = secure.local_addr() {
            tracing::info!(%addr, "serving admission reviews over HTTPS");
        }
        loops.push(tokio::spawn(accept_loop(
            secure,
            router(Arc::clone(&state)),
            Some(TlsAcceptor::from(tls)),
            options.http2,
            stop_rx.clone(),
            options.shutdown_grace,
        )));
        for listener in plain {
            if let Ok(addr) = listener.local_addr() {
                tracing::info!(%addr, "serving health and metrics over plain HTTP");
            }
            loops.push(tokio::spawn(accept_loop(
                listener,
                health_router(Arc::clone(&state)),
                None,
                true,
                stop_rx.clone(),
                options.shutdown_grace,
            )));
        }

        shutdown.await;
        tracing::info!("shutting down: readiness off, draining in-flight requests");
        state.readiness().start_draining();
        if !options.shutdown_delay.is_zero() {
            tokio::time::sleep(options.shutdown_delay).await;
        }
        let _ = stop_tx.send(true);
        for handle in loops {
            let _ = handle.await;
        }
        for watcher in watchers {
            watcher.abort();
        }
        tracing::info!("shut down");
        Ok(())
    }
}

/// Accepts connections until `stop` turns true, then waits up to `grace` for open
/// connections to finish their in-flight requests.
async fn accept_loop(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    http2: bool,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) {
    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                // E.g. too many open files: back off instead of spinning.
                tracing::warn!(error = %err, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let tls = tls.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let mut builder = auto::Builder::new(TokioExecutor::new());
            // A client gets 30 s to send its request headers (slowloris protection).
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30));
            builder.http2().timer(TokioTimer::new());
            if !http2 {
                builder = builder.http1_only();
            }
            let result = match tls {
                Some(acceptor) => {
                    let stream =
                        match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp))
                            .await
                        {
                            Ok(Ok(stream)) => stream,
                            Ok(Err(err)) => {
                                tracing::debug!(%peer, error = %err, "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!(%peer, "TLS handshake timed out");
                                return;
                            }
                        };
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(conn).await
                }
                None => {
                    let conn = builder.serve_connection(TokioIo::new(tcp), service);
                    watcher.watch(conn).await
                }
            };
            if let Err(err) = result {
                tracing::debug!(%peer, error = %err, "connection error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("grace period over; closing the remaining connections");
    }
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received SIGINT"),
        () = term => tracing::info!("received SIGTERM"),
    }
}

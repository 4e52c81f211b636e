//! Hot reload: the `--config` file, the `--policy` file and the TLS certificate/key are
//! polled (content compared, so symlink swaps of Kubernetes ConfigMap and Secret volumes are
//! seen) and applied when they change. A new file that does not load is rejected with an error log and the reload-error
//! metric; the previous configuration, policy or certificate stays in force.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use podsec_admission::config::{AdmissionConfig, ConfigError, load_any};
use podsec_admission::{NamespaceGetter, PodLister};

use crate::metrics::{Metrics, ReloadSource};
use crate::router::AppState;
use crate::tls::{CertStore, parse_pair};

/// Loads a PodSecurityConfiguration (or an AdmissionConfiguration holding one) from `bytes`
/// read from `path`, and runs the start-up checks.
pub fn config_from_bytes(bytes: &[u8], path: &Path) -> Result<AdmissionConfig, ConfigError> {
    let config = load_any(bytes, path.parent(), |p| std::fs::read(p))?;
    AdmissionConfig::new(&config)
}

/// Reads every file; `None` if one cannot be read.
fn read_all(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, String> {
    paths
        .iter()
        .map(|p| std::fs::read(p).map_err(|e| format!("reading {}: {e}", p.display())))
        .collect()
}

/// Polls `paths` every `interval`; calls `apply` with their contents whenever they differ
/// from the last contents seen (initially `initial`). Unreadable files are reported once per
/// distinct error through `on_read_error`.
async fn poll(
    paths: Vec<PathBuf>,
    interval: Duration,
    initial: Vec<Vec<u8>>,
    mut apply: impl FnMut(&[Vec<u8>]) + Send,
    mut on_read_error: impl FnMut(&str) + Send,
) {
    let mut last = initial;
    let mut last_error: Option<String> = None;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        match read_all(&paths) {
            Ok(contents) => {
                last_error = None;
                if contents != last {
                    apply(&contents);
                    last = contents;
                }
            }
            Err(err) => {
                if last_error.as_deref() != Some(err.as_str()) {
                    on_read_error(&err);
                    last_error = Some(err);
                }
            }
        }
    }
}

/// Watches the configuration file: a valid new configuration replaces the engine in `state`.
/// Runs until dropped/aborted. `initial` is the content loaded at start-up.
pub async fn watch_config<N, P>(
    state: Arc<AppState<N, P>>,
    path: PathBuf,
    interval: Duration,
    initial: Vec<u8>,
) where
    N: NamespaceGetter + 'static,
    P: PodLister + 'static,
{
    let metrics = state.metrics().clone();
    let file = WatchedFile {
        path,
        what: "configuration",
        source: ReloadSource::Config,
    };
    file.watch(
        metrics,
        interval,
        initial,
        config_from_bytes,
        move |config| {
            state.set_config(config);
        },
    )
    .await;
}

/// Watches the `PodsecPolicy` file: a valid new policy replaces the engine's extension and
/// `/mutate`'s defaults; an invalid one is rejected (logged, counted) and the previous policy
/// stays in force. `initial` is the content loaded at start-up.
pub async fn watch_policy<N, P>(
    state: Arc<AppState<N, P>>,
    path: PathBuf,
    interval: Duration,
    initial: Vec<u8>,
) where
    N: NamespaceGetter + 'static,
    P: PodLister + 'static,
{
    let metrics = state.metrics().clone();
    let file = WatchedFile {
        path,
        what: "policy",
        source: ReloadSource::Policy,
    };
    file.watch(
        metrics,
        interval,
        initial,
        crate::policy::policy_from_bytes,
        move |policy| crate::policy::apply(&state, policy),
    )
    .await;
}

/// One file whose contents, once loaded, replace what the server runs with.
struct WatchedFile {
    path: PathBuf,
    /// What it holds, in logs: `configuration`, `policy`.
    what: &'static str,
    /// Its label on the reload-error metric.
    source: ReloadSource,
}

impl WatchedFile {
    /// Polls the file; a new content that `load`s is handed to `apply`, one that does not
    /// (or an unreadable file) is logged and counted, and the previous one stays in force.
    async fn watch<T, E: std::fmt::Display>(
        self,
        metrics: Metrics,
        interval: Duration,
        initial: Vec<u8>,
        load: impl Fn(&[u8], &Path) -> Result<T, E> + Send,
        mut apply: impl FnMut(T) + Send,
    ) {
        let WatchedFile { path, what, source } = self;
        let read_metrics = metrics.clone();
        let shown = path.display().to_string();
        let read_path = shown.clone();
        poll(
            vec![path.clone()],
            interval,
            vec![initial],
            move |contents| match load(&contents[0], &path) {
                Ok(loaded) => {
                    apply(loaded);
                    tracing::info!(path = %shown, "{what} reloaded");
                }
                Err(err) => {
                    metrics.record_reload_error(source);
                    tracing::error!(path = %shown, error = %err, "{what} reload rejected; the previous {what} stays in force");
                }
            },
            move |err| {
                read_metrics.record_reload_error(source);
                tracing::error!(path = %read_path, error = %err, "{what} file unreadable; the previous {what} stays in force");
            },
        )
        .await;
    }
}

/// Watches the certificate and key files: a valid new pair is served from the next
/// handshake on. `initial` are the contents loaded at start-up.
pub async fn watch_tls(
    store: Arc<CertStore>,
    metrics: Metrics,
    cert: PathBuf,
    key: PathBuf,
    interval: Duration,
    initial: (Vec<u8>, Vec<u8>),
) {
    let read_metrics = metrics.clone();
    let (cert_path, key_path) = (cert.clone(), key.clone());
    poll(
        vec![cert, key],
        interval,
        vec![initial.0, initial.1],
        move |contents| match parse_pair(&contents[0], &contents[1], &cert_path, &key_path) {
            Ok(pair) => {
                store.set(pair);
                tracing::info!(cert = %cert_path.display(), key = %key_path.display(), "serving certificate reloaded");
            }
            Err(err) => {
                metrics.record_reload_error(ReloadSource::Tls);
                tracing::error!(error = %err, "serving certificate reload rejected; the previous certificate stays in force");
            }
        },
        move |err| {
            read_metrics.record_reload_error(ReloadSource::Tls);
            tracing::error!(error = %err, "serving certificate unreadable; the previous certificate stays in force");
        },
    )
    .await;
}

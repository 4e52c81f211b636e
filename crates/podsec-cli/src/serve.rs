//! `podsec serve`: the validating admission webhook (a drop-in replacement for upstream's
//! standalone Pod Security webhook), built on `podsec-server`.
//!
//! Flags follow upstream's webhook (`--config`, `--kubeconfig`, `--secure-port`,
//! `--bind-address`, `--tls-cert-file`, `--tls-private-key-file`, `--client-qps-limit`,
//! `--client-qps-burst`, `--disable-http2-serving`; `_` is accepted for `-`), each also read
//! from a `PODSEC_*` environment variable; plus ours: `--health-port`/`--metrics-port`
//! (plain HTTP, health and metrics only), `--log-format`, `--reload-interval`,
//! `--shutdown-delay`, `--shutdown-grace`, `--emulation-version`.
//!
//! `--emulation-version` (default `auto`) caps what `latest` and newer `*-version` labels
//! evaluate as, as the cluster's built-in controller does: `auto` reads the API server's
//! version (`GET /version`, readable by every authenticated client) at start and every
//! `--emulation-refresh-interval` (hidden, default 5m); `v1.N` fixes it; `off` is upstream's
//! webhook (no cap). See `podsec_server::emulation`.
//!
//! Kubernetes access (namespace cache, live pod listing, readiness) comes from `podsec-kube`
//! ([`kubernetes`]); `/readyz` succeeds once the namespace cache has synced. The hidden
//! `--standalone-dev` flag runs without any cluster instead: every namespace exists without
//! labels (so the configuration's defaults apply), no pods exist, and the server is ready at
//! once. It is for local development and demos only, never for a cluster.

use std::future::Future;
use std::io::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use clap::{Args, ValueEnum};
use podsec_admission::decode::Namespace;
use podsec_admission::{LookupError, NamespaceGetter, PodLister, StaticPods};
use podsec_kube::kube::Client;
use podsec_kube::{LivePodLister, NamespaceCache, VersionError};
use podsec_server::duration::parse_go_duration;
use podsec_server::emulation::{FetchError, FetchFuture, Fetched};
use podsec_server::{
    Emulation, EmulationSetting, LogFormat, Metrics, Readiness, Server, ServerOptions,
    VersionSource, shutdown_signal,
};

/// `podsec serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// PodSecurityConfiguration file (or an API server AdmissionConfiguration holding one);
    /// empty: upstream's defaults (`privileged:latest`, no exemptions). Reloaded when it
    /// changes.
    #[arg(long, env = "PODSEC_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// podsec's opt-in policy (a `podsec.dev/v1alpha1` `PodsecPolicy`: image rules,
    /// fine-grained exemptions, secure defaults on `/mutate`); none: every answer is
    /// upstream's. Reloaded when it changes.
    #[arg(long, env = "PODSEC_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// kubeconfig file; empty: the in-cluster configuration.
    #[arg(long, env = "PODSEC_KUBECONFIG", value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// HTTPS port for admission reviews, health and metrics.
    #[arg(
        long,
        alias = "secure_port",
        env = "PODSEC_SECURE_PORT",
        value_name = "PORT",
        default_value_t = 8443,
        allow_negative_numbers = true
    )]
    pub secure_port: i64,

    /// Address to listen on.
    #[arg(
        long,
        alias = "bind_address",
        env = "PODSEC_BIND_ADDRESS",
        value_name = "IP",
        default_value_t = IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    )]
    pub bind_address: IpAddr,

    /// Serving certificate chain (PEM). Reloaded when it changes.
    #[arg(
        long,
        alias = "tls_cert_file",
        env = "PODSEC_TLS_CERT_FILE",
        value_name = "FILE"
    )]
    pub tls_cert_file: Option<PathBuf>,

    /// Serving private key (PEM). Reloaded when it changes.
    #[arg(
        long,
        alias = "tls_private_key_file",
        env = "PODSEC_TLS_PRIVATE_KEY_FILE",
        value_name = "FILE"
    )]
    pub tls_private_key_file: Option<PathBuf>,

    /// Client-side requests per second towards the API server.
    #[arg(
        long,
        alias = "client_qps_limit",
        env = "PODSEC_CLIENT_QPS_LIMIT",
        value_name = "QPS",
        default_value_t = 20.0
    )]
    pub client_qps_limit: f32,

    /// Client-side burst towards the API server.
    #[arg(
        long,
        alias = "client_qps_burst",
        env = "PODSEC_CLIENT_QPS_BURST",
        value_name = "N",
        default_value_t = 50
    )]
    pub client_qps_burst: u32,

    /// Serve HTTP/1.1 only (no `h2` in ALPN).
    #[arg(
        long,
        alias = "disable_http2_serving",
        env = "PODSEC_DISABLE_HTTP2_SERVING",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub disable_http2_serving: bool,

    /// Also serve `/healthz`, `/readyz` and `/metrics` over plain HTTP on this port.
    #[arg(
        long,
        alias = "health_port",
        env = "PODSEC_HEALTH_PORT",
        value_name = "PORT"
    )]
    pub health_port: Option<u16>,

    /// Also serve `/healthz`, `/readyz` and `/metrics` over plain HTTP on this port (may equal
    /// `--health-port`).
    #[arg(
        long,
        alias = "metrics_port",
        env = "PODSEC_METRICS_PORT",
        value_name = "PORT"
    )]
    pub metrics_port: Option<u16>,

    /// Log line format, on standard error (filter with `RUST_LOG`, default `info`).
    #[arg(long, alias = "log_format", env = "PODSEC_LOG_FORMAT", value_enum, default_value_t = LogFormatArg::Text)]
    pub log_format: LogFormatArg,

    /// How often the configuration and TLS files are checked for changes (Go duration).
    #[arg(long, alias = "reload_interval", env = "PODSEC_RELOAD_INTERVAL", value_name = "DURATION", default_value = "2s", value_parser = positive_duration)]
    pub reload_interval: Duration,

    /// On SIGTERM: how long to keep serving with `/readyz` failing before closing the
    /// listeners (Go duration).
    #[arg(long, alias = "shutdown_delay", env = "PODSEC_SHUTDOWN_DELAY", value_name = "DURATION", default_value = "0s", value_parser = duration)]
    pub shutdown_delay: Duration,

    /// After the listeners close: how long in-flight requests may take (Go duration).
    #[arg(long, alias = "shutdown_grace", env = "PODSEC_SHUTDOWN_GRACE", value_name = "DURATION", default_value = "25s", value_parser = duration)]
    pub shutdown_grace: Duration,

    /// What `latest` (and a `*-version` label newer than the cluster) evaluates as: `auto`
    /// the API server's version, as the cluster's built-in Pod Security Admission does (read
    /// at start and every few minutes; unknown: no cap), `v1.N` that version, `off` the
    /// newest policy podsec knows (upstream's webhook). Denials still name the label's
    /// version.
    #[arg(
        long,
        alias = "emulation_version",
        env = "PODSEC_EMULATION_VERSION",
        value_name = "v1.N|auto|off",
        default_value = "auto"
    )]
    pub emulation_version: EmulationSetting,

    /// How often `--emulation-version auto` reads the API server's version again (Go
    /// duration).
    #[arg(long, hide = true, alias = "emulation_refresh_interval", env = "PODSEC_EMULATION_REFRESH_INTERVAL", value_name = "DURATION", default_value = "5m", value_parser = positive_duration)]
    pub emulation_refresh_interval: Duration,

    /// Development only: run without a cluster (every namespace exists without labels, no
    /// pods exist, ready at once).
    #[arg(long, hide = true)]
    pub standalone_dev: bool,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

fn duration(text: &str) -> Result<Duration, String> {
    let nanos = parse_go_duration(text).ok_or_else(|| format!("invalid duration {text:?}"))?;
    u64::try_from(nanos)
        .map(Duration::from_nanos)
        .map_err(|_| format!("negative duration {text:?}"))
}

fn positive_duration(text: &str) -> Result<Duration, String> {
    match duration(text)? {
        d if d.is_zero() => Err(format!("duration {text:?} must be positive")),
        d => Ok(d),
    }
}

/// Runs the webhook until SIGTERM/SIGINT. Exit status 1 on any start-up error.
pub fn run(args: &ServeArgs) -> ExitCode {
    let format = match args.log_format {
        LogFormatArg::Text => LogFormat::Text,
        LogFormatArg::Json => LogFormat::Json,
    };
    if let Err(err) = podsec_server::logging::init(format) {
        let _ = writeln!(io::stderr(), "error: setting up logging: {err}");
        return ExitCode::from(1);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!(error = %err, "command failed");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %format!("{err:#}"), "command failed");
            ExitCode::from(1)
        }
    }
}

/// Upstream's `--secure-port` checks (including its operator-precedence wording).
fn secure_port(port: i64) -> anyhow::Result<Option<u16>> {
    if port < 0 {
        bail!(
            "--secure-port {port} must be between 0 and 65535, inclusive. 0 for turning off secure port"
        );
    }
    if port > 65535 {
        bail!(
            "--secure-port {port} must be between 1 and 65535, inclusive. It cannot be turned off with 0"
        );
    }
    Ok(u16::try_from(port).ok().filter(|&p| p != 0))
}

fn options(args: &ServeArgs) -> anyhow::Result<ServerOptions> {
    let Some(port) = secure_port(args.secure_port)? else {
        bail!("no serving info configured");
    };
    let nonempty = |p: &Option<PathBuf>| p.clone().filter(|p| !p.as_os_str().is_empty());
    let (Some(cert), Some(key)) = (
        nonempty(&args.tls_cert_file),
        nonempty(&args.tls_private_key_file),
    ) else {
        bail!(
            "--tls-cert-file and --tls-private-key-file are required: the webhook serves HTTPS only"
        );
    };
    let mut options = ServerOptions::new(cert, key);
    options.secure_addr = SocketAddr::new(args.bind_address, port);
    options.plain_addrs = [args.health_port, args.metrics_port]
        .into_iter()
        .flatten()
        .map(|port| SocketAddr::new(args.bind_address, port))
        .collect();
    options.config_file = nonempty(&args.config);
    options.policy_file = nonempty(&args.policy);
    options.reload_interval = args.reload_interval;
    options.http2 = !args.disable_http2_serving;
    options.shutdown_delay = args.shutdown_delay;
    options.shutdown_grace = args.shutdown_grace;
    Ok(options)
}

async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let mut options = options(args)?;
    if args.standalone_dev {
        tracing::warn!(
            "--standalone-dev: no cluster; every namespace is unlabelled and empty. Never use this on a cluster."
        );
        options.emulation = match args.emulation_version {
            EmulationSetting::Fixed(version) => Emulation::Fixed(version),
            // No API server to ask.
            EmulationSetting::Auto | EmulationSetting::Off => Emulation::Off,
        };
        return serve_with(
            options,
            AnyNamespace,
            StaticPods::default(),
            Readiness::always(),
            first_signal(),
        )
        .await;
    }
    let (client, namespaces, pods, readiness) = kubernetes(args).await?;
    options.emulation = match args.emulation_version {
        EmulationSetting::Off => Emulation::Off,
        EmulationSetting::Fixed(version) => Emulation::Fixed(version),
        EmulationSetting::Auto => Emulation::Auto {
            source: Arc::new(ApiServerVersion(client)),
            refresh: args.emulation_refresh_interval,
        },
    };
    serve_with(options, namespaces, pods, readiness, first_signal()).await
}

/// `--emulation-version auto`: the API server's `GET /version`.
struct ApiServerVersion(Client);

impl VersionSource for ApiServerVersion {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(async move {
            // The server bounds the whole read by its own timeout; this one only keeps the
            // request from outliving it.
            podsec_kube::apiserver_version(&self.0, podsec_server::emulation::FETCH_TIMEOUT)
                .await
                .map(|found| Fetched {
                    version: found.version,
                    reported: found.reported,
                })
                .map_err(|err| match err {
                    VersionError::Unavailable(text) => FetchError::Unavailable(text),
                    unparsable @ VersionError::Unparsable(_) => {
                        FetchError::Unparsable(unparsable.to_string())
                    }
                })
        })
    }
}

/// Completes on the first SIGTERM/SIGINT; a second one exits at once (status 1), as
/// upstream's webhook does. Both listeners exist before the first signal, so a quick second
/// signal is not missed.
async fn first_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            tokio::select! {
                _ = term.recv() => tracing::info!("received SIGTERM"),
                _ = int.recv() => tracing::info!("received SIGINT"),
            }
            tokio::spawn(async move {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
                tracing::warn!("second signal: exiting without draining");
                std::process::exit(1);
            });
            return;
        }
    }
    shutdown_signal().await;
}

/// Starts the server with the given lookups and serves until `shutdown`.
async fn serve_with<N, P>(
    options: ServerOptions,
    namespaces: N,
    pods: P,
    readiness: Readiness,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()>
where
    N: NamespaceGetter + 'static,
    P: PodLister + 'static,
{
    let server = Server::bind(options, namespaces, pods, Metrics::default(), readiness)
        .await
        // The message already holds the causes: no chain.
        .map_err(|e| anyhow!(e.to_string()))?;
    server.run(shutdown).await.context("serving")
}

/// The Kubernetes lookups (`podsec-kube`): a namespace cache (metadata watch, live GET
/// fallback) whose first complete list makes the server ready, and live pod listing, with a
/// client from `--kubeconfig` (or the in-cluster configuration) rate limited by
/// `--client-qps-limit`/`--client-qps-burst`; the client is returned too (for `GET /version`).
async fn kubernetes(
    args: &ServeArgs,
) -> anyhow::Result<(Client, NamespaceCache, LivePodLister, Readiness)> {
    let kubeconfig = args
        .kubeconfig
        .as_deref()
        .filter(|p| !p.as_os_str().is_empty());
    let client = podsec_kube::client(kubeconfig, args.client_qps_limit, args.client_qps_burst)
        .await
        .map_err(|e| anyhow!(e.to_string()))?;
    let namespaces = NamespaceCache::new(client.clone());
    let readiness = Readiness::from_watch(namespaces.readiness().into_receiver());
    Ok((
        client.clone(),
        namespaces,
        LivePodLister::new(client),
        readiness,
    ))
}

/// `--standalone-dev`: every namespace exists, without labels.
#[derive(Debug)]
struct AnyNamespace;

impl NamespaceGetter for AnyNamespace {
    fn get_namespace(
        &self,
        name: &str,
        _deadline: Option<Instant>,
    ) -> impl Future<Output = Result<Arc<Namespace>, LookupError>> + Send {
        std::future::ready(Ok(Arc::new(Namespace {
            name: name.to_owned(),
            labels: Default::default(),
        })))
    }
}

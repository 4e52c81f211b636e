//! Building the kube [`Client`].

use std::path::{Path, PathBuf};

use kube::Client;
use kube::client::ClientBuilder;
use kube::config::{Config, InClusterError, KubeConfigOptions, Kubeconfig, KubeconfigError};

use crate::ratelimit::RateLimitLayer;

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `--kubeconfig` file could not be read or used.
    #[error("loading kubeconfig {}: {source}", path.display())]
    Kubeconfig {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: KubeconfigError,
    },
    /// The default kubeconfig (`$KUBECONFIG`, else `~/.kube/config`) could not be read or
    /// used.
    #[error("loading kubeconfig ($KUBECONFIG, else ~/.kube/config): {0}")]
    DefaultKubeconfig(#[source] KubeconfigError),
    /// No kubeconfig was given and this is not running in a pod.
    #[error("loading in-cluster configuration: {0}")]
    InCluster(#[source] InClusterError),
    /// The client could not be built from the configuration (e.g. bad TLS material).
    #[error("building the Kubernetes client: {0}")]
    Client(#[source] kube::Error),
}

/// A client for the API server, as upstream's webhook builds it: from `kubeconfig` when given
/// (its current context), else from the in-cluster service account (`KUBERNETES_SERVICE_HOST`,
/// `KUBERNETES_SERVICE_PORT` and the mounted token and CA). Requests are rate limited like
/// client-go with `qps`/`burst` (see [`RateLimitLayer`]: `0` means client-go's defaults 5/10, a
/// negative `qps` disables limiting).
///
/// Must be called inside a tokio runtime.
pub async fn client(kubeconfig: Option<&Path>, qps: f32, burst: u32) -> Result<Client, Error> {
    let config = match kubeconfig {
        Some(path) => {
            let kubeconfig_error = |source| Error::Kubeconfig {
                path: path.to_owned(),
                source,
            };
            let file = Kubeconfig::read_from(path).map_err(kubeconfig_error)?;
            Config::from_custom_kubeconfig(file, &KubeConfigOptions::default())
                .await
                .map_err(kubeconfig_error)?
        }
        None => Config::incluster().map_err(Error::InCluster)?,
    };
    client_from_config(config, qps, burst)
}

/// A rate-limited client from an explicit configuration (e.g.
/// `Config::new("http://127.0.0.1:port".parse()?)` for a test server).
pub fn client_from_config(config: Config, qps: f32, burst: u32) -> Result<Client, Error> {
    let builder = ClientBuilder::try_from(config).map_err(Error::Client)?;
    Ok(builder.with_layer(&RateLimitLayer::new(qps, burst)).build())
}

/// A client for one kubeconfig context, and how reports name it.
#[derive(Clone)]
pub struct Connection {
    /// The client.
    pub client: Client,
    /// The context's name (empty when the kubeconfig names none).
    pub context: String,
    /// The API server's URL.
    pub server: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("context", &self.context)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// A client for `context` (else the current context) of the kubeconfig `kubeconfig` (else
/// `$KUBECONFIG`, else `~/.kube/config`), as kubectl picks it; rate limited with
/// `qps`/`burst` as [`client`] is.
///
/// Must be called inside a tokio runtime.
pub async fn connect(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
    qps: f32,
    burst: u32,
) -> Result<Connection, Error> {
    let (file, wrap): (Kubeconfig, Box<dyn Fn(KubeconfigError) -> Error>) = match kubeconfig {
        Some(path) => {
            let wrap = {
                let path = path.to_owned();
                move |source| Error::Kubeconfig {
                    path: path.clone(),
                    source,
                }
            };
            let file = Kubeconfig::read_from(path).map_err(&wrap)?;
            (file, Box::new(wrap))
        }
        None => (
            Kubeconfig::read().map_err(Error::DefaultKubeconfig)?,
            Box::new(Error::DefaultKubeconfig),
        ),
    };
    let name = context
        .map(str::to_owned)
        .or_else(|| file.current_context.clone())
        .unwrap_or_default();
    let options = KubeConfigOptions {
        context: context.map(str::to_owned),
        ..KubeConfigOptions::default()
    };
    let config = Config::from_custom_kubeconfig(file, &options)
        .await
        .map_err(wrap)?;
    let server = config.cluster_url.to_string();
    let server = server.strip_suffix('/').unwrap_or(&server).to_owned();
    Ok(Connection {
        client: client_from_config(config, qps, burst)?,
        context: name,
        server,
    })
}

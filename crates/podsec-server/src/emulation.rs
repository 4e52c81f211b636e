//! What `latest` means: the emulation-version cap of `podsec serve --emulation-version`.
//!
//! The cluster's built-in Pod Security Admission builds its evaluator with the API server's
//! emulation version, so on a v1.36 cluster `latest`, and every `*-version` label newer than
//! v1.36, evaluate as v1.36. Upstream's standalone webhook has no such cap: it evaluates them
//! as the newest policy compiled into it. This module lets the server do either:
//!
//! * [`Emulation::Fixed`]: a given `v1.N` (source `flag`);
//! * [`Emulation::Auto`]: the API server's version, read at start and every `refresh` from a
//!   [`VersionSource`] (source `apiserver`). A version that cannot be read at start, or one
//!   that does not parse, means no cap (source `unknown`) with a warning; a later failure to
//!   reach the API server keeps the version last read, and the read is retried sooner;
//! * [`Emulation::Off`]: no cap (source `off`), upstream's webhook.
//!
//! Applying a cap swaps the engine atomically ([`AppState::set_emulation`]): requests already
//! being evaluated finish with the engine they started with, new ones use the new one, and a
//! configuration reload keeps the cap in force. Only messages' *evaluation* changes: a denial
//! still names the version of the namespace's label (`baseline:latest`, `baseline:v1.37`), as
//! the built-in controller's do.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use podsec_admission::{NamespaceGetter, PodLister};
use podsec_policy::{Registry, Version};

use crate::router::AppState;

/// How long one read of the API server's version may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// After a failed read: the next one comes after at most this long (or the refresh interval,
/// when shorter).
pub const RETRY_INTERVAL: Duration = Duration::from_secs(10);

/// The value of `--emulation-version`: `auto`, `off` or `v1.N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmulationSetting {
    /// The API server's version.
    #[default]
    Auto,
    /// No cap.
    Off,
    /// This version (`v1.N`).
    Fixed(Version),
}

/// A value of `--emulation-version` that is not `auto`, `off` or `v1.N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseEmulationError;

impl fmt::Display for ParseEmulationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"must be "auto", "off" or "v1.x""#)
    }
}

impl std::error::Error for ParseEmulationError {}

impl FromStr for EmulationSetting {
    type Err = ParseEmulationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(EmulationSetting::Auto),
            "off" => Ok(EmulationSetting::Off),
            other => match other.parse::<Version>() {
                Ok(version @ Version::Release { .. }) => Ok(EmulationSetting::Fixed(version)),
                _ => Err(ParseEmulationError),
            },
        }
    }
}

impl fmt::Display for EmulationSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmulationSetting::Auto => f.write_str("auto"),
            EmulationSetting::Off => f.write_str("off"),
            EmulationSetting::Fixed(version) => version.fmt(f),
        }
    }
}

/// Where the cap in force comes from (the `source` label of the info metric).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapSource {
    /// The API server's version (`auto`).
    ApiServer,
    /// `--emulation-version v1.N`.
    Flag,
    /// `--emulation-version off`.
    Off,
    /// `auto`, but the API server's version is not known (unreadable at start, or
    /// unparsable): no cap.
    Unknown,
}

impl CapSource {
    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            CapSource::ApiServer => "apiserver",
            CapSource::Flag => "flag",
            CapSource::Off => "off",
            CapSource::Unknown => "unknown",
        }
    }
}

/// A cap: the version `latest` and newer versions evaluate as (`None`: the newest policy
/// podsec knows), and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    /// The emulation version, `v1.N`.
    pub version: Option<Version>,
    /// Its source.
    pub source: CapSource,
}

impl Cap {
    /// No cap, because of `source`.
    pub const fn none(source: CapSource) -> Self {
        Cap {
            version: None,
            source,
        }
    }

    /// A cap at `version`.
    pub const fn at(version: Version, source: CapSource) -> Self {
        Cap {
            version: Some(version),
            source,
        }
    }

    /// The check registry of this cap.
    pub fn registry(&self) -> Arc<Registry> {
        let registry = match self.version {
            Some(version) => Registry::with_emulation_version(podsec_policy::checks::ALL, version),
            None => Registry::new(podsec_policy::checks::ALL),
        };
        Arc::new(registry.expect("the built-in checks are validated by their unit tests"))
    }
}

/// Why a read of the API server's version gave no version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The API server could not be asked (unreachable, error status, timeout): the version
    /// last read stays in force.
    Unavailable(String),
    /// It answered with a version that cannot be read: no cap.
    Unparsable(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Unavailable(text) | FetchError::Unparsable(text) => f.write_str(text),
        }
    }
}

/// A version read by a [`VersionSource`]: the Kubernetes version and how the API server
/// reported it (for logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// `v1.N`.
    pub version: Version,
    /// E.g. `v1.36.2-eks-abc`.
    pub reported: String,
}

/// The boxed future of [`VersionSource::fetch`].
pub type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Fetched, FetchError>> + Send + 'a>>;

/// Reads the cluster's Kubernetes version (the binary: `GET /version` with kube-rs).
pub trait VersionSource: Send + Sync + 'static {
    /// One read.
    fn fetch(&self) -> FetchFuture<'_>;
}

/// `--emulation-version`, resolved: what the server does at start and while it runs.
#[derive(Clone, Default)]
pub enum Emulation {
    /// No cap (upstream's webhook).
    #[default]
    Off,
    /// A fixed cap.
    Fixed(Version),
    /// The API server's version, read at start and every `refresh`.
    Auto {
        /// Where the version is read.
        source: Arc<dyn VersionSource>,
        /// How often it is read again.
        refresh: Duration,
    },
}

impl fmt::Debug for Emulation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Emulation::Off => f.write_str("Off"),
            Emulation::Fixed(version) => f.debug_tuple("Fixed").field(version).finish(),
            Emulation::Auto { refresh, .. } => f
                .debug_struct("Auto")
                .field("refresh", refresh)
                .finish_non_exhaustive(),
        }
    }
}

/// One read, bounded by [`FETCH_TIMEOUT`].
async fn fetch(source: &dyn VersionSource) -> Result<Fetched, FetchError> {
    match tokio::time::timeout(FETCH_TIMEOUT, source.fetch()).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::Unavailable(format!(
            "no answer within {}s",
            FETCH_TIMEOUT.as_secs()
        ))),
    }
}

/// The cap after a read: the version read, no cap when it does not parse, the current cap
/// when the API server could not be asked.
fn next_cap(current: Cap, fetched: &Result<Fetched, FetchError>) -> Cap {
    match fetched {
        Ok(fetched) => Cap::at(fetched.version, CapSource::ApiServer),
        Err(FetchError::Unparsable(_)) => Cap::none(CapSource::Unknown),
        Err(FetchError::Unavailable(_)) => current,
    }
}

/// Logs the outcome of a read; `last_error` avoids repeating the same warning every retry.
fn log_fetch(fetched: &Result<Fetched, FetchError>, cap: Cap, last_error: &mut Option<FetchError>) {
    match fetched {
        Ok(version) => {
            if last_error.take().is_some() {
                tracing::info!(reported = %version.reported, "API server version readable again");
            }
            tracing::debug!(reported = %version.reported, "API server version");
        }
        Err(err) if last_error.as_ref() == Some(err) => {
            tracing::debug!(error = %err, "API server version still not readable");
        }
        Err(err) => {
            let in_force = cap
                .version
                .map_or_else(|| "none".to_owned(), |v| v.to_string());
            match err {
                FetchError::Unavailable(_) => tracing::warn!(
                    error = %err,
                    cap = %in_force,
                    "cannot read the API server's version (GET /version); keeping the cap in force and retrying"
                ),
                FetchError::Unparsable(_) => tracing::warn!(
                    error = %err,
                    "unrecognised API server version; `latest` evaluates as the newest policy podsec knows"
                ),
            }
            *last_error = Some(err.clone());
        }
    }
}

/// The state at start: the cap, and for `auto` why the version could not be read (so the
/// refresh neither repeats the same warning nor misses the recovery).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// The cap to apply.
    pub cap: Cap,
    /// The failed read, if any.
    pub error: Option<FetchError>,
}

/// The cap at start: the flag's, or for `auto` one read of the API server's version (no cap
/// when it fails). Logs what it finds.
pub async fn start(emulation: &Emulation) -> Start {
    match emulation {
        Emulation::Off => Start {
            cap: Cap::none(CapSource::Off),
            error: None,
        },
        Emulation::Fixed(version) => Start {
            cap: Cap::at(*version, CapSource::Flag),
            error: None,
        },
        Emulation::Auto { source, .. } => {
            let fetched = fetch(source.as_ref()).await;
            let cap = next_cap(Cap::none(CapSource::Unknown), &fetched);
            let mut error = None;
            log_fetch(&fetched, cap, &mut error);
            Start { cap, error }
        }
    }
}

/// `auto`: reads the API server's version every `refresh` (after a failure, within
/// [`RETRY_INTERVAL`]) and applies it to `state` when it changes. Runs until aborted.
pub async fn watch_version<N, P>(
    state: Arc<AppState<N, P>>,
    source: Arc<dyn VersionSource>,
    refresh: Duration,
    start: Start,
) where
    N: NamespaceGetter + 'static,
    P: PodLister + 'static,
{
    let mut cap = start.cap;
    let mut delay = match start.error {
        Some(FetchError::Unavailable(_)) => refresh.min(RETRY_INTERVAL),
        _ => refresh,
    };
    let mut last_error = start.error;
    loop {
        tokio::time::sleep(delay).await;
        let fetched = fetch(source.as_ref()).await;
        cap = next_cap(cap, &fetched);
        log_fetch(&fetched, cap, &mut last_error);
        state.set_emulation(cap);
        delay = match fetched {
            Err(FetchError::Unavailable(_)) => refresh.min(RETRY_INTERVAL),
            _ => refresh,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings() {
        assert_eq!("auto".parse(), Ok(EmulationSetting::Auto));
        assert_eq!("off".parse(), Ok(EmulationSetting::Off));
        assert_eq!(
            "v1.36".parse(),
            Ok(EmulationSetting::Fixed(Version::v1(36)))
        );
        for bad in ["latest", "", "1.36", "v1.36.2", "v2.0", "Auto", "v1.036"] {
            assert_eq!(
                bad.parse::<EmulationSetting>(),
                Err(ParseEmulationError),
                "{bad}"
            );
        }
        assert_eq!(
            EmulationSetting::Fixed(Version::v1(36)).to_string(),
            "v1.36"
        );
        assert_eq!(EmulationSetting::default().to_string(), "auto");
    }

    #[test]
    fn caps_after_a_read() {
        let at36 = Cap::at(Version::v1(36), CapSource::ApiServer);
        let read = |minor| {
            Ok(Fetched {
                version: Version::v1(minor),
                reported: format!("v1.{minor}.0"),
            })
        };
        assert_eq!(
            next_cap(at36, &read(37)),
            Cap::at(Version::v1(37), CapSource::ApiServer)
        );
        assert_eq!(
            next_cap(at36, &Err(FetchError::Unavailable("down".into()))),
            at36
        );
        assert_eq!(
            next_cap(at36, &Err(FetchError::Unparsable("x".into()))),
            Cap::none(CapSource::Unknown)
        );
    }

    #[test]
    fn registries() {
        assert_eq!(
            Cap::at(Version::v1(36), CapSource::Flag)
                .registry()
                .newest(),
            Version::v1(36)
        );
        let newest = Registry::builtin().newest();
        assert_eq!(Cap::none(CapSource::Off).registry().newest(), newest);
        // A cap newer than podsec's newest policy changes nothing.
        assert_eq!(
            Cap::at(Version::v1(99), CapSource::ApiServer)
                .registry()
                .newest(),
            newest
        );
    }
}

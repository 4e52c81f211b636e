//! Metrics, recorded through the [`Recorder`] trait with upstream's names and labels.
//!
//! | metric | labels |
//! |---|---|
//! | `pod_security_evaluations_total` | `decision`, `policy_level`, `policy_version`, `mode`, `request_operation`, `resource`, `subresource` |
//! | `pod_security_exemptions_total` | `request_operation`, `resource`, `subresource` |
//! | `pod_security_errors_total` | `fatal`, `request_operation`, `resource`, `subresource` |

use std::collections::BTreeMap;
use std::sync::Mutex;

use podsec_policy::{Level, LevelVersion, Version};

use crate::policy::Mode;
use crate::request::{Request, ResourceClass};

/// `pod_security_evaluations_total`.
pub const EVALUATIONS_TOTAL: &str = "pod_security_evaluations_total";
/// `pod_security_exemptions_total`.
pub const EXEMPTIONS_TOTAL: &str = "pod_security_exemptions_total";
/// `pod_security_errors_total`.
pub const ERRORS_TOTAL: &str = "pod_security_errors_total";

/// HELP text of [`EVALUATIONS_TOTAL`] (upstream prefixes `[ALPHA] `).
pub const EVALUATIONS_HELP: &str =
    "Number of policy evaluations that occurred, not counting ignored or exempt requests.";
/// HELP text of [`EXEMPTIONS_TOTAL`].
pub const EXEMPTIONS_HELP: &str =
    "Number of exempt requests, not counting ignored or out of scope requests.";
/// HELP text of [`ERRORS_TOTAL`].
pub const ERRORS_HELP: &str = "Number of errors preventing normal evaluation. Non-fatal errors may result in the latest restricted profile being used for evaluation.";

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Decision {
    /// `allow`.
    Allow,
    /// `deny`.
    Deny,
}

impl Decision {
    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        }
    }
}

/// The request labels shared by the three metrics.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestLabels {
    /// `request_operation`: `create`, `update`, ...
    pub request_operation: String,
    /// `resource`: `pod`, `namespace` or `controller`.
    pub resource: &'static str,
    /// `subresource`: as sent.
    pub subresource: String,
}

impl RequestLabels {
    /// The labels of `request`.
    pub fn of(request: &Request) -> Self {
        RequestLabels {
            request_operation: request.operation.metric_label(),
            resource: request.resource_class().metric_label(),
            subresource: request.subresource.clone(),
        }
    }

    /// Labels for a resource class and operation without subresource.
    pub fn new(operation: &str, resource: ResourceClass) -> Self {
        RequestLabels {
            request_operation: operation.to_owned(),
            resource: resource.metric_label(),
            subresource: String::new(),
        }
    }
}

/// The `policy_version` label: `latest` for `latest` and for every privileged policy; `v1.N`
/// when not newer than the server's own Kubernetes minor; otherwise `future`.
pub fn policy_version_label(policy: LevelVersion, server_minor: u64) -> String {
    match policy.version {
        _ if policy.level == Level::Privileged => "latest".into(),
        Version::Latest => "latest".into(),
        Version::Release { major, minor } if major < 1 || (major == 1 && minor <= server_minor) => {
            policy.version.to_string()
        }
        Version::Release { .. } => "future".into(),
    }
}

/// Receives metric events from the engine.
pub trait Recorder: Send + Sync {
    /// A policy evaluation (enforce: allow and deny; audit and warn: deny only).
    fn record_evaluation(
        &self,
        decision: Decision,
        policy: LevelVersion,
        mode: Mode,
        request: &Request,
    );
    /// An exempt request.
    fn record_exemption(&self, request: &Request);
    /// An error that prevented normal evaluation.
    fn record_error(&self, fatal: bool, request: &Request);
}

/// Discards every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopRecorder;

impl Recorder for NoopRecorder {
    fn record_evaluation(&self, _: Decision, _: LevelVersion, _: Mode, _: &Request) {}
    fn record_exemption(&self, _: &Request) {}
    fn record_error(&self, _: bool, _: &Request) {}
}

/// One counted series.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Series {
    /// `pod_security_evaluations_total`.
    Evaluation {
        /// `decision`.
        decision: Decision,
        /// `policy_level`.
        level: Level,
        /// `policy_version` (already mapped to `latest`/`v1.N`/`future`).
        version: String,
        /// `mode`.
        mode: &'static str,
        /// Request labels.
        request: RequestLabels,
    },
    /// `pod_security_exemptions_total`.
    Exemption(RequestLabels),
    /// `pod_security_errors_total`.
    Error {
        /// `fatal`.
        fatal: bool,
        /// Request labels.
        request: RequestLabels,
    },
}

/// Counts events in memory: for tests and offline tools.
#[derive(Debug)]
pub struct CountingRecorder {
    server_minor: u64,
    counts: Mutex<BTreeMap<Series, u64>>,
}

impl CountingRecorder {
    /// A recorder that maps versions newer than `v1.<server_minor>` to `future`.
    pub fn new(server_minor: u64) -> Self {
        CountingRecorder {
            server_minor,
            counts: Mutex::new(BTreeMap::new()),
        }
    }

    /// A snapshot of every series recorded so far.
    pub fn snapshot(&self) -> BTreeMap<Series, u64> {
        self.counts.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Total events recorded.
    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }

    fn add(&self, series: Series) {
        if let Ok(mut counts) = self.counts.lock() {
            *counts.entry(series).or_default() += 1;
        }
    }
}

impl Recorder for CountingRecorder {
    fn record_evaluation(
        &self,
        decision: Decision,
        policy: LevelVersion,
        mode: Mode,
        request: &Request,
    ) {
        self.add(Series::Evaluation {
            decision,
            level: policy.level,
            version: policy_version_label(policy, self.server_minor),
            mode: mode.as_str(),
            request: RequestLabels::of(request),
        });
    }

    fn record_exemption(&self, request: &Request) {
        self.add(Series::Exemption(RequestLabels::of(request)));
    }

    fn record_error(&self, fatal: bool, request: &Request) {
        self.add(Series::Error {
            fatal,
            request: RequestLabels::of(request),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_version_labels() {
        let lv = |l: Level, v: Version| LevelVersion::new(l, v);
        assert_eq!(
            policy_version_label(lv(Level::Privileged, Version::v1(99)), 37),
            "latest"
        );
        assert_eq!(
            policy_version_label(lv(Level::Baseline, Version::Latest), 37),
            "latest"
        );
        assert_eq!(
            policy_version_label(lv(Level::Baseline, Version::v1(37)), 37),
            "v1.37"
        );
        assert_eq!(
            policy_version_label(lv(Level::Baseline, Version::v1(38)), 37),
            "future"
        );
        assert_eq!(
            policy_version_label(lv(Level::Restricted, Version::v1(0)), 0),
            "v1.0"
        );
    }
}

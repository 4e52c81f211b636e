//! Evaluation results and upstream's aggregated message forms.

use std::fmt;

use crate::level::Level;
use crate::model::{PodMetadata, PodSpec};
use crate::registry::Registry;
use crate::version::Version;
use crate::violation::{CheckId, Violation};

/// A level and the version requested for it, displayed `level:version`.
///
/// The *requested* version is kept and printed (`baseline:v1.99`), even though it evaluates
/// as the newest known version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LevelVersion {
    /// The level.
    pub level: Level,
    /// The requested version.
    pub version: Version,
}

impl LevelVersion {
    /// `level:version`.
    pub const fn new(level: Level, version: Version) -> Self {
        LevelVersion { level, version }
    }

    /// `privileged:latest`: the default policy.
    pub const PRIVILEGED_LATEST: LevelVersion =
        LevelVersion::new(Level::Privileged, Version::Latest);
}

impl fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level, self.version)
    }
}

/// The outcome of evaluating one pod against one level and version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// Failed checks in upstream's result order; empty when the pod is allowed.
    pub violations: Vec<Violation>,
}

impl Evaluation {
    /// Whether no check failed.
    pub fn is_allowed(&self) -> bool {
        self.violations.is_empty()
    }

    /// The failed check IDs, in order.
    pub fn check_ids(&self) -> impl Iterator<Item = CheckId> + '_ {
        self.violations.iter().map(|v| v.check)
    }

    /// Upstream's reasons-only form: `reason, reason, ...` (used by namespace warnings).
    pub fn forbidden_reason(&self) -> String {
        let mut out = String::new();
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(if v.reason.is_empty() {
                "unknown forbidden reason"
            } else {
                v.reason
            });
        }
        out
    }

    /// Upstream's detailed form: `reason (detail), reason (detail), ...`: the text after
    /// `violates PodSecurity "<level>:<version>": `.
    pub fn forbidden_detail(&self) -> String {
        let mut out = String::new();
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            v.push_message(&mut out);
        }
        out
    }
}

/// Evaluates a pod with the built-in checks.
///
/// This is the pure core: no API-server defaulting is applied (see
/// [`crate::defaults`] for that).
pub fn evaluate(policy: LevelVersion, metadata: &PodMetadata, spec: &PodSpec) -> Evaluation {
    Registry::builtin().evaluate(policy.level, policy.version, metadata, spec)
}

//! The check registry: validates the check list once and precomputes, for every level and
//! version, the ordered list of checks to run.
//!
//! Order of results: the surviving baseline checks sorted by ID, then the restricted
//! checks sorted by ID. A restricted variant that is active at a version removes the
//! baseline checks it overrides. `latest` and versions newer than the newest variant
//! evaluate as the newest one (or as the emulation version, when one is set and older).

use std::fmt;
use std::sync::OnceLock;

use crate::checks::{self, Check, CheckFn};
use crate::evaluate::Evaluation;
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec};
use crate::version::Version;
use crate::violation::{CheckId, Violation};

/// A check variant selected for one version.
#[derive(Debug, Clone, Copy)]
pub struct ResolvedCheck {
    /// The check's ID.
    pub id: CheckId,
    /// The check's level.
    pub level: Level,
    /// The version the selected variant starts at.
    pub since: Version,
    /// The evaluation function.
    pub evaluate: CheckFn,
}

/// A check list that breaks the registry's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryError {
    /// Two checks share an ID.
    DuplicateId(CheckId),
    /// A check has an empty ID.
    EmptyId,
    /// A check's level is `privileged`.
    PrivilegedCheck(CheckId),
    /// A check has no variants.
    NoVariants(CheckId),
    /// A variant's version is `latest` or not a `v1.N` version.
    InvalidVersion(CheckId, Version),
    /// Variant versions do not strictly increase.
    UnorderedVariants(CheckId),
    /// A baseline check declares overrides.
    BaselineOverride(CheckId),
    /// A restricted check overrides something that is not a registered baseline check.
    UnknownOverride(CheckId, CheckId),
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::DuplicateId(id) => write!(f, "multiple checks registered for ID {id}"),
            RegistryError::EmptyId => write!(f, "check ID is empty"),
            RegistryError::PrivilegedCheck(id) => {
                write!(f, "check {id}: level must be baseline or restricted")
            }
            RegistryError::NoVariants(id) => write!(f, "check {id}: no versioned variants"),
            RegistryError::InvalidVersion(id, v) => {
                write!(f, "check {id}: variant version {v} is not a v1.N version")
            }
            RegistryError::UnorderedVariants(id) => {
                write!(f, "check {id}: variant versions must strictly increase")
            }
            RegistryError::BaselineOverride(id) => {
                write!(f, "check {id}: only restricted checks may override")
            }
            RegistryError::UnknownOverride(id, other) => {
                write!(
                    f,
                    "check {id}: overrides {other}, which is not a baseline check"
                )
            }
        }
    }
}

impl std::error::Error for RegistryError {}

/// The validated checks, resolved for every level and version.
#[derive(Debug)]
pub struct Registry {
    newest: u64,
    /// `baseline[minor]`: the baseline checks of `v1.<minor>`.
    baseline: Vec<Vec<ResolvedCheck>>,
    /// `restricted[minor]`: the restricted checks of `v1.<minor>` (baseline block first).
    restricted: Vec<Vec<ResolvedCheck>>,
}

fn minor_of(id: CheckId, v: Version) -> Result<u64, RegistryError> {
    match v {
        Version::Release { major: 1, minor } => Ok(minor),
        other => Err(RegistryError::InvalidVersion(id, other)),
    }
}

impl Registry {
    /// Validates `checks` and resolves them for every version up to the newest variant.
    pub fn new(checks: &[Check]) -> Result<Self, RegistryError> {
        Self::build(checks, None)
    }

    /// Like [`Registry::new`], but `latest` and every version newer than `emulation` evaluate
    /// as `emulation` when it is older than the newest variant (upstream's emulation
    /// version).
    pub fn with_emulation_version(
        checks: &[Check],
        emulation: Version,
    ) -> Result<Self, RegistryError> {
        Self::build(checks, Some(emulation))
    }

    fn build(checks: &[Check], emulation: Option<Version>) -> Result<Self, RegistryError> {
        validate(checks)?;
        let mut newest = 0;
        for check in checks {
            for variant in check.variants {
                newest = newest.max(minor_of(check.id, variant.since)?);
            }
        }
        match emulation {
            Some(Version::Release { major: 1, minor }) => newest = newest.min(minor),
            Some(Version::Release { major: 0, .. }) => newest = 0,
            _ => {}
        }

        let mut sorted: Vec<&Check> = checks.iter().collect();
        sorted.sort_by_key(|c| c.id);
        let active = |check: &Check, minor: u64| {
            check
                .variants
                .iter()
                .rev()
                .find(|v| minor_of(check.id, v.since).is_ok_and(|m| m <= minor))
        };

        let mut baseline = Vec::new();
        let mut restricted = Vec::new();
        for minor in 0..=newest {
            let base: Vec<ResolvedCheck> = sorted
                .iter()
                .filter(|c| c.level == Level::Baseline)
                .filter_map(|c| {
                    active(c, minor).map(|v| ResolvedCheck {
                        id: c.id,
                        level: c.level,
                        since: v.since,
                        evaluate: v.evaluate,
                    })
                })
                .collect();
            let mut overridden: Vec<CheckId> = Vec::new();
            let strict: Vec<ResolvedCheck> = sorted
                .iter()
                .filter(|c| c.level == Level::Restricted)
                .filter_map(|c| {
                    active(c, minor).map(|v| {
                        overridden.extend_from_slice(v.overrides);
                        ResolvedCheck {
                            id: c.id,
                            level: c.level,
                            since: v.since,
                            evaluate: v.evaluate,
                        }
                    })
                })
                .collect();
            let mut full: Vec<ResolvedCheck> = base
                .iter()
                .filter(|c| !overridden.contains(&c.id))
                .copied()
                .collect();
            full.extend(strict);
            baseline.push(base);
            restricted.push(full);
        }
        Ok(Registry {
            newest,
            baseline,
            restricted,
        })
    }

    /// The registry of the built-in checks.
    pub fn builtin() -> &'static Registry {
        static BUILTIN: OnceLock<Registry> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Registry::new(checks::ALL).expect("the built-in checks are validated by unit tests")
        })
    }

    /// The newest version with its own policy: `latest` and newer versions evaluate as it.
    pub fn newest(&self) -> Version {
        Version::v1(self.newest)
    }

    /// The version `version` evaluates as (`latest` and future versions clamp to
    /// [`Registry::newest`]); `None` for versions before v1.0, which have no checks.
    pub fn effective_version(&self, version: Version) -> Option<Version> {
        match version {
            Version::Latest => Some(self.newest()),
            Version::Release { major: 0, .. } => None,
            Version::Release { major: 1, minor } => Some(Version::v1(minor.min(self.newest))),
            Version::Release { .. } => Some(self.newest()),
        }
    }

    /// The checks run for `level` at `version`, in result order.
    pub fn checks(&self, level: Level, version: Version) -> &[ResolvedCheck] {
        let Some(Version::Release { minor, .. }) = self.effective_version(version) else {
            return &[];
        };
        let minor = minor as usize;
        match level {
            Level::Privileged => &[],
            Level::Baseline => &self.baseline[minor],
            Level::Restricted => &self.restricted[minor],
        }
    }

    /// Evaluates a pod against `level` at `version`.
    ///
    /// Allocation-free when the pod is allowed.
    pub fn evaluate(
        &self,
        level: Level,
        version: Version,
        metadata: &PodMetadata,
        spec: &PodSpec,
    ) -> Evaluation {
        let mut violations = Vec::new();
        for check in self.checks(level, version) {
            if let Some(forbidden) = (check.evaluate)(metadata, spec) {
                violations.push(Violation {
                    check: check.id,
                    reason: forbidden.reason,
                    detail: forbidden.detail,
                    findings: forbidden.findings,
                });
            }
        }
        Evaluation { violations }
    }
}

fn validate(checks: &[Check]) -> Result<(), RegistryError> {
    let mut seen: Vec<CheckId> = Vec::new();
    for check in checks {
        if check.id.as_str().is_empty() {
            return Err(RegistryError::EmptyId);
        }
        if seen.contains(&check.id) {
            return Err(RegistryError::DuplicateId(check.id));
        }
        seen.push(check.id);
        if check.level == Level::Privileged {
            return Err(RegistryError::PrivilegedCheck(check.id));
        }
        if check.variants.is_empty() {
            return Err(RegistryError::NoVariants(check.id));
        }
        let mut previous: Option<u64> = None;
        for variant in check.variants {
            let minor = minor_of(check.id, variant.since)?;
            if previous.is_some_and(|p| p >= minor) {
                return Err(RegistryError::UnorderedVariants(check.id));
            }
            previous = Some(minor);
            if !variant.overrides.is_empty() && check.level != Level::Restricted {
                return Err(RegistryError::BaselineOverride(check.id));
            }
        }
    }
    for check in checks {
        for variant in check.variants {
            for overridden in variant.overrides {
                let is_baseline = checks
                    .iter()
                    .any(|c| c.id == *overridden && c.level == Level::Baseline);
                if !is_baseline {
                    return Err(RegistryError::UnknownOverride(check.id, *overridden));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{CheckDoc, Variant};

    fn ids(checks: &[ResolvedCheck]) -> Vec<&'static str> {
        checks.iter().map(|c| c.id.as_str()).collect()
    }

    fn never(_: &PodMetadata, _: &PodSpec) -> Option<crate::Forbidden> {
        None
    }

    const DOC: CheckDoc = CheckDoc {
        summary: "",
        fields: &[],
        allowed: "",
        fix: "",
    };

    // Test checks are built at run time; leaking gives them the `'static` lifetime that
    // built-in checks get from being constants.
    fn variant(minor: u64, overrides: &[CheckId]) -> Variant {
        Variant {
            since: Version::v1(minor),
            overrides: overrides.to_vec().leak(),
            evaluate: never,
        }
    }

    fn synthetic(id: &'static str, level: Level, variants: &[Variant]) -> Check {
        Check {
            id: CheckId::new(id),
            level,
            variants: variants.to_vec().leak(),
            doc: DOC,
        }
    }

    #[test]
    fn builtin_registry_is_valid() {
        let registry = Registry::new(checks::ALL).expect("built-in checks are valid");
        assert_eq!(registry.newest(), Version::v1(37));
        assert_eq!(checks::ALL.len(), 19);
    }

    /// Upstream's TestCheckRegistry: synthetic checks with overrides, clamping of newer
    /// versions, and baseline-block-then-restricted-block ordering.
    #[test]
    fn synthetic_checks_resolve_per_version() {
        const A: CheckId = CheckId::new("a");
        const B: CheckId = CheckId::new("b");
        let checks = [
            synthetic(
                "e",
                Level::Restricted,
                &[variant(1, &[]), variant(5, &[A, B])],
            ),
            synthetic("b", Level::Baseline, &[variant(1, &[])]),
            synthetic("a", Level::Baseline, &[variant(1, &[]), variant(7, &[])]),
            synthetic("d", Level::Restricted, &[variant(3, &[B])]),
            synthetic("c", Level::Baseline, &[variant(2, &[])]),
        ];
        let registry = Registry::new(&checks).expect("valid");
        assert_eq!(registry.newest(), Version::v1(7));
        let cases: &[(Level, Version, &[&str])] = &[
            (Level::Privileged, Version::Latest, &[]),
            (Level::Baseline, Version::v1(0), &[]),
            (Level::Baseline, Version::v1(1), &["a", "b"]),
            (Level::Baseline, Version::v1(2), &["a", "b", "c"]),
            (Level::Baseline, Version::Latest, &["a", "b", "c"]),
            (Level::Restricted, Version::v1(0), &[]),
            (Level::Restricted, Version::v1(1), &["a", "b", "e"]),
            (Level::Restricted, Version::v1(2), &["a", "b", "c", "e"]),
            (Level::Restricted, Version::v1(3), &["a", "c", "d", "e"]),
            (Level::Restricted, Version::v1(5), &["c", "d", "e"]),
            (Level::Restricted, Version::v1(10_000), &["c", "d", "e"]),
            (Level::Restricted, Version::new(2, 0), &["c", "d", "e"]),
            (Level::Restricted, Version::new(0, 9), &[]),
            (Level::Restricted, Version::Latest, &["c", "d", "e"]),
        ];
        for (level, version, want) in cases {
            assert_eq!(
                ids(registry.checks(*level, *version)),
                *want,
                "{level}:{version}"
            );
        }
        // The variant in force changes inside a version band.
        let a_at = |v| registry.checks(Level::Baseline, v)[0].since;
        assert_eq!(a_at(Version::v1(6)), Version::v1(1));
        assert_eq!(a_at(Version::v1(7)), Version::v1(7));
        assert_eq!(a_at(Version::Latest), Version::v1(7));
    }

    #[test]
    fn empty_and_single_level_registries() {
        let empty = Registry::new(&[]).expect("valid");
        assert!(empty.checks(Level::Restricted, Version::Latest).is_empty());
        let only_restricted = [synthetic("r", Level::Restricted, &[variant(0, &[])])];
        let registry = Registry::new(&only_restricted).expect("valid");
        assert_eq!(
            ids(registry.checks(Level::Restricted, Version::Latest)),
            ["r"]
        );
        assert!(registry.checks(Level::Baseline, Version::Latest).is_empty());
    }

    #[test]
    fn invalid_check_lists_are_rejected() {
        const X: CheckId = CheckId::new("x");
        let cases: Vec<(Vec<Check>, RegistryError)> = vec![
            (
                vec![
                    synthetic("x", Level::Baseline, &[variant(0, &[])]),
                    synthetic("x", Level::Restricted, &[variant(0, &[])]),
                ],
                RegistryError::DuplicateId(X),
            ),
            (
                vec![synthetic("", Level::Baseline, &[variant(0, &[])])],
                RegistryError::EmptyId,
            ),
            (
                vec![synthetic("x", Level::Privileged, &[variant(0, &[])])],
                RegistryError::PrivilegedCheck(X),
            ),
            (
                vec![synthetic("x", Level::Baseline, &[])],
                RegistryError::NoVariants(X),
            ),
            (
                vec![synthetic(
                    "x",
                    Level::Baseline,
                    &[variant(3, &[]), variant(3, &[])],
                )],
                RegistryError::UnorderedVariants(X),
            ),
            (
                vec![synthetic(
                    "x",
                    Level::Baseline,
                    &[Variant {
                        since: Version::Latest,
                        overrides: &[],
                        evaluate: never,
                    }],
                )],
                RegistryError::InvalidVersion(X, Version::Latest),
            ),
            (
                vec![
                    synthetic("y", Level::Baseline, &[variant(0, &[])]),
                    synthetic("x", Level::Baseline, &[variant(0, &[CheckId::new("y")])]),
                ],
                RegistryError::BaselineOverride(X),
            ),
            (
                vec![synthetic(
                    "x",
                    Level::Restricted,
                    &[variant(0, &[CheckId::new("nope")])],
                )],
                RegistryError::UnknownOverride(X, CheckId::new("nope")),
            ),
        ];
        for (checks, want) in cases {
            assert_eq!(
                Registry::new(&checks).map(|_| ()),
                Err(want.clone()),
                "{want}"
            );
        }
    }

    /// The §3.3 tables of the spec: the check list of every level at every version.
    #[test]
    fn builtin_check_lists_per_version() {
        let registry = Registry::builtin();
        let baseline_pre_34 = [
            "appArmorProfile",
            "capabilities_baseline",
            "hostNamespaces",
            "hostPathVolumes",
            "hostPorts",
            "privileged",
            "procMount",
            "seLinuxOptions",
            "seccompProfile_baseline",
            "sysctls",
            "windowsHostProcess",
        ];
        let baseline_34 = [
            "appArmorProfile",
            "capabilities_baseline",
            "hostNamespaces",
            "hostPathVolumes",
            "hostPorts",
            "hostProbesAndHostLifecycle",
            "privileged",
            "procMount",
            "seLinuxOptions",
            "seccompProfile_baseline",
            "sysctls",
            "windowsHostProcess",
        ];
        let restricted: &[(u64, u64, &[&str])] = &[
            (
                0,
                7,
                &[
                    "appArmorProfile",
                    "capabilities_baseline",
                    "hostNamespaces",
                    "hostPorts",
                    "privileged",
                    "procMount",
                    "seLinuxOptions",
                    "seccompProfile_baseline",
                    "sysctls",
                    "windowsHostProcess",
                    "restrictedVolumes",
                    "runAsNonRoot",
                ],
            ),
            (
                8,
                18,
                &[
                    "appArmorProfile",
                    "capabilities_baseline",
                    "hostNamespaces",
                    "hostPorts",
                    "privileged",
                    "procMount",
                    "seLinuxOptions",
                    "seccompProfile_baseline",
                    "sysctls",
                    "windowsHostProcess",
                    "allowPrivilegeEscalation",
                    "restrictedVolumes",
                    "runAsNonRoot",
                ],
            ),
            (
                19,
                21,
                &[
                    "appArmorProfile",
                    "capabilities_baseline",
                    "hostNamespaces",
                    "hostPorts",
                    "privileged",
                    "procMount",
                    "seLinuxOptions",
                    "sysctls",
                    "windowsHostProcess",
                    "allowPrivilegeEscalation",
                    "restrictedVolumes",
                    "runAsNonRoot",
                    "seccompProfile_restricted",
                ],
            ),
            (
                22,
                22,
                &[
                    "appArmorProfile",
                    "hostNamespaces",
                    "hostPorts",
                    "privileged",
                    "procMount",
                    "seLinuxOptions",
                    "sysctls",
                    "windowsHostProcess",
                    "allowPrivilegeEscalation",
                    "capabilities_restricted",
                    "restrictedVolumes",
                    "runAsNonRoot",
                    "seccompProfile_restricted",
                ],
            ),
            (
                23,
                33,
                &[
                    "appArmorProfile",
                    "hostNamespaces",
                    "hostPorts",
                    "privileged",
                    "procMount",
                    "seLinuxOptions",
                    "sysctls",
                    "windowsHostProcess",
                    "allowPrivilegeEscalation",
                    "capabilities_restricted",
                    "restrictedVolumes",
                    "runAsNonRoot",
                    "runAsUser",
                    "seccompProfile_restricted",
                ],
            ),
            (
                34,
                34,
                &[
                    "appArmorProfile",
                    "hostNamespaces",
                    "hostPorts",
                    "hostProbesAndHostLifecycle",
                    "privileged",
                    "procMount",
                    "seLinuxOptions",
                    "sysctls",
                    "windowsHostProcess",
                    "allowPrivilegeEscalation",
                    "capabilities_restricted",
                    "restrictedVolumes",
                    "runAsNonRoot",
                    "runAsUser",
                    "seccompProfile_restricted",
                ],
            ),
            (
                35,
                99,
                &[
                    "appArmorProfile",
                    "hostNamespaces",
                    "hostPorts",
                    "hostProbesAndHostLifecycle",
                    "privileged",
                    "seLinuxOptions",
                    "sysctls",
                    "windowsHostProcess",
                    "allowPrivilegeEscalation",
                    "capabilities_restricted",
                    "procMount_restricted",
                    "restrictedVolumes",
                    "runAsNonRoot",
                    "runAsUser",
                    "seccompProfile_restricted",
                ],
            ),
        ];
        for minor in 0..=99 {
            let v = Version::v1(minor);
            let want_baseline: &[&str] = if minor < 34 {
                &baseline_pre_34
            } else {
                &baseline_34
            };
            assert_eq!(
                ids(registry.checks(Level::Baseline, v)),
                want_baseline,
                "baseline:{v}"
            );
            let (_, _, want) = restricted
                .iter()
                .find(|(lo, hi, _)| (*lo..=*hi).contains(&minor))
                .expect("covered");
            assert_eq!(
                ids(registry.checks(Level::Restricted, v)),
                *want,
                "restricted:{v}"
            );
            assert!(registry.checks(Level::Privileged, v).is_empty());
        }
        assert_eq!(
            ids(registry.checks(Level::Restricted, Version::Latest)),
            ids(registry.checks(Level::Restricted, Version::v1(37)))
        );
    }

    #[test]
    fn emulation_version_clamps_latest() {
        let registry =
            Registry::with_emulation_version(checks::ALL, Version::v1(33)).expect("valid");
        assert_eq!(registry.newest(), Version::v1(33));
        let latest = ids(registry.checks(Level::Baseline, Version::Latest));
        assert!(!latest.contains(&"hostProbesAndHostLifecycle"));
        assert_eq!(
            latest,
            ids(registry.checks(Level::Baseline, Version::v1(34)))
        );
        // An emulation version newer than the newest variant changes nothing.
        let newer = Registry::with_emulation_version(checks::ALL, Version::v1(50)).expect("valid");
        assert_eq!(newer.newest(), Version::v1(37));
    }
}

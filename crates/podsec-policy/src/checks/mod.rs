//! The Pod Security Standards checks: one module per check, named after its upstream ID.
//!
//! Each module opens with the fields it reads and the values it allows, and exports one
//! [`Check`] constant: the ID, the level, and the versioned variants. [`ALL`] lists them;
//! the [`Registry`](crate::Registry) turns the list into the ordered checks of every
//! level and version.

use crate::level::Level;
use crate::model::{PodMetadata, PodSpec};
use crate::version::Version;
use crate::violation::{CheckId, Forbidden};

pub mod allow_privilege_escalation;
pub mod app_armor_profile;
pub mod capabilities_baseline;
pub mod capabilities_restricted;
pub mod host_namespaces;
pub mod host_path_volumes;
pub mod host_ports;
pub mod host_probes_and_host_lifecycle;
pub mod privileged;
pub mod proc_mount;
pub mod proc_mount_restricted;
pub mod restricted_volumes;
pub mod run_as_non_root;
pub mod run_as_user;
pub mod se_linux_options;
pub mod seccomp_profile_baseline;
pub mod seccomp_profile_restricted;
pub mod sysctls;
pub mod windows_host_process;

/// A check's evaluation function: `None` when the pod is allowed.
pub type CheckFn = fn(&PodMetadata, &PodSpec) -> Option<Forbidden>;

/// One versioned behaviour of a check.
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    /// The first version this variant applies to; it stays in force until the next variant.
    pub since: Version,
    /// Baseline checks this (restricted) variant replaces while it is active.
    pub overrides: &'static [CheckId],
    /// The evaluation.
    pub evaluate: CheckFn,
}

/// Human documentation of a check, shown by `podsec explain` and in reports.
#[derive(Debug, Clone, Copy)]
pub struct CheckDoc {
    /// One sentence on what the check forbids.
    pub summary: &'static str,
    /// The fields the check reads.
    pub fields: &'static [&'static str],
    /// The values it allows.
    pub allowed: &'static str,
    /// A short imperative hint on how to comply, e.g.
    /// `set securityContext.allowPrivilegeEscalation: false on every container`.
    pub fix: &'static str,
}

/// A check: ID, level and variants in increasing version order.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Upstream's ID.
    pub id: CheckId,
    /// `Baseline` or `Restricted`.
    pub level: Level,
    /// Variants, oldest first.
    pub variants: &'static [Variant],
    /// Documentation.
    pub doc: CheckDoc,
}

/// Every built-in check (order does not matter: the registry sorts by ID).
pub const ALL: &[Check] = &[
    app_armor_profile::CHECK,
    capabilities_baseline::CHECK,
    host_namespaces::CHECK,
    host_path_volumes::CHECK,
    host_ports::CHECK,
    host_probes_and_host_lifecycle::CHECK,
    privileged::CHECK,
    proc_mount::CHECK,
    se_linux_options::CHECK,
    seccomp_profile_baseline::CHECK,
    sysctls::CHECK,
    windows_host_process::CHECK,
    allow_privilege_escalation::CHECK,
    capabilities_restricted::CHECK,
    proc_mount_restricted::CHECK,
    restricted_volumes::CHECK,
    run_as_non_root::CHECK,
    run_as_user::CHECK,
    seccomp_profile_restricted::CHECK,
];

/// Looks up a built-in check by ID (exact spelling).
pub fn by_id(id: &str) -> Option<&'static Check> {
    ALL.iter().find(|c| c.id.as_str() == id)
}

/// Shorthand for a variant that overrides nothing.
pub(crate) const fn since(minor: u64, evaluate: CheckFn) -> Variant {
    Variant {
        since: Version::v1(minor),
        overrides: &[],
        evaluate,
    }
}

/// Shorthand for a variant that overrides baseline checks.
pub(crate) const fn overriding(
    minor: u64,
    overrides: &'static [CheckId],
    evaluate: CheckFn,
) -> Variant {
    Variant {
        since: Version::v1(minor),
        overrides,
        evaluate,
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Builds pods from JSON for the per-check tables.
    use crate::model::{PodMetadata, PodSpec};
    use crate::violation::Forbidden;

    /// Parses `{"metadata": ..., "spec": ...}`.
    pub fn pod(json: &str) -> (PodMetadata, PodSpec) {
        #[derive(serde::Deserialize)]
        struct Pod {
            #[serde(default)]
            metadata: PodMetadata,
            #[serde(default)]
            spec: PodSpec,
        }
        let pod: Pod = serde_json::from_str(json).expect("test pod must parse");
        (pod.metadata, pod.spec)
    }

    /// Runs `check` on each `(pod JSON, expected "reason (detail)" or None)` row.
    pub fn table(check: super::CheckFn, rows: &[(&str, Option<&str>)]) {
        for (json, want) in rows {
            let (meta, spec) = pod(json);
            let got = check(&meta, &spec).map(|f: Forbidden| {
                if f.detail.is_empty() {
                    f.reason.to_owned()
                } else {
                    format!("{} ({})", f.reason, f.detail)
                }
            });
            assert_eq!(got.as_deref(), *want, "pod: {json}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ALL;

    #[test]
    fn every_check_has_a_fix_hint() {
        for check in ALL {
            let fix = check.doc.fix;
            assert!(!fix.trim().is_empty(), "{}: empty fix hint", check.id);
            // Short, imperative and lowercase, without a final period: it follows `fix: `.
            assert!(fix.len() <= 160, "{}: fix hint too long: {fix}", check.id);
            assert!(
                fix.starts_with(|c: char| c.is_ascii_lowercase()),
                "{}: {fix}",
                check.id
            );
            assert!(!fix.ends_with('.'), "{}: {fix}", check.id);
            // Reports print `...; fix: <hint>`.
            assert!(!fix.contains(';'), "{}: {fix}", check.id);
            assert!(!fix.contains('\n'), "{}: {fix}", check.id);
        }
    }
}

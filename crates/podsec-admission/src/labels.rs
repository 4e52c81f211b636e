//! Namespace labels and the effective policy they give (upstream `PolicyToEvaluate`).

use std::collections::BTreeMap;

use podsec_policy::{Level, Version};

use crate::field_error::FieldError;
use crate::policy::{Mode, Policy};

/// Prefix of every Pod Security label.
pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// `pod-security.kubernetes.io/<mode>`.
pub const fn level_label(mode: Mode) -> &'static str {
    match mode {
        Mode::Enforce => "pod-security.kubernetes.io/enforce",
        Mode::Audit => "pod-security.kubernetes.io/audit",
        Mode::Warn => "pod-security.kubernetes.io/warn",
    }
}

/// `pod-security.kubernetes.io/<mode>-version`.
pub const fn version_label(mode: Mode) -> &'static str {
    match mode {
        Mode::Enforce => "pod-security.kubernetes.io/enforce-version",
        Mode::Audit => "pod-security.kubernetes.io/audit-version",
        Mode::Warn => "pod-security.kubernetes.io/warn-version",
    }
}

fn label_field(key: &str) -> String {
    format!("metadata.labels[{key}]")
}

/// The policy that `labels` give on top of `defaults`, and the errors of invalid labels.
///
/// Invalid values fall back: an invalid enforce level to `restricted` (fail closed), invalid
/// audit and warn levels to `privileged` (fail open), invalid versions to `latest`. Warn follows
/// enforce only when the enforce level label is valid, there is no warn level label, and enforce
/// is stricter than the default warn level (the version too, unless a warn-version label exists).
pub fn policy_from_labels(
    labels: &BTreeMap<String, String>,
    defaults: &Policy,
) -> (Policy, Vec<FieldError>) {
    let mut policy = *defaults;
    if labels.is_empty() {
        return (policy, Vec::new());
    }
    let mut errors = Vec::new();
    let mut has_enforce_level = false;
    let mut has_warn_level = false;
    let mut has_warn_version = false;

    for mode in Mode::ALL {
        let lv = match mode {
            Mode::Enforce => &mut policy.enforce,
            Mode::Audit => &mut policy.audit,
            Mode::Warn => &mut policy.warn,
        };
        if let Some(value) = labels.get(level_label(mode)) {
            match value.parse::<Level>() {
                Ok(level) => {
                    lv.level = level;
                    has_enforce_level |= mode == Mode::Enforce;
                }
                Err(e) => {
                    lv.level = if mode == Mode::Enforce {
                        Level::Restricted
                    } else {
                        Level::Privileged
                    };
                    errors.push(FieldError::invalid(
                        label_field(level_label(mode)),
                        value,
                        e.to_string(),
                    ));
                }
            }
            has_warn_level |= mode == Mode::Warn;
        }
        if let Some(value) = labels.get(version_label(mode)) {
            match value.parse::<Version>() {
                Ok(version) => lv.version = version,
                Err(e) => {
                    lv.version = Version::Latest;
                    errors.push(FieldError::invalid(
                        label_field(version_label(mode)),
                        value,
                        e.to_string(),
                    ));
                }
            }
            has_warn_version |= mode == Mode::Warn;
        }
    }

    if !has_warn_level && has_enforce_level && policy.enforce.level > policy.warn.level {
        policy.warn.level = policy.enforce.level;
        if !has_warn_version {
            policy.warn.version = policy.enforce.version;
        }
    }
    (policy, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use podsec_policy::LevelVersion;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (format!("{LABEL_PREFIX}{k}"), (*v).to_owned()))
            .collect()
    }

    fn lv(s: &str) -> LevelVersion {
        let (l, v) = s.split_once(':').expect("level:version");
        LevelVersion::new(l.parse().expect("level"), v.parse().expect("version"))
    }

    /// Labels, then the expected enforce, audit and warn policies, and whether errors occur.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str, &'a str, bool);

    /// Upstream's TestPolicyToEvaluate and the spec's §1.3 table.
    #[test]
    fn label_table() {
        let cases: &[Case] = &[
            (
                &[],
                "privileged:latest",
                "privileged:latest",
                "privileged:latest",
                false,
            ),
            (
                &[("enforce", "baseline")],
                "baseline:latest",
                "privileged:latest",
                "baseline:latest",
                false,
            ),
            (
                &[("warn", "restricted")],
                "privileged:latest",
                "privileged:latest",
                "restricted:latest",
                false,
            ),
            (
                &[("enforce", "baseline"), ("enforce-version", "v1.22")],
                "baseline:v1.22",
                "privileged:latest",
                "baseline:v1.22",
                false,
            ),
            (
                &[
                    ("enforce", "baseline"),
                    ("enforce-version", "v1.22"),
                    ("warn-version", "latest"),
                ],
                "baseline:v1.22",
                "privileged:latest",
                "baseline:latest",
                false,
            ),
            (
                &[("enforce", "baseline"), ("warn-version", "v1.23")],
                "baseline:latest",
                "privileged:latest",
                "baseline:v1.23",
                false,
            ),
            (
                &[("enforce", "baseline"), ("warn", "privileged")],
                "baseline:latest",
                "privileged:latest",
                "privileged:latest",
                false,
            ),
            (
                &[("enforce", "baseline"), ("warn", "foo")],
                "baseline:latest",
                "privileged:latest",
                "privileged:latest",
                true,
            ),
            (
                &[("enforce", "foo")],
                "restricted:latest",
                "privileged:latest",
                "privileged:latest",
                true,
            ),
            (
                &[("enforce-version", "v1.20")],
                "privileged:v1.20",
                "privileged:latest",
                "privileged:latest",
                false,
            ),
            (
                &[("audit", "restricted")],
                "privileged:latest",
                "restricted:latest",
                "privileged:latest",
                false,
            ),
            (
                &[("audit", "foo"), ("audit-version", "v1.01")],
                "privileged:latest",
                "privileged:latest",
                "privileged:latest",
                true,
            ),
            (
                &[
                    ("enforce", "baseline"),
                    ("enforce-version", "v1.20"),
                    ("warn", "restricted"),
                    ("warn-version", "v1.21"),
                    ("audit", "restricted"),
                    ("audit-version", "v1.22"),
                ],
                "baseline:v1.20",
                "restricted:v1.22",
                "restricted:v1.21",
                false,
            ),
        ];
        for (pairs, enforce, audit, warn, has_errors) in cases {
            let (policy, errors) = policy_from_labels(&labels(pairs), &Policy::default());
            assert_eq!(policy.enforce, lv(enforce), "{pairs:?}");
            assert_eq!(policy.audit, lv(audit), "{pairs:?}");
            assert_eq!(policy.warn, lv(warn), "{pairs:?}");
            assert_eq!(!errors.is_empty(), *has_errors, "{pairs:?}");
        }
    }

    #[test]
    fn errors_in_fixed_order_with_exact_text() {
        let (_, errors) = policy_from_labels(
            &labels(&[
                ("warn-version", "y"),
                ("enforce", "x"),
                ("audit", ""),
                ("enforce-version", "v1.01"),
            ]),
            &Policy::default(),
        );
        let rendered: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            rendered,
            [
                r#"metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "x": must be one of privileged, baseline, restricted"#,
                r#"metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "v1.01": must be "latest" or "v1.x""#,
                r#"metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: "": must be one of privileged, baseline, restricted"#,
                r#"metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "y": must be "latest" or "v1.x""#,
            ]
        );
    }

    #[test]
    fn warn_follows_enforce_only_when_stricter_than_default_warn() {
        let defaults = Policy {
            warn: lv("restricted:v1.30"),
            ..Policy::default()
        };
        let (policy, _) = policy_from_labels(&labels(&[("enforce", "baseline")]), &defaults);
        assert_eq!(policy.warn, lv("restricted:v1.30"));
        // An invalid enforce level (restricted by fallback) does not drag warn along.
        let (policy, _) = policy_from_labels(&labels(&[("enforce", "nope")]), &Policy::default());
        assert_eq!(policy.warn, lv("privileged:latest"));
        // The enforce version copied to warn is the fallback `latest` after a parse error.
        let (policy, _) = policy_from_labels(
            &labels(&[("enforce", "baseline"), ("enforce-version", "bad")]),
            &Policy::default(),
        );
        assert_eq!(policy.warn, lv("baseline:latest"));
    }
}

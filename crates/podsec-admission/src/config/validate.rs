//! Start-up validation (spec §2.6): building the default policy (step A) and validating the
//! configuration (step B, upstream `ValidatePodSecurityConfiguration`).

use std::collections::HashSet;

use podsec_policy::{Level, LevelVersion, Version};

use super::dns::{dns1123_label_errors, dns1123_subdomain_errors};
use super::{ConfigError, PodSecurityConfiguration};
use crate::field_error::FieldError;
use crate::policy::Policy;

/// Detail of an empty username exemption.
pub const EMPTY_USERNAME_MESSAGE: &str = "username must not be empty";

impl PodSecurityConfiguration {
    /// Step A: the default [`Policy`] of the six `defaults` fields.
    ///
    /// Fields are checked in the order enforce, enforce-version, audit, audit-version, warn,
    /// warn-version; an empty field gives `<name>: required`, an unparsable one
    /// `<name>: <parse message>` (`<name>` is the JSON key). All problems are returned together
    /// as [`ConfigError::Incomplete`], displayed `configuration error: <aggregate>`.
    pub fn default_policy(&self) -> Result<Policy, ConfigError> {
        let d = &self.defaults;
        let mut errors = Vec::new();
        let mut mode = |level_name: &str, level: &str, version_name: &str, version: &str| {
            LevelVersion::new(
                parse_field(level_name, level, Level::Privileged, &mut errors),
                parse_field(version_name, version, Version::Latest, &mut errors),
            )
        };
        let policy = Policy {
            enforce: mode("enforce", &d.enforce, "enforce-version", &d.enforce_version),
            audit: mode("audit", &d.audit, "audit-version", &d.audit_version),
            warn: mode("warn", &d.warn, "warn-version", &d.warn_version),
        };
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(ConfigError::Incomplete { errors })
        }
    }

    /// Step B: every field error of the configuration, in upstream's order.
    ///
    /// `defaults.enforce`, `defaults.enforce-version`, `defaults.warn`,
    /// `defaults.warn-version`, `defaults.audit`, `defaults.audit-version` (warn before
    /// audit); then `exemptions.namespaces[i]` (DNS-1123 labels), `exemptions.runtimeClasses[i]`
    /// (DNS-1123 subdomains) and `exemptions.usernames[i]` (non-empty). An invalid entry is not
    /// tracked for duplicates; a repeated valid entry is a `Duplicate value`.
    pub fn validate(&self) -> Vec<FieldError> {
        let d = &self.defaults;
        let mut errors = Vec::new();
        for (level_field, level, version_field, version) in [
            (
                "defaults.enforce",
                &d.enforce,
                "defaults.enforce-version",
                &d.enforce_version,
            ),
            (
                "defaults.warn",
                &d.warn,
                "defaults.warn-version",
                &d.warn_version,
            ),
            (
                "defaults.audit",
                &d.audit,
                "defaults.audit-version",
                &d.audit_version,
            ),
        ] {
            if let Err(e) = level.parse::<Level>() {
                errors.push(FieldError::invalid(
                    level_field,
                    level.as_str(),
                    e.to_string(),
                ));
            }
            if let Err(e) = version.parse::<Version>() {
                errors.push(FieldError::invalid(
                    version_field,
                    version.as_str(),
                    e.to_string(),
                ));
            }
        }

        let e = &self.exemptions;
        check_names(
            "exemptions.namespaces",
            &e.namespaces,
            dns1123_label_errors,
            &mut errors,
        );
        check_names(
            "exemptions.runtimeClasses",
            &e.runtime_classes,
            dns1123_subdomain_errors,
            &mut errors,
        );
        check_names(
            "exemptions.usernames",
            &e.usernames,
            |name| {
                if name.is_empty() {
                    vec![EMPTY_USERNAME_MESSAGE.to_owned()]
                } else {
                    Vec::new()
                }
            },
            &mut errors,
        );
        errors
    }
}

/// Parses one defaults field for step A, recording `<name>: required` or
/// `<name>: <parse message>` and returning `fallback` on failure.
fn parse_field<T>(name: &str, value: &str, fallback: T, errors: &mut Vec<String>) -> T
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    if value.is_empty() {
        errors.push(format!("{name}: required"));
        return fallback;
    }
    value.parse().unwrap_or_else(|e| {
        errors.push(format!("{name}: {e}"));
        fallback
    })
}

fn check_names(
    path: &str,
    names: &[String],
    problems: impl Fn(&str) -> Vec<String>,
    errors: &mut Vec<FieldError>,
) {
    let mut seen: HashSet<&str> = HashSet::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let field = format!("{path}[{i}]");
        let found = problems(name);
        if !found.is_empty() {
            errors.push(FieldError::invalid(field, name.as_str(), found.join(", ")));
        } else if !seen.insert(name) {
            errors.push(FieldError::duplicate(field, name.as_str()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Exemptions, PolicyDefaults};
    use crate::field_error::FieldErrorKind;

    fn defaults(values: [&str; 6]) -> PolicyDefaults {
        let [
            enforce,
            enforce_version,
            audit,
            audit_version,
            warn,
            warn_version,
        ] = values.map(str::to_owned);
        PolicyDefaults {
            enforce,
            enforce_version,
            audit,
            audit_version,
            warn,
            warn_version,
        }
    }

    #[test]
    fn default_policy_parses_all_six() {
        let config = PodSecurityConfiguration {
            defaults: defaults([
                "baseline",
                "v1.22",
                "restricted",
                "latest",
                "privileged",
                "v1.0",
            ]),
            exemptions: Exemptions::default(),
        };
        let policy = config.default_policy().expect("valid");
        assert_eq!(policy.enforce.to_string(), "baseline:v1.22");
        assert_eq!(policy.audit.to_string(), "restricted:latest");
        assert_eq!(policy.warn.to_string(), "privileged:v1.0");
        assert_eq!(
            PodSecurityConfiguration::default()
                .default_policy()
                .expect("valid"),
            Policy::default()
        );
    }

    #[test]
    fn default_policy_errors_in_to_policy_order() {
        let config = PodSecurityConfiguration {
            defaults: defaults(["", "v.122", "lorum", "", "restricted", "ipsum"]),
            exemptions: Exemptions::default(),
        };
        let err = config.default_policy().unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration error: [enforce: required, enforce-version: must be \"latest\" or \"v1.x\", \
             audit: must be one of privileged, baseline, restricted, audit-version: required, \
             warn-version: must be \"latest\" or \"v1.x\"]"
        );
        let one = PodSecurityConfiguration {
            defaults: defaults([
                "strict",
                "latest",
                "privileged",
                "latest",
                "privileged",
                "latest",
            ]),
            exemptions: Exemptions::default(),
        };
        assert_eq!(
            one.default_policy().unwrap_err().to_string(),
            "configuration error: enforce: must be one of privileged, baseline, restricted"
        );
    }

    #[test]
    fn validate_defaults_warn_before_audit() {
        let config = PodSecurityConfiguration {
            defaults: defaults(["baslein", "v.122", "lorum", "ipsum", "", ""]),
            exemptions: Exemptions::default(),
        };
        let errors = config.validate();
        let fields: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.bad_value.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("defaults.enforce", "baslein"),
                ("defaults.enforce-version", "v.122"),
                ("defaults.warn", ""),
                ("defaults.warn-version", ""),
                ("defaults.audit", "lorum"),
                ("defaults.audit-version", "ipsum"),
            ]
        );
        assert!(errors.iter().all(|e| e.kind == FieldErrorKind::Invalid));
        assert_eq!(
            errors[0].to_string(),
            r#"defaults.enforce: Invalid value: "baslein": must be one of privileged, baseline, restricted"#
        );
        assert_eq!(
            errors[1].to_string(),
            r#"defaults.enforce-version: Invalid value: "v.122": must be "latest" or "v1.x""#
        );
    }

    #[test]
    fn validate_usernames() {
        let config = PodSecurityConfiguration {
            exemptions: Exemptions {
                usernames: vec!["".into(), "a".into(), "a".into(), "".into()],
                ..Exemptions::default()
            },
            ..PodSecurityConfiguration::default()
        };
        let rendered: Vec<String> = config.validate().iter().map(ToString::to_string).collect();
        assert_eq!(
            rendered,
            [
                r#"exemptions.usernames[0]: Invalid value: "": username must not be empty"#,
                r#"exemptions.usernames[2]: Duplicate value: "a""#,
                r#"exemptions.usernames[3]: Invalid value: "": username must not be empty"#,
            ]
        );
    }
}

//! Pod Security Admission configuration: the `PodSecurityConfiguration` object (spec §2).
//!
//! * [`load`] reads a `pod-security.admission.config.k8s.io` `PodSecurityConfiguration`
//!   (JSON or YAML, strict, defaulted) exactly like upstream's loader, including its error
//!   texts; [`load_admission_configuration`] finds it inside an API server
//!   `AdmissionConfiguration`; [`load_any`] accepts either.
//! * [`PodSecurityConfiguration::default_policy`] and [`PodSecurityConfiguration::validate`]
//!   are the two start-up checks (§2.6).
//! * [`AdmissionConfig`] is the checked, ready-to-use form the engine runs on: the default
//!   [`Policy`] and an [`ExemptionSet`] with constant-time lookups.
//!
//! ```
//! use podsec_admission::config::{AdmissionConfig, load};
//!
//! let yaml = b"apiVersion: pod-security.admission.config.k8s.io/v1
//! kind: PodSecurityConfiguration
//! defaults:
//!   enforce: baseline
//! exemptions:
//!   namespaces: [kube-system]
//! ";
//! let config = AdmissionConfig::new(&load(yaml)?)?;
//! assert_eq!(config.defaults.enforce.to_string(), "baseline:latest");
//! assert!(config.exemptions.is_exempt_namespace("kube-system"));
//! # Ok::<(), podsec_admission::config::ConfigError>(())
//! ```

pub mod dns;
mod load;
mod tree;
mod validate;

use std::collections::HashSet;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::field_error::{FieldError, aggregate};
use crate::policy::Policy;
use podsec_policy::text::go_quote;

pub use load::{load, load_admission_configuration, load_any, load_any_file, load_file};
pub use validate::EMPTY_USERNAME_MESSAGE;

/// API group of the PodSecurityConfiguration.
pub const GROUP: &str = "pod-security.admission.config.k8s.io";

/// Kind of the PodSecurityConfiguration.
pub const KIND: &str = "PodSecurityConfiguration";

/// Accepted versions of [`GROUP`], preferred first.
pub const VERSIONS: [&str; 3] = ["v1", "v1beta1", "v1alpha1"];

/// API group of the API server's AdmissionConfiguration.
pub const ADMISSION_GROUP: &str = "apiserver.config.k8s.io";

/// Kind of the API server's AdmissionConfiguration.
pub const ADMISSION_KIND: &str = "AdmissionConfiguration";

/// Accepted versions of [`ADMISSION_GROUP`].
pub const ADMISSION_VERSIONS: [&str; 2] = ["v1", "v1alpha1"];

/// Name of the in-tree admission plugin whose configuration is a PodSecurityConfiguration.
pub const PLUGIN_NAME: &str = "PodSecurity";

/// Name of upstream's configuration scheme, as printed in "not registered" errors.
pub const SCHEME_NAME: &str = "pkg/runtime/scheme.go:100";

/// Default level of the three modes.
pub const DEFAULT_LEVEL: &str = "privileged";

/// Default version of the three modes.
pub const DEFAULT_VERSION: &str = "latest";

/// A PodSecurityConfiguration (the same schema in all versions).
///
/// `Default` is the fully defaulted configuration (`privileged:latest` for every mode, no
/// exemptions), which is also what loading zero bytes gives. The serde implementations use
/// the upstream field names; deriving gives a plain decoder without upstream's strictness
/// rules or messages, so use [`load`] to read configuration files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PodSecurityConfiguration {
    /// Policy applied to namespaces without (valid) labels.
    pub defaults: PolicyDefaults,
    /// Requests that are never checked.
    pub exemptions: Exemptions,
}

/// The `defaults` section: one level and version string per mode, unparsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyDefaults {
    /// Enforce level (`enforce`).
    pub enforce: String,
    /// Enforce version (`enforce-version`).
    #[serde(rename = "enforce-version")]
    pub enforce_version: String,
    /// Audit level (`audit`).
    pub audit: String,
    /// Audit version (`audit-version`).
    #[serde(rename = "audit-version")]
    pub audit_version: String,
    /// Warn level (`warn`).
    pub warn: String,
    /// Warn version (`warn-version`).
    #[serde(rename = "warn-version")]
    pub warn_version: String,
}

impl Default for PolicyDefaults {
    /// `privileged` levels and `latest` versions (§2.3).
    fn default() -> Self {
        let mut defaults = PolicyDefaults::empty();
        defaults.apply_defaults();
        defaults
    }
}

impl PolicyDefaults {
    /// All six fields empty (not yet defaulted).
    pub fn empty() -> Self {
        PolicyDefaults {
            enforce: String::new(),
            enforce_version: String::new(),
            audit: String::new(),
            audit_version: String::new(),
            warn: String::new(),
            warn_version: String::new(),
        }
    }

    /// §2.3: empty levels become `privileged`, empty versions `latest`.
    pub fn apply_defaults(&mut self) {
        for level in [&mut self.enforce, &mut self.audit, &mut self.warn] {
            if level.is_empty() {
                DEFAULT_LEVEL.clone_into(level);
            }
        }
        for version in [
            &mut self.enforce_version,
            &mut self.audit_version,
            &mut self.warn_version,
        ] {
            if version.is_empty() {
                DEFAULT_VERSION.clone_into(version);
            }
        }
    }
}

/// The `exemptions` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Exemptions {
    /// Exempt authenticated usernames (`usernames`).
    pub usernames: Vec<String>,
    /// Exempt namespaces (`namespaces`).
    pub namespaces: Vec<String>,
    /// Exempt runtime class names (`runtimeClasses`).
    pub runtime_classes: Vec<String>,
}

impl PodSecurityConfiguration {
    /// §2.3 defaulting of the `defaults` section (loading already applies it).
    pub fn apply_defaults(&mut self) {
        self.defaults.apply_defaults();
    }
}

/// A configuration that could not be read, decoded or accepted.
///
/// Messages follow upstream's texts (see the variants). Nothing here panics on any input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file could not be read, displayed like Go's `os.ReadFile` errors:
    /// `open <path>: no such file or directory`.
    #[error("{} {}: {}", io_op(source), path.display(), io_reason(source))]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The input is not valid JSON or YAML, or cannot become JSON (e.g.
    /// `couldn't get version/kind; json parse error: ...`, `yaml: line 3: ...`,
    /// `json: unsupported value: NaN`).
    #[error("{0}")]
    Syntax(String),
    /// A value of the wrong JSON type, e.g.
    /// `json: cannot unmarshal number into Go struct field PodSecurityDefaults.defaults.enforce of type string`.
    #[error("{0}")]
    Type(String),
    /// No `kind`: `Object 'Kind' is missing in '<input>'`.
    #[error("Object 'Kind' is missing in '{raw}'")]
    MissingKind {
        /// The whole input text.
        raw: String,
    },
    /// No version in `apiVersion`: `Object 'apiVersion' is missing in '<input>'`.
    #[error("Object 'apiVersion' is missing in '{raw}'")]
    MissingVersion {
        /// The whole input text.
        raw: String,
    },
    /// An `apiVersion` with more than one `/`: `unexpected GroupVersion string: <value>`.
    #[error("unexpected GroupVersion string: {api_version}")]
    GroupVersion {
        /// The `apiVersion` value.
        api_version: String,
    },
    /// An unknown group, version or kind:
    /// `no kind "<kind>" is registered for version "<group>/<version>" in scheme "pkg/runtime/scheme.go:100"`.
    #[error("{}", not_registered_message(group, version, kind))]
    NotRegistered {
        /// API group (empty for the legacy core group).
        group: String,
        /// Version.
        version: String,
        /// Kind.
        kind: String,
    },
    /// Unknown or duplicate fields: `strict decoding error: unknown field "deflaults", ...`.
    #[error("strict decoding error: {}", errors.join(", "))]
    Strict {
        /// Each problem, e.g. `unknown field "defaults.enforc"`, `duplicate field "kind"`, or
        /// go-yaml's `yaml: unmarshal errors:\n  line 3: key "enforce" already set in map`.
        errors: Vec<String>,
    },
    /// Step A of start-up validation failed: `configuration error: <aggregate>`, e.g.
    /// `configuration error: enforce: must be one of privileged, baseline, restricted`.
    #[error("configuration error: {}", aggregate(errors))]
    Incomplete {
        /// Each problem, e.g. `enforce: required`, in upstream order.
        errors: Vec<String>,
    },
    /// Step B of start-up validation failed: `invalid configuration: <aggregate>`.
    #[error("invalid configuration: {}", aggregate(errors))]
    Invalid {
        /// The field errors, in upstream order.
        errors: Vec<FieldError>,
    },
}

fn not_registered_message(group: &str, version: &str, kind: &str) -> String {
    if version == "__internal" {
        return format!(
            "no kind {} is registered for the internal version of group {} in scheme {}",
            go_quote(kind),
            go_quote(group),
            go_quote(SCHEME_NAME)
        );
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    format!(
        "no kind {} is registered for version {} in scheme {}",
        go_quote(kind),
        go_quote(&group_version),
        go_quote(SCHEME_NAME)
    )
}

/// Go reports reading a directory as a failed `read`, everything else as a failed `open`.
fn io_op(error: &io::Error) -> &'static str {
    if error.kind() == io::ErrorKind::IsADirectory {
        "read"
    } else {
        "open"
    }
}

/// Go's lower-case errno text: `no such file or directory`, `permission denied`, ...
fn io_reason(error: &io::Error) -> String {
    if let Some(code) = error.raw_os_error() {
        let text = error.to_string();
        let text = text
            .strip_suffix(&format!(" (os error {code})"))
            .unwrap_or(&text);
        let mut chars = text.chars();
        return match chars.next() {
            Some(first) => first.to_lowercase().chain(chars).collect(),
            None => String::new(),
        };
    }
    match error.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => error.to_string(),
    }
}

/// Exempt usernames, namespaces and runtime classes, with constant-time lookups.
///
/// Matching is exact and case-sensitive; the empty string never matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExemptionSet {
    usernames: HashSet<String>,
    namespaces: HashSet<String>,
    runtime_classes: HashSet<String>,
}

impl ExemptionSet {
    /// The set of the configured exemptions (duplicates collapse).
    pub fn new(exemptions: &Exemptions) -> Self {
        let set = |items: &[String]| -> HashSet<String> {
            items.iter().filter(|s| !s.is_empty()).cloned().collect()
        };
        ExemptionSet {
            usernames: set(&exemptions.usernames),
            namespaces: set(&exemptions.namespaces),
            runtime_classes: set(&exemptions.runtime_classes),
        }
    }

    /// Whether requests in `namespace` are exempt.
    pub fn is_exempt_namespace(&self, namespace: &str) -> bool {
        !namespace.is_empty() && self.namespaces.contains(namespace)
    }

    /// Whether requests by the authenticated user `username` are exempt.
    pub fn is_exempt_user(&self, username: &str) -> bool {
        !username.is_empty() && self.usernames.contains(username)
    }

    /// Whether pods with `runtimeClassName: <runtime_class>` are exempt.
    pub fn is_exempt_runtime_class(&self, runtime_class: &str) -> bool {
        !runtime_class.is_empty() && self.runtime_classes.contains(runtime_class)
    }

    /// The exemption that applies to a pod or workload, checked in upstream's order, as the
    /// `exempt` audit annotation names it: `namespace`, `user`, then `runtimeClass` (of the
    /// pod or template).
    pub fn exemption(
        &self,
        namespace: &str,
        username: &str,
        runtime_class: Option<&str>,
    ) -> Option<&'static str> {
        if self.is_exempt_namespace(namespace) {
            Some("namespace")
        } else if self.is_exempt_user(username) {
            Some("user")
        } else if runtime_class.is_some_and(|c| self.is_exempt_runtime_class(c)) {
            Some("runtimeClass")
        } else {
            None
        }
    }

    /// Whether there are no exemptions at all.
    pub fn is_empty(&self) -> bool {
        self.usernames.is_empty() && self.namespaces.is_empty() && self.runtime_classes.is_empty()
    }
}

impl From<&Exemptions> for ExemptionSet {
    fn from(exemptions: &Exemptions) -> Self {
        ExemptionSet::new(exemptions)
    }
}

/// A checked configuration, ready for the admission engine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdmissionConfig {
    /// Policy of namespaces without (valid) labels.
    pub defaults: Policy,
    /// Exempt users, namespaces and runtime classes.
    pub exemptions: ExemptionSet,
}

impl AdmissionConfig {
    /// Runs both start-up checks, in upstream's order: step A
    /// ([`PodSecurityConfiguration::default_policy`], error displayed
    /// `configuration error: ...`), then step B ([`PodSecurityConfiguration::validate`], error
    /// [`ConfigError::Invalid`] displayed `invalid configuration: ...`).
    ///
    /// `AdmissionConfig::default()` is upstream's default: `privileged:latest` everywhere and
    /// no exemptions.
    pub fn new(config: &PodSecurityConfiguration) -> Result<Self, ConfigError> {
        let defaults = config.default_policy()?;
        let errors = config.validate();
        if !errors.is_empty() {
            return Err(ConfigError::Invalid { errors });
        }
        Ok(AdmissionConfig {
            defaults,
            exemptions: ExemptionSet::new(&config.exemptions),
        })
    }
}

impl TryFrom<&PodSecurityConfiguration> for AdmissionConfig {
    type Error = ConfigError;

    fn try_from(config: &PodSecurityConfiguration) -> Result<Self, ConfigError> {
        AdmissionConfig::new(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_privileged_latest() {
        let config = PodSecurityConfiguration::default();
        assert_eq!(config.defaults.enforce, "privileged");
        assert_eq!(config.defaults.enforce_version, "latest");
        assert_eq!(config.defaults.audit, "privileged");
        assert_eq!(config.defaults.audit_version, "latest");
        assert_eq!(config.defaults.warn, "privileged");
        assert_eq!(config.defaults.warn_version, "latest");
        assert_eq!(config.exemptions, Exemptions::default());
        assert_eq!(AdmissionConfig::default().defaults, Policy::default());
        assert_eq!(
            AdmissionConfig::new(&config).expect("valid"),
            AdmissionConfig::default()
        );
    }

    #[test]
    fn serde_field_names() {
        let json = serde_json::to_value(PodSecurityConfiguration::default()).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({
                "defaults": {
                    "enforce": "privileged", "enforce-version": "latest",
                    "audit": "privileged", "audit-version": "latest",
                    "warn": "privileged", "warn-version": "latest"
                },
                "exemptions": {"usernames": [], "namespaces": [], "runtimeClasses": []}
            })
        );
        let back: PodSecurityConfiguration = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, PodSecurityConfiguration::default());
    }

    #[test]
    fn exemption_lookups() {
        let set = ExemptionSet::new(&Exemptions {
            usernames: vec!["alice".into(), String::new()],
            namespaces: vec!["kube-system".into()],
            runtime_classes: vec!["gvisor".into()],
        });
        assert!(set.is_exempt_user("alice"));
        assert!(!set.is_exempt_user("Alice"));
        assert!(!set.is_exempt_user(""));
        assert!(set.is_exempt_namespace("kube-system"));
        assert!(!set.is_exempt_namespace("kube-system2"));
        assert!(!set.is_exempt_namespace(""));
        assert!(set.is_exempt_runtime_class("gvisor"));
        assert!(!set.is_exempt_runtime_class(""));
        assert!(!set.is_empty());
        assert!(ExemptionSet::default().is_empty());
    }

    #[test]
    fn io_errors_read_like_go() {
        let missing = ConfigError::Read {
            path: "/nope/psa.yaml".into(),
            source: io::Error::from_raw_os_error(2),
        };
        assert_eq!(
            missing.to_string(),
            "open /nope/psa.yaml: no such file or directory"
        );
        let kind_only = ConfigError::Read {
            path: "psa.yaml".into(),
            source: io::ErrorKind::NotFound.into(),
        };
        assert_eq!(
            kind_only.to_string(),
            "open psa.yaml: no such file or directory"
        );
        let dir = ConfigError::Read {
            path: "/etc".into(),
            source: io::ErrorKind::IsADirectory.into(),
        };
        assert_eq!(dir.to_string(), "read /etc: is a directory");
    }

    #[test]
    fn not_registered_messages() {
        let err = ConfigError::NotRegistered {
            group: "apps".into(),
            version: "v1alpha1".into(),
            kind: KIND.into(),
        };
        assert_eq!(
            err.to_string(),
            r#"no kind "PodSecurityConfiguration" is registered for version "apps/v1alpha1" in scheme "pkg/runtime/scheme.go:100""#
        );
        let core = ConfigError::NotRegistered {
            group: String::new(),
            version: "v1".into(),
            kind: "Pod".into(),
        };
        assert_eq!(
            core.to_string(),
            r#"no kind "Pod" is registered for version "v1" in scheme "pkg/runtime/scheme.go:100""#
        );
    }
}

//! The API server's own answers on the fields the Pod Security checks read: the validation
//! that rejects a pod (or a workload's pod template) as `422 Invalid` before any validating
//! admission runs, and the warnings it returns for creating one. Both are keyed to the
//! cluster's Kubernetes version, like [`crate::defaults`], and both look at the object as the
//! API server does: after [`crate::defaults::apply_cluster_defaults`].
//!
//! [`validate`] gives the field errors in the order upstream's validation appends them,
//! [`invalid_message`] the message of the `422` (`Pod "x" is invalid: ...`), [`warnings`] the
//! warning texts in upstream's order. Paths are the object's: `metadata.annotations[...]` and
//! `spec.containers[0]...` for a pod; for a template, `<prefix>spec...`, with the template's
//! annotations at `<prefix>annotations` in validation errors (upstream validates the template's
//! metadata at the template's own path) and at `<prefix>metadata.annotations[...]` in warnings.
//!
//! Only rules that involve a field a check reads are modelled. Everything else the API server
//! validates (names, images, resources, volume contents, ...) is not: an object podsec accepts
//! may still be rejected for other reasons.
//!
//! # Validation rules
//!
//! In upstream's order. Versions are those where the rule exists in the API server; a field
//! the cluster drops first (see [`crate::defaults`]: `procMount` and `hostUsers` before v1.33)
//! never reaches it.
//!
//! | rule | pods | templates | the API server answers |
//! |---|---|---|---|
//! | `seccomp-annotation` | all versions | all versions | `<annotations>.seccomp.security.alpha.kubernetes.io/pod: Invalid value: "x": must be a valid seccomp profile` (also each `container.seccomp.security.alpha.kubernetes.io/<name>`; `localhost/<path>`: `must be a relative path`, `must not contain '..'`) |
//! | `apparmor-annotation` | all versions | all versions | `<annotations>[container.apparmor.security.beta.kubernetes.io/<name>]: Invalid value: "<name>": container not found`; `Invalid value: "x": invalid AppArmor profile name: "x"` |
//! | `volume-one-source` | all versions | all versions | `spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type` (each source after the first, in upstream's order) |
//! | `container-port-range` | all versions | all versions | `spec.containers[0].ports[0].containerPort: Required value`; `...containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive`; the same for a non-zero `hostPort` |
//! | `run-as-user-range` | all versions | all versions | `spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive` (also `spec.securityContext.runAsUser`) |
//! | `proc-mount-type` | all versions | all versions | `spec.containers[0].securityContext.procMount: Unsupported value: "x": supported values: "Default", "Unmasked"` |
//! | `proc-mount-unmasked-host-users` | v1.30 and later | v1.30 and later | `spec.containers[0].securityContext.procMount: Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`` |
//! | `seccomp-profile-field` | v1.19 and later | v1.19 and later | `...seccompProfile.type: Required value: type is required when seccompProfile is set`; `...type: Unsupported value: "x": supported values: "Localhost", "RuntimeDefault", "Unconfined"`; `...localhostProfile: Required value: must be set when seccomp type is Localhost`; `...localhostProfile: Invalid value: "/x": must be a relative path`; `...localhostProfile: Invalid value: ...: can only be set when seccomp type is Localhost` (container and pod) |
//! | `allow-privilege-escalation-conflict` | all versions | all versions | `spec.containers[0].securityContext: Invalid value: core.SecurityContext{...}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true` (and `... and `capabilities.Add` CAP_SYS_ADMIN`) |
//! | `apparmor-profile-field` | v1.30 and later | v1.30 and later | `...appArmorProfile.type: Required value: type is required when appArmorProfile is set`; `...type: Unsupported value: "x": supported values: "Localhost", "RuntimeDefault", "Unconfined"`; `...localhostProfile: Required value: must be set when AppArmor type is Localhost`; `...localhostProfile: Invalid value: " x": must not be padded with whitespace`; `...localhostProfile: Invalid value: "x": can only be set when AppArmor type is Localhost` (container and pod) |
//! | `host-port-conflict` | all versions | all versions | `spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"` (across regular containers; each init container alone) |
//! | `ephemeral-container-fields` | v1.23 and later | v1.23 and later | `spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container` (also `livenessProbe`, `readinessProbe`, `startupProbe`, `lifecycle`) |
//! | `host-network-container-port` | up to v1.27 | up to v1.27 | `spec.containers[0].ports[0].containerPort: Invalid value: 80: must match `hostPort` when `hostNetwork` is true` |
//! | `host-network-host-port` | v1.28 and later | v1.28 and later | `spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true` (templates: an unset `hostPort` passes) |
//! | `sysctl-name` | v1.23 and later | v1.23 and later | `spec.securityContext.sysctls[0].name: Required value`; `...name: Invalid value: "x": must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$`; `...name: Duplicate value: "x"` |
//! | `sysctl-host-namespace` | v1.29 and later | v1.29 and later | `spec.securityContext.sysctls[0].name: Invalid value: "net.x": may not be specified when 'hostNetwork' is true` (and `'hostIPC'` for IPC sysctls) |
//! | `windows-host-process` | v1.23 and later | v1.23 and later | `spec.containers[0].securityContext.windowsOptions.hostProcess: Invalid value: false: pod hostProcess value must be identical if both are specified, was true`; `spec: Invalid value: "": If pod contains any hostProcess containers then all containers must be HostProcess containers`; `spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers` |
//! | `host-users-host-namespaces` | v1.25 and later | v1.25 and later | `spec.hostNetwork: Forbidden: when `pod.Spec.HostUsers` is false` (also `spec.HostPID`, `spec.HostIPC`, upstream's spelling) |
//! | `os-name` | v1.24 and later | v1.24 and later | `spec.os.name: Required value: cannot be empty`; `spec.os: Unsupported value: "x": supported values: "linux", "windows"` |
//! | `linux-no-windows-options` | v1.24 and later | v1.24 and later | `spec.securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod` (and each container's) |
//! | `windows-no-linux-fields` | v1.24 and later | v1.24 and later | `spec.securityContext.seLinuxOptions: Forbidden: cannot be set for a windows pod` (pod: `appArmorProfile`, `seLinuxOptions`, `hostUsers`, `hostPID`, `hostIPC`, `seccompProfile`, `sysctls`, `runAsUser`; containers: `appArmorProfile`, `seLinuxOptions`, `seccompProfile`, `capabilities`, `privileged`, `allowPrivilegeEscalation`, `procMount`, `runAsUser`) |
//! | `ephemeral-containers-on-create` | v1.23 and later | never | `spec.ephemeralContainers: Forbidden: cannot be set on create` |
//! | `seccomp-annotation-field-match` | v1.19 and later | v1.19 and later | `spec.securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match`; `...localhostProfile: Forbidden: seccomp profile in annotation and field must match` (pod, then each container) |
//! | `apparmor-annotation-field-match` | v1.30 and later | v1.30 and later | `spec.containers[0].securityContext.appArmorProfile.type: Forbidden: apparmor type in annotation and field must match`; `...localhostProfile: Forbidden: apparmor profile in annotation and field must match` (a container without its own field is compared through the pod's; not for Windows pods) |
//! | `ephemeral-containers-in-template` | never | v1.23 and later | `spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template` |
//!
//! The 422's message is `<Kind.group> "<name>" is invalid: <error>` for one distinct error
//! and `... is invalid: [<e1>, <e2>, ...]` for several; identical messages appear once.
//! Container seccomp and AppArmor annotations are validated in key order (upstream iterates a
//! Go map: with several invalid annotations its order varies from call to call).
//!
//! # Warnings
//!
//! | warning | pods | templates | the API server says |
//! |---|---|---|---|
//! | `apparmor-annotation-deprecated` | v1.30 and later | v1.30 and later | `metadata.annotations[container.apparmor.security.beta.kubernetes.io/<name>]: deprecated since v1.30; use the "appArmorProfile" field instead` (pods: when the annotation has no field to sync to; templates: when neither the container nor the pod has an `appArmorProfile`) |
//! | `sysctls-annotation` | v1.22 and later | v1.22 and later | `metadata.annotations[security.alpha.kubernetes.io/sysctls]: non-functional in v1.11+; use the "sysctls" field instead` (also `unsafe-sysctls`) |
//! | `deprecated-volume-source` | v1.22 and later | v1.22 and later | `spec.volumes[0].gitRepo: deprecated in v1.11` (and `photonPersistentDisk`, `scaleIO`, `flocker`, `storageOS`, `quobyte`, `glusterfs`, `cephfs`, `rbd`, each with its own text and versions) |
//! | `seccomp-pod-annotation` | v1.22 and later | v1.22 and later | `metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: non-functional in v1.27+; use the "seccompProfile" field instead` (v1.22: `deprecated since v1.19; ...`, v1.23–v1.26: `deprecated since v1.19, non-functional in v1.25+; ...`), when the pod has no `seccompProfile` |
//! | `seccomp-container-annotation` | v1.22 and later | v1.22 and later | the same for `container.seccomp.security.alpha.kubernetes.io/<name>` when that container has no `seccompProfile` |
//!
//! Pods' AppArmor warnings come first (the API server adds them while it synchronises the
//! annotations with the fields, before validation); the others follow in the table's order,
//! containers in upstream's visiting order (init, regular, ephemeral).

mod validation;
mod warnings;

use std::fmt;

pub use crate::defaults::{Minors, SpecOwner};
use crate::text::go_quote;
pub use validation::{VALIDATION_RULES, validate};
pub use warnings::{WARNING_RULES, given_before_validation, warnings};

/// What kind of field error (upstream's `field.ErrorType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `Not found`.
    NotFound,
    /// `Required value`.
    Required,
    /// `Duplicate value`.
    Duplicate,
    /// `Invalid value`.
    Invalid,
    /// `Unsupported value`.
    NotSupported,
    /// `Forbidden`.
    Forbidden,
    /// `Too long`.
    TooLong,
    /// `Too many`.
    TooMany,
    /// `Internal error`.
    Internal,
    /// `Invalid value` (a value of the wrong type).
    TypeInvalid,
}

impl ErrorKind {
    /// The text Go's `ErrorType.String()` gives, e.g. `Invalid value`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "Not found",
            ErrorKind::Required => "Required value",
            ErrorKind::Duplicate => "Duplicate value",
            ErrorKind::Invalid | ErrorKind::TypeInvalid => "Invalid value",
            ErrorKind::NotSupported => "Unsupported value",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::TooLong => "Too long",
            ErrorKind::TooMany => "Too many",
            ErrorKind::Internal => "Internal error",
        }
    }

    /// The status cause type of the 422 (`FieldValueInvalid`, ...).
    pub const fn cause_type(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "FieldValueNotFound",
            ErrorKind::Required => "FieldValueRequired",
            ErrorKind::Duplicate => "FieldValueDuplicate",
            ErrorKind::Invalid => "FieldValueInvalid",
            ErrorKind::NotSupported => "FieldValueNotSupported",
            ErrorKind::Forbidden => "FieldValueForbidden",
            ErrorKind::TooLong => "FieldValueTooLong",
            ErrorKind::TooMany => "FieldValueTooMany",
            ErrorKind::Internal => "InternalError",
            ErrorKind::TypeInvalid => "FieldValueTypeInvalid",
        }
    }

    /// Whether Go's `ErrorBody` leaves the value out for this kind.
    const fn omits_value(self) -> bool {
        matches!(
            self,
            ErrorKind::Required | ErrorKind::Forbidden | ErrorKind::TooLong | ErrorKind::Internal
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value a field error names, rendered as Go renders it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BadValue {
    /// No value (upstream's `omitValue`).
    Omitted,
    /// A nil value: Go prints `"null"`.
    Null,
    /// A string (or a named string type): Go quotes it, `"x"`.
    Str(String),
    /// An integer: Go prints it bare.
    Int(i64),
    /// A boolean: `true` / `false`.
    Bool(bool),
    /// Go's `%#v` of a struct, as podsec can render it (see the rule's docs).
    GoSyntax(String),
}

impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadValue::Omitted => Ok(()),
            BadValue::Null => f.write_str("\"null\""),
            BadValue::Str(s) => f.write_str(&go_quote(s)),
            BadValue::Int(i) => write!(f, "{i}"),
            BadValue::Bool(b) => write!(f, "{b}"),
            BadValue::GoSyntax(s) => f.write_str(s),
        }
    }
}

/// One field error of the API server's validation (upstream's `field.Error`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldError {
    /// The field path, e.g. `spec.containers[0].securityContext.procMount`.
    pub path: String,
    /// The kind of error.
    pub kind: ErrorKind,
    /// The offending value.
    pub value: BadValue,
    /// The detail text (may be empty).
    pub detail: String,
}

impl FieldError {
    /// `Invalid value`.
    pub fn invalid(path: String, value: BadValue, detail: impl Into<String>) -> Self {
        FieldError {
            path,
            kind: ErrorKind::Invalid,
            value,
            detail: detail.into(),
        }
    }

    /// `Forbidden`.
    pub fn forbidden(path: String, detail: impl Into<String>) -> Self {
        FieldError {
            path,
            kind: ErrorKind::Forbidden,
            value: BadValue::Str(String::new()),
            detail: detail.into(),
        }
    }

    /// `Required value`.
    pub fn required(path: String, detail: impl Into<String>) -> Self {
        FieldError {
            path,
            kind: ErrorKind::Required,
            value: BadValue::Str(String::new()),
            detail: detail.into(),
        }
    }

    /// `Duplicate value`.
    pub fn duplicate(path: String, value: BadValue) -> Self {
        FieldError {
            path,
            kind: ErrorKind::Duplicate,
            value,
            detail: String::new(),
        }
    }

    /// `Unsupported value` with the quoted list of supported values.
    pub fn not_supported(path: String, value: BadValue, supported: &[&str]) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|v| go_quote(v)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        FieldError {
            path,
            kind: ErrorKind::NotSupported,
            value,
            detail,
        }
    }

    /// `Too long` (the value is never shown).
    pub fn too_long(path: String, max_bytes: usize) -> Self {
        FieldError {
            path,
            kind: ErrorKind::TooLong,
            value: BadValue::Omitted,
            detail: format!("must have at most {max_bytes} bytes"),
        }
    }

    /// The message without the path (Go's `ErrorBody`, the status cause's message).
    pub fn body(&self) -> String {
        let mut s = if self.kind.omits_value() || self.value == BadValue::Omitted {
            self.kind.as_str().to_owned()
        } else {
            format!("{}: {}", self.kind, self.value)
        };
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    /// Exactly Go's `field.Error.Error()`: `<path>: <body>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.body())
    }
}

/// The message of the API server's `422 Invalid` status (`errors.NewInvalid`):
/// `<qualified_kind> "<name>" is invalid: <error>` with one distinct error,
/// `... is invalid: [<e1>, <e2>]` with several (identical messages once, first occurrence
/// order), and `... is invalid` without any. `qualified_kind` is Go's `GroupKind.String()`:
/// `Pod`, `Deployment.apps`, `CronJob.batch`, ...
pub fn invalid_message(qualified_kind: &str, name: &str, errors: &[FieldError]) -> String {
    let mut seen: Vec<String> = Vec::with_capacity(errors.len());
    for error in errors {
        let msg = error.to_string();
        if !seen.contains(&msg) {
            seen.push(msg);
        }
    }
    let head = format!("{qualified_kind} {} is invalid", go_quote(name));
    match seen.as_slice() {
        [] => head,
        [one] => format!("{head}: {one}"),
        many => format!("{head}: [{}]", many.join(", ")),
    }
}

/// One rule of the API server (a validation or a warning), with where it applies.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// A short stable name, e.g. `proc-mount-unmasked-host-users`.
    pub id: &'static str,
    /// The versions where it applies to pods (`None`: never).
    pub pods: Option<Minors>,
    /// The versions where it applies to pod templates (`None`: never).
    pub templates: Option<Minors>,
    /// What the API server answers (the message's shape).
    pub answer: &'static str,
    /// Where upstream does it (kubernetes/kubernetes file and function).
    pub source: &'static str,
}

impl Rule {
    /// The versions where the rule applies to specs of `owner` (`None`: never).
    pub const fn versions(&self, owner: SpecOwner) -> Option<Minors> {
        match owner {
            SpecOwner::Pod => self.pods,
            SpecOwner::Template => self.templates,
        }
    }

    /// Whether a cluster running Kubernetes `kube` applies the rule to specs of `owner`.
    pub const fn applies(&self, owner: SpecOwner, kube: crate::Version) -> bool {
        match self.versions(owner) {
            Some(minors) => minors.contains(kube),
            None => false,
        }
    }
}

/// Where the object's parts live in messages.
#[derive(Debug, Clone, Copy)]
struct Paths<'a> {
    owner: SpecOwner,
    prefix: &'a str,
}

impl Paths<'_> {
    /// The annotations' path in validation errors: `metadata.annotations` for a pod,
    /// `<prefix>annotations` for a template (upstream validates the template's metadata at
    /// the template's path).
    fn annotations(&self) -> String {
        match self.owner {
            SpecOwner::Pod => format!("{}metadata.annotations", self.prefix),
            SpecOwner::Template => format!("{}annotations", self.prefix),
        }
    }

    /// `<prefix>spec` followed by `.rest` (or nothing when `rest` is empty).
    fn spec(&self, rest: &str) -> String {
        if rest.is_empty() {
            format!("{}spec", self.prefix)
        } else {
            format!("{}spec.{rest}", self.prefix)
        }
    }

    /// The path of a container field: `<prefix>spec.<list>[i].<rest>`.
    fn container(&self, kind: crate::visitor::ContainerKind, index: usize, rest: &str) -> String {
        let list = format!("{}[{index}]", kind.field());
        if rest.is_empty() {
            self.spec(&list)
        } else {
            self.spec(&format!("{list}.{rest}"))
        }
    }

    /// An annotation's path in warnings: `<prefix>metadata.annotations[<key>]`.
    fn warning_annotation(&self, key: &str) -> String {
        format!("{}metadata.annotations[{key}]", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_error_bodies_render_as_go() {
        let path = || "spec.x".to_owned();
        let cases = [
            (
                FieldError::invalid(path(), BadValue::Str("Unmasked".into()), "d"),
                r#"spec.x: Invalid value: "Unmasked": d"#,
            ),
            (
                FieldError::invalid(path(), BadValue::Int(-1), "d"),
                "spec.x: Invalid value: -1: d",
            ),
            (
                FieldError::invalid(path(), BadValue::Bool(false), "d"),
                "spec.x: Invalid value: false: d",
            ),
            (
                FieldError::invalid(path(), BadValue::Null, "d"),
                r#"spec.x: Invalid value: "null": d"#,
            ),
            (
                FieldError::invalid(path(), BadValue::Str("a\"b\n".into()), ""),
                r#"spec.x: Invalid value: "a\"b\n""#,
            ),
            (FieldError::forbidden(path(), "d"), "spec.x: Forbidden: d"),
            (FieldError::required(path(), ""), "spec.x: Required value"),
            (
                FieldError::duplicate(path(), BadValue::Str("TCP//80".into())),
                r#"spec.x: Duplicate value: "TCP//80""#,
            ),
            (
                FieldError::not_supported(path(), BadValue::Str("x".into()), &["a", "b"]),
                r#"spec.x: Unsupported value: "x": supported values: "a", "b""#,
            ),
            (
                FieldError::too_long(path(), 4095),
                "spec.x: Too long: must have at most 4095 bytes",
            ),
        ];
        for (error, want) in cases {
            assert_eq!(error.to_string(), want);
        }
    }

    #[test]
    fn invalid_messages() {
        let a = FieldError::forbidden("spec.a".into(), "x");
        let b = FieldError::forbidden("spec.b".into(), "y");
        assert_eq!(invalid_message("Pod", "p", &[]), r#"Pod "p" is invalid"#);
        assert_eq!(
            invalid_message("Pod", "p", std::slice::from_ref(&a)),
            r#"Pod "p" is invalid: spec.a: Forbidden: x"#
        );
        // Duplicates collapse; one left means no brackets.
        assert_eq!(
            invalid_message("Pod", "p", &[a.clone(), a.clone()]),
            r#"Pod "p" is invalid: spec.a: Forbidden: x"#
        );
        assert_eq!(
            invalid_message("Deployment.apps", "d", &[a.clone(), b, a]),
            r#"Deployment.apps "d" is invalid: [spec.a: Forbidden: x, spec.b: Forbidden: y]"#
        );
    }

    fn never(m: Option<Minors>) -> String {
        m.map_or_else(|| "never".to_owned(), |m| m.to_string())
    }

    #[test]
    fn module_docs_list_every_rule_with_its_versions() {
        let source = include_str!("mod.rs");
        let mut ids = std::collections::HashSet::new();
        for rule in VALIDATION_RULES.iter().chain(WARNING_RULES) {
            assert!(ids.insert(rule.id), "duplicate rule {}", rule.id);
            let row = format!(
                "//! | `{}` | {} | {} |",
                rule.id,
                never(rule.pods),
                never(rule.templates)
            );
            assert!(source.contains(&row), "module docs lack {row}");
            assert!(!rule.answer.is_empty() && !rule.source.is_empty());
        }
        assert_eq!(
            source.matches("\n//! | `").count(),
            VALIDATION_RULES.len() + WARNING_RULES.len()
        );
    }

    #[test]
    fn apiserver_md_matches_the_module_docs() {
        // APISERVER.md holds the same tables as the module docs.
        let doc = include_str!("../../APISERVER.md");
        let source = include_str!("mod.rs");
        for line in source.lines().filter(|l| l.starts_with("//! | `")) {
            let row = &line["//! ".len()..];
            assert!(doc.contains(row), "APISERVER.md lacks {row}");
        }
    }
}

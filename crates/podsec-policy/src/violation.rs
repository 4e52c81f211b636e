//! What a failed check reports: upstream's reason and detail text, plus structured findings.

use std::fmt;

/// A check's identifier, exactly as upstream spells it (e.g. `hostProbesAndHostLifecycle`).
///
/// Check IDs order byte-wise, which is the order of results inside a level block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CheckId(&'static str);

impl CheckId {
    /// An ID; built-in IDs are the associated constants of the check modules.
    pub const fn new(id: &'static str) -> Self {
        CheckId(id)
    }

    /// The ID string.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// What a check returns for a pod it forbids (the check's ID is added by the evaluator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forbidden {
    /// Short reason, e.g. `host namespaces`.
    pub reason: &'static str,
    /// Detail text, e.g. `hostNetwork=true, hostPID=true`; empty only in rare edge cases.
    pub detail: String,
    /// One entry per offending field, in the order the check found them.
    pub findings: Vec<Finding>,
}

/// A forbidden check result, tagged with the check that produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The check that failed.
    pub check: CheckId,
    /// Short reason, e.g. `host namespaces`.
    pub reason: &'static str,
    /// Detail text (may be empty).
    pub detail: String,
    /// One entry per offending field.
    pub findings: Vec<Finding>,
}

impl Violation {
    /// `reason (detail)`, or just `reason` when the detail is empty: one item of upstream's
    /// detailed message.
    pub fn to_message(&self) -> String {
        let mut out = String::new();
        self.push_message(&mut out);
        out
    }

    pub(crate) fn push_message(&self, out: &mut String) {
        out.push_str(if self.reason.is_empty() {
            "unknown forbidden reason"
        } else {
            self.reason
        });
        if !self.detail.is_empty() {
            out.push_str(" (");
            out.push_str(&self.detail);
            out.push(')');
        }
    }
}

/// Whether a finding is a field set to a forbidden value, or a required field left unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// The field is set to a value the level forbids.
    Forbidden,
    /// The field must be set (to an allowed value) but is not.
    Unset,
}

/// One offending field of a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Forbidden value or missing field.
    pub kind: FindingKind,
    /// Path of the field from the pod root, e.g.
    /// `spec.initContainers[0].securityContext.privileged` or
    /// `metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]`. For a missing
    /// field, the path of the field that must be set.
    pub path: String,
    /// The container the field belongs to, if any.
    pub container: Option<String>,
    /// The offending value as text (absent for missing fields).
    pub value: Option<String>,
}

impl Finding {
    /// A field set to a forbidden value.
    pub fn forbidden(path: String, container: Option<&str>, value: impl Into<String>) -> Self {
        Finding {
            kind: FindingKind::Forbidden,
            path,
            container: container.map(str::to_owned),
            value: Some(value.into()),
        }
    }

    /// A required field that is not set.
    pub fn unset(path: String, container: Option<&str>) -> Self {
        Finding {
            kind: FindingKind::Unset,
            path,
            container: container.map(str::to_owned),
            value: None,
        }
    }
}

//! `hostNamespaces` (baseline, all versions).
//!
//! **Restricted fields**: `spec.hostNetwork`, `spec.hostPID`, `spec.hostIPC`.
//!
//! **Allowed values**: unset or `false`.

use super::{Check, CheckDoc, since};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec};
use crate::violation::{CheckId, Finding, Forbidden};

/// `hostNamespaces`.
pub const ID: CheckId = CheckId::new("hostNamespaces");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    variants: &[since(0, check)],
    doc: CheckDoc {
        summary: "Pods must not share the host's network, process or IPC namespaces",
        fields: &["spec.hostNetwork", "spec.hostPID", "spec.hostIPC"],
        allowed: "false or unset",
        fix: "remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false)",
    },
};

fn check(_: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    if !(spec.host_network || spec.host_pid || spec.host_ipc) {
        return None;
    }
    let mut items = Vec::new();
    let mut findings = Vec::new();
    for (set, field) in [
        (spec.host_network, "hostNetwork"),
        (spec.host_pid, "hostPID"),
        (spec.host_ipc, "hostIPC"),
    ] {
        if set {
            items.push(format!("{field}=true"));
            findings.push(Finding::forbidden(format!("spec.{field}"), None, "true"));
        }
    }
    Some(Forbidden {
        reason: "host namespaces",
        detail: items.join(", "),
        findings,
    })
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::checks::test_support::table;

    #[test]
    fn messages() {
        table(
            check,
            &[
                (r#"{"spec":{"hostNetwork":false,"hostPID":null}}"#, None),
                (
                    r#"{"spec":{"hostIPC":true}}"#,
                    Some("host namespaces (hostIPC=true)"),
                ),
                (
                    r#"{"spec":{"hostIPC":true,"hostPID":true,"hostNetwork":true}}"#,
                    Some("host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)"),
                ),
            ],
        );
    }
}

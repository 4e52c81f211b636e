//! `capabilities_baseline` (baseline, all versions; replaced at restricted from v1.22 by
//! `capabilities_restricted`).
//!
//! **Restricted fields**
//! * `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.add`
//!
//! **Allowed values**: unset, or a subset of `AUDIT_WRITE`, `CHOWN`, `DAC_OVERRIDE`,
//! `FOWNER`, `FSETID`, `KILL`, `MKNOD`, `NET_BIND_SERVICE`, `SETFCAP`, `SETGID`, `SETPCAP`,
//! `SETUID`, `SYS_CHROOT` (exact, case-sensitive).

use super::{Check, CheckDoc, since};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec};
use crate::text::{container_phrase, push_quote_list, sort_dedup};
use crate::violation::{CheckId, Finding, Forbidden};
use crate::visitor;

/// `capabilities_baseline`.
pub const ID: CheckId = CheckId::new("capabilities_baseline");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    variants: &[since(0, check)],
    doc: CheckDoc {
        summary: "Containers must not add capabilities beyond the container runtime's default set",
        fields: &[
            "spec.containers[*].securityContext.capabilities.add",
            "spec.initContainers[*].securityContext.capabilities.add",
            "spec.ephemeralContainers[*].securityContext.capabilities.add",
        ],
        allowed: "AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT",
        fix: "remove capabilities beyond the default set (NET_ADMIN, SYS_ADMIN, ...) from securityContext.capabilities.add",
    },
};

/// The runtime's default capabilities, which baseline allows adding.
pub const ALLOWED_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn check(_: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let mut bad_containers: Vec<&str> = Vec::new();
    let mut bad_caps: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    for c in visitor::containers(spec) {
        let Some(caps) = c.security_context().and_then(|sc| sc.capabilities.as_ref()) else {
            continue;
        };
        let mut container_bad = false;
        for (i, cap) in caps.add.iter().enumerate() {
            if !ALLOWED_CAPABILITIES.contains(&cap.as_str()) {
                container_bad = true;
                bad_caps.push(cap);
                findings.push(Finding::forbidden(
                    c.path(&format!("securityContext.capabilities.add[{i}]")),
                    Some(c.name()),
                    cap,
                ));
            }
        }
        if container_bad {
            bad_containers.push(c.name());
        }
    }
    if bad_containers.is_empty() {
        return None;
    }
    sort_dedup(&mut bad_caps);
    let mut detail = container_phrase(&bad_containers);
    detail.push_str(" must not include ");
    push_quote_list(&mut detail, &bad_caps);
    detail.push_str(" in securityContext.capabilities.add");
    Some(Forbidden {
        reason: "non-default capabilities",
        detail,
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
                (
                    r#"{"spec":{"containers":[{"name":"a","securityContext":{"capabilities":{"add":["CHOWN","NET_BIND_SERVICE"],"drop":["ALL","NET_RAW"]}}}]}}"#,
                    None,
                ),
                (
                    r#"{"spec":{"containers":[
                        {"name":"a","securityContext":{"capabilities":{"add":["FOO","BAR"]}}},
                        {"name":"b","securityContext":{"capabilities":{"add":["BAR","BAZ"]}}}]}}"#,
                    Some(
                        r#"non-default capabilities (containers "a", "b" must not include "BAR", "BAZ", "FOO" in securityContext.capabilities.add)"#,
                    ),
                ),
                (
                    r#"{"spec":{"containers":[{"name":"a","securityContext":{"capabilities":{"add":["chown","CAP_CHOWN","ALL",null]}}}]}}"#,
                    Some(
                        r#"non-default capabilities (container "a" must not include "", "ALL", "CAP_CHOWN", "chown" in securityContext.capabilities.add)"#,
                    ),
                ),
            ],
        );
    }
}

//! `capabilities_restricted` (restricted; variants v1.22 and v1.25; overrides
//! `capabilities_baseline`).
//!
//! **Restricted fields**
//! * `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.drop`
//! * `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.add`
//!
//! **Allowed values**: `drop` must contain `ALL`; `add` may only contain
//! `NET_BIND_SERVICE`. From v1.25, Windows pods are exempt.

use super::{Check, CheckDoc, capabilities_baseline, overriding};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec};
use crate::text::{container_phrase, push_quote_list, sort_dedup};
use crate::violation::{CheckId, Finding, Forbidden};
use crate::visitor;

/// `capabilities_restricted`.
pub const ID: CheckId = CheckId::new("capabilities_restricted");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    variants: &[
        overriding(22, &[capabilities_baseline::ID], check_v1_22),
        overriding(25, &[capabilities_baseline::ID], check_v1_25),
    ],
    doc: CheckDoc {
        summary: "Containers must drop ALL capabilities and may only add NET_BIND_SERVICE (Windows pods exempt from v1.25)",
        fields: &[
            "spec.containers[*].securityContext.capabilities.drop",
            "spec.containers[*].securityContext.capabilities.add",
            "spec.initContainers[*].securityContext.capabilities.{drop,add}",
            "spec.ephemeralContainers[*].securityContext.capabilities.{drop,add}",
        ],
        allowed: "drop must include ALL; add only NET_BIND_SERVICE",
        fix: "set securityContext.capabilities.drop: [\"ALL\"] and add back at most NET_BIND_SERVICE",
    },
};

fn check_v1_22(_: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let mut missing_drop: Vec<&str> = Vec::new();
    let mut adding: Vec<&str> = Vec::new();
    let mut caps_added: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    for c in visitor::containers(spec) {
        let Some(caps) = c.security_context().and_then(|sc| sc.capabilities.as_ref()) else {
            missing_drop.push(c.name());
            findings.push(Finding::unset(
                c.path("securityContext.capabilities.drop"),
                Some(c.name()),
            ));
            continue;
        };
        if !caps.drop.iter().any(|d| d == "ALL") {
            missing_drop.push(c.name());
            findings.push(Finding::unset(
                c.path("securityContext.capabilities.drop"),
                Some(c.name()),
            ));
        }
        let mut container_adds = false;
        for (i, cap) in caps.add.iter().enumerate() {
            if cap != "NET_BIND_SERVICE" {
                container_adds = true;
                caps_added.push(cap);
                findings.push(Finding::forbidden(
                    c.path(&format!("securityContext.capabilities.add[{i}]")),
                    Some(c.name()),
                    cap,
                ));
            }
        }
        if container_adds {
            adding.push(c.name());
        }
    }
    if missing_drop.is_empty() && adding.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if !missing_drop.is_empty() {
        parts.push(format!(
            r#"{} must set securityContext.capabilities.drop=["ALL"]"#,
            container_phrase(&missing_drop)
        ));
    }
    if !adding.is_empty() {
        sort_dedup(&mut caps_added);
        let mut part = container_phrase(&adding);
        part.push_str(" must not include ");
        push_quote_list(&mut part, &caps_added);
        part.push_str(" in securityContext.capabilities.add");
        parts.push(part);
    }
    Some(Forbidden {
        reason: "unrestricted capabilities",
        detail: parts.join("; "),
        findings,
    })
}

fn check_v1_25(meta: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    if spec.is_windows() {
        return None;
    }
    check_v1_22(meta, spec)
}

#[cfg(test)]
mod tests {
    use super::{check_v1_22, check_v1_25};
    use crate::checks::test_support::table;

    #[test]
    fn messages() {
        let rows = [
            (
                r#"{"spec":{"containers":[{"name":"a","securityContext":{"capabilities":{"drop":["ALL"],"add":["NET_BIND_SERVICE"]}}}]}}"#,
                None,
            ),
            (
                r#"{"spec":{"containers":[
                    {"name":"a","securityContext":{"capabilities":{"add":["FOO","BAR"]}}},
                    {"name":"b","securityContext":{"capabilities":{"add":["BAR","BAZ"]}}},
                    {"name":"c","securityContext":{"capabilities":{"add":["NET_BIND_SERVICE","CHOWN"],"drop":["ALL","FOO"]}}}]}}"#,
                Some(
                    r#"unrestricted capabilities (containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; containers "a", "b", "c" must not include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add)"#,
                ),
            ),
            (
                r#"{"spec":{"containers":[{"name":"a"}]}}"#,
                Some(
                    r#"unrestricted capabilities (container "a" must set securityContext.capabilities.drop=["ALL"])"#,
                ),
            ),
            (
                r#"{"spec":{"containers":[{"name":"a","securityContext":{"capabilities":{"drop":["all"]}}},{"name":"b","securityContext":{"capabilities":null}}]}}"#,
                Some(
                    r#"unrestricted capabilities (containers "a", "b" must set securityContext.capabilities.drop=["ALL"])"#,
                ),
            ),
            (
                r#"{"spec":{"containers":[{"name":"a","securityContext":{"capabilities":{"drop":["ALL"],"add":["SYS_ADMIN"]}}}]}}"#,
                Some(
                    r#"unrestricted capabilities (container "a" must not include "SYS_ADMIN" in securityContext.capabilities.add)"#,
                ),
            ),
        ];
        table(check_v1_22, &rows);
        table(check_v1_25, &rows);
    }

    #[test]
    fn windows_exempt_from_v1_25() {
        let pod = r#"{"spec":{"os":{"name":"windows"},"containers":[{"name":"a"}]}}"#;
        table(
            check_v1_22,
            &[(
                pod,
                Some(
                    r#"unrestricted capabilities (container "a" must set securityContext.capabilities.drop=["ALL"])"#,
                ),
            )],
        );
        table(check_v1_25, &[(pod, None)]);
    }
}

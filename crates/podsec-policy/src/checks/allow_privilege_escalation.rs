//! `allowPrivilegeEscalation` (restricted; variants v1.8 and v1.25; absent before v1.8).
//!
//! **Restricted fields**
//! * `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.allowPrivilegeEscalation`
//!
//! **Allowed values**: `false` (required). From v1.25, Windows pods (`spec.os.name:
//! windows`) are exempt.

use super::{Check, CheckDoc, since};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec};
use crate::text::container_phrase;
use crate::violation::{CheckId, Finding, Forbidden};
use crate::visitor;

/// `allowPrivilegeEscalation`.
pub const ID: CheckId = CheckId::new("allowPrivilegeEscalation");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    variants: &[since(8, check_v1_8), since(25, check_v1_25)],
    doc: CheckDoc {
        summary: "Containers must explicitly forbid privilege escalation (Windows pods exempt from v1.25)",
        fields: &[
            "spec.containers[*].securityContext.allowPrivilegeEscalation",
            "spec.initContainers[*].securityContext.allowPrivilegeEscalation",
            "spec.ephemeralContainers[*].securityContext.allowPrivilegeEscalation",
        ],
        allowed: "false (must be set)",
        fix: "set securityContext.allowPrivilegeEscalation: false on every container",
    },
};

fn check_v1_8(_: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let mut bad: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    for c in visitor::containers(spec) {
        match c
            .security_context()
            .and_then(|sc| sc.allow_privilege_escalation)
        {
            Some(false) => {}
            Some(true) => {
                bad.push(c.name());
                findings.push(Finding::forbidden(
                    c.path("securityContext.allowPrivilegeEscalation"),
                    Some(c.name()),
                    "true",
                ));
            }
            None => {
                bad.push(c.name());
                findings.push(Finding::unset(
                    c.path("securityContext.allowPrivilegeEscalation"),
                    Some(c.name()),
                ));
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "allowPrivilegeEscalation != false",
        detail: format!(
            "{} must set securityContext.allowPrivilegeEscalation=false",
            container_phrase(&bad)
        ),
        findings,
    })
}

fn check_v1_25(meta: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    if spec.is_windows() {
        return None;
    }
    check_v1_8(meta, spec)
}

#[cfg(test)]
mod tests {
    use super::{check_v1_8, check_v1_25};
    use crate::checks::test_support::table;

    const MIXED: &str = r#"{"spec":{"containers":[{"name":"a"},{"name":"b","securityContext":{"allowPrivilegeEscalation":null}},
        {"name":"c","securityContext":{"allowPrivilegeEscalation":true}},{"name":"d","securityContext":{"allowPrivilegeEscalation":false}}]}}"#;
    const WINDOWS: &str = r#"{"spec":{"os":{"name":"windows"},"containers":[{"name":"a"}]}}"#;

    #[test]
    fn messages() {
        let want = Some(
            r#"allowPrivilegeEscalation != false (containers "a", "b", "c" must set securityContext.allowPrivilegeEscalation=false)"#,
        );
        table(check_v1_8, &[(MIXED, want)]);
        table(check_v1_25, &[(MIXED, want)]);
    }

    #[test]
    fn windows_exempt_from_v1_25() {
        table(
            check_v1_8,
            &[(
                WINDOWS,
                Some(
                    r#"allowPrivilegeEscalation != false (container "a" must set securityContext.allowPrivilegeEscalation=false)"#,
                ),
            )],
        );
        table(check_v1_25, &[(WINDOWS, None)]);
        // Only the exact lowercase name counts.
        table(
            check_v1_25,
            &[(
                r#"{"spec":{"os":{"name":"Windows"},"containers":[{"name":"a"}]}}"#,
                Some(
                    r#"allowPrivilegeEscalation != false (container "a" must set securityContext.allowPrivilegeEscalation=false)"#,
                ),
            )],
        );
    }
}

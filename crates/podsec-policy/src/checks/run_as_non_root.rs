//! `runAsNonRoot` (restricted; variants v1.0 and v1.35).
//!
//! **Restricted fields**
//! * `spec.securityContext.runAsNonRoot`
//! * `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.runAsNonRoot`
//! * `spec.hostUsers` (from v1.35)
//!
//! **Allowed values**: `true` at pod level (containers may leave it unset) or on every
//! container; never `false`. From v1.35, user-namespace pods (`hostUsers: false`) are
//! exempt.

use super::{Check, CheckDoc, since};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec};
use crate::text::{container_phrase, pod_and_containers};
use crate::violation::{CheckId, Finding, Forbidden};
use crate::visitor;

/// `runAsNonRoot`.
pub const ID: CheckId = CheckId::new("runAsNonRoot");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    variants: &[since(0, check_v1_0), since(35, check_v1_35)],
    doc: CheckDoc {
        summary: "Containers must run as non-root users (user-namespace pods exempt from v1.35)",
        fields: &[
            "spec.securityContext.runAsNonRoot",
            "spec.containers[*].securityContext.runAsNonRoot",
            "spec.initContainers[*].securityContext.runAsNonRoot",
            "spec.ephemeralContainers[*].securityContext.runAsNonRoot",
            "spec.hostUsers (v1.35+)",
        ],
        allowed: "true (on the pod, or on every container)",
        fix: "set securityContext.runAsNonRoot: true on the pod or container",
    },
};

fn check_v1_0(_: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let pod_value = spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.run_as_non_root);
    let pod_bad = pod_value == Some(false);
    let pod_ok = pod_value == Some(true);

    let mut explicit: Vec<&str> = Vec::new();
    let mut implicit: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    if pod_bad {
        findings.push(Finding::forbidden(
            "spec.securityContext.runAsNonRoot".into(),
            None,
            "false",
        ));
    }
    for c in visitor::containers(spec) {
        match c.security_context().and_then(|sc| sc.run_as_non_root) {
            Some(true) => {}
            Some(false) => {
                explicit.push(c.name());
                findings.push(Finding::forbidden(
                    c.path("securityContext.runAsNonRoot"),
                    Some(c.name()),
                    "false",
                ));
            }
            None if !pod_ok => {
                implicit.push(c.name());
                findings.push(Finding::unset(
                    c.path("securityContext.runAsNonRoot"),
                    Some(c.name()),
                ));
            }
            None => {}
        }
    }

    let detail = if pod_bad || !explicit.is_empty() {
        // Explicit offenders only: containers that merely left the field unset are omitted.
        findings.retain(|f| f.kind == crate::violation::FindingKind::Forbidden);
        format!(
            "{} must not set securityContext.runAsNonRoot=false",
            pod_and_containers(pod_bad, &explicit)
        )
    } else if !implicit.is_empty() {
        format!(
            "pod or {} must set securityContext.runAsNonRoot=true",
            container_phrase(&implicit)
        )
    } else {
        return None;
    };
    Some(Forbidden {
        reason: "runAsNonRoot != true",
        detail,
        findings,
    })
}

fn check_v1_35(meta: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    if spec.is_user_namespaced() {
        return None;
    }
    check_v1_0(meta, spec)
}

#[cfg(test)]
mod tests {
    use super::{check_v1_0, check_v1_35};
    use crate::checks::test_support::table;

    #[test]
    fn messages() {
        let rows = [
            (
                r#"{"spec":{"securityContext":{"runAsNonRoot":true},"containers":[{"name":"a"},{"name":"b","securityContext":{"runAsNonRoot":true}}]}}"#,
                None,
            ),
            (
                r#"{"spec":{"containers":[{"name":"a","securityContext":{"runAsNonRoot":true}},{"name":"b","securityContext":{"runAsNonRoot":true,"runAsUser":0}}]}}"#,
                None,
            ),
            (
                r#"{"spec":{"containers":[{"name":"a"}]}}"#,
                Some(
                    r#"runAsNonRoot != true (pod or container "a" must set securityContext.runAsNonRoot=true)"#,
                ),
            ),
            (
                r#"{"spec":{"securityContext":{"runAsNonRoot":false},"containers":[{"name":"a","securityContext":{"runAsNonRoot":true}}]}}"#,
                Some(
                    r#"runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)"#,
                ),
            ),
            (
                r#"{"spec":{"containers":[{"name":"a"},{"name":"c","securityContext":{"runAsNonRoot":false}},{"name":"d","securityContext":{"runAsNonRoot":false}}]}}"#,
                Some(
                    r#"runAsNonRoot != true (containers "c", "d" must not set securityContext.runAsNonRoot=false)"#,
                ),
            ),
            (
                r#"{"spec":{"containers":[{"name":"a"},{"name":"b","securityContext":{}}]}}"#,
                Some(
                    r#"runAsNonRoot != true (pod or containers "a", "b" must set securityContext.runAsNonRoot=true)"#,
                ),
            ),
            (
                r#"{"spec":{"securityContext":{"runAsNonRoot":false},"containers":[{"name":"a"},{"name":"b","securityContext":{"runAsNonRoot":false}}]}}"#,
                Some(
                    r#"runAsNonRoot != true (pod and container "b" must not set securityContext.runAsNonRoot=false)"#,
                ),
            ),
        ];
        table(check_v1_0, &rows);
        table(check_v1_35, &rows);
    }

    #[test]
    fn user_namespaces_exempt_from_v1_35() {
        let pod = r#"{"spec":{"hostUsers":false,"containers":[{"name":"u"}]}}"#;
        table(
            check_v1_0,
            &[(
                pod,
                Some(
                    r#"runAsNonRoot != true (pod or container "u" must set securityContext.runAsNonRoot=true)"#,
                ),
            )],
        );
        table(check_v1_35, &[(pod, None)]);
    }
}

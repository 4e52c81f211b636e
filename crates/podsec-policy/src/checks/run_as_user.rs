//! `runAsUser` (restricted; variants v1.23 and v1.35; absent before v1.23).
//!
//! **Restricted fields**
//! * `spec.securityContext.runAsUser`
//! * `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.runAsUser`
//! * `spec.hostUsers` (from v1.35)
//!
//! **Allowed values**: any non-zero value, or unset. From v1.35, user-namespace pods
//! (`hostUsers: false`) are exempt.

use super::{Check, CheckDoc, since};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec};
use crate::text::pod_and_containers;
use crate::violation::{CheckId, Finding, Forbidden};
use crate::visitor;

/// `runAsUser`.
pub const ID: CheckId = CheckId::new("runAsUser");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    variants: &[since(23, check_v1_23), since(35, check_v1_35)],
    doc: CheckDoc {
        summary: "Containers must not run as UID 0 (user-namespace pods exempt from v1.35)",
        fields: &[
            "spec.securityContext.runAsUser",
            "spec.containers[*].securityContext.runAsUser",
            "spec.initContainers[*].securityContext.runAsUser",
            "spec.ephemeralContainers[*].securityContext.runAsUser",
            "spec.hostUsers (v1.35+)",
        ],
        allowed: "any non-zero value, or unset",
        fix: "set securityContext.runAsUser to a non-zero UID (or remove it) on the pod and containers",
    },
};

fn check_v1_23(_: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let pod_bad = spec.security_context.as_ref().and_then(|sc| sc.run_as_user) == Some(0);
    let mut findings = Vec::new();
    if pod_bad {
        findings.push(Finding::forbidden(
            "spec.securityContext.runAsUser".into(),
            None,
            "0",
        ));
    }
    let mut bad: Vec<&str> = Vec::new();
    for c in visitor::containers(spec) {
        if c.security_context().and_then(|sc| sc.run_as_user) == Some(0) {
            bad.push(c.name());
            findings.push(Finding::forbidden(
                c.path("securityContext.runAsUser"),
                Some(c.name()),
                "0",
            ));
        }
    }
    if !pod_bad && bad.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "runAsUser=0",
        detail: format!(
            "{} must not set runAsUser=0",
            pod_and_containers(pod_bad, &bad)
        ),
        findings,
    })
}

fn check_v1_35(meta: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    if spec.is_user_namespaced() {
        return None;
    }
    check_v1_23(meta, spec)
}

#[cfg(test)]
mod tests {
    use super::{check_v1_23, check_v1_35};
    use crate::checks::test_support::table;

    #[test]
    fn messages() {
        let rows = [
            (
                r#"{"spec":{"securityContext":{"runAsUser":1000},"containers":[{"name":"a","securityContext":{"runAsUser":1}},{"name":"b"}]}}"#,
                None,
            ),
            (
                r#"{"spec":{"securityContext":{"runAsUser":0},"containers":[{"name":"a","securityContext":{"runAsUser":1000}}]}}"#,
                Some("runAsUser=0 (pod must not set runAsUser=0)"),
            ),
            (
                r#"{"spec":{"containers":[{"name":"a"},{"name":"c","securityContext":{"runAsUser":0}},{"name":"d","securityContext":{"runAsUser":0}}]}}"#,
                Some(r#"runAsUser=0 (containers "c", "d" must not set runAsUser=0)"#),
            ),
            (
                r#"{"spec":{"securityContext":{"runAsUser":0},"initContainers":[{"name":"i","securityContext":{"runAsUser":0}}]}}"#,
                Some(r#"runAsUser=0 (pod and container "i" must not set runAsUser=0)"#),
            ),
        ];
        table(check_v1_23, &rows);
        table(check_v1_35, &rows);
    }

    #[test]
    fn user_namespaces_exempt_from_v1_35() {
        let pod = r#"{"spec":{"hostUsers":false,"containers":[{"name":"u","securityContext":{"runAsUser":0}}]}}"#;
        table(
            check_v1_23,
            &[(
                pod,
                Some(r#"runAsUser=0 (container "u" must not set runAsUser=0)"#),
            )],
        );
        table(check_v1_35, &[(pod, None)]);
    }
}

//! `seccompProfile_restricted` (restricted; variants v1.19 and v1.25; overrides
//! `seccompProfile_baseline`).
//!
//! **Restricted fields**
//! * `spec.securityContext.seccompProfile.type`
//! * `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.seccompProfile.type`
//!
//! **Allowed values**: `RuntimeDefault` or `Localhost`, required at pod level or on every
//! container. From v1.25, Windows pods are exempt. Annotations are ignored.

use super::seccomp_profile_baseline::{self, allowed_profile};
use super::{Check, CheckDoc, overriding};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec};
use crate::text::{container_phrase, pod_and_containers, push_quote_list, sort_dedup};
use crate::violation::{CheckId, Finding, FindingKind, Forbidden};
use crate::visitor;

/// `seccompProfile_restricted`.
pub const ID: CheckId = CheckId::new("seccompProfile_restricted");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    variants: &[
        overriding(19, &[seccomp_profile_baseline::ID], check_v1_19),
        overriding(25, &[seccomp_profile_baseline::ID], check_v1_25),
    ],
    doc: CheckDoc {
        summary: "Seccomp must be set to RuntimeDefault or Localhost (Windows pods exempt from v1.25)",
        fields: &[
            "spec.securityContext.seccompProfile.type",
            "spec.containers[*].securityContext.seccompProfile.type",
            "spec.initContainers[*].securityContext.seccompProfile.type",
            "spec.ephemeralContainers[*].securityContext.seccompProfile.type",
        ],
        allowed: "RuntimeDefault or Localhost (on the pod, or on every container)",
        fix: "set securityContext.seccompProfile.type: RuntimeDefault (or Localhost) on the pod or container",
    },
};

fn check_v1_19(_: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let mut values: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    let pod_profile = spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.seccomp_profile.as_ref());
    let (pod_set, pod_bad) = match pod_profile {
        Some(p) if allowed_profile(p) => (true, false),
        Some(p) => {
            values.push(&p.type_);
            findings.push(Finding::forbidden(
                "spec.securityContext.seccompProfile.type".into(),
                None,
                &p.type_,
            ));
            (false, true)
        }
        None => (false, false),
    };
    let mut explicit: Vec<&str> = Vec::new();
    let mut implicit: Vec<&str> = Vec::new();
    for c in visitor::containers(spec) {
        match c
            .security_context()
            .and_then(|sc| sc.seccomp_profile.as_ref())
        {
            Some(p) if allowed_profile(p) => {}
            Some(p) => {
                explicit.push(c.name());
                values.push(&p.type_);
                findings.push(Finding::forbidden(
                    c.path("securityContext.seccompProfile.type"),
                    Some(c.name()),
                    &p.type_,
                ));
            }
            None if !pod_set => {
                implicit.push(c.name());
                findings.push(Finding::unset(
                    c.path("securityContext.seccompProfile.type"),
                    Some(c.name()),
                ));
            }
            None => {}
        }
    }
    let detail = if pod_bad || !explicit.is_empty() {
        findings.retain(|f| f.kind == FindingKind::Forbidden);
        sort_dedup(&mut values);
        let mut detail = pod_and_containers(pod_bad, &explicit);
        detail.push_str(" must not set securityContext.seccompProfile.type to ");
        push_quote_list(&mut detail, &values);
        detail
    } else if !implicit.is_empty() {
        format!(
            r#"pod or {} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#,
            container_phrase(&implicit)
        )
    } else {
        return None;
    };
    Some(Forbidden {
        reason: "seccompProfile",
        detail,
        findings,
    })
}

fn check_v1_25(meta: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    if spec.is_windows() {
        return None;
    }
    check_v1_19(meta, spec)
}

#[cfg(test)]
mod tests {
    use super::{check_v1_19, check_v1_25};
    use crate::checks::test_support::table;

    #[test]
    fn messages() {
        let rows = [
            (
                r#"{"spec":{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"a"},{"name":"b","securityContext":{"seccompProfile":{"type":"Localhost"}}}]}}"#,
                None,
            ),
            (
                r#"{"spec":{"containers":[{"name":"a"}]}}"#,
                Some(
                    r#"seccompProfile (pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#,
                ),
            ),
            (
                r#"{"spec":{"securityContext":{"seccompProfile":{}},"containers":[{"name":"a","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}]}}"#,
                Some(
                    r#"seccompProfile (pod must not set securityContext.seccompProfile.type to "")"#,
                ),
            ),
            (
                r#"{"spec":{"containers":[{"name":"a"},{"name":"c","securityContext":{"seccompProfile":{"type":"Unconfined"}}},{"name":"d","securityContext":{"seccompProfile":{"type":"Unconfined"}}}]}}"#,
                Some(
                    r#"seccompProfile (containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined")"#,
                ),
            ),
            (
                r#"{"spec":{"containers":[{"name":"a"},{"name":"b","securityContext":{}}]}}"#,
                Some(
                    r#"seccompProfile (pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#,
                ),
            ),
            (
                // An invalid pod profile does not count as set for the containers, but only
                // explicit offenders are named.
                r#"{"metadata":{"annotations":{"seccomp.security.alpha.kubernetes.io/pod":"runtime/default"}},"spec":{"securityContext":{"seccompProfile":{"type":"Unconfined"}},"containers":[{"name":"a"}]}}"#,
                Some(
                    r#"seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")"#,
                ),
            ),
        ];
        table(check_v1_19, &rows);
        table(check_v1_25, &rows);
    }

    #[test]
    fn windows_exempt_from_v1_25() {
        let pod = r#"{"spec":{"os":{"name":"windows"},"containers":[{"name":"a"}]}}"#;
        table(
            check_v1_19,
            &[(
                pod,
                Some(
                    r#"seccompProfile (pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#,
                ),
            )],
        );
        table(check_v1_25, &[(pod, None)]);
    }
}

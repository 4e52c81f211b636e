//! `procMount` (baseline; variants v1.0 and v1.35; replaced at restricted from v1.35 by
//! `procMount_restricted`).
//!
//! **Restricted fields**
//! * `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.procMount`
//! * `spec.hostUsers` (from v1.35)
//!
//! **Allowed values**: unset or `Default`; from v1.35 anything in a user-namespace pod
//! (`hostUsers: false`).

use super::{Check, CheckDoc, since};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec};
use crate::text::{container_phrase, push_quote_list, sort_dedup};
use crate::violation::{CheckId, Finding, Forbidden};
use crate::visitor;

/// `procMount`.
pub const ID: CheckId = CheckId::new("procMount");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    variants: &[since(0, check_v1_0), since(35, check_v1_35)],
    doc: CheckDoc {
        summary: "Containers must use the default (masked) /proc mount; from v1.35 user-namespace pods are exempt",
        fields: &[
            "spec.containers[*].securityContext.procMount",
            "spec.initContainers[*].securityContext.procMount",
            "spec.ephemeralContainers[*].securityContext.procMount",
            "spec.hostUsers (v1.35+)",
        ],
        allowed: "Default or unset; any value when spec.hostUsers is false (v1.35+)",
        fix: "remove securityContext.procMount or set it to Default",
    },
};

/// Any container with a `procMount` other than `Default`: shared with `procMount_restricted`.
pub(crate) fn check_v1_0(_: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let mut bad: Vec<&str> = Vec::new();
    let mut values: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    for c in visitor::containers(spec) {
        let proc_mount = c.security_context().and_then(|sc| sc.proc_mount.as_deref());
        if let Some(value) = proc_mount.filter(|v| *v != "Default") {
            bad.push(c.name());
            values.push(value);
            findings.push(Finding::forbidden(
                c.path("securityContext.procMount"),
                Some(c.name()),
                value,
            ));
        }
    }
    if bad.is_empty() {
        return None;
    }
    sort_dedup(&mut values);
    let mut detail = container_phrase(&bad);
    detail.push_str(" must not set securityContext.procMount to ");
    push_quote_list(&mut detail, &values);
    Some(Forbidden {
        reason: "procMount",
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

    const UNMASKED_USERNS: &str = r#"{"spec":{"hostUsers":false,"containers":[{"name":"u","securityContext":{"procMount":"Unmasked"}}]}}"#;

    #[test]
    fn messages() {
        let rows = [
            (
                r#"{"spec":{"containers":[{"name":"a","securityContext":{"procMount":"Default"}},{"name":"b","securityContext":{}}]}}"#,
                None,
            ),
            (
                r#"{"spec":{"containers":[{"name":"d","securityContext":{"procMount":"Unmasked"}},{"name":"e","securityContext":{"procMount":"other"}}]}}"#,
                Some(
                    r#"procMount (containers "d", "e" must not set securityContext.procMount to "Unmasked", "other")"#,
                ),
            ),
            (
                r#"{"spec":{"containers":[{"name":"c0","securityContext":{"procMount":""}}]}}"#,
                Some(r#"procMount (container "c0" must not set securityContext.procMount to "")"#),
            ),
        ];
        table(check_v1_0, &rows);
        table(check_v1_35, &rows);
    }

    #[test]
    fn user_namespaces_relax_from_v1_35() {
        table(
            check_v1_0,
            &[(
                UNMASKED_USERNS,
                Some(
                    r#"procMount (container "u" must not set securityContext.procMount to "Unmasked")"#,
                ),
            )],
        );
        table(check_v1_35, &[(UNMASKED_USERNS, None)]);
    }
}

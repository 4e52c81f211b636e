//! `privileged` (baseline, all versions).
//!
//! **Restricted fields**
//! * `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.privileged`
//!
//! **Allowed values**: unset or `false`.

use super::{Check, CheckDoc, since};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec};
use crate::text::container_phrase;
use crate::violation::{CheckId, Finding, Forbidden};
use crate::visitor;

/// `privileged`.
pub const ID: CheckId = CheckId::new("privileged");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    variants: &[since(0, check)],
    doc: CheckDoc {
        summary: "Containers must not run privileged",
        fields: &[
            "spec.containers[*].securityContext.privileged",
            "spec.initContainers[*].securityContext.privileged",
            "spec.ephemeralContainers[*].securityContext.privileged",
        ],
        allowed: "false or unset",
        fix: "remove securityContext.privileged or set it to false",
    },
};

fn check(_: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let mut bad: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    for c in visitor::containers(spec) {
        if c.security_context().and_then(|sc| sc.privileged) == Some(true) {
            bad.push(c.name());
            findings.push(Finding::forbidden(
                c.path("securityContext.privileged"),
                Some(c.name()),
                "true",
            ));
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "privileged",
        detail: format!(
            "{} must not set securityContext.privileged=true",
            container_phrase(&bad)
        ),
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
                    r#"{"spec":{"containers":[{"name":"a","securityContext":{"privileged":false}},{"name":"b","securityContext":{"privileged":null}},{"name":"c"}]}}"#,
                    None,
                ),
                (
                    r#"{"spec":{"containers":[{"name":"a"},{"name":"d","securityContext":{"privileged":true}},{"name":"e","securityContext":{"privileged":true}}]}}"#,
                    Some(
                        r#"privileged (containers "d", "e" must not set securityContext.privileged=true)"#,
                    ),
                ),
                (
                    r#"{"spec":{"ephemeralContainers":[{"name":"dbg","securityContext":{"privileged":true}}]}}"#,
                    Some(
                        r#"privileged (container "dbg" must not set securityContext.privileged=true)"#,
                    ),
                ),
            ],
        );
    }
}

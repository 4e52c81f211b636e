//! `windowsHostProcess` (baseline, all versions).
//!
//! **Restricted fields**
//! * `spec.securityContext.windowsOptions.hostProcess`
//! * `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.windowsOptions.hostProcess`
//!
//! **Allowed values**: unset or `false`.

use super::{Check, CheckDoc, since};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec};
use crate::text::pod_and_containers;
use crate::violation::{CheckId, Finding, Forbidden};
use crate::visitor;

/// `windowsHostProcess`.
pub const ID: CheckId = CheckId::new("windowsHostProcess");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    variants: &[since(0, check)],
    doc: CheckDoc {
        summary: "Windows pods must not run as host processes",
        fields: &[
            "spec.securityContext.windowsOptions.hostProcess",
            "spec.containers[*].securityContext.windowsOptions.hostProcess",
            "spec.initContainers[*].securityContext.windowsOptions.hostProcess",
            "spec.ephemeralContainers[*].securityContext.windowsOptions.hostProcess",
        ],
        allowed: "false or unset",
        fix: "remove securityContext.windowsOptions.hostProcess or set it to false",
    },
};

fn check(_: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let pod_bad = spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.windows_options.as_ref())
        .and_then(|w| w.host_process)
        == Some(true);
    let mut findings = Vec::new();
    if pod_bad {
        findings.push(Finding::forbidden(
            "spec.securityContext.windowsOptions.hostProcess".into(),
            None,
            "true",
        ));
    }
    let mut bad: Vec<&str> = Vec::new();
    for c in visitor::containers(spec) {
        let host_process = c
            .security_context()
            .and_then(|sc| sc.windows_options.as_ref())
            .and_then(|w| w.host_process);
        if host_process == Some(true) {
            bad.push(c.name());
            findings.push(Finding::forbidden(
                c.path("securityContext.windowsOptions.hostProcess"),
                Some(c.name()),
                "true",
            ));
        }
    }
    if !pod_bad && bad.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "hostProcess",
        detail: format!(
            "{} must not set securityContext.windowsOptions.hostProcess=true",
            pod_and_containers(pod_bad, &bad)
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
                    r#"{"spec":{"securityContext":{"windowsOptions":{"hostProcess":false}},"containers":[{"name":"a","securityContext":{"windowsOptions":{}}}]}}"#,
                    None,
                ),
                (
                    r#"{"spec":{"securityContext":{"windowsOptions":{"hostProcess":true}}}}"#,
                    Some(
                        "hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)",
                    ),
                ),
                (
                    r#"{"spec":{"securityContext":{"windowsOptions":{"hostProcess":true}},"containers":[
                        {"name":"d","securityContext":{"windowsOptions":{"hostProcess":false}}},
                        {"name":"e","securityContext":{"windowsOptions":{"hostProcess":true}}},
                        {"name":"f","securityContext":{"windowsOptions":{"hostProcess":true}}}]}}"#,
                    Some(
                        r#"hostProcess (pod and containers "e", "f" must not set securityContext.windowsOptions.hostProcess=true)"#,
                    ),
                ),
            ],
        );
    }
}

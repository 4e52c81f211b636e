//! `hostPorts` (baseline, all versions).
//!
//! **Restricted fields**
//! * `spec.{initContainers,containers,ephemeralContainers}[*].ports[*].hostPort`
//!
//! **Allowed values**: unset or `0`.

use super::{Check, CheckDoc, since};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec};
use crate::text::{plural, push_quote_list, sort_dedup};
use crate::violation::{CheckId, Finding, Forbidden};
use crate::visitor;

/// `hostPorts`.
pub const ID: CheckId = CheckId::new("hostPorts");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    variants: &[since(0, check)],
    doc: CheckDoc {
        summary: "Containers must not bind ports of the host (hostPort)",
        fields: &[
            "spec.containers[*].ports[*].hostPort",
            "spec.initContainers[*].ports[*].hostPort",
            "spec.ephemeralContainers[*].ports[*].hostPort",
        ],
        allowed: "0 or unset",
        fix: "remove hostPort from the container ports (or set it to 0), and expose the port with a Service",
    },
};

fn check(_: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let mut bad_containers: Vec<&str> = Vec::new();
    let mut ports: Vec<String> = Vec::new();
    let mut findings = Vec::new();
    for c in visitor::containers(spec) {
        let mut container_bad = false;
        for (i, port) in c.container.ports.iter().enumerate() {
            if port.host_port != 0 {
                container_bad = true;
                let text = port.host_port.to_string();
                findings.push(Finding::forbidden(
                    c.path(&format!("ports[{i}].hostPort")),
                    Some(c.name()),
                    text.clone(),
                ));
                ports.push(text);
            }
        }
        if container_bad {
            bad_containers.push(c.name());
        }
    }
    if bad_containers.is_empty() {
        return None;
    }
    // Upstream sorts the port numbers as strings: "10000" < "8080".
    sort_dedup(&mut ports);
    let n = bad_containers.len();
    let mut detail = String::from(plural("container ", "containers ", n));
    push_quote_list(&mut detail, &bad_containers);
    detail.push_str(plural(" uses ", " use ", n));
    detail.push_str(plural("hostPort ", "hostPorts ", ports.len()));
    detail.push_str(&ports.join(", "));
    Some(Forbidden {
        reason: "hostPort",
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
                    r#"{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80},{"hostPort":0},null]}]}}"#,
                    None,
                ),
                (
                    r#"{"spec":{"containers":[{"name":"a"},{"name":"b","ports":[{"hostPort":0},{"hostPort":20}]}]}}"#,
                    Some(r#"hostPort (container "b" uses hostPort 20)"#),
                ),
                (
                    r#"{"spec":{"containers":[{"name":"b","ports":[{"hostPort":10},{"hostPort":20}]},{"name":"c","ports":[{"hostPort":10},{"hostPort":30}]}]}}"#,
                    Some(r#"hostPort (containers "b", "c" use hostPorts 10, 20, 30)"#),
                ),
                (
                    r#"{"spec":{"containers":[{"name":"b","ports":[{"hostPort":8080},{"hostPort":10000}]}]}}"#,
                    Some(r#"hostPort (container "b" uses hostPorts 10000, 8080)"#),
                ),
                (
                    r#"{"spec":{"containers":[{"name":"a","ports":[{"hostPort":80},{"hostPort":80}]},{"name":"a","ports":[{"hostPort":443}]}]}}"#,
                    Some(r#"hostPort (containers "a", "a" use hostPorts 443, 80)"#),
                ),
                (
                    r#"{"spec":{"containers":[{"name":"a","ports":[{"hostPort":80}]}],"initContainers":[{"name":"i","ports":[{"hostPort":-1}]}]}}"#,
                    Some(r#"hostPort (containers "i", "a" use hostPorts -1, 80)"#),
                ),
                (
                    r#"{"spec":{"containers":[{"name":"a","ports":[{"hostPort":80}]},{"name":"b","ports":[{"hostPort":80}]}]}}"#,
                    Some(r#"hostPort (containers "a", "b" use hostPort 80)"#),
                ),
            ],
        );
    }
}

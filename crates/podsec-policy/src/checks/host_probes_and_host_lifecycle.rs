//! `hostProbesAndHostLifecycle` (baseline, from v1.34).
//!
//! **Restricted fields**, for every init, regular and ephemeral container:
//! * `livenessProbe`, `readinessProbe`, `startupProbe`: `.httpGet.host`, `.tcpSocket.host`
//! * `lifecycle.postStart`, `lifecycle.preStop`: `.httpGet.host`, `.tcpSocket.host`
//!
//! **Allowed values**: unset or `""`.
//!
//! Unlike every other check, container names are de-duplicated and sorted.

use super::{Check, CheckDoc, since};
use crate::level::Level;
use crate::model::{Handler, PodMetadata, PodSpec};
use crate::text::{plural, push_quote_list, sort_dedup};
use crate::violation::{CheckId, Finding, Forbidden};
use crate::visitor;

/// `hostProbesAndHostLifecycle`.
pub const ID: CheckId = CheckId::new("hostProbesAndHostLifecycle");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    variants: &[since(34, check)],
    doc: CheckDoc {
        summary: "Probes and lifecycle hooks must not target another host",
        fields: &[
            "spec.containers[*].livenessProbe.httpGet.host",
            "spec.containers[*].livenessProbe.tcpSocket.host",
            "spec.containers[*].readinessProbe.httpGet.host",
            "spec.containers[*].readinessProbe.tcpSocket.host",
            "spec.containers[*].startupProbe.httpGet.host",
            "spec.containers[*].startupProbe.tcpSocket.host",
            "spec.containers[*].lifecycle.postStart.httpGet.host",
            "spec.containers[*].lifecycle.postStart.tcpSocket.host",
            "spec.containers[*].lifecycle.preStop.httpGet.host",
            "spec.containers[*].lifecycle.preStop.tcpSocket.host",
            "(and the same fields of initContainers and ephemeralContainers)",
        ],
        allowed: "\"\" or unset",
        fix: "remove the host field of httpGet and tcpSocket probes and lifecycle hooks (they then target the pod itself)",
    },
};

fn check(_: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let mut bad_containers: Vec<&str> = Vec::new();
    let mut hosts: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    for c in visitor::containers(spec) {
        let lifecycle = c.container.lifecycle.as_ref();
        let handlers: [(&str, Option<&Handler>); 5] = [
            ("livenessProbe", c.container.liveness_probe.as_ref()),
            ("readinessProbe", c.container.readiness_probe.as_ref()),
            ("startupProbe", c.container.startup_probe.as_ref()),
            (
                "lifecycle.postStart",
                lifecycle.and_then(|l| l.post_start.as_ref()),
            ),
            (
                "lifecycle.preStop",
                lifecycle.and_then(|l| l.pre_stop.as_ref()),
            ),
        ];
        let mut container_bad = false;
        for (field, handler) in handlers {
            let Some(handler) = handler else { continue };
            for (action, host) in [
                (
                    "httpGet",
                    handler.http_get.as_ref().map(|a| a.host.as_str()),
                ),
                (
                    "tcpSocket",
                    handler.tcp_socket.as_ref().map(|a| a.host.as_str()),
                ),
            ] {
                if let Some(host) = host.filter(|h| !h.is_empty()) {
                    container_bad = true;
                    hosts.push(host);
                    findings.push(Finding::forbidden(
                        c.path(&format!("{field}.{action}.host")),
                        Some(c.name()),
                        host,
                    ));
                }
            }
        }
        if container_bad {
            bad_containers.push(c.name());
        }
    }
    if bad_containers.is_empty() {
        return None;
    }
    sort_dedup(&mut bad_containers);
    sort_dedup(&mut hosts);
    let mut detail = String::from(plural("container ", "containers ", bad_containers.len()));
    push_quote_list(&mut detail, &bad_containers);
    detail.push_str(plural(" uses ", " use ", bad_containers.len()));
    detail.push_str(plural(
        "probe or lifecycle host ",
        "probe or lifecycle hosts ",
        hosts.len(),
    ));
    push_quote_list(&mut detail, &hosts);
    Some(Forbidden {
        reason: "probe or lifecycle host",
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
                    r#"{"spec":{"containers":[{"name":"a","livenessProbe":{"httpGet":{"port":80,"host":""},"exec":{}},"lifecycle":{"preStop":{"sleep":{"seconds":1}}}}]}}"#,
                    None,
                ),
                (
                    r#"{"spec":{"containers":[{"name":"a",
                        "livenessProbe":{"httpGet":{"host":"127.0.0.1"}},
                        "readinessProbe":{"tcpSocket":{"host":"::1"}},
                        "startupProbe":{"httpGet":{"host":"localhost"}}}]}}"#,
                    Some(
                        r#"probe or lifecycle host (container "a" uses probe or lifecycle hosts "127.0.0.1", "::1", "localhost")"#,
                    ),
                ),
                (
                    r#"{"spec":{"containers":[
                        {"name":"invalid1","livenessProbe":{"httpGet":{"host":"a.com"}}},
                        {"name":"invalid2","lifecycle":{"preStop":{"tcpSocket":{"host":"b.com"}}},"startupProbe":{"httpGet":{"host":"a.com"}}}]}}"#,
                    Some(
                        r#"probe or lifecycle host (containers "invalid1", "invalid2" use probe or lifecycle hosts "a.com", "b.com")"#,
                    ),
                ),
                (
                    r#"{"spec":{"initContainers":[{"name":"init","livenessProbe":{"httpGet":{"host":"invalid.init.host"}}}]}}"#,
                    Some(
                        r#"probe or lifecycle host (container "init" uses probe or lifecycle host "invalid.init.host")"#,
                    ),
                ),
                (
                    // Names are de-duplicated and sorted: b, a, a -> "a", "b".
                    r#"{"spec":{"containers":[
                        {"name":"b","livenessProbe":{"httpGet":{"host":"z.example"}}},
                        {"name":"a","readinessProbe":{"tcpSocket":{"host":"10.0.0.1"}},"lifecycle":{"preStop":{"httpGet":{"host":"z.example"}}}},
                        {"name":"a","startupProbe":{"httpGet":{"host":""}}}]}}"#,
                    Some(
                        r#"probe or lifecycle host (containers "a", "b" use probe or lifecycle hosts "10.0.0.1", "z.example")"#,
                    ),
                ),
            ],
        );
    }
}

//! `sysctls` (baseline; variants v1.0, v1.27, v1.29, v1.32, v1.37).
//!
//! **Restricted fields**: `spec.securityContext.sysctls[*].name`.
//!
//! **Allowed values**: unset, or the names of the safe namespaced sysctls below. Each
//! version's list is the previous one plus the names that version added.

use super::{Check, CheckDoc, since};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec};
use crate::violation::{CheckId, Finding, Forbidden};

/// `sysctls`.
pub const ID: CheckId = CheckId::new("sysctls");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    variants: &[
        since(0, check_v1_0),
        since(27, check_v1_27),
        since(29, check_v1_29),
        since(32, check_v1_32),
        since(37, check_v1_37),
    ],
    doc: CheckDoc {
        summary: "Only safe, namespaced sysctls may be set",
        fields: &["spec.securityContext.sysctls[*].name"],
        allowed: "kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start; v1.27+: net.ipv4.ip_local_reserved_ports; v1.29+: net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes; v1.32+: net.ipv4.tcp_rmem, net.ipv4.tcp_wmem; v1.37+: net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat",
        fix: "remove sysctls outside the safe set from securityContext.sysctls (podsec explain sysctls lists it)",
    },
};

/// The safe sysctls added at each version (cumulative: a version allows its own entries and
/// those of every earlier row).
pub const ADDED: &[(u64, &[&str])] = &[
    (
        0,
        &[
            "kernel.shm_rmid_forced",
            "net.ipv4.ip_local_port_range",
            "net.ipv4.tcp_syncookies",
            "net.ipv4.ping_group_range",
            "net.ipv4.ip_unprivileged_port_start",
        ],
    ),
    (27, &["net.ipv4.ip_local_reserved_ports"]),
    (
        29,
        &[
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes",
        ],
    ),
    (32, &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]),
    (
        37,
        &[
            "net.ipv4.tcp_slow_start_after_idle",
            "net.ipv4.tcp_notsent_lowat",
        ],
    ),
];

/// Whether `name` is allowed by the variant of version `v1.<minor>`.
pub fn allowed_at(minor: u64, name: &str) -> bool {
    ADDED
        .iter()
        .take_while(|(since, _)| *since <= minor)
        .any(|(_, names)| names.contains(&name))
}

fn check_v1_0(m: &PodMetadata, s: &PodSpec) -> Option<Forbidden> {
    check_at(m, s, 0)
}
fn check_v1_27(m: &PodMetadata, s: &PodSpec) -> Option<Forbidden> {
    check_at(m, s, 27)
}
fn check_v1_29(m: &PodMetadata, s: &PodSpec) -> Option<Forbidden> {
    check_at(m, s, 29)
}
fn check_v1_32(m: &PodMetadata, s: &PodSpec) -> Option<Forbidden> {
    check_at(m, s, 32)
}
fn check_v1_37(m: &PodMetadata, s: &PodSpec) -> Option<Forbidden> {
    check_at(m, s, 37)
}

fn check_at(_: &PodMetadata, spec: &PodSpec, minor: u64) -> Option<Forbidden> {
    let sysctls = spec.security_context.as_ref().map(|sc| &sc.sysctls[..])?;
    let mut names: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    for (i, sysctl) in sysctls.iter().enumerate() {
        if !allowed_at(minor, &sysctl.name) {
            names.push(&sysctl.name);
            findings.push(Finding::forbidden(
                format!("spec.securityContext.sysctls[{i}].name"),
                None,
                &sysctl.name,
            ));
        }
    }
    if names.is_empty() {
        return None;
    }
    // Spec order, duplicates kept, unquoted.
    Some(Forbidden {
        reason: "forbidden sysctls",
        detail: names.join(", "),
        findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::table;

    #[test]
    fn messages() {
        table(
            check_v1_0,
            &[
                (
                    r#"{"spec":{"securityContext":{"sysctls":[{"name":"kernel.shm_rmid_forced","value":"1"}]}}}"#,
                    None,
                ),
                (
                    r#"{"spec":{"securityContext":{"sysctls":[{"name":"a"},{"name":"b"}]}}}"#,
                    Some("forbidden sysctls (a, b)"),
                ),
                (
                    r#"{"spec":{"securityContext":{"sysctls":[{"name":"kernel.msgmax"},{"name":"kernel.msgmax"}]}}}"#,
                    Some("forbidden sysctls (kernel.msgmax, kernel.msgmax)"),
                ),
                (
                    r#"{"spec":{"securityContext":{"sysctls":[{"name":"net/ipv4/ip_local_port_range"}]}}}"#,
                    Some("forbidden sysctls (net/ipv4/ip_local_port_range)"),
                ),
                (
                    r#"{"spec":{"securityContext":{"sysctls":[null]}}}"#,
                    Some("forbidden sysctls"),
                ),
                (
                    r#"{"spec":{"securityContext":{"sysctls":[{"name":""},{}]}}}"#,
                    Some("forbidden sysctls (, )"),
                ),
            ],
        );
    }

    #[test]
    fn allow_list_grows_by_version() {
        let pod = r#"{"spec":{"securityContext":{"sysctls":[
            {"name":"net.ipv4.ip_local_reserved_ports"},{"name":"net.ipv4.tcp_keepalive_time"},
            {"name":"net.ipv4.tcp_rmem"},{"name":"net.ipv4.tcp_notsent_lowat"}]}}}"#;
        table(
            check_v1_0,
            &[(
                pod,
                Some(
                    "forbidden sysctls (net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_keepalive_time, net.ipv4.tcp_rmem, net.ipv4.tcp_notsent_lowat)",
                ),
            )],
        );
        table(
            check_v1_27,
            &[(
                pod,
                Some(
                    "forbidden sysctls (net.ipv4.tcp_keepalive_time, net.ipv4.tcp_rmem, net.ipv4.tcp_notsent_lowat)",
                ),
            )],
        );
        table(
            check_v1_29,
            &[(
                pod,
                Some("forbidden sysctls (net.ipv4.tcp_rmem, net.ipv4.tcp_notsent_lowat)"),
            )],
        );
        table(
            check_v1_32,
            &[(pod, Some("forbidden sysctls (net.ipv4.tcp_notsent_lowat)"))],
        );
        table(check_v1_37, &[(pod, None)]);
    }

    #[test]
    fn variants_match_added_rows() {
        let since: Vec<u64> = CHECK
            .variants
            .iter()
            .map(|v| match v.since {
                crate::Version::Release { minor, .. } => minor,
                crate::Version::Latest => u64::MAX,
            })
            .collect();
        let rows: Vec<u64> = ADDED.iter().map(|(m, _)| *m).collect();
        assert_eq!(since, rows);
    }
}

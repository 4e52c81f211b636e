//! `seLinuxOptions` (baseline; variants v1.0 and v1.31).
//!
//! **Restricted fields**
//! * `spec.securityContext.seLinuxOptions.{type,user,role}`
//! * `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.seLinuxOptions.{type,user,role}`
//!
//! **Allowed values**
//! * `type`: `""`, `container_t`, `container_init_t`, `container_kvm_t`; from v1.31 also
//!   `container_engine_t`
//! * `user`, `role`: `""`

use super::{Check, CheckDoc, since};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec, SeLinuxOptions};
use crate::text::{plural, pod_and_containers, push_quote_list, sort_dedup};
use crate::violation::{CheckId, Finding, Forbidden};
use crate::visitor;

/// `seLinuxOptions`.
pub const ID: CheckId = CheckId::new("seLinuxOptions");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    variants: &[since(0, check_v1_0), since(31, check_v1_31)],
    doc: CheckDoc {
        summary: "SELinux options must not set a custom user or role, and only container types",
        fields: &[
            "spec.securityContext.seLinuxOptions.type",
            "spec.securityContext.seLinuxOptions.user",
            "spec.securityContext.seLinuxOptions.role",
            "spec.containers[*].securityContext.seLinuxOptions.{type,user,role}",
            "spec.initContainers[*].securityContext.seLinuxOptions.{type,user,role}",
            "spec.ephemeralContainers[*].securityContext.seLinuxOptions.{type,user,role}",
        ],
        allowed: "type \"\", container_t, container_init_t, container_kvm_t, container_engine_t (v1.31+); user and role unset",
        fix: "leave seLinuxOptions.user and role unset, and seLinuxOptions.type unset or container_t, container_init_t or container_kvm_t",
    },
};

/// Types allowed by the v1.0 variant.
pub const ALLOWED_TYPES_V1_0: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
/// Types allowed from v1.31: the v1.0 types plus `container_engine_t`.
pub const ALLOWED_TYPES_V1_31: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

fn check_v1_0(meta: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    check_with(meta, spec, ALLOWED_TYPES_V1_0)
}

fn check_v1_31(meta: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    check_with(meta, spec, ALLOWED_TYPES_V1_31)
}

#[derive(Default)]
struct Collected<'a> {
    types: Vec<&'a str>,
    user: bool,
    role: bool,
    findings: Vec<Finding>,
}

impl<'a> Collected<'a> {
    /// Records the options' problems; true if they are bad.
    fn inspect(
        &mut self,
        opts: &'a SeLinuxOptions,
        allowed: &[&str],
        path: impl Fn(&str) -> String,
        container: Option<&str>,
    ) -> bool {
        let mut bad = false;
        if !allowed.contains(&opts.type_.as_str()) {
            bad = true;
            self.types.push(&opts.type_);
            self.findings
                .push(Finding::forbidden(path("type"), container, &opts.type_));
        }
        if !opts.user.is_empty() {
            bad = true;
            self.user = true;
            self.findings
                .push(Finding::forbidden(path("user"), container, &opts.user));
        }
        if !opts.role.is_empty() {
            bad = true;
            self.role = true;
            self.findings
                .push(Finding::forbidden(path("role"), container, &opts.role));
        }
        bad
    }
}

fn check_with(_: &PodMetadata, spec: &PodSpec, allowed: &[&str]) -> Option<Forbidden> {
    let mut collected = Collected::default();
    let pod_opts = spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.se_linux_options.as_ref());
    let pod_bad = pod_opts.is_some_and(|opts| {
        collected.inspect(
            opts,
            allowed,
            |f| format!("spec.securityContext.seLinuxOptions.{f}"),
            None,
        )
    });
    let mut bad_containers: Vec<&str> = Vec::new();
    for c in visitor::containers(spec) {
        let Some(opts) = c
            .security_context()
            .and_then(|sc| sc.se_linux_options.as_ref())
        else {
            continue;
        };
        if collected.inspect(
            opts,
            allowed,
            |f| c.path(&format!("securityContext.seLinuxOptions.{f}")),
            Some(c.name()),
        ) {
            bad_containers.push(c.name());
        }
    }
    if !pod_bad && bad_containers.is_empty() {
        return None;
    }

    let mut parts = Vec::new();
    sort_dedup(&mut collected.types);
    if !collected.types.is_empty() {
        let mut part = String::from(plural("type ", "types ", collected.types.len()));
        push_quote_list(&mut part, &collected.types);
        parts.push(part);
    }
    if collected.user {
        parts.push("user may not be set".to_owned());
    }
    if collected.role {
        parts.push("role may not be set".to_owned());
    }
    Some(Forbidden {
        reason: "seLinuxOptions",
        detail: format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            pod_and_containers(pod_bad, &bad_containers),
            parts.join("; ")
        ),
        findings: collected.findings,
    })
}

#[cfg(test)]
mod tests {
    use super::{check_v1_0, check_v1_31};
    use crate::checks::test_support::table;

    #[test]
    fn messages() {
        let rows = [
            (
                r#"{"spec":{"securityContext":{"seLinuxOptions":{"type":"container_t","level":"s0:c1"}},"containers":[{"name":"a","securityContext":{"seLinuxOptions":{}}}]}}"#,
                None,
            ),
            (
                r#"{"spec":{"securityContext":{"seLinuxOptions":{"type":"foo","user":"bar","role":"baz"}},"containers":[
                    {"name":"a","securityContext":{"seLinuxOptions":{"type":"container_t"}}},
                    {"name":"b","securityContext":{"seLinuxOptions":{"type":"container_init_t"}}},
                    {"name":"c","securityContext":{"seLinuxOptions":{"type":"container_kvm_t"}}},
                    {"name":"d","securityContext":{"seLinuxOptions":{"type":""}}},
                    {"name":"e","securityContext":{"seLinuxOptions":{"type":"bar"}}},
                    {"name":"f","securityContext":{"seLinuxOptions":{"user":"bar"}}},
                    {"name":"g","securityContext":{"seLinuxOptions":{"role":"baz"}}}]}}"#,
                Some(
                    r#"seLinuxOptions (pod and containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set)"#,
                ),
            ),
            (
                r#"{"spec":{"securityContext":{"seLinuxOptions":{"type":"bad"}}}}"#,
                Some(
                    r#"seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "bad")"#,
                ),
            ),
            (
                r#"{"spec":{"securityContext":{"seLinuxOptions":{"user":"bad"}}}}"#,
                Some(
                    r#"seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: user may not be set)"#,
                ),
            ),
        ];
        table(check_v1_0, &rows);
        table(check_v1_31, &rows);
    }

    #[test]
    fn container_engine_t_allowed_from_v1_31() {
        let pod = r#"{"spec":{"securityContext":{"seLinuxOptions":{"type":"container_engine_t"}},"containers":[{"name":"c","securityContext":{"seLinuxOptions":{"user":"u"}}}]}}"#;
        table(
            check_v1_0,
            &[(
                pod,
                Some(
                    r#"seLinuxOptions (pod and container "c" set forbidden securityContext.seLinuxOptions: type "container_engine_t"; user may not be set)"#,
                ),
            )],
        );
        table(
            check_v1_31,
            &[(
                pod,
                Some(
                    r#"seLinuxOptions (container "c" set forbidden securityContext.seLinuxOptions: user may not be set)"#,
                ),
            )],
        );
    }
}

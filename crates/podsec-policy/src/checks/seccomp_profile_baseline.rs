//! `seccompProfile_baseline` (baseline; variants v1.0 and v1.19; replaced at restricted
//! from v1.19 by `seccompProfile_restricted`).
//!
//! **Restricted fields**
//! * v1.0–v1.18 (annotations only): `metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]`,
//!   `metadata.annotations["container.seccomp.security.alpha.kubernetes.io/<container name>"]`
//! * v1.19+ (fields only): `spec.securityContext.seccompProfile.type`,
//!   `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.seccompProfile.type`
//!
//! **Allowed values**
//! * annotations: `runtime/default`, `docker/default`, `localhost/*` (or absent)
//! * fields: `RuntimeDefault`, `Localhost` (or unset)

use super::{Check, CheckDoc, since};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec, Profile};
use crate::text::{go_quote, plural, pod_and_containers, push_quote_list, sort_dedup};
use crate::violation::{CheckId, Finding, Forbidden};
use crate::visitor;

/// `seccompProfile_baseline`.
pub const ID: CheckId = CheckId::new("seccompProfile_baseline");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    variants: &[since(0, check_v1_0), since(19, check_v1_19)],
    doc: CheckDoc {
        summary: "Seccomp must not be explicitly disabled (Unconfined)",
        fields: &[
            "metadata.annotations[\"seccomp.security.alpha.kubernetes.io/pod\"] (before v1.19)",
            "metadata.annotations[\"container.seccomp.security.alpha.kubernetes.io/*\"] (before v1.19)",
            "spec.securityContext.seccompProfile.type (v1.19+)",
            "spec.containers[*].securityContext.seccompProfile.type (v1.19+)",
            "spec.initContainers[*].securityContext.seccompProfile.type (v1.19+)",
            "spec.ephemeralContainers[*].securityContext.seccompProfile.type (v1.19+)",
        ],
        allowed: "RuntimeDefault, Localhost or unset; annotations runtime/default, docker/default, localhost/*",
        fix: "remove seccompProfile.type: Unconfined and unconfined seccomp annotations (use RuntimeDefault or Localhost, or leave them unset)",
    },
};

/// The pod-level seccomp annotation.
pub const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
/// Prefix of the per-container seccomp annotations.
pub const CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn allowed_annotation(value: &str) -> bool {
    value == "runtime/default" || value == "docker/default" || value.starts_with("localhost/")
}

/// Whether a seccomp profile field is one of the two allowed types.
pub(crate) fn allowed_profile(profile: &Profile) -> bool {
    matches!(profile.type_.as_str(), "RuntimeDefault" | "Localhost")
}

fn check_v1_0(meta: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let mut entries: Vec<String> = Vec::new();
    let mut findings = Vec::new();
    let mut inspect = |key: &str, container: Option<&str>| {
        if let Some(value) = meta.annotations.get(key).filter(|v| !allowed_annotation(v)) {
            entries.push(format!("{key}={}", go_quote(value)));
            findings.push(Finding::forbidden(
                format!("metadata.annotations[{}]", go_quote(key)),
                container,
                value,
            ));
        }
    };
    inspect(POD_ANNOTATION, None);
    if meta
        .annotations
        .range::<str, _>((
            std::ops::Bound::Included(CONTAINER_ANNOTATION_PREFIX),
            std::ops::Bound::Unbounded,
        ))
        .next()
        .is_some_and(|(k, _)| k.starts_with(CONTAINER_ANNOTATION_PREFIX))
    {
        let mut key = String::from(CONTAINER_ANNOTATION_PREFIX);
        for c in visitor::containers(spec) {
            key.truncate(CONTAINER_ANNOTATION_PREFIX.len());
            key.push_str(c.name());
            inspect(&key, Some(c.name()));
        }
    }
    if entries.is_empty() {
        return None;
    }
    sort_dedup(&mut entries);
    let mut detail = String::from(plural(
        "forbidden annotation ",
        "forbidden annotations ",
        entries.len(),
    ));
    detail.push_str(&entries.join(", "));
    Some(Forbidden {
        reason: "seccompProfile",
        detail,
        findings,
    })
}

fn check_v1_19(_: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let mut values: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    let pod_profile = spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.seccomp_profile.as_ref());
    let pod_bad = match pod_profile {
        Some(profile) if !allowed_profile(profile) => {
            values.push(&profile.type_);
            findings.push(Finding::forbidden(
                "spec.securityContext.seccompProfile.type".into(),
                None,
                &profile.type_,
            ));
            true
        }
        _ => false,
    };
    let mut bad: Vec<&str> = Vec::new();
    for c in visitor::containers(spec) {
        let profile = c
            .security_context()
            .and_then(|sc| sc.seccomp_profile.as_ref());
        if let Some(profile) = profile.filter(|p| !allowed_profile(p)) {
            bad.push(c.name());
            values.push(&profile.type_);
            findings.push(Finding::forbidden(
                c.path("securityContext.seccompProfile.type"),
                Some(c.name()),
                &profile.type_,
            ));
        }
    }
    if !pod_bad && bad.is_empty() {
        return None;
    }
    sort_dedup(&mut values);
    let mut detail = pod_and_containers(pod_bad, &bad);
    detail.push_str(" must not set securityContext.seccompProfile.type to ");
    push_quote_list(&mut detail, &values);
    Some(Forbidden {
        reason: "seccompProfile",
        detail,
        findings,
    })
}

#[cfg(test)]
mod tests {
    use super::{check_v1_0, check_v1_19};
    use crate::checks::test_support::table;

    #[test]
    fn annotations_before_v1_19() {
        table(
            check_v1_0,
            &[
                (
                    r#"{"metadata":{"annotations":{"seccomp.security.alpha.kubernetes.io/pod":"runtime/default",
                        "container.seccomp.security.alpha.kubernetes.io/a":"docker/default",
                        "container.seccomp.security.alpha.kubernetes.io/b":"localhost/x",
                        "container.seccomp.security.alpha.kubernetes.io/notacontainer":"unconfined"}},
                        "spec":{"securityContext":{"seccompProfile":{"type":"Unconfined"}},"containers":[{"name":"a"},{"name":"b"}]}}"#,
                    None,
                ),
                (
                    r#"{"metadata":{"annotations":{"seccomp.security.alpha.kubernetes.io/pod":"unconfined"}}}"#,
                    Some(
                        r#"seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")"#,
                    ),
                ),
                (
                    r#"{"metadata":{"annotations":{"seccomp.security.alpha.kubernetes.io/pod":"unconfined",
                        "container.seccomp.security.alpha.kubernetes.io/a":"unconfined",
                        "container.seccomp.security.alpha.kubernetes.io/b":"unknown"}},
                        "spec":{"containers":[{"name":"b"}],"initContainers":[{"name":"a"}]}}"#,
                    Some(
                        r#"seccompProfile (forbidden annotations container.seccomp.security.alpha.kubernetes.io/a="unconfined", container.seccomp.security.alpha.kubernetes.io/b="unknown", seccomp.security.alpha.kubernetes.io/pod="unconfined")"#,
                    ),
                ),
                (
                    // A null value is a present key with the forbidden value "".
                    r#"{"metadata":{"annotations":{"seccomp.security.alpha.kubernetes.io/pod":null}}}"#,
                    Some(
                        r#"seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="")"#,
                    ),
                ),
                (
                    // Two containers with the same name give one entry.
                    r#"{"metadata":{"annotations":{"container.seccomp.security.alpha.kubernetes.io/a":"x"}},
                        "spec":{"containers":[{"name":"a"},{"name":"a"}]}}"#,
                    Some(
                        r#"seccompProfile (forbidden annotation container.seccomp.security.alpha.kubernetes.io/a="x")"#,
                    ),
                ),
            ],
        );
    }

    #[test]
    fn fields_from_v1_19() {
        table(
            check_v1_19,
            &[
                (
                    r#"{"metadata":{"annotations":{"seccomp.security.alpha.kubernetes.io/pod":"unconfined"}},
                        "spec":{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"a","securityContext":{"seccompProfile":{"type":"Localhost"}}},{"name":"b"}]}}"#,
                    None,
                ),
                (
                    r#"{"spec":{"securityContext":{"seccompProfile":{"type":"Unconfined"}}}}"#,
                    Some(
                        r#"seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")"#,
                    ),
                ),
                (
                    r#"{"spec":{"securityContext":{"seccompProfile":{"type":"Unconfined"}},"containers":[
                        {"name":"c","securityContext":{"seccompProfile":{"type":"Unconfined"}}},
                        {"name":"d","securityContext":{"seccompProfile":{}}}]}}"#,
                    Some(
                        r#"seccompProfile (pod and containers "c", "d" must not set securityContext.seccompProfile.type to "", "Unconfined")"#,
                    ),
                ),
            ],
        );
    }
}

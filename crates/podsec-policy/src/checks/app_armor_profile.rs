//! `appArmorProfile` (baseline, all versions).
//!
//! **Restricted fields**
//! * `spec.securityContext.appArmorProfile.type`
//! * `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.appArmorProfile.type`
//! * `metadata.annotations["container.apparmor.security.beta.kubernetes.io/*"]`
//!
//! **Allowed values**
//! * profile type: `RuntimeDefault`, `Localhost` (an absent profile is fine)
//! * annotation: `""`, `runtime/default`, `localhost/*`

use super::{Check, CheckDoc, since};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec, Profile};
use crate::text::{go_quote, plural, pod_and_containers, push_quote_list, sort_dedup};
use crate::violation::{CheckId, Finding, Forbidden};
use crate::visitor;

/// `appArmorProfile`.
pub const ID: CheckId = CheckId::new("appArmorProfile");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    variants: &[since(0, check)],
    doc: CheckDoc {
        summary: "AppArmor profiles must not be disabled or overridden: only the runtime default or a localhost profile",
        fields: &[
            "spec.securityContext.appArmorProfile.type",
            "spec.containers[*].securityContext.appArmorProfile.type",
            "spec.initContainers[*].securityContext.appArmorProfile.type",
            "spec.ephemeralContainers[*].securityContext.appArmorProfile.type",
            "metadata.annotations[\"container.apparmor.security.beta.kubernetes.io/*\"]",
        ],
        allowed: "type RuntimeDefault or Localhost (or unset); annotation values \"\", runtime/default, localhost/*",
        fix: "set securityContext.appArmorProfile.type to RuntimeDefault or Localhost (or leave it unset), and AppArmor annotations to runtime/default or localhost/*",
    },
};

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn allowed_profile(profile: &Profile) -> bool {
    matches!(profile.type_.as_str(), "RuntimeDefault" | "Localhost")
}

fn allowed_annotation(value: &str) -> bool {
    value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")
}

fn check(meta: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let mut pod_bad = false;
    let mut bad_types: Vec<&str> = Vec::new();
    let mut bad_containers: Vec<&str> = Vec::new();
    let mut findings = Vec::new();

    let pod_profile = spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.app_armor_profile.as_ref());
    if let Some(profile) = pod_profile.filter(|p| !allowed_profile(p)) {
        pod_bad = true;
        bad_types.push(&profile.type_);
        findings.push(Finding::forbidden(
            "spec.securityContext.appArmorProfile.type".into(),
            None,
            &profile.type_,
        ));
    }
    for c in visitor::containers(spec) {
        let profile = c
            .security_context()
            .and_then(|sc| sc.app_armor_profile.as_ref());
        if let Some(profile) = profile.filter(|p| !allowed_profile(p)) {
            bad_containers.push(c.name());
            bad_types.push(&profile.type_);
            findings.push(Finding::forbidden(
                c.path("securityContext.appArmorProfile.type"),
                Some(c.name()),
                &profile.type_,
            ));
        }
    }
    let mut bad_annotations: Vec<String> = Vec::new();
    for (key, value) in &meta.annotations {
        if key.starts_with(ANNOTATION_PREFIX) && !allowed_annotation(value) {
            bad_annotations.push(format!("{key}={}", go_quote(value)));
            findings.push(Finding::forbidden(
                format!("metadata.annotations[{}]", go_quote(key)),
                None,
                value,
            ));
        }
    }
    if !pod_bad && bad_containers.is_empty() && bad_annotations.is_empty() {
        return None;
    }

    sort_dedup(&mut bad_types);
    bad_annotations.sort_unstable();
    let mut setters = pod_and_containers(pod_bad, &bad_containers);
    if !bad_annotations.is_empty() {
        if !setters.is_empty() {
            setters.push_str(" and ");
        }
        setters.push_str(plural("annotation", "annotations", bad_annotations.len()));
    }
    let values: Vec<&str> = bad_types
        .iter()
        .copied()
        .chain(bad_annotations.iter().map(String::as_str))
        .collect();

    let mut detail = setters;
    detail.push_str(" must not set AppArmor profile type to ");
    push_quote_list(&mut detail, &values);
    Some(Forbidden {
        reason: plural(
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
            values.len(),
        ),
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
                (r#"{"spec":{"containers":[{"name":"a"}]}}"#, None),
                (
                    r#"{"spec":{"securityContext":{"appArmorProfile":{"type":"RuntimeDefault"}},
                        "containers":[{"name":"a","securityContext":{"appArmorProfile":{"type":"Localhost","localhostProfile":"x"}}}]}}"#,
                    None,
                ),
                (
                    r#"{"spec":{"securityContext":{"appArmorProfile":{"type":"Unconfined"}}}}"#,
                    Some(
                        r#"forbidden AppArmor profile (pod must not set AppArmor profile type to "Unconfined")"#,
                    ),
                ),
                (
                    r#"{"spec":{"securityContext":{"appArmorProfile":{"type":"RuntimeDefault"}},
                        "initContainers":[{"name":"bar","securityContext":{"appArmorProfile":{"type":"Unconfined"}}}]}}"#,
                    Some(
                        r#"forbidden AppArmor profile (container "bar" must not set AppArmor profile type to "Unconfined")"#,
                    ),
                ),
                (
                    r#"{"spec":{"securityContext":{"appArmorProfile":{}},
                        "containers":[{"name":"a","securityContext":{"appArmorProfile":{"type":"Unconfined"}}}]}}"#,
                    Some(
                        r#"forbidden AppArmor profiles (pod and container "a" must not set AppArmor profile type to "", "Unconfined")"#,
                    ),
                ),
                (
                    r#"{"metadata":{"annotations":{"container.apparmor.security.beta.kubernetes.io/x":"unconfined"}},
                        "spec":{"securityContext":{"appArmorProfile":{"type":"Unconfined"}},
                        "containers":[{"name":"a","securityContext":{"appArmorProfile":{"type":"Unconfined"}}},
                                      {"name":"b","securityContext":{"appArmorProfile":{"type":"Weird"}}}]}}"#,
                    Some(
                        r#"forbidden AppArmor profiles (pod and containers "a", "b" and annotation must not set AppArmor profile type to "Unconfined", "Weird", "container.apparmor.security.beta.kubernetes.io/x="unconfined"")"#,
                    ),
                ),
                (
                    r#"{"metadata":{"annotations":{
                        "container.apparmor.security.beta.kubernetes.io/":"bogus",
                        "container.apparmor.security.beta.kubernetes.io/a":"",
                        "container.apparmor.security.beta.kubernetes.io/b":"runtime/default",
                        "container.apparmor.security.beta.kubernetes.io/c":"localhost/",
                        "container.apparmor.security.beta.kubernetes.io/d":"localhost/foo",
                        "container.apparmor.security.beta.kubernetes.io/e":"unconfined",
                        "container.apparmor.security.beta.kubernetes.io/f":"unknown"}}}"#,
                    Some(
                        r#"forbidden AppArmor profiles (annotations must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/="bogus"", "container.apparmor.security.beta.kubernetes.io/e="unconfined"", "container.apparmor.security.beta.kubernetes.io/f="unknown"")"#,
                    ),
                ),
                (
                    // Entries sort as formatted strings: `-` (0x2D) before `=` (0x3D).
                    r#"{"metadata":{"annotations":{
                        "container.apparmor.security.beta.kubernetes.io/a":"y",
                        "container.apparmor.security.beta.kubernetes.io/a-b":"x\"q"}}}"#,
                    Some(
                        r#"forbidden AppArmor profiles (annotations must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/a-b="x\"q"", "container.apparmor.security.beta.kubernetes.io/a="y"")"#,
                    ),
                ),
                (
                    // A null annotation value is "", which is allowed.
                    r#"{"metadata":{"annotations":{"container.apparmor.security.beta.kubernetes.io/a":null}}}"#,
                    None,
                ),
            ],
        );
    }
}

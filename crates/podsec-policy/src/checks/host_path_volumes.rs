//! `hostPathVolumes` (baseline, all versions; replaced at restricted by `restrictedVolumes`).
//!
//! **Restricted fields**: `spec.volumes[*].hostPath`.
//!
//! **Allowed values**: unset.

use super::{Check, CheckDoc, since};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec, VolumeSource};
use crate::text::{plural, push_quote_list};
use crate::violation::{CheckId, Finding, Forbidden};

/// `hostPathVolumes`.
pub const ID: CheckId = CheckId::new("hostPathVolumes");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    variants: &[since(0, check)],
    doc: CheckDoc {
        summary: "Pods must not mount directories of the host (hostPath volumes)",
        fields: &["spec.volumes[*].hostPath"],
        allowed: "unset",
        fix: "use another volume type (emptyDir, configMap, secret, persistentVolumeClaim ...) instead of hostPath",
    },
};

fn check(_: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let mut names: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    for (i, volume) in spec.volumes.iter().enumerate() {
        if volume.sources.contains(VolumeSource::HostPath) {
            names.push(&volume.name);
            findings.push(Finding::forbidden(
                format!("spec.volumes[{i}].hostPath"),
                None,
                "hostPath",
            ));
        }
    }
    if names.is_empty() {
        return None;
    }
    let mut detail = String::from(plural("volume ", "volumes ", names.len()));
    push_quote_list(&mut detail, &names);
    Some(Forbidden {
        reason: "hostPath volumes",
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
                    r#"{"spec":{"volumes":[{"name":"a","emptyDir":{}},{"name":"n","hostPath":null}]}}"#,
                    None,
                ),
                (
                    r#"{"spec":{"volumes":[{"name":"a","hostPath":{"path":"/"}}]}}"#,
                    Some(r#"hostPath volumes (volume "a")"#),
                ),
                (
                    r#"{"spec":{"volumes":[{"name":"a","hostPath":{}},{"name":"c","emptyDir":{}},{"name":"b","hostPath":{}}]}}"#,
                    Some(r#"hostPath volumes (volumes "a", "b")"#),
                ),
            ],
        );
    }
}

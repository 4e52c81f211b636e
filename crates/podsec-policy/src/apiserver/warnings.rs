//! The API server's warnings on the fields the checks read (see the module docs of
//! [`crate::apiserver`] for the table): kubernetes/kubernetes `pkg/api/pod/warnings.go`
//! (`GetWarningsForPod`, `GetWarningsForPodTemplate`) and, for pods' AppArmor annotations,
//! `pkg/registry/core/pod/strategy.go` (`applyAppArmorVersionSkew`).

use crate::checks::seccomp_profile_baseline::{CONTAINER_ANNOTATION_PREFIX, POD_ANNOTATION};
use crate::defaults::{
    APPARMOR_ANNOTATION_PREFIX, Minors, SpecOwner, apparmor_field_for_annotation,
    apply_cluster_defaults,
};
use crate::model::{PodMetadata, PodSpec, VolumeSource};
use crate::version::Version;
use crate::visitor;

use super::{Paths, Rule};

const APPARMOR_DEPRECATED: Rule = Rule {
    id: "apparmor-annotation-deprecated",
    pods: Some(Minors::since(30)),
    templates: Some(Minors::since(30)),
    answer: "`metadata.annotations[container.apparmor.security.beta.kubernetes.io/<name>]: \
             deprecated since v1.30; use the \"appArmorProfile\" field instead`",
    source: "pods: pkg/registry/core/pod/strategy.go applyAppArmorVersionSkew; templates: \
             pkg/api/pod/warnings.go warningsForPodSpecAndMeta",
};
const SYSCTLS_ANNOTATION: Rule = Rule {
    id: "sysctls-annotation",
    pods: Some(Minors::since(22)),
    templates: Some(Minors::since(22)),
    answer: "`metadata.annotations[security.alpha.kubernetes.io/sysctls]: non-functional in \
             v1.11+; use the \"sysctls\" field instead` (also `unsafe-sysctls`)",
    source: "pkg/api/pod/warnings.go deprecatedAnnotations",
};
const DEPRECATED_VOLUME: Rule = Rule {
    id: "deprecated-volume-source",
    pods: Some(Minors::since(22)),
    templates: Some(Minors::since(22)),
    answer: "`spec.volumes[0].gitRepo: deprecated in v1.11` (each deprecated source with its \
             own text)",
    source: "pkg/api/pod/warnings.go warningsForPodSpecAndMeta",
};
const SECCOMP_POD_ANNOTATION: Rule = Rule {
    id: "seccomp-pod-annotation",
    pods: Some(Minors::since(22)),
    templates: Some(Minors::since(22)),
    answer: "`metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: non-functional in \
             v1.27+; use the \"seccompProfile\" field instead`",
    source: "pkg/api/pod/warnings.go warningsForPodSpecAndMeta (kubernetes/kubernetes#102491 \
             v1.22, #104389 v1.23, #114947 v1.27)",
};
const SECCOMP_CONTAINER_ANNOTATION: Rule = Rule {
    id: "seccomp-container-annotation",
    pods: Some(Minors::since(22)),
    templates: Some(Minors::since(22)),
    answer: "`metadata.annotations[container.seccomp.security.alpha.kubernetes.io/<name>]: \
             non-functional in v1.27+; use the \"seccompProfile\" field instead`",
    source: "pkg/api/pod/warnings.go warningsForPodSpecAndMeta",
};

/// Every warning rule, in the order the API server emits their warnings.
pub const WARNING_RULES: &[Rule] = &[
    APPARMOR_DEPRECATED,
    SYSCTLS_ANNOTATION,
    DEPRECATED_VOLUME,
    SECCOMP_POD_ANNOTATION,
    SECCOMP_CONTAINER_ANNOTATION,
];

/// The deprecated volume sources, in upstream's order, each with its texts per version.
const VOLUME_WARNINGS: &[(VolumeSource, &[(Minors, &str)])] = &[
    (
        VolumeSource::PhotonPersistentDisk,
        &[(
            Minors::since(22),
            "deprecated in v1.11, non-functional in v1.16+",
        )],
    ),
    (
        VolumeSource::GitRepo,
        &[(Minors::since(22), "deprecated in v1.11")],
    ),
    (
        VolumeSource::ScaleIo,
        &[(
            Minors::since(22),
            "deprecated in v1.16, non-functional in v1.22+",
        )],
    ),
    (VolumeSource::Flocker, REMOVED_IN_V1_25),
    (VolumeSource::Storageos, REMOVED_IN_V1_25),
    (VolumeSource::Quobyte, REMOVED_IN_V1_25),
    (
        VolumeSource::Glusterfs,
        &[(
            Minors::since(25),
            "deprecated in v1.25, non-functional in v1.26+",
        )],
    ),
    (
        VolumeSource::Cephfs,
        &[(
            Minors::since(28),
            "deprecated in v1.28, non-functional in v1.31+",
        )],
    ),
    (
        VolumeSource::Rbd,
        &[(
            Minors::since(28),
            "deprecated in v1.28, non-functional in v1.31+",
        )],
    ),
];

const REMOVED_IN_V1_25: &[(Minors, &str)] = &[
    (
        Minors::between(22, 24),
        "deprecated in v1.22, support removal is planned in v1.26",
    ),
    (
        Minors::since(25),
        "deprecated in v1.22, non-functional in v1.25+",
    ),
];

/// The seccomp annotations' warning text at each version.
const SECCOMP_TEXTS: &[(Minors, &str)] = &[
    (
        Minors::between(22, 22),
        "deprecated since v1.19; use the \"seccompProfile\" field instead",
    ),
    (
        Minors::between(23, 26),
        "deprecated since v1.19, non-functional in v1.25+; use the \"seccompProfile\" field instead",
    ),
    (
        Minors::since(27),
        "non-functional in v1.27+; use the \"seccompProfile\" field instead",
    ),
];

const SYSCTLS_KEYS: &[&str] = &[
    "security.alpha.kubernetes.io/sysctls",
    "security.alpha.kubernetes.io/unsafe-sysctls",
];

fn text_at(texts: &[(Minors, &'static str)], kube: Version) -> Option<&'static str> {
    texts
        .iter()
        .find(|(minors, _)| minors.contains(kube))
        .map(|(_, text)| *text)
}

/// The API server's warnings for creating a pod (`owner` [`SpecOwner::Pod`], `prefix` `""`)
/// or a workload with this pod template (`owner` [`SpecOwner::Template`], `prefix` e.g.
/// `spec.template.`), at Kubernetes `kube`, in upstream's order.
///
/// Unlike [`super::validate`], this takes the object **as submitted**, before defaulting: a
/// pod's AppArmor warnings depend on which fields the API server had to fill in from the
/// annotations. It applies [`apply_cluster_defaults`] itself for the rest.
pub fn warnings(
    metadata: &PodMetadata,
    spec: &PodSpec,
    owner: SpecOwner,
    prefix: &str,
    kube: Version,
) -> Vec<String> {
    if !may_warn(metadata, spec) {
        debug_assert!(every_warning(metadata, spec, owner, prefix, kube).is_empty());
        return Vec::new();
    }
    every_warning(metadata, spec, owner, prefix, kube)
}

/// Whether the object as submitted holds anything a warning is about: a deprecated
/// annotation or volume source. Defaulting adds none that warns (it copies seccomp and
/// AppArmor fields to annotations, and a field silences the annotation's warning), so most
/// objects are answered without copying them.
fn may_warn(metadata: &PodMetadata, spec: &PodSpec) -> bool {
    metadata.annotations.keys().any(|key| {
        key.starts_with(APPARMOR_ANNOTATION_PREFIX)
            || key.starts_with(CONTAINER_ANNOTATION_PREFIX)
            || key == POD_ANNOTATION
            || SYSCTLS_KEYS.contains(&key.as_str())
    }) || spec.volumes.iter().any(|volume| {
        VOLUME_WARNINGS
            .iter()
            .any(|(source, _)| volume.sources.contains(*source))
    })
}

fn every_warning(
    metadata: &PodMetadata,
    spec: &PodSpec,
    owner: SpecOwner,
    prefix: &str,
    kube: Version,
) -> Vec<String> {
    let paths = Paths { owner, prefix };
    let mut out = Vec::new();
    let on = |rule: &Rule| rule.applies(owner, kube);
    if owner == SpecOwner::Pod && on(&APPARMOR_DEPRECATED) {
        pod_apparmor_warnings(metadata, spec, paths, &mut out);
    }
    let (mut meta, mut spec) = (metadata.clone(), spec.clone());
    apply_cluster_defaults(&mut meta, &mut spec, owner, kube);
    let annotations = &meta.annotations;

    if on(&SYSCTLS_ANNOTATION) {
        for key in SYSCTLS_KEYS
            .iter()
            .filter(|k| annotations.contains_key(**k))
        {
            out.push(format!(
                "{}: non-functional in v1.11+; use the \"sysctls\" field instead",
                paths.warning_annotation(key)
            ));
        }
    }
    if on(&DEPRECATED_VOLUME) {
        for (i, volume) in spec.volumes.iter().enumerate() {
            for (source, texts) in VOLUME_WARNINGS {
                if volume.sources.contains(*source)
                    && let Some(text) = text_at(texts, kube)
                {
                    out.push(format!(
                        "{}: {text}",
                        paths.spec(&format!("volumes[{i}].{}", source.key()))
                    ));
                }
            }
        }
    }
    let seccomp_text = text_at(SECCOMP_TEXTS, kube);
    let pod_sc = spec.security_context.as_ref();
    if on(&SECCOMP_POD_ANNOTATION)
        && let Some(text) = seccomp_text
        && pod_sc.is_none_or(|sc| sc.seccomp_profile.is_none())
        && annotations.contains_key(POD_ANNOTATION)
    {
        out.push(format!(
            "{}: {text}",
            paths.warning_annotation(POD_ANNOTATION)
        ));
    }
    let pod_apparmor = pod_sc.is_some_and(|sc| sc.app_armor_profile.is_some());
    for v in visitor::containers(&spec) {
        let sc = v.security_context();
        if on(&SECCOMP_CONTAINER_ANNOTATION)
            && let Some(text) = seccomp_text
            && sc.is_none_or(|sc| sc.seccomp_profile.is_none())
        {
            let key = format!("{CONTAINER_ANNOTATION_PREFIX}{}", v.name());
            if annotations.contains_key(&key) {
                out.push(format!("{}: {text}", paths.warning_annotation(&key)));
            }
        }
        let has_field = pod_apparmor || sc.is_some_and(|sc| sc.app_armor_profile.is_some());
        if owner == SpecOwner::Template && on(&APPARMOR_DEPRECATED) && !has_field {
            let key = format!("{APPARMOR_ANNOTATION_PREFIX}{}", v.name());
            if annotations.contains_key(&key) {
                out.push(apparmor_text(&paths, &key));
            }
        }
    }
    out
}

fn apparmor_text(paths: &Paths<'_>, key: &str) -> String {
    format!("{}{APPARMOR_DEPRECATION}", paths.warning_annotation(key))
}

const APPARMOR_DEPRECATION: &str =
    ": deprecated since v1.30; use the \"appArmorProfile\" field instead";

/// Whether the API server gives `warning` (one of [`warnings`]'s for an object of `owner`)
/// before it validates the object, so that the user sees it even when validation rejects
/// the object (`422 Invalid`): a pod's AppArmor deprecation warnings come from the pod
/// strategy's `PrepareForCreate`; every other warning is added once validation passed.
pub fn given_before_validation(owner: SpecOwner, warning: &str) -> bool {
    owner == SpecOwner::Pod
        && warning.starts_with("metadata.annotations[")
        && warning.ends_with(APPARMOR_DEPRECATION)
}

/// `applyAppArmorVersionSkew`'s warnings, on the pod as submitted: for each container with
/// an AppArmor annotation and no field, unless the annotation stands for exactly the pod's
/// profile.
fn pod_apparmor_warnings(
    meta: &PodMetadata,
    spec: &PodSpec,
    paths: Paths<'_>,
    out: &mut Vec<String>,
) {
    if spec.is_windows() {
        return;
    }
    let pod_profile = spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.app_armor_profile.as_ref());
    for v in visitor::containers(spec) {
        let key = format!("{APPARMOR_ANNOTATION_PREFIX}{}", v.name());
        let Some(value) = meta.annotations.get(&key) else {
            continue;
        };
        if v.security_context()
            .is_some_and(|sc| sc.app_armor_profile.is_some())
        {
            continue;
        }
        let same_as_pod = apparmor_field_for_annotation(value).is_some_and(|(type_, name)| {
            pod_profile.is_some_and(|p| p.type_ == type_ && p.localhost_profile.as_deref() == name)
        });
        if !same_as_pod {
            out.push(apparmor_text(&paths, &key));
        }
    }
}

//! The API server's defaulting and create-time mutations that can change a Pod Security
//! result, keyed to the Kubernetes version of the cluster.
//!
//! The checks themselves never default (they must agree with upstream's library on raw
//! pods). A real cluster, however, evaluates the object *after* decoding (which applies the
//! `SetDefaults_*` functions) and after the registry strategy's `PrepareForCreate` (which
//! drops fields of disabled features and, for pods, synchronises deprecated annotations with
//! their fields): Pod Security Admission is a validating admission plugin and runs after
//! both. Tools that predict what a cluster will say apply these rules first, with
//! [`apply_cluster_defaults`]. Every rule is one entry of [`RULES`]:
//!
//! | rule | pods | templates | what the API server does | effect on PSS |
//! |---|---|---|---|---|
//! | `volume-empty-dir` | all versions | all versions | a volume with none of the known sources gets `emptyDir: {}` | `restrictedVolumes` would otherwise report type `unknown` |
//! | `host-network-host-ports` | all versions | up to v1.27 | with `hostNetwork: true`, every port of `containers` and `initContainers` (not ephemeral) whose `hostPort` is 0 gets `hostPort = containerPort` | `hostPorts` reports the port |
//! | `proc-mount-default` | up to v1.32 | up to v1.32 | `ProcMountType` is off by default: every container `procMount` that is set becomes `Default` | `procMount` passes |
//! | `host-users-dropped` | up to v1.32 | up to v1.32 | `UserNamespacesSupport` is off by default (the field is unknown before v1.25): `hostUsers` is dropped | the v1.35+ user-namespace exemptions no longer apply |
//! | `seccomp-annotation-to-field` | v1.19–v1.26 | never | a seccomp annotation of the pod or a container without the field sets the field | `seccompProfile` (v1.19+ policies) sees the field |
//! | `seccomp-field-to-annotation` | v1.19–v1.24 | never | a seccomp field of the pod or a container without its annotation sets the annotation | `seccompProfile` (pre-v1.19 policies) sees the annotation |
//! | `apparmor-annotation-to-field` | v1.30 and later | never | a container AppArmor annotation without the container field sets the field, unless it equals the pod's profile; not for Windows pods | `appArmorProfile` also names the field |
//! | `apparmor-field-to-annotation` | v1.30–v1.33 | never | a container without an AppArmor annotation gets one from its field, or else from the pod's field; not for Windows pods | `appArmorProfile` also names the annotation |
//!
//! Not modelled here: validation that rejects the object outright (for example a seccomp or
//! AppArmor annotation that disagrees with its field; see [`crate::apiserver`], which runs
//! after these rules), fields newer than the cluster (pruned as unknown, or rejected under
//! strict field validation: `seccompProfile` before v1.19, `appArmorProfile` before v1.30),
//! and feature gates set away from their defaults.
//!
//! Profiles are copied whole: a `localhost/<name>` annotation becomes a `Localhost` field with
//! `localhostProfile: <name>` and back.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;

use crate::checks::seccomp_profile_baseline::{CONTAINER_ANNOTATION_PREFIX, POD_ANNOTATION};
use crate::model::{Container, PodMetadata, PodSpec, Profile, VolumeSource};
use crate::version::Version;

/// What the pod spec belongs to: the API server defaults pods and templates differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecOwner {
    /// A `Pod`.
    Pod,
    /// The pod template of a workload (Deployment, Job, PodTemplate, ...).
    Template,
}

/// The newest Kubernetes release whose API-server behaviour [`RULES`] describes:
/// [`Version::Latest`] and newer releases behave as it.
pub const NEWEST_KUBERNETES: Version = Version::v1(NEWEST_MINOR);

const NEWEST_MINOR: u64 = 37;

/// An inclusive range of Kubernetes `v1.N` minor versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Minors {
    /// The first minor version.
    pub first: u64,
    /// The last minor version, or `None` when the rule still applies in
    /// [`NEWEST_KUBERNETES`].
    pub last: Option<u64>,
}

impl Minors {
    /// Every version.
    pub const ALL: Minors = Minors {
        first: 0,
        last: None,
    };

    /// `v1.first` and later.
    pub const fn since(first: u64) -> Self {
        Minors { first, last: None }
    }

    /// `v1.first` to `v1.last`.
    pub const fn between(first: u64, last: u64) -> Self {
        Minors {
            first,
            last: Some(last),
        }
    }

    /// Every version up to `v1.last`.
    pub const fn until(last: u64) -> Self {
        Minors::between(0, last)
    }

    /// Whether the Kubernetes version `kube` is in the range ([`Version::Latest`] and newer
    /// releases count as [`NEWEST_KUBERNETES`]).
    pub const fn contains(self, kube: Version) -> bool {
        let minor = kube_minor(kube);
        minor >= self.first
            && match self.last {
                Some(last) => minor <= last,
                None => true,
            }
    }
}

impl fmt::Display for Minors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.first, self.last) {
            (0, None) => f.write_str("all versions"),
            (0, Some(last)) => write!(f, "up to v1.{last}"),
            (first, None) => write!(f, "v1.{first} and later"),
            (first, Some(last)) => write!(f, "v1.{first}–v1.{last}"),
        }
    }
}

/// The minor version `kube` behaves as: `latest` and future releases are the newest known,
/// anything before v1.0 is v1.0.
const fn kube_minor(kube: Version) -> u64 {
    match kube {
        Version::Release { major: 0, .. } => 0,
        Version::Release { major: 1, minor } if minor < NEWEST_MINOR => minor,
        _ => NEWEST_MINOR,
    }
}

/// One thing the API server does to a pod (or template) on create that can change a Pod
/// Security result, and the Kubernetes versions where it does it.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// A short stable name, e.g. `volume-empty-dir`.
    pub name: &'static str,
    /// The versions where it applies to pods (`None`: never).
    pub pods: Option<Minors>,
    /// The versions where it applies to pod templates of workloads (`None`: never).
    pub templates: Option<Minors>,
    /// What the API server does.
    pub summary: &'static str,
    /// How that can change a Pod Security result.
    pub effect: &'static str,
    /// Where upstream does it (file and function in kubernetes/kubernetes).
    pub source: &'static str,
    apply: fn(&mut PodMetadata, &mut PodSpec),
}

impl Rule {
    /// The versions where the rule applies to specs of `owner` (`None`: never).
    pub const fn versions(&self, owner: SpecOwner) -> Option<Minors> {
        match owner {
            SpecOwner::Pod => self.pods,
            SpecOwner::Template => self.templates,
        }
    }

    /// Whether a cluster running Kubernetes `kube` applies the rule to specs of `owner`.
    pub const fn applies(&self, owner: SpecOwner, kube: Version) -> bool {
        match self.versions(owner) {
            Some(minors) => minors.contains(kube),
            None => false,
        }
    }

    /// Applies this rule alone, whatever the version and owner.
    pub fn apply(&self, metadata: &mut PodMetadata, spec: &mut PodSpec) {
        (self.apply)(metadata, spec);
    }
}

/// Every rule, in the order the API server applies them: decoding defaults first, then the
/// create strategy (dropped fields, then annotation/field synchronisation).
pub const RULES: &[Rule] = &[
    Rule {
        name: "volume-empty-dir",
        pods: Some(Minors::ALL),
        templates: Some(Minors::ALL),
        summary: "a volume with no source gets `emptyDir: {}`",
        effect: "`restrictedVolumes` would otherwise report the volume type `unknown`",
        source: "pkg/apis/core/v1/defaults.go: SetDefaults_Volume",
        apply: volume_empty_dir,
    },
    Rule {
        name: "host-network-host-ports",
        pods: Some(Minors::ALL),
        templates: Some(Minors::until(27)),
        summary: "with `hostNetwork: true`, each port of `containers` and `initContainers` without \
                  `hostPort` gets `hostPort = containerPort` (ephemeral containers are not \
                  defaulted)",
        effect: "`hostPorts` reports the port",
        source: "pkg/apis/core/v1/defaults.go: SetDefaults_PodSpec (up to v1.27), SetDefaults_Pod \
                 (v1.28+, feature gate DefaultHostNetworkHostPortsInPodTemplates off by default, \
                 removed in v1.31)",
        apply: host_network_host_ports,
    },
    Rule {
        name: "proc-mount-default",
        pods: Some(Minors::until(32)),
        templates: Some(Minors::until(32)),
        summary: "feature gate `ProcMountType` is off by default: every container `procMount` \
                  that is set becomes `Default`",
        effect: "`procMount` passes",
        source: "pkg/api/pod/util.go: dropDisabledProcMountField (gate on by default from v1.33)",
        apply: proc_mount_default,
    },
    Rule {
        name: "host-users-dropped",
        pods: Some(Minors::until(32)),
        templates: Some(Minors::until(32)),
        summary: "feature gate `UserNamespacesSupport` is off by default: `hostUsers` is dropped \
                  (an unknown field before v1.25)",
        effect: "the user-namespace exemptions of v1.35+ policies (`runAsNonRoot`, `runAsUser`, \
                 `procMount`) no longer apply",
        source: "pkg/api/pod/util.go: dropDisabledFields (gate on by default from v1.33)",
        apply: host_users_dropped,
    },
    Rule {
        name: "seccomp-annotation-to-field",
        pods: Some(Minors::between(19, 26)),
        templates: None,
        summary: "a `seccomp.security.alpha.kubernetes.io/pod` or \
                  `container.seccomp.security.alpha.kubernetes.io/<name>` annotation without the \
                  matching `seccompProfile` field sets the field (`runtime/default` and \
                  `docker/default`: RuntimeDefault, `unconfined`: Unconfined, `localhost/<x>`: \
                  Localhost)",
        effect: "`seccompProfile` of v1.19+ policies sees the field: `runtime/default` satisfies \
                 restricted, `unconfined` fails baseline",
        source: "pkg/registry/core/pod/strategy.go: applySeccompVersionSkew (PrepareForCreate); \
                 removed in v1.27",
        apply: seccomp_annotation_to_field,
    },
    Rule {
        name: "seccomp-field-to-annotation",
        pods: Some(Minors::between(19, 24)),
        templates: None,
        summary: "a pod or container `seccompProfile` field without the matching annotation sets \
                  the annotation (RuntimeDefault: `runtime/default`, Unconfined: `unconfined`, \
                  Localhost: `localhost/<x>`)",
        effect: "`seccompProfile` of pre-v1.19 policies sees the annotation: an Unconfined field \
                 fails baseline",
        source: "pkg/registry/core/pod/strategy.go: applySeccompVersionSkew (PrepareForCreate); \
                 removed in v1.25",
        apply: seccomp_field_to_annotation,
    },
    Rule {
        name: "apparmor-annotation-to-field",
        pods: Some(Minors::since(30)),
        templates: None,
        summary: "a `container.apparmor.security.beta.kubernetes.io/<name>` annotation of a \
                  container without an `appArmorProfile` field sets the container field \
                  (`runtime/default`: RuntimeDefault, `unconfined`: Unconfined, \
                  `localhost/<x>`: Localhost) unless it equals the pod-level profile; not for \
                  Windows pods",
        effect: "`appArmorProfile` also reports the container field (the decision is unchanged: \
                 the annotation alone already fails)",
        source: "pkg/registry/core/pod/strategy.go: applyAppArmorVersionSkew (PrepareForCreate)",
        apply: apparmor_annotation_to_field,
    },
    Rule {
        name: "apparmor-field-to-annotation",
        pods: Some(Minors::between(30, 33)),
        templates: None,
        summary: "each container without an AppArmor annotation gets one from its own \
                  `appArmorProfile`, or else from the pod's; not for Windows pods",
        effect: "`appArmorProfile` also reports the annotations (the decision is unchanged: the \
                 field alone already fails)",
        source: "pkg/registry/core/pod/strategy.go: applyAppArmorVersionSkew (PrepareForCreate); \
                 removed in v1.34",
        apply: apparmor_field_to_annotation,
    },
];

/// Every rule (the same as [`RULES`]), for listings.
pub fn rules() -> &'static [Rule] {
    RULES
}

/// Applies what a cluster running Kubernetes `kube` does to a `metadata` and `spec` of
/// `owner` on create, before Pod Security Admission sees them.
///
/// [`Version::Latest`] (and any release newer than [`NEWEST_KUBERNETES`]) is the newest
/// known release. Pure, and allocation-free when no rule changes anything.
pub fn apply_cluster_defaults(
    metadata: &mut PodMetadata,
    spec: &mut PodSpec,
    owner: SpecOwner,
    kube: Version,
) {
    for rule in RULES {
        if rule.applies(owner, kube) {
            rule.apply(metadata, spec);
        }
    }
}

/// Applies the version-independent subset of the API server's defaulting to `spec` in place:
/// sourceless volumes become `emptyDir`, and for pods only, `hostNetwork` ports get host
/// ports. [`apply_cluster_defaults`] applies everything a given Kubernetes version does.
pub fn apply_api_server_defaults(spec: &mut PodSpec, owner: SpecOwner) {
    let mut metadata = PodMetadata::default();
    volume_empty_dir(&mut metadata, spec);
    if owner == SpecOwner::Pod {
        host_network_host_ports(&mut metadata, spec);
    }
}

fn volume_empty_dir(_: &mut PodMetadata, spec: &mut PodSpec) {
    for volume in &mut spec.volumes {
        if volume.sources.is_empty() {
            volume.sources.insert(VolumeSource::EmptyDir);
        }
    }
}

fn host_network_host_ports(_: &mut PodMetadata, spec: &mut PodSpec) {
    if !spec.host_network {
        return;
    }
    let containers = spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut());
    for port in containers.flat_map(|c| c.ports.iter_mut()) {
        if port.host_port == 0 {
            port.host_port = port.container_port;
        }
    }
}

/// Every container, init container and ephemeral container (upstream's
/// `AllFeatureEnabledContainers` on create).
fn all_containers_mut(spec: &mut PodSpec) -> impl Iterator<Item = &mut Container> {
    spec.init_containers
        .iter_mut()
        .chain(spec.containers.iter_mut())
        .chain(spec.ephemeral_containers.iter_mut())
}

fn proc_mount_default(_: &mut PodMetadata, spec: &mut PodSpec) {
    for container in all_containers_mut(spec) {
        let proc_mount = container
            .security_context
            .as_mut()
            .and_then(|sc| sc.proc_mount.as_mut());
        if let Some(value) = proc_mount.filter(|v| *v != "Default") {
            "Default".clone_into(value);
        }
    }
}

fn host_users_dropped(_: &mut PodMetadata, spec: &mut PodSpec) {
    spec.host_users = None;
}

/// The `(container name, value)` of every annotation whose key starts with `prefix`.
fn prefixed<'a>(
    annotations: &'a BTreeMap<String, String>,
    prefix: &'a str,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    annotations
        .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
        .take_while(move |(key, _)| key.starts_with(prefix))
        .map(move |(key, value)| (&key[prefix.len()..], value.as_str()))
}

fn has_prefixed(annotations: &BTreeMap<String, String>, prefix: &str, name: &str) -> bool {
    prefixed(annotations, prefix).any(|(n, _)| n == name)
}

fn profile(type_: &str, localhost_profile: Option<&str>) -> Profile {
    Profile {
        type_: type_.to_owned(),
        localhost_profile: localhost_profile.map(str::to_owned),
    }
}

/// `localhost/` names a Localhost profile in seccomp and AppArmor annotations.
const LOCALHOST_PREFIX: &str = "localhost/";

/// The seccomp profile type (and Localhost profile name) an annotation value stands for
/// (upstream's `SeccompFieldForAnnotation`); `None` for values with no field.
fn seccomp_type_for_annotation(value: &str) -> Option<(&'static str, Option<&str>)> {
    match value {
        "unconfined" => Some(("Unconfined", None)),
        "runtime/default" | "docker/default" => Some(("RuntimeDefault", None)),
        _ => match value.strip_prefix(LOCALHOST_PREFIX) {
            Some(name) if !name.is_empty() => Some(("Localhost", Some(name))),
            _ => None,
        },
    }
}

fn seccomp_annotation_to_field(metadata: &mut PodMetadata, spec: &mut PodSpec) {
    let annotations = &metadata.annotations;
    let pod_field = annotations
        .get(POD_ANNOTATION)
        .and_then(|v| seccomp_type_for_annotation(v));
    if let Some((type_, name)) = pod_field {
        let sc = spec.security_context.get_or_insert_with(Default::default);
        if sc.seccomp_profile.is_none() {
            sc.seccomp_profile = Some(profile(type_, name));
        }
    }
    for (container, value) in prefixed(annotations, CONTAINER_ANNOTATION_PREFIX) {
        let Some((type_, name)) = seccomp_type_for_annotation(value) else {
            continue;
        };
        for c in all_containers_mut(spec).filter(|c| c.name == container) {
            let sc = c.security_context.get_or_insert_with(Default::default);
            if sc.seccomp_profile.is_none() {
                sc.seccomp_profile = Some(profile(type_, name));
            }
        }
    }
}

/// The annotation value a seccomp or AppArmor profile stands for; `None` for unknown types
/// and for a Localhost profile without a name.
fn annotation_for_profile(profile: &Profile) -> Option<Cow<'static, str>> {
    match (profile.type_.as_str(), &profile.localhost_profile) {
        ("Unconfined", _) => Some(Cow::Borrowed("unconfined")),
        ("RuntimeDefault", _) => Some(Cow::Borrowed("runtime/default")),
        ("Localhost", Some(name)) => Some(Cow::Owned(format!("{LOCALHOST_PREFIX}{name}"))),
        _ => None,
    }
}

fn seccomp_field_to_annotation(metadata: &mut PodMetadata, spec: &mut PodSpec) {
    let annotations = &mut metadata.annotations;
    let pod_value = spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.seccomp_profile.as_ref())
        .and_then(annotation_for_profile);
    if let Some(value) = pod_value
        && !annotations.contains_key(POD_ANNOTATION)
    {
        annotations.insert(POD_ANNOTATION.to_owned(), value.into_owned());
    }
    for container in crate::visitor::containers(spec).map(|v| v.container) {
        let value = container
            .security_context
            .as_ref()
            .and_then(|sc| sc.seccomp_profile.as_ref())
            .and_then(annotation_for_profile);
        if let Some(value) = value
            && !has_prefixed(annotations, CONTAINER_ANNOTATION_PREFIX, &container.name)
        {
            annotations.insert(
                format!("{CONTAINER_ANNOTATION_PREFIX}{}", container.name),
                value.into_owned(),
            );
        }
    }
}

/// `container.apparmor.security.beta.kubernetes.io/`: the AppArmor annotation prefix.
pub const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

/// The AppArmor profile type (and Localhost profile name) an annotation value stands for
/// (upstream's `ApparmorFieldForAnnotation`), when that profile is also a valid field (a
/// Localhost name must not be padded with whitespace nor longer than 4095 bytes); `None`
/// otherwise.
pub(crate) fn apparmor_field_for_annotation(value: &str) -> Option<(&'static str, Option<&str>)> {
    match value {
        "unconfined" => Some(("Unconfined", None)),
        "runtime/default" => Some(("RuntimeDefault", None)),
        _ => match value.strip_prefix(LOCALHOST_PREFIX) {
            Some(name) if !name.is_empty() && name.trim() == name && name.len() <= 4095 => {
                Some(("Localhost", Some(name)))
            }
            _ => None,
        },
    }
}

fn apparmor_annotation_to_field(metadata: &mut PodMetadata, spec: &mut PodSpec) {
    if spec.is_windows() {
        return;
    }
    for (name, value) in prefixed(&metadata.annotations, APPARMOR_ANNOTATION_PREFIX) {
        let Some((type_, localhost)) = apparmor_field_for_annotation(value) else {
            continue;
        };
        // Only copied when it differs from the pod-level profile (compared whole).
        let pod_profile = spec
            .security_context
            .as_ref()
            .and_then(|sc| sc.app_armor_profile.as_ref());
        if pod_profile
            .is_some_and(|p| p.type_ == type_ && p.localhost_profile.as_deref() == localhost)
        {
            continue;
        }
        for container in all_containers_mut(spec).filter(|c| c.name == name) {
            let sc = container
                .security_context
                .get_or_insert_with(Default::default);
            if sc.app_armor_profile.is_none() {
                sc.app_armor_profile = Some(profile(type_, localhost));
            }
        }
    }
}

fn apparmor_field_to_annotation(metadata: &mut PodMetadata, spec: &mut PodSpec) {
    if spec.is_windows() {
        return;
    }
    let annotations = &mut metadata.annotations;
    let pod_profile = spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.app_armor_profile.as_ref());
    for container in crate::visitor::containers(spec).map(|v| v.container) {
        let own = container
            .security_context
            .as_ref()
            .and_then(|sc| sc.app_armor_profile.as_ref());
        let value = own.or(pod_profile).and_then(annotation_for_profile);
        if let Some(value) = value
            && !has_prefixed(annotations, APPARMOR_ANNOTATION_PREFIX, &container.name)
        {
            annotations.insert(
                format!("{APPARMOR_ANNOTATION_PREFIX}{}", container.name),
                value.into_owned(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContainerPort, Volume};

    fn port(container_port: i32, host_port: i32) -> ContainerPort {
        ContainerPort {
            container_port,
            host_port,
            ..ContainerPort::default()
        }
    }

    #[test]
    fn sourceless_volume_becomes_empty_dir() {
        let mut spec = PodSpec {
            volumes: vec![
                Volume {
                    name: "v".into(),
                    ..Volume::default()
                },
                Volume {
                    name: "h".into(),
                    sources: [VolumeSource::HostPath].into_iter().collect(),
                },
            ],
            ..PodSpec::default()
        };
        apply_api_server_defaults(&mut spec, SpecOwner::Template);
        assert!(spec.volumes[0].sources.contains(VolumeSource::EmptyDir));
        assert!(!spec.volumes[1].sources.contains(VolumeSource::EmptyDir));
    }

    #[test]
    fn host_network_pod_ports_get_host_ports() {
        let container = Container {
            ports: vec![port(80, 0), port(443, 8443)],
            ..Container::default()
        };
        let mut spec = PodSpec {
            host_network: true,
            containers: vec![container.clone()],
            init_containers: vec![container.clone()],
            ephemeral_containers: vec![container.clone()],
            ..PodSpec::default()
        };
        let mut template = spec.clone();
        apply_api_server_defaults(&mut spec, SpecOwner::Pod);
        assert_eq!(spec.containers[0].ports, [port(80, 80), port(443, 8443)]);
        assert_eq!(
            spec.init_containers[0].ports,
            [port(80, 80), port(443, 8443)]
        );
        // Ephemeral containers are not defaulted.
        assert_eq!(spec.ephemeral_containers[0].ports, container.ports);

        apply_api_server_defaults(&mut template, SpecOwner::Template);
        assert_eq!(template.containers[0].ports, container.ports);
    }

    #[test]
    fn kube_versions_clamp_to_the_newest() {
        assert_eq!(kube_minor(Version::Latest), NEWEST_MINOR);
        assert_eq!(kube_minor(Version::v1(99)), NEWEST_MINOR);
        assert_eq!(kube_minor(Version::new(2, 0)), NEWEST_MINOR);
        assert_eq!(kube_minor(Version::new(0, 99)), 0);
        assert_eq!(kube_minor(Version::v1(28)), 28);
        assert!(Minors::since(30).contains(Version::Latest));
        assert!(!Minors::between(30, 33).contains(Version::Latest));
        assert!(!Minors::between(30, 33).contains(Version::v1(99)));
        assert!(Minors::until(27).contains(Version::v1(27)));
        assert!(!Minors::until(27).contains(Version::v1(28)));
    }

    #[test]
    fn minors_display() {
        assert_eq!(Minors::ALL.to_string(), "all versions");
        assert_eq!(Minors::until(27).to_string(), "up to v1.27");
        assert_eq!(Minors::since(30).to_string(), "v1.30 and later");
        assert_eq!(Minors::between(19, 26).to_string(), "v1.19–v1.26");
    }

    #[test]
    fn module_docs_list_every_rule_with_its_versions() {
        let source = include_str!("defaults.rs");
        let never = |m: Option<Minors>| m.map_or_else(|| "never".to_owned(), |m| m.to_string());
        for rule in RULES {
            let row = format!(
                "//! | `{}` | {} | {} |",
                rule.name,
                never(rule.pods),
                never(rule.templates)
            );
            assert!(source.contains(&row), "module docs lack {row}");
        }
        assert_eq!(source.matches("\n//! | `").count(), RULES.len());
    }

    #[test]
    fn newest_kubernetes_is_the_newest_policy() {
        // Adding a Kubernetes version: review RULES, then move NEWEST_MINOR.
        assert_eq!(NEWEST_KUBERNETES, crate::Registry::builtin().newest());
    }

    #[test]
    fn annotation_values() {
        assert_eq!(
            seccomp_type_for_annotation("docker/default"),
            Some(("RuntimeDefault", None))
        );
        assert_eq!(
            seccomp_type_for_annotation("localhost/p"),
            Some(("Localhost", Some("p")))
        );
        assert_eq!(seccomp_type_for_annotation("localhost/"), None);
        assert_eq!(seccomp_type_for_annotation("bogus"), None);
        assert_eq!(apparmor_field_for_annotation("docker/default"), None);
        assert_eq!(
            apparmor_field_for_annotation("localhost/p"),
            Some(("Localhost", Some("p")))
        );
        assert_eq!(apparmor_field_for_annotation("localhost/ p"), None);
        assert_eq!(apparmor_field_for_annotation(""), None);
        let localhost = |name: Option<&str>| Profile {
            type_: "Localhost".into(),
            localhost_profile: name.map(Into::into),
        };
        assert_eq!(
            annotation_for_profile(&localhost(Some("p"))).as_deref(),
            Some("localhost/p")
        );
        assert_eq!(annotation_for_profile(&localhost(None)), None);
        assert_eq!(annotation_for_profile(&Profile::default()), None);
    }
}

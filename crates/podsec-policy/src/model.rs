//! The pod input model: only the fields the Pod Security Standards read.
//!
//! Deserializes from any serde format (JSON, YAML) with the Kubernetes decoder's
//! semantics:
//! * absent and `null` are the same for every field (scalars fall back to their zero value,
//!   optional objects to `None`);
//! * a `null` **array element** is a zero-valued element that still counts
//!   (`containers: [null]` is a container named `""`);
//! * a `null` **annotation value** is a present key with value `""`;
//! * field names are case-sensitive and unknown fields are ignored;
//! * a wrong type (`hostNetwork: "true"`, a `hostPort` outside `i32`) is an error.
//!
//! The model is plain data with public fields so callers can build pods in code.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// The parts of `metadata` that the checks read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodMetadata {
    /// `metadata.name` (only used by admission envelopes, never by checks).
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// `metadata.namespace`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub namespace: String,
    /// `metadata.annotations`; a `null` value is kept as `""`.
    #[serde(default, deserialize_with = "annotations")]
    pub annotations: BTreeMap<String, String>,
    /// `metadata.labels`: not read by any check; podsec's opt-in policies select pods by
    /// them.
    #[serde(default, deserialize_with = "annotations")]
    pub labels: BTreeMap<String, String>,
}

/// The parts of a pod `spec` that the checks read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// `spec.volumes`.
    #[serde(default, deserialize_with = "null_elements_as_default")]
    pub volumes: Vec<Volume>,
    /// `spec.initContainers`.
    #[serde(default, deserialize_with = "null_elements_as_default")]
    pub init_containers: Vec<Container>,
    /// `spec.containers`.
    #[serde(default, deserialize_with = "null_elements_as_default")]
    pub containers: Vec<Container>,
    /// `spec.ephemeralContainers` (same fields as a container for every check).
    #[serde(default, deserialize_with = "null_elements_as_default")]
    pub ephemeral_containers: Vec<Container>,
    /// `spec.hostNetwork`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub host_network: bool,
    /// `spec.hostPID`.
    #[serde(default, rename = "hostPID", deserialize_with = "null_as_default")]
    pub host_pid: bool,
    /// `spec.hostIPC`.
    #[serde(default, rename = "hostIPC", deserialize_with = "null_as_default")]
    pub host_ipc: bool,
    /// `spec.hostUsers`; `Some(false)` makes the pod a user-namespace pod.
    #[serde(default)]
    pub host_users: Option<bool>,
    /// `spec.securityContext`.
    #[serde(default)]
    pub security_context: Option<PodSecurityContext>,
    /// `spec.os`.
    #[serde(default)]
    pub os: Option<PodOs>,
    /// `spec.runtimeClassName`: not read by any check; admission uses it for runtime-class
    /// exemptions.
    #[serde(default)]
    pub runtime_class_name: Option<String>,
    /// `spec.serviceAccountName`: not read by any check; podsec's opt-in policies select
    /// pods by it.
    #[serde(default)]
    pub service_account_name: Option<String>,
}

impl PodSpec {
    /// `spec.os.name == "windows"` (exact, lowercase).
    pub fn is_windows(&self) -> bool {
        self.os.as_ref().is_some_and(|os| os.name == "windows")
    }

    /// `spec.hostUsers` is present and `false`.
    pub fn is_user_namespaced(&self) -> bool {
        self.host_users == Some(false)
    }
}

/// `spec.os`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
pub struct PodOs {
    /// `spec.os.name`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
}

/// `spec.securityContext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSecurityContext {
    /// `runAsNonRoot`.
    #[serde(default)]
    pub run_as_non_root: Option<bool>,
    /// `runAsUser`.
    #[serde(default)]
    pub run_as_user: Option<i64>,
    /// `seLinuxOptions`.
    #[serde(default, rename = "seLinuxOptions")]
    pub se_linux_options: Option<SeLinuxOptions>,
    /// `seccompProfile`.
    #[serde(default)]
    pub seccomp_profile: Option<Profile>,
    /// `appArmorProfile`.
    #[serde(default)]
    pub app_armor_profile: Option<Profile>,
    /// `windowsOptions`.
    #[serde(default)]
    pub windows_options: Option<WindowsOptions>,
    /// `sysctls`.
    #[serde(default, deserialize_with = "null_elements_as_default")]
    pub sysctls: Vec<Sysctl>,
}

/// One entry of `spec.securityContext.sysctls` (only the name is read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
pub struct Sysctl {
    /// The sysctl name, e.g. `net.ipv4.tcp_syncookies`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
}

/// A container, init container or ephemeral container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// `name`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// `image`: not read by any check; admission compares images to find significant pod
    /// updates.
    #[serde(default, deserialize_with = "null_as_default")]
    pub image: String,
    /// `ports`.
    #[serde(default, deserialize_with = "null_elements_as_default")]
    pub ports: Vec<ContainerPort>,
    /// `securityContext`.
    #[serde(default)]
    pub security_context: Option<SecurityContext>,
    /// `livenessProbe`.
    #[serde(default)]
    pub liveness_probe: Option<Handler>,
    /// `readinessProbe`.
    #[serde(default)]
    pub readiness_probe: Option<Handler>,
    /// `startupProbe`.
    #[serde(default)]
    pub startup_probe: Option<Handler>,
    /// `lifecycle`.
    #[serde(default)]
    pub lifecycle: Option<Lifecycle>,
}

/// A container port.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    /// `containerPort`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub container_port: i32,
    /// `hostPort` (0 when unset).
    #[serde(default, deserialize_with = "null_as_default")]
    pub host_port: i32,
    /// `protocol` (`""` when unset; the API server defaults it to `TCP`). Not read by any
    /// check: the API server's validation of host ports reads it.
    #[serde(default, deserialize_with = "null_as_default")]
    pub protocol: String,
    /// `hostIP` (`""` when unset). Not read by any check: the API server's validation of host
    /// ports reads it.
    #[serde(default, rename = "hostIP", deserialize_with = "null_as_default")]
    pub host_ip: String,
}

/// A probe or a lifecycle handler: only the two handler kinds that carry a `host`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handler {
    /// `httpGet`.
    #[serde(default)]
    pub http_get: Option<HostAction>,
    /// `tcpSocket`.
    #[serde(default)]
    pub tcp_socket: Option<HostAction>,
}

/// `httpGet` or `tcpSocket` of a probe or lifecycle handler.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
pub struct HostAction {
    /// `host` (`""` when unset).
    #[serde(default, deserialize_with = "null_as_default")]
    pub host: String,
}

/// `lifecycle`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lifecycle {
    /// `postStart`.
    #[serde(default)]
    pub post_start: Option<Handler>,
    /// `preStop`.
    #[serde(default)]
    pub pre_stop: Option<Handler>,
}

/// A container's `securityContext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    /// `privileged`.
    #[serde(default)]
    pub privileged: Option<bool>,
    /// `allowPrivilegeEscalation`.
    #[serde(default)]
    pub allow_privilege_escalation: Option<bool>,
    /// `runAsNonRoot`.
    #[serde(default)]
    pub run_as_non_root: Option<bool>,
    /// `runAsUser`.
    #[serde(default)]
    pub run_as_user: Option<i64>,
    /// `procMount`.
    #[serde(default)]
    pub proc_mount: Option<String>,
    /// `capabilities`.
    #[serde(default)]
    pub capabilities: Option<Capabilities>,
    /// `seLinuxOptions`.
    #[serde(default, rename = "seLinuxOptions")]
    pub se_linux_options: Option<SeLinuxOptions>,
    /// `seccompProfile`.
    #[serde(default)]
    pub seccomp_profile: Option<Profile>,
    /// `appArmorProfile`.
    #[serde(default)]
    pub app_armor_profile: Option<Profile>,
    /// `windowsOptions`.
    #[serde(default)]
    pub windows_options: Option<WindowsOptions>,
}

/// `capabilities`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
pub struct Capabilities {
    /// `add`.
    #[serde(default, deserialize_with = "null_elements_as_default")]
    pub add: Vec<String>,
    /// `drop`.
    #[serde(default, deserialize_with = "null_elements_as_default")]
    pub drop: Vec<String>,
}

/// `seLinuxOptions` (`level` is never read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
pub struct SeLinuxOptions {
    /// `type`.
    #[serde(default, rename = "type", deserialize_with = "null_as_default")]
    pub type_: String,
    /// `user`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub user: String,
    /// `role`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub role: String,
}

/// A `seccompProfile` or `appArmorProfile` (the checks read only `type`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// `type` (`""` when unset).
    #[serde(default, rename = "type", deserialize_with = "null_as_default")]
    pub type_: String,
    /// `localhostProfile`. Not read by any check: the API server's validation and the
    /// annotation/field synchronisation of [`defaults`](crate::defaults) read it.
    #[serde(default)]
    pub localhost_profile: Option<String>,
}

/// `windowsOptions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowsOptions {
    /// `hostProcess`.
    #[serde(default)]
    pub host_process: Option<bool>,
}

/// A volume: its name and which source keys are present (non-null).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Volume {
    /// `name`.
    pub name: String,
    /// The present volume sources.
    pub sources: VolumeSources,
}

macro_rules! volume_sources {
    ($($variant:ident = $key:literal,)*) => {
        /// A known volume source key (the 30 keys of the core `Volume` type).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        #[allow(missing_docs)]
        pub enum VolumeSource { $($variant,)* }

        impl VolumeSource {
            /// Every known source, in declaration order.
            pub const ALL: &'static [VolumeSource] = &[$(VolumeSource::$variant,)*];

            /// The source's field name in a volume, e.g. `hostPath`.
            pub const fn key(self) -> &'static str {
                match self { $(VolumeSource::$variant => $key,)* }
            }

            /// The source for a field name, if it is a known one.
            pub fn from_key(key: &str) -> Option<Self> {
                match key { $($key => Some(VolumeSource::$variant),)* _ => None }
            }
        }
    };
}

volume_sources! {
    HostPath = "hostPath",
    EmptyDir = "emptyDir",
    GcePersistentDisk = "gcePersistentDisk",
    AwsElasticBlockStore = "awsElasticBlockStore",
    GitRepo = "gitRepo",
    Secret = "secret",
    Nfs = "nfs",
    Iscsi = "iscsi",
    Glusterfs = "glusterfs",
    PersistentVolumeClaim = "persistentVolumeClaim",
    Rbd = "rbd",
    FlexVolume = "flexVolume",
    Cinder = "cinder",
    Cephfs = "cephfs",
    Flocker = "flocker",
    DownwardApi = "downwardAPI",
    Fc = "fc",
    AzureFile = "azureFile",
    ConfigMap = "configMap",
    VsphereVolume = "vsphereVolume",
    Quobyte = "quobyte",
    AzureDisk = "azureDisk",
    PhotonPersistentDisk = "photonPersistentDisk",
    Projected = "projected",
    PortworxVolume = "portworxVolume",
    ScaleIo = "scaleIO",
    Storageos = "storageos",
    Csi = "csi",
    Ephemeral = "ephemeral",
    Image = "image",
}

/// A set of [`VolumeSource`]s, stored as a bit set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct VolumeSources(u32);

impl VolumeSources {
    /// The empty set.
    pub const EMPTY: VolumeSources = VolumeSources(0);

    /// Whether `source` is present.
    pub const fn contains(self, source: VolumeSource) -> bool {
        self.0 & (1 << source as u8) != 0
    }

    /// Marks `source` as present.
    pub fn insert(&mut self, source: VolumeSource) {
        self.0 |= 1 << source as u8;
    }

    /// Whether no known source is present.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// This set with `source` added.
    pub const fn with(self, source: VolumeSource) -> Self {
        VolumeSources(self.0 | (1 << source as u8))
    }
}

impl FromIterator<VolumeSource> for VolumeSources {
    fn from_iter<I: IntoIterator<Item = VolumeSource>>(iter: I) -> Self {
        let mut set = VolumeSources::EMPTY;
        for source in iter {
            set.insert(source);
        }
        set
    }
}

impl<'de> Deserialize<'de> for Volume {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct VolumeVisitor;

        impl<'de> serde::de::Visitor<'de> for VolumeVisitor {
            type Value = Volume;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a volume object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Volume, A::Error> {
                let mut volume = Volume::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "name" {
                        volume.name = map.next_value::<Option<String>>()?.unwrap_or_default();
                    } else if let Some(source) = VolumeSource::from_key(&key) {
                        // Source contents are never read; a `null` source is absent.
                        let present = map.next_value::<Option<serde::de::IgnoredAny>>()?;
                        if present.is_some() {
                            volume.sources.insert(source);
                        }
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(volume)
            }
        }

        deserializer.deserialize_map(VolumeVisitor)
    }
}

/// Deserializes `null` as the type's zero value (for `#[serde(deserialize_with)]` in other
/// crates' models that follow the Kubernetes decoder's null semantics).
pub fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Deserializes an optional array whose `null` elements become zero-valued elements.
fn null_elements_as_default<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    struct Elements<T>(std::marker::PhantomData<T>);

    impl<'de, T: Deserialize<'de> + Default> serde::de::Visitor<'de> for Elements<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array or null")
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Vec<T>, D2::Error> {
            d.deserialize_seq(self)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(item) = seq.next_element::<Option<T>>()? {
                out.push(item.unwrap_or_default());
            }
            Ok(out)
        }
    }

    deserializer.deserialize_option(Elements(std::marker::PhantomData))
}

/// Deserializes annotations (or labels), keeping keys whose value is `null` with the value
/// `""`, as the Kubernetes decoder does.
pub fn annotations<'de, D>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: Deserializer<'de>,
{
    let map = Option::<BTreeMap<String, Option<String>>>::deserialize(deserializer)?;
    Ok(map
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}

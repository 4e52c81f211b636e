//! Conversion from [`k8s-openapi`](https://docs.rs/k8s-openapi) types into the lean
//! [`model`](crate::model) (feature `k8s-openapi`).
//!
//! Converted types (all by reference; the source object is never consumed):
//!
//! | `k8s-openapi`                                   | [`model`](crate::model)        |
//! |-------------------------------------------------|--------------------------------|
//! | `ObjectMeta`                                    | [`PodMetadata`]                |
//! | `PodSpec`                                       | [`PodSpec`]                    |
//! | `Container`, `EphemeralContainer`               | [`Container`]                  |
//! | `SecurityContext`                               | [`SecurityContext`]            |
//! | `PodSecurityContext`                            | [`PodSecurityContext`]         |
//! | `Capabilities`                                  | [`Capabilities`]               |
//! | `SELinuxOptions`                                | [`SeLinuxOptions`]             |
//! | `SeccompProfile`, `AppArmorProfile`             | [`Profile`]                    |
//! | `WindowsSecurityContextOptions`                 | [`WindowsOptions`]             |
//! | `Sysctl`                                        | [`Sysctl`]                     |
//! | `ContainerPort`                                 | [`ContainerPort`]              |
//! | `Probe`, `LifecycleHandler`                     | [`Handler`]                    |
//! | `HTTPGetAction`, `TCPSocketAction`              | [`HostAction`]                 |
//! | `Lifecycle`                                     | [`Lifecycle`]                  |
//! | `PodOS`                                         | [`PodOs`]                      |
//! | `Volume`                                        | [`Volume`]                     |
//!
//! plus [`pod_parts`] for a `Pod` and [`template_parts`] for a `PodTemplateSpec` (the
//! template of a Deployment, StatefulSet, Job, ...).
//!
//! The conversion copies **only the fields the Pod Security Standards read**; everything
//! else (images, env, resources, ...) is dropped. The result is exactly what deserializing
//! the same object's JSON into the model gives: an absent optional field stays `None`, an
//! absent list is empty, an absent scalar that the model stores unwrapped takes its zero
//! value (`hostPort: None` is `0`, `httpGet.host: None` is `""`, `hostNetwork: None` is
//! `false`), and a volume's [`VolumeSources`] holds every source field that is `Some`,
//! whatever its contents.
//!
//! This module does not pick a Kubernetes version feature of `k8s-openapi`; it only uses
//! fields present in every version that `k8s-openapi` 0.29 supports (1.33 and later), all 30
//! volume sources included.

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::model::{
    Capabilities, Container, ContainerPort, Handler, HostAction, Lifecycle, PodMetadata, PodOs,
    PodSecurityContext, PodSpec, Profile, SeLinuxOptions, SecurityContext, Sysctl, Volume,
    VolumeSource, VolumeSources, WindowsOptions,
};

/// Converts every element of an optional list; `None` is an empty list.
fn list<'a, S: 'a, T: From<&'a S>>(items: Option<&'a Vec<S>>) -> Vec<T> {
    items.map_or_else(Vec::new, |items| items.iter().map(T::from).collect())
}

/// Converts an optional value.
fn opt<'a, S: 'a, T: From<&'a S>>(value: Option<&'a S>) -> Option<T> {
    value.map(T::from)
}

/// The metadata of a pod and its spec (an absent spec is the default, empty spec).
pub fn pod_parts(pod: &core::Pod) -> (PodMetadata, PodSpec) {
    (
        PodMetadata::from(&pod.metadata),
        pod.spec.as_ref().map(PodSpec::from).unwrap_or_default(),
    )
}

/// The metadata and spec of a pod template, e.g. a Deployment's `spec.template` (absent
/// parts are the defaults).
pub fn template_parts(template: &core::PodTemplateSpec) -> (PodMetadata, PodSpec) {
    (
        template
            .metadata
            .as_ref()
            .map(PodMetadata::from)
            .unwrap_or_default(),
        template
            .spec
            .as_ref()
            .map(PodSpec::from)
            .unwrap_or_default(),
    )
}

impl From<&ObjectMeta> for PodMetadata {
    fn from(meta: &ObjectMeta) -> Self {
        PodMetadata {
            name: meta.name.clone().unwrap_or_default(),
            namespace: meta.namespace.clone().unwrap_or_default(),
            annotations: meta.annotations.clone().unwrap_or_default(),
            labels: meta.labels.clone().unwrap_or_default(),
        }
    }
}

impl From<&core::PodSpec> for PodSpec {
    fn from(spec: &core::PodSpec) -> Self {
        PodSpec {
            volumes: list(spec.volumes.as_ref()),
            init_containers: list(spec.init_containers.as_ref()),
            containers: spec.containers.iter().map(Container::from).collect(),
            ephemeral_containers: list(spec.ephemeral_containers.as_ref()),
            host_network: spec.host_network.unwrap_or_default(),
            host_pid: spec.host_pid.unwrap_or_default(),
            host_ipc: spec.host_ipc.unwrap_or_default(),
            host_users: spec.host_users,
            security_context: opt(spec.security_context.as_ref()),
            os: opt(spec.os.as_ref()),
            runtime_class_name: spec.runtime_class_name.clone(),
            service_account_name: spec.service_account_name.clone(),
        }
    }
}

impl From<&core::PodOS> for PodOs {
    fn from(os: &core::PodOS) -> Self {
        PodOs {
            name: os.name.clone(),
        }
    }
}

impl From<&core::PodSecurityContext> for PodSecurityContext {
    fn from(sc: &core::PodSecurityContext) -> Self {
        PodSecurityContext {
            run_as_non_root: sc.run_as_non_root,
            run_as_user: sc.run_as_user,
            se_linux_options: opt(sc.se_linux_options.as_ref()),
            seccomp_profile: opt(sc.seccomp_profile.as_ref()),
            app_armor_profile: opt(sc.app_armor_profile.as_ref()),
            windows_options: opt(sc.windows_options.as_ref()),
            sysctls: list(sc.sysctls.as_ref()),
        }
    }
}

impl From<&core::Sysctl> for Sysctl {
    fn from(sysctl: &core::Sysctl) -> Self {
        Sysctl {
            name: sysctl.name.clone(),
        }
    }
}

/// Builds a [`Container`] from the fields shared by `Container` and `EphemeralContainer`.
macro_rules! container_from {
    ($c:expr) => {{
        let c = $c;
        Container {
            name: c.name.clone(),
            image: c.image.clone().unwrap_or_default(),
            ports: list(c.ports.as_ref()),
            security_context: opt(c.security_context.as_ref()),
            liveness_probe: opt(c.liveness_probe.as_ref()),
            readiness_probe: opt(c.readiness_probe.as_ref()),
            startup_probe: opt(c.startup_probe.as_ref()),
            lifecycle: opt(c.lifecycle.as_ref()),
        }
    }};
}

impl From<&core::Container> for Container {
    fn from(container: &core::Container) -> Self {
        container_from!(container)
    }
}

impl From<&core::EphemeralContainer> for Container {
    fn from(container: &core::EphemeralContainer) -> Self {
        container_from!(container)
    }
}

impl From<&core::ContainerPort> for ContainerPort {
    fn from(port: &core::ContainerPort) -> Self {
        ContainerPort {
            container_port: port.container_port,
            host_port: port.host_port.unwrap_or_default(),
            protocol: port.protocol.clone().unwrap_or_default(),
            host_ip: port.host_ip.clone().unwrap_or_default(),
        }
    }
}

impl From<&core::Probe> for Handler {
    fn from(probe: &core::Probe) -> Self {
        Handler {
            http_get: opt(probe.http_get.as_ref()),
            tcp_socket: opt(probe.tcp_socket.as_ref()),
        }
    }
}

impl From<&core::LifecycleHandler> for Handler {
    fn from(handler: &core::LifecycleHandler) -> Self {
        Handler {
            http_get: opt(handler.http_get.as_ref()),
            tcp_socket: opt(handler.tcp_socket.as_ref()),
        }
    }
}

impl From<&core::HTTPGetAction> for HostAction {
    fn from(action: &core::HTTPGetAction) -> Self {
        HostAction {
            host: action.host.clone().unwrap_or_default(),
        }
    }
}

impl From<&core::TCPSocketAction> for HostAction {
    fn from(action: &core::TCPSocketAction) -> Self {
        HostAction {
            host: action.host.clone().unwrap_or_default(),
        }
    }
}

impl From<&core::Lifecycle> for Lifecycle {
    fn from(lifecycle: &core::Lifecycle) -> Self {
        Lifecycle {
            post_start: opt(lifecycle.post_start.as_ref()),
            pre_stop: opt(lifecycle.pre_stop.as_ref()),
        }
    }
}

impl From<&core::SecurityContext> for SecurityContext {
    fn from(sc: &core::SecurityContext) -> Self {
        SecurityContext {
            privileged: sc.privileged,
            allow_privilege_escalation: sc.allow_privilege_escalation,
            run_as_non_root: sc.run_as_non_root,
            run_as_user: sc.run_as_user,
            proc_mount: sc.proc_mount.clone(),
            capabilities: opt(sc.capabilities.as_ref()),
            se_linux_options: opt(sc.se_linux_options.as_ref()),
            seccomp_profile: opt(sc.seccomp_profile.as_ref()),
            app_armor_profile: opt(sc.app_armor_profile.as_ref()),
            windows_options: opt(sc.windows_options.as_ref()),
        }
    }
}

impl From<&core::Capabilities> for Capabilities {
    fn from(caps: &core::Capabilities) -> Self {
        Capabilities {
            add: caps.add.clone().unwrap_or_default(),
            drop: caps.drop.clone().unwrap_or_default(),
        }
    }
}

impl From<&core::SELinuxOptions> for SeLinuxOptions {
    fn from(opts: &core::SELinuxOptions) -> Self {
        SeLinuxOptions {
            type_: opts.type_.clone().unwrap_or_default(),
            user: opts.user.clone().unwrap_or_default(),
            role: opts.role.clone().unwrap_or_default(),
        }
    }
}

impl From<&core::SeccompProfile> for Profile {
    fn from(profile: &core::SeccompProfile) -> Self {
        Profile {
            type_: profile.type_.clone(),
            localhost_profile: profile.localhost_profile.clone(),
        }
    }
}

impl From<&core::AppArmorProfile> for Profile {
    fn from(profile: &core::AppArmorProfile) -> Self {
        Profile {
            type_: profile.type_.clone(),
            localhost_profile: profile.localhost_profile.clone(),
        }
    }
}

impl From<&core::WindowsSecurityContextOptions> for WindowsOptions {
    fn from(opts: &core::WindowsSecurityContextOptions) -> Self {
        WindowsOptions {
            host_process: opts.host_process,
        }
    }
}

impl From<&core::Volume> for Volume {
    fn from(volume: &core::Volume) -> Self {
        Volume {
            name: volume.name.clone(),
            sources: volume_sources(volume),
        }
    }
}

/// The set of sources whose field is `Some` (all 30 keys of [`VolumeSource`]).
fn volume_sources(v: &core::Volume) -> VolumeSources {
    // Exhaustive destructuring: a field added to `Volume` by a future k8s-openapi fails to
    // compile here instead of being silently ignored.
    let core::Volume {
        name: _,
        host_path,
        empty_dir,
        gce_persistent_disk,
        aws_elastic_block_store,
        git_repo,
        secret,
        nfs,
        iscsi,
        glusterfs,
        persistent_volume_claim,
        rbd,
        flex_volume,
        cinder,
        cephfs,
        flocker,
        downward_api,
        fc,
        azure_file,
        config_map,
        vsphere_volume,
        quobyte,
        azure_disk,
        photon_persistent_disk,
        projected,
        portworx_volume,
        scale_io,
        storageos,
        csi,
        ephemeral,
        image,
    } = v;
    let present = [
        (VolumeSource::HostPath, host_path.is_some()),
        (VolumeSource::EmptyDir, empty_dir.is_some()),
        (
            VolumeSource::GcePersistentDisk,
            gce_persistent_disk.is_some(),
        ),
        (
            VolumeSource::AwsElasticBlockStore,
            aws_elastic_block_store.is_some(),
        ),
        (VolumeSource::GitRepo, git_repo.is_some()),
        (VolumeSource::Secret, secret.is_some()),
        (VolumeSource::Nfs, nfs.is_some()),
        (VolumeSource::Iscsi, iscsi.is_some()),
        (VolumeSource::Glusterfs, glusterfs.is_some()),
        (
            VolumeSource::PersistentVolumeClaim,
            persistent_volume_claim.is_some(),
        ),
        (VolumeSource::Rbd, rbd.is_some()),
        (VolumeSource::FlexVolume, flex_volume.is_some()),
        (VolumeSource::Cinder, cinder.is_some()),
        (VolumeSource::Cephfs, cephfs.is_some()),
        (VolumeSource::Flocker, flocker.is_some()),
        (VolumeSource::DownwardApi, downward_api.is_some()),
        (VolumeSource::Fc, fc.is_some()),
        (VolumeSource::AzureFile, azure_file.is_some()),
        (VolumeSource::ConfigMap, config_map.is_some()),
        (VolumeSource::VsphereVolume, vsphere_volume.is_some()),
        (VolumeSource::Quobyte, quobyte.is_some()),
        (VolumeSource::AzureDisk, azure_disk.is_some()),
        (
            VolumeSource::PhotonPersistentDisk,
            photon_persistent_disk.is_some(),
        ),
        (VolumeSource::Projected, projected.is_some()),
        (VolumeSource::PortworxVolume, portworx_volume.is_some()),
        (VolumeSource::ScaleIo, scale_io.is_some()),
        (VolumeSource::Storageos, storageos.is_some()),
        (VolumeSource::Csi, csi.is_some()),
        (VolumeSource::Ephemeral, ephemeral.is_some()),
        (VolumeSource::Image, image.is_some()),
    ];
    present
        .into_iter()
        .filter_map(|(source, is_present)| is_present.then_some(source))
        .collect()
}

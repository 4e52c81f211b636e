//! `restrictedVolumes` (restricted, all versions; overrides `hostPathVolumes`).
//!
//! **Restricted fields**: `spec.volumes[*]` and its source.
//!
//! **Allowed values**: a volume with at least one of the sources `configMap`, `csi`,
//! `downwardAPI`, `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`, `projected`,
//! `secret`. Any other volume is reported with the first restricted source it has (in the
//! order of [`RESTRICTED_SOURCES`]), or `unknown` when it has none.

use super::{Check, CheckDoc, host_path_volumes, overriding};
use crate::level::Level;
use crate::model::{PodMetadata, PodSpec, Volume, VolumeSource, VolumeSources};
use crate::text::{plural, push_quote_list, sort_dedup};
use crate::violation::{CheckId, Finding, Forbidden};

/// `restrictedVolumes`.
pub const ID: CheckId = CheckId::new("restrictedVolumes");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    variants: &[overriding(0, &[host_path_volumes::ID], check)],
    doc: CheckDoc {
        summary: "Volumes must use one of the allowed volume types",
        fields: &["spec.volumes[*]"],
        allowed: "configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret",
        fix: "use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volumes",
    },
};

/// Sources that make a volume allowed.
pub const ALLOWED_SOURCES: VolumeSources = VolumeSources::EMPTY
    .with(VolumeSource::ConfigMap)
    .with(VolumeSource::Csi)
    .with(VolumeSource::DownwardApi)
    .with(VolumeSource::EmptyDir)
    .with(VolumeSource::Ephemeral)
    .with(VolumeSource::Image)
    .with(VolumeSource::PersistentVolumeClaim)
    .with(VolumeSource::Projected)
    .with(VolumeSource::Secret);

/// Restricted sources, in the order that names a volume's type.
pub const RESTRICTED_SOURCES: &[VolumeSource] = &[
    VolumeSource::HostPath,
    VolumeSource::GcePersistentDisk,
    VolumeSource::AwsElasticBlockStore,
    VolumeSource::GitRepo,
    VolumeSource::Nfs,
    VolumeSource::Iscsi,
    VolumeSource::Glusterfs,
    VolumeSource::Rbd,
    VolumeSource::FlexVolume,
    VolumeSource::Cinder,
    VolumeSource::Cephfs,
    VolumeSource::Flocker,
    VolumeSource::Fc,
    VolumeSource::AzureFile,
    VolumeSource::VsphereVolume,
    VolumeSource::Quobyte,
    VolumeSource::AzureDisk,
    VolumeSource::PhotonPersistentDisk,
    VolumeSource::PortworxVolume,
    VolumeSource::ScaleIo,
    VolumeSource::Storageos,
];

fn is_allowed(volume: &Volume) -> bool {
    VolumeSource::ALL
        .iter()
        .any(|s| ALLOWED_SOURCES.contains(*s) && volume.sources.contains(*s))
}

/// The type a forbidden volume is reported with.
fn restricted_type(volume: &Volume) -> &'static str {
    RESTRICTED_SOURCES
        .iter()
        .find(|s| volume.sources.contains(**s))
        .map_or("unknown", |s| s.key())
}

fn check(_: &PodMetadata, spec: &PodSpec) -> Option<Forbidden> {
    let mut names: Vec<&str> = Vec::new();
    let mut types: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    for (i, volume) in spec.volumes.iter().enumerate() {
        if is_allowed(volume) {
            continue;
        }
        let kind = restricted_type(volume);
        names.push(&volume.name);
        types.push(kind);
        let path = if kind == "unknown" {
            format!("spec.volumes[{i}]")
        } else {
            format!("spec.volumes[{i}].{kind}")
        };
        findings.push(Finding::forbidden(path, None, kind));
    }
    if names.is_empty() {
        return None;
    }
    sort_dedup(&mut types);
    let mut detail = String::from(plural("volume ", "volumes ", names.len()));
    push_quote_list(&mut detail, &names);
    detail.push_str(plural(" uses ", " use ", names.len()));
    detail.push_str(plural(
        "restricted volume type ",
        "restricted volume types ",
        types.len(),
    ));
    push_quote_list(&mut detail, &types);
    Some(Forbidden {
        reason: "restricted volume types",
        detail,
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
            check,
            &[
                (
                    r#"{"spec":{"volumes":[{"name":"a","configMap":{}},{"name":"b","secret":{}},{"name":"c","emptyDir":{}},
                        {"name":"d","projected":{}},{"name":"e","downwardAPI":{}},{"name":"f","persistentVolumeClaim":{}},
                        {"name":"g","csi":{}},{"name":"h","ephemeral":{}},{"name":"i","image":{}},
                        {"name":"ok","configMap":{},"hostPath":{}}]}}"#,
                    None,
                ),
                (
                    r#"{"spec":{"volumes":[{"name":"volume1","gcePersistentDisk":{}}]}}"#,
                    Some(
                        r#"restricted volume types (volume "volume1" uses restricted volume type "gcePersistentDisk")"#,
                    ),
                ),
                (
                    r#"{"spec":{"volumes":[{"name":"v0"},{"name":"v1","hostPath":{}}]}}"#,
                    Some(
                        r#"restricted volume types (volumes "v0", "v1" use restricted volume types "hostPath", "unknown")"#,
                    ),
                ),
                (
                    r#"{"spec":{"volumes":[{"name":"ok","configMap":{},"hostPath":{}},{"name":"x"},{"name":"g","nfs":{},"gitRepo":{}}]}}"#,
                    Some(
                        r#"restricted volume types (volumes "x", "g" use restricted volume types "gitRepo", "unknown")"#,
                    ),
                ),
                (
                    r#"{"spec":{"volumes":[null,{"name":"n","emptyDir":null,"somethingNew":{}}]}}"#,
                    Some(
                        r#"restricted volume types (volumes "", "n" use restricted volume type "unknown")"#,
                    ),
                ),
            ],
        );
    }

    #[test]
    fn every_restricted_type_in_one_message() {
        let mut volumes: Vec<String> = RESTRICTED_SOURCES
            .iter()
            .enumerate()
            .map(|(i, s)| format!(r#"{{"name":"b{}","{}":{{}}}}"#, i + 1, s.key()))
            .collect();
        volumes.push(r#"{"name":"c1"}"#.to_owned());
        let pod = format!(r#"{{"spec":{{"volumes":[{}]}}}}"#, volumes.join(","));
        let names: Vec<String> = (1..=21).map(|i| format!("\"b{i}\"")).collect();
        let want = format!(
            r#"restricted volume types (volumes {}, "c1" use restricted volume types "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo", "glusterfs", "hostPath", "iscsi", "nfs", "photonPersistentDisk", "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "unknown", "vsphereVolume")"#,
            names.join(", ")
        );
        table(check, &[(&pod, Some(&want))]);
    }

    #[test]
    fn sources_are_partitioned() {
        // Every known source is either allowed or restricted, never both.
        for source in VolumeSource::ALL {
            let allowed = ALLOWED_SOURCES.contains(*source);
            let restricted = RESTRICTED_SOURCES.contains(source);
            assert!(allowed != restricted, "{source:?}");
        }
    }
}

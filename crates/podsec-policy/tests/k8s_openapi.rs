//! `k8s-openapi` conversions equal deserializing the same JSON into the lean model.
#![cfg(feature = "k8s-openapi")]
#![allow(clippy::unwrap_used)]

use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use podsec_policy::k8s::{pod_parts, template_parts};
use podsec_policy::model::{PodMetadata, PodSpec, VolumeSource, VolumeSources};
use podsec_policy::{Level, LevelVersion, Version, evaluate};
use serde_json::{Value, json};

/// Wraps `spec` (and `metadata`) into a Pod's JSON.
fn pod_json(metadata: Value, spec: Value) -> Value {
    json!({ "apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec })
}

/// Converts `json` through k8s-openapi, asserts it equals the model deserialized from the
/// same JSON, and returns the converted parts.
fn assert_same(json: &Value) -> (PodMetadata, PodSpec) {
    let pod: Pod = serde_json::from_value(json.clone()).unwrap();
    let (metadata, spec) = pod_parts(&pod);
    let want_metadata: PodMetadata = serde_json::from_value(json["metadata"].clone()).unwrap();
    let want_spec: PodSpec = serde_json::from_value(json["spec"].clone()).unwrap();
    assert_eq!(metadata, want_metadata);
    assert_eq!(spec, want_spec);
    (metadata, spec)
}

fn full_security_context() -> Value {
    json!({
        "privileged": true,
        "allowPrivilegeEscalation": true,
        "runAsNonRoot": false,
        "runAsUser": 0,
        "runAsGroup": 0,
        "readOnlyRootFilesystem": false,
        "procMount": "Unmasked",
        "capabilities": { "add": ["NET_ADMIN", "SYS_TIME"], "drop": ["ALL"] },
        "seLinuxOptions": { "type": "spc_t", "user": "system_u", "role": "system_r", "level": "s0" },
        "seccompProfile": { "type": "Localhost", "localhostProfile": "profiles/audit.json" },
        "appArmorProfile": { "type": "Unconfined" },
        "windowsOptions": { "hostProcess": true, "runAsUserName": "NT AUTHORITY\\SYSTEM" }
    })
}

fn full_probe(host: &str) -> Value {
    json!({
        "httpGet": { "host": host, "port": 8080, "path": "/healthz" },
        "tcpSocket": { "host": host, "port": "http" },
        "periodSeconds": 5
    })
}

fn full_container(name: &str) -> Value {
    json!({
        "name": name,
        "image": "busybox",
        "ports": [
            { "containerPort": 80 },
            { "containerPort": 443, "hostPort": 8443, "protocol": "TCP", "name": "https" },
            { "containerPort": 53, "hostPort": 0, "protocol": "UDP" }
        ],
        "securityContext": full_security_context(),
        "livenessProbe": full_probe("10.0.0.1"),
        "readinessProbe": { "httpGet": { "port": 80 } },
        "startupProbe": { "exec": { "command": ["true"] } },
        "lifecycle": {
            "postStart": { "httpGet": { "host": "example.com", "port": 80 } },
            "preStop": { "tcpSocket": { "port": 80 }, "sleep": { "seconds": 1 } }
        }
    })
}

#[test]
fn every_security_relevant_field() {
    let json = pod_json(
        json!({
            "name": "everything",
            "namespace": "kube-system",
            "labels": { "app": "x" },
            "annotations": {
                "container.apparmor.security.beta.kubernetes.io/app": "unconfined",
                "empty": ""
            }
        }),
        json!({
            "hostNetwork": true,
            "hostPID": true,
            "hostIPC": true,
            "hostUsers": false,
            "os": { "name": "windows" },
            "securityContext": {
                "runAsNonRoot": true,
                "runAsUser": 1000,
                "runAsGroup": 1000,
                "fsGroup": 2000,
                "seLinuxOptions": { "type": "container_t", "level": "s0:c1" },
                "seccompProfile": { "type": "RuntimeDefault" },
                "appArmorProfile": { "type": "Localhost", "localhostProfile": "k8s-default" },
                "windowsOptions": { "hostProcess": false },
                "sysctls": [
                    { "name": "net.ipv4.tcp_syncookies", "value": "1" },
                    { "name": "kernel.shm_rmid_forced", "value": "0" },
                    { "name": "net.core.somaxconn", "value": "1024" }
                ]
            },
            "volumes": [
                { "name": "host", "hostPath": { "path": "/var/run", "type": "Directory" } },
                { "name": "scratch", "emptyDir": {} },
                { "name": "cm", "configMap": { "name": "settings" } }
            ],
            "initContainers": [full_container("init")],
            "containers": [full_container("app"), { "name": "bare" }],
            "ephemeralContainers": [
                {
                    "name": "debugger",
                    "targetContainerName": "app",
                    "securityContext": full_security_context(),
                    "lifecycle": { "preStop": full_probe("") }
                },
                { "name": "bare-debugger" }
            ]
        }),
    );
    let (metadata, spec) = assert_same(&json);

    // The comparison is not vacuous.
    assert_eq!(metadata.name, "everything");
    assert_eq!(metadata.namespace, "kube-system");
    assert_eq!(metadata.annotations.len(), 2);
    assert!(spec.host_network && spec.host_pid && spec.host_ipc);
    assert!(spec.is_user_namespaced());
    assert!(spec.is_windows());
    assert_eq!(spec.init_containers.len(), 1);
    assert_eq!(spec.containers.len(), 2);
    assert_eq!(spec.ephemeral_containers.len(), 2);
    assert_eq!(spec.ephemeral_containers[0].name, "debugger");
    let app = &spec.containers[0];
    assert_eq!(app.ports[0].host_port, 0);
    assert_eq!(app.ports[1].host_port, 8443);
    let sc = app.security_context.as_ref().unwrap();
    assert_eq!(sc.proc_mount.as_deref(), Some("Unmasked"));
    assert_eq!(
        sc.capabilities.as_ref().unwrap().add,
        ["NET_ADMIN", "SYS_TIME"]
    );
    assert_eq!(sc.se_linux_options.as_ref().unwrap().role, "system_r");
    assert_eq!(sc.seccomp_profile.as_ref().unwrap().type_, "Localhost");
    assert_eq!(sc.app_armor_profile.as_ref().unwrap().type_, "Unconfined");
    assert_eq!(
        sc.windows_options.as_ref().unwrap().host_process,
        Some(true)
    );
    let liveness = app.liveness_probe.as_ref().unwrap();
    assert_eq!(liveness.http_get.as_ref().unwrap().host, "10.0.0.1");
    assert_eq!(liveness.tcp_socket.as_ref().unwrap().host, "10.0.0.1");
    let readiness = app.readiness_probe.as_ref().unwrap();
    assert_eq!(readiness.http_get.as_ref().unwrap().host, "");
    assert!(readiness.tcp_socket.is_none());
    let startup = app.startup_probe.as_ref().unwrap();
    assert!(startup.http_get.is_none() && startup.tcp_socket.is_none());
    let lifecycle = app.lifecycle.as_ref().unwrap();
    let post_start = lifecycle.post_start.as_ref().unwrap();
    assert_eq!(post_start.http_get.as_ref().unwrap().host, "example.com");
    let pre_stop = lifecycle.pre_stop.as_ref().unwrap();
    assert_eq!(pre_stop.tcp_socket.as_ref().unwrap().host, "");
    let bare = &spec.containers[1];
    assert!(bare.security_context.is_none() && bare.ports.is_empty());
    let pod_sc = spec.security_context.as_ref().unwrap();
    assert_eq!(pod_sc.sysctls.len(), 3);
    assert_eq!(pod_sc.sysctls[2].name, "net.core.somaxconn");
    assert_eq!(pod_sc.se_linux_options.as_ref().unwrap().user, "");
    assert!(spec.volumes[0].sources.contains(VolumeSource::HostPath));
}

#[test]
fn minimal_and_empty_values() {
    // Absent everything.
    let (metadata, spec) = assert_same(&pod_json(json!({}), json!({ "containers": [] })));
    assert_eq!(metadata, PodMetadata::default());
    assert_eq!(spec, PodSpec::default());

    // Present but empty objects and lists stay present / empty.
    let json = pod_json(
        json!({ "name": "p", "annotations": {} }),
        json!({
            "hostNetwork": false,
            "hostUsers": true,
            "os": { "name": "linux" },
            "securityContext": { "sysctls": [] },
            "volumes": [],
            "initContainers": [],
            "ephemeralContainers": [],
            "containers": [{
                "name": "c",
                "ports": [],
                "securityContext": {
                    "capabilities": {},
                    "seLinuxOptions": {},
                    "windowsOptions": {},
                    "seccompProfile": { "type": "" }
                },
                "livenessProbe": {},
                "lifecycle": {}
            }]
        }),
    );
    let (_, spec) = assert_same(&json);
    assert_eq!(spec.host_users, Some(true));
    assert!(spec.security_context.is_some());
    let c = &spec.containers[0];
    let sc = c.security_context.as_ref().unwrap();
    assert!(sc.capabilities.is_some() && sc.se_linux_options.is_some());
    assert!(sc.privileged.is_none() && sc.app_armor_profile.is_none());
    assert!(c.liveness_probe.is_some() && c.readiness_probe.is_none());
    let lifecycle = c.lifecycle.as_ref().unwrap();
    assert!(lifecycle.post_start.is_none() && lifecycle.pre_stop.is_none());
}

/// A minimal valid body for each of the 30 volume sources.
fn volume_bodies() -> Vec<(VolumeSource, Value)> {
    vec![
        (VolumeSource::HostPath, json!({ "path": "/" })),
        (VolumeSource::EmptyDir, json!({})),
        (VolumeSource::GcePersistentDisk, json!({ "pdName": "pd" })),
        (
            VolumeSource::AwsElasticBlockStore,
            json!({ "volumeID": "vol" }),
        ),
        (
            VolumeSource::GitRepo,
            json!({ "repository": "https://example.com/r.git" }),
        ),
        (VolumeSource::Secret, json!({ "secretName": "s" })),
        (
            VolumeSource::Nfs,
            json!({ "server": "nfs", "path": "/export" }),
        ),
        (
            VolumeSource::Iscsi,
            json!({ "targetPortal": "10.0.0.1:3260", "iqn": "iqn.x", "lun": 0 }),
        ),
        (
            VolumeSource::Glusterfs,
            json!({ "endpoints": "ep", "path": "vol" }),
        ),
        (
            VolumeSource::PersistentVolumeClaim,
            json!({ "claimName": "claim" }),
        ),
        (
            VolumeSource::Rbd,
            json!({ "monitors": ["m"], "image": "img" }),
        ),
        (
            VolumeSource::FlexVolume,
            json!({ "driver": "example/flex" }),
        ),
        (VolumeSource::Cinder, json!({ "volumeID": "vol" })),
        (VolumeSource::Cephfs, json!({ "monitors": ["m"] })),
        (VolumeSource::Flocker, json!({ "datasetName": "ds" })),
        (VolumeSource::DownwardApi, json!({ "items": [] })),
        (VolumeSource::Fc, json!({ "wwids": ["w"] })),
        (
            VolumeSource::AzureFile,
            json!({ "secretName": "s", "shareName": "share" }),
        ),
        (VolumeSource::ConfigMap, json!({ "name": "cm" })),
        (
            VolumeSource::VsphereVolume,
            json!({ "volumePath": "[ds] vol.vmdk" }),
        ),
        (
            VolumeSource::Quobyte,
            json!({ "registry": "r:7861", "volume": "v" }),
        ),
        (
            VolumeSource::AzureDisk,
            json!({ "diskName": "d", "diskURI": "https://d" }),
        ),
        (VolumeSource::PhotonPersistentDisk, json!({ "pdID": "pd" })),
        (VolumeSource::Projected, json!({ "sources": [] })),
        (VolumeSource::PortworxVolume, json!({ "volumeID": "vol" })),
        (
            VolumeSource::ScaleIo,
            json!({ "gateway": "https://gw", "system": "sys", "secretRef": { "name": "s" } }),
        ),
        (VolumeSource::Storageos, json!({ "volumeName": "v" })),
        (VolumeSource::Csi, json!({ "driver": "csi.example.com" })),
        (
            VolumeSource::Ephemeral,
            json!({ "volumeClaimTemplate": { "spec": {} } }),
        ),
        (
            VolumeSource::Image,
            json!({ "reference": "registry.example/img:1" }),
        ),
    ]
}

#[test]
fn every_volume_source() {
    let bodies = volume_bodies();
    assert_eq!(bodies.len(), VolumeSource::ALL.len());
    for (body, want) in bodies.iter().zip(VolumeSource::ALL) {
        assert_eq!(body.0, *want, "bodies follow VolumeSource::ALL's order");
    }

    // One volume per source.
    let volumes: Vec<Value> = bodies
        .iter()
        .map(|(source, body)| {
            let mut volume = json!({ "name": source.key() });
            volume[source.key()] = body.clone();
            volume
        })
        .collect();
    let (_, spec) = assert_same(&pod_json(
        json!({}),
        json!({ "containers": [{ "name": "c" }], "volumes": volumes }),
    ));
    assert_eq!(spec.volumes.len(), VolumeSource::ALL.len());
    for (volume, source) in spec.volumes.iter().zip(VolumeSource::ALL) {
        assert_eq!(volume.name, source.key());
        assert_eq!(
            volume.sources,
            VolumeSources::EMPTY.with(*source),
            "{}",
            source.key()
        );
    }

    // All sources in one volume, and a volume with no source at all.
    let mut all = json!({ "name": "all" });
    for (source, body) in &bodies {
        all[source.key()] = body.clone();
    }
    let (_, spec) = assert_same(&pod_json(
        json!({}),
        json!({ "containers": [{ "name": "c" }], "volumes": [all, { "name": "none" }] }),
    ));
    let every: VolumeSources = VolumeSource::ALL.iter().copied().collect();
    assert_eq!(spec.volumes[0].sources, every);
    assert!(spec.volumes[1].sources.is_empty());
}

#[test]
fn pod_without_spec_is_the_default_spec() {
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": "nospec", "annotations": { "a": "b" } }
    }))
    .unwrap();
    let (metadata, spec) = pod_parts(&pod);
    assert_eq!(metadata.name, "nospec");
    assert_eq!(metadata.annotations["a"], "b");
    assert_eq!(spec, PodSpec::default());
}

#[test]
fn template_parts_match_the_model() {
    let template_json = json!({
        "metadata": { "namespace": "ns", "annotations": { "k": "v" } },
        "spec": {
            "hostPID": true,
            "containers": [full_container("web")],
            "volumes": [{ "name": "docker", "hostPath": { "path": "/var/run/docker.sock" } }]
        }
    });
    let template: PodTemplateSpec = serde_json::from_value(template_json.clone()).unwrap();
    let (metadata, spec) = template_parts(&template);
    let want_metadata: PodMetadata =
        serde_json::from_value(template_json["metadata"].clone()).unwrap();
    let want_spec: PodSpec = serde_json::from_value(template_json["spec"].clone()).unwrap();
    assert_eq!(metadata, want_metadata);
    assert_eq!(spec, want_spec);
    assert!(spec.host_pid);

    // An empty template is the default metadata and spec.
    let (metadata, spec) = template_parts(&PodTemplateSpec::default());
    assert_eq!(metadata, PodMetadata::default());
    assert_eq!(spec, PodSpec::default());
}

#[test]
fn converted_pod_evaluates_like_upstream() {
    let json = pod_json(
        json!({ "name": "web", "namespace": "default" }),
        json!({
            "hostNetwork": true,
            "securityContext": { "sysctls": [{ "name": "kernel.msgmax", "value": "65536" }] },
            "volumes": [{ "name": "data", "hostPath": { "path": "/data" } }],
            "containers": [{
                "name": "nginx",
                "image": "nginx",
                "ports": [{ "containerPort": 80, "hostPort": 80 }],
                "securityContext": {
                    "privileged": true,
                    "capabilities": { "add": ["NET_ADMIN"] }
                }
            }]
        }),
    );
    let (metadata, spec) = assert_same(&json);
    let policy = LevelVersion::new(Level::Restricted, Version::LATEST);
    let result = evaluate(policy, &metadata, &spec);
    assert_eq!(
        result.forbidden_detail(),
        concat!(
            r#"host namespaces (hostNetwork=true), "#,
            r#"hostPort (container "nginx" uses hostPort 80), "#,
            r#"privileged (container "nginx" must not set securityContext.privileged=true), "#,
            r#"forbidden sysctls (kernel.msgmax), "#,
            r#"allowPrivilegeEscalation != false (container "nginx" must set "#,
            r#"securityContext.allowPrivilegeEscalation=false), "#,
            r#"unrestricted capabilities (container "nginx" must set "#,
            r#"securityContext.capabilities.drop=["ALL"]; container "nginx" must not include "#,
            r#""NET_ADMIN" in securityContext.capabilities.add), "#,
            r#"restricted volume types (volume "data" uses restricted volume type "hostPath"), "#,
            r#"runAsNonRoot != true (pod or container "nginx" must set "#,
            r#"securityContext.runAsNonRoot=true), "#,
            r#"seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type "#,
            r#"to "RuntimeDefault" or "Localhost")"#,
        )
    );
}

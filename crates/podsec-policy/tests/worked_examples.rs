//! The worked end-to-end examples of the specification (checks.md §8), at every level and
//! version they name, with the full detailed message.

use podsec_policy::model::{PodMetadata, PodSpec};
use podsec_policy::{Level, LevelVersion, Version, evaluate};
use serde::Deserialize;

#[derive(Deserialize)]
struct Pod {
    #[serde(default)]
    metadata: PodMetadata,
    #[serde(default)]
    spec: PodSpec,
}

fn pod(json: &str) -> Pod {
    serde_json::from_str(json).expect("example pod parses")
}

/// Asserts the detailed message (empty = allowed) at each `level:version`.
fn expect(pod: &Pod, cases: &[(&str, &str)]) {
    for (policy, want) in cases {
        let (level, version) = policy.split_once(':').expect("level:version");
        let level: Level = level.parse().expect("level");
        let version: Version = version.parse().expect("version");
        let got = evaluate(LevelVersion::new(level, version), &pod.metadata, &pod.spec);
        assert_eq!(got.forbidden_detail(), *want, "at {policy}");
        assert_eq!(got.is_allowed(), want.is_empty(), "at {policy}");
    }
}

const NGINX: &str = r#"{"spec":{"containers":[{"name":"nginx","image":"nginx"}]}}"#;

#[test]
fn example_1_minimal_pod() {
    let p = pod(NGINX);
    let apn = r#"allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false)"#;
    let caps = r#"unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"])"#;
    let nonroot = r#"runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true)"#;
    let seccomp = r#"seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#;
    expect(
        &p,
        &[
            (
                "restricted:latest",
                &format!("{apn}, {caps}, {nonroot}, {seccomp}"),
            ),
            ("restricted:v1.7", nonroot),
            ("restricted:v1.18", &format!("{apn}, {nonroot}")),
            ("restricted:v1.21", &format!("{apn}, {nonroot}, {seccomp}")),
            ("baseline:latest", ""),
            ("privileged:latest", ""),
        ],
    );
    let got = evaluate(
        LevelVersion::new(Level::Restricted, Version::Latest),
        &p.metadata,
        &p.spec,
    );
    assert_eq!(
        got.forbidden_reason(),
        "allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile"
    );

    let windows = pod(
        r#"{"spec":{"os":{"name":"windows"},"containers":[{"name":"nginx","image":"nginx"}]}}"#,
    );
    expect(
        &windows,
        &[
            ("restricted:latest", nonroot),
            (
                "restricted:v1.24",
                &format!("{apn}, {caps}, {nonroot}, {seccomp}"),
            ),
        ],
    );
}

#[test]
fn example_2_everything_bad() {
    let p = pod(r#"{"metadata":{"annotations":{
                "seccomp.security.alpha.kubernetes.io/pod":"unconfined",
                "container.seccomp.security.alpha.kubernetes.io/b":""}},
            "spec":{"hostNetwork":true,"hostPID":true,"hostUsers":true,
                "securityContext":{"runAsUser":0,"sysctls":[{"name":"kernel.msgmax"},{"name":"net.ipv4.tcp_rmem"},{"name":"kernel.msgmax"}]},
                "volumes":[{"name":"h","hostPath":{"path":"/"}},{"name":"n","nfs":{"server":"s","path":"/"}},{"name":"e","emptyDir":{}}],
                "initContainers":[{"name":"i","securityContext":{"privileged":true,"capabilities":{"add":["NET_RAW","CHOWN"]}}}],
                "containers":[{"name":"b","ports":[{"containerPort":1,"hostPort":8080},{"containerPort":2,"hostPort":10000}],
                    "securityContext":{"procMount":"Unmasked","runAsNonRoot":false,"seccompProfile":{"type":"Unconfined"}}}]}}"#);
    expect(
        &p,
        &[
            (
                "baseline:latest",
                r#"non-default capabilities (container "i" must not include "NET_RAW" in securityContext.capabilities.add), host namespaces (hostNetwork=true, hostPID=true), hostPath volumes (volume "h"), hostPort (container "b" uses hostPorts 10000, 8080), privileged (container "i" must not set securityContext.privileged=true), procMount (container "b" must not set securityContext.procMount to "Unmasked"), seccompProfile (container "b" must not set securityContext.seccompProfile.type to "Unconfined"), forbidden sysctls (kernel.msgmax, kernel.msgmax)"#,
            ),
            (
                "baseline:v1.18",
                r#"non-default capabilities (container "i" must not include "NET_RAW" in securityContext.capabilities.add), host namespaces (hostNetwork=true, hostPID=true), hostPath volumes (volume "h"), hostPort (container "b" uses hostPorts 10000, 8080), privileged (container "i" must not set securityContext.privileged=true), procMount (container "b" must not set securityContext.procMount to "Unmasked"), seccompProfile (forbidden annotations container.seccomp.security.alpha.kubernetes.io/b="", seccomp.security.alpha.kubernetes.io/pod="unconfined"), forbidden sysctls (kernel.msgmax, net.ipv4.tcp_rmem, kernel.msgmax)"#,
            ),
            (
                "restricted:latest",
                r#"host namespaces (hostNetwork=true, hostPID=true), hostPort (container "b" uses hostPorts 10000, 8080), privileged (container "i" must not set securityContext.privileged=true), forbidden sysctls (kernel.msgmax, kernel.msgmax), allowPrivilegeEscalation != false (containers "i", "b" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (containers "i", "b" must set securityContext.capabilities.drop=["ALL"]; container "i" must not include "CHOWN", "NET_RAW" in securityContext.capabilities.add), procMount (container "b" must not set securityContext.procMount to "Unmasked"), restricted volume types (volumes "h", "n" use restricted volume types "hostPath", "nfs"), runAsNonRoot != true (container "b" must not set securityContext.runAsNonRoot=false), runAsUser=0 (pod must not set runAsUser=0), seccompProfile (container "b" must not set securityContext.seccompProfile.type to "Unconfined")"#,
            ),
            (
                "restricted:v1.34",
                r#"host namespaces (hostNetwork=true, hostPID=true), hostPort (container "b" uses hostPorts 10000, 8080), privileged (container "i" must not set securityContext.privileged=true), procMount (container "b" must not set securityContext.procMount to "Unmasked"), forbidden sysctls (kernel.msgmax, kernel.msgmax), allowPrivilegeEscalation != false (containers "i", "b" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (containers "i", "b" must set securityContext.capabilities.drop=["ALL"]; container "i" must not include "CHOWN", "NET_RAW" in securityContext.capabilities.add), restricted volume types (volumes "h", "n" use restricted volume types "hostPath", "nfs"), runAsNonRoot != true (container "b" must not set securityContext.runAsNonRoot=false), runAsUser=0 (pod must not set runAsUser=0), seccompProfile (container "b" must not set securityContext.seccompProfile.type to "Unconfined")"#,
            ),
            (
                "restricted:v1.10",
                r#"non-default capabilities (container "i" must not include "NET_RAW" in securityContext.capabilities.add), host namespaces (hostNetwork=true, hostPID=true), hostPort (container "b" uses hostPorts 10000, 8080), privileged (container "i" must not set securityContext.privileged=true), procMount (container "b" must not set securityContext.procMount to "Unmasked"), seccompProfile (forbidden annotations container.seccomp.security.alpha.kubernetes.io/b="", seccomp.security.alpha.kubernetes.io/pod="unconfined"), forbidden sysctls (kernel.msgmax, net.ipv4.tcp_rmem, kernel.msgmax), allowPrivilegeEscalation != false (containers "i", "b" must set securityContext.allowPrivilegeEscalation=false), restricted volume types (volumes "h", "n" use restricted volume types "hostPath", "nfs"), runAsNonRoot != true (container "b" must not set securityContext.runAsNonRoot=false)"#,
            ),
        ],
    );
}

#[test]
fn example_3_user_namespace_pod() {
    let p = pod(
        r#"{"spec":{"hostUsers":false,"containers":[{"name":"u","securityContext":{"runAsUser":0,"procMount":"Unmasked",
            "allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"seccompProfile":{"type":"RuntimeDefault"}}}]}}"#,
    );
    let proc_mount =
        r#"procMount (container "u" must not set securityContext.procMount to "Unmasked")"#;
    expect(
        &p,
        &[
            ("restricted:latest", proc_mount),
            (
                "restricted:v1.34",
                &format!(
                    r#"{proc_mount}, runAsNonRoot != true (pod or container "u" must set securityContext.runAsNonRoot=true), runAsUser=0 (container "u" must not set runAsUser=0)"#
                ),
            ),
            ("baseline:latest", ""),
            ("baseline:v1.34", proc_mount),
        ],
    );
}

#[test]
fn example_4_probes() {
    let p = pod(r#"{"spec":{"containers":[
            {"name":"b","livenessProbe":{"httpGet":{"host":"z.example","port":80}}},
            {"name":"a","readinessProbe":{"tcpSocket":{"host":"10.0.0.1","port":80}},"lifecycle":{"preStop":{"httpGet":{"host":"z.example","port":80}}}},
            {"name":"a","startupProbe":{"httpGet":{"host":"","port":80}}}]}}"#);
    expect(
        &p,
        &[
            (
                "baseline:latest",
                r#"probe or lifecycle host (containers "a", "b" use probe or lifecycle hosts "10.0.0.1", "z.example")"#,
            ),
            ("baseline:v1.33", ""),
        ],
    );
}

#[test]
fn example_5_windows_host_process() {
    let p = pod(
        r#"{"spec":{"hostNetwork":true,"securityContext":{"windowsOptions":{"hostProcess":true}},
            "containers":[{"name":"w","securityContext":{"windowsOptions":{"hostProcess":true}}}]}}"#,
    );
    expect(
        &p,
        &[(
            "baseline:latest",
            r#"host namespaces (hostNetwork=true), hostProcess (pod and container "w" must not set securityContext.windowsOptions.hostProcess=true)"#,
        )],
    );
}

#[test]
fn example_6_volumes() {
    let p = pod(
        r#"{"spec":{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},
            "containers":[{"name":"c","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}],
            "volumes":[{"name":"ok","configMap":{"name":"x"},"hostPath":{"path":"/"}},{"name":"x"},{"name":"g","gitRepo":{"repository":"r"},"nfs":{"server":"s","path":"/"}}]}}"#,
    );
    expect(
        &p,
        &[(
            "restricted:latest",
            r#"restricted volume types (volumes "x", "g" use restricted volume types "gitRepo", "unknown")"#,
        )],
    );
}

#[test]
fn requested_version_is_kept_but_future_versions_clamp() {
    let p = pod(NGINX);
    let at = |v: &str| {
        evaluate(
            LevelVersion::new(Level::Restricted, v.parse().expect("version")),
            &p.metadata,
            &p.spec,
        )
    };
    assert_eq!(at("v1.99"), at("v1.37"));
    assert_eq!(at("latest"), at("v1.37"));
    assert_eq!(
        LevelVersion::new(Level::Baseline, "v1.99".parse().expect("version")).to_string(),
        "baseline:v1.99"
    );
}

#[test]
fn null_array_elements_are_zero_valued_elements() {
    let p = pod(r#"{"spec":{"containers":[null]}}"#);
    expect(
        &p,
        &[(
            "restricted:latest",
            r#"allowPrivilegeEscalation != false (container "" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#,
        )],
    );
}

#[test]
fn structured_findings_locate_each_field() {
    let p = pod(
        r#"{"spec":{"initContainers":[{"name":"i","securityContext":{"privileged":true}}],
            "containers":[{"name":"a"},{"name":"b","securityContext":{"privileged":true}}]}}"#,
    );
    let got = evaluate(
        LevelVersion::new(Level::Baseline, Version::Latest),
        &p.metadata,
        &p.spec,
    );
    let v = &got.violations[0];
    assert_eq!(v.check.as_str(), "privileged");
    let found: Vec<(&str, Option<&str>, Option<&str>)> = v
        .findings
        .iter()
        .map(|f| (f.path.as_str(), f.container.as_deref(), f.value.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "spec.initContainers[0].securityContext.privileged",
                Some("i"),
                Some("true")
            ),
            (
                "spec.containers[1].securityContext.privileged",
                Some("b"),
                Some("true")
            ),
        ]
    );
}

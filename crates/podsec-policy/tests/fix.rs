//! The fix planner (`podsec_policy::fix`): per check, the edits or the reason it leaves a
//! violation; both strategies; every plan re-evaluated; idempotence.

use podsec_policy::fix::{self, NonRoot, Options, Plan, Strategy};
use podsec_policy::model::{PodMetadata, PodSpec};
use podsec_policy::{Level, Registry, Version};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
struct Pod {
    #[serde(default)]
    metadata: PodMetadata,
    #[serde(default)]
    spec: PodSpec,
}

fn pod(json: &str) -> Pod {
    serde_json::from_str(json).expect("test pod parses")
}

const RESTRICTED: (Level, Version) = (Level::Restricted, Version::Latest);
const BASELINE: (Level, Version) = (Level::Baseline, Version::Latest);

/// Plans, checks the plan against the registry (edits applied, re-evaluated: what remains is
/// exactly the unfixable list), checks idempotence, and returns the plan.
fn plan_with(json: &str, (level, version): (Level, Version), options: Options) -> Plan {
    let registry = Registry::builtin();
    let p = pod(json);
    let plan = fix::plan(registry, level, version, &p.metadata, &p.spec, options);
    let mut meta = p.metadata.clone();
    let mut spec = p.spec.clone();
    fix::apply(plan.edit_list(), &mut meta, &mut spec).expect("plan applies");
    let after = registry.evaluate(level, version, &meta, &spec);
    assert_eq!(after, plan.after);
    let remaining: Vec<_> = after.check_ids().collect();
    let unfixable: Vec<_> = plan.unfixable.iter().map(|u| u.check).collect();
    assert_eq!(remaining, unfixable);
    for u in &plan.unfixable {
        assert_ne!(u.why, fix::why::NO_RULE, "{}: no rule", u.check);
    }
    // Idempotence: the fixed pod needs nothing more.
    let again = fix::plan(registry, level, version, &meta, &spec, options);
    assert!(again.edits.is_empty(), "second plan: {:?}", again.edits);
    plan
}

fn plan(json: &str, lv: (Level, Version)) -> Plan {
    plan_with(json, lv, Options::MINIMAL)
}

fn edits(plan: &Plan) -> Vec<String> {
    plan.edit_list().map(ToString::to_string).collect()
}

fn unfixable(plan: &Plan) -> Vec<(String, String)> {
    plan.unfixable
        .iter()
        .map(|u| (u.check.to_string(), u.why.clone()))
        .collect()
}

#[test]
fn a_passing_pod_needs_no_edits() {
    let p = plan(r#"{"spec":{"containers":[{"name":"a"}]}}"#, BASELINE);
    assert!(p.edits.is_empty() && p.unfixable.is_empty() && p.passes());
}

#[test]
fn restricted_basics_on_a_bare_pod() {
    let p = plan(
        r#"{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}"#,
        RESTRICTED,
    );
    assert_eq!(
        edits(&p),
        [
            "set spec.containers[0].securityContext.allowPrivilegeEscalation = false",
            "set spec.containers[1].securityContext.allowPrivilegeEscalation = false",
            r#"set spec.containers[0].securityContext.capabilities.drop = ["ALL"]"#,
            r#"set spec.containers[1].securityContext.capabilities.drop = ["ALL"]"#,
            "set spec.securityContext.runAsNonRoot = true",
            r#"set spec.securityContext.seccompProfile.type = "RuntimeDefault""#,
        ]
    );
    assert!(p.passes());
}

#[test]
fn explicit_bad_values_are_replaced_with_minimal() {
    let p = plan(
        r#"{"spec":{"securityContext":{"runAsNonRoot":false,"seccompProfile":{"type":"Unconfined"}},
            "containers":[{"name":"a","securityContext":{"allowPrivilegeEscalation":true,
              "runAsNonRoot":false,"seccompProfile":{"type":"Unconfined"},
              "capabilities":{"drop":["NET_RAW"],"add":["NET_BIND_SERVICE","SYS_ADMIN","NET_RAW"]}}}]}}"#,
        RESTRICTED,
    );
    assert_eq!(
        edits(&p),
        [
            "set spec.containers[0].securityContext.allowPrivilegeEscalation = false",
            r#"add "ALL" to spec.containers[0].securityContext.capabilities.drop"#,
            "remove spec.containers[0].securityContext.capabilities.add[2]",
            "remove spec.containers[0].securityContext.capabilities.add[1]",
            "set spec.securityContext.runAsNonRoot = true",
            "set spec.containers[0].securityContext.runAsNonRoot = true",
            r#"set spec.securityContext.seccompProfile.type = "RuntimeDefault""#,
            "remove spec.containers[0].securityContext.seccompProfile",
        ]
    );
    assert!(p.passes());
}

#[test]
fn fill_unset_never_changes_explicit_values() {
    let json = r#"{"spec":{"containers":[
        {"name":"a","securityContext":{"allowPrivilegeEscalation":true,"capabilities":{"drop":["NET_RAW"]}}},
        {"name":"b"}]}}"#;
    let p = plan_with(json, RESTRICTED, Options::FILL_UNSET);
    assert_eq!(
        edits(&p),
        [
            "set spec.containers[1].securityContext.allowPrivilegeEscalation = false",
            r#"set spec.containers[1].securityContext.capabilities.drop = ["ALL"]"#,
            r#"set spec.securityContext.seccompProfile.type = "RuntimeDefault""#,
        ]
    );
    assert_eq!(
        unfixable(&p),
        [
            ("allowPrivilegeEscalation".into(), fix::why::EXPLICIT.into()),
            ("capabilities_restricted".into(), fix::why::EXPLICIT.into()),
            ("runAsNonRoot".into(), fix::why::NON_ROOT_UNKNOWN.into()),
        ]
    );
    // Every edit of a fill-unset plan adds a field that was not set.
    for e in p.edit_list() {
        assert!(matches!(e, fix::Edit::Set { .. }), "{e}");
    }
}

#[test]
fn fill_unset_with_a_default_uid_sets_run_as_non_root() {
    let options = Options {
        strategy: Strategy::FillUnset,
        non_root: NonRoot::WithUser(65532),
    };
    let p = plan_with(
        r#"{"spec":{"containers":[{"name":"a"}]}}"#,
        RESTRICTED,
        options,
    );
    assert!(edits(&p).contains(&"set spec.securityContext.runAsUser = 65532".to_owned()));
    assert!(edits(&p).contains(&"set spec.securityContext.runAsNonRoot = true".to_owned()));
    assert!(p.passes());
}

#[test]
fn root_users_are_reported_not_changed() {
    let p = plan(
        r#"{"spec":{"containers":[{"name":"a","securityContext":{"runAsUser":0}},{"name":"b"}]}}"#,
        RESTRICTED,
    );
    let e = edits(&p);
    assert!(e.contains(&"set spec.containers[1].securityContext.runAsNonRoot = true".to_owned()));
    assert!(
        !e.iter()
            .any(|e| e.contains("spec.securityContext.runAsNonRoot"))
    );
    assert!(!e.iter().any(|e| e.contains("runAsUser")));
    assert_eq!(
        unfixable(&p),
        [
            ("runAsNonRoot".into(), fix::why::ROOT_CONTAINER.into()),
            ("runAsUser".into(), fix::why::ROOT_USER.into()),
        ]
    );
}

#[test]
fn never_automatic_checks_are_reported_with_their_reason() {
    let p = plan(
        r#"{"spec":{"hostNetwork":true,"hostPID":true,
            "volumes":[{"name":"h","hostPath":{"path":"/"}}],
            "containers":[{"name":"a","securityContext":{"privileged":true,
              "seLinuxOptions":{"type":"spc_t"},"windowsOptions":{"hostProcess":true}},
              "ports":[{"containerPort":80,"hostPort":80}]}]}}"#,
        BASELINE,
    );
    assert!(p.edits.is_empty(), "{:?}", edits(&p));
    assert_eq!(
        unfixable(&p),
        [
            ("hostNamespaces".into(), fix::why::HOST_NAMESPACES.into()),
            ("hostPathVolumes".into(), fix::why::HOST_PATH.into()),
            ("hostPorts".into(), fix::why::HOST_NETWORK_PORTS.into()),
            ("privileged".into(), fix::why::PRIVILEGED.into()),
            ("seLinuxOptions".into(), fix::why::SELINUX.into()),
            ("windowsHostProcess".into(), fix::why::HOST_PROCESS.into()),
        ]
    );
    // Upstream's text, as the pod still fails.
    assert_eq!(
        p.unfixable[0].message(),
        "host namespaces (hostNetwork=true, hostPID=true)"
    );
}

#[test]
fn restricted_volumes_are_reported() {
    let p = plan(
        r#"{"spec":{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},
            "volumes":[{"name":"n","nfs":{"server":"x","path":"/"}}],
            "containers":[{"name":"a","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}}"#,
        RESTRICTED,
    );
    assert!(p.edits.is_empty());
    assert_eq!(
        unfixable(&p),
        [("restrictedVolumes".into(), fix::why::VOLUMES.into())]
    );
}

#[test]
fn privileged_containers_keep_privilege_escalation() {
    let p = plan(
        r#"{"spec":{"containers":[{"name":"a","securityContext":{"privileged":true}}]}}"#,
        RESTRICTED,
    );
    assert!(
        !edits(&p)
            .iter()
            .any(|e| e.contains("allowPrivilegeEscalation"))
    );
    let checks: Vec<_> = unfixable(&p);
    assert!(checks.contains(&(
        "allowPrivilegeEscalation".into(),
        fix::why::PRIVILEGED_ESCALATION.into()
    )));
}

#[test]
fn host_ports_probes_proc_mount_and_sysctls() {
    let p = plan(
        r#"{"spec":{"securityContext":{"sysctls":[{"name":"kernel.msgmax"},{"name":"net.ipv4.tcp_syncookies"},{"name":"kernel.sem"}]},
            "initContainers":[{"name":"i","securityContext":{"procMount":"Unmasked"}}],
            "containers":[{"name":"a","ports":[{"containerPort":80,"hostPort":8080},{"containerPort":81}],
              "livenessProbe":{"httpGet":{"host":"10.0.0.1","port":80}},
              "lifecycle":{"preStop":{"tcpSocket":{"host":"localhost","port":1}}}}]}}"#,
        BASELINE,
    );
    assert_eq!(
        edits(&p),
        [
            "remove spec.containers[0].ports[0].hostPort",
            "remove spec.containers[0].livenessProbe.httpGet.host",
            "remove spec.containers[0].lifecycle.preStop.tcpSocket.host",
            r#"set spec.initContainers[0].securityContext.procMount = "Default""#,
            "remove spec.securityContext.sysctls[2]",
            "remove spec.securityContext.sysctls[0]",
        ]
    );
    assert!(p.passes());
    // Every forbidden sysctl: the list goes.
    let p = plan(
        r#"{"spec":{"securityContext":{"sysctls":[{"name":"kernel.msgmax"}]},"containers":[{"name":"a"}]}}"#,
        BASELINE,
    );
    assert_eq!(edits(&p), ["remove spec.securityContext.sysctls"]);
}

#[test]
fn capabilities_at_baseline() {
    let p = plan(
        r#"{"spec":{"containers":[{"name":"a","securityContext":{"capabilities":{"add":["SYS_ADMIN"]}}},
            {"name":"b","securityContext":{"capabilities":{"add":["CHOWN","NET_RAW"]}}}]}}"#,
        BASELINE,
    );
    assert_eq!(
        edits(&p),
        [
            "remove spec.containers[0].securityContext.capabilities.add",
            "remove spec.containers[1].securityContext.capabilities.add[1]",
        ]
    );
}

#[test]
fn profiles_and_annotations() {
    let p = plan(
        r#"{"metadata":{"annotations":{"container.apparmor.security.beta.kubernetes.io/a":"unconfined"}},
            "spec":{"securityContext":{"appArmorProfile":{"type":"Unconfined"},"seccompProfile":{"type":"Unconfined"}},
            "containers":[{"name":"a","securityContext":{"appArmorProfile":{"type":"Localhost","localhostProfile":"p"},
              "seccompProfile":{"type":"Weird","localhostProfile":"x"}}}]}}"#,
        BASELINE,
    );
    assert_eq!(
        edits(&p),
        [
            r#"set spec.securityContext.appArmorProfile.type = "RuntimeDefault""#,
            r#"set metadata.annotations["container.apparmor.security.beta.kubernetes.io/a"] = "runtime/default""#,
            r#"set spec.securityContext.seccompProfile.type = "RuntimeDefault""#,
            "remove spec.containers[0].securityContext.seccompProfile.localhostProfile",
            r#"set spec.containers[0].securityContext.seccompProfile.type = "RuntimeDefault""#,
        ]
    );
    // Seccomp annotations, for policies before v1.19.
    let p = plan(
        r#"{"metadata":{"annotations":{"seccomp.security.alpha.kubernetes.io/pod":"unconfined"}},
            "spec":{"containers":[{"name":"a"}]}}"#,
        (Level::Baseline, Version::v1(18)),
    );
    assert_eq!(
        edits(&p),
        [
            r#"set metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"] = "runtime/default""#
        ]
    );
}

#[test]
fn windows_pods_before_v1_25_cannot_take_linux_fields() {
    let p = plan(
        r#"{"spec":{"os":{"name":"windows"},"securityContext":{"runAsNonRoot":true},"containers":[{"name":"a"}]}}"#,
        (Level::Restricted, Version::v1(24)),
    );
    assert!(p.edits.is_empty(), "{:?}", edits(&p));
    assert!(p.unfixable.iter().all(|u| u.why == fix::why::WINDOWS));
    // From v1.25 they are exempt: nothing to do.
    let p = plan(
        r#"{"spec":{"os":{"name":"windows"},"securityContext":{"runAsNonRoot":true},"containers":[{"name":"a"}]}}"#,
        (Level::Restricted, Version::v1(25)),
    );
    assert!(p.edits.is_empty() && p.passes());
}

#[test]
fn edits_serialize_as_json_values() {
    let p = plan(r#"{"spec":{"containers":[{"name":"a"}]}}"#, RESTRICTED);
    let values: Vec<String> = p
        .edit_list()
        .filter_map(|e| match e {
            fix::Edit::Set { value, .. } => Some(serde_json::to_string(value).expect("json")),
            _ => None,
        })
        .collect();
    assert_eq!(
        values,
        ["false", r#"["ALL"]"#, "true", r#""RuntimeDefault""#]
    );
}

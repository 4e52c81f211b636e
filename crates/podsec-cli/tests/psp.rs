//! `podsec psp`: PodSecurityPolicies mapped to Pod Security levels through probe pods.

use serde_json::Value;
use support::{Scratch, podsec};

mod support;

const POLICIES: &str = "crates/podsec-cli/tests/data/psp/policies.yaml";
const PODS: &str = "crates/podsec-cli/tests/data/psp/pods.yaml";

/// `podsec psp --format json` on one policy written to a scratch file.
fn one(policy: &str) -> (i32, Value) {
    let scratch = Scratch::new();
    let file = scratch.write("psp.yaml", policy);
    let run = podsec(&["psp", "--format", "json", &file]);
    (run.code, run.json())
}

/// A policy admitting nothing beyond baseline, plus `extra` spec lines.
fn policy(extra: &str) -> String {
    format!(
        "apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: probe
  annotations:
    seccomp.security.alpha.kubernetes.io/allowedProfileNames: runtime/default
    seccomp.security.alpha.kubernetes.io/defaultProfileName: runtime/default
    apparmor.security.beta.kubernetes.io/allowedProfileNames: runtime/default
spec:
  allowPrivilegeEscalation: false
  requiredDropCapabilities: [ALL]
  volumes: [configMap, secret]
  runAsUser: {{rule: MustRunAsNonRoot}}
  seLinux: {{rule: MustRunAs, seLinuxOptions: {{type: container_t}}}}
  supplementalGroups: {{rule: RunAsAny}}
  fsGroup: {{rule: RunAsAny}}
{extra}"
    )
}

fn blockers(report: &Value) -> Vec<(String, String)> {
    report["policies"][0]["blockers"]
        .as_array()
        .expect("test data")
        .iter()
        .map(|b| {
            (
                b["level"].as_str().expect("test data").to_owned(),
                b["field"].as_str().expect("test data").to_owned(),
            )
        })
        .collect()
}

#[test]
fn realistic_policies_text_and_json() {
    let run = podsec(&["psp", POLICIES, PODS]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("psp_policies_text", run.stdout);
    let run = podsec(&["psp", "--format", "json", POLICIES, PODS]);
    let report = run.json();
    let levels: Vec<(&str, &str)> = report["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["level"].as_str().unwrap()))
        .collect();
    assert_eq!(
        levels,
        [
            ("privileged", "privileged"),
            ("default", "privileged"),
            ("restricted", "baseline"),
            ("baseline", "baseline"),
        ]
    );
    // Which namespaces each policy admitted pods in, from `kubernetes.io/psp`.
    assert_eq!(report["policies"][2]["covered"][0]["namespace"], "shop");
    assert_eq!(report["policies"][2]["covered"][0]["pods"], 2);
    assert_eq!(report["unknownPolicies"][0]["name"], "vendor-agent");
    insta::assert_snapshot!("psp_policies_json", run.stdout);
}

#[test]
fn each_field_blocks_what_its_probe_fails() {
    let (code, report) = one(&policy(""));
    assert_eq!(code, 0);
    // Only the runAsUser rule: a non-zero runAsUser without runAsNonRoot passes the PSP.
    assert_eq!(report["policies"][0]["level"], "baseline");
    assert_eq!(
        blockers(&report),
        [(
            "restricted".to_owned(),
            "spec.runAsUser.rule: MustRunAsNonRoot (a non-zero runAsUser without runAsNonRoot)"
                .to_owned()
        )]
    );

    let (_, report) = one(&policy(
        "  hostNetwork: true\n  hostPorts: [{min: 8000, max: 8080}]\n",
    ));
    assert_eq!(report["policies"][0]["level"], "privileged");
    let found = blockers(&report);
    assert!(
        found.contains(&("baseline".into(), "spec.hostNetwork: true".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("baseline".into(), "spec.hostPorts: 8000-8080".into())),
        "{found:?}"
    );
    let host = &report["policies"][0]["blockers"][0];
    assert_eq!(host["checks"][0], "hostNamespaces");

    let (_, report) = one(&policy("").replace(
        "allowedProfileNames: runtime/default\n    seccomp.security.alpha.kubernetes.io/defaultProfileName",
        "allowedProfileNames: runtime/default,unconfined\n    seccomp.security.alpha.kubernetes.io/defaultProfileName",
    ));
    assert_eq!(report["policies"][0]["level"], "privileged");
    assert!(blockers(&report).contains(&(
        "baseline".into(),
        "annotation seccomp.security.alpha.kubernetes.io/allowedProfileNames: unconfined".into()
    )));
}

#[test]
fn levels_by_version() {
    // net.ipv4.tcp_keepalive_time is a safe sysctl since v1.29; container_engine_t an
    // allowed SELinux type since v1.31.
    let (_, report) = one(&policy(
        "  allowedUnsafeSysctls: [net.ipv4.tcp_keepalive_time]\n",
    ));
    let versions = &report["policies"][0]["versions"];
    assert_eq!(versions[0]["level"], "privileged");
    assert_eq!(versions[0]["to"], "v1.28");
    assert_eq!(versions[1]["from"], "v1.29");
    assert_eq!(versions[1]["level"], "baseline");
    assert_eq!(versions[1]["to"], "latest");

    let (_, report) = one(&policy("").replace("type: container_t", "type: container_engine_t"));
    let versions = &report["policies"][0]["versions"];
    assert_eq!(versions[1]["from"], "v1.31");
    assert_eq!(versions[1]["level"], "baseline");
}

#[test]
fn bad_fields_are_named() {
    let (code, report) =
        one(&policy("").replace("volumes: [configMap, secret]", "volumes: configMap"));
    assert_eq!(code, 2);
    let message = report["problems"][0]["message"].as_str().unwrap();
    assert_eq!(
        message,
        "PodSecurityPolicy probe: spec.volumes: expected a list of strings"
    );
    assert!(
        report["problems"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("psp.yaml")
    );

    let (code, report) = one(&policy("").replace("[configMap, secret]", "[configMap, hostpath]"));
    assert_eq!(code, 2);
    assert!(
        report["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown volume type \"hostpath\"")
    );

    let run = podsec(&["psp", "snapshots/demo-cluster.yaml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no PodSecurityPolicy"),
        "{}",
        run.stderr
    );
}

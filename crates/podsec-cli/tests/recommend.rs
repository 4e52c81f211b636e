//! `podsec recommend`: the strictest level per workload and namespace, its versions, the
//! labels to set and the next level's blockers (snapshots on the demo cluster and the
//! examples, and behaviour on small inputs).

use std::path::Path;

use serde_json::Value;
use support::{Run, Scratch, podsec_in, root};

mod support;

/// `podsec recommend <args>` in `dir`.
fn recommend_in(dir: &Path, args: &[&str]) -> Run {
    podsec_in(dir, &[&["recommend"], args].concat())
}

fn recommend(args: &[&str]) -> Run {
    recommend_in(&root(), args)
}

fn namespace<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["namespaces"]
        .as_array()
        .expect("namespaces")
        .iter()
        .find(|n| n["name"] == name)
        .unwrap_or_else(|| panic!("namespace {name} in {report}"))
}

fn workload<'a>(report: &'a Value, kind: &str, name: &str) -> &'a Value {
    report["workloads"]
        .as_array()
        .expect("workloads")
        .iter()
        .find(|w| w["kind"] == kind && w["name"] == name)
        .unwrap_or_else(|| panic!("{kind} {name} in {report}"))
}

#[test]
fn demo_cluster_text() {
    let run = recommend(&["snapshots/demo-cluster.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("demo_cluster_text", run.stdout);
}

#[test]
fn demo_cluster_json() {
    let run = recommend(&["snapshots/demo-cluster.yaml", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("demo_cluster_json", run.stdout);
}

#[test]
fn examples_text() {
    let run = recommend(&["examples"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("examples_text", run.stdout);
}

#[test]
fn examples_json() {
    let run = recommend(&["examples", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("examples_json", run.stdout);
}

#[test]
fn demo_cluster_answers_per_controller_and_namespace() {
    let report = recommend(&["snapshots/demo-cluster.yaml", "--format", "json"]).json();
    // Pods are grouped under their controller: one answer for kube-proxy and its 3 pods.
    let proxy = workload(&report, "DaemonSet", "kube-proxy");
    assert_eq!(proxy["pods"], 3);
    assert_eq!(proxy["strictest"], "privileged");
    assert_eq!(proxy["namespace"], "kube-system");
    assert_eq!(proxy["file"], "snapshots/demo-cluster.yaml");
    assert!(proxy["doc"].is_u64() && proxy["line"].is_u64());
    assert_eq!(proxy["apiVersion"], "apps/v1");
    let checks: Vec<&str> = proxy["next"]["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["check"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["hostNamespaces", "hostPathVolumes", "privileged"]);
    assert!(
        !report["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["kind"] == "Pod" && w["name"].as_str().unwrap().starts_with("kube-proxy-")),
        "the DaemonSet's pods are not answered for on their own"
    );

    // The namespace: the strictest level all its units pass, and what blocks baseline.
    let system = namespace(&report, "kube-system");
    assert_eq!(system["strictest"], "privileged");
    assert_eq!(system["nextLevel"], "baseline");
    assert_eq!(system["blockers"][0]["name"], "kube-proxy");

    // An empty namespace: restricted, at every version.
    let empty = namespace(&report, "kube-public");
    assert_eq!(empty["strictest"], "restricted");
    assert_eq!(empty["versions"]["oldest"], "v1.0");
    assert_eq!(empty["change"], "tighten");
    assert_eq!(
        empty["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );

    // payments enforces restricted:v1.30, yet its debug pod violates it.
    let payments = namespace(&report, "payments");
    assert_eq!(payments["strictest"], "baseline");
    assert_eq!(payments["change"], "looser");
    assert_eq!(payments["current"]["enforce"], "restricted:v1.30");
    assert_eq!(payments["violating"][0]["name"], "debug-shell");

    // The recommended pin without --kube-version: the newest version it holds for.
    let newest = report["versions"]["newest"].as_str().unwrap();
    assert_eq!(
        payments["labels"]["pod-security.kubernetes.io/enforce-version"],
        newest
    );
}

#[test]
fn kube_version_is_the_pin() {
    let report = recommend(&[
        "snapshots/demo-cluster.yaml",
        "--kube-version",
        "v1.30",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(report["versions"]["newest"], "v1.30");
    for ns in report["namespaces"].as_array().unwrap() {
        assert_eq!(
            ns["labels"]["pod-security.kubernetes.io/enforce-version"], "v1.30",
            "{ns}"
        );
    }
    // payments enforces restricted:v1.30 already: the pin matches, the level is looser.
    assert_eq!(namespace(&report, "payments")["change"], "looser");
}

const SECCOMP_ONLY: &str = "apiVersion: v1
kind: Pod
metadata: {name: almost, namespace: apps}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - name: c
    image: nginx
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
";

#[test]
fn a_level_passing_at_older_versions_says_so() {
    // Restricted requires a seccomp profile since v1.19: before, this pod passes it.
    let dir = Scratch::with(&[("pod.yaml", SECCOMP_ONLY)]);
    let report = recommend_in(&dir, &["pod.yaml", "--format", "json"]).json();
    let pod = workload(&report, "Pod", "almost");
    assert_eq!(pod["strictest"], "baseline");
    assert_eq!(pod["next"]["level"], "restricted");
    assert_eq!(
        pod["next"]["passesAt"],
        serde_json::json!([{"from": "v1.0", "to": "v1.18"}])
    );
    assert_eq!(
        pod["next"]["blockers"][0]["check"],
        "seccompProfile_restricted"
    );
    assert_eq!(pod["next"]["blockers"][0]["reason"], "seccompProfile");
    assert_eq!(
        pod["next"]["blockers"][0]["fields"][0],
        "spec.containers[0].securityContext.seccompProfile.type"
    );
    let text = recommend_in(&dir, &["pod.yaml"]);
    assert!(
        text.stdout
            .contains("restricted blocked at latest by (passes at v1.0–v1.18):"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_level_allowed_since_a_version_starts_its_range_there() {
    // A pod with a sysctl baseline allows only since v1.27 (net.ipv4.ip_local_reserved_ports
    // was added then): baseline passes from v1.27 on, not before.
    let pod = "apiVersion: v1
kind: Pod
metadata: {name: sysctl, namespace: apps}
spec:
  securityContext:
    sysctls: [{name: net.ipv4.ip_local_reserved_ports, value: '1024'}]
  containers: [{name: c, image: nginx}]
";
    let dir = Scratch::with(&[("pod.yaml", pod)]);
    let report = recommend_in(&dir, &["pod.yaml", "--format", "json"]).json();
    let pod = workload(&report, "Pod", "sysctl");
    assert_eq!(pod["strictest"], "baseline");
    assert_eq!(pod["versions"]["oldest"], "v1.27");
    let ns = namespace(&report, "apps");
    assert_eq!(ns["versions"]["oldest"], "v1.27");
}

#[test]
fn identical_replicas_are_one_answer_and_exemptions_come_from_the_config() {
    let mut text = String::from(
        "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps, uid: d1}
spec:
  replicas: 40
  template:
    spec:
      containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
",
    );
    for i in 0..40 {
        text.push_str(&format!(
            "---
apiVersion: v1
kind: Pod
metadata:
  name: web-{i}
  namespace: apps
  ownerReferences: [{{kind: Deployment, name: web, uid: d1, controller: true}}]
spec:
  containers: [{{name: c, image: nginx, securityContext: {{privileged: true}}}}]
"
        ));
    }
    let config = "apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults: {enforce: baseline}
exemptions: {namespaces: [apps]}
";
    let dir = Scratch::with(&[("web.yaml", &text), ("config.yaml", config)]);
    let report = recommend_in(
        &dir,
        &["web.yaml", "--config", "config.yaml", "--format", "json"],
    )
    .json();
    assert_eq!(report["workloads"].as_array().unwrap().len(), 1);
    assert_eq!(report["summary"]["pods"], 40);
    assert_eq!(report["summary"]["distinctTemplates"], 1);
    let web = workload(&report, "Deployment", "web");
    assert_eq!(web["replicas"], 40);
    assert_eq!(web["pods"], 40);
    let ns = namespace(&report, "apps");
    // The configuration's default applies to the unlabelled namespace, and exempts it.
    assert_eq!(ns["current"]["enforce"], "baseline:latest");
    assert_eq!(ns["current"]["exempt"], true);
    assert_eq!(ns["change"], "looser");
    assert_eq!(ns["blockers"][0]["blockers"][0]["check"], "privileged");
}

#[test]
fn unreadable_inputs_are_named_and_exit_2() {
    let run = recommend(&["no/such/file.yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no/such/file.yaml"), "{}", run.stderr);

    let dir = Scratch::with(&[("pod.yaml", SECCOMP_ONLY), ("config.yaml", "kind: Nope\n")]);
    let run = recommend_in(&dir, &["pod.yaml", "--config", "config.yaml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--config config.yaml"),
        "{}",
        run.stderr
    );
}

#[test]
fn output_goes_to_a_file() {
    let dir = Scratch::with(&[("pod.yaml", SECCOMP_ONLY)]);
    let run = recommend_in(&dir, &["pod.yaml", "-o", "out.json", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out.json")).unwrap()).unwrap();
    assert_eq!(written["namespaces"][0]["name"], "apps");
}

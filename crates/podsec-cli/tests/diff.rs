//! `podsec diff`: what changes between two policy versions.

use podsec_policy::{Level, Registry, Version};
use serde_json::Value;
use support::{Scratch, podsec, root};

mod support;

const PINS: &str = "crates/podsec-cli/tests/data/diff/version-pins.yaml";
const DEMO: &str = "snapshots/demo-cluster.yaml";

fn changes(report: &Value) -> Vec<(String, String)> {
    report["results"]
        .as_array()
        .expect("test data")
        .iter()
        .map(|r| {
            (
                r["name"].as_str().expect("test data").to_owned(),
                r["change"].as_str().expect("test data").to_owned(),
            )
        })
        .collect()
}

#[test]
fn moving_the_pins_classifies_every_change() {
    let run = podsec(&["diff", "--from", "v1.21", "--to", "v1.34", PINS]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!("diff_pins_text", run.stdout);
    let run = podsec(&[
        "diff", "--from", "v1.21", "--to", "v1.34", "--format", "json", PINS,
    ]);
    assert_eq!(run.code, 1);
    let report = run.json();
    assert_eq!(
        changes(&report),
        [
            ("api".into(), "newly-denied".into()),
            ("edge-proxy".into(), "newly-denied".into()),
            ("keepalive-probe".into(), "newly-allowed".into()),
            ("toolbox".into(), "message-changed".into()),
        ]
    );
    insta::assert_snapshot!("diff_pins_json", run.stdout);
}

#[test]
fn messages_are_the_registrys() {
    let run = podsec(&[
        "diff", "--from", "v1.21", "--to", "v1.34", "--format", "json", PINS,
    ]);
    let report = run.json();
    let toolbox = &report["results"][3];
    assert_eq!(toolbox["name"], "toolbox");
    // The same pod, evaluated by the library directly.
    let pod: podsec_manifest::Object =
        podsec_manifest::decode(&std::fs::read_to_string(root().join(PINS)).unwrap())
            .into_iter()
            .filter_map(|e| match e.unwrap() {
                podsec_manifest::Entry::Object(o) if o.name == "toolbox" => Some(o),
                _ => None,
            })
            .next()
            .unwrap();
    let registry = Registry::builtin();
    for (side, version) in [("from", Version::v1(21)), ("to", Version::v1(34))] {
        let evaluation = registry.evaluate(
            Level::Restricted,
            version,
            &pod.template.metadata,
            &pod.template.spec,
        );
        assert_eq!(toolbox[side]["message"], evaluation.forbidden_detail());
    }
}

#[test]
fn same_version_changes_nothing() {
    let run = podsec(&["diff", "--from", "v1.30", "--to", "v1.30", PINS]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("4 objects compared: 0 newly denied, 0 newly allowed, 0 with another message, 4 unchanged"), "{}", run.stdout);
}

#[test]
fn kube_version_decides_what_latest_means() {
    // On a v1.33 cluster, `latest` is v1.33: the probe host check does not exist yet.
    let run = podsec(&[
        "diff",
        "--from",
        "v1.21",
        "--to",
        "latest",
        "--kube-version",
        "v1.33",
        "--format",
        "json",
        PINS,
    ]);
    let report = run.json();
    assert_eq!(report["toEffective"], "v1.33");
    assert!(
        !changes(&report)
            .iter()
            .any(|(name, _)| name == "edge-proxy")
    );
    let run = podsec(&[
        "diff", "--from", "v1.21", "--to", "latest", "--format", "json", PINS,
    ]);
    assert!(
        changes(&run.json())
            .iter()
            .any(|(name, _)| name == "edge-proxy")
    );
}

#[test]
fn demo_cluster_at_restricted() {
    let run = podsec(&[
        "diff",
        "--from",
        "v1.0",
        "--to",
        "latest",
        "--level",
        "restricted",
        DEMO,
    ]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("diff_demo_restricted_text", run.stdout);
    let run = podsec(&[
        "diff",
        "--from",
        "v1.0",
        "--to",
        "latest",
        "--level",
        "restricted",
        "--format",
        "json",
        DEMO,
    ]);
    insta::assert_snapshot!("diff_demo_restricted_json", run.stdout);
}

#[test]
fn errors_exit_two() {
    let run = podsec(&["diff", "--from", "v1.21", "--to", "v1.x", PINS]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--to"), "{}", run.stderr);
    let run = podsec(&["diff", "--from", "v1.21", "--to", "latest", "missing.yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("error: missing.yaml"), "{}", run.stdout);
}

#[test]
fn config_defaults_and_exemptions_decide_unlabelled_namespaces() {
    let scratch = Scratch::new();
    let dir = scratch.path();
    let config = dir.join("config.yaml");
    std::fs::write(
        &config,
        "apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults: {enforce: restricted}
exemptions: {namespaces: [kube-system]}
",
    )
    .expect("config");
    let args = [
        "diff", "--from", "v1.0", "--to", "latest", "--format", "json", DEMO,
    ];
    let without = podsec(&args).json();
    let mut with_config = args.to_vec();
    with_config.extend(["--config", config.to_str().expect("UTF-8 path")]);
    let with = podsec(&with_config).json();
    // Without a configuration, unlabelled namespaces are privileged: nothing to compare.
    assert_eq!(without["summary"]["privileged"], 8);
    assert_eq!(without["summary"]["exempt"], 0);
    // With it, they enforce restricted (kube-system's two units are exempt).
    assert_eq!(with["summary"]["privileged"], 0);
    assert_eq!(with["summary"]["exempt"], 2);
    assert!(
        changes(&with)
            .iter()
            .any(|(name, change)| name == "migrate-2026-11" && change == "message-changed"),
        "{with}"
    );
}

#[test]
fn pods_of_an_older_template_are_compared_on_their_own() {
    // The Deployment's template drops ALL; a pod of the old ReplicaSet does not.
    let text = "apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {pod-security.kubernetes.io/enforce: restricted}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: site, namespace: web, uid: d1}
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: c
        image: i
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Pod
metadata:
  name: site-old-x1
  namespace: web
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: site-old, uid: rs0, controller: true}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: site-old
  namespace: web
  uid: rs0
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: site, uid: d1, controller: true}]
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: c
        image: i
        securityContext: {allowPrivilegeEscalation: false}
";
    // The pod's spec is the old ReplicaSet's template.
    let old_spec = "spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: i
    securityContext: {allowPrivilegeEscalation: false}
";
    let text = text.replacen(
        "controller: true}]\n---\napiVersion: apps/v1\nkind: ReplicaSet",
        &format!("controller: true}}]\n{old_spec}---\napiVersion: apps/v1\nkind: ReplicaSet"),
        1,
    );
    let dir = std::env::temp_dir().join(format!("podsec-diff-{}-older", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let file = dir.join("web.yaml");
    std::fs::write(&file, text).expect("write");
    let run = podsec(&[
        "diff",
        "--from",
        "v1.21",
        "--to",
        "v1.22",
        "--format",
        "json",
        file.to_str().expect("UTF-8 path"),
    ]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    assert_eq!(
        changes(&report),
        [("site-old-x1".to_owned(), "newly-denied".to_owned())]
    );
    assert_eq!(report["results"][0]["differsFrom"], "Deployment web/site");
    assert_eq!(report["summary"]["compared"], 1);
    assert_eq!(report["summary"]["unchanged"], 1);
}

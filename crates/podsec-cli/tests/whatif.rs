//! `podsec whatif`: the API server's answer to a namespace relabel, byte for byte, then the
//! full report.

use podsec_admission::config::{AdmissionConfig, load};
use podsec_admission::decode::PodTemplate;
use podsec_admission::review::decode_review;
use podsec_admission::{Admission, ListedPod, NoopRecorder, StaticNamespaces, StaticPods};
use podsec_manifest::Entry;
use podsec_policy::Version;
use podsec_policy::defaults::apply_cluster_defaults;
use serde_json::{Value, json};
use support::{Scratch, podsec, root};

mod support;

const DEMO: &str = "snapshots/demo-cluster.yaml";

/// The admission engine's answer to relabelling `namespace` of `text` from its labels to
/// `new_labels`, built here from the engine's public API and the manifest decoder (not
/// through the CLI), then rendered as `kubectl label` prints it.
fn engine_answer(text: &str, namespace: &str, new_labels: Value) -> String {
    let mut pods = StaticPods::default();
    let mut old_labels = json!({});
    for entry in podsec_manifest::decode(text) {
        match entry.expect("decodes") {
            Entry::Namespace(ns) if ns.name == namespace => {
                old_labels = serde_json::to_value(&ns.labels).expect("test data");
            }
            Entry::Object(object)
                if object.kind == "Pod" && object.namespace.as_deref() == Some(namespace) =>
            {
                let owner = object.template.location.owner();
                let mut template = object.template;
                apply_cluster_defaults(
                    &mut template.metadata,
                    &mut template.spec,
                    owner,
                    Version::Latest,
                );
                pods.insert(
                    namespace,
                    ListedPod {
                        name: object.name.clone(),
                        controller_uid: object
                            .ownership
                            .controller
                            .map(|c| c.uid)
                            .filter(|u| !u.is_empty()),
                        pod: PodTemplate {
                            metadata: template.metadata,
                            spec: template.spec,
                        },
                    },
                );
            }
            _ => {}
        }
    }
    let review = json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "1",
            "kind": {"group": "", "version": "v1", "kind": "Namespace"},
            "resource": {"group": "", "version": "v1", "resource": "namespaces"},
            "name": namespace,
            "namespace": namespace,
            "operation": "UPDATE",
            "userInfo": {"username": "admin"},
            "object": {"apiVersion": "v1", "kind": "Namespace",
                       "metadata": {"name": namespace, "labels": new_labels}},
            "oldObject": {"apiVersion": "v1", "kind": "Namespace",
                          "metadata": {"name": namespace, "labels": old_labels}},
        }
    });
    let (_, request) = decode_review(review.to_string().as_bytes()).expect("review");
    let config = AdmissionConfig::new(&load(b"").expect("test data")).expect("test data");
    let engine = Admission::new(config, StaticNamespaces::default(), pods, NoopRecorder);
    let response = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(engine.validate(&request));
    let mut out = String::new();
    for warning in &response.warnings {
        out.push_str(&format!("Warning: {warning}\n"));
    }
    match &response.status {
        Some(status) if !response.allowed => out.push_str(&format!(
            "Error from server ({}): {}\n",
            status.reason, status.message
        )),
        _ => out.push_str(&format!("namespace/{namespace} labeled\n")),
    }
    out
}

/// The bounded part of the text output: after the `$ kubectl label` line, up to the blank
/// line.
fn bounded(stdout: &str) -> String {
    let mut lines = stdout.split_inclusive('\n');
    let first = lines.next().expect("a command line");
    assert!(
        first.starts_with("$ kubectl label --overwrite namespace "),
        "{first}"
    );
    lines.take_while(|l| *l != "\n").collect()
}

#[test]
fn bounded_part_is_the_engines_namespace_update_response() {
    let text = std::fs::read_to_string(root().join(DEMO)).unwrap();
    let run = podsec(&["whatif", "-n", "shop", "--enforce", "restricted", DEMO]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let expected = engine_answer(
        &text,
        "shop",
        json!({
            "kubernetes.io/metadata.name": "shop",
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
        }),
    );
    assert!(expected.contains("violate the new PodSecurity enforce level"));
    assert_eq!(bounded(&run.stdout), expected);

    // A version pin and another namespace, through JSON this time.
    let run = podsec(&[
        "whatif",
        "-n",
        "monitoring",
        "--enforce",
        "baseline:v1.30",
        "--format",
        "json",
        DEMO,
    ]);
    let expected = engine_answer(
        &text,
        "monitoring",
        json!({
            "kubernetes.io/metadata.name": "monitoring",
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/enforce-version": "v1.30",
        }),
    );
    let report = run.json();
    assert_eq!(report["namespaces"][0]["apiServer"]["kubectl"], expected);
}

#[test]
fn invalid_labels_are_rejected_as_the_api_server_does() {
    let text = std::fs::read_to_string(root().join(DEMO)).unwrap();
    let run = podsec(&[
        "whatif",
        "-n",
        "shop",
        "--enforce",
        "strict",
        "--warn",
        "baseline:1.30",
        DEMO,
    ]);
    assert_eq!(run.code, 1);
    let expected = engine_answer(
        &text,
        "shop",
        json!({
            "kubernetes.io/metadata.name": "shop",
            "pod-security.kubernetes.io/enforce": "strict",
            "pod-security.kubernetes.io/warn": "baseline",
            "pod-security.kubernetes.io/warn-version": "1.30",
            "pod-security.kubernetes.io/audit": "restricted",
        }),
    );
    assert!(expected.starts_with("Error from server (Invalid): Namespace \"shop\" is invalid: "));
    assert_eq!(bounded(&run.stdout), expected);
    assert!(run.stdout.contains("the API server rejects the change"));
}

#[test]
fn demo_cluster_shop_restricted() {
    let run = podsec(&["whatif", "-n", "shop", "--enforce", "restricted", DEMO]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("whatif_shop_restricted_text", run.stdout);
    let run = podsec(&[
        "whatif",
        "-n",
        "shop",
        "--enforce",
        "restricted",
        "--format",
        "json",
        DEMO,
    ]);
    let report = run.json();
    // The scaled-to-zero Deployment has no pods: the API server never sees it.
    let legacy = report["namespaces"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "legacy-importer")
        .expect("the scaled-to-zero Deployment is reported");
    assert_eq!(legacy["checkedByApiServer"], false);
    assert_eq!(legacy["notChecked"], "no-pods");
    assert_eq!(legacy["replicas"], 0);
    insta::assert_snapshot!("whatif_shop_restricted_json", run.stdout);
}

#[test]
fn demo_cluster_all_namespaces() {
    let run = podsec(&["whatif", "-A", "--enforce", "baseline", DEMO]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!("whatif_all_baseline_text", run.stdout);

    // Exempt namespaces are left alone, and said so.
    let scratch = Scratch::new();
    let dir = scratch.path();
    let config = dir.join("config.yaml");
    std::fs::write(
        &config,
        "apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults: {enforce: privileged}
exemptions: {namespaces: [kube-system, monitoring]}
",
    )
    .unwrap();
    let run = podsec(&[
        "whatif",
        "-A",
        "--enforce",
        "baseline",
        "--config",
        config.to_str().unwrap(),
        "--format",
        "json",
        DEMO,
    ]);
    let report = run.json();
    let skipped: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["namespace"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["kube-system", "monitoring"]);
    let names: Vec<&str> = report["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["namespace"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"kube-system") && names.contains(&"batch"));
    // batch: the Job with SYS_ADMIN and the ReplicationController with a hostPort.
    assert_eq!(run.code, 1);
}

#[test]
fn loosening_checks_no_pod_and_exits_zero() {
    let run = podsec(&[
        "whatif",
        "-n",
        "payments",
        "--enforce",
        "baseline:v1.30",
        "--format",
        "json",
        DEMO,
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let ns = &run.json()["namespaces"][0];
    assert_eq!(ns["apiServer"]["podsListed"], false);
    assert_eq!(ns["apiServer"]["kubectl"], "namespace/payments labeled\n");
    assert_eq!(ns["summary"]["enforce"], 0);
}

#[test]
fn pods_past_the_budget_are_reported() {
    // 3,010 pods of their own, each a violation: upstream checks the first 3,000.
    let mut text = String::from(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: big\n  labels: {kubernetes.io/metadata.name: big}\n",
    );
    for i in 0..3010 {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i:04}, namespace: big}}\nspec: {{hostNetwork: true, containers: [{{name: c, image: i}}]}}\n"
        ));
    }
    let scratch = Scratch::new();
    let dir = scratch.path();
    let file = dir.join("big.yaml");
    std::fs::write(&file, &text).unwrap();
    let run = podsec(&[
        "whatif",
        "-n",
        "big",
        "--enforce",
        "baseline",
        "--format",
        "json",
        file.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1);
    let ns = &run.json()["namespaces"][0];
    let kubectl = ns["apiServer"]["kubectl"].as_str().unwrap();
    assert!(
        kubectl.starts_with(
            "Warning: new PodSecurity enforce level only checked against the first 3000 of 3010 existing pods\n"
        ),
        "{kubectl}"
    );
    assert_eq!(
        kubectl,
        engine_answer(
            &text,
            "big",
            json!({
                "kubernetes.io/metadata.name": "big",
                "pod-security.kubernetes.io/enforce": "baseline",
            })
        )
    );
    let results = ns["results"].as_array().unwrap();
    assert_eq!(results.len(), 3010);
    let past: Vec<&str> = results
        .iter()
        .filter(|r| r["notChecked"] == "past-budget")
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(past.len(), 10);
    assert_eq!(past[0], "p3000");
    assert_eq!(ns["summary"]["enforceUnseenByApiServer"], 10);
}

/// Upstream's recorded namespace UPDATE reviews (`golden/admission/reviews.jsonl`), replayed
/// through `podsec whatif` with the recorded pods and configuration.
#[test]
fn recorded_namespace_updates() {
    let Some(corpus) = podsec_conformance::corpus() else {
        return;
    };
    let golden = corpus.join("golden/admission");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(golden.join("state.json")).unwrap()).unwrap();
    let scratch = Scratch::new();
    let dir = scratch.path();
    let mut replayed = 0;
    for line in std::fs::read_to_string(golden.join("reviews.jsonl"))
        .unwrap()
        .lines()
    {
        let recorded: Value = serde_json::from_str(line).unwrap();
        let request = &recorded["review"]["request"];
        if request["kind"]["kind"] != "Namespace" || request["operation"] != "UPDATE" {
            continue;
        }
        let name = request["name"].as_str().unwrap();
        let labels = |object: &str| {
            request[object]["metadata"]["labels"]
                .as_object()
                .cloned()
                .unwrap_or_default()
        };
        let (old, new) = (labels("oldObject"), labels("object"));
        // Only additions and changes can be said with flags.
        if old.keys().any(|k| !new.contains_key(k)) {
            continue;
        }
        let mut args: Vec<String> = vec!["whatif".into(), "--raw".into(), "-n".into(), name.into()];
        for mode in ["enforce", "audit", "warn"] {
            let key = format!("pod-security.kubernetes.io/{mode}");
            let version_key = format!("{key}-version");
            let changed = |k: &str| new.get(k) != old.get(k);
            if !changed(&key) && !changed(&version_key) {
                continue;
            }
            let level = new.get(&key).and_then(Value::as_str);
            let version = new.get(&version_key).and_then(Value::as_str);
            let Some(level) = level else { continue };
            args.push(format!("--{mode}"));
            args.push(match version {
                Some(v) if changed(&version_key) => format!("{level}:{v}"),
                _ => level.to_owned(),
            });
        }
        if !args
            .iter()
            .any(|a| ["--enforce", "--audit", "--warn"].contains(&a.as_str()))
        {
            continue;
        }
        let mut items = vec![json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": old}})];
        if let Some(pods) = state["pods"][name].as_array() {
            items.extend(pods.iter().cloned());
        }
        let file = dir.join(format!("{name}-{replayed}.json"));
        std::fs::write(
            &file,
            json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string(),
        )
        .unwrap();
        args.extend([
            "--config".into(),
            golden.join("config.yaml").to_string_lossy().into_owned(),
            "--format".into(),
            "json".into(),
            file.to_string_lossy().into_owned(),
        ]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = podsec(&refs);
        let report = run.json();
        let response = &report["namespaces"][0]["apiServer"]["response"];
        let expected = &recorded["response"];
        assert_eq!(response["allowed"], expected["allowed"], "{args:?}");
        assert_eq!(
            response.get("warnings").cloned().unwrap_or(json!([])),
            expected.get("warnings").cloned().unwrap_or(json!([])),
            "{args:?}"
        );
        replayed += 1;
    }
    assert!(replayed >= 5, "only {replayed} recorded updates replayed");
}

#[test]
fn pods_of_an_older_template_are_judged_on_their_own() {
    // The Deployment's template was fixed; one pod of the old ReplicaSet still runs the
    // host network.
    let text = "apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {kubernetes.io/metadata.name: web}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: site, namespace: web, uid: d1}
spec:
  replicas: 1
  template:
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: site-old
  namespace: web
  uid: rs0
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: site, uid: d1, controller: true}]
spec:
  replicas: 1
  template:
    spec: {hostNetwork: true, containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: site-old-x1
  namespace: web
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: site-old, uid: rs0, controller: true}]
spec: {hostNetwork: true, containers: [{name: c, image: i}]}
";
    let scratch = Scratch::new();
    let dir = scratch.path();
    let file = dir.join("web.yaml");
    std::fs::write(&file, text).expect("write");
    let run = podsec(&[
        "whatif",
        "-n",
        "web",
        "--enforce",
        "baseline",
        "--format",
        "json",
        file.to_str().expect("UTF-8 path"),
    ]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let ns = &run.json()["namespaces"][0];
    let results = ns["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["name"], "site-old-x1");
    assert_eq!(results[0]["differsFrom"], "Deployment web/site");
    assert_eq!(results[0]["checkedByApiServer"], true);
    assert!(
        ns["apiServer"]["kubectl"]
            .as_str()
            .expect("text")
            .contains("site-old-x1: host namespaces")
    );
}

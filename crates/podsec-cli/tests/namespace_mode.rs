//! Namespace mode against upstream: every golden AdmissionReview that creates a pod, a
//! workload or a namespace is turned back into a manifest (its object, in its namespace),
//! the golden cluster state into `Namespace` objects and the golden configuration into
//! `--config`; `podsec check --format json` must then report, for every object, exactly the
//! response upstream's webhook gave (allowed, status code, reason and message, warnings,
//! audit annotations).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use podsec_conformance::corpus;
use serde_json::{Value, json};

/// A golden review turned into a manifest object, with the response upstream gave.
struct Case {
    object: Value,
    want: Value,
}

fn golden(corpus: &Path) -> (Value, Vec<(String, String, Case)>) {
    let dir = corpus.join("golden/admission");
    let state: Value =
        serde_json::from_slice(&std::fs::read(dir.join("state.json")).expect("state.json"))
            .expect("state.json parses");
    let text = std::fs::read_to_string(dir.join("reviews.jsonl")).expect("reviews.jsonl");
    let mut cases = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let record: Value = serde_json::from_str(line).expect("review line");
        let request = &record["review"]["request"];
        if request["operation"] != "CREATE" || !request["subResource"].is_null() {
            continue;
        }
        let resource = request["resource"]["resource"].as_str().unwrap_or_default();
        let mut object = request["object"].clone();
        if !object.is_object() {
            continue;
        }
        // The object as a user would write it: in the request's namespace, with its name.
        let metadata = object["metadata"].as_object_mut().expect("metadata");
        if resource != "namespaces" {
            metadata.insert("namespace".into(), request["namespace"].clone());
        }
        if metadata.get("name").is_none_or(Value::is_null) {
            metadata.insert("name".into(), request["name"].clone());
        }
        let user = request["userInfo"]["username"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let group = if resource == "namespaces" {
            "namespaces"
        } else {
            "objects"
        };
        cases.push((
            group.to_owned(),
            user,
            Case {
                object,
                want: record["response"].clone(),
            },
        ));
    }
    (state, cases)
}

/// The golden cluster's namespaces as `Namespace` objects.
fn namespaces(state: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for (name, labels) in state["namespaces"].as_object().expect("namespaces") {
        let mut full = BTreeMap::new();
        for (key, value) in labels.as_object().expect("labels") {
            let key = if key.contains('/') {
                key.clone()
            } else {
                format!("pod-security.kubernetes.io/{key}")
            };
            full.insert(key, value.clone());
        }
        full.insert("kubernetes.io/metadata.name".to_owned(), json!(name));
        out.push(json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": full},
        }));
    }
    out
}

/// The admission object of upstream's response, as `podsec check` reports it.
fn expected(response: &Value) -> Value {
    let status = match &response["status"] {
        Value::Null => Value::Null,
        s => json!({"code": s["code"], "reason": s["reason"], "message": s["message"]}),
    };
    json!({
        "allowed": response["allowed"],
        "status": status,
        "warnings": response.get("warnings").cloned().unwrap_or(json!([])),
        "auditAnnotations": response.get("auditAnnotations").cloned().unwrap_or(json!({})),
    })
}

fn check(corpus: &Path, dir: &Path, objects: &[Value], username: &str) -> Value {
    let file = dir.join(format!("objects-{username}.json"));
    let text: String = objects
        .iter()
        .map(|o| serde_json::to_string(o).expect("JSON") + "\n")
        .collect();
    std::fs::write(&file, text).expect("writing the manifest");
    let config = corpus.join("golden/admission/config.yaml");
    let output = Command::new(env!("CARGO_BIN_EXE_podsec"))
        .args([
            "check",
            "--format",
            "json",
            "--raw",
            "--username",
            username,
            "--config",
        ])
        .arg(&config)
        .arg(&file)
        .env_remove("PODSEC_LEVEL")
        .env_remove("PODSEC_VERSION")
        .output()
        .expect("podsec runs");
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the report is JSON")
}

#[test]
fn namespace_mode_answers_like_upstreams_webhook() {
    let Some(corpus) = corpus() else {
        return;
    };
    let (state, cases) = golden(&corpus);
    let dir = std::env::temp_dir().join(format!("podsec-nsmode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");

    let mut groups: BTreeMap<(String, String), Vec<&Case>> = BTreeMap::new();
    for (group, user, case) in &cases {
        groups
            .entry((group.clone(), user.clone()))
            .or_default()
            .push(case);
    }
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for ((group, user), cases) in &groups {
        // Namespace creations are judged alone: their objects would replace the cluster's.
        let mut objects = if group == "namespaces" {
            Vec::new()
        } else {
            namespaces(&state)
        };
        let first = objects.len();
        objects.extend(cases.iter().map(|c| c.object.clone()));
        let report = check(&corpus, &dir, &objects, user);
        let results = report["results"].as_array().expect("results");
        assert_eq!(results.len(), objects.len(), "{}", report["errors"]);
        for (case, result) in cases.iter().zip(&results[first..]) {
            compared += 1;
            let want = expected(&case.want);
            if result["admission"] != want {
                mismatches.push(format!(
                    "{} {}:\n  want {want}\n  got  {}",
                    result["kind"], result["name"], result["admission"]
                ));
            }
            // Pods: podsec's verdict is the API server's; workloads are always admitted.
            if result["kind"] == "Pod" || result["kind"] == "Namespace" {
                assert_eq!(result["allowed"], want["allowed"], "{}", result["name"]);
            } else {
                assert_eq!(result["allowed"], json!(true), "{}", result["name"]);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "namespace mode: {} / {compared} golden CREATE reviews answered as upstream",
        compared - mismatches.len()
    );
    assert!(compared > 1000, "only {compared} reviews compared");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(10)].join("\n")
    );
}

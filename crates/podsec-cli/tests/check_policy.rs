//! `podsec check --policy FILE`: podsec's opt-in policy judged offline exactly as
//! `podsec serve --policy` judges it (image rules, fine-grained exemptions), and nothing
//! changes without the flag.

use std::path::Path;

use serde_json::Value;
use support::{Scratch, podsec_in};

mod support;

const MANIFESTS: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: team
  labels: {pod-security.kubernetes.io/enforce: baseline}
---
apiVersion: v1
kind: Pod
metadata: {name: untrusted, namespace: team}
spec:
  containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: team, labels: {app: node-agent}}
spec:
  containers:
  - name: c
    image: registry.example.com/agent:1
    ports: [{containerPort: 9100, hostPort: 9100}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team}
spec:
  template:
    spec:
      containers: [{name: c, image: docker.io/web:1}]
";

const POLICY: &str = "apiVersion: podsec.dev/v1alpha1
kind: PodsecPolicy
images:
- name: trusted-registries
  allowedRegistries: [registry.example.com]
exemptions:
- name: node-agents
  checks: [hostPorts]
  podSelector: {matchLabels: {app: node-agent}}
";

/// `podsec check --format json <args> manifests.yaml` in `dir`: (exit code, results by
/// name, stderr).
fn check(dir: &Path, args: &[&str]) -> (i32, Vec<(String, Value)>, String) {
    let run = podsec_in(
        dir,
        &[&["check", "--format", "json"], args, &["manifests.yaml"]].concat(),
    );
    let results = serde_json::from_str::<Value>(&run.stdout)
        .ok()
        .and_then(|report| report["results"].as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or_default().to_owned(),
                r["admission"].clone(),
            )
        })
        .collect();
    (run.code, results, run.stderr)
}

fn find<'a>(results: &'a [(String, Value)], name: &str) -> &'a Value {
    &results.iter().find(|(n, _)| n == name).expect(name).1
}

#[test]
fn check_applies_the_policy_as_serve_does() {
    let dir = Scratch::with(&[("manifests.yaml", MANIFESTS), ("policy.yaml", POLICY)]);
    let (code, with, stderr) = check(&dir, &["--policy", "policy.yaml"]);
    assert_eq!(code, 1, "{stderr}");
    let untrusted = find(&with, "untrusted");
    assert_eq!(untrusted["allowed"], false);
    assert_eq!(
        untrusted["status"]["message"],
        r#"pods "untrusted" is forbidden: violates podsec image policy: container "c" image "docker.io/library/nginx:latest" is not from an allowed registry (allowed: registry.example.com)"#
    );
    let agent = find(&with, "agent");
    assert_eq!(agent["allowed"], true, "{agent}");
    assert_eq!(
        agent["auditAnnotations"]["exempted-checks"],
        r#"hostPorts (exemption "node-agents")"#
    );
    let web = find(&with, "web");
    assert_eq!(web["allowed"], true);
    assert_eq!(
        web["warnings"][0],
        r#"would violate podsec image policy: container "c" image "docker.io/library/web:1" is not from an allowed registry (allowed: registry.example.com)"#
    );

    // Without --policy: upstream's answers.
    let (_, without, _) = check(&dir, &[]);
    assert_eq!(find(&without, "untrusted")["allowed"], true);
    assert_eq!(find(&without, "agent")["allowed"], false);
    assert_eq!(find(&without, "web")["warnings"], Value::Array(Vec::new()));
}

#[test]
fn an_invalid_policy_names_its_file_and_field() {
    let bad = POLICY.replace("[hostPorts]", "[hostPort]");
    let dir = Scratch::with(&[("manifests.yaml", MANIFESTS), ("bad.yaml", &bad)]);
    let (code, _, stderr) = check(&dir, &["--policy", "bad.yaml"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--policy bad.yaml: exemptions[0].checks[0]: unknown check"),
        "{stderr}"
    );
    let (code, _, stderr) = check(&dir, &["--policy", "bad.yaml", "--level", "baseline"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--policy"), "{stderr}");
}

//! `podsec audit` on manifests and snapshots: text, JSON and policy reports (snapshot
//! tests on `snapshots/demo-cluster.yaml` and `examples/`, with and without the example
//! `PodSecurityConfiguration`), the reports against the PolicyReport CRD's fields, exit
//! statuses, exemptions and label errors.

use std::path::Path;

use serde_json::Value;
use support::{Run, Scratch, command, root, run};

mod support;

/// A fixed `SOURCE_DATE_EPOCH` (2026-01-01T00:00:00Z): reproducible timestamps.
const EPOCH: &str = "1767225600";

const CONFIG: &str = "examples/cluster/podsecurity-config.yaml";
const DEMO: &str = "snapshots/demo-cluster.yaml";

/// `podsec audit <args>` in `dir`, at a fixed time.
fn audit_in(dir: &Path, args: &[&str]) -> Run {
    run(command(dir)
        .arg("audit")
        .args(args)
        .env("SOURCE_DATE_EPOCH", EPOCH))
}

/// `podsec audit <args>` at the repository's root.
fn audit(args: &[&str]) -> Run {
    audit_in(&root(), args)
}

/// `podsec audit <args> manifest.yaml` on `text` in a scratch directory.
fn audit_text(args: &[&str], text: &str) -> Run {
    let dir = Scratch::with(&[("manifest.yaml", text)]);
    audit_in(&dir, &[args, &["manifest.yaml"]].concat())
}

/// Every format on `inputs`, with and without the example configuration, as snapshots
/// named `<name>[_config]_<format>`.
fn snapshots(name: &str, inputs: &[&str], expected_codes: [i32; 2]) {
    for (with_config, expected) in [(false, expected_codes[0]), (true, expected_codes[1])] {
        for format in ["text", "json", "policyreport"] {
            let mut args = vec!["--format", format];
            if with_config {
                args.extend(["--config", CONFIG]);
            }
            args.extend_from_slice(inputs);
            let run = audit(&args);
            assert_eq!(run.code, expected, "{args:?}: {}", run.stderr);
            assert_eq!(run.stderr, "", "{args:?}");
            let snapshot = if with_config {
                format!("{name}_config_{format}")
            } else {
                format!("{name}_{format}")
            };
            insta::assert_snapshot!(snapshot, run.stdout);
        }
    }
}

#[test]
fn demo_cluster_snapshots() {
    // Without a configuration, debug-shell violates its namespace's enforce policy; with
    // it, so do the unlabelled namespaces' workloads (baseline by default).
    snapshots("demo", &[DEMO], [1, 1]);
}

#[test]
fn examples_snapshots() {
    snapshots("examples", &["examples/"], [1, 1]);
}

/// The lines of the text report mentioning `needle`.
fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn one_greppable_line_per_violating_unit_and_the_running_ones_first() {
    let run = audit(&[DEMO]);
    assert_eq!(run.code, 1);
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with("RUNNING IN VIOLATION"), "{first}");
    let lines = lines_with(
        &run.stdout,
        "payments/Pod/debug-shell RUNNING IN VIOLATION:",
    );
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert!(lines[0].contains(" enforce restricted:v1.30[allowPrivilegeEscalation,"));
    // The enforce message is the API server's denial, taken from the engine.
    assert!(run.stdout.contains(
        "      enforce: pods \"debug-shell\" is forbidden: violates PodSecurity \"restricted:v1.30\": allowPrivilegeEscalation != false"
    ));
    // The controller answers for its pods: one line for the CronJob, none for its Job or
    // pod.
    assert_eq!(
        lines_with(&run.stdout, "shop/CronJob/nightly-report").len(),
        1
    );
    assert!(lines_with(&run.stdout, "shop/Job/").is_empty());
    assert!(lines_with(&run.stdout, "shop/Pod/").is_empty());
    let summary = run.stdout.lines().last().unwrap_or_default();
    assert!(summary.starts_with("audit: 8 namespaces"), "{summary}");
    assert!(summary.contains("2 violate enforce (1 running in violation: 1 pod)"));
}

#[test]
fn json_results_name_their_objects_as_check_does() {
    let report = audit(&["--format", "json", DEMO]).json();
    let results = report["results"].as_array().expect("results");
    let shell = results
        .iter()
        .find(|r| r["name"] == "debug-shell")
        .expect("debug-shell");
    for field in [
        "file",
        "doc",
        "line",
        "kind",
        "apiVersion",
        "name",
        "namespace",
    ] {
        assert!(shell.get(field).is_some(), "{field} missing: {shell}");
    }
    assert_eq!(shell["file"], DEMO);
    assert_eq!(shell["kind"], "Pod");
    assert_eq!(shell["namespace"], "payments");
    assert_eq!(shell["runningInViolation"], 1);
    assert_eq!(shell["enforce"]["policy"], "restricted:v1.30");
    assert_eq!(
        shell["enforce"]["checks"][0]["id"],
        "allowPrivilegeEscalation"
    );
    assert_eq!(shell["audit"], Value::Null, "audit is privileged there");
    let payments = report["namespaces"]
        .as_array()
        .expect("namespaces")
        .iter()
        .find(|n| n["name"] == "payments")
        .expect("payments");
    assert_eq!(payments["enforce"]["policy"], "restricted:v1.30");
    assert_eq!(payments["enforce"]["from"], "label");
    assert_eq!(payments["warn"]["from"], "enforce");
    assert_eq!(payments["audit"]["from"], "default");
    assert_eq!(report["summary"]["violating"]["enforce"], 2);
    // The scaled-to-zero Deployment is judged by its template.
    let importer = results
        .iter()
        .find(|r| r["name"] == "legacy-importer")
        .expect("legacy-importer");
    assert_eq!(
        (importer["replicas"].as_i64(), importer["pods"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(importer["enforce"]["checks"][0]["id"], "hostPathVolumes");
}

fn schema_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audit/policyreport-v1alpha2.schema.json");
    let text = std::fs::read_to_string(&path).expect("the schema");
    let schema: Value = serde_json::from_str(&text).expect("schema JSON");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

#[test]
fn policy_reports_have_exactly_the_crd_fields_and_types() {
    let validator = schema_validator();
    let run = audit(&["--format", "policyreport-json", "--config", CONFIG, DEMO]);
    let list = run.json();
    assert_eq!(
        (list["apiVersion"].as_str(), list["kind"].as_str()),
        (Some("v1"), Some("List"))
    );
    let reports = list["items"].as_array().expect("items");
    assert_eq!(reports.len(), 9, "8 namespaces and the cluster's report");
    for report in reports {
        let errors: Vec<String> = validator
            .iter_errors(report)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{report}");
    }
    // A field the CRD does not have is caught.
    let mut bad = reports[0].clone();
    bad["results"] = serde_json::json!([{"policy": "p", "ruleName": "x"}]);
    assert!(!validator.is_valid(&bad));

    // Field by field, one result of each kind.
    let shop = reports
        .iter()
        .find(|r| r["metadata"]["namespace"] == "shop")
        .expect("shop's report");
    assert_eq!(shop["kind"], "PolicyReport");
    let result = shop["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["rule"] == "hostPathVolumes")
        .expect("legacy-importer's hostPath volume");
    assert_eq!(result["policy"], "podsec-baseline");
    assert_eq!(result["result"], "fail");
    assert_eq!(result["source"], "podsec");
    assert_eq!(result["scored"], true);
    assert_eq!(result["severity"], "high");
    assert_eq!(result["category"], "Pod Security Standards (Baseline)");
    assert_eq!(result["message"], "hostPath volumes (volume \"drop\")");
    assert_eq!(result["timestamp"]["seconds"].as_i64(), Some(1_767_225_600));
    assert_eq!(result["timestamp"]["nanos"].as_i64(), Some(0));
    assert_eq!(result["properties"]["level"], "baseline");
    assert_eq!(result["properties"]["version"], "latest");
    assert_eq!(result["properties"]["mode"], "enforce");
    let resource = &result["resources"][0];
    assert_eq!(resource["kind"], "Deployment");
    assert_eq!(resource["apiVersion"], "apps/v1");
    assert_eq!(resource["name"], "legacy-importer");
    assert_eq!(resource["namespace"], "shop");
    assert!(resource["uid"].as_str().is_some_and(|u| !u.is_empty()));
    // The summary counts the results.
    let results = shop["results"].as_array().expect("results");
    let count = |what: &str| results.iter().filter(|r| r["result"] == what).count();
    assert_eq!(shop["summary"]["fail"].as_u64(), Some(count("fail") as u64));
    assert_eq!(shop["summary"]["warn"].as_u64(), Some(count("warn") as u64));
    assert!(count("fail") > 0 && count("warn") > 0);
    // Exempt namespaces: their units are skipped, and the cluster report says why.
    let system = reports
        .iter()
        .find(|r| r["metadata"]["namespace"] == "kube-system")
        .expect("kube-system's report");
    let skipped = system["results"].as_array().expect("results");
    assert!(!skipped.is_empty() && skipped.iter().all(|r| r["result"] == "skip"));
    let cluster = reports.last().expect("cluster report");
    assert_eq!(cluster["kind"], "ClusterPolicyReport");
    assert!(cluster["metadata"].get("namespace").is_none());
    let rules: Vec<(&str, &str)> = cluster["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["resources"][0]["name"].as_str().unwrap_or_default(),
                r["rule"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(rules.contains(&("kube-system", "exempt")), "{rules:?}");
}

#[test]
fn the_yaml_stream_holds_the_same_reports_as_the_json_list() {
    let yaml = audit(&["--format", "policyreport", DEMO]);
    let json = audit(&["--format", "policyreport-json", DEMO]).json();
    let documents: Vec<Value> = serde_saphyr::from_multiple(&yaml.stdout).expect("YAML stream");
    assert_eq!(Value::Array(documents), json["items"]);
    // Without a configuration the unlabelled namespaces are warned about.
    let cluster = json["items"]
        .as_array()
        .and_then(|i| i.last())
        .expect("cluster report");
    let unlabelled: Vec<&str> = cluster["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["rule"] == "unlabelled")
        .map(|r| r["resources"][0]["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        unlabelled,
        [
            "batch",
            "default",
            "kube-node-lease",
            "kube-public",
            "kube-system",
            "monitoring"
        ]
    );
}

const LABELLED: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: team
  labels:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/warn: restricted
";

#[test]
fn exit_status_is_zero_when_nothing_violates_enforce() {
    let text = format!(
        "{LABELLED}---
apiVersion: v1
kind: Pod
metadata: {{name: p, namespace: team}}
spec:
  containers: [{{name: c, image: nginx}}]
"
    );
    let run = audit_text(&[], &text);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // It still violates warn (restricted).
    let line = lines_with(&run.stdout, "team/Pod/p:");
    assert_eq!(line.len(), 1, "{}", run.stdout);
    assert!(line[0].contains(" enforce ok audit ok warn restricted:latest["));
    assert!(
        run.stdout
            .contains("      warn: would violate PodSecurity \"restricted:latest\": ")
    );
}

#[test]
fn an_exempt_runtime_class_is_reported_as_exempt_and_does_not_fail() {
    let text = format!(
        "{LABELLED}---
apiVersion: v1
kind: Pod
metadata: {{name: sandboxed, namespace: team, uid: 5c1e0000-0000-4000-8000-000000000001}}
spec:
  runtimeClassName: gvisor
  hostNetwork: true
  containers: [{{name: c, image: nginx}}]
"
    );
    let with = audit_text(
        &["--config", &root().join(CONFIG).display().to_string()],
        &text,
    );
    assert_eq!(with.code, 0, "{}", with.stdout);
    assert!(with.stdout.contains("team/Pod/sandboxed EXEMPT (runtimeClass), would violate: enforce baseline:latest[hostNamespaces]"), "{}", with.stdout);
    let without = audit_text(&[], &text);
    assert_eq!(without.code, 1);
    assert!(
        without
            .stdout
            .contains("team/Pod/sandboxed RUNNING IN VIOLATION:")
    );
}

#[test]
fn label_errors_are_reported_and_enforce_fails_closed() {
    let text = "\
apiVersion: v1
kind: Namespace
metadata:
  name: broken
  labels:
    pod-security.kubernetes.io/enforce: strict
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: broken}
spec:
  containers: [{name: c, image: nginx}]
";
    let run = audit_text(&[], text);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("  label error: "), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("namespace broken: enforce restricted:latest (label)")
    );
    let reports = audit_text(&["--format", "policyreport-json"], text).json();
    let cluster = reports["items"]
        .as_array()
        .and_then(|i| i.last())
        .expect("cluster report");
    let errors: Vec<&Value> = cluster["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["rule"] == "label-error")
        .collect();
    assert_eq!(errors.len(), 1, "{cluster}");
    assert_eq!(errors[0]["result"], "fail");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("strict")
    );
}

#[test]
fn apply_needs_a_live_cluster() {
    let run = audit(&["--apply", DEMO]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: --apply writes policy reports to a live cluster"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unreadable_input_is_an_error() {
    let run = audit(&["no/such/file.yaml"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("no/such/file.yaml"), "{}", run.stderr);
}

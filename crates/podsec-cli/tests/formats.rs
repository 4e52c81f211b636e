//! Every format of `podsec check` (`text`, `json`, `sarif`, `junit`, `github`, `kubectl`):
//! snapshots on `examples/` and on a fixture with a decode error, plus what each format's
//! consumers require (the SARIF 2.1.0 schema, well-formed JUnit XML, GitHub's escaping).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The fixture with a document that does not parse (between two that do).
const MALFORMED: &str = "crates/podsec-cli/tests/fixtures/malformed.yaml";

/// The examples in level mode: every object against `restricted:latest`.
const LEVEL: &[&str] = &["--level", "restricted", "examples"];

/// The examples in namespace mode: `examples/namespaces.yaml` labels the namespaces.
const NAMESPACED: &[&str] = &["examples"];

/// Every example file, in the order `podsec check examples` reads them.
const EXAMPLE_FILES: &[&str] = &[
    "examples/baseline/app.yaml",
    "examples/cluster/podsecurity-config.yaml",
    "examples/mixed.yaml",
    "examples/namespaces.yaml",
    "examples/privileged/node-agent.yaml",
    "examples/restricted/web.yaml",
];

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The workspace root: tests run `podsec` there so that paths read `examples/...`.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `podsec check --format <format> <args>` in the workspace root, with no `PODSEC_*`
/// variables from the environment.
fn check(format: &str, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_podsec"))
        .args(["check", "--format", format])
        .args(args)
        .current_dir(root())
        .env_remove("PODSEC_LEVEL")
        .env_remove("PODSEC_VERSION")
        .env_remove("PODSEC_FORMAT")
        .env_remove("PODSEC_RAW")
        .env_remove("PODSEC_COLOR")
        .output()
        .expect("podsec runs");
    Run {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// The tool's version, replaced in snapshots so that a release does not change them.
fn redact_version(text: &str) -> String {
    text.replace(
        &format!("\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"[version]\"",
    )
}

// ---------------------------------------------------------------------------------------
// SARIF

/// The SARIF 2.1.0 schema's validator; `None` where the shared schemas are absent (a fresh
/// clone without `../shared`; CI always has them).
fn sarif_validator() -> Option<jsonschema::Validator> {
    let path = podsec_conformance::schema("sarif-schema-2.1.0.json")?;
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading the SARIF schema {}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("schema JSON");
    Some(
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles"),
    )
}

/// Parses a SARIF log and validates it against the 2.1.0 schema (when the schema is there).
fn valid_sarif(stdout: &str) -> Value {
    let log: Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: SARIF is JSON\n{stdout}"));
    let Some(validator) = sarif_validator() else {
        return log;
    };
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
    log
}

#[test]
fn sarif_examples() {
    let run = check("sarif", LEVEL);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let log = valid_sarif(&run.stdout);
    let sarif_run = &log["runs"][0];
    let rules = sarif_run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert_eq!(rules.len(), podsec_rules_count());
    for rule in rules {
        assert!(rule["shortDescription"]["text"].is_string(), "{rule}");
    }
    // One result per violation, each pointing at its rule.
    let results = sarif_run["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for result in results {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert_eq!(result["level"], "error");
    }
    // Each result points at its first finding's field (or the deepest ancestor present):
    // that line names a segment of the path, or is the list item holding it.
    for result in results {
        let region = &result["locations"][0]["physicalLocation"]["region"];
        let line = region["startLine"].as_u64().expect("startLine") as usize;
        assert!(region["startColumn"].as_u64().is_some(), "{result}");
        let file = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .expect("uri");
        let text = std::fs::read_to_string(root().join(file)).expect("example");
        let source = text.lines().nth(line - 1).expect("line").trim();
        let path = result["properties"]["paths"][0].as_str().expect("path");
        let named = path
            .split(['.', '['])
            .map(|segment| segment.trim_end_matches(']'))
            .filter(|segment| !segment.is_empty() && !segment.chars().all(|c| c.is_ascii_digit()))
            .any(|segment| source.starts_with(&format!("{segment}:")));
        assert!(
            named || source.starts_with("- "),
            "{path} at {file}:{line}: {source}"
        );
        assert!(
            line >= result["properties"]["objectLine"]
                .as_u64()
                .expect("objectLine") as usize
        );
    }
    // The validator does reject what the schema forbids.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    if let Some(validator) = sarif_validator() {
        assert!(!validator.is_valid(&broken));
    }

    // Streamed: header and rules on the first line, then one result per line.
    assert_eq!(run.stdout.lines().count(), results.len() + 2);
    insta::assert_snapshot!(
        "sarif_examples",
        redact_version(&serde_json::to_string_pretty(&log).expect("JSON"))
    );
}

/// The 19 checks, the decode-error rule and namespace mode's two admission rules.
fn podsec_rules_count() -> usize {
    22
}

#[test]
fn sarif_examples_namespace_mode() {
    let run = check("sarif", NAMESPACED);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let log = valid_sarif(&run.stdout);
    let sarif_run = &log["runs"][0];
    assert_eq!(sarif_run["properties"]["mode"], "namespace");
    let rules = sarif_run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let results = sarif_run["results"].as_array().expect("results");
    // Denied pods are errors; violating workloads (admitted with a warning) and the
    // warnings of pods that pass their enforce policy are warnings.
    let json: Value = serde_json::from_str(&check("json", NAMESPACED).stdout).expect("JSON");
    let mut expected = Vec::new();
    for r in json["results"].as_array().expect("results") {
        let level = if r["allowed"] == true {
            "warning"
        } else {
            "error"
        };
        for v in r["violations"].as_array().expect("violations") {
            expected.push((r["name"].clone(), v["check"].clone(), level));
        }
        if r["violations"].as_array().expect("violations").is_empty() {
            for _ in r["admission"]["warnings"].as_array().expect("warnings") {
                expected.push((
                    r["name"].clone(),
                    "podsec/admission-warning".into(),
                    "warning",
                ));
            }
        }
    }
    let got: Vec<(Value, Value, &str)> = results
        .iter()
        .map(|r| {
            let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[index]["id"], r["ruleId"]);
            (
                r["locations"][0]["logicalLocations"][0]["name"].clone(),
                r["ruleId"].clone(),
                r["level"].as_str().expect("level"),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert!(got.iter().any(|g| g.2 == "warning") && got.iter().any(|g| g.2 == "error"));
    let results = serde_json::to_string_pretty(results).expect("JSON");
    insta::assert_snapshot!("sarif_examples_namespace_mode", results);
}

#[test]
fn sarif_decode_error() {
    let run = check("sarif", &["--level", "baseline", MALFORMED]);
    assert_eq!(run.code, 2);
    let log = valid_sarif(&run.stdout);
    let results = log["runs"][0]["results"].as_array().expect("results");
    let errors: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "podsec/decode-error")
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        15
    );
    let mut results = log["runs"][0]["results"].clone();
    // Only the results: the rules are in the examples snapshot.
    results.as_array_mut().expect("results").truncate(10);
    insta::assert_snapshot!(
        "sarif_decode_error",
        serde_json::to_string_pretty(&results).expect("JSON")
    );

    // Nothing to report is still a valid log.
    let run = check("sarif", &["--level", "privileged", "examples/restricted"]);
    assert_eq!(run.code, 0);
    let log = valid_sarif(&run.stdout);
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));

    // An unreadable input too.
    let run = check("sarif", &["does-not-exist.yaml"]);
    assert_eq!(run.code, 2);
    let log = valid_sarif(&run.stdout);
    assert_eq!(
        log["runs"][0]["results"][0]["ruleId"],
        "podsec/decode-error"
    );
}

// ---------------------------------------------------------------------------------------
// GitHub workflow commands

#[test]
fn github_examples() {
    let run = check("github", LEVEL);
    assert_eq!(run.code, 1);
    for line in run.stdout.lines() {
        assert!(line.starts_with("::error file=examples/"), "{line}");
        assert!(line.contains(",title=PodSecurity "), "{line}");
    }
    // One annotation per violation: as many as the SARIF results.
    let sarif: Value = serde_json::from_str(&check("sarif", LEVEL).stdout).expect("SARIF");
    assert_eq!(
        run.stdout.lines().count(),
        sarif["runs"][0]["results"]
            .as_array()
            .expect("results")
            .len()
    );
    assert_eq!(
        run.stderr,
        "10 objects checked: 3 allowed, 7 denied, 8 skipped, 0 errors\n"
    );
    insta::assert_snapshot!("github_examples", run.stdout);
}

#[test]
fn github_examples_namespace_mode() {
    let run = check("github", NAMESPACED);
    assert_eq!(run.code, 1);
    let (mut errors, mut warnings) = (0, 0);
    for line in run.stdout.lines() {
        if line.starts_with("::error file=examples/") {
            errors += 1;
        } else {
            assert!(line.starts_with("::warning file=examples/"), "{line}");
            warnings += 1;
        }
    }
    assert!(errors > 0 && warnings > 0, "{}", run.stdout);
    assert_eq!(
        run.stderr,
        "14 objects checked: 12 allowed, 2 denied, 4 skipped, 0 errors, 5 with warnings\n"
    );
    insta::assert_snapshot!("github_examples_namespace_mode", run.stdout);
}

#[test]
fn github_decode_error() {
    let run = check(
        "github",
        &["--level", "baseline", MALFORMED, "missing.yaml"],
    );
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("github_decode_error", run.stdout);
}

// ---------------------------------------------------------------------------------------
// JUnit

/// A parsed `<testsuite>`: its count attributes and what its test cases hold.
#[derive(Debug, Default)]
struct Suite {
    name: String,
    attributes: [usize; 3],
    tests: usize,
    failures: usize,
    errors: usize,
    /// `(testcase name, failure message)` of the failed test cases.
    failed: Vec<(String, String)>,
}

/// Parses a JUnit document (well-formed XML, end tags matching), collecting its suites.
fn parse_junit(xml: &str) -> Vec<Suite> {
    use quick_xml::events::{BytesStart, Event};

    fn attribute(element: &BytesStart<'_>, name: &str) -> String {
        element
            .attributes()
            .map(|a| a.expect("attribute"))
            .find(|a| a.key.as_ref() == name)
            .map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                    .expect("escaped value")
                    .into_owned()
            })
            .unwrap_or_else(|| panic!("no {name} attribute"))
    }

    let mut reader = quick_xml::Reader::from_str(xml);
    let mut suites: Vec<Suite> = Vec::new();
    let mut roots = 0;
    let mut testcase = String::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "testsuites" => roots += 1,
                "testsuite" => suites.push(Suite {
                    name: attribute(&e, "name"),
                    attributes: ["tests", "failures", "errors"]
                        .map(|a| attribute(&e, a).parse().expect("count")),
                    ..Suite::default()
                }),
                "testcase" => {
                    let suite = suites.last_mut().expect("in a suite");
                    suite.tests += 1;
                    testcase = attribute(&e, "name");
                    assert_eq!(attribute(&e, "classname"), suite.name);
                }
                "failure" => {
                    let suite = suites.last_mut().expect("in a suite");
                    suite.failures += 1;
                    suite
                        .failed
                        .push((testcase.clone(), attribute(&e, "message")));
                }
                "error" => suites.last_mut().expect("in a suite").errors += 1,
                other => panic!("unexpected element {other}"),
            },
            _ => {}
        }
    }
    assert_eq!(roots, 1);
    for suite in &suites {
        assert_eq!(
            suite.attributes,
            [suite.tests, suite.failures, suite.errors],
            "{suite:?}"
        );
    }
    suites
}

#[test]
fn junit_examples() {
    let run = check("junit", LEVEL);
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr, "");
    let suites = parse_junit(&run.stdout);
    let names: Vec<&str> = suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, EXAMPLE_FILES);
    // The counts match the JSON report's, and each failure holds upstream's message.
    let json: Value = serde_json::from_str(&check("json", LEVEL).stdout).expect("JSON");
    let tests: usize = suites.iter().map(|s| s.tests).sum();
    let failures: usize = suites.iter().map(|s| s.failures).sum();
    assert_eq!(
        tests,
        json["summary"]["evaluated"].as_u64().expect("count") as usize
    );
    assert_eq!(
        failures,
        json["summary"]["denied"].as_u64().expect("count") as usize
    );
    let failed: Vec<String> = suites
        .iter()
        .flat_map(|s| s.failed.iter().map(|(_, message)| message.clone()))
        .collect();
    let denied: Vec<String> = json["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["allowed"] == false)
        .map(|r| {
            format!(
                "violates PodSecurity \"restricted:latest\": {}",
                r["message"].as_str().expect("message")
            )
        })
        .collect();
    assert_eq!(failed, denied);
    insta::assert_snapshot!("junit_examples", run.stdout);
}

#[test]
fn junit_examples_namespace_mode() {
    let run = check("junit", NAMESPACED);
    assert_eq!(run.code, 1);
    let suites = parse_junit(&run.stdout);
    let json: Value = serde_json::from_str(&check("json", NAMESPACED).stdout).expect("JSON");
    // Namespaces are test cases too; a failure holds the API server's message.
    let failed: Vec<String> = suites
        .iter()
        .flat_map(|s| s.failed.iter().map(|(_, message)| message.clone()))
        .collect();
    let denied: Vec<String> = json["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["allowed"] == false)
        .map(|r| {
            format!(
                "violates PodSecurity \"{}:{}\": {}",
                r["level"].as_str().expect("level"),
                r["version"].as_str().expect("version"),
                r["message"].as_str().expect("message")
            )
        })
        .collect();
    assert_eq!(failed, denied);
    let tests: usize = suites.iter().map(|s| s.tests).sum();
    assert_eq!(
        tests,
        json["summary"]["evaluated"].as_u64().expect("count") as usize
    );
    insta::assert_snapshot!("junit_examples_namespace_mode", run.stdout);
}

#[test]
fn junit_decode_error() {
    let run = check("junit", &["--level", "baseline", MALFORMED, "missing.yaml"]);
    assert_eq!(run.code, 2);
    let suites = parse_junit(&run.stdout);
    assert_eq!(suites.len(), 2);
    assert_eq!(
        (suites[0].tests, suites[0].failures, suites[0].errors),
        (3, 1, 1)
    );
    assert_eq!(suites[0].failed[0].0, "Pod after");
    assert_eq!((suites[1].tests, suites[1].errors), (1, 1));
    insta::assert_snapshot!("junit_decode_error", run.stdout);

    // No input at all is still a document.
    let run = check(
        "junit",
        &["crates/podsec-cli/tests/fixtures/tree/empty-dir"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(parse_junit(&run.stdout).is_empty());
}

#[test]
fn junit_escapes_markup_in_names() {
    let dir = std::env::temp_dir().join(format!("podsec-junit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("a&b<c>.yaml");
    std::fs::write(
        &file,
        "kind: Pod\nmetadata: {name: \"x<\\\"&'\\u0001\\ty\"}\nspec: {hostPID: true}\n",
    )
    .expect("write");
    let run = check(
        "junit",
        &["--level", "baseline", file.to_str().expect("UTF-8")],
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let suites = parse_junit(&run.stdout);
    assert!(suites[0].name.ends_with("a&b<c>.yaml"));
    assert_eq!(suites[0].failed[0].0, "Pod x<\"&'\u{fffd}\ty");
}

// ---------------------------------------------------------------------------------------
// kubectl

#[test]
fn kubectl_examples() {
    let run = check("kubectl", LEVEL);
    assert_eq!(run.code, 1);
    // Every denied pod is an error, every violating workload a warning, with the JSON
    // report's message.
    let json: Value = serde_json::from_str(&check("json", LEVEL).stdout).expect("JSON");
    let mut expected = Vec::new();
    for result in json["results"].as_array().expect("results") {
        if result["allowed"] == true {
            continue;
        }
        let message = result["message"].as_str().expect("message");
        expected.push(if result["kind"] == "Pod" {
            format!(
                "Error from server (Forbidden): error when creating \"{}\": pods \"{}\" is forbidden: violates PodSecurity \"restricted:latest\": {message}",
                result["file"].as_str().expect("file"),
                result["name"].as_str().expect("name"),
            )
        } else {
            format!("Warning: would violate PodSecurity \"restricted:latest\": {message}")
        });
    }
    assert_eq!(run.stderr.lines().collect::<Vec<_>>(), expected);
    insta::assert_snapshot!("kubectl_examples_stdout", run.stdout);
    insta::assert_snapshot!("kubectl_examples_stderr", run.stderr);
}

/// In namespace mode kubectl's lines are the admission responses of the JSON report: the
/// warnings, then the error or the `created` line.
#[test]
fn kubectl_examples_namespace_mode() {
    let run = check("kubectl", NAMESPACED);
    assert_eq!(run.code, 1);
    let json: Value = serde_json::from_str(&check("json", NAMESPACED).stdout).expect("JSON");
    let (mut stderr, mut created) = (Vec::new(), 0);
    for r in json["results"].as_array().expect("results") {
        let admission = &r["admission"];
        for warning in admission["warnings"].as_array().expect("warnings") {
            stderr.push(format!("Warning: {}", warning.as_str().expect("warning")));
        }
        if admission["allowed"] == false {
            stderr.push(format!(
                "Error from server ({}): error when creating \"{}\": {}",
                admission["status"]["reason"].as_str().expect("reason"),
                r["file"].as_str().expect("file"),
                admission["status"]["message"].as_str().expect("message"),
            ));
        } else {
            created += 1;
        }
    }
    assert_eq!(run.stderr.lines().collect::<Vec<_>>(), stderr);
    // Skipped kinds are created too (without a Pod Security answer).
    let skipped = json["skipped"].as_array().expect("skipped").len();
    assert_eq!(run.stdout.lines().count(), created + skipped);
    insta::assert_snapshot!("kubectl_examples_namespace_mode_stdout", run.stdout);
    insta::assert_snapshot!("kubectl_examples_namespace_mode_stderr", run.stderr);
}

#[test]
fn kubectl_decode_error_and_stdin() {
    let run = check(
        "kubectl",
        &["--level", "baseline", "--version", "v1.30", MALFORMED],
    );
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("kubectl_decode_error_stdout", run.stdout);
    insta::assert_snapshot!("kubectl_decode_error_stderr", run.stderr);

    let mut child = Command::new(env!("CARGO_BIN_EXE_podsec"))
        .args(["check", "--format", "kubectl", "--level", "baseline", "-"])
        .env_remove("PODSEC_LEVEL")
        .env_remove("PODSEC_VERSION")
        .env_remove("PODSEC_FORMAT")
        .env_remove("PODSEC_RAW")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("podsec runs");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(
                b"kind: Pod\nmetadata: {name: \"a\\\"b\"}\nspec: {hostIPC: true}\n---\n\
                  apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {template: {spec: {hostIPC: true}}}\n",
            )
            .expect("write stdin");
    }
    let output = child.wait_with_output().expect("podsec finishes");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "job.batch/j created\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "Error from server (Forbidden): error when creating \"STDIN\": pods \"a\\\"b\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostIPC=true)\n\
         Warning: would violate PodSecurity \"baseline:latest\": host namespaces (hostIPC=true)\n"
    );
}

/// kubectl's stderr lines are the admission engine's answers (the webhook's own code) for
/// each object created in a namespace enforcing `restricted:latest`.
#[test]
fn kubectl_matches_the_admission_engine() {
    use podsec_admission::config::{AdmissionConfig, load};
    use podsec_admission::decode::Namespace;
    use podsec_admission::review::decode_review;
    use podsec_admission::{Admission, NoopRecorder, StaticNamespaces, StaticPods};

    let config = AdmissionConfig::new(&load(b"").expect("defaults")).expect("config");
    let namespaces: StaticNamespaces = [Namespace {
        name: "team".into(),
        labels: [(
            "pod-security.kubernetes.io/enforce".into(),
            "restricted".into(),
        )]
        .into(),
    }]
    .into_iter()
    .collect();
    let engine = Admission::new(config, namespaces, StaticPods::default(), NoopRecorder);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");

    let mut expected = Vec::new();
    for file in EXAMPLE_FILES {
        let text = std::fs::read_to_string(root().join(file)).expect("example");
        for object in serde_saphyr::from_multiple::<Value>(&text).expect("YAML") {
            let (group, version) = match object["apiVersion"].as_str().expect("apiVersion") {
                "v1" => ("", "v1"),
                other => other.split_once('/').expect("group/version"),
            };
            let kind = object["kind"].as_str().expect("kind");
            let resource = match kind {
                "Pod" => "pods",
                "Deployment" => "deployments",
                "ReplicaSet" => "replicasets",
                "StatefulSet" => "statefulsets",
                "DaemonSet" => "daemonsets",
                "Job" => "jobs",
                "CronJob" => "cronjobs",
                "ReplicationController" => "replicationcontrollers",
                "PodTemplate" => "podtemplates",
                _ => continue,
            };
            let review = serde_json::json!({
                "apiVersion": "admission.k8s.io/v1",
                "kind": "AdmissionReview",
                "request": {
                    "uid": "1",
                    "kind": {"group": group, "version": version, "kind": kind},
                    "resource": {"group": group, "version": version, "resource": resource},
                    "name": object["metadata"]["name"],
                    "namespace": "team",
                    "operation": "CREATE",
                    "userInfo": {"username": "alice"},
                    "object": object,
                }
            });
            let (_, request) =
                decode_review(review.to_string().as_bytes()).expect("an AdmissionReview");
            let response = runtime.block_on(engine.validate(&request));
            for warning in &response.warnings {
                expected.push(format!("Warning: {warning}"));
            }
            if let Some(status) = response.status.filter(|_| !response.allowed) {
                expected.push(format!(
                    "Error from server ({}): error when creating \"{file}\": {}",
                    status.reason, status.message
                ));
            }
        }
    }
    assert!(expected.iter().any(|l| l.starts_with("Error from server")));
    assert!(expected.iter().any(|l| l.starts_with("Warning: ")));
    // The engine sees objects as written: compare with `--raw`.
    let run = check("kubectl", &["--raw", "--level", "restricted", "examples"]);
    assert_eq!(run.stderr.lines().collect::<Vec<_>>(), expected);
}

// ---------------------------------------------------------------------------------------
// text and JSON on the examples, in both modes

#[test]
fn text_examples() {
    for (name, args) in [
        ("text_examples", LEVEL),
        ("text_examples_namespace_mode", NAMESPACED),
    ] {
        let run = check("text", args);
        assert_eq!(run.code, 1, "{}", run.stderr);
        // Plain text when piped: no escape sequences.
        assert!(!run.stdout.contains('\u{1b}'), "{name}");
        insta::assert_snapshot!(format!("{name}_stdout"), run.stdout);
        insta::assert_snapshot!(format!("{name}_stderr"), run.stderr);
    }
}

#[test]
fn json_examples() {
    for (name, args) in [
        ("json_examples", LEVEL),
        ("json_examples_namespace_mode", NAMESPACED),
    ] {
        let run = check("json", args);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert_eq!(run.stderr, "");
        let report: Value = serde_json::from_str(&run.stdout).expect("one JSON document");
        let summary = &report["summary"];
        let results = report["results"].as_array().expect("results");
        assert_eq!(summary["evaluated"].as_u64(), Some(results.len() as u64));
        let denied = results.iter().filter(|r| r["allowed"] == false).count();
        assert_eq!(summary["denied"].as_u64(), Some(denied as u64));
        // Namespace mode only: the admission object and the warned count.
        let namespaced = args == NAMESPACED;
        assert_eq!(summary.get("warned").is_some(), namespaced, "{name}");
        assert!(
            results
                .iter()
                .all(|r| r.get("admission").is_some() == namespaced)
        );
        insta::assert_snapshot!(name, serde_json::to_string_pretty(&report).expect("JSON"));
    }
}

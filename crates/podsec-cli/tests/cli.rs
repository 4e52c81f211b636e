//! End-to-end tests of the `podsec` binary: exit codes, JSON fields and messages.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `podsec` in the package directory (so fixture paths read `tests/fixtures/...`),
/// with no `PODSEC_*` variables nor color settings from the environment.
fn podsec(args: &[&str], stdin: Option<&str>) -> Run {
    podsec_env(args, stdin, &[])
}

fn podsec_env(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_podsec"));
    for (key, _) in std::env::vars_os() {
        let key_text = key.to_string_lossy();
        if key_text.starts_with("PODSEC_")
            || ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE"].contains(&key_text.as_ref())
        {
            command.env_remove(key);
        }
    }
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("podsec runs");
    {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(stdin.unwrap_or_default().as_bytes())
            .expect("writing stdin");
    }
    let output = child.wait_with_output().expect("podsec finishes");
    Run {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// Runs `podsec check --format json <args>`; returns the exit code and the document.
fn check_json(args: &[&str], stdin: Option<&str>) -> (i32, Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let run = podsec(&all, stdin);
    let value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    (run.code, value)
}

fn fixture(name: &str) -> String {
    format!("tests/fixtures/{name}")
}

/// The `message` of every result.
fn messages(report: &Value) -> Vec<&str> {
    report["results"]
        .as_array()
        .expect("results array")
        .iter()
        .map(|r| r["message"].as_str().expect("message string"))
        .collect()
}

const NGINX_RESTRICTED: &str = r#"allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#;

#[test]
fn allowed_pod_exits_0() {
    let (code, report) = check_json(&[&fixture("allowed-pod.yaml")], None);
    assert_eq!(code, 0);
    assert_eq!(
        report["results"][0],
        json!({
            "file": "tests/fixtures/allowed-pod.yaml",
            "doc": 0,
            "line": 1,
            "kind": "Pod",
            "name": "hardened",
            "namespace": "apps",
            "level": "restricted",
            "version": "latest",
            "allowed": true,
            "violations": [],
            "message": "",
        })
    );
    assert_eq!(
        report["summary"],
        json!({"evaluated": 1, "allowed": 1, "denied": 0, "skipped": 0, "errors": 0})
    );
    assert_eq!(report["skipped"], json!([]));
    assert_eq!(report["errors"], json!([]));
}

#[test]
fn denied_pod_exits_1_with_upstream_message() {
    let (code, report) = check_json(&[&fixture("denied-pod.yaml")], None);
    assert_eq!(code, 1);
    let result = &report["results"][0];
    assert_eq!(result["allowed"], json!(false));
    assert_eq!(result["message"], json!(NGINX_RESTRICTED));
    // No namespace in the manifest: no key.
    assert!(result.get("namespace").is_none());
    let checks: Vec<&str> = result["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["check"].as_str().unwrap())
        .collect();
    assert_eq!(
        checks,
        [
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "runAsNonRoot",
            "seccompProfile_restricted"
        ]
    );
    assert_eq!(
        result["violations"][0],
        json!({
            "check": "allowPrivilegeEscalation",
            "reason": "allowPrivilegeEscalation != false",
            "detail": "container \"nginx\" must set securityContext.allowPrivilegeEscalation=false",
            "findings": [{
                "kind": "unset",
                "path": "spec.containers[0].securityContext.allowPrivilegeEscalation",
                "container": "nginx",
            }],
        })
    );

    // Other versions and levels, as requested.
    let (code, report) = check_json(&["--version", "v1.7", &fixture("denied-pod.yaml")], None);
    assert_eq!(code, 1);
    assert_eq!(report["results"][0]["version"], json!("v1.7"));
    assert_eq!(
        messages(&report),
        [
            r#"runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true)"#
        ]
    );
    let (code, report) = check_json(&["--level", "baseline", &fixture("denied-pod.yaml")], None);
    assert_eq!(code, 0);
    assert_eq!(report["results"][0]["level"], json!("baseline"));
}

#[test]
fn workload_templates_are_evaluated() {
    let (code, report) = check_json(&["--level", "baseline", &fixture("workloads.yaml")], None);
    assert_eq!(code, 1);
    let results = report["results"].as_array().unwrap();
    let ids: Vec<(&str, &str, u64)> = results
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap(),
                r["name"].as_str().unwrap(),
                r["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            ("Deployment", "web", 1),
            ("CronJob", "nightly", 18),
            ("PodTemplate", "tmpl", 33)
        ]
    );
    assert_eq!(
        messages(&report),
        [
            r#"forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/app="unconfined""), privileged (container "app" must not set securityContext.privileged=true)"#,
            "host namespaces (hostPID=true)",
            r#"hostPort (container "init" uses hostPort 53)"#,
        ]
    );
    // Finding paths point into the object.
    let path = |r: usize, v: usize| results[r]["violations"][v]["findings"][0]["path"].clone();
    assert_eq!(
        path(0, 0),
        json!(
            r#"spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]"#
        )
    );
    assert_eq!(
        path(0, 1),
        json!("spec.template.spec.containers[0].securityContext.privileged")
    );
    assert_eq!(
        path(1, 0),
        json!("spec.jobTemplate.spec.template.spec.hostPID")
    );
    assert_eq!(
        path(2, 0),
        json!("template.spec.initContainers[0].ports[0].hostPort")
    );
    assert_eq!(
        results[2]["violations"][0]["findings"][0],
        json!({
            "kind": "forbidden",
            "path": "template.spec.initContainers[0].ports[0].hostPort",
            "container": "init",
            "value": "53",
        })
    );
    assert_eq!(results[0]["namespace"], json!("default"));
    assert!(results[1].get("namespace").is_none());
}

#[test]
fn skipped_kinds_are_counted() {
    let (code, report) = check_json(&[&fixture("skipped.yaml")], None);
    assert_eq!(code, 0);
    assert_eq!(
        report["skipped"],
        json!([
            {"file": "tests/fixtures/skipped.yaml", "doc": 0, "kind": "Namespace"},
            {"file": "tests/fixtures/skipped.yaml", "doc": 1, "kind": "Service"},
            {"file": "tests/fixtures/skipped.yaml", "doc": 2, "kind": "ConfigMap"},
        ])
    );
    assert_eq!(
        report["summary"],
        json!({"evaluated": 0, "allowed": 0, "denied": 0, "skipped": 3, "errors": 0})
    );
}

#[test]
fn list_items_are_expanded() {
    let (code, report) = check_json(&["--level", "baseline", &fixture("list.yaml")], None);
    assert_eq!(code, 1);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(
        (&results[0]["name"], &results[0]["doc"], &results[0]["line"]),
        (&json!("first"), &json!(0), &json!(1))
    );
    assert_eq!(
        results[0]["message"],
        json!("host namespaces (hostIPC=true)")
    );
    assert_eq!(
        (
            &results[1]["kind"],
            &results[1]["doc"],
            &results[1]["allowed"]
        ),
        (&json!("StatefulSet"), &json!(2), &json!(true))
    );
    assert_eq!(
        report["skipped"],
        json!([{"file": "tests/fixtures/list.yaml", "doc": 1, "kind": "ConfigMap"}])
    );
}

#[test]
fn directories_are_walked_recursively_in_sorted_order() {
    let (code, report) = check_json(&["--level", "baseline", "tests/fixtures/tree"], None);
    assert_eq!(code, 1);
    let results: Vec<(&str, &str, bool)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap(),
                r["name"].as_str().unwrap(),
                r["allowed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            ("tests/fixtures/tree/a.yaml", "tree-a", true),
            ("tests/fixtures/tree/sub/b.yml", "tree-b", false),
            ("tests/fixtures/tree/sub/c.json", "tree-c", false),
        ]
    );
    assert_eq!(
        report["skipped"],
        json!([{"file": "tests/fixtures/tree/sub/c.json", "doc": 1, "kind": "Secret"}])
    );
    assert_eq!(report["results"][2]["line"], json!(1));
}

#[test]
fn stdin_is_dash() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/denied-pod.yaml"
    ))
    .unwrap();
    let stdin = format!("---\n{text}---\n{text}");
    let (code, report) = check_json(&["-"], Some(&stdin));
    assert_eq!(code, 1);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[1]["file"], json!("-"));
    assert_eq!(
        (&results[1]["doc"], &results[1]["line"]),
        (&json!(1), &json!(11))
    );
    assert_eq!(results[1]["message"], json!(NGINX_RESTRICTED));
}

#[test]
fn defaulting_of_sourceless_volumes() {
    let file = fixture("sourceless-volume.yaml");
    let (code, report) = check_json(&[&file], None);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["results"][0]["allowed"], json!(true));

    let (code, report) = check_json(&["--raw", &file], None);
    assert_eq!(code, 1);
    assert_eq!(
        messages(&report),
        [r#"restricted volume types (volume "v" uses restricted volume type "unknown")"#]
    );
    assert_eq!(
        report["results"][0]["violations"][0]["findings"][0],
        json!({"kind": "forbidden", "path": "spec.volumes[0]", "value": "unknown"})
    );
}

#[test]
fn defaulting_of_host_network_ports() {
    let file = fixture("host-network.yaml");
    let (code, report) = check_json(&["--level", "baseline", &file], None);
    assert_eq!(code, 1);
    assert_eq!(
        messages(&report),
        [r#"host namespaces (hostNetwork=true), hostPort (container "c" uses hostPort 80)"#]
    );
    let (code, report) = check_json(&["--level", "baseline", "--raw", &file], None);
    assert_eq!(code, 1);
    assert_eq!(messages(&report), ["host namespaces (hostNetwork=true)"]);

    // The environment variable does the same as the flag.
    let run = podsec_env(
        &["check", "--format", "json", "--level", "baseline", &file],
        None,
        &[("PODSEC_RAW", "true")],
    );
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(messages(&report), ["host namespaces (hostNetwork=true)"]);
}

#[test]
fn malformed_yaml_is_reported_and_the_rest_still_evaluated() {
    let (code, report) = check_json(
        &[
            "--level",
            "baseline",
            &fixture("malformed.yaml"),
            &fixture("denied-pod.yaml"),
        ],
        None,
    );
    assert_eq!(code, 2);
    let names: Vec<(&str, &str)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["file"].as_str().unwrap(), r["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("tests/fixtures/malformed.yaml", "before"),
            ("tests/fixtures/malformed.yaml", "after"),
            ("tests/fixtures/denied-pod.yaml", "p"),
        ]
    );
    assert_eq!(report["results"][1]["doc"], json!(2));
    assert_eq!(
        report["results"][1]["message"],
        json!("host namespaces (hostPID=true)")
    );
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["file"], json!("tests/fixtures/malformed.yaml"));
    assert_eq!(errors[0]["doc"], json!(1));
    assert_eq!(errors[0]["line"], json!(15));
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid YAML: "),
        "{}",
        errors[0]
    );
    assert_eq!(
        report["summary"],
        json!({"evaluated": 3, "allowed": 2, "denied": 1, "skipped": 0, "errors": 1})
    );

    // Text format: the error on stderr names file, document and line.
    let run = podsec(&["check", &fixture("malformed.yaml")], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(
            "error: tests/fixtures/malformed.yaml: document 1 (line 15): invalid YAML: "
        ),
        "{}",
        run.stderr
    );
    let objects = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("tests/fixtures/malformed.yaml:"))
        .count();
    assert_eq!(objects, 2, "{}", run.stdout);
}

#[test]
fn type_errors_name_the_field() {
    let stdin = "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        securityContext: {privileged: \"true\"}\n";
    let (code, report) = check_json(&["-"], Some(stdin));
    assert_eq!(code, 2);
    assert_eq!(
        report["errors"],
        json!([{
            "file": "-",
            "doc": 0,
            "line": 1,
            "message": "spec.template.spec.containers[0].securityContext.privileged: invalid type: string \"true\", expected a boolean",
        }])
    );
}

#[test]
fn missing_path_is_an_input_error() {
    let (code, report) = check_json(
        &[
            "tests/fixtures/does-not-exist.yaml",
            &fixture("allowed-pod.yaml"),
        ],
        None,
    );
    assert_eq!(code, 2);
    assert_eq!(report["summary"]["allowed"], json!(1));
    let error = &report["errors"][0];
    assert_eq!(error["file"], json!("tests/fixtures/does-not-exist.yaml"));
    assert_eq!(
        (&error["doc"], &error["line"]),
        (&Value::Null, &Value::Null)
    );

    let run = podsec(&["check", "tests/fixtures/does-not-exist.yaml"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: tests/fixtures/does-not-exist.yaml: "),
        "{}",
        run.stderr
    );
}

#[test]
fn invalid_utf8_is_an_input_error() {
    let dir = std::env::temp_dir().join(format!("podsec-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.yaml");
    std::fs::write(&file, b"kind: Pod\nmetadata:\n  name: \xff\n").unwrap();
    let (code, report) = check_json(&[file.to_str().unwrap()], None);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 2);
    assert_eq!(report["errors"][0]["line"], json!(3));
    assert_eq!(report["errors"][0]["message"], json!("invalid UTF-8"));
}

#[test]
fn invalid_level_and_version_are_usage_errors() {
    let run = podsec(
        &["check", "--version", "v1.01", &fixture("allowed-pod.yaml")],
        None,
    );
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.starts_with(
            r#"error: invalid value "v1.01" for --version: must be "latest" or "v1.x""#
        ),
        "{}",
        run.stderr
    );

    let run = podsec(
        &["check", "--level", "Baseline", &fixture("allowed-pod.yaml")],
        None,
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(
            r#"error: invalid value "Baseline" for --level: must be one of privileged, baseline, restricted"#
        ),
        "{}",
        run.stderr
    );

    let run = podsec_env(
        &["check", &fixture("allowed-pod.yaml")],
        None,
        &[("PODSEC_VERSION", "1.30")],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(r#"invalid value "1.30" for --version"#),
        "{}",
        run.stderr
    );

    let run = podsec(&["check"], None);
    assert_eq!(run.code, 2);
    let run = podsec(&["check", "--format", "yaml", "x"], None);
    assert_eq!(run.code, 2);
}

#[test]
fn environment_variables_set_the_defaults() {
    let run = podsec_env(
        &["check", &fixture("denied-pod.yaml")],
        None,
        &[
            ("PODSEC_LEVEL", "baseline"),
            ("PODSEC_VERSION", "v1.30"),
            ("PODSEC_FORMAT", "json"),
        ],
    );
    assert_eq!(run.code, 0);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["results"][0]["level"], json!("baseline"));
    assert_eq!(report["results"][0]["version"], json!("v1.30"));
}

#[test]
fn text_format_snapshot() {
    let run = podsec(
        &[
            "check",
            &fixture("workloads.yaml"),
            &fixture("list.yaml"),
            &fixture("skipped.yaml"),
            &fixture("allowed-pod.yaml"),
            &fixture("malformed.yaml"),
            "tests/fixtures/tree",
        ],
        None,
    );
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("text_stdout", run.stdout);
    insta::assert_snapshot!("text_stderr", run.stderr);
}

#[test]
fn text_format_all_allowed() {
    let run = podsec(&["check", "-"], Some("kind: Pod\nmetadata: {name: x}\n"));
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "==> standard input <==\n-:1 Pod x: allowed\n");
    assert_eq!(
        run.stderr,
        "1 object checked: 1 allowed, 0 denied, 0 skipped, 0 errors\n"
    );
}

/// Removes SGR escape sequences (`ESC [ ... m`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("\x1b[") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .expect("a complete escape sequence");
        assert_eq!(&after[end..=end], "m", "only SGR sequences: {text:?}");
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn text_groups_objects_by_file() {
    let run = podsec(
        &[
            "check",
            &fixture("workloads.yaml"),
            &fixture("allowed-pod.yaml"),
        ],
        None,
    );
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    // A header per file, a blank line between groups, object lines under their header.
    let headers: Vec<(usize, &str)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("==> "))
        .map(|(i, l)| (i, *l))
        .collect();
    assert_eq!(
        headers,
        [
            (0, "==> tests/fixtures/workloads.yaml <=="),
            (headers[1].0, "==> tests/fixtures/allowed-pod.yaml <=="),
        ],
        "{}",
        run.stdout
    );
    assert_eq!(lines[headers[1].0 - 1], "");
    assert_eq!(
        &lines[headers[1].0 + 1..],
        ["tests/fixtures/allowed-pod.yaml:1 Pod apps/hardened: allowed"]
    );
    // Every other line is an object line (`<file>:<line>`, upstream's message) or an
    // indented detail of the object above it.
    let objects: Vec<&str> = lines[1..headers[1].0 - 1]
        .iter()
        .filter(|l| !l.starts_with("  "))
        .copied()
        .collect();
    assert_eq!(objects.len(), 3, "{}", run.stdout);
    for object in &objects {
        assert!(
            object.starts_with("tests/fixtures/workloads.yaml:"),
            "{object}"
        );
        assert!(
            object.contains(": violates PodSecurity \"restricted:latest\": "),
            "{object}"
        );
    }
    assert!(objects[2].starts_with("tests/fixtures/workloads.yaml:33 PodTemplate ns/tmpl: violates PodSecurity \"restricted:latest\": hostPort (container \"init\" uses hostPort 53), "));
    // One detail line per violation: check, object-rooted path, container, value, fix.
    assert!(
        lines.contains(
            &"  - hostPorts: template.spec.initContainers[0].ports[0].hostPort=53 (container \"init\"); fix: remove hostPort from the container ports (or set it to 0), and expose the port with a Service"
        ),
        "{}",
        run.stdout
    );
    assert!(
        lines.contains(
            &"  - privileged: spec.template.spec.containers[0].securityContext.privileged=true (container \"app\"); fix: remove securityContext.privileged or set it to false"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stderr,
        "4 objects checked: 1 allowed, 3 denied, 0 skipped, 0 errors\n"
    );

    // A file long enough to arrive in several parts still has one header.
    let pods: String = (0..600)
        .map(|i| format!("---\nkind: Pod\nmetadata: {{name: p{i}}}\n"))
        .collect();
    let run = podsec(&["check", "-"], Some(&pods));
    assert_eq!(run.code, 0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 601);
    assert_eq!(lines[0], "==> standard input <==");
    assert_eq!(lines[600], "-:1799 Pod p599: allowed");
}

#[test]
fn text_in_namespace_mode_shows_the_admission_response() {
    let manifests = "\
apiVersion: v1
kind: Namespace
metadata:
  name: team
  labels:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/warn: restricted
---
apiVersion: v1
kind: Pod
metadata: {name: root-shell, namespace: team}
spec:
  hostPID: true
  containers:
  - {name: sh, image: busybox, securityContext: {privileged: true}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team}
spec:
  template:
    spec:
      containers:
      - {name: web, image: nginx, securityContext: {privileged: true}}
---
apiVersion: v1
kind: Pod
metadata: {name: plain, namespace: team}
spec:
  containers:
  - {name: app, image: nginx}
";
    let run = podsec(&["check", "-"], Some(manifests));
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!("text_namespace_mode_stdout", run.stdout);
    insta::assert_snapshot!("text_namespace_mode_stderr", run.stderr);
}

#[test]
fn text_colors_are_off_when_piped() {
    let files = [fixture("workloads.yaml"), fixture("malformed.yaml")];
    let args = ["check", files[0].as_str(), files[1].as_str()];
    let plain = podsec(&args, None);
    assert_eq!(plain.code, 2);
    assert!(!plain.stdout.contains('\x1b') && !plain.stderr.contains('\x1b'));
    // Neither a progress line: standard error is not a terminal.
    assert!(!plain.stderr.contains('\r'));
    assert!(plain.stderr.starts_with("error: "), "{}", plain.stderr);
    // `NO_COLOR` beats `CLICOLOR_FORCE`; `--color never` beats both.
    for env in [
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")][..],
        &[("PODSEC_COLOR", "never"), ("CLICOLOR_FORCE", "1")][..],
        &[("TERM", "xterm-256color")][..],
    ] {
        let run = podsec_env(&args, None, env);
        assert_eq!(
            (&run.stdout, &run.stderr),
            (&plain.stdout, &plain.stderr),
            "{env:?}"
        );
    }
    let forced = podsec_env(&args, None, &[("CLICOLOR_FORCE", "1")]);
    assert!(forced.stdout.contains("\x1b["), "{}", forced.stdout);
    assert_eq!(strip_ansi(&forced.stdout), plain.stdout);
}

#[test]
fn text_color_always_is_the_same_text_with_escapes() {
    let files = [
        fixture("workloads.yaml"),
        fixture("allowed-pod.yaml"),
        fixture("malformed.yaml"),
    ];
    let mut args = vec!["check"];
    args.extend(files.iter().map(String::as_str));
    let plain = podsec_env(&args, None, &[("NO_COLOR", "1")]);
    args.extend(["--color", "always"]);
    let colored = podsec_env(&args, None, &[("NO_COLOR", "1")]);
    assert_eq!(colored.code, plain.code);
    for (colored, plain) in [
        (&colored.stdout, &plain.stdout),
        (&colored.stderr, &plain.stderr),
    ] {
        assert!(colored.contains("\x1b["), "{colored}");
        assert_ne!(colored, plain);
        assert_eq!(&strip_ansi(colored), plain);
    }
    // Red for denied, green for allowed, dim paths.
    assert!(
        colored.stdout.contains("\x1b[31mviolates PodSecurity"),
        "{}",
        colored.stdout
    );
    assert!(
        colored.stdout.contains("\x1b[32mallowed\x1b[0m"),
        "{}",
        colored.stdout
    );
    assert!(
        colored
            .stdout
            .contains("\x1b[2mspec.template.spec.containers[0].securityContext.privileged\x1b[0m"),
        "{}",
        colored.stdout
    );
    // The environment variable does the same as the flag.
    let env = podsec_env(&args[..args.len() - 2], None, &[("PODSEC_COLOR", "always")]);
    assert_eq!(env.stdout, colored.stdout);

    // Machine formats never have colors.
    for format in ["json", "sarif", "junit", "github", "kubectl"] {
        let run = podsec(
            &["check", "--format", format, "--color", "always", &files[0]],
            None,
        );
        assert!(
            !run.stdout.contains('\x1b') && !run.stderr.contains('\x1b'),
            "{format}: {}{}",
            run.stdout,
            run.stderr
        );
    }
}

#[test]
fn output_file_keeps_only_the_summary_on_the_terminal() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("output-file");
    let _ = std::fs::create_dir_all(&dir);
    let report = dir.join("report.json");
    let report_arg = report.to_str().expect("UTF-8 path");
    let run = podsec(
        &[
            "check",
            "--format",
            "json",
            "--output",
            report_arg,
            "../../examples",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.starts_with(
            "14 objects checked: 12 allowed, 2 denied, 4 skipped, 0 errors, 5 with warnings\n"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("report written to"), "{}", run.stderr);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    assert_eq!(written["summary"]["denied"], 2);
    assert_eq!(written["summary"]["warned"], 5);
}

#[test]
fn non_kubernetes_yaml_is_skipped_with_a_note() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("not-objects");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("values.yaml"), "replicas: 3\nimage: {tag: v1}\n").expect("write");
    let many: String = (0..25).map(|i| format!("---\n- item {i}\n")).collect();
    std::fs::write(dir.join("lists.yaml"), many).expect("write");
    std::fs::copy(fixture("allowed-pod.yaml"), dir.join("pod.yaml")).expect("copy");
    let path = dir.to_str().expect("UTF-8");
    let run = podsec(&["check", path], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let notes: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("note: "))
        .collect();
    assert_eq!(notes.len(), 21, "{}", run.stderr);
    assert!(
        notes[0].ends_with("lists.yaml:2: not a Kubernetes object (<sequence>), skipped"),
        "{}",
        notes[0]
    );
    assert_eq!(
        notes[20],
        "note: 6 more documents that are not Kubernetes objects, skipped"
    );
    assert!(
        run.stderr
            .ends_with("1 object checked: 1 allowed, 0 denied, 26 skipped, 0 errors\n")
    );
    // Machine formats list them as skipped, without notes.
    let run = podsec(&["check", "--format", "json", path], None);
    assert!(!run.stderr.contains("note:"), "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(report["skipped"].as_array().expect("skipped").len(), 26);
}

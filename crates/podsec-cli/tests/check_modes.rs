//! `podsec check`'s two modes: which one a run uses, and every flag of namespace mode
//! (`-n`, `--namespace-labels`, `--config`, `--username`, `--enforce-workloads`) and
//! `--kube-version`.

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

struct Run {
    code: i32,
    report: Value,
    stderr: String,
}

/// `podsec check --format json <args>` with `stdin` as standard input (`-`), no `PODSEC_*`
/// variables from the environment, in a scratch directory holding `files`.
fn check(args: &[&str], files: &[(&str, &str)], stdin: &str) -> Run {
    let dir = std::env::temp_dir().join(format!(
        "podsec-modes-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write file");
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_podsec"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PODSEC_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .args(["check", "--format", "json"])
        .args(args)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("podsec runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("podsec finishes");
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    Run {
        code: output.status.code().expect("exit code"),
        report: serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
        stderr,
    }
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn results(run: &Run) -> &Vec<Value> {
    run.report["results"].as_array().unwrap_or_else(|| {
        panic!("no results: {}\n{}", run.report, run.stderr);
    })
}

/// The result for the object called `name`.
fn result<'a>(run: &'a Run, name: &str) -> &'a Value {
    results(run)
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no result for {name}: {}", run.report))
}

const HOST_PID_POD: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: hostpid}
spec:
  hostPID: true
  containers: [{name: c, image: nginx}]
";

const PLAIN_POD: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  containers: [{name: c, image: nginx}]
";

const PRIVILEGED_DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: agent}
spec:
  template:
    spec:
      containers:
      - name: c
        image: nginx
        securityContext: {privileged: true}
";

fn namespace(name: &str, labels: &[(&str, &str)]) -> String {
    let mut text = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");
    if !labels.is_empty() {
        text.push_str("  labels:\n");
        for (k, v) in labels {
            text.push_str(&format!("    pod-security.kubernetes.io/{k}: {v}\n"));
        }
    }
    text
}

#[test]
fn level_mode_without_namespace_context() {
    // No namespace flag and no labelled Namespace: the policy-core default, restricted:latest.
    let stream = format!("{}---\n{PLAIN_POD}", namespace("team", &[]));
    let run = check(&["-"], &[], &stream);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let plain = result(&run, "plain");
    assert_eq!(
        (plain["level"].clone(), plain["version"].clone()),
        (json!("restricted"), json!("latest"))
    );
    assert!(plain.get("admission").is_none());
    assert_eq!(run.report["skipped"][0]["kind"], "Namespace");
    assert!(run.report["summary"].get("warned").is_none());
}

#[test]
fn a_labelled_namespace_selects_namespace_mode() {
    let stream = format!(
        "{}---\n{HOST_PID_POD}---\n{PLAIN_POD}",
        namespace("team", &[("enforce", "baseline"), ("warn", "restricted")])
    );
    // The objects have no namespace: `-n` puts them in "team".
    let run = check(&["-n", "team", "-"], &[], &stream);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let denied = result(&run, "hostpid");
    assert_eq!(denied["namespace"], "team");
    assert_eq!(denied["level"], "baseline");
    assert_eq!(denied["allowed"], false);
    assert_eq!(
        denied["admission"]["status"],
        json!({
            "code": 403,
            "reason": "Forbidden",
            "message": "pods \"hostpid\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostPID=true)",
        })
    );
    let plain = result(&run, "plain");
    assert_eq!(plain["allowed"], true);
    assert_eq!(plain["admission"]["status"], Value::Null);
    let warnings = plain["admission"]["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].as_str().expect("warning").starts_with(
            "would violate PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false"
        ),
        "{warnings:?}"
    );
    assert_eq!(
        plain["admission"]["auditAnnotations"],
        json!({"enforce-policy": "baseline:latest"})
    );
    assert_eq!(run.report["summary"]["warned"], 1);

    // Without `-n` they are created in "default", which has no labels: privileged.
    let run = check(&["-"], &[], &stream);
    assert_eq!(run.code, 0, "{}", run.report);
    assert_eq!(result(&run, "hostpid")["namespace"], "default");
    assert_eq!(result(&run, "hostpid")["level"], "privileged");
}

#[test]
fn namespaces_are_found_in_any_input_and_order() {
    // The pod comes first, in another file: every input is scanned for namespaces first.
    let pod = HOST_PID_POD.replace("{name: hostpid}", "{name: hostpid, namespace: team}");
    let ns = namespace("team", &[("enforce", "baseline")]);
    let run = check(
        &["a.yaml", "b.yaml"],
        &[("a.yaml", &pod), ("b.yaml", &ns)],
        "",
    );
    assert_eq!(run.code, 1);
    assert_eq!(result(&run, "hostpid")["allowed"], false);
    assert_eq!(result(&run, "team")["kind"], "Namespace");
}

#[test]
fn namespace_labels_flag_with_short_keys() {
    let run = check(
        &[
            "--namespace-labels",
            "enforce=baseline,enforce-version=v1.30",
            "-",
        ],
        &[],
        HOST_PID_POD,
    );
    assert_eq!(run.code, 1);
    let r = result(&run, "hostpid");
    assert_eq!(
        (r["namespace"].clone(), r["version"].clone()),
        (json!("default"), json!("v1.30"))
    );
    assert_eq!(
        r["admission"]["status"]["message"],
        "pods \"hostpid\" is forbidden: violates PodSecurity \"baseline:v1.30\": host namespaces (hostPID=true)"
    );

    // A Namespace object wins over the flag for its own namespace.
    let stream = format!(
        "{}---\n{}",
        namespace("open", &[("enforce", "privileged")]),
        HOST_PID_POD.replace("{name: hostpid}", "{name: hostpid, namespace: open}")
    );
    let run = check(
        &["--namespace-labels", "enforce=restricted", "-"],
        &[],
        &stream,
    );
    assert_eq!(run.code, 0, "{}", run.report);

    // Malformed labels are a usage error.
    let run = check(&["--namespace-labels", "enforce", "-"], &[], HOST_PID_POD);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("KEY=VALUE"), "{}", run.stderr);
}

#[test]
fn invalid_namespace_labels_deny_the_namespace() {
    let run = check(&["-"], &[], &namespace("bad", &[("enforce", "strict")]));
    assert_eq!(run.code, 1);
    let r = result(&run, "bad");
    assert_eq!(r["allowed"], false);
    assert_eq!(r["admission"]["status"]["code"], 422);
    assert_eq!(r["admission"]["status"]["reason"], "Invalid");
}

const CONFIG: &str = "\
apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults:
  enforce: baseline
exemptions:
  usernames: [ci-bot]
  runtimeClasses: [kata]
  namespaces: [kube-system]
";

#[test]
fn config_defaults_and_exemptions() {
    // Defaults: an unlabelled namespace enforces baseline.
    let run = check(
        &["--config", "config.yaml", "-"],
        &[("config.yaml", CONFIG)],
        HOST_PID_POD,
    );
    assert_eq!(run.code, 1);
    assert_eq!(result(&run, "hostpid")["level"], "baseline");

    // Each exemption, with upstream's annotation.
    let kata = HOST_PID_POD.replace(
        "  hostPID: true\n",
        "  hostPID: true\n  runtimeClassName: kata\n",
    );
    for (args, stdin, by) in [
        (
            vec!["-n", "kube-system"],
            HOST_PID_POD.to_owned(),
            "namespace",
        ),
        (
            vec!["--username", "ci-bot"],
            HOST_PID_POD.to_owned(),
            "user",
        ),
        (vec![], kata, "runtimeClass"),
    ] {
        let mut all = vec!["--config", "config.yaml"];
        all.extend(args);
        all.push("-");
        let run = check(&all, &[("config.yaml", CONFIG)], &stdin);
        assert_eq!(run.code, 0, "{by}: {}", run.report);
        let r = result(&run, "hostpid");
        assert_eq!(
            r["admission"]["auditAnnotations"],
            json!({"exempt": by}),
            "{by}"
        );
        assert_eq!(r["violations"], json!([]), "{by}");
    }

    // A broken configuration names the file and the field.
    let run = check(
        &["--config", "config.yaml", "-"],
        &[(
            "config.yaml",
            "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {enforce: strict}\n",
        )],
        HOST_PID_POD,
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("config.yaml"), "{}", run.stderr);
    assert!(run.stderr.contains("strict"), "{}", run.stderr);
}

#[test]
fn workloads_warn_unless_enforced() {
    let stream = format!(
        "{}---\n{}",
        namespace("team", &[("enforce", "baseline")]),
        PRIVILEGED_DEPLOYMENT.replace("{name: agent}", "{name: agent, namespace: team}")
    );
    let run = check(&["-"], &[], &stream);
    assert_eq!(run.code, 0, "{}", run.report);
    let r = result(&run, "agent");
    assert_eq!(r["allowed"], true);
    assert_eq!(r["admission"]["allowed"], true);
    assert_eq!(r["violations"][0]["check"], "privileged");
    assert_eq!(
        r["admission"]["warnings"],
        json!([
            "would violate PodSecurity \"baseline:latest\": privileged (container \"c\" must not set securityContext.privileged=true)"
        ])
    );

    let run = check(&["--enforce-workloads", "-"], &[], &stream);
    assert_eq!(run.code, 1);
    let r = result(&run, "agent");
    // The API server still admits it; podsec counts it as denied.
    assert_eq!(
        (r["allowed"].clone(), r["admission"]["allowed"].clone()),
        (json!(false), json!(true))
    );
}

#[test]
fn level_and_namespace_flags_conflict() {
    let run = check(&["--level", "baseline", "-n", "team", "-"], &[], PLAIN_POD);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}

#[test]
fn kube_version_chooses_defaulting_and_latest() {
    // A hostNetwork template: before v1.28 the API server defaulted its host ports too.
    let deployment = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: net}
spec:
  template:
    spec:
      hostNetwork: true
      containers:
      - name: c
        image: nginx
        ports: [{containerPort: 8080}]
";
    let detail = |run: &Run| {
        result(run, "net")["message"]
            .as_str()
            .expect("message")
            .to_owned()
    };
    let old = check(
        &["--level", "baseline", "--kube-version", "v1.27", "-"],
        &[],
        deployment,
    );
    assert_eq!(
        detail(&old),
        "host namespaces (hostNetwork=true), hostPort (container \"c\" uses hostPort 8080)"
    );
    let new = check(
        &["--level", "baseline", "--kube-version", "v1.28", "-"],
        &[],
        deployment,
    );
    assert_eq!(detail(&new), "host namespaces (hostNetwork=true)");

    // `latest` is the cluster's version: a v1.24 cluster has no restricted Windows exception
    // and no v1.25 behaviour; `latest` evaluates as v1.24 but is still shown as requested.
    let pod = "\
apiVersion: v1
kind: Pod
metadata: {name: win}
spec:
  os: {name: windows}
  securityContext: {runAsNonRoot: true}
  containers: [{name: c, image: nginx, securityContext: {allowPrivilegeEscalation: false}}]
";
    let v124 = check(&["--kube-version", "v1.24", "-"], &[], pod);
    let v125 = check(&["--kube-version", "v1.25", "-"], &[], pod);
    assert_eq!(result(&v124, "win")["version"], "latest");
    assert_eq!(result(&v124, "win")["allowed"], false, "{}", v124.report);
    assert_eq!(result(&v125, "win")["allowed"], true, "{}", v125.report);

    let run = check(&["--kube-version", "1.30", "-"], &[], pod);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--kube-version"), "{}", run.stderr);
}

#[test]
fn config_from_an_admission_configuration() {
    // The API server's own file, with the PodSecurity plugin's configuration by relative path.
    let admission = "\
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  path: psa.yaml
";
    let files = [("admission.yaml", admission), ("psa.yaml", CONFIG)];
    let run = check(&["--config", "admission.yaml", "-"], &files, HOST_PID_POD);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(result(&run, "hostpid")["level"], "baseline");
    let run = check(
        &["--config", "admission.yaml", "--username", "ci-bot", "-"],
        &files,
        HOST_PID_POD,
    );
    assert_eq!(run.code, 0, "{}", run.report);
    assert_eq!(
        result(&run, "hostpid")["admission"]["auditAnnotations"],
        json!({"exempt": "user"})
    );
}

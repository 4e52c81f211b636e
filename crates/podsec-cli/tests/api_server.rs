//! Namespace mode gives the API server's whole answer: its own validation (`422 Invalid`
//! before any admission runs, keyed to `--kube-version`) and its own warnings (`apiWarnings`,
//! `Warning:` lines of the `kubectl` format, `warning:` lines of the text format). Expected
//! messages are upstream's (`crates/podsec-policy/APISERVER.md`, which names the
//! kubernetes/kubernetes functions that produce them).

use serde_json::{Value, json};

mod support;
use support::check;

/// `podsec check --format json <args> -` with `stream` on standard input.
fn check_json(args: &[&str], stream: &str) -> (i32, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    all.push("-");
    let run = check(&all, &[], stream);
    (run.code, run.json())
}

/// The result for the object called `name`.
fn result<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {report}"))
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no result for {name}: {report}"))
}

fn status_message(r: &Value) -> &str {
    r["admission"]["status"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no status message: {r}"))
}

/// A namespace `team` enforcing baseline (warn follows it).
const TEAM_BASELINE: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: team
  labels:
    pod-security.kubernetes.io/enforce: baseline
";

const UNMASKED_POD: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: unmasked, namespace: team}
spec:
  containers:
  - name: c
    image: nginx
    securityContext: {procMount: Unmasked}
";

/// Upstream `ValidateSecurityContext` (v1.30+, kubernetes/kubernetes#123520).
const UNMASKED_INVALID: &str = "Pod \"unmasked\" is invalid: spec.containers[0].securityContext.procMount: Invalid value: \"Unmasked\": `hostUsers` must be false to use `Unmasked`";

/// Upstream's baseline `procMount` check message.
const UNMASKED_FORBIDDEN: &str = "pods \"unmasked\" is forbidden: violates PodSecurity \"baseline:latest\": procMount (container \"c\" must not set securityContext.procMount to \"Unmasked\")";

fn unmasked_stream() -> String {
    format!("{TEAM_BASELINE}---\n{UNMASKED_POD}")
}

#[test]
fn unmasked_proc_mount_without_host_users_false_is_invalid_at_v1_36() {
    let (code, report) = check_json(&["--kube-version", "v1.36"], &unmasked_stream());
    assert_eq!(code, 1, "{report}");
    let pod = result(&report, "unmasked");
    assert_eq!(pod["allowed"], false);
    assert_eq!(
        pod["admission"],
        json!({
            "allowed": false,
            "status": {"code": 422, "reason": "Invalid", "message": UNMASKED_INVALID},
            "warnings": [],
            "auditAnnotations": {},
        })
    );
    // No Pod Security evaluation: the API server rejects the pod before admission.
    assert_eq!(pod["violations"], json!([]));
    assert_eq!(pod["message"], "");
    assert_eq!(pod["apiWarnings"], json!([]));
    assert_eq!(report["summary"]["denied"], 1);
}

#[test]
fn unmasked_proc_mount_before_v1_33_is_defaulted_away_and_judged_by_pod_security() {
    // v1.29: no such validation rule, and `procMount` becomes `Default` (gate ProcMountType
    // off); v1.32: the rule exists (v1.30+) but the field is still dropped before it.
    for kube in ["v1.29", "v1.32"] {
        let (code, report) = check_json(&["--kube-version", kube], &unmasked_stream());
        assert_eq!(code, 0, "{kube}: {report}");
        let pod = result(&report, "unmasked");
        assert_eq!(pod["allowed"], true, "{kube}");
        assert_eq!(
            pod["admission"],
            json!({
                "allowed": true,
                "status": null,
                "warnings": [],
                "auditAnnotations": {"enforce-policy": "baseline:latest"},
            }),
            "{kube}"
        );
    }
    // v1.33: the field survives defaulting, so validation sees it.
    let (code, report) = check_json(&["--kube-version", "v1.33"], &unmasked_stream());
    assert_eq!(code, 1);
    assert_eq!(
        status_message(result(&report, "unmasked")),
        UNMASKED_INVALID
    );
}

#[test]
fn raw_turns_validation_off() {
    // Without defaulting or validation, Pod Security sees `Unmasked` and baseline forbids it.
    for kube in ["v1.36", "v1.29"] {
        let (code, report) = check_json(&["--kube-version", kube, "--raw"], &unmasked_stream());
        assert_eq!(code, 1, "{kube}");
        let pod = result(&report, "unmasked");
        assert_eq!(pod["admission"]["status"]["code"], 403, "{kube}");
        assert_eq!(status_message(pod), UNMASKED_FORBIDDEN, "{kube}");
        assert_eq!(pod["violations"][0]["check"], "procMount");
        assert_eq!(pod["apiWarnings"], json!([]));
    }
}

#[test]
fn unmasked_proc_mount_with_host_users_false_is_valid() {
    let stream = format!(
        "{TEAM_BASELINE}---\n{}",
        UNMASKED_POD.replace("spec:\n", "spec:\n  hostUsers: false\n")
    );
    let (_, report) = check_json(&["--kube-version", "v1.36"], &stream);
    let pod = result(&report, "unmasked");
    assert_ne!(pod["admission"]["status"]["code"], 422, "{pod}");
    assert_eq!(pod["apiWarnings"], json!([]));
}

#[test]
fn level_mode_never_validates() {
    let (code, report) = check_json(
        &["--level", "baseline", "--kube-version", "v1.36"],
        &unmasked_stream(),
    );
    assert_eq!(code, 1);
    let pod = result(&report, "unmasked");
    assert_eq!(
        pod["message"],
        "procMount (container \"c\" must not set securityContext.procMount to \"Unmasked\")"
    );
    assert!(pod.get("admission").is_none(), "{pod}");
    assert!(pod.get("apiWarnings").is_none(), "{pod}");
}

#[test]
fn seccomp_annotation_and_field_that_disagree_are_invalid() {
    let stream = "\
apiVersion: v1
kind: Pod
metadata:
  name: mismatch
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: runtime/default
spec:
  securityContext:
    seccompProfile: {type: Unconfined}
  containers: [{name: c, image: nginx}]
";
    // Even in a namespace that allows everything: validation comes before admission.
    let (code, report) = check_json(&["-n", "dev"], stream);
    assert_eq!(code, 1);
    let pod = result(&report, "mismatch");
    assert_eq!(pod["admission"]["status"]["code"], 422);
    assert_eq!(pod["admission"]["status"]["reason"], "Invalid");
    assert_eq!(
        status_message(pod),
        "Pod \"mismatch\" is invalid: spec.securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match"
    );
    // Upstream's pod-annotation warning is given only once validation passed.
    assert_eq!(pod["apiWarnings"], json!([]));
}

#[test]
fn a_workload_is_invalid_at_its_template_path_with_its_group() {
    let stream = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx
        securityContext: {allowPrivilegeEscalation: false, privileged: true}
";
    let (code, report) = check_json(&["-n", "dev"], stream);
    assert_eq!(code, 1);
    let deployment = result(&report, "web");
    assert_eq!(deployment["allowed"], false);
    assert_eq!(deployment["admission"]["status"]["code"], 422);
    let message = status_message(deployment);
    // Upstream prints the whole internal struct with Go's %#v (pointer addresses included);
    // podsec abbreviates it to `{...}` (documented): pin everything around it.
    let head = "Deployment.apps \"web\" is invalid: spec.template.spec.containers[0].securityContext: Invalid value: core.SecurityContext{";
    let tail = "}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true";
    assert!(
        message.starts_with(head) && message.ends_with(tail),
        "{message}"
    );
    assert_eq!(message.matches("is invalid").count(), 1, "{message}");
    assert!(
        !message.contains(": ["),
        "one error, no brackets: {message}"
    );
}

#[test]
fn a_cron_job_is_invalid_at_its_job_template_path() {
    let stream = "\
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: '0 0 * * *'
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: job
            image: busybox
            securityContext: {runAsUser: -1}
";
    let (_, report) = check_json(&["-n", "dev"], stream);
    assert_eq!(
        status_message(result(&report, "nightly")),
        "CronJob.batch \"nightly\" is invalid: spec.jobTemplate.spec.template.spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive"
    );
}

#[test]
fn several_errors_are_listed_in_brackets_in_upstream_order() {
    // `ValidateSecurityContext` checks runAsUser before procMount.
    let stream = "\
apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  containers:
  - name: c
    image: nginx
    securityContext:
      procMount: Unmasked
      runAsUser: -1
";
    let (code, report) = check_json(&["-n", "dev", "--kube-version", "v1.36"], stream);
    assert_eq!(code, 1);
    assert_eq!(
        status_message(result(&report, "two")),
        "Pod \"two\" is invalid: [spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive, spec.containers[0].securityContext.procMount: Invalid value: \"Unmasked\": `hostUsers` must be false to use `Unmasked`]"
    );
}

const APPARMOR_POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: aa
  annotations:
    container.apparmor.security.beta.kubernetes.io/c: runtime/default
spec:
  containers: [{name: c, image: nginx}]
";

const APPARMOR_WARNING: &str = "metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]: deprecated since v1.30; use the \"appArmorProfile\" field instead";

#[test]
fn apparmor_annotation_is_deprecated_from_v1_30() {
    for (kube, warnings) in [
        ("v1.29", json!([])),
        ("v1.30", json!([APPARMOR_WARNING])),
        ("v1.36", json!([APPARMOR_WARNING])),
    ] {
        let (code, report) = check_json(&["-n", "dev", "--kube-version", kube], APPARMOR_POD);
        assert_eq!(code, 0, "{kube}");
        let pod = result(&report, "aa");
        assert_eq!(pod["apiWarnings"], warnings, "{kube}");
        // Apart from Pod Security's own warnings (none in a privileged namespace).
        assert_eq!(pod["admission"]["warnings"], json!([]), "{kube}");
        let warned = usize::from(kube != "v1.29");
        assert_eq!(report["summary"]["warned"], warned, "{kube}");
        assert_eq!(
            report["summary"]["namespaces"][0]["warned"], warned,
            "{kube}"
        );
    }
    // `--raw`: none of the API server's answer.
    let (_, report) = check_json(&["-n", "dev", "--raw"], APPARMOR_POD);
    assert_eq!(result(&report, "aa")["apiWarnings"], json!([]));
}

const LEGACY_DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: legacy}
spec:
  selector: {matchLabels: {app: legacy}}
  template:
    metadata:
      labels: {app: legacy}
      annotations:
        seccomp.security.alpha.kubernetes.io/pod: runtime/default
    spec:
      containers: [{name: app, image: nginx}]
";

const LEGACY_WARNING: &str = "spec.template.metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: non-functional in v1.27+; use the \"seccompProfile\" field instead";

#[test]
fn a_template_annotation_warning_names_the_template_path() {
    let (code, report) = check_json(&["-n", "dev"], LEGACY_DEPLOYMENT);
    assert_eq!(code, 0);
    let deployment = result(&report, "legacy");
    assert_eq!(deployment["apiWarnings"], json!([LEGACY_WARNING]));
    assert_eq!(deployment["admission"]["warnings"], json!([]));
    // v1.23-v1.26 words it differently (`pkg/api/pod/warnings.go`).
    let (_, report) = check_json(&["-n", "dev", "--kube-version", "v1.25"], LEGACY_DEPLOYMENT);
    assert_eq!(
        result(&report, "legacy")["apiWarnings"],
        json!([
            "spec.template.metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: deprecated since v1.19, non-functional in v1.25+; use the \"seccompProfile\" field instead"
        ])
    );
}

/// Upstream's restricted message for a container `app` with nothing set.
const APP_RESTRICTED: &str = "allowPrivilegeEscalation != false (container \"app\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"app\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container \"app\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container \"app\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")";

#[test]
fn kubectl_prints_the_api_servers_warnings_before_pod_securitys() {
    let run = check(
        &[
            "--format",
            "kubectl",
            "-n",
            "apps",
            "--namespace-labels",
            "warn=restricted",
            "legacy.yaml",
        ],
        &[("legacy.yaml", LEGACY_DEPLOYMENT)],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "deployment.apps/legacy created\n");
    assert_eq!(
        run.stderr,
        format!(
            "Warning: {LEGACY_WARNING}\nWarning: would violate PodSecurity \"restricted:latest\": {APP_RESTRICTED}\n"
        )
    );
}

#[test]
fn kubectl_prints_an_invalid_object_as_error_from_server() {
    let run = check(
        &[
            "--format",
            "kubectl",
            "--kube-version",
            "v1.36",
            "pods.yaml",
        ],
        &[("pods.yaml", &unmasked_stream())],
        "",
    );
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "namespace/team created\n");
    assert_eq!(
        run.stderr,
        format!(
            "Error from server (Invalid): error when creating \"pods.yaml\": {UNMASKED_INVALID}\n"
        )
    );
    // From standard input, kubectl names the file STDIN.
    let run = check(
        &["--format", "kubectl", "--kube-version", "v1.36", "-"],
        &[],
        &unmasked_stream(),
    );
    assert_eq!(
        run.stderr,
        format!("Error from server (Invalid): error when creating \"STDIN\": {UNMASKED_INVALID}\n")
    );
}

/// A pod that is invalid (runAsUser out of range) and carries an AppArmor annotation, a
/// seccomp pod annotation, and a deprecated volume source.
const INVALID_WITH_ANNOTATIONS: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: broken
  annotations:
    container.apparmor.security.beta.kubernetes.io/c: runtime/default
    seccomp.security.alpha.kubernetes.io/pod: runtime/default
spec:
  volumes: [{name: repo, gitRepo: {repository: 'https://example.com/r.git'}}]
  containers:
  - name: c
    image: nginx
    securityContext: {runAsUser: -1}
";

const BROKEN_INVALID: &str = "Pod \"broken\" is invalid: spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive";

#[test]
fn an_invalid_pod_keeps_only_the_warnings_given_before_validation() {
    let (code, report) = check_json(&["-n", "dev"], INVALID_WITH_ANNOTATIONS);
    assert_eq!(code, 1);
    let pod = result(&report, "broken");
    assert_eq!(status_message(pod), BROKEN_INVALID);
    // The AppArmor warning comes from the create strategy (`applyAppArmorVersionSkew`),
    // before validation; the seccomp and gitRepo ones from `WarningsOnCreate`, after it.
    assert_eq!(pod["apiWarnings"], json!([APPARMOR_WARNING]));
    assert_eq!(report["summary"]["warned"], 1);

    // Valid, it gets all three in upstream's order: the strategy's AppArmor warning, then
    // `warningsForPodSpecAndMeta`'s volumes before its seccomp annotation.
    let valid = INVALID_WITH_ANNOTATIONS.replace("    securityContext: {runAsUser: -1}\n", "");
    let (code, report) = check_json(&["-n", "dev"], &valid);
    assert_eq!(code, 0);
    assert_eq!(
        result(&report, "broken")["apiWarnings"],
        json!([
            APPARMOR_WARNING,
            "spec.volumes[0].gitRepo: deprecated in v1.11",
            "metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: non-functional in v1.27+; use the \"seccompProfile\" field instead",
        ])
    );

    // kubectl: the warning, then the error.
    let run = check(
        &["--format", "kubectl", "-n", "dev", "broken.yaml"],
        &[("broken.yaml", INVALID_WITH_ANNOTATIONS)],
        "",
    );
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!(
            "Warning: {APPARMOR_WARNING}\nError from server (Invalid): error when creating \"broken.yaml\": {BROKEN_INVALID}\n"
        )
    );
}

#[test]
fn an_invalid_workload_has_no_api_warnings() {
    // A template's AppArmor warning comes from `WarningsOnCreate`, after validation.
    let stream = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken}
spec:
  selector: {matchLabels: {app: b}}
  template:
    metadata:
      labels: {app: b}
      annotations:
        container.apparmor.security.beta.kubernetes.io/app: runtime/default
    spec:
      containers:
      - name: app
        image: nginx
        securityContext: {runAsUser: -1}
";
    let (_, report) = check_json(&["-n", "dev"], stream);
    let deployment = result(&report, "broken");
    assert_eq!(deployment["admission"]["status"]["code"], 422);
    assert_eq!(deployment["apiWarnings"], json!([]));
    // Valid, it has the warning at the template's path.
    let (_, report) = check_json(
        &["-n", "dev"],
        &stream.replace("        securityContext: {runAsUser: -1}\n", ""),
    );
    assert_eq!(
        result(&report, "broken")["apiWarnings"],
        json!([
            "spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]: deprecated since v1.30; use the \"appArmorProfile\" field instead"
        ])
    );
}

#[test]
fn text_format_shows_api_warnings_and_invalid_objects() {
    let files = [
        ("aa.yaml", APPARMOR_POD),
        ("legacy.yaml", LEGACY_DEPLOYMENT),
        ("pods.yaml", UNMASKED_POD),
    ];
    let run = check(
        &[
            "--namespace-labels",
            "warn=restricted",
            "-n",
            "apps",
            "--kube-version",
            "v1.36",
            "aa.yaml",
            "legacy.yaml",
            "pods.yaml",
        ],
        &files,
        "",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let aa = APP_RESTRICTED.replace("\"app\"", "\"c\"");
    let expected = format!(
        "==> aa.yaml <==
aa.yaml:1 Pod apps/aa: allowed
  warning: {APPARMOR_WARNING}
  warning: would violate PodSecurity \"restricted:latest\": {aa}

==> legacy.yaml <==
legacy.yaml:1 Deployment apps/legacy: allowed
  warning: {LEGACY_WARNING}
  warning: would violate PodSecurity \"restricted:latest\": {APP_RESTRICTED}

==> pods.yaml <==
pods.yaml:1 Pod team/unmasked: denied: {UNMASKED_INVALID}
"
    );
    assert_eq!(run.stdout, expected);
}

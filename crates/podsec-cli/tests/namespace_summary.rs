//! Namespace mode's summary: JSON `summary.mode` and `summary.namespaces` (each namespace's
//! enforce, audit and warn policy and what decided it, exemption, label errors, counts), the
//! text format's `namespace mode:` block and its hint for objects judged only by the
//! privileged default; level mode's JSON is unchanged.

use serde_json::{Value, json};

mod support;
use support::check;

/// `podsec check --format json <args> <files...>`.
fn check_json(args: &[&str], files: &[(&str, &str)]) -> (i32, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    all.extend(files.iter().map(|(name, _)| *name));
    let run = check(&all, files, "");
    (run.code, run.json())
}

/// The summary's namespace called `name`.
fn namespace<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["summary"]["namespaces"]
        .as_array()
        .unwrap_or_else(|| panic!("no summary.namespaces: {report}"))
        .iter()
        .find(|n| n["name"] == name)
        .unwrap_or_else(|| panic!("no namespace {name}: {}", report["summary"]))
}

fn names(report: &Value) -> Vec<&str> {
    report["summary"]["namespaces"]
        .as_array()
        .expect("summary.namespaces")
        .iter()
        .map(|n| n["name"].as_str().expect("name"))
        .collect()
}

fn result<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no result for {name}: {report}"))
}

/// A file of a run: its name and text.
type File<'a> = (&'a str, &'a str);

fn policy(policy: &str, from: &str) -> Value {
    json!({"policy": policy, "from": from})
}

/// A `Namespace` with Pod Security labels (short keys).
fn ns(name: &str, labels: &[(&str, &str)]) -> String {
    let mut text = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");
    if !labels.is_empty() {
        text.push_str("  labels:\n");
        for (k, v) in labels {
            text.push_str(&format!("    pod-security.kubernetes.io/{k}: {v}\n"));
        }
    }
    text
}

/// A pod `name` in `namespace` (none: `-n` or `default`), with `hostPID: true` when
/// `host_pid` (denied by baseline), else with nothing set (allowed by baseline, not by
/// restricted).
fn pod(name: &str, namespace: Option<&str>, host_pid: bool) -> String {
    let namespace = namespace.map_or(String::new(), |n| format!(", namespace: {n}"));
    let host_pid = if host_pid { "  hostPID: true\n" } else { "" };
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}{namespace}}}\nspec:\n{host_pid}  containers: [{{name: c, image: nginx}}]\n"
    )
}

#[test]
fn a_namespace_object_with_enforce_only() {
    // The Namespace is the second document of its file, at line 6: `line` is its own.
    let namespaces = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings, namespace: team}}\ndata: {{a: b}}\n---\n{}",
        ns(
            "team",
            &[("enforce", "baseline"), ("enforce-version", "v1.30")]
        )
    );
    let pods = format!(
        "{}---\n{}---\n{}",
        pod("ok", Some("team"), false),
        pod("hostpid", Some("team"), true),
        pod("also-ok", Some("team"), false)
    );
    let (code, report) = check_json(&[], &[("ns.yaml", &namespaces), ("pods.yaml", &pods)]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["summary"]["mode"], "namespace");
    // The Namespace object is judged (and counted in the run's totals) but not in its
    // namespace's counts.
    assert_eq!(report["summary"]["evaluated"], 4);
    assert_eq!(
        report["summary"]["namespaces"],
        json!([{
            "name": "team",
            "labelsFrom": "Namespace",
            "file": "ns.yaml",
            "line": 6,
            "enforce": policy("baseline:v1.30", "label"),
            "audit": policy("privileged:latest", "default"),
            // Upstream's `PolicyToEvaluate`: warn follows a stricter explicit enforce level,
            // and its version.
            "warn": policy("baseline:v1.30", "enforce label"),
            "exempt": false,
            "privilegedByDefault": false,
            "evaluated": 3,
            "allowed": 2,
            "denied": 1,
            "warned": 0,
            "invalid": 0,
        }])
    );
}

#[test]
fn warn_does_not_follow_a_less_strict_enforce() {
    // With `--config` defaults warn=restricted, an enforce=baseline label leaves warn alone.
    let config = "\
apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults: {enforce: privileged, audit: privileged, warn: restricted}
";
    let (_, report) = check_json(
        &["--config", "config.yaml"],
        &[
            ("config.yaml", config),
            ("ns.yaml", &ns("team", &[("enforce", "baseline")])),
        ],
    );
    let team = namespace(&report, "team");
    assert_eq!(team["enforce"], policy("baseline:latest", "label"));
    assert_eq!(team["warn"], policy("restricted:latest", "default"));
    // A Namespace without objects in it is listed, with no counts.
    assert_eq!(team["evaluated"], 0);
}

#[test]
fn namespace_labels_flag() {
    let (code, report) = check_json(
        &[
            "--namespace-labels",
            "enforce=restricted,audit=baseline",
            "-n",
            "apps",
        ],
        &[("pods.yaml", &pod("plain", None, false))],
    );
    assert_eq!(code, 1);
    assert_eq!(
        report["summary"]["namespaces"],
        json!([{
            "name": "apps",
            "labelsFrom": "--namespace-labels",
            "enforce": policy("restricted:latest", "label"),
            "audit": policy("baseline:latest", "label"),
            "warn": policy("restricted:latest", "enforce label"),
            "exempt": false,
            "privilegedByDefault": false,
            "evaluated": 1,
            "allowed": 0,
            "denied": 1,
            "warned": 0,
            "invalid": 0,
        }])
    );
}

#[test]
fn an_unlabelled_namespace_is_privileged_by_default() {
    let (code, report) = check_json(
        &["-n", "dev"],
        &[("pods.yaml", &pod("hostpid", None, true))],
    );
    assert_eq!(code, 0);
    assert_eq!(
        report["summary"]["namespaces"],
        json!([{
            "name": "dev",
            "labelsFrom": "none",
            "enforce": policy("privileged:latest", "default"),
            "audit": policy("privileged:latest", "default"),
            "warn": policy("privileged:latest", "default"),
            "exempt": false,
            "privilegedByDefault": true,
            "evaluated": 1,
            "allowed": 1,
            "denied": 0,
            "warned": 0,
            "invalid": 0,
        }])
    );
    // A Namespace object without Pod Security labels: its labels, but still the default.
    let (_, report) = check_json(
        &["-n", "dev"],
        &[
            ("ns.yaml", &ns("dev", &[])),
            ("pods.yaml", &pod("hostpid", None, true)),
        ],
    );
    let dev = namespace(&report, "dev");
    assert_eq!(dev["labelsFrom"], "Namespace");
    assert_eq!(dev["privilegedByDefault"], true);
    // An explicit privileged label is a decision, not a default.
    let (_, report) = check_json(
        &["-n", "dev"],
        &[
            ("ns.yaml", &ns("dev", &[("enforce", "privileged")])),
            ("pods.yaml", &pod("hostpid", None, true)),
        ],
    );
    let dev = namespace(&report, "dev");
    assert_eq!(dev["enforce"], policy("privileged:latest", "label"));
    assert_eq!(dev["privilegedByDefault"], false);
}

/// The format of `examples/cluster/podsecurity-config.yaml`: baseline enforced by default,
/// restricted audited and warned, `kube-system` and `platform` exempt.
const CONFIG: &str = "\
apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults:
  enforce: baseline
  enforce-version: latest
  audit: restricted
  audit-version: latest
  warn: restricted
  warn-version: latest
exemptions:
  usernames: []
  runtimeClasses: []
  namespaces: [kube-system, platform]
";

#[test]
fn an_exempt_namespace_from_the_configuration() {
    let pods = format!(
        "{}---\n{}",
        pod("agent", Some("platform"), true),
        pod("app", Some("shop"), true)
    );
    let (code, report) = check_json(
        &["--config", "config.yaml"],
        &[("config.yaml", CONFIG), ("pods.yaml", &pods)],
    );
    assert_eq!(code, 1);
    assert_eq!(names(&report), ["platform", "shop"]);
    assert_eq!(
        namespace(&report, "platform"),
        &json!({
            "name": "platform",
            "labelsFrom": "none",
            "enforce": policy("baseline:latest", "default"),
            "audit": policy("restricted:latest", "default"),
            "warn": policy("restricted:latest", "default"),
            "exempt": true,
            "privilegedByDefault": false,
            "evaluated": 1,
            "allowed": 1,
            "denied": 0,
            "warned": 0,
            "invalid": 0,
        })
    );
    // Upstream's exempt answer: allowed, `exempt: namespace`, no warnings.
    assert_eq!(
        result(&report, "agent")["admission"],
        json!({"allowed": true, "status": null, "warnings": [], "auditAnnotations": {"exempt": "namespace"}})
    );
    let shop = namespace(&report, "shop");
    assert_eq!(shop["exempt"], false);
    assert_eq!(shop["enforce"], policy("baseline:latest", "default"));
    assert_eq!(
        (&shop["evaluated"], &shop["denied"]),
        (&json!(1), &json!(1))
    );
}

#[test]
fn an_invalid_label_value_is_a_label_error() {
    let stream = format!(
        "{}---\n{}",
        ns("bad", &[("enforce", "strict")]),
        pod("p", Some("bad"), false)
    );
    let (code, report) = check_json(&[], &[("all.yaml", &stream)]);
    assert_eq!(code, 1);
    let error = "metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"strict\": must be one of privileged, baseline, restricted";
    // The Namespace itself is rejected as upstream's admission rejects it.
    assert_eq!(
        result(&report, "bad")["admission"]["status"],
        json!({"code": 422, "reason": "Invalid", "message": format!("Namespace \"bad\" is invalid: {error}")})
    );
    assert_eq!(
        namespace(&report, "bad"),
        &json!({
            "name": "bad",
            "labelsFrom": "Namespace",
            "file": "all.yaml",
            "line": 1,
            // Fail closed: enforce becomes restricted:latest; warn does not follow an
            // invalid enforce label.
            "enforce": policy("restricted:latest", "label"),
            "audit": policy("privileged:latest", "default"),
            "warn": policy("privileged:latest", "default"),
            "exempt": false,
            "privilegedByDefault": false,
            "labelErrors": [error],
            "evaluated": 1,
            "allowed": 0,
            "denied": 1,
            "warned": 0,
            "invalid": 0,
        })
    );
}

#[test]
fn counts_per_namespace() {
    let namespaces = format!(
        "{}---\n{}",
        ns("strict", &[("enforce", "restricted")]),
        ns("mixed", &[("enforce", "baseline"), ("warn", "restricted")])
    );
    let deployment = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: mixed}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      hostPID: true
      containers: [{name: c, image: nginx}]
";
    let objects = [
        pod("s1", Some("strict"), false),
        pod("m1", Some("mixed"), false),
        pod("m2", Some("mixed"), true),
        deployment.to_owned(),
        pod("o1", Some("open"), true),
        pod("o2", Some("open"), false),
    ]
    .join("---\n");
    let (code, report) = check_json(&[], &[("ns.yaml", &namespaces), ("objects.yaml", &objects)]);
    assert_eq!(code, 1);
    assert_eq!(names(&report), ["mixed", "open", "strict"]);
    let counts = |name: &str| {
        let n = namespace(&report, name);
        [&n["evaluated"], &n["allowed"], &n["denied"], &n["warned"]]
            .map(|v| v.as_u64().expect("count"))
    };
    // mixed: m1 allowed with a restricted warning, m2 denied (hostPID), the Deployment
    // admitted with a warning (the API server never denies a workload).
    assert_eq!(counts("mixed"), [3, 2, 1, 2]);
    assert_eq!(counts("open"), [2, 2, 0, 0]);
    assert_eq!(counts("strict"), [1, 0, 1, 0]);
    let summary = &report["summary"];
    // 2 Namespaces + 6 objects.
    assert_eq!(
        [
            &summary["evaluated"],
            &summary["allowed"],
            &summary["denied"],
            &summary["warned"]
        ],
        [&json!(8), &json!(6), &json!(2), &json!(2)]
    );
}

const HINT_ONE: &str = "hint: 1 object in a namespace without Pod Security labels (dev) was judged only by the default policy, privileged, which allows everything; use --level restricted to check them against a level\n";

#[test]
fn text_lists_namespaces_and_hints_at_the_privileged_default() {
    let run = check(
        &["-n", "dev", "pod.yaml"],
        &[("pod.yaml", &pod("hostpid", None, true))],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "namespace mode: each object judged as the API server admits it in its namespace (1 namespace)\n  dev: enforce privileged:latest (default), audit privileged:latest (default), warn privileged:latest (default) (no labels); 1 object: 1 allowed, 0 denied\n{HINT_ONE}1 object checked: 1 allowed, 0 denied, 0 skipped, 0 errors\n"
        )
    );

    // Two unlabelled namespaces, plural.
    let pods = format!(
        "{}---\n{}---\n{}",
        pod("a1", Some("a"), false),
        pod("a2", Some("a"), false),
        pod("b1", Some("b"), false)
    );
    let run = check(&["-n", "x", "pods.yaml"], &[("pods.yaml", &pods)], "");
    assert!(
        run.stderr.contains("\nhint: 3 objects in 2 namespaces without Pod Security labels (a, b) were judged only by the default policy, privileged, which allows everything; use --level restricted to check them against a level\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn text_block_names_where_labels_come_from() {
    let namespaces = format!(
        "{}---\n{}",
        ns("team", &[("enforce", "baseline")]),
        ns("bad", &[("enforce", "strict")])
    );
    let pods = format!(
        "{}---\n{}",
        pod("ok", Some("team"), false),
        pod("hostpid", Some("team"), true)
    );
    let run = check(
        &["ns.yaml", "pods.yaml"],
        &[("ns.yaml", &namespaces), ("pods.yaml", &pods)],
        "",
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "namespace mode: each object judged as the API server admits it in its namespace (2 namespaces)\n  \
         bad: enforce restricted:latest, audit privileged:latest (default), warn privileged:latest (default) (labels of the Namespace at ns.yaml:8); invalid labels: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"strict\": must be one of privileged, baseline, restricted; 0 objects\n  \
         team: enforce baseline:latest, audit privileged:latest (default), warn baseline:latest (follows enforce) (labels of the Namespace at ns.yaml:1); 2 objects: 1 allowed, 1 denied\n\
         4 objects checked: 2 allowed, 2 denied, 0 skipped, 0 errors\n"
    );
}

#[test]
fn no_hint_when_a_policy_decides() {
    let pod_text = pod("hostpid", None, true);
    let baseline = ns("dev", &[("enforce", "baseline")]);
    let warn_only = ns("dev", &[("warn", "restricted")]);
    // Labelled by a Namespace (any Pod Security label), by --namespace-labels (even
    // privileged), or defaults from --config that are not privileged: no hint.
    let cases: [(&[&str], &[File]); 4] = [
        (&["-n", "dev", "ns.yaml"], &[("ns.yaml", &baseline)]),
        (
            &["-n", "dev", "--namespace-labels", "enforce=privileged"],
            &[],
        ),
        (&["-n", "dev", "ns.yaml"], &[("ns.yaml", &warn_only)]),
        (
            &["-n", "dev", "--config", "config.yaml"],
            &[("config.yaml", CONFIG)],
        ),
    ];
    for (args, extra) in cases {
        let mut files = extra.to_vec();
        files.push(("pod.yaml", &pod_text));
        let run = check(&[args, &["pod.yaml"]].concat(), &files, "");
        assert!(
            run.stderr.starts_with("namespace mode: "),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("hint:"), "{args:?}: {}", run.stderr);
    }

    // A privileged-by-default namespace holding only its Namespace object: nothing was
    // judged in it, no hint (the objects are in a labelled one).
    let stream = format!(
        "{}---\n{}---\n{}",
        ns("empty", &[]),
        ns("team", &[("enforce", "baseline")]),
        pod("p", Some("team"), false)
    );
    let run = check(&["all.yaml"], &[("all.yaml", &stream)], "");
    assert!(run.stderr.contains("  empty: "), "{}", run.stderr);
    assert!(!run.stderr.contains("hint:"), "{}", run.stderr);

    // An object the API server's validation rejects (422) was judged by no policy: it is
    // counted as `invalid`, and gives no hint.
    let invalid = "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers:\n  - name: c\n    image: i\n    securityContext: {procMount: Unmasked}\n";
    let run = check(&["-n", "x", "bad.yaml"], &[("bad.yaml", invalid)], "");
    assert!(run.stderr.contains("  x: "), "{}", run.stderr);
    assert!(
        run.stderr.contains("; 1 object: 0 allowed, 1 denied"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hint:"), "{}", run.stderr);
    let (_, report) = check_json(&["-n", "x"], &[("bad.yaml", invalid)]);
    let x = namespace(&report, "x");
    assert_eq!((&x["evaluated"], &x["invalid"]), (&json!(1), &json!(1)));
    assert_eq!(x["privilegedByDefault"], true);
}

#[test]
fn level_mode_json_is_unchanged() {
    let stream = format!(
        "{}---\n{}",
        ns("team", &[("enforce", "baseline")]),
        pod("p", Some("team"), false)
    );
    // `--level` chooses level mode even with a labelled Namespace; so does having no
    // namespace context at all.
    for args in [
        &["--level", "baseline"][..],
        &["--version", "v1.30"][..],
        &[][..],
    ] {
        let files: &[(&str, &str)] = if args.is_empty() {
            &[(
                "p.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx}]\n",
            )]
        } else {
            &[("all.yaml", &stream)]
        };
        let (_, report) = check_json(args, files);
        let summary = report["summary"].as_object().expect("summary");
        let mut keys: Vec<&str> = summary.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["allowed", "denied", "errors", "evaluated", "skipped"],
            "{args:?}: {report}"
        );
        for r in report["results"].as_array().expect("results") {
            assert!(r.get("apiWarnings").is_none(), "{args:?}: {r}");
            assert!(r.get("admission").is_none(), "{args:?}: {r}");
        }
        let run = check(
            &[args, &files.iter().map(|(n, _)| *n).collect::<Vec<_>>()[..]].concat(),
            files,
            "",
        );
        assert!(
            !run.stderr.contains("namespace mode:"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("hint:"), "{args:?}: {}", run.stderr);
    }
}

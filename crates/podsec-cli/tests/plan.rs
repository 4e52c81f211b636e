//! `podsec plan`: the rollout plan (snapshots on the demo cluster and the examples), its
//! exemptions and configuration, and the HTML page rendered in headless Chromium.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Run, Scratch, podsec_in, root};

mod support;

/// `podsec plan <args>` in `dir`.
fn plan_in(dir: &Path, args: &[&str]) -> Run {
    podsec_in(dir, &[&["plan"], args].concat())
}

fn plan(args: &[&str]) -> Run {
    plan_in(&root(), args)
}

fn namespace<'a>(plan: &'a Value, name: &str) -> &'a Value {
    plan["namespaces"]
        .as_array()
        .expect("namespaces")
        .iter()
        .find(|n| n["name"] == name)
        .unwrap_or_else(|| panic!("namespace {name} in {plan}"))
}

#[test]
fn demo_cluster_text() {
    let run = plan(&["snapshots/demo-cluster.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("demo_cluster_text", run.stdout);
}

#[test]
fn demo_cluster_json() {
    let run = plan(&["snapshots/demo-cluster.yaml", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("demo_cluster_json", run.stdout);
}

#[test]
fn examples_text() {
    let run = plan(&["examples"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("examples_text", run.stdout);
}

#[test]
fn examples_json() {
    let run = plan(&["examples", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("examples_json", run.stdout);
}

#[test]
fn steps_are_warn_audit_enforce_with_blockers_and_commands() {
    let plan = plan(&["snapshots/demo-cluster.yaml", "--format", "json"]).json();
    let newest = plan["newest"].as_str().unwrap().to_owned();

    let shop = namespace(&plan, "shop");
    assert_eq!(shop["decision"], "restrict");
    let modes: Vec<&str> = shop["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["mode"].as_str().unwrap())
        .collect();
    assert_eq!(modes, ["warn", "audit", "enforce"]);
    let warn = &shop["steps"][0];
    assert_eq!(warn["status"], "ready");
    assert_eq!(
        warn["kubectl"],
        format!(
            "kubectl label --overwrite ns shop pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/warn-version={newest}"
        )
    );
    let enforce = &shop["steps"][2];
    assert_eq!(enforce["status"], "blocked");
    assert_eq!(
        enforce["fix"],
        format!("podsec fix --level restricted:{newest} snapshots/demo-cluster.yaml")
    );
    let blocking: Vec<&str> = enforce["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(blocking, ["cart", "legacy-importer", "nightly-report"]);
    let importer = &enforce["blockers"][1];
    assert_eq!(importer["kind"], "Deployment");
    assert_eq!(importer["file"], "snapshots/demo-cluster.yaml");
    assert!(
        importer["blockers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["check"] == "restrictedVolumes"
                && b["detail"] == "volume \"drop\" uses restricted volume type \"hostPath\""),
        "{importer}"
    );

    // An empty namespace: every step ready, nothing affected.
    let public = namespace(&plan, "default");
    assert!(
        public["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "ready" && s["blockers"].as_array().unwrap().is_empty())
    );

    // Host-access workloads outside the system namespaces: kept privileged, explicitly.
    let monitoring = namespace(&plan, "monitoring");
    assert_eq!(monitoring["decision"], "keepPrivileged");
    let last = monitoring["steps"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (&last["mode"], &last["level"]),
        (&"enforce".into(), &"privileged".into())
    );

    // A system namespace needing privileged: exempt, in the configuration.
    let system = namespace(&plan, "kube-system");
    assert_eq!(system["decision"], "exempt");
    assert!(system["steps"].as_array().unwrap().is_empty());
    assert_eq!(plan["exemptNamespaces"], serde_json::json!(["kube-system"]));
    let config = plan["configuration"].as_str().unwrap();
    assert!(config.starts_with(
        "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n"
    ));
    assert!(
        config.contains("  namespaces:\n    - \"kube-system\"\n"),
        "{config}"
    );
}

#[test]
fn a_namespace_with_a_baseline_workload_enforces_baseline_before_restricted() {
    let pods = "apiVersion: v1
kind: Pod
metadata: {name: fine, namespace: apps}
spec:
  containers: [{name: c, image: nginx}]
";
    let dir = Scratch::with(&[("pods.yaml", pods)]);
    let plan = plan_in(
        &dir,
        &["pods.yaml", "--kube-version", "v1.30", "--format", "json"],
    )
    .json();
    let apps = namespace(&plan, "apps");
    let steps: Vec<String> = apps["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}={}:{} {}",
                s["mode"].as_str().unwrap(),
                s["level"].as_str().unwrap(),
                s["version"].as_str().unwrap(),
                s["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            "warn=restricted:v1.30 ready",
            "audit=restricted:v1.30 ready",
            "enforce=baseline:v1.30 ready",
            "enforce=restricted:v1.30 blocked",
        ]
    );
}

#[test]
fn labels_already_set_are_done() {
    let text = "apiVersion: v1
kind: Namespace
metadata:
  name: apps
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: v1.30
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/warn-version: v1.30
";
    let dir = Scratch::with(&[("ns.yaml", text)]);
    let plan = plan_in(
        &dir,
        &["ns.yaml", "--kube-version", "v1.30", "--format", "json"],
    )
    .json();
    let statuses: Vec<&str> = namespace(&plan, "apps")["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["done", "ready", "done"]);
    let text = plan_in(&dir, &["ns.yaml", "--kube-version", "v1.30"]).stdout;
    assert!(
        !text.contains("enforce-version=v1.30\n"),
        "done steps print no command:\n{text}"
    );
    assert!(
        text.contains("pod-security.kubernetes.io/audit-version=v1.30"),
        "{text}"
    );
}

#[test]
fn the_configuration_merges_with_config() {
    let config = "apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults: {enforce: baseline, audit: restricted}
exemptions:
  namespaces: [ci-runners]
  usernames: [system:serviceaccount:ci:runner]
  runtimeClasses: [kata]
";
    let dir = Scratch::with(&[("config.yaml", config)]);
    let run = plan_in(
        &dir,
        &[
            &root().join("snapshots/demo-cluster.yaml").to_string_lossy(),
            "--config",
            "config.yaml",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plan = run.json();
    assert_eq!(
        plan["exemptNamespaces"],
        serde_json::json!(["ci-runners", "kube-system"])
    );
    let yaml = plan["configuration"].as_str().unwrap();
    for line in [
        "  enforce: \"baseline\"\n",
        "  audit: \"restricted\"\n",
        "  usernames:\n    - \"system:serviceaccount:ci:runner\"\n",
        "  runtimeClasses:\n    - \"kata\"\n",
        "  namespaces:\n    - \"ci-runners\"\n    - \"kube-system\"\n",
    ] {
        assert!(yaml.contains(line), "{line:?} in\n{yaml}");
    }
    // The configuration's default applies to unlabelled namespaces now.
    assert_eq!(
        namespace(&plan, "default")["recommendation"]["current"]["enforce"],
        "baseline:latest"
    );
}

/// A pod and a namespace whose names would inject markup if not escaped.
const HOSTILE: &str = "apiVersion: v1
kind: Pod
metadata:
  name: \"<script>document.title='pwned'</script>\"
  namespace: \"<img src=x onerror=alert(1)>\"
spec:
  containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
";

#[test]
fn html_escapes_names_and_fetches_nothing() {
    let dir = Scratch::with(&[("hostile.yaml", HOSTILE)]);
    let run = plan_in(&dir, &["hostile.yaml", "--format", "html"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = run.stdout;
    assert!(!page.contains("<script>document.title"), "unescaped name");
    assert!(page.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
    assert!(!page.contains("<img"));
    assert_eq!(
        page.matches("<script>").count(),
        1,
        "only the page's own script"
    );
    assert!(page.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;; script-src &#39;unsafe-inline&#39;\">"
    ));
    assert!(!page.contains("http://") && !page.contains("https://"));
}

#[test]
fn output_file() {
    let dir = Scratch::with(&[("hostile.yaml", HOSTILE)]);
    let run = plan_in(
        &dir,
        &["hostile.yaml", "--format", "html", "-o", "plan.html"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let page = std::fs::read_to_string(dir.join("plan.html")).expect("written");
    assert!(page.starts_with("<!DOCTYPE html>"));
}

/// Debian's `chromium`, or `None` (skipped outside CI, a failure in CI).
fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            !podsec_conformance::in_ci(),
            "chromium not found (apt-get install chromium); CI is set, so this fails instead of skipping"
        );
        let _ = writeln!(
            std::io::stderr().lock(),
            "skipped: chromium not found at /usr/bin/chromium (apt-get install chromium); CI=true makes this a failure"
        );
    }
    found
}

/// The DOM of `page` after Chromium loaded it and ran its script.
fn dump_dom(chromium: &Path, page: &Path, profile: &Path) -> String {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().expect("chromium status").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("chromium output");
    assert!(
        output.status.success(),
        "chromium failed: {:?}",
        output.status
    );
    String::from_utf8(output.stdout).expect("UTF-8 DOM")
}

/// The start tag of the namespace section of `name`.
fn section_tag<'a>(dom: &'a str, name: &str) -> &'a str {
    let needle = format!("data-namespace=\"{name}\"");
    dom.match_indices("<section ")
        .map(|(at, _)| &dom[at..at + dom[at..].find('>').expect("tag ends")])
        .find(|tag| tag.contains(&needle))
        .unwrap_or_else(|| panic!("no section for {name}"))
}

#[test]
fn html_renders_in_headless_chromium() {
    let Some(chromium) = chromium() else { return };
    let dir = Scratch::with(&[("hostile.yaml", HOSTILE)]);
    let demo = root().join("snapshots/demo-cluster.yaml");
    let run = plan_in(
        &dir,
        &[
            &demo.to_string_lossy(),
            "hostile.yaml",
            "--format",
            "html",
            "-o",
            "plan.html",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = dir.join("plan.html");
    let dom = dump_dom(&chromium, &page, &dir.join("profile"));

    // The page's own script ran (the policy allows inline script), the injected one did not.
    assert!(dom.contains("data-script=\"ran\""), "{dom}");
    assert!(
        dom.contains("<title>Pod Security rollout plan</title>"),
        "title changed"
    );
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"));
    assert_eq!(dom.matches("<script").count(), 1, "one script element");
    assert!(!dom.contains("<img"));

    // Namespaces, coloured by the strictest level they pass.
    for (name, level) in [
        ("kube-system", "privileged"),
        ("monitoring", "privileged"),
        ("shop", "privileged"),
        ("payments", "baseline"),
        ("default", "restricted"),
        ("kube-public", "restricted"),
    ] {
        let tag = section_tag(&dom, name);
        assert!(tag.contains(&format!("level-{level}")), "{name}: {tag}");
    }
    assert!(section_tag(&dom, "shop").contains("status-blocked"));
    assert!(section_tag(&dom, "kube-system").contains("decision-exempt"));
    assert!(dom.contains("legend"));

    // Blocker rows with their objects and upstream's messages.
    let rows: Vec<&str> = dom.split("<tr class=\"blocker\">").skip(1).collect();
    assert!(rows.len() >= 10, "{} blocker rows", rows.len());
    assert!(
        rows.iter()
            .any(|r| r.contains("Deployment shop/legacy-importer")
                && r.contains("hostPathVolumes")
                && r.contains("hostPath volumes (volume \"drop\")"))
    );

    // The kubectl commands, ready to copy.
    assert!(dom.contains(
        "<code>kubectl label --overwrite ns shop pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/warn-version=v1."
    ));
    assert!(dom.contains("<code>podsec fix --level restricted:v1."));
    assert!(dom.contains("data-copy"));
    // The exemption snippet.
    assert!(dom.contains("kind: PodSecurityConfiguration"));
    assert!(dom.contains("- \"kube-system\""));

    // Nothing to fetch: the Content-Security-Policy forbids it, no URL names a server.
    assert!(dom.contains(
        "content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\""
    ));
    for attribute in ["src=\"", "href=\""] {
        for (at, _) in dom.match_indices(attribute) {
            let value = &dom[at + attribute.len()..];
            assert!(
                value.starts_with('#'),
                "only in-page links: {}",
                &value[..value.len().min(60)]
            );
        }
    }
    assert!(!dom.contains("http://") && !dom.contains("https://"));
    assert!(!dom.contains("url("));
}

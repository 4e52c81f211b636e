//! `podsec audit` (and every other adoption command) on a live cluster: the stand-in API server (`podsec-kube`'s `testing`
//! feature) holding the demo cluster's objects, reached through a kubeconfig file written
//! here. The answer equals the one on the same objects written to a snapshot file;
//! paginated listing, forbidden kinds, expired continue tokens, an unreachable server,
//! context selection and `--apply`.

use std::path::Path;

use podsec_kube::testing::FakeApiServer;
use serde_json::{Value, json};
use support::{Run, Scratch, command, root, run};

mod support;

const EPOCH: &str = "1767225600";

/// `podsec audit <args>` (in a thread of its own: the stand-in keeps serving), with
/// `env` set.
async fn audit(args: &[&str], env: &[(&str, &str)]) -> Run {
    podsec("audit", args, env).await
}

/// `podsec <command> <args>`, as [`audit`] runs it, at a fixed time.
async fn podsec(command_name: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = command(&root());
    command
        .arg(command_name)
        .args(args)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .envs(env.iter().copied());
    tokio::task::spawn_blocking(move || run(&mut command))
        .await
        .expect("the command's thread")
}

/// A kubeconfig whose current context `broken` points nowhere, and whose context
/// `stand-in` points at `url`.
fn kubeconfig(url: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
current-context: broken
clusters:
- name: stand-in
  cluster: {{server: \"{url}\"}}
- name: nowhere
  cluster: {{server: \"http://127.0.0.1:1\"}}
contexts:
- name: stand-in
  context: {{cluster: stand-in, user: anonymous}}
- name: broken
  context: {{cluster: nowhere, user: anonymous}}
users:
- name: anonymous
  user: {{}}
"
    )
}

/// The demo cluster snapshot's objects.
fn demo_objects() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots/demo-cluster.yaml");
    let text = std::fs::read_to_string(path).expect("the demo snapshot");
    let list: Value = serde_saphyr::from_str(&text).expect("the demo snapshot parses");
    list["items"].as_array().expect("a List").clone()
}

/// The order a listing reads: namespaces, then each kind in listing order, each by
/// namespace and name.
const KINDS: &[&str] = &[
    "Namespace",
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicationController",
    "PodTemplate",
];

fn listing_order(objects: &[Value]) -> Vec<Value> {
    let mut ordered = objects.to_vec();
    let key = |o: &Value| {
        let kind = o["kind"].as_str().unwrap_or_default();
        (
            KINDS.iter().position(|k| *k == kind).unwrap_or(usize::MAX),
            o["metadata"]["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            o["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    ordered.sort_by_key(key);
    ordered
}

/// A stand-in holding the demo cluster, and a kubeconfig for it.
async fn demo_cluster(scratch: &Scratch) -> (FakeApiServer, String) {
    let api = FakeApiServer::start().await;
    for object in demo_objects() {
        api.add_object(object);
    }
    let config = scratch.write("kubeconfig", &kubeconfig(&api.url()));
    (api, config)
}

/// The JSON report without what names the input (`file`, `line`, the source).
fn without_positions(mut report: Value) -> Value {
    report["source"] = Value::Null;
    for result in report["results"].as_array_mut().into_iter().flatten() {
        result["file"] = Value::Null;
        result["line"] = Value::Null;
    }
    for ns in report["namespaces"].as_array_mut().into_iter().flatten() {
        ns["labelsFrom"] = Value::Null;
    }
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_cluster_gives_the_same_audit_as_its_snapshot() {
    let scratch = Scratch::new();
    let (api, config) = demo_cluster(&scratch).await;
    let live = audit(
        &[
            "--kubeconfig",
            &config,
            "--context",
            "stand-in",
            "--page-size",
            "3",
            "--format",
            "json",
        ],
        &[],
    )
    .await;
    assert_eq!(live.code, 1, "{}", live.stderr);
    assert_eq!(
        live.stderr, "",
        "no progress line when standard error is not a terminal"
    );
    let report = live.json();
    assert_eq!(
        report["source"],
        json!({"kind": "cluster", "context": "stand-in"})
    );
    assert_eq!(report["results"][0]["file"], "cluster");
    assert_eq!(report["results"][0]["line"], 0);

    // The same objects, in the order the listing reads them, as a snapshot file.
    let snapshot =
        json!({"apiVersion": "v1", "kind": "List", "items": listing_order(&demo_objects())});
    let file = scratch.write("snapshot.json", &snapshot.to_string());
    let offline = audit(&["--format", "json", &file], &[]).await;
    assert_eq!(offline.code, live.code);
    assert_eq!(
        without_positions(offline.json()),
        without_positions(report.clone())
    );
    assert!(report["summary"]["units"].as_u64().unwrap_or_default() > 10);

    // Every kind was listed cluster-wide at its real path, 3 per page.
    let requests = api.requests();
    for path in [
        "/api/v1/namespaces",
        "/api/v1/pods",
        "/apis/apps/v1/deployments",
        "/apis/apps/v1/replicasets",
        "/apis/apps/v1/statefulsets",
        "/apis/apps/v1/daemonsets",
        "/apis/batch/v1/jobs",
        "/apis/batch/v1/cronjobs",
        "/api/v1/replicationcontrollers",
        "/api/v1/podtemplates",
    ] {
        let first = format!("GET {path}?limit=3");
        assert!(requests.contains(&first), "{first} not in {requests:#?}");
    }
    let pages = requests
        .iter()
        .filter(|r| r.starts_with("GET /api/v1/pods?limit=3&continue="))
        .count();
    let pods = demo_objects().iter().filter(|o| o["kind"] == "Pod").count();
    assert_eq!(pages, pods.div_ceil(3) - 1, "pods listed page by page");

    // The text report is the same but for positions.
    let live_text = audit(&["--kubeconfig", &config, "--context", "stand-in"], &[]).await;
    let offline_text = audit(&[&file], &[]).await;
    let summary = |run: &Run| run.stdout.lines().last().unwrap_or_default().to_owned();
    assert_eq!(summary(&live_text), summary(&offline_text));
    assert!(live_text.stdout.contains(" at cluster\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_context_comes_from_the_flag_else_the_kubeconfig() {
    let scratch = Scratch::new();
    let (_api, config) = demo_cluster(&scratch).await;
    // `$KUBECONFIG` and its current context (`broken`, unreachable): an error naming it.
    let run = audit(&["--cluster"], &[("KUBECONFIG", &config)]).await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.starts_with(
            "error: cannot reach the API server http://127.0.0.1:1 (context broken): listing namespaces: "
        ),
        "{}",
        run.stderr
    );
    // `--context` picks the other one, from `$KUBECONFIG` too.
    let run = audit(
        &["--context", "stand-in", "--format", "json"],
        &[("KUBECONFIG", &config)],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.json()["source"]["context"], "stand-in");
    // A context the file does not have.
    let run = audit(&["--kubeconfig", &config, "--context", "absent"], &[]).await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains(&config), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_is_an_error_naming_it() {
    let scratch = Scratch::new();
    let (api, config) = demo_cluster(&scratch).await;
    api.stop().await;
    let run = audit(&["--kubeconfig", &config, "--context", "stand-in"], &[]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(&format!(
            "error: cannot reach the API server {} (context stand-in): listing namespaces: ",
            api.url()
        )),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_kind_is_a_warning_and_the_rest_is_audited() {
    let scratch = Scratch::new();
    let (api, config) = demo_cluster(&scratch).await;
    api.forbid("deployments");
    api.unserve("podtemplates");
    let run = audit(
        &[
            "--kubeconfig",
            &config,
            "--context",
            "stand-in",
            "--format",
            "json",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let forbidden = "cannot list deployments.apps: deployments.apps is forbidden: User \"system:anonymous\" cannot list resource \"deployments\" in API group \"apps\" at the cluster scope";
    let unserved = "cannot list podtemplates: the server could not find the requested resource";
    assert_eq!(
        run.stderr,
        format!("warning: {forbidden}\nwarning: {unserved}\n")
    );
    let report = run.json();
    let problems: Vec<&str> = report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["message"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(problems, [forbidden, unserved]);
    assert_eq!(report["problems"][0]["file"], "cluster");
    let kinds: Vec<&str> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["kind"].as_str().unwrap_or_default())
        .collect();
    assert!(!kinds.contains(&"Deployment"), "{kinds:?}");
    // The Deployments' pods now answer under their ReplicaSets.
    assert!(kinds.contains(&"ReplicaSet"), "{kinds:?}");
    assert!(kinds.contains(&"Pod"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_continue_token_restarts_the_listing_of_that_kind() {
    let scratch = Scratch::new();
    let (api, config) = demo_cluster(&scratch).await;
    let args = [
        "--kubeconfig",
        &config,
        "--context",
        "stand-in",
        "--page-size",
        "2",
        "--format",
        "json",
    ];
    let expected = audit(&args, &[]).await;
    let before = api.requests().len();
    // The third paged response's token expires: the namespaces (8, by 2) start again.
    api.expire_continue_tokens_after(3);
    let run = audit(&args, &[]).await;
    assert_eq!(run.code, expected.code, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.json(),
        expected.json(),
        "nothing listed twice, nothing missing"
    );
    let requests = &api.requests()[before..];
    let starts = requests
        .iter()
        .filter(|r| *r == "GET /api/v1/namespaces?limit=2")
        .count();
    assert_eq!(starts, 2, "{requests:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_writes_the_reports_by_server_side_apply() {
    let scratch = Scratch::new();
    let (api, config) = demo_cluster(&scratch).await;
    let run = audit(
        &[
            "--kubeconfig",
            &config,
            "--context",
            "stand-in",
            "--apply",
            "--format",
            "policyreport-json",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let printed = run.json();
    let printed = printed["items"].as_array().expect("items");
    let applies = api.applies();
    assert_eq!(applies.len(), printed.len());
    assert!(
        applies
            .iter()
            .all(|a| a.field_manager == "podsec" && a.force)
    );
    for report in printed {
        let kind = report["kind"].as_str().unwrap_or_default();
        let namespace = report["metadata"]["namespace"].as_str();
        let stored = api
            .object("wgpolicyk8s.io/v1alpha2", kind, namespace, "podsec")
            .unwrap_or_else(|| panic!("{kind} {namespace:?} not applied"));
        assert_eq!(stored["results"], report["results"]);
        assert_eq!(stored["summary"], report["summary"]);
        assert_eq!(stored["metadata"]["managedFields"][0]["manager"], "podsec");
    }
    assert!(
        run.stderr
            .contains("applied PolicyReport payments/podsec (4 results)\n"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.ends_with(&format!(
        "applied {} policy reports to {} (field manager podsec)\n",
        printed.len(),
        api.url()
    )));
    // Applying again updates the same objects.
    let again = audit(
        &["--kubeconfig", &config, "--context", "stand-in", "--apply"],
        &[],
    )
    .await;
    assert_eq!(again.code, 1);
    assert_eq!(api.applies().len(), 2 * printed.len());
    assert_eq!(
        api.objects("wgpolicyk8s.io/v1alpha2", "PolicyReport").len(),
        printed.len() - 1
    );
}

/// `value` without what names where objects were read (`file`, `line`, `doc`, `source`,
/// `labelsFrom`, and plan's `podsec fix` command, which names the files), at any depth.
fn strip_positions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for key in ["file", "line", "doc", "source", "labelsFrom", "fix"] {
                map.remove(key);
            }
            map.values_mut().for_each(strip_positions);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_positions),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_reads_a_live_cluster_as_its_snapshot() {
    let scratch = Scratch::new();
    let (_api, config) = demo_cluster(&scratch).await;
    let snapshot =
        json!({"apiVersion": "v1", "kind": "List", "items": listing_order(&demo_objects())});
    let file = scratch.write("snapshot.json", &snapshot.to_string());
    let commands: &[(&str, &[&str])] = &[
        ("recommend", &[]),
        ("plan", &[]),
        ("diff", &["--from", "v1.21", "--to", "latest"]),
        ("whatif", &["-n", "shop", "--enforce", "restricted"]),
        ("whatif", &["--all-namespaces", "--enforce", "baseline"]),
    ];
    for (command, extra) in commands {
        let live_args: Vec<&str> = ["--kubeconfig", config.as_str(), "--context", "stand-in"]
            .into_iter()
            .chain(["--page-size", "4", "--format", "json"])
            .chain(extra.iter().copied())
            .collect();
        let live = podsec(command, &live_args, &[]).await;
        let offline_args: Vec<&str> = ["--format", "json", file.as_str()]
            .into_iter()
            .chain(extra.iter().copied())
            .collect();
        let offline = podsec(command, &offline_args, &[]).await;
        assert_eq!(
            live.code, offline.code,
            "{command} {extra:?}: {}",
            live.stderr
        );
        assert_ne!(live.code, 2, "{command} {extra:?}: {}", live.stderr);
        let (mut live, mut offline) = (live.json(), offline.json());
        strip_positions(&mut live);
        strip_positions(&mut offline);
        assert!(
            live == offline,
            "{command} {extra:?}: the live answer differs"
        );
    }
    // fix edits files: a live cluster is refused with a reason.
    let fix = podsec(
        "fix",
        &[
            "--kubeconfig",
            &config,
            "--context",
            "stand-in",
            "--level",
            "restricted",
        ],
        &[],
    )
    .await;
    assert_eq!(fix.code, 2);
    assert!(
        fix.stderr.contains("edits manifests, not a live cluster"),
        "{}",
        fix.stderr
    );
}

/// The PodSecurityPolicies and annotated pods of `tests/data/psp`, as JSON objects.
fn psp_objects() -> (Vec<Value>, Vec<Value>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/psp");
    let text = std::fs::read_to_string(dir.join("policies.yaml")).expect("the policies");
    let policies: Vec<Value> = serde_saphyr::from_multiple(&text).expect("the policies parse");
    let text = std::fs::read_to_string(dir.join("pods.yaml")).expect("the pods");
    let list: Value = serde_saphyr::from_str(&text).expect("the pods parse");
    let pods = list["items"].as_array().expect("a List").clone();
    (policies, pods)
}

/// `podsec psp --format json`'s report, without positions, its policies by name.
fn psp_report(run: &Run) -> Value {
    let mut report = run.json();
    strip_positions(&mut report);
    if let Some(policies) = report["policies"].as_array_mut() {
        policies.sort_by_key(|p| p["name"].as_str().unwrap_or_default().to_owned());
    }
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psp_reads_a_clusters_policies_and_pods_or_its_pods_and_policy_files() {
    let scratch = Scratch::new();
    let api = FakeApiServer::start().await;
    let (policies, pods) = psp_objects();
    for object in policies.iter().chain(&pods) {
        api.add_object(object.clone());
    }
    let config = scratch.write("kubeconfig", &kubeconfig(&api.url()));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/psp");
    let (policy_file, pod_file) = (
        dir.join("policies.yaml").display().to_string(),
        dir.join("pods.yaml").display().to_string(),
    );
    let offline = podsec("psp", &["--format", "json", &policy_file, &pod_file], &[]).await;
    assert_eq!(offline.code, 0, "{}", offline.stderr);
    let expected = psp_report(&offline);
    assert!(
        expected["policies"]
            .as_array()
            .is_some_and(|p| p.len() == policies.len()),
        "{expected}"
    );
    let live_args = [
        "--kubeconfig",
        config.as_str(),
        "--context",
        "stand-in",
        "--page-size",
        "2",
        "--format",
        "json",
    ];

    // Up to v1.24 the cluster serves its policies: pods and policies come from it.
    let live = podsec("psp", &live_args, &[]).await;
    assert_eq!(live.code, 0, "{}", live.stderr);
    assert_eq!(psp_report(&live), expected);
    assert!(
        api.count_requests(|r| r.contains("/apis/policy/v1beta1/podsecuritypolicies")) > 0,
        "{:?}",
        api.requests()
    );
    // Only pods and policies are listed: no workload kind is needed.
    assert_eq!(api.count_requests(|r| r.contains("/apis/apps/")), 0);

    // From v1.25 on it does not: the policies come from their manifests, and the cluster
    // is not asked for them.
    api.unserve("podsecuritypolicies");
    let before = api.count_requests(|r| r.contains("podsecuritypolicies"));
    let args: Vec<&str> = live_args
        .iter()
        .copied()
        .chain(["--psp-file", policy_file.as_str()])
        .collect();
    let live = podsec("psp", &args, &[]).await;
    assert_eq!(live.code, 0, "{}", live.stderr);
    assert_eq!(psp_report(&live), expected);
    assert_eq!(
        api.count_requests(|r| r.contains("podsecuritypolicies")),
        before
    );

    // Without them, the report says why the policies are missing and still lists where
    // each named policy's pods run.
    let live = podsec("psp", &live_args, &[]).await;
    assert_eq!(live.code, 2, "{}", live.stdout);
    let report = live.json();
    let problem = report["problems"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        problem.contains("does not serve podsecuritypolicies.policy (policy/v1beta1")
            && problem.contains("--psp-file"),
        "{report}"
    );
    let unknown: Vec<&str> = report["unknownPolicies"]
        .as_array()
        .expect("unknown policies")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    let mut named: Vec<&str> = pods
        .iter()
        .filter_map(|p| p["metadata"]["annotations"]["kubernetes.io/psp"].as_str())
        .collect();
    named.sort_unstable();
    named.dedup();
    assert_eq!(unknown, named);
    assert!(
        live.stderr
            .contains("does not serve podsecuritypolicies.policy"),
        "{}",
        live.stderr
    );

    // The policy files alone (no cluster, no pods) answer too.
    let files_only = podsec(
        "psp",
        &["--format", "json", "--psp-file", &policy_file],
        &[],
    )
    .await;
    assert_eq!(files_only.code, 0, "{}", files_only.stderr);
    let report = psp_report(&files_only);
    assert_eq!(
        report["policies"].as_array().map(Vec::len),
        Some(policies.len())
    );
}

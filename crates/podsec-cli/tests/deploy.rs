//! The deployment manifests under `deploy/` and `podsec certs`.
//!
//! Every YAML file under `deploy/kustomize` is parsed and its invariants asserted (upstream's two
//! webhooks, HA, probes, TLS wiring); the Deployment is checked with the built `podsec check` at
//! `restricted:latest`; the Helm chart keeps the same kinds and values. When `kubectl` is
//! installed, both overlays are also rendered with `kubectl kustomize`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn podsec() -> Command {
    Command::new(env!("CARGO_BIN_EXE_podsec"))
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn parse_docs(text: &str, what: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(text)
        .unwrap_or_else(|e| panic!("{what}: {e}"))
        .into_iter()
        .filter(|doc| !doc.is_null())
        .collect()
}

fn parse_file(path: &Path) -> Vec<Value> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_docs(&text, &path.display().to_string())
}

/// Every object of a kustomization directory's own files (not its bases).
fn objects(dir: &str) -> Vec<Value> {
    let dir = root().join("deploy/kustomize").join(dir);
    yaml_files(&dir)
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "kustomization.yaml"))
        .flat_map(|p| parse_file(p))
        .collect()
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// (apiGroups, resources) of each rule, checking operations and versions on the way.
fn rules(webhook: &Value) -> Vec<(String, Vec<String>)> {
    let rules = webhook["rules"].as_array().expect("rules");
    rules
        .iter()
        .map(|rule| {
            assert_eq!(strings(&rule["operations"]), ["CREATE", "UPDATE"], "{rule}");
            assert_eq!(strings(&rule["apiVersions"]), ["v1"], "{rule}");
            let groups = strings(&rule["apiGroups"]);
            assert_eq!(groups.len(), 1, "{rule}");
            let resources = strings(&rule["resources"]).into_iter().map(String::from);
            (groups[0].to_owned(), resources.collect())
        })
        .collect()
}

fn assert_webhooks(webhooks: &Value, namespace: &str) {
    let webhooks = webhooks.as_array().expect("webhooks");
    assert_eq!(webhooks.len(), 2);
    for webhook in webhooks {
        assert_eq!(strings(&webhook["admissionReviewVersions"]), ["v1"]);
        assert_eq!(webhook["sideEffects"], "None");
        assert_eq!(webhook["timeoutSeconds"], 5);
        assert_eq!(
            webhook["namespaceSelector"],
            json!({"matchExpressions": [{"key": "kubernetes.io/metadata.name",
                                         "operator": "NotIn", "values": [namespace]}]}),
        );
        assert_eq!(webhook["clientConfig"]["service"]["namespace"], namespace);
        assert!(webhook["clientConfig"]["url"].is_null());
    }
    let enforcing = &webhooks[0];
    assert_eq!(enforcing["name"], "pod-security-webhook.podsec.dev");
    assert_eq!(enforcing["failurePolicy"], "Fail");
    assert_eq!(
        rules(enforcing),
        [(
            String::new(),
            vec![
                "namespaces".into(),
                "pods".into(),
                "pods/ephemeralcontainers".into()
            ]
        )]
    );
    let advisory = &webhooks[1];
    assert_eq!(advisory["name"], "advisory.pod-security-webhook.podsec.dev");
    assert_eq!(advisory["failurePolicy"], "Ignore");
    let advisory_rules: Vec<(String, Vec<String>)> = vec![
        (
            String::new(),
            vec!["podtemplates".into(), "replicationcontrollers".into()],
        ),
        (
            "apps".into(),
            ["daemonsets", "deployments", "replicasets", "statefulsets"]
                .map(String::from)
                .to_vec(),
        ),
        ("batch".into(), vec!["cronjobs".into(), "jobs".into()]),
    ];
    assert_eq!(rules(advisory), advisory_rules);
}

#[test]
fn every_manifest_parses() {
    let files = yaml_files(&root().join("deploy/kustomize"));
    assert!(files.len() >= 10, "{files:?}");
    for file in files {
        let docs = parse_file(&file);
        assert!(!docs.is_empty(), "{}: no document", file.display());
        for doc in docs {
            assert!(doc["apiVersion"].is_string(), "{}: {doc}", file.display());
            assert!(doc["kind"].is_string(), "{}: {doc}", file.display());
        }
    }
}

#[test]
fn base_has_upstreams_two_webhooks() {
    let base = objects("base");
    let config = find(
        &base,
        "ValidatingWebhookConfiguration",
        "podsec-webhook.podsec.dev",
    );
    assert_eq!(config["apiVersion"], "admissionregistration.k8s.io/v1");
    assert_webhooks(&config["webhooks"], "podsec");
    for webhook in config["webhooks"].as_array().expect("webhooks") {
        let service = &webhook["clientConfig"]["service"];
        assert_eq!(service["name"], "podsec-webhook");
        assert_eq!(service["port"], 443);
    }
}

#[test]
fn base_is_highly_available_and_probed() {
    let base = objects("base");
    let namespace = find(&base, "Namespace", "podsec");
    let labels = &namespace["metadata"]["labels"];
    assert_eq!(labels["pod-security.kubernetes.io/enforce"], "restricted");
    assert_eq!(
        labels["pod-security.kubernetes.io/enforce-version"],
        "latest"
    );

    let deployment = find(&base, "Deployment", "podsec-webhook");
    assert!(deployment["spec"]["replicas"].as_u64().expect("replicas") >= 2);
    assert_eq!(
        deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"],
        0
    );
    let pod = &deployment["spec"]["template"]["spec"];
    let selector = &deployment["spec"]["selector"]["matchLabels"];
    let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
    for (key, value) in selector.as_object().expect("selector") {
        assert_eq!(
            &pod_labels[key], value,
            "template labels match the selector"
        );
    }
    assert_eq!(pod["serviceAccountName"], "podsec-webhook");
    assert_eq!(pod["priorityClassName"], "system-cluster-critical");
    assert_eq!(pod["nodeSelector"], json!({"kubernetes.io/os": "linux"}));
    let spread = pod["topologySpreadConstraints"].as_array().expect("spread");
    let keys: Vec<_> = spread.iter().map(|c| &c["topologyKey"]).collect();
    assert_eq!(
        keys,
        ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]
    );
    assert_eq!(spread[1]["whenUnsatisfiable"], "ScheduleAnyway");
    for constraint in spread {
        assert_eq!(&constraint["labelSelector"]["matchLabels"], selector);
    }
    assert!(
        pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
            .is_array()
    );

    let containers = pod["containers"].as_array().expect("containers");
    assert_eq!(containers.len(), 1);
    let container = &containers[0];
    assert_eq!(
        strings(&container["args"]),
        [
            "serve",
            "--config",
            "/etc/podsec/config.yaml",
            "--tls-cert-file",
            "/etc/podsec/tls/tls.crt",
            "--tls-private-key-file",
            "/etc/podsec/tls/tls.key",
            "--secure-port",
            "8443",
            "--shutdown-delay",
            "5s",
        ]
    );
    assert_eq!(pod["terminationGracePeriodSeconds"], 40);
    assert_eq!(
        container["ports"],
        json!([{"name": "https", "containerPort": 8443, "protocol": "TCP"}])
    );
    for (probe, path) in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")] {
        let get = &container[probe]["httpGet"];
        assert_eq!(get["path"], path, "{probe}");
        assert_eq!(get["scheme"], "HTTPS", "{probe}");
        assert_eq!(get["port"], "https", "{probe}");
    }
    assert_eq!(
        container["resources"],
        json!({"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}})
    );
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["runAsUser"], 65532);

    // The mounted files are the ones the arguments name.
    let mount = &container["volumeMounts"][0];
    assert_eq!(mount["mountPath"], "/etc/podsec");
    let volume = &pod["volumes"][0];
    assert_eq!(volume["name"], mount["name"]);
    let sources = volume["projected"]["sources"].as_array().expect("sources");
    assert_eq!(sources[0]["configMap"]["name"], "podsec-config");
    assert_eq!(sources[0]["configMap"]["items"][0]["path"], "config.yaml");
    assert_eq!(sources[1]["secret"]["name"], "podsec-webhook-tls");
    assert_eq!(
        sources[1]["secret"]["items"],
        json!([{"key": "tls.crt", "path": "tls/tls.crt"}, {"key": "tls.key", "path": "tls/tls.key"}])
    );

    // The image tag follows the crate version (as the chart's appVersion does).
    let image = container["image"].as_str().expect("image");
    assert_eq!(
        image,
        concat!("ghcr.io/podsec/podsec:", env!("CARGO_PKG_VERSION"))
    );
    let kustomization = parse_file(&root().join("deploy/kustomize/base/kustomization.yaml"));
    assert_eq!(
        kustomization[0]["images"],
        json!([{"name": "ghcr.io/podsec/podsec", "newTag": env!("CARGO_PKG_VERSION")}])
    );

    let pdb = find(&base, "PodDisruptionBudget", "podsec-webhook");
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    assert_eq!(&pdb["spec"]["selector"]["matchLabels"], selector);

    let service = find(&base, "Service", "podsec-webhook");
    assert_eq!(&service["spec"]["selector"], selector);
    assert_eq!(
        service["spec"]["ports"],
        json!([{"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}])
    );

    let role = find(&base, "ClusterRole", "podsec-webhook");
    assert_eq!(
        role["rules"],
        json!([{"apiGroups": [""], "resources": ["pods", "namespaces"],
                "verbs": ["get", "list", "watch"]}])
    );
    let binding = find(&base, "ClusterRoleBinding", "podsec-webhook");
    assert_eq!(
        binding["subjects"],
        json!([{"kind": "ServiceAccount", "name": "podsec-webhook", "namespace": "podsec"}])
    );
    find(&base, "ServiceAccount", "podsec-webhook");
}

#[test]
fn configmap_holds_upstreams_default_configuration() {
    let base = objects("base");
    let configmap = find(&base, "ConfigMap", "podsec-config");
    let text = configmap["data"]["config.yaml"]
        .as_str()
        .expect("config.yaml");
    let config = parse_docs(text, "config.yaml");
    assert_eq!(
        config,
        [json!({
            "apiVersion": "pod-security.admission.config.k8s.io/v1",
            "kind": "PodSecurityConfiguration",
            "defaults": {"enforce": "privileged", "enforce-version": "latest",
                         "audit": "privileged", "audit-version": "latest",
                         "warn": "privileged", "warn-version": "latest"},
            "exemptions": {"usernames": [], "runtimeClasses": [], "namespaces": []},
        })]
    );
}

/// The configuration loads and validates with the loader `podsec serve --config` uses.
#[test]
fn configmap_configuration_loads_as_serve_loads_it() {
    let base = objects("base");
    let configmap = find(&base, "ConfigMap", "podsec-config");
    let text = configmap["data"]["config.yaml"]
        .as_str()
        .expect("config.yaml");
    let config = podsec_admission::config::load_any(text.as_bytes(), None, |p| fs::read(p))
        .expect("the configuration loads");
    config.default_policy().expect("the defaults parse");
    assert!(config.validate().is_empty(), "{:?}", config.validate());
}

#[test]
fn deployment_passes_restricted_latest() {
    let path = root().join("deploy/kustomize/base/deployment.yaml");
    let output = podsec()
        .args(["check", "--level", "restricted", "--version", "latest"])
        .args(["--format", "json"])
        .arg(&path)
        .output()
        .expect("run podsec check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let report: Value = serde_json::from_str(&stdout).expect("json report");
    let results = report["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{report}");
    assert_eq!(results[0]["kind"], "Deployment");
    assert_eq!(results[0]["allowed"], true, "{report}");
    assert_eq!(report["summary"]["denied"], 0);
    assert_eq!(report["summary"]["errors"], 0);
}

#[test]
fn cert_manager_overlay_issues_and_injects() {
    let overlay = objects("cert-manager");
    let certificate = find(&overlay, "Certificate", "podsec-webhook-tls");
    assert_eq!(certificate["spec"]["secretName"], "podsec-webhook-tls");
    assert_eq!(
        strings(&certificate["spec"]["dnsNames"]),
        [
            "podsec-webhook",
            "podsec-webhook.podsec",
            "podsec-webhook.podsec.svc",
            "podsec-webhook.podsec.svc.cluster.local",
        ]
    );
    assert!(strings(&certificate["spec"]["usages"]).contains(&"server auth"));
    let issuer = &certificate["spec"]["issuerRef"]["name"];
    let ca_issuer = find(&overlay, "Issuer", issuer.as_str().expect("issuer"));
    let ca = find(
        &overlay,
        "Certificate",
        ca_issuer["spec"]["ca"]["secretName"]
            .as_str()
            .expect("ca secret"),
    );
    assert_eq!(ca["spec"]["isCA"], true);
    let patch = find(
        &overlay,
        "ValidatingWebhookConfiguration",
        "podsec-webhook.podsec.dev",
    );
    assert_eq!(
        patch["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
        "podsec/podsec-webhook-tls"
    );
    let kustomization =
        parse_file(&root().join("deploy/kustomize/cert-manager/kustomization.yaml"));
    assert_eq!(
        kustomization[0]["resources"],
        json!(["../base", "certificates.yaml"])
    );
}

#[test]
fn manual_certs_overlay_generates_the_secret_and_patches_the_bundle() {
    let kustomization =
        parse_file(&root().join("deploy/kustomize/manual-certs/kustomization.yaml"));
    let kustomization = &kustomization[0];
    let generator = &kustomization["secretGenerator"][0];
    assert_eq!(generator["name"], "podsec-webhook-tls");
    assert_eq!(generator["namespace"], "podsec");
    assert_eq!(generator["type"], "kubernetes.io/tls");
    assert_eq!(
        strings(&generator["files"]),
        ["pki/ca.crt", "pki/tls.crt", "pki/tls.key"]
    );
    let targets = &kustomization["replacements"][0]["targets"][0];
    assert_eq!(
        strings(&targets["fieldPaths"]),
        [
            "webhooks.0.clientConfig.caBundle",
            "webhooks.1.clientConfig.caBundle"
        ]
    );
    let ignored = fs::read_to_string(root().join("deploy/kustomize/manual-certs/.gitignore"))
        .expect(".gitignore");
    assert!(
        ignored.lines().any(|l| l == "tls.key"),
        "keys stay out of git"
    );
}

fn kubectl_available() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Renders an overlay, and checks the rendered stream with `podsec check` at
/// `restricted:latest` (the Deployment is the one evaluated object; everything else is skipped).
fn kustomize(dir: &Path) -> Vec<Value> {
    let output = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl kustomize");
    assert!(
        output.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let rendered = dir.join("rendered.out.yaml");
    fs::write(&rendered, &output.stdout).expect("write rendered");
    let check = podsec()
        .args(["check", "--format", "json", "--level", "restricted"])
        .arg(&rendered)
        .output()
        .expect("podsec check");
    let report: Value = serde_json::from_slice(&check.stdout).expect("json report");
    assert_eq!(check.status.code(), Some(0), "{report}");
    assert_eq!(report["summary"]["evaluated"], 1, "{report}");
    assert_eq!(report["summary"]["allowed"], 1, "{report}");
    // In namespace mode (the rendered Namespace carries Pod Security labels) the webhook is
    // created in its own namespace without a warning or an audit violation.
    let check = podsec()
        .args(["check", "--format", "json"])
        .arg(&rendered)
        .output()
        .expect("podsec check");
    let report: Value = serde_json::from_slice(&check.stdout).expect("json report");
    assert_eq!(check.status.code(), Some(0), "{report}");
    assert_eq!(report["summary"]["warned"], 0, "{report}");
    let deployment = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["kind"] == "Deployment")
        .expect("the webhook Deployment");
    assert_eq!(deployment["namespace"], "podsec", "{report}");
    assert_eq!(deployment["level"], "restricted", "{report}");
    assert_eq!(
        deployment["admission"]["auditAnnotations"],
        serde_json::json!({})
    );
    parse_docs(&String::from_utf8_lossy(&output.stdout), "kustomize output")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs::copy(&path, &target).expect("copy");
        }
    }
}

fn kinds(objects: &[Value]) -> BTreeSet<String> {
    objects
        .iter()
        .filter_map(|o| o["kind"].as_str().map(String::from))
        .collect()
}

/// The overlays render with kustomize (skipped without `kubectl`), the manual one with files
/// written by `podsec certs` into a copy of the tree.
#[test]
fn overlays_render_with_kustomize() {
    if !kubectl_available() {
        eprintln!("kubectl not installed: kustomize rendering skipped");
        return;
    }
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("deploy-kustomize");
    let _ = fs::remove_dir_all(&work);
    copy_dir(&root().join("deploy/kustomize"), &work);
    let pki = work.join("manual-certs/pki");
    let _ = fs::remove_dir_all(&pki);

    let rendered = kustomize(&work.join("cert-manager"));
    let config = find(
        &rendered,
        "ValidatingWebhookConfiguration",
        "podsec-webhook.podsec.dev",
    );
    assert_webhooks(&config["webhooks"], "podsec");
    assert_eq!(
        config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
        "podsec/podsec-webhook-tls"
    );
    let expected: BTreeSet<String> = [
        "Certificate",
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "Deployment",
        "Issuer",
        "Namespace",
        "PodDisruptionBudget",
        "ResourceQuota",
        "Service",
        "ServiceAccount",
        "ValidatingWebhookConfiguration",
    ]
    .map(String::from)
    .into();
    assert_eq!(kinds(&rendered), expected);

    let output = podsec()
        .args(["certs", "--out-dir"])
        .arg(&pki)
        .output()
        .expect("podsec certs");
    assert!(output.status.success(), "{output:?}");
    let bundle = String::from_utf8(output.stdout).expect("utf-8");
    let rendered = kustomize(&work.join("manual-certs"));
    let config = find(
        &rendered,
        "ValidatingWebhookConfiguration",
        "podsec-webhook.podsec.dev",
    );
    assert_webhooks(&config["webhooks"], "podsec");
    for webhook in config["webhooks"].as_array().expect("webhooks") {
        // kustomize folds long base64 values; the API server's decoder skips the newlines.
        let ca_bundle: String = webhook["clientConfig"]["caBundle"]
            .as_str()
            .expect("caBundle")
            .split_whitespace()
            .collect();
        assert_eq!(ca_bundle, bundle.trim());
    }
    let secret = find(&rendered, "Secret", "podsec-webhook-tls");
    assert_eq!(secret["type"], "kubernetes.io/tls");
    let keys: Vec<_> = secret["data"]
        .as_object()
        .expect("data")
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["ca.crt", "tls.crt", "tls.key"]);
    let mut expected = expected;
    expected.remove("Certificate");
    expected.remove("Issuer");
    expected.insert("Secret".into());
    assert_eq!(kinds(&rendered), expected);
}

/// The Helm chart: `Chart.yaml` and `values.yaml` parse and carry the settings of the
/// kustomize base; the templates create the same kinds, with balanced template blocks.
#[test]
fn helm_chart_matches_the_kustomize_manifests() {
    let chart_dir = root().join("deploy/helm/podsec");
    let chart = &parse_file(&chart_dir.join("Chart.yaml"))[0];
    assert_eq!(chart["apiVersion"], "v2");
    assert_eq!(chart["name"], "podsec");
    assert_eq!(chart["appVersion"], env!("CARGO_PKG_VERSION"));
    let values = &parse_file(&chart_dir.join("values.yaml"))[0];
    assert_eq!(values["image"]["repository"], "ghcr.io/podsec/podsec");
    assert!(values["replicaCount"].as_u64().expect("replicaCount") >= 2);
    assert_eq!(
        values["resources"],
        json!({"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}})
    );
    assert_eq!(values["webhook"]["failurePolicy"], "Fail");
    assert_eq!(values["webhook"]["advisoryFailurePolicy"], "Ignore");
    assert_eq!(values["webhook"]["timeoutSeconds"], 5);
    assert_eq!(values["certManager"]["enabled"], true);
    assert_eq!(values["tls"]["existingSecret"], "");
    assert_eq!(values["tls"]["caBundle"], "");
    assert_eq!(values["securePort"], 8443);
    assert_eq!(values["podDisruptionBudget"]["minAvailable"], 1);

    // The same configuration as the kustomize ConfigMap.
    let base = objects("base");
    let configmap = find(&base, "ConfigMap", "podsec-config");
    let config = &parse_docs(
        configmap["data"]["config.yaml"].as_str().expect("config"),
        "c",
    )[0];
    assert_eq!(values["config"]["defaults"], config["defaults"]);
    assert_eq!(values["config"]["exemptions"], config["exemptions"]);

    let mut template_kinds = BTreeSet::new();
    for template in yaml_files(&chart_dir.join("templates")) {
        let text = fs::read_to_string(&template).expect("template");
        for line in text.lines() {
            if let Some(kind) = line.strip_prefix("kind: ") {
                template_kinds.insert(kind.trim().to_owned());
            }
        }
        let opened = [
            "{{- if ",
            "{{ if ",
            "{{- with ",
            "{{ with ",
            "{{- range ",
            "{{ range ",
        ]
        .iter()
        .map(|o| text.matches(o).count())
        .sum::<usize>();
        let closed = text.matches("{{- end }}").count() + text.matches("{{ end }}").count();
        assert_eq!(opened, closed, "{}: unbalanced blocks", template.display());
        assert_eq!(
            text.matches("{{").count(),
            text.matches("}}").count(),
            "{}",
            template.display()
        );
        // The fixed part of each template, with the actions removed, is still YAML.
        let stripped: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("{{"))
            .map(|l| strip_actions(l) + "\n")
            .collect();
        parse_docs(&stripped, &template.display().to_string());
    }
    let mut kustomize_kinds = kinds(&base);
    kustomize_kinds.extend(kinds(&objects("cert-manager")));
    assert_eq!(template_kinds, kustomize_kinds);
    assert!(chart_dir.join("templates/_helpers.tpl").is_file());
}

/// With `helm` installed (it is not on every machine): the chart lints and renders in both TLS
/// modes, with upstream's two webhooks and a Deployment that passes `restricted:latest`.
#[test]
fn helm_chart_renders_when_helm_is_installed() {
    let available = Command::new("helm")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        eprintln!("helm not installed: helm template skipped");
        return;
    }
    let chart = root().join("deploy/helm/podsec");
    let lint = Command::new("helm")
        .arg("lint")
        .arg(&chart)
        .output()
        .expect("helm lint");
    assert!(lint.status.success(), "{lint:?}");
    let modes: [&[&str]; 2] = [
        &[],
        &[
            "--set",
            "certManager.enabled=false",
            "--set",
            "tls.existingSecret=podsec-webhook-tls",
            "--set",
            "tls.caBundle=Y2E=",
        ],
    ];
    for (i, mode) in modes.into_iter().enumerate() {
        let output = Command::new("helm")
            .args(["template", "podsec"])
            .arg(&chart)
            .args(["--namespace", "podsec"])
            .args(mode)
            .output()
            .expect("helm template");
        assert!(output.status.success(), "{output:?}");
        let rendered = parse_docs(&String::from_utf8_lossy(&output.stdout), "helm output");
        let config = find(
            &rendered,
            "ValidatingWebhookConfiguration",
            "podsec-webhook.podsec.dev",
        );
        assert_webhooks(&config["webhooks"], "podsec");
        let deployment = find(&rendered, "Deployment", "podsec");
        assert_eq!(deployment["spec"]["replicas"], 2);
        let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("helm-{i}.yaml"));
        fs::write(&file, &output.stdout).expect("write");
        let check = podsec()
            .args(["check", "--format", "json"])
            .arg(&file)
            .output()
            .expect("podsec check");
        assert_eq!(check.status.code(), Some(0), "{check:?}");
    }
}

/// Replaces each `{{ ... }}` action with a placeholder scalar.
fn strip_actions(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .map_or(rest.len(), |e| start + e + 2);
        out.push('x');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `podsec certs`: the files parse, the serving certificate verifies against the CA for every
/// Service name with serverAuth, and the printed caBundle is the CA.
#[test]
fn certs_writes_a_verifiable_ca_and_serving_certificate() {
    use base64::Engine as _;
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("certs-test");
    let _ = fs::remove_dir_all(&dir);
    let output = podsec()
        .args(["certs", "--service", "hook", "--namespace", "guard"])
        .args(["--days", "30", "--out-dir"])
        .arg(&dir)
        .output()
        .expect("podsec certs");
    assert!(output.status.success(), "{output:?}");
    let bundle = String::from_utf8(output.stdout).expect("utf-8");

    let ca_pem = fs::read(dir.join("ca.crt")).expect("ca.crt");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(bundle.trim())
        .expect("caBundle is base64");
    assert_eq!(decoded, ca_pem, "caBundle is ca.crt");
    let ca = CertificateDer::from_pem_slice(&ca_pem).expect("ca.crt is a PEM certificate");
    let leaf = CertificateDer::from_pem_file(dir.join("tls.crt")).expect("tls.crt");
    let key = PrivateKeyDer::from_pem_file(dir.join("tls.key")).expect("tls.key");
    assert!(matches!(key, PrivateKeyDer::Pkcs8(_)));
    // The pair loads the way `podsec serve --tls-cert-file --tls-private-key-file` loads it.
    let cert_pem = fs::read(dir.join("tls.crt")).expect("tls.crt");
    let key_pem = fs::read(dir.join("tls.key")).expect("tls.key");
    podsec_server::tls::parse_pair(
        &cert_pem,
        &key_pem,
        &dir.join("tls.crt"),
        &dir.join("tls.key"),
    )
    .expect("the server loads the pair");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(dir.join("tls.key"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key is private");
    }

    let anchor = webpki::anchor_from_trusted_cert(&ca).expect("trust anchor");
    let end_entity = webpki::EndEntityCert::try_from(&leaf).expect("end-entity certificate");
    let now = UnixTime::now();
    end_entity
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &[anchor],
            &[],
            now,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .expect("the serving certificate chains to the CA for serverAuth");
    for name in [
        "hook",
        "hook.guard",
        "hook.guard.svc",
        "hook.guard.svc.cluster.local",
    ] {
        let server_name = ServerName::try_from(name).expect("dns name");
        end_entity
            .verify_is_valid_for_subject_name(&server_name)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let other = ServerName::try_from("podsec-webhook.podsec.svc").expect("dns name");
    assert!(end_entity.verify_is_valid_for_subject_name(&other).is_err());

    // Expired after --days: verification 31 days on fails.
    let later = UnixTime::since_unix_epoch(Duration::from_secs(now.as_secs() + 31 * 86_400));
    assert!(
        end_entity
            .verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                &[webpki::anchor_from_trusted_cert(&ca).expect("anchor")],
                &[],
                later,
                webpki::KeyUsage::server_auth(),
                None,
                None,
            )
            .is_err()
    );

    // Existing files are kept unless --force.
    let again = podsec()
        .args(["certs", "--out-dir"])
        .arg(&dir)
        .output()
        .expect("podsec certs");
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert_eq!(fs::read(dir.join("ca.crt")).expect("ca.crt"), ca_pem);
    let forced = podsec()
        .args(["certs", "--force", "--out-dir"])
        .arg(&dir)
        .output()
        .expect("podsec certs");
    assert!(forced.status.success(), "{forced:?}");
    assert_ne!(fs::read(dir.join("ca.crt")).expect("ca.crt"), ca_pem);
}

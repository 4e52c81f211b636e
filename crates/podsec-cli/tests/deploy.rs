//! The deployment manifests under `deploy/` and `podsec certs`.
//!
//! Every YAML file under `deploy/kustomize` is parsed and its invariants asserted (upstream's two
//! webhooks, HA, probes, TLS wiring); the Deployment is checked with the built `podsec check` at
//! `restricted:latest`; the Helm chart keeps the same kinds and values. The opt-in pieces (the
//! example `PodsecPolicy`, the `components/policy` and `components/mutating-webhook*` kustomize
//! components, the chart's `policy` and `mutatingWebhook` values) are checked the same way, and
//! stay out of the default install. When `kubectl` is installed, both overlays are also
//! rendered with `kubectl kustomize`, with and without the components.

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
    // The opt-in policy and the mutating webhook are off by default.
    assert_eq!(values["policy"], json!({"enabled": false, "content": {}}));
    assert_eq!(
        values["mutatingWebhook"],
        json!({"enabled": false, "failurePolicy": "Ignore", "reinvocationPolicy": "IfNeeded",
               "excludeNamespaces": ["kube-system"]})
    );

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
    kustomize_kinds.extend(kinds(&objects("components/mutating-webhook")));
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

// The opt-in policy (`--policy`) and the secure-defaults mutating webhook.

const POLICY_ARG: [&str; 2] = ["--policy", "/etc/podsec/policy.yaml"];

/// The example `PodsecPolicy` of `components/policy`, as text and parsed.
fn example_policy() -> (String, Value) {
    let path = root().join("deploy/kustomize/components/policy/policy.yaml");
    let text = fs::read_to_string(&path).expect("policy.yaml");
    let mut docs = parse_docs(&text, "policy.yaml");
    assert_eq!(docs.len(), 1, "one document");
    (text, docs.remove(0))
}

/// The secure-defaults webhook: one webhook on `/mutate` of the validating webhook's Service,
/// pods on CREATE only, never failing a request, and never sent the webhook's own namespace or
/// kube-system.
fn assert_mutating_webhook(config: &Value, namespace: &str, service: &str) {
    assert_eq!(config["apiVersion"], "admissionregistration.k8s.io/v1");
    assert_eq!(config["kind"], "MutatingWebhookConfiguration");
    let webhooks = config["webhooks"].as_array().expect("webhooks");
    assert_eq!(webhooks.len(), 1, "{config}");
    let webhook = &webhooks[0];
    assert_eq!(webhook["name"], "secure-defaults.podsec.dev");
    assert_eq!(
        webhook["clientConfig"]["service"],
        json!({"namespace": namespace, "name": service, "path": "/mutate", "port": 443})
    );
    assert!(webhook["clientConfig"]["url"].is_null());
    assert_eq!(strings(&webhook["admissionReviewVersions"]), ["v1"]);
    assert_eq!(webhook["sideEffects"], "None");
    assert_eq!(webhook["failurePolicy"], "Ignore");
    assert_eq!(webhook["reinvocationPolicy"], "IfNeeded");
    assert_eq!(webhook["timeoutSeconds"], 5);
    assert_eq!(webhook["matchPolicy"], "Equivalent");
    assert_eq!(
        webhook["namespaceSelector"],
        json!({"matchExpressions": [{"key": "kubernetes.io/metadata.name",
                                     "operator": "NotIn", "values": [namespace, "kube-system"]}]}),
    );
    assert_eq!(
        webhook["rules"],
        json!([{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                "resources": ["pods"]}])
    );
}

/// The Deployment passes `--policy /etc/podsec/policy.yaml`, and that file is the ConfigMap
/// `configmap`'s `policy.yaml`, projected beside `config.yaml` and the TLS files.
fn assert_policy_wired(deployment: &Value, configmap: &str) {
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let args = strings(&container["args"]);
    assert_eq!(args[..3], ["serve", "--config", "/etc/podsec/config.yaml"]);
    assert_eq!(
        args.iter().filter(|a| **a == "--policy").count(),
        1,
        "{args:?}"
    );
    assert!(args.windows(2).any(|w| w == POLICY_ARG), "{args:?}");
    let mount = &container["volumeMounts"][0];
    assert_eq!(mount["mountPath"], "/etc/podsec");
    let volume = &pod["volumes"][0];
    assert_eq!(volume["name"], mount["name"]);
    let sources = volume["projected"]["sources"].as_array().expect("sources");
    assert_eq!(sources[0]["configMap"]["items"][0]["path"], "config.yaml");
    let policy: Vec<_> = sources
        .iter()
        .filter(|s| s["configMap"]["name"] == configmap)
        .collect();
    assert_eq!(policy.len(), 1, "{sources:?}");
    assert_eq!(
        policy[0]["configMap"]["items"],
        json!([{"key": "policy.yaml", "path": "policy.yaml"}])
    );
    assert_eq!(
        format!(
            "/etc/podsec/{}",
            policy[0]["configMap"]["items"][0]["path"]
                .as_str()
                .expect("path")
        ),
        POLICY_ARG[1]
    );
    assert!(
        sources.iter().any(|s| s["secret"].is_object()),
        "the TLS files stay"
    );
}

fn assert_no_policy(deployment: &Value) {
    let pod = &deployment["spec"]["template"]["spec"];
    let args = strings(&pod["containers"][0]["args"]);
    assert!(!args.contains(&"--policy"), "{args:?}");
    let sources = pod["volumes"][0]["projected"]["sources"]
        .as_array()
        .expect("sources");
    assert_eq!(sources.len(), 2, "config.yaml and the TLS files only");
}

#[test]
fn example_policy_is_a_podsec_policy() {
    let (_, policy) = example_policy();
    assert_eq!(policy["apiVersion"], "podsec.dev/v1alpha1");
    assert_eq!(policy["kind"], "PodsecPolicy");
    let sections: BTreeSet<&str> = policy
        .as_object()
        .expect("a map")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        sections,
        BTreeSet::from([
            "apiVersion",
            "kind",
            "images",
            "exemptions",
            "secureDefaults"
        ])
    );

    // Installing the example denies nothing: its image rule warns.
    let images = policy["images"].as_array().expect("images");
    assert_eq!(images.len(), 1);
    let rule = &images[0];
    assert_eq!(rule["name"], "trusted-registries");
    assert_eq!(rule["mode"], "warn");
    assert_eq!(
        strings(&rule["allowedRegistries"]),
        ["registry.example.com", "*.gcr.io", "ghcr.io"]
    );
    assert_eq!(strings(&rule["deniedTags"]), ["latest", ""]);

    let exemptions = policy["exemptions"].as_array().expect("exemptions");
    assert_eq!(exemptions.len(), 1);
    let exemption = &exemptions[0];
    assert_eq!(exemption["name"], "node-exporter-host-ports");
    assert_eq!(strings(&exemption["namespaces"]), ["monitoring"]);
    assert_eq!(strings(&exemption["serviceAccounts"]), ["node-exporter"]);
    // A quoted date: a string whatever the YAML parser's schema.
    assert_eq!(exemption["expires"], "2027-06-30");
    let known: BTreeSet<&str> = podsec_policy::checks::ALL
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    let checks = strings(&exemption["checks"]);
    assert_eq!(checks, ["hostPorts", "hostNamespaces"]);
    for check in checks {
        assert!(known.contains(check), "{check} is an upstream check ID");
    }

    // Names are metric labels: unique, [a-z0-9-]{1,63}.
    let names: Vec<&str> = images
        .iter()
        .chain(exemptions)
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    for name in &names {
        assert!(
            (1..=63).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{name}"
        );
    }
    assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), names.len());

    // Secure defaults only where a namespace opts in.
    let defaults = &policy["secureDefaults"];
    assert_eq!(
        defaults["namespaceSelector"],
        json!({"matchLabels": {"podsec.dev/secure-defaults": "enabled"}})
    );
    assert_eq!(defaults["level"], "restricted");
    assert_eq!(defaults["version"], "latest");
    assert_eq!(defaults["runAsUser"], 10001);
}

/// `podsec check --policy` loads a policy file as `podsec serve --policy` does (strictly).
fn assert_policy_loads(file: &Path) -> Value {
    let pod = Path::new(env!("CARGO_TARGET_TMPDIR")).join("policy-example-pod.yaml");
    fs::write(
        &pod,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n\
         spec:\n  containers:\n  - name: c\n    image: nginx\n",
    )
    .expect("write");
    let output = podsec()
        .args(["check", "--format", "json", "--policy"])
        .arg(file)
        .arg(&pod)
        .output()
        .expect("podsec check");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("json report")
}

/// The example loads with podsec's own loader, and its image rule only warns, with Pod
/// Security's style of message.
#[test]
fn example_policy_loads_and_warns() {
    let file = root().join("deploy/kustomize/components/policy/policy.yaml");
    let report = assert_policy_loads(&file);
    let result = &report["results"][0];
    assert_eq!(result["allowed"], true, "{report}");
    assert_eq!(
        strings(&result["admission"]["warnings"]),
        ["would violate podsec image policy: container \"c\" image \
             \"docker.io/library/nginx:latest\" is not from an allowed registry (allowed: \
             registry.example.com, *.gcr.io, ghcr.io), container \"c\" image \
             \"docker.io/library/nginx\" has no tag"],
        "{report}"
    );
}

#[test]
fn policy_component_mounts_the_policy_and_passes_it_to_serve() {
    let dir = root().join("deploy/kustomize/components/policy");
    let kustomization = &parse_file(&dir.join("kustomization.yaml"))[0];
    assert_eq!(
        kustomization["apiVersion"],
        "kustomize.config.k8s.io/v1alpha1"
    );
    assert_eq!(kustomization["kind"], "Component");
    let generators = kustomization["configMapGenerator"]
        .as_array()
        .expect("configMapGenerator");
    assert_eq!(generators.len(), 1);
    let generator = &generators[0];
    assert_eq!(generator["name"], "podsec-policy");
    assert_eq!(generator["namespace"], "podsec");
    assert_eq!(strings(&generator["files"]), ["policy.yaml"]);
    // Updated in place (and reloaded), like the base's ConfigMap: no hash suffix.
    assert_eq!(generator["options"]["disableNameSuffixHash"], true);

    // The patch, applied to the base Deployment as kustomize applies it.
    let patches = kustomization["patches"].as_array().expect("patches");
    assert_eq!(patches.len(), 1);
    let base = objects("base");
    let deployment = find(&base, "Deployment", "podsec-webhook");
    assert_eq!(
        patches[0]["target"],
        json!({"group": "apps", "version": "v1", "kind": "Deployment",
               "name": "podsec-webhook", "namespace": "podsec"})
    );
    let ops = &parse_docs(patches[0]["patch"].as_str().expect("patch"), "patch")[0];
    let ops: json_patch::Patch = serde_json::from_value(ops.clone()).expect("a JSON patch");
    let mut patched = deployment.clone();
    json_patch::patch(&mut patched, &ops).expect("the patch applies to the base");
    assert_policy_wired(&patched, "podsec-policy");
    assert_no_policy(deployment);
    // Nothing but the arguments and the projected sources changes.
    let mut unpatched = patched.clone();
    let pod = &mut unpatched["spec"]["template"]["spec"];
    let args = pod["containers"][0]["args"].as_array_mut().expect("args");
    args.truncate(args.len() - 2);
    let sources = pod["volumes"][0]["projected"]["sources"]
        .as_array_mut()
        .expect("sources");
    sources.retain(|s| s["configMap"]["name"] != "podsec-policy");
    assert_eq!(&unpatched, deployment);
}

#[test]
fn mutating_webhook_components_answer_secure_defaults_only() {
    let objects_here = objects("components/mutating-webhook");
    assert_eq!(objects_here.len(), 1);
    let config = find(
        &objects_here,
        "MutatingWebhookConfiguration",
        "podsec-secure-defaults.podsec.dev",
    );
    assert_mutating_webhook(config, "podsec", "podsec-webhook");

    // The validating webhook's Service, port and timeout.
    let base = objects("base");
    let validating = find(
        &base,
        "ValidatingWebhookConfiguration",
        "podsec-webhook.podsec.dev",
    );
    let enforcing = &validating["webhooks"][0];
    let mutating = &config["webhooks"][0];
    for field in ["namespace", "name", "port"] {
        assert_eq!(
            mutating["clientConfig"]["service"][field], enforcing["clientConfig"]["service"][field],
            "{field}"
        );
    }
    assert_eq!(mutating["timeoutSeconds"], enforcing["timeoutSeconds"]);
    assert_eq!(
        config["metadata"]["labels"],
        validating["metadata"]["labels"]
    );

    // cert-manager injects its caBundle as the cert-manager overlay has it do for the
    // validating webhook.
    let cert_manager = objects("cert-manager");
    let injection = find(
        &cert_manager,
        "ValidatingWebhookConfiguration",
        "podsec-webhook.podsec.dev",
    );
    assert_eq!(
        config["metadata"]["annotations"],
        injection["metadata"]["annotations"]
    );
    let kustomization = &parse_file(
        &root().join("deploy/kustomize/components/mutating-webhook/kustomization.yaml"),
    )[0];
    assert_eq!(
        kustomization["apiVersion"],
        "kustomize.config.k8s.io/v1alpha1"
    );
    assert_eq!(kustomization["kind"], "Component");
    assert_eq!(kustomization["resources"], json!(["mutating-webhook.yaml"]));

    // With manual certificates: the same webhook, the bundle from the manual-certs overlay's
    // Secret, and no cert-manager annotation.
    let manual = &parse_file(
        &root()
            .join("deploy/kustomize/components/mutating-webhook-manual-certs/kustomization.yaml"),
    )[0];
    assert_eq!(manual["kind"], "Component");
    assert_eq!(manual["components"], json!(["../mutating-webhook"]));
    let overlay = &parse_file(&root().join("deploy/kustomize/manual-certs/kustomization.yaml"))[0];
    let replacement = &manual["replacements"][0];
    assert_eq!(replacement["source"], overlay["replacements"][0]["source"]);
    assert_eq!(
        replacement["targets"],
        json!([{"select": {"kind": "MutatingWebhookConfiguration",
                           "name": "podsec-secure-defaults.podsec.dev"},
                "fieldPaths": ["webhooks.0.clientConfig.caBundle"],
                "options": {"create": true}}])
    );
    let patch = &manual["patches"][0];
    assert_eq!(patch["target"]["kind"], "MutatingWebhookConfiguration");
    assert_eq!(patch["target"]["name"], config["metadata"]["name"]);
    let ops = &parse_docs(patch["patch"].as_str().expect("patch"), "patch")[0];
    let ops: json_patch::Patch = serde_json::from_value(ops.clone()).expect("a JSON patch");
    let mut patched = config.clone();
    json_patch::patch(&mut patched, &ops).expect("the patch applies");
    assert_eq!(patched["metadata"]["annotations"], json!({}));
    assert_mutating_webhook(&patched, "podsec", "podsec-webhook");
}

fn write_overlay(dir: &Path, resources: &str, components: &[&str]) {
    fs::create_dir_all(dir).expect("mkdir");
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [resources],
        "components": components,
    });
    fs::write(dir.join("kustomization.yaml"), kustomization.to_string()).expect("write");
}

/// The components render on both overlays (skipped without `kubectl`): the policy is mounted
/// and passed, the mutating webhook gets its caBundle the overlay's way, and the Deployment
/// still passes `restricted`.
#[test]
fn policy_components_render_with_kustomize() {
    if !kubectl_available() {
        eprintln!("kubectl not installed: kustomize rendering skipped");
        return;
    }
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("deploy-kustomize-policy");
    let _ = fs::remove_dir_all(&work);
    copy_dir(&root().join("deploy/kustomize"), &work);
    let pki = work.join("manual-certs/pki");
    let _ = fs::remove_dir_all(&pki);
    let output = podsec()
        .args(["certs", "--out-dir"])
        .arg(&pki)
        .output()
        .expect("podsec certs");
    assert!(output.status.success(), "{output:?}");
    let bundle = String::from_utf8(output.stdout).expect("utf-8");
    let (policy_text, _) = example_policy();

    let base_kinds: BTreeSet<String> = kinds(&objects("base"));
    let cases: [(&str, &str, &[&str]); 3] = [
        ("policy-only", "../cert-manager", &["../components/policy"]),
        (
            "secure-defaults",
            "../cert-manager",
            &["../components/policy", "../components/mutating-webhook"],
        ),
        (
            "secure-defaults-manual",
            "../manual-certs",
            &[
                "../components/policy",
                "../components/mutating-webhook-manual-certs",
            ],
        ),
    ];
    for (name, resources, components) in cases {
        let dir = work.join(name);
        write_overlay(&dir, resources, components);
        let rendered = kustomize(&dir);

        let deployment = find(&rendered, "Deployment", "podsec-webhook");
        assert_policy_wired(deployment, "podsec-policy");
        let configmap = find(&rendered, "ConfigMap", "podsec-policy");
        assert_eq!(configmap["metadata"]["namespace"], "podsec");
        assert_eq!(configmap["data"]["policy.yaml"], policy_text.as_str());
        // The validating webhooks are untouched.
        let validating = find(
            &rendered,
            "ValidatingWebhookConfiguration",
            "podsec-webhook.podsec.dev",
        );
        assert_webhooks(&validating["webhooks"], "podsec");

        let found = kinds(&rendered);
        assert!(found.is_superset(&base_kinds), "{name}: {found:?}");
        let mutating = rendered
            .iter()
            .find(|o| o["kind"] == "MutatingWebhookConfiguration");
        match name {
            "policy-only" => assert!(mutating.is_none(), "{name}"),
            "secure-defaults" => {
                let config = mutating.expect("the mutating webhook");
                assert_mutating_webhook(config, "podsec", "podsec-webhook");
                assert_eq!(
                    config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
                    "podsec/podsec-webhook-tls"
                );
                assert!(config["webhooks"][0]["clientConfig"]["caBundle"].is_null());
            }
            _ => {
                let config = mutating.expect("the mutating webhook");
                assert_mutating_webhook(config, "podsec", "podsec-webhook");
                assert!(
                    config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"].is_null()
                );
                let ca_bundle: String = config["webhooks"][0]["clientConfig"]["caBundle"]
                    .as_str()
                    .expect("caBundle")
                    .split_whitespace()
                    .collect();
                assert_eq!(ca_bundle, bundle.trim());
            }
        }
    }
}

/// Splits `text` into its `guard ... {{- end }}` blocks (without nested blocks) and the rest.
fn guarded_blocks<'a>(text: &'a str, guard: &str) -> (String, Vec<&'a str>) {
    let mut outside = String::new();
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(guard) {
        outside.push_str(&rest[..start]);
        let body = &rest[start + guard.len()..];
        let end = body.find("{{- end }}").expect("the block ends");
        let block = &body[..end];
        for opener in ["{{- if ", "{{- with ", "{{- range "] {
            assert!(!block.contains(opener), "nested block in {block}");
        }
        blocks.push(block);
        rest = &body[end + "{{- end }}".len()..];
    }
    outside.push_str(rest);
    (outside, blocks)
}

/// Whether the whole of `text` is one block opened by its first action, `guard`.
fn wholly_guarded(text: &str, guard: &str) -> bool {
    if !text.starts_with(guard) {
        return false;
    }
    let mut depth = 0usize;
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..].find("}}").expect("closed action") + start + 2;
        let action = rest[start + 2..end - 2]
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        rest = &rest[end..];
        if ["if ", "with ", "range ", "define "]
            .iter()
            .any(|o| action.starts_with(o))
        {
            depth += 1;
        } else if action == "end" {
            depth -= 1;
            if depth == 0 {
                return rest.trim().is_empty();
            }
        }
    }
    false
}

/// The chart's opt-in pieces sit inside their `if` blocks (so the default render is what it
/// was), and the mutating webhook is wired to the Service and TLS as the validating one.
#[test]
fn helm_chart_guards_the_policy_and_the_mutating_webhook() {
    let templates = root().join("deploy/helm/podsec/templates");
    let read = |name: &str| fs::read_to_string(templates.join(name)).expect(name);
    let policy_guard = "{{- if .Values.policy.enabled }}";
    let policy_configmap = "name: {{ include \"podsec.fullname\" . }}-policy";

    let deployment = read("deployment.yaml");
    let (outside, blocks) = guarded_blocks(&deployment, policy_guard);
    assert_eq!(blocks.len(), 2, "the argument and the projected source");
    assert_eq!(
        blocks[0].trim(),
        "- --policy\n            - /etc/podsec/policy.yaml"
    );
    assert!(blocks[1].contains(policy_configmap), "{}", blocks[1]);
    assert!(
        blocks[1].contains("- key: policy.yaml\n                      path: policy.yaml"),
        "{}",
        blocks[1]
    );
    for needle in ["--policy", "policy.yaml", "-policy"] {
        assert!(!outside.contains(needle), "{needle} outside the guard");
    }
    for other in [
        "configmap.yaml",
        "webhook.yaml",
        "certificates.yaml",
        "service.yaml",
    ] {
        let text = read(other);
        assert!(!text.contains(".Values.policy"), "{other}");
        assert!(!text.contains(".Values.mutatingWebhook"), "{other}");
    }

    let policy = read("policy.yaml");
    assert!(wholly_guarded(&policy, policy_guard), "{policy}");
    assert!(policy.contains(policy_configmap));
    assert!(
        policy.contains("  policy.yaml: |\n    {{- include \"podsec.policy\" . | nindent 4 }}")
    );
    let helpers = read("_helpers.tpl");
    assert!(helpers.contains("{{- define \"podsec.policy\" -}}"));
    assert!(
        helpers.contains("(dict \"apiVersion\" \"podsec.dev/v1alpha1\" \"kind\" \"PodsecPolicy\")")
    );
    assert!(helpers.contains("{{- fail \"policy.content is required when policy.enabled is true"));

    let mutating = read("mutating-webhook.yaml");
    assert!(
        wholly_guarded(&mutating, "{{- if .Values.mutatingWebhook.enabled }}"),
        "{mutating}"
    );
    assert!(mutating.contains("{{- if not .Values.policy.enabled }}\n{{- fail "));
    assert!(mutating.contains("{{- if not (hasKey $policy \"secureDefaults\") }}\n{{- fail "));
    for line in [
        "    failurePolicy: {{ .Values.mutatingWebhook.failurePolicy }}",
        "    reinvocationPolicy: {{ .Values.mutatingWebhook.reinvocationPolicy }}",
        "    timeoutSeconds: {{ .Values.webhook.timeoutSeconds }}",
        "          values: {{ $excluded | toJson }}",
    ] {
        assert!(mutating.lines().any(|l| l == line), "{line}");
    }
    assert!(mutating.contains(
        "$excluded := prepend (.Values.mutatingWebhook.excludeNamespaces | default list) .Release.Namespace | uniq"
    ));
    // The caBundle and cert-manager wiring, and the Service, exactly as the validating webhook's.
    let validating = read("webhook.yaml");
    let wiring: Vec<&str> = validating
        .lines()
        .filter(|l| {
            l.contains("certManager.enabled")
                || l.contains("inject-ca-from")
                || l.contains("required \"tls.caBundle")
                || l.contains("podsec.serviceName")
                || l.trim() == "annotations:"
        })
        .collect();
    assert!(wiring.len() >= 6, "{wiring:?}");
    for line in wiring {
        assert!(mutating.lines().any(|l| l == line), "{line}");
    }
    // The fixed part: pods on CREATE, /mutate, no side effects.
    let stripped: String = mutating
        .lines()
        .filter(|l| !l.trim_start().starts_with("{{"))
        .map(|l| strip_actions(l) + "\n")
        .collect();
    let config = &parse_docs(&stripped, "mutating-webhook.yaml")[0];
    assert_eq!(config["kind"], "MutatingWebhookConfiguration");
    let webhook = &config["webhooks"][0];
    assert_eq!(webhook["name"], "secure-defaults.podsec.dev");
    assert_eq!(webhook["clientConfig"]["service"]["path"], "/mutate");
    assert_eq!(webhook["clientConfig"]["service"]["port"], 443);
    assert_eq!(webhook["sideEffects"], "None");
    assert_eq!(strings(&webhook["admissionReviewVersions"]), ["v1"]);
    assert_eq!(
        webhook["rules"],
        json!([{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                "resources": ["pods"]}])
    );
}

fn helm_available() -> bool {
    Command::new("helm")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn helm_template(args: &[&str]) -> std::process::Output {
    Command::new("helm")
        .args(["template", "podsec"])
        .arg(root().join("deploy/helm/podsec"))
        .args(["--namespace", "podsec"])
        .args(args)
        .output()
        .expect("helm template")
}

/// With `helm` installed: the policy (as a string and as a map) and the mutating webhook
/// render in both TLS modes, are absent by default, and are refused when inconsistent.
#[test]
fn helm_chart_renders_the_policy_when_helm_is_installed() {
    if !helm_available() {
        eprintln!("helm not installed: helm template skipped");
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("helm-policy");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("mkdir");
    let (policy_text, policy) = example_policy();
    let policy_file = dir.join("policy.yaml");
    fs::write(&policy_file, &policy_text).expect("write");
    let policy_file = policy_file.to_str().expect("utf-8 path").to_owned();
    let mut content = policy.clone();
    let map = content.as_object_mut().expect("map");
    map.remove("apiVersion");
    map.remove("kind");
    let values_file = dir.join("values.yaml");
    fs::write(
        &values_file,
        json!({"policy": {"enabled": true, "content": content},
               "mutatingWebhook": {"enabled": true}})
        .to_string(),
    )
    .expect("write");
    let values_file = values_file.to_str().expect("utf-8 path").to_owned();

    let manual_tls = [
        "--set",
        "certManager.enabled=false",
        "--set",
        "tls.existingSecret=podsec-webhook-tls",
        "--set",
        "tls.caBundle=Y2E=",
    ];
    let content_file = format!("policy.content={policy_file}");
    let as_string = [
        "--set",
        "policy.enabled=true",
        "--set-file",
        &content_file,
        "--set",
        "mutatingWebhook.enabled=true",
    ];
    let as_map = ["-f", values_file.as_str()];
    for manual in [false, true] {
        let tls: &[&str] = if manual { &manual_tls } else { &[] };
        // Off by default.
        let output = helm_template(tls);
        assert!(output.status.success(), "{output:?}");
        let rendered = parse_docs(&String::from_utf8_lossy(&output.stdout), "helm output");
        assert_no_policy(find(&rendered, "Deployment", "podsec"));
        assert!(!kinds(&rendered).contains("MutatingWebhookConfiguration"));
        assert!(
            !rendered
                .iter()
                .any(|o| o["metadata"]["name"] == "podsec-policy")
        );

        for (i, values) in [&as_string[..], &as_map[..]].into_iter().enumerate() {
            let output = helm_template(&[tls, values].concat());
            assert!(output.status.success(), "{output:?}");
            let rendered = parse_docs(&String::from_utf8_lossy(&output.stdout), "helm output");
            assert_policy_wired(find(&rendered, "Deployment", "podsec"), "podsec-policy");
            let configmap = find(&rendered, "ConfigMap", "podsec-policy");
            let text = configmap["data"]["policy.yaml"]
                .as_str()
                .expect("policy.yaml");
            assert_eq!(
                parse_docs(text, "rendered policy"),
                std::slice::from_ref(&policy)
            );
            let rendered_policy = dir.join(format!("policy-{manual}-{i}.yaml"));
            fs::write(&rendered_policy, text).expect("write");
            assert_policy_loads(&rendered_policy);
            if i == 0 {
                assert_eq!(
                    text.trim(),
                    policy_text.trim(),
                    "a string is kept as written"
                );
            }
            let config = find(
                &rendered,
                "MutatingWebhookConfiguration",
                "podsec-secure-defaults.podsec.dev",
            );
            assert_mutating_webhook(config, "podsec", "podsec-webhook");
            let annotation = &config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"];
            let ca_bundle = &config["webhooks"][0]["clientConfig"]["caBundle"];
            if manual {
                assert!(annotation.is_null());
                assert_eq!(ca_bundle, "Y2E=");
            } else {
                assert_eq!(annotation, "podsec/podsec-webhook-tls");
                assert!(ca_bundle.is_null());
            }
            let file = dir.join(format!("rendered-{manual}-{i}.yaml"));
            fs::write(&file, &output.stdout).expect("write");
            let check = podsec()
                .args(["check", "--format", "json"])
                .arg(&file)
                .output()
                .expect("podsec check");
            assert_eq!(check.status.code(), Some(0), "{check:?}");
        }
    }

    // Inconsistent values are refused with a message.
    let no_secure_defaults = dir.join("no-secure-defaults.yaml");
    fs::write(
        &no_secure_defaults,
        json!({"policy": {"enabled": true, "content": {"images": policy["images"]}},
               "mutatingWebhook": {"enabled": true}})
        .to_string(),
    )
    .expect("write");
    let refused: [(&[&str], &str); 3] = [
        (
            &["--set", "mutatingWebhook.enabled=true"],
            "mutatingWebhook.enabled needs policy.enabled",
        ),
        (
            &["--set", "policy.enabled=true"],
            "policy.content is required",
        ),
        (
            &["-f", no_secure_defaults.to_str().expect("utf-8 path")],
            "needs a secureDefaults section",
        ),
    ];
    for (args, message) in refused {
        let output = helm_template(args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

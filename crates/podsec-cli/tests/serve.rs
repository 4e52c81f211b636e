//! End-to-end tests of `podsec serve`: flag validation with upstream's messages, start-up
//! errors, and a full run (`--standalone-dev`, JSON logs, plain health port, SIGTERM drain).

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::sync::Arc;

use podsec_kube::testing::FakeApiServer;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use serde_json::json;

fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_podsec"));
    command.arg("serve").args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("PODSEC_") {
            command.env_remove(key);
        }
    }
    command
        .env_remove("RUST_LOG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `podsec serve` to completion: (exit code, stderr).
fn fails(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let output = command(args, env).output().expect("podsec runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A directory with `ca.crt`, `tls.crt` and `tls.key` (for `localhost`, signed by the CA).
fn certs(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("podsec-serve-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("CA");
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .expect("params")
        .signed_by(&key, &ca)
        .expect("cert");
    std::fs::write(dir.join("ca.crt"), ca.pem()).expect("write");
    std::fs::write(dir.join("tls.crt"), cert.pem()).expect("write");
    std::fs::write(dir.join("tls.key"), key.serialize_pem()).expect("write");
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

#[test]
fn flag_validation_uses_upstream_messages() {
    let (code, err) = fails(&["--secure-port", "-1"], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "--secure-port -1 must be between 0 and 65535, inclusive. 0 for turning off secure port"
        ),
        "{err}"
    );
    let (code, err) = fails(&[], &[("PODSEC_SECURE_PORT", "70000")]);
    assert_eq!(code, 1);
    assert!(
        err.contains("--secure-port 70000 must be between 1 and 65535, inclusive. It cannot be turned off with 0"),
        "{err}"
    );
    let (code, err) = fails(&["--secure_port=0"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("no serving info configured"), "{err}");

    let (code, err) = fails(&[], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("--tls-cert-file and --tls-private-key-file are required"),
        "{err}"
    );
}

#[test]
fn start_up_errors_are_clear() {
    let dir = certs("errors");
    let cert = dir.join("tls.crt");
    let key = dir.join("tls.key");
    let missing = dir.join("missing.crt");
    let port = free_port().to_string();
    let base = |cert: &PathBuf| {
        vec![
            "--bind-address".to_owned(),
            "127.0.0.1".to_owned(),
            "--secure-port".to_owned(),
            port.clone(),
            "--tls-cert-file".to_owned(),
            cert.display().to_string(),
            "--tls-private-key-file".to_owned(),
            key.display().to_string(),
        ]
    };
    let args = base(&missing);
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.push("--standalone-dev");
    let (code, err) = fails(&args, &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("loading the serving certificate: reading "),
        "{err}"
    );
    assert!(err.contains("missing.crt"), "{err}");

    let config = dir.join("nope.yaml");
    let config_env = config.display().to_string();
    let (code, err) = fails(&args, &[("PODSEC_CONFIG", &config_env)]);
    assert_eq!(code, 1);
    assert!(err.contains("no such file or directory"), "{err}");

    // No kubeconfig outside a pod; a missing kubeconfig.
    let args = base(&cert);
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, err) = fails(&args, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("loading in-cluster configuration: "), "{err}");
    args.extend(["--kubeconfig", "/nonexistent/kubeconfig"]);
    let (code, err) = fails(&args, &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("loading kubeconfig /nonexistent/kubeconfig: "),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serves_health_and_drains_on_sigterm() {
    let dir = certs("run");
    let (secure, health) = (free_port(), free_port());
    let (secure_s, health_s) = (secure.to_string(), health.to_string());
    let (cert, key) = (
        dir.join("tls.crt").display().to_string(),
        dir.join("tls.key").display().to_string(),
    );
    let child = command(
        &[
            "--standalone-dev",
            "--bind-address",
            "127.0.0.1",
            "--secure-port",
            &secure_s,
            "--tls-cert-file",
            &cert,
            "--tls-private-key-file",
            &key,
            "--log-format",
            "json",
        ],
        &[
            ("PODSEC_HEALTH_PORT", &health_s),
            ("PODSEC_METRICS_PORT", &health_s),
        ],
    )
    .spawn()
    .expect("podsec serve starts");
    let mut child = Kill(child);

    let start = Instant::now();
    let healthz = loop {
        if let Some(response) = http_get(health, "/healthz") {
            break response;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the health port never answered"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(healthz.starts_with("HTTP/1.1 200 OK\r\n"), "{healthz}");
    assert!(healthz.ends_with("\r\n\r\nok"), "{healthz}");
    let readyz = http_get(health, "/readyz").expect("readyz");
    assert!(readyz.ends_with("\r\n\r\nok"), "{readyz}");
    let metrics = http_get(health, "/metrics").expect("metrics");
    assert!(
        metrics.contains("# TYPE pod_security_evaluations_total counter"),
        "{metrics}"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", secure)).is_ok(),
        "HTTPS port open"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let start = Instant::now();
    let code = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status.code();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(0));
    let mut stderr = String::new();
    child
        .0
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read");
    let messages: Vec<String> = stderr
        .lines()
        .map(|line| {
            let json: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
            json["message"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    for expected in [
        "serving admission reviews over HTTPS",
        "serving health and metrics over plain HTTP",
        "received SIGTERM",
        "shut down",
    ] {
        assert!(
            messages.iter().any(|m| m == expected),
            "{expected}: {stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// POSTs `body` over HTTPS/1.1 (trusting `ca.crt` of `dir`); returns the raw response.
fn https_post(port: u16, dir: &std::path::Path, body: &str) -> String {
    https_post_to(port, dir, "/validate?timeout=5s", body)
}

/// POSTs `body` to `path` (with the query) over TLS; the whole HTTP response.
fn https_post_to(port: u16, dir: &std::path::Path, path: &str, body: &str) -> String {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(dir.join("ca.crt")).expect("CA"))
        .expect("root");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let conn = rustls::ClientConnection::new(
        Arc::new(config),
        "localhost".try_into().expect("server name"),
    )
    .expect("client");
    let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    write!(
        tls,
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = Vec::new();
    let _ = tls.read_to_end(&mut response);
    String::from_utf8(response).expect("utf-8")
}

#[test]
fn serves_reviews_from_the_kubernetes_api() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let _entered = runtime.enter();
    let api = runtime.block_on(FakeApiServer::start());
    api.create_namespace("team", [("pod-security.kubernetes.io/enforce", "baseline")]);
    api.add_pod(
        "team",
        json!({"metadata": {"name": "old"},
               "spec": {"hostPID": true, "containers": [{"name": "c", "image": "i"}]}}),
    );
    let dir = certs("kube");
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\nusers:\n- name: u\n  user: {{}}\ncontexts:\n- name: c\n  context:\n    cluster: fake\n    user: u\ncurrent-context: c\n",
            api.url()
        ),
    )
    .expect("write");
    let (secure, health) = (free_port(), free_port());
    let (secure_s, health_s) = (secure.to_string(), health.to_string());
    let path = |name: &str| dir.join(name).display().to_string();
    let child = command(
        &[
            "--kubeconfig",
            &path("kubeconfig"),
            "--bind-address",
            "127.0.0.1",
            "--secure-port",
            &secure_s,
            "--health-port",
            &health_s,
            "--tls-cert-file",
            &path("tls.crt"),
            "--tls-private-key-file",
            &path("tls.key"),
        ],
        &[],
    )
    .spawn()
    .expect("podsec serve starts");
    let mut child = Kill(child);

    // Ready once the namespace cache has synced.
    let start = Instant::now();
    loop {
        if http_get(health, "/readyz").is_some_and(|r| r.ends_with("\r\n\r\nok")) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "never ready");
        std::thread::sleep(Duration::from_millis(50));
    }

    let pod = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "pod-1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "name": "p", "namespace": "team", "operation": "CREATE", "userInfo": {"username": "u"},
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                   "spec": {"hostPID": true, "containers": [{"name": "c", "image": "i"}]}}}});
    let response = https_post(secure, &dir, &pod.to_string());
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(
        response.contains(r#""uid":"pod-1","allowed":false"#)
            && response.contains(
                r#"violates PodSecurity \"baseline:latest\": host namespaces (hostPID=true)"#
            ),
        "{response}"
    );

    let relabel = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "ns-1", "kind": {"group": "", "version": "v1", "kind": "Namespace"},
        "resource": {"group": "", "version": "v1", "resource": "namespaces"},
        "name": "team", "namespace": "team", "operation": "UPDATE", "userInfo": {"username": "u"},
        "object": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team",
                   "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}},
        "oldObject": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team",
                   "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}}}});
    let response = https_post(secure, &dir, &relabel.to_string());
    assert!(
        response.contains(r#""uid":"ns-1","allowed":true"#)
            && response.contains(r#""old: host namespaces, "#),
        "{response}"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let start = Instant::now();
    while child.0.try_wait().expect("wait").is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(api);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn draining_fails_readiness_and_a_second_signal_exits_at_once() {
    let dir = certs("drain");
    let (secure, health) = (free_port(), free_port());
    let (secure_s, health_s) = (secure.to_string(), health.to_string());
    let path = |name: &str| dir.join(name).display().to_string();
    let child = command(
        &[
            "--standalone-dev",
            "--bind-address",
            "127.0.0.1",
            "--secure-port",
            &secure_s,
            "--health-port",
            &health_s,
            "--tls-cert-file",
            &path("tls.crt"),
            "--tls-private-key-file",
            &path("tls.key"),
            "--shutdown-delay",
            "1m",
        ],
        &[],
    )
    .spawn()
    .expect("podsec serve starts");
    let mut child = Kill(child);
    let wait_for = |what: &str, check: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !check() {
            assert!(start.elapsed() < Duration::from_secs(10), "{what}");
            std::thread::sleep(Duration::from_millis(30));
        }
    };
    wait_for("ready", &|| {
        http_get(health, "/readyz").is_some_and(|r| r.ends_with("\r\n\r\nok"))
    });
    let term = |pid: u32| {
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    };
    term(child.0.id());
    wait_for("readiness fails while draining", &|| {
        http_get(health, "/readyz").is_some_and(|r| {
            r.starts_with("HTTP/1.1 500") && r.contains("[-]shutdown failed: reason withheld\n")
        })
    });
    assert!(
        http_get(health, "/healthz").is_some_and(|r| r.ends_with("\r\n\r\nok")),
        "still live"
    );
    assert!(child.0.try_wait().expect("wait").is_none(), "still serving");
    term(child.0.id());
    let start = Instant::now();
    let code = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status.code();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no exit after the second SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(1));
    let _ = std::fs::remove_dir_all(dir);
}

/// A `podsec serve` process against the stand-in API server.
struct Webhook {
    child: Kill,
    secure: u16,
    health: u16,
    dir: PathBuf,
}

/// Polls `check` every 30 ms for at most 10 s.
fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < Duration::from_secs(10), "{what}");
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// Starts `podsec serve` with a kubeconfig for `api`, `args` and `env`, and waits until it
/// is ready.
fn webhook(name: &str, api: &FakeApiServer, args: &[&str], env: &[(&str, &str)]) -> Webhook {
    let dir = certs(name);
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\nusers:\n- name: u\n  user: {{}}\ncontexts:\n- name: c\n  context:\n    cluster: fake\n    user: u\ncurrent-context: c\n",
            api.url()
        ),
    )
    .expect("write");
    let (secure, health) = (free_port(), free_port());
    let (secure_s, health_s) = (secure.to_string(), health.to_string());
    let path = |name: &str| dir.join(name).display().to_string();
    let mut all = vec![
        "--kubeconfig".to_owned(),
        path("kubeconfig"),
        "--bind-address".to_owned(),
        "127.0.0.1".to_owned(),
        "--secure-port".to_owned(),
        secure_s,
        "--health-port".to_owned(),
        health_s,
        "--tls-cert-file".to_owned(),
        path("tls.crt"),
        "--tls-private-key-file".to_owned(),
        path("tls.key"),
        "--log-format".to_owned(),
        "json".to_owned(),
    ];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let child = Kill(command(&all, env).spawn().expect("podsec serve starts"));
    wait_for("ready", || {
        http_get(health, "/readyz").is_some_and(|r| r.ends_with("\r\n\r\nok"))
    });
    Webhook {
        child,
        secure,
        health,
        dir,
    }
}

impl Webhook {
    /// The denial message of a pod with a sysctl allowed from v1.37 on, in `namespace`;
    /// `None` when allowed.
    fn denial(&self, namespace: &str) -> Option<String> {
        let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
            "uid": "sysctl", "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "name": "p", "namespace": namespace, "operation": "CREATE", "userInfo": {"username": "u"},
            "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                       "spec": {"securityContext": {"sysctls": [{"name": SYSCTL_V1_37, "value": "0"}]},
                                "containers": [{"name": "c", "image": "i"}]}}}});
        let response = https_post(self.secure, &self.dir, &review.to_string());
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        let (_, body) = response.split_once("\r\n\r\n").expect("a body");
        let reply: serde_json::Value = serde_json::from_str(body).expect("JSON");
        let response = &reply["response"];
        (response["allowed"] != true).then(|| {
            response["status"]["message"]
                .as_str()
                .expect("a message")
                .to_owned()
        })
    }

    /// The `podsec_emulation_version_info` sample.
    fn info(&self) -> String {
        let metrics = http_get(self.health, "/metrics").expect("metrics");
        metrics
            .lines()
            .find(|line| line.starts_with("podsec_emulation_version_info{"))
            .unwrap_or_default()
            .to_owned()
    }

    /// SIGTERM, then the messages of the JSON log lines (with their fields).
    fn stop(mut self) -> Vec<serde_json::Value> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.0.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        wait_for("exit after SIGTERM", || {
            self.child.0.try_wait().expect("wait").is_some()
        });
        let mut stderr = String::new();
        self.child
            .0
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr)
            .expect("read");
        let _ = std::fs::remove_dir_all(&self.dir);
        stderr
            .lines()
            .map(|line| serde_json::from_str(line).expect("JSON log line"))
            .collect()
    }
}

/// Allowed by v1.37's sysctl list, not by v1.36's.
const SYSCTL_V1_37: &str = "net.ipv4.tcp_slow_start_after_idle";

fn forbidden(version: &str) -> Option<String> {
    Some(format!(
        "pods \"p\" is forbidden: violates PodSecurity \"baseline:{version}\": forbidden sysctls ({SYSCTL_V1_37})"
    ))
}

fn info(source: &str, version: &str) -> String {
    format!(r#"podsec_emulation_version_info{{source="{source}",version="{version}"}} 1"#)
}

/// Namespaces enforcing `baseline` at `latest` and at `v1.37`.
fn labelled_namespaces(api: &FakeApiServer) {
    api.create_namespace(
        "latest",
        [("pod-security.kubernetes.io/enforce", "baseline")],
    );
    api.create_namespace(
        "pinned",
        [
            ("pod-security.kubernetes.io/enforce", "baseline"),
            ("pod-security.kubernetes.io/enforce-version", "v1.37"),
        ],
    );
}

fn has_message(logs: &[serde_json::Value], prefix: &str) -> bool {
    logs.iter()
        .any(|l| l["message"].as_str().is_some_and(|m| m.starts_with(prefix)))
}

#[test]
fn emulation_version_auto_follows_the_api_server() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let _entered = runtime.enter();
    let api = runtime.block_on(FakeApiServer::start());
    labelled_namespaces(&api);
    api.set_version("v1.36.2-eks-abc1234");
    let hook = webhook(
        "emulation-auto",
        &api,
        &["--emulation-refresh-interval", "100ms"],
        &[],
    );

    // A v1.36 cluster: `latest` and `v1.37` evaluate as v1.36; messages name the labels.
    assert_eq!(hook.denial("latest"), forbidden("latest"));
    assert_eq!(hook.denial("pinned"), forbidden("v1.37"));
    assert_eq!(hook.info(), info("apiserver", "v1.36"));

    // The cluster is upgraded: the next read applies v1.37.
    api.set_version("v1.37.0");
    wait_for("the v1.37 cap", || hook.denial("pinned").is_none());
    assert_eq!(hook.denial("latest"), None);
    assert_eq!(hook.info(), info("apiserver", "v1.37"));

    // Back to v1.36 (or an emulation version), then /version fails: the last version read
    // stays in force and the server keeps serving.
    api.set_version_json(json!({"major": "1", "minor": "37", "gitVersion": "v1.37.0",
                                "emulationMajor": "1", "emulationMinor": "36"}));
    wait_for("the v1.36 cap again", || hook.denial("latest").is_some());
    api.set_version_failing(true);
    let reads = api.count_requests(|r| r == "GET /version");
    wait_for("more reads", || {
        api.count_requests(|r| r == "GET /version") > reads + 2
    });
    assert_eq!(hook.denial("latest"), forbidden("latest"));
    assert_eq!(hook.info(), info("apiserver", "v1.36"));

    // An answer that does not parse: no cap, still serving.
    api.set_version_failing(false);
    api.set_version("not-a-version");
    wait_for("no cap", || hook.info() == info("unknown", "v1.37"));
    assert_eq!(hook.denial("latest"), None);
    assert_eq!(hook.denial("pinned"), None);

    let logs = hook.stop();
    assert!(
        has_message(
            &logs,
            "`latest` and newer policy versions evaluate as v1.36"
        ),
        "{logs:?}"
    );
    assert!(
        has_message(
            &logs,
            "emulation version changed: `latest` and newer policy versions now evaluate as v1.37"
        ),
        "{logs:?}"
    );
    for warning in [
        "cannot read the API server's version",
        "unrecognised API server version",
    ] {
        assert!(
            logs.iter().any(|l| l["level"] == "WARN"
                && l["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with(warning))),
            "{warning}: {logs:?}"
        );
    }
    drop(api);
}

#[test]
fn emulation_version_auto_survives_a_failing_start() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let _entered = runtime.enter();
    let api = runtime.block_on(FakeApiServer::start());
    labelled_namespaces(&api);
    api.set_version("v1.36.0");
    api.set_version_failing(true);
    let hook = webhook(
        "emulation-failing",
        &api,
        &[],
        &[("PODSEC_EMULATION_REFRESH_INTERVAL", "100ms")],
    );
    // Serving, uncapped, until the version can be read.
    assert_eq!(hook.denial("latest"), None);
    assert_eq!(hook.info(), info("unknown", "v1.37"));
    api.set_version_failing(false);
    wait_for("the v1.36 cap after the retry", || {
        hook.denial("latest").is_some()
    });
    assert_eq!(hook.denial("pinned"), forbidden("v1.37"));
    assert_eq!(hook.info(), info("apiserver", "v1.36"));
    let logs = hook.stop();
    assert!(
        has_message(&logs, "API server version readable again"),
        "{logs:?}"
    );
    drop(api);
}

#[test]
fn emulation_version_off_and_fixed() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let _entered = runtime.enter();

    // `off` (from the environment): upstream's webhook, v1.37's list for `latest`.
    let api = runtime.block_on(FakeApiServer::start());
    labelled_namespaces(&api);
    api.set_version("v1.36.2");
    let hook = webhook(
        "emulation-off",
        &api,
        &[],
        &[("PODSEC_EMULATION_VERSION", "off")],
    );
    assert_eq!(hook.denial("latest"), None);
    assert_eq!(hook.denial("pinned"), None);
    assert_eq!(hook.info(), info("off", "v1.37"));
    hook.stop();
    assert_eq!(api.count_requests(|r| r == "GET /version"), 0);

    // A fixed version: capped without asking the API server.
    let api = runtime.block_on(FakeApiServer::start());
    labelled_namespaces(&api);
    let hook = webhook(
        "emulation-fixed",
        &api,
        &["--emulation-version", "v1.36"],
        &[],
    );
    assert_eq!(hook.denial("latest"), forbidden("latest"));
    assert_eq!(hook.denial("pinned"), forbidden("v1.37"));
    assert_eq!(hook.info(), info("flag", "v1.36"));
    hook.stop();
    assert_eq!(api.count_requests(|r| r == "GET /version"), 0);

    // Not a version.
    let (code, err) = fails(&["--emulation-version", "latest"], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains(r#"invalid value 'latest' for '--emulation-version <v1.N|auto|off>': must be "auto", "off" or "v1.x""#),
        "{err}"
    );
}

/// The policy of [`policy_rules_and_secure_defaults_end_to_end`]; `MODE` is the image rule's.
const POLICY: &str = "apiVersion: podsec.dev/v1alpha1
kind: PodsecPolicy
images:
- name: trusted-registries
  mode: MODE
  allowedRegistries: [registry.example.com]
exemptions:
- name: node-agents
  checks: [hostPorts]
  namespaces: [team]
  podSelector: {matchLabels: {app: node-agent}}
secureDefaults:
  namespaceSelector: {matchLabels: {podsec.dev/secure-defaults: enabled}}
  level: restricted
  runAsUser: 10001
";

/// A pod review of `object` in `namespace`.
fn pod_review(uid: &str, namespace: &str, object: &serde_json::Value) -> String {
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": uid, "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "name": "p", "namespace": namespace, "operation": "CREATE", "userInfo": {"username": "u"},
        "object": object}})
    .to_string()
}

/// The `response` of an AdmissionReview reply.
fn reply(response: &str) -> serde_json::Value {
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    let (_, body) = response.split_once("\r\n\r\n").expect("a body");
    let review: serde_json::Value = serde_json::from_str(body).expect("JSON");
    review["response"].clone()
}

#[test]
fn policy_rules_and_secure_defaults_end_to_end() {
    use base64::Engine as _;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let _entered = runtime.enter();
    let api = runtime.block_on(FakeApiServer::start());
    api.create_namespace("team", [("pod-security.kubernetes.io/enforce", "baseline")]);
    api.create_namespace(
        "secure",
        [
            ("pod-security.kubernetes.io/enforce", "restricted"),
            ("podsec.dev/secure-defaults", "enabled"),
        ],
    );
    let policy_dir = std::env::temp_dir().join(format!("podsec-policy-{}", std::process::id()));
    std::fs::create_dir_all(&policy_dir).expect("mkdir");
    let policy_file = policy_dir.join("policy.yaml");
    std::fs::write(&policy_file, POLICY.replace("MODE", "enforce")).expect("write");
    let policy_path = policy_file.display().to_string();
    let hook = webhook(
        "policy",
        &api,
        &["--policy", &policy_path, "--reload-interval", "100ms"],
        &[],
    );

    // An image from elsewhere: denied with the image policy's message.
    let untrusted = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                           "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
    let denied = reply(&https_post(
        hook.secure,
        &hook.dir,
        &pod_review("img", "team", &untrusted),
    ));
    assert_eq!(denied["allowed"], false);
    assert_eq!(
        denied["status"]["message"],
        r#"pods "p" is forbidden: violates podsec image policy: container "c" image "docker.io/library/nginx:latest" is not from an allowed registry (allowed: registry.example.com)"#
    );
    assert_eq!(denied["status"]["code"], 403);

    // A host port, exempted for node agents in `team`: allowed, and annotated.
    let agent = json!({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": "p", "labels": {"app": "node-agent"}},
                       "spec": {"containers": [{"name": "c", "image": "registry.example.com/agent:1",
                                                "ports": [{"containerPort": 9100, "hostPort": 9100}]}]}});
    let allowed = reply(&https_post(
        hook.secure,
        &hook.dir,
        &pod_review("agent", "team", &agent),
    ));
    assert_eq!(allowed["allowed"], true, "{allowed}");
    assert_eq!(
        allowed["auditAnnotations"]["exempted-checks"],
        r#"hostPorts (exemption "node-agents")"#
    );
    let mut other = agent.clone();
    other["metadata"]["labels"]["app"] = json!("web");
    let denied = reply(&https_post(
        hook.secure,
        &hook.dir,
        &pod_review("web", "team", &other),
    ));
    assert_eq!(denied["allowed"], false);

    // Secure defaults on /mutate for the namespace that opts in: the patched pod passes
    // `restricted` on /validate.
    let bare = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                      "spec": {"containers": [{"name": "c", "image": "registry.example.com/app:1"}]}});
    let mutated = reply(&https_post_to(
        hook.secure,
        &hook.dir,
        "/mutate",
        &pod_review("m", "secure", &bare),
    ));
    assert_eq!(mutated["allowed"], true);
    assert_eq!(mutated["patchType"], "JSONPatch");
    let patch = base64::engine::general_purpose::STANDARD
        .decode(mutated["patch"].as_str().expect("a patch"))
        .expect("base64");
    let patch: json_patch::Patch = serde_json::from_slice(&patch).expect("RFC 6902");
    let mut patched = bare.clone();
    json_patch::patch(&mut patched, &patch).expect("applies");
    let before = reply(&https_post(
        hook.secure,
        &hook.dir,
        &pod_review("b", "secure", &bare),
    ));
    assert_eq!(before["allowed"], false);
    let after = reply(&https_post(
        hook.secure,
        &hook.dir,
        &pod_review("a", "secure", &patched),
    ));
    assert_eq!(after["allowed"], true, "{after}");
    let again = reply(&https_post_to(
        hook.secure,
        &hook.dir,
        "/mutate",
        &pod_review("m2", "secure", &patched),
    ));
    assert!(again.get("patch").is_none(), "{again}");
    // A namespace that does not opt in gets no patch.
    let team = reply(&https_post_to(
        hook.secure,
        &hook.dir,
        "/mutate",
        &pod_review("m3", "team", &bare),
    ));
    assert_eq!(team["allowed"], true);
    assert!(team.get("patch").is_none(), "{team}");

    // Rule metrics.
    let metrics = http_get(hook.health, "/metrics").expect("metrics");
    assert!(
        metrics.contains(r#"podsec_policy_evaluations_total{decision="deny",mode="enforce",rule="trusted-registries"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"podsec_policy_evaluations_total{decision="patch",mode="mutate",rule="secureDefaults"} 1"#), "{metrics}");

    // Hot reload: the rule now warns; an invalid file is rejected and the rule keeps warning.
    std::fs::write(&policy_file, POLICY.replace("MODE", "warn")).expect("write");
    wait_for("the reloaded policy", || {
        reply(&https_post(
            hook.secure,
            &hook.dir,
            &pod_review("w", "team", &untrusted),
        ))["allowed"]
            == true
    });
    let warned = reply(&https_post(
        hook.secure,
        &hook.dir,
        &pod_review("w", "team", &untrusted),
    ));
    assert_eq!(
        warned["warnings"][0],
        r#"would violate podsec image policy: container "c" image "docker.io/library/nginx:latest" is not from an allowed registry (allowed: registry.example.com)"#
    );
    std::fs::write(&policy_file, POLICY.replace("MODE", "sometimes")).expect("write");
    wait_for("the rejected reload", || {
        http_get(hook.health, "/metrics").is_some_and(|m| {
            m.contains(r#"pod_security_webhook_reload_errors_total{source="policy"} 1"#)
        })
    });
    let still = reply(&https_post(
        hook.secure,
        &hook.dir,
        &pod_review("w", "team", &untrusted),
    ));
    assert_eq!(still["allowed"], true);
    assert_eq!(still["warnings"].as_array().map(Vec::len), Some(1));
    let logs = hook.stop();
    assert!(has_message(&logs, "policy reloaded"));
    assert!(has_message(&logs, "policy reload rejected"));
    drop(api);
    let _ = std::fs::remove_dir_all(policy_dir);
}

#[test]
fn an_invalid_policy_stops_the_start_with_its_field() {
    let dir = certs("bad-policy");
    let policy = dir.join("policy.yaml");
    std::fs::write(
        &policy,
        "apiVersion: podsec.dev/v1alpha1\nkind: PodsecPolicy\nimages:\n- name: r\n  mode: sometimes\n  requireDigest: true\n",
    )
    .expect("write");
    let path = |name: &str| dir.join(name).display().to_string();
    let (code, stderr) = fails(
        &[
            "--standalone-dev",
            "--policy",
            &path("policy.yaml"),
            "--tls-cert-file",
            &path("tls.crt"),
            "--tls-private-key-file",
            &path("tls.key"),
            "--secure-port",
            &free_port().to_string(),
        ],
        &[],
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("policy.yaml: images[0].mode"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

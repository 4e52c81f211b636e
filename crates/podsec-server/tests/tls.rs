//! End-to-end over real sockets: HTTPS with HTTP/1.1 and HTTP/2 (ALPN), the plain health
//! port, certificate rotation (a broken replacement keeps the old pair), configuration
//! reload, start-up errors, and graceful shutdown with an in-flight request.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use podsec_admission::decode::{Namespace, PodTemplate};
use podsec_admission::{ListedPod, LookupError, PodLister, StaticNamespaces, StaticPods};
use podsec_server::{Metrics, Readiness, Server, ServerOptions, StartError};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::CertificateDer;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

type Ca = CertifiedIssuer<'static, KeyPair>;

fn ca() -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA")
}

/// A serving pair for `localhost`: (cert PEM, key PEM, cert DER).
fn leaf(ca: &Ca) -> (String, String, CertificateDer<'static>) {
    let params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, ca).expect("cert");
    (cert.pem(), key.serialize_pem(), cert.der().clone())
}

struct Files {
    _dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
    config: PathBuf,
}

fn files(cert: &str, key: &str) -> Files {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = Files {
        cert: dir.path().join("tls.crt"),
        key: dir.path().join("tls.key"),
        config: dir.path().join("config.yaml"),
        _dir: dir,
    };
    std::fs::write(&f.cert, cert).expect("write");
    std::fs::write(&f.key, key).expect("write");
    f
}

/// Replaces a file atomically (as a Kubernetes volume update does).
fn replace(path: &Path, contents: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

fn options(f: &Files) -> ServerOptions {
    let mut options = ServerOptions::new(f.cert.clone(), f.key.clone());
    options.secure_addr = SocketAddr::from(([127, 0, 0, 1], 0));
    options.reload_interval = Duration::from_millis(40);
    options.shutdown_grace = Duration::from_secs(5);
    options
}

fn namespaces() -> StaticNamespaces {
    [Namespace {
        name: "team".into(),
        labels: [(
            "pod-security.kubernetes.io/enforce".into(),
            "baseline".into(),
        )]
        .into(),
    }]
    .into_iter()
    .collect()
}

struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<Result<(), StartError>>,
    metrics: Metrics,
}

async fn start<P: PodLister + 'static>(
    options: ServerOptions,
    pods: P,
) -> (Running, Vec<SocketAddr>) {
    let metrics = Metrics::default();
    let server = Server::bind(
        options,
        namespaces(),
        pods,
        metrics.clone(),
        Readiness::always(),
    )
    .await
    .expect("start");
    let addr = server.local_addr().expect("addr");
    let plain = server.plain_addrs().expect("addrs");
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(server.run(async move {
        let _ = rx.await;
    }));
    (
        Running {
            addr,
            stop: Some(tx),
            handle,
            metrics,
        },
        plain,
    )
}

impl Running {
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.handle.await.expect("join").expect("run");
    }
}

async fn tls_connect(addr: SocketAddr, ca: &Ca, alpn: &[u8]) -> TlsStream<TcpStream> {
    tls_connect_with(addr, ca, alpn, rustls::DEFAULT_VERSIONS).await
}

async fn tls_connect_with(
    addr: SocketAddr,
    ca: &Ca,
    alpn: &[u8],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).expect("root");
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(versions)
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let tcp = TcpStream::connect(addr).await.expect("connect");
    TlsConnector::from(Arc::new(config))
        .connect("localhost".try_into().expect("name"), tcp)
        .await
        .expect("handshake")
}

fn served_cert(stream: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    stream.get_ref().1.peer_certificates().expect("certs")[0].clone()
}

enum Client {
    H1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

impl Client {
    async fn new(stream: TlsStream<TcpStream>) -> Client {
        let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
        let io = TokioIo::new(stream);
        if h2 {
            let (send, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                .await
                .expect("h2");
            tokio::spawn(conn);
            Client::H2(send)
        } else {
            let (send, conn) = hyper::client::conn::http1::handshake(io).await.expect("h1");
            tokio::spawn(conn);
            Client::H1(send)
        }
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> (StatusCode, String) {
        let response = match self {
            Client::H1(send) => {
                send.ready().await.expect("ready");
                send.send_request(request).await
            }
            Client::H2(send) => send.send_request(request).await,
        }
        .expect("response");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8(body.to_vec()).expect("utf-8"))
    }
}

fn review_request(uid: &str, ns: &str, host_pid: bool) -> Request<Full<Bytes>> {
    let body = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": uid,
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "name": "p", "namespace": ns, "operation": "CREATE", "userInfo": {"username": "u"},
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                   "spec": {"hostPID": host_pid, "containers": [{"name": "c", "image": "i"}]}}}});
    Request::post("https://localhost/validate?timeout=5s")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request")
}

fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(format!("https://localhost{path}"))
        .body(Full::new(Bytes::new()))
        .expect("request")
}

async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_http1_http2_and_plain_health_port() {
    let ca = ca();
    let (cert, key, der) = leaf(&ca);
    let f = files(&cert, &key);
    let mut options = options(&f);
    options.plain_addrs = vec![SocketAddr::from(([127, 0, 0, 1], 0))];
    let (server, plain) = start(options, StaticPods::default()).await;

    for alpn in [&b"http/1.1"[..], b"h2"] {
        let stream = tls_connect(server.addr, &ca, alpn).await;
        assert_eq!(stream.get_ref().1.alpn_protocol(), Some(alpn));
        assert_eq!(served_cert(&stream), der);
        let mut client = Client::new(stream).await;
        let (status, body) = client.send(review_request("u-1", "team", true)).await;
        assert_eq!(status, StatusCode::OK);
        let json: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(json["response"]["uid"], "u-1");
        assert_eq!(json["response"]["allowed"], false);
        let (status, body) = client.send(review_request("u-2", "team", false)).await;
        assert_eq!(
            (status, body.contains(r#""uid":"u-2","allowed":true"#)),
            (StatusCode::OK, true)
        );
        assert_eq!(
            client.send(get("/healthz")).await,
            (StatusCode::OK, "ok".into())
        );
        assert_eq!(
            client.send(get("/readyz")).await,
            (StatusCode::OK, "ok".into())
        );
        let (status, metrics) = client.send(get("/metrics")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(metrics.contains("# TYPE pod_security_evaluations_total counter"));
        assert_eq!(
            client.send(get("/livez")).await,
            (StatusCode::BAD_REQUEST, "request body is empty\n".into())
        );
    }

    // Plain HTTP: health and metrics only.
    let tcp = TcpStream::connect(plain[0]).await.expect("connect");
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .expect("h1");
    tokio::spawn(conn);
    let mut plain_get = async |path: &str| {
        send.ready().await.expect("ready");
        let response = send.send_request(get(path)).await.expect("response");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8(body.to_vec()).expect("utf-8"))
    };
    assert_eq!(plain_get("/healthz").await, (StatusCode::OK, "ok".into()));
    assert_eq!(
        plain_get("/readyz/informer-sync").await,
        (StatusCode::OK, "ok".into())
    );
    assert_eq!(plain_get("/metrics").await.0, StatusCode::OK);
    assert_eq!(plain_get("/validate").await.0, StatusCode::NOT_FOUND);

    // TLS 1.2 and 1.3 are both served.
    for (version, expected) in [
        (&rustls::version::TLS12, rustls::ProtocolVersion::TLSv1_2),
        (&rustls::version::TLS13, rustls::ProtocolVersion::TLSv1_3),
    ] {
        let stream = tls_connect_with(server.addr, &ca, b"h2", &[version]).await;
        assert_eq!(stream.get_ref().1.protocol_version(), Some(expected));
        let mut client = Client::new(stream).await;
        assert_eq!(
            client.send(get("/healthz")).await,
            (StatusCode::OK, "ok".into())
        );
    }

    // A plain-text client on the HTTPS port gets no HTTP answer.
    let mut tcp = TcpStream::connect(server.addr).await.expect("connect");
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer)).await;
    assert!(!answer.starts_with(b"HTTP/"), "{answer:?}");

    let addr = server.addr;
    server.stop().await;
    assert!(TcpStream::connect(addr).await.is_err(), "listener closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_rotation_and_rejected_replacements() {
    let ca = ca();
    let (cert_a, key_a, der_a) = leaf(&ca);
    let (cert_b, key_b, der_b) = leaf(&ca);
    let (cert_c, _key_c, _) = leaf(&ca);
    let f = files(&cert_a, &key_a);
    let (server, _) = start(options(&f), StaticPods::default()).await;
    assert_eq!(
        served_cert(&tls_connect(server.addr, &ca, b"h2").await),
        der_a
    );

    // A valid new pair (key first, then certificate) is served without restart.
    replace(&f.key, &key_b);
    replace(&f.cert, &cert_b);
    until("certificate B served", async || {
        served_cert(&tls_connect(server.addr, &ca, b"http/1.1").await) == der_b
    })
    .await;
    let errors = |m: &Metrics| {
        m.render()
            .lines()
            .find_map(|l| {
                l.strip_prefix(r#"pod_security_webhook_reload_errors_total{source="tls"} "#)
            })
            .and_then(|v| v.parse::<u64>().ok())
            .expect("reload error series")
    };
    // The moment between the two writes may have been seen (and rejected) as a mismatch.
    let before = errors(&server.metrics);

    // Garbage: rejected, B stays.
    replace(
        &f.cert,
        "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
    );
    until("garbage rejected", async || {
        errors(&server.metrics) > before
    })
    .await;
    assert_eq!(
        served_cert(&tls_connect(server.addr, &ca, b"h2").await),
        der_b
    );

    // A certificate that does not match the key: rejected, B stays.
    let before = errors(&server.metrics);
    replace(&f.cert, &cert_c);
    until("mismatch rejected", async || {
        errors(&server.metrics) > before
    })
    .await;
    assert_eq!(
        served_cert(&tls_connect(server.addr, &ca, b"h2").await),
        der_b
    );

    // Fixing the file again is picked up.
    replace(&f.cert, &cert_b);
    replace(&f.key, &key_b);
    replace(&f.cert, &cert_a);
    replace(&f.key, &key_a);
    until("certificate A served again", async || {
        served_cert(&tls_connect(server.addr, &ca, b"h2").await) == der_a
    })
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_file_reload() {
    let ca = ca();
    let (cert, key, _) = leaf(&ca);
    let f = files(&cert, &key);
    let config = |level: &str| {
        format!(
            "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce: {level}\n"
        )
    };
    std::fs::write(&f.config, config("privileged")).expect("write");
    let mut options = options(&f);
    options.config_file = Some(f.config.clone());
    let (server, _) = start(options, StaticPods::default()).await;
    let mut client = Client::new(tls_connect(server.addr, &ca, b"h2").await).await;

    // Unlabelled namespace "other" is missing from the lookup: use "team" (enforce=baseline
    // label) for a fixed point, and a namespace-less exemption-free check through defaults.
    let allowed = async |client: &mut Client| {
        let (_, body) = client.send(review_request("c", "team", false)).await;
        body.contains(r#""allowed":true"#)
    };
    assert!(allowed(&mut client).await);
    // Exempting nothing but changing defaults does not change a labelled namespace; exempt
    // the user instead to observe the reload through the wire.
    replace(
        &f.config,
        "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\nexemptions:\n  usernames: [u]\n",
    );
    until("exemption applied", async || {
        let (_, body) = client.send(review_request("c", "team", true)).await;
        body.contains(r#""exempt":"user""#)
    })
    .await;

    // A broken file is rejected and counted; the exemption stays.
    replace(&f.config, "kind: Nonsense\n");
    until("broken config counted", async || {
        server
            .metrics
            .render()
            .contains(r#"pod_security_webhook_reload_errors_total{source="config"} 1"#)
    })
    .await;
    let (_, body) = client.send(review_request("c", "team", true)).await;
    assert!(body.contains(r#""exempt":"user""#), "{body}");

    // An invalid value is rejected too.
    replace(&f.config, &config("superstrict"));
    until("invalid config counted", async || {
        server
            .metrics
            .render()
            .contains(r#"pod_security_webhook_reload_errors_total{source="config"} 2"#)
    })
    .await;
    let (_, body) = client.send(review_request("c", "team", true)).await;
    assert!(body.contains(r#""exempt":"user""#), "{body}");
    drop(client);
    server.stop().await;
}

#[tokio::test]
async fn start_up_errors_are_clear() {
    let ca = ca();
    let (cert, key, _) = leaf(&ca);
    let f = files(&cert, &key);
    let bind = async |options: ServerOptions| {
        Server::bind(
            options,
            namespaces(),
            StaticPods::default(),
            Metrics::default(),
            Readiness::always(),
        )
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
    };

    let mut missing = options(&f);
    missing.tls_cert_file = f.cert.with_file_name("nope.crt");
    let err = bind(missing).await.expect_err("missing cert");
    assert!(
        err.starts_with("loading the serving certificate: reading "),
        "{err}"
    );
    assert!(err.contains("nope.crt"), "{err}");

    std::fs::write(f.cert.with_file_name("empty.crt"), "").expect("write");
    let mut empty = options(&f);
    empty.tls_cert_file = f.cert.with_file_name("empty.crt");
    let err = bind(empty).await.expect_err("empty cert");
    assert!(err.contains("no valid PEM certificate"), "{err}");

    let mut swapped = options(&f);
    swapped.tls_key_file = f.cert.clone();
    let err = bind(swapped).await.expect_err("cert as key");
    assert!(err.contains("no valid PEM private key"), "{err}");

    let (other_cert, _, _) = leaf(&ca);
    std::fs::write(f.cert.with_file_name("other.crt"), other_cert).expect("write");
    let mut mismatch = options(&f);
    mismatch.tls_cert_file = f.cert.with_file_name("other.crt");
    let err = bind(mismatch).await.expect_err("mismatch");
    assert!(err.contains("do not form a usable pair"), "{err}");

    let mut config = options(&f);
    config.config_file = Some(f.config.clone());
    let err = bind(config).await.expect_err("missing config");
    assert!(
        err.starts_with("open ") && err.ends_with(": no such file or directory"),
        "{err}"
    );

    std::fs::write(&f.config, "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce: bogus\n").expect("write");
    let mut invalid = options(&f);
    invalid.config_file = Some(f.config.clone());
    let err = bind(invalid).await.expect_err("invalid config");
    assert!(err.contains("must be one of"), "{err}");

    // Port in use.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut busy = options(&f);
    busy.secure_addr = taken.local_addr().expect("addr");
    let err = bind(busy).await.expect_err("busy");
    assert!(err.starts_with("listening on 127.0.0.1:"), "{err}");
}

/// Lists pods slowly, so a namespace review is in flight when shutdown starts.
struct SlowPods;

impl PodLister for SlowPods {
    async fn list_pods(
        &self,
        _namespace: &str,
        _deadline: Instant,
    ) -> Result<Vec<Arc<ListedPod>>, LookupError> {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let pod: PodTemplate = serde_json::from_value(
            json!({"spec": {"hostPID": true, "containers": [{"name": "c", "image": "i"}]}}),
        )
        .expect("pod");
        Ok(vec![Arc::new(ListedPod {
            name: "old".into(),
            controller_uid: None,
            pod,
        })])
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_in_flight_requests() {
    let ca = ca();
    let (cert, key, _) = leaf(&ca);
    let f = files(&cert, &key);
    let mut options = options(&f);
    options.shutdown_delay = Duration::from_millis(500);
    let (mut server, _) = start(options, SlowPods).await;
    let addr = server.addr;

    let body = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "slow", "kind": {"group": "", "version": "v1", "kind": "Namespace"},
        "resource": {"group": "", "version": "v1", "resource": "namespaces"},
        "name": "team", "namespace": "team", "operation": "UPDATE", "userInfo": {"username": "u"},
        "object": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team",
                   "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}},
        "oldObject": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}}});
    let mut client = Client::new(tls_connect(addr, &ca, b"h2").await).await;
    let mut probe = Client::new(tls_connect(addr, &ca, b"http/1.1").await).await;
    let in_flight = tokio::spawn(async move {
        let request = Request::post("https://localhost/")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("request");
        client.send(request).await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = server.stop.take().map(|s| s.send(()));
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Draining: not ready, still answering.
    let (status, body) = probe.send(get("/readyz")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("[-]shutdown failed"), "{body}");

    // After the delay the listener is closed while the slow request is still in flight.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no new connections"
    );
    assert!(
        !in_flight.is_finished(),
        "the slow request is still running"
    );

    let (status, body) = in_flight.await.expect("join");
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#""uid":"slow""#), "{body}");
    assert!(body.contains("old: host namespaces"), "{body}");
    drop(probe);
    server.stop().await;
    assert!(TcpStream::connect(addr).await.is_err(), "listener closed");
}

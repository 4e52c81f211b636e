//! The in-process stand-in of the Kubernetes API, run as a process (for `bench/load.sh`).
//!
//! `fake_apiserver [NAMESPACE=LEVEL ...]` creates each namespace with
//! `pod-security.kubernetes.io/enforce=LEVEL` (a bare `NAMESPACE` has no labels), prints the
//! server's URL on standard output and serves until it is killed. An argument ending in
//! `.json` is a JSON `List` (`kubectl get ... -o json`) whose items are all added
//! ([`FakeApiServer::add_object`]), for `bench/audit.sh`.

use std::io::Write as _;

use podsec_kube::testing::FakeApiServer;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let server = FakeApiServer::start().await;
    for arg in std::env::args().skip(1) {
        if arg.ends_with(".json") {
            let text = std::fs::read_to_string(&arg).expect("reading the objects");
            let list: serde_json::Value = serde_json::from_str(&text).expect("a JSON List");
            for item in list["items"].as_array().into_iter().flatten() {
                server.add_object(item.clone());
            }
            continue;
        }
        match arg.split_once('=') {
            Some((name, level)) => {
                server.create_namespace(name, [("pod-security.kubernetes.io/enforce", level)]);
            }
            None => {
                server.create_namespace(&arg, std::iter::empty::<(String, String)>());
            }
        }
    }
    println!("{}", server.url());
    let _ = std::io::stdout().flush();
    std::future::pending::<()>().await;
}

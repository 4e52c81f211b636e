//! The in-process stand-in of the Kubernetes API, run as a process (for `bench/load.sh`).
//!
//! `fake_apiserver [NAMESPACE=LEVEL ...]` creates each namespace with
//! `pod-security.kubernetes.io/enforce=LEVEL` (a bare `NAMESPACE` has no labels), prints the
//! server's URL on standard output and serves until it is killed.

use std::io::Write as _;

use podsec_kube::testing::FakeApiServer;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let server = FakeApiServer::start().await;
    for arg in std::env::args().skip(1) {
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

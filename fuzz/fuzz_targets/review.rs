//! The webhook's request path: AdmissionReview decoding, then the engine, on arbitrary
//! bytes. Must never panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use podsec_admission::config::AdmissionConfig;
use podsec_admission::decode::Namespace;
use podsec_admission::review::{decode_review, encode_review};
use podsec_admission::{Admission, NoopRecorder, StaticNamespaces, StaticPods};

type Engine = Admission<StaticNamespaces, StaticPods, NoopRecorder>;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let namespaces: StaticNamespaces = [
            ("r", "restricted"),
            ("b", "baseline"),
            ("bad", "bogus"),
        ]
        .into_iter()
        .map(|(name, level)| Namespace {
            name: name.into(),
            labels: [("pod-security.kubernetes.io/enforce".to_owned(), level.to_owned())].into(),
        })
        .collect();
        Admission::new(AdmissionConfig::default(), namespaces, StaticPods::default(), NoopRecorder)
    })
}

fuzz_target!(|body: &[u8]| {
    if let Ok((version, request)) = decode_review(body) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let response = runtime.block_on(engine().validate(&request));
        let _ = encode_review(version, &request.uid, &response);
    }
});

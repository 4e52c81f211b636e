//! Replays the 1,612 AdmissionReviews recorded from upstream's webhook
//! (`../shared/conformance/golden/admission`) through the engine, with the recorded
//! namespaces and pods as the cluster state and the recorded configuration, and compares
//! every response field (the uid excepted). Decode-error texts are Go-specific and are
//! compared up to their fixed prefix. Every review is also answered by the same engine with
//! an extension that matches nothing (podsec's opt-in policy hook present but selecting no
//! pod): its answers must be the plain engine's, field for field.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use podsec_admission::config::{AdmissionConfig, load};
use podsec_admission::decode::{Namespace, Object, PodTemplate, decode_object};
use podsec_admission::extension::{Extension, Finding, PodContext};
use podsec_admission::review::{decode_review, encode_review};
use podsec_admission::{
    Admission, ListedPod, NoopRecorder, ResourceClass, StaticNamespaces, StaticPods,
};
use podsec_conformance::corpus;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct State {
    namespaces: BTreeMap<String, BTreeMap<String, String>>,
    pods: BTreeMap<String, Vec<Value>>,
}

#[derive(Deserialize)]
struct OwnerRef {
    #[serde(default)]
    uid: String,
    #[serde(default)]
    controller: Option<bool>,
}

#[derive(Deserialize)]
struct PodMeta {
    #[serde(default)]
    name: String,
    #[serde(default, rename = "ownerReferences")]
    owner_references: Vec<OwnerRef>,
}

/// An opt-in policy extension that exempts nothing and finds nothing.
#[derive(Debug)]
struct Inert;

impl Extension for Inert {
    fn exempt_checks(&self, _: &PodContext<'_>) -> Vec<(podsec_policy::CheckId, String)> {
        Vec::new()
    }

    fn findings(&self, _: &PodContext<'_>) -> Vec<Finding> {
        Vec::new()
    }
}

fn listed_pod(json: &Value) -> ListedPod {
    let meta: PodMeta = serde_json::from_value(json["metadata"].clone()).expect("pod metadata");
    let pod: PodTemplate = serde_json::from_value(json.clone()).expect("pod");
    ListedPod {
        name: meta.name,
        controller_uid: meta
            .owner_references
            .into_iter()
            .find(|o| o.controller == Some(true))
            .map(|o| o.uid),
        pod,
    }
}

/// Error annotations whose tail is a Go decoder message: compared by prefix only.
const GO_ERROR_PREFIXES: &[&str] = &[
    "failed to decode object: ",
    "failed to decode old object: ",
    "failed to decode  old object: ",
];

/// For pod and workload requests whose object decodes: the pod or template the offline
/// checker would hand to `validate_decoded`.
fn decoded_template(request: &podsec_admission::Request) -> Option<Option<PodTemplate>> {
    if request.resource_class() == ResourceClass::Namespace {
        return None;
    }
    match decode_object(request.object.as_deref()?, &request.kind).ok()? {
        Object::Pod(pod) if request.resource_class() == ResourceClass::Pod => Some(Some(pod)),
        Object::Workload { template, .. }
            if request.resource_class() == ResourceClass::Controller =>
        {
            Some(template)
        }
        _ => None,
    }
}

fn normalize(mut response: Value) -> Value {
    if let Some(Value::String(error)) = response.pointer_mut("/auditAnnotations/error") {
        for prefix in GO_ERROR_PREFIXES {
            if error.starts_with(prefix) {
                *error = format!("{prefix}<decoder error>");
            }
        }
    }
    response
}

fn main() -> ExitCode {
    let Some(corpus) = corpus() else {
        return ExitCode::SUCCESS;
    };
    let dir = corpus.join("golden/admission");
    let config_bytes = std::fs::read(dir.join("config.yaml")).expect("config.yaml");
    let config =
        AdmissionConfig::new(&load(&config_bytes).expect("config loads")).expect("config is valid");
    let state: State =
        serde_json::from_slice(&std::fs::read(dir.join("state.json")).expect("state.json"))
            .expect("state.json parses");

    let namespaces: StaticNamespaces = state
        .namespaces
        .iter()
        .map(|(name, labels)| {
            let mut labels: BTreeMap<String, String> = labels
                .iter()
                .map(|(k, v)| {
                    let key = if k.contains('/') {
                        k.clone()
                    } else {
                        format!("pod-security.kubernetes.io/{k}")
                    };
                    (key, v.clone())
                })
                .collect();
            labels.insert("kubernetes.io/metadata.name".into(), name.clone());
            Namespace {
                name: name.clone(),
                labels,
            }
        })
        .collect();
    let mut pods = StaticPods::default();
    for (namespace, list) in &state.pods {
        for pod in list {
            pods.insert(namespace, listed_pod(pod));
        }
    }
    let engine = Arc::new(Admission::new(
        config.clone(),
        namespaces.clone(),
        pods.clone(),
        NoopRecorder,
    ));
    let extension: Arc<dyn Extension> = Arc::new(Inert);
    let extended =
        Admission::new(config, namespaces, pods, NoopRecorder).with_extension(Some(extension));
    let mut extension_mismatches = Vec::new();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let text = std::fs::read_to_string(dir.join("reviews.jsonl")).expect("reviews.jsonl");
    let mut total = 0;
    let mut by_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let (mut decoded_checked, mut decoded_mismatches) = (0, Vec::new());
    for (line_no, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        total += 1;
        let record: Value = serde_json::from_str(line).expect("review line");
        let body = serde_json::to_vec(&record["review"]).expect("review body");
        let (version, request) = decode_review(&body).expect("review decodes");
        let class = format!(
            "{} {}{}",
            request.operation.metric_label(),
            request.resource.resource,
            if request.subresource.is_empty() {
                String::new()
            } else {
                format!("/{}", request.subresource)
            }
        );
        let response = runtime.block_on(engine.validate(&request));
        let with_extension = runtime.block_on(extended.validate(&request));
        if with_extension != response {
            extension_mismatches.push(format!(
                "line {}: with an inert extension {with_extension:?} != {response:?}",
                line_no + 1
            ));
        }
        // The offline entry point must answer alike when the object decodes.
        if let Some(template) = decoded_template(&request) {
            let offline = runtime.block_on(engine.validate_decoded(&request, template.as_ref()));
            if offline != response {
                decoded_mismatches.push(format!(
                    "line {}: validate_decoded {offline:?} != validate {response:?}",
                    line_no + 1
                ));
            }
            decoded_checked += 1;
        }
        let reply: Value = serde_json::from_slice(&encode_review(version, &request.uid, &response))
            .expect("reply is JSON");
        assert_eq!(reply["response"]["uid"], Value::String(request.uid.clone()));
        let mut got = reply["response"].clone();
        if let Some(obj) = got.as_object_mut() {
            obj.remove("uid");
        }
        let (got, want) = (normalize(got), normalize(record["response"].clone()));
        let entry = by_kind.entry(class).or_default();
        entry.0 += 1;
        if got == want {
            entry.1 += 1;
        } else {
            failures.push(format!(
                "line {}:\n    want {want}\n    got  {got}",
                line_no + 1
            ));
        }
    }
    println!(
        "golden admission reviews: {} / {total} responses identical to upstream's webhook",
        total - failures.len()
    );
    println!(
        "  with an inert opt-in policy extension: {} / {total} responses identical",
        total - extension_mismatches.len()
    );
    for mismatch in extension_mismatches.iter().take(5) {
        println!("  EXTENSION MISMATCH {mismatch}");
    }
    failures.extend(extension_mismatches);
    for (class, (n, ok)) in &by_kind {
        println!("  {class:<32} {ok:>5} / {n}");
    }
    for failure in failures.iter().take(15) {
        println!("  MISMATCH {failure}");
    }
    println!(
        "validate_decoded: {} / {decoded_checked} pod and workload requests answered like validate",
        decoded_checked - decoded_mismatches.len()
    );
    for mismatch in decoded_mismatches.iter().take(15) {
        println!("  MISMATCH {mismatch}");
    }
    if total == 0 || !failures.is_empty() || !decoded_mismatches.is_empty() || decoded_checked < 100
    {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

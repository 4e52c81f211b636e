//! Secure defaults (`podsec_admission::mutate`): the JSON patch fills only unset fields,
//! the patched pod passes the target level (or keeps only violations explicit values cause),
//! and patching a patched pod is a no-op; on a bare pod, on explicit values, on requests
//! that are not pod creations, and on every `fail` fixture of the conformance corpus.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use podsec_admission::mutate::{SECURE_DEFAULTS, SecureDefaults, secure_defaults};
use podsec_admission::{GroupVersionKind, GroupVersionResource, Operation, Request, Response};
use podsec_policy::fix::NonRoot;
use podsec_policy::model::{PodMetadata, PodSpec};
use podsec_policy::{Level, LevelVersion, Registry, Version};
use serde_json::value::RawValue;
use serde_json::{Value, json};

fn request(object: &Value, operation: Operation, subresource: &str) -> Request {
    Request {
        uid: "uid".into(),
        kind: GroupVersionKind {
            group: String::new(),
            version: "v1".into(),
            kind: "Pod".into(),
        },
        resource: GroupVersionResource {
            group: String::new(),
            version: "v1".into(),
            resource: "pods".into(),
        },
        subresource: subresource.into(),
        name: "p".into(),
        namespace: "ns".into(),
        operation,
        username: "alice".into(),
        object: Some(RawValue::from_string(object.to_string()).expect("json")),
        old_object: None,
        dry_run: false,
        deadline: None,
    }
}

fn defaults(level: Level, version: Version, non_root: NonRoot) -> SecureDefaults {
    SecureDefaults {
        policy: LevelVersion { level, version },
        non_root,
    }
}

const RESTRICTED_WITH_UID: SecureDefaults = SecureDefaults {
    policy: LevelVersion {
        level: Level::Restricted,
        version: Version::Latest,
    },
    non_root: NonRoot::WithUser(10001),
};

/// The response's patch applied to `object` (with the json-patch crate), and its operations.
fn patched(object: &Value, response: &Response) -> (Value, Vec<Value>) {
    let Some(patch) = &response.patch else {
        return (object.clone(), Vec::new());
    };
    assert_eq!(response.patch_type, Some("JSONPatch"));
    let bytes = STANDARD.decode(patch).expect("base64");
    let operations: Vec<Value> = serde_json::from_slice(&bytes).expect("a JSON array");
    let patch: json_patch::Patch = serde_json::from_slice(&bytes).expect("an RFC 6902 patch");
    let mut out = object.clone();
    json_patch::patch(&mut out, &patch).expect("the patch applies");
    (out, operations)
}

fn evaluate(object: &Value, policy: LevelVersion) -> Vec<String> {
    let metadata: PodMetadata =
        serde_json::from_value(object["metadata"].clone()).unwrap_or_default();
    let spec: PodSpec = serde_json::from_value(object["spec"].clone()).expect("a pod spec");
    Registry::builtin()
        .evaluate(policy.level, policy.version, &metadata, &spec)
        .check_ids()
        .map(|c| c.to_string())
        .collect()
}

/// Every value the pod had is still there, unchanged (the patch only adds).
fn assert_only_adds(before: &Value, after: &Value, at: &str) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (key, value) in b {
                let next = a.get(key).unwrap_or_else(|| panic!("{at}.{key} removed"));
                assert_only_adds(value, next, &format!("{at}.{key}"));
            }
        }
        (Value::Array(b), Value::Array(a)) if a.len() >= b.len() => {
            for (i, value) in b.iter().enumerate() {
                assert_only_adds(value, &a[i], &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(before, after, "{at} changed"),
    }
}

#[test]
fn a_bare_pod_is_filled_in_to_pass_restricted() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                     "spec": {"containers": [{"name": "app", "image": "i"}, {"name": "side", "image": "j"}]}});
    let response = secure_defaults(
        Registry::builtin(),
        &request(&pod, Operation::Create, ""),
        &RESTRICTED_WITH_UID,
    );
    assert!(response.allowed && response.status.is_none());
    let (after, operations) = patched(&pod, &response);
    assert!(!operations.is_empty());
    assert_eq!(
        evaluate(&after, RESTRICTED_WITH_UID.policy),
        Vec::<String>::new()
    );
    assert_only_adds(&pod, &after, "");
    assert_eq!(after["spec"]["securityContext"]["runAsUser"], 10001);
    assert_eq!(
        response
            .audit_annotations
            .get(SECURE_DEFAULTS)
            .map(String::as_str),
        Some(
            "restricted:latest: allowPrivilegeEscalation, capabilities_restricted, runAsNonRoot, seccompProfile_restricted"
        )
    );
    // Idempotent: the patched pod needs nothing.
    let again = secure_defaults(
        Registry::builtin(),
        &request(&after, Operation::Create, ""),
        &RESTRICTED_WITH_UID,
    );
    assert_eq!(again, Response::allow());
}

#[test]
fn explicit_values_are_never_changed() {
    let pod = json!({"metadata": {"name": "p"}, "spec": {
        "securityContext": {"runAsNonRoot": false},
        "containers": [{"name": "app", "image": "i",
                        "securityContext": {"allowPrivilegeEscalation": true,
                                            "capabilities": {"add": ["NET_ADMIN"]}}}]}});
    let response = secure_defaults(
        Registry::builtin(),
        &request(&pod, Operation::Create, ""),
        &RESTRICTED_WITH_UID,
    );
    let (after, _) = patched(&pod, &response);
    assert_only_adds(&pod, &after, "");
    // What the explicit values cause remains; everything unset is filled in.
    assert_eq!(
        evaluate(&after, RESTRICTED_WITH_UID.policy),
        [
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "runAsNonRoot"
        ]
    );
    assert_eq!(
        after["spec"]["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
}

#[test]
fn run_as_non_root_needs_a_uid_or_known_images() {
    let pod =
        json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "app", "image": "i"}]}});
    let skip = defaults(Level::Restricted, Version::Latest, NonRoot::Skip);
    let response = secure_defaults(
        Registry::builtin(),
        &request(&pod, Operation::Create, ""),
        &skip,
    );
    let (after, _) = patched(&pod, &response);
    assert_eq!(evaluate(&after, skip.policy), ["runAsNonRoot"]);
    assert!(
        after["spec"]["securityContext"]
            .get("runAsNonRoot")
            .is_none()
    );
    let assume = defaults(Level::Restricted, Version::Latest, NonRoot::Assume);
    let response = secure_defaults(
        Registry::builtin(),
        &request(&pod, Operation::Create, ""),
        &assume,
    );
    let (after, _) = patched(&pod, &response);
    assert_eq!(evaluate(&after, assume.policy), Vec::<String>::new());
    assert!(after["spec"]["securityContext"].get("runAsUser").is_none());
}

#[test]
fn only_pod_creations_are_patched() {
    let pod =
        json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "app", "image": "i"}]}});
    for (operation, subresource) in [
        (Operation::Update, ""),
        (Operation::Create, "ephemeralcontainers"),
        (Operation::Delete, ""),
    ] {
        let label = format!("{operation:?} {subresource}");
        let response = secure_defaults(
            Registry::builtin(),
            &request(&pod, operation, subresource),
            &RESTRICTED_WITH_UID,
        );
        assert_eq!(response, Response::allow(), "{label}");
    }
    let mut deployment = request(&pod, Operation::Create, "");
    deployment.resource.group = "apps".into();
    deployment.resource.resource = "deployments".into();
    assert_eq!(
        secure_defaults(Registry::builtin(), &deployment, &RESTRICTED_WITH_UID),
        Response::allow()
    );
    // Unreadable objects are admitted unchanged.
    let mut broken = request(&pod, Operation::Create, "");
    broken.object = Some(RawValue::from_string(r#"{"spec": 3}"#.into()).expect("json"));
    assert_eq!(
        secure_defaults(Registry::builtin(), &broken, &RESTRICTED_WITH_UID),
        Response::allow()
    );
}

#[test]
fn every_failing_fixture_is_filled_in_only_and_idempotent() {
    let Some(fixtures) = podsec_conformance::fixtures() else {
        return;
    };
    let (mut patched_count, mut passing) = (0, 0);
    for fixture in fixtures.iter().filter(|f| !f.expect_allowed) {
        let level = match fixture.level.as_str() {
            "baseline" => Level::Baseline,
            _ => Level::Restricted,
        };
        let version: Version = fixture.version.parse().expect("a version");
        let target = defaults(level, version, NonRoot::WithUser(10001));
        let text = std::fs::read_to_string(&fixture.path).expect("fixture");
        let pod: Value = serde_saphyr::from_str(&text).expect("fixture parses");
        let response = secure_defaults(
            Registry::builtin(),
            &request(&pod, Operation::Create, ""),
            &target,
        );
        let name = fixture.path.display();
        assert!(response.allowed, "{name}");
        let (after, operations) = patched(&pod, &response);
        assert_only_adds(&pod, &after, &name.to_string());
        patched_count += usize::from(!operations.is_empty());
        let before = evaluate(&pod, target.policy);
        let remaining = evaluate(&after, target.policy);
        assert!(
            remaining.iter().all(|c| before.contains(c)),
            "{name}: the patch added a violation: {remaining:?}"
        );
        passing += usize::from(remaining.is_empty());
        let again = secure_defaults(
            Registry::builtin(),
            &request(&after, Operation::Create, ""),
            &target,
        );
        assert!(again.patch.is_none(), "{name}: a second patch");
    }
    assert!(patched_count > 100, "{patched_count} fixtures patched");
    println!("secure defaults: {patched_count} failing fixtures patched, {passing} pass after");
}

//! Upstream's `TestValidateNamespace` table (admission/admission_test.go), ported: namespace
//! creates and updates, which ones list pods, and the warnings. Upstream's test uses a fake
//! evaluator; here the real checks run on privileged pods, so the warnings carry real reasons.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use podsec_admission::config::{AdmissionConfig, Exemptions, PodSecurityConfiguration};
use podsec_admission::decode::PodTemplate;
use podsec_admission::{
    Admission, GroupVersionKind, GroupVersionResource, ListedPod, LookupError, NoopRecorder,
    Operation, PodLister, Request, StaticNamespaces,
};
use serde_json::json;
use serde_json::value::RawValue;

/// Records whether it was asked to list.
struct Lister {
    called: Arc<AtomicBool>,
    pods: Vec<Arc<ListedPod>>,
}

impl PodLister for Lister {
    fn list_pods(
        &self,
        _: &str,
        _: Instant,
    ) -> impl std::future::Future<Output = Result<Vec<Arc<ListedPod>>, LookupError>> + Send {
        self.called.store(true, Ordering::SeqCst);
        std::future::ready(Ok(self.pods.clone()))
    }
}

fn pod(name: &str, runtime_class: Option<&str>) -> Arc<ListedPod> {
    let mut spec = json!({"containers": [{"name": "c", "image": "i", "securityContext": {"privileged": true}}]});
    if let Some(rc) = runtime_class {
        spec["runtimeClassName"] = json!(rc);
    }
    Arc::new(ListedPod {
        name: name.into(),
        controller_uid: None,
        pod: serde_json::from_value::<PodTemplate>(json!({"spec": spec})).expect("pod"),
    })
}

const RESTRICTED_REASONS: &str = "privileged, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile";

struct Case {
    name: &'static str,
    exempt_namespaces: &'static [&'static str],
    exempt_runtime_classes: &'static [&'static str],
    default_enforce: &'static str,
    new: &'static [(&'static str, &'static str)],
    old: Option<&'static [(&'static str, &'static str)]>,
    allowed: bool,
    error: &'static str,
    lists_pods: bool,
    warnings: Vec<String>,
}

fn case(
    name: &'static str,
    new: &'static [(&'static str, &'static str)],
    old: Option<&'static [(&'static str, &'static str)]>,
) -> Case {
    Case {
        name,
        exempt_namespaces: &[],
        exempt_runtime_classes: &[],
        default_enforce: "privileged",
        new,
        old,
        allowed: true,
        error: "",
        lists_pods: false,
        warnings: Vec::new(),
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (format!("pod-security.kubernetes.io/{k}"), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn upstream_validate_namespace_table() {
    let group_warning = format!("noruntimeclasspod (and 2 other pods): {RESTRICTED_REASONS}");
    let exempt_rc_warning = format!("noruntimeclasspod (and 1 other pod): {RESTRICTED_REASONS}");
    let header = r#"existing pods in namespace "test" violate the new PodSecurity enforce level "restricted:latest""#.to_owned();
    let cases = vec![
        // Creates only validate labels.
        case("create privileged", &[("enforce", "privileged"), ("enforce-version", "v1.0")], None),
        case("create baseline", &[("enforce", "baseline")], None),
        case("create restricted", &[("enforce", "restricted")], None),
        Case { allowed: false, error: "must be one of privileged, baseline, restricted", ..case("create malformed level", &[("enforce", "unknown")], None) },
        Case { allowed: false, error: r#"must be "latest" or "v1.x""#, ..case("create malformed version", &[("enforce", "privileged"), ("enforce-version", "unknown")], None) },
        // Updates that do not tighten the policy list nothing.
        case("update no-op", &[("enforce", "restricted"), ("enforce-version", "v1.0")], Some(&[("enforce", "restricted"), ("enforce-version", "v1.0")])),
        case("update no-op malformed level", &[("enforce", "unknown")], Some(&[("enforce", "unknown")])),
        case("update no-op malformed version", &[("enforce", "baseline"), ("enforce-version", "unknown")], Some(&[("enforce", "baseline"), ("enforce-version", "unknown")])),
        case("update relax level identical version", &[("enforce", "baseline"), ("enforce-version", "v1.0")], Some(&[("enforce", "restricted"), ("enforce-version", "v1.0")])),
        case("update relax level explicit latest", &[("enforce", "baseline"), ("enforce-version", "latest")], Some(&[("enforce", "restricted"), ("enforce-version", "latest")])),
        case("update relax level implicit latest", &[("enforce", "baseline")], Some(&[("enforce", "restricted")])),
        case("update to explicit privileged", &[("enforce", "privileged")], Some(&[("enforce", "restricted"), ("enforce-version", "v1.0")])),
        case("update to implicit privileged", &[], Some(&[("enforce", "restricted"), ("enforce-version", "v1.0")])),
        // Newer upstream (the snapshot the spec describes) adds the exempt-namespace warning.
        Case { exempt_namespaces: &["test"], warnings: vec![r#"namespace "test" is exempt from Pod Security, and the policy (enforce=restricted:v1.0) will be ignored"#.to_owned()], ..case("update exempt to restricted", &[("enforce", "restricted"), ("enforce-version", "v1.0")], Some(&[])) },
        // Updates that introduce label errors.
        Case { allowed: false, error: "must be one of privileged, baseline, restricted", ..case("update malformed level", &[("enforce", "unknown")], Some(&[("enforce", "restricted"), ("enforce-version", "v1.0")])) },
        Case { allowed: false, error: r#"must be "latest" or "v1.x""#, ..case("update malformed version", &[("enforce", "privileged"), ("enforce-version", "unknown")], Some(&[("enforce", "restricted"), ("enforce-version", "v1.0")])) },
        // Updates that tighten the policy list and evaluate pods.
        Case { default_enforce: "restricted", lists_pods: true, warnings: vec![header.clone(), group_warning], ..case("update to implicit restricted", &[], Some(&[("enforce", "baseline"), ("enforce-version", "v1.0")])) },
        Case { exempt_runtime_classes: &["runtimeclass1"], lists_pods: true, warnings: vec![header.clone(), exempt_rc_warning], ..case("update with runtimeclass exempt pods", &[("enforce", "restricted")], Some(&[("enforce", "baseline")])) },
    ];

    for c in cases {
        let config = PodSecurityConfiguration {
            exemptions: Exemptions {
                namespaces: c
                    .exempt_namespaces
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
                runtime_classes: c
                    .exempt_runtime_classes
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
                ..Exemptions::default()
            },
            defaults: {
                let mut d = PodSecurityConfiguration::default().defaults;
                d.enforce = c.default_enforce.to_owned();
                d
            },
        };
        let called = Arc::new(AtomicBool::new(false));
        let lister = Lister {
            called: called.clone(),
            pods: vec![
                pod("noruntimeclasspod", None),
                pod("runtimeclass1pod", Some("runtimeclass1")),
                pod("runtimeclass2pod", Some("runtimeclass2")),
            ],
        };
        let engine = Admission::new(
            AdmissionConfig::new(&config).expect("valid config"),
            StaticNamespaces::default(),
            lister,
            NoopRecorder,
        );
        let object = |l: &[(&str, &str)]| {
            RawValue::from_string(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "test", "labels": labels(l)}}).to_string())
                .expect("json")
        };
        let request = Request {
            uid: "u".into(),
            kind: GroupVersionKind {
                group: String::new(),
                version: "v1".into(),
                kind: "Namespace".into(),
            },
            resource: GroupVersionResource {
                group: String::new(),
                version: "v1".into(),
                resource: "namespaces".into(),
            },
            subresource: String::new(),
            name: "test".into(),
            namespace: "test".into(),
            operation: if c.old.is_some() {
                Operation::Update
            } else {
                Operation::Create
            },
            username: String::new(),
            object: Some(object(c.new)),
            old_object: c.old.map(object),
            dry_run: false,
            deadline: None,
        };
        let response = engine.validate(&request).await;
        assert_eq!(response.allowed, c.allowed, "{}", c.name);
        let message = response
            .status
            .as_ref()
            .map(|s| s.message.clone())
            .unwrap_or_default();
        assert_eq!(
            message.is_empty(),
            c.error.is_empty(),
            "{}: {message}",
            c.name
        );
        assert!(message.contains(c.error), "{}: {message}", c.name);
        assert_eq!(
            called.load(Ordering::SeqCst),
            c.lists_pods,
            "{}: listed pods",
            c.name
        );
        assert_eq!(response.warnings, c.warnings, "{}", c.name);
    }
}

//! podsec's opt-in policy (`--policy FILE`, a `podsec.dev/v1alpha1` `PodsecPolicy`) joined
//! to the engine: [`PolicyExtension`] is the engine's [`Extension`] (image rules as findings,
//! fine-grained exemptions as exempted checks, each rule evaluation counted in
//! `podsec_policy_evaluations_total`), and [`mutation`] gives `/mutate` its secure
//! defaults. Nothing here runs without a policy file: the exact mode stays upstream's.

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use podsec_admission::extension::{Extension, Finding, PodContext};
use podsec_admission::mutate::SecureDefaults;
use podsec_admission::{Mode, NamespaceGetter, PodLister};
use podsec_policy::fix::NonRoot;
use podsec_policy::{CheckId, LevelVersion};
use podsec_rules::{PodsecPolicy, PolicyError, evaluate};

use prometheus_client::metrics::counter::Counter;

use crate::metrics::Metrics;
use crate::router::{AppState, MutationPolicy};

/// How messages name the image rules, and the audit annotation of their `audit` findings.
pub const IMAGE_POLICY: &str = "podsec image policy";
/// The audit annotation of image rules in `audit` mode.
pub const IMAGE_ANNOTATION: &str = "image-policy-violations";

/// A loaded policy as the engine's extension.
#[derive(Debug)]
pub struct PolicyExtension {
    policy: Arc<PodsecPolicy>,
    /// Per image rule (in file order), its `allow` and `deny` counters; empty without
    /// metrics.
    counters: Vec<[Counter; 2]>,
}

impl PolicyExtension {
    /// `policy`, counting rule evaluations into `metrics` (if any).
    pub fn new(policy: Arc<PodsecPolicy>, metrics: Option<Metrics>) -> Self {
        let counters = match &metrics {
            None => Vec::new(),
            Some(metrics) => policy
                .images
                .iter()
                .map(|rule| {
                    let mode = rule.mode.as_str();
                    [
                        metrics.policy_rule_counter(&rule.name, "allow", mode),
                        metrics.policy_rule_counter(&rule.name, "deny", mode),
                    ]
                })
                .collect(),
        };
        PolicyExtension { policy, counters }
    }
}

fn mode(mode: podsec_rules::Mode) -> Mode {
    match mode {
        podsec_rules::Mode::Enforce => Mode::Enforce,
        podsec_rules::Mode::Warn => Mode::Warn,
        podsec_rules::Mode::Audit => Mode::Audit,
    }
}

impl Extension for PolicyExtension {
    fn exempt_checks(&self, pod: &PodContext<'_>) -> Vec<(CheckId, String)> {
        if self.policy.exemptions.is_empty() {
            return Vec::new();
        }
        evaluate::exempt_checks(
            &self.policy,
            SystemTime::now(),
            &pod.request.namespace,
            pod.namespace_labels,
            &pod.template.metadata,
            &pod.template.spec,
        )
        .into_iter()
        .collect()
    }

    fn findings(&self, pod: &PodContext<'_>) -> Vec<Finding> {
        if self.policy.images.is_empty() {
            return Vec::new();
        }
        let violations = evaluate::images(&self.policy, pod.namespace_labels, &pod.template.spec);
        for (rule, [allow, deny]) in self.policy.images.iter().zip(&self.counters) {
            let active = rule
                .namespace_selector
                .as_ref()
                .is_none_or(|selector| selector.matches(pod.namespace_labels));
            if active {
                if violations.iter().any(|v| v.rule == rule.name) {
                    deny.inc();
                } else {
                    allow.inc();
                }
            }
        }
        violations
            .into_iter()
            .map(|violation| Finding {
                policy: IMAGE_POLICY,
                annotation: IMAGE_ANNOTATION,
                rule: violation.rule,
                mode: mode(violation.mode),
                detail: violation.message,
            })
            .collect()
    }
}

/// `/mutate`'s secure defaults from `policy` (`None` when it configures none).
pub fn mutation(policy: &Arc<PodsecPolicy>) -> Option<MutationPolicy> {
    policy.secure_defaults.as_ref()?;
    let policy = Arc::clone(policy);
    Some(MutationPolicy::new(move |labels| {
        let defaults = evaluate::secure_defaults(&policy, labels)?;
        let non_root = match (defaults.run_as_user, defaults.assume_non_root_images) {
            (Some(uid), _) => NonRoot::WithUser(uid),
            (None, true) => NonRoot::Assume,
            (None, false) => NonRoot::Skip,
        };
        Some(SecureDefaults {
            policy: LevelVersion {
                level: defaults.level,
                version: defaults.version,
            },
            non_root,
        })
    }))
}

/// Loads a policy file; errors name the file.
pub fn load_policy(path: &Path) -> Result<(PodsecPolicy, Vec<u8>), String> {
    let bytes = std::fs::read(path).map_err(|err| format!("reading {}: {err}", path.display()))?;
    let policy = policy_from_bytes(&bytes, path)?;
    Ok((policy, bytes))
}

/// Parses and validates a policy read from `path`.
pub fn policy_from_bytes(bytes: &[u8], path: &Path) -> Result<PodsecPolicy, String> {
    podsec_rules::load(bytes).map_err(|err: PolicyError| format!("{}: {err}", path.display()))
}

/// Puts `policy` in force in `state`: the engine's extension and `/mutate`'s defaults.
pub fn apply<N, P>(state: &AppState<N, P>, policy: PodsecPolicy)
where
    N: NamespaceGetter + 'static,
    P: PodLister + 'static,
{
    let policy = Arc::new(policy);
    // Secure defaults alone do not touch validation: the engine stays without extension.
    let validates = !policy.images.is_empty() || !policy.exemptions.is_empty();
    let extension = validates.then(|| {
        Arc::new(PolicyExtension::new(
            Arc::clone(&policy),
            Some(state.metrics().clone()),
        )) as Arc<dyn Extension>
    });
    state.set_policy(extension, mutation(&policy).map(Arc::new));
}

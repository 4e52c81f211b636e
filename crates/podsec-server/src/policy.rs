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
    metrics: Option<Metrics>,
}

impl PolicyExtension {
    /// `policy`, counting rule evaluations into `metrics` (if any).
    pub fn new(policy: Arc<PodsecPolicy>, metrics: Option<Metrics>) -> Self {
        PolicyExtension { policy, metrics }
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
        if let Some(metrics) = &self.metrics {
            for rule in evaluate::active_rules(&self.policy, pod.namespace_labels) {
                let denied = violations.iter().any(|v| v.rule == rule.name);
                let decision = if denied { "deny" } else { "allow" };
                metrics.record_policy_rule(&rule.name, decision, rule.mode.as_str());
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
    let extension: Arc<dyn Extension> = Arc::new(PolicyExtension::new(
        Arc::clone(&policy),
        Some(state.metrics().clone()),
    ));
    state.set_policy(Some(extension), mutation(&policy).map(Arc::new));
}

//! Opt-in rules beyond Pod Security: the hook through which podsec's own policy (image
//! rules, fine-grained exemptions; `podsec-rules`) joins the engine's answers.
//!
//! An engine without an [`Extension`] (the default) answers exactly as upstream: the hook is
//! never consulted. With one, for every pod and workload request:
//!
//! * **check exemptions**: the checks [`Extension::exempt_checks`] names are left out of
//!   every Pod Security evaluation of that pod (enforce, audit and warn, and the existing-pods
//!   check of a namespace relabel), and the exempted violations are recorded in the audit
//!   annotation [`EXEMPTED`] (`hostPorts (exemption "node-agents"), ...`), so they stay
//!   visible;
//! * **findings** ([`Extension::findings`]): violations of other rules, each in a mode. For
//!   a pod, an `enforce` finding denies it when Pod Security admits it (`403 Forbidden`,
//!   `pods "x" is forbidden: violates <policy>: <details>`), as a workload's does not: it
//!   warns (`would violate <policy>: ...`), as Pod Security treats workloads. A `warn`
//!   finding adds that warning; an `audit` finding the audit annotation
//!   `<policy key>-violations`. Findings apply whatever Pod Security decided for the
//!   request, exemptions and `privileged` namespaces included: their scope is their own
//!   (the rule's namespace selector).

use std::collections::BTreeMap;
use std::fmt;

use podsec_policy::CheckId;

use crate::decode::PodTemplate;
use crate::policy::Mode;
use crate::request::Request;

/// The audit annotation listing the violations an extension's exemptions removed.
pub const EXEMPTED: &str = "exempted-checks";

/// What an extension sees of a pod or workload request.
#[derive(Debug, Clone, Copy)]
pub struct PodContext<'a> {
    /// The request.
    pub request: &'a Request,
    /// The labels of the request's namespace.
    pub namespace_labels: &'a BTreeMap<String, String>,
    /// The pod, or the workload's pod template.
    pub template: &'a PodTemplate,
}

/// A violation of a rule beyond Pod Security.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The policy, as messages name it: `podsec image policy`.
    pub policy: &'static str,
    /// The audit annotation key of its `audit` findings: `image-policy-violations`.
    pub annotation: &'static str,
    /// The rule's name (for metrics).
    pub rule: String,
    /// How the rule acts.
    pub mode: Mode,
    /// What is wrong: `container "c" image "x:latest" uses denied tag "latest"`.
    pub detail: String,
}

/// Opt-in rules beyond Pod Security; see the [module docs](self).
pub trait Extension: Send + Sync + fmt::Debug {
    /// The checks exempted for this pod, each with the name of the exemption that exempts
    /// it (in any order; a check at most once).
    fn exempt_checks(&self, pod: &PodContext<'_>) -> Vec<(CheckId, String)>;

    /// The pod's violations of other rules, in the order to report them.
    fn findings(&self, pod: &PodContext<'_>) -> Vec<Finding>;
}

/// `violates <policy>: <detail>, <detail>` (or `would violate ...`): the findings of one
/// policy, in order.
pub(crate) fn message(verb: &str, findings: &[&Finding]) -> String {
    let policy = findings.first().map_or("", |f| f.policy);
    let mut out = format!("{verb} {policy}: ");
    for (i, finding) in findings.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&finding.detail);
    }
    out
}

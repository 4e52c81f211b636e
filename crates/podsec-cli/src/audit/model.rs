//! The audit itself: every namespace's policy, and every unit (a controller with its pods,
//! or a pod of its own) judged against its namespace's enforce, audit and warn policies by
//! the admission engine.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use podsec_admission::annotation;
use podsec_admission::config::AdmissionConfig;
use podsec_admission::decode::PodTemplate;
use podsec_admission::labels::LABEL_PREFIX;
use podsec_admission::{Mode, Response};
use podsec_policy::{Evaluation, Level, LevelVersion, Registry, Violation};
use rayon::prelude::*;

use crate::inventory::{Inventory, Item, ObjectRef, Origin, Problem, Unit};
use crate::namespace_mode::{Cluster, LabelsFrom, NamespacePolicy};

/// A namespace: its labels and its policy.
#[derive(Debug, Clone)]
pub struct NamespaceAudit {
    /// Its name.
    pub name: String,
    /// Its Pod Security labels (`pod-security.kubernetes.io/...`).
    pub labels: BTreeMap<String, String>,
    /// Its policy, where each mode comes from, exemption and label errors.
    pub policy: NamespacePolicy,
    /// Units (controllers with their pods, pods of their own) in it.
    pub units: usize,
    /// Pods in it.
    pub pods: usize,
    /// Units violating enforce, audit and warn (in [`Mode::ALL`] order), exempt ones not
    /// counted.
    pub violating: [usize; 3],
    /// Units whose pods run although they violate the enforce policy.
    pub running_in_violation: usize,
}

impl NamespaceAudit {
    /// Whether the inventory has the `Namespace` object (else only its objects name it).
    pub fn has_object(&self) -> bool {
        matches!(self.policy.labels_from, LabelsFrom::Object { .. })
    }
}

/// One mode a unit violates.
#[derive(Debug, Clone)]
pub struct ModeAudit {
    /// Enforce, audit or warn.
    pub mode: Mode,
    /// The namespace's policy for that mode.
    pub policy: LevelVersion,
    /// The failed checks, in upstream's order.
    pub violations: Vec<Violation>,
    /// Upstream's message: for a pod the API server's denial (enforce), warning (warn) or
    /// audit annotation (audit); for a workload its warning or audit annotation, and for
    /// enforce the denial of a pod from its template, named after the workload.
    pub message: String,
}

/// A unit that violates (or, exempt, would violate) a policy of its namespace.
#[derive(Debug, Clone)]
pub struct UnitAudit {
    /// The object judged: the outermost controller, or the pod.
    pub object: ObjectRef,
    /// Its uid.
    pub uid: Option<String>,
    /// `spec.replicas`, for the kinds that have it.
    pub replicas: Option<i64>,
    /// Its pods (the pod itself for a pod).
    pub pods: usize,
    /// Of those, how many run although they violate the namespace's enforce policy (a pod
    /// runs when it was read from a cluster: live, or a snapshot, where it has a uid).
    pub running_in_violation: usize,
    /// The exemption that applies (`namespace`, `runtimeClass`): the modes are then what
    /// it would violate without it.
    pub exempt: Option<&'static str>,
    /// The modes it violates, in [`Mode::ALL`] order.
    pub modes: Vec<ModeAudit>,
}

impl UnitAudit {
    /// The mode's result, if it violates it.
    pub fn mode(&self, mode: Mode) -> Option<&ModeAudit> {
        self.modes.iter().find(|m| m.mode == mode)
    }
}

/// Totals of an audit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Namespaces.
    pub namespaces: usize,
    /// Namespaces judged only by the configuration's privileged default.
    pub privileged_by_default: usize,
    /// Namespaces with invalid Pod Security labels.
    pub label_errors: usize,
    /// Exempt namespaces.
    pub exempt_namespaces: usize,
    /// Units judged.
    pub units: usize,
    /// Pods.
    pub pods: usize,
    /// Units violating enforce, audit, warn ([`Mode::ALL`] order), exempt ones not counted.
    pub violating: [usize; 3],
    /// Units whose pods run although they violate enforce.
    pub running_in_violation: usize,
    /// Pods running although they violate enforce.
    pub pods_in_violation: usize,
    /// Exempt units that would violate a policy.
    pub exempt: usize,
    /// Inputs, objects or listings that could not be read.
    pub problems: usize,
}

/// The audit of an inventory.
#[derive(Debug, Clone)]
pub struct Audit {
    /// What it was read from.
    pub origin: Origin,
    /// Every namespace, by name.
    pub namespaces: Vec<NamespaceAudit>,
    /// Units that violate a policy (or would, when exempt): by namespace, then in
    /// inventory order.
    pub results: Vec<UnitAudit>,
    /// What could not be read.
    pub problems: Vec<Problem>,
    /// Totals.
    pub summary: Summary,
}

impl Audit {
    /// The exit status: 1 when something violates its namespace's enforce policy.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.summary.violating[0] > 0)
    }
}

/// Audits `inventory` with `config` and `registry`.
pub fn audit(inventory: &Inventory, config: AdmissionConfig, registry: &Arc<Registry>) -> Audit {
    let exemptions = config.exemptions.clone();
    let cluster = inventory.cluster(config, BTreeMap::new(), Arc::clone(registry), "");
    let names = inventory.namespace_names();
    let policies: HashMap<&str, NamespacePolicy> = names
        .iter()
        .map(|name| (name.as_str(), cluster.describe(name)))
        .collect();
    let units = inventory.units();
    let judge = Judge {
        live: matches!(inventory.origin, Origin::Cluster { .. }),
        inventory,
        cluster: &cluster,
        registry,
        exemptions: &exemptions,
        policies: &policies,
    };
    let judged: Vec<(usize, Option<UnitAudit>)> = units
        .par_iter()
        .map(|unit| (unit_pods(inventory, unit), judge.unit(unit)))
        .collect();

    let mut namespaces: Vec<NamespaceAudit> = names
        .iter()
        .map(|name| NamespaceAudit {
            name: name.clone(),
            labels: inventory
                .namespace_labels(name)
                .map(|labels| {
                    labels
                        .iter()
                        .filter(|(k, _)| k.starts_with(LABEL_PREFIX))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            policy: policies[name.as_str()].clone(),
            units: 0,
            pods: 0,
            violating: [0; 3],
            running_in_violation: 0,
        })
        .collect();
    let index: HashMap<String, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect();
    let mut summary = Summary::default();
    let mut per_namespace: Vec<Vec<UnitAudit>> = vec![Vec::new(); namespaces.len()];
    for (unit, (pods, result)) in units.iter().zip(judged) {
        let namespace = namespace_of(&inventory.items[unit.item]);
        let at = index[namespace];
        let ns = &mut namespaces[at];
        ns.units += 1;
        ns.pods += pods;
        summary.units += 1;
        summary.pods += pods;
        let Some(result) = result else { continue };
        if result.exempt.is_some() {
            summary.exempt += 1;
        } else {
            for (i, mode) in Mode::ALL.iter().enumerate() {
                if result.mode(*mode).is_some() {
                    ns.violating[i] += 1;
                    summary.violating[i] += 1;
                }
            }
            if result.running_in_violation > 0 {
                ns.running_in_violation += 1;
                summary.running_in_violation += 1;
                summary.pods_in_violation += result.running_in_violation;
            }
        }
        per_namespace[at].push(result);
    }
    summary.namespaces = namespaces.len();
    for ns in &namespaces {
        summary.privileged_by_default += usize::from(ns.policy.privileged_by_default());
        summary.label_errors += usize::from(!ns.policy.label_errors.is_empty());
        summary.exempt_namespaces += usize::from(ns.policy.exempt);
    }
    summary.problems = inventory.problems.len();
    Audit {
        origin: inventory.origin.clone(),
        namespaces,
        results: per_namespace.into_iter().flatten().collect(),
        problems: inventory.problems.clone(),
        summary,
    }
}

fn namespace_of(item: &Item) -> &str {
    item.at.namespace.as_deref().unwrap_or_default()
}

/// The pods of a unit: the pod itself, or the pods grouped under the controller.
fn unit_pods(inventory: &Inventory, unit: &Unit) -> usize {
    unit.pods + usize::from(inventory.items[unit.item].is_pod())
}

/// What judging a unit needs.
struct Judge<'a> {
    /// Whether the inventory is a live cluster's.
    live: bool,
    inventory: &'a Inventory,
    cluster: &'a Cluster,
    registry: &'a Registry,
    exemptions: &'a podsec_admission::config::ExemptionSet,
    policies: &'a HashMap<&'a str, NamespacePolicy>,
}

impl Judge<'_> {
    /// The unit's result, when it violates a mode (or would, exempt).
    fn unit(&self, unit: &Unit) -> Option<UnitAudit> {
        let item = &self.inventory.items[unit.item];
        let namespace = namespace_of(item);
        let policy = self.policies[namespace].policy;
        if policy.fully_privileged() {
            return None;
        }
        let exempt =
            self.exemptions
                .exemption(namespace, "", item.spec.runtime_class_name.as_deref());
        let mut evaluations: Vec<(LevelVersion, Evaluation)> = Vec::new();
        let mut response = None;
        if exempt.is_none() {
            let judged = self.admit(item, &item.at.kind, &item.at.api_version);
            evaluations.push((judged.policy, judged.evaluation));
            response = Some(judged.response);
        }
        let mut modes = Vec::new();
        for mode in Mode::ALL {
            let lv = policy.get(mode);
            if lv.level == Level::Privileged {
                continue;
            }
            let evaluation = match evaluations.iter().find(|(p, _)| *p == lv) {
                Some((_, evaluation)) => evaluation.clone(),
                None => {
                    let evaluation = item.evaluate(self.registry, lv);
                    evaluations.push((lv, evaluation.clone()));
                    evaluation
                }
            };
            if evaluation.is_allowed() {
                continue;
            }
            let message = match &response {
                Some(response) => self.message(item, mode, lv, response, &evaluation),
                None => evaluation.forbidden_detail(),
            };
            modes.push(ModeAudit {
                mode,
                policy: lv,
                violations: evaluation.violations,
                message,
            });
        }
        if modes.is_empty() {
            return None;
        }
        let running_in_violation = match (exempt, modes.first()) {
            (None, Some(m)) if m.mode == Mode::Enforce => self.running_in_violation(unit, m.policy),
            _ => 0,
        };
        Some(UnitAudit {
            object: item.at.clone(),
            uid: item.ownership.uid.clone(),
            replicas: item.ownership.replicas,
            pods: unit_pods(self.inventory, unit),
            running_in_violation,
            exempt,
            modes,
        })
    }

    fn admit(&self, item: &Item, kind: &str, api_version: &str) -> crate::namespace_mode::Judged {
        self.cluster.admit(
            kind,
            api_version,
            &item.at.name,
            item.at.namespace.as_deref(),
            PodTemplate {
                metadata: item.metadata.clone(),
                spec: item.spec.clone(),
            },
        )
    }

    /// Upstream's text for `mode`, from the engine's response.
    fn message(
        &self,
        item: &Item,
        mode: Mode,
        policy: LevelVersion,
        response: &Response,
        evaluation: &Evaluation,
    ) -> String {
        let quoted = format!("PodSecurity \"{policy}\":");
        let warning = || {
            response
                .warnings
                .iter()
                .find(|w| w.contains(&quoted))
                .cloned()
        };
        let audit = || {
            response
                .audit_annotations
                .get(annotation::AUDIT_VIOLATIONS)
                .filter(|a| a.contains(&quoted))
                .cloned()
        };
        let denial = |response: &Response| {
            response
                .status
                .as_ref()
                .filter(|_| !response.allowed)
                .map(|s| s.message.clone())
        };
        let found = match mode {
            Mode::Enforce if item.is_pod() => denial(response),
            // A workload is never denied: what a pod from its template would be answered.
            Mode::Enforce => denial(&self.admit(item, "Pod", "v1").response),
            Mode::Audit => audit(),
            // A denied pod gets no warning for the policy of its denial.
            Mode::Warn => warning().or_else(audit).or_else(|| denial(response)),
        };
        found.unwrap_or_else(|| evaluation.forbidden_detail())
    }

    /// How many pods of the unit run although they violate `policy` (the enforce policy).
    fn running_in_violation(&self, unit: &Unit, policy: LevelVersion) -> usize {
        let item = &self.inventory.items[unit.item];
        std::iter::once(unit.item)
            .filter(|_| item.is_pod())
            .chain(
                unit.members
                    .iter()
                    .copied()
                    .filter(|&m| self.inventory.items[m].is_pod()),
            )
            .filter(|&p| {
                let pod = &self.inventory.items[p];
                // A pod in manifests (no uid) does not run.
                let runs = self.live || pod.ownership.uid.is_some();
                let exempt = pod
                    .spec
                    .runtime_class_name
                    .as_deref()
                    .is_some_and(|c| self.exemptions.is_exempt_runtime_class(c));
                runs && !exempt && !pod.evaluate(self.registry, policy).is_allowed()
            })
            .count()
    }
}

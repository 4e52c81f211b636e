//! `podsec whatif -n NS --enforce LEVEL[:VERSION]`: what relabelling a namespace would do.
//!
//! Two answers, in this order:
//!
//! 1. **The API server's answer, exactly** ([`apiserver`]): the namespace `UPDATE` request
//!    (old object: the namespace as the inventory has it; new object: with the new labels)
//!    goes through the admission engine's own namespace-update path, with the namespace's pods
//!    from the inventory as its pod lister lists them, upstream's limits (3,000 pods, one
//!    second) and the `--config` defaults and exemptions. It is printed as `kubectl label`
//!    prints it: `Warning: ...` lines, then `namespace/<ns> labeled` or the `Error from server
//!    (Invalid): ...` of an invalid label.
//! 2. **The full report, unbounded**: every unit of the namespace ([`Inventory::units`]: each
//!    workload with its pods, each pod of its own), workload templates included whether they
//!    run or not (a scaled-to-zero Deployment, a suspended CronJob), evaluated against the new
//!    enforce, audit and warn policies, and which of them the API server's check did not look
//!    at (templates without pods, pods past its budget, or no check at all when the enforce
//!    policy does not get stricter).
//!
//! A level without a version changes only the level label (as `kubectl label` would; an
//! existing version label stays). `--all-namespaces` makes the same change to every
//! namespace of the inventory except those the configuration exempts.
//!
//! Exit status: 1 when a unit would violate the new enforce policy (or the API server would
//! reject the change), else 0; 2 on an error.

pub mod apiserver;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use podsec_admission::Mode;
use podsec_admission::config::AdmissionConfig;
use podsec_admission::labels::{level_label, policy_from_labels, version_label};
use podsec_policy::model::PodSpec;
use podsec_policy::{LevelVersion, Registry};
use rayon::prelude::*;
use serde::Serialize;

use crate::diff::{OutputFormat, Side, plural};
use crate::inventory::{Inventory, ObjectRef, Problem, SourceArgs};

/// A label change: `LEVEL[:VERSION]`, kept as written (the API server validates it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelChange {
    /// The level label's new value.
    pub level: String,
    /// The version label's new value, when given.
    pub version: Option<String>,
}

impl std::str::FromStr for LabelChange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (level, version) = match text.split_once(':') {
            Some((level, version)) => (level, Some(version.to_owned())),
            None => (text, None),
        };
        if level.is_empty() {
            return Err("expected LEVEL[:VERSION], e.g. restricted or baseline:v1.30".into());
        }
        Ok(LabelChange {
            level: level.to_owned(),
            version,
        })
    }
}

/// `podsec whatif`'s flags.
#[derive(Debug, Args)]
#[command(
    after_help = "-n NAMESPACE names the namespace to relabel (and the namespace of manifests without one).\n\nExit status: 1 when a workload or pod would violate the new enforce policy, or the API server would reject the change; 0 otherwise; 2 on an error."
)]
pub struct WhatifArgs {
    /// The new enforce policy, `LEVEL[:VERSION]`.
    #[arg(long, value_name = "LEVEL[:VERSION]")]
    pub enforce: Option<LabelChange>,

    /// The new warn policy, `LEVEL[:VERSION]`.
    #[arg(long, value_name = "LEVEL[:VERSION]")]
    pub warn: Option<LabelChange>,

    /// The new audit policy, `LEVEL[:VERSION]`.
    #[arg(long, value_name = "LEVEL[:VERSION]")]
    pub audit: Option<LabelChange>,

    /// Make the change to every namespace of the inventory (but exempt ones), not only
    /// `-n`'s.
    #[arg(long, short = 'A')]
    pub all_namespaces: bool,

    /// The cluster's defaults and exemptions (`PodSecurityConfiguration` or an
    /// `AdmissionConfiguration` holding one; default: upstream's).
    #[arg(long, env = "PODSEC_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output format.
    #[arg(long, env = "PODSEC_FORMAT", value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// Where the objects come from; `-n` names the namespace to relabel.
    #[command(flatten)]
    pub source: SourceArgs,
}

impl WhatifArgs {
    /// The labels after the change.
    pub fn relabel(&self, old: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut labels = old.clone();
        for (mode, change) in [
            (Mode::Enforce, &self.enforce),
            (Mode::Audit, &self.audit),
            (Mode::Warn, &self.warn),
        ] {
            if let Some(change) = change {
                labels.insert(level_label(mode).to_owned(), change.level.clone());
                if let Some(version) = &change.version {
                    labels.insert(version_label(mode).to_owned(), version.clone());
                }
            }
        }
        labels
    }

    /// The `key=value` arguments of the `kubectl label` command.
    fn label_arguments(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (mode, change) in [
            (Mode::Enforce, &self.enforce),
            (Mode::Audit, &self.audit),
            (Mode::Warn, &self.warn),
        ] {
            if let Some(change) = change {
                out.push(format!("{}={}", level_label(mode), change.level));
                if let Some(version) = &change.version {
                    out.push(format!("{}={version}", version_label(mode)));
                }
            }
        }
        out
    }
}

/// The policies of the three modes, as text.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyText {
    /// Enforce.
    pub enforce: String,
    /// Audit.
    pub audit: String,
    /// Warn.
    pub warn: String,
}

impl From<podsec_admission::Policy> for PolicyText {
    fn from(policy: podsec_admission::Policy) -> Self {
        PolicyText {
            enforce: policy.enforce.to_string(),
            audit: policy.audit.to_string(),
            warn: policy.warn.to_string(),
        }
    }
}

/// The API server's part of a namespace's answer.
#[derive(Debug, Clone, Serialize)]
pub struct ApiServer {
    /// `kubectl label ...`: the command that would make the change.
    pub command: String,
    /// What `kubectl label` prints.
    pub kubectl: String,
    /// The admission response.
    pub response: podsec_admission::Response,
    /// Whether the engine listed the namespace's pods (only when enforce gets stricter).
    #[serde(rename = "podsListed")]
    pub pods_listed: bool,
    /// Pods it could evaluate (runtime-class-exempt pods not counted).
    #[serde(rename = "podsCandidate")]
    pub pods_candidate: usize,
    /// Pods it evaluated within its budget.
    #[serde(rename = "podsChecked")]
    pub pods_checked: usize,
}

/// Why the API server's check did not look at a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotChecked {
    /// The API server rejects the label change (an invalid label): nothing is checked.
    Rejected,
    /// The enforce policy does not get stricter: the API server checks no pod.
    EnforceNotStricter,
    /// A template without pods.
    NoPods,
    /// Its pods are past the check's budget.
    PastBudget,
}

impl NotChecked {
    fn text(self) -> &'static str {
        match self {
            NotChecked::Rejected => "the API server rejects the change",
            NotChecked::EnforceNotStricter => "no pod checked: enforce does not get stricter",
            NotChecked::NoPods => "no pods",
            NotChecked::PastBudget => "its pods are past the API server's budget",
        }
    }
}

/// A unit that would violate a new policy.
#[derive(Debug, Clone, Serialize)]
pub struct Violating {
    /// The object judged.
    #[serde(flatten)]
    pub object: ObjectRef,
    /// Pods grouped under it (1 for a pod of its own).
    pub pods: usize,
    /// Its replicas, when it has the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    /// Whether it is suspended (a CronJob or Job).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suspended: bool,
    /// Whether the API server's check evaluated one of its pods.
    #[serde(rename = "checkedByApiServer")]
    pub checked: bool,
    /// Why it did not.
    #[serde(rename = "notChecked", skip_serializing_if = "Option::is_none")]
    pub not_checked: Option<NotChecked>,
    /// A pod whose spec differs from its controller's template (an older revision, say):
    /// the controller, as `Kind namespace/name`.
    #[serde(rename = "differsFrom", skip_serializing_if = "Option::is_none")]
    pub differs_from: Option<String>,
    /// Against the new enforce policy.
    pub enforce: Side,
    /// Against the new audit policy.
    pub audit: Side,
    /// Against the new warn policy.
    pub warn: Side,
}

/// The counts of one namespace, or of the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// Units evaluated.
    pub units: usize,
    /// That would be denied by the new enforce policy.
    pub enforce: usize,
    /// With an audit annotation.
    pub audit: usize,
    /// With a warning.
    pub warn: usize,
    /// Violating enforce, yet not looked at by the API server's check.
    #[serde(rename = "enforceUnseenByApiServer")]
    pub enforce_unseen: usize,
    /// Units skipped: runtime class exempt.
    pub exempt: usize,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.units += other.units;
        self.enforce += other.enforce;
        self.audit += other.audit;
        self.warn += other.warn;
        self.enforce_unseen += other.enforce_unseen;
        self.exempt += other.exempt;
    }
}

/// One namespace's answer.
#[derive(Debug, Clone, Serialize)]
pub struct NamespaceAnswer {
    /// Its name.
    pub namespace: String,
    /// Whether the inventory holds its `Namespace` object (else it is taken as unlabelled).
    pub found: bool,
    /// Whether the configuration exempts it.
    pub exempt: bool,
    /// Its labels now.
    pub labels: BTreeMap<String, String>,
    /// Its labels after the change.
    #[serde(rename = "newLabels")]
    pub new_labels: BTreeMap<String, String>,
    /// Its policy now.
    pub before: PolicyText,
    /// Its policy after the change (invalid labels as admission falls back).
    pub after: PolicyText,
    /// The API server's answer.
    #[serde(rename = "apiServer")]
    pub api_server: ApiServer,
    /// Every unit that would violate a new policy.
    pub results: Vec<Violating>,
    /// Counts.
    pub summary: Counts,
}

/// A namespace `--all-namespaces` leaves alone.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedNamespace {
    /// Its name.
    pub namespace: String,
    /// Why.
    pub reason: &'static str,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The namespaces changed.
    pub namespaces: Vec<NamespaceAnswer>,
    /// The namespaces left alone.
    pub skipped: Vec<SkippedNamespace>,
    /// What could not be read.
    pub problems: Vec<Problem>,
    /// Counts over every namespace.
    pub summary: Counts,
}

/// Answers the label change of namespace `name`.
pub fn namespace_answer(
    inventory: &Inventory,
    units: &[crate::inventory::Unit],
    registry: &Arc<Registry>,
    config: &AdmissionConfig,
    args: &WhatifArgs,
    name: &str,
) -> NamespaceAnswer {
    let found = inventory.namespace_labels(name);
    let old = found.cloned().unwrap_or_default();
    let new = args.relabel(&old);
    let in_namespace = |i: usize| inventory.items[i].at.namespace.as_deref() == Some(name);
    let pods: Vec<usize> = (0..inventory.items.len())
        .filter(|&i| in_namespace(i) && inventory.items[i].is_pod())
        .collect();
    let answer = apiserver::answer(config, registry, name, &old, &new, &inventory.items, &pods);
    let exempt = config.exemptions.is_exempt_namespace(name);
    let before = policy_from_labels(&old, &config.defaults).0;
    let after = policy_from_labels(&new, &config.defaults).0;
    let checked: std::collections::HashSet<usize> = answer.checked.iter().copied().collect();

    let mut summary = Counts::default();
    let mut results = Vec::new();
    if !exempt {
        let exempt_class = |index: usize| {
            inventory.items[index]
                .spec
                .runtime_class_name
                .as_deref()
                .is_some_and(|c| config.exemptions.is_exempt_runtime_class(c))
        };
        // The three evaluations of one pod or template, each policy evaluated once.
        let judge = |index: usize| -> [Side; 3] {
            let item = &inventory.items[index];
            let evaluate = |policy: LevelVersion| item.evaluate(registry, policy);
            let enforce = evaluate(after.enforce);
            let audit = if after.audit == after.enforce {
                enforce.clone()
            } else {
                evaluate(after.audit)
            };
            let warn = if after.warn == after.enforce {
                enforce.clone()
            } else if after.warn == after.audit {
                audit.clone()
            } else {
                evaluate(after.warn)
            };
            [
                Side::new(after.enforce, &enforce),
                Side::new(after.audit, &audit),
                Side::new(after.warn, &warn),
            ]
        };
        let not_checked = |seen: bool, pods: usize| match (seen, answer.listed, pods) {
            (true, _, _) => None,
            _ if !answer.response.allowed => Some(NotChecked::Rejected),
            (false, false, _) => Some(NotChecked::EnforceNotStricter),
            (false, true, 0) => Some(NotChecked::NoPods),
            (false, true, _) => Some(NotChecked::PastBudget),
        };
        for unit in units.iter().filter(|u| in_namespace(u.item)) {
            let item = &inventory.items[unit.item];
            if exempt_class(unit.item) {
                summary.exempt += 1;
                continue;
            }
            summary.units += 1;
            let sides = judge(unit.item);
            let pods = unit.pods + usize::from(item.is_pod());
            let seen =
                checked.contains(&unit.item) || unit.members.iter().any(|m| checked.contains(m));
            let mut rows = vec![(unit.item, sides, pods, seen, None)];
            // Pods that run another spec than their controller's template (an older
            // revision): judged on their own, when their answer differs.
            let mut variants: Vec<(&std::collections::BTreeMap<String, String>, &PodSpec)> =
                vec![(&item.metadata.annotations, &item.spec)];
            for &member in &unit.members {
                let pod = &inventory.items[member];
                let key = (&pod.metadata.annotations, &pod.spec);
                if !pod.is_pod() || exempt_class(member) || variants.contains(&key) {
                    continue;
                }
                variants.push(key);
                let sides = judge(member);
                let same = sides
                    .iter()
                    .zip(&rows[0].1)
                    .all(|(a, b)| a.allowed == b.allowed && a.message == b.message);
                if !same {
                    let seen = checked.contains(&member);
                    rows.push((member, sides, 1, seen, Some(item.at.display())));
                }
            }
            for (index, [enforce, audit, warn], pods, seen, differs) in rows {
                if enforce.allowed && audit.allowed && warn.allowed {
                    continue;
                }
                let row = &inventory.items[index];
                summary.enforce += usize::from(!enforce.allowed);
                summary.audit += usize::from(!audit.allowed);
                summary.warn += usize::from(!warn.allowed);
                summary.enforce_unseen += usize::from(!enforce.allowed && !seen);
                results.push(Violating {
                    object: row.at.clone(),
                    pods,
                    replicas: row.ownership.replicas,
                    suspended: row.ownership.suspended,
                    checked: seen,
                    not_checked: not_checked(seen, pods),
                    differs_from: differs,
                    enforce,
                    audit,
                    warn,
                });
            }
        }
    }
    let changed = old != new;
    let command = format!(
        "kubectl label --overwrite namespace {name} {}",
        args.label_arguments().join(" ")
    );
    NamespaceAnswer {
        namespace: name.to_owned(),
        found: found.is_some(),
        exempt,
        api_server: ApiServer {
            command,
            kubectl: apiserver::kubectl_text(name, changed, &answer.response),
            response: answer.response,
            pods_listed: answer.listed,
            pods_candidate: answer.candidates,
            pods_checked: answer.checked.len(),
        },
        labels: old,
        new_labels: new,
        before: before.into(),
        after: after.into(),
        results,
        summary,
    }
}

/// Answers the change for `-n`'s namespace, or every namespace.
pub fn report(
    inventory: &Inventory,
    registry: &Arc<Registry>,
    config: &AdmissionConfig,
    args: &WhatifArgs,
) -> anyhow::Result<Report> {
    let units = inventory.units();
    let mut skipped = Vec::new();
    let names: Vec<String> = if args.all_namespaces {
        inventory
            .namespace_names()
            .into_iter()
            .filter(|name| {
                let exempt = config.exemptions.is_exempt_namespace(name);
                if exempt {
                    skipped.push(SkippedNamespace {
                        namespace: name.clone(),
                        reason: "exempt by the configuration",
                    });
                }
                !exempt
            })
            .collect()
    } else {
        let Some(name) = args.source.namespace.clone() else {
            anyhow::bail!("give the namespace to relabel with -n NAMESPACE, or --all-namespaces");
        };
        if inventory.namespace_labels(&name).is_none()
            && !inventory
                .items
                .iter()
                .any(|i| i.at.namespace.as_deref() == Some(name.as_str()))
        {
            anyhow::bail!(
                "namespace {name:?} is not in the inputs: no Namespace object and no object in it"
            );
        }
        vec![name]
    };
    let namespaces: Vec<NamespaceAnswer> = names
        .par_iter()
        .map(|name| namespace_answer(inventory, &units, registry, config, args, name))
        .collect();
    let mut summary = Counts::default();
    for answer in &namespaces {
        summary.add(&answer.summary);
    }
    Ok(Report {
        namespaces,
        skipped,
        problems: inventory.problems.clone(),
        summary,
    })
}

/// The report as text.
pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    for (index, ns) in report.namespaces.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let api = &ns.api_server;
        out.push_str(&format!("$ {}\n", api.command));
        out.push_str(&api.kubectl);
        out.push('\n');
        let missing = if ns.found {
            ""
        } else {
            " (no Namespace object in the inputs: taken as unlabelled)"
        };
        out.push_str(&format!(
            "Full report for namespace {}{missing}: enforce {}, audit {}, warn {} (now enforce {}, audit {}, warn {})\n",
            ns.namespace,
            ns.after.enforce,
            ns.after.audit,
            ns.after.warn,
            ns.before.enforce,
            ns.before.audit,
            ns.before.warn
        ));
        if ns.exempt {
            out.push_str("  exempt by the configuration: no policy applies to its pods\n");
            continue;
        }
        let checked = if !api.response.allowed {
            "the API server rejects the change: no pod is checked".to_owned()
        } else if api.pods_listed {
            format!(
                "the API server's check evaluated {} of {}",
                api.pods_checked,
                plural(api.pods_candidate, "pod")
            )
        } else {
            "the API server checks no pod: the enforce policy does not get stricter".to_owned()
        };
        out.push_str(&format!("  {checked}\n"));
        for r in &ns.results {
            let mut about = vec![r.object.position()];
            match r.pods {
                1 if r.object.kind == "Pod" => {}
                n => about.push(plural(n, "pod")),
            }
            if let Some(replicas) = r.replicas {
                about.push(format!("replicas {replicas}"));
            }
            if r.suspended {
                about.push("suspended".to_owned());
            }
            if let Some(controller) = &r.differs_from {
                about.push(format!("runs another spec than {controller}'s template"));
            }
            if let Some(why) = r.not_checked {
                about.push(format!("not seen by the API server: {}", why.text()));
            }
            out.push_str(&format!(
                "  {} ({})\n",
                r.object.display(),
                about.join(", ")
            ));
            let sides = [
                ("enforce", &r.enforce),
                ("audit", &r.audit),
                ("warn", &r.warn),
            ];
            let mut shown: Vec<(Vec<&str>, &Side)> = Vec::new();
            for (mode, side) in sides {
                if side.allowed {
                    continue;
                }
                match shown.iter_mut().find(|(_, s)| s.policy == side.policy) {
                    Some((modes, _)) => modes.push(mode),
                    None => shown.push((vec![mode], side)),
                }
            }
            for (modes, side) in shown {
                out.push_str(&format!("    {}: {}\n", modes.join(", "), side_text(side)));
            }
        }
        let s = &ns.summary;
        out.push_str(&format!(
            "  {} in {}: {} would be denied by enforce ({} not seen by the API server), {} audited, {} warned",
            units_text(s.units),
            ns.namespace,
            s.enforce,
            s.enforce_unseen,
            s.audit,
            s.warn
        ));
        if s.exempt > 0 {
            out.push_str(&format!("; {} exempt (runtime class)", s.exempt));
        }
        out.push('\n');
    }
    for skipped in &report.skipped {
        out.push_str(&format!(
            "\nskipped namespace {}: {}",
            skipped.namespace, skipped.reason
        ));
    }
    if !report.skipped.is_empty() {
        out.push('\n');
    }
    for problem in &report.problems {
        out.push_str(&format!("error: {problem}\n"));
    }
    if report.namespaces.len() > 1 {
        let s = &report.summary;
        out.push_str(&format!(
            "\n{} namespaces, {}: {} would be denied by enforce ({} not seen by the API server), {} audited, {} warned\n",
            report.namespaces.len(),
            units_text(s.units),
            s.enforce,
            s.enforce_unseen,
            s.audit,
            s.warn
        ));
    }
    out
}

/// `1 workload or pod`, `4 workloads and pods`.
fn units_text(n: usize) -> String {
    if n == 1 {
        "1 workload or pod".to_owned()
    } else {
        format!("{n} workloads and pods")
    }
}

fn side_text(side: &Side) -> String {
    format!(
        "violates PodSecurity {}: {}",
        podsec_policy::text::go_quote(&side.policy),
        side.message.as_deref().unwrap_or_default()
    )
}

/// Runs `podsec whatif`; the exit status.
pub fn run(args: &WhatifArgs) -> anyhow::Result<u8> {
    if args.enforce.is_none() && args.warn.is_none() && args.audit.is_none() {
        anyhow::bail!("nothing to change: give --enforce, --warn or --audit LEVEL[:VERSION]");
    }
    let config = crate::diff::load_config(args.config.as_deref())?;
    let registry = crate::diff::shared_registry(args.source.kube_version)?;
    let inventory = args.source.load()?;
    let report = report(&inventory, &registry, &config, args)?;
    let text = match args.format {
        OutputFormat::Text => render_text(&report),
        OutputFormat::Json => crate::output::json(&report)?,
    };
    crate::output::write(None, &text)?;
    let rejected = report
        .namespaces
        .iter()
        .any(|ns| !ns.api_server.response.allowed);
    Ok(if !report.problems.is_empty() {
        2
    } else if report.summary.enforce > 0 || rejected {
        1
    } else {
        0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_changes_parse_loosely() {
        let change: LabelChange = "baseline:v1.30".parse().unwrap();
        assert_eq!(change.level, "baseline");
        assert_eq!(change.version.as_deref(), Some("v1.30"));
        // Invalid values are kept: the API server rejects them, as it would.
        let change: LabelChange = "strict".parse().unwrap();
        assert_eq!((change.level.as_str(), change.version), ("strict", None));
        assert!(":v1.30".parse::<LabelChange>().is_err());
    }
}

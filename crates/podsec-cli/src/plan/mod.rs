//! `podsec plan`: a rollout plan per namespace, built on `podsec recommend`'s analysis: the
//! ordered label changes (`warn`, then `audit`, then `enforce`) with their blockers and the
//! `kubectl label` commands, and the namespaces to keep `privileged` or exempt, with the
//! `PodSecurityConfiguration` for those exemptions.

mod html;
mod text;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use podsec_admission::Mode;
use podsec_admission::config::PodSecurityConfiguration;
use podsec_admission::labels::{level_label, version_label};
use podsec_policy::checks;
use podsec_policy::{Level, LevelVersion, Version};
use serde::Serialize;

use crate::inventory::SourceArgs;
use crate::recommend::analysis::{Change, NamespaceResult, Offender, offenders};
use crate::recommend::{Prepared, prepare, report_problems};

/// `podsec plan`'s flags.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,

    /// The cluster's defaults and exemptions, from a `PodSecurityConfiguration` or an
    /// `AdmissionConfiguration` holding one: what unlabelled namespaces enforce now, and the
    /// exemptions the plan's configuration keeps.
    #[arg(long, env = "PODSEC_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Write the plan to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// How `podsec plan` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The steps per namespace, their blockers and commands.
    Text,
    /// One JSON document.
    Json,
    /// One self-contained HTML page (inline CSS and script, no network fetches).
    Html,
}

/// What the plan does with a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Decision {
    /// Roll out the goal level: warn, audit, then enforce.
    Restrict,
    /// Keep enforcing `privileged` (explicitly): its workloads need host access.
    KeepPrivileged,
    /// Exempt it in the configuration: a system namespace whose workloads need privileged,
    /// or one the configuration already exempts.
    Exempt,
}

impl Decision {
    /// How reports name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Restrict => "restrict",
            Decision::KeepPrivileged => "keep privileged",
            Decision::Exempt => "exempt",
        }
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The namespace already has these labels.
    Done,
    /// Can be applied now (warn and audit never reject anything).
    Ready,
    /// Enforcing it now would reject the blockers' pods: fix them first.
    Blocked,
}

impl Status {
    /// How reports name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Ready => "ready",
            Status::Blocked => "blocked",
        }
    }
}

/// One label change.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// `warn`, `audit` or `enforce`.
    pub mode: &'static str,
    /// The level to set.
    #[serde(serialize_with = "as_text")]
    pub level: Level,
    /// The version pin to set.
    #[serde(serialize_with = "as_text")]
    pub version: Version,
    /// Where it stands.
    pub status: Status,
    /// The objects that would warn, be audited or be rejected at this step, and why.
    pub blockers: Vec<Offender>,
    /// For a blocked step: the command that fixes what can be fixed automatically.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The `kubectl label` command.
    pub kubectl: String,
}

/// The plan of one namespace.
#[derive(Debug, Clone, Serialize)]
pub struct NamespacePlan {
    /// The namespace.
    pub name: String,
    /// What to do with it.
    pub decision: Decision,
    /// Why.
    pub reason: String,
    /// The level the steps lead to.
    #[serde(serialize_with = "as_text")]
    pub goal: Level,
    /// The strictest level it passes now, its versions, labels and blockers: recommend's
    /// answer.
    pub recommendation: NamespaceResult,
    /// The label changes, in order.
    pub steps: Vec<Step>,
}

/// The whole plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The cluster's Kubernetes version.
    #[serde(rename = "kubeVersion", serialize_with = "as_text")]
    pub kube: Version,
    /// The newest policy version known.
    #[serde(serialize_with = "as_text")]
    pub newest: Version,
    /// Per namespace.
    pub namespaces: Vec<NamespacePlan>,
    /// The namespaces the configuration exempts (its own and the plan's).
    #[serde(rename = "exemptNamespaces")]
    pub exempt: Vec<String>,
    /// The `PodSecurityConfiguration` with those exemptions, as YAML.
    pub configuration: String,
    /// Counts.
    pub summary: Summary,
}

/// The plan's counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Namespaces.
    pub namespaces: usize,
    /// Workloads and standalone pods.
    pub workloads: usize,
    /// Pods.
    pub pods: usize,
    /// Namespaces whose every step is done.
    pub done: usize,
    /// Namespaces whose remaining steps can all be applied now.
    pub ready: usize,
    /// Namespaces with a blocked step.
    pub blocked: usize,
    /// Namespaces kept privileged.
    #[serde(rename = "keepPrivileged")]
    pub keep_privileged: usize,
    /// Namespaces exempted.
    pub exempt: usize,
}

fn as_text<T: std::fmt::Display, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// Namespaces of the cluster's own components.
pub fn is_system(namespace: &str) -> bool {
    matches!(namespace, "kube-system" | "kube-public" | "kube-node-lease")
}

/// Checks whose failure means the workload needs the node itself (host namespaces, host
/// paths, host ports, privileged containers): fixing them changes what it does.
fn needs_host(check: &str) -> bool {
    [
        checks::host_namespaces::ID,
        checks::host_path_volumes::ID,
        checks::host_ports::ID,
        checks::privileged::ID,
    ]
    .iter()
    .any(|id| id.as_str() == check)
}

/// A word safe in a POSIX shell as is, or single-quoted.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@%+,".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// `kubectl label --overwrite ns NS pod-security.kubernetes.io/MODE=LEVEL ...-version=V`.
fn kubectl(namespace: &str, mode: Mode, policy: LevelVersion) -> String {
    format!(
        "kubectl label --overwrite ns {} {}={} {}={}",
        shell_quote(namespace),
        level_label(mode),
        policy.level,
        version_label(mode),
        policy.version
    )
}

/// Builds the plan from recommend's analysis.
pub fn build(prepared: &Prepared) -> Plan {
    let analysis = &prepared.analysis;
    let inventory = &prepared.inventory;
    let registry = &prepared.registry;
    let step = |ns: &NamespaceResult, mode: Mode, policy: LevelVersion| -> Step {
        let at = analysis.versions.index_of(policy.version);
        let blockers = offenders(inventory, registry, &analysis.units, &ns.units, policy, at);
        let done = ns.current.labels.get(level_label(mode)).map(String::as_str)
            == Some(policy.level.as_str())
            && ns.current.labels.get(version_label(mode)) == Some(&policy.version.to_string());
        let blocked = mode == Mode::Enforce && !blockers.is_empty();
        let fix = blocked.then(|| {
            let files: BTreeSet<&str> = blockers.iter().map(|b| b.object.file.as_str()).collect();
            let files: Vec<String> = files
                .into_iter()
                .map(|f| {
                    if f == "-" || f == "cluster" {
                        "<manifests>".to_owned()
                    } else {
                        shell_quote(f)
                    }
                })
                .collect();
            format!("podsec fix --level {policy} {}", files.join(" "))
        });
        Step {
            mode: mode.as_str(),
            level: policy.level,
            version: policy.version,
            status: if done {
                Status::Done
            } else if blocked {
                Status::Blocked
            } else {
                Status::Ready
            },
            blockers,
            fix,
            kubectl: kubectl(&ns.name, mode, policy),
        }
    };

    let mut plans = Vec::with_capacity(analysis.namespaces.len());
    for ns in &analysis.namespaces {
        let pin = ns.pin;
        let baseline_blockers = || {
            ns.blockers
                .iter()
                .map(|o| {
                    let checks: Vec<&str> = o.blockers.iter().map(|b| b.check).collect();
                    format!("{} ({})", o.object.display(), checks.join(", "))
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let (decision, reason, goal, steps) = if ns.current.exempt {
            (
                Decision::Exempt,
                "the configuration exempts it".to_owned(),
                Level::Privileged,
                Vec::new(),
            )
        } else if ns.strictest == Level::Privileged && is_system(&ns.name) {
            (
                Decision::Exempt,
                format!(
                    "a system namespace whose workloads need privileged: {}",
                    baseline_blockers()
                ),
                Level::Privileged,
                Vec::new(),
            )
        } else if ns.strictest == Level::Privileged
            && ns.current.policy.enforce.level == Level::Privileged
            && ns
                .blockers
                .iter()
                .all(|o| o.blockers.iter().all(|b| needs_host(b.check)))
        {
            let steps = vec![
                step(ns, Mode::Audit, LevelVersion::new(Level::Baseline, pin)),
                step(ns, Mode::Enforce, LevelVersion::new(Level::Privileged, pin)),
            ];
            (
                Decision::KeepPrivileged,
                format!("its workloads need host access: {}", baseline_blockers()),
                Level::Privileged,
                steps,
            )
        } else {
            let goal = Level::Restricted;
            let mut steps = vec![
                step(ns, Mode::Warn, LevelVersion::new(goal, pin)),
                step(ns, Mode::Audit, LevelVersion::new(goal, pin)),
            ];
            if ns.strictest > ns.current.policy.enforce.level && ns.strictest < goal {
                steps.push(step(
                    ns,
                    Mode::Enforce,
                    LevelVersion::new(ns.strictest, pin),
                ));
            }
            steps.push(step(ns, Mode::Enforce, LevelVersion::new(goal, pin)));
            let reason = match (ns.strictest, ns.change) {
                (Level::Restricted, _) => "everything in it passes restricted".to_owned(),
                (_, Change::Looser) => format!(
                    "{} the current enforce policy {}: fix {}, then enforce restricted",
                    match ns.violating.len() {
                        1 => "1 object violates".to_owned(),
                        n => format!("{n} objects violate"),
                    },
                    ns.current.enforce,
                    if ns.violating.len() == 1 {
                        "it"
                    } else {
                        "them"
                    },
                ),
                (level, _) if level > ns.current.policy.enforce.level => format!(
                    "it passes {level} now: warn and audit restricted, enforce {level} now, then restricted once its blockers are fixed"
                ),
                _ => {
                    "warn and audit restricted now; enforce restricted once its blockers are fixed"
                        .to_owned()
                }
            };
            (Decision::Restrict, reason, goal, steps)
        };
        plans.push(NamespacePlan {
            name: ns.name.clone(),
            decision,
            reason,
            goal,
            recommendation: ns.clone(),
            steps,
        });
    }

    let mut exempt: BTreeSet<String> = prepared
        .config
        .exemptions
        .namespaces
        .iter()
        .cloned()
        .collect();
    exempt.extend(
        plans
            .iter()
            .filter(|p| p.decision == Decision::Exempt)
            .map(|p| p.name.clone()),
    );
    let exempt: Vec<String> = exempt.into_iter().collect();
    let configuration = configuration_yaml(&prepared.config, &exempt);

    let mut summary = Summary {
        namespaces: plans.len(),
        workloads: analysis.units.len(),
        pods: analysis.units.iter().map(|u| u.pods).sum(),
        ..Summary::default()
    };
    for p in &plans {
        match p.decision {
            Decision::Exempt => summary.exempt += 1,
            Decision::KeepPrivileged => summary.keep_privileged += 1,
            Decision::Restrict => {
                if p.steps.iter().any(|s| s.status == Status::Blocked) {
                    summary.blocked += 1;
                } else if p.steps.iter().all(|s| s.status == Status::Done) {
                    summary.done += 1;
                } else {
                    summary.ready += 1;
                }
            }
        }
    }
    Plan {
        kube: analysis.kube,
        newest: analysis.versions.newest(),
        namespaces: plans,
        exempt,
        configuration,
        summary,
    }
}

/// The `PodSecurityConfiguration` of `config` with `exempt` as its exempt namespaces.
fn configuration_yaml(config: &PodSecurityConfiguration, exempt: &[String]) -> String {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let list = |items: &[String]| -> String {
        if items.is_empty() {
            " []".to_owned()
        } else {
            items
                .iter()
                .map(|i| format!("\n  - {}", quote(i)))
                .collect()
        }
    };
    let d = &config.defaults;
    let mut out = String::new();
    out.push_str("apiVersion: pod-security.admission.config.k8s.io/v1\n");
    out.push_str("kind: PodSecurityConfiguration\ndefaults:\n");
    for (key, value) in [
        ("enforce", &d.enforce),
        ("enforce-version", &d.enforce_version),
        ("audit", &d.audit),
        ("audit-version", &d.audit_version),
        ("warn", &d.warn),
        ("warn-version", &d.warn_version),
    ] {
        out.push_str(&format!("  {key}: {}\n", quote(value)));
    }
    out.push_str("exemptions:\n");
    out.push_str(&format!(
        "  usernames:{}\n",
        list(&config.exemptions.usernames).replace("\n  -", "\n    -")
    ));
    out.push_str(&format!(
        "  runtimeClasses:{}\n",
        list(&config.exemptions.runtime_classes).replace("\n  -", "\n    -")
    ));
    out.push_str(&format!(
        "  namespaces:{}\n",
        list(exempt).replace("\n  -", "\n    -")
    ));
    out
}

/// The JSON plan.
pub fn to_json(plan: &Plan, prepared: &Prepared) -> serde_json::Value {
    let mut value = serde_json::to_value(plan).unwrap_or_default();
    value["errors"] = serde_json::to_value(&prepared.inventory.problems).unwrap_or_default();
    value
}

/// Runs `podsec plan`; the exit status (2 when an input could not be read).
pub fn run(args: &PlanArgs) -> anyhow::Result<u8> {
    let prepared = prepare(&args.source, args.config.as_deref())?;
    let plan = build(&prepared);
    let out = match args.format {
        Format::Text => text::render(&plan),
        Format::Json => crate::output::json(&to_json(&plan, &prepared))?,
        Format::Html => html::render(&plan, &prepared),
    };
    crate::output::write(args.output.as_deref(), &out)?;
    Ok(if report_problems(&prepared.inventory) {
        2
    } else {
        0
    })
}

/// The labels the namespace has now, `key=value` (for reports).
pub fn current_labels(labels: &BTreeMap<String, String>) -> Vec<String> {
    labels.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

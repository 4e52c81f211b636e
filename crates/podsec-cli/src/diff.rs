//! `podsec diff --from vA --to vB`: which workloads and pods change decision or message
//! between two policy versions: the check to run before moving an `enforce-version` pin or
//! upgrading Kubernetes.
//!
//! Each unit of the inventory ([`Inventory::units`]: a controller with its pods, or a pod
//! of its own) is evaluated twice by the [`Registry`], at `LEVEL:vA` and `LEVEL:vB`. The
//! level is `--level`, else the enforce level of the object's namespace (its labels, on top
//! of the `--config` defaults, as admission resolves them; the namespace's version pin is
//! what moves). Namespaces the configuration exempts are skipped without `--level`.
//!
//! `--kube-version` matters twice: it is the defaulting the API server applies to the
//! objects, and it is what `latest` (and any newer version) evaluates as: with
//! `--kube-version v1.30`, `--to latest` and `--to v1.35` both mean the v1.30 policy.
//!
//! Exit status: 1 when an object allowed at `--from` is denied at `--to`, else 0; 2 on an
//! error (every readable object is still compared and reported).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use podsec_admission::config::{self, AdmissionConfig};
use podsec_admission::labels::policy_from_labels;
use podsec_policy::{Evaluation, Level, LevelVersion, Registry, Version};
use rayon::prelude::*;
use serde::Serialize;

use crate::cli::StrictParser;
use crate::inventory::{Inventory, ObjectRef, Problem, SourceArgs};

/// `podsec diff`'s flags.
#[derive(Debug, Args)]
#[command(
    after_help = "--kube-version is the cluster's defaulting and what `latest` (and any newer version) evaluates as.\n\nExit status: 1 when an object allowed at --from is denied at --to; 0 otherwise; 2 on an error."
)]
pub struct DiffArgs {
    /// The policy version now: `latest` or `v1.N`.
    #[arg(
        long,
        value_name = "VERSION",
        value_parser = StrictParser::<Version>::new("--from", &[]),
    )]
    pub from: Version,

    /// The policy version to compare with: `latest` or `v1.N`.
    #[arg(
        long,
        value_name = "VERSION",
        value_parser = StrictParser::<Version>::new("--to", &[]),
    )]
    pub to: Version,

    /// Compare every object at this level (default: the enforce level of its namespace).
    #[arg(
        long,
        env = "PODSEC_LEVEL",
        value_name = "LEVEL",
        value_parser = StrictParser::<Level>::new("--level", &["privileged", "baseline", "restricted"]),
    )]
    pub level: Option<Level>,

    /// The cluster's defaults and exemptions (`PodSecurityConfiguration` or an
    /// `AdmissionConfiguration` holding one), for namespaces without an enforce label.
    #[arg(long, env = "PODSEC_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output format.
    #[arg(long, env = "PODSEC_FORMAT", value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Text or JSON (the adoption commands' formats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable text.
    Text,
    /// One JSON document.
    Json,
}

/// How a unit's answer changes from `--from` to `--to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Allowed at `--from`, denied at `--to`.
    NewlyDenied,
    /// Denied at `--from`, allowed at `--to`.
    NewlyAllowed,
    /// Denied at both, with another message.
    MessageChanged,
}

impl Change {
    fn title(self) -> &'static str {
        match self {
            Change::NewlyDenied => "newly denied",
            Change::NewlyAllowed => "newly allowed",
            Change::MessageChanged => "message changed",
        }
    }
}

/// One side of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// `level:version`.
    pub policy: String,
    /// Whether the pod (template) is allowed.
    pub allowed: bool,
    /// Upstream's message after `violates PodSecurity "<policy>": ` (absent when allowed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The failed checks, in upstream's order.
    pub checks: Vec<&'static str>,
}

impl Side {
    pub fn new(policy: LevelVersion, evaluation: &Evaluation) -> Self {
        Side {
            policy: policy.to_string(),
            allowed: evaluation.is_allowed(),
            message: (!evaluation.is_allowed()).then(|| evaluation.forbidden_detail()),
            checks: evaluation.check_ids().map(|c| c.as_str()).collect(),
        }
    }

    /// `allowed`, or upstream's `violates PodSecurity "<policy>": <details>`.
    fn text(&self) -> String {
        match &self.message {
            None => "allowed".to_owned(),
            Some(message) => format!(
                "violates PodSecurity {}: {message}",
                podsec_policy::text::go_quote(&self.policy)
            ),
        }
    }
}

/// A unit whose answer changes.
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    /// The object judged (the outermost controller, or the pod).
    #[serde(flatten)]
    pub object: ObjectRef,
    /// How it changes.
    pub change: Change,
    /// The level compared.
    pub level: String,
    /// Where the level comes from: `--level`, or the namespace's `enforce` policy.
    #[serde(rename = "levelFrom")]
    pub level_from: &'static str,
    /// Pods grouped under the object.
    pub pods: usize,
    /// A pod whose spec differs from its controller's template (an older revision, say):
    /// the controller, as `Kind namespace/name`.
    #[serde(rename = "differsFrom", skip_serializing_if = "Option::is_none")]
    pub differs_from: Option<String>,
    /// At `--from`.
    pub from: Side,
    /// At `--to`.
    pub to: Side,
    /// Checks failed at `--to` only.
    #[serde(rename = "checksAdded")]
    pub checks_added: Vec<&'static str>,
    /// Checks failed at `--from` only.
    #[serde(rename = "checksRemoved")]
    pub checks_removed: Vec<&'static str>,
}

/// The counts of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Units compared.
    pub compared: usize,
    /// Allowed at `--from`, denied at `--to`.
    #[serde(rename = "newlyDenied")]
    pub newly_denied: usize,
    /// Denied at `--from`, allowed at `--to`.
    #[serde(rename = "newlyAllowed")]
    pub newly_allowed: usize,
    /// Denied at both with another message.
    #[serde(rename = "messageChanged")]
    pub message_changed: usize,
    /// Same answer at both.
    pub unchanged: usize,
    /// Units in a `privileged` namespace (nothing to compare).
    pub privileged: usize,
    /// Units skipped: exempt namespace or runtime class.
    pub exempt: usize,
    /// Inputs or documents that could not be read.
    pub errors: usize,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `--from`.
    pub from: String,
    /// `--to`.
    pub to: String,
    /// What `--from` evaluates as.
    #[serde(rename = "fromEffective")]
    pub from_effective: String,
    /// What `--to` evaluates as.
    #[serde(rename = "toEffective")]
    pub to_effective: String,
    /// `--kube-version`.
    #[serde(rename = "kubeVersion")]
    pub kube_version: String,
    /// `--level`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// The units that change, newly denied first.
    pub results: Vec<Changed>,
    /// What could not be read.
    pub problems: Vec<Problem>,
    /// Counts.
    pub summary: Summary,
}

/// Loads `--config`, or upstream's defaults.
pub fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<AdmissionConfig> {
    match path {
        None => Ok(AdmissionConfig::new(&config::load(b"")?)?),
        Some(path) => config::load_any_file(path)
            .map_err(anyhow::Error::from)
            .and_then(|c| Ok(AdmissionConfig::new(&c)?))
            .with_context(|| format!("--config {}", path.display())),
    }
}

/// The checks with `latest` meaning `kube`.
pub fn registry(kube: Version) -> anyhow::Result<Registry> {
    Registry::with_emulation_version(podsec_policy::checks::ALL, kube)
        .context("building the checks for --kube-version")
}

/// Compares every unit of `inventory`.
pub fn compare(
    inventory: &Inventory,
    registry: &Registry,
    config: &AdmissionConfig,
    args: &DiffArgs,
) -> Report {
    let effective = |v: Version| {
        registry
            .effective_version(v)
            .map_or_else(|| "none".to_owned(), |v| v.to_string())
    };
    let mut summary = Summary {
        errors: inventory.problems.len(),
        ..Summary::default()
    };
    let mut enforce_levels: BTreeMap<String, Option<Level>> = BTreeMap::new();
    for name in inventory.namespace_names() {
        let level = if config.exemptions.is_exempt_namespace(&name) {
            None
        } else {
            let labels = inventory
                .namespace_labels(&name)
                .cloned()
                .unwrap_or_default();
            Some(
                policy_from_labels(&labels, &config.defaults)
                    .0
                    .enforce
                    .level,
            )
        };
        enforce_levels.insert(name, level);
    }
    enum Answer {
        Exempt,
        Privileged,
        Same,
        Changed(Box<Changed>),
    }
    let units = inventory.units();
    let answers: Vec<(Answer, Vec<Changed>)> = units
        .par_iter()
        .map(|unit| {
            let item = &inventory.items[unit.item];
            let exempt_class = |index: usize| {
                inventory.items[index]
                    .spec
                    .runtime_class_name
                    .as_deref()
                    .is_some_and(|c| config.exemptions.is_exempt_runtime_class(c))
            };
            let (level, level_from) = match args.level {
                Some(level) => (level, "--level"),
                None => {
                    let namespace = item.at.namespace.as_deref().unwrap_or_default();
                    match enforce_levels.get(namespace).copied().flatten() {
                        Some(level) if !exempt_class(unit.item) => (level, "enforce"),
                        _ => return (Answer::Exempt, Vec::new()),
                    }
                }
            };
            if level == Level::Privileged {
                return (Answer::Privileged, Vec::new());
            }
            let (from, to) = (
                LevelVersion::new(level, args.from),
                LevelVersion::new(level, args.to),
            );
            let sides = |index: usize| {
                let item = &inventory.items[index];
                (
                    Side::new(from, &item.evaluate(registry, from)),
                    Side::new(to, &item.evaluate(registry, to)),
                )
            };
            let row = |index: usize, (from_side, to_side): (Side, Side), pods, differs_from| {
                let change = match (from_side.allowed, to_side.allowed) {
                    (true, true) => return None,
                    (true, false) => Change::NewlyDenied,
                    (false, true) => Change::NewlyAllowed,
                    (false, false) if from_side.message == to_side.message => return None,
                    (false, false) => Change::MessageChanged,
                };
                let only = |a: &Side, b: &Side| -> Vec<&'static str> {
                    a.checks
                        .iter()
                        .copied()
                        .filter(|c| !b.checks.contains(c))
                        .collect()
                };
                Some(Changed {
                    checks_added: only(&to_side, &from_side),
                    checks_removed: only(&from_side, &to_side),
                    object: inventory.items[index].at.clone(),
                    change,
                    level: level.to_string(),
                    level_from,
                    pods,
                    differs_from,
                    from: from_side,
                    to: to_side,
                })
            };
            let own = sides(unit.item);
            // Pods that run another spec than the controller's template (an older
            // revision): compared on their own, when their answers differ.
            let mut extra = Vec::new();
            let mut seen: Vec<(&BTreeMap<String, String>, &podsec_policy::model::PodSpec)> =
                vec![(&item.metadata.annotations, &item.spec)];
            for &member in &unit.members {
                let pod = &inventory.items[member];
                let key = (&pod.metadata.annotations, &pod.spec);
                if !pod.is_pod() || exempt_class(member) || seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                let theirs = sides(member);
                let same = |a: &Side, b: &Side| a.allowed == b.allowed && a.message == b.message;
                if same(&theirs.0, &own.0) && same(&theirs.1, &own.1) {
                    continue;
                }
                extra.extend(row(member, theirs, 1, Some(item.at.display())));
            }
            let pods = unit.pods + usize::from(item.is_pod());
            let answer = match row(unit.item, own, pods, None) {
                Some(changed) => Answer::Changed(Box::new(changed)),
                None => Answer::Same,
            };
            (answer, extra)
        })
        .collect();
    let mut results = Vec::new();
    let count = |summary: &mut Summary, change: Change| match change {
        Change::NewlyDenied => summary.newly_denied += 1,
        Change::NewlyAllowed => summary.newly_allowed += 1,
        Change::MessageChanged => summary.message_changed += 1,
    };
    for (answer, extra) in answers {
        match answer {
            Answer::Exempt => summary.exempt += 1,
            Answer::Privileged => summary.privileged += 1,
            Answer::Same => {
                summary.compared += 1;
                summary.unchanged += 1;
            }
            Answer::Changed(changed) => {
                summary.compared += 1;
                count(&mut summary, changed.change);
                results.push(*changed);
            }
        }
        for changed in extra {
            count(&mut summary, changed.change);
            results.push(changed);
        }
    }
    // Stable: inventory order within each kind of change.
    results.sort_by_key(|r| r.change);
    Report {
        from: args.from.to_string(),
        to: args.to.to_string(),
        from_effective: effective(args.from),
        to_effective: effective(args.to),
        kube_version: args.source.kube_version.to_string(),
        level: args.level.map(|l| l.to_string()),
        results,
        problems: inventory.problems.clone(),
        summary,
    }
}

/// The report as text.
pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    let level = match &report.level {
        Some(level) => format!("at {level}"),
        None => "at each namespace's enforce level".to_owned(),
    };
    out.push_str(&format!(
        "podsec diff {} -> {} {level} (kube {}: {} evaluates as {}, {} as {})\n",
        report.from,
        report.to,
        report.kube_version,
        report.from,
        report.from_effective,
        report.to,
        report.to_effective
    ));
    for change in [
        Change::NewlyDenied,
        Change::NewlyAllowed,
        Change::MessageChanged,
    ] {
        let group: Vec<&Changed> = report
            .results
            .iter()
            .filter(|r| r.change == change)
            .collect();
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{} ({}):\n", change.title(), group.len()));
        for r in group {
            let pods = match r.pods {
                _ if r.object.kind == "Pod" => String::new(),
                0 => String::new(),
                1 => ", 1 pod".to_owned(),
                n => format!(", {n} pods"),
            };
            let differs = match &r.differs_from {
                Some(controller) => format!(", runs another spec than {controller}'s template"),
                None => String::new(),
            };
            out.push_str(&format!(
                "  {} ({}{pods}{differs})\n    {}: {}\n    {}: {}\n",
                r.object.display(),
                r.object.position(),
                report.from,
                r.from.text(),
                report.to,
                r.to.text()
            ));
            let delta: Vec<String> = r
                .checks_added
                .iter()
                .map(|c| format!("+{c}"))
                .chain(r.checks_removed.iter().map(|c| format!("-{c}")))
                .collect();
            if !delta.is_empty() {
                out.push_str(&format!("    checks: {}\n", delta.join(" ")));
            }
        }
    }
    for problem in &report.problems {
        out.push_str(&format!("error: {problem}\n"));
    }
    let s = &report.summary;
    out.push_str(&format!(
        "\n{} compared: {} newly denied, {} newly allowed, {} with another message, {} unchanged",
        plural(s.compared, "object"),
        s.newly_denied,
        s.newly_allowed,
        s.message_changed,
        s.unchanged
    ));
    if s.privileged > 0 {
        out.push_str(&format!("; {} in privileged namespaces", s.privileged));
    }
    if s.exempt > 0 {
        out.push_str(&format!("; {} exempt", s.exempt));
    }
    if s.errors > 0 {
        out.push_str(&format!("; {}", plural(s.errors, "error")));
    }
    out.push('\n');
    out
}

/// `1 object`, `2 objects`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Runs `podsec diff`; the exit status.
pub fn run(args: &DiffArgs) -> anyhow::Result<u8> {
    let config = load_config(args.config.as_deref())?;
    let registry = registry(args.source.kube_version)?;
    let inventory = args.source.load()?;
    let report = compare(&inventory, &registry, &config, args);
    let text = match args.format {
        OutputFormat::Text => render_text(&report),
        OutputFormat::Json => crate::output::json(&report)?,
    };
    crate::output::write(None, &text)?;
    Ok(if report.summary.errors > 0 {
        2
    } else if report.summary.newly_denied > 0 {
        1
    } else {
        0
    })
}

/// Shared by the adoption commands: an `Arc`'d registry.
pub fn shared_registry(kube: Version) -> anyhow::Result<Arc<Registry>> {
    registry(kube).map(Arc::new)
}

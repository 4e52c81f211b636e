//! The analysis `podsec recommend` prints and `podsec plan` builds on: for every unit (a
//! controller with its pods, or a pod of its own) and every namespace, which levels pass at
//! which policy versions, and what blocks the next stricter level.
//!
//! Every decision is the policy library's ([`Item::evaluate`]): each distinct pod (template)
//! is evaluated once per level and per *policy epoch* (a run of versions whose checks are the
//! same, so their answers are too), in parallel.

use std::collections::{BTreeMap, HashMap};

use podsec_admission::Policy;
use podsec_admission::labels::LABEL_PREFIX;
use podsec_policy::{Evaluation, Level, LevelVersion, Registry, Version};
use rayon::prelude::*;
use serde::Serialize;

use crate::inventory::{Inventory, Item, ObjectRef};

/// Serializes a level or version as its text.
fn as_text<T: std::fmt::Display, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// Serializes an optional level as its text.
fn option_as_text<T: std::fmt::Display, S: serde::Serializer>(
    value: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// The policy versions podsec knows, oldest first: `v1.0` … the registry's newest, then
/// `latest`.
#[derive(Debug, Clone)]
pub struct Versions {
    list: Vec<Version>,
    /// `epoch[level][i]`: the index of the first version evaluating like `list[i]` at
    /// `level` (baseline, restricted).
    epoch: [Vec<usize>; 2],
}

impl Versions {
    /// The versions of `registry`, with the epochs of identical checks.
    pub fn of(registry: &Registry) -> Self {
        let newest = match registry.newest() {
            Version::Release { minor, .. } => minor,
            Version::Latest => 0,
        };
        let mut list: Vec<Version> = (0..=newest).map(Version::v1).collect();
        list.push(Version::Latest);
        let epochs = |level: Level| {
            let mut epoch = Vec::with_capacity(list.len());
            for (i, &version) in list.iter().enumerate() {
                let same_as_previous = i > 0 && {
                    let key = |v: Version| {
                        registry
                            .checks(level, v)
                            .iter()
                            .map(|c| (c.id, c.since))
                            .collect::<Vec<_>>()
                    };
                    key(version) == key(list[i - 1])
                };
                epoch.push(if same_as_previous { epoch[i - 1] } else { i });
            }
            epoch
        };
        let epoch = [epochs(Level::Baseline), epochs(Level::Restricted)];
        Versions { list, epoch }
    }

    /// All versions, oldest first, `latest` last.
    pub fn list(&self) -> &[Version] {
        &self.list
    }

    /// The newest numbered version.
    pub fn newest(&self) -> Version {
        self.list[self.list.len() - 2]
    }

    /// The index in [`Versions::list`] that `version` evaluates as.
    pub fn index_of(&self, version: Version) -> usize {
        match version {
            Version::Latest => self.list.len() - 1,
            Version::Release { major: 1, minor } => (minor as usize).min(self.list.len() - 2),
            Version::Release { major: 0, .. } => 0,
            Version::Release { .. } => self.list.len() - 2,
        }
    }

    fn epochs(&self, level: Level) -> &[usize] {
        match level {
            Level::Privileged => &[],
            Level::Baseline => &self.epoch[0],
            Level::Restricted => &self.epoch[1],
        }
    }
}

/// Where one pod (template) passes: a flag per version of [`Versions::list`], per level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passes {
    baseline: Vec<bool>,
    restricted: Vec<bool>,
}

impl Passes {
    /// Everything passes (an empty namespace).
    fn all(versions: &Versions) -> Self {
        let n = versions.list.len();
        Passes {
            baseline: vec![true; n],
            restricted: vec![true; n],
        }
    }

    /// The flags of `level` (`None` for privileged: it always passes).
    pub fn of(&self, level: Level) -> Option<&[bool]> {
        match level {
            Level::Privileged => None,
            Level::Baseline => Some(&self.baseline),
            Level::Restricted => Some(&self.restricted),
        }
    }

    /// Whether `level` passes at version index `at`.
    pub fn passes(&self, level: Level, at: usize) -> bool {
        self.of(level).is_none_or(|flags| flags[at])
    }

    /// The strictest level passing at `latest`.
    pub fn strictest(&self) -> Level {
        let latest = self.baseline.len() - 1;
        if self.restricted[latest] {
            Level::Restricted
        } else if self.baseline[latest] {
            Level::Baseline
        } else {
            Level::Privileged
        }
    }

    /// Both hold.
    fn and(&mut self, other: &Passes) {
        for (a, b) in self.baseline.iter_mut().zip(&other.baseline) {
            *a &= *b;
        }
        for (a, b) in self.restricted.iter_mut().zip(&other.restricted) {
            *a &= *b;
        }
    }
}

/// The versions at which a level passes: the run ending at `latest`, and any other runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionRange {
    /// The oldest version of the run ending at `latest`.
    #[serde(serialize_with = "as_text")]
    pub oldest: Version,
    /// The newest numbered version (the run always reaches it and `latest`).
    #[serde(serialize_with = "as_text")]
    pub newest: Version,
    /// Older runs where the level passes too (after a gap where it fails).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Span>,
}

/// Consecutive versions `from` … `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// The first.
    #[serde(serialize_with = "as_text")]
    pub from: Version,
    /// The last.
    #[serde(serialize_with = "as_text")]
    pub to: Version,
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}–{}", self.from, self.to)
        }
    }
}

impl std::fmt::Display for VersionRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.oldest == self.newest {
            write!(f, "{} and latest", self.newest)?;
        } else {
            write!(f, "{}–{} and latest", self.oldest, self.newest)?;
        }
        if !self.also.is_empty() {
            let spans: Vec<String> = self.also.iter().map(ToString::to_string).collect();
            write!(f, " (also {})", spans.join(", "))?;
        }
        Ok(())
    }
}

/// The runs of `true` in `flags` (over `versions`), numbered versions only.
fn spans(versions: &Versions, flags: &[bool]) -> Vec<Span> {
    let list = versions.list();
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..list.len() - 1 {
        match (flags[i], start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(Span {
                    from: list[s],
                    to: list[i - 1],
                });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(Span {
            from: list[s],
            to: list[list.len() - 2],
        });
    }
    out
}

/// The versions where `level` passes, given it passes at `latest`.
fn range(versions: &Versions, passes: &Passes, level: Level) -> VersionRange {
    let newest = versions.newest();
    let Some(flags) = passes.of(level) else {
        return VersionRange {
            oldest: versions.list[0],
            newest,
            also: Vec::new(),
        };
    };
    let mut spans = spans(versions, flags);
    let last = spans.pop().unwrap_or(Span {
        from: newest,
        to: newest,
    });
    VersionRange {
        oldest: last.from,
        newest,
        also: spans,
    }
}

/// One failed check of a pod, as the policy library reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocker {
    /// The check's id.
    pub check: &'static str,
    /// Upstream's reason.
    pub reason: &'static str,
    /// Upstream's detail (may be empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// The offending fields, from the pod (template) root.
    pub fields: Vec<String>,
}

impl Blocker {
    /// Upstream's `reason (detail)`.
    pub fn message(&self) -> String {
        if self.detail.is_empty() {
            self.reason.to_owned()
        } else {
            format!("{} ({})", self.reason, self.detail)
        }
    }
}

/// The blockers of an evaluation.
pub fn blockers(evaluation: &Evaluation) -> Vec<Blocker> {
    evaluation
        .violations
        .iter()
        .map(|v| Blocker {
            check: v.check.as_str(),
            reason: if v.reason.is_empty() {
                "unknown forbidden reason"
            } else {
                v.reason
            },
            detail: v.detail.clone(),
            fields: v.findings.iter().map(|f| f.path.clone()).collect(),
        })
        .collect()
}

/// What blocks the next stricter level of a unit.
#[derive(Debug, Clone, Serialize)]
pub struct NextLevel {
    /// The level.
    #[serde(serialize_with = "as_text")]
    pub level: Level,
    /// The versions at which it passes all the same (older policies), if any.
    #[serde(rename = "passesAt", skip_serializing_if = "Vec::is_empty")]
    pub passes_at: Vec<Span>,
    /// The checks that fail at `latest`.
    pub blockers: Vec<Blocker>,
}

/// A unit's answer.
#[derive(Debug, Clone, Serialize)]
pub struct UnitResult {
    /// The object judged (the outermost controller, or the pod).
    #[serde(flatten)]
    pub object: ObjectRef,
    /// Index of the object in the inventory's items.
    #[serde(skip)]
    pub item: usize,
    /// `spec.replicas`, when the object has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    /// Its pods: those grouped under it, or 1 for a pod of its own.
    pub pods: usize,
    /// The strictest level that passes at `latest`.
    #[serde(serialize_with = "as_text")]
    pub strictest: Level,
    /// Where `strictest` passes.
    pub versions: VersionRange,
    /// The next stricter level and what blocks it (absent at restricted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<NextLevel>,
    /// Where each level passes.
    #[serde(skip)]
    pub passes: std::sync::Arc<Passes>,
}

/// How the recommended enforce label compares with the namespace's current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// The recommendation is stricter than what is enforced now.
    Tighten,
    /// What is enforced now is the recommendation (the version pin may differ).
    Already,
    /// The recommendation is looser: something violates the current enforce policy.
    Looser,
}

impl Change {
    /// How the text report says it.
    pub fn describe(self) -> &'static str {
        match self {
            Change::Tighten => "tighten",
            Change::Already => "already there",
            Change::Looser => "looser than current",
        }
    }
}

/// An object that fails a level, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Offender {
    /// The object.
    #[serde(flatten)]
    pub object: ObjectRef,
    /// The failed checks.
    pub blockers: Vec<Blocker>,
}

/// A namespace's current Pod Security policy.
#[derive(Debug, Clone, Serialize)]
pub struct Current {
    /// Its `pod-security.kubernetes.io/` labels.
    pub labels: BTreeMap<String, String>,
    /// The enforce policy they give (with the configuration's defaults).
    pub enforce: String,
    /// The audit policy.
    pub audit: String,
    /// The warn policy.
    pub warn: String,
    /// Whether the configuration exempts the namespace.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exempt: bool,
    /// The policy, parsed.
    #[serde(skip)]
    pub policy: Policy,
}

/// A namespace's answer.
#[derive(Debug, Clone, Serialize)]
pub struct NamespaceResult {
    /// The namespace.
    pub name: String,
    /// Its units (indices into [`Analysis::units`]).
    #[serde(skip)]
    pub units: Vec<usize>,
    /// How many units and pods it holds.
    pub workloads: usize,
    /// How many pods.
    pub pods: usize,
    /// The strictest level all its units pass at `latest`.
    #[serde(serialize_with = "as_text")]
    pub strictest: Level,
    /// Where that level holds for all of them.
    pub versions: VersionRange,
    /// The labels to set.
    pub labels: BTreeMap<String, String>,
    /// The version pin recommended.
    #[serde(skip)]
    pub pin: Version,
    /// Its labels now.
    pub current: Current,
    /// How the recommendation compares with the current enforce policy.
    pub change: Change,
    /// The objects violating the current enforce policy (when `change` is `looser`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violating: Vec<Offender>,
    /// The next stricter level (absent at restricted).
    #[serde(
        rename = "nextLevel",
        skip_serializing_if = "Option::is_none",
        serialize_with = "option_as_text"
    )]
    pub next_level: Option<Level>,
    /// The objects that fail the next stricter level at `latest`, and why.
    pub blockers: Vec<Offender>,
}

/// The whole analysis.
#[derive(Debug)]
pub struct Analysis {
    /// The versions evaluated.
    pub versions: Versions,
    /// The cluster's Kubernetes version (`--kube-version`).
    pub kube: Version,
    /// One answer per unit, in inventory order.
    pub units: Vec<UnitResult>,
    /// One answer per namespace, by name.
    pub namespaces: Vec<NamespaceResult>,
    /// How many distinct pods (templates) were evaluated.
    pub distinct: usize,
}

/// The pass flags of one distinct pod (template).
fn evaluate_passes(item: &Item, registry: &Registry, versions: &Versions) -> Passes {
    let flags = |level: Level| {
        let epochs = versions.epochs(level);
        let mut flags = vec![false; versions.list.len()];
        for i in 0..flags.len() {
            flags[i] = if epochs[i] == i {
                item.evaluate(registry, LevelVersion::new(level, versions.list[i]))
                    .is_allowed()
            } else {
                flags[epochs[i]]
            };
        }
        flags
    };
    Passes {
        baseline: flags(Level::Baseline),
        restricted: flags(Level::Restricted),
    }
}

/// Analyses `inventory`: units, then namespaces, with the configuration's `defaults` and
/// exempt namespaces (`exempt`).
pub fn analyse(
    inventory: &Inventory,
    registry: &Registry,
    kube: Version,
    defaults: &Policy,
    exempt: &(dyn Fn(&str) -> bool + Sync),
) -> Analysis {
    let versions = Versions::of(registry);
    let units = inventory.units();

    // Distinct pods (templates): identical replicas are evaluated once. The checks read
    // the annotations and the spec only (never the name or namespace).
    type Key<'a> = (
        &'a BTreeMap<String, String>,
        &'a podsec_policy::model::PodSpec,
    );
    let mut distinct: HashMap<Key<'_>, usize> = HashMap::new();
    let mut firsts: Vec<usize> = Vec::new();
    let spec_of: Vec<usize> = units
        .iter()
        .map(|u| {
            let item = &inventory.items[u.item];
            *distinct
                .entry((&item.metadata.annotations, &item.spec))
                .or_insert_with(|| {
                    firsts.push(u.item);
                    firsts.len() - 1
                })
        })
        .collect();
    let passes: Vec<std::sync::Arc<Passes>> = firsts
        .par_iter()
        .map(|&i| std::sync::Arc::new(evaluate_passes(&inventory.items[i], registry, &versions)))
        .collect();
    let latest = versions.list.len() - 1;

    let results: Vec<UnitResult> = units
        .par_iter()
        .zip(spec_of.par_iter())
        .map(|(unit, &spec)| {
            let item = &inventory.items[unit.item];
            let passes = std::sync::Arc::clone(&passes[spec]);
            let strictest = passes.strictest();
            let next = next_level(strictest).map(|level| {
                let evaluation = item.evaluate(registry, LevelVersion::new(level, Version::Latest));
                NextLevel {
                    level,
                    passes_at: passes
                        .of(level)
                        .map(|f| spans(&versions, f))
                        .unwrap_or_default(),
                    blockers: blockers(&evaluation),
                }
            });
            UnitResult {
                object: item.at.clone(),
                item: unit.item,
                replicas: item.ownership.replicas,
                pods: unit.pods + usize::from(item.is_pod()),
                strictest,
                versions: range(&versions, &passes, strictest),
                next,
                passes,
            }
        })
        .collect();

    let mut by_namespace: BTreeMap<String, Vec<usize>> = inventory
        .namespace_names()
        .into_iter()
        .map(|n| (n, Vec::new()))
        .collect();
    for (index, unit) in results.iter().enumerate() {
        let ns = unit
            .object
            .namespace
            .clone()
            .unwrap_or_else(|| inventory.default_namespace.clone());
        by_namespace.entry(ns).or_default().push(index);
    }

    let namespaces: Vec<NamespaceResult> = by_namespace
        .into_par_iter()
        .map(|(name, members)| {
            let mut passes = Passes::all(&versions);
            for &u in &members {
                passes.and(&results[u].passes);
            }
            let strictest = passes.strictest();
            let versions_range = range(&versions, &passes, strictest);
            let pin = if kube.is_latest() {
                versions_range.newest
            } else {
                kube
            };
            let labels_now: BTreeMap<String, String> = inventory
                .namespace_labels(&name)
                .map(|l| {
                    l.iter()
                        .filter(|(k, _)| k.starts_with(LABEL_PREFIX))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            let (policy, _) = podsec_admission::labels::policy_from_labels(&labels_now, defaults);
            let current = Current {
                enforce: policy.enforce.to_string(),
                audit: policy.audit.to_string(),
                warn: policy.warn.to_string(),
                exempt: exempt(&name),
                labels: labels_now,
                policy,
            };
            let enforce_now = policy.enforce;
            let at_now = versions.index_of(enforce_now.version);
            let change = if strictest > enforce_now.level {
                Change::Tighten
            } else if members
                .iter()
                .all(|&u| results[u].passes.passes(enforce_now.level, at_now))
            {
                Change::Already
            } else {
                Change::Looser
            };
            let violating = if change == Change::Looser {
                offenders(inventory, registry, &results, &members, enforce_now, at_now)
            } else {
                Vec::new()
            };
            let next_level = next_level(strictest);
            let blockers = next_level
                .map(|level| {
                    offenders(
                        inventory,
                        registry,
                        &results,
                        &members,
                        LevelVersion::new(level, Version::Latest),
                        latest,
                    )
                })
                .unwrap_or_default();
            let mut labels = BTreeMap::new();
            labels.insert(format!("{LABEL_PREFIX}enforce"), strictest.to_string());
            labels.insert(format!("{LABEL_PREFIX}enforce-version"), pin.to_string());
            NamespaceResult {
                workloads: members.len(),
                pods: members.iter().map(|&u| results[u].pods).sum(),
                name,
                units: members,
                strictest,
                versions: versions_range,
                labels,
                pin,
                current,
                change,
                violating,
                next_level,
                blockers,
            }
        })
        .collect();

    Analysis {
        versions,
        kube,
        units: results,
        namespaces,
        distinct: firsts.len(),
    }
}

/// The level after `level`, if any.
pub fn next_level(level: Level) -> Option<Level> {
    match level {
        Level::Privileged => Some(Level::Baseline),
        Level::Baseline => Some(Level::Restricted),
        Level::Restricted => None,
    }
}

/// The units of `members` that fail `policy` (at version index `at`), with the library's
/// reasons.
pub fn offenders(
    inventory: &Inventory,
    registry: &Registry,
    units: &[UnitResult],
    members: &[usize],
    policy: LevelVersion,
    at: usize,
) -> Vec<Offender> {
    members
        .iter()
        .filter(|&&u| !units[u].passes.passes(policy.level, at))
        .map(|&u| {
            let item = &inventory.items[units[u].item];
            Offender {
                object: item.at.clone(),
                blockers: blockers(&item.evaluate(registry, policy)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions() -> Versions {
        Versions::of(Registry::builtin())
    }

    #[test]
    fn epochs_group_versions_with_the_same_checks() {
        let v = versions();
        let restricted = v.epochs(Level::Restricted);
        // latest evaluates as the newest version.
        let last = v.list().len() - 1;
        assert_eq!(restricted[last], restricted[last - 1]);
        // seccompProfile_restricted starts at v1.19: a new epoch there.
        assert_eq!(restricted[19], 19);
        assert_eq!(restricted[18], restricted[17]);
        assert_eq!(v.index_of(Version::v1(5)), 5);
        assert_eq!(v.index_of(Version::v1(9999)), last - 1);
        assert_eq!(v.index_of(Version::Latest), last);
    }

    #[test]
    fn ranges_end_at_latest_and_name_older_runs() {
        let v = versions();
        let n = v.list().len();
        // Passes at v1.0–v1.3, fails v1.4–v1.9, passes from v1.10 to latest.
        let flags: Vec<bool> = (0..n).map(|i| i <= 3 || i >= 10).collect();
        let passes = Passes {
            baseline: flags,
            restricted: vec![false; n],
        };
        let r = range(&v, &passes, Level::Baseline);
        assert_eq!(r.oldest, Version::v1(10));
        assert_eq!(r.newest, v.newest());
        assert_eq!(
            r.also,
            [Span {
                from: Version::v1(0),
                to: Version::v1(3)
            }]
        );
        assert_eq!(
            r.to_string(),
            format!("v1.10–{} and latest (also v1.0–v1.3)", v.newest())
        );
        assert_eq!(passes.strictest(), Level::Baseline);
        // Privileged passes everywhere.
        let p = range(&v, &passes, Level::Privileged);
        assert_eq!((p.oldest, p.also.len()), (Version::v1(0), 0));
    }
}

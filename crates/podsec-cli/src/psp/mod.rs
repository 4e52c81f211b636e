//! `podsec psp PATH...`: for each `PodSecurityPolicy` (policy/v1beta1), the strictest Pod
//! Security level whose every allowed pod it would also allow, for which versions, and the
//! fields that prevent a stricter level.
//!
//! No check is implemented twice: the policy's fields are turned into *probe pods*
//! ([`probes`]), the most permissive pods it admits field by field, and the [`Registry`]
//! evaluates them. The policy maps to level L at version V when every probe passes L at V.
//!
//! | PSP field (or annotation) | probe pod |
//! |---|---|
//! | `spec.privileged: true` | a privileged container |
//! | `spec.hostNetwork`, `hostPID`, `hostIPC: true` | the pod in that host namespace |
//! | `spec.hostPorts` | a container port with `hostPort` at each range's lowest non-zero port |
//! | `spec.volumes` | a volume of each type (`*`: every type; `cephFS` is `cephfs`); `hostPath` at `allowedHostPaths[0].pathPrefix`, else `/` |
//! | `spec.allowedCapabilities`, `defaultAddCapabilities` | each capability added (`*`: `SYS_ADMIN`) |
//! | `spec.requiredDropCapabilities` without `ALL` | a container that drops only those |
//! | `spec.allowPrivilegeEscalation` unset or `true` | `allowPrivilegeEscalation: true` |
//! | `spec.runAsUser.rule: RunAsAny` | `runAsUser: 0`, no `runAsNonRoot` |
//! | `spec.runAsUser.rule: MustRunAsNonRoot` | `runAsUser: 1000`, no `runAsNonRoot` (the policy sets `runAsNonRoot` only on pods that set neither) |
//! | `spec.runAsUser.rule: MustRunAs` | the ranges' lowest uid, no `runAsNonRoot` |
//! | `spec.seLinux.rule: RunAsAny` | `seLinuxOptions` type `spc_t`, user `system_u`, role `system_r` |
//! | `spec.seLinux.rule: MustRunAs` | its `seLinuxOptions` |
//! | `spec.allowedUnsafeSysctls` | each sysctl (`prefix*`: `prefix` + `probe`; `*`: `kernel.msgmax`) |
//! | `spec.allowedProcMountTypes: Unmasked` | `procMount: Unmasked` |
//! | `seccomp.security.alpha.kubernetes.io/allowedProfileNames` | each profile as a `seccompProfile` field (`runtime/default`, `docker/default`: `RuntimeDefault`; `localhost/x`: `Localhost`; `unconfined`, `*`: `Unconfined`); unset or `*`: also no profile, or the `defaultProfileName` |
//! | `apparmor.security.beta.kubernetes.io/allowedProfileNames` | each profile as the container's AppArmor annotation; unset: `unconfined` (the policy then does not restrict AppArmor) |
//!
//! Fields no Pod Security check reads (`runAsGroup`, `supplementalGroups`, `fsGroup`,
//! `readOnlyRootFilesystem`, `allowedFlexVolumes`, `allowedCSIDrivers`, `runtimeClass`,
//! `forbiddenSysctls`) make no probe. Fields a PodSecurityPolicy never governed (probe and
//! lifecycle `host`, checked by `baseline` since v1.34; Windows `hostProcess`) are kept
//! compliant in every probe: the answer is about what the policy itself lets through.
//!
//! Given pods (a snapshot or a cluster), their `kubernetes.io/psp` annotation says which
//! policy admitted them: each policy lists the namespaces of the pods it covered. A live
//! cluster gives its pods and, up to Kubernetes v1.24, its policies; `--psp-file` adds
//! policies kept as manifests (a v1.25+ cluster's pods still carry the annotation).

pub mod probes;

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use podsec_kube::listing::{PODS, PSP_RESOURCE, Resource};
use podsec_policy::{Level, Registry, Version};
use serde::Serialize;

use crate::diff::{OutputFormat, plural};
use crate::inventory::{Inventory, ObjectRef, Problem, RawObject, SourceArgs, manifests};

/// `podsec psp`'s flags.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0; 2 when an input or a PodSecurityPolicy field cannot be read."
)]
pub struct PspArgs {
    /// Output format.
    #[arg(long, env = "PODSEC_FORMAT", value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,

    /// PodSecurityPolicy manifests (files or directories) read besides the source: the
    /// policies kept in version control, for a cluster (or a snapshot) whose pods still
    /// name them. With a live cluster, policies are then not listed from it.
    #[arg(long = "psp-file", value_name = "PATH")]
    pub psp_files: Vec<PathBuf>,
}

/// The level a policy maps to over a range of versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionRange {
    /// The first version.
    pub from: String,
    /// The last version (`latest` for the newest).
    pub to: String,
    /// The level.
    pub level: String,
}

/// A field that keeps a policy from a stricter level.
#[derive(Debug, Clone, Serialize)]
pub struct Blocker {
    /// The level it blocks.
    pub level: String,
    /// The field and the value that lets the probe pod through.
    pub field: String,
    /// The checks the probe pod fails.
    pub checks: Vec<&'static str>,
    /// Upstream's message for the probe pod at that level.
    pub message: String,
}

/// Pods a policy admitted in one namespace.
#[derive(Debug, Clone, Serialize)]
pub struct Covered {
    /// The namespace.
    pub namespace: String,
    /// Pods annotated with the policy's name there.
    pub pods: usize,
}

/// One policy's answer.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyAnswer {
    /// The policy.
    #[serde(flatten)]
    pub object: ObjectRef,
    /// The strictest level at `latest`.
    pub level: String,
    /// The level at every version, as ranges.
    pub versions: Vec<VersionRange>,
    /// What keeps it from each stricter level (at `latest`).
    pub blockers: Vec<Blocker>,
    /// Probe pods evaluated.
    pub probes: usize,
    /// Where its pods run (from their `kubernetes.io/psp` annotation).
    pub covered: Vec<Covered>,
}

/// A policy named by pods' `kubernetes.io/psp` annotation but absent from the inputs.
#[derive(Debug, Clone, Serialize)]
pub struct Unknown {
    /// The name.
    pub name: String,
    /// Where its pods run.
    pub covered: Vec<Covered>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `--kube-version`: what `latest` is.
    #[serde(rename = "latestIs")]
    pub latest_is: String,
    /// Each policy, in input order.
    pub policies: Vec<PolicyAnswer>,
    /// Policies pods name that the inputs do not hold.
    #[serde(rename = "unknownPolicies")]
    pub unknown: Vec<Unknown>,
    /// What could not be read (inputs, and policies with unreadable fields).
    pub problems: Vec<Problem>,
}

/// The strictest level every probe passes at `version`.
fn level_at(registry: &Registry, probes: &[probes::Probe], version: Version) -> Level {
    for level in [Level::Restricted, Level::Baseline] {
        if probes.iter().all(|p| {
            registry
                .evaluate(level, version, &p.metadata, &p.spec)
                .is_allowed()
        }) {
            return level;
        }
    }
    Level::Privileged
}

/// Answers one policy; an error names its unreadable fields.
pub fn answer(
    registry: &Registry,
    policy: &RawObject,
    covered: Vec<Covered>,
) -> Result<PolicyAnswer, Problem> {
    let probes = probes::probes(&policy.value).map_err(|errors| Problem {
        file: policy.at.file.clone(),
        doc: Some(policy.at.doc),
        line: Some(policy.at.line),
        message: format!(
            "PodSecurityPolicy {}: {}",
            policy.at.name,
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    })?;
    let Version::Release { minor: newest, .. } = registry.newest() else {
        unreachable!("Registry::newest is a release")
    };
    let mut versions: Vec<VersionRange> = Vec::new();
    for minor in 0..=newest {
        let level = level_at(registry, &probes, Version::v1(minor)).to_string();
        let name = if minor == newest {
            "latest".to_owned()
        } else {
            Version::v1(minor).to_string()
        };
        match versions.last_mut() {
            Some(last) if last.level == level => last.to = name,
            _ => versions.push(VersionRange {
                from: Version::v1(minor).to_string(),
                to: name,
                level,
            }),
        }
    }
    let level = level_at(registry, &probes, Version::Latest);
    let mut blockers = Vec::new();
    for stricter in [Level::Baseline, Level::Restricted] {
        if stricter <= level {
            continue;
        }
        for probe in &probes {
            let evaluation =
                registry.evaluate(stricter, Version::Latest, &probe.metadata, &probe.spec);
            if evaluation.is_allowed() {
                continue;
            }
            // A field that already blocks baseline blocks restricted too: said once.
            if stricter == Level::Restricted
                && blockers.iter().any(|b: &Blocker| b.field == probe.field)
            {
                continue;
            }
            blockers.push(Blocker {
                level: stricter.to_string(),
                field: probe.field.clone(),
                checks: evaluation.check_ids().map(|c| c.as_str()).collect(),
                message: evaluation.forbidden_detail(),
            });
        }
    }
    Ok(PolicyAnswer {
        object: policy.at.clone(),
        level: level.to_string(),
        versions,
        blockers,
        probes: probes.len(),
        covered,
    })
}

/// Pods per namespace, per `kubernetes.io/psp` annotation.
fn coverage(inventory: &Inventory) -> BTreeMap<String, BTreeMap<String, usize>> {
    let mut out: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for item in inventory.items.iter().filter(|i| i.is_pod()) {
        if let Some(name) = item.metadata.annotations.get("kubernetes.io/psp") {
            *out.entry(name.clone())
                .or_default()
                .entry(item.at.namespace.clone().unwrap_or_default())
                .or_default() += 1;
        }
    }
    out
}

fn covered_list(map: BTreeMap<String, usize>) -> Vec<Covered> {
    map.into_iter()
        .map(|(namespace, pods)| Covered { namespace, pods })
        .collect()
}

/// Answers every policy of `inventory`.
pub fn report(inventory: &Inventory, registry: &Registry) -> Report {
    let mut coverage = coverage(inventory);
    let mut problems = inventory.problems.clone();
    let mut policies = Vec::new();
    for policy in &inventory.policies {
        let covered = covered_list(coverage.remove(&policy.at.name).unwrap_or_default());
        match answer(registry, policy, covered) {
            Ok(answer) => policies.push(answer),
            Err(problem) => problems.push(problem),
        }
    }
    let unknown = coverage
        .into_iter()
        .filter(|(name, _)| !inventory.policies.iter().any(|p| &p.at.name == name))
        .map(|(name, map)| Unknown {
            name,
            covered: covered_list(map),
        })
        .collect();
    Report {
        latest_is: registry.newest().to_string(),
        policies,
        unknown,
        problems,
    }
}

fn covered_text(covered: &[Covered]) -> String {
    covered
        .iter()
        .map(|c| format!("{} ({})", c.namespace, plural(c.pods, "pod")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The report as text.
pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    for p in &report.policies {
        out.push_str(&format!(
            "PodSecurityPolicy {} ({}): {} at latest ({})\n",
            p.object.name,
            p.object.position(),
            p.level,
            report.latest_is
        ));
        let ranges: Vec<String> = p
            .versions
            .iter()
            .map(|r| {
                if r.from == r.to {
                    format!("{} at {}", r.level, r.from)
                } else {
                    format!("{} at {}..{}", r.level, r.from, r.to)
                }
            })
            .collect();
        out.push_str(&format!("  versions: {}\n", ranges.join("; ")));
        for b in &p.blockers {
            out.push_str(&format!(
                "  blocks {}: {}: {}\n",
                b.level, b.field, b.message
            ));
        }
        if !p.covered.is_empty() {
            out.push_str(&format!(
                "  covered pods in: {}\n",
                covered_text(&p.covered)
            ));
        }
    }
    for u in &report.unknown {
        out.push_str(&format!(
            "pods name PodSecurityPolicy {}, which the inputs do not hold: {}\n",
            u.name,
            covered_text(&u.covered)
        ));
    }
    for problem in &report.problems {
        out.push_str(&format!("error: {problem}\n"));
    }
    out.push_str(&format!(
        "{}: {} restricted, {} baseline, {} privileged at latest\n",
        match report.policies.len() {
            1 => "1 PodSecurityPolicy".to_owned(),
            n => format!("{n} PodSecurityPolicies"),
        },
        count(report, "restricted"),
        count(report, "baseline"),
        count(report, "privileged")
    ));
    out
}

fn count(report: &Report, level: &str) -> usize {
    report.policies.iter().filter(|p| p.level == level).count()
}

/// The policies and the pods: from the source (a live cluster's pods, and its
/// PodSecurityPolicies unless `--psp-file`), plus the policies of `--psp-file`.
fn load(args: &PspArgs) -> anyhow::Result<Inventory> {
    let source = &args.source;
    let files = || {
        manifests::load(
            &args.psp_files,
            source.read_options(),
            source.namespace.as_deref().unwrap_or("default"),
        )
    };
    let mut inventory = if source.is_live() {
        let resources: &[Resource] = if args.psp_files.is_empty() {
            &[PODS, PSP_RESOURCE]
        } else {
            &[PODS]
        };
        source.load_resources(resources)?
    } else if source.paths.is_empty() && !args.psp_files.is_empty() {
        return Ok(files());
    } else {
        source.load()?
    };
    if !args.psp_files.is_empty() {
        let files = files();
        inventory.policies.extend(files.policies);
        inventory.problems.extend(files.problems);
    }
    Ok(inventory)
}

/// Runs `podsec psp`; the exit status: 0, or 2 when something could not be read.
pub fn run(args: &PspArgs) -> anyhow::Result<u8> {
    let registry = crate::diff::registry(args.source.kube_version)?;
    let inventory = load(args)?;
    if inventory.policies.is_empty() && inventory.problems.is_empty() {
        anyhow::bail!("no PodSecurityPolicy (policy/v1beta1) in the inputs");
    }
    let report = report(&inventory, &registry);
    let text = match args.format {
        OutputFormat::Text => render_text(&report),
        OutputFormat::Json => crate::output::json(&report)?,
    };
    crate::output::write(None, &text)?;
    Ok(if report.problems.is_empty() { 0 } else { 2 })
}

//! `podsec recommend`'s text report.

use std::fmt::Write as _;

use super::Prepared;
use super::analysis::{Change, NamespaceResult, Offender, UnitResult};

/// `3 pods`, `1 pod`.
pub fn pods(n: usize) -> String {
    if n == 1 {
        "1 pod".to_owned()
    } else {
        format!("{n} pods")
    }
}

/// The report.
pub fn render(prepared: &Prepared) -> String {
    let analysis = &prepared.analysis;
    let mut out = String::new();
    let total_pods: usize = analysis.units.iter().map(|u| u.pods).sum();
    let _ = writeln!(
        out,
        "{} namespaces, {} workloads and pods ({}), policy versions {}–{} and latest",
        analysis.namespaces.len(),
        analysis.units.len(),
        pods(total_pods),
        analysis.versions.list()[0],
        analysis.versions.newest(),
    );
    for ns in &analysis.namespaces {
        out.push('\n');
        namespace(&mut out, ns, &analysis.units);
    }
    out
}

fn namespace(out: &mut String, ns: &NamespaceResult, units: &[UnitResult]) {
    let _ = writeln!(
        out,
        "namespace {}: {} ({}), {} workloads, {}",
        ns.name,
        ns.strictest,
        ns.versions,
        ns.workloads,
        pods(ns.pods)
    );
    let now = if ns.current.labels.is_empty() {
        "no labels".to_owned()
    } else {
        ns.current
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let exempt = if ns.current.exempt {
        ", exempt by the configuration"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "  now:  enforce {} ({now}{exempt})",
        ns.current.enforce
    );
    let set: Vec<String> = ns.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(out, "  set:  {}  [{}]", set.join(" "), ns.change.describe());
    if ns.change == Change::Looser {
        let _ = writeln!(
            out,
            "  {} the current enforce policy {}:",
            match ns.violating.len() {
                1 => "1 object violates".to_owned(),
                n => format!("{n} objects violate"),
            },
            ns.current.enforce
        );
        offenders(out, &ns.violating, "    ");
    }
    if let Some(next) = ns.next_level
        && !ns.blockers.is_empty()
    {
        let _ = writeln!(
            out,
            "  {next} is blocked by {}:",
            objects(ns.blockers.len())
        );
        offenders(out, &ns.blockers, "    ");
    }
    if ns.units.is_empty() {
        let _ = writeln!(out, "  no workloads or pods");
        return;
    }
    let _ = writeln!(out, "  workloads:");
    for &u in &ns.units {
        unit(out, &units[u]);
    }
}

fn objects(n: usize) -> String {
    if n == 1 {
        "1 object".to_owned()
    } else {
        format!("{n} objects")
    }
}

fn offenders(out: &mut String, list: &[Offender], indent: &str) {
    for o in list {
        let _ = writeln!(
            out,
            "{indent}{} ({})",
            o.object.display(),
            o.object.position()
        );
        for b in &o.blockers {
            let _ = writeln!(out, "{indent}  {}: {}", b.check, b.message());
        }
    }
}

fn unit(out: &mut String, u: &UnitResult) {
    let _ = writeln!(
        out,
        "    {:<10}  {} ({}, {}): {}",
        u.strictest.as_str(),
        u.object.display(),
        u.object.position(),
        pods(u.pods),
        u.versions,
    );
    if let Some(next) = &u.next {
        let also = if next.passes_at.is_empty() {
            String::new()
        } else {
            let spans: Vec<String> = next.passes_at.iter().map(ToString::to_string).collect();
            format!(" (passes at {})", spans.join(", "))
        };
        let _ = writeln!(
            out,
            "                {} blocked at latest by{also}:",
            next.level
        );
        for b in &next.blockers {
            let _ = writeln!(out, "                  {}: {}", b.check, b.message());
            for field in &b.fields {
                let _ = writeln!(out, "                    {field}");
            }
        }
    }
}

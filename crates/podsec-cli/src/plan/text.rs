//! `podsec plan`'s text report.

use std::fmt::Write as _;

use super::{Decision, Plan, Status, current_labels};

/// `1 object`, `3 objects`.
pub fn objects(n: usize) -> String {
    if n == 1 {
        "1 object".to_owned()
    } else {
        format!("{n} objects")
    }
}

/// What a step's objects do at that step.
pub fn effect(mode: &str) -> &'static str {
    match mode {
        "warn" => "would warn",
        "audit" => "would be audited",
        _ => "would be rejected",
    }
}

/// The plan.
pub fn render(plan: &Plan) -> String {
    let s = &plan.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Rollout plan: {} namespaces ({} done, {} ready, {} blocked, {} kept privileged, {} exempt), {} workloads and pods, {} pods",
        s.namespaces, s.done, s.ready, s.blocked, s.keep_privileged, s.exempt, s.workloads, s.pods
    );
    for ns in &plan.namespaces {
        let r = &ns.recommendation;
        out.push('\n');
        let _ = writeln!(
            out,
            "namespace {}: {} (passes {} now; goal {})",
            ns.name,
            ns.decision.as_str(),
            r.strictest,
            ns.goal
        );
        let labels = current_labels(&r.current.labels);
        let _ = writeln!(
            out,
            "  now: enforce {}, audit {}, warn {} ({})",
            r.current.enforce,
            r.current.audit,
            r.current.warn,
            if labels.is_empty() {
                "no labels".to_owned()
            } else {
                labels.join(" ")
            }
        );
        let _ = writeln!(out, "  why: {}", ns.reason);
        if ns.decision == Decision::Exempt {
            let _ = writeln!(out, "  exempt it in the configuration below");
        }
        for (i, step) in ns.steps.iter().enumerate() {
            let _ = writeln!(
                out,
                "  {}. {} {}:{}  [{}]",
                i + 1,
                step.mode,
                step.level,
                step.version,
                step.status.as_str()
            );
            if !step.blockers.is_empty() {
                let names: Vec<String> = step.blockers.iter().map(|b| b.object.display()).collect();
                let _ = writeln!(
                    out,
                    "     {} {}: {}",
                    objects(step.blockers.len()),
                    effect(step.mode),
                    names.join(", ")
                );
            }
            if step.status == Status::Blocked {
                let _ = writeln!(out, "     fix first:");
                for b in &step.blockers {
                    let _ = writeln!(
                        out,
                        "       {} ({})",
                        b.object.display(),
                        b.object.position()
                    );
                    for v in &b.blockers {
                        let _ = writeln!(out, "         {}: {}", v.check, v.message());
                    }
                }
                if let Some(fix) = &step.fix {
                    let _ = writeln!(out, "     $ {fix}");
                }
            }
            if step.status != Status::Done {
                let _ = writeln!(out, "     $ {}", step.kubectl);
            }
        }
    }
    out.push_str("\nPodSecurityConfiguration");
    if plan.exempt.is_empty() {
        out.push_str(" (no exemptions)");
    }
    out.push_str(":\n");
    for line in plan.configuration.lines() {
        let _ = writeln!(out, "  {line}");
    }
    out
}

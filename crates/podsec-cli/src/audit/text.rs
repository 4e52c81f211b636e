//! The text report: units running in violation first, then each namespace with its policy
//! and one greppable line per violating unit (upstream's messages indented below), then a
//! summary line.

use std::io::{self, Write};

use podsec_admission::Mode;

use super::model::{Audit, NamespaceAudit, UnitAudit};
use crate::inventory::cluster::thousands;
use crate::namespace_mode::PolicyFrom;

/// Writes the report.
pub fn write(out: &mut impl Write, audit: &Audit) -> io::Result<()> {
    let running: Vec<&UnitAudit> = audit
        .results
        .iter()
        .filter(|r| r.exempt.is_none() && r.running_in_violation > 0)
        .collect();
    if !running.is_empty() {
        writeln!(
            out,
            "RUNNING IN VIOLATION of their namespace's enforce policy (admitted before it was set):"
        )?;
        for unit in &running {
            let enforce = unit.mode(Mode::Enforce).map(|m| m.policy.to_string());
            writeln!(
                out,
                "  {}: {} of {} pods violate enforce {}",
                name(unit),
                thousands(unit.running_in_violation),
                thousands(unit.pods),
                enforce.unwrap_or_default()
            )?;
        }
        writeln!(out)?;
    }
    for ns in &audit.namespaces {
        writeln!(out, "{}", namespace_line(ns))?;
        for error in &ns.policy.label_errors {
            writeln!(out, "  label error: {error}")?;
        }
        for unit in audit
            .results
            .iter()
            .filter(|r| r.object.namespace.as_deref() == Some(ns.name.as_str()))
        {
            writeln!(out, "  {}", unit_line(unit))?;
            for (i, mode) in unit.modes.iter().enumerate() {
                // A pod denied by enforce gets no warning of the same policy: say so once.
                match unit.modes[..i].iter().find(|m| m.message == mode.message) {
                    Some(same) => writeln!(
                        out,
                        "      {}: as {} (same policy)",
                        mode.mode.as_str(),
                        same.mode.as_str()
                    )?,
                    None => writeln!(out, "      {}: {}", mode.mode.as_str(), mode.message)?,
                }
            }
        }
    }
    writeln!(out, "{}", summary_line(audit))
}

/// `namespace shop: enforce baseline:latest (label), audit ..., warn ...`.
fn namespace_line(ns: &NamespaceAudit) -> String {
    let mut line = format!("namespace {}:", ns.name);
    if ns.policy.exempt {
        line.push_str(" exempt (configuration);");
    }
    let modes: Vec<String> = Mode::ALL
        .iter()
        .zip(ns.policy.from)
        .map(|(mode, from)| {
            let from = match from {
                PolicyFrom::Label => "label",
                PolicyFrom::EnforceLabel => "follows enforce",
                PolicyFrom::Default => "default",
            };
            format!("{} {} ({from})", mode.as_str(), ns.policy.policy.get(*mode))
        })
        .collect();
    line.push(' ');
    line.push_str(&modes.join(", "));
    if !ns.has_object() {
        line.push_str("; no Namespace object");
    }
    if ns.policy.privileged_by_default() {
        line.push_str("; unlabelled: privileged by default");
    }
    line.push_str(&format!("; {}, {}", units(ns.units), pods(ns.pods)));
    line
}

/// `shop/Deployment/cart (2 replicas, 2 pods) enforce=ok audit=restricted:latest[...] ... at file:line`.
fn unit_line(unit: &UnitAudit) -> String {
    let mut line = name(unit);
    let mut counts = Vec::new();
    if let Some(replicas) = unit.replicas {
        counts.push(format!(
            "{replicas} replica{}",
            if replicas == 1 { "" } else { "s" }
        ));
    }
    if unit.object.kind != "Pod" || unit.pods != 1 {
        counts.push(pods(unit.pods));
    }
    if !counts.is_empty() {
        line.push_str(&format!(" ({})", counts.join(", ")));
    }
    match unit.exempt {
        Some(exemption) => line.push_str(&format!(" EXEMPT ({exemption}), would violate:")),
        None if unit.running_in_violation > 0 => line.push_str(" RUNNING IN VIOLATION:"),
        None => line.push(':'),
    }
    for mode in Mode::ALL {
        match unit.mode(mode) {
            Some(m) => {
                let checks: Vec<&str> = m.violations.iter().map(|v| v.check.as_str()).collect();
                line.push_str(&format!(
                    " {} {}[{}]",
                    mode.as_str(),
                    m.policy,
                    checks.join(",")
                ));
            }
            None => line.push_str(&format!(" {} ok", mode.as_str())),
        }
    }
    line.push_str(&format!(" at {}", unit.object.position()));
    line
}

/// `namespace/Kind/name`.
fn name(unit: &UnitAudit) -> String {
    format!(
        "{}/{}/{}",
        unit.object.namespace.as_deref().unwrap_or_default(),
        unit.object.kind,
        unit.object.name
    )
}

fn units(n: usize) -> String {
    format!("{} unit{}", thousands(n), if n == 1 { "" } else { "s" })
}

fn pods(n: usize) -> String {
    format!("{} pod{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// The summary line.
pub fn summary_line(audit: &Audit) -> String {
    let s = &audit.summary;
    let mut line = format!(
        "audit: {} namespaces ({} privileged by default, {} exempt, {} with label errors), {}, {}: {} violate enforce",
        thousands(s.namespaces),
        s.privileged_by_default,
        s.exempt_namespaces,
        s.label_errors,
        units(s.units),
        pods(s.pods),
        thousands(s.violating[0]),
    );
    if s.running_in_violation > 0 {
        line.push_str(&format!(
            " ({} running in violation: {})",
            thousands(s.running_in_violation),
            pods(s.pods_in_violation)
        ));
    }
    line.push_str(&format!(
        ", {} violate audit, {} violate warn",
        thousands(s.violating[1]),
        thousands(s.violating[2])
    ));
    if s.exempt > 0 {
        line.push_str(&format!(", {} exempt", thousands(s.exempt)));
    }
    if s.problems > 0 {
        line.push_str(&format!(", {} problems", thousands(s.problems)));
    }
    line
}

//! `podsec explain [CHECK]`: each check's documentation, generated from the check
//! definitions themselves (fields, allowed values, how to fix, versions, overrides).

use std::fmt::Write as _;

use clap::Args;
use podsec_policy::checks::{self, Check};
use podsec_policy::{Level, Registry, Version};

/// `podsec explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A check ID (`privileged`, `runAsNonRoot`, ... case-insensitive); without it, every
    /// check is listed.
    #[arg(value_name = "CHECK")]
    pub check: Option<String>,
}

/// Runs `podsec explain`: the text to print, or an error naming the unknown check.
pub fn run(args: &ExplainArgs) -> Result<String, String> {
    match &args.check {
        None => Ok(list()),
        Some(id) => checks::ALL
            .iter()
            .find(|c| c.id.as_str().eq_ignore_ascii_case(id))
            .map(explain)
            .ok_or_else(|| {
                format!(
                    "unknown check {id:?}; `podsec explain` lists the {} checks",
                    checks::ALL.len()
                )
            }),
    }
}

fn sorted() -> Vec<&'static Check> {
    let mut all: Vec<&Check> = checks::ALL.iter().collect();
    all.sort_by_key(|c| (c.level, c.id));
    all
}

fn list() -> String {
    let mut out = String::new();
    for check in sorted() {
        let _ = writeln!(
            out,
            "{:<28} {:<10} {}",
            check.id.as_str(),
            check.level.as_str(),
            check.doc.summary
        );
    }
    out
}

/// The version range `v1.A` – `v1.B` (or `latest`) during which variant `i` is in force.
fn variant_range(check: &Check, i: usize) -> String {
    let from = check.variants[i].since;
    match check.variants.get(i + 1) {
        Some(next) => match next.since {
            Version::Release { major, minor } if minor > 0 => {
                let to = Version::new(major, minor - 1);
                if to == from {
                    format!("{from}")
                } else {
                    format!("{from} – {to}")
                }
            }
            other => format!("{from} – before {other}"),
        },
        None => format!("{from} – latest"),
    }
}

fn explain(check: &Check) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({} level)\n", check.id, check.level);
    let _ = writeln!(out, "{}\n", check.doc.summary);
    let _ = writeln!(out, "Restricted fields:");
    for field in check.doc.fields {
        let _ = writeln!(out, "  {field}");
    }
    let _ = writeln!(out, "\nAllowed values:\n  {}\n", check.doc.allowed);
    let _ = writeln!(out, "To fix:\n  {}\n", check.doc.fix);
    let _ = writeln!(out, "Versions:");
    for (i, variant) in check.variants.iter().enumerate() {
        let _ = write!(out, "  {}", variant_range(check, i));
        if !variant.overrides.is_empty() {
            let names: Vec<&str> = variant.overrides.iter().map(|id| id.as_str()).collect();
            let _ = write!(out, " (replaces {} at restricted)", names.join(", "));
        }
        out.push('\n');
    }
    // Where it runs today.
    let registry = Registry::builtin();
    let levels: Vec<&str> = [Level::Baseline, Level::Restricted]
        .into_iter()
        .filter(|level| {
            registry
                .checks(*level, Version::Latest)
                .iter()
                .any(|c| c.id == check.id)
        })
        .map(Level::as_str)
        .collect();
    let _ = writeln!(
        out,
        "\nAt latest ({}), it runs at: {}.",
        registry.newest(),
        if levels.is_empty() {
            "no level (replaced by a restricted check)".to_owned()
        } else {
            levels.join(", ")
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_every_check_from_its_definition() {
        for check in checks::ALL {
            let text = run(&ExplainArgs {
                check: Some(check.id.as_str().to_uppercase()),
            })
            .expect("known");
            assert!(text.starts_with(check.id.as_str()), "{text}");
            assert!(text.contains(check.doc.allowed));
            assert!(
                text.contains(&format!("To fix:\n  {}\n", check.doc.fix)),
                "{text}"
            );
        }
        let listing = run(&ExplainArgs { check: None }).expect("list");
        assert_eq!(listing.lines().count(), 19);
        assert!(
            run(&ExplainArgs {
                check: Some("nope".into())
            })
            .is_err()
        );
    }

    #[test]
    fn version_ranges_and_levels() {
        let sysctls = run(&ExplainArgs {
            check: Some("sysctls".into()),
        })
        .expect("known");
        assert!(
            sysctls.contains(
                "v1.0 – v1.26\n  v1.27 – v1.28\n  v1.29 – v1.31\n  v1.32 – v1.36\n  v1.37 – latest"
            ),
            "{sysctls}"
        );
        assert!(sysctls.contains("it runs at: baseline, restricted."));
        let host_path = run(&ExplainArgs {
            check: Some("hostPathVolumes".into()),
        })
        .expect("known");
        assert!(host_path.contains("it runs at: baseline."), "{host_path}");
        let caps = run(&ExplainArgs {
            check: Some("capabilities_restricted".into()),
        })
        .expect("known");
        assert!(
            caps.contains("v1.22 – v1.24 (replaces capabilities_baseline at restricted)"),
            "{caps}"
        );
    }
}

//! `podsec recommend`: per workload and per namespace, the strictest level that passes, for
//! which policy versions, the labels to set, and what blocks the next stricter level.

pub mod analysis;
mod text;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use podsec_admission::config::{self, AdmissionConfig, PodSecurityConfiguration};
use podsec_policy::Registry;

use crate::inventory::{Inventory, SourceArgs};
pub use analysis::Analysis;

/// `podsec recommend`'s flags.
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,

    /// The cluster's defaults and exemptions, from a `PodSecurityConfiguration` or an
    /// `AdmissionConfiguration` holding one (default: upstream's, `privileged:latest`, no
    /// exemptions): what unlabelled namespaces enforce now.
    #[arg(long, env = "PODSEC_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// How `podsec recommend` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Per namespace: the strictest level, the labels to set, the blockers, its workloads.
    Text,
    /// One JSON document: `namespaces` and `workloads`.
    Json,
}

/// The inputs analysed: what `recommend` and `plan` share.
#[derive(Debug)]
pub struct Prepared {
    /// The objects.
    pub inventory: Inventory,
    /// The configuration (`--config`, else upstream's default).
    pub config: PodSecurityConfiguration,
    /// The analysis.
    pub analysis: Analysis,
    /// The registry the analysis used (`--kube-version`'s).
    pub registry: Registry,
}

/// Reads the inputs and `config`, and analyses them.
pub fn prepare(source: &SourceArgs, config_path: Option<&Path>) -> anyhow::Result<Prepared> {
    let configuration = match config_path {
        None => config::load(b"")?,
        Some(path) => {
            config::load_any_file(path).with_context(|| format!("--config {}", path.display()))?
        }
    };
    let checked = AdmissionConfig::new(&configuration).with_context(|| match config_path {
        Some(path) => format!("--config {}", path.display()),
        None => "the default configuration".to_owned(),
    })?;
    let registry =
        Registry::with_emulation_version(podsec_policy::checks::ALL, source.kube_version)
            .context("building the checks for --kube-version")?;
    let inventory = source.load()?;
    let analysis = analysis::analyse(
        &inventory,
        &registry,
        source.kube_version,
        &checked.defaults,
        &|ns| checked.exemptions.is_exempt_namespace(ns),
    );
    Ok(Prepared {
        inventory,
        config: configuration,
        analysis,
        registry,
    })
}

/// Prints what could not be read, on standard error; whether there was anything.
pub fn report_problems(inventory: &Inventory) -> bool {
    for problem in &inventory.problems {
        eprintln!("error: {problem}");
    }
    !inventory.problems.is_empty()
}

/// The JSON report.
pub fn to_json(prepared: &Prepared) -> serde_json::Value {
    let analysis = &prepared.analysis;
    serde_json::json!({
        "kubeVersion": analysis.kube.to_string(),
        "versions": {
            "oldest": analysis.versions.list()[0].to_string(),
            "newest": analysis.versions.newest().to_string(),
        },
        "namespaces": analysis.namespaces,
        "workloads": analysis.units,
        "errors": prepared.inventory.problems,
        "summary": {
            "namespaces": analysis.namespaces.len(),
            "workloads": analysis.units.len(),
            "pods": analysis.units.iter().map(|u| u.pods).sum::<usize>(),
            "distinctTemplates": analysis.distinct,
        },
    })
}

/// Runs `podsec recommend`; the exit status (2 when an input could not be read).
pub fn run(args: &RecommendArgs) -> anyhow::Result<u8> {
    let prepared = prepare(&args.source, args.config.as_deref())?;
    let out = match args.format {
        Format::Text => text::render(&prepared),
        Format::Json => crate::output::json(&to_json(&prepared))?,
    };
    crate::output::write(args.output.as_deref(), &out)?;
    Ok(if report_problems(&prepared.inventory) {
        2
    } else {
        0
    })
}

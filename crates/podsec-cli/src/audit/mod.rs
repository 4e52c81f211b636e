//! `podsec audit`: the cluster's Pod Security posture now. Per namespace its labels and
//! effective enforce, audit and warn policies (and where each comes from), and every unit
//! (a controller with its pods, or a pod of its own) that violates one of them, with
//! upstream's messages from the admission engine. As text, JSON, or `wgpolicyk8s.io`
//! policy reports, which `--apply` writes to the cluster.

mod json;
mod model;
mod policyreport;
mod text;
mod yaml;

use std::io::{self, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use podsec_admission::config::{self, AdmissionConfig};
use podsec_policy::Registry;

use crate::inventory::SourceArgs;

use model::{Audit, audit};

/// How the audit is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// Grouped per namespace: its policy, then one line per violating unit with the
    /// checks, and upstream's messages below it; a summary line.
    Text,
    /// One JSON document: namespaces with their policy, results, problems, a summary.
    Json,
    /// A YAML stream of `wgpolicyk8s.io/v1alpha2` `PolicyReport`s (one per namespace) and
    /// one `ClusterPolicyReport` (namespace-level findings), for Kyverno's Policy Reporter.
    Policyreport,
    /// The same reports as one JSON `v1` `List`.
    PolicyreportJson,
}

/// `podsec audit`'s flags.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,

    /// The cluster's `PodSecurityConfiguration` (or an `AdmissionConfiguration` holding
    /// one): the defaults of unlabelled namespaces and the exemptions.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,

    /// Write the policy reports to the cluster by server-side apply (field manager
    /// `podsec`); needs a live cluster (`--cluster`, `--context` or `--kubeconfig`).
    #[arg(long)]
    pub apply: bool,
}

/// The field manager of `--apply`.
pub const FIELD_MANAGER: &str = "podsec";

/// Runs `podsec audit`; the exit status (0: nothing violates its enforce policy, 1:
/// something does).
pub fn run(args: &AuditArgs) -> anyhow::Result<u8> {
    if args.apply && !args.source.is_live() {
        anyhow::bail!(
            "--apply writes policy reports to a live cluster: give --cluster, --context or --kubeconfig"
        );
    }
    let config = match &args.config {
        None => AdmissionConfig::new(&config::load(b"")?)?,
        Some(path) => config::load_any_file(path)
            .and_then(|c| AdmissionConfig::new(&c))
            .with_context(|| format!("--config {}", path.display()))?,
    };
    let registry = Arc::new(
        Registry::with_emulation_version(podsec_policy::checks::ALL, args.source.kube_version)
            .context("building the checks for --kube-version")?,
    );
    let inventory = args.source.load()?;
    let result = audit(&inventory, config, &registry);
    let now = policyreport::Timestamp::now();
    let reports = || policyreport::reports(&result, now);

    let written = write(args.format, &result, reports);
    match written {
        // `podsec audit | head`: the rest is dropped, the exit status stays exact.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.context("writing the report")?,
    }
    if args.apply {
        apply(args, &reports())?;
    }
    // A live listing's problems (a kind not listed) were warnings already; an input that
    // cannot be read is an error.
    if !args.source.is_live() && !result.problems.is_empty() {
        for problem in &result.problems {
            eprintln!("error: {problem}");
        }
        return Ok(2);
    }
    Ok(result.exit_code())
}

/// Writes the report on standard output.
fn write(
    format: AuditFormat,
    result: &Audit,
    reports: impl Fn() -> Vec<serde_json::Value>,
) -> io::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        AuditFormat::Text => text::write(&mut out, result)?,
        AuditFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &json::document(result))?;
            writeln!(out)?;
        }
        AuditFormat::Policyreport => {
            for report in reports() {
                writeln!(out, "---")?;
                yaml::write(&mut out, &report)?;
            }
        }
        AuditFormat::PolicyreportJson => {
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": reports()});
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
    }
    out.flush()
}

/// Writes `reports` to the cluster; says on standard error what it applied.
fn apply(args: &AuditArgs, reports: &[serde_json::Value]) -> anyhow::Result<()> {
    let runtime = crate::inventory::cluster::runtime()?;
    runtime.block_on(async {
        let connection = crate::inventory::cluster::connect(&args.source).await?;
        for report in reports {
            let kind = report["kind"].as_str().unwrap_or_default();
            let name = report["metadata"]["name"].as_str().unwrap_or_default();
            let at = match report["metadata"]["namespace"].as_str() {
                Some(ns) => format!("{kind} {ns}/{name}"),
                None => format!("{kind} {name}"),
            };
            podsec_kube::apply::apply_policy_report(&connection.client, report, FIELD_MANAGER)
                .await
                .with_context(|| format!("applying {at} to {}", connection.server))?;
            let results = report["results"].as_array().map_or(0, Vec::len);
            eprintln!("applied {at} ({results} results)");
        }
        eprintln!(
            "applied {} policy reports to {} (field manager {FIELD_MANAGER})",
            reports.len(),
            connection.server
        );
        Ok(())
    })
}

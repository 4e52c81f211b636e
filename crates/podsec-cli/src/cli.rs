//! Command-line definitions.

use std::ffi::OsStr;
use std::fmt::Display;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::str::FromStr;

use clap::builder::{BoolishValueParser, PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand, ValueEnum};
use podsec_policy::{Level, Version};

/// Check Kubernetes manifests against the Pod Security Standards, with the exact results
/// and messages of Pod Security Admission.
#[derive(Debug, Parser)]
#[command(name = "podsec", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate the pods and pod templates of manifest files, as Pod Security Admission
    /// would: against a level and version (level mode), or in their namespaces, with the
    /// namespaces' labels and the cluster's configuration (namespace mode).
    ///
    /// Exit status: 0 when every object is allowed, 1 when one is denied, 2 on a usage or
    /// input error (everything readable is still evaluated and reported).
    Check(CheckArgs),

    /// Write a CA, a serving certificate for the webhook's Service and its key (`ca.crt`,
    /// `tls.crt`, `tls.key`), and print the base64 `caBundle`: TLS for clusters without
    /// cert-manager.
    Certs(crate::certs::CertsArgs),

    /// Run the validating admission webhook (HTTPS): upstream's Pod Security webhook, with
    /// configuration and certificate reload, metrics and graceful shutdown.
    ///
    /// Exit status: 0 after a clean shutdown (SIGTERM or SIGINT), 1 on a start-up error.
    Serve(crate::serve::ServeArgs),

    /// Explain a check: what it forbids, the fields it reads, the values it allows and the
    /// versions of its behaviour. Without a check, list them all.
    Explain(crate::explain::ExplainArgs),

    /// Your cluster's Pod Security posture now: per namespace its policy (labels and the
    /// configuration's defaults), and every pod and workload that violates its enforce,
    /// audit or warn policy, with upstream's messages; as text, JSON or PolicyReports.
    Audit(crate::audit::AuditArgs),

    /// Per workload and per namespace: the strictest level that passes, for which versions,
    /// the labels to set, and what blocks the next stricter level.
    Recommend(crate::recommend::RecommendArgs),

    /// Which objects change decision or message between two policy versions at a level.
    Diff(crate::diff::DiffArgs),

    /// What relabelling a namespace would do: the API server's answer to the label change,
    /// byte for byte, then the full report, every workload template included.
    Whatif(crate::whatif::WhatifArgs),

    /// A rollout plan per namespace: the ordered label changes (warn, audit, enforce), each
    /// step's blockers, the `kubectl label` commands, and the exemptions to keep.
    Plan(crate::plan::PlanArgs),

    /// The smallest change that makes each failing object pass a level: a unified diff of
    /// the files (comments kept), in place with `--write`, or patches.
    Fix(crate::fix::FixArgs),

    /// For each PodSecurityPolicy, the strictest Pod Security level that allows every pod
    /// it allows, and the fields that prevent a stricter one.
    Psp(crate::psp::PspArgs),

    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `podsec check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Level mode: the Pod Security Standards level every object is checked against
    /// (default `restricted` when no namespace context is given). Without `--level` and
    /// `--version`, objects are judged in their namespaces (namespace mode) when the inputs
    /// hold a `Namespace` with a `pod-security.kubernetes.io/` label or a namespace flag is
    /// given.
    #[arg(
        long,
        env = "PODSEC_LEVEL",
        value_name = "LEVEL",
        value_parser = StrictParser::<Level>::new("--level", &["privileged", "baseline", "restricted"]),
    )]
    pub level: Option<Level>,

    /// Level mode: the policy version, `latest` or a Kubernetes minor version `v1.N`
    /// (default `latest`).
    #[arg(
        long,
        env = "PODSEC_VERSION",
        value_name = "VERSION",
        value_parser = StrictParser::<Version>::new("--version", &[]),
    )]
    pub version: Option<Version>,

    /// Namespace mode: the namespace of objects without `metadata.namespace` (default
    /// `default`).
    #[arg(
        long,
        short = 'n',
        env = "PODSEC_NAMESPACE",
        value_name = "NAMESPACE",
        conflicts_with_all = ["level", "version"],
    )]
    pub namespace: Option<String>,

    /// Namespace mode: the labels of every namespace that has no `Namespace` object in the
    /// inputs, as `KEY=VALUE,...`; the short keys `enforce`, `enforce-version`, `audit`,
    /// `audit-version`, `warn`, `warn-version` stand for `pod-security.kubernetes.io/<key>`.
    #[arg(
        long,
        env = "PODSEC_NAMESPACE_LABELS",
        value_name = "KEY=VALUE,...",
        value_parser = crate::namespace_mode::parse_labels,
        conflicts_with_all = ["level", "version"],
    )]
    pub namespace_labels: Option<std::collections::BTreeMap<String, String>>,

    /// Namespace mode: the cluster's defaults and exemptions, from a
    /// `PodSecurityConfiguration` or an `AdmissionConfiguration` holding one (default:
    /// upstream's, `privileged:latest` and no exemptions).
    #[arg(
        long,
        env = "PODSEC_CONFIG",
        value_name = "FILE",
        conflicts_with_all = ["level", "version"],
    )]
    pub config: Option<PathBuf>,

    /// Namespace mode: podsec's opt-in policy (a `podsec.dev/v1alpha1` `PodsecPolicy`), as
    /// `podsec serve --policy` applies it: image rules and fine-grained exemptions.
    #[arg(
        long,
        env = "PODSEC_POLICY",
        value_name = "FILE",
        conflicts_with_all = ["level", "version"],
    )]
    pub policy: Option<PathBuf>,

    /// Namespace mode: the user creating the objects (for the configuration's exempt
    /// usernames).
    #[arg(
        long,
        env = "PODSEC_USERNAME",
        value_name = "USER",
        conflicts_with_all = ["level", "version"],
    )]
    pub username: Option<String>,

    /// Namespace mode: count a workload whose pod template the namespace's enforce policy
    /// would deny as denied (the API server creates it, and its pods then fail to be
    /// created).
    #[arg(
        long,
        env = "PODSEC_ENFORCE_WORKLOADS",
        value_parser = BoolishValueParser::new(),
        conflicts_with_all = ["level", "version"],
    )]
    pub enforce_workloads: bool,

    /// The Kubernetes version of the cluster, `v1.N` or `latest` (the newest known, v1.37):
    /// which defaulting the API server applies, and what `latest` means.
    #[arg(
        long,
        env = "PODSEC_KUBE_VERSION",
        value_name = "VERSION",
        default_value = "latest",
        value_parser = StrictParser::<Version>::new("--kube-version", &[]),
    )]
    pub kube_version: Version,

    /// Output format.
    #[arg(long, env = "PODSEC_FORMAT", value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Colors in the text format: `auto` colors a terminal unless `NO_COLOR` is set
    /// (`CLICOLOR_FORCE` forces them), `always`, or `never`. Other formats have none.
    #[arg(
        long,
        env = "PODSEC_COLOR",
        value_name = "WHEN",
        value_enum,
        default_value_t = clap::ColorChoice::Auto
    )]
    pub color: clap::ColorChoice,

    /// Evaluate objects exactly as written, without the API server's defaulting
    /// (sourceless volumes become `emptyDir`, a hostNetwork pod's ports get
    /// `hostPort = containerPort`, ...: see the README's table).
    #[arg(long, env = "PODSEC_RAW", value_parser = BoolishValueParser::new())]
    pub raw: bool,

    /// Write the report to FILE instead of standard output; the terminal then gets only the
    /// summary line (on standard error).
    #[arg(long, short = 'o', env = "PODSEC_OUTPUT", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Manifest files, directories (searched recursively for `.yaml`, `.yml` and `.json`
    /// files, in sorted order), or `-` for standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

impl CheckArgs {
    /// Whether a flag of namespace mode is given.
    pub fn has_namespace_flags(&self) -> bool {
        self.namespace.is_some()
            || self.namespace_labels.is_some()
            || self.config.is_some()
            || self.policy.is_some()
            || self.username.is_some()
            || self.enforce_workloads
    }

    /// Whether a flag of level mode is given.
    pub fn has_level_flags(&self) -> bool {
        self.level.is_some() || self.version.is_some()
    }
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Grouped by file: a line per object with upstream's message, a line per violated
    /// check with its fields and a fix hint; notes, errors and a summary on standard error.
    Text,
    /// One JSON document with results, skipped objects, errors and a summary.
    Json,
    /// SARIF 2.1.0 for code scanning: the checks as rules, one result per violation.
    Sarif,
    /// JUnit XML: a test suite per file, a test case per object.
    Junit,
    /// GitHub Actions workflow commands: one `::error` (or `::warning`) annotation per
    /// violation, at its field's line.
    Github,
    /// What `kubectl apply` prints: the admission responses (namespace mode), or against a
    /// namespace enforcing the level and version (level mode).
    Kubectl,
}

/// Parses with the type's strict `FromStr`, reporting upstream's message:
/// `invalid value "v1.01" for --version: must be "latest" or "v1.x"`.
#[derive(Debug)]
pub(crate) struct StrictParser<T> {
    flag: &'static str,
    possible: &'static [&'static str],
    _type: PhantomData<fn() -> T>,
}

impl<T> StrictParser<T> {
    pub(crate) fn new(flag: &'static str, possible: &'static [&'static str]) -> Self {
        StrictParser {
            flag,
            possible,
            _type: PhantomData,
        }
    }
}

impl<T> Clone for StrictParser<T> {
    fn clone(&self) -> Self {
        StrictParser::new(self.flag, self.possible)
    }
}

impl<T> TypedValueParser for StrictParser<T>
where
    T: FromStr + Clone + Send + Sync + 'static,
    T::Err: Display,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let text = value.to_string_lossy();
        text.parse::<T>().map_err(|err| {
            let message = format!(
                "invalid value {} for {}: {err}\n",
                podsec_policy::text::go_quote(&text),
                self.flag
            );
            clap::Error::raw(ErrorKind::InvalidValue, message).with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        if self.possible.is_empty() {
            return None;
        }
        Some(Box::new(self.possible.iter().map(PossibleValue::new)))
    }
}

//! `podsec`: check Kubernetes manifests against the Pod Security Standards.

mod audit;
mod certs;
mod check;
mod cli;
mod diff;
mod explain;
mod fix;
mod input;
mod inventory;
mod namespace_mode;
mod output;
mod plan;
mod psp;
mod recommend;
mod report;
mod serve;
mod whatif;

use std::io::{self, IsTerminal as _, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use std::sync::Arc;

use podsec_admission::config::{self, AdmissionConfig};
use podsec_policy::{Level, LevelVersion, Registry, Version};

use crate::cli::{CheckArgs, Cli, Command};

/// A faster allocator: decoding allocates many small values, from several threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => match run_check(&args) {
            Ok(code) => ExitCode::from(code),
            Err(err) => {
                let _ = writeln!(io::stderr(), "error: {err:#}");
                ExitCode::from(2)
            }
        },
        Command::Certs(args) => match certs::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                let _ = writeln!(io::stderr(), "error: {err:#}");
                ExitCode::from(1)
            }
        },
        Command::Serve(args) => serve::run(&args),
        Command::Explain(args) => match explain::run(&args) {
            Ok(text) => {
                let _ = io::stdout().write_all(text.as_bytes());
                ExitCode::SUCCESS
            }
            Err(err) => {
                let _ = writeln!(io::stderr(), "error: {err}");
                ExitCode::from(2)
            }
        },
        Command::Audit(args) => exit_status(audit::run(&args)),
        Command::Recommend(args) => exit_status(recommend::run(&args)),
        Command::Diff(args) => exit_status(diff::run(&args)),
        Command::Whatif(args) => exit_status(whatif::run(&args)),
        Command::Plan(args) => exit_status(plan::run(&args)),
        Command::Fix(args) => exit_status(fix::run(&args)),
        Command::Psp(args) => exit_status(psp::run(&args)),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            // Installed as `kubectl-podsec`, the binary is still completed as `podsec`.
            clap_complete::generate(shell, &mut command, "podsec", &mut io::stdout());
            ExitCode::SUCCESS
        }
    }
}

/// An adoption command's exit status: its own, or 2 after printing its error.
fn exit_status(result: anyhow::Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let _ = writeln!(io::stderr(), "error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run_check(args: &CheckArgs) -> anyhow::Result<u8> {
    // Generous worker stacks: decoding recurses once per nesting level.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(16 << 20)
        .build_global();
    let inputs = input::Inputs::new(&args.paths);
    let options = options(args, &inputs)?;
    let stdout: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ),
        None => Box::new(ClosedPipeIsFine(io::stdout().lock())),
    };
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout);
    // Not locked: the progress line is drawn on standard error from another thread.
    let mut err = ClosedPipeIsFine(io::stderr());
    let terminal = report::Terminal::new(
        args.format,
        args.color,
        &report::ColorEnv::current(),
        args.output.is_none() && io::stdout().is_terminal(),
        io::stderr().is_terminal(),
    );
    let summary = {
        let mut sink = report::sink(
            args.format,
            options.level_policy(),
            terminal,
            &mut out,
            &mut err,
        );
        check::run(&inputs, &options, sink.as_mut()).context("writing the report")?
    };
    out.flush().context("writing the report")?;
    if let Some(path) = &args.output {
        // The text and github formats already end with the summary on standard error.
        if !matches!(args.format, cli::Format::Text | cli::Format::Github) {
            let _ = writeln!(err, "{}", report::summary_line(&summary));
        }
        let _ = writeln!(err, "report written to {}", path.display());
    }
    Ok(summary.exit_code())
}

/// The run's options: level mode when `--level` or `--version` is given, or when there is
/// no namespace context at all (no namespace flag, and no `Namespace` with a Pod Security
/// label in the inputs); namespace mode otherwise.
fn options(args: &CheckArgs, inputs: &input::Inputs) -> anyhow::Result<check::Options> {
    let registry = Arc::new(
        Registry::with_emulation_version(podsec_policy::checks::ALL, args.kube_version)
            .context("building the checks for --kube-version")?,
    );
    let level_mode = |level: Option<Level>, version: Option<Version>| {
        check::Mode::Level(LevelVersion::new(
            level.unwrap_or(Level::Restricted),
            version.unwrap_or(Version::Latest),
        ))
    };
    let mode = if args.has_level_flags() {
        level_mode(args.level, args.version)
    } else {
        let found = namespace_mode::scan(inputs);
        if !args.has_namespace_flags()
            && !found
                .iter()
                .any(|f| namespace_mode::has_pod_security_labels(&f.namespace))
        {
            level_mode(None, None)
        } else {
            let config = match &args.config {
                None => AdmissionConfig::new(&config::load(b"")?)?,
                Some(path) => config::load_any_file(path)
                    .and_then(|c| AdmissionConfig::new(&c))
                    .with_context(|| format!("--config {}", path.display()))?,
            };
            let namespaces = namespace_mode::InputNamespaces::new(
                found,
                args.namespace_labels.clone().unwrap_or_default(),
            );
            let extension = match &args.policy {
                None => None,
                Some(path) => {
                    let (policy, _) = podsec_server::policy::load_policy(path)
                        .map_err(|err| anyhow::anyhow!("--policy {err}"))?;
                    let extension: Arc<dyn podsec_admission::extension::Extension> = Arc::new(
                        podsec_server::policy::PolicyExtension::new(Arc::new(policy), None),
                    );
                    Some(extension)
                }
            };
            check::Mode::Namespace(Box::new(
                namespace_mode::Cluster::new(
                    config,
                    namespaces,
                    Arc::clone(&registry),
                    args.namespace
                        .clone()
                        .unwrap_or_else(|| "default".to_owned()),
                    args.username.clone().unwrap_or_default(),
                    args.enforce_workloads,
                )
                .with_extension(extension),
            ))
        }
    };
    Ok(check::Options {
        mode,
        raw: args.raw,
        kube: args.kube_version,
        registry,
        locate: matches!(args.format, cli::Format::Sarif | cli::Format::Github),
    })
}

/// A writer for which a closed pipe (`podsec check ... | head`) is not an error: the rest
/// of the output is dropped, the check runs to the end and its exit code stays exact.
struct ClosedPipeIsFine<W>(W);

impl<W: Write> Write for ClosedPipeIsFine<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.0.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(buf.len()),
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.0.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

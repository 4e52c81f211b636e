//! `podsec`: check Kubernetes manifests against the Pod Security Standards.

mod certs;
mod check;
mod cli;
mod explain;
mod input;
mod report;
mod serve;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use podsec_policy::LevelVersion;

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
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            // Installed as `kubectl-podsec`, the binary is still completed as `podsec`.
            clap_complete::generate(shell, &mut command, "podsec", &mut io::stdout());
            ExitCode::SUCCESS
        }
    }
}

fn run_check(args: &CheckArgs) -> anyhow::Result<u8> {
    // Generous worker stacks: decoding recurses once per nesting level.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(16 << 20)
        .build_global();
    let options = check::Options {
        policy: LevelVersion::new(args.level, args.version),
        raw: args.raw,
    };
    let stdout: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ),
        None => Box::new(ClosedPipeIsFine(io::stdout().lock())),
    };
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout);
    let mut err = ClosedPipeIsFine(io::stderr().lock());
    let summary = {
        let mut sink = report::sink(args.format, options.policy, &mut out, &mut err);
        check::run(&args.paths, options, sink.as_mut()).context("writing the report")?
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

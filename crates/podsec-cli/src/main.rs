//! `podsec`: check Kubernetes manifests against the Pod Security Standards.

mod certs;
mod check;
mod cli;
mod input;
mod report;

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
    let report = check::run(&args.paths, options);
    let code = report.summary().exit_code();
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut err = io::stderr().lock();
    let rendered = report::render(&report, args.format, &mut out, &mut err);
    // The process ends right after: freeing every object one by one is wasted time.
    std::mem::forget(report);
    match rendered {
        Ok(()) => Ok(code),
        // A closed pipe (`podsec check ... | head`) is not an error of the check.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(code),
        Err(e) => Err(e).context("writing the report"),
    }
}

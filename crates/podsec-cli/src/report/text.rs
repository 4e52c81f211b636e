//! `--format text`: one line per evaluated object; errors and a summary on standard error.

use std::io::{self, Write};

use crate::check::{Evaluated, Outcome, Report, Summary};

/// Writes result lines to `out`, then errors and the summary line to `err`.
pub fn render(report: &Report, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
    let policy = report.policy;
    for (file, outcome) in report.outcomes() {
        if let Outcome::Evaluated(e) = outcome {
            write!(out, "{file}:{} {} ", e.line, e.kind)?;
            write_name(out, e)?;
            if e.evaluation.is_allowed() {
                writeln!(out, ": allowed")?;
            } else {
                writeln!(
                    out,
                    ": violates PodSecurity \"{policy}\": {}",
                    e.evaluation.forbidden_detail()
                )?;
            }
        }
    }
    out.flush()?;

    for input in &report.inputs {
        match input {
            Err(e) => match e.line {
                Some(line) => writeln!(err, "error: {}: line {line}: {}", e.name, e.message)?,
                None => writeln!(err, "error: {}: {}", e.name, e.message)?,
            },
            Ok(file) => {
                for outcome in &file.outcomes {
                    if let Outcome::Error(e) = outcome {
                        writeln!(err, "error: {}: {e}", file.name)?;
                    }
                }
            }
        }
    }
    writeln!(err, "{}", summary_line(&report.summary()))?;
    err.flush()
}

fn write_name(out: &mut dyn Write, e: &Evaluated) -> io::Result<()> {
    if let Some(ns) = &e.namespace {
        write!(out, "{ns}/")?;
    }
    if e.name.is_empty() {
        write!(out, "<unnamed>")
    } else {
        write!(out, "{}", e.name)
    }
}

/// `3 objects checked: 1 allowed, 2 denied, 1 skipped, 0 errors`.
pub fn summary_line(s: &Summary) -> String {
    format!(
        "{} {} checked: {} allowed, {} denied, {} skipped, {} {}",
        s.evaluated,
        if s.evaluated == 1 {
            "object"
        } else {
            "objects"
        },
        s.allowed,
        s.denied,
        s.skipped,
        s.errors,
        if s.errors == 1 { "error" } else { "errors" },
    )
}

//! `--format text`: one line per evaluated object as it is checked; errors and a summary on
//! standard error at the end.

use std::io::{self, Write};

use crate::check::{Evaluated, Outcome, Sink, Summary};
use crate::input::InputError;

/// Writes result lines to `out`; errors and the summary line to `err` at the end.
pub struct TextSink<'w> {
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
    /// Error lines, printed after the results.
    errors: Vec<String>,
}

impl<'w> TextSink<'w> {
    pub fn new(out: &'w mut dyn Write, err: &'w mut dyn Write) -> Self {
        TextSink {
            out,
            err,
            errors: Vec::new(),
        }
    }
}

impl Sink for TextSink<'_> {
    fn objects(&mut self, file: &str, outcomes: &[Outcome]) -> io::Result<()> {
        for outcome in outcomes {
            match outcome {
                Outcome::Evaluated(e) => {
                    write!(self.out, "{file}:{} {} ", e.line, e.kind)?;
                    write_name(self.out, e)?;
                    if e.evaluation.is_allowed() {
                        match e.admission.as_ref().and_then(|a| a.status.as_ref()) {
                            Some(status) if !e.allowed => {
                                writeln!(self.out, ": denied: {}", status.message)?
                            }
                            _ => writeln!(self.out, ": allowed")?,
                        }
                    } else {
                        writeln!(
                            self.out,
                            ": {}violates PodSecurity \"{}\": {}",
                            if e.allowed { "allowed, but " } else { "" },
                            e.policy,
                            e.evaluation.forbidden_detail()
                        )?;
                    }
                    for warning in e.admission.iter().flat_map(|a| &a.warnings) {
                        writeln!(self.out, "  warning: {warning}")?;
                    }
                }
                Outcome::Error(e) => self.errors.push(format!("error: {file}: {e}")),
                Outcome::Skipped(_) => {}
            }
        }
        Ok(())
    }

    fn input_error(&mut self, e: &InputError) -> io::Result<()> {
        self.errors.push(match e.line {
            Some(line) => format!("error: {}: line {line}: {}", e.name, e.message),
            None => format!("error: {}: {}", e.name, e.message),
        });
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.out.flush()?;
        for line in &self.errors {
            writeln!(self.err, "{line}")?;
        }
        writeln!(self.err, "{}", summary_line(summary))?;
        self.err.flush()
    }
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
        "{} {} checked: {} allowed, {} denied, {} skipped, {} {}{}",
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
        if s.warned > 0 {
            format!(", {} with warnings", s.warned)
        } else {
            String::new()
        },
    )
}

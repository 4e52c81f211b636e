//! `--format github`: GitHub Actions workflow commands, one `::error` annotation per
//! violation (`::warning` when the API server would only warn: a workload in namespace
//! mode) and per decode error; in namespace mode also the admission's own denials and
//! warnings, written as they are found; the summary line goes to
//! standard error (the job log) at the end.

use std::io::{self, Write};
use std::sync::Arc;

use podsec_policy::text::go_quote;

use crate::check::{Evaluated, Outcome, Renderer, Sink, Summary};
use crate::input::InputError;
use crate::report::text::summary_line;

/// Writes `::error file=...,line=...,title=...::message` lines to `out`.
pub struct GithubSink<'w> {
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
}

impl<'w> GithubSink<'w> {
    pub fn new(out: &'w mut dyn Write, err: &'w mut dyn Write) -> Self {
        GithubSink { out, err }
    }
}

/// An object's annotations.
fn render(file: &str, e: &Evaluated, out: &mut dyn Write) -> io::Result<()> {
    let object = format!("{} {}", e.kind, e.display_name());
    // A violation the API server would only warn about is a warning.
    let command = if e.allowed { "warning" } else { "error" };
    for (index, violation) in e.evaluation.violations.iter().enumerate() {
        let title = format!("PodSecurity {}", violation.check);
        let message = format!(
            "{object} violates PodSecurity {}: {}",
            go_quote(&e.policy.to_string()),
            violation.to_message()
        );
        // At the first finding's field (or its deepest ancestor).
        let (line, _) = e.violation_line(index);
        annotation(out, command, file, Some(line), &title, &message)?;
    }
    if let Some(admission) = e.admission.as_ref().filter(|_| e.evaluation.is_allowed()) {
        if let Some(status) = admission.status.as_ref().filter(|_| !e.allowed) {
            let message = format!("{object}: {}", status.message);
            annotation(
                out,
                "error",
                file,
                Some(e.line),
                "PodSecurity admission",
                &message,
            )?;
        }
        for warning in &admission.warnings {
            let message = format!("{object}: {warning}");
            annotation(
                out,
                "warning",
                file,
                Some(e.line),
                "PodSecurity warning",
                &message,
            )?;
        }
    }
    Ok(())
}

impl Sink for GithubSink<'_> {
    fn renderer(&self) -> Option<Renderer> {
        Some(Arc::new(|file, e, bytes| {
            // Writing to a Vec cannot fail.
            let _ = render(file, e, bytes);
        }))
    }

    fn objects(&mut self, file: &str, outcomes: &[Outcome]) -> io::Result<()> {
        for outcome in outcomes {
            match outcome {
                Outcome::Evaluated(e) => match &e.rendered {
                    Some(bytes) => self.out.write_all(bytes)?,
                    None => render(file, e, &mut *self.out)?,
                },
                Outcome::Error(err) => {
                    annotation(
                        self.out,
                        "error",
                        file,
                        Some(err.line),
                        "podsec decode error",
                        &format!("document {}: {}", err.doc, err.message()),
                    )?;
                }
                Outcome::Skipped(_) => {}
            }
        }
        Ok(())
    }

    fn input_error(&mut self, err: &InputError) -> io::Result<()> {
        annotation(
            self.out,
            "error",
            &err.name,
            err.line,
            "podsec input error",
            &err.message,
        )
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.out.flush()?;
        writeln!(self.err, "{}", summary_line(summary))?;
        self.err.flush()
    }
}

/// One `::error` workflow command.
fn annotation(
    out: &mut dyn Write,
    command: &str,
    file: &str,
    line: Option<usize>,
    title: &str,
    message: &str,
) -> io::Result<()> {
    write!(out, "::{command} file={}", escape_property(file))?;
    if let Some(line) = line.filter(|l| *l > 0) {
        write!(out, ",line={line}")?;
    }
    writeln!(
        out,
        ",title={}::{}",
        escape_property(title),
        escape_data(message)
    )
}

/// Escapes a command's message: `%`, `\r` and `\n`.
pub fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a command's property value: as data, plus `:` and `,`.
pub fn escape_property(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("100%\r\na:b,c"), "100%25%0D%0Aa:b,c");
        assert_eq!(escape_property("100%\r\na:b,c"), "100%25%0D%0Aa%3Ab%2Cc");
    }

    #[test]
    fn annotation_line() {
        let mut out = Vec::new();
        annotation(
            &mut out,
            "error",
            "a,b:c.yaml",
            Some(3),
            "PodSecurity x",
            "m\n%",
        )
        .expect("write");
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "::error file=a%2Cb%3Ac.yaml,line=3,title=PodSecurity x::m%0A%25\n"
        );
        let mut out = Vec::new();
        annotation(&mut out, "error", "-", None, "t", "m").expect("write");
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "::error file=-,title=t::m\n"
        );
    }
}

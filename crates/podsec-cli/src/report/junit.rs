//! `--format junit`: JUnit XML for CI test dashboards. One `<testsuite>` per input file,
//! one `<testcase>` per evaluated object (a `<failure>` when it violates the policy), an
//! `<error>` test case per document or input that could not be read.
//!
//! Streamed one file at a time: a test suite's counts are attributes of its start tag, so
//! the test cases of the current file are held until the next file begins. The root
//! `<testsuites>` carries no counts for the same reason (consumers add up the suites).

use std::fmt::Write as _;
use std::io::{self, Write};

use podsec_policy::text::go_quote;

use crate::check::{Evaluated, Outcome, Sink, Summary};
use crate::input::InputError;

/// Writes one `<testsuites>` document.
pub struct JunitSink<'w> {
    out: &'w mut dyn Write,
    started: bool,
    /// The file whose test cases are being collected.
    suite: Option<Suite>,
}

/// The test cases of one file, not yet written.
#[derive(Default)]
struct Suite {
    file: String,
    tests: usize,
    failures: usize,
    errors: usize,
    /// The `<testcase>` elements.
    body: String,
}

impl<'w> JunitSink<'w> {
    pub fn new(out: &'w mut dyn Write) -> Self {
        JunitSink {
            out,
            started: false,
            suite: None,
        }
    }

    /// The suite of `file`, writing the previous file's suite first.
    fn suite(&mut self, file: &str) -> io::Result<&mut Suite> {
        if self.suite.as_ref().is_some_and(|s| s.file != file) {
            self.flush_suite()?;
        }
        Ok(self.suite.get_or_insert_with(|| Suite {
            file: file.to_owned(),
            ..Suite::default()
        }))
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            self.out.write_all(
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"podsec\">\n",
            )?;
        }
        Ok(())
    }

    fn flush_suite(&mut self) -> io::Result<()> {
        self.start()?;
        if let Some(suite) = self.suite.take() {
            writeln!(
                self.out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
                escape(&suite.file),
                suite.tests,
                suite.failures,
                suite.errors
            )?;
            self.out.write_all(suite.body.as_bytes())?;
            self.out.write_all(b"  </testsuite>\n")?;
        }
        Ok(())
    }
}

impl Sink for JunitSink<'_> {
    fn objects(&mut self, file: &str, outcomes: &[Outcome]) -> io::Result<()> {
        let suite = self.suite(file)?;
        for outcome in outcomes {
            match outcome {
                Outcome::Evaluated(e) => suite.object(e),
                Outcome::Error(err) => suite.error(
                    &format!("document {} (line {})", err.doc, err.line),
                    "DecodeError",
                    &err.message(),
                ),
                Outcome::Skipped(_) => {}
            }
        }
        Ok(())
    }

    fn input_error(&mut self, err: &InputError) -> io::Result<()> {
        self.flush_suite()?;
        let name = match err.line {
            Some(line) => format!("line {line}"),
            None => "read".to_owned(),
        };
        self.suite(&err.name)?
            .error(&name, "InputError", &err.message);
        self.flush_suite()
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        self.flush_suite()?;
        self.start()?;
        self.out.write_all(b"</testsuites>\n")?;
        self.out.flush()
    }
}

impl Suite {
    fn object(&mut self, e: &Evaluated) {
        self.tests += 1;
        let name = format!("{} {}", e.kind, e.display_name());
        let _ = write!(
            self.body,
            "    <testcase name=\"{}\" classname=\"{}\"",
            escape(&name),
            escape(&self.file)
        );
        if e.allowed {
            self.body.push_str("/>\n");
            return;
        }
        self.failures += 1;
        let message = match e.admission.as_ref().and_then(|a| a.status.as_ref()) {
            Some(status) if e.evaluation.is_allowed() => status.message.clone(),
            _ => format!(
                "violates PodSecurity {}: {}",
                go_quote(&e.policy.to_string()),
                e.evaluation.forbidden_detail()
            ),
        };
        let mut text = format!("{}:{}: {name}\n", self.file, e.line);
        for violation in &e.evaluation.violations {
            let _ = writeln!(text, "{}: {}", violation.check, violation.to_message());
            for finding in &violation.findings {
                let _ = writeln!(text, "  {}", e.location.object_path(&finding.path));
            }
        }
        let _ = write!(
            self.body,
            ">\n      <failure message=\"{}\" type=\"PodSecurity\">{}</failure>\n    </testcase>\n",
            escape(&message),
            escape_text(&text)
        );
    }

    fn error(&mut self, name: &str, kind: &str, message: &str) {
        self.tests += 1;
        self.errors += 1;
        let _ = write!(
            self.body,
            "    <testcase name=\"{}\" classname=\"{}\">\n      <error message=\"{}\" type=\"{kind}\"/>\n    </testcase>\n",
            escape(name),
            escape(&self.file),
            escape(message)
        );
    }
}

/// Escapes text for an XML 1.0 attribute value or element content: the markup characters,
/// whitespace that attribute normalization would change, and characters XML 1.0 cannot
/// hold at all (replaced by U+FFFD).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes element content: as [`escape`], but line breaks and tabs stay as they are.
fn escape_text(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            escape(line)
                .replace("&#9;", "\t")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape("a<b>&\"c'\n\t\r\u{1}\u{ffff}é"),
            "a&lt;b&gt;&amp;&quot;c&apos;&#10;&#9;&#13;\u{fffd}\u{fffd}é"
        );
        assert_eq!(escape_text("a\n\t\"b<"), "a\n\t\"b&lt;");
    }
}

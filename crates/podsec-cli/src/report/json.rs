//! `--format json`: one JSON document for the whole run.

use std::io::{self, Write};

use podsec_policy::{Finding, FindingKind, Violation};
use serde::Serialize;
use serde::ser::Serializer;

use crate::check::{Evaluated, Outcome, Report, Summary};

/// Writes the report as one pretty-printed JSON document followed by a newline.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let document = Document {
        results: Results { report },
        skipped: report
            .outcomes()
            .filter_map(|(file, outcome)| match outcome {
                Outcome::Skipped(s) => Some(JsonSkipped {
                    file,
                    doc: s.doc,
                    kind: s.kind(),
                }),
                _ => None,
            })
            .collect(),
        errors: errors(report),
        summary: report.summary(),
    };
    serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

#[derive(Serialize)]
struct Document<'a> {
    results: Results<'a>,
    skipped: Vec<JsonSkipped<'a>>,
    errors: Vec<JsonError<'a>>,
    summary: Summary,
}

impl Serialize for Summary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Counts {
            evaluated: usize,
            allowed: usize,
            denied: usize,
            skipped: usize,
            errors: usize,
        }
        Counts {
            evaluated: self.evaluated,
            allowed: self.allowed,
            denied: self.denied,
            skipped: self.skipped,
            errors: self.errors,
        }
        .serialize(serializer)
    }
}

/// The evaluated objects, serialized one by one (never all held as JSON values at once).
struct Results<'a> {
    report: &'a Report,
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let level = self.report.policy.level.as_str();
        let version = self.report.policy.version.to_string();
        serializer.collect_seq(
            self.report
                .outcomes()
                .filter_map(|(file, outcome)| match outcome {
                    Outcome::Evaluated(e) => Some(JsonResult::new(file, e, level, &version)),
                    _ => None,
                }),
        )
    }
}

#[derive(Serialize)]
struct JsonResult<'a> {
    file: &'a str,
    doc: usize,
    line: usize,
    kind: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    level: &'a str,
    version: &'a str,
    allowed: bool,
    violations: Vec<JsonViolation<'a>>,
    message: String,
}

impl<'a> JsonResult<'a> {
    fn new(file: &'a str, e: &'a Evaluated, level: &'a str, version: &'a str) -> Self {
        JsonResult {
            file,
            doc: e.doc,
            line: e.line,
            kind: &e.kind,
            name: &e.name,
            namespace: e.namespace.as_deref(),
            level,
            version,
            allowed: e.evaluation.is_allowed(),
            violations: e
                .evaluation
                .violations
                .iter()
                .map(|v| JsonViolation::new(v, e))
                .collect(),
            message: e.evaluation.forbidden_detail(),
        }
    }
}

#[derive(Serialize)]
struct JsonViolation<'a> {
    check: &'static str,
    reason: &'static str,
    detail: &'a str,
    findings: Vec<JsonFinding<'a>>,
}

impl<'a> JsonViolation<'a> {
    fn new(violation: &'a Violation, object: &Evaluated) -> Self {
        JsonViolation {
            check: violation.check.as_str(),
            reason: violation.reason,
            detail: &violation.detail,
            findings: violation
                .findings
                .iter()
                .map(|f| JsonFinding::new(f, object))
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    kind: &'static str,
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    container: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
}

impl<'a> JsonFinding<'a> {
    fn new(finding: &'a Finding, object: &Evaluated) -> Self {
        JsonFinding {
            kind: match finding.kind {
                FindingKind::Forbidden => "forbidden",
                FindingKind::Unset => "unset",
            },
            path: object.location.object_path(&finding.path),
            container: finding.container.as_deref(),
            value: finding.value.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct JsonSkipped<'a> {
    file: &'a str,
    doc: usize,
    kind: &'a str,
}

/// An error; `doc` and `line` are `null` for an input that could not be read at all.
#[derive(Serialize)]
struct JsonError<'a> {
    file: &'a str,
    doc: Option<usize>,
    line: Option<usize>,
    message: String,
}

fn errors(report: &Report) -> Vec<JsonError<'_>> {
    let mut out = Vec::new();
    for input in &report.inputs {
        match input {
            Err(err) => out.push(JsonError {
                file: &err.name,
                doc: None,
                line: err.line,
                message: err.message.clone(),
            }),
            Ok(file) => {
                for outcome in &file.outcomes {
                    if let Outcome::Error(err) = outcome {
                        out.push(JsonError {
                            file: &file.name,
                            doc: Some(err.doc),
                            line: Some(err.line),
                            message: err.message(),
                        });
                    }
                }
            }
        }
    }
    out
}

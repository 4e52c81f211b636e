//! `--format json`: one JSON document for the whole run.

use std::io::{self, Write};

use podsec_policy::{Finding, FindingKind, Violation};
use serde::Serialize;
use serde::ser::Serializer;

use std::collections::BTreeMap;
use std::sync::Arc;

use podsec_admission::Response;

use crate::check::{Evaluated, NamespaceSummary, Outcome, Renderer, Sink, Summary};
use crate::input::InputError;
use crate::namespace_mode::{LabelsFrom, NamespacePolicy};

/// Streams one JSON document: `{"results": [...], "skipped": [...], "errors": [...],
/// "summary": {...}}`, each result on its own line as it is checked (so a run over
/// hundreds of thousands of objects never holds them all).
pub struct JsonSink<'w> {
    out: &'w mut dyn Write,
    /// Namespace mode adds `warned` to the summary.
    namespace_mode: bool,
    results: usize,
    skipped: Vec<OwnedSkipped>,
    errors: Vec<OwnedError>,
}

impl<'w> JsonSink<'w> {
    pub fn new(out: &'w mut dyn Write, namespace_mode: bool) -> Self {
        JsonSink {
            out,
            namespace_mode,
            results: 0,
            skipped: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn separator(&mut self) -> io::Result<()> {
        let prefix: &[u8] = if self.results == 0 {
            b"{\"results\": [\n"
        } else {
            b",\n"
        };
        self.results += 1;
        self.out.write_all(prefix)
    }
}

/// One result's JSON (generic: into a `Vec`, every token is written without a dynamic call).
fn render<W: Write + ?Sized>(file: &str, e: &Evaluated, out: &mut W) -> io::Result<()> {
    serde_json::to_writer(out, &JsonResult::new(file, e)).map_err(io::Error::from)
}

impl Sink for JsonSink<'_> {
    fn renderer(&self) -> Option<Renderer> {
        Some(Arc::new(|file, e, bytes| {
            // Writing to a Vec cannot fail.
            let _ = render(file, e, bytes);
        }))
    }

    fn objects(&mut self, file: &str, outcomes: &[Outcome]) -> io::Result<()> {
        for outcome in outcomes {
            match outcome {
                Outcome::Evaluated(e) => {
                    self.separator()?;
                    match &e.rendered {
                        Some(bytes) => self.out.write_all(bytes)?,
                        None => render(file, e, &mut *self.out)?,
                    }
                }
                Outcome::Skipped(s) => self.skipped.push(OwnedSkipped {
                    file: file.to_owned(),
                    doc: s.doc,
                    kind: s.kind().to_owned(),
                }),
                Outcome::Error(err) => self.errors.push(OwnedError {
                    file: file.to_owned(),
                    doc: Some(err.doc),
                    line: Some(err.line),
                    message: err.message(),
                }),
            }
        }
        Ok(())
    }

    fn input_error(&mut self, err: &InputError) -> io::Result<()> {
        self.errors.push(OwnedError {
            file: err.name.clone(),
            doc: None,
            line: err.line,
            message: err.message.clone(),
        });
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if self.results == 0 {
            self.out.write_all(b"{\"results\": [")?;
        } else {
            self.out.write_all(b"\n")?;
        }
        self.out.write_all(b"],\n\"skipped\": ")?;
        serde_json::to_writer(&mut *self.out, &self.skipped).map_err(io::Error::from)?;
        self.out.write_all(b",\n\"errors\": ")?;
        serde_json::to_writer(&mut *self.out, &self.errors).map_err(io::Error::from)?;
        self.out.write_all(b",\n\"summary\": ")?;
        let summary = JsonSummary {
            summary,
            namespace_mode: self.namespace_mode,
        };
        serde_json::to_writer(&mut *self.out, &summary).map_err(io::Error::from)?;
        self.out.write_all(b"}\n")?;
        self.out.flush()
    }
}

/// The summary object: `warned` only in namespace mode.
pub(super) struct JsonSummary<'a> {
    pub summary: &'a Summary,
    pub namespace_mode: bool,
}

impl Serialize for JsonSummary<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Counts<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            mode: Option<&'static str>,
            evaluated: usize,
            allowed: usize,
            denied: usize,
            skipped: usize,
            errors: usize,
            #[serde(skip_serializing_if = "Option::is_none")]
            warned: Option<usize>,
            #[serde(skip_serializing_if = "Option::is_none")]
            namespaces: Option<Vec<JsonNamespace<'a>>>,
        }
        let s = self.summary;
        Counts {
            mode: self.namespace_mode.then_some("namespace"),
            evaluated: s.evaluated,
            allowed: s.allowed,
            denied: s.denied,
            skipped: s.skipped,
            errors: s.errors,
            warned: self.namespace_mode.then_some(s.warned),
            namespaces: self.namespace_mode.then(|| {
                s.namespaces
                    .iter()
                    .map(|(name, n)| JsonNamespace::new(name, n))
                    .collect()
            }),
        }
        .serialize(serializer)
    }
}

/// Namespace mode: one namespace of the summary, its policy and where it came from.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonNamespace<'a> {
    name: &'a str,
    /// `Namespace` (an object of the inputs), `--namespace-labels`, or `none`.
    labels_from: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    enforce: Option<JsonPolicy>,
    audit: Option<JsonPolicy>,
    warn: Option<JsonPolicy>,
    exempt: bool,
    privileged_by_default: bool,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    label_errors: &'a [String],
    evaluated: usize,
    allowed: usize,
    denied: usize,
    warned: usize,
    invalid: usize,
}

/// `{"policy": "baseline:latest", "from": "label" | "enforce label" | "default"}`.
#[derive(Serialize)]
struct JsonPolicy {
    policy: String,
    from: &'static str,
}

impl<'a> JsonNamespace<'a> {
    fn new(name: &'a str, n: &'a NamespaceSummary) -> Self {
        let policy = n.policy.as_ref();
        let (labels_from, file, line) = match policy.map(|p| &p.labels_from) {
            Some(LabelsFrom::Object { file, line }) => {
                ("Namespace", Some(file.as_str()), Some(*line))
            }
            Some(LabelsFrom::Flag) => ("--namespace-labels", None, None),
            Some(LabelsFrom::Nowhere) | None => ("none", None, None),
        };
        let mode = |i: usize| {
            policy.map(|p| {
                let lv = [p.policy.enforce, p.policy.audit, p.policy.warn][i];
                JsonPolicy {
                    policy: lv.to_string(),
                    from: p.from[i].as_str(),
                }
            })
        };
        JsonNamespace {
            name,
            labels_from,
            file,
            line,
            enforce: mode(0),
            audit: mode(1),
            warn: mode(2),
            exempt: policy.is_some_and(|p| p.exempt),
            privileged_by_default: policy.is_some_and(NamespacePolicy::privileged_by_default),
            label_errors: policy.map_or(&[], |p| p.label_errors.as_slice()),
            evaluated: n.evaluated,
            allowed: n.allowed,
            denied: n.denied,
            warned: n.warned,
            invalid: n.invalid,
        }
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
    level: &'static str,
    version: String,
    allowed: bool,
    violations: Vec<JsonViolation<'a>>,
    message: String,
    /// Namespace mode: the admission response for creating the object.
    #[serde(skip_serializing_if = "Option::is_none")]
    admission: Option<JsonAdmission<'a>>,
    /// Namespace mode: the API server's own warnings (not Pod Security's).
    #[serde(rename = "apiWarnings", skip_serializing_if = "Option::is_none")]
    api_warnings: Option<&'a [String]>,
}

/// `{"allowed", "status": {"code", "reason", "message"} | null, "warnings", "auditAnnotations"}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonAdmission<'a> {
    allowed: bool,
    status: Option<JsonStatus<'a>>,
    warnings: &'a [String],
    audit_annotations: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct JsonStatus<'a> {
    code: u16,
    reason: &'a str,
    message: &'a str,
}

impl<'a> JsonAdmission<'a> {
    fn new(response: &'a Response) -> Self {
        JsonAdmission {
            allowed: response.allowed,
            status: response.status.as_ref().map(|s| JsonStatus {
                code: s.code,
                reason: &s.reason,
                message: &s.message,
            }),
            warnings: &response.warnings,
            audit_annotations: &response.audit_annotations,
        }
    }
}

impl<'a> JsonResult<'a> {
    fn new(file: &'a str, e: &'a Evaluated) -> Self {
        JsonResult {
            file,
            doc: e.doc,
            line: e.line,
            kind: &e.kind,
            name: &e.name,
            namespace: e.namespace.as_deref(),
            level: e.policy.level.as_str(),
            version: e.policy.version.to_string(),
            allowed: e.allowed,
            violations: e
                .evaluation
                .violations
                .iter()
                .map(|v| JsonViolation::new(v, e))
                .collect(),
            message: e.evaluation.forbidden_detail(),
            admission: e.admission.as_deref().map(JsonAdmission::new),
            api_warnings: e.admission.is_some().then_some(e.api_warnings.as_slice()),
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

/// A skipped object.
#[derive(Serialize)]
struct OwnedSkipped {
    file: String,
    doc: usize,
    kind: String,
}

/// An error; `doc` and `line` are `null` for an input that could not be read at all.
#[derive(Serialize)]
struct OwnedError {
    file: String,
    doc: Option<usize>,
    line: Option<usize>,
    message: String,
}

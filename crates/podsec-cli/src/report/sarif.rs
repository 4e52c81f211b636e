//! `--format sarif`: one SARIF 2.1.0 log for code-scanning tools (GitHub code scanning,
//! IDE viewers). The rules are the checks with their documentation; each violation is a
//! result located at the file and line of its object. Results are streamed one per line;
//! the run's summary goes in the run's property bag at the end.

use std::io::{self, Write};
use std::sync::Arc;

use podsec_policy::LevelVersion;
use podsec_policy::checks::{self, Check};
use serde_json::{Value, json};

use crate::check::{Evaluated, Outcome, Renderer, Sink, Summary};
use crate::input::InputError;

/// The schema URI written in `$schema`.
const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// Where every rule's documentation points.
const HELP_URI: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";
/// The rule of documents and inputs that could not be read or decoded.
pub const DECODE_ERROR: &str = "podsec/decode-error";
/// Namespace mode: the API server would reject the object for another reason than a
/// check (an invalid Pod Security label on a Namespace, an object that does not decode).
pub const ADMISSION_DENIED: &str = "podsec/admission-denied";
/// Namespace mode: the API server would admit the object with a warning (the namespace's
/// warn policy is stricter than its enforce policy).
pub const ADMISSION_WARNING: &str = "podsec/admission-warning";

/// Streams a SARIF log: header and rules first, then one result per line.
pub struct SarifSink<'w> {
    out: &'w mut dyn Write,
    /// Level mode's level and version (`None` in namespace mode).
    policy: Option<LevelVersion>,
    results: usize,
}

impl<'w> SarifSink<'w> {
    pub fn new(policy: Option<LevelVersion>, out: &'w mut dyn Write) -> Self {
        SarifSink {
            out,
            policy,
            results: 0,
        }
    }

    fn start(&mut self) -> io::Result<()> {
        let header = json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
        });
        let tool = json!({
            "driver": {
                "name": "podsec",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": HELP_URI,
                "rules": rules(),
            }
        });
        // `{"$schema": ..., "version": ..., "runs": [{"tool": ..., "results": [` by hand, so
        // that the results can follow one by one.
        let header = serde_json::to_string(&header).map_err(io::Error::from)?;
        let open = header.strip_suffix('}').unwrap_or(&header);
        write!(self.out, "{open},\"runs\":[{{\"tool\":")?;
        serde_json::to_writer(&mut *self.out, &tool).map_err(io::Error::from)?;
        self.out.write_all(b",\"results\":[")
    }

    /// An object's results, pre-rendered or rendered now.
    fn evaluated(&mut self, file: &str, e: &Evaluated) -> io::Result<()> {
        match &e.rendered {
            Some(bytes) if bytes.is_empty() => Ok(()),
            Some(bytes) => {
                self.separator()?;
                self.out.write_all(bytes)
            }
            None => {
                for result in results(file, e) {
                    self.result(&result)?;
                }
                Ok(())
            }
        }
    }

    fn result(&mut self, result: &Value) -> io::Result<()> {
        self.separator()?;
        serde_json::to_writer(&mut *self.out, result).map_err(io::Error::from)
    }

    /// The header before the first result, a separator before the others.
    fn separator(&mut self) -> io::Result<()> {
        if self.results == 0 {
            self.start()?;
            self.out.write_all(b"\n")?;
        } else {
            self.out.write_all(b",\n")?;
        }
        self.results += 1;
        Ok(())
    }
}

/// One result per violation (an error when the object is denied, a warning when the
/// API server would only warn); in namespace mode also a denial that no check explains
/// and the warnings of an object whose enforce policy passes.
fn results(file: &str, e: &Evaluated) -> Vec<Value> {
    let mut out = Vec::new();
    let level = if e.allowed { "warning" } else { "error" };
    for (index, violation) in e.evaluation.violations.iter().enumerate() {
        let paths: Vec<String> = violation
            .findings
            .iter()
            .map(|f| e.location.object_path(&f.path))
            .collect();
        // At the first finding's field (or its deepest ancestor in the manifest).
        let (line, column) = e.violation_line(index);
        let mut at = location(file, Some(line), Some(e));
        if let Some(column) = column {
            at["physicalLocation"]["region"]["startColumn"] = column.into();
        }
        let result = json!({
            "ruleId": violation.check.as_str(),
            "ruleIndex": rule_index(violation.check.as_str()),
            "level": level,
            "message": {"text": violation.to_message()},
            "locations": [at],
            "properties": {
                "policy": e.policy.to_string(),
                "doc": e.doc,
                "objectLine": e.line,
                "violation": index,
                "paths": paths,
            },
        });
        out.push(result);
    }
    let Some(admission) = &e.admission else {
        return out;
    };
    let mut extra = Vec::new();
    if !e.allowed && e.evaluation.is_allowed() {
        let message = admission.status.as_ref().map_or("", |s| s.message.as_str());
        extra.push((ADMISSION_DENIED, "error", message));
    }
    if e.evaluation.is_allowed() {
        for warning in &admission.warnings {
            extra.push((ADMISSION_WARNING, "warning", warning.as_str()));
        }
    }
    for (rule, level, message) in extra {
        let result = json!({
            "ruleId": rule,
            "ruleIndex": rule_index(rule),
            "level": level,
            "message": {"text": message},
            "locations": [location(file, Some(e.line), Some(e))],
            "properties": {"policy": e.policy.to_string(), "doc": e.doc},
        });
        out.push(result);
    }
    out
}

impl Sink for SarifSink<'_> {
    fn renderer(&self) -> Option<Renderer> {
        Some(Arc::new(|file, e, bytes| {
            // An object's results, one per line; empty when it has none.
            for (i, result) in results(file, e).iter().enumerate() {
                if i > 0 {
                    bytes.extend_from_slice(b",\n");
                }
                // Writing to a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *bytes, result);
            }
        }))
    }

    fn objects(&mut self, file: &str, outcomes: &[Outcome]) -> io::Result<()> {
        for outcome in outcomes {
            match outcome {
                Outcome::Evaluated(e) => self.evaluated(file, e)?,
                Outcome::Error(err) => {
                    let result = json!({
                        "ruleId": DECODE_ERROR,
                        "ruleIndex": checks::ALL.len(),
                        "level": "error",
                        "message": {"text": err.message()},
                        "locations": [location(file, Some(err.line), None)],
                        "properties": {"doc": err.doc},
                    });
                    self.result(&result)?;
                }
                Outcome::Skipped(_) => {}
            }
        }
        Ok(())
    }

    fn input_error(&mut self, err: &InputError) -> io::Result<()> {
        let result = json!({
            "ruleId": DECODE_ERROR,
            "ruleIndex": checks::ALL.len(),
            "level": "error",
            "message": {"text": err.message},
            "locations": [location(&err.name, err.line, None)],
        });
        self.result(&result)
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if self.results == 0 {
            self.start()?;
        } else {
            self.out.write_all(b"\n")?;
        }
        let summary = super::json::JsonSummary {
            summary,
            namespace_mode: self.policy.is_none(),
        };
        let properties = match self.policy {
            Some(policy) => json!({
                "level": policy.level.as_str(),
                "version": policy.version.to_string(),
                "summary": summary,
            }),
            None => json!({"mode": "namespace", "summary": summary}),
        };
        self.out.write_all(b"],\"properties\":")?;
        serde_json::to_writer(&mut *self.out, &properties).map_err(io::Error::from)?;
        self.out.write_all(b"}]}\n")?;
        self.out.flush()
    }
}

/// Index of a rule in `tool.driver.rules` (the order of [`checks::ALL`], then podsec's own
/// rules).
fn rule_index(id: &str) -> usize {
    checks::ALL
        .iter()
        .position(|c| c.id.as_str() == id)
        .or_else(|| {
            OWN_RULES
                .iter()
                .position(|o| o.0 == id)
                .map(|i| checks::ALL.len() + i)
        })
        .unwrap_or(checks::ALL.len())
}

/// podsec's own rules, after the checks: (ID, name, level, short and full description).
const OWN_RULES: [(&str, &str, &str, &str, &str); 3] = [
    (
        DECODE_ERROR,
        "DecodeError",
        "error",
        "An input that could not be read or decoded as Kubernetes objects.",
        "The file, or one document of it, is not valid YAML or JSON, or a field has the wrong type; its objects were not checked.",
    ),
    (
        ADMISSION_DENIED,
        "AdmissionDenied",
        "error",
        "The API server would reject the object (namespace mode).",
        "Pod Security Admission would reject creating the object for a reason no check names, such as an invalid pod-security.kubernetes.io label on a Namespace.",
    ),
    (
        ADMISSION_WARNING,
        "AdmissionWarning",
        "warning",
        "The API server would admit the object with a warning (namespace mode).",
        "The object passes its namespace's enforce policy, but Pod Security Admission would return a warning, for example because the namespace's warn policy is stricter.",
    ),
];

/// The rules: every check, then podsec's own.
fn rules() -> Vec<Value> {
    let mut rules: Vec<Value> = checks::ALL.iter().map(rule).collect();
    for (id, name, level, short, full) in OWN_RULES {
        rules.push(json!({
            "id": id,
            "name": name,
            "shortDescription": {"text": short},
            "fullDescription": {"text": full},
            "defaultConfiguration": {"level": level},
        }));
    }
    rules
}

fn rule(check: &Check) -> Value {
    let fields = check.doc.fields.join(", ");
    let summary = check.doc.summary.trim_end_matches('.');
    let full = format!(
        "{summary}. Restricted fields: {fields}. Allowed values: {}. To fix: {}.",
        check.doc.allowed.trim_end_matches('.'),
        check.doc.fix.trim_end_matches('.')
    );
    let mut markdown = format!("{summary}.\n\n**Restricted fields:**\n\n");
    for field in check.doc.fields {
        markdown.push_str(&format!("- `{field}`\n"));
    }
    markdown.push_str(&format!(
        "\n**Allowed values:** {}\n\n**To fix:** {}\n\nSee [Pod Security Standards]({HELP_URI}) ({} level); `podsec explain {}` prints the versions of this check.",
        check.doc.allowed,
        check.doc.fix,
        check.level.as_str(),
        check.id.as_str(),
    ));
    json!({
        "id": check.id.as_str(),
        "name": check.id.as_str(),
        "shortDescription": {"text": check.doc.summary},
        "fullDescription": {"text": full},
        "help": {"text": full, "markdown": markdown},
        "helpUri": HELP_URI,
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "level": check.level.as_str(),
            "tags": ["security", "kubernetes", "pod-security-standards", check.level.as_str()],
        },
    })
}

/// A location at `file` (and `line`), naming the object when there is one.
fn location(file: &str, line: Option<usize>, object: Option<&Evaluated>) -> Value {
    let mut physical = json!({"artifactLocation": {"uri": uri(file)}});
    if let Some(line) = line.filter(|l| *l > 0) {
        physical["region"] = json!({"startLine": line});
    }
    let mut location = json!({"physicalLocation": physical});
    if let Some(e) = object {
        let mut qualified = e.kind.clone();
        if let Some(ns) = e.shown_namespace() {
            qualified.push('/');
            qualified.push_str(ns);
        }
        qualified.push('/');
        qualified.push_str(&e.name);
        location["logicalLocations"] = json!([{
            "name": e.name,
            "fullyQualifiedName": qualified,
            "kind": "resource",
            "properties": {"kind": e.kind, "namespace": e.namespace, "name": e.name},
        }]);
    }
    location
}

/// The file as a URI reference: the path as given, `/` separated, percent-encoded where
/// a URI needs it; absolute paths become `file://` URIs.
fn uri(file: &str) -> String {
    let mut out = String::with_capacity(file.len());
    let path = file.replace('\\', "/");
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(uri("examples/mixed.yaml"), "examples/mixed.yaml");
        assert_eq!(uri("a b/c%.yaml"), "a%20b/c%25.yaml");
        assert_eq!(uri("/tmp/x:y.yaml"), "file:///tmp/x%3Ay.yaml");
        assert_eq!(uri("-"), "-");
    }

    #[test]
    fn every_check_is_a_rule() {
        let rules = rules();
        assert_eq!(rules.len(), 22);
        for (i, check) in checks::ALL.iter().enumerate() {
            assert_eq!(rules[i]["id"], check.id.as_str());
            assert_eq!(rule_index(check.id.as_str()), i);
        }
        assert_eq!(rules[19]["id"], DECODE_ERROR);
        for (i, rule) in rules.iter().enumerate() {
            assert_eq!(rule_index(rule["id"].as_str().unwrap()), i);
        }
    }
}

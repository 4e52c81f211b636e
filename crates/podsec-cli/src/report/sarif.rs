//! `--format sarif`: one SARIF 2.1.0 log for code-scanning tools (GitHub code scanning,
//! IDE viewers). The rules are the checks with their documentation; each violation is a
//! result located at the file and line of its object. Results are streamed one per line;
//! the run's summary goes in the run's property bag at the end.

use std::io::{self, Write};

use podsec_policy::LevelVersion;
use podsec_policy::checks::{self, Check};
use serde_json::{Value, json};

use crate::check::{Evaluated, Outcome, Sink, Summary};
use crate::input::InputError;

/// The schema URI written in `$schema`.
const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// Where every rule's documentation points.
const HELP_URI: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";
/// The rule of documents and inputs that could not be read or decoded.
pub const DECODE_ERROR: &str = "podsec/decode-error";

/// Streams a SARIF log: header and rules first, then one result per line.
pub struct SarifSink<'w> {
    out: &'w mut dyn Write,
    policy: LevelVersion,
    results: usize,
}

impl<'w> SarifSink<'w> {
    pub fn new(policy: LevelVersion, out: &'w mut dyn Write) -> Self {
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

    fn result(&mut self, result: &Value) -> io::Result<()> {
        if self.results == 0 {
            self.start()?;
            self.out.write_all(b"\n")?;
        } else {
            self.out.write_all(b",\n")?;
        }
        self.results += 1;
        serde_json::to_writer(&mut *self.out, result).map_err(io::Error::from)
    }
}

impl Sink for SarifSink<'_> {
    fn objects(&mut self, file: &str, outcomes: &[Outcome]) -> io::Result<()> {
        for outcome in outcomes {
            match outcome {
                Outcome::Evaluated(e) => {
                    for (index, violation) in e.evaluation.violations.iter().enumerate() {
                        let rule = rule_index(violation.check.as_str());
                        let paths: Vec<String> = violation
                            .findings
                            .iter()
                            .map(|f| e.location.object_path(&f.path))
                            .collect();
                        let result = json!({
                            "ruleId": violation.check.as_str(),
                            "ruleIndex": rule,
                            "level": "error",
                            "message": {"text": violation.to_message()},
                            "locations": [location(file, Some(e.line), Some(e))],
                            "properties": {
                                "policy": self.policy.to_string(),
                                "doc": e.doc,
                                "violation": index,
                                "paths": paths,
                            },
                        });
                        self.result(&result)?;
                    }
                }
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
        let properties = json!({
            "level": self.policy.level.as_str(),
            "version": self.policy.version.to_string(),
            "summary": summary,
        });
        self.out.write_all(b"],\"properties\":")?;
        serde_json::to_writer(&mut *self.out, &properties).map_err(io::Error::from)?;
        self.out.write_all(b"}]}\n")?;
        self.out.flush()
    }
}

/// Index of a check's rule in `tool.driver.rules` (the order of [`checks::ALL`]).
fn rule_index(id: &str) -> usize {
    checks::ALL
        .iter()
        .position(|c| c.id.as_str() == id)
        .unwrap_or(checks::ALL.len())
}

/// The rules: every check, then the decode-error rule.
fn rules() -> Vec<Value> {
    let mut rules: Vec<Value> = checks::ALL.iter().map(rule).collect();
    rules.push(json!({
        "id": DECODE_ERROR,
        "name": "DecodeError",
        "shortDescription": {"text": "An input that could not be read or decoded as Kubernetes objects."},
        "fullDescription": {"text": "The file, or one document of it, is not valid YAML or JSON, or a field has the wrong type; its objects were not checked."},
        "defaultConfiguration": {"level": "error"},
    }));
    rules
}

fn rule(check: &Check) -> Value {
    let fields = check.doc.fields.join(", ");
    let summary = check.doc.summary.trim_end_matches('.');
    let full = format!(
        "{summary}. Restricted fields: {fields}. Allowed values: {}.",
        check.doc.allowed.trim_end_matches('.')
    );
    let mut markdown = format!("{summary}.\n\n**Restricted fields:**\n\n");
    for field in check.doc.fields {
        markdown.push_str(&format!("- `{field}`\n"));
    }
    markdown.push_str(&format!(
        "\n**Allowed values:** {}\n\nSee [Pod Security Standards]({HELP_URI}) ({} level); `podsec explain {}` prints the versions of this check.",
        check.doc.allowed,
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
        if let Some(ns) = &e.namespace {
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
        assert_eq!(rules.len(), 20);
        for (i, check) in checks::ALL.iter().enumerate() {
            assert_eq!(rules[i]["id"], check.id.as_str());
            assert_eq!(rule_index(check.id.as_str()), i);
        }
        assert_eq!(rules[19]["id"], DECODE_ERROR);
    }
}

//! `--format kubectl`: what `kubectl apply -f <file>` prints when every object is created
//! in a namespace labelled `enforce=<level>`, `enforce-version=<version>` (so warn follows
//! at the same level and version), on the streams kubectl uses: `... created` lines on
//! standard output; `Warning: ...` and `Error from server (Forbidden): ...` on standard
//! error.
//!
//! As the API server answers: a Pod that violates the policy is denied (no warning); a
//! workload whose template would violate it is created with a warning; everything else is
//! created. Objects of other kinds are created as kubectl names them
//! (`<kind>.<group>/<name>`). Decode errors are reported as kubectl's `error: error
//! parsing` lines, with podsec's message.

use std::io::{self, Write};

use podsec_admission::Response;
use podsec_manifest::SkipReason;
use podsec_policy::text::go_quote;

use crate::check::{Evaluated, Outcome, Sink, Summary};
use crate::input::InputError;

/// Writes kubectl's lines: results to `out`, warnings and errors to `err`.
pub struct KubectlSink<'w> {
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
}

impl<'w> KubectlSink<'w> {
    pub fn new(out: &'w mut dyn Write, err: &'w mut dyn Write) -> Self {
        KubectlSink { out, err }
    }

    /// A line on standard error, after what standard output holds so far (so that a
    /// terminal shows the lines in kubectl's order).
    fn error_line(&mut self, line: &str) -> io::Result<()> {
        self.out.flush()?;
        writeln!(self.err, "{line}")?;
        self.err.flush()
    }

    fn evaluated(&mut self, file: &str, e: &Evaluated) -> io::Result<()> {
        if let Some(response) = &e.admission {
            return self.admitted(file, e, response);
        }
        let policy = go_quote(&e.policy.to_string());
        let resource = resource(&e.kind);
        let allowed = e.evaluation.is_allowed();
        if e.kind == "Pod" && !allowed {
            let subject = if e.name.is_empty() {
                "pods".to_owned()
            } else {
                format!("pods {}", go_quote(&e.name))
            };
            return self.error_line(&format!(
                "Error from server (Forbidden): error when creating {}: {subject} is forbidden: violates PodSecurity {}: {}",
                go_quote(kubectl_file(file)),
                policy,
                e.evaluation.forbidden_detail()
            ));
        }
        if !allowed {
            self.error_line(&format!(
                "Warning: would violate PodSecurity {}: {}",
                policy,
                e.evaluation.forbidden_detail()
            ))?;
        }
        writeln!(self.out, "{resource}/{} created", e.name)
    }

    /// Namespace mode: the lines of the admission response itself: its warnings, then the
    /// error (`Error from server (<reason>)`) or the `created` line.
    fn admitted(&mut self, file: &str, e: &Evaluated, response: &Response) -> io::Result<()> {
        for warning in e.api_warnings.iter().chain(&response.warnings) {
            self.error_line(&format!("Warning: {warning}"))?;
        }
        match response.status.as_ref().filter(|_| !response.allowed) {
            Some(status) => self.error_line(&format!(
                "Error from server ({}): error when creating {}: {}",
                status.reason,
                go_quote(kubectl_file(file)),
                status.message
            )),
            None => writeln!(self.out, "{}/{} created", resource(&e.kind), e.name),
        }
    }
}

impl Sink for KubectlSink<'_> {
    fn objects(&mut self, file: &str, outcomes: &[Outcome]) -> io::Result<()> {
        for outcome in outcomes {
            match outcome {
                Outcome::Evaluated(e) => self.evaluated(file, e)?,
                Outcome::Skipped(s) => {
                    // kubectl names objects `<kind>.<group>/<name>`, the kind lower-cased.
                    if let SkipReason::Kind(kind) = &s.reason
                        && kind != "List"
                    {
                        let group = s
                            .api_version
                            .rsplit_once('/')
                            .map_or("", |(group, _)| group);
                        let mut name = kind.to_lowercase();
                        if !group.is_empty() {
                            name.push('.');
                            name.push_str(group);
                        }
                        writeln!(self.out, "{name}/{} created", s.name)?;
                    }
                }
                Outcome::Error(err) => self.error_line(&format!(
                    "error: error parsing {}: document {} (line {}): {}",
                    kubectl_file(file),
                    err.doc,
                    err.line,
                    err.message()
                ))?,
            }
        }
        Ok(())
    }

    fn input_error(&mut self, err: &InputError) -> io::Result<()> {
        self.error_line(&format!(
            "error: the path {} does not exist or cannot be read: {}",
            go_quote(&err.name),
            err.message
        ))
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        self.out.flush()?;
        self.err.flush()
    }
}

/// How kubectl names an input: `STDIN` for standard input.
fn kubectl_file(file: &str) -> &str {
    if file == "-" { "STDIN" } else { file }
}

/// kubectl's `<resource>.<group>` (the lower-case kind) of the kinds podsec evaluates.
fn resource(kind: &str) -> String {
    match kind {
        "Pod" => "pod".to_owned(),
        "Deployment" => "deployment.apps".to_owned(),
        "ReplicaSet" => "replicaset.apps".to_owned(),
        "StatefulSet" => "statefulset.apps".to_owned(),
        "DaemonSet" => "daemonset.apps".to_owned(),
        "Job" => "job.batch".to_owned(),
        "CronJob" => "cronjob.batch".to_owned(),
        "ReplicationController" => "replicationcontroller".to_owned(),
        "Namespace" => "namespace".to_owned(),
        "PodTemplate" => "podtemplate".to_owned(),
        other => other.to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources() {
        assert_eq!(resource("Deployment"), "deployment.apps");
        assert_eq!(resource("CronJob"), "cronjob.batch");
        assert_eq!(resource("ReplicationController"), "replicationcontroller");
        assert_eq!(kubectl_file("-"), "STDIN");
    }
}

//! `--format text`: results grouped by file, as they are checked; errors and a summary on
//! standard error at the end.
//!
//! ```text
//! ==> deploy/web.yaml <==
//! deploy/web.yaml:1 Deployment shop/web: violates PodSecurity "restricted:latest": privileged (container "app" must not set securityContext.privileged=true)
//!   - privileged: spec.template.spec.containers[0].securityContext.privileged=true (container "app"); fix: remove securityContext.privileged or set it to false
//! deploy/web.yaml:20 Pod shop/debug: allowed
//! ```
//!
//! Each evaluated object has one line, starting with `<file>:<line>`, holding upstream's
//! whole message (in namespace mode, a denial no check explains, such as an invalid namespace
//! label, shows the API server's `denied: <message>` there); below it, indented, the admission
//! response's `warning: ...` lines (namespace mode) and one line per violated check: its ID, the offending
//! fields (paths in the object), their containers and values, and how to fix it. Colors,
//! when on, only wrap these bytes in escape sequences.

use std::io::{self, Write};
use std::sync::Arc;

use anstyle::{AnsiColor, Style};
use podsec_manifest::SkipReason;
use podsec_policy::checks;
use podsec_policy::text::go_quote;
use podsec_policy::{FindingKind, Violation};

use crate::check::{Evaluated, NamespaceSummary, Outcome, Renderer, Sink, Summary};
use crate::input::InputError;
use crate::namespace_mode::{LabelsFrom, NamespacePolicy, PolicyFrom};

/// The styles of the text format; all empty when colors are off, so that the output is then
/// byte for byte the plain text.
#[derive(Debug, Clone, Copy, Default)]
struct Theme {
    header: Style,
    object: Style,
    allowed: Style,
    denied: Style,
    warned: Style,
    check_denied: Style,
    check_warned: Style,
    path: Style,
    fix: Style,
    error: Style,
}

impl Theme {
    fn new(color: bool) -> Self {
        if !color {
            return Theme::default();
        }
        let bold = Style::new().bold();
        Theme {
            header: bold,
            object: bold,
            allowed: AnsiColor::Green.on_default(),
            denied: AnsiColor::Red.on_default(),
            warned: AnsiColor::Yellow.on_default(),
            check_denied: AnsiColor::Red.on_default().bold(),
            check_warned: AnsiColor::Yellow.on_default().bold(),
            path: Style::new().dimmed(),
            fix: AnsiColor::Cyan.on_default(),
            error: AnsiColor::Red.on_default().bold(),
        }
    }
}

/// Writes result lines to `out`; errors and the summary line to `err` at the end.
pub struct TextSink<'w> {
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
    /// Error lines, printed after the results.
    errors: Vec<String>,
    /// Notes on documents that are not Kubernetes objects (skipped), printed before the
    /// errors; at most [`MAX_NOTES`], then a count.
    notes: Vec<String>,
    /// Documents that are not Kubernetes objects.
    not_objects: usize,
    /// The file of the last object line (a header is printed when it changes).
    file: Option<String>,
    /// Styles for `out`.
    theme: Theme,
    /// Styles for `err`.
    err_theme: Theme,
}

impl<'w> TextSink<'w> {
    /// `color_out` and `color_err`: whether to color what goes to `out` and `err`.
    pub fn new(
        out: &'w mut dyn Write,
        err: &'w mut dyn Write,
        color_out: bool,
        color_err: bool,
    ) -> Self {
        TextSink {
            out,
            err,
            errors: Vec::new(),
            notes: Vec::new(),
            not_objects: 0,
            file: None,
            theme: Theme::new(color_out),
            err_theme: Theme::new(color_err),
        }
    }

    /// The `==> file <==` header, before the first object line of each file.
    fn header(&mut self, file: &str) -> io::Result<()> {
        if self.file.as_deref() == Some(file) {
            return Ok(());
        }
        let h = self.theme.header;
        if self.file.is_some() {
            writeln!(self.out)?;
        }
        let shown = if file == "-" { "standard input" } else { file };
        writeln!(self.out, "{h}==> {shown} <=={h:#}")?;
        match &mut self.file {
            Some(current) => {
                current.clear();
                current.push_str(file);
            }
            None => self.file = Some(file.to_owned()),
        }
        Ok(())
    }

    fn object(&mut self, file: &str, e: &Evaluated) -> io::Result<()> {
        self.header(file)?;
        match &e.rendered {
            Some(bytes) => self.out.write_all(bytes),
            None => render_object(&self.theme, file, e, &mut *self.out),
        }
    }
}

/// An object's lines: the object line, then (indented) the admission warnings and one line
/// per violated check.
fn render_object(t: &Theme, file: &str, e: &Evaluated, out: &mut dyn Write) -> io::Result<()> {
    // The object line: `<file>:<line> <Kind> <ns/name>: <verdict>`, as it always was.
    write!(out, "{file}:{} {}{} ", e.line, t.object, e.kind)?;
    write_name(out, e)?;
    write!(out, "{:#}", t.object)?;
    let status = e.admission.as_ref().and_then(|a| a.status.as_ref());
    if e.evaluation.is_allowed() {
        match status {
            Some(status) if !e.allowed => {
                let s = t.denied;
                writeln!(out, ": {s}denied:{s:#} {}", status.message)?
            }
            _ => {
                let s = t.allowed;
                writeln!(out, ": {s}allowed{s:#}")?
            }
        }
    } else {
        let s = if e.allowed { t.warned } else { t.denied };
        writeln!(
            out,
            ": {s}{}violates PodSecurity \"{}\":{s:#} {}",
            if e.allowed { "allowed, but " } else { "" },
            e.policy,
            e.evaluation.forbidden_detail()
        )?;
    }

    // Namespace mode: the API server's own warnings, then admission's (a denial's message is
    // the line above).
    if let Some(admission) = &e.admission {
        for warning in e.api_warnings.iter().chain(&admission.warnings) {
            let s = t.warned;
            writeln!(out, "  {s}warning:{s:#} {warning}")?;
        }
    }

    // One line per violated check.
    let check_style = if e.allowed {
        t.check_warned
    } else {
        t.check_denied
    };
    for violation in &e.evaluation.violations {
        write_violation(out, t, check_style, e, violation)?;
    }
    Ok(())
}

/// `  - <check>: <path>=<value> (container "c"), ...; fix: <hint>`.
fn write_violation(
    out: &mut dyn Write,
    t: &Theme,
    check_style: Style,
    e: &Evaluated,
    v: &Violation,
) -> io::Result<()> {
    write!(out, "  - {check_style}{}{check_style:#}:", v.check)?;
    if v.findings.is_empty() {
        write!(out, " {}", v.to_message())?;
    }
    for (i, finding) in v.findings.iter().enumerate() {
        let p = t.path;
        write!(
            out,
            "{} {p}{}{p:#}",
            if i > 0 { "," } else { "" },
            e.location.object_path(&finding.path)
        )?;
        match (finding.kind, &finding.value) {
            // `spec.volumes[0].hostPath` says it all.
            (FindingKind::Forbidden, Some(value))
                if finding
                    .path
                    .strip_suffix(value.as_str())
                    .is_some_and(|p| p.ends_with('.')) => {}
            (FindingKind::Forbidden, Some(value)) => write!(out, "={}", shown_value(value))?,
            (FindingKind::Forbidden, None) => {}
            (FindingKind::Unset, _) => write!(out, " unset")?,
        }
        if let Some(container) = &finding.container {
            write!(out, " (container {})", go_quote(container))?;
        }
    }
    if let Some(check) = checks::by_id(v.check.as_str()) {
        let f = t.fix;
        write!(out, "; {f}fix:{f:#} {}", check.doc.fix)?;
    }
    writeln!(out)
}

/// A value as written, unless quoting is needed to see it (empty, spaces, punctuation of
/// the line, or characters that are not printable).
fn shown_value(value: &str) -> std::borrow::Cow<'_, str> {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '*' | '+'));
    if plain {
        value.into()
    } else {
        go_quote(value).into()
    }
}

impl Sink for TextSink<'_> {
    fn renderer(&self) -> Option<Renderer> {
        let theme = self.theme;
        Some(Arc::new(move |file, e, bytes| {
            // Writing to a Vec cannot fail.
            let _ = render_object(&theme, file, e, bytes);
        }))
    }

    fn objects(&mut self, file: &str, outcomes: &[Outcome]) -> io::Result<()> {
        for outcome in outcomes {
            match outcome {
                Outcome::Evaluated(e) => self.object(file, e)?,
                Outcome::Error(e) => self.errors.push(format!("error: {file}: {e}")),
                Outcome::Skipped(skipped) => {
                    if !matches!(skipped.reason, SkipReason::Kind(_)) {
                        self.not_objects += 1;
                        if self.notes.len() < MAX_NOTES {
                            self.notes.push(format!(
                                "note: {file}:{}: not a Kubernetes object ({}), skipped",
                                skipped.line,
                                skipped.kind()
                            ));
                        }
                    }
                }
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
        let t = self.err_theme;
        for note in &self.notes {
            writeln!(self.err, "{note}")?;
        }
        if self.not_objects > self.notes.len() {
            writeln!(
                self.err,
                "note: {} more documents that are not Kubernetes objects, skipped",
                self.not_objects - self.notes.len()
            )?;
        }
        for line in &self.errors {
            let rest = line.strip_prefix("error:").unwrap_or(line);
            writeln!(self.err, "{}error:{:#}{rest}", t.error, t.error)?;
        }
        write_namespaces(&mut *self.err, &t, summary)?;
        let s = if summary.errors > 0 || summary.denied > 0 {
            t.denied
        } else if summary.warned > 0 {
            t.warned
        } else {
            t.allowed
        };
        writeln!(self.err, "{s}{}{s:#}", summary_line(summary))?;
        self.err.flush()
    }
}

/// Notes printed about documents that are not Kubernetes objects.
const MAX_NOTES: usize = 20;

/// Namespaces listed in the summary; past it, a count.
const MAX_NAMESPACES: usize = 50;

/// Namespace mode: the mode, each namespace's policy and where it came from, and a hint
/// when objects were judged only by a `privileged` default (which allows everything).
fn write_namespaces(out: &mut dyn Write, t: &Theme, summary: &Summary) -> io::Result<()> {
    if summary.namespaces.is_empty() {
        return Ok(());
    }
    let h = t.header;
    let count = summary.namespaces.len();
    writeln!(
        out,
        "{h}namespace mode:{h:#} each object judged as the API server admits it in its namespace ({count} {})",
        if count == 1 {
            "namespace"
        } else {
            "namespaces"
        }
    )?;
    for (name, namespace) in summary.namespaces.iter().take(MAX_NAMESPACES) {
        writeln!(out, "  {}", namespace_line(name, namespace))?;
    }
    if count > MAX_NAMESPACES {
        writeln!(out, "  ... and {} more namespaces", count - MAX_NAMESPACES)?;
    }
    let by_default: Vec<(&String, &NamespaceSummary)> = summary
        .namespaces
        .iter()
        .filter(|(_, n)| {
            n.judged() > 0
                && n.policy
                    .as_ref()
                    .is_some_and(NamespacePolicy::privileged_by_default)
        })
        .collect();
    if !by_default.is_empty() {
        let objects: usize = by_default.iter().map(|(_, n)| n.judged()).sum();
        let mut names: Vec<&str> = by_default.iter().take(5).map(|(n, _)| n.as_str()).collect();
        if by_default.len() > names.len() {
            names.push("...");
        }
        writeln!(
            out,
            "{}hint:{:#} {objects} {} in {} without Pod Security labels ({}) {} judged only by the default policy, privileged, which allows everything; use --level restricted to check them against a level",
            t.warned,
            t.warned,
            if objects == 1 { "object" } else { "objects" },
            if by_default.len() == 1 {
                "a namespace".to_owned()
            } else {
                format!("{} namespaces", by_default.len())
            },
            names.join(", "),
            if objects == 1 { "was" } else { "were" },
        )?;
    }
    Ok(())
}

/// `shop: enforce baseline:latest, audit privileged:latest (default), warn restricted:latest
/// (labels of the Namespace at ns.yaml:12); 3 objects: 2 allowed, 1 denied, 2 with warnings`.
fn namespace_line(name: &str, n: &NamespaceSummary) -> String {
    let mut line = format!("{name}: ");
    if let Some(p) = &n.policy {
        if p.exempt {
            line.push_str("exempt by the configuration");
        } else {
            let modes = [
                ("enforce", p.policy.enforce),
                ("audit", p.policy.audit),
                ("warn", p.policy.warn),
            ];
            let parts: Vec<String> = modes
                .iter()
                .zip(p.from)
                .map(|((mode, lv), from)| match from {
                    PolicyFrom::Label => format!("{mode} {lv}"),
                    PolicyFrom::EnforceLabel => format!("{mode} {lv} (follows enforce)"),
                    PolicyFrom::Default => format!("{mode} {lv} (default)"),
                })
                .collect();
            line.push_str(&parts.join(", "));
        }
        line.push_str(&match &p.labels_from {
            LabelsFrom::Object { file, line } => {
                let file = if file == "-" { "standard input" } else { file };
                format!(" (labels of the Namespace at {file}:{line})")
            }
            LabelsFrom::Flag => " (labels from --namespace-labels)".to_owned(),
            LabelsFrom::Nowhere => " (no labels)".to_owned(),
        });
        if !p.label_errors.is_empty() {
            line.push_str(&format!("; invalid labels: {}", p.label_errors.join(", ")));
        }
    }
    let objects = if n.evaluated == 1 {
        "object"
    } else {
        "objects"
    };
    line.push_str(&format!("; {} {objects}", n.evaluated));
    if n.evaluated > 0 {
        line.push_str(&format!(": {} allowed, {} denied", n.allowed, n.denied));
        if n.warned > 0 {
            line.push_str(&format!(", {} with warnings", n.warned));
        }
    }
    line
}

fn write_name(out: &mut dyn Write, e: &Evaluated) -> io::Result<()> {
    write!(out, "{}", e.display_name())
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

//! `podsec check`: decode and evaluate every input, in parallel, in a deterministic order.

use std::io;

use podsec_admission::Response;
use podsec_manifest::{
    DecodeError, Document, Entry, FieldIndex, Location, Object, PodTemplate, Skipped,
    TemplateLocation,
};
use podsec_policy::apiserver;
use podsec_policy::defaults::apply_cluster_defaults;
use podsec_policy::{Evaluation, LevelVersion, Registry, Version};
use std::sync::Arc;

use crate::namespace_mode::{Cluster, Judged, NamespacePolicy};
use rayon::prelude::*;
use std::collections::BTreeMap;

use crate::input::{InputError, Inputs};

/// How objects are judged.
#[derive(Debug)]
pub enum Mode {
    /// Against one level and (requested) version.
    Level(LevelVersion),
    /// In their namespaces, by the admission engine.
    Namespace(Box<Cluster>),
}

/// How objects are evaluated.
#[derive(Debug)]
pub struct Options {
    /// Level or namespace mode.
    pub mode: Mode,
    /// Skip the API server's defaulting.
    pub raw: bool,
    /// The cluster's Kubernetes version (defaulting rules).
    pub kube: Version,
    /// The checks, with `latest` meaning the cluster's version.
    pub registry: Arc<Registry>,
    /// Find the line and column of each finding's field (for the formats that show them).
    pub locate: bool,
}

impl Options {
    /// The level and version of level mode; `None` in namespace mode.
    pub fn level_policy(&self) -> Option<LevelVersion> {
        match &self.mode {
            Mode::Level(policy) => Some(*policy),
            Mode::Namespace(_) => None,
        }
    }
}

/// What happened to one object.
#[derive(Debug)]
pub enum Outcome {
    /// It was evaluated.
    Evaluated(Evaluated),
    /// It holds no pod.
    Skipped(Skipped),
    /// It could not be decoded.
    Error(DecodeError),
}

/// An evaluated object.
#[derive(Debug)]
pub struct Evaluated {
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`; in namespace mode, the namespace the object is judged in (a
    /// `Namespace`'s own name, as in its admission request).
    pub namespace: Option<String>,
    /// 1-based line where the object starts.
    pub line: usize,
    /// 0-based index of the object in its input.
    pub doc: usize,
    /// Where its pod template lives (to rewrite finding paths).
    pub location: TemplateLocation,
    /// The level and version `evaluation` is against: the requested one, or in namespace
    /// mode the namespace's enforce policy.
    pub policy: LevelVersion,
    /// The result.
    pub evaluation: Evaluation,
    /// Whether the object counts as allowed.
    pub allowed: bool,
    /// Namespace mode: the admission response for creating the object.
    pub admission: Option<Box<Response>>,
    /// Namespace mode: the API server's own warnings for creating the object (before the
    /// admission response's warnings, as `kubectl` prints them).
    pub api_warnings: Vec<String>,
    /// With [`Options::locate`]: where each finding's field is, per violation and finding
    /// (the field, or its deepest ancestor present in the manifest).
    pub locations: Vec<Vec<Location>>,
    /// The object's part of the report, when the sink has a [`Renderer`] (rendered on the
    /// worker threads, in parallel).
    pub rendered: Option<Vec<u8>>,
}

impl Evaluated {
    /// Namespace mode's result for the object `kind` `name` (at line 0, doc 0, a pod's
    /// location: the caller sets where it is).
    fn judged(kind: String, name: String, judged: Judged) -> Self {
        Evaluated {
            kind,
            name,
            namespace: Some(judged.namespace),
            line: 0,
            doc: 0,
            location: TemplateLocation::Pod,
            policy: judged.policy,
            evaluation: judged.evaluation,
            allowed: judged.allowed,
            admission: Some(Box::new(judged.response)),
            api_warnings: Vec::new(),
            locations: Vec::new(),
            rendered: None,
        }
    }

    /// The namespace reports show before the name: none for a `Namespace` (whose request
    /// names itself as its namespace) or an object without one.
    pub fn shown_namespace(&self) -> Option<&str> {
        self.namespace
            .as_deref()
            .filter(|_| self.kind != "Namespace")
    }

    /// `namespace/name` (or `name`), `<unnamed>` for an object without a name.
    pub fn display_name(&self) -> String {
        let name = if self.name.is_empty() {
            "<unnamed>"
        } else {
            &self.name
        };
        match self.shown_namespace() {
            Some(ns) => format!("{ns}/{name}"),
            None => name.to_owned(),
        }
    }

    /// Where violation `index` points: its first finding's field, else the object.
    pub fn violation_line(&self, index: usize) -> (usize, Option<usize>) {
        match self.locations.get(index).and_then(|l| l.first()) {
            Some(location) => (location.line, Some(location.column)),
            None => (self.line, None),
        }
    }

    fn locate(&mut self, fields: &FieldIndex) {
        self.locations = self
            .evaluation
            .violations
            .iter()
            .map(|v| {
                v.findings
                    .iter()
                    .map(|f| fields.locate(&self.location.object_path(&f.path)))
                    .collect()
            })
            .collect();
    }
}

/// Counts over a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Objects evaluated.
    pub evaluated: usize,
    /// Evaluated and allowed.
    pub allowed: usize,
    /// Evaluated and denied.
    pub denied: usize,
    /// Objects skipped.
    pub skipped: usize,
    /// Input and decoding errors.
    pub errors: usize,
    /// Evaluated objects with warnings, the API server's or admission's (namespace mode).
    pub warned: usize,
    /// Namespace mode: every namespace objects were judged in, by name.
    pub namespaces: BTreeMap<String, NamespaceSummary>,
}

/// Namespace mode: the objects judged in one namespace, and the policy they were judged by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamespaceSummary {
    /// Pods and workloads judged in it (a `Namespace` object lists its namespace, but does
    /// not count).
    pub evaluated: usize,
    /// Of them, allowed.
    pub allowed: usize,
    /// Of them, denied.
    pub denied: usize,
    /// Of them, with warnings.
    pub warned: usize,
    /// Of them, rejected by the API server's validation (`422 Invalid`) before any Pod
    /// Security policy judged them.
    pub invalid: usize,
    /// The namespace's policy and where it comes from (set at the end of the run).
    pub policy: Option<NamespacePolicy>,
}

impl NamespaceSummary {
    fn count(&mut self, e: &Evaluated, warned: bool) {
        if e.kind == "Namespace" {
            // Judged in itself, but not by its Pod Security policy.
            return;
        }
        self.evaluated += 1;
        if e.allowed {
            self.allowed += 1;
        } else {
            self.denied += 1;
        }
        self.warned += usize::from(warned);
        let status = e.admission.as_ref().and_then(|a| a.status.as_ref());
        self.invalid += usize::from(status.is_some_and(|s| s.code == 422));
    }

    /// Objects a Pod Security policy judged (all but those the API server's validation
    /// rejected first).
    pub fn judged(&self) -> usize {
        self.evaluated - self.invalid
    }
}

impl Summary {
    /// 2 on any error, else 1 if an object is denied, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.errors > 0 {
            2
        } else if self.denied > 0 {
            1
        } else {
            0
        }
    }

    fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Evaluated(e) => {
                self.evaluated += 1;
                if e.allowed {
                    self.allowed += 1;
                } else {
                    self.denied += 1;
                }
                let warned = !e.api_warnings.is_empty()
                    || e.admission.as_ref().is_some_and(|a| !a.warnings.is_empty());
                self.warned += usize::from(warned);
                if e.admission.is_some()
                    && let Some(namespace) = &e.namespace
                {
                    match self.namespaces.get_mut(namespace) {
                        Some(counts) => counts.count(e, warned),
                        None => self
                            .namespaces
                            .entry(namespace.clone())
                            .or_default()
                            .count(e, warned),
                    }
                }
            }
            Outcome::Skipped(_) => self.skipped += 1,
            Outcome::Error(_) => self.errors += 1,
        }
    }
}

/// Renders an evaluated object's part of a report (`file` is the input's name). Run on the
/// worker threads, so that rendering, often the larger part of a run, is parallel too.
pub type Renderer = Arc<dyn Fn(&str, &Evaluated, &mut Vec<u8>) + Send + Sync>;

/// Receives a run's results as they are produced, in input order.
pub trait Sink {
    /// A renderer for evaluated objects, if the sink can use pre-rendered bytes
    /// ([`Evaluated::rendered`]).
    fn renderer(&self) -> Option<Renderer> {
        None
    }

    /// The next objects of input `file` (in order; `doc` numbers count per file).
    fn objects(&mut self, file: &str, outcomes: &[Outcome]) -> io::Result<()>;
    /// An input that could not be listed or read.
    fn input_error(&mut self, error: &InputError) -> io::Result<()>;
    /// The end of the run.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}

/// Documents per unit of parallel work.
const DOCUMENTS_PER_UNIT: usize = 256;
/// Inputs read ahead at once.
const INPUTS_PER_WINDOW: usize = 256;

/// Reads, decodes and evaluates every input, streaming the results to `sink` in input
/// order while holding only a bounded number of them: documents are decoded and
/// evaluated in parallel, a few units of work per thread at a time.
pub fn run(inputs: &Inputs, options: &Options, sink: &mut dyn Sink) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let renderer = sink.renderer();
    let indices: Vec<usize> = (0..inputs.list.len()).collect();
    for window in indices.chunks(INPUTS_PER_WINDOW) {
        let texts: Vec<Result<(String, String), InputError>> =
            window.par_iter().map(|&index| inputs.read(index)).collect();
        let documents: Vec<Vec<Document<'_>>> = texts
            .iter()
            .map(|t| {
                t.as_ref()
                    .map_or_else(|_| Vec::new(), |(_, text)| podsec_manifest::documents(text))
            })
            .collect();

        // Units of work in input order: an unreadable input, or a slice of a file's documents.
        let mut units: Vec<Unit<'_>> = Vec::new();
        for (file, text) in texts.iter().enumerate() {
            match text {
                Err(err) => units.push(Unit::InputError(err)),
                Ok(_) => units.extend(
                    documents[file]
                        .chunks(DOCUMENTS_PER_UNIT)
                        .map(|docs| Unit::Documents { file, docs }),
                ),
            }
        }
        let mut next_doc = vec![0usize; texts.len()];
        let batch = rayon::current_num_threads().max(1) * 4;
        let name = |file: usize| texts[file].as_ref().map_or("", |(name, _)| name.as_str());
        // A pipeline: while the workers decode and evaluate a batch, this thread reports
        // the batch before it (and frees it), so that neither waits for the other.
        let mut pending: Option<(&[Unit<'_>], Vec<Vec<Outcome>>)> = None;
        for units in units.chunks(batch) {
            let mut results = std::thread::scope(|scope| -> io::Result<Vec<Vec<Outcome>>> {
                let decoding = scope.spawn(|| decode_units(units, options));
                if let Some((done, results)) = pending.take() {
                    report(done, results, &name, &mut summary, sink)?;
                }
                Ok(decoding
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            })?;
            // Number the objects of each file (a List document holds several).
            for (unit, outcomes) in units.iter().zip(&mut results) {
                if let Unit::Documents { file, .. } = unit {
                    for outcome in outcomes {
                        set_doc(outcome, next_doc[*file]);
                        next_doc[*file] += 1;
                    }
                }
            }
            // Render in parallel, when the sink can use it.
            if let Some(render) = &renderer {
                results
                    .par_iter_mut()
                    .zip(units.par_iter())
                    .for_each(|(outcomes, unit)| {
                        if let Unit::Documents { file, .. } = unit {
                            for outcome in outcomes {
                                if let Outcome::Evaluated(e) = outcome {
                                    let mut bytes = Vec::new();
                                    render(name(*file), e, &mut bytes);
                                    e.rendered = Some(bytes);
                                }
                            }
                        }
                    });
            }
            pending = Some((units, results));
        }
        if let Some((done, results)) = pending.take() {
            report(done, results, &name, &mut summary, sink)?;
        }
    }
    if let Mode::Namespace(cluster) = &options.mode {
        for (name, namespace) in &mut summary.namespaces {
            namespace.policy = Some(cluster.describe(name));
        }
    }
    sink.finish(&summary)?;
    Ok(summary)
}

/// Decodes and evaluates `units` in parallel.
fn decode_units(units: &[Unit<'_>], options: &Options) -> Vec<Vec<Outcome>> {
    units
        .par_iter()
        .map(|unit| match unit {
            Unit::InputError(_) => Vec::new(),
            Unit::Documents { docs, .. } => docs
                .iter()
                .flat_map(|d| document_outcomes(d, options))
                .collect(),
        })
        .collect()
}

/// Reports a batch's results in input order, counting them in `summary`.
fn report<'n>(
    units: &[Unit<'_>],
    results: Vec<Vec<Outcome>>,
    name: &impl Fn(usize) -> &'n str,
    summary: &mut Summary,
    sink: &mut dyn Sink,
) -> io::Result<()> {
    for (unit, outcomes) in units.iter().zip(results) {
        match unit {
            Unit::InputError(err) => {
                summary.errors += 1;
                sink.input_error(err)?;
            }
            Unit::Documents { file, .. } => {
                for outcome in &outcomes {
                    summary.count(outcome);
                }
                sink.objects(name(*file), &outcomes)?;
            }
        }
    }
    Ok(())
}

/// A unit of work.
enum Unit<'a> {
    InputError(&'a InputError),
    Documents {
        file: usize,
        docs: &'a [Document<'a>],
    },
}

fn set_doc(outcome: &mut Outcome, doc: usize) {
    match outcome {
        Outcome::Evaluated(e) => e.doc = doc,
        Outcome::Skipped(s) => s.doc = doc,
        Outcome::Error(e) => e.doc = doc,
    }
}

/// The outcomes of one document's objects, located when asked and needed.
fn document_outcomes(document: &Document<'_>, options: &Options) -> Vec<Outcome> {
    let mut outcomes: Vec<Outcome> = document
        .decode()
        .into_iter()
        .map(|r| outcome(r, options))
        .collect();
    let violating = |o: &Outcome| matches!(o, Outcome::Evaluated(e) if !e.evaluation.is_allowed());
    if options.locate && outcomes.iter().any(violating) {
        let index = podsec_manifest::locate::index(document);
        // One index per decoded object, in the same order.
        for (outcome, fields) in outcomes.iter_mut().zip(&index) {
            if let Outcome::Evaluated(e) = outcome {
                e.locate(fields);
            }
        }
    }
    outcomes
}

fn outcome(result: Result<Entry, DecodeError>, options: &Options) -> Outcome {
    match result {
        Ok(Entry::Object(object)) => Outcome::Evaluated(evaluate(object, options)),
        Ok(Entry::Namespace(namespace)) => match &options.mode {
            Mode::Level(_) => Outcome::Skipped(namespace.into_skipped()),
            Mode::Namespace(cluster) => {
                let judged = cluster.admit_namespace(&namespace);
                let mut e = Evaluated::judged("Namespace".to_owned(), namespace.name, judged);
                (e.line, e.doc) = (namespace.line, namespace.doc);
                Outcome::Evaluated(e)
            }
        },
        Ok(Entry::Skipped(skipped)) => Outcome::Skipped(skipped),
        Err(err) => Outcome::Error(err),
    }
}

/// Where a pod template's fields are in its object, as the API server's paths name them
/// (`spec.template.` for a Deployment; nothing for a pod).
fn template_prefix(location: TemplateLocation) -> &'static str {
    match location {
        TemplateLocation::Pod => "",
        TemplateLocation::Template => "spec.template.",
        TemplateLocation::JobTemplate => "spec.jobTemplate.spec.template.",
        TemplateLocation::PodTemplate => "template.",
    }
}

/// Evaluates one object, applying the API server's defaulting unless `raw`.
pub fn evaluate(object: Object, options: &Options) -> Evaluated {
    let Object {
        kind,
        api_version,
        name,
        namespace,
        line,
        doc,
        template,
        ownership: _,
    } = object;
    let PodTemplate {
        location,
        mut metadata,
        mut spec,
    } = template;
    // Namespace mode gives the API server's whole answer: its warnings (on the object as
    // submitted) and its validation (after defaulting), which decides before admission.
    let api_server = matches!(options.mode, Mode::Namespace(_)) && !options.raw;
    let (owner, prefix, kube) = (location.owner(), template_prefix(location), options.kube);
    let api_warnings = if api_server {
        apiserver::warnings(&metadata, &spec, owner, prefix, kube)
    } else {
        Vec::new()
    };
    if !options.raw {
        apply_cluster_defaults(&mut metadata, &mut spec, owner, kube);
    }
    match &options.mode {
        Mode::Level(policy) => {
            let evaluation =
                options
                    .registry
                    .evaluate(policy.level, policy.version, &metadata, &spec);
            Evaluated {
                kind,
                name,
                namespace,
                line,
                doc,
                location,
                policy: *policy,
                allowed: evaluation.is_allowed(),
                evaluation,
                admission: None,
                api_warnings: Vec::new(),
                locations: Vec::new(),
                rendered: None,
            }
        }
        Mode::Namespace(cluster) => {
            let invalid = if api_server {
                apiserver::validate(&metadata, &spec, owner, prefix, kube)
            } else {
                Vec::new()
            };
            let (judged, api_warnings) = if invalid.is_empty() {
                let template = podsec_admission::decode::PodTemplate { metadata, spec };
                let judged =
                    cluster.admit(&kind, &api_version, &name, namespace.as_deref(), template);
                (judged, api_warnings)
            } else {
                let judged = cluster.reject_invalid(
                    &kind,
                    &api_version,
                    &name,
                    namespace.as_deref(),
                    &invalid,
                );
                // The API server gives most of its warnings only once validation passed.
                let given = api_warnings
                    .into_iter()
                    .filter(|w| apiserver::given_before_validation(owner, w))
                    .collect();
                (judged, given)
            };
            let mut e = Evaluated::judged(kind, name, judged);
            (e.line, e.doc, e.location) = (line, doc, location);
            e.api_warnings = api_warnings;
            e
        }
    }
}

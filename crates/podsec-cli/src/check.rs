//! `podsec check`: decode and evaluate every input, in parallel, in a deterministic order.

use podsec_manifest::{DecodeError, Entry, Object, PodTemplate, Skipped, TemplateLocation};
use podsec_policy::defaults::apply_api_server_defaults;
use podsec_policy::{Evaluation, LevelVersion};
use rayon::prelude::*;

use crate::input::{self, Input, InputError};

/// How objects are evaluated.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The level and (requested) version.
    pub policy: LevelVersion,
    /// Skip the API server's defaulting.
    pub raw: bool,
}

/// Everything a run found, in input order.
#[derive(Debug)]
pub struct Report {
    /// The level and version evaluated.
    pub policy: LevelVersion,
    /// One entry per input, in order: its objects, or why it could not be listed or read.
    pub inputs: Vec<Result<FileReport, InputError>>,
}

/// The objects of one input.
#[derive(Debug)]
pub struct FileReport {
    /// The input's display name.
    pub name: String,
    /// One outcome per object, in order (`doc` = position).
    pub outcomes: Vec<Outcome>,
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
    /// `metadata.namespace`.
    pub namespace: Option<String>,
    /// 1-based line where the object starts.
    pub line: usize,
    /// 0-based index of the object in its input.
    pub doc: usize,
    /// Where its pod template lives (to rewrite finding paths).
    pub location: TemplateLocation,
    /// The result.
    pub evaluation: Evaluation,
}

/// Counts over a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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
}

impl Report {
    /// Counts objects and errors.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for input in &self.inputs {
            let Ok(file) = input else {
                summary.errors += 1;
                continue;
            };
            for outcome in &file.outcomes {
                match outcome {
                    Outcome::Evaluated(e) => {
                        summary.evaluated += 1;
                        if e.evaluation.is_allowed() {
                            summary.allowed += 1;
                        } else {
                            summary.denied += 1;
                        }
                    }
                    Outcome::Skipped(_) => summary.skipped += 1,
                    Outcome::Error(_) => summary.errors += 1,
                }
            }
        }
        summary
    }

    /// Every outcome with its input name, in order.
    pub fn outcomes(&self) -> impl Iterator<Item = (&str, &Outcome)> {
        self.inputs
            .iter()
            .filter_map(|input| input.as_ref().ok())
            .flat_map(|f| f.outcomes.iter().map(move |o| (f.name.as_str(), o)))
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
}

/// Reads, decodes and evaluates every input.
pub fn run(paths: &[std::path::PathBuf], options: Options) -> Report {
    let inputs = input::expand(paths)
        .into_par_iter()
        .map(|input| check_input(&input?, options))
        .collect();
    Report {
        policy: options.policy,
        inputs,
    }
}

fn check_input(input: &Input, options: Options) -> Result<FileReport, InputError> {
    let text = input::read(input)?;
    Ok(FileReport {
        name: input.name.clone(),
        outcomes: check_text(&text, options),
    })
}

/// Decodes and evaluates every object of a manifest stream, documents in parallel.
pub fn check_text(text: &str, options: Options) -> Vec<Outcome> {
    let documents = podsec_manifest::documents(text);
    let mut outcomes: Vec<Outcome> = documents
        .par_iter()
        .with_min_len(8)
        .flat_map_iter(|document| {
            document
                .decode()
                .into_iter()
                .map(|result| outcome(result, options))
        })
        .collect();
    for (doc, outcome) in outcomes.iter_mut().enumerate() {
        match outcome {
            Outcome::Evaluated(e) => e.doc = doc,
            Outcome::Skipped(s) => s.doc = doc,
            Outcome::Error(e) => e.doc = doc,
        }
    }
    outcomes
}

fn outcome(result: Result<Entry, DecodeError>, options: Options) -> Outcome {
    match result {
        Ok(Entry::Object(object)) => Outcome::Evaluated(evaluate(object, options)),
        Ok(Entry::Skipped(skipped)) => Outcome::Skipped(skipped),
        Err(err) => Outcome::Error(err),
    }
}

/// Evaluates one object, applying the API server's defaulting unless `raw`.
pub fn evaluate(object: Object, options: Options) -> Evaluated {
    let Object {
        kind,
        name,
        namespace,
        line,
        doc,
        template,
        ..
    } = object;
    let PodTemplate {
        location,
        metadata,
        mut spec,
    } = template;
    if !options.raw {
        apply_api_server_defaults(&mut spec, location.owner());
    }
    let evaluation = podsec_policy::evaluate(options.policy, &metadata, &spec);
    Evaluated {
        kind,
        name,
        namespace,
        line,
        doc,
        location,
        evaluation,
    }
}

//! `podsec fix`: the smallest change that makes each failing pod or workload template pass
//! a level, applied to the manifest text (comments and formatting kept), or given as
//! patches.
//!
//! Every object is planned by [`podsec_policy::fix::plan`] on its model (with the API
//! server's defaulting, as `podsec check` evaluates it), the edits are rooted at the
//! object's pod template ([`TemplateLocation`]) and written into the text ([`text`]). The
//! edited document is decoded again and every edited object evaluated again: when it does
//! not fail exactly the checks the plan reported as not automatic, the document is left
//! untouched and the object reported as an error.

mod json;
mod output;
mod text;
mod yaml_out;

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use podsec_manifest::TemplateLocation;
use podsec_policy::defaults::apply_cluster_defaults;
use podsec_policy::fix::{self, Edit, NonRoot, Options, Strategy, Unfixable};
use podsec_policy::{Level, LevelVersion, Registry, Version};
use rayon::prelude::*;

use crate::input::Inputs;
use crate::inventory::{Inventory, Item, ObjectRef, Origin, ReadOptions, SourceArgs};

/// `podsec fix`'s flags.
#[derive(Debug, Args)]
pub struct FixArgs {
    /// The level to pass, with an optional version: `restricted`, `baseline:v1.30`
    /// (default version: latest).
    #[arg(long, value_name = "LEVEL[:VERSION]", value_parser = parse_level_version)]
    pub level: LevelVersion,

    /// What to print: a unified diff of the files (`diff`), an RFC 6902 JSON patch per
    /// object (`patch`), strategic-merge patches and a kustomization for an overlay
    /// (`kustomize`), or the whole report as JSON (`json`).
    #[arg(long, value_enum, default_value_t = Format::Diff)]
    pub format: Format,

    /// Edit the files in place instead of printing a diff.
    #[arg(long, conflicts_with = "format")]
    pub write: bool,

    /// With `--format kustomize`: the directory to write the patches and
    /// `kustomization.yaml` to (printed otherwise).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// Only add fields that are not set; never change an explicit value (its violation is
    /// reported instead).
    #[arg(long)]
    pub only_unset: bool,

    /// Also set this pod-level `runAsUser` where the pod sets none, with `runAsNonRoot`.
    #[arg(long, value_name = "UID")]
    pub run_as_user: Option<i64>,

    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A unified diff of the files (`patch -p1`, `git apply`).
    Diff,
    /// An RFC 6902 JSON patch per object.
    Patch,
    /// Strategic-merge patches and a `kustomization.yaml`.
    Kustomize,
    /// The report as JSON.
    Json,
}

fn parse_level_version(text: &str) -> Result<LevelVersion, String> {
    let (level, version) = match text.split_once(':') {
        Some((level, version)) => (level, Some(version)),
        None => (text, None),
    };
    let level: Level = level.parse().map_err(|e| format!("{e}"))?;
    let version = match version {
        Some(v) => v.parse::<Version>().map_err(|e| format!("{e}"))?,
        None => Version::Latest,
    };
    Ok(LevelVersion::new(level, version))
}

/// One failing object and what `fix` does about it.
#[derive(Debug)]
pub struct Fixed {
    /// The object.
    pub at: ObjectRef,
    /// Where its pod template lives.
    pub location: TemplateLocation,
    /// Upstream's message before the fix.
    pub before: String,
    /// The edits, with paths in the object.
    pub edits: Vec<(String, Edit)>,
    /// What remains, and why.
    pub unfixable: Vec<Unfixable>,
    /// The RFC 6902 operations (patch, kustomize and json formats).
    pub ops: Vec<serde_json::Value>,
    /// The strategic-merge patch (kustomize format).
    pub smp: Option<serde_json::Value>,
    /// Why the edits could not be applied.
    pub error: Option<String>,
}

impl Fixed {
    /// Whether the object passes once the edits apply.
    pub fn passes(&self) -> bool {
        self.unfixable.is_empty() && self.error.is_none()
    }
}

/// One input file and its fixes.
#[derive(Debug)]
pub struct FileFix {
    /// The input's name.
    pub name: String,
    /// Whether it is standard input.
    pub stdin: bool,
    /// Its text.
    pub original: String,
    /// Its text with the fixes.
    pub edited: String,
    /// The edited regions: byte ranges in `original` and in `edited`, in order.
    pub regions: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
    /// The failing objects.
    pub objects: Vec<Fixed>,
    /// Problems reading it.
    pub problems: Vec<String>,
}

/// Runs `podsec fix`; the exit status.
pub fn run(args: &FixArgs) -> anyhow::Result<u8> {
    if args.source.is_live() {
        anyhow::bail!(
            "podsec fix edits manifests, not a live cluster: run it on the manifests the objects come from (or on a snapshot written by `kubectl get ... -o yaml`)"
        );
    }
    if args.source.paths.is_empty() {
        anyhow::bail!("no input: give manifest paths (or `-` for standard input)");
    }
    if args.output.is_some() && args.format != Format::Kustomize {
        anyhow::bail!("--output is for --format kustomize");
    }
    let options = Options {
        strategy: if args.only_unset {
            Strategy::FillUnset
        } else {
            Strategy::Minimal
        },
        non_root: match args.run_as_user {
            Some(uid) => NonRoot::WithUser(uid),
            None => NonRoot::Assume,
        },
    };
    let want_json = args.format != Format::Diff;
    let settings = Settings {
        policy: args.level,
        options,
        read: args.source.read_options(),
        default_namespace: args
            .source
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into()),
        want_json,
    };
    let inputs = Inputs::new(&args.source.paths);
    let files: Vec<FileFix> = (0..inputs.list.len())
        .into_par_iter()
        .map(|index| match inputs.read(index) {
            Err(err) => FileFix {
                stdin: err.name == "-",
                name: err.name.clone(),
                original: String::new(),
                edited: String::new(),
                regions: Vec::new(),
                objects: Vec::new(),
                problems: vec![match err.line {
                    Some(line) => format!("{}:{line}: {}", err.name, err.message),
                    None => format!("{}: {}", err.name, err.message),
                }],
            },
            Ok((name, text)) => fix_file(&settings, name, text),
        })
        .collect();
    if args.write {
        if let Some(f) = files.iter().find(|f| f.stdin && f.edited != f.original) {
            anyhow::bail!("--write cannot edit standard input ({})", f.name);
        }
        for f in &files {
            if f.edited != f.original {
                std::fs::write(&f.name, &f.edited)
                    .with_context(|| format!("writing {}", f.name))?;
            }
        }
    }
    output::print(args, &files)?;
    let errors = files
        .iter()
        .any(|f| !f.problems.is_empty() || f.objects.iter().any(|o| o.error.is_some()));
    let unfixable = files
        .iter()
        .any(|f| f.objects.iter().any(|o| !o.unfixable.is_empty()));
    Ok(if errors {
        2
    } else if unfixable {
        1
    } else {
        0
    })
}

struct Settings {
    policy: LevelVersion,
    options: Options,
    read: ReadOptions,
    default_namespace: String,
    want_json: bool,
}

/// A document of the file: its text's place in the file, and its objects' `doc` numbers.
struct Doc<'a> {
    document: podsec_manifest::Document<'a>,
    offset: usize,
    first: usize,
    count: usize,
}

/// Plans and applies the fixes of one input.
fn fix_file(settings: &Settings, name: String, text: String) -> FileFix {
    let registry = Registry::builtin();
    let mut inventory = Inventory::new(Origin::Manifests, &settings.default_namespace);
    let mut docs = Vec::new();
    let mut next_doc = 0;
    for document in podsec_manifest::documents(&text) {
        let results = document.decode();
        let count = results.len();
        let marks = inventory.marks();
        inventory.add(&name, results, settings.read, Vec::new);
        inventory.shift_docs(marks, next_doc);
        let offset = document.text().as_ptr() as usize - text.as_ptr() as usize;
        docs.push(Doc {
            document,
            offset,
            first: next_doc,
            count,
        });
        next_doc += count;
    }
    let problems = inventory
        .problems
        .iter()
        .map(|p| match p.line {
            Some(line) => format!("{}:{line}: {}", p.file, p.message),
            None => format!("{}: {}", p.file, p.message),
        })
        .collect();
    let policy = settings.policy;
    // Items come in document order; each document is planned, edited and checked on its
    // own (in parallel), then the file is put together again.
    let mut per_doc: Vec<Vec<&Item>> = vec![Vec::new(); docs.len()];
    for item in &inventory.items {
        let d = docs.partition_point(|d| d.first + d.count <= item.at.doc);
        if let Some(list) = per_doc.get_mut(d) {
            list.push(item);
        }
    }
    let results: Vec<(Option<String>, Vec<Fixed>)> = docs
        .par_iter()
        .zip(per_doc.par_iter())
        .map(|(doc, items)| {
            let mut fixes: Vec<Fixed> = items
                .iter()
                .filter_map(|item| {
                    let plan = fix::plan(
                        registry,
                        policy.level,
                        policy.version,
                        &item.metadata,
                        &item.spec,
                        settings.options,
                    );
                    (!plan.before.is_allowed()).then(|| fixed(item, plan))
                })
                .collect();
            let mut new_text = None;
            let mine: Vec<&mut Fixed> = fixes.iter_mut().filter(|o| !o.edits.is_empty()).collect();
            if !mine.is_empty() {
                match edit_doc(settings, doc, &mine) {
                    Ok(text) => new_text = Some(text),
                    Err(err) => {
                        for o in mine {
                            o.error = Some(err.clone());
                        }
                    }
                }
            }
            if settings.want_json && !fixes.is_empty() {
                json_forms(doc, fixes.iter_mut().collect());
            }
            (new_text, fixes)
        })
        .collect();
    let mut edited = String::with_capacity(text.len() + text.len() / 4);
    let mut copied = 0;
    let mut objects = Vec::new();
    let mut regions = Vec::new();
    for (doc, (new_text, fixes)) in docs.iter().zip(results) {
        if let Some(new_text) = new_text {
            edited.push_str(&text[copied..doc.offset]);
            let at = edited.len();
            edited.push_str(&new_text);
            copied = doc.offset + doc.document.text().len();
            regions.push((doc.offset..copied, at..edited.len()));
        }
        objects.extend(fixes);
    }
    edited.push_str(&text[copied..]);
    FileFix {
        stdin: name == "-",
        name,
        original: text,
        edited,
        regions,
        objects,
        problems,
    }
}

fn fixed(item: &Item, plan: fix::Plan) -> Fixed {
    let location = item.location;
    let edits = plan
        .edits
        .iter()
        .map(|p| {
            let edit = root_edit(&p.edit, location);
            (p.check.to_string(), edit)
        })
        .collect();
    Fixed {
        at: item.at.clone(),
        location,
        before: plan.before.forbidden_detail(),
        edits,
        unfixable: plan.unfixable,
        ops: Vec::new(),
        smp: None,
        error: None,
    }
}

/// The edit with its path in the object (`spec.template.spec...` for workloads).
fn root_edit(edit: &Edit, location: TemplateLocation) -> Edit {
    let root = |p: &fix::FieldPath| p.rooted(location.spec_path(), location.metadata_path());
    match edit {
        Edit::Set { path, value } => Edit::Set {
            path: root(path),
            value: value.clone(),
        },
        Edit::Remove { path } => Edit::Remove { path: root(path) },
        Edit::RemoveItem { path, index } => Edit::RemoveItem {
            path: root(path),
            index: *index,
        },
        Edit::AddItem { path, value } => Edit::AddItem {
            path: root(path),
            value: value.clone(),
        },
    }
}

/// Edits one document's text and checks the result: every edited object fails exactly its
/// plan's unfixable checks, and the document still holds as many objects.
fn edit_doc(settings: &Settings, doc: &Doc<'_>, objects: &[&mut Fixed]) -> Result<String, String> {
    let source = doc.document.text();
    let json = doc.document.is_json();
    let tree = text::Tree::parse(source, json).map_err(|e| {
        format!(
            "cannot edit this document's text: {e}; --format patch gives the edits as JSON patches"
        )
    })?;
    let nodes = tree.objects();
    if nodes.len() != doc.count {
        return Err(
            "cannot edit this document's text (its objects could not be matched); --format patch gives the edits as JSON patches"
                .into(),
        );
    }
    let work: Vec<(usize, Vec<Edit>)> = objects
        .iter()
        .map(|o| {
            let edits = o.edits.iter().map(|(_, e)| e.clone()).collect();
            (nodes[o.at.doc - doc.first], edits)
        })
        .collect();
    let new_text = text::edit_document(&tree, &work)
        .map_err(|e| format!("cannot edit this document's text: {e}"))?;
    // Decode the edited text again and judge every edited object.
    let results = podsec_manifest::decode(&new_text);
    if results.len() != doc.count {
        return Err(
            "the edited document no longer decodes to the same objects (podsec bug)".into(),
        );
    }
    for o in objects {
        let Some(Ok(podsec_manifest::Entry::Object(object))) = results.get(o.at.doc - doc.first)
        else {
            return Err("the edited object no longer decodes (podsec bug)".into());
        };
        let mut metadata = object.template.metadata.clone();
        let mut spec = object.template.spec.clone();
        if !settings.read.raw {
            apply_cluster_defaults(
                &mut metadata,
                &mut spec,
                o.location.owner(),
                settings.read.kube,
            );
        }
        let after = Registry::builtin().evaluate(
            settings.policy.level,
            settings.policy.version,
            &metadata,
            &spec,
        );
        let left: Vec<_> = after.check_ids().collect();
        let expected: Vec<_> = o.unfixable.iter().map(|u| u.check).collect();
        if left != expected {
            return Err(format!(
                "the edited text does not fix what the plan fixes (still failing: {}); podsec bug",
                after.forbidden_reason()
            ));
        }
    }
    Ok(new_text)
}

/// The RFC 6902 operations and strategic-merge patches of a document's failing objects.
fn json_forms(doc: &Doc<'_>, objects: Vec<&mut Fixed>) {
    let values: Vec<serde_json::Value> = doc
        .document
        .values()
        .into_iter()
        .filter_map(Result::ok)
        .flat_map(|(v, _)| flatten(v))
        .collect();
    for o in objects {
        let Some(before) = values.get(o.at.doc - doc.first) else {
            continue;
        };
        let mut after = before.clone();
        let edits: Vec<Edit> = o.edits.iter().map(|(_, e)| e.clone()).collect();
        match json::apply(&mut after, &edits) {
            Ok(ops) => {
                o.smp = Some(json::strategic_merge_patch(before, &after, &edits));
                o.ops = ops;
            }
            Err(err) => o.error = Some(err),
        }
    }
}

/// A value, or the items of a `List` (nested lists flattened), as decoding counts objects.
fn flatten(value: serde_json::Value) -> Vec<serde_json::Value> {
    if value.is_null() {
        return Vec::new();
    }
    let kind = value
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or_default();
    let has_items = value.get("items").is_some();
    let is_list = kind == "List" || (kind.ends_with("List") && has_items);
    if !is_list {
        return vec![value];
    }
    match value.get("items") {
        Some(serde_json::Value::Array(items)) => items.iter().cloned().flat_map(flatten).collect(),
        Some(serde_json::Value::Null) | None => Vec::new(),
        Some(_) => vec![value],
    }
}

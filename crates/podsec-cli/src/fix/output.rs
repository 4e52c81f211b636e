//! What `podsec fix` prints: the diff (or nothing with `--write`) and the list of changes
//! that are not automatic on standard error; the JSON patches; the kustomize overlay; the
//! JSON report.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use anyhow::Context as _;
use serde_json::{Value as Json, json};

use super::{FileFix, FixArgs, Fixed, Format};

/// Prints the run's results.
pub fn print(args: &FixArgs, files: &[FileFix]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Diff => {
            if !args.write {
                for f in files {
                    if f.edited != f.original {
                        out.write_all(unified_diff(f).as_bytes())?;
                    }
                }
            }
            notes(args, files)?;
        }
        Format::Patch => {
            let list: Vec<Json> = objects(files)
                .map(|(_, o)| {
                    json!({
                        "object": o.at,
                        "patch": o.ops,
                        "passes": o.passes(),
                        "unfixable": unfixable_json(o),
                        "error": o.error,
                    })
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
            problems(files)?;
        }
        Format::Json => {
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&report(args, files))?
            )?;
            problems(files)?;
        }
        Format::Kustomize => {
            kustomize(args, files, &mut out)?;
            notes(args, files)?;
        }
    }
    Ok(())
}

fn objects(files: &[FileFix]) -> impl Iterator<Item = (&FileFix, &Fixed)> {
    files
        .iter()
        .flat_map(|f| f.objects.iter().map(move |o| (f, o)))
}

/// `a/<name>` / `b/<name>` headers: the input's path as given, relative (`patch -p1`).
fn diff_name(name: &str) -> String {
    let trimmed = name.trim_start_matches("./").trim_start_matches('/');
    trimmed.to_owned()
}

/// The unified diff of one file (3 lines of context). Only the edited documents are
/// compared line by line (the rest of the file is the same by construction), so a large
/// file with many small edits costs as much as its edited documents.
pub fn unified_diff(f: &FileFix) -> String {
    use similar::{Algorithm, DiffOp, capture_diff_slices, group_diff_ops};
    let name = diff_name(&f.name);
    let old: Vec<&str> = f.original.split_inclusive('\n').collect();
    let new: Vec<&str> = f.edited.split_inclusive('\n').collect();
    let old_starts = line_starts(&f.original);
    let new_starts = line_starts(&f.edited);
    // The line of a byte offset (a region starts at a line start; it may end mid-line at
    // the end of a text without a final newline).
    let line_of = |starts: &[usize], at: usize| starts.partition_point(|&s| s < at);
    let mut ops: Vec<DiffOp> = Vec::new();
    let (mut old_line, mut new_line) = (0, 0);
    for (old_range, new_range) in &f.regions {
        let (a, b) = (
            line_of(&old_starts, old_range.start),
            line_of(&old_starts, old_range.end),
        );
        let (c, d) = (
            line_of(&new_starts, new_range.start),
            line_of(&new_starts, new_range.end),
        );
        if a > old_line {
            ops.push(DiffOp::Equal {
                old_index: old_line,
                new_index: new_line,
                len: a - old_line,
            });
        }
        for op in capture_diff_slices(Algorithm::Myers, &old[a..b], &new[c..d]) {
            ops.push(shift(op, a, c));
        }
        old_line = b;
        new_line = d;
    }
    if old_line < old.len() {
        ops.push(DiffOp::Equal {
            old_index: old_line,
            new_index: new_line,
            len: old.len() - old_line,
        });
    }
    // Adjacent equal runs merged: grouping expects one per stretch.
    let mut merged: Vec<DiffOp> = Vec::with_capacity(ops.len());
    for op in ops {
        if let (Some(DiffOp::Equal { len, .. }), DiffOp::Equal { len: more, .. }) =
            (merged.last_mut(), &op)
        {
            *len += more;
            continue;
        }
        merged.push(op);
    }
    let mut out = format!("--- a/{name}\n+++ b/{name}\n");
    for group in group_diff_ops(merged, 3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (_, o1, n1) = first.as_tag_tuple();
        let (_, o2, n2) = last.as_tag_tuple();
        let (o, n) = (o1.start..o2.end, n1.start..n2.end);
        let header = |r: &std::ops::Range<usize>| {
            let start = if r.is_empty() { r.start } else { r.start + 1 };
            format!("{start},{}", r.len())
        };
        out.push_str(&format!("@@ -{} +{} @@\n", header(&o), header(&n)));
        for op in &group {
            let (tag, o, n) = op.as_tag_tuple();
            use similar::DiffTag;
            if tag == DiffTag::Equal {
                for line in &old[o] {
                    push_line(&mut out, ' ', line);
                }
                continue;
            }
            for line in &old[o] {
                push_line(&mut out, '-', line);
            }
            for line in &new[n] {
                push_line(&mut out, '+', line);
            }
        }
    }
    out
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            text.match_indices('\n')
                .map(|(i, _)| i + 1)
                .filter(|&i| i < text.len()),
        )
        .collect()
}

fn shift(op: similar::DiffOp, old: usize, new: usize) -> similar::DiffOp {
    use similar::DiffOp;
    match op {
        DiffOp::Equal {
            old_index,
            new_index,
            len,
        } => DiffOp::Equal {
            old_index: old_index + old,
            new_index: new_index + new,
            len,
        },
        DiffOp::Delete {
            old_index,
            old_len,
            new_index,
        } => DiffOp::Delete {
            old_index: old_index + old,
            old_len,
            new_index: new_index + new,
        },
        DiffOp::Insert {
            old_index,
            new_index,
            new_len,
        } => DiffOp::Insert {
            old_index: old_index + old,
            new_index: new_index + new,
            new_len,
        },
        DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } => DiffOp::Replace {
            old_index: old_index + old,
            old_len,
            new_index: new_index + new,
            new_len,
        },
    }
}

fn push_line(out: &mut String, mark: char, line: &str) {
    out.push(mark);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

fn unfixable_json(o: &Fixed) -> Vec<Json> {
    o.unfixable
        .iter()
        .map(|u| {
            json!({
                "check": u.check.as_str(),
                "reason": u.reason,
                "detail": u.detail,
                "message": u.message(),
                "fields": u.findings.iter().map(|f| o.location.object_path(&f.path)).collect::<Vec<_>>(),
                "why": u.why,
            })
        })
        .collect()
}

fn report(args: &FixArgs, files: &[FileFix]) -> Json {
    let list: Vec<Json> = objects(files)
        .map(|(_, o)| {
            json!({
                "object": o.at,
                "before": o.before,
                "passes": o.passes(),
                "edits": o.edits.iter().map(|(check, e)| edit_json(check, e)).collect::<Vec<_>>(),
                "patch": o.ops,
                "unfixable": unfixable_json(o),
                "error": o.error,
            })
        })
        .collect();
    let failing = list.len();
    let fixed = objects(files).filter(|(_, o)| o.passes()).count();
    json!({
        "policy": args.level.to_string(),
        "objects": list,
        "summary": {
            "failing": failing,
            "fixed": fixed,
            "notFixed": failing - fixed,
            "filesChanged": files.iter().filter(|f| f.edited != f.original).count(),
        },
        "problems": files.iter().flat_map(|f| f.problems.iter()).collect::<Vec<_>>(),
    })
}

fn edit_json(check: &str, edit: &podsec_policy::fix::Edit) -> Json {
    use podsec_policy::fix::Edit;
    match edit {
        Edit::Set { path, value } => {
            json!({"check": check, "op": "set", "path": path.to_string(), "value": value})
        }
        Edit::Remove { path } => json!({"check": check, "op": "remove", "path": path.to_string()}),
        Edit::RemoveItem { path, index } => {
            json!({"check": check, "op": "removeItem", "path": path.to_string(), "index": index})
        }
        Edit::AddItem { path, value } => {
            json!({"check": check, "op": "addItem", "path": path.to_string(), "value": value})
        }
    }
}

/// The changes that are not automatic, errors, and a summary, on standard error.
fn notes(args: &FixArgs, files: &[FileFix]) -> anyhow::Result<()> {
    let mut err = std::io::stderr().lock();
    for (_, o) in objects(files) {
        for u in &o.unfixable {
            writeln!(
                err,
                "{}: {}: not fixed automatically: {}",
                o.at.position(),
                o.at.display(),
                u.message()
            )?;
            writeln!(err, "  why: {}", u.why)?;
        }
        if let Some(e) = &o.error {
            writeln!(err, "{}: {}: error: {e}", o.at.position(), o.at.display())?;
        }
    }
    problems(files)?;
    let failing = objects(files).count();
    if failing == 0 {
        writeln!(err, "podsec fix: every object passes {}", args.level)?;
        return Ok(());
    }
    let fixed = objects(files).filter(|(_, o)| o.passes()).count();
    let changed = files.iter().filter(|f| f.edited != f.original).count();
    let verb = if args.write { "edited" } else { "to edit" };
    writeln!(
        err,
        "podsec fix: {failing} {} failing {}: {fixed} fixed, {} left to fix by hand; {changed} {} {verb}",
        if failing == 1 { "object" } else { "objects" },
        args.level,
        failing - fixed,
        if changed == 1 { "file" } else { "files" },
    )?;
    Ok(())
}

fn problems(files: &[FileFix]) -> anyhow::Result<()> {
    let mut err = std::io::stderr().lock();
    for p in files.iter().flat_map(|f| f.problems.iter()) {
        writeln!(err, "error: {p}")?;
    }
    Ok(())
}

/// Strategic-merge patches, one file per object, and the `kustomization.yaml` listing them.
fn kustomize(
    args: &FixArgs,
    files: &[FileFix],
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    let mut names = BTreeSet::new();
    let mut patches: Vec<(String, String)> = Vec::new();
    let mut resources: Vec<String> = Vec::new();
    for (f, o) in objects(files) {
        let Some(smp) = &o.smp else { continue };
        if o.edits.is_empty() {
            continue;
        }
        let mut base = format!(
            "{}-{}{}",
            o.at.kind.to_ascii_lowercase(),
            o.at.namespace
                .as_deref()
                .map(|n| format!("{n}-"))
                .unwrap_or_default(),
            if o.at.name.is_empty() {
                "unnamed"
            } else {
                &o.at.name
            }
        );
        base.retain(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
        let mut name = format!("{base}.yaml");
        let mut n = 2;
        while !names.insert(name.clone()) {
            name = format!("{base}-{n}.yaml");
            n += 1;
        }
        patches.push((name, super::yaml_out::to_yaml(smp)));
        let resource = match &args.output {
            Some(dir) => relative_to(dir, Path::new(&f.name)),
            None => f.name.clone(),
        };
        if !resources.contains(&resource) && !f.stdin {
            resources.push(resource);
        }
    }
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
        "patches": patches.iter().map(|(n, _)| json!({"path": n})).collect::<Vec<_>>(),
    });
    let mut kustomization_text = String::from(
        "# Written by podsec fix: strategic-merge patches that make the objects pass.\n",
    );
    kustomization_text.push_str(&super::yaml_out::to_yaml(&kustomization));
    match &args.output {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            for (name, text) in &patches {
                let path = dir.join(name);
                std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            let path = dir.join("kustomization.yaml");
            std::fs::write(&path, &kustomization_text)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        None => {
            for (name, text) in &patches {
                write!(out, "# {name}\n{text}---\n")?;
            }
            write!(out, "# kustomization.yaml\n{kustomization_text}")?;
        }
    }
    Ok(())
}

/// `target` relative to the directory `dir` (both taken from the current directory).
fn relative_to(dir: &Path, target: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let absolute = |p: &Path| -> Vec<String> {
        let full: PathBuf = if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        };
        let mut parts: Vec<String> = Vec::new();
        for c in full.components() {
            match c {
                Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
                Component::ParentDir => {
                    parts.pop();
                }
                _ => {}
            }
        }
        parts
    };
    let from = absolute(dir);
    let to = absolute(target);
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(to[common..].iter().cloned());
    parts.join("/")
}

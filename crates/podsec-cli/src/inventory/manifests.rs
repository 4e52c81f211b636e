//! Reading an inventory from manifests: files, directories, standard input, snapshots.

use std::path::PathBuf;

use rayon::prelude::*;

use podsec_manifest::Entry;

use super::{Inventory, Origin, Problem, ReadOptions};
use crate::input::Inputs;

/// Reads every input, in parallel, into one inventory (in input order).
pub fn load(paths: &[PathBuf], options: ReadOptions, default_namespace: &str) -> Inventory {
    let inputs = Inputs::new(paths);
    let parts: Vec<Inventory> = (0..inputs.list.len())
        .into_par_iter()
        .map(|index| {
            let mut part = Inventory::new(Origin::Manifests, default_namespace);
            match inputs.read(index) {
                Err(err) => part.problems.push(Problem {
                    file: err.name,
                    doc: None,
                    line: err.line,
                    message: err.message,
                }),
                Ok((name, text)) => read_text(&mut part, &name, &text, options),
            }
            part
        })
        .collect();
    let mut inventory = Inventory::new(Origin::Manifests, default_namespace);
    for part in parts {
        inventory.namespaces.extend(part.namespaces);
        inventory.items.extend(part.items);
        inventory.policies.extend(part.policies);
        inventory.problems.extend(part.problems);
        for (kind, count) in part.skipped {
            *inventory.skipped.entry(kind).or_default() += count;
        }
    }
    inventory
}

/// Adds the objects of one input's text, numbered as `podsec check` numbers them.
pub fn read_text(inventory: &mut Inventory, name: &str, text: &str, options: ReadOptions) {
    let mut next_doc = 0;
    for document in podsec_manifest::documents(text) {
        let mut results = document.decode();
        if results.len() > 1 {
            locate_items(&document, &mut results);
        }
        let count = results.len();
        let marks = inventory.marks();
        inventory.add(name, results, options, || {
            document
                .values()
                .into_iter()
                .filter_map(Result::ok)
                .map(|(value, _)| value)
                .collect()
        });
        inventory.shift_docs(marks, next_doc);
        next_doc += count;
    }
}

/// Gives each item of a `List` its own line (the decoder gives them all the `List`'s), so a
/// report on a snapshot points at the object.
fn locate_items(document: &podsec_manifest::Document<'_>, results: &mut podsec_manifest::Decoded) {
    let index = podsec_manifest::locate::index(document);
    if index.len() != results.len() {
        return;
    }
    for (result, fields) in results.iter_mut().zip(&index) {
        let line = fields.locate("").line;
        match result {
            Ok(Entry::Object(object)) => object.line = line,
            Ok(Entry::Namespace(namespace)) => namespace.line = line,
            Ok(Entry::Skipped(skipped)) => skipped.line = line,
            Err(err) => err.line = line,
        }
    }
}

//! Editing a manifest document's text in place: comments, key order, indentation and
//! quoting stay as written; only the edited fields' text changes.
//!
//! The document is read once with `granit-parser` (the YAML parser the decoder uses), which
//! gives the byte span of every scalar and flow collection; a [`Tree`] of spans is built
//! from its events. Edits then become text changes:
//! * a value that exists is replaced where it is written (a scalar keeps its quoting style);
//! * a field that does not exist is added after the last entry of the deepest mapping that
//!   does, in that mapping's style: block lines at its indentation (nested mappings one
//!   indentation step deeper, lists as the document writes them), or `, key: value` in a
//!   flow mapping or a JSON object (on a line of its own when the mapping spans lines);
//!   several fields under one missing parent are added together;
//! * a removed entry or item takes its lines with it in block style (the comment lines
//!   written before the next entry stay), its comma in flow style and JSON; removing the
//!   last entry of a mapping leaves `{}` (as a JSON patch would), the last item of a list
//!   `[]`.
//!
//! Fields reached through an alias, or documents with merge keys, are not edited (the
//! anchored text is shared): [`Tree::parse`] refuses them.

use std::collections::BTreeMap;

use granit_parser::{Event, Options, Parser, ScalarStyle, StructureStyle};
use podsec_policy::fix::{Edit, FieldPath, Segment, Value};

type NodeId = usize;

#[derive(Debug)]
enum Kind {
    Scalar { style: ScalarStyle, text: String },
    Map { flow: bool, entries: Vec<Entry> },
    Seq { flow: bool, items: Vec<Item> },
}

#[derive(Debug)]
struct Node {
    /// Where the value starts (a block collection: its first key or item value).
    start: usize,
    /// Where its last content ends.
    end: usize,
    kind: Kind,
    parent: Option<NodeId>,
}

#[derive(Debug)]
struct Entry {
    key: String,
    key_start: usize,
    key_end: usize,
    value: NodeId,
}

#[derive(Debug)]
struct Item {
    /// The `-` of a block item; the value's start in a flow sequence.
    at: usize,
    value: NodeId,
}

/// The spans of one document's text.
#[derive(Debug)]
pub struct Tree<'a> {
    text: &'a str,
    nodes: Vec<Node>,
    root: Option<NodeId>,
    json: bool,
    newline: &'static str,
    /// Indentation step of nested block mappings.
    step: usize,
    /// Extra indentation of a block sequence's `-` under its key (0: `key:\n- item`).
    seq_indent: usize,
}

impl<'a> Tree<'a> {
    /// Reads `text` (one document), JSON or YAML.
    pub fn parse(text: &'a str, json: bool) -> Result<Tree<'a>, String> {
        let mut options = Options::default();
        options.set_emit_comments(false);
        let mut nodes: Vec<Node> = Vec::new();
        let mut stack: Vec<NodeId> = Vec::new();
        // A mapping's key waiting for its value: (text, start).
        let mut pending: Vec<Option<(String, usize, usize)>> = Vec::new();
        let mut root = None;
        for next in Parser::new_from_str_with_options(text, options) {
            let (event, span) = next.map_err(|e| format!("cannot read the YAML text: {e}"))?;
            let start = span.start.byte_offset().unwrap_or(0);
            let end = span.end.byte_offset().unwrap_or(start);
            let new = match event {
                Event::Scalar(value, style, _, _) => {
                    if let Some(&top) = stack.last()
                        && matches!(nodes[top].kind, Kind::Map { .. })
                        && pending.last().is_some_and(Option::is_none)
                    {
                        if value == "<<" && style == ScalarStyle::Plain {
                            return Err("merge keys (`<<`) are not edited".into());
                        }
                        if let Some(slot) = pending.last_mut() {
                            *slot = Some((value.into_owned(), start, end));
                        }
                        continue;
                    }
                    Some(Node {
                        start,
                        end,
                        kind: Kind::Scalar {
                            style,
                            text: value.into_owned(),
                        },
                        parent: stack.last().copied(),
                    })
                }
                Event::Alias(_) => return Err("fields behind YAML aliases are not edited".into()),
                Event::MappingStart(style, _, _) | Event::SequenceStart(style, _, _) => {
                    let flow = style == StructureStyle::Flow;
                    let kind = if matches!(event, Event::MappingStart(..)) {
                        Kind::Map {
                            flow,
                            entries: Vec::new(),
                        }
                    } else {
                        Kind::Seq {
                            flow,
                            items: Vec::new(),
                        }
                    };
                    Some(Node {
                        start,
                        end: if flow { end } else { start },
                        kind,
                        parent: stack.last().copied(),
                    })
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    let Some(done) = stack.pop() else {
                        return Err("unbalanced YAML events".into());
                    };
                    pending.pop();
                    let flow = matches!(
                        nodes[done].kind,
                        Kind::Map { flow: true, .. } | Kind::Seq { flow: true, .. }
                    );
                    if flow {
                        nodes[done].end = end;
                    }
                    let done_end = nodes[done].end;
                    if let Some(&parent) = stack.last() {
                        nodes[parent].end = nodes[parent].end.max(done_end);
                    }
                    None
                }
                Event::DocumentEnd => break,
                _ => None,
            };
            let Some(node) = new else { continue };
            let id = nodes.len();
            let is_collection = !matches!(node.kind, Kind::Scalar { .. });
            let node_start = node.start;
            let node_end = node.end;
            nodes.push(node);
            match stack.last().copied() {
                None => root = Some(id),
                Some(parent) => {
                    nodes[parent].end = nodes[parent].end.max(node_end);
                    let item_at = block_item_dash(text, node_start);
                    match &mut nodes[parent].kind {
                        Kind::Map { entries, .. } => {
                            let Some(Some((key, key_start, key_end))) =
                                pending.last_mut().map(Option::take)
                            else {
                                return Err("complex mapping keys are not edited".into());
                            };
                            entries.push(Entry {
                                key,
                                key_start,
                                key_end,
                                value: id,
                            });
                        }
                        Kind::Seq { flow, items } => {
                            let at = if *flow { node_start } else { item_at };
                            items.push(Item { at, value: id });
                        }
                        Kind::Scalar { .. } => return Err("unexpected YAML structure".into()),
                    }
                }
            }
            if is_collection {
                stack.push(id);
                pending.push(None);
            }
        }
        let mut tree = Tree {
            text,
            nodes,
            root,
            json,
            newline: if text.contains("\r\n") { "\r\n" } else { "\n" },
            step: 2,
            seq_indent: 0,
        };
        tree.detect_style();
        Ok(tree)
    }

    /// The document's indentation step and sequence indentation, from its first nested
    /// block mapping and first block sequence under a key.
    fn detect_style(&mut self) {
        let mut step = None;
        let mut seq = None;
        for node in &self.nodes {
            let Kind::Map {
                flow: false,
                entries,
            } = &node.kind
            else {
                continue;
            };
            for entry in entries {
                let key_col = self.column(entry.key_start);
                match &self.nodes[entry.value].kind {
                    Kind::Map {
                        flow: false,
                        entries: inner,
                    } if step.is_none() => {
                        if let Some(first) = inner.first() {
                            let col = self.column(first.key_start);
                            if col > key_col && self.only_space_before(first.key_start) {
                                step = Some(col - key_col);
                            }
                        }
                    }
                    Kind::Seq { flow: false, items } if seq.is_none() => {
                        if let Some(first) = items.first() {
                            seq = Some(self.column(first.at).saturating_sub(key_col));
                        }
                    }
                    _ => {}
                }
            }
        }
        self.step = step.unwrap_or(2);
        self.seq_indent = seq.unwrap_or(0);
    }

    /// The objects of the document, as the decoder counts them (`List` items flattened).
    pub fn objects(&self) -> Vec<NodeId> {
        let mut out = Vec::new();
        if let Some(root) = self.root {
            self.collect_objects(root, &mut out, 0);
        }
        out
    }

    fn collect_objects(&self, id: NodeId, out: &mut Vec<NodeId>, depth: usize) {
        let node = &self.nodes[id];
        let Kind::Map { entries, .. } = &node.kind else {
            if !matches!(&node.kind, Kind::Scalar { text, style: ScalarStyle::Plain, .. }
                if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
            {
                out.push(id);
            }
            return;
        };
        let field = |name: &str| {
            entries
                .iter()
                .rev()
                .find(|e| e.key == name)
                .map(|e| e.value)
        };
        let kind = field("kind").and_then(|k| match &self.nodes[k].kind {
            Kind::Scalar { text, .. } => Some(text.as_str()),
            _ => None,
        });
        let items = field("items");
        let is_list = kind.is_some_and(|k| k == "List" || (k.ends_with("List") && items.is_some()));
        if !is_list || depth > 128 {
            return out.push(id);
        }
        match items.map(|i| &self.nodes[i].kind) {
            Some(Kind::Seq { items, .. }) => {
                for item in items {
                    self.collect_objects(item.value, out, depth + 1);
                }
            }
            Some(Kind::Scalar { .. }) | None => {}
            Some(Kind::Map { .. }) => out.push(id),
        }
    }

    fn column(&self, at: usize) -> usize {
        at - self.line_start(at)
    }

    fn line_start(&self, at: usize) -> usize {
        self.text[..at].rfind('\n').map_or(0, |i| i + 1)
    }

    /// After the line holding `at` (after its newline).
    fn line_end(&self, at: usize) -> usize {
        self.text[at..]
            .find('\n')
            .map_or(self.text.len(), |i| at + i + 1)
    }

    /// The end of the line holding `at`, before its newline.
    fn line_content_end(&self, at: usize) -> usize {
        let end = self.text[at..]
            .find('\n')
            .map_or(self.text.len(), |i| at + i);
        if end > at && self.text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        }
    }

    fn only_space_before(&self, at: usize) -> bool {
        self.text[self.line_start(at)..at]
            .bytes()
            .all(|b| b == b' ')
    }
}

/// The `-` of a block sequence item whose value starts at `value_start`: the last `-`
/// before it on its line (or `value_start` when there is none).
fn block_item_dash(text: &str, value_start: usize) -> usize {
    let before = &text[..value_start];
    let trimmed = before.trim_end_matches([' ', '\t']);
    if trimmed.ends_with('-') {
        trimmed.len() - 1
    } else {
        value_start
    }
}

/// Fields to add under one existing node, in the order the edits name them.
#[derive(Debug, Default)]
struct Insert(Vec<(String, InsertValue)>);

#[derive(Debug)]
enum InsertValue {
    Leaf(Value),
    Branch(Insert),
}

impl Insert {
    fn add(&mut self, keys: &[String], value: Value) {
        let Some((first, rest)) = keys.split_first() else {
            return;
        };
        if rest.is_empty() {
            self.0.retain(|(k, _)| k != first);
            self.0.push((first.clone(), InsertValue::Leaf(value)));
            return;
        }
        if let Some((_, InsertValue::Branch(inner))) = self.0.iter_mut().find(|(k, _)| k == first) {
            inner.add(rest, value);
            return;
        }
        let mut inner = Insert::default();
        inner.add(rest, value);
        self.0.push((first.clone(), InsertValue::Branch(inner)));
    }
}

/// One text change: replace `start..end` with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Change {
    start: usize,
    end: usize,
    /// Nesting depth of the node it edits: insertions at one place go deepest first.
    depth: usize,
    text: String,
}

/// Where a path leads.
enum Walk {
    Found(NodeId),
    /// The deepest existing node and the keys still missing below it.
    Missing(NodeId, Vec<String>),
}

impl Tree<'_> {
    fn walk(&self, from: NodeId, path: &FieldPath) -> Result<Walk, String> {
        let mut at = from;
        for (i, segment) in path.0.iter().enumerate() {
            let next = match (segment, &self.nodes[at].kind) {
                (Segment::Field(key) | Segment::Key(key), Kind::Map { entries, .. }) => entries
                    .iter()
                    .rev()
                    .find(|e| &e.key == key)
                    .map(|e| e.value),
                (Segment::Index(index), Kind::Seq { items, .. }) => {
                    items.get(*index).map(|item| item.value)
                }
                (_, Kind::Scalar { .. }) if self.is_null(at) => None,
                _ => return Err(format!("`{path}` does not fit the document's structure")),
            };
            match next {
                Some(next) => at = next,
                None => {
                    let rest = path.0[i..]
                        .iter()
                        .map(|s| match s {
                            Segment::Field(k) | Segment::Key(k) => Ok(k.clone()),
                            Segment::Index(_) => Err(format!("`{path}`: a list item is missing")),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    return Ok(Walk::Missing(at, rest));
                }
            }
        }
        Ok(Walk::Found(at))
    }

    fn is_null(&self, id: NodeId) -> bool {
        matches!(&self.nodes[id].kind, Kind::Scalar { style: ScalarStyle::Plain, text, .. }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    fn depth(&self, mut id: NodeId) -> usize {
        let mut depth = 0;
        while let Some(parent) = self.nodes[id].parent {
            depth += 1;
            id = parent;
        }
        depth
    }

    /// The entry holding node `id` in its parent mapping, if the parent is one.
    fn entry_of(&self, id: NodeId) -> Option<&Entry> {
        let parent = self.nodes[id].parent?;
        match &self.nodes[parent].kind {
            Kind::Map { entries, .. } => entries.iter().find(|e| e.value == id),
            _ => None,
        }
    }

    /// Whether node `id` is written in block context (its parent is a block collection).
    fn in_block(&self, id: NodeId) -> bool {
        !self.json
            && self.nodes[id].parent.is_some_and(|p| {
                matches!(
                    self.nodes[p].kind,
                    Kind::Map { flow: false, .. } | Kind::Seq { flow: false, .. }
                )
            })
    }
}

/// Applies `edits` (paths from the object's root) to the object at `object` of `tree`;
/// returns the edited text of the whole document.
pub fn edit_document(tree: &Tree<'_>, objects: &[(NodeId, Vec<Edit>)]) -> Result<String, String> {
    let mut changes = Vec::new();
    for (object, edits) in objects {
        plan_changes(tree, *object, edits, &mut changes)?;
    }
    changes.sort_by(|a, b| {
        b.start
            .cmp(&a.start)
            .then(b.end.cmp(&a.end))
            .then(a.depth.cmp(&b.depth))
    });
    let mut out = tree.text.to_owned();
    let mut limit = usize::MAX;
    for change in &changes {
        if change.start > change.end || change.end > out.len() {
            return Err("an edit outside the document (please report this podsec bug)".into());
        }
        if change.end > limit {
            return Err("overlapping edits (please report this podsec bug)".into());
        }
        out.replace_range(change.start..change.end, &change.text);
        limit = change.start;
    }
    Ok(out)
}

fn plan_changes(
    tree: &Tree<'_>,
    object: NodeId,
    edits: &[Edit],
    changes: &mut Vec<Change>,
) -> Result<(), String> {
    // Fields to add first: a mapping that also gets fields keeps its place when its
    // entries are removed.
    let mut inserts: BTreeMap<NodeId, Insert> = BTreeMap::new();
    for edit in edits {
        match edit {
            Edit::Set { path, value } => match tree.walk(object, path)? {
                Walk::Found(id) => replace_value(tree, id, value, changes)?,
                Walk::Missing(id, keys) => inserts.entry(id).or_default().add(&keys, value.clone()),
            },
            Edit::AddItem { path, value } => match tree.walk(object, path)? {
                Walk::Found(id) => add_item(tree, id, value, changes)?,
                Walk::Missing(id, keys) => inserts
                    .entry(id)
                    .or_default()
                    .add(&keys, Value::List(vec![value.clone()])),
            },
            Edit::Remove { .. } | Edit::RemoveItem { .. } => {}
        }
    }
    let mut removed: BTreeMap<NodeId, usize> = BTreeMap::new();
    for edit in edits {
        let target = match edit {
            Edit::Remove { path } => path.clone(),
            Edit::RemoveItem { path, index } => path.join(Segment::Index(*index)),
            _ => continue,
        };
        if let Walk::Found(id) = tree.walk(object, &target)? {
            let parent = tree.nodes[id]
                .parent
                .ok_or("cannot remove the object itself")?;
            let keeps = inserts.contains_key(&parent);
            remove_node(tree, id, keeps, changes)?;
            *removed.entry(parent).or_default() += 1;
        }
    }
    for (id, insert) in inserts {
        let emptied = removed.get(&id).copied().unwrap_or(0);
        insert_fields(tree, id, &insert, emptied, changes)?;
    }
    Ok(())
}

// --- rendering ------------------------------------------------------------------------------

fn plain_ok(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        )
}

fn json_string(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

fn key_text(tree: &Tree<'_>, key: &str) -> String {
    if !tree.json && plain_ok(key) {
        key.to_owned()
    } else {
        json_string(key)
    }
}

/// A scalar in flow or JSON form (strings plain where YAML reads them back as strings).
fn scalar_text(tree: &Tree<'_>, value: &Value) -> String {
    match value {
        Value::String(s) if !tree.json && plain_ok(s) => s.clone(),
        Value::List(items) => {
            let parts: Vec<String> = items.iter().map(|v| scalar_text(tree, v)).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

/// A string in the quoting style of the scalar it replaces.
fn styled_scalar(tree: &Tree<'_>, value: &Value, style: ScalarStyle) -> String {
    match (value, style) {
        (Value::String(s), ScalarStyle::SingleQuoted) if !tree.json => {
            format!("'{}'", s.replace('\'', "''"))
        }
        (Value::String(s), ScalarStyle::DoubleQuoted) => json_string(s),
        _ => scalar_text(tree, value),
    }
}

fn flow_insert(tree: &Tree<'_>, insert: &Insert) -> String {
    let parts: Vec<String> = insert
        .0
        .iter()
        .map(|(k, v)| format!("{}: {}", key_text(tree, k), flow_value(tree, v)))
        .collect();
    parts.join(", ")
}

fn flow_value(tree: &Tree<'_>, value: &InsertValue) -> String {
    match value {
        InsertValue::Leaf(v) => scalar_text(tree, v),
        InsertValue::Branch(inner) => format!("{{{}}}", flow_insert(tree, inner)),
    }
}

/// Block lines for `insert` at `indent`.
fn block_insert(tree: &Tree<'_>, insert: &Insert, indent: usize, out: &mut String) {
    let nl = tree.newline;
    for (key, value) in &insert.0 {
        let pad = " ".repeat(indent);
        let key = key_text(tree, key);
        match value {
            InsertValue::Leaf(Value::List(items)) if !items.is_empty() => {
                out.push_str(&format!("{pad}{key}:{nl}"));
                block_items(tree, items, indent + tree.seq_indent, out);
            }
            InsertValue::Leaf(v) => {
                out.push_str(&format!("{pad}{key}: {}{nl}", scalar_text(tree, v)))
            }
            InsertValue::Branch(inner) => {
                out.push_str(&format!("{pad}{key}:{nl}"));
                block_insert(tree, inner, indent + tree.step, out);
            }
        }
    }
}

fn block_items(tree: &Tree<'_>, items: &[Value], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for item in items {
        out.push_str(&format!(
            "{pad}- {}{}",
            scalar_text(tree, item),
            tree.newline
        ));
    }
}

// --- changes --------------------------------------------------------------------------------

fn change(tree: &Tree<'_>, id: NodeId, start: usize, end: usize, text: String) -> Change {
    Change {
        start,
        end,
        depth: tree.depth(id),
        text,
    }
}

/// Text that starts a new line at `at` (after the line holding `at`'s content).
fn after_line(tree: &Tree<'_>, at: usize) -> (usize, String) {
    let end = tree.line_end(at);
    if end == tree.text.len() && !tree.text.ends_with('\n') {
        (end, tree.newline.to_owned())
    } else {
        (end, String::new())
    }
}

/// Replaces an existing value.
fn replace_value(
    tree: &Tree<'_>,
    id: NodeId,
    value: &Value,
    changes: &mut Vec<Change>,
) -> Result<(), String> {
    let node = &tree.nodes[id];
    if let Value::List(items) = value
        && !items.is_empty()
        && tree.in_block(id)
        && is_empty_value(tree, id)
    {
        // `key:` / `key: []` / `key: null` in block style: block items below the key.
        let entry = tree.entry_of(id).ok_or("a list value outside a mapping")?;
        let colon = key_colon(tree, entry.key_end);
        changes.push(change(tree, id, colon, node.end.max(colon), String::new()));
        let (at, mut text) = after_line(tree, node.end);
        block_items(
            tree,
            items,
            tree.column(entry.key_start) + tree.seq_indent,
            &mut text,
        );
        changes.push(change(tree, id, at, at, text));
        return Ok(());
    }
    let text = match &node.kind {
        Kind::Scalar { style, .. } => styled_scalar(tree, value, *style),
        _ => scalar_text(tree, value),
    };
    changes.push(change(tree, id, node.start, node.end, text));
    Ok(())
}

/// An empty collection or a null.
fn is_empty_value(tree: &Tree<'_>, id: NodeId) -> bool {
    match &tree.nodes[id].kind {
        Kind::Map { entries, .. } => entries.is_empty(),
        Kind::Seq { items, .. } => items.is_empty(),
        Kind::Scalar { .. } => tree.is_null(id),
    }
}

/// Adds missing fields under the existing node `id` (a mapping, or a null to become one).
fn insert_fields(
    tree: &Tree<'_>,
    id: NodeId,
    insert: &Insert,
    removed: usize,
    changes: &mut Vec<Change>,
) -> Result<(), String> {
    let node = &tree.nodes[id];
    match &node.kind {
        Kind::Map {
            flow: false,
            entries,
        } => {
            let first = entries.first().ok_or("an empty block mapping")?;
            let (at, mut text) = after_line(tree, node.end);
            block_insert(tree, insert, tree.column(first.key_start), &mut text);
            changes.push(change(tree, id, at, at, text));
        }
        Kind::Map {
            flow: true,
            entries,
        } if entries.is_empty() && tree.in_block(id) => {
            block_under_key(tree, id, insert, changes)?;
        }
        Kind::Map {
            flow: true,
            entries,
        } => match entries.last().filter(|_| removed < entries.len()) {
            None => changes.push(change(
                tree,
                id,
                node.start + 1,
                node.start + 1,
                flow_insert(tree, insert),
            )),
            Some(last) => {
                let last_end = tree.nodes[last.value].end;
                let multiline = tree.line_start(last.key_start) != tree.line_start(node.start);
                let text = if multiline {
                    let pad = " ".repeat(tree.column(last.key_start));
                    let sep = format!(",{}{pad}", tree.newline);
                    let parts: Vec<String> = insert
                        .0
                        .iter()
                        .map(|(k, v)| format!("{}: {}", key_text(tree, k), flow_value(tree, v)))
                        .collect();
                    format!("{sep}{}", parts.join(&sep))
                } else {
                    format!(", {}", flow_insert(tree, insert))
                };
                changes.push(change(tree, id, last_end, last_end, text));
            }
        },
        Kind::Scalar { .. } if tree.is_null(id) => {
            if tree.in_block(id) && tree.entry_of(id).is_some() {
                block_under_key(tree, id, insert, changes)?;
            } else {
                let text = format!("{{{}}}", flow_insert(tree, insert));
                changes.push(change(tree, id, node.start, node.end, text));
            }
        }
        _ => return Err("a field to add under a value that is not a mapping".into()),
    }
    Ok(())
}

/// Replaces an empty value (`key:`, `key: null`, `key: {}`) of a block mapping entry by
/// block lines below the key.
fn block_under_key(
    tree: &Tree<'_>,
    id: NodeId,
    insert: &Insert,
    changes: &mut Vec<Change>,
) -> Result<(), String> {
    let node = &tree.nodes[id];
    let entry = tree.entry_of(id).ok_or("a value outside a mapping")?;
    let from = key_colon(tree, entry.key_end);
    changes.push(change(tree, id, from, node.end.max(from), String::new()));
    let (at, mut text) = after_line(tree, node.end.max(entry.key_start));
    block_insert(
        tree,
        insert,
        tree.column(entry.key_start) + tree.step,
        &mut text,
    );
    changes.push(change(tree, id, at, at, text));
    Ok(())
}

/// Appends an item to an existing list (or sets a one-item list on a null).
fn add_item(
    tree: &Tree<'_>,
    id: NodeId,
    value: &Value,
    changes: &mut Vec<Change>,
) -> Result<(), String> {
    let node = &tree.nodes[id];
    match &node.kind {
        Kind::Seq { flow: false, items } => {
            let last = items.last().ok_or("an empty block sequence")?;
            let (at, mut text) = after_line(tree, node.end);
            block_items(
                tree,
                std::slice::from_ref(value),
                tree.column(last.at),
                &mut text,
            );
            changes.push(change(tree, id, at, at, text));
        }
        Kind::Seq { flow: true, items } => match items.last() {
            None => changes.push(change(
                tree,
                id,
                node.start + 1,
                node.start + 1,
                scalar_text(tree, value),
            )),
            Some(last) => {
                let end = tree.nodes[last.value].end;
                changes.push(change(
                    tree,
                    id,
                    end,
                    end,
                    format!(", {}", scalar_text(tree, value)),
                ));
            }
        },
        Kind::Scalar { .. } if tree.is_null(id) => {
            replace_value(tree, id, &Value::List(vec![value.clone()]), changes)?;
        }
        _ => return Err("an item to add to a value that is not a list".into()),
    }
    Ok(())
}

/// Removes the entry or item whose value is `id`.
fn remove_node(
    tree: &Tree<'_>,
    id: NodeId,
    keeps: bool,
    changes: &mut Vec<Change>,
) -> Result<(), String> {
    let parent = tree.nodes[id]
        .parent
        .ok_or("cannot remove the object itself")?;
    let end = tree.nodes[id].end;
    // (start of each sibling, end of each sibling) and which one is `id`.
    let (flow, starts, ends, index) = match &tree.nodes[parent].kind {
        Kind::Map { flow, entries } => (
            *flow,
            entries.iter().map(|e| e.key_start).collect::<Vec<_>>(),
            entries
                .iter()
                .map(|e| tree.nodes[e.value].end.max(e.key_start))
                .collect::<Vec<_>>(),
            entries.iter().position(|e| e.value == id),
        ),
        Kind::Seq { flow, items } => (
            *flow,
            items.iter().map(|i| i.at).collect(),
            items.iter().map(|i| tree.nodes[i.value].end).collect(),
            items.iter().position(|i| i.value == id),
        ),
        Kind::Scalar { .. } => return Err("unexpected YAML structure".into()),
    };
    let index = index.ok_or("unexpected YAML structure")?;
    let start = starts[index];
    let end = end.max(ends[index]);
    let empty = if matches!(tree.nodes[parent].kind, Kind::Map { .. }) {
        "{}"
    } else {
        "[]"
    };
    if flow {
        let (from, to) = if index + 1 < starts.len() {
            (start, starts[index + 1])
        } else if index > 0 {
            (ends[index - 1], end)
        } else {
            (start, end)
        };
        changes.push(change(tree, id, from, to, String::new()));
        return Ok(());
    }
    if starts.len() == 1 && keeps && !tree.only_space_before(start) {
        // The only entry of a compact item that gets other fields: they follow below.
        changes.push(change(
            tree,
            id,
            start,
            tree.line_content_end(end),
            String::new(),
        ));
        return Ok(());
    }
    if starts.len() == 1 && !keeps {
        // The collection becomes empty: `{}` / `[]` where it is written.
        let node = &tree.nodes[parent];
        let to = tree.line_content_end(end);
        match tree.entry_of(parent) {
            Some(entry) if tree.line_start(entry.key_start) != tree.line_start(node.start) => {
                let from = key_colon(tree, entry.key_end);
                changes.push(change(tree, parent, from, to, format!(" {empty}")));
            }
            _ => changes.push(change(tree, parent, start, to, empty.to_owned())),
        }
        return Ok(());
    }
    if tree.only_space_before(start) {
        changes.push(change(
            tree,
            id,
            tree.line_start(start),
            tree.line_end(end),
            String::new(),
        ));
    } else if index + 1 < starts.len() {
        // The first entry of a compact item (`- hostPort: 80`): the next entry moves up.
        changes.push(change(tree, id, start, starts[index + 1], String::new()));
    } else {
        return Err("an entry that shares its line cannot be removed".into());
    }
    Ok(())
}

/// The position after the `:` that follows a key ending at `key_end`.
fn key_colon(tree: &Tree<'_>, key_end: usize) -> usize {
    tree.text[key_end..]
        .find(':')
        .map_or(key_end, |i| key_end + i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> FieldPath {
        FieldPath::parse(p).expect("path")
    }

    fn edit(text: &str, edits: Vec<Edit>) -> String {
        let json = text.trim_start().starts_with('{') && text.contains('"');
        let tree = Tree::parse(text, json).expect("parses");
        let objects = tree.objects();
        edit_document(&tree, &[(objects[0], edits)]).expect("edits")
    }

    fn set(p: &str, value: Value) -> Edit {
        Edit::Set {
            path: path(p),
            value,
        }
    }

    #[test]
    fn indentless_and_indented_sequences_and_crlf() {
        let text =
            "spec:\r\n  containers:\r\n  - name: a\r\n    ports:\r\n    - containerPort: 1\r\n";
        let out = edit(
            text,
            vec![set(
                "spec.containers[0].securityContext.capabilities.drop",
                Value::List(vec![Value::str("ALL")]),
            )],
        );
        assert_eq!(
            out,
            "spec:\r\n  containers:\r\n  - name: a\r\n    ports:\r\n    - containerPort: 1\r\n    securityContext:\r\n      capabilities:\r\n        drop:\r\n        - ALL\r\n"
        );
        let text = "spec:\n    containers:\n        -   name: a\n";
        let out = edit(
            text,
            vec![set(
                "spec.containers[0].securityContext.capabilities.drop",
                Value::List(vec![Value::str("ALL")]),
            )],
        );
        assert_eq!(
            out,
            "spec:\n    containers:\n        -   name: a\n            securityContext:\n                capabilities:\n                    drop:\n                        - ALL\n"
        );
    }

    #[test]
    fn removing_entries_and_items() {
        let text =
            "a:\n  - hostPort: 1 # x\n    b: 2\n  - c: 3\n# kept\nd: [x, y, z]\ne: {f: 1, g: 2}\n";
        let out = edit(
            text,
            vec![
                Edit::Remove {
                    path: path("a[0].hostPort"),
                },
                Edit::RemoveItem {
                    path: path("d"),
                    index: 2,
                },
                Edit::RemoveItem {
                    path: path("d"),
                    index: 0,
                },
                Edit::Remove { path: path("e.f") },
                Edit::Remove {
                    path: path("a[1].c"),
                },
            ],
        );
        assert_eq!(out, "a:\n  - b: 2\n  - {}\n# kept\nd: [y]\ne: {g: 2}\n");
    }

    #[test]
    fn quoting_styles_are_kept() {
        let text = "a: 'Unconfined'\nb: \"Unconfined\"\nc: Unconfined\nd: true\n";
        let out = edit(
            text,
            vec![
                set("a", Value::str("RuntimeDefault")),
                set("b", Value::str("RuntimeDefault")),
                set("c", Value::str("RuntimeDefault")),
                set("d", Value::Bool(false)),
            ],
        );
        assert_eq!(
            out,
            "a: 'RuntimeDefault'\nb: \"RuntimeDefault\"\nc: RuntimeDefault\nd: false\n"
        );
    }

    #[test]
    fn multi_line_json_objects_get_their_own_lines() {
        let text = "{\n  \"spec\": {\n    \"a\": 1\n  }\n}";
        let out = edit(text, vec![set("spec.b.c", Value::Bool(true))]);
        assert_eq!(
            out,
            "{\n  \"spec\": {\n    \"a\": 1,\n    \"b\": {\"c\": true}\n  }\n}"
        );
        let back: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(back["spec"]["b"]["c"], true);
    }

    #[test]
    fn aliases_are_refused() {
        let text = "a: &x {b: 1}\nc: *x\n";
        assert!(Tree::parse(text, false).is_err());
    }
}

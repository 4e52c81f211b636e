//! Where a field is written: the line and column of a field path in a manifest document.
//!
//! Findings name fields by paths rooted at their object, such as
//! `spec.template.spec.containers[0].securityContext.privileged` or
//! `metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]`.
//! [`index`](crate::locate::index) records where every mapping key and sequence item of a
//! document is written, one [`FieldIndex`](crate::locate::FieldIndex) per object, in the
//! order [`Document::decode`](crate::Document::decode) yields the objects;
//! [`FieldIndex::locate`](crate::locate::FieldIndex::locate) then answers the position of
//! a path.
//!
//! ```
//! use podsec_manifest::documents;
//! use podsec_manifest::locate::{Location, index};
//!
//! let text = "\
//! ## a pod
//! apiVersion: v1
//! kind: Pod
//! spec:
//!   containers:
//!   - name: app
//!     image: nginx
//! ";
//! let docs = documents(text);
//! let fields = index(&docs[0]);
//! let pod = &fields[0];
//! assert_eq!(pod.locate("spec.containers[0]"), Location { line: 6, column: 3, exact: true });
//! assert_eq!(pod.locate("spec.containers[0].image"), Location { line: 7, column: 5, exact: true });
//! // Not set: the position of the deepest field that is (the container's item).
//! assert_eq!(
//!     pod.locate("spec.containers[0].securityContext.privileged"),
//!     Location { line: 6, column: 3, exact: false }
//! );
//! ```
//!
//! ## Positions
//!
//! Lines are 1-based lines of the whole stream (as
//! [`Document::line`](crate::Document::line)), columns are 1-based and count characters
//! (not bytes). The position of a mapping key is where the key starts (its opening quote
//! when quoted); the position of a sequence item is its `-` in a block sequence, and where
//! the item starts (`{`, `[`, a scalar's first character) in a flow sequence or JSON array.
//! The position of the object itself (the empty path) is where its value starts: the first
//! key of a block mapping, the `{` of a flow mapping or JSON object, or the `-` of a `List`
//! item.
//!
//! ## YAML
//!
//! Most manifests are in the subset of YAML that the decoder's fast path reads (block
//! mappings and sequences, one-line scalars and flow collections, comments): their
//! positions are read by that same parser, in one pass that records where each key and
//! item is written. Everything else is read with `granit-parser`, the YAML parser
//! serde-saphyr is built on, so block and flow collections, comments, multi-line and block
//! scalars, quoted keys, tags and complex keys are all read as the decoder reads them. Both
//! give the same positions (a differential test over the conformance corpus and generated
//! manifests checks this). A repeated key: the last one wins, as in decoding.
//!
//! **Aliases** are followed, not copied: a field reached through an alias (`spec: *base`)
//! is positioned at the key or item that holds the alias, and the fields *inside* the
//! aliased node at the anchored node's text (where they are actually written). Likewise,
//! a key merged in by `<<: *base` (or `<<: [*a, *b]`) is positioned inside the anchored
//! mapping. Merge precedence is YAML's: the mapping's own keys first, then the merged
//! mappings in order.
//!
//! ## JSON
//!
//! A document is located as JSON exactly when [`Document::decode`](crate::Document::decode)
//! reads it as JSON ([`Document::is_json`](crate::Document::is_json)): a document that
//! starts with `{` or `[` but is YAML in flow style is located as YAML. A JSON document may
//! hold several concatenated values: one index per value (per
//! object, for `List` values). A repeated key whose values are objects (or arrays) merges
//! them as the decoder does, so a field is found in whichever of them holds it (the last
//! one first).
//!
//! ## Alignment with decoding
//!
//! The objects are counted exactly as [`Document::decode`](crate::Document::decode) counts
//! them (from the same parser's reading on the fast path, else from the decoded value, or
//! without it when the document is certainly one object: a mapping whose `kind` cannot be a
//! list's): `List` items (nested lists flattened) one by one, a `null` document or JSON
//! `null` value yields nothing, and a document (or JSON value) that fails to parse yields
//! one index, like its one error. When no position can be known (a syntax error, an invalid
//! separator line), the index answers the document's first line (or the failing JSON
//! value's) with `exact: false` for every path.
//!
//! Documents are never re-parsed per path: [`index`](crate::locate::index) reads a YAML
//! document once (on the fast path, or with granit-parser for one object; with
//! granit-parser and the full parser for the rest; deep nesting is bounded by the parsers'
//! limits, `<<` merge chains by a lookup budget), and
//! [`FieldIndex::locate`](crate::locate::FieldIndex::locate) costs a scan of one mapping's
//! keys per path segment. On the fast path, an index holds a copy of the document's text
//! and about 40 bytes per key or item.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use granit_parser::{Event, Options, Parser, ScalarStyle, Span, StructureStyle};
use serde_json::Value;

use crate::split::Document;
use crate::value::JsonValue;

#[cfg(test)]
mod differential;
mod fast;

/// Where [`FieldIndex::locate`] found a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Location {
    /// 1-based line in the whole stream.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Whether the field itself was found; `false` when the position is that of its deepest
    /// present ancestor (the field is not set, or the path does not fit the document).
    pub exact: bool,
}

/// The field positions of one object of a document: see the [module docs](self).
///
/// Cheap to clone (the document's positions are shared).
#[derive(Debug, Clone)]
pub struct FieldIndex {
    source: Source,
    /// The object's position (or the fallback position when it could not be found).
    start: Pos,
}

/// Where a [`FieldIndex`]'s positions come from.
#[derive(Debug, Clone)]
enum Source {
    /// No positions could be read (or the object could not be found in them).
    Unknown,
    /// Read by the fast YAML parser: the document's tree and the object's node.
    Fast { tree: Arc<fast::Tree>, node: u32 },
    /// Read from `granit-parser` events or JSON tokens: the object's node, or its nodes when
    /// repeated JSON keys merge (latest first; never empty).
    Full { tree: Arc<Tree>, roots: Vec<NodeId> },
}

impl FieldIndex {
    /// The position of the field `path` (rooted at the object: `spec.containers[0].image`,
    /// `metadata.annotations["example.com/key"]`), or of its deepest present ancestor with
    /// `exact: false`. The empty path is the object itself.
    ///
    /// Path syntax: field names separated by `.`, sequence indices as `[0]`, and mapping keys
    /// as a quoted string in brackets (`["a.b/c"]`, Go or JSON escapes: `\"`, `\\`, `\n`,
    /// `\uXXXX`, ...). A malformed path is followed as far as it can be read, with
    /// `exact: false`.
    pub fn locate(&self, path: &str) -> Location {
        match &self.source {
            Source::Unknown => self.start.location(false),
            Source::Fast { tree, node } => {
                let (pos, exact) = tree.walk(*node, self.start, &mut Path::new(path));
                pos.location(exact)
            }
            Source::Full { tree, roots } => {
                let (segments, complete) = parse_path(path);
                let walk = tree.walk(roots, self.start, &segments);
                walk.pos.location(walk.exact && complete)
            }
        }
    }
}

/// The field positions of each object of `document`, in the order of
/// [`Document::decode`]'s results (one index per result).
pub fn index(document: &Document<'_>) -> Vec<FieldIndex> {
    let fallback = Pos {
        line: document.line(),
        column: 1,
    };
    if document.invalid_separator().is_some() {
        return vec![FieldIndex::unknown(fallback)];
    }
    if document.starts_like_json() {
        index_json(document, fallback)
    } else {
        index_yaml(document, fallback)
    }
}

/// [`index`] of every document of `text`: one index per result of [`crate::decode`], in
/// its order (the `doc` index of a result is the position of its [`FieldIndex`]).
pub fn index_stream(text: &str) -> Vec<FieldIndex> {
    crate::documents(text).iter().flat_map(index).collect()
}

impl FieldIndex {
    fn unknown(start: Pos) -> Self {
        FieldIndex {
            source: Source::Unknown,
            start,
        }
    }
}

fn index_yaml(document: &Document<'_>, fallback: Pos) -> Vec<FieldIndex> {
    match fast::index(document.text(), document.line()) {
        Some(fields) => fields,
        None => index_yaml_full(document, fallback),
    }
}

/// [`index`] of a YAML document from `granit-parser` events: any YAML.
fn index_yaml_full(document: &Document<'_>, fallback: Pos) -> Vec<FieldIndex> {
    let mut builder = Builder::new(document.text(), document.line());
    let parsed = builder.yaml();
    let root = builder.roots.first().copied().filter(|_| parsed);
    let tree = Arc::new(builder.finish(false));
    // Most documents are one object (not a `List`): no need to read their value.
    if let Some(root) = root
        && tree.one_object(root)
    {
        return vec![FieldIndex::at(&tree, &[root], &[])];
    }
    index_yaml_objects(document, fallback, &tree, root)
}

/// [`index_yaml_full`] with the objects read from the document's value (`root`: the
/// document's node in `tree`, `None` if its events could not be read).
fn index_yaml_objects(
    document: &Document<'_>,
    fallback: Pos,
    tree: &Arc<Tree>,
    root: Option<NodeId>,
) -> Vec<FieldIndex> {
    let text = document.text();
    let value = match crate::fast_yaml::parse(text) {
        Some(value) => value,
        None => match crate::decode::full_yaml(text) {
            Ok(value) => value,
            Err(_) => return vec![FieldIndex::unknown(fallback)],
        },
    };
    object_paths(&value)
        .iter()
        .map(|segments| match root {
            Some(root) => FieldIndex::at(tree, &[root], segments),
            None => FieldIndex::unknown(fallback),
        })
        .collect()
}

/// [`index`] of a document that starts like JSON: JSON values as the decoder reads them, or
/// [`index_yaml`] when the decoder reads the document as YAML (it is not JSON, and is YAML
/// or reports a YAML error).
fn index_json(document: &Document<'_>, fallback: Pos) -> Vec<FieldIndex> {
    let text = document.text();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<JsonValue>();
    let mut builder = Builder::new(text, document.line());
    let mut cursor = Cursor::new(text, document.line());
    // Each value: its object paths, and its root node (or its fallback position).
    let mut values: Vec<(Vec<ObjectPath>, Result<NodeId, Pos>)> = Vec::new();
    // Values read, including those that yield no object (`null`).
    let mut read = 0;
    loop {
        let offset = stream.byte_offset();
        let rest = text.get(offset..).unwrap_or_default();
        let start = offset + (rest.len() - rest.trim_start().len());
        match stream.next() {
            None => break,
            Some(Ok(JsonValue(value))) => {
                read += 1;
                let end = stream.byte_offset();
                let objects = object_paths(&value);
                if objects.is_empty() {
                    continue;
                }
                let before = builder.roots.len();
                let pos = cursor.at(start);
                let root = if builder.json(start, end, &mut cursor) {
                    builder.roots.get(before).copied().ok_or(pos)
                } else {
                    Err(pos)
                };
                builder.stack.clear();
                values.push((objects, root));
            }
            Some(Err(err)) => {
                if !matches!(
                    crate::decode::not_json(text, read, &err, true),
                    crate::decode::NotJson::JsonError
                ) {
                    return index_yaml(document, fallback);
                }
                values.push((vec![Vec::new()], Err(cursor.at(start))));
                break;
            }
        }
    }
    let tree = Arc::new(builder.finish(true));
    let mut out = Vec::new();
    for (objects, root) in values {
        for segments in &objects {
            out.push(match root {
                Ok(root) => FieldIndex::at(&tree, &[root], segments),
                Err(pos) => FieldIndex::unknown(pos),
            });
        }
    }
    out
}

impl FieldIndex {
    /// The index of the object at `segments` from the document value `roots`.
    fn at(tree: &Arc<Tree>, roots: &[NodeId], segments: &[Segment<'_>]) -> Self {
        let Some(&first) = roots.first() else {
            return FieldIndex::unknown(Pos { line: 1, column: 1 });
        };
        let start = tree
            .node(first)
            .map_or(Pos { line: 1, column: 1 }, |n| n.start);
        let walk = tree.walk(roots, start, segments);
        let source = if walk.exact && !walk.nodes.is_empty() {
            Source::Full {
                tree: Arc::clone(tree),
                roots: walk.nodes,
            }
        } else {
            Source::Unknown
        };
        FieldIndex {
            source,
            start: walk.pos,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Objects of a document value, as `decode` counts them.

/// The path of an object from its document's value (`items[1]` for a `List` item).
type ObjectPath = Vec<Segment<'static>>;

/// Deepest `List` nesting followed (the decoder's own limits are lower).
const MAX_LIST_DEPTH: usize = 128;

/// The path (from the document value) of each object [`Document::decode`] yields for
/// `value`, in its order. Mirrors `decode_value`: `null` yields nothing, a `List` yields its
/// items (recursively), anything else (including a decoding error) one object.
fn object_paths(value: &Value) -> Vec<ObjectPath> {
    let mut out = Vec::new();
    collect_objects(value, &mut Vec::new(), &mut out);
    out
}

fn collect_objects(value: &Value, path: &mut ObjectPath, out: &mut Vec<ObjectPath>) {
    let map = match value {
        Value::Null => return,
        Value::Object(map) => map,
        _ => return out.push(path.clone()),
    };
    let string_field = |key: &str| match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(()),
    };
    let (Ok(kind), Ok(_)) = (string_field("kind"), string_field("apiVersion")) else {
        return out.push(path.clone());
    };
    let is_list =
        kind.is_some_and(|k| k == "List" || (k.ends_with("List") && map.contains_key("items")));
    if !is_list || path.len() >= 2 * MAX_LIST_DEPTH {
        return out.push(path.clone());
    }
    match map.get("items") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Segment::Key(Cow::Borrowed("items")));
                path.push(Segment::Index(i));
                collect_objects(item, path, out);
                path.truncate(path.len() - 2);
            }
        }
        Some(_) => out.push(path.clone()),
    }
}

// ---------------------------------------------------------------------------------------
// Paths.

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment<'a> {
    /// A mapping key.
    Key(Cow<'a, str>),
    /// A sequence index.
    Index(usize),
}

/// The segments of `path`, and whether all of it could be read.
fn parse_path(path: &str) -> (Vec<Segment<'_>>, bool) {
    let mut segments = Path::new(path);
    let out = segments.by_ref().collect();
    (out, segments.complete())
}

/// The segments of a path, read one by one (stops where the path is malformed).
struct Path<'a> {
    path: &'a str,
    /// Byte offset of what is left to read.
    at: usize,
    malformed: bool,
}

impl<'a> Path<'a> {
    fn new(path: &'a str) -> Self {
        Path {
            path,
            at: 0,
            malformed: false,
        }
    }

    /// Whether the path was read to its end without error (once the iterator is done).
    fn complete(&self) -> bool {
        !self.malformed
    }

    fn fail(&mut self) -> Option<Segment<'a>> {
        self.malformed = true;
        self.at = self.path.len();
        None
    }
}

impl<'a> Iterator for Path<'a> {
    type Item = Segment<'a>;

    fn next(&mut self) -> Option<Segment<'a>> {
        let path = self.path;
        let bytes = path.as_bytes();
        loop {
            let i = self.at;
            match *bytes.get(i)? {
                b'.' if i > 0
                    && i + 1 < bytes.len()
                    && bytes[i + 1] != b'.'
                    && bytes[i + 1] != b'[' =>
                {
                    self.at += 1;
                }
                b'[' => {
                    let Some((segment, next)) = bracket(path, i + 1) else {
                        return self.fail();
                    };
                    self.at = next;
                    return Some(segment);
                }
                b'.' => return self.fail(),
                _ => {
                    let end = path[i..].find(['.', '[']).map_or(path.len(), |n| i + n);
                    self.at = end;
                    return Some(Segment::Key(Cow::Borrowed(&path[i..end])));
                }
            }
        }
    }
}

/// The segment of a bracket whose content starts at `start`, and the offset after its `]`.
fn bracket(path: &str, start: usize) -> Option<(Segment<'_>, usize)> {
    let rest = path.get(start..)?;
    if rest.starts_with('"') {
        let (key, len) = unquote(rest)?;
        let after = start + len;
        path.get(after..)?
            .starts_with(']')
            .then(|| (Segment::Key(Cow::Owned(key)), after + 1))
    } else {
        let close = rest.find(']')?;
        let index = rest[..close].parse::<usize>().ok()?;
        Some((Segment::Index(index), start + close + 1))
    }
}

/// Unquotes the Go (or JSON) quoted string at the start of `text`: the string and the
/// length of its quoted form.
fn unquote(text: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = text.char_indices();
    if chars.next()?.1 != '"' {
        return None;
    }
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, i + 1)),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'v' => out.push('\u{b}'),
                    '\\' | '"' | '\'' | '/' => out.push(e),
                    'x' | 'u' | 'U' => {
                        let digits = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let code = hex(&mut chars, digits)?;
                        if e == 'x' {
                            // Go: one byte; only ASCII can stand alone in a `String`.
                            out.push(char::from_u32(code).filter(char::is_ascii)?);
                        } else if e == 'u' && (0xD800..0xDC00).contains(&code) {
                            // JSON: a UTF-16 surrogate pair.
                            let (_, a) = chars.next()?;
                            let (_, b) = chars.next()?;
                            if (a, b) != ('\\', 'u') {
                                return None;
                            }
                            let low = hex(&mut chars, 4)?;
                            if !(0xDC00..0xE000).contains(&low) {
                                return None;
                            }
                            let code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                            out.push(char::from_u32(code)?);
                        } else {
                            out.push(char::from_u32(code)?);
                        }
                    }
                    '0'..='7' => {
                        let mut code = e.to_digit(8)?;
                        for _ in 0..2 {
                            code = code * 8 + chars.next()?.1.to_digit(8)?;
                        }
                        out.push(char::from_u32(code).filter(char::is_ascii)?);
                    }
                    _ => return None,
                }
            }
            c => out.push(c),
        }
    }
    None
}

fn hex(chars: &mut std::str::CharIndices<'_>, digits: usize) -> Option<u32> {
    let mut code = 0u32;
    for _ in 0..digits {
        code = code.checked_mul(16)? + chars.next()?.1.to_digit(16)?;
    }
    Some(code)
}

// ---------------------------------------------------------------------------------------
// The position tree.

type NodeId = usize;

/// A 1-based stream line and 1-based character column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pos {
    line: usize,
    column: usize,
}

impl Pos {
    fn location(self, exact: bool) -> Location {
        Location {
            line: self.line,
            column: self.column,
            exact,
        }
    }
}

#[derive(Debug)]
struct Node {
    /// Where the node's value starts.
    start: Pos,
    kind: NodeKind,
    /// A scalar whose text ends with `List` (it may be the `kind` of a list).
    list_like: bool,
}

#[derive(Debug)]
enum NodeKind {
    Scalar,
    Seq(Vec<Item>),
    Map(Vec<Pair>),
}

/// A sequence item: where it is written, and its value.
#[derive(Debug)]
struct Item {
    pos: Pos,
    value: NodeId,
}

/// A mapping entry: its key (`None` for a key that is not a scalar), where the key is
/// written, and its value.
#[derive(Debug)]
struct Pair {
    key: Option<Box<str>>,
    /// A `<<` merge key.
    merge: bool,
    pos: Pos,
    value: NodeId,
}

/// The positions of a document: its nodes (an alias is the anchored node's id, so this is
/// a graph in YAML).
#[derive(Debug)]
struct Tree {
    nodes: Vec<Node>,
    /// JSON rules for repeated keys (merge), otherwise YAML's (last wins, `<<` merges).
    json: bool,
}

/// The result of following a path.
struct Walk {
    /// The nodes reached (several when repeated JSON keys merge; latest first).
    nodes: Vec<NodeId>,
    /// The position of the last segment found (or the start).
    pos: Pos,
    /// Whether every segment was found.
    exact: bool,
}

/// Merged mappings visited at most per key lookup (against alias bombs made of merges).
const MERGE_BUDGET: usize = 4096;
/// Deepest chain of `<<` merges followed.
const MAX_MERGE_DEPTH: usize = 32;

impl Tree {
    fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id)
    }

    fn walk(&self, roots: &[NodeId], start: Pos, segments: &[Segment<'_>]) -> Walk {
        let mut nodes = roots.to_vec();
        let mut pos = start;
        for segment in segments {
            let found = self.step(&nodes, segment);
            let Some(&(first, _)) = found.first() else {
                return Walk {
                    nodes,
                    pos,
                    exact: false,
                };
            };
            pos = first;
            nodes = found.into_iter().map(|(_, id)| id).collect();
            if self.json {
                self.merge_chain(&mut nodes);
            }
        }
        Walk {
            nodes,
            pos,
            exact: true,
        }
    }

    /// The positions and values `segment` leads to from `nodes` (latest first).
    fn step(&self, nodes: &[NodeId], segment: &Segment<'_>) -> Vec<(Pos, NodeId)> {
        let mut out = Vec::new();
        match segment {
            Segment::Key(key) => {
                for &id in nodes {
                    if self.json {
                        if let Some(NodeKind::Map(pairs)) = self.node(id).map(|n| &n.kind) {
                            out.extend(
                                pairs
                                    .iter()
                                    .rev()
                                    .filter(|p| p.key.as_deref() == Some(key))
                                    .map(|p| (p.pos, p.value)),
                            );
                        }
                    } else {
                        let mut budget = MERGE_BUDGET;
                        if let Some(found) = self.yaml_lookup(id, key, 0, &mut budget) {
                            out.push(found);
                            break;
                        }
                    }
                }
            }
            &Segment::Index(index) => {
                for &id in nodes {
                    match self.node(id).map(|n| &n.kind) {
                        Some(NodeKind::Seq(items)) => match items.get(index) {
                            Some(item) => out.push((item.pos, item.value)),
                            None => break,
                        },
                        _ => break,
                    }
                }
            }
        }
        out
    }

    /// A key in a YAML mapping: its last explicit occurrence, else the merged mappings'.
    fn yaml_lookup(
        &self,
        id: NodeId,
        key: &str,
        depth: usize,
        budget: &mut usize,
    ) -> Option<(Pos, NodeId)> {
        if *budget == 0 || depth > MAX_MERGE_DEPTH {
            return None;
        }
        *budget -= 1;
        let Some(NodeKind::Map(pairs)) = self.node(id).map(|n| &n.kind) else {
            return None;
        };
        if let Some(pair) = pairs
            .iter()
            .rev()
            .find(|p| !p.merge && p.key.as_deref() == Some(key))
        {
            return Some((pair.pos, pair.value));
        }
        for pair in pairs.iter().rev().filter(|p| p.merge) {
            let sources: &[Item] = match self.node(pair.value).map(|n| &n.kind) {
                Some(NodeKind::Map(_)) => {
                    if let Some(found) = self.yaml_lookup(pair.value, key, depth + 1, budget) {
                        return Some(found);
                    }
                    continue;
                }
                Some(NodeKind::Seq(items)) => items,
                _ => continue,
            };
            for item in sources {
                if let Some(found) = self.yaml_lookup(item.value, key, depth + 1, budget) {
                    return Some(found);
                }
            }
        }
        None
    }

    /// Keeps the values that the decoder merges into the latest one (JSON repeated keys:
    /// objects merge with objects, arrays with arrays; anything else replaces).
    fn merge_chain(&self, nodes: &mut Vec<NodeId>) {
        let kind = |id: NodeId| match self.node(id).map(|n| &n.kind) {
            Some(NodeKind::Map(_)) => 1,
            Some(NodeKind::Seq(_)) => 2,
            _ => 0,
        };
        let Some(&first) = nodes.first() else { return };
        let first_kind = kind(first);
        if first_kind == 0 {
            nodes.truncate(1);
            return;
        }
        let same = nodes
            .iter()
            .take_while(|&&id| kind(id) == first_kind)
            .count();
        nodes.truncate(same);
    }

    /// Whether the YAML document whose node is `root` is certainly one object for
    /// [`Document::decode`] (which reads it, or fails to, as one object), whatever its
    /// value: a sequence, or a mapping whose `kind` cannot be a list's (not a scalar ending
    /// with `List`) and that holds no merge key, alias key or complex key (they could bring
    /// a `kind`). Scalars may be `null` (no object): not certain.
    fn one_object(&self, root: NodeId) -> bool {
        match self.node(root).map(|n| &n.kind) {
            Some(NodeKind::Seq(_)) => true,
            Some(NodeKind::Map(pairs)) => pairs.iter().all(|pair| match pair.key.as_deref() {
                None => false,
                Some(_) if pair.merge => false,
                Some("kind") => self.node(pair.value).is_some_and(|n| !n.list_like),
                Some(_) => true,
            }),
            _ => false,
        }
    }

    fn finish_node(&mut self, id: NodeId, kind: NodeKind) {
        if let Some(node) = self.nodes.get_mut(id) {
            node.kind = kind;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Building the tree from YAML events or JSON tokens.

/// The content of a collection being built.
enum Content {
    Seq {
        items: Vec<Item>,
        /// Block notation: items are positioned at their `-`.
        block: bool,
    },
    Map {
        pairs: Vec<Pair>,
        /// The key read, waiting for its value.
        key: Option<(Option<Box<str>>, bool, Pos)>,
    },
}

struct Frame {
    node: NodeId,
    /// The collection's position as an item of its parent sequence.
    item_pos: Pos,
    content: Content,
}

struct Builder<'t> {
    text: &'t str,
    first_line: usize,
    nodes: Vec<Node>,
    stack: Vec<Frame>,
    roots: Vec<NodeId>,
    /// Byte offset of the end of the last event (YAML), where a block item's `-` search
    /// starts.
    last_end: Option<usize>,
    /// Byte offset of the `-` of the last item placed in a block sequence by
    /// [`Builder::item_pos`].
    last_dash: Option<usize>,
}

/// How a new node relates to the collection it is in.
enum Role {
    Root,
    Key,
    Value,
    Item,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str, first_line: usize) -> Self {
        Builder {
            text,
            first_line,
            nodes: Vec::new(),
            stack: Vec::new(),
            roots: Vec::new(),
            last_end: None,
            last_dash: None,
        }
    }

    fn finish(self, json: bool) -> Tree {
        let mut tree = Tree {
            nodes: self.nodes,
            json,
        };
        // Unfinished collections (never with a parse that succeeded) keep what they have.
        for frame in self.stack {
            let kind = match frame.content {
                Content::Seq { items, .. } => NodeKind::Seq(items),
                Content::Map { pairs, .. } => NodeKind::Map(pairs),
            };
            tree.finish_node(frame.node, kind);
        }
        tree
    }

    fn role(&self) -> Role {
        match self.stack.last().map(|f| &f.content) {
            None => Role::Root,
            Some(Content::Seq { .. }) => Role::Item,
            Some(Content::Map { key: None, .. }) => Role::Key,
            Some(Content::Map { key: Some(_), .. }) => Role::Value,
        }
    }

    fn new_node(&mut self, start: Pos, kind: NodeKind) -> NodeId {
        self.nodes.push(Node {
            start,
            kind,
            list_like: false,
        });
        self.nodes.len() - 1
    }

    /// The position of a new node as an item of the current sequence: its `-` in a block
    /// sequence, else where it starts. Sets [`Builder::last_dash`].
    fn item_pos(&mut self, start: Pos, offset: Option<usize>) -> Pos {
        self.last_dash = None;
        match self.stack.last().map(|f| &f.content) {
            Some(Content::Seq { block: true, .. }) => match self.dash(start, offset) {
                Some((pos, at)) => {
                    self.last_dash = Some(at);
                    pos
                }
                None => start,
            },
            _ => start,
        }
    }

    /// The `-` of a block sequence item that starts at `offset` (`start`): the first `-` after
    /// the previous event, skipping blanks, comments, `:` and node properties; its position
    /// and offset.
    fn dash(&self, start: Pos, offset: Option<usize>) -> Option<(Pos, usize)> {
        let (from, to) = (self.last_end?, offset?);
        let gap = self.text.get(from..to)?.as_bytes();
        let mut i = 0;
        let found = loop {
            match *gap.get(i)? {
                b' ' | b'\t' | b'\r' | b'\n' | b':' => i += 1,
                b'#' => i += gap[i..].iter().position(|&b| b == b'\n')?,
                b'&' | b'!' => {
                    i += gap[i..]
                        .iter()
                        .position(|b| b.is_ascii_whitespace())
                        .unwrap_or(gap.len() - i);
                }
                b'-' => break from + i,
                _ => return None,
            }
        };
        let between = self.text.get(found..to)?;
        let newlines = between.bytes().filter(|&b| b == b'\n').count();
        if newlines == 0 {
            let column = start.column.checked_sub(between.chars().count())?;
            return (column >= 1).then_some((
                Pos {
                    line: start.line,
                    column,
                },
                found,
            ));
        }
        let before = self.text.get(..found)?;
        let line_start = before.rfind('\n').map_or(0, |n| n + 1);
        let pos = Pos {
            line: start.line.checked_sub(newlines)?,
            column: before.get(line_start..)?.chars().count() + 1,
        };
        Some((pos, found))
    }

    /// Places the finished node `id` (starting at `start`, item position `item_pos`) in the
    /// current collection. `key` is the node's text if it can be a key.
    fn attach(&mut self, id: NodeId, start: Pos, item_pos: Pos, key: Option<KeyText>) {
        let Some(frame) = self.stack.last_mut() else {
            self.roots.push(id);
            return;
        };
        match &mut frame.content {
            Content::Seq { items, .. } => items.push(Item {
                pos: item_pos,
                value: id,
            }),
            Content::Map {
                pairs,
                key: pending,
            } => match pending.take() {
                Some((key, merge, pos)) => pairs.push(Pair {
                    key,
                    merge,
                    pos,
                    value: id,
                }),
                None => {
                    let merge = key.as_ref().is_some_and(|k| k.merge);
                    *pending = Some((key.map(|k| k.text), merge, start));
                }
            },
        }
    }

    /// A scalar at `start`: a key (`key` is its text) or a new node, returned.
    fn scalar(
        &mut self,
        start: Pos,
        offset: Option<usize>,
        key: Option<KeyText>,
    ) -> Option<NodeId> {
        if matches!(self.role(), Role::Key) {
            // Keys need no node.
            self.attach(usize::MAX, start, start, key);
            None
        } else {
            let item_pos = self.item_pos(start, offset);
            let id = self.new_node(start, NodeKind::Scalar);
            self.attach(id, start, item_pos, None);
            Some(id)
        }
    }

    fn alias(&mut self, target: Option<NodeId>, start: Pos, offset: Option<usize>) {
        let item_pos = self.item_pos(start, offset);
        let id = match target {
            Some(id) => id,
            None => {
                // An alias of a key (keys have no nodes): its text is not known here.
                let id = self.new_node(start, NodeKind::Scalar);
                if let Some(node) = self.nodes.get_mut(id) {
                    node.list_like = true;
                }
                id
            }
        };
        self.attach(id, start, item_pos, None);
    }

    fn start(&mut self, map: bool, block: bool, start: Pos, offset: Option<usize>) -> NodeId {
        let item_pos = self.item_pos(start, offset);
        let id = self.new_node(start, NodeKind::Scalar);
        let content = if map {
            Content::Map {
                pairs: Vec::new(),
                key: None,
            }
        } else {
            Content::Seq {
                items: Vec::new(),
                block,
            }
        };
        self.stack.push(Frame {
            node: id,
            item_pos,
            content,
        });
        id
    }

    /// Ends the current collection; `false` when there is none.
    fn end(&mut self) -> bool {
        let Some(frame) = self.stack.pop() else {
            return false;
        };
        let kind = match frame.content {
            Content::Seq { items, .. } => NodeKind::Seq(items),
            Content::Map { pairs, .. } => NodeKind::Map(pairs),
        };
        let start = self
            .nodes
            .get(frame.node)
            .map_or(frame.item_pos, |n| n.start);
        if let Some(node) = self.nodes.get_mut(frame.node) {
            node.kind = kind;
        }
        self.attach(frame.node, start, frame.item_pos, None);
        true
    }

    // YAML ------------------------------------------------------------------------------

    fn marker_pos(&self, span: &Span) -> Pos {
        Pos {
            line: self.first_line + span.start.line().saturating_sub(1),
            column: span.start.col() + 1,
        }
    }

    /// Reads the first YAML document of the text; `false` on a parse error.
    fn yaml(&mut self) -> bool {
        let mut anchors: HashMap<usize, NodeId> = HashMap::new();
        // No comment events: builds that enable granit-parser's `comments` feature (serde-saphyr's
        // default, through kube) would otherwise emit them and shift where items are found.
        let mut options = Options::default();
        options.set_emit_comments(false);
        for next in Parser::new_from_str_with_options(self.text, options) {
            let Ok((event, span)) = next else {
                return false;
            };
            let pos = self.marker_pos(&span);
            let offset = span.start.byte_offset();
            let mut end = span.end.byte_offset();
            match event {
                Event::Scalar(text, style, anchor, _) => {
                    let key = matches!(self.role(), Role::Key).then(|| KeyText {
                        merge: style == ScalarStyle::Plain && text == "<<",
                        text: text.as_ref().into(),
                    });
                    if let Some(id) = self.scalar(pos, offset, key) {
                        if let Some(node) = self.nodes.get_mut(id) {
                            node.list_like = text.ends_with("List");
                        }
                        if anchor != 0 {
                            anchors.insert(anchor, id);
                        }
                    }
                }
                Event::Alias(anchor) => self.alias(anchors.get(&anchor).copied(), pos, offset),
                Event::SequenceStart(style, anchor, _) | Event::MappingStart(style, anchor, _) => {
                    let map = matches!(event, Event::MappingStart(..));
                    let block = style == StructureStyle::Block;
                    let id = self.start(map, block, pos, offset);
                    if !map && block {
                        // A block sequence's first `-` is searched from the end of what
                        // precedes the sequence (or from its own `-` when it is an item): an
                        // indentless sequence (`key:\n- item`, `key:\n- - item`) starts at its
                        // first item's value, after its first `-`.
                        end = self.last_dash.map(|at| at + 1);
                    }
                    if anchor != 0 {
                        anchors.insert(anchor, id);
                    }
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    self.end();
                }
                Event::DocumentEnd => break,
                _ => {}
            }
            self.last_end = end.or(self.last_end);
        }
        self.stack.is_empty()
    }

    // JSON ------------------------------------------------------------------------------

    /// Reads the JSON value in `start..end` of the text (already validated by serde_json);
    /// `false` if it cannot be read.
    fn json(&mut self, start: usize, end: usize, cursor: &mut Cursor<'_>) -> bool {
        let bytes = self.text.as_bytes();
        let end = end.min(bytes.len());
        let depth = self.stack.len();
        let mut i = start;
        while i < end {
            match bytes[i] {
                b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' => i += 1,
                b @ (b'{' | b'[') => {
                    let pos = cursor.at(i);
                    self.start(b == b'{', false, pos, Some(i));
                    i += 1;
                }
                b'}' | b']' => {
                    i += 1;
                    if self.stack.len() <= depth || !self.end() {
                        return false;
                    }
                }
                b'"' => {
                    let from = i;
                    i = string_end(bytes, i + 1);
                    let pos = cursor.at(from);
                    let key = if matches!(self.role(), Role::Key) {
                        self.text
                            .get(from..i)
                            .and_then(|s| serde_json::from_str::<String>(s).ok())
                            .map(|text| KeyText {
                                text: text.into(),
                                merge: false,
                            })
                    } else {
                        None
                    };
                    self.scalar(pos, Some(from), key);
                }
                _ => {
                    let pos = cursor.at(i);
                    while i < end
                        && !matches!(
                            bytes[i],
                            b' ' | b'\t'
                                | b'\n'
                                | b'\r'
                                | b','
                                | b':'
                                | b'{'
                                | b'}'
                                | b'['
                                | b']'
                                | b'"'
                        )
                    {
                        i += 1;
                    }
                    self.scalar(pos, None, None);
                }
            }
        }
        self.stack.len() == depth
    }
}

/// A scalar's text, for when it is a mapping key.
struct KeyText {
    text: Box<str>,
    merge: bool,
}

/// The offset after the closing quote of the JSON string whose content starts at `i`.
fn string_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(&b) = bytes.get(i) {
        i += 1;
        match b {
            b'"' => return i,
            b'\\' => i += 1,
            _ => {}
        }
    }
    bytes.len()
}

/// Maps increasing byte offsets of a text to stream positions.
struct Cursor<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
    column: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str, first_line: usize) -> Self {
        Cursor {
            text,
            offset: 0,
            line: first_line,
            column: 1,
        }
    }

    fn at(&mut self, offset: usize) -> Pos {
        if offset > self.offset {
            let bytes = self
                .text
                .as_bytes()
                .get(self.offset..offset)
                .unwrap_or_default();
            for &b in bytes {
                if b == b'\n' {
                    self.line += 1;
                    self.column = 1;
                } else if b & 0xC0 != 0x80 {
                    self.column += 1;
                }
            }
            self.offset = offset;
        }
        Pos {
            line: self.line,
            column: self.column,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(path: &str) -> (Vec<Segment<'_>>, bool) {
        parse_path(path)
    }

    #[test]
    fn parses_paths() {
        let key = |s: &str| Segment::Key(Cow::Owned(s.to_owned()));
        assert_eq!(
            segments("spec.containers[0].securityContext"),
            (
                vec![
                    key("spec"),
                    key("containers"),
                    Segment::Index(0),
                    key("securityContext")
                ],
                true
            )
        );
        assert_eq!(
            segments(r#"metadata.annotations["a.b/c\"\\\u00e9"].x"#),
            (
                vec![
                    key("metadata"),
                    key("annotations"),
                    key("a.b/c\"\\é"),
                    key("x")
                ],
                true
            )
        );
        assert_eq!(segments(""), (vec![], true));
        assert_eq!(
            segments("[1][2]"),
            (vec![Segment::Index(1), Segment::Index(2)], true)
        );
        assert!(!segments("a.").1);
        assert!(!segments("a..b").1);
        assert_eq!(segments("a[x]"), (vec![key("a")], false));
        assert_eq!(segments(r#"a["x"#), (vec![key("a")], false));
        assert_eq!(segments(r#"a["x"b]"#), (vec![key("a")], false));
        assert!(!segments("a[99999999999999999999999]").1);
    }

    #[test]
    fn merge_chains_are_bounded() {
        // Each mapping merges the previous one three times: 3^40 paths to a missing key.
        let mut text = String::from("a0: &a0 {x: 1}\n");
        for i in 1..40 {
            let p = i - 1;
            text += &format!("a{i}: &a{i} {{<<: [*a{p}, *a{p}, *a{p}]}}\n");
        }
        let mut builder = Builder::new(&text, 1);
        assert!(builder.yaml());
        let root = builder.roots[0];
        let tree = builder.finish(false);
        let key = |k: &'static str| Segment::Key(Cow::Borrowed(k));
        let start = Pos { line: 1, column: 1 };
        let walk = tree.walk(&[root], start, &[key("a39"), key("missing")]);
        assert!(!walk.exact);
        assert_eq!(
            walk.pos,
            Pos {
                line: 40,
                column: 1
            }
        );
        let walk = tree.walk(&[root], start, &[key("a20"), key("x")]);
        assert!(walk.exact);
        assert_eq!(
            walk.pos,
            Pos {
                line: 1,
                column: 10
            }
        );
    }

    #[test]
    fn indices_can_be_shared_between_threads() {
        fn shared<T: Send + Sync + Clone>() {}
        shared::<FieldIndex>();
    }

    #[test]
    fn unquotes_go_strings() {
        let un = |s: &str| unquote(s).map(|(k, _)| k);
        assert_eq!(
            un(r#""a\tb\x41\101\U0001F600\ud83d\ude00""#).as_deref(),
            Some("a\tbAA😀😀")
        );
        assert_eq!(un(r#""\ud83d""#), None);
        assert_eq!(un(r#""\q""#), None);
        assert_eq!(un(r#""abc"#), None);
        assert_eq!(unquote(r#""é" tail"#), Some(("é".to_owned(), 4)));
    }
}

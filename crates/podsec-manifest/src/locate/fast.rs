//! Positions of the YAML that the fast path reads.
//!
//! The [fast YAML parser](crate::fast_yaml) reads most manifests; here it builds a compact
//! position tree instead of a value ([`fast_yaml::parse_with`]), so a document is read
//! once, without an event per token and without allocating per key. It accepts exactly the
//! documents [`fast_yaml::parse`] accepts (the same parser), whose values are the full
//! parser's: so the objects are counted from this tree as `decode` counts them, and the
//! positions are those the `granit-parser` path gives (checked by a differential test).
//! Anything else (anchors, tags, block scalars, multi-line or flow collections over several
//! lines, tabs, CRLF, ...) is left to that path.

use std::borrow::Cow;
use std::sync::Arc;

use super::{FieldIndex, MAX_LIST_DEPTH, Path, Pos, Segment, Source};
use crate::fast_yaml::{self, Mark, Scalar, Sink};

/// A string of the tree: none, a span of the document's text, or one of the tree's owned
/// strings (quoted keys and `kind`s, whose text differs from what is written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    None,
    Span { start: u32, len: u32 },
    Owned(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    /// A string; its text is known when it is written plain, or is the value of a `kind`
    /// key (the only strings whose text is read).
    Str,
    /// A boolean or a number.
    Other,
    Map,
    Seq,
}

#[derive(Debug)]
struct Node {
    kind: Kind,
    /// Where the node is written as an entry (its key) or an item (its `-`, or its start in
    /// a flow sequence); for the document's root, where it starts. 0-based line in the
    /// document, byte offsets in the document of that line and of the position.
    line: u32,
    line_start: u32,
    offset: u32,
    /// The key of a mapping entry.
    key: Text,
    /// A string's value (see [`Kind::Str`]).
    value: Text,
    /// The entries or items: `edges[children..children + len]`.
    children: u32,
    len: u32,
}

/// The positions of one YAML document.
#[derive(Debug)]
pub(super) struct Tree {
    text: Box<str>,
    /// 1-based stream line of the document's first line.
    first_line: usize,
    owned: Vec<Box<str>>,
    nodes: Vec<Node>,
    edges: Vec<u32>,
}

/// The field indices of a YAML document, or `None` when the fast path does not read it.
pub(super) fn index(text: &str, first_line: usize) -> Option<Vec<FieldIndex>> {
    // Offsets are kept as `u32`.
    if text.len() >= u32::MAX as usize {
        return None;
    }
    let mut builder = Builder {
        text,
        owned: Vec::new(),
        nodes: Vec::with_capacity(text.len() / 16),
        edges: Vec::with_capacity(text.len() / 16),
        stack: Vec::new(),
        pending: None,
    };
    let root = fast_yaml::parse_with(text, &mut builder)?;
    let tree = Tree {
        text: text.into(),
        first_line,
        owned: builder.owned,
        nodes: builder.nodes,
        edges: builder.edges,
    };
    let mut objects = Vec::new();
    tree.objects(root, 0, &mut objects)?;
    if objects.is_empty() {
        return Some(Vec::new());
    }
    let tree = Arc::new(tree);
    Some(
        objects
            .into_iter()
            .map(|node| FieldIndex {
                start: tree.pos(node),
                source: Source::Fast {
                    tree: Arc::clone(&tree),
                    node,
                },
            })
            .collect(),
    )
}

impl Tree {
    fn node(&self, id: u32) -> Option<&Node> {
        self.nodes.get(id as usize)
    }

    fn text(&self, text: Text) -> Option<&str> {
        match text {
            Text::None => None,
            Text::Span { start, len } => {
                let start = start as usize;
                self.text.get(start..start + len as usize)
            }
            Text::Owned(i) => self.owned.get(i as usize).map(|s| &**s),
        }
    }

    /// The stream position of node `id`.
    fn pos(&self, id: u32) -> Pos {
        let Some(node) = self.node(id) else {
            return Pos {
                line: self.first_line,
                column: 1,
            };
        };
        let before = self
            .text
            .get(node.line_start as usize..node.offset as usize)
            .unwrap_or_default();
        Pos {
            line: self.first_line + node.line as usize,
            column: before.chars().count() + 1,
        }
    }

    fn children(&self, node: &Node) -> &[u32] {
        let start = node.children as usize;
        self.edges
            .get(start..start + node.len as usize)
            .unwrap_or_default()
    }

    /// The value of `key` in mapping `id` (the last one, as in decoding).
    fn get(&self, id: u32, key: &str) -> Option<u32> {
        let node = self.node(id)?;
        if node.kind != Kind::Map {
            return None;
        }
        self.children(node).iter().rev().copied().find(|&child| {
            self.node(child)
                .and_then(|c| self.text(c.key))
                .is_some_and(|k| k == key)
        })
    }

    fn step(&self, id: u32, segment: &Segment<'_>) -> Option<u32> {
        match segment {
            Segment::Key(key) => self.get(id, key),
            &Segment::Index(index) => {
                let node = self.node(id)?;
                if node.kind != Kind::Seq {
                    return None;
                }
                self.children(node).get(index).copied()
            }
        }
    }

    /// Follows `path` from node `id` (at `start`): the position of the last segment found,
    /// and whether the whole path was.
    pub(super) fn walk(&self, id: u32, start: Pos, path: &mut Path<'_>) -> (Pos, bool) {
        let mut at = None;
        let mut id = id;
        let mut found = true;
        for segment in &mut *path {
            match self.step(id, &segment) {
                Some(next) => {
                    id = next;
                    at = Some(next);
                }
                None => {
                    found = false;
                    break;
                }
            }
        }
        (
            at.map_or(start, |id| self.pos(id)),
            found && path.complete(),
        )
    }

    /// The objects of the value `id` as `decode` counts them, in its order (mirrors
    /// `collect_objects`); `None` if a `kind` could not be read (never expected).
    fn objects(&self, id: u32, depth: usize, out: &mut Vec<u32>) -> Option<()> {
        let node = self.node(id)?;
        match node.kind {
            Kind::Null => return Some(()),
            Kind::Map => {}
            _ => {
                out.push(id);
                return Some(());
            }
        }
        // `Ok(None)`: not set or null; `Err`: not a string.
        let string_field = |key: &str| match self.get(id, key).and_then(|v| self.node(v)) {
            None => Ok(None),
            Some(value) => match value.kind {
                Kind::Null => Ok(None),
                Kind::Str => Ok(Some(value)),
                _ => Err(()),
            },
        };
        let (Ok(kind), Ok(_)) = (string_field("kind"), string_field("apiVersion")) else {
            out.push(id);
            return Some(());
        };
        let kind = match kind {
            Some(node) => Some(self.text(node.value)?),
            None => None,
        };
        let is_list = kind.is_some_and(|k| {
            k == "List" || (k.ends_with("List") && self.get(id, "items").is_some())
        });
        if !is_list || depth >= MAX_LIST_DEPTH {
            out.push(id);
            return Some(());
        }
        let Some(items) = self.get(id, "items").and_then(|v| self.node(v)) else {
            return Some(());
        };
        match items.kind {
            Kind::Null => {}
            Kind::Seq => {
                for &item in self.children(items) {
                    self.objects(item, depth + 1, out)?;
                }
            }
            _ => out.push(id),
        }
        Some(())
    }
}

/// Builds the [`Tree`] from the fast parser.
struct Builder<'a> {
    text: &'a str,
    owned: Vec<Box<str>>,
    nodes: Vec<Node>,
    edges: Vec<u32>,
    /// The entries or items of the open collections.
    stack: Vec<u32>,
    /// The last quoted string read (node and value), kept if it turns out to be a `kind`.
    pending: Option<(u32, String)>,
}

/// An open collection: where it starts, and where its entries start on the stack.
type Open = (Mark, usize);

impl<'a> Builder<'a> {
    /// A string of the text written at `at` (it is when the parser borrowed it from there),
    /// else owned.
    fn text_at(&mut self, s: Cow<'a, str>, at: Mark) -> Text {
        if let Some(written) = self.text.get(at.offset..at.offset + s.len())
            && std::ptr::eq(written.as_ptr(), s.as_ptr())
        {
            return Text::Span {
                start: at.offset as u32,
                len: s.len() as u32,
            };
        }
        self.owned.push(s.into());
        Text::Owned(self.owned.len() as u32 - 1)
    }

    fn push(&mut self, kind: Kind, at: Mark, value: Text, children: (u32, u32)) -> u32 {
        self.nodes.push(Node {
            kind,
            line: at.line as u32,
            line_start: at.line_start as u32,
            offset: at.offset as u32,
            key: Text::None,
            value,
            children: children.0,
            len: children.1,
        });
        self.nodes.len() as u32 - 1
    }

    /// Adds `value` to the open collection, written at `at`.
    fn add(&mut self, at: Mark, value: u32, key: Text) {
        if let Some(node) = self.nodes.get_mut(value as usize) {
            node.line = at.line as u32;
            node.line_start = at.line_start as u32;
            node.offset = at.offset as u32;
            node.key = key;
        }
        self.stack.push(value);
    }

    fn close(&mut self, kind: Kind, (at, from): Open) -> u32 {
        let start = self.edges.len() as u32;
        let from = from.min(self.stack.len());
        self.edges.extend(self.stack.drain(from..));
        let len = self.edges.len() as u32 - start;
        self.push(kind, at, Text::None, (start, len))
    }
}

impl<'a> Sink<'a> for Builder<'a> {
    type Node = u32;
    type Map = Open;
    type Seq = Open;

    fn scalar(&mut self, value: Scalar<'a>, at: Mark) -> u32 {
        match value {
            Scalar::Null => self.push(Kind::Null, at, Text::None, (0, 0)),
            Scalar::Bool(_) | Scalar::Int(_) => self.push(Kind::Other, at, Text::None, (0, 0)),
            Scalar::Str(Cow::Borrowed(s)) => {
                let text = self.text_at(Cow::Borrowed(s), at);
                self.push(Kind::Str, at, text, (0, 0))
            }
            Scalar::Str(Cow::Owned(s)) => {
                let id = self.push(Kind::Str, at, Text::None, (0, 0));
                self.pending = Some((id, s));
                id
            }
        }
    }

    fn map(&mut self, at: Mark) -> Open {
        (at, self.stack.len())
    }

    fn entry(&mut self, _: &mut Open, key: Cow<'a, str>, at: Mark, value: u32) {
        if self.pending.as_ref().is_some_and(|(id, _)| *id == value)
            && key == "kind"
            && let Some((id, s)) = self.pending.take()
        {
            self.owned.push(s.into());
            let text = Text::Owned(self.owned.len() as u32 - 1);
            if let Some(node) = self.nodes.get_mut(id as usize) {
                node.value = text;
            }
        }
        let key = self.text_at(key, at);
        self.add(at, value, key);
    }

    fn end_map(&mut self, map: Open) -> u32 {
        self.close(Kind::Map, map)
    }

    fn seq(&mut self, at: Mark) -> Open {
        (at, self.stack.len())
    }

    fn item(&mut self, _: &mut Open, at: Mark, value: u32) {
        self.add(at, value, Text::None);
    }

    fn end_seq(&mut self, seq: Open) -> u32 {
        self.close(Kind::Seq, seq)
    }
}

#[cfg(test)]
impl Tree {
    /// Every key and item path under node `id` (as path segments), depth first, at most
    /// `limit` of them.
    pub(super) fn paths(&self, id: u32, limit: usize) -> Vec<Vec<Segment<'static>>> {
        let mut out = Vec::new();
        self.collect_paths(id, &mut Vec::new(), limit, &mut out);
        out
    }

    fn collect_paths(
        &self,
        id: u32,
        prefix: &mut Vec<Segment<'static>>,
        limit: usize,
        out: &mut Vec<Vec<Segment<'static>>>,
    ) {
        let Some(node) = self.node(id) else { return };
        for (i, &child) in self.children(node).iter().enumerate() {
            if out.len() >= limit {
                return;
            }
            let segment = match node.kind {
                Kind::Seq => Segment::Index(i),
                _ => match self.node(child).and_then(|c| self.text(c.key)) {
                    Some(key) => Segment::Key(Cow::Owned(key.to_owned())),
                    None => continue,
                },
            };
            prefix.push(segment);
            out.push(prefix.clone());
            self.collect_paths(child, prefix, limit, out);
            prefix.pop();
        }
    }
}

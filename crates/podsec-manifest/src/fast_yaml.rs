//! A fast path for the YAML that Kubernetes manifests are usually written in.
//!
//! General YAML parsers are slow (serde-saphyr reads about 17,000 one-kilobyte pods per
//! second per core), and `podsec check` is meant to read hundreds of thousands. This module
//! parses the common subset directly into a [`Value`]: block mappings and sequences
//! (including the `key:\n- item` style), plain, single- and double-quoted scalars on one
//! line, one-line flow collections (`{cpu: 500m}`, `["ALL"]`) and comments.
//!
//! It answers `None` for anything outside that subset or anything whose meaning it is not
//! certain of (anchors, tags, block scalars, multi-line scalars, YAML 1.1 spellings such as
//! `yes` or `0x1F`, floats, tabs, CRLF, ...); the caller then uses the full parser. So it
//! never changes a result: where it answers, it answers exactly what the full parser would
//! (a differential test over the conformance corpus and generated manifests checks this).
//!
//! The parser is generic over a [`Sink`] that builds what is read: [`parse`] builds the
//! [`Value`], and [`locate`](crate::locate) builds the positions of keys and items with
//! the same parser ([`parse_with`]), so both accept exactly the same documents.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

/// Deepest nesting the fast path handles (deeper documents go to the full parser).
const MAX_DEPTH: usize = 48;

/// One line of content: its indentation and its text without the indentation.
#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    text: &'a str,
    /// 0-based line number in the document.
    number: usize,
    /// Byte offset in the document where the line starts.
    start: usize,
}

/// Where something is written in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark {
    /// 0-based line number in the document.
    pub(crate) line: usize,
    /// Byte offset in the document where that line starts.
    pub(crate) line_start: usize,
    /// Byte offset in the document of the thing.
    pub(crate) offset: usize,
}

/// A resolved scalar. Strings borrow the document's text when they are written plain.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Str(Cow<'a, str>),
}

/// What the parser builds, in document order: scalars, then collections from their
/// entries (values are built before they are added).
pub(crate) trait Sink<'a> {
    type Node;
    type Map;
    type Seq;
    /// A scalar written at `at` (a `null` that is not written, such as an empty value, is
    /// at its key or item).
    fn scalar(&mut self, value: Scalar<'a>, at: Mark) -> Self::Node;
    /// A mapping that starts at `at` (its first key, or its `{`).
    fn map(&mut self, at: Mark) -> Self::Map;
    /// An entry of `map`: its key, written at `at` (its opening quote when quoted).
    fn entry(&mut self, map: &mut Self::Map, key: Cow<'a, str>, at: Mark, value: Self::Node);
    fn end_map(&mut self, map: Self::Map) -> Self::Node;
    /// A sequence that starts at `at` (its first `-`, or its `[`).
    fn seq(&mut self, at: Mark) -> Self::Seq;
    /// An item of `seq`, written at `at`: its `-` in a block sequence, where it starts in a
    /// flow sequence.
    fn item(&mut self, seq: &mut Self::Seq, at: Mark, value: Self::Node);
    fn end_seq(&mut self, seq: Self::Seq) -> Self::Node;
    /// The value of block mapping key `key` is about to be parsed ([`Sink::entry`] follows
    /// [`Sink::leave`]).
    #[inline]
    fn enter(&mut self, _key: &str) {}
    /// The value of the key last entered is parsed.
    #[inline]
    fn leave(&mut self) {}
}

/// Builds the [`Value`], leaving out what it prunes (see [`parse_for_model`]).
#[derive(Default)]
struct ValueSink {
    /// Whether container keys the model ignores are pruned.
    prune: bool,
    /// Per key entered and not yet left: whether it is a container list, whether its value
    /// is pruned.
    keys: Vec<(bool, bool)>,
    /// How many of the keys entered are pruned (their values are parsed, not built).
    pruning: usize,
    /// Whether the value of the key last left was pruned (its entry is then dropped).
    pruned: bool,
}

impl<'a> Sink<'a> for ValueSink {
    type Node = Value;
    type Map = Map<String, Value>;
    type Seq = Vec<Value>;

    #[inline]
    fn scalar(&mut self, value: Scalar<'a>, _: Mark) -> Value {
        if self.pruning > 0 {
            return Value::Null;
        }
        match value {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(n) => Value::Number(Number::from(n)),
            Scalar::Str(s) => Value::String(s.into_owned()),
        }
    }

    #[inline]
    fn map(&mut self, _: Mark) -> Self::Map {
        Map::new()
    }

    #[inline]
    fn entry(&mut self, map: &mut Self::Map, key: Cow<'a, str>, _: Mark, value: Value) {
        if !std::mem::take(&mut self.pruned) && self.pruning == 0 {
            map.insert(key.into_owned(), value);
        }
    }

    #[inline]
    fn end_map(&mut self, map: Self::Map) -> Value {
        Value::Object(map)
    }

    #[inline]
    fn seq(&mut self, _: Mark) -> Self::Seq {
        Vec::new()
    }

    #[inline]
    fn item(&mut self, seq: &mut Self::Seq, _: Mark, value: Value) {
        if self.pruning == 0 {
            seq.push(value);
        }
    }

    #[inline]
    fn end_seq(&mut self, seq: Self::Seq) -> Value {
        Value::Array(seq)
    }

    #[inline]
    fn enter(&mut self, key: &str) {
        if !self.prune {
            return;
        }
        // Pruned: a key of a container (an item of a container list) the model ignores.
        let in_container_list = self.keys.last().is_some_and(|(list, _)| *list);
        let pruned = self.pruning == 0 && in_container_list && !container_fields().contains(&key);
        self.pruning += usize::from(pruned);
        self.keys.push((CONTAINER_LISTS.contains(&key), pruned));
    }

    #[inline]
    fn leave(&mut self) {
        if let Some((_, pruned)) = self.keys.pop() {
            self.pruning -= usize::from(pruned);
            self.pruned = pruned;
        }
    }
}

/// Parses `text`, or `None` when the full parser must decide.
pub(crate) fn parse(text: &str) -> Option<Value> {
    parse_with(text, &mut ValueSink::default())
}

/// [`parse`] for decoding into the pod model: the keys of a container that the model does
/// not read (`env`, `resources`, `volumeMounts`, `command`, ...) are parsed but left out of
/// the value, which decodes exactly as the whole one (serde skips unknown fields) at a
/// fraction of the cost. Only block mappings are pruned; flow mappings are kept whole.
pub(crate) fn parse_for_model(text: &str) -> Option<Value> {
    let mut sink = ValueSink {
        prune: true,
        ..ValueSink::default()
    };
    parse_with(text, &mut sink)
}

/// The keys whose value is a list of containers, in a pod spec.
const CONTAINER_LISTS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

/// The keys of a container the model reads: the fields of [`Container`], as serde names
/// them (read from its `Deserialize` implementation, so that they cannot drift apart).
///
/// [`Container`]: podsec_policy::model::Container
fn container_fields() -> &'static [&'static str] {
    static FIELDS: std::sync::OnceLock<&'static [&'static str]> = std::sync::OnceLock::new();
    FIELDS.get_or_init(crate::value::struct_fields::<podsec_policy::model::Container>)
}

/// Parses `text` into `sink`, or `None` when the full parser must decide (whatever was
/// built so far is then to be dropped).
pub(crate) fn parse_with<'a, S: Sink<'a>>(text: &'a str, sink: &mut S) -> Option<S::Node> {
    if text.contains('\r') {
        return None;
    }
    let mut lines = Vec::with_capacity(text.len() / 16);
    let mut start = 0;
    for (number, raw) in split_lines(text).enumerate() {
        let line_start = start;
        start += raw.len() + 1;
        let content = raw.trim_start_matches(' ');
        let indent = raw.len() - content.len();
        if content.starts_with('\t') {
            return None;
        }
        let content = content.trim_end_matches([' ', '\t']);
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if content.starts_with("---") || content.starts_with("...") || content.starts_with('%') {
            return None;
        }
        lines.push(Line {
            indent,
            text: content,
            number,
            start: line_start,
        });
    }
    if lines.is_empty() {
        let at = Mark {
            line: 0,
            line_start: 0,
            offset: 0,
        };
        return Some(sink.scalar(Scalar::Null, at));
    }
    let first_indent = lines[0].indent;
    let mut parser = Parser {
        base: text,
        lines,
        pos: 0,
        sink,
    };
    let value = parser.node(first_indent, 0)?;
    (parser.pos == parser.lines.len()).then_some(value)
}

/// Byte offset of `part` (a slice of `base`) in `base`.
#[inline]
fn offset_in(base: &str, part: &str) -> usize {
    (part.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize)
}

struct Parser<'a, 's, S> {
    base: &'a str,
    lines: Vec<Line<'a>>,
    pos: usize,
    sink: &'s mut S,
}

impl<'a, S: Sink<'a>> Parser<'a, '_, S> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.pos).copied()
    }

    /// The mark of `part`, a slice of `line`'s text.
    #[inline]
    fn mark(&self, line: &Line<'a>, part: &'a str) -> Mark {
        Mark {
            line: line.number,
            line_start: line.start,
            offset: offset_in(self.base, part),
        }
    }

    /// The block node that starts at the current line, indented exactly `indent`.
    fn node(&mut self, indent: usize, depth: usize) -> Option<S::Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let line = self.peek()?;
        if line.indent != indent {
            return None;
        }
        if is_sequence_entry(line.text) {
            self.sequence(indent, depth)
        } else if let Some(first) = split_key(line.text) {
            self.mapping(indent, depth, first)
        } else {
            // A one-line scalar or flow document.
            self.pos += 1;
            self.inline_value(&line, line.text)
        }
    }

    /// The block mapping at the current line, whose key and rest (its [`split_key`]) are
    /// `first`.
    fn mapping(
        &mut self,
        indent: usize,
        depth: usize,
        first: (Cow<'a, str>, &'a str),
    ) -> Option<S::Node> {
        let first_line = self.peek()?;
        let mut map = self.sink.map(self.mark(&first_line, first_line.text));
        let mut first = Some(first);
        while let Some(line) = self.peek() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent || is_sequence_entry(line.text) {
                return None;
            }
            let (key, rest) = match first.take() {
                Some(split) => split,
                None => split_key(line.text)?,
            };
            let at = self.mark(&line, line.text);
            self.pos += 1;
            self.sink.enter(&key);
            let value = if rest.is_empty() {
                self.nested(indent, true, depth, at)?
            } else {
                let value = self.inline_value(&line, rest)?;
                // A continuation line would make this a multi-line scalar.
                if self.peek().is_some_and(|next| next.indent > indent) {
                    return None;
                }
                value
            };
            self.sink.leave();
            self.sink.entry(&mut map, key, at, value);
        }
        Some(self.sink.end_map(map))
    }

    /// The value of a key or sequence entry (written at `at`) whose own line held nothing
    /// after the indicator: a block node indented deeper, a sequence at the same
    /// indentation (for a mapping key), or null.
    fn nested(
        &mut self,
        indent: usize,
        in_mapping: bool,
        depth: usize,
        at: Mark,
    ) -> Option<S::Node> {
        match self.peek() {
            Some(next) if next.indent > indent => self.node(next.indent, depth + 1),
            Some(next) if in_mapping && next.indent == indent && is_sequence_entry(next.text) => {
                self.sequence(indent, depth + 1)
            }
            _ => Some(self.sink.scalar(Scalar::Null, at)),
        }
    }

    fn sequence(&mut self, indent: usize, depth: usize) -> Option<S::Node> {
        let first = self.peek()?;
        let mut seq = self.sink.seq(self.mark(&first, first.text));
        while let Some(line) = self.peek() {
            if line.indent < indent || (line.indent == indent && !is_sequence_entry(line.text)) {
                break;
            }
            if line.indent > indent {
                return None;
            }
            let at = self.mark(&line, line.text);
            let after_dash = &line.text[1..];
            let content = after_dash.trim_start_matches(' ');
            if content.is_empty() || content.starts_with('#') {
                self.pos += 1;
                let value = self.nested(indent, false, depth, at)?;
                self.sink.item(&mut seq, at, value);
                continue;
            }
            // The entry's content starts a compact node at its own column.
            let column = indent + 1 + (after_dash.len() - content.len());
            let compact = if is_sequence_entry(content) {
                Some(None)
            } else {
                split_key(content).map(Some)
            };
            let value = if let Some(first) = compact {
                self.lines[self.pos] = Line {
                    indent: column,
                    text: content,
                    ..line
                };
                match first {
                    // A compact mapping: its first key is split already.
                    Some(first) if depth < MAX_DEPTH => self.mapping(column, depth + 1, first)?,
                    _ => self.node(column, depth + 1)?,
                }
            } else {
                self.pos += 1;
                let value = self.inline_value(&line, content)?;
                if self.peek().is_some_and(|next| next.indent > indent) {
                    return None;
                }
                value
            };
            self.sink.item(&mut seq, at, value);
        }
        Some(self.sink.end_seq(seq))
    }

    /// A value written on the same line as its key or dash (`text`, a slice of `line`).
    fn inline_value(&mut self, line: &Line<'a>, text: &'a str) -> Option<S::Node> {
        let at = self.mark(line, text);
        match text.as_bytes()[0] {
            b'"' | b'\'' => {
                let quote = text.as_bytes()[0] as char;
                let (s, len) = quoted(text, quote)?;
                ends_line(&text[len..]).then(|| self.sink.scalar(Scalar::Str(Cow::Owned(s)), at))
            }
            b'[' | b'{' => {
                let mut flow = Flow {
                    text,
                    pos: 0,
                    mark: at,
                };
                let value = flow.value(self.sink, 0)?;
                ends_line(&text[flow.pos..]).then_some(value)
            }
            _ => {
                let value = plain(strip_comment(text), false)?;
                Some(self.sink.scalar(value, at))
            }
        }
    }
}

/// Whether `rest`, after a quoted scalar or a flow collection, ends the line: nothing, or a
/// comment separated from it by whitespace (`"x"# c` is an error).
fn ends_line(rest: &str) -> bool {
    let trimmed = rest.trim_start_matches(' ');
    trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len())
}

fn is_sequence_entry(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// Splits `key: rest` (rest without its comment); `None` if the line is not a simple
/// mapping entry. A plain key borrows the text.
fn split_key(text: &str) -> Option<(Cow<'_, str>, &str)> {
    let (key, rest) = if let Some(quote @ ('"' | '\'')) = text.chars().next() {
        let (key, len) = quoted(text, quote)?;
        let rest = text[len..].strip_prefix(':')?;
        (Cow::Owned(key), rest)
    } else {
        let bytes = text.as_bytes();
        // The first `: ` (or a final `:`), unless a ` #` comes first.
        let mut from = 0;
        let colon = loop {
            let i = from + memchr::memchr2(b':', b'#', &bytes[from..])?;
            if bytes[i] == b'#' {
                if i > 0 && bytes[i - 1] == b' ' {
                    return None;
                }
            } else if i + 1 == bytes.len() || bytes[i + 1] == b' ' {
                break i;
            }
            from = i + 1;
        };
        let key = text[..colon].trim_end_matches(' ');
        // `plain_key_ok`, knowing that the key holds no `: ` and no ` #` (found above).
        let plain = key.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
            && resolve_word(key).is_none()
            && memchr::memchr(b'\t', key.as_bytes()).is_none();
        debug_assert_eq!(plain, plain_key_ok(key));
        if !plain {
            return None;
        }
        (Cow::Borrowed(key), &text[colon + 1..])
    };
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let rest = rest.trim_start_matches(' ');
    let rest = if rest.starts_with('#') { "" } else { rest };
    Some((key, rest))
}

/// Plain keys the fast path is sure read as the same string in every YAML mode.
fn plain_key_ok(key: &str) -> bool {
    let Some(first) = key.bytes().next() else {
        return false;
    };
    if !first.is_ascii_alphabetic() || resolve_word(key).is_some() {
        return false;
    }
    // No `: ` or ` #`, and no tab (`key\t:` is the key `key`: trailing blanks are not part
    // of a plain scalar).
    let mut previous = 0;
    for &b in key.as_bytes() {
        if b == b'\t' || (previous == b':' && b == b' ') || (previous == b' ' && b == b'#') {
            return false;
        }
        previous = b;
    }
    true
}

/// `text.split('\n')`, with a vectorised search for the line feeds.
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', text.as_bytes())
        .chain(std::iter::once(text.len()))
        .map(move |end| {
            let line = &text[start..end];
            start = end + 1;
            line
        })
}

/// Where `text` holds the byte `a` followed by `b` (`": "`, `" #"`): quicker than a
/// substring search for short texts.
#[inline]
fn find_pair(text: &str, a: u8, b: u8) -> Option<usize> {
    text.as_bytes()
        .windows(2)
        .position(|w| w[0] == a && w[1] == b)
}

#[inline]
fn has_pair(text: &str, a: u8, b: u8) -> bool {
    find_pair(text, a, b).is_some()
}

/// The text before a ` #` comment.
fn strip_comment(text: &str) -> &str {
    match find_pair(text, b' ', b'#') {
        Some(i) => text[..i].trim_end_matches(' '),
        None => text,
    }
}

/// Resolves a plain scalar (`in_flow`: inside a flow collection, where `,[]{}` end it).
fn plain(text: &str, in_flow: bool) -> Option<Scalar<'_>> {
    let first = *text.as_bytes().first()?;
    if matches!(
        first,
        b'&' | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'%'
            | b'@'
            | b'`'
            | b'?'
            | b':'
            | b','
            | b'#'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'"'
            | b'\''
    ) || has_pair(text, b':', b' ')
        || text.ends_with(':')
        || text.contains('\t')
        || (in_flow && text.contains([',', '[', ']', '{', '}']))
    {
        return None;
    }
    if let Some(value) = resolve_word(text) {
        return value;
    }
    if first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.') {
        return number_like(text);
    }
    Some(Scalar::Str(Cow::Borrowed(text)))
}

/// Null and boolean spellings: `Some(Some(v))` when certain, `Some(None)` for spellings the
/// fast path leaves to the full parser, `None` for ordinary words.
fn resolve_word(text: &str) -> Option<Option<Scalar<'static>>> {
    // Every spelling below has at most 5 bytes, and starts with one of these.
    if text.len() > 5
        || !matches!(
            text.as_bytes().first(),
            Some(b'~' | b'=' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'y' | b'Y' | b'o' | b'O')
        )
    {
        return None;
    }
    match text {
        "~" | "null" => Some(Some(Scalar::Null)),
        "true" => Some(Some(Scalar::Bool(true))),
        "false" => Some(Some(Scalar::Bool(false))),
        _ if text.len() <= 5
            && [
                "null", "y", "yes", "n", "no", "on", "off", "true", "false", "=",
            ]
            .iter()
            .any(|w| text.eq_ignore_ascii_case(w)) =>
        {
            Some(None)
        }
        _ => None,
    }
}

/// Digit-, sign- or dot-led plain scalars: plain decimal integers, strings that cannot be
/// numbers (`500m`, `128Mi`, `--flag`), and `None` for everything else.
fn number_like(text: &str) -> Option<Scalar<'_>> {
    let bytes = text.as_bytes();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
    {
        let n: i64 = text.parse().ok()?;
        return Some(Scalar::Int(n));
    }
    // `--listen=:8080`, `-v`: a dash followed by a letter or dash is never a number.
    if bytes[0] == b'-' && bytes.len() > 1 && (bytes[1] == b'-' || bytes[1].is_ascii_alphabetic()) {
        return Some(Scalar::Str(Cow::Borrowed(text)));
    }
    // What a cluster writes in every object and pod status: uids and IPv4 addresses.
    if is_uuid(bytes) || is_ipv4(bytes) {
        return Some(Scalar::Str(Cow::Borrowed(text)));
    }
    // Quantities and durations: `500m`, `128Mi`, `10s`, `1h30m`.
    let lead = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if lead > 0
        && bytes[0] != b'0'
        && lead < bytes.len()
        && bytes[lead].is_ascii_alphabetic()
        && !matches!(bytes[lead], b'e' | b'E')
        && bytes[lead..].iter().all(|b| b.is_ascii_alphanumeric())
    {
        return Some(Scalar::Str(Cow::Borrowed(text)));
    }
    None
}

/// `8-4-4-4-12` hexadecimal digits (a Kubernetes uid): a string in every YAML schema.
fn is_uuid(bytes: &[u8]) -> bool {
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Four dot-separated groups of one to three digits (`10.244.0.5`): a string, as more than
/// one dot makes it no float.
fn is_ipv4(bytes: &[u8]) -> bool {
    let mut groups = 0;
    for group in bytes.split(|b| *b == b'.') {
        groups += 1;
        if group.is_empty() || group.len() > 3 || !group.iter().all(u8::is_ascii_digit) {
            return false;
        }
    }
    groups == 4
}

/// A quoted scalar at the start of `text`: its value and the byte length it spans.
fn quoted(text: &str, quote: char) -> Option<(String, usize)> {
    let body = &text[1..];
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' if quote == '\'' => {
                if body[i + 1..].starts_with('\'') {
                    out.push('\'');
                    chars.next();
                } else {
                    return Some((out, i + 2));
                }
            }
            '"' if quote == '"' => return Some((out, i + 2)),
            '\\' if quote == '"' => {
                let (_, e) = chars.next()?;
                match e {
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    '/' => out.push('/'),
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '0' => out.push('\0'),
                    'u' => {
                        let hex = body.get(i + 2..i + 6)?;
                        let code = u32::from_str_radix(hex, 16).ok()?;
                        out.push(char::from_u32(code)?);
                        for _ in 0..4 {
                            chars.next();
                        }
                    }
                    _ => return None,
                }
            }
            '\t' => return None,
            c => out.push(c),
        }
    }
    None
}

/// One-line flow collections.
struct Flow<'a> {
    text: &'a str,
    pos: usize,
    /// The mark of the start of `text`.
    mark: Mark,
}

impl<'a> Flow<'a> {
    fn skip_spaces(&mut self) {
        while self.text.as_bytes().get(self.pos) == Some(&b' ') {
            self.pos += 1;
        }
    }

    /// The mark of the current position.
    fn at(&self) -> Mark {
        Mark {
            offset: self.mark.offset + self.pos,
            ..self.mark
        }
    }

    fn value<S: Sink<'a>>(&mut self, sink: &mut S, depth: usize) -> Option<S::Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_spaces();
        let at = self.at();
        let text = self.text;
        let rest = &text[self.pos..];
        match *rest.as_bytes().first()? {
            b'[' => {
                self.pos += 1;
                let mut items = sink.seq(at);
                loop {
                    self.skip_spaces();
                    if self.eat(b']') {
                        return Some(sink.end_seq(items));
                    }
                    let item_at = self.at();
                    let item = self.value(sink, depth + 1)?;
                    sink.item(&mut items, item_at, item);
                    self.skip_spaces();
                    if !self.eat(b',') {
                        self.skip_spaces();
                        return self.eat(b']').then(|| sink.end_seq(items));
                    }
                }
            }
            b'{' => {
                self.pos += 1;
                let mut map = sink.map(at);
                loop {
                    self.skip_spaces();
                    if self.eat(b'}') {
                        return Some(sink.end_map(map));
                    }
                    let key_at = self.at();
                    let key = self.key()?;
                    self.skip_spaces();
                    let value = if matches!(self.text.as_bytes().get(self.pos), Some(b',' | b'}')) {
                        sink.scalar(Scalar::Null, key_at)
                    } else {
                        self.value(sink, depth + 1)?
                    };
                    sink.entry(&mut map, Cow::Borrowed(key), key_at, value);
                    self.skip_spaces();
                    if !self.eat(b',') {
                        self.skip_spaces();
                        return self.eat(b'}').then(|| sink.end_map(map));
                    }
                }
            }
            b'"' | b'\'' => {
                let (s, len) = quoted(rest, rest.as_bytes()[0] as char)?;
                self.pos += len;
                Some(sink.scalar(Scalar::Str(Cow::Owned(s)), at))
            }
            _ => {
                let end = rest.find([',', ']', '}']).unwrap_or(rest.len());
                let scalar = rest[..end].trim_end_matches(' ');
                if has_pair(scalar, b' ', b'#') {
                    return None;
                }
                self.pos += end;
                let value = plain(scalar, true)?;
                Some(sink.scalar(value, at))
            }
        }
    }

    /// `key:` inside a flow mapping (the colon must be followed by a space or end the key).
    fn key(&mut self) -> Option<&'a str> {
        let text = self.text;
        let rest = &text[self.pos..];
        let colon = rest.find(':')?;
        let key = rest[..colon].trim_end_matches(' ');
        if !plain_key_ok(key) || key.contains([',', '[', ']', '{', '}', '"', '\'']) {
            return None;
        }
        let after = rest.as_bytes().get(colon + 1);
        if !matches!(after, Some(b' ') | Some(b',') | Some(b'}')) {
            return None;
        }
        self.pos += colon + 1;
        Some(key)
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.text.as_bytes().get(self.pos) == Some(&b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use serde_json::json;

    #[test]
    fn kubernetes_style_documents() {
        let text = "apiVersion: v1\nkind: Pod # the kind\nmetadata:\n  name: web-0\n  labels: {app: web, tier: \"front end\"}\nspec:\n  containers:\n  - name: app\n    image: 'registry/app:1.2'\n    args: [--listen=:8080, -v]\n    ports:\n    - containerPort: 8080\n    resources:\n      limits: {cpu: 500m, memory: 128Mi}\n    securityContext:\n      capabilities:\n        drop: [\"ALL\"]\n      runAsUser: 0\n  - name: b\n    env: []\n  volumes:\n    - name: cache\n      emptyDir: {}\n  nodeSelector:\n";
        assert_eq!(
            parse(text),
            Some(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "web-0", "labels": {"app": "web", "tier": "front end"}},
                "spec": {"containers": [
                    {"name": "app", "image": "registry/app:1.2", "args": ["--listen=:8080", "-v"],
                     "ports": [{"containerPort": 8080}],
                     "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}},
                     "securityContext": {"capabilities": {"drop": ["ALL"]}, "runAsUser": 0}},
                    {"name": "b", "env": []}],
                  "volumes": [{"name": "cache", "emptyDir": {}}],
                  "nodeSelector": null}}))
        );
    }

    #[test]
    fn uids_and_addresses_are_strings() {
        let text = "uid: 00000001-0000-4000-8000-00000000000a\nother: 5e1b7c0a-1234-4000-8000-000000000001\npodIP: 10.244.0.5\nhostIP: 0.0.0.0\n";
        assert_eq!(
            parse(text),
            Some(json!({"uid": "00000001-0000-4000-8000-00000000000a",
                "other": "5e1b7c0a-1234-4000-8000-000000000001",
                "podIP": "10.244.0.5", "hostIP": "0.0.0.0"}))
        );
    }

    #[test]
    fn leaves_uncertain_yaml_to_the_full_parser() {
        for text in [
            "a: yes\n",
            "a: 0x1F\n",
            "a: 1.5\n",
            "a: 017\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  text\n",
            "a: b\n  c\n",
            "a:\tb\n",
            "a: b\r\n",
            "a: [1,\n  2]\n",
            "? a\n: b\n",
            "<<: {a: 1}\n",
            "a: \"\\x41\"\n",
            "a: 1e3\n",
            "a: 1.2.3\n",
            "a: 1.2.3.4.5\n",
            "a: 1e5-1234-4000-8000-000000000001\n",
            "a: .inf\n",
            "a: Null\n",
            "a: b: c\n",
            // A comment must be separated from what precedes it.
            "a: {}# c\n",
            "a: [x]#c\n",
            "a: 'x'# c\n",
            "- \"x\"#c\n",
            "a\t: b\n",
            "a: {b\t: c}\n",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }
}

/// The fast path against the full parser: wherever the fast path answers, both agree.
#[cfg(test)]
mod pruning {
    use super::*;

    #[test]
    fn container_fields_are_the_models() {
        assert_eq!(
            container_fields(),
            [
                "name",
                "image",
                "ports",
                "securityContext",
                "livenessProbe",
                "readinessProbe",
                "startupProbe",
                "lifecycle"
            ]
        );
    }

    #[test]
    fn prunes_only_what_the_model_ignores_in_containers() {
        let text = "\
kind: Pod
metadata:
  name: p
  labels: {env: prod}
spec:
  env: kept
  containers:
  - name: a
    image: i
    env:
    - name: X
      value: \"1\"
    resources:
      limits: {cpu: 1}
    securityContext:
      privileged: true
      env: kept
  initContainers:
  - {name: b, env: [kept]}
  volumes:
  - name: v
    containers: []
";
        let pruned = parse_for_model(text).expect("parses");
        let whole = parse(text).expect("parses");
        let want = serde_json::json!({
            "kind": "Pod",
            "metadata": {"name": "p", "labels": {"env": "prod"}},
            "spec": {
                "env": "kept",
                "containers": [{"name": "a", "image": "i",
                                "securityContext": {"privileged": true, "env": "kept"}}],
                "initContainers": [{"name": "b", "env": ["kept"]}],
                "volumes": [{"name": "v", "containers": []}],
            }
        });
        assert_eq!(pruned, want);
        assert_ne!(whole, want, "the whole value keeps env and resources");
    }
}

#[cfg(test)]
mod differential {
    use std::path::{Path, PathBuf};

    use proptest::prelude::*;
    use serde_json::Value;

    use super::parse;
    use crate::decode::full_yaml;
    use crate::split::documents;

    /// Compares both parsers on every document of `text`; returns (documents, fast answers).
    fn compare(name: &str, text: &str) -> (usize, usize) {
        let (mut docs, mut fast) = (0, 0);
        for doc in documents(text) {
            docs += 1;
            if let Some(value) = parse(doc.text()) {
                fast += 1;
                let full = full_yaml(doc.text());
                assert_eq!(
                    full.as_ref().ok(),
                    Some(&value),
                    "{name} (line {}): fast path disagrees with the full parser:\n{}",
                    doc.line(),
                    doc.text()
                );
                // The pruned value decodes exactly as the whole one.
                let pruned = super::parse_for_model(doc.text()).expect("pruning parses alike");
                let (mut whole_out, mut pruned_out) = (Vec::new(), Vec::new());
                crate::decode::decode_value(value, doc.line(), "", &mut whole_out);
                crate::decode::decode_value(pruned, doc.line(), "", &mut pruned_out);
                assert_eq!(
                    pruned_out,
                    whole_out,
                    "{name} (line {}): the pruned value decodes differently:\n{}",
                    doc.line(),
                    doc.text()
                );
            }
        }
        (docs, fast)
    }

    fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                yaml_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }

    #[test]
    fn agrees_on_every_yaml_file_of_the_project_and_the_corpus() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in ["examples", "deploy", "crates", "snapshots"] {
            yaml_files(&root.join(dir), &mut files);
        }
        let corpus = podsec_conformance::corpus();
        if let Some(corpus) = &corpus {
            yaml_files(&corpus.join("testdata"), &mut files);
        }
        let (mut docs, mut fast) = (0, 0);
        for file in &files {
            // Other tests may write and delete files (rendered manifests) meanwhile.
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            let (d, f) = compare(&file.display().to_string(), &text);
            docs += d;
            fast += f;
        }
        let expected = if corpus.is_some() { 4_500 } else { 10 };
        assert!(files.len() > expected, "only {} files", files.len());
        // The conformance fixtures are plain Kubernetes YAML: the fast path must read them
        // (the project's own files include Helm templates, which are not YAML).
        let share = if corpus.is_some() { 95 } else { 50 };
        assert!(
            fast * 100 >= docs * share,
            "fast path read only {fast} of {docs} documents"
        );
    }

    /// Scalars as people write them in manifests, and some that must be left to the full
    /// parser.
    fn scalar() -> impl Strategy<Value = String> {
        let common = prop_oneof![
            Just("web".to_owned()),
            Just("500m".to_owned()),
            Just("128Mi".to_owned()),
            Just("0".to_owned()),
            Just("8080".to_owned()),
            Just("-1".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("null".to_owned()),
            Just("~".to_owned()),
            Just("--flag=:80".to_owned()),
            Just("\"quoted: #x\"".to_owned()),
            Just("'it''s'".to_owned()),
            Just("\"\\u00e9\\n\"".to_owned()),
            Just("a b c".to_owned()),
            Just("registry.example.com/app:1.2.3".to_owned()),
            Just("x # comment".to_owned()),
            Just("x#y".to_owned()),
            Just("[a] # c".to_owned()),
            Just("http://x:80/y".to_owned()),
            Just("10s".to_owned()),
            Just("1h30m".to_owned()),
            Just("é😀".to_owned()),
            Just("[a, 'b', {c: d}]".to_owned()),
            Just("{}".to_owned()),
            Just("[]".to_owned()),
            Just("{k: v, n: 1, e: }".to_owned()),
            Just("-".to_owned()),
            "[a-z][a-z0-9._/-]{0,12}",
            "[1-9][0-9]{0,17}",
        ];
        // Spellings the fast path must leave to the full parser.
        let uncertain = prop_oneof![
            Just("yes".to_owned()),
            Just("No".to_owned()),
            Just("0x10".to_owned()),
            Just("017".to_owned()),
            Just("1.5".to_owned()),
            Just("1e3".to_owned()),
            Just("ON".to_owned()),
            Just("99999999999999999999".to_owned()),
            // Comments must be separated by whitespace.
            Just("'q'#c".to_owned()),
            Just("{}# c".to_owned()),
        ];
        prop_oneof![60 => common, 1 => uncertain]
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            20 => Just("name".to_owned()), 20 => Just("image".to_owned()), 20 => Just("spec".to_owned()),
            10 => Just("\"quoted key\"".to_owned()), 10 => Just("app.kubernetes.io/name".to_owned()),
            40 => "[a-zA-Z][a-zA-Z0-9]{0,8}",
            1 => Just("y".to_owned()), 1 => Just("on".to_owned()), 1 => Just("tab\t".to_owned()),
        ]
    }

    /// A block node rendered at `indent`, as a list of lines.
    fn render(node: &Node, indent: usize, out: &mut Vec<String>) {
        let pad = " ".repeat(indent);
        match node {
            Node::Scalar(_) => unreachable!("scalars are rendered inline"),
            Node::Map(entries) => {
                for (k, v) in entries {
                    match v {
                        Node::Scalar(s) => out.push(format!("{pad}{k}: {s}")),
                        Node::Seq(_) => {
                            out.push(format!("{pad}{k}:"));
                            render(v, indent, out);
                        }
                        Node::Map(_) => {
                            out.push(format!("{pad}{k}:"));
                            render(v, indent + 2, out);
                        }
                    }
                }
            }
            Node::Seq(items) => {
                for item in items {
                    match item {
                        Node::Scalar(s) => out.push(format!("{pad}- {s}")),
                        Node::Map(entries) if !entries.is_empty() => {
                            let mut lines = Vec::new();
                            render(item, indent + 2, &mut lines);
                            if let Some(first) = lines.first_mut() {
                                first.replace_range(indent..indent + 2, "- ");
                            }
                            out.extend(lines);
                        }
                        _ => {
                            out.push(format!("{pad}-"));
                            render(item, indent + 2, out);
                        }
                    }
                }
            }
        }
    }

    #[derive(Debug, Clone)]
    enum Node {
        Scalar(String),
        Map(Vec<(String, Node)>),
        Seq(Vec<Node>),
    }

    fn node() -> impl Strategy<Value = Node> {
        scalar()
            .prop_map(Node::Scalar)
            .prop_recursive(5, 48, 5, |inner| {
                prop_oneof![
                    prop::collection::vec((key(), inner.clone()), 1..5).prop_map(Node::Map),
                    prop::collection::vec(inner, 1..4).prop_map(Node::Seq),
                ]
            })
    }

    /// Guards the property below against a fast path that declines everything.
    #[test]
    fn fast_path_answers_most_generated_manifests() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let strategy = prop::collection::vec((key(), node()), 1..6);
        let (mut total, mut fast) = (0, 0);
        for _ in 0..500 {
            let root = strategy.new_tree(&mut runner).expect("tree").current();
            let mut lines = Vec::new();
            render(&Node::Map(root), 0, &mut lines);
            total += 1;
            if parse(&(lines.join("\n") + "\n")).is_some() {
                fast += 1;
            }
        }
        assert!(fast * 3 >= total, "fast path answered {fast} of {total}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn agrees_on_generated_manifests(root in prop::collection::vec((key(), node()), 1..6), comment in any::<bool>()) {
            let mut lines = Vec::new();
            render(&Node::Map(root), 0, &mut lines);
            if comment {
                lines.insert(lines.len() / 2, "# a comment".to_owned());
            }
            let text = lines.join("\n") + "\n";
            if let Some(value) = parse(&text) {
                let full = full_yaml(&text);
                prop_assert_eq!(full.as_ref().ok(), Some(&value), "document:\n{}", text);
            }
        }
    }

    #[test]
    fn generated_kubernetes_pods_take_the_fast_path() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    app: web\nspec:\n  containers:\n  - name: c\n    image: i:1\n";
        assert!(matches!(parse(pod), Some(Value::Object(_))));
    }
}

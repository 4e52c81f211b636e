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

use serde_json::{Map, Number, Value};

/// Deepest nesting the fast path handles (deeper documents go to the full parser).
const MAX_DEPTH: usize = 48;

/// One line of content: its indentation and its text without the indentation.
#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    text: &'a str,
}

/// Parses `text`, or `None` when the full parser must decide.
pub(crate) fn parse(text: &str) -> Option<Value> {
    let mut lines = Vec::with_capacity(text.len() / 16);
    for raw in text.split('\n') {
        if raw.contains('\r') {
            return None;
        }
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
        });
    }
    if lines.is_empty() {
        return Some(Value::Null);
    }
    let mut parser = Parser { lines, pos: 0 };
    let first_indent = parser.lines[0].indent;
    let value = parser.node(first_indent, 0)?;
    (parser.pos == parser.lines.len()).then_some(value)
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.pos).copied()
    }

    /// The block node that starts at the current line, indented exactly `indent`.
    fn node(&mut self, indent: usize, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let line = self.peek()?;
        if line.indent != indent {
            return None;
        }
        if is_sequence_entry(line.text) {
            self.sequence(indent, depth)
        } else if split_key(line.text).is_some() {
            self.mapping(indent, depth)
        } else {
            // A one-line scalar or flow document.
            self.pos += 1;
            inline_value(line.text)
        }
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Option<Value> {
        let mut map = Map::new();
        while let Some(line) = self.peek() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent || is_sequence_entry(line.text) {
                return None;
            }
            let (key, rest) = split_key(line.text)?;
            self.pos += 1;
            let value = if rest.is_empty() {
                self.nested(indent, true, depth)?
            } else {
                let value = inline_value(rest)?;
                // A continuation line would make this a multi-line scalar.
                if self.peek().is_some_and(|next| next.indent > indent) {
                    return None;
                }
                value
            };
            map.insert(key, value);
        }
        Some(Value::Object(map))
    }

    /// The value of a key or sequence entry whose own line held nothing after the
    /// indicator: a block node indented deeper, a sequence at the same indentation (for a
    /// mapping key), or null.
    fn nested(&mut self, indent: usize, in_mapping: bool, depth: usize) -> Option<Value> {
        match self.peek() {
            Some(next) if next.indent > indent => self.node(next.indent, depth + 1),
            Some(next) if in_mapping && next.indent == indent && is_sequence_entry(next.text) => {
                self.sequence(indent, depth + 1)
            }
            _ => Some(Value::Null),
        }
    }

    fn sequence(&mut self, indent: usize, depth: usize) -> Option<Value> {
        let mut items = Vec::new();
        while let Some(line) = self.peek() {
            if line.indent < indent || (line.indent == indent && !is_sequence_entry(line.text)) {
                break;
            }
            if line.indent > indent {
                return None;
            }
            let after_dash = &line.text[1..];
            let content = after_dash.trim_start_matches(' ');
            if content.is_empty() || content.starts_with('#') {
                self.pos += 1;
                items.push(self.nested(indent, false, depth)?);
                continue;
            }
            // The entry's content starts a compact node at its own column.
            let column = indent + 1 + (after_dash.len() - content.len());
            if is_sequence_entry(content) || split_key(content).is_some() {
                self.lines[self.pos] = Line {
                    indent: column,
                    text: content,
                };
                items.push(self.node(column, depth + 1)?);
            } else {
                self.pos += 1;
                items.push(inline_value(content)?);
                if self.peek().is_some_and(|next| next.indent > indent) {
                    return None;
                }
            }
        }
        Some(Value::Array(items))
    }
}

fn is_sequence_entry(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// Splits `key: rest` (rest without its comment); `None` if the line is not a simple
/// mapping entry.
fn split_key(text: &str) -> Option<(String, &str)> {
    let (key, rest) = if let Some(quote @ ('"' | '\'')) = text.chars().next() {
        let (key, len) = quoted(text, quote)?;
        let rest = text[len..].strip_prefix(':')?;
        (key, rest)
    } else {
        let bytes = text.as_bytes();
        let mut colon = None;
        for i in 0..bytes.len() {
            match bytes[i] {
                b'#' if i > 0 && bytes[i - 1] == b' ' => return None,
                b':' if i + 1 == bytes.len() || bytes[i + 1] == b' ' => {
                    colon = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let colon = colon?;
        let key = text[..colon].trim_end_matches(' ');
        if !plain_key_ok(key) {
            return None;
        }
        (key.to_owned(), &text[colon + 1..])
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
    first.is_ascii_alphabetic()
        && resolve_word(key).is_none()
        && !key.contains(": ")
        && !key.contains(" #")
}

/// A value written on the same line as its key or dash.
fn inline_value(text: &str) -> Option<Value> {
    match text.as_bytes()[0] {
        b'"' | b'\'' => {
            let quote = text.as_bytes()[0] as char;
            let (s, len) = quoted(text, quote)?;
            let rest = text[len..].trim_start_matches(' ');
            (rest.is_empty() || rest.starts_with('#')).then_some(Value::String(s))
        }
        b'[' | b'{' => {
            let mut flow = Flow { text, pos: 0 };
            let value = flow.value(0)?;
            let rest = text[flow.pos..].trim_start_matches(' ');
            (rest.is_empty() || rest.starts_with('#')).then_some(value)
        }
        _ => plain(strip_comment(text), false),
    }
}

/// The text before a ` #` comment.
fn strip_comment(text: &str) -> &str {
    match text.find(" #") {
        Some(i) => text[..i].trim_end_matches(' '),
        None => text,
    }
}

/// Resolves a plain scalar (`in_flow`: inside a flow collection, where `,[]{}` end it).
fn plain(text: &str, in_flow: bool) -> Option<Value> {
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
    ) || text.contains(": ")
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
    Some(Value::String(text.to_owned()))
}

/// Null and boolean spellings: `Some(Some(v))` when certain, `Some(None)` for spellings the
/// fast path leaves to the full parser, `None` for ordinary words.
fn resolve_word(text: &str) -> Option<Option<Value>> {
    match text {
        "~" | "null" => Some(Some(Value::Null)),
        "true" => Some(Some(Value::Bool(true))),
        "false" => Some(Some(Value::Bool(false))),
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
fn number_like(text: &str) -> Option<Value> {
    let bytes = text.as_bytes();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
    {
        let n: i64 = text.parse().ok()?;
        return Some(Value::Number(Number::from(n)));
    }
    // `--listen=:8080`, `-v`: a dash followed by a letter or dash is never a number.
    if bytes[0] == b'-' && bytes.len() > 1 && (bytes[1] == b'-' || bytes[1].is_ascii_alphabetic()) {
        return Some(Value::String(text.to_owned()));
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
        return Some(Value::String(text.to_owned()));
    }
    None
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
struct Flow<'t> {
    text: &'t str,
    pos: usize,
}

impl Flow<'_> {
    fn skip_spaces(&mut self) {
        while self.text.as_bytes().get(self.pos) == Some(&b' ') {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_spaces();
        let rest = &self.text[self.pos..];
        match *rest.as_bytes().first()? {
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_spaces();
                    if self.eat(b']') {
                        return Some(Value::Array(items));
                    }
                    items.push(self.value(depth + 1)?);
                    self.skip_spaces();
                    if !self.eat(b',') {
                        self.skip_spaces();
                        return self.eat(b']').then_some(Value::Array(items));
                    }
                }
            }
            b'{' => {
                self.pos += 1;
                let mut map = Map::new();
                loop {
                    self.skip_spaces();
                    if self.eat(b'}') {
                        return Some(Value::Object(map));
                    }
                    let key = self.key()?;
                    self.skip_spaces();
                    let value = if matches!(self.text.as_bytes().get(self.pos), Some(b',' | b'}')) {
                        Value::Null
                    } else {
                        self.value(depth + 1)?
                    };
                    map.insert(key, value);
                    self.skip_spaces();
                    if !self.eat(b',') {
                        self.skip_spaces();
                        return self.eat(b'}').then_some(Value::Object(map));
                    }
                }
            }
            b'"' | b'\'' => {
                let (s, len) = quoted(rest, rest.as_bytes()[0] as char)?;
                self.pos += len;
                Some(Value::String(s))
            }
            _ => {
                let end = rest.find([',', ']', '}']).unwrap_or(rest.len());
                let scalar = rest[..end].trim_end_matches(' ');
                if scalar.contains(" #") {
                    return None;
                }
                self.pos += end;
                plain(scalar, true)
            }
        }
    }

    /// `key:` inside a flow mapping (the colon must be followed by a space or end the key).
    fn key(&mut self) -> Option<String> {
        let rest = &self.text[self.pos..];
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
        Some(key.to_owned())
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
            "a: .inf\n",
            "a: Null\n",
            "a: b: c\n",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }
}

/// The fast path against the full parser: wherever the fast path answers, both agree.
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
        for dir in [
            "examples",
            "deploy",
            "crates",
            "../shared/conformance/testdata",
        ] {
            yaml_files(&root.join(dir), &mut files);
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
        assert!(
            files.len() > 4_500,
            "corpus not found: {} files",
            files.len()
        );
        // The conformance fixtures are plain Kubernetes YAML: the fast path must read them.
        assert!(
            fast * 100 >= docs * 95,
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
        ];
        prop_oneof![60 => common, 1 => uncertain]
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            20 => Just("name".to_owned()), 20 => Just("image".to_owned()), 20 => Just("spec".to_owned()),
            10 => Just("\"quoted key\"".to_owned()), 10 => Just("app.kubernetes.io/name".to_owned()),
            40 => "[a-zA-Z][a-zA-Z0-9]{0,8}",
            1 => Just("y".to_owned()), 1 => Just("on".to_owned()),
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

//! Parsing a configuration document into the JSON tree that Kubernetes' decoders work on.
//!
//! Upstream (apimachinery's universal decoder) treats input whose first non-space character
//! is `{` as JSON and everything else as YAML. YAML is converted to JSON first
//! (`sigs.k8s.io/yaml.YAMLToJSON`): duplicate keys keep the last value, non-string keys become
//! strings, and the keys of every object come out sorted (the conversion goes through Go maps).
//! In strict mode the YAML is converted a second time with duplicate keys reported as
//! `yaml: unmarshal errors:` (one `line N: key "k" already set in map` per duplicate).
//! JSON objects keep their keys in document order, duplicates included, so that strict
//! decoding can report them.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use serde_saphyr::options::{DuplicateKeyPolicy, NonFiniteFloatPolicy};

use super::ConfigError;
use podsec_policy::text::go_quote;

/// Maximum nesting depth of a YAML document (serde-saphyr's budget; deeper is an error).
/// Configuration documents nest about 8 levels deep; serde-saphyr needs tens of kilobytes of
/// stack per level in debug builds, so this keeps parsing well inside a 2 MiB thread stack.
const MAX_YAML_DEPTH: usize = 32;

/// A JSON value. Objects keep their entries in order (duplicates included for JSON input).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// The number's text (valid JSON, or `NaN`/`+Inf`/`-Inf` before the YAML finiteness check).
    Number(String),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    /// Go's name for the JSON type in `json: cannot unmarshal <name> into ...`.
    pub(crate) fn go_kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Compact JSON text as Go's `json.Marshal` writes it (`<`, `>`, `&`, U+2028 and U+2029
    /// escaped). Object entries are written in their stored order.
    pub(crate) fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(n),
            Value::String(s) => write_json_string(out, s),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Value::Object(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(out, key);
                    out.push(':');
                    value.write_json(out);
                }
                out.push('}');
            }
        }
    }
}

fn write_json_string(out: &mut String, s: &str) {
    use fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A parsed document.
#[derive(Debug)]
pub(crate) struct Document {
    /// The JSON tree.
    pub(crate) value: Value,
    /// For YAML input with duplicate keys: `yaml: unmarshal errors:\n  line N: ...`.
    pub(crate) yaml_strict_error: Option<String>,
}

/// Go's `unicode.IsSpace` (the same set as Rust's `char::is_whitespace`).
fn is_go_space(c: char) -> bool {
    c.is_whitespace()
}

/// Whether upstream's recognizer treats `bytes` as JSON: the first character that is not
/// a Unicode space is `{`.
pub(crate) fn is_json(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes)
        .trim_start_matches(is_go_space)
        .starts_with('{')
}

/// Parses non-empty input as JSON or YAML.
pub(crate) fn parse(bytes: &[u8]) -> Result<Document, ConfigError> {
    if is_json(bytes) {
        // Go replaces invalid UTF-8 inside strings with U+FFFD instead of failing.
        let text = String::from_utf8_lossy(bytes);
        let JsonValue(value) = serde_json::from_str::<JsonValue>(&text).map_err(|e| {
            ConfigError::Syntax(format!("couldn't get version/kind; json parse error: {e}"))
        })?;
        Ok(Document {
            value,
            yaml_strict_error: None,
        })
    } else {
        let text = std::str::from_utf8(bytes).map_err(|e| utf8_error(bytes, &e))?;
        parse_yaml(text)
    }
}

/// go-yaml's reader errors for input that is not UTF-8.
fn utf8_error(bytes: &[u8], error: &std::str::Utf8Error) -> ConfigError {
    let problem = match (error.error_len(), bytes.get(error.valid_up_to())) {
        (None, _) => "incomplete UTF-8 octet sequence",
        // A valid leading octet followed by a bad continuation.
        (Some(_), Some(0xc2..=0xf4)) => "invalid trailing UTF-8 octet",
        _ => "invalid leading UTF-8 octet",
    };
    ConfigError::Syntax(format!("yaml: {problem}"))
}

// ---------------------------------------------------------------------------------------------
// JSON

struct JsonValue(Value);

impl<'de> Deserialize<'de> for JsonValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor).map(JsonValue)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(float_text(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(JsonValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let JsonValue(value) = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Value::Object(entries))
    }
}

/// JSON text of a float (finite values), or Go's spelling of a non-finite one.
fn float_text(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        // Rust's shortest round-trip formatting never uses an exponent: valid JSON.
        format!("{v}")
    }
}

// ---------------------------------------------------------------------------------------------
// YAML

/// A YAML node as serde-saphyr resolves it (YAML 1.1 booleans, legacy octal numbers).
#[derive(Debug)]
enum YamlNode {
    Null,
    Bool(bool),
    Int(String),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<YamlNode>>),
    Map(Vec<(Spanned<YamlNode>, Spanned<YamlNode>)>),
}

impl<'de> Deserialize<'de> for YamlNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(YamlVisitor)
    }
}

struct YamlVisitor;

impl<'de> Visitor<'de> for YamlVisitor {
    type Value = YamlNode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML node")
    }
    fn visit_unit<E>(self) -> Result<YamlNode, E> {
        Ok(YamlNode::Null)
    }
    fn visit_none<E>(self) -> Result<YamlNode, E> {
        Ok(YamlNode::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<YamlNode, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, v: bool) -> Result<YamlNode, E> {
        Ok(YamlNode::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<YamlNode, E> {
        Ok(YamlNode::Int(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<YamlNode, E> {
        Ok(YamlNode::Int(v.to_string()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<YamlNode, E> {
        Ok(YamlNode::Int(v.to_string()))
    }
    fn visit_u128<E>(self, v: u128) -> Result<YamlNode, E> {
        Ok(YamlNode::Int(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<YamlNode, E> {
        Ok(YamlNode::Float(v))
    }
    fn visit_char<E>(self, v: char) -> Result<YamlNode, E> {
        Ok(YamlNode::Str(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<YamlNode, E> {
        Ok(YamlNode::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<YamlNode, E> {
        Ok(YamlNode::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<YamlNode, E> {
        Ok(YamlNode::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<YamlNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(YamlNode::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<YamlNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(YamlNode::Map(entries))
    }
}

fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        // Every entry reaches the visitor, so duplicates can be reported with their lines.
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        // YAML 1.1, as go-yaml v2 reads it: `010` is octal, `yes`/`on` are booleans.
        legacy_octal_numbers: true,
        strict_booleans: false,
        non_finite_float_policy: NonFiniteFloatPolicy::PassThrough,
        with_snippet: false,
        budget: serde_saphyr::budget! { max_depth: MAX_YAML_DEPTH },
    }
}

fn parse_yaml(text: &str) -> Result<Document, ConfigError> {
    let node = parse_first_yaml_document(text)?;
    let mut converter = Converter::default();
    let value = converter.convert(node)?;
    if let Some(bad) = first_non_finite(&value) {
        return Err(ConfigError::Syntax(format!(
            "json: unsupported value: {bad}"
        )));
    }
    let yaml_strict_error = (!converter.duplicates.is_empty()).then(|| {
        format!(
            "yaml: unmarshal errors:\n  {}",
            converter.duplicates.join("\n  ")
        )
    });
    Ok(Document {
        value,
        yaml_strict_error,
    })
}

/// Parses the first YAML document of `text` (go-yaml reads only the first one and never
/// looks at the rest).
fn parse_first_yaml_document(text: &str) -> Result<Spanned<YamlNode>, ConfigError> {
    let mut input = text;
    // Each retry strictly shortens the input, so this terminates; the bound is a safeguard.
    for _ in 0..8 {
        match serde_saphyr::from_str_with_options::<Spanned<YamlNode>>(input, yaml_options()) {
            Ok(node) => return Ok(node),
            Err(serde_saphyr::Error::MultipleDocuments { location, .. }) => {
                match first_document_end(input, location.line(), location.column()) {
                    Some(end) if end < input.len() => input = &input[..end],
                    _ => return Err(yaml_error_message("more than one YAML document", location)),
                }
            }
            Err(err) => return Err(yaml_error(&err)),
        }
    }
    Err(ConfigError::Syntax(
        "yaml: could not isolate the first document".to_owned(),
    ))
}

/// The byte offset where the document marker line (`---` or `...`) before the given
/// 1-based position starts.
fn first_document_end(text: &str, line: u64, column: u64) -> Option<usize> {
    let starts = line_starts(text);
    let line_index = usize::try_from(line.checked_sub(1)?).ok()?;
    let line_start = *starts.get(line_index)?;
    let column_chars = usize::try_from(column.saturating_sub(1)).ok()?;
    let offset = text[line_start..]
        .char_indices()
        .nth(column_chars)
        .map_or(text.len(), |(i, _)| line_start + i);
    starts
        .iter()
        .copied()
        .rev()
        .find(|&start| start < offset && is_document_marker(&text[start..]))
}

fn is_document_marker(line: &str) -> bool {
    (line.starts_with("---") || line.starts_with("..."))
        && line[3..]
            .chars()
            .next()
            .is_none_or(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// Byte offsets where lines start (line breaks: `\n`, `\r\n`, lone `\r`).
fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => starts.push(i + 1),
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    starts
}

fn yaml_error(err: &serde_saphyr::Error) -> ConfigError {
    let mut message = err.to_string();
    match err.location() {
        Some(location) if location.line() > 0 => {
            let suffix = format!(" at line {}, column {}", location.line(), location.column());
            if let Some(stripped) = message.strip_suffix(&suffix) {
                message = stripped.to_owned();
            }
            yaml_error_message(&message, location)
        }
        _ => ConfigError::Syntax(format!("yaml: {message}")),
    }
}

fn yaml_error_message(message: &str, location: serde_saphyr::Location) -> ConfigError {
    ConfigError::Syntax(format!("yaml: line {}: {message}", location.line()))
}

/// YAML to JSON conversion state.
#[derive(Default)]
struct Converter {
    /// go-yaml strict-mode messages, in go-yaml's order.
    duplicates: Vec<String>,
}

/// A YAML key's identity for duplicate detection (go-yaml compares resolved values).
#[derive(PartialEq, Eq, Hash)]
enum KeyId {
    Null,
    Bool(bool),
    Int(String),
    Float(u64),
    Str(String),
}

impl Converter {
    fn convert(&mut self, node: Spanned<YamlNode>) -> Result<Value, ConfigError> {
        Ok(match node.value {
            YamlNode::Null => Value::Null,
            YamlNode::Bool(b) => Value::Bool(b),
            YamlNode::Int(text) => Value::Number(text),
            YamlNode::Float(f) => Value::Number(float_text(f)),
            YamlNode::Str(s) => Value::String(s),
            YamlNode::Seq(items) => Value::Array(
                items
                    .into_iter()
                    .map(|item| self.convert(item))
                    .collect::<Result<_, _>>()?,
            ),
            YamlNode::Map(entries) => self.convert_map(entries)?,
        })
    }

    fn convert_map(
        &mut self,
        entries: Vec<(Spanned<YamlNode>, Spanned<YamlNode>)>,
    ) -> Result<Value, ConfigError> {
        let mut seen: HashSet<KeyId> = HashSet::new();
        let mut out: Vec<(String, Value)> = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let key_line = key.referenced.line();
            let value_line = value.referenced.line();
            let (id, text, shown) = match key.value {
                YamlNode::Null => (KeyId::Null, None, "<nil>".to_owned()),
                YamlNode::Bool(b) => (KeyId::Bool(b), Some(b.to_string()), b.to_string()),
                YamlNode::Int(i) => (KeyId::Int(i.clone()), Some(i.clone()), i),
                YamlNode::Float(f) => (
                    KeyId::Float(f.to_bits()),
                    Some(go_format_float(f, true)),
                    go_format_float(f, false),
                ),
                YamlNode::Str(s) => (KeyId::Str(s.clone()), Some(s.clone()), go_quote(&s)),
                YamlNode::Seq(_) | YamlNode::Map(_) => {
                    return Err(ConfigError::Syntax(format!(
                        "yaml: line {key_line}: invalid map key: a sequence or mapping"
                    )));
                }
            };
            // go-yaml decodes the value (reporting problems inside it) before storing the key.
            let converted = self.convert(value)?;
            if !seen.insert(id) {
                let line = if value_line > 0 { value_line } else { key_line };
                self.duplicates
                    .push(format!("line {line}: key {shown} already set in map"));
            }
            let Some(text) = text else {
                return Err(ConfigError::Syntax(
                    "unsupported map key of type: %!s(<nil>), key: <nil>".to_owned(),
                ));
            };
            // Later duplicates replace earlier ones.
            if let Some(slot) = out.iter_mut().find(|(k, _)| *k == text) {
                slot.1 = converted;
            } else {
                out.push((text, converted));
            }
        }
        // The conversion goes through Go maps, which json.Marshal writes sorted.
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Value::Object(out))
    }
}

/// The first non-finite number in `json.Marshal` order, as Go spells it.
fn first_non_finite(value: &Value) -> Option<&str> {
    match value {
        Value::Number(n) if matches!(n.as_str(), "NaN" | "+Inf" | "-Inf") => Some(n),
        Value::Array(items) => items.iter().find_map(first_non_finite),
        Value::Object(entries) => entries.iter().find_map(|(_, v)| first_non_finite(v)),
        _ => None,
    }
}

/// Go's `strconv.FormatFloat(v, 'g', -1, bits)` (32 or 64 bits), with go-yaml's spellings
/// of the non-finite values for map keys (`.inf`, `-.inf`, `.nan`) when `bits32`.
pub(crate) fn go_format_float(v: f64, bits32: bool) -> String {
    if v.is_nan() {
        return if bits32 { ".nan" } else { "NaN" }.to_owned();
    }
    if v.is_infinite() {
        return match (v > 0.0, bits32) {
            (true, true) => ".inf",
            (false, true) => "-.inf",
            (true, false) => "+Inf",
            (false, false) => "-Inf",
        }
        .to_owned();
    }
    // Shortest round-trip digits and decimal exponent, e.g. "1.5e-5".
    let sci = if bits32 {
        format!("{:e}", v as f32)
    } else {
        format!("{v:e}")
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = if digits.chars().all(|c| c == '0') {
        "0".to_owned()
    } else {
        digits
    };
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    // Shortest formatting decides with precision 6.
    if !(-4..6).contains(&exp) {
        // %e form: d.ddde±dd
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let abs = exp.unsigned_abs();
        if abs < 10 {
            out.push('0');
        }
        out.push_str(&abs.to_string());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let point = usize::try_from(exp + 1).unwrap_or(0);
        if digits.len() <= point {
            out.push_str(&digits);
            for _ in digits.len()..point {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Document {
        parse(text.as_bytes()).expect("parses")
    }

    #[test]
    fn json_detection_skips_unicode_spaces() {
        assert!(is_json(b"{}"));
        assert!(is_json(b" \t\r\n{"));
        assert!(is_json("\u{a0}\u{2028}{".as_bytes()));
        assert!(!is_json(b"a: {}"));
        assert!(!is_json("\u{feff}{}".as_bytes()));
        assert!(!is_json(b""));
    }

    #[test]
    fn json_keeps_order_and_duplicates() {
        let doc = parse(br#"{"b": 1, "a": [true, null, "x"], "b": 2.5}"#).expect("parses");
        assert_eq!(
            doc.value,
            Value::Object(vec![
                ("b".into(), Value::Number("1".into())),
                (
                    "a".into(),
                    Value::Array(vec![
                        Value::Bool(true),
                        Value::Null,
                        Value::String("x".into())
                    ])
                ),
                ("b".into(), Value::Number("2.5".into())),
            ])
        );
        assert!(doc.yaml_strict_error.is_none());
    }

    #[test]
    fn json_syntax_error_is_a_kind_lookup_error() {
        let err = parse(b"{\"a\": }").unwrap_err().to_string();
        assert!(
            err.starts_with("couldn't get version/kind; json parse error: "),
            "{err}"
        );
    }

    #[test]
    fn yaml_sorts_and_dedups_and_reports_duplicates() {
        let doc = yaml("b: 1\na: x\nb: 2\n");
        assert_eq!(
            doc.value,
            Value::Object(vec![
                ("a".into(), Value::String("x".into())),
                ("b".into(), Value::Number("2".into())),
            ])
        );
        assert_eq!(
            doc.yaml_strict_error.as_deref(),
            Some("yaml: unmarshal errors:\n  line 3: key \"b\" already set in map")
        );
    }

    #[test]
    fn yaml_nested_duplicates_in_go_yaml_order() {
        let doc = yaml("a: {x: 1, x: 2}\na: {p: 1, p: 2}\n");
        assert_eq!(
            doc.yaml_strict_error.as_deref(),
            Some(
                "yaml: unmarshal errors:\n  line 1: key \"x\" already set in map\n  \
                 line 2: key \"p\" already set in map\n  line 2: key \"a\" already set in map"
            )
        );
    }

    #[test]
    fn yaml_1_1_boolean_keys() {
        // go-yaml v2 resolves `y` and `true` to the same boolean key.
        let doc = yaml("y: 1\ntrue: 2\n");
        assert_eq!(
            doc.value,
            Value::Object(vec![("true".into(), Value::Number("2".into()))])
        );
        assert_eq!(
            doc.yaml_strict_error.as_deref(),
            Some("yaml: unmarshal errors:\n  line 2: key true already set in map")
        );
    }

    #[test]
    fn yaml_key_conversion() {
        let doc = yaml("1: a\ntrue: b\n1.5: c\n0x10: d\n");
        let Value::Object(entries) = doc.value else {
            panic!("object expected")
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["1", "1.5", "16", "true"]);
        assert!(parse(b"~: a\n").is_err());
        assert!(parse(b"? [a]\n: b\n").is_err());
    }

    #[test]
    fn yaml_scalars_resolve_like_yaml_1_1() {
        let doc = yaml("a: yes\nb: 010\nc: ~\nd: '1'\ne: v1.7\nf: 1.5\n");
        assert_eq!(
            doc.value,
            Value::Object(vec![
                ("a".into(), Value::Bool(true)),
                ("b".into(), Value::Number("8".into())),
                ("c".into(), Value::Null),
                ("d".into(), Value::String("1".into())),
                ("e".into(), Value::String("v1.7".into())),
                ("f".into(), Value::Number("1.5".into())),
            ])
        );
    }

    #[test]
    fn yaml_non_finite_numbers_cannot_become_json() {
        let err = parse(b"a: .nan\n").unwrap_err().to_string();
        assert_eq!(err, "json: unsupported value: NaN");
        let err = parse(b"a: [-.inf]\n").unwrap_err().to_string();
        assert_eq!(err, "json: unsupported value: -Inf");
    }

    #[test]
    fn yaml_reads_only_the_first_document() {
        assert_eq!(
            yaml("a: 1\n---\nb: [\n").value,
            Value::Object(vec![("a".into(), Value::Number("1".into()))])
        );
        assert_eq!(yaml("---\n---\na: 1\n").value, Value::Null);
        assert_eq!(
            yaml("--- {a: 1}\n--- {b: 2}\n").value,
            Value::Object(vec![("a".into(), Value::Number("1".into()))])
        );
    }

    #[test]
    fn yaml_empty_and_comment_only_are_null() {
        assert_eq!(yaml("# nothing\n").value, Value::Null);
        assert_eq!(yaml("   \n\n").value, Value::Null);
    }

    #[test]
    fn yaml_must_be_utf8() {
        let err = |b: &[u8]| parse(b).unwrap_err().to_string();
        assert_eq!(err(b"a: \xff\n"), "yaml: invalid leading UTF-8 octet");
        assert_eq!(err(b"a: \xc3\x28\n"), "yaml: invalid trailing UTF-8 octet");
        assert_eq!(err(b"a: \xe2\x82"), "yaml: incomplete UTF-8 octet sequence");
        // JSON strings take U+FFFD instead, like Go's encoding/json.
        assert_eq!(
            parse(b"{\"a\": \"\xff\"}").expect("json").value,
            Value::Object(vec![("a".into(), Value::String("\u{fffd}".into()))])
        );
    }

    #[test]
    fn yaml_syntax_error_names_line() {
        let err = parse(b"a: 1\nb: 'open\n").unwrap_err().to_string();
        assert!(err.starts_with("yaml: line 2: "), "{err}");
    }

    #[test]
    fn json_writer_escapes_like_go() {
        let v = Value::Object(vec![(
            "k<".into(),
            Value::Array(vec![
                Value::String("a\"b\\c\n\u{1}&\u{2028}é".into()),
                Value::Null,
                Value::Bool(false),
                Value::Number("1".into()),
            ]),
        )]);
        assert_eq!(
            v.to_json(),
            r#"{"k\u003c":["a\"b\\c\n\u0001\u0026\u2028é",null,false,1]}"#
        );
    }

    #[test]
    fn go_float_formatting() {
        assert_eq!(go_format_float(1.5, false), "1.5");
        assert_eq!(go_format_float(1.0, false), "1");
        assert_eq!(go_format_float(100.0, false), "100");
        assert_eq!(go_format_float(1e21, false), "1e+21");
        assert_eq!(go_format_float(100000.0, false), "100000");
        assert_eq!(go_format_float(1e6, false), "1e+06");
        assert_eq!(go_format_float(1234567.0, false), "1.234567e+06");
        assert_eq!(go_format_float(0.0001, false), "0.0001");
        assert_eq!(go_format_float(0.00001, false), "1e-05");
        assert_eq!(go_format_float(-2.5e-7, false), "-2.5e-07");
        assert_eq!(go_format_float(0.0, false), "0");
        assert_eq!(go_format_float(0.1, true), "0.1");
        assert_eq!(go_format_float(f64::INFINITY, true), ".inf");
        assert_eq!(go_format_float(f64::NAN, false), "NaN");
    }
}

//! Decoding one document into objects.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use granit_parser::ErrorKind;
use podsec_policy::model::{PodMetadata, PodSpec};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use serde_saphyr::options::DuplicateKeyPolicy;

use crate::error::{DecodeError, DecodeErrorKind};
use crate::object::{
    Entry, Namespace, Object, OwnerReference, Ownership, PodTemplate, SkipReason, Skipped,
    TemplateLocation, ValueType,
};
use crate::split::Document;
use crate::value::{JsonValue, YamlValue};

/// The per-document result list: one item per object, in order.
pub type Decoded = Vec<Result<Entry, DecodeError>>;

/// Maximum nesting depth of a YAML document (serde-saphyr's default; a pod needs about
/// 12). It bounds the parser's recursion: deeper documents are errors, never stack
/// overflows. JSON documents have serde_json's limit of 128.
const MAX_DEPTH: usize = 64;

impl Document<'_> {
    /// Decodes the document into its objects, in order: usually one, several for a
    /// `kind: List` or a JSON document holding concatenated values, none for a `null`
    /// document.
    ///
    /// The `doc` indices of the results count from 0 within this document; use
    /// [`number`](crate::number) to number the results of a whole stream.
    pub fn decode(&self) -> Decoded {
        let mut out = Vec::new();
        if let Some(rest) = self.invalid_separator() {
            out.push(Err(error(
                self.line(),
                DecodeErrorKind::InvalidSeparator(rest.to_owned()),
            )));
        } else {
            read_values(self, true, &mut |value| match value {
                Ok((value, line)) => decode_value(value, line, "", &mut out),
                Err(err) => out.push(Err(err)),
            });
        }
        crate::number(&mut out, 0);
        out
    }
}

fn error(line: usize, kind: DecodeErrorKind) -> DecodeError {
    DecodeError { doc: 0, line, kind }
}

/// Parses a YAML document with the full parser (serde-saphyr), in Kubernetes' YAML mode.
pub(crate) fn full_yaml(text: &str) -> Result<Value, serde_saphyr::Error> {
    let defaults = serde_saphyr::Budget::default();
    let options = serde_saphyr::options! {
        duplicate_keys: DuplicateKeyPolicy::LastWins,
        // YAML 1.1, as Kubernetes reads it: `017` is octal.
        legacy_octal_numbers: true,
        with_snippet: false,
        // The default budget guards against documents that expand (aliases) far beyond
        // their size; a large but plain document (a cluster snapshot as one `List`) is
        // allowed as many nodes, events and scalar bytes as its text could hold.
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_nodes: defaults.max_nodes.max(text.len()),
            max_events: defaults.max_events.max(2 * text.len()),
            max_total_scalar_bytes: defaults.max_total_scalar_bytes.max(text.len()),
        },
    };
    serde_saphyr::from_str_with_options::<YamlValue>(text, options).map(|YamlValue(v)| v)
}

/// Reads a document's values in order (each with its line), or its syntax error.
fn read_values(
    document: &Document<'_>,
    prune: bool,
    emit: &mut dyn FnMut(Result<(Value, usize), DecodeError>),
) {
    if document.starts_like_json() {
        read_json_or_yaml(document, prune, emit);
    } else {
        match yaml_value(document.text(), prune) {
            Ok(value) => emit(Ok((value, document.line()))),
            Err(err) => emit(Err(yaml_error(document, &err))),
        }
    }
}

impl Document<'_> {
    /// The document's values, each with the line where it starts, as written (a `List` is
    /// one value): for tools that need whole objects, not only their pods. Errors are
    /// those of [`decode`](Self::decode).
    pub fn values(&self) -> Vec<Result<(Value, usize), DecodeError>> {
        let mut out = Vec::new();
        if let Some(rest) = self.invalid_separator() {
            out.push(Err(error(
                self.line(),
                DecodeErrorKind::InvalidSeparator(rest.to_owned()),
            )));
        } else {
            read_values(self, false, &mut |v| out.push(v));
        }
        out
    }
}

/// The value of a YAML document: the fast path for the subset most manifests are written
/// in, which defers everything else to the full parser.
fn yaml_value(text: &str, prune: bool) -> Result<Value, serde_saphyr::Error> {
    let fast = if prune {
        crate::fast_yaml::parse_for_model(text)
    } else {
        crate::fast_yaml::parse(text)
    };
    match fast {
        Some(value) => Ok(value),
        None => full_yaml(text),
    }
}

/// A YAML syntax (or limit) error, at its line in the stream.
fn yaml_error(document: &Document<'_>, err: &serde_saphyr::Error) -> DecodeError {
    let location = err.location();
    let (line, column) = match location {
        Some(loc) if loc.line() > 0 => (
            document.line() + (loc.line() as usize).saturating_sub(1),
            Some(loc.column()).filter(|&c| c > 0),
        ),
        _ => (document.line(), None),
    };
    let mut message = err.to_string();
    if let Some(loc) = location {
        strip_suffix(
            &mut message,
            &format!(" at line {}, column {}", loc.line(), loc.column()),
        );
    }
    let message = yaml_message(message);
    error(line, DecodeErrorKind::Yaml { message, column })
}

/// The JSON values of a document, each with the byte offset (in the document) where it
/// starts; on a syntax error, the values read before it and the error.
pub(crate) type JsonValues = Vec<(usize, Value)>;

/// Reads a document as a stream of concatenated JSON values (serde_json, with the
/// decoder's repeated-key merge).
pub(crate) fn json_values(text: &str) -> Result<JsonValues, (JsonValues, serde_json::Error)> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<JsonValue>();
    let mut values = Vec::new();
    loop {
        let offset = stream.byte_offset();
        match stream.next() {
            None => return Ok(values),
            Some(Ok(JsonValue(value))) => {
                let rest = text.get(offset..).unwrap_or_default();
                values.push((offset + (rest.len() - rest.trim_start().len()), value));
            }
            Some(Err(err)) => return Err((values, err)),
        }
    }
}

/// What a document that starts like JSON but is not JSON is read as: see the crate docs,
/// "Documents".
pub(crate) enum NotJson {
    /// It is YAML (in flow style): its value.
    Yaml(Value),
    /// It is neither, and the YAML parser read further: its error is reported.
    YamlError(serde_saphyr::Error),
    /// It is neither, and the JSON parser read at least as far: the JSON error is
    /// reported (after the JSON values read before it).
    JsonError,
}

/// Reads `text`, whose JSON reading failed with `json` after `values` complete values, as
/// YAML (see [`NotJson`]).
pub(crate) fn not_json(
    text: &str,
    values: usize,
    json: &serde_json::Error,
    prune: bool,
) -> NotJson {
    match yaml_value(text, prune) {
        Ok(value) => NotJson::Yaml(value),
        // After a complete value, the document is a stream of JSON values (YAML could only
        // have followed it with comments).
        Err(err) if values == 0 && yaml_progress(text) > json_progress(text, json) => {
            NotJson::YamlError(err)
        }
        Err(_) => NotJson::JsonError,
    }
}

/// Byte offset up to which `text` is JSON, given its JSON error: the whole text when it
/// ends too early or nests too deep (what was read is JSON), else the offending character.
fn json_progress(text: &str, json: &serde_json::Error) -> usize {
    if json.is_eof() || json.to_string().starts_with("recursion limit exceeded") {
        return text.len();
    }
    // serde_json's line is 1-based, its column the 1-based byte of the offending character.
    let line_start = if json.line() <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(json.line() - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    (line_start + json.column().saturating_sub(1)).min(text.len())
}

/// Byte offset up to which `text` reads as YAML, read with `granit-parser` (the parser
/// serde-saphyr is built on): where its syntax error is (all of the text for an unclosed
/// bracket, which it reports at the bracket), else all of the text (its error is a limit).
fn yaml_progress(text: &str) -> usize {
    let mut options = granit_parser::Options::default();
    options.set_emit_comments(false);
    let mut read = 0;
    for next in granit_parser::Parser::new_from_str_with_options(text, options) {
        match next {
            Ok((_, span)) => read = read.max(span.end.byte_offset().unwrap_or(0)),
            Err(err) if matches!(err.kind(), ErrorKind::UnclosedFlowCollection { .. }) => {
                return text.len();
            }
            Err(err) => return read.max(err.marker().byte_offset().unwrap_or(0)),
        }
    }
    text.len()
}

/// A document that starts like JSON: JSON if all of it is, else YAML (see [`not_json`]).
fn read_json_or_yaml(
    document: &Document<'_>,
    prune: bool,
    emit: &mut dyn FnMut(Result<(Value, usize), DecodeError>),
) {
    let text = document.text();
    let (values, json_err) = match json_values(text) {
        Ok(values) => (values, None),
        Err((values, err)) => match not_json(text, values.len(), &err, prune) {
            NotJson::Yaml(value) => return emit(Ok((value, document.line()))),
            NotJson::YamlError(err) => return emit(Err(yaml_error(document, &err))),
            NotJson::JsonError => (values, Some(err)),
        },
    };
    let mut lines = LineCursor::new(text, document.line());
    for (start, value) in values {
        emit(Ok((value, lines.line_at(start))));
    }
    if let Some(err) = json_err {
        let (line, column) = if err.line() > 0 {
            (
                document.line() + err.line() - 1,
                Some(err.column() as u64).filter(|&c| c > 0),
            )
        } else {
            (document.line(), None)
        };
        let mut message = err.to_string();
        strip_suffix(
            &mut message,
            &format!(" at line {} column {}", err.line(), err.column()),
        );
        emit(Err(error(line, DecodeErrorKind::Json { message, column })));
    }
}

/// Rewrites serde-saphyr messages that name its API or print debug structures.
fn yaml_message(message: String) -> String {
    if message.starts_with("multiple YAML documents detected") {
        "more than one YAML document between `---` separators (a `...` end marker?)".to_owned()
    } else if message.starts_with("budget breached: Depth") {
        format!("nested deeper than {MAX_DEPTH} levels")
    } else if let Some(rest) = message.strip_prefix("budget breached: ") {
        format!("document too large or too complex ({rest})")
    } else {
        message
    }
}

fn strip_suffix(message: &mut String, suffix: &str) {
    if message.ends_with(suffix) {
        message.truncate(message.len() - suffix.len());
    }
}

/// Maps byte offsets of a text to 1-based stream lines, for increasing offsets.
struct LineCursor<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl<'a> LineCursor<'a> {
    fn new(text: &'a str, first_line: usize) -> Self {
        LineCursor {
            text,
            offset: 0,
            line: first_line,
        }
    }

    fn line_at(&mut self, offset: usize) -> usize {
        if offset > self.offset {
            let slice = self.text.get(self.offset..offset).unwrap_or_default();
            self.line += slice.bytes().filter(|&b| b == b'\n').count();
            self.offset = offset;
        }
        self.line
    }
}

/// Decodes a top-level value (or a `List` item); `prefix` is the path of the value in its
/// document (`""`, or `items[3]` for a list item).
pub(crate) fn decode_value(value: Value, line: usize, prefix: &str, out: &mut Decoded) {
    let skipped = |t: ValueType| {
        Ok(Entry::Skipped(Skipped {
            reason: SkipReason::NotAnObject(t),
            api_version: String::new(),
            name: String::new(),
            line,
            doc: 0,
        }))
    };
    match value {
        Value::Null => {}
        Value::Bool(_) => out.push(skipped(ValueType::Boolean)),
        Value::Number(_) => out.push(skipped(ValueType::Number)),
        Value::String(_) => out.push(skipped(ValueType::String)),
        Value::Array(_) => out.push(skipped(ValueType::Sequence)),
        Value::Object(map) => decode_object(map, line, prefix, out),
    }
}

fn decode_object(mut map: Map<String, Value>, line: usize, prefix: &str, out: &mut Decoded) {
    let field_error =
        |path: String, message: String| Err(error(line, DecodeErrorKind::Field { path, message }));
    let kind = match string_field(&map, "kind") {
        Ok(kind) => kind,
        Err(message) => return out.push(field_error(join(prefix, "kind"), message)),
    };
    let api_version = match string_field(&map, "apiVersion") {
        Ok(v) => v,
        Err(message) => return out.push(field_error(join(prefix, "apiVersion"), message)),
    };
    let kind = kind.filter(|k| !k.is_empty());
    let api_version = api_version.unwrap_or_default();

    let Some(kind) = kind else {
        out.push(Ok(Entry::Skipped(Skipped {
            reason: SkipReason::NoKind,
            api_version,
            name: loose_name(&map),
            line,
            doc: 0,
        })));
        return;
    };

    if kind == "List" || (kind.ends_with("List") && map.contains_key("items")) {
        match map.remove("items") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.into_iter().enumerate() {
                    let item_prefix = join(prefix, &format!("items[{i}]"));
                    decode_value(item, line, &item_prefix, out);
                }
            }
            Some(other) => {
                let message = <Vec<Value>>::deserialize(other)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                out.push(field_error(join(prefix, "items"), message));
            }
        }
        return;
    }

    if kind == "Namespace" {
        let decoded = typed::<NamespaceEnvelope>(Value::Object(map), prefix);
        out.push(match decoded {
            Ok(ns) => {
                let metadata = ns.metadata.unwrap_or_default();
                Ok(Entry::Namespace(Namespace {
                    api_version,
                    name: metadata.name.unwrap_or_default(),
                    labels: metadata.labels,
                    line,
                    doc: 0,
                }))
            }
            Err((path, message)) => field_error(path, message),
        });
        return;
    }

    let Some(location) = TemplateLocation::for_kind(&kind) else {
        out.push(Ok(Entry::Skipped(Skipped {
            name: loose_name(&map),
            reason: SkipReason::Kind(kind),
            api_version,
            line,
            doc: 0,
        })));
        return;
    };

    let ownership = ownership(&map);
    let value = Value::Object(map);
    let decoded = match location {
        TemplateLocation::Pod => typed::<PodEnvelope>(value, prefix).map(|pod| {
            let metadata = pod.metadata.unwrap_or_default();
            let meta = ObjectMeta {
                name: Some(metadata.name.clone()),
                namespace: Some(metadata.namespace.clone()),
            };
            (meta, metadata, pod.spec.unwrap_or_default())
        }),
        TemplateLocation::Template => typed::<WorkloadEnvelope>(value, prefix)
            .map(|w| template_parts(w.metadata, w.spec.and_then(|s| s.template))),
        TemplateLocation::JobTemplate => typed::<CronJobEnvelope>(value, prefix).map(|c| {
            let template = c
                .spec
                .and_then(|s| s.job_template)
                .and_then(|j| j.spec)
                .and_then(|s| s.template);
            template_parts(c.metadata, template)
        }),
        TemplateLocation::PodTemplate => typed::<PodTemplateEnvelope>(value, prefix)
            .map(|t| template_parts(t.metadata, t.template)),
    };

    match decoded {
        Ok((meta, metadata, spec)) => out.push(Ok(Entry::Object(Object {
            kind,
            api_version,
            name: meta.name.unwrap_or_default(),
            namespace: meta.namespace.filter(|ns| !ns.is_empty()),
            line,
            doc: 0,
            template: PodTemplate {
                location,
                metadata,
                spec,
            },
            ownership,
        }))),
        Err((path, message)) => out.push(field_error(path, message)),
    }
}

/// An object's uid, controller, replicas and suspension, read leniently.
fn ownership(map: &Map<String, Value>) -> Ownership {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let metadata = map.get("metadata");
    let controller = metadata
        .and_then(|m| m.get("ownerReferences"))
        .and_then(Value::as_array)
        .and_then(|refs| {
            refs.iter()
                .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        })
        .map(|r| OwnerReference {
            api_version: text(r.get("apiVersion")).unwrap_or_default(),
            kind: text(r.get("kind")).unwrap_or_default(),
            name: text(r.get("name")).unwrap_or_default(),
            uid: text(r.get("uid")).unwrap_or_default(),
        });
    let spec = map.get("spec");
    Ownership {
        uid: text(metadata.and_then(|m| m.get("uid"))).filter(|u| !u.is_empty()),
        controller,
        replicas: spec.and_then(|s| s.get("replicas")).and_then(Value::as_i64),
        suspended: spec.and_then(|s| s.get("suspend")).and_then(Value::as_bool) == Some(true),
    }
}

/// (object metadata, pod metadata, pod spec) of a workload.
fn template_parts(
    meta: Option<ObjectMeta>,
    template: Option<PodTemplateSpec>,
) -> (ObjectMeta, PodMetadata, PodSpec) {
    let template = template.unwrap_or_default();
    (
        meta.unwrap_or_default(),
        template.metadata.unwrap_or_default(),
        template.spec.unwrap_or_default(),
    )
}

/// Deserializes `value` into `T`, reporting a type error as (path in the object, message).
///
/// Tracking the path costs a key copy per field, so it is done only for values that do not
/// decode: the first attempt borrows the value and tracks nothing.
fn typed<T: DeserializeOwned>(value: Value, prefix: &str) -> Result<T, (String, String)> {
    if let Ok(decoded) = T::deserialize(&value) {
        return Ok(decoded);
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = join(prefix, &format_path(err.path()));
        (path, err.into_inner().to_string())
    })
}

/// A top-level string field: `None` when absent or `null`, an error message for other types.
fn string_field(map: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(String::deserialize(other)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()),
    }
}

/// `metadata.name` when it is a string, for skipped objects (never an error).
fn loose_name(map: &Map<String, Value>) -> String {
    map.get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn join(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) if path.starts_with('[') => format!("{prefix}{path}"),
        (false, false) => format!("{prefix}.{path}"),
    }
}

/// `a.b[0].c`, with map keys that are not plain words as `["key"]` (as finding paths
/// write annotation keys).
fn format_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                let _ = write!(out, "[{index}]");
            }
            Segment::Map { key } if !is_plain_key(key) => {
                out.push('[');
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(']');
            }
            Segment::Map { key } => push_field(&mut out, key),
            Segment::Enum { variant } => push_field(&mut out, variant),
            Segment::Unknown => push_field(&mut out, "?"),
        }
    }
    out
}

fn push_field(out: &mut String, key: &str) {
    if !out.is_empty() {
        out.push('.');
    }
    out.push_str(key);
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

// Envelopes: only the parts of each kind's object that lead to the pod template.
// Absent and `null` are the same everywhere.

#[derive(Debug, Default, Deserialize)]
struct ObjectMeta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NamespaceEnvelope {
    #[serde(default)]
    metadata: Option<NamespaceMeta>,
}

#[derive(Debug, Default, Deserialize)]
struct NamespaceMeta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "podsec_policy::model::annotations")]
    labels: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct PodEnvelope {
    #[serde(default)]
    metadata: Option<PodMetadata>,
    #[serde(default)]
    spec: Option<PodSpec>,
}

#[derive(Debug, Default, Deserialize)]
struct PodTemplateSpec {
    #[serde(default)]
    metadata: Option<PodMetadata>,
    #[serde(default)]
    spec: Option<PodSpec>,
}

#[derive(Debug, Deserialize)]
struct WorkloadEnvelope {
    #[serde(default)]
    metadata: Option<ObjectMeta>,
    #[serde(default)]
    spec: Option<WorkloadSpec>,
}

#[derive(Debug, Deserialize)]
struct WorkloadSpec {
    #[serde(default)]
    template: Option<PodTemplateSpec>,
}

#[derive(Debug, Deserialize)]
struct CronJobEnvelope {
    #[serde(default)]
    metadata: Option<ObjectMeta>,
    #[serde(default)]
    spec: Option<CronJobSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CronJobSpec {
    #[serde(default)]
    job_template: Option<JobTemplateSpec>,
}

#[derive(Debug, Deserialize)]
struct JobTemplateSpec {
    #[serde(default)]
    spec: Option<WorkloadSpec>,
}

#[derive(Debug, Deserialize)]
struct PodTemplateEnvelope {
    #[serde(default)]
    metadata: Option<ObjectMeta>,
    #[serde(default)]
    template: Option<PodTemplateSpec>,
}

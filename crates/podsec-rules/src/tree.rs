//! Strict reading of a JSON tree with field-path errors (the validation of [`crate::config`]).

use serde_json::{Map, Value};

use podsec_policy::text::go_quote;

/// One validation error: the field path (`images[1].allowedRegistries[0]`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The path of the offending field, e.g. `exemptions[0].checks[2]`.
    pub path: String,
    /// What is wrong with it, e.g. `unknown check "hostPort" (checks: ...)`.
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Collects errors while the tree is walked.
#[derive(Debug, Default)]
pub(crate) struct Errors(pub(crate) Vec<FieldError>);

impl Errors {
    pub(crate) fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            path: path.into(),
            message: message.into(),
        });
    }
}

/// `parent.field` (or `field` at the top).
pub(crate) fn join(parent: &str, field: &str) -> String {
    if parent.is_empty() {
        field.to_owned()
    } else {
        format!("{parent}.{field}")
    }
}

/// `parent[index]`.
pub(crate) fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// JSON's name for the type of `v`, for `expected a string, got number`.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

/// An object whose keys are all in `known`; unknown keys are reported one by one.
pub(crate) fn object<'a>(
    v: &'a Value,
    path: &str,
    known: &[&str],
    errors: &mut Errors,
) -> Option<&'a Map<String, Value>> {
    let Value::Object(map) = v else {
        errors.push(path, format!("expected a mapping, got {}", kind(v)));
        return None;
    };
    for key in map.keys() {
        if !known.contains(&key.as_str()) {
            errors.push(
                join(path, key),
                format!("unknown field (known: {})", known.join(", ")),
            );
        }
    }
    Some(map)
}

/// A present, non-null field.
pub(crate) fn field<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name).filter(|v| !v.is_null())
}

pub(crate) fn string<'a>(v: &'a Value, path: &str, errors: &mut Errors) -> Option<&'a str> {
    match v {
        Value::String(s) => Some(s),
        other => {
            errors.push(path, format!("expected a string, got {}", kind(other)));
            None
        }
    }
}

pub(crate) fn boolean(v: &Value, path: &str, errors: &mut Errors) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        other => {
            errors.push(path, format!("expected true or false, got {}", kind(other)));
            None
        }
    }
}

pub(crate) fn integer(v: &Value, path: &str, errors: &mut Errors) -> Option<i64> {
    match v.as_i64() {
        Some(n) => Some(n),
        None => {
            errors.push(path, format!("expected an integer, got {}", describe(v)));
            None
        }
    }
}

/// The items of a list, with their paths.
pub(crate) fn list<'a>(v: &'a Value, path: &str, errors: &mut Errors) -> Option<&'a [Value]> {
    match v {
        Value::Array(items) => Some(items),
        other => {
            errors.push(path, format!("expected a list, got {}", kind(other)));
            None
        }
    }
}

/// A list of strings: the strings with their index (non-strings are reported and skipped).
pub(crate) fn strings<'a>(v: &'a Value, path: &str, errors: &mut Errors) -> Vec<(usize, &'a str)> {
    let Some(items) = list(v, path, errors) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| string(item, &index(path, i), errors).map(|s| (i, s)))
        .collect()
}

/// A short description of a value for error messages: strings are quoted.
fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("string {}", go_quote(s)),
        Value::Number(n) => format!("number {n}"),
        other => kind(other).to_owned(),
    }
}

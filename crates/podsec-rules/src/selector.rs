//! Kubernetes label selectors (`metav1.LabelSelector`), compiled once at load.
//!
//! Semantics are Kubernetes': every `matchLabels` entry and every `matchExpressions`
//! requirement must hold; an empty selector (`{}`) matches everything. Operators:
//! `In` (the key is present with one of the values), `NotIn` (the key is absent, or present
//! with none of the values), `Exists`, `DoesNotExist`. `In` and `NotIn` need at least one
//! value; `Exists` and `DoesNotExist` take none. Keys and values are validated as label keys
//! (`[prefix/]name`) and label values.

use std::collections::BTreeMap;

use podsec_policy::text::go_quote;
use serde_json::Value;

use crate::tree::{self, Errors, field, index, join};

/// A requirement's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// The key is present with one of the values.
    In,
    /// The key is absent, or present with none of the values.
    NotIn,
    /// The key is present (any value).
    Exists,
    /// The key is absent.
    DoesNotExist,
}

/// One `matchExpressions` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The label key.
    pub key: String,
    /// The operator.
    pub operator: Operator,
    /// The values (sorted, deduplicated; empty for `Exists` / `DoesNotExist`).
    pub values: Vec<String>,
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        match self.operator {
            Operator::In => value.is_some_and(|v| self.contains(v)),
            Operator::NotIn => value.is_none_or(|v| !self.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }

    fn contains(&self, value: &str) -> bool {
        self.values
            .binary_search_by(|v| v.as_str().cmp(value))
            .is_ok()
    }
}

/// A compiled label selector; [`LabelSelector::default`] (and `{}`) matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    /// `matchLabels`, as key/value pairs.
    pub match_labels: Vec<(String, String)>,
    /// `matchExpressions`.
    pub match_expressions: Vec<Requirement>,
}

impl LabelSelector {
    /// Whether `labels` satisfy every entry and requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k).is_some_and(|have| have == v))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }

    /// Whether the selector has no entry (it matches everything).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// Reads and validates a selector at `path`.
    pub(crate) fn read(v: &Value, path: &str, errors: &mut Errors) -> Option<LabelSelector> {
        let before = errors.0.len();
        let map = tree::object(v, path, &["matchLabels", "matchExpressions"], errors)?;
        let mut selector = LabelSelector::default();
        if let Some(labels) = field(map, "matchLabels") {
            let labels_path = join(path, "matchLabels");
            if let Some(labels) = labels.as_object() {
                for (key, value) in labels {
                    let entry_path = format!("{labels_path}[{key}]");
                    if let Err(message) = validate_key(key) {
                        errors.push(&entry_path, message);
                    }
                    if let Some(value) = tree::string(value, &entry_path, errors) {
                        if let Err(message) = validate_value(value) {
                            errors.push(&entry_path, message);
                        }
                        selector.match_labels.push((key.clone(), value.to_owned()));
                    }
                }
            } else {
                errors.push(labels_path, "expected a mapping of label keys to values");
            }
        }
        if let Some(expressions) = field(map, "matchExpressions") {
            let list_path = join(path, "matchExpressions");
            for (i, expression) in tree::list(expressions, &list_path, errors)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                if let Some(r) = read_requirement(expression, &index(&list_path, i), errors) {
                    selector.match_expressions.push(r);
                }
            }
        }
        (errors.0.len() == before).then_some(selector)
    }
}

fn read_requirement(v: &Value, path: &str, errors: &mut Errors) -> Option<Requirement> {
    let map = tree::object(v, path, &["key", "operator", "values"], errors)?;
    let key = match field(map, "key") {
        Some(key) => tree::string(key, &join(path, "key"), errors),
        None => {
            errors.push(join(path, "key"), "required");
            None
        }
    };
    if let Some(key) = key
        && let Err(message) = validate_key(key)
    {
        errors.push(join(path, "key"), message);
    }
    let operator_path = join(path, "operator");
    let operator = match field(map, "operator").map(|o| tree::string(o, &operator_path, errors)) {
        None => {
            errors.push(&operator_path, "required");
            None
        }
        Some(None) => None,
        Some(Some(op)) => match op {
            "In" => Some(Operator::In),
            "NotIn" => Some(Operator::NotIn),
            "Exists" => Some(Operator::Exists),
            "DoesNotExist" => Some(Operator::DoesNotExist),
            other => {
                errors.push(
                    &operator_path,
                    format!(
                        "unknown operator {} (operators: In, NotIn, Exists, DoesNotExist)",
                        go_quote(other)
                    ),
                );
                None
            }
        },
    };
    let values_path = join(path, "values");
    let mut values = Vec::new();
    if let Some(list) = field(map, "values") {
        for (i, value) in tree::strings(list, &values_path, errors) {
            if let Err(message) = validate_value(value) {
                errors.push(index(&values_path, i), message);
            }
            values.push(value.to_owned());
        }
    }
    let operator = operator?;
    match operator {
        Operator::In | Operator::NotIn if values.is_empty() => {
            errors.push(&values_path, "must be non-empty for In and NotIn");
        }
        Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
            errors.push(&values_path, "must be empty for Exists and DoesNotExist");
        }
        _ => {}
    }
    values.sort_unstable();
    values.dedup();
    Some(Requirement {
        key: key?.to_owned(),
        operator,
        values,
    })
}

/// A label key: an optional DNS-subdomain prefix (at most 253 characters) and `/`, then a
/// name of at most 63 characters: alphanumerics, `-`, `_`, `.`, starting and ending with an
/// alphanumeric.
pub(crate) fn validate_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        let valid = !prefix.is_empty()
            && prefix.len() <= 253
            && prefix.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !valid {
            return Err(format!(
                "invalid label key {}: the prefix must be a lowercase DNS subdomain",
                go_quote(key)
            ));
        }
    }
    if name.is_empty() || !is_label_name(name) {
        return Err(format!(
            "invalid label key {}: the name must be 1-63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric",
            go_quote(key)
        ));
    }
    Ok(())
}

/// A label value: empty, or a label name.
pub(crate) fn validate_value(value: &str) -> Result<(), String> {
    if value.is_empty() || is_label_name(value) {
        Ok(())
    } else {
        Err(format!(
            "invalid label value {}: at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric",
            go_quote(value)
        ))
    }
}

fn is_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(json: &str) -> Result<LabelSelector, Vec<String>> {
        let v: Value = serde_json::from_str(json).expect("test JSON");
        let mut errors = Errors::default();
        LabelSelector::read(&v, "sel", &mut errors)
            .ok_or_else(|| errors.0.iter().map(ToString::to_string).collect())
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn kubernetes_semantics() {
        type Row<'a> = (&'a str, &'a [(&'a str, &'a str)], bool);
        let rows: &[Row] = &[
            ("{}", &[], true),
            ("{}", &[("a", "b")], true),
            (r#"{"matchLabels":{}}"#, &[("a", "b")], true),
            (
                r#"{"matchLabels":{"team":"shop"}}"#,
                &[("team", "shop")],
                true,
            ),
            (
                r#"{"matchLabels":{"team":"shop"}}"#,
                &[("team", "pay")],
                false,
            ),
            (r#"{"matchLabels":{"team":"shop"}}"#, &[], false),
            (
                r#"{"matchLabels":{"team":"shop","env":"prod"}}"#,
                &[("team", "shop")],
                false,
            ),
            (
                r#"{"matchExpressions":[{"key":"env","operator":"In","values":["prod","staging"]}]}"#,
                &[("env", "staging")],
                true,
            ),
            (
                r#"{"matchExpressions":[{"key":"env","operator":"In","values":["prod"]}]}"#,
                &[],
                false,
            ),
            (
                r#"{"matchExpressions":[{"key":"env","operator":"NotIn","values":["prod"]}]}"#,
                &[],
                true,
            ),
            (
                r#"{"matchExpressions":[{"key":"env","operator":"NotIn","values":["prod"]}]}"#,
                &[("env", "prod")],
                false,
            ),
            (
                r#"{"matchExpressions":[{"key":"env","operator":"Exists"}]}"#,
                &[("env", "")],
                true,
            ),
            (
                r#"{"matchExpressions":[{"key":"env","operator":"DoesNotExist"}]}"#,
                &[("env", "")],
                false,
            ),
            (
                r#"{"matchLabels":{"a":"1"},"matchExpressions":[{"key":"b","operator":"DoesNotExist"}]}"#,
                &[("a", "1")],
                true,
            ),
        ];
        for (json, have, want) in rows {
            let s = selector(json).expect("valid selector");
            assert_eq!(s.matches(&labels(have)), *want, "{json} on {have:?}");
        }
    }

    #[test]
    fn strict_validation() {
        let rows = [
            (
                r#"{"matchExpressions":[{"key":"a","operator":"Equals","values":["x"]}]}"#,
                r#"sel.matchExpressions[0].operator: unknown operator "Equals" (operators: In, NotIn, Exists, DoesNotExist)"#,
            ),
            (
                r#"{"matchExpressions":[{"key":"a","operator":"In"}]}"#,
                "sel.matchExpressions[0].values: must be non-empty for In and NotIn",
            ),
            (
                r#"{"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]}"#,
                "sel.matchExpressions[0].values: must be empty for Exists and DoesNotExist",
            ),
            (
                r#"{"matchExpressions":[{"operator":"Exists"}]}"#,
                "sel.matchExpressions[0].key: required",
            ),
            (
                r#"{"matchLabel":{}}"#,
                "sel.matchLabel: unknown field (known: matchLabels, matchExpressions)",
            ),
            (
                r#"{"matchLabels":{"a":1}}"#,
                "sel.matchLabels[a]: expected a string, got number",
            ),
            (
                r#"{"matchLabels":{"-a":"x"}}"#,
                r#"sel.matchLabels[-a]: invalid label key "-a": the name must be 1-63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#,
            ),
            (
                r#"{"matchLabels":{"Example.com/a":"x"}}"#,
                r#"sel.matchLabels[Example.com/a]: invalid label key "Example.com/a": the prefix must be a lowercase DNS subdomain"#,
            ),
            (
                r#"{"matchLabels":{"a":"x y"}}"#,
                r#"sel.matchLabels[a]: invalid label value "x y": at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#,
            ),
            (r#"[]"#, "sel: expected a mapping, got list"),
        ];
        for (json, want) in rows {
            let errors = selector(json).expect_err(json);
            assert_eq!(errors, vec![want.to_owned()], "{json}");
        }
        assert!(selector(r#"{"matchLabels":{"podsec.dev/secure-defaults":"enabled"}}"#).is_ok());
    }
}

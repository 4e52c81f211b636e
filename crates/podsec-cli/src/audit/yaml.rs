//! A small YAML writer for JSON values: block mappings and sequences, scalars in JSON
//! form (a JSON string is a valid YAML double-quoted scalar), keys quoted only when they
//! need it.

use std::io::{self, Write};

use serde_json::Value;

/// Writes `value` as a YAML document (no `---`).
pub fn write(out: &mut impl Write, value: &Value) -> io::Result<()> {
    match value {
        Value::Object(map) if !map.is_empty() => mapping(out, map, 0, false),
        Value::Array(items) if !items.is_empty() => sequence(out, items, 0),
        scalar => writeln!(out, "{}", inline(scalar)),
    }
}

fn indent(out: &mut impl Write, depth: usize) -> io::Result<()> {
    write!(out, "{:width$}", "", width = depth * 2)
}

fn mapping(
    out: &mut impl Write,
    map: &serde_json::Map<String, Value>,
    depth: usize,
    after_dash: bool,
) -> io::Result<()> {
    for (i, (key, value)) in map.iter().enumerate() {
        // The first key of a sequence item follows its `- `.
        if i > 0 || !after_dash {
            indent(out, depth)?;
        }
        write!(out, "{}:", key_text(key))?;
        entry(out, value, depth)?;
    }
    Ok(())
}

fn sequence(out: &mut impl Write, items: &[Value], depth: usize) -> io::Result<()> {
    for item in items {
        indent(out, depth)?;
        match item {
            Value::Object(map) if !map.is_empty() => {
                write!(out, "- ")?;
                mapping(out, map, depth + 1, true)?;
            }
            Value::Array(inner) if !inner.is_empty() => {
                writeln!(out, "-")?;
                sequence(out, inner, depth + 1)?;
            }
            scalar => writeln!(out, "- {}", inline(scalar))?,
        }
    }
    Ok(())
}

/// The value of a mapping entry, after `key:`.
fn entry(out: &mut impl Write, value: &Value, depth: usize) -> io::Result<()> {
    match value {
        Value::Object(map) if !map.is_empty() => {
            writeln!(out)?;
            mapping(out, map, depth + 1, false)
        }
        Value::Array(items) if !items.is_empty() => {
            writeln!(out)?;
            sequence(out, items, depth + 1)
        }
        scalar => writeln!(out, " {}", inline(scalar)),
    }
}

/// A scalar (or an empty collection) in flow form.
fn inline(value: &Value) -> String {
    match value {
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
        other => other.to_string(),
    }
}

/// A key as is when it is plain and unambiguous, else double-quoted.
fn key_text(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !key.starts_with(['-', '.'])
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "~"
        )
        && key.parse::<f64>().is_err();
    if plain {
        key.to_owned()
    } else {
        Value::String(key.to_owned()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn yaml(value: &Value) -> String {
        let mut out = Vec::new();
        write(&mut out, value).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn block_style_with_json_scalars() {
        // Keys in serde_json's order (sorted).
        let value = json!({
            "kind": "PolicyReport",
            "metadata": {"name": "podsec", "labels": {"app.kubernetes.io/managed-by": "podsec"}},
            "summary": {"fail": 2},
            "results": [
                {"rule": "privileged", "scored": true, "resources": [{"kind": "Pod", "name": "a: b"}],
                 "properties": {}},
                "x",
                [1, 2],
            ],
            "empty": [],
            "yes": null,
        });
        assert_eq!(
            yaml(&value),
            r#"empty: []
kind: "PolicyReport"
metadata:
  labels:
    app.kubernetes.io/managed-by: "podsec"
  name: "podsec"
results:
  - properties: {}
    resources:
      - kind: "Pod"
        name: "a: b"
    rule: "privileged"
    scored: true
  - "x"
  -
    - 1
    - 2
summary:
  fail: 2
"yes": null
"#
        );
    }

    #[test]
    fn the_output_reads_back_as_the_same_value() {
        let value = json!({"a": [{"b": {"c": ["d", {"e": "line\nbreak \"quoted\""}]}}], "10": 1.5});
        let text = yaml(&value);
        let back: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}

//! Writing JSON values as block-style YAML (kustomize patches and their kustomization).

use serde_json::Value as Json;

/// `value` as a YAML document (block style; strings quoted unless plain is unambiguous).
pub fn to_yaml(value: &Json) -> String {
    let mut out = String::new();
    match value {
        Json::Object(map) if !map.is_empty() => mapping(map, 0, &mut out),
        Json::Array(items) if !items.is_empty() => sequence(items, 0, &mut out),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn mapping(map: &serde_json::Map<String, Json>, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for (key, value) in map {
        out.push_str(&format!("{pad}{}:", string(key)));
        match value {
            Json::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                mapping(inner, indent + 2, out);
            }
            Json::Array(items) if !items.is_empty() => {
                out.push('\n');
                sequence(items, indent, out);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

fn sequence(items: &[Json], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            Json::Object(inner) if !inner.is_empty() => {
                // `- key: value`, the other keys below at the item's indentation.
                let mut text = String::new();
                mapping(inner, indent + 2, &mut text);
                out.push_str(&format!("{pad}- {}", &text[indent + 2..]));
            }
            Json::Array(inner) if !inner.is_empty() => {
                out.push_str(&format!("{pad}-\n"));
                sequence(inner, indent + 2, out);
            }
            other => out.push_str(&format!("{pad}- {}\n", scalar(other))),
        }
    }
}

fn scalar(value: &Json) -> String {
    match value {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => string(s),
        Json::Object(_) => "{}".into(),
        Json::Array(_) => "[]".into(),
    }
}

/// A string: plain when YAML reads it back as the same string, else JSON-quoted.
fn string(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '/' || c == '.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_yaml_reads_back_as_the_value() {
        let value = serde_json::json!({
            "apiVersion": "apps/v1",
            "metadata": {"name": "web", "annotations": {"a/b": "runtime/default"}},
            "spec": {"containers": [{"name": "a", "securityContext": {"capabilities": {"drop": ["ALL"]},
                "allowPrivilegeEscalation": false, "seccompProfile": null}, "ports": [{"containerPort": 80, "hostPort": null}]}]},
            "odd": ["yes", "1", "", "a: b"]
        });
        let text = to_yaml(&value);
        let back: Json = serde_saphyr::from_str(&text).expect("reads back");
        assert_eq!(back, value, "{text}");
    }
}

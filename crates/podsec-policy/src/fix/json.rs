//! Plans on JSON values (feature `json`): applying the edits to a pod's or workload's JSON
//! value, and the RFC 6902 JSON patch operations that do the same (what a mutating
//! admission webhook returns). Paths are rooted where the edits are (re-root them with
//! [`FieldPath::rooted`] for a workload's template).

use super::{Edit, FieldPath, Segment, Value};
use serde_json::{Map, Value as Json, json};

/// The JSON form of an edit value.
pub fn to_json(value: &Value) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

/// Applies `edits` to `object`, returning the RFC 6902 operations that do the same (each
/// valid on the object as the previous ones left it: a field under a missing parent is added
/// with its parents).
pub fn apply(object: &mut Json, edits: &[Edit]) -> Result<Vec<Json>, String> {
    let mut ops = Vec::new();
    for edit in edits {
        match edit {
            Edit::Set { path, value } => {
                let (parent, key) = split(path)?;
                let (existing, missing) = deepest(object, &parent)?;
                if missing.is_empty() {
                    let target = get_mut(object, &existing).ok_or("lost the path")?;
                    let map = as_map(target, path)?;
                    let op = if map.contains_key(&key) {
                        "replace"
                    } else {
                        "add"
                    };
                    map.insert(key.clone(), to_json(value));
                    ops.push(
                        json!({"op": op, "path": path.json_pointer(), "value": to_json(value)}),
                    );
                } else {
                    // Build the missing objects around the value.
                    let mut nested = Map::new();
                    nested.insert(key, to_json(value));
                    let mut built = Json::Object(nested);
                    for name in missing[1..].iter().rev() {
                        let mut m = Map::new();
                        m.insert(name.clone(), built);
                        built = Json::Object(m);
                    }
                    let target = get_mut(object, &existing).ok_or("lost the path")?;
                    let map = as_map(target, path)?;
                    let op = if map.contains_key(&missing[0]) {
                        "replace"
                    } else {
                        "add"
                    };
                    map.insert(missing[0].clone(), built.clone());
                    let at = FieldPath(
                        existing
                            .0
                            .iter()
                            .cloned()
                            .chain([Segment::Field(missing[0].clone())])
                            .collect(),
                    );
                    ops.push(json!({"op": op, "path": at.json_pointer(), "value": built}));
                }
            }
            Edit::Remove { path } => {
                let (parent, key) = split(path)?;
                if let Some(Json::Object(map)) = get_mut(object, &parent)
                    && map.remove(&key).is_some()
                {
                    ops.push(json!({"op": "remove", "path": path.json_pointer()}));
                }
            }
            Edit::RemoveItem { path, index } => {
                if let Some(Json::Array(items)) = get_mut(object, path)
                    && *index < items.len()
                {
                    items.remove(*index);
                    let item = path.join(Segment::Index(*index));
                    ops.push(json!({"op": "remove", "path": item.json_pointer()}));
                }
            }
            Edit::AddItem { path, value } => match get_mut(object, path) {
                Some(Json::Array(items)) => {
                    items.push(to_json(value));
                    ops.push(json!({"op": "add", "path": format!("{}/-", path.json_pointer()), "value": to_json(value)}));
                }
                _ => {
                    let list = Value::List(vec![value.clone()]);
                    let set = Edit::Set {
                        path: path.clone(),
                        value: list,
                    };
                    ops.extend(apply(object, std::slice::from_ref(&set))?);
                }
            },
        }
    }
    Ok(ops)
}

fn split(path: &FieldPath) -> Result<(FieldPath, String), String> {
    match path.split_last() {
        Some((parent, Segment::Field(k) | Segment::Key(k))) => Ok((parent, k.clone())),
        _ => Err(format!("`{path}` does not name a field")),
    }
}

fn as_map<'a>(value: &'a mut Json, path: &FieldPath) -> Result<&'a mut Map<String, Json>, String> {
    if value.is_null() {
        *value = Json::Object(Map::new());
    }
    value
        .as_object_mut()
        .ok_or_else(|| format!("`{path}`: its parent is not an object"))
}

/// The deepest existing (non-null) prefix of `path`, and the keys missing below it.
fn deepest(object: &Json, path: &FieldPath) -> Result<(FieldPath, Vec<String>), String> {
    let mut at = object;
    for (i, segment) in path.0.iter().enumerate() {
        let next = match (segment, at) {
            (Segment::Field(k) | Segment::Key(k), Json::Object(map)) => {
                map.get(k).filter(|v| !v.is_null())
            }
            (Segment::Index(i), Json::Array(items)) => items.get(*i),
            _ => None,
        };
        match next {
            Some(next) => at = next,
            None => {
                let missing = path.0[i..]
                    .iter()
                    .map(|s| match s {
                        Segment::Field(k) | Segment::Key(k) => Ok(k.clone()),
                        Segment::Index(_) => Err(format!("`{path}`: a list item is missing")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok((FieldPath(path.0[..i].to_vec()), missing));
            }
        }
    }
    Ok((path.clone(), Vec::new()))
}

/// The value at `path` in `object`, if any.
pub fn get<'a>(object: &'a Json, path: &FieldPath) -> Option<&'a Json> {
    let mut at = object;
    for segment in &path.0 {
        at = match (segment, at) {
            (Segment::Field(k) | Segment::Key(k), Json::Object(map)) => map.get(k)?,
            (Segment::Index(i), Json::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(at)
}

fn get_mut<'a>(object: &'a mut Json, path: &FieldPath) -> Option<&'a mut Json> {
    let mut at = object;
    for segment in &path.0 {
        at = match (segment, at) {
            (Segment::Field(k) | Segment::Key(k), Json::Object(map)) => map.get_mut(k)?,
            (Segment::Index(i), Json::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_apply_in_order_and_build_missing_parents() {
        let mut pod = json!({"spec": {"containers": [{"name": "a", "securityContext": null}]}});
        let edits = [
            Edit::Set {
                path: FieldPath::parse(
                    "spec.containers[0].securityContext.allowPrivilegeEscalation",
                )
                .expect("path"),
                value: Value::Bool(false),
            },
            Edit::Set {
                path: FieldPath::parse("spec.containers[0].securityContext.capabilities.drop")
                    .expect("path"),
                value: Value::List(vec![Value::str("ALL")]),
            },
        ];
        let ops = apply(&mut pod, &edits).expect("applies");
        assert_eq!(
            ops,
            [
                json!({"op": "replace", "path": "/spec/containers/0/securityContext",
                       "value": {"allowPrivilegeEscalation": false}}),
                json!({"op": "add", "path": "/spec/containers/0/securityContext/capabilities",
                       "value": {"drop": ["ALL"]}}),
            ]
        );
        assert_eq!(
            pod["spec"]["containers"][0]["securityContext"],
            json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}})
        );
    }
}

//! Strategic-merge patches of a plan (for kustomize overlays); the RFC 6902 form is the
//! policy library's ([`podsec_policy::fix::json`]).

use podsec_policy::fix::json::get;
use podsec_policy::fix::{Edit, FieldPath, Segment};
use serde_json::{Map, Value as Json, json};

pub use podsec_policy::fix::json::apply;

/// The strategic-merge patch for `edits` on `before` (giving `after`): the object's
/// `apiVersion`, `kind`, `metadata.name` (and `namespace`), and only the changed fields;
/// containers are matched by `name`, ports by `containerPort`; other lists (capabilities,
/// sysctls) are replaced whole (the API declares no merge key for them); a removed field
/// is `null`.
pub fn strategic_merge_patch(before: &Json, after: &Json, edits: &[Edit]) -> Json {
    let mut patch = Map::new();
    for key in ["apiVersion", "kind"] {
        if let Some(v) = before.get(key) {
            patch.insert(key.into(), v.clone());
        }
    }
    let mut meta = Map::new();
    for key in ["name", "namespace"] {
        if let Some(v) = before.get("metadata").and_then(|m| m.get(key)) {
            meta.insert(key.into(), v.clone());
        }
    }
    patch.insert("metadata".into(), Json::Object(meta));
    let mut patch = Json::Object(patch);
    for edit in edits {
        let path = match edit {
            Edit::Set { path, .. }
            | Edit::Remove { path }
            | Edit::RemoveItem { path, .. }
            | Edit::AddItem { path, .. } => path,
        };
        smp_set(&mut patch, before, after, path);
    }
    patch
}

/// Lists merged by a key in a strategic-merge patch, and that key.
fn merge_key(list: &str) -> Option<&'static str> {
    match list {
        "containers" | "initContainers" | "ephemeralContainers" => Some("name"),
        "ports" => Some("containerPort"),
        _ => None,
    }
}

fn smp_set(patch: &mut Json, before: &Json, after: &Json, path: &FieldPath) {
    let mut at = patch;
    let mut i = 0;
    let segments = &path.0;
    while i < segments.len() {
        let (Segment::Field(key) | Segment::Key(key)) = &segments[i] else {
            return;
        };
        let last = i + 1 == segments.len();
        let keyed = merge_key(key);
        match (segments.get(i + 1), keyed) {
            (Some(Segment::Index(index)), Some(mkey)) if !last => {
                let list_path = FieldPath(segments[..=i].to_vec());
                let item = list_path.join(Segment::Index(*index));
                let Some(id) = get(before, &item).and_then(|v| v.get(mkey)).cloned() else {
                    return;
                };
                let Some(map) = at.as_object_mut() else {
                    return;
                };
                let list = map
                    .entry(key.clone())
                    .or_insert_with(|| Json::Array(Vec::new()));
                let Some(items) = list.as_array_mut() else {
                    return;
                };
                let pos = match items.iter().position(|e| e.get(mkey) == Some(&id)) {
                    Some(pos) => pos,
                    None => {
                        items.push(json!({ mkey: id }));
                        items.len() - 1
                    }
                };
                at = &mut items[pos];
                i += 2;
            }
            (Some(Segment::Index(_)), None) | (None, _) => {
                // A whole value: the field's new value, or null when it is gone.
                let upto = FieldPath(segments[..=i].to_vec());
                let value = get(after, &upto).cloned().unwrap_or(Json::Null);
                if let Some(map) = at.as_object_mut() {
                    map.insert(key.clone(), value);
                }
                return;
            }
            _ => {
                let Some(map) = at.as_object_mut() else {
                    return;
                };
                let next = map
                    .entry(key.clone())
                    .or_insert_with(|| Json::Object(Map::new()));
                if !next.is_object() {
                    return;
                }
                at = next;
                i += 1;
            }
        }
    }
}

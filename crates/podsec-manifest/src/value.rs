//! Untyped document values with the Kubernetes decoder's quirks.
//!
//! Both wrappers build a [`serde_json::Value`] (which one a document gets is decided in
//! `decode`: JSON only for a document that is all JSON, YAML for the rest, flow-style
//! documents that start with `{` included):
//! * [`YamlValue`]: a float with an integral value (`80.0`, `1e3`) becomes an integer,
//!   because Kubernetes converts YAML to JSON first and Go writes such floats without a
//!   fraction; a repeated key replaces the earlier value (serde-saphyr is also set to
//!   last-wins).
//! * [`JsonValue`]: a repeated key whose earlier and later values are both objects is
//!   *merged* (recursively, and element-wise for arrays), as Go's `encoding/json` does when
//!   it decodes the second value into the struct already filled by the first; any other
//!   repeated key replaces the earlier value.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A YAML document's value (see the module docs).
#[derive(Debug)]
pub(crate) struct YamlValue(pub Value);

/// A JSON document's value (see the module docs).
#[derive(Debug)]
pub(crate) struct JsonValue(pub Value);

impl<'de> Deserialize<'de> for YamlValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(ValueVisitor { yaml: true })
            .map(YamlValue)
    }
}

impl<'de> Deserialize<'de> for JsonValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(ValueVisitor { yaml: false })
            .map(JsonValue)
    }
}

/// Builds a [`Value`]; `yaml` selects the YAML rules, otherwise the JSON ones.
#[derive(Clone, Copy)]
struct ValueVisitor {
    yaml: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for ValueVisitor {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Value, E> {
        match i64::try_from(v) {
            Ok(v) => Ok(Value::Number(v.into())),
            Err(_) => match u64::try_from(v) {
                Ok(v) => Ok(Value::Number(v.into())),
                Err(_) => Ok(float(v as f64)),
            },
        }
    }

    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Value, E> {
        match u64::try_from(v) {
            Ok(v) => Ok(Value::Number(v.into())),
            Err(_) => Ok(float(v as f64)),
        }
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        if self.yaml {
            Ok(integral_float(v).unwrap_or_else(|| float(v)))
        } else {
            Ok(float(v))
        }
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self)?;
            if self.yaml {
                object.insert(key, value);
            } else {
                match object.entry(key) {
                    serde_json::map::Entry::Vacant(entry) => {
                        entry.insert(value);
                    }
                    serde_json::map::Entry::Occupied(mut entry) => {
                        merge_json(entry.get_mut(), value);
                    }
                }
            }
        }
        Ok(Value::Object(object))
    }
}

/// A float as a JSON number; non-finite values (rejected earlier by both parsers) become
/// `null`.
fn float(v: f64) -> Value {
    Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// The integer Go's YAML-to-JSON conversion would write for an integral float, if any.
fn integral_float(v: f64) -> Option<Value> {
    // Go formats floats below 1e21 in plain decimal notation, which then decodes as an
    // integer when it fits.
    if !v.is_finite() || v.fract() != 0.0 || v.abs() >= 1e21 {
        return None;
    }
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    const TWO_64: f64 = 18_446_744_073_709_551_616.0;
    if (-TWO_63..TWO_63).contains(&v) {
        Some(Value::Number((v as i64).into()))
    } else if (0.0..TWO_64).contains(&v) {
        Some(Value::Number((v as u64).into()))
    } else {
        None
    }
}

/// Decodes `new` "into" `old` as Go's `encoding/json` does for a repeated key: objects are
/// merged key by key, arrays element by element (truncated to the new length), anything
/// else is replaced.
fn merge_json(old: &mut Value, new: Value) {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            for (key, value) in new {
                match old.entry(key) {
                    serde_json::map::Entry::Vacant(entry) => {
                        entry.insert(value);
                    }
                    serde_json::map::Entry::Occupied(mut entry) => {
                        merge_json(entry.get_mut(), value);
                    }
                }
            }
        }
        (Value::Array(old), Value::Array(new)) => {
            old.truncate(new.len());
            let kept = old.len();
            for (i, value) in new.into_iter().enumerate() {
                if i < kept {
                    merge_json(&mut old[i], value);
                } else {
                    old.push(value);
                }
            }
        }
        (old, new) => *old = new,
    }
}

/// The field names `T`'s derived `Deserialize` implementation knows (as written in the
/// input, renames applied), read by asking it to deserialize from a deserializer that only
/// records them.
pub(crate) fn struct_fields<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    /// Records the fields of the struct asked for, and fails.
    struct Fields(Option<&'static [&'static str]>);

    #[derive(Debug)]
    struct Recorded;

    impl fmt::Display for Recorded {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("fields recorded")
        }
    }

    impl std::error::Error for Recorded {}

    impl serde::de::Error for Recorded {
        fn custom<M: fmt::Display>(_: M) -> Self {
            Recorded
        }
    }

    impl<'de> Deserializer<'de> for &mut Fields {
        type Error = Recorded;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Recorded> {
            Err(Recorded)
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Recorded> {
            self.0 = Some(fields);
            Err(Recorded)
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }

    let mut fields = Fields(None);
    let _ = T::deserialize(&mut fields);
    fields.0.unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn json(text: &str) -> Value {
        serde_json::from_str::<JsonValue>(text).unwrap().0
    }

    #[test]
    fn json_repeated_objects_merge() {
        assert_eq!(
            json(r#"{"sc":{"privileged":true},"sc":{"runAsUser":0}}"#),
            json!({"sc": {"privileged": true, "runAsUser": 0}})
        );
        assert_eq!(
            json(r#"{"a":{"b":1},"a":2,"c":[1,2],"c":[3]}"#),
            json!({"a": 2, "c": [3]})
        );
        assert_eq!(
            json(r#"{"c":[{"name":"a","x":1},{"name":"b"}],"c":[{"name":"z"}]}"#),
            json!({"c": [{"name": "z", "x": 1}]})
        );
        assert_eq!(json(r#"{"a":{"b":1},"a":null}"#), json!({"a": null}));
    }

    #[test]
    fn json_floats_stay_floats() {
        assert_eq!(json(r#"{"p":80.0}"#), json!({"p": 80.0}));
    }

    #[test]
    fn integral_floats() {
        assert_eq!(integral_float(80.0), Some(json!(80)));
        assert_eq!(integral_float(-0.0), Some(json!(0)));
        assert_eq!(
            integral_float(1e19),
            Some(json!(10_000_000_000_000_000_000u64))
        );
        assert_eq!(
            integral_float(-1e18),
            Some(json!(-1_000_000_000_000_000_000i64))
        );
        assert_eq!(integral_float(1e20), None);
        assert_eq!(integral_float(80.5), None);
        assert_eq!(integral_float(1e21), None);
        assert_eq!(integral_float(f64::NAN), None);
    }
}

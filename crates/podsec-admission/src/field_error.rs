//! Field errors rendered exactly like Kubernetes apimachinery's `field.Error`, and their
//! aggregation.

use std::fmt;

use podsec_policy::text::go_quote;

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldErrorKind {
    /// `Invalid value: "<v>": <detail>`.
    Invalid,
    /// `Duplicate value: "<v>"`.
    Duplicate,
    /// `Required value` (with `: <detail>` if any).
    Required,
}

impl FieldErrorKind {
    /// The `reason` of a Status cause: `FieldValueInvalid`, ...
    pub const fn cause_reason(self) -> &'static str {
        match self {
            FieldErrorKind::Invalid => "FieldValueInvalid",
            FieldErrorKind::Duplicate => "FieldValueDuplicate",
            FieldErrorKind::Required => "FieldValueRequired",
        }
    }
}

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldError {
    /// Path, e.g. `metadata.labels[pod-security.kubernetes.io/enforce]`.
    pub field: String,
    /// What is wrong.
    pub kind: FieldErrorKind,
    /// The offending value.
    pub bad_value: String,
    /// Explanation (may be empty).
    pub detail: String,
}

impl FieldError {
    /// An invalid value.
    pub fn invalid(
        field: impl Into<String>,
        value: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Invalid,
            bad_value: value.into(),
            detail: detail.into(),
        }
    }

    /// A duplicate value.
    pub fn duplicate(field: impl Into<String>, value: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Duplicate,
            bad_value: value.into(),
            detail: String::new(),
        }
    }

    /// The message without the field: `Invalid value: "x": detail` (a Status cause message).
    pub fn body(&self) -> String {
        let mut out = match self.kind {
            FieldErrorKind::Invalid => format!("Invalid value: {}", go_quote(&self.bad_value)),
            FieldErrorKind::Duplicate => format!("Duplicate value: {}", go_quote(&self.bad_value)),
            FieldErrorKind::Required => "Required value".to_owned(),
        };
        if !self.detail.is_empty() {
            out.push_str(": ");
            out.push_str(&self.detail);
        }
        out
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// apimachinery's aggregate: identical messages de-duplicated (first wins); one message alone,
/// several as `[a, b]`; empty for no errors.
pub fn aggregate<T: fmt::Display>(errors: &[T]) -> String {
    let mut messages: Vec<String> = Vec::with_capacity(errors.len());
    for e in errors {
        let m = e.to_string();
        if !messages.contains(&m) {
            messages.push(m);
        }
    }
    match messages.len() {
        0 => String::new(),
        1 => messages.swap_remove(0),
        _ => format!("[{}]", messages.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_apimachinery() {
        let e = FieldError::invalid(
            "metadata.labels[pod-security.kubernetes.io/enforce]",
            "unknown",
            "must be one of privileged, baseline, restricted",
        );
        assert_eq!(
            e.to_string(),
            r#"metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "unknown": must be one of privileged, baseline, restricted"#
        );
        let quoted = FieldError::invalid("f", "a\"b\\cé\u{7}", "d");
        assert_eq!(quoted.to_string(), r#"f: Invalid value: "a\"b\\cé\a": d"#);
        assert_eq!(
            FieldError::duplicate("exemptions.usernames[2]", "testing").to_string(),
            r#"exemptions.usernames[2]: Duplicate value: "testing""#
        );
    }

    #[test]
    fn aggregates_deduplicated() {
        let a = FieldError::invalid("a", "x", "bad");
        let b = FieldError::invalid("b", "y", "bad");
        assert_eq!(aggregate::<FieldError>(&[]), "");
        assert_eq!(
            aggregate(&[a.clone(), a.clone()]),
            r#"a: Invalid value: "x": bad"#
        );
        assert_eq!(
            aggregate(&[a.clone(), b, a]),
            r#"[a: Invalid value: "x": bad, b: Invalid value: "y": bad]"#
        );
    }
}

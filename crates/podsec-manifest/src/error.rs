//! Decoding errors.

/// A document (or one object of it) that could not be decoded.
///
/// Displayed as `document <doc> (line <line>): <message>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("document {doc} (line {line}): {kind}")]
pub struct DecodeError {
    /// 0-based index of the failed object in its stream (it takes the index the object
    /// would have had).
    pub doc: usize,
    /// 1-based line in the stream: where the syntax error is for YAML and JSON syntax
    /// errors, else where the object's document starts.
    pub line: usize,
    /// What went wrong.
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    /// The message without the document and line, e.g.
    /// `spec.containers[0].securityContext.privileged: invalid type: string "true", expected a boolean`.
    pub fn message(&self) -> String {
        self.kind.to_string()
    }
}

/// What went wrong while decoding a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    /// A line starting with `---` followed by something other than a comment.
    #[error("invalid YAML document separator: {0}")]
    InvalidSeparator(String),
    /// YAML syntax (or YAML limits: nesting depth, alias expansion...).
    #[error("invalid YAML: {message}{}", column_suffix(*.column))]
    Yaml {
        /// The parser's message.
        message: String,
        /// 1-based column of the error, when known.
        column: Option<u64>,
    },
    /// JSON syntax.
    #[error("invalid JSON: {message}{}", column_suffix(*.column))]
    Json {
        /// The parser's message.
        message: String,
        /// 1-based column of the error, when known.
        column: Option<u64>,
    },
    /// A field of the wrong type, e.g. `"privileged": "true"` or a `hostPort` out of range.
    #[error("{path}: {message}")]
    Field {
        /// Path of the field in the object, e.g. `spec.template.spec.hostNetwork`.
        path: String,
        /// What is wrong, e.g. `invalid type: string "true", expected a boolean`.
        message: String,
    },
}

fn column_suffix(column: Option<u64>) -> String {
    column
        .map(|c| format!(" at column {c}"))
        .unwrap_or_default()
}

//! The engine's answer to one request: decision, status, warnings, audit annotations.
//!
//! Every request gets its own, freshly built `Response` (upstream shares some response
//! values between requests and can leak another request's UID under concurrency).

use std::collections::BTreeMap;

use serde::Serialize;

/// Audit annotation keys the engine produces (unprefixed, as the webhook returns them).
pub mod annotation {
    /// `<level>:<version>` of the enforce policy.
    pub const ENFORCE_POLICY: &str = "enforce-policy";
    /// `would violate PodSecurity "<level>:<version>": <detail>`.
    pub const AUDIT_VIOLATIONS: &str = "audit-violations";
    /// `namespace`, `user` or `runtimeClass`.
    pub const EXEMPT: &str = "exempt";
    /// An error that prevented or altered normal evaluation.
    pub const ERROR: &str = "error";
}

/// An admission response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// Whether the request is admitted.
    pub allowed: bool,
    /// Why it is not (set on denials only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Audit annotations (sorted by key).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
    /// Warnings for the user.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// A mutating webhook's change (base64 of an RFC 6902 JSON patch); validation never
    /// sets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    /// `JSONPatch` with [`Response::patch`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<&'static str>,
}

impl Response {
    /// Allowed, nothing else.
    pub fn allow() -> Self {
        Response {
            allowed: true,
            ..Response::default()
        }
    }

    /// Allowed with one audit annotation.
    pub fn allow_with_annotation(key: &str, value: impl Into<String>) -> Self {
        let mut r = Response::allow();
        r.audit_annotations.insert(key.to_owned(), value.into());
        r
    }

    /// Denied with `status`.
    pub fn deny(status: Status) -> Self {
        Response {
            allowed: false,
            status: Some(status),
            ..Response::default()
        }
    }

    /// Denied with `status` and the `error` annotation.
    pub fn deny_with_error(status: Status, error: impl Into<String>) -> Self {
        let mut r = Response::deny(status);
        r.audit_annotations
            .insert(annotation::ERROR.to_owned(), error.into());
        r
    }
}

/// A `metav1.Status` for denials, serialized in upstream's key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// HTTP-like code: 400, 403, 422, 500.
    pub code: u16,
    /// `BadRequest`, `Forbidden`, `Invalid`, `InternalError`.
    pub reason: String,
    /// The message shown to the user.
    pub message: String,
    /// Structured details, if any.
    pub details: Option<StatusDetails>,
}

impl Status {
    /// `400 BadRequest` with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Status {
            code: 400,
            reason: "BadRequest".into(),
            message: message.into(),
            details: None,
        }
    }
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        #[derive(Serialize)]
        struct Empty {}
        let mut s = serializer.serialize_struct("Status", 6)?;
        s.serialize_field("metadata", &Empty {})?;
        s.serialize_field("status", "Failure")?;
        s.serialize_field("message", &self.message)?;
        s.serialize_field("reason", &self.reason)?;
        if let Some(details) = &self.details {
            s.serialize_field("details", details)?;
        }
        s.serialize_field("code", &self.code)?;
        s.end()
    }
}

/// `status.details`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatusDetails {
    /// The object's name (omitted when empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The API group (omitted when empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// The kind or resource.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Per-field causes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<StatusCause>,
}

/// One cause of a failure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatusCause {
    /// e.g. `FieldValueInvalid` (omitted when empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The message.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The field (omitted when empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field: String,
}

//! What an admission request carries (the fields of an `AdmissionRequest` the engine reads).

use std::time::Instant;

use serde_json::value::RawValue;

/// The operation of a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `CREATE`.
    Create,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
    /// `CONNECT`.
    Connect,
    /// Anything else, as sent.
    Other(String),
}

impl Operation {
    /// Parses the wire value (`CREATE`, ...).
    pub fn from_wire(s: &str) -> Self {
        match s {
            "CREATE" => Operation::Create,
            "UPDATE" => Operation::Update,
            "DELETE" => Operation::Delete,
            "CONNECT" => Operation::Connect,
            other => Operation::Other(other.to_owned()),
        }
    }

    /// The lower-cased name, as the `request_operation` metric label.
    pub fn metric_label(&self) -> String {
        match self {
            Operation::Create => "create".into(),
            Operation::Update => "update".into(),
            Operation::Delete => "delete".into(),
            Operation::Connect => "connect".into(),
            Operation::Other(s) => s.to_lowercase(),
        }
    }
}

/// A group, version and resource (`request.resource`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct GroupVersionResource {
    /// API group (`""` for core).
    pub group: String,
    /// Version.
    pub version: String,
    /// Plural resource, e.g. `pods`.
    pub resource: String,
}

/// A group, version and kind (`request.kind`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct GroupVersionKind {
    /// API group (`""` for core).
    pub group: String,
    /// Version.
    pub version: String,
    /// Kind, e.g. `Pod`.
    pub kind: String,
}

/// Which handler a request goes to (and the `resource` metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceClass {
    /// Core `pods`.
    Pod,
    /// Core `namespaces`.
    Namespace,
    /// Anything else: treated as a pod controller.
    Controller,
}

impl ResourceClass {
    /// `pod`, `namespace` or `controller`.
    pub const fn metric_label(self) -> &'static str {
        match self {
            ResourceClass::Pod => "pod",
            ResourceClass::Namespace => "namespace",
            ResourceClass::Controller => "controller",
        }
    }
}

/// One admission request.
#[derive(Debug, Clone)]
pub struct Request {
    /// `request.uid`.
    pub uid: String,
    /// `request.kind`: fills in a missing `apiVersion`/`kind` of the object.
    pub kind: GroupVersionKind,
    /// `request.resource` (not `requestResource`).
    pub resource: GroupVersionResource,
    /// `request.requestSubResource` (upstream reads this one, not `subResource`).
    pub subresource: String,
    /// `request.name`.
    pub name: String,
    /// `request.namespace`.
    pub namespace: String,
    /// `request.operation`.
    pub operation: Operation,
    /// `request.userInfo.username` (`""` when absent).
    pub username: String,
    /// `request.object` as raw JSON (`None` when absent or `null`).
    pub object: Option<Box<RawValue>>,
    /// `request.oldObject` as raw JSON (`None` when absent or `null`).
    pub old_object: Option<Box<RawValue>>,
    /// `request.dryRun`: recorded, never changes a decision.
    pub dry_run: bool,
    /// When the caller stops waiting (the webhook's `?timeout=`).
    pub deadline: Option<Instant>,
}

impl Request {
    /// The handler class, by group and resource only.
    pub fn resource_class(&self) -> ResourceClass {
        match (
            self.resource.group.as_str(),
            self.resource.resource.as_str(),
        ) {
            ("", "pods") => ResourceClass::Pod,
            ("", "namespaces") => ResourceClass::Namespace,
            _ => ResourceClass::Controller,
        }
    }
}

//! Decoded objects: what can be evaluated, and what was skipped.

use std::collections::BTreeMap;
use std::fmt;

use podsec_policy::defaults::SpecOwner;
use podsec_policy::model::{PodMetadata, PodSpec};

/// One object of a manifest stream.
// Objects are the common case: boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A pod or a workload with a pod template: something to evaluate.
    Object(Object),
    /// A `Namespace`: its labels choose the Pod Security policy of its objects.
    Namespace(Namespace),
    /// An object of another kind, or a document that is not a Kubernetes object.
    Skipped(Skipped),
}

impl Entry {
    /// The object's 0-based index in its stream (see the crate docs).
    pub fn doc(&self) -> usize {
        match self {
            Entry::Object(o) => o.doc,
            Entry::Namespace(n) => n.doc,
            Entry::Skipped(s) => s.doc,
        }
    }

    /// 1-based line where the object starts.
    pub fn line(&self) -> usize {
        match self {
            Entry::Object(o) => o.line,
            Entry::Namespace(n) => n.line,
            Entry::Skipped(s) => s.line,
        }
    }

    pub(crate) fn set_doc(&mut self, doc: usize) {
        match self {
            Entry::Object(o) => o.doc = doc,
            Entry::Namespace(n) => n.doc = doc,
            Entry::Skipped(s) => s.doc = doc,
        }
    }
}

/// An object whose pod (template) can be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// `kind`, e.g. `Deployment`.
    pub kind: String,
    /// `apiVersion`, e.g. `apps/v1` (`""` when absent).
    pub api_version: String,
    /// The object's own `metadata.name` (for a workload, the workload's name, not its
    /// template's); `""` when absent.
    pub name: String,
    /// The object's own `metadata.namespace`; `None` when absent, `null` or empty.
    pub namespace: Option<String>,
    /// 1-based line where the object's document (or JSON value) starts.
    pub line: usize,
    /// 0-based index of the object in its stream.
    pub doc: usize,
    /// The pod, or the workload's pod template.
    pub template: PodTemplate,
    /// Where the object stands among workloads: its uid, its controller, its replicas
    /// (what a live object or a cluster snapshot says; usually empty in source manifests).
    pub ownership: Ownership,
}

/// What an object says of its place among workloads, read leniently (a malformed value is
/// ignored: it only groups pods under their controllers, it is never evaluated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ownership {
    /// `metadata.uid`.
    pub uid: Option<String>,
    /// The `metadata.ownerReferences` entry with `controller: true`.
    pub controller: Option<OwnerReference>,
    /// `spec.replicas` (Deployments, ReplicaSets, StatefulSets, ReplicationControllers).
    pub replicas: Option<i64>,
    /// `spec.suspend` (CronJobs, Jobs).
    pub suspended: bool,
}

/// A reference to an object's controller.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct OwnerReference {
    /// `apiVersion`, e.g. `apps/v1`.
    pub api_version: String,
    /// `kind`, e.g. `ReplicaSet`.
    pub kind: String,
    /// `name`.
    pub name: String,
    /// `uid`.
    pub uid: String,
}

impl Object {
    /// Rewrites a path rooted at the pod (as in [`podsec_policy::Finding::path`]) into a
    /// path in this object; see [`TemplateLocation::object_path`].
    pub fn object_path(&self, pod_path: &str) -> String {
        self.template.location.object_path(pod_path)
    }
}

/// A pod's metadata and spec, and where they live in their object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodTemplate {
    /// Where the pod template lives in its object.
    pub location: TemplateLocation,
    /// The pod's (or template's) `metadata`.
    pub metadata: PodMetadata,
    /// The pod's (or template's) `spec`.
    pub spec: PodSpec,
}

impl PodTemplate {
    /// Whether the API server defaults the spec as a pod's or as a template's.
    pub fn owner(&self) -> SpecOwner {
        self.location.owner()
    }
}

/// Where the pod metadata and spec live in an object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TemplateLocation {
    /// A `Pod`: `metadata`, `spec`.
    #[default]
    Pod,
    /// `Deployment`, `ReplicaSet`, `StatefulSet`, `DaemonSet`, `Job`,
    /// `ReplicationController`: `spec.template.metadata`, `spec.template.spec`.
    Template,
    /// `CronJob`: `spec.jobTemplate.spec.template.{metadata,spec}`.
    JobTemplate,
    /// `PodTemplate`: `template.{metadata,spec}`.
    PodTemplate,
}

impl TemplateLocation {
    /// The location for an object kind, or `None` for kinds that hold no pod. Only the kind
    /// is matched, whatever the API group and version.
    pub fn for_kind(kind: &str) -> Option<Self> {
        Some(match kind {
            "Pod" => TemplateLocation::Pod,
            "Deployment"
            | "ReplicaSet"
            | "StatefulSet"
            | "DaemonSet"
            | "Job"
            | "ReplicationController" => TemplateLocation::Template,
            "CronJob" => TemplateLocation::JobTemplate,
            "PodTemplate" => TemplateLocation::PodTemplate,
            _ => return None,
        })
    }

    /// Whether the API server defaults the spec as a pod's or as a template's.
    pub const fn owner(self) -> SpecOwner {
        match self {
            TemplateLocation::Pod => SpecOwner::Pod,
            _ => SpecOwner::Template,
        }
    }

    /// Path of the pod spec in the object, e.g. `spec.template.spec`.
    pub const fn spec_path(self) -> &'static str {
        match self {
            TemplateLocation::Pod => "spec",
            TemplateLocation::Template => "spec.template.spec",
            TemplateLocation::JobTemplate => "spec.jobTemplate.spec.template.spec",
            TemplateLocation::PodTemplate => "template.spec",
        }
    }

    /// Path of the pod metadata in the object, e.g. `spec.template.metadata`.
    pub const fn metadata_path(self) -> &'static str {
        match self {
            TemplateLocation::Pod => "metadata",
            TemplateLocation::Template => "spec.template.metadata",
            TemplateLocation::JobTemplate => "spec.jobTemplate.spec.template.metadata",
            TemplateLocation::PodTemplate => "template.metadata",
        }
    }

    /// Rewrites a path rooted at the pod into a path in the object: a leading `spec`
    /// segment becomes [`spec_path`](Self::spec_path), a leading `metadata` segment
    /// [`metadata_path`](Self::metadata_path); other paths are returned unchanged.
    ///
    /// ```
    /// use podsec_manifest::TemplateLocation;
    ///
    /// let loc = TemplateLocation::Template;
    /// assert_eq!(
    ///     loc.object_path("spec.containers[0].securityContext.privileged"),
    ///     "spec.template.spec.containers[0].securityContext.privileged"
    /// );
    /// assert_eq!(
    ///     loc.object_path(r#"metadata.annotations["a/b"]"#),
    ///     r#"spec.template.metadata.annotations["a/b"]"#
    /// );
    /// ```
    pub fn object_path(self, pod_path: &str) -> String {
        for (root, replacement) in [
            ("spec", self.spec_path()),
            ("metadata", self.metadata_path()),
        ] {
            if let Some(rest) = pod_path.strip_prefix(root)
                && (rest.is_empty() || rest.starts_with(['.', '[']))
            {
                let mut out = String::with_capacity(replacement.len() + rest.len());
                out.push_str(replacement);
                out.push_str(rest);
                return out;
            }
        }
        pod_path.to_owned()
    }
}

/// A `Namespace` object (any `apiVersion`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespace {
    /// `apiVersion` when present, else `""`.
    pub api_version: String,
    /// `metadata.name` (`""` when absent).
    pub name: String,
    /// `metadata.labels`; a `null` value is kept as `""`.
    pub labels: BTreeMap<String, String>,
    /// 1-based line where the object's document (or JSON value) starts.
    pub line: usize,
    /// 0-based index of the object in its stream.
    pub doc: usize,
}

impl Namespace {
    /// The namespace as a skipped object, for callers that do not use namespaces.
    pub fn into_skipped(self) -> Skipped {
        Skipped {
            reason: SkipReason::Kind("Namespace".to_owned()),
            api_version: self.api_version,
            name: self.name,
            line: self.line,
            doc: self.doc,
        }
    }
}

/// An object that is not evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Why it is skipped; carries the kind when there is one.
    pub reason: SkipReason,
    /// `apiVersion` when present and a string, else `""`.
    pub api_version: String,
    /// `metadata.name` when present and a string, else `""`.
    pub name: String,
    /// 1-based line where the object's document (or JSON value) starts.
    pub line: usize,
    /// 0-based index of the object in its stream.
    pub doc: usize,
}

impl Skipped {
    /// The kind, or a note in angle brackets for documents that are not Kubernetes
    /// objects (see [`SkipReason`]).
    pub fn kind(&self) -> &str {
        self.reason.label()
    }
}

/// Why an object is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A Kubernetes object of a kind that holds no pod template (`Service`, `ConfigMap`,
    /// a custom resource, ...).
    Kind(String),
    /// A mapping without a `kind` (or with an empty one): labelled `<no kind>`.
    NoKind,
    /// A document whose value is not a mapping: labelled `<string>`, `<number>`,
    /// `<boolean>` or `<sequence>`.
    NotAnObject(ValueType),
}

impl SkipReason {
    /// The kind, or the note for non-objects.
    pub fn label(&self) -> &str {
        match self {
            SkipReason::Kind(kind) => kind,
            SkipReason::NoKind => "<no kind>",
            SkipReason::NotAnObject(t) => t.label(),
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The type of a top-level value that is not a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// A string scalar.
    String,
    /// A number.
    Number,
    /// A boolean.
    Boolean,
    /// A sequence / array.
    Sequence,
}

impl ValueType {
    /// `<string>`, `<number>`, `<boolean>`, `<sequence>`.
    pub const fn label(self) -> &'static str {
        match self {
            ValueType::String => "<string>",
            ValueType::Number => "<number>",
            ValueType::Boolean => "<boolean>",
            ValueType::Sequence => "<sequence>",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_paths_per_location() {
        let pod = "spec.containers[0].securityContext.privileged";
        let cases = [
            (TemplateLocation::Pod, pod),
            (
                TemplateLocation::Template,
                "spec.template.spec.containers[0].securityContext.privileged",
            ),
            (
                TemplateLocation::JobTemplate,
                "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged",
            ),
            (
                TemplateLocation::PodTemplate,
                "template.spec.containers[0].securityContext.privileged",
            ),
        ];
        for (location, expected) in cases {
            assert_eq!(location.object_path(pod), expected);
        }
        let loc = TemplateLocation::JobTemplate;
        assert_eq!(
            loc.object_path("spec"),
            "spec.jobTemplate.spec.template.spec"
        );
        assert_eq!(
            loc.object_path("spec.hostNetwork"),
            "spec.jobTemplate.spec.template.spec.hostNetwork"
        );
        assert_eq!(
            loc.object_path("metadata.annotations[\"x\"]"),
            "spec.jobTemplate.spec.template.metadata.annotations[\"x\"]"
        );
        // Only whole leading segments are rewritten.
        assert_eq!(loc.object_path("specx.y"), "specx.y");
        assert_eq!(loc.object_path("status.x"), "status.x");
    }

    #[test]
    fn kinds() {
        assert_eq!(
            TemplateLocation::for_kind("Pod"),
            Some(TemplateLocation::Pod)
        );
        assert_eq!(
            TemplateLocation::for_kind("Job"),
            Some(TemplateLocation::Template)
        );
        assert_eq!(
            TemplateLocation::for_kind("CronJob"),
            Some(TemplateLocation::JobTemplate)
        );
        assert_eq!(TemplateLocation::for_kind("pod"), None);
        assert_eq!(TemplateLocation::for_kind("Service"), None);
        assert_eq!(TemplateLocation::Pod.owner(), SpecOwner::Pod);
        assert_eq!(TemplateLocation::PodTemplate.owner(), SpecOwner::Template);
    }
}

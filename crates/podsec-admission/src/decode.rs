//! Decoding request objects: the object's own `apiVersion`/`kind` choose its type
//! (`request.kind` only fills in what is missing), in one pass over the JSON.
//!
//! The types known to the upstream webhook's scheme are core/v1, apps/v1, batch/v1 and
//! admission/v1; any other type is a decode error. Only the fields that admission reads are
//! decoded (non-strict: unknown fields are ignored), so a wrongly typed field that no check
//! reads is accepted where upstream's full Go types would reject it.

use std::collections::BTreeMap;
use std::fmt;

use podsec_policy::model::{PodMetadata, PodSpec};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::request::GroupVersionKind;

/// A pod template (or a pod): the metadata and spec the checks read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PodTemplate {
    /// Template metadata (annotations are read by checks).
    #[serde(default)]
    pub metadata: PodMetadata,
    /// Pod spec.
    #[serde(default)]
    pub spec: PodSpec,
}

/// A decoded namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespace {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
}

/// A decoded request object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    /// A `v1` `Pod`.
    Pod(PodTemplate),
    /// A `v1` `Namespace`.
    Namespace(Namespace),
    /// A pod controller; `template` is `None` only for a ReplicationController without one.
    Workload {
        /// Its kind.
        kind: WorkloadKind,
        /// The pod template.
        template: Option<PodTemplate>,
    },
    /// Another type of the known API groups (no pod template).
    Other(GroupVersionKind),
}

/// The kinds whose pod template admission evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkloadKind {
    /// `v1` `PodTemplate` (`template`).
    PodTemplate,
    /// `v1` `ReplicationController` (`spec.template`, may be absent).
    ReplicationController,
    /// `apps/v1` `ReplicaSet`.
    ReplicaSet,
    /// `apps/v1` `Deployment`.
    Deployment,
    /// `apps/v1` `StatefulSet`.
    StatefulSet,
    /// `apps/v1` `DaemonSet`.
    DaemonSet,
    /// `batch/v1` `Job`.
    Job,
    /// `batch/v1` `CronJob` (`spec.jobTemplate.spec.template`).
    CronJob,
}

/// The object could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

/// Kinds registered for core/v1 in the webhook's scheme (beyond those handled specially).
const CORE_V1_KINDS: &[&str] = &[
    "Binding",
    "ComponentStatus",
    "ComponentStatusList",
    "ConfigMap",
    "ConfigMapList",
    "CreateOptions",
    "DeleteOptions",
    "Endpoints",
    "EndpointsList",
    "EphemeralContainers",
    "Event",
    "EventList",
    "GetOptions",
    "LimitRange",
    "LimitRangeList",
    "List",
    "ListOptions",
    "NamespaceList",
    "Node",
    "NodeList",
    "NodeProxyOptions",
    "PatchOptions",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "PersistentVolumeClaimList",
    "PersistentVolumeList",
    "PodAttachOptions",
    "PodExecOptions",
    "PodList",
    "PodLogOptions",
    "PodPortForwardOptions",
    "PodProxyOptions",
    "PodStatusResult",
    "PodTemplateList",
    "RangeAllocation",
    "ReplicationControllerList",
    "ResourceQuota",
    "ResourceQuotaList",
    "Secret",
    "SecretList",
    "SerializedReference",
    "Service",
    "ServiceAccount",
    "ServiceAccountList",
    "ServiceList",
    "ServiceProxyOptions",
    "Status",
    "UpdateOptions",
    "WatchEvent",
];
const APPS_V1_KINDS: &[&str] = &[
    "ControllerRevision",
    "ControllerRevisionList",
    "CreateOptions",
    "DaemonSetList",
    "DeleteOptions",
    "DeploymentList",
    "GetOptions",
    "ListOptions",
    "PatchOptions",
    "ReplicaSetList",
    "StatefulSetList",
    "UpdateOptions",
    "WatchEvent",
];
const BATCH_V1_KINDS: &[&str] = &[
    "CreateOptions",
    "CronJobList",
    "DeleteOptions",
    "GetOptions",
    "JobList",
    "ListOptions",
    "PatchOptions",
    "UpdateOptions",
    "WatchEvent",
];
const ADMISSION_V1_KINDS: &[&str] = &[
    "AdmissionReview",
    "CreateOptions",
    "DeleteOptions",
    "GetOptions",
    "ListOptions",
    "PatchOptions",
    "UpdateOptions",
    "WatchEvent",
];

/// What a group/version/kind decodes as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Pod,
    Namespace,
    Workload(WorkloadKind),
    Other,
}

fn shape_of(gvk: &GroupVersionKind) -> Result<Shape, DecodeError> {
    use WorkloadKind as W;
    let shape = match (gvk.group.as_str(), gvk.version.as_str(), gvk.kind.as_str()) {
        ("", "v1", "Pod") => Shape::Pod,
        ("", "v1", "Namespace") => Shape::Namespace,
        ("", "v1", "PodTemplate") => Shape::Workload(W::PodTemplate),
        ("", "v1", "ReplicationController") => Shape::Workload(W::ReplicationController),
        ("apps", "v1", "ReplicaSet") => Shape::Workload(W::ReplicaSet),
        ("apps", "v1", "Deployment") => Shape::Workload(W::Deployment),
        ("apps", "v1", "StatefulSet") => Shape::Workload(W::StatefulSet),
        ("apps", "v1", "DaemonSet") => Shape::Workload(W::DaemonSet),
        ("batch", "v1", "Job") => Shape::Workload(W::Job),
        ("batch", "v1", "CronJob") => Shape::Workload(W::CronJob),
        ("", "v1", k) if CORE_V1_KINDS.contains(&k) => Shape::Other,
        ("apps", "v1", k) if APPS_V1_KINDS.contains(&k) => Shape::Other,
        ("batch", "v1", k) if BATCH_V1_KINDS.contains(&k) => Shape::Other,
        ("admission.k8s.io", "v1", k) if ADMISSION_V1_KINDS.contains(&k) => Shape::Other,
        _ => {
            let api_version = if gvk.group.is_empty() {
                gvk.version.clone()
            } else {
                format!("{}/{}", gvk.group, gvk.version)
            };
            return Err(DecodeError(format!(
                "no kind {:?} is registered for version {:?} in scheme \"podsec\"",
                gvk.kind, api_version
            )));
        }
    };
    Ok(shape)
}

/// Splits `group/version` (or `version` for core).
fn split_api_version(api_version: &str) -> (String, String) {
    match api_version.split_once('/') {
        Some((g, v)) => (g.to_owned(), v.to_owned()),
        None => (String::new(), api_version.to_owned()),
    }
}

/// Decodes `raw` as upstream's webhook does; `hint` is `request.kind`.
pub fn decode_object(raw: &RawValue, hint: &GroupVersionKind) -> Result<Object, DecodeError> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let object = ObjectSeed { hint }
        .deserialize(&mut de)
        .map_err(|e| DecodeError(e.to_string()))?;
    de.end().map_err(|e| DecodeError(e.to_string()))?;
    object
}

/// A part of the object seen before its type was known: kept raw, decoded at the end.
enum Part<T> {
    Absent,
    Raw(Box<RawValue>),
    Decoded(T),
}

impl<T> Part<T> {
    fn resolve<F>(self, decode: F) -> Result<Option<T>, DecodeError>
    where
        F: FnOnce(&RawValue) -> Result<T, serde_json::Error>,
    {
        match self {
            Part::Absent => Ok(None),
            Part::Decoded(t) => Ok(Some(t)),
            Part::Raw(raw) => decode(&raw)
                .map(Some)
                .map_err(|e| DecodeError(e.to_string())),
        }
    }
}

#[derive(Deserialize, Default)]
struct NamespaceMeta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
struct WorkloadSpec {
    #[serde(default)]
    template: Option<PodTemplate>,
    #[serde(default, rename = "jobTemplate")]
    job_template: Option<JobTemplate>,
}

#[derive(Deserialize, Default)]
struct JobTemplate {
    #[serde(default)]
    spec: Option<JobSpec>,
}

#[derive(Deserialize, Default)]
struct JobSpec {
    #[serde(default)]
    template: Option<PodTemplate>,
}

/// Metadata of any shape.
enum Meta {
    Pod(PodMetadata),
    Namespace(NamespaceMeta),
}

/// Spec of any shape (a short-lived value, moved once).
#[allow(clippy::large_enum_variant)]
enum Spec {
    Pod(PodSpec),
    Workload(Box<WorkloadSpec>),
}

struct ObjectSeed<'h> {
    hint: &'h GroupVersionKind,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_> {
    type Value = Result<Object, DecodeError>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_> {
    type Value = Result<Object, DecodeError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut api_version: Option<String> = None;
        let mut kind: Option<String> = None;
        let mut metadata: Part<Meta> = Part::Absent;
        let mut spec: Part<Spec> = Part::Absent;
        let mut template: Part<PodTemplate> = Part::Absent;

        // The type, once both apiVersion and kind have been read (the API server sends
        // them first); until then, parts are kept raw.
        let known = |api_version: &Option<String>, kind: &Option<String>| -> Option<Shape> {
            let (Some(av), Some(k)) = (api_version, kind) else {
                return None;
            };
            let (group, version) = split_api_version(av);
            shape_of(&GroupVersionKind {
                group,
                version,
                kind: k.clone(),
            })
            .ok()
        };

        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "apiVersion" => api_version = map.next_value::<Option<String>>()?,
                "kind" => kind = map.next_value::<Option<String>>()?,
                "metadata" => {
                    metadata = match known(&api_version, &kind) {
                        Some(Shape::Pod) => map
                            .next_value::<Option<PodMetadata>>()?
                            .map_or(Part::Absent, |m| Part::Decoded(Meta::Pod(m))),
                        Some(Shape::Namespace) => map
                            .next_value::<Option<NamespaceMeta>>()?
                            .map_or(Part::Absent, |m| Part::Decoded(Meta::Namespace(m))),
                        Some(Shape::Workload(_) | Shape::Other) => {
                            map.next_value::<IgnoredAny>()?;
                            Part::Absent
                        }
                        None => Part::Raw(map.next_value::<Box<RawValue>>()?),
                    }
                }
                "spec" => {
                    spec = match known(&api_version, &kind) {
                        Some(Shape::Pod) => map
                            .next_value::<Option<PodSpec>>()?
                            .map_or(Part::Absent, |s| Part::Decoded(Spec::Pod(s))),
                        Some(Shape::Workload(_)) => map
                            .next_value::<Option<WorkloadSpec>>()?
                            .map_or(Part::Absent, |s| Part::Decoded(Spec::Workload(Box::new(s)))),
                        Some(Shape::Namespace | Shape::Other) => {
                            map.next_value::<IgnoredAny>()?;
                            Part::Absent
                        }
                        None => Part::Raw(map.next_value::<Box<RawValue>>()?),
                    }
                }
                "template" => {
                    template = match known(&api_version, &kind) {
                        Some(Shape::Workload(WorkloadKind::PodTemplate)) => map
                            .next_value::<Option<PodTemplate>>()?
                            .map_or(Part::Absent, Part::Decoded),
                        Some(_) => {
                            map.next_value::<IgnoredAny>()?;
                            Part::Absent
                        }
                        None => Part::Raw(map.next_value::<Box<RawValue>>()?),
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }

        // Fill in what the object does not say from request.kind.
        let (group, version) = match &api_version {
            Some(av) if !av.is_empty() => split_api_version(av),
            _ => (self.hint.group.clone(), self.hint.version.clone()),
        };
        let kind = match kind {
            Some(k) if !k.is_empty() => k,
            _ => self.hint.kind.clone(),
        };
        let gvk = GroupVersionKind {
            group,
            version,
            kind,
        };
        Ok(finish(gvk, metadata, spec, template))
    }
}

fn finish(
    gvk: GroupVersionKind,
    metadata: Part<Meta>,
    spec: Part<Spec>,
    template: Part<PodTemplate>,
) -> Result<Object, DecodeError> {
    let shape = shape_of(&gvk)?;
    match shape {
        Shape::Pod => {
            let metadata =
                match metadata.resolve(|r| serde_json::from_str(r.get()).map(Meta::Pod))? {
                    Some(Meta::Pod(m)) => m,
                    _ => PodMetadata::default(),
                };
            let spec = match spec.resolve(|r| serde_json::from_str(r.get()).map(Spec::Pod))? {
                Some(Spec::Pod(s)) => s,
                _ => PodSpec::default(),
            };
            Ok(Object::Pod(PodTemplate { metadata, spec }))
        }
        Shape::Namespace => {
            let meta =
                match metadata.resolve(|r| serde_json::from_str(r.get()).map(Meta::Namespace))? {
                    Some(Meta::Namespace(m)) => m,
                    _ => NamespaceMeta::default(),
                };
            Ok(Object::Namespace(Namespace {
                name: meta.name.unwrap_or_default(),
                labels: meta.labels.unwrap_or_default(),
            }))
        }
        Shape::Workload(WorkloadKind::PodTemplate) => {
            let template = template.resolve(|r| serde_json::from_str(r.get()))?;
            Ok(Object::Workload {
                kind: WorkloadKind::PodTemplate,
                template: Some(template.unwrap_or_default()),
            })
        }
        Shape::Workload(kind) => {
            let spec = match spec
                .resolve(|r| serde_json::from_str(r.get()).map(|s| Spec::Workload(Box::new(s))))?
            {
                Some(Spec::Workload(s)) => Some(*s),
                _ => None,
            };
            let template = match kind {
                WorkloadKind::CronJob => spec
                    .and_then(|s| s.job_template)
                    .and_then(|j| j.spec)
                    .and_then(|s| s.template),
                _ => spec.and_then(|s| s.template),
            };
            let template = match (kind, template) {
                (WorkloadKind::ReplicationController, None) => None,
                (_, t) => Some(t.unwrap_or_default()),
            };
            Ok(Object::Workload { kind, template })
        }
        Shape::Other => Ok(Object::Other(gvk)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).expect("valid json")
    }

    fn gvk(group: &str, version: &str, kind: &str) -> GroupVersionKind {
        GroupVersionKind {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
        }
    }

    #[test]
    fn pod_in_any_key_order() {
        let hint = gvk("", "v1", "Pod");
        let first = decode_object(
            &raw(r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","annotations":{"a":"b"}},"spec":{"hostPID":true}}"#),
            &hint,
        )
        .expect("decodes");
        let last = decode_object(
            &raw(r#"{"spec":{"hostPID":true},"metadata":{"name":"p","annotations":{"a":"b"}},"kind":"Pod","apiVersion":"v1"}"#),
            &hint,
        )
        .expect("decodes");
        assert_eq!(first, last);
        let Object::Pod(pod) = first else {
            panic!("not a pod")
        };
        assert!(pod.spec.host_pid);
        assert_eq!(pod.metadata.name, "p");
    }

    #[test]
    fn object_type_wins_over_request_kind() {
        let object = decode_object(
            &raw(r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n","labels":{"x":"y"}}}"#),
            &gvk("", "v1", "Pod"),
        )
        .expect("decodes");
        assert!(matches!(object, Object::Namespace(ns) if ns.name == "n" && ns.labels["x"] == "y"));
        // Missing apiVersion/kind come from the request.
        let object = decode_object(&raw(r#"{"spec":{"containers":[]}}"#), &gvk("", "v1", "Pod"))
            .expect("decodes");
        assert!(matches!(object, Object::Pod(_)));
    }

    #[test]
    fn workload_templates() {
        let cron = decode_object(
            &raw(r#"{"apiVersion":"batch/v1","kind":"CronJob","spec":{"jobTemplate":{"spec":{"template":{"metadata":{"annotations":{"k":"v"}},"spec":{"hostIPC":true}}}}}}"#),
            &gvk("batch", "v1", "CronJob"),
        )
        .expect("decodes");
        let Object::Workload {
            kind,
            template: Some(t),
        } = cron
        else {
            panic!("no template")
        };
        assert_eq!(kind, WorkloadKind::CronJob);
        assert!(t.spec.host_ipc);
        assert_eq!(t.metadata.annotations["k"], "v");

        let rc = decode_object(
            &raw(r#"{"apiVersion":"v1","kind":"ReplicationController","spec":{"replicas":1}}"#),
            &gvk("", "v1", "ReplicationController"),
        )
        .expect("decodes");
        assert_eq!(
            rc,
            Object::Workload {
                kind: WorkloadKind::ReplicationController,
                template: None
            }
        );
        let deploy = decode_object(
            &raw(r#"{"apiVersion":"apps/v1","kind":"Deployment"}"#),
            &gvk("apps", "v1", "Deployment"),
        )
        .expect("decodes");
        assert_eq!(
            deploy,
            Object::Workload {
                kind: WorkloadKind::Deployment,
                template: Some(PodTemplate::default())
            }
        );
        let pt = decode_object(
            &raw(r#"{"template":{"spec":{"hostNetwork":true}},"kind":"PodTemplate","apiVersion":"v1"}"#),
            &gvk("", "v1", "PodTemplate"),
        )
        .expect("decodes");
        assert!(matches!(pt, Object::Workload { template: Some(t), .. } if t.spec.host_network));
    }

    #[test]
    fn unknown_types_and_bad_json_are_errors() {
        let err = decode_object(
            &raw(r#"{"apiVersion":"networking.k8s.io/v1","kind":"Ingress"}"#),
            &gvk("networking.k8s.io", "v1", "Ingress"),
        )
        .expect_err("unregistered");
        assert!(err.0.contains("Ingress"), "{err}");
        let err = decode_object(
            &raw(r#"{"apiVersion":"v1","kind":"Pod","spec":{"containers":"x"}}"#),
            &gvk("", "v1", "Pod"),
        )
        .expect_err("ill-typed");
        assert!(!err.0.is_empty());
        let other = decode_object(
            &raw(r#"{"apiVersion":"v1","kind":"Service","spec":{"containers":"x"}}"#),
            &gvk("", "v1", "Service"),
        )
        .expect("registered type");
        assert_eq!(other, Object::Other(gvk("", "v1", "Service")));
    }
}

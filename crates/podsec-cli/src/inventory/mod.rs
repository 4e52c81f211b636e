//! The input layer of the adoption commands (`audit`, `recommend`, `diff`, `whatif`,
//! `plan`, `psp`): the namespaces, pods, workloads and PodSecurityPolicies of manifests, a
//! cluster snapshot or a live cluster, as one [`Inventory`].
//!
//! Pods owned by a controller whose template is in the inventory are grouped under it
//! ([`Inventory::units`]): one answer per controller, as upstream's relabel check counts
//! one pod per controller first.

pub mod args;
pub mod cluster;
mod group;
pub mod manifests;

use std::collections::BTreeMap;
use std::sync::Arc;

use podsec_manifest::{Entry, Ownership, TemplateLocation};
use podsec_policy::defaults::apply_cluster_defaults;
use podsec_policy::model::{PodMetadata, PodSpec};
use podsec_policy::{Evaluation, LevelVersion, Registry, Version};
use serde::Serialize;

pub use args::SourceArgs;
pub use group::Unit;

use crate::namespace_mode::FoundNamespace;

/// Where an object comes from, named as `podsec check` names it: the input's `file` and the
/// object's `doc` index there, or the live cluster (`file` is then `cluster`, and `doc` the
/// object's index in the listing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectRef {
    /// The input's name (`-` for standard input), or `cluster` for a live object.
    pub file: String,
    /// 0-based index of the object in its input, as `podsec check` counts them.
    pub doc: usize,
    /// 1-based line where the object starts (0 for a live object).
    pub line: usize,
    /// `kind`.
    pub kind: String,
    /// `apiVersion`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `metadata.name`.
    pub name: String,
    /// The namespace it lives in (its own, else the default namespace of the run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl ObjectRef {
    /// `Kind namespace/name` (`Kind name` without a namespace).
    pub fn display(&self) -> String {
        let name = if self.name.is_empty() {
            "<unnamed>"
        } else {
            &self.name
        };
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{name}", self.kind),
            None => format!("{} {name}", self.kind),
        }
    }

    /// `file:line` (`cluster` for a live object).
    pub fn position(&self) -> String {
        if self.line == 0 {
            self.file.clone()
        } else {
            format!("{}:{}", self.file, self.line)
        }
    }
}

/// A pod or a workload of the inventory.
#[derive(Debug, Clone)]
pub struct Item {
    /// Which object it is.
    pub at: ObjectRef,
    /// Where its pod template lives.
    pub location: TemplateLocation,
    /// The pod's (or template's) metadata, with the API server's defaulting (unless raw).
    pub metadata: PodMetadata,
    /// The pod's (or template's) spec, with the API server's defaulting (unless raw).
    pub spec: PodSpec,
    /// Its uid, controller and replicas.
    pub ownership: Ownership,
}

impl Item {
    /// Evaluates the pod (template) against `policy`.
    pub fn evaluate(&self, registry: &Registry, policy: LevelVersion) -> Evaluation {
        registry.evaluate(policy.level, policy.version, &self.metadata, &self.spec)
    }

    /// Whether it is a pod (not a workload's template).
    pub fn is_pod(&self) -> bool {
        self.location == TemplateLocation::Pod
    }
}

/// An object of another kind some command reads whole (a `PodSecurityPolicy`).
#[derive(Debug, Clone)]
pub struct RawObject {
    /// Which object it is.
    pub at: ObjectRef,
    /// The object as written.
    pub value: serde_json::Value,
}

/// An input, a document or a listing that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The input's name, or `cluster`.
    pub file: String,
    /// The object's index, when the problem is one object's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<usize>,
    /// The line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// What the inventory was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Manifest files (or a snapshot written by `kubectl get -o yaml`).
    Manifests,
    /// A live cluster, by its kubeconfig context name.
    Cluster {
        /// The context (empty when in-cluster or unnamed).
        context: String,
    },
}

/// Options for reading objects into an inventory.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// The cluster's Kubernetes version (its defaulting).
    pub kube: Version,
    /// Keep objects exactly as written (no defaulting).
    pub raw: bool,
}

/// The namespaces, pods, workloads and policies of the inputs.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// What it was read from.
    pub origin: Origin,
    /// The `Namespace` objects, in input order.
    pub namespaces: Vec<FoundNamespace>,
    /// The pods and workloads, in input order.
    pub items: Vec<Item>,
    /// The `PodSecurityPolicy` objects, in input order.
    pub policies: Vec<RawObject>,
    /// Objects of other kinds, by kind (counted, not kept).
    pub skipped: BTreeMap<String, usize>,
    /// What could not be read.
    pub problems: Vec<Problem>,
    /// The namespace of objects without one.
    pub default_namespace: String,
}

impl Inventory {
    /// An empty inventory.
    pub fn new(origin: Origin, default_namespace: &str) -> Self {
        Inventory {
            origin,
            namespaces: Vec::new(),
            items: Vec::new(),
            policies: Vec::new(),
            skipped: BTreeMap::new(),
            problems: Vec::new(),
            default_namespace: default_namespace.to_owned(),
        }
    }

    /// Adds the decoded objects of one document (or one live object), read from `file`;
    /// `value` is the document's value, read only when it holds a PodSecurityPolicy.
    pub fn add(
        &mut self,
        file: &str,
        results: podsec_manifest::Decoded,
        options: ReadOptions,
        value: impl FnOnce() -> Vec<serde_json::Value>,
    ) {
        let mut wanted_values = Vec::new();
        for result in results {
            match result {
                Ok(Entry::Object(object)) => {
                    let podsec_manifest::Object {
                        kind,
                        api_version,
                        name,
                        namespace,
                        line,
                        doc,
                        template,
                        ownership,
                    } = object;
                    let podsec_manifest::PodTemplate {
                        location,
                        mut metadata,
                        mut spec,
                    } = template;
                    if !options.raw {
                        apply_cluster_defaults(
                            &mut metadata,
                            &mut spec,
                            location.owner(),
                            options.kube,
                        );
                    }
                    let namespace =
                        Some(namespace.unwrap_or_else(|| self.default_namespace.clone()));
                    self.items.push(Item {
                        at: ObjectRef {
                            file: file.to_owned(),
                            doc,
                            line,
                            kind,
                            api_version,
                            name,
                            namespace,
                        },
                        location,
                        metadata,
                        spec,
                        ownership,
                    });
                }
                Ok(Entry::Namespace(namespace)) => self.namespaces.push(FoundNamespace {
                    file: file.to_owned(),
                    namespace,
                }),
                Ok(Entry::Skipped(skipped)) => {
                    if skipped.kind() == "PodSecurityPolicy" {
                        wanted_values.push(skipped);
                    } else if let podsec_manifest::SkipReason::Kind(kind) = &skipped.reason {
                        *self.skipped.entry(kind.clone()).or_default() += 1;
                    }
                }
                Err(err) => self.problems.push(Problem {
                    file: file.to_owned(),
                    doc: Some(err.doc),
                    line: Some(err.line),
                    message: err.message(),
                }),
            }
        }
        if wanted_values.is_empty() {
            return;
        }
        // Policies are rare: the document is read again, whole, for them.
        let mut values: Vec<serde_json::Value> = value()
            .into_iter()
            .flat_map(flatten_list)
            .filter(|v| {
                v.get("kind").and_then(serde_json::Value::as_str) == Some("PodSecurityPolicy")
            })
            .collect();
        values.reverse();
        for skipped in wanted_values {
            let Some(value) = values.pop() else { break };
            self.policies.push(RawObject {
                at: ObjectRef {
                    file: file.to_owned(),
                    doc: skipped.doc,
                    line: skipped.line,
                    kind: "PodSecurityPolicy".to_owned(),
                    api_version: skipped.api_version.clone(),
                    name: skipped.name.clone(),
                    namespace: None,
                },
                value,
            });
        }
    }

    /// Renumbers `doc` of the objects added since `first_*` by `offset` (documents are
    /// decoded one at a time; `doc` counts over the whole input).
    pub(crate) fn shift_docs(&mut self, marks: Marks, offset: usize) {
        for item in &mut self.items[marks.items..] {
            item.at.doc += offset;
        }
        for policy in &mut self.policies[marks.policies..] {
            policy.at.doc += offset;
        }
        for ns in &mut self.namespaces[marks.namespaces..] {
            ns.namespace.doc += offset;
        }
        for problem in &mut self.problems[marks.problems..] {
            if let Some(doc) = &mut problem.doc {
                *doc += offset;
            }
        }
    }

    /// Where each list ends now (for [`Inventory::shift_docs`]).
    pub(crate) fn marks(&self) -> Marks {
        Marks {
            items: self.items.len(),
            policies: self.policies.len(),
            namespaces: self.namespaces.len(),
            problems: self.problems.len(),
        }
    }

    /// Every namespace of the inventory, by name: those with a `Namespace` object, and
    /// those only its objects name.
    pub fn namespace_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .namespaces
            .iter()
            .map(|n| n.namespace.name.clone())
            .chain(self.items.iter().filter_map(|i| i.at.namespace.clone()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The labels of namespace `name` (the last `Namespace` object of that name wins, as
    /// the last `kubectl apply` would); `None` when the inventory has no such object.
    pub fn namespace_labels(&self, name: &str) -> Option<&BTreeMap<String, String>> {
        self.namespaces
            .iter()
            .rev()
            .find(|n| n.namespace.name == name)
            .map(|n| &n.namespace.labels)
    }

    /// The pods and workloads grouped by controller: see [`Unit`].
    pub fn units(&self) -> Vec<Unit> {
        group::units(&self.items)
    }

    /// The judging engine over this inventory's namespaces (labels from its `Namespace`
    /// objects, `fallback` for the others), `config` and `registry`.
    pub fn cluster(
        &self,
        config: podsec_admission::config::AdmissionConfig,
        fallback: BTreeMap<String, String>,
        registry: Arc<Registry>,
        username: &str,
    ) -> crate::namespace_mode::Cluster {
        let namespaces =
            crate::namespace_mode::InputNamespaces::new(self.namespaces.clone(), fallback);
        crate::namespace_mode::Cluster::new(
            config,
            namespaces,
            registry,
            self.default_namespace.clone(),
            username.to_owned(),
            false,
        )
    }
}

/// Lengths of an inventory's lists at a point of reading.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Marks {
    items: usize,
    policies: usize,
    namespaces: usize,
    problems: usize,
}

/// A value, or the items of a `List` (nested lists flattened), as decoding counts objects.
fn flatten_list(value: serde_json::Value) -> Vec<serde_json::Value> {
    let is_list = value
        .get("kind")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|k| k == "List" || (k.ends_with("List") && value.get("items").is_some()));
    if !is_list {
        return vec![value];
    }
    match value {
        serde_json::Value::Object(mut map) => match map.remove("items") {
            Some(serde_json::Value::Array(items)) => {
                items.into_iter().flat_map(flatten_list).collect()
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

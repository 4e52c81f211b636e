//! How the engine reads the cluster: namespace lookup and pod listing, plus in-memory
//! implementations for tests and offline use.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use crate::decode::{Namespace, PodTemplate};

/// A failed lookup or listing; the text is what upstream shows after
/// `failed to lookup namespace "<ns>": ` (e.g. `namespaces "x" not found`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupError(pub String);

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LookupError {}

impl LookupError {
    /// The API server's NotFound text for a namespace.
    pub fn namespace_not_found(name: &str) -> Self {
        LookupError(format!("namespaces \"{name}\" not found"))
    }
}

/// A pod listed during a namespace check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedPod {
    /// `metadata.name`.
    pub name: String,
    /// UID of the first owner reference with `controller: true`, if any.
    pub controller_uid: Option<String>,
    /// The pod's metadata and spec.
    pub pod: PodTemplate,
}

/// Looks up namespaces (the webhook: a watch cache with a live GET fallback).
pub trait NamespaceGetter: Send + Sync {
    /// The namespace called `name`. `deadline` bounds live calls.
    fn get_namespace(
        &self,
        name: &str,
        deadline: Option<Instant>,
    ) -> impl Future<Output = Result<Arc<Namespace>, LookupError>> + Send;
}

/// Lists the pods of a namespace (the webhook: a live LIST bounded by `deadline`).
pub trait PodLister: Send + Sync {
    /// Every pod of `namespace`, in the API server's order (by name).
    fn list_pods(
        &self,
        namespace: &str,
        deadline: Instant,
    ) -> impl Future<Output = Result<Vec<Arc<ListedPod>>, LookupError>> + Send;
}

/// Namespaces held in memory.
#[derive(Debug, Clone, Default)]
pub struct StaticNamespaces {
    namespaces: HashMap<String, Arc<Namespace>>,
}

impl StaticNamespaces {
    /// Adds or replaces a namespace.
    pub fn insert(&mut self, namespace: Namespace) {
        self.namespaces
            .insert(namespace.name.clone(), Arc::new(namespace));
    }
}

impl FromIterator<Namespace> for StaticNamespaces {
    fn from_iter<I: IntoIterator<Item = Namespace>>(iter: I) -> Self {
        let mut out = StaticNamespaces::default();
        for ns in iter {
            out.insert(ns);
        }
        out
    }
}

impl NamespaceGetter for StaticNamespaces {
    fn get_namespace(
        &self,
        name: &str,
        _deadline: Option<Instant>,
    ) -> impl Future<Output = Result<Arc<Namespace>, LookupError>> + Send {
        let found = self
            .namespaces
            .get(name)
            .cloned()
            .ok_or_else(|| LookupError::namespace_not_found(name));
        std::future::ready(found)
    }
}

/// Pods held in memory, per namespace, listed in name order.
#[derive(Debug, Clone, Default)]
pub struct StaticPods {
    pods: HashMap<String, Vec<Arc<ListedPod>>>,
}

impl StaticPods {
    /// Adds a pod to `namespace`.
    pub fn insert(&mut self, namespace: &str, pod: ListedPod) {
        let list = self.pods.entry(namespace.to_owned()).or_default();
        let at = list.partition_point(|p| p.name <= pod.name);
        list.insert(at, Arc::new(pod));
    }
}

impl PodLister for StaticPods {
    fn list_pods(
        &self,
        namespace: &str,
        _deadline: Instant,
    ) -> impl Future<Output = Result<Vec<Arc<ListedPod>>, LookupError>> + Send {
        std::future::ready(Ok(self.pods.get(namespace).cloned().unwrap_or_default()))
    }
}

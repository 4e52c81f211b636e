//! [`Shared`]: one set of lookups shared by every engine built across configuration reloads.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use podsec_admission::decode::Namespace;
use podsec_admission::{ListedPod, LookupError, NamespaceGetter, PodLister};

/// An `Arc` around a [`NamespaceGetter`] or [`PodLister`] that is itself one, so a rebuilt
/// engine reuses the same cache and client.
#[derive(Debug)]
pub struct Shared<T>(pub Arc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T: NamespaceGetter> NamespaceGetter for Shared<T> {
    fn get_namespace(
        &self,
        name: &str,
        deadline: Option<Instant>,
    ) -> impl Future<Output = Result<Arc<Namespace>, LookupError>> + Send {
        self.0.get_namespace(name, deadline)
    }
}

impl<T: PodLister> PodLister for Shared<T> {
    fn list_pods(
        &self,
        namespace: &str,
        deadline: Instant,
    ) -> impl Future<Output = Result<Vec<Arc<ListedPod>>, LookupError>> + Send {
        self.0.list_pods(namespace, deadline)
    }
}

//! Live pod listing for the existing-pods check of namespace relabels.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use kube::Client;
use podsec_admission::decode::PodTemplate;
use podsec_admission::{ListedPod, LookupError, PodLister};
use podsec_policy::model::{PodMetadata, PodSpec, annotations, null_as_default};
use serde::Deserialize;

use crate::errors::bounded;

/// [`PodLister`] with a live `GET /api/v1/namespaces/<ns>/pods` (no selector, no limit),
/// bounded by the deadline, as upstream's webhook does. The response is decoded in one pass
/// straight into [`ListedPod`]s (name, controller UID, the fields the checks read), never into
/// full `Pod` objects. Cheap to clone.
#[derive(Clone)]
pub struct LivePodLister {
    client: Client,
}

impl std::fmt::Debug for LivePodLister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivePodLister").finish_non_exhaustive()
    }
}

impl LivePodLister {
    /// A lister using `client`.
    pub fn new(client: Client) -> Self {
        LivePodLister { client }
    }
}

impl PodLister for LivePodLister {
    fn list_pods(
        &self,
        namespace: &str,
        deadline: Instant,
    ) -> impl Future<Output = Result<Vec<Arc<ListedPod>>, LookupError>> + Send {
        let client = self.client.clone();
        let path = format!("/api/v1/namespaces/{namespace}/pods");
        async move {
            let request = http::Request::get(&path)
                .header(http::header::ACCEPT, "application/json")
                .body(Vec::new())
                .map_err(|err| LookupError(err.to_string()))?;
            let list: PodList = bounded(Some(deadline), &path, client.request(request)).await?;
            Ok(list
                .items
                .into_iter()
                .map(|pod| Arc::new(pod.into_listed()))
                .collect())
        }
    }
}

/// `PodList`, only `items`.
#[derive(Deserialize)]
struct PodList {
    #[serde(default, deserialize_with = "null_as_default")]
    items: Vec<LeanPod>,
}

/// A pod with only what the existing-pods check reads.
#[derive(Deserialize, Default)]
#[serde(default)]
struct LeanPod {
    #[serde(deserialize_with = "null_as_default")]
    metadata: LeanMeta,
    #[serde(deserialize_with = "null_as_default")]
    spec: PodSpec,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct LeanMeta {
    #[serde(deserialize_with = "null_as_default")]
    name: String,
    #[serde(deserialize_with = "null_as_default")]
    namespace: String,
    #[serde(deserialize_with = "annotations")]
    annotations: BTreeMap<String, String>,
    /// Read by podsec's opt-in exemptions only (pod selectors).
    #[serde(deserialize_with = "annotations")]
    labels: BTreeMap<String, String>,
    #[serde(deserialize_with = "null_as_default")]
    owner_references: Vec<OwnerReference>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OwnerReference {
    #[serde(deserialize_with = "null_as_default")]
    uid: String,
    #[serde(deserialize_with = "null_as_default")]
    controller: bool,
}

impl LeanPod {
    fn into_listed(self) -> ListedPod {
        let LeanMeta {
            name,
            namespace,
            annotations,
            labels,
            owner_references,
        } = self.metadata;
        let controller_uid = owner_references
            .into_iter()
            .find(|owner| owner.controller)
            .map(|owner| owner.uid);
        ListedPod {
            name: name.clone(),
            controller_uid,
            pod: PodTemplate {
                metadata: PodMetadata {
                    name,
                    namespace,
                    annotations,
                    labels,
                },
                spec: self.spec,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_fields_admission_reads() {
        let json = br#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[
          {"metadata":{"name":"a","namespace":"ns","annotations":{"x":null},
                       "ownerReferences":[{"uid":"u0","controller":false},{"uid":"u1","controller":true},{"uid":"u2","controller":true}],
                       "managedFields":[{"manager":"kubectl"}]},
           "spec":{"hostPID":true,"containers":[{"name":"c","image":"i"}]},
           "status":{"phase":"Running"}},
          {"metadata":{"name":"b","ownerReferences":null},"spec":null}
        ]}"#;
        let list: PodList = serde_json::from_slice(json).unwrap();
        let pods: Vec<ListedPod> = list.items.into_iter().map(LeanPod::into_listed).collect();
        assert_eq!(pods.len(), 2);
        assert_eq!(pods[0].name, "a");
        assert_eq!(pods[0].controller_uid.as_deref(), Some("u1"));
        assert_eq!(pods[0].pod.metadata.namespace, "ns");
        assert_eq!(pods[0].pod.metadata.annotations["x"], "");
        assert!(pods[0].pod.spec.host_pid);
        assert_eq!(pods[0].pod.spec.containers.len(), 1);
        assert_eq!(pods[1].name, "b");
        assert_eq!(pods[1].controller_uid, None);
        assert_eq!(pods[1].pod.spec, PodSpec::default());
    }

    #[test]
    fn null_items_is_an_empty_list() {
        let list: PodList = serde_json::from_slice(br#"{"items":null}"#).unwrap();
        assert!(list.items.is_empty());
    }
}

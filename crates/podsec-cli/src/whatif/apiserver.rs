//! The bounded part of `podsec whatif`: the API server's own answer to the namespace label
//! change, from the admission engine's namespace-update path, with upstream's limits.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use podsec_admission::config::AdmissionConfig;
use podsec_admission::decode::PodTemplate;
use podsec_admission::{
    Admission, GroupVersionKind, GroupVersionResource, ListedPod, LookupError, NoopRecorder,
    Operation, PodLister, Request, Response, StaticNamespaces,
};
use podsec_policy::Registry;

use crate::inventory::Item;

/// The pods of one namespace, in the API server's order (by name), remembering whether the
/// engine listed them (it does only when the enforce policy gets stricter).
#[derive(Debug, Default)]
struct NamespacePods {
    pods: Vec<Arc<ListedPod>>,
    listed: AtomicBool,
}

/// The engine's pod lister: the namespace's pods, shared with the caller.
#[derive(Debug, Clone)]
struct Lister(Arc<NamespacePods>);

impl PodLister for Lister {
    fn list_pods(
        &self,
        _namespace: &str,
        _deadline: Instant,
    ) -> impl Future<Output = Result<Vec<Arc<ListedPod>>, LookupError>> + Send {
        self.0.listed.store(true, Ordering::Relaxed);
        std::future::ready(Ok(self.0.pods.clone()))
    }
}

/// What the API server answered, and which pods its check looked at.
#[derive(Debug)]
pub struct Answer {
    /// The admission response to the namespace UPDATE.
    pub response: Response,
    /// Whether the engine listed the namespace's pods.
    pub listed: bool,
    /// The pods it could evaluate (runtime-class-exempt pods dropped).
    pub candidates: usize,
    /// Indices (in the inventory's items) of the pods its check evaluated.
    pub checked: Vec<usize>,
}

/// The namespace object the request carries.
pub fn namespace_object(name: &str, labels: &BTreeMap<String, String>) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": labels},
    })
}

/// The `UPDATE` request of namespace `name` from `old` labels to `new` ones.
pub fn update_request(
    name: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Request {
    let raw = |labels| serde_json::value::to_raw_value(&namespace_object(name, labels)).ok();
    Request {
        uid: String::new(),
        kind: GroupVersionKind {
            group: String::new(),
            version: "v1".into(),
            kind: "Namespace".into(),
        },
        resource: GroupVersionResource {
            group: String::new(),
            version: "v1".into(),
            resource: "namespaces".into(),
        },
        subresource: String::new(),
        name: name.to_owned(),
        namespace: name.to_owned(),
        operation: Operation::Update,
        username: String::new(),
        object: raw(new),
        old_object: raw(old),
        dry_run: true,
        deadline: None,
    }
}

/// Runs the label change of namespace `name` through the engine, with the pods `pods`
/// (indices into `items`) as its pod lister lists them.
pub fn answer(
    config: &AdmissionConfig,
    registry: &Arc<Registry>,
    name: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    items: &[Item],
    pods: &[usize],
) -> Answer {
    let mut sorted: Vec<usize> = pods.to_vec();
    sorted.sort_by(|a, b| items[*a].at.name.cmp(&items[*b].at.name));
    let listed: Vec<Arc<ListedPod>> = sorted
        .iter()
        .map(|&i| {
            let item = &items[i];
            Arc::new(ListedPod {
                name: item.at.name.clone(),
                controller_uid: item
                    .ownership
                    .controller
                    .as_ref()
                    .map(|c| c.uid.clone())
                    .filter(|uid| !uid.is_empty()),
                pod: PodTemplate {
                    metadata: item.metadata.clone(),
                    spec: item.spec.clone(),
                },
            })
        })
        .collect();
    let index_of: HashMap<*const ListedPod, usize> = listed
        .iter()
        .zip(&sorted)
        .map(|(pod, &i)| (Arc::as_ptr(pod), i))
        .collect();
    let lister = Arc::new(NamespacePods {
        pods: listed,
        listed: AtomicBool::new(false),
    });
    let engine = Admission::new(
        config.clone(),
        StaticNamespaces::default(),
        Lister(Arc::clone(&lister)),
        NoopRecorder,
    )
    .with_registry(Arc::clone(registry));
    let request = update_request(name, old, new);
    let response = now(engine.validate(&request));
    let was_listed = lister.listed.load(Ordering::Relaxed);
    let order = engine.prioritize(&lister.pods);
    let candidates = order.len();
    let checked_count = if was_listed {
        checked_of(&response).unwrap_or(candidates)
    } else {
        0
    };
    let checked = order
        .iter()
        .take(checked_count)
        .filter_map(|pod| index_of.get(&std::ptr::from_ref(*pod)).copied())
        .collect();
    Answer {
        response,
        listed: was_listed,
        candidates,
        checked,
    }
}

/// The `N` of upstream's `new PodSecurity enforce level only checked against the first N
/// of M existing pods` warning.
fn checked_of(response: &Response) -> Option<usize> {
    const PREFIX: &str = "new PodSecurity enforce level only checked against the first ";
    response.warnings.iter().find_map(|w| {
        w.strip_prefix(PREFIX)?
            .split(' ')
            .next()?
            .parse::<usize>()
            .ok()
    })
}

/// What `kubectl label` prints for the answer: each warning as `Warning: ...`, then the
/// error (`Error from server (<reason>): <message>`) or `namespace/<name> labeled` (`not
/// labeled` when the labels do not change).
pub fn kubectl_text(name: &str, changed: bool, response: &Response) -> String {
    let mut out = String::new();
    for warning in &response.warnings {
        out.push_str("Warning: ");
        out.push_str(warning);
        out.push('\n');
    }
    match response.status.as_ref().filter(|_| !response.allowed) {
        Some(status) => {
            out.push_str(&format!(
                "Error from server ({}): {}\n",
                status.reason, status.message
            ));
        }
        None if changed => out.push_str(&format!("namespace/{name} labeled\n")),
        None => out.push_str(&format!("namespace/{name} not labeled\n")),
    }
    out
}

/// Runs a future that is ready at once: every lookup here is in memory.
fn now<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use podsec_admission::Status;

    #[test]
    fn kubectl_prints_warnings_then_the_outcome() {
        let mut response = Response::allow();
        response.warnings = vec!["a".into(), "b".into()];
        assert_eq!(
            kubectl_text("shop", true, &response),
            "Warning: a\nWarning: b\nnamespace/shop labeled\n"
        );
        assert_eq!(
            kubectl_text("shop", false, &Response::allow()),
            "namespace/shop not labeled\n"
        );
        let mut status = Status::bad_request("no".to_owned());
        status.reason = "Invalid".into();
        assert_eq!(
            kubectl_text("shop", true, &Response::deny(status)),
            "Error from server (Invalid): no\n"
        );
    }

    #[test]
    fn the_budget_warning_gives_the_checked_count() {
        let mut response = Response::allow();
        response.warnings = vec![
            "new PodSecurity enforce level only checked against the first 3000 of 3010 existing pods"
                .into(),
        ];
        assert_eq!(checked_of(&response), Some(3000));
        assert_eq!(checked_of(&Response::allow()), None);
    }
}

//! Pod requests, including subresources such as `ephemeralcontainers`.

use podsec_policy::LevelVersion;
use podsec_policy::model::{Container, PodSpec};
use podsec_policy::text::go_quote;

use super::{Admission, Source, Trace};
use crate::decode::{Object, PodTemplate};
use crate::labels::policy_from_labels;
use crate::lookup::{NamespaceGetter, PodLister};
use crate::metrics::{Decision, Recorder};
use crate::policy::Mode;
use crate::request::{Operation, Request};
use crate::response::{Response, Status, StatusCause, StatusDetails, annotation};

/// Pod subresources that are never evaluated.
pub const IGNORED_SUBRESOURCES: &[&str] = &[
    "exec",
    "attach",
    "binding",
    "eviction",
    "log",
    "portforward",
    "proxy",
    "status",
];

impl<N: NamespaceGetter, P: PodLister, R: Recorder> Admission<N, P, R> {
    pub(super) async fn validate_pod(
        &self,
        request: &Request,
        source: Source<'_>,
        trace: &mut Trace,
    ) -> Response {
        if IGNORED_SUBRESOURCES.contains(&request.subresource.as_str()) {
            return Response::allow();
        }
        if let Some(exempt) = self.exempt_namespace_or_user(request, trace) {
            return self.extend_early(request, source, exempt, true).await;
        }

        let namespace = match self.lookup_namespace(request).await {
            Ok(ns) => ns,
            Err(err) => {
                self.recorder.record_error(true, request);
                return Response::deny_with_error(
                    lookup_failed_status(&request.namespace),
                    format!(
                        "Internal error occurred: failed to lookup namespace {}: {err}",
                        go_quote(&request.namespace)
                    ),
                );
            }
        };
        let (policy, label_errors) = policy_from_labels(&namespace.labels, &self.config.defaults);
        trace.policy = Some(policy);
        if label_errors.is_empty() && policy.fully_privileged() {
            self.recorder.record_evaluation(
                Decision::Allow,
                policy.enforce,
                Mode::Enforce,
                request,
            );
            let allow = Response::allow_with_annotation(
                annotation::ENFORCE_POLICY,
                LevelVersion::PRIVILEGED_LATEST.to_string(),
            );
            return self.extend_early(request, source, allow, true).await;
        }

        let decoded;
        let pod = match source {
            Source::Decoded(Some(pod)) => pod,
            Source::Raw | Source::Decoded(None) => {
                let raw = match source {
                    Source::Raw => request.object.as_deref(),
                    Source::Decoded(_) => None,
                };
                match decode_pod(request, raw, "object", "pod") {
                    Ok(pod) => {
                        decoded = pod;
                        &decoded
                    }
                    Err(response) => {
                        self.recorder.record_error(true, request);
                        return *response;
                    }
                }
            }
        };
        if request.operation == Operation::Update {
            let old = match decode_pod(
                request,
                request.old_object.as_deref(),
                "old object",
                "old pod",
            ) {
                Ok(pod) => pod,
                Err(response) => {
                    self.recorder.record_error(true, request);
                    return *response;
                }
            };
            if !significant_update(&pod.spec, &old.spec) {
                return Response::allow();
            }
        }
        let labels = &namespace.labels;
        self.evaluate_pod(request, &policy, &label_errors, labels, pod, true, trace)
    }

    /// Looks up the request's namespace; an empty name fails like the Kubernetes client.
    pub(super) async fn lookup_namespace(
        &self,
        request: &Request,
    ) -> Result<std::sync::Arc<crate::decode::Namespace>, crate::lookup::LookupError> {
        if request.namespace.is_empty() {
            return Err(crate::lookup::LookupError(
                "resource name may not be empty".into(),
            ));
        }
        self.namespaces
            .get_namespace(&request.namespace, request.deadline)
            .await
    }
}

/// Decodes a pod (`what` is `object` or `old object`, `kind` is `pod` or `old pod`).
fn decode_pod(
    request: &Request,
    raw: Option<&serde_json::value::RawValue>,
    what: &str,
    kind: &str,
) -> Result<PodTemplate, Box<Response>> {
    super::decode_as(request, raw, what, kind, |object| match object {
        Object::Pod(pod) => Some(pod),
        _ => None,
    })
}

/// `500 InternalError` for a failed namespace lookup.
fn lookup_failed_status(namespace: &str) -> Status {
    let cause = format!("failed to lookup namespace {}", go_quote(namespace));
    Status {
        code: 500,
        reason: "InternalError".into(),
        message: format!("Internal error occurred: {cause}"),
        details: Some(StatusDetails {
            causes: vec![StatusCause {
                message: cause,
                ..StatusCause::default()
            }],
            ..StatusDetails::default()
        }),
    }
}

/// `403 Forbidden`: `pods "<name>" is forbidden: violates PodSecurity "<lv>": <detail>`.
pub(super) fn forbidden_status(request: &Request, policy: LevelVersion, detail: &str) -> Status {
    forbidden(
        request,
        &format!(
            "violates PodSecurity {}: {detail}",
            go_quote(&policy.to_string())
        ),
    )
}

/// `403 Forbidden`: `pods "<name>" is forbidden: <why>`.
pub(super) fn forbidden(request: &Request, why: &str) -> Status {
    let resource = &request.resource;
    let qualified = if resource.group.is_empty() {
        resource.resource.clone()
    } else {
        format!("{}.{}", resource.resource, resource.group)
    };
    let subject = if request.name.is_empty() {
        qualified
    } else {
        format!("{qualified} {}", go_quote(&request.name))
    };
    Status {
        code: 403,
        reason: "Forbidden".into(),
        message: format!("{subject} is forbidden: {why}"),
        details: Some(StatusDetails {
            name: request.name.clone(),
            group: resource.group.clone(),
            kind: resource.resource.clone(),
            causes: Vec::new(),
        }),
    }
}

/// Whether an update can change the pod's security: container counts, images by index, or
/// ephemeral containers added or with a changed image.
pub fn significant_update(new: &PodSpec, old: &PodSpec) -> bool {
    let images_differ = |a: &[Container], b: &[Container]| {
        a.len() != b.len() || a.iter().zip(b).any(|(x, y)| x.image != y.image)
    };
    if images_differ(&new.containers, &old.containers)
        || images_differ(&new.init_containers, &old.init_containers)
    {
        return true;
    }
    new.ephemeral_containers.iter().any(|e| {
        // Like upstream's name-keyed map of the old containers, the last one of a name wins.
        old.ephemeral_containers
            .iter()
            .rfind(|o| o.name == e.name)
            .is_none_or(|o| o.image != e.image)
    })
}

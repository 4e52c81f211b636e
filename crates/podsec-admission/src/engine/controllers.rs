//! Workload requests (Deployments, Jobs, ...): warn and audit on the pod template, never deny.

use super::{Admission, Source, Trace};
use crate::decode::{Object, decode_object};
use crate::labels::policy_from_labels;
use crate::lookup::{NamespaceGetter, PodLister};
use crate::metrics::Recorder;
use crate::request::Request;
use crate::response::{Response, annotation};
use podsec_policy::Level;
use podsec_policy::text::go_quote;

impl<N: NamespaceGetter, P: PodLister, R: Recorder> Admission<N, P, R> {
    pub(super) async fn validate_controller(
        &self,
        request: &Request,
        source: Source<'_>,
        trace: &mut Trace,
    ) -> Response {
        if !request.subresource.is_empty() {
            return Response::allow();
        }
        if let Some(exempt) = self.exempt_namespace_or_user(request, trace) {
            return self.extend_early(request, source, exempt, false).await;
        }
        let namespace = match self.lookup_namespace(request).await {
            Ok(ns) => ns,
            Err(err) => {
                self.recorder.record_error(true, request);
                return Response::allow_with_annotation(
                    annotation::ERROR,
                    format!(
                        "failed to lookup namespace {}: {err}",
                        go_quote(&request.namespace)
                    ),
                );
            }
        };
        let (policy, label_errors) = policy_from_labels(&namespace.labels, &self.config.defaults);
        trace.policy = Some(policy);
        if label_errors.is_empty()
            && policy.warn.level == Level::Privileged
            && policy.audit.level == Level::Privileged
        {
            return self
                .extend_early(request, source, Response::allow(), false)
                .await;
        }

        let raw = match source {
            Source::Decoded(Some(template)) => {
                let labels = &namespace.labels;
                return self.evaluate_pod(
                    request,
                    &policy,
                    &label_errors,
                    labels,
                    template,
                    false,
                    trace,
                );
            }
            Source::Decoded(None) => return Response::allow(),
            Source::Raw => request.object.as_deref(),
        };
        // Upstream crashes on a request without an object that gets this far; podsec treats
        // it as a workload without a template.
        let Some(raw) = raw else {
            return Response::allow();
        };
        let template = match decode_object(raw, &request.kind) {
            Ok(Object::Pod(pod)) => pod,
            Ok(Object::Workload {
                template: Some(t), ..
            }) => t,
            Ok(Object::Workload { template: None, .. }) => return Response::allow(),
            Ok(other) => {
                self.recorder.record_error(true, request);
                let gvk = match other {
                    Object::Other(gvk) => gvk,
                    _ => crate::request::GroupVersionKind {
                        group: String::new(),
                        version: "v1".into(),
                        kind: "Namespace".into(),
                    },
                };
                return Response::allow_with_annotation(
                    annotation::ERROR,
                    format!(
                        "failed to extract pod template: unexpected object type: {}/{}, Kind={}",
                        gvk.group, gvk.version, gvk.kind
                    ),
                );
            }
            Err(err) => {
                self.recorder.record_error(true, request);
                return Response::allow_with_annotation(
                    annotation::ERROR,
                    format!("failed to decode object: {err}"),
                );
            }
        };
        let labels = &namespace.labels;
        self.evaluate_pod(
            request,
            &policy,
            &label_errors,
            labels,
            &template,
            false,
            trace,
        )
    }
}

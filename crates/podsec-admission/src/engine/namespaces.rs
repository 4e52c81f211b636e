//! Namespace requests: label validation, the exempt-namespace warning, and the check of
//! existing pods when the enforce policy gets stricter.

use crate::extension::PodContext;
use std::collections::HashMap;
use std::time::Instant;

use podsec_policy::model::PodSpec;
use podsec_policy::text::go_quote;
use podsec_policy::{Level, LevelVersion};

use super::Admission;
use crate::decode::{Namespace, Object};
use crate::field_error::{FieldError, aggregate};
use crate::labels::{level_label, policy_from_labels, version_label};
use crate::lookup::{ListedPod, NamespaceGetter, PodLister};
use crate::metrics::Recorder;
use crate::policy::{Mode, Policy};
use crate::request::{Operation, Request};
use crate::response::{Response, Status, StatusCause, StatusDetails};

/// Warning when the pod listing fails or times out.
pub const LIST_FAILED_WARNING: &str =
    "failed to list pods while checking new PodSecurity enforce level";

impl<N: NamespaceGetter, P: PodLister, R: Recorder> Admission<N, P, R> {
    pub(super) async fn validate_namespace(&self, request: &Request) -> Response {
        if !request.subresource.is_empty() {
            return Response::allow();
        }
        let namespace =
            match decode_namespace(request, request.object.as_deref(), "object", "namespace") {
                Ok(ns) => ns,
                Err(response) => return *response,
            };
        let (new_policy, new_errors) = policy_from_labels(&namespace.labels, &self.config.defaults);
        let exempt = self
            .config
            .exemptions
            .is_exempt_namespace(&request.namespace);

        match request.operation {
            Operation::Create => {
                if !new_errors.is_empty() {
                    return invalid_response(request, &new_errors);
                }
                if exempt {
                    return self.exempt_warning_response(&namespace, &new_policy);
                }
                Response::allow()
            }
            Operation::Update => {
                // Upstream's message has two spaces here.
                let old = match decode_namespace(
                    request,
                    request.old_object.as_deref(),
                    " old object",
                    " old namespace",
                ) {
                    Ok(ns) => ns,
                    Err(response) => return *response,
                };
                let (old_policy, old_errors) =
                    policy_from_labels(&old.labels, &self.config.defaults);
                if !new_errors.is_empty() && (old_errors.is_empty() || new_errors != old_errors) {
                    return invalid_response(request, &new_errors);
                }
                let (new_enforce, old_enforce) = (new_policy.enforce, old_policy.enforce);
                if new_enforce == old_enforce
                    || new_enforce.level == Level::Privileged
                    || (new_enforce.version == old_enforce.version
                        && new_enforce.level <= old_enforce.level)
                {
                    return Response::allow();
                }
                if exempt {
                    return self.exempt_warning_response(&namespace, &new_policy);
                }
                Response {
                    allowed: true,
                    warnings: self
                        .check_existing_pods(request, &namespace, new_enforce)
                        .await,
                    ..Response::default()
                }
            }
            _ => Response::allow(),
        }
    }

    fn exempt_warning_response(&self, namespace: &Namespace, policy: &Policy) -> Response {
        let mut response = Response::allow();
        if let Some(warning) = exempt_warning(&self.config.defaults, namespace, policy) {
            response.warnings.push(warning);
        }
        response
    }

    /// Evaluates the namespace's existing pods against the new enforce policy and returns
    /// upstream's warnings (an extension's exempted checks left out of each pod's).
    async fn check_existing_pods(
        &self,
        request: &Request,
        namespace_object: &Namespace,
        enforce: LevelVersion,
    ) -> Vec<String> {
        let namespace = namespace_object.name.as_str();
        let now = Instant::now();
        let mut budget = self.limits.time_budget;
        if let Some(deadline) = request.deadline {
            budget = budget.min(deadline.saturating_duration_since(now) / 2);
        }
        let deadline = now + budget;
        let Ok(listed) = self.pods.list_pods(namespace, deadline).await else {
            return vec![LIST_FAILED_WARNING.to_owned()];
        };
        let pods = self.prioritize(&listed);
        let total = pods.len();
        let pods = &pods[..total.min(self.limits.max_pods)];
        let mut checked = pods.len();

        // Pods of one controller usually share their spec: evaluate each distinct
        // (annotations, spec) once.
        let mut reasons_by_content: HashMap<
            (&std::collections::BTreeMap<String, String>, &PodSpec),
            Option<usize>,
            foldhash::fast::RandomState,
        > = HashMap::default();
        let mut reasons: Vec<String> = Vec::new();
        // Per reasons string: smallest pod name and count.
        let mut groups: Vec<(&str, usize)> = Vec::new();
        // With an extension, exemptions follow each pod's labels and service account: every
        // pod is evaluated on its own.
        let exempt_of = |pod: &ListedPod| {
            self.extension.as_ref().map(|extension| {
                extension.exempt_checks(&PodContext {
                    request,
                    namespace_labels: &namespace_object.labels,
                    template: &pod.pod,
                })
            })
        };
        for (i, pod) in pods.iter().enumerate() {
            let key = (&pod.pod.metadata.annotations, &pod.pod.spec);
            let exempt = exempt_of(pod);
            let cached = match &exempt {
                None => reasons_by_content.get(&key).copied(),
                Some(_) => None,
            };
            let group = match cached {
                Some(group) => group,
                None => {
                    let result = match &exempt {
                        None => self.evaluate(enforce, &pod.pod),
                        Some(exempt) => {
                            self.evaluate_exempting(enforce, &pod.pod, exempt, &mut Vec::new())
                        }
                    };
                    let group = if result.is_allowed() {
                        None
                    } else {
                        let reason = result.forbidden_reason();
                        Some(match reasons.iter().position(|r| *r == reason) {
                            Some(g) => g,
                            None => {
                                reasons.push(reason);
                                groups.push((pod.name.as_str(), 0));
                                reasons.len() - 1
                            }
                        })
                    };
                    if exempt.is_none() {
                        reasons_by_content.insert(key, group);
                    }
                    group
                }
            };
            if let Some(g) = group {
                let (first, count) = &mut groups[g];
                if pod.name.as_str() < *first {
                    *first = pod.name.as_str();
                }
                *count += 1;
            }
            if Instant::now() >= deadline {
                checked = i + 1;
                break;
            }
        }

        let mut warnings = Vec::new();
        if checked < total {
            warnings.push(format!(
                "new PodSecurity enforce level only checked against the first {checked} of {total} existing pods"
            ));
        }
        if !groups.is_empty() {
            warnings.push(format!(
                "existing pods in namespace {} violate the new PodSecurity enforce level {}",
                go_quote(namespace),
                go_quote(&enforce.to_string())
            ));
            let mut lines: Vec<String> = groups
                .iter()
                .zip(&reasons)
                .map(|((first, count), reason)| match count {
                    1 => format!("{first}: {reason}"),
                    2 => format!("{first} (and 1 other pod): {reason}"),
                    n => format!("{first} (and {} other pods): {reason}", n - 1),
                })
                .collect();
            lines.sort_unstable();
            warnings.extend(lines);
        }
        warnings
    }

    /// The order in which the namespace check evaluates `pods` (as listed): drops
    /// runtime-class-exempt pods, then puts one pod per controller (and every pod without a
    /// controller) before the other replicas, keeping the list order otherwise. The check
    /// stops after [`Limits::max_pods`](super::Limits) of them, or when its time is up.
    pub fn prioritize<'a>(&self, pods: &'a [std::sync::Arc<ListedPod>]) -> Vec<&'a ListedPod> {
        let exemptions = &self.config.exemptions;
        let mut seen_controllers: std::collections::HashSet<&str> =
            std::collections::HashSet::new();
        let mut main = Vec::with_capacity(pods.len());
        let mut replicas = Vec::new();
        for pod in pods {
            let exempt = pod
                .pod
                .spec
                .runtime_class_name
                .as_deref()
                .is_some_and(|c| exemptions.is_exempt_runtime_class(c));
            if exempt {
                continue;
            }
            match pod.controller_uid.as_deref() {
                Some(uid) if !seen_controllers.insert(uid) => replicas.push(pod.as_ref()),
                _ => main.push(pod.as_ref()),
            }
        }
        main.extend(replicas);
        main
    }
}

/// Decodes a namespace (upstream's texts say `object`/`namespace`, and ` old object`/
/// ` old namespace` with two spaces on updates).
fn decode_namespace(
    request: &Request,
    raw: Option<&serde_json::value::RawValue>,
    what: &str,
    kind: &str,
) -> Result<Namespace, Box<Response>> {
    super::decode_as(request, raw, what, kind, |object| match object {
        Object::Namespace(ns) => Some(ns),
        _ => None,
    })
}

/// `422 Invalid`: `<Kind> "<name>" is invalid: <errors>`.
fn invalid_response(request: &Request, errors: &[FieldError]) -> Response {
    let kind = &request.kind;
    let qualified = if kind.group.is_empty() {
        kind.kind.clone()
    } else {
        format!("{}.{}", kind.kind, kind.group)
    };
    Response::deny(Status {
        code: 422,
        reason: "Invalid".into(),
        message: format!(
            "{qualified} {} is invalid: {}",
            go_quote(&request.name),
            aggregate(errors)
        ),
        details: Some(StatusDetails {
            name: request.name.clone(),
            group: kind.group.clone(),
            kind: kind.kind.clone(),
            causes: errors
                .iter()
                .map(|e| StatusCause {
                    reason: e.kind.cause_reason().into(),
                    message: e.body(),
                    field: e.field.clone(),
                })
                .collect(),
        }),
    })
}

/// `namespace "<name>" is exempt from Pod Security, and the policy (<items>) will be ignored`,
/// listing the non-privileged modes that have a label; `None` when the policy is fully
/// privileged or equivalent to the defaults.
pub fn exempt_warning(defaults: &Policy, namespace: &Namespace, policy: &Policy) -> Option<String> {
    if policy.fully_privileged() || policy.equivalent(defaults) {
        return None;
    }
    let items: Vec<String> = Mode::ALL
        .iter()
        .filter(|m| {
            policy.get(**m).level != Level::Privileged
                && (namespace.labels.contains_key(level_label(**m))
                    || namespace.labels.contains_key(version_label(**m)))
        })
        .map(|m| format!("{}={}", m.as_str(), policy.get(*m)))
        .collect();
    Some(format!(
        "namespace {} is exempt from Pod Security, and the policy ({}) will be ignored",
        go_quote(&namespace.name),
        items.join(", ")
    ))
}

//! The admission engine: dispatch and the pieces shared by the pod, controller and
//! namespace handlers.

mod controllers;
mod namespaces;
mod pods;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use podsec_policy::{CheckId, Evaluation, LevelVersion, Registry};

use crate::config::AdmissionConfig;
use crate::decode::{Object, PodTemplate, decode_object};
use crate::extension::{self, Extension, Finding, PodContext};
use crate::field_error::{FieldError, aggregate};
use crate::lookup::{NamespaceGetter, PodLister};
use crate::metrics::{Decision, Recorder};
use crate::policy::{Mode, Policy};
use crate::request::{Request, ResourceClass};
use crate::response::{Response, annotation};

/// Bounds of the existing-pods check on namespace label changes (upstream: 3,000 pods, 1 s,
/// and never more than half of the request's remaining deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// At most this many pods are evaluated.
    pub max_pods: usize,
    /// Time budget for listing and evaluating them.
    pub time_budget: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pods: 3000,
            time_budget: Duration::from_secs(1),
        }
    }
}

impl Limits {
    /// No pod cap and an hour of budget: for offline callers that want every pod checked.
    pub const UNLIMITED: Limits = Limits {
        max_pods: usize::MAX,
        time_budget: Duration::from_secs(3600),
    };
}

/// The engine. Cheap to share behind an `Arc`; every request gets its own [`Response`].
#[derive(Debug)]
pub struct Admission<N, P, R> {
    config: Arc<AdmissionConfig>,
    registry: Arc<Registry>,
    namespaces: N,
    pods: P,
    recorder: R,
    limits: Limits,
    /// Opt-in rules beyond Pod Security (none: upstream's answers exactly).
    extension: Option<Arc<dyn Extension>>,
}

impl<N, P, R> Admission<N, P, R>
where
    N: NamespaceGetter,
    P: PodLister,
    R: Recorder,
{
    /// An engine with the built-in checks and upstream's limits.
    pub fn new(config: AdmissionConfig, namespaces: N, pods: P, recorder: R) -> Self {
        let registry = Registry::new(podsec_policy::checks::ALL)
            .expect("the built-in checks are validated by their unit tests");
        Admission {
            config: Arc::new(config),
            registry: Arc::new(registry),
            namespaces,
            pods,
            recorder,
            limits: Limits::default(),
            extension: None,
        }
    }

    /// Consults `extension` on every pod and workload request (see [`crate::extension`]);
    /// `None` answers exactly as upstream.
    pub fn with_extension(mut self, extension: Option<Arc<dyn Extension>>) -> Self {
        self.extension = extension;
        self
    }

    /// The extension in force, if any.
    pub fn extension(&self) -> Option<&Arc<dyn Extension>> {
        self.extension.as_ref()
    }

    /// Replaces the limits of the existing-pods check.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Evaluates with `registry` (e.g. one built with an emulation version).
    pub fn with_registry(mut self, registry: Arc<Registry>) -> Self {
        self.registry = registry;
        self
    }

    /// The configuration in force.
    pub fn config(&self) -> &AdmissionConfig {
        &self.config
    }

    /// The namespace lookup.
    pub fn namespaces(&self) -> &N {
        &self.namespaces
    }

    /// The metrics recorder.
    pub fn recorder(&self) -> &R {
        &self.recorder
    }

    /// Answers one request of a *mutating* webhook with secure defaults
    /// ([`crate::mutate`]): `defaults` chooses them from the labels of the request's
    /// namespace (`None`: the namespace does not opt in). Always allowed; a namespace that
    /// cannot be read gets no patch.
    pub async fn mutate(
        &self,
        request: &Request,
        defaults: impl Fn(&BTreeMap<String, String>) -> Option<crate::mutate::SecureDefaults>,
    ) -> Response {
        if request.resource_class() != ResourceClass::Pod {
            return Response::allow();
        }
        let Ok(namespace) = self.lookup_namespace(request).await else {
            return Response::allow();
        };
        match defaults(&namespace.labels) {
            Some(defaults) => crate::mutate::secure_defaults(&self.registry, request, &defaults),
            None => Response::allow(),
        }
    }

    /// Answers one request.
    pub async fn validate(&self, request: &Request) -> Response {
        match request.resource_class() {
            ResourceClass::Namespace => self.validate_namespace(request).await,
            ResourceClass::Pod => {
                self.validate_pod(request, Source::Raw, &mut Trace::default())
                    .await
            }
            ResourceClass::Controller => {
                self.validate_controller(request, Source::Raw, &mut Trace::default())
                    .await
            }
        }
    }

    /// Answers a pod or workload request whose object the caller has already decoded (the
    /// offline checker reads manifests, not JSON requests): `template` is the pod, or the
    /// workload's pod template (`None`: a pod without an object, or a workload without a
    /// template); `request.object` is not read. Everything else is [`Admission::validate`]'s
    /// path, step for step (an `UPDATE`'s old pod still comes from `request.old_object`).
    /// Namespace requests are answered from `request.object` as usual.
    pub async fn validate_decoded(
        &self,
        request: &Request,
        template: Option<&PodTemplate>,
    ) -> Response {
        self.validate_traced(request, template, &mut Trace::default())
            .await
    }

    /// [`Admission::validate_decoded`], also handing back what the engine found on the way
    /// (the namespace's policy, the exemption, every evaluation), so that a caller that
    /// reports the evaluations does not evaluate anything twice. The response is exactly
    /// [`Admission::validate_decoded`]'s.
    pub async fn validate_traced(
        &self,
        request: &Request,
        template: Option<&PodTemplate>,
        trace: &mut Trace,
    ) -> Response {
        match request.resource_class() {
            ResourceClass::Namespace => self.validate_namespace(request).await,
            ResourceClass::Pod => {
                self.validate_pod(request, Source::Decoded(template), trace)
                    .await
            }
            ResourceClass::Controller => {
                self.validate_controller(request, Source::Decoded(template), trace)
                    .await
            }
        }
    }

    /// The namespace and user exemptions of pod and controller requests (in upstream's
    /// order), recorded as exemptions.
    fn exempt_namespace_or_user(&self, request: &Request, trace: &mut Trace) -> Option<Response> {
        let by = self
            .config
            .exemptions
            .exemption(&request.namespace, &request.username, None)?;
        trace.exempt = true;
        self.recorder.record_exemption(request);
        Some(Response::allow_with_annotation(annotation::EXEMPT, by))
    }

    fn evaluate(&self, policy: LevelVersion, pod: &PodTemplate) -> Evaluation {
        self.registry
            .evaluate(policy.level, policy.version, &pod.metadata, &pod.spec)
    }

    /// [`Self::evaluate`] without the `exempt` checks; the violations left out are added to
    /// `exempted` (once each).
    fn evaluate_exempting(
        &self,
        policy: LevelVersion,
        pod: &PodTemplate,
        exempt: &[(CheckId, String)],
        exempted: &mut Vec<(CheckId, String)>,
    ) -> Evaluation {
        let mut evaluation = self.evaluate(policy, pod);
        if !exempt.is_empty() {
            evaluation.violations.retain(|violation| {
                let Some(by) = exempt.iter().find(|(id, _)| *id == violation.check) else {
                    return true;
                };
                if !exempted.iter().any(|(id, _)| *id == by.0) {
                    exempted.push(by.clone());
                }
                false
            });
        }
        evaluation
    }

    /// Upstream's `EvaluatePod`: runtime-class exemption, label-error annotation, then
    /// enforce (pods only), audit and warn, each level:version evaluated at most once; then
    /// the extension's findings, if there is one.
    #[allow(clippy::too_many_arguments)]
    fn evaluate_pod(
        &self,
        request: &Request,
        policy: &Policy,
        label_errors: &[FieldError],
        labels: &BTreeMap<String, String>,
        pod: &PodTemplate,
        enforce: bool,
        trace: &mut Trace,
    ) -> Response {
        let context = PodContext {
            request,
            namespace_labels: labels,
            template: pod,
        };
        let response =
            self.evaluate_pod_security(request, policy, label_errors, &context, enforce, trace);
        self.finish(&context, response, enforce)
    }

    fn evaluate_pod_security(
        &self,
        request: &Request,
        policy: &Policy,
        label_errors: &[FieldError],
        context: &PodContext<'_>,
        enforce: bool,
        trace: &mut Trace,
    ) -> Response {
        let pod = context.template;
        let exemptions = &self.config.exemptions;
        if let Some(class) = pod.spec.runtime_class_name.as_deref()
            && exemptions.is_exempt_runtime_class(class)
        {
            trace.exempt = true;
            self.recorder.record_exemption(request);
            return Response::allow_with_annotation(annotation::EXEMPT, "runtimeClass");
        }
        let exempt = match &self.extension {
            Some(extension) => extension.exempt_checks(context),
            None => Vec::new(),
        };
        let mut exempted = Vec::new();

        let mut response = Response::allow();
        if !label_errors.is_empty() {
            response.audit_annotations.insert(
                annotation::ERROR.into(),
                format!("Failed to parse policy: {}", aggregate(label_errors)),
            );
            self.recorder.record_error(false, request);
        }

        let cache = &mut trace.evaluations;
        if !enforce && trace.evaluate_enforce {
            // Not part of the answer: evaluated first so that audit and warn reuse it.
            cached(cache, policy.enforce, || {
                self.evaluate_exempting(policy.enforce, pod, &exempt, &mut exempted)
            });
        }
        if enforce {
            response.audit_annotations.insert(
                annotation::ENFORCE_POLICY.into(),
                policy.enforce.to_string(),
            );
            let result = self.evaluate_exempting(policy.enforce, pod, &exempt, &mut exempted);
            if result.is_allowed() {
                self.recorder.record_evaluation(
                    Decision::Allow,
                    policy.enforce,
                    Mode::Enforce,
                    request,
                );
            } else {
                response.allowed = false;
                response.status = Some(pods::forbidden_status(
                    request,
                    policy.enforce,
                    &result.forbidden_detail(),
                ));
                self.recorder.record_evaluation(
                    Decision::Deny,
                    policy.enforce,
                    Mode::Enforce,
                    request,
                );
            }
            cache.push((policy.enforce, result));
        }

        let audit = cached(cache, policy.audit, || {
            self.evaluate_exempting(policy.audit, pod, &exempt, &mut exempted)
        });
        // Audit and warn often share a policy: their message is then built once.
        let mut audit_message = None;
        if !audit.is_allowed() {
            let message = would_violate(policy.audit, audit);
            if policy.warn == policy.audit {
                audit_message = Some(message.clone());
            }
            response
                .audit_annotations
                .insert(annotation::AUDIT_VIOLATIONS.into(), message);
            self.recorder
                .record_evaluation(Decision::Deny, policy.audit, Mode::Audit, request);
        }

        if response.allowed {
            let warn = cached(cache, policy.warn, || {
                self.evaluate_exempting(policy.warn, pod, &exempt, &mut exempted)
            });
            if !warn.is_allowed() {
                let message = audit_message.unwrap_or_else(|| would_violate(policy.warn, warn));
                response.warnings.push(message);
                self.recorder
                    .record_evaluation(Decision::Deny, policy.warn, Mode::Warn, request);
            }
        }
        if !exempted.is_empty() {
            let list: Vec<String> = exempted
                .iter()
                .map(|(check, by)| {
                    format!(
                        "{} (exemption {})",
                        check.as_str(),
                        podsec_policy::text::go_quote(by)
                    )
                })
                .collect();
            response
                .audit_annotations
                .insert(extension::EXEMPTED.into(), list.join(", "));
        }
        response
    }

    /// Adds the extension's findings to `response` (see [`crate::extension`]).
    fn finish(&self, context: &PodContext<'_>, mut response: Response, enforce: bool) -> Response {
        let Some(extension) = &self.extension else {
            return response;
        };
        let findings = extension.findings(context);
        if findings.is_empty() {
            return response;
        }
        // Per policy, in the order of their first finding.
        let mut policies: Vec<&'static str> = Vec::new();
        for finding in &findings {
            if !policies.contains(&finding.policy) {
                policies.push(finding.policy);
            }
        }
        for policy in policies {
            let of = |mode: Mode| -> Vec<&Finding> {
                findings
                    .iter()
                    .filter(|f| f.policy == policy && f.mode == mode)
                    .collect()
            };
            let (denying, warning, auditing) = (of(Mode::Enforce), of(Mode::Warn), of(Mode::Audit));
            if !denying.is_empty() {
                if enforce {
                    if response.allowed {
                        response.allowed = false;
                        response.status = Some(pods::forbidden(
                            context.request,
                            &extension::message("violates", &denying),
                        ));
                    }
                } else {
                    response
                        .warnings
                        .push(extension::message("would violate", &denying));
                }
            }
            if !warning.is_empty() && response.allowed {
                response
                    .warnings
                    .push(extension::message("would violate", &warning));
            }
            if let Some(first) = auditing.first() {
                response.audit_annotations.insert(
                    first.annotation.into(),
                    extension::message("would violate", &auditing),
                );
            }
        }
        response
    }

    /// An answer given before the pod was evaluated (an exempt request, a privileged
    /// namespace), with the extension's findings, which apply regardless. Without an
    /// extension it is `response` itself; so it is when the pod or its namespace cannot be
    /// read here (the answer stays upstream's).
    async fn extend_early(
        &self,
        request: &Request,
        source: Source<'_>,
        response: Response,
        enforce: bool,
    ) -> Response {
        if self.extension.is_none() {
            return response;
        }
        let Ok(namespace) = self.lookup_namespace(request).await else {
            return response;
        };
        let decoded;
        let template = match source {
            Source::Decoded(Some(template)) => template,
            Source::Decoded(None) => return response,
            Source::Raw => {
                let Some(raw) = request.object.as_deref() else {
                    return response;
                };
                match decode_object(raw, &request.kind) {
                    Ok(Object::Pod(pod)) => decoded = pod,
                    Ok(Object::Workload {
                        template: Some(template),
                        ..
                    }) => decoded = template,
                    _ => return response,
                }
                &decoded
            }
        };
        if enforce && request.operation == crate::request::Operation::Update {
            let old = request
                .old_object
                .as_deref()
                .and_then(|raw| decode_object(raw, &request.kind).ok());
            if let Some(Object::Pod(old)) = old
                && !pods::significant_update(&template.spec, &old.spec)
            {
                return response;
            }
        }
        let context = PodContext {
            request,
            namespace_labels: &namespace.labels,
            template,
        };
        self.finish(&context, response, enforce)
    }
}

/// What the engine found while answering a pod or workload request
/// ([`Admission::validate_traced`]).
#[derive(Debug, Default)]
pub struct Trace {
    /// Set by the caller: also evaluate a workload's enforce policy (the API server does
    /// not, as it never denies a workload), when the request reaches evaluation.
    pub evaluate_enforce: bool,
    /// The namespace's policy, when the request got as far as reading its labels.
    pub policy: Option<Policy>,
    /// Whether the request was exempt (namespace, user or runtime class).
    pub exempt: bool,
    /// Every level and version evaluated, each once, in the order evaluated.
    pub evaluations: Vec<(LevelVersion, Evaluation)>,
}

impl Trace {
    /// Takes the evaluation of `policy` out of the trace, if the engine made it.
    pub fn take(&mut self, policy: LevelVersion) -> Option<Evaluation> {
        let index = self.evaluations.iter().position(|(lv, _)| *lv == policy)?;
        Some(self.evaluations.swap_remove(index).1)
    }
}

/// Where a pod or workload request's object comes from.
#[derive(Debug, Clone, Copy)]
enum Source<'a> {
    /// `request.object`, raw JSON (the webhook).
    Raw,
    /// Decoded by the caller ([`Admission::validate_decoded`]).
    Decoded(Option<&'a PodTemplate>),
}

/// Decodes a request object and picks the expected type, or builds upstream's
/// `400 BadRequest`: `failed to decode <what>` (with the decoder error in the `error`
/// annotation) when it does not decode, `failed to decode <kind>` when it is absent or of
/// another type.
fn decode_as<T>(
    request: &Request,
    raw: Option<&serde_json::value::RawValue>,
    what: &str,
    kind: &str,
    pick: impl FnOnce(crate::decode::Object) -> Option<T>,
) -> Result<T, Box<Response>> {
    let wrong_type = || {
        let message = format!("failed to decode {kind}");
        Box::new(Response::deny_with_error(
            crate::response::Status::bad_request(message.clone()),
            message,
        ))
    };
    let raw = raw.ok_or_else(wrong_type)?;
    match crate::decode::decode_object(raw, &request.kind) {
        Ok(object) => pick(object).ok_or_else(wrong_type),
        Err(err) => {
            let message = format!("failed to decode {what}");
            Err(Box::new(Response::deny_with_error(
                crate::response::Status::bad_request(message.clone()),
                format!("{message}: {err}"),
            )))
        }
    }
}

/// The cached evaluation for `policy`, computing it on first use.
fn cached(
    cache: &mut Vec<(LevelVersion, Evaluation)>,
    policy: LevelVersion,
    evaluate: impl FnOnce() -> Evaluation,
) -> &Evaluation {
    let index = match cache.iter().position(|(lv, _)| *lv == policy) {
        Some(i) => i,
        None => {
            cache.push((policy, evaluate()));
            cache.len() - 1
        }
    };
    &cache[index].1
}

/// `would violate PodSecurity "<level>:<version>": <detail>`.
fn would_violate(policy: LevelVersion, result: &Evaluation) -> String {
    format!(
        "would violate PodSecurity {}: {}",
        podsec_policy::text::go_quote(&policy.to_string()),
        result.forbidden_detail()
    )
}

//! Namespace mode: every object is judged as the API server would judge its creation in its
//! namespace, by the admission engine itself ([`Admission::validate_decoded`]).
//!
//! The namespace's labels come from the `Namespace` objects of the inputs (all inputs are
//! scanned for them first), else from `--namespace-labels`; the cluster's defaults and
//! exemptions from `--config`, else upstream's (`privileged:latest`, no exemptions).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use podsec_admission::config::AdmissionConfig;
use podsec_admission::decode::{Namespace, PodTemplate};
use podsec_admission::labels::{LABEL_PREFIX, level_label, policy_from_labels, version_label};
use podsec_admission::{
    Admission, GroupVersionKind, GroupVersionResource, LookupError, Mode, NamespaceGetter,
    NoopRecorder, Operation, Policy, Request, Response, StaticPods, Status, StatusCause,
    StatusDetails, Trace,
};
use podsec_policy::{Evaluation, LevelVersion, Registry};
use rayon::prelude::*;

use crate::input::Inputs;

/// The short keys `--namespace-labels` expands.
const SHORT_KEYS: &[&str] = &[
    "enforce",
    "enforce-version",
    "audit",
    "audit-version",
    "warn",
    "warn-version",
];

/// Parses `--namespace-labels`: `KEY=VALUE,...`, short keys expanded.
pub fn parse_labels(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut labels = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(format!("{pair:?} is not KEY=VALUE"));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("{pair:?} has an empty key"));
        }
        let key = if SHORT_KEYS.contains(&key) {
            format!("{LABEL_PREFIX}{key}")
        } else {
            key.to_owned()
        };
        labels.insert(key, value.trim().to_owned());
    }
    Ok(labels)
}

/// The namespaces of the inputs; any other namespace has the fallback labels (a real
/// cluster would answer `namespaces "x" not found`, which is not what a user checking
/// manifests before creating their namespace wants to read).
#[derive(Debug, Default)]
pub struct InputNamespaces {
    found: HashMap<String, (Arc<Namespace>, LabelsFrom)>,
    fallback: BTreeMap<String, String>,
}

/// Where a namespace's labels come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelsFrom {
    /// A `Namespace` object of the inputs.
    Object {
        /// The input holding it.
        file: String,
        /// Its line there.
        line: usize,
    },
    /// `--namespace-labels`.
    Flag,
    /// Nowhere: the namespace is unlabelled (the configuration's defaults apply).
    Nowhere,
}

impl InputNamespaces {
    /// The namespaces `found` (the last of a name wins, as the last `kubectl apply` would),
    /// and the labels of every other namespace.
    pub fn new(
        found: impl IntoIterator<Item = FoundNamespace>,
        fallback: BTreeMap<String, String>,
    ) -> Self {
        let found = found
            .into_iter()
            .map(|FoundNamespace { file, namespace }| {
                let from = LabelsFrom::Object {
                    file,
                    line: namespace.line,
                };
                let ns = Namespace {
                    name: namespace.name.clone(),
                    labels: namespace.labels,
                };
                (namespace.name, (Arc::new(ns), from))
            })
            .collect();
        InputNamespaces { found, fallback }
    }

    fn get(&self, name: &str) -> Arc<Namespace> {
        match self.found.get(name) {
            Some((namespace, _)) => Arc::clone(namespace),
            None => Arc::new(Namespace {
                name: name.to_owned(),
                labels: self.fallback.clone(),
            }),
        }
    }

    /// Where the labels of namespace `name` come from.
    fn labels_from(&self, name: &str) -> LabelsFrom {
        match self.found.get(name) {
            Some((_, from)) => from.clone(),
            None if self.fallback.is_empty() => LabelsFrom::Nowhere,
            None => LabelsFrom::Flag,
        }
    }
}

/// What decided a namespace's policy for one mode (enforce, audit or warn).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyFrom {
    /// The namespace's own label for the mode (level or version).
    Label,
    /// The enforce label: warn follows a stricter enforce level.
    EnforceLabel,
    /// The configuration's default (upstream's `privileged:latest` without `--config`).
    Default,
}

impl PolicyFrom {
    /// How reports name it.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyFrom::Label => "label",
            PolicyFrom::EnforceLabel => "enforce label",
            PolicyFrom::Default => "default",
        }
    }
}

/// A namespace's policy as namespace mode applied it, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespacePolicy {
    /// Where the namespace's labels come from.
    pub labels_from: LabelsFrom,
    /// Enforce, audit and warn, as admission resolves the labels (fail-closed on errors).
    pub policy: Policy,
    /// What decided enforce, audit and warn, in that order.
    pub from: [PolicyFrom; 3],
    /// The label errors (an invalid Pod Security label), as admission reports them.
    pub label_errors: Vec<String>,
    /// Whether the configuration exempts the namespace.
    pub exempt: bool,
}

impl NamespacePolicy {
    /// Whether every mode is `privileged` by the configuration's default (no label, no
    /// exemption): such a namespace allows everything, which a user may not expect.
    pub fn privileged_by_default(&self) -> bool {
        !self.exempt
            && self.from.iter().all(|f| *f == PolicyFrom::Default)
            && [self.policy.enforce, self.policy.audit, self.policy.warn]
                .iter()
                .all(|lv| lv.level == podsec_policy::Level::Privileged)
    }
}

impl NamespaceGetter for InputNamespaces {
    fn get_namespace(
        &self,
        name: &str,
        _deadline: Option<Instant>,
    ) -> impl Future<Output = Result<Arc<Namespace>, LookupError>> + Send {
        std::future::ready(Ok(self.get(name)))
    }
}

/// Whether a namespace carries a `pod-security.kubernetes.io/` label: the inputs then
/// express a policy, and `podsec check` without `--level` uses namespace mode.
pub fn has_pod_security_labels(namespace: &podsec_manifest::Namespace) -> bool {
    namespace.labels.keys().any(|k| k.starts_with(LABEL_PREFIX))
}

/// A `Namespace` object of the inputs.
#[derive(Debug, Clone)]
pub struct FoundNamespace {
    /// The input holding it.
    pub file: String,
    /// The namespace.
    pub namespace: podsec_manifest::Namespace,
}

/// Reads every input ahead of the run (keeping the texts for it, [`Inputs::read_ahead`])
/// and returns the `Namespace` objects they hold (inputs that cannot be read or documents
/// that do not decode are skipped here: the run itself reports them).
pub fn scan(inputs: &Inputs) -> Vec<FoundNamespace> {
    let per_input: Vec<Vec<FoundNamespace>> = (0..inputs.list.len())
        .into_par_iter()
        .map(|index| {
            inputs
                .read_ahead(index, namespaces_in)
                .unwrap_or_default()
                .into_iter()
                .map(|namespace| FoundNamespace {
                    file: inputs.list[index]
                        .as_ref()
                        .map_or_else(|_| String::new(), |i| i.name.clone()),
                    namespace,
                })
                .collect()
        })
        .collect();
    per_input.into_iter().flatten().collect()
}

/// The `Namespace` objects of one input's text: only the documents that mention
/// `Namespace` are split off and decoded.
fn namespaces_in(text: &str) -> Vec<podsec_manifest::Namespace> {
    podsec_manifest::documents_containing(text, "Namespace")
        .iter()
        .flat_map(|doc| doc.decode())
        .filter_map(|entry| match entry {
            Ok(podsec_manifest::Entry::Namespace(ns)) => Some(ns),
            _ => None,
        })
        .collect()
}

/// A cluster, offline: the engine with the inputs' namespaces and the configuration.
#[derive(Debug)]
pub struct Cluster {
    engine: Admission<InputNamespaces, StaticPods, NoopRecorder>,
    registry: Arc<Registry>,
    default_namespace: String,
    username: String,
    enforce_workloads: bool,
}

/// The cluster's answer for one object.
#[derive(Debug)]
pub struct Judged {
    /// The object's namespace (its own, else the default one; a Namespace's own name).
    pub namespace: String,
    /// The namespace's enforce policy.
    pub policy: LevelVersion,
    /// The pod or template against the enforce policy (empty when exempt).
    pub evaluation: Evaluation,
    /// Whether podsec counts the object as allowed: the API server's decision, and for a
    /// workload under `--enforce-workloads` also its template's enforce evaluation.
    pub allowed: bool,
    /// The admission response, exactly as the API server's admission would hold it.
    pub response: Response,
}

impl Cluster {
    /// A cluster of `namespaces` with `config`; objects without a namespace are created in
    /// `default_namespace` by `username`.
    pub fn new(
        config: AdmissionConfig,
        namespaces: InputNamespaces,
        registry: Arc<Registry>,
        default_namespace: String,
        username: String,
        enforce_workloads: bool,
    ) -> Self {
        let engine = Admission::new(config, namespaces, StaticPods::default(), NoopRecorder)
            .with_registry(Arc::clone(&registry));
        Cluster {
            engine,
            registry,
            default_namespace,
            username,
            enforce_workloads,
        }
    }

    /// Consults podsec's opt-in policy (`--policy`) as `podsec serve` does.
    pub fn with_extension(
        mut self,
        extension: Option<Arc<dyn podsec_admission::extension::Extension>>,
    ) -> Self {
        self.engine = self.engine.with_extension(extension);
        self
    }

    fn namespace_of(&self, namespace: Option<&str>) -> String {
        namespace.unwrap_or(&self.default_namespace).to_owned()
    }

    /// How namespace mode judges objects in `namespace`, and why.
    pub fn describe(&self, namespace: &str) -> NamespacePolicy {
        let labels = &self.engine_namespaces().get(namespace).labels;
        let defaults = &self.engine.config().defaults;
        let (policy, errors) = policy_from_labels(labels, defaults);
        let from = |mode: Mode| {
            if labels.contains_key(level_label(mode)) || labels.contains_key(version_label(mode)) {
                PolicyFrom::Label
            } else if mode == Mode::Warn && policy.warn != defaults.warn {
                // No warn label, yet not the default: warn follows enforce.
                PolicyFrom::EnforceLabel
            } else {
                PolicyFrom::Default
            }
        };
        NamespacePolicy {
            labels_from: self.engine_namespaces().labels_from(namespace),
            from: Mode::ALL.map(from),
            policy,
            label_errors: errors.iter().map(ToString::to_string).collect(),
            exempt: self
                .engine
                .config()
                .exemptions
                .is_exempt_namespace(namespace),
        }
    }

    /// The enforce policy of `namespace` (fail-closed on invalid labels, as admission does).
    fn enforce_policy(&self, namespace: &str) -> LevelVersion {
        let labels = &self.engine_namespaces().get(namespace).labels;
        policy_from_labels(labels, &self.engine.config().defaults)
            .0
            .enforce
    }

    fn engine_namespaces(&self) -> &InputNamespaces {
        self.engine.namespaces()
    }

    /// Creating the pod or workload `kind` (`apiVersion` `api_version`) called `name` in
    /// `namespace`, whose pod (template) is `template`, already defaulted.
    pub fn admit(
        &self,
        kind: &str,
        api_version: &str,
        name: &str,
        namespace: Option<&str>,
        template: PodTemplate,
    ) -> Judged {
        let namespace = self.namespace_of(namespace);
        let request = create_request(kind, api_version, name, &namespace, &self.username);
        // The engine evaluates each level and version once, the enforce policy too (for the
        // report, and for `--enforce-workloads`), and hands the evaluations back.
        let mut trace = Trace {
            evaluate_enforce: true,
            ..Trace::default()
        };
        let response = now(self
            .engine
            .validate_traced(&request, Some(&template), &mut trace));
        let policy = match trace.policy {
            Some(policy) => policy.enforce,
            None => self.enforce_policy(&namespace),
        };
        let evaluation = if trace.exempt {
            Evaluation::default()
        } else {
            // Absent when the engine had nothing to evaluate (a privileged namespace).
            trace.take(policy).unwrap_or_else(|| {
                self.registry.evaluate(
                    policy.level,
                    policy.version,
                    &template.metadata,
                    &template.spec,
                )
            })
        };
        let allowed = response.allowed
            && (kind == "Pod" || !self.enforce_workloads || evaluation.is_allowed());
        Judged {
            namespace,
            policy,
            evaluation,
            allowed,
            response,
        }
    }

    /// Creating the pod or workload `kind` called `name` in `namespace`, which the API
    /// server's own validation rejects with `errors` before admission runs: `422 Invalid`.
    pub fn reject_invalid(
        &self,
        kind: &str,
        api_version: &str,
        name: &str,
        namespace: Option<&str>,
        errors: &[podsec_policy::apiserver::FieldError],
    ) -> Judged {
        let namespace = self.namespace_of(namespace);
        let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
        let qualified = if group.is_empty() {
            kind.to_owned()
        } else {
            format!("{kind}.{group}")
        };
        let status = Status {
            code: 422,
            reason: "Invalid".into(),
            message: podsec_policy::apiserver::invalid_message(&qualified, name, errors),
            details: Some(StatusDetails {
                name: name.to_owned(),
                group: group.to_owned(),
                kind: kind.to_owned(),
                causes: errors
                    .iter()
                    .map(|e| StatusCause {
                        reason: e.kind.cause_type().to_owned(),
                        message: e.body(),
                        field: e.path.clone(),
                    })
                    .collect(),
            }),
        };
        Judged {
            policy: self.enforce_policy(&namespace),
            namespace,
            evaluation: Evaluation::default(),
            allowed: false,
            response: Response::deny(status),
        }
    }

    /// Creating the namespace `ns`: its labels are validated (an invalid label is a
    /// `422 Invalid`), and an exempt namespace gets a warning.
    pub fn admit_namespace(&self, ns: &podsec_manifest::Namespace) -> Judged {
        let object = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns.name, "labels": ns.labels},
        });
        let mut request = create_request("Namespace", "v1", &ns.name, &ns.name, &self.username);
        request.object = serde_json::value::to_raw_value(&object).ok();
        let response = now(self.engine.validate(&request));
        let policy = policy_from_labels(&ns.labels, &self.engine.config().defaults)
            .0
            .enforce;
        Judged {
            namespace: ns.name.clone(),
            policy,
            evaluation: Evaluation::default(),
            allowed: response.allowed,
            response,
        }
    }
}

/// A `CREATE` request for an object of `kind` (its resource is the lower-case plural kind,
/// as for every kind podsec evaluates).
fn create_request(
    kind: &str,
    api_version: &str,
    name: &str,
    namespace: &str,
    username: &str,
) -> Request {
    let (group, version) = match api_version.rsplit_once('/') {
        Some((group, version)) => (group, version),
        None if api_version.is_empty() => ("", "v1"),
        None => ("", api_version),
    };
    let (group, version) = (group.to_owned(), version.to_owned());
    Request {
        uid: String::new(),
        kind: GroupVersionKind {
            group: group.clone(),
            version: version.clone(),
            kind: kind.to_owned(),
        },
        resource: GroupVersionResource {
            group,
            version,
            resource: format!("{}s", kind.to_lowercase()),
        },
        subresource: String::new(),
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        operation: Operation::Create,
        username: username.to_owned(),
        object: None,
        old_object: None,
        dry_run: false,
        deadline: None,
    }
}

/// Runs a future that is ready at once: the engine's lookups here are in memory.
fn now<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_expand_short_keys() {
        let labels = parse_labels("enforce=baseline, warn-version=v1.30,team=a").unwrap();
        assert_eq!(
            labels,
            BTreeMap::from([
                (
                    "pod-security.kubernetes.io/enforce".into(),
                    "baseline".into()
                ),
                (
                    "pod-security.kubernetes.io/warn-version".into(),
                    "v1.30".into()
                ),
                ("team".into(), "a".into()),
            ])
        );
        assert!(parse_labels("enforce").unwrap_err().contains("KEY=VALUE"));
        assert!(parse_labels("=x").unwrap_err().contains("empty key"));
        assert_eq!(parse_labels("").unwrap(), BTreeMap::new());
    }

    #[test]
    fn requests_name_the_resource() {
        let r = create_request("Deployment", "apps/v1", "web", "shop", "alice");
        assert_eq!(
            (r.resource.group.as_str(), r.resource.resource.as_str()),
            ("apps", "deployments")
        );
        let r = create_request("Pod", "v1", "p", "shop", "");
        assert_eq!(
            (r.resource.group.as_str(), r.resource.resource.as_str()),
            ("", "pods")
        );
        let r = create_request("CronJob", "", "c", "shop", "");
        assert_eq!(
            (r.kind.version.as_str(), r.resource.resource.as_str()),
            ("v1", "cronjobs")
        );
    }
}

//! Prometheus metrics: upstream's three Pod Security counters (a [`Recorder`] for the engine),
//! plus this server's request-duration histogram, reload-error counter and emulation-version
//! info gauge.
//!
//! Storage is one [`Collector`] registered with a `prometheus-client` [`Registry`], so the
//! exposition is produced by `prometheus-client`'s Prometheus text (0.0.4) encoder while the
//! collector controls what client_golang controls upstream: families sorted by name, label
//! pairs sorted by label name (the label structs declare their fields alphabetically), samples
//! sorted by label values, the `errors` family absent until its first sample, and the six
//! pre-created zero series of upstream (spec §10).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use podsec_admission::metrics::{
    ERRORS_HELP, EVALUATIONS_HELP, EXEMPTIONS_HELP, RequestLabels, policy_version_label,
};
use podsec_admission::{Decision, Mode, Recorder, Request};
use podsec_policy::LevelVersion;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The Kubernetes minor version this server reports as its own (`policy_version` label:
/// numbered versions newer than `v1.37` count as `future`).
pub const KUBERNETES_MINOR: u64 = 37;

/// Name of the request latency histogram (seconds; labels `decision`, `resource`).
pub const REQUEST_DURATION: &str = "pod_security_webhook_request_duration_seconds";
/// HELP of [`REQUEST_DURATION`].
pub const REQUEST_DURATION_HELP: &str =
    "Time to answer an admission review, from the request's arrival to the response.";
/// Name (without the `_total` suffix the encoder adds) of the reload-error counter (label
/// `source`: `config` or `tls`).
pub const RELOAD_ERRORS: &str = "pod_security_webhook_reload_errors";
/// HELP of [`RELOAD_ERRORS`].
pub const RELOAD_ERRORS_HELP: &str = "Number of rejected reloads of the configuration file or of the TLS certificate and key; the previous one stays in force.";

/// Name of the emulation-version info gauge (labels `source`: `apiserver`, `flag`, `off` or
/// `unknown`, and `version`: the policy version `latest` evaluates as; always 1). Absent until
/// the server sets it.
pub const EMULATION_INFO: &str = "podsec_emulation_version_info";
/// HELP of [`EMULATION_INFO`].
pub const EMULATION_INFO_HELP: &str = "The policy version `latest` and newer versions evaluate as (version), and where its cap comes from (source: apiserver, flag, off or unknown). Always 1.";

/// Name (without `_total`) of the counter of opt-in policy rule evaluations (labels
/// `decision`: `allow` or `deny`; `mode`: `enforce`, `warn` or `audit`; `rule`: the rule's
/// name). Absent until a `PodsecPolicy` rule is evaluated.
pub const POLICY_EVALUATIONS: &str = "podsec_policy_evaluations";
/// HELP of [`POLICY_EVALUATIONS`].
pub const POLICY_EVALUATIONS_HELP: &str = "Number of evaluations of podsec's opt-in policy rules (PodsecPolicy), by rule, mode and decision.";

/// The `Content-Type` of `/metrics` (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Histogram buckets of [`REQUEST_DURATION`], in seconds.
const BUCKETS: [f64; 15] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct EvaluationLabels {
    decision: &'static str,
    mode: &'static str,
    policy_level: &'static str,
    policy_version: String,
    request_operation: String,
    resource: &'static str,
    subresource: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct ExemptionLabels {
    request_operation: String,
    resource: &'static str,
    subresource: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct ErrorLabels {
    fatal: &'static str,
    request_operation: String,
    resource: &'static str,
    subresource: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct SourceLabels {
    source: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct EmulationLabels {
    source: &'static str,
    version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct RuleLabels {
    decision: &'static str,
    mode: &'static str,
    rule: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct DurationLabels {
    decision: &'static str,
    resource: &'static str,
}

/// Series of one family, kept sorted by their labels.
#[derive(Debug)]
struct Sorted<L, M> {
    series: RwLock<BTreeMap<L, M>>,
    make: fn() -> M,
}

impl<L: Ord + Clone, M: Clone> Sorted<L, M> {
    fn new(make: fn() -> M) -> Self {
        Sorted {
            series: RwLock::new(BTreeMap::new()),
            make,
        }
    }

    /// The metric of `labels`, created on first use.
    fn get(&self, labels: L) -> M {
        if let Ok(series) = self.series.read()
            && let Some(m) = series.get(&labels)
        {
            return m.clone();
        }
        match self.series.write() {
            Ok(mut series) => series.entry(labels).or_insert_with(self.make).clone(),
            Err(_) => (self.make)(),
        }
    }

    fn encode(
        &self,
        encoder: &mut DescriptorEncoder,
        name: &str,
        help: &str,
        metric_type: MetricType,
    ) -> Result<(), std::fmt::Error>
    where
        L: EncodeLabelSet,
        M: EncodeMetric,
    {
        let Ok(series) = self.series.read() else {
            return Ok(());
        };
        if series.is_empty() {
            return Ok(());
        }
        let mut family = encoder.encode_descriptor(name, help, None, metric_type)?;
        for (labels, metric) in series.iter() {
            metric.encode(family.encode_family(labels)?)?;
        }
        Ok(())
    }
}

#[derive(Debug)]
struct Inner {
    server_minor: u64,
    evaluations: Sorted<EvaluationLabels, Counter>,
    exemptions: Sorted<ExemptionLabels, Counter>,
    errors: Sorted<ErrorLabels, Counter>,
    reload_errors: Sorted<SourceLabels, Counter>,
    durations: Sorted<DurationLabels, Histogram>,
    /// At most one series: the emulation version in force.
    emulation: Sorted<EmulationLabels, Gauge>,
    /// Opt-in policy rules (absent without a `PodsecPolicy`).
    rules: Sorted<RuleLabels, Counter>,
}

impl Collector for Inner {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        // In name order, as client_golang sorts families.
        let alpha = |help: &str| format!("[ALPHA] {help}");
        self.errors.encode(
            &mut encoder,
            "pod_security_errors",
            &alpha(ERRORS_HELP),
            MetricType::Counter,
        )?;
        self.evaluations.encode(
            &mut encoder,
            "pod_security_evaluations",
            &alpha(EVALUATIONS_HELP),
            MetricType::Counter,
        )?;
        self.exemptions.encode(
            &mut encoder,
            "pod_security_exemptions",
            &alpha(EXEMPTIONS_HELP),
            MetricType::Counter,
        )?;
        self.reload_errors.encode(
            &mut encoder,
            RELOAD_ERRORS,
            RELOAD_ERRORS_HELP,
            MetricType::Counter,
        )?;
        self.durations.encode(
            &mut encoder,
            REQUEST_DURATION,
            REQUEST_DURATION_HELP,
            MetricType::Histogram,
        )?;
        self.emulation.encode(
            &mut encoder,
            EMULATION_INFO,
            EMULATION_INFO_HELP,
            MetricType::Gauge,
        )?;
        self.rules.encode(
            &mut encoder,
            POLICY_EVALUATIONS,
            POLICY_EVALUATIONS_HELP,
            MetricType::Counter,
        )
    }
}

/// Where a rejected reload came from (the `source` label of the reload-error counter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadSource {
    /// The `--config` file.
    Config,
    /// The TLS certificate and key files.
    Tls,
    /// The `--policy` file (`PodsecPolicy`).
    Policy,
}

impl ReloadSource {
    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReloadSource::Config => "config",
            ReloadSource::Tls => "tls",
            ReloadSource::Policy => "policy",
        }
    }
}

/// The server's metrics. Cheap to clone (shared state); implements the engine's
/// [`Recorder`].
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
    registry: Arc<Registry>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(KUBERNETES_MINOR)
    }
}

impl Metrics {
    /// Metrics reporting numbered policy versions newer than `v1.<server_minor>` as `future`,
    /// with upstream's pre-created zero series.
    pub fn new(server_minor: u64) -> Self {
        let inner = Arc::new(Inner {
            server_minor,
            evaluations: Sorted::new(Counter::default),
            exemptions: Sorted::new(Counter::default),
            errors: Sorted::new(Counter::default),
            reload_errors: Sorted::new(Counter::default),
            durations: Sorted::new(|| Histogram::new(BUCKETS)),
            emulation: Sorted::new(|| {
                let gauge = Gauge::default();
                gauge.set(1);
                gauge
            }),
            rules: Sorted::new(Counter::default),
        });
        for operation in ["create", "update"] {
            inner.evaluations.get(EvaluationLabels {
                decision: "allow",
                mode: "enforce",
                policy_level: "privileged",
                policy_version: "latest".into(),
                request_operation: operation.into(),
                resource: "pod",
                subresource: String::new(),
            });
            for resource in ["pod", "controller"] {
                inner.exemptions.get(ExemptionLabels {
                    request_operation: operation.into(),
                    resource,
                    subresource: String::new(),
                });
            }
        }
        for source in [ReloadSource::Config, ReloadSource::Tls] {
            inner.reload_errors.get(SourceLabels {
                source: source.as_str(),
            });
        }
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Arc::clone(&inner)));
        Metrics {
            inner,
            registry: Arc::new(registry),
        }
    }

    /// The Prometheus text exposition (format 0.0.4, [`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }

    /// Counts a rejected reload.
    pub fn record_reload_error(&self, source: ReloadSource) {
        self.inner
            .reload_errors
            .get(SourceLabels {
                source: source.as_str(),
            })
            .inc();
    }

    /// Sets the emulation-version info gauge to one series, `{source, version}` (replacing the
    /// previous one).
    pub fn set_emulation_info(&self, version: &str, source: &'static str) {
        let labels = EmulationLabels {
            source,
            version: version.to_owned(),
        };
        if let Ok(mut series) = self.inner.emulation.series.write() {
            series.retain(|existing, _| *existing == labels);
        }
        self.inner.emulation.get(labels);
    }

    /// Observes the time taken to answer a review. `resource` is `pod`, `namespace`,
    /// `controller` (or `unknown` for bodies that were not a review); `decision` is `allow`,
    /// `deny` or `error` (an HTTP error response).
    pub fn observe_request(&self, resource: &'static str, decision: &'static str, took: Duration) {
        self.inner
            .durations
            .get(DurationLabels { decision, resource })
            .observe(took.as_secs_f64());
    }

    /// Counts one evaluation of an opt-in policy rule (`decision`: `allow` or `deny`).
    pub fn record_policy_rule(&self, rule: &str, decision: &'static str, mode: &'static str) {
        self.policy_rule_counter(rule, decision, mode).inc();
    }

    /// The counter of an opt-in policy rule's evaluations with `decision` (created, and
    /// listed at 0, on first use): hold it to count without a lookup.
    pub fn policy_rule_counter(
        &self,
        rule: &str,
        decision: &'static str,
        mode: &'static str,
    ) -> Counter {
        self.inner.rules.get(RuleLabels {
            decision,
            mode,
            rule: rule.to_owned(),
        })
    }

    fn request_labels(request: &Request) -> RequestLabels {
        RequestLabels::of(request)
    }
}

impl Recorder for Metrics {
    fn record_evaluation(
        &self,
        decision: Decision,
        policy: LevelVersion,
        mode: Mode,
        request: &Request,
    ) {
        let labels = Self::request_labels(request);
        self.inner
            .evaluations
            .get(EvaluationLabels {
                decision: decision.as_str(),
                mode: mode.as_str(),
                policy_level: policy.level.as_str(),
                policy_version: policy_version_label(policy, self.inner.server_minor),
                request_operation: labels.request_operation,
                resource: labels.resource,
                subresource: labels.subresource,
            })
            .inc();
    }

    fn record_exemption(&self, request: &Request) {
        let labels = Self::request_labels(request);
        self.inner
            .exemptions
            .get(ExemptionLabels {
                request_operation: labels.request_operation,
                resource: labels.resource,
                subresource: labels.subresource,
            })
            .inc();
    }

    fn record_error(&self, fatal: bool, request: &Request) {
        let labels = Self::request_labels(request);
        self.inner
            .errors
            .get(ErrorLabels {
                fatal: if fatal { "true" } else { "false" },
                request_operation: labels.request_operation,
                resource: labels.resource,
                subresource: labels.subresource,
            })
            .inc();
    }
}

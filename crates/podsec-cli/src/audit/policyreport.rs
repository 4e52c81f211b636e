//! `wgpolicyk8s.io/v1alpha2` policy reports, as Kyverno and its Policy Reporter read them:
//! a `PolicyReport` per namespace with one result per violated check of each unit, and one
//! `ClusterPolicyReport` with the namespace-level findings (namespaces judged only by the
//! privileged default, invalid labels, exemptions).
//!
//! Field names and types are those of the `PolicyReport` CRD (kubernetes-sigs
//! wg-policy-prototypes, `v1alpha2`): results carry `source`, `policy`, `rule`,
//! `category`, `severity`, `timestamp` (`seconds`, `nanos`), `result`, `scored`,
//! `resources` (object references), `message` and `properties` (strings only); `summary`
//! counts `pass`, `fail`, `warn`, `error`, `skip`.

use std::collections::BTreeMap;

use podsec_admission::Mode;
use podsec_policy::{Level, LevelVersion, Violation};
use serde_json::{Value, json};

use super::model::{Audit, NamespaceAudit, UnitAudit};

/// The reports' name (one per namespace, and the cluster's).
pub const REPORT_NAME: &str = "podsec";

/// `source` of every result.
pub const SOURCE: &str = "podsec";

/// When the results were found: `SOURCE_DATE_EPOCH` when set (reproducible output), else
/// now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub seconds: i64,
}

impl Timestamp {
    /// `SOURCE_DATE_EPOCH`, else the current time.
    pub fn now() -> Self {
        let seconds = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            });
        Timestamp { seconds }
    }

    fn json(self) -> Value {
        json!({"seconds": self.seconds, "nanos": 0})
    }
}

/// The `PolicyReport`s (one per namespace, by name) then the `ClusterPolicyReport`.
pub fn reports(audit: &Audit, now: Timestamp) -> Vec<Value> {
    let mut by_namespace: BTreeMap<&str, Vec<&UnitAudit>> = BTreeMap::new();
    for unit in &audit.results {
        by_namespace
            .entry(unit.object.namespace.as_deref().unwrap_or_default())
            .or_default()
            .push(unit);
    }
    let mut reports: Vec<Value> = audit
        .namespaces
        .iter()
        .map(|ns| {
            let units = by_namespace.get(ns.name.as_str());
            let results: Vec<Value> = units
                .into_iter()
                .flatten()
                .flat_map(|unit| unit_results(unit, now))
                .collect();
            report("PolicyReport", Some(&ns.name), results)
        })
        .collect();
    let cluster_results: Vec<Value> = audit
        .namespaces
        .iter()
        .flat_map(|ns| namespace_results(ns, now))
        .collect();
    reports.push(report("ClusterPolicyReport", None, cluster_results));
    reports
}

fn report(kind: &str, namespace: Option<&str>, results: Vec<Value>) -> Value {
    let mut summary = BTreeMap::from([
        ("pass", 0),
        ("fail", 0),
        ("warn", 0),
        ("error", 0),
        ("skip", 0),
    ]);
    for result in &results {
        if let Some(count) = result["result"].as_str().and_then(|r| summary.get_mut(r)) {
            *count += 1;
        }
    }
    let mut metadata = json!({
        "name": REPORT_NAME,
        "labels": {"app.kubernetes.io/managed-by": "podsec"},
    });
    if let Some(namespace) = namespace {
        metadata["namespace"] = json!(namespace);
    }
    json!({
        "apiVersion": "wgpolicyk8s.io/v1alpha2",
        "kind": kind,
        "metadata": metadata,
        "summary": summary,
        "results": results,
    })
}

/// One result per violated check of each policy the unit violates; modes sharing a policy
/// share its results (`properties.mode` lists them).
fn unit_results(unit: &UnitAudit, now: Timestamp) -> Vec<Value> {
    // The policies in first-mode order, with their modes.
    let mut policies: Vec<(LevelVersion, Vec<Mode>, &[Violation])> = Vec::new();
    for m in &unit.modes {
        match policies.iter_mut().find(|(p, _, _)| *p == m.policy) {
            Some((_, modes, _)) => modes.push(m.mode),
            None => policies.push((m.policy, vec![m.mode], &m.violations)),
        }
    }
    let mut resource = json!({
        "apiVersion": unit.object.api_version,
        "kind": unit.object.kind,
        "name": unit.object.name,
        "namespace": unit.object.namespace,
    });
    if let Some(uid) = &unit.uid {
        resource["uid"] = json!(uid);
    }
    let mut results = Vec::new();
    for (policy, modes, violations) in policies {
        let outcome = if unit.exempt.is_some() {
            "skip"
        } else if modes.contains(&Mode::Enforce) {
            "fail"
        } else {
            "warn"
        };
        let modes: Vec<&str> = modes.iter().map(|m| m.as_str()).collect();
        for violation in violations {
            let check_level = podsec_policy::checks::by_id(violation.check.as_str())
                .map_or(policy.level, |c| c.level);
            let mut properties = json!({
                "level": policy.level.as_str(),
                "version": policy.version.to_string(),
                "mode": modes.join(","),
                "pods": unit.pods.to_string(),
            });
            if let Some(exemption) = unit.exempt {
                properties["exempt"] = json!(exemption);
            }
            if unit.running_in_violation > 0 && modes.contains(&"enforce") {
                properties["runningInViolation"] = json!(unit.running_in_violation.to_string());
            }
            results.push(json!({
                "source": SOURCE,
                "policy": format!("podsec-{}", policy.level.as_str()),
                "rule": violation.check.as_str(),
                "category": category(check_level),
                "severity": severity(check_level),
                "timestamp": now.json(),
                "result": outcome,
                "scored": true,
                "resources": [resource],
                "message": violation.to_message(),
                "properties": properties,
            }));
        }
    }
    results
}

/// `Pod Security Standards (Baseline)`: the category of a check's level.
fn category(level: Level) -> &'static str {
    match level {
        Level::Restricted => "Pod Security Standards (Restricted)",
        _ => "Pod Security Standards (Baseline)",
    }
}

/// Baseline checks guard against known privilege escalations (`high`); restricted ones
/// are hardening (`medium`).
fn severity(level: Level) -> &'static str {
    match level {
        Level::Restricted => "medium",
        _ => "high",
    }
}

/// The namespace-level findings of one namespace.
fn namespace_results(ns: &NamespaceAudit, now: Timestamp) -> Vec<Value> {
    let resource = json!({"apiVersion": "v1", "kind": "Namespace", "name": ns.name});
    let policy = ns.policy.policy;
    let properties = |extra: &[(&str, String)]| {
        let mut p = json!({
            "enforce": policy.enforce.to_string(),
            "audit": policy.audit.to_string(),
            "warn": policy.warn.to_string(),
        });
        for (k, v) in extra {
            p[*k] = json!(v);
        }
        p
    };
    let finding = |rule: &str, result: &str, severity: &str, message: String, props: Value| {
        json!({
            "source": SOURCE,
            "policy": "podsec-namespace",
            "rule": rule,
            "category": "Pod Security Admission",
            "severity": severity,
            "timestamp": now.json(),
            "result": result,
            "scored": true,
            "resources": [resource],
            "message": message,
            "properties": props,
        })
    };
    let mut results = Vec::new();
    if ns.policy.exempt {
        results.push(finding(
            "exempt",
            "skip",
            "info",
            format!(
                "namespace {} is exempt by the configuration: nothing in it is checked",
                ns.name
            ),
            properties(&[]),
        ));
    } else if ns.policy.privileged_by_default() {
        results.push(finding(
            "unlabelled",
            "warn",
            "medium",
            format!(
                "namespace {} has no Pod Security labels: its default policy, {}, allows every pod",
                ns.name, policy.enforce
            ),
            properties(&[("units", ns.units.to_string())]),
        ));
    }
    for error in &ns.policy.label_errors {
        results.push(finding(
            "label-error",
            "fail",
            "high",
            error.clone(),
            properties(&[]),
        ));
    }
    results
}

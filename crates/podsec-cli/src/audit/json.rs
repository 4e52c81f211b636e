//! The JSON report: namespaces with their policy, results naming their objects with the
//! shared [`ObjectRef`](crate::inventory::ObjectRef) fields, problems, a summary.

use podsec_admission::Mode;
use serde_json::{Value, json};

use super::model::{Audit, ModeAudit, NamespaceAudit, UnitAudit};
use crate::inventory::Origin;
use crate::namespace_mode::{LabelsFrom, PolicyFrom};

/// The whole document.
pub fn document(audit: &Audit) -> Value {
    let source = match &audit.origin {
        Origin::Manifests => json!({"kind": "manifests"}),
        Origin::Cluster { context } => json!({"kind": "cluster", "context": context}),
    };
    let s = &audit.summary;
    json!({
        "source": source,
        "namespaces": audit.namespaces.iter().map(namespace).collect::<Vec<_>>(),
        "results": audit.results.iter().map(result).collect::<Vec<_>>(),
        "problems": audit.problems,
        "summary": {
            "namespaces": s.namespaces,
            "privilegedByDefault": s.privileged_by_default,
            "exemptNamespaces": s.exempt_namespaces,
            "labelErrors": s.label_errors,
            "units": s.units,
            "pods": s.pods,
            "violating": {"enforce": s.violating[0], "audit": s.violating[1], "warn": s.violating[2]},
            "runningInViolation": {"units": s.running_in_violation, "pods": s.pods_in_violation},
            "exempt": s.exempt,
            "problems": s.problems,
        },
    })
}

fn namespace(ns: &NamespaceAudit) -> Value {
    let mut value = json!({
        "name": ns.name,
        "labels": ns.labels,
        "labelsFrom": match &ns.policy.labels_from {
            LabelsFrom::Object { file, line } => json!({"file": file, "line": line}),
            LabelsFrom::Flag | LabelsFrom::Nowhere => Value::Null,
        },
        "exempt": ns.policy.exempt,
        "privilegedByDefault": ns.policy.privileged_by_default(),
        "labelErrors": ns.policy.label_errors,
        "units": ns.units,
        "pods": ns.pods,
        "violating": {"enforce": ns.violating[0], "audit": ns.violating[1], "warn": ns.violating[2]},
        "runningInViolation": ns.running_in_violation,
    });
    for (mode, from) in Mode::ALL.iter().zip(ns.policy.from) {
        value[mode.as_str()] = json!({
            "policy": ns.policy.policy.get(*mode).to_string(),
            "from": match from {
                PolicyFrom::Label => "label",
                PolicyFrom::EnforceLabel => "enforce",
                PolicyFrom::Default => "default",
            },
        });
    }
    value
}

fn result(unit: &UnitAudit) -> Value {
    let mut value = serde_json::to_value(&unit.object).unwrap_or(Value::Null);
    value["uid"] = json!(unit.uid);
    value["replicas"] = json!(unit.replicas);
    value["pods"] = json!(unit.pods);
    value["runningInViolation"] = json!(unit.running_in_violation);
    value["exempt"] = json!(unit.exempt);
    for m in Mode::ALL {
        value[m.as_str()] = unit.mode(m).map_or(Value::Null, mode);
    }
    value
}

fn mode(m: &ModeAudit) -> Value {
    json!({
        "policy": m.policy.to_string(),
        "checks": m.violations.iter().map(|v| json!({
            "id": v.check.as_str(),
            "reason": v.reason,
            "detail": v.detail,
            "fields": v.findings.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "message": m.message,
    })
}

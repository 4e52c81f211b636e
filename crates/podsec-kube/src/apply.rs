//! Writing `wgpolicyk8s.io/v1alpha2` `PolicyReport`s and `ClusterPolicyReport`s to the
//! cluster by server-side apply.

use kube::Client;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::Value;

use crate::errors::cause_chain;

/// The API group and version of policy reports.
pub const POLICY_REPORT_API_VERSION: &str = "wgpolicyk8s.io/v1alpha2";

/// Why an apply failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The object is not a policy report podsec writes, or has no name (or namespace).
    #[error("not a policy report: {0}")]
    NotAReport(String),
    /// The API server refused it (its message, e.g. the CRD is not installed).
    #[error("{message} (HTTP {code})")]
    Api {
        /// The HTTP status.
        code: u16,
        /// The API server's message.
        message: String,
    },
    /// The API server could not be reached.
    #[error("{0}")]
    Transport(String),
}

/// Applies `report` (a `PolicyReport` or `ClusterPolicyReport` of
/// [`POLICY_REPORT_API_VERSION`]) with field manager `field_manager`, forcing conflicts
/// (the reports are podsec's own); returns the object as stored.
pub async fn apply_policy_report(
    client: &Client,
    report: &Value,
    field_manager: &str,
) -> Result<Value, ApplyError> {
    let kind = report["kind"].as_str().unwrap_or_default();
    let api_version = report["apiVersion"].as_str().unwrap_or_default();
    let (plural, namespaced) = match (api_version, kind) {
        (POLICY_REPORT_API_VERSION, "PolicyReport") => ("policyreports", true),
        (POLICY_REPORT_API_VERSION, "ClusterPolicyReport") => ("clusterpolicyreports", false),
        _ => {
            return Err(ApplyError::NotAReport(format!(
                "apiVersion {api_version:?}, kind {kind:?}"
            )));
        }
    };
    let name = report["metadata"]["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApplyError::NotAReport(format!("{kind} without metadata.name")))?;
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("wgpolicyk8s.io", "v1alpha2", kind),
        plural,
    );
    let api: Api<DynamicObject> = if namespaced {
        let namespace = report["metadata"]["namespace"]
            .as_str()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                ApplyError::NotAReport(format!("PolicyReport {name} without metadata.namespace"))
            })?;
        Api::namespaced_with(client.clone(), namespace, &resource)
    } else {
        Api::all_with(client.clone(), &resource)
    };
    let params = PatchParams::apply(field_manager).force();
    match api.patch(name, &params, &Patch::Apply(report)).await {
        Ok(object) => {
            serde_json::to_value(object).map_err(|err| ApplyError::Transport(err.to_string()))
        }
        Err(kube::Error::Api(status)) => Err(ApplyError::Api {
            code: status.code,
            message: status.message.clone(),
        }),
        Err(err) => Err(ApplyError::Transport(cause_chain(&err))),
    }
}

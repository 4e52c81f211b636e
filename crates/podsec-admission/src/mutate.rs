//! Secure defaults: a mutating webhook's answer that fills in the *unset* fields a pod needs
//! to meet a target level (`seccompProfile: RuntimeDefault`, `allowPrivilegeEscalation:
//! false`, `capabilities.drop: [ALL]`, `runAsNonRoot: true` only with a known UID, ...),
//! never changing an explicit value.
//!
//! The edits are `podsec fix`'s planner with [`Strategy::FillUnset`]
//! ([`podsec_policy::fix`]), applied to the pod's JSON as RFC 6902 operations: one
//! implementation for the CLI and the webhook. A pod that passes already, or whose remaining
//! violations only explicit values cause, gets no patch; patching a patched pod is a no-op.
//! The mutating webhook never denies: anything it cannot read is admitted unchanged (the
//! validating webhook judges the pod afterwards).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use podsec_policy::fix::{self, NonRoot, Options, Strategy};
use podsec_policy::{LevelVersion, Registry};

use crate::decode::{Object, decode_object};
use crate::request::{Operation, Request};
use crate::response::Response;

/// The audit annotation naming what the patch fills in: `restricted:latest:
/// allowPrivilegeEscalation, seccompProfile_restricted`.
pub const SECURE_DEFAULTS: &str = "secure-defaults";

/// What secure defaults aim at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecureDefaults {
    /// The level and version the filled-in pod should meet.
    pub policy: LevelVersion,
    /// How `runAsNonRoot` may be satisfied: [`NonRoot::Skip`] unless the images are known to
    /// run as non-root ([`NonRoot::Assume`]) or a default UID is configured
    /// ([`NonRoot::WithUser`]).
    pub non_root: NonRoot,
}

/// The answer to a mutating review of `request`: allowed, with a JSON patch when a pod
/// being created has unset fields to fill.
pub fn secure_defaults(
    registry: &Registry,
    request: &Request,
    defaults: &SecureDefaults,
) -> Response {
    let mut response = Response::allow();
    if request.resource.group.is_empty()
        && request.resource.resource == "pods"
        && request.subresource.is_empty()
        && request.operation == Operation::Create
        && let Some(raw) = request.object.as_deref()
        && let Ok(Object::Pod(pod)) = decode_object(raw, &request.kind)
        && let Ok(mut value) = serde_json::from_str::<serde_json::Value>(raw.get())
    {
        let options = Options {
            strategy: Strategy::FillUnset,
            non_root: defaults.non_root,
        };
        let plan = fix::plan(
            registry,
            defaults.policy.level,
            defaults.policy.version,
            &pod.metadata,
            &pod.spec,
            options,
        );
        if plan.edits.is_empty() {
            return response;
        }
        let edits: Vec<fix::Edit> = plan.edit_list().cloned().collect();
        let Ok(operations) = fix::json::apply(&mut value, &edits) else {
            return response;
        };
        let Ok(patch) = serde_json::to_vec(&operations) else {
            return response;
        };
        let mut checks: Vec<&str> = Vec::new();
        for edit in &plan.edits {
            if !checks.contains(&edit.check.as_str()) {
                checks.push(edit.check.as_str());
            }
        }
        response.audit_annotations.insert(
            SECURE_DEFAULTS.into(),
            format!("{}: {}", defaults.policy, checks.join(", ")),
        );
        response.patch = Some(STANDARD.encode(patch));
        response.patch_type = Some("JSONPatch");
    }
    response
}

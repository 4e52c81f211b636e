//! `procMount_restricted` (restricted, from v1.35; overrides `procMount`).
//!
//! Exactly the v1.0 `procMount` check, with no user-namespace relaxation; only its place
//! in the result order differs (restricted block).
//!
//! **Restricted fields**
//! * `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.procMount`
//!
//! **Allowed values**: unset or `Default`.

use super::{Check, CheckDoc, overriding, proc_mount};
use crate::level::Level;
use crate::violation::CheckId;

/// `procMount_restricted`.
pub const ID: CheckId = CheckId::new("procMount_restricted");

/// The check.
pub const CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    variants: &[overriding(35, &[proc_mount::ID], proc_mount::check_v1_0)],
    doc: CheckDoc {
        summary: "Containers must use the default (masked) /proc mount, even in user-namespace pods",
        fields: &[
            "spec.containers[*].securityContext.procMount",
            "spec.initContainers[*].securityContext.procMount",
            "spec.ephemeralContainers[*].securityContext.procMount",
        ],
        allowed: "Default or unset",
        fix: "remove securityContext.procMount or set it to Default",
    },
};

//! # podsec-admission
//!
//! The Pod Security Admission engine, exactly as upstream's admission controller behaves:
//! namespace labels and cluster defaults give each namespace's policy; exemptions; pod
//! requests are enforced, warned and audited; workload templates are warned and audited;
//! namespace label changes are validated and checked against existing pods.
//!
//! No network code: namespaces, pods and metrics come in through traits
//! ([`NamespaceGetter`], [`PodLister`], [`Recorder`]), so the webhook and the CLI share
//! one engine.

pub mod config;
pub mod decode;
mod engine;
mod field_error;
pub mod labels;
pub mod lookup;
pub mod metrics;
mod policy;
mod request;
mod response;
pub mod review;

pub use engine::{Admission, Limits};
pub use field_error::{FieldError, FieldErrorKind, aggregate};
pub use lookup::{
    ListedPod, LookupError, NamespaceGetter, PodLister, StaticNamespaces, StaticPods,
};
pub use metrics::{CountingRecorder, Decision, NoopRecorder, Recorder};
pub use policy::{Mode, Policy, equivalent};
pub use request::{GroupVersionKind, GroupVersionResource, Operation, Request, ResourceClass};
pub use response::{Response, Status, StatusCause, StatusDetails, annotation};

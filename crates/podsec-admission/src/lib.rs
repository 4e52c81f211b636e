//! # podsec-admission
//!
//! The Pod Security Admission engine, exactly as upstream's admission controller behaves:
//! namespace labels and cluster defaults give each namespace's policy; exemptions; pod
//! requests are enforced, warned and audited; workload templates are warned and audited;
//! namespace label changes are validated and checked against existing pods.
//!
//! No network code: namespaces, pods and metrics come in through traits
//! ([`NamespaceGetter`], [`PodLister`], [`Recorder`]), so the webhook and the CLI share
//! one engine. In-memory implementations ([`StaticNamespaces`], [`StaticPods`],
//! [`CountingRecorder`]) make it usable offline:
//!
//! ```
//! use podsec_admission::config::{AdmissionConfig, load};
//! use podsec_admission::decode::Namespace;
//! use podsec_admission::review::decode_review;
//! use podsec_admission::{Admission, NoopRecorder, StaticNamespaces, StaticPods};
//!
//! let config = AdmissionConfig::new(&load(b"").unwrap()).unwrap(); // upstream defaults
//! let namespaces: StaticNamespaces = [Namespace {
//!     name: "team".into(),
//!     labels: [("pod-security.kubernetes.io/enforce".into(), "baseline".into())].into(),
//! }]
//! .into_iter()
//! .collect();
//! let engine = Admission::new(config, namespaces, StaticPods::default(), NoopRecorder);
//!
//! let review = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
//!   "uid":"1","kind":{"group":"","version":"v1","kind":"Pod"},
//!   "resource":{"group":"","version":"v1","resource":"pods"},
//!   "name":"p","namespace":"team","operation":"CREATE","userInfo":{"username":"alice"},
//!   "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
//!             "spec":{"hostPID":true,"containers":[{"name":"c","image":"i"}]}}}}"#;
//! let (_, request) = decode_review(review).unwrap();
//! // The engine is async (the webhook looks namespaces up over the network); offline, any
//! // executor works because the in-memory lookups are ready immediately.
//! let response = block_on(engine.validate(&request));
//! assert!(!response.allowed);
//! assert_eq!(
//!     response.status.unwrap().message,
//!     r#"pods "p" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)"#
//! );
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! #     rt.block_on(f)
//! # }
//! ```
//!
//! Where things are: [`labels`] (namespace labels to policy), [`config`]
//! (PodSecurityConfiguration), [`decode`] (request objects), `engine/` (pods, controllers,
//! namespaces), [`metrics`] (upstream's metric names and labels), [`review`] (the
//! AdmissionReview wire format).
//!
//! Differences from upstream, all deliberate: every request gets a freshly built response
//! (upstream can leak another request's UID); a workload request without an object is
//! allowed (upstream crashes); a review without `request` is an error, not a crash; objects
//! are decoded into the fields admission reads, so a wrongly typed field that no check reads
//! is accepted where upstream's Go types would reject the object.

pub mod config;
pub mod decode;
mod engine;
pub mod extension;
mod field_error;
pub mod labels;
pub mod lookup;
pub mod metrics;
pub mod mutate;
mod policy;
mod request;
mod response;
pub mod review;

pub use engine::{Admission, Limits, Trace};
pub use field_error::{FieldError, FieldErrorKind, aggregate};
pub use lookup::{
    ListedPod, LookupError, NamespaceGetter, PodLister, StaticNamespaces, StaticPods,
};
pub use metrics::{CountingRecorder, Decision, NoopRecorder, Recorder};
pub use policy::{Mode, Policy, equivalent};
pub use request::{GroupVersionKind, GroupVersionResource, Operation, Request, ResourceClass};
pub use response::{Response, Status, StatusCause, StatusDetails, annotation};

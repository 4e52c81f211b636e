//! # podsec-policy
//!
//! The Kubernetes [Pod Security Standards] checks, exactly as upstream's Pod Security
//! Admission evaluates them: every check, every version, and messages byte-identical to
//! `k8s.io/pod-security-admission`.
//!
//! Pure: no I/O, no async, no Kubernetes client. Pods come in through a lean model of the
//! fields the checks read ([`model`]), deserializable from JSON or YAML with serde, or
//! converted from `k8s-openapi` types with the `k8s-openapi` feature.
//!
//! ```
//! use podsec_policy::{evaluate, Level, LevelVersion, Version};
//! use podsec_policy::model::{Container, PodMetadata, PodSpec};
//!
//! let spec = PodSpec {
//!     containers: vec![Container { name: "nginx".into(), ..Container::default() }],
//!     ..PodSpec::default()
//! };
//! let policy = LevelVersion::new(Level::Restricted, Version::v1(7));
//! let result = evaluate(policy, &PodMetadata::default(), &spec);
//! assert_eq!(
//!     result.forbidden_detail(),
//!     r#"runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true)"#
//! );
//! ```
//!
//! Layout: one module per check under [`checks`], the [`Registry`] that orders them per
//! level and version, the container [`visitor`], and the message helpers in [`text`].
//!
//! [Pod Security Standards]: https://kubernetes.io/docs/concepts/security/pod-security-standards/

pub mod apiserver;
pub mod checks;
pub mod defaults;
mod evaluate;
pub mod fix;
#[cfg(feature = "k8s-openapi")]
pub mod k8s;
mod level;
pub mod model;
mod registry;
pub mod text;
mod version;
mod violation;
pub mod visitor;

pub use evaluate::{Evaluation, LevelVersion, evaluate};
pub use level::{Level, ParseLevelError};
pub use registry::{Registry, RegistryError, ResolvedCheck};
pub use version::{ParseVersionError, Version};
pub use violation::{CheckId, Finding, FindingKind, Forbidden, Violation};

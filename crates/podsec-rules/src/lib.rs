//! # podsec-rules
//!
//! podsec's opt-in policy, the `podsec.dev/v1alpha1` `PodsecPolicy` kind: what the built-in
//! Pod Security Admission controller cannot express. Nothing in it is active unless written;
//! [`PodsecPolicy::default`] (or a document with no sections) changes no answer.
//!
//! * **Image rules** (`images`): allowed registries and repositories, `requireDigest`,
//!   denied tags, per namespace selector, each in `enforce`, `warn` or `audit` mode.
//! * **Fine-grained exemptions** (`exemptions`): exempt named Pod Security checks for pods
//!   selected by namespace, namespace labels, pod labels, service account or image, until an
//!   optional expiry.
//! * **Secure defaults** (`secureDefaults`): the namespaces where the mutating webhook fills
//!   unset security fields, and the target level.
//!
//! Pure: no I/O, no async, no clock reads (the caller passes `now`). Globs and selectors are
//! compiled at [`load`]; evaluation allocates nothing for a pod that violates nothing.
//!
//! ## The document
//!
//! ```yaml
//! apiVersion: podsec.dev/v1alpha1
//! kind: PodsecPolicy
//! images:
//! - name: trusted-registries      # required, unique, [a-z0-9-]{1,63}: the metrics label
//!   mode: enforce                 # enforce (default) | warn | audit
//!   namespaceSelector:            # a Kubernetes LabelSelector; absent: every namespace
//!     matchLabels: {team: shop}
//!   allowedRegistries: [registry.example.com, "*.gcr.io"]   # globs on host[:port]
//!   allowedRepositories: ["registry.example.com/team/*"]    # globs on registry/path
//!   requireDigest: true
//!   deniedTags: [latest, ""]      # "" = neither tag nor digest written (implicitly latest)
//! exemptions:
//! - name: node-exporter-host      # required, unique
//!   checks: [hostPorts, hostNamespaces]   # required, upstream check IDs
//!   namespaceSelector: {matchLabels: {team: monitoring}}
//!   namespaces: [monitoring]
//!   podSelector: {matchLabels: {app: node-exporter}}
//!   serviceAccounts: [node-exporter]      # names in the pod's namespace
//!   images: ["quay.io/prometheus/node-exporter"]   # every container must match one
//!   expires: "2027-01-31"         # the end of that day UTC, or an RFC 3339 timestamp
//! secureDefaults:
//!   namespaceSelector: {matchLabels: {podsec.dev/secure-defaults: enabled}}   # required
//!   level: restricted             # baseline | restricted (default restricted)
//!   version: latest               # latest (default) | v1.N
//!   runAsUser: 10001              # optional default UID, used to satisfy runAsNonRoot
//!   assumeNonRootImages: false    # set runAsNonRoot: true without a UID
//! ```
//!
//! ### Image rules
//!
//! Every rule whose `namespaceSelector` matches the pod's namespace checks every container
//! image (init, regular, ephemeral). Images are parsed and normalised as the container
//! runtime does ([`image`]): `nginx` is `docker.io/library/nginx:latest`.
//! * `allowedRegistries`: globs (`*` any run of characters, `?` one character) on the
//!   registry with its port: `registry.example.com`, `*.gcr.io`, `localhost:5000`. Docker
//!   Hub is `docker.io`.
//! * `allowedRepositories`: globs on the normalised name `registry/path`:
//!   `registry.example.com/team/*`, `docker.io/library/nginx`. Write names normalised
//!   (`docker.io/library/...`, not `nginx`).
//! * `requireDigest: true`: every image carries `@sha256:...`.
//! * `deniedTags`: written tags to refuse; `""` refuses references with neither tag nor
//!   digest.
//!
//! A rule must constrain something. The messages are listed in [`evaluate`]; the server
//! turns enforced ones into `pods "x" is forbidden: violates podsec image policy: container
//! "c" image "docker.io/library/x:latest" is not from an allowed registry (allowed:
//! registry.example.com)` and warn / audit ones into `would violate podsec image policy:
//! ...`.
//!
//! ### Exemptions
//!
//! An exemption applies when every selector it gives matches (it must give at least one of
//! `namespaceSelector`, `namespaces`, `podSelector`, `serviceAccounts`, `images`) and it has
//! not expired; its `checks` (Pod Security check IDs as upstream spells them, e.g.
//! `hostPorts`, `runAsNonRoot`; see `podsec_policy::checks`) are then exempt for that pod.
//! [`evaluate::exempt_checks`] maps each exempted check to the exemption's name, for the
//! audit annotations. Note that some rules are split in a baseline and a restricted check
//! (`capabilities_baseline` / `capabilities_restricted`... see `podsec_policy::checks::ALL`):
//! exempt each ID that applies.
//!
//! ### Secure defaults
//!
//! [`evaluate::secure_defaults`] returns the section when the namespace's labels match its
//! required `namespaceSelector` (`{}` selects every namespace). The patch itself is the
//! server's (built on `podsec_policy::fix`).
//!
//! ### Validation
//!
//! [`load`] is strict and reports every error with its field path, e.g.
//! `images[1].allowedRegistries[0]: invalid glob "[": '[' is not supported (only * and ? are
//! wildcards)` or `exemptions[0].checks[2]: unknown check "hostPort" (checks:
//! allowPrivilegeEscalation, ...)`. The full list is in [`config`].
//!
//! ## Example
//!
//! ```
//! use std::collections::BTreeMap;
//! use podsec_policy::model::{Container, PodSpec};
//!
//! let policy = podsec_rules::load(br#"
//! apiVersion: podsec.dev/v1alpha1
//! kind: PodsecPolicy
//! images:
//! - name: trusted-registries
//!   allowedRegistries: [registry.example.com]
//! "#).expect("valid policy");
//! let spec = PodSpec {
//!     containers: vec![Container { name: "c".into(), image: "x".into(), ..Container::default() }],
//!     ..PodSpec::default()
//! };
//! let violations = podsec_rules::evaluate::images(&policy, &BTreeMap::new(), &spec);
//! let refs: Vec<_> = violations.iter().collect();
//! assert_eq!(
//!     podsec_rules::evaluate::enforce_message(&refs),
//!     r#"violates podsec image policy: container "c" image "docker.io/library/x:latest" is not from an allowed registry (allowed: registry.example.com)"#
//! );
//! ```

pub mod config;
pub mod evaluate;
pub mod glob;
pub mod image;
pub mod selector;
mod time;
mod tree;

pub use config::{
    API_VERSION, Exemption, ImageRule, KIND, Mode, PodsecPolicy, PolicyError, SecureDefaults,
    from_value, load,
};
pub use evaluate::ImageViolation;
pub use glob::{Glob, GlobError};
pub use image::{ImageError, ImageRef};
pub use selector::{LabelSelector, Operator, Requirement};
pub use time::Expiry;
pub use tree::FieldError;

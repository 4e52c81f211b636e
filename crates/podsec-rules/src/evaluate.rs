//! Evaluating a [`PodsecPolicy`] against a pod: image rules, exemptions, secure defaults.
//!
//! # Image rule messages
//!
//! Each violation is one phrase about one container (init containers, then containers, then
//! ephemeral containers, each in spec order), with names and images quoted like Go's `%q`:
//!
//! | Violation | Message |
//! |---|---|
//! | registry not allowed | `container "c" image "docker.io/library/nginx:latest" is not from an allowed registry (allowed: registry.example.com, *.gcr.io)` |
//! | repository not allowed | `container "c" image "registry.example.com/other/app:1" is not from an allowed repository (allowed: registry.example.com/team/*)` |
//! | `requireDigest` | `container "c" image "docker.io/library/x:1" is not pinned by digest` |
//! | denied tag | `container "c" image "docker.io/library/x:latest" uses denied tag "latest"` |
//! | denied `""` | `container "c" image "docker.io/library/x" has no tag` |
//! | unparseable | `container "c" image "Bad//Name" is not a valid image reference: invalid reference format` |
//!
//! Images are quoted in their normalised form (`nginx` → `docker.io/library/nginx:latest`),
//! except in `has no tag` (the name without the implied tag) and `is not a valid image
//! reference` (as written). One container can give several phrases (registry, repository,
//! digest, tag, in that order). Violations are ordered by rule (file order), then container.
//!
//! [`image_message`] joins phrases with `, `; [`enforce_message`] prefixes it with
//! `violates podsec image policy: ` (the server puts `pods "x" is forbidden: ` in front, as
//! Pod Security does) and [`warn_message`] with `would violate podsec image policy: `.
//!
//! # Denied tags
//!
//! A denied tag matches a *written* tag exactly (`nginx:latest` uses the tag `latest`, `nginx`
//! does not). `""` matches a reference with neither tag nor digest, which the runtime pulls as
//! `latest`; a digest-only reference (`nginx@sha256:...`) has no tag but is pinned, and does
//! not match `""`. A tag written beside a digest is still checked.
//!
//! # Exemptions
//!
//! An exemption applies to a pod when it has not expired and every selector it gives
//! matches: `namespaceSelector` on the namespace's labels, `namespaces` on its name,
//! `podSelector` on the pod's labels, `serviceAccounts` on `spec.serviceAccountName`
//! (empty means `default`, as the ServiceAccount admission plugin sets it), and `images`:
//! every container's image (init, regular, ephemeral) must match one of the globs, tried on
//! the normalised name (`quay.io/prometheus/node-exporter`, so a glob without tag matches
//! every tag and digest), on `name:tag` (with an implied `latest`), on `name@digest`, and on
//! the full form. An unparseable image matches nothing.

use std::collections::BTreeMap;
use std::time::SystemTime;

use podsec_policy::CheckId;
use podsec_policy::model::{Container, PodMetadata, PodSpec};
use podsec_policy::text::push_go_quote;

use crate::config::{Exemption, ImageRule, Mode, PodsecPolicy, SecureDefaults};
use crate::glob::Glob;
use crate::image::{Normalized, Parts};

/// One image rule violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageViolation {
    /// The rule's name.
    pub rule: String,
    /// The rule's mode.
    pub mode: Mode,
    /// The phrase, e.g. `container "c" image "docker.io/library/x:1" is not pinned by digest`.
    pub message: String,
}

/// Containers in upstream's order: init containers, containers, ephemeral containers.
fn all_containers(spec: &PodSpec) -> impl Iterator<Item = &Container> {
    spec.init_containers
        .iter()
        .chain(&spec.containers)
        .chain(&spec.ephemeral_containers)
}

/// The image rules whose namespace selector matches `namespace_labels`, in file order.
pub fn active_rules<'p>(
    policy: &'p PodsecPolicy,
    namespace_labels: &'p BTreeMap<String, String>,
) -> impl Iterator<Item = &'p ImageRule> {
    policy.images.iter().filter(move |rule| {
        rule.namespace_selector
            .as_ref()
            .is_none_or(|s| s.matches(namespace_labels))
    })
}

/// The image rule violations of a pod in a namespace with `namespace_labels`: by rule (file
/// order), then by container. Empty (and no allocation) when everything is allowed.
pub fn images(
    policy: &PodsecPolicy,
    namespace_labels: &BTreeMap<String, String>,
    spec: &PodSpec,
) -> Vec<ImageViolation> {
    if policy.images.is_empty() {
        return Vec::new();
    }
    // Which rules apply, computed once (the first 64 in a mask, the rest on demand).
    let mut mask = 0u64;
    for (i, rule) in policy.images.iter().enumerate().take(64) {
        if rule
            .namespace_selector
            .as_ref()
            .is_none_or(|s| s.matches(namespace_labels))
        {
            mask |= 1 << i;
        }
    }
    let applies = |i: usize, rule: &ImageRule| {
        if i < 64 {
            mask & (1 << i) != 0
        } else {
            rule.namespace_selector
                .as_ref()
                .is_none_or(|s| s.matches(namespace_labels))
        }
    };
    if mask == 0 && policy.images.len() <= 64 {
        return Vec::new();
    }
    let mut found: Vec<(usize, ImageViolation)> = Vec::new();
    for container in all_containers(spec) {
        match Parts::parse(&container.image) {
            Ok(parts) => {
                let n = Normalized::new(&container.image, &parts);
                for (i, rule) in policy.images.iter().enumerate() {
                    if applies(i, rule) {
                        check_rule(rule, container, &parts, &n, |message| {
                            found.push((i, violation(rule, message)));
                        });
                    }
                }
            }
            Err(e) => {
                for (i, rule) in policy.images.iter().enumerate() {
                    if applies(i, rule) {
                        let mut message = phrase_start(&container.name, &container.image);
                        message.push_str(" is not a valid image reference: ");
                        message.push_str(&e.to_string());
                        found.push((i, violation(rule, message)));
                    }
                }
            }
        }
    }
    // Stable: containers stay in order inside each rule.
    found.sort_by_key(|(i, _)| *i);
    found.into_iter().map(|(_, v)| v).collect()
}

fn violation(rule: &ImageRule, message: String) -> ImageViolation {
    ImageViolation {
        rule: rule.name.clone(),
        mode: rule.mode,
        message,
    }
}

/// `container "c" image "i"`.
fn phrase_start(container: &str, image: &str) -> String {
    let mut s = String::with_capacity(container.len() + image.len() + 80);
    s.push_str("container ");
    push_go_quote(&mut s, container);
    s.push_str(" image ");
    push_go_quote(&mut s, image);
    s
}

fn allowed_list(globs: &[Glob]) -> String {
    let mut s = String::new();
    for (i, g) in globs.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(g.as_str());
    }
    s
}

fn check_rule(
    rule: &ImageRule,
    container: &Container,
    parts: &Parts<'_>,
    n: &Normalized<'_>,
    mut report: impl FnMut(String),
) {
    if !rule.allowed_registries.is_empty()
        && !rule
            .allowed_registries
            .iter()
            .any(|g| g.matches(n.registry()))
    {
        let mut m = phrase_start(&container.name, n.full());
        m.push_str(" is not from an allowed registry (allowed: ");
        m.push_str(&allowed_list(&rule.allowed_registries));
        m.push(')');
        report(m);
    }
    if !rule.allowed_repositories.is_empty()
        && !rule
            .allowed_repositories
            .iter()
            .any(|g| g.matches(n.name()))
    {
        let mut m = phrase_start(&container.name, n.full());
        m.push_str(" is not from an allowed repository (allowed: ");
        m.push_str(&allowed_list(&rule.allowed_repositories));
        m.push(')');
        report(m);
    }
    if rule.require_digest && parts.digest.is_none() {
        let mut m = phrase_start(&container.name, n.full());
        m.push_str(" is not pinned by digest");
        report(m);
    }
    for denied in &rule.denied_tags {
        match parts.tag {
            Some(tag) if tag == denied => {
                let mut m = phrase_start(&container.name, n.full());
                m.push_str(" uses denied tag ");
                push_go_quote(&mut m, tag);
                report(m);
            }
            None if denied.is_empty() && parts.digest.is_none() => {
                let mut m = phrase_start(&container.name, n.name());
                m.push_str(" has no tag");
                report(m);
            }
            _ => {}
        }
    }
}

/// The phrases joined with `, `.
pub fn image_message(violations: &[&ImageViolation]) -> String {
    let mut s = String::new();
    for (i, v) in violations.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&v.message);
    }
    s
}

/// The denial text of enforced violations: `violates podsec image policy: <phrases>`.
pub fn enforce_message(violations: &[&ImageViolation]) -> String {
    format!(
        "violates podsec image policy: {}",
        image_message(violations)
    )
}

/// The warning or audit text: `would violate podsec image policy: <phrases>`.
pub fn warn_message(violations: &[&ImageViolation]) -> String {
    format!(
        "would violate podsec image policy: {}",
        image_message(violations)
    )
}

/// The Pod Security checks exempted for this pod: check → the first matching exemption's
/// name (file order). Expired exemptions (at `now`) are skipped.
pub fn exempt_checks(
    policy: &PodsecPolicy,
    now: SystemTime,
    namespace: &str,
    namespace_labels: &BTreeMap<String, String>,
    metadata: &PodMetadata,
    spec: &PodSpec,
) -> BTreeMap<CheckId, String> {
    let mut exempt = BTreeMap::new();
    for exemption in matching_exemptions(policy, now, namespace, namespace_labels, metadata, spec) {
        for &check in &exemption.checks {
            exempt
                .entry(check)
                .or_insert_with(|| exemption.name.clone());
        }
    }
    exempt
}

/// The exemptions that apply to this pod, in file order.
pub fn matching_exemptions<'p>(
    policy: &'p PodsecPolicy,
    now: SystemTime,
    namespace: &'p str,
    namespace_labels: &'p BTreeMap<String, String>,
    metadata: &'p PodMetadata,
    spec: &'p PodSpec,
) -> impl Iterator<Item = &'p Exemption> {
    policy
        .exemptions
        .iter()
        .filter(move |e| exemption_matches(e, now, namespace, namespace_labels, metadata, spec))
}

fn exemption_matches(
    e: &Exemption,
    now: SystemTime,
    namespace: &str,
    namespace_labels: &BTreeMap<String, String>,
    metadata: &PodMetadata,
    spec: &PodSpec,
) -> bool {
    if e.expires.as_ref().is_some_and(|x| !x.is_active(now)) {
        return false;
    }
    if !e.namespaces.is_empty()
        && e.namespaces
            .binary_search_by(|n| n.as_str().cmp(namespace))
            .is_err()
    {
        return false;
    }
    if e.namespace_selector
        .as_ref()
        .is_some_and(|s| !s.matches(namespace_labels))
    {
        return false;
    }
    if !e.service_accounts.is_empty() {
        let account = match spec.service_account_name.as_deref() {
            None | Some("") => "default",
            Some(name) => name,
        };
        if e.service_accounts
            .binary_search_by(|n| n.as_str().cmp(account))
            .is_err()
        {
            return false;
        }
    }
    if e.pod_selector
        .as_ref()
        .is_some_and(|s| !s.matches(&metadata.labels))
    {
        return false;
    }
    if !e.images.is_empty() {
        let mut any = false;
        for container in all_containers(spec) {
            any = true;
            if !image_matches(&e.images, &container.image) {
                return false;
            }
        }
        return any;
    }
    true
}

/// Whether `image` matches one of `globs` in one of its normalised forms.
pub(crate) fn image_matches(globs: &[Glob], image: &str) -> bool {
    let Ok(parts) = Parts::parse(image) else {
        return false;
    };
    let n = Normalized::new(image, &parts);
    globs.iter().any(|g| {
        g.matches(n.name())
            || n.name_tag().is_some_and(|t| g.matches(t))
            || g.matches(n.full())
            || (n.has_tag_and_digest() && n.name_digest().is_some_and(|d| g.matches(&d)))
    })
}

/// The secure defaults, when configured and the namespace opts in.
pub fn secure_defaults<'p>(
    policy: &'p PodsecPolicy,
    namespace_labels: &BTreeMap<String, String>,
) -> Option<&'p SecureDefaults> {
    policy
        .secure_defaults
        .as_ref()
        .filter(|d| d.namespace_selector.matches(namespace_labels))
}

//! The `PodsecPolicy` kind: schema, strict validation and the compiled form.
//!
//! ```yaml
//! apiVersion: podsec.dev/v1alpha1
//! kind: PodsecPolicy
//! images:                  # image rules, evaluated in order
//! - name: trusted-registries            # required, unique, [a-z0-9-]{1,63}
//!   mode: enforce                       # enforce (default) | warn | audit
//!   namespaceSelector:                  # absent: every namespace
//!     matchLabels: {team: shop}
//!   allowedRegistries: [registry.example.com, "*.gcr.io"]
//!   allowedRepositories: ["registry.example.com/team/*"]
//!   requireDigest: true
//!   deniedTags: [latest, ""]
//! exemptions:
//! - name: node-exporter-host            # required, unique, [a-z0-9-]{1,63}
//!   checks: [hostPorts, hostNamespaces] # required, upstream check IDs
//!   namespaces: [monitoring]
//!   serviceAccounts: [node-exporter]
//!   images: ["quay.io/prometheus/node-exporter"]
//!   expires: "2027-01-31"
//! secureDefaults:
//!   namespaceSelector: {matchLabels: {podsec.dev/secure-defaults: enabled}}
//!   level: restricted
//!   version: latest
//!   runAsUser: 10001
//!   assumeNonRootImages: false
//! ```
//!
//! Every section and field is optional except where noted; [`PodsecPolicy::default`] is the
//! empty policy and changes nothing. See the crate documentation for the meaning of each
//! field; this module documents the validation.
//!
//! # Validation
//!
//! [`load`] reads one YAML or JSON document (input whose first non-blank character is `{` is
//! JSON) and rejects, each with its field path (`images[1].allowedRegistries[0]: ...`):
//! * unknown fields, wrong types, a missing or other `apiVersion` / `kind`;
//! * YAML duplicate keys and several documents;
//! * rule and exemption names that are missing, not `[a-z0-9-]{1,63}` (starting and ending
//!   with a letter or digit), or used twice in their section;
//! * an image rule without any constraint (no `allowedRegistries`, `allowedRepositories`,
//!   `requireDigest: true` or `deniedTags`), and empty `allowedRegistries` /
//!   `allowedRepositories` lists;
//! * globs with characters other than literal text, `*` and `?` (`[`, `]`, `{`, `}`, `\`),
//!   registry patterns with a `/`, denied tags that are neither `""` nor a valid tag;
//! * exemptions without `checks`, with an unknown check ID (the message lists the IDs), or
//!   with none of `namespaceSelector`, `namespaces`, `podSelector`, `serviceAccounts`,
//!   `images`; invalid namespace or service account names; an `expires` that is neither a
//!   date (`2027-01-31`, meaning the end of that day, UTC) nor an RFC 3339 timestamp;
//! * label selectors with invalid keys or values, unknown operators, values given to
//!   `Exists` / `DoesNotExist` or missing for `In` / `NotIn`;
//! * `secureDefaults` without `namespaceSelector`, a level other than `baseline` /
//!   `restricted`, a version other than `latest` / `v1.N`, a `runAsUser` outside
//!   `1..=2147483647`.
//!
//! All errors are collected; the [`PolicyError`] Display joins them with `; `.

use std::collections::BTreeSet;

use podsec_policy::checks;
use podsec_policy::text::go_quote;
use podsec_policy::{CheckId, Level, Version};
use serde_json::Value;

use crate::glob::Glob;
use crate::selector::LabelSelector;
use crate::time::Expiry;
use crate::tree::{self, Errors, FieldError, field, index, join};

/// The `apiVersion` of the kind.
pub const API_VERSION: &str = "podsec.dev/v1alpha1";
/// The `kind`.
pub const KIND: &str = "PodsecPolicy";

/// What a rule does with a violation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Deny the pod.
    #[default]
    Enforce,
    /// Allow it with a warning to the client.
    Warn,
    /// Allow it and record the violation in the audit annotations.
    Audit,
}

impl Mode {
    /// `enforce`, `warn` or `audit` (the metrics label).
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An image rule (`images[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRule {
    /// The rule's name (unique, the metrics label).
    pub name: String,
    /// What a violation does.
    pub mode: Mode,
    /// The namespaces the rule applies to; `None`: every namespace.
    pub namespace_selector: Option<LabelSelector>,
    /// Globs on the registry (`host[:port]`); empty: any registry.
    pub allowed_registries: Vec<Glob>,
    /// Globs on the normalised name (`registry/path`); empty: any repository.
    pub allowed_repositories: Vec<Glob>,
    /// Every image must carry a digest.
    pub require_digest: bool,
    /// Denied tags; `""` denies references with neither tag nor digest.
    pub denied_tags: Vec<String>,
}

/// A fine-grained Pod Security exemption (`exemptions[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemption {
    /// The exemption's name (unique).
    pub name: String,
    /// The exempted checks (upstream IDs, deduplicated, in the order written).
    pub checks: Vec<CheckId>,
    /// Namespaces by labels.
    pub namespace_selector: Option<LabelSelector>,
    /// Namespaces by name; empty: not constrained.
    pub namespaces: Vec<String>,
    /// Pods by labels.
    pub pod_selector: Option<LabelSelector>,
    /// Pods by service account name; empty: not constrained.
    pub service_accounts: Vec<String>,
    /// Globs every container image must match; empty: not constrained.
    pub images: Vec<Glob>,
    /// When the exemption stops applying.
    pub expires: Option<Expiry>,
}

/// The mutating webhook's secure defaults (`secureDefaults`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecureDefaults {
    /// The namespaces that opt in (required; `{}` selects every namespace).
    pub namespace_selector: LabelSelector,
    /// The target level: `Baseline` or `Restricted` (default).
    pub level: Level,
    /// The target version (default `latest`).
    pub version: Version,
    /// A default UID (never 0), set when the pod and container give none, to satisfy
    /// `runAsNonRoot`.
    pub run_as_user: Option<i64>,
    /// Set `runAsNonRoot: true` even without a UID, trusting images to run as non-root.
    pub assume_non_root_images: bool,
}

/// A loaded `PodsecPolicy`; the default is the empty policy (nothing active).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodsecPolicy {
    /// Image rules, in file order.
    pub images: Vec<ImageRule>,
    /// Exemptions, in file order.
    pub exemptions: Vec<Exemption>,
    /// Secure defaults, when configured.
    pub secure_defaults: Option<SecureDefaults>,
}

impl PodsecPolicy {
    /// Whether nothing is configured.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty() && self.exemptions.is_empty() && self.secure_defaults.is_none()
    }
}

/// Why a policy document was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The bytes are not one YAML or JSON document.
    #[error("{0}")]
    Syntax(String),
    /// The document does not follow the schema: every error with its field path.
    #[error("{}", join_errors(.0))]
    Invalid(Vec<FieldError>),
}

fn join_errors(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Reads and validates one `PodsecPolicy` document (YAML or JSON).
pub fn load(bytes: &[u8]) -> Result<PodsecPolicy, PolicyError> {
    let value = parse_document(bytes)?;
    from_value(&value)
}

/// Validates an already parsed document (e.g. one document of a multi-document file).
pub fn from_value(value: &Value) -> Result<PodsecPolicy, PolicyError> {
    let mut errors = Errors::default();
    let policy = read_policy(value, &mut errors);
    if errors.0.is_empty() {
        Ok(policy)
    } else {
        Err(PolicyError::Invalid(errors.0))
    }
}

fn parse_document(bytes: &[u8]) -> Result<Value, PolicyError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| PolicyError::Syntax(format!("the policy is not UTF-8: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| PolicyError::Syntax(format!("json: {e}")))
    } else {
        let value: Value =
            serde_saphyr::from_str(text).map_err(|e| PolicyError::Syntax(format!("yaml: {e}")))?;
        Ok(value)
    }
}

const TOP_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "images",
    "exemptions",
    "secureDefaults",
];
const RULE_FIELDS: &[&str] = &[
    "name",
    "mode",
    "namespaceSelector",
    "allowedRegistries",
    "allowedRepositories",
    "requireDigest",
    "deniedTags",
];
const EXEMPTION_FIELDS: &[&str] = &[
    "name",
    "checks",
    "namespaceSelector",
    "namespaces",
    "podSelector",
    "serviceAccounts",
    "images",
    "expires",
];
const DEFAULTS_FIELDS: &[&str] = &[
    "namespaceSelector",
    "level",
    "version",
    "runAsUser",
    "assumeNonRootImages",
];

fn read_policy(value: &Value, errors: &mut Errors) -> PodsecPolicy {
    let mut policy = PodsecPolicy::default();
    let Some(map) = tree::object(value, "", TOP_FIELDS, errors) else {
        return policy;
    };
    for (name, want) in [("apiVersion", API_VERSION), ("kind", KIND)] {
        match field(map, name).map(|v| tree::string(v, name, errors)) {
            None => errors.push(name, format!("required: {}", go_quote(want))),
            Some(Some(have)) if have != want => errors.push(
                name,
                format!("must be {}, got {}", go_quote(want), go_quote(have)),
            ),
            Some(_) => {}
        }
    }
    if let Some(rules) = field(map, "images") {
        let mut names = BTreeSet::new();
        for (i, rule) in tree::list(rules, "images", errors)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let path = index("images", i);
            if let Some(rule) = read_rule(rule, &path, &mut names, errors) {
                policy.images.push(rule);
            }
        }
    }
    if let Some(exemptions) = field(map, "exemptions") {
        let mut names = BTreeSet::new();
        for (i, exemption) in tree::list(exemptions, "exemptions", errors)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let path = index("exemptions", i);
            if let Some(exemption) = read_exemption(exemption, &path, &mut names, errors) {
                policy.exemptions.push(exemption);
            }
        }
    }
    if let Some(defaults) = field(map, "secureDefaults") {
        policy.secure_defaults = read_defaults(defaults, "secureDefaults", errors);
    }
    policy
}

/// The required, unique `name`.
fn read_name(
    map: &serde_json::Map<String, Value>,
    path: &str,
    names: &mut BTreeSet<String>,
    errors: &mut Errors,
) -> Option<String> {
    let path = join(path, "name");
    let Some(name) = field(map, "name") else {
        errors.push(path, "required");
        return None;
    };
    let name = tree::string(name, &path, errors)?;
    if !is_dns_label(name) {
        errors.push(
            path,
            format!(
                "invalid name {}: 1-63 lower-case letters, digits or '-', starting and ending with a letter or digit",
                go_quote(name)
            ),
        );
        return None;
    }
    if !names.insert(name.to_owned()) {
        errors.push(path, format!("duplicate name {}", go_quote(name)));
        return None;
    }
    Some(name.to_owned())
}

fn read_selector(
    map: &serde_json::Map<String, Value>,
    path: &str,
    name: &str,
    errors: &mut Errors,
) -> Option<LabelSelector> {
    field(map, name).and_then(|v| LabelSelector::read(v, &join(path, name), errors))
}

fn read_globs(
    map: &serde_json::Map<String, Value>,
    path: &str,
    name: &str,
    errors: &mut Errors,
    extra: impl Fn(&str) -> Result<(), String>,
) -> Option<Vec<Glob>> {
    let list = field(map, name)?;
    let path = join(path, name);
    let mut globs = Vec::new();
    let items = tree::strings(list, &path, errors);
    if items.is_empty() && list.is_array() {
        errors.push(
            &path,
            "must not be empty (omit the field to allow everything)",
        );
    }
    for (i, pattern) in items {
        let item_path = index(&path, i);
        match Glob::new(pattern) {
            Ok(glob) => match extra(pattern) {
                Ok(()) => globs.push(glob),
                Err(message) => errors.push(item_path, message),
            },
            Err(e) => errors.push(
                item_path,
                format!("invalid glob {}: {e}", go_quote(pattern)),
            ),
        }
    }
    Some(globs)
}

fn read_rule(
    value: &Value,
    path: &str,
    names: &mut BTreeSet<String>,
    errors: &mut Errors,
) -> Option<ImageRule> {
    let before = errors.0.len();
    let map = tree::object(value, path, RULE_FIELDS, errors)?;
    let name = read_name(map, path, names, errors);
    let mode = match field(map, "mode") {
        None => Mode::Enforce,
        Some(v) => {
            let mode_path = join(path, "mode");
            match tree::string(v, &mode_path, errors) {
                Some("enforce") => Mode::Enforce,
                Some("warn") => Mode::Warn,
                Some("audit") => Mode::Audit,
                Some(other) => {
                    errors.push(
                        mode_path,
                        format!(
                            "unknown mode {} (modes: enforce, warn, audit)",
                            go_quote(other)
                        ),
                    );
                    Mode::Enforce
                }
                None => Mode::Enforce,
            }
        }
    };
    let namespace_selector = read_selector(map, path, "namespaceSelector", errors);
    let allowed_registries = read_globs(map, path, "allowedRegistries", errors, |pattern| {
        if pattern.contains('/') {
            Err(format!(
                "invalid registry {}: registries are host[:port] globs without a path (put paths in allowedRepositories)",
                go_quote(pattern)
            ))
        } else {
            Ok(())
        }
    });
    let allowed_repositories = read_globs(map, path, "allowedRepositories", errors, |_| Ok(()));
    let require_digest = field(map, "requireDigest")
        .and_then(|v| tree::boolean(v, &join(path, "requireDigest"), errors))
        .unwrap_or(false);
    let mut denied_tags = Vec::new();
    let denied = field(map, "deniedTags");
    if let Some(list) = denied {
        let tags_path = join(path, "deniedTags");
        let items = tree::strings(list, &tags_path, errors);
        if items.is_empty() && list.is_array() {
            errors.push(
                &tags_path,
                "must not be empty (omit the field to allow every tag)",
            );
        }
        for (i, tag) in items {
            let valid = tag.is_empty() || crate::image::Parts::parse(&format!("x:{tag}")).is_ok();
            if valid {
                if !denied_tags.iter().any(|t| t == tag) {
                    denied_tags.push(tag.to_owned());
                }
            } else {
                errors.push(
                    index(&tags_path, i),
                    format!("invalid tag {}: tags are [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}, or \"\" for no tag", go_quote(tag)),
                );
            }
        }
    }
    // Only for an otherwise valid rule: a field with an error was meant as a constraint.
    if errors.0.len() == before
        && allowed_registries.is_none()
        && allowed_repositories.is_none()
        && !require_digest
        && denied.is_none()
    {
        errors.push(
            path,
            "the rule constrains nothing: give allowedRegistries, allowedRepositories, requireDigest: true or deniedTags",
        );
    }
    if errors.0.len() != before {
        return None;
    }
    Some(ImageRule {
        name: name?,
        mode,
        namespace_selector,
        allowed_registries: allowed_registries.unwrap_or_default(),
        allowed_repositories: allowed_repositories.unwrap_or_default(),
        require_digest,
        denied_tags,
    })
}

/// The sorted list of every built-in check ID, for the unknown-check message.
fn known_checks() -> String {
    let mut ids: Vec<&str> = checks::ALL.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    ids.join(", ")
}

fn read_exemption(
    value: &Value,
    path: &str,
    names: &mut BTreeSet<String>,
    errors: &mut Errors,
) -> Option<Exemption> {
    let before = errors.0.len();
    let map = tree::object(value, path, EXEMPTION_FIELDS, errors)?;
    let name = read_name(map, path, names, errors);
    let mut ids = Vec::new();
    let checks_path = join(path, "checks");
    match field(map, "checks") {
        None => errors.push(&checks_path, "required: the IDs of the exempted checks"),
        Some(list) => {
            let items = tree::strings(list, &checks_path, errors);
            if items.is_empty() && list.is_array() {
                errors.push(&checks_path, "must not be empty");
            }
            for (i, id) in items {
                match checks::by_id(id) {
                    Some(check) => {
                        if !ids.contains(&check.id) {
                            ids.push(check.id);
                        }
                    }
                    None => errors.push(
                        index(&checks_path, i),
                        format!(
                            "unknown check {} (checks: {})",
                            go_quote(id),
                            known_checks()
                        ),
                    ),
                }
            }
        }
    }
    let namespace_selector = read_selector(map, path, "namespaceSelector", errors);
    let pod_selector = read_selector(map, path, "podSelector", errors);
    let namespaces = read_names(map, path, "namespaces", errors, is_dns_label, "namespace");
    let service_accounts = read_names(
        map,
        path,
        "serviceAccounts",
        errors,
        is_dns_subdomain,
        "service account",
    );
    let images = read_globs(map, path, "images", errors, |_| Ok(()));
    let expires = field(map, "expires").and_then(|v| {
        let expires_path = join(path, "expires");
        let text = tree::string(v, &expires_path, errors)?;
        match Expiry::parse(text) {
            Ok(expiry) => Some(expiry),
            Err(message) => {
                errors.push(expires_path, message);
                None
            }
        }
    });
    let selects = [
        "namespaceSelector",
        "namespaces",
        "podSelector",
        "serviceAccounts",
        "images",
    ]
    .iter()
    .any(|f| field(map, f).is_some());
    if !selects {
        errors.push(
            path,
            "the exemption selects every pod: give namespaceSelector, namespaces, podSelector, serviceAccounts or images",
        );
    }
    if errors.0.len() != before {
        return None;
    }
    Some(Exemption {
        name: name?,
        checks: ids,
        namespace_selector,
        namespaces: namespaces.unwrap_or_default(),
        pod_selector,
        service_accounts: service_accounts.unwrap_or_default(),
        images: images.unwrap_or_default(),
        expires,
    })
}

fn read_names(
    map: &serde_json::Map<String, Value>,
    path: &str,
    name: &str,
    errors: &mut Errors,
    valid: fn(&str) -> bool,
    what: &str,
) -> Option<Vec<String>> {
    let list = field(map, name)?;
    let path = join(path, name);
    let items = tree::strings(list, &path, errors);
    if items.is_empty() && list.is_array() {
        errors.push(&path, "must not be empty");
    }
    let mut names = Vec::new();
    for (i, item) in items {
        if valid(item) {
            names.push(item.to_owned());
        } else {
            errors.push(
                index(&path, i),
                format!("invalid {what} name {}", go_quote(item)),
            );
        }
    }
    names.sort_unstable();
    names.dedup();
    Some(names)
}

fn read_defaults(value: &Value, path: &str, errors: &mut Errors) -> Option<SecureDefaults> {
    let before = errors.0.len();
    let map = tree::object(value, path, DEFAULTS_FIELDS, errors)?;
    let namespace_selector = match field(map, "namespaceSelector") {
        Some(_) => read_selector(map, path, "namespaceSelector", errors),
        None => {
            errors.push(
                join(path, "namespaceSelector"),
                "required: the namespaces that opt in (e.g. matchLabels: {podsec.dev/secure-defaults: enabled})",
            );
            None
        }
    };
    let level = match field(map, "level") {
        None => Level::Restricted,
        Some(v) => {
            let level_path = join(path, "level");
            match tree::string(v, &level_path, errors) {
                Some("baseline") => Level::Baseline,
                Some("restricted") => Level::Restricted,
                Some(other) => {
                    errors.push(
                        level_path,
                        format!(
                            "invalid level {}: must be baseline or restricted",
                            go_quote(other)
                        ),
                    );
                    Level::Restricted
                }
                None => Level::Restricted,
            }
        }
    };
    let version = match field(map, "version") {
        None => Version::Latest,
        Some(v) => {
            let version_path = join(path, "version");
            match tree::string(v, &version_path, errors).map(|s| (s, s.parse::<Version>())) {
                Some((_, Ok(version))) => version,
                Some((s, Err(e))) => {
                    errors.push(
                        version_path,
                        format!("invalid version {}: {e}", go_quote(s)),
                    );
                    Version::Latest
                }
                None => Version::Latest,
            }
        }
    };
    let run_as_user = field(map, "runAsUser").and_then(|v| {
        let uid_path = join(path, "runAsUser");
        let uid = tree::integer(v, &uid_path, errors)?;
        if (1..=i64::from(i32::MAX)).contains(&uid) {
            Some(uid)
        } else {
            errors.push(
                uid_path,
                format!("invalid UID {uid}: must be between 1 and 2147483647 (0 is root)"),
            );
            None
        }
    });
    let assume_non_root_images = field(map, "assumeNonRootImages")
        .and_then(|v| tree::boolean(v, &join(path, "assumeNonRootImages"), errors))
        .unwrap_or(false);
    if errors.0.len() != before {
        return None;
    }
    Some(SecureDefaults {
        namespace_selector: namespace_selector?,
        level,
        version,
        run_as_user,
        assume_non_root_images,
    })
}

/// A DNS label (RFC 1123): 1-63 lower-case alphanumerics or `-`, alphanumeric at both ends.
fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// A DNS subdomain (RFC 1123): DNS labels joined by `.`, at most 253 characters.
fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

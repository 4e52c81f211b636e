//! Loading a PodSecurityConfiguration (upstream `admission/api/load`, spec §2.4) and finding
//! it in an API server AdmissionConfiguration (spec §2.5).
//!
//! Decoding follows apimachinery's strict universal decoder step by step:
//!
//! 1. JSON or YAML to a JSON tree (see the `tree` module); syntax errors stop here.
//! 2. `apiVersion` and `kind` are read like Go's `encoding/json` into an anonymous struct:
//!    keys match case-insensitively, the last one wins, non-string values are type errors
//!    (`couldn't get version/kind; json parse error: ...`). The apiVersion is split into group
//!    and version (`unexpected GroupVersion string: ...` for more than one `/`), then a missing
//!    kind and a missing version are reported, in that order.
//! 3. The group, version and kind must be registered, else
//!    `no kind "K" is registered for version "G/V" in scheme "pkg/runtime/scheme.go:100"`.
//! 4. The object is decoded case-sensitively. Values of the wrong JSON type are errors
//!    (`json: cannot unmarshal ...`, the first one wins); otherwise unknown and duplicate
//!    fields (and YAML duplicate keys, reported first) make one
//!    `strict decoding error: a, b` error.
//! 5. Defaulting (§2.3).

use std::io;
use std::path::{Path, PathBuf};

use super::tree::{self, Document, Value};
use super::{
    ADMISSION_GROUP, ADMISSION_KIND, ADMISSION_VERSIONS, ConfigError, Exemptions, GROUP, KIND,
    PLUGIN_NAME, PodSecurityConfiguration, PolicyDefaults, VERSIONS,
};

/// Loads a PodSecurityConfiguration from JSON or YAML bytes (upstream `LoadFromData`).
///
/// Zero bytes give the defaults ([`PodSecurityConfiguration::default`]); any other input must
/// be a complete `pod-security.admission.config.k8s.io` `PodSecurityConfiguration` object
/// (`v1`, `v1beta1` or `v1alpha1`). Whitespace- or comment-only input is therefore an error
/// (missing kind). Decoding is strict; `null` values count as absent. The result is
/// defaulted but not validated (see [`PodSecurityConfiguration::default_policy`] and
/// [`PodSecurityConfiguration::validate`]).
pub fn load(bytes: &[u8]) -> Result<PodSecurityConfiguration, ConfigError> {
    if bytes.is_empty() {
        return Ok(PodSecurityConfiguration::default());
    }
    let document = tree::parse(bytes)?;
    let gvk = interpret(&document.value, bytes)?;
    decode_pod_security(&document, &gvk)
}

/// Reads and loads a PodSecurityConfiguration file (upstream `LoadFromFile`).
///
/// An empty path means "no file" and gives the defaults. Read errors name the path, e.g.
/// `open /etc/psa.yaml: no such file or directory`.
pub fn load_file(path: &Path) -> Result<PodSecurityConfiguration, ConfigError> {
    if path.as_os_str().is_empty() {
        return Ok(PodSecurityConfiguration::default());
    }
    load(&read_fs(path)?)
}

/// Finds the configuration of the `PodSecurity` plugin in an `apiserver.config.k8s.io`
/// (`v1` or `v1alpha1`) `AdmissionConfiguration` and loads it.
///
/// The first plugin entry named exactly `PodSecurity` is used: its inline `configuration`
/// (re-serialized to JSON and given to [`load`], so it needs its own `apiVersion` and `kind`),
/// else the file named by its `path`, read through `read_file` (relative paths are resolved
/// against `base_dir`, the directory of the AdmissionConfiguration file, when given).
/// Without such an entry, or with neither field set, the result is the defaults.
///
/// The AdmissionConfiguration itself is decoded leniently, like the API server does (unknown
/// fields ignored, duplicate keys keep the last value); zero bytes are an error (missing kind).
pub fn load_admission_configuration(
    bytes: &[u8],
    base_dir: Option<&Path>,
    read_file: impl Fn(&Path) -> io::Result<Vec<u8>>,
) -> Result<PodSecurityConfiguration, ConfigError> {
    let document = tree::parse(bytes)?;
    let gvk = interpret(&document.value, bytes)?;
    decode_admission(&document, &gvk, base_dir, read_file)
}

/// Loads either a PodSecurityConfiguration ([`load`]) or an API server AdmissionConfiguration
/// ([`load_admission_configuration`]), chosen by the document's kind and group.
///
/// Zero bytes give the defaults. Documents that are not an `apiserver.config.k8s.io`
/// `AdmissionConfiguration` go through [`load`] and get its errors.
pub fn load_any(
    bytes: &[u8],
    base_dir: Option<&Path>,
    read_file: impl Fn(&Path) -> io::Result<Vec<u8>>,
) -> Result<PodSecurityConfiguration, ConfigError> {
    if bytes.is_empty() {
        return Ok(PodSecurityConfiguration::default());
    }
    let document = tree::parse(bytes)?;
    let gvk = interpret(&document.value, bytes)?;
    if gvk.kind == ADMISSION_KIND && gvk.group == ADMISSION_GROUP {
        decode_admission(&document, &gvk, base_dir, read_file)
    } else {
        decode_pod_security(&document, &gvk)
    }
}

/// Reads a file with [`std::fs::read`] and loads it with [`load_any`], resolving plugin paths
/// against the file's directory. An empty path gives the defaults.
pub fn load_any_file(path: &Path) -> Result<PodSecurityConfiguration, ConfigError> {
    if path.as_os_str().is_empty() {
        return Ok(PodSecurityConfiguration::default());
    }
    let bytes = read_fs(path)?;
    load_any(&bytes, path.parent(), |p| std::fs::read(p))
}

fn read_fs(path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })
}

// ---------------------------------------------------------------------------------------------
// Type metadata

/// Group, version and kind of a document.
#[derive(Debug)]
struct Gvk {
    group: String,
    version: String,
    kind: String,
}

/// Go's `reflect.Type` string of the anonymous struct apimachinery reads type metadata into.
const FIND_KIND_TYPE: &str = r#"struct { APIVersion string "json:\"apiVersion,omitempty\""; Kind string "json:\"kind,omitempty\"" }"#;

/// apimachinery's `SimpleMetaFactory.Interpret` followed by the missing kind / version checks.
fn interpret(value: &Value, raw: &[u8]) -> Result<Gvk, ConfigError> {
    let parse_error = |e: String| {
        ConfigError::Syntax(format!("couldn't get version/kind; json parse error: {e}"))
    };
    let mut api_version = String::new();
    let mut kind = String::new();
    match value {
        Value::Null => {}
        Value::Object(entries) => {
            let mut first_error = None;
            for (key, value) in entries {
                let (field, slot) = if go_fold_eq(key, "apiVersion") {
                    ("apiVersion", &mut api_version)
                } else if go_fold_eq(key, "kind") {
                    ("kind", &mut kind)
                } else {
                    continue;
                };
                match value {
                    Value::String(s) => s.clone_into(slot),
                    Value::Null => {}
                    other => {
                        first_error.get_or_insert_with(|| {
                            format!(
                                "json: cannot unmarshal {} into Go struct field .{field} of type string",
                                other.go_kind()
                            )
                        });
                    }
                }
            }
            if let Some(e) = first_error {
                return Err(parse_error(e));
            }
        }
        other => {
            return Err(parse_error(format!(
                "json: cannot unmarshal {} into Go value of type {FIND_KIND_TYPE}",
                other.go_kind()
            )));
        }
    }
    let (group, version) = parse_group_version(&api_version)?;
    let raw_text = || String::from_utf8_lossy(raw).into_owned();
    if kind.is_empty() {
        return Err(ConfigError::MissingKind { raw: raw_text() });
    }
    if version.is_empty() {
        return Err(ConfigError::MissingVersion { raw: raw_text() });
    }
    Ok(Gvk {
        group,
        version,
        kind,
    })
}

/// apimachinery's `schema.ParseGroupVersion`.
fn parse_group_version(api_version: &str) -> Result<(String, String), ConfigError> {
    if api_version.is_empty() || api_version == "/" {
        return Ok((String::new(), String::new()));
    }
    match api_version.split_once('/') {
        None => Ok((String::new(), api_version.to_owned())),
        Some((group, version)) if !version.contains('/') => {
            Ok((group.to_owned(), version.to_owned()))
        }
        Some(_) => Err(ConfigError::GroupVersion {
            api_version: api_version.to_owned(),
        }),
    }
}

/// Go `encoding/json` key matching: equal under simple Unicode case folding. `field` is ASCII;
/// besides ASCII case, `K` (U+212A KELVIN SIGN) folds to `k` and `ſ` (U+017F) to `s`.
fn go_fold_eq(key: &str, field: &str) -> bool {
    let mut key_chars = key.chars();
    for f in field.chars() {
        let Some(k) = key_chars.next() else {
            return false;
        };
        let matches = k.eq_ignore_ascii_case(&f)
            || (k == '\u{212a}' && f.eq_ignore_ascii_case(&'k'))
            || (k == '\u{17f}' && f.eq_ignore_ascii_case(&'s'));
        if !matches {
            return false;
        }
    }
    key_chars.next().is_none()
}

fn not_registered(gvk: &Gvk) -> ConfigError {
    ConfigError::NotRegistered {
        group: gvk.group.clone(),
        version: gvk.version.clone(),
        kind: gvk.kind.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// PodSecurityConfiguration

/// Strict decoding state: the first type error, and the strict errors in order.
struct Strict {
    /// Go package name of the version's types, e.g. `v1beta1`.
    package: &'static str,
    type_error: Option<String>,
    errors: Vec<String>,
}

impl Strict {
    fn type_error(&mut self, value: &Value, owner: &str, path: &str, go_type: &str) {
        self.type_error.get_or_insert_with(|| {
            format!(
                "json: cannot unmarshal {} into Go struct field {owner}.{path} of type {go_type}",
                value.go_kind()
            )
        });
    }

    /// Visits the entries of an object: duplicate keys and keys `known` rejects are strict
    /// errors named `<prefix><key>`.
    fn object(
        &mut self,
        entries: &[(String, Value)],
        prefix: &str,
        mut known: impl FnMut(&mut Self, &str, &Value) -> bool,
    ) {
        let mut seen: Vec<&str> = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            if seen.contains(&key.as_str()) {
                self.errors.push(format!(
                    "duplicate field {}",
                    quote(&format!("{prefix}{key}"))
                ));
            } else {
                seen.push(key);
            }
            if !known(self, key, value) {
                self.errors.push(format!(
                    "unknown field {}",
                    quote(&format!("{prefix}{key}"))
                ));
            }
        }
    }

    fn string(&mut self, slot: &mut String, value: &Value, owner: &str, path: &str) {
        match value {
            Value::String(s) => s.clone_into(slot),
            Value::Null => {}
            other => self.type_error(other, owner, path, "string"),
        }
    }

    fn string_list(&mut self, slot: &mut Vec<String>, value: &Value, path: &str) {
        const OWNER: &str = "PodSecurityExemptions";
        match value {
            Value::Null => slot.clear(),
            Value::Array(items) => {
                slot.clear();
                for item in items {
                    let mut s = String::new();
                    self.string(&mut s, item, OWNER, path);
                    slot.push(s);
                }
            }
            other => self.type_error(other, OWNER, path, "[]string"),
        }
    }

    fn defaults(&mut self, d: &mut PolicyDefaults, entries: &[(String, Value)]) {
        const OWNER: &str = "PodSecurityDefaults";
        self.object(entries, "defaults.", |this, key, value| {
            let slot = match key {
                "enforce" => &mut d.enforce,
                "enforce-version" => &mut d.enforce_version,
                "audit" => &mut d.audit,
                "audit-version" => &mut d.audit_version,
                "warn" => &mut d.warn,
                "warn-version" => &mut d.warn_version,
                _ => return false,
            };
            this.string(slot, value, OWNER, &format!("defaults.{key}"));
            true
        });
    }

    fn exemptions(&mut self, e: &mut Exemptions, entries: &[(String, Value)]) {
        self.object(entries, "exemptions.", |this, key, value| {
            let slot = match key {
                "usernames" => &mut e.usernames,
                "namespaces" => &mut e.namespaces,
                "runtimeClasses" => &mut e.runtime_classes,
                _ => return false,
            };
            this.string_list(slot, value, &format!("exemptions.{key}"));
            true
        });
    }
}

fn quote(s: &str) -> String {
    podsec_policy::text::go_quote(s)
}

fn decode_pod_security(
    document: &Document,
    gvk: &Gvk,
) -> Result<PodSecurityConfiguration, ConfigError> {
    let package = match VERSIONS.iter().find(|v| **v == gvk.version) {
        Some(&v) if gvk.group == GROUP && gvk.kind == KIND => v,
        _ => return Err(not_registered(gvk)),
    };
    let Value::Object(entries) = &document.value else {
        // Unreachable: a kind was found, so the document is an object.
        return Err(not_registered(gvk));
    };
    // Decoded into empty fields: defaulting happens afterwards.
    let mut config = PodSecurityConfiguration {
        defaults: PolicyDefaults::empty(),
        exemptions: Exemptions::default(),
    };
    let mut strict = Strict {
        package,
        type_error: None,
        errors: Vec::new(),
    };
    const OWNER: &str = "PodSecurityConfiguration";
    strict.object(entries, "", |this, key, value| {
        match key {
            "apiVersion" | "kind" => this.string(&mut String::new(), value, "TypeMeta", key),
            "defaults" => match value {
                Value::Object(fields) => this.defaults(&mut config.defaults, fields),
                Value::Null => {}
                other => {
                    let go_type = format!("{}.PodSecurityDefaults", this.package);
                    this.type_error(other, OWNER, key, &go_type);
                }
            },
            "exemptions" => match value {
                Value::Object(fields) => this.exemptions(&mut config.exemptions, fields),
                Value::Null => {}
                other => {
                    let go_type = format!("{}.PodSecurityExemptions", this.package);
                    this.type_error(other, OWNER, key, &go_type);
                }
            },
            _ => return false,
        }
        true
    });
    if let Some(error) = strict.type_error {
        return Err(ConfigError::Type(error));
    }
    let mut errors: Vec<String> = document.yaml_strict_error.iter().cloned().collect();
    errors.append(&mut strict.errors);
    if !errors.is_empty() {
        return Err(ConfigError::Strict { errors });
    }
    config.apply_defaults();
    Ok(config)
}

// ---------------------------------------------------------------------------------------------
// AdmissionConfiguration

/// One `plugins[]` entry, as far as it matters here.
#[derive(Default)]
struct Plugin<'a> {
    name: String,
    path: String,
    configuration: Option<&'a Value>,
}

fn decode_admission(
    document: &Document,
    gvk: &Gvk,
    base_dir: Option<&Path>,
    read_file: impl Fn(&Path) -> io::Result<Vec<u8>>,
) -> Result<PodSecurityConfiguration, ConfigError> {
    let package = match ADMISSION_VERSIONS.iter().find(|v| **v == gvk.version) {
        Some(&v) if gvk.group == ADMISSION_GROUP && gvk.kind == ADMISSION_KIND => v,
        _ => return Err(not_registered(gvk)),
    };
    let plugins = admission_plugins(&document.value, package)?;
    let Some(plugin) = plugins.into_iter().find(|p| p.name == PLUGIN_NAME) else {
        return Ok(PodSecurityConfiguration::default());
    };
    if let Some(inline) = plugin.configuration {
        return load(inline.to_json().as_bytes());
    }
    if plugin.path.is_empty() {
        return Ok(PodSecurityConfiguration::default());
    }
    let path = resolve(base_dir, &plugin.path);
    let bytes = read_file(&path).map_err(|source| ConfigError::Read { path, source })?;
    load(&bytes)
}

/// Lenient (non-strict, case-sensitive) decoding of `plugins`: unknown fields are ignored,
/// later duplicates win, values of the wrong type are errors.
fn admission_plugins<'a>(value: &'a Value, package: &str) -> Result<Vec<Plugin<'a>>, ConfigError> {
    let type_error = |value: &Value, owner: &str, path: &str, go_type: &str| {
        ConfigError::Type(format!(
            "json: cannot unmarshal {} into Go struct field {owner}.{path} of type {go_type}",
            value.go_kind()
        ))
    };
    let mut first_error: Option<ConfigError> = None;
    let mut plugins = Vec::new();
    let Value::Object(entries) = value else {
        return Ok(plugins);
    };
    for (key, value) in entries {
        if key != "plugins" {
            continue;
        }
        match value {
            Value::Null => plugins.clear(),
            Value::Array(items) => {
                plugins.clear();
                for item in items {
                    let mut plugin = Plugin::default();
                    match item {
                        Value::Null => {}
                        Value::Object(fields) => {
                            for (field, value) in fields {
                                let slot = match field.as_str() {
                                    "name" => &mut plugin.name,
                                    "path" => &mut plugin.path,
                                    "configuration" => {
                                        plugin.configuration =
                                            (!matches!(value, Value::Null)).then_some(value);
                                        continue;
                                    }
                                    _ => continue,
                                };
                                match value {
                                    Value::String(s) => s.clone_into(slot),
                                    Value::Null => {}
                                    other => {
                                        first_error.get_or_insert_with(|| {
                                            type_error(
                                                other,
                                                "AdmissionPluginConfiguration",
                                                &format!("plugins.{field}"),
                                                "string",
                                            )
                                        });
                                    }
                                }
                            }
                        }
                        other => {
                            first_error.get_or_insert_with(|| {
                                type_error(
                                    other,
                                    "AdmissionConfiguration",
                                    "plugins",
                                    &format!("{package}.AdmissionPluginConfiguration"),
                                )
                            });
                        }
                    }
                    plugins.push(plugin);
                }
            }
            other => {
                first_error.get_or_insert_with(|| {
                    type_error(
                        other,
                        "AdmissionConfiguration",
                        "plugins",
                        &format!("[]{package}.AdmissionPluginConfiguration"),
                    )
                });
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(plugins),
    }
}

/// A plugin `path`: absolute paths as they are, relative ones joined to `base_dir`.
fn resolve(base_dir: Option<&Path>, path: &str) -> PathBuf {
    let path = Path::new(path);
    match base_dir {
        Some(base) if !path.is_absolute() => base.join(path),
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_version_parsing() {
        let ok = |s: &str| parse_group_version(s).expect("parses");
        assert_eq!(ok(""), (String::new(), String::new()));
        assert_eq!(ok("/"), (String::new(), String::new()));
        assert_eq!(ok("v1"), (String::new(), "v1".to_owned()));
        assert_eq!(ok("a/v1"), ("a".to_owned(), "v1".to_owned()));
        assert_eq!(ok("a/"), ("a".to_owned(), String::new()));
        assert_eq!(
            parse_group_version("a/b/c").unwrap_err().to_string(),
            "unexpected GroupVersion string: a/b/c"
        );
    }

    #[test]
    fn go_folding() {
        assert!(go_fold_eq("kind", "kind"));
        assert!(go_fold_eq("KIND", "kind"));
        assert!(go_fold_eq("\u{212a}ind", "kind"));
        assert!(go_fold_eq("APIVER\u{17f}ION", "apiVersion"));
        assert!(!go_fold_eq("kinds", "kind"));
        assert!(!go_fold_eq("kin", "kind"));
        assert!(!go_fold_eq("k\u{130}nd", "kind"));
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            resolve(Some(Path::new("/etc/k")), "psa.yaml"),
            Path::new("/etc/k/psa.yaml")
        );
        assert_eq!(
            resolve(Some(Path::new("/etc/k")), "/abs.yaml"),
            Path::new("/abs.yaml")
        );
        assert_eq!(resolve(None, "psa.yaml"), Path::new("psa.yaml"));
    }
}

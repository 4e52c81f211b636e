//! Probe pods: for each field of a `PodSecurityPolicy`, the most permissive pods it admits
//! in that field, every other field kept as strict as Pod Security's `restricted` level asks.
//!
//! The base pod passes `restricted` (pod `runAsNonRoot: true` and `seccompProfile:
//! RuntimeDefault`; its one container drops `ALL` and sets `allowPrivilegeEscalation:
//! false`). Each probe changes one field, so the checks it fails are that field's doing.
//! See the module documentation of [`super`] for the mapping of each field.

use podsec_policy::model::{PodMetadata, PodSpec, VolumeSource};
use serde_json::{Value, json};

/// A pod the policy admits, and the policy field that admits it.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The field and value, as reports show them (`spec.hostNetwork: true`).
    pub field: String,
    /// The pod's metadata.
    pub metadata: PodMetadata,
    /// The pod's spec.
    pub spec: PodSpec,
}

/// A field of the policy that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Its path, e.g. `spec.volumes`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

const SECCOMP_ALLOWED: &str = "seccomp.security.alpha.kubernetes.io/allowedProfileNames";
const SECCOMP_DEFAULT: &str = "seccomp.security.alpha.kubernetes.io/defaultProfileName";
const APPARMOR_ALLOWED: &str = "apparmor.security.beta.kubernetes.io/allowedProfileNames";
const APPARMOR_DEFAULT: &str = "apparmor.security.beta.kubernetes.io/defaultProfileName";

/// The restricted base pod.
fn base() -> Value {
    json!({
        "metadata": {"annotations": {}},
        "spec": {
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "probe",
                "image": "probe",
                "securityContext": {
                    "allowPrivilegeEscalation": false,
                    "capabilities": {"drop": ["ALL"]}
                }
            }]
        }
    })
}

/// Reads a PSP (its whole value) and builds its probes.
pub struct Reader<'a> {
    psp: &'a Value,
    probes: Vec<Probe>,
    errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    fn new(psp: &'a Value) -> Self {
        Reader {
            psp,
            probes: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    fn spec(&self, key: &str) -> Option<&'a Value> {
        self.psp.get("spec")?.get(key).filter(|v| !v.is_null())
    }

    fn bool(&mut self, key: &str) -> Option<bool> {
        let value = self.spec(key)?;
        match value.as_bool() {
            Some(b) => Some(b),
            None => {
                self.error(&format!("spec.{key}"), "expected true or false");
                None
            }
        }
    }

    fn strings(&mut self, key: &str) -> Vec<String> {
        let Some(value) = self.spec(key) else {
            return Vec::new();
        };
        match value.as_array().and_then(|items| {
            items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
        }) {
            Some(list) => list,
            None => {
                self.error(&format!("spec.{key}"), "expected a list of strings");
                Vec::new()
            }
        }
    }

    fn annotation(&mut self, key: &str) -> Option<String> {
        let value = self.psp.get("metadata")?.get("annotations")?.get(key)?;
        match value.as_str() {
            Some(text) => Some(text.to_owned()),
            None => {
                self.error(&format!("metadata.annotations[{key}]"), "expected a string");
                None
            }
        }
    }

    /// Adds the probe `field`: the base pod changed by `change`.
    fn probe(&mut self, field: String, change: impl FnOnce(&mut Value)) {
        let mut pod = base();
        change(&mut pod);
        let metadata = serde_json::from_value(pod["metadata"].take());
        let spec = serde_json::from_value(pod["spec"].take());
        match (metadata, spec) {
            (Ok(metadata), Ok(spec)) => self.probes.push(Probe {
                field,
                metadata,
                spec,
            }),
            // The probes are built here, from values checked above: never reached.
            (Err(e), _) | (_, Err(e)) => self.error(&field, format!("probe pod: {e}")),
        }
    }
}

fn container(pod: &mut Value) -> &mut Value {
    &mut pod["spec"]["containers"][0]
}

/// Every probe of `psp`, or the fields that cannot be read.
pub fn probes(psp: &Value) -> Result<Vec<Probe>, Vec<FieldError>> {
    let mut r = Reader::new(psp);
    if !psp.get("spec").is_some_and(Value::is_object) {
        r.error("spec", "missing: a PodSecurityPolicy needs a spec");
        return Err(r.errors);
    }
    host_and_privileged(&mut r);
    volumes(&mut r);
    capabilities(&mut r);
    users_and_selinux(&mut r);
    sysctls_and_proc_mount(&mut r);
    seccomp(&mut r);
    app_armor(&mut r);
    if r.errors.is_empty() {
        Ok(r.probes)
    } else {
        Err(r.errors)
    }
}

fn host_and_privileged(r: &mut Reader<'_>) {
    if r.bool("privileged") == Some(true) {
        r.probe("spec.privileged: true".into(), |pod| {
            container(pod)["securityContext"]["privileged"] = json!(true);
        });
    }
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if r.bool(key) == Some(true) {
            r.probe(format!("spec.{key}: true"), |pod| {
                pod["spec"][key] = json!(true);
            });
        }
    }
    let Some(ranges) = r.spec("hostPorts") else {
        return;
    };
    let Some(ranges) = ranges.as_array() else {
        r.error("spec.hostPorts", "expected a list of {min, max} ranges");
        return;
    };
    for (i, range) in ranges.iter().enumerate() {
        let bound = |key: &str| range.get(key).and_then(Value::as_u64);
        let (Some(min), Some(max)) = (bound("min"), bound("max")) else {
            r.error(
                &format!("spec.hostPorts[{i}]"),
                "expected integers min and max",
            );
            continue;
        };
        let port = min.max(1);
        if port > max {
            continue;
        }
        r.probe(format!("spec.hostPorts: {min}-{max}"), |pod| {
            container(pod)["ports"] = json!([{"containerPort": port, "hostPort": port}]);
        });
    }
}

/// The volume source of a PSP volume type (`cephFS` is the volume's `cephfs`).
fn volume_source(kind: &str) -> Option<VolumeSource> {
    match kind {
        "cephFS" => Some(VolumeSource::Cephfs),
        "image" => None,
        other => VolumeSource::from_key(other),
    }
}

fn volumes(r: &mut Reader<'_>) {
    let kinds = r.strings("volumes");
    let mut sources: Vec<(String, VolumeSource)> = Vec::new();
    for kind in &kinds {
        if kind == "*" {
            // Below: one probe with every type.
        } else if kind == "none" {
            // No volume at all.
        } else {
            match volume_source(kind) {
                Some(source) => sources.push((kind.clone(), source)),
                None => r.error(
                    "spec.volumes",
                    format!("unknown volume type {kind:?} (policy/v1beta1 FSType)"),
                ),
            }
        }
    }
    let prefix = r
        .spec("allowedHostPaths")
        .and_then(Value::as_array)
        .and_then(|paths| paths.first())
        .and_then(|p| p.get("pathPrefix"))
        .and_then(Value::as_str)
        .unwrap_or("/")
        .to_owned();
    let volume = |source: VolumeSource| {
        let body = if source == VolumeSource::HostPath {
            json!({"path": prefix})
        } else {
            json!({})
        };
        json!({"name": format!("probe-{}", source.key().to_lowercase()), source.key(): body})
    };
    if kinds.iter().any(|k| k == "*") {
        // Every type at once: one pod with a volume of each.
        let all: Vec<Value> = VolumeSource::ALL.iter().map(|s| volume(*s)).collect();
        r.probe("spec.volumes: *".into(), |pod| {
            pod["spec"]["volumes"] = Value::Array(all);
        });
        return;
    }
    for (label, source) in sources {
        let one = volume(source);
        r.probe(format!("spec.volumes: {label}"), |pod| {
            pod["spec"]["volumes"] = json!([one]);
        });
    }
}

fn capabilities(r: &mut Reader<'_>) {
    for key in ["allowedCapabilities", "defaultAddCapabilities"] {
        for cap in r.strings(key) {
            // `*`: any capability; SYS_ADMIN stands for them.
            let added = if cap == "*" {
                "SYS_ADMIN".to_owned()
            } else {
                cap.clone()
            };
            r.probe(format!("spec.{key}: {cap}"), |pod| {
                container(pod)["securityContext"]["capabilities"]["add"] = json!([added]);
            });
        }
    }
    let drops = r.strings("requiredDropCapabilities");
    if !drops.iter().any(|d| d.eq_ignore_ascii_case("ALL")) {
        let shown = if drops.is_empty() {
            "unset".to_owned()
        } else {
            drops.join(", ")
        };
        r.probe(
            format!("spec.requiredDropCapabilities: {shown} (ALL not required)"),
            |pod| {
                container(pod)["securityContext"]["capabilities"] = json!({"drop": drops});
            },
        );
    }
    // Unset means allowed (true), as the API's default.
    if r.bool("allowPrivilegeEscalation") != Some(false) {
        let shown = match r.spec("allowPrivilegeEscalation") {
            Some(_) => "true",
            None => "unset (true)",
        };
        r.probe(format!("spec.allowPrivilegeEscalation: {shown}"), |pod| {
            container(pod)["securityContext"]["allowPrivilegeEscalation"] = json!(true);
        });
    }
}

fn rule(r: &mut Reader<'_>, key: &str) -> Option<String> {
    let value = r.spec(key)?;
    match value.get("rule").and_then(Value::as_str) {
        Some(rule) => Some(rule.to_owned()),
        None => {
            r.error(&format!("spec.{key}.rule"), "missing: expected a rule name");
            None
        }
    }
}

fn users_and_selinux(r: &mut Reader<'_>) {
    match rule(r, "runAsUser").as_deref() {
        None if r.spec("runAsUser").is_none() => {
            r.error(
                "spec.runAsUser",
                "missing: a PodSecurityPolicy needs a runAsUser rule",
            );
        }
        None => {}
        Some("RunAsAny") => r.probe("spec.runAsUser.rule: RunAsAny".into(), |pod| {
            pod["spec"]["securityContext"]["runAsNonRoot"] = Value::Null;
            container(pod)["securityContext"]["runAsUser"] = json!(0);
        }),
        Some("MustRunAsNonRoot") => r.probe(
            "spec.runAsUser.rule: MustRunAsNonRoot (a non-zero runAsUser without runAsNonRoot)"
                .into(),
            |pod| {
                pod["spec"]["securityContext"]["runAsNonRoot"] = Value::Null;
                container(pod)["securityContext"]["runAsUser"] = json!(1000);
            },
        ),
        Some("MustRunAs") => {
            let lowest = r
                .spec("runAsUser")
                .and_then(|v| v.get("ranges"))
                .and_then(Value::as_array)
                .and_then(|ranges| {
                    ranges
                        .iter()
                        .filter_map(|range| range.get("min").and_then(Value::as_u64))
                        .min()
                });
            match lowest {
                Some(uid) => r.probe(
                    format!("spec.runAsUser.rule: MustRunAs (uid {uid} without runAsNonRoot)"),
                    |pod| {
                        pod["spec"]["securityContext"]["runAsNonRoot"] = Value::Null;
                        container(pod)["securityContext"]["runAsUser"] = json!(uid);
                    },
                ),
                None => r.error(
                    "spec.runAsUser.ranges",
                    "MustRunAs needs ranges with integer min and max",
                ),
            }
        }
        Some(other) => r.error(
            "spec.runAsUser.rule",
            format!("unknown rule {other:?}: expected MustRunAs, MustRunAsNonRoot or RunAsAny"),
        ),
    }
    match rule(r, "seLinux").as_deref() {
        None => {}
        Some("RunAsAny") => r.probe("spec.seLinux.rule: RunAsAny".into(), |pod| {
            pod["spec"]["securityContext"]["seLinuxOptions"] =
                json!({"type": "spc_t", "user": "system_u", "role": "system_r"});
        }),
        Some("MustRunAs") => {
            let options = r
                .spec("seLinux")
                .and_then(|v| v.get("seLinuxOptions"))
                .cloned()
                .unwrap_or_else(|| json!({}));
            if !options.is_object() {
                r.error("spec.seLinux.seLinuxOptions", "expected an object");
                return;
            }
            r.probe(format!("spec.seLinux.rule: MustRunAs {options}"), |pod| {
                pod["spec"]["securityContext"]["seLinuxOptions"] = options;
            });
        }
        Some(other) => r.error(
            "spec.seLinux.rule",
            format!("unknown rule {other:?}: expected MustRunAs or RunAsAny"),
        ),
    }
}

fn sysctls_and_proc_mount(r: &mut Reader<'_>) {
    for name in r.strings("allowedUnsafeSysctls") {
        let probe = match name.strip_suffix('*') {
            Some("") => "kernel.msgmax".to_owned(),
            Some(prefix) => format!("{prefix}probe"),
            None => name.clone(),
        };
        r.probe(format!("spec.allowedUnsafeSysctls: {name}"), |pod| {
            pod["spec"]["securityContext"]["sysctls"] = json!([{"name": probe, "value": "1"}]);
        });
    }
    for kind in r.strings("allowedProcMountTypes") {
        if kind != "Default" {
            r.probe(format!("spec.allowedProcMountTypes: {kind}"), |pod| {
                container(pod)["securityContext"]["procMount"] = json!(kind);
            });
        }
    }
}

/// A seccomp profile name of the annotations as a `seccompProfile` field (the API server
/// syncs the annotations and the fields since v1.19); `None`: no profile.
fn seccomp_field(name: &str) -> Value {
    match name {
        "runtime/default" | "docker/default" => json!({"type": "RuntimeDefault"}),
        "unconfined" => json!({"type": "Unconfined"}),
        "*" => json!({"type": "Unconfined"}),
        other => match other.strip_prefix("localhost/") {
            Some(path) => {
                json!({"type": "Localhost", "localhostProfile": path.replace('*', "probe")})
            }
            None => json!({"type": "Unconfined"}),
        },
    }
}

fn seccomp(r: &mut Reader<'_>) {
    let allowed = r.annotation(SECCOMP_ALLOWED);
    let default = r.annotation(SECCOMP_DEFAULT);
    let names: Vec<String> = allowed
        .as_deref()
        .map(|a| {
            a.split(',')
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let any = names.iter().any(|n| n == "*");
    // A pod without a profile is admitted when nothing restricts profiles, or `*`; it
    // then gets the default profile when there is one.
    if names.is_empty() || any {
        let label = if names.is_empty() {
            format!("annotation {SECCOMP_ALLOWED}: unset (no profile may be set)")
        } else {
            format!("annotation {SECCOMP_ALLOWED}: *")
        };
        match &default {
            Some(default) => {
                let field = seccomp_field(default);
                r.probe(format!("{label}, default {default}"), |pod| {
                    pod["spec"]["securityContext"]["seccompProfile"] = field;
                });
            }
            None => r.probe(label, |pod| {
                pod["spec"]["securityContext"]["seccompProfile"] = Value::Null;
            }),
        }
    }
    for name in names {
        let field = seccomp_field(&name);
        r.probe(format!("annotation {SECCOMP_ALLOWED}: {name}"), |pod| {
            pod["spec"]["securityContext"]["seccompProfile"] = field;
        });
    }
}

fn app_armor(r: &mut Reader<'_>) {
    let allowed = r.annotation(APPARMOR_ALLOWED);
    let _default = r.annotation(APPARMOR_DEFAULT);
    let key = "container.apparmor.security.beta.kubernetes.io/probe";
    match allowed {
        // Not restricted by the policy: any profile, unconfined too.
        None => r.probe(
            format!("annotation {APPARMOR_ALLOWED}: unset (any profile, unconfined too)"),
            |pod| {
                pod["metadata"]["annotations"][key] = json!("unconfined");
            },
        ),
        Some(list) => {
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let name = name.to_owned();
                r.probe(format!("annotation {APPARMOR_ALLOWED}: {name}"), |pod| {
                    pod["metadata"]["annotations"][key] = json!(name);
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seccomp_names_become_fields() {
        assert_eq!(seccomp_field("docker/default")["type"], "RuntimeDefault");
        assert_eq!(seccomp_field("runtime/default")["type"], "RuntimeDefault");
        assert_eq!(seccomp_field("unconfined")["type"], "Unconfined");
        let local = seccomp_field("localhost/profiles/audit.json");
        assert_eq!(local["type"], "Localhost");
        assert_eq!(local["localhostProfile"], "profiles/audit.json");
    }

    #[test]
    fn the_base_pod_passes_restricted() {
        let built = probes(&json!({
            "metadata": {"annotations": {
                SECCOMP_ALLOWED: "runtime/default",
                SECCOMP_DEFAULT: "runtime/default",
                APPARMOR_ALLOWED: "runtime/default",
            }},
            "spec": {
                "allowPrivilegeEscalation": false,
                "requiredDropCapabilities": ["ALL"],
                "runAsUser": {"rule": "MustRunAsNonRoot"},
            }
        }))
        .unwrap();
        let registry = podsec_policy::Registry::builtin();
        let allowed: Vec<bool> = built
            .iter()
            .map(|p| {
                registry
                    .evaluate(
                        podsec_policy::Level::Restricted,
                        podsec_policy::Version::Latest,
                        &p.metadata,
                        &p.spec,
                    )
                    .is_allowed()
            })
            .collect();
        // Every probe but the runAsUser rule's passes.
        let fields: Vec<&str> = built.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(allowed.iter().filter(|a| !**a).count(), 1, "{fields:?}");
        assert!(
            !allowed[fields
                .iter()
                .position(|f| f.starts_with("spec.runAsUser"))
                .unwrap()]
        );
        assert!(probes(&json!({"spec": {"runAsUser": {"rule": "Sometimes"}}})).is_err());
    }
}

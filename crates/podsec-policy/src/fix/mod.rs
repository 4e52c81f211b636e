//! Fixing pods: the smallest set of field edits that makes a pod pass a level, and the
//! violations that must not be fixed automatically, each with its reason.
//!
//! [`plan`] reads the pod's violations from [`Registry::evaluate`] and turns each check's
//! findings (their field paths) into [`Edit`]s; it never re-implements a check. It then
//! applies the edits to a copy of the model ([`apply`]) and evaluates again: whatever still
//! fails is listed in [`Plan::unfixable`], with the reason podsec does not change it (a
//! failing check that has no reason would be a planner bug, and is reported as such).
//!
//! Two strategies share the rules:
//! * [`Strategy::Minimal`] (`podsec fix`): the smallest change, which may replace an
//!   explicit bad value (`allowPrivilegeEscalation: true` becomes `false`).
//! * [`Strategy::FillUnset`] (secure defaults of a mutating webhook): only fields that are
//!   not set are filled in; an explicit value is never changed, its violation is reported.
//!   In the findings' terms: only [`FindingKind::Unset`] findings are acted on.
//!
//! Planning on a pod that passes gives no edits; planning on a fixed pod gives no edits
//! (idempotence; tested).
//!
//! # Per check
//!
//! | check | automatic | the edit, or why not |
//! |---|---|---|
//! | `allowPrivilegeEscalation` | yes | set each container's `securityContext.allowPrivilegeEscalation: false`; not for a `privileged: true` container (the API server rejects the pair) nor a Windows pod (Linux-only field) |
//! | `capabilities_restricted` | yes | `capabilities.drop: [ALL]` (or `ALL` appended to an existing `drop`, keeping its other entries); every added capability other than `NET_BIND_SERVICE` removed (the `add` list removed when nothing is left); not `drop` on a Windows pod |
//! | `capabilities_baseline` | yes | the added capabilities outside the baseline set removed |
//! | `runAsNonRoot` | yes | `spec.securityContext.runAsNonRoot: true` (explicit `false` replaced); container-level instead when a container runs as UID 0 (it would inherit a pod-level value and never start); the kubelet still refuses at start an image whose user is root: [`NonRoot`] chooses whether to assume non-root images, to set a default UID, or to report |
//! | `runAsUser` | no | an explicit `runAsUser: 0` says the workload runs as root: removing it silently swaps the user for the image's, setting another UID is a guess about file ownership, and `runAsNonRoot: true` beside it gives a pod the kubelet never starts. Choose the UID by hand |
//! | `seccompProfile_restricted` | yes | pod-level `seccompProfile.type: RuntimeDefault` (a bad pod-level type replaced, its `localhostProfile` removed); containers' bad profiles removed, so they inherit the pod's; not on a Windows pod |
//! | `seccompProfile_baseline` | yes | fields: the bad `type` set to `RuntimeDefault` (a `localhostProfile` removed); annotations (policies before v1.19): set to `runtime/default` |
//! | `appArmorProfile` | yes | a bad `appArmorProfile.type` set to `RuntimeDefault` (its `localhostProfile` removed); a bad annotation set to `runtime/default`: the runtime's default profile, which ordinary workloads run under |
//! | `procMount`, `procMount_restricted` | yes | `procMount: Default`: the masked `/proc` every ordinary container gets |
//! | `sysctls` | yes | the forbidden sysctls removed (the list removed when nothing is left) |
//! | `hostPorts` | yes | `hostPort` removed (`containerPort` kept: the port stays reachable on the pod IP and through Services); not with `hostNetwork: true`, where the API server sets `hostPort` from `containerPort` again: fix the host namespace first |
//! | `hostProbesAndHostLifecycle` | yes | the probe's or hook's `host` removed: the kubelet then targets the pod's own IP |
//! | `privileged` | no | a privileged container has every capability and every device of the node; what it needs instead (capabilities, devices) is the workload's to say |
//! | `hostNamespaces` | no | `hostNetwork`, `hostPID`, `hostIPC` give the node's network, processes or IPC: agents (CNI, node exporters) need them, and removing them changes what the workload can reach |
//! | `hostPathVolumes` | no | a hostPath volume is the node's files: replacing it loses or changes the data the workload reads |
//! | `restrictedVolumes` | no | no volume type can be swapped for another without moving the data (an NFS or cloud disk is not an emptyDir) |
//! | `windowsHostProcess` | no | a HostProcess container runs as a process on the Windows node: as for `privileged` |
//! | `seLinuxOptions` | no | a custom SELinux type, user or role is chosen against the node's SELinux policy and volume labels (`spc_t` is unconfined); `container_t` instead may lose access to the labelled files |
//!
//! With [`Strategy::FillUnset`] every "yes" above applies to unset fields only: a forbidden
//! explicit value (`privileged`-free rows included: `allowPrivilegeEscalation: true`, an added
//! capability, a sysctl, a host port, ...) is reported, never changed.

mod edit;
#[cfg(feature = "json")]
pub mod json;
mod path;

pub use edit::{ApplyError, Edit, Value, apply};
pub use path::{FieldPath, Segment};

use crate::checks;
use crate::evaluate::Evaluation;
use crate::level::Level;
use crate::model::{Container, PodMetadata, PodSpec, Profile};
use crate::registry::Registry;
use crate::text::go_quote;
use crate::version::Version;
use crate::violation::{CheckId, Finding, FindingKind, Violation};
use crate::visitor;

/// Which fields a plan may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// The smallest change: explicit bad values may be replaced or removed.
    Minimal,
    /// Only unset fields are filled in; explicit values are never changed.
    FillUnset,
}

/// How `runAsNonRoot` is satisfied (the kubelet refuses to start a container whose user is
/// root when `runAsNonRoot` is true, and the image's user is not known here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NonRoot {
    /// Set `runAsNonRoot: true`, assuming the images run as a non-root user (the kubelet
    /// checks at start).
    Assume,
    /// Set `runAsNonRoot: true` and, where the pod sets no `runAsUser`, this UID at pod level.
    WithUser(i64),
    /// Do not set it: report the violation.
    Skip,
}

/// What a plan may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Options {
    /// Minimal change, or fill unset fields only.
    pub strategy: Strategy,
    /// How `runAsNonRoot` is satisfied.
    pub non_root: NonRoot,
}

impl Options {
    /// `podsec fix`: minimal change, non-root images assumed.
    pub const MINIMAL: Options = Options {
        strategy: Strategy::Minimal,
        non_root: NonRoot::Assume,
    };

    /// Secure defaults: unset fields only, `runAsNonRoot` only with a known UID.
    pub const FILL_UNSET: Options = Options {
        strategy: Strategy::FillUnset,
        non_root: NonRoot::Skip,
    };
}

/// An edit and the check it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedEdit {
    /// The check whose violation the edit fixes.
    pub check: CheckId,
    /// The edit.
    pub edit: Edit,
}

/// A violation the plan leaves: upstream's text for it after the plan's edits, and why podsec
/// does not fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfixable {
    /// The check.
    pub check: CheckId,
    /// Upstream's reason (`host namespaces`).
    pub reason: &'static str,
    /// Upstream's detail, as the pod still fails after the plan's edits.
    pub detail: String,
    /// The offending fields.
    pub findings: Vec<Finding>,
    /// Why podsec does not change it.
    pub why: String,
}

impl Unfixable {
    /// `reason (detail)`: upstream's message item.
    pub fn message(&self) -> String {
        Violation {
            check: self.check,
            reason: self.reason,
            detail: self.detail.clone(),
            findings: Vec::new(),
        }
        .to_message()
    }
}

/// A plan for one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The edits, in the order to apply them.
    pub edits: Vec<PlannedEdit>,
    /// The violations that remain after the edits, with the reason.
    pub unfixable: Vec<Unfixable>,
    /// The pod's evaluation before.
    pub before: Evaluation,
    /// The evaluation of the pod with the edits applied.
    pub after: Evaluation,
}

impl Plan {
    /// Whether the pod passes after the edits.
    pub fn passes(&self) -> bool {
        self.after.is_allowed()
    }

    /// The edits alone.
    pub fn edit_list(&self) -> impl Iterator<Item = &Edit> {
        self.edits.iter().map(|p| &p.edit)
    }
}

/// Why podsec leaves a failing check alone (see the [module docs](self)).
pub mod why {
    /// `privileged`.
    pub const PRIVILEGED: &str = "a privileged container gets every capability and device of the node; what it needs instead is the workload's decision";
    /// `hostNamespaces`.
    pub const HOST_NAMESPACES: &str = "host namespaces give the node's network, processes or IPC; removing them changes what the workload can reach";
    /// `hostPathVolumes`.
    pub const HOST_PATH: &str =
        "a hostPath volume is the node's files; replacing it changes the data the workload reads";
    /// `restrictedVolumes`.
    pub const VOLUMES: &str =
        "a volume type cannot be swapped for an allowed one without moving its data";
    /// `windowsHostProcess`.
    pub const HOST_PROCESS: &str =
        "a HostProcess container runs as a process on the Windows node, as privileged does";
    /// `seLinuxOptions`.
    pub const SELINUX: &str = "a custom SELinux type, user or role is chosen against the node's policy and volume labels; replacing it may lose access to labelled files";
    /// `runAsUser`.
    pub const ROOT_USER: &str = "runAsUser: 0 runs the workload as root on purpose; removing it or picking another UID needs knowledge of the image";
    /// `runAsNonRoot` for a container that runs as UID 0.
    pub const ROOT_CONTAINER: &str = "the container runs as UID 0 (runAsUser: 0): with runAsNonRoot: true the kubelet would never start it; choose a non-root UID first";
    /// `runAsNonRoot` with [`super::NonRoot::Skip`].
    pub const NON_ROOT_UNKNOWN: &str =
        "whether the images run as a non-root user is not known, and no default UID is configured";
    /// Any check, with [`super::Strategy::FillUnset`].
    pub const EXPLICIT: &str =
        "the value is set explicitly, and filling in defaults never overrides an explicit value";
    /// `allowPrivilegeEscalation` on a privileged container.
    pub const PRIVILEGED_ESCALATION: &str = "the container is privileged: the API server rejects allowPrivilegeEscalation: false beside privileged: true";
    /// Linux-only fields on a Windows pod.
    pub const WINDOWS: &str = "a Windows pod (spec.os.name: windows) cannot set this Linux-only field (the API server rejects it); policies from v1.25 exempt Windows pods";
    /// `hostPorts` with `hostNetwork`.
    pub const HOST_NETWORK_PORTS: &str = "with hostNetwork: true the API server sets hostPort from containerPort again; fix the host namespace first";
    /// A check the planner has no rule for (a bug).
    pub const NO_RULE: &str = "podsec has no automatic fix for this (if this is unexpected, it is a podsec bug: please report it)";
}

/// The plan that makes the pod (`metadata`, `spec`) pass `level` at `version`, as far as it
/// can be done automatically with `options`.
pub fn plan(
    registry: &Registry,
    level: Level,
    version: Version,
    metadata: &PodMetadata,
    spec: &PodSpec,
    options: Options,
) -> Plan {
    let before = registry.evaluate(level, version, metadata, spec);
    let mut planner = Planner {
        metadata,
        spec,
        options,
        edits: Vec::new(),
        blocked: Vec::new(),
    };
    for violation in &before.violations {
        planner.violation(violation);
    }
    let Planner { edits, blocked, .. } = planner;
    let mut edits = dedup(edits);
    let mut fixed_meta = metadata.clone();
    let mut fixed_spec = spec.clone();
    if apply(
        edits.iter().map(|e| &e.edit),
        &mut fixed_meta,
        &mut fixed_spec,
    )
    .is_err()
    {
        // Unreachable by construction (the unit tests apply every rule); report instead of
        // panicking: no edits, everything unfixable.
        edits.clear();
        fixed_meta = metadata.clone();
        fixed_spec = spec.clone();
    }
    let after = registry.evaluate(level, version, &fixed_meta, &fixed_spec);
    let unfixable = after
        .violations
        .iter()
        .map(|v| {
            let mut whys: Vec<&str> = blocked
                .iter()
                .filter(|(check, _)| *check == v.check)
                .map(|(_, why)| *why)
                .collect();
            whys.dedup();
            let why = if whys.is_empty() {
                why::NO_RULE.to_owned()
            } else {
                let mut unique: Vec<&str> = Vec::new();
                for w in whys {
                    if !unique.contains(&w) {
                        unique.push(w);
                    }
                }
                unique.join("; ")
            };
            Unfixable {
                check: v.check,
                reason: v.reason,
                detail: v.detail.clone(),
                findings: v.findings.clone(),
                why,
            }
        })
        .collect();
    Plan {
        edits,
        unfixable,
        before,
        after,
    }
}

fn dedup(edits: Vec<PlannedEdit>) -> Vec<PlannedEdit> {
    let mut out: Vec<PlannedEdit> = Vec::with_capacity(edits.len());
    for edit in edits {
        if !out.iter().any(|e| e.edit == edit.edit) {
            out.push(edit);
        }
    }
    out
}

struct Planner<'a> {
    metadata: &'a PodMetadata,
    spec: &'a PodSpec,
    options: Options,
    edits: Vec<PlannedEdit>,
    blocked: Vec<(CheckId, &'static str)>,
}

const RUNTIME_DEFAULT: &str = "RuntimeDefault";
const RUNTIME_DEFAULT_ANNOTATION: &str = "runtime/default";

impl Planner<'_> {
    fn fill_only(&self) -> bool {
        self.options.strategy == Strategy::FillUnset
    }

    fn edit(&mut self, check: CheckId, edit: Edit) {
        self.edits.push(PlannedEdit { check, edit });
    }

    fn block(&mut self, check: CheckId, why: &'static str) {
        self.blocked.push((check, why));
    }

    /// Whether a finding may be acted on with the strategy; blocks it otherwise.
    fn may_change(&mut self, check: CheckId, finding: &Finding) -> bool {
        if finding.kind == FindingKind::Forbidden && self.fill_only() {
            self.block(check, why::EXPLICIT);
            return false;
        }
        true
    }

    fn violation(&mut self, v: &Violation) {
        let id = v.check;
        match id {
            checks::allow_privilege_escalation::ID => self.allow_privilege_escalation(v),
            checks::capabilities_restricted::ID | checks::capabilities_baseline::ID => {
                self.capabilities(v)
            }
            checks::run_as_non_root::ID => self.run_as_non_root(v),
            checks::seccomp_profile_restricted::ID => self.seccomp_restricted(v),
            checks::seccomp_profile_baseline::ID | checks::app_armor_profile::ID => {
                self.profiles(v)
            }
            checks::proc_mount::ID | checks::proc_mount_restricted::ID => {
                for f in &v.findings {
                    if self.may_change(id, f)
                        && let Some(path) = FieldPath::parse(&f.path)
                    {
                        self.edit(
                            id,
                            Edit::Set {
                                path,
                                value: Value::str("Default"),
                            },
                        );
                    }
                }
            }
            checks::sysctls::ID => self.sysctls(v),
            checks::host_ports::ID => {
                for f in &v.findings {
                    if !self.may_change(id, f) {
                        continue;
                    }
                    if self.spec.host_network {
                        self.block(id, why::HOST_NETWORK_PORTS);
                    } else if let Some(path) = FieldPath::parse(&f.path) {
                        self.edit(id, Edit::Remove { path });
                    }
                }
            }
            checks::host_probes_and_host_lifecycle::ID => {
                for f in &v.findings {
                    if self.may_change(id, f)
                        && let Some(path) = FieldPath::parse(&f.path)
                    {
                        self.edit(id, Edit::Remove { path });
                    }
                }
            }
            checks::privileged::ID => self.block(id, why::PRIVILEGED),
            checks::host_namespaces::ID => self.block(id, why::HOST_NAMESPACES),
            checks::host_path_volumes::ID => self.block(id, why::HOST_PATH),
            checks::restricted_volumes::ID => self.block(id, why::VOLUMES),
            checks::windows_host_process::ID => self.block(id, why::HOST_PROCESS),
            checks::se_linux_options::ID => self.block(id, why::SELINUX),
            checks::run_as_user::ID => self.block(id, why::ROOT_USER),
            _ => self.block(id, why::NO_RULE),
        }
    }

    fn allow_privilege_escalation(&mut self, v: &Violation) {
        let id = v.check;
        for f in &v.findings {
            if !self.may_change(id, f) {
                continue;
            }
            let Some(path) = FieldPath::parse(&f.path) else {
                continue;
            };
            if self.spec.is_windows() {
                self.block(id, why::WINDOWS);
            } else if container_at(self.spec, &path).is_some_and(|c| {
                c.security_context
                    .as_ref()
                    .is_some_and(|sc| sc.privileged == Some(true))
            }) {
                self.block(id, why::PRIVILEGED_ESCALATION);
            } else {
                self.edit(
                    id,
                    Edit::Set {
                        path,
                        value: Value::Bool(false),
                    },
                );
            }
        }
    }

    fn capabilities(&mut self, v: &Violation) {
        let id = v.check;
        // Added capabilities, grouped per list, removed from the highest index down.
        let mut removals: Vec<(FieldPath, Vec<usize>)> = Vec::new();
        for f in &v.findings {
            let Some(path) = FieldPath::parse(&f.path) else {
                continue;
            };
            if f.kind == FindingKind::Unset {
                // `...securityContext.capabilities.drop`.
                if self.spec.is_windows() {
                    self.block(id, why::WINDOWS);
                    continue;
                }
                let drop = container_at(self.spec, &path)
                    .and_then(|c| c.security_context.as_ref())
                    .and_then(|sc| sc.capabilities.as_ref())
                    .map(|caps| caps.drop.as_slice())
                    .unwrap_or_default();
                if drop.is_empty() {
                    let value = Value::List(vec![Value::str("ALL")]);
                    self.edit(id, Edit::Set { path, value });
                } else if self.fill_only() {
                    self.block(id, why::EXPLICIT);
                } else {
                    self.edit(
                        id,
                        Edit::AddItem {
                            path,
                            value: Value::str("ALL"),
                        },
                    );
                }
                continue;
            }
            if !self.may_change(id, f) {
                continue;
            }
            let Some((list, Segment::Index(index))) = path.split_last() else {
                continue;
            };
            let index = *index;
            match removals.iter_mut().find(|(p, _)| *p == list) {
                Some((_, indices)) => indices.push(index),
                None => removals.push((list, vec![index])),
            }
        }
        for (list, mut indices) in removals {
            let len = container_at(self.spec, &list)
                .and_then(|c| c.security_context.as_ref())
                .and_then(|sc| sc.capabilities.as_ref())
                .map_or(0, |caps| caps.add.len());
            self.remove_items(id, list, &mut indices, len);
        }
    }

    /// Removes the items `indices` of the list at `path` of length `len`: the whole list when
    /// nothing would be left, else item by item from the highest index.
    fn remove_items(&mut self, id: CheckId, path: FieldPath, indices: &mut Vec<usize>, len: usize) {
        indices.sort_unstable();
        indices.dedup();
        if indices.len() == len {
            self.edit(id, Edit::Remove { path });
            return;
        }
        for &index in indices.iter().rev() {
            self.edit(
                id,
                Edit::RemoveItem {
                    path: path.clone(),
                    index,
                },
            );
        }
    }

    fn sysctls(&mut self, v: &Violation) {
        let id = v.check;
        let mut indices = Vec::new();
        for f in &v.findings {
            if !self.may_change(id, f) {
                continue;
            }
            // `spec.securityContext.sysctls[i].name`.
            if let Some(path) = FieldPath::parse(&f.path)
                && let [.., Segment::Index(i), Segment::Field(_)] = path.0.as_slice()
            {
                indices.push(*i);
            }
        }
        if indices.is_empty() {
            return;
        }
        let len = self
            .spec
            .security_context
            .as_ref()
            .map_or(0, |sc| sc.sysctls.len());
        let path = FieldPath::parse("spec.securityContext.sysctls").unwrap_or_default();
        self.remove_items(id, path, &mut indices, len);
    }

    /// `seccompProfile_baseline` and `appArmorProfile`: bad profile types and annotations.
    fn profiles(&mut self, v: &Violation) {
        let id = v.check;
        for f in &v.findings {
            if !self.may_change(id, f) {
                continue;
            }
            if f.path.starts_with("metadata.annotations[") {
                if let Some(key) = self.annotation_key(&f.path) {
                    let path = FieldPath::annotation(key);
                    let value = Value::str(RUNTIME_DEFAULT_ANNOTATION);
                    self.edit(id, Edit::Set { path, value });
                }
                continue;
            }
            let Some(path) = FieldPath::parse(&f.path) else {
                continue;
            };
            self.set_profile_type(id, &path);
        }
    }

    /// Sets the profile whose `type` is at `type_path` to `RuntimeDefault` (removing its
    /// `localhostProfile`, valid only with `Localhost`).
    fn set_profile_type(&mut self, id: CheckId, type_path: &FieldPath) {
        let Some((profile_path, _)) = type_path.split_last() else {
            return;
        };
        if profile_at(self.spec, &profile_path).is_some_and(|p| p.localhost_profile.is_some()) {
            let path = profile_path.field("localhostProfile");
            self.edit(id, Edit::Remove { path });
        }
        let value = Value::str(RUNTIME_DEFAULT);
        self.edit(
            id,
            Edit::Set {
                path: type_path.clone(),
                value,
            },
        );
    }

    fn annotation_key(&self, path: &str) -> Option<&str> {
        self.metadata
            .annotations
            .keys()
            .find(|key| format!("metadata.annotations[{}]", go_quote(key)) == path)
            .map(String::as_str)
    }

    fn seccomp_restricted(&mut self, v: &Violation) {
        let id = v.check;
        if self.spec.is_windows() {
            self.block(id, why::WINDOWS);
            return;
        }
        let pod_type =
            FieldPath::parse("spec.securityContext.seccompProfile.type").unwrap_or_default();
        let pod_present = self
            .spec
            .security_context
            .as_ref()
            .is_some_and(|sc| sc.seccomp_profile.is_some());
        let pod_type_text = pod_type.to_string();
        let pod_bad = v.findings.iter().any(|f| f.path == pod_type_text);
        // The pod's profile is valid, or set by this plan: containers may inherit it.
        let mut pod_valid = true;
        if pod_bad {
            if self.fill_only() {
                self.block(id, why::EXPLICIT);
                pod_valid = false;
            } else {
                self.set_profile_type(id, &pod_type);
            }
        } else if !pod_present
            && (v.findings.iter().any(|f| f.kind == FindingKind::Unset) || !self.fill_only())
        {
            let value = Value::str(RUNTIME_DEFAULT);
            self.edit(
                id,
                Edit::Set {
                    path: pod_type.clone(),
                    value,
                },
            );
        }
        for f in &v.findings {
            if f.path == pod_type_text || f.kind == FindingKind::Unset {
                continue;
            }
            if !self.may_change(id, f) || !pod_valid {
                continue;
            }
            if let Some(profile) =
                FieldPath::parse(&f.path).and_then(|p| p.split_last().map(|s| s.0))
            {
                self.edit(id, Edit::Remove { path: profile });
            }
        }
    }

    fn run_as_non_root(&mut self, v: &Violation) {
        let id = v.check;
        if self.options.non_root == NonRoot::Skip {
            self.block(id, why::NON_ROOT_UNKNOWN);
            return;
        }
        let pod_sc = self.spec.security_context.as_ref();
        let pod_user = pod_sc.and_then(|sc| sc.run_as_user);
        let default_user = match self.options.non_root {
            NonRoot::WithUser(uid) if pod_user.is_none() => Some(uid),
            _ => None,
        };
        let pod_user_after = pod_user.or(default_user);
        let runs_as_root = |c: &Container| {
            let own = c.security_context.as_ref().and_then(|sc| sc.run_as_user);
            own.or(pod_user_after) == Some(0)
        };
        // A pod-level `runAsNonRoot: true` is inherited by containers without their own: none
        // of them may run as root.
        let pod_level_ok = visitor::containers(self.spec).all(|c| {
            let inherits = c
                .security_context()
                .and_then(|sc| sc.run_as_non_root)
                .is_none();
            !(inherits && runs_as_root(c.container))
        });
        let pod_path = FieldPath::parse("spec.securityContext.runAsNonRoot").unwrap_or_default();
        let mut changed = false;
        let mut pod_set = false;
        for f in &v.findings {
            if !self.may_change(id, f) {
                continue;
            }
            let Some(path) = FieldPath::parse(&f.path) else {
                continue;
            };
            if path == pod_path {
                // The pod sets `false`.
                if pod_level_ok {
                    self.edit(
                        id,
                        Edit::Set {
                            path,
                            value: Value::Bool(true),
                        },
                    );
                    pod_set = true;
                    changed = true;
                } else {
                    self.block(id, why::ROOT_CONTAINER);
                }
                continue;
            }
            let container = container_at(self.spec, &path);
            if container.is_some_and(runs_as_root) {
                self.block(id, why::ROOT_CONTAINER);
                continue;
            }
            let pod_false = pod_sc.and_then(|sc| sc.run_as_non_root) == Some(false);
            if f.kind == FindingKind::Unset && pod_level_ok && !pod_false {
                if !pod_set {
                    let path = pod_path.clone();
                    self.edit(
                        id,
                        Edit::Set {
                            path,
                            value: Value::Bool(true),
                        },
                    );
                    pod_set = true;
                }
            } else {
                self.edit(
                    id,
                    Edit::Set {
                        path,
                        value: Value::Bool(true),
                    },
                );
            }
            changed = true;
        }
        if changed && let Some(uid) = default_user {
            let path = FieldPath::parse("spec.securityContext.runAsUser").unwrap_or_default();
            self.edit(
                id,
                Edit::Set {
                    path,
                    value: Value::Int(uid),
                },
            );
        }
    }
}

/// The container a path `spec.<list>[i]...` points into.
fn container_at<'a>(spec: &'a PodSpec, path: &FieldPath) -> Option<&'a Container> {
    match path.0.as_slice() {
        [
            Segment::Field(root),
            Segment::Field(list),
            Segment::Index(i),
            ..,
        ] if root == "spec" => match list.as_str() {
            "initContainers" => spec.init_containers.get(*i),
            "containers" => spec.containers.get(*i),
            "ephemeralContainers" => spec.ephemeral_containers.get(*i),
            _ => None,
        },
        _ => None,
    }
}

/// The seccomp or AppArmor profile at `path` (pod or container security context).
fn profile_at<'a>(spec: &'a PodSpec, path: &FieldPath) -> Option<&'a Profile> {
    let Some(Segment::Field(kind)) = path.0.last() else {
        return None;
    };
    let seccomp = kind == "seccompProfile";
    if path.0.len() == 3 {
        let sc = spec.security_context.as_ref()?;
        return if seccomp {
            sc.seccomp_profile.as_ref()
        } else {
            sc.app_armor_profile.as_ref()
        };
    }
    let sc = container_at(spec, path)?.security_context.as_ref()?;
    if seccomp {
        sc.seccomp_profile.as_ref()
    } else {
        sc.app_armor_profile.as_ref()
    }
}

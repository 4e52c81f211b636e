//! The API server's validation of the fields the checks read (see the module docs of
//! [`crate::apiserver`] for the table). The walk follows upstream's order of appends:
//! `ValidatePodCreate` for pods, `ValidatePodTemplateSpec` for templates. Every rule's
//! `source` names a function of kubernetes/kubernetes
//! `pkg/apis/core/validation/validation.go`.

use crate::checks::seccomp_profile_baseline::{CONTAINER_ANNOTATION_PREFIX, POD_ANNOTATION};
use crate::defaults::{APPARMOR_ANNOTATION_PREFIX, Minors, SpecOwner};
use crate::model::{
    Container, Handler, PodMetadata, PodSecurityContext, PodSpec, Profile, SecurityContext,
    VolumeSource,
};
use crate::version::Version;
use crate::visitor::{self, ContainerKind};

use super::{BadValue, FieldError, Paths, Rule};

const fn rule(
    id: &'static str,
    pods: Option<Minors>,
    templates: Option<Minors>,
    answer: &'static str,
    source: &'static str,
) -> Rule {
    Rule {
        id,
        pods,
        templates,
        answer,
        source,
    }
}

const ALL: Option<Minors> = Some(Minors::ALL);
const fn since(minor: u64) -> Option<Minors> {
    Some(Minors::since(minor))
}

const SECCOMP_ANNOTATION: Rule = rule(
    "seccomp-annotation",
    ALL,
    ALL,
    "`<annotations>.seccomp.security.alpha.kubernetes.io/pod: Invalid value: \"x\": must be a \
     valid seccomp profile` (also each container annotation; `localhost/<path>`: `must be a \
     relative path`, `must not contain '..'`)",
    "ValidatePodSpecificAnnotations: ValidateSeccompPodAnnotations, ValidateSeccompProfile",
);
const APPARMOR_ANNOTATION: Rule = rule(
    "apparmor-annotation",
    ALL,
    ALL,
    "`<annotations>[container.apparmor.security.beta.kubernetes.io/<name>]: Invalid value: \
     \"<name>\": container not found`; `Invalid value: \"x\": invalid AppArmor profile name: \
     \"x\"`",
    "ValidatePodSpecificAnnotations: ValidateAppArmorPodAnnotations",
);
const VOLUME_ONE_SOURCE: Rule = rule(
    "volume-one-source",
    ALL,
    ALL,
    "`spec.volumes[0].<source>: Forbidden: may not specify more than 1 volume type`",
    "ValidateVolumes: validateVolumeSource",
);
const CONTAINER_PORT_RANGE: Rule = rule(
    "container-port-range",
    ALL,
    ALL,
    "`...ports[0].containerPort: Required value`; `...containerPort: Invalid value: 70000: must \
     be between 1 and 65535, inclusive`; the same for a non-zero `hostPort`",
    "validateContainerCommon: validateContainerPorts",
);
const RUN_AS_USER_RANGE: Rule = rule(
    "run-as-user-range",
    ALL,
    ALL,
    "`...securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, \
     inclusive`",
    "ValidateSecurityContext, validatePodSpecSecurityContext: IsValidUserID",
);
const PROC_MOUNT_TYPE: Rule = rule(
    "proc-mount-type",
    ALL,
    ALL,
    "`...securityContext.procMount: Unsupported value: \"x\": supported values: \"Default\", \
     \"Unmasked\"`",
    "ValidateSecurityContext: ValidateProcMountType",
);
const PROC_MOUNT_UNMASKED: Rule = rule(
    "proc-mount-unmasked-host-users",
    since(30),
    since(30),
    "`...securityContext.procMount: Invalid value: \"Unmasked\": `hostUsers` must be false to \
     use `Unmasked``",
    "ValidateSecurityContext (kubernetes/kubernetes#123520, v1.30)",
);
const SECCOMP_PROFILE_FIELD: Rule = rule(
    "seccomp-profile-field",
    since(19),
    since(19),
    "`...seccompProfile.type: Required value: type is required when seccompProfile is set`, \
     `Unsupported value`, `...localhostProfile: Required value: must be set when seccomp type \
     is Localhost`, ...",
    "validateSeccompProfileField (container: ValidateSecurityContext; pod: \
     validatePodSpecSecurityContext)",
);
const PRIVILEGE_ESCALATION_CONFLICT: Rule = rule(
    "allow-privilege-escalation-conflict",
    ALL,
    ALL,
    "`...securityContext: Invalid value: core.SecurityContext{...}: cannot set \
     `allowPrivilegeEscalation` to false and `privileged` to true` (upstream prints the whole \
     internal struct with Go's %#v, pointer addresses included: podsec writes `{...}`)",
    "ValidateSecurityContext",
);
const APPARMOR_PROFILE_FIELD: Rule = rule(
    "apparmor-profile-field",
    since(30),
    since(30),
    "`...appArmorProfile.type: Required value: type is required when appArmorProfile is set`, \
     `Unsupported value`, `...localhostProfile: Required value: must be set when AppArmor type \
     is Localhost`, ...",
    "ValidateAppArmorProfileField (container: ValidateSecurityContext; pod: \
     validatePodSpecSecurityContext)",
);
const HOST_PORT_CONFLICT: Rule = rule(
    "host-port-conflict",
    ALL,
    ALL,
    "`spec.containers[1].ports[0].hostPort: Duplicate value: \"TCP//8080\"`",
    "validateContainers, validateInitContainers: checkHostPortConflicts",
);
const EPHEMERAL_CONTAINER_FIELDS: Rule = rule(
    "ephemeral-container-fields",
    since(23),
    since(23),
    "`spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container`",
    "validateEphemeralContainers: validateFieldAllowList",
);
const HOST_NETWORK_CONTAINER_PORT: Rule = rule(
    "host-network-container-port",
    Some(Minors::until(27)),
    Some(Minors::until(27)),
    "`spec.containers[0].ports[0].containerPort: Invalid value: 80: must match `hostPort` when \
     `hostNetwork` is true`",
    "validateHostNetwork (up to v1.27)",
);
const HOST_NETWORK_HOST_PORT: Rule = rule(
    "host-network-host-port",
    since(28),
    since(28),
    "`spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` \
     when `hostNetwork` is true`",
    "validatePodHostNetworkDeps (v1.28+)",
);
const SYSCTL_NAME: Rule = rule(
    "sysctl-name",
    since(23),
    since(23),
    "`spec.securityContext.sysctls[0].name: Invalid value: \"x\": must have at most 253 \
     characters and match regex ...`, `Required value`, `Duplicate value`",
    "validatePodSpecSecurityContext: validateSysctls",
);
const SYSCTL_HOST_NAMESPACE: Rule = rule(
    "sysctl-host-namespace",
    since(29),
    since(29),
    "`spec.securityContext.sysctls[0].name: Invalid value: \"net.x\": may not be specified when \
     'hostNetwork' is true`",
    "validateSysctls: ValidateHostSysctl (kubernetes/kubernetes#118705)",
);
const WINDOWS_HOST_PROCESS: Rule = rule(
    "windows-host-process",
    since(23),
    since(23),
    "`spec: Invalid value: \"\": If pod contains any hostProcess containers then all containers \
     must be HostProcess containers`, ...",
    "validateWindowsHostProcessPod",
);
const HOST_USERS_HOST_NAMESPACES: Rule = rule(
    "host-users-host-namespaces",
    since(25),
    since(25),
    "`spec.hostNetwork: Forbidden: when `pod.Spec.HostUsers` is false`",
    "validateHostUsers",
);
const OS_NAME: Rule = rule(
    "os-name",
    since(24),
    since(24),
    "`spec.os.name: Required value: cannot be empty`; `spec.os: Unsupported value: \"x\": \
     supported values: \"linux\", \"windows\"`",
    "ValidatePodSpec: validateOS",
);
const LINUX_NO_WINDOWS_OPTIONS: Rule = rule(
    "linux-no-windows-options",
    since(24),
    since(24),
    "`spec.securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux \
     pod`",
    "ValidatePodSpec: validateLinux",
);
const WINDOWS_NO_LINUX_FIELDS: Rule = rule(
    "windows-no-linux-fields",
    since(24),
    since(24),
    "`spec.securityContext.seLinuxOptions: Forbidden: cannot be set for a windows pod`",
    "ValidatePodSpec: validateWindows",
);
const EPHEMERAL_ON_CREATE: Rule = rule(
    "ephemeral-containers-on-create",
    since(23),
    None,
    "`spec.ephemeralContainers: Forbidden: cannot be set on create`",
    "ValidatePodCreate",
);
const SECCOMP_MATCH: Rule = rule(
    "seccomp-annotation-field-match",
    since(19),
    since(19),
    "`...seccompProfile.type: Forbidden: seccomp type in annotation and field must match`; \
     `...localhostProfile: Forbidden: seccomp profile in annotation and field must match`",
    "ValidatePodCreate, ValidatePodTemplateSpec: validateSeccompAnnotationsAndFields",
);
const APPARMOR_MATCH: Rule = rule(
    "apparmor-annotation-field-match",
    since(30),
    since(30),
    "`...appArmorProfile.type: Forbidden: apparmor type in annotation and field must match`; \
     `...localhostProfile: Forbidden: apparmor profile in annotation and field must match`",
    "ValidatePodCreate, ValidatePodTemplateSpec: \
     validateAppArmorAnnotationsAndFieldsMatchOnCreate (kubernetes/kubernetes#128306 shows it on \
     a Deployment)",
);
const EPHEMERAL_IN_TEMPLATE: Rule = rule(
    "ephemeral-containers-in-template",
    None,
    since(23),
    "`<prefix>spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod \
     template`",
    "ValidatePodTemplateSpec",
);

/// Every validation rule, in the order upstream appends their errors.
pub const VALIDATION_RULES: &[Rule] = &[
    SECCOMP_ANNOTATION,
    APPARMOR_ANNOTATION,
    VOLUME_ONE_SOURCE,
    CONTAINER_PORT_RANGE,
    RUN_AS_USER_RANGE,
    PROC_MOUNT_TYPE,
    PROC_MOUNT_UNMASKED,
    SECCOMP_PROFILE_FIELD,
    PRIVILEGE_ESCALATION_CONFLICT,
    APPARMOR_PROFILE_FIELD,
    HOST_PORT_CONFLICT,
    EPHEMERAL_CONTAINER_FIELDS,
    HOST_NETWORK_CONTAINER_PORT,
    HOST_NETWORK_HOST_PORT,
    SYSCTL_NAME,
    SYSCTL_HOST_NAMESPACE,
    WINDOWS_HOST_PROCESS,
    HOST_USERS_HOST_NAMESPACES,
    OS_NAME,
    LINUX_NO_WINDOWS_OPTIONS,
    WINDOWS_NO_LINUX_FIELDS,
    EPHEMERAL_ON_CREATE,
    SECCOMP_MATCH,
    APPARMOR_MATCH,
    EPHEMERAL_IN_TEMPLATE,
];

/// The API server's validation of a pod (`owner` [`SpecOwner::Pod`], `prefix` `""`) or of a
/// workload's pod template (`owner` [`SpecOwner::Template`], `prefix` e.g. `spec.template.`,
/// `spec.jobTemplate.spec.template.` or `template.`), after the cluster's defaulting
/// ([`crate::defaults::apply_cluster_defaults`]), at Kubernetes `kube` ([`Version::Latest`]
/// is [`crate::defaults::NEWEST_KUBERNETES`]). Only the rules of [`VALIDATION_RULES`]; the
/// errors in upstream's order. Allocation-free when there is no error.
pub fn validate(
    metadata: &PodMetadata,
    spec: &PodSpec,
    owner: SpecOwner,
    prefix: &str,
    kube: Version,
) -> Vec<FieldError> {
    let mut walk = Walk {
        meta: metadata,
        spec,
        owner,
        kube,
        paths: Paths { owner, prefix },
        errs: Vec::new(),
    };
    walk.annotations();
    walk.pod_spec();
    match owner {
        SpecOwner::Pod => {
            walk.ephemeral_on_create();
            walk.seccomp_match();
            walk.apparmor_match();
        }
        SpecOwner::Template => {
            walk.seccomp_match();
            walk.apparmor_match();
            walk.ephemeral_in_template();
        }
    }
    walk.errs
}

struct Walk<'a> {
    meta: &'a PodMetadata,
    spec: &'a PodSpec,
    owner: SpecOwner,
    kube: Version,
    paths: Paths<'a>,
    errs: Vec<FieldError>,
}

fn s(value: &str) -> BadValue {
    BadValue::Str(value.to_owned())
}

/// `field.Child(k)` of annotations: joined with a dot, whatever the key holds.
fn child(parent: &str, key: &str) -> String {
    format!("{parent}.{key}")
}

/// `InclusiveRangeError(1, 65535)`.
const PORT_RANGE: &str = "must be between 1 and 65535, inclusive";
/// `InclusiveRangeError(0, 2147483647)`.
const USER_ID_RANGE: &str = "must be between 0 and 2147483647, inclusive";

impl<'a> Walk<'a> {
    fn on(&self, rule: &Rule) -> bool {
        rule.applies(self.owner, self.kube)
    }

    /// The path of a container field: `<prefix>spec.<list>[i].<rest>`.
    fn container_path(&self, kind: ContainerKind, index: usize, rest: &str) -> String {
        self.paths.container(kind, index, rest)
    }

    // --- metadata ------------------------------------------------------------------------

    fn annotations(&mut self) {
        let annotations = &self.meta.annotations;
        if self.on(&SECCOMP_ANNOTATION) {
            if let Some(value) = annotations.get(POD_ANNOTATION) {
                let path = child(&self.paths.annotations(), POD_ANNOTATION);
                seccomp_annotation_value(value, path, &mut self.errs);
            }
            for (key, value) in annotations {
                if key.starts_with(CONTAINER_ANNOTATION_PREFIX) {
                    let path = child(&self.paths.annotations(), key);
                    seccomp_annotation_value(value, path, &mut self.errs);
                }
            }
        }
        if self.on(&APPARMOR_ANNOTATION) {
            for (key, value) in annotations {
                let Some(name) = key.strip_prefix(APPARMOR_ANNOTATION_PREFIX) else {
                    continue;
                };
                let paths = self.paths;
                let path = || format!("{}[{key}]", paths.annotations());
                if !visitor::containers(self.spec).any(|c| c.name() == name) {
                    self.errs
                        .push(FieldError::invalid(path(), s(name), "container not found"));
                }
                let valid = value.is_empty()
                    || value == "runtime/default"
                    || value == "unconfined"
                    || value.starts_with("localhost/");
                if !valid {
                    let detail = format!(
                        "invalid AppArmor profile name: {}",
                        crate::text::go_quote(value)
                    );
                    self.errs
                        .push(FieldError::invalid(path(), s(value), detail));
                }
            }
        }
    }

    // --- ValidatePodSpec ---------------------------------------------------------------

    fn pod_spec(&mut self) {
        let spec = self.spec;
        self.volumes();
        let host_users = !spec.is_user_namespaced();
        for (i, c) in spec.containers.iter().enumerate() {
            self.container_common(ContainerKind::Regular, i, c, host_users);
        }
        if self.on(&HOST_PORT_CONFLICT) {
            host_port_conflicts(
                &spec.containers,
                ContainerKind::Regular,
                self,
                &mut Vec::new(),
            );
        }
        for (i, c) in spec.init_containers.iter().enumerate() {
            self.container_common(ContainerKind::Init, i, c, host_users);
            if self.on(&HOST_PORT_CONFLICT) {
                // Each init container alone: they run one by one.
                let mut seen = Vec::new();
                host_port_conflict(c, ContainerKind::Init, i, self, &mut seen);
            }
        }
        for (i, c) in spec.ephemeral_containers.iter().enumerate() {
            self.container_common(ContainerKind::Ephemeral, i, c, host_users);
            if self.on(&EPHEMERAL_CONTAINER_FIELDS) {
                self.ephemeral_fields(i, c);
            }
        }
        self.host_network_ports();
        if let Some(sc) = &spec.security_context {
            self.pod_security_context(sc);
        }
        if self.on(&WINDOWS_HOST_PROCESS) {
            self.windows_host_process();
        }
        if self.on(&HOST_USERS_HOST_NAMESPACES) && spec.is_user_namespaced() {
            let detail = "when `pod.Spec.HostUsers` is false";
            for (set, field) in [
                (spec.host_network, "hostNetwork"),
                (spec.host_pid, "HostPID"),
                (spec.host_ipc, "HostIPC"),
            ] {
                if set {
                    self.errs
                        .push(FieldError::forbidden(self.paths.spec(field), detail));
                }
            }
        }
        self.os();
    }

    fn volumes(&mut self) {
        if !self.on(&VOLUME_ONE_SOURCE) {
            return;
        }
        for (i, volume) in self.spec.volumes.iter().enumerate() {
            let mut first = true;
            for source in VOLUME_SOURCE_ORDER {
                if volume.sources.contains(*source) {
                    if first {
                        first = false;
                    } else {
                        let path = self.paths.spec(&format!("volumes[{i}].{}", source.key()));
                        self.errs.push(FieldError::forbidden(
                            path,
                            "may not specify more than 1 volume type",
                        ));
                    }
                }
            }
        }
    }

    /// `validateContainerCommon`: the ports, then the security context.
    fn container_common(
        &mut self,
        kind: ContainerKind,
        index: usize,
        c: &Container,
        host_users: bool,
    ) {
        if self.on(&CONTAINER_PORT_RANGE) {
            for (p, port) in c.ports.iter().enumerate() {
                let paths = self.paths;
                let path =
                    |field: &str| paths.container(kind, index, &format!("ports[{p}].{field}"));
                if port.container_port == 0 {
                    self.errs
                        .push(FieldError::required(path("containerPort"), ""));
                } else if !(1..=65535).contains(&port.container_port) {
                    self.errs.push(FieldError::invalid(
                        path("containerPort"),
                        BadValue::Int(port.container_port.into()),
                        PORT_RANGE,
                    ));
                }
                if port.host_port != 0 && !(1..=65535).contains(&port.host_port) {
                    self.errs.push(FieldError::invalid(
                        path("hostPort"),
                        BadValue::Int(port.host_port.into()),
                        PORT_RANGE,
                    ));
                }
            }
        }
        if let Some(sc) = &c.security_context {
            self.container_security_context(kind, index, sc, host_users);
        }
    }

    /// `ValidateSecurityContext`.
    fn container_security_context(
        &mut self,
        kind: ContainerKind,
        index: usize,
        sc: &SecurityContext,
        host_users: bool,
    ) {
        let paths = self.paths;
        let path = |field: &str| {
            if field.is_empty() {
                paths.container(kind, index, "securityContext")
            } else {
                paths.container(kind, index, &format!("securityContext.{field}"))
            }
        };
        if let Some(user) = sc.run_as_user
            && self.on(&RUN_AS_USER_RANGE)
            && !(0..=i64::from(i32::MAX)).contains(&user)
        {
            self.errs.push(FieldError::invalid(
                path("runAsUser"),
                BadValue::Int(user),
                USER_ID_RANGE,
            ));
        }
        if let Some(proc_mount) = &sc.proc_mount {
            if self.on(&PROC_MOUNT_TYPE) && proc_mount != "Default" && proc_mount != "Unmasked" {
                self.errs.push(FieldError::not_supported(
                    path("procMount"),
                    s(proc_mount),
                    &["Default", "Unmasked"],
                ));
            }
            if self.on(&PROC_MOUNT_UNMASKED) && host_users && proc_mount == "Unmasked" {
                self.errs.push(FieldError::invalid(
                    path("procMount"),
                    s(proc_mount),
                    "`hostUsers` must be false to use `Unmasked`",
                ));
            }
        }
        if let Some(profile) = &sc.seccomp_profile
            && self.on(&SECCOMP_PROFILE_FIELD)
        {
            seccomp_profile_field(profile, &path("seccompProfile"), &mut self.errs);
        }
        if self.on(&PRIVILEGE_ESCALATION_CONFLICT) && sc.allow_privilege_escalation == Some(false) {
            let value = || BadValue::GoSyntax("core.SecurityContext{...}".to_owned());
            if sc.privileged == Some(true) {
                self.errs.push(FieldError::invalid(
                    path(""),
                    value(),
                    "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
                ));
            }
            if let Some(caps) = &sc.capabilities {
                for cap in caps.add.iter().filter(|c| *c == "CAP_SYS_ADMIN") {
                    let _ = cap;
                    self.errs.push(FieldError::invalid(
                        path(""),
                        value(),
                        "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` \
                         CAP_SYS_ADMIN",
                    ));
                }
            }
        }
        if let Some(profile) = &sc.app_armor_profile
            && self.on(&APPARMOR_PROFILE_FIELD)
        {
            apparmor_profile_field(profile, &path("appArmorProfile"), &mut self.errs);
        }
    }

    /// `validateFieldAllowList` for the fields an ephemeral container may not set.
    fn ephemeral_fields(&mut self, index: usize, c: &Container) {
        let probe = |h: &Option<Handler>| h.is_some();
        for (set, field) in [
            (!c.ports.is_empty(), "ports"),
            (probe(&c.liveness_probe), "livenessProbe"),
            (probe(&c.readiness_probe), "readinessProbe"),
            (probe(&c.startup_probe), "startupProbe"),
            (c.lifecycle.is_some(), "lifecycle"),
        ] {
            if set {
                let path = self.container_path(ContainerKind::Ephemeral, index, field);
                self.errs.push(FieldError::forbidden(
                    path,
                    "cannot be set for an Ephemeral Container",
                ));
            }
        }
    }

    fn host_network_ports(&mut self) {
        if !self.spec.host_network {
            return;
        }
        let old = self.on(&HOST_NETWORK_CONTAINER_PORT);
        let new = self.on(&HOST_NETWORK_HOST_PORT);
        for (i, c) in self.spec.containers.iter().enumerate() {
            for (p, port) in c.ports.iter().enumerate() {
                let (hp, cp) = (port.host_port, port.container_port);
                if old && hp != cp {
                    let path = self.container_path(
                        ContainerKind::Regular,
                        i,
                        &format!("ports[{p}].containerPort"),
                    );
                    self.errs.push(FieldError::invalid(
                        path,
                        BadValue::Int(cp.into()),
                        "must match `hostPort` when `hostNetwork` is true",
                    ));
                }
                let checked = self.owner == SpecOwner::Pod || hp != 0;
                if new && checked && hp != cp {
                    let path = self.container_path(
                        ContainerKind::Regular,
                        i,
                        &format!("ports[{p}].hostPort"),
                    );
                    self.errs.push(FieldError::invalid(
                        path,
                        BadValue::Int(hp.into()),
                        "must match `containerPort` when `hostNetwork` is true",
                    ));
                }
            }
        }
    }

    /// `validatePodSpecSecurityContext`.
    fn pod_security_context(&mut self, sc: &PodSecurityContext) {
        let paths = self.paths;
        let path = |field: &str| paths.spec(&format!("securityContext.{field}"));
        if let Some(user) = sc.run_as_user
            && self.on(&RUN_AS_USER_RANGE)
            && !(0..=i64::from(i32::MAX)).contains(&user)
        {
            self.errs.push(FieldError::invalid(
                path("runAsUser"),
                BadValue::Int(user),
                USER_ID_RANGE,
            ));
        }
        if !sc.sysctls.is_empty() {
            self.sysctls(sc);
        }
        if let Some(profile) = &sc.seccomp_profile
            && self.on(&SECCOMP_PROFILE_FIELD)
        {
            seccomp_profile_field(profile, &path("seccompProfile"), &mut self.errs);
        }
        if let Some(profile) = &sc.app_armor_profile
            && self.on(&APPARMOR_PROFILE_FIELD)
        {
            apparmor_profile_field(profile, &path("appArmorProfile"), &mut self.errs);
        }
    }

    fn sysctls(&mut self, sc: &PodSecurityContext) {
        let names = self.on(&SYSCTL_NAME);
        let host = self.on(&SYSCTL_HOST_NAMESPACE);
        for (i, sysctl) in sc.sysctls.iter().enumerate() {
            let name = sysctl.name.as_str();
            let paths = self.paths;
            let path = || paths.spec(&format!("securityContext.sysctls[{i}].name"));
            if names {
                if name.is_empty() {
                    self.errs.push(FieldError::required(path(), ""));
                } else if !is_valid_sysctl_name(name) {
                    self.errs.push(FieldError::invalid(
                        path(),
                        s(name),
                        format!("must have at most 253 characters and match regex {SYSCTL_REGEX}"),
                    ));
                } else if sc.sysctls[..i].iter().any(|o| o.name == name) {
                    self.errs.push(FieldError::duplicate(path(), s(name)));
                }
            }
            if host {
                match sysctl_namespace(name) {
                    Some(SysctlNs::Net) if self.spec.host_network => {
                        self.errs.push(FieldError::invalid(
                            path(),
                            s(name),
                            "may not be specified when 'hostNetwork' is true",
                        ));
                    }
                    Some(SysctlNs::Ipc) if self.spec.host_ipc => {
                        self.errs.push(FieldError::invalid(
                            path(),
                            s(name),
                            "may not be specified when 'hostIPC' is true",
                        ));
                    }
                    _ => {}
                }
            }
        }
    }

    /// `validateWindowsHostProcessPod`.
    fn windows_host_process(&mut self) {
        let pod = self
            .spec
            .security_context
            .as_ref()
            .and_then(|sc| sc.windows_options.as_ref())
            .and_then(|w| w.host_process);
        let mut containers = 0;
        let mut host_process = 0;
        for v in visitor::containers(self.spec) {
            containers += 1;
            let own = v
                .security_context()
                .and_then(|sc| sc.windows_options.as_ref())
                .and_then(|w| w.host_process);
            if let (Some(pod), Some(own)) = (pod, own)
                && pod != own
            {
                let path = self.container_path(
                    v.kind,
                    v.index,
                    "securityContext.windowsOptions.hostProcess",
                );
                self.errs.push(FieldError::invalid(
                    path,
                    BadValue::Bool(own),
                    format!(
                        "pod hostProcess value must be identical if both are specified, was {pod}"
                    ),
                ));
            }
            if own == Some(true) || (own.is_none() && pod == Some(true)) {
                host_process += 1;
            }
        }
        if host_process > 0 {
            if host_process != containers {
                self.errs.push(FieldError::invalid(
                    self.paths.spec(""),
                    s(""),
                    "If pod contains any hostProcess containers then all containers must be \
                     HostProcess containers",
                ));
            }
            if !self.spec.host_network {
                self.errs.push(FieldError::invalid(
                    self.paths.spec("hostNetwork"),
                    BadValue::Bool(false),
                    "hostNetwork must be true if pod contains any hostProcess containers",
                ));
            }
        }
    }

    /// `validateOS`, then `validateLinux` or `validateWindows`.
    fn os(&mut self) {
        let Some(os) = &self.spec.os else {
            return;
        };
        if os.name.is_empty() {
            if self.on(&OS_NAME) {
                self.errs.push(FieldError::required(
                    self.paths.spec("os.name"),
                    "cannot be empty",
                ));
            }
            return;
        }
        match os.name.as_str() {
            "linux" => {
                if self.on(&LINUX_NO_WINDOWS_OPTIONS) {
                    self.linux();
                }
            }
            "windows" => {
                if self.on(&WINDOWS_NO_LINUX_FIELDS) {
                    self.windows();
                }
            }
            other => {
                if self.on(&OS_NAME) {
                    self.errs.push(FieldError::not_supported(
                        self.paths.spec("os"),
                        s(other),
                        &["linux", "windows"],
                    ));
                }
            }
        }
    }

    fn linux(&mut self) {
        const DETAIL: &str = "windows options cannot be set for a linux pod";
        let spec = self.spec;
        if spec
            .security_context
            .as_ref()
            .is_some_and(|sc| sc.windows_options.is_some())
        {
            self.errs.push(FieldError::forbidden(
                self.paths.spec("securityContext.windowsOptions"),
                DETAIL,
            ));
        }
        for v in visitor::containers(spec) {
            if v.security_context()
                .is_some_and(|sc| sc.windows_options.is_some())
            {
                let path = self.container_path(v.kind, v.index, "securityContext.windowsOptions");
                self.errs.push(FieldError::forbidden(path, DETAIL));
            }
        }
    }

    fn windows(&mut self) {
        const DETAIL: &str = "cannot be set for a windows pod";
        let spec = self.spec;
        // The AppArmor fields exist from v1.30 (before, the API server drops them unknown).
        let apparmor = self.kube >= Version::v1(30);
        if let Some(sc) = &spec.security_context {
            let fields = [
                (
                    apparmor && sc.app_armor_profile.is_some(),
                    "securityContext.appArmorProfile",
                ),
                (
                    sc.se_linux_options.is_some(),
                    "securityContext.seLinuxOptions",
                ),
                (spec.host_users.is_some(), "hostUsers"),
                (spec.host_pid, "hostPID"),
                (spec.host_ipc, "hostIPC"),
                (
                    sc.seccomp_profile.is_some(),
                    "securityContext.seccompProfile",
                ),
                (!sc.sysctls.is_empty(), "securityContext.sysctls"),
                (sc.run_as_user.is_some(), "securityContext.runAsUser"),
            ];
            for (set, field) in fields {
                if set {
                    self.errs
                        .push(FieldError::forbidden(self.paths.spec(field), DETAIL));
                }
            }
        }
        for v in visitor::containers(spec) {
            let Some(sc) = v.security_context() else {
                continue;
            };
            let fields = [
                (
                    apparmor && sc.app_armor_profile.is_some(),
                    "appArmorProfile",
                ),
                (sc.se_linux_options.is_some(), "seLinuxOptions"),
                (sc.seccomp_profile.is_some(), "seccompProfile"),
                (sc.capabilities.is_some(), "capabilities"),
                (sc.privileged.is_some(), "privileged"),
                (
                    sc.allow_privilege_escalation.is_some(),
                    "allowPrivilegeEscalation",
                ),
                (sc.proc_mount.is_some(), "procMount"),
                (sc.run_as_user.is_some(), "runAsUser"),
            ];
            for (set, field) in fields {
                if set {
                    let path =
                        self.container_path(v.kind, v.index, &format!("securityContext.{field}"));
                    self.errs.push(FieldError::forbidden(path, DETAIL));
                }
            }
        }
    }

    // --- after ValidatePodSpec ---------------------------------------------------------

    fn ephemeral_on_create(&mut self) {
        if self.on(&EPHEMERAL_ON_CREATE) && !self.spec.ephemeral_containers.is_empty() {
            self.errs.push(FieldError::forbidden(
                self.paths.spec("ephemeralContainers"),
                "cannot be set on create",
            ));
        }
    }

    fn ephemeral_in_template(&mut self) {
        if self.on(&EPHEMERAL_IN_TEMPLATE) && !self.spec.ephemeral_containers.is_empty() {
            self.errs.push(FieldError::forbidden(
                self.paths.spec("ephemeralContainers"),
                "ephemeral containers not allowed in pod template",
            ));
        }
    }

    /// `validateSeccompAnnotationsAndFields`.
    fn seccomp_match(&mut self) {
        if !self.on(&SECCOMP_MATCH) {
            return;
        }
        let annotations = &self.meta.annotations;
        let pod_field = self
            .spec
            .security_context
            .as_ref()
            .and_then(|sc| sc.seccomp_profile.as_ref());
        if let (Some(field), Some(annotation)) = (pod_field, annotations.get(POD_ANNOTATION)) {
            let path = self.paths.spec("securityContext.seccompProfile");
            if let Some(e) = seccomp_mismatch(annotation, field, &path) {
                self.errs.push(e);
            }
        }
        for v in visitor::containers(self.spec) {
            let Some(field) = v
                .security_context()
                .and_then(|sc| sc.seccomp_profile.as_ref())
            else {
                continue;
            };
            let key = format!("{CONTAINER_ANNOTATION_PREFIX}{}", v.name());
            if let Some(annotation) = annotations.get(&key) {
                let path = self.container_path(v.kind, v.index, "securityContext.seccompProfile");
                if let Some(e) = seccomp_mismatch(annotation, field, &path) {
                    self.errs.push(e);
                }
            }
        }
    }

    /// `validateAppArmorAnnotationsAndFieldsMatchOnCreate`.
    fn apparmor_match(&mut self) {
        if !self.on(&APPARMOR_MATCH) || self.spec.is_windows() {
            return;
        }
        let pod_profile = self
            .spec
            .security_context
            .as_ref()
            .and_then(|sc| sc.app_armor_profile.as_ref());
        for v in visitor::containers(self.spec) {
            let own = v
                .security_context()
                .and_then(|sc| sc.app_armor_profile.as_ref());
            let Some(profile) = own.or(pod_profile) else {
                continue;
            };
            let key = format!("{APPARMOR_ANNOTATION_PREFIX}{}", v.name());
            let Some(annotation) = self.meta.annotations.get(&key) else {
                continue;
            };
            let paths = self.paths;
            let path = |f: &str| {
                paths.container(
                    v.kind,
                    v.index,
                    &format!("securityContext.appArmorProfile.{f}"),
                )
            };
            let type_mismatch = "apparmor type in annotation and field must match";
            match profile.type_.as_str() {
                "Unconfined" if annotation != "unconfined" => {
                    self.errs
                        .push(FieldError::forbidden(path("type"), type_mismatch));
                }
                "RuntimeDefault" if annotation != "runtime/default" => {
                    self.errs
                        .push(FieldError::forbidden(path("type"), type_mismatch));
                }
                "Localhost" => match annotation.strip_prefix("localhost/") {
                    None => self
                        .errs
                        .push(FieldError::forbidden(path("type"), type_mismatch)),
                    Some(name) if profile.localhost_profile.as_deref() != Some(name) => {
                        self.errs.push(FieldError::forbidden(
                            path("localhostProfile"),
                            "apparmor profile in annotation and field must match",
                        ));
                    }
                    Some(_) => {}
                },
                _ => {}
            }
        }
    }
}

/// `validateVolumeSource`'s order of sources: the first present one counts, each later one
/// is an error.
const VOLUME_SOURCE_ORDER: &[VolumeSource] = &[
    VolumeSource::EmptyDir,
    VolumeSource::HostPath,
    VolumeSource::GitRepo,
    VolumeSource::GcePersistentDisk,
    VolumeSource::AwsElasticBlockStore,
    VolumeSource::Secret,
    VolumeSource::Nfs,
    VolumeSource::Iscsi,
    VolumeSource::Glusterfs,
    VolumeSource::Flocker,
    VolumeSource::PersistentVolumeClaim,
    VolumeSource::Rbd,
    VolumeSource::Quobyte,
    VolumeSource::Cinder,
    VolumeSource::Cephfs,
    VolumeSource::DownwardApi,
    VolumeSource::Fc,
    VolumeSource::FlexVolume,
    VolumeSource::ConfigMap,
    VolumeSource::AzureFile,
    VolumeSource::VsphereVolume,
    VolumeSource::PhotonPersistentDisk,
    VolumeSource::PortworxVolume,
    VolumeSource::AzureDisk,
    VolumeSource::Storageos,
    VolumeSource::Projected,
    VolumeSource::ScaleIo,
    VolumeSource::Csi,
    VolumeSource::Ephemeral,
    VolumeSource::Image,
];

/// `checkHostPortConflicts` over `containers` of `kind`, with `seen` accumulating
/// `<protocol>/<hostIP>/<hostPort>` keys.
fn host_port_conflicts(
    containers: &[Container],
    kind: ContainerKind,
    walk: &mut Walk<'_>,
    seen: &mut Vec<String>,
) {
    for (i, c) in containers.iter().enumerate() {
        host_port_conflict(c, kind, i, walk, seen);
    }
}

fn host_port_conflict(
    c: &Container,
    kind: ContainerKind,
    index: usize,
    walk: &mut Walk<'_>,
    seen: &mut Vec<String>,
) {
    for (p, port) in c.ports.iter().enumerate() {
        if port.host_port == 0 {
            continue;
        }
        // The API server defaults an empty protocol to TCP before validating.
        let protocol = if port.protocol.is_empty() {
            "TCP"
        } else {
            &port.protocol
        };
        let key = format!("{protocol}/{}/{}", port.host_ip, port.host_port);
        if seen.contains(&key) {
            let path = walk.container_path(kind, index, &format!("ports[{p}].hostPort"));
            walk.errs
                .push(FieldError::duplicate(path, BadValue::Str(key)));
        } else {
            seen.push(key);
        }
    }
}

/// `ValidateSeccompProfile` of an annotation value.
fn seccomp_annotation_value(value: &str, path: String, errs: &mut Vec<FieldError>) {
    match value {
        "runtime/default" | "docker/default" | "unconfined" => {}
        _ => match value.strip_prefix("localhost/") {
            Some(local) => local_descending_path(local, path, errs),
            None => errs.push(FieldError::invalid(
                path,
                s(value),
                "must be a valid seccomp profile",
            )),
        },
    }
}

/// `validateLocalDescendingPath`: relative, without a `..` element.
fn local_descending_path(target: &str, path: String, errs: &mut Vec<FieldError>) {
    if target.starts_with('/') {
        errs.push(FieldError::invalid(
            path.clone(),
            s(target),
            "must be a relative path",
        ));
    }
    if target.split('/').any(|part| part == "..") {
        errs.push(FieldError::invalid(
            path,
            s(target),
            "must not contain '..'",
        ));
    }
}

const PROFILE_TYPES: &[&str] = &["Localhost", "RuntimeDefault", "Unconfined"];

/// `validateSeccompProfileField` at `path` (`...seccompProfile`).
fn seccomp_profile_field(profile: &Profile, path: &str, errs: &mut Vec<FieldError>) {
    let type_ = profile.type_.as_str();
    match type_ {
        "Localhost" | "RuntimeDefault" | "Unconfined" => {}
        "" => errs.push(FieldError::required(
            format!("{path}.type"),
            "type is required when seccompProfile is set",
        )),
        other => errs.push(FieldError::not_supported(
            format!("{path}.type"),
            s(other),
            PROFILE_TYPES,
        )),
    }
    let local_path = || format!("{path}.localhostProfile");
    match (type_, &profile.localhost_profile) {
        ("Localhost", None) => errs.push(FieldError::required(
            local_path(),
            "must be set when seccomp type is Localhost",
        )),
        ("Localhost", Some(name)) => local_descending_path(name, local_path(), errs),
        (_, Some(_)) => errs.push(FieldError::invalid(
            local_path(),
            // Upstream passes the whole profile: Go prints the internal struct with `%#v`.
            BadValue::GoSyntax(go_seccomp_profile(profile)),
            "can only be set when seccomp type is Localhost",
        )),
        (_, None) => {}
    }
}

/// Go's `%#v` of a `*core.SeccompProfile` dereferenced by `field.Error`: the struct with its
/// `LocalhostProfile` pointer (whose address podsec cannot know, written `(*string)(...)`).
fn go_seccomp_profile(profile: &Profile) -> String {
    format!(
        "core.SeccompProfile{{Type:{}, LocalhostProfile:(*string)(...)}}",
        crate::text::go_quote(&profile.type_)
    )
}

/// `ValidateAppArmorProfileField` at `path` (`...appArmorProfile`).
fn apparmor_profile_field(profile: &Profile, path: &str, errs: &mut Vec<FieldError>) {
    let local_path = || format!("{path}.localhostProfile");
    match profile.type_.as_str() {
        "Localhost" => match &profile.localhost_profile {
            None => errs.push(FieldError::required(
                local_path(),
                "must be set when AppArmor type is Localhost",
            )),
            Some(name) => {
                if name.trim() != name {
                    errs.push(FieldError::invalid(
                        local_path(),
                        s(name),
                        "must not be padded with whitespace",
                    ));
                } else if name.is_empty() {
                    errs.push(FieldError::required(
                        local_path(),
                        "must be set when AppArmor type is Localhost",
                    ));
                }
                if name.len() > 4095 {
                    errs.push(FieldError::too_long(local_path(), 4095));
                }
            }
        },
        "RuntimeDefault" | "Unconfined" => {
            if let Some(name) = &profile.localhost_profile {
                errs.push(FieldError::invalid(
                    local_path(),
                    s(name),
                    "can only be set when AppArmor type is Localhost",
                ));
            }
        }
        "" => errs.push(FieldError::required(
            format!("{path}.type"),
            "type is required when appArmorProfile is set",
        )),
        other => errs.push(FieldError::not_supported(
            format!("{path}.type"),
            s(other),
            PROFILE_TYPES,
        )),
    }
}

/// `validateSeccompAnnotationsAndFieldsMatch`.
fn seccomp_mismatch(annotation: &str, field: &Profile, path: &str) -> Option<FieldError> {
    let type_mismatch = || {
        FieldError::forbidden(
            format!("{path}.type"),
            "seccomp type in annotation and field must match",
        )
    };
    match field.type_.as_str() {
        "Unconfined" if annotation != "unconfined" => Some(type_mismatch()),
        "RuntimeDefault" if annotation != "runtime/default" && annotation != "docker/default" => {
            Some(type_mismatch())
        }
        "Localhost" => match annotation.strip_prefix("localhost/") {
            None => Some(type_mismatch()),
            Some(name) if field.localhost_profile.as_deref() != Some(name) => {
                Some(FieldError::forbidden(
                    format!("{path}.localhostProfile"),
                    "seccomp profile in annotation and field must match",
                ))
            }
            Some(_) => None,
        },
        _ => None,
    }
}

/// The regex of valid sysctl names, as Go prints it.
const SYSCTL_REGEX: &str =
    r"^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$";

/// `IsValidSysctlName`: at most 253 bytes, segments of `[a-z0-9]([-_a-z0-9]*[a-z0-9])?`
/// separated by `.` or `/`.
fn is_valid_sysctl_name(name: &str) -> bool {
    name.len() <= 253
        && name.split(['.', '/']).all(|segment| {
            let bytes = segment.as_bytes();
            let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
            match (bytes.first(), bytes.last()) {
                (Some(first), Some(last)) => {
                    alnum(first)
                        && alnum(last)
                        && bytes.iter().all(|b| alnum(b) || *b == b'-' || *b == b'_')
                }
                _ => false,
            }
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SysctlNs {
    Ipc,
    Net,
}

/// The namespace of a sysctl (upstream's `utilsysctl.GetNamespace`, after normalising a
/// slash-separated name to dots).
fn sysctl_namespace(name: &str) -> Option<SysctlNs> {
    let first_sep = name.find(['.', '/']);
    let normalised: std::borrow::Cow<'_, str> = match first_sep {
        Some(i) if name.as_bytes()[i] == b'/' => name
            .chars()
            .map(|c| match c {
                '/' => '.',
                '.' => '/',
                c => c,
            })
            .collect::<String>()
            .into(),
        _ => name.into(),
    };
    let n = normalised.as_ref();
    if n == "kernel.sem"
        || n.starts_with("kernel.shm")
        || n.starts_with("kernel.msg")
        || n.starts_with("fs.mqueue.")
    {
        Some(SysctlNs::Ipc)
    } else if n.starts_with("net.") {
        Some(SysctlNs::Net)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_names() {
        for ok in [
            "net.ipv4.tcp_syncookies",
            "kernel.shm_rmid_forced",
            "a/b.c",
            "a-b_c",
        ] {
            assert!(is_valid_sysctl_name(ok), "{ok}");
        }
        for bad in [
            "",
            "Net.ipv4",
            "net..a",
            "net.",
            "-a",
            "a_",
            "a b",
            &"a".repeat(254),
        ] {
            assert!(!is_valid_sysctl_name(bad), "{bad}");
        }
        assert_eq!(sysctl_namespace("net.ipv4.ip_forward"), Some(SysctlNs::Net));
        assert_eq!(sysctl_namespace("net/ipv4/ip_forward"), Some(SysctlNs::Net));
        assert_eq!(
            sysctl_namespace("kernel.shm_rmid_forced"),
            Some(SysctlNs::Ipc)
        );
        assert_eq!(sysctl_namespace("kernel.sem"), Some(SysctlNs::Ipc));
        assert_eq!(sysctl_namespace("fs.mqueue.msg_max"), Some(SysctlNs::Ipc));
        assert_eq!(sysctl_namespace("kernel.domainname"), None);
    }
}

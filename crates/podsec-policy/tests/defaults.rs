//! The cluster defaulting rules of `podsec_policy::defaults`: for each rule, the Pod Security
//! result of the same manifest at a Kubernetes version where the API server applies it and at
//! one where it does not.
#![allow(unsafe_code)] // implementing GlobalAlloc requires it

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::HashSet;

use podsec_policy::defaults::{
    Minors, NEWEST_KUBERNETES, RULES, SpecOwner, apply_cluster_defaults, rules,
};
use podsec_policy::model::{PodMetadata, PodSpec};
use podsec_policy::{Level, LevelVersion, Version, evaluate};
use serde::Deserialize;

use SpecOwner::{Pod as POD, Template as TEMPLATE};

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Manifest {
    #[serde(default)]
    metadata: PodMetadata,
    #[serde(default)]
    spec: PodSpec,
}

fn manifest(json: &str) -> Manifest {
    serde_json::from_str(json).expect("test manifest parses")
}

fn v(minor: u64) -> Version {
    Version::v1(minor)
}

/// The manifest as a cluster running `kube` admits it, for `owner`.
fn on_cluster(json: &str, owner: SpecOwner, kube: Version) -> Manifest {
    let mut m = manifest(json);
    apply_cluster_defaults(&mut m.metadata, &mut m.spec, owner, kube);
    m
}

/// The detailed Pod Security message at `level:version` ("" when allowed).
fn detail(policy: &str, m: &Manifest) -> String {
    let (level, version) = policy.split_once(':').expect("level:version");
    let level: Level = level.parse().expect("level");
    let version: Version = version.parse().expect("version");
    let result = evaluate(LevelVersion::new(level, version), &m.metadata, &m.spec);
    assert_eq!(result.is_allowed(), result.forbidden_detail().is_empty());
    result.forbidden_detail()
}

/// Asserts the message of `json` at `policy` without defaulting and, for each `(owner,
/// kube, want)`, after the cluster's defaulting.
fn expect(json: &str, policy: &str, raw: &str, cases: &[(SpecOwner, Version, &str)]) {
    assert_eq!(detail(policy, &manifest(json)), raw, "raw at {policy}");
    for (owner, kube, want) in cases {
        let got = detail(policy, &on_cluster(json, *owner, *kube));
        assert_eq!(got, *want, "{owner:?} on Kubernetes {kube} at {policy}");
    }
}

/// A container passing every restricted check (but `seccompProfile` when `seccomp` is false).
fn restricted_container(name: &str, seccomp: bool) -> String {
    let seccomp = if seccomp {
        r#","seccompProfile":{"type":"RuntimeDefault"}"#
    } else {
        ""
    };
    format!(
        r#"{{"name":"{name}","securityContext":{{"allowPrivilegeEscalation":false,"capabilities":{{"drop":["ALL"]}},"runAsNonRoot":true{seccomp}}}}}"#
    )
}

#[test]
fn rule_table_is_well_formed() {
    assert_eq!(rules().len(), RULES.len());
    let mut names = HashSet::new();
    for rule in rules() {
        assert!(names.insert(rule.name), "duplicate rule {}", rule.name);
        assert!(
            rule.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{}",
            rule.name
        );
        assert!(
            rule.pods.is_some() || rule.templates.is_some(),
            "{}",
            rule.name
        );
        for minors in [rule.pods, rule.templates].into_iter().flatten() {
            if let Some(last) = minors.last {
                assert!(minors.first <= last, "{}", rule.name);
                assert!(
                    last < 37,
                    "{}: a closed range ends before the newest",
                    rule.name
                );
            }
        }
        assert!(
            !rule.summary.is_empty() && !rule.effect.is_empty(),
            "{}",
            rule.name
        );
        assert!(rule.source.starts_with("pkg/"), "{}", rule.name);
    }
    assert_eq!(NEWEST_KUBERNETES, v(37));
}

#[test]
fn sourceless_volume_becomes_empty_dir_on_every_version() {
    let json = format!(
        r#"{{"spec":{{"volumes":[{{"name":"scratch"}},{{"name":"data","emptyDir":{{}}}}],"containers":[{}]}}}}"#,
        restricted_container("app", true)
    );
    let cases: Vec<_> = [POD, TEMPLATE]
        .into_iter()
        .flat_map(|owner| [v(0), v(22), v(28), Version::Latest].map(|kube| (owner, kube, "")))
        .collect();
    expect(
        &json,
        "restricted:latest",
        r#"restricted volume types (volume "scratch" uses restricted volume type "unknown")"#,
        &cases,
    );
}

#[test]
fn host_network_ports_get_host_ports_in_pods_always_and_in_templates_until_v1_27() {
    let json = r#"{"spec":{"hostNetwork":true,
        "initContainers":[{"name":"init","ports":[{"containerPort":53}]}],
        "containers":[{"name":"app","ports":[{"containerPort":8080},{"containerPort":9090,"hostPort":9091}]}],
        "ephemeralContainers":[{"name":"debug","ports":[{"containerPort":7000}]}]}}"#;
    let host_network = "host namespaces (hostNetwork=true)";
    let raw = format!(r#"{host_network}, hostPort (container "app" uses hostPort 9091)"#);
    let defaulted = format!(
        r#"{host_network}, hostPort (containers "init", "app" use hostPorts 53, 8080, 9091)"#
    );
    expect(
        json,
        "baseline:latest",
        &raw,
        &[
            (POD, v(0), &defaulted),
            (POD, v(27), &defaulted),
            (POD, v(28), &defaulted),
            (POD, Version::Latest, &defaulted),
            (TEMPLATE, v(0), &defaulted),
            (TEMPLATE, v(27), &defaulted),
            (TEMPLATE, v(28), &raw),
            (TEMPLATE, Version::Latest, &raw),
        ],
    );
}

#[test]
fn seccomp_pod_annotation_sets_the_field_from_v1_19_to_v1_26() {
    let json = format!(
        r#"{{"metadata":{{"annotations":{{"seccomp.security.alpha.kubernetes.io/pod":"runtime/default"}}}},
            "spec":{{"containers":[{}]}}}}"#,
        restricted_container("app", false)
    );
    let unset = r#"seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#;
    expect(
        &json,
        "restricted:latest",
        unset,
        &[
            (POD, v(18), unset),
            (POD, v(19), ""),
            (POD, v(26), ""),
            (POD, v(27), unset),
            (POD, Version::Latest, unset),
            (TEMPLATE, v(19), unset),
            (TEMPLATE, v(26), unset),
        ],
    );
}

#[test]
fn seccomp_container_annotations_set_container_fields_from_v1_19_to_v1_26() {
    let json = r#"{"metadata":{"annotations":{
            "container.seccomp.security.alpha.kubernetes.io/app":"unconfined",
            "container.seccomp.security.alpha.kubernetes.io/init":"unconfined",
            "container.seccomp.security.alpha.kubernetes.io/kept":"unconfined",
            "container.seccomp.security.alpha.kubernetes.io/side":"docker/default",
            "container.seccomp.security.alpha.kubernetes.io/bad":"localhost/"}},
        "spec":{"initContainers":[{"name":"init"}],
            "containers":[{"name":"app"},{"name":"side"},{"name":"bad"},
                {"name":"kept","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}]}}"#;
    let unconfined = r#"seccompProfile (containers "init", "app" must not set securityContext.seccompProfile.type to "Unconfined")"#;
    expect(
        json,
        "baseline:latest",
        "",
        &[
            (POD, v(18), ""),
            (POD, v(19), unconfined),
            (POD, v(26), unconfined),
            (POD, v(27), ""),
            (TEMPLATE, v(22), ""),
        ],
    );
    // `docker/default` became RuntimeDefault, the invalid `localhost/` nothing.
    let m = on_cluster(json, POD, v(22));
    let seccomp = |i: usize| {
        m.spec.containers[i]
            .security_context
            .as_ref()
            .and_then(|sc| sc.seccomp_profile.as_ref())
            .map(|p| p.type_.as_str())
    };
    assert_eq!(seccomp(1), Some("RuntimeDefault"));
    assert_eq!(seccomp(2), None);
}

#[test]
fn seccomp_fields_set_annotations_from_v1_19_to_v1_24() {
    let json = r#"{"spec":{"securityContext":{"seccompProfile":{"type":"Unconfined"}},
        "containers":[{"name":"app","securityContext":{"seccompProfile":{"type":"Unconfined"}}},
            {"name":"ok","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}},
            {"name":"local","securityContext":{"seccompProfile":{"type":"Localhost"}}}]}}"#;
    // Policies before v1.19 read only the annotations.
    let annotations = r#"seccompProfile (forbidden annotations container.seccomp.security.alpha.kubernetes.io/app="unconfined", seccomp.security.alpha.kubernetes.io/pod="unconfined")"#;
    expect(
        json,
        "baseline:v1.18",
        "",
        &[
            (POD, v(18), ""),
            (POD, v(19), annotations),
            (POD, v(24), annotations),
            (POD, v(25), ""),
            (TEMPLATE, v(20), ""),
        ],
    );
    let m = on_cluster(json, POD, v(20));
    assert_eq!(
        m.metadata
            .annotations
            .get("container.seccomp.security.alpha.kubernetes.io/ok")
            .map(String::as_str),
        Some("runtime/default")
    );
    assert_eq!(
        m.metadata.annotations.len(),
        3,
        "no annotation for Localhost"
    );
}

#[test]
fn seccomp_sync_never_overwrites() {
    let json = r#"{"metadata":{"annotations":{"seccomp.security.alpha.kubernetes.io/pod":"unconfined"}},
        "spec":{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"app"}]}}"#;
    for minor in 0..=40 {
        assert_eq!(
            on_cluster(json, POD, v(minor)),
            manifest(json),
            "v1.{minor}"
        );
    }
}

#[test]
fn apparmor_annotation_sets_the_container_field_from_v1_30() {
    let json = r#"{"metadata":{"annotations":{"container.apparmor.security.beta.kubernetes.io/app":"unconfined"}},
        "spec":{"containers":[{"name":"app"}]}}"#;
    let raw = r#"forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/app="unconfined"")"#;
    let synced = r#"forbidden AppArmor profiles (container "app" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined"")"#;
    expect(
        json,
        "baseline:latest",
        raw,
        &[
            (POD, v(29), raw),
            (POD, v(30), synced),
            (POD, v(34), synced),
            (POD, Version::Latest, synced),
            (TEMPLATE, Version::Latest, raw),
        ],
    );
    // Not for Windows pods, and not when the pod-level profile is the same.
    let windows = r#"{"metadata":{"annotations":{"container.apparmor.security.beta.kubernetes.io/app":"unconfined"}},
        "spec":{"os":{"name":"windows"},"containers":[{"name":"app"}]}}"#;
    expect(
        windows,
        "baseline:latest",
        raw,
        &[(POD, Version::Latest, raw)],
    );
    let same = r#"{"metadata":{"annotations":{"container.apparmor.security.beta.kubernetes.io/app":"unconfined"}},
        "spec":{"securityContext":{"appArmorProfile":{"type":"Unconfined"}},"containers":[{"name":"app"}]}}"#;
    assert_eq!(on_cluster(same, POD, Version::Latest), manifest(same));
}

#[test]
fn apparmor_fields_set_annotations_from_v1_30_to_v1_33() {
    let json = r#"{"spec":{"securityContext":{"appArmorProfile":{"type":"Unconfined"}},
        "containers":[{"name":"app"},{"name":"own","securityContext":{"appArmorProfile":{"type":"RuntimeDefault"}}}]}}"#;
    let raw =
        r#"forbidden AppArmor profile (pod must not set AppArmor profile type to "Unconfined")"#;
    let synced = r#"forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined"")"#;
    expect(
        json,
        "baseline:latest",
        raw,
        &[
            (POD, v(29), raw),
            (POD, v(30), synced),
            (POD, v(33), synced),
            (POD, v(34), raw),
            (POD, Version::Latest, raw),
            (TEMPLATE, v(31), raw),
        ],
    );
    // The container's own field wins over the pod's.
    let m = on_cluster(json, POD, v(31));
    assert_eq!(
        m.metadata
            .annotations
            .get("container.apparmor.security.beta.kubernetes.io/own")
            .map(String::as_str),
        Some("runtime/default")
    );
}

#[test]
fn proc_mount_is_neutralised_until_v1_32() {
    let json = r#"{"spec":{"containers":[{"name":"app","securityContext":{"procMount":"Unmasked"}}],
        "initContainers":[{"name":"init","securityContext":{"procMount":"Unmasked"}}]}}"#;
    let unmasked = r#"procMount (containers "init", "app" must not set securityContext.procMount to "Unmasked")"#;
    expect(
        json,
        "baseline:latest",
        unmasked,
        &[
            (POD, v(12), ""),
            (POD, v(32), ""),
            (TEMPLATE, v(32), ""),
            (POD, v(33), unmasked),
            (TEMPLATE, Version::Latest, unmasked),
        ],
    );
}

#[test]
fn host_users_is_dropped_until_v1_32() {
    // A user-namespace pod without runAsNonRoot: exempt from runAsNonRoot from policy v1.35.
    let json = format!(
        r#"{{"spec":{{"hostUsers":false,"containers":[{}]}}}}"#,
        restricted_container("app", true).replace(r#","runAsNonRoot":true"#, "")
    );
    let non_root = r#"runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true)"#;
    expect(
        &json,
        "restricted:v1.35",
        "",
        &[
            (POD, v(25), non_root),
            (POD, v(32), non_root),
            (TEMPLATE, v(32), non_root),
            (POD, v(33), ""),
            (TEMPLATE, Version::Latest, ""),
        ],
    );
}

/// A manifest that every rule would change somewhere.
const EVERYTHING: &str = r#"{"metadata":{"annotations":{
        "seccomp.security.alpha.kubernetes.io/pod":"runtime/default",
        "container.apparmor.security.beta.kubernetes.io/app":"unconfined"}},
    "spec":{"hostNetwork":true,"hostUsers":false,"volumes":[{"name":"v"}],
        "securityContext":{"appArmorProfile":{"type":"RuntimeDefault"}},
        "containers":[{"name":"app","ports":[{"containerPort":80}],
            "securityContext":{"procMount":"Unmasked","seccompProfile":{"type":"Unconfined"}}},
            {"name":"b"}]}}"#;

#[test]
fn latest_and_future_versions_are_the_newest_known() {
    for owner in [POD, TEMPLATE] {
        let newest = on_cluster(EVERYTHING, owner, NEWEST_KUBERNETES);
        for kube in [Version::Latest, v(38), v(1000), Version::new(2, 0)] {
            assert_eq!(
                on_cluster(EVERYTHING, owner, kube),
                newest,
                "{owner:?} {kube}"
            );
        }
        assert_ne!(newest, manifest(EVERYTHING), "{owner:?}");
    }
    // Some rule differs between any two of these versions.
    let versions = [19, 25, 27, 28, 30, 33, 34].map(v);
    for (i, a) in versions.iter().enumerate() {
        for b in &versions[i + 1..] {
            let (x, y) = (
                on_cluster(EVERYTHING, POD, *a),
                on_cluster(EVERYTHING, POD, *b),
            );
            let (tx, ty) = (
                on_cluster(EVERYTHING, TEMPLATE, *a),
                on_cluster(EVERYTHING, TEMPLATE, *b),
            );
            assert!(x != y || tx != ty, "{a} and {b} behave the same");
        }
    }
}

#[test]
fn each_rule_applies_exactly_where_its_table_entry_says() {
    for rule in RULES {
        for owner in [POD, TEMPLATE] {
            for minor in 0..=40 {
                let want = rule
                    .versions(owner)
                    .is_some_and(|m: Minors| minor >= m.first && m.last.is_none_or(|l| minor <= l));
                assert_eq!(
                    rule.applies(owner, v(minor)),
                    want,
                    "{} {owner:?} v1.{minor}",
                    rule.name
                );
            }
            // Applied alone, every rule changes the test manifest.
            let mut m = manifest(EVERYTHING);
            rule.apply(&mut m.metadata, &mut m.spec);
            assert_ne!(m, manifest(EVERYTHING), "{} changes nothing", rule.name);
        }
    }
}

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: delegates every operation to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn consistent_manifests_are_left_alone_without_allocating() {
    // Annotations and fields agree, ports already have host ports, volumes have sources.
    let json = r#"{"metadata":{"annotations":{
            "seccomp.security.alpha.kubernetes.io/pod":"runtime/default",
            "container.seccomp.security.alpha.kubernetes.io/app":"localhost/profile.json",
            "container.apparmor.security.beta.kubernetes.io/app":"runtime/default"}},
        "spec":{"hostNetwork":true,"volumes":[{"name":"v","configMap":{"name":"c"}}],
            "securityContext":{"seccompProfile":{"type":"RuntimeDefault"}},
            "containers":[{"name":"app","ports":[{"containerPort":80,"hostPort":80}],
                "securityContext":{"procMount":"Default","seccompProfile":{"type":"Localhost"},
                    "appArmorProfile":{"type":"RuntimeDefault"}}}]}}"#;
    let original = manifest(json);
    let mut m = original.clone();
    for owner in [POD, TEMPLATE] {
        for minor in 0..=40 {
            let before = ALLOCATIONS.with(Cell::get);
            apply_cluster_defaults(&mut m.metadata, &mut m.spec, owner, v(minor));
            let allocations = ALLOCATIONS.with(Cell::get) - before;
            assert_eq!(allocations, 0, "{owner:?} v1.{minor}");
            assert_eq!(m, original, "{owner:?} v1.{minor}");
        }
    }
}

//! Evaluating an allowed pod performs no heap allocation: a counting global allocator
//! proves it for a typical compliant pod at every level and version.
#![allow(unsafe_code)] // implementing GlobalAlloc requires it

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use podsec_policy::model::{PodMetadata, PodSpec};
use podsec_policy::{Level, LevelVersion, Version, evaluate};
use serde::Deserialize;

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

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[derive(Deserialize)]
struct Pod {
    metadata: PodMetadata,
    spec: PodSpec,
}

/// A typical restricted-compliant two-container pod with annotations, ports, probes and
/// volumes.
const COMPLIANT: &str = r#"{
  "metadata": {"name": "web", "annotations": {"prometheus.io/scrape": "true",
     "container.apparmor.security.beta.kubernetes.io/app": "runtime/default"}},
  "spec": {
    "securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"},
                        "sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"}]},
    "volumes": [{"name": "cache", "emptyDir": {}}, {"name": "config", "configMap": {"name": "web"}}],
    "containers": [
      {"name": "app", "image": "web:1", "ports": [{"containerPort": 8080}],
       "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
       "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}},
      {"name": "sidecar", "image": "proxy:1",
       "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]},
                           "seccompProfile": {"type": "Localhost"}}}
    ]
  }
}"#;

#[test]
fn allowed_path_does_not_allocate() {
    let pod: Pod = serde_json::from_str(COMPLIANT).expect("pod parses");
    let mut policies = vec![LevelVersion::new(Level::Restricted, Version::Latest)];
    for level in Level::ALL {
        for minor in 0..=40 {
            policies.push(LevelVersion::new(level, Version::v1(minor)));
        }
    }
    // Warm up: the built-in registry is built on first use.
    for policy in &policies {
        assert!(
            evaluate(*policy, &pod.metadata, &pod.spec).is_allowed(),
            "{policy}"
        );
    }
    for policy in &policies {
        let n = allocations_during(|| {
            let result = evaluate(*policy, &pod.metadata, &pod.spec);
            assert!(result.is_allowed());
        });
        assert_eq!(n, 0, "{policy} allocated {n} times");
    }
}

#[test]
fn counter_sees_allocations_of_denied_pods() {
    // Guards the test above against a counter that never counts.
    let pod: Pod =
        serde_json::from_str(r#"{"metadata":{},"spec":{"hostPID":true}}"#).expect("pod parses");
    let policy = LevelVersion::new(Level::Baseline, Version::Latest);
    let _ = evaluate(policy, &pod.metadata, &pod.spec);
    let n = allocations_during(|| {
        assert!(!evaluate(policy, &pod.metadata, &pod.spec).is_allowed());
    });
    assert!(n > 0);
}

//! Evaluation: image rule messages and order, exemptions, secure defaults.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use podsec_policy::CheckId;
use podsec_policy::model::{Container, PodMetadata, PodSpec};
use podsec_rules::evaluate::{
    active_rules, enforce_message, exempt_checks, image_message, images, secure_defaults,
    warn_message,
};
use podsec_rules::{ImageViolation, Mode, PodsecPolicy, load};

const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn policy(body: &str) -> PodsecPolicy {
    load(format!("apiVersion: podsec.dev/v1alpha1\nkind: PodsecPolicy\n{body}").as_bytes())
        .expect("valid policy")
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn container(name: &str, image: &str) -> Container {
    Container {
        name: name.into(),
        image: image.into(),
        ..Container::default()
    }
}

fn pod(containers: &[(&str, &str)]) -> PodSpec {
    PodSpec {
        containers: containers.iter().map(|(n, i)| container(n, i)).collect(),
        ..PodSpec::default()
    }
}

fn messages(v: &[ImageViolation]) -> Vec<String> {
    v.iter()
        .map(|v| format!("{}/{}: {}", v.rule, v.mode, v.message))
        .collect()
}

#[test]
fn image_rule_messages() {
    let p = policy(
        r#"images:
- name: registries
  allowedRegistries: [registry.example.com, "*.gcr.io"]
- name: repositories
  mode: warn
  allowedRepositories: ["registry.example.com/team/*"]
- name: digests
  mode: audit
  requireDigest: true
- name: tags
  deniedTags: [latest, ""]
"#,
    );
    let spec = pod(&[
        ("ok", &format!("registry.example.com/team/app:1@{D}")),
        ("hub", "x"),
        ("gcr", "eu.gcr.io/p/app:latest"),
        ("bad", "Bad//name"),
    ]);
    let got = messages(&images(&p, &BTreeMap::new(), &spec));
    let want = [
        r#"registries/enforce: container "hub" image "docker.io/library/x:latest" is not from an allowed registry (allowed: registry.example.com, *.gcr.io)"#,
        r#"registries/enforce: container "bad" image "Bad//name" is not a valid image reference: invalid reference format"#,
        r#"repositories/warn: container "hub" image "docker.io/library/x:latest" is not from an allowed repository (allowed: registry.example.com/team/*)"#,
        r#"repositories/warn: container "gcr" image "eu.gcr.io/p/app:latest" is not from an allowed repository (allowed: registry.example.com/team/*)"#,
        r#"repositories/warn: container "bad" image "Bad//name" is not a valid image reference: invalid reference format"#,
        r#"digests/audit: container "hub" image "docker.io/library/x:latest" is not pinned by digest"#,
        r#"digests/audit: container "gcr" image "eu.gcr.io/p/app:latest" is not pinned by digest"#,
        r#"digests/audit: container "bad" image "Bad//name" is not a valid image reference: invalid reference format"#,
        r#"tags/enforce: container "hub" image "docker.io/library/x" has no tag"#,
        r#"tags/enforce: container "gcr" image "eu.gcr.io/p/app:latest" uses denied tag "latest""#,
        r#"tags/enforce: container "bad" image "Bad//name" is not a valid image reference: invalid reference format"#,
    ];
    assert_eq!(got, want);
}

#[test]
fn containers_in_upstream_order_and_quoted_like_go() {
    let p = policy("images:\n- name: r\n  requireDigest: true\n");
    let spec = PodSpec {
        init_containers: vec![container("init", "a:1")],
        containers: vec![container("main\"q", "b:1")],
        ephemeral_containers: vec![container("debug", "c:1")],
        ..PodSpec::default()
    };
    let got = images(&p, &BTreeMap::new(), &spec);
    let refs: Vec<_> = got.iter().collect();
    assert_eq!(
        enforce_message(&refs),
        r#"violates podsec image policy: container "init" image "docker.io/library/a:1" is not pinned by digest, container "main\"q" image "docker.io/library/b:1" is not pinned by digest, container "debug" image "docker.io/library/c:1" is not pinned by digest"#
    );
    assert_eq!(
        warn_message(&refs[..1]),
        r#"would violate podsec image policy: container "init" image "docker.io/library/a:1" is not pinned by digest"#
    );
    assert_eq!(image_message(&[]), "");
}

#[test]
fn denied_tags_match_written_tags_only() {
    let p = policy("images:\n- name: t\n  deniedTags: [latest, \"\"]\n");
    let rows: &[(String, &[&str])] = &[
        ("nginx".into(), &["has no tag"]),
        ("nginx:latest".into(), &["uses denied tag \"latest\""]),
        ("nginx:1.27".into(), &[]),
        (format!("nginx@{D}"), &[]),
        (format!("nginx:latest@{D}"), &["uses denied tag \"latest\""]),
        ("nginx:Latest".into(), &[]),
    ];
    for (image, want) in rows {
        let got = images(&p, &BTreeMap::new(), &pod(&[("c", image)]));
        let got: Vec<_> = got.iter().map(|v| v.message.as_str()).collect();
        assert_eq!(got.len(), want.len(), "{image}: {got:?}");
        for (g, w) in got.iter().zip(want.iter()) {
            assert!(g.ends_with(w), "{image}: {g}");
        }
    }
}

#[test]
fn registries_and_repositories() {
    let p = policy(
        r#"images:
- name: r
  allowedRegistries: [docker.io, "localhost:5000", "*.gcr.io"]
  allowedRepositories: ["docker.io/library/*", "localhost:5000/*", "*.gcr.io/team/?pp"]
"#,
    );
    for (image, ok) in [
        ("nginx", true),
        ("library/nginx:1", true),
        ("index.docker.io/library/nginx", true),
        ("user/app", false),
        ("localhost:5000/x/y", true),
        ("localhost:5001/x", false),
        ("eu.gcr.io/team/app", true),
        ("eu.gcr.io/team/apps", false),
        ("gcr.io/team/app", false),
        ("evil.io/docker.io/library/nginx", false),
    ] {
        let got = images(&p, &BTreeMap::new(), &pod(&[("c", image)]));
        assert_eq!(got.is_empty(), ok, "{image}: {:?}", messages(&got));
    }
}

#[test]
fn namespace_selectors_choose_rules() {
    let p = policy(
        r#"images:
- name: shop-only
  namespaceSelector: {matchLabels: {team: shop}}
  requireDigest: true
- name: everywhere
  mode: warn
  deniedTags: [latest]
- name: not-dev
  namespaceSelector:
    matchExpressions: [{key: env, operator: NotIn, values: [dev]}]
  allowedRegistries: [registry.example.com]
"#,
    );
    let spec = pod(&[("c", "nginx:latest")]);
    let rules = |ns: &BTreeMap<String, String>| {
        images(&p, ns, &spec)
            .into_iter()
            .map(|v| v.rule)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        rules(&labels(&[("team", "shop")])),
        ["shop-only", "everywhere", "not-dev"]
    );
    assert_eq!(rules(&labels(&[("env", "dev")])), ["everywhere"]);
    assert_eq!(rules(&BTreeMap::new()), ["everywhere", "not-dev"]);
    let ns = labels(&[("env", "dev")]);
    let active: Vec<_> = active_rules(&p, &ns).map(|r| r.name.as_str()).collect();
    assert_eq!(active, ["everywhere"]);
    assert_eq!(p.images[1].mode, Mode::Warn);
}

#[test]
fn compliant_pods_and_empty_policies_give_nothing() {
    let spec = pod(&[("c", &format!("registry.example.com/team/app:1@{D}"))]);
    assert!(images(&PodsecPolicy::default(), &BTreeMap::new(), &spec).is_empty());
    let p = policy(
        "images:\n- name: r\n  allowedRegistries: [registry.example.com]\n  requireDigest: true\n  deniedTags: [latest, \"\"]\n",
    );
    assert!(images(&p, &BTreeMap::new(), &spec).is_empty());
}

#[test]
fn more_than_64_rules() {
    let mut body = String::from("images:\n");
    for i in 0..70 {
        body.push_str(&format!(
            "- name: r{i}\n  namespaceSelector: {{matchLabels: {{n: \"{}\"}}}}\n  requireDigest: true\n",
            i % 2
        ));
    }
    let p = policy(&body);
    let got = images(&p, &labels(&[("n", "1")]), &pod(&[("c", "x")]));
    assert_eq!(got.len(), 35);
    assert_eq!(got[34].rule, "r69");
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

const EXEMPTIONS: &str = r#"exemptions:
- name: node-exporter-host
  checks: [hostPorts, hostNamespaces]
  namespaces: [monitoring]
  serviceAccounts: [node-exporter]
  images: ["quay.io/prometheus/node-exporter"]
  expires: "2027-01-31"
- name: debug-pods
  checks: [privileged, hostNamespaces]
  namespaceSelector: {matchLabels: {debug: allowed}}
  podSelector:
    matchExpressions: [{key: app, operator: In, values: [toolbox]}]
- name: default-sa
  checks: [runAsNonRoot]
  serviceAccounts: [default]
"#;

fn meta(pairs: &[(&str, &str)]) -> PodMetadata {
    PodMetadata {
        labels: labels(pairs),
        ..PodMetadata::default()
    }
}

fn with_sa(mut spec: PodSpec, account: Option<&str>) -> PodSpec {
    spec.service_account_name = account.map(str::to_owned);
    spec
}

#[test]
fn exemptions_match_every_selector_they_give() {
    let p = policy(EXEMPTIONS);
    let none = BTreeMap::new();
    let no_labels = PodMetadata::default();
    let now = at(1_800_000_000);
    let exporter = with_sa(
        pod(&[("e", "quay.io/prometheus/node-exporter:v1.8.0")]),
        Some("node-exporter"),
    );
    let exempt = exempt_checks(&p, now, "monitoring", &none, &no_labels, &exporter);
    assert_eq!(
        exempt,
        BTreeMap::from([
            (
                CheckId::new("hostNamespaces"),
                "node-exporter-host".to_owned()
            ),
            (CheckId::new("hostPorts"), "node-exporter-host".to_owned()),
        ])
    );
    // Another namespace, another service account, another image, expired: no exemption.
    assert!(exempt_checks(&p, now, "default", &none, &no_labels, &exporter).is_empty());
    let other_sa = with_sa(exporter.clone(), Some("other"));
    assert!(exempt_checks(&p, now, "monitoring", &none, &no_labels, &other_sa).is_empty());
    let sidecar = PodSpec {
        init_containers: vec![container("init", "busybox")],
        ..exporter.clone()
    };
    assert!(exempt_checks(&p, now, "monitoring", &none, &no_labels, &sidecar).is_empty());
    // Expiry: the end of 2027-01-31 UTC (2027-02-01T00:00:00Z = 1801440000).
    let before = at(1_801_439_999);
    let after = at(1_801_440_000);
    assert!(!exempt_checks(&p, before, "monitoring", &none, &no_labels, &exporter).is_empty());
    assert!(exempt_checks(&p, after, "monitoring", &none, &no_labels, &exporter).is_empty());
    // Digest and tag forms of the image all match a glob without a tag.
    for image in [
        format!("quay.io/prometheus/node-exporter@{D}"),
        format!("quay.io/prometheus/node-exporter:v1@{D}"),
        "quay.io/prometheus/node-exporter".to_owned(),
    ] {
        let spec = with_sa(pod(&[("e", &image)]), Some("node-exporter"));
        assert_eq!(
            exempt_checks(&p, now, "monitoring", &none, &no_labels, &spec).len(),
            2,
            "{image}"
        );
    }

    // The first matching exemption names the check; no service account (or "") is `default`.
    let debug_ns = labels(&[("debug", "allowed")]);
    let toolbox = meta(&[("app", "toolbox")]);
    for account in [None, Some("")] {
        let spec = with_sa(pod(&[("t", "toolbox")]), account);
        let exempt = exempt_checks(&p, now, "dev", &debug_ns, &toolbox, &spec);
        assert_eq!(
            exempt,
            BTreeMap::from([
                (CheckId::new("hostNamespaces"), "debug-pods".to_owned()),
                (CheckId::new("privileged"), "debug-pods".to_owned()),
                (CheckId::new("runAsNonRoot"), "default-sa".to_owned()),
            ])
        );
    }
    let plain = with_sa(pod(&[("t", "toolbox")]), Some("app"));
    assert!(exempt_checks(&p, now, "dev", &debug_ns, &no_labels, &plain).is_empty());
}

#[test]
fn image_globs_in_exemptions() {
    let p = policy(
        r#"exemptions:
- name: e
  checks: [privileged]
  images: ["quay.io/prometheus/node-exporter:v1.*", "docker.io/library/busybox"]
"#,
    );
    let none = BTreeMap::new();
    let m = PodMetadata::default();
    for (image, ok) in [
        ("quay.io/prometheus/node-exporter:v1.8.0", true),
        ("quay.io/prometheus/node-exporter:v2.0.0", false),
        ("quay.io/prometheus/node-exporter", false),
        ("busybox", true),
        ("busybox:1.36", true),
        ("docker.io/library/busybox:latest", true),
        ("evil.io/busybox", false),
        ("Not A Reference", false),
    ] {
        let got = exempt_checks(&p, at(0), "ns", &none, &m, &pod(&[("c", image)]));
        assert_eq!(!got.is_empty(), ok, "{image}");
    }
    assert!(exempt_checks(&p, at(0), "ns", &none, &m, &PodSpec::default()).is_empty());
}

#[test]
fn secure_defaults_follow_their_selector() {
    let p = policy(
        "secureDefaults:\n  namespaceSelector: {matchLabels: {podsec.dev/secure-defaults: enabled}}\n  runAsUser: 10001\n",
    );
    let on = labels(&[("podsec.dev/secure-defaults", "enabled")]);
    assert_eq!(
        secure_defaults(&p, &on).and_then(|d| d.run_as_user),
        Some(10001)
    );
    assert!(secure_defaults(&p, &BTreeMap::new()).is_none());
    assert!(secure_defaults(&PodsecPolicy::default(), &on).is_none());
    let all = policy("secureDefaults:\n  namespaceSelector: {}\n");
    assert!(secure_defaults(&all, &BTreeMap::new()).is_some());
}

//! Loading `PodsecPolicy` documents: the full example, defaults, and strict validation.

use podsec_policy::{CheckId, Level, Version};
use podsec_rules::{Mode, PodsecPolicy, PolicyError, load};

const FULL: &str = r#"
apiVersion: podsec.dev/v1alpha1
kind: PodsecPolicy
images:
- name: trusted-registries
  mode: enforce
  namespaceSelector:
    matchLabels: {team: shop}
  allowedRegistries: [registry.example.com, "*.gcr.io"]
  allowedRepositories: ["registry.example.com/team/*"]
  requireDigest: true
  deniedTags: [latest, ""]
- name: no-latest
  mode: warn
  deniedTags: [latest]
exemptions:
- name: node-exporter-host
  checks: [hostPorts, hostNamespaces]
  namespaceSelector:
    matchExpressions:
    - {key: kubernetes.io/metadata.name, operator: In, values: [monitoring]}
  namespaces: [monitoring]
  podSelector: {matchLabels: {app: node-exporter}}
  serviceAccounts: [node-exporter]
  images: ["quay.io/prometheus/node-exporter:*"]
  expires: "2027-01-31"
secureDefaults:
  namespaceSelector: {matchLabels: {podsec.dev/secure-defaults: enabled}}
  level: restricted
  version: v1.30
  runAsUser: 10001
  assumeNonRootImages: false
"#;

#[test]
fn loads_the_full_example() {
    let policy = load(FULL.as_bytes()).expect("valid policy");
    assert!(!policy.is_empty());
    assert_eq!(policy.images.len(), 2);
    let rule = &policy.images[0];
    assert_eq!(rule.name, "trusted-registries");
    assert_eq!(rule.mode, Mode::Enforce);
    assert_eq!(
        rule.allowed_registries
            .iter()
            .map(|g| g.as_str())
            .collect::<Vec<_>>(),
        ["registry.example.com", "*.gcr.io"]
    );
    assert!(rule.require_digest);
    assert_eq!(rule.denied_tags, ["latest", ""]);
    assert_eq!(policy.images[1].mode, Mode::Warn);
    let exemption = &policy.exemptions[0];
    assert_eq!(
        exemption.checks,
        [CheckId::new("hostPorts"), CheckId::new("hostNamespaces")]
    );
    assert_eq!(exemption.namespaces, ["monitoring"]);
    assert_eq!(
        exemption.expires.as_ref().map(|e| e.text.as_str()),
        Some("2027-01-31")
    );
    let defaults = policy.secure_defaults.as_ref().expect("secure defaults");
    assert_eq!(defaults.level, Level::Restricted);
    assert_eq!(defaults.version, Version::v1(30));
    assert_eq!(defaults.run_as_user, Some(10001));
    assert!(!defaults.assume_non_root_images);
}

#[test]
fn json_and_yaml_agree() {
    let json = r#"{"apiVersion":"podsec.dev/v1alpha1","kind":"PodsecPolicy",
        "images":[{"name":"r","deniedTags":["latest"]}],
        "secureDefaults":{"namespaceSelector":{}}}"#;
    let yaml = "apiVersion: podsec.dev/v1alpha1\nkind: PodsecPolicy\nimages:\n- name: r\n  deniedTags: [latest]\nsecureDefaults:\n  namespaceSelector: {}\n";
    let a = load(json.as_bytes()).expect("json");
    let b = load(yaml.as_bytes()).expect("yaml");
    assert_eq!(a, b);
    let defaults = a.secure_defaults.expect("defaults");
    assert_eq!(defaults.level, Level::Restricted);
    assert_eq!(defaults.version, Version::Latest);
    assert_eq!(defaults.run_as_user, None);
}

#[test]
fn empty_policy_is_default() {
    let policy = load(b"apiVersion: podsec.dev/v1alpha1\nkind: PodsecPolicy\n").expect("valid");
    assert_eq!(policy, PodsecPolicy::default());
    assert!(policy.is_empty());
    let policy = load(
        b"apiVersion: podsec.dev/v1alpha1\nkind: PodsecPolicy\nimages: []\nexemptions: null\n",
    )
    .expect("valid");
    assert!(policy.is_empty());
}

const HEAD: &str = "apiVersion: podsec.dev/v1alpha1\nkind: PodsecPolicy\n";

fn error(body: &str) -> String {
    match load(format!("{HEAD}{body}").as_bytes()) {
        Ok(policy) => panic!("accepted {body}: {policy:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn errors_name_the_field_path() {
    let checks = "allowPrivilegeEscalation, appArmorProfile, capabilities_baseline, \
capabilities_restricted, hostNamespaces, hostPathVolumes, hostPorts, hostProbesAndHostLifecycle, \
privileged, procMount, procMount_restricted, restrictedVolumes, runAsNonRoot, runAsUser, \
seLinuxOptions, seccompProfile_baseline, seccompProfile_restricted, sysctls, windowsHostProcess";
    let rows: Vec<(&str, String)> = vec![
        (
            "images:\n- name: a\n  deniedTags: [latest]\n- name: b\n  allowedRegistries: [ok.io, \"[\"]\n",
            r#"images[1].allowedRegistries[1]: invalid glob "[": '[' is not supported (only * and ? are wildcards)"#.into(),
        ),
        (
            "exemptions:\n- name: e\n  namespaces: [x]\n  checks: [privileged, hostPorts, hostPort]\n",
            format!(r#"exemptions[0].checks[2]: unknown check "hostPort" (checks: {checks})"#),
        ),
        (
            "images:\n- name: a\n  deniedTags: [latest]\n- name: a\n  requireDigest: true\n",
            r#"images[1].name: duplicate name "a""#.into(),
        ),
        (
            "images:\n- name: Trusted\n  requireDigest: true\n",
            r#"images[0].name: invalid name "Trusted": 1-63 lower-case letters, digits or '-', starting and ending with a letter or digit"#.into(),
        ),
        ("images:\n- requireDigest: true\n", "images[0].name: required".into()),
        (
            "images:\n- name: a\n  mode: deny\n  requireDigest: true\n",
            r#"images[0].mode: unknown mode "deny" (modes: enforce, warn, audit)"#.into(),
        ),
        (
            "images:\n- name: a\n",
            "images[0]: the rule constrains nothing: give allowedRegistries, allowedRepositories, requireDigest: true or deniedTags".into(),
        ),
        (
            "images:\n- name: a\n  requireDigest: false\n",
            "images[0]: the rule constrains nothing: give allowedRegistries, allowedRepositories, requireDigest: true or deniedTags".into(),
        ),
        (
            "images:\n- name: a\n  allowedRegistries: []\n",
            "images[0].allowedRegistries: must not be empty (omit the field to allow everything)".into(),
        ),
        (
            "images:\n- name: a\n  allowedRegistries: [registry.example.com/*]\n",
            r#"images[0].allowedRegistries[0]: invalid registry "registry.example.com/*": registries are host[:port] globs without a path (put paths in allowedRepositories)"#.into(),
        ),
        (
            "images:\n- name: a\n  deniedTags: [\"-x\"]\n",
            r#"images[0].deniedTags[0]: invalid tag "-x": tags are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, or "" for no tag"#.into(),
        ),
        (
            "images:\n- name: a\n  requireDigest: \"yes please\"\n",
            "images[0].requireDigest: expected true or false, got string".into(),
        ),
        (
            "images:\n- name: a\n  requireDigest: true\n  allowRegistries: [x.io]\n",
            "images[0].allowRegistries: unknown field (known: name, mode, namespaceSelector, allowedRegistries, allowedRepositories, requireDigest, deniedTags)".into(),
        ),
        (
            "images:\n- name: a\n  requireDigest: true\n  namespaceSelector:\n    matchExpressions: [{key: team, operator: Equals, values: [a]}]\n",
            r#"images[0].namespaceSelector.matchExpressions[0].operator: unknown operator "Equals" (operators: In, NotIn, Exists, DoesNotExist)"#.into(),
        ),
        (
            "images: {name: a}\n",
            "images: expected a list, got mapping".into(),
        ),
        (
            "exemptions:\n- name: e\n  checks: [privileged]\n",
            "exemptions[0]: the exemption selects every pod: give namespaceSelector, namespaces, podSelector, serviceAccounts or images".into(),
        ),
        (
            "exemptions:\n- name: e\n  namespaces: [x]\n",
            "exemptions[0].checks: required: the IDs of the exempted checks".into(),
        ),
        (
            "exemptions:\n- name: e\n  namespaces: [x]\n  checks: []\n",
            "exemptions[0].checks: must not be empty".into(),
        ),
        (
            "exemptions:\n- name: e\n  checks: [privileged]\n  namespaces: [Kube_System]\n",
            r#"exemptions[0].namespaces[0]: invalid namespace name "Kube_System""#.into(),
        ),
        (
            "exemptions:\n- name: e\n  checks: [privileged]\n  serviceAccounts: [\"a b\"]\n",
            r#"exemptions[0].serviceAccounts[0]: invalid service account name "a b""#.into(),
        ),
        (
            "exemptions:\n- name: e\n  checks: [privileged]\n  images: [\"quay.io/{a,b}\"]\n",
            r#"exemptions[0].images[0]: invalid glob "quay.io/{a,b}": '{' is not supported (only * and ? are wildcards)"#.into(),
        ),
        (
            "exemptions:\n- name: e\n  checks: [privileged]\n  namespaces: [x]\n  expires: 2027-02-30\n",
            r#"exemptions[0].expires: invalid date "2027-02-30": expected a date (2027-01-31) or an RFC 3339 timestamp (2027-01-31T18:00:00Z)"#.into(),
        ),
        (
            "exemptions:\n- name: e\n  checks: [privileged]\n  podSelector: {matchLabels: {app: \"a b\"}}\n",
            r#"exemptions[0].podSelector.matchLabels[app]: invalid label value "a b": at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#.into(),
        ),
        (
            "secureDefaults:\n  level: restricted\n",
            "secureDefaults.namespaceSelector: required: the namespaces that opt in (e.g. matchLabels: {podsec.dev/secure-defaults: enabled})".into(),
        ),
        (
            "secureDefaults:\n  namespaceSelector: {}\n  level: privileged\n",
            r#"secureDefaults.level: invalid level "privileged": must be baseline or restricted"#.into(),
        ),
        (
            "secureDefaults:\n  namespaceSelector: {}\n  version: \"1.30\"\n",
            r#"secureDefaults.version: invalid version "1.30": must be "latest" or "v1.x""#.into(),
        ),
        (
            "secureDefaults:\n  namespaceSelector: {}\n  runAsUser: 0\n",
            "secureDefaults.runAsUser: invalid UID 0: must be between 1 and 2147483647 (0 is root)".into(),
        ),
        (
            "secureDefaults:\n  namespaceSelector: {}\n  runAsUser: \"1000\"\n",
            r#"secureDefaults.runAsUser: expected an integer, got string "1000""#.into(),
        ),
        ("extra: 1\n", "extra: unknown field (known: apiVersion, kind, images, exemptions, secureDefaults)".into()),
    ];
    for (body, want) in rows {
        assert_eq!(error(body), want, "{body}");
    }
}

#[test]
fn header_is_required_and_exact() {
    assert_eq!(
        load(b"kind: PodsecPolicy\n")
            .expect_err("no apiVersion")
            .to_string(),
        r#"apiVersion: required: "podsec.dev/v1alpha1""#
    );
    assert_eq!(
        load(b"apiVersion: podsec.dev/v1\nkind: PodSecurityConfiguration\n")
            .expect_err("other kind")
            .to_string(),
        r#"apiVersion: must be "podsec.dev/v1alpha1", got "podsec.dev/v1"; kind: must be "PodsecPolicy", got "PodSecurityConfiguration""#
    );
    assert_eq!(
        load(b"- a\n").expect_err("list").to_string(),
        "expected a mapping, got list"
    );
}

#[test]
fn every_error_is_reported() {
    let err = load(
        format!("{HEAD}images:\n- name: a\n  mode: x\n  requireDigest: true\n- name: B\n  requireDigest: true\n")
            .as_bytes(),
    )
    .expect_err("two errors");
    let PolicyError::Invalid(errors) = err else {
        panic!("not a validation error: {err}");
    };
    let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["images[0].mode", "images[1].name"]);
}

#[test]
fn syntax_errors() {
    let yaml = load(format!("{HEAD}images: [\n").as_bytes()).expect_err("bad yaml");
    assert!(
        matches!(yaml, PolicyError::Syntax(ref m) if m.starts_with("yaml: ")),
        "{yaml}"
    );
    let dup = load(format!("{HEAD}kind: PodsecPolicy\n").as_bytes()).expect_err("duplicate key");
    assert!(matches!(dup, PolicyError::Syntax(_)), "{dup}");
    let json = load(b"{\"kind\": }").expect_err("bad json");
    assert!(
        matches!(json, PolicyError::Syntax(ref m) if m.starts_with("json: ")),
        "{json}"
    );
    let two = load(format!("{HEAD}---\n{HEAD}").as_bytes()).expect_err("two documents");
    assert!(matches!(two, PolicyError::Syntax(_)), "{two}");
}

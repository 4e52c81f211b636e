//! Configuration loading and validation: upstream's `TestLoadFromData`, `TestLoadFromFile`,
//! `TestLoadFromReader` and `TestValidatePodSecurityConfiguration`, the spec's examples
//! (§2, edge cases 31–35) and robustness properties.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use podsec_admission::config::{
    AdmissionConfig, ConfigError, Exemptions, PodSecurityConfiguration, PolicyDefaults,
    dns::{DNS1123_LABEL_MESSAGE, DNS1123_SUBDOMAIN_MESSAGE},
    load, load_admission_configuration, load_any, load_any_file, load_file,
};
use podsec_admission::{FieldErrorKind, Policy};
use proptest::prelude::*;

fn config(defaults: [&str; 6], exemptions: Exemptions) -> PodSecurityConfiguration {
    let [
        enforce,
        enforce_version,
        audit,
        audit_version,
        warn,
        warn_version,
    ] = defaults.map(str::to_owned);
    PodSecurityConfiguration {
        defaults: PolicyDefaults {
            enforce,
            enforce_version,
            audit,
            audit_version,
            warn,
            warn_version,
        },
        exemptions,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn baseline_enforce() -> PodSecurityConfiguration {
    config(
        [
            "baseline",
            "latest",
            "privileged",
            "latest",
            "privileged",
            "latest",
        ],
        Exemptions::default(),
    )
}

fn yaml_full() -> PodSecurityConfiguration {
    config(
        [
            "baseline",
            "v1.7",
            "privileged",
            "latest",
            "privileged",
            "latest",
        ],
        Exemptions {
            usernames: strings(&["alice", "bob"]),
            namespaces: strings(&["kube-system"]),
            runtime_classes: strings(&["special"]),
        },
    )
}

fn load_err(input: &str) -> String {
    match load(input.as_bytes()) {
        Ok(config) => panic!("expected an error for {input:?}, got {config:?}"),
        Err(e) => e.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Upstream TestLoadFromData

#[test]
fn load_from_data_defaults() {
    assert_eq!(
        load(b"").expect("empty"),
        PodSecurityConfiguration::default()
    );
    assert_eq!(
        load(&[]).expect("empty"),
        PodSecurityConfiguration::default()
    );
}

#[test]
fn load_from_data_all_versions_json_and_yaml() {
    for version in ["v1alpha1", "v1beta1", "v1"] {
        let json = format!(
            "{{\n\"apiVersion\":\"pod-security.admission.config.k8s.io/{version}\",\n\
             \"kind\":\"PodSecurityConfiguration\",\n\"defaults\":{{\"enforce\":\"baseline\"}}}}"
        );
        assert_eq!(
            load(json.as_bytes()).expect(&json),
            baseline_enforce(),
            "{version} json"
        );

        let yaml = format!(
            "\napiVersion: pod-security.admission.config.k8s.io/{version}\n\
             kind: PodSecurityConfiguration\n\
             defaults:\n  enforce: baseline\n  enforce-version: v1.7\n\
             exemptions:\n  usernames: [\"alice\",\"bob\"]\n  namespaces: [\"kube-system\"]\n  \
             runtimeClasses: [\"special\"]\n"
        );
        assert_eq!(
            load(yaml.as_bytes()).expect(&yaml),
            yaml_full(),
            "{version} yaml"
        );
    }
}

#[test]
fn load_from_data_errors() {
    let cases = [
        (
            r#"{"kind":"PodSecurityConfiguration"}"#,
            "'apiVersion' is missing",
        ),
        (
            r#"{"apiVersion":"pod-security.admission.config.k8s.io/v1alpha1"}"#,
            "'Kind' is missing",
        ),
        (
            r#"{"apiVersion":"apps/v1alpha1","kind":"PodSecurityConfiguration"}"#,
            "apps/v1alpha1",
        ),
        (
            r#"{"apiVersion":"pod-security.admission.config.k8s.io/v99","kind":"PodSecurityConfiguration"}"#,
            "pod-security.admission.config.k8s.io/v99",
        ),
        (
            r#"{"apiVersion":"pod-security.admission.config.k8s.io/v1alpha1","kind":"SomeConfiguration"}"#,
            "SomeConfiguration",
        ),
        (
            "{\n\"apiVersion\":\"pod-security.admission.config.k8s.io/v1alpha1\",\n\
             \"kind\":\"PodSecurityConfiguration\",\n\"deflaults\":{\"enforce\":\"baseline\"}}",
            r#"unknown field "deflaults""#,
        ),
    ];
    for (input, expected) in cases {
        let err = load_err(input);
        assert!(err.contains(expected), "{input}: {err}");
    }
}

#[test]
fn load_error_texts_are_exact() {
    assert_eq!(
        load_err(r#"{"kind":"PodSecurityConfiguration"}"#),
        r#"Object 'apiVersion' is missing in '{"kind":"PodSecurityConfiguration"}'"#
    );
    assert_eq!(
        load_err(r#"{"apiVersion":"pod-security.admission.config.k8s.io/v1alpha1"}"#),
        r#"Object 'Kind' is missing in '{"apiVersion":"pod-security.admission.config.k8s.io/v1alpha1"}'"#
    );
    assert_eq!(
        load_err(r#"{"apiVersion":"apps/v1alpha1","kind":"PodSecurityConfiguration"}"#),
        r#"no kind "PodSecurityConfiguration" is registered for version "apps/v1alpha1" in scheme "pkg/runtime/scheme.go:100""#
    );
    assert_eq!(
        load_err(
            r#"{"apiVersion":"pod-security.admission.config.k8s.io/v1alpha1","kind":"SomeConfiguration"}"#
        ),
        r#"no kind "SomeConfiguration" is registered for version "pod-security.admission.config.k8s.io/v1alpha1" in scheme "pkg/runtime/scheme.go:100""#
    );
    assert_eq!(
        load_err("apiVersion: a/b/c\nkind: PodSecurityConfiguration\n"),
        "unexpected GroupVersion string: a/b/c"
    );
    // The group alone is a version of the core group.
    assert_eq!(
        load_err(
            "apiVersion: pod-security.admission.config.k8s.io\nkind: PodSecurityConfiguration\n"
        ),
        r#"no kind "PodSecurityConfiguration" is registered for version "pod-security.admission.config.k8s.io" in scheme "pkg/runtime/scheme.go:100""#
    );
    // A group without version.
    assert!(
        load_err(
            "apiVersion: pod-security.admission.config.k8s.io/\nkind: PodSecurityConfiguration\n"
        )
        .starts_with("Object 'apiVersion' is missing in ")
    );
}

// ---------------------------------------------------------------------------------------------
// Upstream TestLoadFromFile / TestLoadFromReader

fn temp_file(name: &str, content: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("podsec-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write temp file");
    path
}

#[test]
fn load_from_file() {
    assert_eq!(
        load_file(Path::new("")).expect("no file"),
        PodSecurityConfiguration::default()
    );
    assert_eq!(
        load_file(&temp_file("empty.yaml", b"")).expect("empty file"),
        PodSecurityConfiguration::default()
    );
    for version in ["v1alpha1", "v1beta1", "v1"] {
        let input = format!(
            "{{\n\t\t\t\"apiVersion\":\"pod-security.admission.config.k8s.io/{version}\",\n\t\t\t\
             \"kind\":\"PodSecurityConfiguration\",\n\t\t\t\"defaults\":{{\"enforce\":\"baseline\"}}}}"
        );
        let path = temp_file(&format!("{version}.json"), input.as_bytes());
        assert_eq!(load_file(&path).expect("valid file"), baseline_enforce());
    }

    let missing = Path::new("bogus-missing-pod-security-policy-config-file");
    let err = load_file(missing).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert_eq!(
        err.to_string(),
        "open bogus-missing-pod-security-policy-config-file: no such file or directory"
    );

    let invalid = temp_file(
        "v99.json",
        br#"{"apiVersion":"pod-security.admission.config.k8s.io/v99","kind":"PodSecurityConfiguration","defaults":{"enforce":"baseline"}}"#,
    );
    let err = load_file(&invalid).unwrap_err().to_string();
    assert!(
        err.contains("pod-security.admission.config.k8s.io/v99"),
        "{err}"
    );
}

#[test]
fn load_file_of_a_directory_mentions_the_path() {
    let dir = std::env::temp_dir();
    let err = load_file(&dir).unwrap_err().to_string();
    assert!(err.contains(&dir.display().to_string()), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Spec §2.4 and edge cases 33, 34

#[test]
fn zero_bytes_versus_comment_only() {
    assert_eq!(
        load(b"").expect("zero bytes"),
        PodSecurityConfiguration::default()
    );
    for blank in ["\n", "   ", "# just a comment\n", "---\n", "\n# a\n\n# b\n"] {
        let err = load(blank.as_bytes()).unwrap_err();
        assert!(
            matches!(err, ConfigError::MissingKind { .. }),
            "{blank:?}: {err}"
        );
        assert_eq!(
            err.to_string(),
            format!("Object 'Kind' is missing in '{blank}'")
        );
    }
}

const HEADER: &str =
    "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\n";

#[test]
fn null_values_default_like_absent_ones() {
    let input = format!(
        "{HEADER}defaults:\n  enforce: null\n  enforce-version: ~\n  audit: baseline\n  warn:\n\
         exemptions: null\n"
    );
    let loaded = load(input.as_bytes()).expect("nulls are accepted");
    assert_eq!(
        loaded,
        config(
            [
                "privileged",
                "latest",
                "baseline",
                "latest",
                "privileged",
                "latest"
            ],
            Exemptions::default()
        )
    );
    let input = format!(
        "{HEADER}defaults: null\nexemptions:\n  usernames: null\n  namespaces: [a, null]\n"
    );
    let loaded = load(input.as_bytes()).expect("nulls are accepted");
    assert_eq!(loaded.defaults, PolicyDefaults::default());
    // A null list element decodes as the empty string (and then fails validation).
    assert_eq!(loaded.exemptions.namespaces, strings(&["a", ""]));
    let json = r#"{"apiVersion":"pod-security.admission.config.k8s.io/v1beta1","kind":"PodSecurityConfiguration","defaults":{"warn":null},"exemptions":{"runtimeClasses":null}}"#;
    assert_eq!(
        load(json.as_bytes()).expect("json nulls"),
        PodSecurityConfiguration::default()
    );
}

#[test]
fn empty_strings_are_defaulted_on_load() {
    let input = format!("{HEADER}defaults:\n  enforce: \"\"\n  audit-version: ''\n");
    assert_eq!(
        load(input.as_bytes()).expect("valid"),
        PodSecurityConfiguration::default()
    );
}

#[test]
fn unknown_fields_are_strict_errors() {
    let input = format!("{HEADER}deflaults:\n  enforce: baseline\n");
    assert_eq!(
        load_err(&input),
        r#"strict decoding error: unknown field "deflaults""#
    );
    let input = format!("{HEADER}defaults:\n  enforc: baseline\n");
    assert_eq!(
        load_err(&input),
        r#"strict decoding error: unknown field "defaults.enforc""#
    );
    let input = format!("{HEADER}Defaults:\n  enforce: baseline\n");
    assert_eq!(
        load_err(&input),
        r#"strict decoding error: unknown field "Defaults""#
    );
    let input = format!("{HEADER}exemptions:\n  runtimeclasses: [a]\n");
    assert_eq!(
        load_err(&input),
        r#"strict decoding error: unknown field "exemptions.runtimeclasses""#
    );
    // YAML keys come out sorted (the conversion goes through Go maps); JSON keeps its order.
    let input = format!("{HEADER}zzz: 1\ndefaults: {{x: 1}}\naaa: 2\n");
    assert_eq!(
        load_err(&input),
        r#"strict decoding error: unknown field "aaa", unknown field "defaults.x", unknown field "zzz""#
    );
    let json = r#"{"zzz":1,"apiVersion":"pod-security.admission.config.k8s.io/v1","kind":"PodSecurityConfiguration","aaa":2}"#;
    assert_eq!(
        load_err(json),
        r#"strict decoding error: unknown field "zzz", unknown field "aaa""#
    );
    // `metadata` is not part of the schema either.
    let input = format!("{HEADER}metadata:\n  name: x\n");
    assert_eq!(
        load_err(&input),
        r#"strict decoding error: unknown field "metadata""#
    );
}

#[test]
fn duplicate_keys_are_strict_errors() {
    let input = format!("{HEADER}defaults:\n  enforce: baseline\n  enforce: restricted\n");
    let err = load_err(&input);
    assert!(err.starts_with("strict decoding error:"), "{err}");
    assert_eq!(
        err,
        "strict decoding error: yaml: unmarshal errors:\n  line 5: key \"enforce\" already set in map"
    );
    // YAML duplicates come before the JSON-level strict errors.
    let input =
        format!("{HEADER}defaults:\n  enforce: baseline\n  enforce: restricted\nextra: 1\n");
    assert_eq!(
        load_err(&input),
        "strict decoding error: yaml: unmarshal errors:\n  line 5: key \"enforce\" already set in map, \
         unknown field \"extra\""
    );
    let json = r#"{"apiVersion":"pod-security.admission.config.k8s.io/v1","kind":"PodSecurityConfiguration","defaults":{"enforce":"baseline","enforce":"restricted"},"kind":"PodSecurityConfiguration"}"#;
    assert_eq!(
        load_err(json),
        r#"strict decoding error: duplicate field "defaults.enforce", duplicate field "kind""#
    );
}

#[test]
fn wrong_value_types() {
    let input = format!("{HEADER}defaults:\n  enforce: 5\n");
    assert_eq!(
        load_err(&input),
        "json: cannot unmarshal number into Go struct field PodSecurityDefaults.defaults.enforce of type string"
    );
    let input = format!("{HEADER}defaults:\n  enforce-version: 1.25\n");
    assert_eq!(
        load_err(&input),
        "json: cannot unmarshal number into Go struct field PodSecurityDefaults.defaults.enforce-version of type string"
    );
    // YAML 1.1 booleans.
    let input = format!("{HEADER}defaults:\n  warn: yes\n");
    assert_eq!(
        load_err(&input),
        "json: cannot unmarshal bool into Go struct field PodSecurityDefaults.defaults.warn of type string"
    );
    let input = format!("{HEADER}defaults: baseline\n");
    assert_eq!(
        load_err(&input),
        "json: cannot unmarshal string into Go struct field PodSecurityConfiguration.defaults of type v1.PodSecurityDefaults"
    );
    let input = "apiVersion: pod-security.admission.config.k8s.io/v1beta1\nkind: PodSecurityConfiguration\nexemptions: []\n";
    assert_eq!(
        load_err(input),
        "json: cannot unmarshal array into Go struct field PodSecurityConfiguration.exemptions of type v1beta1.PodSecurityExemptions"
    );
    let input = format!("{HEADER}exemptions:\n  usernames: alice\n");
    assert_eq!(
        load_err(&input),
        "json: cannot unmarshal string into Go struct field PodSecurityExemptions.exemptions.usernames of type []string"
    );
    let input = format!("{HEADER}exemptions:\n  namespaces: [a, {{b: c}}]\n");
    assert_eq!(
        load_err(&input),
        "json: cannot unmarshal object into Go struct field PodSecurityExemptions.exemptions.namespaces of type string"
    );
    // A type error wins over strict errors.
    let input = format!("{HEADER}bogus: 1\ndefaults:\n  enforce: [x]\n  enforce: [y]\n");
    assert_eq!(
        load_err(&input),
        "json: cannot unmarshal array into Go struct field PodSecurityDefaults.defaults.enforce of type string"
    );
}

#[test]
fn type_metadata_errors() {
    assert_eq!(
        load_err("- a\n- b\n"),
        r#"couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\"apiVersion,omitempty\""; Kind string "json:\"kind,omitempty\"" }"#
    );
    assert_eq!(
        load_err("kind: 5\napiVersion: pod-security.admission.config.k8s.io/v1\n"),
        "couldn't get version/kind; json parse error: json: cannot unmarshal number into Go struct field .kind of type string"
    );
    assert!(load_err("null").starts_with("Object 'Kind' is missing in 'null'"));
    // Type metadata keys match case-insensitively (Go encoding/json), the object's fields not.
    let input =
        "APIVERSION: pod-security.admission.config.k8s.io/v1\nKind: PodSecurityConfiguration\n";
    assert_eq!(
        load_err(input),
        r#"strict decoding error: unknown field "APIVERSION", unknown field "Kind""#
    );
    assert!(load_err("{\"kind\": ").starts_with("couldn't get version/kind; json parse error: "));
    assert!(load_err("kind: [\n").starts_with("yaml: line "));
}

#[test]
fn json_detection_and_yaml_flow_mappings() {
    // A leading `{` means JSON (YAML-only syntax is then an error) ...
    let flow =
        "{apiVersion: pod-security.admission.config.k8s.io/v1, kind: PodSecurityConfiguration}";
    assert!(load_err(flow).starts_with("couldn't get version/kind; json parse error: "));
    // ... anything else is YAML, which accepts JSON too.
    let yaml_json = format!("# comment\n{flow}");
    assert_eq!(
        load(yaml_json.as_bytes()).expect("yaml"),
        PodSecurityConfiguration::default()
    );
}

#[test]
fn only_the_first_yaml_document_counts() {
    let input = format!("{HEADER}defaults:\n  enforce: baseline\n---\nthis: [is not read\n");
    assert_eq!(
        load(input.as_bytes()).expect("first document"),
        baseline_enforce()
    );
}

#[test]
fn anchors_and_merge_keys() {
    let input = format!(
        "{HEADER}defaults: &d\n  enforce: baseline\nexemptions:\n  namespaces: &ns [a, b]\n  \
         runtimeClasses: *ns\n"
    );
    let loaded = load(input.as_bytes()).expect("anchors");
    assert_eq!(loaded.defaults.enforce, "baseline");
    assert_eq!(loaded.exemptions.runtime_classes, strings(&["a", "b"]));
}

// ---------------------------------------------------------------------------------------------
// Upstream TestValidatePodSecurityConfiguration

const INVALID_UPPERCASE: &str = "TEST";
const INVALID_CHARS: &str = "_&$%#";
const INVALID_TOO_LONG: &str = "testtesttesttesttesttesttesttesttesttesttesttesttesttesttesttest";
const INVALID_EMPTY: &str = "";
const VALID: &str = "testing";

#[test]
fn validate_exemptions() {
    let configuration = config(
        [
            "privileged",
            "v1.22",
            "baseline",
            "v1.25",
            "restricted",
            "latest",
        ],
        Exemptions {
            namespaces: strings(&[
                INVALID_EMPTY,
                INVALID_CHARS,
                INVALID_UPPERCASE,
                INVALID_TOO_LONG,
                VALID,
                VALID,
            ]),
            runtime_classes: strings(&[
                INVALID_EMPTY,
                INVALID_CHARS,
                INVALID_UPPERCASE,
                VALID,
                VALID,
            ]),
            usernames: strings(&[INVALID_EMPTY, VALID, VALID]),
        },
    );
    use FieldErrorKind::{Duplicate, Invalid};
    let expected = [
        ("exemptions.namespaces[0]", Invalid, INVALID_EMPTY),
        ("exemptions.namespaces[1]", Invalid, INVALID_CHARS),
        ("exemptions.namespaces[2]", Invalid, INVALID_UPPERCASE),
        ("exemptions.namespaces[3]", Invalid, INVALID_TOO_LONG),
        ("exemptions.namespaces[5]", Duplicate, VALID),
        ("exemptions.runtimeClasses[0]", Invalid, INVALID_EMPTY),
        ("exemptions.runtimeClasses[1]", Invalid, INVALID_CHARS),
        ("exemptions.runtimeClasses[2]", Invalid, INVALID_UPPERCASE),
        ("exemptions.runtimeClasses[4]", Duplicate, VALID),
        ("exemptions.usernames[0]", Invalid, INVALID_EMPTY),
        ("exemptions.usernames[2]", Duplicate, VALID),
    ];
    let errors = configuration.validate();
    let got: Vec<(&str, FieldErrorKind, &str)> = errors
        .iter()
        .map(|e| (e.field.as_str(), e.kind, e.bad_value.as_str()))
        .collect();
    assert_eq!(got, expected);

    // Exact messages (spec §2.6).
    assert_eq!(
        errors[1].to_string(),
        format!(r#"exemptions.namespaces[1]: Invalid value: "_&$%#": {DNS1123_LABEL_MESSAGE}"#)
    );
    assert!(
        errors[1]
            .to_string()
            .contains("(e.g. 'my-name',  or '123-abc', ")
    );
    assert_eq!(
        errors[3].to_string(),
        format!(
            r#"exemptions.namespaces[3]: Invalid value: "{INVALID_TOO_LONG}": must be no more than 63 characters"#
        )
    );
    assert_eq!(
        errors[6].to_string(),
        format!(
            r#"exemptions.runtimeClasses[1]: Invalid value: "_&$%#": {DNS1123_SUBDOMAIN_MESSAGE}"#
        )
    );
    assert_eq!(
        errors[4].to_string(),
        r#"exemptions.namespaces[5]: Duplicate value: "testing""#
    );
    assert_eq!(
        errors[10].to_string(),
        r#"exemptions.usernames[2]: Duplicate value: "testing""#
    );
    assert_eq!(
        errors[9].to_string(),
        r#"exemptions.usernames[0]: Invalid value: "": username must not be empty"#
    );
}

#[test]
fn validate_defaults() {
    let configuration = config(
        ["baslein", "v.122", "lorum", "ipsum", "", ""],
        Exemptions::default(),
    );
    let got: Vec<(String, FieldErrorKind, String)> = configuration
        .validate()
        .into_iter()
        .map(|e| (e.field, e.kind, e.bad_value))
        .collect();
    let expected: Vec<(String, FieldErrorKind, String)> = [
        ("defaults.enforce", "baslein"),
        ("defaults.enforce-version", "v.122"),
        ("defaults.warn", ""),
        ("defaults.warn-version", ""),
        ("defaults.audit", "lorum"),
        ("defaults.audit-version", "ipsum"),
    ]
    .into_iter()
    .map(|(f, v)| (f.to_owned(), FieldErrorKind::Invalid, v.to_owned()))
    .collect();
    assert_eq!(got, expected);
}

#[test]
fn namespace_exemptions_are_labels_runtime_classes_subdomains() {
    let configuration = config(
        [
            "privileged",
            "latest",
            "privileged",
            "latest",
            "privileged",
            "latest",
        ],
        Exemptions {
            namespaces: strings(&["a.b"]),
            runtime_classes: strings(&["a.b"]),
            usernames: strings(&["system:serviceaccount:kube-system:x", "Alice Smith"]),
        },
    );
    let rendered: Vec<String> = configuration
        .validate()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        rendered,
        [r#"exemptions.namespaces[0]: Invalid value: "a.b": must not contain dots"#]
    );
}

// ---------------------------------------------------------------------------------------------
// Start-up (spec §2.6, edge cases 31, 32)

#[test]
fn complete_before_validate() {
    let input = format!(
        "{HEADER}defaults:\n  enforce: strict\n  warn: bogus\nexemptions:\n  namespaces: [BAD]\n"
    );
    let loaded = load(input.as_bytes()).expect("loading does not validate");
    let err = AdmissionConfig::new(&loaded).unwrap_err();
    assert!(matches!(err, ConfigError::Incomplete { .. }));
    assert_eq!(
        err.to_string(),
        "configuration error: [enforce: must be one of privileged, baseline, restricted, \
         warn: must be one of privileged, baseline, restricted]"
    );
    let input = format!("{HEADER}defaults:\n  enforce: strict\n");
    assert_eq!(
        AdmissionConfig::new(&load(input.as_bytes()).expect("loads"))
            .unwrap_err()
            .to_string(),
        "configuration error: enforce: must be one of privileged, baseline, restricted"
    );
}

#[test]
fn required_only_for_programmatic_configs() {
    let configuration = config(
        ["", "", "baseline", "", "", "latest"],
        Exemptions::default(),
    );
    assert_eq!(
        configuration.default_policy().unwrap_err().to_string(),
        "configuration error: [enforce: required, enforce-version: required, audit-version: required, warn: required]"
    );
}

#[test]
fn invalid_exemptions_fail_step_b() {
    let input = format!("{HEADER}exemptions:\n  namespaces: [ok, ok]\n  usernames: ['']\n");
    let err = AdmissionConfig::new(&load(input.as_bytes()).expect("loads")).unwrap_err();
    assert!(matches!(err, ConfigError::Invalid { .. }));
    assert_eq!(
        err.to_string(),
        r#"invalid configuration: [exemptions.namespaces[1]: Duplicate value: "ok", exemptions.usernames[0]: Invalid value: "": username must not be empty]"#
    );
}

#[test]
fn spec_example_configuration() {
    let input = "apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults:                  # object; JSON keys exactly as below
  enforce: \"privileged\"          # level string
  enforce-version: \"latest\"      # version string
  audit: \"privileged\"
  audit-version: \"latest\"
  warn: \"privileged\"
  warn-version: \"latest\"
exemptions:
  usernames: []            # list of strings
  namespaces: []
  runtimeClasses: []       # note camelCase
";
    let loaded = load(input.as_bytes()).expect("spec example");
    assert_eq!(loaded, PodSecurityConfiguration::default());
    assert_eq!(
        AdmissionConfig::new(&loaded).expect("valid"),
        AdmissionConfig::default()
    );
}

#[test]
fn golden_configuration() {
    let Some(corpus) = podsec_conformance::corpus() else {
        return;
    };
    let path = corpus.join("golden/admission/config.yaml");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let loaded = load(&bytes).expect("golden config loads");
    let config = AdmissionConfig::new(&loaded).expect("golden config is valid");
    assert_eq!(config.defaults.enforce.to_string(), "privileged:latest");
    assert_eq!(config.defaults.audit.to_string(), "baseline:latest");
    assert_eq!(config.defaults.warn.to_string(), "baseline:latest");
    assert!(config.exemptions.is_exempt_user("exempt-user"));
    assert!(config.exemptions.is_exempt_runtime_class("exempt-rc"));
    assert!(config.exemptions.is_exempt_namespace("exempt-ns"));
    assert!(!config.exemptions.is_exempt_namespace("exempt-user"));
    assert!(!config.exemptions.is_exempt_user(""));
    assert_eq!(load_any_file(&path).expect("via load_any_file"), loaded);
}

#[test]
fn admission_config_lookups() {
    let input = format!(
        "{HEADER}defaults:\n  enforce: restricted\n  enforce-version: v1.25\n\
         exemptions:\n  usernames: [admin]\n  namespaces: [kube-system]\n  runtimeClasses: [kata.io]\n"
    );
    let config = AdmissionConfig::new(&load(input.as_bytes()).expect("loads")).expect("valid");
    assert_eq!(config.defaults.enforce.to_string(), "restricted:v1.25");
    assert_eq!(config.defaults.audit.to_string(), "privileged:latest");
    assert!(config.exemptions.is_exempt_user("admin"));
    assert!(config.exemptions.is_exempt_namespace("kube-system"));
    assert!(config.exemptions.is_exempt_runtime_class("kata.io"));
    assert!(!config.exemptions.is_exempt_runtime_class("kata"));
    assert_ne!(config.defaults, Policy::default());
}

// ---------------------------------------------------------------------------------------------
// AdmissionConfiguration (spec §2.5)

fn files(entries: &[(&str, &str)]) -> impl Fn(&Path) -> io::Result<Vec<u8>> {
    let map: HashMap<PathBuf, Vec<u8>> = entries
        .iter()
        .map(|(p, c)| (PathBuf::from(p), c.as_bytes().to_vec()))
        .collect();
    move |path: &Path| {
        map.get(path)
            .cloned()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }
}

const PSA_FILE: &str = "apiVersion: pod-security.admission.config.k8s.io/v1beta1
kind: PodSecurityConfiguration
defaults:
  enforce: baseline
exemptions:
  namespaces: [kube-system]
";

fn psa_expected() -> PodSecurityConfiguration {
    config(
        [
            "baseline",
            "latest",
            "privileged",
            "latest",
            "privileged",
            "latest",
        ],
        Exemptions {
            namespaces: strings(&["kube-system"]),
            ..Exemptions::default()
        },
    )
}

#[test]
fn admission_configuration_inline() {
    let input = "apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ImagePolicyWebhook
  path: imagepolicy.yaml
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults: {enforce: baseline}
    exemptions: {namespaces: [kube-system]}
- name: PodSecurity
  path: ignored.yaml
";
    let read = files(&[]);
    assert_eq!(
        load_admission_configuration(input.as_bytes(), None, &read).expect("inline"),
        psa_expected()
    );
    assert_eq!(
        load_any(input.as_bytes(), None, &read).expect("load_any"),
        psa_expected()
    );
}

#[test]
fn admission_configuration_by_relative_path() {
    let input = "apiVersion: apiserver.config.k8s.io/v1alpha1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  path: psa.yaml
";
    let read = files(&[
        ("/etc/kubernetes/psa.yaml", PSA_FILE),
        ("/abs/psa.yaml", ""),
    ]);
    let base = Some(Path::new("/etc/kubernetes"));
    assert_eq!(
        load_admission_configuration(input.as_bytes(), base, &read).expect("by path"),
        psa_expected()
    );
    assert_eq!(
        load_any(input.as_bytes(), base, &read).expect("load_any"),
        psa_expected()
    );
    // Absolute paths are not resolved; a zero-byte file gives the defaults.
    let absolute = input.replace("psa.yaml", "/abs/psa.yaml");
    assert_eq!(
        load_admission_configuration(absolute.as_bytes(), base, &read).expect("absolute"),
        PodSecurityConfiguration::default()
    );
    // Missing files name the resolved path.
    let err = load_admission_configuration(input.as_bytes(), Some(Path::new("/other")), &read)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "open /other/psa.yaml: no such file or directory"
    );
}

#[test]
fn admission_configuration_without_podsecurity_entry() {
    let read = files(&[]);
    for input in [
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\n",
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins: []\n",
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: podsecurity\n  path: x\n",
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n",
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration: null\n",
        // Lenient: unknown fields are ignored.
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nextra: 1\nplugins:\n- name: Other\n  foo: bar\n",
    ] {
        assert_eq!(
            load_admission_configuration(input.as_bytes(), None, &read).expect(input),
            PodSecurityConfiguration::default(),
            "{input}"
        );
    }
}

#[test]
fn admission_configuration_errors() {
    let read = files(&[]);
    let err = |input: &str| {
        load_admission_configuration(input.as_bytes(), None, &read)
            .unwrap_err()
            .to_string()
    };
    // The inline object needs its own type metadata; its text is the compact JSON.
    assert_eq!(
        err(
            "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n    defaults: {enforce: baseline}\n"
        ),
        r#"Object 'Kind' is missing in '{"defaults":{"enforce":"baseline"}}'"#
    );
    // The inline object is decoded strictly.
    assert_eq!(
        err(
            "{\"apiVersion\":\"apiserver.config.k8s.io/v1\",\"kind\":\"AdmissionConfiguration\",\"plugins\":[{\"name\":\"PodSecurity\",\"configuration\":{\"apiVersion\":\"pod-security.admission.config.k8s.io/v1\",\"kind\":\"PodSecurityConfiguration\",\"defaults\":{\"enforce\":\"baseline\",\"enforce\":\"baseline\"}}}]}"
        ),
        r#"strict decoding error: duplicate field "defaults.enforce""#
    );
    assert_eq!(
        err("apiVersion: apiserver.config.k8s.io/v2\nkind: AdmissionConfiguration\n"),
        r#"no kind "AdmissionConfiguration" is registered for version "apiserver.config.k8s.io/v2" in scheme "pkg/runtime/scheme.go:100""#
    );
    assert_eq!(
        err("apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins: {}\n"),
        "json: cannot unmarshal object into Go struct field AdmissionConfiguration.plugins of type []v1.AdmissionPluginConfiguration"
    );
    assert_eq!(
        err(
            "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: 3\n"
        ),
        "json: cannot unmarshal number into Go struct field AdmissionPluginConfiguration.plugins.name of type string"
    );
    // Zero bytes are not an AdmissionConfiguration.
    assert_eq!(err(""), "Object 'Kind' is missing in ''");
}

#[test]
fn load_any_dispatch() {
    let read = files(&[]);
    assert_eq!(
        load_any(b"", None, &read).expect("empty"),
        PodSecurityConfiguration::default()
    );
    assert_eq!(
        load_any(PSA_FILE.as_bytes(), None, &read).expect("psa"),
        psa_expected()
    );
    assert!(matches!(
        load_any(b"# nothing\n", None, &read),
        Err(ConfigError::MissingKind { .. })
    ));
    // Other kinds get the PodSecurityConfiguration loader's error.
    let err = load_any(b"apiVersion: v1\nkind: ConfigMap\n", None, &read).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"no kind "ConfigMap" is registered for version "v1" in scheme "pkg/runtime/scheme.go:100""#
    );
    let err = load_any(
        b"apiVersion: pod-security.admission.config.k8s.io/v1\nkind: AdmissionConfiguration\n",
        None,
        &read,
    )
    .unwrap_err();
    assert!(matches!(err, ConfigError::NotRegistered { .. }));
}

// ---------------------------------------------------------------------------------------------
// Robustness

fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("apiVersion: pod-security.admission.config.k8s.io/v1\n".to_owned()),
        Just("kind: PodSecurityConfiguration\n".to_owned()),
        Just("defaults:\n".to_owned()),
        Just("exemptions:\n".to_owned()),
        Just("  enforce: baseline\n".to_owned()),
        Just("  enforce: ".to_owned()),
        Just("  namespaces: [".to_owned()),
        Just("- ".to_owned()),
        Just("---\n".to_owned()),
        Just("...\n".to_owned()),
        Just("&a ".to_owned()),
        Just("*a".to_owned()),
        Just("<<: ".to_owned()),
        Just("? ".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(", ".to_owned()),
        Just(": ".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("|\n".to_owned()),
        Just("# c\n".to_owned()),
        Just("\n".to_owned()),
        Just("\r".to_owned()),
        Just("\t".to_owned()),
        Just("  ".to_owned()),
        Just("null".to_owned()),
        Just("~".to_owned()),
        Just(".nan".to_owned()),
        Just("yes".to_owned()),
        Just("0x1F".to_owned()),
        Just("1e400".to_owned()),
        Just("!!str ".to_owned()),
        Just("\u{feff}".to_owned()),
        "[a-zA-Z0-9 _.:-]{0,12}",
        "\\PC{0,4}",
    ];
    prop::collection::vec(token, 0..40).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn load_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = load(&bytes);
        let _ = load_any(&bytes, None, |_: &Path| Ok(Vec::new()));
    }

    #[test]
    fn load_never_panics_on_yamlish_text(text in yamlish()) {
        if let Ok(config) = load(text.as_bytes()) {
            let _ = AdmissionConfig::new(&config);
        }
        let _ = load_admission_configuration(text.as_bytes(), None, |_: &Path| Ok(Vec::new()));
    }

    #[test]
    fn load_never_panics_on_json_like_text(text in "\\{[\"a-z:,\\[\\]{} 0-9.\\\\-]{0,60}") {
        let _ = load(text.as_bytes());
    }

    #[test]
    fn loaded_defaults_are_never_empty(
        enforce in "[a-z]{0,8}",
        version in prop_oneof![Just(String::new()), Just("latest".to_owned()), "v1\\.[0-9]{1,2}"],
    ) {
        let input = format!(
            "{HEADER}defaults:\n  enforce: '{enforce}'\n  enforce-version: '{version}'\n"
        );
        let config = load(input.as_bytes()).expect("valid document");
        prop_assert!(!config.defaults.enforce.is_empty());
        prop_assert!(!config.defaults.enforce_version.is_empty());
        prop_assert!(config.default_policy().is_ok() == config.validate().is_empty());
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for depth in [200, 100_000] {
        let json = format!("{}{}", "{\"a\":[".repeat(depth), "]}".repeat(depth));
        assert!(load(json.as_bytes()).is_err());
        let yaml = format!("kind: {}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(load(yaml.as_bytes()).is_err());
        let block: String = (0..depth.min(2000))
            .map(|i| format!("{}- \n", " ".repeat(i)))
            .collect();
        let _ = load(block.as_bytes());
    }
}

#[test]
fn byte_order_mark_and_crlf() {
    let input = format!("\u{feff}{}", HEADER.replace('\n', "\r\n"));
    assert_eq!(
        load(input.as_bytes()).expect("BOM and CRLF"),
        PodSecurityConfiguration::default()
    );
}

//! The machine and CI formats of `podsec check` (`sarif`, `junit`, `github`, `kubectl`):
//! snapshots on `examples/` and on a fixture with a decode error, plus what each format's
//! consumers require (the SARIF 2.1.0 schema, well-formed JUnit XML, GitHub's escaping).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The fixture with a document that does not parse (between two that do).
const MALFORMED: &str = "crates/podsec-cli/tests/fixtures/malformed.yaml";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The workspace root: tests run `podsec` there so that paths read `examples/...`.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `podsec check --format <format> <args>` in the workspace root, with no `PODSEC_*`
/// variables from the environment.
fn check(format: &str, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_podsec"))
        .args(["check", "--format", format])
        .args(args)
        .current_dir(root())
        .env_remove("PODSEC_LEVEL")
        .env_remove("PODSEC_VERSION")
        .env_remove("PODSEC_FORMAT")
        .env_remove("PODSEC_RAW")
        .output()
        .expect("podsec runs");
    Run {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// The tool's version, replaced in snapshots so that a release does not change them.
fn redact_version(text: &str) -> String {
    text.replace(
        &format!("\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"[version]\"",
    )
}

// ---------------------------------------------------------------------------------------
// SARIF

fn sarif_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/schemas/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading the SARIF schema {}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("schema JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

/// Parses a SARIF log and validates it against the 2.1.0 schema.
fn valid_sarif(stdout: &str) -> Value {
    let log: Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: SARIF is JSON\n{stdout}"));
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
    log
}

#[test]
fn sarif_examples() {
    let run = check("sarif", &["examples"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let log = valid_sarif(&run.stdout);
    let sarif_run = &log["runs"][0];
    let rules = sarif_run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert_eq!(rules.len(), podsec_rules_count());
    for rule in rules {
        assert!(rule["shortDescription"]["text"].is_string(), "{rule}");
    }
    // One result per violation, each pointing at its rule.
    let results = sarif_run["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for result in results {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert_eq!(result["level"], "error");
    }
    // The validator does reject what the schema forbids.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!sarif_validator().is_valid(&broken));

    // Streamed: header and rules on the first line, then one result per line.
    assert_eq!(run.stdout.lines().count(), results.len() + 2);
    insta::assert_snapshot!(
        "sarif_examples",
        redact_version(&serde_json::to_string_pretty(&log).expect("JSON"))
    );
}

/// The 19 checks and the decode-error rule.
fn podsec_rules_count() -> usize {
    20
}

#[test]
fn sarif_decode_error() {
    let run = check("sarif", &["--level", "baseline", MALFORMED]);
    assert_eq!(run.code, 2);
    let log = valid_sarif(&run.stdout);
    let results = log["runs"][0]["results"].as_array().expect("results");
    let errors: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "podsec/decode-error")
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        15
    );
    let mut results = log["runs"][0]["results"].clone();
    // Only the results: the rules are in the examples snapshot.
    results.as_array_mut().expect("results").truncate(10);
    insta::assert_snapshot!(
        "sarif_decode_error",
        serde_json::to_string_pretty(&results).expect("JSON")
    );

    // Nothing to report is still a valid log.
    let run = check(
        "sarif",
        &["--level", "privileged", "examples/restricted-ok"],
    );
    assert_eq!(run.code, 0);
    let log = valid_sarif(&run.stdout);
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));

    // An unreadable input too.
    let run = check("sarif", &["does-not-exist.yaml"]);
    assert_eq!(run.code, 2);
    let log = valid_sarif(&run.stdout);
    assert_eq!(
        log["runs"][0]["results"][0]["ruleId"],
        "podsec/decode-error"
    );
}

// ---------------------------------------------------------------------------------------
// GitHub workflow commands

#[test]
fn github_examples() {
    let run = check("github", &["examples"]);
    assert_eq!(run.code, 1);
    for line in run.stdout.lines() {
        assert!(line.starts_with("::error file=examples/"), "{line}");
        assert!(line.contains(",title=PodSecurity "), "{line}");
    }
    // One annotation per violation: as many as the SARIF results.
    let sarif: Value = serde_json::from_str(&check("sarif", &["examples"]).stdout).expect("SARIF");
    assert_eq!(
        run.stdout.lines().count(),
        sarif["runs"][0]["results"]
            .as_array()
            .expect("results")
            .len()
    );
    assert_eq!(
        run.stderr,
        "7 objects checked: 3 allowed, 4 denied, 4 skipped, 0 errors\n"
    );
    insta::assert_snapshot!("github_examples", run.stdout);
}

#[test]
fn github_decode_error() {
    let run = check(
        "github",
        &["--level", "baseline", MALFORMED, "missing.yaml"],
    );
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("github_decode_error", run.stdout);
}

//! `podsec fix`: the diff on `examples/` and on a file with comments, flow style and JSON
//! (snapshots), `git apply` of the diff, `--write` and idempotence, JSON patches that give
//! the same objects as the edited text, kustomize overlays, `--only-unset`, errors.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::{Scratch, podsec_in, root};

mod support;

/// A scratch directory holding copies of `files` (paths relative to the crate).
fn scratch(files: &[&str]) -> Scratch {
    let dir = Scratch::new();
    for file in files {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let name = from.file_name().expect("name");
        std::fs::copy(&from, dir.join(name)).expect("copy");
    }
    dir
}

const STYLES: &str = "tests/fixtures/fix/styles.yaml";

/// Every object of a manifest stream, as JSON values (`List` items not expected here).
fn values(text: &str) -> Vec<Value> {
    podsec_manifest::documents(text)
        .iter()
        .flat_map(|d| d.values())
        .map(|v| v.expect("decodes").0)
        .collect()
}

#[test]
fn diff_of_the_examples() {
    let run = podsec_in(&root(), &["fix", "--level", "restricted", "examples"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!("examples_diff", run.stdout);
    insta::assert_snapshot!("examples_notes", run.stderr);
}

#[test]
fn diff_keeps_comments_quoting_flow_style_and_json() {
    let dir = scratch(&[STYLES]);
    let run = podsec_in(&dir, &["fix", "--level", "restricted:v1.30", "styles.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!("styles_diff", run.stdout);
    insta::assert_snapshot!("styles_notes", run.stderr);
    // Every comment line survives.
    let original = std::fs::read_to_string(dir.join("styles.yaml")).expect("file");
    let removed: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .collect();
    for line in original.lines().filter(|l| l.trim_start().starts_with('#')) {
        assert!(!removed.contains(&format!("-{line}").as_str()), "{line}");
    }
    // `git apply` and `patch -p1` take the diff as it is.
    std::fs::write(dir.join("fix.diff"), &run.stdout).expect("diff");
    let git = Command::new("git")
        .args(["apply", "--check", "--unsafe-paths", "fix.diff"])
        .current_dir(&dir)
        .output()
        .expect("git runs");
    assert!(
        git.status.success(),
        "{}",
        String::from_utf8_lossy(&git.stderr)
    );
    let patch = Command::new("git")
        .args(["apply", "fix.diff"])
        .current_dir(&dir)
        .output()
        .expect("git runs");
    assert!(patch.status.success());
    let applied = std::fs::read_to_string(dir.join("styles.yaml")).expect("file");
    // The same text as --write gives.
    let dir2 = scratch(&[STYLES]);
    let write = podsec_in(
        &dir2,
        &[
            "fix",
            "--level",
            "restricted:v1.30",
            "--write",
            "styles.yaml",
        ],
    );
    assert_eq!(write.code, 1);
    assert_eq!(write.stdout, "");
    let written = std::fs::read_to_string(dir2.join("styles.yaml")).expect("file");
    assert_eq!(applied, written);
    // Fixing again changes nothing, and podsec check agrees on what is left.
    let again = podsec_in(
        &dir2,
        &["fix", "--level", "restricted:v1.30", "styles.yaml"],
    );
    assert_eq!((again.code, again.stdout.as_str()), (1, ""));
    let check = podsec_in(
        &dir2,
        &[
            "check",
            "--level",
            "restricted",
            "--version",
            "v1.30",
            "--format",
            "json",
            "styles.yaml",
        ],
    );
    let results = check.stdout.parse::<Value>().expect("json")["results"].clone();
    let denied: Vec<&str> = results
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["allowed"] == false)
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    assert_eq!(denied, ["node-debugger"]);
}

#[test]
fn json_patches_give_the_objects_of_the_edited_text() {
    let dir = scratch(&[STYLES]);
    let original = std::fs::read_to_string(dir.join("styles.yaml")).expect("file");
    let run = podsec_in(
        &dir,
        &[
            "fix",
            "--level",
            "restricted:v1.30",
            "--format",
            "patch",
            "styles.yaml",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let patches: Value = serde_json::from_str(&run.stdout).expect("json");
    let mut objects = values(&original);
    for entry in patches.as_array().expect("list") {
        let doc = entry["object"]["doc"].as_u64().expect("doc") as usize;
        let ops: json_patch::Patch = serde_json::from_value(entry["patch"].clone()).expect("ops");
        json_patch::patch(&mut objects[doc], &ops).expect("patch applies");
    }
    podsec_in(
        &dir,
        &[
            "fix",
            "--level",
            "restricted:v1.30",
            "--write",
            "styles.yaml",
        ],
    );
    let edited = std::fs::read_to_string(dir.join("styles.yaml")).expect("file");
    assert_eq!(values(&edited), objects);
    // The object that cannot pass names its checks and reasons.
    let last = &patches.as_array().expect("list")[3];
    assert_eq!(last["object"]["name"], "node-debugger");
    assert_eq!(last["passes"], false);
    let checks: Vec<&str> = last["unfixable"]
        .as_array()
        .expect("unfixable")
        .iter()
        .map(|u| u["check"].as_str().expect("check"))
        .collect();
    assert_eq!(checks, ["hostNamespaces", "runAsNonRoot", "runAsUser"]);
}

#[test]
fn kustomize_overlay() {
    let dir = scratch(&[STYLES]);
    let run = podsec_in(
        &dir,
        &[
            "fix",
            "--level",
            "restricted",
            "--format",
            "kustomize",
            "-o",
            "overlay",
            "styles.yaml",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let read = |name: &str| std::fs::read_to_string(dir.join("overlay").join(name)).expect(name);
    insta::assert_snapshot!("kustomization", read("kustomization.yaml"));
    insta::assert_snapshot!("kustomize_deployment", read("deployment-shop-web.yaml"));
    // Printed when no directory is given: the same texts.
    let printed = podsec_in(
        &dir,
        &[
            "fix",
            "--level",
            "restricted",
            "--format",
            "kustomize",
            "styles.yaml",
        ],
    );
    assert!(printed.stdout.contains(&read("deployment-shop-web.yaml")));
}

#[test]
fn only_unset_never_changes_explicit_values() {
    let dir = scratch(&[STYLES]);
    let run = podsec_in(
        &dir,
        &[
            "fix",
            "--level",
            "restricted",
            "--only-unset",
            "--format",
            "json",
            "styles.yaml",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("json");
    let original = values(&std::fs::read_to_string(dir.join("styles.yaml")).expect("file"));
    for object in report["objects"].as_array().expect("objects") {
        for edit in object["edits"].as_array().expect("edits") {
            assert_eq!(edit["op"], "set", "{edit}");
        }
        let doc = object["object"]["doc"].as_u64().expect("doc") as usize;
        for op in object["patch"].as_array().expect("patch") {
            // Only missing fields are added (a `null` is not set).
            let path = op["path"].as_str().expect("path");
            match op["op"].as_str() {
                Some("add") => assert_eq!(original[doc].pointer(path), None, "{op}"),
                Some("replace") => {
                    assert_eq!(original[doc].pointer(path), Some(&Value::Null), "{op}")
                }
                _ => panic!("{op}"),
            }
        }
    }
    let flow = &report["objects"][1];
    assert_eq!(flow["object"]["name"], "flow");
    assert!(
        flow["unfixable"]
            .as_array()
            .expect("unfixable")
            .iter()
            .any(|u| u["check"] == "allowPrivilegeEscalation"
                && u["why"].as_str().expect("why").contains("explicit")),
        "{flow}"
    );
}

#[test]
fn passing_objects_are_left_alone() {
    let dir = scratch(&[STYLES]);
    let run = podsec_in(&dir, &["fix", "--level", "privileged", "styles.yaml"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
    assert_eq!(
        run.stderr,
        "podsec fix: every object passes privileged:latest\n"
    );
}

#[test]
fn a_live_cluster_is_an_error() {
    let run = podsec_in(&root(), &["fix", "--level", "baseline", "--cluster"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a live cluster"), "{}", run.stderr);
    let run = podsec_in(&root(), &["fix", "--level", "strict", "examples"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--level"), "{}", run.stderr);
}

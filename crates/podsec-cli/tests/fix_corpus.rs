//! `podsec fix` on the conformance corpus: every `fail` fixture, at its own level and
//! version, either passes `podsec check` after `fix --write` or is reported as not
//! automatically fixable (exactly the checks that still fail); the edited text decodes to
//! the original object with the planned JSON patch applied; comments survive; fixing again
//! changes nothing.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn podsec(args: &[&str], dir: &Path) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_podsec"))
        .args(args)
        .current_dir(dir)
        .env_remove("PODSEC_KUBE_VERSION")
        .env_remove("PODSEC_RAW")
        .output()
        .expect("podsec runs");
    (
        output.status.code().expect("exit code"),
        String::from_utf8(output.stdout).expect("UTF-8"),
        String::from_utf8(output.stderr).expect("UTF-8"),
    )
}

fn yaml_value(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("fixture YAML")
}

const HEAD: &str = "# a comment before the object\n";
const TAIL: &str = "# a comment after the object\n";

#[derive(Default)]
struct Counts {
    fail: usize,
    fixed: usize,
    reported: usize,
}

#[test]
fn every_fail_fixture_is_fixed_or_reported() {
    let Some(corpus) = podsec_conformance::corpus() else {
        return;
    };
    let testdata = corpus.join("testdata");
    let scratch = std::env::temp_dir().join(format!("podsec-fix-corpus-{}", std::process::id()));
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    let mut why_counts: BTreeMap<String, usize> = BTreeMap::new();
    for level in ["baseline", "restricted"] {
        let mut versions: Vec<PathBuf> = std::fs::read_dir(testdata.join(level))
            .expect("level dir")
            .map(|e| e.expect("entry").path())
            .collect();
        versions.sort();
        for version_dir in versions {
            let version = version_dir
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            let dir = scratch.join(level).join(&version);
            std::fs::create_dir_all(&dir).expect("scratch");
            let mut originals: BTreeMap<String, Value> = BTreeMap::new();
            let mut names: Vec<String> = Vec::new();
            for entry in std::fs::read_dir(version_dir.join("fail")).expect("fail dir") {
                let path = entry.expect("entry").path();
                let name = path
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned();
                let text = std::fs::read_to_string(&path).expect("fixture");
                originals.insert(name.clone(), yaml_value(&text));
                std::fs::write(dir.join(&name), format!("{HEAD}{text}{TAIL}")).expect("copy");
                names.push(name);
            }
            names.sort();
            let policy = format!("{level}:{version}");
            let (code, stdout, stderr) =
                podsec(&["fix", "--level", &policy, "--format", "json", "."], &dir);
            assert!(code == 0 || code == 1, "{policy}: exit {code}: {stderr}");
            let report: Value = serde_json::from_str(&stdout).expect("report");
            let objects = report["objects"].as_array().expect("objects");
            assert_eq!(
                objects.len(),
                names.len(),
                "{policy}: every fail fixture fails"
            );
            let mut expected: BTreeMap<String, (Vec<String>, Value)> = BTreeMap::new();
            for o in objects {
                let file = o["object"]["file"].as_str().expect("file");
                let file = file.trim_start_matches("./").to_owned();
                assert!(o["error"].is_null(), "{policy} {file}: {}", o["error"]);
                let left: Vec<String> = o["unfixable"]
                    .as_array()
                    .expect("unfixable")
                    .iter()
                    .map(|u| {
                        let why = u["why"].as_str().expect("why");
                        assert!(!why.contains("podsec bug"), "{policy} {file}: {u}");
                        *why_counts
                            .entry(u["check"].as_str().expect("check").to_owned())
                            .or_default() += 1;
                        u["check"].as_str().expect("check").to_owned()
                    })
                    .collect();
                expected.insert(file, (left, o["patch"].clone()));
            }
            let (code, _, stderr) = podsec(&["fix", "--level", &policy, "--write", "."], &dir);
            assert!(code == 0 || code == 1, "{policy}: exit {code}: {stderr}");
            // podsec check at the fixture's level and version.
            let (_, stdout, stderr) = podsec(
                &[
                    "check",
                    "--level",
                    level,
                    "--version",
                    &version,
                    "--format",
                    "json",
                    ".",
                ],
                &dir,
            );
            let checked: Value =
                serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
            let results = checked["results"].as_array().expect("results");
            assert_eq!(results.len(), names.len(), "{policy}: {stderr}");
            let tally = counts.entry(level.to_owned()).or_default();
            for r in results {
                let file = r["file"]
                    .as_str()
                    .expect("file")
                    .trim_start_matches("./")
                    .to_owned();
                let (left, patch) = &expected[&file];
                let failing: Vec<String> = r["violations"]
                    .as_array()
                    .map(|v| {
                        v.iter()
                            .map(|v| v["check"].as_str().expect("check").to_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                assert_eq!(&failing, left, "{policy} {file}: still failing vs reported");
                tally.fail += 1;
                if left.is_empty() {
                    tally.fixed += 1;
                } else {
                    tally.reported += 1;
                }
                // The edited text: comments kept, the object is the original with the patch.
                let text = std::fs::read_to_string(dir.join(&file)).expect("edited");
                assert!(
                    text.starts_with(HEAD) && text.ends_with(TAIL),
                    "{policy} {file}:\n{text}"
                );
                let mut want = originals[&file].clone();
                let ops: json_patch::Patch = serde_json::from_value(patch.clone()).expect("ops");
                json_patch::patch(&mut want, &ops)
                    .unwrap_or_else(|e| panic!("{policy} {file}: {e}"));
                assert_eq!(yaml_value(&text), want, "{policy} {file}:\n{text}");
            }
            // Idempotence: nothing more to edit.
            let (_, stdout, _) = podsec(&["fix", "--level", &policy, "."], &dir);
            assert_eq!(stdout, "", "{policy}: a second fix changes the text");
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let mut err = std::io::stderr().lock();
    for (level, c) in &counts {
        let _ = writeln!(
            err,
            "fix corpus {level}: {} fail fixtures: {} fixed, {} reported not automatically fixable",
            c.fail, c.fixed, c.reported
        );
    }
    let _ = writeln!(err, "still failing after fix, by check: {why_counts:?}");
    assert!(
        counts
            .values()
            .all(|c| c.fixed > 0 && c.fail == c.fixed + c.reported)
    );
}

#[derive(serde::Deserialize)]
struct Pod {
    #[serde(default)]
    metadata: podsec_policy::model::PodMetadata,
    #[serde(default)]
    spec: podsec_policy::model::PodSpec,
}

/// Secure defaults (the fill-unset strategy a mutating webhook uses): on every fail fixture,
/// every edit fills a field that is not set, the plan is what the registry says of the
/// patched pod, and patching the patched pod is a no-op.
#[test]
fn fill_unset_only_fills_unset_fields_on_every_fail_fixture() {
    use podsec_policy::fix::{self, Edit, NonRoot, Options, Strategy};
    use podsec_policy::{Level, Registry, Version};
    let Some(corpus) = podsec_conformance::corpus() else {
        return;
    };
    let options = Options {
        strategy: Strategy::FillUnset,
        non_root: NonRoot::WithUser(65532),
    };
    let registry = Registry::builtin();
    let (mut total, mut passing) = (0, 0);
    for (level, name) in [
        (Level::Baseline, "baseline"),
        (Level::Restricted, "restricted"),
    ] {
        for minor in 0..=37 {
            let dir = corpus
                .join("testdata")
                .join(name)
                .join(format!("v1.{minor}"))
                .join("fail");
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let file = entry.expect("entry").path();
                let text = std::fs::read_to_string(&file).expect("fixture");
                let value = yaml_value(&text);
                let pod: Pod = serde_json::from_value(value.clone()).expect("pod");
                let version = Version::v1(minor);
                let plan = fix::plan(registry, level, version, &pod.metadata, &pod.spec, options);
                for edit in plan.edit_list() {
                    let Edit::Set { path, .. } = edit else {
                        panic!(
                            "{}: fill-unset plans only set fields: {edit}",
                            file.display()
                        );
                    };
                    let at = value.pointer(&path.json_pointer());
                    assert!(
                        at.is_none() || at == Some(&Value::Null),
                        "{}: {edit} overrides {at:?}",
                        file.display()
                    );
                }
                let (mut meta, mut spec) = (pod.metadata.clone(), pod.spec.clone());
                fix::apply(plan.edit_list(), &mut meta, &mut spec).expect("applies");
                assert_eq!(registry.evaluate(level, version, &meta, &spec), plan.after);
                let again = fix::plan(registry, level, version, &meta, &spec, options);
                assert!(again.edits.is_empty(), "{}: not idempotent", file.display());
                total += 1;
                passing += usize::from(plan.passes());
            }
        }
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "fill-unset corpus: {total} fail fixtures, {passing} pass after filling unset fields"
    );
    assert!(passing > 0 && total > 3000);
}

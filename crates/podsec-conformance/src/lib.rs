//! Test support for running podsec against upstream's corpus in `../shared/conformance`
//! (beside the project root): the conformance fixtures (`testdata/<level>/<version>/`)
//! and the golden outputs recorded from the upstream implementation (`golden/`), and the
//! other shared test data (`../shared/schemas/`).
//!
//! The corpus location can be overridden with `PODSEC_CONFORMANCE_DIR`, the schemas'
//! with `PODSEC_SCHEMAS_DIR`.
//!
//! ## When the shared data is absent
//!
//! A fresh clone has no `../shared`. Tests that need it ask for it with [`corpus`] or
//! [`schema`]: where it is absent they print one line naming what is missing (on standard
//! error, past the test harness's capture) and skip, unless the `CI` environment variable
//! is set (to anything but `false` or `0`): CI always has the data, so there a missing
//! corpus fails the run instead of silently passing it.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use podsec_policy::model::{PodMetadata, PodSpec};
use serde::Deserialize;

/// The corpus root (`.../shared/conformance`), `None` (after one line on standard error)
/// when it is absent outside CI.
///
/// # Panics
/// When the corpus is absent and `CI` is set: the conformance suite is mandatory there.
pub fn corpus() -> Option<PathBuf> {
    let dir = match std::env::var_os("PODSEC_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => shared_dir().join("conformance"),
    };
    present(
        dir.join("testdata").is_dir(),
        dir,
        "the conformance corpus",
        "PODSEC_CONFORMANCE_DIR",
    )
}

/// The corpus root, for tests that cannot run without it.
///
/// # Panics
/// When the corpus is absent, with a clear message.
pub fn corpus_dir() -> PathBuf {
    let dir = match std::env::var_os("PODSEC_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => shared_dir().join("conformance"),
    };
    assert!(
        dir.join("testdata").is_dir(),
        "conformance corpus not found at {} (set PODSEC_CONFORMANCE_DIR)",
        dir.display()
    );
    dir
}

/// A schema file of `../shared/schemas` (e.g. `sarif-schema-2.1.0.json`), `None` (after
/// one line on standard error) when it is absent outside CI.
///
/// # Panics
/// When the file is absent and `CI` is set.
pub fn schema(file: &str) -> Option<PathBuf> {
    let path = match std::env::var_os("PODSEC_SCHEMAS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => shared_dir().join("schemas"),
    }
    .join(file);
    present(path.is_file(), path, file, "PODSEC_SCHEMAS_DIR")
}

/// `../shared` beside the project root.
fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// Whether CI runs the tests: `CI` set to anything but empty, `false` or `0`.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "false" | "0"))
}

fn present(found: bool, path: PathBuf, what: &str, variable: &str) -> Option<PathBuf> {
    match present_in(in_ci(), found, path, what, variable) {
        Ok(path) => Some(path),
        Err(skipped) => {
            // Straight to standard error: the harness captures `eprintln!` of passing tests.
            let _ = writeln!(std::io::stderr().lock(), "{skipped}");
            None
        }
    }
}

/// The path when `found`; else the line that says the test is skipped, or (in CI) a panic.
fn present_in(
    ci: bool,
    found: bool,
    path: PathBuf,
    what: &str,
    variable: &str,
) -> Result<PathBuf, String> {
    if found {
        return Ok(path);
    }
    let message = format!(
        "{what} not found at {} (set {variable}, or place the shared data beside the project)",
        path.display()
    );
    assert!(
        !ci,
        "{message}; CI is set, so this fails instead of skipping"
    );
    Err(format!("skipped: {message}; CI=true makes this a failure"))
}

/// A pod as the fixtures and golden files hold it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Pod {
    /// `metadata`.
    #[serde(default)]
    pub metadata: PodMetadata,
    /// `spec`.
    #[serde(default)]
    pub spec: PodSpec,
}

/// Reads a single-document YAML pod.
pub fn read_yaml_pod(path: &Path) -> Pod {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Splits a `---`-separated stream of JSON documents (as `golden/pods.yaml`) and decodes
/// each one.
pub fn read_json_stream(path: &Path) -> Vec<Pod> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.split("\n---")
        .map(|chunk| chunk.trim_start_matches("---").trim())
        .filter(|chunk| !chunk.is_empty())
        .enumerate()
        .map(|(i, chunk)| {
            serde_json::from_str(chunk)
                .unwrap_or_else(|e| panic!("{} document {i}: {e}", path.display()))
        })
        .collect()
}

/// One fixture file: `testdata/<level>/<version>/<pass|fail>/<name>.yaml`.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// `baseline` or `restricted`.
    pub level: String,
    /// `v1.N`.
    pub version: String,
    /// Whether the pod must be allowed (`pass`) or denied (`fail`).
    pub expect_allowed: bool,
    /// File stem, e.g. `hostpathvolumes0`.
    pub name: String,
    /// The file.
    pub path: PathBuf,
}

impl Fixture {
    /// The file name's check prefix: the stem without its trailing digits.
    pub fn prefix(&self) -> &str {
        self.name.trim_end_matches(|c: char| c.is_ascii_digit())
    }
}

/// Every fixture of the corpus, sorted by path; `None` when the corpus is absent (see
/// [`corpus`]).
pub fn fixtures() -> Option<Vec<Fixture>> {
    let root = corpus()?.join("testdata");
    let mut out = Vec::new();
    for level in read_dir_sorted(&root) {
        for version in read_dir_sorted(&level) {
            for outcome in read_dir_sorted(&version) {
                let expect_allowed = match file_name(&outcome).as_str() {
                    "pass" => true,
                    "fail" => false,
                    other => panic!("unexpected directory {other} in {}", version.display()),
                };
                for file in read_dir_sorted(&outcome) {
                    if file.extension().is_some_and(|e| e == "yaml") {
                        out.push(Fixture {
                            level: file_name(&level),
                            version: file_name(&version),
                            expect_allowed,
                            name: file
                                .file_stem()
                                .map(|s| s.to_string_lossy().into_owned())
                                .unwrap_or_default(),
                            path: file,
                        });
                    }
                }
            }
        }
    }
    Some(out)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_dir_sorted(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_data_skips_outside_ci_and_fails_in_ci() {
        let path = PathBuf::from("nowhere/conformance");
        assert_eq!(
            present_in(false, true, path.clone(), "corpus", "VAR"),
            Ok(path.clone())
        );
        assert_eq!(
            present_in(false, false, path.clone(), "corpus", "VAR"),
            Err(
                "skipped: corpus not found at nowhere/conformance (set VAR, or place the \
                 shared data beside the project); CI=true makes this a failure"
                    .to_owned()
            )
        );
        let failed = std::panic::catch_unwind(|| present_in(true, false, path, "corpus", "VAR"));
        let message = failed.expect_err("fails in CI");
        let message = message
            .downcast_ref::<String>()
            .expect("a formatted message");
        assert!(
            message.contains("corpus not found at nowhere/conformance (set VAR"),
            "{message}"
        );
    }
}

//! Test support for running podsec against upstream's corpus in `../shared/conformance`
//! (beside the project root): the conformance fixtures (`testdata/<level>/<version>/`)
//! and the golden outputs recorded from the upstream implementation (`golden/`).
//!
//! The corpus location can be overridden with `PODSEC_CONFORMANCE_DIR`.

use std::path::{Path, PathBuf};

use podsec_policy::model::{PodMetadata, PodSpec};
use serde::Deserialize;

/// The corpus root (`.../shared/conformance`).
///
/// Panics with a clear message when it cannot be found: the conformance suite is
/// mandatory, a missing corpus must fail the run rather than skip it.
pub fn corpus_dir() -> PathBuf {
    let dir = match std::env::var_os("PODSEC_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    };
    assert!(
        dir.join("testdata").is_dir(),
        "conformance corpus not found at {} (set PODSEC_CONFORMANCE_DIR)",
        dir.display()
    );
    dir
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

/// Every fixture of the corpus, sorted by path.
pub fn fixtures() -> Vec<Fixture> {
    let root = corpus_dir().join("testdata");
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
    out
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

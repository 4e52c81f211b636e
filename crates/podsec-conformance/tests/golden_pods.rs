//! The golden outputs recorded from upstream: 600 pods evaluated raw (no defaulting) at
//! baseline and restricted for 14 versions. Decision, failed check IDs, and the full
//! message must match byte for byte.

use std::process::ExitCode;

use podsec_conformance::{corpus, read_json_stream};
use podsec_policy::{Level, LevelVersion, Version, evaluate};
use serde::Deserialize;

#[derive(Deserialize)]
struct Expected {
    doc: usize,
    level: String,
    version: String,
    allowed: bool,
    checks: Vec<String>,
    message: String,
}

fn main() -> ExitCode {
    let Some(corpus) = corpus() else {
        return ExitCode::SUCCESS;
    };
    let golden = corpus.join("golden");
    let pods = read_json_stream(&golden.join("pods.yaml"));
    let text = std::fs::read_to_string(golden.join("expected.jsonl")).expect("expected.jsonl");

    let mut total = 0usize;
    let mut failures = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        total += 1;
        let want: Expected = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("expected.jsonl:{}: {e}", line_no + 1));
        let level: Level = want.level.parse().expect("level");
        let version: Version = want.version.parse().expect("version");
        let pod = &pods[want.doc];
        let got = evaluate(LevelVersion::new(level, version), &pod.metadata, &pod.spec);
        let got_checks: Vec<&str> = got.check_ids().map(|id| id.as_str()).collect();
        let got_message = got.forbidden_detail();
        if got.is_allowed() != want.allowed
            || got_checks != want.checks
            || got_message != want.message
        {
            failures.push(format!(
                "doc {} at {}:{}\n    want {:?} {:?}\n    got  {:?} {:?}",
                want.doc,
                want.level,
                want.version,
                want.checks,
                want.message,
                got_checks,
                got_message
            ));
        }
    }
    println!(
        "golden pods: {} / {total} evaluations identical to upstream ({} pods)",
        total - failures.len(),
        pods.len()
    );
    for failure in failures.iter().take(20) {
        println!("  MISMATCH {failure}");
    }
    if total == 0 || !failures.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

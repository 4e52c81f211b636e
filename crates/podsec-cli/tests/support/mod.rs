//! What the CLI test files share: running `podsec check` on files in a scratch directory.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr))
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// `podsec check <args>` in a scratch directory holding `files`, with `stdin` as standard
/// input, and no `PODSEC_*` or color variables from the environment.
pub fn check(args: &[&str], files: &[(&str, &str)], stdin: &str) -> Run {
    let dir = std::env::temp_dir().join(format!(
        "podsec-{}-{}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write file");
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_podsec"));
    for (key, _) in std::env::vars_os() {
        let text = key.to_string_lossy();
        if text.starts_with("PODSEC_")
            || ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE"].contains(&text.as_ref())
        {
            command.env_remove(key);
        }
    }
    let mut child = command
        .arg("check")
        .args(args)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("podsec runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("podsec finishes");
    let _ = std::fs::remove_dir_all(&dir);
    Run {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

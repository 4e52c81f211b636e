//! What the CLI test files share: running `podsec` (at the repository's root, in a
//! directory, or `podsec check` on files in a scratch directory) and scratch directories.

// Each test crate uses part of this module.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
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

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code().expect("exit code"),
            stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
        }
    }
}

/// The repository's root: inputs are named relative to it, as a user in a checkout would.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `podsec` to run in `dir`, with nothing from the environment that could change its
/// answers: no `PODSEC_*`, `KUBECONFIG` or color variables, and a `HOME` without a
/// kubeconfig.
pub fn command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_podsec"));
    for (key, _) in std::env::vars_os() {
        let text = key.to_string_lossy();
        if text.starts_with("PODSEC_")
            || ["KUBECONFIG", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE"].contains(&text.as_ref())
        {
            command.env_remove(key);
        }
    }
    command
        .env("HOME", std::env::temp_dir().join("podsec-no-home"))
        .current_dir(dir);
    command
}

/// Runs `command` with an empty standard input.
pub fn run(command: &mut Command) -> Run {
    command
        .stdin(Stdio::null())
        .output()
        .expect("podsec runs")
        .into()
}

/// `podsec <args>` in `dir`.
pub fn podsec_in(dir: &Path, args: &[&str]) -> Run {
    run(command(dir).args(args))
}

/// `podsec <args>` at the repository's root.
pub fn podsec(args: &[&str]) -> Run {
    podsec_in(&root(), args)
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A scratch directory of its own, removed on drop.
pub struct Scratch(PathBuf);

impl Scratch {
    /// An empty scratch directory.
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "podsec-{}-{}-{}",
            env!("CARGO_CRATE_NAME"),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    /// A scratch directory holding `files` (name, text).
    pub fn with(files: &[(&str, &str)]) -> Self {
        let scratch = Scratch::new();
        for (name, text) in files {
            scratch.write(name, text);
        }
        scratch
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` to `name` in the directory; its path, as text.
    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write file");
        path.display().to_string()
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `podsec check <args>` in a scratch directory holding `files`, with `stdin` as standard
/// input.
pub fn check(args: &[&str], files: &[(&str, &str)], stdin: &str) -> Run {
    let dir = Scratch::with(files);
    let mut child = command(dir.path())
        .arg("check")
        .args(args)
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
    child.wait_with_output().expect("podsec finishes").into()
}

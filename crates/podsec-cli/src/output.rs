//! Where the adoption commands' reports go: standard output (a reader that closed the pipe,
//! as `| head` does, is not an error) or the file of `-o`; JSON reports pretty-printed.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;

/// Writes `text` to `output`, or to standard output when `None`.
pub fn write(output: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("writing standard output"),
            }
        }
    }
}

/// `value` as pretty-printed JSON, with a final newline.
pub fn json(value: &impl Serialize) -> anyhow::Result<String> {
    let mut json = serde_json::to_string_pretty(value)?;
    json.push('\n');
    Ok(json)
}

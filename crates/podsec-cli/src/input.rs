//! Command-line paths to named input texts.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Where an input's text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input (`-`).
    Stdin,
    /// A file.
    File(PathBuf),
}

/// An input to read: its display name and source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The path as given or as found in a directory walk; `-` for standard input.
    pub name: String,
    /// Where to read it from.
    pub source: Source,
}

/// An input that cannot be listed or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The input's display name.
    pub name: String,
    /// 1-based line, when the problem is at a place in the file (invalid UTF-8).
    pub line: Option<usize>,
    /// What went wrong.
    pub message: String,
}

/// Expands the command-line paths, in order: `-` is standard input, a directory is walked
/// recursively (sorted by file name) for `.yaml`, `.yml` and `.json` files, anything else
/// is a file read whatever its extension.
pub fn expand(paths: &[PathBuf]) -> Vec<Result<Input, InputError>> {
    let mut out = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            out.push(Ok(Input {
                name: "-".to_owned(),
                source: Source::Stdin,
            }));
            continue;
        }
        let name = display(path);
        match std::fs::metadata(path) {
            Err(err) => out.push(Err(InputError {
                name,
                line: None,
                message: err.to_string(),
            })),
            Ok(meta) if meta.is_dir() => walk(path, &mut out),
            Ok(_) => out.push(Ok(Input {
                name,
                source: Source::File(path.clone()),
            })),
        }
    }
    out
}

fn walk(root: &Path, out: &mut Vec<Result<Input, InputError>>) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name();
    for entry in walker {
        match entry {
            Ok(entry) => {
                if entry.file_type().is_file() && is_manifest(entry.path()) {
                    out.push(Ok(Input {
                        name: display(entry.path()),
                        source: Source::File(entry.path().to_path_buf()),
                    }));
                }
            }
            Err(err) => {
                let name = err.path().map_or_else(|| display(root), display);
                let message = match err.io_error() {
                    Some(io) => io.to_string(),
                    None => err.to_string(),
                };
                out.push(Err(InputError {
                    name,
                    line: None,
                    message,
                }));
            }
        }
    }
}

fn is_manifest(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["yaml", "yml", "json"].contains(&e.to_ascii_lowercase().as_str()))
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Standard input, read once: namespace mode reads the inputs twice (namespaces first).
fn stdin() -> Result<&'static Vec<u8>, String> {
    static STDIN: std::sync::OnceLock<Result<Vec<u8>, String>> = std::sync::OnceLock::new();
    STDIN
        .get_or_init(|| {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map(|_| bytes)
                .map_err(|err| err.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Reads an input's text, which must be UTF-8.
pub fn read(input: &Input) -> Result<String, InputError> {
    let error = |line, message| InputError {
        name: input.name.clone(),
        line,
        message,
    };
    let bytes = match &input.source {
        Source::Stdin => stdin().map_err(|message| error(None, message))?.clone(),
        Source::File(path) => std::fs::read(path).map_err(|err| error(None, err.to_string()))?,
    };
    String::from_utf8(bytes).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        let bytes = err.as_bytes();
        let line = 1 + bytes[..valid].iter().filter(|&&b| b == b'\n').count();
        error(Some(line), "invalid UTF-8".to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_extensions() {
        for yes in ["a.yaml", "b/c.yml", "d.json", "E.YAML"] {
            assert!(is_manifest(Path::new(yes)), "{yes}");
        }
        for no in ["a.txt", "yaml", "a.yaml.bak", "README.md"] {
            assert!(!is_manifest(Path::new(no)), "{no}");
        }
    }
}

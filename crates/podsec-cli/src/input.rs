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

/// Standard input, read once (it may be named twice on the command line).
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

/// The inputs of a run. Namespace mode reads every input before it judges any object (a
/// `Namespace` at the end of the last file decides for the objects before it); the texts
/// it read are kept, up to [`Inputs::KEEP_BYTES`] in all, and handed to the run itself, so
/// that an input is read and validated as UTF-8 once.
#[derive(Debug)]
pub struct Inputs {
    /// The inputs, in order.
    pub list: Vec<Result<Input, InputError>>,
    /// Texts read ahead and kept for the run, by index in `list`.
    kept: Vec<std::sync::Mutex<Option<Result<String, InputError>>>>,
    /// Bytes kept so far.
    kept_bytes: std::sync::atomic::AtomicUsize,
}

impl Inputs {
    /// The most bytes of text kept between namespace mode's scan and the run; inputs past
    /// it are read again.
    pub const KEEP_BYTES: usize = 1 << 30;

    /// The inputs of the command-line `paths` ([`expand`]), none read yet.
    pub fn new(paths: &[PathBuf]) -> Self {
        let list = expand(paths);
        let kept = list.iter().map(|_| std::sync::Mutex::new(None)).collect();
        Inputs {
            list,
            kept,
            kept_bytes: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The text of input `index`: the kept one (handed over once), else read now.
    pub fn read(&self, index: usize) -> Result<(String, String), InputError> {
        let input = self.list[index].clone()?;
        let kept = self.kept[index]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let text = match kept {
            Some(text) => text?,
            None => read(&input)?,
        };
        Ok((input.name, text))
    }

    /// Reads input `index` ahead of the run and keeps its text (or its read error) for
    /// [`Inputs::read`], within [`Inputs::KEEP_BYTES`]; `look` sees the text first.
    pub fn read_ahead<T>(&self, index: usize, look: impl FnOnce(&str) -> T) -> Option<T> {
        let Ok(input) = &self.list[index] else {
            return None;
        };
        let text = read(input);
        let seen = text.as_deref().ok().map(look);
        let size = text.as_ref().map_or(0, String::len);
        let total = self
            .kept_bytes
            .fetch_add(size, std::sync::atomic::Ordering::Relaxed);
        if total + size <= Self::KEEP_BYTES {
            *self.kept[index]
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(text);
        }
        seen
    }
}

/// Files at least this large are read by several threads at once.
const PARALLEL_READ_BYTES: u64 = 16 << 20;

/// Reads a file. A large one is read in parallel slices: the first touch of a fresh buffer's
/// pages (the kernel zeroes each one) is then shared between the cores, which on a large
/// stream is most of the time reading takes.
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    read_file_in_slices(path, PARALLEL_READ_BYTES)
}

/// [`read_file`], reading files of at least `min_bytes` in parallel slices.
fn read_file_in_slices(path: &Path, min_bytes: u64) -> std::io::Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt as _;
        let file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        if size >= min_bytes
            && size > 0
            && let Ok(len) = usize::try_from(size)
        {
            let mut bytes = vec![0u8; len];
            let slices = rayon::current_num_threads().clamp(1, 8);
            let chunk = len.div_ceil(slices);
            let failed = std::sync::atomic::AtomicBool::new(false);
            rayon::scope(|scope| {
                let mut offset = 0u64;
                for part in bytes.chunks_mut(chunk) {
                    let (file, failed) = (&file, &failed);
                    let at = offset;
                    offset += part.len() as u64;
                    scope.spawn(move |_| {
                        if file.read_exact_at(part, at).is_err() {
                            failed.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                    });
                }
            });
            if !failed.into_inner() {
                // The file may have grown meanwhile: read the rest as `std::fs::read` would.
                use std::io::{Read as _, Seek as _};
                let mut file = &file;
                file.seek(std::io::SeekFrom::Start(size))?;
                file.read_to_end(&mut bytes)?;
                return Ok(bytes);
            }
            // It shrank, or a slice failed: read it the plain way (which reports errors).
        }
    }
    std::fs::read(path)
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
        Source::File(path) => read_file(path).map_err(|err| error(None, err.to_string()))?,
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
    fn files_read_in_slices_are_read_whole() {
        let dir = std::env::temp_dir().join(format!("podsec-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.yaml");
        let text: String = (0..5_000)
            .map(|i| format!("---\nkind: Pod # {i}\n"))
            .collect();
        std::fs::write(&path, &text).unwrap();
        for min_bytes in [0, 1, 4096, u64::MAX] {
            assert_eq!(
                read_file_in_slices(&path, min_bytes).unwrap(),
                text.as_bytes()
            );
        }
        std::fs::write(dir.join("empty.yaml"), "").unwrap();
        assert!(
            read_file_in_slices(&dir.join("empty.yaml"), 0)
                .unwrap()
                .is_empty()
        );
        assert!(read_file_in_slices(&dir.join("missing.yaml"), 0).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn kept_texts_are_handed_over_once_then_read_again() {
        let dir = std::env::temp_dir().join(format!("podsec-keep-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.yaml"), "kind: Namespace\n").unwrap();
        let inputs = Inputs::new(&[dir.join("a.yaml"), dir.join("missing.yaml")]);
        assert_eq!(inputs.read_ahead(0, str::len), Some(16));
        assert_eq!(inputs.read_ahead(1, str::len), None);
        // The kept text, even after the file changed; then the file as it is now.
        std::fs::write(dir.join("a.yaml"), "kind: Pod\n").unwrap();
        assert_eq!(inputs.read(0).unwrap().1, "kind: Namespace\n");
        assert_eq!(inputs.read(0).unwrap().1, "kind: Pod\n");
        assert!(inputs.read(1).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

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

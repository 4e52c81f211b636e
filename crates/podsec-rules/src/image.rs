//! Container image references, parsed and normalised as the container runtime does
//! (distribution's `reference.ParseNormalizedNamed`, then containerd's `TagNameOnly`).
//!
//! * The first `/`-separated component is a registry when it contains `.` or `:`, is
//!   `localhost`, or has an upper-case letter; otherwise the registry is `docker.io`.
//! * `index.docker.io` is `docker.io`; a single-component name on `docker.io` gets the
//!   `library/` prefix (`nginx` → `docker.io/library/nginx`).
//! * A reference with neither tag nor digest gets the tag `latest` ([`ImageRef::written_tag`]
//!   is then `false`); a digest-only reference has no tag.
//! * Grammar (distribution's `reference` package): registry components
//!   `[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?` separated by `.`, or a bracketed IPv6 address,
//!   with an optional `:port`; path components `[a-z0-9]+` joined by `.`, `_`, `__` or runs of
//!   `-`; tags `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`; digests `algorithm:hex` where the
//!   algorithm is `sha256`, `sha384` or `sha512` with exactly 64, 96 or 128 lower-case hex
//!   digits; the name (`registry/path`) is at most 255 characters.
//!
//! Errors carry distribution's and go-digest's texts (`invalid reference format`,
//! `invalid reference format: repository name (Foo) must be lowercase`,
//! `invalid checksum digest length`, ...).
//!
//! One deliberate difference: when the first component is taken as a registry but is not a
//! valid host (`my_host.com/app`), distribution falls back to reading the whole name as a
//! registry-less path; podsec rejects it with `invalid reference format` (no runtime can
//! pull a name without a registry).

use std::fmt;

/// Docker Hub, the default registry.
pub const DEFAULT_REGISTRY: &str = "docker.io";
const LEGACY_DEFAULT_REGISTRY: &str = "index.docker.io";
const OFFICIAL_REPO_PREFIX: &str = "library/";
const NAME_TOTAL_LENGTH_MAX: usize = 255;
const TAG_LENGTH_MAX: usize = 128;

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// `docker.io`, `registry.example.com`, `localhost:5000`, `[::1]:5000`.
    pub registry: String,
    /// The repository path inside the registry: `library/nginx`, `team/app`.
    pub path: String,
    /// The tag; `Some("latest")` when neither tag nor digest was written.
    pub tag: Option<String>,
    /// The digest, `sha256:<64 hex>`.
    pub digest: Option<String>,
    /// Whether the tag was written in the reference (`false` for an implied `latest`).
    pub written_tag: bool,
}

impl ImageRef {
    /// `registry/path`, e.g. `docker.io/library/nginx`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.path)
    }
}

impl fmt::Display for ImageRef {
    /// `registry/path[:tag][@digest]`, e.g. `docker.io/library/nginx:latest`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.path)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// Why a reference does not parse; the Display texts are distribution's and go-digest's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// The reference does not follow the grammar.
    #[error("invalid reference format")]
    InvalidFormat,
    /// The repository path has upper-case letters.
    #[error("invalid reference format: repository name ({0}) must be lowercase")]
    Uppercase(String),
    /// A bare 64-hex-digit string (an image ID, not a name).
    #[error("invalid repository name ({0}), cannot specify 64-byte hexadecimal strings")]
    HexIdentifier(String),
    /// `registry/path` is longer than 255 characters.
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
    /// The digest is not `algorithm:hex` or its hex is not lower case.
    #[error("invalid checksum digest format")]
    DigestFormat,
    /// The digest's hex has the wrong length for its algorithm.
    #[error("invalid checksum digest length")]
    DigestLength,
    /// The digest algorithm is not sha256, sha384 or sha512.
    #[error("unsupported digest algorithm")]
    DigestUnsupported,
}

/// Parses and normalises `reference` (see the module docs).
pub fn parse(reference: &str) -> Result<ImageRef, ImageError> {
    let parts = Parts::parse(reference)?;
    let mut path = String::with_capacity(parts.path.len() + 8);
    if parts.library {
        path.push_str(OFFICIAL_REPO_PREFIX);
    }
    path.push_str(parts.path);
    Ok(ImageRef {
        registry: parts.registry.to_owned(),
        path,
        tag: parts.tag().map(str::to_owned),
        digest: parts.digest.map(str::to_owned),
        written_tag: parts.tag.is_some(),
    })
}

/// A parsed reference borrowing from the input (no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parts<'a> {
    pub(crate) registry: &'a str,
    /// The path gets the `library/` prefix.
    pub(crate) library: bool,
    pub(crate) path: &'a str,
    /// The written tag.
    pub(crate) tag: Option<&'a str>,
    pub(crate) digest: Option<&'a str>,
}

impl<'a> Parts<'a> {
    /// The tag, `latest` when neither tag nor digest is written.
    pub(crate) fn tag(&self) -> Option<&'a str> {
        match (self.tag, self.digest) {
            (Some(tag), _) => Some(tag),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }

    pub(crate) fn parse(s: &'a str) -> Result<Parts<'a>, ImageError> {
        if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(ImageError::HexIdentifier(s.to_owned()));
        }
        // splitDockerDomain
        let (mut registry, remainder) = match split_at_byte(s, b'/') {
            Some((first, rest))
                if first == "localhost"
                    || first
                        .bytes()
                        .any(|b| b == b'.' || b == b':' || b.is_ascii_uppercase()) =>
            {
                (first, rest)
            }
            _ => (DEFAULT_REGISTRY, s),
        };
        if registry == LEGACY_DEFAULT_REGISTRY {
            registry = DEFAULT_REGISTRY;
        }
        // One pass over the rest: slashes, the first `:` and `@`, the last `:` before the `@`,
        // upper case before the first `:`.
        let (mut slash, mut first_colon, mut at, mut last_colon, mut upper) =
            (false, false, None, None, false);
        for (i, &c) in remainder.as_bytes().iter().enumerate() {
            match c {
                b'/' => slash = true,
                b':' => {
                    first_colon = true;
                    if at.is_none() {
                        last_colon = Some(i);
                    }
                }
                b'@' if at.is_none() => at = Some(i),
                b'A'..=b'Z' if !first_colon => upper = true,
                _ => {}
            }
        }
        let library = registry == DEFAULT_REGISTRY && !slash;
        // The repository name must be lower case (checked before the grammar).
        if upper {
            let remote_name = split_at_byte(remainder, b':').map_or(remainder, |(name, _)| name);
            return Err(ImageError::Uppercase(if library {
                format!("{OFFICIAL_REPO_PREFIX}{remote_name}")
            } else {
                remote_name.to_owned()
            }));
        }
        // reference := name [ ":" tag ] [ "@" digest ]
        let (before_digest, digest) = match at {
            Some(i) => (&remainder[..i], Some(&remainder[i + 1..])),
            None => (remainder, None),
        };
        let (path, tag) = match last_colon {
            Some(i) => (&before_digest[..i], Some(&before_digest[i + 1..])),
            None => (before_digest, None),
        };
        if !is_host(registry) || !is_path(path) {
            return Err(ImageError::InvalidFormat);
        }
        if let Some(tag) = tag
            && !is_tag(tag)
        {
            return Err(ImageError::InvalidFormat);
        }
        if let Some(digest) = digest
            && !is_digest_syntax(digest)
        {
            return Err(ImageError::InvalidFormat);
        }
        let name_len = registry.len()
            + 1
            + if library {
                OFFICIAL_REPO_PREFIX.len()
            } else {
                0
            }
            + path.len();
        if name_len > NAME_TOTAL_LENGTH_MAX {
            return Err(ImageError::NameTooLong);
        }
        if let Some(digest) = digest {
            validate_digest(digest)?;
        }
        Ok(Parts {
            registry,
            library,
            path,
            tag,
            digest,
        })
    }
}

/// `s` split around the first `byte` (ASCII), without `char` searching.
fn split_at_byte(s: &str, byte: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == byte)?;
    Some((&s[..i], &s[i + 1..]))
}

/// `host[:port]`: DNS-like components or a bracketed IPv6 address (one pass).
fn is_host(s: &str) -> bool {
    let b = s.as_bytes();
    let n = b.len();
    let mut i = 0;
    if b.first() == Some(&b'[') {
        i = 1;
        while i < n && (b[i].is_ascii_hexdigit() || b[i] == b':') {
            i += 1;
        }
        if i == 1 || b.get(i) != Some(&b']') {
            return false;
        }
        i += 1;
    } else {
        loop {
            // A component: alphanumeric at both ends, `-` inside.
            if i >= n || !b[i].is_ascii_alphanumeric() {
                return false;
            }
            i += 1;
            while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'-') {
                i += 1;
            }
            if b[i - 1] == b'-' {
                return false;
            }
            if i < n && b[i] == b'.' {
                i += 1;
                continue;
            }
            break;
        }
    }
    match b.get(i) {
        None => true,
        Some(b':') => i + 1 < n && b[i + 1..].iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
}

/// `path-component ('/' path-component)*` where a component is
/// `[a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*`: one pass over the bytes.
fn is_path(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let mut i = 0;
    loop {
        // Here a run of alphanumerics must start.
        if i >= b.len() || !alnum(b[i]) {
            return false;
        }
        while i < b.len() && alnum(b[i]) {
            i += 1;
        }
        if i == b.len() {
            return true;
        }
        match b[i] {
            b'/' | b'.' => i += 1,
            b'_' => {
                i += 1;
                if b.get(i) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                while b.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
}

/// `[\w][\w.-]{0,127}`.
fn is_tag(s: &str) -> bool {
    let b = s.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    !b.is_empty()
        && b.len() <= TAG_LENGTH_MAX
        && word(b[0])
        && b.iter().all(|&c| word(c) || c == b'.' || c == b'-')
}

/// `[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* : [0-9a-fA-F]{32,}`.
fn is_digest_syntax(s: &str) -> bool {
    let Some((algorithm, hex)) = s.split_once(':') else {
        return false;
    };
    let algorithm_ok = algorithm.split(['-', '_', '+', '.']).all(|component| {
        let b = component.as_bytes();
        !b.is_empty() && b[0].is_ascii_alphabetic() && b.iter().all(u8::is_ascii_alphanumeric)
    });
    algorithm_ok && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// go-digest's `Digest.Validate` for the algorithms a runtime links in.
fn validate_digest(s: &str) -> Result<(), ImageError> {
    let (algorithm, hex) = s.split_once(':').ok_or(ImageError::DigestFormat)?;
    let size = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err(ImageError::DigestUnsupported),
    };
    if hex.len() != size {
        return Err(ImageError::DigestLength);
    }
    if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(ImageError::DigestFormat);
    }
    Ok(())
}

/// The normalised forms of a reference, `registry/[library/]path[:tag][@digest]`, for glob
/// matching without allocation: the input itself when it is already in normal form (an
/// explicit registry and a tag or digest), else a copy in a stack buffer.
pub(crate) struct Normalized<'a> {
    text: Text<'a>,
    registry_end: usize,
    name_end: usize,
    /// End of `name:tag` (equal to `name_end` without a tag).
    tag_end: usize,
    has_tag: bool,
    has_digest: bool,
}

// The buffer lives on the stack: no allocation per image.
#[allow(clippy::large_enum_variant)]
enum Text<'a> {
    Input(&'a str),
    Buffer(Buffer),
}

/// Name (255) + `:` tag (128) + `@` digest (`sha512:` + 128): fits with room to spare.
const CAPACITY: usize = 640;

struct Buffer {
    bytes: [u8; CAPACITY],
    len: usize,
}

impl Buffer {
    fn push(&mut self, s: &str) {
        // Lengths are bounded by the grammar; a longer input is truncated, never a panic.
        let end = (self.len + s.len()).min(CAPACITY);
        let take = end - self.len;
        self.bytes[self.len..end].copy_from_slice(&s.as_bytes()[..take]);
        self.len = end;
    }
}

impl<'a> Normalized<'a> {
    pub(crate) fn new(input: &'a str, parts: &Parts<'a>) -> Normalized<'a> {
        let library = if parts.library {
            OFFICIAL_REPO_PREFIX.len()
        } else {
            0
        };
        let registry_end = parts.registry.len();
        let name_end = registry_end + 1 + library + parts.path.len();
        let tag = parts.tag();
        let tag_end = name_end + tag.map_or(0, |t| 1 + t.len());
        // The registry is a slice of the input (not the default) at its start.
        let in_normal_form = std::ptr::eq(input.as_ptr(), parts.registry.as_ptr())
            && input.as_bytes().get(registry_end) == Some(&b'/')
            && !parts.library
            && (parts.tag.is_some() || parts.digest.is_some());
        let text = if in_normal_form {
            Text::Input(input)
        } else {
            let mut b = Buffer {
                bytes: [0; CAPACITY],
                len: 0,
            };
            b.push(parts.registry);
            b.push("/");
            if parts.library {
                b.push(OFFICIAL_REPO_PREFIX);
            }
            b.push(parts.path);
            if let Some(tag) = tag {
                b.push(":");
                b.push(tag);
            }
            if let Some(digest) = parts.digest {
                b.push("@");
                b.push(digest);
            }
            Text::Buffer(b)
        };
        Normalized {
            text,
            registry_end,
            name_end,
            tag_end,
            has_tag: tag.is_some(),
            has_digest: parts.digest.is_some(),
        }
    }

    fn text(&self, end: usize) -> &str {
        match &self.text {
            Text::Input(s) => s.get(..end.min(s.len())).unwrap_or_default(),
            // Every piece is ASCII (checked by the grammar).
            Text::Buffer(b) => std::str::from_utf8(&b.bytes[..end.min(b.len)]).unwrap_or_default(),
        }
    }

    /// `registry` (with port).
    pub(crate) fn registry(&self) -> &str {
        self.text(self.registry_end)
    }

    /// `registry/path`.
    pub(crate) fn name(&self) -> &str {
        self.text(self.name_end)
    }

    /// `registry/path:tag` when there is a tag (written or implied).
    pub(crate) fn name_tag(&self) -> Option<&str> {
        self.has_tag.then(|| self.text(self.tag_end))
    }

    /// The full form, `registry/path[:tag][@digest]`.
    pub(crate) fn full(&self) -> &str {
        self.text(usize::MAX)
    }

    /// Whether the full form carries both a tag and a digest (then `name@digest` is a
    /// separate form).
    pub(crate) fn has_tag_and_digest(&self) -> bool {
        self.has_tag && self.has_digest
    }

    /// `registry/path@digest` (allocates; only for references with tag and digest).
    pub(crate) fn name_digest(&self) -> Option<String> {
        self.has_digest.then(|| {
            let full = self.full();
            let mut s = String::with_capacity(full.len());
            s.push_str(self.name());
            s.push_str(full.get(self.tag_end..).unwrap_or_default());
            s
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    /// `(reference, Ok(normalised Display) | Err(error text))`: distribution's own test
    /// cases (`reference_test.go`, `normalize_test.go`) and the corners between them.
    #[test]
    fn table_of_references() {
        let d = D;
        let owned: Vec<(String, Result<String, &str>)> = vec![
            ("nginx".into(), Ok("docker.io/library/nginx:latest".into())),
            (
                "nginx:1.27".into(),
                Ok("docker.io/library/nginx:1.27".into()),
            ),
            (
                "library/nginx".into(),
                Ok("docker.io/library/nginx:latest".into()),
            ),
            ("user/app".into(), Ok("docker.io/user/app:latest".into())),
            (
                "user/app/sub:v1".into(),
                Ok("docker.io/user/app/sub:v1".into()),
            ),
            (
                "docker.io/nginx".into(),
                Ok("docker.io/library/nginx:latest".into()),
            ),
            (
                "index.docker.io/nginx".into(),
                Ok("docker.io/library/nginx:latest".into()),
            ),
            (
                "index.docker.io/user/app:2".into(),
                Ok("docker.io/user/app:2".into()),
            ),
            (
                "registry.example.com/team/app:1.0".into(),
                Ok("registry.example.com/team/app:1.0".into()),
            ),
            // A registry host without a dot stays on Docker Hub as a user name.
            (
                "registry/app".into(),
                Ok("docker.io/registry/app:latest".into()),
            ),
            ("localhost/app".into(), Ok("localhost/app:latest".into())),
            ("localhost:5000/x:1".into(), Ok("localhost:5000/x:1".into())),
            (
                "localhost:5000/x".into(),
                Ok("localhost:5000/x:latest".into()),
            ),
            (
                "myhost:5000/a/b/c".into(),
                Ok("myhost:5000/a/b/c:latest".into()),
            ),
            ("[::1]:5000/app:v2".into(), Ok("[::1]:5000/app:v2".into())),
            (
                "[2001:db8::1]/app".into(),
                Ok("[2001:db8::1]/app:latest".into()),
            ),
            (
                "192.168.1.1:5000/app".into(),
                Ok("192.168.1.1:5000/app:latest".into()),
            ),
            // Upper case in the registry is allowed (and makes it a registry).
            (
                "Example.com/app".into(),
                Ok("Example.com/app:latest".into()),
            ),
            ("Foo/bar".into(), Ok("Foo/bar:latest".into())),
            (
                format!("nginx@{d}"),
                Ok(format!("docker.io/library/nginx@{d}")),
            ),
            (
                format!("nginx:1.27@{d}"),
                Ok(format!("docker.io/library/nginx:1.27@{d}")),
            ),
            (
                format!("gcr.io/p/app:v1@{d}"),
                Ok(format!("gcr.io/p/app:v1@{d}")),
            ),
            (
                "a.b-c__d.e-f---g".into(),
                Ok("docker.io/library/a.b-c__d.e-f---g:latest".into()),
            ),
            (
                "x:Tag_With.Upper-1".into(),
                Ok("docker.io/library/x:Tag_With.Upper-1".into()),
            ),
            ("x:_tag".into(), Ok("docker.io/library/x:_tag".into())),
            (
                format!("x:{}", "t".repeat(128)),
                Ok(format!("docker.io/library/x:{}", "t".repeat(128))),
            ),
            (
                "xn--bcher-kva.example/app".into(),
                Ok("xn--bcher-kva.example/app:latest".into()),
            ),
            // Errors.
            ("".into(), Err("invalid reference format")),
            (
                "Nginx".into(),
                Err("invalid reference format: repository name (library/Nginx) must be lowercase"),
            ),
            (
                "user/App:1".into(),
                Err("invalid reference format: repository name (user/App) must be lowercase"),
            ),
            (
                "example.com/Team/app".into(),
                Err("invalid reference format: repository name (Team/app) must be lowercase"),
            ),
            // Upper case makes `Bad` a registry; the rest is then checked for case first.
            (
                "Bad//Name".into(),
                Err("invalid reference format: repository name (/Name) must be lowercase"),
            ),
            ("Bad//name".into(), Err("invalid reference format")),
            ("a//b".into(), Err("invalid reference format")),
            ("a/".into(), Err("invalid reference format")),
            ("-app".into(), Err("invalid reference format")),
            ("app-".into(), Err("invalid reference format")),
            ("a___b".into(), Err("invalid reference format")),
            ("a..b".into(), Err("invalid reference format")),
            ("a._b".into(), Err("invalid reference format")),
            ("x:".into(), Err("invalid reference format")),
            ("x:-tag".into(), Err("invalid reference format")),
            ("x:.tag".into(), Err("invalid reference format")),
            (
                format!("x:{}", "t".repeat(129)),
                Err("invalid reference format"),
            ),
            ("x:1:2".into(), Err("invalid reference format")),
            ("x@".into(), Err("invalid reference format")),
            ("x@sha256:abc".into(), Err("invalid reference format")),
            (
                format!("x@sha256:{}", "a".repeat(63)),
                Err("invalid checksum digest length"),
            ),
            (
                format!("x@sha256:{}", "A".repeat(64)),
                Err("invalid checksum digest format"),
            ),
            (
                format!("x@md5:{}", "a".repeat(32)),
                Err("unsupported digest algorithm"),
            ),
            (
                format!("x@sha512:{}", "a".repeat(64)),
                Err("invalid checksum digest length"),
            ),
            ("host:port/app".into(), Err("invalid reference format")),
            ("-host.com/app".into(), Err("invalid reference format")),
            ("my_host.com/app".into(), Err("invalid reference format")),
            ("[::1/app".into(), Err("invalid reference format")),
            ("x y".into(), Err("invalid reference format")),
            ("héllo".into(), Err("invalid reference format")),
            (
                "a".repeat(64),
                Err(
                    "invalid repository name (aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa), cannot specify 64-byte hexadecimal strings",
                ),
            ),
            (
                format!("example.com/{}", "a".repeat(243)),
                Ok(format!("example.com/{}:latest", "a".repeat(243))),
            ),
            (
                format!("example.com/{}", "a".repeat(244)),
                Err("repository name must not be more than 255 characters"),
            ),
        ];
        assert!(owned.len() >= 30);
        for (reference, want) in &owned {
            let got = parse(reference)
                .map(|r| r.to_string())
                .map_err(|e| e.to_string());
            let want = want.clone().map_err(str::to_owned);
            assert_eq!(got, want, "reference {reference:?}");
        }
    }

    #[test]
    fn hosts() {
        for (host, ok) in [
            ("a", true),
            ("a.b-c.d", true),
            ("a:1", true),
            ("[::1]", true),
            ("[::1]:80", true),
            ("[]", false),
            ("[::1]x", false),
            ("[::1]:", false),
            ("a-", false),
            ("-a", false),
            ("a..b", false),
            ("a.", false),
            ("a:", false),
            ("a:b", false),
            ("a_b", false),
            ("", false),
        ] {
            assert_eq!(is_host(host), ok, "{host:?}");
        }
    }

    #[test]
    fn fields_and_forms() {
        let r = parse("nginx").expect("valid");
        assert_eq!(r.registry, "docker.io");
        assert_eq!(r.path, "library/nginx");
        assert_eq!(r.tag.as_deref(), Some("latest"));
        assert!(!r.written_tag);
        assert_eq!(r.name(), "docker.io/library/nginx");

        let r = parse(&format!("localhost:5000/x:1@{D}")).expect("valid");
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.tag.as_deref(), Some("1"));
        assert!(r.written_tag);
        assert_eq!(r.digest.as_deref(), Some(D));

        let r = parse(&format!("x@{D}")).expect("valid");
        assert_eq!(r.tag, None);
        assert!(!r.written_tag);

        let reference = format!("quay.io/p/x:v1@{D}");
        let parts = Parts::parse(&reference).expect("valid");
        let n = Normalized::new(&reference, &parts);
        assert_eq!(n.registry(), "quay.io");
        assert_eq!(n.name(), "quay.io/p/x");
        assert_eq!(n.name_tag(), Some("quay.io/p/x:v1"));
        assert_eq!(n.full(), reference);
        assert!(n.has_tag_and_digest());
        assert_eq!(n.name_digest(), Some(format!("quay.io/p/x@{D}")));
    }
}

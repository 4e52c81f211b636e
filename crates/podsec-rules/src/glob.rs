//! A small glob: `*` matches any run of characters (including none and including `/`), `?`
//! matches exactly one character; every other character matches itself.
//!
//! The characters `[`, `]`, `{`, `}` and `\` are rejected at compile time so that patterns
//! written for shell or `path.Match` globs fail loudly instead of matching literally.

use std::fmt;

/// Characters that other glob dialects give a meaning to and that this one refuses.
const RESERVED: &[char] = &['[', ']', '{', '}', '\\'];

/// A compiled glob pattern.
#[derive(Clone, PartialEq, Eq)]
pub struct Glob {
    pattern: String,
    matcher: Matcher,
}

/// How a pattern is matched, chosen at compile time.
#[derive(Clone, PartialEq, Eq)]
enum Matcher {
    /// No wildcard: compare bytes.
    Literal,
    /// Only `*`: the literal pieces between stars (at least two), matched as prefix, suffix
    /// and leftmost occurrences in between.
    Stars(Vec<String>),
    /// `?` somewhere: the general matcher.
    General,
}

/// Why a pattern is not a valid glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobError(String);

impl fmt::Display for GlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GlobError {}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Glob({:?})", self.pattern)
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

impl Glob {
    /// Compiles `pattern`: non-empty, no control characters, none of `[ ] { } \`.
    pub fn new(pattern: &str) -> Result<Glob, GlobError> {
        if pattern.is_empty() {
            return Err(GlobError("must not be empty".to_owned()));
        }
        if let Some(c) = pattern.chars().find(|c| RESERVED.contains(c)) {
            return Err(GlobError(format!(
                "{c:?} is not supported (only * and ? are wildcards)"
            )));
        }
        if pattern.chars().any(char::is_control) {
            return Err(GlobError("must not contain control characters".to_owned()));
        }
        let matcher = if pattern.contains('?') {
            Matcher::General
        } else if pattern.contains('*') {
            Matcher::Stars(pattern.split('*').map(str::to_owned).collect())
        } else {
            Matcher::Literal
        };
        Ok(Glob {
            pattern: pattern.to_owned(),
            matcher,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the whole of `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        match &self.matcher {
            Matcher::Literal => self.pattern == text,
            Matcher::Stars(pieces) => matches_stars(pieces, text),
            Matcher::General => matches_chars(&self.pattern, text),
        }
    }
}

/// `pieces` are the literal parts of a star-only pattern (`a*b*c` → `a`, `b`, `c`).
fn matches_stars(pieces: &[String], text: &str) -> bool {
    let (Some(first), Some(last)) = (pieces.first(), pieces.last()) else {
        return false;
    };
    if text.len() < first.len() + last.len()
        || !text.starts_with(first.as_str())
        || !text.ends_with(last.as_str())
    {
        return false;
    }
    let mut middle = &text[first.len()..text.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match middle.find(piece.as_str()) {
            Some(at) => middle = &middle[at + piece.len()..],
            None => return false,
        }
    }
    true
}

/// Iterative wildcard matching with one backtrack point (linear in practice, never
/// exponential): on a mismatch, the last `*` absorbs one more character.
fn matches_chars(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0usize, 0usize);
    // (position after the star in the pattern, position in the text it resumes from)
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi + 1, ti));
            pi += 1;
            continue;
        }
        if pi < p.len() && p[pi] == b'?' {
            // One character, not one byte.
            pi += 1;
            ti += utf8_len(t[ti]);
            continue;
        }
        if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
            continue;
        }
        match star {
            Some((sp, st)) => {
                let next = st + utf8_len(t[st]);
                star = Some((sp, next));
                pi = sp;
                ti = next;
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

/// The length of the UTF-8 sequence that starts with `lead`.
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    fn m(pattern: &str, text: &str) -> bool {
        let glob = Glob::new(pattern).expect("valid glob");
        let got = glob.matches(text);
        // The star-only fast path agrees with the general matcher.
        assert_eq!(
            got,
            super::matches_chars(pattern, text),
            "{pattern:?} on {text:?}"
        );
        got
    }

    #[test]
    fn matches_like_a_shell_without_classes() {
        let rows = [
            ("*", "", true),
            ("*", "anything/at/all", true),
            ("a", "a", true),
            ("a", "ab", false),
            ("a*", "abc", true),
            ("*c", "abc", true),
            ("*b*", "abc", true),
            ("*b*", "ac", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "aéc", true),
            ("*.gcr.io", "eu.gcr.io", true),
            ("*.gcr.io", "gcr.io", false),
            ("*.gcr.io", "eu.gcr.io.evil.com", false),
            (
                "registry.example.com/team/*",
                "registry.example.com/team/app",
                true,
            ),
            (
                "registry.example.com/team/*",
                "registry.example.com/team/a/b",
                true,
            ),
            (
                "registry.example.com/team/*",
                "registry.example.com/teams/app",
                false,
            ),
            ("a*b*c*d", "aXbXcXd", true),
            ("a*b*c*d", "aXbXcX", false),
            ("**", "x", true),
            ("a*a", "a", false),
            ("a*a", "aa", true),
            ("ab*ba", "aba", false),
            ("*ab*ab*", "xabyab", true),
            ("*ab*ab*", "xaby", false),
            ("x*", "x", true),
            ("*x", "x", true),
            ("*a", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", false),
            (
                "quay.io/prometheus/node-exporter:*",
                "quay.io/prometheus/node-exporter:v1.8.0",
                true,
            ),
        ];
        for (pattern, text, want) in rows {
            assert_eq!(m(pattern, text), want, "{pattern:?} on {text:?}");
        }
    }

    #[test]
    fn rejects_other_dialects() {
        for bad in ["", "[", "a[bc]", "{a,b}", "a\\*", "a\nb"] {
            assert!(Glob::new(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Glob::new("[").expect_err("invalid").to_string(),
            "'[' is not supported (only * and ? are wildcards)"
        );
    }
}

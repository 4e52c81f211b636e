//! String helpers shared by every check message, matching upstream byte for byte.

mod printable;

use std::fmt::Write as _;

pub use printable::UNICODE_VERSION;

/// `"a", "b"`: items wrapped in `"` and joined by `", "`, **without escaping**; `""` (the
/// empty string) for no items. Upstream's list quoting.
pub fn quote_list<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::new();
    push_quote_list(&mut out, items);
    out
}

/// Appends [`quote_list`] of `items` to `out`.
pub fn push_quote_list<S: AsRef<str>>(out: &mut String, items: &[S]) {
    if items.is_empty() {
        return;
    }
    out.push('"');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str("\", \"");
        }
        out.push_str(item.as_ref());
    }
    out.push('"');
}

/// `singular` when `n == 1`, else `plural`.
pub const fn plural(singular: &'static str, plural: &'static str, n: usize) -> &'static str {
    if n == 1 { singular } else { plural }
}

/// `container "a"` / `containers "a", "b"`.
pub fn container_phrase<S: AsRef<str>>(names: &[S]) -> String {
    let mut out = String::from(plural("container", "containers", names.len()));
    out.push(' ');
    push_quote_list(&mut out, names);
    out
}

/// Who set a forbidden value: `pod`, `container "a"`, `pod and containers "a", "b"` (the
/// "setters" joined by `" and "`).
pub fn pod_and_containers<S: AsRef<str>>(pod: bool, containers: &[S]) -> String {
    let mut out = String::new();
    if pod {
        out.push_str("pod");
    }
    if !containers.is_empty() {
        if pod {
            out.push_str(" and ");
        }
        out.push_str(&container_phrase(containers));
    }
    out
}

/// Sorts byte-wise and removes duplicates.
pub fn sort_dedup<T: Ord>(values: &mut Vec<T>) {
    values.sort_unstable();
    values.dedup();
}

/// Go's `strconv.Quote` (the `%q` verb) for valid Unicode text.
///
/// Printable characters (Go's `unicode.IsPrint`, Unicode [`UNICODE_VERSION`]) are copied;
/// `"` and `\` are backslash-escaped; the others become `\a \b \f \n \r \t \v`, `\xHH`,
/// `\uHHHH` or `\UHHHHHHHH` (lowercase hex). Rust's `{:?}` differs and must not be used.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_go_quote(&mut out, s);
    out
}

/// Appends [`go_quote`] of `s` to `out`.
pub fn push_go_quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_go_printable(c) => out.push(c),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0B}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7F}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
}

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and U+0020.
pub fn is_go_printable(c: char) -> bool {
    let cp = c as u32;
    if cp < 0x80 {
        return (0x20..0x7F).contains(&cp);
    }
    printable::PRINTABLE_RANGES
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_list_does_not_escape() {
        assert_eq!(quote_list::<&str>(&[]), "");
        assert_eq!(quote_list(&["a"]), r#""a""#);
        assert_eq!(quote_list(&["a", "b"]), r#""a", "b""#);
        assert_eq!(quote_list(&[r#"a"b"#]), r#""a"b""#);
    }

    #[test]
    fn container_phrase_pluralises() {
        assert_eq!(container_phrase(&["a"]), r#"container "a""#);
        assert_eq!(container_phrase(&["a", "b"]), r#"containers "a", "b""#);
    }

    #[test]
    fn setters_join_with_and() {
        assert_eq!(pod_and_containers::<&str>(true, &[]), "pod");
        assert_eq!(pod_and_containers(false, &["a"]), r#"container "a""#);
        assert_eq!(
            pod_and_containers(true, &["a", "b"]),
            r#"pod and containers "a", "b""#
        );
    }

    #[test]
    fn go_quote_matches_strconv_quote() {
        let cases: &[(&str, &str)] = &[
            ("", r#""""#),
            ("unconfined", r#""unconfined""#),
            ("y\"q", r#""y\"q""#),
            ("a\\b", r#""a\\b""#),
            ("\t", r#""\t""#),
            ("\u{07}\u{08}\u{0C}\n\r\u{0B}", r#""\a\b\f\n\r\v""#),
            ("\u{00}\u{1F}\u{7F}", r#""\x00\x1f\x7f""#),
            ("\u{A0}", r#""\u00a0""#),
            ("é", "\"é\""),
            ("日本", "\"日本\""),
            ("\u{200B}", r#""\u200b""#),
            ("\u{2028}", r#""\u2028""#),
            ("\u{3000}", r#""\u3000""#),
            ("\u{E000}", r#""\ue000""#),
            ("\u{FEFF}", r#""\ufeff""#),
            ("\u{FFFD}", "\"\u{FFFD}\""),
            ("\u{1F600}", "\"\u{1F600}\""),
            ("\u{E0001}", r#""\U000e0001""#),
            ("\u{10FFFF}", r#""\U0010ffff""#),
            // Assigned after Unicode 14: printable in the reference build (Unicode 17).
            ("\u{1FAE9}", "\"\u{1FAE9}\""),
            ("\u{1C89}", "\"\u{1C89}\""),
            ("\u{2FFF}", "\"\u{2FFF}\""),
            ("\u{31E4}", "\"\u{31E4}\""),
            ("\u{11F00}", "\"\u{11F00}\""),
            ("\u{1F6DC}", "\"\u{1F6DC}\""),
            // Unassigned in Unicode 17.
            ("\u{0378}", r#""\u0378""#),
            ("\u{1FFFE}", r#""\U0001fffe""#),
        ];
        for (input, want) in cases {
            assert_eq!(go_quote(input), *want, "go_quote({input:?})");
        }
    }

    #[test]
    fn printable_table_is_sorted_and_disjoint() {
        let ranges = &printable::PRINTABLE_RANGES;
        for w in ranges.windows(2) {
            assert!(w[0].0 <= w[0].1 && w[0].1 + 1 < w[1].0, "{w:?}");
        }
        assert_eq!(UNICODE_VERSION, "17.0.0");
    }
}

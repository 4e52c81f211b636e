//! RFC 1123 name validators with apimachinery's exact messages
//! (`k8s.io/apimachinery/pkg/util/validation`: `IsDNS1123Label`, `IsDNS1123Subdomain`).
//!
//! The grammars are implemented directly (no regular expressions). Lengths are counted in
//! bytes, like Go's `len`; any non-ASCII byte fails the grammar.

/// Maximum length of a DNS-1123 label, in bytes.
pub const DNS1123_LABEL_MAX_LENGTH: usize = 63;

/// Maximum length of a DNS-1123 subdomain, in bytes.
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;

/// The regular expression that a DNS-1123 label must match (as quoted in messages).
pub const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

/// The regular expression that a DNS-1123 subdomain must match (as quoted in messages).
pub const DNS1123_SUBDOMAIN_FMT: &str =
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

/// Message for a string that is not a DNS-1123 label (note the two spaces before `or`,
/// an upstream quirk of `RegexError`).
pub const DNS1123_LABEL_MESSAGE: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/// Message for a string that is not a DNS-1123 subdomain.
pub const DNS1123_SUBDOMAIN_MESSAGE: &str = r"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/// Message for a valid subdomain that is not a label.
pub const MUST_NOT_CONTAIN_DOTS: &str = "must not contain dots";

/// Whether `value` matches `[a-z0-9]([-a-z0-9]*[a-z0-9])?` entirely (no length limit).
pub fn matches_label_grammar(value: &str) -> bool {
    let bytes = value.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => {
            alnum(first) && alnum(last) && bytes.iter().all(|&b| alnum(b) || b == b'-')
        }
        _ => false,
    }
}

/// Whether `value` matches the DNS-1123 subdomain regular expression entirely: labels
/// (see [`matches_label_grammar`]) separated by single dots (no length limit).
pub fn matches_subdomain_grammar(value: &str) -> bool {
    value.split('.').all(matches_label_grammar)
}

/// The problems that make `value` not a DNS-1123 label; empty if it is one.
///
/// Upstream order: the length message first (more than 63 bytes), then the grammar message,
/// which is `must not contain dots` when `value` is a valid subdomain.
pub fn dns1123_label_errors(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errors.push(max_len_error(DNS1123_LABEL_MAX_LENGTH));
    }
    if !matches_label_grammar(value) {
        if matches_subdomain_grammar(value) {
            errors.push(MUST_NOT_CONTAIN_DOTS.to_owned());
        } else {
            errors.push(DNS1123_LABEL_MESSAGE.to_owned());
        }
    }
    errors
}

/// The problems that make `value` not a DNS-1123 subdomain; empty if it is one.
pub fn dns1123_subdomain_errors(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errors.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if !matches_subdomain_grammar(value) {
        errors.push(DNS1123_SUBDOMAIN_MESSAGE.to_owned());
    }
    errors
}

fn max_len_error(length: usize) -> String {
    format!("must be no more than {length} characters")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_grammar() {
        for ok in [
            "a", "0", "a-b", "abc123", "1-2-3", "a--b", "123-abc", "my-name",
        ] {
            assert!(matches_label_grammar(ok), "{ok}");
            assert!(dns1123_label_errors(ok).is_empty(), "{ok}");
        }
        for bad in [
            "", "-", "-a", "a-", "A", "aB", "a_b", "a.b", "a b", " a", "é", "a\n", ".", "_&$%#",
        ] {
            assert!(!matches_label_grammar(bad), "{bad:?}");
        }
    }

    #[test]
    fn subdomain_grammar() {
        for ok in ["a", "a.b", "example.com", "a-1.b-2.c", "0.0"] {
            assert!(matches_subdomain_grammar(ok), "{ok}");
            assert!(dns1123_subdomain_errors(ok).is_empty(), "{ok}");
        }
        for bad in [
            "", ".", "a.", ".a", "a..b", "a.-b", "A.b", "a_b.c", "a.b-", "TEST",
        ] {
            assert!(!matches_subdomain_grammar(bad), "{bad:?}");
            assert_eq!(
                dns1123_subdomain_errors(bad),
                vec![DNS1123_SUBDOMAIN_MESSAGE],
                "{bad:?}"
            );
        }
    }

    #[test]
    fn label_messages() {
        assert_eq!(dns1123_label_errors(""), vec![DNS1123_LABEL_MESSAGE]);
        assert_eq!(dns1123_label_errors("a.b"), vec![MUST_NOT_CONTAIN_DOTS]);
        assert!(DNS1123_LABEL_MESSAGE.contains("'my-name',  or '123-abc'"));
        let long = "a".repeat(64);
        assert_eq!(
            dns1123_label_errors(&long),
            vec!["must be no more than 63 characters"]
        );
        assert!(dns1123_label_errors(&"a".repeat(63)).is_empty());
        let long_bad = "A".repeat(64);
        assert_eq!(
            dns1123_label_errors(&long_bad),
            vec!["must be no more than 63 characters", DNS1123_LABEL_MESSAGE]
        );
        let long_dots = format!("{}.b", "a".repeat(70));
        assert_eq!(
            dns1123_label_errors(&long_dots),
            vec!["must be no more than 63 characters", MUST_NOT_CONTAIN_DOTS]
        );
        // Length counts bytes: 32 two-byte characters are 64 bytes.
        assert_eq!(
            dns1123_label_errors(&"é".repeat(32)),
            vec!["must be no more than 63 characters", DNS1123_LABEL_MESSAGE]
        );
    }

    #[test]
    fn subdomain_messages() {
        let max = format!("{}.{}", "a".repeat(126), "b".repeat(126));
        assert_eq!(max.len(), 253);
        assert!(dns1123_subdomain_errors(&max).is_empty());
        let long = format!("{max}c");
        assert_eq!(
            dns1123_subdomain_errors(&long),
            vec!["must be no more than 253 characters"]
        );
        assert!(DNS1123_SUBDOMAIN_MESSAGE.ends_with(r"(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
        assert!(DNS1123_LABEL_MESSAGE.ends_with(&format!("'{DNS1123_LABEL_FMT}')")));
        assert!(DNS1123_SUBDOMAIN_MESSAGE.ends_with(&format!("'{DNS1123_SUBDOMAIN_FMT}')")));
    }
}

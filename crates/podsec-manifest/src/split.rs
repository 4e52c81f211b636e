//! Splitting a manifest stream into documents, the way Kubernetes' YAML reader does.

/// One non-empty document of a manifest stream.
///
/// Produced by [`documents`]; decode it with [`Document::decode`](crate::Document::decode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document<'a> {
    /// 1-based line (in the whole stream) of the document's first line of content: leading
    /// blank and comment lines are not part of [`Document::text`].
    line: usize,
    /// The document's text, from its first content line up to (not including) the next
    /// separator line.
    text: &'a str,
    /// Set when the document was opened by a malformed separator line (`---` followed by
    /// something other than whitespace or a comment); its text is then not decoded.
    invalid_separator: Option<&'a str>,
}

impl<'a> Document<'a> {
    /// 1-based line in the stream where the document's content starts.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The document's text, starting at its first content line.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Whether the document is decoded as JSON: it starts like JSON (its first
    /// non-whitespace character is `{` or `[`) and it is JSON (one or more concatenated
    /// values), or it is neither JSON nor YAML and its JSON error is the one reported (see
    /// the crate docs, "Documents"). Everything else, including a YAML document in flow
    /// style (`{kind: Pod, metadata: {name: a,},}`), is YAML.
    ///
    /// This reads the document (with the JSON parser, and with the YAML parser when it is
    /// not JSON); [`Document::decode`](crate::Document::decode) decides the same way
    /// without reading it twice.
    pub fn is_json(&self) -> bool {
        if self.invalid_separator.is_some() || !self.starts_like_json() {
            return false;
        }
        match crate::decode::json_values(self.text) {
            Ok(_) => true,
            Err((values, err)) => matches!(
                crate::decode::not_json(self.text, values.len(), &err, true),
                crate::decode::NotJson::JsonError
            ),
        }
    }

    /// Whether the document is first read as JSON: its first non-whitespace character is
    /// `{` or `[`. It is JSON only if all of it then reads as JSON ([`Document::is_json`]).
    pub(crate) fn starts_like_json(&self) -> bool {
        matches!(self.text.trim_start().as_bytes().first(), Some(b'{' | b'['))
    }

    /// The text after `---` when the document was opened by a malformed separator line.
    pub(crate) fn invalid_separator(&self) -> Option<&'a str> {
        self.invalid_separator
    }
}

/// Splits `text` into its non-empty documents.
///
/// A separator is a line that starts with `---` followed only by whitespace or a `#`
/// comment (as `k8s.io/apimachinery`'s YAML reader). A line that starts with `---` followed
/// by anything else (`--- {a: 1}`, `----`) is reported as an invalid separator: it still
/// ends the previous document, and the document it opens decodes to an error. Documents
/// holding only whitespace and comments are dropped. A leading byte-order mark is ignored.
pub fn documents(text: &str) -> Vec<Document<'_>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    split_into(text, 1, &mut out);
    out
}

/// Splits `text`, whose first line is line `first_line` of its stream, appending its
/// documents to `out`. Only the lines starting with `---` are looked at (found with a
/// substring search); lines are counted between them.
fn split_into<'a>(text: &'a str, first_line: usize, out: &mut Vec<Document<'a>>) {
    let bytes = text.as_bytes();
    // Current document: byte offset where it starts, its first line, its separator error.
    let mut start = 0;
    let mut start_line = first_line;
    let mut invalid: Option<&str> = None;
    // Lines counted up to `counted` (a line start).
    let (mut counted, mut counted_line) = (0, first_line);
    for offset in separator_lines(bytes) {
        counted_line += newlines(&bytes[counted..offset]);
        counted = offset;
        let end = memchr::memchr(b'\n', &bytes[offset..]).map_or(bytes.len(), |i| offset + i + 1);
        let rest = text[offset + 3..end].trim();
        push_document(out, &text[start..offset], start_line, invalid);
        if rest.is_empty() || rest.starts_with('#') {
            start = end;
            start_line = counted_line + 1;
            invalid = None;
        } else {
            start = offset;
            start_line = counted_line;
            invalid = Some(rest);
        }
    }
    push_document(out, &text[start..], start_line, invalid);
}

/// The offsets of the lines of `bytes` that start with `---`, in order.
fn separator_lines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let first = bytes.starts_with(b"---").then_some(0);
    first
        .into_iter()
        .chain(memchr::memmem::find_iter(bytes, b"\n---").map(|at| at + 1))
}

/// The number of line feeds in `bytes`.
fn newlines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

/// The documents of `text` (as [`documents`] splits it) whose text contains `needle`,
/// found without splitting the whole stream: each occurrence of `needle` is searched for,
/// and only the documents around them are split off. Namespace mode looks for the
/// `Namespace` objects of a stream this way before it checks the stream.
pub fn documents_containing<'a>(text: &'a str, needle: &str) -> Vec<Document<'a>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    // The end of the last region split, and the lines counted up to it.
    let (mut done, mut counted_line) = (0, 1);
    for at in memchr::memmem::find_iter(bytes, needle.as_bytes()) {
        if at < done {
            continue;
        }
        // The region between the separator lines around the occurrence (the separator line
        // that opens it included: it decides whether the document is valid).
        let start = memchr::memmem::rfind(&bytes[done..at], b"\n---").map_or(
            if done == 0 && bytes.starts_with(b"---") {
                0
            } else {
                done
            },
            |i| done + i + 1,
        );
        let end = memchr::memmem::find(&bytes[at..], b"\n---").map_or(bytes.len(), |i| at + i + 1);
        counted_line += newlines(&bytes[done..start]);
        let mut region = Vec::new();
        split_into(&text[start..end], counted_line, &mut region);
        out.extend(region.into_iter().filter(|d| d.text.contains(needle)));
        counted_line += newlines(&bytes[start..end]);
        done = end;
    }
    out
}

fn push_document<'a>(
    out: &mut Vec<Document<'a>>,
    text: &'a str,
    line: usize,
    invalid_separator: Option<&'a str>,
) {
    if invalid_separator.is_some() {
        out.push(Document {
            line,
            text,
            invalid_separator,
        });
        return;
    }
    // Skip leading blank and comment lines: the document starts at its first content line.
    let mut skipped = 0;
    for (line, l) in (line..).zip(text.split_inclusive('\n')) {
        let trimmed = l.trim();
        if !(trimmed.is_empty() || trimmed.starts_with('#')) {
            out.push(Document {
                line,
                text: &text[skipped..],
                invalid_separator: None,
            });
            return;
        }
        skipped += l.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<(usize, &str)> {
        documents(text)
            .iter()
            .map(|d| (d.line(), d.text()))
            .collect()
    }

    /// The splitting rule, line by line: what [`documents`] must equal.
    fn reference(text: &str) -> Vec<Document<'_>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut out = Vec::new();
        let (mut start, mut start_line, mut invalid, mut offset) = (0, 1, None, 0);
        for (line_no, line) in (1..).zip(text.split_inclusive('\n')) {
            if let Some(rest) = line.strip_prefix("---") {
                let rest = rest.trim();
                push_document(&mut out, &text[start..offset], start_line, invalid);
                if rest.is_empty() || rest.starts_with('#') {
                    (start, start_line, invalid) = (offset + line.len(), line_no + 1, None);
                } else {
                    (start, start_line, invalid) = (offset, line_no, Some(rest));
                }
            }
            offset += line.len();
        }
        push_document(&mut out, &text[start..], start_line, invalid);
        out
    }

    /// Streams made of separator lines, comments, blank lines and content, some holding
    /// the word `Namespace`.
    fn stream() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let line = prop_oneof![
            Just("---\n"),
            Just("---"),
            Just("--- # c\n"),
            Just("--- {a: 1}\n"),
            Just("----\n"),
            Just(" ---\n"),
            Just("# comment\n"),
            Just("\n"),
            Just("kind: Namespace\n"),
            Just("kind: Pod\n"),
            Just("  name: a---b\n"),
            Just("\u{feff}"),
            Just("é: Namespace---\r\n"),
        ];
        proptest::collection::vec(line, 0..24).prop_map(|lines| lines.concat())
    }

    proptest::proptest! {
        #[test]
        fn splits_as_the_line_by_line_rule(text in stream()) {
            proptest::prop_assert_eq!(documents(&text), reference(&text));
        }

        #[test]
        fn documents_containing_finds_exactly_the_documents_holding_the_needle(text in stream()) {
            for needle in ["Namespace", "kind", "---", "a"] {
                let all: Vec<Document<'_>> = documents(&text)
                    .into_iter()
                    .filter(|d| d.text().contains(needle))
                    .collect();
                proptest::prop_assert_eq!(documents_containing(&text, needle), all, "{}", needle);
            }
        }
    }

    #[test]
    fn documents_containing_keeps_lines() {
        let text = "kind: Pod\n---\n# lead\nkind: Namespace\nmetadata: {name: a}\n---\nx: 1\n--- {kind: Namespace}\n";
        let found = documents_containing(text, "Namespace");
        assert_eq!(found.len(), 2);
        assert_eq!(
            (found[0].line(), found[0].text()),
            (4, "kind: Namespace\nmetadata: {name: a}\n")
        );
        assert_eq!(
            (found[1].line(), found[1].invalid_separator()),
            (8, Some("{kind: Namespace}"))
        );
    }

    #[test]
    fn splits_on_separator_lines() {
        let text = "a: 1\n---\nb: 2\n--- # comment\n\n# lead\nc: 3\n---   \r\nd: 4";
        assert_eq!(
            split(text),
            [(1, "a: 1\n"), (3, "b: 2\n"), (7, "c: 3\n"), (9, "d: 4")]
        );
    }

    #[test]
    fn drops_empty_and_comment_only_documents() {
        let text = "---\n# only a comment\n---\n\n   \n---\n---\nkind: Pod\n---\n";
        assert_eq!(split(text), [(8, "kind: Pod\n")]);
        assert!(documents("").is_empty());
        assert!(documents("\n\n# nothing\n").is_empty());
    }

    #[test]
    fn separator_must_start_the_line() {
        let text = "a: |\n  ---\n  x\n ---\nb: 1\n";
        assert_eq!(split(text), [(1, text)]);
    }

    #[test]
    fn invalid_separator_opens_a_bad_document() {
        let docs = documents("a: 1\n--- {b: 2}\nc: 3\n---\nd: 4\n");
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[1].line(), 2);
        assert_eq!(docs[1].invalid_separator(), Some("{b: 2}"));
        assert_eq!(docs[2].text(), "d: 4\n");
        assert_eq!(documents("----\n")[0].invalid_separator(), Some("-"));
    }

    #[test]
    fn json_detection_and_bom() {
        let docs = documents("\u{feff}{\"kind\": \"Pod\"}\n---\n  [1]\n---\nkind: Pod\n");
        let json: Vec<bool> = docs.iter().map(Document::is_json).collect();
        assert_eq!(json, [true, true, false]);
        assert_eq!(docs[0].line(), 1);
    }

    #[test]
    fn json_only_when_it_is_json() {
        let cases = [
            // JSON, including concatenated values and a broken JSON document.
            ("{\"kind\": \"Pod\"}", true),
            ("{\"a\": 1}\n{\"b\": 2}[3]", true),
            ("{\"kind\": \"Pod\" \"spec\": {}}", true),
            (
                "{\"kind\": \"Pod\"}\n{\"kind\": \"Pod\",\n \"spec\": {]}\n",
                true,
            ),
            // YAML in flow style: unquoted keys, trailing commas, comments.
            ("{kind: Pod}", false),
            ("{\"kind\": \"Pod\",}", false),
            ("{\n  # a comment\n  \"kind\": \"Pod\"\n}", false),
            ("{\"kind\": \"Pod\"} # a comment", false),
            ("[a, b]", false),
            // Broken flow YAML: YAML read further.
            (
                "{kind: Pod, metadata: {name: a}, spec: {containers: [}}",
                false,
            ),
            // Never JSON: a malformed separator line, YAML that does not start like JSON.
            ("--- {\"kind\": \"Pod\"}", false),
            ("\"kind\"", false),
        ];
        for (text, json) in cases {
            let docs = documents(text);
            assert_eq!(docs.len(), 1, "{text}");
            assert_eq!(docs[0].is_json(), json, "{text}");
            assert!(docs[0].starts_like_json() || !json, "{text}");
        }
    }
}

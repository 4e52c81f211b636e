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
                crate::decode::not_json(self.text, values.len(), &err),
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
    // Current document: byte offset where it starts, its first line, its separator error.
    let mut start = 0;
    let mut start_line = 1;
    let mut invalid: Option<&str> = None;
    let mut offset = 0;
    for (line_no, line) in (1..).zip(text.split_inclusive('\n')) {
        if let Some(rest) = line.strip_prefix("---") {
            let rest = rest.trim();
            push_document(&mut out, &text[start..offset], start_line, invalid);
            if rest.is_empty() || rest.starts_with('#') {
                start = offset + line.len();
                start_line = line_no + 1;
                invalid = None;
            } else {
                start = offset;
                start_line = line_no;
                invalid = Some(rest);
            }
        }
        offset += line.len();
    }
    push_document(&mut out, &text[start..], start_line, invalid);
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

//! YAML documents written in flow style (`{kind: Pod, ...}`): read as YAML, not as JSON,
//! with the same objects, lines, `doc` numbers, error paths and field positions as the
//! same documents written in block style.

use podsec_manifest::locate::{FieldIndex, index_stream};
use podsec_manifest::{DecodeErrorKind, Entry, Location, decode, documents};

/// The decoded entries of `text`, all of them (errors as their display).
fn entries(text: &str) -> Vec<Result<Entry, String>> {
    decode(text)
        .into_iter()
        .map(|r| r.map_err(|e| e.to_string()))
        .collect()
}

/// The field indices of `text`, checked to be aligned with `decode`.
fn indices(text: &str) -> Vec<FieldIndex> {
    let fields = index_stream(text);
    assert_eq!(fields.len(), decode(text).len(), "not aligned with decode");
    fields
}

/// The 1-based line and character column where `needle` first occurs in `text`, at or
/// after line `from`.
fn find(text: &str, from: usize, needle: &str) -> (usize, usize) {
    for (line, l) in (1..).zip(text.lines()).skip(from - 1) {
        if let Some(byte) = l.find(needle) {
            return (line, l[..byte].chars().count() + 1);
        }
    }
    panic!("{needle:?} not found after line {from} of\n{text}");
}

fn exact(text: &str, from: usize, needle: &str) -> Location {
    let (line, column) = find(text, from, needle);
    Location {
        line,
        column,
        exact: true,
    }
}

/// The text at `location` (the rest of its line).
fn at(text: &str, location: Location) -> &str {
    let line = text.lines().nth(location.line - 1).expect("line");
    let byte = line
        .char_indices()
        .nth(location.column - 1)
        .map_or(line.len(), |(i, _)| i);
    &line[byte..]
}

/// The issue's example, a Pod in flow style with unquoted keys and trailing commas.
const ISSUE_POD: &str = r#"{ apiVersion: "v1", kind: "Pod", metadata: { name: "x", }, spec: { containers: [{ name: c, image: i }], }, }"#;

#[test]
fn the_issues_pod_is_an_object() {
    let results = entries(ISSUE_POD);
    let [Ok(Entry::Object(pod))] = results.as_slice() else {
        panic!("{results:?}");
    };
    assert_eq!(
        (
            pod.kind.as_str(),
            pod.api_version.as_str(),
            pod.name.as_str()
        ),
        ("Pod", "v1", "x")
    );
    assert_eq!((pod.doc, pod.line), (0, 1));
    let container = &pod.template.spec.containers[0];
    assert_eq!(
        (container.name.as_str(), container.image.as_str()),
        ("c", "i")
    );
    assert!(!documents(ISSUE_POD)[0].is_json());
}

/// Pairs of (flow style, block style) streams that must decode alike: the documents start
/// on the same lines, so the entries are equal, `line` and `doc` included.
const PAIRS: &[(&str, &str, &str)] = &[
    (
        "unquoted keys and trailing commas",
        "{apiVersion: v1, kind: Pod, metadata: {name: a, namespace: ns,}, spec: {hostPID: true, containers: [{name: c, image: i,},],},}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: ns}\nspec:\n  hostPID: true\n  containers:\n  - name: c\n    image: i\n",
    ),
    (
        "quoted keys, as JSON writes them, with a trailing comma",
        "{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {\"name\": \"web\"},\n \"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"app\", \"securityContext\": {\"privileged\": true}}]}}},\n}\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        securityContext:\n          privileged: true\n",
    ),
    (
        "single-quoted keys and YAML 1.1 scalars",
        "{'kind': 'Pod', spec: {hostNetwork: yes, securityContext: {runAsUser: 017, fsGroup: 80.0}}}\n",
        "kind: Pod\nspec:\n  hostNetwork: yes\n  securityContext:\n    runAsUser: 017\n    fsGroup: 80.0\n",
    ),
    (
        "nested flow sequences and mappings over several lines, with comments",
        "# a comment before the document\n{\n  kind: Pod,   # the kind\n  metadata: {\n    name: multi,\n    labels: {app: web, tier: [front, end]},\n  },\n  # a comment inside the document\n  spec: {\n    volumes: [\n      {name: data, hostPath: {path: /data}},\n      {name: cache, emptyDir: {}},\n    ],\n    containers: [\n      {name: a, capabilities: {add: [NET_RAW]},\n       securityContext: {capabilities: {add: [NET_ADMIN, SYS_TIME,]}}},\n    ],\n  },\n}\n",
        "# a comment before the document\nkind: Pod\nmetadata:\n  name: multi\n  labels:\n    app: web\n    tier: [front, end]\nspec:\n  volumes:\n  - name: data\n    hostPath:\n      path: /data\n  - name: cache\n    emptyDir: {}\n  containers:\n  - name: a\n    capabilities: {add: [NET_RAW]}\n    securityContext:\n      capabilities:\n        add: [NET_ADMIN, SYS_TIME]\n",
    ),
    (
        "comments after `---`, a flow document followed by a block document",
        "--- # the first document\n{kind: Pod,\n metadata: {name: first}}\n--- # the second one\nkind: Pod\nmetadata:\n  name: second\n",
        "--- # the first document\nkind: Pod\nmetadata: {name: first}\n--- # the second one\nkind: Pod\nmetadata:\n  name: second\n",
    ),
    (
        "a List in flow style",
        "{kind: List, items: [\n  {kind: Pod, metadata: {name: p}},\n  {kind: Service, metadata: {name: s}},\n  {kind: List, items: [{kind: Job, metadata: {name: j}, spec: {template: {spec: {hostIPC: true}}}}]},\n]}\n",
        "kind: List\nitems:\n- kind: Pod\n  metadata: {name: p}\n- kind: Service\n  metadata: {name: s}\n- kind: List\n  items:\n  - kind: Job\n    metadata: {name: j}\n    spec: {template: {spec: {hostIPC: true}}}\n",
    ),
    (
        "a flow sequence document, and a Namespace",
        "[a,\n b,]\n---\n{kind: Namespace, metadata: {name: ns, labels: {pod-security.kubernetes.io/enforce: restricted}}}\n",
        "- a\n- b\n---\nkind: Namespace\nmetadata:\n  name: ns\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n",
    ),
    (
        "a field of the wrong type names its path",
        "{kind: List, items: [{kind: Pod, spec: {containers: [{name: c, securityContext: {privileged: \"true\"}}]}}]}\n",
        "kind: List\nitems:\n- kind: Pod\n  spec:\n    containers:\n    - name: c\n      securityContext:\n        privileged: \"true\"\n",
    ),
    (
        "a repeated key: the last one wins (YAML), not merged (JSON)",
        "{kind: Pod, spec: {securityContext: {runAsUser: 0}, securityContext: {runAsNonRoot: true}}}\n",
        "kind: Pod\nspec:\n  securityContext: {runAsUser: 0}\n  securityContext: {runAsNonRoot: true}\n",
    ),
];

#[test]
fn flow_documents_decode_as_their_block_equivalents() {
    for (name, flow, block) in PAIRS {
        let (flow_entries, block_entries) = (entries(flow), entries(block));
        assert!(!flow_entries.is_empty(), "{name}");
        assert_eq!(flow_entries, block_entries, "{name}");
        for doc in documents(flow) {
            assert!(!doc.is_json(), "{name}: {}", doc.text());
        }
    }
}

#[test]
fn the_wrong_type_error_is_the_block_documents() {
    let results = entries(PAIRS[7].1);
    assert_eq!(
        results,
        [Err("document 0 (line 1): items[0].spec.containers[0].securityContext.privileged: invalid type: string \"true\", expected a boolean".to_owned())]
    );
    let yaml = entries(PAIRS[8].1);
    let [Ok(Entry::Object(pod))] = yaml.as_slice() else {
        panic!("{yaml:?}");
    };
    let sc = pod.template.spec.security_context.as_ref().unwrap();
    assert_eq!((sc.run_as_user, sc.run_as_non_root), (None, Some(true)));
}

/// Paths to locate in the documents of [`PAIRS`] (most are absent from most documents).
const PATHS: &[&str] = &[
    "",
    "kind",
    "metadata",
    "metadata.name",
    "metadata.labels.tier[1]",
    "spec",
    "spec.hostPID",
    "spec.hostNetwork",
    "spec.securityContext.runAsUser",
    "spec.securityContext.runAsNonRoot",
    "spec.volumes[0].hostPath.path",
    "spec.volumes[1].emptyDir",
    "spec.containers[0]",
    "spec.containers[0].image",
    "spec.containers[0].securityContext.capabilities.add[1]",
    "spec.containers[0].securityContext.privileged",
    "spec.template.spec.containers[0].securityContext.privileged",
    "spec.template.spec.hostIPC",
    "spec.containers[3].name",
];

/// The key or item a path ends with, as written at its position in a flow document.
fn written_as(path: &str) -> Option<String> {
    let last = path.rsplit('.').next()?;
    if last.ends_with(']') {
        return None;
    }
    Some(last.to_owned())
}

#[test]
fn flow_documents_locate_their_fields_like_block_documents() {
    let mut found = 0;
    for (name, flow, block) in PAIRS {
        let (flow_fields, block_fields) = (indices(flow), indices(block));
        assert_eq!(flow_fields.len(), block_fields.len(), "{name}");
        for (f, b) in flow_fields.iter().zip(&block_fields) {
            for path in PATHS {
                let (fl, bl) = (f.locate(path), b.locate(path));
                assert_eq!(fl.exact, bl.exact, "{name}: {path}");
                if !fl.exact {
                    continue;
                }
                found += 1;
                // Found: the flow document's position is where the field is written.
                let written = at(flow, fl);
                match written_as(path) {
                    Some(key) => assert!(
                        written.starts_with(&key)
                            || written.starts_with(&format!("\"{key}\""))
                            || written.starts_with(&format!("'{key}'")),
                        "{name}: {path} at {fl:?}: {written:?}"
                    ),
                    // An item or the object: where the item's value starts.
                    None => assert!(
                        !written.starts_with([' ', ',', ':']),
                        "{name}: {path} at {fl:?}: {written:?}"
                    ),
                }
            }
        }
    }
    assert!(found > 40, "only {found} fields found");
}

#[test]
fn a_violation_in_a_flow_document_is_located_at_its_line() {
    let text = "\
---
# privileged pod, in flow style
{
  apiVersion: v1,
  kind: Pod,
  metadata: {name: priv},
  spec: {
    containers: [
      {name: app, image: nginx},
      {
        name: sidecar,
        image: busybox,
        securityContext: {privileged: true},
      },
    ],
  },
}
";
    let results = entries(text);
    let [Ok(Entry::Object(pod))] = results.as_slice() else {
        panic!("{results:?}");
    };
    assert_eq!(pod.line, 3);
    assert_eq!(
        pod.template.spec.containers[1]
            .security_context
            .as_ref()
            .and_then(|sc| sc.privileged),
        Some(true)
    );
    let fields = indices(text);
    let pod = &fields[0];
    assert_eq!(pod.locate(""), exact(text, 3, "{"));
    assert_eq!(
        pod.locate("spec.containers[1].securityContext.privileged"),
        exact(text, 13, "privileged")
    );
    assert_eq!(pod.locate("spec.containers[1]"), exact(text, 10, "{"));
    assert_eq!(
        pod.locate("spec.containers[0].image"),
        exact(text, 9, "image")
    );
    // Not set: the deepest present ancestor.
    assert_eq!(
        pod.locate("spec.containers[0].securityContext.runAsNonRoot"),
        Location {
            exact: false,
            ..exact(text, 9, "{")
        }
    );
}

#[test]
fn one_line_flow_documents_take_the_same_positions_as_multi_line_ones() {
    // The one-line document is read by the fast path, the multi-line one by granit-parser.
    let one = "{kind: Pod, spec: {containers: [{name: a, securityContext: {privileged: true}}]}}\n";
    let multi =
        "{kind: Pod,\n spec: {containers: [{name: a, securityContext: {privileged: true}}]}}\n";
    let path = "spec.containers[0].securityContext.privileged";
    assert_eq!(indices(one)[0].locate(path), exact(one, 1, "privileged"));
    assert_eq!(
        indices(multi)[0].locate(path),
        exact(multi, 2, "privileged")
    );
}

#[test]
fn real_json_keeps_json_rules() {
    // Concatenated values, and a repeated key whose objects are merged.
    let text = "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}}\n{\"kind\": \"Pod\", \"spec\": {\"securityContext\": {\"runAsUser\": 0}, \"securityContext\": {\"runAsNonRoot\": true}}}\n";
    assert!(documents(text)[0].is_json());
    let results = entries(text);
    let [Ok(Entry::Object(a)), Ok(Entry::Object(b))] = results.as_slice() else {
        panic!("{results:?}");
    };
    assert_eq!((a.name.as_str(), a.line, b.line, b.doc), ("a", 1, 2, 1));
    let sc = b.template.spec.security_context.as_ref().unwrap();
    assert_eq!((sc.run_as_user, sc.run_as_non_root), (Some(0), Some(true)));
    // A JSON integral float stays a float (an error for an integer field).
    let results = entries(r#"{"kind": "Pod", "spec": {"securityContext": {"runAsUser": 80.0}}}"#);
    assert!(
        matches!(&results[..], [Err(e)] if e.ends_with("invalid type: floating point `80.0`, expected i64")),
        "{results:?}"
    );
}

/// The kind of the single error of `text`, and its line.
fn one_error(text: &str) -> (DecodeErrorKind, usize) {
    let results = decode(text);
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(indices(text).len(), 1);
    let Some(Err(err)) = results.into_iter().next() else {
        panic!("not an error: {text}");
    };
    (err.kind, err.line)
}

#[test]
fn broken_json_gets_a_json_error_and_broken_flow_yaml_a_yaml_error() {
    let json = |text: &str, line: usize, message: &str| {
        let (kind, at) = one_error(text);
        assert!(
            matches!(&kind, DecodeErrorKind::Json { message: m, .. } if m == message),
            "{text}: {kind:?}"
        );
        assert_eq!(at, line, "{text}");
    };
    // A missing comma, a truncated document, an invalid escape, a bracket closing the wrong
    // collection: JSON read at least as far as YAML.
    json(
        "{\"kind\": \"Pod\"\n \"spec\": {}}",
        2,
        "expected `,` or `}`",
    );
    json(
        "{\"kind\": \"Pod\", \"spec\": {\"containers\": [",
        1,
        "EOF while parsing a list",
    );
    json("{\"kind\": \"P\\qd\"}", 1, "invalid escape");
    json(
        "{\"kind\": \"Pod\",\n \"spec\": [1, 2\n}",
        3,
        "expected `,` or `]`",
    );

    let yaml = |text: &str, line: usize, message: &str| {
        let (kind, at) = one_error(text);
        assert!(
            matches!(&kind, DecodeErrorKind::Yaml { message: m, .. } if m.contains(message)),
            "{text}: {kind:?}"
        );
        assert_eq!(at, line, "{text}");
    };
    // Unquoted keys or a comment first: JSON stops at once, YAML reads on.
    yaml(
        "{kind: Pod,\n spec: {containers: [{name: c image: i}]}}",
        2,
        "did not find expected ',' or '}'",
    );
    yaml(
        "{kind: Pod, spec: {containers: [}}",
        1,
        "mismatched bracket",
    );
    yaml(
        "{kind: Pod,\n spec: {hostPID: true}\n",
        1,
        "unclosed bracket",
    );
    yaml(
        "{\"kind\": \"Pod\", # a comment\n \"spec\": {\"containers\": [1, 2}}",
        2,
        "mismatched bracket",
    );

    // A second value that is not JSON: the JSON error, after the first value.
    let text = "{\"kind\": \"Pod\"}\n{kind: Pod}\n";
    let results = decode(text);
    assert!(matches!(results[0], Ok(Entry::Object(_))), "{results:?}");
    assert!(
        matches!(&results[1], Err(e) if e.line == 2 && matches!(e.kind, DecodeErrorKind::Json { .. })),
        "{results:?}"
    );
    assert_eq!(indices(text).len(), 2);
    assert!(documents(text)[0].is_json());
}

#[test]
fn errors_count_as_one_object_and_later_documents_number_on() {
    let text = "{kind: Pod, metadata: {name: a}}\n---\n{kind: Pod, spec: [\n---\n{kind: Pod, metadata: {name: c,},}\n";
    let results = decode(text);
    let summary: Vec<_> = results
        .iter()
        .map(|r| match r {
            Ok(e) => (e.doc(), e.line(), true),
            Err(e) => (e.doc, e.line, false),
        })
        .collect();
    assert_eq!(summary, [(0, 1, true), (1, 3, false), (2, 5, true)]);
    assert_eq!(indices(text).len(), 3);
}

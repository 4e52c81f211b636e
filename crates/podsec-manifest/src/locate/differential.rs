//! The fast YAML position path against the `granit-parser` path: wherever the fast path
//! reads a document, both give the same objects and the same [`Location`](super::Location)
//! for every key and item path of each object, for missing children of them, and for
//! malformed paths. Both are also checked against the reference (positions from
//! granit-parser, objects from the document's value, as `index` read every YAML document
//! before the fast path), and all against `decode`'s count of objects.

use std::borrow::Cow;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;

use super::{
    Builder, FieldIndex, NodeKind, Pos, Segment, Source, Tree, fast, index_yaml_full,
    index_yaml_objects,
};
use crate::split::documents;

/// Paths enumerated per object at most (the corpus's objects have far fewer).
const PATH_LIMIT: usize = 5_000;

/// [`index`](super::index) of a YAML document as it was before the fast path and the
/// one-object shortcut: positions from granit-parser, objects from the document's value.
fn index_yaml_from_value(document: &crate::Document<'_>, fallback: Pos) -> Vec<FieldIndex> {
    let mut builder = Builder::new(document.text(), document.line());
    let parsed = builder.yaml();
    let root = builder.roots.first().copied().filter(|_| parsed);
    let tree = Arc::new(builder.finish(false));
    index_yaml_objects(document, fallback, &tree, root)
}

/// The path syntax `locate` reads, for `segments`: plain names when they can be written
/// plain, quoted brackets otherwise (and, for variety, when `quote_all`).
fn render(segments: &[Segment<'_>], quote_all: bool) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Index(i) => out += &format!("[{i}]"),
            Segment::Key(key)
                if !quote_all && !key.is_empty() && !key.contains(['.', '[', '"']) =>
            {
                if !out.is_empty() {
                    out.push('.');
                }
                out += key;
            }
            Segment::Key(key) => {
                out += &format!("[{}]", serde_json::to_string(key).expect("json string"));
            }
        }
    }
    out
}

/// Every key and item path of the granit tree under `id` (the fast path only reads
/// documents without aliases, so this is a tree).
fn full_paths(tree: &Tree, id: usize, out: &mut Vec<Vec<Segment<'static>>>) {
    fn walk(
        tree: &Tree,
        id: usize,
        prefix: &mut Vec<Segment<'static>>,
        out: &mut Vec<Vec<Segment<'static>>>,
    ) {
        if prefix.len() > 64 {
            return;
        }
        let children: Vec<(Segment<'static>, usize)> = match tree.node(id).map(|n| &n.kind) {
            Some(NodeKind::Map(pairs)) => pairs
                .iter()
                .filter_map(|p| {
                    Some((
                        Segment::Key(Cow::Owned(p.key.as_deref()?.to_owned())),
                        p.value,
                    ))
                })
                .collect(),
            Some(NodeKind::Seq(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (Segment::Index(i), item.value))
                .collect(),
            _ => Vec::new(),
        };
        for (segment, child) in children {
            if out.len() >= PATH_LIMIT {
                return;
            }
            prefix.push(segment);
            out.push(prefix.clone());
            walk(tree, child, prefix, out);
            prefix.pop();
        }
    }
    walk(tree, id, &mut Vec::new(), out);
}

/// The paths to compare for an object: its own, every key and item path either index
/// knows, and missing children and malformed continuations of each.
fn paths(indices: &[&FieldIndex]) -> Vec<String> {
    let mut segments = vec![Vec::new()];
    for index in indices {
        match &index.source {
            Source::Fast { tree, node } => segments.extend(tree.paths(*node, PATH_LIMIT)),
            Source::Full { tree, roots } => {
                if let Some(&root) = roots.first() {
                    full_paths(tree, root, &mut segments);
                }
            }
            Source::Unknown => {}
        }
    }
    // Each path once (both trees usually know the same ones).
    segments.sort_by_cached_key(|path| render(path, true));
    segments.dedup();
    let mut out = Vec::new();
    for (n, path) in segments.iter().enumerate() {
        let quote_all = n % 3 == 1;
        let text = render(path, quote_all);
        // A missing child of each path (one kind per path, in turn).
        let mut missing = path.clone();
        match n % 3 {
            0 => missing.push(Segment::Key(Cow::Borrowed("zz.missing/key"))),
            1 => missing.push(Segment::Index(1_000_000)),
            _ => missing.extend([Segment::Key(Cow::Borrowed("name")), Segment::Index(0)]),
        }
        out.push(render(&missing, quote_all));
        if n % 7 == 3 {
            out.push(format!("{text}.."));
            out.push(format!("{text}[x]"));
            out.push(format!("{text}[\"unterminated"));
        }
        out.push(text);
    }
    out
}

/// What the comparisons covered.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    /// YAML documents seen.
    documents: usize,
    /// Documents the fast path read (and that were compared).
    fast: usize,
    /// Paths compared.
    paths: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.documents += other.documents;
        self.fast += other.fast;
        self.paths += other.paths;
    }
}

/// Compares both paths on every YAML document of `text`; `Err` describes a difference.
fn compare(name: &str, text: &str) -> Result<Counts, String> {
    let mut counts = Counts::default();
    for doc in documents(text) {
        if doc.is_json() || doc.invalid_separator().is_some() {
            continue;
        }
        counts.documents += 1;
        let fallback = Pos {
            line: doc.line(),
            column: 1,
        };
        let context = || format!("{name} (document at line {}):\n{}", doc.line(), doc.text());
        let decoded = doc.decode().len();
        // `index`: the fast path, else granit-parser (objects counted without the value
        // when the document is certainly one object).
        let public = super::index(&doc);
        let full = index_yaml_full(&doc, fallback);
        // The reference: granit-parser, objects read from the value.
        let reference = index_yaml_from_value(&doc, fallback);
        let fast = fast::index(doc.text(), doc.line());
        if public.len() != decoded || full.len() != decoded || reference.len() != decoded {
            return Err(format!(
                "{} indices ({} granit, {} reference), {decoded} decoded objects in {}",
                public.len(),
                full.len(),
                reference.len(),
                context()
            ));
        }
        let mut versions = vec![("granit", full)];
        if let Some(fast) = fast {
            counts.fast += 1;
            versions.push(("fast", fast));
        }
        // Where the value cannot be read, the reference knows no positions (and the others
        // may: the document is an error for `decode`, never located).
        if crate::decode::full_yaml(doc.text()).is_err() {
            continue;
        }
        for (i, expected) in reference.iter().enumerate() {
            let mut all = vec![expected];
            all.extend(versions.iter().filter_map(|(_, v)| v.get(i)));
            let paths = paths(&all);
            for (what, version) in &versions {
                let Some(actual) = version.get(i) else {
                    continue;
                };
                for path in &paths {
                    counts.paths += 1;
                    let (a, b) = (actual.locate(path), expected.locate(path));
                    if a != b {
                        return Err(format!(
                            "object {i}, path {path:?}: {what} {a:?}, reference {b:?} in {}",
                            context()
                        ));
                    }
                    if *what == "fast" && public.get(i).map(|p| p.locate(path)) != Some(a) {
                        return Err(format!("`index` differs on {path:?} in {}", context()));
                    }
                }
            }
        }
    }
    Ok(counts)
}

fn manifest_files(dir: &FsPath, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            manifest_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(path);
        }
    }
}

#[test]
fn fast_and_granit_positions_agree_on_the_corpus_and_the_examples() {
    let root = FsPath::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut fixtures = Vec::new();
    if let Some(corpus) = podsec_conformance::corpus() {
        manifest_files(&corpus.join("testdata"), &mut fixtures);
        assert!(fixtures.len() > 100, "{} fixtures", fixtures.len());
    }
    let mut others = Vec::new();
    for dir in ["examples", "deploy"] {
        manifest_files(&root.join(dir), &mut others);
    }
    assert!(!others.is_empty(), "no examples");

    let mut totals = Counts::default();
    for (files, what) in [(&fixtures, "fixtures"), (&others, "examples")] {
        let mut counts = Counts::default();
        for file in files {
            // Other tests may write and delete files meanwhile.
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            match compare(&file.display().to_string(), &text) {
                Ok(c) => counts += c,
                Err(difference) => panic!("{difference}"),
            }
        }
        // The fixtures are plain Kubernetes YAML: the fast path must read nearly all of them
        // (the examples include Helm templates, which are not YAML).
        let share = if what == "fixtures" { 95 } else { 50 };
        assert!(
            counts.fast * 100 >= counts.documents * share,
            "{what}: fast path read only {} of {} documents",
            counts.fast,
            counts.documents
        );
        totals += counts;
    }
    let expected = if fixtures.is_empty() { 100 } else { 100_000 };
    assert!(totals.paths > expected, "{totals:?}");
}

/// Documents written to exercise the layouts the fast path reads.
const LAYOUTS: &[&str] = &[
    "- a\n- b\n",
    "-\n  - x\n- - w\n  - z\n",
    "42\n",
    "\"quoted\"\n",
    "kind: Pod\nspec: {containers: [{name: a}, {name: é, image: 😀}]}\n",
    "- [a, {b: c}, [d]]\n- \"é\": [é, x]\n",
    "~\n",
    "null\n",
    "kind: List\nitems:\n- kind: Pod\n  spec: {}\n- null\n- kind: PodList\n  items: [{kind: Pod}, {kind: Pod, spec: {x: 1}}]\n- 3\n",
    "kind: \"List\"\napiVersion: 'v1'\nitems:\n  - kind: Pod\n",
    "kind: List\nitems: 3\n",
    "kind: List\nitems:\n",
    "kind: PodList\n",
    "kind: [x]\nitems: [a]\n",
    "kind: List\napiVersion: 1\nitems: [a]\n",
    "kind: 'a''List'\nitems:\n- {kind: Pod}\n",
    "kind: List\nkind: Pod\nitems: [a, b]\n",
    "kind: Pod\nkind: List\nitems: [{a: 1}, {b: 2}]\n",
    "a:\n  b:\n    c: 1\n  d:\n  - e\n  -   f: 1\n      g: 2\n  -\n    # comment\n    h: 3\n",
    "\"a.b/c\": 1\n'd e': {f: [1, 2]}\n\"é\\u00e9\": x\nplain: é # c\n",
    "k: {a: é, b: [é, x], c: }\nl: [ a , b ]\nm: { }\n",
    "spec:\n    containers:\n        - name: a\n          ports:\n          - containerPort: 1\n",
    "a: 1\na: {b: 2}\na:\n  c: 3\n",
    "kind: List\nitems: [{kind: 'PodList', items: [{a: 1}, 2]}, {kind: \"Pod\"}, x]\n",
    "a: b\n\n   \n# c\nd:   # c\n  e:  f   \n  g   : h\nlast: no newline",
];

/// Realistic manifests, the bases of mutated documents (with the generated ones).
const MANIFESTS: &[&str] = &[
    "\
# A leading comment.
apiVersion: apps/v1   # trailing
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: \"front end\"}
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: runtime/default
    \"quoted/key\": 'v'
spec:
  replicas: 3
  template:
    metadata:
      labels:
        app: web
    spec:
      hostNetwork: true
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: app
        image: nginx:1.2
        args: [--listen=:8080, -v, \"é😀\"]
        ports:
          - containerPort: 8080
            protocol: TCP
        securityContext:
          allowPrivilegeEscalation: false
          capabilities:
            drop: [\"ALL\"]
            add:
            - NET_BIND_SERVICE
      - name: sidecar
        image: envoy
      volumes:
        # a comment between items
        - name: data
          hostPath: {path: /, type: Directory}

        -
          # the item's value starts below
          name: cache
          emptyDir: {}
",
    "\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a}
  spec:
    containers: [{name: a, image: i}]
- apiVersion: batch/v1
  kind: CronJob
  spec:
    jobTemplate:
      spec:
        template:
          spec:
            containers:
              - name: c
                image: busybox
                securityContext: {privileged: true}
",
];

#[test]
fn fast_and_granit_positions_agree_on_written_layouts() {
    for (i, text) in LAYOUTS.iter().chain(MANIFESTS).enumerate() {
        let counts = compare(&format!("layout {i}"), text).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(counts.fast, 1, "layout {i} takes the fast path:\n{text}");
    }
}

/// Documents the fast path leaves to granit-parser.
const FALLBACK_LAYOUTS: &[&str] = &[
    "kind: Pod\nspec:\n  containers:\n  - name: a\n    args:\n    - |\n      echo\n",
    "kind: &k List\nitems:\n- {kind: Pod}\n- {kind: Pod}\n",
    "&k PodList: 1\nkind: *k\nitems: [{kind: Pod}, {kind: Pod}]\n",
    "base: &b {kind: List, items: [{kind: Pod}, 2]}\n<<: *b\n",
    "? kind\n: List\nitems: [{kind: Pod}, {kind: Pod}, 3]\n",
    "kind: !!str List\nitems: [&p {kind: Pod}, *p]\n",
    "kind: |\n  List\nitems: [a, b]\n",
    "- &a x\n- *a\n",
    "!!null\n",
    "&a ~\n",
    "kind: Pod\nspec: &s {x: 1}\nother: *s\na:\n  b: [\n  1]\n",
    "kind: Pod\r\nspec:\r\n  containers:\r\n  - name: a\r\n",
    "kind: List\nitems:\n- kind: Pod\n  spec:\n    containers: [{name: a,\n      image: b}]\n",
];

#[test]
fn granit_positions_agree_with_the_reference_on_other_layouts() {
    for (i, text) in FALLBACK_LAYOUTS.iter().enumerate() {
        let counts = compare(&format!("layout {i}"), text).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(
            counts.fast, 0,
            "layout {i} is not read by the fast path:\n{text}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Generated manifests.

fn scalar() -> impl Strategy<Value = String> {
    let common = prop_oneof![
        Just("web".to_owned()),
        Just("500m".to_owned()),
        Just("0".to_owned()),
        Just("8080".to_owned()),
        Just("-1".to_owned()),
        Just("true".to_owned()),
        Just("null".to_owned()),
        Just("~".to_owned()),
        Just("List".to_owned()),
        Just("Pod".to_owned()),
        Just("\"List\"".to_owned()),
        Just("--flag=:80".to_owned()),
        Just("\"quoted: #x\"".to_owned()),
        Just("'it''s'".to_owned()),
        Just("\"\\u00e9\\n\"".to_owned()),
        Just("a b c".to_owned()),
        Just("registry.example.com/app:1.2.3".to_owned()),
        Just("x # comment".to_owned()),
        Just("é😀 日本".to_owned()),
        Just("[a, 'b', {c: d}]".to_owned()),
        Just("[é, {u: ü}, \"😀\"]".to_owned()),
        Just("{}".to_owned()),
        Just("[]".to_owned()),
        Just("{k: v, n: 1, e: }".to_owned()),
        "[a-z][a-z0-9._/-]{2,12}",
    ];
    // Spellings the fast path leaves to the full parser.
    let uncertain = prop_oneof![Just("yes".to_owned()), Just("1.5".to_owned())];
    prop_oneof![80 => common, 1 => uncertain]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        10 => Just("kind".to_owned()),
        10 => Just("items".to_owned()),
        10 => Just("spec".to_owned()),
        10 => Just("name".to_owned()),
        5 => Just("apiVersion".to_owned()),
        5 => Just("\"quoted key\"".to_owned()),
        5 => Just("'kind'".to_owned()),
        5 => Just("\"é/😀\"".to_owned()),
        5 => Just("app.kubernetes.io/name".to_owned()),
        20 => "[a-zA-Z][a-zA-Z0-9]{2,6}",
    ]
}

#[derive(Debug, Clone)]
enum Node {
    Scalar(String),
    Map(Vec<(String, Node)>),
    Seq(Vec<Node>),
}

fn node() -> impl Strategy<Value = Node> {
    scalar()
        .prop_map(Node::Scalar)
        .prop_recursive(5, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec((key(), inner.clone()), 0..5).prop_map(Node::Map),
                prop::collection::vec(inner, 0..4).prop_map(Node::Seq),
            ]
        })
}

/// Layout choices, consumed as the document is written.
struct Style<'s> {
    choices: &'s [u8],
    next: usize,
}

impl Style<'_> {
    fn pick(&mut self, n: u8) -> u8 {
        let c = self.choices.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        c % n.max(1)
    }
}

/// A flow rendering of `node`, or `None` if it holds something only block style can hold.
fn flow(node: &Node) -> Option<String> {
    Some(match node {
        Node::Scalar(s) if s.contains(" #") || s.starts_with('[') || s.starts_with('{') => {
            return None;
        }
        Node::Scalar(s) if s.contains(' ') && !s.starts_with(['"', '\'']) => return None,
        Node::Scalar(s) => s.clone(),
        Node::Map(entries) => {
            let parts: Option<Vec<String>> = entries
                .iter()
                .map(|(k, v)| Some(format!("{k}: {}", flow(v)?)))
                .collect();
            format!("{{{}}}", parts?.join(", "))
        }
        Node::Seq(items) => {
            let parts: Option<Vec<String>> = items.iter().map(flow).collect();
            format!("[{}]", parts?.join(", "))
        }
    })
}

/// Writes the entries of a block mapping at `indent`.
fn write_map(
    entries: &[(String, Node)],
    indent: usize,
    style: &mut Style<'_>,
    out: &mut Vec<String>,
) {
    let pad = " ".repeat(indent);
    for (k, v) in entries {
        if style.pick(8) == 0 {
            out.push(format!("{}# comment", " ".repeat(style.pick(6) as usize)));
        }
        match v {
            Node::Scalar(s) => out.push(format!("{pad}{k}: {s}")),
            Node::Map(e) if e.is_empty() => out.push(format!("{pad}{k}: {{}}")),
            Node::Seq(i) if i.is_empty() => out.push(format!("{pad}{k}: []")),
            _ if style.pick(5) == 0 && flow(v).is_some() => {
                out.push(format!("{pad}{k}: {}", flow(v).unwrap_or_default()));
            }
            Node::Map(e) => {
                let trailing = if style.pick(4) == 0 {
                    "   # trailing"
                } else {
                    ""
                };
                out.push(format!("{pad}{k}:{trailing}"));
                write_map(e, indent + 1 + style.pick(4) as usize, style, out);
            }
            Node::Seq(items) => {
                out.push(format!("{pad}{k}:"));
                // Indentless (`key:\n- item`) or indented.
                let at = indent + [0, 2, 4][style.pick(3) as usize];
                write_seq(items, at, style, out);
            }
        }
    }
}

/// Writes the items of a block sequence whose `-` are at `indent`.
fn write_seq(items: &[Node], indent: usize, style: &mut Style<'_>, out: &mut Vec<String>) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            Node::Scalar(s) => out.push(format!("{pad}- {s}")),
            Node::Map(e) if !e.is_empty() && style.pick(3) != 0 => {
                // Compact: `- key: value`, the other keys at the first key's column.
                let gap = 1 + style.pick(3) as usize;
                let mut lines = Vec::new();
                write_map(e, indent + 1 + gap, style, &mut lines);
                if let Some(first) = lines.iter_mut().find(|l| !l.trim_start().starts_with('#')) {
                    first.replace_range(indent..indent + 1 + gap, &format!("-{}", " ".repeat(gap)));
                }
                out.extend(lines);
            }
            Node::Seq(i) if !i.is_empty() && style.pick(2) == 0 => {
                // Compact: `- - item`.
                let mut lines = Vec::new();
                write_seq(i, indent + 2, style, &mut lines);
                if let Some(first) = lines.iter_mut().find(|l| !l.trim_start().starts_with('#')) {
                    first.replace_range(indent..indent + 2, "- ");
                }
                out.extend(lines);
            }
            Node::Map(e) if e.is_empty() => out.push(format!("{pad}- {{}}")),
            Node::Seq(i) if i.is_empty() => out.push(format!("{pad}- []")),
            Node::Map(e) => {
                out.push(format!("{pad}-"));
                if style.pick(3) == 0 {
                    out.push(String::new());
                }
                write_map(e, indent + 1 + style.pick(3) as usize, style, out);
            }
            Node::Seq(i) => {
                out.push(format!("{pad}-"));
                write_seq(i, indent + 1 + style.pick(3) as usize, style, out);
            }
        }
    }
}

fn write_document(root: &[(String, Node)], choices: &[u8]) -> String {
    let mut style = Style { choices, next: 0 };
    let mut lines = Vec::new();
    write_map(root, style.pick(3) as usize, &mut style, &mut lines);
    lines.join("\n") + "\n"
}

/// A generated manifest: a `List` of objects or one object, with a leading document.
fn manifest() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((key(), node()), 1..6),
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 64),
    )
        .prop_map(|(mut root, list, choices)| {
            if list {
                let items: Vec<Node> = root
                    .chunks(2)
                    .map(|c| {
                        let mut entries = vec![("kind".to_owned(), Node::Scalar("Pod".to_owned()))];
                        entries.extend(c.iter().cloned());
                        Node::Map(entries)
                    })
                    .collect();
                root = vec![
                    ("kind".to_owned(), Node::Scalar("List".to_owned())),
                    ("items".to_owned(), Node::Seq(items)),
                ];
            }
            format!(
                "# leading comment\n---\n{}",
                write_document(&root, &choices)
            )
        })
}

/// Guards the properties below against a fast path that declines everything.
#[test]
fn fast_path_reads_most_generated_manifests() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = manifest();
    let mut totals = Counts::default();
    for _ in 0..300 {
        let text = strategy.new_tree(&mut runner).expect("tree").current();
        totals += compare("generated", &text).unwrap_or_else(|d| panic!("{d}"));
    }
    assert!(totals.fast * 2 >= totals.documents, "{totals:?}");
}

/// Inserted into manifests: structure the fast path must keep reading right or decline.
fn fragment() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("- "),
        Just("-"),
        Just("  "),
        Just(" "),
        Just("\n"),
        Just("\n  "),
        Just("\n- "),
        Just("# c\n"),
        Just(" # c"),
        Just(": "),
        Just(":"),
        Just("x: "),
        Just("x:\n"),
        Just("'"),
        Just("\""),
        Just("{"),
        Just("}"),
        Just("["),
        Just("]"),
        Just(", "),
        Just("é"),
        Just("\t"),
        Just("&a "),
        Just("*a"),
        Just("---\n"),
        Just("kind: List\nitems:\n"),
        Just("<<: *a\n"),
        Just("? "),
        Just("!!str "),
        Just("|\n"),
        Just("List"),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn fast_and_granit_positions_agree_on_generated_manifests(text in manifest()) {
        if let Err(difference) = compare("generated", &text) {
            return Err(TestCaseError::fail(difference));
        }
    }

    #[test]
    fn fast_and_granit_positions_agree_on_mutated_manifests(
        text in prop_oneof![manifest(), prop::sample::select(MANIFESTS).prop_map(str::to_owned)],
        edits in prop::collection::vec((any::<prop::sample::Index>(), fragment(), 0..3usize), 1..4),
    ) {
        let mut text = text;
        for (at, fragment, action) in edits {
            let cut = at.index(text.len() + 1);
            let cut = (0..=cut).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            match action {
                // Insert a fragment.
                0 => text.insert_str(cut, fragment),
                // Delete up to the end of the line.
                1 => {
                    let end = text[cut..].find('\n').map_or(text.len(), |n| cut + n);
                    text.replace_range(cut..end, "");
                }
                // Delete one character.
                _ => {
                    if let Some(c) = text[cut..].chars().next() {
                        text.replace_range(cut..cut + c.len_utf8(), "");
                    }
                }
            }
        }
        if let Err(difference) = compare("mutated", &text) {
            return Err(TestCaseError::fail(difference));
        }
    }
}

//! `locate`: line and column of field paths, aligned with `decode`'s objects.

use std::path::{Path, PathBuf};

use podsec_manifest::locate::{FieldIndex, index, index_stream};
use podsec_manifest::{Entry, Location, decode, documents};
use podsec_policy::text::go_quote;
use proptest::prelude::*;

/// The 1-based character column of `needle` in the 1-based `line` of `text` (the expected
/// positions are written as "where this text is", not as counted numbers).
fn col(text: &str, line: usize, needle: &str) -> usize {
    let l = text.lines().nth(line - 1).expect("line");
    let byte = l
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {l:?}"));
    l[..byte].chars().count() + 1
}

fn exact(text: &str, line: usize, needle: &str) -> Location {
    Location {
        line,
        column: col(text, line, needle),
        exact: true,
    }
}

fn ancestor(text: &str, line: usize, needle: &str) -> Location {
    Location {
        exact: false,
        ..exact(text, line, needle)
    }
}

/// The field indices of a stream, checked to be aligned with `decode`.
fn indices(text: &str) -> Vec<FieldIndex> {
    let fields = index_stream(text);
    assert_eq!(fields.len(), decode(text).len(), "not aligned with decode");
    fields
}

const DEPLOYMENT: &str = "\
# A leading comment.
# Another one.
---
# A comment inside the document.
apiVersion: apps/v1   # line 5
kind: Deployment
metadata:
  name: web
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: runtime/default
spec:
  template:
    spec:
      hostNetwork: true
      containers:
      - name: app
        image: nginx
        securityContext:
          capabilities:
            drop: [NET_RAW, \"ALL\"]
      volumes:
        # a comment between items
        - name: data
          hostPath: {path: /}

        -
          # the item's value starts below
          name: cache
          emptyDir: {}
---
apiVersion: v1
kind: Pod
metadata: {name: p, annotations: {\"a.b/c\": x, 'd/e.f': y}}
spec:
  containers:
    - name: c
      image: i
";

#[test]
fn yaml_deployment_with_leading_comments_and_a_second_document() {
    let t = DEPLOYMENT;
    let fields = indices(t);
    assert_eq!(fields.len(), 2);
    let d = &fields[0];
    assert_eq!(d.locate(""), exact(t, 5, "apiVersion"));
    assert_eq!(d.locate("spec"), exact(t, 11, "spec"));
    assert_eq!(d.locate("spec.template.spec"), exact(t, 13, "spec"));
    assert_eq!(
        d.locate("spec.template.spec.hostNetwork"),
        exact(t, 14, "hostNetwork")
    );
    let c = "spec.template.spec.containers[0]";
    assert_eq!(d.locate(c), exact(t, 16, "-"));
    assert_eq!(d.locate(&format!("{c}.image")), exact(t, 17, "image"));
    assert_eq!(
        d.locate(&format!("{c}.securityContext.capabilities.drop")),
        exact(t, 20, "drop")
    );
    assert_eq!(
        d.locate(&format!("{c}.securityContext.capabilities.drop[1]")),
        exact(t, 20, "\"ALL\"")
    );
    assert_eq!(
        d.locate("spec.template.spec.volumes[0].hostPath"),
        exact(t, 24, "hostPath")
    );
    assert_eq!(d.locate("spec.template.spec.volumes[0]"), exact(t, 23, "-"));
    // An item whose value starts on a later line (after a comment): still its `-`.
    assert_eq!(d.locate("spec.template.spec.volumes[1]"), exact(t, 26, "-"));
    assert_eq!(
        d.locate("spec.template.spec.volumes[1].emptyDir"),
        exact(t, 29, "emptyDir")
    );
    assert_eq!(
        d.locate(r#"metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]"#),
        exact(t, 10, "container.apparmor")
    );

    let p = &fields[1];
    assert_eq!(p.locate(""), exact(t, 31, "apiVersion"));
    assert_eq!(p.locate("spec.containers[0]"), exact(t, 36, "-"));
    assert_eq!(p.locate("spec.containers[0].image"), exact(t, 37, "image"));
    assert_eq!(
        p.locate(r#"metadata.annotations["a.b/c"]"#),
        exact(t, 33, "\"a.b/c\"")
    );
    assert_eq!(
        p.locate(r#"metadata.annotations["d/e.f"]"#),
        exact(t, 33, "'d/e.f'")
    );
}

#[test]
fn missing_fields_fall_back_to_the_deepest_present_ancestor() {
    let t = DEPLOYMENT;
    let fields = indices(t);
    let d = &fields[0];
    let c = "spec.template.spec.containers[0]";
    assert_eq!(
        d.locate(&format!("{c}.securityContext.runAsNonRoot")),
        ancestor(t, 18, "securityContext")
    );
    assert_eq!(
        d.locate(&format!("{c}.securityContext.capabilities.add")),
        ancestor(t, 19, "capabilities")
    );
    assert_eq!(
        d.locate(&format!("{c}.securityContext.capabilities.drop[2]")),
        ancestor(t, 20, "drop")
    );
    // Walking into a scalar stops at it.
    assert_eq!(d.locate(&format!("{c}.image.x")), ancestor(t, 17, "image"));
    assert_eq!(
        d.locate("spec.template.spec.containers[1].securityContext"),
        ancestor(t, 15, "containers")
    );
    assert_eq!(
        d.locate("spec.template.spec.securityContext.runAsNonRoot"),
        ancestor(t, 13, "spec")
    );
    assert_eq!(d.locate("spec.hostNetwork"), ancestor(t, 11, "spec"));
    assert_eq!(
        d.locate(r#"metadata.annotations["container.apparmor.security.beta.kubernetes.io/other"]"#),
        ancestor(t, 9, "annotations")
    );
    assert_eq!(d.locate("status"), ancestor(t, 5, "apiVersion"));
    // Malformed paths: as far as they can be read, never exact.
    assert_eq!(d.locate("spec..template"), ancestor(t, 11, "spec"));
    assert_eq!(d.locate("spec.template["), ancestor(t, 12, "template"));
    assert_eq!(
        d.locate(r#"metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"#),
        ancestor(t, 9, "annotations")
    );
}

#[test]
fn list_items_and_nested_lists_align_with_decode() {
    let t = "\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a}
  spec:
    containers: [{name: a}]
- null
- apiVersion: v1
  kind: PodList
  items:
    - kind: Pod
      metadata: {name: b}
      spec: {containers: [{name: b}]}
    - kind: Deployment
      metadata: {name: c}
      spec:
        template:
          spec:
            containers:
            - name: c
- apiVersion: v1
  kind: ConfigMap
";
    let fields = indices(t);
    let names: Vec<String> = decode(t)
        .iter()
        .map(|r| match r {
            Ok(Entry::Object(o)) => o.name.clone(),
            Ok(Entry::Skipped(s)) => s.kind().to_owned(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["a", "b", "c", "ConfigMap"]);
    assert_eq!(fields[0].locate(""), exact(t, 4, "-"));
    assert_eq!(fields[0].locate("spec.containers[0]"), exact(t, 8, "{"));
    assert_eq!(
        fields[0].locate("spec.containers[0].name"),
        exact(t, 8, "name")
    );
    assert_eq!(fields[1].locate(""), exact(t, 13, "-"));
    assert_eq!(
        fields[1].locate("spec.containers[0].name"),
        exact(t, 15, "name")
    );
    assert_eq!(fields[2].locate(""), exact(t, 16, "-"));
    assert_eq!(
        fields[2].locate("spec.template.spec.containers[0]"),
        exact(t, 22, "-")
    );
    assert_eq!(fields[2].locate("kind"), exact(t, 16, "kind"));
    assert_eq!(fields[3].locate(""), exact(t, 23, "-"));
    // An item is its own root: the list's fields are not reachable from it.
    assert_eq!(fields[3].locate("items"), ancestor(t, 23, "-"));
}

#[test]
fn json_document_with_concatenated_values() {
    let t = r#"# leading comment
---

{"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": "a", "annotations": {"x.io/\u00e9": "1"}},
 "spec": {"containers": [{"name": "a"}]}}   {"kind": "Pod", "spec": {}}
null
{
  "kind": "List", "items": [
    {"kind": "Pod", "spec": {"containers": [
      {"name": "b"}, {"name": "c"}]}},
    {"kind": "Pod", "spec": {"containers": [{"name": "d"}]},
     "spec": {"hostNetwork": true}}
  ]
}
"#;
    let fields = indices(t);
    assert_eq!(fields.len(), 4);
    assert_eq!(fields[0].locate(""), exact(t, 4, "{"));
    assert_eq!(
        fields[0].locate(r#"metadata.annotations["x.io/é"]"#),
        exact(t, 5, r#""x.io"#)
    );
    assert_eq!(
        fields[0].locate(r#"metadata.annotations["x.io/\u00e9"]"#),
        exact(t, 5, r#""x.io"#)
    );
    assert_eq!(
        fields[0].locate("spec.containers[0]"),
        exact(t, 6, "{\"name")
    );
    assert_eq!(fields[1].locate(""), exact(t, 6, "{\"kind"));
    assert_eq!(
        fields[1].locate("spec.containers"),
        ancestor(t, 6, "\"spec\": {}")
    );
    assert_eq!(fields[2].locate(""), exact(t, 10, "{"));
    assert_eq!(
        fields[2].locate("spec.containers[1].name"),
        exact(t, 11, "\"name\": \"c")
    );
    // A repeated key whose values are objects merges them, as decoding does.
    assert_eq!(
        fields[3].locate("spec.containers[0]"),
        exact(t, 12, "{\"name\": \"d")
    );
    assert_eq!(
        fields[3].locate("spec.hostNetwork"),
        exact(t, 13, "\"hostNetwork")
    );
}

#[test]
fn json_repeated_keys_follow_the_decoder() {
    let t = r#"{"kind": "Pod", "spec": {"containers": [{"name": "a", "image": "i"}]},
"spec": {"containers": [{"name": "z"}]},
"metadata": {"name": "x"}, "metadata": null}"#;
    let fields = indices(t);
    // Arrays merge element-wise: `image` comes from the first `spec`, `name` from the last.
    assert_eq!(
        fields[0].locate("spec.containers[0].image"),
        exact(t, 1, "\"image")
    );
    assert_eq!(
        fields[0].locate("spec.containers[0].name"),
        exact(t, 2, "\"name")
    );
    assert_eq!(
        fields[0].locate("spec.containers[0]"),
        exact(t, 2, "{\"name")
    );
    // `null` replaces.
    assert_eq!(
        fields[0].locate("metadata.name"),
        ancestor(t, 3, "\"metadata\": null")
    );
}

#[test]
fn flow_mappings_over_several_lines() {
    let t = "\
kind: Pod
spec: {containers: [
    {name: a, image: i,
     securityContext: {privileged: true}},
    {name: b}],
  hostPID: true}
";
    let f = &indices(t)[0];
    assert_eq!(f.locate("spec"), exact(t, 2, "spec"));
    assert_eq!(f.locate("spec.containers[0]"), exact(t, 3, "{"));
    assert_eq!(
        f.locate("spec.containers[0].securityContext.privileged"),
        exact(t, 4, "privileged")
    );
    assert_eq!(f.locate("spec.containers[1]"), exact(t, 5, "{"));
    assert_eq!(f.locate("spec.hostPID"), exact(t, 6, "hostPID"));
    assert_eq!(
        f.locate("spec.containers[1].securityContext"),
        ancestor(t, 5, "{")
    );
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let t = "\
kind: Pod
metadata:
  name: x
x-base: &sc
  privileged: true
  capabilities: {add: [NET_ADMIN]}
spec:
  containers:
  - &c1
    name: a
    securityContext: *sc
  - *c1
  - name: b
    securityContext:
      <<: *sc
      runAsUser: 0
      privileged: false
  - name: c
    securityContext:
      <<: [{runAsUser: 1}, *sc]
";
    let f = &indices(t)[0];
    let c = "spec.containers";
    // The aliasing key or item is where the alias is; what is inside, where it is written.
    assert_eq!(
        f.locate(&format!("{c}[0].securityContext")),
        exact(t, 11, "securityContext")
    );
    assert_eq!(
        f.locate(&format!("{c}[0].securityContext.privileged")),
        exact(t, 5, "privileged")
    );
    assert_eq!(f.locate(&format!("{c}[1]")), exact(t, 12, "-"));
    assert_eq!(f.locate(&format!("{c}[1].name")), exact(t, 10, "name"));
    assert_eq!(
        f.locate(&format!("{c}[1].securityContext.capabilities.add[0]")),
        exact(t, 6, "NET_ADMIN")
    );
    assert_eq!(
        f.locate(&format!("{c}[1].securityContext.runAsUser")),
        ancestor(t, 11, "securityContext")
    );
    // Merge keys: the mapping's own keys win, then the merged mappings in order.
    assert_eq!(
        f.locate(&format!("{c}[2].securityContext.privileged")),
        exact(t, 17, "privileged")
    );
    assert_eq!(
        f.locate(&format!("{c}[2].securityContext.capabilities")),
        exact(t, 6, "capabilities")
    );
    assert_eq!(
        f.locate(&format!("{c}[3].securityContext.runAsUser")),
        exact(t, 20, "runAsUser")
    );
    assert_eq!(
        f.locate(&format!("{c}[3].securityContext.privileged")),
        exact(t, 5, "privileged")
    );
}

#[test]
fn multi_line_scalars_comments_and_quoted_keys() {
    let t = "\
kind: Pod
metadata:
  annotations:
    \"example.com/multi\": |
      line one
      - not an item
    'quoted.key/x': \"multi
      line\"
    plain: >-
      folded
      text
    \"with\\\"quote\": 1
spec:   # trailing comment
  # comment
  containers:
  - name: a   # trailing
    args:
    - |
      script
      - nope
    - second
    - - nested
      - nested2
";
    let f = &indices(t)[0];
    let a = "metadata.annotations";
    assert_eq!(
        f.locate(&format!("{a}[\"example.com/multi\"]")),
        exact(t, 4, "\"")
    );
    assert_eq!(
        f.locate(&format!("{a}[\"quoted.key/x\"]")),
        exact(t, 7, "'")
    );
    assert_eq!(f.locate(&format!("{a}.plain")), exact(t, 9, "plain"));
    assert_eq!(
        f.locate(&format!("{a}[\"with\\\"quote\"]")),
        exact(t, 12, "\"")
    );
    assert_eq!(f.locate("spec"), exact(t, 13, "spec"));
    assert_eq!(f.locate("spec.containers"), exact(t, 15, "containers"));
    assert_eq!(f.locate("spec.containers[0].args[0]"), exact(t, 18, "-"));
    assert_eq!(f.locate("spec.containers[0].args[1]"), exact(t, 21, "-"));
    assert_eq!(f.locate("spec.containers[0].args[2]"), exact(t, 22, "-"));
    assert_eq!(f.locate("spec.containers[0].args[2][1]"), exact(t, 23, "-"));
    assert_eq!(
        f.locate("spec.containers[0].args[2][0]"),
        Location {
            line: 22,
            column: 7,
            exact: true
        }
    );
}

#[test]
fn sequences_nested_in_an_indentless_sequence() {
    // The same layout read by the fast path, and (with an anchor) by granit-parser.
    for extra in ["", "x: &a 1\n"] {
        let t = format!("kind: Pod\n{extra}args:\n- - a\n  - b\n- - c\n-\n  - d\n");
        let t = t.as_str();
        let f = &indices(t)[0];
        let l = if extra.is_empty() { 3 } else { 4 };
        assert_eq!(f.locate("args"), exact(t, l - 1, "args"));
        assert_eq!(f.locate("args[0]"), exact(t, l, "-"));
        assert_eq!(f.locate("args[0][0]"), exact(t, l, "- a"));
        assert_eq!(f.locate("args[0][1]"), exact(t, l + 1, "-"));
        assert_eq!(f.locate("args[1]"), exact(t, l + 2, "-"));
        assert_eq!(f.locate("args[1][0]"), exact(t, l + 2, "- c"));
        assert_eq!(f.locate("args[2]"), exact(t, l + 3, "-"));
        assert_eq!(f.locate("args[2][0]"), exact(t, l + 4, "-"));
        assert_eq!(f.locate("args[2][1]"), ancestor(t, l + 3, "-"));
    }
}

#[test]
fn comments_not_separated_by_whitespace_are_errors() {
    // As the decoder reads them: a syntax error, so no positions.
    for t in ["kind: Pod\nspec: {}# c\n", "kind: 'Pod'#c\nspec: {}\n"] {
        assert!(decode(t)[0].is_err(), "{t}");
        let fields = indices(t);
        assert_eq!(
            fields[0].locate("spec"),
            Location {
                line: 1,
                column: 1,
                exact: false
            }
        );
    }
}

#[test]
fn documents_read_by_granit_parser_align_with_decode() {
    // YAML the fast path leaves to granit-parser (anchors, block scalars): a mapping that is
    // not a list is one object; lists (however their `kind` is written) are read as values.
    for (t, objects) in [
        ("kind: &k List\nitems:\n- {kind: Pod}\n- {kind: Pod}\n", 2),
        (
            "&k PodList: 1\nkind: *k\nitems: [{kind: Pod}, {kind: Pod}]\n",
            2,
        ),
        (
            "base: &b {kind: List, items: [{kind: Pod}, 2]}\n<<: *b\n",
            2,
        ),
        ("? kind\n: List\nitems: [{kind: Pod}, {kind: Pod}, 3]\n", 3),
        ("kind: !!str List\nitems: [&p {kind: Pod}, *p]\n", 2),
        ("kind: |\n  List\nitems: [a, b]\n", 1),
        ("- &a x\n- *a\n", 1),
        ("!!null\n", 0),
        ("&a ~\n", 0),
    ] {
        assert_eq!(indices(t).len(), objects, "{t}");
    }
    let t = "kind: Pod\nmetadata: {name: &n a}\nspec:\n  containers:\n  - name: *n\n    command: |\n      run\n  - name: b\n";
    let f = &indices(t)[0];
    assert_eq!(f.locate(""), exact(t, 1, "kind"));
    assert_eq!(f.locate("spec.containers[1].name"), exact(t, 8, "name"));
    assert_eq!(
        f.locate("spec.containers[0].command"),
        exact(t, 6, "command")
    );
}

#[test]
fn unparsable_and_empty_documents() {
    let t = "kind: Pod\nspec: [\n---\nnull\n---\n--- {a: 1}\n---\n{\"kind\": \"Pod\"} {\"kind\": \n---\n42\n";
    let fields = indices(t);
    assert_eq!(fields.len(), 5);
    let unknown = |line| Location {
        line,
        column: 1,
        exact: false,
    };
    assert_eq!(fields[0].locate("spec"), unknown(1));
    assert_eq!(fields[1].locate(""), unknown(6));
    assert_eq!(fields[2].locate("kind"), exact(t, 8, "\"kind"));
    assert_eq!(
        fields[3].locate("kind"),
        Location {
            line: 8,
            column: 17,
            exact: false
        }
    );
    assert_eq!(fields[4].locate(""), exact(t, 10, "42"));
    assert_eq!(fields[4].locate("spec"), ancestor(t, 10, "42"));
}

#[test]
fn deep_nesting_does_not_overflow() {
    for text in [
        format!(
            "kind: Pod\nspec: {}{}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!(
            "kind: List\nitems:\n{}",
            "- kind: List\n  items:\n".repeat(2000)
        ),
        "a:\n".repeat(5000),
    ] {
        for f in indices(&text) {
            let _ = f.locate(&"a.".repeat(10_000));
            let _ = f.locate(&"[0]".repeat(10_000));
        }
    }
}

#[test]
fn annotation_keys_quoted_as_findings_quote_them() {
    let keys = [
        "container.apparmor.security.beta.kubernetes.io/app",
        "a.b/c[0]",
        "with\"quote and \\ backslash",
        "tab\there\nnewline\u{1}",
        "\u{a0}nbsp é 日本 \u{1F600} \u{E0001}",
        "",
    ];
    let mut yaml = String::from("kind: Pod\nmetadata:\n  annotations:\n");
    let mut json = Vec::new();
    for key in keys {
        let quoted = serde_json::to_string(key).expect("json");
        yaml += &format!("    {quoted}: v\n");
        json.push(format!("{quoted}: \"v\""));
    }
    let json = format!(
        "{{\"kind\": \"Pod\", \"metadata\": {{\"annotations\": {{\n{}}}}}}}",
        json.join(",\n")
    );
    for (text, first_line) in [(&yaml, 4), (&json, 2)] {
        let f = &indices(text)[0];
        for (i, key) in keys.iter().enumerate() {
            let path = format!("metadata.annotations[{}]", go_quote(key));
            assert_eq!(
                f.locate(&path),
                Location {
                    line: first_line + i,
                    column: if first_line == 4 { 5 } else { 1 },
                    exact: true
                },
                "{path} in {text}"
            );
        }
    }
}

#[test]
fn crlf_and_tabs() {
    let t =
        "kind: Pod\r\nspec:\r\n  containers:\r\n  - name: a\r\n    image:\ti\r\n  -\tname: b\r\n";
    let f = &indices(t)[0];
    assert_eq!(f.locate("spec.containers[0]"), exact(t, 4, "-"));
    assert_eq!(f.locate("spec.containers[0].image"), exact(t, 5, "image"));
    assert_eq!(f.locate("spec.containers[1]"), exact(t, 6, "-"));
    assert_eq!(f.locate("spec.containers[1].name"), exact(t, 6, "name"));
}

#[test]
fn large_documents_stay_linear() {
    // One line of JSON with many containers, and the same as block YAML.
    let n = 20_000;
    let containers: Vec<String> = (0..n).map(|i| format!("{{\"name\":\"c{i}\"}}")).collect();
    let json = format!(
        "{{\"kind\":\"Pod\",\"spec\":{{\"containers\":[{}]}}}}",
        containers.join(",")
    );
    let f = &indices(&json)[0];
    let last = f.locate(&format!("spec.containers[{}].name", n - 1));
    assert!(
        last.exact && last.line == 1 && last.column > json.len() - 40,
        "{last:?}"
    );

    let mut yaml = String::from("kind: Pod\nspec:\n  containers:\n");
    for i in 0..n {
        yaml += &format!("  - name: c{i}\n    image: i\n");
    }
    let f = &indices(&yaml)[0];
    assert_eq!(
        f.locate(&format!("spec.containers[{}].image", n - 1)),
        Location {
            line: 3 + 2 * n,
            column: 5,
            exact: true
        }
    );
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(path);
        }
    }
}

/// Every object of `text` has its pod spec, first container and metadata located exactly.
fn check_objects(path: &Path, text: &str) -> usize {
    let fields = indices(text);
    let mut checked = 0;
    for (result, field) in decode(text).iter().zip(&fields) {
        let Ok(Entry::Object(object)) = result else {
            continue;
        };
        let mut paths = vec![object.object_path("spec")];
        if !object.template.spec.containers.is_empty() {
            paths.push(object.object_path("spec.containers[0]"));
            paths.push(object.object_path("spec.containers[0].name"));
        }
        for p in paths {
            let at = field.locate(&p);
            assert!(at.exact, "{}: {p} not found: {at:?}", path.display());
            assert!(at.line >= object.line, "{}: {p} at {at:?}", path.display());
        }
        checked += 1;
    }
    checked
}

#[test]
fn conformance_fixtures_and_examples_locate_exactly() {
    let mut files = Vec::new();
    if let Some(corpus) = podsec_conformance::corpus() {
        yaml_files(&corpus.join("testdata"), &mut files);
        assert!(files.len() > 100, "{} fixtures", files.len());
    }
    let mut pods = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("fixture");
        pods += check_objects(path, &text);
    }
    assert!(
        pods >= files.len() / 2,
        "{pods} objects in {} files",
        files.len()
    );

    let mut examples = Vec::new();
    yaml_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples"),
        &mut examples,
    );
    let mut objects = 0;
    for path in &examples {
        let text = std::fs::read_to_string(path).expect("example");
        objects += check_objects(path, &text);
    }
    assert!(objects > 0);
}

fn fragment() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("---\n"),
            Just("kind: Pod\n"),
            Just("kind: List\n"),
            Just("kind: PodList\n"),
            Just("items:\n"),
            Just("- "),
            Just("-\n"),
            Just("  "),
            Just("spec:\n"),
            Just("  containers:\n"),
            Just("  - name: c\n"),
            Just("    securityContext: "),
            Just("{privileged: yes}\n"),
            Just("&a {x: 1}\n"),
            Just("&b [1]\n"),
            Just("*a\n"),
            Just("*b\n"),
            Just("<<: *a\n"),
            Just("<<: [*a, *b]\n"),
            Just("[\n"),
            Just("]\n"),
            Just("{\"kind\":\"Pod\"}"),
            Just("{\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\"},null,"),
            Just("\"spec\":{\"a\":1},\"spec\":{\"b\":2}}"),
            Just("null\n"),
            Just("\t"),
            Just("'\n"),
            Just("\"\\u"),
            Just("# c\n"),
            Just("...\n"),
            Just("!!str x\n"),
            Just("? k\n"),
            Just(": v\n"),
            Just("|\n  x\n"),
            Just("é"),
        ],
        0..28,
    )
    .prop_map(|parts| parts.concat())
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("spec".to_owned()),
        Just("items[0].spec".to_owned()),
        Just("spec.containers[0].securityContext".to_owned()),
        Just("x".to_owned()),
        Just("[0]".to_owned()),
        Just("a[\"k\\u00e9\"]".to_owned()),
        ".{0,30}",
    ]
}

fn check_never_panics(text: &str, paths: &[String]) {
    let docs = documents(text);
    for doc in &docs {
        let fields = index(doc);
        assert_eq!(
            fields.len(),
            doc.decode().len(),
            "not aligned: {:?}",
            doc.text()
        );
        for f in &fields {
            for p in paths {
                let at = f.locate(p);
                assert!(at.line >= 1 && at.column >= 1, "{at:?}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn random_text_never_panics(text in ".{0,200}", paths in prop::collection::vec(path(), 0..4)) {
        check_never_panics(&text, &paths);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        check_never_panics(&text, &["spec.containers[0]".to_owned(), String::new()]);
    }

    #[test]
    fn yaml_fragments_never_panic(text in fragment(), paths in prop::collection::vec(path(), 0..4)) {
        check_never_panics(&text, &paths);
    }

    #[test]
    fn mutated_manifests_never_panic(
        cut in 0..DEPLOYMENT.len(),
        insert in fragment(),
        paths in prop::collection::vec(path(), 0..4),
    ) {
        let mut text = DEPLOYMENT.to_owned();
        let cut = (0..=cut).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        text.insert_str(cut, &insert);
        check_never_panics(&text, &paths);
    }
}

use podsec_policy::defaults::SpecOwner;
use podsec_policy::model::VolumeSource;

use super::*;

fn objects(text: &str) -> Vec<Object> {
    decode(text)
        .into_iter()
        .filter_map(|r| match r.unwrap() {
            Entry::Object(o) => Some(o),
            Entry::Namespace(_) | Entry::Skipped(_) => None,
        })
        .collect()
}

fn one_object(text: &str) -> Object {
    let mut all = objects(text);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

fn one_error(text: &str) -> DecodeError {
    let results = decode(text);
    assert_eq!(results.len(), 1, "{results:?}");
    results.into_iter().next().unwrap().unwrap_err()
}

/// (doc, line, kind or error message) for every result.
fn summary(text: &str) -> Vec<(usize, usize, String)> {
    decode(text)
        .into_iter()
        .map(|r| match r {
            Ok(Entry::Object(o)) => (o.doc, o.line, format!("{} {}", o.kind, o.name)),
            Ok(Entry::Skipped(s)) => (s.doc, s.line, format!("skipped {}", s.kind())),
            Ok(Entry::Namespace(n)) => (n.doc, n.line, format!("namespace {}", n.name)),
            Err(e) => (e.doc, e.line, format!("error {}", e.kind)),
        })
        .collect()
}

fn s(doc: usize, line: usize, what: &str) -> (usize, usize, String) {
    (doc, line, what.to_owned())
}

#[test]
fn multi_document_stream_with_comments_and_separator_variants() {
    let text = "\
# leading comment
---
apiVersion: v1
kind: Pod
metadata: {name: a}
--- # a comment after the separator
# only a comment

---

# comment before content
apiVersion: v1
kind: Pod
metadata:
  name: b
---\t\r
kind: Pod
metadata: {name: c}
---
";
    assert_eq!(
        summary(text),
        [s(0, 3, "Pod a"), s(1, 12, "Pod b"), s(2, 17, "Pod c")]
    );
}

#[test]
fn crlf_stream() {
    let text =
        "kind: Pod\r\nmetadata:\r\n  name: a\r\n---\r\nkind: Pod\r\nmetadata:\r\n  name: b\r\n";
    assert_eq!(summary(text), [s(0, 1, "Pod a"), s(1, 5, "Pod b")]);
}

#[test]
fn json_stream() {
    let text = r#"{"kind": "Pod", "metadata": {"name": "a"}}
{"kind": "Pod",
 "metadata": {"name": "b"}}

  {"kind": "Service", "metadata": {"name": "c"}}
---
{"kind": "Pod", "metadata": {"name": "d"}, "spec": {"hostNetwork": true}}
"#;
    assert_eq!(
        summary(text),
        [
            s(0, 1, "Pod a"),
            s(1, 2, "Pod b"),
            s(2, 5, "skipped Service"),
            s(3, 7, "Pod d"),
        ]
    );
    assert!(objects(text)[2].template.spec.host_network);
}

#[test]
fn json_syntax_error_keeps_earlier_values_and_reports_line() {
    let text = "---\n{\"kind\": \"Pod\"}\n{\"kind\": \"Pod\",\n \"spec\": {]}\n";
    let results = decode(text);
    assert_eq!(results.len(), 2);
    assert!(matches!(results[0], Ok(Entry::Object(_))));
    let err = results[1].clone().unwrap_err();
    assert_eq!((err.doc, err.line), (1, 4));
    assert_eq!(
        err.to_string(),
        "document 1 (line 4): invalid JSON: key must be a string at column 11"
    );
}

#[test]
fn list_expansion() {
    let text = "\
kind: Namespace
metadata: {name: ns}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: p}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: d, namespace: x}
- kind: ConfigMap
  metadata: {name: cm}
- null
- kind: DeploymentList
  items:
  - kind: Deployment
    metadata: {name: nested}
---
kind: PodList
items: []
---
kind: PodList
items:
- kind: Pod
  metadata: {name: last}
";
    assert_eq!(
        summary(text),
        [
            s(0, 1, "namespace ns"),
            s(1, 4, "Pod p"),
            s(2, 4, "Deployment d"),
            s(3, 4, "skipped ConfigMap"),
            s(4, 4, "Deployment nested"),
            s(5, 24, "Pod last"),
        ]
    );
}

#[test]
fn list_item_errors_name_the_item() {
    let text = "kind: List\nitems:\n- kind: Pod\n- kind: Pod\n  spec: {hostPID: 1}\n";
    let results = decode(text);
    assert!(results[0].is_ok());
    let err = results[1].clone().unwrap_err();
    assert_eq!(
        err.to_string(),
        "document 1 (line 1): items[1].spec.hostPID: invalid type: integer `1`, expected a boolean"
    );
    let err = one_error("kind: List\nitems: 5\n");
    assert_eq!(
        err.message(),
        "items: invalid type: integer `5`, expected a sequence"
    );
}

const TEMPLATE: &str = "
    metadata:
      annotations: {a: b}
      name: template-name
    spec:
      hostIPC: true
      containers: [{name: c}]";

fn indent(text: &str, spaces: usize) -> String {
    let pad = " ".repeat(spaces);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn check_template(object: &Object, location: TemplateLocation) {
    assert_eq!(object.template.location, location);
    assert_eq!(object.name, "w");
    assert_eq!(object.namespace.as_deref(), Some("ns"));
    assert_eq!(object.template.metadata.annotations["a"], "b");
    assert_eq!(object.template.metadata.name, "template-name");
    assert!(object.template.spec.host_ipc);
    assert_eq!(object.template.spec.containers[0].name, "c");
    assert_eq!(object.template.owner(), SpecOwner::Template);
}

#[test]
fn workload_kinds() {
    for kind in [
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "ReplicationController",
    ] {
        let text = format!(
            "apiVersion: whatever/v9\nkind: {kind}\nmetadata: {{name: w, namespace: ns}}\nspec:\n  replicas: 3\n  template:{TEMPLATE}\n"
        );
        let object = one_object(&text);
        assert_eq!(object.kind, kind);
        assert_eq!(object.api_version, "whatever/v9");
        check_template(&object, TemplateLocation::Template);
    }

    let cron = format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: w, namespace: ns}}\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:{}\n",
        indent(TEMPLATE, 4)
    );
    check_template(&one_object(&cron), TemplateLocation::JobTemplate);

    let pod_template = format!(
        "apiVersion: v1\nkind: PodTemplate\nmetadata: {{name: w, namespace: ns}}\ntemplate:{TEMPLATE}\n"
    );
    check_template(&one_object(&pod_template), TemplateLocation::PodTemplate);
}

#[test]
fn pod() {
    let pod = one_object(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  annotations: {x: z}\nspec:\n  hostNetwork: yes\n  containers:\n  - name: c\n    ports: [{containerPort: 80.0}]\n",
    );
    assert_eq!((pod.kind.as_str(), pod.name.as_str()), ("Pod", "web"));
    assert_eq!(pod.namespace.as_deref(), Some("shop"));
    assert_eq!(pod.template.location, TemplateLocation::Pod);
    assert_eq!(pod.template.owner(), SpecOwner::Pod);
    assert_eq!(pod.template.metadata.annotations["x"], "z");
    // YAML 1.1 boolean, integral float as integer.
    assert!(pod.template.spec.host_network);
    assert_eq!(pod.template.spec.containers[0].ports[0].container_port, 80);
}

#[test]
fn workload_without_template_is_an_empty_pod() {
    for text in [
        "kind: Deployment\nmetadata: {name: w}\n",
        "kind: Deployment\nspec: null\n",
        "kind: Deployment\nspec: {template: null}\n",
        "kind: CronJob\nspec: {jobTemplate: {spec: {}}}\n",
        "kind: PodTemplate\n",
        "kind: Pod\n",
    ] {
        let object = one_object(text);
        assert_eq!(object.template.spec, Default::default(), "{text}");
        assert_eq!(object.namespace, None);
    }
}

#[test]
fn skipped_kinds_and_non_objects() {
    let text = "\
apiVersion: v1
kind: Service
metadata: {name: svc}
---
apiVersion: example.com/v1
kind: Widget
---
just a string
---
- a
- b
---
42
---
true
---
metadata: {name: no-kind}
---
kind: ''
---
null
---
~
";
    assert_eq!(
        summary(text),
        [
            s(0, 1, "skipped Service"),
            s(1, 5, "skipped Widget"),
            s(2, 8, "skipped <string>"),
            s(3, 10, "skipped <sequence>"),
            s(4, 13, "skipped <number>"),
            s(5, 15, "skipped <boolean>"),
            s(6, 17, "skipped <no kind>"),
            s(7, 19, "skipped <no kind>"),
        ]
    );
    let Ok(Entry::Skipped(svc)) = &decode(text)[0] else {
        panic!()
    };
    assert_eq!(svc.name, "svc");
    assert_eq!(svc.api_version, "v1");
    assert_eq!(svc.reason, SkipReason::Kind("Service".into()));
}

#[test]
fn kind_matching_is_exact() {
    assert_eq!(
        summary("kind: pod\n---\nkind: Pods\n"),
        [s(0, 1, "skipped pod"), s(1, 3, "skipped Pods")]
    );
}

#[test]
fn null_handling() {
    let pod = one_object(
        "kind: Pod\nmetadata:\n  name: null\n  namespace: ~\n  annotations:\n    a: null\nspec:\n  securityContext: null\n  hostPID: null\n  containers:\n  - null\n  - name: c\n    securityContext: {privileged: null}\n  volumes:\n  - name: v\n    emptyDir: null\n",
    );
    assert_eq!(pod.name, "");
    assert_eq!(pod.namespace, None);
    assert_eq!(pod.template.metadata.annotations["a"], "");
    assert!(pod.template.spec.security_context.is_none());
    assert!(!pod.template.spec.host_pid);
    assert_eq!(pod.template.spec.containers.len(), 2);
    assert_eq!(pod.template.spec.containers[0].name, "");
    let sc = pod.template.spec.containers[1]
        .security_context
        .as_ref()
        .unwrap();
    assert_eq!(sc.privileged, None);
    assert!(pod.template.spec.volumes[0].sources.is_empty());

    let pod = one_object("kind: Pod\nmetadata: null\nspec: null\n");
    assert_eq!(pod.template.spec, Default::default());
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let text = "\
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    securityContext: &sc
      privileged: true
      capabilities: {drop: [ALL]}
  - name: b
    securityContext: *sc
  - name: c
    securityContext:
      <<: *sc
      privileged: false
  volumes:
  - &vol {name: v, hostPath: {path: /}}
";
    let pod = one_object(text);
    let containers = &pod.template.spec.containers;
    let sc = |i: usize| containers[i].security_context.as_ref().unwrap();
    assert_eq!(sc(0).privileged, Some(true));
    assert_eq!(sc(1).privileged, Some(true));
    assert_eq!(sc(1).capabilities.as_ref().unwrap().drop, ["ALL"]);
    assert_eq!(sc(2).privileged, Some(false));
    assert_eq!(sc(2).capabilities.as_ref().unwrap().drop, ["ALL"]);
    assert!(
        pod.template.spec.volumes[0]
            .sources
            .contains(VolumeSource::HostPath)
    );
}

#[test]
fn duplicate_keys() {
    // YAML: the last value wins, whole.
    let pod = one_object(
        "kind: Pod\nspec:\n  hostPID: true\n  hostPID: false\n  securityContext: {runAsUser: 0}\n  securityContext: {runAsNonRoot: true}\n",
    );
    assert!(!pod.template.spec.host_pid);
    let sc = pod.template.spec.security_context.unwrap();
    assert_eq!((sc.run_as_user, sc.run_as_non_root), (None, Some(true)));

    // JSON: a repeated object is merged into the earlier one.
    let pod = one_object(
        r#"{"kind":"Pod","spec":{"securityContext":{"runAsUser":0},"securityContext":{"runAsNonRoot":true}}}"#,
    );
    let sc = pod.template.spec.security_context.unwrap();
    assert_eq!((sc.run_as_user, sc.run_as_non_root), (Some(0), Some(true)));
}

#[test]
fn type_error_names_the_field_path() {
    let err = one_error(
        "\n\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        securityContext:\n          privileged: \"true\"\n",
    );
    assert_eq!(err.doc, 0);
    assert_eq!(err.line, 3);
    assert_eq!(
        err.message(),
        r#"spec.template.spec.containers[0].securityContext.privileged: invalid type: string "true", expected a boolean"#
    );

    let cases = [
        (
            "kind: CronJob\nspec: {jobTemplate: {spec: {template: {spec: {hostNetwork: 1}}}}}\n",
            "spec.jobTemplate.spec.template.spec.hostNetwork: invalid type: integer `1`, expected a boolean",
        ),
        (
            "kind: PodTemplate\ntemplate: {spec: {containers: [{ports: [{hostPort: 4294967296}]}]}}\n",
            "template.spec.containers[0].ports[0].hostPort: invalid value: integer `4294967296`, expected i32",
        ),
        (
            "kind: Pod\nspec: {containers: [{ports: [{hostPort: 80.5}]}]}\n",
            "spec.containers[0].ports[0].hostPort: invalid type: floating point `80.5`, expected i32",
        ),
        (
            "kind: Pod\nmetadata:\n  annotations:\n    seccomp.security.alpha.kubernetes.io/pod: 1\n",
            r#"metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]: invalid type: integer `1`, expected a string"#,
        ),
        (
            "kind: Deployment\nmetadata: {name: 5}\n",
            "metadata.name: invalid type: integer `5`, expected a string",
        ),
        (
            "kind: Pod\nmetadata: {name: yes}\n",
            "metadata.name: invalid type: boolean `true`, expected a string",
        ),
        (
            "kind: 5\n",
            "kind: invalid type: integer `5`, expected a string",
        ),
        (
            "kind: Pod\napiVersion: [v1]\n",
            "apiVersion: invalid type: sequence, expected a string",
        ),
    ];
    for (text, message) in cases {
        assert_eq!(one_error(text).message(), message, "{text}");
    }
}

#[test]
fn json_numbers_are_strict() {
    let err = one_error(r#"{"kind":"Pod","spec":{"containers":[{"ports":[{"hostPort":80.0}]}]}}"#);
    assert_eq!(
        err.message(),
        "spec.containers[0].ports[0].hostPort: invalid type: floating point `80.0`, expected i32"
    );
}

#[test]
fn yaml_syntax_error_reports_the_line_in_the_file() {
    let text = "kind: Pod\nmetadata: {name: a}\n---\n# comment\nkind: Pod\nmetadata:\n  name: b\n   bad: indentation\n";
    let results = decode(text);
    assert_eq!(results.len(), 2);
    let err = results[1].clone().unwrap_err();
    assert_eq!((err.doc, err.line), (1, 8));
    assert!(
        matches!(
            &err.kind,
            DecodeErrorKind::Yaml {
                column: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("document 1 (line 8): invalid YAML: "),
        "{err}"
    );
    assert!(!err.message().contains("line"), "{err}");
}

#[test]
fn bad_document_does_not_stop_the_next_one() {
    let text = "\
kind: Pod
metadata: {name: first}
---
kind: Pod
spec: {containers: [
---
kind: Pod
spec: {hostPID: \"yes\"}
--- not a comment
kind: Pod
---
kind: Deployment
metadata: {name: last}
";
    let results = summary(text);
    assert_eq!(results.len(), 5, "{results:?}");
    assert_eq!(results[0], s(0, 1, "Pod first"));
    assert!(
        results[1].2.starts_with("error invalid YAML: "),
        "{results:?}"
    );
    assert_eq!(results[1].0, 1);
    assert_eq!(
        results[2],
        s(
            2,
            7,
            "error spec.hostPID: invalid type: string \"yes\", expected a boolean"
        )
    );
    assert_eq!(
        results[3],
        s(3, 9, "error invalid YAML document separator: not a comment")
    );
    assert_eq!(results[4], s(4, 12, "Deployment last"));
}

#[test]
fn yaml_limits_are_errors_not_crashes() {
    let deep = format!("kind: Pod\nspec: {}{}\n", "[".repeat(200), "]".repeat(200));
    let err = one_error(&deep);
    assert!(matches!(err.kind, DecodeErrorKind::Yaml { .. }));
    assert_eq!(
        err.message(),
        "invalid YAML: nested deeper than 64 levels at column 70"
    );
    let err = one_error("kind: Pod\n...\nkind: Pod\n");
    assert_eq!(
        err.message(),
        "invalid YAML: more than one YAML document between `---` separators (a `...` end marker?) at column 1"
    );
    let deep_json = format!(
        "{{\"kind\":\"Pod\",\"spec\":{}{}}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    assert!(matches!(
        one_error(&deep_json).kind,
        DecodeErrorKind::Json { .. }
    ));
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    assert!(matches!(one_error(bomb).kind, DecodeErrorKind::Yaml { .. }));
}

#[test]
fn documents_decode_independently_and_number() {
    let text = "kind: List\nitems: [{kind: Pod}, {kind: Pod}]\n---\nkind: Pod\n";
    let docs = documents(text);
    let first = docs[0].decode();
    let second = docs[1].decode();
    assert_eq!(
        (
            first[0].as_ref().unwrap().doc(),
            first[1].as_ref().unwrap().doc()
        ),
        (0, 1)
    );
    assert_eq!(second[0].as_ref().unwrap().doc(), 0);
    let mut all: Decoded = first.into_iter().chain(second).collect();
    assert_eq!(number(&mut all, 0), 3);
    assert_eq!(all[2].as_ref().unwrap().doc(), 2);
    assert_eq!(all[2].as_ref().unwrap().line(), 4);
    assert_eq!(all, decode(text));
}

#[test]
fn namespace_labels() {
    let text = "\
apiVersion: v1
kind: Namespace
metadata:
  name: team
  labels:
    pod-security.kubernetes.io/enforce: baseline
    empty: null
---
kind: Namespace
metadata: {name: bad, labels: [a]}
";
    let results = decode(text);
    let Ok(Entry::Namespace(ns)) = &results[0] else {
        panic!("{results:?}")
    };
    assert_eq!(
        (ns.name.as_str(), ns.api_version.as_str(), ns.line),
        ("team", "v1", 1)
    );
    assert_eq!(
        ns.labels
            .get("pod-security.kubernetes.io/enforce")
            .map(String::as_str),
        Some("baseline")
    );
    assert_eq!(ns.labels.get("empty").map(String::as_str), Some(""));
    let skipped = ns.clone().into_skipped();
    assert_eq!(
        (skipped.kind(), skipped.name.as_str()),
        ("Namespace", "team")
    );
    let err = results[1].as_ref().unwrap_err();
    assert!(err.to_string().contains("metadata.labels"), "{err}");
}

#[test]
fn ownership_is_read_leniently() {
    let pod = one_object(
        "apiVersion: v1
kind: Pod
metadata:
  name: web-abc
  uid: u-pod
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: other, uid: u-x}
  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-7f, uid: u-rs, controller: true}
spec: {containers: [{name: c, image: nginx}]}
",
    );
    assert_eq!(pod.ownership.uid.as_deref(), Some("u-pod"));
    let controller = pod.ownership.controller.unwrap();
    assert_eq!(
        (
            controller.kind.as_str(),
            controller.name.as_str(),
            controller.uid.as_str(),
            controller.api_version.as_str()
        ),
        ("ReplicaSet", "web-7f", "u-rs", "apps/v1")
    );

    let deployment = one_object(
        "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, ownerReferences: 3}
spec: {replicas: 0, template: {spec: {containers: [{name: c, image: nginx}]}}}
",
    );
    assert_eq!(deployment.ownership.replicas, Some(0));
    assert_eq!(deployment.ownership.controller, None);
    assert!(!deployment.ownership.suspended);

    let cron = one_object(
        "{\"apiVersion\": \"batch/v1\", \"kind\": \"CronJob\", \"metadata\": {\"name\": \"c\", \"uid\": \"\"},
 \"spec\": {\"suspend\": true, \"replicas\": \"x\", \"jobTemplate\": {\"spec\": {\"template\": {\"spec\": {}}}}}}",
    );
    assert!(cron.ownership.suspended);
    assert_eq!((cron.ownership.uid, cron.ownership.replicas), (None, None));
}

#[test]
fn values_are_whole_objects_with_their_lines() {
    let text = "# lead
kind: PodSecurityPolicy
metadata: {name: p}
spec:
  privileged: false
  containers: [{name: c, image: x, unknownKey: kept}]
---
{\"kind\": \"A\"} {\"kind\": \"B\"}
---
a: [unclosed
";
    let docs = documents(text);
    let first = docs[0].values();
    let (value, line) = first[0].as_ref().unwrap();
    assert_eq!(*line, 2);
    assert_eq!(value["spec"]["privileged"], serde_json::json!(false));
    // Not pruned to the pod model's container fields.
    assert_eq!(value["spec"]["containers"][0]["unknownKey"], "kept");
    let second: Vec<usize> = docs[1].values().into_iter().map(|v| v.unwrap().1).collect();
    assert_eq!(second, [8, 8]);
    assert!(docs[2].values()[0].is_err());
}

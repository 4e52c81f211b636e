//! Decoding never panics, whatever the input: random text, YAML-looking fragments, and
//! mutations of a real manifest.

use proptest::prelude::*;

const MANIFEST: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      annotations: {a: b}\n    spec:\n      hostNetwork: true\n      containers:\n      - name: c\n        image: i\n        ports: [{containerPort: 80}]\n        securityContext: {privileged: true, capabilities: {add: [NET_RAW]}}\n---\n{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[null]}}]}\n";

fn fragment() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("---\n"),
            Just("kind: Pod\n"),
            Just("kind: List\n"),
            Just("items:\n"),
            Just("- "),
            Just("spec:\n"),
            Just("  containers:\n"),
            Just("  - name: c\n"),
            Just("    securityContext: "),
            Just("{privileged: yes}\n"),
            Just("&a {x: 1}\n"),
            Just("*a\n"),
            Just("<<: *a\n"),
            Just("[\n"),
            Just("{\"kind\":\"Pod\"}"),
            Just("null\n"),
            Just("\t"),
            Just("'\n"),
            Just("\"\\u"),
            Just("# c\n"),
            Just("hostPort: 99999999999\n"),
            Just("...\n"),
            Just("!!binary x\n"),
            Just("? k\n"),
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_text(text in ".{0,200}") {
        let _ = podsec_manifest::decode(&text);
    }

    #[test]
    fn yaml_fragments(text in fragment()) {
        let _ = podsec_manifest::decode(&text);
    }

    #[test]
    fn mutated_manifest(cut in 0usize..MANIFEST.len(), insert in ".{0,3}") {
        let mut text = MANIFEST.to_owned();
        if text.is_char_boundary(cut) {
            text.insert_str(cut, &insert);
        }
        let _ = podsec_manifest::decode(&text);
        if let Some(prefix) = text.get(..cut) {
            let _ = podsec_manifest::decode(prefix);
        }
    }
}

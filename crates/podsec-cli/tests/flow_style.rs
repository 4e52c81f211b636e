//! `podsec check` on a Pod written in YAML flow style (unquoted keys, trailing commas,
//! comments): evaluated like the same Pod in block style, not reported as invalid JSON.

use std::process::Command;

use serde_json::{Value, json};

const FLOW_POD: &str = r#"# a Pod in YAML flow style, as kubernetes.io writes some examples
{
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "flow", },  # trailing commas are YAML, not JSON
  spec: {
    containers: [{ name: nginx, image: nginx }],
  },
}
"#;

/// The message upstream gives for this pod at the restricted level.
const NGINX_RESTRICTED: &str = r#"allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#;

#[test]
fn flow_style_pod_is_evaluated_and_denied() {
    let dir = std::env::temp_dir().join(format!("podsec-flow-style-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("pod.yaml");
    std::fs::write(&file, FLOW_POD).expect("writing the pod");
    let mut command = Command::new(env!("CARGO_BIN_EXE_podsec"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PODSEC_") {
            command.env_remove(key);
        }
    }
    let output = command
        .args(["check", "--level", "restricted", "--format", "json"])
        .arg(&file)
        .output()
        .expect("podsec runs");
    std::fs::remove_dir_all(&dir).expect("removing the temp dir");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&output.stderr)));

    assert_eq!(report["errors"], json!([]), "{report:#}");
    assert_eq!(
        report["summary"],
        json!({"evaluated": 1, "allowed": 0, "denied": 1, "skipped": 0, "errors": 0})
    );
    let result = &report["results"][0];
    assert_eq!(
        (
            &result["kind"],
            &result["name"],
            &result["doc"],
            &result["line"],
            &result["allowed"]
        ),
        (
            &json!("Pod"),
            &json!("flow"),
            &json!(0),
            &json!(2),
            &json!(false)
        )
    );
    assert_eq!(result["message"], json!(NGINX_RESTRICTED));
    assert_eq!(output.status.code(), Some(1));
}

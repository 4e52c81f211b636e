//! `apiserver_version` against the stand-in API server's `GET /version`.

use std::time::Duration;

use podsec_kube::testing::{DEFAULT_VERSION, FakeApiServer};
use podsec_kube::{ClusterVersion, VersionError, apiserver_version};
use podsec_policy::Version;
use serde_json::json;

const TIMEOUT: Duration = Duration::from_secs(2);

#[tokio::test]
async fn reads_the_version_and_follows_changes() {
    let api = FakeApiServer::start().await;
    let client = api.client();
    assert_eq!(
        apiserver_version(&client, TIMEOUT).await,
        Ok(ClusterVersion {
            version: Version::v1(37),
            reported: DEFAULT_VERSION.into(),
        })
    );

    api.set_version("v1.36.0-eks-abc1234");
    assert_eq!(
        apiserver_version(&client, TIMEOUT).await,
        Ok(ClusterVersion {
            version: Version::v1(36),
            reported: "v1.36.0-eks-abc1234".into(),
        })
    );

    // Only the fields (as some distributions set them), and an emulation version.
    api.set_version_json(json!({"major": "1", "minor": "35+", "gitVersion": "custom"}));
    let read = apiserver_version(&client, TIMEOUT)
        .await
        .expect("a version");
    assert_eq!(read.version, Version::v1(35));
    api.set_version_json(json!({"major": "1", "minor": "36", "gitVersion": "v1.36.1",
                                "emulationMajor": "1", "emulationMinor": "35"}));
    let read = apiserver_version(&client, TIMEOUT)
        .await
        .expect("a version");
    assert_eq!(read.version, Version::v1(35));
    assert_eq!(read.reported, "v1.36.1 (emulating v1.35)");
    assert_eq!(api.count_requests(|r| r == "GET /version"), 4);
}

#[tokio::test]
async fn unparsable_failing_and_unreachable() {
    let api = FakeApiServer::start().await;
    let client = api.client();

    api.set_version("nonsense");
    assert_eq!(
        apiserver_version(&client, TIMEOUT).await,
        Err(VersionError::Unparsable(
            r#"gitVersion "nonsense", major "", minor """#.into()
        ))
    );

    // Not a version answer at all: the call fails.
    api.set_version_json(json!(["not", "an", "object"]));
    assert!(matches!(
        apiserver_version(&client, TIMEOUT).await,
        Err(VersionError::Unavailable(text)) if text.starts_with(r#"Get "/version": "#)
    ));

    api.set_version("v1.36.2");
    api.set_version_failing(true);
    assert_eq!(
        apiserver_version(&client, TIMEOUT).await,
        Err(VersionError::Unavailable(
            "Internal error occurred: the fake API server's /version is failing".into()
        ))
    );
    // Only /version fails.
    api.create_namespace("team", [("a", "b")]);
    let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> =
        kube::Api::all(client.clone());
    assert!(namespaces.get("team").await.is_ok());
    api.set_version_failing(false);
    assert_eq!(
        apiserver_version(&client, TIMEOUT).await.map(|v| v.version),
        Ok(Version::v1(36))
    );

    // Slow: the timeout answers.
    api.set_delay(Duration::from_millis(500));
    assert_eq!(
        apiserver_version(&client, Duration::from_millis(100)).await,
        Err(VersionError::Unavailable(
            "context deadline exceeded".into()
        ))
    );
    api.set_delay(Duration::ZERO);

    api.stop().await;
    assert!(matches!(
        apiserver_version(&client, TIMEOUT).await,
        Err(VersionError::Unavailable(text)) if text.starts_with(r#"Get "/version": "#)
    ));
    api.restart().await;
    assert_eq!(
        apiserver_version(&client, TIMEOUT).await.map(|v| v.version),
        Ok(Version::v1(36))
    );
}

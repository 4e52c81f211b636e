//! Cluster-wide paginated listing, server-side apply of policy reports and kubeconfig
//! contexts, against the in-process API stand-in.

use podsec_kube::apply::apply_policy_report;
use podsec_kube::listing::{INVENTORY_RESOURCES, ListError, ListEvent, Resource, list_resource};
use podsec_kube::testing::FakeApiServer;
use serde_json::{Value, json};

fn resource(kind: &str) -> Resource {
    *INVENTORY_RESOURCES
        .iter()
        .find(|r| r.kind == kind)
        .expect("an inventory kind")
}

fn deployment(namespace: &str, name: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}},
    })
}

/// Lists `kind`, returning what the sink saw: the objects (restarts drop what came
/// before), the number of restarts and of pages.
async fn list(
    api: &FakeApiServer,
    kind: &str,
    page_size: u32,
) -> (Result<Vec<Value>, ListError>, usize, usize) {
    let mut objects = Vec::new();
    let mut restarts = 0;
    let mut pages = 0;
    let result = list_resource(
        &api.client(),
        &resource(kind),
        page_size,
        |event| match event {
            ListEvent::Page(items) => {
                pages += 1;
                objects.extend(items);
            }
            ListEvent::Restart => {
                restarts += 1;
                objects.clear();
            }
        },
    )
    .await;
    (result.map(|_| objects), restarts, pages)
}

fn names(objects: &[Value]) -> Vec<String> {
    objects
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["metadata"]["namespace"].as_str().unwrap_or_default(),
                o["metadata"]["name"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test]
async fn listing_through_several_pages_gives_every_object_once() {
    let api = FakeApiServer::start().await;
    let mut expected = Vec::new();
    for ns in ["b", "a", "c"] {
        for i in 0..7 {
            api.add_object(deployment(ns, &format!("web-{i}")));
            expected.push(format!("{ns}/web-{i}"));
        }
    }
    // Another kind is not listed with it.
    api.add_pod(
        "a",
        json!({"metadata": {"name": "p"}, "spec": {"containers": []}}),
    );
    expected.sort();
    let (objects, restarts, pages) = list(&api, "Deployment", 4).await;
    let objects = objects.expect("the listing succeeds");
    assert_eq!(names(&objects), expected);
    assert_eq!((restarts, pages), (0, 6), "21 objects by 4: 6 pages");
    for object in &objects {
        assert_eq!(object["kind"], "Deployment", "kind set on each item");
        assert_eq!(object["apiVersion"], "apps/v1");
        assert_eq!(object["spec"]["replicas"], 2);
        assert!(object["metadata"]["uid"].as_str().is_some());
    }
    let requests = api.requests();
    let lists: Vec<&String> = requests
        .iter()
        .filter(|r| r.starts_with("GET /apis/apps/v1/deployments"))
        .collect();
    assert_eq!(lists.len(), 6);
    assert_eq!(lists[0], "GET /apis/apps/v1/deployments?limit=4");
    assert!(lists[1..].iter().all(|r| r.contains("limit=4&continue=")));

    // Without a page size: one request, everything.
    let (objects, _, pages) = list(&api, "Deployment", 0).await;
    assert_eq!(names(&objects.unwrap()), expected);
    assert_eq!(pages, 1);
}

#[tokio::test]
async fn pages_carry_continue_tokens_and_remaining_counts_as_the_api_server_does() {
    let api = FakeApiServer::start().await;
    for i in 0..5 {
        api.add_object(json!({"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": format!("c{i}"), "namespace": "jobs"}, "spec": {}}));
    }
    let client = reqwest_like(&api);
    let first = client("/apis/batch/v1/cronjobs?limit=2").await;
    assert_eq!(first["kind"], "CronJobList");
    assert_eq!(first["apiVersion"], "batch/v1");
    assert_eq!(first["metadata"]["remainingItemCount"], 3);
    assert!(
        first["items"][0].get("kind").is_none(),
        "list items carry no kind"
    );
    let token = first["metadata"]["continue"].as_str().unwrap().to_owned();
    let second = client(&format!("/apis/batch/v1/cronjobs?limit=2&continue={token}")).await;
    assert_eq!(second["items"][0]["metadata"]["name"], "c2");
    assert_eq!(second["metadata"]["remainingItemCount"], 1);
    let token = second["metadata"]["continue"].as_str().unwrap().to_owned();
    let last = client(&format!("/apis/batch/v1/cronjobs?limit=2&continue={token}")).await;
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    assert!(last["metadata"].get("continue").is_none());
    assert!(last["metadata"].get("remainingItemCount").is_none());

    // Per namespace, at the real path; another namespace is empty.
    let in_ns = client("/apis/batch/v1/namespaces/jobs/cronjobs").await;
    assert_eq!(in_ns["items"].as_array().unwrap().len(), 5);
    let other = client("/apis/batch/v1/namespaces/other/cronjobs").await;
    assert_eq!(other["items"].as_array().unwrap().len(), 0);

    // A token that is not one.
    let bad = client("/apis/batch/v1/cronjobs?limit=2&continue=zz").await;
    assert_eq!(
        (bad["code"].as_u64(), bad["reason"].as_str()),
        (Some(400), Some("BadRequest"))
    );
}

/// A GET returning the JSON body whatever the status.
fn reqwest_like(
    api: &FakeApiServer,
) -> impl Fn(&str) -> std::pin::Pin<Box<dyn Future<Output = Value> + '_>> + '_ {
    let client = api.client();
    move |path: &str| {
        let client = client.clone();
        let request = http::Request::get(path)
            .body(Vec::new())
            .expect("a request");
        Box::pin(async move {
            let text = client.request_text(request).await;
            match text {
                Ok(text) => serde_json::from_str(&text).expect("JSON"),
                Err(kube::Error::Api(status)) => serde_json::to_value(&*status).expect("a Status"),
                Err(err) => panic!("{err}"),
            }
        })
    }
}

#[tokio::test]
async fn a_forbidden_kind_is_a_forbidden_error_and_the_others_still_list() {
    let api = FakeApiServer::start().await;
    api.add_object(deployment("a", "web"));
    api.add_pod(
        "a",
        json!({"metadata": {"name": "p"}, "spec": {"containers": []}}),
    );
    api.forbid("deployments");
    let (result, _, _) = list(&api, "Deployment", 10).await;
    let err = result.unwrap_err();
    assert!(err.is_partial());
    assert!(matches!(err, ListError::Forbidden { .. }));
    assert_eq!(
        err.to_string(),
        "deployments.apps is forbidden: User \"system:anonymous\" cannot list resource \"deployments\" in API group \"apps\" at the cluster scope"
    );
    let (pods, _, _) = list(&api, "Pod", 10).await;
    assert_eq!(names(&pods.unwrap()), ["a/p"]);

    api.unserve("cronjobs");
    let (result, _, _) = list(&api, "CronJob", 10).await;
    let err = result.unwrap_err();
    assert!(matches!(err, ListError::NotServed { .. }) && err.is_partial());
}

#[tokio::test]
async fn an_expired_continue_token_restarts_the_listing_once() {
    let api = FakeApiServer::start().await;
    for i in 0..10 {
        api.add_pod(
            "ns",
            json!({"metadata": {"name": format!("p{i}")}, "spec": {"containers": []}}),
        );
    }
    // Tokens expire after the second page: the third request gets `410 Expired`.
    api.expire_continue_tokens_after(2);
    let (objects, restarts, pages) = list(&api, "Pod", 3).await;
    let objects = objects.expect("the restarted listing succeeds");
    assert_eq!(restarts, 1);
    assert_eq!(pages, 2 + 4, "two pages, then four again from the start");
    let expected: Vec<String> = {
        let mut v: Vec<String> = (0..10).map(|i| format!("ns/p{i}")).collect();
        v.sort();
        v
    };
    assert_eq!(names(&objects), expected);
    let restarted = api
        .requests()
        .iter()
        .filter(|r| *r == "GET /api/v1/pods?limit=3")
        .count();
    assert_eq!(restarted, 2);

    // Expiring again during the restarted listing is an error.
    api.expire_continue_tokens_after(1);
    let mut seen = 0;
    let result = list_resource(&api.client(), &resource("Pod"), 3, |event| {
        if let ListEvent::Page(_) = event {
            seen += 1;
            if seen == 2 {
                api.expire_continue_tokens();
            }
        }
    })
    .await;
    let err = result.unwrap_err();
    assert!(matches!(err, ListError::Expired { .. }), "{err:?}");
    assert!(!err.is_partial());
    assert!(err.to_string().contains("too old"));
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    let api = FakeApiServer::start().await;
    api.stop().await;
    let (result, _, _) = list(&api, "Namespace", 10).await;
    let err = result.unwrap_err();
    assert!(matches!(err, ListError::Transport(_)), "{err:?}");
    assert!(!err.is_partial());
}

#[tokio::test]
async fn namespaces_page_too() {
    let api = FakeApiServer::start().await;
    for name in ["d", "a", "c", "b", "e"] {
        api.add_object(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"team": name}}}));
    }
    let (objects, _, pages) = list(&api, "Namespace", 2).await;
    let objects = objects.unwrap();
    assert_eq!(pages, 3);
    let got: Vec<&str> = objects
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["a", "b", "c", "d", "e"]);
    assert_eq!(objects[2]["metadata"]["labels"]["team"], "c");
    assert_eq!(objects[2]["kind"], "Namespace");
}

fn report(namespace: &str, name: &str, fail: u64) -> Value {
    json!({
        "apiVersion": "wgpolicyk8s.io/v1alpha2",
        "kind": "PolicyReport",
        "metadata": {"name": name, "namespace": namespace},
        "summary": {"pass": 0, "fail": fail, "warn": 0, "error": 0, "skip": 0},
        "results": [],
    })
}

#[tokio::test]
async fn policy_reports_are_applied_server_side_with_the_field_manager() {
    let api = FakeApiServer::start().await;
    let client = api.client();
    let stored = apply_policy_report(&client, &report("shop", "podsec", 2), "podsec")
        .await
        .expect("applied");
    assert_eq!(stored["metadata"]["managedFields"][0]["manager"], "podsec");
    assert_eq!(stored["summary"]["fail"], 2);
    let uid = stored["metadata"]["uid"].clone();
    // Applying again replaces it, keeping its uid.
    apply_policy_report(&client, &report("shop", "podsec", 5), "podsec")
        .await
        .unwrap();
    let object = api
        .object(
            "wgpolicyk8s.io/v1alpha2",
            "PolicyReport",
            Some("shop"),
            "podsec",
        )
        .expect("stored");
    assert_eq!(object["summary"]["fail"], 5);
    assert_eq!(object["metadata"]["uid"], uid);
    let cluster = json!({
        "apiVersion": "wgpolicyk8s.io/v1alpha2",
        "kind": "ClusterPolicyReport",
        "metadata": {"name": "podsec"},
        "summary": {"pass": 0, "fail": 1, "warn": 0, "error": 0, "skip": 0},
    });
    apply_policy_report(&client, &cluster, "podsec")
        .await
        .unwrap();
    assert!(
        api.object(
            "wgpolicyk8s.io/v1alpha2",
            "ClusterPolicyReport",
            None,
            "podsec"
        )
        .is_some()
    );
    let applies = api.applies();
    assert_eq!(applies.len(), 3);
    assert!(
        applies
            .iter()
            .all(|a| a.field_manager == "podsec" && a.force)
    );
    assert_eq!(applies[0].namespace.as_deref(), Some("shop"));
    assert_eq!(applies[2].resource, "clusterpolicyreports");
    assert_eq!(applies[2].namespace, None);
    let patch = api
        .requests()
        .into_iter()
        .find(|r| r.starts_with("PATCH "))
        .unwrap();
    assert!(
        patch.starts_with(
            "PATCH /apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/podsec?"
        ),
        "{patch}"
    );
    // The reports are listed like any other resource.
    assert_eq!(
        api.objects("wgpolicyk8s.io/v1alpha2", "PolicyReport").len(),
        1
    );

    // Not a report: refused before any request.
    let err = apply_policy_report(&client, &deployment("a", "b"), "podsec")
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("not a policy report"));
}

#[tokio::test]
async fn an_apply_without_a_field_manager_is_invalid() {
    let api = FakeApiServer::start().await;
    let request = http::Request::patch("/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/x")
        .header("content-type", "application/apply-patch+yaml")
        .body(
            json!({"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "ClusterPolicyReport", "metadata": {"name": "x"}})
                .to_string()
                .into_bytes(),
        )
        .unwrap();
    let err = api.client().request_text(request).await.unwrap_err();
    let kube::Error::Api(status) = err else {
        panic!("{err}")
    };
    assert_eq!(status.code, 422);
    assert!(status.message.contains("fieldManager: Required value"));
}

#[tokio::test]
async fn connect_picks_the_named_context_of_a_kubeconfig_file() {
    let api = FakeApiServer::start().await;
    api.create_namespace("seen", [("a", "b")]);
    let dir = std::env::temp_dir().join(format!("podsec-kube-connect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: broken\nclusters:\n- name: fake\n  cluster:\n    server: {}\n- name: nowhere\n  cluster:\n    server: http://127.0.0.1:1\ncontexts:\n- name: fake\n  context: {{cluster: fake, user: anon}}\n- name: broken\n  context: {{cluster: nowhere, user: anon}}\nusers:\n- name: anon\n  user: {{}}\n",
            api.url()
        ),
    )
    .unwrap();
    let connection = podsec_kube::connect(Some(&path), Some("fake"), -1.0, 0)
        .await
        .expect("connects");
    assert_eq!(connection.context, "fake");
    assert_eq!(connection.server, api.url());
    let mut names = Vec::new();
    list_resource(&connection.client, &resource("Namespace"), 10, |event| {
        if let ListEvent::Page(items) = event {
            names.extend(items.iter().map(|i| i["metadata"]["name"].clone()));
        }
    })
    .await
    .unwrap();
    assert_eq!(names, [json!("seen")]);
    // The current context, when none is named.
    let current = podsec_kube::connect(Some(&path), None, -1.0, 0)
        .await
        .unwrap();
    assert_eq!(current.context, "broken");
    assert_eq!(current.server, "http://127.0.0.1:1");
    // A context the file does not have.
    let err = podsec_kube::connect(Some(&path), Some("absent"), -1.0, 0)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

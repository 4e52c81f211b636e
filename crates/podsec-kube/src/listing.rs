//! Listing a cluster's namespaces, pods and workloads: cluster-wide, paginated with
//! `limit`/`continue`, one page at a time (memory stays bounded by a page).

use kube::Client;
use serde::Deserialize;
use serde_json::Value;

use crate::errors::cause_chain;

/// A resource to list: its API group and version, plural name and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// API group (`""` for the core group).
    pub group: &'static str,
    /// API version.
    pub version: &'static str,
    /// Plural name, as in the path (`deployments`).
    pub plural: &'static str,
    /// Kind (`Deployment`).
    pub kind: &'static str,
}

impl Resource {
    /// `apiVersion` of its objects: `v1`, `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The cluster-wide LIST path: `/api/v1/pods`, `/apis/apps/v1/deployments`.
    pub fn list_path(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}/{}", self.version, self.plural)
        } else {
            format!("/apis/{}/{}/{}", self.group, self.version, self.plural)
        }
    }
}

/// Pods.
pub const PODS: Resource = Resource {
    group: "",
    version: "v1",
    plural: "pods",
    kind: "Pod",
};

/// What the adoption commands read from a cluster, in listing order: namespaces first,
/// then pods and every workload kind whose pod template Pod Security judges.
pub const INVENTORY_RESOURCES: &[Resource] = &[
    Resource {
        group: "",
        version: "v1",
        plural: "namespaces",
        kind: "Namespace",
    },
    PODS,
    Resource {
        group: "apps",
        version: "v1",
        plural: "deployments",
        kind: "Deployment",
    },
    Resource {
        group: "apps",
        version: "v1",
        plural: "replicasets",
        kind: "ReplicaSet",
    },
    Resource {
        group: "apps",
        version: "v1",
        plural: "statefulsets",
        kind: "StatefulSet",
    },
    Resource {
        group: "apps",
        version: "v1",
        plural: "daemonsets",
        kind: "DaemonSet",
    },
    Resource {
        group: "batch",
        version: "v1",
        plural: "jobs",
        kind: "Job",
    },
    Resource {
        group: "batch",
        version: "v1",
        plural: "cronjobs",
        kind: "CronJob",
    },
    Resource {
        group: "",
        version: "v1",
        plural: "replicationcontrollers",
        kind: "ReplicationController",
    },
    Resource {
        group: "",
        version: "v1",
        plural: "podtemplates",
        kind: "PodTemplate",
    },
];

/// PodSecurityPolicies (`policy/v1beta1`, cluster-scoped), which `podsec psp` also reads
/// from a cluster: served up to Kubernetes v1.24, `404 NotFound` from v1.25 on.
pub const PSP_RESOURCE: Resource = Resource {
    group: "policy",
    version: "v1beta1",
    plural: "podsecuritypolicies",
    kind: "PodSecurityPolicy",
};

/// Why a listing stopped.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// `403`: the user may not list the resource.
    #[error("{message}")]
    Forbidden {
        /// The API server's message.
        message: String,
    },
    /// `404`: the API server does not serve the resource.
    #[error("{message}")]
    NotServed {
        /// The API server's message.
        message: String,
    },
    /// `410` again after the one restart.
    #[error("{message}")]
    Expired {
        /// The API server's message.
        message: String,
    },
    /// Any other API error.
    #[error("{message} (HTTP {code})")]
    Api {
        /// The HTTP status.
        code: u16,
        /// The API server's message.
        message: String,
    },
    /// The API server could not be reached or answered something that is not a list.
    #[error("{0}")]
    Transport(String),
}

impl ListError {
    /// Whether the rest of the cluster can still be read (the resource alone is
    /// missing): forbidden or not served.
    pub fn is_partial(&self) -> bool {
        matches!(
            self,
            ListError::Forbidden { .. } | ListError::NotServed { .. }
        )
    }
}

/// What a listing hands over, page by page.
#[derive(Debug)]
pub enum ListEvent {
    /// The objects of one page, each with its `kind` and `apiVersion` set.
    Page(Vec<Value>),
    /// The continue token expired: the listing starts again from the first page; drop
    /// what the earlier pages of this resource gave.
    Restart,
}

/// How a listing went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListStats {
    /// Pages served (over every attempt).
    pub pages: usize,
    /// Objects in the final attempt.
    pub objects: usize,
    /// Times the listing started again after an expired continue token (0 or 1).
    pub restarts: usize,
}

/// One page of a list, only what is needed.
#[derive(Deserialize)]
struct ListPage {
    #[serde(default)]
    metadata: ListMeta,
    #[serde(default)]
    items: Option<Vec<Value>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListMeta {
    #[serde(default, rename = "continue")]
    continue_token: Option<String>,
}

/// Lists `resource` cluster-wide, `page_size` objects per request (`0`: no limit), handing
/// each page to `sink` as it arrives. An expired continue token (`410`) starts the
/// listing again once ([`ListEvent::Restart`]); a second one is [`ListError::Expired`].
pub async fn list_resource(
    client: &Client,
    resource: &Resource,
    page_size: u32,
    mut sink: impl FnMut(ListEvent),
) -> Result<ListStats, ListError> {
    let path = resource.list_path();
    let api_version = resource.api_version();
    let mut stats = ListStats::default();
    let mut token: Option<String> = None;
    loop {
        let mut query = Vec::new();
        if page_size > 0 {
            query.push(format!("limit={page_size}"));
        }
        if let Some(token) = &token {
            query.push(format!("continue={}", encode_query_value(token)));
        }
        let uri = if query.is_empty() {
            path.clone()
        } else {
            format!("{path}?{}", query.join("&"))
        };
        let request = http::Request::get(&uri)
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|err| ListError::Transport(err.to_string()))?;
        let page: ListPage = match client.request(request).await {
            Ok(page) => page,
            Err(kube::Error::Api(status)) => {
                let message = if status.message.is_empty() {
                    format!("the server returned HTTP {} {}", status.code, status.reason)
                } else {
                    status.message.clone()
                };
                match status.code {
                    403 => return Err(ListError::Forbidden { message }),
                    404 => return Err(ListError::NotServed { message }),
                    410 if token.is_some() && stats.restarts == 0 => {
                        stats.restarts += 1;
                        stats.objects = 0;
                        token = None;
                        sink(ListEvent::Restart);
                        continue;
                    }
                    410 => return Err(ListError::Expired { message }),
                    code => return Err(ListError::Api { code, message }),
                }
            }
            Err(err) => return Err(ListError::Transport(cause_chain(&err))),
        };
        stats.pages += 1;
        let mut items = page.items.unwrap_or_default();
        for item in &mut items {
            if let Value::Object(map) = item {
                map.insert("apiVersion".into(), Value::String(api_version.clone()));
                map.insert("kind".into(), Value::String(resource.kind.to_owned()));
            }
        }
        stats.objects += items.len();
        sink(ListEvent::Page(items));
        match page.metadata.continue_token.filter(|t| !t.is_empty()) {
            Some(next) => token = Some(next),
            None => return Ok(stats),
        }
    }
}

/// Percent-encodes a query parameter's value (continue tokens are opaque: base64 with
/// `+`, `/` and `=` on a real API server).
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_api_versions() {
        let pods = PODS;
        assert_eq!(pods.list_path(), "/api/v1/pods");
        assert_eq!(pods.api_version(), "v1");
        let cronjobs = INVENTORY_RESOURCES
            .iter()
            .find(|r| r.kind == "CronJob")
            .unwrap();
        assert_eq!(cronjobs.list_path(), "/apis/batch/v1/cronjobs");
        assert_eq!(cronjobs.api_version(), "batch/v1");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode_query_value("eyJ2Ijo+/="), "eyJ2Ijo%2B%2F%3D");
        assert_eq!(encode_query_value("abc-_.~"), "abc-_.~");
    }
}

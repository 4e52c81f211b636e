//! The `AdmissionReview` wire format (`admission.k8s.io/v1`, and `v1beta1` as an extension):
//! decoding a review into a [`Request`] and encoding a [`Response`] into the reply.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::request::{GroupVersionKind, GroupVersionResource, Operation, Request};
use crate::response::Response;

/// `admission.k8s.io/v1` or `admission.k8s.io/v1beta1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewVersion {
    /// `admission.k8s.io/v1`.
    V1,
    /// `admission.k8s.io/v1beta1`.
    V1beta1,
}

impl ReviewVersion {
    /// The `apiVersion` string.
    pub const fn api_version(self) -> &'static str {
        match self {
            ReviewVersion::V1 => "admission.k8s.io/v1",
            ReviewVersion::V1beta1 => "admission.k8s.io/v1beta1",
        }
    }
}

/// Why a body is not a usable review (texts of upstream's webhook, `400` responses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewError {
    /// Not JSON, or not shaped like a review.
    Undecodable(String),
    /// A different kind: `unexpected AdmissionReview kind: <group>/<version>, Kind=<kind>`.
    UnexpectedKind(String),
    /// A review without `request` (upstream crashes on it).
    MissingRequest,
}

impl std::fmt::Display for ReviewError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReviewError::Undecodable(_) => f.write_str("unable to decode the request"),
            ReviewError::UnexpectedKind(gvk) => write!(f, "unexpected AdmissionReview kind: {gvk}"),
            ReviewError::MissingRequest => f.write_str("admission review has no request"),
        }
    }
}

impl std::error::Error for ReviewError {}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReviewIn {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    request: Option<RequestIn>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RequestIn {
    #[serde(default)]
    uid: String,
    #[serde(default)]
    kind: GvkIn,
    #[serde(default)]
    resource: GvrIn,
    #[serde(default)]
    request_sub_resource: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    operation: Option<String>,
    #[serde(default)]
    user_info: Option<UserInfoIn>,
    #[serde(default)]
    object: Option<Box<RawValue>>,
    #[serde(default)]
    old_object: Option<Box<RawValue>>,
    #[serde(default)]
    dry_run: Option<bool>,
}

#[derive(Deserialize, Default)]
struct GvkIn {
    #[serde(default)]
    group: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    kind: String,
}

#[derive(Deserialize, Default)]
struct GvrIn {
    #[serde(default)]
    group: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    resource: String,
}

#[derive(Deserialize, Default)]
struct UserInfoIn {
    #[serde(default)]
    username: Option<String>,
}

/// Decodes an `AdmissionReview` body. Missing `apiVersion`/`kind` default to
/// `admission.k8s.io/v1` `AdmissionReview`.
pub fn decode_review(body: &[u8]) -> Result<(ReviewVersion, Request), ReviewError> {
    let review: ReviewIn =
        serde_json::from_slice(body).map_err(|e| ReviewError::Undecodable(e.to_string()))?;
    let api_version = review.api_version.unwrap_or_default();
    let kind = review.kind.unwrap_or_default();
    let version = match api_version.as_str() {
        "" | "admission.k8s.io/v1" => ReviewVersion::V1,
        "admission.k8s.io/v1beta1" => ReviewVersion::V1beta1,
        other => {
            let (group, version) = other.split_once('/').unwrap_or(("", other));
            return Err(ReviewError::UnexpectedKind(format!(
                "{group}/{version}, Kind={kind}"
            )));
        }
    };
    if !(kind.is_empty() || kind == "AdmissionReview") {
        return Err(ReviewError::Undecodable(format!("unknown kind {kind:?}")));
    }
    let r = review.request.ok_or(ReviewError::MissingRequest)?;
    let request = Request {
        uid: r.uid,
        kind: GroupVersionKind {
            group: r.kind.group,
            version: r.kind.version,
            kind: r.kind.kind,
        },
        resource: GroupVersionResource {
            group: r.resource.group,
            version: r.resource.version,
            resource: r.resource.resource,
        },
        subresource: r.request_sub_resource.unwrap_or_default(),
        name: r.name.unwrap_or_default(),
        namespace: r.namespace.unwrap_or_default(),
        operation: Operation::from_wire(r.operation.as_deref().unwrap_or_default()),
        username: r.user_info.and_then(|u| u.username).unwrap_or_default(),
        object: r.object.filter(|o| o.get() != "null"),
        old_object: r.old_object.filter(|o| o.get() != "null"),
        dry_run: r.dry_run.unwrap_or(false),
        deadline: None,
    };
    Ok((version, request))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReviewOut<'a> {
    kind: &'static str,
    api_version: &'static str,
    response: ResponseOut<'a>,
}

#[derive(Serialize)]
struct ResponseOut<'a> {
    uid: &'a str,
    #[serde(flatten)]
    response: &'a Response,
}

/// The reply body: an `AdmissionReview` of `version` with `response.uid = uid`.
pub fn encode_review(version: ReviewVersion, uid: &str, response: &Response) -> Vec<u8> {
    let review = ReviewOut {
        kind: "AdmissionReview",
        api_version: version.api_version(),
        response: ResponseOut { uid, response },
    };
    serde_json::to_vec(&review).unwrap_or_default()
}

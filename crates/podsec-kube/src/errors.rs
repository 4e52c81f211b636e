//! Upstream's texts for failed API calls.

use std::error::Error as _;
use std::time::Instant;

use podsec_admission::LookupError;

/// Go's `context.DeadlineExceeded` text.
pub(crate) const DEADLINE_EXCEEDED: &str = "context deadline exceeded";

/// Runs the GET of `path`, bounded by `deadline` when there is one. A deadline that has
/// already passed fails at once without a call, as with an expired Go context.
pub(crate) async fn bounded<T, F>(
    deadline: Option<Instant>,
    path: &str,
    call: F,
) -> Result<T, LookupError>
where
    F: Future<Output = Result<T, kube::Error>>,
{
    let result = match deadline {
        Some(deadline) => {
            if deadline <= Instant::now() {
                return Err(LookupError(DEADLINE_EXCEEDED.to_owned()));
            }
            let at = tokio::time::Instant::from_std(deadline);
            match tokio::time::timeout_at(at, call).await {
                Ok(result) => result,
                Err(_) => return Err(LookupError(DEADLINE_EXCEEDED.to_owned())),
            }
        }
        None => call.await,
    };
    result.map_err(|err| api_error(err, path))
}

/// Maps a kube error to upstream's text: an API error is its Status message (e.g.
/// `namespaces "x" not found`, `Internal error occurred: ...`); anything else (the API server
/// unreachable, an undecodable response) is `Get "<path>": <cause>: <cause>...`, the shape of
/// Go's `url.Error` (with the request path, as kube does not expose the server URL).
pub(crate) fn api_error(err: kube::Error, path: &str) -> LookupError {
    match err {
        kube::Error::Api(status) if !status.message.is_empty() => LookupError(status.message),
        kube::Error::Api(status) => LookupError(format!(
            "the server returned HTTP {} {}",
            status.code, status.reason
        )),
        other => LookupError(format!("Get \"{path}\": {}", cause_chain(&other))),
    }
}

/// The error's causes joined with `: `, without kube's variant prefixes (`ServiceError: `),
/// skipping a cause whose text the previous one already contains.
pub(crate) fn cause_chain(err: &kube::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = match err {
        kube::Error::Service(_) | kube::Error::HyperError(_) => err.source(),
        _ => Some(err),
    };
    while let Some(cause) = next {
        let text = cause.to_string();
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        next = cause.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

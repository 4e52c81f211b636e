//! # podsec-manifest
//!
//! Decodes Kubernetes manifest streams (what `kubectl apply -f` reads) into the pods and
//! pod templates that [`podsec_policy`] evaluates. Pure functions over `&str`: no file
//! system, no I/O.
//!
//! ```
//! use podsec_manifest::{Entry, decode};
//!
//! let text = "\
//! apiVersion: apps/v1
//! kind: Deployment
//! metadata: {name: web, namespace: shop}
//! spec:
//!   template:
//!     spec:
//!       containers: [{name: nginx, image: nginx}]
//! ---
//! apiVersion: v1
//! kind: Service
//! metadata: {name: web}
//! ";
//! let results = decode(text);
//! let Ok(Entry::Object(deployment)) = &results[0] else { panic!() };
//! assert_eq!((deployment.name.as_str(), deployment.line), ("web", 1));
//! assert_eq!(deployment.template.spec.containers[0].name, "nginx");
//! assert_eq!(
//!     deployment.object_path("spec.containers[0].securityContext"),
//!     "spec.template.spec.containers[0].securityContext"
//! );
//! let Ok(Entry::Skipped(service)) = &results[1] else { panic!() };
//! assert_eq!((service.kind(), service.doc, service.line), ("Service", 1, 9));
//! ```
//!
//! ## Documents
//!
//! A stream is split as Kubernetes' YAML reader splits it: on lines starting with `---`
//! followed only by whitespace or a `#` comment ([`documents`]). Documents holding only
//! whitespace and comments are dropped. Each document is JSON or YAML:
//! * A document whose first non-whitespace character is `{` or `[` is read as JSON first,
//!   with JSON's rules (it may hold several concatenated values). It is JSON only if all of
//!   it reads as JSON; otherwise it is read as YAML, which may be written in flow style
//!   (`{kind: Pod, metadata: {name: a,},}`: unquoted keys, trailing commas, comments). A
//!   flow-style document thus gives the same results as the same document in block style.
//!   Kubernetes' `YAMLOrJSONDecoder` also tries JSON first (on a leading `{`) and falls
//!   back to YAML when JSON fails (kubernetes/kubernetes#130666).
//! * A document that starts like JSON but is neither JSON nor YAML gets the JSON error,
//!   after the values read before it (Kubernetes reports the JSON error when both fail),
//!   unless JSON failed within its first value and YAML read further: then it gets one YAML
//!   error. JSON reads up to the character it rejects (all of the document when it ends too
//!   early or nests too deep), YAML up to the token it rejects (all of the document for an
//!   unclosed bracket). So a JSON document with a typo, or with a second value that is not
//!   JSON, gets the JSON error, and a flow-style document that JSON rejects at its first
//!   unquoted key, comment or trailing comma gets the YAML error.
//! * Anything else is YAML.
//!
//! YAML is read as Kubernetes reads it:
//! * YAML 1.1 scalars: `yes`/`on` are booleans, `017` is octal, and an integral float such
//!   as `80.0` is an integer (Kubernetes converts YAML to JSON before decoding);
//! * a repeated key replaces the earlier value (last wins);
//! * anchors, aliases and `<<` merge keys are expanded (with limits against alias bombs).
//!
//! In JSON, a repeated key whose values are both objects is merged, as Go's decoder does.
//!
//! ## Objects and their indices
//!
//! Each non-empty document yields one object; a `kind: List` (or any `*List` kind with
//! `items`) yields one object per item instead, nested lists are flattened, and a JSON
//! document yields one object per concatenated value. A document whose value is `null`
//! yields nothing.
//!
//! **`doc` is the 0-based index of the object among all objects of the stream**, counting
//! evaluated objects, skipped objects and objects that failed to decode alike (a document
//! that fails to parse counts as one). List items share their document's `line`; a JSON
//! value's `line` is the line where the value starts; otherwise `line` is the document's
//! first line of content (after leading comments and blank lines).
//!
//! ## Kinds
//!
//! Only the `kind` is matched, whatever the `apiVersion` ([`TemplateLocation::for_kind`]):
//! `Pod`; `Deployment`, `ReplicaSet`, `StatefulSet`, `DaemonSet`, `Job`,
//! `ReplicationController` (`spec.template`); `CronJob`
//! (`spec.jobTemplate.spec.template`); `PodTemplate` (`template`). Every other kind, a
//! mapping without `kind`, and a document that is not a mapping is [`Entry::Skipped`].
//! A `Namespace` is [`Entry::Namespace`], with its labels.
//! The object's `name` and `namespace` are its own (a Deployment's, not its template's).
//!
//! ## Errors
//!
//! Errors are per object ([`DecodeError`]): a bad document never stops the documents after
//! it. A field of the wrong type is reported with its path in the object, e.g.
//! `spec.template.spec.containers[0].securityContext.privileged: invalid type: string
//! "true", expected a boolean`. YAML and JSON syntax errors carry the line of the error in
//! the stream.

mod decode;
mod error;
mod fast_yaml;
/// Line and column of a field path in a document ([`locate::index`], [`FieldIndex::locate`]).
pub mod locate;
mod object;
mod split;
mod value;

pub use decode::Decoded;
pub use error::{DecodeError, DecodeErrorKind};
pub use locate::{FieldIndex, Location};
pub use object::{
    Entry, Namespace, Object, OwnerReference, Ownership, PodTemplate, SkipReason, Skipped,
    TemplateLocation, ValueType,
};
pub use split::{Document, documents, documents_containing};

/// Decodes a whole stream: [`documents`], then [`Document::decode`] on each, numbered with
/// [`number`].
pub fn decode(text: &str) -> Decoded {
    let mut out: Decoded = documents(text).iter().flat_map(Document::decode).collect();
    number(&mut out, 0);
    out
}

/// Decodes one object already read as JSON (from the Kubernetes API, say) as a document
/// holding it would be decoded: a `List` yields its items. Lines are those of the
/// document, `line`.
pub fn decode_value(value: serde_json::Value, line: usize) -> Decoded {
    let mut out = Vec::new();
    decode::decode_value(value, line, "", &mut out);
    number(&mut out, 0);
    out
}

/// Sets the `doc` index of each result to `first`, `first + 1`, ...; returns the next
/// index. Use it to number the concatenated results of [`Document::decode`] (for example
/// when documents are decoded in parallel).
pub fn number(results: &mut [Result<Entry, DecodeError>], first: usize) -> usize {
    let mut next = first;
    for result in results {
        match result {
            Ok(entry) => entry.set_doc(next),
            Err(err) => err.doc = next,
        }
        next += 1;
    }
    next
}

#[cfg(test)]
mod tests;

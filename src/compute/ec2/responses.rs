//! Parsing EC2 answers into the compute model, and EC2 errors into [`Error`]. Every
//! answer's root must be `{Action}Response`; `<Response><Errors>` is the error it
//! carries; anything else (an HTML page, another call's answer, XML cut short) is
//! `Parse`, never a panic. Namespaces are not checked (moto writes AWS's without its
//! trailing slash).
//!
//! Listings return a [`Page`](crate::storage::Page) whose `next_token` is EC2's `nextToken` (an empty one
//! counts as none): the driver's listings run them through
//! [`storage::Pager`](crate::storage::Pager) (via `rt::paginate`), which ends a listing
//! that repeats a token or stalls on empty pages.

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::PROVIDER;
use crate::compute::NodeState;
use crate::error::{Error, ErrorKind, Result};
use crate::http::Response;

mod catalog;
mod instances;
mod resources;
pub(crate) mod tree;

pub use catalog::{
    describe_availability_zones, describe_images, describe_instance_types, describe_regions,
};
pub use instances::{describe_instances, run_instance, run_instances};
pub use resources::{
    VolumeAttachment, create_key_pair, create_snapshot, create_volume, describe_key_pairs,
    describe_snapshots, describe_volumes, import_key_pair, volume_attachment, volume_state,
};
use tree::Element;

/// The EC2 state name's [`NodeState`] (see the table in [`super`]).
pub fn node_state(name: &str) -> NodeState {
    match name {
        "pending" => NodeState::Pending,
        "running" => NodeState::Running,
        "shutting-down" | "stopping" => NodeState::Stopping,
        "stopped" => NodeState::Stopped,
        "terminated" => NodeState::Terminated,
        _ => NodeState::Unknown,
    }
}

/// The error kind of an EC2 error code, falling back on the status.
///
/// `*.NotFound` is `NotFound`; `*.Malformed`, `*.Format` and parameter errors are
/// `InvalidInput`;
/// `*.Duplicate` is `AlreadyExists`; `AuthFailure` and bad keys are `Unauthorized`,
/// `UnauthorizedOperation` is `PermissionDenied`; `RequestLimitExceeded` / `Throttling`
/// are `RateLimited`; a resource in the wrong state for the call (`IncorrectState`,
/// `IncorrectInstanceState`, `VolumeInUse`...) is `PreconditionFailed`: nothing was done,
/// and the same call may work once the state changes. `DryRunOperation` is not an error
/// to the caller of a dry run: see [`dry_run_outcome`].
pub fn kind_of(status: u16, code: Option<&str>) -> ErrorKind {
    let Some(code) = code else {
        return kind_of_status(status);
    };
    match code {
        c if c.ends_with(".NotFound") => ErrorKind::NotFound,
        c if c.ends_with(".Malformed") || c.ends_with(".Format") => ErrorKind::InvalidInput,
        c if c.ends_with(".Duplicate") => ErrorKind::AlreadyExists,
        c if c.ends_with(".InUse") => ErrorKind::PreconditionFailed,
        "AuthFailure"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "MissingAuthenticationToken"
        | "RequestExpired"
        | "ExpiredToken"
        | "IncompleteSignature" => ErrorKind::Unauthorized,
        "UnauthorizedOperation" | "OptInRequired" | "Blocked" | "PendingVerification" => {
            ErrorKind::PermissionDenied
        }
        "RequestLimitExceeded" | "Throttling" | "ThrottlingException" => ErrorKind::RateLimited,
        "IncorrectState"
        | "IncorrectInstanceState"
        | "VolumeInUse"
        | "InvalidVolume.ZoneMismatch"
        | "IncorrectModificationState" => ErrorKind::PreconditionFailed,
        "InvalidParameter"
        | "InvalidParameterValue"
        | "InvalidParameterCombination"
        | "MissingParameter"
        | "UnknownParameter"
        | "InvalidAction"
        | "ValidationError" => ErrorKind::InvalidInput,
        _ => kind_of_status(status),
    }
}

fn kind_of_status(status: u16) -> ErrorKind {
    match status {
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        429 | 503 => ErrorKind::RateLimited,
        _ => ErrorKind::Provider,
    }
}

/// The status an answer stands for, for the transport's retry decision: EC2 throttling
/// (`RequestLimitExceeded`, `Throttling`) is a 503 whatever status carries it, so it is
/// retried with backoff.
pub fn effective_status(resp: &Response) -> u16 {
    if resp.is_success() || resp.status >= 500 {
        return resp.status;
    }
    let doc = tree::parse(&resp.body, "Response").ok();
    let code = doc
        .as_ref()
        .and_then(error_element)
        .and_then(|e| e.text_of("Code"));
    match code.map(|c| kind_of(resp.status, Some(c))) {
        Some(ErrorKind::RateLimited) => 503,
        _ => resp.status,
    }
}

/// The error an answer carries: the first `<Error>`'s code and message, the
/// `<RequestID>`, the status. A body that is not an EC2 error (moto's HTML 500, say) is a
/// `Provider` error (or the status's kind) saying so.
pub fn error_from(resp: &Response, action: &str) -> Error {
    let doc = tree::parse(&resp.body, "Response").ok();
    let errors = doc.as_ref().and_then(error_element);
    let code = errors.and_then(|e| e.text_of("Code"));
    let message = errors.and_then(|e| e.text_of("Message")).unwrap_or("");
    let what = match errors {
        Some(_) => format!("{action}: {message:.300}"),
        None => format!("{action}: the answer is not an EC2 error"),
    };
    let mut e = Error::new(kind_of(resp.status, code), what.trim_end())
        .with_provider(PROVIDER)
        .with_status(resp.status);
    if let Some(c) = code {
        e = e.with_code(c);
    }
    let request_id = doc
        .as_ref()
        .and_then(|d| d.text_of("RequestID").or(d.text_of("RequestId")));
    match request_id.or_else(|| resp.header("x-amzn-requestid")) {
        Some(id) => e.with_request_id(id),
        None => e,
    }
}

/// `<Response><Errors><Error>` (or `<ErrorResponse><Error>`): the first error.
fn error_element(doc: &Element) -> Option<&Element> {
    match doc.name.as_str() {
        "Response" => doc.child("Errors")?.child("Error"),
        "ErrorResponse" => doc.child("Error"),
        _ => None,
    }
}

/// The document of a successful `action` answer, its root checked.
pub(crate) fn document(resp: &Response, action: &str) -> Result<Element> {
    if !resp.is_success() {
        return Err(error_from(resp, action));
    }
    let want = format!("{action}Response");
    let doc = tree::parse(&resp.body, &want).map_err(|what| parse_error(action, what))?;
    if doc.name == want {
        return Ok(doc);
    }
    if error_element(&doc).is_some() {
        return Err(error_from(resp, action));
    }
    Err(parse_error(
        action,
        format!("the answer's root is <{:.64}>, not <{want}>", doc.name),
    ))
}

/// What a dry run ([`Call::dry_run`](super::Call::dry_run)) found: `Ok` when EC2
/// answered `DryRunOperation` (the call would have succeeded), the error it would have
/// met otherwise (`PermissionDenied` for `UnauthorizedOperation`...). A success answer
/// means the flag was ignored and the call was done: that is a `Provider` error saying so.
pub fn dry_run_outcome(resp: &Response, action: &str) -> Result<()> {
    let e = match document(resp, action) {
        Ok(_) => {
            return Err(Error::new(
                ErrorKind::Provider,
                format!("{action}: the dry run was carried out"),
            )
            .with_provider(PROVIDER));
        }
        Err(e) => e,
    };
    match e.code() {
        Some("DryRunOperation") => Ok(()),
        _ => Err(e),
    }
}

/// One instance's state change, as Start/Stop/TerminateInstances report it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StateChange {
    /// The instance.
    pub id: String,
    /// Its state before the call.
    pub previous: NodeState,
    /// Its state now.
    pub current: NodeState,
}

/// The state changes of a StartInstances, StopInstances or TerminateInstances answer
/// (`action` names which).
pub fn state_changes(resp: &Response, action: &str) -> Result<Vec<StateChange>> {
    let doc = document(resp, action)?;
    doc.items("instancesSet")
        .map(|item| {
            let state = |which: &str| -> Result<NodeState> {
                let s = item.child(which).and_then(|s| s.text_of("name"));
                Ok(node_state(required(s, action, which)?))
            };
            Ok(StateChange {
                id: required(item.text_of("instanceId"), action, "instanceId")?.to_owned(),
                previous: state("previousState")?,
                current: state("currentState")?,
            })
        })
        .collect()
}

/// An answer that only says it was done (RebootInstances, DeleteKeyPair, DeleteVolume,
/// DeleteSnapshot): the root is checked, and a `<return>` (AWS sends one, moto not always)
/// must be `true`.
pub fn accepted(resp: &Response, action: &str) -> Result<()> {
    let doc = document(resp, action)?;
    match doc.text_of("return") {
        None | Some("true") => Ok(()),
        Some(_) => Err(Error::new(
            ErrorKind::Provider,
            format!("{action}: EC2 answered that it did not do it"),
        )
        .with_provider(PROVIDER)),
    }
}

/// A `Parse` error about an `action` answer, never quoting it.
pub(crate) fn parse_error(action: &str, what: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Parse, format!("{action}: {what}")).with_provider(PROVIDER)
}

/// A field that must be there.
pub(crate) fn required<'a>(v: Option<&'a str>, action: &str, field: &str) -> Result<&'a str> {
    v.ok_or_else(|| parse_error(action, format!("an item lacks <{field}>")))
}

/// A number field, where present.
pub(crate) fn number<T: std::str::FromStr>(
    e: &Element,
    field: &str,
    action: &str,
) -> Result<Option<T>> {
    match e.text_of(field) {
        None => Ok(None),
        Some(t) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| parse_error(action, format!("<{field}> is not a number"))),
    }
}

/// An ISO 8601 time field (`2026-12-06T12:18:33.000Z`), where present.
pub(crate) fn time_of(e: &Element, field: &str, action: &str) -> Result<Option<SystemTime>> {
    let Some(text) = e.text_of(field) else {
        return Ok(None);
    };
    let rfc = &time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(text.trim(), rfc)
        .map(|t| Some(SystemTime::from(t)))
        .map_err(|_| parse_error(action, format!("<{field}> is not a time")))
}

/// The `tagSet` as a map (a tag without a key is `Parse`).
pub(crate) fn tags(e: &Element, action: &str) -> Result<BTreeMap<String, String>> {
    e.items("tagSet")
        .map(|t| {
            let key = required(
                t.child("key")
                    .map(|k| k.text.as_str())
                    .filter(|k| !k.is_empty()),
                action,
                "key",
            )?;
            let value = t.child("value").map(|v| v.text.clone()).unwrap_or_default();
            Ok((key.to_owned(), value))
        })
        .collect()
}

/// The leaves of `e` not in `taken`, for `extra`.
pub(crate) fn extra_of(e: &Element, taken: &[&str]) -> BTreeMap<String, String> {
    e.leaves()
        .filter(|(k, _)| !taken.contains(k))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// `nextToken`, an empty one counting as none.
pub(crate) fn next_token(doc: &Element) -> Option<String> {
    doc.text_of("nextToken").map(str::to_owned)
}

#[cfg(test)]
#[path = "responses_tests.rs"]
mod tests;

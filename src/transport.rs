//! Requests to the frontend API: what to send (the platform adds the
//! credentials and SDK headers), and the decoded answer with the server's
//! clock reading on the way back.

use crate::prelude::*;

use crate::core::errors::{NetworkReason, SdkError};
use crate::core::options::Options;
use crate::core::response;
use crate::core::text;
use crate::core::time::parse_http_date;
use crate::platform::{Answer, Request};

/// A decoded 2xx answer: its raw `data` object, and the `Date` header in ms.
pub struct Reply {
    pub data: String,
    pub date_ms: Option<i64>,
}

/// The request for `method path`, as the session with `session_token` (or
/// signed out).
pub fn build(
    options: &Options,
    method: &'static str,
    path: &str,
    body: Option<String>,
    session_token: Option<&str>,
) -> Request {
    Request {
        method,
        url: text::concat(&[&options.base_url, "/sdk/v1", path]),
        session_token: session_token.map(Into::into),
        body,
        timeout_ms: options.request_timeout_ms,
    }
}

/// The `data` of an answer, or the error it (or its absence) means.
pub fn reply(answer: Result<Answer, NetworkReason>) -> Result<Reply, SdkError> {
    let answer = answer.map_err(SdkError::Network)?;
    let data = response::decode(answer.status, &answer.body)?;
    Ok(Reply {
        data: data.into(),
        date_ms: parse_http_date(&answer.date),
    })
}

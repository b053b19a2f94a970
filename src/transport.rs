//! Requests to the frontend API: credentials and SDK headers on the way out,
//! the decoded answer with the server's clock reading on the way back.

use crate::prelude::*;

use crate::core::errors::{NetworkReason, SdkError};
use crate::core::options::Options;
use crate::core::request::{self, ClientInfo};
use crate::core::response;
use crate::core::time::parse_http_date;
use crate::platform::{Answer, Clock, Entropy, Page, Request};

/// Identifiers sent in `X-SDK-Client`.
pub struct Identity {
    pub app_session_id: String,
    pub persistent_id: String,
}

/// A decoded 2xx answer: its raw `data` object, and the `Date` header in ms.
pub struct Reply {
    pub data: String,
    pub date_ms: Option<i64>,
}

pub fn random_uuid(entropy: &impl Entropy) -> String {
    let mut bytes = [0u8; 16];
    entropy.fill(&mut bytes);
    request::uuid(bytes)
}

/// The request for `method path`, with the session token if there is one.
pub fn build<P: Clock + Entropy + Page>(
    platform: &P,
    options: &Options,
    identity: &Identity,
    method: &'static str,
    path: &str,
    body: Option<String>,
    session_token: Option<&str>,
) -> Request {
    let event_id = ["event-id-", &random_uuid(platform)].concat();
    let client = request::sdk_client(&ClientInfo {
        event_id: &event_id,
        app_session_id: &identity.app_session_id,
        persistent_id: &identity.persistent_id,
        sent_at_ms: platform.now().wall,
        timezone: &platform.timezone(),
        app_identifier: &platform.hostname(),
        version: crate::VERSION,
    });
    let mut headers = vec![
        (
            "Authorization",
            request::authorization(&options.public_token, session_token),
        ),
        ("X-SDK-Client", client),
        ("X-SDK-Parent-Host", platform.origin()),
    ];
    if body.is_some() {
        headers.push(("Content-Type", "application/json".into()));
    }
    Request {
        method,
        url: [options.base_url.as_str(), "/sdk/v1", path].concat(),
        headers,
        body,
        timeout_ms: options.request_timeout_ms,
    }
}

/// The `data` of an answer, or the error it (or its absence) means.
pub fn reply(answer: Result<Answer, NetworkReason>) -> Result<Reply, SdkError> {
    let answer = answer.map_err(|reason| {
        let message = match reason {
            NetworkReason::Offline => "The device is offline",
            NetworkReason::Timeout => "The auth API did not answer in time",
            NetworkReason::Unreachable => "The auth API could not be reached",
        };
        SdkError::network(reason, message)
    })?;
    let data = response::decode(answer.status, &answer.body)?;
    Ok(Reply {
        data: data.into(),
        date_ms: parse_http_date(&answer.date),
    })
}

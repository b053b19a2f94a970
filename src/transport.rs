//! One request to the frontend API: credentials and SDK headers, the
//! timeout, and the decoded answer with the server's clock reading.

use crate::core::errors::SdkError;
use crate::core::json::Json;
use crate::core::options::Options;
use crate::core::request::{self, ClientInfo};
use crate::core::response;
use crate::core::time::parse_http_date;
use crate::platform::{Platform, Request};

/// Identifiers sent in `X-SDK-Client`.
pub struct Identity {
    pub app_session_id: String,
    pub persistent_id: String,
}

/// A decoded 2xx answer: its `data`, and the `Date` header in milliseconds.
pub struct Reply {
    pub data: Json,
    pub date_ms: Option<i64>,
}

pub async fn send<P: Platform>(
    platform: &P,
    options: &Options,
    identity: &Identity,
    method: &'static str,
    path: &str,
    body: Option<Json>,
    session_token: Option<&str>,
) -> Result<Reply, SdkError> {
    let mut random = [0u8; 16];
    platform.fill(&mut random);
    let event_id = ["event-id-", &request::uuid(random)].concat();
    let hostname = platform.hostname();
    let client = request::sdk_client(&ClientInfo {
        event_id: &event_id,
        app_session_id: &identity.app_session_id,
        persistent_id: &identity.persistent_id,
        sent_at_ms: platform.now().wall,
        timezone: &platform.timezone(),
        app_identifier: &hostname,
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
    let answer = platform
        .send(Request {
            method,
            url: [options.base_url.as_str(), "/sdk/v1", path].concat(),
            headers,
            body: body.map(|b| b.text()),
            timeout_ms: options.request_timeout_ms,
        })
        .await
        .map_err(|reason| {
            let message = match reason {
                crate::core::errors::NetworkReason::Offline => "The device is offline",
                crate::core::errors::NetworkReason::Timeout => {
                    "The auth API did not answer in time"
                }
                crate::core::errors::NetworkReason::Unreachable => {
                    "The auth API could not be reached"
                }
            };
            SdkError::network(reason, message)
        })?;
    let data = response::decode(answer.status, &answer.body)?;
    Ok(Reply {
        data,
        date_ms: parse_http_date(&answer.date),
    })
}

//! `POST /sdk/v1/events`: the browser SDK's telemetry, checked and kept in memory for `/dev/events` (`dev::events`).
//!
//! Stytch's SDK batches events (at most 15, every 0.8 s) and posts them
//! with a plain `fetch`: a JSON **array** of `{telemetry, event}`, no Basic
//! header, no cookies, the answer ignored. Its `event` carries the
//! `public_token`. The answer is immediate (no database): `{"data":
//! {request_id, status_code}}`.

use axum::{
    body::Bytes,
    extract::State,
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::Value;

use crate::{
    clock::Timestamp,
    dev::events::ReceivedEvent,
    error::{ApiError, ApiResult},
    http::{credentials::check_public_token, face::sdk_response, Api, SdkOrigin},
    state::AppState,
};

/// Most events one request may carry (the SDK sends at most 15).
pub const MAX_BATCH: usize = 50;
/// Largest serialized event (telemetry and event together).
pub const MAX_EVENT_BYTES: usize = 8 * 1024;

pub fn mount(api: Api) -> Api {
    api.sdk_route("/events", post(events))
}

async fn events(State(state): State<AppState>, _origin: SdkOrigin, body: Bytes) -> Response {
    match accept(&state, &body) {
        Ok(received) => {
            state.events.record(received);
            sdk_response(serde_json::json!({}))
        }
        Err(err) => err.into_response(),
    }
}

fn accept(state: &AppState, body: &[u8]) -> ApiResult<Vec<ReceivedEvent>> {
    let batch = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(batch)) => batch,
        Ok(_) => {
            return Err(ApiError::bad_request(
                "The body must be a JSON array of {telemetry, event} objects.",
            ))
        }
        Err(e) => {
            return Err(ApiError::bad_request(format!(
                "The body is not valid JSON: {e}."
            )))
        }
    };
    if batch.len() > MAX_BATCH {
        return Err(ApiError::bad_request(format!(
            "At most {MAX_BATCH} events per request (got {}).",
            batch.len()
        )));
    }
    let now = state.now();
    batch
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            if item.to_string().len() > MAX_EVENT_BYTES {
                return Err(ApiError::bad_request(format!(
                    "Event [{i}] is larger than {MAX_EVENT_BYTES} bytes."
                )));
            }
            let Value::Object(mut item) = item else {
                return Err(ApiError::bad_request(format!(
                    "Event [{i}] must be an object with `telemetry` and `event`."
                )));
            };
            let (Some(telemetry @ Value::Object(_)), Some(event @ Value::Object(_))) =
                (item.remove("telemetry"), item.remove("event"))
            else {
                return Err(ApiError::bad_request(format!(
                    "Event [{i}] needs the objects `telemetry` and `event`."
                )));
            };
            check_public_token(state, event["public_token"].as_str().unwrap_or(""))?;
            Ok(ReceivedEvent {
                received_at: Timestamp(now),
                telemetry,
                event,
            })
        })
        .collect()
}

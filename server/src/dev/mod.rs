//! Development facilities under `/dev`: the outbox and the SDK events (always on), fault injection and the movable clock (behind `--enable-dev-faults`).

pub mod events;
pub mod faults;
pub mod idp;
pub mod outbox;
pub mod same_origin;

use axum::{
    extract::State,
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::Value;

use crate::{clock::Timestamp, error::ApiResult, http::Input, state::AppState};

/// Escapes text for an HTML page (element content and quoted attributes).
fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The `/dev` routes for this configuration.
pub fn routes(state: &AppState) -> Router<AppState> {
    let mut router = Router::new()
        .route("/dev/outbox", get(outbox::list).delete(outbox::clear))
        .route("/dev/events", get(events::list).delete(events::clear))
        // The OAuth development identity provider (always on; under /idp, see idp.rs).
        .merge(idp::routes());
    if state.config.enable_dev_faults {
        router = router
            .route(
                "/dev/faults",
                post(faults::arm).get(faults::list).delete(faults::clear),
            )
            .route("/dev/clock", get(clock_get).post(clock_advance));
    }
    router
}

#[derive(Debug, Deserialize)]
struct AdvanceRequest {
    advance_seconds: i64,
}

fn clock_body(state: &AppState) -> Json<Value> {
    Json(serde_json::json!({
        "now": Timestamp(state.now()),
        "offset_seconds": state.clock.offset(),
    }))
}

/// `GET /dev/clock`: the server's notion of now.
async fn clock_get(State(state): State<AppState>) -> Json<Value> {
    clock_body(&state)
}

/// `POST /dev/clock {advance_seconds}`: moves the server clock, so a test
/// can expire sessions and codes without waiting.
async fn clock_advance(
    State(state): State<AppState>,
    Input(req): Input<AdvanceRequest>,
) -> ApiResult<Json<Value>> {
    if !(-366 * 86_400..=366 * 86_400).contains(&req.advance_seconds) {
        return Err(crate::error::ApiError::bad_request(
            "`advance_seconds` must be within ±366 days.",
        ));
    }
    state.clock.advance(req.advance_seconds);
    Ok(clock_body(&state))
}

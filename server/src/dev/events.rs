//! The browser SDK's telemetry as the developer sees it: the last [`KEPT`] events in memory, and `GET`/`DELETE /dev/events` (JSON, or a page for a browser).

use std::{
    collections::VecDeque,
    sync::{Mutex, PoisonError},
};

use axum::{
    extract::State,
    http::HeaderMap,
    response::{Html, IntoResponse, Response},
    Json,
};
use serde::Serialize;
use serde_json::Value;

use crate::{clock::Timestamp, dev::escape, state::AppState};

/// How many events are kept (the oldest go first).
pub const KEPT: usize = 100;

/// One telemetry event as the SDK sent it, with when it arrived.
#[derive(Debug, Clone, Serialize)]
pub struct ReceivedEvent {
    pub received_at: Timestamp,
    pub telemetry: Value,
    pub event: Value,
}

/// The last [`KEPT`] events, newest last. Nothing is written to disk:
/// telemetry is for watching a page run, not for keeping.
#[derive(Debug, Default)]
pub struct EventLog {
    events: Mutex<VecDeque<ReceivedEvent>>,
}

impl EventLog {
    pub fn record(&self, events: impl IntoIterator<Item = ReceivedEvent>) {
        let mut kept = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        for event in events {
            if kept.len() == KEPT {
                kept.pop_front();
            }
            kept.push_back(event);
        }
    }

    /// Newest first.
    pub fn newest_first(&self) -> Vec<ReceivedEvent> {
        let kept = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        kept.iter().rev().cloned().collect()
    }

    pub fn clear(&self) -> usize {
        let mut kept = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        let count = kept.len();
        kept.clear();
        count
    }
}

/// `GET /dev/events`: `{"events": [...]}` newest first, or a page.
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let events = state.events.newest_first();
    if super::outbox::wants_html(&headers) {
        Html(render_html(&events)).into_response()
    } else {
        Json(serde_json::json!({ "events": events })).into_response()
    }
}

/// `DELETE /dev/events`.
pub async fn clear(State(state): State<AppState>) -> Json<Value> {
    Json(serde_json::json!({ "deleted": state.events.clear() }))
}

fn render_html(events: &[ReceivedEvent]) -> String {
    let mut rows = String::new();
    for received in events {
        let name = received.event["event_name"].as_str().unwrap_or("");
        let sdk = received.telemetry["sdk"]["version"]
            .as_str()
            .or_else(|| received.telemetry["sdk"]["identifier"].as_str())
            .unwrap_or("");
        let details = serde_json::to_string_pretty(&received.event).unwrap_or_default();
        rows.push_str(&format!(
            "<tr><td>{}</td><td><strong>{}</strong></td><td>{}</td><td><pre>{}</pre></td></tr>\n",
            escape(&received.received_at.to_rfc3339()),
            escape(name),
            escape(sdk),
            escape(&details),
        ));
    }
    if events.is_empty() {
        rows.push_str("<tr><td colspan=\"4\">No events yet.</td></tr>\n");
    }
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>latchkey-server · SDK events</title>
<style>
body {{ font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #1d1d1f; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .5rem; text-align: left; vertical-align: top; }}
pre {{ white-space: pre-wrap; margin: 0; font-size: 13px; color: #555; }}
</style></head>
<body>
<h1>SDK events</h1>
<p>The last {KEPT} telemetry events browser SDKs sent to <code>POST /sdk/v1/events</code>, newest first (kept in memory only). Refreshes every 5 seconds. JSON: <code>GET /dev/events</code>.</p>
<table><thead><tr><th>Received</th><th>Event</th><th>SDK</th><th>Event body</th></tr></thead>
<tbody>
{rows}</tbody></table>
</body></html>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: usize) -> ReceivedEvent {
        ReceivedEvent {
            received_at: Timestamp(n as i64),
            telemetry: serde_json::json!({}),
            event: serde_json::json!({ "event_name": format!("e{n}") }),
        }
    }

    #[test]
    fn only_the_last_events_are_kept_newest_first() {
        let log = EventLog::default();
        log.record((0..KEPT + 5).map(event));
        let kept = log.newest_first();
        assert_eq!(kept.len(), KEPT);
        assert_eq!(kept[0].event["event_name"], format!("e{}", KEPT + 4));
        assert_eq!(kept[KEPT - 1].event["event_name"], "e5");
        assert_eq!(log.clear(), KEPT);
        assert!(log.newest_first().is_empty());
    }

    #[test]
    fn the_page_escapes_what_pages_sent() {
        let mut e = event(1);
        e.event = serde_json::json!({ "event_name": "<script>x</script>" });
        let html = render_html(&[e]);
        assert!(!html.contains("<script>x"));
        assert!(html.contains("&lt;script&gt;"));
    }
}

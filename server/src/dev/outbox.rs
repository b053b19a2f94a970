//! The development outbox: `deliver` for modules that send email/SMS, and `GET /dev/outbox` as JSON or HTML.

use axum::{
    extract::{rejection::QueryRejection, Query, State},
    http::{header, HeaderMap},
    response::{Html, IntoResponse, Response},
    Json,
};
use serde::Deserialize;

use crate::{
    dev::escape,
    error::{ApiError, ApiResult},
    state::AppState,
    store::outbox::{self as store, Message, OutboxEntry},
};

pub use crate::store::outbox::{Channel, Message as OutboxMessage};

/// Stores `message` in the outbox (that is what "sending" means here) and
/// logs a line with its link or code. To deliver inside the transaction that
/// created a token, call `store::outbox::insert` there and [`log_delivery`]
/// after the commit instead.
pub async fn deliver(state: &AppState, message: Message) -> ApiResult<OutboxEntry> {
    let now = state.now();
    let entry = state
        .db
        .call(move |c| store::insert(c, &message, now))
        .await?;
    log_delivery(&entry);
    Ok(entry)
}

/// The log line a delivery prints, so a developer can follow a flow from the terminal.
pub fn log_delivery(entry: &OutboxEntry) {
    let what = entry
        .link
        .as_deref()
        .or(entry.code.as_deref())
        .unwrap_or(&entry.subject);
    crate::log(format_args!(
        "outbox: {} to {}: {}",
        entry.channel.as_str(),
        entry.recipient,
        what
    ));
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    recipient: Option<String>,
    limit: Option<u32>,
}

/// `GET /dev/outbox[?recipient=…&limit=…]`: newest first. JSON
/// `{"messages": [...]}` unless the client prefers HTML (a browser), which
/// gets a readable page.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let recipient = query.recipient.filter(|r| !r.is_empty());
    let filter = recipient.clone();
    let entries = state
        .db
        .call(move |c| store::list(c, filter.as_deref(), limit))
        .await?;
    if wants_html(&headers) {
        Ok(Html(render_html(&entries, recipient.as_deref())).into_response())
    } else {
        Ok(Json(serde_json::json!({ "messages": entries })).into_response())
    }
}

/// `DELETE /dev/outbox`: empties it (tests that want a clean slate).
pub async fn clear(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    let deleted = state.db.call(|c| store::clear(c)).await?;
    Ok(Json(serde_json::json!({ "deleted": deleted })))
}

pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

fn render_html(entries: &[OutboxEntry], recipient: Option<&str>) -> String {
    let mut rows = String::new();
    for entry in entries {
        let action = match (&entry.link, &entry.code) {
            (Some(link), _) if link.starts_with("http://") || link.starts_with("https://") => {
                format!(r#"<a href="{0}">{0}</a>"#, escape(link))
            }
            (Some(link), _) => escape(link),
            (None, Some(code)) => format!("<code class=\"code\">{}</code>", escape(code)),
            (None, None) => String::new(),
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><strong>{}</strong><pre>{}</pre></td><td>{}</td></tr>\n",
            escape(&entry.created_at.to_rfc3339()),
            escape(entry.channel.as_str()),
            escape(&entry.recipient),
            escape(&entry.subject),
            escape(&entry.body),
            action,
        ));
    }
    if entries.is_empty() {
        rows.push_str("<tr><td colspan=\"5\">No messages yet.</td></tr>\n");
    }
    let heading = match recipient {
        Some(r) => format!("Outbox for {}", escape(r)),
        None => "Outbox".to_string(),
    };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>latchkey-server · {heading}</title>
<style>
body {{ font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #1d1d1f; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .5rem; text-align: left; vertical-align: top; }}
pre {{ white-space: pre-wrap; margin: .25rem 0 0; font: inherit; color: #555; }}
.code {{ font-size: 1.4rem; letter-spacing: .2rem; }}
</style></head>
<body>
<h1>{heading}</h1>
<p>Every email and text message the local auth server would have sent, newest first. Refreshes every 5 seconds. JSON: <code>GET /dev/outbox</code>.</p>
<table><thead><tr><th>Sent</th><th>Channel</th><th>To</th><th>Message</th><th>Link or code</th></tr></thead>
<tbody>
{rows}</tbody></table>
</body></html>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;

    #[test]
    fn html_is_escaped() {
        let entry = OutboxEntry {
            id: "message-test-1".into(),
            channel: Channel::Email,
            recipient: "<script>@x.io".into(),
            subject: "Log in".into(),
            body: "a & b".into(),
            link: Some("http://localhost:5173/?token=\"x\"".into()),
            code: None,
            created_at: Timestamp(0),
        };
        let html = render_html(&[entry], None);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("a &amp; b"));
        assert!(html.contains("token=&quot;x&quot;"));
    }
}

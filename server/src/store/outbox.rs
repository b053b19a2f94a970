//! Table `outbox`: every email, SMS and WhatsApp message the server "sends", kept for development.

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use crate::{clock::Timestamp, error::ApiResult, ids};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
    Whatsapp,
}

impl Channel {
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
        }
    }

    fn parse(raw: &str) -> Channel {
        match raw {
            "sms" => Channel::Sms,
            "whatsapp" => Channel::Whatsapp,
            _ => Channel::Email,
        }
    }
}

/// A message to deliver. `link` (magic links, resets) or `code` (OTPs) is
/// what a test or a developer needs to complete the flow.
#[derive(Debug, Clone)]
pub struct Message {
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub link: Option<String>,
    pub code: Option<String>,
}

/// A delivered message as `GET /dev/outbox` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub id: String,
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub link: Option<String>,
    pub code: Option<String>,
    pub created_at: Timestamp,
}

/// Stores a message; usable inside the transaction that created the token it carries.
pub fn insert(conn: &Connection, message: &Message, now: i64) -> ApiResult<OutboxEntry> {
    let id = ids::new_id("message");
    conn.execute(
        "INSERT INTO outbox (message_id, channel, recipient, subject, body, link, code, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            id,
            message.channel.as_str(),
            message.recipient,
            message.subject,
            message.body,
            message.link,
            message.code,
            now
        ],
    )?;
    Ok(OutboxEntry {
        id,
        channel: message.channel,
        recipient: message.recipient.clone(),
        subject: message.subject.clone(),
        body: message.body.clone(),
        link: message.link.clone(),
        code: message.code.clone(),
        created_at: Timestamp(now),
    })
}

/// Newest first; `recipient` matches case-insensitively.
pub fn list(conn: &Connection, recipient: Option<&str>, limit: u32) -> ApiResult<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT message_id, channel, recipient, subject, body, link, code, created_at FROM outbox \
         WHERE (?1 IS NULL OR lower(recipient) = lower(?1)) ORDER BY seq DESC LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![recipient, limit], |row| {
            Ok(OutboxEntry {
                id: row.get(0)?,
                channel: Channel::parse(&row.get::<_, String>(1)?),
                recipient: row.get(2)?,
                subject: row.get(3)?,
                body: row.get(4)?,
                link: row.get(5)?,
                code: row.get(6)?,
                created_at: Timestamp(row.get(7)?),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn clear(conn: &Connection) -> ApiResult<usize> {
    Ok(conn.execute("DELETE FROM outbox", [])?)
}

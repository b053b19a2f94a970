//! Table `sessions`: live sessions, looked up by the SHA-256 of their token or by id.
//!
//! Every reader takes `now` and treats a session with `expires_at <= now` as
//! absent, so expiry holds even before the pruning sweep deletes the row.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

use crate::{
    clock::Timestamp,
    error::ApiResult,
    model::{Attributes, AuthenticationFactor, Session},
    store::json_column,
};

#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub session_id: String,
    pub user_id: String,
    pub started_at: i64,
    pub last_accessed_at: i64,
    pub expires_at: i64,
    pub attributes: Attributes,
    pub factors: Vec<AuthenticationFactor>,
    pub custom_claims: Map<String, Value>,
}

impl SessionRow {
    pub fn to_wire(&self) -> Session {
        Session {
            session_id: self.session_id.clone(),
            user_id: self.user_id.clone(),
            started_at: Timestamp(self.started_at),
            last_accessed_at: Timestamp(self.last_accessed_at),
            expires_at: Timestamp(self.expires_at),
            attributes: self.attributes.clone(),
            authentication_factors: self.factors.clone(),
            custom_claims: Value::Object(self.custom_claims.clone()),
            roles: Vec::new(),
        }
    }
}

const COLUMNS: &str = "session_id, user_id, started_at, last_accessed_at, expires_at, ip_address, \
                       user_agent, factors, custom_claims";

fn session_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
    let factors: String = row.get(7)?;
    let claims: String = row.get(8)?;
    Ok(SessionRow {
        session_id: row.get(0)?,
        user_id: row.get(1)?,
        started_at: row.get(2)?,
        last_accessed_at: row.get(3)?,
        expires_at: row.get(4)?,
        attributes: Attributes {
            ip_address: row.get(5)?,
            user_agent: row.get(6)?,
        },
        factors: serde_json::from_str(&factors).unwrap_or_default(),
        custom_claims: match json_column(&claims, Value::Null) {
            Value::Object(map) => map,
            _ => Map::new(),
        },
    })
}

pub fn insert(conn: &Connection, session: &SessionRow, token_hash: &str) -> ApiResult<()> {
    conn.execute(
        &format!(
            "INSERT INTO sessions ({COLUMNS}, token_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        ),
        params![
            session.session_id,
            session.user_id,
            session.started_at,
            session.last_accessed_at,
            session.expires_at,
            session.attributes.ip_address,
            session.attributes.user_agent,
            serde_json::to_string(&session.factors)?,
            Value::Object(session.custom_claims.clone()).to_string(),
            token_hash,
        ],
    )?;
    Ok(())
}

/// Writes back the mutable parts (times, attributes, factors, claims).
pub fn save(conn: &Connection, session: &SessionRow) -> ApiResult<bool> {
    Ok(conn.execute(
        "UPDATE sessions SET last_accessed_at = ?2, expires_at = ?3, ip_address = ?4, user_agent = ?5, \
         factors = ?6, custom_claims = ?7 WHERE session_id = ?1",
        params![
            session.session_id,
            session.last_accessed_at,
            session.expires_at,
            session.attributes.ip_address,
            session.attributes.user_agent,
            serde_json::to_string(&session.factors)?,
            Value::Object(session.custom_claims.clone()).to_string(),
        ],
    )? == 1)
}

pub fn find_by_token_hash(
    conn: &Connection,
    token_hash: &str,
    now: i64,
) -> ApiResult<Option<SessionRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM sessions WHERE token_hash = ?1 AND expires_at > ?2"
        ))?
        .query_row(params![token_hash, now], session_row)
        .optional()?)
}

pub fn get(conn: &Connection, session_id: &str, now: i64) -> ApiResult<Option<SessionRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM sessions WHERE session_id = ?1 AND expires_at > ?2"
        ))?
        .query_row(params![session_id, now], session_row)
        .optional()?)
}

/// Live sessions of a user, oldest first.
pub fn list_for_user(conn: &Connection, user_id: &str, now: i64) -> ApiResult<Vec<SessionRow>> {
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM sessions WHERE user_id = ?1 AND expires_at > ?2 \
             ORDER BY started_at, rowid"
        ))?
        .query_map(params![user_id, now], session_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Revokes (deletes) one session; returns whether it existed.
pub fn delete(conn: &Connection, session_id: &str) -> ApiResult<bool> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE session_id = ?1",
        params![session_id],
    )? == 1)
}

/// Revokes every session of `user_id` except `keep` (all of them for `None`).
pub fn delete_for_user_except(
    conn: &Connection,
    user_id: &str,
    keep: Option<&str>,
) -> ApiResult<usize> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND session_id IS NOT ?2",
        params![user_id, keep],
    )?)
}

pub fn prune_expired(conn: &Connection, now: i64) -> ApiResult<usize> {
    Ok(conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", params![now])?)
}

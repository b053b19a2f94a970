//! Tables `webauthn_registrations` and `webauthn_challenges`: registered credentials and pending ceremonies.
//!
//! A registration keeps the verification library's own credential record
//! (JSON: public key, sign counter, flags) next to the columns the API shows.
//! A ceremony's state is keyed by the SHA-256 of its challenge, because the
//! finishing request names its challenge only inside `clientDataJSON`.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

use crate::{
    error::{ApiError, ApiResult, ErrorType},
    ids,
    model::WebAuthnRegistration,
    store::{is_unique_violation, json_column},
};

#[derive(Debug, Clone, PartialEq)]
pub struct RegistrationRow {
    pub webauthn_registration_id: String,
    pub user_id: String,
    /// base64url (no padding) of the credential id.
    pub credential_id: String,
    /// base64url of the `user.id` bytes the credential was created with.
    pub user_handle: String,
    pub domain: String,
    pub user_agent: String,
    pub authenticator_type: String,
    pub name: String,
    /// The library's credential record (JSON).
    pub credential: String,
    pub sign_count: i64,
}

impl RegistrationRow {
    pub fn to_wire(&self) -> WebAuthnRegistration {
        WebAuthnRegistration {
            webauthn_registration_id: self.webauthn_registration_id.clone(),
            domain: self.domain.clone(),
            user_agent: self.user_agent.clone(),
            authenticator_type: self.authenticator_type.clone(),
            verified: true,
            name: self.name.clone(),
        }
    }
}

const COLUMNS: &str = "webauthn_registration_id, user_id, credential_id, user_handle, domain, \
                       user_agent, authenticator_type, name, credential, sign_count";

fn registration_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RegistrationRow> {
    Ok(RegistrationRow {
        webauthn_registration_id: row.get(0)?,
        user_id: row.get(1)?,
        credential_id: row.get(2)?,
        user_handle: row.get(3)?,
        domain: row.get(4)?,
        user_agent: row.get(5)?,
        authenticator_type: row.get(6)?,
        name: row.get(7)?,
        credential: row.get(8)?,
        sign_count: row.get(9)?,
    })
}

/// Stores a verified registration; 400 `duplicate_webauthn_registration` if
/// the credential id is registered already (to anyone).
pub fn insert(conn: &Connection, row: &RegistrationRow, now: i64) -> ApiResult<()> {
    conn.execute(
        &format!("INSERT INTO webauthn_registrations ({COLUMNS}, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
        params![
            row.webauthn_registration_id,
            row.user_id,
            row.credential_id,
            row.user_handle,
            row.domain,
            row.user_agent,
            row.authenticator_type,
            row.name,
            row.credential,
            row.sign_count,
            now
        ],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::new(
                ErrorType::DuplicateWebauthnRegistration,
                "This authenticator's credential is already registered.",
            )
        } else {
            e.into()
        }
    })?;
    Ok(())
}

pub fn get(
    conn: &Connection,
    webauthn_registration_id: &str,
) -> ApiResult<Option<RegistrationRow>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM webauthn_registrations WHERE webauthn_registration_id = ?1"
            ),
            params![webauthn_registration_id],
            registration_row,
        )
        .optional()?)
}

pub fn find_by_credential_id(
    conn: &Connection,
    credential_id: &str,
) -> ApiResult<Option<RegistrationRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM webauthn_registrations WHERE credential_id = ?1"),
            params![credential_id],
            registration_row,
        )
        .optional()?)
}

/// A user's registrations, oldest first; only those of `domain` when given.
pub fn rows_for_user(
    conn: &Connection,
    user_id: &str,
    domain: Option<&str>,
) -> ApiResult<Vec<RegistrationRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM webauthn_registrations WHERE user_id = ?1 \
             AND (?2 IS NULL OR domain = ?2) ORDER BY created_at, rowid"
        ))?
        .query_map(params![user_id, domain], registration_row)?
        .collect::<Result<Vec<_>, _>>()?)
}

/// `User.webauthn_registrations`.
pub fn for_user(conn: &Connection, user_id: &str) -> ApiResult<Vec<WebAuthnRegistration>> {
    Ok(rows_for_user(conn, user_id, None)?
        .iter()
        .map(RegistrationRow::to_wire)
        .collect())
}

pub fn count_for_user(conn: &Connection, user_id: &str) -> ApiResult<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM webauthn_registrations WHERE user_id = ?1",
        params![user_id],
        |row| row.get(0),
    )?)
}

/// Records a successful assertion: the library's updated credential record
/// and its counter.
pub fn record_use(
    conn: &Connection,
    webauthn_registration_id: &str,
    credential: &str,
    sign_count: i64,
    now: i64,
) -> ApiResult<()> {
    conn.execute(
        "UPDATE webauthn_registrations SET credential = ?2, sign_count = ?3, last_used_at = ?4 \
         WHERE webauthn_registration_id = ?1",
        params![webauthn_registration_id, credential, sign_count, now],
    )?;
    Ok(())
}

pub fn rename(conn: &Connection, webauthn_registration_id: &str, name: &str) -> ApiResult<bool> {
    Ok(conn.execute(
        "UPDATE webauthn_registrations SET name = ?2 WHERE webauthn_registration_id = ?1",
        params![webauthn_registration_id, name],
    )? == 1)
}

pub fn delete(conn: &Connection, webauthn_registration_id: &str) -> ApiResult<bool> {
    Ok(conn.execute(
        "DELETE FROM webauthn_registrations WHERE webauthn_registration_id = ?1",
        params![webauthn_registration_id],
    )? == 1)
}

pub fn new_registration_id() -> String {
    ids::new_id("webauthn-registration")
}

// ---- pending ceremonies -----------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceremony {
    Register,
    Authenticate,
}

impl Ceremony {
    fn as_str(self) -> &'static str {
        match self {
            Ceremony::Register => "register",
            Ceremony::Authenticate => "authenticate",
        }
    }
}

/// A started ceremony, waiting for the browser's credential.
#[derive(Debug, Clone)]
pub struct ChallengeRow {
    /// Registration: the registering user. Authentication: the user the
    /// credential must belong to, or `None` for a passkey sign-in.
    pub user_id: Option<String>,
    pub domain: String,
    /// The library's ceremony state (JSON).
    pub state: String,
    pub extra: Map<String, Value>,
}

pub fn insert_challenge(
    conn: &Connection,
    challenge_hash: &str,
    ceremony: Ceremony,
    row: &ChallengeRow,
    expires_at: i64,
) -> ApiResult<()> {
    conn.execute(
        "INSERT INTO webauthn_challenges (challenge_hash, ceremony, user_id, domain, state, extra, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            challenge_hash,
            ceremony.as_str(),
            row.user_id,
            row.domain,
            row.state,
            Value::Object(row.extra.clone()).to_string(),
            expires_at
        ],
    )?;
    Ok(())
}

/// Removes and returns the live ceremony with this challenge: each challenge
/// is answered at most once, whether the answer then verifies or not.
pub fn take_challenge(
    conn: &Connection,
    challenge_hash: &str,
    ceremony: Ceremony,
    now: i64,
) -> ApiResult<Option<ChallengeRow>> {
    let found = conn
        .query_row(
            "SELECT user_id, domain, state, extra, expires_at FROM webauthn_challenges \
             WHERE challenge_hash = ?1 AND ceremony = ?2",
            params![challenge_hash, ceremony.as_str()],
            |row| {
                Ok((
                    ChallengeRow {
                        user_id: row.get(0)?,
                        domain: row.get(1)?,
                        state: row.get(2)?,
                        extra: match json_column(&row.get::<_, String>(3)?, Value::Null) {
                            Value::Object(map) => map,
                            _ => Map::new(),
                        },
                    },
                    row.get::<_, i64>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((row, expires_at)) = found else {
        return Ok(None);
    };
    conn.execute(
        "DELETE FROM webauthn_challenges WHERE challenge_hash = ?1",
        params![challenge_hash],
    )?;
    Ok((expires_at > now).then_some(row))
}

/// Deletes ceremonies nobody finished in time.
pub fn prune_challenges(conn: &Connection, now: i64) -> ApiResult<()> {
    conn.execute(
        "DELETE FROM webauthn_challenges WHERE expires_at <= ?1",
        params![now],
    )?;
    Ok(())
}

//! Queries the passwordless modules (magic links, OTPs, OAuth) need beyond `one_time` and `users`:
//! the state of the newest OTP code, and emails / phone numbers whose id was chosen before they were attached.
//!
//! **Attaching a new address to a signed-in user** (magic link
//! `send/secondary`, OTP `send/secondary`, `/v1` sends with `user_id` or a
//! session) works like this: the send picks the future `email_id` /
//! `phone_id` and stores it, with the address, in the token (`extra.attach`).
//! Nothing is added to the user yet. Authenticating the token inserts the
//! address, verified, under that id. So an address nobody proved is never on
//! a user (no one can plant an address on their account and later receive
//! its owner's logins), and the send response can already name the id.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

use crate::{
    error::{ApiError, ApiResult, ErrorType},
    store::{is_unique_violation, json_column, one_time::TokenKind, ownership, users},
};

/// The key in a token's `extra` that holds the address to attach.
pub const ATTACH_KEY: &str = "attach";

/// The id (`email_id` / `phone_id`) already chosen for attaching `address` to
/// `user_id` by a live, unused token of `kind`, so that sending again reuses
/// it (and, for OTPs, supersedes the earlier code).
pub fn pending_attachment(
    conn: &Connection,
    kind: TokenKind,
    user_id: &str,
    address: &str,
    now: i64,
) -> ApiResult<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT COALESCE(phone_id, email_id) FROM one_time_tokens \
             WHERE kind = ?1 AND user_id = ?2 AND json_extract(extra, '$.attach') = ?3 \
               AND used_at IS NULL AND expires_at > ?4 \
             ORDER BY created_at DESC, rowid DESC LIMIT 1",
            params![kind.as_str(), user_id, address, now],
            |row| row.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

/// Inserts a verified email under a pre-chosen id; 400 `duplicate_email` if
/// the address belongs to someone by now.
pub fn insert_email_with_id(
    conn: &Connection,
    email_id: &str,
    user_id: &str,
    email: &str,
    now: i64,
) -> ApiResult<()> {
    conn.execute(
        "INSERT INTO emails (email_id, user_id, email, verified, created_at) VALUES (?1, ?2, ?3, 1, ?4)",
        params![email_id, user_id, email, now],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::new(
                ErrorType::DuplicateEmail,
                format!("{email} was added to another user in the meantime."),
            )
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// Inserts a verified phone number under a pre-chosen id; 400
/// `duplicate_phone_number` if the number belongs to someone by now.
pub fn insert_phone_with_id(
    conn: &Connection,
    phone_id: &str,
    user_id: &str,
    phone_number: &str,
    now: i64,
) -> ApiResult<()> {
    conn.execute(
        "INSERT INTO phone_numbers (phone_id, user_id, phone_number, verified, created_at) \
         VALUES (?1, ?2, ?3, 1, ?4)",
        params![phone_id, user_id, phone_number, now],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::new(
                ErrorType::DuplicatePhoneNumber,
                format!("{phone_number} was added to another user in the meantime."),
            )
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// Marks an email verified by a proof of the inbox (magic link, email OTP,
/// OAuth, reset link). If it was unverified: an account a password sign-up
/// made from it is claimed (`ownership::claim`: its sessions end, factors
/// added meanwhile go), and a password of the user is flagged
/// `requires_reset`, since whoever set it never proved the inbox (as the
/// real service does). Returns whether the user's sessions were reset.
pub fn verify_email_by_proof(
    conn: &Connection,
    email: &users::EmailRow,
    now: i64,
) -> ApiResult<bool> {
    if email.verified {
        return Ok(false);
    }
    let reset = ownership::claim(conn, &email.user_id, &email.email_id, now)?;
    users::set_email_verified(conn, &email.email_id)?;
    if users::password_for_user(conn, &email.user_id)?.is_some() {
        users::set_password_requires_reset(conn, &email.user_id, true)?;
    }
    Ok(reset)
}

/// A user's `status` (`active` / `pending`), or `None` if there is no such user.
pub fn user_status(conn: &Connection, user_id: &str) -> ApiResult<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT status FROM users WHERE user_id = ?1",
            params![user_id],
            |row| row.get(0),
        )
        .optional()?)
}

/// Which column an OTP `method_id` is kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodColumn {
    EmailId,
    PhoneId,
}

/// The newest code of a method, as `find_code` will judge it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeState {
    pub used: bool,
    pub expired: bool,
    pub attempts: i64,
    /// What its send stored besides the code (delivery method, attributes, …).
    pub extra: Map<String, Value>,
}

impl CodeState {
    /// Whether a right code would still be accepted.
    pub fn is_live(&self, max_attempts: i64) -> bool {
        !self.used && !self.expired && self.attempts < max_attempts
    }
}

/// The state of the newest code of `kind` sent to a method, if any was sent.
pub fn latest_code(
    conn: &Connection,
    kind: TokenKind,
    column: MethodColumn,
    method_id: &str,
    now: i64,
) -> ApiResult<Option<CodeState>> {
    let column = match column {
        MethodColumn::EmailId => "email_id",
        MethodColumn::PhoneId => "phone_id",
    };
    Ok(conn
        .query_row(
            &format!(
                "SELECT used_at IS NOT NULL, expires_at <= ?3, attempts, extra FROM one_time_tokens \
                 WHERE kind = ?1 AND {column} = ?2 ORDER BY created_at DESC, rowid DESC LIMIT 1"
            ),
            params![kind.as_str(), method_id, now],
            |row| {
                let extra: String = row.get(3)?;
                Ok(CodeState {
                    used: row.get(0)?,
                    expired: row.get(1)?,
                    attempts: row.get(2)?,
                    extra: match json_column(&extra, Value::Null) {
                        Value::Object(map) => map,
                        _ => Map::new(),
                    },
                })
            },
        )
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{
        one_time::{self, TokenSpec},
        Db,
    };

    #[test]
    fn peeking_does_not_consume_and_pending_ids_are_found() {
        Db::open_in_memory()
            .unwrap()
            .blocking(|conn| {
                let user_id = users::insert_user(conn, &users::NewUser::default(), 0)?;
                let mut extra = serde_json::Map::new();
                extra.insert(ATTACH_KEY.into(), "new@example.com".into());
                let spec = TokenSpec {
                    user_id: Some(user_id.clone()),
                    email_id: Some("email-test-pending".into()),
                    expires_at: 100,
                    extra,
                    ..Default::default()
                };
                let issued = one_time::issue(conn, TokenKind::MagicLink, &spec, 0)?;
                let seen = one_time::peek(conn, TokenKind::MagicLink, &issued.token)?.unwrap();
                assert_eq!(seen.token_id, issued.token_id);
                assert!(one_time::peek(conn, TokenKind::Oauth, &issued.token)?.is_none());
                assert_eq!(
                    pending_attachment(conn, TokenKind::MagicLink, &user_id, "new@example.com", 1)?,
                    Some("email-test-pending".into())
                );
                assert_eq!(
                    pending_attachment(
                        conn,
                        TokenKind::MagicLink,
                        &user_id,
                        "new@example.com",
                        100
                    )?,
                    None
                );
                assert!(one_time::redeem(conn, TokenKind::MagicLink, &issued.token, 1)?.is_ok());
                assert_eq!(
                    pending_attachment(conn, TokenKind::MagicLink, &user_id, "new@example.com", 1)?,
                    None
                );
                insert_email_with_id(conn, "email-test-pending", &user_id, "new@example.com", 1)?;
                let user = users::require_user(conn, &user_id)?;
                assert_eq!(user.emails[0].email_id, "email-test-pending");
                assert!(user.emails[0].verified);
                let other = users::insert_user(conn, &users::NewUser::default(), 0)?;
                assert!(
                    insert_email_with_id(conn, "email-test-x", &other, "new@example.com", 1)
                        .unwrap_err()
                        .is(ErrorType::DuplicateEmail)
                );
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn latest_code_reports_the_newest() {
        Db::open_in_memory()
            .unwrap()
            .blocking(|conn| {
                let user_id = users::insert_user(conn, &users::NewUser::default(), 0)?;
                assert_eq!(
                    latest_code(conn, TokenKind::Otp, MethodColumn::PhoneId, "p1", 0)?,
                    None
                );
                let spec = TokenSpec {
                    user_id: Some(user_id),
                    phone_id: Some("p1".into()),
                    expires_at: 120,
                    ..Default::default()
                };
                one_time::issue_code(conn, TokenKind::Otp, 6, &spec, 0)?;
                let state =
                    latest_code(conn, TokenKind::Otp, MethodColumn::PhoneId, "p1", 1)?.unwrap();
                assert!(state.is_live(5));
                let state =
                    latest_code(conn, TokenKind::Otp, MethodColumn::PhoneId, "p1", 120)?.unwrap();
                assert!(state.expired && !state.is_live(5));
                Ok(())
            })
            .unwrap();
    }
}

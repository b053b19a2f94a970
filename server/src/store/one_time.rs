//! Table `one_time_tokens`: single-use magic links, OTP codes, password resets and OAuth tokens.
//!
//! Only the SHA-256 of a token is stored. [`issue`] makes a random token and
//! returns it once; [`redeem`] finds it by hash and consumes it atomically
//! (one `UPDATE … WHERE used_at IS NULL`), so two concurrent redemptions of
//! the same link cannot both succeed. OTP codes (short, guessable) go through
//! [`issue_code`] / [`find_code`] instead, which add an attempt counter.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

use crate::{auth::tokens, error::ApiResult, ids, store::json_column};

/// What a one-time token is for. Modules add variants as they need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    MagicLink,
    Otp,
    PasswordReset,
    Oauth,
}

impl TokenKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenKind::MagicLink => "magic_link",
            TokenKind::Otp => "otp",
            TokenKind::PasswordReset => "password_reset",
            TokenKind::Oauth => "oauth",
        }
    }
}

/// What to store with a new token (everything except the token itself).
#[derive(Debug, Clone, Default)]
pub struct TokenSpec {
    pub user_id: Option<String>,
    pub email_id: Option<String>,
    pub phone_id: Option<String>,
    /// Absolute expiry, unix seconds (use the app clock).
    pub expires_at: i64,
    /// PKCE challenge given when the token was sent, checked at redemption.
    pub code_challenge: Option<String>,
    pub redirect_url: Option<String>,
    /// Anything else the module needs back at redemption (provider values, locale, ...).
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OneTimeToken {
    pub token_id: String,
    pub kind: String,
    pub user_id: Option<String>,
    pub email_id: Option<String>,
    pub phone_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub attempts: i64,
    pub code_challenge: Option<String>,
    pub redirect_url: Option<String>,
    pub extra: Map<String, Value>,
}

/// A freshly issued token: `token` is the secret to send (link or code), and
/// exists nowhere else after this value is dropped.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token_id: String,
    pub token: String,
}

/// Why a token could not be redeemed. Each module maps these to its own
/// error types (e.g. `magic_link_not_found` / `unable_to_auth_magic_link`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    NotFound,
    Expired,
    AlreadyUsed,
    /// OTP only: the per-code attempt limit was reached.
    TooManyAttempts,
}

const COLUMNS: &str =
    "token_id, kind, user_id, email_id, phone_id, created_at, expires_at, used_at, \
                       attempts, code_challenge, redirect_url, extra";

fn token_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<OneTimeToken> {
    let extra: String = row.get(11)?;
    Ok(OneTimeToken {
        token_id: row.get(0)?,
        kind: row.get(1)?,
        user_id: row.get(2)?,
        email_id: row.get(3)?,
        phone_id: row.get(4)?,
        created_at: row.get(5)?,
        expires_at: row.get(6)?,
        used_at: row.get(7)?,
        attempts: row.get(8)?,
        code_challenge: row.get(9)?,
        redirect_url: row.get(10)?,
        extra: match json_column(&extra, Value::Null) {
            Value::Object(map) => map,
            _ => Map::new(),
        },
    })
}

fn insert(
    conn: &Connection,
    kind: TokenKind,
    token_hash: &str,
    spec: &TokenSpec,
    now: i64,
) -> ApiResult<String> {
    let token_id = ids::new_id("token");
    conn.execute(
        "INSERT INTO one_time_tokens (token_id, kind, token_hash, user_id, email_id, phone_id, \
         created_at, expires_at, code_challenge, redirect_url, extra) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            token_id,
            kind.as_str(),
            token_hash,
            spec.user_id,
            spec.email_id,
            spec.phone_id,
            now,
            spec.expires_at,
            spec.code_challenge,
            spec.redirect_url,
            Value::Object(spec.extra.clone()).to_string(),
        ],
    )?;
    Ok(token_id)
}

/// Issues a random 256-bit token (44 URL-safe chars) for links and OAuth.
pub fn issue(conn: &Connection, kind: TokenKind, spec: &TokenSpec, now: i64) -> ApiResult<Issued> {
    let token = tokens::new_one_time_token();
    let token_id = insert(conn, kind, &tokens::hash_token(&token), spec, now)?;
    Ok(Issued { token_id, token })
}

/// Finds a link token by its value without consuming it (the OAuth flow
/// page is shown, and may be reloaded, before the flow is consumed).
pub fn peek(conn: &Connection, kind: TokenKind, token: &str) -> ApiResult<Option<OneTimeToken>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM one_time_tokens WHERE kind = ?1 AND token_hash = ?2"
        ))?
        .query_row(params![kind.as_str(), tokens::hash_token(token)], token_row)
        .optional()?)
}

/// The verdict of [`redeem`] on a token found by value.
fn verdict(found: OneTimeToken, now: i64) -> Result<OneTimeToken, Rejection> {
    if found.used_at.is_some() {
        Err(Rejection::AlreadyUsed)
    } else if found.expires_at <= now {
        Err(Rejection::Expired)
    } else {
        Ok(found)
    }
}

/// Finds a link token by its value without consuming it, with the same
/// verdicts as [`redeem`].
pub fn peek_live(
    conn: &Connection,
    kind: TokenKind,
    token: &str,
    now: i64,
) -> ApiResult<Result<OneTimeToken, Rejection>> {
    Ok(match peek(conn, kind, token)? {
        Some(found) => verdict(found, now),
        None => Err(Rejection::NotFound),
    })
}

/// Consumes a token already found by [`peek`], with the verdicts of [`redeem`].
pub fn take(
    conn: &Connection,
    found: OneTimeToken,
    now: i64,
) -> ApiResult<Result<OneTimeToken, Rejection>> {
    let mut found = match verdict(found, now) {
        Ok(found) => found,
        Err(rejection) => return Ok(Err(rejection)),
    };
    if !consume(conn, &found.token_id, now)? {
        return Ok(Err(Rejection::AlreadyUsed));
    }
    found.used_at = Some(now);
    Ok(Ok(found))
}

/// Finds a link token by its value and consumes it. Succeeds at most once per token.
pub fn redeem(
    conn: &Connection,
    kind: TokenKind,
    token: &str,
    now: i64,
) -> ApiResult<Result<OneTimeToken, Rejection>> {
    match peek(conn, kind, token)? {
        Some(found) => take(conn, found, now),
        None => Ok(Err(Rejection::NotFound)),
    }
}

/// Issues a numeric OTP code of `digits` digits bound to `spec`'s email or
/// phone. The hash covers the token id too, so equal codes of different
/// users never collide. Earlier unused codes of the same kind and subject
/// are invalidated: only the newest code works.
pub fn issue_code(
    conn: &Connection,
    kind: TokenKind,
    digits: u32,
    spec: &TokenSpec,
    now: i64,
) -> ApiResult<Issued> {
    invalidate_for_subject(conn, kind, spec, now)?;
    let code = tokens::new_numeric_code(digits);
    let token_id = insert(conn, kind, "", spec, now)?;
    conn.execute(
        "UPDATE one_time_tokens SET token_hash = ?2 WHERE token_id = ?1",
        params![token_id, code_hash(&token_id, &code)],
    )?;
    Ok(Issued {
        token_id,
        token: code,
    })
}

fn code_hash(token_id: &str, code: &str) -> String {
    tokens::hash_token(&format!("{token_id}:{code}"))
}

/// Checks `code` against the newest unused code for a subject (`email_id` or
/// `phone_id`, as given at issue). A wrong code counts an attempt; at
/// `max_attempts` wrong tries the code dies. A right code is consumed.
pub fn find_code(
    conn: &Connection,
    kind: TokenKind,
    subject: Subject<'_>,
    code: &str,
    max_attempts: i64,
    now: i64,
) -> ApiResult<Result<OneTimeToken, Rejection>> {
    let (column, value) = subject.column();
    let latest = conn
        .query_row(
            &format!(
                "SELECT {COLUMNS}, token_hash FROM one_time_tokens WHERE kind = ?1 AND {column} = ?2 \
                 ORDER BY created_at DESC, rowid DESC LIMIT 1"
            ),
            params![kind.as_str(), value],
            |row| Ok((token_row(row)?, row.get::<_, String>(12)?)),
        )
        .optional()?;
    let Some((mut found, stored_hash)) = latest else {
        return Ok(Err(Rejection::NotFound));
    };
    if found.used_at.is_some() {
        return Ok(Err(Rejection::AlreadyUsed));
    }
    if found.expires_at <= now {
        return Ok(Err(Rejection::Expired));
    }
    if found.attempts >= max_attempts {
        return Ok(Err(Rejection::TooManyAttempts));
    }
    if !tokens::ct_eq(&code_hash(&found.token_id, code), &stored_hash) {
        conn.execute(
            "UPDATE one_time_tokens SET attempts = attempts + 1 WHERE token_id = ?1",
            params![found.token_id],
        )?;
        return Ok(Err(Rejection::NotFound));
    }
    if !consume(conn, &found.token_id, now)? {
        return Ok(Err(Rejection::AlreadyUsed));
    }
    found.used_at = Some(now);
    Ok(Ok(found))
}

/// Which column identifies the owner of a code.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    EmailId(&'a str),
    PhoneId(&'a str),
    UserId(&'a str),
}

impl<'a> Subject<'a> {
    fn column(self) -> (&'static str, &'a str) {
        match self {
            Subject::EmailId(v) => ("email_id", v),
            Subject::PhoneId(v) => ("phone_id", v),
            Subject::UserId(v) => ("user_id", v),
        }
    }
}

fn invalidate_for_subject(
    conn: &Connection,
    kind: TokenKind,
    spec: &TokenSpec,
    now: i64,
) -> ApiResult<usize> {
    let subject = match (&spec.phone_id, &spec.email_id, &spec.user_id) {
        (Some(p), _, _) => Subject::PhoneId(p),
        (None, Some(e), _) => Subject::EmailId(e),
        (None, None, Some(u)) => Subject::UserId(u),
        (None, None, None) => return Ok(0),
    };
    invalidate(conn, kind, subject, now)
}

/// Kills every unused token of `kind` for a subject (e.g. after a password reset).
pub fn invalidate(
    conn: &Connection,
    kind: TokenKind,
    subject: Subject<'_>,
    now: i64,
) -> ApiResult<usize> {
    let (column, value) = subject.column();
    Ok(conn.execute(
        &format!(
            "UPDATE one_time_tokens SET used_at = ?3 WHERE kind = ?1 AND {column} = ?2 AND used_at IS NULL"
        ),
        params![kind.as_str(), value, now],
    )?)
}

/// Marks a token used; false if it was already used or has expired.
pub fn consume(conn: &Connection, token_id: &str, now: i64) -> ApiResult<bool> {
    Ok(conn.execute(
        "UPDATE one_time_tokens SET used_at = ?2 WHERE token_id = ?1 AND used_at IS NULL AND expires_at > ?2",
        params![token_id, now],
    )? == 1)
}

pub fn get(conn: &Connection, token_id: &str) -> ApiResult<Option<OneTimeToken>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM one_time_tokens WHERE token_id = ?1"),
            params![token_id],
            token_row,
        )
        .optional()?)
}

/// Deletes tokens that expired more than a day ago. The day of grace keeps
/// "expired" distinguishable from "never existed" in error messages.
pub fn prune(conn: &Connection, now: i64) -> ApiResult<usize> {
    Ok(conn.execute(
        "DELETE FROM one_time_tokens WHERE expires_at <= ?1",
        params![now - 86_400],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{users, Db};

    fn with_user(f: impl FnOnce(&Connection, String) -> ApiResult<()>) {
        Db::open_in_memory()
            .unwrap()
            .blocking(|conn| {
                let user_id = users::insert_user(conn, &users::NewUser::default(), 0)?;
                f(conn, user_id)
            })
            .unwrap();
    }

    #[test]
    fn a_link_token_redeems_once() {
        with_user(|conn, user_id| {
            let spec = TokenSpec {
                user_id: Some(user_id),
                expires_at: 100,
                code_challenge: Some("challenge".into()),
                ..Default::default()
            };
            let issued = issue(conn, TokenKind::MagicLink, &spec, 0)?;
            assert_eq!(issued.token.len(), 44);
            assert_eq!(
                redeem(conn, TokenKind::PasswordReset, &issued.token, 1)?,
                Err(Rejection::NotFound)
            );
            let ok = redeem(conn, TokenKind::MagicLink, &issued.token, 1)?.unwrap();
            assert_eq!(ok.code_challenge.as_deref(), Some("challenge"));
            assert_eq!(
                redeem(conn, TokenKind::MagicLink, &issued.token, 2)?,
                Err(Rejection::AlreadyUsed)
            );
            // Only the hash is stored.
            let stored: String = conn.query_row(
                "SELECT token_hash FROM one_time_tokens WHERE token_id = ?1",
                params![issued.token_id],
                |r| r.get(0),
            )?;
            assert_ne!(stored, issued.token);
            assert_eq!(stored, tokens::hash_token(&issued.token));
            Ok(())
        });
    }

    #[test]
    fn an_expired_link_is_refused() {
        with_user(|conn, user_id| {
            let spec = TokenSpec {
                user_id: Some(user_id),
                expires_at: 100,
                ..Default::default()
            };
            let issued = issue(conn, TokenKind::MagicLink, &spec, 0)?;
            assert_eq!(
                redeem(conn, TokenKind::MagicLink, &issued.token, 100)?,
                Err(Rejection::Expired)
            );
            Ok(())
        });
    }

    #[test]
    fn codes_count_attempts_and_only_the_newest_works() {
        with_user(|conn, user_id| {
            let phone_id = users::insert_phone(conn, &user_id, "+15550001111", false, 0)?;
            let spec = TokenSpec {
                user_id: Some(user_id),
                phone_id: Some(phone_id.clone()),
                expires_at: 120,
                ..Default::default()
            };
            let first = issue_code(conn, TokenKind::Otp, 6, &spec, 0)?;
            assert_eq!(first.token.len(), 6);
            let second = issue_code(conn, TokenKind::Otp, 6, &spec, 1)?;
            let subject = Subject::PhoneId(&phone_id);
            let wrong = if second.token == "000000" {
                "111111"
            } else {
                "000000"
            };
            // The superseded code no longer works (it counts as a wrong try).
            let stale = if first.token != second.token {
                first.token.as_str()
            } else {
                wrong
            };
            assert_eq!(
                find_code(conn, TokenKind::Otp, subject, stale, 5, 2)?,
                Err(Rejection::NotFound)
            );
            // Four wrong tries in all still leave the fifth.
            for _ in 0..3 {
                assert_eq!(
                    find_code(conn, TokenKind::Otp, subject, wrong, 5, 2)?,
                    Err(Rejection::NotFound)
                );
            }
            let ok = find_code(conn, TokenKind::Otp, subject, &second.token, 5, 2)?.unwrap();
            assert_eq!(ok.token_id, second.token_id);
            assert_eq!(
                find_code(conn, TokenKind::Otp, subject, &second.token, 5, 3)?,
                Err(Rejection::AlreadyUsed)
            );

            let third = issue_code(conn, TokenKind::Otp, 6, &spec, 10)?;
            let wrong = if third.token == "000000" {
                "111111"
            } else {
                "000000"
            };
            for _ in 0..5 {
                let _ = find_code(conn, TokenKind::Otp, subject, wrong, 5, 11)?;
            }
            assert_eq!(
                find_code(conn, TokenKind::Otp, subject, &third.token, 5, 11)?,
                Err(Rejection::TooManyAttempts)
            );
            Ok(())
        });
    }
}

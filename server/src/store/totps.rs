//! Tables `totps` and `totp_recovery_codes`: TOTP instances (sealed secret, replay step, lockout) and their hashed recovery codes.

use rusqlite::{params, Connection, OptionalExtension};

use crate::{error::ApiResult, model::Totp};

#[derive(Debug, Clone, PartialEq)]
pub struct TotpRow {
    pub totp_id: String,
    pub user_id: String,
    /// The shared secret, sealed under the field key (see `auth::sealing`).
    pub secret_sealed: String,
    pub verified: bool,
    /// An unverified instance is unusable from then on; `None` once verified.
    pub expires_at: Option<i64>,
    /// The last RFC 6238 time step accepted: no code of it or before is accepted again.
    pub last_used_step: Option<i64>,
    pub failed_attempts: i64,
    pub locked_until: Option<i64>,
}

const COLUMNS: &str = "totp_id, user_id, secret_sealed, verified, expires_at, last_used_step, \
                       failed_attempts, locked_until";

fn totp_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TotpRow> {
    Ok(TotpRow {
        totp_id: row.get(0)?,
        user_id: row.get(1)?,
        secret_sealed: row.get(2)?,
        verified: row.get(3)?,
        expires_at: row.get(4)?,
        last_used_step: row.get(5)?,
        failed_attempts: row.get(6)?,
        locked_until: row.get(7)?,
    })
}

pub fn insert(conn: &Connection, row: &TotpRow, now: i64) -> ApiResult<()> {
    conn.execute(
        &format!(
            "INSERT INTO totps ({COLUMNS}, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ),
        params![
            row.totp_id,
            row.user_id,
            row.secret_sealed,
            row.verified,
            row.expires_at,
            row.last_used_step,
            row.failed_attempts,
            row.locked_until,
            now
        ],
    )?;
    Ok(())
}

pub fn get(conn: &Connection, totp_id: &str) -> ApiResult<Option<TotpRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM totps WHERE totp_id = ?1"),
            params![totp_id],
            totp_row,
        )
        .optional()?)
}

/// A user's TOTP instances, verified first, then newest first.
pub fn rows_for_user(conn: &Connection, user_id: &str) -> ApiResult<Vec<TotpRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM totps WHERE user_id = ?1 \
             ORDER BY verified DESC, created_at DESC, rowid DESC"
        ))?
        .query_map(params![user_id], totp_row)?
        .collect::<Result<Vec<_>, _>>()?)
}

/// `User.totps`.
pub fn for_user(conn: &Connection, user_id: &str) -> ApiResult<Vec<Totp>> {
    Ok(rows_for_user(conn, user_id)?
        .into_iter()
        .map(|row| Totp {
            totp_id: row.totp_id,
            verified: row.verified,
        })
        .collect())
}

/// Writes the mutable state of an instance back (verification, replay step, attempts, lock).
pub fn save_state(conn: &Connection, row: &TotpRow) -> ApiResult<()> {
    conn.execute(
        "UPDATE totps SET verified = ?2, expires_at = ?3, last_used_step = ?4, \
         failed_attempts = ?5, locked_until = ?6 WHERE totp_id = ?1",
        params![
            row.totp_id,
            row.verified,
            row.expires_at,
            row.last_used_step,
            row.failed_attempts,
            row.locked_until
        ],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, totp_id: &str) -> ApiResult<bool> {
    Ok(conn.execute("DELETE FROM totps WHERE totp_id = ?1", params![totp_id])? == 1)
}

// ---- recovery codes ----------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryCodeRow {
    pub totp_recovery_code_id: String,
    /// 16 random bytes, hex.
    pub salt: String,
    /// SHA-256(salt || code), hex.
    pub code_hash: String,
}

/// Replaces every recovery code of an instance.
pub fn replace_recovery_codes(
    conn: &Connection,
    totp_id: &str,
    codes: &[RecoveryCodeRow],
    now: i64,
) -> ApiResult<()> {
    conn.execute(
        "DELETE FROM totp_recovery_codes WHERE totp_id = ?1",
        params![totp_id],
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO totp_recovery_codes (totp_recovery_code_id, totp_id, salt, code_hash, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for code in codes {
        insert.execute(params![
            code.totp_recovery_code_id,
            totp_id,
            code.salt,
            code.code_hash,
            now
        ])?;
    }
    Ok(())
}

/// The recovery codes of an instance that have not been used yet.
pub fn unused_recovery_codes(conn: &Connection, totp_id: &str) -> ApiResult<Vec<RecoveryCodeRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT totp_recovery_code_id, salt, code_hash FROM totp_recovery_codes \
             WHERE totp_id = ?1 AND used_at IS NULL ORDER BY rowid",
        )?
        .query_map(params![totp_id], |row| {
            Ok(RecoveryCodeRow {
                totp_recovery_code_id: row.get(0)?,
                salt: row.get(1)?,
                code_hash: row.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

/// Marks a code used; false if it was used already (a concurrent request won).
pub fn use_recovery_code(
    conn: &Connection,
    totp_recovery_code_id: &str,
    now: i64,
) -> ApiResult<bool> {
    Ok(conn.execute(
        "UPDATE totp_recovery_codes SET used_at = ?2 WHERE totp_recovery_code_id = ?1 AND used_at IS NULL",
        params![totp_recovery_code_id, now],
    )? == 1)
}

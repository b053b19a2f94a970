//! Tables `users`, `emails`, `phone_numbers`, `oauth_providers`, `passwords`, and assembling the User object.
//!
//! Emails are stored normalised (see `validate::normalize_email`), so the
//! UNIQUE constraint is what enforces one account per address.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

use crate::{
    clock::Timestamp,
    error::{ApiError, ApiResult, ErrorType},
    ids,
    model::{Email, Name, OAuthProvider, Password, PhoneNumber, User},
    store::{is_unique_violation, json_column},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    Pending,
}

impl UserStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Pending => "pending",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub status: UserStatus,
    pub name: Name,
    pub trusted_metadata: Map<String, Value>,
    pub untrusted_metadata: Map<String, Value>,
    pub external_id: Option<String>,
}

impl Default for NewUser {
    fn default() -> Self {
        Self {
            status: UserStatus::Active,
            name: Name::default(),
            trusted_metadata: Map::new(),
            untrusted_metadata: Map::new(),
            external_id: None,
        }
    }
}

/// Creates a user row and returns its `user-test-…` id.
pub fn insert_user(conn: &Connection, user: &NewUser, now: i64) -> ApiResult<String> {
    let user_id = ids::new_id("user");
    conn.execute(
        "INSERT INTO users (user_id, created_at, status, first_name, middle_name, last_name, \
         trusted_metadata, untrusted_metadata, external_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            user_id,
            now,
            user.status.as_str(),
            user.name.first_name,
            user.name.middle_name,
            user.name.last_name,
            Value::Object(user.trusted_metadata.clone()).to_string(),
            Value::Object(user.untrusted_metadata.clone()).to_string(),
            user.external_id,
        ],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::bad_request("external_id is already used by another user")
        } else {
            e.into()
        }
    })?;
    Ok(user_id)
}

/// Loads the full User object, or `None` if there is no such user.
pub fn load_user(conn: &Connection, user_id: &str) -> ApiResult<Option<User>> {
    let base = conn
        .query_row(
            "SELECT created_at, status, first_name, middle_name, last_name, trusted_metadata, \
             untrusted_metadata, external_id FROM users WHERE user_id = ?1",
            params![user_id],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    Name {
                        first_name: row.get(2)?,
                        middle_name: row.get(3)?,
                        last_name: row.get(4)?,
                    },
                    row.get::<_, String>(5)?,
                    row.get::<_, String>(6)?,
                    row.get::<_, Option<String>>(7)?,
                ))
            },
        )
        .optional()?;
    let Some((created_at, status, name, trusted, untrusted, external_id)) = base else {
        return Ok(None);
    };

    let emails = conn
        .prepare_cached(
            "SELECT email_id, email, verified FROM emails WHERE user_id = ?1 ORDER BY created_at, rowid",
        )?
        .query_map(params![user_id], |row| {
            Ok(Email {
                email_id: row.get(0)?,
                email: row.get(1)?,
                verified: row.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let phone_numbers = conn
        .prepare_cached(
            "SELECT phone_id, phone_number, verified FROM phone_numbers WHERE user_id = ?1 \
             ORDER BY created_at, rowid",
        )?
        .query_map(params![user_id], |row| {
            Ok(PhoneNumber {
                phone_id: row.get(0)?,
                phone_number: row.get(1)?,
                verified: row.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let providers = conn
        .prepare_cached(
            "SELECT provider_type, provider_subject, profile_picture_url, locale, \
             oauth_user_registration_id FROM oauth_providers WHERE user_id = ?1 ORDER BY created_at, rowid",
        )?
        .query_map(params![user_id], |row| {
            Ok(OAuthProvider {
                provider_type: row.get(0)?,
                provider_subject: row.get(1)?,
                profile_picture_url: row.get(2)?,
                locale: row.get(3)?,
                oauth_user_registration_id: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let password = conn
        .query_row(
            "SELECT password_id, requires_reset FROM passwords WHERE user_id = ?1",
            params![user_id],
            |row| {
                Ok(Password {
                    password_id: row.get(0)?,
                    requires_reset: row.get(1)?,
                })
            },
        )
        .optional()?;

    Ok(Some(User {
        user_id: user_id.to_string(),
        created_at: Timestamp(created_at),
        status,
        name,
        emails,
        phone_numbers,
        providers,
        password,
        totps: crate::store::totps::for_user(conn, user_id)?,
        webauthn_registrations: crate::store::webauthn::for_user(conn, user_id)?,
        crypto_wallets: Vec::new(),
        biometric_registrations: Vec::new(),
        trusted_metadata: json_column(&trusted, Value::Object(Map::new())),
        untrusted_metadata: json_column(&untrusted, Value::Object(Map::new())),
        roles: Vec::new(),
        is_locked: false,
        external_id,
        lock_created_at: None,
        lock_expires_at: None,
    }))
}

/// 404 `user_not_found`.
pub fn user_not_found(user_id: &str) -> ApiError {
    ApiError::new(ErrorType::UserNotFound, format!("No user {user_id}."))
}

/// Loads a user or fails with 404 `user_not_found`.
pub fn require_user(conn: &Connection, user_id: &str) -> ApiResult<User> {
    load_user(conn, user_id)?.ok_or_else(|| user_not_found(user_id))
}

/// Fails with 404 `user_not_found` unless the user exists.
pub fn require_user_exists(conn: &Connection, user_id: &str) -> ApiResult<()> {
    conn.query_row(
        "SELECT 1 FROM users WHERE user_id = ?1",
        params![user_id],
        |_| Ok(()),
    )
    .optional()?
    .ok_or_else(|| user_not_found(user_id))
}

/// A partial update; `None` leaves a part unchanged.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    /// Merged at the top level into the stored object; a `null` value deletes the key.
    pub trusted_metadata: Option<Map<String, Value>>,
    pub untrusted_metadata: Option<Map<String, Value>>,
    pub external_id: Option<String>,
}

/// Applies `update`; returns false if the user does not exist.
pub fn update_user(conn: &Connection, user_id: &str, update: &UserUpdate) -> ApiResult<bool> {
    let current = conn
        .query_row(
            "SELECT trusted_metadata, untrusted_metadata FROM users WHERE user_id = ?1",
            params![user_id],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
        )
        .optional()?;
    let Some((trusted, untrusted)) = current else {
        return Ok(false);
    };
    let merge = |stored: &str, patch: &Option<Map<String, Value>>| -> String {
        let mut object = match json_column(stored, Value::Null) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        if let Some(patch) = patch {
            merge_metadata(&mut object, patch);
        }
        Value::Object(object).to_string()
    };
    conn.execute(
        "UPDATE users SET \
           first_name = COALESCE(?2, first_name), \
           middle_name = COALESCE(?3, middle_name), \
           last_name = COALESCE(?4, last_name), \
           trusted_metadata = ?5, \
           untrusted_metadata = ?6, \
           external_id = COALESCE(?7, external_id) \
         WHERE user_id = ?1",
        params![
            user_id,
            update.first_name,
            update.middle_name,
            update.last_name,
            merge(&trusted, &update.trusted_metadata),
            merge(&untrusted, &update.untrusted_metadata),
            update.external_id,
        ],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::bad_request("external_id is already used by another user")
        } else {
            e.into()
        }
    })?;
    Ok(true)
}

/// Top-level merge: keys in `patch` replace stored keys, `null` removes them.
pub fn merge_metadata(stored: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        if value.is_null() {
            stored.remove(key);
        } else {
            stored.insert(key.clone(), value.clone());
        }
    }
}

/// How many emails, phone numbers and OAuth providers the user has: the
/// factors a user can sign in with from scratch (see `api::users`, which
/// refuses to delete the last one on the frontend).
pub fn primary_factor_count(conn: &Connection, user_id: &str) -> ApiResult<i64> {
    Ok(conn.query_row(
        "SELECT (SELECT COUNT(*) FROM emails WHERE user_id = ?1) \
              + (SELECT COUNT(*) FROM phone_numbers WHERE user_id = ?1) \
              + (SELECT COUNT(*) FROM oauth_providers WHERE user_id = ?1)",
        params![user_id],
        |row| row.get(0),
    )?)
}

pub fn set_status(conn: &Connection, user_id: &str, status: UserStatus) -> ApiResult<()> {
    conn.execute(
        "UPDATE users SET status = ?2 WHERE user_id = ?1",
        params![user_id, status.as_str()],
    )?;
    Ok(())
}

/// Deletes a user and, through the foreign keys, every factor, session and
/// pending token of theirs. Returns false if there was no such user.
pub fn delete_user(conn: &Connection, user_id: &str) -> ApiResult<bool> {
    Ok(conn.execute("DELETE FROM users WHERE user_id = ?1", params![user_id])? == 1)
}

// ---- emails ----------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct EmailRow {
    pub email_id: String,
    pub user_id: String,
    pub email: String,
    pub verified: bool,
}

fn email_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<EmailRow> {
    Ok(EmailRow {
        email_id: row.get(0)?,
        user_id: row.get(1)?,
        email: row.get(2)?,
        verified: row.get(3)?,
    })
}

/// Looks an address up; pass it through `validate::normalize_email` first.
pub fn find_email(conn: &Connection, email: &str) -> ApiResult<Option<EmailRow>> {
    Ok(conn
        .query_row(
            "SELECT email_id, user_id, email, verified FROM emails WHERE email = ?1",
            params![email],
            email_row,
        )
        .optional()?)
}

pub fn get_email(conn: &Connection, email_id: &str) -> ApiResult<Option<EmailRow>> {
    Ok(conn
        .query_row(
            "SELECT email_id, user_id, email, verified FROM emails WHERE email_id = ?1",
            params![email_id],
            email_row,
        )
        .optional()?)
}

/// A user's emails, oldest first.
pub fn emails_of_user(conn: &Connection, user_id: &str) -> ApiResult<Vec<EmailRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT email_id, user_id, email, verified FROM emails WHERE user_id = ?1 \
             ORDER BY created_at, rowid",
        )?
        .query_map(params![user_id], email_row)?
        .collect::<Result<Vec<_>, _>>()?)
}

/// Adds an (already normalised) address to a user; 400 `duplicate_email` if
/// any user has it already.
pub fn insert_email(
    conn: &Connection,
    user_id: &str,
    email: &str,
    verified: bool,
    now: i64,
) -> ApiResult<String> {
    let email_id = ids::new_id("email");
    conn.execute(
        "INSERT INTO emails (email_id, user_id, email, verified, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![email_id, user_id, email, verified, now],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::new(
                ErrorType::DuplicateEmail,
                format!("A user with email {email} already exists."),
            )
        } else {
            e.into()
        }
    })?;
    Ok(email_id)
}

pub fn set_email_verified(conn: &Connection, email_id: &str) -> ApiResult<()> {
    conn.execute(
        "UPDATE emails SET verified = 1 WHERE email_id = ?1",
        params![email_id],
    )?;
    Ok(())
}

pub fn delete_email(conn: &Connection, email_id: &str) -> ApiResult<bool> {
    Ok(conn.execute("DELETE FROM emails WHERE email_id = ?1", params![email_id])? == 1)
}

// ---- phone numbers ---------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct PhoneRow {
    pub phone_id: String,
    pub user_id: String,
    pub phone_number: String,
    pub verified: bool,
}

fn phone_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PhoneRow> {
    Ok(PhoneRow {
        phone_id: row.get(0)?,
        user_id: row.get(1)?,
        phone_number: row.get(2)?,
        verified: row.get(3)?,
    })
}

pub fn find_phone(conn: &Connection, phone_number: &str) -> ApiResult<Option<PhoneRow>> {
    Ok(conn
        .query_row(
            "SELECT phone_id, user_id, phone_number, verified FROM phone_numbers WHERE phone_number = ?1",
            params![phone_number],
            phone_row,
        )
        .optional()?)
}

pub fn get_phone(conn: &Connection, phone_id: &str) -> ApiResult<Option<PhoneRow>> {
    Ok(conn
        .query_row(
            "SELECT phone_id, user_id, phone_number, verified FROM phone_numbers WHERE phone_id = ?1",
            params![phone_id],
            phone_row,
        )
        .optional()?)
}

/// Adds an E.164 number to a user; 400 `duplicate_phone_number` if taken.
pub fn insert_phone(
    conn: &Connection,
    user_id: &str,
    phone_number: &str,
    verified: bool,
    now: i64,
) -> ApiResult<String> {
    let phone_id = ids::new_id("phone-number");
    conn.execute(
        "INSERT INTO phone_numbers (phone_id, user_id, phone_number, verified, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![phone_id, user_id, phone_number, verified, now],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::new(
                ErrorType::DuplicatePhoneNumber,
                format!("A user with phone number {phone_number} already exists."),
            )
        } else {
            e.into()
        }
    })?;
    Ok(phone_id)
}

pub fn set_phone_verified(conn: &Connection, phone_id: &str) -> ApiResult<()> {
    conn.execute(
        "UPDATE phone_numbers SET verified = 1 WHERE phone_id = ?1",
        params![phone_id],
    )?;
    Ok(())
}

pub fn delete_phone(conn: &Connection, phone_id: &str) -> ApiResult<bool> {
    Ok(conn.execute(
        "DELETE FROM phone_numbers WHERE phone_id = ?1",
        params![phone_id],
    )? == 1)
}

// ---- OAuth providers -------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct ProviderRow {
    pub oauth_user_registration_id: String,
    pub user_id: String,
    pub provider_type: String,
    pub provider_subject: String,
    pub profile_picture_url: String,
    pub locale: String,
    pub email_id: Option<String>,
}

fn provider_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ProviderRow> {
    Ok(ProviderRow {
        oauth_user_registration_id: row.get(0)?,
        user_id: row.get(1)?,
        provider_type: row.get(2)?,
        provider_subject: row.get(3)?,
        profile_picture_url: row.get(4)?,
        locale: row.get(5)?,
        email_id: row.get(6)?,
    })
}

const PROVIDER_COLUMNS: &str =
    "oauth_user_registration_id, user_id, provider_type, provider_subject, \
                                profile_picture_url, locale, email_id";

pub fn find_provider(
    conn: &Connection,
    provider_type: &str,
    provider_subject: &str,
) -> ApiResult<Option<ProviderRow>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {PROVIDER_COLUMNS} FROM oauth_providers \
                 WHERE provider_type = ?1 AND provider_subject = ?2"
            ),
            params![provider_type, provider_subject],
            provider_row,
        )
        .optional()?)
}

pub fn get_provider(conn: &Connection, registration_id: &str) -> ApiResult<Option<ProviderRow>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {PROVIDER_COLUMNS} FROM oauth_providers WHERE oauth_user_registration_id = ?1"
            ),
            params![registration_id],
            provider_row,
        )
        .optional()?)
}

/// Links a provider identity to a user; `oauth_user_registration_id` is generated.
pub fn insert_provider(conn: &Connection, row: &ProviderRow, now: i64) -> ApiResult<String> {
    let id = if row.oauth_user_registration_id.is_empty() {
        ids::new_id("oauth-user-registration")
    } else {
        row.oauth_user_registration_id.clone()
    };
    conn.execute(
        &format!(
            "INSERT INTO oauth_providers ({PROVIDER_COLUMNS}, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        ),
        params![
            id,
            row.user_id,
            row.provider_type,
            row.provider_subject,
            row.profile_picture_url,
            row.locale,
            row.email_id,
            now
        ],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::bad_request("this provider identity is already linked to a user")
        } else {
            e.into()
        }
    })?;
    Ok(id)
}

pub fn delete_provider(conn: &Connection, registration_id: &str) -> ApiResult<bool> {
    Ok(conn.execute(
        "DELETE FROM oauth_providers WHERE oauth_user_registration_id = ?1",
        params![registration_id],
    )? == 1)
}

// ---- passwords -------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct PasswordRow {
    pub password_id: String,
    pub user_id: String,
    /// A PHC string (e.g. Argon2id); never the password.
    pub hash: String,
    pub requires_reset: bool,
}

fn password_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PasswordRow> {
    Ok(PasswordRow {
        password_id: row.get(0)?,
        user_id: row.get(1)?,
        hash: row.get(2)?,
        requires_reset: row.get(3)?,
    })
}

pub fn password_for_user(conn: &Connection, user_id: &str) -> ApiResult<Option<PasswordRow>> {
    Ok(conn
        .query_row(
            "SELECT password_id, user_id, hash, requires_reset FROM passwords WHERE user_id = ?1",
            params![user_id],
            password_row,
        )
        .optional()?)
}

pub fn get_password(conn: &Connection, password_id: &str) -> ApiResult<Option<PasswordRow>> {
    Ok(conn
        .query_row(
            "SELECT password_id, user_id, hash, requires_reset FROM passwords WHERE password_id = ?1",
            params![password_id],
            password_row,
        )
        .optional()?)
}

/// Sets (or replaces) a user's password hash and clears `requires_reset`;
/// returns the `password_id`, which stays stable across replacements.
pub fn set_password(conn: &Connection, user_id: &str, hash: &str, now: i64) -> ApiResult<String> {
    let password_id = ids::new_id("password");
    conn.execute(
        "INSERT INTO passwords (password_id, user_id, hash, requires_reset, created_at, updated_at) \
         VALUES (?1, ?2, ?3, 0, ?4, ?4) \
         ON CONFLICT(user_id) DO UPDATE SET hash = excluded.hash, requires_reset = 0, updated_at = excluded.updated_at",
        params![password_id, user_id, hash, now],
    )?;
    Ok(password_for_user(conn, user_id)?
        .map(|row| row.password_id)
        .unwrap_or(password_id))
}

pub fn set_password_requires_reset(
    conn: &Connection,
    user_id: &str,
    requires_reset: bool,
) -> ApiResult<()> {
    conn.execute(
        "UPDATE passwords SET requires_reset = ?2 WHERE user_id = ?1",
        params![user_id, requires_reset],
    )?;
    Ok(())
}

pub fn delete_password(conn: &Connection, password_id: &str) -> ApiResult<bool> {
    Ok(conn.execute(
        "DELETE FROM passwords WHERE password_id = ?1",
        params![password_id],
    )? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Db;

    fn db() -> Db {
        Db::open_in_memory().unwrap()
    }

    #[test]
    fn a_user_with_factors_assembles() {
        db().blocking(|conn| {
            let user_id = insert_user(conn, &NewUser::default(), 100)?;
            let email_id = insert_email(conn, &user_id, "a@example.com", false, 100)?;
            insert_phone(conn, &user_id, "+15550001111", true, 100)?;
            let password_id = set_password(conn, &user_id, "$argon2id$fake", 100)?;
            let again = set_password(conn, &user_id, "$argon2id$other", 101)?;
            assert_eq!(password_id, again);
            let user = require_user(conn, &user_id)?;
            assert_eq!(user.emails[0].email_id, email_id);
            assert!(!user.emails[0].verified);
            assert_eq!(user.phone_numbers[0].phone_number, "+15550001111");
            assert_eq!(user.password.as_ref().unwrap().password_id, password_id);
            assert_eq!(user.status, "active");
            assert_eq!(user.trusted_metadata, serde_json::json!({}));
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn duplicates_are_refused_with_their_error_type() {
        db().blocking(|conn| {
            let a = insert_user(conn, &NewUser::default(), 1)?;
            let b = insert_user(conn, &NewUser::default(), 1)?;
            insert_email(conn, &a, "x@example.com", false, 1)?;
            let err = insert_email(conn, &b, "x@example.com", false, 1).unwrap_err();
            assert!(err.is(ErrorType::DuplicateEmail));
            insert_phone(conn, &a, "+15550001111", false, 1)?;
            let err = insert_phone(conn, &b, "+15550001111", false, 1).unwrap_err();
            assert!(err.is(ErrorType::DuplicatePhoneNumber));
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn metadata_merges_and_null_deletes() {
        db().blocking(|conn| {
            let mut new = NewUser::default();
            new.untrusted_metadata
                .insert("keep".into(), serde_json::json!(1));
            new.untrusted_metadata
                .insert("drop".into(), serde_json::json!(2));
            let id = insert_user(conn, &new, 1)?;
            let patch = serde_json::json!({"drop": null, "add": {"x": true}});
            update_user(
                conn,
                &id,
                &UserUpdate {
                    untrusted_metadata: patch.as_object().cloned(),
                    first_name: Some("Ada".into()),
                    ..Default::default()
                },
            )?;
            let user = require_user(conn, &id)?;
            assert_eq!(
                user.untrusted_metadata,
                serde_json::json!({"keep": 1, "add": {"x": true}})
            );
            assert_eq!(user.name.first_name, "Ada");
            assert!(!update_user(
                conn,
                "user-test-missing",
                &UserUpdate::default()
            )?);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn deleting_a_user_cascades() {
        db().blocking(|conn| {
            let id = insert_user(conn, &NewUser::default(), 1)?;
            let email_id = insert_email(conn, &id, "gone@example.com", true, 1)?;
            assert!(delete_user(conn, &id)?);
            assert!(get_email(conn, &email_id)?.is_none());
            assert!(!delete_user(conn, &id)?);
            Ok(())
        })
        .unwrap();
    }
}

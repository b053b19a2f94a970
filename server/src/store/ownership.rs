//! Accounts a password sign-up made from an email nobody has proven, and what the owner's proof of that email undoes (the pre-hijacking defence).
//!
//! `POST /passwords` with a new email creates the account and hands its
//! creator a session, without any proof that the creator owns the inbox. It
//! may be an attacker who signed up with someone else's address and waits:
//! such an account is *unproven* (`users.unproven`) until the email is proven
//! by a magic link, an email code, an OAuth consent or a reset link. Every
//! session it has by then was started by something nobody proved (the
//! password, or a phone, email or provider added through such a session),
//! and so was every factor added meanwhile. [`claim`] removes all of it, in
//! the transaction of the proof, before the owner's sign-in is answered.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::ApiResult;

/// The factors an unproven account may have gained besides the email it
/// was made with. `?1` is the user; `?2`, where used, the email being
/// proven, which stays. A new kind of factor joins with one line.
const FACTORS_ADDED_UNPROVEN: &[&str] = &[
    "DELETE FROM emails WHERE user_id = ?1 AND email_id IS NOT ?2",
    "DELETE FROM phone_numbers WHERE user_id = ?1",
    "DELETE FROM oauth_providers WHERE user_id = ?1",
    "DELETE FROM webauthn_registrations WHERE user_id = ?1",
    "DELETE FROM totps WHERE user_id = ?1",
];

/// Marks an account made by a password sign-up on an unproven email.
pub fn mark_unproven(conn: &Connection, user_id: &str) -> ApiResult<()> {
    conn.execute(
        "UPDATE users SET unproven = 1 WHERE user_id = ?1",
        params![user_id],
    )?;
    Ok(())
}

pub fn is_unproven(conn: &Connection, user_id: &str) -> ApiResult<bool> {
    Ok(conn
        .query_row(
            "SELECT unproven FROM users WHERE user_id = ?1",
            params![user_id],
            |row| row.get::<_, bool>(0),
        )
        .optional()?
        .unwrap_or(false))
}

/// The owner proved `proven_email_id` of `user_id`. If the account was
/// unproven: ends every session, removes every factor but that email,
/// spends every outstanding link and code of the user (one in flight could
/// still attach a factor), and marks the account proven. Returns whether
/// it did, i.e. whether the user's sessions were reset: the caller must then
/// start a new session rather than extend one it resolved before.
pub fn claim(conn: &Connection, user_id: &str, proven_email_id: &str, now: i64) -> ApiResult<bool> {
    if !is_unproven(conn, user_id)? {
        return Ok(false);
    }
    conn.execute("DELETE FROM sessions WHERE user_id = ?1", params![user_id])?;
    for sql in FACTORS_ADDED_UNPROVEN {
        let mut statement = conn.prepare_cached(sql)?;
        if statement.parameter_count() == 1 {
            statement.execute(params![user_id])?;
        } else {
            statement.execute(params![user_id, proven_email_id])?;
        }
    }
    conn.execute(
        "UPDATE one_time_tokens SET used_at = ?2 WHERE user_id = ?1 AND used_at IS NULL",
        params![user_id, now],
    )?;
    conn.execute(
        "UPDATE users SET unproven = 0 WHERE user_id = ?1",
        params![user_id],
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{
        one_time::{self, TokenKind, TokenSpec},
        users, Db,
    };

    #[test]
    fn the_migration_finds_existing_password_sign_ups_nobody_proved() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(crate::store::schema::MIGRATIONS[0])
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO users (user_id, created_at, status) VALUES ('u1', 0, 'active'), ('u2', 0, 'active'), ('u3', 0, 'active');
             INSERT INTO emails (email_id, user_id, email, verified, created_at) VALUES
               ('e1', 'u1', 'a@example.com', 0, 0), ('e2', 'u2', 'b@example.com', 1, 0), ('e3', 'u3', 'c@example.com', 0, 0);
             INSERT INTO passwords (password_id, user_id, hash, created_at, updated_at) VALUES
               ('p1', 'u1', 'h', 0, 0), ('p2', 'u2', 'h', 0, 0);",
        )
        .unwrap();
        crate::store::schema::migrate(&mut conn).unwrap();
        assert!(
            is_unproven(&conn, "u1").unwrap(),
            "a password on an unverified email"
        );
        assert!(!is_unproven(&conn, "u2").unwrap(), "a verified email");
        assert!(!is_unproven(&conn, "u3").unwrap(), "no password");
    }

    #[test]
    fn a_claim_removes_what_the_unproven_account_gained() {
        Db::open_in_memory()
            .unwrap()
            .blocking(|conn| {
                let user_id = users::insert_user(conn, &users::NewUser::default(), 0)?;
                let email_id = users::insert_email(conn, &user_id, "own@example.com", false, 0)?;
                users::insert_email(conn, &user_id, "added@example.com", true, 0)?;
                users::insert_phone(conn, &user_id, "+15555550100", true, 0)?;
                users::insert_provider(
                    conn,
                    &users::ProviderRow {
                        oauth_user_registration_id: String::new(),
                        user_id: user_id.clone(),
                        provider_type: "github".into(),
                        provider_subject: "attacker".into(),
                        profile_picture_url: String::new(),
                        locale: String::new(),
                        email_id: None,
                    },
                    0,
                )?;
                one_time::issue(
                    conn,
                    TokenKind::Otp,
                    &TokenSpec {
                        user_id: Some(user_id.clone()),
                        expires_at: 100,
                        ..Default::default()
                    },
                    0,
                )?;
                assert!(
                    !claim(conn, &user_id, &email_id, 1)?,
                    "a proven account keeps all"
                );
                assert_eq!(users::require_user(conn, &user_id)?.emails.len(), 2);

                mark_unproven(conn, &user_id)?;
                assert!(claim(conn, &user_id, &email_id, 1)?);
                let user = users::require_user(conn, &user_id)?;
                assert_eq!(user.emails.len(), 1);
                assert_eq!(user.emails[0].email_id, email_id);
                assert!(user.phone_numbers.is_empty());
                assert!(user.providers.is_empty());
                let live: i64 = conn.query_row(
                    "SELECT COUNT(*) FROM one_time_tokens WHERE used_at IS NULL",
                    [],
                    |r| r.get(0),
                )?;
                assert_eq!(live, 0);
                assert!(!is_unproven(conn, &user_id)?);
                assert!(!claim(conn, &user_id, &email_id, 2)?, "once");
                Ok(())
            })
            .unwrap();
    }
}

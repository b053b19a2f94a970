//! The schema as an append-only list of migrations, tracked in `PRAGMA user_version`.
//!
//! To change the schema, append a new entry to [`MIGRATIONS`]; never edit an
//! entry that has shipped, since existing data directories already ran it.

use rusqlite::Connection;

/// Migration `i` brings the database from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the full initial schema. Timestamps are unix seconds (INTEGER);
    // JSON columns hold TEXT. Secrets and tokens are stored only as SHA-256
    // hex digests.
    r#"
    CREATE TABLE project (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        project_id    TEXT NOT NULL,
        public_token  TEXT NOT NULL,
        secret_hash   TEXT NOT NULL,
        settings      TEXT NOT NULL DEFAULT '{}',
        created_at    INTEGER NOT NULL
    );

    CREATE TABLE signing_keys (
        kid              TEXT PRIMARY KEY,
        private_key_pem  TEXT NOT NULL,
        certificate_der  BLOB NOT NULL,
        active           INTEGER NOT NULL DEFAULT 1,
        created_at       INTEGER NOT NULL
    );

    CREATE TABLE users (
        user_id             TEXT PRIMARY KEY,
        created_at          INTEGER NOT NULL,
        status              TEXT NOT NULL CHECK (status IN ('active', 'pending')),
        first_name          TEXT NOT NULL DEFAULT '',
        middle_name         TEXT NOT NULL DEFAULT '',
        last_name           TEXT NOT NULL DEFAULT '',
        trusted_metadata    TEXT NOT NULL DEFAULT '{}',
        untrusted_metadata  TEXT NOT NULL DEFAULT '{}',
        external_id         TEXT UNIQUE
    );

    CREATE TABLE emails (
        email_id    TEXT PRIMARY KEY,
        user_id     TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        email       TEXT NOT NULL UNIQUE,
        verified    INTEGER NOT NULL DEFAULT 0,
        created_at  INTEGER NOT NULL
    );
    CREATE INDEX emails_by_user ON emails(user_id);

    CREATE TABLE phone_numbers (
        phone_id      TEXT PRIMARY KEY,
        user_id       TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        phone_number  TEXT NOT NULL UNIQUE,
        verified      INTEGER NOT NULL DEFAULT 0,
        created_at    INTEGER NOT NULL
    );
    CREATE INDEX phone_numbers_by_user ON phone_numbers(user_id);

    CREATE TABLE oauth_providers (
        oauth_user_registration_id  TEXT PRIMARY KEY,
        user_id                     TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        provider_type               TEXT NOT NULL,
        provider_subject            TEXT NOT NULL,
        profile_picture_url         TEXT NOT NULL DEFAULT '',
        locale                      TEXT NOT NULL DEFAULT '',
        email_id                    TEXT,
        created_at                  INTEGER NOT NULL,
        UNIQUE (provider_type, provider_subject)
    );
    CREATE INDEX oauth_providers_by_user ON oauth_providers(user_id);

    CREATE TABLE passwords (
        password_id     TEXT PRIMARY KEY,
        user_id         TEXT NOT NULL UNIQUE REFERENCES users(user_id) ON DELETE CASCADE,
        hash            TEXT NOT NULL,
        requires_reset  INTEGER NOT NULL DEFAULT 0,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL
    );

    CREATE TABLE sessions (
        session_id        TEXT PRIMARY KEY,
        user_id           TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        token_hash        TEXT NOT NULL UNIQUE,
        started_at        INTEGER NOT NULL,
        last_accessed_at  INTEGER NOT NULL,
        expires_at        INTEGER NOT NULL,
        ip_address        TEXT NOT NULL DEFAULT '',
        user_agent        TEXT NOT NULL DEFAULT '',
        factors           TEXT NOT NULL DEFAULT '[]',
        custom_claims     TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX sessions_by_user ON sessions(user_id);
    CREATE INDEX sessions_by_expiry ON sessions(expires_at);

    CREATE TABLE one_time_tokens (
        token_id        TEXT PRIMARY KEY,
        kind            TEXT NOT NULL,
        token_hash      TEXT NOT NULL,
        user_id         TEXT REFERENCES users(user_id) ON DELETE CASCADE,
        email_id        TEXT,
        phone_id        TEXT,
        created_at      INTEGER NOT NULL,
        expires_at      INTEGER NOT NULL,
        used_at         INTEGER,
        attempts        INTEGER NOT NULL DEFAULT 0,
        code_challenge  TEXT,
        redirect_url    TEXT,
        extra           TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX one_time_tokens_by_hash ON one_time_tokens(kind, token_hash);
    CREATE INDEX one_time_tokens_by_expiry ON one_time_tokens(expires_at);

    CREATE TABLE outbox (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id  TEXT NOT NULL UNIQUE,
        channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp')),
        recipient   TEXT NOT NULL,
        subject     TEXT NOT NULL DEFAULT '',
        body        TEXT NOT NULL,
        link        TEXT,
        code        TEXT,
        created_at  INTEGER NOT NULL
    );
    CREATE INDEX outbox_by_recipient ON outbox(recipient);
    "#,
    // 2: WebAuthn registrations and their pending ceremonies; TOTP instances
    // and their recovery codes. The TOTP secret is stored sealed (AES-256-GCM
    // under the data directory's field key), recovery codes only as salted
    // SHA-256, challenges under the SHA-256 of their bytes.
    r#"
    CREATE TABLE webauthn_registrations (
        webauthn_registration_id  TEXT PRIMARY KEY,
        user_id                   TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        credential_id             TEXT NOT NULL UNIQUE,
        user_handle               TEXT NOT NULL,
        domain                    TEXT NOT NULL,
        user_agent                TEXT NOT NULL DEFAULT '',
        authenticator_type        TEXT NOT NULL DEFAULT '',
        name                      TEXT NOT NULL,
        credential                TEXT NOT NULL,
        sign_count                INTEGER NOT NULL DEFAULT 0,
        created_at                INTEGER NOT NULL,
        last_used_at              INTEGER
    );
    CREATE INDEX webauthn_registrations_by_user ON webauthn_registrations(user_id);

    CREATE TABLE webauthn_challenges (
        challenge_hash  TEXT PRIMARY KEY,
        ceremony        TEXT NOT NULL CHECK (ceremony IN ('register', 'authenticate')),
        user_id         TEXT REFERENCES users(user_id) ON DELETE CASCADE,
        domain          TEXT NOT NULL,
        state           TEXT NOT NULL,
        extra           TEXT NOT NULL DEFAULT '{}',
        expires_at      INTEGER NOT NULL
    );
    CREATE INDEX webauthn_challenges_by_expiry ON webauthn_challenges(expires_at);

    CREATE TABLE totps (
        totp_id          TEXT PRIMARY KEY,
        user_id          TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        secret_sealed    TEXT NOT NULL,
        verified         INTEGER NOT NULL DEFAULT 0,
        expires_at       INTEGER,
        last_used_step   INTEGER,
        failed_attempts  INTEGER NOT NULL DEFAULT 0,
        locked_until     INTEGER,
        created_at       INTEGER NOT NULL
    );
    CREATE INDEX totps_by_user ON totps(user_id);

    CREATE TABLE totp_recovery_codes (
        totp_recovery_code_id  TEXT PRIMARY KEY,
        totp_id                TEXT NOT NULL REFERENCES totps(totp_id) ON DELETE CASCADE,
        salt                   TEXT NOT NULL,
        code_hash              TEXT NOT NULL,
        used_at                INTEGER,
        created_at             INTEGER NOT NULL
    );
    CREATE INDEX totp_recovery_codes_by_totp ON totp_recovery_codes(totp_id);
    "#,
    // 3: accounts made by a password sign-up whose email nobody has proven
    // yet (store::ownership). Existing such accounts: a password and an
    // unverified email.
    r#"
    ALTER TABLE users ADD COLUMN unproven INTEGER NOT NULL DEFAULT 0;
    UPDATE users SET unproven = 1
     WHERE user_id IN (SELECT user_id FROM passwords)
       AND user_id IN (SELECT user_id FROM emails WHERE verified = 0);
    "#,
];

/// Applies every migration the database has not seen yet, each in its own
/// transaction together with the `user_version` bump.
pub fn migrate(conn: &mut Connection) -> Result<(), String> {
    let current: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| format!("reading schema version: {e}"))?;
    let known = MIGRATIONS.len() as i64;
    if current > known {
        return Err(format!(
            "the database has schema version {current}, newer than this latchkey-server knows ({known}); use a newer build or another --data-dir"
        ));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as i64 + 1;
        let tx = conn
            .transaction()
            .map_err(|e| format!("migration {version}: {e}"))?;
        tx.execute_batch(sql)
            .map_err(|e| format!("migration {version}: {e}"))?;
        tx.pragma_update(None, "user_version", version)
            .map_err(|e| format!("migration {version}: {e}"))?;
        tx.commit()
            .map_err(|e| format!("migration {version}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_idempotent_and_versioned() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        assert!(migrate(&mut conn).unwrap_err().contains("newer"));
    }
}

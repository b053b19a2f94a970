//! SQLite storage: the connection, its pragmas, migrations, and one module per table group.
//!
//! One connection behind a mutex serves the whole server. Every access goes
//! through [`Db::call`] / [`Db::tx`], which run on tokio's blocking pool, so a
//! slow statement never stalls the async workers. Closures given to them must
//! stay short and do no CPU-heavy work (RSA, Argon2): do that before or after.

pub mod one_time;
pub mod outbox;
pub mod ownership;
pub mod passwordless;
pub mod project;
pub mod schema;
pub mod sessions;
pub mod totps;
pub mod users;
pub mod webauthn;

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::{ApiError, ApiResult};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "latchkey.sqlite3";

#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl Db {
    /// Opens (creating if needed) the database and applies pending migrations.
    pub fn open(path: &Path) -> Result<Db, String> {
        let conn = Connection::open(path)
            .map_err(|e| format!("cannot open database {}: {e}", path.display()))?;
        Self::configure(conn)
    }

    /// A private in-memory database (unit tests).
    pub fn open_in_memory() -> Result<Db, String> {
        let conn = Connection::open_in_memory().map_err(|e| e.to_string())?;
        Self::configure(conn)
    }

    fn configure(mut conn: Connection) -> Result<Db, String> {
        // WAL + synchronous=NORMAL: a committed transaction survives the
        // process being killed (not necessarily a power cut), and readers
        // never block the writer.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| format!("enabling WAL: {e}"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| format!("setting synchronous: {e}"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| format!("enabling foreign keys: {e}"))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| format!("setting busy_timeout: {e}"))?;
        schema::migrate(&mut conn)?;
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    pub async fn call<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> ApiResult<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            // A panic inside a closure cannot leave a transaction open
            // (Transaction rolls back on drop), so a poisoned lock is usable.
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| ApiError::internal(format_args!("database task failed: {e}")))?
    }

    /// Runs `f` inside one write transaction (BEGIN IMMEDIATE); commits if it
    /// returns `Ok`, rolls back otherwise.
    pub async fn tx<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> ApiResult<T> + Send + 'static,
    {
        self.call(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await
    }

    /// Synchronous access for start-up code that runs before the runtime serves.
    pub fn blocking<T>(&self, f: impl FnOnce(&mut Connection) -> ApiResult<T>) -> ApiResult<T> {
        let mut guard = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }
}

/// Whether a rusqlite error is a UNIQUE constraint violation.
pub fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// Reads a JSON text column, falling back to `default` when it does not parse
/// (a hand-edited database should not take the server down).
pub fn json_column(raw: &str, default: serde_json::Value) -> serde_json::Value {
    serde_json::from_str(raw).unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn transactions_commit_or_roll_back() {
        let db = Db::open_in_memory().unwrap();
        db.tx(|tx| {
            tx.execute(
                "INSERT INTO outbox (message_id, channel, recipient, subject, body, created_at) \
                 VALUES ('m1', 'email', 'a@example.com', 's', 'b', 1)",
                [],
            )?;
            Ok(())
        })
        .await
        .unwrap();
        let failed: ApiResult<()> = db
            .tx(|tx| {
                tx.execute(
                    "INSERT INTO outbox (message_id, channel, recipient, subject, body, created_at) \
                     VALUES ('m2', 'email', 'a@example.com', 's', 'b', 1)",
                    [],
                )?;
                Err(ApiError::bad_request("abort"))
            })
            .await;
        assert!(failed.is_err());
        let count: i64 = db
            .call(|c| Ok(c.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(count, 1);
    }
}

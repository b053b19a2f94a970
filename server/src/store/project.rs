//! Tables `project` (the one project: ids, secret hash, settings) and `signing_keys`.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::ApiResult;

/// Persisted project settings (what `/sdk/v1/projects/bootstrap` reports
/// beyond the runtime switches that come from the command line).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ProjectSettings {
    pub project_name: String,
    /// The LUDS policy reported by bootstrap; `None` means the zxcvbn policy.
    pub password_config: Option<PasswordConfig>,
    /// Where links and OAuth go when a request names no URL (Stytch's
    /// dashboard redirect URLs): `--default-login-redirect-url`, …
    pub default_login_redirect_url: Option<String>,
    pub default_signup_redirect_url: Option<String>,
}

impl Default for ProjectSettings {
    fn default() -> Self {
        Self {
            project_name: "Latchkey local project".into(),
            password_config: None,
            default_login_redirect_url: None,
            default_signup_redirect_url: None,
        }
    }
}

/// A LUDS password policy (lowercase, uppercase, digits, symbols).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PasswordConfig {
    /// How many of the four character classes a password needs.
    pub luds_complexity: u32,
    pub luds_minimum_count: u32,
}

#[derive(Debug, Clone)]
pub struct ProjectRow {
    pub project_id: String,
    pub public_token: String,
    /// SHA-256 hex of the secret; the secret itself is never stored here.
    pub secret_hash: String,
    pub settings: ProjectSettings,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct SigningKeyRow {
    pub kid: String,
    pub private_key_pem: String,
    pub certificate_der: Vec<u8>,
    pub created_at: i64,
}

pub fn load(conn: &Connection) -> ApiResult<Option<ProjectRow>> {
    Ok(conn
        .query_row(
            "SELECT project_id, public_token, secret_hash, settings, created_at FROM project WHERE id = 1",
            [],
            |row| {
                let settings: String = row.get(3)?;
                Ok(ProjectRow {
                    project_id: row.get(0)?,
                    public_token: row.get(1)?,
                    secret_hash: row.get(2)?,
                    settings: serde_json::from_str(&settings).unwrap_or_default(),
                    created_at: row.get(4)?,
                })
            },
        )
        .optional()?)
}

/// Inserts the project unless one exists; returns whether this call created it.
pub fn insert(conn: &Connection, project: &ProjectRow) -> ApiResult<bool> {
    let settings = serde_json::to_string(&project.settings)?;
    let inserted = conn.execute(
        "INSERT OR IGNORE INTO project (id, project_id, public_token, secret_hash, settings, created_at) \
         VALUES (1, ?1, ?2, ?3, ?4, ?5)",
        params![
            project.project_id,
            project.public_token,
            project.secret_hash,
            settings,
            project.created_at
        ],
    )?;
    Ok(inserted == 1)
}

pub fn set_settings(conn: &Connection, settings: &ProjectSettings) -> ApiResult<()> {
    conn.execute(
        "UPDATE project SET settings = ?1 WHERE id = 1",
        params![serde_json::to_string(settings)?],
    )?;
    Ok(())
}

pub fn set_secret_hash(conn: &Connection, secret_hash: &str) -> ApiResult<()> {
    conn.execute(
        "UPDATE project SET secret_hash = ?1 WHERE id = 1",
        params![secret_hash],
    )?;
    Ok(())
}

/// Active signing keys, newest first (the first one signs).
pub fn active_keys(conn: &Connection) -> ApiResult<Vec<SigningKeyRow>> {
    let mut stmt = conn.prepare(
        "SELECT kid, private_key_pem, certificate_der, created_at FROM signing_keys \
         WHERE active = 1 ORDER BY created_at DESC, rowid DESC",
    )?;
    let rows = stmt
        .query_map([], |row| {
            Ok(SigningKeyRow {
                kid: row.get(0)?,
                private_key_pem: row.get(1)?,
                certificate_der: row.get(2)?,
                created_at: row.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn insert_key(conn: &Connection, key: &SigningKeyRow) -> ApiResult<()> {
    conn.execute(
        "INSERT INTO signing_keys (kid, private_key_pem, certificate_der, active, created_at) \
         VALUES (?1, ?2, ?3, 1, ?4)",
        params![
            key.kid,
            key.private_key_pem,
            key.certificate_der,
            key.created_at
        ],
    )?;
    Ok(())
}

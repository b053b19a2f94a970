//! First-start provisioning: the data directory, the project and its ids, the signing key, and `credentials.json`.
//!
//! The database stores only a SHA-256 of the backend secret, so a copy of it
//! cannot call `/v1`. The secret itself lives in `<data-dir>/credentials.json`
//! (mode 0600), the way a developer would keep it in a `.env` file; that file
//! is what `--print-credentials` and end-to-end tests read.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::{
    auth::{keys, tokens},
    error::ApiError,
    ids,
    store::{
        project::{self, ProjectRow, ProjectSettings, SigningKeyRow},
        Db,
    },
};

/// File name of the credentials file inside the data directory.
pub const CREDENTIALS_FILE: &str = "credentials.json";

/// What a backend (and a test) needs to call the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub project_id: String,
    pub public_token: String,
    pub secret: String,
}

/// The outcome of provisioning, for the startup banner and the app state.
#[derive(Debug)]
pub struct Provisioned {
    pub project: ProjectRow,
    pub keys: Vec<SigningKeyRow>,
    /// Set when this start created the project.
    pub created: bool,
    /// Set when this start created or rotated the secret.
    pub new_secret: bool,
    /// The secret, when known (just created, or read from a matching credentials file).
    pub secret: Option<String>,
    pub credentials_path: PathBuf,
}

impl Provisioned {
    pub fn credentials(&self) -> Option<Credentials> {
        self.secret.as_ref().map(|secret| Credentials {
            project_id: self.project.project_id.clone(),
            public_token: self.project.public_token.clone(),
            secret: secret.clone(),
        })
    }
}

/// Creates the data directory if needed and opens its database.
pub fn open_data_dir(data_dir: &Path) -> Result<Db, String> {
    if !data_dir.exists() {
        fs::create_dir_all(data_dir)
            .map_err(|e| format!("cannot create data directory {}: {e}", data_dir.display()))?;
        restrict_permissions(data_dir, 0o700);
    }
    Db::open(&data_dir.join(crate::store::DB_FILE))
}

/// Loads the project, creating it (and its first signing key) on first start;
/// rotates the secret when asked.
pub fn provision(
    db: &Db,
    data_dir: &Path,
    now: i64,
    rotate_secret: bool,
) -> Result<Provisioned, String> {
    let credentials_path = data_dir.join(CREDENTIALS_FILE);
    let db_err = |e: ApiError| format!("provisioning the project: {}", e.message);

    let mut created = false;
    let mut new_secret = false;
    let mut secret = None;
    let mut project = match db.blocking(|c| project::load(c)).map_err(db_err)? {
        Some(project) => project,
        None => {
            // Generate outside any transaction: RSA key generation is slow.
            let key = keys::generate(now)?;
            let fresh_secret = tokens::new_secret();
            let row = ProjectRow {
                project_id: ids::new_id("project"),
                public_token: ids::new_id("public-token"),
                secret_hash: tokens::hash_token(&fresh_secret),
                settings: ProjectSettings::default(),
                created_at: now,
            };
            // The file first: if the commit then fails, the next start
            // simply provisions again and overwrites it.
            write_credentials(
                &credentials_path,
                &Credentials {
                    project_id: row.project_id.clone(),
                    public_token: row.public_token.clone(),
                    secret: fresh_secret.clone(),
                },
            )?;
            let inserted = db
                .blocking(|c| {
                    let tx = c.transaction()?;
                    let inserted = project::insert(&tx, &row)?;
                    if inserted {
                        project::insert_key(&tx, &key)?;
                    }
                    tx.commit()?;
                    Ok(inserted)
                })
                .map_err(db_err)?;
            if inserted {
                created = true;
                new_secret = true;
                secret = Some(fresh_secret);
                row
            } else {
                // Another process provisioned the same directory first.
                db.blocking(|c| project::load(c))
                    .map_err(db_err)?
                    .ok_or("the project vanished during provisioning")?
            }
        }
    };

    let mut key_rows = db.blocking(|c| project::active_keys(c)).map_err(db_err)?;
    if key_rows.is_empty() {
        let key = keys::generate(now)?;
        db.blocking(|c| project::insert_key(c, &key))
            .map_err(db_err)?;
        key_rows.push(key);
    }

    if rotate_secret {
        let fresh_secret = tokens::new_secret();
        write_credentials(
            &credentials_path,
            &Credentials {
                project_id: project.project_id.clone(),
                public_token: project.public_token.clone(),
                secret: fresh_secret.clone(),
            },
        )?;
        let hash = tokens::hash_token(&fresh_secret);
        db.blocking(|c| project::set_secret_hash(c, &hash))
            .map_err(db_err)?;
        project.secret_hash = hash;
        new_secret = true;
        secret = Some(fresh_secret);
    }

    if secret.is_none() {
        secret = read_credentials(&credentials_path)
            .filter(|c| {
                c.project_id == project.project_id
                    && tokens::ct_eq(&tokens::hash_token(&c.secret), &project.secret_hash)
            })
            .map(|c| c.secret);
    }

    Ok(Provisioned {
        project,
        keys: key_rows,
        created,
        new_secret,
        secret,
        credentials_path,
    })
}

/// Reads a credentials file; `None` if missing or unreadable.
pub fn read_credentials(path: &Path) -> Option<Credentials> {
    let raw = fs::read_to_string(path).ok()?;
    serde_json::from_str(&raw).ok()
}

/// Writes the credentials atomically (temp file + rename) with mode 0600.
fn write_credentials(path: &Path, credentials: &Credentials) -> Result<(), String> {
    let json = serde_json::to_string_pretty(credentials).map_err(|e| e.to_string())?;
    let tmp = path.with_extension("json.tmp");
    let err = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(err)?;
    file.write_all(json.as_bytes()).map_err(err)?;
    file.write_all(b"\n").map_err(err)?;
    file.sync_all().map_err(err)?;
    drop(file);
    restrict_permissions(&tmp, 0o600);
    fs::rename(&tmp, path).map_err(err)
}

fn restrict_permissions(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_creates_then_later_starts_reload() {
        let dir = tempfile::tempdir().unwrap();
        let db = open_data_dir(dir.path()).unwrap();
        let first = provision(&db, dir.path(), 1000, false).unwrap();
        assert!(first.created && first.new_secret);
        let creds = first.credentials().unwrap();
        assert!(creds.project_id.starts_with("project-test-"));
        assert!(creds.public_token.starts_with("public-token-test-"));
        assert!(creds.secret.starts_with("secret-test-"));
        assert_eq!(first.keys.len(), 1);

        // The database holds only the hash.
        let stored = db.blocking(|c| project::load(c)).unwrap().unwrap();
        assert_eq!(stored.secret_hash, tokens::hash_token(&creds.secret));
        let bytes = fs::read(dir.path().join(crate::store::DB_FILE)).unwrap();
        assert!(!bytes
            .windows(creds.secret.len())
            .any(|w| w == creds.secret.as_bytes()));

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&first.credentials_path)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let again = provision(&db, dir.path(), 2000, false).unwrap();
        assert!(!again.created && !again.new_secret);
        assert_eq!(again.credentials().unwrap(), creds);
        assert_eq!(again.keys[0].kid, first.keys[0].kid);
    }

    #[test]
    fn a_lost_credentials_file_is_recovered_by_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let db = open_data_dir(dir.path()).unwrap();
        let first = provision(&db, dir.path(), 1000, false).unwrap();
        fs::remove_file(&first.credentials_path).unwrap();
        let lost = provision(&db, dir.path(), 1001, false).unwrap();
        assert!(lost.secret.is_none());
        let rotated = provision(&db, dir.path(), 1002, true).unwrap();
        let creds = rotated.credentials().unwrap();
        assert_ne!(creds.secret, first.secret.unwrap());
        assert_eq!(read_credentials(&rotated.credentials_path), Some(creds));
    }
}

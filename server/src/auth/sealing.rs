//! The field key: AES-256-GCM sealing of secrets the server must read back (TOTP secrets), keyed from a file beside the database.
//!
//! The key lives in `<data-dir>/field.key` (32 CSPRNG bytes, mode 0600), not
//! in the database, so a copy of `latchkey.sqlite3` alone does not reveal
//! any TOTP secret — the same split as the backend secret, whose hash is in
//! the database and whose value is in `credentials.json`. Each sealed value
//! has its own random 96-bit nonce and is bound to a context string (the
//! row's id) as associated data, so a sealed secret copied into another row
//! does not open.

use std::{io::Write, path::Path};

use base64::{engine::general_purpose::STANDARD, Engine as _};
use openssl::symm::{decrypt_aead, encrypt_aead, Cipher};

use crate::{
    error::{ApiError, ApiResult},
    ids,
};

/// File name of the field key inside the data directory.
pub const KEY_FILE: &str = "field.key";

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

#[derive(Clone)]
pub struct FieldKey([u8; 32]);

impl std::fmt::Debug for FieldKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FieldKey(..)")
    }
}

impl FieldKey {
    /// Reads `<data_dir>/field.key`, creating it on first use. A file of the
    /// wrong size is an error (never silently replaced: that would make every
    /// sealed secret unreadable).
    pub fn load_or_create(data_dir: &Path) -> Result<FieldKey, String> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                    format!(
                        "{} must hold exactly 32 bytes (it holds {})",
                        path.display(),
                        bytes.len()
                    )
                })?;
                Ok(FieldKey(key))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key = ids::random_bytes::<32>();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                let mut file = options
                    .open(&path)
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                file.write_all(&key)
                    .and_then(|_| file.sync_all())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(FieldKey(key))
            }
            Err(err) => Err(format!("cannot read {}: {err}", path.display())),
        }
    }

    /// `base64(nonce || ciphertext || tag)`.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> ApiResult<String> {
        let nonce = ids::random_bytes::<NONCE_LEN>();
        let mut tag = [0u8; TAG_LEN];
        let ciphertext = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(&nonce),
            context.as_bytes(),
            plaintext,
            &mut tag,
        )
        .map_err(|e| ApiError::internal(format_args!("sealing failed: {e}")))?;
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len() + TAG_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out.extend_from_slice(&tag);
        Ok(STANDARD.encode(out))
    }

    /// Opens what [`FieldKey::seal`] produced for the same context. A wrong
    /// key, context or a modified value is an internal error (the database
    /// and the key file do not belong together).
    pub fn open(&self, context: &str, sealed: &str) -> ApiResult<Vec<u8>> {
        let broken = |why: &str| {
            ApiError::internal(format_args!(
                "a sealed value for {context} does not open ({why}); is {KEY_FILE} the one this database was written with?"
            ))
        };
        let bytes = STANDARD.decode(sealed).map_err(|_| broken("not base64"))?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(broken("too short"));
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(nonce),
            context.as_bytes(),
            ciphertext,
            tag,
        )
        .map_err(|_| broken("authentication failed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let dir = tempfile::tempdir().unwrap();
        let key = FieldKey::load_or_create(dir.path()).unwrap();
        let again = FieldKey::load_or_create(dir.path()).unwrap();
        assert_eq!(key.0, again.0, "the key file is reused");
        let sealed = key.seal("totp-test-1", b"secret bytes").unwrap();
        assert!(!sealed.contains("secret"));
        assert_ne!(sealed, key.seal("totp-test-1", b"secret bytes").unwrap());
        assert_eq!(again.open("totp-test-1", &sealed).unwrap(), b"secret bytes");
        assert!(key.open("totp-test-2", &sealed).is_err());
        let other = FieldKey([7; 32]);
        assert!(other.open("totp-test-1", &sealed).is_err());
        let mut tampered = STANDARD.decode(&sealed).unwrap();
        tampered[NONCE_LEN] ^= 1;
        assert!(key.open("totp-test-1", &STANDARD.encode(tampered)).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

//! The RSA-2048 session-signing keys: generation (with a self-signed certificate), loading, and their JWK form.

use std::{str::FromStr, sync::Arc, time::Duration};

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine as _,
};
use rsa::{
    pkcs1v15::{Signature, SigningKey, VerifyingKey},
    pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding},
    signature::{Keypair, SignatureEncoding, Signer},
    traits::PublicKeyParts,
    PrivateKey,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_cert::{
    builder::{profile, Builder, CertificateBuilder},
    der::Encode,
    name::Name,
    serial_number::SerialNumber,
    spki::SubjectPublicKeyInfoOwned,
    time::Validity,
};

use crate::{ids, store::project::SigningKeyRow};

/// One public key as `GET /v1/sessions/jwks/{project_id}` lists it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Jwk {
    pub kty: &'static str,
    #[serde(rename = "use")]
    pub use_: &'static str,
    pub key_ops: Vec<&'static str>,
    pub alg: &'static str,
    pub kid: String,
    pub n: String,
    pub e: String,
    pub x5c: Vec<String>,
    /// The name protocol.md gives the certificate thumbprint.
    #[serde(rename = "x5tS256")]
    pub x5t_s256: String,
    /// The same thumbprint under its RFC 7517 name, for standard JOSE libraries.
    #[serde(rename = "x5t#S256")]
    pub x5t_hash_s256: String,
}

/// A loaded signing key: ready to sign, verify and publish.
pub struct KeyPair {
    pub kid: String,
    signing: SigningKey<Sha256>,
    verifying: VerifyingKey<Sha256>,
    pub jwk: Jwk,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair").field("kid", &self.kid).finish()
    }
}

impl KeyPair {
    /// RS256 (PKCS#1 v1.5 with SHA-256). CPU-bound (~2 ms): call it from
    /// `spawn_blocking`, never while holding the database.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: Signature = self.signing.sign(message);
        signature.to_vec()
    }

    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use rsa::signature::Verifier;
        Signature::try_from(signature)
            .map(|sig| self.verifying.verify(message, &sig).is_ok())
            .unwrap_or(false)
    }
}

/// Generates a new RSA-2048 key, its `kid` and a self-signed certificate
/// (for the JWK's `x5c`), ready to be stored.
pub fn generate(now: i64) -> Result<SigningKeyRow, String> {
    let mut rng = rsa::rand_core::UnwrapErr(getrandom::SysRng);
    let private_key =
        PrivateKey::new(&mut rng, 2048).map_err(|e| format!("generating the RSA key: {e}"))?;
    let private_key_pem = private_key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| format!("encoding the RSA key: {e}"))?
        .to_string();
    let signing = SigningKey::<Sha256>::new(private_key);
    let certificate_der = self_signed_certificate(&signing)?;
    Ok(SigningKeyRow {
        kid: ids::new_id("jwk"),
        private_key_pem,
        certificate_der,
        created_at: now,
    })
}

fn self_signed_certificate(signing: &SigningKey<Sha256>) -> Result<Vec<u8>, String> {
    let err = |what: &str, e: &dyn std::fmt::Display| format!("certificate {what}: {e}");
    let spki_der = signing
        .verifying_key()
        .to_public_key_der()
        .map_err(|e| err("public key", &e))?;
    let spki = SubjectPublicKeyInfoOwned::try_from(spki_der.as_bytes())
        .map_err(|e| err("public key", &e))?;
    let subject = Name::from_str("CN=latchkey-server session signing key,O=Latchkey,C=US")
        .map_err(|e| err("subject", &e))?;
    let profile = profile::cabf::Root::new(false, subject).map_err(|e| err("profile", &e))?;
    let mut serial = ids::random_bytes::<15>();
    serial[0] |= 0x01; // never zero
    let serial = SerialNumber::new(&serial).map_err(|e| err("serial", &e))?;
    let validity = Validity::from_now(Duration::from_secs(10 * 366 * 86_400))
        .map_err(|e| err("validity", &e))?;
    let certificate = CertificateBuilder::new(profile, serial, validity, spki)
        .map_err(|e| err("builder", &e))?
        .build::<_, Signature>(signing)
        .map_err(|e| err("signing", &e))?;
    certificate.to_der().map_err(|e| err("encoding", &e))
}

/// Parses a stored key and precomputes its JWK.
pub fn load(row: &SigningKeyRow) -> Result<KeyPair, String> {
    let private_key = PrivateKey::from_pkcs8_pem(&row.private_key_pem)
        .map_err(|e| format!("signing key {}: {e}", row.kid))?;
    let public = private_key.to_public_key();
    let thumbprint = URL_SAFE_NO_PAD.encode(Sha256::digest(&row.certificate_der));
    let jwk = Jwk {
        kty: "RSA",
        use_: "sig",
        key_ops: vec!["verify"],
        alg: "RS256",
        kid: row.kid.clone(),
        n: URL_SAFE_NO_PAD.encode(public.n_bytes()),
        e: URL_SAFE_NO_PAD.encode(public.e_bytes()),
        x5c: vec![STANDARD.encode(&row.certificate_der)],
        x5t_s256: thumbprint.clone(),
        x5t_hash_s256: thumbprint,
    };
    let signing = SigningKey::<Sha256>::new(private_key);
    let verifying = signing.verifying_key();
    Ok(KeyPair {
        kid: row.kid.clone(),
        signing,
        verifying,
        jwk,
    })
}

/// The project's active keys; the first one signs, all of them verify.
#[derive(Debug, Clone)]
pub struct KeySet {
    keys: Vec<Arc<KeyPair>>,
}

impl KeySet {
    pub fn new(keys: Vec<KeyPair>) -> Result<KeySet, String> {
        if keys.is_empty() {
            return Err("the project has no active signing key".into());
        }
        Ok(KeySet {
            keys: keys.into_iter().map(Arc::new).collect(),
        })
    }

    pub fn signer(&self) -> Arc<KeyPair> {
        self.keys[0].clone()
    }

    pub fn find(&self, kid: &str) -> Option<Arc<KeyPair>> {
        self.keys.iter().find(|k| k.kid == kid).cloned()
    }

    pub fn jwks(&self) -> Vec<Jwk> {
        self.keys.iter().map(|k| k.jwk.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_loads_signs_and_verifies() {
        let row = generate(0).unwrap();
        assert!(row.kid.starts_with("jwk-test-"));
        assert!(row
            .private_key_pem
            .starts_with("-----BEGIN PRIVATE KEY-----"));
        let key = load(&row).unwrap();
        let sig = key.sign(b"message");
        assert_eq!(sig.len(), 256);
        assert!(key.verify(b"message", &sig));
        assert!(!key.verify(b"other", &sig));
        assert_eq!(key.jwk.e, "AQAB");
        assert_eq!(URL_SAFE_NO_PAD.decode(&key.jwk.n).unwrap().len(), 256);
        // The certificate is DER (a SEQUENCE) and its thumbprint matches.
        assert_eq!(row.certificate_der[0], 0x30);
        let x5c = STANDARD.decode(&key.jwk.x5c[0]).unwrap();
        assert_eq!(x5c, row.certificate_der);
        assert_eq!(
            key.jwk.x5t_s256,
            URL_SAFE_NO_PAD.encode(Sha256::digest(&x5c))
        );
    }
}

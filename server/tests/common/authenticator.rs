//! A software WebAuthn authenticator for tests: what Chromium's virtual
//! authenticator plus `@github/webauthn-json` hand the server, made with
//! real keys — ES256 through RustCrypto's `p256`, RS256 through the `rsa`
//! crate — so the server's verification (webauthn-rs on OpenSSL) is checked
//! against an independent implementation.
//!
//! `create` turns the server's creation options (the JSON string of
//! register/start) into the `public_key_credential` string of register:
//! `fmt: "none"` attestation, flags UP+UV+AT, a 32-byte credential id.
//! `get` turns request options into an assertion signed over
//! `authenticatorData || SHA-256(clientDataJSON)`, with `userHandle` set to
//! the `user.id` given at creation. Fields are public so abuse tests can
//! bend them (counter, RP id, origin, key).
#![allow(dead_code)]

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine as _,
};
use p256::ecdsa::signature::Signer as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Chromium's virtual authenticator's AAGUID.
const AAGUID: [u8; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8];

pub enum Key {
    Es256(p256::ecdsa::SigningKey),
    Rs256(Box<rsa::PrivateKey>),
}

impl Key {
    pub fn es256() -> Key {
        loop {
            let bytes = latchkey_server::ids::random_bytes::<32>();
            if let Ok(key) = p256::ecdsa::SigningKey::from_slice(&bytes) {
                return Key::Es256(key);
            }
        }
    }

    pub fn rs256() -> Key {
        let mut rng = rsa::rand_core::UnwrapErr(getrandom::SysRng);
        Key::Rs256(Box::new(
            rsa::PrivateKey::new(&mut rng, 2048).expect("an RSA key"),
        ))
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Key::Es256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(message);
                signature.to_der().as_bytes().to_vec()
            }
            Key::Rs256(key) => {
                use rsa::signature::{SignatureEncoding, Signer};
                let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new((**key).clone());
                signer.sign(message).to_vec()
            }
        }
    }

    /// The COSE_Key of the public half.
    fn cose(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Key::Es256(key) => {
                let point = key.verifying_key().to_sec1_point(false);
                let bytes = point.as_bytes();
                assert_eq!(bytes.len(), 65);
                cbor_map_head(&mut out, 5);
                cbor_int(&mut out, 1);
                cbor_int(&mut out, 2); // kty: EC2
                cbor_int(&mut out, 3);
                cbor_int(&mut out, -7); // alg: ES256
                cbor_int(&mut out, -1);
                cbor_int(&mut out, 1); // crv: P-256
                cbor_int(&mut out, -2);
                cbor_bytes(&mut out, &bytes[1..33]);
                cbor_int(&mut out, -3);
                cbor_bytes(&mut out, &bytes[33..65]);
            }
            Key::Rs256(key) => {
                use rsa::traits::PublicKeyParts;
                let public = key.to_public_key();
                cbor_map_head(&mut out, 4);
                cbor_int(&mut out, 1);
                cbor_int(&mut out, 3); // kty: RSA
                cbor_int(&mut out, 3);
                cbor_int(&mut out, -257); // alg: RS256
                cbor_int(&mut out, -1);
                cbor_bytes(&mut out, &public.n_bytes());
                cbor_int(&mut out, -2);
                cbor_bytes(&mut out, &public.e_bytes());
            }
        }
        out
    }
}

pub struct Authenticator {
    pub key: Key,
    pub credential_id: Vec<u8>,
    /// The `user.id` of the creation options (returned as `userHandle`).
    pub user_handle: Vec<u8>,
    /// The counter the next operation reports (after incrementing).
    pub sign_count: u32,
    /// When set, authenticator data hashes this RP id instead of the options' one.
    pub rp_id_override: Option<String>,
    /// Whether the assertion carries `userHandle` (a resident credential does).
    pub send_user_handle: bool,
}

impl Authenticator {
    pub fn es256() -> Authenticator {
        Self::with_key(Key::es256())
    }

    pub fn rs256() -> Authenticator {
        Self::with_key(Key::rs256())
    }

    pub fn with_key(key: Key) -> Authenticator {
        Authenticator {
            key,
            credential_id: latchkey_server::ids::random_bytes::<32>().to_vec(),
            user_handle: Vec::new(),
            sign_count: 0,
            rp_id_override: None,
            send_user_handle: true,
        }
    }

    /// base64url of the credential id (the credential's `id`).
    pub fn id(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.credential_id)
    }

    /// `navigator.credentials.create` + webauthn-json: creation options
    /// (the server's JSON string) in, the `public_key_credential` string out.
    pub fn create(&mut self, options_json: &str, origin: &str) -> String {
        let options: Value = serde_json::from_str(options_json).expect("options are JSON");
        let challenge = decode(options["challenge"].as_str().expect("challenge"));
        let rp_id = options["rp"]["id"].as_str().expect("rp.id").to_string();
        self.user_handle = decode(options["user"]["id"].as_str().expect("user.id"));
        let client_data = client_data_json("webauthn.create", &challenge, origin);
        self.sign_count += 1;
        let mut auth_data = self.authenticator_data(&rp_id, 0x45);
        auth_data.extend_from_slice(&AAGUID);
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&self.key.cose());
        let mut attestation = Vec::new();
        cbor_map_head(&mut attestation, 3);
        cbor_text(&mut attestation, "fmt");
        cbor_text(&mut attestation, "none");
        cbor_text(&mut attestation, "attStmt");
        cbor_map_head(&mut attestation, 0);
        cbor_text(&mut attestation, "authData");
        cbor_bytes(&mut attestation, &auth_data);
        json!({
            "type": "public-key",
            "id": self.id(),
            "rawId": self.id(),
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": URL_SAFE_NO_PAD.encode(client_data.as_bytes()),
                "attestationObject": URL_SAFE_NO_PAD.encode(&attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        })
        .to_string()
    }

    /// `navigator.credentials.get` + webauthn-json: request options in, the
    /// assertion's `public_key_credential` string out.
    pub fn get(&mut self, options_json: &str, origin: &str) -> String {
        let options: Value = serde_json::from_str(options_json).expect("options are JSON");
        let challenge = decode(options["challenge"].as_str().expect("challenge"));
        let rp_id = options["rpId"].as_str().expect("rpId").to_string();
        self.assert(&challenge, &rp_id, origin)
    }

    /// An assertion over an explicit challenge (for replaying one).
    pub fn assert(&mut self, challenge: &[u8], rp_id: &str, origin: &str) -> String {
        let client_data = client_data_json("webauthn.get", challenge, origin);
        self.sign_count += 1;
        let auth_data = self.authenticator_data(rp_id, 0x05);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(client_data.as_bytes()));
        let signature = self.key.sign(&signed);
        let user_handle = if self.send_user_handle {
            Value::String(URL_SAFE_NO_PAD.encode(&self.user_handle))
        } else {
            Value::Null
        };
        json!({
            "type": "public-key",
            "id": self.id(),
            "rawId": self.id(),
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": URL_SAFE_NO_PAD.encode(client_data.as_bytes()),
                "authenticatorData": URL_SAFE_NO_PAD.encode(&auth_data),
                "signature": URL_SAFE_NO_PAD.encode(&signature),
                "userHandle": user_handle,
            },
            "clientExtensionResults": {},
        })
        .to_string()
    }

    fn authenticator_data(&self, rp_id: &str, flags: u8) -> Vec<u8> {
        let rp_id = self.rp_id_override.as_deref().unwrap_or(rp_id);
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend_from_slice(&self.sign_count.to_be_bytes());
        data
    }
}

/// The challenge a credential answers (from its clientDataJSON).
pub fn challenge_of(credential_json: &str) -> Vec<u8> {
    let credential: Value = serde_json::from_str(credential_json).unwrap();
    let client_data = URL_SAFE_NO_PAD
        .decode(credential["response"]["clientDataJSON"].as_str().unwrap())
        .unwrap();
    let client_data: Value = serde_json::from_slice(&client_data).unwrap();
    URL_SAFE_NO_PAD
        .decode(client_data["challenge"].as_str().unwrap())
        .unwrap()
}

fn client_data_json(kind: &str, challenge: &[u8], origin: &str) -> String {
    json!({
        "type": kind,
        "challenge": URL_SAFE_NO_PAD.encode(challenge),
        "origin": origin,
        "crossOrigin": false,
    })
    .to_string()
}

/// webauthn-json's decoder: `-`→`+`, `_`→`/`, pad, then standard base64.
pub fn decode(text: &str) -> Vec<u8> {
    let mut s: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !s.len().is_multiple_of(4) {
        s.push('=');
    }
    STANDARD.decode(s).expect("webauthn-json can decode it")
}

// ---- a minimal CBOR writer (RFC 8949, definite lengths) -------------------------

fn cbor_head(out: &mut Vec<u8>, major: u8, value: u64) {
    let major = major << 5;
    match value {
        0..=23 => out.push(major | value as u8),
        24..=0xff => out.extend_from_slice(&[major | 24, value as u8]),
        0x100..=0xffff => {
            out.push(major | 25);
            out.extend_from_slice(&(value as u16).to_be_bytes());
        }
        _ => {
            out.push(major | 26);
            out.extend_from_slice(&(value as u32).to_be_bytes());
        }
    }
}

fn cbor_int(out: &mut Vec<u8>, value: i64) {
    if value >= 0 {
        cbor_head(out, 0, value as u64);
    } else {
        cbor_head(out, 1, (-1 - value) as u64);
    }
}

fn cbor_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    cbor_head(out, 2, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn cbor_text(out: &mut Vec<u8>, text: &str) {
    cbor_head(out, 3, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

fn cbor_map_head(out: &mut Vec<u8>, entries: u64) {
    cbor_head(out, 5, entries);
}

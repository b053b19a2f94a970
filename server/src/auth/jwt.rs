//! Compact JWS with RS256: encoding session JWTs and verifying them against the project's keys.
//!
//! Only what sessions need: header `{alg: "RS256", kid, typ: "JWT"}`, JSON
//! claims, PKCS#1 v1.5 signatures. Claim checks (issuer, audience, expiry)
//! belong to the caller, because an expired JWT of a live session is still
//! acceptable to `/v1/sessions/authenticate`.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use serde_json::{Map, Value};

use crate::auth::keys::{KeyPair, KeySet};

/// Signs `claims` with `key`. CPU-bound: run on the blocking pool.
pub fn encode(key: &KeyPair, claims: &Map<String, Value>) -> String {
    let header = serde_json::json!({ "alg": "RS256", "kid": key.kid, "typ": "JWT" });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string())
    );
    let signature = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtError {
    /// Not three base64url parts of JSON.
    Malformed,
    /// `alg` is not RS256 (never accept `none` or HMAC).
    Algorithm,
    /// `kid` names no key of this project.
    UnknownKey,
    Signature,
}

impl std::fmt::Display for JwtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JwtError::Malformed => "the JWT is malformed",
            JwtError::Algorithm => "the JWT is not signed with RS256",
            JwtError::UnknownKey => "the JWT was signed by an unknown key",
            JwtError::Signature => "the JWT signature is invalid",
        })
    }
}

/// Whether a credential has the shape of a compact JWS (three dot-separated parts).
pub fn looks_like_jwt(raw: &str) -> bool {
    raw.split('.').count() == 3 && raw.len() > 20
}

/// Verifies the signature and returns the claims. Does not check any claim.
pub fn decode_verified(keys: &KeySet, jwt: &str) -> Result<Map<String, Value>, JwtError> {
    let mut parts = jwt.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header: Value = decode_json(header_b64)?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(JwtError::Algorithm);
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(JwtError::UnknownKey)?;
    let key = keys.find(kid).ok_or(JwtError::UnknownKey)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| JwtError::Malformed)?;
    let signing_input = &jwt[..header_b64.len() + 1 + claims_b64.len()];
    if !key.verify(signing_input.as_bytes(), &signature) {
        return Err(JwtError::Signature);
    }
    match decode_json(claims_b64)? {
        Value::Object(claims) => Ok(claims),
        _ => Err(JwtError::Malformed),
    }
}

fn decode_json(part: &str) -> Result<Value, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::keys;

    fn keyset() -> KeySet {
        KeySet::new(vec![keys::load(&keys::generate(0).unwrap()).unwrap()]).unwrap()
    }

    #[test]
    fn round_trip_and_tamper_detection() {
        let keys = keyset();
        let mut claims = Map::new();
        claims.insert("sub".into(), "user-test-1".into());
        let jwt = encode(&keys.signer(), &claims);
        assert!(looks_like_jwt(&jwt));
        let header: Value = decode_json(jwt.split('.').next().unwrap()).unwrap();
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["typ"], "JWT");
        assert_eq!(header["kid"], keys.signer().kid.as_str());
        assert_eq!(decode_verified(&keys, &jwt).unwrap(), claims);

        // Swap in other claims under the same signature.
        let mut parts: Vec<&str> = jwt.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(r#"{"sub":"user-test-2"}"#);
        parts[1] = &forged;
        assert_eq!(
            decode_verified(&keys, &parts.join(".")),
            Err(JwtError::Signature)
        );
        // A key of another project.
        assert_eq!(decode_verified(&keyset(), &jwt), Err(JwtError::UnknownKey));
        assert_eq!(decode_verified(&keys, "a.b"), Err(JwtError::Malformed));
    }

    #[test]
    fn alg_none_is_refused() {
        let keys = keyset();
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"x"}"#);
        let claims = URL_SAFE_NO_PAD.encode(r#"{"sub":"user-test-1"}"#);
        assert_eq!(
            decode_verified(&keys, &format!("{header}.{claims}.")),
            Err(JwtError::Algorithm)
        );
    }
}

//! WebAuthn mechanics around `webauthn-rs-core`: the relying party for a domain, which origins may answer for it, the options JSON the browser SDK consumes, and reading `clientDataJSON`.
//!
//! Every signature, attestation, challenge, origin, RP-id-hash and counter
//! check is the library's; this module only decides the policy it is given
//! (which origin is allowed, which RP id) and converts encodings at the edge.

use std::time::Duration;

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD},
    Engine as _,
};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;
use webauthn_rs_core::{
    proto::{COSEKey, COSEKeyType, ECDSACurve},
    WebauthnCore,
};

use crate::{
    config::Config,
    error::{ApiError, ApiResult, ErrorType},
};

/// How long a started ceremony may be finished (also the browser's `timeout`).
pub const CEREMONY_SECS: i64 = 300;

/// The relying party for one ceremony: RP id = `domain`, and the origins
/// whose answers it accepts (at start nothing is verified, so none).
pub fn relying_party(rp_name: &str, domain: &str, origins: Vec<Url>) -> WebauthnCore {
    WebauthnCore::new_unsafe_experts_only(
        rp_name,
        domain,
        origins,
        Duration::from_secs(CEREMONY_SECS as u64),
        Some(false),
        Some(false),
    )
}

/// The host of an authorized-origin pattern (`http://localhost:*` → `localhost`).
fn pattern_host(pattern: &str) -> Option<String> {
    let url = Url::parse(pattern.strip_suffix(":*").unwrap_or(pattern)).ok()?;
    url.host_str().map(str::to_ascii_lowercase)
}

fn within(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

fn invalid_domain(message: String) -> ApiError {
    ApiError::new(ErrorType::InvalidDomain, message)
}

/// A `domain` usable as the RP id: a host name of which at least one
/// authorized origin is the domain itself or a subdomain. Returns it
/// lower-cased; 400 `invalid_domain` otherwise.
pub fn check_domain(config: &Config, domain: &str) -> ApiResult<String> {
    let domain = domain.trim().to_ascii_lowercase();
    let well_formed = !domain.is_empty()
        && domain.len() <= 253
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !well_formed {
        return Err(invalid_domain(format!(
            "`domain` must be a host name such as example.com (got {domain:?})."
        )));
    }
    if config
        .authorized_origins
        .iter()
        .filter_map(|pattern| pattern_host(pattern))
        .any(|host| within(&host, &domain))
    {
        Ok(domain)
    } else {
        Err(invalid_domain(format!(
            "{domain} is not the host (or a parent domain of the host) of any authorized origin of this project."
        )))
    }
}

/// The origin a browser reported in `clientDataJSON`, if it may answer for
/// `domain`: an authorized origin whose host is `domain` or a subdomain of it.
pub fn allowed_origin(config: &Config, domain: &str, origin: &str) -> Option<Url> {
    if !config.is_authorized_origin(origin) {
        return None;
    }
    let url = Url::parse(origin).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    within(&host, domain).then_some(url)
}

/// What the server reads from `clientDataJSON` before handing the whole
/// credential to the library: the challenge (to find the ceremony) and the
/// origin (to choose the allowed origin).
#[derive(Debug, Clone)]
pub struct ClientData {
    pub challenge: Vec<u8>,
    pub origin: String,
}

#[derive(Deserialize)]
struct RawClientData {
    challenge: String,
    origin: String,
}

fn invalid_credential(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorType::InvalidPublicKeyCredential, message)
}

pub fn client_data(client_data_json: &[u8]) -> ApiResult<ClientData> {
    let raw: RawClientData = serde_json::from_slice(client_data_json).map_err(|e| {
        invalid_credential(format!(
            "response.clientDataJSON is not the expected JSON: {e}."
        ))
    })?;
    let challenge = decode_base64(&raw.challenge)
        .ok_or_else(|| invalid_credential("clientDataJSON.challenge is not base64url."))?;
    Ok(ClientData {
        challenge,
        origin: raw.origin,
    })
}

/// Parses `public_key_credential` (a JSON string, binary fields base64url)
/// into the library's type; 400 `invalid_public_key_credential` otherwise.
pub fn parse_credential<T: serde::de::DeserializeOwned>(text: &str) -> ApiResult<T> {
    serde_json::from_str(text).map_err(|e| {
        invalid_credential(format!(
            "public_key_credential must be the JSON text of the browser's credential (binary fields base64url): {e}."
        ))
    })
}

/// The key a ceremony is stored under: SHA-256 of its challenge bytes, hex.
pub fn challenge_hash(challenge: &[u8]) -> String {
    Sha256::digest(challenge)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Base64 in any of the alphabets browsers and SDKs use (standard or URL-safe, padded or not).
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()
        .or_else(|| STANDARD.decode(text).ok())
        .or_else(|| URL_SAFE.decode(text).ok())
        .or_else(|| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(trimmed)
                .ok()
        })
}

pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The binary fields of creation options that the browser SDK decodes.
pub const CREATION_BINARY_FIELDS: &[&[&str]] = &[
    &["challenge"],
    &["user", "id"],
    &["excludeCredentials", "*", "id"],
];
/// The binary fields of request options that the browser SDK decodes.
pub const REQUEST_BINARY_FIELDS: &[&[&str]] = &[&["challenge"], &["allowCredentials", "*", "id"]];

/// The options as the JSON *string* Stytch's API returns. The library writes
/// binary fields as unpadded base64url; Stytch's default is standard base64,
/// so unless `base64url` is asked for, the fields the SDK decodes
/// (`paths`, `*` = every array element) are re-encoded.
pub fn options_json(mut options: Value, base64url: bool, paths: &[&[&str]]) -> String {
    if !base64url {
        for path in paths {
            reencode(&mut options, path);
        }
    }
    options.to_string()
}

fn reencode(value: &mut Value, path: &[&str]) {
    match path.split_first() {
        None => {
            if let Some(bytes) = value.as_str().and_then(|s| URL_SAFE_NO_PAD.decode(s).ok()) {
                *value = Value::String(STANDARD.encode(bytes));
            }
        }
        Some((&"*", rest)) => {
            if let Some(items) = value.as_array_mut() {
                for item in items {
                    reencode(item, rest);
                }
            }
        }
        Some((key, rest)) => {
            if let Some(inner) = value.get_mut(*key) {
                reencode(inner, rest);
            }
        }
    }
}

/// A credential's public key as DER SubjectPublicKeyInfo, base64 (the
/// `public_key` of the backend's credential list).
pub fn public_key_spki_base64(key: &COSEKey) -> ApiResult<String> {
    use openssl::{bn::BigNum, ec::EcGroup, ec::EcKey, nid::Nid, pkey::PKey, rsa::Rsa};
    let fail = |e: openssl::error::ErrorStack| ApiError::internal(format_args!("public key: {e}"));
    let pkey = match &key.key {
        COSEKeyType::EC_EC2(ec) => {
            let nid = match ec.curve {
                ECDSACurve::SECP256R1 => Nid::X9_62_PRIME256V1,
                ECDSACurve::SECP384R1 => Nid::SECP384R1,
                ECDSACurve::SECP521R1 => Nid::SECP521R1,
            };
            let group = EcGroup::from_curve_name(nid).map_err(fail)?;
            let x = BigNum::from_slice(ec.x.as_ref()).map_err(fail)?;
            let y = BigNum::from_slice(ec.y.as_ref()).map_err(fail)?;
            let ec_key = EcKey::from_public_key_affine_coordinates(&group, &x, &y).map_err(fail)?;
            PKey::from_ec_key(ec_key).map_err(fail)?
        }
        COSEKeyType::RSA(rsa) => {
            let n = BigNum::from_slice(rsa.n.as_ref()).map_err(fail)?;
            let e = BigNum::from_slice(&rsa.e).map_err(fail)?;
            PKey::from_rsa(Rsa::from_public_components(n, e).map_err(fail)?).map_err(fail)?
        }
        COSEKeyType::EC_OKP(_) => {
            return Err(ApiError::internal(
                "an OKP key was registered, which this server never offers",
            ))
        }
    };
    Ok(STANDARD.encode(pkey.public_key_to_der().map_err(fail)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_must_belong_to_an_authorized_origin() {
        let mut config = Config::with_data_dir("/tmp/x");
        config.authorized_origins = vec![
            "http://localhost:*".into(),
            "https://app.example.com".into(),
        ];
        assert_eq!(check_domain(&config, "localhost").unwrap(), "localhost");
        assert_eq!(check_domain(&config, "Example.COM").unwrap(), "example.com");
        assert_eq!(
            check_domain(&config, "app.example.com").unwrap(),
            "app.example.com"
        );
        for bad in [
            "evil.com",
            "ample.com",
            "",
            "exa mple.com",
            "other.example.com",
            ".com",
        ] {
            assert!(
                check_domain(&config, bad)
                    .unwrap_err()
                    .is(ErrorType::InvalidDomain),
                "{bad}"
            );
        }
        assert!(allowed_origin(&config, "localhost", "http://localhost:5173").is_some());
        assert!(allowed_origin(&config, "example.com", "https://app.example.com").is_some());
        assert!(allowed_origin(&config, "example.com", "https://evil.example.com").is_none());
        assert!(allowed_origin(&config, "app.example.com", "http://localhost:5173").is_none());
        assert!(allowed_origin(&config, "localhost", "https://localhost:5173").is_none());
    }

    #[test]
    fn options_switch_to_standard_base64_unless_asked() {
        let options = serde_json::json!({
            "challenge": "-_-_AA",
            "user": {"id": "_w", "name": "n"},
            "excludeCredentials": [{"id": "-w", "type": "public-key"}],
        });
        let standard: Value = serde_json::from_str(&options_json(
            options.clone(),
            false,
            CREATION_BINARY_FIELDS,
        ))
        .unwrap();
        assert_eq!(standard["challenge"], "+/+/AA==");
        assert_eq!(standard["user"]["id"], "/w==");
        assert_eq!(standard["user"]["name"], "n");
        assert_eq!(standard["excludeCredentials"][0]["id"], "+w==");
        let url: Value =
            serde_json::from_str(&options_json(options.clone(), true, CREATION_BINARY_FIELDS))
                .unwrap();
        assert_eq!(url, options);
        assert_eq!(
            decode_base64("+/+/AA==").unwrap(),
            decode_base64("-_-_AA").unwrap()
        );
    }
}

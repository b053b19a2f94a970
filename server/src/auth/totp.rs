//! TOTP mechanics: RFC 6238 codes (through `totp-rs`), the `otpauth://` URI and its QR code as a PNG data URL, recovery codes and their hashes.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Totp};

use crate::{
    auth::tokens,
    error::{ApiError, ApiResult},
    ids,
};

/// Seconds per time step, digits per code, steps of tolerance either side:
/// what authenticator apps assume for an `otpauth://totp` URI without
/// parameters, and the previous/next window Stytch documents.
pub const STEP_SECS: i64 = 30;
pub const DIGITS: u8 = 6;
pub const SKEW_STEPS: u16 = 1;

/// 160-bit secrets, the size RFC 4226 recommends (32 base32 characters).
pub const SECRET_BYTES: usize = 20;

/// Recovery codes per TOTP instance, and their shape `xxxx-xxxx-xxxx`.
pub const RECOVERY_CODES: usize = 10;
const RECOVERY_ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

pub fn new_secret() -> Vec<u8> {
    ids::random_bytes::<SECRET_BYTES>().to_vec()
}

/// RFC 4648 base32 without padding, as `otpauth://` URIs and the API carry it.
pub fn secret_base32(secret: &[u8]) -> String {
    totp_rs::Secret::from(secret.to_vec()).to_base32()
}

/// The generator for `secret`; `issuer` and `account` only label the URI
/// (a `:` would end the label early, so it is replaced).
pub fn generator(secret: &[u8], issuer: &str, account: &str) -> ApiResult<Totp> {
    let clean = |s: &str| -> String {
        let cleaned = s.replace(':', "-");
        if cleaned.trim().is_empty() {
            "latchkey".into()
        } else {
            cleaned
        }
    };
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(SKEW_STEPS)
        .with_step_duration(STEP_SECS as u64)
        .with_secret(secret.to_vec())
        .with_issuer(Some(clean(issuer)))
        .with_account_name(clean(account))
        .build()
        .map_err(|e| ApiError::internal(format_args!("building a TOTP generator: {e:?}")))
}

/// The code for the time step containing `unix_secs`.
pub fn code_at(totp: &Totp, unix_secs: i64) -> String {
    totp.generate(unix_secs.max(0) as u64).to_string()
}

/// The time step a correct `code` belongs to (now, or one step either
/// side), compared in constant time by the library; `None` if wrong.
pub fn matching_step(totp: &Totp, code: &str, unix_secs: i64) -> Option<i64> {
    totp.check(code, unix_secs.max(0) as u64)
        .map(|step| step as i64)
}

/// `otpauth://totp/<issuer>:<account>?secret=…&issuer=…`.
pub fn otpauth_uri(totp: &Totp) -> ApiResult<String> {
    totp.to_url()
        .map_err(|e| ApiError::internal(format_args!("building the otpauth URI: {e:?}")))
}

/// Whether `code` has the shape of a TOTP code (six ASCII digits).
pub fn looks_like_code(code: &str) -> bool {
    code.len() == DIGITS as usize && code.bytes().all(|b| b.is_ascii_digit())
}

/// The QR code of `text` as `data:image/png;base64,…`: an 8-bit grayscale
/// PNG, 4 pixels per module (at least), with the 4-module quiet zone the QR
/// specification asks for.
pub fn qr_png_data_url(text: &str) -> ApiResult<String> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| ApiError::internal(format_args!("QR encoding failed: {e}")))?;
    let modules = code.width();
    let colors = code.to_colors();
    const QUIET: usize = 4;
    let side_modules = modules + 2 * QUIET;
    let scale = (200 / side_modules).max(4);
    let side = side_modules * scale;
    let mut pixels = vec![255u8; side * side];
    for (index, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (mx, my) = (index % modules + QUIET, index / modules + QUIET);
            for y in my * scale..(my + 1) * scale {
                pixels[y * side + mx * scale..y * side + (mx + 1) * scale].fill(0);
            }
        }
    }
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, side as u32, side as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| ApiError::internal(format_args!("PNG encoding failed: {e}")))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| ApiError::internal(format_args!("PNG encoding failed: {e}")))?;
    }
    Ok(format!(
        "data:image/png;base64,{}",
        STANDARD.encode(png_bytes)
    ))
}

/// A recovery code `xxxx-xxxx-xxxx` of lower-case letters and digits, each
/// character uniform (rejection sampling): 36^12 ≈ 2^62 possibilities.
pub fn new_recovery_code() -> String {
    let mut out = String::with_capacity(14);
    let mut produced: usize = 0;
    while produced < 12 {
        for byte in ids::random_bytes::<16>() {
            // 252 = 7 × 36: bytes above it would favour the first characters.
            if byte < 252 && produced < 12 {
                if produced > 0 && produced.is_multiple_of(4) {
                    out.push('-');
                }
                out.push(RECOVERY_ALPHABET[(byte % 36) as usize] as char);
                produced += 1;
            }
        }
    }
    out
}

/// A recovery code as typed: trimmed and lower-cased; `None` unless it has
/// the `xxxx-xxxx-xxxx` shape.
pub fn normalize_recovery_code(raw: &str) -> Option<String> {
    let code = raw.trim().to_ascii_lowercase();
    let ok = code.len() == 14
        && code.bytes().enumerate().all(|(i, b)| match i {
            4 | 9 => b == b'-',
            _ => b.is_ascii_lowercase() || b.is_ascii_digit(),
        });
    ok.then_some(code)
}

/// `(salt, hash)` to store for a recovery code: SHA-256 over a fresh 16-byte
/// salt and the code. A fast hash is enough here because every code carries
/// about 62 random bits (it is not a human-chosen password), and the salt
/// keeps equal codes from having equal hashes.
pub fn hash_recovery_code(code: &str) -> (String, String) {
    let salt: String = ids::random_bytes::<16>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let hash = salted_hash(&salt, code);
    (salt, hash)
}

/// Whether `code` is the one stored as `(salt, hash)`, compared in constant time.
pub fn recovery_code_matches(code: &str, salt: &str, hash: &str) -> bool {
    tokens::ct_eq(&salted_hash(salt, code), hash)
}

fn salted_hash(salt: &str, code: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(salt.as_bytes());
    digest.update(b":");
    digest.update(code.as_bytes());
    digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_test_vectors() {
        // RFC 6238 appendix B, SHA-1 seed "12345678901234567890", last 6 digits.
        let totp = generator(b"12345678901234567890", "Latchkey", "ada@example.com").unwrap();
        for (time, code) in [
            (59, "287082"),
            (1111111109, "081804"),
            (1111111111, "050471"),
            (1234567890, "005924"),
            (2000000000, "279037"),
        ] {
            assert_eq!(code_at(&totp, time), code, "t = {time}");
        }
        assert_eq!(matching_step(&totp, "081804", 1111111109), Some(37037036));
        // One step either side is accepted, two are not.
        assert_eq!(
            matching_step(&totp, "081804", 1111111109 + 30),
            Some(37037036)
        );
        assert_eq!(matching_step(&totp, "081804", 1111111109 + 60), None);
        assert_eq!(matching_step(&totp, "000000", 1111111109), None);
    }

    #[test]
    fn the_uri_names_issuer_account_and_secret() {
        let totp = generator(b"12345678901234567890", "My: App", "ada@example.com").unwrap();
        let uri = otpauth_uri(&totp).unwrap();
        assert_eq!(
            uri,
            format!(
                "otpauth://totp/My-%20App:ada%40example.com?secret={}&issuer=My-%20App",
                secret_base32(b"12345678901234567890")
            )
        );
        assert_eq!(
            secret_base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }

    #[test]
    fn qr_codes_are_png_data_urls() {
        let url = qr_png_data_url("otpauth://totp/A:b?secret=GEZDGNBVGY3TQOJQ&issuer=A").unwrap();
        let b64 = url.strip_prefix("data:image/png;base64,").unwrap();
        let bytes = STANDARD.decode(b64).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!(info.width, info.height);
        assert!(info.width >= 100, "{}", info.width);
    }

    #[test]
    fn recovery_codes_have_the_shape_and_verify_once_hashed() {
        let code = new_recovery_code();
        assert_eq!(
            normalize_recovery_code(&code).as_deref(),
            Some(code.as_str())
        );
        assert_eq!(
            normalize_recovery_code(&format!(" {} ", code.to_uppercase())).as_deref(),
            Some(code.as_str())
        );
        assert!(normalize_recovery_code("abcd-efgh").is_none());
        assert!(normalize_recovery_code("abcd_efgh_ijkl").is_none());
        assert_ne!(code, new_recovery_code());
        let (salt, hash) = hash_recovery_code(&code);
        assert!(!hash.contains(&code));
        assert!(recovery_code_matches(&code, &salt, &hash));
        assert!(!recovery_code_matches(&new_recovery_code(), &salt, &hash));
        let (salt2, hash2) = hash_recovery_code(&code);
        assert_ne!((salt.clone(), hash.clone()), (salt2, hash2));
    }
}

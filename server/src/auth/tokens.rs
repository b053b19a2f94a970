//! Random secrets (session tokens, one-time tokens, codes, the project secret), their SHA-256 hashes, constant-time comparison.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ids;

/// An opaque session token: 33 random bytes → 44 base64url characters.
pub fn new_session_token() -> String {
    ids::random_token::<33>()
}

/// A magic-link / reset / OAuth token: 33 random bytes → 44 characters.
pub fn new_one_time_token() -> String {
    ids::random_token::<33>()
}

/// The project's backend secret.
pub fn new_secret() -> String {
    format!("secret-test-{}", ids::random_token::<32>())
}

/// A uniformly random code of `digits` decimal digits (leading zeros kept).
pub fn new_numeric_code(digits: u32) -> String {
    let digits = digits.clamp(1, 9);
    let modulus = 10u32.pow(digits);
    // Rejection sampling: drop the top sliver so every code is equally likely.
    let limit = u32::MAX - (u32::MAX % modulus);
    loop {
        let value = u32::from_le_bytes(ids::random_bytes::<4>());
        if value < limit {
            return format!("{:0width$}", value % modulus, width = digits as usize);
        }
    }
}

/// SHA-256 of a token, lowercase hex: what the database stores instead of it.
/// A plain hash suffices because every hashed secret here has ≥ 256 bits of
/// entropy (OTP codes are additionally bound to their token id and expire).
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets without leaking where they differ. The lengths of
/// the inputs are not secret here (tokens have fixed lengths).
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = new_session_token();
        assert_eq!(a.len(), 44);
        assert_ne!(a, new_session_token());
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(new_secret().starts_with("secret-test-"));
    }

    #[test]
    fn codes_have_fixed_width() {
        for _ in 0..200 {
            let code = new_numeric_code(6);
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(ct_eq("same", "same"));
        assert!(!ct_eq("same", "Same"));
        assert!(!ct_eq("same", "same-but-longer"));
    }
}

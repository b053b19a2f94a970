//! PKCE (S256): checking a `code_verifier` against the `code_challenge` stored with a one-time token.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use sha2::{Digest, Sha256};

use crate::{
    auth::tokens::ct_eq,
    error::{ApiError, ErrorType},
};

/// base64url(SHA-256(verifier)) without padding.
pub fn challenge_for(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Validates a `code_challenge` at send time: 43 base64url characters (a SHA-256).
pub fn validate_challenge(challenge: &str) -> Result<(), ApiError> {
    let ok = challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "code_challenge must be base64url(SHA-256(code_verifier)) without padding (43 characters).",
        ))
    }
}

/// Checks the verifier at redemption. A token sent with a challenge needs the
/// matching verifier; a verifier without a stored challenge is refused too,
/// since the client believes it is protected when it is not.
pub fn verify(stored_challenge: Option<&str>, verifier: Option<&str>) -> Result<(), ApiError> {
    match (stored_challenge, verifier) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(ApiError::new(
            ErrorType::PkceMismatch,
            "This token was issued with a code_challenge; send the matching code_verifier.",
        )),
        (None, Some(_)) => Err(ApiError::new(
            ErrorType::PkceMismatch,
            "A code_verifier was sent but this token was issued without a code_challenge.",
        )),
        (Some(challenge), Some(verifier)) => {
            if ct_eq(&challenge_for(verifier), challenge) {
                Ok(())
            } else {
                Err(ApiError::new(
                    ErrorType::PkceMismatch,
                    "The code_verifier does not match the code_challenge.",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_example() {
        // Appendix B of RFC 7636.
        assert_eq!(
            challenge_for("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verification_rules() {
        let verifier = "a".repeat(64);
        let challenge = challenge_for(&verifier);
        validate_challenge(&challenge).unwrap();
        assert!(validate_challenge("short").is_err());
        verify(None, None).unwrap();
        verify(Some(&challenge), Some(&verifier)).unwrap();
        for (stored, given) in [
            (Some(challenge.as_str()), None),
            (None, Some(verifier.as_str())),
            (Some(challenge.as_str()), Some("b")),
        ] {
            assert!(verify(stored, given)
                .unwrap_err()
                .is(ErrorType::PkceMismatch));
        }
    }
}

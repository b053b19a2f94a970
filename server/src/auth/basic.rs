//! Parsing `Authorization: Basic base64(user ":" password)`.

use axum::http::{header, HeaderMap};
use base64::{engine::general_purpose::STANDARD, Engine as _};

use crate::error::{ApiError, ErrorType};

/// The two halves of a Basic credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    pub user: String,
    pub password: String,
}

/// Reads the Basic credentials; every malformation is a 401
/// `unauthorized_credentials` whose message says what was wrong.
pub fn parse(headers: &HeaderMap) -> Result<BasicCredentials, ApiError> {
    let unauthorized = |message: &str| ApiError::new(ErrorType::UnauthorizedCredentials, message);
    let raw = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("Missing Authorization header; expected Basic credentials."))?
        .to_str()
        .map_err(|_| unauthorized("The Authorization header is not valid ASCII."))?
        .trim();
    let (scheme, encoded) = raw
        .split_once(' ')
        .ok_or_else(|| unauthorized("The Authorization header must use the Basic scheme."))?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(unauthorized(
            "The Authorization header must use the Basic scheme.",
        ));
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .map_err(|_| unauthorized("The Basic credentials are not valid base64."))?;
    let decoded = String::from_utf8(decoded)
        .map_err(|_| unauthorized("The Basic credentials are not valid UTF-8."))?;
    let (user, password) = decoded
        .split_once(':')
        .ok_or_else(|| unauthorized("The Basic credentials must have the form user:password."))?;
    if user.is_empty() || password.is_empty() {
        return Err(unauthorized(
            "The Basic credentials have an empty user or password.",
        ));
    }
    Ok(BasicCredentials {
        user: user.to_string(),
        password: password.to_string(),
    })
}

/// Builds the header value for `user:password` (tests and tools).
pub fn encode(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn parses_and_round_trips() {
        let parsed = parse(&headers(&encode("project-test-1", "a:b"))).unwrap();
        assert_eq!(parsed.user, "project-test-1");
        assert_eq!(parsed.password, "a:b");
        assert!(parse(&headers("basic cHJvamVjdDpzZWNyZXQ=")).is_ok());
    }

    #[test]
    fn refuses_malformed_headers() {
        assert!(parse(&HeaderMap::new()).is_err());
        for bad in [
            "Bearer abc",
            "Basic",
            "Basic !!!",
            "Basic bm9jb2xvbg==",
            "Basic OnNlY3JldA==",
        ] {
            let err = parse(&headers(bad)).unwrap_err();
            assert!(err.is(ErrorType::UnauthorizedCredentials), "{bad}");
        }
    }
}

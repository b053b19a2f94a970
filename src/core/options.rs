//! The options of `createClient`, checked and completed with defaults.

use crate::prelude::*;

use super::cookies::CookieOptions;
use super::errors::SdkError;
use super::json;
use super::refresh::DEFAULT_INTERVAL_MS;
use super::{text, url};

pub const DEFAULT_TIMEOUT_MS: i64 = 20_000;
/// The JWT lives five minutes: refreshing less often than this would leave
/// a stale JWT cookie; more often than every second is a mistake.
const INTERVAL_RANGE: Range = (1_000, 270_000, "must be a whole number from 1000 to 270000");
const TIMEOUT_RANGE: Range = (1_000, 120_000, "must be a whole number from 1000 to 120000");

/// The bounds of an integer option, and the sentence that refuses others.
type Range = (i64, i64, &'static str);

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub public_token: String,
    /// Without a trailing slash, e.g. `https://test.stytch.com`.
    pub base_url: String,
    pub cookies: CookieOptions,
    pub keep_session_alive: bool,
    pub refresh_interval_ms: i64,
    pub request_timeout_ms: i64,
}

type Result<T> = core::result::Result<T, SdkError>;

fn refuse<T>(field: &str, message: &'static str) -> Result<T> {
    Err(SdkError::validation(field, message))
}

fn string(value: &str, field: &str) -> Result<String> {
    json::string(value).map_or_else(|| refuse(field, "must be a string"), Ok)
}

fn integer(value: &str, field: &str, (min, max, message): Range) -> Result<i64> {
    match json::int(value) {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => refuse(field, message),
    }
}

fn boolean(value: &str, field: &str) -> Result<bool> {
    json::boolean(value).map_or_else(|| refuse(field, "must be true or false"), Ok)
}

/// Cookie names: RFC 6265 tokens.
fn cookie_name(value: &str, field: &str) -> Result<String> {
    let name = string(value, field)?;
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if ok {
        Ok(name)
    } else {
        refuse(
            field,
            "must be a cookie name (letters, digits and !#$%&'*+-.^_`|~)",
        )
    }
}

fn cookie_attribute(value: &str, field: &str, must_start_with_slash: bool) -> Result<String> {
    let text = string(value, field)?;
    let ok = !text.is_empty()
        && (!must_start_with_slash || text.starts_with('/'))
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b';' && b != b',');
    if ok {
        Ok(text)
    } else if must_start_with_slash {
        refuse(field, "must be a URL path starting with /")
    } else {
        refuse(field, "must be a domain name")
    }
}

/// The non-null members of an options object, with decoded keys.
fn entries(object: &str) -> impl Iterator<Item = (String, &str)> {
    json::members(object)
        .filter(|(_, value)| *value != "null")
        .map(|(key, value)| (json::string_body(key), value))
}

/// Checks the public token and the options object (JSON text).
pub fn parse(public_token: &str, options: &str) -> Result<Options> {
    let token_ok = !public_token.is_empty()
        && public_token
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b':');
    if !token_ok {
        return refuse(
            "publicToken",
            "must be your project's public token, e.g. public-token-test-…",
        );
    }
    let base_url = if super::validate::contains(public_token, "public-token-test") {
        "https://test.stytch.com"
    } else {
        "https://api.stytch.com"
    };
    let mut parsed = Options {
        public_token: public_token.into(),
        base_url: base_url.into(),
        cookies: CookieOptions::default(),
        keep_session_alive: false,
        refresh_interval_ms: DEFAULT_INTERVAL_MS,
        request_timeout_ms: DEFAULT_TIMEOUT_MS,
    };
    let options = super::schema::options_object(options)?;
    for (key, value) in entries(options) {
        let key = key.as_str();
        match key {
            "baseUrl" => {
                let text = string(value, key)?;
                let text = text::trim_end(&text, b'/');
                if url::origin(text).is_none() || text.bytes().any(|b| b"?# ".contains(&b)) {
                    return refuse(
                        key,
                        "must be an absolute http(s) URL such as http://localhost:8787",
                    );
                }
                parsed.base_url = text.into();
            }
            "keepSessionAlive" => parsed.keep_session_alive = boolean(value, key)?,
            "refreshIntervalMs" => {
                parsed.refresh_interval_ms = integer(value, key, INTERVAL_RANGE)?
            }
            "requestTimeoutMs" => parsed.request_timeout_ms = integer(value, key, TIMEOUT_RANGE)?,
            "cookieOptions" => parse_cookies(value, &mut parsed.cookies)?,
            _ => return refuse(key, "is not an option of createClient"),
        }
    }
    Ok(parsed)
}

fn parse_cookies(value: &str, cookies: &mut CookieOptions) -> Result<()> {
    if !json::is_object(value) {
        return refuse("cookieOptions", "must be an object");
    }
    for (key, value) in entries(value) {
        let mut field = String::from("cookieOptions.");
        field.push_str(&key);
        match key.as_str() {
            "opaqueTokenCookieName" => cookies.opaque_token_name = cookie_name(value, &field)?,
            "jwtCookieName" => cookies.jwt_name = cookie_name(value, &field)?,
            "path" => cookies.path = cookie_attribute(value, &field, true)?,
            "domain" => cookies.domain = Some(cookie_attribute(value, &field, false)?),
            "availableToSubdomains" => cookies.available_to_subdomains = boolean(value, &field)?,
            _ => return refuse(&field, "is not a cookie option"),
        }
    }
    if cookies.opaque_token_name == cookies.jwt_name {
        return refuse(
            "cookieOptions.jwtCookieName",
            "must differ from opaqueTokenCookieName",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<Options>) -> String {
        match result {
            Err(SdkError::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_follow_the_public_token() {
        let test = parse("public-token-test-123", "null").unwrap();
        assert_eq!(test.base_url, "https://test.stytch.com");
        assert_eq!(test.refresh_interval_ms, 180_000);
        assert_eq!(test.request_timeout_ms, 20_000);
        assert!(!test.keep_session_alive);
        assert_eq!(test.cookies, CookieOptions::default());
        let live = parse("public-token-live-123", "{}").unwrap();
        assert_eq!(live.base_url, "https://api.stytch.com");
    }

    #[test]
    fn every_option_is_read() {
        let text = r#"{"baseUrl":"http://localhost:8787/","keepSessionAlive":true,"refreshIntervalMs":2000,
            "requestTimeoutMs":5000,"cookieOptions":{"opaqueTokenCookieName":"sess","jwtCookieName":"sess_jwt",
            "path":"/app","domain":"example.com","availableToSubdomains":true},"ignored":null}"#;
        let options = parse("public-token-test-1", text).unwrap();
        assert_eq!(options.base_url, "http://localhost:8787");
        assert!(options.keep_session_alive);
        assert_eq!(options.refresh_interval_ms, 2_000);
        assert_eq!(options.request_timeout_ms, 5_000);
        assert_eq!(
            options.cookies,
            CookieOptions {
                opaque_token_name: "sess".into(),
                jwt_name: "sess_jwt".into(),
                path: "/app".into(),
                domain: Some("example.com".into()),
                available_to_subdomains: true,
            }
        );
    }

    #[test]
    fn bad_options_name_their_field() {
        let cases = [
            (r#"{"baseUrl":"localhost:8787"}"#, "baseUrl"),
            (r#"{"baseUrl":"http://x.test/?a"}"#, "baseUrl"),
            (r#"{"keepSessionAlive":"yes"}"#, "keepSessionAlive"),
            (r#"{"refreshIntervalMs":999}"#, "refreshIntervalMs"),
            (r#"{"refreshIntervalMs":600000}"#, "refreshIntervalMs"),
            (r#"{"refreshIntervalMs":1500.5}"#, "refreshIntervalMs"),
            (r#"{"refreshIntervalMs":"NaN"}"#, "refreshIntervalMs"),
            (r#"{"requestTimeoutMs":"20s"}"#, "requestTimeoutMs"),
            (r#"{"cookieOptions":{"path":"app"}}"#, "cookieOptions.path"),
            (
                r#"{"cookieOptions":{"opaqueTokenCookieName":"a b"}}"#,
                "cookieOptions.opaqueTokenCookieName",
            ),
            (
                r#"{"cookieOptions":{"domain":"x.test; Secure"}}"#,
                "cookieOptions.domain",
            ),
            (
                r#"{"cookieOptions":{"jwtCookieName":"stytch_session"}}"#,
                "cookieOptions.jwtCookieName",
            ),
            (
                r#"{"cookieOptions":{"colour":"red"}}"#,
                "cookieOptions.colour",
            ),
            (r#"{"cookieOptions":[]}"#, "cookieOptions"),
            (r#"{"basUrl":"http://localhost"}"#, "basUrl"),
            ("[]", "options"),
            ("{", "options"),
        ];
        for (text, field) in cases {
            assert_eq!(
                field_of(parse("public-token-test-1", text)),
                field,
                "{text}"
            );
        }
        for token in ["", "has space", "a:b"] {
            assert_eq!(field_of(parse(token, "{}")), "publicToken");
        }
    }
}

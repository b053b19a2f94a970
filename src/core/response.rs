//! Reading the frontend API's answers: the `{data}` envelope, the five-field
//! error body, and the session tokens of authenticate-type responses.
//! Any input, however malformed, yields a value or an `SdkError`.

use crate::prelude::*;

use super::base64;
use super::errors::SdkError;
use super::json;
use super::text;
use super::time::parse_rfc3339;

/// The raw `data` object of a 2xx answer, or the error the answer describes.
pub fn decode(status: u16, body: &str) -> Result<&str, SdkError> {
    let parsed = json::valid(body);
    if (200..300).contains(&status) {
        let object = parsed.filter(|b| json::is_object(b)).ok_or_else(|| {
            SdkError::invalid_response(status, "The response is not a JSON object")
        })?;
        return json::get(object, "data")
            .filter(|d| json::is_object(d))
            .ok_or_else(|| {
                SdkError::invalid_response(status, "The response has no `data` object")
            });
    }
    let body = parsed.filter(|b| json::is_object(b)).unwrap_or("{}");
    let text = |key: &str| json::str_field(body, key).unwrap_or_default();
    let error_type = text("error_type");
    if error_type.is_empty() {
        let mut message = String::from("The server answered HTTP ");
        message.push_str(&json::int_text(i64::from(status)));
        message.push_str(" without an error description");
        return Err(SdkError::invalid_response(status, &message));
    }
    let status_code = json::get(body, "status_code")
        .and_then(json::int)
        .filter(|code| (400..600).contains(code))
        .map_or(status, |code| code as u16);
    Err(SdkError::Api {
        status_code,
        request_id: text("request_id"),
        error_type,
        error_message: text("error_message"),
        error_url: text("error_url"),
    })
}

/// What an authenticate-type response establishes.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthData {
    pub session_token: String,
    pub session_jwt: String,
    /// The session object, as raw JSON.
    pub session: String,
    /// The user object, as raw JSON.
    pub user: String,
    /// When the session ends, in server milliseconds.
    pub expires_at: i64,
    /// The JWT's `iat`, in milliseconds, a second reading of server time.
    pub jwt_issued_at: Option<i64>,
}

/// The `__user` a response carries to refresh the cached user (raw JSON).
pub fn user_update(data: &str) -> Option<&str> {
    json::get(data, "__user").filter(|u| json::is_object(u))
}

/// The session established by an authenticate-type `data`.
pub fn auth_data(data: &str) -> Result<AuthData, SdkError> {
    read_auth(data).map_err(|missing| {
        let message = text::concat(&["The authenticate response has no valid ", missing]);
        SdkError::invalid_response(200, &message)
    })
}

/// `auth_data`, or the name of the first field missing or invalid.
fn read_auth(data: &str) -> Result<AuthData, &'static str> {
    let session_token = json::str_field(data, "session_token")
        .filter(|t| !t.is_empty())
        .ok_or("session_token")?;
    let session_jwt = json::str_field(data, "session_jwt").unwrap_or_default();
    let session = json::get(data, "session")
        .filter(|s| json::is_object(s))
        .ok_or("session")?;
    let expires_at = json::str_field(session, "expires_at")
        .as_deref()
        .and_then(parse_rfc3339)
        .ok_or("session.expires_at")?;
    let user = json::get(data, "user")
        .filter(|u| json::is_object(u))
        .or_else(|| user_update(data))
        .ok_or("user")?;
    let jwt_issued_at = jwt_claims(&session_jwt)
        .and_then(|claims| json::get(&claims, "iat").and_then(json::int))
        .map(|seconds| seconds.saturating_mul(1000));
    Ok(AuthData {
        session_token,
        session_jwt,
        session: session.into(),
        user: user.into(),
        expires_at,
        jwt_issued_at,
    })
}

/// The claims of a JWT as JSON text, decoded without verifying it (timing
/// only; a backend verifies against the JWKS).
pub fn jwt_claims(jwt: &str) -> Option<String> {
    let mut parts = text::split(jwt, b'.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let text = String::from_utf8(base64::decode(payload)?).ok()?;
    json::valid(&text).filter(|t| json::is_object(t))?;
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let mut out = base64::encode_url(br#"{"alg":"RS256","typ":"JWT"}"#);
        out.push('.');
        out.push_str(&base64::encode_url(claims.as_bytes()));
        out.push_str(".c2ln");
        out
    }

    fn auth_body(jwt: &str) -> String {
        let mut body =
            String::from(r#"{"data":{"status_code":200,"session_token":"tok","session_jwt":""#);
        body.push_str(jwt);
        body.push_str(r#"","session":{"session_id":"session-test-1","expires_at":"2030-01-01T00:00:00Z"},"user":{"user_id":"user-test-1"},"__user":{"user_id":"user-test-1","name":{}}}}"#);
        body
    }

    #[test]
    fn unwraps_data_and_reads_the_session() {
        let token = jwt(r#"{"iat":1700000000,"exp":1700000300}"#);
        let body = auth_body(&token);
        let data = decode(200, &body).unwrap();
        assert_eq!(
            user_update(data),
            Some(r#"{"user_id":"user-test-1","name":{}}"#)
        );
        let auth = auth_data(data).unwrap();
        assert_eq!(auth.session_token, "tok");
        assert_eq!(auth.session_jwt, token);
        assert_eq!(auth.expires_at, 1_893_456_000_000);
        assert_eq!(auth.jwt_issued_at, Some(1_700_000_000_000));
        assert_eq!(auth.user, r#"{"user_id":"user-test-1"}"#);
        assert_eq!(
            auth.session,
            r#"{"session_id":"session-test-1","expires_at":"2030-01-01T00:00:00Z"}"#
        );
    }

    #[test]
    fn reads_the_protocol_error_body() {
        let body = r#"{"status_code":404,"request_id":"request-id-test-9","error_type":"session_not_found","error_message":"Session not found.","error_url":"https://stytch.com/docs/api/errors/404#session_not_found"}"#;
        let err = decode(404, body).unwrap_err();
        assert!(err.ends_session());
        assert_eq!(
            err,
            SdkError::Api {
                status_code: 404,
                request_id: "request-id-test-9".into(),
                error_type: "session_not_found".into(),
                error_message: "Session not found.".into(),
                error_url: "https://stytch.com/docs/api/errors/404#session_not_found".into(),
            }
        );
    }

    #[test]
    fn unknown_error_types_stay_api_errors_with_the_raw_type() {
        let err = decode(
            418,
            r#"{"error_type":"brand_new_error","error_message":"x"}"#,
        )
        .unwrap_err();
        assert_eq!(err.kind(), "api");
        assert_eq!(err.error_type(), Some("brand_new_error"));
        assert!(!err.retryable());
    }

    #[test]
    fn unreadable_bodies_become_invalid_response_errors() {
        let gateway = decode(502, "<html>Bad Gateway</html>").unwrap_err();
        assert_eq!(gateway.error_type(), Some("invalid_response"));
        assert!(gateway.retryable());
        for (status, body) in [
            (200, "not json"),
            (200, "[]"),
            (200, r#"{"data":[1]}"#),
            (201, r#"{"x":{}}"#),
        ] {
            let err = decode(status, body).unwrap_err();
            assert_eq!(err.error_type(), Some("invalid_response"), "{body}");
        }
    }

    #[test]
    fn auth_data_names_what_is_missing() {
        let err = auth_data(r#"{"session_token":"t","session":{"expires_at":"soon"},"user":{}}"#)
            .unwrap_err();
        assert!(
            err.message().ends_with("session.expires_at"),
            "{}",
            err.message()
        );
        let err = auth_data(r#"{"session_token":"","session":{},"user":{}}"#).unwrap_err();
        assert!(err.message().ends_with("session_token"));
        let err =
            auth_data(r#"{"session_token":"t","session":{"expires_at":"2030-01-01T00:00:00Z"}}"#)
                .unwrap_err();
        assert!(err.message().ends_with("user"));
    }

    #[test]
    fn jwt_claims_tolerate_garbage() {
        assert!(jwt_claims("").is_none());
        assert!(jwt_claims("a.b").is_none());
        assert!(jwt_claims("a.!!!.c").is_none());
        assert!(jwt_claims("a.b.c.d").is_none());
        let claims = jwt_claims(&jwt(r#"{"sub":"user-test-1"}"#)).unwrap();
        assert_eq!(
            json::str_field(&claims, "sub").as_deref(),
            Some("user-test-1")
        );
    }

    // Fuzzing runs natively only (proptest is not built for wasm32).
    #[cfg(not(target_arch = "wasm32"))]
    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        // Fuzzing the decoder: no input may panic, and every outcome is either a
        // data object or a typed error.
        fn json_text() -> impl Strategy<Value = String> {
            let leaf = prop_oneof![
                Just("null".to_string()),
                Just("true".to_string()),
                "-?[0-9]{1,12}(\\.[0-9]{1,4})?".prop_map(|s| s),
                "\"[a-z_\\\\\"\\u{e9}\\u{1F600}]{0,12}\"".prop_map(|s| s),
                Just("\"2030-01-01T00:00:00Z\"".to_string()),
            ];
            leaf.prop_recursive(5, 64, 6, |inner| {
                let keys = prop_oneof![
                    Just("data"),
                    Just("__user"),
                    Just("session"),
                    Just("session_token"),
                    Just("session_jwt"),
                    Just("user"),
                    Just("expires_at"),
                    Just("error_type"),
                    Just("status_code"),
                    Just("x"),
                ];
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..5)
                        .prop_map(|items| format!("[{}]", items.join(","))),
                    prop::collection::vec((keys, inner), 0..6).prop_map(|members| {
                        let body: Vec<String> = members
                            .iter()
                            .map(|(k, v)| format!("\"{k}\":{v}"))
                            .collect();
                        format!("{{{}}}", body.join(","))
                    }),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

            #[test]
            fn structured_bodies_never_panic(status in 100u16..600, body in json_text()) {
                match decode(status, &body) {
                    Ok(data) => {
                        prop_assert!(json::is_object(data));
                        let _ = user_update(data);
                        if let Ok(auth) = auth_data(data) {
                            prop_assert!(json::valid(&auth.session).is_some());
                            prop_assert!(json::valid(&auth.user).is_some());
                        }
                    }
                    Err(err) => prop_assert!(!err.kind().is_empty()),
                }
            }

            #[test]
            fn arbitrary_bytes_never_panic(status in any::<u16>(), body in any::<Vec<u8>>()) {
                let text = String::from_utf8_lossy(&body);
                let _ = decode(status, &text);
                let _ = jwt_claims(&text);
                if let Some(valid) = json::valid(&text) {
                    for (key, value) in json::members(valid) {
                        let _ = json::key_is(key, "data");
                        prop_assert!(json::valid(value).is_some());
                        let _ = json::string(value);
                    }
                }
            }

            #[test]
            fn strings_written_read_back_identically(text in any::<String>()) {
                let mut quoted = String::new();
                json::quote(&text, &mut quoted);
                prop_assert_eq!(json::valid(&quoted), Some(quoted.as_str()));
                prop_assert_eq!(json::string(&quoted), Some(text));
            }
        }
    }
}

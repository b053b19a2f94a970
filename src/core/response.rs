//! Reading the frontend API's answers: the `{data}` envelope, the five-field
//! error body, and the session tokens of authenticate-type responses.
//! Any input, however malformed, yields a value or an `SdkError`.

use super::base64;
use super::errors::SdkError;
use super::json::Json;
use super::time::parse_rfc3339;

/// The `data` of a 2xx answer, or the error the answer describes.
pub fn decode(status: u16, body: &str) -> Result<Json, SdkError> {
    let parsed = Json::parse(body);
    if (200..300).contains(&status) {
        return match parsed {
            Some(Json::Obj(mut members)) => match members.iter().position(|(k, _)| k == "data") {
                Some(i) if members[i].1.is_object() => Ok(members.swap_remove(i).1),
                _ => Err(SdkError::invalid_response(
                    status,
                    "The response has no `data` object",
                )),
            },
            _ => Err(SdkError::invalid_response(
                status,
                "The response is not a JSON object",
            )),
        };
    }
    let body = parsed.unwrap_or(Json::Null);
    let text = |key: &str| body.str_field(key).unwrap_or_default().to_string();
    let error_type = text("error_type");
    if error_type.is_empty() {
        let mut message = String::from("The server answered HTTP ");
        message.push_str(&super::json::int_text(i64::from(status)));
        message.push_str(" without an error description");
        return Err(SdkError::invalid_response(status, &message));
    }
    let status_code = body
        .get("status_code")
        .and_then(Json::as_i64)
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
    pub session: Json,
    pub user: Json,
    /// When the session ends, in server milliseconds.
    pub expires_at: i64,
    /// The JWT's `iat`, in milliseconds, a second reading of server time.
    pub jwt_issued_at: Option<i64>,
}

/// Removes `__user` from `data` and returns it when it is an object.
pub fn take_user(data: &mut Json) -> Option<Json> {
    data.take("__user").filter(Json::is_object)
}

/// The session established by an authenticate-type `data`.
/// `user` is the response's `user`, or the `__user` already taken from it.
pub fn auth_data(data: &Json, user: Option<Json>) -> Result<AuthData, SdkError> {
    let bad = |what: &str| {
        let mut message = String::from("The authenticate response has no valid ");
        message.push_str(what);
        SdkError::invalid_response(200, &message)
    };
    let session_token = data
        .str_field("session_token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad("session_token"))?;
    let session_jwt = data.str_field("session_jwt").unwrap_or_default();
    let session = data
        .get("session")
        .filter(|s| s.is_object())
        .ok_or_else(|| bad("session"))?;
    let expires_at = session
        .str_field("expires_at")
        .and_then(parse_rfc3339)
        .ok_or_else(|| bad("session.expires_at"))?;
    let user = data
        .get("user")
        .filter(|u| u.is_object())
        .cloned()
        .or(user)
        .ok_or_else(|| bad("user"))?;
    Ok(AuthData {
        session_token: session_token.to_string(),
        session_jwt: session_jwt.to_string(),
        session: session.clone(),
        user,
        expires_at,
        jwt_issued_at: jwt_claims(session_jwt)
            .and_then(|claims| claims.get("iat").and_then(Json::as_i64))
            .map(|seconds| seconds.saturating_mul(1000)),
    })
}

/// The claims of a JWT, decoded without verifying it (display and timing
/// only; a backend verifies against the JWKS).
pub fn jwt_claims(jwt: &str) -> Option<Json> {
    let mut parts = jwt.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::decode(payload)?;
    Json::parse(std::str::from_utf8(&bytes).ok()?).filter(Json::is_object)
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
        let mut data = decode(200, &auth_body(&token)).unwrap();
        let user = take_user(&mut data).unwrap();
        assert!(data.get("__user").is_none(), "__user never reaches the app");
        assert!(user.get("name").is_some());
        let auth = auth_data(&data, Some(user)).unwrap();
        assert_eq!(auth.session_token, "tok");
        assert_eq!(auth.session_jwt, token);
        assert_eq!(auth.expires_at, 1_893_456_000_000);
        assert_eq!(auth.jwt_issued_at, Some(1_700_000_000_000));
        assert_eq!(auth.user.str_field("user_id"), Some("user-test-1"));
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
        let data =
            Json::parse(r#"{"session_token":"t","session":{"expires_at":"soon"},"user":{}}"#)
                .unwrap();
        let err = auth_data(&data, None).unwrap_err();
        assert!(
            err.message().ends_with("session.expires_at"),
            "{}",
            err.message()
        );
        let data = Json::parse(r#"{"session_token":"","session":{},"user":{}}"#).unwrap();
        assert!(auth_data(&data, None)
            .unwrap_err()
            .message()
            .ends_with("session_token"));
    }

    #[test]
    fn jwt_claims_tolerate_garbage() {
        assert!(jwt_claims("").is_none());
        assert!(jwt_claims("a.b").is_none());
        assert!(jwt_claims("a.!!!.c").is_none());
        assert!(jwt_claims("a.b.c.d").is_none());
        assert_eq!(
            jwt_claims(&jwt(r#"{"sub":"user-test-1"}"#))
                .unwrap()
                .str_field("sub"),
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
                    Ok(mut data) => {
                        prop_assert!(data.is_object());
                        let user = take_user(&mut data);
                        let _ = auth_data(&data, user);
                    }
                    Err(err) => prop_assert!(!err.kind().is_empty()),
                }
            }

            #[test]
            fn arbitrary_bytes_never_panic(status in any::<u16>(), body in any::<Vec<u8>>()) {
                let text = String::from_utf8_lossy(&body);
                let _ = decode(status, &text);
                let _ = jwt_claims(&text);
                let _ = Json::parse(&text);
            }

            #[test]
            fn written_json_parses_back_identically(body in json_text()) {
                if let Some(value) = Json::parse(&body) {
                    prop_assert_eq!(Json::parse(&value.text()), Some(value));
                }
            }
        }
    }
}

//! Request extractors that fail with protocol errors: `Input<T>` (body + path + query as one typed value) and `ClientInfo`.

use std::net::{IpAddr, SocketAddr};

use axum::{
    body::Bytes,
    extract::{ConnectInfo, FromRequest, FromRequestParts, Query, RawPathParams, Request},
    http::{header, request::Parts, HeaderMap, StatusCode},
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorType};

/// Largest accepted request body; bigger ones get 413 `request_too_large`.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// An operation's input, deserialized from one JSON object built from:
/// the JSON body (absent, empty or `null` count as `{}`), then the query
/// string (string values, never overriding the body), then the path
/// parameters (percent-decoded; they override everything, because the URL
/// names the resource). Unknown fields are ignored; every failure is a 400
/// `bad_request` whose message names the offending field.
#[derive(Debug, Clone)]
pub struct Input<T>(pub T);

impl<S, T> FromRequest<S> for Input<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let path_params = RawPathParams::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| {
                ApiError::bad_request("A path parameter is not valid UTF-8 after percent-decoding.")
            })?;
        let query = Query::<Vec<(String, String)>>::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| ApiError::bad_request("The query string is malformed."))?;
        let headers = parts.headers.clone();
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    body_too_large()
                } else {
                    ApiError::bad_request(format!("Could not read the request body: {rejection}"))
                }
            })?;

        let mut object = parse_body(&headers, &bytes)?;
        for (key, value) in query.0 {
            object.entry(key).or_insert(Value::String(value));
        }
        for (key, value) in path_params.iter() {
            object.insert(key.to_string(), Value::String(value.to_string()));
        }
        deserialize(Value::Object(object)).map(Input)
    }
}

pub fn body_too_large() -> ApiError {
    ApiError::new(
        ErrorType::RequestTooLarge,
        format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
    )
}

fn parse_body(headers: &HeaderMap, bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime != "application/json" && !(mime.starts_with("application/") && mime.ends_with("+json"))
    {
        return Err(ApiError::bad_request(format!(
            "The request body must be JSON with Content-Type: application/json (got {:?}).",
            if content_type.is_empty() {
                "no Content-Type"
            } else {
                content_type
            }
        )));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err(ApiError::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(ApiError::bad_request(format!(
            "The request body is not valid JSON: {e}."
        ))),
    }
}

/// Deserializes with the path of the failing field in the message.
pub fn deserialize<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner().to_string();
        if path == "." || path.is_empty() {
            // Missing fields are reported at the parent, the message names them.
            ApiError::bad_request(format!("Invalid request: {inner}."))
        } else {
            ApiError::bad_request(format!("Invalid value for field `{path}`: {inner}."))
        }
    })
}

/// Longest `User-Agent` kept (longer ones are cut, not refused), here and
/// in the `attributes.user_agent` a backend passes for its end user.
pub const MAX_USER_AGENT_CHARS: usize = 512;

/// Who is calling: the peer address and the `User-Agent`, for session
/// attributes and rate limiting. `X-Forwarded-For` is deliberately ignored:
/// the server is reached directly, and trusting the header would let any
/// client pick its own rate-limit bucket.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: IpAddr,
    pub user_agent: String,
}

impl ClientInfo {
    pub fn from_parts(parts: &Parts) -> ClientInfo {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(MAX_USER_AGENT_CHARS)
            .collect();
        ClientInfo { ip, user_agent }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientInfo::from_parts(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Sample {
        email: String,
        session_duration_minutes: Option<i64>,
        name: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        first_name: Option<String>,
    }

    #[test]
    fn errors_name_the_field() {
        let missing = deserialize::<Sample>(serde_json::json!({})).unwrap_err();
        assert!(missing.message.contains("`email`"), "{}", missing.message);
        let wrong = deserialize::<Sample>(
            serde_json::json!({"email": "a@b.co", "session_duration_minutes": "60"}),
        )
        .unwrap_err();
        assert!(
            wrong.message.contains("`session_duration_minutes`"),
            "{}",
            wrong.message
        );
        let nested = deserialize::<Sample>(
            serde_json::json!({"email": "a@b.co", "name": {"first_name": 5}}),
        )
        .unwrap_err();
        assert!(
            nested.message.contains("`name.first_name`"),
            "{}",
            nested.message
        );
        assert!(wrong.is(ErrorType::BadRequest));
    }

    #[test]
    fn explicit_nulls_are_absent_values() {
        let ok: Sample = deserialize(
            serde_json::json!({"email": "a@b.co", "session_duration_minutes": null, "name": null}),
        )
        .unwrap();
        assert!(ok.session_duration_minutes.is_none());
    }

    #[test]
    fn bodies_must_be_json_objects() {
        let mut json = HeaderMap::new();
        json.insert(
            header::CONTENT_TYPE,
            "application/json; charset=utf-8".parse().unwrap(),
        );
        assert!(parse_body(&json, b"").unwrap().is_empty());
        assert!(parse_body(&json, b"null").unwrap().is_empty());
        assert!(parse_body(&json, b"{\"a\":1}").unwrap().contains_key("a"));
        assert!(parse_body(&json, b"[1]").is_err());
        assert!(parse_body(&json, b"{oops").is_err());
        let mut form = HeaderMap::new();
        form.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        assert!(parse_body(&form, b"a=1")
            .unwrap_err()
            .message
            .contains("Content-Type"));
        assert!(parse_body(&HeaderMap::new(), b"{}").is_err());
    }
}

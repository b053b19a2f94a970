//! Middleware that keeps every API answer in the protocol's shape and out of caches: error bodies for bare statuses, caught panics, `no-store`.

use std::any::Any;

use axum::{
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{
    error::{ApiError, ErrorType},
    http::extract::body_too_large,
};

/// Whether a path belongs to the JSON API (as opposed to static files).
pub fn is_api_path(path: &str) -> bool {
    ["/v1", "/sdk", "/dev"].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Replaces any non-JSON error response on an API path (axum's 404 / 405,
/// a body-limit 413, …) with the five-field error body, keeping its status.
pub async fn normalize_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let response = next.run(req).await;
    let status = response.status();
    if !is_api_path(&path) || status.as_u16() < 400 {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let kind = ErrorType::for_status(status);
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::new(kind, format!("No route for {method} {path}.")),
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::new(kind, format!("{method} is not allowed on {path}."))
        }
        StatusCode::PAYLOAD_TOO_LARGE => body_too_large(),
        _ => ApiError::custom(
            status,
            kind.as_str().to_string(),
            status
                .canonical_reason()
                .unwrap_or("Request failed.")
                .to_string(),
        ),
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut replaced = error.into_response();
    if let Some(allow) = allow {
        replaced.headers_mut().insert(header::ALLOW, allow);
    }
    replaced
}

/// `Cache-Control: no-store` and `Pragma: no-cache` on every answer of the
/// API, the dev pages and the identity provider: they carry tokens, codes,
/// the outbox and user data, which no browser or proxy cache may keep.
/// Static files (the demo) are left cacheable.
pub async fn no_store(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let sensitive = is_api_path(path) || crate::dev::same_origin::is_dev_page(path);
    let mut response = next.run(req).await;
    if sensitive {
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    }
    response
}

/// The API's 404 for unknown routes under a face.
pub async fn api_not_found(req: Request) -> Response {
    ApiError::new(
        ErrorType::NotFound,
        format!("No route for {} {}.", req.method(), req.uri().path()),
    )
    .into_response()
}

/// Turns a panic in a handler into a 500 with the error body (and a log line).
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    crate::log(format_args!("handler panicked: {detail}"));
    ApiError::new(
        ErrorType::InternalServerError,
        "The local auth server hit an internal error; see its log.",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_the_500_error_body() {
        let response = panic_response(Box::new("boom"));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["error_type"], "internal_server_error");
        assert_eq!(body["status_code"], 500);
        assert_eq!(body.as_object().unwrap().len(), 5);
    }

    #[test]
    fn api_paths() {
        assert!(is_api_path("/v1/users"));
        assert!(is_api_path("/sdk/v1/sessions/authenticate"));
        assert!(is_api_path("/dev/outbox"));
        assert!(!is_api_path("/"));
        assert!(!is_api_path("/pkg/latchkey.js"));
        assert!(!is_api_path("/developer.html"));
        assert!(!is_api_path("/v1abc"));
    }
}

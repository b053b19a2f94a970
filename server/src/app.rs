//! The HTTP router: API faces, development routes and static files.

use std::sync::Arc;

use axum::{
    http::{header, HeaderName, HeaderValue, Method},
    routing::get,
    Json, Router,
};
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    services::ServeDir,
};

use crate::Config;

pub fn router(config: &Config) -> Router {
    let mut router = Router::new().route("/health", get(health));
    // Longer prefixes first so `/pkg` is not swallowed by `/`.
    let mut mounts = config.mounts.clone();
    mounts.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
    for (prefix, dir) in mounts {
        let service = ServeDir::new(dir).append_index_html_on_directories(true);
        router = if prefix == "/" {
            router.fallback_service(service)
        } else {
            router.nest_service(&prefix, service)
        };
    }
    router.layer(cors(config))
}

/// Credentialed CORS, for authorized origins only.
fn cors(config: &Config) -> CorsLayer {
    let config = Arc::new(config.clone());
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
            origin
                .to_str()
                .is_ok_and(|origin| config.is_authorized_origin(origin))
        }))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-sdk-client"),
            HeaderName::from_static("x-sdk-parent-host"),
        ])
        .expose_headers([header::DATE])
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

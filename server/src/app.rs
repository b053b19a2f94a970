//! The HTTP router: both API faces, development routes, static files, and the layers around them.

use std::sync::Arc;

use axum::{
    extract::DefaultBodyLimit,
    http::{header, HeaderName, HeaderValue, Method},
    middleware::{from_fn, from_fn_with_state},
    routing::get,
    Json, Router,
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    services::ServeDir,
};

use crate::{
    api, dev,
    http::{
        extract::MAX_BODY_BYTES,
        hosts::{self, AllowedHosts},
        layers,
    },
    state::AppState,
    Config,
};

/// Layers, outermost first: the Host allow-list (nothing else runs for a
/// rebound name), `no-store`, the same-origin guard of the dev pages, CORS
/// (so every API answer, errors included, carries the CORS headers), error
/// normalisation, panic catching, fault injection, then the routes with the
/// 64 KB body limit. `allowed_hosts` are the names the server answers to.
pub fn router(state: AppState, allowed_hosts: AllowedHosts) -> Router {
    let (sdk, v1) = api::api().into_routers();
    let mut router = Router::new()
        .route("/health", get(health))
        .nest("/sdk/v1", sdk.fallback(layers::api_not_found))
        .nest("/v1", v1.fallback(layers::api_not_found))
        .merge(dev::routes(&state));
    // Longer prefixes first so `/pkg` is not swallowed by `/`.
    let mut mounts = state.config.mounts.clone();
    mounts.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
    for (prefix, dir) in mounts {
        let service = ServeDir::new(dir).append_index_html_on_directories(true);
        router = if prefix == "/" {
            router.fallback_service(service)
        } else {
            router.nest_service(&prefix, service)
        };
    }
    router
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(from_fn_with_state(state.clone(), dev::faults::inject))
        .layer(CatchPanicLayer::custom(layers::panic_response))
        .layer(from_fn(layers::normalize_errors))
        .layer(cors(&state.config))
        .layer(from_fn(dev::same_origin::guard))
        .layer(from_fn(layers::no_store))
        .layer(from_fn_with_state(Arc::new(allowed_hosts), hosts::check))
        .with_state(state)
}

/// Credentialed CORS, for authorized origins only, and never for the dev
/// pages (same origin only, see `dev::same_origin`).
fn cors(config: &Config) -> CorsLayer {
    let config = Arc::new(config.clone());
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(
            move |origin: &HeaderValue, parts: &axum::http::request::Parts| {
                !dev::same_origin::is_dev_page(parts.uri.path())
                    && origin
                        .to_str()
                        .is_ok_and(|origin| config.is_authorized_origin(origin))
            },
        ))
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

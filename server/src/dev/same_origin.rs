//! The development pages (`/dev/*`, the identity provider under `/idp`) are for the person at the keyboard: same-origin requests only.
//!
//! They answer no CORS headers (see `app::cors`), and this guard refuses a
//! request that a browser marks as coming from another origin: an `Origin`
//! other than the server's own, or `Sec-Fetch-Site: cross-site / same-site`
//! (another port of localhost is "same-site"). Tools (curl, the test
//! harnesses) send neither and pass. The one exception: the identity
//! provider's page is where an app on another origin sends the browser to
//! sign in, so a top-level navigation (`GET`, `Sec-Fetch-Mode: navigate`,
//! `Sec-Fetch-Dest: document`) reaches it from anywhere; a script, frame or
//! form of another origin does not.

use axum::{
    extract::Request,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::error::{ApiError, ErrorType};

/// Whether `path` is a development page this guard protects.
pub fn is_dev_page(path: &str) -> bool {
    ["/dev", "/idp"].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Why a request is refused, or `None` when it is same-origin (or a tool's).
fn refusal(headers: &HeaderMap, method: &Method, navigable: bool) -> Option<String> {
    let host = header_str(headers, "host").unwrap_or("");
    let site = header_str(headers, "sec-fetch-site");
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let own = ["http://", "https://"]
            .iter()
            .any(|scheme| origin.strip_prefix(scheme) == Some(host));
        // A page with `Referrer-Policy: no-referrer` (the IdP's) posts its own
        // forms with `Origin: null`; the fetch metadata then says where from.
        let null_but_same = origin == "null" && site == Some("same-origin");
        if !own && !null_but_same {
            return Some(format!("Origin {origin}"));
        }
    }
    match site {
        None | Some("same-origin") | Some("none") => None,
        Some(site) => {
            let top_level_navigation = method == Method::GET
                && header_str(headers, "sec-fetch-mode") == Some("navigate")
                && header_str(headers, "sec-fetch-dest") == Some("document");
            if navigable && top_level_navigation {
                None
            } else {
                Some(format!("Sec-Fetch-Site: {site}"))
            }
        }
    }
}

/// Middleware for the development pages (see the module documentation).
pub async fn guard(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !is_dev_page(path) {
        return next.run(req).await;
    }
    let idp = path.starts_with("/idp");
    let Some(reason) = refusal(req.headers(), req.method(), idp) else {
        return next.run(req).await;
    };
    let message = format!(
        "The development pages answer same-origin requests only, and this one came from another origin ({reason}). Open it on this server itself."
    );
    if idp {
        // The IdP's errors are pages for a person, like its other answers.
        let mut response = (
            StatusCode::FORBIDDEN,
            format!(
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Refused</title></head><body><h1>Refused</h1><p>{}</p></body></html>\n",
                super::escape(&message)
            ),
        )
            .into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        response
    } else {
        ApiError::new(ErrorType::CrossOriginRequest, message).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert("host", HeaderValue::from_static("localhost:8787"));
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn same_origin_and_tools_pass() {
        for pairs in [
            &[][..],
            &[("origin", "http://localhost:8787")],
            &[("sec-fetch-site", "same-origin")],
            &[("sec-fetch-site", "none")],
            &[("origin", "null"), ("sec-fetch-site", "same-origin")],
        ] {
            assert_eq!(
                refusal(&headers(pairs), &Method::GET, false),
                None,
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn other_origins_are_refused() {
        for pairs in [
            &[("origin", "http://localhost:5173")][..],
            &[("origin", "http://127.0.0.1:8787")],
            &[("origin", "null")],
            &[("sec-fetch-site", "same-site")],
            &[("sec-fetch-site", "cross-site")],
        ] {
            assert!(
                refusal(&headers(pairs), &Method::GET, false).is_some(),
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn only_top_level_navigations_cross_to_the_idp() {
        let nav = headers(&[
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-dest", "document"),
        ]);
        assert_eq!(refusal(&nav, &Method::GET, true), None);
        assert!(refusal(&nav, &Method::GET, false).is_some());
        assert!(refusal(&nav, &Method::POST, true).is_some());
        let frame = headers(&[
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-dest", "iframe"),
        ]);
        assert!(refusal(&frame, &Method::GET, true).is_some());
    }

    #[test]
    fn dev_pages() {
        assert!(is_dev_page("/dev/outbox"));
        assert!(is_dev_page("/idp/google/authorize"));
        assert!(!is_dev_page("/developer.html"));
        assert!(!is_dev_page("/idpx"));
        assert!(!is_dev_page("/sdk/v1/events"));
    }
}

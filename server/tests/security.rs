//! The server's own security suite: each class of attack an outside probe
//! ran against it, as tests over real HTTP against a real server on a
//! temporary SQLite directory, so that a regression fails CI.
//!
//! Findings of the probe (each test failed before its fix): DNS rebinding
//! (`Host` allow-list), dev pages readable cross-origin, responses with
//! tokens cacheable, an expired JWT accepted as a `/sdk/v1` credential.
//! Account pre-hijacking has its own file (`prehijack.rs`).

mod common;

use common::{Method, TestServer};
use serde_json::{json, Value};

// ---- the session JWT as a credential ---------------------------------------------

#[tokio::test]
async fn a_session_jwt_is_not_a_frontend_credential_but_the_backend_renews_an_expired_one() {
    let t = TestServer::start().await;
    let login = t.login("jwt@example.com", 60).await;
    // The browser SDKs send the opaque token; a JWT there (fresh or expired)
    // names no session, so a stolen JWT cannot act for the browser.
    t.sdk(
        Method::POST,
        "/sessions/authenticate",
        Some(&login.session_jwt),
        None,
    )
    .await
    .error(404, "session_not_found");
    t.advance_clock(301);
    for (method, path, body) in [
        (Method::POST, "/sessions/authenticate", None),
        (Method::GET, "/users/me", None),
        (
            Method::PUT,
            "/users/me",
            Some(json!({"untrusted_metadata": {"stolen": true}})),
        ),
        (
            Method::POST,
            "/otps/sms/send/secondary",
            Some(json!({"phone_number": "+15555550190"})),
        ),
    ] {
        t.sdk(method.clone(), path, Some(&login.session_jwt), body)
            .await
            .error(404, "session_not_found");
    }
    let user = t
        .v1(Method::GET, &format!("/users/{}", login.user_id), None)
        .await;
    assert_eq!(user.ok()["untrusted_metadata"], json!({}));
    // A sign-in with a JWT in the header starts its own session.
    let r = t
        .sdk(
            Method::POST,
            "/passwords",
            Some(&login.session_jwt),
            Some(json!({"email": "other-jwt@example.com", "password": "Tulip-Garden-Orbit-42"})),
        )
        .await;
    assert_ne!(r.data()["session"]["session_id"], login.session_id.as_str());

    // The backend face (documented by Stytch): an expired JWT of a live
    // session is accepted and re-minted …
    let r = t
        .v1(
            Method::POST,
            "/sessions/authenticate",
            Some(json!({"session_jwt": login.session_jwt})),
        )
        .await;
    let fresh: Value = r.ok()["session_jwt"].clone();
    assert_ne!(fresh, Value::String(login.session_jwt.clone()));
    // … but not once the session is revoked.
    t.v1(
        Method::POST,
        "/sessions/revoke",
        Some(json!({"session_id": login.session_id})),
    )
    .await
    .ok();
    t.v1(
        Method::POST,
        "/sessions/authenticate",
        Some(json!({"session_jwt": login.session_jwt})),
    )
    .await
    .error(404, "session_not_found");
}

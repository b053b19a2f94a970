//! Email magic links over real HTTP on both faces: login_or_create, send
//! (primary, secondary, `/v1` with a user), authenticate with PKCE, expiry,
//! replay, redirect URL rules, rate limits. Links are read from `/dev/outbox`.

mod common;

use common::{mirror, pkce_pair, token_of, Method, TestServer};
use latchkey_server::config::RateLimitMode;
use serde::Deserialize;
use serde_json::{json, Value};

const LOGIN_URL: &str = "http://localhost:5173/login";
const SIGNUP_URL: &str = "http://localhost:5173/signup?from=mail";

/// The link of the newest outbox message to `email`.
async fn latest_link(t: &TestServer, email: &str) -> String {
    let newest = t.latest_message(email).await;
    assert_eq!(newest["channel"], "email");
    newest["link"].as_str().expect("a link").to_string()
}

async fn latest_token(t: &TestServer, email: &str) -> String {
    token_of(&latest_link(t, email).await)
}

/// The official client's `magic_links.email.login_or_create` response.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct LoginOrCreateResponse {
    request_id: String,
    user_id: String,
    email_id: String,
    user_created: bool,
    status_code: u16,
}

/// The official client's `magic_links.email.send` response.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct SendResponse {
    request_id: String,
    user_id: String,
    email_id: String,
    status_code: u16,
}

/// The official client's `magic_links.authenticate` response.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct AuthenticateResponse {
    request_id: String,
    user_id: String,
    method_id: String,
    session_token: String,
    session_jwt: String,
    user: mirror::User,
    reset_sessions: bool,
    status_code: u16,
    session: Option<mirror::Session>,
}

#[tokio::test]
async fn login_or_create_signs_up_a_pending_user_and_authenticate_starts_a_session() {
    let t = TestServer::start().await;
    let (verifier, challenge) = pkce_pair();
    let r = t
        .sdk(
            Method::POST,
            "/magic_links/email/login_or_create",
            None,
            Some(json!({
                "email": "Ada@Example.com",
                "login_magic_link_url": LOGIN_URL,
                "signup_magic_link_url": SIGNUP_URL,
                "code_challenge": challenge,
                "locale": "en",
            })),
        )
        .await;
    let data = r.data().clone();
    assert_eq!(data["user_created"], true);
    let user_id = data["user_id"].as_str().unwrap().to_string();
    let email_id = data["email_id"].as_str().unwrap().to_string();
    assert!(email_id.starts_with("email-test-"));

    // The new user waits, pending, with an unverified email.
    let user = t.v1(Method::GET, &format!("/users/{user_id}"), None).await;
    assert_eq!(user.ok()["status"], "pending");
    assert_eq!(user.body["emails"][0]["verified"], false);

    // The email carries the signup URL (its query kept) plus the token.
    let messages = t.outbox(Some("ada@example.com")).await;
    assert_eq!(messages.len(), 1);
    let link = messages[0]["link"].as_str().unwrap();
    let prefix = format!("{SIGNUP_URL}&stytch_token_type=magic_links&token=");
    assert!(link.starts_with(&prefix), "{link}");
    assert_eq!(link.len(), prefix.len() + 44);
    assert!(messages[0]["body"].as_str().unwrap().contains(link));
    assert!(messages[0]["subject"]
        .as_str()
        .unwrap()
        .contains("Finish signing up"));
    let token = token_of(link);

    let r = t
        .sdk(
            Method::POST,
            "/magic_links/authenticate",
            None,
            Some(
                json!({"token": token, "session_duration_minutes": 60, "code_verifier": verifier}),
            ),
        )
        .await;
    let data = r.data();
    assert_eq!(data["user_id"], user_id);
    assert_eq!(data["method_id"], email_id);
    assert_eq!(data["reset_sessions"], false);
    assert_eq!(data["session_token"].as_str().unwrap().len(), 44);
    assert_eq!(data["session_jwt"].as_str().unwrap().split('.').count(), 3);
    assert_eq!(data["user"]["status"], "active");
    assert_eq!(data["user"]["emails"][0]["verified"], true);
    assert_eq!(data["__user"]["user_id"], user_id);
    let factor = &data["session"]["authentication_factors"][0];
    assert_eq!(factor["type"], "magic_link");
    assert_eq!(factor["delivery_method"], "email");
    assert_eq!(
        factor["email_factor"],
        json!({"email_id": email_id, "email_address": "ada@example.com"})
    );
    // The session works.
    let token = data["session_token"].as_str().unwrap().to_string();
    t.sdk(Method::POST, "/sessions/authenticate", Some(&token), None)
        .await
        .data();

    // Again for the same address: no new user, and now a login link.
    let (_, challenge) = pkce_pair();
    let again = t
        .sdk(
            Method::POST,
            "/magic_links/email/login_or_create",
            None,
            Some(json!({
                "email": "ada@example.com",
                "login_magic_link_url": LOGIN_URL,
                "signup_magic_link_url": SIGNUP_URL,
                "code_challenge": challenge,
            })),
        )
        .await;
    assert_eq!(again.data()["user_created"], false);
    assert_eq!(again.data()["user_id"], user_id);
    let link = latest_link(&t, "ada@example.com").await;
    assert!(
        link.starts_with(&format!("{LOGIN_URL}?stytch_token_type=magic_links&token=")),
        "{link}"
    );
}

#[tokio::test]
async fn a_user_still_pending_gets_the_signup_link_again() {
    let t = TestServer::start().await;
    let body = json!({
        "email": "slow@example.com",
        "login_magic_link_url": LOGIN_URL,
        "signup_magic_link_url": SIGNUP_URL,
    });
    t.v1(
        Method::POST,
        "/magic_links/email/login_or_create",
        Some(body.clone()),
    )
    .await
    .ok();
    let r = t
        .v1(
            Method::POST,
            "/magic_links/email/login_or_create",
            Some(body),
        )
        .await;
    assert_eq!(r.ok()["user_created"], false);
    assert!(latest_link(&t, "slow@example.com")
        .await
        .starts_with(SIGNUP_URL));
}

#[tokio::test]
async fn backend_responses_decode_as_the_official_client_expects() {
    let t = TestServer::start().await;
    // The official client sends every unset optional field as null.
    let r = t
        .v1(
            Method::POST,
            "/magic_links/email/login_or_create",
            Some(json!({
                "email": "grace@example.com",
                "login_magic_link_url": LOGIN_URL,
                "signup_magic_link_url": null,
                "login_expiration_minutes": null,
                "signup_expiration_minutes": null,
                "login_template_id": null,
                "signup_template_id": null,
                "attributes": null,
                "create_user_as_pending": null,
                "code_challenge": null,
                "locale": null,
            })),
        )
        .await;
    let created: LoginOrCreateResponse = mirror::decode(r.ok());
    assert!(created.user_created);
    // No signup URL given: the login URL stands in.
    assert!(latest_link(&t, "grace@example.com")
        .await
        .starts_with(LOGIN_URL));

    // Without session_duration_minutes, /v1 mints no session.
    let token = latest_token(&t, "grace@example.com").await;
    let r = t
        .v1(
            Method::POST,
            "/magic_links/authenticate",
            Some(json!({"token": token, "session_duration_minutes": null, "attributes": null, "options": null})),
        )
        .await;
    let auth: AuthenticateResponse = mirror::decode(r.ok());
    assert!(auth.session.is_none());
    assert_eq!(auth.session_token, "");
    assert_eq!(auth.method_id, created.email_id);
    assert!(!auth.reset_sessions);

    let r = t
        .v1(
            Method::POST,
            "/magic_links/email/send",
            Some(json!({"email": "grace@example.com", "login_magic_link_url": LOGIN_URL, "user_id": null})),
        )
        .await;
    let sent: SendResponse = mirror::decode(r.ok());
    assert_eq!(sent.user_id, created.user_id);
    assert!(r.body.get("user_created").is_none());

    // With a duration and custom claims, a session whose JWT carries them.
    let token = latest_token(&t, "grace@example.com").await;
    let r = t
        .v1(
            Method::POST,
            "/magic_links/authenticate",
            Some(json!({"token": token, "session_duration_minutes": 30, "session_custom_claims": {"tier": "gold"}})),
        )
        .await;
    let auth: AuthenticateResponse = mirror::decode(r.ok());
    let session = auth.session.expect("a session");
    assert_eq!(session.custom_claims, Some(json!({"tier": "gold"})));
    assert_eq!(session.authentication_factors[0].type_, "magic_link");
}

#[tokio::test]
async fn replayed_unknown_and_expired_links_are_refused() {
    let t = TestServer::start().await;
    t.freeze_clock();
    let send = |minutes: Option<i64>| {
        json!({
            "email": "replay@example.com",
            "login_magic_link_url": LOGIN_URL,
            "login_expiration_minutes": minutes,
            "signup_expiration_minutes": minutes,
        })
    };
    t.v1(
        Method::POST,
        "/magic_links/email/login_or_create",
        Some(send(None)),
    )
    .await
    .ok();
    let token = latest_token(&t, "replay@example.com").await;
    let body = json!({"token": token, "session_duration_minutes": 60});
    t.v1(
        Method::POST,
        "/magic_links/authenticate",
        Some(body.clone()),
    )
    .await
    .ok();
    t.v1(Method::POST, "/magic_links/authenticate", Some(body))
        .await
        .error(401, "unable_to_auth_magic_link");
    // Same on the frontend face.
    t.sdk(
        Method::POST,
        "/magic_links/authenticate",
        None,
        Some(json!({"token": token, "session_duration_minutes": 60})),
    )
    .await
    .error(401, "unable_to_auth_magic_link");

    t.v1(
        Method::POST,
        "/magic_links/authenticate",
        Some(json!({"token": "x".repeat(44)})),
    )
    .await
    .error(404, "magic_link_not_found");
    t.v1(Method::POST, "/magic_links/authenticate", Some(json!({})))
        .await
        .error(400, "bad_request");

    // A 5-minute link works at 4:59 and not at 5:00.
    t.v1(
        Method::POST,
        "/magic_links/email/login_or_create",
        Some(send(Some(5))),
    )
    .await
    .ok();
    let first = latest_token(&t, "replay@example.com").await;
    t.v1(
        Method::POST,
        "/magic_links/email/login_or_create",
        Some(send(Some(5))),
    )
    .await
    .ok();
    let second = latest_token(&t, "replay@example.com").await;
    t.advance_clock(299);
    t.v1(
        Method::POST,
        "/magic_links/authenticate",
        Some(json!({"token": first, "session_duration_minutes": 60})),
    )
    .await
    .ok();
    t.advance_clock(1);
    let r = t
        .v1(
            Method::POST,
            "/magic_links/authenticate",
            Some(json!({"token": second, "session_duration_minutes": 60})),
        )
        .await;
    r.error(401, "unable_to_auth_magic_link");
    assert!(r.message().contains("expired"), "{}", r.message());

    // The default lifetime is 60 minutes.
    t.v1(
        Method::POST,
        "/magic_links/email/login_or_create",
        Some(send(None)),
    )
    .await
    .ok();
    let token = latest_token(&t, "replay@example.com").await;
    t.advance_clock(3600);
    t.v1(
        Method::POST,
        "/magic_links/authenticate",
        Some(json!({"token": token})),
    )
    .await
    .error(401, "unable_to_auth_magic_link");
}

#[tokio::test]
async fn pkce_is_required_on_the_frontend_and_checked_at_authenticate() {
    let t = TestServer::start().await;
    let body = |challenge: Option<&str>| json!({"email": "pkce@example.com", "login_magic_link_url": LOGIN_URL, "code_challenge": challenge});
    // The frontend must send a challenge (pkce_required_for_email_magic_links).
    for path in [
        "/magic_links/email/login_or_create",
        "/magic_links/email/send/primary",
    ] {
        let r = t.sdk(Method::POST, path, None, Some(body(None))).await;
        r.error(400, "bad_request");
        assert!(r.message().contains("code_challenge"), "{}", r.message());
    }
    t.sdk(
        Method::POST,
        "/magic_links/email/login_or_create",
        None,
        Some(body(Some("not-a-challenge"))),
    )
    .await
    .error(400, "bad_request");
    assert!(t.outbox(Some("pkce@example.com")).await.is_empty());

    let (verifier, challenge) = pkce_pair();
    t.sdk(
        Method::POST,
        "/magic_links/email/login_or_create",
        None,
        Some(body(Some(&challenge))),
    )
    .await
    .data();
    let token = latest_token(&t, "pkce@example.com").await;
    let authenticate = |verifier: Option<String>| json!({"token": token, "session_duration_minutes": 60, "code_verifier": verifier});
    // Missing and wrong verifiers are refused, and leave the link usable.
    t.sdk(
        Method::POST,
        "/magic_links/authenticate",
        None,
        Some(authenticate(None)),
    )
    .await
    .error(400, "pkce_mismatch");
    let (other_verifier, _) = pkce_pair();
    t.sdk(
        Method::POST,
        "/magic_links/authenticate",
        None,
        Some(authenticate(Some(other_verifier))),
    )
    .await
    .error(400, "pkce_mismatch");
    t.v1(
        Method::POST,
        "/magic_links/authenticate",
        Some(authenticate(None)),
    )
    .await
    .error(400, "pkce_mismatch");
    t.sdk(
        Method::POST,
        "/magic_links/authenticate",
        None,
        Some(authenticate(Some(verifier.clone()))),
    )
    .await
    .data();
    t.sdk(
        Method::POST,
        "/magic_links/authenticate",
        None,
        Some(authenticate(Some(verifier))),
    )
    .await
    .error(401, "unable_to_auth_magic_link");

    // The backend never has to use PKCE; a verifier for a link sent without
    // a challenge is refused.
    t.v1(Method::POST, "/magic_links/email/send", Some(body(None)))
        .await
        .ok();
    let token = latest_token(&t, "pkce@example.com").await;
    let (verifier, _) = pkce_pair();
    t.v1(
        Method::POST,
        "/magic_links/authenticate",
        Some(json!({"token": token, "code_verifier": verifier})),
    )
    .await
    .error(400, "pkce_mismatch");
    t.v1(
        Method::POST,
        "/magic_links/authenticate",
        Some(json!({"token": token})),
    )
    .await
    .ok();
}

#[tokio::test]
async fn pkce_can_be_made_optional() {
    let t = TestServer::start_with(|c| c.pkce_optional = true).await;
    t.sdk(
        Method::POST,
        "/magic_links/email/login_or_create",
        None,
        Some(json!({"email": "free@example.com", "login_magic_link_url": LOGIN_URL})),
    )
    .await
    .data();
    let token = latest_token(&t, "free@example.com").await;
    t.sdk(
        Method::POST,
        "/magic_links/authenticate",
        None,
        Some(json!({"token": token, "session_duration_minutes": 60})),
    )
    .await
    .data();
}

#[tokio::test]
async fn redirect_urls_must_be_allowed() {
    let t = TestServer::start().await;
    for (field, url) in [
        ("login_magic_link_url", "https://evil.example/login"),
        ("signup_magic_link_url", "http://localhost.evil.example/x"),
        ("login_magic_link_url", "javascript:alert(1)"),
    ] {
        let r = t
            .v1(
                Method::POST,
                "/magic_links/email/login_or_create",
                Some(json!({"email": "r@example.com", field: url})),
            )
            .await;
        r.error(400, "invalid_redirect_url");
        assert!(r.message().contains(field), "{}", r.message());
    }
    // No URL at all and no default: refused, and no user is left behind.
    let r = t
        .v1(
            Method::POST,
            "/magic_links/email/login_or_create",
            Some(json!({"email": "r@example.com"})),
        )
        .await;
    r.error(400, "invalid_redirect_url");
    assert!(
        r.message().contains("signup_magic_link_url"),
        "{}",
        r.message()
    );
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(json!({"email": "r@example.com", "login_magic_link_url": LOGIN_URL})),
    )
    .await
    .error(404, "email_not_found");
    assert!(t.outbox(Some("r@example.com")).await.is_empty());

    // With --allowed-redirect-url the list decides, and its first entry is the default.
    let t = TestServer::start_with(|c| {
        c.allowed_redirect_urls = vec!["http://localhost:5173/auth".into()];
    })
    .await;
    t.v1(
        Method::POST,
        "/magic_links/email/login_or_create",
        Some(json!({"email": "r@example.com", "login_magic_link_url": "http://localhost:5173/other"})),
    )
    .await
    .error(400, "invalid_redirect_url");
    t.v1(
        Method::POST,
        "/magic_links/email/login_or_create",
        Some(json!({"email": "r@example.com"})),
    )
    .await
    .ok();
    assert!(latest_link(&t, "r@example.com")
        .await
        .starts_with("http://localhost:5173/auth?stytch_token_type=magic_links&token="));
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(json!({"email": "r@example.com", "login_magic_link_url": "http://localhost:5173/auth/cb#frag"})),
    )
    .await
    .ok();
    let link = latest_link(&t, "r@example.com").await;
    assert!(
        link.starts_with("http://localhost:5173/auth/cb?stytch_token_type=magic_links&token=")
            && link.ends_with("#frag"),
        "{link}"
    );
}

#[tokio::test]
async fn project_default_redirect_urls_serve_requests_that_name_none() {
    const PAGE: &str = "http://localhost:8787/";
    let t = TestServer::start_with(|c| {
        c.default_login_redirect_url = Some(LOGIN_URL.into());
        c.default_signup_redirect_url = Some(PAGE.into());
    })
    .await;
    // As the official browser SDK sends it: no URLs, a PKCE challenge.
    let (verifier, challenge) = pkce_pair();
    t.sdk(
        Method::POST,
        "/magic_links/email/login_or_create",
        None,
        Some(json!({"email": "d@example.com", "code_challenge": challenge})),
    )
    .await
    .data();
    let link = latest_link(&t, "d@example.com").await;
    assert!(
        link.starts_with(&format!("{PAGE}?stytch_token_type=magic_links&token=")),
        "a new user gets the signup default: {link}"
    );
    t.sdk(
        Method::POST,
        "/magic_links/authenticate",
        None,
        Some(json!({"token": token_of(&link), "code_verifier": verifier})),
    )
    .await
    .data();
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(json!({"email": "d@example.com"})),
    )
    .await
    .ok();
    let link = latest_link(&t, "d@example.com").await;
    assert!(link.starts_with(&format!("{LOGIN_URL}?")), "{link}");
    // A URL the request names still wins.
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(
            json!({"email": "d@example.com", "login_magic_link_url": "http://localhost:5173/own"}),
        ),
    )
    .await
    .ok();
    let link = latest_link(&t, "d@example.com").await;
    assert!(link.starts_with("http://localhost:5173/own?"), "{link}");
    // Password resets without a URL land on the login default.
    t.v1(
        Method::POST,
        "/passwords/email/reset/start",
        Some(json!({"email": "d@example.com"})),
    )
    .await
    .ok();
    let link = latest_link(&t, "d@example.com").await;
    assert!(
        link.starts_with(&format!(
            "{LOGIN_URL}?stytch_token_type=reset_password&token="
        )),
        "{link}"
    );

    // The defaults are project settings: kept by a start without the flags,
    // cleared by an empty value.
    let t = t
        .restart_with(|c| {
            c.default_login_redirect_url = None;
            c.default_signup_redirect_url = None;
        })
        .await;
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(json!({"email": "d@example.com"})),
    )
    .await
    .ok();
    assert!(latest_link(&t, "d@example.com")
        .await
        .starts_with(&format!("{LOGIN_URL}?")));
    let t = t
        .restart_with(|c| {
            c.default_login_redirect_url = Some(String::new());
            c.default_signup_redirect_url = Some(String::new());
        })
        .await;
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(json!({"email": "d@example.com"})),
    )
    .await
    .error(400, "invalid_redirect_url");
}

#[tokio::test]
async fn a_default_redirect_url_must_be_an_allowed_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = latchkey_server::Config::with_data_dir(dir.path());
    config.default_login_redirect_url = Some("https://evil.example/login".into());
    let refused = latchkey_server::start(config).await.err().expect("refused");
    assert!(
        refused.contains("--default-login-redirect-url"),
        "{refused}"
    );
}

#[tokio::test]
async fn send_primary_needs_an_existing_email() {
    let t = TestServer::start().await;
    let (_, challenge) = pkce_pair();
    t.sdk(
        Method::POST,
        "/magic_links/email/send/primary",
        None,
        Some(json!({"email": "nobody@example.com", "login_magic_link_url": LOGIN_URL, "code_challenge": challenge})),
    )
    .await
    .error(404, "email_not_found");
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(json!({"email": "nobody@example.com", "login_magic_link_url": LOGIN_URL})),
    )
    .await
    .error(404, "email_not_found");

    let login = t.login("known@example.com", 60).await;
    let (verifier, challenge) = pkce_pair();
    let r = t
        .sdk(
            Method::POST,
            "/magic_links/email/send/primary",
            None,
            Some(json!({"email": "KNOWN@example.com", "login_magic_link_url": LOGIN_URL, "signup_magic_link_url": SIGNUP_URL, "code_challenge": challenge})),
        )
        .await;
    assert_eq!(r.data()["user_id"], login.user_id);
    assert_eq!(r.data()["email_id"], login.email_id);
    let link = latest_link(&t, "known@example.com").await;
    assert!(link.starts_with(LOGIN_URL), "{link}");
    let token = token_of(&link);
    let r = t
        .sdk(
            Method::POST,
            "/magic_links/authenticate",
            None,
            Some(
                json!({"token": token, "session_duration_minutes": 60, "code_verifier": verifier}),
            ),
        )
        .await;
    assert_eq!(r.data()["user_id"], login.user_id);
}

#[tokio::test]
async fn send_secondary_adds_the_email_once_authenticated() {
    let t = TestServer::start().await;
    let login = t.login("first@example.com", 60).await;
    let (verifier, challenge) = pkce_pair();
    let send = json!({"email": "second@example.com", "login_magic_link_url": LOGIN_URL, "code_challenge": challenge});

    // Signed out: refused.
    t.sdk(
        Method::POST,
        "/magic_links/email/send/secondary",
        None,
        Some(send.clone()),
    )
    .await
    .error(401, "unauthorized_credentials");

    let r = t
        .sdk(
            Method::POST,
            "/magic_links/email/send/secondary",
            Some(&login.session_token),
            Some(send.clone()),
        )
        .await;
    let new_email_id = r.data()["email_id"].as_str().unwrap().to_string();
    assert_eq!(r.data()["user_id"], login.user_id);
    // Sending again reuses the same future email_id.
    let again = t
        .sdk(
            Method::POST,
            "/magic_links/email/send/secondary",
            Some(&login.session_token),
            Some(send),
        )
        .await;
    assert_eq!(again.data()["email_id"], new_email_id);

    // Not on the user until proven, and nobody can log in with it meanwhile.
    let me = t
        .sdk(Method::GET, "/users/me", Some(&login.session_token), None)
        .await;
    assert_eq!(me.data()["emails"].as_array().unwrap().len(), 1);
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(json!({"email": "second@example.com", "login_magic_link_url": LOGIN_URL})),
    )
    .await
    .error(404, "email_not_found");

    let token = latest_token(&t, "second@example.com").await;
    let r = t
        .sdk(
            Method::POST,
            "/magic_links/authenticate",
            Some(&login.session_token),
            Some(
                json!({"token": token, "session_duration_minutes": 60, "code_verifier": verifier}),
            ),
        )
        .await;
    let data = r.data();
    assert_eq!(data["method_id"], new_email_id);
    let emails = data["user"]["emails"].as_array().unwrap();
    assert_eq!(emails.len(), 2);
    assert_eq!(
        emails[1],
        json!({"email_id": new_email_id, "email": "second@example.com", "verified": true})
    );
    // The caller's session was extended with the second factor.
    assert_eq!(data["session"]["session_id"], login.session_id);
    assert_eq!(data["session_token"], login.session_token);
    let factors = data["session"]["authentication_factors"]
        .as_array()
        .unwrap();
    assert_eq!(factors.len(), 2);
    assert_eq!(
        factors[1]["email_factor"]["email_address"],
        "second@example.com"
    );

    // An address of another user cannot be added.
    let other = t.login("other@example.com", 60).await;
    let (_, challenge) = pkce_pair();
    t.sdk(
        Method::POST,
        "/magic_links/email/send/secondary",
        Some(&other.session_token),
        Some(json!({"email": "first@example.com", "login_magic_link_url": LOGIN_URL, "code_challenge": challenge})),
    )
    .await
    .error(400, "duplicate_email");
}

#[tokio::test]
async fn backend_send_with_a_user_or_session_attaches() {
    let t = TestServer::start().await;
    let login = t.login("owner@example.com", 60).await;
    let r = t
        .v1(
            Method::POST,
            "/magic_links/email/send",
            Some(json!({"email": "extra@example.com", "login_magic_link_url": LOGIN_URL, "user_id": login.user_id})),
        )
        .await;
    let sent: SendResponse = mirror::decode(r.ok());
    assert_eq!(sent.user_id, login.user_id);
    let token = latest_token(&t, "extra@example.com").await;
    let r = t
        .v1(
            Method::POST,
            "/magic_links/authenticate",
            Some(json!({"token": token, "session_token": login.session_token, "session_duration_minutes": 60})),
        )
        .await;
    let auth: AuthenticateResponse = mirror::decode(r.ok());
    assert_eq!(auth.user.emails.len(), 2);
    assert_eq!(auth.session.unwrap().session_id, login.session_id);

    // By session JWT too; a user_id of another user with it is refused.
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(json!({"email": "third@example.com", "login_magic_link_url": LOGIN_URL, "session_jwt": login.session_jwt})),
    )
    .await
    .ok();
    let stranger = t.create_user("stranger@example.com").await;
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(json!({"email": "third@example.com", "login_magic_link_url": LOGIN_URL, "session_jwt": login.session_jwt, "user_id": stranger["user_id"]})),
    )
    .await
    .error(400, "bad_request");
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(json!({"email": "x@example.com", "login_magic_link_url": LOGIN_URL, "user_id": "user-test-00000000-0000-4000-8000-000000000000"})),
    )
    .await
    .error(404, "user_not_found");
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(
            json!({"email": "x@example.com", "login_magic_link_url": LOGIN_URL, "user_id": "nope"}),
        ),
    )
    .await
    .error(400, "invalid_user_id");
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(json!({"email": "x@example.com", "login_magic_link_url": LOGIN_URL, "session_token": "dead"})),
    )
    .await
    .error(404, "session_not_found");
}

#[tokio::test]
async fn bad_input_is_a_4xx_naming_the_field() {
    let t = TestServer::start().await;
    let cases = [
        (
            json!({"email": "not-an-email", "login_magic_link_url": LOGIN_URL}),
            400,
            "invalid_email",
            "not-an-email",
        ),
        (
            json!({"login_magic_link_url": LOGIN_URL}),
            400,
            "bad_request",
            "email",
        ),
        (json!({"email": 5}), 400, "bad_request", "email"),
        (
            json!({"email": "a@example.com", "login_expiration_minutes": 4}),
            400,
            "bad_request",
            "login_expiration_minutes",
        ),
        (
            json!({"email": "a@example.com", "signup_expiration_minutes": 10_081}),
            400,
            "bad_request",
            "signup_expiration_minutes",
        ),
        (
            json!({"email": "a@example.com", "login_expiration_minutes": "60"}),
            400,
            "bad_request",
            "login_expiration_minutes",
        ),
    ];
    for (body, status, error_type, field) in cases {
        let r = t
            .v1(
                Method::POST,
                "/magic_links/email/login_or_create",
                Some(body),
            )
            .await;
        r.error(status, error_type);
        assert!(r.message().contains(field), "{}", r.message());
    }

    // A bad session duration is refused before the link is spent.
    t.v1(
        Method::POST,
        "/magic_links/email/login_or_create",
        Some(json!({"email": "dur@example.com", "login_magic_link_url": LOGIN_URL})),
    )
    .await
    .ok();
    let token = latest_token(&t, "dur@example.com").await;
    for minutes in [1, 527_041] {
        t.v1(
            Method::POST,
            "/magic_links/authenticate",
            Some(json!({"token": token, "session_duration_minutes": minutes})),
        )
        .await
        .error(400, "invalid_session_duration_minutes");
    }
    t.v1(
        Method::POST,
        "/magic_links/authenticate",
        Some(json!({"token": token, "session_custom_claims": [1]})),
    )
    .await
    .error(400, "bad_request");
    t.v1(
        Method::POST,
        "/magic_links/authenticate",
        Some(json!({"token": token, "session_token": "dead-session"})),
    )
    .await
    .error(404, "session_not_found");
    t.v1(
        Method::POST,
        "/magic_links/authenticate",
        Some(json!({"token": token, "session_duration_minutes": 5})),
    )
    .await
    .ok();
}

#[tokio::test]
async fn sends_are_rate_limited_per_address() {
    let t = TestServer::start().await;
    let body = json!({"email": "busy@example.com", "login_magic_link_url": LOGIN_URL});
    for _ in 0..10 {
        t.v1(
            Method::POST,
            "/magic_links/email/login_or_create",
            Some(body.clone()),
        )
        .await
        .ok();
    }
    let r = t
        .v1(
            Method::POST,
            "/magic_links/email/login_or_create",
            Some(body.clone()),
        )
        .await;
    r.error(429, "too_many_requests");
    // Same address, other endpoint: the same bucket. Another address: fine.
    t.v1(Method::POST, "/magic_links/email/send", Some(body))
        .await
        .error(429, "too_many_requests");
    t.v1(
        Method::POST,
        "/magic_links/email/login_or_create",
        Some(json!({"email": "calm@example.com", "login_magic_link_url": LOGIN_URL})),
    )
    .await
    .ok();
    assert_eq!(t.outbox(Some("busy@example.com")).await.len(), 10);

    // `--rate-limit relaxed` lets a test suite send far more.
    let t = TestServer::start_with(|c| c.rate_limit = RateLimitMode::Relaxed).await;
    for _ in 0..15 {
        t.v1(
            Method::POST,
            "/magic_links/email/login_or_create",
            Some(json!({"email": "busy@example.com", "login_magic_link_url": LOGIN_URL})),
        )
        .await
        .ok();
    }
}

#[tokio::test]
async fn a_link_survives_a_restart() {
    let t = TestServer::start().await;
    t.v1(
        Method::POST,
        "/magic_links/email/login_or_create",
        Some(json!({"email": "durable@example.com", "login_magic_link_url": LOGIN_URL})),
    )
    .await
    .ok();
    let token = latest_token(&t, "durable@example.com").await;
    let t = t.restart().await;
    let r = t
        .v1(
            Method::POST,
            "/magic_links/authenticate",
            Some(json!({"token": token, "session_duration_minutes": 60})),
        )
        .await;
    assert_eq!(r.ok()["user"]["status"], "active");
    let _unused: Value = r.body.clone();
}

#[tokio::test]
async fn a_passwordless_proof_of_an_unverified_email_flags_the_password() {
    const PASSWORD: &str = "Tulip-Garden-Orbit-42";
    let t = TestServer::start().await;
    // Someone set a password on an address they never proved.
    t.v1(
        Method::POST,
        "/passwords",
        Some(json!({"email": "owner@example.com", "password": PASSWORD})),
    )
    .await
    .ok();
    let login = json!({"email": "owner@example.com", "password": PASSWORD});
    t.v1(Method::POST, "/passwords/authenticate", Some(login.clone()))
        .await
        .ok();
    // The inbox's owner signs in by magic link: the password needs a reset now.
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(json!({"email": "owner@example.com", "login_magic_link_url": LOGIN_URL})),
    )
    .await
    .ok();
    let token = latest_token(&t, "owner@example.com").await;
    let r = t
        .v1(
            Method::POST,
            "/magic_links/authenticate",
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(r.ok()["user"]["password"]["requires_reset"], true);
    t.v1(Method::POST, "/passwords/authenticate", Some(login.clone()))
        .await
        .error(401, "reset_password");

    // A verified email (magic-link user who then added a password): a
    // later magic link leaves the password alone.
    let verified = t.login("verified@example.com", 60).await;
    t.v1(
        Method::POST,
        "/passwords",
        Some(json!({"email": "verified@example.com", "password": PASSWORD, "session_token": verified.session_token})),
    )
    .await
    .ok();
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(json!({"email": "verified@example.com", "login_magic_link_url": LOGIN_URL})),
    )
    .await
    .ok();
    let token = latest_token(&t, "verified@example.com").await;
    let r = t
        .v1(
            Method::POST,
            "/magic_links/authenticate",
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(r.ok()["user"]["password"]["requires_reset"], false);
    t.v1(
        Method::POST,
        "/passwords/authenticate",
        Some(json!({"email": "verified@example.com", "password": PASSWORD})),
    )
    .await
    .ok();
}

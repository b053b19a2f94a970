//! Passwords over real HTTP on both faces: create, authenticate, strength
//! check, reset by email (with PKCE, replay and expiry), by existing
//! password and by session, rate limiting and `requires_reset`.

mod common;

use std::time::{Duration, Instant};

use common::{mirror, token_of, Method, TestServer};
use latchkey_server::{auth::pkce, config::RateLimitMode};
use serde::Deserialize;
use serde_json::{json, Value};

const STRONG: &str = "vRIQomL!faE2S44s";
const STRONG_2: &str = "Tulip-Garden-Orbit-42";
const STRONG_3: &str = "quiet lanterns drift over basalt";
const VERIFIER: &str = "6b1f0c5e9a2d4f7081c3e5a7b9d0f2143658a7c9e0b1d2f3a4b5c6d7e8f90123";

// ---- the official client's shapes (stytch 11.1, consumer/passwords*.rs) -----

/// `passwords.create`
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct CreateResponse {
    request_id: String,
    user_id: String,
    email_id: String,
    session_token: String,
    session_jwt: String,
    user: mirror::User,
    status_code: u16,
    session: Option<mirror::Session>,
}

/// `passwords.strength_check`
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct StrengthCheckResponse {
    request_id: String,
    valid_password: bool,
    score: i32,
    breached_password: bool,
    strength_policy: String,
    breach_detection_on_create: bool,
    status_code: u16,
    feedback: Option<Feedback>,
}

#[derive(Debug, Deserialize)]
struct Feedback {
    warning: String,
    suggestions: Vec<String>,
    luds_requirements: Option<LudsRequirements>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct LudsRequirements {
    has_lower_case: bool,
    has_upper_case: bool,
    has_digit: bool,
    has_symbol: bool,
    missing_complexity: i32,
    missing_characters: i32,
}

/// `passwords.email.reset_start`
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ResetStartResponse {
    request_id: String,
    user_id: String,
    email_id: String,
    status_code: u16,
}

// ---- helpers -------------------------------------------------------------------

async fn relaxed() -> TestServer {
    TestServer::start_with(|c| c.rate_limit = RateLimitMode::Relaxed).await
}

async fn sdk_create(t: &TestServer, email: &str, password: &str) -> Value {
    t.sdk(
        Method::POST,
        "/passwords",
        None,
        Some(json!({"email": email, "password": password, "session_duration_minutes": 60})),
    )
    .await
    .data()
    .clone()
}

async fn sdk_login(t: &TestServer, email: &str, password: &str) -> common::Reply {
    t.sdk(
        Method::POST,
        "/passwords/authenticate",
        None,
        Some(json!({"email": email, "password": password, "session_duration_minutes": 60})),
    )
    .await
}

/// Sends a reset email on the frontend face (with PKCE) and returns the link.
async fn sdk_reset_link(t: &TestServer, email: &str) -> String {
    t.sdk(
        Method::POST,
        "/passwords/email/reset/start",
        None,
        Some(json!({
            "email": email,
            "reset_password_redirect_url": "http://localhost:5173/reset",
            "code_challenge": pkce::challenge_for(VERIFIER),
        })),
    )
    .await
    .data();
    let messages = t.outbox(Some(email)).await;
    messages[0]["link"].as_str().expect("a link").to_string()
}

async fn session_alive(t: &TestServer, token: &str) -> bool {
    let r = t
        .v1(
            Method::POST,
            "/sessions/authenticate",
            Some(json!({ "session_token": token })),
        )
        .await;
    match r.status {
        200 => true,
        404 => false,
        other => panic!("unexpected {other}: {}", r.text),
    }
}

fn factor_types(session: &Value) -> Vec<(String, String)> {
    session["authentication_factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["type"].as_str().unwrap().to_string(),
                f["delivery_method"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

// ---- create + authenticate -----------------------------------------------------

#[tokio::test]
async fn create_then_authenticate_on_the_frontend_face() {
    let t = TestServer::start().await;
    let data = sdk_create(&t, "Ada@Example.com", STRONG).await;
    let decoded: CreateResponse = mirror::decode(&data);
    assert!(decoded.email_id.starts_with("email-test-"));
    assert!(decoded.user_id.starts_with("user-test-"));
    assert_eq!(data["__user"]["user_id"], data["user_id"]);
    assert_eq!(data["user"]["emails"][0]["email"], "ada@example.com");
    assert_eq!(data["user"]["emails"][0]["verified"], false);
    assert_eq!(data["user"]["password"]["requires_reset"], false);
    assert!(data["user"]["password"]["password_id"]
        .as_str()
        .unwrap()
        .starts_with("password-test-"));
    assert_eq!(data["session_token"].as_str().unwrap().len(), 44);
    let factor = &data["session"]["authentication_factors"][0];
    assert_eq!(factor["type"], "password");
    assert_eq!(factor["delivery_method"], "knowledge");
    assert_eq!(factor["email_factor"]["email_id"], data["email_id"]);
    assert_eq!(factor["email_factor"]["email_address"], "ada@example.com");
    // The hash is Argon2id; the password is nowhere in the database.
    let stored: String = t
        .state()
        .db
        .call(|c| Ok(c.query_row("SELECT hash FROM passwords", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    assert!(!stored.contains(STRONG));

    let r = sdk_login(&t, "ADA@example.com", STRONG).await;
    let login = r.data();
    let decoded: mirror::LoginResponse = mirror::decode(login);
    assert_eq!(decoded.user_id, data["user_id"].as_str().unwrap());
    assert_ne!(login["session_token"], data["session_token"]);
    assert_eq!(
        factor_types(&login["session"]),
        vec![("password".to_string(), "knowledge".to_string())]
    );
    assert_eq!(login["__user"]["user_id"], data["user_id"]);
    assert!(session_alive(&t, login["session_token"].as_str().unwrap()).await);
}

#[tokio::test]
async fn create_then_authenticate_on_the_backend_face() {
    let t = TestServer::start().await;
    // Without a duration the backend gets no session (and the shape still decodes).
    let r = t
        .v1(
            Method::POST,
            "/passwords",
            Some(json!({
                "email": "grace@example.com", "password": STRONG,
                "session_duration_minutes": null,
                "name": {"first_name": "Grace", "last_name": "Hopper"},
                "trusted_metadata": {"plan": "pro"}, "untrusted_metadata": null,
            })),
        )
        .await;
    let body = r.ok();
    let decoded: CreateResponse = mirror::decode(body);
    assert!(decoded.session.is_none());
    assert_eq!(body["session_token"], "");
    assert_eq!(body["session_jwt"], "");
    assert!(body.get("__user").is_none());
    assert_eq!(body["user"]["name"]["first_name"], "Grace");
    assert_eq!(body["user"]["trusted_metadata"], json!({"plan": "pro"}));

    let r = t
        .v1(
            Method::POST,
            "/passwords/authenticate",
            Some(json!({
                "email": "grace@example.com", "password": STRONG,
                "session_duration_minutes": 30,
                "session_custom_claims": {"role": "admin"},
            })),
        )
        .await;
    let body = r.ok();
    let decoded: mirror::LoginResponse = mirror::decode(body);
    let session = decoded.session.expect("a session");
    assert_eq!(session.authentication_factors[0].type_, "password");
    assert_eq!(
        session.authentication_factors[0].delivery_method,
        "knowledge"
    );
    assert_eq!(body["session"]["custom_claims"], json!({"role": "admin"}));

    // Authenticating again with that session extends it.
    let token = body["session_token"].as_str().unwrap();
    let again = t
        .v1(
            Method::POST,
            "/passwords/authenticate",
            Some(json!({"email": "grace@example.com", "password": STRONG, "session_token": token})),
        )
        .await;
    assert_eq!(
        again.ok()["session"]["session_id"],
        body["session"]["session_id"]
    );
    // A dead session in the body is an error, not silently ignored.
    t.v1(
        Method::POST,
        "/passwords/authenticate",
        Some(json!({"email": "grace@example.com", "password": STRONG, "session_token": "x".repeat(44)})),
    )
    .await
    .error(404, "session_not_found");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_are_indistinguishable() {
    let t = relaxed().await;
    sdk_create(&t, "ada@example.com", STRONG).await;
    t.create_user("nopass@example.com").await;

    let mut bodies = Vec::new();
    for (email, password) in [
        ("ada@example.com", "not-the-password-1"),
        ("nobody@example.com", "not-the-password-1"),
        ("nopass@example.com", "not-the-password-1"),
    ] {
        let sdk = sdk_login(&t, email, password).await;
        sdk.error(401, "unauthorized_credentials");
        let v1 = t
            .v1(
                Method::POST,
                "/passwords/authenticate",
                Some(json!({"email": email, "password": password})),
            )
            .await;
        v1.error(401, "unauthorized_credentials");
        let _: mirror::ErrorResponse = mirror::decode(&v1.body);
        for body in [sdk.body, v1.body] {
            bodies.push((
                body["status_code"].clone(),
                body["error_type"].clone(),
                body["error_message"].clone(),
                body["error_url"].clone(),
            ));
        }
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every failure looks the same: {bodies:#?}"
    );

    // Comparable timing: unknown emails pay for an Argon2 verification too.
    // Without the dummy hash they would answer an order of magnitude faster.
    let mut wrong = Duration::MAX;
    let mut unknown = Duration::MAX;
    for _ in 0..7 {
        let start = Instant::now();
        sdk_login(&t, "ada@example.com", "not-the-password-2").await;
        wrong = wrong.min(start.elapsed());
        let start = Instant::now();
        sdk_login(&t, "nobody@example.com", "not-the-password-2").await;
        unknown = unknown.min(start.elapsed());
    }
    assert!(
        unknown * 4 > wrong,
        "unknown email {unknown:?} vs wrong password {wrong:?}"
    );
}

#[tokio::test]
async fn duplicate_emails_are_refused() {
    let t = TestServer::start().await;
    sdk_create(&t, "ada@example.com", STRONG).await;
    let r = t
        .sdk(
            Method::POST,
            "/passwords",
            None,
            Some(json!({"email": "ADA@example.com", "password": STRONG_2, "session_duration_minutes": 60})),
        )
        .await;
    r.error(400, "duplicate_email");
    assert!(r.message().contains("ada@example.com"), "{}", r.message());
    t.v1(
        Method::POST,
        "/passwords",
        Some(json!({"email": "ada@example.com", "password": STRONG_2})),
    )
    .await
    .error(400, "duplicate_email");
    // The existing password still works and was not replaced.
    sdk_login(&t, "ada@example.com", STRONG).await.data();
    sdk_login(&t, "ada@example.com", STRONG_2)
        .await
        .error(401, "unauthorized_credentials");
}

#[tokio::test]
async fn a_passwordless_user_gets_a_password_only_from_their_own_session() {
    let t = TestServer::start().await;
    // A magic-link user (verified email, session) and a stranger.
    let login = t.login("lin@example.com", 60).await;
    let attempt =
        json!({"email": "lin@example.com", "password": STRONG, "session_duration_minutes": 60});

    // Anyone else: refused, so nobody can pre-set a password on someone's account.
    let r = t
        .sdk(Method::POST, "/passwords", None, Some(attempt.clone()))
        .await;
    r.error(400, "duplicate_email");
    assert!(r.message().contains("reset"), "{}", r.message());
    let other = t.login("someone@example.com", 60).await;
    t.sdk(
        Method::POST,
        "/passwords",
        Some(&other.session_token),
        Some(attempt.clone()),
    )
    .await
    .error(400, "duplicate_email");
    t.v1(Method::POST, "/passwords", Some(attempt.clone()))
        .await
        .error(400, "duplicate_email");

    // The user themself: the password is added and their session extended.
    let r = t
        .sdk(
            Method::POST,
            "/passwords",
            Some(&login.session_token),
            Some(attempt.clone()),
        )
        .await;
    let data = r.data();
    assert_eq!(data["user_id"], login.user_id.as_str());
    assert_eq!(data["email_id"], login.email_id.as_str());
    assert_eq!(data["session"]["session_id"], login.session_id.as_str());
    assert_eq!(
        factor_types(&data["session"]),
        vec![
            ("magic_link".to_string(), "email".to_string()),
            ("password".to_string(), "knowledge".to_string())
        ]
    );
    assert!(data["user"]["password"].is_object());
    sdk_login(&t, "lin@example.com", STRONG).await.data();
    // Now it has a password: a second create is a duplicate even with the session.
    t.sdk(
        Method::POST,
        "/passwords",
        Some(&login.session_token),
        Some(attempt),
    )
    .await
    .error(400, "duplicate_email");

    // The backend face proves the session in the body.
    let login = t.login("mo@example.com", 60).await;
    let r = t
        .v1(
            Method::POST,
            "/passwords",
            Some(json!({"email": "mo@example.com", "password": STRONG_2, "session_token": login.session_token})),
        )
        .await;
    assert_eq!(r.ok()["session"]["session_id"], login.session_id.as_str());
}

#[tokio::test]
async fn weak_and_breached_passwords_are_refused_with_feedback() {
    let t = TestServer::start().await;
    let r = t
        .sdk(
            Method::POST,
            "/passwords",
            None,
            Some(json!({"email": "ada@example.com", "password": "kitten7", "session_duration_minutes": 60})),
        )
        .await;
    r.error(400, "weak_password");
    assert!(r.message().contains("too weak"), "{}", r.message());
    assert!(
        r.message().contains("Add another word or two"),
        "the zxcvbn suggestions are in the message: {}",
        r.message()
    );
    // The email itself counts against the password.
    let r = t
        .v1(
            Method::POST,
            "/passwords",
            Some(json!({"email": "ada.lovelace@example.com", "password": "lovelace1815"})),
        )
        .await;
    r.error(400, "weak_password");
    let r = t
        .v1(
            Method::POST,
            "/passwords",
            Some(json!({"email": "ada@example.com", "password": "Password"})),
        )
        .await;
    r.error(400, "breached_password");
    assert!(r.message().contains("breached"), "{}", r.message());
    // Nothing was created by the refusals.
    sdk_create(&t, "ada@example.com", STRONG).await;
    sdk_create(&t, "ada.lovelace@example.com", STRONG).await;
}

#[tokio::test]
async fn bad_input_is_a_4xx_naming_the_field() {
    let t = TestServer::start().await;
    let cases = [
        (json!({"password": STRONG}), 400, "bad_request", "email"),
        (
            json!({"email": "ada@example.com"}),
            400,
            "bad_request",
            "password",
        ),
        (
            json!({"email": "ada@example.com", "password": 5}),
            400,
            "bad_request",
            "password",
        ),
        (
            json!({"email": "not-an-email", "password": STRONG}),
            400,
            "invalid_email",
            "not-an-email",
        ),
        (
            json!({"email": "ada@example.com", "password": "x".repeat(300)}),
            400,
            "bad_request",
            "password",
        ),
        (
            json!({"email": "ada@example.com", "password": STRONG, "session_duration_minutes": 2}),
            400,
            "invalid_session_duration_minutes",
            "session_duration_minutes",
        ),
    ];
    for (body, status, kind, named) in cases {
        for path in ["/passwords", "/passwords/authenticate"] {
            let r = t.sdk(Method::POST, path, None, Some(body.clone())).await;
            r.error(status, kind);
            assert!(
                r.message().contains(named),
                "{path} {body}: {}",
                r.message()
            );
            let r = t.v1(Method::POST, path, Some(body.clone())).await;
            r.error(status, kind);
        }
    }
    // An empty password on authenticate is bad input, not a credential failure.
    let r = sdk_login(&t, "ada@example.com", "").await;
    r.error(400, "bad_request");
    // Nothing was created by any of these.
    sdk_create(&t, "ada@example.com", STRONG).await;
    // Public token required on the frontend, secret on the backend.
    let r = t
        .send(
            t.http
                .post(t.url("/sdk/v1/passwords/strength_check"))
                .header("origin", common::ORIGIN)
                .json(&json!({"password": STRONG})),
        )
        .await;
    r.error(401, "unauthorized_credentials");
}

// ---- strength check ----------------------------------------------------------

#[tokio::test]
async fn strength_check_has_the_official_shape_on_both_faces() {
    let t = TestServer::start().await;
    let strong = t
        .sdk(
            Method::POST,
            "/passwords/strength_check",
            None,
            Some(json!({"password": STRONG, "email": "ada@example.com"})),
        )
        .await;
    let data = strong.data();
    let decoded: StrengthCheckResponse = mirror::decode(data);
    assert!(decoded.valid_password);
    assert_eq!(decoded.score, 4);
    assert!(!decoded.breached_password);
    assert_eq!(decoded.strength_policy, "zxcvbn");
    assert!(decoded.breach_detection_on_create);
    let feedback = decoded.feedback.expect("feedback");
    // Exactly "" and [] (never null) when there is nothing to say.
    assert_eq!(data["feedback"]["warning"], "");
    assert_eq!(data["feedback"]["suggestions"], json!([]));
    assert!(feedback.luds_requirements.is_some());
    assert!(data.get("__user").is_none());

    let weak = t
        .v1(
            Method::POST,
            "/passwords/strength_check",
            Some(json!({"password": "kitten7", "email": null})),
        )
        .await;
    let body = weak.ok();
    let decoded: StrengthCheckResponse = mirror::decode(body);
    assert!(!decoded.valid_password);
    assert!(decoded.score < 3);
    assert!(!decoded.breached_password);
    let feedback = decoded.feedback.unwrap();
    assert!(!feedback.warning.is_empty());
    assert!(!feedback.suggestions.is_empty());
    let luds = feedback.luds_requirements.unwrap();
    assert!(luds.has_lower_case && luds.has_digit && !luds.has_upper_case);

    let breached = t
        .v1(
            Method::POST,
            "/passwords/strength_check",
            Some(json!({"password": "qwerty"})),
        )
        .await;
    let decoded: StrengthCheckResponse = mirror::decode(breached.ok());
    assert!(decoded.breached_password && !decoded.valid_password);
    assert_eq!(decoded.score, 0);

    // The email is a user input: the same password scores lower with it.
    let score = |r: &common::Reply| r.ok()["score"].as_i64().unwrap();
    let without = t
        .v1(
            Method::POST,
            "/passwords/strength_check",
            Some(json!({"password": "lovelace1815"})),
        )
        .await;
    let with = t
        .v1(
            Method::POST,
            "/passwords/strength_check",
            Some(json!({"password": "lovelace1815", "email": "ada.lovelace@example.com"})),
        )
        .await;
    assert!(score(&with) < score(&without));

    // An empty password is simply invalid; a bad email or no password is bad input.
    let empty = t
        .v1(
            Method::POST,
            "/passwords/strength_check",
            Some(json!({"password": ""})),
        )
        .await;
    assert_eq!(empty.ok()["valid_password"], false);
    t.v1(
        Method::POST,
        "/passwords/strength_check",
        Some(json!({"password": STRONG, "email": "nope"})),
    )
    .await
    .error(400, "invalid_email");
    let r = t
        .v1(Method::POST, "/passwords/strength_check", Some(json!({})))
        .await;
    r.error(400, "bad_request");
    assert!(r.message().contains("password"), "{}", r.message());
}

#[tokio::test]
async fn a_luds_policy_replaces_zxcvbn_when_configured() {
    let t = TestServer::start().await;
    let settings = json!({
        "project_name": "LUDS project",
        "password_config": {"luds_complexity": 3, "luds_minimum_count": 12},
    })
    .to_string();
    t.state()
        .db
        .call(move |c| {
            c.execute("UPDATE project SET settings = ?1", [settings])?;
            Ok(())
        })
        .await
        .unwrap();
    let t = t.restart().await;
    let bootstrap = t
        .sdk(
            Method::GET,
            &format!("/projects/bootstrap/{}", t.creds.public_token),
            None,
            None,
        )
        .await;
    assert_eq!(
        bootstrap.data()["password_config"],
        json!({"luds_complexity": 3, "luds_minimum_count": 12})
    );

    let r = t
        .v1(
            Method::POST,
            "/passwords/strength_check",
            Some(json!({"password": "abcdefgh"})),
        )
        .await;
    let body = r.ok();
    let decoded: StrengthCheckResponse = mirror::decode(body);
    assert_eq!(decoded.strength_policy, "luds");
    assert!(!decoded.valid_password);
    let luds = decoded.feedback.unwrap().luds_requirements.unwrap();
    assert_eq!(luds.missing_complexity, 2);
    assert_eq!(luds.missing_characters, 4);
    assert_eq!(body["feedback"]["suggestions"].as_array().unwrap().len(), 2);

    let r = t
        .v1(
            Method::POST,
            "/passwords",
            Some(json!({"email": "ada@example.com", "password": "Short1!"})),
        )
        .await;
    r.error(400, "weak_password");
    assert!(r.message().contains("12 characters"), "{}", r.message());
    // Long enough and three kinds: accepted under LUDS.
    let r = t
        .v1(
            Method::POST,
            "/passwords",
            Some(json!({"email": "ada@example.com", "password": "Tulipgarden42"})),
        )
        .await;
    r.ok();
}

// ---- reset by email ------------------------------------------------------------

#[tokio::test]
async fn reset_by_email_end_to_end_on_the_frontend_face() {
    let t = TestServer::start().await;
    let created = sdk_create(&t, "ada@example.com", STRONG).await;
    let old_session = created["session_token"].as_str().unwrap().to_string();

    let r = t
        .sdk(
            Method::POST,
            "/passwords/email/reset/start",
            None,
            Some(json!({
                "email": "Ada@Example.com",
                "reset_password_redirect_url": "http://localhost:5173/reset?next=%2Fhome#top",
                "login_redirect_url": "http://localhost:5173/login",
                "reset_password_expiration_minutes": 15,
                "locale": "en",
                "reset_password_template_id": null,
                "code_challenge": pkce::challenge_for(VERIFIER),
            })),
        )
        .await;
    let data = r.data();
    let decoded: ResetStartResponse = mirror::decode(data);
    assert_eq!(decoded.user_id, created["user_id"].as_str().unwrap());
    assert_eq!(decoded.email_id, created["email_id"].as_str().unwrap());
    assert!(data.get("__user").is_none());

    let messages = t.outbox(Some("ada@example.com")).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["channel"], "email");
    assert_eq!(messages[0]["subject"], "Reset your password");
    let link = messages[0]["link"].as_str().unwrap();
    let token = token_of(link);
    assert_eq!(token.len(), 44);
    assert_eq!(
        link,
        format!("http://localhost:5173/reset?next=%2Fhome&stytch_token_type=reset_password&token={token}#top")
    );
    assert!(messages[0]["body"].as_str().unwrap().contains(link));
    // Only the hash of the token is stored.
    let hashes: Vec<String> = t
        .state()
        .db
        .call(|c| {
            let mut stmt = c.prepare("SELECT token_hash FROM one_time_tokens")?;
            let rows = stmt
                .query_map([], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
        .await
        .unwrap();
    assert!(!hashes.iter().any(|h| h.contains(&token)));

    let r = t
        .sdk(
            Method::POST,
            "/passwords/email/reset",
            None,
            Some(json!({
                "token": token, "password": STRONG_2,
                "session_duration_minutes": 60, "code_verifier": VERIFIER,
            })),
        )
        .await;
    let data = r.data();
    let decoded: mirror::LoginResponse = mirror::decode(data);
    assert_eq!(decoded.user_id, created["user_id"].as_str().unwrap());
    assert_eq!(data["user"]["emails"][0]["verified"], true);
    assert_eq!(data["__user"]["emails"][0]["verified"], true);
    assert_eq!(
        factor_types(&data["session"]),
        vec![("magic_link".to_string(), "email".to_string())]
    );
    let new_session = data["session_token"].as_str().unwrap().to_string();

    // The new password works, the old one does not, and other sessions are gone.
    sdk_login(&t, "ada@example.com", STRONG_2).await.data();
    sdk_login(&t, "ada@example.com", STRONG)
        .await
        .error(401, "unauthorized_credentials");
    assert!(!session_alive(&t, &old_session).await);
    assert!(session_alive(&t, &new_session).await);

    // The link works once.
    let replay = t
        .sdk(
            Method::POST,
            "/passwords/email/reset",
            None,
            Some(json!({
                "token": token, "password": STRONG_3,
                "session_duration_minutes": 60, "code_verifier": VERIFIER,
            })),
        )
        .await;
    replay.error(401, "unable_to_auth_magic_link");
    assert!(
        replay.message().contains("already used"),
        "{}",
        replay.message()
    );
    let unknown = t
        .sdk(
            Method::POST,
            "/passwords/email/reset",
            None,
            Some(json!({"token": "A".repeat(44), "password": STRONG_3, "session_duration_minutes": 60})),
        )
        .await;
    unknown.error(404, "magic_link_not_found");
}

#[tokio::test]
async fn reset_links_expire_and_checks_before_redemption_do_not_burn_them() {
    let t = TestServer::start().await;
    t.freeze_clock();
    sdk_create(&t, "ada@example.com", STRONG).await;
    let link = sdk_reset_link(&t, "ada@example.com").await;
    let token = token_of(&link);
    let reset = |password: &str, verifier: Option<&str>, minutes: i64| {
        json!({
            "token": token, "password": password,
            "session_duration_minutes": minutes, "code_verifier": verifier,
        })
    };

    // A weak password, a bad duration, a wrong or missing verifier: refused, link still usable.
    let r = t
        .sdk(
            Method::POST,
            "/passwords/email/reset",
            None,
            Some(reset("kitten7", Some(VERIFIER), 60)),
        )
        .await;
    r.error(400, "weak_password");
    t.sdk(
        Method::POST,
        "/passwords/email/reset",
        None,
        Some(reset(STRONG_2, Some(VERIFIER), 1)),
    )
    .await
    .error(400, "invalid_session_duration_minutes");
    let wrong = "f".repeat(64);
    let r = t
        .sdk(
            Method::POST,
            "/passwords/email/reset",
            None,
            Some(reset(STRONG_2, Some(&wrong), 60)),
        )
        .await;
    r.error(400, "pkce_mismatch");
    assert!(r.message().contains("does not match"), "{}", r.message());
    let r = t
        .sdk(
            Method::POST,
            "/passwords/email/reset",
            None,
            Some(reset(STRONG_2, None, 60)),
        )
        .await;
    r.error(400, "pkce_mismatch");
    assert!(
        r.message().contains("send the matching code_verifier"),
        "{}",
        r.message()
    );

    // 30 minutes is the default lifetime: one second short of it, still fine...
    t.advance_clock(30 * 60 - 1);
    t.sdk(
        Method::POST,
        "/passwords/email/reset",
        None,
        Some(reset(STRONG_2, Some(VERIFIER), 60)),
    )
    .await
    .data();

    // ...and a link past its expiry is refused.
    let link = sdk_reset_link(&t, "ada@example.com").await;
    let token = token_of(&link);
    t.advance_clock(30 * 60);
    let r = t
        .sdk(
            Method::POST,
            "/passwords/email/reset",
            None,
            Some(json!({"token": token, "password": STRONG_3, "code_verifier": VERIFIER})),
        )
        .await;
    r.error(401, "unable_to_auth_magic_link");
    assert!(r.message().contains("expired"), "{}", r.message());
}

#[tokio::test]
async fn pkce_is_required_on_the_frontend_unless_optional() {
    let t = TestServer::start().await;
    sdk_create(&t, "ada@example.com", STRONG).await;
    let start = json!({"email": "ada@example.com", "reset_password_redirect_url": "http://localhost:5173/reset"});
    let r = t
        .sdk(
            Method::POST,
            "/passwords/email/reset/start",
            None,
            Some(start.clone()),
        )
        .await;
    r.error(400, "bad_request");
    assert!(r.message().contains("code_challenge"), "{}", r.message());
    let mut bad = start.clone();
    bad["code_challenge"] = json!("too-short");
    t.sdk(
        Method::POST,
        "/passwords/email/reset/start",
        None,
        Some(bad),
    )
    .await
    .error(400, "bad_request");
    assert!(t.outbox(Some("ada@example.com")).await.is_empty());

    // The backend face never requires PKCE, and honours it when given.
    t.v1(
        Method::POST,
        "/passwords/email/reset/start",
        Some(start.clone()),
    )
    .await
    .ok();
    let token = token_of(
        t.outbox(Some("ada@example.com")).await[0]["link"]
            .as_str()
            .unwrap(),
    );
    // A verifier for a link sent without a challenge is refused too.
    t.v1(
        Method::POST,
        "/passwords/email/reset",
        Some(json!({"token": token, "password": STRONG_2, "code_verifier": VERIFIER})),
    )
    .await
    .error(400, "pkce_mismatch");
    let r = t
        .v1(
            Method::POST,
            "/passwords/email/reset",
            Some(json!({"token": token, "password": STRONG_2, "session_duration_minutes": null})),
        )
        .await;
    let body = r.ok();
    let decoded: mirror::LoginResponse = mirror::decode(body);
    assert!(decoded.session.is_none());
    assert_eq!(body["session_token"], "");

    let mut with_pkce = start.clone();
    with_pkce["code_challenge"] = json!(pkce::challenge_for(VERIFIER));
    t.v1(
        Method::POST,
        "/passwords/email/reset/start",
        Some(with_pkce),
    )
    .await
    .ok();
    let token = token_of(
        t.outbox(Some("ada@example.com")).await[0]["link"]
            .as_str()
            .unwrap(),
    );
    t.v1(
        Method::POST,
        "/passwords/email/reset",
        Some(json!({"token": token, "password": STRONG_3})),
    )
    .await
    .error(400, "pkce_mismatch");
    t.v1(
        Method::POST,
        "/passwords/email/reset",
        Some(json!({"token": token, "password": STRONG_3, "code_verifier": VERIFIER, "session_duration_minutes": 10})),
    )
    .await
    .ok();

    // With --pkce-optional the frontend may start without a challenge.
    let t = TestServer::start_with(|c| c.pkce_optional = true).await;
    sdk_create(&t, "ada@example.com", STRONG).await;
    t.sdk(
        Method::POST,
        "/passwords/email/reset/start",
        None,
        Some(start),
    )
    .await
    .data();
    let token = token_of(
        t.outbox(Some("ada@example.com")).await[0]["link"]
            .as_str()
            .unwrap(),
    );
    t.sdk(
        Method::POST,
        "/passwords/email/reset",
        None,
        Some(json!({"token": token, "password": STRONG_2, "session_duration_minutes": 60})),
    )
    .await
    .data();
}

#[tokio::test]
async fn reset_start_checks_its_input() {
    let t = TestServer::start().await;
    sdk_create(&t, "ada@example.com", STRONG).await;
    let base = json!({
        "email": "ada@example.com",
        "reset_password_redirect_url": "http://localhost:5173/reset",
        "code_challenge": pkce::challenge_for(VERIFIER),
    });
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    let cases = [
        (
            with("email", json!("nobody@example.com")),
            404,
            "email_not_found",
            "nobody@example.com",
        ),
        (with("email", json!("nope")), 400, "invalid_email", "nope"),
        (
            with(
                "reset_password_redirect_url",
                json!("https://evil.example/reset"),
            ),
            400,
            "invalid_redirect_url",
            "reset_password_redirect_url",
        ),
        (
            with("login_redirect_url", json!("javascript:alert(1)")),
            400,
            "invalid_redirect_url",
            "login_redirect_url",
        ),
        (
            with("reset_password_expiration_minutes", json!(4)),
            400,
            "bad_request",
            "reset_password_expiration_minutes",
        ),
        (
            with("login_expiration_minutes", json!(10_081)),
            400,
            "bad_request",
            "login_expiration_minutes",
        ),
        (with("locale", json!(7)), 400, "bad_request", "locale"),
    ];
    for (body, status, kind, named) in cases {
        let r = t
            .sdk(
                Method::POST,
                "/passwords/email/reset/start",
                None,
                Some(body.clone()),
            )
            .await;
        r.error(status, kind);
        assert!(r.message().contains(named), "{body}: {}", r.message());
    }
    // No redirect URL and no configured default.
    t.v1(
        Method::POST,
        "/passwords/email/reset/start",
        Some(json!({"email": "ada@example.com"})),
    )
    .await
    .error(400, "invalid_redirect_url");
    assert!(t.outbox(None).await.is_empty());

    // With --allowed-redirect-url the first entry is the default.
    let t = TestServer::start_with(|c| {
        c.allowed_redirect_urls = vec!["https://app.example/auth/reset".into()];
    })
    .await;
    sdk_create(&t, "ada@example.com", STRONG).await;
    t.v1(
        Method::POST,
        "/passwords/email/reset/start",
        Some(json!({"email": "ada@example.com"})),
    )
    .await
    .ok();
    let link = t.outbox(Some("ada@example.com")).await[0]["link"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        link.starts_with("https://app.example/auth/reset?stytch_token_type=reset_password&token="),
        "{link}"
    );
}

#[tokio::test]
async fn a_passwordless_user_sets_a_password_through_the_reset_email() {
    let t = TestServer::start().await;
    let created = t.create_user("pat@example.com").await;
    let link = sdk_reset_link(&t, "pat@example.com").await;
    assert_eq!(
        t.outbox(Some("pat@example.com")).await[0]["subject"],
        "Set a password"
    );
    let r = t
        .sdk(
            Method::POST,
            "/passwords/email/reset",
            None,
            Some(json!({
                "token": token_of(&link), "password": STRONG,
                "session_duration_minutes": 60, "code_verifier": VERIFIER,
            })),
        )
        .await;
    let data = r.data();
    assert_eq!(data["user_id"], created["user_id"]);
    assert!(data["user"]["password"].is_object());
    assert_eq!(data["user"]["emails"][0]["verified"], true);
    sdk_login(&t, "pat@example.com", STRONG).await.data();
}

// ---- reset by existing password ----------------------------------------------

#[tokio::test]
async fn reset_by_existing_password_on_both_faces() {
    let t = TestServer::start().await;
    let created = sdk_create(&t, "ada@example.com", STRONG).await;
    let old_session = created["session_token"].as_str().unwrap().to_string();
    let body = |existing: &str, new: &str| {
        json!({
            "email": "ada@example.com", "existing_password": existing,
            "new_password": new, "session_duration_minutes": 60,
        })
    };
    let path = "/passwords/existing_password/reset";

    t.sdk(
        Method::POST,
        path,
        None,
        Some(body("wrong-password-9", STRONG_2)),
    )
    .await
    .error(401, "unauthorized_credentials");
    let unknown = t
        .sdk(
            Method::POST,
            path,
            None,
            Some(json!({"email": "nobody@example.com", "existing_password": STRONG, "new_password": STRONG_2})),
        )
        .await;
    unknown.error(401, "unauthorized_credentials");
    t.sdk(Method::POST, path, None, Some(body(STRONG, "kitten7")))
        .await
        .error(400, "weak_password");
    let same = t
        .sdk(Method::POST, path, None, Some(body(STRONG, STRONG)))
        .await;
    same.error(400, "weak_password");
    assert!(same.message().contains("different"), "{}", same.message());
    assert!(session_alive(&t, &old_session).await);

    let r = t
        .sdk(Method::POST, path, None, Some(body(STRONG, STRONG_2)))
        .await;
    let data = r.data();
    let _: mirror::LoginResponse = mirror::decode(data);
    assert_eq!(data["user_id"], created["user_id"]);
    assert_eq!(data["__user"]["user_id"], created["user_id"]);
    assert_eq!(
        factor_types(&data["session"]),
        vec![("password".to_string(), "knowledge".to_string())]
    );
    assert!(
        !session_alive(&t, &old_session).await,
        "other sessions are revoked"
    );
    assert!(session_alive(&t, data["session_token"].as_str().unwrap()).await);
    sdk_login(&t, "ada@example.com", STRONG)
        .await
        .error(401, "unauthorized_credentials");

    let r = t
        .v1(
            Method::POST,
            path,
            Some(json!({"email": "ada@example.com", "existing_password": STRONG_2, "new_password": STRONG_3})),
        )
        .await;
    let body = r.ok();
    let decoded: mirror::LoginResponse = mirror::decode(body);
    assert!(decoded.session.is_none());
    sdk_login(&t, "ada@example.com", STRONG_3).await.data();
}

// ---- reset by session ------------------------------------------------------------

#[tokio::test]
async fn reset_by_session_on_the_frontend_face() {
    let t = TestServer::start().await;
    let login = t.login("ada@example.com", 60).await;
    let elsewhere = t.login("ada2@example.com", 60).await;
    let body = json!({"password": STRONG, "session_duration_minutes": 60});
    let path = "/passwords/session/reset";

    t.sdk(Method::POST, path, None, Some(body.clone()))
        .await
        .error(401, "unauthorized_credentials");
    t.sdk(
        Method::POST,
        path,
        Some(&"x".repeat(44)),
        Some(body.clone()),
    )
    .await
    .error(404, "session_not_found");
    t.sdk(
        Method::POST,
        path,
        Some(&login.session_token),
        Some(json!({"password": "kitten7", "session_duration_minutes": 60})),
    )
    .await
    .error(400, "weak_password");

    let r = t
        .sdk(
            Method::POST,
            path,
            Some(&login.session_token),
            Some(body.clone()),
        )
        .await;
    let data = r.data();
    let _: mirror::LoginResponse = mirror::decode(data);
    assert_eq!(data["user_id"], login.user_id.as_str());
    assert_eq!(data["session"]["session_id"], login.session_id.as_str());
    assert_eq!(data["session_token"], login.session_token.as_str());
    assert!(data["user"]["password"].is_object());
    assert_eq!(
        factor_types(&data["session"]),
        vec![
            ("magic_link".to_string(), "email".to_string()),
            ("password".to_string(), "knowledge".to_string())
        ]
    );
    assert!(session_alive(&t, &login.session_token).await);
    assert!(
        session_alive(&t, &elsewhere.session_token).await,
        "another user's session is untouched"
    );
    sdk_login(&t, "ada@example.com", STRONG).await.data();
}

#[tokio::test]
async fn reset_by_session_needs_a_recent_factor_and_revokes_other_sessions() {
    let t = relaxed().await;
    let login = t.login("ada@example.com", 600).await;
    // Six minutes later the magic-link factor is too old to change the password.
    t.advance_clock(6 * 60);
    let r = t
        .sdk(
            Method::POST,
            "/passwords/session/reset",
            Some(&login.session_token),
            Some(json!({"password": STRONG, "session_duration_minutes": 60})),
        )
        .await;
    r.error(400, "bad_request");
    assert!(r.message().contains("5 minutes"), "{}", r.message());

    // Re-proving a factor (a password) makes it recent again; set one through the reset email.
    let link = sdk_reset_link(&t, "ada@example.com").await;
    let reset = t
        .sdk(
            Method::POST,
            "/passwords/email/reset",
            Some(&login.session_token),
            Some(json!({"token": token_of(&link), "password": STRONG, "code_verifier": VERIFIER, "session_duration_minutes": 60})),
        )
        .await;
    // The caller's own session was extended, so it survives the reset.
    assert_eq!(
        reset.data()["session"]["session_id"],
        login.session_id.as_str()
    );
    let fresh = sdk_login(&t, "ada@example.com", STRONG).await;
    let fresh_token = fresh.data()["session_token"].as_str().unwrap().to_string();

    // Backend face: the session travels in the body, as the official client sends it.
    t.v1(
        Method::POST,
        "/passwords/session/reset",
        Some(json!({"password": STRONG_2})),
    )
    .await
    .error(400, "bad_request");
    t.v1(
        Method::POST,
        "/passwords/session/reset",
        Some(json!({"password": STRONG_2, "session_token": fresh_token, "session_jwt": "x.y.z"})),
    )
    .await
    .error(400, "too_many_session_arguments");
    let r = t
        .v1(
            Method::POST,
            "/passwords/session/reset",
            Some(json!({"password": STRONG_2, "session_token": fresh_token, "session_duration_minutes": null})),
        )
        .await;
    let body = r.ok();
    let decoded: mirror::LoginResponse = mirror::decode(body);
    assert_eq!(decoded.session_token, fresh_token);
    assert!(session_alive(&t, &fresh_token).await);
    assert!(
        !session_alive(&t, &login.session_token).await,
        "every other session of the user is revoked"
    );
    sdk_login(&t, "ada@example.com", STRONG_2).await.data();
}

// ---- rate limiting and requires_reset -------------------------------------------

#[tokio::test]
async fn password_attempts_and_reset_emails_are_rate_limited() {
    let t = TestServer::start().await; // strict limits
    sdk_create(&t, "ada@example.com", STRONG).await;
    // create took one token of ada's 10; nine wrong tries still answer 401.
    for _ in 0..9 {
        sdk_login(&t, "ada@example.com", "wrong-password-1")
            .await
            .error(401, "unauthorized_credentials");
    }
    // Then even the right password is refused, on both faces.
    sdk_login(&t, "ada@example.com", STRONG)
        .await
        .error(429, "too_many_requests");
    t.v1(
        Method::POST,
        "/passwords/authenticate",
        Some(json!({"email": "ADA@example.com", "password": STRONG})),
    )
    .await
    .error(429, "too_many_requests");
    t.sdk(
        Method::POST,
        "/passwords/existing_password/reset",
        None,
        Some(json!({"email": "ada@example.com", "existing_password": STRONG, "new_password": STRONG_2})),
    )
    .await
    .error(429, "too_many_requests");
    // Another account from the same client is unaffected.
    sdk_create(&t, "bob@example.com", STRONG).await;
    sdk_login(&t, "bob@example.com", STRONG).await.data();

    // Reset emails: 10 per address, then 429.
    for _ in 0..10 {
        sdk_reset_link(&t, "bob@example.com").await;
    }
    let r = t
        .sdk(
            Method::POST,
            "/passwords/email/reset/start",
            None,
            Some(json!({
                "email": "bob@example.com",
                "reset_password_redirect_url": "http://localhost:5173/reset",
                "code_challenge": pkce::challenge_for(VERIFIER),
            })),
        )
        .await;
    r.error(429, "too_many_requests");
    assert_eq!(t.outbox(Some("bob@example.com")).await.len(), 10);

    // Relaxed and off modes let tests and the load benchmark through.
    for mode in [RateLimitMode::Relaxed, RateLimitMode::Off] {
        let t = TestServer::start_with(|c| c.rate_limit = mode).await;
        t.v1(
            Method::POST,
            "/passwords",
            Some(json!({"email": "ada@example.com", "password": STRONG})),
        )
        .await
        .ok();
        for _ in 0..12 {
            sdk_login(&t, "ada@example.com", "wrong-password-1")
                .await
                .error(401, "unauthorized_credentials");
        }
        sdk_login(&t, "ada@example.com", STRONG).await.data();
    }
}

#[tokio::test]
async fn a_password_flagged_for_reset_must_be_reset_first() {
    let t = TestServer::start().await;
    let created = sdk_create(&t, "ada@example.com", STRONG).await;
    let user_id = created["user_id"].as_str().unwrap().to_string();
    t.state()
        .db
        .call(move |c| {
            latchkey_server::store::users::set_password_requires_reset(c, &user_id, true)
        })
        .await
        .unwrap();

    let r = sdk_login(&t, "ada@example.com", STRONG).await;
    r.error(401, "reset_password");
    let _: mirror::ErrorResponse = mirror::decode(&r.body);
    t.v1(
        Method::POST,
        "/passwords/authenticate",
        Some(json!({"email": "ada@example.com", "password": STRONG})),
    )
    .await
    .error(401, "reset_password");
    // A wrong password still says only "wrong": the flag is not revealed.
    sdk_login(&t, "ada@example.com", "wrong-password-1")
        .await
        .error(401, "unauthorized_credentials");
    // Nor can the flagged password authorize a reset by existing password.
    t.sdk(
        Method::POST,
        "/passwords/existing_password/reset",
        None,
        Some(json!({"email": "ada@example.com", "existing_password": STRONG, "new_password": STRONG_2})),
    )
    .await
    .error(401, "reset_password");

    // The reset email clears the flag.
    let link = sdk_reset_link(&t, "ada@example.com").await;
    let r = t
        .sdk(
            Method::POST,
            "/passwords/email/reset",
            None,
            Some(json!({"token": token_of(&link), "password": STRONG_2, "code_verifier": VERIFIER, "session_duration_minutes": 60})),
        )
        .await;
    assert_eq!(r.data()["user"]["password"]["requires_reset"], false);
    sdk_login(&t, "ada@example.com", STRONG_2).await.data();
}

#[tokio::test]
async fn concurrent_logins_queue_for_hashing_slots_and_all_succeed() {
    let t = relaxed().await;
    let emails = ["c1@example.com", "c2@example.com", "c3@example.com"];
    for email in emails {
        sdk_create(&t, email, STRONG).await;
    }
    let attempts = emails.iter().cycle().take(9).map(|email| {
        let password = if email.starts_with("c3") {
            "wrong-password-1"
        } else {
            STRONG
        };
        sdk_login(&t, email, password)
    });
    let replies = futures_join(attempts).await;
    for (i, reply) in replies.iter().enumerate() {
        if i % 3 == 2 {
            reply.error(401, "unauthorized_credentials");
        } else {
            reply.data();
        }
    }
}

/// Runs the futures concurrently (no extra dependency needed).
async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (slot, future) in outputs.iter_mut().zip(pending.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *slot = Some(value),
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}

#[tokio::test]
async fn oversized_custom_claims_are_refused_before_the_user_or_password_is_written() {
    let t = TestServer::start().await;
    let create = |claims: Value| {
        json!({
            "email": "ada@example.com", "password": STRONG,
            "session_duration_minutes": 60, "session_custom_claims": claims,
        })
    };
    let r = t
        .v1(
            Method::POST,
            "/passwords",
            Some(create(json!({"blob": "x".repeat(5000)}))),
        )
        .await;
    r.error(400, "invalid_session_custom_claims");
    assert!(
        r.message().contains("at most 4096 bytes"),
        "{}",
        r.message()
    );
    // Nothing was written: the address is still free for a good request.
    t.v1(
        Method::POST,
        "/passwords",
        Some(create(json!({"tier": "gold"}))),
    )
    .await
    .ok();
}

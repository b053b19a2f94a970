//! TOTP over real HTTP and SQLite. Codes come from the tests' own RFC 6238
//! generator (`common::totp`, checked against the RFC's vectors below) fed
//! with the `secret` the server returned and the server's clock.

mod common;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use common::{mirror, totp, Method, TestServer};
use serde_json::{json, Value};

const PASSWORD: &str = "violet-harbor-quantum-47-lantern";

#[test]
fn the_tests_generator_matches_rfc_6238() {
    let secret = b"12345678901234567890";
    for (time, expected) in [
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
        (20000000000, "353130"),
    ] {
        assert_eq!(totp::code(secret, time), expected, "t = {time}");
    }
    assert_eq!(
        totp::base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
        secret.to_vec()
    );
}

/// A user signed up with a password on the frontend: (session token, user_id).
async fn password_user(t: &TestServer, email: &str) -> (String, String) {
    let r = t
        .sdk(
            Method::POST,
            "/passwords",
            None,
            Some(json!({ "email": email, "password": PASSWORD, "session_duration_minutes": 60 })),
        )
        .await;
    let data = r.data();
    (
        data["session_token"].as_str().unwrap().to_string(),
        data["user_id"].as_str().unwrap().to_string(),
    )
}

/// `POST /sdk/v1/totps` → data.
async fn create(t: &TestServer, session: &str) -> Value {
    t.sdk(
        Method::POST,
        "/totps",
        Some(session),
        Some(json!({ "expiration_minutes": 60 })),
    )
    .await
    .data()
    .clone()
}

fn secret_of(created: &Value) -> Vec<u8> {
    totp::base32_decode(created["secret"].as_str().unwrap())
}

/// The current code, by the server's clock.
fn code_now(t: &TestServer, secret: &[u8]) -> String {
    totp::code(secret, t.state().now())
}

async fn authenticate(t: &TestServer, session: &str, code: &str) -> common::Reply {
    t.sdk(
        Method::POST,
        "/totps/authenticate",
        Some(session),
        Some(json!({ "totp_code": code, "session_duration_minutes": 60 })),
    )
    .await
}

async fn recover(t: &TestServer, session: &str, code: &str) -> common::Reply {
    t.sdk(
        Method::POST,
        "/totps/recover",
        Some(session),
        Some(json!({ "recovery_code": code, "session_duration_minutes": 60 })),
    )
    .await
}

fn factor_types(data: &Value) -> Vec<String> {
    data["session"]["authentication_factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn password_then_totp_gives_a_session_with_both_factors() {
    let t = TestServer::start().await;
    t.freeze_clock();
    let (session, user_id) = password_user(&t, "totp-user@example.com").await;

    let created = create(&t, &session).await;
    let totp_id = created["totp_id"].as_str().unwrap();
    assert!(totp_id.starts_with("totp-test-"), "{totp_id}");
    let secret_text = created["secret"].as_str().unwrap();
    assert_eq!(secret_text.len(), 32, "{secret_text}");
    assert_eq!(secret_of(&created).len(), 20);
    let qr = created["qr_code"].as_str().unwrap();
    let png = STANDARD
        .decode(qr.strip_prefix("data:image/png;base64,").unwrap())
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let codes = created["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    for code in codes {
        let code = code.as_str().unwrap();
        assert_eq!(code.len(), 14);
        assert!(code.bytes().enumerate().all(|(i, b)| if i == 4 || i == 9 {
            b == b'-'
        } else {
            b.is_ascii_lowercase() || b.is_ascii_digit()
        }));
    }
    assert_eq!(created["user_id"], user_id);
    assert_eq!(
        created["__user"]["totps"],
        json!([{ "totp_id": totp_id, "verified": false }])
    );

    let r = authenticate(&t, &session, &code_now(&t, &secret_of(&created))).await;
    let data = r.data();
    assert_eq!(data["totp_id"], totp_id);
    assert_eq!(data["user_id"], user_id);
    assert_eq!(data["session_token"], session);
    assert_eq!(factor_types(data), vec!["password", "totp"]);
    let factor = &data["session"]["authentication_factors"][1];
    assert_eq!(factor["delivery_method"], "authenticator_app");
    assert_eq!(
        factor["authenticator_app_factor"],
        json!({ "totp_id": totp_id })
    );
    assert_eq!(
        data["user"]["totps"],
        json!([{ "totp_id": totp_id, "verified": true }])
    );
    assert_eq!(data["__user"], data["user"]);
    let _: mirror::LoginResponse = mirror::decode(data);
}

#[tokio::test]
async fn wrong_and_replayed_codes_are_refused() {
    let t = TestServer::start().await;
    t.freeze_clock();
    let (session, _) = password_user(&t, "replay-totp@example.com").await;
    let created = create(&t, &session).await;
    let secret = secret_of(&created);
    let now = t.state().now();

    let right = totp::code(&secret, now);
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    let r = authenticate(&t, &session, &wrong).await;
    r.error(401, "unable_to_authenticate_totp");
    assert!(r.message().contains("4 attempt"), "{}", r.text);
    authenticate(&t, &session, &right).await.data();
    authenticate(&t, &session, &right)
        .await
        .error(401, "totp_code_already_authenticated");
    // The previous step's code is within the window but older than the used one.
    authenticate(&t, &session, &totp::code(&secret, now - 30))
        .await
        .error(401, "totp_code_already_authenticated");
    // The next step's code is new.
    t.advance_clock(30);
    authenticate(&t, &session, &code_now(&t, &secret))
        .await
        .data();
    // Two steps away is outside the window.
    authenticate(&t, &session, &totp::code(&secret, t.state().now() + 90))
        .await
        .error(401, "unable_to_authenticate_totp");
    for (code, error_type) in [
        ("12345", "invalid_totp_code"),
        ("abcdef", "invalid_totp_code"),
        ("abcd-efgh-ijkl", "recovery_code_used_as_totp_code"),
    ] {
        authenticate(&t, &session, code)
            .await
            .error(400, error_type);
    }
}

#[tokio::test]
async fn five_wrong_codes_lock_the_totp_for_fifteen_minutes() {
    let t = TestServer::start().await;
    t.freeze_clock();
    let (session, _) = password_user(&t, "lockout@example.com").await;
    let created = create(&t, &session).await;
    let secret = secret_of(&created);
    let right = code_now(&t, &secret);
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 7) % 1_000_000);
    for attempt in 1..=5 {
        let r = authenticate(&t, &session, &wrong).await;
        r.error(401, "unable_to_authenticate_totp");
        if attempt == 5 {
            assert!(r.message().contains("locked"), "{}", r.text);
        }
    }
    // Locked: even the right code, and recovery codes, wait.
    authenticate(&t, &session, &right)
        .await
        .error(429, "too_many_requests");
    recover(&t, &session, created["recovery_codes"][0].as_str().unwrap())
        .await
        .error(429, "too_many_requests");
    t.advance_clock(14 * 60);
    authenticate(&t, &session, &code_now(&t, &secret))
        .await
        .error(429, "too_many_requests");
    t.advance_clock(60);
    authenticate(&t, &session, &code_now(&t, &secret))
        .await
        .data();
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let t = TestServer::start().await;
    t.freeze_clock();
    let (session, _) = password_user(&t, "recover@example.com").await;
    let created = create(&t, &session).await;
    let codes: Vec<String> = created["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();

    let r = recover(&t, &session, &codes[0]).await;
    let data = r.data();
    assert_eq!(data["totp_id"], created["totp_id"]);
    assert_eq!(factor_types(data), vec!["password", "recovery_codes"]);
    let factor = &data["session"]["authentication_factors"][1];
    assert_eq!(factor["delivery_method"], "recovery_code");
    assert!(factor["recovery_code_factor"]["totp_recovery_code_id"]
        .as_str()
        .unwrap()
        .starts_with("totp-recovery-code-test-"));
    recover(&t, &session, &codes[0])
        .await
        .error(401, "unable_to_authenticate_recovery_code");
    // Typed in capitals with spaces around: the same code.
    recover(&t, &session, &format!(" {} ", codes[1].to_uppercase()))
        .await
        .data();
    recover(&t, &session, "zzzz-zzzz-zzzz")
        .await
        .error(401, "unable_to_authenticate_recovery_code");
    recover(&t, &session, &code_now(&t, &secret_of(&created)))
        .await
        .error(400, "totp_code_used_as_recovery_code");
    recover(&t, &session, "nope")
        .await
        .error(400, "invalid_recovery_code");
}

#[tokio::test]
async fn one_active_totp_per_user_and_a_pending_one_is_replaced() {
    let t = TestServer::start().await;
    t.freeze_clock();
    let (session, _) = password_user(&t, "one-totp@example.com").await;
    let first = create(&t, &session).await;
    let second = create(&t, &session).await;
    assert_ne!(first["totp_id"], second["totp_id"]);
    assert_eq!(
        second["user"]["totps"],
        json!([{ "totp_id": second["totp_id"], "verified": false }])
    );
    // The replaced instance's codes no longer work.
    authenticate(&t, &session, &code_now(&t, &secret_of(&first)))
        .await
        .error(401, "unable_to_authenticate_totp");
    authenticate(&t, &session, &code_now(&t, &secret_of(&second)))
        .await
        .data();
    t.sdk(Method::POST, "/totps", Some(&session), Some(json!({})))
        .await
        .error(400, "active_totp_exists");
}

#[tokio::test]
async fn the_secret_is_never_returned_again_nor_stored_in_clear() {
    let t = TestServer::start().await;
    t.freeze_clock();
    let (session, user_id) = password_user(&t, "secret@example.com").await;
    let created = create(&t, &session).await;
    let secret_text = created["secret"].as_str().unwrap().to_string();
    let secret = secret_of(&created);
    let codes: Vec<String> = created["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();

    let mut texts = vec![
        authenticate(&t, &session, &code_now(&t, &secret))
            .await
            .text,
        t.sdk(Method::GET, "/users/me", Some(&session), None)
            .await
            .text,
        t.v1(Method::GET, &format!("/users/{user_id}"), None)
            .await
            .text,
        recover(&t, &session, &codes[0]).await.text,
    ];
    let fresh = t
        .sdk(Method::POST, "/totps/recovery_codes", Some(&session), None)
        .await;
    texts.push(fresh.text.clone());
    for text in &texts {
        assert!(!text.contains(&secret_text), "the secret leaked: {text}");
    }

    // Nothing in the database files holds the secret or a recovery code.
    let t = t.restart().await;
    let mut stored = Vec::new();
    for name in ["latchkey.sqlite3", "latchkey.sqlite3-wal"] {
        if let Ok(bytes) = std::fs::read(t.data_dir().join(name)) {
            stored.extend(bytes);
        }
    }
    assert!(!stored.is_empty());
    let contains = |needle: &[u8]| stored.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(&secret), "raw secret bytes in the database");
    assert!(
        !contains(secret_text.as_bytes()),
        "base32 secret in the database"
    );
    let fresh_codes = fresh.data()["totps"][0]["recovery_codes"].clone();
    for code in codes.iter().map(String::as_str).chain(
        fresh_codes
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap()),
    ) {
        assert!(
            !contains(code.as_bytes()),
            "recovery code {code} in the database"
        );
    }
    // After the restart the sealed secret still opens (same field key).
    t.freeze_clock();
    t.advance_clock(60);
    authenticate(&t, &session, &code_now(&t, &secret))
        .await
        .data();
}

#[tokio::test]
async fn recovery_codes_issues_a_fresh_set_and_retires_the_old_one() {
    let t = TestServer::start().await;
    t.freeze_clock();
    let (session, user_id) = password_user(&t, "codes@example.com").await;
    let none = t
        .sdk(Method::POST, "/totps/recovery_codes", Some(&session), None)
        .await;
    assert_eq!(none.data()["totps"], json!([]));
    let created = create(&t, &session).await;
    let r = t
        .sdk(Method::POST, "/totps/recovery_codes", Some(&session), None)
        .await;
    let data = r.data();
    assert_eq!(data["user_id"], user_id);
    assert!(data.get("__user").is_none());
    let totps = data["totps"].as_array().unwrap();
    assert_eq!(totps.len(), 1);
    assert_eq!(totps[0]["totp_id"], created["totp_id"]);
    assert_eq!(totps[0]["verified"], false);
    let fresh = totps[0]["recovery_codes"].as_array().unwrap();
    assert_eq!(fresh.len(), 10);
    recover(&t, &session, created["recovery_codes"][0].as_str().unwrap())
        .await
        .error(401, "unable_to_authenticate_recovery_code");
    recover(&t, &session, fresh[0].as_str().unwrap())
        .await
        .data();
}

#[tokio::test]
async fn an_unverified_totp_expires_a_verified_one_does_not() {
    let t = TestServer::start().await;
    t.freeze_clock();
    let (session, _) = password_user(&t, "expiry@example.com").await;
    for minutes in [4, 1441] {
        t.sdk(
            Method::POST,
            "/totps",
            Some(&session),
            Some(json!({ "expiration_minutes": minutes })),
        )
        .await
        .error(400, "bad_request");
    }
    let created = t
        .sdk(
            Method::POST,
            "/totps",
            Some(&session),
            Some(json!({ "expiration_minutes": 5 })),
        )
        .await
        .data()
        .clone();
    let secret = secret_of(&created);
    t.advance_clock(5 * 60);
    authenticate(&t, &session, &code_now(&t, &secret))
        .await
        .error(401, "expired_totp");
    recover(&t, &session, created["recovery_codes"][0].as_str().unwrap())
        .await
        .error(401, "expired_totp");

    let created = create(&t, &session).await; // 60 minutes; replaces the expired one
    let secret = secret_of(&created);
    t.advance_clock(4 * 60);
    authenticate(&t, &session, &code_now(&t, &secret))
        .await
        .data();
    // Past the 60 minutes (the session was extended by the authenticate).
    t.advance_clock(59 * 60);
    authenticate(&t, &session, &code_now(&t, &secret))
        .await
        .data();
}

#[tokio::test]
async fn the_frontend_needs_a_session_for_every_totp_call() {
    let t = TestServer::start().await;
    for (path, body) in [
        ("/totps", json!({})),
        ("/totps/authenticate", json!({ "totp_code": "123456" })),
        (
            "/totps/recover",
            json!({ "recovery_code": "abcd-efgh-ijkl" }),
        ),
        ("/totps/recovery_codes", json!({})),
    ] {
        t.sdk(Method::POST, path, None, Some(body))
            .await
            .error(401, "unauthorized_credentials");
    }
    let login = t.login("no-totp@example.com", 60).await;
    authenticate(&t, &login.session_token, "123456")
        .await
        .error(404, "totp_not_found");
}

#[tokio::test]
async fn the_backend_face_takes_the_user_id() {
    let t = TestServer::start().await;
    t.freeze_clock();
    let login = t.login("backend-totp@example.com", 60).await;
    let user_id = login.user_id.clone();

    t.v1(
        Method::POST,
        "/totps",
        Some(json!({ "user_id": "user-test-nope" })),
    )
    .await
    .error(400, "invalid_user_id");
    t.v1(
        Method::POST,
        "/totps",
        Some(json!({ "user_id": "user-test-00000000-0000-4000-8000-000000000000" })),
    )
    .await
    .error(404, "user_not_found");
    let created = t
        .v1(Method::POST, "/totps", Some(json!({ "user_id": user_id })))
        .await
        .ok()
        .clone();
    assert_eq!(created["user_id"], user_id);
    assert_eq!(created["user"]["totps"][0]["verified"], false);
    let secret = secret_of(&created);

    // Without a duration or a session: verified, but no session.
    let r = t
        .v1(
            Method::POST,
            "/totps/authenticate",
            Some(json!({ "user_id": user_id, "totp_code": code_now(&t, &secret) })),
        )
        .await;
    let authed = r.ok();
    assert!(authed["session"].is_null());
    assert_eq!(authed["session_token"], "");
    assert_eq!(authed["user"]["totps"][0]["verified"], true);

    // With the user's session: that session gains the factor.
    t.advance_clock(30);
    let r = t
        .v1(
            Method::POST,
            "/totps/authenticate",
            Some(json!({
                "user_id": user_id, "totp_code": code_now(&t, &secret),
                "session_token": login.session_token,
            })),
        )
        .await;
    let authed = r.ok();
    assert_eq!(authed["session"]["session_id"], login.session_id);
    assert_eq!(factor_types(authed), vec!["magic_link", "totp"]);

    let codes = t
        .v1(
            Method::POST,
            "/totps/recovery_codes",
            Some(json!({ "user_id": user_id })),
        )
        .await
        .ok()["totps"][0]["recovery_codes"]
        .clone();
    let r = t
        .v1(
            Method::POST,
            "/totps/recover",
            Some(json!({
                "user_id": user_id, "recovery_code": codes[0],
                "session_duration_minutes": 30,
            })),
        )
        .await;
    let recovered = r.ok();
    assert_eq!(factor_types(recovered), vec!["recovery_codes"]);
    let _: mirror::LoginResponse = mirror::decode(recovered);
}

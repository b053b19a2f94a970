//! One-time passcodes over real HTTP on both faces: SMS, WhatsApp and email
//! login_or_create / send / authenticate, wrong / expired / replayed /
//! superseded codes, the five-attempt limit, attaching a new number, rate
//! limits. Codes are read from `/dev/outbox`.

mod common;

use common::{mirror, Method, TestServer};
use serde::Deserialize;
use serde_json::{json, Value};

/// The official client's `otps.{sms,whatsapp}.login_or_create` response.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct PhoneLoginOrCreateResponse {
    request_id: String,
    user_id: String,
    phone_id: String,
    user_created: bool,
    status_code: u16,
}

/// The official client's `otps.email.send` response.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct EmailSendResponse {
    request_id: String,
    user_id: String,
    email_id: String,
    status_code: u16,
}

/// The official client's `otps.authenticate` response.
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

/// The newest code sent to `recipient` (asserting the channel).
async fn latest_code(t: &TestServer, recipient: &str, channel: &str) -> String {
    let newest = t.latest_message(recipient).await;
    assert_eq!(newest["channel"], channel);
    assert_eq!(newest["link"], Value::Null);
    let code = newest["code"].as_str().expect("a code").to_string();
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    assert!(newest["body"].as_str().unwrap().contains(&code));
    code
}

/// A 6-digit code that is not `code`.
fn wrong(code: &str) -> String {
    let first = code.as_bytes()[0];
    let other = if first == b'9' {
        '0'
    } else {
        (first + 1) as char
    };
    format!("{other}{}", &code[1..])
}

/// (channel, field, address) for the three channels.
const CHANNELS: [(&str, &str, &str); 3] = [
    ("sms", "phone_number", "+15555550101"),
    ("whatsapp", "phone_number", "+447700900123"),
    ("email", "email", "otp@example.com"),
];

#[tokio::test]
async fn login_or_create_then_authenticate_on_every_channel() {
    let t = TestServer::start().await;
    for (channel, field, address) in CHANNELS {
        let r = t
            .sdk(
                Method::POST,
                &format!("/otps/{channel}/login_or_create"),
                None,
                Some(json!({field: address, "expiration_minutes": 5, "locale": "en"})),
            )
            .await;
        let data = r.data().clone();
        assert_eq!(data["user_created"], true, "{channel}");
        let method_id = data["method_id"].as_str().unwrap().to_string();
        let id_field = if field == "email" {
            "email_id"
        } else {
            "phone_id"
        };
        assert_eq!(data[id_field], method_id);
        let user_id = data["user_id"].as_str().unwrap().to_string();
        let user = t.v1(Method::GET, &format!("/users/{user_id}"), None).await;
        assert_eq!(user.ok()["status"], "pending");

        let code = latest_code(&t, address, channel).await;
        let r = t
            .sdk(
                Method::POST,
                "/otps/authenticate",
                None,
                Some(
                    json!({"token": code, "method_id": method_id, "session_duration_minutes": 30}),
                ),
            )
            .await;
        let data = r.data();
        assert_eq!(data["user_id"], user_id);
        assert_eq!(data["method_id"], method_id);
        assert_eq!(data["reset_sessions"], false);
        assert_eq!(data["user"]["status"], "active");
        assert_eq!(data["__user"]["status"], "active");
        assert_eq!(data["session_token"].as_str().unwrap().len(), 44);
        let factor = &data["session"]["authentication_factors"][0];
        assert_eq!(factor["type"], "otp");
        assert_eq!(factor["delivery_method"], channel);
        if field == "email" {
            assert_eq!(data["user"]["emails"][0]["verified"], true);
            assert_eq!(
                factor["email_factor"],
                json!({"email_id": method_id, "email_address": address})
            );
        } else {
            assert_eq!(data["user"]["phone_numbers"][0]["verified"], true);
            assert_eq!(
                factor["phone_number_factor"],
                json!({"phone_id": method_id, "phone_number": address})
            );
        }

        // A second login_or_create finds the same user.
        let again = t
            .sdk(
                Method::POST,
                &format!("/otps/{channel}/login_or_create"),
                None,
                Some(json!({field: address})),
            )
            .await;
        assert_eq!(again.data()["user_created"], false);
        assert_eq!(again.data()["user_id"], user_id);
        assert_eq!(again.data()["method_id"], method_id);
    }
}

#[tokio::test]
async fn backend_shapes_match_the_official_client() {
    let t = TestServer::start().await;
    // The official client sends unset fields as null, and the code as `code`.
    let r = t
        .v1(
            Method::POST,
            "/otps/sms/login_or_create",
            Some(json!({"phone_number": "+15555550102", "expiration_minutes": null, "attributes": null, "create_user_as_pending": null, "locale": null})),
        )
        .await;
    let created: PhoneLoginOrCreateResponse = mirror::decode(r.ok());
    assert!(created.user_created);
    assert!(
        r.body.get("method_id").is_none(),
        "method_id is frontend-only"
    );
    let code = latest_code(&t, "+15555550102", "sms").await;
    let r = t
        .v1(
            Method::POST,
            "/otps/authenticate",
            Some(json!({"method_id": created.phone_id, "code": code, "session_duration_minutes": 60, "session_token": null, "options": null})),
        )
        .await;
    let auth: AuthenticateResponse = mirror::decode(r.ok());
    assert_eq!(auth.method_id, created.phone_id);
    assert!(auth.session.is_some());

    // Email send for an existing user; authenticate without a duration.
    let login = t.login("backend@example.com", 60).await;
    let r = t
        .v1(
            Method::POST,
            "/otps/email/send",
            Some(json!({"email": "backend@example.com", "user_id": null, "session_token": null})),
        )
        .await;
    let sent: EmailSendResponse = mirror::decode(r.ok());
    assert_eq!(sent.email_id, login.email_id);
    assert!(r.body.get("user_created").is_none());
    let code = latest_code(&t, "backend@example.com", "email").await;
    let r = t
        .v1(
            Method::POST,
            "/otps/authenticate",
            Some(json!({"method_id": sent.email_id, "code": code})),
        )
        .await;
    let auth: AuthenticateResponse = mirror::decode(r.ok());
    assert!(auth.session.is_none());
    assert_eq!(auth.session_token, "");

    // WhatsApp send on /v1 for an existing number.
    t.v1(
        Method::POST,
        "/otps/whatsapp/send",
        Some(json!({"phone_number": "+15555550102"})),
    )
    .await
    .ok();
    latest_code(&t, "+15555550102", "whatsapp").await;
}

#[tokio::test]
async fn wrong_codes_count_and_five_kill_the_code() {
    let t = TestServer::start().await;
    let send = || {
        t.v1(
            Method::POST,
            "/otps/sms/login_or_create",
            Some(json!({"phone_number": "+15555550103"})),
        )
    };
    let phone_id = send().await.ok()["phone_id"].as_str().unwrap().to_string();
    let authenticate = |code: String| {
        t.sdk(
            Method::POST,
            "/otps/authenticate",
            None,
            Some(json!({"token": code, "method_id": phone_id, "session_duration_minutes": 60})),
        )
    };

    // Four wrong tries, then the right code still works.
    let code = latest_code(&t, "+15555550103", "sms").await;
    for left in (1..=4).rev() {
        let r = authenticate(wrong(&code)).await;
        r.error(401, "unable_to_auth_otp_code");
        assert!(
            r.message().contains(&format!("{left} attempt")),
            "{}",
            r.message()
        );
    }
    authenticate(code.clone()).await.data();
    // Replay: the code is spent.
    authenticate(code).await.error(404, "otp_code_not_found");

    // Five wrong tries kill a new code, even for the right code afterwards.
    send().await.ok();
    let code = latest_code(&t, "+15555550103", "sms").await;
    for _ in 0..5 {
        authenticate(wrong(&code))
            .await
            .error(401, "unable_to_auth_otp_code");
    }
    let r = authenticate(code).await;
    r.error(404, "otp_code_not_found");
    assert!(r.message().contains("too many"), "{}", r.message());
    // A new code works again.
    send().await.ok();
    let code = latest_code(&t, "+15555550103", "sms").await;
    authenticate(code).await.data();
}

#[tokio::test]
async fn expired_and_superseded_codes_are_refused() {
    let t = TestServer::start().await;
    t.freeze_clock();
    let phone_id = t
        .v1(
            Method::POST,
            "/otps/sms/login_or_create",
            Some(json!({"phone_number": "+15555550104"})),
        )
        .await
        .ok()["phone_id"]
        .as_str()
        .unwrap()
        .to_string();
    let authenticate = |code: String| {
        t.v1(
            Method::POST,
            "/otps/authenticate",
            Some(json!({"code": code, "method_id": phone_id})),
        )
    };
    // The default lifetime is 2 minutes.
    let code = latest_code(&t, "+15555550104", "sms").await;
    t.advance_clock(120);
    let r = authenticate(code).await;
    r.error(404, "otp_code_not_found");
    assert!(r.message().contains("expired"), "{}", r.message());

    // expiration_minutes is honoured (10 minutes: fine after 9:59).
    t.v1(
        Method::POST,
        "/otps/sms/send",
        Some(json!({"phone_number": "+15555550104", "expiration_minutes": 10})),
    )
    .await
    .ok();
    let code = latest_code(&t, "+15555550104", "sms").await;
    t.advance_clock(599);
    authenticate(code).await.ok();

    // Only the newest code works: an older one counts as a wrong try.
    t.v1(
        Method::POST,
        "/otps/sms/send",
        Some(json!({"phone_number": "+15555550104"})),
    )
    .await
    .ok();
    let older = latest_code(&t, "+15555550104", "sms").await;
    let mut newer = older.clone();
    while newer == older {
        t.v1(
            Method::POST,
            "/otps/whatsapp/send",
            Some(json!({"phone_number": "+15555550104"})),
        )
        .await
        .ok();
        newer = latest_code(&t, "+15555550104", "whatsapp").await;
    }
    authenticate(older)
        .await
        .error(401, "unable_to_auth_otp_code");
    let r = authenticate(newer).await;
    assert_eq!(
        r.ok()["user"]["phone_numbers"][0]["phone_number"],
        "+15555550104"
    );
}

#[tokio::test]
async fn the_factor_names_the_channel_the_code_came_by() {
    let t = TestServer::start().await;
    let phone_id = t
        .v1(
            Method::POST,
            "/otps/whatsapp/login_or_create",
            Some(json!({"phone_number": "+15555550105"})),
        )
        .await
        .ok()["phone_id"]
        .as_str()
        .unwrap()
        .to_string();
    let code = latest_code(&t, "+15555550105", "whatsapp").await;
    let r = t
        .v1(
            Method::POST,
            "/otps/authenticate",
            Some(json!({"code": code, "method_id": phone_id, "session_duration_minutes": 60})),
        )
        .await;
    assert_eq!(
        r.ok()["session"]["authentication_factors"][0]["delivery_method"],
        "whatsapp"
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_the_right_error() {
    let t = TestServer::start().await;
    for (path, body, status, error_type) in [
        (
            "/otps/sms/login_or_create",
            json!({"phone_number": "555-0100"}),
            400,
            "invalid_phone_number",
        ),
        (
            "/otps/sms/login_or_create",
            json!({"phone_number": "+1 555 555 0100"}),
            400,
            "invalid_phone_number",
        ),
        (
            "/otps/whatsapp/login_or_create",
            json!({}),
            400,
            "invalid_phone_number",
        ),
        (
            "/otps/sms/login_or_create",
            json!({"email": "a@example.com"}),
            400,
            "invalid_phone_number",
        ),
        (
            "/otps/email/login_or_create",
            json!({"email": "nope"}),
            400,
            "invalid_email",
        ),
        (
            "/otps/email/login_or_create",
            json!({}),
            400,
            "invalid_email",
        ),
        (
            "/otps/sms/login_or_create",
            json!({"phone_number": 15555550100u64}),
            400,
            "bad_request",
        ),
        (
            "/otps/sms/login_or_create",
            json!({"phone_number": "+15555550100", "expiration_minutes": 0}),
            400,
            "bad_request",
        ),
        (
            "/otps/email/login_or_create",
            json!({"email": "a@example.com", "expiration_minutes": 11}),
            400,
            "bad_request",
        ),
        (
            "/otps/sms/send",
            json!({"phone_number": "+15555550199"}),
            404,
            "phone_number_not_found",
        ),
        (
            "/otps/whatsapp/send",
            json!({"phone_number": "+15555550199"}),
            404,
            "phone_number_not_found",
        ),
        (
            "/otps/email/send",
            json!({"email": "nobody@example.com"}),
            404,
            "email_not_found",
        ),
    ] {
        let r = t.v1(Method::POST, path, Some(body.clone())).await;
        r.error(status, error_type);
        if error_type == "bad_request" {
            assert!(
                r.message().contains("phone_number") || r.message().contains("expiration_minutes"),
                "{}",
                r.message()
            );
        }
    }
    t.sdk(
        Method::POST,
        "/otps/sms/send/primary",
        None,
        Some(json!({"phone_number": "+15555550199"})),
    )
    .await
    .error(404, "phone_number_not_found");

    // Authenticate: a method without any code, a malformed method_id, no code.
    let login = t.login("nocode@example.com", 60).await;
    let r = t
        .sdk(
            Method::POST,
            "/otps/authenticate",
            None,
            Some(json!({"token": "123456", "method_id": login.email_id, "session_duration_minutes": 60})),
        )
        .await;
    r.error(404, "otp_code_not_found");
    t.sdk(
        Method::POST,
        "/otps/authenticate",
        None,
        Some(json!({"token": "123456", "method_id": "x", "session_duration_minutes": 60})),
    )
    .await
    .error(400, "bad_request");
    let r = t
        .sdk(
            Method::POST,
            "/otps/authenticate",
            None,
            Some(json!({"method_id": login.email_id, "session_duration_minutes": 60})),
        )
        .await;
    r.error(400, "bad_request");
    assert!(r.message().contains("token"), "{}", r.message());
    t.sdk(
        Method::POST,
        "/otps/authenticate",
        None,
        Some(json!({"token": "123456"})),
    )
    .await
    .error(400, "bad_request");
}

#[tokio::test]
async fn a_bad_duration_does_not_spend_the_code() {
    let t = TestServer::start().await;
    let r = t
        .sdk(
            Method::POST,
            "/otps/email/login_or_create",
            None,
            Some(json!({"email": "dur@example.com"})),
        )
        .await;
    let method_id = r.data()["method_id"].as_str().unwrap().to_string();
    let code = latest_code(&t, "dur@example.com", "email").await;
    t.sdk(
        Method::POST,
        "/otps/authenticate",
        None,
        Some(json!({"token": code, "method_id": method_id, "session_duration_minutes": 2})),
    )
    .await
    .error(400, "invalid_session_duration_minutes");
    t.sdk(
        Method::POST,
        "/otps/authenticate",
        None,
        Some(json!({"token": code, "method_id": method_id})),
    )
    .await
    .data();
}

#[tokio::test]
async fn send_secondary_attaches_a_number_once_authenticated() {
    let t = TestServer::start().await;
    let login = t.login("phoneless@example.com", 60).await;
    t.sdk(
        Method::POST,
        "/otps/sms/send/secondary",
        None,
        Some(json!({"phone_number": "+15555550106"})),
    )
    .await
    .error(401, "unauthorized_credentials");
    let r = t
        .sdk(
            Method::POST,
            "/otps/sms/send/secondary",
            Some(&login.session_token),
            Some(json!({"phone_number": "+15555550106"})),
        )
        .await;
    let method_id = r.data()["method_id"].as_str().unwrap().to_string();
    assert!(method_id.starts_with("phone-number-test-"));
    assert_eq!(r.data()["phone_id"], method_id);

    // Nothing attached yet: the number cannot be used to log in.
    let me = t
        .sdk(Method::GET, "/users/me", Some(&login.session_token), None)
        .await;
    assert_eq!(me.data()["phone_numbers"], json!([]));
    t.v1(
        Method::POST,
        "/otps/sms/send",
        Some(json!({"phone_number": "+15555550106"})),
    )
    .await
    .error(404, "phone_number_not_found");

    let code = latest_code(&t, "+15555550106", "sms").await;
    let r = t
        .sdk(
            Method::POST,
            "/otps/authenticate",
            Some(&login.session_token),
            Some(json!({"token": code, "method_id": method_id, "session_duration_minutes": 60})),
        )
        .await;
    let data = r.data();
    assert_eq!(
        data["user"]["phone_numbers"],
        json!([{"phone_id": method_id, "phone_number": "+15555550106", "verified": true}])
    );
    assert_eq!(data["session"]["session_id"], login.session_id);
    assert_eq!(
        data["session"]["authentication_factors"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Email secondary: an address of another user is refused.
    let other = t.login("taken@example.com", 60).await;
    t.sdk(
        Method::POST,
        "/otps/email/send/secondary",
        Some(&login.session_token),
        Some(json!({"email": other.email})),
    )
    .await
    .error(400, "duplicate_email");
    t.sdk(
        Method::POST,
        "/otps/sms/send/secondary",
        Some(&other.session_token),
        Some(json!({"phone_number": "+15555550106"})),
    )
    .await
    .error(400, "duplicate_phone_number");

    // /v1 send with user_id attaches as well.
    let r = t
        .v1(
            Method::POST,
            "/otps/email/send",
            Some(json!({"email": "added@example.com", "user_id": login.user_id})),
        )
        .await;
    let sent: EmailSendResponse = mirror::decode(r.ok());
    let code = latest_code(&t, "added@example.com", "email").await;
    let r = t
        .v1(
            Method::POST,
            "/otps/authenticate",
            Some(json!({"code": code, "method_id": sent.email_id})),
        )
        .await;
    let auth: AuthenticateResponse = mirror::decode(r.ok());
    assert_eq!(auth.user_id, login.user_id);
    assert!(auth
        .user
        .emails
        .iter()
        .any(|e| e.email == "added@example.com" && e.verified));
}

#[tokio::test]
async fn sends_and_attempts_are_rate_limited() {
    let t = TestServer::start().await;
    let send = || {
        t.v1(
            Method::POST,
            "/otps/sms/login_or_create",
            Some(json!({"phone_number": "+15555550107"})),
        )
    };
    for _ in 0..10 {
        send().await.ok();
    }
    send().await.error(429, "too_many_requests");
    t.v1(
        Method::POST,
        "/otps/whatsapp/send",
        Some(json!({"phone_number": "+15555550107"})),
    )
    .await
    .error(429, "too_many_requests");
    assert_eq!(t.outbox(Some("+15555550107")).await.len(), 10);

    // Authenticate attempts per method_id: 20 in a burst.
    let login = t.login("guess@example.com", 60).await;
    for _ in 0..20 {
        t.sdk(
            Method::POST,
            "/otps/authenticate",
            None,
            Some(json!({"token": "000000", "method_id": login.email_id})),
        )
        .await
        .error(404, "otp_code_not_found");
    }
    t.sdk(
        Method::POST,
        "/otps/authenticate",
        None,
        Some(json!({"token": "000000", "method_id": login.email_id})),
    )
    .await
    .error(429, "too_many_requests");
}

#[tokio::test]
async fn codes_are_stored_only_as_hashes() {
    let t = TestServer::start().await;
    t.v1(
        Method::POST,
        "/otps/sms/login_or_create",
        Some(json!({"phone_number": "+15555550108"})),
    )
    .await
    .ok();
    let code = latest_code(&t, "+15555550108", "sms").await;
    let stored: Vec<String> = t
        .state()
        .db
        .call(|c| {
            let mut statement =
                c.prepare("SELECT token_hash FROM one_time_tokens WHERE kind = 'otp'")?;
            let rows = statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].len(), 64);
    assert!(!stored[0].contains(&code));
}

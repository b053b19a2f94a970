//! Attribute matching over real HTTP: every send records the end user's
//! `attributes {ip_address, user_agent}` with its link or code, and
//! `options.ip_match_required` / `options.user_agent_match_required` on
//! magic link, OTP and password reset authenticate compare them — 401
//! `attribute_mismatch` without consuming the token, so the rightful user
//! can still use it. The backend face passes attributes in the body; the
//! frontend face records and presents the connection's own IP and
//! `User-Agent`.

mod common;

use common::{token_of, Method, Reply, TestServer, ORIGIN};
use serde_json::{json, Value};

const LOGIN_URL: &str = "http://localhost:5173/login";
const RESET_URL: &str = "http://localhost:5173/reset";
const NEW_PASSWORD: &str = "Tulip-Garden-Orbit-42";

const IP_A: &str = "203.0.113.7";
const IP_B: &str = "198.51.100.9";
const UA_A: &str = "Mozilla/5.0 (X11; Linux x86_64) Browser A";
const UA_B: &str = "Mozilla/5.0 (Macintosh) Browser B";

fn attributes(ip: &str, ua: &str) -> Value {
    json!({"ip_address": ip, "user_agent": ua})
}

fn options(ip: bool, ua: bool) -> Value {
    json!({"ip_match_required": ip, "user_agent_match_required": ua})
}

/// `body` with `extra`'s fields added.
fn with(mut body: Value, extra: Value) -> Value {
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

async fn latest_token(t: &TestServer, recipient: &str) -> String {
    token_of(t.latest_message(recipient).await["link"].as_str().unwrap())
}

async fn latest_code(t: &TestServer, recipient: &str) -> String {
    t.latest_message(recipient).await["code"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A frontend call with a chosen `User-Agent` (reqwest sends none by default).
async fn sdk_as(t: &TestServer, user_agent: &str, path: &str, body: Value) -> Reply {
    let request = t
        .http
        .post(t.url(&format!("/sdk/v1{path}")))
        .header("authorization", t.sdk_authorization(None))
        .header("origin", ORIGIN)
        .header("user-agent", user_agent)
        .json(&body);
    t.send(request).await
}

#[track_caller]
fn mismatch(reply: &Reply, what: &str) {
    reply.error(401, "attribute_mismatch");
    assert!(reply.message().contains(what), "{}", reply.message());
}

async fn magic_authenticate(t: &TestServer, token: &str, extra: Value) -> Reply {
    let body = json!({"token": token, "session_duration_minutes": 60});
    t.v1(
        Method::POST,
        "/magic_links/authenticate",
        Some(with(body, extra)),
    )
    .await
}

#[tokio::test]
async fn magic_links_compare_the_sends_attributes() {
    let t = TestServer::start().await;
    let address = "ada@example.com";
    let body = json!({
        "email": address,
        "login_magic_link_url": LOGIN_URL,
        "attributes": attributes(IP_A, UA_A),
    });
    for path in [
        "/magic_links/email/login_or_create",
        "/magic_links/email/send",
    ] {
        t.v1(Method::POST, path, Some(body.clone())).await.ok();
        let token = latest_token(&t, address).await;

        // Another IP, another user agent: refused, each when asked for.
        let r = magic_authenticate(
            &t,
            &token,
            json!({"attributes": attributes(IP_B, UA_A), "options": options(true, false)}),
        )
        .await;
        mismatch(&r, "IP address");
        let r = magic_authenticate(
            &t,
            &token,
            json!({"attributes": attributes(IP_A, UA_B), "options": options(false, true)}),
        )
        .await;
        mismatch(&r, "user agent");
        let r = magic_authenticate(
            &t,
            &token,
            json!({"attributes": attributes(IP_B, UA_B), "options": options(true, true)}),
        )
        .await;
        mismatch(&r, "IP address");

        // Nothing was consumed: the rightful user signs in with the same link.
        let r = magic_authenticate(
            &t,
            &token,
            json!({"attributes": attributes(IP_A, UA_A), "options": options(true, true)}),
        )
        .await;
        let signed_in = r.ok();
        assert!(signed_in["session"]["session_id"].is_string(), "{path}");
        // A used link is refused as used, whatever the attributes.
        let r = magic_authenticate(
            &t,
            &token,
            json!({"attributes": attributes(IP_B, UA_B), "options": options(true, true)}),
        )
        .await;
        r.error(401, "unable_to_auth_magic_link");
    }

    // Without options, attributes are not compared.
    t.v1(Method::POST, "/magic_links/email/send", Some(body))
        .await
        .ok();
    let token = latest_token(&t, address).await;
    magic_authenticate(
        &t,
        &token,
        json!({"attributes": attributes(IP_B, UA_B), "options": options(false, false)}),
    )
    .await
    .ok();
}

#[tokio::test]
async fn otps_compare_the_sends_attributes_before_the_code() {
    let t = TestServer::start().await;
    let cases = [
        ("sms", "phone_number", "+15555550101", "phone_id"),
        ("whatsapp", "phone_number", "+15555550102", "phone_id"),
        ("email", "email", "grace@example.com", "email_id"),
    ];
    for (channel, field, address, id_field) in cases {
        for route in ["login_or_create", "send"] {
            let path = format!("/otps/{channel}/{route}");
            let sent = t
                .v1(
                    Method::POST,
                    &path,
                    Some(json!({field: address, "attributes": attributes(IP_A, UA_A)})),
                )
                .await;
            let method_id = sent.ok()[id_field].as_str().unwrap().to_string();
            let code = latest_code(&t, address).await;
            let wrong = if code == "000000" { "111111" } else { "000000" };
            let authenticate = |code: &str, extra: Value| {
                let body =
                    json!({"method_id": method_id, "code": code, "session_duration_minutes": 60});
                t.v1(Method::POST, "/otps/authenticate", Some(with(body, extra)))
            };

            // The right code from another IP or browser is refused.
            let r = authenticate(
                &code,
                json!({"attributes": attributes(IP_B, UA_A), "options": options(true, false)}),
            )
            .await;
            mismatch(&r, "IP address");
            let r = authenticate(
                &code,
                json!({"attributes": attributes(IP_A, UA_B), "options": options(false, true)}),
            )
            .await;
            mismatch(&r, "user agent");
            // A mismatched caller learns nothing about the code and spends
            // none of its five tries, however often it guesses.
            for _ in 0..6 {
                let r = authenticate(
                    wrong,
                    json!({"attributes": attributes(IP_B, UA_A), "options": options(true, false)}),
                )
                .await;
                mismatch(&r, "IP address");
            }
            // The rightful user still signs in with the code.
            let r = authenticate(
                &code,
                json!({"attributes": attributes(IP_A, UA_A), "options": options(true, true)}),
            )
            .await;
            let signed_in = r.ok();
            assert_eq!(signed_in["method_id"], method_id, "{path}");
            assert!(signed_in["session"]["session_id"].is_string(), "{path}");
            // A used code is "not found", whatever the attributes.
            authenticate(
                &code,
                json!({"attributes": attributes(IP_B, UA_B), "options": options(true, true)}),
            )
            .await
            .error(404, "otp_code_not_found");
        }
    }
}

#[tokio::test]
async fn password_reset_links_compare_the_sends_attributes() {
    let t = TestServer::start().await;
    let address = "alan@example.com";
    t.create_user(address).await;
    t.v1(
        Method::POST,
        "/passwords/email/reset/start",
        Some(json!({
            "email": address,
            "reset_password_redirect_url": RESET_URL,
            "attributes": attributes(IP_A, UA_A),
        })),
    )
    .await
    .ok();
    let token = latest_token(&t, address).await;
    let reset = |extra: Value| {
        let body =
            json!({"token": token, "password": NEW_PASSWORD, "session_duration_minutes": 60});
        t.v1(
            Method::POST,
            "/passwords/email/reset",
            Some(with(body, extra)),
        )
    };
    let r =
        reset(json!({"attributes": attributes(IP_B, UA_A), "options": options(true, false)})).await;
    mismatch(&r, "IP address");
    let r =
        reset(json!({"attributes": attributes(IP_A, UA_B), "options": options(false, true)})).await;
    mismatch(&r, "user agent");
    // No password was set by the refused calls.
    let user = t
        .v1(
            Method::GET,
            &format!("/users/{}", user_id_of(&t, address).await),
            None,
        )
        .await;
    assert_eq!(user.ok()["password"], Value::Null);

    let r =
        reset(json!({"attributes": attributes(IP_A, UA_A), "options": options(true, true)})).await;
    assert!(r.ok()["session"]["session_id"].is_string());
    reset(json!({"attributes": attributes(IP_A, UA_A), "options": options(true, true)}))
        .await
        .error(401, "unable_to_auth_magic_link");
}

async fn user_id_of(t: &TestServer, address: &str) -> String {
    let state = t.state().clone();
    let address = address.to_string();
    state
        .db
        .call(move |c| {
            Ok(latchkey_server::store::users::find_email(c, &address)?
                .expect("the address exists")
                .user_id)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_send_without_attributes_never_matches() {
    let t = TestServer::start().await;
    let required = json!({"attributes": attributes(IP_A, UA_A), "options": options(true, true)});

    // Magic link.
    let address = "nobody@example.com";
    t.v1(
        Method::POST,
        "/magic_links/email/login_or_create",
        Some(json!({"email": address, "login_magic_link_url": LOGIN_URL})),
    )
    .await
    .ok();
    let token = latest_token(&t, address).await;
    let r = magic_authenticate(&t, &token, required.clone()).await;
    mismatch(&r, "no IP address was recorded");
    let r = magic_authenticate(
        &t,
        &token,
        json!({"attributes": attributes(IP_A, UA_A), "options": options(false, true)}),
    )
    .await;
    mismatch(&r, "no user agent was recorded");
    magic_authenticate(&t, &token, json!({})).await.ok();

    // OTP.
    let number = "+15555550199";
    let sent = t
        .v1(
            Method::POST,
            "/otps/sms/login_or_create",
            Some(json!({"phone_number": number})),
        )
        .await;
    let method_id = sent.ok()["phone_id"].as_str().unwrap().to_string();
    let code = latest_code(&t, number).await;
    let body = json!({"method_id": method_id, "code": code});
    let r = t
        .v1(
            Method::POST,
            "/otps/authenticate",
            Some(with(body.clone(), required.clone())),
        )
        .await;
    mismatch(&r, "no IP address was recorded");
    t.v1(Method::POST, "/otps/authenticate", Some(body))
        .await
        .ok();

    // Password reset.
    let address = "resetter@example.com";
    t.create_user(address).await;
    t.v1(
        Method::POST,
        "/passwords/email/reset/start",
        Some(json!({"email": address, "reset_password_redirect_url": RESET_URL})),
    )
    .await
    .ok();
    let token = latest_token(&t, address).await;
    let body = json!({"token": token, "password": NEW_PASSWORD});
    let r = t
        .v1(
            Method::POST,
            "/passwords/email/reset",
            Some(with(body.clone(), required)),
        )
        .await;
    mismatch(&r, "no IP address was recorded");
    t.v1(Method::POST, "/passwords/email/reset", Some(body))
        .await
        .ok();
}

#[tokio::test]
async fn bad_attributes_and_options_are_named() {
    let t = TestServer::start().await;
    let address = "picky@example.com";
    let send = |attributes: Value| {
        t.v1(
            Method::POST,
            "/magic_links/email/login_or_create",
            Some(json!({"email": address, "login_magic_link_url": LOGIN_URL, "attributes": attributes})),
        )
    };
    let r = send(json!({"ip_address": "203.0.113.7:443"})).await;
    r.error(400, "bad_request");
    assert!(
        r.message().contains("`attributes.ip_address`"),
        "{}",
        r.message()
    );
    let r = send(json!("203.0.113.7")).await;
    r.error(400, "bad_request");
    assert!(r.message().contains("`attributes`"), "{}", r.message());
    let r = send(json!({"user_agent": 5})).await;
    r.error(400, "bad_request");
    assert!(
        r.message().contains("`attributes.user_agent`"),
        "{}",
        r.message()
    );
    for path in ["/otps/sms/login_or_create", "/passwords/email/reset/start"] {
        let r = t
            .v1(
                Method::POST,
                path,
                Some(json!({
                    "phone_number": "+15555550123",
                    "email": address,
                    "reset_password_redirect_url": RESET_URL,
                    "attributes": {"ip_address": "localhost"},
                })),
            )
            .await;
        r.error(400, "bad_request");
        assert!(
            r.message().contains("`attributes.ip_address`"),
            "{path}: {}",
            r.message()
        );
    }
    assert!(t.outbox(None).await.is_empty(), "nothing was sent");

    // Explicit nulls are absent values; IPv6 and IPv4-mapped addresses are fine.
    send(json!({"ip_address": null, "user_agent": null}))
        .await
        .ok();
    send(json!({"ip_address": "::ffff:203.0.113.7", "user_agent": UA_A}))
        .await
        .ok();
    let token = latest_token(&t, address).await;

    // A required attribute missing from the authenticate call is bad input,
    // checked before the link is touched.
    let r = magic_authenticate(
        &t,
        &token,
        json!({"attributes": {"user_agent": UA_A}, "options": options(true, false)}),
    )
    .await;
    r.error(400, "bad_request");
    assert!(
        r.message().contains("`attributes.ip_address`"),
        "{}",
        r.message()
    );
    let r = magic_authenticate(&t, &token, json!({"options": options(false, true)})).await;
    r.error(400, "bad_request");
    assert!(
        r.message().contains("`attributes.user_agent`"),
        "{}",
        r.message()
    );
    let r = magic_authenticate(
        &t,
        &token,
        json!({"attributes": attributes(IP_A, UA_A), "options": {"ip_match_required": "yes"}}),
    )
    .await;
    r.error(400, "bad_request");
    assert!(
        r.message().contains("`options.ip_match_required`"),
        "{}",
        r.message()
    );
    // The IPv4-mapped address recorded at send matches its IPv4 form; a
    // missing option counts as false.
    magic_authenticate(
        &t,
        &token,
        json!({"attributes": {"ip_address": IP_A}, "options": {"ip_match_required": true}}),
    )
    .await
    .ok();
}

#[tokio::test]
async fn the_frontend_face_records_and_presents_the_connection() {
    let t = TestServer::start_with(|c| c.pkce_optional = true).await;
    let address = "browser@example.com";
    // A browser's own attributes are what counts; forged body attributes are ignored.
    let forged = attributes(IP_B, "Forged");
    let send = || {
        sdk_as(
            &t,
            UA_A,
            "/magic_links/email/login_or_create",
            json!({"email": address, "login_magic_link_url": LOGIN_URL, "attributes": forged}),
        )
    };

    // Sent by the browser, authenticated by the backend with what it saw.
    send().await.data();
    let token = latest_token(&t, address).await;
    let r = magic_authenticate(
        &t,
        &token,
        json!({"attributes": attributes(IP_B, "Forged"), "options": options(true, false)}),
    )
    .await;
    mismatch(&r, "IP address");
    let r = magic_authenticate(
        &t,
        &token,
        json!({"attributes": attributes("127.0.0.1", UA_B), "options": options(false, true)}),
    )
    .await;
    mismatch(&r, "user agent");
    magic_authenticate(
        &t,
        &token,
        json!({"attributes": attributes("127.0.0.1", UA_A), "options": options(true, true)}),
    )
    .await
    .ok();

    // Authenticated by a browser that asks for the check: its connection is compared.
    send().await.data();
    let token = latest_token(&t, address).await;
    let body = json!({"token": token, "options": options(true, true), "attributes": attributes("127.0.0.1", UA_A)});
    let r = sdk_as(&t, UA_B, "/magic_links/authenticate", body.clone()).await;
    mismatch(&r, "user agent");
    let data = sdk_as(&t, UA_A, "/magic_links/authenticate", body).await;
    assert!(data.data()["session_token"].is_string());

    // OTPs and reset links too.
    let sent = sdk_as(
        &t,
        UA_A,
        "/otps/email/login_or_create",
        json!({"email": "otp-browser@example.com"}),
    )
    .await;
    let method_id = sent.data()["method_id"].as_str().unwrap().to_string();
    let code = latest_code(&t, "otp-browser@example.com").await;
    let body = json!({"method_id": method_id, "token": code, "options": options(false, true)});
    let r = sdk_as(&t, UA_B, "/otps/authenticate", body.clone()).await;
    mismatch(&r, "user agent");
    sdk_as(&t, UA_A, "/otps/authenticate", body).await.data();

    sdk_as(
        &t,
        UA_A,
        "/passwords/email/reset/start",
        json!({"email": address, "reset_password_redirect_url": RESET_URL}),
    )
    .await
    .data();
    let token = latest_token(&t, address).await;
    let r = t
        .v1(
            Method::POST,
            "/passwords/email/reset",
            Some(json!({
                "token": token,
                "password": NEW_PASSWORD,
                "attributes": attributes("127.0.0.1", UA_B),
                "options": options(true, true),
            })),
        )
        .await;
    mismatch(&r, "user agent");
    let body = json!({"token": token, "password": NEW_PASSWORD, "options": options(true, true)});
    sdk_as(&t, UA_A, "/passwords/email/reset", body)
        .await
        .data();
}

#[tokio::test]
async fn recorded_attributes_survive_a_restart() {
    let t = TestServer::start().await;
    let address = "durable@example.com";
    t.v1(
        Method::POST,
        "/magic_links/email/login_or_create",
        Some(json!({"email": address, "login_magic_link_url": LOGIN_URL, "attributes": attributes(IP_A, UA_A)})),
    )
    .await
    .ok();
    let token = latest_token(&t, address).await;
    let t = t.restart().await;
    let r = magic_authenticate(
        &t,
        &token,
        json!({"attributes": attributes(IP_B, UA_A), "options": options(true, true)}),
    )
    .await;
    mismatch(&r, "IP address");
    magic_authenticate(
        &t,
        &token,
        json!({"attributes": attributes(IP_A, UA_A), "options": options(true, true)}),
    )
    .await
    .ok();
}

//! Account pre-hijacking, end to end over real HTTP: an attacker signs up
//! with the victim's email and a password (keeping that session, even for a
//! year), may add a phone or an email of their own, and waits. When the
//! victim later proves the inbox (magic link, email OTP, OAuth, password
//! reset email), every session of that account ends, every factor added
//! before the proof is removed, and the password must be reset, before the
//! victim's sign-in is answered.

mod common;

use common::{authenticator::Authenticator, pkce_pair, token_of, totp, Method, TestServer, ORIGIN};
use latchkey_server::config::RateLimitMode;
use serde_json::{json, Value};

const VICTIM: &str = "victim@example.com";
const ATTACKER_PHONE: &str = "+15555550177";
const ATTACKER_EMAIL: &str = "attacker@evil.example";
const PASSWORD: &str = "Tulip-Garden-Orbit-42";
const APP: &str = "http://localhost:5173/auth";
/// The longest session the API grants: a year.
const A_YEAR: i64 = 527_040;

async fn server() -> TestServer {
    TestServer::start_with(|c| c.rate_limit = RateLimitMode::Relaxed).await
}

/// The attacker's foothold: `POST /sdk/v1/passwords` with the victim's email.
struct Foothold {
    user_id: String,
    token: String,
    jwt: String,
}

async fn attacker_signs_up(t: &TestServer) -> Foothold {
    let r = t
        .sdk(
            Method::POST,
            "/passwords",
            None,
            Some(
                json!({"email": VICTIM, "password": PASSWORD, "session_duration_minutes": A_YEAR}),
            ),
        )
        .await;
    let data = r.data();
    assert_eq!(data["user"]["emails"][0]["verified"], false);
    Foothold {
        user_id: data["user_id"].as_str().unwrap().to_string(),
        token: data["session_token"].as_str().unwrap().to_string(),
        jwt: data["session_jwt"].as_str().unwrap().to_string(),
    }
}

/// The attacker adds a phone they own through their session (SMS code).
async fn attacker_adds_phone(t: &TestServer, foothold: &Foothold) {
    let r = t
        .sdk(
            Method::POST,
            "/otps/sms/send/secondary",
            Some(&foothold.token),
            Some(json!({"phone_number": ATTACKER_PHONE})),
        )
        .await;
    let method_id = r.data()["method_id"].as_str().unwrap().to_string();
    let code = latest_code(t, ATTACKER_PHONE).await;
    let r = t
        .sdk(
            Method::POST,
            "/otps/authenticate",
            Some(&foothold.token),
            Some(
                json!({"token": code, "method_id": method_id, "session_duration_minutes": A_YEAR}),
            ),
        )
        .await;
    let phones = &r.data()["user"]["phone_numbers"];
    assert_eq!(phones[0]["phone_number"], ATTACKER_PHONE);
    assert_eq!(phones[0]["verified"], true);
}

/// The attacker adds an address they own through their session (magic link).
async fn attacker_adds_email(t: &TestServer, foothold: &Foothold) {
    let (verifier, challenge) = pkce_pair();
    t.sdk(
        Method::POST,
        "/magic_links/email/send/secondary",
        Some(&foothold.token),
        Some(json!({"email": ATTACKER_EMAIL, "login_magic_link_url": APP, "code_challenge": challenge})),
    )
    .await
    .data();
    let token = token_of(
        t.latest_message(ATTACKER_EMAIL).await["link"]
            .as_str()
            .unwrap(),
    );
    let r = t
        .sdk(
            Method::POST,
            "/magic_links/authenticate",
            Some(&foothold.token),
            Some(json!({"token": token, "code_verifier": verifier, "session_duration_minutes": A_YEAR})),
        )
        .await;
    assert_eq!(r.data()["user"]["emails"].as_array().unwrap().len(), 2);
}

async fn latest_code(t: &TestServer, recipient: &str) -> String {
    t.latest_message(recipient).await["code"]
        .as_str()
        .expect("a code")
        .to_string()
}

/// The victim signs in with an email magic link (browser SDK, PKCE).
async fn victim_uses_magic_link(t: &TestServer) -> Value {
    let (verifier, challenge) = pkce_pair();
    t.sdk(
        Method::POST,
        "/magic_links/email/login_or_create",
        None,
        Some(json!({"email": VICTIM, "login_magic_link_url": APP, "signup_magic_link_url": APP, "code_challenge": challenge})),
    )
    .await
    .data();
    let token = token_of(t.latest_message(VICTIM).await["link"].as_str().unwrap());
    t.sdk(
        Method::POST,
        "/magic_links/authenticate",
        None,
        Some(json!({"token": token, "code_verifier": verifier, "session_duration_minutes": 60})),
    )
    .await
    .data()
    .clone()
}

/// The victim signs in with an email code.
async fn victim_uses_email_otp(t: &TestServer) -> Value {
    let r = t
        .sdk(
            Method::POST,
            "/otps/email/login_or_create",
            None,
            Some(json!({"email": VICTIM})),
        )
        .await;
    let method_id = r.data()["method_id"].as_str().unwrap().to_string();
    let code = latest_code(t, VICTIM).await;
    t.sdk(
        Method::POST,
        "/otps/authenticate",
        None,
        Some(json!({"token": code, "method_id": method_id, "session_duration_minutes": 60})),
    )
    .await
    .data()
    .clone()
}

/// Everything the attacker could still use, checked against the server.
async fn assert_attacker_locked_out(t: &TestServer, foothold: &Foothold, victim_session: &str) {
    t.sdk(
        Method::POST,
        "/sessions/authenticate",
        Some(&foothold.token),
        None,
    )
    .await
    .error(404, "session_not_found");
    t.v1(
        Method::POST,
        "/sessions/authenticate",
        Some(json!({"session_token": foothold.token})),
    )
    .await
    .error(404, "session_not_found");
    t.v1(
        Method::POST,
        "/sessions/authenticate",
        Some(json!({"session_jwt": foothold.jwt})),
    )
    .await
    .error(404, "session_not_found");
    // A password set by the session would clear the reset flag: refused.
    t.sdk(
        Method::POST,
        "/passwords/session/reset",
        Some(&foothold.token),
        Some(json!({"password": "Another-Strong-Pass-77"})),
    )
    .await
    .error(404, "session_not_found");
    t.sdk(
        Method::POST,
        "/passwords/authenticate",
        None,
        Some(json!({"email": VICTIM, "password": PASSWORD})),
    )
    .await
    .error(401, "reset_password");
    // Only the victim's own session is left.
    let sessions = t
        .v1(
            Method::GET,
            &format!("/sessions?user_id={}", foothold.user_id),
            None,
        )
        .await;
    let ids: Vec<&str> = sessions.ok()["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [victim_session]);
}

fn session_id(data: &Value) -> &str {
    data["session"]["session_id"].as_str().unwrap()
}

#[tokio::test]
async fn a_magic_link_ends_the_attackers_year_long_session() {
    let t = server().await;
    let foothold = attacker_signs_up(&t).await;
    t.advance_clock(3 * 86_400);
    // Still alive days later: this is the foothold the victim must not inherit.
    t.sdk(
        Method::POST,
        "/sessions/authenticate",
        Some(&foothold.token),
        None,
    )
    .await
    .data();

    let signed_in = victim_uses_magic_link(&t).await;
    assert_eq!(signed_in["user_id"], foothold.user_id.as_str());
    assert_attacker_locked_out(&t, &foothold, session_id(&signed_in)).await;
    assert_eq!(signed_in["reset_sessions"], true);
    assert_eq!(signed_in["user"]["emails"][0]["verified"], true);
    assert_eq!(signed_in["user"]["password"]["requires_reset"], true);
    // The victim's session works.
    t.sdk(
        Method::POST,
        "/sessions/authenticate",
        Some(signed_in["session_token"].as_str().unwrap()),
        None,
    )
    .await
    .data();
}

#[tokio::test]
async fn a_phone_and_an_email_the_attacker_added_are_removed() {
    let t = server().await;
    let foothold = attacker_signs_up(&t).await;
    attacker_adds_phone(&t, &foothold).await;
    attacker_adds_email(&t, &foothold).await;
    // And a second phone whose code is still in flight at the victim's proof.
    let r = t
        .sdk(
            Method::POST,
            "/otps/sms/send/secondary",
            Some(&foothold.token),
            Some(json!({"phone_number": "+15555550178"})),
        )
        .await;
    let pending_method = r.data()["method_id"].as_str().unwrap().to_string();
    let pending_code = latest_code(&t, "+15555550178").await;
    // The attacker can sign in with the phone alone (a session of its own).
    let r = t
        .sdk(
            Method::POST,
            "/otps/sms/login_or_create",
            None,
            Some(json!({"phone_number": ATTACKER_PHONE})),
        )
        .await;
    let phone_method = r.data()["method_id"].as_str().unwrap().to_string();
    let code = latest_code(&t, ATTACKER_PHONE).await;
    let by_phone = t
        .sdk(
            Method::POST,
            "/otps/authenticate",
            None,
            Some(json!({"token": code, "method_id": phone_method, "session_duration_minutes": A_YEAR})),
        )
        .await;
    let phone_session = by_phone.data()["session_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(by_phone.data()["user_id"], foothold.user_id.as_str());

    let signed_in = victim_uses_email_otp(&t).await;
    assert_eq!(signed_in["reset_sessions"], true);
    let user = &signed_in["user"];
    assert_eq!(user["phone_numbers"], json!([]));
    let emails: Vec<&str> = user["emails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, [VICTIM]);
    assert_attacker_locked_out(&t, &foothold, session_id(&signed_in)).await;
    t.sdk(
        Method::POST,
        "/sessions/authenticate",
        Some(&phone_session),
        None,
    )
    .await
    .error(404, "session_not_found");

    // The phone no longer leads to the account.
    let r = t
        .v1(
            Method::POST,
            "/otps/sms/send",
            Some(json!({"phone_number": ATTACKER_PHONE})),
        )
        .await;
    r.error(404, "phone_number_not_found");
    // The code that was in flight cannot attach its phone any more.
    t.sdk(
        Method::POST,
        "/otps/authenticate",
        None,
        Some(json!({"token": pending_code, "method_id": pending_method, "session_duration_minutes": 60})),
    )
    .await
    .error(404, "otp_code_not_found");
    let user = t
        .v1(Method::GET, &format!("/users/{}", foothold.user_id), None)
        .await;
    assert_eq!(user.ok()["phone_numbers"], json!([]));
    // Nor does the attacker's address.
    t.v1(
        Method::POST,
        "/magic_links/email/send",
        Some(json!({"email": ATTACKER_EMAIL, "login_magic_link_url": APP})),
    )
    .await
    .error(404, "email_not_found");
}

#[tokio::test]
async fn a_victim_who_verifies_within_five_minutes_of_the_sign_up() {
    let t = server().await;
    t.freeze_clock();
    let foothold = attacker_signs_up(&t).await;
    attacker_adds_phone(&t, &foothold).await;
    t.advance_clock(60);
    // The attacker's JWT has not expired yet, and its password factor is
    // recent enough for passwords/session/reset.
    let signed_in = victim_uses_magic_link(&t).await;
    assert_eq!(signed_in["reset_sessions"], true);
    assert_eq!(signed_in["user"]["phone_numbers"], json!([]));
    assert_attacker_locked_out(&t, &foothold, session_id(&signed_in)).await;
    t.sdk(Method::GET, "/users/me", Some(&foothold.token), None)
        .await
        .error(404, "session_not_found");
}

#[tokio::test]
async fn a_password_reset_email_also_ends_the_attackers_sessions() {
    let t = server().await;
    let foothold = attacker_signs_up(&t).await;
    attacker_adds_phone(&t, &foothold).await;
    let (verifier, challenge) = pkce_pair();
    t.sdk(
        Method::POST,
        "/passwords/email/reset/start",
        None,
        Some(json!({"email": VICTIM, "reset_password_redirect_url": APP, "code_challenge": challenge})),
    )
    .await
    .data();
    let token = token_of(t.latest_message(VICTIM).await["link"].as_str().unwrap());
    let r = t
        .sdk(
            Method::POST,
            "/passwords/email/reset",
            None,
            Some(json!({"token": token, "password": "Victims-Own-Secret-99", "code_verifier": verifier})),
        )
        .await;
    let data = r.data();
    assert_eq!(data["user"]["phone_numbers"], json!([]));
    assert_eq!(data["user"]["password"]["requires_reset"], false);
    t.sdk(
        Method::POST,
        "/sessions/authenticate",
        Some(&foothold.token),
        None,
    )
    .await
    .error(404, "session_not_found");
    t.v1(
        Method::POST,
        "/otps/sms/send",
        Some(json!({"phone_number": ATTACKER_PHONE})),
    )
    .await
    .error(404, "phone_number_not_found");
}

#[tokio::test]
async fn an_oauth_sign_in_with_the_victims_email_ends_the_attackers_sessions() {
    let t = server().await;
    let foothold = attacker_signs_up(&t).await;
    attacker_adds_phone(&t, &foothold).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (verifier, challenge) = pkce_pair();
    let start = http
        .get(t.url(&format!(
            "/v1/public/oauth/google/start?public_token={}&login_redirect_url={}&signup_redirect_url={}&code_challenge={challenge}",
            t.creds.public_token,
            "http%3A%2F%2Flocalhost%3A5173%2Fauth",
            "http%3A%2F%2Flocalhost%3A5173%2Fauth",
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 302);
    let location = start.headers()["location"].to_str().unwrap().to_string();
    let state = location.split("state=").nth(1).unwrap().to_string();
    let consent = http
        .post(t.url("/idp/google/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "state={state}&decision=allow&email=victim%40example.com"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 303);
    let back = consent.headers()["location"].to_str().unwrap().to_string();
    let r = t
        .sdk(
            Method::POST,
            "/oauth/authenticate",
            None,
            Some(json!({"token": token_of(&back), "code_verifier": verifier, "session_duration_minutes": 60})),
        )
        .await;
    let data = r.data();
    assert_eq!(data["user_id"], foothold.user_id.as_str());
    assert_eq!(data["reset_sessions"], true);
    assert_eq!(data["user"]["phone_numbers"], json!([]));
    assert_eq!(data["user"]["providers"].as_array().unwrap().len(), 1);
    assert_attacker_locked_out(&t, &foothold, session_id(data)).await;
}

#[tokio::test]
async fn the_backend_face_is_protected_the_same_way() {
    // A host's own sign-up form calls /v1/passwords; the victim later
    // signs in through the host's backend with a magic link.
    let t = server().await;
    let created = t
        .v1(
            Method::POST,
            "/passwords",
            Some(
                json!({"email": VICTIM, "password": PASSWORD, "session_duration_minutes": A_YEAR}),
            ),
        )
        .await;
    let attacker_token = created.ok()["session_token"].as_str().unwrap().to_string();
    t.v1(
        Method::POST,
        "/magic_links/email/login_or_create",
        Some(json!({"email": VICTIM, "login_magic_link_url": APP, "signup_magic_link_url": APP})),
    )
    .await
    .ok();
    let token = token_of(t.latest_message(VICTIM).await["link"].as_str().unwrap());
    // Even when the backend asks to extend the attacker's session, it is not kept.
    let r = t
        .v1(
            Method::POST,
            "/magic_links/authenticate",
            Some(json!({"token": token, "session_token": attacker_token, "session_duration_minutes": 60})),
        )
        .await;
    let body = r.ok();
    assert_eq!(body["reset_sessions"], true);
    assert_ne!(body["session_token"], attacker_token.as_str());
    t.v1(
        Method::POST,
        "/sessions/authenticate",
        Some(json!({"session_token": attacker_token})),
    )
    .await
    .error(404, "session_not_found");
}

#[tokio::test]
async fn an_owner_who_proved_the_inbox_keeps_the_sessions() {
    // Only an account nobody had proven is reset: a second passwordless
    // sign-in of a verified user ends nothing.
    let t = server().await;
    let first = victim_uses_magic_link(&t).await;
    assert_eq!(first["reset_sessions"], false);
    let second = victim_uses_email_otp(&t).await;
    assert_eq!(second["reset_sessions"], false);
    t.sdk(
        Method::POST,
        "/sessions/authenticate",
        Some(first["session_token"].as_str().unwrap()),
        None,
    )
    .await
    .data();
    // A password added afterwards by the signed-in owner is not flagged by
    // later sign-ins either.
    let token = second["session_token"].as_str().unwrap();
    t.sdk(
        Method::POST,
        "/passwords",
        Some(token),
        Some(json!({"email": VICTIM, "password": PASSWORD})),
    )
    .await
    .data();
    let third = victim_uses_magic_link(&t).await;
    assert_eq!(third["reset_sessions"], false);
    assert_eq!(third["user"]["password"]["requires_reset"], false);
    t.sdk(
        Method::POST,
        "/passwords/authenticate",
        None,
        Some(json!({"email": VICTIM, "password": PASSWORD})),
    )
    .await
    .data();
}

#[tokio::test]
async fn a_passkey_and_an_authenticator_app_the_attacker_added_are_removed() {
    let t = server().await;
    let foothold = attacker_signs_up(&t).await;
    // A passkey: with it the attacker could sign in with no password at all.
    let mut key = Authenticator::es256();
    let start = t
        .sdk(
            Method::POST,
            "/webauthn/register/start",
            Some(&foothold.token),
            Some(json!({"domain": "localhost", "user_agent": "attacker", "return_passkey_credential_options": true})),
        )
        .await;
    let options = start.data()["public_key_credential_creation_options"]
        .as_str()
        .unwrap()
        .to_string();
    let credential = key.create(&options, ORIGIN);
    t.sdk(
        Method::POST,
        "/webauthn/register",
        Some(&foothold.token),
        Some(json!({"public_key_credential": credential, "session_duration_minutes": A_YEAR})),
    )
    .await
    .data();
    // An authenticator app, confirmed: a second factor only the attacker holds.
    let created = t
        .sdk(
            Method::POST,
            "/totps",
            Some(&foothold.token),
            Some(json!({})),
        )
        .await
        .data()
        .clone();
    let secret = totp::base32_decode(created["secret"].as_str().unwrap());
    let confirmed = t
        .sdk(
            Method::POST,
            "/totps/authenticate",
            Some(&foothold.token),
            Some(json!({"totp_code": totp::code(&secret, t.state().now()), "session_duration_minutes": A_YEAR})),
        )
        .await;
    assert_eq!(confirmed.data()["user"]["totps"][0]["verified"], true);

    let signed_in = victim_uses_magic_link(&t).await;
    assert_eq!(signed_in["reset_sessions"], true);
    assert_eq!(signed_in["user"]["webauthn_registrations"], json!([]));
    assert_eq!(signed_in["user"]["totps"], json!([]));
    assert_attacker_locked_out(&t, &foothold, session_id(&signed_in)).await;
    // The passkey no longer signs anyone in.
    let start = t
        .sdk(
            Method::POST,
            "/webauthn/authenticate/start/primary",
            None,
            Some(json!({"domain": "localhost", "return_passkey_credential_options": true})),
        )
        .await;
    let request = start.data()["public_key_credential_request_options"]
        .as_str()
        .unwrap()
        .to_string();
    let assertion = key.get(&request, ORIGIN);
    let r = t
        .sdk(
            Method::POST,
            "/webauthn/authenticate",
            None,
            Some(json!({"public_key_credential": assertion, "session_duration_minutes": 60})),
        )
        .await;
    assert_eq!(r.status, 404, "{:?}", r.body);
    assert_eq!(r.body["error_type"], "webauthn_registration_not_found");
}

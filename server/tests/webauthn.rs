//! WebAuthn and passkeys over real HTTP and SQLite, answered by the software
//! authenticator of `common::authenticator` (real P-256 / RSA keys).

mod common;

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine as _,
};
use common::{authenticator::Authenticator, mirror, Method, TestServer, ORIGIN};
use serde_json::{json, Value};

const DOMAIN: &str = "localhost";

fn options(data: &Value, field: &str) -> Value {
    let text = data[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is a JSON string: {data}"));
    serde_json::from_str(text).expect("the options string is JSON")
}

/// register/start then register on the frontend; returns the finish `data`.
async fn register(
    t: &TestServer,
    session: &str,
    authenticator: &mut Authenticator,
    passkey: bool,
) -> Value {
    let start = t
        .sdk(
            Method::POST,
            "/webauthn/register/start",
            Some(session),
            Some(json!({
                "domain": DOMAIN,
                "user_agent": "Mozilla/5.0 (test)",
                "return_passkey_credential_options": passkey,
            })),
        )
        .await;
    let creation = start.data()["public_key_credential_creation_options"]
        .as_str()
        .unwrap()
        .to_string();
    let credential = authenticator.create(&creation, ORIGIN);
    t.sdk(
        Method::POST,
        "/webauthn/register",
        Some(session),
        Some(json!({ "public_key_credential": credential, "session_duration_minutes": 60 })),
    )
    .await
    .data()
    .clone()
}

/// authenticate/start/primary (signed out) → the request options string.
async fn start_primary(t: &TestServer) -> String {
    let r = t
        .sdk(
            Method::POST,
            "/webauthn/authenticate/start/primary",
            None,
            Some(json!({ "domain": DOMAIN, "return_passkey_credential_options": true })),
        )
        .await;
    r.data()["public_key_credential_request_options"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn finish(t: &TestServer, session: Option<&str>, credential: &str) -> common::Reply {
    t.sdk(
        Method::POST,
        "/webauthn/authenticate",
        session,
        Some(json!({ "public_key_credential": credential, "session_duration_minutes": 60 })),
    )
    .await
}

fn webauthn_factor(session: &Value) -> &Value {
    session["authentication_factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["type"] == "webauthn")
        .unwrap_or_else(|| panic!("a webauthn factor: {session}"))
}

#[tokio::test]
async fn a_passkey_registers_in_a_session_then_signs_in_without_one() {
    let t = TestServer::start().await;
    let login = t.login("passkey@example.com", 60).await;

    let start = t
        .sdk(
            Method::POST,
            "/webauthn/register/start",
            Some(&login.session_token),
            Some(json!({
                "domain": DOMAIN,
                "user_agent": "Mozilla/5.0 (test)",
                "return_passkey_credential_options": true,
            })),
        )
        .await;
    let data = start.data();
    assert_eq!(data["user_id"], login.user_id);
    let creation = options(data, "public_key_credential_creation_options");
    assert_eq!(creation["rp"]["id"], DOMAIN);
    assert_eq!(
        creation["authenticatorSelection"]["residentKey"],
        "required"
    );
    assert_eq!(
        creation["authenticatorSelection"]["userVerification"],
        "preferred"
    );
    assert_eq!(creation["attestation"], "none");
    let algorithms: Vec<i64> = creation["pubKeyCredParams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["alg"].as_i64().unwrap())
        .collect();
    assert_eq!(algorithms, vec![-7, -257]);
    // Standard base64 by default; the user handle is the user_id.
    let challenge = creation["challenge"].as_str().unwrap();
    assert_eq!(STANDARD.decode(challenge).unwrap().len(), 32, "{challenge}");
    assert_eq!(
        STANDARD
            .decode(creation["user"]["id"].as_str().unwrap())
            .unwrap(),
        login.user_id.as_bytes()
    );
    assert_eq!(creation["user"]["name"], "passkey@example.com");
    assert_eq!(creation["excludeCredentials"], json!([]));

    let mut passkey = Authenticator::es256();
    let credential = passkey.create(
        data["public_key_credential_creation_options"]
            .as_str()
            .unwrap(),
        ORIGIN,
    );
    let r = t
        .sdk(
            Method::POST,
            "/webauthn/register",
            Some(&login.session_token),
            Some(json!({ "public_key_credential": credential, "session_duration_minutes": 60 })),
        )
        .await;
    let registered = r.data();
    let registration_id = registered["webauthn_registration_id"].as_str().unwrap();
    assert!(registration_id.starts_with("webauthn-registration-test-"));
    assert_eq!(registered["user_id"], login.user_id);
    assert_eq!(
        registered["user"]["webauthn_registrations"],
        json!([{
            "webauthn_registration_id": registration_id,
            "domain": DOMAIN,
            "user_agent": "Mozilla/5.0 (test)",
            "authenticator_type": "",
            "verified": true,
            "name": "Passkey 1",
        }])
    );
    assert_eq!(registered["__user"], registered["user"]);
    // The caller's session is extended with the webauthn factor.
    assert_eq!(registered["session"]["session_id"], login.session_id);
    assert_eq!(registered["session_token"], login.session_token);
    let factor = webauthn_factor(&registered["session"]);
    assert_eq!(factor["delivery_method"], "webauthn_registration");
    assert_eq!(
        factor["webauthn_factor"],
        json!({"webauthn_registration_id": registration_id, "domain": DOMAIN, "user_agent": "Mozilla/5.0 (test)"})
    );
    let _: mirror::LoginResponse = mirror::decode(registered);

    // Signed out: discoverable options, the user comes from the credential.
    let request = start_primary(&t).await;
    let request_options: Value = serde_json::from_str(&request).unwrap();
    assert_eq!(request_options["rpId"], DOMAIN);
    assert_eq!(request_options["allowCredentials"], json!([]));
    assert_eq!(request_options["userVerification"], "preferred");
    let assertion = passkey.get(&request, ORIGIN);
    let r = finish(&t, None, &assertion).await;
    let signed_in = r.data();
    assert_eq!(signed_in["user_id"], login.user_id);
    assert_eq!(signed_in["webauthn_registration_id"], registration_id);
    assert_ne!(signed_in["session"]["session_id"], login.session_id);
    assert_eq!(
        signed_in["session"]["authentication_factors"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        webauthn_factor(&signed_in["session"])["webauthn_factor"]["webauthn_registration_id"],
        registration_id
    );
    let token = signed_in["session_token"].as_str().unwrap();
    assert_eq!(token.len(), 44);
    let me = t.sdk(Method::GET, "/users/me", Some(token), None).await;
    assert_eq!(me.data()["user_id"], login.user_id);
}

#[tokio::test]
async fn base64url_options_on_request() {
    let t = TestServer::start().await;
    let login = t.login("b64url@example.com", 60).await;
    let r = t
        .sdk(
            Method::POST,
            "/webauthn/register/start",
            Some(&login.session_token),
            Some(json!({ "domain": DOMAIN, "user_agent": "ua", "use_base64_url_encoding": true })),
        )
        .await;
    let creation = options(r.data(), "public_key_credential_creation_options");
    for field in [&creation["challenge"], &creation["user"]["id"]] {
        let text = field.as_str().unwrap();
        assert!(!text.contains(['+', '/', '=']), "{text}");
        URL_SAFE_NO_PAD.decode(text).unwrap();
    }
    // A non-passkey registration does not ask for a resident key.
    assert_eq!(
        creation["authenticatorSelection"]["residentKey"],
        "discouraged"
    );
}

#[tokio::test]
async fn an_rs256_security_key_is_a_second_factor_of_the_session() {
    let t = TestServer::start().await;
    let login = t.login("second@example.com", 60).await;
    let start = t
        .sdk(
            Method::POST,
            "/webauthn/register/start",
            Some(&login.session_token),
            Some(json!({ "domain": DOMAIN, "user_agent": "ua", "authenticator_type": "cross-platform" })),
        )
        .await;
    let creation = options(start.data(), "public_key_credential_creation_options");
    assert_eq!(
        creation["authenticatorSelection"]["authenticatorAttachment"],
        "cross-platform"
    );
    let mut key = Authenticator::rs256();
    let credential = key.create(
        start.data()["public_key_credential_creation_options"]
            .as_str()
            .unwrap(),
        ORIGIN,
    );
    let r = t
        .sdk(
            Method::POST,
            "/webauthn/register",
            Some(&login.session_token),
            Some(json!({ "public_key_credential": credential })),
        )
        .await;
    let registered = r.data();
    assert_eq!(
        registered["user"]["webauthn_registrations"][0]["authenticator_type"],
        "cross-platform"
    );
    assert_eq!(
        registered["user"]["webauthn_registrations"][0]["name"],
        "Security key 1"
    );

    // WebAuthn as the second factor of the email session.
    let start = t
        .sdk(
            Method::POST,
            "/webauthn/authenticate/start/secondary",
            Some(&login.session_token),
            Some(json!({ "domain": DOMAIN })),
        )
        .await;
    let request = start.data()["public_key_credential_request_options"]
        .as_str()
        .unwrap()
        .to_string();
    let request_options: Value = serde_json::from_str(&request).unwrap();
    assert_eq!(start.data()["user_id"], login.user_id);
    assert_eq!(
        request_options["allowCredentials"][0]["id"],
        STANDARD.encode(&key.credential_id)
    );
    let r = finish(&t, Some(&login.session_token), &key.get(&request, ORIGIN)).await;
    let data = r.data();
    assert_eq!(data["session"]["session_id"], login.session_id);
    let kinds: Vec<&str> = data["session"]["authentication_factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["magic_link", "webauthn"]);
}

#[tokio::test]
async fn challenges_are_single_use_and_expire() {
    let t = TestServer::start().await;
    t.freeze_clock();
    let login = t.login("replay@example.com", 60).await;
    let mut passkey = Authenticator::es256();
    let start = t
        .sdk(
            Method::POST,
            "/webauthn/register/start",
            Some(&login.session_token),
            Some(json!({ "domain": DOMAIN, "user_agent": "ua", "return_passkey_credential_options": true })),
        )
        .await;
    let creation = start.data()["public_key_credential_creation_options"]
        .as_str()
        .unwrap()
        .to_string();
    let credential = passkey.create(&creation, ORIGIN);
    let body = json!({ "public_key_credential": credential });
    t.sdk(
        Method::POST,
        "/webauthn/register",
        Some(&login.session_token),
        Some(body.clone()),
    )
    .await
    .data();
    t.sdk(
        Method::POST,
        "/webauthn/register",
        Some(&login.session_token),
        Some(body),
    )
    .await
    .error(400, "no_pending_webauthn_registration");

    // An assertion is accepted once.
    let request = start_primary(&t).await;
    let assertion = passkey.get(&request, ORIGIN);
    finish(&t, None, &assertion).await.data();
    finish(&t, None, &assertion)
        .await
        .error(401, "unable_to_auth_webauthn_registration");
    // A challenge the server never issued.
    let forged = passkey.assert(&[7u8; 32], DOMAIN, ORIGIN);
    finish(&t, None, &forged)
        .await
        .error(401, "unable_to_auth_webauthn_registration");
    // Five minutes, then the ceremony is gone.
    let request = start_primary(&t).await;
    t.advance_clock(301);
    finish(&t, None, &passkey.get(&request, ORIGIN))
        .await
        .error(401, "unable_to_auth_webauthn_registration");
    let request = start_primary(&t).await;
    t.advance_clock(299);
    finish(&t, None, &passkey.get(&request, ORIGIN))
        .await
        .data();
}

#[tokio::test]
async fn an_assertion_signed_by_another_key_is_refused() {
    let t = TestServer::start().await;
    let login = t.login("forger@example.com", 60).await;
    let mut passkey = Authenticator::es256();
    register(&t, &login.session_token, &mut passkey, true).await;

    let genuine_key = std::mem::replace(&mut passkey.key, common::authenticator::Key::es256());
    let request = start_primary(&t).await;
    finish(&t, None, &passkey.get(&request, ORIGIN))
        .await
        .error(401, "unable_to_auth_webauthn_registration");
    // An RSA key claiming the EC credential does not verify either.
    passkey.key = common::authenticator::Key::rs256();
    let request = start_primary(&t).await;
    finish(&t, None, &passkey.get(&request, ORIGIN))
        .await
        .error(401, "unable_to_auth_webauthn_registration");
    // The real key still works.
    passkey.key = genuine_key;
    let request = start_primary(&t).await;
    finish(&t, None, &passkey.get(&request, ORIGIN))
        .await
        .data();
}

#[tokio::test]
async fn wrong_origins_rp_ids_and_domains_are_refused() {
    let t = TestServer::start().await;
    let login = t.login("origin@example.com", 60).await;

    // A domain no authorized origin belongs to.
    t.sdk(
        Method::POST,
        "/webauthn/register/start",
        Some(&login.session_token),
        Some(json!({ "domain": "evil.example", "user_agent": "ua" })),
    )
    .await
    .error(400, "invalid_domain");
    t.sdk(
        Method::POST,
        "/webauthn/authenticate/start/primary",
        None,
        Some(json!({ "domain": "localhost.evil.example" })),
    )
    .await
    .error(400, "invalid_domain");

    let start_register = || async {
        t.sdk(
            Method::POST,
            "/webauthn/register/start",
            Some(&login.session_token),
            Some(json!({ "domain": DOMAIN, "user_agent": "ua", "return_passkey_credential_options": true })),
        )
        .await
        .data()["public_key_credential_creation_options"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let register_with = |credential: String| {
        t.sdk(
            Method::POST,
            "/webauthn/register",
            Some(&login.session_token),
            Some(json!({ "public_key_credential": credential })),
        )
    };

    // An unauthorized origin, and an authorized one of another host.
    let mut passkey = Authenticator::es256();
    for origin in ["https://evil.example", "http://127.0.0.1:5173"] {
        let credential = passkey.create(&start_register().await, origin);
        register_with(credential)
            .await
            .error(401, "unable_to_register_webauthn_registration");
    }
    // Authenticator data for another RP id.
    passkey.rp_id_override = Some("evil.example".into());
    let credential = passkey.create(&start_register().await, ORIGIN);
    register_with(credential)
        .await
        .error(401, "unable_to_register_webauthn_registration");

    // Registered properly, then the same abuses at authentication.
    passkey.rp_id_override = None;
    register_with(passkey.create(&start_register().await, ORIGIN))
        .await
        .data();
    let request = start_primary(&t).await;
    finish(&t, None, &passkey.get(&request, "http://127.0.0.1:5173"))
        .await
        .error(401, "unable_to_auth_webauthn_registration");
    passkey.rp_id_override = Some("evil.example".into());
    let request = start_primary(&t).await;
    finish(&t, None, &passkey.get(&request, ORIGIN))
        .await
        .error(401, "unable_to_auth_webauthn_registration");
}

#[tokio::test]
async fn a_counter_that_does_not_increase_is_refused_and_the_registration_kept() {
    let t = TestServer::start().await;
    let login = t.login("clone@example.com", 60).await;
    let mut passkey = Authenticator::es256();
    let registered = register(&t, &login.session_token, &mut passkey, true).await;
    let registration_id = registered["webauthn_registration_id"].clone();
    let request = start_primary(&t).await;
    finish(&t, None, &passkey.get(&request, ORIGIN))
        .await
        .data(); // counter 2

    // A clone still at counter 1 reports 2 again.
    passkey.sign_count = 1;
    let request = start_primary(&t).await;
    let r = finish(&t, None, &passkey.get(&request, ORIGIN)).await;
    r.error(401, "unable_to_auth_webauthn_registration");
    assert!(r.message().contains("cloned"), "{}", r.text);
    let me = t
        .sdk(Method::GET, "/users/me", Some(&login.session_token), None)
        .await;
    assert_eq!(
        me.data()["webauthn_registrations"][0]["webauthn_registration_id"],
        registration_id
    );
    // The genuine authenticator, further along, still signs in.
    passkey.sign_count = 10;
    let request = start_primary(&t).await;
    finish(&t, None, &passkey.get(&request, ORIGIN))
        .await
        .data();
}

#[tokio::test]
async fn unknown_credentials_and_other_users_credentials_are_not_found() {
    let t = TestServer::start().await;
    let alice = t.login("alice-wa@example.com", 60).await;
    let bob = t.login("bob-wa@example.com", 60).await;
    let mut alice_key = Authenticator::es256();
    register(&t, &alice.session_token, &mut alice_key, true).await;
    let mut bob_key = Authenticator::es256();
    register(&t, &bob.session_token, &mut bob_key, false).await;

    let mut stranger = Authenticator::es256();
    stranger.user_handle = alice.user_id.as_bytes().to_vec();
    let request = start_primary(&t).await;
    finish(&t, None, &stranger.get(&request, ORIGIN))
        .await
        .error(404, "webauthn_registration_not_found");

    // Bob's second-factor ceremony cannot be finished with Alice's passkey.
    let start = t
        .sdk(
            Method::POST,
            "/webauthn/authenticate/start/secondary",
            Some(&bob.session_token),
            Some(json!({ "domain": DOMAIN })),
        )
        .await;
    let request = start.data()["public_key_credential_request_options"]
        .as_str()
        .unwrap()
        .to_string();
    finish(
        &t,
        Some(&bob.session_token),
        &alice_key.get(&request, ORIGIN),
    )
    .await
    .error(404, "webauthn_registration_not_found");

    // A passkey whose userHandle names someone else.
    alice_key.user_handle = bob.user_id.as_bytes().to_vec();
    let request = start_primary(&t).await;
    finish(&t, None, &alice_key.get(&request, ORIGIN))
        .await
        .error(401, "unable_to_auth_webauthn_registration");
    // No userHandle at all (a non-resident credential) is fine.
    alice_key.send_user_handle = false;
    let request = start_primary(&t).await;
    let r = finish(&t, None, &alice_key.get(&request, ORIGIN)).await;
    assert_eq!(r.data()["user_id"], alice.user_id);
}

#[tokio::test]
async fn registration_needs_a_session_and_its_own_challenge() {
    let t = TestServer::start().await;
    t.sdk(
        Method::POST,
        "/webauthn/register/start",
        None,
        Some(json!({ "domain": DOMAIN, "user_agent": "ua" })),
    )
    .await
    .error(401, "unauthorized_credentials");
    t.sdk(
        Method::POST,
        "/webauthn/authenticate/start/secondary",
        None,
        Some(json!({ "domain": DOMAIN })),
    )
    .await
    .error(401, "unauthorized_credentials");

    let alice = t.login("alice-reg@example.com", 60).await;
    let mallory = t.login("mallory-reg@example.com", 60).await;
    let start = t
        .sdk(
            Method::POST,
            "/webauthn/register/start",
            Some(&alice.session_token),
            Some(json!({ "domain": DOMAIN, "user_agent": "ua" })),
        )
        .await;
    let creation = start.data()["public_key_credential_creation_options"]
        .as_str()
        .unwrap()
        .to_string();
    let mut key = Authenticator::es256();
    let credential = key.create(&creation, ORIGIN);
    let body = json!({ "public_key_credential": credential });
    // Mallory cannot attach a key through Alice's ceremony; it stays Alice's.
    t.sdk(
        Method::POST,
        "/webauthn/register",
        Some(&mallory.session_token),
        Some(body.clone()),
    )
    .await
    .error(400, "no_pending_webauthn_registration");
    t.sdk(Method::POST, "/webauthn/register", None, Some(body.clone()))
        .await
        .error(401, "unauthorized_credentials");
    let r = t
        .sdk(
            Method::POST,
            "/webauthn/register",
            Some(&alice.session_token),
            Some(body),
        )
        .await;
    assert_eq!(r.data()["user_id"], alice.user_id);

    // The same authenticator again: excluded in the options, refused if sent.
    let start = t
        .sdk(
            Method::POST,
            "/webauthn/register/start",
            Some(&alice.session_token),
            Some(json!({ "domain": DOMAIN, "user_agent": "ua" })),
        )
        .await;
    let creation_text = start.data()["public_key_credential_creation_options"]
        .as_str()
        .unwrap()
        .to_string();
    let creation: Value = serde_json::from_str(&creation_text).unwrap();
    assert_eq!(
        creation["excludeCredentials"][0]["id"],
        STANDARD.encode(&key.credential_id)
    );
    let again = key.create(&creation_text, ORIGIN);
    t.sdk(
        Method::POST,
        "/webauthn/register",
        Some(&alice.session_token),
        Some(json!({ "public_key_credential": again })),
    )
    .await
    .error(400, "duplicate_webauthn_registration");
}

#[tokio::test]
async fn malformed_input_is_a_clear_400() {
    let t = TestServer::start().await;
    let login = t.login("malformed@example.com", 60).await;
    for credential in [
        json!("not json"),
        json!("{}"),
        json!(
            r#"{"id":"x","rawId":"x","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"AA"}}"#
        ),
    ] {
        t.sdk(
            Method::POST,
            "/webauthn/register",
            Some(&login.session_token),
            Some(json!({ "public_key_credential": credential })),
        )
        .await
        .error(400, "invalid_public_key_credential");
        t.sdk(
            Method::POST,
            "/webauthn/authenticate",
            None,
            Some(json!({ "public_key_credential": credential })),
        )
        .await
        .error(400, "invalid_public_key_credential");
    }
    t.sdk(
        Method::POST,
        "/webauthn/register",
        Some(&login.session_token),
        Some(json!({})),
    )
    .await
    .error(400, "bad_request");
    t.sdk(
        Method::POST,
        "/webauthn/register/start",
        Some(&login.session_token),
        Some(json!({ "domain": DOMAIN, "authenticator_type": "usb" })),
    )
    .await
    .error(400, "invalid_authenticator_type");
    t.sdk(
        Method::POST,
        "/webauthn/register/start",
        Some(&login.session_token),
        Some(json!({ "domain": DOMAIN, "override_id": "x".repeat(65) })),
    )
    .await
    .error(400, "bad_request");
    // A signed-in user without registrations cannot start a second factor.
    t.sdk(
        Method::POST,
        "/webauthn/authenticate/start/secondary",
        Some(&login.session_token),
        Some(json!({ "domain": DOMAIN })),
    )
    .await
    .error(404, "no_active_webauthn_registrations");
}

#[tokio::test]
async fn update_renames_only_the_callers_registration() {
    let t = TestServer::start().await;
    let alice = t.login("alice-name@example.com", 60).await;
    let bob = t.login("bob-name@example.com", 60).await;
    let mut key = Authenticator::es256();
    let registered = register(&t, &alice.session_token, &mut key, true).await;
    let id = registered["webauthn_registration_id"].as_str().unwrap();

    let r = t
        .sdk(
            Method::PUT,
            &format!("/webauthn/update/{id}"),
            Some(&alice.session_token),
            Some(json!({ "name": "  Laptop  " })),
        )
        .await;
    let data = r.data();
    assert_eq!(data["webauthn_registration"]["name"], "Laptop");
    assert_eq!(
        data["webauthn_registration"]["webauthn_registration_id"],
        id
    );
    assert!(data.get("__user").is_none());

    t.sdk(
        Method::PUT,
        &format!("/webauthn/update/{id}"),
        Some(&bob.session_token),
        Some(json!({ "name": "Mine now" })),
    )
    .await
    .error(404, "webauthn_registration_not_found");
    t.sdk(
        Method::PUT,
        &format!("/webauthn/update/{id}"),
        Some(&alice.session_token),
        Some(json!({ "name": " " })),
    )
    .await
    .error(400, "empty_webauthn_registration_name");

    let r = t
        .v1(
            Method::PUT,
            &format!("/webauthn/{id}"),
            Some(json!({ "webauthn_registration_id": id, "name": "Backend name" })),
        )
        .await;
    assert_eq!(r.ok()["webauthn_registration"]["name"], "Backend name");
    let me = t
        .sdk(Method::GET, "/users/me", Some(&alice.session_token), None)
        .await;
    assert_eq!(
        me.data()["webauthn_registrations"][0]["name"],
        "Backend name"
    );
}

#[tokio::test]
async fn the_backend_face_registers_authenticates_and_lists() {
    let t = TestServer::start().await;
    let user = t.create_user("backend-wa@example.com").await;
    let user_id = user["user_id"].as_str().unwrap().to_string();

    t.v1(
        Method::POST,
        "/webauthn/register/start",
        Some(json!({ "domain": DOMAIN })),
    )
    .await
    .error(400, "bad_request");
    let start = t
        .v1(
            Method::POST,
            "/webauthn/register/start",
            Some(json!({
                "user_id": user_id, "domain": DOMAIN, "return_passkey_credential_options": true,
                "use_base64_url_encoding": true, "override_name": "ada", "override_display_name": "Ada L.",
            })),
        )
        .await;
    let creation_text = start.ok()["public_key_credential_creation_options"]
        .as_str()
        .unwrap()
        .to_string();
    let creation: Value = serde_json::from_str(&creation_text).unwrap();
    assert_eq!(creation["user"]["name"], "ada");
    assert_eq!(creation["user"]["displayName"], "Ada L.");
    let mut key = Authenticator::es256();
    let credential = key.create(&creation_text, ORIGIN);
    // Without a duration no session is started.
    let r = t
        .v1(
            Method::POST,
            "/webauthn/register",
            Some(json!({ "user_id": user_id, "public_key_credential": credential, "session_duration_minutes": null })),
        )
        .await;
    let registered = r.ok();
    assert!(registered["session"].is_null());
    assert_eq!(registered["session_token"], "");
    assert_eq!(registered["session_jwt"], "");
    assert_eq!(
        registered["user"]["webauthn_registrations"][0]["user_agent"],
        ""
    );
    let registration_id = registered["webauthn_registration_id"].as_str().unwrap();
    let _: mirror::LoginResponse = mirror::decode(registered);

    let start = t
        .v1(
            Method::POST,
            "/webauthn/authenticate/start",
            Some(json!({ "user_id": user_id, "domain": DOMAIN })),
        )
        .await;
    let request = start.ok()["public_key_credential_request_options"]
        .as_str()
        .unwrap()
        .to_string();
    let r = t
        .v1(
            Method::POST,
            "/webauthn/authenticate",
            Some(json!({ "public_key_credential": key.get(&request, ORIGIN), "session_duration_minutes": 30 })),
        )
        .await;
    let authed = r.ok();
    assert_eq!(authed["user_id"], user_id);
    assert_eq!(
        authed["session"]["authentication_factors"][0]["type"],
        "webauthn"
    );

    let r = t
        .v1(
            Method::GET,
            &format!("/webauthn/credentials/{user_id}/{DOMAIN}"),
            None,
        )
        .await;
    let listed = &r.ok()["credentials"];
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["credential_id"], key.id());
    assert_eq!(listed[0]["webauthn_registration_id"], registration_id);
    assert_eq!(listed[0]["type"], "public-key");
    // The public key is the authenticator's, as DER SubjectPublicKeyInfo.
    let der = STANDARD
        .decode(listed[0]["public_key"].as_str().unwrap())
        .unwrap();
    let public = openssl::pkey::PKey::public_key_from_der(&der).unwrap();
    let ec = public.ec_key().unwrap();
    let mut ctx = openssl::bn::BigNumContext::new().unwrap();
    let point = ec
        .public_key()
        .to_bytes(
            ec.group(),
            openssl::ec::PointConversionForm::UNCOMPRESSED,
            &mut ctx,
        )
        .unwrap();
    let common::authenticator::Key::Es256(signing) = &key.key else {
        unreachable!()
    };
    assert_eq!(
        point,
        signing.verifying_key().to_sec1_point(false).as_bytes()
    );
    let r = t
        .v1(
            Method::GET,
            &format!("/webauthn/credentials/{user_id}/example.com"),
            None,
        )
        .await;
    assert_eq!(r.ok()["credentials"], json!([]));
}

//! Factor deletion on both faces: every path answers with `user_id`, `user`
//! (and `__user` on the frontend), another user's factor is not found, and
//! the frontend keeps the user's last email / phone number / OAuth provider.

mod common;

use common::{authenticator::Authenticator, mirror, Method, TestServer, ORIGIN};
use latchkey_server::store::users;
use serde_json::{json, Value};

async fn add_phone(t: &TestServer, user_id: &str, number: &str) -> String {
    let state = t.state().clone();
    let now = state.now();
    let (user_id, number) = (user_id.to_string(), number.to_string());
    state
        .db
        .tx(move |tx| users::insert_phone(tx, &user_id, &number, true, now))
        .await
        .unwrap()
}

async fn add_provider(t: &TestServer, user_id: &str, subject: &str) -> String {
    let state = t.state().clone();
    let now = state.now();
    let row = users::ProviderRow {
        oauth_user_registration_id: String::new(),
        user_id: user_id.to_string(),
        provider_type: "google".into(),
        provider_subject: subject.into(),
        profile_picture_url: String::new(),
        locale: String::new(),
        email_id: None,
    };
    state
        .db
        .tx(move |tx| users::insert_provider(tx, &row, now))
        .await
        .unwrap()
}

async fn register_passkey(t: &TestServer, session: &str) -> String {
    let start = t
        .sdk(
            Method::POST,
            "/webauthn/register/start",
            Some(session),
            Some(json!({ "domain": "localhost", "user_agent": "ua", "return_passkey_credential_options": true })),
        )
        .await;
    let mut key = Authenticator::es256();
    let credential = key.create(
        start.data()["public_key_credential_creation_options"]
            .as_str()
            .unwrap(),
        ORIGIN,
    );
    t.sdk(
        Method::POST,
        "/webauthn/register",
        Some(session),
        Some(json!({ "public_key_credential": credential })),
    )
    .await
    .data()["webauthn_registration_id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn create_totp(t: &TestServer, session: &str) -> String {
    t.sdk(Method::POST, "/totps", Some(session), Some(json!({})))
        .await
        .data()["totp_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A frontend deletion that succeeded: checks the envelope and returns `data`.
fn deleted(r: &common::Reply, user_id: &str) -> Value {
    let data = r.data().clone();
    assert_eq!(data["user_id"], user_id);
    assert_eq!(data["__user"], data["user"], "__user is the updated user");
    let _: mirror::UsersDeleteFactorResponse = mirror::decode(&data);
    data
}

#[tokio::test]
async fn the_frontend_deletes_each_kind_of_factor_of_its_user() {
    let t = TestServer::start().await;
    let me = t.login("delete-all@example.com", 60).await;
    let phone_id = add_phone(&t, &me.user_id, "+15555550190").await;
    let registration_id = register_passkey(&t, &me.session_token).await;
    let totp_id = create_totp(&t, &me.session_token).await;

    let r = t
        .sdk(
            Method::DELETE,
            &format!("/users/webauthn_registrations/{registration_id}"),
            Some(&me.session_token),
            None,
        )
        .await;
    assert_eq!(
        deleted(&r, &me.user_id)["user"]["webauthn_registrations"],
        json!([])
    );
    let r = t
        .sdk(
            Method::DELETE,
            &format!("/users/totps/{totp_id}"),
            Some(&me.session_token),
            None,
        )
        .await;
    assert_eq!(deleted(&r, &me.user_id)["user"]["totps"], json!([]));
    let r = t
        .sdk(
            Method::DELETE,
            &format!("/users/phone_numbers/{phone_id}"),
            Some(&me.session_token),
            None,
        )
        .await;
    assert_eq!(deleted(&r, &me.user_id)["user"]["phone_numbers"], json!([]));

    // Gone means gone: a second deletion is 404, the TOTP cannot authenticate.
    t.sdk(
        Method::DELETE,
        &format!("/users/totps/{totp_id}"),
        Some(&me.session_token),
        None,
    )
    .await
    .error(404, "totp_not_found");
    t.sdk(
        Method::POST,
        "/totps/authenticate",
        Some(&me.session_token),
        Some(json!({ "totp_code": "123456" })),
    )
    .await
    .error(404, "totp_not_found");
    // A deleted passkey no longer signs in.
    t.sdk(
        Method::DELETE,
        &format!("/users/webauthn_registrations/{registration_id}"),
        Some(&me.session_token),
        None,
    )
    .await
    .error(404, "webauthn_registration_not_found");
}

#[tokio::test]
async fn another_users_factors_are_not_found_on_the_frontend() {
    let t = TestServer::start().await;
    let alice = t.login("alice-f@example.com", 60).await;
    let bob = t.login("bob-f@example.com", 60).await;
    let alice_passkey = register_passkey(&t, &alice.session_token).await;
    let alice_totp = create_totp(&t, &alice.session_token).await;
    let alice_phone = add_phone(&t, &alice.user_id, "+15555550191").await;
    let alice_provider = add_provider(&t, &alice.user_id, "alice-sub").await;

    for (path, error_type) in [
        (
            format!("/users/webauthn_registrations/{alice_passkey}"),
            "webauthn_registration_not_found",
        ),
        (format!("/users/totps/{alice_totp}"), "totp_not_found"),
        (
            format!("/users/phone_numbers/{alice_phone}"),
            "phone_number_not_found",
        ),
        (
            format!("/users/oauth/{alice_provider}"),
            "oauth_user_registration_not_found",
        ),
        (
            format!("/users/emails/{}", alice.email_id),
            "email_not_found",
        ),
    ] {
        t.sdk(Method::DELETE, &path, Some(&bob.session_token), None)
            .await
            .error(404, error_type);
    }
    // Nothing of Alice's was touched.
    let me = t
        .sdk(Method::GET, "/users/me", Some(&alice.session_token), None)
        .await;
    let user = me.data();
    assert_eq!(user["webauthn_registrations"].as_array().unwrap().len(), 1);
    assert_eq!(user["totps"].as_array().unwrap().len(), 1);
    assert_eq!(user["phone_numbers"].as_array().unwrap().len(), 1);
    assert_eq!(user["providers"].as_array().unwrap().len(), 1);
    assert_eq!(user["emails"].as_array().unwrap().len(), 1);
    // Unimplemented kinds are never found.
    for (path, error_type) in [
        (
            "/users/crypto_wallets/crypto-wallet-test-x",
            "crypto_wallet_not_found",
        ),
        (
            "/users/biometric_registrations/biometric-registration-test-x",
            "biometric_registration_not_found",
        ),
    ] {
        t.sdk(Method::DELETE, path, Some(&alice.session_token), None)
            .await
            .error(404, error_type);
    }
}

#[tokio::test]
async fn the_frontend_keeps_the_last_email_phone_or_oauth_provider() {
    let t = TestServer::start().await;
    let me = t.login("last@example.com", 60).await;

    // The only email: refused, and still there.
    let r = t
        .sdk(
            Method::DELETE,
            &format!("/users/emails/{}", me.email_id),
            Some(&me.session_token),
            None,
        )
        .await;
    r.error(400, "cannot_delete_last_primary_factor");
    // A passkey or TOTP does not count as a way back in.
    register_passkey(&t, &me.session_token).await;
    create_totp(&t, &me.session_token).await;
    t.sdk(
        Method::DELETE,
        &format!("/users/emails/{}", me.email_id),
        Some(&me.session_token),
        None,
    )
    .await
    .error(400, "cannot_delete_last_primary_factor");

    // With a phone number the email may go; then the phone is the last one.
    let phone_id = add_phone(&t, &me.user_id, "+15555550192").await;
    let r = t
        .sdk(
            Method::DELETE,
            &format!("/users/emails/{}", me.email_id),
            Some(&me.session_token),
            None,
        )
        .await;
    assert_eq!(deleted(&r, &me.user_id)["user"]["emails"], json!([]));
    t.sdk(
        Method::DELETE,
        &format!("/users/phone_numbers/{phone_id}"),
        Some(&me.session_token),
        None,
    )
    .await
    .error(400, "cannot_delete_last_primary_factor");
    // With an OAuth provider the phone may go; then the provider is the last one.
    let provider_id = add_provider(&t, &me.user_id, "last-sub").await;
    let r = t
        .sdk(
            Method::DELETE,
            &format!("/users/phone_numbers/{phone_id}"),
            Some(&me.session_token),
            None,
        )
        .await;
    deleted(&r, &me.user_id);
    t.sdk(
        Method::DELETE,
        &format!("/users/oauth/{provider_id}"),
        Some(&me.session_token),
        None,
    )
    .await
    .error(400, "cannot_delete_last_primary_factor");
}

#[tokio::test]
async fn the_backend_deletes_every_kind_and_is_not_limited_to_one_user() {
    let t = TestServer::start().await;
    let me = t.login("backend-delete@example.com", 60).await;
    let registration_id = register_passkey(&t, &me.session_token).await;
    let totp_id = create_totp(&t, &me.session_token).await;

    for (path, field) in [
        (
            format!("/users/webauthn_registrations/{registration_id}"),
            "webauthn_registrations",
        ),
        (format!("/users/totps/{totp_id}"), "totps"),
        (format!("/users/emails/{}", me.email_id), "emails"),
    ] {
        let r = t.v1(Method::DELETE, &path, None).await;
        let body = r.ok();
        assert_eq!(body["user_id"], me.user_id);
        assert_eq!(body["user"][field], json!([]), "{path}");
        assert!(body.get("__user").is_none());
        let _: mirror::UsersDeleteFactorResponse = mirror::decode(body);
    }
    t.v1(Method::DELETE, &format!("/users/totps/{totp_id}"), None)
        .await
        .error(404, "totp_not_found");
    t.v1(
        Method::DELETE,
        &format!("/users/webauthn_registrations/{registration_id}"),
        None,
    )
    .await
    .error(404, "webauthn_registration_not_found");
}

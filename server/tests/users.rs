//! Users over real HTTP: `/v1/users` CRUD, `/sdk/v1/users/me`, factor deletion on both faces.

mod common;

use common::{mirror, Method, TestServer};
use latchkey_server::store::users;
use serde_json::{json, Value};

/// How the official client writes ids into paths: every non-alphanumeric
/// character percent-encoded.
fn encode_id(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!("%{:02X}", c as u32)
            }
        })
        .collect()
}

#[tokio::test]
async fn create_returns_the_new_user() {
    let t = TestServer::start().await;
    let r = t
        .v1(
            Method::POST,
            "/users",
            Some(json!({
                "email": " Grace@Example.COM ",
                "phone_number": "+15555550100",
                "name": {"first_name": "Grace", "middle_name": null, "last_name": "Hopper"},
                "trusted_metadata": {"plan": "pro"},
                "untrusted_metadata": null,
                "create_user_as_pending": true,
                "attributes": null,
                "external_id": null,
                "roles": null
            })),
        )
        .await;
    let created: mirror::UsersCreateResponse = mirror::decode(r.ok());
    assert!(created.user_id.starts_with("user-test-"));
    assert!(created.email_id.starts_with("email-test-"));
    assert!(created.phone_id.starts_with("phone-number-test-"));
    assert_eq!(created.status, "pending");
    let user = &r.body["user"];
    assert_eq!(user["emails"][0]["email"], "grace@example.com");
    assert_eq!(user["emails"][0]["verified"], false);
    assert_eq!(user["phone_numbers"][0]["phone_number"], "+15555550100");
    assert_eq!(
        user["name"],
        json!({"first_name": "Grace", "middle_name": "", "last_name": "Hopper"})
    );
    assert_eq!(user["trusted_metadata"], json!({"plan": "pro"}));
    assert_eq!(user["untrusted_metadata"], json!({}));
    assert_eq!(user["password"], Value::Null);
    assert_eq!(user["is_locked"], false);
    for list in [
        "providers",
        "totps",
        "webauthn_registrations",
        "crypto_wallets",
        "biometric_registrations",
        "roles",
    ] {
        assert_eq!(user[list], json!([]), "{list}");
    }
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));

    // Nothing at all is a valid (empty) user.
    let empty = t.v1(Method::POST, "/users", Some(json!({}))).await;
    let empty: mirror::UsersCreateResponse = mirror::decode(empty.ok());
    assert_eq!(empty.email_id, "");
    assert_eq!(empty.phone_id, "");
    assert_eq!(empty.status, "active");
}

#[tokio::test]
async fn create_validates_its_input() {
    let t = TestServer::start().await;
    t.create_user("taken@example.com").await;
    let cases = [
        (
            json!({"email": "TAKEN@example.com"}),
            400,
            "duplicate_email",
        ),
        (json!({"email": "not-an-email"}), 400, "invalid_email"),
        (
            json!({"phone_number": "555-0100"}),
            400,
            "invalid_phone_number",
        ),
        (json!({"email": 42}), 400, "bad_request"),
        (json!({"trusted_metadata": [1, 2]}), 400, "bad_request"),
        (
            json!({"name": {"first_name": "x".repeat(300)}}),
            400,
            "bad_request",
        ),
    ];
    for (body, status, error_type) in cases {
        t.v1(Method::POST, "/users", Some(body))
            .await
            .error(status, error_type);
    }
    t.v1(
        Method::POST,
        "/users",
        Some(json!({"phone_number": "+15555550101"})),
    )
    .await
    .ok();
    t.v1(
        Method::POST,
        "/users",
        Some(json!({"phone_number": "+15555550101"})),
    )
    .await
    .error(400, "duplicate_phone_number");
    // A failed create leaves nothing behind: the email is still free.
    t.v1(
        Method::POST,
        "/users",
        Some(json!({"email": "half@example.com", "phone_number": "+15555550101"})),
    )
    .await
    .error(400, "duplicate_phone_number");
    t.create_user("half@example.com").await;
}

#[tokio::test]
async fn get_accepts_encoded_ids_and_empty_bodies() {
    let t = TestServer::start().await;
    let created = t.create_user("get@example.com").await;
    let user_id = created["user_id"].as_str().unwrap();
    let url = t.url(&format!(
        "/v1/users/{}?user_id={}",
        encode_id(user_id),
        encode_id(user_id)
    ));
    for body in ["{}", "null", ""] {
        let r = t
            .send(
                t.http
                    .get(&url)
                    .header("authorization", t.v1_authorization())
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
        let got: mirror::UsersGetResponse = mirror::decode(r.ok());
        assert_eq!(got.user_id, user_id);
        assert_eq!(got.emails[0].email, "get@example.com");
        assert!(
            r.body.get("user").is_none(),
            "user fields are at the top level"
        );
    }
    t.v1(
        Method::GET,
        "/users/user-test-00000000-0000-4000-8000-000000000000",
        None,
    )
    .await
    .error(404, "user_not_found");
    for bad in [
        "nope",
        "user-test-1234",
        "session-test-00000000-0000-4000-8000-000000000000",
    ] {
        t.v1(Method::GET, &format!("/users/{bad}"), None)
            .await
            .error(400, "invalid_user_id");
    }
}

#[tokio::test]
async fn update_merges_and_ignores_nulls() {
    let t = TestServer::start().await;
    let created = t
        .v1(
            Method::POST,
            "/users",
            Some(json!({
                "email": "update@example.com",
                "name": {"first_name": "Ada", "last_name": "Byron"},
                "trusted_metadata": {"plan": "free", "seats": 1},
                "untrusted_metadata": {"theme": "dark"}
            })),
        )
        .await;
    let user_id = created.ok()["user_id"].as_str().unwrap().to_string();
    let r = t
        .v1(
            Method::PUT,
            &format!("/users/{}", encode_id(&user_id)),
            Some(json!({
                "user_id": user_id,
                "name": {"first_name": null, "middle_name": null, "last_name": "Lovelace"},
                "trusted_metadata": {"plan": "pro", "seats": null},
                "untrusted_metadata": null,
                "attributes": null,
                "external_id": null,
                "roles": null
            })),
        )
        .await;
    let updated: mirror::UsersUpdateResponse = mirror::decode(r.ok());
    assert_eq!(updated.user_id, user_id);
    assert_eq!(updated.emails[0].email, "update@example.com");
    let user = &r.body["user"];
    assert_eq!(user["name"]["first_name"], "Ada");
    assert_eq!(user["name"]["last_name"], "Lovelace");
    assert_eq!(user["trusted_metadata"], json!({"plan": "pro"}));
    assert_eq!(user["untrusted_metadata"], json!({"theme": "dark"}));

    t.v1(
        Method::PUT,
        "/users/user-test-00000000-0000-4000-8000-000000000000",
        Some(json!({"name": {"first_name": "X"}})),
    )
    .await
    .error(404, "user_not_found");
    t.v1(
        Method::PUT,
        &format!("/users/{user_id}"),
        Some(json!({"untrusted_metadata": "dark"})),
    )
    .await
    .error(400, "bad_request");
}

#[tokio::test]
async fn delete_removes_the_user_and_their_sessions() {
    let t = TestServer::start().await;
    let login = t.login("delete@example.com", 60).await;
    let r = t
        .v1(
            Method::DELETE,
            &format!("/users/{}", encode_id(&login.user_id)),
            Some(json!({"user_id": login.user_id})),
        )
        .await;
    let deleted: mirror::UsersDeleteResponse = mirror::decode(r.ok());
    assert_eq!(deleted.user_id, login.user_id);
    t.v1(Method::GET, &format!("/users/{}", login.user_id), None)
        .await
        .error(404, "user_not_found");
    t.sdk(
        Method::POST,
        "/sessions/authenticate",
        Some(&login.session_token),
        None,
    )
    .await
    .error(404, "session_not_found");
    t.v1(Method::DELETE, &format!("/users/{}", login.user_id), None)
        .await
        .error(404, "user_not_found");
    // The address is free again.
    t.create_user("delete@example.com").await;
}

#[tokio::test]
async fn users_me_reads_and_updates_the_signed_in_user() {
    let t = TestServer::start().await;
    let login = t.login("me@example.com", 60).await;
    let r = t
        .sdk(Method::GET, "/users/me", Some(&login.session_token), None)
        .await;
    let data = r.data();
    assert_eq!(data["user_id"], login.user_id);
    assert_eq!(data["emails"][0]["email"], "me@example.com");
    assert_eq!(data["emails"][0]["verified"], true);
    assert!(data.get("__user").is_none(), "a read changes nothing");

    let r = t
        .sdk(
            Method::PUT,
            "/users/me",
            Some(&login.session_token),
            Some(json!({
                "name": {"first_name": "Mae", "last_name": "Jemison"},
                "untrusted_metadata": {"theme": "light"},
                "trusted_metadata": {"admin": true}
            })),
        )
        .await;
    let data = r.data();
    assert_eq!(data["user_id"], login.user_id);
    assert_eq!(data["user"]["name"]["first_name"], "Mae");
    assert_eq!(data["__user"]["name"]["last_name"], "Jemison");
    assert_eq!(
        data["__user"]["untrusted_metadata"],
        json!({"theme": "light"})
    );
    assert_eq!(
        data["__user"]["trusted_metadata"],
        json!({}),
        "the browser cannot write trusted metadata"
    );

    t.sdk(Method::GET, "/users/me", None, None)
        .await
        .error(401, "unauthorized_credentials");
    t.sdk(
        Method::PUT,
        "/users/me",
        None,
        Some(json!({"name": {"first_name": "X"}})),
    )
    .await
    .error(401, "unauthorized_credentials");
}

#[tokio::test]
async fn the_frontend_deletes_only_its_own_factors() {
    let t = TestServer::start().await;
    let me = t.login("factors-me@example.com", 60).await;
    let other = t.login("factors-other@example.com", 60).await;
    let state = t.state().clone();
    let now = state.now();
    let user_id = me.user_id.clone();
    let (second_email, phone_id) = state
        .db
        .tx(move |tx| {
            Ok((
                users::insert_email(tx, &user_id, "second@example.com", true, now)?,
                users::insert_phone(tx, &user_id, "+15555550102", true, now)?,
            ))
        })
        .await
        .unwrap();

    // Someone else's email looks exactly like a missing one.
    t.sdk(
        Method::DELETE,
        &format!("/users/emails/{}", other.email_id),
        Some(&me.session_token),
        None,
    )
    .await
    .error(404, "email_not_found");

    let r = t
        .sdk(
            Method::DELETE,
            &format!("/users/emails/{second_email}"),
            Some(&me.session_token),
            None,
        )
        .await;
    let data = r.data();
    assert_eq!(data["user_id"], me.user_id);
    assert_eq!(data["__user"]["emails"].as_array().unwrap().len(), 1);
    let decoded: mirror::UsersDeleteFactorResponse = mirror::decode(data);
    assert_eq!(decoded.user.emails[0].email, "factors-me@example.com");

    let r = t
        .sdk(
            Method::DELETE,
            &format!("/users/phone_numbers/{}", encode_id(&phone_id)),
            Some(&me.session_token),
            None,
        )
        .await;
    assert_eq!(r.data()["user"]["phone_numbers"], json!([]));

    for (path, error_type) in [
        (
            "/users/phone_numbers/phone-number-test-00000000-0000-4000-8000-000000000000",
            "phone_number_not_found",
        ),
        (
            "/users/oauth/oauth-user-registration-test-x",
            "oauth_user_registration_not_found",
        ),
        ("/users/totps/totp-test-x", "totp_not_found"),
        (
            "/users/webauthn_registrations/webauthn-registration-test-x",
            "webauthn_registration_not_found",
        ),
        (
            "/users/crypto_wallets/crypto-wallet-test-x",
            "crypto_wallet_not_found",
        ),
    ] {
        t.sdk(Method::DELETE, path, Some(&me.session_token), None)
            .await
            .error(404, error_type);
    }
    // Password deletion is a backend-only call.
    t.sdk(
        Method::DELETE,
        "/users/passwords/password-test-x",
        Some(&me.session_token),
        None,
    )
    .await
    .error(404, "not_found");
    t.sdk(
        Method::DELETE,
        &format!("/users/emails/{}", me.email_id),
        None,
        None,
    )
    .await
    .error(401, "unauthorized_credentials");
}

#[tokio::test]
async fn the_backend_deletes_any_users_factors() {
    let t = TestServer::start().await;
    let login = t.login("backend-factors@example.com", 60).await;
    let state = t.state().clone();
    let now = state.now();
    let user_id = login.user_id.clone();
    let password_id = state
        .db
        .tx(move |tx| users::set_password(tx, &user_id, "$argon2id$v=19$placeholder", now))
        .await
        .unwrap();

    let r = t
        .v1(
            Method::DELETE,
            &format!("/users/passwords/{}", encode_id(&password_id)),
            Some(json!({"password_id": password_id})),
        )
        .await;
    let decoded: mirror::UsersDeleteFactorResponse = mirror::decode(r.ok());
    assert!(decoded.user.password.is_none());

    let r = t
        .v1(
            Method::DELETE,
            &format!("/users/emails/{}", login.email_id),
            None,
        )
        .await;
    assert_eq!(r.ok()["user"]["emails"], json!([]));
    t.v1(
        Method::DELETE,
        &format!("/users/emails/{}", login.email_id),
        None,
    )
    .await
    .error(404, "email_not_found");
    t.v1(
        Method::DELETE,
        "/users/biometric_registrations/biometric-registration-test-x",
        None,
    )
    .await
    .error(404, "biometric_registration_not_found");
}

//! `/v1/users` through the official client: create, get, update, factor
//! deletion, delete; and the error bodies the client decodes.

use latchkey_conformance::{email, expect_error, ok, Conformance};
use serde_json::json;
use stytch::consumer::users;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_get_update_delete() {
    let t = Conformance::start().await;
    let address = email("ada");

    let created = ok(
        "users.create",
        t.client
            .users
            .create(users::CreateRequest {
                email: Some(address.clone()),
                phone_number: Some("+15555550100".into()),
                name: Some(users::Name {
                    first_name: Some("Ada".into()),
                    middle_name: None,
                    last_name: Some("Lovelace".into()),
                }),
                trusted_metadata: Some(json!({"plan": "pro"})),
                untrusted_metadata: Some(json!({"theme": "dark"})),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(created.status_code.as_u16(), 200);
    assert!(created.user_id.starts_with("user-test-"), "{created:?}");
    assert!(created.email_id.starts_with("email-test-"), "{created:?}");
    assert!(
        created.phone_id.starts_with("phone-number-test-"),
        "{created:?}"
    );
    assert_eq!(created.status, "active");
    assert_eq!(created.user.user_id, created.user_id);
    assert_eq!(created.user.emails.len(), 1);
    assert_eq!(created.user.emails[0].email, address);
    assert!(!created.user.emails[0].verified);
    assert_eq!(created.user.phone_numbers[0].phone_number, "+15555550100");
    assert!(!created.user.is_locked);
    assert!(created.user.password.is_none());
    assert!(created.user.created_at.is_some());
    assert_eq!(created.user.trusted_metadata, Some(json!({"plan": "pro"})));

    let got = ok(
        "users.get",
        t.client
            .users
            .get(users::GetRequest {
                user_id: created.user_id.clone(),
            })
            .await,
    );
    assert_eq!(got.user_id, created.user_id);
    assert_eq!(got.status, "active");
    assert_eq!(got.emails[0].email_id, created.email_id);
    assert_eq!(got.phone_numbers[0].phone_id, created.phone_id);
    let name = got.name.clone().expect("a name");
    assert_eq!(name.first_name.as_deref(), Some("Ada"));
    assert_eq!(name.last_name.as_deref(), Some("Lovelace"));
    assert!(got.providers.is_empty() && got.totps.is_empty() && got.roles.is_empty());
    assert_eq!(got.untrusted_metadata, Some(json!({"theme": "dark"})));
    assert_eq!(got.created_at, created.user.created_at);

    // Update: a name part replaces, metadata merges at the top level (null deletes).
    let updated = ok(
        "users.update",
        t.client
            .users
            .update(users::UpdateRequest {
                user_id: created.user_id.clone(),
                name: Some(users::Name {
                    first_name: Some("Augusta".into()),
                    ..Default::default()
                }),
                trusted_metadata: Some(json!({"plan": null, "tier": 2})),
                untrusted_metadata: Some(json!({"lang": "en"})),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(updated.user_id, created.user_id);
    assert_eq!(updated.emails.len(), 1);
    assert_eq!(updated.phone_numbers.len(), 1);
    assert!(updated.crypto_wallets.is_empty());
    let name = updated.user.name.clone().expect("a name");
    assert_eq!(name.first_name.as_deref(), Some("Augusta"));
    assert_eq!(name.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(updated.user.trusted_metadata, Some(json!({"tier": 2})));
    assert_eq!(
        updated.user.untrusted_metadata,
        Some(json!({"theme": "dark", "lang": "en"}))
    );

    // Factor deletion returns the user without the factor.
    let without_phone = ok(
        "users.delete_phone_number",
        t.client
            .users
            .delete_phone_number(users::DeletePhoneNumberRequest {
                phone_id: created.phone_id.clone(),
            })
            .await,
    );
    assert_eq!(without_phone.user_id, created.user_id);
    assert!(without_phone.user.phone_numbers.is_empty());
    let without_email = ok(
        "users.delete_email",
        t.client
            .users
            .delete_email(users::DeleteEmailRequest {
                email_id: created.email_id.clone(),
            })
            .await,
    );
    assert!(without_email.user.emails.is_empty());
    expect_error(
        t.client
            .users
            .delete_email(users::DeleteEmailRequest {
                email_id: created.email_id.clone(),
            })
            .await,
        404,
        "email_not_found",
    );

    let deleted = ok(
        "users.delete",
        t.client
            .users
            .delete(users::DeleteRequest {
                user_id: created.user_id.clone(),
            })
            .await,
    );
    assert_eq!(deleted.user_id, created.user_id);
    expect_error(
        t.client
            .users
            .get(users::GetRequest {
                user_id: created.user_id.clone(),
            })
            .await,
        404,
        "user_not_found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_user() {
    let t = Conformance::start().await;
    let created = ok(
        "users.create",
        t.client
            .users
            .create(users::CreateRequest {
                email: Some(email("pending")),
                create_user_as_pending: Some(true),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(created.status, "pending");
    assert_eq!(created.phone_id, "");
    assert_eq!(created.user.status, "pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_decode_into_the_official_error_type() {
    let t = Conformance::start().await;
    let address = email("dup");
    ok(
        "users.create",
        t.client
            .users
            .create(users::CreateRequest {
                email: Some(address.clone()),
                ..Default::default()
            })
            .await,
    );

    expect_error(
        t.client
            .users
            .create(users::CreateRequest {
                email: Some(address.to_uppercase()),
                ..Default::default()
            })
            .await,
        400,
        "duplicate_email",
    );
    expect_error(
        t.client
            .users
            .create(users::CreateRequest {
                email: Some("not-an-email".into()),
                ..Default::default()
            })
            .await,
        400,
        "invalid_email",
    );
    expect_error(
        t.client
            .users
            .create(users::CreateRequest {
                phone_number: Some("555-0100".into()),
                ..Default::default()
            })
            .await,
        400,
        "invalid_phone_number",
    );
    expect_error(
        t.client
            .users
            .get(users::GetRequest {
                user_id: "user-test-00000000-0000-4000-8000-000000000000".into(),
            })
            .await,
        404,
        "user_not_found",
    );
    expect_error(
        t.client
            .users
            .get(users::GetRequest {
                user_id: "not-a-user-id".into(),
            })
            .await,
        400,
        "invalid_user_id",
    );
    expect_error(
        t.client
            .users
            .delete_phone_number(users::DeletePhoneNumberRequest {
                phone_id: "phone-number-test-00000000-0000-4000-8000-000000000000".into(),
            })
            .await,
        404,
        "phone_number_not_found",
    );

    // Wrong secret, and the public token in place of the secret.
    let wrong = t.client_with(&t.creds.project_id, "secret-test-wrong");
    expect_error(
        wrong
            .users
            .get(users::GetRequest {
                user_id: "user-test-00000000-0000-4000-8000-000000000000".into(),
            })
            .await,
        401,
        "unauthorized_credentials",
    );
    let public = t.client_with(&t.creds.project_id, &t.creds.public_token);
    expect_error(
        public
            .users
            .create(users::CreateRequest {
                email: Some(email("public")),
                ..Default::default()
            })
            .await,
        401,
        "unauthorized_credentials",
    );

    // Injected faults: the official client decodes them too.
    for (status, error_type) in [(503, "internal_server_error"), (429, "too_many_requests")] {
        let response = t
            .plain
            .post(t.url("/dev/faults"))
            .json(&json!({"path_prefix": "/v1/users", "count": 1, "status": status}))
            .send()
            .await
            .expect("POST /dev/faults");
        assert!(response.status().is_success());
        expect_error(
            t.client
                .users
                .create(users::CreateRequest {
                    email: Some(email("fault")),
                    ..Default::default()
                })
                .await,
            status,
            error_type,
        );
    }
}

/// Official calls outside protocol.md's surface (user search, invites) are
/// not implemented; they must still answer with an error body the client
/// decodes, never something it chokes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unimplemented_official_calls_fail_cleanly() {
    let t = Conformance::start().await;
    let search = t.client.users.search(users::SearchRequest::default()).await;
    match search {
        // `/v1/users/{user_id}` takes the path: 405 method_not_allowed.
        Err(stytch::Error::Response(err)) => {
            assert!(err.status_code.is_client_error(), "{err:?}")
        }
        other => panic!("users.search: expected a decoded 4xx, got {other:?}"),
    }
    let invite = t
        .client
        .magic_links
        .email
        .invite(stytch::consumer::magic_links_email::InviteRequest {
            email: email("invite"),
            ..Default::default()
        })
        .await;
    match invite {
        Err(stytch::Error::Response(err)) => assert_eq!(err.status_code.as_u16(), 404, "{err:?}"),
        other => panic!("magic_links.email.invite: expected a decoded 404, got {other:?}"),
    }
}

/// The project's RBAC policy through the official client (`rbac.policy`):
/// the predefined consumer role, in the crate's `Policy` shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rbac_policy_decodes() {
    let t = Conformance::start().await;
    let got = ok(
        "rbac.policy",
        t.client
            .rbac
            .policy(stytch::consumer::rbac::PolicyRequest {})
            .await,
    );
    let policy = got.policy.expect("a policy");
    assert_eq!(policy.roles.len(), 1);
    assert_eq!(policy.roles[0].role_id, "stytch_user");
    assert!(policy.resources.is_empty() && policy.scopes.is_empty());
}

//! WebAuthn through the official client: register_start → the software
//! authenticator of `server/tests/common` (real P-256 key) → register,
//! authenticate_start → authenticate (passkey and per-user), update,
//! list_credentials, users.delete_webauthn_registration, and the errors.

#[path = "../../server/tests/common/authenticator.rs"]
mod authenticator;

use authenticator::Authenticator;
use latchkey_conformance::{email, expect_error, ok, Conformance, APP};
use stytch::consumer::{sessions, users, webauthn};

const DOMAIN: &str = "localhost";

async fn register(
    t: &Conformance,
    user_id: &str,
    key: &mut Authenticator,
) -> webauthn::RegisterResponse {
    let start = ok(
        "webauthn.register_start",
        t.client
            .webauthn
            .register_start(webauthn::RegisterStartRequest {
                user_id: user_id.to_string(),
                domain: DOMAIN.into(),
                user_agent: Some("conformance".into()),
                return_passkey_credential_options: Some(true),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(start.user_id, user_id);
    let credential = key.create(&start.public_key_credential_creation_options, APP);
    ok(
        "webauthn.register",
        t.client
            .webauthn
            .register(webauthn::RegisterRequest {
                user_id: user_id.to_string(),
                public_key_credential: credential,
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_authenticate_update_list_and_delete() {
    let t = Conformance::start().await;
    let user = t.sign_up(&email("webauthn")).await;
    let mut key = Authenticator::es256();
    let registered = register(&t, &user.user_id, &mut key).await;
    assert_eq!(registered.status_code.as_u16(), 200);
    assert!(registered
        .webauthn_registration_id
        .starts_with("webauthn-registration-test-"));
    let registration = &registered.user.webauthn_registrations[0];
    assert_eq!(
        registration.webauthn_registration_id,
        registered.webauthn_registration_id
    );
    assert_eq!(registration.domain, DOMAIN);
    assert_eq!(registration.user_agent, "conformance");
    assert!(registration.verified);
    let session = registered.session.clone().expect("a session");
    let factor = &session.authentication_factors[0];
    assert!(matches!(
        factor.type_,
        sessions::AuthenticationFactorType::WebAuthn
    ));
    assert!(matches!(
        factor.delivery_method,
        sessions::AuthenticationFactorDeliveryMethod::WebAuthnRegistration
    ));
    let webauthn_factor = factor.webauthn_factor.clone().expect("webauthn_factor");
    assert_eq!(
        webauthn_factor.webauthn_registration_id,
        registered.webauthn_registration_id
    );
    assert_eq!(webauthn_factor.domain, DOMAIN);

    // A passkey sign-in: no user_id at start, base64url options on request.
    let start = ok(
        "webauthn.authenticate_start",
        t.client
            .webauthn
            .authenticate_start(webauthn::AuthenticateStartRequest {
                domain: DOMAIN.into(),
                return_passkey_credential_options: Some(true),
                use_base64_url_encoding: Some(true),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(start.user_id, "");
    let assertion = key.get(&start.public_key_credential_request_options, APP);
    let authed = ok(
        "webauthn.authenticate",
        t.client
            .webauthn
            .authenticate(webauthn::AuthenticateRequest {
                public_key_credential: assertion.clone(),
                session_duration_minutes: Some(30),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(authed.user_id, user.user_id);
    assert_eq!(
        authed.webauthn_registration_id,
        registered.webauthn_registration_id
    );
    assert!(!authed.session_token.is_empty());
    // Replayed: the challenge was used.
    expect_error(
        t.client
            .webauthn
            .authenticate(webauthn::AuthenticateRequest {
                public_key_credential: assertion,
                ..Default::default()
            })
            .await,
        401,
        "unable_to_auth_webauthn_registration",
    );

    // The user's own credentials, extending the user's session; no duration, no new session.
    let start = ok(
        "webauthn.authenticate_start(user_id)",
        t.client
            .webauthn
            .authenticate_start(webauthn::AuthenticateStartRequest {
                domain: DOMAIN.into(),
                user_id: Some(user.user_id.clone()),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(start.user_id, user.user_id);
    let authed = ok(
        "webauthn.authenticate(session_token)",
        t.client
            .webauthn
            .authenticate(webauthn::AuthenticateRequest {
                public_key_credential: key.get(&start.public_key_credential_request_options, APP),
                session_token: Some(user.session_token.clone()),
                ..Default::default()
            })
            .await,
    );
    let session = authed.session.expect("the extended session");
    assert_eq!(session.session_id, user.session.clone().unwrap().session_id);
    assert_eq!(session.authentication_factors.len(), 2);

    let updated = ok(
        "webauthn.update",
        t.client
            .webauthn
            .update(webauthn::UpdateRequest {
                webauthn_registration_id: registered.webauthn_registration_id.clone(),
                name: "Work laptop".into(),
            })
            .await,
    );
    assert_eq!(
        updated
            .webauthn_registration
            .expect("the registration")
            .name,
        "Work laptop"
    );

    let listed = ok(
        "webauthn.list_credentials",
        t.client
            .webauthn
            .list_credentials(webauthn::ListCredentialsRequest {
                user_id: user.user_id.clone(),
                domain: DOMAIN.into(),
            })
            .await,
    );
    assert_eq!(listed.credentials.len(), 1);
    assert_eq!(listed.credentials[0].credential_id, key.id());
    assert_eq!(listed.credentials[0].type_, "public-key");
    assert!(!listed.credentials[0].public_key.is_empty());

    let deleted = ok(
        "users.delete_webauthn_registration",
        t.client
            .users
            .delete_webauthn_registration(users::DeleteWebAuthnRegistrationRequest {
                webauthn_registration_id: registered.webauthn_registration_id.clone(),
            })
            .await,
    );
    assert!(deleted.user.webauthn_registrations.is_empty());
    expect_error(
        t.client
            .webauthn
            .authenticate_start(webauthn::AuthenticateStartRequest {
                domain: DOMAIN.into(),
                user_id: Some(user.user_id.clone()),
                ..Default::default()
            })
            .await,
        404,
        "no_active_webauthn_registrations",
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_decode_in_the_official_client() {
    let t = Conformance::start().await;
    let user = t.sign_up(&email("webauthn-errors")).await;
    expect_error(
        t.client
            .webauthn
            .register_start(webauthn::RegisterStartRequest {
                user_id: user.user_id.clone(),
                domain: "evil.example".into(),
                ..Default::default()
            })
            .await,
        400,
        "invalid_domain",
    );
    expect_error(
        t.client
            .webauthn
            .register(webauthn::RegisterRequest {
                user_id: user.user_id.clone(),
                public_key_credential: "{}".into(),
                ..Default::default()
            })
            .await,
        400,
        "invalid_public_key_credential",
    );
    expect_error(
        t.client
            .webauthn
            .update(webauthn::UpdateRequest {
                webauthn_registration_id:
                    "webauthn-registration-test-00000000-0000-4000-8000-000000000000".into(),
                name: "x".into(),
            })
            .await,
        404,
        "webauthn_registration_not_found",
    );
    // A credential from another origin does not register.
    let start = ok(
        "webauthn.register_start",
        t.client
            .webauthn
            .register_start(webauthn::RegisterStartRequest {
                user_id: user.user_id.clone(),
                domain: DOMAIN.into(),
                ..Default::default()
            })
            .await,
    );
    let mut key = Authenticator::es256();
    expect_error(
        t.client
            .webauthn
            .register(webauthn::RegisterRequest {
                user_id: user.user_id.clone(),
                public_key_credential: key.create(
                    &start.public_key_credential_creation_options,
                    "https://evil.example",
                ),
                ..Default::default()
            })
            .await,
        401,
        "unable_to_register_webauthn_registration",
    );
    t.stop().await;
}

//! `/v1/passwords` through the official client: create, authenticate,
//! strength_check, and the three resets (email link from the outbox,
//! existing password, session).

use latchkey_conformance::{
    email, expect_error, ok, pkce_pair, Conformance, OTHER_STRONG_PASSWORD, RESET_URL,
    STRONG_PASSWORD,
};
use stytch::consumer::{
    passwords, passwords_email, passwords_existing_password, passwords_session,
};

fn authenticate(address: &str, password: &str) -> passwords::AuthenticateRequest {
    passwords::AuthenticateRequest {
        email: address.to_string(),
        password: password.to_string(),
        session_duration_minutes: Some(60),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strength_check() {
    let t = Conformance::start().await;
    let strong = ok(
        "passwords.strength_check(strong)",
        t.client
            .passwords
            .strength_check(passwords::StrengthCheckRequest {
                password: STRONG_PASSWORD.into(),
                email: Some(email("strength")),
            })
            .await,
    );
    assert!(strong.valid_password, "{strong:?}");
    assert!(strong.score >= 3, "{strong:?}");
    assert!(!strong.breached_password);
    assert_eq!(strong.strength_policy, "zxcvbn");
    assert!(strong.breach_detection_on_create);
    let feedback = strong.feedback.expect("feedback");
    assert_eq!(feedback.warning, "");
    assert!(feedback.suggestions.is_empty());

    let breached = ok(
        "passwords.strength_check(breached)",
        t.client
            .passwords
            .strength_check(passwords::StrengthCheckRequest {
                password: "password".into(),
                email: None,
            })
            .await,
    );
    assert!(!breached.valid_password);
    assert!(breached.breached_password);
    assert!(breached.score <= 1, "{breached:?}");

    let weak = ok(
        "passwords.strength_check(weak)",
        t.client
            .passwords
            .strength_check(passwords::StrengthCheckRequest {
                password: "lovelace1815".into(),
                email: Some("ada.lovelace@example.com".into()),
            })
            .await,
    );
    assert!(!weak.valid_password, "{weak:?}");
    let feedback = weak.feedback.expect("feedback");
    assert!(
        !feedback.warning.is_empty() || !feedback.suggestions.is_empty(),
        "a weak password gets feedback: {feedback:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_authenticate() {
    let t = Conformance::start().await;
    let address = email("pw");

    let created = ok(
        "passwords.create",
        t.client
            .passwords
            .create(passwords::CreateRequest {
                email: address.clone(),
                password: STRONG_PASSWORD.into(),
                session_duration_minutes: Some(60),
                name: Some(stytch::consumer::users::Name {
                    first_name: Some("Grace".into()),
                    ..Default::default()
                }),
                untrusted_metadata: Some(serde_json::json!({"source": "conformance"})),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(created.status_code.as_u16(), 200);
    assert!(created.user_id.starts_with("user-test-"));
    assert!(created.email_id.starts_with("email-test-"));
    assert_eq!(created.session_token.len(), 44);
    assert_eq!(created.session_jwt.split('.').count(), 3);
    let session = created.session.clone().expect("a session");
    assert_eq!(session.user_id, created.user_id);
    let password = created.user.password.clone().expect("user.password");
    assert!(!password.requires_reset);
    assert_eq!(created.user.emails[0].email, address);
    assert_eq!(
        created
            .user
            .name
            .as_ref()
            .and_then(|n| n.first_name.as_deref()),
        Some("Grace")
    );

    // Sign in: a new session. Case and spaces of the email do not matter.
    let signed_in = ok(
        "passwords.authenticate",
        t.client
            .passwords
            .authenticate(authenticate(
                &format!("  {}  ", address.to_uppercase()),
                STRONG_PASSWORD,
            ))
            .await,
    );
    assert_eq!(signed_in.user_id, created.user_id);
    let new_session = signed_in.session.clone().expect("a session");
    assert_ne!(new_session.session_id, session.session_id);
    assert!(matches!(
        new_session.authentication_factors[0].type_,
        stytch::consumer::sessions::AuthenticationFactorType::Password
    ));

    // With the caller's session: that session is extended, not a new one.
    let extended = ok(
        "passwords.authenticate(session_token)",
        t.client
            .passwords
            .authenticate(passwords::AuthenticateRequest {
                session_token: Some(created.session_token.clone()),
                ..authenticate(&address, STRONG_PASSWORD)
            })
            .await,
    );
    assert_eq!(
        extended.session.expect("a session").session_id,
        session.session_id
    );
    assert_eq!(extended.session_token, created.session_token);

    // Without a duration: no session (session null, tokens "").
    let bare = ok(
        "passwords.authenticate(no duration)",
        t.client
            .passwords
            .authenticate(passwords::AuthenticateRequest {
                session_duration_minutes: None,
                ..authenticate(&address, STRONG_PASSWORD)
            })
            .await,
    );
    assert!(bare.session.is_none());
    assert_eq!(
        (bare.session_token.as_str(), bare.session_jwt.as_str()),
        ("", "")
    );

    // Errors.
    expect_error(
        t.client
            .passwords
            .authenticate(authenticate(&address, OTHER_STRONG_PASSWORD))
            .await,
        401,
        "unauthorized_credentials",
    );
    expect_error(
        t.client
            .passwords
            .authenticate(authenticate(&email("nobody"), STRONG_PASSWORD))
            .await,
        401,
        "unauthorized_credentials",
    );
    expect_error(
        t.client
            .passwords
            .authenticate(authenticate("not-an-email", STRONG_PASSWORD))
            .await,
        400,
        "invalid_email",
    );
    expect_error(
        t.client
            .passwords
            .create(passwords::CreateRequest {
                email: address.clone(),
                password: OTHER_STRONG_PASSWORD.into(),
                ..Default::default()
            })
            .await,
        400,
        "duplicate_email",
    );
    expect_error(
        t.client
            .passwords
            .create(passwords::CreateRequest {
                email: email("weak"),
                password: "lovelace1815".into(),
                ..Default::default()
            })
            .await,
        400,
        "weak_password",
    );
    expect_error(
        t.client
            .passwords
            .create(passwords::CreateRequest {
                email: email("breached"),
                password: "p@ssw0rd".into(),
                ..Default::default()
            })
            .await,
        400,
        "breached_password",
    );
    expect_error(
        t.client
            .passwords
            .create(passwords::CreateRequest {
                email: email("duration"),
                password: STRONG_PASSWORD.into(),
                session_duration_minutes: Some(4),
                ..Default::default()
            })
            .await,
        400,
        "invalid_session_duration_minutes",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_by_email_link_from_the_outbox() {
    let t = Conformance::start().await;
    let address = email("reset");
    let created = t.sign_up(&address).await;

    let started = ok(
        "passwords.email.reset_start",
        t.client
            .passwords
            .email
            .reset_start(passwords_email::ResetStartRequest {
                email: address.clone(),
                reset_password_redirect_url: Some(RESET_URL.into()),
                reset_password_expiration_minutes: Some(30),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(started.user_id, created.user_id);
    assert_eq!(started.email_id, created.email_id);
    let message = t.last_message(&address).await;
    assert_eq!(message["channel"], "email");
    let link = message["link"].as_str().expect("a link");
    assert!(link.starts_with(&format!("{RESET_URL}?")), "{link}");
    let token = t.last_link_token(&address, "reset_password").await;

    let reset = ok(
        "passwords.email.reset",
        t.client
            .passwords
            .email
            .reset(passwords_email::ResetRequest {
                token: token.clone(),
                password: OTHER_STRONG_PASSWORD.into(),
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(reset.user_id, created.user_id);
    assert!(reset.session.is_some());
    assert!(reset.user.emails[0].verified, "the link proved the inbox");

    // The new password works, the old one does not, the link is spent.
    ok(
        "passwords.authenticate(new)",
        t.client
            .passwords
            .authenticate(authenticate(&address, OTHER_STRONG_PASSWORD))
            .await,
    );
    expect_error(
        t.client
            .passwords
            .authenticate(authenticate(&address, STRONG_PASSWORD))
            .await,
        401,
        "unauthorized_credentials",
    );
    expect_error(
        t.client
            .passwords
            .email
            .reset(passwords_email::ResetRequest {
                token,
                password: STRONG_PASSWORD.into(),
                ..Default::default()
            })
            .await,
        401,
        "unable_to_auth_magic_link",
    );
    expect_error(
        t.client
            .passwords
            .email
            .reset(passwords_email::ResetRequest {
                token: "x".repeat(44),
                password: STRONG_PASSWORD.into(),
                ..Default::default()
            })
            .await,
        404,
        "magic_link_not_found",
    );
    expect_error(
        t.client
            .passwords
            .email
            .reset_start(passwords_email::ResetStartRequest {
                email: email("unknown"),
                reset_password_redirect_url: Some(RESET_URL.into()),
                ..Default::default()
            })
            .await,
        404,
        "email_not_found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_by_email_with_pkce() {
    let t = Conformance::start().await;
    let address = email("pkce");
    t.sign_up(&address).await;
    let (verifier, challenge) = pkce_pair();
    ok(
        "passwords.email.reset_start(code_challenge)",
        t.client
            .passwords
            .email
            .reset_start(passwords_email::ResetStartRequest {
                email: address.clone(),
                reset_password_redirect_url: Some(RESET_URL.into()),
                code_challenge: Some(challenge),
                ..Default::default()
            })
            .await,
    );
    let token = t.last_link_token(&address, "reset_password").await;
    let reset = |code_verifier: Option<String>| passwords_email::ResetRequest {
        token: token.clone(),
        password: OTHER_STRONG_PASSWORD.into(),
        session_duration_minutes: Some(60),
        code_verifier,
        ..Default::default()
    };
    expect_error(
        t.client.passwords.email.reset(reset(None)).await,
        400,
        "pkce_mismatch",
    );
    expect_error(
        t.client
            .passwords
            .email
            .reset(reset(Some(pkce_pair().0)))
            .await,
        400,
        "pkce_mismatch",
    );
    // A mismatch leaves the link usable.
    let done = ok(
        "passwords.email.reset(code_verifier)",
        t.client.passwords.email.reset(reset(Some(verifier))).await,
    );
    assert!(done.session.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_by_existing_password_and_by_session() {
    let t = Conformance::start().await;
    let address = email("existing");
    let created = t.sign_up(&address).await;

    let reset = ok(
        "passwords.existing_password.reset",
        t.client
            .passwords
            .existing_password
            .reset(passwords_existing_password::ResetRequest {
                email: address.clone(),
                existing_password: STRONG_PASSWORD.into(),
                new_password: OTHER_STRONG_PASSWORD.into(),
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(reset.user_id, created.user_id);
    let session = reset.session.clone().expect("a session");
    // Every other session of the user was revoked.
    expect_error(
        t.client
            .sessions
            .authenticate(stytch::consumer::sessions::AuthenticateRequest {
                session_token: Some(created.session_token.clone()),
                ..Default::default()
            })
            .await,
        404,
        "session_not_found",
    );
    expect_error(
        t.client
            .passwords
            .existing_password
            .reset(passwords_existing_password::ResetRequest {
                email: address.clone(),
                existing_password: STRONG_PASSWORD.into(),
                new_password: "another-violet-harbor-58".into(),
                ..Default::default()
            })
            .await,
        401,
        "unauthorized_credentials",
    );

    // By session: the session just started by the reset has a fresh password factor.
    let by_session = ok(
        "passwords.sessions.reset",
        t.client
            .passwords
            .sessions
            .reset(passwords_session::ResetRequest {
                password: STRONG_PASSWORD.into(),
                session_token: Some(reset.session_token.clone()),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(by_session.user_id, created.user_id);
    assert_eq!(
        by_session.session.expect("a session").session_id,
        session.session_id
    );
    ok(
        "passwords.authenticate(after session reset)",
        t.client
            .passwords
            .authenticate(authenticate(&address, STRONG_PASSWORD))
            .await,
    );
    expect_error(
        t.client
            .passwords
            .sessions
            .reset(passwords_session::ResetRequest {
                password: OTHER_STRONG_PASSWORD.into(),
                session_token: Some("x".repeat(44)),
                ..Default::default()
            })
            .await,
        404,
        "session_not_found",
    );
    expect_error(
        t.client
            .passwords
            .sessions
            .reset(passwords_session::ResetRequest {
                password: OTHER_STRONG_PASSWORD.into(),
                ..Default::default()
            })
            .await,
        400,
        "bad_request",
    );
}

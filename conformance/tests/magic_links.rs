//! Email magic links through the official client: login_or_create and send,
//! the link read from `GET /dev/outbox`, then `magic_links.authenticate`.

use latchkey_conformance::{
    email, expect_error, ok, pkce_pair, Conformance, LOGIN_URL, SIGNUP_URL, STRONG_PASSWORD,
};
use stytch::consumer::{magic_links, magic_links_email, passwords, sessions, users};

fn login_or_create(address: &str) -> magic_links_email::LoginOrCreateRequest {
    magic_links_email::LoginOrCreateRequest {
        email: address.to_string(),
        login_magic_link_url: Some(LOGIN_URL.into()),
        signup_magic_link_url: Some(SIGNUP_URL.into()),
        ..Default::default()
    }
}

fn authenticate(token: &str) -> magic_links::AuthenticateRequest {
    magic_links::AuthenticateRequest {
        token: token.to_string(),
        session_duration_minutes: Some(60),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_or_create_then_authenticate() {
    let t = Conformance::start().await;
    let address = email("ml");

    // A new address: a user is created, the signup link is emailed.
    let sent = ok(
        "magic_links.email.login_or_create",
        t.client
            .magic_links
            .email
            .login_or_create(login_or_create(&address))
            .await,
    );
    assert_eq!(sent.status_code.as_u16(), 200);
    assert!(sent.user_created);
    assert!(sent.user_id.starts_with("user-test-"));
    assert!(sent.email_id.starts_with("email-test-"));
    let message = t.last_message(&address).await;
    assert_eq!(message["channel"], "email");
    assert!(
        message["link"].as_str().unwrap().starts_with(SIGNUP_URL),
        "{message}"
    );
    let token = t.last_link_token(&address, "magic_links").await;

    let authed = ok(
        "magic_links.authenticate",
        t.client
            .magic_links
            .authenticate(authenticate(&token))
            .await,
    );
    assert_eq!(authed.status_code.as_u16(), 200);
    assert_eq!(authed.user_id, sent.user_id);
    assert_eq!(authed.method_id, sent.email_id);
    assert!(!authed.reset_sessions);
    assert_eq!(authed.user.status, "active");
    assert!(authed.user.emails[0].verified);
    assert_eq!(authed.session_token.len(), 44);
    let session = authed.session.clone().expect("a session");
    let factor = &session.authentication_factors[0];
    assert!(matches!(
        factor.type_,
        sessions::AuthenticationFactorType::MagicLink
    ));
    assert!(matches!(
        factor.delivery_method,
        sessions::AuthenticationFactorDeliveryMethod::Email
    ));
    assert_eq!(
        factor.email_factor.as_ref().map(|f| f.email_id.as_str()),
        Some(sent.email_id.as_str())
    );
    // The session is real.
    ok(
        "sessions.authenticate",
        t.client
            .sessions
            .authenticate(sessions::AuthenticateRequest {
                session_token: Some(authed.session_token.clone()),
                ..Default::default()
            })
            .await,
    );

    // Single use; unknown tokens are not found.
    expect_error(
        t.client
            .magic_links
            .authenticate(authenticate(&token))
            .await,
        401,
        "unable_to_auth_magic_link",
    );
    expect_error(
        t.client
            .magic_links
            .authenticate(authenticate(&"x".repeat(44)))
            .await,
        404,
        "magic_link_not_found",
    );

    // The same address again: a login link for the existing user.
    let again = ok(
        "magic_links.email.login_or_create(existing)",
        t.client
            .magic_links
            .email
            .login_or_create(login_or_create(&address))
            .await,
    );
    assert!(!again.user_created);
    assert_eq!(again.user_id, sent.user_id);
    let message = t.last_message(&address).await;
    assert!(
        message["link"].as_str().unwrap().starts_with(LOGIN_URL),
        "{message}"
    );
    // Authenticating with the caller's session extends it.
    let token = t.last_link_token(&address, "magic_links").await;
    let extended = ok(
        "magic_links.authenticate(session_token)",
        t.client
            .magic_links
            .authenticate(magic_links::AuthenticateRequest {
                session_token: Some(authed.session_token.clone()),
                ..authenticate(&token)
            })
            .await,
    );
    assert_eq!(
        extended.session.expect("a session").session_id,
        session.session_id
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_to_an_existing_user_and_attach() {
    let t = Conformance::start().await;
    let address = email("send");
    let user = ok(
        "users.create",
        t.client
            .users
            .create(users::CreateRequest {
                email: Some(address.clone()),
                ..Default::default()
            })
            .await,
    );
    let sent = ok(
        "magic_links.email.send",
        t.client
            .magic_links
            .email
            .send(magic_links_email::SendRequest {
                email: address.clone(),
                login_magic_link_url: Some(LOGIN_URL.into()),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(sent.status_code.as_u16(), 200);
    assert_eq!(sent.user_id, user.user_id);
    assert_eq!(sent.email_id, user.email_id);
    let token = t.last_link_token(&address, "magic_links").await;

    // Without session_duration_minutes: no session (the /v1 rule).
    let authed = ok(
        "magic_links.authenticate(no duration)",
        t.client
            .magic_links
            .authenticate(magic_links::AuthenticateRequest {
                token,
                ..Default::default()
            })
            .await,
    );
    assert_eq!(authed.user_id, user.user_id);
    assert!(authed.session.is_none());
    assert_eq!(
        (authed.session_token.as_str(), authed.session_jwt.as_str()),
        ("", "")
    );

    // send with user_id attaches a new address once the link is used.
    let second = email("second");
    let attach = ok(
        "magic_links.email.send(user_id)",
        t.client
            .magic_links
            .email
            .send(magic_links_email::SendRequest {
                email: second.clone(),
                login_magic_link_url: Some(LOGIN_URL.into()),
                user_id: Some(user.user_id.clone()),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(attach.user_id, user.user_id);
    let token = t.last_link_token(&second, "magic_links").await;
    let authed = ok(
        "magic_links.authenticate(attach)",
        t.client
            .magic_links
            .authenticate(authenticate(&token))
            .await,
    );
    let mut addresses: Vec<&str> = authed
        .user
        .emails
        .iter()
        .map(|e| e.email.as_str())
        .collect();
    addresses.sort();
    let mut expected = vec![address.as_str(), second.as_str()];
    expected.sort();
    assert_eq!(addresses, expected);

    expect_error(
        t.client
            .magic_links
            .email
            .send(magic_links_email::SendRequest {
                email: email("nobody"),
                login_magic_link_url: Some(LOGIN_URL.into()),
                ..Default::default()
            })
            .await,
        404,
        "email_not_found",
    );
    expect_error(
        t.client
            .magic_links
            .email
            .login_or_create(magic_links_email::LoginOrCreateRequest {
                login_magic_link_url: Some("https://evil.example/steal".into()),
                ..login_or_create(&address)
            })
            .await,
        400,
        "invalid_redirect_url",
    );
    expect_error(
        t.client
            .magic_links
            .email
            .login_or_create(login_or_create("not-an-email"))
            .await,
        400,
        "invalid_email",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkce() {
    let t = Conformance::start().await;
    let address = email("mlpkce");
    let (verifier, challenge) = pkce_pair();
    ok(
        "magic_links.email.login_or_create(code_challenge)",
        t.client
            .magic_links
            .email
            .login_or_create(magic_links_email::LoginOrCreateRequest {
                code_challenge: Some(challenge),
                ..login_or_create(&address)
            })
            .await,
    );
    let token = t.last_link_token(&address, "magic_links").await;
    expect_error(
        t.client
            .magic_links
            .authenticate(authenticate(&token))
            .await,
        400,
        "pkce_mismatch",
    );
    let authed = ok(
        "magic_links.authenticate(code_verifier)",
        t.client
            .magic_links
            .authenticate(magic_links::AuthenticateRequest {
                code_verifier: Some(verifier),
                ..authenticate(&token)
            })
            .await,
    );
    assert!(authed.session.is_some());
}

/// A passwordless proof of an unverified email flags the user's password
/// (`requires_reset`), and password sign-in then answers `reset_password`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proving_the_inbox_of_a_password_account_requires_a_reset() {
    let t = Conformance::start().await;
    let address = email("dedupe");
    let created = t.sign_up(&address).await;
    assert!(!created.user.emails[0].verified);
    ok(
        "magic_links.email.login_or_create",
        t.client
            .magic_links
            .email
            .login_or_create(login_or_create(&address))
            .await,
    );
    let token = t.last_link_token(&address, "magic_links").await;
    let authed = ok(
        "magic_links.authenticate",
        t.client
            .magic_links
            .authenticate(authenticate(&token))
            .await,
    );
    assert_eq!(authed.user_id, created.user_id);
    assert!(
        authed
            .user
            .password
            .as_ref()
            .is_some_and(|p| p.requires_reset),
        "{:?}",
        authed.user.password
    );
    expect_error(
        t.client
            .passwords
            .authenticate(passwords::AuthenticateRequest {
                email: address.clone(),
                password: STRONG_PASSWORD.into(),
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
        401,
        "reset_password",
    );
}

//! `options.ip_match_required` / `options.user_agent_match_required` on
//! `magic_links.authenticate`, `otps.authenticate` and
//! `passwords.email.reset` (the official client's `magic_links::Options`,
//! sent together with `attributes {ip_address, user_agent}`).
//!
//! Stytch: "Require that the IP address the Magic Link was requested from
//! matches the IP address it's clicked from" (and likewise the user agent);
//! a mismatch is 401 `attribute_mismatch` ("attributes on request don't
//! match stored attributes"), which protocol.md lists as confirmed. The
//! backend passes the end user's IP / user agent as `attributes` on the send
//! and on the authenticate call. A mismatch does not consume the link or
//! code: the rightful user (matching attributes) can still use it.

use latchkey_conformance::{email, expect_error, ok, Conformance, LOGIN_URL, RESET_URL};
use stytch::consumer::{
    attribute::Attributes, magic_links, magic_links_email, otp, otp_email, passwords_email,
};

fn attrs(ip: &str, ua: &str) -> Option<Attributes> {
    Some(Attributes {
        ip_address: Some(ip.into()),
        user_agent: Some(ua.into()),
    })
}

fn options(ip: bool, ua: bool) -> Option<magic_links::Options> {
    Some(magic_links::Options {
        ip_match_required: ip,
        user_agent_match_required: ua,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn magic_link_ip_and_user_agent_match() {
    let t = Conformance::start().await;
    let address = email("attr");
    let send = || async {
        ok(
            "magic_links.email.login_or_create(attributes)",
            t.client
                .magic_links
                .email
                .login_or_create(magic_links_email::LoginOrCreateRequest {
                    email: address.clone(),
                    login_magic_link_url: Some(LOGIN_URL.into()),
                    signup_magic_link_url: Some(LOGIN_URL.into()),
                    attributes: attrs("203.0.113.7", "Browser A"),
                    ..Default::default()
                })
                .await,
        );
        t.last_link_token(&address, "magic_links").await
    };

    // Clicked from another IP with ip_match_required.
    let token = send().await;
    expect_error(
        t.client
            .magic_links
            .authenticate(magic_links::AuthenticateRequest {
                token: token.clone(),
                attributes: attrs("198.51.100.9", "Browser A"),
                options: options(true, false),
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
        401,
        "attribute_mismatch",
    );
    // The mismatch did not spend the link: its rightful user still signs in.
    let signed_in = ok(
        "magic_links.authenticate(after a mismatch)",
        t.client
            .magic_links
            .authenticate(magic_links::AuthenticateRequest {
                token: token.clone(),
                attributes: attrs("203.0.113.7", "Browser A"),
                options: options(true, false),
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
    );
    assert!(signed_in.session.is_some());
    expect_error(
        t.client
            .magic_links
            .authenticate(magic_links::AuthenticateRequest {
                token,
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
        401,
        "unable_to_auth_magic_link",
    );
    // Another user agent with user_agent_match_required.
    let token = send().await;
    expect_error(
        t.client
            .magic_links
            .authenticate(magic_links::AuthenticateRequest {
                token,
                attributes: attrs("203.0.113.7", "Browser B"),
                options: options(false, true),
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
        401,
        "attribute_mismatch",
    );
    // Matching attributes pass.
    let token = send().await;
    ok(
        "magic_links.authenticate(matching attributes)",
        t.client
            .magic_links
            .authenticate(magic_links::AuthenticateRequest {
                token,
                attributes: attrs("203.0.113.7", "Browser A"),
                options: options(true, true),
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
    );
    // Without options nothing is compared, whatever the attributes.
    let token = send().await;
    ok(
        "magic_links.authenticate(no options)",
        t.client
            .magic_links
            .authenticate(magic_links::AuthenticateRequest {
                token,
                attributes: attrs("198.51.100.9", "Browser B"),
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_without_attributes_never_matches() {
    let t = Conformance::start().await;
    let address = email("noattr");
    ok(
        "magic_links.email.login_or_create(no attributes)",
        t.client
            .magic_links
            .email
            .login_or_create(magic_links_email::LoginOrCreateRequest {
                email: address.clone(),
                login_magic_link_url: Some(LOGIN_URL.into()),
                signup_magic_link_url: Some(LOGIN_URL.into()),
                ..Default::default()
            })
            .await,
    );
    let token = t.last_link_token(&address, "magic_links").await;
    expect_error(
        t.client
            .magic_links
            .authenticate(magic_links::AuthenticateRequest {
                token: token.clone(),
                attributes: attrs("203.0.113.7", "Browser A"),
                options: options(true, false),
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
        401,
        "attribute_mismatch",
    );
    // Asking for a match without the attribute to compare is bad input.
    expect_error(
        t.client
            .magic_links
            .authenticate(magic_links::AuthenticateRequest {
                token: token.clone(),
                options: options(false, true),
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
        400,
        "bad_request",
    );
    ok(
        "magic_links.authenticate(no match required)",
        t.client
            .magic_links
            .authenticate(magic_links::AuthenticateRequest {
                token,
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otp_ip_match() {
    let t = Conformance::start().await;
    let address = email("otpattr");
    let sent = ok(
        "otps.email.login_or_create(attributes)",
        t.client
            .otps
            .email
            .login_or_create(otp_email::LoginOrCreateRequest {
                email: address.clone(),
                attributes: attrs("203.0.113.7", "Browser A"),
                ..Default::default()
            })
            .await,
    );
    let code = t.last_code(&address).await;
    expect_error(
        t.client
            .otps
            .authenticate(otp::AuthenticateRequest {
                method_id: sent.email_id.clone(),
                code: code.clone(),
                attributes: attrs("198.51.100.9", "Browser A"),
                options: options(true, false),
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
        401,
        "attribute_mismatch",
    );
    // The code was not spent: the rightful user still signs in with it.
    let signed_in = ok(
        "otps.authenticate(after a mismatch)",
        t.client
            .otps
            .authenticate(otp::AuthenticateRequest {
                method_id: sent.email_id.clone(),
                code,
                attributes: attrs("203.0.113.7", "Browser B"),
                options: options(true, false),
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(signed_in.method_id, sent.email_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_reset_ip_match() {
    let t = Conformance::start().await;
    let address = email("resetattr");
    t.sign_up(&address).await;
    ok(
        "passwords.email.reset_start(attributes)",
        t.client
            .passwords
            .email
            .reset_start(passwords_email::ResetStartRequest {
                email: address.clone(),
                reset_password_redirect_url: Some(RESET_URL.into()),
                attributes: attrs("203.0.113.7", "Browser A"),
                ..Default::default()
            })
            .await,
    );
    let token = t.last_link_token(&address, "reset_password").await;
    expect_error(
        t.client
            .passwords
            .email
            .reset(passwords_email::ResetRequest {
                token: token.clone(),
                password: latchkey_conformance::OTHER_STRONG_PASSWORD.into(),
                attributes: attrs("198.51.100.9", "Browser A"),
                options: options(true, false),
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
        401,
        "attribute_mismatch",
    );
    // The link was not spent: from the IP it was requested from, it resets.
    ok(
        "passwords.email.reset(after a mismatch)",
        t.client
            .passwords
            .email
            .reset(passwords_email::ResetRequest {
                token,
                password: latchkey_conformance::OTHER_STRONG_PASSWORD.into(),
                attributes: attrs("203.0.113.7", "Browser A"),
                options: options(true, true),
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
    );
}

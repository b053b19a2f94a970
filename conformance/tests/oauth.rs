//! OAuth: the browser half (start → the development identity provider's
//! page → consent → redirect with the token) over plain HTTP, then the
//! backend half through the official client's `oauth.authenticate`.

use latchkey_conformance::{
    email, expect_error, ok, pkce_pair, query_param, Conformance, LOGIN_URL, SIGNUP_URL,
};
use stytch::consumer::{oauth, sessions};

/// `application/x-www-form-urlencoded` through the URL serializer.
fn form(pairs: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://form.invalid/").unwrap();
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or("").to_string()
}

/// Runs the browser dance for `provider` with the given identity; returns
/// the redirect URL the app would land on.
async fn consent(
    t: &Conformance,
    provider: &str,
    challenge: &str,
    identity: &[(&str, &str)],
) -> String {
    let mut start = t
        .base
        .join(&format!("/v1/public/oauth/{provider}/start"))
        .unwrap();
    start
        .query_pairs_mut()
        .append_pair("public_token", &t.creds.public_token)
        .append_pair("login_redirect_url", LOGIN_URL)
        .append_pair("signup_redirect_url", SIGNUP_URL)
        .append_pair("code_challenge", challenge);
    let response = t
        .plain
        .get(start)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 302);
    let idp = response.headers()["location"].to_str().unwrap().to_string();
    let idp_url = t.base.join(&idp).unwrap();
    let state = query_param(idp_url.as_str(), "state").expect("a state");

    let mut pairs = vec![("state", state.as_str()), ("decision", "allow")];
    pairs.extend_from_slice(identity);
    let response = t
        .plain
        .post(t.url(idp_url.path()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&pairs))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    response.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_sign_up_then_authenticate() {
    let t = Conformance::start().await;
    let address = email("oauth");
    let (verifier, challenge) = pkce_pair();
    let landed = consent(
        &t,
        "google",
        &challenge,
        &[
            ("email", &address),
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("provider_subject", "google-subject-1815"),
        ],
    )
    .await;
    assert!(landed.starts_with(SIGNUP_URL), "{landed}");
    assert_eq!(
        query_param(&landed, "stytch_token_type").as_deref(),
        Some("oauth")
    );
    let token = query_param(&landed, "token").expect("a token");

    let request = |code_verifier: Option<String>| oauth::AuthenticateRequest {
        token: token.clone(),
        session_duration_minutes: Some(60),
        code_verifier,
        ..Default::default()
    };
    expect_error(
        t.client.oauth.authenticate(request(None)).await,
        400,
        "pkce_mismatch",
    );
    let authed = ok(
        "oauth.authenticate",
        t.client.oauth.authenticate(request(Some(verifier))).await,
    );
    assert_eq!(authed.status_code.as_u16(), 200);
    assert_eq!(authed.provider_type.to_lowercase(), "google");
    assert_eq!(authed.provider_subject, "google-subject-1815");
    assert!(!authed.reset_sessions);
    assert!(!authed.provider_values.access_token.is_empty());
    assert!(authed.provider_values.scopes.iter().any(|s| s == "openid"));
    assert!(authed.provider_values.expires_at.is_some());
    assert_eq!(authed.user.emails[0].email, address);
    let provider = &authed.user.providers[0];
    assert_eq!(provider.provider_subject, "google-subject-1815");
    assert_eq!(
        provider.oauth_user_registration_id,
        authed.oauth_user_registration_id
    );
    let session = authed.user_session.clone().expect("user_session on /v1");
    let factor = &session.authentication_factors[0];
    assert!(matches!(
        factor.type_,
        sessions::AuthenticationFactorType::OAuth
    ));
    assert!(matches!(
        factor.delivery_method,
        sessions::AuthenticationFactorDeliveryMethod::OAuthGoogle
    ));
    let google = factor
        .google_oauth_factor
        .clone()
        .expect("google_oauth_factor");
    assert_eq!(google.provider_subject, "google-subject-1815");
    assert_eq!(google.id, authed.oauth_user_registration_id);
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
        t.client.oauth.authenticate(request(None)).await,
        404,
        "oauth_token_not_found",
    );

    // The same identity again lands on the login URL, same user.
    let (verifier, challenge) = pkce_pair();
    let landed = consent(
        &t,
        "google",
        &challenge,
        &[
            ("email", &address),
            ("provider_subject", "google-subject-1815"),
        ],
    )
    .await;
    assert!(landed.starts_with(LOGIN_URL), "{landed}");
    let again = ok(
        "oauth.authenticate(login, no duration)",
        t.client
            .oauth
            .authenticate(oauth::AuthenticateRequest {
                token: query_param(&landed, "token").unwrap(),
                code_verifier: Some(verifier),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(again.user_id, authed.user_id);
    assert!(again.user_session.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_factor() {
    let t = Conformance::start().await;
    let (verifier, challenge) = pkce_pair();
    let address = email("gh");
    let landed = consent(
        &t,
        "github",
        &challenge,
        &[("email", &address), ("provider_subject", "4242")],
    )
    .await;
    let authed = ok(
        "oauth.authenticate(github)",
        t.client
            .oauth
            .authenticate(oauth::AuthenticateRequest {
                token: query_param(&landed, "token").unwrap(),
                session_duration_minutes: Some(30),
                code_verifier: Some(verifier),
                ..Default::default()
            })
            .await,
    );
    let factor = &authed
        .user_session
        .expect("user_session")
        .authentication_factors[0];
    assert!(matches!(
        factor.delivery_method,
        sessions::AuthenticationFactorDeliveryMethod::OAuthGithub
    ));
    assert_eq!(
        factor
            .github_oauth_factor
            .as_ref()
            .map(|f| f.provider_subject.as_str()),
        Some("4242")
    );
}

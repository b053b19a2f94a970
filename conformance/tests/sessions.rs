//! `/v1/sessions` through the official client: authenticate by token and by
//! JWT, list by user, revoke, JWKS, and the crate's own local JWT check.

use std::time::Duration;

use latchkey_conformance::{email, expect_error, ok, Conformance};
use serde_json::json;
use stytch::consumer::{m2m, sessions};

fn by_token(token: &str) -> sessions::AuthenticateRequest {
    sessions::AuthenticateRequest {
        session_token: Some(token.to_string()),
        ..Default::default()
    }
}

fn by_jwt(jwt: &str) -> sessions::AuthenticateRequest {
    sessions::AuthenticateRequest {
        session_jwt: Some(jwt.to_string()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authenticate_by_token_and_by_jwt() {
    let t = Conformance::start().await;
    let address = email("sess");
    let signed_up = t.sign_up(&address).await;
    let session = signed_up.session.clone().expect("a session");

    // By token: the same session, the same token, a fresh JWT.
    let by_token_reply = ok(
        "sessions.authenticate(session_token)",
        t.client
            .sessions
            .authenticate(by_token(&signed_up.session_token))
            .await,
    );
    assert_eq!(by_token_reply.status_code.as_u16(), 200);
    assert_eq!(by_token_reply.session.session_id, session.session_id);
    assert_eq!(by_token_reply.session.user_id, signed_up.user_id);
    assert_eq!(by_token_reply.session_token, signed_up.session_token);
    assert_eq!(by_token_reply.user.user_id, signed_up.user_id);
    assert_eq!(by_token_reply.session.roles, Vec::<String>::new());
    assert_eq!(by_token_reply.session.authentication_factors.len(), 1);
    let factor = &by_token_reply.session.authentication_factors[0];
    assert!(matches!(
        factor.type_,
        sessions::AuthenticationFactorType::Password
    ));
    assert!(matches!(
        factor.delivery_method,
        sessions::AuthenticationFactorDeliveryMethod::Knowledge
    ));
    assert_eq!(
        factor
            .email_factor
            .as_ref()
            .map(|f| f.email_address.as_str()),
        Some(address.as_str())
    );
    let attributes = by_token_reply
        .session
        .attributes
        .clone()
        .expect("attributes");
    assert_eq!(attributes.ip_address.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        attributes.user_agent.as_deref(),
        Some("stytch-rust 11.1.0"),
        "the session records the official client's User-Agent"
    );
    // Without a duration the expiry stays where it was.
    assert_eq!(by_token_reply.session.expires_at, session.expires_at);
    assert!(by_token_reply.session_jwt.split('.').count() == 3);

    // By JWT: answered without the opaque token (only its hash is stored).
    let by_jwt_reply = ok(
        "sessions.authenticate(session_jwt)",
        t.client
            .sessions
            .authenticate(by_jwt(&signed_up.session_jwt))
            .await,
    );
    assert_eq!(by_jwt_reply.session.session_id, session.session_id);
    assert_eq!(by_jwt_reply.session_token, "");
    assert!(!by_jwt_reply.session_jwt.is_empty());

    // A duration moves the expiry; custom claims land on the session.
    let extended = ok(
        "sessions.authenticate(duration, claims)",
        t.client
            .sessions
            .authenticate(sessions::AuthenticateRequest {
                session_token: Some(signed_up.session_token.clone()),
                session_duration_minutes: Some(120),
                session_custom_claims: Some(json!({"team": "engines", "level": 3})),
                ..Default::default()
            })
            .await,
    );
    let started = extended.session.last_accessed_at.expect("last_accessed_at");
    let expires = extended.session.expires_at.expect("expires_at");
    let minutes = (expires - started).num_minutes();
    assert!((119..=120).contains(&minutes), "{minutes}");
    assert_eq!(
        extended.session.custom_claims,
        Some(json!({"team": "engines", "level": 3}))
    );
    // null deletes a claim.
    let trimmed = ok(
        "sessions.authenticate(claims null)",
        t.client
            .sessions
            .authenticate(sessions::AuthenticateRequest {
                session_jwt: Some(extended.session_jwt.clone()),
                session_custom_claims: Some(json!({"level": null})),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(
        trimmed.session.custom_claims,
        Some(json!({"team": "engines"}))
    );

    // An expired JWT of a live session is accepted and re-minted.
    let old_jwt = trimmed.session_jwt.clone();
    t.advance_clock(10 * 60).await;
    let reminted = ok(
        "sessions.authenticate(expired JWT)",
        t.client.sessions.authenticate(by_jwt(&old_jwt)).await,
    );
    assert_eq!(reminted.session.session_id, session.session_id);
    assert_ne!(reminted.session_jwt, old_jwt);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authenticate_errors() {
    let t = Conformance::start().await;
    let signed_up = t.sign_up(&email("sesserr")).await;
    expect_error(
        t.client
            .sessions
            .authenticate(sessions::AuthenticateRequest {
                session_token: Some(signed_up.session_token.clone()),
                session_jwt: Some(signed_up.session_jwt.clone()),
                ..Default::default()
            })
            .await,
        400,
        "too_many_session_arguments",
    );
    expect_error(
        t.client
            .sessions
            .authenticate(sessions::AuthenticateRequest::default())
            .await,
        400,
        "bad_request",
    );
    expect_error(
        t.client
            .sessions
            .authenticate(sessions::AuthenticateRequest {
                session_token: Some(signed_up.session_token.clone()),
                session_duration_minutes: Some(1),
                ..Default::default()
            })
            .await,
        400,
        "invalid_session_duration_minutes",
    );
    expect_error(
        t.client
            .sessions
            .authenticate(by_token("x".repeat(44).as_str()))
            .await,
        404,
        "session_not_found",
    );
    // A JWT whose signature does not verify is refused, never trusted.
    let mut parts: Vec<String> = signed_up
        .session_jwt
        .split('.')
        .map(str::to_string)
        .collect();
    parts[2] = parts[2].chars().rev().collect();
    let forged = parts.join(".");
    expect_error(
        t.client.sessions.authenticate(by_jwt(&forged)).await,
        404,
        "session_not_found",
    );
    // Session expiry: past expires_at the session is gone.
    t.advance_clock(61 * 60).await;
    expect_error(
        t.client
            .sessions
            .authenticate(by_token(&signed_up.session_token))
            .await,
        404,
        "session_not_found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_by_user_and_revoke() {
    let t = Conformance::start().await;
    let address = email("list");
    let first = t.sign_up(&address).await;
    // A second session of the same user (a fresh sign-in, not an extension).
    let second = ok(
        "passwords.authenticate",
        t.client
            .passwords
            .authenticate(stytch::consumer::passwords::AuthenticateRequest {
                email: address.clone(),
                password: latchkey_conformance::STRONG_PASSWORD.into(),
                session_duration_minutes: Some(30),
                ..Default::default()
            })
            .await,
    );
    let third = ok(
        "passwords.authenticate",
        t.client
            .passwords
            .authenticate(stytch::consumer::passwords::AuthenticateRequest {
                email: address.clone(),
                password: latchkey_conformance::STRONG_PASSWORD.into(),
                session_duration_minutes: Some(30),
                ..Default::default()
            })
            .await,
    );
    let ids = |s: &Option<sessions::Session>| s.as_ref().expect("a session").session_id.clone();
    let (first_id, second_id, third_id) = (
        ids(&first.session),
        ids(&second.session),
        ids(&third.session),
    );
    assert_ne!(first_id, second_id);

    let listed = ok(
        "sessions.get",
        t.client
            .sessions
            .get(sessions::GetRequest {
                user_id: first.user_id.clone(),
            })
            .await,
    );
    assert_eq!(listed.status_code.as_u16(), 200);
    let mut listed_ids: Vec<String> = listed
        .sessions
        .iter()
        .map(|s| s.session_id.clone())
        .collect();
    listed_ids.sort();
    let mut expected = vec![first_id.clone(), second_id.clone(), third_id.clone()];
    expected.sort();
    assert_eq!(listed_ids, expected);
    for s in &listed.sessions {
        assert_eq!(s.user_id, first.user_id);
        assert!(s.started_at.is_some() && s.expires_at.is_some());
        assert!(!s.authentication_factors.is_empty());
    }

    // Revoke by id, by token, by JWT: each one then fails with session_not_found.
    let revoked = ok(
        "sessions.revoke(session_id)",
        t.client
            .sessions
            .revoke(sessions::RevokeRequest {
                session_id: Some(first_id.clone()),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(revoked.status_code.as_u16(), 200);
    assert!(revoked.request_id.starts_with("request-id-test-"));
    expect_error(
        t.client
            .sessions
            .authenticate(by_token(&first.session_token))
            .await,
        404,
        "session_not_found",
    );
    expect_error(
        t.client
            .sessions
            .authenticate(by_jwt(&first.session_jwt))
            .await,
        404,
        "session_not_found",
    );
    ok(
        "sessions.revoke(session_token)",
        t.client
            .sessions
            .revoke(sessions::RevokeRequest {
                session_token: Some(second.session_token.clone()),
                ..Default::default()
            })
            .await,
    );
    expect_error(
        t.client
            .sessions
            .authenticate(by_token(&second.session_token))
            .await,
        404,
        "session_not_found",
    );
    ok(
        "sessions.revoke(session_jwt)",
        t.client
            .sessions
            .revoke(sessions::RevokeRequest {
                session_jwt: Some(third.session_jwt.clone()),
                ..Default::default()
            })
            .await,
    );
    expect_error(
        t.client
            .sessions
            .authenticate(by_token(&third.session_token))
            .await,
        404,
        "session_not_found",
    );
    let listed = ok(
        "sessions.get",
        t.client
            .sessions
            .get(sessions::GetRequest {
                user_id: first.user_id.clone(),
            })
            .await,
    );
    assert!(listed.sessions.is_empty(), "{listed:?}");

    // Revoke errors.
    expect_error(
        t.client
            .sessions
            .revoke(sessions::RevokeRequest {
                session_id: Some(first_id),
                ..Default::default()
            })
            .await,
        404,
        "session_not_found",
    );
    expect_error(
        t.client
            .sessions
            .revoke(sessions::RevokeRequest::default())
            .await,
        400,
        "bad_request",
    );
    expect_error(
        t.client
            .sessions
            .revoke(sessions::RevokeRequest {
                session_id: Some(second_id),
                session_token: Some(second.session_token.clone()),
                ..Default::default()
            })
            .await,
        400,
        "too_many_session_arguments",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_through_the_official_client() {
    let t = Conformance::start().await;
    let jwks = ok(
        "sessions.get_jwks",
        t.client
            .sessions
            .get_jwks(sessions::GetJWKSRequest {
                project_id: t.creds.project_id.clone(),
            })
            .await,
    );
    assert_eq!(jwks.status_code.as_u16(), 200);
    assert_eq!(jwks.keys.len(), 1);
    let key = &jwks.keys[0];
    assert_eq!(key.kty, "RSA");
    assert_eq!(key.use_, "sig");
    assert_eq!(key.key_ops, vec!["verify".to_string()]);
    assert_eq!(key.alg, "RS256");
    assert!(key.kid.starts_with("jwk-test-"), "{}", key.kid);
    assert_eq!(key.e, "AQAB");
    assert!(!key.x5c.is_empty() && !key.x5tS256.is_empty());

    // The crate's cached JWKS fetch (what its local verification uses).
    let jwk = ok("client.fetch_jwk", t.http.fetch_jwk(&key.kid).await);
    assert_eq!(
        (jwk.kid.as_str(), jwk.n.as_str()),
        (key.kid.as_str(), key.n.as_str())
    );
    match t.http.fetch_jwk("jwk-test-unknown").await {
        Err(stytch::Error::JwkNotFound(kid)) => assert_eq!(kid, "jwk-test-unknown"),
        other => panic!("expected JwkNotFound: {other:?}"),
    }

    // JWKS answers even with wrong credentials.
    let wrong = t.client_with(&t.creds.project_id, "secret-test-wrong");
    let again = ok(
        "sessions.get_jwks (wrong secret)",
        wrong
            .sessions
            .get_jwks(sessions::GetJWKSRequest {
                project_id: t.creds.project_id.clone(),
            })
            .await,
    );
    assert_eq!(again.keys[0].kid, key.kid);
}

/// `stytch` 11.1 has no public session-JWT verifier for the consumer
/// vertical; its one local JWT check (`shared::jwt_helpers::authenticate_jwt`:
/// kid → cached JWKS → RS256 signature, `aud` = project id, `iss` =
/// `stytch.com/<project id>`, `exp`) is reached through
/// `m2m.authenticate_token`, which then requires a `scope` claim. A session
/// JWT carries one when the session has a `scope` custom claim, so the
/// crate's verifier can be run end to end on a session JWT minted here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_local_jwt_check_accepts_session_jwts() {
    let t = Conformance::start().await;
    let signed_up = t.sign_up(&email("local")).await;
    let scoped = ok(
        "sessions.authenticate(scope claim)",
        t.client
            .sessions
            .authenticate(sessions::AuthenticateRequest {
                session_token: Some(signed_up.session_token.clone()),
                session_custom_claims: Some(json!({"scope": "read:profile write:notes"})),
                ..Default::default()
            })
            .await,
    );
    let verified = ok(
        "m2m.authenticate_token (local JWT check)",
        t.client
            .m2m
            .authenticate_token(m2m::AuthenticateTokenRequest {
                access_token: scoped.session_jwt.clone(),
                required_scopes: Some(vec!["read:profile".into()]),
                max_token_age_seconds: Some(60),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(verified.client_id, signed_up.user_id);
    assert_eq!(verified.scopes, vec!["read:profile", "write:notes"]);
    let session_claim = &verified.custom_claims["https://stytch.com/session"];
    assert_eq!(
        session_claim["id"],
        json!(scoped.session.session_id),
        "{session_claim}"
    );

    // Without the claim the signature still verified: the crate stops only
    // at the missing `scope` (its check runs after decoding).
    match t
        .client
        .m2m
        .authenticate_token(m2m::AuthenticateTokenRequest {
            access_token: signed_up.session_jwt.clone(),
            ..Default::default()
        })
        .await
    {
        Err(stytch::Error::JWTError(err)) => {
            assert_eq!(err.to_string(), "JWT missing 'scope' field", "{err:?}")
        }
        other => panic!("expected the scope error after a valid signature: {other:?}"),
    }

    // A tampered payload fails the crate's signature check.
    let mut parts: Vec<&str> = scoped.session_jwt.split('.').collect();
    let other_payload = signed_up.session_jwt.split('.').nth(1).unwrap().to_string();
    parts[1] = &other_payload;
    let spliced = parts.join(".");
    match t
        .client
        .m2m
        .authenticate_token(m2m::AuthenticateTokenRequest {
            access_token: spliced,
            ..Default::default()
        })
        .await
    {
        Err(stytch::Error::JWTError(err)) => {
            assert!(err.to_string().contains("InvalidSignature"), "{err:?}")
        }
        other => panic!("expected a signature failure: {other:?}"),
    }

    // The crate's age limit reads the server's `iat`.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    match t
        .client
        .m2m
        .authenticate_token(m2m::AuthenticateTokenRequest {
            access_token: scoped.session_jwt.clone(),
            max_token_age_seconds: Some(1),
            ..Default::default()
        })
        .await
    {
        Err(stytch::Error::JWTError(err)) => assert_eq!(err.to_string(), "JWT too old"),
        other => panic!("expected TooOld: {other:?}"),
    }
}

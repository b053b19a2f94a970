//! Sessions over real HTTP: refresh on both faces, expiry, revocation, custom claims, JWTs checked against the JWKS, restarts.

mod common;

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine as _,
};
use common::{mirror, Method, TestServer};
use latchkey_server::{
    api::sessions::SessionFields,
    auth::basic,
    model::{AuthenticationFactor, FactorType},
    session::{self, Grant},
    store::users,
};
use rsa::{
    pkcs1v15::{Signature, VerifyingKey},
    pkcs8::EncodePublicKey,
    signature::Verifier,
    BoxedUint, PublicKey,
};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use x509_cert::der::{Decode, Encode};

fn decode_part(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("json")
}

/// Verifies `jwt` against the server's JWKS the way a relying party would,
/// with nothing but the published key; returns (header, claims).
async fn verify_with_jwks(t: &TestServer, jwt: &str) -> (Value, Map<String, Value>) {
    let jwks = t
        .get(&format!("/v1/sessions/jwks/{}", t.creds.project_id))
        .await;
    let jwks = jwks.ok();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header = decode_part(parts[0]);
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the JWT's kid is in the JWKS");
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    let public = PublicKey::new(
        BoxedUint::from_be_slice_vartime(&n),
        BoxedUint::from_be_slice_vartime(&e),
    )
    .expect("a valid RSA key");
    let verifying = VerifyingKey::<Sha256>::new(public);
    let signature =
        Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
    let signing_input = format!("{}.{}", parts[0], parts[1]);
    verifying
        .verify(signing_input.as_bytes(), &signature)
        .expect("the signature verifies against the JWKS");
    let claims = decode_part(parts[1]).as_object().unwrap().clone();
    (header, claims)
}

#[tokio::test]
async fn sdk_refresh_remints_the_jwt_and_keeps_the_expiry() {
    let t = TestServer::start().await;
    let login = t.login("refresh@example.com", 60).await;
    t.advance_clock(30);
    let r = t
        .sdk(
            Method::POST,
            "/sessions/authenticate",
            Some(&login.session_token),
            None,
        )
        .await;
    let data = r.data();
    assert_eq!(data["session_token"], login.session_token);
    assert_ne!(data["session_jwt"], login.session_jwt);
    assert_eq!(data["user_id"], login.user_id);
    assert_eq!(data["user"]["user_id"], login.user_id);
    assert_eq!(
        data["__user"]["user_id"], login.user_id,
        "__user on the frontend"
    );
    let session = &data["session"];
    assert_eq!(session["session_id"], login.session_id);
    assert_eq!(session["roles"], json!([]));
    assert_ne!(session["last_accessed_at"], session["started_at"]);

    let (_, first) = verify_with_jwks(&t, &login.session_jwt).await;
    let (_, second) = verify_with_jwks(&t, data["session_jwt"].as_str().unwrap()).await;
    let elapsed = second["iat"].as_i64().unwrap() - first["iat"].as_i64().unwrap();
    assert!((30..=32).contains(&elapsed), "{elapsed}");
    assert_eq!(
        first["https://stytch.com/session"]["expires_at"],
        second["https://stytch.com/session"]["expires_at"],
        "no duration: the expiry is untouched"
    );

    // With a duration the expiry moves to now + duration.
    let r = t
        .sdk(
            Method::POST,
            "/sessions/authenticate",
            Some(&login.session_token),
            Some(json!({"session_duration_minutes": 600})),
        )
        .await;
    let session = &r.data()["session"];
    let (_, claims) = verify_with_jwks(&t, r.data()["session_jwt"].as_str().unwrap()).await;
    let expires = session["expires_at"].as_str().unwrap();
    assert_eq!(claims["https://stytch.com/session"]["expires_at"], expires);
    let expires = latchkey_server::clock::Timestamp::parse(expires).unwrap().0;
    let expected = t.state().now() + 600 * 60;
    assert!(
        (expected - 2..=expected).contains(&expires),
        "{expires} vs {expected}"
    );
}

#[tokio::test]
async fn session_durations_are_validated() {
    let t = TestServer::start().await;
    let login = t.login("durations@example.com", 60).await;
    for minutes in [0, 4, 527_041, -5] {
        t.sdk(
            Method::POST,
            "/sessions/authenticate",
            Some(&login.session_token),
            Some(json!({"session_duration_minutes": minutes})),
        )
        .await
        .error(400, "invalid_session_duration_minutes");
        t.v1(
            Method::POST,
            "/sessions/authenticate",
            Some(
                json!({"session_token": login.session_token, "session_duration_minutes": minutes}),
            ),
        )
        .await
        .error(400, "invalid_session_duration_minutes");
    }
    for minutes in [5, 527_040] {
        t.sdk(
            Method::POST,
            "/sessions/authenticate",
            Some(&login.session_token),
            Some(json!({"session_duration_minutes": minutes})),
        )
        .await
        .data();
    }
}

#[tokio::test]
async fn expired_unknown_and_missing_sessions_are_refused() {
    let t = TestServer::start().await;
    t.freeze_clock();
    let short = t.login("short@example.com", 5).await;
    let long = t.login("long@example.com", 60).await;
    t.sdk(Method::POST, "/sessions/authenticate", None, None)
        .await
        .error(401, "unauthorized_credentials");
    t.sdk(
        Method::POST,
        "/sessions/authenticate",
        Some("bogus-token"),
        None,
    )
    .await
    .error(404, "session_not_found");

    t.advance_clock(5 * 60 - 1);
    t.sdk(
        Method::POST,
        "/sessions/authenticate",
        Some(&short.session_token),
        None,
    )
    .await
    .data();
    t.advance_clock(1);
    for reply in [
        t.sdk(
            Method::POST,
            "/sessions/authenticate",
            Some(&short.session_token),
            None,
        )
        .await,
        t.sdk(Method::GET, "/users/me", Some(&short.session_token), None)
            .await,
        t.v1(
            Method::POST,
            "/sessions/authenticate",
            Some(json!({"session_token": short.session_token})),
        )
        .await,
        t.v1(
            Method::POST,
            "/sessions/authenticate",
            Some(json!({"session_jwt": short.session_jwt})),
        )
        .await,
    ] {
        reply.error(404, "session_not_found");
    }
    // The other session is unaffected, and expired sessions are not listed.
    t.sdk(
        Method::POST,
        "/sessions/authenticate",
        Some(&long.session_token),
        None,
    )
    .await
    .data();
    let listed = t
        .v1(
            Method::GET,
            &format!("/sessions?user_id={}", short.user_id),
            None,
        )
        .await;
    assert_eq!(listed.ok()["sessions"], json!([]));
}

#[tokio::test]
async fn sdk_revoke_ends_the_session() {
    let t = TestServer::start().await;
    let login = t.login("revoke@example.com", 60).await;
    let r = t
        .sdk(
            Method::POST,
            "/sessions/revoke",
            Some(&login.session_token),
            None,
        )
        .await;
    let data = r.data();
    assert!(data.get("__user").is_none());
    t.sdk(
        Method::POST,
        "/sessions/authenticate",
        Some(&login.session_token),
        None,
    )
    .await
    .error(404, "session_not_found");
    t.sdk(
        Method::POST,
        "/sessions/revoke",
        Some(&login.session_token),
        None,
    )
    .await
    .error(404, "session_not_found");
    t.sdk(Method::POST, "/sessions/revoke", None, None)
        .await
        .error(401, "unauthorized_credentials");
    // The JWT dies with the session.
    t.v1(
        Method::POST,
        "/sessions/authenticate",
        Some(json!({"session_jwt": login.session_jwt})),
    )
    .await
    .error(404, "session_not_found");
}

#[tokio::test]
async fn backend_authenticate_by_token_or_jwt() {
    let t = TestServer::start().await;
    let login = t.login("backend@example.com", 60).await;

    let by_token = t
        .v1(
            Method::POST,
            "/sessions/authenticate",
            Some(json!({"session_token": login.session_token, "session_jwt": null})),
        )
        .await;
    let body = by_token.ok();
    assert!(body.get("data").is_none(), "the backend face is flat");
    assert!(body.get("__user").is_none());
    let decoded: mirror::SessionsAuthenticateResponse = mirror::decode(body);
    assert_eq!(decoded.session_token, login.session_token);
    assert_eq!(decoded.session.session_id, login.session_id);
    assert_eq!(decoded.user.user_id, login.user_id);
    assert_eq!(
        decoded.session.authentication_factors[0].type_,
        "magic_link"
    );
    assert_eq!(
        decoded.session.authentication_factors[0]
            .email_factor
            .as_ref()
            .unwrap()
            .email_address,
        "backend@example.com"
    );

    let by_jwt = t
        .v1(
            Method::POST,
            "/sessions/authenticate",
            Some(json!({"session_jwt": login.session_jwt})),
        )
        .await;
    let decoded: mirror::SessionsAuthenticateResponse = mirror::decode(by_jwt.ok());
    assert_eq!(decoded.session.session_id, login.session_id);
    assert_eq!(
        decoded.session_token, "",
        "only the hash of the token is kept"
    );
    verify_with_jwks(&t, &decoded.session_jwt).await;

    t.v1(
        Method::POST,
        "/sessions/authenticate",
        Some(json!({"session_token": login.session_token, "session_jwt": login.session_jwt})),
    )
    .await
    .error(400, "too_many_session_arguments");
    t.v1(Method::POST, "/sessions/authenticate", Some(json!({})))
        .await
        .error(400, "bad_request");

    // A JWT with a flipped signature byte, one of another project, garbage.
    let mut parts: Vec<String> = login.session_jwt.split('.').map(String::from).collect();
    let mut sig = URL_SAFE_NO_PAD.decode(&parts[2]).unwrap();
    sig[10] ^= 1;
    parts[2] = URL_SAFE_NO_PAD.encode(sig);
    let other = TestServer::start().await;
    let foreign = other.login("elsewhere@example.com", 60).await;
    for jwt in [
        parts.join("."),
        foreign.session_jwt,
        "a.b.c-not-a-jwt-really".to_string(),
    ] {
        t.v1(
            Method::POST,
            "/sessions/authenticate",
            Some(json!({"session_jwt": jwt})),
        )
        .await
        .error(404, "session_not_found");
    }
}

#[tokio::test]
async fn an_expired_jwt_of_a_live_session_is_reminted() {
    let t = TestServer::start().await;
    let login = t.login("expired-jwt@example.com", 60).await;
    t.advance_clock(301);
    let r = t
        .v1(
            Method::POST,
            "/sessions/authenticate",
            Some(json!({"session_jwt": login.session_jwt})),
        )
        .await;
    let fresh = r.ok()["session_jwt"].as_str().unwrap().to_string();
    let (_, old_claims) = verify_with_jwks(&t, &login.session_jwt).await;
    let (_, new_claims) = verify_with_jwks(&t, &fresh).await;
    let now = t.state().now();
    assert!(
        old_claims["exp"].as_i64().unwrap() < now,
        "the old JWT had expired"
    );
    assert!(new_claims["exp"].as_i64().unwrap() > now);
    assert!(new_claims["iat"].as_i64().unwrap() >= old_claims["iat"].as_i64().unwrap() + 301);

    // The SDK face takes the session token only (see tests/security.rs).
    t.sdk(
        Method::POST,
        "/sessions/authenticate",
        Some(&login.session_jwt),
        None,
    )
    .await
    .error(404, "session_not_found");
}

#[tokio::test]
async fn jwt_header_and_claims_follow_the_protocol() {
    let t = TestServer::start().await;
    let login = t.login("claims@example.com", 60).await;
    let (header, claims) = verify_with_jwks(&t, &login.session_jwt).await;
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    assert!(header["kid"].as_str().unwrap().starts_with("jwk-test-"));
    assert_eq!(header.as_object().unwrap().len(), 3);

    let mut keys: Vec<&str> = claims.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "aud",
            "exp",
            "https://stytch.com/session",
            "iat",
            "iss",
            "nbf",
            "sub"
        ]
    );
    assert_eq!(claims["aud"], json!([t.creds.project_id]));
    assert_eq!(claims["iss"], format!("stytch.com/{}", t.creds.project_id));
    assert_eq!(claims["sub"], login.user_id);
    assert_eq!(claims["nbf"], claims["iat"]);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    let s = &claims["https://stytch.com/session"];
    let mut session_keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
    session_keys.sort_unstable();
    assert_eq!(
        session_keys,
        [
            "attributes",
            "authentication_factors",
            "expires_at",
            "id",
            "last_accessed_at",
            "roles",
            "started_at"
        ]
    );
    assert_eq!(s["id"], login.session_id);
    assert_eq!(s["authentication_factors"][0]["delivery_method"], "email");
}

#[tokio::test]
async fn custom_claims_merge_into_the_session_and_the_jwt() {
    let t = TestServer::start().await;
    let login = t.login("custom@example.com", 60).await;
    let r = t
        .v1(
            Method::POST,
            "/sessions/authenticate",
            Some(json!({
                "session_token": login.session_token,
                "session_custom_claims": {"tier": "gold", "org": {"id": 7}, "sub": "evil", "exp": 1}
            })),
        )
        .await;
    let body = r.ok();
    assert_eq!(
        body["session"]["custom_claims"],
        json!({"tier": "gold", "org": {"id": 7}})
    );
    let (_, claims) = verify_with_jwks(&t, body["session_jwt"].as_str().unwrap()).await;
    assert_eq!(claims["tier"], "gold");
    assert_eq!(claims["org"]["id"], 7);
    assert_eq!(
        claims["sub"], login.user_id,
        "reserved claims cannot be overridden"
    );
    assert!(claims["exp"].as_i64().unwrap() > 1);

    // Merged on later calls; null deletes; kept by the SDK refresh.
    let r = t
        .v1(
            Method::POST,
            "/sessions/authenticate",
            Some(json!({"session_token": login.session_token, "session_custom_claims": {"tier": null, "beta": true}})),
        )
        .await;
    assert_eq!(
        r.ok()["session"]["custom_claims"],
        json!({"org": {"id": 7}, "beta": true})
    );
    let r = t
        .sdk(
            Method::POST,
            "/sessions/authenticate",
            Some(&login.session_token),
            None,
        )
        .await;
    let (_, claims) = verify_with_jwks(&t, r.data()["session_jwt"].as_str().unwrap()).await;
    assert_eq!(claims["beta"], true);
    assert!(claims.get("tier").is_none());

    for bad in [
        json!("tier=gold"),
        json!([1]),
        json!({"blob": "x".repeat(5000)}),
    ] {
        let r = t
            .v1(
                Method::POST,
                "/sessions/authenticate",
                Some(json!({"session_token": login.session_token, "session_custom_claims": bad})),
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.text);
    }
}

#[tokio::test]
async fn backend_revoke_by_id_token_or_jwt() {
    let t = TestServer::start().await;
    let a = t.login("revoke-a@example.com", 60).await;
    let b = t.login("revoke-b@example.com", 60).await;
    let c = t.login("revoke-c@example.com", 60).await;

    t.v1(Method::POST, "/sessions/revoke", Some(json!({})))
        .await
        .error(400, "bad_request");
    t.v1(
        Method::POST,
        "/sessions/revoke",
        Some(json!({"session_id": a.session_id, "session_token": a.session_token})),
    )
    .await
    .error(400, "too_many_session_arguments");
    t.v1(
        Method::POST,
        "/sessions/revoke",
        Some(json!({"session_id": "session-test-00000000-0000-4000-8000-000000000000"})),
    )
    .await
    .error(404, "session_not_found");

    for (body, login) in [
        (
            json!({"session_id": a.session_id, "session_token": null, "session_jwt": null}),
            &a,
        ),
        (json!({"session_token": b.session_token}), &b),
        (json!({"session_jwt": c.session_jwt}), &c),
    ] {
        let r = t.v1(Method::POST, "/sessions/revoke", Some(body)).await;
        let _: mirror::RevokeResponse = mirror::decode(r.ok());
        t.sdk(
            Method::POST,
            "/sessions/authenticate",
            Some(&login.session_token),
            None,
        )
        .await
        .error(404, "session_not_found");
    }
}

#[tokio::test]
async fn sessions_are_listed_by_user() {
    let t = TestServer::start().await;
    let login = t.login("list@example.com", 60).await;
    // A second session of the same user, through the engine.
    let now = t.state().now();
    session::issue_or_extend(
        t.state(),
        Grant {
            user_id: login.user_id.clone(),
            factor: AuthenticationFactor::password(&login.email_id, &login.email, now),
            duration_minutes: Some(30),
            existing: None,
            attributes: Default::default(),
            custom_claims: None,
        },
    )
    .await
    .unwrap()
    .unwrap();
    // The stytch client sends the user id in the query *and* a `{}` body.
    let r = t
        .send(
            t.http
                .get(t.url(&format!("/v1/sessions?user_id={}", login.user_id)))
                .header("authorization", t.v1_authorization())
                .json(&json!({})),
        )
        .await;
    let decoded: mirror::SessionsGetResponse = mirror::decode(r.ok());
    assert_eq!(decoded.sessions.len(), 2);
    assert!(decoded.sessions.iter().all(|s| s.user_id == login.user_id));

    t.v1(Method::GET, "/sessions?user_id=nope", None)
        .await
        .error(400, "invalid_user_id");
    t.v1(
        Method::GET,
        "/sessions?user_id=user-test-00000000-0000-4000-8000-000000000000",
        None,
    )
    .await
    .error(404, "user_not_found");
}

#[tokio::test]
async fn the_jwks_answers_with_and_without_credentials() {
    let t = TestServer::start().await;
    let path = format!("/v1/sessions/jwks/{}", t.creds.project_id);
    let anonymous = t.get(&path).await;
    let with_secret = t
        .send(
            t.http
                .get(t.url(&path))
                .header("authorization", t.v1_authorization())
                .header("content-type", "application/json")
                .body("null"),
        )
        .await;
    let with_public = t
        .send(t.http.get(t.url(&path)).header(
            "authorization",
            basic::encode(&t.creds.public_token, &t.creds.public_token),
        ))
        .await;
    for reply in [&anonymous, &with_secret, &with_public] {
        let decoded: mirror::JwksResponse = mirror::decode(reply.ok());
        assert_eq!(decoded.keys.len(), 1);
        assert_eq!(decoded.keys[0].kty, "RSA");
        assert_eq!(decoded.keys[0].alg, "RS256");
        assert_eq!(decoded.keys[0].e, "AQAB");
    }
    let key = &anonymous.body["keys"][0];
    assert_eq!(key["use"], "sig");
    assert_eq!(key["key_ops"], json!(["verify"]));

    // x5c holds a certificate for this very key; x5tS256 is its SHA-256.
    let der = STANDARD.decode(key["x5c"][0].as_str().unwrap()).unwrap();
    assert_eq!(key["x5tS256"], URL_SAFE_NO_PAD.encode(Sha256::digest(&der)));
    let certificate = x509_cert::Certificate::from_der(&der).expect("a DER certificate");
    let cert_spki = certificate
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let jwk_key = PublicKey::new(
        BoxedUint::from_be_slice_vartime(&n),
        BoxedUint::from_be_slice_vartime(&[1, 0, 1]),
    )
    .unwrap();
    assert_eq!(cert_spki, jwk_key.to_public_key_der().unwrap().as_bytes());

    t.get("/v1/sessions/jwks/project-test-00000000-0000-4000-8000-000000000000")
        .await
        .error(404, "project_not_found");
}

#[tokio::test]
async fn a_restart_keeps_sessions_and_keys() {
    let t = TestServer::start().await;
    let login = t.login("restart@example.com", 60).await;
    let kid = t.state().keys.signer().kid.clone();
    let creds = t.creds.clone();

    let t = t.restart().await;
    assert_eq!(t.creds, creds, "same project and secret after a restart");
    assert_eq!(t.state().keys.signer().kid, kid, "same signing key");
    let r = t
        .sdk(
            Method::POST,
            "/sessions/authenticate",
            Some(&login.session_token),
            None,
        )
        .await;
    assert_eq!(r.data()["session"]["session_id"], login.session_id);
    t.v1(
        Method::POST,
        "/sessions/authenticate",
        Some(json!({"session_jwt": login.session_jwt})),
    )
    .await
    .ok();
    verify_with_jwks(&t, &login.session_jwt).await;
}

#[tokio::test]
async fn the_engine_accumulates_factors_on_the_callers_session() {
    let t = TestServer::start().await;
    let login = t.login("factors@example.com", 60).await;
    let state = t.state();
    let existing = session::resolve_token(state, login.session_token.clone())
        .await
        .unwrap();
    let now = state.now();
    let issued = session::issue_or_extend(
        state,
        Grant {
            user_id: login.user_id.clone(),
            factor: AuthenticationFactor::password(&login.email_id, &login.email, now),
            duration_minutes: None,
            existing: Some(existing.clone()),
            attributes: Default::default(),
            custom_claims: None,
        },
    )
    .await
    .unwrap()
    .expect("extending needs no duration");
    assert_eq!(issued.session.session_id, login.session_id);
    assert_eq!(issued.token, login.session_token);
    let kinds: Vec<&str> = issued
        .session
        .authentication_factors
        .iter()
        .map(|f| f.kind.as_str())
        .collect();
    assert_eq!(kinds, ["magic_link", "password"]);

    // Another user's session is not extended: a new one starts.
    let other = t.login("someone-else@example.com", 60).await;
    let fresh = session::issue_or_extend(
        state,
        Grant {
            user_id: other.user_id.clone(),
            factor: AuthenticationFactor::email(
                FactorType::Otp,
                &other.email_id,
                &other.email,
                now,
            ),
            duration_minutes: Some(60),
            existing: Some(existing),
            attributes: Default::default(),
            custom_claims: None,
        },
    )
    .await
    .unwrap()
    .unwrap();
    assert_ne!(fresh.session.session_id, login.session_id);
    assert_eq!(fresh.session.authentication_factors.len(), 1);

    // No existing session and no duration (the /v1 rule): no session at all,
    // which renders as null / "" / "" and decodes in the official client.
    let none = session::issue_or_extend(
        state,
        Grant {
            user_id: other.user_id.clone(),
            factor: AuthenticationFactor::email(
                FactorType::MagicLink,
                &other.email_id,
                &other.email,
                now,
            ),
            duration_minutes: None,
            existing: None,
            attributes: Default::default(),
            custom_claims: None,
        },
    )
    .await
    .unwrap();
    assert!(none.is_none());
    let user = t
        .state()
        .db
        .call({
            let id = other.user_id.clone();
            move |c| users::require_user(c, &id)
        })
        .await
        .unwrap();
    let mut body = serde_json::to_value(SessionFields::from(none)).unwrap();
    assert_eq!(
        body,
        json!({"session": null, "session_token": "", "session_jwt": ""})
    );
    body["user"] = serde_json::to_value(&user).unwrap();
    body["user_id"] = json!(other.user_id);
    body["request_id"] = json!("request-id-test-x");
    body["status_code"] = json!(200);
    let decoded: mirror::LoginResponse = mirror::decode(&body);
    assert!(decoded.session.is_none());
}

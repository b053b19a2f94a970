//! A session JWT verified locally, as a host backend would, against
//! `GET /v1/sessions/jwks/{project_id}` with an RSA implementation that is
//! not the server's (jsonwebtoken on aws-lc-rs; the server signs with the
//! pure-Rust `rsa` crate). Header and claims exactly as protocol.md says.

use std::{
    collections::BTreeSet,
    time::{SystemTime, UNIX_EPOCH},
};

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine as _,
};
use jsonwebtoken::{decode, decode_header, errors::ErrorKind, Algorithm, DecodingKey, Validation};
use latchkey_conformance::{email, ok, Conformance};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use stytch::consumer::sessions;

const SESSION_CLAIM: &str = "https://stytch.com/session";

/// The JWKS with no credentials at all.
async fn jwks(t: &Conformance) -> Value {
    let response = t
        .plain
        .get(t.url(&format!("/v1/sessions/jwks/{}", t.creds.project_id)))
        .send()
        .await
        .expect("GET jwks");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("JWKS JSON")
}

fn validation(project_id: &str) -> Validation {
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[project_id]);
    v.set_issuer(&[format!("stytch.com/{project_id}")]);
    v.set_required_spec_claims(&["exp", "iat", "nbf", "sub", "aud", "iss"]);
    v.validate_nbf = true;
    v.validate_exp = true;
    v
}

fn keys_of(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn same_instant(claim: &Value, typed: Option<chrono::DateTime<chrono::Utc>>) {
    let parsed = chrono::DateTime::parse_from_rfc3339(claim.as_str().expect("a timestamp"))
        .expect("RFC 3339");
    assert_eq!(Some(parsed.with_timezone(&chrono::Utc)), typed, "{claim}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_jwt_verifies_locally_against_the_jwks() {
    let t = Conformance::start().await;
    let project_id = t.creds.project_id.clone();
    let address = email("jwt");
    let signed_up = t.sign_up(&address).await;
    let session = signed_up.session.clone().expect("a session");

    // The JWKS: one RSA key, its certificate and thumbprint consistent.
    let set_json = jwks(&t).await;
    let keys = set_json["keys"].as_array().expect("keys[]");
    assert_eq!(keys.len(), 1, "{set_json}");
    let key = &keys[0];
    for (field, expected) in [
        ("kty", json!("RSA")),
        ("use", json!("sig")),
        ("key_ops", json!(["verify"])),
        ("alg", json!("RS256")),
        ("e", json!("AQAB")),
    ] {
        assert_eq!(key[field], expected, "{field}: {key}");
    }
    let kid = key["kid"].as_str().expect("kid");
    let n = key["n"].as_str().expect("n");
    let e = key["e"].as_str().expect("e");
    let modulus = URL_SAFE_NO_PAD.decode(n).expect("n is base64url");
    assert_eq!(modulus.len(), 256, "RSA-2048");
    let cert = STANDARD
        .decode(key["x5c"][0].as_str().expect("x5c[0]"))
        .expect("x5c is base64 DER");
    assert_eq!(
        key["x5tS256"].as_str(),
        Some(URL_SAFE_NO_PAD.encode(Sha256::digest(&cert)).as_str()),
        "x5tS256 is the SHA-256 of the certificate"
    );
    assert!(
        cert.windows(modulus.len()).any(|w| w == modulus.as_slice()),
        "the certificate carries the JWK's modulus"
    );

    // Header exactly {alg, kid, typ}.
    let jwt = &signed_up.session_jwt;
    let header = decode_header(jwt).expect("a JWT header");
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), Some(kid));
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let raw_header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(keys_of(&raw_header), set(&["alg", "kid", "typ"]));

    // The signature verifies with the published key; the claims are exact.
    let decoding_key = DecodingKey::from_rsa_components(n, e).expect("an RSA key");
    let claims = decode::<Value>(jwt, &decoding_key, &validation(&project_id))
        .expect("the session JWT verifies")
        .claims;
    assert_eq!(
        keys_of(&claims),
        set(&["aud", "iss", "sub", "iat", "nbf", "exp", SESSION_CLAIM]),
        "{claims}"
    );
    assert_eq!(claims["aud"], json!([project_id]));
    assert_eq!(claims["iss"], json!(format!("stytch.com/{project_id}")));
    assert_eq!(claims["sub"], json!(signed_up.user_id));
    let iat = claims["iat"].as_i64().expect("iat");
    assert_eq!(claims["nbf"].as_i64(), Some(iat));
    assert_eq!(claims["exp"].as_i64(), Some(iat + 300));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now - 30..=now + 1).contains(&iat),
        "iat {iat} vs now {now}"
    );

    let s = &claims[SESSION_CLAIM];
    assert_eq!(
        keys_of(s),
        set(&[
            "id",
            "started_at",
            "last_accessed_at",
            "expires_at",
            "attributes",
            "authentication_factors",
            "roles"
        ]),
        "{s}"
    );
    assert_eq!(s["id"], json!(session.session_id));
    same_instant(&s["started_at"], session.started_at);
    same_instant(&s["last_accessed_at"], session.last_accessed_at);
    same_instant(&s["expires_at"], session.expires_at);
    assert_eq!(s["roles"], json!([]));
    assert_eq!(s["attributes"]["ip_address"], json!("127.0.0.1"));
    assert_eq!(s["attributes"]["user_agent"], json!("stytch-rust 11.1.0"));
    let factors = s["authentication_factors"].as_array().expect("factors[]");
    assert_eq!(factors.len(), 1);
    assert_eq!(factors[0]["type"], json!("password"));
    assert_eq!(factors[0]["delivery_method"], json!("knowledge"));
    assert_eq!(factors[0]["email_factor"]["email_address"], json!(address));
    assert_eq!(
        factors[0]["email_factor"]["email_id"],
        json!(signed_up.email_id)
    );
    same_instant(
        &factors[0]["last_authenticated_at"],
        session.authentication_factors[0].last_authenticated_at,
    );

    // Custom claims sit at the top level; the 5-minute lifetime does not
    // depend on the session's length (here 7 days).
    let refreshed = ok(
        "sessions.authenticate(claims, 10080 minutes)",
        t.client
            .sessions
            .authenticate(sessions::AuthenticateRequest {
                session_token: Some(signed_up.session_token.clone()),
                session_duration_minutes: Some(10_080),
                session_custom_claims: Some(json!({"team": "engines", "admin": false})),
                ..Default::default()
            })
            .await,
    );
    let claims = decode::<Value>(
        &refreshed.session_jwt,
        &decoding_key,
        &validation(&project_id),
    )
    .expect("the refreshed JWT verifies")
    .claims;
    assert_eq!(
        keys_of(&claims),
        set(&[
            "aud",
            "iss",
            "sub",
            "iat",
            "nbf",
            "exp",
            SESSION_CLAIM,
            "team",
            "admin"
        ]),
        "{claims}"
    );
    assert_eq!(claims["team"], json!("engines"));
    assert_eq!(claims["admin"], json!(false));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    same_instant(
        &claims[SESSION_CLAIM]["expires_at"],
        refreshed.session.expires_at,
    );

    // What must not verify: a spliced payload, another audience, another issuer.
    let mut parts: Vec<&str> = refreshed.session_jwt.split('.').collect();
    parts[1] = jwt.split('.').nth(1).unwrap();
    let spliced = parts.join(".");
    let err = decode::<Value>(&spliced, &decoding_key, &validation(&project_id)).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidSignature);
    let err = decode::<Value>(jwt, &decoding_key, &validation("project-test-other")).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::InvalidAudience | ErrorKind::InvalidIssuer
        ),
        "{err:?}"
    );
    let mut other_issuer = validation(&project_id);
    other_issuer.set_issuer(&["stytch.com/project-test-other"]);
    let err = decode::<Value>(jwt, &decoding_key, &other_issuer).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidIssuer);
    // RS256 only: the same key refuses to check an HS256 token.
    let mut hs = Validation::new(Algorithm::HS256);
    hs.set_audience(&[&project_id]);
    assert!(decode::<Value>(jwt, &decoding_key, &hs).is_err());

    // The JWKS is the same with credentials (the official client's fetch).
    let typed = ok(
        "sessions.get_jwks",
        t.client
            .sessions
            .get_jwks(sessions::GetJWKSRequest {
                project_id: project_id.clone(),
            })
            .await,
    );
    assert_eq!(typed.keys[0].kid, kid);
    assert_eq!(typed.keys[0].n, n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_of_another_project_is_not_found() {
    let t = Conformance::start().await;
    let response = t
        .plain
        .get(t.url("/v1/sessions/jwks/project-test-00000000-0000-4000-8000-000000000000"))
        .send()
        .await
        .expect("GET jwks");
    assert_eq!(response.status().as_u16(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_type"], json!("project_not_found"));
    latchkey_conformance::expect_error(
        t.client
            .sessions
            .get_jwks(sessions::GetJWKSRequest {
                project_id: "project-test-00000000-0000-4000-8000-000000000000".into(),
            })
            .await,
        404,
        "project_not_found",
    );
}

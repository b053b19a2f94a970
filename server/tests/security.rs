//! The server's own security suite: each class of attack an outside probe
//! ran against it, as tests over real HTTP against a real server on a
//! temporary SQLite directory, so that a regression fails CI.
//!
//! Findings of the probe (each test failed before its fix): DNS rebinding
//! (`Host` allow-list), dev pages readable cross-origin, responses with
//! tokens cacheable, an expired JWT accepted as a `/sdk/v1` credential.
//! Account pre-hijacking has its own file (`prehijack.rs`).

mod common;

use common::{Method, TestServer, ORIGIN};
use serde_json::{json, Value};

fn port(t: &TestServer) -> u16 {
    t.base.rsplit(':').next().unwrap().parse().unwrap()
}

// ---- Host allow-list (DNS rebinding) ------------------------------------------

/// A GET of `path` with the given `Host` header.
async fn get_as_host(t: &TestServer, path: &str, host: &str) -> common::Reply {
    t.send(t.http.get(t.url(path)).header("host", host)).await
}

#[tokio::test]
async fn only_the_hosts_the_server_listens_as_are_served() {
    let t = TestServer::start().await;
    let port = port(&t);
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        format!("LOCALHOST:{port}"),
    ] {
        let r = get_as_host(&t, "/dev/outbox", &host).await;
        assert_eq!(r.status, 200, "{host}: {}", r.text);
    }
    // A page on a rebound domain reaches 127.0.0.1 with its own name as Host.
    for host in [
        format!("rebind.evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        "rebind.evil.example".to_string(),
        format!("localhost:{}", port.wrapping_add(1)),
        "localhost".to_string(),
        format!("127.0.0.2:{port}"),
        format!("localhost:{port}@evil.example"),
    ] {
        for path in [
            "/dev/outbox",
            "/v1/sessions/jwks/x",
            "/sdk/v1/projects/bootstrap/x",
            "/health",
            "/idp/google/authorize?state=x",
        ] {
            let r = get_as_host(&t, path, &host).await;
            r.error(421, "misdirected_request");
            assert!(r.message().contains("Host"), "{}", r.text);
        }
    }
    // Without a Host header at all (HTTP/1.0) there is nothing to check against.
    let raw = raw_http(&t, "GET /dev/outbox HTTP/1.0\r\n\r\n").await;
    assert!(
        raw.starts_with("HTTP/1.0 421") || raw.starts_with("HTTP/1.1 421"),
        "{raw}"
    );
}

#[tokio::test]
async fn a_configured_public_host_is_served_too() {
    let t = TestServer::start_with(|c| {
        c.public_hosts = vec!["auth.example.test".into(), "app.example.test:8443".into()]
    })
    .await;
    let port = port(&t);
    for host in [
        "auth.example.test".to_string(),
        format!("auth.example.test:{port}"),
        "app.example.test:8443".to_string(),
        format!("localhost:{port}"),
    ] {
        assert_eq!(
            get_as_host(&t, "/health", &host).await.status,
            200,
            "{host}"
        );
    }
    for host in ["app.example.test", "evil.auth.example.test"] {
        get_as_host(&t, "/health", host)
            .await
            .error(421, "misdirected_request");
    }
}

/// Sends raw bytes and returns the raw answer (for requests no client library builds).
async fn raw_http(t: &TestServer, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port(t)))
        .await
        .unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut out),
    )
    .await;
    String::from_utf8_lossy(&out).into_owned()
}

// ---- dev pages: same origin only -----------------------------------------------

#[tokio::test]
async fn dev_pages_answer_no_cors_and_refuse_cross_origin_requests() {
    let t = TestServer::start().await;
    let own_origin = t.base.clone();
    let outbox = t.url("/dev/outbox");

    // Another local page (the attacker's dev server) asks for the outbox.
    for (name, value) in [
        ("origin", ORIGIN),
        ("origin", "http://localhost:1"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let r = t.send(t.http.get(&outbox).header(name, value)).await;
        r.error(403, "cross_origin_request");
        assert!(r.headers.get("access-control-allow-origin").is_none());
    }
    let preflight = t
        .send(
            t.http
                .request(Method::OPTIONS, &outbox)
                .header("origin", ORIGIN)
                .header("access-control-request-method", "DELETE"),
        )
        .await;
    assert!(preflight
        .headers
        .get("access-control-allow-origin")
        .is_none());
    assert!(preflight
        .headers
        .get("access-control-allow-credentials")
        .is_none());
    // Writes are refused too, and change nothing.
    t.login("kept@example.com", 60).await;
    latchkey_server::dev::outbox::deliver(
        t.state(),
        latchkey_server::dev::outbox::OutboxMessage {
            channel: latchkey_server::dev::outbox::Channel::Email,
            recipient: "kept@example.com".into(),
            subject: "s".into(),
            body: "b".into(),
            link: None,
            code: Some("123456".into()),
        },
    )
    .await
    .unwrap();
    t.send(t.http.delete(&outbox).header("origin", ORIGIN))
        .await
        .error(403, "cross_origin_request");
    t.send(
        t.http
            .post(t.url("/dev/clock"))
            .header("origin", ORIGIN)
            .json(&json!({"advance_seconds": 600})),
    )
    .await
    .error(403, "cross_origin_request");
    assert_eq!(t.outbox(None).await.len(), 1);

    // The person at the keyboard: same origin, a typed URL, or a tool.
    for (name, value) in [
        ("origin", own_origin.as_str()),
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-site", "none"),
    ] {
        let r = t.send(t.http.get(&outbox).header(name, value)).await;
        assert_eq!(r.status, 200, "{name}: {value}: {}", r.text);
        assert!(r.headers.get("access-control-allow-origin").is_none());
    }
    assert_eq!(t.get("/dev/outbox").await.status, 200);
}

#[tokio::test]
async fn the_identity_provider_pages_are_same_origin_except_navigations() {
    let t = TestServer::start().await;
    let page = t.url("/idp/google/authorize?state=nope");
    // A top-level navigation from the app (another origin) must work: it is
    // how every OAuth sign-in reaches the page. (Unknown flow: 404 page.)
    let navigation = t
        .send(
            t.http
                .get(&page)
                .header("sec-fetch-site", "cross-site")
                .header("sec-fetch-mode", "navigate")
                .header("sec-fetch-dest", "document"),
        )
        .await;
    assert_eq!(navigation.status, 404, "{}", navigation.text);
    assert!(navigation
        .headers
        .get("access-control-allow-origin")
        .is_none());
    // A script or a frame of another origin may not read or embed it.
    for (mode, dest) in [
        ("cors", "empty"),
        ("navigate", "iframe"),
        ("no-cors", "image"),
    ] {
        let r = t
            .send(
                t.http
                    .get(&page)
                    .header("origin", ORIGIN)
                    .header("sec-fetch-site", "same-site")
                    .header("sec-fetch-mode", mode)
                    .header("sec-fetch-dest", dest),
            )
            .await;
        assert_eq!(r.status, 403, "{mode} {dest}: {}", r.text);
        assert!(r.headers.get("access-control-allow-origin").is_none());
    }
    // The consent form posts to its own origin only (a cross-site form would
    // be login CSRF). Its Referrer-Policy makes the browser send Origin: null,
    // so the fetch metadata decides.
    let form = |site: &'static str, origin: &'static str| {
        t.http
            .post(t.url("/idp/google/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", site)
            .header("origin", origin)
            .body("state=nope&decision=allow&email=ada%40example.com")
    };
    let cross = t.send(form("cross-site", "https://evil.example")).await;
    assert_eq!(cross.status, 403, "{}", cross.text);
    assert!(cross.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let same = t.send(form("same-origin", "null")).await;
    assert_eq!(same.status, 404, "an unknown flow, past the origin check");
}

#[tokio::test]
async fn the_frontend_api_keeps_its_credentialed_cors() {
    let t = TestServer::start().await;
    let r = t.sdk(Method::GET, "/users/me", None, None).await;
    r.error(401, "unauthorized_credentials");
    assert_eq!(r.headers["access-control-allow-origin"], ORIGIN);
    assert_eq!(r.headers["access-control-allow-credentials"], "true");
}

// ---- no caching of anything secret -----------------------------------------------

#[track_caller]
fn assert_not_cached(r: &common::Reply, what: &str) {
    let cache = r
        .headers
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(
        cache.contains("no-store"),
        "{what}: Cache-Control {cache:?}"
    );
    assert_eq!(
        r.headers.get("pragma").map(|v| v.to_str().unwrap()),
        Some("no-cache"),
        "{what}: Pragma"
    );
}

#[tokio::test]
async fn responses_with_tokens_codes_secrets_or_user_data_are_never_cached() {
    let t = TestServer::start().await;
    let login = t.login("nocache@example.com", 60).await;
    let r = t
        .sdk(
            Method::POST,
            "/passwords",
            None,
            Some(json!({"email": "fresh@example.com", "password": "Tulip-Garden-Orbit-42"})),
        )
        .await;
    r.data();
    assert_not_cached(&r, "sdk passwords create");
    let r = t
        .sdk(
            Method::POST,
            "/sessions/authenticate",
            Some(&login.session_token),
            None,
        )
        .await;
    r.data();
    assert_not_cached(&r, "sdk sessions/authenticate");
    let r = t
        .v1(
            Method::POST,
            "/sessions/authenticate",
            Some(json!({"session_token": login.session_token})),
        )
        .await;
    r.ok();
    assert_not_cached(&r, "v1 sessions/authenticate");
    let r = t
        .v1(Method::GET, &format!("/users/{}", login.user_id), None)
        .await;
    r.ok();
    assert_not_cached(&r, "v1 users get");
    let r = t
        .sdk(Method::GET, "/users/me", Some(&login.session_token), None)
        .await;
    r.data();
    assert_not_cached(&r, "sdk users/me");
    let r = t.get("/dev/outbox").await;
    assert_not_cached(&r, "dev outbox");
    let r = t
        .send(
            t.http
                .get(t.url("/dev/outbox"))
                .header("accept", "text/html"),
        )
        .await;
    assert_not_cached(&r, "dev outbox page");
    let r = t
        .sdk(Method::GET, "/users/me", Some("dead-token"), None)
        .await;
    r.error(404, "session_not_found");
    assert_not_cached(&r, "an error");
    // The OAuth start redirect carries the flow's token in its Location.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (_, challenge) = common::pkce_pair();
    let r = t
        .send(no_redirects.get(t.url(&format!(
            "/v1/public/oauth/google/start?public_token={}&login_redirect_url=http%3A%2F%2Flocalhost%3A5173%2F&code_challenge={challenge}",
            t.creds.public_token
        ))))
        .await;
    assert_eq!(r.status, 302);
    assert_not_cached(&r, "oauth start");
}

// ---- the session JWT as a credential ---------------------------------------------

#[tokio::test]
async fn a_session_jwt_is_not_a_frontend_credential_but_the_backend_renews_an_expired_one() {
    let t = TestServer::start().await;
    let login = t.login("jwt@example.com", 60).await;
    // The browser SDKs send the opaque token; a JWT there (fresh or expired)
    // names no session, so a stolen JWT cannot act for the browser.
    t.sdk(
        Method::POST,
        "/sessions/authenticate",
        Some(&login.session_jwt),
        None,
    )
    .await
    .error(404, "session_not_found");
    t.advance_clock(301);
    for (method, path, body) in [
        (Method::POST, "/sessions/authenticate", None),
        (Method::GET, "/users/me", None),
        (
            Method::PUT,
            "/users/me",
            Some(json!({"untrusted_metadata": {"stolen": true}})),
        ),
        (
            Method::POST,
            "/otps/sms/send/secondary",
            Some(json!({"phone_number": "+15555550190"})),
        ),
    ] {
        t.sdk(method.clone(), path, Some(&login.session_jwt), body)
            .await
            .error(404, "session_not_found");
    }
    let user = t
        .v1(Method::GET, &format!("/users/{}", login.user_id), None)
        .await;
    assert_eq!(user.ok()["untrusted_metadata"], json!({}));
    // A sign-in with a JWT in the header starts its own session.
    let r = t
        .sdk(
            Method::POST,
            "/passwords",
            Some(&login.session_jwt),
            Some(json!({"email": "other-jwt@example.com", "password": "Tulip-Garden-Orbit-42"})),
        )
        .await;
    assert_ne!(r.data()["session"]["session_id"], login.session_id.as_str());

    // The backend face (documented by Stytch): an expired JWT of a live
    // session is accepted and re-minted …
    let r = t
        .v1(
            Method::POST,
            "/sessions/authenticate",
            Some(json!({"session_jwt": login.session_jwt})),
        )
        .await;
    let fresh: Value = r.ok()["session_jwt"].clone();
    assert_ne!(fresh, Value::String(login.session_jwt.clone()));
    // … but not once the session is revoked.
    t.v1(
        Method::POST,
        "/sessions/revoke",
        Some(json!({"session_id": login.session_id})),
    )
    .await
    .ok();
    t.v1(
        Method::POST,
        "/sessions/authenticate",
        Some(json!({"session_jwt": login.session_jwt})),
    )
    .await
    .error(404, "session_not_found");
}

// ---- malformed input: always a 4xx with the error body, never a 5xx -----------------

/// Every JSON-taking route of both faces (paths as the faces mount them).
const SDK_POSTS: &[&str] = &[
    "/magic_links/email/login_or_create",
    "/magic_links/email/send/primary",
    "/magic_links/email/send/secondary",
    "/magic_links/authenticate",
    "/otps/sms/login_or_create",
    "/otps/email/send/primary",
    "/otps/authenticate",
    "/passwords",
    "/passwords/authenticate",
    "/passwords/strength_check",
    "/passwords/email/reset/start",
    "/passwords/email/reset",
    "/passwords/existing_password/reset",
    "/passwords/session/reset",
    "/oauth/authenticate",
    "/sessions/authenticate",
    "/sessions/revoke",
    "/events",
];
const V1_POSTS: &[&str] = &[
    "/users",
    "/magic_links/email/login_or_create",
    "/magic_links/email/send",
    "/magic_links/authenticate",
    "/otps/whatsapp/send",
    "/otps/authenticate",
    "/passwords",
    "/passwords/authenticate",
    "/passwords/email/reset",
    "/passwords/session/reset",
    "/oauth/authenticate",
    "/sessions/authenticate",
    "/sessions/revoke",
];

#[tokio::test]
async fn malformed_bodies_get_a_4xx_error_body_on_every_route() {
    let t = TestServer::start_with(|c| c.rate_limit = latchkey_server::config::RateLimitMode::Off)
        .await;
    let login = t.login("malformed@example.com", 60).await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    // Bodies no route can take: always a 4xx.
    let malformed: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"{".to_vec()),
        ("application/json", b"{\"email\": }".to_vec()),
        ("application/json", b"[1,2,3]".to_vec()),
        ("application/json", b"\"just a string\"".to_vec()),
        ("application/json", b"1e999999".to_vec()),
        ("application/json", deep.clone().into_bytes()),
        ("application/json", vec![0xff, 0xfe, 0x7b, 0x7d]),
        ("text/plain", b"email=a@example.com".to_vec()),
        (
            "application/x-www-form-urlencoded",
            b"email=a%40example.com".to_vec(),
        ),
    ];
    // Objects with hostile values: a route that does not read those fields
    // may succeed (unknown fields are ignored); none may fail with a 5xx.
    let hostile: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"{\"email\": \"a\\u0000b@example.com\", \"password\": 7, \"token\": [], \"session_duration_minutes\": 1e300}".to_vec()),
        ("application/json", b"{\"email\": {\"$gt\": \"\"}, \"phone_number\": true, \"method_id\": null, \"session_token\": 5}".to_vec()),
        ("application/json", format!("{{\"email\": \"{}@example.com\", \"password\": \"{}\", \"name\": {{\"first_name\": \"\\ud800\"}}}}", "a".repeat(5000), "p".repeat(5000)).into_bytes()),
    ];
    let bodies: Vec<(bool, &(&str, Vec<u8>))> = malformed
        .iter()
        .map(|b| (true, b))
        .chain(hostile.iter().map(|b| (false, b)))
        .collect();
    let mut requests = Vec::new();
    for path in SDK_POSTS {
        for session in [None, Some(login.session_token.as_str())] {
            requests.push((format!("/sdk/v1{path}"), true, session));
        }
    }
    for path in V1_POSTS {
        requests.push((format!("/v1{path}"), false, None));
    }
    for (path, sdk, session) in &requests {
        for (must_fail, (content_type, body)) in &bodies {
            let mut request = t
                .http
                .post(t.url(path))
                .header("content-type", *content_type)
                .body(body.clone());
            request = if *sdk {
                request
                    .header("authorization", t.sdk_authorization(*session))
                    .header("origin", ORIGIN)
            } else {
                request.header("authorization", t.v1_authorization())
            };
            let r = t.send(request).await;
            let what = format!(
                "{path} with {content_type} {:?}: {} {}",
                String::from_utf8_lossy(&body[..body.len().min(40)]),
                r.status,
                r.text
            );
            assert!(r.status < 500, "{what}");
            assert!(!must_fail || r.status >= 400, "{what}");
            if r.status >= 400 {
                r.error(r.status, r.body["error_type"].as_str().unwrap_or("?"));
            }
        }
    }
    // Path parameters and query strings too.
    for path in [
        "/v1/users/%FF%FE",
        "/v1/users/user-test-%00",
        "/v1/users/..%2F..%2Fetc%2Fpasswd",
        "/v1/sessions?user_id=%ZZ",
        "/v1/sessions/jwks/%FF",
    ] {
        let r = t
            .send(
                t.http
                    .get(t.url(path))
                    .header("authorization", t.v1_authorization()),
            )
            .await;
        assert!(
            (400..500).contains(&r.status),
            "{path}: {} {}",
            r.status,
            r.text
        );
    }
    // Still serving.
    assert_eq!(t.get("/health").await.status, 200);
}

// ---- forged and tampered JWTs -----------------------------------------------------

fn b64(bytes: &[u8]) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    URL_SAFE_NO_PAD.encode(bytes)
}

fn b64_decode(text: &str) -> Vec<u8> {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

/// HMAC-SHA256, for the classic RS256 → HS256 confusion forgery.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .to_vec()
}

#[tokio::test]
async fn forged_and_tampered_jwts_are_refused() {
    use latchkey_server::auth::{jwt, keys};
    let t = TestServer::start_with(|c| c.rate_limit = latchkey_server::config::RateLimitMode::Off)
        .await;
    let login = t.login("forged@example.com", 60).await;
    let other = t.login("other@example.com", 60).await;
    let parts: Vec<&str> = login.session_jwt.split('.').collect();
    let header: Value = serde_json::from_slice(&b64_decode(parts[0])).unwrap();
    let claims: serde_json::Map<String, Value> =
        serde_json::from_slice(&b64_decode(parts[1])).unwrap();
    let kid = header["kid"].as_str().unwrap().to_string();
    let with = |header: Value, claims: &serde_json::Map<String, Value>, signature: &[u8]| {
        format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            b64(Value::Object(claims.clone()).to_string().as_bytes()),
            b64(signature)
        )
    };
    let mut forged = Vec::new();
    // alg: none, with and without a signature.
    forged.push(with(json!({"alg": "none", "typ": "JWT"}), &claims, b""));
    forged.push(with(json!({"alg": "none", "kid": kid}), &claims, b"x"));
    // HS256 keyed with the public key the JWKS publishes.
    let jwks = t
        .get(&format!("/v1/sessions/jwks/{}", t.creds.project_id))
        .await;
    let n = jwks.body["keys"][0]["n"].as_str().unwrap().to_string();
    let hs_header = json!({"alg": "HS256", "kid": kid, "typ": "JWT"});
    let signing_input = format!(
        "{}.{}",
        b64(hs_header.to_string().as_bytes()),
        b64(Value::Object(claims.clone()).to_string().as_bytes())
    );
    for secret in [n.as_bytes().to_vec(), b64_decode(&n)] {
        let mac = hmac_sha256(&secret, signing_input.as_bytes());
        forged.push(format!("{signing_input}.{}", b64(&mac)));
    }
    // Another RSA key, announcing the project's kid or its own.
    let stranger = keys::load(&keys::generate(0).unwrap()).unwrap();
    forged.push(jwt::encode(&stranger, &claims));
    let signing_input = format!(
        "{}.{}",
        parts[0],
        b64(Value::Object(claims.clone()).to_string().as_bytes())
    );
    forged.push(format!(
        "{signing_input}.{}",
        b64(&stranger.sign(signing_input.as_bytes()))
    ));
    // The real signature over tampered claims: another user, a later expiry.
    let mut tampered = claims.clone();
    tampered.insert("sub".into(), other.user_id.clone().into());
    forged.push(format!(
        "{}.{}.{}",
        parts[0],
        b64(Value::Object(tampered).to_string().as_bytes()),
        parts[2]
    ));
    // No signature, a truncated one, an unknown kid.
    forged.push(format!("{}.{}.", parts[0], parts[1]));
    forged.push(format!("{}.{}.{}", parts[0], parts[1], &parts[2][..20]));
    forged.push(with(
        json!({"alg": "RS256", "kid": "jwk-test-unknown", "typ": "JWT"}),
        &claims,
        &b64_decode(parts[2]),
    ));
    // Signed with the project's own key, but not a session of this user or project.
    let signer = t.state().keys.signer();
    let mut foreign = claims.clone();
    foreign.insert("iss".into(), "stytch.com/project-test-other".into());
    foreign.insert("aud".into(), json!(["project-test-other"]));
    forged.push(jwt::encode(&signer, &foreign));
    let mut swapped = claims.clone();
    swapped.insert("sub".into(), other.user_id.clone().into());
    forged.push(jwt::encode(&signer, &swapped));
    let mut unknown_session = claims.clone();
    unknown_session["https://stytch.com/session"]["id"] = "session-test-nope".into();
    forged.push(jwt::encode(&signer, &unknown_session));

    for token in &forged {
        for path in ["/sessions/authenticate", "/sessions/revoke"] {
            t.v1(Method::POST, path, Some(json!({"session_jwt": token})))
                .await
                .error(404, "session_not_found");
        }
        // Nor does any of them extend a session on a sign-in.
        t.v1(
            Method::POST,
            "/passwords/authenticate",
            Some(json!({"email": "x@example.com", "password": "whatever-it-is", "session_jwt": token})),
        )
        .await
        .error(404, "session_not_found");
    }
    // Both sessions are untouched, and the genuine JWT still works.
    t.v1(
        Method::POST,
        "/sessions/authenticate",
        Some(json!({"session_jwt": login.session_jwt})),
    )
    .await
    .ok();
    t.v1(
        Method::POST,
        "/sessions/authenticate",
        Some(json!({"session_token": other.session_token})),
    )
    .await
    .ok();
}

// ---- replays ----------------------------------------------------------------------

#[tokio::test]
async fn every_single_use_token_works_once() {
    let t =
        TestServer::start_with(|c| c.rate_limit = latchkey_server::config::RateLimitMode::Relaxed)
            .await;
    const APP: &str = "http://localhost:5173/auth";
    // A magic link.
    t.v1(
        Method::POST,
        "/magic_links/email/login_or_create",
        Some(json!({"email": "replay@example.com", "login_magic_link_url": APP})),
    )
    .await
    .ok();
    let link = common::token_of(
        t.latest_message("replay@example.com").await["link"]
            .as_str()
            .unwrap(),
    );
    let use_link = || {
        t.v1(
            Method::POST,
            "/magic_links/authenticate",
            Some(json!({"token": link, "session_duration_minutes": 60})),
        )
    };
    use_link().await.ok();
    use_link().await.error(401, "unable_to_auth_magic_link");
    // An email code.
    let sent = t
        .v1(
            Method::POST,
            "/otps/email/send",
            Some(json!({"email": "replay@example.com"})),
        )
        .await;
    let method_id = sent.ok()["email_id"].as_str().unwrap().to_string();
    let code = t.latest_message("replay@example.com").await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let use_code = || {
        t.v1(
            Method::POST,
            "/otps/authenticate",
            Some(json!({"code": code, "method_id": method_id})),
        )
    };
    use_code().await.ok();
    use_code().await.error(404, "otp_code_not_found");
    // A reset link.
    t.v1(
        Method::POST,
        "/passwords/email/reset/start",
        Some(json!({"email": "replay@example.com", "reset_password_redirect_url": APP})),
    )
    .await
    .ok();
    let reset = common::token_of(
        t.latest_message("replay@example.com").await["link"]
            .as_str()
            .unwrap(),
    );
    let use_reset = |password: &'static str| {
        t.v1(
            Method::POST,
            "/passwords/email/reset",
            Some(json!({"token": reset, "password": password})),
        )
    };
    use_reset("Tulip-Garden-Orbit-42").await.ok();
    use_reset("Another-Garden-Orbit-43")
        .await
        .error(401, "unable_to_auth_magic_link");
    // A revoked session, by token and by JWT.
    let login = t.login("revoked@example.com", 60).await;
    t.v1(
        Method::POST,
        "/sessions/revoke",
        Some(json!({"session_token": login.session_token})),
    )
    .await
    .ok();
    for body in [
        json!({"session_token": login.session_token}),
        json!({"session_jwt": login.session_jwt}),
    ] {
        t.v1(Method::POST, "/sessions/authenticate", Some(body))
            .await
            .error(404, "session_not_found");
    }
    t.sdk(
        Method::POST,
        "/sessions/authenticate",
        Some(&login.session_token),
        None,
    )
    .await
    .error(404, "session_not_found");
    // (OAuth tokens: tests/oauth.rs `wrong_verifier_replay_and_unknown_tokens`.)
}

// ---- brute force --------------------------------------------------------------------

#[tokio::test]
async fn guessing_codes_and_passwords_is_cut_short() {
    let t = TestServer::start().await;
    // A code dies after five wrong tries, even for the right code afterwards.
    t.v1(
        Method::POST,
        "/otps/sms/login_or_create",
        Some(json!({"phone_number": "+15555550150"})),
    )
    .await
    .ok();
    let method_id = t
        .v1(
            Method::POST,
            "/otps/sms/send",
            Some(json!({"phone_number": "+15555550150"})),
        )
        .await
        .ok()["phone_id"]
        .as_str()
        .unwrap()
        .to_string();
    let code = t.latest_message("+15555550150").await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        t.v1(
            Method::POST,
            "/otps/authenticate",
            Some(json!({"code": wrong, "method_id": method_id})),
        )
        .await
        .error(401, "unable_to_auth_otp_code");
    }
    t.v1(
        Method::POST,
        "/otps/authenticate",
        Some(json!({"code": code, "method_id": method_id})),
    )
    .await
    .error(404, "otp_code_not_found");
    // Passwords: ten tries on one account, then 429 (right password or not).
    t.v1(
        Method::POST,
        "/passwords",
        Some(json!({"email": "guess@example.com", "password": "Tulip-Garden-Orbit-42"})),
    )
    .await
    .ok();
    let mut refused = 0;
    for i in 0..12 {
        let r = t
            .v1(
                Method::POST,
                "/passwords/authenticate",
                Some(json!({"email": "guess@example.com", "password": format!("guess-{i}-xyz")})),
            )
            .await;
        if r.status == 429 {
            r.error(429, "too_many_requests");
            refused += 1;
        } else {
            r.error(401, "unauthorized_credentials");
        }
    }
    assert!(refused >= 2, "the account's bucket ran out");
    t.v1(
        Method::POST,
        "/passwords/authenticate",
        Some(json!({"email": "guess@example.com", "password": "Tulip-Garden-Orbit-42"})),
    )
    .await
    .error(429, "too_many_requests");
}

// ---- CORS ---------------------------------------------------------------------------

#[tokio::test]
async fn no_origin_but_an_authorized_one_gets_cors() {
    let t = TestServer::start().await;
    for origin in [
        "https://evil.example",
        "null",
        "http://localhost.evil.example:5173",
        "https://localhost:5173",
        "http://localhost:5173.evil.example",
    ] {
        for path in [
            "/sdk/v1/sessions/authenticate",
            "/v1/sessions/authenticate",
            "/dev/outbox",
            "/health",
        ] {
            let preflight = t
                .send(
                    t.http
                        .request(Method::OPTIONS, t.url(path))
                        .header("origin", origin)
                        .header("access-control-request-method", "POST")
                        .header("access-control-request-headers", "authorization"),
                )
                .await;
            assert!(
                preflight
                    .headers
                    .get("access-control-allow-origin")
                    .is_none(),
                "{origin} {path}"
            );
        }
    }
}

// ---- redirects ----------------------------------------------------------------------

#[tokio::test]
async fn links_and_oauth_redirect_only_to_allowed_urls() {
    let t = TestServer::start().await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (_, challenge) = common::pkce_pair();
    for url in [
        "https://evil.example/",
        "//evil.example/",
        "http://localhost:5173@evil.example/",
        "http://evil.example\\@localhost:5173/",
        "http://localhost:5173\\@evil.example/",
        "javascript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "http://localhost:5173/\r\nLocation: https://evil.example/",
        "http://localhost:5173 /",
        "/relative/path",
        "http://localhost.evil.example:5173/",
    ] {
        for (path, field) in [
            ("/magic_links/email/login_or_create", "login_magic_link_url"),
            (
                "/magic_links/email/login_or_create",
                "signup_magic_link_url",
            ),
            (
                "/passwords/email/reset/start",
                "reset_password_redirect_url",
            ),
        ] {
            t.v1(
                Method::POST,
                path,
                Some(json!({"email": "redirect@example.com", field: url})),
            )
            .await
            .error(400, "invalid_redirect_url");
        }
        let start = format!(
            "/v1/public/oauth/google/start?public_token={}&code_challenge={challenge}&login_redirect_url={}",
            t.creds.public_token,
            encode_query(url)
        );
        let r = t.send(no_redirects.get(t.url(&start))).await;
        r.error(400, "invalid_redirect_url");
    }
    assert!(t.outbox(None).await.is_empty(), "nothing was sent anywhere");
}

fn encode_query(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

// ---- PKCE ---------------------------------------------------------------------------

#[tokio::test]
async fn pkce_binds_a_link_to_the_browser_that_asked_for_it() {
    let t = TestServer::start().await;
    const APP: &str = "http://localhost:5173/auth";
    // The browser face will not send a link without a challenge.
    t.sdk(
        Method::POST,
        "/magic_links/email/login_or_create",
        None,
        Some(json!({"email": "pkce@example.com", "login_magic_link_url": APP})),
    )
    .await
    .error(400, "bad_request");
    // Malformed challenges (plain verifiers, wrong length, padding).
    for bad in [
        "plain-verifier",
        &"a".repeat(42),
        &format!("{}=", "a".repeat(43)),
    ] {
        t.sdk(
            Method::POST,
            "/magic_links/email/login_or_create",
            None,
            Some(json!({"email": "pkce@example.com", "login_magic_link_url": APP, "code_challenge": bad})),
        )
        .await
        .error(400, "bad_request");
    }
    let (verifier, challenge) = common::pkce_pair();
    t.sdk(
        Method::POST,
        "/magic_links/email/login_or_create",
        None,
        Some(json!({"email": "pkce@example.com", "login_magic_link_url": APP, "code_challenge": challenge})),
    )
    .await
    .data();
    let token = common::token_of(
        t.latest_message("pkce@example.com").await["link"]
            .as_str()
            .unwrap(),
    );
    // Someone who got the link but not the verifier: refused, link intact.
    let (other_verifier, _) = common::pkce_pair();
    for attempt in [
        json!({"token": token}),
        json!({"token": token, "code_verifier": other_verifier}),
        json!({"token": token, "code_verifier": challenge}),
    ] {
        t.v1(Method::POST, "/magic_links/authenticate", Some(attempt))
            .await
            .error(400, "pkce_mismatch");
    }
    t.sdk(
        Method::POST,
        "/magic_links/authenticate",
        None,
        Some(json!({"token": token, "code_verifier": verifier})),
    )
    .await
    .data();
}

// ---- storage at rest ------------------------------------------------------------------

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn no_credential_is_kept_in_the_clear_at_rest() {
    const PASSWORD: &str = "Correct-Horse-Battery-Staple-51";
    const APP: &str = "http://localhost:5173/auth";
    let t = TestServer::start().await;
    let created = t
        .v1(
            Method::POST,
            "/passwords",
            Some(json!({"email": "rest@example.com", "password": PASSWORD, "session_duration_minutes": 60})),
        )
        .await;
    let token = created.ok()["session_token"].as_str().unwrap().to_string();
    let login = t.login("rest2@example.com", 60).await;
    // An OAuth token lives only in the redirect to the app, never in the outbox.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (verifier, challenge) = common::pkce_pair();
    let start = no_redirects
        .get(t.url(&format!(
            "/v1/public/oauth/github/start?public_token={}&code_challenge={challenge}&login_redirect_url={}",
            t.creds.public_token,
            encode_query(APP)
        )))
        .send()
        .await
        .unwrap();
    let location = start.headers()["location"].to_str().unwrap().to_string();
    let state = location.split("state=").nth(1).unwrap().to_string();
    let consent = no_redirects
        .post(t.url("/idp/github/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "state={state}&decision=allow&email=rest3%40example.com"
        ))
        .send()
        .await
        .unwrap();
    let back = consent.headers()["location"].to_str().unwrap().to_string();
    let oauth_token = common::token_of(&back);

    let mut stored = Vec::new();
    for entry in std::fs::read_dir(t.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() != "credentials.json" {
            stored.extend(std::fs::read(&path).unwrap());
        }
    }
    for (what, secret) in [
        ("the backend secret", t.creds.secret.as_str()),
        ("a session token", token.as_str()),
        ("another session token", login.session_token.as_str()),
        ("a password", PASSWORD),
        ("an OAuth token", oauth_token.as_str()),
        ("an OAuth flow state", state.as_str()),
        ("a PKCE verifier", verifier.as_str()),
    ] {
        assert!(!contains(&stored, secret), "{what} is stored in the clear");
    }
    // What is kept instead: their SHA-256 (so the scan did read the rows).
    for kept in [&t.creds.secret, &token, &oauth_token] {
        let hash = latchkey_server::auth::tokens::hash_token(kept);
        assert!(contains(&stored, &hash), "the hash of a token is stored");
    }
}

// ---- kill -9 ------------------------------------------------------------------------

/// The real binary on `data_dir`: its port once it listens.
async fn spawn_binary(data_dir: &std::path::Path) -> (tokio::process::Child, u16) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_latchkey-server"))
        .args(["--port", "0", "--data-dir"])
        .arg(data_dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let port = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(port) = line.strip_prefix("latchkey-server listening on http://localhost:")
            {
                return port.parse::<u16>().unwrap();
            }
        }
        panic!("no listening line");
    })
    .await
    .expect("started in time");
    (child, port)
}

#[tokio::test]
async fn a_sigkill_loses_nothing_that_was_answered() {
    let dir = tempfile::tempdir().unwrap();
    let (mut first, port) = spawn_binary(dir.path()).await;
    let creds: latchkey_server::Credentials = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("credentials.json")).unwrap(),
    )
    .unwrap();
    let http = reqwest::Client::new();
    let auth = latchkey_server::auth::basic::encode(&creds.project_id, &creds.secret);
    let v1 = |port: u16, path: &str, body: Value| {
        http.post(format!("http://127.0.0.1:{port}/v1{path}"))
            .header("authorization", &auth)
            .json(&body)
            .send()
    };
    // A burst of concurrent writes, each answered before the kill.
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..20 {
        let request = v1(
            port,
            "/passwords",
            json!({"email": format!("kill{i}@example.com"), "password": "Tulip-Garden-Orbit-42", "session_duration_minutes": 60}),
        );
        burst.spawn(async move { request.await.unwrap().json::<Value>().await.unwrap() });
    }
    let tokens: Vec<String> = burst
        .join_all()
        .await
        .iter()
        .map(|body| body["session_token"].as_str().expect("created").to_string())
        .collect();
    let sent: Value = v1(
        port,
        "/magic_links/email/login_or_create",
        json!({"email": "kill-link@example.com", "login_magic_link_url": "http://localhost:5173/"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(sent["user_id"].is_string(), "{sent}");
    first.kill().await.unwrap();

    let (mut second, port) = spawn_binary(dir.path()).await;
    for token in &tokens {
        let r: Value = v1(
            port,
            "/sessions/authenticate",
            json!({"session_token": token}),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(r["status_code"], 200, "{r}");
    }
    let outbox: Value = http
        .get(format!(
            "http://127.0.0.1:{port}/dev/outbox?recipient=kill-link@example.com"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link = outbox["messages"][0]["link"]
        .as_str()
        .expect("the link survived");
    let r: Value = v1(
        port,
        "/magic_links/authenticate",
        json!({"token": common::token_of(link), "session_duration_minutes": 5}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(r["status_code"], 200, "the link still works once: {r}");
    second.kill().await.unwrap();
}

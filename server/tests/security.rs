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

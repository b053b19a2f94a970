//! Infrastructure over real HTTP: error bodies, body parsing, credentials on both faces, CORS, bootstrap, dev routes.

mod common;

use std::time::{Duration, Instant};

use common::{Method, TestServer, ORIGIN};
use latchkey_server::{
    auth::basic,
    dev::outbox::{self, Channel, OutboxMessage},
};
use serde_json::{json, Value};

// ---- error shapes ------------------------------------------------------------

#[tokio::test]
async fn unknown_routes_answer_with_the_error_body() {
    let t = TestServer::start().await;
    t.get("/v1/no/such/route").await.error(404, "not_found");
    t.sdk(Method::POST, "/no/such/route", None, None)
        .await
        .error(404, "not_found");
    t.get("/sdk/v2/anything").await.error(404, "not_found");
    t.get("/dev/nothing").await.error(404, "not_found");
    // Known path, wrong method.
    let wrong = t.v1(Method::PATCH, "/users", None).await;
    wrong.error(405, "method_not_allowed");
    // Outside the API, a static 404 is left alone (no mounts here).
    assert_eq!(t.get("/index.html").await.status, 404);
    assert_eq!(t.get("/health").await.body["status"], "ok");
}

#[tokio::test]
async fn malformed_json_and_wrong_content_are_bad_requests() {
    let t = TestServer::start().await;
    let post = |body: &'static str, content_type: &'static str| {
        t.http
            .post(t.url("/v1/users"))
            .header("authorization", t.v1_authorization())
            .header("content-type", content_type)
            .body(body)
    };
    let r = t.send(post("{\"email\": ", "application/json")).await;
    r.error(400, "bad_request");
    assert!(r.message().contains("not valid JSON"), "{}", r.message());

    let r = t.send(post("[1, 2]", "application/json")).await;
    r.error(400, "bad_request");
    assert!(r.message().contains("JSON object"));

    let r = t
        .send(post("email=a@b.co", "application/x-www-form-urlencoded"))
        .await;
    r.error(400, "bad_request");
    assert!(r.message().contains("Content-Type"));

    let r = t.send(post("{\"email\": \"a@b.co\"}", "text/plain")).await;
    r.error(400, "bad_request");
}

#[tokio::test]
async fn missing_and_mistyped_fields_are_named() {
    let t = TestServer::start().await;
    let login = t.login("fields@example.com", 60).await;

    // Missing field.
    let r = t.v1(Method::GET, "/sessions", Some(json!({}))).await;
    r.error(400, "bad_request");
    assert!(r.message().contains("`user_id`"), "{}", r.message());

    // Mistyped fields, top level and nested.
    let r = t
        .v1(
            Method::POST,
            "/sessions/authenticate",
            Some(json!({"session_token": login.session_token, "session_duration_minutes": "60"})),
        )
        .await;
    r.error(400, "bad_request");
    assert!(
        r.message().contains("`session_duration_minutes`"),
        "{}",
        r.message()
    );

    let r = t
        .v1(
            Method::POST,
            "/users",
            Some(json!({"email": "n@example.com", "name": {"first_name": 7}})),
        )
        .await;
    r.error(400, "bad_request");
    assert!(r.message().contains("`name.first_name`"), "{}", r.message());

    let r = t
        .sdk(
            Method::POST,
            "/sessions/authenticate",
            Some(&login.session_token),
            Some(json!({"session_duration_minutes": 1.5})),
        )
        .await;
    r.error(400, "bad_request");
    assert!(r.message().contains("`session_duration_minutes`"));
}

#[tokio::test]
async fn bodies_over_64_kb_get_413() {
    let t = TestServer::start().await;
    let big =
        json!({"email": "big@example.com", "untrusted_metadata": {"blob": "x".repeat(70 * 1024)}});
    t.v1(Method::POST, "/users", Some(big.clone()))
        .await
        .error(413, "request_too_large");
    let login = t.login("limits@example.com", 60).await;
    t.sdk(
        Method::PUT,
        "/users/me",
        Some(&login.session_token),
        Some(big),
    )
    .await
    .error(413, "request_too_large");
    // Just under the limit is parsed (and then judged on its merits).
    let fits =
        json!({"email": "fits@example.com", "untrusted_metadata": {"blob": "x".repeat(60 * 1024)}});
    let r = t.v1(Method::POST, "/users", Some(fits)).await;
    r.error(400, "bad_request");
    assert!(r.message().contains("untrusted_metadata"));
}

// ---- credentials -------------------------------------------------------------

#[tokio::test]
async fn backend_credentials_are_checked() {
    let t = TestServer::start().await;
    let path = t.url("/v1/users/user-test-00000000-0000-4000-8000-000000000000");
    let with = |auth: Option<String>| {
        let request = t.http.get(&path);
        match auth {
            Some(auth) => request.header("authorization", auth),
            None => request,
        }
    };
    for auth in [
        None,
        Some("Bearer xyz".to_string()),
        Some("Basic !!notbase64".to_string()),
        Some(basic::encode(&t.creds.project_id, "secret-test-wrong")),
        Some(basic::encode("project-test-other", &t.creds.secret)),
        Some(format!("Basic {}", "bm9jb2xvbg==")),
    ] {
        t.send(with(auth.clone()))
            .await
            .error(401, "unauthorized_credentials");
    }
    // The public token never opens the backend, with any password.
    for password in [t.creds.public_token.clone(), t.creds.secret.clone()] {
        let r = t
            .send(with(Some(basic::encode(&t.creds.public_token, &password))))
            .await;
        r.error(401, "unauthorized_credentials");
        assert!(r.message().contains("public token"));
    }
    // The right ones get through to the handler (unknown user → 404).
    t.send(with(Some(t.v1_authorization())))
        .await
        .error(404, "user_not_found");
}

#[tokio::test]
async fn frontend_needs_an_authorized_origin_and_the_public_token() {
    let t = TestServer::start().await;
    let url = t.url("/sdk/v1/users/me");
    let auth = t.sdk_authorization(None);

    // No Origin and no X-SDK-Parent-Host.
    let r = t
        .send(t.http.get(&url).header("authorization", &auth))
        .await;
    r.error(403, "bad_domain_for_stytch_sdk");
    // Unauthorized origins, through either header.
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("origin", "http://localhost.evil.example:5173"),
        ("origin", "null"),
        ("x-sdk-parent-host", "https://evil.example"),
    ] {
        t.send(
            t.http
                .get(&url)
                .header("authorization", &auth)
                .header(name, value),
        )
        .await
        .error(403, "bad_domain_for_stytch_sdk");
    }
    // An authorized parent host is enough when there is no Origin; the
    // request then fails only for lack of a session.
    t.send(
        t.http
            .get(&url)
            .header("authorization", &auth)
            .header("x-sdk-parent-host", "http://127.0.0.1:3000"),
    )
    .await
    .error(401, "unauthorized_credentials");

    // Unknown public token, malformed header, the secret instead of the token.
    for bad in [
        basic::encode("public-token-test-unknown", "public-token-test-unknown"),
        "Basic".to_string(),
        basic::encode(&t.creds.project_id, &t.creds.secret),
    ] {
        t.send(
            t.http
                .get(&url)
                .header("authorization", bad)
                .header("origin", ORIGIN),
        )
        .await
        .error(401, "unauthorized_credentials");
    }
    // An unknown session token is a dead session.
    t.sdk(
        Method::GET,
        "/users/me",
        Some("not-a-session-token-at-all"),
        None,
    )
    .await
    .error(404, "session_not_found");
}

#[tokio::test]
async fn cors_is_credentialed_for_authorized_origins_only() {
    let t = TestServer::start().await;
    let preflight = |origin: &'static str| {
        t.http
            .request(Method::OPTIONS, t.url("/sdk/v1/sessions/authenticate"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type,x-sdk-client,x-sdk-parent-host",
            )
    };
    let ok = t.send(preflight(ORIGIN)).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.headers["access-control-allow-origin"], ORIGIN);
    assert_eq!(ok.headers["access-control-allow-credentials"], "true");
    let evil = t.send(preflight("https://evil.example")).await;
    assert!(evil.headers.get("access-control-allow-origin").is_none());

    // Error answers carry the CORS headers too, so the SDK can read them.
    let err = t.sdk(Method::GET, "/users/me", None, None).await;
    err.error(401, "unauthorized_credentials");
    assert_eq!(err.headers["access-control-allow-origin"], ORIGIN);
}

// ---- bootstrap -----------------------------------------------------------------

#[tokio::test]
async fn bootstrap_reports_project_settings() {
    let t = TestServer::start().await;
    let path = format!("/projects/bootstrap/{}", t.creds.public_token);
    let r = t.sdk(Method::GET, &path, None, None).await;
    let data = r.data();
    for field in [
        "project_name",
        "disable_sdk_watermark",
        "cname_domain",
        "email_domains",
        "captcha_settings",
        "password_config",
        "rbac_policy",
        "vertical",
    ] {
        assert!(data.get(field).is_some(), "missing {field}");
    }
    assert_eq!(data["pkce_required_for_email_magic_links"], true);
    assert_eq!(data["pkce_required_for_password_resets"], true);
    assert_eq!(data["pkce_required_for_oauth"], true);
    assert_eq!(data["captcha_settings"]["enabled"], false);
    assert_eq!(data["email_domains"], json!([]));
    assert!(data.get("__user").is_none());

    // Works without Basic credentials (the token is in the path) but not
    // from an unauthorized origin, and not for another token.
    let bare = t
        .send(
            t.http
                .get(t.url(&format!("/sdk/v1{path}")))
                .header("origin", ORIGIN),
        )
        .await;
    bare.data();
    t.send(
        t.http
            .get(t.url(&format!("/sdk/v1{path}")))
            .header("origin", "https://evil.example"),
    )
    .await
    .error(403, "bad_domain_for_stytch_sdk");
    t.sdk(
        Method::GET,
        "/projects/bootstrap/public-token-test-other",
        None,
        None,
    )
    .await
    .error(401, "unauthorized_credentials");

    let relaxed = TestServer::start_with(|c| c.pkce_optional = true).await;
    let path = format!("/projects/bootstrap/{}", relaxed.creds.public_token);
    let data = relaxed.sdk(Method::GET, &path, None, None).await;
    assert_eq!(data.data()["pkce_required_for_oauth"], false);
}

#[tokio::test]
async fn bootstrap_and_the_backend_publish_the_rbac_policy() {
    // The official browser SDK logs an error on every page when this is null.
    let t = TestServer::start().await;
    let path = format!("/projects/bootstrap/{}", t.creds.public_token);
    let r = t.sdk(Method::GET, &path, None, None).await;
    let default = json!({
        "roles": [{"role_id": "stytch_user", "description": "Stytch's predefined role of every consumer project.", "permissions": []}],
        "resources": [],
        "scopes": []
    });
    assert_eq!(r.data()["rbac_policy"], default);
    assert_eq!(
        t.v1(Method::GET, "/rbac/policy", None).await.ok()["policy"],
        default
    );

    let file = t.data_dir().join("rbac.json");
    let custom = json!({
        "roles": [
            {"role_id": "stytch_user", "description": "Everyone", "permissions": [{"resource_id": "documents", "actions": ["read"]}]},
            {"role_id": "editor", "description": "Edits", "permissions": [{"resource_id": "documents", "actions": ["*"]}]}
        ],
        "resources": [{"resource_id": "documents", "description": "Docs", "actions": ["read", "write"]}],
        "scopes": [{"scope": "read:docs", "description": "Read", "permissions": [{"resource_id": "documents", "actions": ["read"]}]}]
    });
    std::fs::write(&file, custom.to_string()).unwrap();
    let t = t.restart_with(|c| c.rbac_policy = Some(file.clone())).await;
    let r = t.sdk(Method::GET, &path, None, None).await;
    assert_eq!(r.data()["rbac_policy"], custom);
    assert_eq!(
        t.v1(Method::GET, "/rbac/policy", None).await.ok()["policy"],
        custom
    );

    // A policy that names an undefined resource does not start.
    let broken = t.data_dir().join("broken.json");
    std::fs::write(
        &broken,
        json!({"roles": [{"role_id": "stytch_user", "description": "", "permissions": [{"resource_id": "nope", "actions": ["read"]}]}], "resources": []}).to_string(),
    )
    .unwrap();
    let mut config = latchkey_server::Config::with_data_dir(t.data_dir().join("other"));
    config.rbac_policy = Some(broken);
    let refused = latchkey_server::start(config).await.err().expect("refused");
    assert!(
        refused.contains("--rbac-policy") && refused.contains("nope"),
        "{refused}"
    );
}

// ---- telemetry ---------------------------------------------------------------------

#[tokio::test]
async fn sdk_telemetry_events_are_kept_for_the_dev_page() {
    let t = TestServer::start().await;
    let event = |name: &str, token: &str| {
        json!({
            "telemetry": {"event_id": "event-id-1", "app": {"identifier": "localhost"},
                          "sdk": {"identifier": "Stytch.js Javascript SDK", "version": "@stytch/vanilla-js@6.3.0"}},
            "event": {"public_token": token, "event_name": name, "details": {"n": 1}}
        })
    };
    let token = t.creds.public_token.clone();
    // As Stytch's SDK sends them: a JSON array, an Origin, no Authorization.
    let post = |body: Value| {
        t.http
            .post(t.url("/sdk/v1/events"))
            .header("origin", ORIGIN)
            .json(&body)
    };
    let r = t
        .send(post(json!([
            event("sdk_instance_instantiated", &token),
            event("second", &token)
        ])))
        .await;
    let data = r.data();
    assert_eq!(
        data.as_object().unwrap().len(),
        2,
        "request_id and status_code"
    );
    assert_eq!(r.headers["access-control-allow-origin"], ORIGIN);
    let shown = t.get("/dev/events").await;
    let events = shown.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["event"]["event_name"], "second");
    assert_eq!(
        events[1]["event"]["event_name"],
        "sdk_instance_instantiated"
    );
    assert_eq!(
        events[1]["telemetry"]["sdk"]["version"],
        "@stytch/vanilla-js@6.3.0"
    );
    let page = t
        .send(
            t.http
                .get(t.url("/dev/events"))
                .header("accept", "text/html"),
        )
        .await;
    assert!(page.text.contains("sdk_instance_instantiated"));

    // Abuse: another project's token, no or a foreign origin, not an array,
    // not JSON, too many or too large events, missing parts.
    t.send(post(json!([event("x", "public-token-test-other")])))
        .await
        .error(401, "unauthorized_credentials");
    t.send(
        t.http
            .post(t.url("/sdk/v1/events"))
            .json(&json!([event("x", &token)])),
    )
    .await
    .error(403, "bad_domain_for_stytch_sdk");
    t.send(
        t.http
            .post(t.url("/sdk/v1/events"))
            .header("origin", "https://evil.example")
            .json(&json!([event("x", &token)])),
    )
    .await
    .error(403, "bad_domain_for_stytch_sdk");
    for (body, why) in [
        (json!({"telemetry": {}, "event": {}}), "array"),
        (Value::Array(vec![event("x", &token); 51]), "51"),
        (json!([{"event": {"public_token": token}}]), "telemetry"),
        (json!(["text"]), "[0]"),
        (
            json!([{"telemetry": {"blob": "x".repeat(9000)}, "event": {"public_token": token}}]),
            "larger",
        ),
    ] {
        let r = t.send(post(body)).await;
        r.error(400, "bad_request");
        assert!(r.message().contains(why), "{}", r.message());
    }
    t.send(
        t.http
            .post(t.url("/sdk/v1/events"))
            .header("origin", ORIGIN)
            .header("content-type", "application/json")
            .body("[{oops"),
    )
    .await
    .error(400, "bad_request");
    t.send(
        t.http
            .post(t.url("/sdk/v1/events"))
            .header("origin", ORIGIN)
            .header("content-type", "application/json")
            .body(format!("[\"{}\"]", "x".repeat(70 * 1024))),
    )
    .await
    .error(413, "request_too_large");
    assert_eq!(
        t.get("/dev/events").await.body["events"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "nothing refused was kept"
    );

    // Only the last 100 stay.
    for batch in 0..3 {
        let events: Vec<Value> = (0..50)
            .map(|i| event(&format!("b{batch}-{i}"), &token))
            .collect();
        t.send(post(Value::Array(events))).await.data();
    }
    let kept = t.get("/dev/events").await;
    let kept = kept.body["events"].as_array().unwrap();
    assert_eq!(kept.len(), 100);
    assert_eq!(kept[0]["event"]["event_name"], "b2-49");
    assert_eq!(kept[99]["event"]["event_name"], "b1-0");
    let cleared = t.send(t.http.delete(t.url("/dev/events"))).await;
    assert_eq!(cleared.body["deleted"], 100);
}

// ---- fault injection -----------------------------------------------------------

#[tokio::test]
async fn faults_fail_the_next_n_requests_then_stop() {
    let t = TestServer::start().await;
    let login = t.login("faults@example.com", 60).await;
    let arm = t
        .send(t.http.post(t.url("/dev/faults")).json(&json!({
            "path_prefix": "/sdk/v1/sessions", "count": 2, "status": 503
        })))
        .await;
    assert_eq!(arm.status, 200, "{}", arm.text);
    assert_eq!(arm.body["faults"][0]["remaining"], 2);

    let refresh = || {
        t.sdk(
            Method::POST,
            "/sessions/authenticate",
            Some(&login.session_token),
            None,
        )
    };
    for _ in 0..2 {
        let r = refresh().await;
        r.error(503, "internal_server_error");
        assert_eq!(r.headers["access-control-allow-origin"], ORIGIN);
    }
    refresh().await.data();
    // Other paths were never affected.
    t.sdk(Method::GET, "/users/me", Some(&login.session_token), None)
        .await
        .data();

    // A custom error type, then clearing before it fires.
    t.send(t.http.post(t.url("/dev/faults")).json(&json!({
        "path_prefix": "/v1/users", "count": 1, "status": 429, "error_type": "too_many_requests"
    })))
    .await;
    t.v1(Method::GET, &format!("/users/{}", login.user_id), None)
        .await
        .error(429, "too_many_requests");
    t.send(t.http.post(t.url("/dev/faults")).json(&json!({
        "path_prefix": "/v1/users", "count": 5, "status": 500
    })))
    .await;
    let cleared = t.send(t.http.delete(t.url("/dev/faults"))).await;
    assert_eq!(cleared.body["faults"], json!([]));
    t.v1(Method::GET, &format!("/users/{}", login.user_id), None)
        .await
        .ok();
}

#[tokio::test]
async fn faults_can_delay_without_failing() {
    let t = TestServer::start().await;
    t.send(t.http.post(t.url("/dev/faults")).json(&json!({
        "path_prefix": "/v1/sessions/jwks", "count": 1, "delay_ms": 300
    })))
    .await;
    let path = format!("/v1/sessions/jwks/{}", t.creds.project_id);
    let started = Instant::now();
    t.get(&path).await.ok();
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    t.get(&path).await.ok();
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn fault_requests_are_validated() {
    let t = TestServer::start().await;
    for body in [
        json!({"path_prefix": "v1", "count": 1, "status": 500}),
        json!({"path_prefix": "/v1", "count": 0, "status": 500}),
        json!({"path_prefix": "/v1", "count": 1}),
        json!({"path_prefix": "/v1", "count": 1, "status": 200}),
        json!({"path_prefix": "/dev/outbox", "count": 1, "status": 500}),
        json!({"path_prefix": "/v1", "count": 1, "status": 500, "error_type": "Bad Type"}),
        json!({"path_prefix": "/v1", "count": "1", "status": 500}),
    ] {
        let r = t.send(t.http.post(t.url("/dev/faults")).json(&body)).await;
        r.error(400, "bad_request");
    }
}

#[tokio::test]
async fn dev_faults_and_clock_are_off_by_default() {
    let t = TestServer::start_with(|c| c.enable_dev_faults = false).await;
    let r = t
        .send(t.http.post(t.url("/dev/faults")).json(&json!({
            "path_prefix": "/v1", "count": 1, "status": 500
        })))
        .await;
    r.error(404, "not_found");
    t.get("/dev/clock").await.error(404, "not_found");
    // The outbox stays available.
    assert!(t.outbox(None).await.is_empty());
}

#[tokio::test]
async fn the_dev_clock_moves_forward() {
    let t = TestServer::start().await;
    let before = t.state().now();
    let r = t
        .send(
            t.http
                .post(t.url("/dev/clock"))
                .json(&json!({"advance_seconds": 3600})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["offset_seconds"], 3600);
    assert!(t.state().now() >= before + 3600);
    t.send(
        t.http
            .post(t.url("/dev/clock"))
            .json(&json!({"advance_seconds": "soon"})),
    )
    .await
    .error(400, "bad_request");
}

// ---- outbox --------------------------------------------------------------------

fn message(channel: Channel, recipient: &str, n: u32) -> OutboxMessage {
    OutboxMessage {
        channel,
        recipient: recipient.into(),
        subject: format!("Message {n}"),
        body: format!("Body {n}"),
        link: (channel == Channel::Email).then(|| format!("http://localhost:5173/auth?token=t{n}")),
        code: (channel != Channel::Email).then(|| format!("{n:06}")),
    }
}

#[tokio::test]
async fn the_outbox_lists_newest_first_and_filters() {
    let t = TestServer::start().await;
    outbox::deliver(t.state(), message(Channel::Email, "ada@example.com", 1))
        .await
        .unwrap();
    outbox::deliver(t.state(), message(Channel::Sms, "+15555550123", 2))
        .await
        .unwrap();
    outbox::deliver(t.state(), message(Channel::Email, "Ada@Example.com", 3))
        .await
        .unwrap();

    let all = t.outbox(None).await;
    let subjects: Vec<_> = all.iter().map(|m| m["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["Message 3", "Message 2", "Message 1"]);
    let sms = &all[1];
    assert_eq!(sms["channel"], "sms");
    assert_eq!(sms["code"], "000002");
    assert!(sms["link"].is_null());
    for field in [
        "id",
        "channel",
        "recipient",
        "subject",
        "body",
        "link",
        "code",
        "created_at",
    ] {
        assert!(all[0].get(field).is_some(), "missing {field}");
    }
    assert!(all[0]["created_at"].as_str().unwrap().ends_with('Z'));

    let ada = t.outbox(Some("ada@example.com")).await;
    assert_eq!(ada.len(), 2);
    assert_eq!(ada[0]["link"], "http://localhost:5173/auth?token=t3");

    let html = t
        .send(
            t.http
                .get(t.url("/dev/outbox"))
                .header("accept", "text/html,*/*"),
        )
        .await;
    assert_eq!(html.status, 200);
    assert!(html.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(html.text.contains("http://localhost:5173/auth?token=t1"));
    assert!(html.text.contains("000002"));

    let limited = t.send(t.http.get(t.url("/dev/outbox?limit=1"))).await;
    assert_eq!(limited.body["messages"].as_array().unwrap().len(), 1);
    t.send(t.http.get(t.url("/dev/outbox?limit=lots")))
        .await
        .error(400, "bad_request");

    let cleared = t.send(t.http.delete(t.url("/dev/outbox"))).await;
    assert_eq!(cleared.body["deleted"], 3);
    assert!(t.outbox(None).await.is_empty());
}

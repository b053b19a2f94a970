//! The shared test harness: a real server on a temporary data directory, and
//! helpers to call both faces with the right headers.
//!
//! Use it from any file in `server/tests/` with `mod common;`:
//!
//! ```ignore
//! let t = TestServer::start().await;
//! let login = t.login("ada@example.com", 60).await;           // user + session, no HTTP
//! let me = t.sdk(Method::GET, "/users/me", Some(&login.session_token), None).await;
//! assert_eq!(me.data()["user_id"], login.user_id);
//! let err = t.v1(Method::GET, "/users/user-test-nope", None).await;
//! err.error(400, "invalid_user_id");
//! ```
#![allow(dead_code)]

pub mod authenticator;
pub mod mirror;
pub mod totp;

use std::{path::PathBuf, sync::Arc, time::Duration};

use latchkey_server::{
    auth::{basic, pkce},
    config::Config,
    model::{AuthenticationFactor, FactorType},
    session::{self, Grant},
    store::users,
    AppState, Credentials, Server,
};
pub use reqwest::Method;
use serde_json::Value;

/// The browser origin the frontend helpers send (authorized by default).
pub const ORIGIN: &str = "http://localhost:5173";

/// A PKCE pair as the browser SDK makes it: 32 random bytes in hex, and
/// base64url(SHA-256(verifier)).
pub fn pkce_pair() -> (String, String) {
    let verifier: String = latchkey_server::ids::random_bytes::<32>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let challenge = pkce::challenge_for(&verifier);
    (verifier, challenge)
}

/// The `token` query parameter of an emailed link.
pub fn token_of(link: &str) -> String {
    let query = link.split_once('?').expect("a query").1;
    let query = query.split('#').next().unwrap();
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .expect("token=")
        .to_string()
}

pub struct TestServer {
    server: Option<Server>,
    dir: Arc<tempfile::TempDir>,
    config: Config,
    pub creds: Credentials,
    pub base: String,
    pub http: reqwest::Client,
}

/// A user with a live session, made without going through HTTP.
#[derive(Debug, Clone)]
pub struct Login {
    pub user_id: String,
    pub email_id: String,
    pub email: String,
    pub session_id: String,
    pub session_token: String,
    pub session_jwt: String,
}

/// A response: status, headers and the JSON body (`Value::Null` if not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// Asserts a flat 200 body (backend face) and returns it.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(
            self.status, 200,
            "expected 200, got {}: {}",
            self.status, self.text
        );
        assert_eq!(self.body["status_code"], 200, "{}", self.text);
        assert!(
            self.body["request_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("request-id-test-")),
            "{}",
            self.text
        );
        &self.body
    }

    /// Asserts a 200 `{"data": …}` envelope (frontend face) and returns `data`.
    #[track_caller]
    pub fn data(&self) -> &Value {
        assert_eq!(
            self.status, 200,
            "expected 200, got {}: {}",
            self.status, self.text
        );
        let object = self.body.as_object().expect("a JSON object");
        assert_eq!(object.len(), 1, "only `data` at the top: {}", self.text);
        let data = &self.body["data"];
        assert_eq!(data["status_code"], 200, "{}", self.text);
        assert!(data["request_id"].is_string(), "{}", self.text);
        data
    }

    /// Asserts the protocol's five-field error body and returns it.
    #[track_caller]
    pub fn error(&self, status: u16, error_type: &str) -> &Value {
        assert_eq!(
            self.status, status,
            "expected {status} {error_type}, got: {}",
            self.text
        );
        let object = self
            .body
            .as_object()
            .unwrap_or_else(|| panic!("error body is not JSON: {:?}", self.text));
        for field in [
            "status_code",
            "request_id",
            "error_type",
            "error_message",
            "error_url",
        ] {
            assert!(object.contains_key(field), "missing {field}: {}", self.text);
        }
        assert_eq!(object.len(), 5, "exactly five fields: {}", self.text);
        assert_eq!(self.body["status_code"], status, "{}", self.text);
        assert_eq!(self.body["error_type"], error_type, "{}", self.text);
        assert_eq!(
            self.body["error_url"],
            format!("https://stytch.com/docs/api/errors/{status}#{error_type}")
        );
        assert!(self.body["request_id"]
            .as_str()
            .unwrap()
            .starts_with("request-id-test-"));
        assert!(
            self.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json")),
            "error content-type"
        );
        &self.body
    }

    /// The error message (for asserting that it names a field).
    pub fn message(&self) -> &str {
        self.body["error_message"].as_str().unwrap_or("")
    }
}

impl TestServer {
    /// A fresh server on a new temporary directory, with dev faults enabled.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Like [`start`], with the configuration adjusted first.
    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> TestServer {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let mut config = Config::with_data_dir(dir.path());
        config.enable_dev_faults = true;
        configure(&mut config);
        Self::boot(config, dir).await
    }

    async fn boot(config: Config, dir: Arc<tempfile::TempDir>) -> TestServer {
        let server = latchkey_server::start(config.clone())
            .await
            .expect("server starts");
        let creds = server.credentials.clone().expect("credentials are known");
        let base = format!("http://127.0.0.1:{}", server.addr.port());
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        TestServer {
            server: Some(server),
            dir,
            config,
            creds,
            base,
            http,
        }
    }

    /// Stops the server (gracefully) and starts a new one on the same data directory.
    pub async fn restart(mut self) -> TestServer {
        let config = self.config.clone();
        let dir = self.dir.clone();
        self.server
            .take()
            .expect("running")
            .stop()
            .await
            .expect("clean stop");
        Self::boot(config, dir).await
    }

    /// Like [`restart`](Self::restart), with the configuration adjusted first.
    pub async fn restart_with(mut self, configure: impl FnOnce(&mut Config)) -> TestServer {
        configure(&mut self.config);
        self.restart().await
    }

    pub fn state(&self) -> &AppState {
        &self.server.as_ref().expect("running").state
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `Basic public_token:(session or public_token)`.
    pub fn sdk_authorization(&self, session: Option<&str>) -> String {
        basic::encode(
            &self.creds.public_token,
            session.unwrap_or(&self.creds.public_token),
        )
    }

    /// `Basic project_id:secret`.
    pub fn v1_authorization(&self) -> String {
        basic::encode(&self.creds.project_id, &self.creds.secret)
    }

    /// Sends any request and collects the reply.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    /// A frontend call (`/sdk/v1{path}`) from [`ORIGIN`], logged in when `session` is given.
    pub async fn sdk(
        &self,
        method: Method,
        path: &str,
        session: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self
            .http
            .request(method, self.url(&format!("/sdk/v1{path}")))
            .header("authorization", self.sdk_authorization(session))
            .header("origin", ORIGIN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// A backend call (`/v1{path}`) with the project secret.
    pub async fn v1(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self
            .http
            .request(method, self.url(&format!("/v1{path}")))
            .header("authorization", self.v1_authorization());
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// An unauthenticated GET (dev routes, JWKS, health).
    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(self.url(path))).await
    }

    /// `POST /v1/users {email}`; returns the flat create response.
    pub async fn create_user(&self, email: &str) -> Value {
        self.v1(
            Method::POST,
            "/users",
            Some(serde_json::json!({ "email": email })),
        )
        .await
        .ok()
        .clone()
    }

    /// Creates a user with a verified email and a session of `minutes`
    /// through the Rust API (as a magic-link login would).
    pub async fn login(&self, email: &str, minutes: i64) -> Login {
        let state = self.state().clone();
        let now = state.now();
        let address = email.to_string();
        let (user_id, email_id) = state
            .db
            .tx(move |tx| {
                let user_id = users::insert_user(tx, &users::NewUser::default(), now)?;
                let email_id = users::insert_email(tx, &user_id, &address, true, now)?;
                Ok((user_id, email_id))
            })
            .await
            .expect("user created");
        let issued = session::issue_or_extend(
            &state,
            Grant {
                user_id: user_id.clone(),
                factor: AuthenticationFactor::email(FactorType::MagicLink, &email_id, email, now),
                duration_minutes: Some(minutes),
                existing: None,
                attributes: Default::default(),
                custom_claims: None,
            },
        )
        .await
        .expect("session issued")
        .expect("a session");
        Login {
            user_id,
            email_id,
            email: email.to_string(),
            session_id: issued.session.session_id,
            session_token: issued.token,
            session_jwt: issued.jwt,
        }
    }

    /// Moves the server clock forward (expire sessions, JWTs and codes).
    pub fn advance_clock(&self, secs: i64) {
        self.state().clock.advance(secs);
    }

    /// Stops the server clock, for tests that step to one second short of an
    /// expiry: from then on only `advance_clock` moves it.
    pub fn freeze_clock(&self) {
        self.state().clock.freeze();
    }

    /// `GET /dev/outbox[?recipient=]` → the messages, newest first.
    pub async fn outbox(&self, recipient: Option<&str>) -> Vec<Value> {
        let mut request = self.http.get(self.url("/dev/outbox"));
        if let Some(recipient) = recipient {
            request = request.query(&[("recipient", recipient)]);
        }
        let reply = self.send(request).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.body["messages"].as_array().expect("messages").clone()
    }

    /// The newest outbox message to `recipient`.
    pub async fn latest_message(&self, recipient: &str) -> Value {
        self.outbox(Some(recipient))
            .await
            .first()
            .expect("a message was sent")
            .clone()
    }
}

//! The harness of the conformance suite: a real `latchkey-server` on a
//! temporary data directory, and Stytch's official Rust backend SDK (crate
//! `stytch`, pinned) pointed at it.
//!
//! The server runs in-process (`latchkey_server::start`) with its
//! configuration parsed from the exact command line a developer would type
//! (`--port 0 --data-dir … --enable-dev-faults --rate-limit relaxed`), so it
//! is the same code path as the binary minus the startup banner, and it is
//! always built from the current sources (no stale `target/debug` binary).
//! It listens on a real TCP port on 127.0.0.1 and stores everything in a
//! real SQLite file; the official client reaches it over HTTP like any host
//! backend would. Credentials are read back from `<data-dir>/credentials.json`,
//! as the README tells developers to do.
//!
//! Everything on `/v1` goes through the official client. Only the
//! development facilities (`/dev/outbox`, `/dev/clock`) and the browser half
//! of OAuth (the identity provider's page) use plain HTTP.

use std::{
    path::Path,
    sync::atomic::{AtomicU64, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use clap::Parser as _;
use latchkey_server::{Config, Server};
use serde_json::Value;
use sha2::{Digest, Sha256};
pub use stytch;
use stytch::consumer::client::Client;

/// The redirect URLs the suite uses (an authorized origin by default).
pub const APP: &str = "http://localhost:5173";
pub const LOGIN_URL: &str = "http://localhost:5173/login";
pub const SIGNUP_URL: &str = "http://localhost:5173/signup";
pub const RESET_URL: &str = "http://localhost:5173/reset";

/// `<data-dir>/credentials.json`.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub project_id: String,
    pub public_token: String,
    pub secret: String,
}

pub struct Conformance {
    server: Option<Server>,
    // Dropped after the server (field order).
    dir: tempfile::TempDir,
    pub creds: Credentials,
    /// `http://127.0.0.1:<port>/`
    pub base: reqwest::Url,
    /// The official consumer client, built the way the issue prescribes:
    /// `stytch::client::Client::new_with_base_url` +
    /// `consumer::client::Client::new_with_http_client`.
    pub client: Client,
    /// The official low-level client (its JWKS cache and `fetch_jwk`).
    pub http: stytch::client::Client,
    /// Plain HTTP without credentials or redirects: `/dev/*`, the IdP page.
    pub plain: reqwest::Client,
}

impl Conformance {
    /// Starts a server on a fresh data directory.
    pub async fn start() -> Conformance {
        Self::start_with(&[]).await
    }

    /// Starts a server with extra command-line flags.
    pub async fn start_with(extra_flags: &[&str]) -> Conformance {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data_dir = dir.path().join("data");
        let mut args: Vec<String> = [
            "latchkey-server",
            "--port",
            "0",
            "--data-dir",
            data_dir.to_str().expect("a UTF-8 temp path"),
            "--enable-dev-faults",
            "--rate-limit",
            "relaxed",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra_flags.iter().map(|s| s.to_string()));
        let config = Config::try_parse_from(&args).expect("the command line parses");
        let server = latchkey_server::start(config)
            .await
            .expect("the server starts");
        let creds = read_credentials(&data_dir.join("credentials.json"));
        let base = reqwest::Url::parse(&format!("http://127.0.0.1:{}/", server.addr.port()))
            .expect("a base URL");
        let (client, http) = official_client(&creds.project_id, &creds.secret, &base);
        let plain = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a reqwest client");
        Conformance {
            server: Some(server),
            dir,
            creds,
            base,
            client,
            http,
            plain,
        }
    }

    /// The official client with other credentials (to provoke auth errors).
    pub fn client_with(&self, project_id: &str, secret: &str) -> Client {
        official_client(project_id, secret, &self.base).0
    }

    pub fn url(&self, path: &str) -> String {
        self.base.join(path).expect("a URL").to_string()
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// `GET /dev/outbox?recipient=…`, newest first.
    pub async fn outbox(&self, recipient: &str) -> Vec<Value> {
        let mut url = self.base.join("/dev/outbox").expect("a URL");
        url.query_pairs_mut().append_pair("recipient", recipient);
        let body: Value = self
            .plain
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .expect("GET /dev/outbox")
            .json()
            .await
            .expect("outbox JSON");
        body["messages"].as_array().expect("messages[]").to_vec()
    }

    /// The newest outbox message to `recipient`.
    pub async fn last_message(&self, recipient: &str) -> Value {
        self.outbox(recipient)
            .await
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no message to {recipient} in the outbox"))
    }

    /// The `token` query parameter of the newest link sent to `recipient`,
    /// checking its `stytch_token_type`.
    pub async fn last_link_token(&self, recipient: &str, token_type: &str) -> String {
        let message = self.last_message(recipient).await;
        let link = message["link"].as_str().expect("a link").to_string();
        assert_eq!(
            query_param(&link, "stytch_token_type").as_deref(),
            Some(token_type),
            "{link}"
        );
        query_param(&link, "token").expect("a token in the link")
    }

    /// The code of the newest message sent to `recipient`.
    pub async fn last_code(&self, recipient: &str) -> String {
        let message = self.last_message(recipient).await;
        message["code"].as_str().expect("a code").to_string()
    }

    /// Moves the server's clock (`POST /dev/clock`).
    pub async fn advance_clock(&self, seconds: i64) {
        let response = self
            .plain
            .post(self.url("/dev/clock"))
            .json(&serde_json::json!({ "advance_seconds": seconds }))
            .send()
            .await
            .expect("POST /dev/clock");
        assert!(response.status().is_success(), "{:?}", response.status());
    }

    /// A new user with a password and a 60-minute session, made through the
    /// official client's `passwords.create`.
    pub async fn sign_up(&self, address: &str) -> stytch::consumer::passwords::CreateResponse {
        ok(
            "passwords.create",
            self.client
                .passwords
                .create(stytch::consumer::passwords::CreateRequest {
                    email: address.to_string(),
                    password: STRONG_PASSWORD.to_string(),
                    session_duration_minutes: Some(60),
                    ..Default::default()
                })
                .await,
        )
    }

    /// Stops the server (in-flight requests finish).
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("the server stops");
        }
    }
}

fn official_client(
    project_id: &str,
    secret: &str,
    base: &reqwest::Url,
) -> (Client, stytch::client::Client) {
    let http = stytch::client::Client::new_with_base_url(
        project_id,
        secret,
        base.clone(),
        stytch::client::Vertical::Consumer,
    )
    .expect("the official http client");
    let fraud = stytch::client::Client::new_with_base_url(
        project_id,
        secret,
        base.clone(),
        stytch::client::Vertical::Consumer,
    )
    .expect("the official fraud client");
    (Client::new_with_http_client(http.clone(), fraud), http)
}

fn read_credentials(path: &Path) -> Credentials {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).expect("credentials.json is JSON");
    let field = |name: &str| {
        json[name]
            .as_str()
            .unwrap_or_else(|| panic!("credentials.json lacks {name}: {text}"))
            .to_string()
    };
    Credentials {
        project_id: field("project_id"),
        public_token: field("public_token"),
        secret: field("secret"),
    }
}

/// Asserts that a call failed with an error body that the official client
/// decoded into `stytch::ErrorResponse`, with this status and `error_type`.
#[track_caller]
pub fn expect_error<T: std::fmt::Debug>(
    result: stytch::Result<T>,
    status: u16,
    error_type: &str,
) -> stytch::ErrorResponse {
    match result {
        Err(stytch::Error::Response(err)) => {
            assert_eq!(
                (err.status_code.as_u16(), err.error_type.as_str()),
                (status, error_type),
                "{err:?}"
            );
            assert!(err.request_id.starts_with("request-id-test-"), "{err:?}");
            assert!(!err.error_message.is_empty(), "{err:?}");
            assert_eq!(
                err.error_url,
                format!("https://stytch.com/docs/api/errors/{status}#{error_type}")
            );
            err
        }
        Err(other) => panic!(
            "expected a decoded {status} {error_type} error, the official client said: {other:?}"
        ),
        Ok(ok) => panic!("expected {status} {error_type}, got a success: {ok:?}"),
    }
}

/// Unwraps a call, naming the call and the official client's error (a decode
/// failure shows as `Other(reqwest::Error { kind: Decode, … })`).
#[track_caller]
pub fn ok<T>(call: &str, result: stytch::Result<T>) -> T {
    match result {
        Ok(value) => value,
        Err(err) => panic!("{call}: the official client failed: {err:?}"),
    }
}

/// A query parameter of a URL, percent-decoded.
pub fn query_param(url: &str, key: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// A PKCE pair per protocol.md: verifier = 32 bytes as hex, challenge =
/// base64url(SHA-256(verifier)) without padding.
pub fn pkce_pair() -> (String, String) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = format!(
        "{}:{}:{:?}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        SystemTime::now().duration_since(UNIX_EPOCH)
    );
    let verifier: String = Sha256::digest(seed.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// A unique email address per call (tests share nothing, but this keeps
/// the outbox unambiguous inside one test).
pub fn email(tag: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{tag}.{}@example.com",
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A password zxcvbn scores 4 and no breach list contains.
pub const STRONG_PASSWORD: &str = "violet-harbor-quantum-47-lantern";
pub const OTHER_STRONG_PASSWORD: &str = "copper-meadow-glacier-93-orbit";

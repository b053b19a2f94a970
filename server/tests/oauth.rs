//! OAuth over real HTTP: start → the development identity provider's page →
//! consent (Allow / Cancel) → redirect with the token → `oauth/authenticate`
//! on both faces with PKCE; replay, expiry, bad flows and bad input; the
//! per-client rate limits of start and consent.

mod common;

use common::{mirror, pkce_pair, Method, TestServer, ORIGIN};
use latchkey_server::{api::oauth, config::RateLimitMode, ratelimit};
use serde::Deserialize;
use serde_json::{json, Value};

const LOGIN_URL: &str = "http://localhost:5173/login";
const SIGNUP_URL: &str = "http://localhost:5173/signup";

fn encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&raw[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn encode_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn query_param(url: &str, key: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or("");
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| decode(v))
}

/// A browser that does not follow redirects, so each hop can be checked.
struct Browser {
    http: reqwest::Client,
}

struct Page {
    status: u16,
    location: Option<String>,
    content_type: String,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Page {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

impl Browser {
    fn new() -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    async fn collect(response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let location = headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        let content_type = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        Page {
            status,
            location,
            content_type,
            headers,
            text,
        }
    }

    async fn get(&self, t: &TestServer, path: &str) -> Page {
        Self::collect(
            self.http
                .get(t.url(path))
                .header("accept", "text/html")
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn post_form(&self, t: &TestServer, path: &str, pairs: &[(&str, &str)]) -> Page {
        Self::collect(
            self.http
                .post(t.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encode_pairs(pairs))
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

/// The start URL for `provider` with the given extra query pairs.
fn start_path(t: &TestServer, provider: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![("public_token", t.creds.public_token.as_str())];
    pairs.extend_from_slice(extra);
    format!("/v1/public/oauth/{provider}/start?{}", encode_pairs(&pairs))
}

/// Starts a flow and returns the IdP page path (asserting the redirect).
async fn start(b: &Browser, t: &TestServer, provider: &str, extra: &[(&str, &str)]) -> String {
    let page = b.get(t, &start_path(t, provider, extra)).await;
    assert_eq!(page.status, 302, "{}", page.text);
    let location = page.location.expect("a Location");
    assert!(
        location.starts_with(&format!("/idp/{provider}/authorize?state=")),
        "{location}"
    );
    location
}

fn state_of(location: &str) -> String {
    query_param(location, "state").expect("a state")
}

/// Allow on the page with the given identity; returns the 303 Location.
async fn allow(b: &Browser, t: &TestServer, location: &str, identity: &[(&str, &str)]) -> String {
    let state = state_of(location);
    let path = location.split('?').next().unwrap();
    let mut pairs = vec![("state", state.as_str()), ("decision", "allow")];
    pairs.extend_from_slice(identity);
    let page = b.post_form(t, path, &pairs).await;
    assert_eq!(page.status, 303, "{}", page.text);
    page.location.expect("a Location")
}

/// The full browser dance with PKCE: returns (redirect Location, verifier).
async fn sign_in_at_idp(
    b: &Browser,
    t: &TestServer,
    provider: &str,
    identity: &[(&str, &str)],
) -> (String, String) {
    let (verifier, challenge) = pkce_pair();
    let location = start(
        b,
        t,
        provider,
        &[
            ("login_redirect_url", LOGIN_URL),
            ("signup_redirect_url", SIGNUP_URL),
            ("code_challenge", &challenge),
        ],
    )
    .await;
    (allow(b, t, &location, identity).await, verifier)
}

/// The official client's `oauth.authenticate` response.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ProviderValues {
    access_token: String,
    refresh_token: String,
    id_token: String,
    scopes: Vec<String>,
    expires_at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct AuthenticateResponse {
    request_id: String,
    user_id: String,
    provider_subject: String,
    provider_type: String,
    session_token: String,
    session_jwt: String,
    provider_values: ProviderValues,
    user: mirror::User,
    reset_sessions: bool,
    oauth_user_registration_id: String,
    status_code: u16,
    user_session: Option<mirror::Session>,
}

#[tokio::test]
async fn start_consent_redirect_and_authenticate() {
    let t = TestServer::start().await;
    let b = Browser::new();
    let (verifier, challenge) = pkce_pair();
    let location = start(
        &b,
        &t,
        "google",
        &[
            ("login_redirect_url", LOGIN_URL),
            ("signup_redirect_url", SIGNUP_URL),
            ("custom_scopes", "calendar.read drive.file"),
            ("provider_prompt", "select_account"),
            ("code_challenge", &challenge),
        ],
    )
    .await;

    // The page renders the form, the app and the scopes.
    let page = b.get(&t, &location).await;
    assert_eq!(page.status, 200);
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert_eq!(page.headers["cache-control"], "no-store");
    for needle in [
        "<h1>Sign in with Google</h1>",
        "http://localhost:5173",
        "Latchkey local project",
        "<li>openid</li>",
        "<li>calendar.read</li>",
        "<li>drive.file</li>",
        "<dt>prompt</dt><dd>select_account</dd>",
        r#"<form id="consent" method="post" action="/idp/google/authorize""#,
        r#"<label for="email">Email</label>"#,
        r#"id="email" name="email" type="email""#,
        r#"id="first_name" name="first_name""#,
        r#"id="last_name" name="last_name""#,
        r#"id="provider_subject" name="provider_subject""#,
        r#"id="allow" name="decision" value="allow""#,
        r#"id="cancel" name="decision" value="cancel""#,
        r#"id="preset-ada""#,
        r#"id="preset-grace""#,
        r#"id="preset-alan""#,
    ] {
        assert!(page.text.contains(needle), "missing {needle}");
    }
    assert!(page
        .text
        .contains(&format!(r#"name="state" value="{}""#, state_of(&location))));
    assert!(!page.text.contains("<script"));
    // Showing the page again is fine (it does not consume the flow).
    assert_eq!(b.get(&t, &location).await.status, 200);

    let redirect = allow(
        &b,
        &t,
        &location,
        &[
            ("email", "Ada@Example.com"),
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("provider_subject", ""),
        ],
    )
    .await;
    // A new user lands on the signup URL.
    let prefix = format!("{SIGNUP_URL}?stytch_token_type=oauth&token=");
    assert!(redirect.starts_with(&prefix), "{redirect}");
    let token = query_param(&redirect, "token").unwrap();
    assert_eq!(token.len(), 44);

    let r = t
        .sdk(
            Method::POST,
            "/oauth/authenticate",
            None,
            Some(
                json!({"token": token, "session_duration_minutes": 60, "code_verifier": verifier}),
            ),
        )
        .await;
    let data = r.data();
    let subject = oauth::derived_subject("google", "ada@example.com");
    assert_eq!(data["provider_type"], "google");
    assert_eq!(data["provider_subject"], subject);
    assert_eq!(data["reset_sessions"], false);
    assert!(data.get("user_session").is_none());
    let values = &data["provider_values"];
    assert!(values["access_token"]
        .as_str()
        .unwrap()
        .starts_with("dev-access-"));
    assert!(values["refresh_token"]
        .as_str()
        .unwrap()
        .starts_with("dev-refresh-"));
    assert_eq!(
        values["scopes"],
        json!(["openid", "email", "profile", "calendar.read", "drive.file"])
    );
    assert!(values["expires_at"].as_str().unwrap().ends_with('Z'));
    let id_token: Vec<&str> = values["id_token"].as_str().unwrap().split('.').collect();
    assert_eq!(id_token.len(), 3);
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            id_token[1],
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["sub"], subject);
    assert_eq!(claims["email"], "ada@example.com");

    let user = &data["user"];
    assert_eq!(user["status"], "active");
    assert_eq!(user["name"]["first_name"], "Ada");
    assert_eq!(user["name"]["last_name"], "Lovelace");
    assert_eq!(user["emails"][0]["email"], "ada@example.com");
    assert_eq!(user["emails"][0]["verified"], true);
    let registration = data["oauth_user_registration_id"].as_str().unwrap();
    assert_eq!(
        user["providers"],
        json!([{
            "provider_type": "google",
            "provider_subject": subject,
            "profile_picture_url": "",
            "locale": "",
            "oauth_user_registration_id": registration,
        }])
    );
    let factor = &data["session"]["authentication_factors"][0];
    assert_eq!(factor["type"], "oauth");
    assert_eq!(factor["delivery_method"], "oauth_google");
    assert_eq!(
        factor["google_oauth_factor"],
        json!({"id": registration, "provider_subject": subject, "email_id": user["emails"][0]["email_id"]})
    );
    assert_eq!(data["__user"]["user_id"], data["user_id"]);
    let user_id = data["user_id"].clone();

    // The same identity again (preset form): the login URL, the same user.
    let (redirect, verifier) = sign_in_at_idp(
        &b,
        &t,
        "google",
        &[
            ("email", "ada@example.com"),
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
        ],
    )
    .await;
    assert!(
        redirect.starts_with(&format!("{LOGIN_URL}?stytch_token_type=oauth&token=")),
        "{redirect}"
    );
    let token = query_param(&redirect, "token").unwrap();
    let r = t
        .sdk(
            Method::POST,
            "/oauth/authenticate",
            None,
            Some(
                json!({"token": token, "session_duration_minutes": 60, "code_verifier": verifier}),
            ),
        )
        .await;
    assert_eq!(r.data()["user_id"], user_id);
    assert_eq!(r.data()["user"]["providers"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn backend_authenticate_names_the_session_user_session() {
    let t = TestServer::start().await;
    let b = Browser::new();
    let (redirect, verifier) =
        sign_in_at_idp(&b, &t, "github", &[("email", "grace@example.com")]).await;
    let token = query_param(&redirect, "token").unwrap();
    let r = t
        .v1(
            Method::POST,
            "/oauth/authenticate",
            Some(json!({"token": token, "session_duration_minutes": 60, "code_verifier": verifier, "session_token": null, "session_jwt": null, "session_custom_claims": null, "telemetry_id": null})),
        )
        .await;
    let body = r.ok();
    assert!(body.get("session").is_none());
    let auth: AuthenticateResponse = mirror::decode(body);
    let session = auth.user_session.expect("a user_session");
    assert_eq!(
        session.authentication_factors[0].delivery_method,
        "oauth_github"
    );
    assert_eq!(auth.provider_type, "github");
    assert!(auth.provider_values.expires_at.is_some());
    assert_eq!(
        body["user_session"]["authentication_factors"][0]["github_oauth_factor"]
            ["provider_subject"],
        auth.provider_subject
    );

    // Without a duration: no session, user_session null.
    let (redirect, verifier) =
        sign_in_at_idp(&b, &t, "github", &[("email", "grace@example.com")]).await;
    let token = query_param(&redirect, "token").unwrap();
    let r = t
        .v1(
            Method::POST,
            "/oauth/authenticate",
            Some(json!({"token": token, "code_verifier": verifier})),
        )
        .await;
    let auth: AuthenticateResponse = mirror::decode(r.ok());
    assert!(auth.user_session.is_none());
    assert_eq!(r.body["user_session"], Value::Null);
    assert_eq!(auth.session_token, "");
}

#[tokio::test]
async fn wrong_verifier_replay_and_unknown_tokens() {
    let t = TestServer::start().await;
    let b = Browser::new();
    let (redirect, verifier) =
        sign_in_at_idp(&b, &t, "microsoft", &[("email", "alan@example.com")]).await;
    let token = query_param(&redirect, "token").unwrap();
    let call = |verifier: Option<String>| {
        t.sdk(
            Method::POST,
            "/oauth/authenticate",
            None,
            Some(
                json!({"token": token, "session_duration_minutes": 60, "code_verifier": verifier}),
            ),
        )
    };
    call(None).await.error(400, "pkce_mismatch");
    call(Some(pkce_pair().0)).await.error(400, "pkce_mismatch");
    // The mismatches did not spend the token.
    call(Some(verifier.clone())).await.data();
    let r = call(Some(verifier)).await;
    r.error(404, "oauth_token_not_found");
    assert!(r.message().contains("already used"), "{}", r.message());

    t.sdk(
        Method::POST,
        "/oauth/authenticate",
        None,
        Some(json!({"token": "y".repeat(44), "session_duration_minutes": 60})),
    )
    .await
    .error(404, "oauth_token_not_found");
    t.v1(Method::POST, "/oauth/authenticate", Some(json!({})))
        .await
        .error(400, "bad_request");

    // The flow's own state is not an OAuth token, and trying it does not spend the flow.
    let (_, challenge) = pkce_pair();
    let location = start(
        &b,
        &t,
        "microsoft",
        &[
            ("login_redirect_url", LOGIN_URL),
            ("code_challenge", &challenge),
        ],
    )
    .await;
    t.v1(
        Method::POST,
        "/oauth/authenticate",
        Some(json!({"token": state_of(&location)})),
    )
    .await
    .error(404, "oauth_token_not_found");
    allow(&b, &t, &location, &[("email", "alan@example.com")]).await;

    // Tokens expire after 10 minutes.
    let (redirect, verifier) =
        sign_in_at_idp(&b, &t, "microsoft", &[("email", "alan@example.com")]).await;
    let token = query_param(&redirect, "token").unwrap();
    t.advance_clock(600);
    let r = t
        .sdk(
            Method::POST,
            "/oauth/authenticate",
            None,
            Some(
                json!({"token": token, "session_duration_minutes": 60, "code_verifier": verifier}),
            ),
        )
        .await;
    r.error(404, "oauth_token_not_found");
    assert!(r.message().contains("expired"), "{}", r.message());
}

#[tokio::test]
async fn start_validates_its_query() {
    let t = TestServer::start().await;
    let b = Browser::new();
    let (_, challenge) = pkce_pair();
    let good = [
        ("login_redirect_url", LOGIN_URL),
        ("code_challenge", challenge.as_str()),
    ];

    let check = |page: Page, status: u16, error_type: &str| {
        assert_eq!(page.status, status, "{}", page.text);
        let body = page.json();
        assert_eq!(body["error_type"], error_type, "{}", page.text);
        assert_eq!(body.as_object().unwrap().len(), 5);
        body["error_message"].as_str().unwrap().to_string()
    };
    let message = check(
        b.get(&t, &start_path(&t, "myspace", &good)).await,
        400,
        "bad_request",
    );
    assert!(message.contains("provider"), "{message}");
    check(
        b.get(
            &t,
            &format!("/v1/public/oauth/google/start?login_redirect_url={LOGIN_URL}"),
        )
        .await,
        401,
        "unauthorized_credentials",
    );
    check(
        b.get(
            &t,
            &format!("/v1/public/oauth/google/start?public_token=public-token-test-nope&code_challenge={challenge}"),
        )
        .await,
        401,
        "unauthorized_credentials",
    );
    let message = check(
        b.get(
            &t,
            &start_path(
                &t,
                "google",
                &[
                    ("login_redirect_url", "https://evil.example/cb"),
                    ("code_challenge", &challenge),
                ],
            ),
        )
        .await,
        400,
        "invalid_redirect_url",
    );
    assert!(message.contains("login_redirect_url"), "{message}");
    let message = check(
        b.get(
            &t,
            &start_path(&t, "google", &[("login_redirect_url", LOGIN_URL)]),
        )
        .await,
        400,
        "bad_request",
    );
    assert!(message.contains("code_challenge"), "{message}");
    check(
        b.get(
            &t,
            &start_path(
                &t,
                "google",
                &[("login_redirect_url", LOGIN_URL), ("code_challenge", "abc")],
            ),
        )
        .await,
        400,
        "bad_request",
    );
    check(
        b.get(
            &t,
            &start_path(&t, "google", &[("code_challenge", &challenge)]),
        )
        .await,
        400,
        "invalid_redirect_url",
    );
    let too_many = vec!["s"; 51].join(" ");
    check(
        b.get(
            &t,
            &start_path(
                &t,
                "google",
                &[
                    ("login_redirect_url", LOGIN_URL),
                    ("code_challenge", &challenge),
                    ("custom_scopes", &too_many),
                ],
            ),
        )
        .await,
        400,
        "bad_request",
    );

    // Every supported provider starts.
    for provider in [
        "google",
        "github",
        "microsoft",
        "apple",
        "facebook",
        "gitlab",
        "discord",
        "slack",
        "linkedin",
        "twitter",
    ] {
        let location = start(&b, &t, provider, &good).await;
        let page = b.get(&t, &location).await;
        assert_eq!(page.status, 200, "{provider}");
    }
}

#[tokio::test]
async fn pkce_optional_flows_need_no_verifier() {
    let t = TestServer::start_with(|c| c.pkce_optional = true).await;
    let b = Browser::new();
    let location = start(&b, &t, "apple", &[("signup_redirect_url", SIGNUP_URL)]).await;
    let redirect = allow(&b, &t, &location, &[("email", "free@example.com")]).await;
    // Only a signup URL was given: it serves for login too.
    assert!(redirect.starts_with(SIGNUP_URL), "{redirect}");
    let token = query_param(&redirect, "token").unwrap();
    let r = t
        .sdk(
            Method::POST,
            "/oauth/authenticate",
            None,
            Some(json!({"token": token, "session_duration_minutes": 60})),
        )
        .await;
    assert_eq!(
        r.data()["session"]["authentication_factors"][0]["delivery_method"],
        "oauth_apple"
    );
}

#[tokio::test]
async fn cancel_returns_with_an_error_and_ends_the_flow() {
    let t = TestServer::start().await;
    let b = Browser::new();
    let (_, challenge) = pkce_pair();
    let location = start(
        &b,
        &t,
        "google",
        &[
            (
                "login_redirect_url",
                "http://localhost:5173/login?next=%2Fhome",
            ),
            ("signup_redirect_url", SIGNUP_URL),
            ("code_challenge", &challenge),
        ],
    )
    .await;
    let state = state_of(&location);
    let page = b
        .post_form(
            &t,
            "/idp/google/authorize",
            &[("state", &state), ("decision", "cancel"), ("email", "")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text);
    let redirect = page.location.unwrap();
    assert!(redirect.starts_with("http://localhost:5173/login?next=%2Fhome&stytch_token_type=oauth&error=access_denied&error_description="), "{redirect}");
    assert_eq!(query_param(&redirect, "token"), None);
    assert_eq!(
        query_param(&redirect, "error_description").unwrap(),
        oauth::CANCEL_DESCRIPTION
    );

    // The flow is over: the page and a late Allow say so in HTML, with 410.
    let page = b.get(&t, &location).await;
    assert_eq!(page.status, 410);
    assert!(page.content_type.starts_with("text/html"));
    assert!(page.text.contains("already answered"), "{}", page.text);
    let page = b
        .post_form(
            &t,
            "/idp/google/authorize",
            &[
                ("state", &state),
                ("decision", "allow"),
                ("email", "late@example.com"),
            ],
        )
        .await;
    assert_eq!(page.status, 410);
    assert!(page.content_type.starts_with("text/html"));
    // Nobody was created.
    assert!(!t
        .state()
        .db
        .call(|c| {
            Ok(latchkey_server::store::users::find_email(c, "late@example.com")?.is_some())
        })
        .await
        .unwrap());
}

#[tokio::test]
async fn bad_flows_get_html_error_pages() {
    let t = TestServer::start().await;
    let b = Browser::new();
    let html_error = |page: &Page, status: u16| {
        assert_eq!(page.status, status, "{}", page.text);
        assert!(
            page.content_type.starts_with("text/html"),
            "{}",
            page.content_type
        );
        assert!(page.text.contains(r#"role="alert""#));
    };
    html_error(&b.get(&t, "/idp/google/authorize").await, 400);
    html_error(&b.get(&t, "/idp/google/authorize?state=").await, 400);
    html_error(&b.get(&t, "/idp/google/authorize?state=garbage").await, 404);
    html_error(&b.get(&t, "/idp/myspace/authorize?state=x").await, 404);
    html_error(
        &b.post_form(&t, "/idp/google/authorize", &[("decision", "allow")])
            .await,
        400,
    );
    html_error(
        &b.post_form(
            &t,
            "/idp/google/authorize",
            &[
                ("state", "garbage"),
                ("decision", "allow"),
                ("email", "a@example.com"),
            ],
        )
        .await,
        404,
    );
    // Not a form at all.
    let page = Browser::collect(
        b.http
            .post(t.url("/idp/google/authorize"))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    html_error(&page, 400);

    let (_, challenge) = pkce_pair();
    let location = start(
        &b,
        &t,
        "google",
        &[
            ("login_redirect_url", LOGIN_URL),
            ("code_challenge", &challenge),
        ],
    )
    .await;
    let state = state_of(&location);
    // The page of another provider.
    html_error(
        &b.get(&t, &format!("/idp/github/authorize?state={state}"))
            .await,
        400,
    );
    // Bad identities re-render the form with the message and the input kept.
    for (pairs, message) in [
        (vec![("email", "not-an-email")], "not a valid email"),
        (
            vec![("email", ""), ("provider_subject", "")],
            "Enter an email address or a provider subject",
        ),
        (
            vec![("email", "a@example.com"), ("decision", "maybe")],
            "decision",
        ),
    ] {
        let mut form = vec![("state", state.as_str()), ("decision", "allow")];
        form.extend(pairs.iter().copied());
        if form.iter().filter(|(k, _)| *k == "decision").count() > 1 {
            form.remove(1);
        }
        let page = b.post_form(&t, "/idp/google/authorize", &form).await;
        assert_eq!(page.status, 400, "{}", page.text);
        assert!(page.text.contains(message), "{message}: {}", page.text);
    }
    let page = b
        .post_form(
            &t,
            "/idp/google/authorize",
            &[
                ("state", &state),
                ("decision", "allow"),
                ("email", "not-an-email"),
            ],
        )
        .await;
    assert!(page.text.contains(r#"id="form-error""#));
    assert!(page.text.contains(r#"value="not-an-email""#));
    assert!(page.text.contains(r#"aria-invalid="true""#));
    // The flow survived the bad attempts.
    allow(&b, &t, &location, &[("email", "fine@example.com")]).await;

    // An expired flow.
    let location = start(
        &b,
        &t,
        "google",
        &[
            ("login_redirect_url", LOGIN_URL),
            ("code_challenge", &challenge),
        ],
    )
    .await;
    t.advance_clock(oauth::FLOW_MINUTES * 60);
    let page = b.get(&t, &location).await;
    html_error(&page, 410);
    assert!(page.text.contains("expired"));
}

#[tokio::test]
async fn identities_without_email_and_linking_by_email() {
    let t = TestServer::start().await;
    let b = Browser::new();
    // A subject without email: a user without emails.
    let (redirect, verifier) = sign_in_at_idp(
        &b,
        &t,
        "twitter",
        &[
            ("email", ""),
            ("provider_subject", "tw-12345"),
            ("first_name", "Tess"),
        ],
    )
    .await;
    let token = query_param(&redirect, "token").unwrap();
    let r = t
        .sdk(
            Method::POST,
            "/oauth/authenticate",
            None,
            Some(
                json!({"token": token, "session_duration_minutes": 60, "code_verifier": verifier}),
            ),
        )
        .await;
    let data = r.data();
    assert_eq!(data["user"]["emails"], json!([]));
    assert_eq!(data["provider_subject"], "tw-12345");
    let factor = &data["session"]["authentication_factors"][0];
    assert_eq!(factor["twitter_oauth_factor"]["email_id"], Value::Null);

    // An existing user (magic-link style) with that email gets the provider linked.
    let login = t.login("linked@example.com", 60).await;
    let (redirect, verifier) =
        sign_in_at_idp(&b, &t, "gitlab", &[("email", "linked@example.com")]).await;
    assert!(redirect.starts_with(LOGIN_URL), "{redirect}");
    let token = query_param(&redirect, "token").unwrap();
    // Signed in already: the session gains the OAuth factor.
    let r = t
        .sdk(
            Method::POST,
            "/oauth/authenticate",
            Some(&login.session_token),
            Some(
                json!({"token": token, "session_duration_minutes": 60, "code_verifier": verifier}),
            ),
        )
        .await;
    let data = r.data();
    assert_eq!(data["user_id"], login.user_id);
    assert_eq!(data["session"]["session_id"], login.session_id);
    let factors = data["session"]["authentication_factors"]
        .as_array()
        .unwrap();
    assert_eq!(factors.len(), 2);
    assert_eq!(factors[1]["delivery_method"], "oauth_gitlab");
    assert_eq!(
        factors[1]["git_lab_oauth_factor"]["email_id"],
        login.email_id
    );
    assert_eq!(data["user"]["providers"][0]["provider_type"], "gitlab");

    // The preset buttons post the same form.
    let (_, challenge) = pkce_pair();
    let location = start(
        &b,
        &t,
        "discord",
        &[
            ("login_redirect_url", LOGIN_URL),
            ("code_challenge", &challenge),
        ],
    )
    .await;
    let page = b.get(&t, &location).await;
    assert!(page
        .text
        .contains(r#"<input type="hidden" name="email" value="grace@example.com">"#));
    let redirect = allow(
        &b,
        &t,
        &location,
        &[
            ("email", "grace@example.com"),
            ("first_name", "Grace"),
            ("last_name", "Hopper"),
        ],
    )
    .await;
    assert!(redirect.contains("stytch_token_type=oauth&token="));
}

#[tokio::test]
async fn the_frontend_face_needs_an_authorized_origin() {
    let t = TestServer::start().await;
    let r = t
        .send(
            t.http
                .post(t.url("/sdk/v1/oauth/authenticate"))
                .header("authorization", t.sdk_authorization(None))
                .header("origin", "https://evil.example")
                .json(&json!({"token": "x", "session_duration_minutes": 60})),
        )
        .await;
    r.error(403, "bad_domain_for_stytch_sdk");
    let _ = ORIGIN;
}

#[tokio::test]
async fn linking_an_unverified_password_account_flags_the_password() {
    const PASSWORD: &str = "Tulip-Garden-Orbit-42";
    let t = TestServer::start().await;
    let b = Browser::new();
    let created = t
        .v1(
            Method::POST,
            "/passwords",
            Some(json!({"email": "hijack@example.com", "password": PASSWORD})),
        )
        .await;
    let user_id = created.ok()["user_id"].clone();
    let (redirect, verifier) =
        sign_in_at_idp(&b, &t, "google", &[("email", "hijack@example.com")]).await;
    let token = query_param(&redirect, "token").unwrap();
    let r = t
        .v1(
            Method::POST,
            "/oauth/authenticate",
            Some(json!({"token": token, "code_verifier": verifier})),
        )
        .await;
    let body = r.ok();
    assert_eq!(body["user_id"], user_id);
    assert_eq!(body["user"]["emails"][0]["verified"], true);
    assert_eq!(body["user"]["password"]["requires_reset"], true);
    t.v1(
        Method::POST,
        "/passwords/authenticate",
        Some(json!({"email": "hijack@example.com", "password": PASSWORD})),
    )
    .await
    .error(401, "reset_password");
}

#[tokio::test]
async fn starts_are_rate_limited_per_client() {
    let t = TestServer::start().await;
    let b = Browser::new();
    let (_, challenge) = pkce_pair();
    let query = [
        ("login_redirect_url", LOGIN_URL),
        ("code_challenge", challenge.as_str()),
    ];
    let burst = ratelimit::OAUTH_START.per_ip.capacity;
    // Send until refused (the bucket refills once a second, so a slow run
    // may get a few more than the burst).
    let mut started = 0;
    let refused = loop {
        let page = b.get(&t, &start_path(&t, "github", &query)).await;
        if page.status != 302 {
            break page;
        }
        started += 1;
        assert!(started <= burst + 20, "never limited");
    };
    assert!(started >= burst, "limited after {started} starts");
    assert_eq!(refused.status, 429, "{}", refused.text);
    assert!(refused.content_type.starts_with("application/json"));
    let body = refused.json();
    assert_eq!(body["error_type"], "too_many_requests");
    assert_eq!(body["status_code"], 429);
    assert_eq!(body.as_object().unwrap().len(), 5, "{}", refused.text);
    assert!(
        body["error_message"]
            .as_str()
            .unwrap()
            .contains("this client"),
        "{body}"
    );
    // Input is still checked first: a bad start is refused for what it is.
    let page = b.get(&t, &start_path(&t, "myspace", &query)).await;
    assert_eq!(page.status, 400, "{}", page.text);
    assert_eq!(page.json()["error_type"], "bad_request");

    // `--rate-limit relaxed` (×100) lets a test suite start far more.
    let t = TestServer::start_with(|c| c.rate_limit = RateLimitMode::Relaxed).await;
    for _ in 0..=burst {
        start(&b, &t, "github", &query).await;
    }
}

#[tokio::test]
async fn consents_are_rate_limited_per_client_with_an_html_page() {
    let t = TestServer::start().await;
    let b = Browser::new();
    let (_, challenge) = pkce_pair();
    let location = start(
        &b,
        &t,
        "google",
        &[
            ("login_redirect_url", LOGIN_URL),
            ("code_challenge", &challenge),
        ],
    )
    .await;
    let flow_state = state_of(&location);
    let path = location.split('?').next().unwrap().to_string();
    // A form without email or subject is refused on the page and leaves the
    // flow alone, so one flow can be posted again and again.
    let burst = ratelimit::IDP_CONSENT.per_ip.capacity;
    let mut posted = 0;
    let refused = loop {
        let page = b
            .post_form(
                &t,
                &path,
                &[("state", flow_state.as_str()), ("decision", "allow")],
            )
            .await;
        if page.status != 400 {
            break page;
        }
        assert!(page.text.contains(r#"id="form-error""#), "{}", page.text);
        posted += 1;
        assert!(posted <= burst + 20, "never limited");
    };
    assert!(posted >= burst, "limited after {posted} consents");
    assert_eq!(refused.status, 429, "{}", refused.text);
    assert!(
        refused.content_type.starts_with("text/html"),
        "{}",
        refused.content_type
    );
    assert!(refused.text.contains(r#"role="alert""#), "{}", refused.text);
    assert!(refused.text.contains("Too many"), "{}", refused.text);
    assert_eq!(
        refused.headers.get("x-frame-options").unwrap(),
        "DENY",
        "the page's security headers"
    );
    // The refused consents did not touch the flow: its page still shows.
    let page = b.get(&t, &location).await;
    assert_eq!(page.status, 200, "{}", page.text);
    // Starting is limited separately.
    start(
        &b,
        &t,
        "google",
        &[
            ("login_redirect_url", LOGIN_URL),
            ("code_challenge", &challenge),
        ],
    )
    .await;
}

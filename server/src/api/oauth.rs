//! OAuth: `GET /v1/public/oauth/{provider}/start`, the consent decisions of the
//! development identity provider (`dev/idp.rs` renders its pages), and
//! `oauth/authenticate` on both faces.
//!
//! One generic mechanism serves every provider of [`PROVIDERS`]. A flow is a
//! one-time token (`TokenKind::Oauth`, `extra.stage = "flow"`) created by
//! start and consumed by the consent (Allow or Cancel); Allow issues the
//! OAuth token (`extra.stage = "token"`) that the app authenticates. Both
//! are stored only as hashes, expire, and work once.

use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::{header, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::{
    api::sign_in::{self, RedirectUrls, SignIn},
    auth::pkce,
    error::{ApiError, ApiResult, ErrorType},
    http::{credentials::check_public_token, Api, Caller, ClientInfo, Reply},
    ids,
    model::{AuthenticationFactor, Name, Session, User},
    ratelimit,
    state::AppState,
    store::{
        one_time::{self, OneTimeToken, Rejection, TokenKind, TokenSpec},
        passwordless,
        users::{self, NewUser, ProviderRow, UserStatus},
    },
    validate,
};

pub fn mount(api: Api) -> Api {
    api.v1_route("/public/oauth/{provider}/start", get(start))
        .both(Method::POST, "/oauth/authenticate", authenticate)
}

/// How long the tester has to decide on the identity-provider page.
pub const FLOW_MINUTES: i64 = 30;
/// How long the OAuth token of a completed flow stays redeemable.
pub const TOKEN_MINUTES: i64 = 10;
/// Lifetime reported for the development access token.
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;
const MAX_SCOPES: usize = 50;
const MAX_SCOPE_CHARS: usize = 200;
const MAX_PROVIDER_PARAMS: usize = 20;
const MAX_NAME_CHARS: usize = 256;
const MAX_SUBJECT_CHARS: usize = 255;

/// An identity provider the development IdP can stand in for.
#[derive(Debug)]
pub struct Provider {
    /// Path segment and `provider_type` (`google`, …).
    pub name: &'static str,
    pub display_name: &'static str,
    /// The scopes a real start asks for by default.
    pub default_scopes: &'static [&'static str],
}

pub const PROVIDERS: &[Provider] = &[
    Provider {
        name: "google",
        display_name: "Google",
        default_scopes: &["openid", "email", "profile"],
    },
    Provider {
        name: "github",
        display_name: "GitHub",
        default_scopes: &["read:user", "user:email"],
    },
    Provider {
        name: "microsoft",
        display_name: "Microsoft",
        default_scopes: &["openid", "email", "profile", "offline_access"],
    },
    Provider {
        name: "apple",
        display_name: "Apple",
        default_scopes: &["openid", "email", "name"],
    },
    Provider {
        name: "facebook",
        display_name: "Facebook",
        default_scopes: &["email", "public_profile"],
    },
    Provider {
        name: "gitlab",
        display_name: "GitLab",
        default_scopes: &["openid", "email", "profile", "read_user"],
    },
    Provider {
        name: "discord",
        display_name: "Discord",
        default_scopes: &["identify", "email"],
    },
    Provider {
        name: "slack",
        display_name: "Slack",
        default_scopes: &["openid", "email", "profile"],
    },
    Provider {
        name: "linkedin",
        display_name: "LinkedIn",
        default_scopes: &["openid", "email", "profile"],
    },
    Provider {
        name: "twitter",
        display_name: "Twitter",
        default_scopes: &["users.read", "tweet.read", "offline.access"],
    },
];

pub fn provider(name: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.name == name)
}

fn unknown_provider(name: &str) -> ApiError {
    let known: Vec<&str> = PROVIDERS.iter().map(|p| p.name).collect();
    ApiError::bad_request(format!(
        "`provider` {name:?} is not supported; use one of {}.",
        known.join(", ")
    ))
}

/// The IdP page of a flow: `/idp/{provider}/authorize?state=…`.
pub fn authorize_path(provider: &str, state_token: &str) -> String {
    sign_in::with_query(
        &format!("/idp/{provider}/authorize"),
        &[("state", state_token)],
    )
}

/// The provider subject the IdP uses when the tester leaves it empty: a
/// stable function of the email, so the same email is the same account.
pub fn derived_subject(provider: &str, email: &str) -> String {
    let digest = Sha256::digest(format!("{provider}:{email}").as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("dev-{hex}")
}

// ---- keys in the tokens' `extra` ---------------------------------------------

const STAGE: &str = "stage";
const STAGE_FLOW: &str = "flow";
const STAGE_TOKEN: &str = "token";

fn extra_str<'a>(extra: &'a Map<String, Value>, key: &str) -> &'a str {
    extra.get(key).and_then(Value::as_str).unwrap_or("")
}

fn extra_strings(extra: &Map<String, Value>, key: &str) -> Vec<String> {
    extra
        .get(key)
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

// ---- start ----------------------------------------------------------------------

/// `GET /v1/public/oauth/{provider}/start?public_token=…`: checks the public
/// token, redirect URLs, scopes and PKCE, the client's rate limit
/// ([`ratelimit::OAUTH_START`]), records the flow, and redirects (302) to
/// the development identity provider's page. Errors are the protocol's JSON
/// error bodies (429 `too_many_requests` when limited).
async fn start(
    State(state): State<AppState>,
    Path(provider_name): Path<String>,
    client: ClientInfo,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    match start_flow(&state, &provider_name, &client, query).await {
        Ok(location) => {
            let mut response = StatusCode::FOUND.into_response();
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(err) => err.into_response(),
    }
}

async fn start_flow(
    state: &AppState,
    provider_name: &str,
    client: &ClientInfo,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<String> {
    let provider = provider(provider_name).ok_or_else(|| unknown_provider(provider_name))?;
    let Query(pairs) =
        query.map_err(|_| ApiError::bad_request("The query string is malformed."))?;
    let param = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let public_token = param("public_token").ok_or_else(|| {
        ApiError::new(
            ErrorType::UnauthorizedCredentials,
            "`public_token` is required in the query string.",
        )
    })?;
    check_public_token(state, &public_token)?;
    let urls = RedirectUrls::checked(
        state,
        ("login_redirect_url", param("login_redirect_url")),
        ("signup_redirect_url", param("signup_redirect_url")),
    )?;
    let login_url = urls.login(state)?;
    let signup_url = urls.signup(state)?;
    let challenge = sign_in::code_challenge(
        param("code_challenge"),
        !state.config.pkce_optional,
        "pkce_required_for_oauth",
    )?;

    let mut scopes: Vec<String> = provider
        .default_scopes
        .iter()
        .map(|s| s.to_string())
        .collect();
    let custom: Vec<String> = param("custom_scopes")
        .map(|raw| raw.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    if custom.len() > MAX_SCOPES
        || custom
            .iter()
            .any(|s| s.chars().count() > MAX_SCOPE_CHARS || s.chars().any(char::is_control))
    {
        return Err(ApiError::bad_request(format!(
            "`custom_scopes` must be at most {MAX_SCOPES} space-separated scopes of at most {MAX_SCOPE_CHARS} characters."
        )));
    }
    for scope in custom {
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    let mut provider_params = Map::new();
    for (key, value) in &pairs {
        if let Some(name) = key.strip_prefix("provider_").filter(|n| !n.is_empty()) {
            provider_params
                .entry(name.to_string())
                .or_insert_with(|| Value::String(value.clone()));
        }
    }
    if provider_params.len() > MAX_PROVIDER_PARAMS {
        return Err(ApiError::bad_request(format!(
            "At most {MAX_PROVIDER_PARAMS} `provider_<name>` parameters are accepted."
        )));
    }
    // Checked like the sends: after the input, before the flow is stored.
    state.limiter.check_ip(&ratelimit::OAUTH_START, client.ip)?;

    let now = state.now();
    let mut extra = Map::new();
    extra.insert(STAGE.into(), STAGE_FLOW.into());
    extra.insert("provider".into(), provider.name.into());
    extra.insert("login_redirect_url".into(), login_url.clone().into());
    extra.insert("signup_redirect_url".into(), signup_url.into());
    extra.insert("scopes".into(), json!(scopes));
    extra.insert("provider_params".into(), Value::Object(provider_params));
    let spec = TokenSpec {
        expires_at: now + FLOW_MINUTES * 60,
        code_challenge: challenge,
        redirect_url: Some(login_url),
        extra,
        ..Default::default()
    };
    let issued = state
        .db
        .tx(move |tx| one_time::issue(tx, TokenKind::Oauth, &spec, now))
        .await?;
    Ok(authorize_path(provider.name, &issued.token))
}

// ---- the flow, as the identity-provider page sees it --------------------------

/// A live flow waiting for the tester's decision.
#[derive(Debug, Clone)]
pub struct Flow {
    pub provider: &'static Provider,
    pub login_redirect_url: String,
    pub signup_redirect_url: String,
    pub scopes: Vec<String>,
    pub provider_params: Map<String, Value>,
    pub expires_at: i64,
}

/// Why a flow cannot be shown or decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowProblem {
    Unknown,
    Used,
    Expired,
    /// The flow was started for another provider than the page's.
    OtherProvider,
}

impl FlowProblem {
    pub fn status(self) -> StatusCode {
        match self {
            FlowProblem::Unknown => StatusCode::NOT_FOUND,
            FlowProblem::Used | FlowProblem::Expired => StatusCode::GONE,
            FlowProblem::OtherProvider => StatusCode::BAD_REQUEST,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            FlowProblem::Unknown => {
                "This sign-in request is unknown. Start signing in again from the app."
            }
            FlowProblem::Used => {
                "This sign-in request was already answered. Start signing in again from the app."
            }
            FlowProblem::Expired => {
                "This sign-in request has expired. Start signing in again from the app."
            }
            FlowProblem::OtherProvider => "This sign-in request belongs to another provider.",
        }
    }
}

fn classify(
    found: Option<OneTimeToken>,
    provider_name: &str,
    now: i64,
) -> Result<(OneTimeToken, Flow), FlowProblem> {
    let token = found
        .filter(|t| extra_str(&t.extra, STAGE) == STAGE_FLOW)
        .ok_or(FlowProblem::Unknown)?;
    if token.used_at.is_some() {
        return Err(FlowProblem::Used);
    }
    if token.expires_at <= now {
        return Err(FlowProblem::Expired);
    }
    let provider = provider(extra_str(&token.extra, "provider")).ok_or(FlowProblem::Unknown)?;
    if provider.name != provider_name {
        return Err(FlowProblem::OtherProvider);
    }
    let flow = Flow {
        provider,
        login_redirect_url: extra_str(&token.extra, "login_redirect_url").to_string(),
        signup_redirect_url: extra_str(&token.extra, "signup_redirect_url").to_string(),
        scopes: extra_strings(&token.extra, "scopes"),
        provider_params: token
            .extra
            .get("provider_params")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        expires_at: token.expires_at,
    };
    Ok((token, flow))
}

/// Looks a flow up for display, without consuming it.
pub async fn find_flow(
    state: &AppState,
    provider_name: &str,
    state_token: &str,
) -> ApiResult<Result<Flow, FlowProblem>> {
    let now = state.now();
    let provider_name = provider_name.to_string();
    let state_token = state_token.to_string();
    state
        .db
        .call(move |c| {
            let found = one_time::peek(c, TokenKind::Oauth, &state_token)?;
            Ok(classify(found, &provider_name, now).map(|(_, flow)| flow))
        })
        .await
}

/// Consumes a live flow inside a transaction.
fn take_flow(
    tx: &rusqlite::Connection,
    provider_name: &str,
    state_token: &str,
    now: i64,
) -> ApiResult<Result<(OneTimeToken, Flow), FlowProblem>> {
    let found = one_time::peek(tx, TokenKind::Oauth, state_token)?;
    let (token, flow) = match classify(found, provider_name, now) {
        Ok(live) => live,
        Err(problem) => return Ok(Err(problem)),
    };
    match one_time::take(tx, token, now)? {
        Ok(token) => Ok(Ok((token, flow))),
        Err(Rejection::Expired) => Ok(Err(FlowProblem::Expired)),
        Err(Rejection::NotFound) => Ok(Err(FlowProblem::Unknown)),
        Err(_) => Ok(Err(FlowProblem::Used)),
    }
}

/// The identity the tester chose on the IdP page (already validated).
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// Normalised, or `None` for an identity without email.
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    /// Never empty (derived from the email when the tester left it empty).
    pub provider_subject: String,
}

impl Identity {
    /// Checks the page's fields; the message is shown on the page.
    pub fn from_form(
        provider_name: &str,
        email: &str,
        first_name: &str,
        last_name: &str,
        provider_subject: &str,
    ) -> Result<Identity, String> {
        let email = email.trim();
        let email = if email.is_empty() {
            None
        } else {
            Some(validate::normalize_email(email).map_err(|e| e.message)?)
        };
        let first_name = first_name.trim().to_string();
        let last_name = last_name.trim().to_string();
        if first_name.chars().count() > MAX_NAME_CHARS || last_name.chars().count() > MAX_NAME_CHARS
        {
            return Err(format!(
                "Names may be at most {MAX_NAME_CHARS} characters long."
            ));
        }
        let subject = provider_subject.trim();
        if subject.chars().count() > MAX_SUBJECT_CHARS || subject.chars().any(char::is_control) {
            return Err(format!(
                "The provider subject must be at most {MAX_SUBJECT_CHARS} printable characters."
            ));
        }
        let provider_subject = match (subject.is_empty(), &email) {
            (false, _) => subject.to_string(),
            (true, Some(email)) => derived_subject(provider_name, email),
            (true, None) => return Err("Enter an email address or a provider subject.".to_string()),
        };
        Ok(Identity {
            email,
            first_name,
            last_name,
            provider_subject,
        })
    }
}

/// The email of `identity` as an email of `user_id`: its id if the user has
/// it (marked verified: the provider vouches for it), newly added and
/// verified if nobody has it, `None` if another user has it. Also whether
/// the proof reset the user's sessions (`passwordless::verify_email_by_proof`).
fn email_for_user(
    tx: &rusqlite::Connection,
    user_id: &str,
    email: &str,
    now: i64,
) -> ApiResult<(Option<String>, bool)> {
    match users::find_email(tx, email)? {
        Some(row) if row.user_id == user_id => {
            let reset = passwordless::verify_email_by_proof(tx, &row, now)?;
            Ok((Some(row.email_id), reset))
        }
        Some(_) => Ok((None, false)),
        None => Ok((
            Some(users::insert_email(tx, user_id, email, true, now)?),
            false,
        )),
    }
}

/// The key in an OAuth token's `extra` saying that the consent reset the
/// user's sessions, for the authenticate call's `reset_sessions`.
const RESET_SESSIONS: &str = "reset_sessions";

/// Allow: consumes the flow, finds or creates the user and links the
/// provider identity, issues the OAuth token, and returns the redirect
/// target (signup URL for a user who has not finished signing up, login
/// URL otherwise) with `stytch_token_type=oauth&token=…`.
pub async fn allow(
    state: &AppState,
    provider_name: &str,
    state_token: &str,
    identity: Identity,
) -> ApiResult<Result<String, FlowProblem>> {
    let now = state.now();
    let provider_name = provider_name.to_string();
    let state_token = state_token.to_string();
    state
        .db
        .tx(move |tx| {
            let (flow_token, flow) = match take_flow(tx, &provider_name, &state_token, now)? {
                Ok(live) => live,
                Err(problem) => return Ok(Err(problem)),
            };
            let provider = flow.provider.name;
            let subject = identity.provider_subject.clone();
            let provider_row = |user_id: &str, email_id: &Option<String>| ProviderRow {
                oauth_user_registration_id: String::new(),
                user_id: user_id.to_string(),
                provider_type: provider.to_string(),
                provider_subject: subject.clone(),
                profile_picture_url: String::new(),
                locale: String::new(),
                email_id: email_id.clone(),
            };
            let mut sessions_reset = false;
            let (user_id, registration_id, email_id, user_created) =
                match users::find_provider(tx, provider, &subject)? {
                    Some(link) => {
                        let email_id = match &identity.email {
                            Some(email) => {
                                let (email_id, reset) =
                                    email_for_user(tx, &link.user_id, email, now)?;
                                sessions_reset = reset;
                                email_id.or(link.email_id.clone())
                            }
                            None => link.email_id.clone(),
                        };
                        // A claim removes the links made before it; this
                        // consent is a proof of its own, so it links again.
                        let registration_id =
                            match users::get_provider(tx, &link.oauth_user_registration_id)? {
                                Some(kept) => kept.oauth_user_registration_id,
                                None => users::insert_provider(
                                    tx,
                                    &provider_row(&link.user_id, &email_id),
                                    now,
                                )?,
                            };
                        (link.user_id, registration_id, email_id, false)
                    }
                    None => {
                        let existing = match &identity.email {
                            Some(email) => users::find_email(tx, email)?,
                            None => None,
                        };
                        let (user_id, email_id, created) = match existing {
                            Some(row) => {
                                sessions_reset =
                                    passwordless::verify_email_by_proof(tx, &row, now)?;
                                (row.user_id, Some(row.email_id), false)
                            }
                            None => {
                                let new_user = NewUser {
                                    status: UserStatus::Pending,
                                    name: Name {
                                        first_name: identity.first_name.clone(),
                                        middle_name: String::new(),
                                        last_name: identity.last_name.clone(),
                                    },
                                    ..Default::default()
                                };
                                let user_id = users::insert_user(tx, &new_user, now)?;
                                let email_id = match &identity.email {
                                    Some(email) => {
                                        Some(users::insert_email(tx, &user_id, email, true, now)?)
                                    }
                                    None => None,
                                };
                                (user_id, email_id, true)
                            }
                        };
                        let registration_id =
                            users::insert_provider(tx, &provider_row(&user_id, &email_id), now)?;
                        (user_id, registration_id, email_id, created)
                    }
                };
            let pending = passwordless::user_status(tx, &user_id)?.as_deref()
                == Some(UserStatus::Pending.as_str());
            let url = if user_created || pending {
                flow.signup_redirect_url.clone()
            } else {
                flow.login_redirect_url.clone()
            };
            let mut extra = Map::new();
            extra.insert(STAGE.into(), STAGE_TOKEN.into());
            extra.insert("provider".into(), provider.into());
            extra.insert("provider_subject".into(), subject.into());
            extra.insert("registration_id".into(), registration_id.into());
            extra.insert("scopes".into(), json!(flow.scopes));
            extra.insert("email".into(), json!(identity.email));
            extra.insert("first_name".into(), identity.first_name.clone().into());
            extra.insert("last_name".into(), identity.last_name.clone().into());
            if sessions_reset {
                extra.insert(RESET_SESSIONS.into(), true.into());
            }
            let issued = one_time::issue(
                tx,
                TokenKind::Oauth,
                &TokenSpec {
                    user_id: Some(user_id),
                    email_id,
                    expires_at: now + TOKEN_MINUTES * 60,
                    code_challenge: flow_token.code_challenge,
                    redirect_url: Some(url.clone()),
                    extra,
                    ..Default::default()
                },
                now,
            )?;
            Ok(Ok(sign_in::with_query(
                &url,
                &[("stytch_token_type", "oauth"), ("token", &issued.token)],
            )))
        })
        .await
}

/// The error parameters a cancelled flow returns with.
pub const CANCEL_ERROR: &str = "access_denied";
pub const CANCEL_DESCRIPTION: &str = "The user cancelled the sign-in at the identity provider.";

/// Cancel: consumes the flow and returns the login redirect URL with
/// `stytch_token_type=oauth&error=access_denied&error_description=…`.
pub async fn cancel(
    state: &AppState,
    provider_name: &str,
    state_token: &str,
) -> ApiResult<Result<String, FlowProblem>> {
    let now = state.now();
    let provider_name = provider_name.to_string();
    let state_token = state_token.to_string();
    state
        .db
        .tx(move |tx| {
            Ok(
                take_flow(tx, &provider_name, &state_token, now)?.map(|(_, flow)| {
                    sign_in::with_query(
                        &flow.login_redirect_url,
                        &[
                            ("stytch_token_type", "oauth"),
                            ("error", CANCEL_ERROR),
                            ("error_description", CANCEL_DESCRIPTION),
                        ],
                    )
                }),
            )
        })
        .await
}

// ---- authenticate ----------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct AuthenticateRequest {
    token: String,
    session_duration_minutes: Option<i64>,
    code_verifier: Option<String>,
    session_token: Option<String>,
    session_jwt: Option<String>,
    session_custom_claims: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct ProviderValues {
    pub access_token: String,
    pub refresh_token: String,
    pub id_token: String,
    pub scopes: Vec<String>,
    pub expires_at: crate::clock::Timestamp,
}

/// The official client's shape; the session is `session` on `/sdk/v1` and
/// `user_session` on `/v1` (exactly one of the two keys is present).
#[derive(Debug, Serialize)]
pub struct AuthenticateResponse {
    pub user_id: String,
    pub provider_subject: String,
    pub provider_type: String,
    pub provider_values: ProviderValues,
    pub user: User,
    pub reset_sessions: bool,
    pub oauth_user_registration_id: String,
    pub session_token: String,
    pub session_jwt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<Option<Session>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_session: Option<Option<Session>>,
}

impl Reply for AuthenticateResponse {
    fn changed_user(&self) -> Option<&User> {
        Some(&self.user)
    }
}

fn token_not_found(message: &str) -> ApiError {
    ApiError::new(ErrorType::OauthTokenNotFound, message)
}

/// A development ID token: an unsigned JWT (`alg: none`) with OpenID claims.
fn dev_id_token(
    state: &AppState,
    provider: &str,
    subject: &str,
    extra: &Map<String, Value>,
    now: i64,
) -> String {
    let header = json!({"alg": "none", "typ": "JWT"});
    let first = extra_str(extra, "first_name");
    let last = extra_str(extra, "last_name");
    let mut claims = json!({
        "iss": format!("latchkey-dev-idp/{provider}"),
        "sub": subject,
        "aud": state.project.project_id,
        "iat": now,
        "exp": now + ACCESS_TOKEN_SECONDS,
        "given_name": first,
        "family_name": last,
        "name": format!("{first} {last}").trim(),
    });
    if let Some(email) = extra.get("email").and_then(Value::as_str) {
        claims["email"] = email.into();
        claims["email_verified"] = true.into();
    }
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

async fn authenticate(
    state: AppState,
    caller: Caller,
    req: AuthenticateRequest,
) -> ApiResult<AuthenticateResponse> {
    let mut sign_in = SignIn::prepare(
        &state,
        &caller,
        req.session_duration_minutes,
        req.session_token.as_deref(),
        req.session_jwt.as_deref(),
        req.session_custom_claims,
    )
    .await?;
    let now = state.now();
    let token = req.token;
    let verifier = req.code_verifier.filter(|v| !v.is_empty());
    let (found, user) = state
        .db
        .tx(move |tx| {
            // Only tokens of completed flows count; a flow's own token is not one
            // (and is looked at without being consumed).
            let peeked = one_time::peek(tx, TokenKind::Oauth, &token)?
                .filter(|t| extra_str(&t.extra, STAGE) == STAGE_TOKEN)
                .ok_or_else(|| token_not_found("No OAuth token has this value."))?;
            let found = one_time::take(tx, peeked, now)?.map_err(|r| {
                token_not_found(match r {
                    Rejection::Expired => "This OAuth token has expired; sign in again.",
                    _ => "This OAuth token was already used; sign in again.",
                })
            })?;
            // A mismatch returns before the commit: the token stays usable.
            pkce::verify(found.code_challenge.as_deref(), verifier.as_deref())?;
            let user_id = found
                .user_id
                .clone()
                .ok_or_else(|| ApiError::internal("an OAuth token without a user"))?;
            let registration_id = extra_str(&found.extra, "registration_id");
            if users::get_provider(tx, registration_id)?.is_none() {
                return Err(ApiError::new(
                    ErrorType::OauthUserRegistrationNotFound,
                    "The provider identity of this token was unlinked from its user.",
                ));
            }
            users::set_status(tx, &user_id, UserStatus::Active)?;
            let user = users::require_user(tx, &user_id)?;
            Ok((found, user))
        })
        .await?;
    let provider = extra_str(&found.extra, "provider").to_string();
    let subject = extra_str(&found.extra, "provider_subject").to_string();
    let registration_id = extra_str(&found.extra, "registration_id").to_string();
    let factor = AuthenticationFactor::oauth(
        &provider,
        &registration_id,
        &subject,
        found.email_id.as_deref(),
        now,
    );
    let provider_values = ProviderValues {
        access_token: format!("dev-access-{}", ids::random_token::<32>()),
        refresh_token: format!("dev-refresh-{}", ids::random_token::<32>()),
        id_token: dev_id_token(&state, &provider, &subject, &found.extra, now),
        scopes: extra_strings(&found.extra, "scopes"),
        expires_at: crate::clock::Timestamp(now + ACCESS_TOKEN_SECONDS),
    };
    if found.extra.get(RESET_SESSIONS) == Some(&Value::Bool(true)) {
        sign_in.sessions_were_reset();
    }
    let reset_sessions = sign_in.reset_sessions();
    let session = sign_in
        .finish(&state, &caller, &user.user_id, factor)
        .await?;
    let (session_slot, user_session_slot) = if caller.is_sdk() {
        (Some(session.session), None)
    } else {
        (None, Some(session.session))
    };
    Ok(AuthenticateResponse {
        user_id: user.user_id.clone(),
        provider_subject: subject,
        provider_type: provider,
        provider_values,
        user,
        reset_sessions,
        oauth_user_registration_id: registration_id,
        session_token: session.session_token,
        session_jwt: session.session_jwt,
        session: session_slot,
        user_session: user_session_slot,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_checked_and_subjects_derived() {
        let id = Identity::from_form("google", " Ada@Example.com ", "Ada", "Lovelace", "").unwrap();
        assert_eq!(id.email.as_deref(), Some("ada@example.com"));
        assert_eq!(
            id.provider_subject,
            derived_subject("google", "ada@example.com")
        );
        assert_ne!(
            id.provider_subject,
            derived_subject("github", "ada@example.com")
        );
        let id = Identity::from_form("google", "", "", "", "12345").unwrap();
        assert_eq!(id.email, None);
        assert_eq!(id.provider_subject, "12345");
        assert!(Identity::from_form("google", "", "", "", "").is_err());
        assert!(Identity::from_form("google", "nope", "", "", "").is_err());
        assert!(Identity::from_form("google", "", "", "", "a\u{0}b").is_err());
    }

    #[test]
    fn every_provider_is_findable() {
        for p in PROVIDERS {
            assert_eq!(provider(p.name).unwrap().name, p.name);
        }
        assert!(provider("myspace").is_none());
    }
}

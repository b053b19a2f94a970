//! Passwords on both faces: create, authenticate, strength check, and reset
//! by email (start + finish), by existing password and by session.
//!
//! Hashing and strength evaluation live in `auth::passwords`; this module
//! orders the work so that nothing irreversible (a consumed reset token, a
//! new user) happens before every check that can still fail, and so that
//! Argon2 never runs inside a database transaction. See the "Passwords"
//! section of `server/docs/behaviour.md` for the decisions behind each endpoint.

use axum::http::Method;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    api::{
        attributes::{self, AttributesInput, EndUser, MatchOptions},
        sessions::SessionFields,
        sign_in,
        users::{self as user_api, NameInput},
    },
    auth::{
        passwords::{self as pw, Feedback, Policy},
        pkce,
    },
    dev::outbox::{self, Channel, OutboxMessage},
    error::{ApiError, ApiResult, ErrorType},
    http::{Api, Caller, Reply},
    model::{AuthenticationFactor, FactorType, Name, User},
    ratelimit,
    session::{self, AuthedSession, Grant, IssuedSession},
    state::AppState,
    store::{
        one_time::{self, Subject, TokenKind, TokenSpec},
        outbox as outbox_store, ownership, passwordless, sessions as store_sessions,
        users::{self, EmailRow, NewUser, PasswordRow, UserStatus},
    },
    validate,
};

pub fn mount(api: Api) -> Api {
    pw::warm_up();
    api.both(Method::POST, "/passwords", create)
        .both(Method::POST, "/passwords/authenticate", authenticate)
        .both(Method::POST, "/passwords/strength_check", strength_check)
        .both(Method::POST, "/passwords/email/reset/start", reset_start)
        .both(Method::POST, "/passwords/email/reset", reset_by_email)
        .both(
            Method::POST,
            "/passwords/existing_password/reset",
            reset_by_existing_password,
        )
        .both(Method::POST, "/passwords/session/reset", reset_by_session)
}

/// Reset links live 30 minutes unless the caller asks for 5..=10080.
pub const DEFAULT_RESET_MINUTES: i64 = 30;
pub const RESET_MINUTES: std::ops::RangeInclusive<i64> = 5..=10_080;

/// `passwords/session/reset` needs a password, email magic link or email
/// OTP factor proven this recently (seconds).
pub const SESSION_RESET_RECENCY_SECS: i64 = 300;

/// The one message for a wrong password, an unknown email and an account
/// without a password: the caller must not learn which it was.
const BAD_CREDENTIALS: &str = "The email or password is incorrect.";

// ---- responses ---------------------------------------------------------------

/// Every authenticate-type response of this module (create adds `email_id`).
#[derive(Debug, Serialize)]
pub struct AuthResponse {
    pub user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_id: Option<String>,
    pub user: User,
    #[serde(flatten)]
    pub session: SessionFields,
}

impl Reply for AuthResponse {
    fn changed_user(&self) -> Option<&User> {
        Some(&self.user)
    }
}

#[derive(Debug, Serialize)]
pub struct StrengthCheckResponse {
    pub valid_password: bool,
    pub score: u8,
    pub breached_password: bool,
    pub strength_policy: &'static str,
    pub breach_detection_on_create: bool,
    pub feedback: Feedback,
}

impl Reply for StrengthCheckResponse {}

#[derive(Debug, Serialize)]
pub struct ResetStartResponse {
    pub user_id: String,
    pub email_id: String,
}

impl Reply for ResetStartResponse {}

// ---- shared steps --------------------------------------------------------------

fn policy(state: &AppState) -> Policy {
    Policy::for_project(state.project.settings.password_config.as_ref())
}

/// Checks a new password against the project's policy: 400 `weak_password`
/// or `breached_password` with the feedback in the message.
async fn require_strong(state: &AppState, password: &str, email: &str) -> ApiResult<()> {
    let strength =
        pw::evaluate(password.to_string(), Some(email.to_string()), policy(state)).await?;
    match strength.refusal() {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

/// What a successful call proved, and the session it should start or extend.
struct Login {
    user_id: String,
    factor: AuthenticationFactor,
    minutes: Option<i64>,
    existing: Option<AuthedSession>,
    claims: Option<Map<String, Value>>,
    /// After a password change: revoke every other session of the user.
    revoke_others: bool,
}

async fn finish(
    state: &AppState,
    caller: &Caller,
    login: Login,
    email_id: Option<String>,
) -> ApiResult<AuthResponse> {
    let issued: Option<IssuedSession> = session::issue_or_extend(
        state,
        Grant {
            user_id: login.user_id.clone(),
            factor: login.factor,
            duration_minutes: login.minutes,
            existing: login.existing,
            attributes: caller.attributes(),
            custom_claims: login.claims,
        },
    )
    .await?;
    let keep = issued.as_ref().map(|i| i.session.session_id.clone());
    let user_id = login.user_id.clone();
    let revoke = login.revoke_others;
    let user = state
        .db
        .tx(move |tx| {
            if revoke {
                store_sessions::delete_for_user_except(tx, &user_id, keep.as_deref())?;
            }
            users::require_user(tx, &user_id)
        })
        .await?;
    Ok(AuthResponse {
        user_id: user.user_id.clone(),
        email_id,
        user,
        session: issued.into(),
    })
}

// ---- create --------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct CreateRequest {
    email: String,
    password: String,
    session_duration_minutes: Option<i64>,
    /// `/v1` only (the frontend uses the Basic header's session).
    session_token: Option<String>,
    session_jwt: Option<String>,
    session_custom_claims: Option<Value>,
    /// `/v1` only: a browser cannot set them. Applied to a new user only.
    name: Option<NameInput>,
    trusted_metadata: Option<Value>,
    untrusted_metadata: Option<Value>,
}

fn new_user(caller: &Caller, req: &mut CreateRequest) -> ApiResult<NewUser> {
    if caller.is_sdk() {
        return Ok(NewUser::default());
    }
    let name = req.name.take().unwrap_or_default();
    name.check()?;
    let metadata = |field, value| user_api::metadata(field, value).map(Option::unwrap_or_default);
    Ok(NewUser {
        status: UserStatus::Active,
        name: Name {
            first_name: name.first_name.unwrap_or_default(),
            middle_name: name.middle_name.unwrap_or_default(),
            last_name: name.last_name.unwrap_or_default(),
        },
        trusted_metadata: metadata("trusted_metadata", req.trusted_metadata.take())?,
        untrusted_metadata: metadata("untrusted_metadata", req.untrusted_metadata.take())?,
        external_id: None,
    })
}

/// Where a created password goes.
#[derive(Debug, Clone)]
enum Target {
    /// No user has this email: create one.
    NewUser,
    /// The caller holds a session of this passwordless user: add the password.
    SignedInUser { user_id: String, email_id: String },
}

fn duplicate(email: &str, has_password: bool) -> ApiError {
    let hint = if has_password {
        "Sign in with the password, or reset it by email."
    } else {
        "That account signs in without a password: sign in to it first, or use the password reset email to set one."
    };
    ApiError::new(
        ErrorType::DuplicateEmail,
        format!("A user with email {email} already exists. {hint}"),
    )
}

/// Decides (and re-decides inside the write transaction) where the password goes.
fn target(conn: &Connection, email: &str, session_user: Option<&str>) -> ApiResult<Target> {
    let Some((row, password)) = db::email_with_password(conn, email)? else {
        return Ok(Target::NewUser);
    };
    match (password, session_user) {
        (None, Some(user)) if user == row.user_id => Ok(Target::SignedInUser {
            user_id: row.user_id,
            email_id: row.email_id,
        }),
        (password, _) => Err(duplicate(email, password.is_some())),
    }
}

async fn create(
    state: AppState,
    caller: Caller,
    mut req: CreateRequest,
) -> ApiResult<AuthResponse> {
    let email = validate::normalize_email(&req.email)?;
    pw::check_length("password", &req.password, true)?;
    let minutes = caller.session_minutes(req.session_duration_minutes)?;
    let claims = caller.custom_claims(req.session_custom_claims.take())?;
    let new_user = new_user(&caller, &mut req)?;
    state
        .limiter
        .check(&ratelimit::PASSWORD, caller.client.ip, &email)?;
    let existing = caller
        .existing_session(
            &state,
            req.session_token.as_deref(),
            req.session_jwt.as_deref(),
        )
        .await?;
    let session_user = existing.as_ref().map(|s| s.row.user_id.clone());

    // Cheap refusals first: no hashing for an address that is taken.
    let (lookup, user) = (email.clone(), session_user.clone());
    state
        .db
        .call(move |c| target(c, &lookup, user.as_deref()))
        .await?;
    require_strong(&state, &req.password, &email).await?;
    let hash = pw::hash(req.password).await?;

    let now = state.now();
    let address = email.clone();
    let (user_id, email_id) = state
        .db
        .tx(move |tx| {
            let (user_id, email_id) = match target(tx, &address, session_user.as_deref())? {
                Target::NewUser => {
                    let user_id = users::insert_user(tx, &new_user, now)?;
                    let email_id = users::insert_email(tx, &user_id, &address, false, now)?;
                    // Nobody proved this inbox: see store::ownership.
                    ownership::mark_unproven(tx, &user_id)?;
                    (user_id, email_id)
                }
                Target::SignedInUser { user_id, email_id } => (user_id, email_id),
            };
            users::set_password(tx, &user_id, &hash, now)?;
            Ok((user_id, email_id))
        })
        .await?;
    let login = Login {
        factor: AuthenticationFactor::password(&email_id, &email, now),
        user_id,
        minutes,
        existing,
        claims,
        revoke_others: false,
    };
    finish(&state, &caller, login, Some(email_id)).await
}

// ---- authenticate ------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct AuthenticateRequest {
    email: String,
    password: String,
    session_duration_minutes: Option<i64>,
    session_token: Option<String>,
    session_jwt: Option<String>,
    session_custom_claims: Option<Value>,
}

/// The account behind `email` if `password` is its password. Unknown
/// emails and accounts without a password are verified against a dummy hash
/// and fail with the same error and message as a wrong password. A correct
/// password flagged `requires_reset` → 401 `reset_password`.
async fn check_password(
    state: &AppState,
    email: &str,
    password: &str,
) -> ApiResult<(EmailRow, PasswordRow)> {
    let lookup = email.to_string();
    let found = state
        .db
        .call(move |c| db::email_with_password(c, &lookup))
        .await?;
    let (row, stored) = match found {
        Some((row, Some(stored))) => (Some(row), Some(stored)),
        _ => (None, None),
    };
    let matches = pw::verify(
        password.to_string(),
        stored.as_ref().map(|s| s.hash.clone()),
    )
    .await?;
    let (Some(row), Some(stored), true) = (row, stored, matches) else {
        return Err(ApiError::new(
            ErrorType::UnauthorizedCredentials,
            BAD_CREDENTIALS,
        ));
    };
    if stored.requires_reset {
        return Err(ApiError::new(
            ErrorType::ResetPassword,
            "This password must be reset before it can be used: reset it by email.",
        ));
    }
    Ok((row, stored))
}

async fn authenticate(
    state: AppState,
    caller: Caller,
    req: AuthenticateRequest,
) -> ApiResult<AuthResponse> {
    let email = validate::normalize_email(&req.email)?;
    pw::check_length("password", &req.password, false)?;
    let minutes = caller.session_minutes(req.session_duration_minutes)?;
    let claims = caller.custom_claims(req.session_custom_claims)?;
    state
        .limiter
        .check(&ratelimit::PASSWORD, caller.client.ip, &email)?;
    let existing = caller
        .existing_session(
            &state,
            req.session_token.as_deref(),
            req.session_jwt.as_deref(),
        )
        .await?;
    let (row, _) = check_password(&state, &email, &req.password).await?;
    let now = state.now();
    let user_id = row.user_id.clone();
    state
        .db
        .tx(move |tx| users::set_status(tx, &user_id, UserStatus::Active))
        .await?;
    let login = Login {
        factor: AuthenticationFactor::password(&row.email_id, &row.email, now),
        user_id: row.user_id,
        minutes,
        existing,
        claims,
        revoke_others: false,
    };
    finish(&state, &caller, login, None).await
}

// ---- strength check ----------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct StrengthCheckRequest {
    password: String,
    email: Option<String>,
}

async fn strength_check(
    state: AppState,
    _caller: Caller,
    req: StrengthCheckRequest,
) -> ApiResult<StrengthCheckResponse> {
    pw::check_length("password", &req.password, true)?;
    let email = req
        .email
        .filter(|e| !e.trim().is_empty())
        .map(|e| validate::normalize_email(&e))
        .transpose()?;
    let strength = pw::evaluate(req.password, email, policy(&state)).await?;
    Ok(StrengthCheckResponse {
        valid_password: strength.valid,
        score: strength.score,
        breached_password: strength.breached,
        strength_policy: strength.policy.name(),
        breach_detection_on_create: true,
        feedback: strength.feedback,
    })
}

// ---- reset by email: start ---------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct ResetStartRequest {
    email: String,
    login_redirect_url: Option<String>,
    reset_password_redirect_url: Option<String>,
    login_expiration_minutes: Option<i64>,
    reset_password_expiration_minutes: Option<i64>,
    /// Accepted and ignored: the dev outbox has one plain template.
    #[allow(dead_code)]
    reset_password_template_id: Option<String>,
    /// Accepted and ignored: the dev outbox writes English.
    #[allow(dead_code)]
    locale: Option<String>,
    code_challenge: Option<String>,
    /// `/v1`: the end user's IP / user agent, recorded with the link for
    /// `options.*_match_required` (`/sdk/v1` records the connection's).
    attributes: Option<AttributesInput>,
}

fn expiration(field: &str, value: Option<i64>) -> ApiResult<i64> {
    let minutes = value.unwrap_or(DEFAULT_RESET_MINUTES);
    if RESET_MINUTES.contains(&minutes) {
        Ok(minutes)
    } else {
        Err(ApiError::bad_request(format!(
            "`{field}` must be between {} and {} (got {minutes}).",
            RESET_MINUTES.start(),
            RESET_MINUTES.end()
        )))
    }
}

fn check_redirect(state: &AppState, field: &str, url: &str) -> ApiResult<()> {
    if state.config.is_allowed_redirect_url(url) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorType::InvalidRedirectUrl,
            format!(
                "`{field}` {url:?} is not an allowed redirect URL (an authorized origin, or --allowed-redirect-url)."
            ),
        ))
    }
}

/// `url` with `stytch_token_type=reset_password&token=…` appended to its
/// query (kept before any `#fragment`).
pub fn reset_link(url: &str, token: &str) -> String {
    sign_in::with_query(
        url,
        &[("stytch_token_type", "reset_password"), ("token", token)],
    )
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

async fn reset_start(
    state: AppState,
    caller: Caller,
    req: ResetStartRequest,
) -> ApiResult<ResetStartResponse> {
    let email = validate::normalize_email(&req.email)?;
    // Without one, the project's default login redirect URL: the app's
    // sign-in page is where its reset form lives (there is no separate
    // reset default here).
    let redirect_url = non_empty(req.reset_password_redirect_url)
        .or_else(|| state.project.settings.default_login_redirect_url.clone())
        .or_else(|| state.config.allowed_redirect_urls.first().cloned())
        .ok_or_else(|| {
            ApiError::new(
                ErrorType::InvalidRedirectUrl,
                "`reset_password_redirect_url` is required: this project has no default redirect URL (--default-login-redirect-url).",
            )
        })?;
    check_redirect(&state, "reset_password_redirect_url", &redirect_url)?;
    if let Some(url) = non_empty(req.login_redirect_url) {
        check_redirect(&state, "login_redirect_url", &url)?;
    }
    let minutes = expiration(
        "reset_password_expiration_minutes",
        req.reset_password_expiration_minutes,
    )?;
    expiration("login_expiration_minutes", req.login_expiration_minutes)?;
    let code_challenge = non_empty(req.code_challenge);
    match &code_challenge {
        Some(challenge) => pkce::validate_challenge(challenge)?,
        None if caller.pkce_required(&state) => {
            return Err(ApiError::bad_request(
                "`code_challenge` is required: this project requires PKCE for password resets (pkce_required_for_password_resets).",
            ))
        }
        None => {}
    }
    let end_user = EndUser::of_call(&caller, req.attributes)?;
    state
        .limiter
        .check(&ratelimit::SEND, caller.client.ip, &email)?;

    let now = state.now();
    let address = email.clone();
    let mut extra = Map::new();
    end_user.record(&mut extra);
    let (row, entry) = state
        .db
        .tx(move |tx| {
            let (row, password) = db::email_with_password(tx, &address)?.ok_or_else(|| {
                ApiError::new(ErrorType::EmailNotFound, format!("No user has the email {address}."))
            })?;
            let issued = one_time::issue(
                tx,
                TokenKind::PasswordReset,
                &TokenSpec {
                    user_id: Some(row.user_id.clone()),
                    email_id: Some(row.email_id.clone()),
                    expires_at: now + minutes * 60,
                    code_challenge,
                    redirect_url: Some(redirect_url.clone()),
                    extra,
                    ..Default::default()
                },
                now,
            )?;
            let link = reset_link(&redirect_url, &issued.token);
            let (subject, verb) = if password.is_some() {
                ("Reset your password", "reset your password")
            } else {
                ("Set a password", "set a password for your account")
            };
            let message = OutboxMessage {
                channel: Channel::Email,
                recipient: address.clone(),
                subject: subject.into(),
                body: format!(
                    "Someone asked to {verb}. If it was you, open this link within {minutes} minutes:\n\n{link}\n\nIf it was not you, ignore this email."
                ),
                link: Some(link),
                code: None,
            };
            let entry = outbox_store::insert(tx, &message, now)?;
            Ok((row, entry))
        })
        .await?;
    outbox::log_delivery(&entry);
    Ok(ResetStartResponse {
        user_id: row.user_id,
        email_id: row.email_id,
    })
}

// ---- reset by email: finish --------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct ResetByEmailRequest {
    token: String,
    password: String,
    session_duration_minutes: Option<i64>,
    code_verifier: Option<String>,
    session_token: Option<String>,
    session_jwt: Option<String>,
    session_custom_claims: Option<Value>,
    attributes: Option<AttributesInput>,
    options: Option<MatchOptions>,
}

/// Names reset links in messages (refused tokens, attribute mismatches).
const RESET_LINK: &str = "password reset link";

async fn reset_by_email(
    state: AppState,
    caller: Caller,
    req: ResetByEmailRequest,
) -> ApiResult<AuthResponse> {
    if req.token.is_empty() {
        return Err(ApiError::bad_request("`token` must not be empty."));
    }
    pw::check_length("password", &req.password, true)?;
    let minutes = caller.session_minutes(req.session_duration_minutes)?;
    let claims = caller.custom_claims(req.session_custom_claims)?;
    let options = req.options.unwrap_or_default();
    let presented = EndUser::presented(&caller, req.attributes, options)?;
    let existing = caller
        .existing_session(
            &state,
            req.session_token.as_deref(),
            req.session_jwt.as_deref(),
        )
        .await?;
    let code_verifier = non_empty(req.code_verifier);

    // Look, do not touch: an attribute or PKCE mismatch or a weak password
    // leaves the link usable.
    let now = state.now();
    let token = req.token.clone();
    let email = state
        .db
        .call(move |c| {
            let found = one_time::peek_live(c, TokenKind::PasswordReset, &token, now)?
                .map_err(|r| sign_in::link_rejection(RESET_LINK, r))?;
            let email_id = found.email_id.clone().unwrap_or_default();
            let email = users::get_email(c, &email_id)?
                .filter(|e| Some(&e.user_id) == found.user_id.as_ref())
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorType::EmailNotFound,
                        "The email this reset link was sent to no longer belongs to the account.",
                    )
                })?;
            Ok((found, email))
        })
        .await?;
    let (found, email) = email;
    attributes::check(
        options,
        &EndUser::recorded(&found.extra),
        &presented,
        RESET_LINK,
    )?;
    pkce::verify(found.code_challenge.as_deref(), code_verifier.as_deref())?;
    require_strong(&state, &req.password, &email.email).await?;
    let hash = pw::hash(req.password).await?;

    let now = state.now();
    let token = req.token;
    let user_id = email.user_id.clone();
    let proven = email.clone();
    let sessions_reset = state
        .db
        .tx(move |tx| {
            let redeemed = one_time::redeem(tx, TokenKind::PasswordReset, &token, now)?
                .map_err(|r| sign_in::link_rejection(RESET_LINK, r))?;
            // The same row as peeked; re-checked in case of a concurrent swap.
            attributes::check(
                options,
                &EndUser::recorded(&redeemed.extra),
                &presented,
                RESET_LINK,
            )?;
            pkce::verify(redeemed.code_challenge.as_deref(), code_verifier.as_deref())?;
            // The link proved the inbox: first what that proof undoes (a
            // claimed account's sessions and factors, the old password's
            // flag), then the new password.
            let sessions_reset = passwordless::verify_email_by_proof(tx, &proven, now)?;
            users::set_password(tx, &user_id, &hash, now)?;
            users::set_status(tx, &user_id, UserStatus::Active)?;
            one_time::invalidate(tx, TokenKind::PasswordReset, Subject::UserId(&user_id), now)?;
            Ok(sessions_reset)
        })
        .await?;
    let login = Login {
        factor: AuthenticationFactor::email(
            FactorType::MagicLink,
            &email.email_id,
            &email.email,
            now,
        ),
        user_id: email.user_id,
        minutes,
        // A claim ended the session the call came with, too.
        existing: existing.filter(|_| !sessions_reset),
        claims,
        revoke_others: true,
    };
    finish(&state, &caller, login, None).await
}

// ---- reset by existing password ---------------------------------------------

#[derive(Debug, Deserialize)]
pub struct ResetByExistingPasswordRequest {
    email: String,
    existing_password: String,
    new_password: String,
    session_duration_minutes: Option<i64>,
    session_token: Option<String>,
    session_jwt: Option<String>,
    session_custom_claims: Option<Value>,
}

async fn reset_by_existing_password(
    state: AppState,
    caller: Caller,
    req: ResetByExistingPasswordRequest,
) -> ApiResult<AuthResponse> {
    let email = validate::normalize_email(&req.email)?;
    pw::check_length("existing_password", &req.existing_password, false)?;
    pw::check_length("new_password", &req.new_password, true)?;
    let minutes = caller.session_minutes(req.session_duration_minutes)?;
    let claims = caller.custom_claims(req.session_custom_claims)?;
    state
        .limiter
        .check(&ratelimit::PASSWORD, caller.client.ip, &email)?;
    let existing = caller
        .existing_session(
            &state,
            req.session_token.as_deref(),
            req.session_jwt.as_deref(),
        )
        .await?;
    let (row, _) = check_password(&state, &email, &req.existing_password).await?;
    if req.new_password == req.existing_password {
        return Err(ApiError::new(
            ErrorType::WeakPassword,
            "The new password must be different from the existing one.",
        ));
    }
    require_strong(&state, &req.new_password, &email).await?;
    let hash = pw::hash(req.new_password).await?;
    let now = state.now();
    let user_id = row.user_id.clone();
    state
        .db
        .tx(move |tx| {
            users::set_password(tx, &user_id, &hash, now)?;
            users::set_status(tx, &user_id, UserStatus::Active)?;
            one_time::invalidate(tx, TokenKind::PasswordReset, Subject::UserId(&user_id), now)?;
            Ok(())
        })
        .await?;
    let login = Login {
        factor: AuthenticationFactor::password(&row.email_id, &row.email, now),
        user_id: row.user_id,
        minutes,
        existing,
        claims,
        revoke_others: true,
    };
    finish(&state, &caller, login, None).await
}

// ---- reset by session --------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct ResetBySessionRequest {
    password: String,
    session_duration_minutes: Option<i64>,
    session_token: Option<String>,
    session_jwt: Option<String>,
    session_custom_claims: Option<Value>,
}

/// Whether the session proved a password, an email magic link or an email
/// OTP within the last [`SESSION_RESET_RECENCY_SECS`].
fn recently_proven(session: &AuthedSession, now: i64) -> bool {
    session.row.factors.iter().any(|f| {
        let kind_ok = (f.kind == FactorType::Password.as_str() && f.delivery_method == "knowledge")
            || ((f.kind == FactorType::MagicLink.as_str() || f.kind == FactorType::Otp.as_str())
                && f.delivery_method == "email");
        kind_ok && f.last_authenticated_at.0 > now - SESSION_RESET_RECENCY_SECS
    })
}

/// The email a session's password belongs to: the one of the session's
/// email factor if it is still the user's, else the user's first email.
fn session_email(session: &AuthedSession, emails: &[EmailRow]) -> Option<EmailRow> {
    let factor_email = session.row.factors.iter().find_map(|f| {
        f.detail
            .get("email_factor")
            .and_then(|e| e.get("email_id"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    factor_email
        .and_then(|id| emails.iter().find(|e| e.email_id == id).cloned())
        .or_else(|| emails.first().cloned())
}

async fn reset_by_session(
    state: AppState,
    caller: Caller,
    req: ResetBySessionRequest,
) -> ApiResult<AuthResponse> {
    pw::check_length("password", &req.password, true)?;
    let minutes = caller.session_minutes(req.session_duration_minutes)?;
    let claims = caller.custom_claims(req.session_custom_claims)?;
    let current = if caller.is_sdk() {
        caller.require_session()?.clone()
    } else {
        session::resolve_args(
            &state,
            req.session_token.as_deref(),
            req.session_jwt.as_deref(),
        )
        .await?
        .ok_or_else(|| ApiError::bad_request("Pass session_token or session_jwt."))?
    };
    let now = state.now();
    if !recently_proven(&current, now) {
        return Err(ApiError::bad_request(format!(
            "Resetting a password by session needs a password, email magic link or email OTP factor authenticated in the last {} minutes; sign in again first.",
            SESSION_RESET_RECENCY_SECS / 60
        )));
    }
    let user_id = current.row.user_id.clone();
    state
        .limiter
        .check(&ratelimit::PASSWORD, caller.client.ip, &user_id)?;
    let lookup = user_id.clone();
    let emails = state
        .db
        .call(move |c| users::emails_of_user(c, &lookup))
        .await?;
    let email = session_email(&current, &emails).ok_or_else(|| {
        ApiError::bad_request("This user has no email address; a password needs one.")
    })?;
    require_strong(&state, &req.password, &email.email).await?;
    let hash = pw::hash(req.password).await?;
    let now = state.now();
    let target = user_id.clone();
    state
        .db
        .tx(move |tx| {
            users::set_password(tx, &target, &hash, now)?;
            one_time::invalidate(tx, TokenKind::PasswordReset, Subject::UserId(&target), now)?;
            Ok(())
        })
        .await?;
    let login = Login {
        factor: AuthenticationFactor::password(&email.email_id, &email.email, now),
        user_id,
        minutes,
        existing: Some(current),
        claims,
        revoke_others: true,
    };
    finish(&state, &caller, login, None).await
}

// ---- queries -----------------------------------------------------------------

/// The few queries this module needs beyond `store::users` / `store::one_time`.
mod db {
    use super::*;

    /// The email row for an (already normalised) address and its user's password, if any.
    pub fn email_with_password(
        conn: &Connection,
        email: &str,
    ) -> ApiResult<Option<(EmailRow, Option<PasswordRow>)>> {
        let Some(row) = users::find_email(conn, email)? else {
            return Ok(None);
        };
        let password = users::password_for_user(conn, &row.user_id)?;
        Ok(Some((row, password)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_links_keep_the_query_and_fragment() {
        assert_eq!(
            reset_link("http://localhost:5173/reset", "T"),
            "http://localhost:5173/reset?stytch_token_type=reset_password&token=T"
        );
        assert_eq!(
            reset_link("http://localhost:5173/reset?next=%2Fhome", "T"),
            "http://localhost:5173/reset?next=%2Fhome&stytch_token_type=reset_password&token=T"
        );
        assert_eq!(
            reset_link("http://localhost:5173/reset?", "T"),
            "http://localhost:5173/reset?stytch_token_type=reset_password&token=T"
        );
        assert_eq!(
            reset_link("http://localhost:5173/app?x=1#/reset", "T"),
            "http://localhost:5173/app?x=1&stytch_token_type=reset_password&token=T#/reset"
        );
    }
}

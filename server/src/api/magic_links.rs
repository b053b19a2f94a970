//! Email magic links: login_or_create, send (primary, secondary, `/v1` send), authenticate.
//!
//! The steps it shares with OTPs, OAuth and password resets live in
//! `api::sign_in`.

use axum::http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    api::{
        attributes::{self, AttributesInput, EndUser, MatchOptions},
        sign_in::{
            attach_target_email, code_challenge, confirm_email, link_rejection, minutes_in,
            project_name, send_target, with_query, AuthenticateResponse, RedirectUrls, SignIn,
            Target,
        },
    },
    auth::pkce,
    dev::outbox::{self, Channel, OutboxMessage},
    error::{ApiError, ApiResult, ErrorType},
    http::{Api, Caller, Reply},
    model::{AuthenticationFactor, FactorType},
    ratelimit,
    state::AppState,
    store::{
        one_time::{self, TokenKind, TokenSpec},
        outbox as outbox_store,
        passwordless::{self, ATTACH_KEY},
        users::{self, NewUser, UserStatus},
    },
    validate,
};

pub fn mount(api: Api) -> Api {
    api.both(
        Method::POST,
        "/magic_links/email/login_or_create",
        login_or_create,
    )
    .both_at(
        Method::POST,
        "/magic_links/email/send/primary",
        "/magic_links/email/send",
        send,
    )
    .sdk(
        Method::POST,
        "/magic_links/email/send/secondary",
        send_secondary,
    )
    .both(Method::POST, "/magic_links/authenticate", authenticate)
}

/// `login_expiration_minutes` / `signup_expiration_minutes`: Stytch's bounds and default.
pub const LINK_MINUTES: std::ops::RangeInclusive<i64> = 5..=10_080;
pub const DEFAULT_LINK_MINUTES: i64 = 60;

// ---- sending -------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct SendRequest {
    email: String,
    login_magic_link_url: Option<String>,
    signup_magic_link_url: Option<String>,
    login_expiration_minutes: Option<i64>,
    signup_expiration_minutes: Option<i64>,
    code_challenge: Option<String>,
    /// `/v1`: the end user's IP / user agent, recorded with the link for
    /// `options.*_match_required` (`/sdk/v1` records the connection's).
    attributes: Option<AttributesInput>,
    /// `/v1` send only: add the email to this user (or the session's user).
    user_id: Option<String>,
    session_token: Option<String>,
    session_jwt: Option<String>,
    /// Accepted for compatibility; new users are always pending until they
    /// authenticate (see `server/docs/behaviour.md`).
    #[allow(dead_code)]
    create_user_as_pending: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct SendResponse {
    pub user_id: String,
    pub email_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_created: Option<bool>,
}

impl Reply for SendResponse {}

async fn login_or_create(
    state: AppState,
    caller: Caller,
    req: SendRequest,
) -> ApiResult<SendResponse> {
    send_link(state, caller, req, Target::LoginOrCreate).await
}

/// `/sdk/v1/magic_links/email/send/primary` and `/v1/magic_links/email/send`.
/// On `/v1`, a `user_id`, `session_token` or `session_jwt` makes it an
/// attach (as Stytch does); otherwise the address must exist.
async fn send(state: AppState, caller: Caller, req: SendRequest) -> ApiResult<SendResponse> {
    let target = send_target(
        &state,
        &caller,
        &req.user_id,
        &req.session_token,
        &req.session_jwt,
    )
    .await?;
    send_link(state, caller, req, target).await
}

async fn send_secondary(
    state: AppState,
    caller: Caller,
    req: SendRequest,
) -> ApiResult<SendResponse> {
    let user_id = caller.require_session()?.row.user_id.clone();
    send_link(state, caller, req, Target::Attach(user_id)).await
}

async fn send_link(
    state: AppState,
    caller: Caller,
    req: SendRequest,
    target: Target,
) -> ApiResult<SendResponse> {
    let email = validate::normalize_email(&req.email)?;
    let urls = RedirectUrls::checked(
        &state,
        ("login_magic_link_url", req.login_magic_link_url),
        ("signup_magic_link_url", req.signup_magic_link_url),
    )?;
    let login_minutes = minutes_in(
        "login_expiration_minutes",
        req.login_expiration_minutes,
        LINK_MINUTES,
        DEFAULT_LINK_MINUTES,
    )?;
    let signup_minutes = minutes_in(
        "signup_expiration_minutes",
        req.signup_expiration_minutes,
        LINK_MINUTES,
        DEFAULT_LINK_MINUTES,
    )?;
    let challenge = code_challenge(
        req.code_challenge,
        caller.pkce_required(&state),
        "pkce_required_for_email_magic_links",
    )?;
    let end_user = EndUser::of_call(&caller, req.attributes)?;
    state
        .limiter
        .check(&ratelimit::SEND, caller.client.ip, &email)?;

    let login_url = urls.login(&state);
    let signup_url = urls.signup(&state);
    let project = project_name(&state);
    let now = state.now();
    let (response, entry) = state
        .db
        .tx(move |tx| {
            let mut extra = Map::new();
            end_user.record(&mut extra);
            let is_login_or_create = matches!(target, Target::LoginOrCreate);
            let (user_id, email_id, user_created, signup) = match target {
                Target::LoginOrCreate | Target::Existing => match users::find_email(tx, &email)? {
                    Some(row) => {
                        let pending = passwordless::user_status(tx, &row.user_id)?.as_deref()
                            == Some(UserStatus::Pending.as_str());
                        (row.user_id, row.email_id, false, pending)
                    }
                    None if matches!(target, Target::Existing) => {
                        return Err(ApiError::new(
                            ErrorType::EmailNotFound,
                            format!(
                                "No user has the email {email}; use login_or_create to sign up."
                            ),
                        ))
                    }
                    None => {
                        let new_user = NewUser {
                            status: UserStatus::Pending,
                            ..Default::default()
                        };
                        let user_id = users::insert_user(tx, &new_user, now)?;
                        let email_id = users::insert_email(tx, &user_id, &email, false, now)?;
                        (user_id, email_id, true, true)
                    }
                },
                Target::Attach(user_id) => {
                    let (email_id, is_new) = attach_target_email(tx, &user_id, &email, now)?;
                    if is_new {
                        extra.insert(ATTACH_KEY.into(), email.clone().into());
                    }
                    (user_id, email_id, false, false)
                }
            };
            let (url, minutes) = if signup {
                (signup_url?, signup_minutes)
            } else {
                (login_url?, login_minutes)
            };
            let issued = one_time::issue(
                tx,
                TokenKind::MagicLink,
                &TokenSpec {
                    user_id: Some(user_id.clone()),
                    email_id: Some(email_id.clone()),
                    expires_at: now + minutes * 60,
                    code_challenge: challenge,
                    redirect_url: Some(url.clone()),
                    extra,
                    ..Default::default()
                },
                now,
            )?;
            let link = with_query(
                &url,
                &[
                    ("stytch_token_type", "magic_links"),
                    ("token", &issued.token),
                ],
            );
            let (subject, action) = if signup {
                (
                    format!("Finish signing up for {project}"),
                    "finish signing up",
                )
            } else {
                (format!("Your login link for {project}"), "log in")
            };
            let body = format!(
                "Hello,\n\nClick the link below to {action}:\n\n{link}\n\nThe link works once and \
                 expires in {minutes} minutes. If you did not ask for it, ignore this email.\n"
            );
            let entry = outbox_store::insert(
                tx,
                &OutboxMessage {
                    channel: Channel::Email,
                    recipient: email.clone(),
                    subject,
                    body,
                    link: Some(link),
                    code: None,
                },
                now,
            )?;
            Ok((
                SendResponse {
                    user_id,
                    email_id,
                    user_created: is_login_or_create.then_some(user_created),
                },
                entry,
            ))
        })
        .await?;
    outbox::log_delivery(&entry);
    Ok(response)
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
    attributes: Option<AttributesInput>,
    options: Option<MatchOptions>,
}

async fn authenticate(
    state: AppState,
    caller: Caller,
    req: AuthenticateRequest,
) -> ApiResult<AuthenticateResponse> {
    let options = req.options.unwrap_or_default();
    let presented = EndUser::presented(&caller, req.attributes, options)?;
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
    let (user, email_id, email, reset) = state
        .db
        .tx(move |tx| {
            let found = one_time::redeem(tx, TokenKind::MagicLink, &token, now)?
                .map_err(|r| link_rejection("magic link", r))?;
            // A mismatch of either returns before the commit: the link stays
            // usable by the rightful user (matching attributes, right verifier).
            attributes::check(
                options,
                &EndUser::recorded(&found.extra),
                &presented,
                "magic link",
            )?;
            pkce::verify(found.code_challenge.as_deref(), verifier.as_deref())?;
            let (Some(user_id), Some(email_id)) = (found.user_id, found.email_id) else {
                return Err(ApiError::internal(
                    "a magic link token without user or email",
                ));
            };
            let attach = found.extra.get(ATTACH_KEY).and_then(Value::as_str);
            let (email, reset) = confirm_email(tx, &user_id, &email_id, attach, now, || {
                ApiError::new(
                    ErrorType::UnableToAuthMagicLink,
                    "The email address of this link was removed from its user.",
                )
            })?;
            users::set_status(tx, &user_id, UserStatus::Active)?;
            Ok((users::require_user(tx, &user_id)?, email_id, email, reset))
        })
        .await?;
    if reset {
        sign_in.sessions_were_reset();
    }
    let factor = AuthenticationFactor::email(FactorType::MagicLink, &email_id, &email, now);
    sign_in
        .respond(&state, &caller, user, email_id, factor)
        .await
}

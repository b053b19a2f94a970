//! One-time passcodes by SMS, WhatsApp and email: login_or_create, send (primary, secondary, `/v1` send), authenticate.
//!
//! Codes are 6 digits from the OS CSPRNG, stored only as a hash bound to
//! their token id (`store::one_time::issue_code`), single use, expiring
//! (default 2 minutes, `expiration_minutes` 1..=10), and die after
//! [`MAX_ATTEMPTS`] wrong tries. Only the newest code of a phone number or
//! email works. The `method_id` is the `phone_id` or `email_id`.

use std::time::Duration;

use axum::http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    api::{
        attributes::{self, AttributesInput, EndUser, MatchOptions},
        sign_in::{self, AuthenticateResponse, SignIn, Target},
    },
    dev::outbox::{self, Channel, OutboxMessage},
    error::{ApiError, ApiResult, ErrorType},
    http::{Api, Caller, Reply},
    ids,
    model::{AuthenticationFactor, FactorType},
    ratelimit::{self, Limit, Policy},
    state::AppState,
    store::{
        one_time::{self, Rejection, Subject, TokenKind, TokenSpec},
        outbox as outbox_store,
        passwordless::{self, MethodColumn, ATTACH_KEY},
        users::{self, NewUser},
    },
    validate,
};

/// Wrong tries after which a code is dead, even for the right code.
pub const MAX_ATTEMPTS: i64 = 5;
pub const CODE_DIGITS: u32 = 6;
/// `expiration_minutes`: bounds and default.
pub const CODE_MINUTES: std::ops::RangeInclusive<i64> = 1..=10;
pub const DEFAULT_CODE_MINUTES: i64 = 2;

/// OTP authenticate attempts: per client IP 100 in a burst then 5 per
/// second; per `method_id` 20 then one per 3 s (each code also dies after
/// [`MAX_ATTEMPTS`] wrong tries).
pub const AUTHENTICATE: Policy = Policy {
    name: "otp_authenticate",
    per_ip: Limit {
        capacity: 100,
        refill_every: Duration::from_millis(200),
    },
    per_identifier: Limit {
        capacity: 20,
        refill_every: Duration::from_secs(3),
    },
};

const KEY_DELIVERY: &str = "delivery_method";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OtpChannel {
    Sms,
    Whatsapp,
    Email,
}

impl OtpChannel {
    const ALL: [OtpChannel; 3] = [OtpChannel::Sms, OtpChannel::Whatsapp, OtpChannel::Email];

    /// The path segment, which is also the factor's `delivery_method`.
    fn name(self) -> &'static str {
        match self {
            OtpChannel::Sms => "sms",
            OtpChannel::Whatsapp => "whatsapp",
            OtpChannel::Email => "email",
        }
    }

    fn outbox(self) -> Channel {
        match self {
            OtpChannel::Sms => Channel::Sms,
            OtpChannel::Whatsapp => Channel::Whatsapp,
            OtpChannel::Email => Channel::Email,
        }
    }

    fn is_phone(self) -> bool {
        self != OtpChannel::Email
    }
}

/// Which send a route is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    LoginOrCreate,
    /// `/sdk/v1/…/send/primary` and `/v1/…/send`.
    Send,
    /// `/sdk/v1/…/send/secondary`.
    Secondary,
}

pub fn mount(api: Api) -> Api {
    let mut api = api;
    for channel in OtpChannel::ALL {
        let name = channel.name();
        let op = move |route: Route| {
            move |state: AppState, caller: Caller, req: SendRequest| {
                send_code(state, caller, req, channel, route)
            }
        };
        api = api
            .both(
                Method::POST,
                &format!("/otps/{name}/login_or_create"),
                op(Route::LoginOrCreate),
            )
            .both_at(
                Method::POST,
                &format!("/otps/{name}/send/primary"),
                &format!("/otps/{name}/send"),
                op(Route::Send),
            )
            .sdk(
                Method::POST,
                &format!("/otps/{name}/send/secondary"),
                op(Route::Secondary),
            );
    }
    api.both(Method::POST, "/otps/authenticate", authenticate)
}

// ---- sending -------------------------------------------------------------------

/// One request type for the three channels: `phone_number` for SMS and
/// WhatsApp, `email` for email (the channel says which is required).
#[derive(Debug, Deserialize)]
pub struct SendRequest {
    phone_number: Option<String>,
    email: Option<String>,
    expiration_minutes: Option<i64>,
    /// `/v1`: the end user's IP / user agent, recorded with the code for
    /// `options.*_match_required` (`/sdk/v1` records the connection's).
    attributes: Option<AttributesInput>,
    /// `/v1` send only: add the number / address to this user (or the session's).
    user_id: Option<String>,
    session_token: Option<String>,
    session_jwt: Option<String>,
    /// Accepted for compatibility; new users are pending until they authenticate.
    #[allow(dead_code)]
    create_user_as_pending: Option<bool>,
}

/// The official client's shape (`user_id`, `phone_id` or `email_id`,
/// `user_created` for login_or_create); the frontend face adds `method_id`.
#[derive(Debug, Serialize)]
pub struct SendResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method_id: Option<String>,
    pub user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_created: Option<bool>,
}

impl Reply for SendResponse {}

fn plural_minutes(minutes: i64) -> String {
    if minutes == 1 {
        "1 minute".into()
    } else {
        format!("{minutes} minutes")
    }
}

async fn send_code(
    state: AppState,
    caller: Caller,
    req: SendRequest,
    channel: OtpChannel,
    route: Route,
) -> ApiResult<SendResponse> {
    let address = if channel.is_phone() {
        let raw = req.phone_number.as_deref().ok_or_else(|| {
            ApiError::new(
                ErrorType::InvalidPhoneNumber,
                "`phone_number` is required (E.164, e.g. +15555550123).",
            )
        })?;
        validate::phone_number(raw)?
    } else {
        let raw = req
            .email
            .as_deref()
            .ok_or_else(|| ApiError::new(ErrorType::InvalidEmail, "`email` is required."))?;
        validate::normalize_email(raw)?
    };
    let minutes = sign_in::minutes_in(
        "expiration_minutes",
        req.expiration_minutes,
        CODE_MINUTES,
        DEFAULT_CODE_MINUTES,
    )?;
    let end_user = EndUser::of_call(&caller, req.attributes)?;
    let target = match route {
        Route::LoginOrCreate => Target::LoginOrCreate,
        Route::Secondary => Target::Attach(caller.require_session()?.row.user_id.clone()),
        Route::Send => {
            sign_in::send_target(
                &state,
                &caller,
                &req.user_id,
                &req.session_token,
                &req.session_jwt,
            )
            .await?
        }
    };
    state
        .limiter
        .check(&ratelimit::SEND, caller.client.ip, &address)?;

    let project = sign_in::project_name(&state);
    let now = state.now();
    let is_sdk = caller.is_sdk();
    let (response, entry) = state
        .db
        .tx(move |tx| {
            let mut extra = Map::new();
            extra.insert(KEY_DELIVERY.into(), channel.name().into());
            end_user.record(&mut extra);
            let (user_id, method_id, user_created) = match target {
                Target::LoginOrCreate | Target::Existing => {
                    let found = if channel.is_phone() {
                        users::find_phone(tx, &address)?.map(|row| (row.user_id, row.phone_id))
                    } else {
                        users::find_email(tx, &address)?.map(|row| (row.user_id, row.email_id))
                    };
                    match found {
                        Some((user_id, method_id)) => (user_id, method_id, false),
                        None if matches!(target, Target::Existing) => {
                            return Err(if channel.is_phone() {
                                ApiError::new(
                                    ErrorType::PhoneNumberNotFound,
                                    format!("No user has the phone number {address}; use login_or_create to sign up."),
                                )
                            } else {
                                ApiError::new(
                                    ErrorType::EmailNotFound,
                                    format!("No user has the email {address}; use login_or_create to sign up."),
                                )
                            })
                        }
                        None => {
                            let new_user = NewUser {
                                status: users::UserStatus::Pending,
                                ..Default::default()
                            };
                            let user_id = users::insert_user(tx, &new_user, now)?;
                            let method_id = if channel.is_phone() {
                                users::insert_phone(tx, &user_id, &address, false, now)?
                            } else {
                                users::insert_email(tx, &user_id, &address, false, now)?
                            };
                            (user_id, method_id, true)
                        }
                    }
                }
                Target::Attach(user_id) => {
                    let (method_id, is_new) = if channel.is_phone() {
                        attach_target_phone(tx, &user_id, &address, now)?
                    } else {
                        sign_in::attach_target_email(tx, &user_id, &address, now)?
                    };
                    if is_new {
                        extra.insert(ATTACH_KEY.into(), address.clone().into());
                    }
                    (user_id, method_id, false)
                }
            };
            let (phone_id, email_id) = if channel.is_phone() {
                (Some(method_id.clone()), None)
            } else {
                (None, Some(method_id.clone()))
            };
            let issued = one_time::issue_code(
                tx,
                TokenKind::Otp,
                CODE_DIGITS,
                &TokenSpec {
                    user_id: Some(user_id.clone()),
                    phone_id: phone_id.clone(),
                    email_id: email_id.clone(),
                    expires_at: now + minutes * 60,
                    extra,
                    ..Default::default()
                },
                now,
            )?;
            let code = issued.token;
            let lifetime = plural_minutes(minutes);
            let (subject, body) = if channel.is_phone() {
                (
                    String::new(),
                    format!(
                        "{code} is your {project} verification code. It expires in {lifetime}. \
                         Do not share it with anyone."
                    ),
                )
            } else {
                (
                    format!("Your {project} verification code: {code}"),
                    format!(
                        "Hello,\n\nYour verification code is:\n\n    {code}\n\nIt works once and \
                         expires in {lifetime}. If you did not ask for it, ignore this email.\n"
                    ),
                )
            };
            let entry = outbox_store::insert(
                tx,
                &OutboxMessage {
                    channel: channel.outbox(),
                    recipient: address.clone(),
                    subject,
                    body,
                    link: None,
                    code: Some(code),
                },
                now,
            )?;
            let response = SendResponse {
                method_id: is_sdk.then(|| method_id.clone()),
                user_id,
                phone_id,
                email_id,
                user_created: (route == Route::LoginOrCreate).then_some(user_created),
            };
            Ok((response, entry))
        })
        .await?;
    outbox::log_delivery(&entry);
    Ok(response)
}

/// For an attach to `user_id`: the `phone_id` to send to and whether it is
/// new (inserted when the code is authenticated). A number of another user
/// is 400 `duplicate_phone_number`.
fn attach_target_phone(
    tx: &rusqlite::Connection,
    user_id: &str,
    phone_number: &str,
    now: i64,
) -> ApiResult<(String, bool)> {
    users::require_user_exists(tx, user_id)?;
    match users::find_phone(tx, phone_number)? {
        Some(row) if row.user_id == user_id => Ok((row.phone_id, false)),
        Some(_) => Err(ApiError::new(
            ErrorType::DuplicatePhoneNumber,
            format!("{phone_number} belongs to another user."),
        )),
        None => {
            let pending =
                passwordless::pending_attachment(tx, TokenKind::Otp, user_id, phone_number, now)?;
            Ok(match pending {
                Some(id) => (id, true),
                None => (ids::new_id("phone-number"), true),
            })
        }
    }
}

// ---- authenticate ----------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct AuthenticateRequest {
    /// The code, as the browser SDK names it.
    token: Option<String>,
    /// The code, as the official backend clients name it.
    code: Option<String>,
    method_id: String,
    session_duration_minutes: Option<i64>,
    session_token: Option<String>,
    session_jwt: Option<String>,
    session_custom_claims: Option<Value>,
    attributes: Option<AttributesInput>,
    options: Option<MatchOptions>,
}

/// What checking a code came to (decided inside the transaction, which
/// must commit even for a wrong code so the attempt is counted).
enum Outcome {
    SignedIn {
        user: Box<crate::model::User>,
        factor: AuthenticationFactor,
        /// The proof claimed an unproven account (`store::ownership`).
        sessions_reset: bool,
    },
    Wrong {
        attempts_left: i64,
    },
    NoLiveCode(&'static str),
}

async fn authenticate(
    state: AppState,
    caller: Caller,
    req: AuthenticateRequest,
) -> ApiResult<AuthenticateResponse> {
    let code = req
        .token
        .or(req.code)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::bad_request("`token` (the one-time code) is required."))?;
    let method_id = req.method_id;
    let column = if ids::is_prefixed_id("phone-number", &method_id) {
        MethodColumn::PhoneId
    } else if ids::is_prefixed_id("email", &method_id) {
        MethodColumn::EmailId
    } else {
        return Err(ApiError::bad_request(format!(
            "`method_id` must be the phone_id or email_id a send returned (got {method_id:?})."
        )));
    };
    let options = req.options.unwrap_or_default();
    let presented = EndUser::presented(&caller, req.attributes, options)?;
    state
        .limiter
        .check(&AUTHENTICATE, caller.client.ip, &method_id)?;
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
    let method = method_id.clone();
    let outcome = state
        .db
        .tx(move |tx| {
            let latest = passwordless::latest_code(tx, TokenKind::Otp, column, &method, now)?;
            // Attributes before the code is compared: a caller who may not use
            // the code learns nothing about it and spends none of its tries,
            // and the code stays usable by the rightful user.
            if let Some(live) = latest.as_ref().filter(|c| c.is_live(MAX_ATTEMPTS)) {
                attributes::check(options, &EndUser::recorded(&live.extra), &presented, "code")?;
            }
            let subject = match column {
                MethodColumn::PhoneId => Subject::PhoneId(&method),
                MethodColumn::EmailId => Subject::EmailId(&method),
            };
            let found = match one_time::find_code(tx, TokenKind::Otp, subject, &code, MAX_ATTEMPTS, now)? {
                Ok(found) => found,
                Err(Rejection::NotFound) => {
                    return Ok(match latest {
                        Some(state) => Outcome::Wrong {
                            attempts_left: (MAX_ATTEMPTS - state.attempts - 1).max(0),
                        },
                        None => Outcome::NoLiveCode("No code was sent to this method_id."),
                    })
                }
                Err(Rejection::AlreadyUsed) => {
                    return Ok(Outcome::NoLiveCode(
                        "The latest code of this method_id was already used; request a new one.",
                    ))
                }
                Err(Rejection::Expired) => {
                    return Ok(Outcome::NoLiveCode(
                        "The latest code of this method_id has expired; request a new one.",
                    ))
                }
                Err(Rejection::TooManyAttempts) => {
                    return Ok(Outcome::NoLiveCode(
                        "The latest code of this method_id was entered wrongly too many times; request a new one.",
                    ))
                }
            };
            let Some(user_id) = found.user_id.clone() else {
                return Err(ApiError::internal("an OTP token without a user"));
            };
            let attach = found.extra.get(ATTACH_KEY).and_then(Value::as_str);
            let gone = || {
                ApiError::new(
                    ErrorType::UnableToAuthOtpCode,
                    "The phone number or email of this code was removed from its user.",
                )
            };
            let (factor, sessions_reset) = match column {
                MethodColumn::PhoneId => {
                    let delivery = found
                        .extra
                        .get(KEY_DELIVERY)
                        .and_then(Value::as_str)
                        .unwrap_or("sms");
                    let number = confirm_phone(tx, &user_id, &method, attach, now, gone)?;
                    let factor =
                        AuthenticationFactor::phone(FactorType::Otp, delivery, &method, &number, now);
                    (factor, false)
                }
                MethodColumn::EmailId => {
                    let (email, reset) =
                        sign_in::confirm_email(tx, &user_id, &method, attach, now, gone)?;
                    let factor = AuthenticationFactor::email(FactorType::Otp, &method, &email, now);
                    (factor, reset)
                }
            };
            users::set_status(tx, &user_id, users::UserStatus::Active)?;
            Ok(Outcome::SignedIn {
                user: Box::new(users::require_user(tx, &user_id)?),
                factor,
                sessions_reset,
            })
        })
        .await?;
    let (user, factor) = match outcome {
        Outcome::SignedIn {
            user,
            factor,
            sessions_reset,
        } => {
            if sessions_reset {
                sign_in.sessions_were_reset();
            }
            (*user, factor)
        }
        Outcome::Wrong { attempts_left } => {
            let message = if attempts_left == 0 {
                "Wrong code. That was the last attempt: request a new code.".to_string()
            } else {
                format!("Wrong code; {attempts_left} attempt(s) left for this code.")
            };
            return Err(ApiError::new(ErrorType::UnableToAuthOtpCode, message));
        }
        Outcome::NoLiveCode(message) => {
            return Err(ApiError::new(ErrorType::OtpCodeNotFound, message))
        }
    };
    sign_in
        .respond(&state, &caller, user, method_id, factor)
        .await
}

/// Authenticating a code for a phone: inserts a pending attachment or marks
/// the stored number verified; returns the number.
fn confirm_phone(
    tx: &rusqlite::Connection,
    user_id: &str,
    phone_id: &str,
    attach: Option<&str>,
    now: i64,
    gone: impl FnOnce() -> ApiError,
) -> ApiResult<String> {
    match (users::get_phone(tx, phone_id)?, attach) {
        (Some(row), _) if row.user_id == user_id => {
            users::set_phone_verified(tx, phone_id)?;
            Ok(row.phone_number)
        }
        (None, Some(number)) => {
            passwordless::insert_phone_with_id(tx, phone_id, user_id, number, now)?;
            Ok(number.to_string())
        }
        _ => Err(gone()),
    }
}

//! The steps the sign-in resources (magic links, OTPs, OAuth, password resets) share.
//!
//! Redirect URL resolution and appending query parameters to a link, send-time
//! checks (expiry minutes, PKCE challenge), who a send targets and attaching
//! an address on authenticate, the refusal of a link token, and the sign-in
//! step every authenticate-type call ends with.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::{
    api::sessions::SessionFields,
    auth::pkce,
    error::{ApiError, ApiResult, ErrorType},
    http::{Caller, Reply},
    ids,
    model::{AuthenticationFactor, User},
    session::{self, AuthedSession, Grant},
    state::AppState,
    store::{
        one_time::{Rejection, TokenKind},
        passwordless, users,
    },
};

// ---- links and send-time checks ---------------------------------------------

/// Characters kept as they are in a query component (RFC 3986 unreserved).
fn encode_component(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Appends `pairs` to the query of `url`, keeping an existing query and
/// placing them before any `#fragment`.
pub fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let (base, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let mut out = String::from(base);
    let mut separator = match base.find('?') {
        None => "?",
        Some(_) if base.ends_with('?') || base.ends_with('&') => "",
        Some(_) => "&",
    };
    for (key, value) in pairs {
        out.push_str(separator);
        out.push_str(&encode_component(key));
        out.push('=');
        out.push_str(&encode_component(value));
        separator = "&";
    }
    out.push_str(fragment);
    out
}

/// A login / signup pair of redirect URLs from a request, each checked
/// against the allowed redirect URLs when given. An absent URL falls back
/// to the project's default of its kind (as Stytch uses the dashboard's),
/// then to the other URL of the request, the other default, and the first
/// `--allowed-redirect-url`.
#[derive(Debug, Clone)]
pub struct RedirectUrls {
    login_field: &'static str,
    signup_field: &'static str,
    login: Option<String>,
    signup: Option<String>,
}

impl RedirectUrls {
    pub fn checked(
        state: &AppState,
        (login_field, login): (&'static str, Option<String>),
        (signup_field, signup): (&'static str, Option<String>),
    ) -> ApiResult<RedirectUrls> {
        let check = |field: &str, value: Option<String>| -> ApiResult<Option<String>> {
            let Some(url) = value.filter(|v| !v.is_empty()) else {
                return Ok(None);
            };
            if state.config.is_allowed_redirect_url(&url) {
                Ok(Some(url))
            } else {
                Err(ApiError::new(
                    ErrorType::InvalidRedirectUrl,
                    format!(
                        "`{field}` ({url}) is not an allowed redirect URL of this project \
                         (an http(s) URL on an authorized origin, or one of --allowed-redirect-url)."
                    ),
                ))
            }
        };
        Ok(RedirectUrls {
            login_field,
            signup_field,
            login: check(login_field, login)?,
            signup: check(signup_field, signup)?,
        })
    }

    fn resolve(
        state: &AppState,
        field: &str,
        [own, own_default, other, other_default]: [&Option<String>; 4],
    ) -> ApiResult<String> {
        [own, own_default, other, other_default]
            .into_iter()
            .find_map(Clone::clone)
            .or_else(|| state.config.allowed_redirect_urls.first().cloned())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorType::InvalidRedirectUrl,
                    format!(
                        "`{field}` is required: this project has no default redirect URL \
                         (start the server with --default-login-redirect-url and \
                         --default-signup-redirect-url to set them)."
                    ),
                )
            })
    }

    pub fn login(&self, state: &AppState) -> ApiResult<String> {
        let settings = &state.project.settings;
        Self::resolve(
            state,
            self.login_field,
            [
                &self.login,
                &settings.default_login_redirect_url,
                &self.signup,
                &settings.default_signup_redirect_url,
            ],
        )
    }

    pub fn signup(&self, state: &AppState) -> ApiResult<String> {
        let settings = &state.project.settings;
        Self::resolve(
            state,
            self.signup_field,
            [
                &self.signup,
                &settings.default_signup_redirect_url,
                &self.login,
                &settings.default_login_redirect_url,
            ],
        )
    }
}

/// An optional number of minutes within `range` (400 `bad_request` naming
/// the field otherwise), or `default`.
pub fn minutes_in(
    field: &str,
    value: Option<i64>,
    range: std::ops::RangeInclusive<i64>,
    default: i64,
) -> ApiResult<i64> {
    match value {
        None => Ok(default),
        Some(minutes) if range.contains(&minutes) => Ok(minutes),
        Some(minutes) => Err(ApiError::bad_request(format!(
            "`{field}` must be between {} and {} minutes (got {minutes}).",
            range.start(),
            range.end()
        ))),
    }
}

/// The `code_challenge` of a send: validated when given, and required when
/// the project requires PKCE for this flow (`setting` names the bootstrap flag).
pub fn code_challenge(
    challenge: Option<String>,
    required: bool,
    setting: &str,
) -> ApiResult<Option<String>> {
    match challenge.filter(|c| !c.is_empty()) {
        Some(challenge) => {
            pkce::validate_challenge(&challenge)?;
            Ok(Some(challenge))
        }
        None if required => Err(ApiError::bad_request(format!(
            "`code_challenge` is required: this project requires PKCE here ({setting} is true). \
             Send base64url(SHA-256(code_verifier)) and keep the verifier for the authenticate call."
        ))),
        None => Ok(None),
    }
}

/// What an authenticate-type call settles before it consumes its token, so
/// that a bad duration, bad claims or a dead `/v1` session do not burn it.
pub struct SignIn {
    duration_minutes: Option<i64>,
    custom_claims: Option<Map<String, Value>>,
    existing: Option<AuthedSession>,
    reset_sessions: bool,
}

impl SignIn {
    /// `session_custom_claims` are honoured on `/v1` only; the browser may not set claims.
    pub async fn prepare(
        state: &AppState,
        caller: &Caller,
        session_duration_minutes: Option<i64>,
        session_token: Option<&str>,
        session_jwt: Option<&str>,
        session_custom_claims: Option<Value>,
    ) -> ApiResult<SignIn> {
        let duration_minutes = caller.session_minutes(session_duration_minutes)?;
        let custom_claims = caller.custom_claims(session_custom_claims)?;
        let existing = caller
            .existing_session(state, session_token, session_jwt)
            .await?;
        Ok(SignIn {
            duration_minutes,
            custom_claims,
            existing,
            reset_sessions: false,
        })
    }

    /// The proof ended every session of the user (a claimed account, see
    /// `store::ownership`): start a new one instead of extending the one the
    /// call came with, and answer `reset_sessions: true`.
    pub fn sessions_were_reset(&mut self) {
        self.existing = None;
        self.reset_sessions = true;
    }

    /// Whether [`SignIn::sessions_were_reset`] was called.
    pub fn reset_sessions(&self) -> bool {
        self.reset_sessions
    }

    /// Starts or extends the session for the factor just proven.
    pub async fn finish(
        self,
        state: &AppState,
        caller: &Caller,
        user_id: &str,
        factor: AuthenticationFactor,
    ) -> ApiResult<SessionFields> {
        let issued = session::issue_or_extend(
            state,
            Grant {
                user_id: user_id.to_string(),
                factor,
                duration_minutes: self.duration_minutes,
                existing: self.existing,
                attributes: caller.attributes(),
                custom_claims: self.custom_claims,
            },
        )
        .await?;
        Ok(issued.into())
    }

    /// [`SignIn::finish`] for `user`, answered with the shared
    /// magic link / OTP response (`method_id`: the email or phone proven).
    pub async fn respond(
        self,
        state: &AppState,
        caller: &Caller,
        user: User,
        method_id: String,
        factor: AuthenticationFactor,
    ) -> ApiResult<AuthenticateResponse> {
        let reset_sessions = self.reset_sessions;
        let session = self.finish(state, caller, &user.user_id, factor).await?;
        Ok(AuthenticateResponse {
            user_id: user.user_id.clone(),
            method_id,
            user,
            reset_sessions,
            session,
        })
    }
}

/// The first part of an outbox subject line: the project's name.
pub fn project_name(state: &AppState) -> String {
    state.project.settings.project_name.clone()
}

// ---- who a send is for ------------------------------------------------------

/// Who a link or code is for.
#[derive(Debug, Clone)]
pub enum Target {
    /// Existing address → its user; otherwise a new pending user.
    LoginOrCreate,
    /// Existing address only (`email_not_found` otherwise).
    Existing,
    /// Add the address to this user once the link is authenticated.
    Attach(String),
}

/// The target of a plain send: on `/sdk/v1` an existing address. On `/v1`
/// the user named through `user_id` or a session, if any, to attach the
/// address to (a `user_id` together with a session must be the session's
/// user); otherwise an existing address.
pub async fn send_target(
    state: &AppState,
    caller: &Caller,
    user_id: &Option<String>,
    session_token: &Option<String>,
    session_jwt: &Option<String>,
) -> ApiResult<Target> {
    if caller.is_sdk() {
        return Ok(Target::Existing);
    }
    let session = caller
        .existing_session(state, session_token.as_deref(), session_jwt.as_deref())
        .await?;
    let user_id = user_id.clone().filter(|u| !u.is_empty());
    match (user_id, session) {
        (None, None) => Ok(Target::Existing),
        (None, Some(session)) => Ok(Target::Attach(session.row.user_id)),
        (Some(user_id), session) => {
            super::users::check_user_id(&user_id)?;
            if let Some(session) = session {
                if session.row.user_id != user_id {
                    return Err(ApiError::bad_request(
                        "`user_id` and the session name different users.",
                    ));
                }
            }
            Ok(Target::Attach(user_id))
        }
    }
}

/// For an attach to `user_id`: the `email_id` to send to, and whether it is
/// new (to be inserted when the link or code is authenticated). The user
/// must exist; an address of another user is 400 `duplicate_email`.
pub fn attach_target_email(
    tx: &rusqlite::Connection,
    user_id: &str,
    email: &str,
    now: i64,
) -> ApiResult<(String, bool)> {
    users::require_user_exists(tx, user_id)?;
    match users::find_email(tx, email)? {
        Some(row) if row.user_id == user_id => Ok((row.email_id, false)),
        Some(_) => Err(ApiError::new(
            ErrorType::DuplicateEmail,
            format!("{email} belongs to another user."),
        )),
        None => {
            let kinds = [TokenKind::MagicLink, TokenKind::Otp];
            for kind in kinds {
                if let Some(id) = passwordless::pending_attachment(tx, kind, user_id, email, now)? {
                    return Ok((id, true));
                }
            }
            Ok((ids::new_id("email"), true))
        }
    }
}

/// Authenticating a token for an email: inserts a pending attachment or
/// marks the stored address verified. Returns the address, and whether the
/// proof reset the user's sessions (see `passwordless::verify_email_by_proof`).
/// Fails with `gone` when the address left the user since the token was sent.
pub fn confirm_email(
    tx: &rusqlite::Connection,
    user_id: &str,
    email_id: &str,
    attach: Option<&str>,
    now: i64,
    gone: impl FnOnce() -> ApiError,
) -> ApiResult<(String, bool)> {
    match (users::get_email(tx, email_id)?, attach) {
        (Some(row), _) if row.user_id == user_id => {
            let reset = passwordless::verify_email_by_proof(tx, &row, now)?;
            Ok((row.email, reset))
        }
        (None, Some(address)) => {
            passwordless::insert_email_with_id(tx, email_id, user_id, address, now)?;
            Ok((address.to_string(), false))
        }
        _ => Err(gone()),
    }
}

// ---- authenticate ----------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct AuthenticateResponse {
    pub user_id: String,
    pub method_id: String,
    pub user: User,
    pub reset_sessions: bool,
    #[serde(flatten)]
    pub session: SessionFields,
}

impl Reply for AuthenticateResponse {
    fn changed_user(&self) -> Option<&User> {
        Some(&self.user)
    }
}

/// Why a link token was refused: unknown → 404 `magic_link_not_found`; used
/// or expired → 401 `unable_to_auth_magic_link`. `what` names the link in
/// the message ("magic link", "password reset link": reset links are email
/// magic links in the protocol's vocabulary).
pub fn link_rejection(what: &str, rejection: Rejection) -> ApiError {
    match rejection {
        Rejection::NotFound => ApiError::new(
            ErrorType::MagicLinkNotFound,
            format!("No {what} has this token."),
        ),
        Rejection::Expired => ApiError::new(
            ErrorType::UnableToAuthMagicLink,
            format!("This {what} has expired; request a new one."),
        ),
        Rejection::AlreadyUsed | Rejection::TooManyAttempts => ApiError::new(
            ErrorType::UnableToAuthMagicLink,
            format!("This {what} was already used; request a new one."),
        ),
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::magic_links::LINK_MINUTES;

    #[test]
    fn query_parameters_go_before_the_fragment() {
        let pairs = [("stytch_token_type", "magic_links"), ("token", "abc")];
        assert_eq!(
            with_query("http://localhost:5173/auth", &pairs),
            "http://localhost:5173/auth?stytch_token_type=magic_links&token=abc"
        );
        assert_eq!(
            with_query("http://localhost:5173/auth?next=%2Fhome#top", &pairs),
            "http://localhost:5173/auth?next=%2Fhome&stytch_token_type=magic_links&token=abc#top"
        );
        assert_eq!(
            with_query("http://x.test/?", &[("error", "access denied & gone")]),
            "http://x.test/?error=access%20denied%20%26%20gone"
        );
    }

    #[test]
    fn minutes_are_range_checked() {
        assert_eq!(minutes_in("f", None, LINK_MINUTES, 60).unwrap(), 60);
        assert_eq!(minutes_in("f", Some(5), LINK_MINUTES, 60).unwrap(), 5);
        let err = minutes_in("login_expiration_minutes", Some(4), LINK_MINUTES, 60).unwrap_err();
        assert!(err.message.contains("`login_expiration_minutes`"));
        assert!(minutes_in("f", Some(10_081), LINK_MINUTES, 60).is_err());
    }

    #[test]
    fn challenges_are_required_only_when_asked() {
        assert_eq!(code_challenge(None, false, "x").unwrap(), None);
        assert_eq!(
            code_challenge(Some(String::new()), false, "x").unwrap(),
            None
        );
        assert!(code_challenge(None, true, "pkce_required_for_oauth")
            .unwrap_err()
            .message
            .contains("code_challenge"));
        assert!(code_challenge(Some("short".into()), false, "x").is_err());
        let good = pkce::challenge_for("v");
        assert_eq!(
            code_challenge(Some(good.clone()), true, "x").unwrap(),
            Some(good)
        );
    }
}

//! TOTP (authenticator apps): create, authenticate, recovery codes, recover.
//!
//! One usable instance per user: a verified one, or the newest unverified one
//! still within its `expiration_minutes`. Codes are RFC 6238 (`auth::totp`);
//! a code's time step is accepted once; wrong codes and recovery codes count
//! towards a lockout of the instance.

use axum::http::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    api::{sessions::SessionFields, sign_in::SignIn, users::check_user_id},
    auth::totp,
    error::{ApiError, ApiResult, ErrorType},
    http::{Api, Caller, Reply},
    ids,
    model::{AuthenticationFactor, User},
    state::AppState,
    store::{
        totps::{self as store, RecoveryCodeRow, TotpRow},
        users,
    },
};

pub fn mount(api: Api) -> Api {
    api.both(Method::POST, "/totps", create)
        .both(Method::POST, "/totps/authenticate", authenticate)
        .both(Method::POST, "/totps/recovery_codes", recovery_codes)
        .both(Method::POST, "/totps/recover", recover)
}

/// `expiration_minutes`: the range Stytch documents, and its default (the
/// API reference's 1440; one SDK page says 60).
const EXPIRATION_MINUTES: std::ops::RangeInclusive<i64> = 5..=1440;
const DEFAULT_EXPIRATION_MINUTES: i64 = 1440;

/// Wrong codes (TOTP or recovery) in a row before the instance locks, and for how long.
pub const MAX_FAILED_ATTEMPTS: i64 = 5;
pub const LOCKOUT_SECS: i64 = 15 * 60;

/// The user a call acts for: the session's on `/sdk/v1`, `user_id` on `/v1`.
fn subject(caller: &Caller, user_id: Option<String>) -> ApiResult<String> {
    if caller.is_sdk() {
        return Ok(caller.require_session()?.row.user_id.clone());
    }
    let user_id = user_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::bad_request("`user_id` is required."))?;
    check_user_id(&user_id)?;
    Ok(user_id)
}

fn usable(row: &TotpRow, now: i64) -> bool {
    row.verified || row.expires_at.is_some_and(|at| at > now)
}

/// The instance a code is checked against: 404 `totp_not_found` when the
/// user has none, 401 `expired_totp` when the only one expired unverified.
fn usable_totp(tx: &rusqlite::Connection, user_id: &str, now: i64) -> ApiResult<TotpRow> {
    let rows = store::rows_for_user(tx, user_id)?;
    if let Some(row) = rows.iter().find(|row| usable(row, now)) {
        return Ok(row.clone());
    }
    if rows.is_empty() {
        Err(ApiError::new(
            ErrorType::TotpNotFound,
            "This user has no TOTP; create one first.",
        ))
    } else {
        Err(ApiError::new(
            ErrorType::ExpiredTotp,
            "This user's TOTP was not authenticated within its expiration_minutes and can no longer be used; create a new one.",
        ))
    }
}

/// Ten fresh recovery codes: the codes to show, the rows to store.
fn fresh_recovery_codes() -> (Vec<String>, Vec<RecoveryCodeRow>) {
    (0..totp::RECOVERY_CODES)
        .map(|_| {
            let code = totp::new_recovery_code();
            let (salt, code_hash) = totp::hash_recovery_code(&code);
            let row = RecoveryCodeRow {
                totp_recovery_code_id: ids::new_id("totp-recovery-code"),
                salt,
                code_hash,
            };
            (code, row)
        })
        .unzip()
}

// ---- create ------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct CreateRequest {
    user_id: Option<String>,
    expiration_minutes: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct CreateResponse {
    pub totp_id: String,
    /// Base32; returned here only, never again.
    pub secret: String,
    /// `data:image/png;base64,…` of the `otpauth://` URI.
    pub qr_code: String,
    pub recovery_codes: Vec<String>,
    pub user_id: String,
    pub user: User,
}

impl Reply for CreateResponse {
    fn changed_user(&self) -> Option<&User> {
        Some(&self.user)
    }
}

async fn create(state: AppState, caller: Caller, req: CreateRequest) -> ApiResult<CreateResponse> {
    let user_id = subject(&caller, req.user_id)?;
    let minutes = match req.expiration_minutes {
        None => DEFAULT_EXPIRATION_MINUTES,
        Some(m) if EXPIRATION_MINUTES.contains(&m) => m,
        Some(m) => {
            return Err(ApiError::bad_request(format!(
                "`expiration_minutes` must be between {} and {} (got {m}).",
                EXPIRATION_MINUTES.start(),
                EXPIRATION_MINUTES.end()
            )))
        }
    };
    let secret = totp::new_secret();
    let totp_id = ids::new_id("totp");
    let sealed = state.field_key.seal(&totp_id, &secret)?;
    let (codes, code_rows) = fresh_recovery_codes();
    let now = state.now();
    let row = TotpRow {
        totp_id: totp_id.clone(),
        user_id: user_id.clone(),
        secret_sealed: sealed,
        verified: false,
        expires_at: Some(now + minutes * 60),
        last_used_step: None,
        failed_attempts: 0,
        locked_until: None,
    };
    let user = state
        .db
        .tx(move |tx| {
            users::require_user_exists(tx, &row.user_id)?;
            for existing in store::rows_for_user(tx, &row.user_id)? {
                if existing.verified {
                    return Err(ApiError::new(
                        ErrorType::ActiveTotpExists,
                        "This user already has an active TOTP; delete it before creating another.",
                    ));
                }
                // An instance never authenticated is replaced: the user is
                // scanning a new QR code.
                store::delete(tx, &existing.totp_id)?;
            }
            store::insert(tx, &row, now)?;
            store::replace_recovery_codes(tx, &row.totp_id, &code_rows, now)?;
            users::require_user(tx, &row.user_id)
        })
        .await?;
    let account = user
        .emails
        .first()
        .map(|e| e.email.clone())
        .or_else(|| user.phone_numbers.first().map(|p| p.phone_number.clone()))
        .unwrap_or_else(|| user.user_id.clone());
    let generator = totp::generator(&secret, &state.project.settings.project_name, &account)?;
    let uri = totp::otpauth_uri(&generator)?;
    let qr_code = tokio::task::spawn_blocking(move || totp::qr_png_data_url(&uri))
        .await
        .map_err(|e| ApiError::internal(format_args!("QR task failed: {e}")))??;
    Ok(CreateResponse {
        totp_id,
        secret: totp::secret_base32(&secret),
        qr_code,
        recovery_codes: codes,
        user_id,
        user,
    })
}

// ---- authenticate and recover ----------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct AuthenticateRequest {
    user_id: Option<String>,
    totp_code: String,
    session_duration_minutes: Option<i64>,
    session_token: Option<String>,
    session_jwt: Option<String>,
    session_custom_claims: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct AuthenticateResponse {
    pub totp_id: String,
    pub user_id: String,
    pub user: User,
    #[serde(flatten)]
    pub session: SessionFields,
}

impl Reply for AuthenticateResponse {
    fn changed_user(&self) -> Option<&User> {
        Some(&self.user)
    }
}

/// What checking a code came to. Decided inside the transaction, which
/// commits even for a wrong code so the attempt is counted.
enum Outcome {
    SignedIn {
        user: Box<User>,
        totp_id: String,
        factor: AuthenticationFactor,
    },
    Wrong {
        attempts_left: i64,
    },
    Replayed,
    Locked {
        seconds: i64,
    },
}

/// Counts a wrong attempt, locking the instance at the limit.
fn count_failure(row: &mut TotpRow, now: i64) -> Outcome {
    row.failed_attempts += 1;
    if row.failed_attempts >= MAX_FAILED_ATTEMPTS {
        row.failed_attempts = 0;
        row.locked_until = Some(now + LOCKOUT_SECS);
        Outcome::Wrong { attempts_left: 0 }
    } else {
        Outcome::Wrong {
            attempts_left: MAX_FAILED_ATTEMPTS - row.failed_attempts,
        }
    }
}

fn locked(row: &TotpRow, now: i64) -> Option<Outcome> {
    row.locked_until
        .filter(|until| *until > now)
        .map(|until| Outcome::Locked {
            seconds: until - now,
        })
}

/// Finishes a TOTP or recovery-code sign-in: the session for a success, the
/// refusal (`kind`, naming the `wrong` thing) otherwise.
async fn respond(
    state: &AppState,
    caller: &Caller,
    sign_in: SignIn,
    outcome: Outcome,
    kind: ErrorType,
    wrong: &str,
) -> ApiResult<AuthenticateResponse> {
    let Outcome::SignedIn {
        user,
        totp_id,
        factor,
    } = outcome
    else {
        return Err(refusal(outcome, kind, wrong));
    };
    let session = sign_in.finish(state, caller, &user.user_id, factor).await?;
    Ok(AuthenticateResponse {
        totp_id,
        user_id: user.user_id.clone(),
        user: *user,
        session,
    })
}

fn refusal(outcome: Outcome, kind: ErrorType, wrong: &str) -> ApiError {
    match outcome {
        Outcome::Wrong { attempts_left: 0 } => ApiError::new(
            kind,
            format!(
                "Wrong {wrong}. Too many wrong attempts: this TOTP is locked for {} minutes.",
                LOCKOUT_SECS / 60
            ),
        ),
        Outcome::Wrong { attempts_left } => ApiError::new(
            kind,
            format!("Wrong {wrong}; {attempts_left} attempt(s) left before this TOTP locks."),
        ),
        Outcome::Replayed => ApiError::new(
            ErrorType::TotpCodeAlreadyAuthenticated,
            "This code was already used; wait for the next one from the authenticator app.",
        ),
        Outcome::Locked { seconds } => ApiError::new(
            ErrorType::TooManyRequests,
            format!(
                "Too many wrong codes for this TOTP; try again in {} minute(s).",
                (seconds + 59) / 60
            ),
        ),
        Outcome::SignedIn { .. } => ApiError::internal("a successful outcome treated as a refusal"),
    }
}

async fn authenticate(
    state: AppState,
    caller: Caller,
    req: AuthenticateRequest,
) -> ApiResult<AuthenticateResponse> {
    let user_id = subject(&caller, req.user_id)?;
    let code = req.totp_code.trim().to_string();
    if !totp::looks_like_code(&code) {
        return Err(if totp::normalize_recovery_code(&code).is_some() {
            ApiError::new(
                ErrorType::RecoveryCodeUsedAsTotpCode,
                "This is a recovery code; use totps/recover for it.",
            )
        } else {
            ApiError::new(
                ErrorType::InvalidTotpCode,
                "`totp_code` must be the 6 digits the authenticator app shows.",
            )
        });
    }
    let sign_in = SignIn::prepare(
        &state,
        &caller,
        req.session_duration_minutes,
        req.session_token.as_deref(),
        req.session_jwt.as_deref(),
        req.session_custom_claims,
    )
    .await?;
    let now = state.now();
    let key = state.field_key.clone();
    let outcome = state
        .db
        .tx(move |tx| {
            let mut row = usable_totp(tx, &user_id, now)?;
            if let Some(outcome) = locked(&row, now) {
                return Ok(outcome);
            }
            let secret = key.open(&row.totp_id, &row.secret_sealed)?;
            let generator = totp::generator(&secret, "latchkey", "totp")?;
            let outcome = match totp::matching_step(&generator, &code, now) {
                None => count_failure(&mut row, now),
                Some(step) if row.last_used_step.is_some_and(|last| step <= last) => {
                    return Ok(Outcome::Replayed)
                }
                Some(step) => {
                    row.last_used_step = Some(step);
                    row.failed_attempts = 0;
                    row.locked_until = None;
                    row.verified = true;
                    row.expires_at = None;
                    store::save_state(tx, &row)?;
                    return Ok(Outcome::SignedIn {
                        user: Box::new(users::require_user(tx, &row.user_id)?),
                        totp_id: row.totp_id.clone(),
                        factor: AuthenticationFactor::totp(&row.totp_id, now),
                    });
                }
            };
            store::save_state(tx, &row)?;
            Ok(outcome)
        })
        .await?;
    respond(
        &state,
        &caller,
        sign_in,
        outcome,
        ErrorType::UnableToAuthenticateTotp,
        "TOTP code",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct RecoverRequest {
    user_id: Option<String>,
    recovery_code: String,
    session_duration_minutes: Option<i64>,
    session_token: Option<String>,
    session_jwt: Option<String>,
    session_custom_claims: Option<Value>,
}

async fn recover(
    state: AppState,
    caller: Caller,
    req: RecoverRequest,
) -> ApiResult<AuthenticateResponse> {
    let user_id = subject(&caller, req.user_id)?;
    let Some(code) = totp::normalize_recovery_code(&req.recovery_code) else {
        return Err(if totp::looks_like_code(req.recovery_code.trim()) {
            ApiError::new(
                ErrorType::TotpCodeUsedAsRecoveryCode,
                "This is a TOTP code; use totps/authenticate for it.",
            )
        } else {
            ApiError::new(
                ErrorType::InvalidRecoveryCode,
                "`recovery_code` must look like xxxx-xxxx-xxxx.",
            )
        });
    };
    let sign_in = SignIn::prepare(
        &state,
        &caller,
        req.session_duration_minutes,
        req.session_token.as_deref(),
        req.session_jwt.as_deref(),
        req.session_custom_claims,
    )
    .await?;
    let now = state.now();
    let outcome = state
        .db
        .tx(move |tx| {
            let mut row = usable_totp(tx, &user_id, now)?;
            if let Some(outcome) = locked(&row, now) {
                return Ok(outcome);
            }
            // Every unused code is compared (no early exit), each in constant time.
            let mut matched = None;
            for candidate in store::unused_recovery_codes(tx, &row.totp_id)? {
                if totp::recovery_code_matches(&code, &candidate.salt, &candidate.code_hash) {
                    matched = Some(candidate.totp_recovery_code_id);
                }
            }
            let outcome = match matched {
                Some(code_id) if store::use_recovery_code(tx, &code_id, now)? => {
                    row.failed_attempts = 0;
                    row.locked_until = None;
                    Outcome::SignedIn {
                        user: Box::new(users::require_user(tx, &row.user_id)?),
                        totp_id: row.totp_id.clone(),
                        factor: AuthenticationFactor::recovery_code(&code_id, now),
                    }
                }
                _ => count_failure(&mut row, now),
            };
            store::save_state(tx, &row)?;
            Ok(outcome)
        })
        .await?;
    respond(
        &state,
        &caller,
        sign_in,
        outcome,
        ErrorType::UnableToAuthenticateRecoveryCode,
        "or already used recovery code",
    )
    .await
}

// ---- recovery codes --------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct RecoveryCodesRequest {
    user_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TotpCodes {
    pub totp_id: String,
    pub verified: bool,
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct RecoveryCodesResponse {
    pub user_id: String,
    pub totps: Vec<TotpCodes>,
}

impl Reply for RecoveryCodesResponse {}

/// Recovery codes are stored only as hashes, so they cannot be shown again:
/// this issues a fresh set of ten for the user's usable TOTP and retires
/// every earlier code (Stytch returns the existing ones; see the docs).
async fn recovery_codes(
    state: AppState,
    caller: Caller,
    req: RecoveryCodesRequest,
) -> ApiResult<RecoveryCodesResponse> {
    let user_id = subject(&caller, req.user_id)?;
    let now = state.now();
    let uid = user_id.clone();
    let totps = state
        .db
        .tx(move |tx| {
            users::require_user_exists(tx, &uid)?;
            let mut out = Vec::new();
            for row in store::rows_for_user(tx, &uid)?
                .into_iter()
                .filter(|row| usable(row, now))
            {
                let (codes, code_rows) = fresh_recovery_codes();
                store::replace_recovery_codes(tx, &row.totp_id, &code_rows, now)?;
                out.push(TotpCodes {
                    totp_id: row.totp_id,
                    verified: row.verified,
                    recovery_codes: codes,
                });
            }
            Ok(out)
        })
        .await?;
    Ok(RecoveryCodesResponse { user_id, totps })
}

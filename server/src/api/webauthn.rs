//! WebAuthn and passkeys: register start/finish, authenticate start/finish (primary and secondary), rename, and the backend's credential list.
//!
//! Verification is `webauthn-rs-core`'s (see `auth::webauthn`); this module
//! keeps the ceremonies (single-use challenges, bound to their user and
//! domain), the registrations, and the session rules.

use axum::http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use webauthn_rs_core::{
    error::WebauthnError,
    proto::{
        AttestationConveyancePreference, AuthenticationState, AuthenticatorAttachment,
        COSEAlgorithm, Credential, CredentialID, PublicKeyCredential, RegisterPublicKeyCredential,
        RegistrationState, UserVerificationPolicy,
    },
};

use crate::{
    api::{sessions::SessionFields, sign_in::SignIn, users::check_user_id},
    auth::webauthn as rp,
    error::{ApiError, ApiResult, ErrorType},
    http::{extract::MAX_USER_AGENT_CHARS, Api, Caller, Reply},
    model::{AuthenticationFactor, User, WebAuthnRegistration},
    state::AppState,
    store::{
        users,
        webauthn::{self as store, Ceremony, ChallengeRow, RegistrationRow},
    },
};

pub fn mount(api: Api) -> Api {
    api.both(Method::POST, "/webauthn/register/start", register_start)
        .both(Method::POST, "/webauthn/register", register)
        .sdk(
            Method::POST,
            "/webauthn/authenticate/start/primary",
            authenticate_start_primary,
        )
        .sdk(
            Method::POST,
            "/webauthn/authenticate/start/secondary",
            authenticate_start_secondary,
        )
        .backend(
            Method::POST,
            "/webauthn/authenticate/start",
            authenticate_start_backend,
        )
        .both(Method::POST, "/webauthn/authenticate", authenticate)
        .both_at(
            Method::PUT,
            "/webauthn/update/{webauthn_registration_id}",
            "/webauthn/{webauthn_registration_id}",
            update,
        )
        .backend(
            Method::GET,
            "/webauthn/credentials/{user_id}/{domain}",
            list_credentials,
        )
}

/// Algorithms offered at registration: ES256 and RS256, the pair Chromium
/// chooses from, both verified by the library.
const ALGORITHMS: [COSEAlgorithm; 2] = [COSEAlgorithm::ES256, COSEAlgorithm::RS256];

/// Longest `override_id` (the WebAuthn user handle is at most 64 bytes),
/// and longest name a registration or the user entity may carry.
const MAX_USER_HANDLE_BYTES: usize = 64;
const MAX_NAME_CHARS: usize = 256;

/// The user a call acts for: the session's on `/sdk/v1` (the bodies carry
/// no user), the body's `user_id` on `/v1`.
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

/// What the user entity of the creation options shows: the first email,
/// else the first phone number, else the user id.
fn account_label(user: &User) -> String {
    user.emails
        .first()
        .map(|e| e.email.clone())
        .or_else(|| user.phone_numbers.first().map(|p| p.phone_number.clone()))
        .unwrap_or_else(|| user.user_id.clone())
}

fn library_error(kind: ErrorType, what: &str, err: WebauthnError) -> ApiError {
    match err {
        WebauthnError::CredentialPossibleCompromise => ApiError::new(
            kind,
            "The authenticator's signature counter did not increase: this may be a cloned \
             authenticator, so the assertion is refused (the registration is kept).",
        ),
        other => ApiError::new(kind, format!("The {what} did not verify: {other}.")),
    }
}

fn text_limit(field: &str, value: Option<String>, max_chars: usize) -> ApiResult<Option<String>> {
    match value.filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max_chars => Err(ApiError::bad_request(format!(
            "`{field}` is longer than {max_chars} characters."
        ))),
        other => Ok(other),
    }
}

// ---- registration --------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct RegisterStartRequest {
    user_id: Option<String>,
    domain: String,
    user_agent: Option<String>,
    authenticator_type: Option<String>,
    return_passkey_credential_options: Option<bool>,
    override_id: Option<String>,
    override_name: Option<String>,
    override_display_name: Option<String>,
    use_base64_url_encoding: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct RegisterStartResponse {
    pub user_id: String,
    /// JSON text, as Stytch sends it (the SDK parses it).
    pub public_key_credential_creation_options: String,
}

impl Reply for RegisterStartResponse {}

const KEY_USER_AGENT: &str = "user_agent";
const KEY_AUTHENTICATOR_TYPE: &str = "authenticator_type";
const KEY_USER_HANDLE: &str = "user_handle";
const KEY_PASSKEY: &str = "passkey";

async fn register_start(
    state: AppState,
    caller: Caller,
    req: RegisterStartRequest,
) -> ApiResult<RegisterStartResponse> {
    let user_id = subject(&caller, req.user_id)?;
    let domain = rp::check_domain(&state.config, &req.domain)?;
    let (attachment, authenticator_type) = match req.authenticator_type.as_deref() {
        None | Some("") => (None, ""),
        Some("platform") => (Some(AuthenticatorAttachment::Platform), "platform"),
        Some("cross-platform") => (
            Some(AuthenticatorAttachment::CrossPlatform),
            "cross-platform",
        ),
        Some(other) => {
            return Err(ApiError::new(
                ErrorType::InvalidAuthenticatorType,
                format!(
                "`authenticator_type` must be \"platform\" or \"cross-platform\" (got {other:?})."
            ),
            ))
        }
    };
    let passkey = req.return_passkey_credential_options.unwrap_or(false);
    let base64url = req.use_base64_url_encoding.unwrap_or(false);
    // The browser's own user agent on the frontend; a backend names its
    // end user's, or nothing.
    let user_agent: String = req
        .user_agent
        .filter(|ua| !ua.is_empty())
        .unwrap_or_else(|| {
            if caller.is_sdk() {
                caller.client.user_agent.clone()
            } else {
                String::new()
            }
        })
        .chars()
        .take(MAX_USER_AGENT_CHARS)
        .collect();
    let override_id = req.override_id.filter(|id| !id.is_empty());
    if override_id
        .as_ref()
        .is_some_and(|id| id.len() > MAX_USER_HANDLE_BYTES)
    {
        return Err(ApiError::bad_request(format!(
            "`override_id` may be at most {MAX_USER_HANDLE_BYTES} bytes (it becomes the WebAuthn user handle)."
        )));
    }
    let override_name = text_limit("override_name", req.override_name, MAX_NAME_CHARS)?;
    let override_display_name = text_limit(
        "override_display_name",
        req.override_display_name,
        MAX_NAME_CHARS,
    )?;

    let (uid, dom) = (user_id.clone(), domain.clone());
    let (user, existing) = state
        .db
        .call(move |c| {
            let user = users::require_user(c, &uid)?;
            let existing = store::rows_for_user(c, &uid, Some(&dom))?;
            Ok((user, existing))
        })
        .await?;
    let name = override_name.unwrap_or_else(|| account_label(&user));
    let display_name = override_display_name.unwrap_or_else(|| {
        let full = [&user.name.first_name, &user.name.last_name]
            .iter()
            .filter(|part| !part.is_empty())
            .map(|part| part.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        if full.is_empty() {
            name.clone()
        } else {
            full
        }
    });
    // The user handle comes back as `userHandle` on every passkey assertion;
    // by default it is the user_id itself.
    let user_handle = override_id.unwrap_or_else(|| user_id.clone()).into_bytes();
    let exclude: Vec<CredentialID> = existing
        .iter()
        .filter_map(|row| rp::decode_base64(&row.credential_id))
        .map(CredentialID::from)
        .collect();

    let core = rp::relying_party(&state.project.settings.project_name, &domain, Vec::new());
    let builder = core
        .new_challenge_register_builder(&user_handle, &name, &display_name)
        .map_err(|e| ApiError::bad_request(format!("Cannot build the creation options: {e}.")))?
        .credential_algorithms(ALGORITHMS.to_vec())
        .attestation(AttestationConveyancePreference::None)
        .user_verification_policy(UserVerificationPolicy::Preferred)
        .require_resident_key(passkey)
        .authenticator_attachment(attachment)
        .exclude_credentials(Some(exclude));
    let (challenge, registration_state) = core
        .generate_challenge_register(builder)
        .map_err(|e| ApiError::internal(format_args!("generating creation options: {e}")))?;
    let challenge_hash = rp::challenge_hash(challenge.public_key.challenge.as_ref());
    let options = rp::options_json(
        serde_json::to_value(&challenge.public_key)?,
        base64url,
        rp::CREATION_BINARY_FIELDS,
    );

    let mut extra = Map::new();
    extra.insert(KEY_USER_AGENT.into(), user_agent.into());
    extra.insert(KEY_AUTHENTICATOR_TYPE.into(), authenticator_type.into());
    extra.insert(KEY_USER_HANDLE.into(), rp::base64url(&user_handle).into());
    extra.insert(KEY_PASSKEY.into(), passkey.into());
    let pending = ChallengeRow {
        user_id: Some(user_id.clone()),
        domain,
        state: serde_json::to_string(&registration_state)?,
        extra,
    };
    keep_challenge(&state, challenge_hash, Ceremony::Register, pending).await?;
    Ok(RegisterStartResponse {
        user_id,
        public_key_credential_creation_options: options,
    })
}

/// Keeps a ceremony's state under its challenge until it is answered or
/// expires (expired ones are pruned on the way).
async fn keep_challenge(
    state: &AppState,
    challenge_hash: String,
    ceremony: Ceremony,
    pending: ChallengeRow,
) -> ApiResult<()> {
    let now = state.now();
    state
        .db
        .tx(move |tx| {
            store::prune_challenges(tx, now)?;
            store::insert_challenge(
                tx,
                &challenge_hash,
                ceremony,
                &pending,
                now + rp::CEREMONY_SECS,
            )
        })
        .await
}

#[derive(Debug, Deserialize)]
pub struct RegisterRequest {
    user_id: Option<String>,
    public_key_credential: String,
    session_duration_minutes: Option<i64>,
    session_token: Option<String>,
    session_jwt: Option<String>,
    session_custom_claims: Option<Value>,
}

/// Register and authenticate answer with the same shape.
#[derive(Debug, Serialize)]
pub struct AuthenticateResponse {
    pub user_id: String,
    pub webauthn_registration_id: String,
    pub user: User,
    #[serde(flatten)]
    pub session: SessionFields,
}

impl Reply for AuthenticateResponse {
    fn changed_user(&self) -> Option<&User> {
        Some(&self.user)
    }
}

fn extra_str(extra: &Map<String, Value>, key: &str) -> String {
    extra
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

async fn register(
    state: AppState,
    caller: Caller,
    req: RegisterRequest,
) -> ApiResult<AuthenticateResponse> {
    let user_id = subject(&caller, req.user_id)?;
    let credential: RegisterPublicKeyCredential = rp::parse_credential(&req.public_key_credential)?;
    let client = rp::client_data(credential.response.client_data_json.as_ref())?;
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
    let challenge_hash = rp::challenge_hash(&client.challenge);
    let owner = user_id.clone();
    // Taken (deleted) in its own transaction, so a credential that then
    // fails verification has still used the challenge up. A challenge of
    // another user is left alone: the error rolls the deletion back.
    let pending = state
        .db
        .tx(
            move |tx| match store::take_challenge(tx, &challenge_hash, Ceremony::Register, now)? {
                Some(row) if row.user_id.as_deref() == Some(owner.as_str()) => Ok(row),
                _ => Err(ApiError::new(
                    ErrorType::NoPendingWebauthnRegistration,
                    "No registration of this user is waiting for this credential: its challenge \
                     was never issued, was already used, or expired. Call register/start again.",
                )),
            },
        )
        .await?;
    let origin = rp::allowed_origin(&state.config, &pending.domain, &client.origin).ok_or_else(|| {
        ApiError::new(
            ErrorType::UnableToRegisterWebauthnRegistration,
            format!(
                "The credential was created by {:?}, which is not an authorized origin for the domain {}.",
                client.origin, pending.domain
            ),
        )
    })?;
    // The library refuses excluded credentials too, under a misleading
    // error name; this names the case plainly.
    let claimed_id = rp::base64url(credential.raw_id.as_ref());
    if state
        .db
        .call(move |c| store::find_by_credential_id(c, &claimed_id))
        .await?
        .is_some()
    {
        return Err(ApiError::new(
            ErrorType::DuplicateWebauthnRegistration,
            "This authenticator's credential is already registered.",
        ));
    }
    let registration_state: RegistrationState = serde_json::from_str(&pending.state)?;
    let core = rp::relying_party(
        &state.project.settings.project_name,
        &pending.domain,
        vec![origin],
    );
    let verified = core
        .register_credential(&credential, &registration_state, None)
        .map_err(|e| {
            library_error(
                ErrorType::UnableToRegisterWebauthnRegistration,
                "registration",
                e,
            )
        })?;

    let passkey = pending
        .extra
        .get(KEY_PASSKEY)
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut row = RegistrationRow {
        webauthn_registration_id: store::new_registration_id(),
        user_id: user_id.clone(),
        credential_id: rp::base64url(verified.cred_id.as_ref()),
        user_handle: extra_str(&pending.extra, KEY_USER_HANDLE),
        domain: pending.domain.clone(),
        user_agent: extra_str(&pending.extra, KEY_USER_AGENT),
        authenticator_type: extra_str(&pending.extra, KEY_AUTHENTICATOR_TYPE),
        name: String::new(),
        credential: serde_json::to_string(&verified)?,
        sign_count: i64::from(verified.counter),
    };
    let to_insert = row.clone();
    let (user, name) = state
        .db
        .tx(move |tx| {
            let mut to_insert = to_insert;
            // A generated name the user can change with update: "Passkey 2".
            let ordinal = store::count_for_user(tx, &to_insert.user_id)? + 1;
            to_insert.name = format!(
                "{} {ordinal}",
                if passkey { "Passkey" } else { "Security key" }
            );
            store::insert(tx, &to_insert, now)?;
            Ok((users::require_user(tx, &to_insert.user_id)?, to_insert.name))
        })
        .await?;
    row.name = name;
    let factor = AuthenticationFactor::webauthn(
        &row.webauthn_registration_id,
        &row.domain,
        &row.user_agent,
        now,
    );
    let session = sign_in.finish(&state, &caller, &user_id, factor).await?;
    Ok(AuthenticateResponse {
        user_id,
        webauthn_registration_id: row.webauthn_registration_id,
        user,
        session,
    })
}

// ---- authentication ------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct AuthenticateStartRequest {
    user_id: Option<String>,
    domain: String,
    return_passkey_credential_options: Option<bool>,
    use_base64_url_encoding: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct AuthenticateStartResponse {
    /// `""` for a passkey sign-in, where no user is known yet.
    pub user_id: String,
    pub public_key_credential_request_options: String,
}

impl Reply for AuthenticateStartResponse {}

/// Frontend, signed out: a passkey sign-in (any discoverable credential of the domain).
async fn authenticate_start_primary(
    state: AppState,
    caller: Caller,
    req: AuthenticateStartRequest,
) -> ApiResult<AuthenticateStartResponse> {
    start_authentication(state, caller, req, None).await
}

/// Frontend, signed in: the session user's credentials only.
async fn authenticate_start_secondary(
    state: AppState,
    caller: Caller,
    req: AuthenticateStartRequest,
) -> ApiResult<AuthenticateStartResponse> {
    let user_id = caller.require_session()?.row.user_id.clone();
    start_authentication(state, caller, req, Some(user_id)).await
}

/// Backend: the given user's credentials, or a passkey sign-in without `user_id`.
async fn authenticate_start_backend(
    state: AppState,
    caller: Caller,
    mut req: AuthenticateStartRequest,
) -> ApiResult<AuthenticateStartResponse> {
    let user_id = req.user_id.take().filter(|id| !id.is_empty());
    if let Some(id) = &user_id {
        check_user_id(id)?;
    }
    start_authentication(state, caller, req, user_id).await
}

async fn start_authentication(
    state: AppState,
    _caller: Caller,
    req: AuthenticateStartRequest,
    user_id: Option<String>,
) -> ApiResult<AuthenticateStartResponse> {
    let domain = rp::check_domain(&state.config, &req.domain)?;
    let base64url = req.use_base64_url_encoding.unwrap_or(false);
    let passkey = req.return_passkey_credential_options.unwrap_or(false);
    let (uid, dom) = (user_id.clone(), domain.clone());
    let rows = state
        .db
        .call(move |c| match &uid {
            Some(uid) => {
                users::require_user_exists(c, uid)?;
                store::rows_for_user(c, uid, Some(&dom))
            }
            None => Ok(Vec::new()),
        })
        .await?;
    if user_id.is_some() && rows.is_empty() {
        return Err(ApiError::new(
            ErrorType::NoActiveWebauthnRegistrations,
            format!("This user has no WebAuthn registration for the domain {domain}."),
        ));
    }
    let credentials = rows
        .iter()
        .map(|row| serde_json::from_str::<Credential>(&row.credential))
        .collect::<Result<Vec<_>, _>>()?;
    let core = rp::relying_party(&state.project.settings.project_name, &domain, Vec::new());
    let builder = core
        .new_challenge_authenticate_builder(credentials, Some(UserVerificationPolicy::Preferred))
        .map_err(|e| ApiError::internal(format_args!("building request options: {e}")))?;
    let (challenge, authentication_state) = core
        .generate_challenge_authenticate(builder)
        .map_err(|e| ApiError::internal(format_args!("generating request options: {e}")))?;
    let challenge_hash = rp::challenge_hash(challenge.public_key.challenge.as_ref());
    let options = rp::options_json(
        serde_json::to_value(&challenge.public_key)?,
        base64url,
        rp::REQUEST_BINARY_FIELDS,
    );
    let mut extra = Map::new();
    extra.insert(KEY_PASSKEY.into(), passkey.into());
    let pending = ChallengeRow {
        user_id: user_id.clone(),
        domain,
        state: serde_json::to_string(&authentication_state)?,
        extra,
    };
    keep_challenge(&state, challenge_hash, Ceremony::Authenticate, pending).await?;
    Ok(AuthenticateStartResponse {
        user_id: user_id.unwrap_or_default(),
        public_key_credential_request_options: options,
    })
}

#[derive(Debug, Deserialize)]
pub struct AuthenticateRequest {
    public_key_credential: String,
    session_duration_minutes: Option<i64>,
    session_token: Option<String>,
    session_jwt: Option<String>,
    session_custom_claims: Option<Value>,
}

fn unable(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorType::UnableToAuthWebauthnRegistration, message)
}

fn unknown_credential() -> ApiError {
    ApiError::new(
        ErrorType::WebauthnRegistrationNotFound,
        "No WebAuthn registration of this ceremony's user and domain has this credential id.",
    )
}

async fn authenticate(
    state: AppState,
    caller: Caller,
    req: AuthenticateRequest,
) -> ApiResult<AuthenticateResponse> {
    let credential: PublicKeyCredential = rp::parse_credential(&req.public_key_credential)?;
    let client = rp::client_data(credential.response.client_data_json.as_ref())?;
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
    let challenge_hash = rp::challenge_hash(&client.challenge);
    let pending = state
        .db
        .tx(move |tx| store::take_challenge(tx, &challenge_hash, Ceremony::Authenticate, now))
        .await?
        .ok_or_else(|| {
            unable(
                "No authentication is waiting for this credential: its challenge was never \
                 issued, was already used, or expired. Call authenticate/start again.",
            )
        })?;
    let credential_id = rp::base64url(credential.raw_id.as_ref());
    let registration = state
        .db
        .call(move |c| store::find_by_credential_id(c, &credential_id))
        .await?
        .filter(|row| row.domain == pending.domain)
        .filter(|row| {
            pending
                .user_id
                .as_ref()
                .is_none_or(|expected| *expected == row.user_id)
        })
        .ok_or_else(unknown_credential)?;
    // A discoverable credential names its user; it must be the registration's.
    if let Some(handle) = &credential.response.user_handle {
        if rp::base64url(handle.as_ref()) != registration.user_handle {
            return Err(unable(
                "The assertion's userHandle is not the user handle this credential was registered with.",
            ));
        }
    }
    let origin =
        rp::allowed_origin(&state.config, &pending.domain, &client.origin).ok_or_else(|| {
            unable(format!(
            "The assertion was made by {:?}, which is not an authorized origin for the domain {}.",
            client.origin, pending.domain
        ))
        })?;
    let mut authentication_state: AuthenticationState = serde_json::from_str(&pending.state)?;
    let mut stored: Credential = serde_json::from_str(&registration.credential)?;
    authentication_state.set_allowed_credentials(vec![stored.clone()]);
    let core = rp::relying_party(
        &state.project.settings.project_name,
        &pending.domain,
        vec![origin],
    );
    let result = core
        .authenticate_credential(&credential, &authentication_state)
        .map_err(|e| library_error(ErrorType::UnableToAuthWebauthnRegistration, "assertion", e))?;
    stored.counter = result.counter();
    stored.backup_state = result.backup_state();
    stored.backup_eligible = result.backup_eligible();
    let updated = serde_json::to_string(&stored)?;
    let new_count = i64::from(result.counter());
    let registration_id = registration.webauthn_registration_id.clone();
    let owner = registration.user_id.clone();
    let user = state
        .db
        .tx(move |tx| {
            // Re-read: a concurrent assertion may have advanced the counter
            // since it was verified above; the same clone rule applies.
            let current = store::get(tx, &registration_id)?.ok_or_else(unknown_credential)?;
            if (new_count > 0 || current.sign_count > 0) && new_count <= current.sign_count {
                return Err(library_error(
                    ErrorType::UnableToAuthWebauthnRegistration,
                    "assertion",
                    WebauthnError::CredentialPossibleCompromise,
                ));
            }
            store::record_use(tx, &registration_id, &updated, new_count, now)?;
            users::require_user(tx, &owner)
        })
        .await?;
    let factor = AuthenticationFactor::webauthn(
        &registration.webauthn_registration_id,
        &registration.domain,
        &registration.user_agent,
        now,
    );
    let session = sign_in
        .finish(&state, &caller, &registration.user_id, factor)
        .await?;
    Ok(AuthenticateResponse {
        user_id: registration.user_id,
        webauthn_registration_id: registration.webauthn_registration_id,
        user,
        session,
    })
}

// ---- update and list ---------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct UpdateRequest {
    webauthn_registration_id: String,
    name: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UpdateResponse {
    pub webauthn_registration: WebAuthnRegistration,
}

/// The SDK returns the body as is and keeps its cached user (no `__user`).
impl Reply for UpdateResponse {}

async fn update(state: AppState, caller: Caller, req: UpdateRequest) -> ApiResult<UpdateResponse> {
    let owner = if caller.is_sdk() {
        Some(caller.require_session()?.row.user_id.clone())
    } else {
        None
    };
    let name = req.name.unwrap_or_default().trim().to_string();
    if name.is_empty() {
        return Err(ApiError::new(
            ErrorType::EmptyWebauthnRegistrationName,
            "`name` must not be empty.",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::bad_request(format!(
            "`name` is longer than {MAX_NAME_CHARS} characters."
        )));
    }
    let id = req.webauthn_registration_id;
    let registration = state
        .db
        .tx(move |tx| {
            let not_found = || {
                ApiError::new(
                    ErrorType::WebauthnRegistrationNotFound,
                    format!("No WebAuthn registration {id}."),
                )
            };
            let row = store::get(tx, &id)?.ok_or_else(not_found)?;
            // Another user's registration looks exactly like a missing one.
            if owner.as_ref().is_some_and(|owner| *owner != row.user_id) {
                return Err(not_found());
            }
            store::rename(tx, &id, &name)?;
            Ok(store::get(tx, &id)?.ok_or_else(not_found)?.to_wire())
        })
        .await?;
    Ok(UpdateResponse {
        webauthn_registration: registration,
    })
}

#[derive(Debug, Deserialize)]
pub struct ListCredentialsRequest {
    user_id: String,
    domain: String,
}

#[derive(Debug, Serialize)]
pub struct CredentialEntry {
    /// base64url, as the browser's `PublicKeyCredential.id`.
    pub credential_id: String,
    pub webauthn_registration_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// DER SubjectPublicKeyInfo, standard base64.
    pub public_key: String,
}

#[derive(Debug, Serialize)]
pub struct ListCredentialsResponse {
    pub credentials: Vec<CredentialEntry>,
}

impl Reply for ListCredentialsResponse {}

async fn list_credentials(
    state: AppState,
    _caller: Caller,
    req: ListCredentialsRequest,
) -> ApiResult<ListCredentialsResponse> {
    check_user_id(&req.user_id)?;
    let domain = req.domain.trim().to_ascii_lowercase();
    let rows = state
        .db
        .call(move |c| {
            users::require_user_exists(c, &req.user_id)?;
            store::rows_for_user(c, &req.user_id, Some(&domain))
        })
        .await?;
    let credentials = rows
        .into_iter()
        .map(|row| {
            let credential: Credential = serde_json::from_str(&row.credential)?;
            Ok(CredentialEntry {
                credential_id: row.credential_id,
                webauthn_registration_id: row.webauthn_registration_id,
                kind: "public-key".into(),
                public_key: rp::public_key_spki_base64(&credential.cred)?,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(ListCredentialsResponse { credentials })
}

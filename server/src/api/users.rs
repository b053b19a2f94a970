//! Users: `/sdk/v1/users/me`, factor deletion on both faces, and `/v1/users` create/get/update/delete.

use axum::http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    error::{ApiError, ApiResult, ErrorType},
    http::{Api, Caller, Reply},
    ids,
    model::{Email, Name, PhoneNumber, User},
    state::AppState,
    store::users::{self as store, NewUser, UserStatus, UserUpdate},
    validate,
};

pub fn mount(api: Api) -> Api {
    let mut api = api
        .sdk(Method::GET, "/users/me", me)
        .sdk(Method::PUT, "/users/me", update_me)
        .backend(Method::POST, "/users", create)
        .backend(Method::GET, "/users/{user_id}", get)
        .backend(Method::PUT, "/users/{user_id}", update)
        .backend(Method::DELETE, "/users/{user_id}", delete);
    for kind in FactorKind::ALL {
        let path = format!("/users/{}/{{factor_id}}", kind.segment());
        let op = move |state: AppState, caller: Caller, req: FactorPath| {
            delete_factor(state, caller, kind, req.factor_id)
        };
        api = if kind.backend_only() {
            api.backend(Method::DELETE, &path, op)
        } else {
            api.both(Method::DELETE, &path, op)
        };
    }
    api
}

/// Longest accepted name part, and metadata object (serialized).
const MAX_NAME_CHARS: usize = 256;
const MAX_METADATA_BYTES: usize = 4096;

/// 400 `invalid_user_id` unless `user_id` looks like `user-test-<uuid>`.
pub fn check_user_id(user_id: &str) -> ApiResult<()> {
    if ids::is_prefixed_id("user", user_id) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorType::InvalidUserId,
            format!("{user_id:?} is not a valid user_id (expected user-test-<uuid>)."),
        ))
    }
}

/// A name as requests send it: every part optional, `null` = leave as is.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NameInput {
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
}

impl NameInput {
    /// 400 `bad_request` naming the first part longer than 256 characters.
    pub fn check(&self) -> ApiResult<()> {
        for (field, value) in [
            ("name.first_name", &self.first_name),
            ("name.middle_name", &self.middle_name),
            ("name.last_name", &self.last_name),
        ] {
            if value
                .as_ref()
                .is_some_and(|v| v.chars().count() > MAX_NAME_CHARS)
            {
                return Err(ApiError::bad_request(format!(
                    "`{field}` is longer than {MAX_NAME_CHARS} characters."
                )));
            }
        }
        Ok(())
    }
}

/// A `trusted_metadata` / `untrusted_metadata` object (`null` is absent), at most 4 KB of JSON.
pub fn metadata(field: &str, value: Option<Value>) -> ApiResult<Option<Map<String, Value>>> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let object = validate::object(field, value)?;
    let size = Value::Object(object.clone()).to_string().len();
    if size > MAX_METADATA_BYTES {
        return Err(ApiError::bad_request(format!(
            "`{field}` may be at most {MAX_METADATA_BYTES} bytes of JSON (got {size})."
        )));
    }
    Ok(Some(object))
}

/// A user as `GET /users/me` and `GET /v1/users/{id}` return it: the User
/// fields at the top level.
#[derive(Debug, Serialize)]
pub struct UserBody {
    #[serde(flatten)]
    pub user: User,
}

impl Reply for UserBody {}

/// The shape of user updates (both faces).
#[derive(Debug, Serialize)]
pub struct UpdateResponse {
    pub user_id: String,
    pub emails: Vec<Email>,
    pub phone_numbers: Vec<PhoneNumber>,
    pub crypto_wallets: Vec<Value>,
    pub user: User,
}

impl Reply for UpdateResponse {
    fn changed_user(&self) -> Option<&User> {
        Some(&self.user)
    }
}

impl From<User> for UpdateResponse {
    fn from(user: User) -> Self {
        UpdateResponse {
            user_id: user.user_id.clone(),
            emails: user.emails.clone(),
            phone_numbers: user.phone_numbers.clone(),
            crypto_wallets: user.crypto_wallets.clone(),
            user,
        }
    }
}

async fn load(state: &AppState, user_id: String) -> ApiResult<User> {
    state
        .db
        .call(move |c| store::require_user(c, &user_id))
        .await
}

// ---- frontend: the signed-in user ----------------------------------------

#[derive(Debug, Deserialize)]
pub struct NoInput {}

async fn me(state: AppState, caller: Caller, _req: NoInput) -> ApiResult<UserBody> {
    let user_id = caller.require_session()?.row.user_id.clone();
    Ok(UserBody {
        user: load(&state, user_id).await?,
    })
}

#[derive(Debug, Deserialize)]
pub struct UpdateMeRequest {
    name: Option<NameInput>,
    untrusted_metadata: Option<Value>,
}

/// The browser may change the name and `untrusted_metadata` only.
async fn update_me(
    state: AppState,
    caller: Caller,
    req: UpdateMeRequest,
) -> ApiResult<UpdateResponse> {
    let user_id = caller.require_session()?.row.user_id.clone();
    let name = req.name.unwrap_or_default();
    name.check()?;
    let update = UserUpdate {
        first_name: name.first_name,
        middle_name: name.middle_name,
        last_name: name.last_name,
        untrusted_metadata: metadata("untrusted_metadata", req.untrusted_metadata)?,
        ..Default::default()
    };
    apply_update(&state, user_id, update).await
}

async fn apply_update(
    state: &AppState,
    user_id: String,
    update: UserUpdate,
) -> ApiResult<UpdateResponse> {
    let user = state
        .db
        .tx(move |tx| {
            if !store::update_user(tx, &user_id, &update)? {
                return Err(store::user_not_found(&user_id));
            }
            store::require_user(tx, &user_id)
        })
        .await?;
    Ok(user.into())
}

// ---- factor deletion -------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FactorKind {
    Email,
    PhoneNumber,
    Oauth,
    Totp,
    Webauthn,
    CryptoWallet,
    Password,
    Biometric,
}

impl FactorKind {
    const ALL: [FactorKind; 8] = [
        FactorKind::Email,
        FactorKind::PhoneNumber,
        FactorKind::Oauth,
        FactorKind::Totp,
        FactorKind::Webauthn,
        FactorKind::CryptoWallet,
        FactorKind::Password,
        FactorKind::Biometric,
    ];

    fn segment(self) -> &'static str {
        match self {
            FactorKind::Email => "emails",
            FactorKind::PhoneNumber => "phone_numbers",
            FactorKind::Oauth => "oauth",
            FactorKind::Totp => "totps",
            FactorKind::Webauthn => "webauthn_registrations",
            FactorKind::CryptoWallet => "crypto_wallets",
            FactorKind::Password => "passwords",
            FactorKind::Biometric => "biometric_registrations",
        }
    }

    /// The frontend face deletes the seven factors of protocol.md (the
    /// official SDK also has `deleteBiometricRegistration`); passwords are
    /// removed through the backend only.
    fn backend_only(self) -> bool {
        matches!(self, FactorKind::Password)
    }

    fn not_found(self, id: &str) -> ApiError {
        let kind = match self {
            FactorKind::Email => ErrorType::EmailNotFound,
            FactorKind::PhoneNumber => ErrorType::PhoneNumberNotFound,
            FactorKind::Oauth => ErrorType::OauthUserRegistrationNotFound,
            FactorKind::Totp => ErrorType::TotpNotFound,
            FactorKind::Webauthn => ErrorType::WebauthnRegistrationNotFound,
            FactorKind::Biometric => ErrorType::BiometricRegistrationNotFound,
            FactorKind::CryptoWallet => ErrorType::CryptoWalletNotFound,
            FactorKind::Password => ErrorType::PasswordNotFound,
        };
        ApiError::new(
            kind,
            format!(
                "No {} {id} on this user.",
                self.segment().trim_end_matches('s')
            ),
        )
    }
}

#[derive(Debug, Deserialize)]
pub struct FactorPath {
    factor_id: String,
}

#[derive(Debug, Serialize)]
pub struct DeleteFactorResponse {
    pub user_id: String,
    pub user: User,
}

impl Reply for DeleteFactorResponse {
    fn changed_user(&self) -> Option<&User> {
        Some(&self.user)
    }
}

/// Deletes one factor. On the frontend it must belong to the session's
/// user; a factor of another user is reported as not found, so ids of other
/// accounts cannot be probed, and the last email / phone number / OAuth
/// provider cannot be removed. Crypto wallets and biometrics are not
/// implemented by this server, so no such factor ever exists.
async fn delete_factor(
    state: AppState,
    caller: Caller,
    kind: FactorKind,
    factor_id: String,
) -> ApiResult<DeleteFactorResponse> {
    let is_sdk = caller.is_sdk();
    let owner = if is_sdk {
        Some(caller.require_session()?.row.user_id.clone())
    } else {
        None
    };
    let user = state
        .db
        .tx(move |tx| {
            let found_owner = match kind {
                FactorKind::Email => store::get_email(tx, &factor_id)?.map(|r| r.user_id),
                FactorKind::PhoneNumber => store::get_phone(tx, &factor_id)?.map(|r| r.user_id),
                FactorKind::Oauth => store::get_provider(tx, &factor_id)?.map(|r| r.user_id),
                FactorKind::Password => store::get_password(tx, &factor_id)?.map(|r| r.user_id),
                FactorKind::Totp => crate::store::totps::get(tx, &factor_id)?.map(|r| r.user_id),
                FactorKind::Webauthn => {
                    crate::store::webauthn::get(tx, &factor_id)?.map(|r| r.user_id)
                }
                FactorKind::CryptoWallet | FactorKind::Biometric => None,
            };
            let user_id = match (found_owner, owner) {
                (Some(found), Some(owner)) if found == owner => found,
                (Some(found), None) => found,
                _ => return Err(kind.not_found(&factor_id)),
            };
            // Stytch's frontend SDK may not remove the last email, phone
            // number or OAuth provider: the user could not sign in again.
            if is_sdk
                && matches!(
                    kind,
                    FactorKind::Email | FactorKind::PhoneNumber | FactorKind::Oauth
                )
                && store::primary_factor_count(tx, &user_id)? <= 1
            {
                return Err(ApiError::new(
                    ErrorType::CannotDeleteLastPrimaryFactor,
                    "This is the user's last email, phone number or OAuth provider; add another \
                     before deleting it, or the user could not sign in again.",
                ));
            }
            match kind {
                FactorKind::Email => store::delete_email(tx, &factor_id)?,
                FactorKind::PhoneNumber => store::delete_phone(tx, &factor_id)?,
                FactorKind::Oauth => store::delete_provider(tx, &factor_id)?,
                FactorKind::Password => store::delete_password(tx, &factor_id)?,
                FactorKind::Totp => crate::store::totps::delete(tx, &factor_id)?,
                FactorKind::Webauthn => crate::store::webauthn::delete(tx, &factor_id)?,
                FactorKind::CryptoWallet | FactorKind::Biometric => false,
            };
            store::require_user(tx, &user_id)
        })
        .await?;
    Ok(DeleteFactorResponse {
        user_id: user.user_id.clone(),
        user,
    })
}

// ---- backend: /v1/users ----------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct CreateRequest {
    email: Option<String>,
    phone_number: Option<String>,
    name: Option<NameInput>,
    create_user_as_pending: Option<bool>,
    trusted_metadata: Option<Value>,
    untrusted_metadata: Option<Value>,
    external_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CreateResponse {
    pub user_id: String,
    /// `""` when the user was created without an email.
    pub email_id: String,
    pub phone_id: String,
    pub status: String,
    pub user: User,
}

impl Reply for CreateResponse {
    fn changed_user(&self) -> Option<&User> {
        Some(&self.user)
    }
}

async fn create(state: AppState, _caller: Caller, req: CreateRequest) -> ApiResult<CreateResponse> {
    let email = req
        .email
        .filter(|e| !e.is_empty())
        .map(|e| validate::normalize_email(&e))
        .transpose()?;
    let phone = req
        .phone_number
        .filter(|p| !p.is_empty())
        .map(|p| validate::phone_number(&p))
        .transpose()?;
    let name = req.name.unwrap_or_default();
    name.check()?;
    let new_user = NewUser {
        status: if req.create_user_as_pending.unwrap_or(false) {
            UserStatus::Pending
        } else {
            UserStatus::Active
        },
        name: Name {
            first_name: name.first_name.unwrap_or_default(),
            middle_name: name.middle_name.unwrap_or_default(),
            last_name: name.last_name.unwrap_or_default(),
        },
        trusted_metadata: metadata("trusted_metadata", req.trusted_metadata)?.unwrap_or_default(),
        untrusted_metadata: metadata("untrusted_metadata", req.untrusted_metadata)?
            .unwrap_or_default(),
        external_id: req.external_id.filter(|e| !e.is_empty()),
    };
    let now = state.now();
    let (user, email_id, phone_id) = state
        .db
        .tx(move |tx| {
            let user_id = store::insert_user(tx, &new_user, now)?;
            let email_id = match &email {
                Some(email) => store::insert_email(tx, &user_id, email, false, now)?,
                None => String::new(),
            };
            let phone_id = match &phone {
                Some(phone) => store::insert_phone(tx, &user_id, phone, false, now)?,
                None => String::new(),
            };
            Ok((store::require_user(tx, &user_id)?, email_id, phone_id))
        })
        .await?;
    Ok(CreateResponse {
        user_id: user.user_id.clone(),
        email_id,
        phone_id,
        status: user.status.clone(),
        user,
    })
}

#[derive(Debug, Deserialize)]
pub struct UserPath {
    user_id: String,
}

async fn get(state: AppState, _caller: Caller, req: UserPath) -> ApiResult<UserBody> {
    check_user_id(&req.user_id)?;
    Ok(UserBody {
        user: load(&state, req.user_id).await?,
    })
}

#[derive(Debug, Deserialize)]
pub struct UpdateRequest {
    user_id: String,
    name: Option<NameInput>,
    trusted_metadata: Option<Value>,
    untrusted_metadata: Option<Value>,
    external_id: Option<String>,
}

async fn update(state: AppState, _caller: Caller, req: UpdateRequest) -> ApiResult<UpdateResponse> {
    check_user_id(&req.user_id)?;
    let name = req.name.unwrap_or_default();
    name.check()?;
    let update = UserUpdate {
        first_name: name.first_name,
        middle_name: name.middle_name,
        last_name: name.last_name,
        trusted_metadata: metadata("trusted_metadata", req.trusted_metadata)?,
        untrusted_metadata: metadata("untrusted_metadata", req.untrusted_metadata)?,
        external_id: req.external_id.filter(|e| !e.is_empty()),
    };
    apply_update(&state, req.user_id, update).await
}

#[derive(Debug, Serialize)]
pub struct DeleteResponse {
    pub user_id: String,
}

impl Reply for DeleteResponse {}

/// Deletes the user with every factor, session and pending token.
async fn delete(state: AppState, _caller: Caller, req: UserPath) -> ApiResult<DeleteResponse> {
    check_user_id(&req.user_id)?;
    let user_id = req.user_id.clone();
    let deleted = state
        .db
        .tx(move |tx| store::delete_user(tx, &user_id))
        .await?;
    if !deleted {
        return Err(store::user_not_found(&req.user_id));
    }
    Ok(DeleteResponse {
        user_id: req.user_id,
    })
}

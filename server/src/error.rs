//! `ApiError`: every error the API can return, rendered as the protocol's five-field body.

use std::borrow::Cow;

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::ids;

/// Every `error_type` the server emits, with its HTTP status. New modules add
/// their variants here so the full vocabulary stays in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    // 400
    BadRequest,
    InvalidUserId,
    InvalidEmail,
    InvalidPhoneNumber,
    WeakPassword,
    BreachedPassword,
    DuplicateEmail,
    DuplicatePhoneNumber,
    TooManySessionArguments,
    InvalidSessionDurationMinutes,
    InvalidSessionCustomClaims,
    PkceMismatch,
    InvalidRedirectUrl,
    InvalidDomain,
    InvalidAuthenticatorType,
    InvalidPublicKeyCredential,
    DuplicateWebauthnRegistration,
    EmptyWebauthnRegistrationName,
    NoPendingWebauthnRegistration,
    ActiveTotpExists,
    InvalidTotpCode,
    InvalidRecoveryCode,
    RecoveryCodeUsedAsTotpCode,
    TotpCodeUsedAsRecoveryCode,
    CannotDeleteLastPrimaryFactor,
    // 401
    UnauthorizedCredentials,
    UnableToAuthMagicLink,
    UnableToAuthOtpCode,
    AttributeMismatch,
    ResetPassword,
    UnableToRegisterWebauthnRegistration,
    UnableToAuthWebauthnRegistration,
    UnableToAuthenticateTotp,
    TotpCodeAlreadyAuthenticated,
    UnableToAuthenticateRecoveryCode,
    ExpiredTotp,
    // 403
    BadDomainForStytchSdk,
    // 404
    NotFound,
    ProjectNotFound,
    SessionNotFound,
    UserNotFound,
    EmailNotFound,
    PhoneNumberNotFound,
    MagicLinkNotFound,
    OtpCodeNotFound,
    OauthTokenNotFound,
    OauthUserRegistrationNotFound,
    PasswordNotFound,
    TotpNotFound,
    WebauthnRegistrationNotFound,
    CryptoWalletNotFound,
    BiometricRegistrationNotFound,
    NoActiveWebauthnRegistrations,
    // others
    /// 403: a development page asked for by another origin.
    CrossOriginRequest,
    MethodNotAllowed,
    RequestTooLarge,
    /// 421: a `Host` this server does not answer to (DNS rebinding).
    MisdirectedRequest,
    TooManyRequests,
    InternalServerError,
}

impl ErrorType {
    pub const fn as_str(self) -> &'static str {
        use ErrorType::*;
        match self {
            BadRequest => "bad_request",
            InvalidUserId => "invalid_user_id",
            InvalidEmail => "invalid_email",
            InvalidPhoneNumber => "invalid_phone_number",
            WeakPassword => "weak_password",
            BreachedPassword => "breached_password",
            DuplicateEmail => "duplicate_email",
            DuplicatePhoneNumber => "duplicate_phone_number",
            TooManySessionArguments => "too_many_session_arguments",
            InvalidSessionDurationMinutes => "invalid_session_duration_minutes",
            InvalidSessionCustomClaims => "invalid_session_custom_claims",
            PkceMismatch => "pkce_mismatch",
            InvalidRedirectUrl => "invalid_redirect_url",
            InvalidDomain => "invalid_domain",
            InvalidAuthenticatorType => "invalid_authenticator_type",
            InvalidPublicKeyCredential => "invalid_public_key_credential",
            DuplicateWebauthnRegistration => "duplicate_webauthn_registration",
            EmptyWebauthnRegistrationName => "empty_webauthn_registration_name",
            NoPendingWebauthnRegistration => "no_pending_webauthn_registration",
            ActiveTotpExists => "active_totp_exists",
            InvalidTotpCode => "invalid_totp_code",
            InvalidRecoveryCode => "invalid_recovery_code",
            RecoveryCodeUsedAsTotpCode => "recovery_code_used_as_totp_code",
            TotpCodeUsedAsRecoveryCode => "totp_code_used_as_recovery_code",
            CannotDeleteLastPrimaryFactor => "cannot_delete_last_primary_factor",
            UnauthorizedCredentials => "unauthorized_credentials",
            UnableToAuthMagicLink => "unable_to_auth_magic_link",
            UnableToAuthOtpCode => "unable_to_auth_otp_code",
            AttributeMismatch => "attribute_mismatch",
            ResetPassword => "reset_password",
            UnableToRegisterWebauthnRegistration => "unable_to_register_webauthn_registration",
            UnableToAuthWebauthnRegistration => "unable_to_auth_webauthn_registration",
            UnableToAuthenticateTotp => "unable_to_authenticate_totp",
            TotpCodeAlreadyAuthenticated => "totp_code_already_authenticated",
            UnableToAuthenticateRecoveryCode => "unable_to_authenticate_recovery_code",
            ExpiredTotp => "expired_totp",
            BadDomainForStytchSdk => "bad_domain_for_stytch_sdk",
            NotFound => "not_found",
            ProjectNotFound => "project_not_found",
            SessionNotFound => "session_not_found",
            UserNotFound => "user_not_found",
            EmailNotFound => "email_not_found",
            PhoneNumberNotFound => "phone_number_not_found",
            MagicLinkNotFound => "magic_link_not_found",
            OtpCodeNotFound => "otp_code_not_found",
            OauthTokenNotFound => "oauth_token_not_found",
            OauthUserRegistrationNotFound => "oauth_user_registration_not_found",
            PasswordNotFound => "password_not_found",
            TotpNotFound => "totp_not_found",
            WebauthnRegistrationNotFound => "webauthn_registration_not_found",
            CryptoWalletNotFound => "crypto_wallet_not_found",
            BiometricRegistrationNotFound => "biometric_registration_not_found",
            NoActiveWebauthnRegistrations => "no_active_webauthn_registrations",
            CrossOriginRequest => "cross_origin_request",
            MethodNotAllowed => "method_not_allowed",
            RequestTooLarge => "request_too_large",
            MisdirectedRequest => "misdirected_request",
            TooManyRequests => "too_many_requests",
            InternalServerError => "internal_server_error",
        }
    }

    pub const fn status(self) -> StatusCode {
        use ErrorType::*;
        match self {
            BadRequest
            | InvalidUserId
            | InvalidEmail
            | InvalidPhoneNumber
            | WeakPassword
            | BreachedPassword
            | DuplicateEmail
            | DuplicatePhoneNumber
            | TooManySessionArguments
            | InvalidSessionDurationMinutes
            | InvalidSessionCustomClaims
            | PkceMismatch
            | InvalidRedirectUrl
            | InvalidDomain
            | InvalidAuthenticatorType
            | InvalidPublicKeyCredential
            | DuplicateWebauthnRegistration
            | EmptyWebauthnRegistrationName
            | NoPendingWebauthnRegistration
            | ActiveTotpExists
            | InvalidTotpCode
            | InvalidRecoveryCode
            | RecoveryCodeUsedAsTotpCode
            | TotpCodeUsedAsRecoveryCode
            | CannotDeleteLastPrimaryFactor => StatusCode::BAD_REQUEST,
            UnauthorizedCredentials
            | UnableToAuthMagicLink
            | UnableToAuthOtpCode
            | AttributeMismatch
            | ResetPassword
            | UnableToRegisterWebauthnRegistration
            | UnableToAuthWebauthnRegistration
            | UnableToAuthenticateTotp
            | TotpCodeAlreadyAuthenticated
            | UnableToAuthenticateRecoveryCode
            | ExpiredTotp => StatusCode::UNAUTHORIZED,
            BadDomainForStytchSdk => StatusCode::FORBIDDEN,
            NotFound
            | ProjectNotFound
            | SessionNotFound
            | UserNotFound
            | EmailNotFound
            | PhoneNumberNotFound
            | MagicLinkNotFound
            | OtpCodeNotFound
            | OauthTokenNotFound
            | OauthUserRegistrationNotFound
            | PasswordNotFound
            | TotpNotFound
            | WebauthnRegistrationNotFound
            | CryptoWalletNotFound
            | BiometricRegistrationNotFound
            | NoActiveWebauthnRegistrations => StatusCode::NOT_FOUND,
            CrossOriginRequest => StatusCode::FORBIDDEN,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            RequestTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            MisdirectedRequest => StatusCode::MISDIRECTED_REQUEST,
            TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            InternalServerError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The error type a bare HTTP status stands for, used when a layer (body
    /// limit, method router, fault injection) produced the status without one.
    pub fn for_status(status: StatusCode) -> ErrorType {
        match status.as_u16() {
            401 => ErrorType::UnauthorizedCredentials,
            403 => ErrorType::BadDomainForStytchSdk,
            404 => ErrorType::NotFound,
            405 => ErrorType::MethodNotAllowed,
            413 => ErrorType::RequestTooLarge,
            429 => ErrorType::TooManyRequests,
            400..=499 => ErrorType::BadRequest,
            _ => ErrorType::InternalServerError,
        }
    }
}

/// An API failure. The status and type normally come from one [`ErrorType`];
/// only injected faults may carry an arbitrary pair.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub error_type: Cow<'static, str>,
    pub message: String,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(kind: ErrorType, message: impl Into<String>) -> Self {
        Self {
            status: kind.status(),
            error_type: Cow::Borrowed(kind.as_str()),
            message: message.into(),
        }
    }

    /// An error with a caller-chosen status and type (fault injection only).
    pub fn custom(status: StatusCode, error_type: String, message: impl Into<String>) -> Self {
        Self {
            status,
            error_type: Cow::Owned(error_type),
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorType::BadRequest, message)
    }

    /// A failure that is the server's fault. The detail goes to the log, the
    /// client gets a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        crate::log(format_args!("internal error: {detail}"));
        Self::new(
            ErrorType::InternalServerError,
            "An internal error occurred in the local auth server; see its log.",
        )
    }

    pub fn is(&self, kind: ErrorType) -> bool {
        self.error_type == kind.as_str()
    }

    pub fn body(&self) -> ErrorBody {
        let error_type = self.error_type.to_string();
        ErrorBody {
            status_code: self.status.as_u16(),
            request_id: ids::request_id(),
            error_url: format!(
                "https://stytch.com/docs/api/errors/{}#{}",
                self.status.as_u16(),
                error_type
            ),
            error_type,
            error_message: self.message.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.error_type,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

/// The wire form of an error: exactly the five fields every client expects.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub status_code: u16,
    pub request_id: String,
    pub error_type: String,
    pub error_message: String,
    pub error_url: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        ApiError::internal(format_args!("database: {err}"))
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(err: serde_json::Error) -> Self {
        ApiError::internal(format_args!("json: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_five_fields_and_a_docs_url() {
        let err = ApiError::new(ErrorType::SessionNotFound, "gone");
        let body = serde_json::to_value(err.body()).unwrap();
        let object = body.as_object().unwrap();
        assert_eq!(object.len(), 5);
        assert_eq!(body["status_code"], 404);
        assert_eq!(body["error_type"], "session_not_found");
        assert_eq!(body["error_message"], "gone");
        assert_eq!(
            body["error_url"],
            "https://stytch.com/docs/api/errors/404#session_not_found"
        );
        assert!(body["request_id"]
            .as_str()
            .unwrap()
            .starts_with("request-id-test-"));
    }

    #[test]
    fn statuses_follow_the_protocol() {
        assert_eq!(ErrorType::UnauthorizedCredentials.status().as_u16(), 401);
        assert_eq!(ErrorType::BadDomainForStytchSdk.status().as_u16(), 403);
        assert_eq!(ErrorType::TooManySessionArguments.status().as_u16(), 400);
        assert_eq!(ErrorType::TooManyRequests.status().as_u16(), 429);
        assert_eq!(ErrorType::RequestTooLarge.status().as_u16(), 413);
        assert_eq!(
            ErrorType::for_status(StatusCode::SERVICE_UNAVAILABLE),
            ErrorType::InternalServerError
        );
        assert_eq!(
            ErrorType::for_status(StatusCode::IM_A_TEAPOT),
            ErrorType::BadRequest
        );
    }
}

//! Who may call which face: the frontend origin check, the public-token Basic header, the backend secret.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderMap},
};

use crate::{
    auth::{basic, jwt, tokens},
    error::{ApiError, ApiResult, ErrorType},
    session::{self, AuthedSession},
    state::AppState,
};

/// The frontend face requires a browser origin: `Origin`, or when a client
/// sends none, `X-SDK-Parent-Host`. It must be an authorized origin, else
/// 403 `bad_domain_for_stytch_sdk`.
#[derive(Debug, Clone)]
pub struct SdkOrigin(pub String);

pub fn check_origin(state: &AppState, headers: &HeaderMap) -> ApiResult<SdkOrigin> {
    let bad_domain = |message: String| ApiError::new(ErrorType::BadDomainForStytchSdk, message);
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get("x-sdk-parent-host"))
        .ok_or_else(|| {
            bad_domain(
                "Frontend API requests must carry an Origin or X-SDK-Parent-Host header naming an authorized origin."
                    .into(),
            )
        })?
        .to_str()
        .map_err(|_| bad_domain("The Origin header is not valid ASCII.".into()))?;
    if state.config.is_authorized_origin(origin) {
        Ok(SdkOrigin(origin.to_string()))
    } else {
        Err(bad_domain(format!(
            "{origin} is not an authorized origin of this project (see --authorized-origin)."
        )))
    }
}

impl FromRequestParts<AppState> for SdkOrigin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        check_origin(state, &parts.headers)
    }
}

/// 401 `unauthorized_credentials` unless `token` is the project's public token.
pub fn check_public_token(state: &AppState, token: &str) -> ApiResult<()> {
    if tokens::ct_eq(token, &state.project.public_token) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorType::UnauthorizedCredentials,
            "Unknown public token.",
        ))
    }
}

/// The session a frontend request carried in its Basic password.
#[derive(Debug, Clone)]
pub enum SdkSession {
    /// The password was the public token again: logged out.
    None,
    Valid(AuthedSession),
    /// A token or JWT that names no live session; the message says why.
    Invalid(String),
}

/// An authorized frontend request: origin checked, public token checked,
/// session (if any) resolved.
#[derive(Debug, Clone)]
pub struct SdkAuth {
    pub session: SdkSession,
}

impl FromRequestParts<AppState> for SdkAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        check_origin(state, &parts.headers)?;
        let credentials = basic::parse(&parts.headers)?;
        check_public_token(state, &credentials.user)?;
        if tokens::ct_eq(&credentials.password, &state.project.public_token) {
            return Ok(SdkAuth {
                session: SdkSession::None,
            });
        }
        // The browser SDKs send the opaque token. A session JWT is for the
        // app's backend to verify locally; taken here, one that leaked (a
        // log, a backend, an old cookie) would act for the browser, expired
        // or not, until its session ends. So on this face it names no session.
        if jwt::looks_like_jwt(&credentials.password) {
            return Ok(SdkAuth {
                session: SdkSession::Invalid(
                    "A session JWT is not a credential of the frontend API: send public_token:session_token."
                        .into(),
                ),
            });
        }
        let session = match session::resolve_token(state, credentials.password).await {
            Ok(found) => SdkSession::Valid(found),
            Err(err) if err.is(ErrorType::SessionNotFound) => SdkSession::Invalid(err.message),
            Err(err) => return Err(err),
        };
        Ok(SdkAuth { session })
    }
}

/// An authorized backend request (`project_id:secret`). The public token is
/// refused outright, whatever it is paired with.
#[derive(Debug, Clone, Copy)]
pub struct BackendAuth;

impl FromRequestParts<AppState> for BackendAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let unauthorized =
            |message: &str| ApiError::new(ErrorType::UnauthorizedCredentials, message);
        let credentials = basic::parse(&parts.headers)?;
        if credentials.user.starts_with("public-token-") {
            return Err(unauthorized(
                "A public token cannot call the backend API; use project_id:secret.",
            ));
        }
        // Both comparisons always run, so timing does not reveal which failed.
        let project_ok = tokens::ct_eq(&credentials.user, &state.project.project_id);
        let secret_ok = tokens::ct_eq(
            &tokens::hash_token(&credentials.password),
            &state.project.secret_hash,
        );
        if project_ok & secret_ok {
            Ok(BackendAuth)
        } else {
            Err(unauthorized("Unknown project_id or wrong secret."))
        }
    }
}

//! Sessions: authenticate (refresh), revoke, list by user, and the JWKS.

use axum::http::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    auth::keys::Jwk,
    error::{ApiError, ApiResult, ErrorType},
    http::{Api, Caller, Reply},
    model::{Session, User},
    session::{self, AuthedSession, IssuedSession},
    state::AppState,
    store::{sessions as store, users},
};

pub fn mount(api: Api) -> Api {
    api.sdk(Method::POST, "/sessions/authenticate", sdk_authenticate)
        .backend(Method::POST, "/sessions/authenticate", backend_authenticate)
        .sdk(Method::POST, "/sessions/revoke", sdk_revoke)
        .backend(Method::POST, "/sessions/revoke", backend_revoke)
        .backend(Method::GET, "/sessions", list)
        .backend_public(Method::GET, "/sessions/jwks/{project_id}", jwks)
}

/// What every authenticate-type call returns about the session. Later
/// modules embed it with `#[serde(flatten)]`: on `/v1` without a duration it
/// is `session: null, session_token: "", session_jwt: ""`.
#[derive(Debug, Clone, Serialize)]
pub struct SessionFields {
    pub session: Option<Session>,
    pub session_token: String,
    pub session_jwt: String,
}

impl From<Option<IssuedSession>> for SessionFields {
    fn from(issued: Option<IssuedSession>) -> Self {
        match issued {
            Some(issued) => SessionFields {
                session: Some(issued.session),
                session_token: issued.token,
                session_jwt: issued.jwt,
            },
            None => SessionFields {
                session: None,
                session_token: String::new(),
                session_jwt: String::new(),
            },
        }
    }
}

/// `sessions/authenticate` on both faces (here the session is always set).
#[derive(Debug, Serialize)]
pub struct AuthenticateResponse {
    pub user_id: String,
    pub user: User,
    pub session: Session,
    pub session_token: String,
    pub session_jwt: String,
}

impl Reply for AuthenticateResponse {
    fn changed_user(&self) -> Option<&User> {
        Some(&self.user)
    }
}

#[derive(Debug, Deserialize)]
pub struct SdkAuthenticateRequest {
    session_duration_minutes: Option<i64>,
}

async fn sdk_authenticate(
    state: AppState,
    caller: Caller,
    req: SdkAuthenticateRequest,
) -> ApiResult<AuthenticateResponse> {
    let current = caller.require_session()?.clone();
    authenticate(&state, current, req.session_duration_minutes, None).await
}

#[derive(Debug, Deserialize)]
pub struct BackendAuthenticateRequest {
    session_token: Option<String>,
    session_jwt: Option<String>,
    session_duration_minutes: Option<i64>,
    session_custom_claims: Option<Value>,
}

async fn backend_authenticate(
    state: AppState,
    caller: Caller,
    req: BackendAuthenticateRequest,
) -> ApiResult<AuthenticateResponse> {
    let claims = caller.custom_claims(req.session_custom_claims)?;
    let current = session::resolve_args(
        &state,
        req.session_token.as_deref(),
        req.session_jwt.as_deref(),
    )
    .await?
    .ok_or_else(|| ApiError::bad_request("Pass session_token or session_jwt."))?;
    authenticate(&state, current, req.session_duration_minutes, claims).await
}

async fn authenticate(
    state: &AppState,
    current: AuthedSession,
    duration_minutes: Option<i64>,
    claims: Option<serde_json::Map<String, Value>>,
) -> ApiResult<AuthenticateResponse> {
    let issued = session::refresh(state, current, duration_minutes, claims).await?;
    let user_id = issued.session.user_id.clone();
    let lookup = user_id.clone();
    let user = state
        .db
        .call(move |c| users::require_user(c, &lookup))
        .await?;
    Ok(AuthenticateResponse {
        user_id,
        user,
        session: issued.session,
        session_token: issued.token,
        session_jwt: issued.jwt,
    })
}

/// A body with nothing but `request_id` and `status_code`.
#[derive(Debug, Serialize)]
pub struct Empty {}

impl Reply for Empty {}

#[derive(Debug, Deserialize)]
pub struct NoInput {}

async fn sdk_revoke(state: AppState, caller: Caller, _req: NoInput) -> ApiResult<Empty> {
    let current = caller.require_session()?;
    session::revoke(&state, current.row.session_id.clone()).await?;
    Ok(Empty {})
}

#[derive(Debug, Deserialize)]
pub struct BackendRevokeRequest {
    session_id: Option<String>,
    session_token: Option<String>,
    session_jwt: Option<String>,
}

async fn backend_revoke(
    state: AppState,
    _caller: Caller,
    req: BackendRevokeRequest,
) -> ApiResult<Empty> {
    let present = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
    let given = [&req.session_id, &req.session_token, &req.session_jwt]
        .into_iter()
        .filter(|v| present(v))
        .count();
    if given == 0 {
        return Err(ApiError::bad_request(
            "Pass one of session_id, session_token or session_jwt.",
        ));
    }
    if given > 1 {
        return Err(ApiError::new(
            ErrorType::TooManySessionArguments,
            "Pass only one of session_id, session_token or session_jwt.",
        ));
    }
    let session_id = match (req.session_id, req.session_token, req.session_jwt) {
        (Some(id), _, _) if !id.is_empty() => id,
        (_, Some(token), _) if !token.is_empty() => {
            session::resolve_token(&state, token).await?.row.session_id
        }
        (_, _, Some(jwt)) => session::resolve_jwt(&state, &jwt).await?.row.session_id,
        _ => return Err(ApiError::bad_request("Nothing to revoke.")),
    };
    session::revoke(&state, session_id).await?;
    Ok(Empty {})
}

#[derive(Debug, Deserialize)]
pub struct ListRequest {
    user_id: String,
}

#[derive(Debug, Serialize)]
pub struct ListResponse {
    pub sessions: Vec<Session>,
}

impl Reply for ListResponse {}

async fn list(state: AppState, _caller: Caller, req: ListRequest) -> ApiResult<ListResponse> {
    super::users::check_user_id(&req.user_id)?;
    let now = state.now();
    let sessions = state
        .db
        .call(move |c| {
            users::require_user_exists(c, &req.user_id)?;
            store::list_for_user(c, &req.user_id, now)
        })
        .await?;
    Ok(ListResponse {
        sessions: sessions.iter().map(|row| row.to_wire()).collect(),
    })
}

#[derive(Debug, Deserialize)]
pub struct JwksRequest {
    project_id: String,
}

#[derive(Debug, Serialize)]
pub struct JwksResponse {
    pub keys: Vec<Jwk>,
}

impl Reply for JwksResponse {}

/// Public: answers with or without credentials (credentials are not checked).
async fn jwks(state: AppState, _caller: Caller, req: JwksRequest) -> ApiResult<JwksResponse> {
    if req.project_id != state.project.project_id {
        return Err(ApiError::new(
            ErrorType::ProjectNotFound,
            format!("No project {}.", req.project_id),
        ));
    }
    Ok(JwksResponse {
        keys: state.keys.jwks(),
    })
}

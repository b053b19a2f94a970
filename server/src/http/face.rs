//! The two API faces: one operation function, mounted on `/sdk/v1` and/or `/v1`, differing only in auth and envelope.
//!
//! An operation is `async fn(AppState, Caller, Req) -> ApiResult<Resp>`
//! where `Req: Deserialize` (see [`Input`]) and `Resp: Reply`. [`Api`]
//! mounts it: on the frontend face behind [`SdkAuth`] with the
//! `{"data": …}` envelope (plus `__user` when [`Reply::changed_user`] says
//! so), on the backend face behind [`BackendAuth`] with a flat body. Both
//! faces add `request_id` and `status_code` to every success body.

use std::future::Future;

use axum::{
    extract::State,
    http::{header, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::{on, MethodFilter, MethodRouter},
    Router,
};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{Map, Value};

use crate::{
    error::{ApiError, ApiResult, ErrorType},
    http::{
        credentials::{BackendAuth, SdkAuth, SdkOrigin, SdkSession},
        extract::{ClientInfo, Input},
    },
    ids,
    model::{Attributes, User},
    session::{self, AuthedSession},
    state::AppState,
    validate,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// `/sdk/v1`: browsers, public token.
    Sdk,
    /// `/v1`: backends, project secret.
    Backend,
}

/// Session length on the frontend face when a call names none (the backend
/// face mints no session then).
pub const DEFAULT_SDK_SESSION_MINUTES: i64 = 60;

/// Everything about the caller an operation may need.
#[derive(Debug, Clone)]
pub struct Caller {
    pub face: Face,
    /// Frontend: the session of the Basic header. Backend: always `None`.
    pub session: SdkSession,
    pub client: ClientInfo,
}

impl Caller {
    pub fn is_sdk(&self) -> bool {
        self.face == Face::Sdk
    }

    /// The frontend session this call needs: 401 `unauthorized_credentials`
    /// when the caller sent none, 404 `session_not_found` when theirs is dead.
    pub fn require_session(&self) -> ApiResult<&AuthedSession> {
        match &self.session {
            SdkSession::Valid(session) => Ok(session),
            SdkSession::Invalid(reason) => {
                Err(ApiError::new(ErrorType::SessionNotFound, reason.clone()))
            }
            SdkSession::None => Err(ApiError::new(
                ErrorType::UnauthorizedCredentials,
                "This call needs a session: send public_token:session_token as Basic credentials.",
            )),
        }
    }

    /// The session an authenticate-type call should extend. Frontend: the
    /// header's session if live (a stale cookie is ignored, so signing in
    /// again still works). Backend: `session_token` / `session_jwt` from the
    /// body, where a dead one is an error (404) and both together are 400.
    pub async fn existing_session(
        &self,
        state: &AppState,
        session_token: Option<&str>,
        session_jwt: Option<&str>,
    ) -> ApiResult<Option<AuthedSession>> {
        match self.face {
            Face::Sdk => Ok(match &self.session {
                SdkSession::Valid(session) => Some(session.clone()),
                _ => None,
            }),
            Face::Backend => session::resolve_args(state, session_token, session_jwt).await,
        }
    }

    /// `session_duration_minutes` as the engine should see it, validated
    /// (before any irreversible work): on the frontend an absent value means
    /// the default length, on the backend it means "no session".
    pub fn session_minutes(&self, requested: Option<i64>) -> ApiResult<Option<i64>> {
        let minutes = match self.face {
            Face::Sdk => Some(requested.unwrap_or(DEFAULT_SDK_SESSION_MINUTES)),
            Face::Backend => requested,
        };
        minutes.map(validate::session_minutes).transpose()
    }

    /// `session_custom_claims`: honoured on `/v1` only (a browser must not
    /// set the claims a backend trusts); `null` is absent.
    pub fn custom_claims(&self, claims: Option<Value>) -> ApiResult<Option<Map<String, Value>>> {
        if self.is_sdk() {
            return Ok(None);
        }
        let Some(claims) = claims
            .filter(|c| !c.is_null())
            .map(|c| validate::object("session_custom_claims", c))
            .transpose()?
        else {
            return Ok(None);
        };
        // The size limit is checked here, on an empty session, before any
        // handler spends a token or writes a user or password; the merge into
        // the session checks it again with the session's own claims.
        crate::session::merge_custom_claims(&mut Map::new(), claims.clone())?;
        Ok(Some(claims))
    }

    /// Session attributes recorded for this client.
    pub fn attributes(&self) -> Attributes {
        Attributes {
            ip_address: self.client.ip.to_string(),
            user_agent: self.client.user_agent.clone(),
        }
    }

    /// Whether this call must carry PKCE (frontend face, unless `--pkce-optional`).
    pub fn pkce_required(&self, state: &AppState) -> bool {
        self.is_sdk() && !state.config.pkce_optional
    }
}

/// A success response body. Implement it for every response type; override
/// `changed_user` for calls that change (or sign in) a user.
pub trait Reply: Serialize + Send + 'static {
    /// Sent as `data.__user` on the frontend face.
    fn changed_user(&self) -> Option<&User> {
        None
    }
}

/// Any JSON value can be a reply (hand-built bodies, dev routes).
impl Reply for Value {}

fn reply_object<R: Reply>(reply: &R) -> ApiResult<Map<String, Value>> {
    let mut object = match serde_json::to_value(reply)? {
        Value::Object(map) => map,
        other => {
            return Err(ApiError::internal(format_args!(
                "a reply serialized to a non-object: {other}"
            )))
        }
    };
    object
        .entry("request_id")
        .or_insert_with(|| ids::request_id().into());
    object.entry("status_code").or_insert(200.into());
    Ok(object)
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, value.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The frontend envelope: `{"data": {…, request_id, status_code, __user?}}`.
pub fn sdk_response<R: Reply>(reply: R) -> Response {
    let mut object = match reply_object(&reply) {
        Ok(object) => object,
        Err(err) => return err.into_response(),
    };
    if let Some(user) = reply.changed_user() {
        match serde_json::to_value(user) {
            Ok(user) => {
                object.insert("__user".into(), user);
            }
            Err(err) => return ApiError::from(err).into_response(),
        }
    }
    json_response(StatusCode::OK, &serde_json::json!({ "data": object }))
}

/// The backend body: the reply itself plus `request_id` and `status_code`.
pub fn backend_response<R: Reply>(reply: R) -> Response {
    match reply_object(&reply) {
        Ok(object) => json_response(StatusCode::OK, &Value::Object(object)),
        Err(err) => err.into_response(),
    }
}

/// How a route authenticates its caller.
#[derive(Debug, Clone, Copy)]
enum Access {
    /// Frontend: origin + public token (+ session).
    Sdk,
    /// Frontend without Basic credentials (origin check only), e.g. bootstrap.
    SdkPublic,
    /// Backend: project id + secret.
    Backend,
    /// Backend without credentials, e.g. JWKS.
    Public,
}

/// The two face routers under construction. Resource modules add their
/// operations in a `mount(api: Api) -> Api` function.
pub struct Api {
    sdk: Router<AppState>,
    v1: Router<AppState>,
}

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

impl Api {
    pub fn new() -> Self {
        Api {
            sdk: Router::new(),
            v1: Router::new(),
        }
    }

    /// Mounts `op` at the same path on both faces (`path` is relative to
    /// `/sdk/v1` and `/v1`).
    pub fn both<Req, Resp, F, Fut>(self, method: Method, path: &str, op: F) -> Self
    where
        F: Fn(AppState, Caller, Req) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<Resp>> + Send + 'static,
        Req: DeserializeOwned + Send + 'static,
        Resp: Reply,
    {
        self.both_at(method, path, path, op)
    }

    /// Mounts `op` on both faces at different paths.
    pub fn both_at<Req, Resp, F, Fut>(
        mut self,
        method: Method,
        sdk_path: &str,
        v1_path: &str,
        op: F,
    ) -> Self
    where
        F: Fn(AppState, Caller, Req) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<Resp>> + Send + 'static,
        Req: DeserializeOwned + Send + 'static,
        Resp: Reply,
    {
        self.sdk = self
            .sdk
            .route(sdk_path, handler(Access::Sdk, method.clone(), op.clone()));
        self.v1 = self.v1.route(v1_path, handler(Access::Backend, method, op));
        self
    }

    /// Frontend face only.
    pub fn sdk<Req, Resp, F, Fut>(mut self, method: Method, path: &str, op: F) -> Self
    where
        F: Fn(AppState, Caller, Req) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<Resp>> + Send + 'static,
        Req: DeserializeOwned + Send + 'static,
        Resp: Reply,
    {
        self.sdk = self.sdk.route(path, handler(Access::Sdk, method, op));
        self
    }

    /// Frontend face, origin check only (no Basic credentials required).
    pub fn sdk_public<Req, Resp, F, Fut>(mut self, method: Method, path: &str, op: F) -> Self
    where
        F: Fn(AppState, Caller, Req) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<Resp>> + Send + 'static,
        Req: DeserializeOwned + Send + 'static,
        Resp: Reply,
    {
        self.sdk = self.sdk.route(path, handler(Access::SdkPublic, method, op));
        self
    }

    /// Backend face only.
    pub fn backend<Req, Resp, F, Fut>(mut self, method: Method, path: &str, op: F) -> Self
    where
        F: Fn(AppState, Caller, Req) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<Resp>> + Send + 'static,
        Req: DeserializeOwned + Send + 'static,
        Resp: Reply,
    {
        self.v1 = self.v1.route(path, handler(Access::Backend, method, op));
        self
    }

    /// Backend face without credentials (public documents such as the JWKS).
    pub fn backend_public<Req, Resp, F, Fut>(mut self, method: Method, path: &str, op: F) -> Self
    where
        F: Fn(AppState, Caller, Req) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<Resp>> + Send + 'static,
        Req: DeserializeOwned + Send + 'static,
        Resp: Reply,
    {
        self.v1 = self.v1.route(path, handler(Access::Public, method, op));
        self
    }

    /// A hand-written axum route under `/sdk/v1` (for responses that are not
    /// JSON envelopes). Use the extractors of `http::credentials` yourself.
    pub fn sdk_route(mut self, path: &str, route: MethodRouter<AppState>) -> Self {
        self.sdk = self.sdk.route(path, route);
        self
    }

    /// A hand-written axum route under `/v1`, e.g. the OAuth start redirect.
    pub fn v1_route(mut self, path: &str, route: MethodRouter<AppState>) -> Self {
        self.v1 = self.v1.route(path, route);
        self
    }

    /// `(sdk, v1)` routers, to be nested at `/sdk/v1` and `/v1`.
    pub fn into_routers(self) -> (Router<AppState>, Router<AppState>) {
        (self.sdk, self.v1)
    }
}

fn handler<Req, Resp, F, Fut>(access: Access, method: Method, op: F) -> MethodRouter<AppState>
where
    F: Fn(AppState, Caller, Req) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ApiResult<Resp>> + Send + 'static,
    Req: DeserializeOwned + Send + 'static,
    Resp: Reply,
{
    // Only programmer-chosen standard methods reach here; an extension
    // method is a bug to catch at start-up, not a runtime condition.
    let filter = MethodFilter::try_from(method).expect("a standard HTTP method");
    match access {
        Access::Sdk => on(
            filter,
            move |State(state): State<AppState>,
                  auth: SdkAuth,
                  client: ClientInfo,
                  Input(req): Input<Req>| async move {
                let caller = Caller {
                    face: Face::Sdk,
                    session: auth.session,
                    client,
                };
                match op(state, caller, req).await {
                    Ok(reply) => sdk_response(reply),
                    Err(err) => err.into_response(),
                }
            },
        ),
        Access::SdkPublic => on(
            filter,
            move |State(state): State<AppState>,
                  _origin: SdkOrigin,
                  client: ClientInfo,
                  Input(req): Input<Req>| async move {
                let caller = Caller {
                    face: Face::Sdk,
                    session: SdkSession::None,
                    client,
                };
                match op(state, caller, req).await {
                    Ok(reply) => sdk_response(reply),
                    Err(err) => err.into_response(),
                }
            },
        ),
        Access::Backend => on(
            filter,
            move |State(state): State<AppState>,
                  _auth: BackendAuth,
                  client: ClientInfo,
                  Input(req): Input<Req>| async move {
                let caller = Caller {
                    face: Face::Backend,
                    session: SdkSession::None,
                    client,
                };
                match op(state, caller, req).await {
                    Ok(reply) => backend_response(reply),
                    Err(err) => err.into_response(),
                }
            },
        ),
        Access::Public => on(
            filter,
            move |State(state): State<AppState>, client: ClientInfo, Input(req): Input<Req>| async move {
                let caller = Caller {
                    face: Face::Backend,
                    session: SdkSession::None,
                    client,
                };
                match op(state, caller, req).await {
                    Ok(reply) => backend_response(reply),
                    Err(err) => err.into_response(),
                }
            },
        ),
    }
}

//! Fault injection (behind `--enable-dev-faults`): make the next N matching requests fail and/or wait.

use std::{sync::Mutex, time::Duration};

use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    error::{ApiError, ApiResult, ErrorType},
    http::Input,
    state::AppState,
};

/// Longest accepted injected delay.
pub const MAX_DELAY_MS: u64 = 120_000;

/// One armed fault. `remaining` counts down with every matching request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    pub path_prefix: String,
    pub remaining: u32,
    pub status: Option<u16>,
    pub delay_ms: Option<u64>,
    pub error_type: Option<String>,
}

/// The armed faults, in the order they were added.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<FaultRule>>,
}

impl Faults {
    pub fn add(&self, rule: FaultRule) {
        self.lock().push(rule);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.lock().clone()
    }

    /// The first armed rule matching `path`, counted down (and dropped at zero).
    pub fn take(&self, path: &str) -> Option<FaultRule> {
        let mut rules = self.lock();
        let index = rules
            .iter()
            .position(|rule| rule.remaining > 0 && path.starts_with(&rule.path_prefix))?;
        rules[index].remaining -= 1;
        let fired = rules[index].clone();
        if rules[index].remaining == 0 {
            rules.remove(index);
        }
        Some(fired)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Middleware: applies an armed fault to a matching request. `/dev/` paths
/// are never faulted, so a test can always disarm what it armed.
pub async fn inject(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !state.config.enable_dev_faults || req.uri().path().starts_with("/dev/") {
        return next.run(req).await;
    }
    let Some(rule) = state.faults.take(req.uri().path()) else {
        return next.run(req).await;
    };
    if let Some(delay) = rule.delay_ms {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    match rule.status.and_then(|s| StatusCode::from_u16(s).ok()) {
        Some(status) => {
            let error_type = rule
                .error_type
                .unwrap_or_else(|| ErrorType::for_status(status).as_str().to_string());
            ApiError::custom(
                status,
                error_type,
                format!(
                    "Injected fault for {} (dev fault injection).",
                    rule.path_prefix
                ),
            )
            .into_response()
        }
        None => next.run(req).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct ArmRequest {
    pub path_prefix: String,
    pub count: u32,
    pub status: Option<u16>,
    pub delay_ms: Option<u64>,
    pub error_type: Option<String>,
}

/// `POST /dev/faults`
pub async fn arm(
    State(state): State<AppState>,
    Input(req): Input<ArmRequest>,
) -> ApiResult<Json<Value>> {
    if !req.path_prefix.starts_with('/') {
        return Err(ApiError::bad_request("`path_prefix` must start with `/`."));
    }
    if req.path_prefix.starts_with("/dev/") {
        return Err(ApiError::bad_request("/dev/ routes cannot be faulted."));
    }
    if !(1..=10_000).contains(&req.count) {
        return Err(ApiError::bad_request(
            "`count` must be between 1 and 10000.",
        ));
    }
    if req.status.is_none() && req.delay_ms.is_none() {
        return Err(ApiError::bad_request("Give `status`, `delay_ms`, or both."));
    }
    if let Some(status) = req.status {
        if !(400..=599).contains(&status) {
            return Err(ApiError::bad_request(
                "`status` must be between 400 and 599.",
            ));
        }
    }
    if req.delay_ms.is_some_and(|d| d > MAX_DELAY_MS) {
        return Err(ApiError::bad_request(format!(
            "`delay_ms` must be at most {MAX_DELAY_MS}."
        )));
    }
    if let Some(error_type) = &req.error_type {
        let ok = !error_type.is_empty()
            && error_type.len() <= 64
            && error_type
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_');
        if !ok {
            return Err(ApiError::bad_request(
                "`error_type` must be lowercase letters and underscores.",
            ));
        }
    }
    state.faults.add(FaultRule {
        path_prefix: req.path_prefix,
        remaining: req.count,
        status: req.status,
        delay_ms: req.delay_ms,
        error_type: req.error_type,
    });
    Ok(Json(serde_json::json!({ "faults": state.faults.list() })))
}

/// `GET /dev/faults`
pub async fn list(State(state): State<AppState>) -> Json<Value> {
    Json(serde_json::json!({ "faults": state.faults.list() }))
}

/// `DELETE /dev/faults`
pub async fn clear(State(state): State<AppState>) -> Json<Value> {
    state.faults.clear();
    Json(serde_json::json!({ "faults": [] }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_count_down_in_order() {
        let faults = Faults::default();
        faults.add(FaultRule {
            path_prefix: "/sdk/v1/sessions".into(),
            remaining: 2,
            status: Some(500),
            delay_ms: None,
            error_type: None,
        });
        faults.add(FaultRule {
            path_prefix: "/sdk/".into(),
            remaining: 1,
            status: None,
            delay_ms: Some(5),
            error_type: None,
        });
        assert!(faults.take("/v1/users").is_none());
        assert_eq!(
            faults.take("/sdk/v1/sessions/authenticate").unwrap().status,
            Some(500)
        );
        assert_eq!(faults.take("/sdk/v1/users/me").unwrap().delay_ms, Some(5));
        assert_eq!(
            faults.take("/sdk/v1/sessions/revoke").unwrap().status,
            Some(500)
        );
        assert!(faults.take("/sdk/v1/sessions/authenticate").is_none());
        assert!(faults.list().is_empty());
    }
}

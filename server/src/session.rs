//! The session engine: resolving a presented token or JWT, starting or extending sessions, minting session JWTs.
//!
//! Every authenticate-type operation ends in [`issue_or_extend`]; session
//! refresh uses [`refresh`]. Database work happens in one short transaction
//! that re-reads the session (so concurrent calls cannot lose a factor);
//! the RSA signature is computed afterwards on the blocking pool.

use serde_json::{Map, Value};

use crate::{
    auth::{jwt, tokens},
    error::{ApiError, ApiResult, ErrorType},
    ids,
    model::{Attributes, AuthenticationFactor, Session},
    state::AppState,
    store::sessions::{self as store, SessionRow},
    validate,
};

/// Lifetime of every session JWT, whatever the session's own length.
pub const JWT_LIFETIME_SECS: i64 = 300;

/// Largest serialized size of a session's custom claims.
pub const MAX_CUSTOM_CLAIMS_BYTES: usize = 4096;

/// Claim names a custom claim may not override.
const RESERVED_CLAIMS: &[&str] = &["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];
const SESSION_CLAIM: &str = "https://stytch.com/session";

/// A live session the caller proved they hold. `token` is set when they
/// presented the opaque token (we keep only its hash, so a JWT alone cannot
/// give it back).
#[derive(Debug, Clone)]
pub struct AuthedSession {
    pub row: SessionRow,
    pub token: Option<String>,
}

/// A session started or extended by an operation, ready for the response.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    pub session: Session,
    /// The opaque token, or `""` when the session was reached by JWT only.
    pub token: String,
    pub jwt: String,
}

fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorType::SessionNotFound, message)
}

/// Finds the live session of an opaque token; 404 `session_not_found` otherwise.
pub async fn resolve_token(state: &AppState, token: String) -> ApiResult<AuthedSession> {
    let hash = tokens::hash_token(&token);
    let now = state.now();
    let row = state
        .db
        .call(move |c| store::find_by_token_hash(c, &hash, now))
        .await?
        .ok_or_else(|| {
            not_found("No live session has this session token (unknown, expired or revoked).")
        })?;
    Ok(AuthedSession {
        row,
        token: Some(token),
    })
}

/// Accepts a validly signed JWT of this project even after its `exp`, as
/// long as the session it names is still live.
pub async fn resolve_jwt(state: &AppState, session_jwt: &str) -> ApiResult<AuthedSession> {
    let claims = jwt::decode_verified(&state.keys, session_jwt)
        .map_err(|e| not_found(format!("The session JWT is not valid: {e}.")))?;
    let project_id = &state.project.project_id;
    let issuer_ok = claims.get("iss").and_then(Value::as_str)
        == Some(format!("stytch.com/{project_id}").as_str());
    let audience_ok = match claims.get("aud") {
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(project_id)),
        Some(Value::String(aud)) => aud == project_id,
        _ => false,
    };
    if !issuer_ok || !audience_ok {
        return Err(not_found("The session JWT was issued for another project."));
    }
    let session_id = claims
        .get(SESSION_CLAIM)
        .and_then(|s| s.get("id"))
        .and_then(Value::as_str)
        .ok_or_else(|| not_found("The session JWT names no session."))?
        .to_string();
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .map(str::to_string);
    let now = state.now();
    let row = state
        .db
        .call(move |c| store::get(c, &session_id, now))
        .await?
        .filter(|row| subject.as_deref() == Some(row.user_id.as_str()))
        .ok_or_else(|| not_found("The session of this JWT has expired or was revoked."))?;
    Ok(AuthedSession { row, token: None })
}

/// The `/v1` convention of passing a session in the body: at most one of
/// `session_token` / `session_jwt` (empty strings count as absent).
pub async fn resolve_args(
    state: &AppState,
    session_token: Option<&str>,
    session_jwt: Option<&str>,
) -> ApiResult<Option<AuthedSession>> {
    let token = session_token.filter(|t| !t.is_empty());
    let jwt = session_jwt.filter(|j| !j.is_empty());
    match (token, jwt) {
        (Some(_), Some(_)) => Err(ApiError::new(
            ErrorType::TooManySessionArguments,
            "Pass either session_token or session_jwt, not both.",
        )),
        (Some(token), None) => resolve_token(state, token.to_string()).await.map(Some),
        (None, Some(jwt)) => resolve_jwt(state, jwt).await.map(Some),
        (None, None) => Ok(None),
    }
}

/// What an authenticate-type operation asks of the engine.
#[derive(Debug, Clone)]
pub struct Grant {
    pub user_id: String,
    /// The factor just proven (magic link, OTP, password, OAuth).
    pub factor: AuthenticationFactor,
    /// `None`: keep an existing session's expiry; without an existing
    /// session, mint none (the `/v1` rule). Validated here (5..=527040).
    pub duration_minutes: Option<i64>,
    /// The caller's current session, if any (see `Caller::existing_session`).
    /// A session of another user is ignored and a fresh one started.
    pub existing: Option<AuthedSession>,
    pub attributes: Attributes,
    /// Merged into the session's custom claims (`null` deletes a key).
    pub custom_claims: Option<Map<String, Value>>,
}

/// Starts a session, or extends the caller's session of the same user by
/// adding the factor (re-proving a factor refreshes its timestamps).
/// Returns `None` when no session was asked for.
pub async fn issue_or_extend(state: &AppState, grant: Grant) -> ApiResult<Option<IssuedSession>> {
    let duration = grant
        .duration_minutes
        .map(validate::session_minutes)
        .transpose()?;
    let existing = grant
        .existing
        .filter(|existing| existing.row.user_id == grant.user_id);
    if existing.is_none() && duration.is_none() {
        return Ok(None);
    }
    let now = state.now();
    let factor = grant.factor;
    let attributes = grant.attributes;
    let claims_patch = grant.custom_claims;

    let (row, token) = match existing {
        Some(existing) => {
            let session_id = existing.row.session_id.clone();
            let row = state
                .db
                .tx(move |tx| {
                    let mut row = store::get(tx, &session_id, now)?.ok_or_else(|| {
                        not_found("The session expired or was revoked during this call.")
                    })?;
                    add_factor(&mut row.factors, factor, now);
                    row.last_accessed_at = now;
                    if let Some(minutes) = duration {
                        row.expires_at = now + minutes * 60;
                    }
                    update_attributes(&mut row.attributes, attributes);
                    if let Some(patch) = claims_patch {
                        merge_custom_claims(&mut row.custom_claims, patch)?;
                    }
                    store::save(tx, &row)?;
                    Ok(row)
                })
                .await?;
            (row, existing.token.unwrap_or_default())
        }
        None => {
            let minutes = duration.unwrap_or(60);
            let mut custom_claims = Map::new();
            if let Some(patch) = claims_patch {
                merge_custom_claims(&mut custom_claims, patch)?;
            }
            let row = SessionRow {
                session_id: ids::new_id("session"),
                user_id: grant.user_id,
                started_at: now,
                last_accessed_at: now,
                expires_at: now + minutes * 60,
                attributes,
                factors: vec![factor],
                custom_claims,
            };
            let token = tokens::new_session_token();
            let hash = tokens::hash_token(&token);
            let to_insert = row.clone();
            state
                .db
                .tx(move |tx| store::insert(tx, &to_insert, &hash))
                .await?;
            (row, token)
        }
    };
    let session = row.to_wire();
    let jwt = mint_jwt(state, &session, now).await?;
    Ok(Some(IssuedSession {
        session,
        token,
        jwt,
    }))
}

/// Session authenticate: touches `last_accessed_at`, sets a new expiry when
/// `duration_minutes` is given (else leaves it), merges custom claims, and
/// mints a fresh JWT.
pub async fn refresh(
    state: &AppState,
    existing: AuthedSession,
    duration_minutes: Option<i64>,
    custom_claims: Option<Map<String, Value>>,
) -> ApiResult<IssuedSession> {
    let duration = duration_minutes
        .map(validate::session_minutes)
        .transpose()?;
    let now = state.now();
    let session_id = existing.row.session_id.clone();
    let row = state
        .db
        .tx(move |tx| {
            let mut row = store::get(tx, &session_id, now)?
                .ok_or_else(|| not_found("The session expired or was revoked during this call."))?;
            row.last_accessed_at = now;
            if let Some(minutes) = duration {
                row.expires_at = now + minutes * 60;
            }
            if let Some(patch) = custom_claims {
                merge_custom_claims(&mut row.custom_claims, patch)?;
            }
            store::save(tx, &row)?;
            Ok(row)
        })
        .await?;
    let session = row.to_wire();
    let jwt = mint_jwt(state, &session, now).await?;
    Ok(IssuedSession {
        session,
        token: existing.token.unwrap_or_default(),
        jwt,
    })
}

/// Revokes a session by id; 404 `session_not_found` if it is not live.
pub async fn revoke(state: &AppState, session_id: String) -> ApiResult<()> {
    let now = state.now();
    let revoked = state
        .db
        .tx(move |tx| {
            Ok(store::get(tx, &session_id, now)?.is_some() && store::delete(tx, &session_id)?)
        })
        .await?;
    if revoked {
        Ok(())
    } else {
        Err(not_found("No live session with this id."))
    }
}

/// Signs the session JWT on the blocking pool (RSA is CPU work).
pub async fn mint_jwt(state: &AppState, session: &Session, now: i64) -> ApiResult<String> {
    let claims = session_claims(&state.project.project_id, session, now);
    let key = state.keys.signer();
    tokio::task::spawn_blocking(move || jwt::encode(&key, &claims))
        .await
        .map_err(|e| ApiError::internal(format_args!("signing task failed: {e}")))
}

/// The JWT claims of protocol.md: custom claims at the top level, the
/// registered claims and the session object over them.
pub fn session_claims(project_id: &str, session: &Session, now: i64) -> Map<String, Value> {
    let mut claims = match &session.custom_claims {
        Value::Object(custom) => custom.clone(),
        _ => Map::new(),
    };
    claims.insert("aud".into(), serde_json::json!([project_id]));
    claims.insert("iss".into(), format!("stytch.com/{project_id}").into());
    claims.insert("sub".into(), session.user_id.clone().into());
    claims.insert("iat".into(), now.into());
    claims.insert("nbf".into(), now.into());
    claims.insert("exp".into(), (now + JWT_LIFETIME_SECS).into());
    claims.insert(
        SESSION_CLAIM.into(),
        serde_json::json!({
            "id": session.session_id,
            "started_at": session.started_at,
            "last_accessed_at": session.last_accessed_at,
            "expires_at": session.expires_at,
            "attributes": session.attributes,
            "authentication_factors": session.authentication_factors,
            "roles": session.roles,
        }),
    );
    claims
}

/// Merges a custom-claims patch: `null` deletes a key, reserved names are
/// ignored, and the result must stay within 4 KB.
pub fn merge_custom_claims(
    claims: &mut Map<String, Value>,
    patch: Map<String, Value>,
) -> ApiResult<()> {
    for (key, value) in patch {
        if RESERVED_CLAIMS.contains(&key.as_str()) || key.starts_with("https://stytch.com/") {
            continue;
        }
        if value.is_null() {
            claims.remove(&key);
        } else {
            claims.insert(key, value);
        }
    }
    let size = Value::Object(claims.clone()).to_string().len();
    if size > MAX_CUSTOM_CLAIMS_BYTES {
        return Err(ApiError::new(
            ErrorType::InvalidSessionCustomClaims,
            format!(
                "session_custom_claims may total at most {MAX_CUSTOM_CLAIMS_BYTES} bytes (got {size})."
            ),
        ));
    }
    Ok(())
}

fn add_factor(factors: &mut Vec<AuthenticationFactor>, factor: AuthenticationFactor, now: i64) {
    match factors.iter_mut().find(|f| f.same_factor_as(&factor)) {
        Some(known) => {
            known.last_authenticated_at = factor.last_authenticated_at;
            known.updated_at = crate::clock::Timestamp(now);
        }
        None => factors.push(factor),
    }
}

fn update_attributes(current: &mut Attributes, latest: Attributes) {
    if !latest.ip_address.is_empty() {
        current.ip_address = latest.ip_address;
    }
    if !latest.user_agent.is_empty() {
        current.user_agent = latest.user_agent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FactorType;

    #[test]
    fn custom_claims_merge_rules() {
        let mut claims = Map::new();
        let patch = serde_json::json!({"role": "admin", "sub": "evil", "https://stytch.com/session": 1, "gone": null});
        merge_custom_claims(&mut claims, patch.as_object().cloned().unwrap()).unwrap();
        assert_eq!(
            Value::Object(claims.clone()),
            serde_json::json!({"role": "admin"})
        );
        let patch = serde_json::json!({"role": null});
        merge_custom_claims(&mut claims, patch.as_object().cloned().unwrap()).unwrap();
        assert!(claims.is_empty());
        let big = serde_json::json!({"blob": "x".repeat(5000)});
        let err = merge_custom_claims(&mut claims, big.as_object().cloned().unwrap()).unwrap_err();
        assert!(err.is(ErrorType::InvalidSessionCustomClaims));
    }

    #[test]
    fn factors_accumulate_without_duplicates() {
        let mut factors = vec![AuthenticationFactor::email(
            FactorType::MagicLink,
            "e1",
            "a@b.co",
            10,
        )];
        add_factor(
            &mut factors,
            AuthenticationFactor::email(FactorType::MagicLink, "e1", "a@b.co", 20),
            20,
        );
        assert_eq!(factors.len(), 1);
        assert_eq!(factors[0].last_authenticated_at.0, 20);
        assert_eq!(factors[0].created_at.0, 10);
        add_factor(
            &mut factors,
            AuthenticationFactor::password("e1", "a@b.co", 30),
            30,
        );
        assert_eq!(factors.len(), 2);
    }

    #[test]
    fn claims_follow_the_protocol() {
        let session = SessionRow {
            session_id: "session-test-1".into(),
            user_id: "user-test-1".into(),
            started_at: 100,
            last_accessed_at: 100,
            expires_at: 100 + 3600,
            attributes: Attributes::default(),
            factors: vec![],
            custom_claims: serde_json::json!({"tier": "gold", "iss": "x"})
                .as_object()
                .cloned()
                .unwrap(),
        }
        .to_wire();
        let claims = session_claims("project-test-1", &session, 1000);
        assert_eq!(claims["aud"], serde_json::json!(["project-test-1"]));
        assert_eq!(claims["iss"], "stytch.com/project-test-1");
        assert_eq!(claims["sub"], "user-test-1");
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            300
        );
        assert_eq!(claims["nbf"], claims["iat"]);
        assert_eq!(claims["tier"], "gold");
        let s = &claims[SESSION_CLAIM];
        assert_eq!(s["id"], "session-test-1");
        assert_eq!(s["expires_at"], "1970-01-01T01:01:40Z");
        assert_eq!(s["roles"], serde_json::json!([]));
    }
}

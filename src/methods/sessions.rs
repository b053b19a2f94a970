//! `session.authenticate`, `session.revoke`, `session.updateSession`.

use std::rc::Rc;

use crate::core::errors::SdkError;
use crate::core::json::Json;
use crate::core::schema::{self, optional, required, Kind};
use crate::platform::Platform;
use crate::session::Driver;

fn no_session() -> SdkError {
    SdkError::usage("There is no session: sign in first")
}

/// Refreshes the session now, sharing a refresh already in flight.
pub async fn authenticate<P: Platform + 'static>(
    driver: &Rc<Driver<P>>,
    args: Json,
) -> Result<Json, SdkError> {
    let body = schema::body(
        &args,
        &[optional("session_duration_minutes", Kind::Duration)],
    )?;
    let duration = body.get("session_duration_minutes").and_then(Json::as_i64);
    let token = driver.session_token().ok_or_else(no_session)?;
    driver.refresh(token, duration).wait().await
}

/// Revokes the session at the server and clears it here. A session the
/// server no longer knows counts as revoked; with `forceClear` the local
/// session is cleared even when the server cannot be told (the error is
/// still reported).
pub async fn revoke<P: Platform + 'static>(
    driver: &Rc<Driver<P>>,
    args: Json,
) -> Result<Json, SdkError> {
    let body = schema::body(&args, &[optional("forceClear", Kind::Bool)])?;
    let force_clear = body.get("forceClear").and_then(Json::as_bool) == Some(true);
    if driver.session_token().is_none() {
        return Ok(Json::Obj(Vec::new()));
    }
    let result = driver
        .request("POST", "/sessions/revoke", Some(Json::Obj(Vec::new())))
        .await;
    match result {
        Ok(reply) => {
            driver.step(|m, now| m.signed_out(now));
            Ok(reply.data)
        }
        Err(err) if err.ends_session() => {
            driver.step(|m, now| m.signed_out(now));
            Ok(Json::Obj(Vec::new()))
        }
        Err(err) => {
            if force_clear {
                driver.step(|m, now| m.signed_out(now));
            }
            Err(err)
        }
    }
}

/// Adopts tokens obtained elsewhere (e.g. from a server-side sign-in) and
/// resolves once the server has confirmed them.
pub async fn update<P: Platform + 'static>(
    driver: &Rc<Driver<P>>,
    args: Json,
) -> Result<Json, SdkError> {
    let body = schema::body(
        &args,
        &[
            required("session_token", Kind::Text),
            optional("session_jwt", Kind::Str),
        ],
    )?;
    let token = body
        .str_field("session_token")
        .unwrap_or_default()
        .to_string();
    let jwt = body
        .str_field("session_jwt")
        .unwrap_or_default()
        .to_string();
    let for_machine = (token.clone(), jwt);
    driver.step(move |m, now| m.update_session(now, for_machine.0, for_machine.1));
    let duration = if driver.options().keep_session_alive {
        driver.snapshot().auth.and_then(|a| a.duration_minutes)
    } else {
        None
    };
    match driver.joinable(&token, duration) {
        Some(flight) => flight.wait().await,
        None => Err(no_session()),
    }
}

//! `session.authenticate`, `session.revoke`, `session.updateSession`.

use super::{no_session, Step};
use crate::core::errors::SdkError;
use crate::core::json;
use crate::core::schema::{self, optional, required, Kind};
use crate::platform::Platform;
use crate::session::{Driver, Outcome, Then};
use crate::transport::Reply;

/// Refreshes the session now, sharing a refresh already in flight.
pub fn authenticate<P: Platform>(driver: &Driver<P>, call: u32, args: &str) -> Option<Outcome> {
    let body = match schema::body(
        args,
        &[optional("session_duration_minutes", Kind::Duration)],
    ) {
        Ok(body) => body,
        Err(err) => return Some(Err(err)),
    };
    let duration = json::get(&body, "session_duration_minutes").and_then(json::int);
    let Some(token) = driver.session_token() else {
        return Some(Err(no_session()));
    };
    driver.refresh(token, duration, call, true);
    None
}

/// Revokes the session at the server, then clears it here.
pub fn revoke<P: Platform>(driver: &Driver<P>, call: u32, args: &str) -> Option<Outcome> {
    let body = match schema::body(args, &[optional("forceClear", Kind::Bool)]) {
        Ok(body) => body,
        Err(err) => return Some(Err(err)),
    };
    if driver.session_token().is_none() {
        return Some(Ok("{}".into()));
    }
    let force_clear = json::get(&body, "forceClear") == Some("true");
    let step = Step::Revoke { force_clear };
    driver.send(
        "POST",
        "/sessions/revoke",
        Some("{}".into()),
        Then::Call { call, step },
    );
    None
}

/// A session the server no longer knows counts as revoked; with
/// `forceClear` the local session is cleared even when the server could not
/// be told (the error is still reported).
pub fn revoked<P: Platform>(
    driver: &Driver<P>,
    force_clear: bool,
    reply: Result<Reply, SdkError>,
) -> Outcome {
    let outcome = match reply {
        Ok(reply) => Ok(reply.data),
        Err(err) if err.ends_session() => Ok("{}".into()),
        Err(err) => Err(err),
    };
    if outcome.is_ok() || force_clear {
        driver.step(|m, now| m.signed_out(now));
    }
    outcome
}

/// Adopts tokens obtained elsewhere (e.g. a server-side sign-in) and settles
/// once the server has confirmed them.
pub fn update<P: Platform>(driver: &Driver<P>, call: u32, args: &str) -> Option<Outcome> {
    let fields = [
        required("session_token", Kind::Text),
        optional("session_jwt", Kind::Str),
    ];
    let body = match schema::body(args, &fields) {
        Ok(body) => body,
        Err(err) => return Some(Err(err)),
    };
    let token = json::str_field(&body, "session_token").unwrap_or_default();
    let jwt = json::str_field(&body, "session_jwt").unwrap_or_default();
    let adopted = token.clone();
    driver.step(move |m, now| m.update_session(now, adopted, jwt));
    // The machine started the confirming refresh (without a duration: the
    // adopted session has none yet): wait for it.
    if driver.refresh(token, None, call, false) {
        None
    } else {
        Some(Err(no_session()))
    }
}

//! `user.get` and `user.update` (the signed-in user, `/users/me`).

use super::{no_session, Step};
use crate::core::errors::SdkError;
use crate::core::json::{self, Object};
use crate::core::schema::{self, optional, Kind};
use crate::platform::Platform;
use crate::session::{Driver, Outcome, Then};
use crate::transport::Reply;

pub fn get<P: Platform>(driver: &Driver<P>, call: u32) -> Option<Outcome> {
    if driver.session_token().is_none() {
        return Some(Err(no_session()));
    }
    driver.send(
        "GET",
        "/users/me",
        None,
        Then::Call {
            call,
            step: Step::UserGet,
        },
    );
    None
}

/// The user from `users/me`, which answers with the user itself beside the
/// envelope's bookkeeping fields; the cached copy is refreshed with it.
pub fn got<P: Platform>(driver: &Driver<P>, reply: Result<Reply, SdkError>) -> Outcome {
    let data = reply?.data;
    let user = match crate::core::response::user_update(&data) {
        Some(user) => user.into(),
        None => json::members(&data)
            .filter(|(key, _)| {
                !json::key_is(key, "request_id") && !json::key_is(key, "status_code")
            })
            .fold(Object::new(), |o, (key, value)| {
                o.raw(&json::string_body(key), value)
            })
            .finish(),
    };
    driver.step(|m, now| m.user_updated(now, &user));
    Ok(user)
}

pub fn update<P: Platform>(driver: &Driver<P>, call: u32, args: &str) -> Option<Outcome> {
    let body = match schema::body(
        args,
        &[
            optional("name", Kind::Name),
            optional("untrusted_metadata", Kind::Object),
        ],
    ) {
        Ok(body) => body,
        Err(err) => return Some(Err(err)),
    };
    if driver.session_token().is_none() {
        return Some(Err(no_session()));
    }
    driver.send(
        "PUT",
        "/users/me",
        Some(body),
        Then::Call {
            call,
            step: Step::UserUpdate,
        },
    );
    None
}

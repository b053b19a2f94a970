//! `user.get` and `user.update` (the signed-in user, `/users/me`).

use std::rc::Rc;

use crate::core::errors::SdkError;
use crate::core::json::Json;
use crate::core::schema::{self, optional, Kind};
use crate::platform::Platform;
use crate::session::Driver;

/// Fetches the user and refreshes the cached copy.
pub async fn get<P: Platform + 'static>(driver: &Rc<Driver<P>>) -> Result<Json, SdkError> {
    if driver.session_token().is_none() {
        return Err(SdkError::usage("There is no session: sign in first"));
    }
    let mut data = driver.request("GET", "/users/me", None).await?.data;
    let user = match driver.absorb_user(&mut data) {
        Some(user) => user,
        None => {
            // `users/me` answers with the user itself, beside the envelope's
            // bookkeeping fields.
            let mut user = data.clone();
            user.take("request_id");
            user.take("status_code");
            let for_machine = user.clone();
            driver.step(|m, now| m.user_updated(now, for_machine));
            user
        }
    };
    Ok(user)
}

/// Updates the user's name and untrusted metadata.
pub async fn update<P: Platform + 'static>(
    driver: &Rc<Driver<P>>,
    args: Json,
) -> Result<Json, SdkError> {
    let body = schema::body(
        &args,
        &[
            optional("name", Kind::Name),
            optional("untrusted_metadata", Kind::Object),
        ],
    )?;
    if driver.session_token().is_none() {
        return Err(SdkError::usage("There is no session: sign in first"));
    }
    let mut data = driver.request("PUT", "/users/me", Some(body)).await?.data;
    driver.absorb_user(&mut data);
    Ok(data)
}

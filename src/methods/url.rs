//! Sign-in from the URL: a magic link or an OAuth redirect lands on the app
//! with `stytch_token_type` and `token`. The token leaves the address bar
//! before the request is sent, and a second call for the same URL (a double
//! mount) shares the first one's request.

use std::rc::Rc;

use crate::core::errors::SdkError;
use crate::core::json::{object, Json};
use crate::core::schema::{self, optional, required, Kind};
use crate::core::url::{find_token, strip_token, UrlToken};
use crate::platform::Platform;
use crate::session::{Driver, Shared};

/// `{"stytch_token_type", "token"}` for a URL that carries one, else `null`.
pub fn parse_url(href: &str) -> Json {
    match find_token(href) {
        Some(UrlToken { token_type, token }) => object([
            ("stytch_token_type", Some(Json::str(token_type))),
            ("token", Some(Json::str(token))),
        ]),
        None => Json::Null,
    }
}

/// The outcome for the app: `null` when the URL carries no token;
/// `{handled: true, token_type, data}` after signing in;
/// `{handled: false, token_type, token}` for tokens the app must use itself
/// (password resets) or does not know.
pub async fn authenticate<P: Platform + 'static>(
    driver: &Rc<Driver<P>>,
    args: Json,
) -> Result<Json, SdkError> {
    let body = schema::body(
        &args,
        &[
            required("session_duration_minutes", Kind::Duration),
            optional("href", Kind::Str),
        ],
    )?;
    let href = body
        .str_field("href")
        .map(str::to_string)
        .unwrap_or_else(|| driver.platform().href());
    let existing = driver
        .url_flights
        .borrow()
        .iter()
        .find(|(seen, _)| *seen == href)
        .map(|(_, shared)| shared.clone());
    if let Some(shared) = existing {
        return shared.wait().await;
    }
    let Some(UrlToken { token_type, token }) = find_token(&href) else {
        return Ok(Json::Null);
    };
    let stripped = strip_token(&href);
    if driver.platform().href() == href {
        driver.platform().replace_url(&stripped);
    }
    let shared = Rc::new(Shared::default());
    driver
        .url_flights
        .borrow_mut()
        .extend([(href, shared.clone()), (stripped, shared.clone())]);
    let op = match token_type.as_str() {
        "magic_links" => Some("magic_links.authenticate"),
        "oauth" => Some("oauth.authenticate"),
        _ => None,
    };
    let outcome = match op {
        Some(op) => {
            let args = object([
                ("token", Some(Json::str(&token))),
                (
                    "session_duration_minutes",
                    body.get("session_duration_minutes").cloned(),
                ),
            ]);
            Box::pin(super::call(driver, op, args)).await.map(|data| {
                object([
                    ("handled", Some(Json::Bool(true))),
                    ("token_type", Some(Json::str(&token_type))),
                    ("data", Some(data)),
                ])
            })
        }
        None => Ok(object([
            ("handled", Some(Json::Bool(false))),
            ("token_type", Some(Json::str(&token_type))),
            ("token", Some(Json::str(&token))),
        ])),
    };
    shared.complete(outcome.clone());
    outcome
}

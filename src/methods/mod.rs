//! The SDK's methods: each validates its input, builds a request, and feeds
//! the answer to the session. Most are rows of an endpoint table; the few
//! with their own flow (sessions, users, OAuth start, sign-in from the URL)
//! have their own functions.

mod magic_links;
mod oauth;
mod otps;
mod passwords;
mod pkce;
mod sessions;
mod url;
mod users;

use std::rc::Rc;

use crate::core::errors::SdkError;
use crate::core::json::Json;
use crate::core::schema::{self, Field};
use crate::platform::Platform;
use crate::session::Driver;

pub use url::parse_url;

/// What a successful answer means for the session.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// An authenticate-type answer: it establishes a session.
    SignIn,
    /// Anything else; a `__user` in it still refreshes the cached user.
    None,
}

/// One API method whose flow is: validate, send, apply.
struct Endpoint {
    op: &'static str,
    method: &'static str,
    path: &'static str,
    /// Used instead of `path` while signed in (send to a secondary factor).
    signed_in_path: Option<&'static str>,
    fields: &'static [Field],
    effect: Effect,
    pkce: Option<pkce::Step>,
    /// Redirect URL fields that default to the current page when omitted.
    default_urls: &'static [&'static str],
}

const fn endpoint(
    op: &'static str,
    path: &'static str,
    fields: &'static [Field],
    effect: Effect,
) -> Endpoint {
    Endpoint {
        op,
        method: "POST",
        path,
        signed_in_path: None,
        fields,
        effect,
        pkce: None,
        default_urls: &[],
    }
}

fn find(op: &str) -> Option<&'static Endpoint> {
    [
        magic_links::ENDPOINTS,
        otps::ENDPOINTS,
        passwords::ENDPOINTS,
        oauth::ENDPOINTS,
    ]
    .into_iter()
    .flatten()
    .find(|e| e.op == op)
}

/// Runs the method named `op` (e.g. `passwords.authenticate`) with `args`.
pub async fn call<P: Platform + 'static>(
    driver: &Rc<Driver<P>>,
    op: &str,
    args: Json,
) -> Result<Json, SdkError> {
    if let Some(endpoint) = find(op) {
        return run(driver, endpoint, args).await;
    }
    match op {
        "session.authenticate" => sessions::authenticate(driver, args).await,
        "session.revoke" => sessions::revoke(driver, args).await,
        "session.updateSession" => sessions::update(driver, args).await,
        "user.get" => users::get(driver).await,
        "user.update" => users::update(driver, args).await,
        "oauth.start" => oauth::start(driver, args).await,
        "authenticateByUrl" => url::authenticate(driver, args).await,
        _ => Err(SdkError::usage("Unknown SDK method")),
    }
}

/// Omitted redirect URLs bring the user back to the page that started the
/// flow, so a flow works without any dashboard-style configuration.
fn fill_redirect_urls<P: Platform + 'static>(
    driver: &Rc<Driver<P>>,
    body: &mut Json,
    fields: &[&str],
) {
    if fields.is_empty() {
        return;
    }
    let href = driver.platform().href();
    let page = href.split(['?', '#']).next().unwrap_or_default();
    for field in fields {
        if body.get(field).is_none() {
            body.set(field, Json::str(page));
        }
    }
}

async fn run<P: Platform + 'static>(
    driver: &Rc<Driver<P>>,
    endpoint: &Endpoint,
    args: Json,
) -> Result<Json, SdkError> {
    let mut body = schema::body(&args, endpoint.fields)?;
    fill_redirect_urls(driver, &mut body, endpoint.default_urls);
    let path = match endpoint.signed_in_path {
        Some(path) if driver.session_token().is_some() => path,
        _ => endpoint.path,
    };
    if let Some(step) = endpoint.pkce {
        pkce::prepare(driver, step, &mut body).await?;
    }
    let duration = body.get("session_duration_minutes").and_then(Json::as_i64);
    let reply = driver.request(endpoint.method, path, Some(body)).await;
    if let Some(step) = endpoint.pkce {
        pkce::settle(driver, step, &reply);
    }
    let reply = reply?;
    match endpoint.effect {
        Effect::SignIn => driver.authenticated(reply, duration),
        Effect::None => {
            let mut data = reply.data;
            driver.absorb_user(&mut data);
            Ok(data)
        }
    }
}

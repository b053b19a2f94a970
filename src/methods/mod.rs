//! The SDK's methods. Each validates its input, sends a request, and on the
//! answer updates the session and settles the app's promise. Most are rows
//! of an endpoint table; sessions, users, OAuth start and sign-in from the
//! URL have their own flows. Without async, a flow that spans several
//! requests is a `Step` kept with the request in flight.

mod magic_links;
mod oauth;
mod otps;
mod passwords;
mod pkce;
mod sessions;
mod url;
mod users;

use crate::prelude::*;

use crate::core::errors::SdkError;
use crate::core::schema::{self, Field};
use crate::core::{json, text};
use crate::platform::Platform;
use crate::session::{Driver, Outcome, Then};
use crate::transport::Reply;

pub use url::UrlMemo;

/// What a successful answer means for the session.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// An authenticate-type answer: it establishes a session.
    SignIn,
    /// Anything else; a `__user` in it still refreshes the cached user.
    None,
}

/// One API method whose flow is: validate, send, apply.
pub struct Endpoint {
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

/// Where a call is when its request answers.
pub enum Step {
    /// The project's bootstrap arrived: plan the endpoint again with it.
    Bootstrap {
        endpoint: &'static Endpoint,
        args: String,
        url: bool,
    },
    /// The endpoint answered.
    Finish {
        endpoint: &'static Endpoint,
        duration: Option<i64>,
        url: bool,
    },
    Revoke {
        force_clear: bool,
    },
    UserGet,
    UserUpdate,
}

/// Why a call that needs a session cannot run without one.
fn no_session() -> SdkError {
    SdkError::Usage("There is no session: sign in first")
}

/// Starts app call `call`: method `op` with the options object `args`
/// (JSON text). Its outcome is settled through the host, at once or when
/// the answers it waits for arrive.
pub fn begin<P: Platform>(driver: &Driver<P>, call: u32, op: &str, args: &str) {
    let outcome = match find(op) {
        Some(endpoint) => plan(driver, call, endpoint, args, false),
        None => match op {
            "session.authenticate" => sessions::authenticate(driver, call, args),
            "session.revoke" => sessions::revoke(driver, call, args),
            "session.updateSession" => sessions::update(driver, call, args),
            "user.get" => users::get(driver, call),
            "user.update" => users::update(driver, call, args),
            "oauth.start" => Some(oauth::start(driver, args)),
            "authenticateByUrl" => url::authenticate(driver, call, args),
            _ => Some(Err(SdkError::Usage("Unknown SDK method"))),
        },
    };
    if let Some(outcome) = outcome {
        driver.settle(call, &outcome);
    }
}

/// Continues call `call` with the answer to the request it waited for.
pub fn resume<P: Platform>(
    driver: &Driver<P>,
    call: u32,
    step: Step,
    reply: Result<Reply, SdkError>,
) {
    let (outcome, url) = match step {
        Step::Bootstrap {
            endpoint,
            args,
            url,
        } => match reply {
            Ok(reply) => {
                *driver.bootstrap.borrow_mut() = Some(reply.data);
                (plan(driver, call, endpoint, &args, url), url)
            }
            Err(err) => (Some(Err(err)), url),
        },
        Step::Finish {
            endpoint,
            duration,
            url,
        } => {
            if let Some(step) = endpoint.pkce {
                pkce::settle(driver, step, &reply);
            }
            let outcome = reply.and_then(|reply| match endpoint.effect {
                Effect::SignIn => driver.authenticated(reply, duration),
                Effect::None => {
                    driver.absorb_user(&reply.data);
                    Ok(reply.data)
                }
            });
            (Some(outcome), url)
        }
        Step::Revoke { force_clear } => {
            (Some(sessions::revoked(driver, force_clear, reply)), false)
        }
        Step::UserGet => (Some(users::got(driver, reply)), false),
        Step::UserUpdate => (
            Some(reply.map(|reply| {
                driver.absorb_user(&reply.data);
                reply.data
            })),
            false,
        ),
    };
    match (outcome, url) {
        (Some(outcome), true) => url::finished(driver, call, outcome),
        (Some(outcome), false) => driver.settle(call, &outcome),
        (None, _) => {}
    }
}

/// Validates the call and sends its request; `Some` when it ended at once.
fn plan<P: Platform>(
    driver: &Driver<P>,
    call: u32,
    endpoint: &'static Endpoint,
    args: &str,
    url: bool,
) -> Option<Outcome> {
    let mut body = match schema::body(args, endpoint.fields) {
        Ok(body) => body,
        Err(err) => return Some(Err(err)),
    };
    fill_redirect_urls(driver, &mut body, endpoint.default_urls);
    if let Some(step) = endpoint.pkce {
        if !pkce::prepare(driver, step, &mut body) {
            let step = Step::Bootstrap {
                endpoint,
                args: args.into(),
                url,
            };
            driver.send(
                "GET",
                &pkce::bootstrap_path(driver),
                None,
                Then::Call { call, step },
            );
            return None;
        }
    }
    let duration = json::get(&body, "session_duration_minutes").and_then(json::int);
    let path = match endpoint.signed_in_path {
        Some(path) if driver.session_token().is_some() => path,
        _ => endpoint.path,
    };
    let step = Step::Finish {
        endpoint,
        duration,
        url,
    };
    driver.send(endpoint.method, path, Some(body), Then::Call { call, step });
    None
}

/// Omitted redirect URLs bring the user back to the page that started the
/// flow, so a flow works without any dashboard-style configuration.
fn fill_redirect_urls<P: Platform>(driver: &Driver<P>, body: &mut String, fields: &[&str]) {
    if fields.is_empty() {
        return;
    }
    let href = driver.platform().href();
    let page = text::until(&href, |b| b == b'?' || b == b'#');
    for field in fields {
        if json::get(body, field).is_none() {
            let mut quoted = String::new();
            json::quote(page, &mut quoted);
            json::push_member(body, field, &quoted);
        }
    }
}

//! Sign-in from the URL: a magic link or an OAuth redirect lands on the app
//! with `stytch_token_type` and `token`. The token leaves the address bar
//! before the request is sent, and a second call for the same URL (a double
//! mount) shares the first one's outcome instead of spending the token twice.

use crate::prelude::*;

use crate::core::json::{self, Object};
use crate::core::schema::{self, optional, required, Kind};
use crate::core::url::{find_token, strip_token, UrlToken};
use crate::platform::Platform;
use crate::session::{Driver, Outcome};

/// One URL's sign-in: the hrefs it answers for (before and after
/// stripping), the calls waiting, and the outcome once known.
pub struct UrlMemo {
    hrefs: [String; 2],
    token_type: String,
    pub waiters: Vec<u32>,
    outcome: Option<Outcome>,
}

/// The outcome for the app: `null` when the URL carries no token;
/// `{handled: true, tokenType, data}` after signing in;
/// `{handled: false, tokenType, token}` for tokens the app must use itself
/// (password resets) or does not know.
pub fn authenticate<P: Platform>(driver: &Driver<P>, call: u32, args: &str) -> Option<Outcome> {
    let fields = [
        required("session_duration_minutes", Kind::Duration),
        optional("href", Kind::Str),
    ];
    let body = match schema::body(args, &fields) {
        Ok(body) => body,
        Err(err) => return Some(Err(err)),
    };
    let href = json::str_field(&body, "href").unwrap_or_else(|| driver.platform().href());
    for memo in driver.url_memos.borrow_mut().iter_mut() {
        if memo.hrefs.contains(&href) {
            if memo.outcome.is_none() {
                memo.waiters.push(call);
            }
            return memo.outcome.clone();
        }
    }
    let Some(UrlToken { token_type, token }) = find_token(&href) else {
        return Some(Ok("null".into()));
    };
    let stripped = strip_token(&href);
    if driver.platform().href() == href {
        driver.platform().replace_url(&stripped);
    }
    driver.url_memos.borrow_mut().push(UrlMemo {
        hrefs: [href, stripped],
        token_type: token_type.clone(),
        waiters: vec![call],
        outcome: None,
    });
    let op = match token_type.as_str() {
        "magic_links" => "magic_links.authenticate",
        "oauth" => "oauth.authenticate",
        _ => {
            let unhandled = Object::new()
                .bool("handled", false)
                .str("tokenType", &token_type)
                .str("token", &token)
                .finish();
            finished(driver, call, Ok(unhandled));
            return None;
        }
    };
    let args = Object::new()
        .str("token", &token)
        .raw(
            "session_duration_minutes",
            json::get(&body, "session_duration_minutes").unwrap_or("null"),
        )
        .finish();
    let endpoint = super::find(op)?;
    if let Some(outcome) = super::plan(driver, call, endpoint, &args, true) {
        finished(driver, call, outcome);
    }
    None
}

/// The URL sign-in started by `call` ended: every call waiting on it gets
/// the outcome, and later calls for the same URL will too.
pub fn finished<P: Platform>(driver: &Driver<P>, call: u32, outcome: Outcome) {
    let waiters = {
        let mut memos = driver.url_memos.borrow_mut();
        let Some(memo) = memos
            .iter_mut()
            .find(|m| m.outcome.is_none() && m.waiters.first() == Some(&call))
        else {
            return;
        };
        let outcome = outcome.map(|data| {
            if data.starts_with("{\"handled\"") {
                data
            } else {
                Object::new()
                    .bool("handled", true)
                    .str("tokenType", &memo.token_type)
                    .raw("data", &data)
                    .finish()
            }
        });
        memo.outcome = Some(outcome.clone());
        (core::mem::take(&mut memo.waiters), outcome)
    };
    for waiter in waiters.0 {
        driver.settle(waiter, &waiters.1);
    }
}

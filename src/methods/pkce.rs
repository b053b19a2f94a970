//! PKCE across a redirect: the verifier is kept per public token and flow in
//! localStorage from the start of a flow until its authenticate call.

use crate::prelude::*;

use crate::core::errors::SdkError;
use crate::core::{json, pkce, text, url};
use crate::platform::Platform;
use crate::session::Driver;
use crate::transport::Reply;

/// A flow that crosses a redirect.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    MagicLink,
    PasswordReset,
    OAuth,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Starting the flow: send a challenge (when the project asks for PKCE).
    Start(Flow),
    /// Finishing it: send the verifier kept at the start, if any.
    Finish(Flow),
}

impl Flow {
    fn key(self) -> &'static str {
        match self {
            Flow::MagicLink => "pkce:magic_links",
            Flow::PasswordReset => "pkce:reset_password",
            Flow::OAuth => "pkce:oauth",
        }
    }

    /// The bootstrap setting that makes PKCE mandatory for this flow.
    fn bootstrap_field(self) -> &'static str {
        match self {
            Flow::MagicLink => "pkce_required_for_email_magic_links",
            Flow::PasswordReset => "pkce_required_for_password_resets",
            Flow::OAuth => "pkce_required_for_oauth",
        }
    }
}

pub fn bootstrap_path<P: Platform>(driver: &Driver<P>) -> String {
    text::concat(&[
        "/projects/bootstrap/",
        &url::encode_component(&driver.options().public_token),
    ])
}

/// Starts a flow: a fresh verifier is stored and its challenge returned.
pub fn begin<P: Platform>(driver: &Driver<P>, flow: Flow) -> String {
    let mut random = [0u8; 32];
    driver.platform().fill(&mut random);
    let verifier = pkce::verifier(&random);
    driver
        .platform()
        .set(&driver.storage_key(flow.key()), &verifier);
    pkce::challenge(&verifier)
}

/// Adds `code_challenge` or `code_verifier` to a request body. False when
/// the project's bootstrap must be fetched first to know.
pub fn prepare<P: Platform>(driver: &Driver<P>, step: Step, body: &mut String) -> bool {
    let (field, value) = match step {
        Step::Start(flow) => {
            let required = match driver.bootstrap.borrow().as_deref() {
                Some(settings) => json::get(settings, flow.bootstrap_field()) == Some("true"),
                None => return false,
            };
            if !required {
                // A verifier left from an earlier flow would not match this one.
                driver.platform().remove(&driver.storage_key(flow.key()));
                return true;
            }
            ("code_challenge", begin(driver, flow))
        }
        Step::Finish(flow) => match driver.platform().get(&driver.storage_key(flow.key())) {
            Some(verifier) => ("code_verifier", verifier),
            None => return true,
        },
    };
    let mut quoted = String::new();
    json::quote(&value, &mut quoted);
    json::push_member(body, field, &quoted);
    true
}

/// After an authenticate call the server has seen the verifier: it is
/// deleted, unless the request never arrived (a network error), so that
/// retrying remains possible.
pub fn settle<P: Platform>(driver: &Driver<P>, step: Step, reply: &Result<Reply, SdkError>) {
    if let Step::Finish(flow) = step {
        if !matches!(reply, Err(SdkError::Network(_))) {
            driver.platform().remove(&driver.storage_key(flow.key()));
        }
    }
}

//! PKCE across a redirect: the verifier is kept per public token and flow in
//! localStorage from the start of a flow until its authenticate call.

use std::rc::Rc;

use crate::core::errors::SdkError;
use crate::core::json::Json;
use crate::core::pkce;
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

/// The project's settings, fetched once per client.
async fn bootstrap<P: Platform + 'static>(driver: &Rc<Driver<P>>) -> Result<Json, SdkError> {
    if let Some(settings) = driver.bootstrap.borrow().clone() {
        return Ok(settings);
    }
    let mut path = String::from("/projects/bootstrap/");
    path.push_str(&crate::core::url::encode_component(
        &driver.options().public_token,
    ));
    let settings = driver.request("GET", &path, None).await?.data;
    *driver.bootstrap.borrow_mut() = Some(settings.clone());
    Ok(settings)
}

/// Starts a flow: a fresh verifier is stored and its challenge returned.
pub fn begin<P: Platform + 'static>(driver: &Rc<Driver<P>>, flow: Flow) -> String {
    let mut random = [0u8; 32];
    driver.platform().fill(&mut random);
    let verifier = pkce::verifier(&random);
    driver
        .platform()
        .set(&driver.storage_key(flow.key()), &verifier);
    pkce::challenge(&verifier)
}

/// Adds `code_challenge` or `code_verifier` to a request body.
pub async fn prepare<P: Platform + 'static>(
    driver: &Rc<Driver<P>>,
    step: Step,
    body: &mut Json,
) -> Result<(), SdkError> {
    match step {
        Step::Start(flow) => {
            let settings = bootstrap(driver).await?;
            if settings.get(flow.bootstrap_field()).and_then(Json::as_bool) == Some(true) {
                body.set("code_challenge", Json::str(begin(driver, flow)));
            } else {
                // A verifier left from an earlier flow would not match this one.
                driver.platform().remove(&driver.storage_key(flow.key()));
            }
        }
        Step::Finish(flow) => {
            if let Some(verifier) = driver.platform().get(&driver.storage_key(flow.key())) {
                body.set("code_verifier", Json::str(verifier));
            }
        }
    }
    Ok(())
}

/// After an authenticate call the server has seen the verifier: it is
/// deleted, unless the request never arrived (a network error), so that
/// retrying remains possible.
pub fn settle<P: Platform + 'static>(
    driver: &Rc<Driver<P>>,
    step: Step,
    reply: &Result<Reply, SdkError>,
) {
    if let Step::Finish(flow) = step {
        if !matches!(reply, Err(SdkError::Network { .. })) {
            driver.platform().remove(&driver.storage_key(flow.key()));
        }
    }
}

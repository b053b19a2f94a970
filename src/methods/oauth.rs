//! OAuth: starting a flow (a navigation to the API's start URL, always with
//! PKCE) and authenticating the token it brings back.

use crate::prelude::*;

use super::pkce::{self, Flow, Step};
use super::{endpoint, fill_redirect_urls, Effect, Endpoint};
use crate::core::errors::SdkError;
use crate::core::json::{self, Object};
use crate::core::schema::{self, optional, required, Kind};
use crate::core::{text, url, validate};
use crate::platform::Platform;
use crate::session::{Driver, Outcome};

pub(super) const ENDPOINTS: &[Endpoint] = &[Endpoint {
    pkce: Some(Step::Finish(Flow::OAuth)),
    ..endpoint(
        "oauth.authenticate",
        "/oauth/authenticate",
        &[
            required("token", Kind::Text),
            required("session_duration_minutes", Kind::Duration),
        ],
        Effect::SignIn,
    )
}];

/// Builds the start URL for `provider` and navigates to it.
pub fn start<P: Platform>(driver: &Driver<P>, args: &str) -> Outcome {
    let fields = [
        required("provider", Kind::Str),
        optional("login_redirect_url", Kind::Url),
        optional("signup_redirect_url", Kind::Url),
        optional("custom_scopes", Kind::StringList),
        optional("provider_params", Kind::Object),
    ];
    let mut body = schema::body(args, &fields)?;
    let provider = json::str_field(&body, "provider").unwrap_or_default();
    validate::oauth_provider(&provider).map_err(|m| SdkError::validation("provider", m))?;
    let redirects = ["login_redirect_url", "signup_redirect_url"];
    fill_redirect_urls(driver, &mut body, &redirects);
    let options = driver.options();
    let mut target = text::concat(&[&options.base_url, "/v1/public/oauth/", &provider, "/start"]);
    url::push_param(&mut target, "public_token", &options.public_token);
    for field in redirects {
        if let Some(value) = json::str_field(&body, field) {
            url::push_param(&mut target, field, &value);
        }
    }
    let mut scopes = String::new();
    let mut count = 0;
    for scope in json::get(&body, "custom_scopes")
        .map(json::items)
        .into_iter()
        .flatten()
        .filter_map(json::string)
    {
        if count > 0 {
            scopes.push(' ');
        }
        scopes.push_str(&scope);
        count += 1;
    }
    if count > 0 {
        url::push_param(&mut target, "custom_scopes", &scopes);
    }
    for (key, value) in json::get(&body, "provider_params")
        .map(json::members)
        .into_iter()
        .flatten()
    {
        match json::string(value) {
            Some(value) if !key.is_empty() => {
                let key = text::concat(&["provider_", &json::string_body(key)]);
                url::push_param(&mut target, &key, &value);
            }
            _ => {
                return Err(SdkError::validation(
                    "provider_params",
                    "must map names to string values",
                ))
            }
        }
    }
    // Only a flow that starts keeps a verifier.
    url::push_param(
        &mut target,
        "code_challenge",
        &pkce::begin(driver, Flow::OAuth),
    );
    driver.platform().navigate(&target);
    Ok(Object::new().str("url", &target).finish())
}

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
    validate::oauth_provider("provider", &provider)?;
    let mut query: Vec<(String, String)> =
        vec![("public_token".into(), driver.options().public_token.clone())];
    fill_redirect_urls(
        driver,
        &mut body,
        &["login_redirect_url", "signup_redirect_url"],
    );
    for field in ["login_redirect_url", "signup_redirect_url"] {
        if let Some(value) = json::str_field(&body, field) {
            query.push((field.into(), value));
        }
    }
    let scopes: Vec<String> = json::get(&body, "custom_scopes")
        .map(|list| json::items(list).filter_map(json::string).collect())
        .unwrap_or_default();
    if !scopes.is_empty() {
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        query.push(("custom_scopes".into(), text::join(&scopes, " ")));
    }
    for (key, value) in json::get(&body, "provider_params")
        .map(json::members)
        .into_iter()
        .flatten()
    {
        match json::string(value) {
            Some(value) if !key.is_empty() => {
                query.push((text::concat(&["provider_", &json::string_body(key)]), value))
            }
            _ => {
                return Err(SdkError::validation(
                    "provider_params",
                    "must map names to string values",
                ))
            }
        }
    }
    query.push(("code_challenge".into(), pkce::begin(driver, Flow::OAuth)));
    let pairs: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let base = text::concat(&[
        &driver.options().base_url,
        "/v1/public/oauth/",
        &provider,
        "/start",
    ]);
    let target = url::with_query(&base, &pairs);
    driver.platform().navigate(&target);
    Ok(Object::new().str("url", &target).finish())
}

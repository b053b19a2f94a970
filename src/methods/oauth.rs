//! OAuth: starting a flow (a navigation to the API's start URL, always with
//! PKCE) and authenticating the token it brings back.

use std::rc::Rc;

use super::pkce::{self, Flow, Step};
use super::{endpoint, fill_redirect_urls, Effect, Endpoint};
use crate::core::errors::SdkError;
use crate::core::json::Json;
use crate::core::schema::{self, optional, required, Kind};
use crate::core::{url, validate};
use crate::platform::Platform;
use crate::session::Driver;

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
pub async fn start<P: Platform + 'static>(
    driver: &Rc<Driver<P>>,
    args: Json,
) -> Result<Json, SdkError> {
    let mut body = schema::body(
        &args,
        &[
            required("provider", Kind::Str),
            optional("login_redirect_url", Kind::Url),
            optional("signup_redirect_url", Kind::Url),
            optional("custom_scopes", Kind::StringList),
            optional("provider_params", Kind::Object),
        ],
    )?;
    let provider = body.str_field("provider").unwrap_or_default().to_string();
    validate::oauth_provider("provider", &provider)?;
    let params = match body.get("provider_params") {
        Some(Json::Obj(members)) => members.clone(),
        _ => Vec::new(),
    };
    for (key, value) in &params {
        if value.as_str().is_none() || key.is_empty() {
            return Err(SdkError::validation(
                "provider_params",
                "must map names to string values",
            ));
        }
    }
    fill_redirect_urls(
        driver,
        &mut body,
        &["login_redirect_url", "signup_redirect_url"],
    );
    let challenge = pkce::begin(driver, Flow::OAuth);
    let scopes = match body.get("custom_scopes") {
        Some(Json::Arr(items)) => items
            .iter()
            .filter_map(Json::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    };
    let options = driver.options();
    let base = [
        options.base_url.as_str(),
        "/v1/public/oauth/",
        &provider,
        "/start",
    ]
    .concat();
    let mut query: Vec<(String, String)> =
        vec![("public_token".into(), options.public_token.clone())];
    for field in ["login_redirect_url", "signup_redirect_url"] {
        if let Some(value) = body.str_field(field) {
            query.push((field.into(), value.into()));
        }
    }
    if !scopes.is_empty() {
        query.push(("custom_scopes".into(), scopes));
    }
    for (key, value) in &params {
        query.push((
            ["provider_", key].concat(),
            value.as_str().unwrap_or_default().into(),
        ));
    }
    query.push(("code_challenge".into(), challenge));
    let pairs: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let target = url::with_query(&base, &pairs);
    driver.platform().navigate(&target);
    Ok(crate::core::json::object([(
        "url",
        Some(Json::str(target)),
    )]))
}

//! `GET /sdk/v1/projects/bootstrap/{public_token}`: the project settings the browser SDK starts from.

use axum::http::Method;
use serde::{Deserialize, Serialize};

use crate::{
    api::rbac::Policy,
    error::ApiResult,
    http::{credentials::check_public_token, Api, Caller, Reply},
    state::AppState,
    store::project::PasswordConfig,
};

pub fn mount(api: Api) -> Api {
    api.sdk_public(Method::GET, "/projects/bootstrap/{public_token}", bootstrap)
}

#[derive(Debug, Deserialize)]
pub struct BootstrapRequest {
    public_token: String,
}

#[derive(Debug, Serialize)]
pub struct CaptchaSettings {
    pub enabled: bool,
}

#[derive(Debug, Serialize)]
pub struct BootstrapResponse {
    pub project_name: String,
    pub disable_sdk_watermark: bool,
    pub cname_domain: Option<String>,
    pub email_domains: Vec<String>,
    pub captcha_settings: CaptchaSettings,
    pub pkce_required_for_email_magic_links: bool,
    pub pkce_required_for_password_resets: bool,
    pub pkce_required_for_oauth: bool,
    pub pkce_required_for_sso: bool,
    pub password_config: Option<PasswordConfig>,
    pub rbac_policy: Policy,
    pub vertical: &'static str,
    pub slug_pattern: String,
    pub create_organization_enabled: bool,
    pub siwe_required_for_crypto_wallets: bool,
}

impl Reply for BootstrapResponse {}

async fn bootstrap(
    state: AppState,
    _caller: Caller,
    req: BootstrapRequest,
) -> ApiResult<BootstrapResponse> {
    check_public_token(&state, &req.public_token)?;
    let pkce = !state.config.pkce_optional;
    Ok(BootstrapResponse {
        project_name: state.project.settings.project_name.clone(),
        disable_sdk_watermark: true,
        cname_domain: None,
        email_domains: Vec::new(),
        captcha_settings: CaptchaSettings { enabled: false },
        pkce_required_for_email_magic_links: pkce,
        pkce_required_for_password_resets: pkce,
        pkce_required_for_oauth: pkce,
        pkce_required_for_sso: pkce,
        password_config: state.project.settings.password_config.clone(),
        rbac_policy: state.project.rbac_policy.clone(),
        vertical: "CONSUMER",
        slug_pattern: String::new(),
        create_organization_enabled: false,
        siwe_required_for_crypto_wallets: false,
    })
}

//! Email magic links: login or create, send, authenticate.

use super::pkce::{Flow, Step};
use super::{endpoint, Effect, Endpoint};
use crate::core::schema::{optional, required, Field, Kind};
use crate::core::validate::LINK_EXPIRY;

const URLS: &[&str] = &["login_magic_link_url", "signup_magic_link_url"];

const SEND_FIELDS: &[Field] = &[
    required("email", Kind::Email),
    optional("login_magic_link_url", Kind::Url),
    optional("signup_magic_link_url", Kind::Url),
    optional("login_expiration_minutes", Kind::Minutes(&LINK_EXPIRY)),
    optional("signup_expiration_minutes", Kind::Minutes(&LINK_EXPIRY)),
    optional("login_template_id", Kind::Str),
    optional("signup_template_id", Kind::Str),
    optional("locale", Kind::Str),
];

pub(super) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        pkce: Some(Step::Start(Flow::MagicLink)),
        default_urls: URLS,
        ..endpoint(
            "magic_links.email.login_or_create",
            "/magic_links/email/login_or_create",
            SEND_FIELDS,
            Effect::None,
        )
    },
    Endpoint {
        signed_in_path: Some("/magic_links/email/send/secondary"),
        pkce: Some(Step::Start(Flow::MagicLink)),
        default_urls: URLS,
        ..endpoint(
            "magic_links.email.send",
            "/magic_links/email/send/primary",
            SEND_FIELDS,
            Effect::None,
        )
    },
    Endpoint {
        pkce: Some(Step::Finish(Flow::MagicLink)),
        ..endpoint(
            "magic_links.authenticate",
            "/magic_links/authenticate",
            &[
                required("token", Kind::Text),
                required("session_duration_minutes", Kind::Duration),
            ],
            Effect::SignIn,
        )
    },
];

//! Passwords: create, authenticate, strength check and the three resets.

use super::pkce::{Flow, Step};
use super::{endpoint, Effect, Endpoint};
use crate::core::schema::{optional, required, Kind};
use crate::core::validate::LINK_EXPIRY;

pub(super) const ENDPOINTS: &[Endpoint] = &[
    endpoint(
        "passwords.create",
        "/passwords",
        &[
            required("email", Kind::Email),
            required("password", Kind::Text),
            required("session_duration_minutes", Kind::Duration),
        ],
        Effect::SignIn,
    ),
    endpoint(
        "passwords.authenticate",
        "/passwords/authenticate",
        &[
            required("email", Kind::Email),
            required("password", Kind::Text),
            required("session_duration_minutes", Kind::Duration),
        ],
        Effect::SignIn,
    ),
    endpoint(
        "passwords.strength_check",
        "/passwords/strength_check",
        &[
            optional("email", Kind::Email),
            required("password", Kind::Text),
        ],
        Effect::None,
    ),
    Endpoint {
        pkce: Some(Step::Start(Flow::PasswordReset)),
        default_urls: &["login_redirect_url", "reset_password_redirect_url"],
        ..endpoint(
            "passwords.reset_by_email_start",
            "/passwords/email/reset/start",
            &[
                required("email", Kind::Email),
                optional("login_redirect_url", Kind::Url),
                optional("reset_password_redirect_url", Kind::Url),
                optional("login_expiration_minutes", Kind::Minutes(&LINK_EXPIRY)),
                optional(
                    "reset_password_expiration_minutes",
                    Kind::Minutes(&LINK_EXPIRY),
                ),
                optional("reset_password_template_id", Kind::Str),
                optional("locale", Kind::Str),
            ],
            Effect::None,
        )
    },
    Endpoint {
        pkce: Some(Step::Finish(Flow::PasswordReset)),
        ..endpoint(
            "passwords.reset_by_email",
            "/passwords/email/reset",
            &[
                required("token", Kind::Text),
                required("password", Kind::Text),
                required("session_duration_minutes", Kind::Duration),
            ],
            Effect::SignIn,
        )
    },
    endpoint(
        "passwords.reset_by_existing_password",
        "/passwords/existing_password/reset",
        &[
            required("email", Kind::Email),
            required("existing_password", Kind::Text),
            required("new_password", Kind::Text),
            required("session_duration_minutes", Kind::Duration),
        ],
        Effect::SignIn,
    ),
    endpoint(
        "passwords.reset_by_session",
        "/passwords/session/reset",
        &[
            required("password", Kind::Text),
            required("session_duration_minutes", Kind::Duration),
        ],
        Effect::SignIn,
    ),
];

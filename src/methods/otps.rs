//! One-time passcodes by SMS, WhatsApp and email.

use super::{endpoint, Effect, Endpoint};
use crate::core::schema::{optional, required, Field, Kind};
use crate::core::validate::CODE_EXPIRY;

const PHONE_FIELDS: &[Field] = &[
    required("phone_number", Kind::Phone),
    optional("expiration_minutes", Kind::Minutes(&CODE_EXPIRY)),
    optional("locale", Kind::Str),
];

const EMAIL_FIELDS: &[Field] = &[
    required("email", Kind::Email),
    optional("expiration_minutes", Kind::Minutes(&CODE_EXPIRY)),
    optional("login_template_id", Kind::Str),
    optional("signup_template_id", Kind::Str),
    optional("locale", Kind::Str),
];

const fn send(
    op: &'static str,
    primary: &'static str,
    secondary: &'static str,
    fields: &'static [Field],
) -> Endpoint {
    Endpoint {
        signed_in_path: Some(secondary),
        ..endpoint(op, primary, fields, Effect::None)
    }
}

pub(super) const ENDPOINTS: &[Endpoint] = &[
    endpoint(
        "otps.sms.login_or_create",
        "/otps/sms/login_or_create",
        PHONE_FIELDS,
        Effect::None,
    ),
    endpoint(
        "otps.whatsapp.login_or_create",
        "/otps/whatsapp/login_or_create",
        PHONE_FIELDS,
        Effect::None,
    ),
    endpoint(
        "otps.email.login_or_create",
        "/otps/email/login_or_create",
        EMAIL_FIELDS,
        Effect::None,
    ),
    send(
        "otps.sms.send",
        "/otps/sms/send/primary",
        "/otps/sms/send/secondary",
        PHONE_FIELDS,
    ),
    send(
        "otps.whatsapp.send",
        "/otps/whatsapp/send/primary",
        "/otps/whatsapp/send/secondary",
        PHONE_FIELDS,
    ),
    send(
        "otps.email.send",
        "/otps/email/send/primary",
        "/otps/email/send/secondary",
        EMAIL_FIELDS,
    ),
    endpoint(
        "otps.authenticate",
        "/otps/authenticate",
        &[
            required("token", Kind::Code),
            required("method_id", Kind::Text),
            required("session_duration_minutes", Kind::Duration),
        ],
        Effect::SignIn,
    ),
];

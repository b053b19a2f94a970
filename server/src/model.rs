//! The protocol's objects (User, Session, authentication factors) exactly as they go on the wire.
//!
//! Every field the official Rust client treats as required is a non-optional
//! field here, so it can never be left out of a response.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::clock::Timestamp;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Name {
    pub first_name: String,
    pub middle_name: String,
    pub last_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Email {
    pub email_id: String,
    pub email: String,
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhoneNumber {
    pub phone_id: String,
    pub phone_number: String,
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OAuthProvider {
    pub provider_type: String,
    pub provider_subject: String,
    pub profile_picture_url: String,
    pub locale: String,
    pub oauth_user_registration_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Password {
    pub password_id: String,
    pub requires_reset: bool,
}

/// An entry of `User.webauthn_registrations` (all six fields are required by the official client).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebAuthnRegistration {
    pub webauthn_registration_id: String,
    pub domain: String,
    pub user_agent: String,
    /// `platform`, `cross-platform`, or `""` when none was requested.
    pub authenticator_type: String,
    pub verified: bool,
    pub name: String,
}

/// An entry of `User.totps`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Totp {
    pub totp_id: String,
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub user_id: String,
    pub created_at: Timestamp,
    /// `active` or `pending`.
    pub status: String,
    pub name: Name,
    pub emails: Vec<Email>,
    pub phone_numbers: Vec<PhoneNumber>,
    pub providers: Vec<OAuthProvider>,
    pub password: Option<Password>,
    pub totps: Vec<Totp>,
    pub webauthn_registrations: Vec<WebAuthnRegistration>,
    /// Factors this server does not implement stay present as empty lists.
    pub crypto_wallets: Vec<Value>,
    pub biometric_registrations: Vec<Value>,
    pub trusted_metadata: Value,
    pub untrusted_metadata: Value,
    pub roles: Vec<String>,
    pub is_locked: bool,
    pub external_id: Option<String>,
    pub lock_created_at: Option<Timestamp>,
    pub lock_expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Attributes {
    pub ip_address: String,
    pub user_agent: String,
}

/// The `type` of an authentication factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorType {
    MagicLink,
    Otp,
    Oauth,
    Password,
    Webauthn,
    Totp,
    RecoveryCodes,
}

impl FactorType {
    pub const fn as_str(self) -> &'static str {
        match self {
            FactorType::MagicLink => "magic_link",
            FactorType::Otp => "otp",
            FactorType::Oauth => "oauth",
            FactorType::Password => "password",
            FactorType::Webauthn => "webauthn",
            FactorType::Totp => "totp",
            FactorType::RecoveryCodes => "recovery_codes",
        }
    }
}

/// One entry of `Session.authentication_factors`. The factor-specific object
/// (`email_factor`, `phone_number_factor`, `google_oauth_factor`, ...) sits in
/// `detail` under its own key; use the constructors so its shape is right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthenticationFactor {
    #[serde(rename = "type")]
    pub kind: String,
    pub delivery_method: String,
    pub last_authenticated_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(flatten)]
    pub detail: Map<String, Value>,
}

impl AuthenticationFactor {
    fn new(kind: FactorType, delivery_method: &str, key: String, value: Value, now: i64) -> Self {
        let mut detail = Map::new();
        detail.insert(key, value);
        Self {
            kind: kind.as_str().to_string(),
            delivery_method: delivery_method.to_string(),
            last_authenticated_at: Timestamp(now),
            created_at: Timestamp(now),
            updated_at: Timestamp(now),
            detail,
        }
    }

    /// A factor proven through an email address (`magic_link` or `otp` by email).
    pub fn email(kind: FactorType, email_id: &str, email: &str, now: i64) -> Self {
        Self::new(
            kind,
            "email",
            "email_factor".into(),
            serde_json::json!({ "email_id": email_id, "email_address": email }),
            now,
        )
    }

    /// A factor proven through a phone number; `delivery_method` is `sms` or `whatsapp`.
    pub fn phone(
        kind: FactorType,
        delivery_method: &str,
        phone_id: &str,
        phone_number: &str,
        now: i64,
    ) -> Self {
        Self::new(
            kind,
            delivery_method,
            "phone_number_factor".into(),
            serde_json::json!({ "phone_id": phone_id, "phone_number": phone_number }),
            now,
        )
    }

    /// A password factor (`delivery_method: knowledge`), with the email it was used with.
    pub fn password(email_id: &str, email: &str, now: i64) -> Self {
        Self::new(
            FactorType::Password,
            "knowledge",
            "email_factor".into(),
            serde_json::json!({ "email_id": email_id, "email_address": email }),
            now,
        )
    }

    /// An OAuth factor for `provider` (`google`, `github`, ...): delivery
    /// method `oauth_<provider>`, detail under `<provider>_oauth_factor`.
    pub fn oauth(
        provider: &str,
        oauth_user_registration_id: &str,
        provider_subject: &str,
        email_id: Option<&str>,
        now: i64,
    ) -> Self {
        // The official clients spell a few providers with an inner underscore.
        let key_stem = match provider {
            "gitlab" => "git_lab",
            "linkedin" => "linked_in",
            "tiktok" => "tik_tok",
            other => other,
        };
        Self::new(
            FactorType::Oauth,
            &format!("oauth_{provider}"),
            format!("{key_stem}_oauth_factor"),
            serde_json::json!({
                "id": oauth_user_registration_id,
                "provider_subject": provider_subject,
                "email_id": email_id,
            }),
            now,
        )
    }

    /// A WebAuthn / passkey assertion (or registration) with this registration.
    pub fn webauthn(
        webauthn_registration_id: &str,
        domain: &str,
        user_agent: &str,
        now: i64,
    ) -> Self {
        Self::new(
            FactorType::Webauthn,
            "webauthn_registration",
            "webauthn_factor".into(),
            serde_json::json!({
                "webauthn_registration_id": webauthn_registration_id,
                "domain": domain,
                "user_agent": user_agent,
            }),
            now,
        )
    }

    /// A code from the authenticator app of this TOTP instance.
    pub fn totp(totp_id: &str, now: i64) -> Self {
        Self::new(
            FactorType::Totp,
            "authenticator_app",
            "authenticator_app_factor".into(),
            serde_json::json!({ "totp_id": totp_id }),
            now,
        )
    }

    /// One of a TOTP instance's recovery codes.
    pub fn recovery_code(totp_recovery_code_id: &str, now: i64) -> Self {
        Self::new(
            FactorType::RecoveryCodes,
            "recovery_code",
            "recovery_code_factor".into(),
            serde_json::json!({ "totp_recovery_code_id": totp_recovery_code_id }),
            now,
        )
    }

    /// Whether two factors prove the same thing (ignoring when).
    pub fn same_factor_as(&self, other: &AuthenticationFactor) -> bool {
        self.kind == other.kind
            && self.delivery_method == other.delivery_method
            && self.detail == other.detail
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub session_id: String,
    pub user_id: String,
    pub started_at: Timestamp,
    pub last_accessed_at: Timestamp,
    pub expires_at: Timestamp,
    pub attributes: Attributes,
    pub authentication_factors: Vec<AuthenticationFactor>,
    pub custom_claims: Value,
    pub roles: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_have_the_protocol_shape() {
        let f = AuthenticationFactor::email(FactorType::MagicLink, "email-test-1", "a@b.co", 0);
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["type"], "magic_link");
        assert_eq!(v["delivery_method"], "email");
        assert_eq!(v["email_factor"]["email_address"], "a@b.co");
        assert_eq!(v["last_authenticated_at"], "1970-01-01T00:00:00Z");
        let back: AuthenticationFactor = serde_json::from_value(v).unwrap();
        assert_eq!(back, f);

        let g = AuthenticationFactor::oauth("gitlab", "oauth-user-test-1", "sub", None, 0);
        let v = serde_json::to_value(&g).unwrap();
        assert_eq!(v["delivery_method"], "oauth_gitlab");
        assert_eq!(v["git_lab_oauth_factor"]["provider_subject"], "sub");
        assert!(v["git_lab_oauth_factor"]["email_id"].is_null());
    }

    #[test]
    fn sameness_ignores_time() {
        let a = AuthenticationFactor::phone(FactorType::Otp, "sms", "p1", "+15550001111", 0);
        let b = AuthenticationFactor::phone(FactorType::Otp, "sms", "p1", "+15550001111", 99);
        let c = AuthenticationFactor::phone(FactorType::Otp, "whatsapp", "p1", "+15550001111", 0);
        assert!(a.same_factor_as(&b));
        assert!(!a.same_factor_as(&c));
    }
}

//! Mirrors of the official Rust client's (`stytch` 11.1) response structs,
//! with exactly its required (non-`Option`) fields, so a test can prove a
//! response would decode there. The conformance suite drives the real crate;
//! these catch a missing field early and cheaply.
#![allow(dead_code)]

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct Email {
    pub email_id: String,
    pub email: String,
    pub verified: bool,
}

#[derive(Debug, Deserialize)]
pub struct PhoneNumber {
    pub phone_id: String,
    pub phone_number: String,
    pub verified: bool,
}

#[derive(Debug, Deserialize)]
pub struct OAuthProvider {
    pub provider_type: String,
    pub provider_subject: String,
    pub profile_picture_url: String,
    pub locale: String,
    pub oauth_user_registration_id: String,
}

#[derive(Debug, Deserialize)]
pub struct Name {
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Password {
    pub password_id: String,
    pub requires_reset: bool,
}

#[derive(Debug, Deserialize)]
pub struct User {
    pub user_id: String,
    pub emails: Vec<Email>,
    pub status: String,
    pub phone_numbers: Vec<PhoneNumber>,
    pub webauthn_registrations: Vec<Value>,
    pub providers: Vec<OAuthProvider>,
    pub totps: Vec<Value>,
    pub crypto_wallets: Vec<Value>,
    pub biometric_registrations: Vec<Value>,
    pub is_locked: bool,
    pub roles: Vec<String>,
    pub name: Option<Name>,
    pub created_at: Option<String>,
    pub password: Option<Password>,
    pub trusted_metadata: Option<Value>,
    pub untrusted_metadata: Option<Value>,
    pub external_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AuthenticationFactor {
    #[serde(rename = "type")]
    pub type_: String,
    pub delivery_method: String,
    pub last_authenticated_at: Option<String>,
    pub email_factor: Option<EmailFactor>,
}

#[derive(Debug, Deserialize)]
pub struct EmailFactor {
    pub email_id: String,
    pub email_address: String,
}

#[derive(Debug, Deserialize)]
pub struct Attributes {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Session {
    pub session_id: String,
    pub user_id: String,
    pub authentication_factors: Vec<AuthenticationFactor>,
    pub roles: Vec<String>,
    pub started_at: Option<String>,
    pub last_accessed_at: Option<String>,
    pub expires_at: Option<String>,
    pub attributes: Option<Attributes>,
    pub custom_claims: Option<Value>,
}

/// `sessions.authenticate`
#[derive(Debug, Deserialize)]
pub struct SessionsAuthenticateResponse {
    pub request_id: String,
    pub session: Session,
    pub session_token: String,
    pub session_jwt: String,
    pub user: User,
    pub status_code: u16,
}

/// `sessions.get`
#[derive(Debug, Deserialize)]
pub struct SessionsGetResponse {
    pub request_id: String,
    pub sessions: Vec<Session>,
    pub status_code: u16,
}

#[derive(Debug, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub kid: String,
    pub alg: String,
    pub n: String,
    pub e: String,
}

/// `sessions.get_jwks`
#[derive(Debug, Deserialize)]
pub struct JwksResponse {
    pub keys: Vec<Jwk>,
    pub request_id: String,
    pub status_code: u16,
}

/// `sessions.revoke`
#[derive(Debug, Deserialize)]
pub struct RevokeResponse {
    pub request_id: String,
    pub status_code: u16,
}

/// An authenticate response of magic links / OTP / passwords, where the
/// session is optional (no `session_duration_minutes` on `/v1`).
#[derive(Debug, Deserialize)]
pub struct LoginResponse {
    pub request_id: String,
    pub user_id: String,
    pub session_token: String,
    pub session_jwt: String,
    pub user: User,
    pub status_code: u16,
    pub session: Option<Session>,
}

/// `users.create`
#[derive(Debug, Deserialize)]
pub struct UsersCreateResponse {
    pub request_id: String,
    pub user_id: String,
    pub email_id: String,
    pub status: String,
    pub phone_id: String,
    pub user: User,
    pub status_code: u16,
}

/// `users.get` (the user's fields at the top level)
#[derive(Debug, Deserialize)]
pub struct UsersGetResponse {
    pub request_id: String,
    pub user_id: String,
    pub emails: Vec<Email>,
    pub status: String,
    pub phone_numbers: Vec<PhoneNumber>,
    pub webauthn_registrations: Vec<Value>,
    pub providers: Vec<OAuthProvider>,
    pub totps: Vec<Value>,
    pub crypto_wallets: Vec<Value>,
    pub biometric_registrations: Vec<Value>,
    pub is_locked: bool,
    pub roles: Vec<String>,
    pub status_code: u16,
    pub name: Option<Name>,
    pub password: Option<Password>,
}

/// `users.update`
#[derive(Debug, Deserialize)]
pub struct UsersUpdateResponse {
    pub request_id: String,
    pub user_id: String,
    pub emails: Vec<Email>,
    pub phone_numbers: Vec<PhoneNumber>,
    pub crypto_wallets: Vec<Value>,
    pub user: User,
    pub status_code: u16,
}

/// `users.delete`
#[derive(Debug, Deserialize)]
pub struct UsersDeleteResponse {
    pub request_id: String,
    pub user_id: String,
    pub status_code: u16,
}

/// `users.delete_email` and the other factor deletions
#[derive(Debug, Deserialize)]
pub struct UsersDeleteFactorResponse {
    pub request_id: String,
    pub user_id: String,
    pub user: User,
    pub status_code: u16,
}

/// The error body every client decodes.
#[derive(Debug, Deserialize)]
pub struct ErrorResponse {
    pub status_code: u16,
    pub request_id: String,
    pub error_type: String,
    pub error_message: String,
    pub error_url: String,
}

/// Decodes `value` as `T`, failing the test with the decoder's message.
#[track_caller]
pub fn decode<T: serde::de::DeserializeOwned>(value: &Value) -> T {
    match serde_json::from_value(value.clone()) {
        Ok(decoded) => decoded,
        Err(err) => panic!("the official client's shape does not decode: {err}\n{value:#}"),
    }
}

//! Credentials and cryptography: random tokens and their hashes, Basic headers, RSA keys, session JWTs, PKCE, sealed fields, TOTP and WebAuthn mechanics.

pub mod basic;
pub mod jwt;
pub mod keys;
pub mod passwords;
pub mod pkce;
pub mod sealing;
pub mod tokens;
pub mod totp;
pub mod webauthn;

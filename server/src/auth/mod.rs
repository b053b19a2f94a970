//! Credentials and cryptography: random tokens and their hashes, Basic headers, RSA keys, session JWTs, PKCE.

pub mod basic;
pub mod jwt;
pub mod keys;
pub mod passwords;
pub mod pkce;
pub mod tokens;

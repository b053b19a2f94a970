//! The platform-free core: plain Rust with no browser APIs, tested natively.

pub mod base64;
pub mod clock;
pub mod cookies;
pub mod errors;
pub mod json;
pub mod machine;
pub mod options;
pub mod pkce;
pub mod refresh;
pub mod response;
pub mod schema;
pub mod state;
pub mod tabs;
pub mod text;
pub mod time;
pub mod url;
pub mod validate;

#[cfg(test)]
mod simulation_tests;

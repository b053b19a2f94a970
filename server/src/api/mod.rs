//! The API resources, one module each; every module exposes `mount(api: Api) -> Api`.
//!
//! To add a resource: write `api/<name>.rs` with its operations and a
//! `mount` function, declare it here and chain its `mount` in [`api`].
//! `attributes` and `sign_in` are not resources: they hold the attribute
//! matching and the sign-in steps that magic links, OTPs, OAuth and password
//! resets share.

pub mod attributes;
pub mod bootstrap;
pub mod events;
pub mod magic_links;
pub mod oauth;
pub mod otps;
pub mod passwords;
pub mod rbac;
pub mod sessions;
pub mod sign_in;
pub mod totps;
pub mod users;
pub mod webauthn;

use crate::http::Api;

/// Every operation of both faces.
pub fn api() -> Api {
    let api = Api::new();
    let api = bootstrap::mount(api);
    let api = events::mount(api);
    let api = sessions::mount(api);
    let api = passwords::mount(api);
    let api = magic_links::mount(api);
    let api = otps::mount(api);
    let api = oauth::mount(api);
    let api = webauthn::mount(api);
    let api = totps::mount(api);
    let api = rbac::mount(api);
    users::mount(api)
}

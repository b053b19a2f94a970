//! Latchkey: a headless browser auth SDK for Stytch-compatible auth APIs.
//!
//! - [`core`]: the platform-free core (state machine, refresh timing, cookie
//!   strings, errors, validation, URL and JSON handling), tested natively.
//! - [`platform`]: the browser behind small traits.
//! - [`session`], [`transport`], [`methods`]: the shell that runs the core
//!   against a platform.
//! - `bindings`: the `#[wasm_bindgen]` surface (wasm32 only).

pub mod core;
pub mod methods;
pub mod platform;
pub mod session;
pub mod transport;

#[cfg(target_arch = "wasm32")]
mod bindings;

use wasm_bindgen::prelude::*;

/// The SDK's version, as published in the npm package.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The SDK version, exposed to JavaScript so a page can show what it loaded.
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    VERSION.into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_matches_the_crate() {
        assert_eq!(super::version(), env!("CARGO_PKG_VERSION"));
        assert!(super::VERSION.split('.').count() == 3);
    }
}

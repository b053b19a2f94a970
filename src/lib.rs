//! Latchkey: a headless browser auth SDK for Stytch-compatible auth APIs.
//!
//! The crate is split into a platform-free core (plain Rust, tested natively)
//! and a thin browser shell compiled to WebAssembly.

pub mod core;

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

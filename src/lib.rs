//! Latchkey: a headless browser auth SDK for Stytch-compatible auth APIs.
//!
//! - [`core`]: the platform-free core (state machine, refresh timing, cookie
//!   strings, errors, validation, URL and JSON handling), tested natively.
//! - [`platform`]: the browser behind small traits.
//! - [`session`], [`transport`], [`methods`]: the shell that runs the core
//!   against a platform.
//! - `bindings`: the `#[wasm_bindgen]` surface (wasm32 only).
//!
//! With the `bundle` feature (the release package) the crate is `no_std`:
//! see `bundle.rs`.

#![cfg_attr(feature = "bundle", no_std)]

extern crate alloc;

pub mod core;
pub mod methods;
pub mod platform;
pub mod session;
pub mod transport;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(all(feature = "bundle", target_arch = "wasm32"))]
mod bundle;

/// What `std`'s prelude would bring, for `no_std` builds.
#[allow(unused_imports)]
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}

use prelude::*;
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

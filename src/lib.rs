//! Latchkey's kernel: every decision that protects a browser session, as
//! plain Rust tested natively on simulated time, compiled to WebAssembly for
//! the `latchkey` npm package. The page (`pkg/`) does the mechanics — fetch,
//! JSON, crypto, URLs, dates, storage, cookies, channels, locks, timers — and
//! orchestrates each call with async/await around the kernel's answers.
//!
//! - [`machine`]: the session state machine of one tab; [`state`] the
//!   snapshot all tabs share and its ordering; [`refresh`] the schedule and
//!   backoff; [`clock`] the server-clock estimate; [`lease`] the fallback
//!   leader election.
//! - [`cookies`] (with [`http_date`]): cookie names, values and attributes.
//! - [`errors`]: which failures are retryable and which end the session.
//! - [`methods`]: the method table, PKCE and sign-in-from-URL decisions.
//! - [`contract`]: what both sides of the JS/wasm seam agree on.
//! - [`bindings`]: the `#[wasm_bindgen]` surface (wasm32 only).
//!
//! With the `bundle` feature (the release package) the crate is `no_std`:
//! see `bundle.rs`.

#![cfg_attr(feature = "bundle", no_std)]

extern crate alloc;

pub mod clock;
pub mod contract;
pub mod cookies;
pub mod errors;
pub mod http_date;
pub mod lease;
pub mod machine;
pub mod methods;
pub mod refresh;
pub mod state;

#[cfg(target_arch = "wasm32")]
pub mod bindings;
#[cfg(all(feature = "bundle", target_arch = "wasm32"))]
mod bundle;

#[cfg(test)]
#[path = "simulation_tests.rs"]
mod simulation_tests;

/// What `std`'s prelude would bring, for `no_std` builds.
#[allow(unused_imports)]
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}

/// The SDK's version, as published in the npm package.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

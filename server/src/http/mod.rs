//! The HTTP layer shared by all resources: extractors, credentials, the two faces, the Host allow-list, error-normalising middleware.

pub mod credentials;
pub mod extract;
pub mod face;
pub mod hosts;
pub mod layers;

pub use credentials::{BackendAuth, SdkAuth, SdkOrigin, SdkSession};
pub use extract::{ClientInfo, Input};
pub use face::{Api, Caller, Face, Reply};

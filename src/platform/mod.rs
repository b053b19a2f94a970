//! The browser, behind small traits: everything the session driver needs
//! from the page, and nothing it decides. All of it is synchronous: a
//! request is started here and its answer comes back to the driver later.

use crate::prelude::*;

use crate::core::machine::{Change, Now};

#[cfg(target_arch = "wasm32")]
pub mod browser;

/// An HTTP request to the auth API. The platform sends it with the
/// protocol's headers: `Authorization: Basic base64(public_token ":" X)`
/// (X = the session token, or the public token when signed out),
/// `X-SDK-Client`, `X-SDK-Parent-Host` and the JSON content type.
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub session_token: Option<String>,
    pub body: Option<String>,
    pub timeout_ms: i64,
}

/// The parts of an HTTP answer the SDK reads.
pub struct Answer {
    pub status: u16,
    /// The `Date` header, if the server exposes it to the page.
    pub date: String,
    pub body: String,
}

/// `fetch`: starts request `id`; the platform reports its answer, or why
/// there was none, to `Driver::on_answer`.
pub trait Http {
    fn send(&self, id: u32, request: Request);
}

/// The app-facing side: settles the promises of app calls and tells which
/// parts of the visible state changed.
pub trait Host {
    /// `outcome` is JSON text: the response on success, the error otherwise.
    fn settle(&self, call: u32, outcome: Result<&str, &str>);
    fn changed(&self, change: Change);
}

pub trait Clock {
    fn now(&self) -> Now;
}

/// A CSPRNG (`crypto.getRandomValues`).
pub trait Entropy {
    fn fill(&self, bytes: &mut [u8]);

    fn random_u32(&self) -> u32 {
        let mut bytes = [0; 4];
        self.fill(&mut bytes);
        u32::from_le_bytes(bytes)
    }
}

/// `document.cookie`.
pub trait CookieJar {
    fn read(&self) -> String;
    fn write(&self, cookie: &str);
}

/// `localStorage`; failures (disabled storage) read as absent.
pub trait Store {
    fn get(&self, key: &str) -> Option<String>;
    fn set(&self, key: &str, value: &str);
    fn remove(&self, key: &str);
}

/// Facts about the page, and the address bar.
pub trait Page {
    fn href(&self) -> String;
    fn hostname(&self) -> String;
    fn https(&self) -> bool;
    fn replace_url(&self, href: &str);
    fn navigate(&self, url: &str);
}

/// The page's event machinery: one timer, the broadcast to other tabs, and
/// leadership among them. Their events come back through the driver's
/// `on_*` methods.
pub trait Signals {
    /// Arms the single timer `delay_ms` from now, replacing any other; `None` cancels.
    fn set_timer(&self, delay_ms: Option<i64>);
    fn post(&self, text: &str);
    /// Asks to lead; the driver hears `on_leader` once granted.
    fn request_leadership(&self);
    fn release_leadership(&self);
    /// Unwires every listener and timer.
    fn close(&self);
}

/// Everything above: what the driver is generic over.
pub trait Platform: Http + Host + Clock + Entropy + CookieJar + Store + Page + Signals {}

impl<T: Http + Host + Clock + Entropy + CookieJar + Store + Page + Signals> Platform for T {}

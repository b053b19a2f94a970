//! The platform traits implemented for a real browser page, over the host
//! object of `pkg/host.js` (one per client). Events travel the other way:
//! the host calls the exported `Core::event` and `Core::answer`.

use crate::prelude::*;

use core::cell::Cell;

use wasm_bindgen::prelude::*;

use super::{Clock, CookieJar, Entropy, Host, Http, Page, Request, Signals, Store};
use crate::core::machine::{Change, Now};
use crate::core::tabs::{self, Lease, LEASE_RENEW_MS};

#[wasm_bindgen]
extern "C" {
    /// The object `createHost` returns.
    pub type JsHost;
    /// Every primitive below that takes at most a number and two strings
    /// and answers with a string or nothing, picked by `op`: one import
    /// instead of one per primitive.
    #[wasm_bindgen(method)]
    fn run(this: &JsHost, op: u32, number: f64, a: &str, b: &str) -> Option<String>;
    /// `performance.now()`, or `Date.now()` when `wall`.
    #[wasm_bindgen(method)]
    fn now(this: &JsHost, wall: bool) -> f64;
    #[wasm_bindgen(method, js_name = fillRandom)]
    fn fill_random(this: &JsHost, bytes: &mut [u8]);
    #[wasm_bindgen(method)]
    fn send(
        this: &JsHost,
        id: u32,
        method: &str,
        url: &str,
        session_token: Option<&str>,
        body: Option<&str>,
        timeout_ms: f64,
    );
}

/// The primitives behind `JsHost::run`, in the order of `ops` in pkg/host.js.
#[derive(Clone, Copy)]
enum Op {
    /// localStorage: get (key), set (key, value), remove (key).
    Get,
    Set,
    Remove,
    /// `document.cookie`: read, write (one cookie string).
    Cookies,
    WriteCookie,
    /// A fact about the page: 0 href, 1 hostname, 2 protocol.
    Page,
    ReplaceUrl,
    Navigate,
    /// BroadcastChannel to the other tabs.
    Post,
    /// Arms the refresh timer (ms; negative cancels it).
    Timer,
    /// Arms the storage-lease tick (ms; negative cancels it).
    LeaseTimer,
    /// Asks for the Web Lock; answers nothing without Web Locks.
    Lead,
    Release,
    /// Unwires every listener and timer.
    Close,
    /// Settles app call `number` with the text; `b` is "" on success.
    Settle,
    /// The app-visible state changed: 1 session, 2 user.
    Changed,
}

/// A page of the browser, as seen through its host object.
pub struct Browser {
    host: JsHost,
    lease_key: String,
    tab_id: u32,
    /// Electing through the storage lease (no Web Locks in this browser).
    leasing: Cell<bool>,
}

impl Browser {
    pub fn new(host: JsHost, public_token: &str) -> Browser {
        let mut id = [0u8; 4];
        host.fill_random(&mut id);
        Browser {
            host,
            lease_key: tabs::storage_key(public_token, "leader"),
            tab_id: u32::from_le_bytes(id),
            leasing: Cell::new(false),
        }
    }

    fn run(&self, op: Op, number: f64, a: &str, b: &str) -> Option<String> {
        self.host.run(op as u32, number, a, b)
    }

    fn text(&self, op: Op, a: &str) {
        self.run(op, 0.0, a, "");
    }

    fn delay(&self, op: Op, delay_ms: f64) {
        self.run(op, delay_ms, "", "");
    }

    /// This tab's random id (orders concurrent changes, holds the lease).
    pub fn tab_id(&self) -> u32 {
        self.tab_id
    }

    /// One step of the storage-lease election, then the next tick is armed.
    /// Returns whether this tab leads.
    pub fn lease_tick(&self) -> bool {
        if !self.leasing.get() {
            return false;
        }
        let current = self.get(&self.lease_key).as_deref().and_then(Lease::parse);
        let (leads, write) = tabs::lease_step(self.tab_id, self.now().wall, current);
        if let Some(lease) = write {
            self.set(&self.lease_key, &lease.to_text());
        }
        self.delay(Op::LeaseTimer, LEASE_RENEW_MS as f64);
        leads
    }

    fn page_fact(&self, index: u8) -> String {
        self.run(Op::Page, f64::from(index), "", "")
            .unwrap_or_default()
    }
}

impl Http for Browser {
    fn send(&self, id: u32, request: Request) {
        self.host.send(
            id,
            request.method,
            &request.url,
            request.session_token.as_deref(),
            request.body.as_deref(),
            request.timeout_ms as f64,
        );
    }
}

impl Host for Browser {
    fn settle(&self, call: u32, outcome: Result<&str, &str>) {
        let (text, error) = match outcome {
            Ok(text) => (text, ""),
            Err(text) => (text, "error"),
        };
        self.run(Op::Settle, f64::from(call), text, error);
    }

    fn changed(&self, change: Change) {
        let bits = u8::from(change.session) | u8::from(change.user) << 1;
        self.run(Op::Changed, f64::from(bits), "", "");
    }
}

impl Clock for Browser {
    fn now(&self) -> Now {
        Now {
            mono: self.host.now(false) as i64,
            wall: self.host.now(true) as i64,
        }
    }
}

impl Entropy for Browser {
    fn fill(&self, bytes: &mut [u8]) {
        self.host.fill_random(bytes);
    }
}

impl CookieJar for Browser {
    fn read(&self) -> String {
        self.run(Op::Cookies, 0.0, "", "").unwrap_or_default()
    }

    fn write(&self, cookie: &str) {
        self.text(Op::WriteCookie, cookie);
    }
}

impl Store for Browser {
    fn get(&self, key: &str) -> Option<String> {
        self.run(Op::Get, 0.0, key, "")
    }

    fn set(&self, key: &str, value: &str) {
        self.run(Op::Set, 0.0, key, value);
    }

    fn remove(&self, key: &str) {
        self.text(Op::Remove, key);
    }
}

impl Page for Browser {
    fn href(&self) -> String {
        self.page_fact(0)
    }

    fn hostname(&self) -> String {
        self.page_fact(1)
    }

    fn https(&self) -> bool {
        self.page_fact(2) == "https:"
    }

    fn replace_url(&self, href: &str) {
        self.text(Op::ReplaceUrl, href);
    }

    fn navigate(&self, url: &str) {
        self.text(Op::Navigate, url);
    }
}

impl Signals for Browser {
    fn set_timer(&self, delay_ms: Option<i64>) {
        self.delay(Op::Timer, delay_ms.map_or(-1.0, |d| d.max(0) as f64));
    }

    fn post(&self, text: &str) {
        self.text(Op::Post, text);
    }

    fn request_leadership(&self) {
        if self.run(Op::Lead, 0.0, "", "").is_none() && !self.leasing.replace(true) {
            // No Web Locks: elect through a storage lease instead.
            self.delay(Op::LeaseTimer, 0.0);
        }
    }

    fn release_leadership(&self) {
        self.delay(Op::Release, 0.0);
        if self.leasing.replace(false) {
            self.delay(Op::LeaseTimer, -1.0);
            let current = self.get(&self.lease_key).as_deref().and_then(Lease::parse);
            if current.is_some_and(|lease| lease.holder == self.tab_id) {
                self.remove(&self.lease_key);
            }
        }
    }

    fn close(&self) {
        self.release_leadership();
        self.delay(Op::Close, 0.0);
    }
}

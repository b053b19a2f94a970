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
    #[wasm_bindgen(method, js_name = monoNow)]
    fn mono_now(this: &JsHost) -> f64;
    #[wasm_bindgen(method, js_name = wallNow)]
    fn wall_now(this: &JsHost) -> f64;
    #[wasm_bindgen(method, js_name = fillRandom)]
    fn fill_random(this: &JsHost, bytes: &mut [u8]);
    /// href, origin, hostname, protocol and time zone, one per line.
    #[wasm_bindgen(method, js_name = pageInfo)]
    fn page_info(this: &JsHost) -> String;
    #[wasm_bindgen(method, js_name = readCookies)]
    fn read_cookies(this: &JsHost) -> String;
    #[wasm_bindgen(method, js_name = writeCookie)]
    fn write_cookie(this: &JsHost, cookie: &str);
    #[wasm_bindgen(method, js_name = get)]
    fn storage_get(this: &JsHost, key: &str) -> Option<String>;
    #[wasm_bindgen(method, js_name = set)]
    fn storage_set(this: &JsHost, key: &str, value: &str);
    #[wasm_bindgen(method, js_name = remove)]
    fn storage_remove(this: &JsHost, key: &str);
    #[wasm_bindgen(method, js_name = replaceUrl)]
    fn replace_url(this: &JsHost, href: &str);
    #[wasm_bindgen(method)]
    fn navigate(this: &JsHost, url: &str);
    #[wasm_bindgen(method)]
    fn send(
        this: &JsHost,
        id: u32,
        method: &str,
        url: &str,
        session_token: Option<String>,
        body: Option<String>,
        timeout_ms: f64,
    );
    #[wasm_bindgen(method, js_name = setTimer)]
    fn set_timer(this: &JsHost, delay_ms: f64);
    #[wasm_bindgen(method, js_name = setLeaseTimer)]
    fn set_lease_timer(this: &JsHost, delay_ms: f64);
    #[wasm_bindgen(method)]
    fn post(this: &JsHost, text: &str);
    #[wasm_bindgen(method)]
    fn lead(this: &JsHost) -> bool;
    #[wasm_bindgen(method)]
    fn release(this: &JsHost);
    #[wasm_bindgen(method)]
    fn settle(this: &JsHost, call: u32, ok: bool, text: &str);
    #[wasm_bindgen(method)]
    fn changed(this: &JsHost, session: bool, user: bool);
    #[wasm_bindgen(method)]
    fn close(this: &JsHost);
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
            lease_key: ["latchkey:", public_token, ":leader"].concat(),
            tab_id: u32::from_le_bytes(id),
            leasing: Cell::new(false),
        }
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
        self.host.set_lease_timer(LEASE_RENEW_MS as f64);
        leads
    }

    fn page_fact(&self, index: usize) -> String {
        self.host
            .page_info()
            .split('\n')
            .nth(index)
            .unwrap_or_default()
            .into()
    }
}

impl Http for Browser {
    fn send(&self, id: u32, request: Request) {
        self.host.send(
            id,
            request.method,
            &request.url,
            request.session_token,
            request.body,
            request.timeout_ms as f64,
        );
    }
}

impl Host for Browser {
    fn settle(&self, call: u32, outcome: Result<&str, &str>) {
        let (ok, text) = match outcome {
            Ok(text) => (true, text),
            Err(text) => (false, text),
        };
        self.host.settle(call, ok, text);
    }

    fn changed(&self, change: Change) {
        self.host.changed(change.session, change.user);
    }
}

impl Clock for Browser {
    fn now(&self) -> Now {
        Now {
            mono: self.host.mono_now() as i64,
            wall: self.host.wall_now() as i64,
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
        self.host.read_cookies()
    }

    fn write(&self, cookie: &str) {
        self.host.write_cookie(cookie);
    }
}

impl Store for Browser {
    fn get(&self, key: &str) -> Option<String> {
        self.host.storage_get(key)
    }

    fn set(&self, key: &str, value: &str) {
        self.host.storage_set(key, value);
    }

    fn remove(&self, key: &str) {
        self.host.storage_remove(key);
    }
}

impl Page for Browser {
    fn href(&self) -> String {
        self.page_fact(0)
    }

    fn origin(&self) -> String {
        self.page_fact(1)
    }

    fn hostname(&self) -> String {
        self.page_fact(2)
    }

    fn https(&self) -> bool {
        self.page_fact(3) == "https:"
    }

    fn timezone(&self) -> String {
        self.page_fact(4)
    }

    fn replace_url(&self, href: &str) {
        self.host.replace_url(href);
    }

    fn navigate(&self, url: &str) {
        self.host.navigate(url);
    }
}

impl Signals for Browser {
    fn set_timer(&self, delay_ms: Option<i64>) {
        self.host
            .set_timer(delay_ms.map_or(-1.0, |d| d.max(0) as f64));
    }

    fn post(&self, text: &str) {
        self.host.post(text);
    }

    fn request_leadership(&self) {
        if !self.host.lead() && !self.leasing.replace(true) {
            // No Web Locks: elect through a storage lease instead.
            self.host.set_lease_timer(0.0);
        }
    }

    fn release_leadership(&self) {
        self.host.release();
        if self.leasing.replace(false) {
            self.host.set_lease_timer(-1.0);
            let current = self.get(&self.lease_key).as_deref().and_then(Lease::parse);
            if current.is_some_and(|lease| lease.holder == self.tab_id) {
                self.remove(&self.lease_key);
            }
        }
    }

    fn close(&self) {
        self.release_leadership();
        self.host.close();
    }
}

//! The `#[wasm_bindgen]` surface: converts between JS and Rust, then
//! delegates. Values cross as JSON text so the wasm needs no serde; the JS
//! entry (`pkg/index.js`) parses them and shapes the public API.

use crate::prelude::*;

use wasm_bindgen::prelude::*;

use crate::core::errors::NetworkReason;
use crate::core::options;
use crate::methods;
use crate::platform::browser::{Browser, JsHost};
use crate::platform::Answer;
use crate::session::{Driver, PageEvent};

/// One session for one public token on this page.
#[wasm_bindgen]
pub struct Core {
    driver: Driver<Browser>,
}

#[wasm_bindgen]
impl Core {
    /// `options` is the JSON text of the createClient options; `host` is the
    /// object `createHost` made for this client. Throws the error's JSON text.
    #[wasm_bindgen(constructor)]
    pub fn new(public_token: &str, options: &str, host: JsHost) -> Result<Core, String> {
        let options = options::parse(public_token, options).map_err(|e| e.to_json())?;
        let browser = Browser::new(host, public_token);
        let tab_id = browser.tab_id();
        Ok(Core {
            driver: Driver::start(options, tab_id, browser),
        })
    }

    /// Starts call `call` of method `op` with the options object `args`
    /// (JSON text); it ends through the host's `settle`.
    pub fn call(&self, call: u32, op: &str, args: &str) {
        methods::begin(&self.driver, call, op, args);
    }

    /// The app-visible state as JSON text.
    pub fn state(&self) -> String {
        self.driver.state_json()
    }

    /// A page event: message, storage, visible, online, restored, hidden,
    /// timer, leader, lease.
    pub fn event(&self, kind: &str, data: String) {
        let driver = &self.driver;
        match kind {
            "message" => driver.on_page_event(PageEvent::Message(data)),
            "storage" => driver.on_page_event(PageEvent::Storage(data)),
            "visible" => driver.on_page_event(PageEvent::Visible),
            "online" => driver.on_page_event(PageEvent::Online),
            "restored" => driver.on_page_event(PageEvent::Restored),
            "hidden" => driver.on_page_event(PageEvent::Hidden),
            "timer" => driver.on_timer(),
            "leader" => driver.on_leader(true),
            "lease" => {
                let leads = driver.platform().lease_tick();
                driver.on_leader(leads);
            }
            _ => {}
        }
    }

    /// The answer to request `id`: `failure` is empty, or why there was none
    /// (`timeout`, `offline`, `unreachable`).
    pub fn answer(&self, id: u32, status: u16, date: String, body: String, failure: &str) {
        let answer = match failure {
            "" => Ok(Answer { status, date, body }),
            "timeout" => Err(NetworkReason::Timeout),
            "offline" => Err(NetworkReason::Offline),
            _ => Err(NetworkReason::Unreachable),
        };
        self.driver.on_answer(id, answer);
    }

    /// Removes listeners, timers and the leadership claim; pending calls
    /// end with a usage error.
    pub fn destroy(&self) {
        self.driver.close();
    }
}

//! The platform traits implemented for a real browser page, over the small
//! JS module `browser.js`.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{Answer, Clock, CookieJar, Entropy, Http, Page, Request, Signals, Store};
use crate::core::errors::NetworkReason;
use crate::core::machine::Now;
use crate::core::tabs::{Lease, LEASE_RENEW_MS};
use crate::session::{Driver, PageEvent};

#[wasm_bindgen(module = "/src/platform/browser.js")]
extern "C" {
    type Times;
    #[wasm_bindgen(method, getter)]
    fn mono(this: &Times) -> f64;
    #[wasm_bindgen(method, getter)]
    fn wall(this: &Times) -> f64;
    #[wasm_bindgen(js_name = now)]
    fn js_now() -> Times;

    #[wasm_bindgen(js_name = fillRandom)]
    pub fn js_fill_random(bytes: &mut [u8]);

    type PageFacts;
    #[wasm_bindgen(method, getter)]
    fn href(this: &PageFacts) -> String;
    #[wasm_bindgen(method, getter)]
    fn origin(this: &PageFacts) -> String;
    #[wasm_bindgen(method, getter)]
    fn hostname(this: &PageFacts) -> String;
    #[wasm_bindgen(method, getter)]
    fn https(this: &PageFacts) -> bool;
    #[wasm_bindgen(method, getter)]
    fn timezone(this: &PageFacts) -> String;
    #[wasm_bindgen(js_name = pageInfo)]
    fn js_page_info() -> PageFacts;

    #[wasm_bindgen(js_name = isOnline)]
    fn js_is_online() -> bool;

    type JsAnswer;
    #[wasm_bindgen(method, getter)]
    fn status(this: &JsAnswer) -> u16;
    #[wasm_bindgen(method, getter)]
    fn date(this: &JsAnswer) -> String;
    #[wasm_bindgen(method, getter)]
    fn body(this: &JsAnswer) -> String;
    #[wasm_bindgen(js_name = send)]
    fn js_send(
        method: &str,
        url: &str,
        headers: Vec<String>,
        body: Option<String>,
        timeout_ms: f64,
    ) -> js_sys::Promise;

    #[wasm_bindgen(js_name = readCookies)]
    fn js_read_cookies() -> String;
    #[wasm_bindgen(js_name = writeCookie)]
    fn js_write_cookie(cookie: &str);

    #[wasm_bindgen(js_name = storageGet)]
    fn js_storage_get(key: &str) -> Option<String>;
    #[wasm_bindgen(js_name = storageSet)]
    fn js_storage_set(key: &str, value: &str);
    #[wasm_bindgen(js_name = storageRemove)]
    fn js_storage_remove(key: &str);

    #[wasm_bindgen(js_name = replaceUrl)]
    fn js_replace_url(href: &str);
    #[wasm_bindgen(js_name = navigate)]
    fn js_navigate(url: &str);

    #[wasm_bindgen(js_name = setTimer)]
    fn js_set_timer(callback: &Closure<dyn FnMut()>, delay_ms: f64) -> f64;
    #[wasm_bindgen(js_name = clearTimer)]
    fn js_clear_timer(id: f64);

    type Listener;
    #[wasm_bindgen(method)]
    fn post(this: &Listener, text: &str);
    #[wasm_bindgen(method, js_name = close)]
    fn close_listener(this: &Listener);
    #[wasm_bindgen(js_name = listen)]
    fn js_listen(
        channel: &str,
        storage_key: &str,
        on_event: &Closure<dyn FnMut(String, String)>,
    ) -> Listener;

    type Lock;
    #[wasm_bindgen(method)]
    fn release(this: &Lock);
    #[wasm_bindgen(js_name = lead)]
    fn js_lead(name: &str, on_leader: &Closure<dyn FnMut()>) -> Option<Lock>;
}

/// A page of the browser, wired to one session driver.
pub struct Browser {
    /// localStorage keys and lock/channel names, all scoped by public token.
    lease_key: String,
    lock_name: String,
    tab_id: u32,
    listener: Listener,
    timer_callback: Closure<dyn FnMut()>,
    timer_id: Cell<Option<f64>>,
    leader_callback: Closure<dyn FnMut()>,
    lock: RefCell<Option<Lock>>,
    /// Storage-lease election where Web Locks are missing.
    lease_callback: Closure<dyn FnMut()>,
    lease_timer: Cell<Option<f64>>,
    _event_callback: Closure<dyn FnMut(String, String)>,
}

impl Browser {
    /// Wires page events to `driver` (which owns this value).
    pub fn new(public_token: &str, tab_id: u32, driver: Weak<Driver<Browser>>) -> Browser {
        let scoped = |suffix: &str| ["latchkey:", public_token, suffix].concat();
        let with_driver = move |f: &dyn Fn(&Rc<Driver<Browser>>)| {
            if let Some(driver) = driver.upgrade() {
                f(&driver);
            }
        };
        let on_timer = with_driver.clone();
        let on_leader = with_driver.clone();
        let on_lease = with_driver.clone();
        let on_event = with_driver;
        let event_callback = Closure::new(move |kind: String, data: String| {
            let event = match kind.as_str() {
                "message" => PageEvent::Message(data),
                "storage" => PageEvent::Storage(data),
                "visible" => PageEvent::Visible,
                "online" => PageEvent::Online,
                "pageshow" if data == "restored" => PageEvent::Restored,
                "pagehide" => PageEvent::Hidden,
                _ => return,
            };
            on_event(&|d| d.on_page_event(event.clone()));
        });
        let listener = js_listen(&scoped(":channel"), &scoped(":state"), &event_callback);
        Browser {
            lease_key: scoped(":leader"),
            lock_name: scoped(":refresh"),
            tab_id,
            listener,
            timer_callback: Closure::new(move || on_timer(&|d| d.on_timer())),
            timer_id: Cell::new(None),
            leader_callback: Closure::new(move || on_leader(&|d| d.on_leader(true))),
            lock: RefCell::new(None),
            lease_callback: Closure::new(move || {
                on_lease(&|d| {
                    let leads = d.platform().lease_step(d.platform().now().wall);
                    d.on_leader(leads);
                    d.platform().schedule_lease_tick();
                })
            }),
            lease_timer: Cell::new(None),
            _event_callback: event_callback,
        }
    }

    /// One step of the storage-lease election; returns whether this tab leads.
    pub fn lease_step(&self, now_wall: i64) -> bool {
        let current = self.get(&self.lease_key).as_deref().and_then(Lease::parse);
        let (leads, write) = crate::core::tabs::lease_step(self.tab_id, now_wall, current);
        if let Some(lease) = write {
            self.set(&self.lease_key, &lease.to_text());
        }
        leads
    }

    fn stop_lease(&self) {
        if let Some(id) = self.lease_timer.take() {
            js_clear_timer(id);
        }
        let current = self.get(&self.lease_key).as_deref().and_then(Lease::parse);
        if current.is_some_and(|lease| lease.holder == self.tab_id) {
            self.remove(&self.lease_key);
        }
    }

    /// Arms the next lease tick (the fallback election runs on its own timer).
    pub fn schedule_lease_tick(&self) {
        let id = js_set_timer(&self.lease_callback, LEASE_RENEW_MS as f64);
        self.lease_timer.set(Some(id));
    }
}

impl Http for Browser {
    async fn send(&self, request: Request) -> Result<Answer, NetworkReason> {
        let headers = request
            .headers
            .into_iter()
            .flat_map(|(name, value)| [name.to_string(), value])
            .collect();
        let promise = js_send(
            request.method,
            &request.url,
            headers,
            request.body,
            request.timeout_ms as f64,
        );
        match JsFuture::from(promise).await {
            Ok(value) => {
                let answer: JsAnswer = value.unchecked_into();
                Ok(Answer {
                    status: answer.status(),
                    date: answer.date(),
                    body: answer.body(),
                })
            }
            Err(reason) => Err(match reason.as_string().as_deref() {
                Some("timeout") => NetworkReason::Timeout,
                Some("offline") => NetworkReason::Offline,
                _ => NetworkReason::Unreachable,
            }),
        }
    }
}

impl Clock for Browser {
    fn now(&self) -> Now {
        let times = js_now();
        Now {
            mono: times.mono() as i64,
            wall: times.wall() as i64,
        }
    }
}

impl Entropy for Browser {
    fn fill(&self, bytes: &mut [u8]) {
        js_fill_random(bytes);
    }
}

impl CookieJar for Browser {
    fn read(&self) -> String {
        js_read_cookies()
    }

    fn write(&self, cookie: &str) {
        js_write_cookie(cookie);
    }
}

impl Store for Browser {
    fn get(&self, key: &str) -> Option<String> {
        js_storage_get(key)
    }

    fn set(&self, key: &str, value: &str) {
        js_storage_set(key, value);
    }

    fn remove(&self, key: &str) {
        js_storage_remove(key);
    }
}

impl Page for Browser {
    fn href(&self) -> String {
        js_page_info().href()
    }

    fn origin(&self) -> String {
        js_page_info().origin()
    }

    fn hostname(&self) -> String {
        js_page_info().hostname()
    }

    fn https(&self) -> bool {
        js_page_info().https()
    }

    fn timezone(&self) -> String {
        js_page_info().timezone()
    }

    fn online(&self) -> bool {
        js_is_online()
    }

    fn replace_url(&self, href: &str) {
        js_replace_url(href);
    }

    fn navigate(&self, url: &str) {
        js_navigate(url);
    }
}

impl Signals for Browser {
    fn set_timer(&self, delay_ms: Option<i64>) {
        if let Some(id) = self.timer_id.take() {
            js_clear_timer(id);
        }
        if let Some(delay) = delay_ms {
            self.timer_id
                .set(Some(js_set_timer(&self.timer_callback, delay as f64)));
        }
    }

    fn post(&self, text: &str) {
        self.listener.post(text);
    }

    fn request_leadership(&self) {
        if self.lock.borrow().is_some() || self.lease_timer.get().is_some() {
            return;
        }
        match js_lead(&self.lock_name, &self.leader_callback) {
            Some(lock) => *self.lock.borrow_mut() = Some(lock),
            // No Web Locks: elect through a storage lease instead.
            None => self.schedule_lease_tick(),
        }
    }

    fn release_leadership(&self) {
        if let Some(lock) = self.lock.borrow_mut().take() {
            lock.release();
        }
        self.stop_lease();
    }

    fn close(&self) {
        self.set_timer(None);
        self.release_leadership();
        self.listener.close_listener();
    }
}

//! The session driver: runs the core machine against a platform. It carries
//! out the machine's effects, feeds it page events, and sends refreshes,
//! sharing one in-flight request among concurrent callers.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use crate::core::cookies::{self, Page as CookiePage};
use crate::core::errors::SdkError;
use crate::core::json::{object, Json};
use crate::core::machine::{Change, Config, Effect, Machine, Wake};
use crate::core::options::Options;
use crate::core::refresh::RefreshPolicy;
use crate::core::request;
use crate::core::response::{self, AuthData};
use crate::core::state::Snapshot;
use crate::core::tabs::{self, Message};
use crate::platform::Platform;
use crate::transport::{self, Identity, Reply};

/// A page event the driver reacts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageEvent {
    /// A BroadcastChannel message from another tab.
    Message(String),
    /// The shared state's new value, from a `storage` event.
    Storage(String),
    Visible,
    Online,
    /// Restored from the back/forward cache.
    Restored,
    /// `pagehide`: maybe entering the back/forward cache, maybe closing.
    Hidden,
}

type Outcome = Result<Json, SdkError>;

/// The result of one request, awaited by every caller that shares it.
#[derive(Default)]
pub struct Shared {
    outcome: RefCell<Option<Outcome>>,
    wakers: RefCell<Vec<Waker>>,
}

impl Shared {
    pub fn complete(&self, outcome: Outcome) {
        *self.outcome.borrow_mut() = Some(outcome);
        for waker in self.wakers.take() {
            waker.wake();
        }
    }

    pub fn wait(self: Rc<Self>) -> impl Future<Output = Outcome> {
        Wait(self)
    }
}

struct Wait(Rc<Shared>);

impl Future for Wait {
    type Output = Outcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        match self.0.outcome.borrow().as_ref() {
            Some(outcome) => Poll::Ready(outcome.clone()),
            None => {
                self.0.wakers.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

struct Flight {
    token: String,
    duration: Option<i64>,
    shared: Rc<Shared>,
}

pub struct Driver<P: Platform> {
    options: Options,
    platform: P,
    machine: RefCell<Machine>,
    flights: RefCell<Vec<Flight>>,
    identity: Identity,
    state_key: String,
    /// Told which parts of the visible state changed (the JS facade).
    notify: Box<dyn Fn(Change)>,
    closed: Cell<bool>,
    /// The project's bootstrap settings, fetched once when first needed.
    pub bootstrap: RefCell<Option<Json>>,
    /// Sign-ins from the URL by href (before and after stripping), so a
    /// second call for the same URL shares the first one's request.
    pub url_flights: RefCell<Vec<(String, Rc<Shared>)>>,
}

impl<P: Platform + 'static> Driver<P> {
    /// Starts a session for this page: restores from cookie and cache, joins
    /// the other tabs, and asks to lead them.
    pub fn start(
        options: Options,
        tab_id: u32,
        notify: Box<dyn Fn(Change)>,
        make_platform: impl FnOnce(Weak<Driver<P>>) -> P,
    ) -> Rc<Driver<P>> {
        let prefix = ["latchkey:", &options.public_token, ":"].concat();
        let mut startup = Vec::new();
        let driver = Rc::new_cyclic(|weak| {
            let platform = make_platform(weak.clone());
            let state_key = [prefix.as_str(), "state"].concat();
            let persistent_key = [prefix.as_str(), "device"].concat();
            let persistent_id = platform.get(&persistent_key).unwrap_or_else(|| {
                let id = ["persistent-id-", &random_uuid(&platform)].concat();
                platform.set(&persistent_key, &id);
                id
            });
            let cookie_jar = platform.read();
            let names = &options.cookies;
            let cookie = cookies::read(&cookie_jar, &names.opaque_token_name).map(|token| {
                let jwt = cookies::read(&cookie_jar, &names.jwt_name).unwrap_or_default();
                (token.to_string(), jwt.to_string())
            });
            let cached = platform
                .get(&state_key)
                .as_deref()
                .and_then(Snapshot::parse);
            let config = Config {
                policy: RefreshPolicy {
                    interval_ms: options.refresh_interval_ms,
                },
                keep_session_alive: options.keep_session_alive,
            };
            let (machine, effects) = Machine::start(config, tab_id, platform.now(), cookie, cached);
            startup = effects;
            Driver {
                identity: Identity {
                    app_session_id: ["app-session-id-", &random_uuid(&platform)].concat(),
                    persistent_id,
                },
                options,
                platform,
                machine: RefCell::new(machine),
                flights: RefCell::new(Vec::new()),
                state_key,
                notify,
                closed: Cell::new(false),
                bootstrap: RefCell::new(None),
                url_flights: RefCell::new(Vec::new()),
            }
        });
        driver.run(startup);
        driver.platform.request_leadership();
        driver
    }
}

fn random_uuid<P: Platform>(platform: &P) -> String {
    let mut bytes = [0u8; 16];
    platform.fill(&mut bytes);
    request::uuid(bytes)
}

impl<P: Platform + 'static> Driver<P> {
    pub fn platform(&self) -> &P {
        &self.platform
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    pub fn snapshot(&self) -> Snapshot {
        self.machine.borrow().snapshot().clone()
    }

    pub fn session_token(&self) -> Option<String> {
        self.machine.borrow().snapshot().token().map(str::to_string)
    }

    /// A localStorage key scoped to this public token.
    pub fn storage_key(&self, suffix: &str) -> String {
        ["latchkey:", &self.options.public_token, ":", suffix].concat()
    }

    pub fn from_cache(&self) -> bool {
        self.machine.borrow().from_cache()
    }

    /// The app-visible state as JSON: session, user, tokens, fromCache.
    pub fn state_json(&self) -> Json {
        let machine = self.machine.borrow();
        let auth = machine.snapshot().auth.as_ref();
        let or_null = |v: Option<&Json>| Some(v.cloned().unwrap_or(Json::Null));
        let confirmed = auth.filter(|a| a.session.is_some());
        object([
            (
                "session",
                or_null(confirmed.and_then(|a| a.session.as_ref())),
            ),
            ("user", or_null(confirmed.and_then(|a| a.user.as_ref()))),
            (
                "session_token",
                Some(confirmed.map_or(Json::Null, |a| Json::str(&a.session_token))),
            ),
            (
                "session_jwt",
                Some(confirmed.map_or(Json::Null, |a| Json::str(&a.session_jwt))),
            ),
            ("from_cache", Some(Json::Bool(machine.from_cache()))),
        ])
    }

    /// Runs `step` on the machine (no borrow survives it) and carries out
    /// the effects it returns.
    pub fn step(
        self: &Rc<Self>,
        step: impl FnOnce(&mut Machine, crate::core::machine::Now) -> Vec<Effect>,
    ) {
        if self.closed.get() {
            return;
        }
        let now = self.platform.now();
        let effects = step(&mut self.machine.borrow_mut(), now);
        self.run(effects);
    }

    fn run(self: &Rc<Self>, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::WriteCookies {
                    token,
                    jwt,
                    expires_device_ms,
                } => {
                    let page = self.cookie_page();
                    let now = self.platform.now().wall;
                    for cookie in
                        self.options
                            .cookies
                            .write(&page, &token, &jwt, expires_device_ms, now)
                    {
                        self.platform.write(&cookie);
                    }
                }
                Effect::ClearCookies => {
                    for cookie in self.options.cookies.removals(&self.cookie_page()) {
                        self.platform.write(&cookie);
                    }
                }
                Effect::Publish(text) => {
                    self.platform.set(&self.state_key, &text);
                    self.platform.post(&text);
                }
                Effect::Notify(change) => (self.notify)(change),
                Effect::Refresh {
                    token,
                    duration_minutes,
                } => self.machine_refresh(token, duration_minutes),
                Effect::Timer(at) => {
                    let now = self.platform.now().mono;
                    self.platform.set_timer(at.map(|at| at - now));
                }
                Effect::WakeLeader => self.platform.post(tabs::WAKE),
            }
        }
    }

    fn cookie_page(&self) -> CookiePage {
        CookiePage {
            hostname: self.platform.hostname(),
            https: self.platform.https(),
        }
    }

    pub fn on_page_event(self: &Rc<Self>, event: PageEvent) {
        match event {
            PageEvent::Message(text) => match tabs::decode(&text) {
                Some(Message::State(snapshot)) => self.step(|m, now| m.remote(now, snapshot)),
                Some(Message::Wake) => self.step(|m, now| m.wake_requested(now)),
                None => {}
            },
            PageEvent::Storage(text) => {
                if let Some(snapshot) = Snapshot::parse(&text) {
                    self.step(|m, now| m.remote(now, snapshot));
                }
            }
            PageEvent::Visible => {
                self.resync();
                self.step(|m, now| m.woke(now, Wake::Visible));
            }
            PageEvent::Online => self.step(|m, now| m.woke(now, Wake::Online)),
            PageEvent::Restored => {
                self.resync();
                self.platform.request_leadership();
                self.step(|m, now| m.woke(now, Wake::PageShow));
            }
            PageEvent::Hidden => {
                // Leaving the lock lets another tab lead at once, and keeps
                // this page eligible for the back/forward cache.
                self.platform.release_leadership();
                self.step(|m, now| m.lost_leadership(now));
            }
        }
    }

    /// A tab that slept may have missed messages: storage holds the truth.
    fn resync(self: &Rc<Self>) {
        if let Some(snapshot) = self
            .platform
            .get(&self.state_key)
            .as_deref()
            .and_then(Snapshot::parse)
        {
            self.step(|m, now| m.remote(now, snapshot));
        }
    }

    pub fn on_timer(self: &Rc<Self>) {
        self.step(|m, now| m.timer_fired(now));
    }

    pub fn on_leader(self: &Rc<Self>, leads: bool) {
        let was = self.machine.borrow().is_leader();
        match (was, leads) {
            (false, true) => self.step(|m, now| m.became_leader(now)),
            (true, false) => self.step(|m, now| m.lost_leadership(now)),
            _ => {}
        }
    }

    /// Sends a request with the current session's credentials.
    pub async fn request(
        &self,
        method: &'static str,
        path: &str,
        body: Option<Json>,
    ) -> Result<Reply, SdkError> {
        let token = self.session_token();
        self.request_as(method, path, body, token.as_deref()).await
    }

    async fn request_as(
        &self,
        method: &'static str,
        path: &str,
        body: Option<Json>,
        token: Option<&str>,
    ) -> Result<Reply, SdkError> {
        if self.closed.get() {
            return Err(SdkError::usage("This client was destroyed"));
        }
        transport::send(
            &self.platform,
            &self.options,
            &self.identity,
            method,
            path,
            body,
            token,
        )
        .await
    }

    /// Takes `__user` out of a response and updates the cached user with it.
    pub fn absorb_user(self: &Rc<Self>, data: &mut Json) -> Option<Json> {
        let user = response::take_user(data)?;
        let for_machine = user.clone();
        self.step(|m, now| m.user_updated(now, for_machine));
        Some(user)
    }

    /// A sign-in succeeded: adopt the session it established.
    pub fn authenticated(self: &Rc<Self>, reply: Reply, duration: Option<i64>) -> Outcome {
        let Reply { mut data, date_ms } = reply;
        let user = response::take_user(&mut data);
        let auth = response::auth_data(&data, user)?;
        self.step(|m, now| m.authenticated(now, auth, duration, date_ms));
        Ok(data)
    }

    /// Refreshes the session with `token`, joining an identical request in
    /// flight instead of sending a second one.
    pub fn refresh(self: &Rc<Self>, token: String, duration: Option<i64>) -> Rc<Shared> {
        if let Some(shared) = self.joinable(&token, duration) {
            return shared;
        }
        self.step(|m, now| m.refresh_began(now));
        self.send_refresh(token, duration)
    }

    /// The machine asked for a refresh (and counted it as started).
    fn machine_refresh(self: &Rc<Self>, token: String, duration: Option<i64>) {
        if self.joinable(&token, duration).is_some() {
            self.step(|m, now| m.refresh_merged(now));
        } else {
            self.send_refresh(token, duration);
        }
    }

    pub fn joinable(&self, token: &str, duration: Option<i64>) -> Option<Rc<Shared>> {
        self.flights
            .borrow()
            .iter()
            .find(|f| f.token == token && f.duration == duration)
            .map(|f| f.shared.clone())
    }

    /// Sends `sessions/authenticate`; the machine hears the outcome once.
    fn send_refresh(self: &Rc<Self>, token: String, duration: Option<i64>) -> Rc<Shared> {
        let shared = Rc::new(Shared::default());
        self.flights.borrow_mut().push(Flight {
            token: token.clone(),
            duration,
            shared: shared.clone(),
        });
        let driver = self.clone();
        let result = shared.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let body = object([("session_duration_minutes", duration.map(Json::int))]);
            let reply = driver
                .request_as("POST", "/sessions/authenticate", Some(body), Some(&token))
                .await;
            let decoded = reply.and_then(|Reply { mut data, date_ms }| {
                let user = response::take_user(&mut data);
                let auth: AuthData = response::auth_data(&data, user)?;
                Ok((data, auth, date_ms))
            });
            let for_machine = match &decoded {
                Ok((_, auth, date_ms)) => Ok((auth.clone(), *date_ms)),
                Err(err) => Err(err.clone()),
            };
            let random = driver.platform.random_u32();
            driver
                .flights
                .borrow_mut()
                .retain(|f| !Rc::ptr_eq(&f.shared, &result));
            driver.step(|m, now| m.refresh_finished(now, &token, for_machine, duration, random));
            result.complete(decoded.map(|(data, _, _)| data));
        });
        shared
    }

    /// Stops timers and listeners; later calls fail with a usage error.
    pub fn close(&self) {
        if !self.closed.replace(true) {
            self.platform.close();
        }
    }
}

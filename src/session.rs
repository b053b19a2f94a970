//! The session driver: runs the core machine against a platform. It carries
//! out the machine's effects, feeds it page events, and keeps the requests in
//! flight with what to do with each answer. Sans-IO: every request is built
//! here and started by the platform; its answer comes back to `on_answer`.

use crate::prelude::*;

use core::cell::{Cell, RefCell, RefMut};

use crate::core::cookies::{self, Page as CookiePage};
use crate::core::errors::{NetworkReason, SdkError};
use crate::core::json::Object;
use crate::core::machine::{Config, Effects, Machine, Now, Wake};
use crate::core::options::Options;
use crate::core::refresh::RefreshPolicy;
use crate::core::response;
use crate::core::state::Snapshot;
use crate::core::tabs::{self, Message};
use crate::methods::{self, Step};
use crate::platform::{Answer, Platform};
use crate::transport::{self, Reply};

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

/// The outcome of an app call: the response as JSON text, or the error.
pub type Outcome = Result<String, SdkError>;

/// What to do with the answer to a request in flight.
pub enum Then {
    /// A refresh, and the app calls waiting for it (explicit ones join).
    Refresh {
        token: String,
        duration: Option<i64>,
        waiters: Vec<u32>,
    },
    /// A step of app call `call`.
    Call { call: u32, step: Step },
}

pub struct Driver<P: Platform> {
    options: Options,
    platform: P,
    machine: RefCell<Machine>,
    closed: Cell<bool>,
    next_request: Cell<u32>,
    pending: RefCell<Vec<(u32, Then)>>,
    /// The project's bootstrap settings (raw JSON), fetched once when needed.
    pub bootstrap: RefCell<Option<String>>,
    /// Sign-ins from the URL, so a second call for the same URL shares them.
    pub url_memos: RefCell<Vec<methods::UrlMemo>>,
}

impl<P: Platform> Driver<P> {
    /// Starts a session for this page: restores from cookie and cache, joins
    /// the other tabs, and asks to lead them.
    pub fn start(options: Options, tab_id: u32, platform: P) -> Driver<P> {
        let jar = platform.read();
        let names = &options.cookies;
        let cookie = cookies::read(&jar, &names.opaque_token_name).map(|token| {
            let jwt = cookies::read(&jar, &names.jwt_name).unwrap_or_default();
            (token.into(), jwt.into())
        });
        let cached = platform
            .get(&tabs::storage_key(&options.public_token, "state"))
            .as_deref()
            .and_then(Snapshot::parse);
        let config = Config {
            policy: RefreshPolicy {
                interval_ms: options.refresh_interval_ms,
            },
            keep_session_alive: options.keep_session_alive,
        };
        let (machine, startup) = Machine::start(config, tab_id, platform.now(), cookie, cached);
        let driver = Driver {
            options,
            platform,
            machine: RefCell::new(machine),
            closed: Cell::new(false),
            next_request: Cell::new(1),
            pending: RefCell::new(Vec::new()),
            bootstrap: RefCell::new(None),
            url_memos: RefCell::new(Vec::new()),
        };
        driver.run(startup);
        driver.platform.request_leadership();
        driver
    }

    pub fn platform(&self) -> &P {
        &self.platform
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    pub fn snapshot(&self) -> Snapshot {
        self.machine.borrow().snapshot().clone()
    }

    pub fn session_token(&self) -> Option<String> {
        self.machine.borrow().snapshot().token().map(Into::into)
    }

    /// A localStorage key scoped to this public token.
    pub fn storage_key(&self, suffix: &str) -> String {
        tabs::storage_key(&self.options.public_token, suffix)
    }

    /// The app-visible state as JSON: session, user, tokens, from_cache.
    pub fn state_json(&self) -> String {
        let machine = self.machine.borrow();
        let confirmed = machine
            .snapshot()
            .auth
            .as_ref()
            .filter(|a| a.session.is_some());
        let text = |o: Object, key: &str, value: Option<&str>| match value {
            Some(v) => o.str(key, v),
            None => o.raw(key, "null"),
        };
        let object = Object::new()
            .raw_or_null("session", confirmed.and_then(|a| a.session.as_deref()))
            .raw_or_null("user", confirmed.and_then(|a| a.user.as_deref()));
        let object = text(
            object,
            "session_token",
            confirmed.map(|a| a.session_token.as_str()),
        );
        text(
            object,
            "session_jwt",
            confirmed.map(|a| a.session_jwt.as_str()),
        )
        .bool("from_cache", machine.from_cache())
        .finish()
    }

    /// Runs `step` on the machine (no borrow survives it) and carries out
    /// the effects it returns.
    pub fn step(&self, step: impl FnOnce(&mut Machine, Now) -> Effects) {
        if self.closed.get() {
            return;
        }
        let now = self.platform.now();
        let effects = step(&mut self.machine.borrow_mut(), now);
        self.run(effects);
    }

    /// Carries out `effects`, reading what each needs from the machine.
    fn run(&self, effects: Effects) {
        if effects.has(Effects::WRITE_COOKIES) {
            let cookies = {
                let machine = self.machine.borrow();
                let auth = machine.snapshot().auth.as_ref();
                let (token, jwt) = auth.map_or(("", ""), |a| (&a.session_token, &a.session_jwt));
                self.options.cookies.write(
                    &self.cookie_page(),
                    token,
                    jwt,
                    machine.cookie_expiry(),
                    self.platform.now().wall,
                )
            };
            for cookie in cookies {
                self.platform.write(&cookie);
            }
        }
        if effects.has(Effects::CLEAR_COOKIES) {
            for cookie in self.options.cookies.removals(&self.cookie_page()) {
                self.platform.write(&cookie);
            }
        }
        if effects.has(Effects::PUBLISH) {
            let text = self.machine.borrow().snapshot().to_json();
            self.platform.set(&self.storage_key("state"), &text);
            self.platform.post(&text);
        }
        if effects.has(Effects::NOTIFY_SESSION | Effects::NOTIFY_USER) {
            self.platform.changed(effects.change());
        }
        if effects.has(Effects::REFRESH) {
            let request = self
                .machine
                .borrow()
                .refresh_request()
                .map(|(token, duration)| (String::from(token), duration));
            if let Some((token, duration)) = request {
                if self.flight(&token, duration).is_some() {
                    self.step(|m, now| m.refresh_merged(now));
                } else {
                    self.send_refresh(token, duration, Vec::new());
                }
            }
        }
        if effects.has(Effects::TIMER) {
            let at = self.machine.borrow().timer();
            let now = self.platform.now().mono;
            self.platform.set_timer(at.map(|at| at - now));
        }
        if effects.has(Effects::WAKE_LEADER) {
            self.platform.post(tabs::WAKE);
        }
    }

    fn cookie_page(&self) -> CookiePage {
        CookiePage {
            hostname: self.platform.hostname(),
            https: self.platform.https(),
        }
    }

    pub fn on_page_event(&self, event: PageEvent) {
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
    fn resync(&self) {
        if let Some(snapshot) = self
            .platform
            .get(&self.storage_key("state"))
            .as_deref()
            .and_then(Snapshot::parse)
        {
            self.step(|m, now| m.remote(now, snapshot));
        }
    }

    pub fn on_timer(&self) {
        self.step(|m, now| m.timer_fired(now));
    }

    pub fn on_leader(&self, leads: bool) {
        let was = self.machine.borrow().is_leader();
        if was != leads {
            self.step(|m, now| {
                if leads {
                    m.became_leader(now)
                } else {
                    m.lost_leadership(now)
                }
            });
        }
    }

    /// Sends a request as the current session (or signed out) and remembers
    /// what to do with its answer.
    pub fn send(&self, method: &'static str, path: &str, body: Option<String>, then: Then) {
        let token = self.session_token();
        self.send_as(method, path, body, token.as_deref(), then);
    }

    fn send_as(
        &self,
        method: &'static str,
        path: &str,
        body: Option<String>,
        token: Option<&str>,
        then: Then,
    ) {
        let request = transport::build(&self.options, method, path, body, token);
        let id = self.next_request.get();
        self.next_request.set(id.wrapping_add(1));
        self.pending.borrow_mut().push((id, then));
        self.platform.send(id, request);
    }

    /// The answer to request `id` arrived (or the request failed).
    pub fn on_answer(&self, id: u32, answer: Result<Answer, NetworkReason>) {
        if self.closed.get() {
            return;
        }
        let then = {
            let mut pending = self.pending.borrow_mut();
            match pending.iter().position(|(request, _)| *request == id) {
                Some(index) => pending.remove(index).1,
                None => return,
            }
        };
        let reply = transport::reply(answer);
        match then {
            Then::Refresh {
                token,
                duration,
                waiters,
            } => self.refreshed(token, duration, waiters, reply),
            Then::Call { call, step } => methods::resume(self, call, step, reply),
        }
    }

    /// Settles app call `call` with `outcome`.
    pub fn settle(&self, call: u32, outcome: &Outcome) {
        match outcome {
            Ok(text) => self.platform.settle(call, Ok(text)),
            Err(err) => self.platform.settle(call, Err(&err.to_json())),
        }
    }

    /// Takes note of the `__user` in a response's data.
    pub fn absorb_user(&self, data: &str) {
        if let Some(user) = response::user_update(data) {
            self.step(|m, now| m.user_updated(now, user));
        }
    }

    /// A sign-in succeeded: adopt the session it established.
    pub fn authenticated(&self, reply: Reply, duration: Option<i64>) -> Outcome {
        let auth = response::auth_data(&reply.data)?;
        self.step(|m, now| m.authenticated(now, auth, duration, reply.date_ms));
        Ok(reply.data)
    }

    /// The calls waiting for the refresh in flight with `token` and
    /// `duration`, if there is one.
    fn flight(&self, token: &str, duration: Option<i64>) -> Option<RefMut<'_, Vec<u32>>> {
        RefMut::filter_map(self.pending.borrow_mut(), |pending| {
            pending.iter_mut().find_map(|(_, then)| match then {
                Then::Refresh {
                    token: t,
                    duration: d,
                    waiters,
                } if t == token && *d == duration => Some(waiters),
                _ => None,
            })
        })
        .ok()
    }

    /// Refreshes the session for app call `call`, joining an identical
    /// refresh in flight instead of sending a second one. False when there
    /// is nothing to join and `start` is off.
    pub fn refresh(&self, token: String, duration: Option<i64>, call: u32, start: bool) -> bool {
        if let Some(mut waiters) = self.flight(&token, duration) {
            waiters.push(call);
            return true;
        }
        if start {
            self.step(|m, now| m.refresh_began(now));
            self.send_refresh(token, duration, vec![call]);
        }
        start
    }

    fn send_refresh(&self, token: String, duration: Option<i64>, waiters: Vec<u32>) {
        let body = match duration {
            Some(minutes) => Object::new()
                .int("session_duration_minutes", minutes)
                .finish(),
            None => "{}".into(),
        };
        let sent_with = token.clone();
        let then = Then::Refresh {
            token,
            duration,
            waiters,
        };
        self.send_as(
            "POST",
            "/sessions/authenticate",
            Some(body),
            Some(&sent_with),
            then,
        );
    }

    fn refreshed(
        &self,
        token: String,
        duration: Option<i64>,
        waiters: Vec<u32>,
        reply: Result<Reply, SdkError>,
    ) {
        let decoded = reply.and_then(|reply| Ok((response::auth_data(&reply.data)?, reply)));
        // What the waiting calls get, taken before the machine owns the result.
        let (ok, text, for_machine) = match decoded {
            Ok((auth, reply)) => (true, reply.data, Ok((auth, reply.date_ms))),
            Err(err) => (false, err.to_json(), Err(err)),
        };
        let random = self.platform.random_u32();
        self.step(|m, now| m.refresh_finished(now, &token, for_machine, duration, random));
        for call in waiters {
            self.platform
                .settle(call, if ok { Ok(&text) } else { Err(&text) });
        }
    }

    /// Stops timers and listeners; pending calls fail with a usage error.
    pub fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        self.platform.close();
        let destroyed: Outcome = Err(SdkError::Usage("This client was destroyed"));
        for (_, then) in self.pending.take() {
            let calls = match then {
                Then::Refresh { waiters, .. } => waiters,
                Then::Call { call, .. } => vec![call],
            };
            for call in calls {
                self.settle(call, &destroyed);
            }
        }
        for memo in self.url_memos.take() {
            for call in memo.waiters {
                self.settle(call, &destroyed);
            }
        }
    }
}

//! The session state machine of one tab: what each event does to the shared
//! state, and the effects (cookies, storage, broadcast, timers, requests,
//! notifications) the browser shell must carry out. Pure and clock-free:
//! time comes in with every event, so tests run on simulated time.

use crate::prelude::*;

use super::clock::ServerClock;
use super::errors::SdkError;
use super::refresh::RefreshPolicy;
use super::response::AuthData;
use super::state::{Auth, Snapshot};

/// A reading of both clocks, in milliseconds: `mono` never jumps
/// (`performance.now()`), `wall` is the device's calendar clock (`Date.now()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub mono: i64,
    pub wall: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub policy: RefreshPolicy,
    /// Re-send the last `session_duration_minutes` on refresh, extending the session.
    pub keep_session_alive: bool,
}

/// Which parts of the app-visible state an event changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Change {
    pub session: bool,
    pub user: bool,
}

/// What the shell must carry out after an event, as flags. The data each
/// needs (tokens, the snapshot text, the timer) is read from the machine
/// afterwards, so no effect carries a copy of it. The shell carries them out
/// in the order of the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Effects(pub u8);

impl Effects {
    /// Write both session cookies from the snapshot (expiry in device time;
    /// none, a browser-session cookie, until the expiry is known).
    pub const WRITE_COOKIES: u8 = 1;
    pub const CLEAR_COOKIES: u8 = 2;
    /// Persist the snapshot's text and send it to the other tabs.
    pub const PUBLISH: u8 = 4;
    /// Tell the app the session object changed.
    pub const NOTIFY_SESSION: u8 = 8;
    /// Tell the app the user object changed.
    pub const NOTIFY_USER: u8 = 16;
    /// Start `sessions/authenticate` as `Machine::refresh_request` says.
    pub const REFRESH: u8 = 32;
    /// Arm the tab's single timer at `Machine::timer`, or cancel it.
    pub const TIMER: u8 = 64;
    /// Ask the leader tab to refresh now if one is due.
    pub const WAKE_LEADER: u8 = 128;

    pub fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }

    /// Which parts of the app-visible state changed.
    pub fn change(self) -> Change {
        Change {
            session: self.has(Self::NOTIFY_SESSION),
            user: self.has(Self::NOTIFY_USER),
        }
    }
}

/// Why the page woke up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    Visible,
    Online,
    /// Restored from the back/forward cache.
    PageShow,
}

pub struct Machine {
    config: Config,
    tab: u32,
    snapshot: Snapshot,
    clock: ServerClock,
    /// Server time when this tab started: a confirmation newer than this
    /// means the state no longer comes only from the cache.
    started_at_server: i64,
    from_cache: bool,
    leader: bool,
    /// Refresh requests in flight in this tab.
    refreshing: u32,
    failures: u32,
    retry_at: Option<i64>,
    timer: Option<i64>,
    /// The session token this tab last wrote to the cookies (`None` after it
    /// cleared them): when the tabs settle on another state, the tab mends
    /// only what it wrote itself.
    wrote_cookie: Option<String>,
    /// The effects of the event being handled, returned when it ends.
    fx: u8,
}

impl Machine {
    /// Starts a tab from the session cookie (`(token, jwt)`, if any) and the
    /// cached snapshot (if any). The cookie is the source of truth: without
    /// it the cache is dropped; with it the cache is shown at once and
    /// confirmed by a refresh.
    pub fn start(
        config: Config,
        tab: u32,
        now: Now,
        cookie: Option<(String, String)>,
        cached: Option<Snapshot>,
    ) -> (Machine, Effects) {
        let cached = cached.unwrap_or_default();
        let clock = ServerClock::with_offset(cached.clock_offset_ms);
        let mut machine = Machine {
            config,
            tab,
            started_at_server: clock.server_now(now.wall),
            clock,
            snapshot: cached,
            from_cache: false,
            leader: false,
            refreshing: 0,
            failures: 0,
            retry_at: None,
            timer: None,
            wrote_cookie: None,
            fx: 0,
        };
        match cookie {
            None if machine.snapshot.auth.is_some() => {
                machine.replace_auth(None);
                machine.fx |= Effects::PUBLISH;
            }
            None => {}
            Some((token, _)) if machine.snapshot.token() == Some(token.as_str()) => {
                machine.from_cache = true;
                machine.start_refresh();
            }
            Some((token, jwt)) => {
                machine.replace_auth(Some(unconfirmed(token, jwt)));
                machine.from_cache = true;
                machine.start_refresh();
            }
        }
        // The app has been told nothing yet: the page compares what it
        // showed from the cache with the state once the module is ready.
        let effects = machine.effects();
        (
            machine,
            Effects(effects.0 & !(Effects::NOTIFY_SESSION | Effects::NOTIFY_USER)),
        )
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    pub fn from_cache(&self) -> bool {
        self.from_cache
    }

    pub fn is_leader(&self) -> bool {
        self.leader
    }

    pub fn clock(&self) -> ServerClock {
        self.clock
    }

    /// When the tab's timer should fire (monotonic), if at all.
    pub fn timer(&self) -> Option<i64> {
        self.timer
    }

    /// The cookie expiry of the current session in device time, if known.
    pub fn cookie_expiry(&self) -> Option<i64> {
        let at = self.auth()?.expires_at?;
        Some(self.clock.to_device(at))
    }

    /// The refresh `Effects::REFRESH` asks for: the session token, and the
    /// duration to re-send (only with `keepSessionAlive`).
    pub fn refresh_request(&self) -> Option<(&str, Option<i64>)> {
        let auth = self.auth()?;
        let duration = auth
            .duration_minutes
            .filter(|_| self.config.keep_session_alive);
        Some((&auth.session_token, duration))
    }

    /// A sign-in method (or an explicit `session.authenticate`) succeeded.
    pub fn authenticated(
        &mut self,
        now: Now,
        data: AuthData,
        duration: Option<i64>,
        date_ms: Option<i64>,
    ) -> Effects {
        self.apply_auth(now, data, duration, date_ms);
        self.end(now)
    }

    /// The app supplied tokens obtained elsewhere (`updateSession`): adopt
    /// them and confirm them with the server.
    pub fn update_session(&mut self, now: Now, token: String, jwt: String) -> Effects {
        self.wrote_cookie = Some(token.clone());
        self.fx |= Effects::WRITE_COOKIES;
        self.replace_auth(Some(unconfirmed(token, jwt)));
        self.start_refresh();
        self.end(now)
    }

    /// The shell is sending a refresh the app asked for explicitly.
    pub fn refresh_began(&mut self, now: Now) -> Effects {
        self.refreshing += 1;
        self.end(now)
    }

    /// A refresh this machine asked for joined one already in flight, whose
    /// outcome will be reported once.
    pub fn refresh_merged(&mut self, now: Now) -> Effects {
        self.refreshing = self.refreshing.saturating_sub(1);
        self.end(now)
    }

    /// A refresh sent with `sent_token` finished. `random` spreads retries.
    pub fn refresh_finished(
        &mut self,
        now: Now,
        sent_token: &str,
        result: Result<(AuthData, Option<i64>), SdkError>,
        requested_duration: Option<i64>,
        random: u32,
    ) -> Effects {
        self.refreshing = self.refreshing.saturating_sub(1);
        // A sign-in or sign-out happened meanwhile: this answer is about a
        // session the tab no longer holds.
        if self.snapshot.token() == Some(sent_token) {
            match result {
                Ok((data, date_ms)) => {
                    let duration =
                        requested_duration.or(self.auth().and_then(|a| a.duration_minutes));
                    self.apply_auth(now, data, duration, date_ms);
                }
                Err(err) if err.ends_session() || self.expired(now) => self.sign_out(),
                Err(_) => {
                    self.retry_at =
                        Some(now.mono + self.config.policy.backoff_ms(self.failures, random));
                    self.failures += 1;
                }
            }
        }
        self.end(now)
    }

    /// The user object changed (`users/me`, or `__user` in any response).
    pub fn user_updated(&mut self, now: Now, user: &str) -> Effects {
        if let Some(auth) = &self.snapshot.auth {
            if auth.user.as_deref() != Some(user) {
                let mut auth = auth.clone();
                auth.user = Some(user.into());
                self.replace_auth(Some(auth));
                self.fx |= Effects::PUBLISH;
            }
        }
        self.end(now)
    }

    /// The session ended here: revoked, or cleared by the app.
    pub fn signed_out(&mut self, now: Now) -> Effects {
        self.sign_out();
        self.end(now)
    }

    /// Another tab published `snapshot` (broadcast or storage event).
    pub fn remote(&mut self, now: Now, snapshot: Snapshot) -> Effects {
        if snapshot.supersedes(&self.snapshot) {
            let same_session = snapshot.token() == self.snapshot.token();
            let newer_confirmation = confirmed_at(&snapshot) > confirmed_at(&self.snapshot);
            if !same_session || newer_confirmation {
                self.failures = 0;
                self.retry_at = None;
            }
            if confirmed_at(&snapshot) >= self.started_at_server || snapshot.auth.is_none() {
                self.from_cache = false;
            }
            // Tabs share the device clock, so the writer's measurement of
            // it holds here too; a tab that never sent a request has no other.
            self.clock = ServerClock::with_offset(snapshot.clock_offset_ms);
            self.adopt(snapshot);
            self.mend_cookies();
        }
        self.end(now)
    }

    /// This tab now leads: it refreshes at once if one is due, else arms its timer.
    pub fn became_leader(&mut self, now: Now) -> Effects {
        self.leader = true;
        self.tick(now)
    }

    /// This tab stopped leading (hidden into the back/forward cache, closing).
    pub fn lost_leadership(&mut self, now: Now) -> Effects {
        self.leader = false;
        self.end(now)
    }

    /// The tab's timer fired.
    pub fn timer_fired(&mut self, now: Now) -> Effects {
        self.timer = None;
        self.tick(now)
    }

    /// The page became visible, came online or was restored: the leader
    /// refreshes if one is due (at once after a failure when back online);
    /// a follower asks the leader to look.
    pub fn woke(&mut self, now: Now, reason: Wake) -> Effects {
        if reason == Wake::Online && self.failures > 0 {
            self.retry_at = Some(now.mono);
        }
        if self.leader {
            return self.tick(now);
        }
        if self.auth().is_some() && self.due_at(now).is_some_and(|due| due <= now.mono) {
            self.fx |= Effects::WAKE_LEADER;
        }
        self.effects()
    }

    /// Another tab asked the leader to check whether a refresh is due.
    pub fn wake_requested(&mut self, now: Now) -> Effects {
        if self.leader {
            self.tick(now)
        } else {
            self.effects()
        }
    }

    fn tick(&mut self, now: Now) -> Effects {
        let due = self.due_at(now).is_some_and(|due| due <= now.mono);
        if self.leader && self.refreshing == 0 && due {
            self.start_refresh();
        }
        self.end(now)
    }

    /// Ends an event: re-arms the timer, and hands over the effects.
    fn end(&mut self, now: Now) -> Effects {
        let wanted = if self.leader && self.refreshing == 0 {
            self.due_at(now)
        } else {
            None
        };
        if wanted != self.timer {
            self.timer = wanted;
            self.fx |= Effects::TIMER;
        }
        self.effects()
    }

    fn effects(&mut self) -> Effects {
        Effects(core::mem::take(&mut self.fx))
    }

    fn auth(&self) -> Option<&Auth> {
        self.snapshot.auth.as_ref()
    }

    fn expired(&self, now: Now) -> bool {
        self.auth()
            .and_then(|a| a.expires_at)
            .is_some_and(|expires| expires <= self.clock.server_now(now.wall))
    }

    /// When the next refresh is due (monotonic), if a session exists.
    fn due_at(&self, now: Now) -> Option<i64> {
        let auth = self.auth()?;
        if let Some(retry) = self.retry_at {
            return Some(retry);
        }
        let server_now = self.clock.server_now(now.wall);
        let mut due = auth.confirmed_at + self.config.policy.interval_ms;
        // Refreshing right at expiry lets the server's answer end the session
        // promptly instead of up to an interval later.
        if let Some(expires) = auth.expires_at {
            due = due.min(expires);
        }
        Some(now.mono + (due - server_now).max(0))
    }

    fn start_refresh(&mut self) {
        if self.auth().is_some() {
            self.refreshing += 1;
            self.retry_at = None;
            self.fx |= Effects::REFRESH;
        }
    }

    fn apply_auth(
        &mut self,
        now: Now,
        data: AuthData,
        duration: Option<i64>,
        date_ms: Option<i64>,
    ) {
        self.clock.observe(now.wall, date_ms, data.jwt_issued_at);
        self.wrote_cookie = Some(data.session_token.clone());
        self.fx |= Effects::WRITE_COOKIES | Effects::PUBLISH;
        self.replace_auth(Some(Auth {
            session_token: data.session_token,
            session_jwt: data.session_jwt,
            session: Some(data.session),
            user: Some(data.user),
            expires_at: Some(data.expires_at),
            confirmed_at: self.clock.server_now(now.wall),
            duration_minutes: duration,
        }));
        self.from_cache = false;
        self.failures = 0;
        self.retry_at = None;
    }

    /// After adopting another tab's state: if this tab's last cookie write
    /// disagrees with it (it raced that tab, e.g. a refresh answered just
    /// after a sign-out elsewhere), make the cookies match the shared state.
    fn mend_cookies(&mut self) {
        let Some(written) = &self.wrote_cookie else {
            return;
        };
        match &self.snapshot.auth {
            None => {
                self.wrote_cookie = None;
                self.fx |= Effects::CLEAR_COOKIES;
            }
            Some(auth) if auth.session_token != *written => {
                self.wrote_cookie = Some(auth.session_token.clone());
                self.fx |= Effects::WRITE_COOKIES;
            }
            Some(_) => {}
        }
    }

    fn sign_out(&mut self) {
        self.failures = 0;
        self.retry_at = None;
        self.from_cache = false;
        if self.snapshot.auth.is_some() {
            self.replace_auth(None);
            self.wrote_cookie = None;
            self.fx |= Effects::CLEAR_COOKIES | Effects::PUBLISH;
        }
    }

    /// A new local version of the shared state, written by this tab.
    fn replace_auth(&mut self, auth: Option<Auth>) {
        self.adopt(Snapshot {
            seq: self.snapshot.seq + 1,
            writer: self.tab,
            clock_offset_ms: self.clock.offset_ms(),
            auth,
        });
    }

    /// Makes `snapshot` the state, noting what the app can see change: the
    /// session and user objects.
    fn adopt(&mut self, snapshot: Snapshot) {
        let (old, new) = (self.snapshot.auth.as_ref(), snapshot.auth.as_ref());
        if old.and_then(|a| a.session.as_ref()) != new.and_then(|a| a.session.as_ref()) {
            self.fx |= Effects::NOTIFY_SESSION;
        }
        if old.and_then(|a| a.user.as_ref()) != new.and_then(|a| a.user.as_ref()) {
            self.fx |= Effects::NOTIFY_USER;
        }
        self.snapshot = snapshot;
    }
}

fn unconfirmed(token: String, jwt: String) -> Auth {
    Auth {
        session_token: token,
        session_jwt: jwt,
        session: None,
        user: None,
        expires_at: None,
        confirmed_at: 0,
        duration_minutes: None,
    }
}

fn confirmed_at(snapshot: &Snapshot) -> i64 {
    snapshot.auth.as_ref().map_or(0, |a| a.confirmed_at)
}

/// The effects with their data, as the shell reads it: what the tests assert.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    WriteCookies {
        token: String,
        jwt: String,
        expires_device_ms: Option<i64>,
    },
    ClearCookies,
    Publish(String),
    Notify(Change),
    Refresh {
        token: String,
        duration_minutes: Option<i64>,
    },
    Timer(Option<i64>),
    WakeLeader,
}

#[cfg(test)]
impl Effects {
    /// Reads each effect's data from `machine`, in the order the shell
    /// carries them out.
    pub fn expand(self, machine: &Machine) -> Vec<Effect> {
        let mut out = Vec::new();
        if self.has(Self::WRITE_COOKIES) {
            let auth = machine
                .snapshot()
                .auth
                .as_ref()
                .expect("a session to write");
            out.push(Effect::WriteCookies {
                token: auth.session_token.clone(),
                jwt: auth.session_jwt.clone(),
                expires_device_ms: machine.cookie_expiry(),
            });
        }
        if self.has(Self::CLEAR_COOKIES) {
            out.push(Effect::ClearCookies);
        }
        if self.has(Self::PUBLISH) {
            out.push(Effect::Publish(machine.snapshot().to_json()));
        }
        if self.has(Self::NOTIFY_SESSION | Self::NOTIFY_USER) {
            out.push(Effect::Notify(self.change()));
        }
        if self.has(Self::REFRESH) {
            let (token, duration_minutes) = machine.refresh_request().expect("a session");
            out.push(Effect::Refresh {
                token: token.into(),
                duration_minutes,
            });
        }
        if self.has(Self::TIMER) {
            out.push(Effect::Timer(machine.timer()));
        }
        if self.has(Self::WAKE_LEADER) {
            out.push(Effect::WakeLeader);
        }
        out
    }
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;

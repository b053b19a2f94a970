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

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Write both session cookies; `expires_device_ms` is in device time
    /// (`None`: a browser-session cookie until the expiry is known).
    WriteCookies {
        token: String,
        jwt: String,
        expires_device_ms: Option<i64>,
    },
    ClearCookies,
    /// Persist this snapshot text and send it to the other tabs.
    Publish(String),
    Notify(Change),
    /// Start `sessions/authenticate` with this token.
    Refresh {
        token: String,
        duration_minutes: Option<i64>,
    },
    /// Arm the tab's single timer at this monotonic time, or cancel it.
    Timer(Option<i64>),
    /// Ask the leader tab to refresh now if one is due.
    WakeLeader,
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
}

type Effects = Vec<Effect>;

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
        };
        let mut effects = Vec::new();
        match cookie {
            None if machine.snapshot.auth.is_some() => {
                machine.replace_auth(None);
                effects.push(machine.publish());
            }
            None => {}
            Some((token, _)) if machine.snapshot.token() == Some(token.as_str()) => {
                machine.from_cache = true;
                machine.start_refresh(&mut effects);
            }
            Some((token, jwt)) => {
                machine.replace_auth(Some(unconfirmed(token, jwt)));
                machine.from_cache = true;
                machine.start_refresh(&mut effects);
            }
        }
        (machine, effects)
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

    /// A sign-in method (or an explicit `session.authenticate`) succeeded.
    pub fn authenticated(
        &mut self,
        now: Now,
        data: AuthData,
        duration: Option<i64>,
        date_ms: Option<i64>,
    ) -> Effects {
        let mut effects = Vec::new();
        self.apply_auth(now, data, duration, date_ms, &mut effects);
        self.sync_timer(now, &mut effects);
        effects
    }

    /// The app supplied tokens obtained elsewhere (`updateSession`): adopt
    /// them and confirm them with the server.
    pub fn update_session(&mut self, now: Now, token: String, jwt: String) -> Effects {
        self.wrote_cookie = Some(token.clone());
        let mut effects = vec![Effect::WriteCookies {
            token: token.clone(),
            jwt: jwt.clone(),
            expires_device_ms: None,
        }];
        let before = self.visible();
        self.replace_auth(Some(unconfirmed(token, jwt)));
        self.notify_if_changed(before, &mut effects);
        self.start_refresh(&mut effects);
        self.sync_timer(now, &mut effects);
        effects
    }

    /// The shell is sending a refresh the app asked for explicitly.
    pub fn refresh_began(&mut self, now: Now) -> Effects {
        self.refreshing += 1;
        let mut effects = Vec::new();
        self.sync_timer(now, &mut effects);
        effects
    }

    /// A refresh this machine asked for joined one already in flight, whose
    /// outcome will be reported once.
    pub fn refresh_merged(&mut self, now: Now) -> Effects {
        self.refreshing = self.refreshing.saturating_sub(1);
        let mut effects = Vec::new();
        self.sync_timer(now, &mut effects);
        effects
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
        let mut effects = Vec::new();
        // A sign-in or sign-out happened meanwhile: this answer is about a
        // session the tab no longer holds.
        if self.snapshot.token() == Some(sent_token) {
            match result {
                Ok((data, date_ms)) => {
                    let duration =
                        requested_duration.or(self.auth().and_then(|a| a.duration_minutes));
                    self.apply_auth(now, data, duration, date_ms, &mut effects);
                }
                Err(err) if err.ends_session() || self.expired(now) => self.sign_out(&mut effects),
                Err(_) => {
                    self.retry_at =
                        Some(now.mono + self.config.policy.backoff_ms(self.failures, random));
                    self.failures += 1;
                }
            }
        }
        self.sync_timer(now, &mut effects);
        effects
    }

    /// The user object changed (`users/me`, or `__user` in any response).
    pub fn user_updated(&mut self, now: Now, user: &str) -> Effects {
        let mut effects = Vec::new();
        if let Some(auth) = &self.snapshot.auth {
            if auth.user.as_deref() != Some(user) {
                let before = self.visible();
                let mut auth = auth.clone();
                auth.user = Some(user.into());
                self.replace_auth(Some(auth));
                effects.push(self.publish());
                self.notify_if_changed(before, &mut effects);
            }
        }
        self.sync_timer(now, &mut effects);
        effects
    }

    /// The session ended here: revoked, or cleared by the app.
    pub fn signed_out(&mut self, now: Now) -> Effects {
        let mut effects = Vec::new();
        self.sign_out(&mut effects);
        self.sync_timer(now, &mut effects);
        effects
    }

    /// Another tab published `snapshot` (broadcast or storage event).
    pub fn remote(&mut self, now: Now, snapshot: Snapshot) -> Effects {
        let mut effects = Vec::new();
        if snapshot.supersedes(&self.snapshot) {
            let before = self.visible();
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
            self.snapshot = snapshot;
            self.mend_cookies(&mut effects);
            self.notify_if_changed(before, &mut effects);
        }
        self.sync_timer(now, &mut effects);
        effects
    }

    /// This tab now leads: it refreshes at once if one is due, else arms its timer.
    pub fn became_leader(&mut self, now: Now) -> Effects {
        self.leader = true;
        self.tick(now)
    }

    /// This tab stopped leading (hidden into the back/forward cache, closing).
    pub fn lost_leadership(&mut self, now: Now) -> Effects {
        self.leader = false;
        let mut effects = Vec::new();
        self.sync_timer(now, &mut effects);
        effects
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
        let mut effects = Vec::new();
        if self.auth().is_some() && self.due_at(now).is_some_and(|due| due <= now.mono) {
            effects.push(Effect::WakeLeader);
        }
        effects
    }

    /// Another tab asked the leader to check whether a refresh is due.
    pub fn wake_requested(&mut self, now: Now) -> Effects {
        if self.leader {
            self.tick(now)
        } else {
            Vec::new()
        }
    }

    fn tick(&mut self, now: Now) -> Effects {
        let mut effects = Vec::new();
        let due = self.due_at(now).is_some_and(|due| due <= now.mono);
        if self.leader && self.refreshing == 0 && due {
            self.start_refresh(&mut effects);
        }
        self.sync_timer(now, &mut effects);
        effects
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

    fn sync_timer(&mut self, now: Now, effects: &mut Effects) {
        let wanted = if self.leader && self.refreshing == 0 {
            self.due_at(now)
        } else {
            None
        };
        if wanted != self.timer {
            self.timer = wanted;
            effects.push(Effect::Timer(wanted));
        }
    }

    fn start_refresh(&mut self, effects: &mut Effects) {
        let Some(auth) = self.auth() else { return };
        let duration_minutes = if self.config.keep_session_alive {
            auth.duration_minutes
        } else {
            None
        };
        let token = auth.session_token.clone();
        self.refreshing += 1;
        self.retry_at = None;
        effects.push(Effect::Refresh {
            token,
            duration_minutes,
        });
    }

    fn apply_auth(
        &mut self,
        now: Now,
        data: AuthData,
        duration: Option<i64>,
        date_ms: Option<i64>,
        effects: &mut Effects,
    ) {
        self.clock.observe(now.wall, date_ms, data.jwt_issued_at);
        let before = self.visible();
        self.wrote_cookie = Some(data.session_token.clone());
        effects.push(Effect::WriteCookies {
            token: data.session_token.clone(),
            jwt: data.session_jwt.clone(),
            expires_device_ms: Some(self.clock.to_device(data.expires_at)),
        });
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
        effects.push(self.publish());
        self.notify_if_changed(before, effects);
    }

    /// After adopting another tab's state: if this tab's last cookie write
    /// disagrees with it (it raced that tab, e.g. a refresh answered just
    /// after a sign-out elsewhere), make the cookies match the shared state.
    fn mend_cookies(&mut self, effects: &mut Effects) {
        let Some(written) = &self.wrote_cookie else {
            return;
        };
        match &self.snapshot.auth {
            None => {
                self.wrote_cookie = None;
                effects.push(Effect::ClearCookies);
            }
            Some(auth) if auth.session_token != *written => {
                self.wrote_cookie = Some(auth.session_token.clone());
                effects.push(Effect::WriteCookies {
                    token: auth.session_token.clone(),
                    jwt: auth.session_jwt.clone(),
                    expires_device_ms: auth.expires_at.map(|at| self.clock.to_device(at)),
                });
            }
            Some(_) => {}
        }
    }

    fn sign_out(&mut self, effects: &mut Effects) {
        self.failures = 0;
        self.retry_at = None;
        self.from_cache = false;
        if self.snapshot.auth.is_some() {
            let before = self.visible();
            self.replace_auth(None);
            self.wrote_cookie = None;
            effects.push(Effect::ClearCookies);
            effects.push(self.publish());
            self.notify_if_changed(before, effects);
        }
    }

    /// A new local version of the shared state, written by this tab.
    fn replace_auth(&mut self, auth: Option<Auth>) {
        self.snapshot = Snapshot {
            seq: self.snapshot.seq + 1,
            writer: self.tab,
            clock_offset_ms: self.clock.offset_ms(),
            auth,
        };
    }

    fn publish(&self) -> Effect {
        Effect::Publish(self.snapshot.to_json())
    }

    /// What the app can see: the session and user objects.
    fn visible(&self) -> (Option<String>, Option<String>) {
        let auth = self.auth();
        (
            auth.and_then(|a| a.session.clone()),
            auth.and_then(|a| a.user.clone()),
        )
    }

    fn notify_if_changed(&self, before: (Option<String>, Option<String>), effects: &mut Effects) {
        let after = self.visible();
        let change = Change {
            session: before.0 != after.0,
            user: before.1 != after.1,
        };
        if change.session || change.user {
            effects.push(Effect::Notify(change));
        }
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

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;

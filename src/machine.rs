//! The session state machine of one tab: what each event does to the state
//! all tabs share, and the effects (cookies, storage, broadcast, timers,
//! requests, leadership, notifications) the page must carry out. Pure and
//! clock-free: time comes in with every event, so tests run on simulated time.

use crate::prelude::*;

use crate::clock::ServerClock;
use crate::contract::{effect, fingerprint};
use crate::refresh::RefreshPolicy;
use crate::state::{Auth, Snapshot};

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
    /// How long a request may take: a tab that hears another one started a
    /// refresh waits at least this long before it would take over.
    pub request_timeout_ms: i64,
}

/// The session cookies as the page reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    pub token: String,
    pub jwt: String,
}

/// What an authenticate-type response establishes (the page reads it from
/// the response and hands over the parts the kernel needs).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthData {
    pub token: String,
    pub jwt: String,
    /// The session and user objects, as the page's fingerprints of their
    /// JSON text (the page keeps the objects; the kernel only needs to know
    /// when they change).
    pub session: u64,
    pub user: u64,
    /// When the session ends, in server milliseconds.
    pub expires_at: i64,
    /// The JWT's `iat` in milliseconds: a second reading of server time.
    pub jwt_issued_at: Option<i64>,
}

/// Why the page woke up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    Visible,
    Online,
    /// Restored from the back/forward cache.
    PageShow,
}

/// Which parts of the app-visible state an event changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Change {
    pub session: bool,
    pub user: bool,
}

pub struct Machine {
    config: Config,
    tab: u32,
    /// This tab's share of the follower delay, so that tabs waiting to take
    /// over from a stalled leader do not all move at once.
    jitter_ms: i64,
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
    /// Until then (monotonic) this follower does not take over: another tab
    /// announced a refresh or a retry, or this one just asked to lead.
    quiet_until: i64,
    /// With `effect::BUSY`: how long the other tabs should hold off.
    busy_for_ms: i64,
    /// The cookies as last read by the page (`None` before any reading;
    /// `Some(None)` when there were none).
    cookie: Option<Option<Cookie>>,
    /// The fingerprint of the token this tab last wrote to the cookies
    /// (`None` after it cleared them): when the tabs settle on another state,
    /// the tab mends only what it wrote itself.
    wrote_cookie: Option<u64>,
    /// The effects of the event being handled, returned when it ends.
    fx: u32,
}

impl Machine {
    /// Starts a tab from the session cookie (if any) and the cached snapshot
    /// (if any). The cookie is the source of truth: without it the cache is
    /// dropped; with the cookie the cache was written for, it is shown at
    /// once and confirmed by a refresh; with another cookie, the tokens are
    /// confirmed before anything is shown. `random` spreads this tab's
    /// takeover delay.
    pub fn start(
        config: Config,
        tab: u32,
        random: u32,
        now: Now,
        cookie: Option<Cookie>,
        cached: Option<Snapshot>,
    ) -> (Machine, u32) {
        let cached = cached.unwrap_or_default();
        let clock = ServerClock::with_offset(cached.clock_offset_ms);
        let mut machine = Machine {
            config,
            tab,
            jitter_ms: 0,
            started_at_server: clock.server_now(now.wall),
            clock,
            snapshot: cached,
            from_cache: false,
            leader: false,
            refreshing: 0,
            failures: 0,
            retry_at: None,
            timer: None,
            quiet_until: 0,
            busy_for_ms: 0,
            cookie: None,
            wrote_cookie: None,
            fx: 0,
        };
        machine.jitter_ms = machine.grace_ms() / 2 * i64::from(random) / i64::from(u32::MAX);
        match cookie {
            None => {
                if machine.snapshot.auth.is_some() {
                    machine.replace_auth(None);
                    machine.fx |= effect::PUBLISH;
                }
            }
            Some(cookie) => {
                let matches = machine.auth().map(|a| a.hash) == Some(fingerprint(&cookie.token));
                if matches {
                    machine.fx |= effect::ACCEPTED;
                } else {
                    machine.replace_auth(Some(unconfirmed(&cookie)));
                }
                machine.from_cache = true;
                machine.cookie = Some(Some(cookie));
                machine.take_tokens_from_cookie();
                machine.start_refresh();
            }
        }
        // The app has been told nothing yet: the page compares what it
        // showed from the cache with the state once the module is ready.
        let effects = machine.effects() & !(effect::NOTIFY_SESSION | effect::NOTIFY_USER);
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

    /// When the tab's timer should fire (monotonic), if at all.
    pub fn timer(&self) -> Option<i64> {
        self.timer
    }

    /// The cookie expiry of the current session in device time, if known.
    pub fn cookie_expiry(&self) -> Option<i64> {
        let at = self.auth()?.expires_at?;
        Some(self.clock.to_device(at))
    }

    /// The refresh `effect::REFRESH` asks for: the session token, and the
    /// duration to re-send (only with `keepSessionAlive`).
    pub fn refresh_request(&self) -> Option<(&str, Option<i64>)> {
        let auth = self.auth()?;
        let duration = auth
            .duration_minutes
            .filter(|_| self.config.keep_session_alive);
        Some((auth.token.as_deref()?, duration))
    }

    /// The page read the cookies (it does before every event): a tab that
    /// adopted another tab's session without knowing its token learns it
    /// here, and a JWT another tab refreshed is picked up at once.
    pub fn observe_cookie(&mut self, cookie: Option<Cookie>) {
        self.cookie = Some(cookie);
        self.take_tokens_from_cookie();
    }

    /// A sign-in method (or an explicit `session.authenticate`) succeeded.
    pub fn authenticated(
        &mut self,
        now: Now,
        data: AuthData,
        duration: Option<i64>,
        date_ms: Option<i64>,
    ) -> u32 {
        self.apply_auth(now, data, duration, date_ms);
        self.end(now)
    }

    /// The app supplied tokens obtained elsewhere (`updateSession`): adopt
    /// them and confirm them with the server.
    pub fn update_session(&mut self, now: Now, cookie: Cookie) -> u32 {
        self.replace_auth(Some(unconfirmed(&cookie)));
        self.write_cookies();
        self.start_refresh();
        self.end(now)
    }

    /// The page is sending a refresh the app asked for explicitly.
    pub fn refresh_began(&mut self, now: Now) -> u32 {
        self.refreshing += 1;
        self.announce(self.request_wait_ms());
        self.end(now)
    }

    /// A refresh this machine asked for was not sent: it joined one already
    /// in flight (whose outcome will be reported once), or leadership was
    /// found lost just before sending.
    pub fn refresh_dropped(&mut self, now: Now) -> u32 {
        self.refreshing = self.refreshing.saturating_sub(1);
        self.end(now)
    }

    /// A refresh sent with the token whose fingerprint is `sent` finished.
    /// `Err(true)` is an error that ends the session, `Err(false)` any other
    /// failure. `random` spreads retries.
    pub fn refresh_finished(
        &mut self,
        now: Now,
        sent: u64,
        result: Result<(AuthData, Option<i64>), bool>,
        requested_duration: Option<i64>,
        random: u32,
    ) -> u32 {
        self.refreshing = self.refreshing.saturating_sub(1);
        // A sign-in or sign-out happened meanwhile: this answer is about a
        // session the tab no longer holds.
        if self.auth().map(|a| a.hash) == Some(sent) {
            match result {
                Ok((data, date_ms)) => {
                    let duration =
                        requested_duration.or(self.auth().and_then(|a| a.duration_minutes));
                    self.apply_auth(now, data, duration, date_ms);
                }
                Err(ends_session) if ends_session || self.expired(now) => self.sign_out(),
                Err(_) => {
                    let delay = self.config.policy.backoff_ms(self.failures, random);
                    self.retry_at = Some(now.mono + delay);
                    self.failures += 1;
                    // The other tabs must not mistake the backoff for a
                    // stalled leader and retry on top of it.
                    self.announce(delay + self.request_wait_ms());
                }
            }
        }
        self.end(now)
    }

    /// The user object changed (`users/me`, or `__user` in any response);
    /// `user` is its fingerprint.
    pub fn user_updated(&mut self, now: Now, user: u64) -> u32 {
        if let Some(auth) = &self.snapshot.auth {
            if auth.user != Some(user) {
                let mut auth = auth.clone();
                auth.user = Some(user);
                self.replace_auth(Some(auth));
                self.fx |= effect::PUBLISH | effect::ACCEPTED;
            }
        }
        self.end(now)
    }

    /// The session ended here: revoked, or cleared by the app.
    pub fn signed_out(&mut self, now: Now) -> u32 {
        self.sign_out();
        self.end(now)
    }

    /// Another tab published `snapshot` (broadcast or storage event).
    pub fn remote(&mut self, now: Now, snapshot: Snapshot) -> u32 {
        if snapshot.supersedes(&self.snapshot) {
            let same_session =
                snapshot.auth.as_ref().map(|a| a.hash) == self.auth().map(|a| a.hash);
            let newer_confirmation = confirmed_at(&snapshot) > confirmed_at(&self.snapshot);
            if !same_session || newer_confirmation {
                self.failures = 0;
                self.retry_at = None;
                // Whatever refresh was announced has been answered.
                self.quiet_until = 0;
            }
            if confirmed_at(&snapshot) >= self.started_at_server || snapshot.auth.is_none() {
                self.confirmed();
            }
            // Tabs share the device clock, so the writer's measurement of
            // it holds here too; a tab that never sent a request has no other.
            self.clock = ServerClock::with_offset(snapshot.clock_offset_ms);
            // The tokens never travel between tabs: keep this tab's own for
            // the same session, else read them from the cookie.
            let mut snapshot = snapshot.shared();
            if let (Some(new), Some(old)) = (snapshot.auth.as_mut(), self.snapshot.auth.as_ref()) {
                if new.hash == old.hash {
                    new.token.clone_from(&old.token);
                    new.jwt.clone_from(&old.jwt);
                }
            }
            self.adopt(snapshot);
            self.fx |= effect::ACCEPTED;
            self.take_tokens_from_cookie();
        } else if snapshot.seq == self.snapshot.seq
            && self.snapshot.writer == self.tab
            && snapshot.shared() != self.snapshot.shared()
        {
            // Two tabs changed the state at once and this one won: the loser
            // may have written storage last, so the winner writes it again.
            self.fx |= effect::PUBLISH;
        }
        // Even a stale message is a moment to check the cookies: the tab
        // that sent it may have overwritten them just before losing the race.
        self.mend_cookies();
        self.end(now)
    }

    /// This tab now leads: it refreshes at once if one is due, else arms its timer.
    pub fn became_leader(&mut self, now: Now) -> u32 {
        self.leader = true;
        self.tick(now)
    }

    /// This tab stopped leading (hidden into the back/forward cache, closing,
    /// or another tab took over).
    pub fn lost_leadership(&mut self, now: Now) -> u32 {
        self.leader = false;
        self.end(now)
    }

    /// The tab's timer fired. A leader refreshes if one is due; a follower
    /// whose leader let a refresh go overdue by the grace period asks to
    /// take over (once, until the state moves on or the grace passes again).
    pub fn timer_fired(&mut self, now: Now) -> u32 {
        self.timer = None;
        if !self.leader && self.overdue(now) && now.mono >= self.quiet_until {
            self.fx |= effect::STEAL;
            self.quiet_until = now.mono + self.grace_ms();
        }
        self.tick(now)
    }

    /// Another tab announced a refresh or a retry: until its answer is
    /// published, a follower holds off taking over for `wait_ms`, plus the
    /// grace.
    pub fn busy_seen(&mut self, now: Now, wait_ms: i64) -> u32 {
        self.quiet_until = self.quiet_until.max(now.mono + wait_ms + self.grace_ms());
        self.end(now)
    }

    /// How long others should wait before taking over, after `effect::BUSY`.
    pub fn busy_for(&self) -> i64 {
        self.busy_for_ms
    }

    /// The page became visible, came online or was restored: the leader
    /// refreshes if one is due (at once after a failure when back online);
    /// a follower asks the leader to look.
    pub fn woke(&mut self, now: Now, reason: Wake) -> u32 {
        if reason == Wake::Online && self.failures > 0 {
            self.retry_at = Some(now.mono);
        }
        if self.leader {
            return self.tick(now);
        }
        if self.auth().is_some() && self.due_at(now).is_some_and(|due| due <= now.mono) {
            self.fx |= effect::WAKE_LEADER;
        }
        self.end(now)
    }

    /// Another tab asked the leader to check whether a refresh is due.
    pub fn wake_requested(&mut self, now: Now) -> u32 {
        self.tick(now)
    }

    fn tick(&mut self, now: Now) -> u32 {
        let due = self.due_at(now).is_some_and(|due| due <= now.mono);
        if self.leader && self.refreshing == 0 && due {
            if self.auth().is_some_and(|a| a.token.is_some()) {
                self.start_refresh();
            } else {
                // The cookie no longer holds the session (cleared by the
                // user or the backend): as with no cookie at start-up, the
                // session is over in this browser.
                self.sign_out();
            }
        }
        self.end(now)
    }

    /// The grace a follower gives a late leader before taking over: half an
    /// interval, at least a second (a busy page's timers run late) and at
    /// most 30 s (with the default 3-minute interval a takeover then comes
    /// before the 5-minute JWT runs out).
    fn grace_ms(&self) -> i64 {
        (self.config.policy.interval_ms / 2).clamp(1_000, 30_000)
    }

    fn overdue(&self, now: Now) -> bool {
        self.due_at(now)
            .is_some_and(|due| due + self.grace_ms() <= now.mono)
    }

    /// Ends an event: re-arms the timer, and hands over the effects. A
    /// leader's timer is the next refresh; a follower's is the moment it
    /// would take over from a leader that missed it.
    fn end(&mut self, now: Now) -> u32 {
        let wanted = match self.due_at(now) {
            _ if self.refreshing > 0 => None,
            Some(due) if self.leader => Some(due),
            Some(due) => Some((due + self.grace_ms()).max(self.quiet_until) + self.jitter_ms),
            None => None,
        };
        if wanted != self.timer {
            self.timer = wanted;
            self.fx |= effect::TIMER;
        }
        self.effects()
    }

    fn effects(&mut self) -> u32 {
        core::mem::take(&mut self.fx)
    }

    fn auth(&self) -> Option<&Auth> {
        self.snapshot.auth.as_ref()
    }

    fn expired(&self, now: Now) -> bool {
        self.auth()
            .and_then(|a| a.expires_at)
            .is_some_and(|expires| expires <= self.clock.server_now(now.wall))
    }

    /// When the next refresh is due (monotonic, maybe in the past), if a
    /// session exists.
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
        // Unclamped: how long ago a refresh fell due matters to followers.
        Some(now.mono + (due - server_now))
    }

    fn start_refresh(&mut self) {
        if self.auth().is_some() {
            self.refreshing += 1;
            self.retry_at = None;
            self.fx |= effect::REFRESH;
            self.announce(self.request_wait_ms());
        }
    }

    /// How long a refresh may take to be answered, as far as taking over
    /// from its sender goes: the request timeout, at most an interval.
    fn request_wait_ms(&self) -> i64 {
        self.config
            .request_timeout_ms
            .min(self.config.policy.interval_ms)
    }

    fn announce(&mut self, wait_ms: i64) {
        self.busy_for_ms = wait_ms;
        self.fx |= effect::BUSY;
    }

    fn confirmed(&mut self) {
        if self.from_cache {
            self.from_cache = false;
            self.fx |= effect::NOTIFY_CACHE;
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
        self.fx |= effect::PUBLISH;
        self.replace_auth(Some(Auth {
            hash: fingerprint(&data.token),
            token: Some(data.token),
            jwt: data.jwt,
            session: Some(data.session),
            user: Some(data.user),
            expires_at: Some(data.expires_at),
            confirmed_at: self.clock.server_now(now.wall),
            duration_minutes: duration,
        }));
        self.write_cookies();
        self.confirmed();
        self.fx |= effect::ACCEPTED;
        self.failures = 0;
        self.retry_at = None;
    }

    /// Fills in the tokens of the session from the cookie, when the cookie
    /// holds that session.
    fn take_tokens_from_cookie(&mut self) {
        if let (Some(auth), Some(Some(cookie))) =
            (self.snapshot.auth.as_mut(), self.cookie.as_ref())
        {
            if auth.hash == fingerprint(&cookie.token) {
                auth.token = Some(cookie.token.clone());
                auth.jwt.clone_from(&cookie.jwt);
            }
        }
    }

    /// Keeps the cookies on the shared state when tabs raced each other: a
    /// tab that has written cookies clears them once the tabs settled on a
    /// sign-out (a refresh answered just after a sign-out elsewhere must not
    /// leave the revoked token behind), and rewrites them when it knows the
    /// settled session's token but the cookie holds another one (two
    /// sign-ins at once: the loser's write may have landed last). Without a
    /// reading of the cookie, what the tab last wrote stands for it.
    fn mend_cookies(&mut self) {
        let Some(written) = self.wrote_cookie else {
            return;
        };
        let holds = match &self.cookie {
            Some(cookie) => cookie.as_ref().map(|c| fingerprint(&c.token)),
            None => Some(written),
        };
        match &self.snapshot.auth {
            None => self.clear_cookies(),
            Some(auth) if auth.token.is_some() && holds != Some(auth.hash) => self.write_cookies(),
            Some(_) => {}
        }
    }

    /// Asks the page to write the session's cookies, and remembers what
    /// they then hold.
    fn write_cookies(&mut self) {
        if let Some(Auth {
            token: Some(token),
            jwt,
            hash,
            ..
        }) = &self.snapshot.auth
        {
            self.wrote_cookie = Some(*hash);
            self.cookie = Some(Some(Cookie {
                token: token.clone(),
                jwt: jwt.clone(),
            }));
            self.fx |= effect::WRITE_COOKIES;
        }
    }

    fn clear_cookies(&mut self) {
        self.wrote_cookie = None;
        self.cookie = Some(None);
        self.fx |= effect::CLEAR_COOKIES;
    }

    fn sign_out(&mut self) {
        self.failures = 0;
        self.retry_at = None;
        self.confirmed();
        if self.snapshot.auth.is_some() {
            self.replace_auth(None);
            self.clear_cookies();
            self.fx |= effect::PUBLISH;
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
            self.fx |= effect::NOTIFY_SESSION;
        }
        if old.and_then(|a| a.user.as_ref()) != new.and_then(|a| a.user.as_ref()) {
            self.fx |= effect::NOTIFY_USER;
        }
        self.snapshot = snapshot;
    }
}

/// A session known only by the tokens in a cookie (or given by the app).
fn unconfirmed(cookie: &Cookie) -> Auth {
    Auth {
        token: Some(cookie.token.clone()),
        jwt: cookie.jwt.clone(),
        hash: fingerprint(&cookie.token),
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

/// The effects with their data, as the page reads it: what the tests assert.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    WriteCookies {
        token: String,
        jwt: String,
        expires_device_ms: Option<i64>,
    },
    ClearCookies,
    Publish(Snapshot),
    Notify(Change),
    NotifyCache,
    Refresh {
        token: String,
        duration_minutes: Option<i64>,
    },
    Timer(Option<i64>),
    WakeLeader,
    Steal,
    Busy(i64),
    Accepted,
}

/// Reads each effect's data from `machine`, in the order the page carries
/// them out.
#[cfg(test)]
pub fn expand(effects: u32, machine: &Machine) -> Vec<Effect> {
    use effect::*;
    let has = |flag: u32| effects & flag != 0;
    let mut out = Vec::new();
    if has(WRITE_COOKIES) {
        let auth = machine
            .snapshot()
            .auth
            .as_ref()
            .expect("a session to write");
        out.push(Effect::WriteCookies {
            token: auth.token.clone().expect("a known token to write"),
            jwt: auth.jwt.clone(),
            expires_device_ms: machine.cookie_expiry(),
        });
    }
    if has(CLEAR_COOKIES) {
        out.push(Effect::ClearCookies);
    }
    if has(PUBLISH) {
        out.push(Effect::Publish(machine.snapshot().shared()));
    }
    if has(NOTIFY_SESSION | NOTIFY_USER) {
        out.push(Effect::Notify(Change {
            session: has(NOTIFY_SESSION),
            user: has(NOTIFY_USER),
        }));
    }
    if has(NOTIFY_CACHE) {
        out.push(Effect::NotifyCache);
    }
    if has(REFRESH) {
        let (token, duration_minutes) = machine.refresh_request().expect("a session");
        out.push(Effect::Refresh {
            token: token.into(),
            duration_minutes,
        });
    }
    if has(TIMER) {
        out.push(Effect::Timer(machine.timer()));
    }
    if has(WAKE_LEADER) {
        out.push(Effect::WakeLeader);
    }
    if has(STEAL) {
        out.push(Effect::Steal);
    }
    if has(BUSY) {
        out.push(Effect::Busy(machine.busy_for()));
    }
    if has(ACCEPTED) {
        out.push(Effect::Accepted);
    }
    out
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;

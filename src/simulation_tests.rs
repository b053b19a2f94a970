//! A deterministic many-tab simulation: N tab machines sharing a cookie jar,
//! localStorage, a broadcast bus with latency, a leader lock that can be
//! stolen, and a server that counts refreshes, all on simulated time with
//! skewed device clocks. Tabs can close, crash or be paused (a debugger, a
//! frozen page): a paused tab handles nothing until it resumes, then
//! everything that queued up, in order.

use core::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use crate::contract::fingerprint;
use crate::machine::{expand, AuthData, Config, Cookie, Effect, Machine, Now, Wake};
use crate::refresh::RefreshPolicy;
use crate::state::Snapshot;

const SEC: i64 = 1_000;
const MIN: i64 = 60 * SEC;
const SERVER_EPOCH: i64 = 1_800_000_000_000;
const BUS_LATENCY: i64 = 15;
const HALF_RTT: i64 = 40;
const LOCK_HANDOVER: i64 = 5;

/// What one tab tells the others (BroadcastChannel; the state also arrives
/// a second time as a storage event).
#[derive(Debug, Clone)]
enum Message {
    State(Snapshot),
    Wake,
    Busy(i64),
}

#[derive(Debug)]
enum Event {
    Timer {
        tab: usize,
        version: u64,
    },
    Deliver {
        tab: usize,
        message: Message,
    },
    RefreshArrives {
        tab: usize,
        token: String,
        duration: Option<i64>,
    },
    RefreshAnswered {
        tab: usize,
        token: String,
        duration: Option<i64>,
        result: Result<(AuthData, Option<i64>), bool>,
    },
    Leader {
        tab: usize,
    },
    /// The lock was stolen from this tab.
    Lost {
        tab: usize,
    },
}

impl Event {
    fn tab(&self) -> usize {
        match self {
            Event::Timer { tab, .. }
            | Event::Deliver { tab, .. }
            | Event::RefreshArrives { tab, .. }
            | Event::RefreshAnswered { tab, .. }
            | Event::Leader { tab }
            | Event::Lost { tab } => *tab,
        }
    }
}

struct Tab {
    machine: Machine,
    opened_at: i64,
    alive: bool,
    timer_version: u64,
    notifications: Vec<i64>,
    /// Handles nothing before this time (paused by a debugger, frozen).
    paused_until: i64,
}

struct ServerSession {
    expires_at: i64,
    revoked: bool,
}

struct World {
    time: i64,
    seq: u64,
    queue: BinaryHeap<Reverse<(i64, u64, usize)>>,
    events: HashMap<usize, Event>,
    next_event: usize,
    tabs: Vec<Tab>,
    cookie: Option<(String, String)>,
    storage: Option<Snapshot>,
    /// The Web Lock: the holder first, then the tabs waiting for it.
    lock_queue: Vec<usize>,
    sessions: HashMap<String, ServerSession>,
    refreshes_at: Vec<i64>,
    outage_until: i64,
    random: u32,
    config: Config,
    /// How far the device's wall clock is off the server's.
    skew: i64,
}

impl World {
    fn new(interval: i64, skew: i64) -> World {
        World {
            time: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            events: HashMap::new(),
            next_event: 0,
            tabs: Vec::new(),
            cookie: None,
            storage: None,
            lock_queue: Vec::new(),
            sessions: HashMap::new(),
            refreshes_at: Vec::new(),
            outage_until: 0,
            random: 12345,
            config: Config {
                policy: RefreshPolicy {
                    interval_ms: interval,
                },
                keep_session_alive: false,
                request_timeout_ms: 20 * SEC,
            },
            skew,
        }
    }

    fn now_of(&self, tab: usize) -> Now {
        Now {
            mono: self.time - self.tabs[tab].opened_at,
            wall: SERVER_EPOCH + self.time + self.skew,
        }
    }

    fn server_now(&self) -> i64 {
        SERVER_EPOCH + self.time
    }

    fn schedule(&mut self, at: i64, event: Event) {
        let id = self.next_event;
        self.next_event += 1;
        self.seq += 1;
        self.events.insert(id, event);
        self.queue.push(Reverse((at.max(self.time), self.seq, id)));
    }

    fn next_random(&mut self) -> u32 {
        self.random = self.random.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        self.random
    }

    fn jar(&self) -> Option<Cookie> {
        self.cookie
            .clone()
            .map(|(token, jwt)| Cookie { token, jwt })
    }

    /// What the page does before every event: read the cookies.
    fn observe(&mut self, tab: usize) {
        let jar = self.jar();
        self.tabs[tab].machine.observe_cookie(jar);
    }

    fn open_tab(&mut self) -> usize {
        let index = self.tabs.len();
        let opened_at = self.time;
        let now = Now {
            mono: 0,
            wall: SERVER_EPOCH + self.time + self.skew,
        };
        let random = self.next_random();
        let (machine, effects) = Machine::start(
            self.config,
            index as u32 + 1,
            random,
            now,
            self.jar(),
            self.storage.clone(),
        );
        self.tabs.push(Tab {
            machine,
            opened_at,
            alive: true,
            timer_version: 0,
            notifications: Vec::new(),
            paused_until: 0,
        });
        self.run_effects(index, effects);
        self.lock_queue.push(index);
        if self.lock_queue.len() == 1 {
            self.schedule(self.time + LOCK_HANDOVER, Event::Leader { tab: index });
        }
        index
    }

    /// Closing and crashing look the same to the others: the lock is freed.
    fn close_tab(&mut self, tab: usize) {
        self.tabs[tab].alive = false;
        let was_leader = self.lock_queue.first() == Some(&tab);
        self.lock_queue.retain(|&t| t != tab);
        if was_leader {
            if let Some(&next) = self.lock_queue.first() {
                self.schedule(self.time + LOCK_HANDOVER, Event::Leader { tab: next });
            }
        }
    }

    fn pause(&mut self, tab: usize, until: i64) {
        self.tabs[tab].paused_until = until;
    }

    fn login(&mut self, tab: usize, token: &str, minutes: i64) {
        let expires_at = self.server_now() + minutes * MIN;
        self.sessions.insert(
            token.into(),
            ServerSession {
                expires_at,
                revoked: false,
            },
        );
        let data = self.auth_data(token, expires_at);
        let now = self.now_of(tab);
        let date = Some(self.server_now());
        self.observe(tab);
        let effects = self.tabs[tab]
            .machine
            .authenticated(now, data, Some(minutes), date);
        self.run_effects(tab, effects);
    }

    fn logout(&mut self, tab: usize) {
        if let Some(token) = self.tabs[tab]
            .machine
            .snapshot()
            .auth
            .as_ref()
            .and_then(|a| a.token.clone())
        {
            if let Some(session) = self.sessions.get_mut(&token) {
                session.revoked = true;
            }
        }
        let now = self.now_of(tab);
        self.observe(tab);
        let effects = self.tabs[tab].machine.signed_out(now);
        self.run_effects(tab, effects);
    }

    fn wake(&mut self, tab: usize, reason: Wake) {
        let now = self.now_of(tab);
        self.observe(tab);
        let effects = self.tabs[tab].machine.woke(now, reason);
        self.run_effects(tab, effects);
    }

    fn auth_data(&self, token: &str, expires_at: i64) -> AuthData {
        AuthData {
            token: token.into(),
            jwt: format!("jwt-{token}-{}", self.time),
            session: token
                .bytes()
                .fold(expires_at as u64, |h, b| h.wrapping_mul(31) ^ u64::from(b))
                >> 11,
            user: 42,
            expires_at,
            jwt_issued_at: Some(self.server_now() / 1000 * 1000),
        }
    }

    fn broadcast(&mut self, from: usize, message: Message, copies: i64) {
        for other in 0..self.tabs.len() {
            if other != from && self.tabs[other].alive {
                for copy in 1..=copies {
                    self.schedule(
                        self.time + BUS_LATENCY * copy,
                        Event::Deliver {
                            tab: other,
                            message: message.clone(),
                        },
                    );
                }
            }
        }
    }

    fn run_effects(&mut self, tab: usize, effects: u32) {
        for effect in expand(effects, &self.tabs[tab].machine) {
            if std::env::var("SIMDEBUG").is_ok() {
                eprintln!(
                    "t={} tab={} {:?}",
                    self.time,
                    tab,
                    match &effect {
                        Effect::Publish(_) => "Publish".to_string(),
                        e => format!("{e:?}"),
                    }
                );
            }
            match effect {
                Effect::WriteCookies { token, jwt, .. } => self.cookie = Some((token, jwt)),
                Effect::ClearCookies => self.cookie = None,
                Effect::Publish(shared) => {
                    assert!(
                        shared
                            .auth
                            .as_ref()
                            .is_none_or(|a| a.token.is_none() && a.jwt.is_empty()),
                        "no token is ever shared"
                    );
                    self.storage = Some(shared.clone());
                    // Every change arrives twice, as BroadcastChannel and as
                    // storage event: the second copy must be a no-op.
                    self.broadcast(tab, Message::State(shared), 2);
                }
                Effect::Notify(_) => self.tabs[tab].notifications.push(self.time),
                Effect::NotifyCache | Effect::Accepted => {}
                Effect::Refresh {
                    token,
                    duration_minutes,
                } => {
                    // The page fences a leader's refresh: it sends only
                    // while the lock is still this tab's.
                    let machine = &self.tabs[tab].machine;
                    if machine.is_leader() && self.lock_queue.first() != Some(&tab) {
                        let now = self.now_of(tab);
                        let mut fx = self.tabs[tab].machine.refresh_dropped(now);
                        fx |= self.tabs[tab].machine.lost_leadership(now);
                        self.run_effects(tab, fx);
                        continue;
                    }
                    self.schedule(
                        self.time + HALF_RTT,
                        Event::RefreshArrives {
                            tab,
                            token,
                            duration: duration_minutes,
                        },
                    );
                }
                Effect::Timer(at) => {
                    self.tabs[tab].timer_version += 1;
                    if let Some(mono) = at {
                        let version = self.tabs[tab].timer_version;
                        let fire = self.tabs[tab].opened_at + mono;
                        self.schedule(fire, Event::Timer { tab, version });
                    }
                }
                Effect::WakeLeader => self.broadcast(tab, Message::Wake, 1),
                Effect::Busy(wait) => self.broadcast(tab, Message::Busy(wait), 1),
                Effect::Steal => {
                    // `navigator.locks.request(name, {steal: true})`: granted
                    // at once; the holder's lock is released under it.
                    if let Some(&holder) = self.lock_queue.first() {
                        if holder != tab {
                            self.schedule(self.time + LOCK_HANDOVER, Event::Lost { tab: holder });
                        }
                    }
                    self.lock_queue.retain(|&t| t != tab);
                    self.lock_queue.insert(0, tab);
                    self.schedule(self.time + LOCK_HANDOVER, Event::Leader { tab });
                }
            }
        }
    }

    fn answer_refresh(
        &mut self,
        token: &str,
        duration: Option<i64>,
    ) -> Result<(AuthData, Option<i64>), bool> {
        self.refreshes_at.push(self.time);
        if self.time < self.outage_until {
            return Err(false);
        }
        let server_now = self.server_now();
        let expires_at = match self.sessions.get_mut(token) {
            Some(s) if !s.revoked && s.expires_at > server_now => {
                if let Some(minutes) = duration {
                    s.expires_at = server_now + minutes * MIN;
                }
                s.expires_at
            }
            // session_not_found ends the session.
            _ => return Err(true),
        };
        Ok((
            self.auth_data(token, expires_at),
            Some(server_now / 1000 * 1000),
        ))
    }

    fn run_until(&mut self, end: i64) {
        while let Some(Reverse((at, _, id))) = self.queue.peek().copied() {
            if at > end {
                break;
            }
            self.queue.pop();
            self.time = at;
            let event = self.events.remove(&id).unwrap();
            let tab = event.tab();
            if !self.tabs[tab].alive && !matches!(event, Event::RefreshArrives { .. }) {
                continue;
            }
            if self.tabs[tab].paused_until > self.time
                && !matches!(event, Event::RefreshArrives { .. })
            {
                let resume = self.tabs[tab].paused_until;
                self.schedule(resume, event);
                continue;
            }
            let now = self.now_of(tab);
            self.observe(tab);
            let effects = match event {
                Event::Timer { version, .. } if version == self.tabs[tab].timer_version => {
                    // The page re-reads the shared state before acting on
                    // its timer: a late timer must not act on stale state.
                    let mut fx = 0;
                    if let Some(stored) = self.storage.clone() {
                        fx |= self.tabs[tab].machine.remote(now, stored);
                    }
                    fx | self.tabs[tab].machine.timer_fired(now)
                }
                Event::Timer { .. } => continue,
                Event::Deliver { message, .. } => match message {
                    Message::State(snapshot) => self.tabs[tab].machine.remote(now, snapshot),
                    Message::Wake => self.tabs[tab].machine.wake_requested(now),
                    Message::Busy(wait) => self.tabs[tab].machine.busy_seen(now, wait),
                },
                Event::RefreshArrives {
                    token, duration, ..
                } => {
                    let result = self.answer_refresh(&token, duration);
                    self.schedule(
                        self.time + HALF_RTT,
                        Event::RefreshAnswered {
                            tab,
                            token,
                            duration,
                            result,
                        },
                    );
                    continue;
                }
                Event::RefreshAnswered {
                    token,
                    duration,
                    result,
                    ..
                } => {
                    let random = self.next_random();
                    self.tabs[tab].machine.refresh_finished(
                        now,
                        fingerprint(&token),
                        result,
                        duration,
                        random,
                    )
                }
                Event::Leader { .. } if self.lock_queue.first() == Some(&tab) => {
                    self.tabs[tab].machine.became_leader(now)
                }
                Event::Leader { .. } => continue,
                Event::Lost { .. } => {
                    // The page queues for the lock again.
                    if !self.lock_queue.contains(&tab) {
                        self.lock_queue.push(tab);
                    }
                    self.tabs[tab].machine.lost_leadership(now)
                }
            };
            self.run_effects(tab, effects);
        }
        self.time = end;
    }

    fn refreshes_between(&self, from: i64, to: i64) -> usize {
        self.refreshes_at
            .iter()
            .filter(|&&t| t >= from && t < to)
            .count()
    }

    /// Asserts that refreshes from `from` on come one interval apart (the
    /// interval counts from each answer, so a round trip is added each time).
    fn assert_one_per_interval(&self, from: i64, context: &str) {
        let interval = self.config.policy.interval_ms;
        let times: Vec<i64> = self
            .refreshes_at
            .iter()
            .copied()
            .filter(|&t| t >= from)
            .collect();
        let span = self.time - from;
        assert!(
            times.len() as i64 >= span / interval - 1,
            "{context}: {times:?}"
        );
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                (interval - SEC..=interval + SEC).contains(&gap),
                "{context}: gap {gap} in {times:?}"
            );
        }
    }

    fn alive_tabs(&self) -> impl Iterator<Item = &Tab> {
        self.tabs.iter().filter(|t| t.alive)
    }

    fn assert_converged(&self) {
        let expected = self.storage.clone().unwrap();
        for (i, tab) in self.tabs.iter().enumerate().filter(|(_, t)| t.alive) {
            assert_eq!(
                tab.machine.snapshot().seq,
                expected.seq,
                "tab {i} at {}",
                self.time
            );
            assert_eq!(
                tab.machine.snapshot().shared().auth,
                expected.auth,
                "tab {i} at {}",
                self.time
            );
        }
        assert_eq!(
            self.cookie.as_ref().map(|c| fingerprint(&c.0)),
            expected.auth.as_ref().map(|a| a.hash),
            "the cookie holds the shared session"
        );
    }
}

/// Device clocks from hours behind to hours ahead of the server.
const SKEWS: [i64; 5] = [0, -3 * 3_600_000, 11 * 3_600_000, 45 * SEC, -7 * MIN];

fn world_with_tabs(n: usize, interval: i64, skew: i64) -> World {
    let mut world = World::new(interval, skew);
    for _ in 0..n {
        world.open_tab();
        world.run_until(world.time + 200);
    }
    world.login(n - 1, "t1", 24 * 60);
    world.run_until(world.time + SEC);
    world.assert_converged();
    world
}

fn token_of(tab: &Tab) -> Option<&str> {
    tab.machine
        .snapshot()
        .auth
        .as_ref()
        .and_then(|a| a.token.as_deref())
}

#[test]
fn n_tabs_make_one_refresh_per_interval_whatever_the_device_clock() {
    for skew in SKEWS {
        for n in [1, 2, 4, 8, 12] {
            let mut world = world_with_tabs(n, 3 * MIN, skew);
            let start = world.time;
            world.run_until(start + 60 * MIN);
            assert_eq!(
                world.refreshes_at.len(),
                19,
                "n={n} skew={skew}: {:?}",
                world.refreshes_at
            );
            world.assert_one_per_interval(start, &format!("n={n} skew={skew}"));
            world.assert_converged();
            assert!(
                world.alive_tabs().all(|t| token_of(t) == Some("t1")),
                "every tab knows the token, from the cookie"
            );
        }
    }
}

#[test]
fn every_tab_sees_a_login_and_a_logout_within_a_second() {
    let mut world = world_with_tabs(4, 3 * MIN, SKEWS[1]);
    world.run_until(world.time + 5 * MIN);
    let before: Vec<usize> = world.tabs.iter().map(|t| t.notifications.len()).collect();
    let logout_at = world.time;
    world.logout(2);
    world.run_until(logout_at + SEC);
    world.assert_converged();
    for (i, tab) in world.tabs.iter().enumerate() {
        assert!(tab.machine.snapshot().auth.is_none(), "tab {i}");
        assert_eq!(
            tab.notifications.len(),
            before[i] + 1,
            "tab {i}: exactly one notification"
        );
        assert!(tab.notifications.last().unwrap() - logout_at < SEC);
    }
    assert!(world.cookie.is_none());
    let refreshes = world.refreshes_at.len();
    world.run_until(world.time + 30 * MIN);
    assert_eq!(
        world.refreshes_at.len(),
        refreshes,
        "no refreshes without a session"
    );

    world.login(0, "t2", 60);
    world.run_until(world.time + SEC);
    world.assert_converged();
    assert!(world.alive_tabs().all(|t| token_of(t) == Some("t2")));
}

#[test]
fn a_closing_or_crashing_leader_hands_over_without_a_gap_or_a_double_refresh() {
    for skew in SKEWS {
        let mut world = world_with_tabs(4, 3 * MIN, skew);
        let start = world.time;
        world.run_until(start + 10 * MIN);
        world.close_tab(0); // the first tab opened holds the lock
        world.run_until(start + 20 * MIN);
        world.close_tab(1);
        world.run_until(start + 40 * MIN);
        world.assert_one_per_interval(start, &format!("skew={skew}"));
        assert!(world.tabs[2].machine.is_leader() && !world.tabs[3].machine.is_leader());
        world.assert_converged();
    }
}

/// Refresh gaps from `from` on: none longer than `longest`, none shorter
/// than an interval less a second (never two refreshes in one interval).
fn assert_gaps(world: &World, from: i64, longest: i64, context: &str) {
    let interval = world.config.policy.interval_ms;
    let times: Vec<i64> = world
        .refreshes_at
        .iter()
        .copied()
        .filter(|&t| t >= from)
        .collect();
    assert!(times.len() >= 2, "{context}: {times:?}");
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= interval - SEC,
            "{context}: two refreshes {gap} ms apart in {times:?}"
        );
        assert!(gap <= longest, "{context}: a gap of {gap} ms in {times:?}");
    }
}

#[test]
fn a_paused_leader_is_replaced_within_three_intervals_and_never_doubled() {
    for (interval, pause) in [(2 * SEC, 20 * SEC), (3 * MIN, 10 * MIN)] {
        for skew in SKEWS {
            let mut world = world_with_tabs(4, interval, skew);
            let start = world.time;
            world.run_until(start + 3 * interval + interval / 3);
            let paused_at = world.time;
            world.pause(0, paused_at + pause);
            world.run_until(paused_at + pause + 5 * interval);
            let context = format!("interval={interval} skew={skew}");
            assert_gaps(&world, start, 3 * interval, &context);
            let leaders = world.alive_tabs().filter(|t| t.machine.is_leader()).count();
            assert_eq!(
                leaders, 1,
                "{context}: one leader once the paused one resumed"
            );
            assert!(!world.tabs[0].machine.is_leader(), "{context}");
            world.assert_converged();
            // With the default interval, the JWT (5 minutes) never lapses.
            if interval == 3 * MIN {
                assert_gaps(&world, start, 5 * MIN - 10 * SEC, &context);
            }
        }
    }
}

#[test]
fn a_leader_paused_while_its_refresh_is_in_flight_is_replaced_and_not_doubled() {
    let interval = 2 * SEC;
    let mut world = world_with_tabs(4, interval, 0);
    let start = world.time;
    // Run until the leader has just sent its refresh, then pause it.
    let before = world.refreshes_at.len();
    while world.refreshes_at.len() == before {
        world.run_until(world.time + 10);
    }
    let paused_at = world.time;
    world.pause(0, paused_at + 20 * SEC);
    world.run_until(paused_at + 30 * SEC);
    assert_gaps(&world, start, 3 * interval, "paused mid-refresh");
    world.assert_converged();
}

#[test]
fn a_leader_whose_timers_are_throttled_is_not_doubled_when_they_fire() {
    let interval = 3 * MIN;
    let mut world = world_with_tabs(3, interval, SKEWS[3]);
    let start = world.time;
    // Background timer throttling: the leader's timers fire up to a minute
    // late, while it keeps handling messages.
    for _ in 0..40 {
        world.tabs[0].timer_version += 1; // drop whatever is armed
        world.run_until(world.time + MIN);
        let version = world.tabs[0].timer_version;
        world.schedule(world.time, Event::Timer { tab: 0, version });
    }
    assert_gaps(&world, start, 3 * interval, "throttled leader");
    world.assert_converged();
}

#[test]
fn a_revoked_session_signs_out_every_tab_at_the_next_refresh() {
    let mut world = world_with_tabs(3, 3 * MIN, SKEWS[2]);
    world.run_until(world.time + 4 * MIN);
    world.sessions.get_mut("t1").unwrap().revoked = true; // e.g. /v1/sessions/revoke
    world.run_until(world.time + 3 * MIN + SEC);
    assert!(world
        .alive_tabs()
        .all(|t| t.machine.snapshot().auth.is_none()));
    assert!(world.cookie.is_none());
}

#[test]
fn an_outage_keeps_the_session_and_backs_off() {
    let mut world = world_with_tabs(4, 3 * MIN, SKEWS[3]);
    let start = world.time;
    world.outage_until = start + 10 * MIN;
    world.run_until(start + 10 * MIN);
    let during = world.refreshes_between(start, start + 10 * MIN);
    // 2+4+8+16+32+64+128 s of backoff fits about 8 attempts into 10 minutes;
    // without backoff a 1 s retry loop would make hundreds.
    assert!(
        (3..=10).contains(&during),
        "{during} attempts during the outage"
    );
    assert!(
        world
            .alive_tabs()
            .all(|t| t.machine.snapshot().auth.is_some()),
        "nobody signed out"
    );
    world.run_until(start + 15 * MIN);
    let after = world.refreshes_between(start + 10 * MIN, start + 15 * MIN);
    assert!((1..=3).contains(&after), "{after}");
    let last_ok = *world.refreshes_at.last().unwrap();
    world.run_until(last_ok + 3 * MIN + SEC);
    assert_eq!(
        world.refreshes_between(last_ok + 1, last_ok + 3 * MIN + SEC),
        1,
        "back on the interval"
    );
    world.assert_converged();
}

#[test]
fn a_reloaded_tab_restores_from_cache_and_confirms_once() {
    let mut world = world_with_tabs(2, 3 * MIN, SKEWS[4]);
    world.run_until(world.time + MIN);
    world.close_tab(1);
    let before = world.refreshes_at.len();
    let reopened = world.open_tab();
    let tab = &world.tabs[reopened];
    assert!(tab.machine.from_cache());
    assert!(
        tab.machine
            .snapshot()
            .auth
            .as_ref()
            .unwrap()
            .session
            .is_some(),
        "shown at once"
    );
    assert_eq!(token_of(tab), Some("t1"), "the token comes from the cookie");
    world.run_until(world.time + SEC);
    assert_eq!(world.refreshes_at.len(), before + 1, "one confirmation");
    assert!(!world.tabs[reopened].machine.from_cache());
    // The confirmation moved the leader's schedule: still one per interval.
    let start = world.time - SEC;
    world.run_until(start + 30 * MIN);
    world.assert_one_per_interval(start, "after the reload");
}

#[test]
fn a_reload_whose_cookie_holds_another_session_does_not_show_the_cache() {
    let mut world = world_with_tabs(1, 3 * MIN, 0);
    world.run_until(world.time + MIN);
    world.close_tab(0);
    // Another sign-in replaced the cookie (e.g. the backend set it).
    world.sessions.insert(
        "t9".into(),
        ServerSession {
            expires_at: world.server_now() + 60 * MIN,
            revoked: false,
        },
    );
    world.cookie = Some(("t9".into(), "jwt-t9".into()));
    let reopened = world.open_tab();
    let auth = world.tabs[reopened]
        .machine
        .snapshot()
        .auth
        .clone()
        .unwrap();
    assert_eq!(auth.session, None, "the cached session is not the cookie's");
    assert_eq!(auth.hash, fingerprint("t9"));
    world.run_until(world.time + SEC);
    assert!(world.tabs[reopened]
        .machine
        .snapshot()
        .auth
        .as_ref()
        .unwrap()
        .session
        .is_some());
    world.assert_converged();
}

#[test]
fn a_woken_follower_gets_an_overdue_refresh_from_the_leader() {
    let mut world = world_with_tabs(3, 3 * MIN, SKEWS[1]);
    // The leader's timer is throttled in the background: simulate by
    // cancelling it, then a follower becomes visible after the due time but
    // before the followers' grace runs out.
    world.tabs[0].timer_version += 100;
    let start = world.time;
    world.run_until(start + 3 * MIN + 10 * SEC);
    assert_eq!(world.refreshes_between(start, world.time), 0);
    world.wake(2, Wake::Visible);
    world.run_until(world.time + SEC);
    assert_eq!(world.refreshes_between(start, world.time), 1);
    assert!(
        world.tabs[0].machine.is_leader(),
        "the leader did it, nobody took over"
    );
    world.assert_converged();
}

#[test]
fn a_session_ends_on_time_for_everyone_without_keep_alive() {
    let mut world = World::new(3 * MIN, SKEWS[2]);
    world.open_tab();
    world.open_tab();
    world.run_until(SEC);
    world.login(0, "short", 10);
    world.run_until(10 * MIN + 2 * SEC);
    assert!(
        world
            .alive_tabs()
            .all(|t| t.machine.snapshot().auth.is_none()),
        "ended within seconds of expiry"
    );
}

#[test]
fn concurrent_sign_ins_in_two_tabs_settle_on_one_session_and_its_cookie() {
    let mut world = World::new(3 * MIN, 0);
    world.open_tab();
    world.open_tab();
    world.run_until(SEC);
    // Both sign in in the same instant; tab 0 writes its cookie last, but
    // tab 1 (higher writer id) wins the tie.
    world.login(1, "tb", 60);
    world.login(0, "ta", 60);
    assert_eq!(world.cookie.as_ref().unwrap().0, "ta");
    world.run_until(world.time + SEC);
    world.assert_converged();
    assert!(world.alive_tabs().all(|t| token_of(t) == Some("tb")));
}

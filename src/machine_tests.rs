//! Unit tests of the session machine on simulated time.

use super::*;
use crate::contract::{class, fingerprint};
use crate::errors::classify;

/// `expand` as a method, so the tests read in the order things happen.
trait Expand {
    fn expand(self, machine: &Machine) -> Vec<Effect>;
}

impl Expand for u32 {
    fn expand(self, machine: &Machine) -> Vec<Effect> {
        expand(self, machine)
    }
}

/// A failure that proves nothing about the session (no answer at all).
const NETWORK: bool = false;

fn cookie(token: &str, jwt: &str) -> Cookie {
    Cookie {
        token: token.into(),
        jwt: jwt.into(),
    }
}

/// The fingerprint the page would give an object's JSON text.
fn key(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish() >> 11
}

fn token(m: &Machine) -> Option<&str> {
    m.snapshot().auth.as_ref().and_then(|a| a.token.as_deref())
}

const SEC: i64 = 1_000;
const MIN: i64 = 60 * SEC;
const SERVER_T0: i64 = 1_800_000_000_000;

fn config(keep_session_alive: bool) -> Config {
    Config {
        policy: RefreshPolicy::default(),
        keep_session_alive,
        request_timeout_ms: 20_000,
    }
}

/// A device whose wall clock is `skew` ms off the server's.
fn at(mono: i64, skew: i64) -> Now {
    Now {
        mono,
        wall: SERVER_T0 + mono + skew,
    }
}

fn data(token: &str, expires_at: i64, user_name: &str) -> AuthData {
    AuthData {
        token: token.into(),
        jwt: format!("jwt-{token}"),
        session: key(&format!(
            r#"{{"session_id":"session-test-{token}","expires_at":"x"}}"#
        )),
        user: key(&format!(
            r#"{{"user_id":"user-test-1","name":{{"first_name":"{user_name}"}}}}"#
        )),
        expires_at,
        jwt_issued_at: None,
    }
}

/// An API error as the machine hears of it: whether it ends the session.
fn api_error(error_type: &str, status_code: u16) -> bool {
    classify(status_code, error_type) & class::ENDS_SESSION != 0
}

fn fresh(keep_alive: bool) -> Machine {
    Machine::start(config(keep_alive), 1, 0, at(0, 0), None, None).0
}

/// A leader tab signed in at mono 0 on an accurate clock, 60-minute session.
fn signed_in_leader() -> Machine {
    let mut m = fresh(false);
    m.became_leader(at(0, 0)).expand(&m);
    m.authenticated(
        at(0, 0),
        data("t1", SERVER_T0 + 60 * MIN, "Ada"),
        Some(60),
        Some(SERVER_T0),
    )
    .expand(&m);
    m
}

fn timers(effects: &[Effect]) -> Vec<Option<i64>> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Timer(t) => Some(*t),
            _ => None,
        })
        .collect()
}

fn refreshes(effects: &[Effect]) -> Vec<(String, Option<i64>)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Refresh {
                token,
                duration_minutes,
            } => Some((token.clone(), *duration_minutes)),
            _ => None,
        })
        .collect()
}

fn notifications(effects: &[Effect]) -> Vec<Change> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notify(c) => Some(*c),
            _ => None,
        })
        .collect()
}

#[test]
fn start_without_cookie_drops_the_cache_quietly() {
    let cached = Snapshot {
        seq: 5,
        auth: Some(Auth {
            token: None,
            jwt: String::new(),
            hash: fingerprint("t"),
            session: Some(key("{}")),
            user: None,
            expires_at: None,
            confirmed_at: 0,
            duration_minutes: None,
        }),
        ..Snapshot::default()
    };
    let (m, effects) = Machine::start(config(false), 1, 0, at(0, 0), None, Some(cached));
    let effects = effects.expand(&m);
    assert!(m.snapshot().auth.is_none());
    assert_eq!(m.snapshot().seq, 6);
    assert!(
        matches!(effects.as_slice(), [Effect::Publish(_)]),
        "{effects:?}"
    );
    assert!(!m.from_cache());
}

#[test]
fn start_with_cookie_shows_the_cache_at_once_and_confirms_it() {
    let mut leader = signed_in_leader();
    let cached = leader.snapshot().clone();
    let (m, effects) = Machine::start(
        config(false),
        2,
        0,
        at(5_000, 0),
        Some(cookie("t1", "jwt-t1")),
        Some(cached.clone()),
    );
    let effects = effects.expand(&m);
    assert_eq!(m.snapshot(), &cached, "restored without a new version");
    assert!(m.from_cache());
    assert_eq!(refreshes(&effects), vec![("t1".into(), None)]);
    assert!(notifications(&effects).is_empty());
    // The leader's confirmation supersedes nothing here; the follower's own
    // confirmation will.
    assert!(leader
        .remote(at(5_000, 0), cached)
        .expand(&leader)
        .is_empty());
}

#[test]
fn start_with_an_unknown_cookie_confirms_the_tokens_before_showing_anything() {
    let (m, effects) = Machine::start(
        config(false),
        1,
        0,
        at(0, 0),
        Some(cookie("cookie-token", "j")),
        None,
    );
    let effects = effects.expand(&m);
    let auth = m.snapshot().auth.as_ref().unwrap();
    assert_eq!(auth.token.as_deref(), Some("cookie-token"));
    assert_eq!(auth.hash, fingerprint("cookie-token"));
    assert!(auth.session.is_none() && auth.user.is_none());
    assert_eq!(refreshes(&effects), vec![("cookie-token".into(), None)]);
}

#[test]
fn login_writes_cookies_publishes_and_notifies_once() {
    let mut m = fresh(false);
    let effects = m
        .authenticated(
            at(0, 0),
            data("t1", SERVER_T0 + 60 * MIN, "Ada"),
            Some(60),
            Some(SERVER_T0),
        )
        .expand(&m);
    assert!(
        matches!(&effects[0], Effect::WriteCookies { token, jwt, .. } if token == "t1" && jwt == "jwt-t1")
    );
    assert!(matches!(&effects[1], Effect::Publish(shared) if *shared == m.snapshot().shared()));
    assert_eq!(
        notifications(&effects),
        vec![Change {
            session: true,
            user: true
        }]
    );
    assert_eq!(
        effects[3],
        Effect::Timer(Some(3 * MIN + 30 * SEC)),
        "a follower arms its watchdog: the due time plus the grace ({effects:?})"
    );
    assert_eq!(
        effects[4],
        Effect::Accepted,
        "the page keeps the answer's objects"
    );
    assert_eq!(effects.len(), 5, "{effects:?}");
}

#[test]
fn the_leader_refreshes_every_interval() {
    let mut m = signed_in_leader();
    let mut mono = 0;
    for round in 1..=5 {
        let next = m.timer.expect("a timer is armed");
        assert!(
            (next - mono - 3 * MIN).abs() <= 1_000,
            "round {round}: {next}"
        );
        mono = next;
        let effects = m.timer_fired(at(mono, 0)).expand(&m);
        assert_eq!(refreshes(&effects), vec![("t1".into(), None)]);
        assert!(
            timers(&effects).is_empty() && m.timer.is_none(),
            "no timer while the request runs"
        );
        let server_now = SERVER_T0 + mono;
        let effects = m
            .refresh_finished(
                at(mono + 80, 0),
                fingerprint("t1"),
                Ok((data("t1", SERVER_T0 + 60 * MIN, "Ada"), Some(server_now))),
                None,
                0,
            )
            .expand(&m);
        assert!(effects
            .iter()
            .any(|e| matches!(e, Effect::WriteCookies { .. })));
        assert!(
            notifications(&effects).is_empty(),
            "same session and user: nothing to tell"
        );
    }
}

#[test]
fn a_device_clock_hours_off_changes_neither_timing_nor_cookie_expiry() {
    for skew in [-5 * 3_600_000, 7 * 3_600_000] {
        let mut m = fresh(false);
        m.became_leader(at(0, skew)).expand(&m);
        let expires = SERVER_T0 + 60 * MIN;
        let effects = m
            .authenticated(
                at(0, skew),
                data("t", expires, "Ada"),
                None,
                Some(SERVER_T0),
            )
            .expand(&m);
        let Some(Effect::WriteCookies {
            expires_device_ms: Some(cookie_expiry),
            ..
        }) = effects.first()
        else {
            panic!("{effects:?}")
        };
        // In device time, the cookie ends 60 minutes after the device's now.
        let device_now = SERVER_T0 + skew;
        assert!(
            (cookie_expiry - device_now - 60 * MIN).abs() <= 1_000,
            "skew {skew}"
        );
        let timer = timers(&effects).last().copied().flatten().unwrap();
        assert!(
            (timer - 3 * MIN).abs() <= 1_000,
            "skew {skew}: timer at {timer}"
        );
        assert!(
            m.timer_fired(at(MIN, skew))
                .expand(&m)
                .iter()
                .all(|e| !matches!(e, Effect::Refresh { .. })),
            "a fresh session is not treated as due"
        );
    }
}

#[test]
fn transient_failures_keep_the_session_and_back_off_with_jitter() {
    let mut m = signed_in_leader();
    let mut mono = 3 * MIN;
    m.timer_fired(at(mono, 0)).expand(&m);
    let mut previous_delay = 0;
    for attempt in 0..8u32 {
        let err = if attempt % 2 == 0 {
            api_error("internal_server_error", 500)
        } else {
            NETWORK
        };
        let effects = m
            .refresh_finished(at(mono, 0), fingerprint("t1"), Err(err), None, u32::MAX / 2)
            .expand(&m);
        assert!(m.snapshot().auth.is_some(), "session kept");
        assert!(notifications(&effects).is_empty());
        let retry = timers(&effects)
            .last()
            .copied()
            .flatten()
            .expect("a retry timer");
        let delay = retry - mono;
        let ceiling = (2_000i64 << attempt).min(240_000);
        assert!(
            delay >= ceiling / 2 && delay <= ceiling,
            "attempt {attempt}: {delay}"
        );
        assert!(delay >= previous_delay);
        previous_delay = delay;
        mono = retry;
        assert_eq!(refreshes(&m.timer_fired(at(mono, 0)).expand(&m)).len(), 1);
    }
    let effects = m
        .refresh_finished(
            at(mono, 0),
            fingerprint("t1"),
            Ok((data("t1", SERVER_T0 + 60 * MIN, "Ada"), None)),
            None,
            0,
        )
        .expand(&m);
    let next = timers(&effects).last().copied().flatten().unwrap();
    assert!(
        (next - mono - 3 * MIN).abs() <= 1_000,
        "back to the interval after success"
    );
}

#[test]
fn session_ending_errors_sign_out_everywhere() {
    for error_type in [
        "session_not_found",
        "unauthorized_credentials",
        "user_unauthenticated",
        "invalid_secret_authentication",
    ] {
        let mut m = signed_in_leader();
        m.timer_fired(at(3 * MIN, 0)).expand(&m);
        let effects = m
            .refresh_finished(
                at(3 * MIN, 0),
                fingerprint("t1"),
                Err(api_error(error_type, 404)),
                None,
                0,
            )
            .expand(&m);
        assert!(m.snapshot().auth.is_none(), "{error_type}");
        assert!(effects.contains(&Effect::ClearCookies));
        assert!(effects.iter().any(|e| matches!(e, Effect::Publish(_))));
        assert_eq!(
            notifications(&effects),
            vec![Change {
                session: true,
                user: true
            }]
        );
        assert_eq!(m.timer, None);
    }
}

#[test]
fn other_errors_never_sign_out_before_expiry_but_do_after() {
    let mut m = signed_in_leader();
    m.timer_fired(at(3 * MIN, 0)).expand(&m);
    m.refresh_finished(
        at(3 * MIN, 0),
        fingerprint("t1"),
        Err(api_error("bad_request", 400)),
        None,
        0,
    )
    .expand(&m);
    assert!(m.snapshot().auth.is_some());
    // Offline past the session's end: the session is over locally.
    let late = at(61 * MIN, 0);
    m.timer_fired(late).expand(&m);
    let effects = m
        .refresh_finished(late, fingerprint("t1"), Err(NETWORK), None, 0)
        .expand(&m);
    assert!(m.snapshot().auth.is_none());
    assert!(effects.contains(&Effect::ClearCookies));
}

#[test]
fn the_timer_fires_at_session_expiry_when_that_comes_first() {
    let mut m = fresh(false);
    m.became_leader(at(0, 0)).expand(&m);
    let effects = m
        .authenticated(at(0, 0), data("t", SERVER_T0 + MIN, "Ada"), Some(5), None)
        .expand(&m);
    assert_eq!(timers(&effects).last().copied().flatten(), Some(MIN));
}

#[test]
fn an_answer_for_a_replaced_session_is_ignored() {
    let mut m = signed_in_leader();
    m.timer_fired(at(3 * MIN, 0)).expand(&m);
    m.authenticated(
        at(3 * MIN + 10, 0),
        data("t2", SERVER_T0 + 60 * MIN, "Bob"),
        Some(60),
        None,
    )
    .expand(&m);
    let effects = m
        .refresh_finished(
            at(3 * MIN + 20, 0),
            fingerprint("t1"),
            Err(api_error("session_not_found", 404)),
            None,
            0,
        )
        .expand(&m);
    assert_eq!(
        token(&m),
        Some("t2"),
        "the old session's 404 must not sign out the new one"
    );
    assert!(notifications(&effects).is_empty());
}

#[test]
fn remote_changes_are_adopted_in_order_without_rewriting_cookies() {
    let mut writer = signed_in_leader();
    let mut reader = fresh(false);
    let login = writer.snapshot().clone();
    let effects = reader.remote(at(10, 0), login.clone()).expand(&reader);
    assert_eq!(
        notifications(&effects),
        vec![Change {
            session: true,
            user: true
        }]
    );
    assert!(
        effects
            .iter()
            .all(|e| matches!(e, Effect::Notify(_) | Effect::Timer(_) | Effect::Accepted)),
        "{effects:?}"
    );
    assert!(!reader.from_cache());

    writer.signed_out(at(20, 0)).expand(&writer);
    let logout = writer.snapshot().clone();
    assert_eq!(
        notifications(&reader.remote(at(30, 0), logout.clone()).expand(&reader)),
        vec![Change {
            session: true,
            user: true
        }]
    );
    assert!(
        reader.remote(at(40, 0), login).expand(&reader).is_empty(),
        "a stale login never overwrites a newer logout"
    );
    assert!(
        reader.remote(at(50, 0), logout).expand(&reader).is_empty(),
        "duplicates (broadcast + storage event) are no-ops"
    );
}

#[test]
fn a_remote_refresh_reschedules_the_leader() {
    let mut leader = signed_in_leader();
    let mut follower = fresh(false);
    follower
        .remote(at(0, 0), leader.snapshot().clone())
        .expand(&follower);
    // The follower confirms at 2 minutes (e.g. a reload) ...
    follower.refresh_began(at(2 * MIN, 0)).expand(&follower);
    follower
        .refresh_finished(
            at(2 * MIN, 0),
            fingerprint("t1"),
            Ok((
                data("t1", SERVER_T0 + 60 * MIN, "Ada"),
                Some(SERVER_T0 + 2 * MIN),
            )),
            None,
            0,
        )
        .expand(&follower);
    // ... so the leader's next refresh moves to 5 minutes, not 3.
    let effects = leader
        .remote(at(2 * MIN + 5, 0), follower.snapshot().clone())
        .expand(&leader);
    let next = timers(&effects).last().copied().flatten().unwrap();
    assert!((next - 5 * MIN).abs() <= 1_000, "{next}");
}

#[test]
fn waking_refreshes_only_when_due() {
    let mut leader = signed_in_leader();
    assert!(refreshes(&leader.woke(at(MIN, 0), Wake::Visible).expand(&leader)).is_empty());
    assert_eq!(
        refreshes(&leader.woke(at(4 * MIN, 0), Wake::PageShow).expand(&leader)).len(),
        1
    );

    let mut follower = fresh(false);
    follower
        .remote(at(0, 0), signed_in_leader().snapshot().clone())
        .expand(&follower);
    assert!(follower
        .woke(at(MIN, 0), Wake::Visible)
        .expand(&follower)
        .is_empty());
    assert_eq!(
        follower
            .woke(at(4 * MIN, 0), Wake::Visible)
            .expand(&follower),
        vec![Effect::WakeLeader]
    );
    assert!(
        follower
            .wake_requested(at(4 * MIN, 0))
            .expand(&follower)
            .is_empty(),
        "followers ignore wake requests"
    );
}

#[test]
fn coming_back_online_retries_a_failed_refresh_at_once() {
    let mut m = signed_in_leader();
    m.timer_fired(at(3 * MIN, 0)).expand(&m);
    m.refresh_finished(
        at(3 * MIN, 0),
        fingerprint("t1"),
        Err(NETWORK),
        None,
        u32::MAX,
    )
    .expand(&m);
    let effects = m.woke(at(3 * MIN + 100, 0), Wake::Online).expand(&m);
    assert_eq!(refreshes(&effects).len(), 1);
}

#[test]
fn keep_session_alive_resends_the_last_duration() {
    for (keep, expected) in [(true, Some(60)), (false, None)] {
        let mut m = fresh(keep);
        m.became_leader(at(0, 0)).expand(&m);
        m.authenticated(
            at(0, 0),
            data("t", SERVER_T0 + 60 * MIN, "Ada"),
            Some(60),
            None,
        )
        .expand(&m);
        assert_eq!(
            refreshes(&m.timer_fired(at(3 * MIN, 0)).expand(&m)),
            vec![("t".into(), expected)]
        );
    }
}

#[test]
fn user_updates_publish_and_notify_only_real_changes() {
    let mut m = signed_in_leader();
    let same = m.snapshot().auth.as_ref().unwrap().user.unwrap();
    assert!(m.user_updated(at(1, 0), same).expand(&m).is_empty());
    let renamed = key(r#"{"user_id":"user-test-1","name":{"first_name":"Grace"}}"#);
    let effects = m.user_updated(at(2, 0), renamed).expand(&m);
    assert!(
        matches!(
            effects.as_slice(),
            [
                Effect::Publish(_),
                Effect::Notify(Change {
                    session: false,
                    user: true
                }),
                Effect::Accepted,
            ]
        ),
        "{effects:?}"
    );
    let mut signed_out = fresh(false);
    assert!(signed_out
        .user_updated(at(0, 0), key("{}"))
        .expand(&signed_out)
        .is_empty());
}

#[test]
fn leadership_arms_and_disarms_the_timer() {
    let mut m = fresh(false);
    m.authenticated(at(0, 0), data("t", SERVER_T0 + 60 * MIN, "Ada"), None, None)
        .expand(&m);
    assert_eq!(
        m.timer,
        Some(3 * MIN + 30 * SEC),
        "a follower watches for a leader that misses the refresh"
    );
    let effects = m.became_leader(at(MIN, 0)).expand(&m);
    assert!(refreshes(&effects).is_empty());
    assert_eq!(timers(&effects), vec![Some(3 * MIN)]);
    assert_eq!(
        timers(&m.lost_leadership(at(MIN, 0)).expand(&m)),
        vec![Some(3 * MIN + 30 * SEC)]
    );
    // A new leader after the due time refreshes at once.
    assert_eq!(
        refreshes(&m.became_leader(at(4 * MIN, 0)).expand(&m)).len(),
        1
    );
}

#[test]
fn update_session_adopts_tokens_and_confirms_them() {
    let mut m = signed_in_leader();
    let effects = m.update_session(at(10, 0), cookie("t9", "j9")).expand(&m);
    assert_eq!(
        effects.first(),
        Some(&Effect::WriteCookies {
            token: "t9".into(),
            jwt: "j9".into(),
            expires_device_ms: None
        })
    );
    assert_eq!(refreshes(&effects), vec![("t9".into(), None)]);
    assert_eq!(
        notifications(&effects),
        vec![Change {
            session: true,
            user: true
        }]
    );
    let effects = m
        .refresh_finished(
            at(90, 0),
            fingerprint("t9"),
            Ok((data("t9", SERVER_T0 + 60 * MIN, "Zed"), None)),
            None,
            0,
        )
        .expand(&m);
    assert!(m.snapshot().auth.as_ref().unwrap().session.is_some());
    assert_eq!(
        notifications(&effects),
        vec![Change {
            session: true,
            user: true
        }]
    );
}

#[test]
fn a_follower_adopts_the_device_clock_offset_measured_by_another_tab() {
    let skew = -3 * 3_600_000;
    let mut writer = fresh(false);
    writer
        .authenticated(
            at(0, skew),
            data("t", SERVER_T0 + 60 * MIN, "Ada"),
            None,
            Some(SERVER_T0),
        )
        .expand(&writer);
    let mut follower = fresh(false);
    follower
        .remote(at(10, skew), writer.snapshot().clone())
        .expand(&follower);
    assert_eq!(follower.clock, writer.clock);
    // Leading later, it schedules from server time, not its own wrong clock.
    let effects = follower.became_leader(at(MIN, skew)).expand(&follower);
    assert_eq!(timers(&effects), vec![Some(3 * MIN)]);
}

#[test]
fn a_merged_refresh_is_counted_once() {
    let mut m = signed_in_leader();
    m.refresh_began(at(3 * MIN - 10, 0)).expand(&m); // the app's explicit refresh
                                                     // The timer's refresh would duplicate it: the shell merges the two.
    let effects = m.timer_fired(at(3 * MIN, 0)).expand(&m);
    assert!(refreshes(&effects).is_empty(), "not due while one runs");
    m.refresh_finished(
        at(3 * MIN + 50, 0),
        fingerprint("t1"),
        Ok((data("t1", SERVER_T0 + 60 * MIN, "Ada"), None)),
        None,
        0,
    )
    .expand(&m);
    assert!(
        m.timer.is_some(),
        "the schedule resumes after the only outcome"
    );
    let mut m = signed_in_leader();
    let effects = m.became_leader(at(3 * MIN, 0)).expand(&m);
    assert_eq!(refreshes(&effects).len(), 1);
    let effects = m.refresh_dropped(at(3 * MIN, 0)).expand(&m);
    assert!(timers(&effects).iter().all(Option::is_some), "{effects:?}");
    assert!(
        m.timer.is_some(),
        "nothing left running: the timer is armed again"
    );
}

#[test]
fn a_refresh_that_lands_after_a_sign_out_elsewhere_does_not_leave_cookies_behind() {
    // The leader's refresh is answered, and applied, just after another tab
    // signed out: both changes carry the same seq, the sign-out wins, and the
    // leader must undo the cookies its refresh rewrote.
    let mut leader = signed_in_leader();
    let mut other = fresh(false);
    other
        .remote(at(0, 0), leader.snapshot().clone())
        .expand(&other);
    leader.timer_fired(at(3 * MIN, 0)).expand(&leader);
    other.signed_out(at(3 * MIN + 10, 0)).expand(&other);
    let effects = leader
        .refresh_finished(
            at(3 * MIN + 20, 0),
            fingerprint("t1"),
            Ok((data("t1", SERVER_T0 + 60 * MIN, "Ada"), None)),
            None,
            0,
        )
        .expand(&leader);
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::WriteCookies { .. })));
    let effects = leader
        .remote(at(3 * MIN + 30, 0), other.snapshot().clone())
        .expand(&leader);
    assert!(leader.snapshot().auth.is_none());
    assert!(effects.contains(&Effect::ClearCookies), "{effects:?}");
    // The other tab, which cleared them itself, ignores the stale refresh.
    assert!(other
        .remote(at(3 * MIN + 40, 0), leader.snapshot().clone())
        .expand(&other)
        .is_empty());
}

#[test]
fn a_tab_that_never_wrote_cookies_leaves_them_to_the_writer() {
    let mut writer = signed_in_leader();
    let mut reader = fresh(false);
    reader
        .remote(at(10, 0), writer.snapshot().clone())
        .expand(&reader);
    writer.signed_out(at(20, 0)).expand(&writer);
    let effects = reader
        .remote(at(30, 0), writer.snapshot().clone())
        .expand(&reader);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::ClearCookies | Effect::WriteCookies { .. })),
        "{effects:?}"
    );
}

#[test]
fn concurrent_sign_ins_leave_the_cookies_of_the_winning_session() {
    let mut a = fresh(false);
    let mut b = Machine::start(config(false), 2, 0, at(0, 0), None, None).0;
    b.authenticated(
        at(0, 0),
        data("tb", SERVER_T0 + 60 * MIN, "Bob"),
        None,
        None,
    )
    .expand(&b);
    // a signs in in the same instant and its cookie write lands last.
    a.authenticated(
        at(0, 0),
        data("ta", SERVER_T0 + 60 * MIN, "Ada"),
        None,
        None,
    )
    .expand(&a);
    let jar = Some(cookie("ta", "jwt-ta"));
    let a_sign_in = a.snapshot().shared();
    // Same seq: the higher writer id (b) wins. a adopts b's session, but it
    // cannot know b's token: the cookie holds its own.
    a.observe_cookie(jar.clone());
    let effects = a.remote(at(5, 0), b.snapshot().shared()).expand(&a);
    assert_eq!(token(&a), None);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::WriteCookies { .. })),
        "{effects:?}"
    );
    // b hears of a's losing sign-in, sees the cookie is not its session's,
    // writes it again, and publishes the winner again for storage.
    b.observe_cookie(jar);
    let effects = b.remote(at(5, 0), a_sign_in).expand(&b);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::WriteCookies { token, .. } if token == "tb")),
        "{effects:?}"
    );
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Publish(_))),
        "{effects:?}"
    );
    // a now finds b's token in the cookie.
    a.observe_cookie(Some(cookie("tb", "jwt-tb")));
    assert_eq!(token(&a), Some("tb"));
    assert!(
        b.remote(at(6, 0), b.snapshot().shared())
            .expand(&b)
            .is_empty(),
        "its own copy changes nothing"
    );
}

#[test]
fn a_follower_takes_over_once_when_the_leader_lets_a_refresh_go_overdue() {
    let leader = signed_in_leader();
    let mut follower = Machine::start(config(false), 2, u32::MAX, at(0, 0), None, None).0;
    follower.observe_cookie(Some(cookie("t1", "jwt-t1")));
    follower
        .remote(at(10, 0), leader.snapshot().shared())
        .expand(&follower);
    // Grace 30 s (half of 3 min, capped), jitter up to 15 s.
    let watch = follower.timer.unwrap();
    assert_eq!(watch, 3 * MIN + 30 * SEC + 15 * SEC);
    let effects = follower.timer_fired(at(watch, 0)).expand(&follower);
    assert!(effects.contains(&Effect::Steal), "{effects:?}");
    assert!(
        refreshes(&effects).is_empty(),
        "it refreshes once it leads, not before"
    );
    // Not again while the steal is on its way.
    let again = follower.timer.unwrap();
    assert!(again >= watch + 30 * SEC, "{again}");
    let effects = follower.became_leader(at(watch + 5, 0)).expand(&follower);
    assert_eq!(
        refreshes(&effects).len(),
        1,
        "the new leader refreshes at once"
    );
}

#[test]
fn a_busy_leader_holds_followers_off_until_its_answer_is_published() {
    let mut leader = signed_in_leader();
    let mut follower = fresh(false);
    follower
        .remote(at(0, 0), leader.snapshot().shared())
        .expand(&follower);
    let effects = leader.timer_fired(at(3 * MIN, 0)).expand(&leader);
    assert!(effects.contains(&Effect::Busy(20 * SEC)), "{effects:?}");
    follower
        .busy_seen(at(3 * MIN, 0), 20 * SEC)
        .expand(&follower);
    assert_eq!(follower.timer, Some(3 * MIN + 20 * SEC + 30 * SEC));
    // The answer arrives: the watch moves to the next interval.
    leader
        .refresh_finished(
            at(3 * MIN + 80, 0),
            fingerprint("t1"),
            Ok((
                data("t1", SERVER_T0 + 60 * MIN, "Ada"),
                Some(SERVER_T0 + 3 * MIN),
            )),
            None,
            0,
        )
        .expand(&leader);
    follower
        .remote(at(3 * MIN + 100, 0), leader.snapshot().shared())
        .expand(&follower);
    let watch = follower.timer.unwrap();
    assert!((watch - (6 * MIN + 30 * SEC)).abs() <= SEC, "{watch}");
}

#[test]
fn a_leader_backing_off_tells_followers_how_long_to_wait() {
    let mut leader = signed_in_leader();
    leader.timer_fired(at(3 * MIN, 0)).expand(&leader);
    let effects = leader
        .refresh_finished(
            at(3 * MIN, 0),
            fingerprint("t1"),
            Err(NETWORK),
            None,
            u32::MAX,
        )
        .expand(&leader);
    // First retry after 2 s (with full jitter), plus the request's own wait.
    assert!(
        effects.contains(&Effect::Busy(2 * SEC + 20 * SEC)),
        "{effects:?}"
    );
}

#[test]
fn confirming_a_cached_session_tells_the_app_even_when_nothing_else_changed() {
    let leader = signed_in_leader();
    let cached = leader.snapshot().shared();
    let (mut m, _) = Machine::start(
        config(false),
        2,
        0,
        at(5_000, 0),
        Some(cookie("t1", "jwt-new")),
        Some(cached),
    );
    assert!(m.from_cache());
    let auth = m.snapshot().auth.as_ref().unwrap();
    assert_eq!(
        (auth.token.as_deref(), auth.jwt.as_str()),
        (Some("t1"), "jwt-new"),
        "tokens come from the cookie"
    );
    let effects = m
        .refresh_finished(
            at(5_100, 0),
            fingerprint("t1"),
            Ok((data("t1", SERVER_T0 + 60 * MIN, "Ada"), None)),
            None,
            0,
        )
        .expand(&m);
    assert!(!m.from_cache());
    assert!(effects.contains(&Effect::NotifyCache), "{effects:?}");
    assert!(
        notifications(&effects).is_empty(),
        "same objects: {effects:?}"
    );
}

#[test]
fn a_jwt_refreshed_by_another_tab_is_read_from_the_cookie() {
    let mut leader = signed_in_leader();
    let mut follower = fresh(false);
    follower.observe_cookie(Some(cookie("t1", "jwt-t1")));
    follower
        .remote(at(0, 0), leader.snapshot().shared())
        .expand(&follower);
    assert_eq!(token(&follower), Some("t1"));
    leader.timer_fired(at(3 * MIN, 0)).expand(&leader);
    follower.observe_cookie(Some(cookie("t1", "jwt-2")));
    assert_eq!(follower.snapshot().auth.as_ref().unwrap().jwt, "jwt-2");
    // A cookie of another session teaches it nothing.
    follower.observe_cookie(Some(cookie("other", "jwt-x")));
    assert_eq!(token(&follower), Some("t1"));
}

#[test]
fn a_leader_whose_cookie_lost_the_session_signs_out_instead_of_refreshing() {
    let leader = signed_in_leader();
    let mut m = fresh(false);
    m.remote(at(0, 0), leader.snapshot().shared()).expand(&m);
    m.observe_cookie(None);
    let effects = m.became_leader(at(3 * MIN, 0)).expand(&m);
    assert!(refreshes(&effects).is_empty());
    assert!(m.snapshot().auth.is_none(), "{effects:?}");
    assert!(effects.iter().any(|e| matches!(e, Effect::Publish(_))));
    assert_eq!(m.timer, None);
}

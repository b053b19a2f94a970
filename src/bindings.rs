//! The `#[wasm_bindgen]` surface: numbers and strings in, numbers and
//! strings out, no JSON and no JS objects, so the glue stays small. The
//! layouts of the arrays and the meaning of the numbers are in `contract`.

use crate::prelude::*;

use core::cell::UnsafeCell;

use wasm_bindgen::prelude::*;

use crate::contract::{self, at, text};
use crate::cookies::{CookieOptions, Page};
use crate::machine::{AuthData, Config, Cookie, Machine, Now, Wake};
use crate::refresh::RefreshPolicy;
use crate::state::{Auth, Snapshot};
use crate::{errors, lease, methods};

/// The session of one public token in one tab.
struct Kernel {
    machine: Machine,
    cookies: CookieOptions,
    page: Page,
    /// What starting asked for, handed over by `started`.
    start_effects: u32,
}

/// The kernels of this page, by handle (index + 1). Free functions over a
/// handle instead of an exported class keep wasm-bindgen's class machinery
/// (ownership checks, finalizers, their messages) out of the package.
struct Kernels(UnsafeCell<Vec<Option<Kernel>>>);

// SAFETY: wasm32-unknown-unknown without threads runs one thread, and no
// function here calls back into JavaScript, so no two borrows ever overlap.
unsafe impl Sync for Kernels {}

static KERNELS: Kernels = Kernels(UnsafeCell::new(Vec::new()));

fn kernels() -> &'static mut Vec<Option<Kernel>> {
    // SAFETY: see `Kernels`; each exported function takes this once.
    unsafe { &mut *KERNELS.0.get() }
}

/// Runs `f` on kernel `handle`; an unknown handle (closed, or never
/// opened) does nothing and answers the default.
fn with<R: Default>(handle: u32, f: impl FnOnce(&mut Kernel) -> R) -> R {
    match kernels().get_mut((handle as usize).wrapping_sub(1)) {
        Some(Some(kernel)) => f(kernel),
        _ => R::default(),
    }
}

fn now(mono: f64, wall: f64) -> Now {
    Now {
        mono: mono as i64,
        wall: wall as i64,
    }
}

/// A number from the page; NaN stands for "none".
fn maybe(value: f64) -> Option<i64> {
    (!value.is_nan()).then_some(value as i64)
}

/// An object's fingerprint from the page (a whole number below 2^53).
fn key(value: f64) -> Option<u64> {
    maybe(value).map(|v| v as u64)
}

fn number(value: Option<i64>) -> f64 {
    value.map_or(f64::NAN, |v| v as f64)
}

fn session_cookie(token: Option<String>, jwt: Option<String>) -> Option<Cookie> {
    token.filter(|t| !t.is_empty()).map(|token| Cookie {
        token,
        jwt: jwt.unwrap_or_default(),
    })
}

/// A shared snapshot from its numbers (`contract::at`, up to `SHARED`).
fn snapshot(numbers: &[f64]) -> Option<Snapshot> {
    let numbers: &[f64; at::SHARED] = numbers.try_into().ok()?;
    let auth = key(numbers[at::HASH])
        .filter(|_| numbers[at::SIGNED_IN] == 1.0)
        .map(|hash| Auth {
            token: None,
            jwt: String::new(),
            hash,
            session: key(numbers[at::SESSION]),
            user: key(numbers[at::USER]),
            expires_at: maybe(numbers[at::EXPIRES_AT]),
            confirmed_at: maybe(numbers[at::CONFIRMED_AT]).unwrap_or(0),
            duration_minutes: maybe(numbers[at::DURATION]),
        });
    Some(Snapshot {
        seq: numbers[at::SEQ] as u64,
        writer: numbers[at::WRITER] as u32,
        clock_offset_ms: numbers[at::CLOCK] as i64,
        auth,
    })
}

/// `numbers`: expires_at, the JWT's iat (ms), the Date header (ms), the
/// requested duration, the session's and the user's fingerprints (NaN when
/// absent).
fn auth_data(token: String, jwt: String, numbers: &[f64]) -> (AuthData, Option<i64>, Option<i64>) {
    let at = |i: usize| numbers.get(i).copied().and_then(maybe);
    let data = AuthData {
        token,
        jwt,
        session: at(4).unwrap_or(0) as u64,
        user: at(5).unwrap_or(0) as u64,
        expires_at: at(0).unwrap_or(0),
        jwt_issued_at: at(1),
    };
    (data, at(2), at(3))
}

/// Opens a kernel and returns its handle. `config`: tab id, a random u32,
/// refresh interval ms, request timeout ms, keepSessionAlive (0/1), https
/// (0/1), availableToSubdomains (0/1), then the clocks (mono, wall).
/// `texts`, one per line: the token and JWT cookie names, the cookie path,
/// the cookie domain (may be empty), the page's hostname, then the token
/// and JWT the cookies hold now (empty: none). `cached`: the cached
/// snapshot's numbers, empty when there is none.
#[wasm_bindgen]
pub fn open(config: &[f64], texts: &str, cached: &[f64]) -> u32 {
    let at = |i: usize| config.get(i).copied().unwrap_or(0.0);
    let mut lines = texts.split('\n').map(String::from);
    let mut next = || lines.next().unwrap_or_default();
    let (opaque_token_name, jwt_name, path, domain, hostname) =
        (next(), next(), next(), next(), next());
    let (token, jwt) = (next(), next());
    let machine_config = Config {
        policy: RefreshPolicy {
            interval_ms: at(2) as i64,
        },
        keep_session_alive: at(4) == 1.0,
        request_timeout_ms: at(3) as i64,
    };
    let (machine, start_effects) = Machine::start(
        machine_config,
        at(0) as u32,
        at(1) as u32,
        now(at(7), at(8)),
        session_cookie(Some(token), Some(jwt)),
        snapshot(cached),
    );
    let kernel = Kernel {
        machine,
        cookies: CookieOptions {
            opaque_token_name,
            jwt_name,
            path,
            domain: Some(domain).filter(|d| !d.is_empty()),
            available_to_subdomains: at(6) == 1.0,
        },
        page: Page {
            hostname,
            https: at(5) == 1.0,
        },
        start_effects,
    };
    let slots = kernels();
    slots.push(Some(kernel));
    slots.len() as u32
}

/// The cookies as the page reads them now (it does before each event).
#[wasm_bindgen]
pub fn cookie(handle: u32, token: Option<String>, jwt: Option<String>) {
    with(handle, |k| {
        k.machine.observe_cookie(session_cookie(token, jwt))
    });
}

/// An event (`contract::event`); `value` is the data of the few that
/// carry a number (BUSY: how long to hold off; USER: the user object's
/// fingerprint).
#[wasm_bindgen]
pub fn event(handle: u32, kind: u32, mono: f64, wall: f64, value: f64) -> u32 {
    use contract::event::*;
    if kind == CLOSE {
        // Forgets the kernel: the handle answers nothing afterwards.
        if let Some(slot) = kernels().get_mut((handle as usize).wrapping_sub(1)) {
            *slot = None;
        }
        return 0;
    }
    let now = now(mono, wall);
    with(handle, |k| {
        let m = &mut k.machine;
        match kind {
            STARTED => core::mem::take(&mut k.start_effects),
            TIMER => m.timer_fired(now),
            LEADER => m.became_leader(now),
            LOST | HIDDEN => m.lost_leadership(now),
            VISIBLE => m.woke(now, Wake::Visible),
            ONLINE => m.woke(now, Wake::Online),
            RESTORED => m.woke(now, Wake::PageShow),
            WAKE => m.wake_requested(now),
            BUSY => m.busy_seen(now, value as i64),
            USER => m.user_updated(now, value as u64),
            REFRESH_BEGAN => m.refresh_began(now),
            REFRESH_DROPPED => m.refresh_dropped(now),
            SIGNED_OUT => m.signed_out(now),
            _ => 0,
        }
    })
}

/// Another tab's snapshot (its numbers).
#[wasm_bindgen]
pub fn remote(handle: u32, mono: f64, wall: f64, numbers: &[f64]) -> u32 {
    let Some(shared) = snapshot(numbers) else {
        return 0;
    };
    with(handle, |k| k.machine.remote(now(mono, wall), shared))
}

/// An authenticate-type answer: to a sign-in (`sent` absent), or to a
/// refresh sent with the token `sent`. It succeeded (`failed` false: the
/// tokens, and `numbers` as in `auth_data`) or failed (`class` from
/// `classify`). `random` spreads retries.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn answered(
    handle: u32,
    mono: f64,
    wall: f64,
    sent: Option<String>,
    failed: bool,
    class: u32,
    token: String,
    jwt: String,
    numbers: &[f64],
    random: u32,
) -> u32 {
    let (data, date, duration) = auth_data(token, jwt, numbers);
    let now = now(mono, wall);
    with(handle, |k| match sent {
        None => k.machine.authenticated(now, data, duration, date),
        Some(sent) => {
            let result = if failed {
                Err(class & contract::class::ENDS_SESSION != 0)
            } else {
                Ok((data, date))
            };
            k.machine
                .refresh_finished(now, contract::fingerprint(&sent), result, duration, random)
        }
    })
}

/// Tokens the app obtained elsewhere (`updateSession`).
#[wasm_bindgen]
pub fn adopt(handle: u32, mono: f64, wall: f64, token: String, jwt: String) -> u32 {
    with(handle, |k| {
        k.machine
            .update_session(now(mono, wall), Cookie { token, jwt })
    })
}

/// The two cookie strings that store the session (newline-separated).
#[wasm_bindgen]
pub fn cookies(handle: u32, wall: f64) -> String {
    with(handle, |k| {
        let auth = k.machine.snapshot().auth.as_ref();
        let token = auth.and_then(|a| a.token.as_deref()).unwrap_or_default();
        let jwt = auth.map_or("", |a| a.jwt.as_str());
        let [mut a, b] =
            k.cookies
                .write(&k.page, token, jwt, k.machine.cookie_expiry(), wall as i64);
        a.push('\n');
        a.push_str(&b);
        a
    })
}

/// Every cookie string that removes the session (newline-separated).
#[wasm_bindgen]
pub fn removals(handle: u32) -> String {
    with(handle, |k| {
        let mut out = String::new();
        for removal in k.cookies.removals(&k.page) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&removal);
        }
        out
    })
}

/// The kernel's numbers (`contract::at`): the shared snapshot, then this
/// tab's own state; `mono` is now, for the timer's delay.
#[wasm_bindgen]
pub fn numbers(handle: u32, mono: f64) -> Vec<f64> {
    with(handle, |k| {
        let m = &k.machine;
        let snapshot = m.snapshot();
        let auth = snapshot.auth.as_ref();
        let mut out = vec![f64::NAN; at::LEN];
        out[at::SEQ] = snapshot.seq as f64;
        out[at::WRITER] = f64::from(snapshot.writer);
        out[at::CLOCK] = snapshot.clock_offset_ms as f64;
        out[at::SIGNED_IN] = f64::from(u8::from(auth.is_some()));
        if let Some(auth) = auth {
            out[at::EXPIRES_AT] = number(auth.expires_at);
            out[at::CONFIRMED_AT] = auth.confirmed_at as f64;
            out[at::DURATION] = number(auth.duration_minutes);
            out[at::SESSION] = auth.session.map_or(f64::NAN, |k| k as f64);
            out[at::USER] = auth.user.map_or(f64::NAN, |k| k as f64);
            out[at::HASH] = auth.hash as f64;
        }
        out[at::FROM_CACHE] = f64::from(u8::from(m.from_cache()));
        out[at::LEADING] = f64::from(u8::from(m.is_leader()));
        out[at::BUSY_FOR] = m.busy_for() as f64;
        out[at::REFRESH_DURATION] = number(m.refresh_request().and_then(|(_, d)| d));
        out[at::TIMER] = m.timer().map_or(-1.0, |t| (t - mono as i64).max(0) as f64);
        out
    })
}

/// One of the session's texts (`contract::text`), if there is one.
#[wasm_bindgen]
pub fn text(handle: u32, which: u32) -> Option<String> {
    with(handle, |k| {
        let auth = k.machine.snapshot().auth.as_ref()?;
        match which {
            text::TOKEN => auth.token.clone(),
            text::JWT => Some(auth.jwt.clone()).filter(|j| !j.is_empty()),
            _ => None,
        }
    })
}

/// The method table (`methods::TABLE`).
#[wasm_bindgen]
pub fn table() -> String {
    methods::TABLE.into()
}

/// `contract::class` bits for an answer (status 0: no answer).
#[wasm_bindgen]
pub fn classify(status: u16, error_type: &str) -> u32 {
    errors::classify(status, error_type)
}

/// `contract::pkce` action for a redirect flow's verifier.
#[wasm_bindgen]
pub fn pkce(start: bool, required: bool, kept: bool) -> u32 {
    methods::pkce(start, required, kept)
}

/// The op that signs in with a URL token of `token_type`, if any.
#[wasm_bindgen(js_name = urlSignIn)]
pub fn url_sign_in(token_type: &str) -> Option<String> {
    methods::url_sign_in(token_type).map(Into::into)
}

/// One step of the storage-lease election: `[leads (0/1), until to write
/// (0: write nothing)]`. `holder` 0 means no lease is stored.
#[wasm_bindgen]
pub fn lease(me: u32, now: f64, holder: u32, until: f64, take_over: bool) -> Vec<f64> {
    let current = (holder != 0).then_some(lease::Lease {
        holder,
        until: until as i64,
    });
    let (leads, write) = lease::lease_step(me, now as i64, current, take_over);
    vec![
        f64::from(u8::from(leads)),
        write.map_or(0.0, |l| l.until as f64),
    ]
}

/// The SDK version, so a page can show what it loaded.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.into()
}

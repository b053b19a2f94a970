//! The kernel in headless Chromium (wasm-bindgen-test): what only a real
//! browser can confirm about it. Chromium accepts the cookie strings it
//! writes and removes every variant it removes; `Date.parse` reads the
//! dates it formats; the page's fingerprint (pkg/contract.js, with the
//! browser's TextEncoder) equals the kernel's; and a kernel opened through
//! the exported functions restores a session from a real cookie jar.
#![cfg(target_arch = "wasm32")]

use js_sys::Date;
use latchkey::bindings;
use latchkey::contract::{at, effect, fingerprint, text};
use latchkey::http_date::format_http_date;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/pkg/contract.js")]
extern "C" {
    #[wasm_bindgen(js_name = fingerprint)]
    fn js_fingerprint(token: &str) -> f64;
}

fn document() -> web_sys::HtmlDocument {
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .dyn_into()
        .unwrap()
}

fn jar() -> String {
    document().cookie().unwrap()
}

fn write_all(cookies: &str) {
    for cookie in cookies.split('\n') {
        document().set_cookie(cookie).unwrap();
    }
}

fn now() -> (f64, f64) {
    (
        web_sys::window().unwrap().performance().unwrap().now(),
        Date::now(),
    )
}

/// A kernel with cookie names of its own (tests share one page), opened
/// with whatever cookie the page holds under them.
fn open(prefix: &str, cached: &[f64]) -> u32 {
    let token = format!("{prefix}_session");
    let jwt = format!("{prefix}_jwt");
    let read = |name: &str| {
        jar()
            .split("; ")
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(String::from))
    };
    let (mono, wall) = now();
    let hostname = web_sys::window().unwrap().location().hostname().unwrap();
    let texts = [
        token.clone(),
        jwt.clone(),
        "/".into(),
        String::new(),
        hostname,
        read(&token).unwrap_or_default(),
        read(&jwt).unwrap_or_default(),
    ]
    .join("\n");
    bindings::open(
        &[7.0, 1.0, 180_000.0, 20_000.0, 0.0, 0.0, 0.0, mono, wall],
        &texts,
        cached,
    )
}

fn sign_in(handle: u32, token: &str, expires_in_ms: f64) -> u32 {
    let (mono, wall) = now();
    bindings::answered(
        handle,
        mono,
        wall,
        None,
        false,
        0,
        token.into(),
        format!("jwt.of.{token}"),
        &[wall + expires_in_ms, f64::NAN, wall, 60.0, 11.0, 12.0],
        0,
    )
}

#[wasm_bindgen_test]
fn chromium_keeps_the_session_cookies_the_kernel_writes_until_they_expire() {
    let handle = open("kib_a", &[]);
    let effects = sign_in(handle, "tok-a", 3_600_000.0);
    assert!(effects & effect::WRITE_COOKIES != 0);
    write_all(&bindings::cookies(handle, Date::now()));
    assert!(jar().contains("kib_a_session=tok-a"), "{}", jar());
    assert!(jar().contains("kib_a_jwt=jwt.of.tok-a"), "{}", jar());
    // An expiry in the past removes them at once: Chromium honours Max-Age.
    let handle = open("kib_b", &[]);
    sign_in(handle, "tok-b", -1_000.0);
    write_all(&bindings::cookies(handle, Date::now()));
    assert!(!jar().contains("kib_b_session"), "{}", jar());
}

#[wasm_bindgen_test]
fn every_removal_variant_is_a_cookie_string_chromium_applies() {
    let handle = open("kib_c", &[]);
    sign_in(handle, "tok-c", 3_600_000.0);
    write_all(&bindings::cookies(handle, Date::now()));
    assert!(jar().contains("kib_c_session=tok-c"));
    let (mono, wall) = now();
    let effects = bindings::event(
        handle,
        latchkey::contract::event::SIGNED_OUT,
        mono,
        wall,
        0.0,
    );
    assert!(effects & effect::CLEAR_COOKIES != 0);
    let removals = bindings::removals(handle);
    assert!(removals.split('\n').count() >= 2);
    write_all(&removals);
    assert!(!jar().contains("kib_c_"), "{}", jar());
}

#[wasm_bindgen_test]
fn date_parse_reads_every_expiry_the_kernel_formats() {
    let mut millis = 0i64;
    while millis < 4_102_444_800_000 {
        let formatted = format_http_date(millis);
        assert_eq!(
            Date::parse(&formatted),
            (millis / 1000 * 1000) as f64,
            "{formatted}"
        );
        millis += 86_400_000 * 97 + 3_723_456;
    }
}

#[wasm_bindgen_test]
fn the_pages_fingerprint_is_the_kernels() {
    for token in [
        "",
        "a",
        "session-token-test-0123456789abcdef0123456789ab",
        "é→",
        "x".repeat(300).as_str(),
    ] {
        assert_eq!(
            js_fingerprint(token),
            fingerprint(token) as f64,
            "{token:?}"
        );
    }
}

#[wasm_bindgen_test]
fn a_kernel_restores_the_cached_session_of_the_cookie_and_asks_to_confirm_it() {
    let first = open("kib_d", &[]);
    sign_in(first, "tok-d", 3_600_000.0);
    write_all(&bindings::cookies(first, Date::now()));
    let mut cached = bindings::numbers(first, 0.0);
    cached.truncate(at::SHARED);
    assert!(cached[at::SIGNED_IN] == 1.0 && cached[at::SESSION] == 11.0);
    assert_eq!(cached[at::HASH], fingerprint("tok-d") as f64);
    bindings::event(first, latchkey::contract::event::CLOSE, 0.0, 0.0, 0.0);
    assert_eq!(
        bindings::text(first, text::TOKEN),
        None,
        "a closed handle answers nothing"
    );

    let second = open("kib_d", &cached);
    let effects = bindings::event(second, latchkey::contract::event::STARTED, 0.0, 0.0, 0.0);
    assert!(
        effects & effect::ACCEPTED != 0,
        "the cache belongs to the cookie"
    );
    assert!(effects & effect::REFRESH != 0, "and is confirmed");
    assert_eq!(bindings::numbers(second, 0.0)[at::FROM_CACHE], 1.0);
    assert_eq!(
        bindings::text(second, text::TOKEN).as_deref(),
        Some("tok-d")
    );
    assert_eq!(
        bindings::text(second, text::JWT).as_deref(),
        Some("jwt.of.tok-d")
    );

    // Another cookie in the jar: the cache is not shown.
    document()
        .set_cookie("kib_d_session=other-token; Path=/")
        .unwrap();
    let third = open("kib_d", &cached);
    let effects = bindings::event(third, latchkey::contract::event::STARTED, 0.0, 0.0, 0.0);
    assert!(effects & effect::ACCEPTED == 0);
    assert!(bindings::numbers(third, 0.0)[at::SESSION].is_nan());
    assert_eq!(
        bindings::text(third, text::TOKEN).as_deref(),
        Some("other-token")
    );
}

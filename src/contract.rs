//! The seam contract: every name and number that both sides of the JS/wasm
//! seam must agree on. `pkg/contract.js` holds the JavaScript side; the tests
//! below read that file and fail when either side changes alone.

/// What the page must carry out after an event (bits of the value every
/// event returns). The data each needs is read from the kernel afterwards.
pub mod effect {
    /// Write both session cookies (`cookies`).
    pub const WRITE_COOKIES: u32 = 1;
    /// Remove every variant of both cookies (`removals`).
    pub const CLEAR_COOKIES: u32 = 2;
    /// Persist the shared snapshot and broadcast it to the other tabs.
    pub const PUBLISH: u32 = 4;
    /// Tell the app the session object changed.
    pub const NOTIFY_SESSION: u32 = 8;
    /// Tell the app the user object changed.
    pub const NOTIFY_USER: u32 = 16;
    /// Send `sessions/authenticate` with the token (`text::TOKEN`) and the
    /// duration (`at::REFRESH_DURATION`).
    pub const REFRESH: u32 = 32;
    /// Arm the tab's single timer (`at::TIMER`), or cancel it.
    pub const TIMER: u32 = 64;
    /// Ask the leader tab to refresh now if one is due.
    pub const WAKE_LEADER: u32 = 128;
    /// Take leadership from a leader that stopped refreshing.
    pub const STEAL: u32 = 256;
    /// Tell the other tabs a refresh or a retry is under way, and for how
    /// long they should hold off taking over (`at::BUSY_FOR`).
    pub const BUSY: u32 = 512;
    /// `fromCache` changed without the session or user object changing.
    pub const NOTIFY_CACHE: u32 = 1024;
    /// The objects that came with the event (an answer's session and user,
    /// another tab's snapshot, the cached one, a new user) are now the
    /// state's: the page keeps them.
    pub const ACCEPTED: u32 = 2048;
}

/// What happened, for `event`.
pub mod event {
    pub const TIMER: u32 = 0;
    /// This tab now holds the leadership (the Web Lock, or the lease).
    pub const LEADER: u32 = 1;
    /// This tab no longer leads (lock stolen, released, lease lost).
    pub const LOST: u32 = 2;
    pub const VISIBLE: u32 = 3;
    pub const ONLINE: u32 = 4;
    /// Restored from the back/forward cache.
    pub const RESTORED: u32 = 5;
    /// `pagehide`: the tab gives its leadership up.
    pub const HIDDEN: u32 = 6;
    /// A follower asked the leader to look at whether a refresh is due.
    pub const WAKE: u32 = 7;
    /// The page is sending a refresh of its own (an explicit call).
    pub const REFRESH_BEGAN: u32 = 9;
    /// A refresh the kernel asked for was not sent: it joined one in
    /// flight, or the tab turned out not to lead any more.
    pub const REFRESH_DROPPED: u32 = 10;
    /// The session ended here: revoked, or cleared by the app.
    pub const SIGNED_OUT: u32 = 11;
    /// Another tab announced a refresh or a retry (value: how long to hold off).
    pub const BUSY: u32 = 12;
    /// The user object changed (value: its fingerprint).
    pub const USER: u32 = 13;
    /// Hand over the effects of starting (once).
    pub const STARTED: u32 = 14;
    /// Forget the kernel.
    pub const CLOSE: u32 = 15;
}

/// Where each number sits in the arrays of `numbers` (and, up to
/// `SHARED`, those `open` and `remote` take): first the shared snapshot,
/// then this tab's own state. Absent values are NaN.
pub mod at {
    pub const SEQ: usize = 0;
    pub const WRITER: usize = 1;
    pub const CLOCK: usize = 2;
    /// 1 when signed in, else 0 (and the session's numbers are NaN).
    pub const SIGNED_IN: usize = 3;
    pub const EXPIRES_AT: usize = 4;
    pub const CONFIRMED_AT: usize = 5;
    pub const DURATION: usize = 6;
    /// The fingerprints of the session and user objects (NaN: none yet).
    pub const SESSION: usize = 7;
    pub const USER: usize = 8;
    /// The fingerprint of the session token.
    pub const HASH: usize = 9;
    /// The length of a shared snapshot.
    pub const SHARED: usize = 10;
    /// 1 while the state shown comes only from the cache.
    pub const FROM_CACHE: usize = 10;
    /// 1 while this tab leads.
    pub const LEADING: usize = 11;
    /// With `effect::BUSY`: how long the other tabs should hold off (ms).
    pub const BUSY_FOR: usize = 12;
    /// With `effect::REFRESH`: the duration the refresh re-sends.
    pub const REFRESH_DURATION: usize = 13;
    /// With `effect::TIMER`: ms until the timer fires, -1 for none.
    pub const TIMER: usize = 14;
    pub const LEN: usize = 15;
}

/// The texts `text` gives out.
pub mod text {
    pub const TOKEN: u32 = 1;
    pub const JWT: u32 = 2;
}

/// Bits of `Kernel::classify`.
pub mod class {
    pub const RETRYABLE: u32 = 1;
    pub const ENDS_SESSION: u32 = 2;
}

/// What `pkce` tells the page to do with a redirect flow's verifier.
pub mod pkce {
    pub const NOTHING: u32 = 0;
    /// Make a verifier, keep it, send its challenge.
    pub const CREATE: u32 = 1;
    /// Forget a verifier left by an earlier flow.
    pub const DISCARD: u32 = 2;
    /// Send the kept verifier.
    pub const SEND: u32 = 3;
}

/// The error type the page reports for a response it cannot read.
pub const INVALID_RESPONSE: &str = "invalid_response";

/// A 53-bit fingerprint of a text (FNV-1a over its UTF-8 bytes from two
/// bases, 32 + 21 bits; exact in a JS number). The cached snapshot proves
/// which session cookie it belongs to with the token's fingerprint, without
/// holding the token: the token is 256 random bits, so 53 bits of a fast
/// hash reveal nothing usable, and anyone who can read the cache can read
/// the cookie anyway. `pkg/contract.js` has the same function for the
/// start-up read that happens before the module is loaded, and for the
/// fingerprints of the session and user objects.
pub fn fingerprint(text: &str) -> u64 {
    let [mut a, mut b] = [0x811c_9dc5u32, 0x050c_5d1f];
    for byte in text.bytes() {
        a = (a ^ u32::from(byte)).wrapping_mul(0x0100_0193);
        b = (b ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    (u64::from(a) << 21) | u64::from(b >> 11)
}

#[cfg(test)]
mod tests {
    //! Reads `pkg/contract.js` and checks that it says what this file says.
    use super::*;

    const JS: &str = include_str!("../pkg/contract.js");

    /// The text of `export const NAME = …;` in contract.js.
    fn js_const(name: &str) -> &'static str {
        let start = JS
            .find(&format!("export const {name} = "))
            .unwrap_or_else(|| panic!("contract.js has no `export const {name}`"));
        let rest = &JS[start..];
        let end = rest.find(";\n").expect("a const ends with `;`");
        &rest[rest.find(" = ").unwrap() + 3..end]
    }

    /// Every `export const GROUP_NAME = <number>;` of `group`, in order.
    fn js_numbers(group: &str) -> Vec<(String, u32)> {
        let prefix = format!("export const {group}_");
        JS.lines()
            .filter_map(|line| line.strip_prefix(&prefix))
            .map(|rest| {
                let (key, value) = rest.split_once(" = ").expect("NAME = value");
                let value = value.trim_end_matches(';');
                (key.to_string(), value.parse().expect("a number"))
            })
            .collect()
    }

    /// `['a', 'b']` as strings.
    fn js_strings(name: &str) -> Vec<String> {
        js_const(name)
            .trim_matches(|c| c == '[' || c == ']' || char::is_whitespace(c))
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.trim_matches('\'').to_string())
            .collect()
    }

    fn same(name: &str, rust: &[(&str, u32)]) {
        let rust: Vec<(String, u32)> = rust.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        assert_eq!(
            js_numbers(name),
            rust,
            "contract.js {name} differs from contract.rs"
        );
    }

    #[test]
    fn effects_agree() {
        use effect::*;
        same(
            "EFFECT",
            &[
                ("WRITE_COOKIES", WRITE_COOKIES),
                ("CLEAR_COOKIES", CLEAR_COOKIES),
                ("PUBLISH", PUBLISH),
                ("NOTIFY_SESSION", NOTIFY_SESSION),
                ("NOTIFY_USER", NOTIFY_USER),
                ("REFRESH", REFRESH),
                ("TIMER", TIMER),
                ("WAKE_LEADER", WAKE_LEADER),
                ("STEAL", STEAL),
                ("BUSY", BUSY),
                ("NOTIFY_CACHE", NOTIFY_CACHE),
                ("ACCEPTED", ACCEPTED),
            ],
        );
    }

    #[test]
    fn events_agree() {
        use event::*;
        same(
            "EVENT",
            &[
                ("TIMER", TIMER),
                ("LEADER", LEADER),
                ("LOST", LOST),
                ("VISIBLE", VISIBLE),
                ("ONLINE", ONLINE),
                ("RESTORED", RESTORED),
                ("HIDDEN", HIDDEN),
                ("WAKE", WAKE),
                ("REFRESH_BEGAN", REFRESH_BEGAN),
                ("REFRESH_DROPPED", REFRESH_DROPPED),
                ("SIGNED_OUT", SIGNED_OUT),
                ("BUSY", BUSY),
                ("USER", USER),
                ("STARTED", STARTED),
                ("CLOSE", CLOSE),
            ],
        );
    }

    #[test]
    fn number_layout_texts_classes_and_pkce_agree() {
        use at::*;
        same(
            "AT",
            &[
                ("SEQ", SEQ as u32),
                ("WRITER", WRITER as u32),
                ("CLOCK", CLOCK as u32),
                ("SIGNED_IN", SIGNED_IN as u32),
                ("EXPIRES_AT", EXPIRES_AT as u32),
                ("CONFIRMED_AT", CONFIRMED_AT as u32),
                ("DURATION", DURATION as u32),
                ("SESSION", SESSION as u32),
                ("USER", USER as u32),
                ("HASH", HASH as u32),
                ("SHARED", SHARED as u32),
                ("FROM_CACHE", FROM_CACHE as u32),
                ("LEADING", LEADING as u32),
                ("BUSY_FOR", BUSY_FOR as u32),
                ("REFRESH_DURATION", REFRESH_DURATION as u32),
                ("TIMER", TIMER as u32),
                ("LEN", LEN as u32),
            ],
        );
        same("TEXT", &[("TOKEN", text::TOKEN), ("JWT", text::JWT)]);
        same(
            "CLASS",
            &[
                ("RETRYABLE", class::RETRYABLE),
                ("ENDS_SESSION", class::ENDS_SESSION),
            ],
        );
        same(
            "PKCE",
            &[
                ("NOTHING", pkce::NOTHING),
                ("CREATE", pkce::CREATE),
                ("DISCARD", pkce::DISCARD),
                ("SEND", pkce::SEND),
            ],
        );
        assert_eq!(
            js_const("INVALID_RESPONSE"),
            format!("'{INVALID_RESPONSE}'")
        );
    }

    #[test]
    fn the_page_calls_exactly_the_methods_of_the_table() {
        let rust: Vec<String> = crate::methods::tests::rows()
            .iter()
            .map(|r| r.op.to_string())
            .collect();
        assert_eq!(js_strings("OPS"), rust);
    }

    #[test]
    fn the_url_token_types_that_sign_in_agree() {
        let js = js_const("URL_SIGN_IN");
        let pairs: Vec<(&str, &str)> = js
            .trim_matches(|c| c == '{' || c == '}' || char::is_whitespace(c))
            .split(',')
            .map(|entry| {
                let (key, value) = entry.split_once(':').expect("key: 'op'");
                (key.trim(), value.trim().trim_matches('\''))
            })
            .collect();
        for (token_type, op) in &pairs {
            assert_eq!(
                crate::methods::url_sign_in(token_type),
                Some(*op),
                "{token_type}"
            );
        }
        for token_type in [
            "magic_links",
            "oauth",
            "reset_password",
            "discovery",
            "otp",
            "",
        ] {
            let listed = pairs.iter().any(|(t, _)| t == &token_type);
            assert_eq!(
                crate::methods::url_sign_in(token_type).is_some(),
                listed,
                "{token_type}"
            );
        }
    }

    #[test]
    fn field_kinds_agree() {
        assert_eq!(
            js_const("KINDS"),
            format!("'{}'", crate::methods::KINDS),
            "the field kinds the table uses are the ones the page checks"
        );
    }

    #[test]
    fn the_fingerprint_matches_the_js_vectors() {
        let vectors = js_strings("FINGERPRINT_VECTORS");
        assert!(vectors.len() >= 8, "{vectors:?}");
        for pair in vectors.chunks(2) {
            assert_eq!(fingerprint(&pair[0]).to_string(), pair[1], "{pair:?}");
            assert!(fingerprint(&pair[0]) < 1 << 53);
        }
    }
}

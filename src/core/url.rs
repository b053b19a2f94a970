//! URL handling without a URL library: query parameters, percent-encoding,
//! and the `stytch_token_type` / `token` pair that lands an app after a
//! magic link, OAuth or password-reset redirect.

use crate::prelude::*;

use super::text;

/// The parameters that carry a sign-in token into the app.
pub const TOKEN_TYPE_PARAM: &str = "stytch_token_type";
pub const TOKEN_PARAM: &str = "token";

/// Percent-encodes everything outside RFC 3986's unreserved set.
pub fn encode_component(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
    out
}

/// Decodes `%XX` escapes and `+` (form encoding) in a query component.
/// Malformed escapes stay as written; invalid UTF-8 is replaced.
pub fn decode_component(text: &str) -> String {
    lossy(&decode_bytes(text))
}

/// The bytes a query component spells.
fn decode_bytes(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                    let hi = (h[0] as char).to_digit(16)?;
                    let lo = (h[1] as char).to_digit(16)?;
                    Some((hi * 16 + lo) as u8)
                });
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// The text of `bytes`, each invalid sequence replaced by U+FFFD (as
/// `String::from_utf8_lossy`, on the UTF-8 check the crate already has).
fn lossy(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match core::str::from_utf8(bytes) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(error) => {
                let (valid, rest) = bytes.split_at(error.valid_up_to());
                out.push_str(core::str::from_utf8(valid).unwrap_or_default());
                out.push('\u{fffd}');
                // No length: a sequence cut short by the end of the input.
                let skip = error.error_len().map_or(rest.len(), usize::from);
                bytes = rest.get(skip..).unwrap_or_default();
            }
        }
    }
}

/// Splits `href` into (before the query, the query without `?`, the fragment with `#`).
fn split(href: &str) -> (&str, &str, &str) {
    let (rest, fragment) = match text::find(href, b'#') {
        Some(i) => (
            href.get(..i).unwrap_or_default(),
            href.get(i..).unwrap_or_default(),
        ),
        None => (href, ""),
    };
    match text::split_once(rest, b'?') {
        Some((base, query)) => (base, query, fragment),
        None => (rest, "", fragment),
    }
}

/// Whether the encoded key of a query parameter names `name`.
fn key_is(raw_key: &str, name: &str) -> bool {
    decode_bytes(raw_key) == name.as_bytes()
}

/// A sign-in token found in a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlToken {
    pub token_type: String,
    pub token: String,
}

/// The token the URL carries, if it carries both parameters, non-empty.
pub fn find_token(href: &str) -> Option<UrlToken> {
    // The first parameter of each name counts.
    let get = |name: &str| {
        text::split(split(href).1, b'&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| text::split_once(pair, b'=').unwrap_or((pair, "")))
            .find(|(key, _)| key_is(key, name))
            .map(|(_, value)| decode_component(value))
            .filter(|value| !value.is_empty())
    };
    Some(UrlToken {
        token_type: get(TOKEN_TYPE_PARAM)?,
        token: get(TOKEN_PARAM)?,
    })
}

/// `href` without the token parameters; every other parameter and the
/// fragment are kept byte for byte.
pub fn strip_token(href: &str) -> String {
    let (base, query, fragment) = split(href);
    let mut out = String::from(base);
    for pair in text::split(query, b'&') {
        let key = text::until(pair, |b| b == b'=');
        if !pair.is_empty() && !key_is(key, TOKEN_TYPE_PARAM) && !key_is(key, TOKEN_PARAM) {
            out.push(if out.len() == base.len() { '?' } else { '&' });
            out.push_str(pair);
        }
    }
    out.push_str(fragment);
    out
}

/// Appends `key=value` (encoded) to the query of the URL `out`.
pub fn push_param(out: &mut String, key: &str, value: &str) {
    out.push(if text::find(out, b'?').is_some() {
        '&'
    } else {
        '?'
    });
    out.push_str(&encode_component(key));
    out.push('=');
    out.push_str(&encode_component(value));
}

/// The scheme, host and port of an absolute http(s) URL, if it is one.
pub fn origin(href: &str) -> Option<&str> {
    let rest = href
        .strip_prefix("https://")
        .or_else(|| href.strip_prefix("http://"))?;
    let authority = text::until(rest, |b| matches!(b, b'/' | b'?' | b'#'));
    // No user info (`@`), no path or query: a host and maybe a port.
    let valid_host = !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    href.get(..href.len() - rest.len() + authority.len())
        .filter(|_| valid_host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_decodes_the_token_pair() {
        let href = "https://app.test/auth?stytch_token_type=magic_links&token=abc%2Bdef%3D#top";
        assert_eq!(
            find_token(href),
            Some(UrlToken {
                token_type: "magic_links".into(),
                token: "abc+def=".into()
            })
        );
        assert_eq!(find_token("https://app.test/?token=x"), None);
        assert_eq!(
            find_token("https://app.test/?stytch_token_type=oauth&token="),
            None
        );
        assert_eq!(
            find_token("https://app.test/#?stytch_token_type=oauth&token=x"),
            None
        );
    }

    #[test]
    fn strip_keeps_other_parameters_and_the_fragment() {
        assert_eq!(
            strip_token("https://a.test/p?x=1&stytch_token_type=oauth&token=t&y=%20#frag"),
            "https://a.test/p?x=1&y=%20#frag"
        );
        assert_eq!(
            strip_token("https://a.test/p?stytch_token_type=oauth&token=t"),
            "https://a.test/p"
        );
        assert_eq!(
            strip_token("https://a.test/p?token=t&&x"),
            "https://a.test/p?x"
        );
        assert_eq!(strip_token("/relative?%74oken=t"), "/relative");
    }

    #[test]
    fn percent_encoding_round_trips() {
        let text = "a b&c=d/é?#%+";
        let encoded = encode_component(text);
        assert_eq!(encoded, "a%20b%26c%3Dd%2F%C3%A9%3F%23%25%2B");
        assert_eq!(decode_component(&encoded), text);
        assert_eq!(decode_component("100%zz+%4"), "100%zz %4");
        assert_eq!(decode_component("%ff"), "\u{fffd}");
        for bytes in [
            &b"a\xffb\xc3\xa9\xe2\x82"[..],
            b"\xf0\x9f\x98",
            b"\xed\xa0\x80x",
            b"\xc0\xafok\xf4\x90\x80\x80",
            b"",
        ] {
            assert_eq!(lossy(bytes), String::from_utf8_lossy(bytes), "{bytes:?}");
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn lossy_decoding_matches_std(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..24)) {
            proptest::prop_assert_eq!(lossy(&bytes), String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn push_param_appends_encoded_pairs() {
        let mut url = String::from("https://x.test/start");
        push_param(&mut url, "a", "1 2");
        push_param(&mut url, "b", "http://y/?z");
        assert_eq!(url, "https://x.test/start?a=1%202&b=http%3A%2F%2Fy%2F%3Fz");
        let mut url = String::from("https://x.test/?q=1");
        push_param(&mut url, "a", "b");
        assert_eq!(url, "https://x.test/?q=1&a=b");
    }

    #[test]
    fn origin_accepts_only_absolute_http_urls() {
        assert_eq!(
            origin("https://app.test:8443/a?b#c"),
            Some("https://app.test:8443")
        );
        assert_eq!(
            origin("http://localhost:5173"),
            Some("http://localhost:5173")
        );
        assert_eq!(origin("http://[::1]:80/x"), Some("http://[::1]:80"));
        for bad in [
            "javascript:alert(1)",
            "/relative",
            "https://",
            "https://a b/",
            "https://u@evil.test/",
            "ftp://x",
        ] {
            assert_eq!(origin(bad), None, "{bad}");
        }
    }
}

//! URL handling without a URL library: query parameters, percent-encoding,
//! and the `stytch_token_type` / `token` pair that lands an app after a
//! magic link, OAuth or password-reset redirect.

use crate::prelude::*;

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
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits `href` into (before the query, the query without `?`, the fragment with `#`).
fn split(href: &str) -> (&str, &str, &str) {
    let (rest, fragment) = match href.find('#') {
        Some(i) => (
            href.get(..i).unwrap_or_default(),
            href.get(i..).unwrap_or_default(),
        ),
        None => (href, ""),
    };
    match rest.split_once('?') {
        Some((base, query)) => (base, query, fragment),
        None => (rest, "", fragment),
    }
}

/// The decoded query parameters of `href`, in order.
pub fn query_params(href: &str) -> Vec<(String, String)> {
    split(href)
        .1
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (decode_component(k), decode_component(v)),
            None => (decode_component(pair), String::new()),
        })
        .collect()
}

/// A sign-in token found in a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlToken {
    pub token_type: String,
    pub token: String,
}

/// The token the URL carries, if it carries both parameters, non-empty.
pub fn find_token(href: &str) -> Option<UrlToken> {
    let params = query_params(href);
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
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
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let key = decode_component(pair.split('=').next().unwrap_or_default());
            !pair.is_empty() && key != TOKEN_TYPE_PARAM && key != TOKEN_PARAM
        })
        .collect();
    let mut out = String::from(base);
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    out.push_str(fragment);
    out
}

/// Appends `key=value` pairs (encoded) to `base`, which may already have a query.
pub fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let mut out = String::from(base);
    let mut separator = if base.contains('?') { '&' } else { '?' };
    for (key, value) in params {
        out.push(separator);
        out.push_str(&encode_component(key));
        out.push('=');
        out.push_str(&encode_component(value));
        separator = '&';
    }
    out
}

/// The scheme, host and port of an absolute http(s) URL, if it is one.
pub fn origin(href: &str) -> Option<&str> {
    let rest = href
        .strip_prefix("https://")
        .or_else(|| href.strip_prefix("http://"))?;
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..authority_len)?;
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let valid_host = !host.is_empty()
        && !authority.contains('@')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    href.get(..href.len() - rest.len() + authority_len)
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
    }

    #[test]
    fn with_query_appends_encoded_pairs() {
        assert_eq!(
            with_query(
                "https://x.test/start",
                &[("a", "1 2"), ("b", "http://y/?z")]
            ),
            "https://x.test/start?a=1%202&b=http%3A%2F%2Fy%2F%3Fz"
        );
        assert_eq!(
            with_query("https://x.test/?q=1", &[("a", "b")]),
            "https://x.test/?q=1&a=b"
        );
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

//! The session cookies as `document.cookie` strings: their names, values and
//! attributes, and every removal variant the SDK may have written. (Reading
//! `document.cookie` is the page's job.)

use crate::prelude::*;

use crate::http_date::format_http_date;

/// Where and under which names the session cookies live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieOptions {
    pub opaque_token_name: String,
    pub jwt_name: String,
    pub path: String,
    pub domain: Option<String>,
    pub available_to_subdomains: bool,
}

/// What the cookie attributes depend on in the current page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub hostname: String,
    pub https: bool,
}

impl CookieOptions {
    /// The `Domain` attribute to write, if any.
    fn domain_for(&self, page: &Page) -> Option<String> {
        match (&self.domain, self.available_to_subdomains) {
            (Some(domain), _) => Some(domain.clone()),
            (None, true) => Some(page.hostname.clone()),
            (None, false) => None,
        }
    }

    /// The two cookie strings that store a session until `expires_ms`
    /// (device clock), given the device's `now_ms`; without an expiry they
    /// last as long as the browser session.
    pub fn write(
        &self,
        page: &Page,
        token: &str,
        jwt: &str,
        expires_ms: Option<i64>,
        now_ms: i64,
    ) -> [String; 2] {
        let mut attributes = String::new();
        attributes.push_str("; Path=");
        attributes.push_str(&self.path);
        if let Some(domain) = self.domain_for(page) {
            attributes.push_str("; Domain=");
            attributes.push_str(&domain);
        }
        if let Some(expires_ms) = expires_ms {
            attributes.push_str("; Expires=");
            attributes.push_str(&format_http_date(expires_ms));
            attributes.push_str("; Max-Age=");
            push_int(&mut attributes, (expires_ms - now_ms).max(0) / 1000);
        }
        attributes.push_str("; SameSite=Lax");
        // Browsers refuse `Secure` cookies from plain-http pages other than
        // localhost, so it is written exactly when the page is https.
        if page.https {
            attributes.push_str("; Secure");
        }
        [
            concat(&[&self.opaque_token_name, "=", token, &attributes]),
            concat(&[&self.jwt_name, "=", jwt, &attributes]),
        ]
    }

    /// Strings that delete both cookies in every variant this SDK might have
    /// written: with and without `Domain`, on the configured path and on `/`.
    pub fn removals(&self, page: &Page) -> Vec<String> {
        let domains = [None, Some(page.hostname.as_str()), self.domain.as_deref()];
        let paths = [self.path.as_str(), "/"];
        let mut out = Vec::new();
        for name in [&self.opaque_token_name, &self.jwt_name] {
            // The configured path, and `/` when that is another one.
            for (p, path) in paths.iter().enumerate() {
                if p == 1 && self.path == "/" {
                    continue;
                }
                // Without `Domain`, on the page's host, on the configured domain.
                for (d, domain) in domains.iter().enumerate() {
                    if d == 2 && domain.is_none() {
                        continue;
                    }
                    out.push(concat(&[
                        name,
                        "=; Path=",
                        path,
                        if domain.is_some() { "; Domain=" } else { "" },
                        domain.unwrap_or_default(),
                        "; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; SameSite=Lax",
                    ]));
                }
            }
        }
        out
    }
}

fn concat(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        out.push_str(part);
    }
    out
}

/// Appends a non-negative number in decimal.
fn push_int(out: &mut String, value: i64) {
    let mut digits = [0u8; 20];
    let mut rest = value.max(0);
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 || start == 0 {
            break;
        }
    }
    for &digit in &digits[start..] {
        out.push(digit as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Default for CookieOptions {
        fn default() -> Self {
            CookieOptions {
                opaque_token_name: "stytch_session".into(),
                jwt_name: "stytch_session_jwt".into(),
                path: "/".into(),
                domain: None,
                available_to_subdomains: false,
            }
        }
    }

    fn page(https: bool) -> Page {
        Page {
            hostname: "app.example.com".into(),
            https,
        }
    }

    #[test]
    fn writes_both_cookies_with_expiry_lax_and_secure_on_https() {
        let opts = CookieOptions::default();
        let [token, jwt] = opts.write(
            &page(true),
            "tok",
            "a.b.c",
            Some(1_700_000_060_000),
            1_700_000_000_000,
        );
        assert_eq!(
            token,
            "stytch_session=tok; Path=/; Expires=Tue, 14 Nov 2023 22:14:20 GMT; Max-Age=60; SameSite=Lax; Secure"
        );
        assert!(jwt.starts_with("stytch_session_jwt=a.b.c; Path=/; Expires="));
        let [token, _] = opts.write(&page(false), "tok", "j", Some(1_000), 0);
        assert!(!token.contains("Secure"));
        assert!(!token.contains("Domain"));
        let [session_only, _] = opts.write(&page(false), "tok", "j", None, 0);
        assert_eq!(session_only, "stytch_session=tok; Path=/; SameSite=Lax");
    }

    #[test]
    fn subdomain_option_adds_the_domain() {
        let opts = CookieOptions {
            available_to_subdomains: true,
            opaque_token_name: "sess".into(),
            path: "/app".into(),
            ..CookieOptions::default()
        };
        let [token, _] = opts.write(&page(true), "t", "j", Some(1_000), 0);
        assert!(token.starts_with("sess=t; Path=/app; Domain=app.example.com;"));
        let explicit = CookieOptions {
            domain: Some("example.com".into()),
            ..CookieOptions::default()
        };
        let [token, _] = explicit.write(&page(true), "t", "j", Some(1_000), 0);
        assert!(token.contains("; Domain=example.com;"));
    }

    #[test]
    fn removal_covers_every_written_variant() {
        let opts = CookieOptions {
            domain: Some("example.com".into()),
            path: "/app".into(),
            ..CookieOptions::default()
        };
        let removals = opts.removals(&page(true));
        // 2 names x 2 paths x 3 domain variants.
        assert_eq!(removals.len(), 12);
        for needle in [
            "stytch_session=; Path=/app; Expires",
            "stytch_session=; Path=/; Domain=app.example.com;",
            "stytch_session_jwt=; Path=/app; Domain=example.com;",
        ] {
            assert!(removals.iter().any(|r| r.starts_with(needle)), "{needle}");
        }
        assert!(removals.iter().all(|r| r.contains("Max-Age=0")));
    }

    #[test]
    fn max_age_is_whole_seconds_and_never_negative() {
        let opts = CookieOptions::default();
        let [token, _] = opts.write(&page(false), "t", "j", Some(1_234_567_000), 0);
        assert!(token.contains("; Max-Age=1234567;"), "{token}");
        let [past, _] = opts.write(&page(false), "t", "j", Some(0), 5_000);
        assert!(past.contains("; Max-Age=0;"), "{past}");
    }
}

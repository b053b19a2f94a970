//! Input checks done before any request: each refuses with the sentence
//! that says why (the caller names the field).
use super::{text, url};

/// A range of whole minutes, with the sentence that refuses a value outside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Minutes {
    pub min: i64,
    pub max: i64,
    pub message: &'static str,
}

/// `session_duration_minutes`: five minutes to a year.
pub const SESSION_DURATION: Minutes = Minutes {
    min: 5,
    max: 527_040,
    message: "must be a whole number of minutes from 5 to 527040 (one year)",
};
/// The lifetime of an email link.
pub const LINK_EXPIRY: Minutes = Minutes {
    min: 5,
    max: 10_080,
    message: "must be a whole number of minutes from 5 to 10080",
};
/// The lifetime of a one-time code.
pub const CODE_EXPIRY: Minutes = Minutes {
    min: 1,
    max: 10,
    message: "must be a whole number of minutes from 1 to 10",
};

/// `Err` holds the sentence that refuses the value.
type Check = Result<(), &'static str>;

/// Substring search without the `str` searcher machinery (size).
pub fn contains(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len().max(1))
        .any(|window| window == needle.as_bytes())
}

/// A pragmatic address check: what mail systems accept, not all of RFC 5322.
pub fn email(value: &str) -> Check {
    let message = "must be an email address like name@example.com";
    let Some((local, domain)) = text::rsplit_once(value, b'@') else {
        return Err(message);
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !contains(local, "..")
        && local
            .bytes()
            .all(|b| b > b' ' && b != 0x7f && !b"\"(),:;<>@[\\]".contains(&b));
    let mut labels = 0;
    let mut last = "";
    let mut labels_ok = true;
    for label in text::split(domain, b'.') {
        labels += 1;
        last = label;
        labels_ok &= !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            // Internationalised labels are accepted as typed (any
            // non-ASCII byte); the server normalises them.
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || !b.is_ascii());
    }
    let domain_ok = labels_ok
        && labels >= 2
        && domain.len() <= 253
        && last.len() >= 2
        && !last.bytes().all(|b| b.is_ascii_digit());
    if local_ok && domain_ok && value.len() <= 254 {
        Ok(())
    } else {
        Err(message)
    }
}

/// E.164: a `+`, a country code that does not start with 0, 7 to 15 digits in all.
pub fn phone_number(value: &str) -> Check {
    let digits = value.strip_prefix('+').unwrap_or_default();
    let ok = (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err("must be a phone number in E.164 format, like +14155550123")
    }
}

/// A whole number of minutes within `range` (durations, expirations).
pub fn minutes_in(minutes: i64, range: &Minutes) -> Check {
    if (range.min..=range.max).contains(&minutes) {
        Ok(())
    } else {
        Err(range.message)
    }
}

pub fn non_empty(value: &str) -> Check {
    if value.trim().is_empty() {
        Err("must not be empty")
    } else {
        Ok(())
    }
}

/// An absolute http(s) URL without spaces or control characters.
pub fn redirect_url(value: &str) -> Check {
    let clean = !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if clean && url::origin(value).is_some() {
        Ok(())
    } else {
        Err("must be an absolute http(s) URL")
    }
}

/// The OAuth providers the SDK can start a flow with.
pub const OAUTH_PROVIDERS: [&str; 10] = [
    "google",
    "github",
    "microsoft",
    "apple",
    "facebook",
    "gitlab",
    "discord",
    "slack",
    "linkedin",
    "twitter",
];

pub fn oauth_provider(value: &str) -> Check {
    if OAUTH_PROVIDERS.contains(&value) {
        Ok(())
    } else {
        Err("must be one of google, github, microsoft, apple, facebook, gitlab, discord, slack, linkedin, twitter")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for good in [
            "a@b.co",
            "first.last+tag@sub.example.com",
            "x_y-z@xn--bcher-kva.example",
            "名前@例え.jp",
        ] {
            assert!(email(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@b.c",
            "a b@c.com",
            "a@b..com",
            ".a@b.com",
            "a.@b.com",
            "a..b@c.com",
            "a@-b.com",
            "a@b-.com",
            "a@b.123",
            "a@@b.com",
            "a@b.com\n",
            "a\"b@c.com",
            "a@b_c.com",
        ] {
            assert_eq!(
                email(bad),
                Err("must be an email address like name@example.com"),
                "{bad:?}"
            );
        }
        let long_local = format!("{}@b.com", "a".repeat(65));
        assert!(email(&long_local).is_err());
    }

    #[test]
    fn phone_numbers() {
        for good in ["+14155550123", "+447700900123", "+3361234567"] {
            assert!(phone_number(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "14155550123",
            "+",
            "+0415555012",
            "+1 415 555 0123",
            "+1415555012345678",
            "+123456",
            "+1415555O123",
        ] {
            assert_eq!(
                phone_number(bad),
                Err("must be a phone number in E.164 format, like +14155550123"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn session_durations_are_bounded() {
        let duration = |minutes| minutes_in(minutes, &SESSION_DURATION);
        assert!(duration(5).is_ok());
        assert!(duration(527_040).is_ok());
        assert!(duration(4).is_err());
        assert!(duration(527_041).is_err());
        assert!(duration(-60).is_err());
        assert_eq!(
            duration(4).unwrap_err(),
            "must be a whole number of minutes from 5 to 527040 (one year)"
        );
        assert!(minutes_in(10, &CODE_EXPIRY).is_ok());
        assert!(minutes_in(10_081, &LINK_EXPIRY).is_err());
        let err = minutes_in(11, &CODE_EXPIRY).unwrap_err();
        assert_eq!(err, "must be a whole number of minutes from 1 to 10");
    }

    #[test]
    fn redirect_urls_and_providers() {
        assert!(redirect_url("http://localhost:5173/authenticate").is_ok());
        assert!(redirect_url("https://app.test/x?y=1#z").is_ok());
        for bad in [
            "",
            "/authenticate",
            "javascript:alert(1)",
            "https://app.test/a b",
            "https://",
        ] {
            assert!(redirect_url(bad).is_err(), "{bad}");
        }
        assert!(oauth_provider("github").is_ok());
        assert!(oauth_provider("myspace")
            .unwrap_err()
            .starts_with("must be one of google"));
        assert!(non_empty("  ").is_err());
        assert!(non_empty("x").is_ok());
    }
}

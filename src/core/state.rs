//! The session state every tab converges on: persisted in localStorage,
//! broadcast to other tabs, and ordered so a stale copy never wins.

use crate::prelude::*;

use super::json::{self, Object};

/// A signed-in session as this SDK knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Auth {
    pub session_token: String,
    pub session_jwt: String,
    /// The session object as raw JSON; `None` until the server has confirmed
    /// tokens that came from a cookie or from `updateSession`.
    pub session: Option<String>,
    /// The user object as raw JSON.
    pub user: Option<String>,
    /// When the session ends, in server milliseconds.
    pub expires_at: Option<i64>,
    /// When the server last confirmed the session, in server milliseconds
    /// (0 when never): the next refresh is due an interval after it.
    pub confirmed_at: i64,
    /// The last `session_duration_minutes` the app asked for; re-sent on
    /// refresh when `keepSessionAlive` is on.
    pub duration_minutes: Option<i64>,
}

/// The versioned, ordered state shared by all tabs of one public token.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// Increases with every change, in whichever tab makes it.
    pub seq: u64,
    /// The tab that made the change; breaks ties between equal `seq`s.
    pub writer: u32,
    /// Server time minus device time, as last measured on this device.
    pub clock_offset_ms: i64,
    pub auth: Option<Auth>,
}

const FORMAT_VERSION: i64 = 1;

impl Snapshot {
    /// Whether `self` should replace `current`: a higher `seq` wins; at equal
    /// `seq` a sign-out wins (never resurrect a session by accident), then
    /// the higher writer id.
    pub fn supersedes(&self, current: &Snapshot) -> bool {
        let rank = |s: &Snapshot| (s.seq, s.auth.is_none(), s.writer);
        rank(self) > rank(current)
    }

    pub fn token(&self) -> Option<&str> {
        self.auth.as_ref().map(|a| a.session_token.as_str())
    }

    pub fn to_json(&self) -> String {
        let auth = self.auth.as_ref().map(|a| {
            let opt_int = |o: Object, key: &str, v: Option<i64>| match v {
                Some(v) => o.int(key, v),
                None => o.raw(key, "null"),
            };
            let object = Object::new()
                .str("token", &a.session_token)
                .str("jwt", &a.session_jwt)
                .raw_or_null("session", a.session.as_deref())
                .raw_or_null("user", a.user.as_deref());
            let object =
                opt_int(object, "expires_at", a.expires_at).int("confirmed_at", a.confirmed_at);
            opt_int(object, "duration", a.duration_minutes).finish()
        });
        Object::new()
            .int("v", FORMAT_VERSION)
            .raw("seq", &u64_text(self.seq))
            .int("writer", i64::from(self.writer))
            .int("clock", self.clock_offset_ms)
            .raw_or_null("auth", auth.as_deref())
            .finish()
    }

    /// Reads a snapshot written by `to_json`; anything else (another version,
    /// a tampered value) is `None` and treated as no cache at all.
    pub fn parse(text: &str) -> Option<Snapshot> {
        let text = json::valid(text)?;
        let int = |object: &str, key: &str| json::get(object, key).and_then(json::int);
        if int(text, "v")? != FORMAT_VERSION {
            return None;
        }
        let auth = match json::get(text, "auth")? {
            "null" => None,
            a if json::is_object(a) => {
                let object_or_none = |key: &str| match json::get(a, key) {
                    Some(v) if json::is_object(v) => Some(Some(v.to_string())),
                    Some("null") | None => Some(None),
                    Some(_) => None,
                };
                let int_or_none = |key: &str| match json::get(a, key) {
                    Some("null") | None => Some(None),
                    Some(v) => json::int(v).map(Some),
                };
                Some(Auth {
                    session_token: json::str_field(a, "token").filter(|t| !t.is_empty())?,
                    session_jwt: json::str_field(a, "jwt")?,
                    session: object_or_none("session")?,
                    user: object_or_none("user")?,
                    expires_at: int_or_none("expires_at")?,
                    confirmed_at: int(a, "confirmed_at")?,
                    duration_minutes: int_or_none("duration")?,
                })
            }
            _ => return None,
        };
        Some(Snapshot {
            seq: u64::try_from(int(text, "seq")?).ok()?,
            writer: u32::try_from(int(text, "writer")?).ok()?,
            clock_offset_ms: int(text, "clock")?,
            auth,
        })
    }
}

fn u64_text(value: u64) -> String {
    // Sequence numbers stay far below i64::MAX in practice; saturate rather
    // than wrap if one ever does not.
    super::json::int_text(i64::try_from(value).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn signed_in(seq: u64, token: &str) -> Snapshot {
        Snapshot {
            seq,
            writer: 7,
            clock_offset_ms: -3_600_000,
            auth: Some(Auth {
                session_token: token.into(),
                session_jwt: "a.b.c".into(),
                session: Some(r#"{"session_id":"session-test-1"}"#.into()),
                user: Some(r#"{"user_id":"user-test-1","name":{"first_name":"Ada"}}"#.into()),
                expires_at: Some(1_900_000_000_000),
                confirmed_at: 1_800_000_000_000,
                duration_minutes: Some(60),
            }),
        }
    }

    #[test]
    fn round_trips_through_json_text() {
        for snapshot in [signed_in(42, "tok"), Snapshot::default()] {
            let text = snapshot.to_json();
            assert_eq!(Snapshot::parse(&text), Some(snapshot));
        }
        let mut partial = signed_in(1, "t");
        let auth = partial.auth.as_mut().unwrap();
        auth.session = None;
        auth.user = None;
        auth.expires_at = None;
        auth.duration_minutes = None;
        assert_eq!(Snapshot::parse(&partial.to_json()), Some(partial));
    }

    #[test]
    fn refuses_other_versions_and_tampered_values() {
        let good = signed_in(1, "tok").to_json();
        assert!(Snapshot::parse(&good.replace(r#""v":1"#, r#""v":2"#)).is_none());
        assert!(Snapshot::parse(&good.replace(r#""token":"tok""#, r#""token":"""#)).is_none());
        assert!(Snapshot::parse(&good.replace(r#""seq":1"#, r#""seq":-1"#)).is_none());
        assert!(Snapshot::parse(
            &good.replace(r#""confirmed_at":1800000000000"#, r#""confirmed_at":"x""#)
        )
        .is_none());
        assert!(Snapshot::parse(r#"{"v":1}"#).is_none());
        assert!(Snapshot::parse("garbage").is_none());
    }

    #[test]
    fn ordering_prefers_higher_seq_then_sign_out_then_writer() {
        let older = signed_in(3, "a");
        let newer = signed_in(4, "b");
        assert!(newer.supersedes(&older));
        assert!(!older.supersedes(&newer));
        assert!(
            !older.supersedes(&older.clone()),
            "an equal copy changes nothing"
        );
        let signed_out = Snapshot {
            seq: 4,
            writer: 1,
            ..Snapshot::default()
        };
        assert!(signed_out.supersedes(&newer), "a sign-out wins a tie");
        assert!(!newer.supersedes(&signed_out));
        let mut other_writer = signed_in(4, "c");
        other_writer.writer = 9;
        assert!(other_writer.supersedes(&newer));
    }
}

//! The session state every tab converges on, and the order that keeps a
//! stale copy from winning. The page persists and broadcasts its shared part
//! (no tokens); each tab keeps the tokens it knows in memory only.

use crate::prelude::*;

/// A signed-in session as this SDK knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Auth {
    /// The session token, when this tab knows it (signed in here, or read
    /// from the cookie). Never shared: other tabs read the cookie.
    pub token: Option<String>,
    /// The session JWT as this tab last saw it (memory only, like the token).
    pub jwt: String,
    /// The token's fingerprint (`contract::fingerprint`): shared, so that a
    /// tab can tell whether the cookie holds this session.
    pub hash: u64,
    /// The session object's fingerprint (the page keeps the object); `None`
    /// until the server has confirmed tokens that came from a cookie or from
    /// `updateSession`.
    pub session: Option<u64>,
    /// The user object's fingerprint.
    pub user: Option<u64>,
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

impl Snapshot {
    /// Whether `self` should replace `current`: a higher `seq` wins; at equal
    /// `seq` a sign-out wins (never resurrect a session by accident), then
    /// the higher writer id.
    pub fn supersedes(&self, current: &Snapshot) -> bool {
        let rank = |s: &Snapshot| (s.seq, s.auth.is_none(), s.writer);
        rank(self) > rank(current)
    }

    /// What other tabs and the cache get: everything but the tokens.
    pub fn shared(&self) -> Snapshot {
        let mut shared = self.clone();
        if let Some(auth) = shared.auth.as_mut() {
            auth.token = None;
            auth.jwt = String::new();
        }
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::fingerprint;

    pub(crate) fn signed_in(seq: u64, token: &str) -> Snapshot {
        Snapshot {
            seq,
            writer: 7,
            clock_offset_ms: -3_600_000,
            auth: Some(Auth {
                token: Some(token.into()),
                jwt: "a.b.c".into(),
                hash: fingerprint(token),
                session: Some(11),
                user: Some(12),
                expires_at: Some(1_900_000_000_000),
                confirmed_at: 1_800_000_000_000,
                duration_minutes: Some(60),
            }),
        }
    }

    #[test]
    fn the_shared_part_holds_no_token() {
        let shared = signed_in(1, "secret-token").shared();
        let auth = shared.auth.unwrap();
        assert_eq!(auth.token, None);
        assert_eq!(auth.jwt, "");
        assert_eq!(auth.hash, fingerprint("secret-token"));
        assert!(auth.session.is_some() && auth.user.is_some());
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

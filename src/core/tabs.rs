//! The cross-tab protocol: the messages tabs exchange, and the lease that
//! elects a leader where the Web Locks API is missing.

use crate::prelude::*;

use super::json::{self, Object};
use super::state::Snapshot;
use super::text;

/// What one tab tells the others.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The shared state changed (its text is also what localStorage holds).
    State(Snapshot),
    /// A follower woke up and thinks a refresh is due; the leader checks.
    Wake,
}

pub const WAKE: &str = r#"{"wake":true}"#;

/// The localStorage key of `suffix` (state, leader lease, PKCE verifiers)
/// for one public token: the tabs of a token share these.
pub fn storage_key(public_token: &str, suffix: &str) -> String {
    text::concat(&["latchkey:", public_token, ":", suffix])
}

pub fn decode(text: &str) -> Option<Message> {
    let object = json::valid(text)?;
    if json::get(object, "wake") == Some("true") {
        return Some(Message::Wake);
    }
    Snapshot::parse(object).map(Message::State)
}

/// A leader lease stored in localStorage: who leads, until when (wall ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub holder: u32,
    pub until: i64,
}

/// How long a lease lasts without renewal, and how often the holder renews:
/// a closed leader is replaced within about `LEASE_TTL_MS`.
pub const LEASE_TTL_MS: i64 = 6_000;
pub const LEASE_RENEW_MS: i64 = 2_000;

impl Lease {
    pub fn to_text(self) -> String {
        Object::new()
            .int("holder", i64::from(self.holder))
            .int("until", self.until)
            .finish()
    }

    pub fn parse(text: &str) -> Option<Lease> {
        let object = json::valid(text)?;
        let int = |key: &str| json::get(object, key).and_then(json::int);
        Some(Lease {
            holder: u32::try_from(int("holder")?).ok()?,
            until: int("until")?,
        })
    }
}

/// One step of the lease election, run every `LEASE_RENEW_MS` by every tab.
/// Returns whether `me` leads now and the lease to write, if any.
///
/// A tab claims a free or expired lease but only leads once it reads the
/// lease back as its own on a later step: when two tabs claim at once, the
/// last write wins and exactly one of them ever leads.
pub fn lease_step(me: u32, now: i64, current: Option<Lease>) -> (bool, Option<Lease>) {
    let renewed = Lease {
        holder: me,
        until: now + LEASE_TTL_MS,
    };
    match current {
        Some(lease) if lease.until > now && lease.holder == me => (true, Some(renewed)),
        Some(lease) if lease.until > now => (false, None),
        _ => (false, Some(renewed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let snapshot = Snapshot {
            seq: 3,
            writer: 4,
            ..Snapshot::default()
        };
        assert_eq!(decode(&snapshot.to_json()), Some(Message::State(snapshot)));
        assert_eq!(decode(WAKE), Some(Message::Wake));
        assert_eq!(decode(r#"{"wake":false}"#), None);
        assert_eq!(decode("nonsense"), None);
    }

    #[test]
    fn a_free_lease_is_claimed_then_led_on_the_next_step() {
        let (leads, write) = lease_step(1, 0, None);
        assert!(!leads);
        let lease = write.unwrap();
        assert_eq!(
            lease,
            Lease {
                holder: 1,
                until: LEASE_TTL_MS
            }
        );
        let (leads, write) = lease_step(1, LEASE_RENEW_MS, Some(lease));
        assert!(leads);
        assert_eq!(write.unwrap().until, LEASE_RENEW_MS + LEASE_TTL_MS);
    }

    #[test]
    fn concurrent_claims_elect_exactly_the_last_writer() {
        let (_, a) = lease_step(1, 0, None);
        let (_, b) = lease_step(2, 0, None);
        let stored = b.or(a); // b wrote last
        let (a_leads, a_write) = lease_step(1, LEASE_RENEW_MS, stored);
        let (b_leads, _) = lease_step(2, LEASE_RENEW_MS, stored);
        assert!(!a_leads && a_write.is_none());
        assert!(b_leads);
    }

    #[test]
    fn an_expired_lease_is_taken_over() {
        let old = Lease {
            holder: 1,
            until: 5_000,
        };
        assert_eq!(lease_step(2, 4_999, Some(old)), (false, None));
        let (leads, write) = lease_step(2, 5_000, Some(old));
        assert!(!leads);
        assert_eq!(write.unwrap().holder, 2);
        assert_eq!(Lease::parse(&old.to_text()), Some(old));
        assert_eq!(Lease::parse("{}"), None);
    }
}

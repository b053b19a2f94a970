//! Time: a wall clock that tests (and `/dev/clock`) can move forward, and the RFC 3339 timestamp type.

use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

/// Unix time in seconds plus an adjustable offset. All expiry decisions read
/// this clock, so a test can expire a session by moving it instead of sleeping.
#[derive(Debug, Default)]
pub struct Clock {
    offset_secs: AtomicI64,
    /// The system time the clock was stopped at; 0 while it runs.
    frozen_at: AtomicI64,
}

fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Clock {
    pub fn now(&self) -> i64 {
        let base = match self.frozen_at.load(Ordering::Relaxed) {
            0 => system_now(),
            frozen => frozen,
        };
        base + self.offset_secs.load(Ordering::Relaxed)
    }

    /// Moves the clock by `secs` (may be negative); returns the new offset.
    pub fn advance(&self, secs: i64) -> i64 {
        self.offset_secs.fetch_add(secs, Ordering::Relaxed) + secs
    }

    /// Stops the clock where it is, so that only `advance` moves it: a test
    /// one second short of an expiry must not see a real second tick by.
    pub fn freeze(&self) {
        self.frozen_at.store(system_now(), Ordering::Relaxed);
    }

    pub fn offset(&self) -> i64 {
        self.offset_secs.load(Ordering::Relaxed)
    }
}

/// Unix seconds that serialize as an RFC 3339 UTC string (`2024-05-01T12:00:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn to_rfc3339(self) -> String {
        OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
    }

    pub fn parse(raw: &str) -> Option<Timestamp> {
        OffsetDateTime::parse(raw, &Rfc3339)
            .ok()
            .map(|t| Timestamp(t.unix_timestamp()))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Timestamp::parse(&raw)
            .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 timestamp: {raw}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp(1_700_000_000).to_rfc3339(),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            Timestamp::parse("2023-11-14T22:13:20Z"),
            Some(Timestamp(1_700_000_000))
        );
        let json = serde_json::to_string(&Timestamp(1_700_000_000)).unwrap();
        let back: Timestamp = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Timestamp(1_700_000_000));
    }

    #[test]
    fn the_clock_moves() {
        let clock = Clock::default();
        let before = clock.now();
        assert_eq!(clock.advance(600), 600);
        assert!(clock.now() >= before + 600);
    }

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let clock = Clock::default();
        clock.freeze();
        let at = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(clock.now(), at);
        clock.advance(59);
        assert_eq!(clock.now(), at + 59);
    }
}

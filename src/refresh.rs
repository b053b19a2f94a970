//! Refresh timing: the steady interval and the backoff after failures.

/// Defaults from the protocol: refresh every 3 minutes (the JWT lives 5).
pub const DEFAULT_INTERVAL_MS: i64 = 180_000;
const BACKOFF_BASE_MS: i64 = 2_000;
const BACKOFF_CAP_MS: i64 = 240_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    pub interval_ms: i64,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            interval_ms: DEFAULT_INTERVAL_MS,
        }
    }
}

impl RefreshPolicy {
    /// Delay before retry `attempt` (0 for the first) after a transient
    /// failure: 2 s · 2^attempt capped at 4 minutes, then "equal jitter":
    /// uniformly within the upper half, so tabs and devices that failed
    /// together do not retry together. `random` is any u32.
    pub fn backoff_ms(&self, attempt: u32, random: u32) -> i64 {
        let ceiling = BACKOFF_BASE_MS
            .saturating_mul(1i64 << attempt.min(20))
            .min(BACKOFF_CAP_MS);
        let half = ceiling / 2;
        half + half * i64::from(random) / i64::from(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_two_seconds_and_caps_near_four_minutes() {
        let policy = RefreshPolicy::default();
        let max = |attempt| policy.backoff_ms(attempt, u32::MAX);
        let min = |attempt| policy.backoff_ms(attempt, 0);
        assert_eq!((min(0), max(0)), (1_000, 2_000));
        assert_eq!((min(1), max(1)), (2_000, 4_000));
        assert_eq!((min(6), max(6)), (64_000, 128_000));
        assert_eq!((min(7), max(7)), (120_000, 240_000));
        assert_eq!(max(50), 240_000);
        assert_eq!(min(u32::MAX), 120_000);
    }

    #[test]
    fn jitter_spreads_retries_within_the_upper_half() {
        let policy = RefreshPolicy::default();
        let delays: Vec<i64> = [0, u32::MAX / 4, u32::MAX / 2, u32::MAX / 4 * 3]
            .into_iter()
            .map(|r| policy.backoff_ms(3, r))
            .collect();
        assert!(delays.windows(2).all(|w| w[0] < w[1]), "{delays:?}");
        assert!(delays.iter().all(|d| (8_000..=16_000).contains(d)));
    }
}

//! The leader election where the Web Locks API is missing: a lease in
//! localStorage that every tab steps on a timer.

/// A leader lease: who leads, until when (device wall ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub holder: u32,
    pub until: i64,
}

/// How long a lease lasts without renewal, and how often the holder renews:
/// a closed leader is replaced within about `LEASE_TTL_MS`.
pub const LEASE_TTL_MS: i64 = 6_000;
pub const LEASE_RENEW_MS: i64 = 2_000;

/// One step of the lease election, run every `LEASE_RENEW_MS` by every tab.
/// Returns whether `me` leads now and the lease to write, if any.
///
/// A tab claims a free or expired lease but only leads once it reads the
/// lease back as its own on a later step: when two tabs claim at once, the
/// last write wins and exactly one of them ever leads. `take_over` claims
/// even a live lease (a follower replacing a leader that stopped refreshing).
pub fn lease_step(
    me: u32,
    now: i64,
    current: Option<Lease>,
    take_over: bool,
) -> (bool, Option<Lease>) {
    let renewed = Lease {
        holder: me,
        until: now + LEASE_TTL_MS,
    };
    match current {
        Some(lease) if lease.until > now && lease.holder == me => (true, Some(renewed)),
        Some(lease) if lease.until > now && !take_over => (false, None),
        _ => (false, Some(renewed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_free_lease_is_claimed_then_led_on_the_next_step() {
        let (leads, write) = lease_step(1, 0, None, false);
        assert!(!leads);
        let lease = write.unwrap();
        assert_eq!(
            lease,
            Lease {
                holder: 1,
                until: LEASE_TTL_MS
            }
        );
        let (leads, write) = lease_step(1, LEASE_RENEW_MS, Some(lease), false);
        assert!(leads);
        assert_eq!(write.unwrap().until, LEASE_RENEW_MS + LEASE_TTL_MS);
    }

    #[test]
    fn concurrent_claims_elect_exactly_the_last_writer() {
        let (_, a) = lease_step(1, 0, None, false);
        let (_, b) = lease_step(2, 0, None, false);
        let stored = b.or(a); // b wrote last
        let (a_leads, a_write) = lease_step(1, LEASE_RENEW_MS, stored, false);
        let (b_leads, _) = lease_step(2, LEASE_RENEW_MS, stored, false);
        assert!(!a_leads && a_write.is_none());
        assert!(b_leads);
    }

    #[test]
    fn an_expired_lease_is_taken_over() {
        let old = Lease {
            holder: 1,
            until: 5_000,
        };
        assert_eq!(lease_step(2, 4_999, Some(old), false), (false, None));
        let (leads, write) = lease_step(2, 5_000, Some(old), false);
        assert!(!leads);
        assert_eq!(write.unwrap().holder, 2);
    }

    #[test]
    fn a_take_over_claims_a_live_lease_and_leads_on_the_next_step() {
        let live = Lease {
            holder: 1,
            until: 5_000,
        };
        let (leads, write) = lease_step(2, 1_000, Some(live), true);
        assert!(!leads);
        let claimed = write.unwrap();
        assert_eq!(claimed.holder, 2);
        assert!(lease_step(2, 1_000 + LEASE_RENEW_MS, Some(claimed), false).0);
        assert!(!lease_step(1, 1_000 + LEASE_RENEW_MS, Some(claimed), false).0);
    }
}

//! In-memory token-bucket rate limiting per client IP and per identifier (email, phone, user).
//!
//! A [`Policy`] pairs a per-IP limit with a per-identifier limit; a request
//! passes only if both buckets have a token, and then takes one from each.
//! An [`IpPolicy`] limits the client IP alone, for calls that have no
//! identifier to key on (OAuth starts, the development IdP's consents).
//! State is in memory on purpose: limits reset on restart, which is right for
//! a local development server. Usage from an operation:
//!
//! ```ignore
//! state.limiter.check(&ratelimit::SEND, caller.client.ip, &email)?;
//! ```

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::{
    config::RateLimitMode,
    error::{ApiError, ErrorType},
};

/// `capacity` requests at once, then one more every `refill_every`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub capacity: u32,
    pub refill_every: Duration,
}

/// A named pair of limits; the name keeps buckets of different policies apart.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub name: &'static str,
    pub per_ip: Limit,
    pub per_identifier: Limit,
}

/// Sending magic links and codes: an address gets at most 10 messages in a
/// burst, then one per 6 s; one client IP 100, then 2 per second.
pub const SEND: Policy = Policy {
    name: "send",
    per_ip: Limit {
        capacity: 100,
        refill_every: Duration::from_millis(500),
    },
    per_identifier: Limit {
        capacity: 10,
        refill_every: Duration::from_secs(6),
    },
};

/// Password attempts (authenticate, reset by existing password): an account
/// gets 10 tries in a burst, then one per 6 s; one client IP 200, then 5 per second.
pub const PASSWORD: Policy = Policy {
    name: "password",
    per_ip: Limit {
        capacity: 200,
        refill_every: Duration::from_millis(200),
    },
    per_identifier: Limit {
        capacity: 10,
        refill_every: Duration::from_secs(6),
    },
};

/// A limit on the client IP alone; the name keeps its buckets apart.
#[derive(Debug, Clone, Copy)]
pub struct IpPolicy {
    pub name: &'static str,
    pub per_ip: Limit,
}

/// `GET /v1/public/oauth/{provider}/start`: each start stores a flow, so
/// one client IP gets 60 in a burst, then one per second.
pub const OAUTH_START: IpPolicy = IpPolicy {
    name: "oauth_start",
    per_ip: Limit {
        capacity: 60,
        refill_every: Duration::from_secs(1),
    },
};

/// `POST /idp/{provider}/authorize` (the development IdP's consent: Allow,
/// Cancel, or a form with a bad identity): 60 per client IP in a burst,
/// then one per second.
pub const IDP_CONSENT: IpPolicy = IpPolicy {
    name: "idp_consent",
    per_ip: Limit {
        capacity: 60,
        refill_every: Duration::from_secs(1),
    },
};

/// Buckets past this count trigger a sweep of the ones that are full again.
const SWEEP_THRESHOLD: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Debug)]
pub struct RateLimiter {
    mode: RateLimitMode,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(mode: RateLimitMode) -> Self {
        Self {
            mode,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn mode(&self) -> RateLimitMode {
        self.mode
    }

    /// Takes one token from the IP bucket and one from the identifier bucket
    /// of `policy`, or fails with 429 `too_many_requests` and takes nothing.
    /// `identifier` is compared case-insensitively.
    pub fn check(&self, policy: &Policy, ip: IpAddr, identifier: &str) -> Result<(), ApiError> {
        self.check_at(policy, ip, identifier, Instant::now())
    }

    /// Takes one token from the IP bucket of `policy`, or fails with 429
    /// `too_many_requests`.
    pub fn check_ip(&self, policy: &IpPolicy, ip: IpAddr) -> Result<(), ApiError> {
        self.check_ip_at(policy, ip, Instant::now())
    }

    fn check_at(
        &self,
        policy: &Policy,
        ip: IpAddr,
        identifier: &str,
        now: Instant,
    ) -> Result<(), ApiError> {
        self.take(
            &[
                (format!("{}|ip|{ip}", policy.name), policy.per_ip),
                (
                    format!("{}|id|{}", policy.name, identifier.to_lowercase()),
                    policy.per_identifier,
                ),
            ],
            now,
        )
    }

    fn check_ip_at(&self, policy: &IpPolicy, ip: IpAddr, now: Instant) -> Result<(), ApiError> {
        self.take(&[(format!("{}|ip|{ip}", policy.name), policy.per_ip)], now)
    }

    /// Takes one token from every bucket of `keys`, or none if one is empty.
    fn take(&self, keys: &[(String, Limit)], now: Instant) -> Result<(), ApiError> {
        let scale = match self.mode {
            RateLimitMode::Off => return Ok(()),
            RateLimitMode::Strict => 1.0,
            RateLimitMode::Relaxed => 100.0,
        };
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > SWEEP_THRESHOLD {
            sweep(&mut buckets, now);
        }
        let mut refreshed = Vec::with_capacity(keys.len());
        for (key, limit) in keys {
            let capacity = f64::from(limit.capacity) * scale;
            let per_second = scale / limit.refill_every.as_secs_f64();
            let bucket = buckets.get(key).copied().unwrap_or(Bucket {
                tokens: capacity,
                updated: now,
            });
            let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
            let tokens = (bucket.tokens + elapsed * per_second).min(capacity);
            if tokens < 1.0 {
                let wait = ((1.0 - tokens) / per_second).ceil().max(1.0);
                let what = if key.contains("|ip|") {
                    "this client"
                } else {
                    "this identifier"
                };
                return Err(ApiError::new(
                    ErrorType::TooManyRequests,
                    format!("Too many requests for {what}; try again in {wait} s."),
                ));
            }
            refreshed.push((key.clone(), tokens));
        }
        for (key, tokens) in refreshed {
            buckets.insert(
                key,
                Bucket {
                    tokens: tokens - 1.0,
                    updated: now,
                },
            );
        }
        Ok(())
    }
}

/// Drops buckets idle long enough to be full again: they carry no state.
fn sweep(buckets: &mut HashMap<String, Bucket>, now: Instant) {
    buckets.retain(|_, bucket| {
        now.saturating_duration_since(bucket.updated) < Duration::from_secs(600)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIGHT: Policy = Policy {
        name: "t",
        per_ip: Limit {
            capacity: 5,
            refill_every: Duration::from_secs(1),
        },
        per_identifier: Limit {
            capacity: 2,
            refill_every: Duration::from_secs(10),
        },
    };

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn identifier_limit_then_refill() {
        let limiter = RateLimiter::new(RateLimitMode::Strict);
        let t0 = Instant::now();
        limiter.check_at(&TIGHT, ip(1), "A@x.io", t0).unwrap();
        limiter.check_at(&TIGHT, ip(2), "a@x.io", t0).unwrap();
        let err = limiter.check_at(&TIGHT, ip(3), "a@X.io", t0).unwrap_err();
        assert!(err.is(ErrorType::TooManyRequests));
        assert_eq!(err.status.as_u16(), 429);
        // Another identifier is unaffected.
        limiter.check_at(&TIGHT, ip(3), "b@x.io", t0).unwrap();
        // Ten seconds later one token is back.
        let t1 = t0 + Duration::from_secs(10);
        limiter.check_at(&TIGHT, ip(3), "a@x.io", t1).unwrap();
        assert!(limiter.check_at(&TIGHT, ip(3), "a@x.io", t1).is_err());
    }

    #[test]
    fn ip_limit_spans_identifiers_and_refusals_take_nothing() {
        let limiter = RateLimiter::new(RateLimitMode::Strict);
        let t0 = Instant::now();
        for i in 0..5 {
            limiter
                .check_at(&TIGHT, ip(9), &format!("u{i}@x.io"), t0)
                .unwrap();
        }
        assert!(limiter.check_at(&TIGHT, ip(9), "new@x.io", t0).is_err());
        // The refused call did not spend new@x.io's tokens.
        limiter.check_at(&TIGHT, ip(8), "new@x.io", t0).unwrap();
        limiter.check_at(&TIGHT, ip(8), "new@x.io", t0).unwrap();
    }

    #[test]
    fn ip_policies_limit_the_client_alone() {
        const ONLY_IP: IpPolicy = IpPolicy {
            name: "o",
            per_ip: Limit {
                capacity: 3,
                refill_every: Duration::from_secs(2),
            },
        };
        let limiter = RateLimiter::new(RateLimitMode::Strict);
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.check_ip_at(&ONLY_IP, ip(1), t0).unwrap();
        }
        let err = limiter.check_ip_at(&ONLY_IP, ip(1), t0).unwrap_err();
        assert!(err.is(ErrorType::TooManyRequests));
        assert!(err.message.contains("this client"), "{}", err.message);
        // Another client, and another policy of the same client, are unaffected.
        limiter.check_ip_at(&ONLY_IP, ip(2), t0).unwrap();
        limiter.check_at(&TIGHT, ip(1), "a@x.io", t0).unwrap();
        limiter
            .check_ip_at(&ONLY_IP, ip(1), t0 + Duration::from_secs(2))
            .unwrap();
        let off = RateLimiter::new(RateLimitMode::Off);
        for _ in 0..10 {
            off.check_ip_at(&ONLY_IP, ip(1), t0).unwrap();
        }
    }

    #[test]
    fn relaxed_and_off_modes() {
        let relaxed = RateLimiter::new(RateLimitMode::Relaxed);
        let off = RateLimiter::new(RateLimitMode::Off);
        let t0 = Instant::now();
        for _ in 0..150 {
            relaxed.check_at(&TIGHT, ip(1), "a@x.io", t0).unwrap();
            off.check_at(&TIGHT, ip(1), "a@x.io", t0).unwrap();
        }
        for _ in 0..1000 {
            off.check_at(&TIGHT, ip(1), "a@x.io", t0).unwrap();
        }
    }
}

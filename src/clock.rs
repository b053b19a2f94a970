//! The server's clock as seen from this device: an offset learned from the
//! `Date` header and JWT `iat` of each response, so a device clock hours off
//! still schedules refreshes and cookie expiry correctly.

/// Half a second: both sources truncate to whole seconds, so the true server
/// time at the response lies within the following second.
const TRUNCATION_MIDPOINT_MS: i64 = 500;
/// Differences below this are measurement noise, not a changed clock.
const NOISE_MS: i64 = 1_500;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerClock {
    /// server time minus device wall time, in milliseconds.
    offset_ms: i64,
}

impl ServerClock {
    pub fn with_offset(offset_ms: i64) -> Self {
        ServerClock { offset_ms }
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms
    }

    /// Learns from a response received at device time `received_wall_ms`.
    pub fn observe(
        &mut self,
        received_wall_ms: i64,
        date_header_ms: Option<i64>,
        jwt_iat_ms: Option<i64>,
    ) {
        let Some(stamp) = date_header_ms.max(jwt_iat_ms) else {
            return;
        };
        let offset = stamp + TRUNCATION_MIDPOINT_MS - received_wall_ms;
        if (offset - self.offset_ms).abs() > NOISE_MS {
            self.offset_ms = offset;
        }
    }

    pub fn server_now(&self, wall_ms: i64) -> i64 {
        wall_ms + self.offset_ms
    }

    /// The device wall time at which the server's clock reads `server_ms`.
    pub fn to_device(&self, server_ms: i64) -> i64 {
        server_ms - self.offset_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_device_clock_hours_behind() {
        let mut clock = ServerClock::default();
        let server = 1_700_000_000_000;
        let device = server - 3 * 3_600_000; // three hours slow
        clock.observe(device, Some(server), None);
        assert!((clock.server_now(device) - server).abs() <= 1_000);
        assert!((clock.to_device(server + 60_000) - (device + 60_000)).abs() <= 1_000);
    }

    #[test]
    fn prefers_the_later_source_and_ignores_noise() {
        let mut clock = ServerClock::default();
        clock.observe(10_000, Some(9_000), Some(70_000));
        assert_eq!(clock.offset_ms(), 60_500);
        clock.observe(20_000, Some(80_000), None); // within a second of before
        assert_eq!(clock.offset_ms(), 60_500);
        clock.observe(20_000, None, None);
        assert_eq!(clock.offset_ms(), 60_500);
    }

    #[test]
    fn an_accurate_device_clock_stays_at_zero_offset() {
        let mut clock = ServerClock::default();
        clock.observe(1_000_300, Some(1_000_000), Some(1_000_000));
        assert_eq!(clock.offset_ms(), 0);
    }
}

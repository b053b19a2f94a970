//! Error classification: which failures are worth trying again, and which
//! prove the session is gone. (The page builds the error objects the app
//! sees; their `retryable` comes from here.)

use crate::contract::{class, INVALID_RESPONSE};

/// Error types after which the session is gone for good: the SDK clears it.
const SESSION_ENDING: [&str; 4] = [
    "unauthorized_credentials",
    "user_unauthenticated",
    "invalid_secret_authentication",
    "session_not_found",
];

/// `class` bits for an answer with HTTP `status` and `error_type`; status 0
/// is a request that never got an answer (offline, unreachable, timeout).
pub fn classify(status: u16, error_type: &str) -> u32 {
    // An unreadable body on a 2xx is most likely a proxy or a captive
    // portal in the way: worth another try.
    let retryable = status == 0
        || status >= 500
        || status == 429
        || status == 408
        || (error_type == INVALID_RESPONSE && status < 300);
    let ends_session = status != 0 && SESSION_ENDING.contains(&error_type);
    let mut bits = 0;
    if retryable {
        bits |= class::RETRYABLE;
    }
    if ends_session {
        bits |= class::ENDS_SESSION;
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    const RETRYABLE: u32 = class::RETRYABLE;
    const ENDS: u32 = class::ENDS_SESSION;

    #[test]
    fn transient_failures_are_retryable_and_keep_the_session() {
        for (status, error_type) in [
            (500, "internal_server_error"),
            (503, "service_unavailable"),
            (429, "too_many_requests"),
            (408, "request_timeout"),
            (200, INVALID_RESPONSE),
            (0, ""),
        ] {
            assert_eq!(
                classify(status, error_type),
                RETRYABLE,
                "{status} {error_type}"
            );
        }
    }

    #[test]
    fn only_the_four_session_errors_end_the_session() {
        for error_type in SESSION_ENDING {
            assert_eq!(classify(401, error_type), ENDS);
            assert_eq!(classify(404, error_type), ENDS);
        }
        for error_type in [
            "bad_request",
            "unable_to_auth_magic_link",
            "weak_password",
            "user_not_found",
        ] {
            assert_eq!(classify(400, error_type), 0, "{error_type}");
        }
    }

    #[test]
    fn client_side_errors_are_never_retryable() {
        assert_eq!(classify(400, "bad_request"), 0);
        assert_eq!(classify(404, INVALID_RESPONSE), 0, "e.g. a wrong baseUrl");
        assert_eq!(
            classify(0, "session_not_found"),
            RETRYABLE,
            "no answer proves nothing"
        );
    }
}

//! The closed error model every SDK call answers with, and its classification.

use crate::prelude::*;

use super::json::Object;

/// Why a request never produced an answer from the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkReason {
    /// The browser reports no connection at all.
    Offline,
    /// The request went out but nothing came back (DNS, refused, CORS, reset).
    Unreachable,
    /// No answer within the request timeout; the request was aborted.
    Timeout,
}

impl NetworkReason {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkReason::Offline => "offline",
            NetworkReason::Unreachable => "unreachable",
            NetworkReason::Timeout => "timeout",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            NetworkReason::Offline => "The device is offline",
            NetworkReason::Timeout => "The auth API did not answer in time",
            // A browser hides a refused CORS preflight behind the same
            // failure as a dead server, so the message names both.
            NetworkReason::Unreachable => {
                "The auth API could not be reached (is baseUrl right, and is this page's origin authorized?)"
            }
        }
    }
}

/// Every failure of a public SDK function, exported to TypeScript as a
/// discriminated union on `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdkError {
    /// The API answered with an error (or with a body that could not be read).
    Api {
        status_code: u16,
        request_id: String,
        error_type: String,
        error_message: String,
        error_url: String,
    },
    Network(NetworkReason),
    /// The input was refused before any request was sent.
    Validation {
        field: String,
        message: &'static str,
    },
    /// The SDK was used in a way it cannot serve (e.g. outside a browser).
    Usage(&'static str),
}

/// Error types after which the session is gone for good: the SDK clears it.
const SESSION_ENDING: [&str; 4] = [
    "unauthorized_credentials",
    "user_unauthenticated",
    "invalid_secret_authentication",
    "session_not_found",
];

/// The error type the SDK reports when a response body cannot be decoded.
pub const INVALID_RESPONSE: &str = "invalid_response";

impl SdkError {
    pub fn validation(field: &str, message: &'static str) -> Self {
        SdkError::Validation {
            field: field.into(),
            message,
        }
    }

    /// An API error for a response whose body is not the protocol's.
    pub fn invalid_response(status_code: u16, message: &str) -> Self {
        SdkError::Api {
            status_code,
            request_id: String::new(),
            error_type: INVALID_RESPONSE.into(),
            error_message: message.into(),
            error_url: String::new(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            SdkError::Api { .. } => "api",
            SdkError::Network(_) => "network",
            SdkError::Validation { .. } => "validation",
            SdkError::Usage(_) => "usage",
        }
    }

    /// Whether the same call may succeed if simply tried again later.
    pub fn retryable(&self) -> bool {
        match self {
            SdkError::Network(_) => true,
            SdkError::Api {
                status_code,
                error_type,
                ..
            } => {
                // An unreadable body on a 2xx is most likely a proxy or a
                // captive portal in the way: worth another try.
                *status_code >= 500
                    || *status_code == 429
                    || *status_code == 408
                    || (error_type == INVALID_RESPONSE && *status_code < 300)
            }
            SdkError::Validation { .. } | SdkError::Usage(_) => false,
        }
    }

    /// Whether this error proves the session no longer exists.
    pub fn ends_session(&self) -> bool {
        match self {
            SdkError::Api { error_type, .. } => SESSION_ENDING.contains(&error_type.as_str()),
            _ => false,
        }
    }

    pub fn error_type(&self) -> Option<&str> {
        match self {
            SdkError::Api { error_type, .. } => Some(error_type),
            _ => None,
        }
    }

    /// A sentence suitable for logs and as the JS `Error.message`.
    pub fn message(&self) -> &str {
        match self {
            SdkError::Api { error_message, .. } => error_message,
            SdkError::Network(reason) => reason.message(),
            SdkError::Validation { message, .. } | SdkError::Usage(message) => message,
        }
    }

    /// The error as the JSON object handed to JavaScript.
    pub fn to_json(&self) -> String {
        let object = Object::new()
            .str("kind", self.kind())
            .str("message", self.message())
            .bool("retryable", self.retryable());
        match self {
            SdkError::Api {
                status_code,
                request_id,
                error_type,
                error_message,
                error_url,
            } => object
                .int("status_code", i64::from(*status_code))
                .str("request_id", request_id)
                .str("error_type", error_type)
                .str("error_message", error_message)
                .str("error_url", error_url),
            SdkError::Network(reason) => object.str("reason", reason.as_str()),
            SdkError::Validation { field, .. } => object.str("field", field),
            SdkError::Usage(_) => object,
        }
        .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status_code: u16, error_type: &str) -> SdkError {
        SdkError::Api {
            status_code,
            request_id: "request-id-test-1".into(),
            error_type: error_type.into(),
            error_message: "m".into(),
            error_url: String::new(),
        }
    }

    #[test]
    fn transient_failures_are_retryable_and_keep_the_session() {
        for err in [
            api(500, "internal_server_error"),
            api(503, "service_unavailable"),
            api(429, "too_many_requests"),
            api(408, "request_timeout"),
            api(200, INVALID_RESPONSE),
            SdkError::Network(NetworkReason::Timeout),
            SdkError::Network(NetworkReason::Offline),
            SdkError::Network(NetworkReason::Unreachable),
        ] {
            assert!(err.retryable(), "{err:?}");
            assert!(!err.ends_session(), "{err:?}");
        }
    }

    #[test]
    fn only_the_four_session_errors_end_the_session() {
        for error_type in SESSION_ENDING {
            assert!(api(401, error_type).ends_session());
            assert!(!api(401, error_type).retryable());
        }
        for error_type in [
            "bad_request",
            "unable_to_auth_magic_link",
            "weak_password",
            "user_not_found",
        ] {
            assert!(!api(400, error_type).ends_session(), "{error_type}");
        }
        assert!(!SdkError::validation("email", "bad").ends_session());
    }

    #[test]
    fn client_side_errors_are_never_retryable() {
        assert!(!SdkError::validation("email", "bad").retryable());
        assert!(!SdkError::Usage("no browser").retryable());
        assert!(!api(400, "bad_request").retryable());
        assert!(!api(404, "session_not_found").retryable());
        assert!(
            !api(404, INVALID_RESPONSE).retryable(),
            "e.g. a wrong baseUrl"
        );
    }

    #[test]
    fn json_form_carries_kind_retryable_and_the_variant_fields() {
        assert_eq!(
            api(503, "x").to_json(),
            r#"{"kind":"api","message":"m","retryable":true,"status_code":503,"request_id":"request-id-test-1","error_type":"x","error_message":"m","error_url":""}"#
        );
        assert_eq!(
            SdkError::validation("phone_number", "must be E.164").to_json(),
            r#"{"kind":"validation","message":"must be E.164","retryable":false,"field":"phone_number"}"#
        );
        assert_eq!(
            SdkError::Network(NetworkReason::Timeout).to_json(),
            r#"{"kind":"network","message":"The auth API did not answer in time","retryable":true,"reason":"timeout"}"#
        );
        assert_eq!(
            SdkError::Usage("u").to_json(),
            r#"{"kind":"usage","message":"u","retryable":false}"#
        );
    }
}

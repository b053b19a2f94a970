//! Input checks shared by every module: emails, E.164 phone numbers, session durations, metadata objects.

use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorType};

/// Shortest and longest `session_duration_minutes` (5 minutes to 366 days).
pub const SESSION_MINUTES: std::ops::RangeInclusive<i64> = 5..=527_040;

/// Checks an email address and returns it normalised (trimmed, lowercased):
/// the form that is stored and compared. 400 `invalid_email` otherwise.
pub fn normalize_email(raw: &str) -> Result<String, ApiError> {
    let email = raw.trim().to_lowercase();
    let invalid = || {
        ApiError::new(
            ErrorType::InvalidEmail,
            format!("{raw:?} is not a valid email address."),
        )
    };
    if email.len() > 254 {
        return Err(invalid());
    }
    let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()));
    if local_ok && domain_ok {
        Ok(email)
    } else {
        Err(invalid())
    }
}

/// Checks an E.164 number (`+` then 7 to 15 digits, no leading zero).
/// 400 `invalid_phone_number` otherwise. Spaces, dashes and parentheses are
/// not accepted: the SDK sends E.164 already.
pub fn phone_number(raw: &str) -> Result<String, ApiError> {
    let digits = raw.strip_prefix('+').unwrap_or("");
    let ok = (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(raw.to_string())
    } else {
        Err(ApiError::new(
            ErrorType::InvalidPhoneNumber,
            format!("{raw:?} is not a phone number in E.164 format (e.g. +15555550123)."),
        ))
    }
}

/// Checks `session_duration_minutes`: 400 `invalid_session_duration_minutes`
/// outside 5..=527040.
pub fn session_minutes(minutes: i64) -> Result<i64, ApiError> {
    if SESSION_MINUTES.contains(&minutes) {
        Ok(minutes)
    } else {
        Err(ApiError::new(
            ErrorType::InvalidSessionDurationMinutes,
            format!(
                "session_duration_minutes must be between {} and {} (got {minutes}).",
                SESSION_MINUTES.start(),
                SESSION_MINUTES.end()
            ),
        ))
    }
}

/// Requires a JSON object (metadata, custom claims); `field` names it in the error.
pub fn object(field: &str, value: Value) -> Result<Map<String, Value>, ApiError> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::bad_request(format!(
            "`{field}` must be a JSON object."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email("  Ada.Lovelace+x@Example.COM ").unwrap(),
            "ada.lovelace+x@example.com"
        );
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@b.c",
            "a..b@example.com",
            "a@-x.com",
            "a b@example.com",
            "a@example.123",
            "<a>@example.com",
        ] {
            assert!(
                normalize_email(bad)
                    .unwrap_err()
                    .is(ErrorType::InvalidEmail),
                "{bad}"
            );
        }
    }

    #[test]
    fn phones() {
        assert_eq!(phone_number("+15555550123").unwrap(), "+15555550123");
        for bad in [
            "15555550123",
            "+1 555 555",
            "+0123456789",
            "+12",
            "+1234567890123456",
            "+1555abc0123",
        ] {
            assert!(
                phone_number(bad)
                    .unwrap_err()
                    .is(ErrorType::InvalidPhoneNumber),
                "{bad}"
            );
        }
    }

    #[test]
    fn durations() {
        assert_eq!(session_minutes(5).unwrap(), 5);
        assert_eq!(session_minutes(527_040).unwrap(), 527_040);
        for bad in [0, 4, -60, 527_041, i64::MAX] {
            assert!(session_minutes(bad)
                .unwrap_err()
                .is(ErrorType::InvalidSessionDurationMinutes));
        }
    }
}

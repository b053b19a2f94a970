//! The headers of a frontend API request: Basic credentials and the
//! `X-SDK-Client` telemetry blob the protocol expects.

use crate::prelude::*;

use super::base64;
use super::json::Object;
use super::time::format_rfc3339;

pub const SDK_IDENTIFIER: &str = "latchkey";

/// `Basic base64(public_token ":" X)`, X being the session token when one
/// exists and the public token again otherwise.
pub fn authorization(public_token: &str, session_token: Option<&str>) -> String {
    let secret = session_token.unwrap_or(public_token);
    let mut pair = String::with_capacity(public_token.len() + secret.len() + 1);
    pair.push_str(public_token);
    pair.push(':');
    pair.push_str(secret);
    let mut header = String::from("Basic ");
    header.push_str(&base64::encode(pair.as_bytes()));
    header
}

/// A random v4 UUID in its usual text form, from 16 random bytes.
pub fn uuid(mut bytes: [u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

/// What identifies this page and device in `X-SDK-Client`.
pub struct ClientInfo<'a> {
    pub event_id: &'a str,
    pub app_session_id: &'a str,
    pub persistent_id: &'a str,
    pub sent_at_ms: i64,
    pub timezone: &'a str,
    pub app_identifier: &'a str,
    pub version: &'a str,
}

/// The `X-SDK-Client` header value: base64 of a JSON description.
pub fn sdk_client(info: &ClientInfo) -> String {
    let text = Object::new()
        .str("event_id", info.event_id)
        .str("app_session_id", info.app_session_id)
        .str("persistent_id", info.persistent_id)
        .str("client_sent_at", &format_rfc3339(info.sent_at_ms))
        .str("timezone", info.timezone)
        .raw(
            "app",
            &Object::new()
                .str("identifier", info.app_identifier)
                .finish(),
        )
        .raw(
            "sdk",
            &Object::new()
                .str("identifier", SDK_IDENTIFIER)
                .str("version", info.version)
                .finish(),
        )
        .finish();
    base64::encode(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json;

    #[test]
    fn basic_credentials_carry_the_session_token_when_signed_in() {
        assert_eq!(
            authorization("public-token-test-1", None),
            format!(
                "Basic {}",
                base64::encode(b"public-token-test-1:public-token-test-1")
            )
        );
        assert_eq!(
            authorization("pk", Some("sess")),
            format!("Basic {}", base64::encode(b"pk:sess"))
        );
    }

    #[test]
    fn uuids_are_version_4() {
        let id = uuid([0xff; 16]);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(uuid([0; 16]), "00000000-0000-4000-8000-000000000000");
    }

    #[test]
    fn sdk_client_header_decodes_to_the_protocol_fields() {
        let header = sdk_client(&ClientInfo {
            event_id: "event-id-1",
            app_session_id: "app-session-id-1",
            persistent_id: "persistent-id-1",
            sent_at_ms: 0,
            timezone: "Europe/Paris",
            app_identifier: "localhost",
            version: "0.1.0",
        });
        let text = String::from_utf8(base64::decode(&header).unwrap()).unwrap();
        let object = json::valid(&text).unwrap();
        let field = |o: &str, key: &str| json::str_field(o, key).unwrap();
        assert_eq!(field(object, "client_sent_at"), "1970-01-01T00:00:00.000Z");
        assert_eq!(field(object, "timezone"), "Europe/Paris");
        assert_eq!(
            field(json::get(object, "sdk").unwrap(), "identifier"),
            "latchkey"
        );
        assert_eq!(
            field(json::get(object, "app").unwrap(), "identifier"),
            "localhost"
        );
        for key in ["event_id", "app_session_id", "persistent_id"] {
            assert!(json::str_field(object, key).is_some(), "{key}");
        }
    }
}

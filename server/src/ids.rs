//! Randomness and identifiers: CSPRNG bytes, UUIDs and the prefixed ids of the protocol.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};

/// Fills `N` bytes from the operating system's CSPRNG.
///
/// If the OS generator fails nothing secure can be issued at all; the panic is
/// caught by the router and becomes a 500, and no weaker fallback is tried.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the OS random number generator is unavailable");
    bytes
}

/// A random version-4 UUID in its canonical lowercase form.
pub fn uuid_v4() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A prefixed id such as `user-test-<uuid>`; `kind` is the prefix before `-test-`.
pub fn new_id(kind: &str) -> String {
    format!("{kind}-test-{}", uuid_v4())
}

pub fn request_id() -> String {
    new_id("request-id")
}

/// `N` random bytes as unpadded base64url (cookie- and URL-safe).
pub fn random_token<const N: usize>() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<N>())
}

/// Whether `id` looks like `<kind>-test-<uuid>` or `<kind>-live-<uuid>`.
pub fn is_prefixed_id(kind: &str, id: &str) -> bool {
    let Some(rest) = id.strip_prefix(kind) else {
        return false;
    };
    let Some(uuid) = rest
        .strip_prefix("-test-")
        .or_else(|| rest.strip_prefix("-live-"))
    else {
        return false;
    };
    uuid.len() == 36
        && uuid.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v4_and_distinct() {
        let a = uuid_v4();
        let b = uuid_v4();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn prefixed_ids_round_trip() {
        let id = new_id("user");
        assert!(id.starts_with("user-test-"));
        assert!(is_prefixed_id("user", &id));
        assert!(!is_prefixed_id("session", &id));
        assert!(!is_prefixed_id("user", "user-test-123"));
        assert!(!is_prefixed_id(
            "user",
            "user-test-zzzzzzzz-0000-4000-8000-000000000000"
        ));
        assert!(is_prefixed_id(
            "user",
            "user-live-00000000-0000-4000-8000-000000000000"
        ));
    }

    #[test]
    fn tokens_have_the_expected_length() {
        assert_eq!(random_token::<33>().len(), 44);
        assert_eq!(random_token::<32>().len(), 43);
    }
}

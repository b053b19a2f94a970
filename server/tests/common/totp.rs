//! The tests' own RFC 6238 generator (HMAC-SHA-1 through OpenSSL, 6 digits,
//! 30 s), independent of the server's `totp-rs`, checked against the RFC's
//! test vectors; and a base32 decoder for the `secret` the server returns.
#![allow(dead_code)]

use openssl::{hash::MessageDigest, pkey::PKey, sign::Signer};

/// RFC 4226 dynamic truncation of HMAC-SHA-1(secret, counter), 6 digits.
pub fn code(secret: &[u8], unix_secs: i64) -> String {
    let counter = (unix_secs / 30) as u64;
    let key = PKey::hmac(secret).unwrap();
    let mut signer = Signer::new(MessageDigest::sha1(), &key).unwrap();
    signer.update(&counter.to_be_bytes()).unwrap();
    let mac = signer.sign_to_vec().unwrap();
    let offset = (mac[19] & 0x0f) as usize;
    let value = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    format!("{:06}", value % 1_000_000)
}

/// RFC 4648 base32 (upper case, padding optional).
pub fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits: u64 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.trim_end_matches('=').bytes() {
        let value = ALPHABET
            .iter()
            .position(|&a| a == c)
            .expect("a base32 character") as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

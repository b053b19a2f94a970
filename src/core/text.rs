//! Byte-level string helpers for ASCII separators: searching, splitting and
//! joining without `core`'s pattern searchers and `join` machinery, which
//! cost more wasm than these loops.

use crate::prelude::*;

/// The position of the first `byte` in `text`.
pub fn find(text: &str, byte: u8) -> Option<usize> {
    text.bytes().position(|b| b == byte)
}

/// `text` around its first `byte`, without it.
pub fn split_once(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = find(text, byte)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// `text` around its last `byte`, without it.
pub fn rsplit_once(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = text.bytes().rposition(|b| b == byte)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// `text` up to the first byte for which `stop` holds (all of it if none).
pub fn until(text: &str, stop: impl Fn(u8) -> bool) -> &str {
    let end = text.bytes().position(stop).unwrap_or(text.len());
    text.get(..end).unwrap_or(text)
}

/// The pieces of `text` between `byte`s (like `str::split`).
pub fn split(text: &str, byte: u8) -> Split<'_> {
    Split {
        rest: Some(text),
        byte,
    }
}

pub struct Split<'a> {
    rest: Option<&'a str>,
    byte: u8,
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match split_once(rest, self.byte) {
            Some((piece, after)) => {
                self.rest = Some(after);
                Some(piece)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// `text` without the `byte`s at its end.
pub fn trim_end(text: &str, byte: u8) -> &str {
    let mut end = text.len();
    while end > 0 && text.as_bytes()[end - 1] == byte {
        end -= 1;
    }
    text.get(..end).unwrap_or(text)
}

/// The parts one after the other.
pub fn concat(parts: &[&str]) -> String {
    join(parts, "")
}

/// The parts with `separator` between them.
pub fn join(parts: &[&str], separator: &str) -> String {
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_the_str_methods() {
        for text in ["", "a", "a.b", ".a..b.", "é.ü", "..."] {
            assert_eq!(
                split(text, b'.').collect::<Vec<_>>(),
                text.split('.').collect::<Vec<_>>(),
                "{text:?}"
            );
            assert_eq!(split_once(text, b'.'), text.split_once('.'));
            assert_eq!(rsplit_once(text, b'.'), text.rsplit_once('.'));
            assert_eq!(find(text, b'.'), text.find('.'));
            assert_eq!(trim_end(text, b'.'), text.trim_end_matches('.'));
            assert_eq!(until(text, |b| b == b'.'), text.split('.').next().unwrap());
        }
        assert_eq!(concat(&["a", "", "bc"]), "abc");
        assert_eq!(join(&["a", "b", "c"], "&"), "a&b&c");
        assert_eq!(join(&[], " "), "");
    }
}

//! JSON as text: a validating scanner that reads values in place, and a
//! small writer. The SDK reads a few fields of each message and passes the
//! rest through untouched (the app gets `JSON.parse` objects from JS), so no
//! value tree is ever built: that keeps the wasm small. Nothing here panics
//! on any input; nesting deeper than `MAX_DEPTH` is refused.

use crate::prelude::*;

use super::text;

pub const MAX_DEPTH: usize = 64;

fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    while matches!(b.get(pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        pos += 1;
    }
    pos
}

fn skip_digits(b: &[u8], mut pos: usize) -> usize {
    while matches!(b.get(pos), Some(b'0'..=b'9')) {
        pos += 1;
    }
    pos
}

/// The end of the string starting at `pos` (on its opening quote).
fn skip_string(b: &[u8], mut pos: usize) -> Option<usize> {
    pos += 1;
    loop {
        match *b.get(pos)? {
            b'"' => return Some(pos + 1),
            b'\\' => {
                pos += 1;
                match *b.get(pos)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => pos += 1,
                    b'u' => {
                        let hex = b.get(pos + 1..pos + 5)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        pos += 5;
                    }
                    _ => return None,
                }
            }
            c if c < 0x20 => return None,
            _ => pos += 1,
        }
    }
}

fn skip_number(b: &[u8], mut pos: usize) -> Option<usize> {
    if b.get(pos) == Some(&b'-') {
        pos += 1;
    }
    match b.get(pos)? {
        b'0' => pos += 1,
        b'1'..=b'9' => pos = skip_digits(b, pos),
        _ => return None,
    }
    if b.get(pos) == Some(&b'.') {
        let start = pos + 1;
        pos = skip_digits(b, start);
        if pos == start {
            return None;
        }
    }
    if matches!(b.get(pos), Some(b'e' | b'E')) {
        pos += 1;
        if matches!(b.get(pos), Some(b'+' | b'-')) {
            pos += 1;
        }
        let start = pos;
        pos = skip_digits(b, start);
        if pos == start {
            return None;
        }
    }
    Some(pos)
}

fn skip_literal(b: &[u8], pos: usize, literal: &[u8]) -> Option<usize> {
    let end = pos + literal.len();
    (b.get(pos..end)? == literal).then_some(end)
}

/// The end of the value at `pos` (no leading whitespace), if well formed.
fn skip_value(b: &[u8], pos: usize, depth: usize) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    match *b.get(pos)? {
        b'"' => skip_string(b, pos),
        b'n' => skip_literal(b, pos, b"null"),
        b't' => skip_literal(b, pos, b"true"),
        b'f' => skip_literal(b, pos, b"false"),
        b'-' | b'0'..=b'9' => skip_number(b, pos),
        open @ (b'[' | b'{') => {
            let close = if open == b'[' { b']' } else { b'}' };
            let mut pos = skip_ws(b, pos + 1);
            if b.get(pos) == Some(&close) {
                return Some(pos + 1);
            }
            loop {
                if open == b'{' {
                    if b.get(pos) != Some(&b'"') {
                        return None;
                    }
                    pos = skip_ws(b, skip_string(b, pos)?);
                    if b.get(pos) != Some(&b':') {
                        return None;
                    }
                    pos = skip_ws(b, pos + 1);
                }
                pos = skip_ws(b, skip_value(b, pos, depth + 1)?);
                match *b.get(pos)? {
                    b',' => pos = skip_ws(b, pos + 1),
                    c if c == close => return Some(pos + 1),
                    _ => return None,
                }
            }
        }
        _ => None,
    }
}

/// The text, trimmed, if it is exactly one well-formed JSON value.
pub fn valid(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let start = skip_ws(b, 0);
    let end = skip_value(b, start, 0)?;
    (skip_ws(b, end) == b.len()).then(|| text.get(start..end))?
}

/// The members of a (valid) object as (raw key, raw value); nothing for
/// other values. A raw key is the text between its quotes.
pub fn members(object: &str) -> Members<'_> {
    let pos = if object.starts_with('{') {
        1
    } else {
        object.len()
    };
    Members { text: object, pos }
}

pub struct Members<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.text.as_bytes();
        let mut pos = skip_ws(b, self.pos);
        if b.get(pos) == Some(&b',') {
            pos = skip_ws(b, pos + 1);
        }
        if b.get(pos) != Some(&b'"') {
            self.pos = b.len();
            return None;
        }
        let key_end = skip_string(b, pos)?;
        let value_start = skip_ws(b, skip_ws(b, key_end) + 1);
        let value_end = skip_value(b, value_start, 0)?;
        self.pos = value_end;
        Some((
            self.text.get(pos + 1..key_end - 1)?,
            self.text.get(value_start..value_end)?,
        ))
    }
}

/// The items of a (valid) array, as raw values; nothing for other values.
pub fn items(array: &str) -> impl Iterator<Item = &str> {
    let b = array.as_bytes();
    let mut pos = if array.starts_with('[') { 1 } else { b.len() };
    core::iter::from_fn(move || {
        pos = skip_ws(b, pos);
        if b.get(pos) == Some(&b',') {
            pos = skip_ws(b, pos + 1);
        }
        let start = pos;
        let end = skip_value(b, start, 0)?;
        pos = end;
        array.get(start..end)
    })
}

/// Whether a raw key (escapes and all) names `name`.
pub fn key_is(raw_key: &str, name: &str) -> bool {
    if text::find(raw_key, b'\\').is_some() {
        unescape(raw_key).as_deref() == Some(name)
    } else {
        raw_key == name
    }
}

/// The raw value of member `key` (the last one, as `JSON.parse` keeps).
pub fn get<'a>(object: &'a str, key: &str) -> Option<&'a str> {
    members(object)
        .filter(|(k, _)| key_is(k, key))
        .last()
        .map(|(_, v)| v)
}

/// Like `get`, treating `null` as absent.
pub fn field<'a>(object: &'a str, key: &str) -> Option<&'a str> {
    get(object, key).filter(|v| *v != "null")
}

pub fn is_object(raw: &str) -> bool {
    raw.starts_with('{')
}

/// The text of a raw key or string body (between the quotes); malformed
/// escapes are kept as written.
pub fn string_body(raw: &str) -> String {
    unescape(raw).unwrap_or_else(|| raw.into())
}

/// The text of a raw JSON string value.
pub fn string(raw: &str) -> Option<String> {
    unescape(raw.strip_prefix('"')?.strip_suffix('"')?)
}

/// The string member `key` of `object`.
pub fn str_field(object: &str, key: &str) -> Option<String> {
    get(object, key).and_then(string)
}

/// A raw number written as an integer that fits in i64.
pub fn int(raw: &str) -> Option<i64> {
    let (negative, digits) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits
        .bytes()
        .fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
    Some(if negative { -magnitude } else { magnitude })
}

pub fn boolean(raw: &str) -> Option<bool> {
    match raw {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn hex4(b: &[u8]) -> Option<u32> {
    b.get(..4)?
        .iter()
        .try_fold(0u32, |acc, &c| Some(acc * 16 + (c as char).to_digit(16)?))
}

/// Decodes the escapes of a string body (without its quotes). Lone
/// surrogates become U+FFFD, as a browser would render them.
fn unescape(body: &str) -> Option<String> {
    let b = body.as_bytes();
    let mut out = String::with_capacity(body.len());
    let mut pos = 0;
    while let Some(offset) = text::find(body.get(pos..)?, b'\\') {
        out.push_str(body.get(pos..pos + offset)?);
        pos += offset + 1;
        let escaped = *b.get(pos)?;
        pos += 1;
        out.push(match escaped {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = hex4(b.get(pos..)?)?;
                pos += 4;
                let pair = b.get(pos..pos + 2) == Some(b"\\u");
                match (
                    first,
                    pair.then(|| b.get(pos + 2..).and_then(hex4)).flatten(),
                ) {
                    (0xD800..=0xDBFF, Some(second @ 0xDC00..=0xDFFF)) => {
                        pos += 6;
                        char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))?
                    }
                    _ => char::from_u32(first).unwrap_or('\u{fffd}'),
                }
            }
            other => other as char,
        });
    }
    out.push_str(body.get(pos..)?);
    Some(out)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `text` as a JSON string.
pub fn quote(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let code = c as u8;
                out.push_str("\\u00");
                out.push(HEX[usize::from(code >> 4)] as char);
                out.push(HEX[usize::from(code & 15)] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends member `key` (with a raw value) to the object text `object`.
pub fn push_member(object: &mut String, key: &str, raw: &str) {
    if object.ends_with('}') {
        object.pop();
        if object.len() > 1 {
            object.push(',');
        }
        quote(key, object);
        object.push(':');
        object.push_str(raw);
        object.push('}');
    }
}

/// Decimal text of an integer, without the `fmt` machinery.
pub fn int_text(value: i64) -> String {
    let mut digits = Vec::with_capacity(20);
    let mut rest = value.unsigned_abs();
    loop {
        digits.push(b'0' + (rest % 10) as u8);
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        digits.push(b'-');
    }
    digits.iter().rev().map(|&b| b as char).collect()
}

/// Writes a JSON object member by member.
pub struct Object(String);

impl Default for Object {
    fn default() -> Self {
        Object(String::from("{"))
    }
}

impl Object {
    pub fn new() -> Self {
        Self::default()
    }

    /// A member whose value is already JSON text.
    pub fn raw(mut self, key: &str, raw: &str) -> Self {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        quote(key, &mut self.0);
        self.0.push(':');
        self.0.push_str(raw);
        self
    }

    pub fn str(self, key: &str, value: &str) -> Self {
        let mut text = String::with_capacity(value.len() + 2);
        quote(value, &mut text);
        self.raw(key, &text)
    }

    pub fn int(self, key: &str, value: i64) -> Self {
        self.raw(key, &int_text(value))
    }

    pub fn bool(self, key: &str, value: bool) -> Self {
        self.raw(key, if value { "true" } else { "false" })
    }

    /// A member only when there is a raw value; `null` otherwise.
    pub fn raw_or_null(self, key: &str, raw: Option<&str>) -> Self {
        self.raw(key, raw.unwrap_or("null"))
    }

    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#" {"a":null,"b":true,"c":false,"d":-12.5e+3,"e":"x\"y\\z\n","f":[1,[],{}],"g":{"h":"é😀"}} "#;

    #[test]
    fn reads_members_of_every_kind_in_place() {
        let object = valid(SAMPLE).unwrap();
        assert_eq!(get(object, "a"), Some("null"));
        assert_eq!(field(object, "a"), None);
        assert_eq!(get(object, "b").and_then(boolean), Some(true));
        assert_eq!(get(object, "d"), Some("-12.5e+3"));
        assert_eq!(str_field(object, "e").as_deref(), Some("x\"y\\z\n"));
        assert_eq!(get(object, "f"), Some("[1,[],{}]"));
        assert_eq!(
            str_field(get(object, "g").unwrap(), "h").as_deref(),
            Some("é😀")
        );
        assert_eq!(members(object).count(), 7);
        assert_eq!(members("[1,2]").count(), 0);
        assert_eq!(
            items(r#"[1, "a" ,{"b":[2]}]"#).collect::<Vec<_>>(),
            vec!["1", "\"a\"", r#"{"b":[2]}"#]
        );
        assert_eq!(items("[]").count(), 0);
        assert_eq!(items("{}").count(), 0);
        assert_eq!(get(object, "missing"), None);
    }

    #[test]
    fn decodes_unicode_escapes_including_surrogate_pairs() {
        assert_eq!(string(r#""\u00e9\ud83d\ude00\/""#).as_deref(), Some("é😀/"));
        assert_eq!(string(r#""\ud83d""#).as_deref(), Some("\u{fffd}"));
        assert_eq!(string(r#""\ud83dx""#).as_deref(), Some("\u{fffd}x"));
        assert_eq!(string(r#""\ude00""#).as_deref(), Some("\u{fffd}"));
        assert!(key_is(r#"s\u0065ssion"#, "session"));
    }

    #[test]
    fn rejects_what_json_does_not_allow() {
        for bad in [
            "",
            " ",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "tru",
            "nul",
            "\"a",
            "\"\u{1}\"",
            "{a:1}",
            "[1 2]",
            "{\"a\" 1}",
            "\"\\x\"",
            "1 2",
            "NaN",
            "\"\\u12\"",
            "{\"a\":}",
        ] {
            assert!(valid(bad).is_none(), "accepted {bad:?}");
        }
    }

    #[test]
    fn limits_nesting_instead_of_overflowing_the_stack() {
        assert!(valid(&"[".repeat(100_000)).is_none());
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(valid(&ok).is_some());
    }

    #[test]
    fn the_last_duplicate_key_wins_as_in_javascript() {
        assert_eq!(get(r#"{"a":1,"a":2}"#, "a").and_then(int), Some(2));
    }

    #[test]
    fn integers_are_read_only_when_exact() {
        assert_eq!(int("527040"), Some(527040));
        assert_eq!(int("-5"), Some(-5));
        assert_eq!(int("5.0"), None);
        assert_eq!(int("1e3"), None);
        assert_eq!(int("99999999999999999999"), None);
        for v in [0, 7, -7, 10, 527040, i64::MAX, i64::MIN] {
            assert_eq!(int_text(v), v.to_string());
        }
    }

    #[test]
    fn writes_objects_with_escaped_strings() {
        let text = Object::new()
            .str("s", "a\u{1}b\t\"c\"")
            .int("n", -3)
            .bool("b", false)
            .raw("r", "[1]")
            .raw_or_null("z", None)
            .finish();
        assert_eq!(
            text,
            r#"{"s":"a\u0001b\t\"c\"","n":-3,"b":false,"r":[1],"z":null}"#
        );
        let parsed = valid(&text).unwrap();
        assert_eq!(str_field(parsed, "s").as_deref(), Some("a\u{1}b\t\"c\""));
        assert_eq!(Object::new().finish(), "{}");
        let mut object = String::from("{}");
        push_member(&mut object, "a", "1");
        push_member(&mut object, "b\"", "[]");
        assert_eq!(object, r#"{"a":1,"b\"":[]}"#);
    }
}

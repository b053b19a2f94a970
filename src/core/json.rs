//! A small JSON value type with a parser and writer that never panic.
//!
//! The SDK inspects only a few fields of each response and passes the rest
//! through, so a full serde stack would cost far more bundle size than it
//! saves. Numbers keep their source text: the SDK needs integers only, and
//! skipping float parsing and formatting keeps that machinery out of the wasm.

/// Nesting deeper than this is rejected rather than risking the stack.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// The number exactly as written in the source (validated JSON syntax).
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    /// Members in source order; keys are unique (a later duplicate wins).
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub fn parse(text: &str) -> Option<Json> {
        let mut parser = Parser {
            bytes: text.as_bytes(),
            pos: 0,
        };
        let value = parser.value(0)?;
        parser.skip_ws();
        (parser.pos == parser.bytes.len()).then_some(value)
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The member `key` unless it is absent or `null`.
    pub fn field(&self, key: &str) -> Option<&Json> {
        self.get(key).filter(|v| !v.is_null())
    }

    pub fn str_field(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Json::as_str)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The value as an integer, when it is written as one that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Num(raw) => parse_i64(raw),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Obj(_))
    }

    pub fn int(value: i64) -> Json {
        Json::Num(int_text(value))
    }

    pub fn str(value: impl Into<String>) -> Json {
        Json::Str(value.into())
    }

    /// Sets `key`, replacing an existing member. No-op on non-objects.
    pub fn set(&mut self, key: &str, value: Json) {
        if let Json::Obj(members) = self {
            match members.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = value,
                None => members.push((key.to_string(), value)),
            }
        }
    }

    /// Removes and returns the member `key`.
    pub fn take(&mut self, key: &str) -> Option<Json> {
        match self {
            Json::Obj(members) => {
                let index = members.iter().position(|(k, _)| k == key)?;
                Some(members.remove(index).1)
            }
            _ => None,
        }
    }

    /// The value as JSON text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(true) => out.push_str("true"),
            Json::Bool(false) => out.push_str("false"),
            Json::Num(raw) => out.push_str(raw),
            Json::Str(s) => write_str(s, out),
            Json::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Obj(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(key, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

impl std::fmt::Display for Json {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

/// Builds an object from `(key, value)` pairs, skipping `None` values.
pub fn object<const N: usize>(members: [(&str, Option<Json>); N]) -> Json {
    Json::Obj(
        members
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
            .collect(),
    )
}

pub fn parse_i64(raw: &str) -> Option<i64> {
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

const HEX: &[u8; 16] = b"0123456789abcdef";

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

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
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

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, literal: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(literal.len())?;
        (self.bytes.get(self.pos..end)? == literal).then(|| self.pos = end)
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_ws();
        match self.peek()? {
            b'n' => self.eat(b"null").map(|_| Json::Null),
            b't' => self.eat(b"true").map(|_| Json::Bool(true)),
            b'f' => self.eat(b"false").map(|_| Json::Bool(false)),
            b'"' => self.string().map(Json::Str),
            b'[' => self.array(depth),
            b'{' => self.object(depth),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn array(&mut self, depth: usize) -> Option<Json> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(Json::Arr(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(Json::Arr(items));
                }
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<Json> {
        self.pos += 1;
        let mut value = Json::Obj(Vec::new());
        self.skip_ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(value);
        }
        loop {
            self.skip_ws();
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.skip_ws();
            self.eat(b":")?;
            let member = self.value(depth + 1)?;
            value.set(&key, member);
            self.skip_ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(value);
                }
                _ => return None,
            }
        }
    }

    fn number(&mut self) -> Option<Json> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.require_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.require_digits()?;
        }
        // The slice is ASCII digits and signs only, so it is valid UTF-8.
        let raw = std::str::from_utf8(&self.bytes[start..self.pos]).ok()?;
        Some(Json::Num(raw.to_string()))
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn require_digits(&mut self) -> Option<()> {
        let start = self.pos;
        self.digits();
        (self.pos > start).then_some(())
    }

    fn string(&mut self) -> Option<String> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the longest run without escapes or the closing quote.
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(std::str::from_utf8(&self.bytes[run_start..self.pos]).ok()?);
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let escaped = self.peek()?;
                    self.pos += 1;
                    out.push(match escaped {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    });
                }
                _ => return None, // raw control character
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let end = self.pos.checked_add(4)?;
        let digits = self.bytes.get(self.pos..end)?;
        self.pos = end;
        digits
            .iter()
            .try_fold(0u32, |acc, &b| Some(acc * 16 + (b as char).to_digit(16)?))
    }

    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            self.eat(b"\\u")?;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return None;
            }
            char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
        } else {
            char::from_u32(first)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_back_every_kind_of_value() {
        let text = r#"{"a":null,"b":true,"c":false,"d":-12.5e+3,"e":"x\"y\\z\n","f":[1,[],{}],"g":{"h":"é😀"}}"#;
        let value = Json::parse(text).unwrap();
        assert_eq!(value.get("d"), Some(&Json::Num("-12.5e+3".into())));
        assert_eq!(value.str_field("e"), Some("x\"y\\z\n"));
        assert_eq!(value.get("g").unwrap().str_field("h"), Some("é😀"));
        assert_eq!(value.to_string(), text);
    }

    #[test]
    fn decodes_unicode_escapes_including_surrogate_pairs() {
        let value = Json::parse(r#""\u00e9\ud83d\ude00\/""#).unwrap();
        assert_eq!(value.as_str(), Some("é😀/"));
        assert!(Json::parse(r#""\ud83d""#).is_none(), "lone high surrogate");
        assert!(
            Json::parse(r#""\ud83d\u0041""#).is_none(),
            "bad low surrogate"
        );
        assert!(Json::parse(r#""\ude00""#).is_none(), "lone low surrogate");
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
        ] {
            assert!(Json::parse(bad).is_none(), "accepted {bad:?}");
        }
    }

    #[test]
    fn limits_nesting_instead_of_overflowing_the_stack() {
        let deep = "[".repeat(100_000);
        assert!(Json::parse(&deep).is_none());
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(Json::parse(&ok).is_some());
    }

    #[test]
    fn later_duplicate_keys_win() {
        let value = Json::parse(r#"{"a":1,"a":2}"#).unwrap();
        assert_eq!(value.get("a").and_then(Json::as_i64), Some(2));
        assert_eq!(value.to_string(), r#"{"a":2}"#);
    }

    #[test]
    fn integers_are_read_only_when_exact() {
        assert_eq!(Json::parse("527040").unwrap().as_i64(), Some(527040));
        assert_eq!(Json::parse("-5").unwrap().as_i64(), Some(-5));
        assert_eq!(Json::parse("5.0").unwrap().as_i64(), None);
        assert_eq!(Json::parse("1e3").unwrap().as_i64(), None);
        assert_eq!(Json::parse("99999999999999999999").unwrap().as_i64(), None);
    }

    #[test]
    fn integer_text_covers_the_whole_range() {
        for v in [0, 7, -7, 10, 527040, i64::MAX, i64::MIN] {
            assert_eq!(int_text(v), v.to_string());
        }
    }

    #[test]
    fn writes_control_characters_as_escapes() {
        assert_eq!(Json::str("a\u{1}b\tc").to_string(), r#""a\u0001b\tc""#);
        let round = Json::parse(&Json::str("\u{1f}\"\\").to_string()).unwrap();
        assert_eq!(round.as_str(), Some("\u{1f}\"\\"));
    }

    #[test]
    fn object_helpers_set_take_and_skip_absent_members() {
        let mut value = object([("a", Some(Json::int(1))), ("b", None)]);
        assert_eq!(value.to_string(), r#"{"a":1}"#);
        value.set("a", Json::Null);
        value.set("c", Json::Bool(true));
        assert!(value.field("a").is_none());
        assert_eq!(value.take("c"), Some(Json::Bool(true)));
        assert_eq!(value.to_string(), r#"{"a":null}"#);
    }
}

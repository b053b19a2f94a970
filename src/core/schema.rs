//! Declarative input schemas of the SDK's methods: each field's JSON type and
//! check. `body` validates an options object and builds the request body, so
//! every method refuses bad input the same way, naming the field.

use crate::prelude::*;

use super::errors::SdkError;
use super::json::{self, Object};
use super::validate::{self, Minutes, SESSION_DURATION};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Email,
    /// E.164 phone number.
    Phone,
    /// A non-empty string (tokens, ids, passwords).
    Text,
    /// Any string (locales, template ids).
    Str,
    /// A one-time passcode: six digits.
    Code,
    /// `session_duration_minutes`.
    Duration,
    /// Whole minutes within a range.
    Minutes(&'static Minutes),
    /// An absolute http(s) URL.
    Url,
    /// `{first_name?, middle_name?, last_name?}`, strings.
    Name,
    /// Any JSON object, passed through (metadata, provider parameters).
    Object,
    /// An array of strings.
    StringList,
    Bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

pub const fn required(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

pub const fn optional(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

fn refuse(field: &str, message: &'static str) -> SdkError {
    SdkError::validation(field, message)
}

/// Checks `value` against the field's kind; `Err` holds the sentence that
/// refuses it.
fn check(kind: Kind, value: &str) -> Result<(), &'static str> {
    let as_string = || json::string(value).ok_or("must be a string");
    let as_integer = || json::int(value).ok_or("must be a whole number of minutes");
    let ok = match kind {
        Kind::Email => return validate::email(&as_string()?),
        Kind::Phone => return validate::phone_number(&as_string()?),
        Kind::Text => return validate::non_empty(&as_string()?),
        Kind::Str => return as_string().map(|_| ()),
        Kind::Duration => return validate::minutes_in(as_integer()?, &SESSION_DURATION),
        Kind::Minutes(range) => return validate::minutes_in(as_integer()?, range),
        Kind::Url => return validate::redirect_url(&as_string()?),
        Kind::Code => {
            let code = as_string()?;
            code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
        }
        Kind::Name => {
            json::is_object(value)
                && json::members(value).all(|(key, part)| {
                    ["first_name", "middle_name", "last_name"]
                        .iter()
                        .any(|k| json::key_is(key, k))
                        && (part.starts_with('"') || part == "null")
                })
        }
        Kind::Object => json::is_object(value),
        Kind::StringList => {
            value.starts_with('[') && json::items(value).all(|item| item.starts_with('"'))
        }
        Kind::Bool => json::boolean(value).is_some(),
    };
    if ok {
        return Ok(());
    }
    Err(match kind {
        Kind::Code => "must be the 6-digit code",
        Kind::Name => "must be {first_name?, middle_name?, last_name?} with string values",
        Kind::Object => "must be an object",
        Kind::StringList => "must be an array of strings",
        _ => "must be true or false",
    })
}

/// The options object `input` (JSON text) as validated JSON; `null` reads
/// as no options at all.
pub fn options_object(input: &str) -> Result<&str, SdkError> {
    match json::valid(input) {
        Some("null") => Ok("{}"),
        Some(object) if json::is_object(object) => Ok(object),
        _ => Err(refuse("options", "must be an object")),
    }
}

/// Validates the options object `input` (JSON text) against `fields` and
/// returns the request body: the fields in schema order, with absent or
/// `null` optional fields left out. Unknown fields are refused, so a
/// misspelt option is not silently ignored.
pub fn body(input: &str, fields: &[Field]) -> Result<String, SdkError> {
    let input = options_object(input)?;
    if let Some((unknown, _)) =
        json::members(input).find(|(key, _)| !fields.iter().any(|f| json::key_is(key, f.name)))
    {
        return Err(refuse(
            &json::string_body(unknown),
            "is not an option of this method",
        ));
    }
    let mut out = Object::new();
    for field in fields {
        match json::field(input, field.name) {
            Some(value) => {
                check(field.kind, value).map_err(|message| refuse(field.name, message))?;
                out = out.raw(field.name, value);
            }
            None if field.required => return Err(refuse(field.name, "is required")),
            None => {}
        }
    }
    Ok(out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGIN: &[Field] = &[
        required("email", Kind::Email),
        required("password", Kind::Text),
        required("session_duration_minutes", Kind::Duration),
        optional("locale", Kind::Str),
    ];

    fn field_of(input: &str, fields: &[Field]) -> String {
        match body(input, fields) {
            Err(SdkError::Validation { field, .. }) => field,
            other => panic!("expected a validation error for {input}, got {other:?}"),
        }
    }

    #[test]
    fn builds_the_body_in_schema_order_without_nulls() {
        let input =
            r#"{"session_duration_minutes":60,"locale":null,"password":"pw","email":"a@b.co"}"#;
        assert_eq!(
            body(input, LOGIN).unwrap(),
            r#"{"email":"a@b.co","password":"pw","session_duration_minutes":60}"#
        );
    }

    #[test]
    fn names_the_missing_mistyped_invalid_or_unknown_field() {
        assert_eq!(
            field_of(r#"{"password":"pw","session_duration_minutes":60}"#, LOGIN),
            "email"
        );
        assert_eq!(
            field_of(
                r#"{"email":"a@b.co","password":"","session_duration_minutes":60}"#,
                LOGIN
            ),
            "password"
        );
        assert_eq!(
            field_of(
                r#"{"email":"a@b.co","password":"x","session_duration_minutes":"60"}"#,
                LOGIN
            ),
            "session_duration_minutes"
        );
        assert_eq!(
            field_of(
                r#"{"email":"a@b.co","password":"x","session_duration_minutes":2}"#,
                LOGIN
            ),
            "session_duration_minutes"
        );
        assert_eq!(
            field_of(
                r#"{"email":"nope","password":"x","session_duration_minutes":60}"#,
                LOGIN
            ),
            "email"
        );
        assert_eq!(
            field_of(
                r#"{"email":"a@b.co","password":"x","session_duration_minutes":60,"sesion":1}"#,
                LOGIN
            ),
            "sesion"
        );
        assert_eq!(
            field_of(
                r#"{"email":"a@b.co","password":"x","session_duration_minutes":60,"locale":5}"#,
                LOGIN
            ),
            "locale"
        );
        assert_eq!(field_of("[1]", LOGIN), "options");
        assert_eq!(field_of("{", LOGIN), "options");
        assert_eq!(
            field_of(
                r#"{"em\u0061il":"a@b.co","password":"x","session_duration_minutes":60,"x\u0079":1}"#,
                LOGIN
            ),
            "xy"
        );
    }

    #[test]
    fn each_kind_checks_its_shape() {
        let fields = &[
            optional("code", Kind::Code),
            optional("phone_number", Kind::Phone),
            optional("expiration_minutes", Kind::Minutes(&validate::CODE_EXPIRY)),
            optional("login_magic_link_url", Kind::Url),
            optional("name", Kind::Name),
            optional("untrusted_metadata", Kind::Object),
            optional("custom_scopes", Kind::StringList),
            optional("flag", Kind::Bool),
        ];
        let ok = r#"{"code":"012345","phone_number":"+14155550123","expiration_minutes":10,
            "login_magic_link_url":"http://localhost:8787/auth","name":{"first_name":"Ada","last_name":null},
            "untrusted_metadata":{"any":[1]},"custom_scopes":["a","b"],"flag":false}"#;
        assert!(body(ok, fields).is_ok());
        for (input, field) in [
            (r#"{"code":"12345"}"#, "code"),
            (r#"{"code":"12345a"}"#, "code"),
            (r#"{"phone_number":"4155550123"}"#, "phone_number"),
            (r#"{"expiration_minutes":11}"#, "expiration_minutes"),
            (
                r#"{"login_magic_link_url":"/auth"}"#,
                "login_magic_link_url",
            ),
            (r#"{"name":{"nick":"x"}}"#, "name"),
            (r#"{"name":{"first_name":1}}"#, "name"),
            (r#"{"name":"Ada"}"#, "name"),
            (r#"{"untrusted_metadata":[]}"#, "untrusted_metadata"),
            (r#"{"custom_scopes":["a",1]}"#, "custom_scopes"),
            (r#"{"flag":"true"}"#, "flag"),
        ] {
            assert_eq!(field_of(input, fields), field, "{input}");
        }
    }
}

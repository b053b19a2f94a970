//! Attribute matching: the end user's `attributes {ip_address, user_agent}`
//! recorded with a one-time token when it is sent, and compared on the
//! authenticate call that asks for it with `options.ip_match_required` /
//! `options.user_agent_match_required`.
//!
//! Used by magic links, OTPs and password reset links (the official
//! client's `magic_links::Options` and `attribute::Attributes`). The rules
//! (see `server/docs/behaviour.md`, "Attribute matching"):
//! - **Whose attributes.** On `/v1` they are the body's `attributes` (the
//!   host's backend speaks for its end user; the connection is the
//!   backend's own). On `/sdk/v1` they are the connection's: the client IP
//!   and `User-Agent` header of the browser itself (the body's `attributes`
//!   are ignored: a browser cannot vouch for itself).
//! - **Recording.** Every send records what it has in the token's `extra`
//!   under `"attributes"`; a `/v1` send without `attributes` records
//!   nothing.
//! - **Matching.** Each required attribute must have been recorded and must
//!   equal the call's; anything else is 401 `attribute_mismatch` (so a send
//!   that recorded nothing never matches, as on Stytch). IP addresses are
//!   compared as addresses (`::ffff:192.0.2.1` is `192.0.2.1`), user agents
//!   exactly. The check runs before the token is consumed: a mismatch leaves
//!   it usable by the rightful user.
//! - **Bad input.** On `/v1` an `ip_address` that is not an IP address, or a
//!   required attribute missing from the authenticate call, is 400
//!   `bad_request` naming the field.

use std::net::IpAddr;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{
    error::{ApiError, ApiResult, ErrorType},
    http::{extract::MAX_USER_AGENT_CHARS, Caller},
};

/// The key of a token's `extra` that holds the attributes of its send.
pub const EXTRA_KEY: &str = "attributes";

/// `attributes` as a request carries it (every field optional, `null` allowed).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AttributesInput {
    ip_address: Option<String>,
    user_agent: Option<String>,
}

/// `options` of an authenticate call. The official Rust client always sends
/// both booleans; other clients may leave either out (or send `null`).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct MatchOptions {
    ip_match_required: Option<bool>,
    user_agent_match_required: Option<bool>,
}

impl MatchOptions {
    pub fn ip(&self) -> bool {
        self.ip_match_required.unwrap_or(false)
    }

    pub fn user_agent(&self) -> bool {
        self.user_agent_match_required.unwrap_or(false)
    }

    pub fn any(&self) -> bool {
        self.ip() || self.user_agent()
    }
}

/// The end user's attributes, as a send records them or an authenticate
/// call presents them. `None` is "not known".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndUser {
    /// Canonical text form (IPv4-mapped IPv6 addresses as IPv4).
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

fn canonical_ip(ip: IpAddr) -> String {
    ip.to_canonical().to_string()
}

fn user_agent(raw: &str) -> Option<String> {
    let cut: String = raw.chars().take(MAX_USER_AGENT_CHARS).collect();
    Some(cut).filter(|ua| !ua.trim().is_empty())
}

impl EndUser {
    /// Who the end user of this call is: on `/sdk/v1` the connection, on
    /// `/v1` the body's `attributes` (validated: 400 naming the field).
    pub fn of_call(caller: &Caller, given: Option<AttributesInput>) -> ApiResult<EndUser> {
        if caller.is_sdk() {
            return Ok(EndUser {
                ip_address: Some(canonical_ip(caller.client.ip)),
                user_agent: user_agent(&caller.client.user_agent),
            });
        }
        let given = given.unwrap_or_default();
        let ip_address = match given.ip_address.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(canonical_ip(raw.parse::<IpAddr>().map_err(|_| {
                ApiError::bad_request(format!(
                    "`attributes.ip_address` must be an IPv4 or IPv6 address (got {raw:?})."
                ))
            })?)),
        };
        Ok(EndUser {
            ip_address,
            user_agent: given.user_agent.as_deref().and_then(user_agent),
        })
    }

    /// The end user of an authenticate call, which must carry what
    /// `options` asks to compare: on `/v1` a required attribute missing
    /// from `attributes` is 400 `bad_request` naming it.
    pub fn presented(
        caller: &Caller,
        given: Option<AttributesInput>,
        options: MatchOptions,
    ) -> ApiResult<EndUser> {
        let end_user = Self::of_call(caller, given)?;
        if !caller.is_sdk() {
            let missing = |field: &str, option: &str| {
                ApiError::bad_request(format!(
                    "`attributes.{field}` is required when `options.{option}` is true: \
                     pass the end user's {field} to compare with the send's."
                ))
            };
            if options.ip() && end_user.ip_address.is_none() {
                return Err(missing("ip_address", "ip_match_required"));
            }
            if options.user_agent() && end_user.user_agent.is_none() {
                return Err(missing("user_agent", "user_agent_match_required"));
            }
        }
        Ok(end_user)
    }

    /// Stores the known attributes in a token's `extra` (nothing when none is known).
    pub fn record(&self, extra: &mut Map<String, Value>) {
        let mut attributes = Map::new();
        if let Some(ip) = &self.ip_address {
            attributes.insert("ip_address".into(), ip.clone().into());
        }
        if let Some(ua) = &self.user_agent {
            attributes.insert("user_agent".into(), ua.clone().into());
        }
        if !attributes.is_empty() {
            extra.insert(EXTRA_KEY.into(), Value::Object(attributes));
        }
    }

    /// What a send recorded in a token's `extra` (tokens issued before
    /// attribute matching existed have recorded nothing).
    pub fn recorded(extra: &Map<String, Value>) -> EndUser {
        let field = |name: &str| {
            extra
                .get(EXTRA_KEY)
                .and_then(|a| a.get(name))
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        EndUser {
            ip_address: field("ip_address"),
            user_agent: field("user_agent"),
        }
    }
}

/// Compares what `options` requires; 401 `attribute_mismatch` when a
/// required attribute was not recorded at send or differs. `what` names the
/// token in the message ("magic link", "code", "password reset link").
pub fn check(
    options: MatchOptions,
    recorded: &EndUser,
    presented: &EndUser,
    what: &str,
) -> ApiResult<()> {
    let compare = |required: bool,
                   recorded: &Option<String>,
                   presented: &Option<String>,
                   label: &str|
     -> ApiResult<()> {
        if !required {
            return Ok(());
        }
        match (recorded, presented) {
            (Some(recorded), Some(presented)) if recorded == presented => Ok(()),
            (None, _) => Err(ApiError::new(
                ErrorType::AttributeMismatch,
                format!(
                    "Attributes on the request don't match the stored attributes: no {label} \
                     was recorded when this {what} was sent, so it cannot match."
                ),
            )),
            _ => Err(ApiError::new(
                ErrorType::AttributeMismatch,
                format!(
                    "Attributes on the request don't match the stored attributes: the {label} \
                     differs from the one this {what} was requested from."
                ),
            )),
        }
    };
    compare(
        options.ip(),
        &recorded.ip_address,
        &presented.ip_address,
        "IP address",
    )?;
    compare(
        options.user_agent(),
        &recorded.user_agent,
        &presented.user_agent,
        "user agent",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{ClientInfo, Face, SdkSession};

    fn caller(face: Face, ip: &str, ua: &str) -> Caller {
        Caller {
            face,
            session: SdkSession::None,
            client: ClientInfo {
                ip: ip.parse().unwrap(),
                user_agent: ua.into(),
            },
        }
    }

    fn input(ip: Option<&str>, ua: Option<&str>) -> Option<AttributesInput> {
        Some(AttributesInput {
            ip_address: ip.map(str::to_string),
            user_agent: ua.map(str::to_string),
        })
    }

    fn options(ip: bool, ua: bool) -> MatchOptions {
        MatchOptions {
            ip_match_required: Some(ip),
            user_agent_match_required: Some(ua),
        }
    }

    #[test]
    fn the_backend_speaks_for_its_user_the_browser_for_itself() {
        let backend = caller(Face::Backend, "10.0.0.1", "backend-http/1.0");
        let given =
            EndUser::of_call(&backend, input(Some(" 203.0.113.7 "), Some("Browser A"))).unwrap();
        assert_eq!(given.ip_address.as_deref(), Some("203.0.113.7"));
        assert_eq!(given.user_agent.as_deref(), Some("Browser A"));
        assert_eq!(
            EndUser::of_call(&backend, None).unwrap(),
            EndUser::default()
        );
        assert_eq!(
            EndUser::of_call(&backend, input(Some(""), Some(""))).unwrap(),
            EndUser::default()
        );

        let browser = caller(Face::Sdk, "::ffff:192.0.2.1", "Browser B");
        let own = EndUser::of_call(&browser, input(Some("203.0.113.7"), Some("Forged"))).unwrap();
        assert_eq!(own.ip_address.as_deref(), Some("192.0.2.1"));
        assert_eq!(own.user_agent.as_deref(), Some("Browser B"));
    }

    #[test]
    fn bad_and_missing_attributes_are_named() {
        let backend = caller(Face::Backend, "10.0.0.1", "");
        let err = EndUser::of_call(&backend, input(Some("203.0.113.7:443"), None)).unwrap_err();
        assert!(err.is(ErrorType::BadRequest));
        assert!(
            err.message.contains("`attributes.ip_address`"),
            "{}",
            err.message
        );
        let err =
            EndUser::presented(&backend, input(None, Some("A")), options(true, false)).unwrap_err();
        assert!(
            err.message.contains("`attributes.ip_address`"),
            "{}",
            err.message
        );
        let err = EndUser::presented(&backend, input(Some("::1"), None), options(false, true))
            .unwrap_err();
        assert!(
            err.message.contains("`attributes.user_agent`"),
            "{}",
            err.message
        );
        assert!(EndUser::presented(&backend, None, options(false, false)).is_ok());
        // Long user agents are cut like the header, not refused.
        let long = "x".repeat(MAX_USER_AGENT_CHARS + 10);
        let cut = EndUser::of_call(&backend, input(None, Some(&long))).unwrap();
        assert_eq!(cut.user_agent.unwrap().len(), MAX_USER_AGENT_CHARS);
    }

    #[test]
    fn records_round_trip_through_extra() {
        let mut extra = Map::new();
        EndUser::default().record(&mut extra);
        assert!(extra.is_empty());
        let sent = EndUser {
            ip_address: Some("2001:db8::1".into()),
            user_agent: None,
        };
        sent.record(&mut extra);
        assert_eq!(EndUser::recorded(&extra), sent);
        assert_eq!(EndUser::recorded(&Map::new()), EndUser::default());
    }

    #[test]
    fn required_attributes_must_be_recorded_and_equal() {
        let a = EndUser {
            ip_address: Some("203.0.113.7".into()),
            user_agent: Some("Browser A".into()),
        };
        let other_ip = EndUser {
            ip_address: Some("198.51.100.9".into()),
            ..a.clone()
        };
        let other_ua = EndUser {
            user_agent: Some("Browser B".into()),
            ..a.clone()
        };
        let mismatch = |r: ApiResult<()>| r.unwrap_err().is(ErrorType::AttributeMismatch);
        assert!(check(options(true, true), &a, &a, "magic link").is_ok());
        assert!(check(options(false, false), &a, &other_ip, "magic link").is_ok());
        assert!(check(options(false, true), &a, &other_ip, "magic link").is_ok());
        assert!(mismatch(check(
            options(true, false),
            &a,
            &other_ip,
            "magic link"
        )));
        assert!(check(options(true, false), &a, &other_ua, "magic link").is_ok());
        assert!(mismatch(check(
            options(false, true),
            &a,
            &other_ua,
            "magic link"
        )));
        // Nothing recorded never matches, even nothing presented.
        let none = EndUser::default();
        assert!(mismatch(check(options(true, false), &none, &a, "code")));
        assert!(mismatch(check(options(false, true), &none, &none, "code")));
        let err = check(options(true, false), &none, &a, "code").unwrap_err();
        assert!(
            err.message.contains("no IP address was recorded"),
            "{}",
            err.message
        );
        assert_eq!(err.status.as_u16(), 401);
    }
}

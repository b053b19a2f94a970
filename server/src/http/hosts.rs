//! The `Host` allow-list: the server answers only to the names it listens as, so a page whose domain was rebound to 127.0.0.1 cannot use it.
//!
//! A DNS-rebinding page is same-origin with itself as far as the browser is
//! concerned, so CORS and the origin checks do not stop it; only the `Host`
//! it sends (its own domain) gives it away. Accepted: `localhost`,
//! `127.0.0.1` and `[::1]` with the bound port (the port may be left out
//! only when it is 80), and each `--public-host` (`HOST`, any port, or
//! `HOST:PORT`). Anything else, or no `Host` at all, is 421
//! `misdirected_request`.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::error::{ApiError, ErrorType};

/// The names the server answers to (see the module documentation).
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    port: u16,
    public: Vec<(String, Option<u16>)>,
}

const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

impl AllowedHosts {
    /// The local names on `port` plus `public_hosts` (each `HOST` or
    /// `HOST:PORT`, already checked by [`parse_public_host`]).
    pub fn new(port: u16, public_hosts: &[String]) -> Result<AllowedHosts, String> {
        let public = public_hosts
            .iter()
            .map(|raw| parse_public_host(raw))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AllowedHosts { port, public })
    }

    pub fn allows(&self, host: &str) -> bool {
        let Some((name, port)) = split_host(host) else {
            return false;
        };
        let name = name.to_ascii_lowercase();
        if LOCAL_NAMES.contains(&name.as_str()) {
            return port == Some(self.port) || (port.is_none() && self.port == 80);
        }
        self.public.iter().any(|(public, public_port)| {
            *public == name && public_port.is_none_or(|p| port == Some(p))
        })
    }
}

/// `name[:port]` or `[v6][:port]`; `None` for anything else (user info,
/// paths, a port that is not a number).
fn split_host(host: &str) -> Option<(&str, Option<u16>)> {
    let (name, port) = if host.starts_with('[') {
        let end = host.find(']')?;
        let rest = &host[end + 1..];
        let port = match rest {
            "" => None,
            _ => Some(rest.strip_prefix(':')?),
        };
        (&host[..=end], port)
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':'));
    if !valid_name {
        return None;
    }
    let port = match port {
        None => None,
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some(digits.parse().ok()?)
        }
        Some(_) => return None,
    };
    Some((name, port))
}

/// Checks a `--public-host` value: a host name or address, optionally with
/// a port; no scheme, path or user info.
pub fn parse_public_host(raw: &str) -> Result<(String, Option<u16>), String> {
    let invalid = || {
        format!("--public-host {raw:?}: expected HOST or HOST:PORT (e.g. auth.example.test or auth.example.test:8443), without scheme or path")
    };
    let (name, port) = split_host(raw.trim()).ok_or_else(invalid)?;
    if name.contains(':') && !name.starts_with('[') {
        return Err(invalid());
    }
    Ok((name.to_ascii_lowercase(), port))
}

/// Middleware: 421 `misdirected_request` unless the request's `Host` (or,
/// over HTTP/2, its `:authority`) is allowed.
pub async fn check(State(hosts): State<Arc<AllowedHosts>>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_string()));
    match host {
        Some(host) if hosts.allows(&host) => next.run(req).await,
        Some(host) => ApiError::new(
            ErrorType::MisdirectedRequest,
            format!(
                "This server does not answer to Host {host:?}: it listens as localhost, 127.0.0.1 and [::1] on port {} (add a name with --public-host).",
                hosts.port
            ),
        )
        .into_response(),
        None => ApiError::new(
            ErrorType::MisdirectedRequest,
            "The request has no Host header; this server answers only to the names it listens as.",
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_names_need_the_bound_port() {
        let hosts = AllowedHosts::new(8787, &[]).unwrap();
        for ok in [
            "localhost:8787",
            "127.0.0.1:8787",
            "[::1]:8787",
            "LocalHost:8787",
        ] {
            assert!(hosts.allows(ok), "{ok}");
        }
        for bad in [
            "localhost",
            "localhost:8788",
            "evil.example:8787",
            "localhost.evil.example:8787",
            "127.0.0.1:8787@evil.example",
            "[::1]",
            "[::1]8787",
            "localhost:",
            "localhost:87a7",
            "",
        ] {
            assert!(!hosts.allows(bad), "{bad}");
        }
        assert!(AllowedHosts::new(80, &[]).unwrap().allows("localhost"));
    }

    #[test]
    fn public_hosts_with_or_without_a_port() {
        let hosts = AllowedHosts::new(
            8787,
            &["Auth.Example.test".into(), "app.example.test:8443".into()],
        )
        .unwrap();
        assert!(hosts.allows("auth.example.test"));
        assert!(hosts.allows("auth.example.test:443"));
        assert!(hosts.allows("app.example.test:8443"));
        assert!(!hosts.allows("app.example.test"));
        assert!(!hosts.allows("app.example.test:8444"));
        assert!(!hosts.allows("sub.auth.example.test"));
        for bad in [
            "https://auth.example.test",
            "auth.example.test/x",
            "a@b",
            "",
            "x:y",
        ] {
            assert!(parse_public_host(bad).is_err(), "{bad}");
        }
    }
}

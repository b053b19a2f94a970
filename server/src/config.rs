//! Command-line configuration of the server.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

const AFTER_HELP: &str = "\
CREDENTIALS:
  On first start the server creates a project in the data directory and
  writes <data-dir>/credentials.json (mode 0600) with project_id,
  public_token and secret. The database keeps only a SHA-256 of the secret.
  The startup output names the project and public token; the secret is
  printed once, when it is created. `--print-credentials` prints the JSON
  file's content later (and exits). The public token is for browsers; the
  secret is for your backend only and is never accepted from or sent to a
  browser.

STARTUP OUTPUT:
  The last startup line is exactly
    latchkey-server listening on http://localhost:<port>
  (with --port 0 it shows the port actually bound).";

/// Frontend origins authorized when none is given on the command line.
pub const DEFAULT_AUTHORIZED_ORIGINS: [&str; 2] = ["http://localhost:*", "http://127.0.0.1:*"];

/// How strictly the in-memory rate limiter applies its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum RateLimitMode {
    /// The documented per-IP and per-identifier limits.
    #[default]
    Strict,
    /// Every limit multiplied by 100 (load tests, big test suites).
    Relaxed,
    /// No rate limiting at all.
    Off,
}

/// Options of `latchkey-server`; every one has a working default.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "latchkey-server",
    version,
    about = "Local Stytch-compatible auth API on SQLite",
    after_help = AFTER_HELP
)]
pub struct Config {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, env = "LATCHKEY_PORT", default_value_t = 8787)]
    pub port: u16,

    /// Directory holding the SQLite database and other state.
    #[arg(long, env = "LATCHKEY_DATA_DIR", default_value = ".latchkey")]
    pub data_dir: PathBuf,

    /// Origins allowed to call the frontend API and to receive CORS
    /// credentials (repeatable). `*` may stand for the port, e.g.
    /// `http://localhost:*`.
    #[arg(
        long = "authorized-origin",
        value_name = "ORIGIN",
        default_values_t = DEFAULT_AUTHORIZED_ORIGINS.map(String::from)
    )]
    pub authorized_origins: Vec<String>,

    /// Static directory to serve, as `URL_PREFIX=DIR` (repeatable), e.g. `/=www`.
    #[arg(long = "serve", value_name = "PREFIX=DIR", value_parser = parse_mount)]
    pub mounts: Vec<(String, PathBuf)>,

    /// Print the project credentials as JSON (project_id, public_token,
    /// secret) and exit without serving. Creates the project if the data
    /// directory is new.
    #[arg(long)]
    pub print_credentials: bool,

    /// Replace the backend secret with a new one before starting (the old one
    /// stops working) and rewrite credentials.json. Use it if that file was lost.
    #[arg(long)]
    pub rotate_secret: bool,

    /// Enable the test-only routes /dev/faults (inject errors and delays) and
    /// /dev/clock (move the server's clock forward). Off by default.
    #[arg(long, env = "LATCHKEY_ENABLE_DEV_FAULTS")]
    pub enable_dev_faults: bool,

    /// Do not require PKCE on the frontend face (/sdk/v1) for email magic
    /// links, password resets and OAuth. By default it is required there
    /// (the backend face never requires it).
    #[arg(long)]
    pub pkce_optional: bool,

    /// Rate limiting of send endpoints and password attempts.
    #[arg(long, value_enum, env = "LATCHKEY_RATE_LIMIT", default_value_t = RateLimitMode::Strict)]
    pub rate_limit: RateLimitMode,

    /// A name this server is reached as besides localhost, 127.0.0.1 and
    /// [::1] on its port (repeatable, or comma-separated in the variable):
    /// `HOST` (any port) or `HOST:PORT`, e.g. behind a reverse proxy. Requests
    /// with any other `Host` are refused (DNS rebinding).
    #[arg(long = "public-host", value_name = "HOST[:PORT]", env = "LATCHKEY_PUBLIC_HOSTS", value_delimiter = ',', value_parser = check_public_host)]
    pub public_hosts: Vec<String>,

    /// A URL that login / signup / reset links may redirect to (repeatable).
    /// An entry matches the URL itself and anything below it at a `/`, `?` or
    /// `#` boundary. Without any, every http(s) URL on an authorized origin
    /// is allowed.
    #[arg(long = "allowed-redirect-url", value_name = "URL")]
    pub allowed_redirect_urls: Vec<String>,

    /// The project's default login redirect URL: where magic links, OAuth and
    /// password resets send a user when the request names no URL. Kept in
    /// the project settings for later starts; an empty value clears it. It
    /// must be an allowed redirect URL.
    #[arg(long, value_name = "URL", env = "LATCHKEY_DEFAULT_LOGIN_REDIRECT_URL")]
    pub default_login_redirect_url: Option<String>,

    /// The project's default signup redirect URL (new users), like
    /// `--default-login-redirect-url`.
    #[arg(long, value_name = "URL", env = "LATCHKEY_DEFAULT_SIGNUP_REDIRECT_URL")]
    pub default_signup_redirect_url: Option<String>,

    /// A JSON file with the project's RBAC policy (`roles`, `resources`,
    /// `scopes`, as Stytch's), reported by bootstrap and GET /v1/rbac/policy.
    /// Without it: the predefined `stytch_user` role and nothing else.
    #[arg(long, value_name = "FILE", env = "LATCHKEY_RBAC_POLICY")]
    pub rbac_policy: Option<PathBuf>,
}

impl Config {
    /// The defaults, with state in `data_dir` and a free port (tests, embedding).
    /// Independent of the environment (no `LATCHKEY_*` variable is read).
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            port: 0,
            data_dir: data_dir.into(),
            authorized_origins: DEFAULT_AUTHORIZED_ORIGINS.map(String::from).to_vec(),
            mounts: Vec::new(),
            print_credentials: false,
            rotate_secret: false,
            enable_dev_faults: false,
            pkce_optional: false,
            rate_limit: RateLimitMode::Strict,
            public_hosts: Vec::new(),
            allowed_redirect_urls: Vec::new(),
            default_login_redirect_url: None,
            default_signup_redirect_url: None,
            rbac_policy: None,
        }
    }

    /// Whether `url` may receive a login / signup / reset redirect.
    pub fn is_allowed_redirect_url(&self, url: &str) -> bool {
        let Some(origin) = url_origin(url) else {
            return false;
        };
        if self.allowed_redirect_urls.is_empty() {
            return self.is_authorized_origin(origin);
        }
        self.allowed_redirect_urls.iter().any(|allowed| {
            url == allowed
                || url
                    .strip_prefix(allowed.as_str())
                    .is_some_and(|rest| allowed.ends_with('/') || rest.starts_with(['/', '?', '#']))
        })
    }

    /// Whether `origin` (scheme://host[:port]) matches an authorized origin.
    pub fn is_authorized_origin(&self, origin: &str) -> bool {
        self.authorized_origins
            .iter()
            .any(|pattern| origin_matches(pattern, origin))
    }
}

/// `scheme://authority` of an absolute http(s) URL; `None` for anything
/// else, including URLs with user info (`https://good@evil`) or whitespace.
fn url_origin(url: &str) -> Option<&str> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let scheme_len = if url.starts_with("https://") {
        8
    } else if url.starts_with("http://") {
        7
    } else {
        return None;
    };
    let end = url[scheme_len..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_len + i);
    let authority = &url[scheme_len..end];
    if authority.is_empty() || authority.contains(['@', '\\']) {
        return None;
    }
    Some(&url[..end])
}

fn origin_matches(pattern: &str, origin: &str) -> bool {
    match pattern.strip_suffix(":*") {
        Some(base) => match origin.strip_prefix(base) {
            Some("") => true,
            Some(rest) => rest
                .strip_prefix(':')
                .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())),
            None => false,
        },
        None => pattern == origin,
    }
}

fn check_public_host(raw: &str) -> Result<String, String> {
    crate::http::hosts::parse_public_host(raw)?;
    Ok(raw.trim().to_string())
}

fn parse_mount(raw: &str) -> Result<(String, PathBuf), String> {
    let (prefix, dir) = raw
        .split_once('=')
        .ok_or_else(|| format!("expected PREFIX=DIR, got `{raw}`"))?;
    if !prefix.starts_with('/') {
        return Err(format!(
            "the URL prefix must start with `/`, got `{prefix}`"
        ));
    }
    Ok((prefix.to_string(), PathBuf::from(dir)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_parse_prefix_and_dir() {
        assert_eq!(
            parse_mount("/pkg=pkg").unwrap(),
            ("/pkg".into(), "pkg".into())
        );
        assert!(parse_mount("pkg").is_err());
        assert!(parse_mount("pkg=pkg").is_err());
    }

    #[test]
    fn the_programmatic_defaults_match_the_cli_defaults() {
        // The CLI reads LATCHKEY_* variables; compare only in a clean environment.
        if std::env::vars().any(|(key, _)| key.starts_with("LATCHKEY_")) {
            return;
        }
        let parsed =
            Config::try_parse_from(["latchkey-server", "--port", "0", "--data-dir", "/tmp/x"])
                .unwrap();
        let built = Config::with_data_dir("/tmp/x");
        assert_eq!(format!("{parsed:?}"), format!("{built:?}"));
    }

    #[test]
    fn redirect_urls_default_to_authorized_origins() {
        let config = Config::with_data_dir("/tmp/x");
        assert!(config.is_allowed_redirect_url("http://localhost:5173/auth?x=1"));
        assert!(config.is_allowed_redirect_url("http://127.0.0.1:8787"));
        assert!(!config.is_allowed_redirect_url("https://evil.example/auth"));
        assert!(!config.is_allowed_redirect_url("http://localhost.evil.example/"));
        assert!(!config.is_allowed_redirect_url("http://user@localhost:5173/"));
        assert!(!config.is_allowed_redirect_url("javascript:alert(1)"));
        assert!(!config.is_allowed_redirect_url("http://localhost:5173/a b"));
    }

    #[test]
    fn explicit_redirect_urls_match_at_boundaries() {
        let mut config = Config::with_data_dir("/tmp/x");
        config.allowed_redirect_urls = vec!["https://app.example/auth".into()];
        assert!(config.is_allowed_redirect_url("https://app.example/auth"));
        assert!(config.is_allowed_redirect_url("https://app.example/auth?next=/"));
        assert!(config.is_allowed_redirect_url("https://app.example/auth/cb"));
        assert!(!config.is_allowed_redirect_url("https://app.example/authx"));
        assert!(!config.is_allowed_redirect_url("http://localhost:5173/auth"));
    }

    #[test]
    fn origin_patterns_match_ports_only() {
        assert!(origin_matches(
            "http://localhost:*",
            "http://localhost:5173"
        ));
        assert!(origin_matches("http://localhost:*", "http://localhost"));
        assert!(!origin_matches(
            "http://localhost:*",
            "http://localhost.evil.com"
        ));
        assert!(!origin_matches(
            "http://localhost:*",
            "http://localhost:80x"
        ));
        assert!(!origin_matches(
            "http://localhost:*",
            "https://localhost:5173"
        ));
        assert!(origin_matches("https://app.example", "https://app.example"));
        assert!(!origin_matches(
            "https://app.example",
            "https://app.example:8443"
        ));
    }
}

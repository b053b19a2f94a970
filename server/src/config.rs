//! Command-line configuration of the server.

use std::path::PathBuf;

use clap::Parser;

/// Options of `latchkey-server`; every one has a working default.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "latchkey-server",
    version,
    about = "Local Stytch-compatible auth API on SQLite"
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
        default_values_t = ["http://localhost:*".to_string(), "http://127.0.0.1:*".to_string()]
    )]
    pub authorized_origins: Vec<String>,

    /// Static directory to serve, as `URL_PREFIX=DIR` (repeatable), e.g. `/=www`.
    #[arg(long = "serve", value_name = "PREFIX=DIR", value_parser = parse_mount)]
    pub mounts: Vec<(String, PathBuf)>,
}

impl Config {
    /// Whether `origin` (scheme://host[:port]) matches an authorized origin.
    pub fn is_authorized_origin(&self, origin: &str) -> bool {
        self.authorized_origins
            .iter()
            .any(|pattern| origin_matches(pattern, origin))
    }
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

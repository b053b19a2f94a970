//! `AppState`: everything a request handler can reach (config, database, clock, project, keys, limiter, faults).

use std::{ops::Deref, sync::Arc};

use crate::{
    auth::{
        keys::{self, KeySet},
        sealing::FieldKey,
    },
    clock::Clock,
    config::Config,
    dev::{events::EventLog, faults::Faults},
    provision::{self, Provisioned},
    ratelimit::RateLimiter,
    store::{
        project::{self, ProjectSettings},
        Db,
    },
};

/// The project's identity as the request path needs it (kept in memory: it
/// only changes at start-up).
#[derive(Debug, Clone)]
pub struct Project {
    pub project_id: String,
    pub public_token: String,
    /// SHA-256 hex of the backend secret.
    pub secret_hash: String,
    pub settings: ProjectSettings,
    /// From `--rbac-policy` or the default (read at each start, not stored).
    pub rbac_policy: crate::api::rbac::Policy,
}

pub struct Inner {
    pub config: Config,
    pub db: Db,
    pub clock: Clock,
    pub project: Project,
    pub keys: KeySet,
    /// Seals secrets the server must read back (TOTP secrets); kept beside, not in, the database.
    pub field_key: FieldKey,
    pub limiter: RateLimiter,
    pub faults: Faults,
    /// The browser SDKs' last telemetry events (`/dev/events`).
    pub events: EventLog,
}

/// Cheap to clone; handlers receive it through axum's `State`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Opens the data directory, provisions the project on first start and
    /// loads the signing keys.
    pub fn open(config: Config) -> Result<(AppState, Provisioned), String> {
        let db = provision::open_data_dir(&config.data_dir)?;
        let clock = Clock::default();
        let provisioned =
            provision::provision(&db, &config.data_dir, clock.now(), config.rotate_secret)?;
        let key_pairs = provisioned
            .keys
            .iter()
            .map(keys::load)
            .collect::<Result<Vec<_>, _>>()?;
        let field_key = FieldKey::load_or_create(&config.data_dir)?;
        let mut settings = provisioned.project.settings.clone();
        apply_default_redirects(&config, &db, &mut settings)?;
        let project = Project {
            project_id: provisioned.project.project_id.clone(),
            public_token: provisioned.project.public_token.clone(),
            secret_hash: provisioned.project.secret_hash.clone(),
            settings,
            rbac_policy: crate::api::rbac::Policy::load(config.rbac_policy.as_deref())?,
        };
        let state = AppState(Arc::new(Inner {
            limiter: RateLimiter::new(config.rate_limit),
            config,
            db,
            clock,
            project,
            keys: KeySet::new(key_pairs)?,
            field_key,
            faults: Faults::default(),
            events: EventLog::default(),
        }));
        Ok((state, provisioned))
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}

/// `--default-login-redirect-url` / `--default-signup-redirect-url` become
/// project settings (kept for later starts; an empty value clears one), and
/// must be allowed redirect URLs. A kept one that the current
/// `--allowed-redirect-url` list no longer allows is not used this run.
fn apply_default_redirects(
    config: &Config,
    db: &Db,
    settings: &mut ProjectSettings,
) -> Result<(), String> {
    let given = [
        (
            "--default-login-redirect-url",
            &config.default_login_redirect_url,
            &mut settings.default_login_redirect_url,
        ),
        (
            "--default-signup-redirect-url",
            &config.default_signup_redirect_url,
            &mut settings.default_signup_redirect_url,
        ),
    ];
    let mut changed = false;
    let mut in_use = Vec::new();
    for (flag, given, stored) in given {
        if let Some(url) = given {
            let url = url.trim();
            if !url.is_empty() && !config.is_allowed_redirect_url(url) {
                return Err(format!(
                    "{flag} {url} is not an allowed redirect URL (an http(s) URL on an authorized origin, or under an --allowed-redirect-url)"
                ));
            }
            let value = (!url.is_empty()).then(|| url.to_string());
            changed |= *stored != value;
            *stored = value;
        }
        if let Some(url) = stored.as_deref() {
            if config.is_allowed_redirect_url(url) {
                in_use.push(url.to_string());
            } else {
                crate::log(format_args!(
                    "the project's default redirect URL {url} is not allowed by this configuration; it is not used ({flag} sets another)"
                ));
            }
        }
    }
    if changed {
        let to_store = settings.clone();
        db.blocking(|c| project::set_settings(c, &to_store))
            .map_err(|e| format!("saving the project settings: {}", e.message))?;
    }
    settings
        .default_login_redirect_url
        .take_if(|url| !in_use.contains(url));
    settings
        .default_signup_redirect_url
        .take_if(|url| !in_use.contains(url));
    Ok(())
}

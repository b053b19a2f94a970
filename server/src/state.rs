//! `AppState`: everything a request handler can reach (config, database, clock, project, keys, limiter, faults).

use std::{ops::Deref, sync::Arc};

use crate::{
    auth::{
        keys::{self, KeySet},
        sealing::FieldKey,
    },
    clock::Clock,
    config::Config,
    dev::faults::Faults,
    provision::{self, Provisioned},
    ratelimit::RateLimiter,
    store::{project::ProjectSettings, Db},
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
        let project = Project {
            project_id: provisioned.project.project_id.clone(),
            public_token: provisioned.project.public_token.clone(),
            secret_hash: provisioned.project.secret_hash.clone(),
            settings: provisioned.project.settings.clone(),
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
        }));
        Ok((state, provisioned))
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}

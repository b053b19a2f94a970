//! The local Stytch-compatible auth API: the embedded default that the demo
//! and every test run against.
//!
//! Start it from Rust with [`start`] (tests, embedding) or from the command
//! line through [`run`]. See `server/docs/contributing.md` for the module map
//! and for how to add an endpoint.

pub mod api;
pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod dev;
pub mod error;
pub mod http;
pub mod ids;
pub mod model;
pub mod provision;
pub mod ratelimit;
pub mod session;
pub mod state;
pub mod store;
pub mod validate;

use std::{io::Write, net::SocketAddr, time::Duration};

use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

pub use config::Config;
pub use provision::Credentials;
pub use state::AppState;

/// How often expired sessions and one-time tokens are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// A log line on stderr. Write errors are ignored: a closed stderr must not
/// take a request down.
pub fn log(args: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "latchkey-server: {args}");
}

/// Like `println!`, but a closed stdout (a test that stopped reading) is ignored.
fn say(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// A running server (see [`start`]).
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    /// The credentials, when the secret is known (see `provision`).
    pub credentials: Option<Credentials>,
    pub provisioned: provision::Provisioned,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    pruner: JoinHandle<()>,
}

impl Server {
    /// `http://localhost:<port>`
    pub fn base_url(&self) -> String {
        format!("http://localhost:{}", self.addr.port())
    }

    /// Stops accepting connections, finishes in-flight requests, and waits.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.pruner.abort();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        match tokio::time::timeout(Duration::from_secs(10), &mut self.task).await {
            Ok(joined) => joined.unwrap_or(Ok(())),
            Err(_) => {
                self.task.abort();
                Ok(())
            }
        }
    }
}

/// Opens the data directory (provisioning the project on first start),
/// binds `127.0.0.1:<port>` and serves in the background.
pub async fn start(config: Config) -> Result<Server, String> {
    let port = config.port;
    let (state, provisioned) = tokio::task::spawn_blocking(move || AppState::open(config))
        .await
        .map_err(|e| format!("start-up task failed: {e}"))??;
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let hosts = http::hosts::AllowedHosts::new(addr.port(), &state.config.public_hosts)?;
    let router = app::router(state.clone(), hosts);
    let (shutdown, shutdown_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = shutdown_rx.await;
        })
        .await
    });
    let pruner = tokio::spawn(prune_forever(state.clone()));
    Ok(Server {
        addr,
        credentials: provisioned.credentials(),
        state,
        provisioned,
        shutdown: Some(shutdown),
        task,
        pruner,
    })
}

async fn prune_forever(state: AppState) {
    loop {
        let now = state.now();
        let result = state
            .db
            .call(move |c| {
                store::sessions::prune_expired(c, now)?;
                store::one_time::prune(c, now)
            })
            .await;
        if let Err(err) = result {
            log(format_args!("pruning expired rows failed: {err}"));
        }
        tokio::time::sleep(PRUNE_EVERY).await;
    }
}

/// The command-line entry point: `--print-credentials`, or start, print the
/// banner, and serve until killed.
pub async fn run(config: Config) -> Result<(), String> {
    if config.print_credentials {
        return print_credentials(config).await;
    }
    let data_dir = config.data_dir.clone();
    let server = start(config).await?;
    let p = &server.provisioned;
    if p.created {
        say(format_args!(
            "latchkey-server: created a new project in {}",
            data_dir.display()
        ));
    }
    if p.new_secret {
        if let Some(secret) = &p.secret {
            say(format_args!(
                "latchkey-server secret: {secret} (shown once; also in {}, mode 0600; the database keeps only its hash)",
                p.credentials_path.display()
            ));
        }
    }
    say(format_args!(
        "latchkey-server project_id: {}",
        p.project.project_id
    ));
    say(format_args!(
        "latchkey-server public_token: {}",
        p.project.public_token
    ));
    match &p.secret {
        Some(_) => say(format_args!(
            "latchkey-server credentials: {}",
            p.credentials_path.display()
        )),
        None => say(format_args!(
            "latchkey-server credentials: {} is missing or stale; run with --rotate-secret to issue a new secret",
            p.credentials_path.display()
        )),
    }
    say(format_args!(
        "latchkey-server listening on http://localhost:{}",
        server.addr.port()
    ));
    match server.task.await {
        Ok(result) => result.map_err(|e| format!("server error: {e}")),
        Err(e) => Err(format!("server task failed: {e}")),
    }
}

async fn print_credentials(config: Config) -> Result<(), String> {
    let (_, provisioned) = tokio::task::spawn_blocking(move || AppState::open(config))
        .await
        .map_err(|e| format!("start-up task failed: {e}"))??;
    let credentials = provisioned.credentials().ok_or_else(|| {
        format!(
            "the secret is not available ({} is missing or stale); run with --rotate-secret to issue a new one",
            provisioned.credentials_path.display()
        )
    })?;
    let json = serde_json::to_string(&credentials).map_err(|e| e.to_string())?;
    say(format_args!("{json}"));
    Ok(())
}

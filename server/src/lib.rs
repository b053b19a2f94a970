//! The local Stytch-compatible auth API: the embedded default that the demo
//! and every test run against.

pub mod app;
pub mod config;

pub use config::Config;

/// Binds the configured port and serves until the process is stopped.
pub async fn serve(config: Config) -> std::io::Result<()> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], config.port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    std::fs::create_dir_all(&config.data_dir)?;
    let router = app::router(&config);
    println!(
        "latchkey-server listening on http://localhost:{}",
        local.port()
    );
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await
}

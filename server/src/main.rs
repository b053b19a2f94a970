use clap::Parser;

#[tokio::main]
async fn main() {
    let config = latchkey_server::Config::parse();
    if let Err(err) = latchkey_server::run(config).await {
        eprintln!("latchkey-server: {err}");
        std::process::exit(1);
    }
}

//! The `latchkey-server` binary: `--help`, the startup output, `credentials.json`, `--print-credentials`, and surviving `kill -9`.

use std::{path::Path, process::Stdio, time::Duration};

use latchkey_server::{auth::basic, Credentials};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

const BIN: &str = env!("CARGO_BIN_EXE_latchkey-server");

/// A started binary and what it printed up to the listening line.
struct Running {
    child: Child,
    lines: Vec<String>,
    port: u16,
}

async fn spawn(data_dir: &Path) -> Running {
    let mut child = Command::new(BIN)
        .args(["--port", "0", "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let mut reader = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut lines = Vec::new();
    let port = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = reader.next_line().await.unwrap() {
            lines.push(line.clone());
            if let Some(port) = line.strip_prefix("latchkey-server listening on http://localhost:")
            {
                return port.parse::<u16>().expect("a numeric port");
            }
        }
        panic!("no listening line in {lines:?}");
    })
    .await
    .expect("started in time");
    Running { child, lines, port }
}

async fn print_credentials(data_dir: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("--print-credentials")
        .args(extra)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .await
        .expect("runs")
}

fn read_credentials(data_dir: &Path) -> Credentials {
    let raw = std::fs::read_to_string(data_dir.join("credentials.json")).expect("credentials.json");
    serde_json::from_str(&raw).expect("credentials JSON")
}

#[tokio::test]
async fn help_documents_every_switch() {
    let output = Command::new(BIN).arg("--help").output().await.unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--port",
        "--data-dir",
        "--authorized-origin",
        "--serve",
        "--print-credentials",
        "--rotate-secret",
        "--enable-dev-faults",
        "--pkce-optional",
        "--rate-limit",
        "--allowed-redirect-url",
        "--public-host",
        "--default-login-redirect-url",
        "--default-signup-redirect-url",
        "--rbac-policy",
        "credentials.json",
    ] {
        assert!(help.contains(flag), "--help does not mention {flag}");
    }
}

#[tokio::test]
async fn first_start_prints_credentials_and_a_kill_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = spawn(dir.path()).await;
    assert_ne!(first.port, 0, "the real port, not 0");
    let creds = read_credentials(dir.path());
    let printed = first.lines.join("\n");
    assert!(
        printed.contains(&format!("public_token: {}", creds.public_token)),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("project_id: {}", creds.project_id)),
        "{printed}"
    );
    assert!(
        printed.contains(&creds.secret),
        "the first start shows the secret once"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("credentials.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Write something through the backend face, then SIGKILL the process.
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{}", first.port);
    let created: Value = http
        .post(format!("{base}/v1/users"))
        .header(
            "authorization",
            basic::encode(&creds.project_id, &creds.secret),
        )
        .json(&json!({"email": "survivor@example.com"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user_id = created["user_id"].as_str().expect("created").to_string();
    first.child.kill().await.unwrap();

    let mut second = spawn(dir.path()).await;
    let printed = second.lines.join("\n");
    assert!(
        !printed.contains(&creds.secret),
        "the secret is not printed again"
    );
    assert!(printed.contains(&creds.public_token));
    let base = format!("http://127.0.0.1:{}", second.port);
    let fetched: Value = http
        .get(format!("{base}/v1/users/{user_id}"))
        .header(
            "authorization",
            basic::encode(&creds.project_id, &creds.secret),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["emails"][0]["email"], "survivor@example.com");
    second.child.kill().await.unwrap();
}

#[tokio::test]
async fn print_credentials_prints_json_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    // On a new directory it provisions first.
    let output = print_credentials(dir.path(), &[]).await;
    assert!(output.status.success());
    let printed: Credentials = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(printed, read_credentials(dir.path()));
    assert!(printed.secret.starts_with("secret-test-"));
    let again = print_credentials(dir.path(), &[]).await;
    assert_eq!(
        serde_json::from_slice::<Credentials>(&again.stdout).unwrap(),
        printed
    );

    // Without the file the secret is unrecoverable; rotation issues a new one.
    std::fs::remove_file(dir.path().join("credentials.json")).unwrap();
    let lost = print_credentials(dir.path(), &[]).await;
    assert!(!lost.status.success());
    assert!(String::from_utf8_lossy(&lost.stderr).contains("--rotate-secret"));
    let rotated = print_credentials(dir.path(), &["--rotate-secret"]).await;
    assert!(rotated.status.success());
    let rotated: Credentials = serde_json::from_slice(&rotated.stdout).unwrap();
    assert_eq!(rotated.project_id, printed.project_id);
    assert_ne!(rotated.secret, printed.secret);
    assert_eq!(rotated, read_credentials(dir.path()));
}

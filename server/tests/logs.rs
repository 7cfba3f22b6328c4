//! `--log-format json` on the real binary: every line it writes is one JSON
//! object, the lines written while a request is served carry that request's
//! id, and the answer names the id in `X-Request-Id` (a proxy's plain id is
//! kept, anything else replaced).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_server");
/// The demo's "Meeting" template (the simulator's seed).
const TEMPLATE: &str = "19577d25-f7cf-4524-9a26-5fd418dd5f96";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Running {
    child: std::process::Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn json_lines_carry_the_request_id() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(BIN)
        .args(["--log-format", "json", "serve", "--demo", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(data.path())
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let server = Running { child, lines };
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..300 {
        if http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        up,
        "the server did not start: {:?}",
        server.lines.lock().unwrap()
    );

    let token = Command::new(BIN)
        .args(["user", "token", "demo", "--name", "logs", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(token.status.success(), "{token:?}");
    let token = String::from_utf8(token.stdout).unwrap().trim().to_string();

    let created = http
        .post(format!("{base}/api/v1/meetings"))
        .bearer_auth(&token)
        .header("x-request-id", "logs-test-1")
        .json(&serde_json::json!({
            "name": "Logged",
            "templateId": TEMPLATE,
            "start": "2030-06-12T10:00",
            "durationMinutes": 30,
            "timeZone": "Europe/Paris",
            "attendees": [{"email": "guest@partner.example", "role": "ExternalAccessMeth"}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["x-request-id"], "logs-test-1");

    // An id that could forge or hide in a log line is replaced by a UUID.
    let hostile = http
        .get(format!("{base}/healthz"))
        .header("x-request-id", "a\"b c")
        .send()
        .await
        .unwrap();
    let replaced = hostile.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(uuid::Uuid::parse_str(&replaced).is_ok(), "{replaced}");
    let fresh = http.get(format!("{base}/healthz")).send().await.unwrap();
    let other = fresh.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(uuid::Uuid::parse_str(&other).is_ok() && other != replaced);

    // The line the create writes ("meeting created") names its request.
    let mut found = None;
    for _ in 0..50 {
        let all = server.lines.lock().unwrap().clone();
        found = all.iter().find(|l| l.contains("meeting created")).cloned();
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let line = found.expect("no 'meeting created' line");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["fields"]["message"], "meeting created");
    assert_eq!(v["level"], "INFO");
    assert_eq!(v["span"]["request_id"], "logs-test-1", "{line}");
    assert_eq!(v["span"]["method"], "POST");

    let all = server.lines.lock().unwrap().clone();
    assert!(all.len() > 3, "{all:?}");
    for l in &all {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
        assert!(v["timestamp"].is_string() && v["level"].is_string(), "{l}");
    }
}

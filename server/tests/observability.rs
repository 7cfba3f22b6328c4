//! What an administrator's tools read, on the real binary: with
//! `--log-format json` every line is one JSON object, the lines written while
//! a request is served carry that request's id, and the answer names the id
//! in `X-Request-Id` (a proxy's plain id is kept, anything else replaced);
//! with `--metrics-listen`, `/metrics` on that listener (and not on the
//! public one) parses as Prometheus text and counts what happened.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_cms-scheduler");
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

/// A demo scheduler started with `args`, up and answering, with an API
/// token for the demo person.
struct Started {
    server: Running,
    base: String,
    token: String,
    http: reqwest::Client,
    _data: tempfile::TempDir,
}

async fn start(args: &[&str]) -> Started {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(BIN)
        .args(["serve", "--demo", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(data.path())
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
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
        .args(["user", "token", "demo", "--name", "tools", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(token.status.success(), "{token:?}");
    let token = String::from_utf8(token.stdout).unwrap().trim().to_string();
    Started {
        server,
        base,
        token,
        http,
        _data: data,
    }
}

fn meeting(name: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "templateId": TEMPLATE,
        "start": "2030-06-12T10:00",
        "durationMinutes": 30,
        "timeZone": "Europe/Paris",
        "attendees": [{"email": "guest@partner.example", "role": "ExternalAccessMeth"}]
    })
}

#[tokio::test]
async fn json_lines_carry_the_request_id() {
    let Started {
        server,
        base,
        token,
        http,
        _data,
    } = start(&["--log-format", "json"]).await;
    let created = http
        .post(format!("{base}/api/v1/meetings"))
        .bearer_auth(&token)
        .header("x-request-id", "logs-test-1")
        .json(&meeting("Logged"))
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

#[tokio::test]
async fn metrics_count_what_happened_on_their_own_listener() {
    let metrics_port = free_port();
    let metrics_at = format!("127.0.0.1:{metrics_port}");
    // The server and its data directory live until the test ends.
    let Started {
        base,
        token,
        http,
        server: _server,
        _data,
    } = start(&[
        "--log-format",
        "text",
        "--metrics-listen",
        metrics_at.as_str(),
    ])
    .await;
    for name in ["Measured one", "Measured two"] {
        let created = http
            .post(format!("{base}/api/v1/meetings"))
            .bearer_auth(&token)
            .json(&meeting(name))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
    }
    // Not on the public listener.
    let public = http.get(format!("{base}/metrics")).send().await.unwrap();
    assert_ne!(public.status(), 200);
    assert!(!public
        .text()
        .await
        .unwrap()
        .contains("scheduler_http_requests_total"));

    let scrape = http
        .get(format!("http://{metrics_at}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), 200);
    assert!(scrape.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = scrape.text().await.unwrap();
    let parsed = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .unwrap_or_else(|e| panic!("not Prometheus text ({e}): {text}"));
    let value = |name: &str, labels: &[(&str, &str)]| -> Option<f64> {
        parsed
            .samples
            .iter()
            .filter(|s| s.metric == name)
            .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
            .reduce(|a, b| a + b)
    };
    assert_eq!(
        value(
            "scheduler_http_requests_total",
            &[
                ("route", "/api/v1/meetings"),
                ("method", "POST"),
                ("status", "201")
            ]
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value("scheduler_saga_runs_total", &[("outcome", "ready")]),
        Some(2.0),
        "{text}"
    );
    let cospace_posts = value(
        "scheduler_callbridge_requests_total",
        &[("operation", "POST coSpaces"), ("outcome", "ok")],
    );
    assert_eq!(cospace_posts, Some(2.0), "{text}");
    assert!(
        parsed.samples.iter().any(|s| {
            s.metric == "scheduler_http_request_duration_seconds"
                && matches!(&s.value, prometheus_parse::Value::Histogram(h) if !h.is_empty())
        }),
        "{text}"
    );
    assert!(value("scheduler_db_pool_connections", &[("state", "open")]).is_some_and(|v| v >= 1.0));
    assert!(value("scheduler_outbox_depth", &[]).is_some(), "{text}");
}

//! The configuration file on the real binary: `serve` takes its settings
//! from it below flags and the environment, the administration commands find
//! the data directory in it, and an unknown key or a bad value stops the
//! start with one line naming the file, the line and the key.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_cms-scheduler");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The status code of a plain `GET path` to `addr`, if it answers.
fn get_status(addr: &str, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.split(' ').nth(1)?.parse().ok()
}

fn healthy(addr: &str) -> bool {
    for _ in 0..300 {
        if get_status(addr, "/healthz") == Some(200) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("SCHEDULER_LISTEN")
        .env_remove("SCHEDULER_DATA_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn serve_and_the_commands_read_the_file_below_flags_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let metrics_port = free_port();
    let config = dir.path().join("cms-scheduler.toml");
    std::fs::write(
        &config,
        format!(
            "# the scheduler\n\
             listen = \"127.0.0.1:{port}\"\n\
             data-dir = \"{}\"\n\
             demo = true\n\
             metrics-listen = \"127.0.0.1:{metrics_port}\"\n\
             public-url = \"https://scheduler.example.com\"\n",
            data.display()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let child = Command::new(BIN)
        .args(["serve", "--config", config])
        .env_remove("SCHEDULER_LISTEN")
        .env_remove("SCHEDULER_DATA_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Killed(child);
    assert!(
        healthy(&format!("127.0.0.1:{port}")),
        "the listen address came from the file"
    );
    assert!(
        data.join("scheduler.db").exists(),
        "so did the data directory"
    );
    assert_eq!(
        get_status(&format!("127.0.0.1:{metrics_port}"), "/metrics"),
        Some(200),
        "and the metrics listener"
    );

    // The commands find the running service's data through the same file,
    // named by the environment this time.
    let status = run(&["scheduler", "status"], &[("SCHEDULER_CONFIG", config)]);
    assert!(status.status.success(), "{status:?}");
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("Running"),
        "{status:?}"
    );
    let token = run(&["user", "token", "demo"], &[("SCHEDULER_CONFIG", config)]);
    assert!(token.status.success(), "{token:?}");
    let token = String::from_utf8(token.stdout).unwrap();
    assert_eq!(
        token.lines().count(),
        1,
        "only the token on standard output: {token}"
    );
    // A flag, then the environment, win over the file.
    let elsewhere = dir.path().join("elsewhere");
    let flagged = run(
        &[
            "user",
            "token",
            "demo",
            "--config",
            config,
            "--data-dir",
            elsewhere.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        !flagged.status.success(),
        "no demo user in the flag's directory"
    );
    let from_env = run(
        &["user", "token", "demo", "--config", config],
        &[("SCHEDULER_DATA_DIR", elsewhere.to_str().unwrap())],
    );
    assert!(!from_env.status.success(), "nor in the environment's");
    // `--config none` reads no file: the default data directory (`data`
    // under the working directory) is used.
    let elsewhere_cwd = dir.path().join("cwd");
    std::fs::create_dir(&elsewhere_cwd).unwrap();
    let none = Command::new(BIN)
        .args(["user", "token", "demo", "--config", "none"])
        .current_dir(&elsewhere_cwd)
        .env_remove("SCHEDULER_DATA_DIR")
        .output()
        .unwrap();
    assert!(!none.status.success(), "{none:?}");
}

#[test]
fn an_unknown_key_or_a_bad_value_stops_the_start_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    let shown = config.display().to_string();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let cases = [
        (
            format!("data-dir = \"{data}\"\nlisten = \"127.0.0.1:0\"\n\ncallbridge-urls = []\n"),
            format!("cms-scheduler: {shown}:4: unknown key `callbridge-urls`, did you mean `callbridge-url`?"),
        ),
        (
            format!("data-dir = \"{data}\"\nlisten = \"127.0.0.1\"\n"),
            format!("cms-scheduler: {shown}:2: key `listen`: invalid value '127.0.0.1': invalid socket address syntax"),
        ),
        (
            format!("data-dir = \"{data}\"\ndemo = 1\n"),
            format!("cms-scheduler: {shown}:2: key `demo`: expected true or false"),
        ),
    ];
    for (text, want) in cases {
        std::fs::write(&config, &text).unwrap();
        let out = run(&["serve", "--config", &shown], &[]);
        assert_eq!(out.status.code(), Some(1), "{text}: {out:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.trim_end(), want, "{text}");
        assert!(
            !std::path::Path::new(data).join("scheduler.db").exists(),
            "nothing was started or made"
        );
    }
    // A named file that does not exist is an error too, not a silent default.
    let out = run(
        &["serve", "--config", "/nonexistent/cms-scheduler.toml"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .starts_with("cms-scheduler: /nonexistent/cms-scheduler.toml: cannot read"));
}

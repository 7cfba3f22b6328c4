//! `cms-scheduler backup` and `cms-scheduler restore`, through the binary, against a
//! running service whose database is being written to all the while.

use server::clock::SystemClock;
use server::config::ServeConfig;
use server::Application;
use std::path::Path;
use std::process::Command as Process;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn server_bin(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Process::new(env!("CARGO_BIN_EXE_cms-scheduler"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

async fn count_users(db: &server::db::Db) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(db)
        .await
        .unwrap();
    n
}

/// The number in "... N users ..." of the binary's report.
fn users_in(report: &str) -> i64 {
    let words: Vec<&str> = report.split_whitespace().collect();
    let i = words
        .iter()
        .position(|w| w.starts_with("users"))
        .unwrap_or_else(|| panic!("no user count in {report:?}"));
    words[i - 1].parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_busy_service_restores_what_it_held() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let app = Application::build(ServeConfig::for_tests(d.clone()), Arc::new(SystemClock))
        .await
        .unwrap();
    let db = app.state.db.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    // Writers: a user row committed every few milliseconds.
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let (db, writing) = (db.clone(), writing.clone());
        tokio::spawn(async move {
            let mut n = 0u32;
            while writing.load(Ordering::Relaxed) {
                n += 1;
                sqlx::query(
                    "INSERT INTO users (id, username, display_name, email, time_zone, created_at) \
                     VALUES ($1, $2, 'Load', 'load@example.com', 'UTC', 0)",
                )
                .bind(format!("load-{n}"))
                .bind(format!("load{n}"))
                .execute(&db)
                .await
                .unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            n
        })
    };
    while count_users(&db).await < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    let copy = d.join("backup.db");
    let before = count_users(&db).await;
    let (code, out, err) = tokio::task::spawn_blocking({
        let (d, copy) = (d.clone(), copy.clone());
        move || server_bin(&d, &["backup", copy.to_str().unwrap()])
    })
    .await
    .unwrap();
    let after = count_users(&db).await;
    assert_eq!(code, 0, "{out}{err}");
    let held = users_in(&out);
    assert!(
        (before..=after).contains(&held),
        "a copy of one moment: {before} <= {held} <= {after}"
    );
    assert!(after > before, "the service kept writing during the backup");

    // Never over an existing file.
    let (code, _, err) = server_bin(&d, &["backup", copy.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");

    // Not while the service runs.
    let (code, _, err) = server_bin(&d, &["restore", copy.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("stop it first"), "{err}");

    writing.store(false, Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(i64::from(written) > held);
    let _ = stop.send(());
    running.await.unwrap().unwrap();
    db.close().await;

    // Stopped: the restore puts the copy back and keeps the replaced file.
    let (code, out, err) = server_bin(&d, &["restore", copy.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(users_in(&out), held, "{out}");
    assert!(out.contains("kept as"), "{out}");

    // The service starts on the restored database and holds what the copy held.
    let app = Application::build(ServeConfig::for_tests(d.clone()), Arc::new(SystemClock))
        .await
        .unwrap();
    assert_eq!(count_users(&app.state.db).await, held);
}

#[test]
fn postgres_is_sent_to_its_own_tools() {
    let dir = tempfile::tempdir().unwrap();
    let out = Process::new(env!("CARGO_BIN_EXE_cms-scheduler"))
        .args([
            "backup",
            "x.db",
            "--database-url",
            "postgres://u@127.0.0.1:1/db",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("pg_dump"), "{err}");
    assert!(!dir.path().join("x.db").exists());
}

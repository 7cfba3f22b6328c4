//! `cms-scheduler user add --jid` and `cms-scheduler user jid`: a local account's Call
//! Bridge user, through the binary.

use std::path::Path;
use std::process::Command as Process;

fn server_bin(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Process::new(env!("CARGO_BIN_EXE_cms-scheduler"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("SCHEDULER_PASSWORD", "a long enough password")
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

async fn jid(dir: &Path, username: &str) -> Option<String> {
    let url = format!("sqlite://{}", dir.join("scheduler.db").display());
    let db = server::db::connect(&url, dir).await.unwrap();
    server::auth::users::find_by_username(&db, username)
        .await
        .unwrap()
        .unwrap()
        .jid
}

#[tokio::test]
async fn a_local_account_gets_its_call_bridge_jid_only_when_given_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let add = |name: &str, extra: &[&str]| {
        let mut args = vec![
            "user",
            "add",
            name,
            "--display-name",
            "A Person",
            "--email",
            "person@example.com",
        ];
        args.extend_from_slice(extra);
        server_bin(d, &args)
    };
    let (code, _, err) = add("alice", &["--jid", " Alice@Example.COM "]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(jid(d, "alice").await.as_deref(), Some("alice@example.com"));
    // No --jid: no Call Bridge user (nothing is guessed from the e-mail).
    let (code, _, err) = add("bob", &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(jid(d, "bob").await, None);

    let (code, out, err) = server_bin(d, &["user", "jid", "bob", "bob@example.com"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("bob@example.com"), "{out}");
    assert_eq!(jid(d, "bob").await.as_deref(), Some("bob@example.com"));
    let (code, out, _) = server_bin(d, &["user", "jid", "alice"]);
    assert_eq!(code, 0);
    assert!(out.contains("no Call Bridge user"), "{out}");
    assert_eq!(jid(d, "alice").await, None);
    let (code, _, err) = server_bin(d, &["user", "jid", "nobody", "x@example.com"]);
    assert_ne!(code, 0);
    assert!(err.contains("no local user named nobody"), "{err}");
}

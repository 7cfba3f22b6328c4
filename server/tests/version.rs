//! `cms-scheduler --version`, on the real binary: the crate's version and the
//! git commit the binary was built from (server/build.rs).

use std::process::Command;

#[test]
fn version_names_the_release_and_the_commit() {
    let out = Command::new(env!("CARGO_BIN_EXE_cms-scheduler"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap();
    let want_start = format!("cms-scheduler {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&want_start), "{line}");
    let commit = line
        .trim_end()
        .trim_start_matches(&want_start)
        .trim_end_matches(')');
    // Built from this checkout: the commit is HEAD's (when git can say).
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match head {
        Some(head) => assert_eq!(commit, head, "{line}"),
        None => assert!(!commit.is_empty(), "{line}"),
    }
}

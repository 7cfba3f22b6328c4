//! Build script: records the git commit the binary is built from, for
//! `cms-scheduler --version`. A build outside a git checkout (a source
//! tarball, a package build) may set CMS_SCHEDULER_COMMIT; otherwise the
//! commit is "unknown".

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    println!("cargo:rerun-if-env-changed=CMS_SCHEDULER_COMMIT");
    let commit = match std::env::var("CMS_SCHEDULER_COMMIT") {
        Ok(given) if !given.trim().is_empty() => given.trim().to_string(),
        _ => {
            // Rebuild when HEAD moves: HEAD itself (a worktree's own), the
            // branches (a directory: cargo scans it) and the packed refs, in
            // the common directory. Only paths that exist: a missing one
            // would rebuild every time.
            let git_dir = git(&["rev-parse", "--absolute-git-dir"]);
            let common = git(&["rev-parse", "--path-format=absolute", "--git-common-dir"]);
            if let (Some(git_dir), Some(common)) = (git_dir, common) {
                let (git_dir, common) = (Path::new(&git_dir), Path::new(&common));
                let watched = [
                    git_dir.join("HEAD"),
                    common.join("packed-refs"),
                    common.join("refs/heads"),
                ];
                for path in watched.into_iter().filter(|p| p.exists()) {
                    println!("cargo:rerun-if-changed={}", path.display());
                }
            }
            git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_string())
        }
    };
    println!("cargo:rustc-env=CMS_SCHEDULER_COMMIT={commit}");
}

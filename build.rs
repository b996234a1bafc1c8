//! Records the git commit the binary is built from, for the provenance block of
//! summary.json and sweep.json (`GIGASIM_COMMIT`, empty outside a git checkout).
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    // --no-optional-locks: `git status` must not rewrite the index, which this script
    // watches; else every build would run it again and rebuild the crate.
    let out = Command::new("git").arg("--no-optional-locks").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    // Run again when HEAD moves, the index changes, or a source the binary embeds changes.
    for p in ["src", "models", "Cargo.toml", "Cargo.lock", "build.rs"] {
        println!("cargo:rerun-if-changed={p}");
    }
    // Only files that exist: cargo runs the script again at every build for a missing one.
    let watch = |p: String| {
        if std::path::Path::new(&p).exists() {
            println!("cargo:rerun-if-changed={p}");
        }
    };
    if let Some(git_dir) = git(&["rev-parse", "--git-dir"]) {
        for f in ["HEAD", "index"] {
            watch(format!("{git_dir}/{f}"));
        }
        // A worktree keeps its HEAD apart, the branches in the common folder.
        let common = git(&["rev-parse", "--git-common-dir"]).unwrap_or(git_dir);
        watch(format!("{common}/packed-refs"));
        if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
            watch(format!("{common}/{r}"));
        }
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).map(|c| {
        // Changed sources make another binary than the commit's.
        let changed =
            git(&["status", "--porcelain", "--untracked-files=no", "--", "src", "models", "Cargo.toml", "Cargo.lock", "build.rs"])
                .is_some_and(|s| !s.is_empty());
        if changed { format!("{c}-modified") } else { c }
    });
    println!("cargo:rustc-env=GIGASIM_COMMIT={}", commit.unwrap_or_default());
}

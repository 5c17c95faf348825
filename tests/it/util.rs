//! Shared helpers: where fixtures live and how to run the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample(name: &str) -> PathBuf {
    repo_root().join("sample-images").join(name)
}

/// dive's own test images in `dive_fixtures()`, by file stem: `{stem}.tar`
/// is the image, `dive-0.13.1-json/{stem}.json` dive's export of it.
pub const DIVE_FIXTURE_IMAGES: [&str; 6] = [
    "test-docker-image",
    "test-kaniko-image",
    "test-oci-gzip-image",
    "test-oci-zstd-image",
    "test-oci-uncompressed-image",
    "test-oci-estargz-image",
];

/// `../shared/fixtures/dive` (or `$BALLAST_DIVE_FIXTURES`, for a git
/// worktree elsewhere), or None (and a message) when it is absent. CI sets
/// `BALLAST_REQUIRE_FIXTURES`, and there an absent directory fails the
/// test: the dive-parity claims must not pass by skipping.
pub fn dive_fixtures() -> Option<PathBuf> {
    let dir = std::env::var_os("BALLAST_DIVE_FIXTURES").map_or_else(
        || repo_root().join("../shared/fixtures/dive"),
        PathBuf::from,
    );
    if dir.is_dir() {
        Some(dir)
    } else {
        assert!(
            std::env::var_os("BALLAST_REQUIRE_FIXTURES").is_none(),
            "{} is absent but BALLAST_REQUIRE_FIXTURES is set",
            dir.display()
        );
        eprintln!(
            "SKIPPED: {} is absent (a fresh clone has no ../shared)",
            dir.display()
        );
        None
    }
}

pub fn ballast(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ballast"))
        .args(args)
        .env("NO_COLOR", "1")
        // Tests run inside GitHub Actions must not write to its summary.
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .stdin(Stdio::null())
        .output()
        .expect("run ballast")
}

pub fn ballast_stdin(args: &[&str], input: &Path) -> Output {
    let file = std::fs::File::open(input).expect("open input");
    Command::new(env!("CARGO_BIN_EXE_ballast"))
        .args(args)
        .stdin(Stdio::from(file))
        .output()
        .expect("run ballast")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json_of(o: &Output) -> serde_json::Value {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

/// Asserts the run failed as a user should see it: exit 2, one line on
/// stderr naming `file`, no panic.
pub fn assert_clean_failure(o: &Output, file: &str, phrase: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected: {err}"
    );
    assert!(err.contains(file), "should name {file}: {err}");
    assert!(
        err.to_lowercase().contains(&phrase.to_lowercase()),
        "should say {phrase:?}: {err}"
    );
}

//! Budgets fail a CI job with exit 1 and a line naming the budget, the
//! figure and the limit; bad budget syntax is exit 2; dive's `.dive-ci`
//! gives the verdicts dive 0.13.1 gives.

use std::path::Path;

use crate::util::{assert_clean_failure, ballast, dive_fixtures, sample, stderr};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn within_budget_passes_with_exit_0() {
    let img = sample("clean.oci.tar");
    let o = ballast(&[
        img.to_str().expect("utf-8"),
        "--ci",
        "--max-size",
        "10MB",
        "--max-waste",
        "1kB",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("PASS  max-size: image size is"), "{out}");
    assert!(out.contains("Result: PASS (2 checks)"), "{out}");
}

#[test]
fn over_budget_fails_with_exit_1_naming_figure_and_limit() {
    let img = sample("ml-mistakes.docker.tar");
    let o = ballast(&[
        img.to_str().expect("utf-8"),
        "--ci",
        "--max-size",
        "1MB",
        "--max-category",
        "cache=100kB",
        "--max-layer-size",
        "10MB",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let fail = out
        .lines()
        .find(|l| l.contains("FAIL  max-size"))
        .expect("max-size line");
    assert!(
        fail.contains("4093507 bytes") && fail.contains("over the limit of 1.0 MB (1000000 bytes)"),
        "{fail}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("FAIL  max-category cache: cache waste is 567.0 kB")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.contains("PASS  max-layer-size")),
        "{out}"
    );
    assert!(
        out.contains("Result: FAIL (2 of 3 checks over budget)"),
        "{out}"
    );
}

#[test]
fn budgets_from_ballast_toml_and_flags_override() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("ballast.toml");
    std::fs::write(
        &cfg,
        "[budget]\nmax_size = \"1MB\"\nmax_waste_percent = \"90%\"\n",
    )
    .expect("write");
    let img = sample("ml-mistakes.oci.tar");
    let img = img.to_str().expect("utf-8");
    let cfg = cfg.to_str().expect("utf-8");
    let o = ballast(&[img, "--ci", "--config", cfg]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("PASS  max-waste-percent"));
    let o = ballast(&[img, "--ci", "--config", cfg, "--max-size", "1GB"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the flag wins over the file: {}",
        stdout(&o)
    );
}

#[test]
fn bad_budget_syntax_is_exit_2_with_a_clear_line() {
    let img = sample("clean.oci.tar");
    let img = img.to_str().expect("utf-8");
    assert_clean_failure(
        &ballast(&[img, "--max-size", "huge"]),
        "--max-size",
        "not a size",
    );
    assert_clean_failure(
        &ballast(&[img, "--min-efficiency", "95"]),
        "--min-efficiency",
        "out of range",
    );
    assert_clean_failure(
        &ballast(&[img, "--max-category", "cache"]),
        "--max-category",
        "CATEGORY=SIZE",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("ballast.toml");
    std::fs::write(&cfg, "[budget]\nmax_sise = \"1GB\"\n").expect("write");
    assert_clean_failure(
        &ballast(&[img, "--config", cfg.to_str().expect("utf-8")]),
        "ballast.toml",
        "unknown budget",
    );
    let ci = dir.path().join(".dive-ci");
    std::fs::write(&ci, "rules:\n  lowestEfficiency: 2\n").expect("write");
    assert_clean_failure(
        &ballast(&[img, "--ci-config", ci.to_str().expect("utf-8")]),
        ".dive-ci",
        "line 2",
    );
}

const RULES: [(&str, &str); 3] = [
    (
        "strict",
        "rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20MB\n  highestUserWastedPercent: 0.20\n",
    ),
    (
        "disabled",
        "rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: disabled\n  highestUserWastedPercent: disabled\n",
    ),
    (
        "tight",
        "rules:\n  lowestEfficiency: 0.99\n  highestWastedBytes: 20kB\n  highestUserWastedPercent: 0.5\n",
    ),
];

/// dive 0.13.1's verdicts, recorded from `dive --source docker-archive X
/// --ci --ci-config RULES` on 2026-11-24: (image, rules, exit code, failed
/// rules). `live_dive_agrees` re-checks them against a dive binary when one
/// is installed.
const DIVE_VERDICTS: [(&str, &str, i32, &[&str]); 9] = [
    (
        "test-docker-image",
        "strict",
        1,
        &["highestUserWastedPercent"],
    ),
    ("test-docker-image", "disabled", 0, &[]),
    (
        "test-docker-image",
        "tight",
        1,
        &["highestWastedBytes", "lowestEfficiency"],
    ),
    (
        "test-kaniko-image",
        "strict",
        1,
        &["highestUserWastedPercent"],
    ),
    ("test-kaniko-image", "disabled", 0, &[]),
    (
        "test-kaniko-image",
        "tight",
        1,
        &["highestWastedBytes", "lowestEfficiency"],
    ),
    ("test-oci-gzip-image", "strict", 0, &[]),
    ("test-oci-gzip-image", "disabled", 0, &[]),
    ("test-oci-gzip-image", "tight", 0, &[]),
];

fn ours(dir: &Path, image: &str, rules_file: &Path) -> (i32, Vec<String>) {
    let img = dir.join(format!("{image}.tar"));
    let o = ballast(&[
        img.to_str().expect("utf-8"),
        "--ci",
        "--ci-config",
        rules_file.to_str().expect("utf-8"),
    ]);
    let failed: Vec<String> = stdout(&o)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("FAIL  "))
        .map(|l| l.split(':').next().unwrap_or("").to_string())
        .collect();
    (o.status.code().expect("exit code"), failed)
}

#[test]
fn dive_ci_rules_give_dive_0_13_1_verdicts() {
    let Some(dir) = dive_fixtures() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    for (image, rules, code, failed) in DIVE_VERDICTS {
        let text = RULES.iter().find(|(n, _)| *n == rules).expect("rules").1;
        let f = tmp.path().join(format!("{rules}.dive-ci"));
        std::fs::write(&f, text).expect("write");
        let (got_code, got_failed) = ours(&dir, image, &f);
        assert_eq!(got_code, code, "{image} {rules}");
        let mut got_failed = got_failed;
        got_failed.sort();
        assert_eq!(got_failed, failed, "{image} {rules}");
    }
}

/// When a dive binary is around (`DIVE_BIN`, or `dive` on PATH), its live
/// verdicts must match the recorded ones.
#[test]
fn live_dive_agrees_when_installed() {
    let Some(dir) = dive_fixtures() else { return };
    let dive = std::env::var("DIVE_BIN").unwrap_or_else(|_| "dive".into());
    if std::process::Command::new(&dive)
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: no dive binary (set DIVE_BIN to compare live)");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    for (image, rules, code, _) in DIVE_VERDICTS {
        let text = RULES.iter().find(|(n, _)| *n == rules).expect("rules").1;
        let f = tmp.path().join(format!("{rules}.yaml"));
        std::fs::write(&f, text).expect("write");
        let o = std::process::Command::new(&dive)
            .args(["--source", "docker-archive"])
            .arg(dir.join(format!("{image}.tar")))
            .args(["--ci", "--ci-config"])
            .arg(&f)
            .output()
            .expect("run dive");
        assert_eq!(o.status.code(), Some(code), "dive on {image} {rules}");
    }
}

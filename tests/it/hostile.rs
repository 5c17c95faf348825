//! The hostile corpus: `tests/hostile/corpus/cases.json` lists broken and
//! hostile-but-valid archives (written by `tests/hostile/generate.py`) and
//! what ballast must do with each. Every case runs through the binary under a
//! time limit (a hang fails the case); broken ones must exit 2 with one
//! stderr line naming the file, valid ones exit 0 with a JSON report, and
//! their final trees are checked through the library, since the report does
//! not list paths.
//!
//! The committed corpus needs no Python. The big cases (a 2 GiB gzip bomb, a
//! 1 TB size claim, a million entries, a million whiteouts, archives past
//! `--max-entries`) are generated on demand and run only with
//! `BALLAST_BIG_TESTS=1`, measuring each one's peak memory with GNU time
//! against its bound (`max_rss_mb`, 500 MB unless the case says).

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::util::{repo_root, stderr};

/// A run slower than this is a hang. The corpus takes well under a second.
const TIME_LIMIT: Duration = Duration::from_secs(30);
/// The big cases inflate gigabytes, yet each takes seconds; a minute is a
/// hang (or quadratic work).
const BIG_TIME_LIMIT: Duration = Duration::from_mins(1);
/// Peak RSS allowed on a big case unless it says (`max_rss_mb`): layers
/// stream, so memory grows with the number of entries, never with their
/// size, and `--max-entries` bounds the entries.
const BIG_RSS_LIMIT_MB: u64 = 500;

/// One row of `cases.json`; unknown keys are refused so a new kind of
/// expectation cannot go unchecked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    file: String,
    expect_exit: i32,
    why: String,
    #[allow(dead_code)]
    format: String,
    #[serde(default)]
    big: bool,
    #[serde(default)]
    expect_paths: Vec<String>,
    #[serde(default)]
    expect_absent: Vec<String>,
    #[serde(default)]
    expect_path_bytes_hex: Vec<String>,
    #[serde(default)]
    expect_sizes: BTreeMap<String, u64>,
    expect_warning_substring: Option<String>,
    expect_error_substring: Option<String>,
    /// This big case's peak-RSS bound in MB (10^6 bytes).
    max_rss_mb: Option<u64>,
}

fn corpus_dir() -> PathBuf {
    repo_root().join("tests/hostile/corpus")
}

fn generator() -> PathBuf {
    repo_root().join("tests/hostile/generate.py")
}

fn read_cases(dir: &Path) -> Vec<Case> {
    let raw = std::fs::read(dir.join("cases.json")).expect("read cases.json");
    serde_json::from_slice(&raw).expect("cases.json has the documented shape")
}

/// Runs `cmd` with piped output, killing it after `limit`. It runs in its
/// own process group, so a wrapper's child (`time ballast ...`) dies too.
fn run_limited(mut cmd: Command, limit: Duration) -> Result<Output, String> {
    let mut child = cmd
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start: {e}"))?;
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let err = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let start = Instant::now();
    let status: ExitStatus = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if start.elapsed() > limit {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("hang: still running after {limit:?}; killed"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Ok(Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    })
}

fn ballast_cmd(path: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ballast"));
    c.arg(path)
        .args(["--json", "-"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    c
}

/// The same archive piped in: the streaming loader, a separate code path.
fn ballast_stdin_cmd(path: &Path) -> Result<Command, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("open: {e}"))?;
    let mut c = Command::new(env!("CARGO_BIN_EXE_ballast"));
    c.args(["-", "--json", "-"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::from(file));
    Ok(c)
}

/// What is wrong with the binary's run of `case` on the input it calls
/// `label`; empty when all is well.
fn check_run(case: &Case, label: &str, o: &Output) -> Vec<String> {
    let mut bad = Vec::new();
    let err = stderr(o);
    if err.contains("panicked") {
        bad.push(format!("panicked: {}", err.trim_end()));
    }
    if o.status.code() != Some(case.expect_exit) {
        bad.push(format!(
            "exit {:?}, want {}; stderr: {}",
            o.status.code(),
            case.expect_exit,
            err.trim_end()
        ));
        return bad;
    }
    if case.expect_exit == 2 {
        let lines = err.trim_end().lines().count();
        if lines != 1 {
            bad.push(format!("{lines} stderr lines, want 1: {err:?}"));
        }
        if !err.starts_with("ballast: error: ") {
            bad.push(format!("stderr is not `ballast: error: ...`: {err:?}"));
        }
        // The phrase must be in the problem, not in the file's name.
        let Some((_, problem)) = err.split_once(&format!("{label}: ")) else {
            bad.push(format!("stderr does not name {label}: {err:?}"));
            return bad;
        };
        if let Some(want) = &case.expect_error_substring
            && !problem.to_lowercase().contains(&want.to_lowercase())
        {
            bad.push(format!("stderr does not say {want:?}: {err:?}"));
        }
        return bad;
    }
    let report: serde_json::Value = match serde_json::from_slice(&o.stdout) {
        Ok(v) => v,
        Err(e) => {
            bad.push(format!("stdout is not JSON: {e}"));
            return bad;
        }
    };
    for key in ["layers", "steps", "warnings"] {
        if report.get(key).is_none() {
            bad.push(format!("report has no `{key}`"));
        }
    }
    if let Some(want) = &case.expect_warning_substring {
        let warnings: Vec<&str> = report["warnings"]
            .as_array()
            .map(|a| a.iter().filter_map(|w| w.as_str()).collect())
            .unwrap_or_default();
        if !warnings
            .iter()
            .any(|w| w.to_lowercase().contains(&want.to_lowercase()))
        {
            bad.push(format!("no warning says {want:?}: {warnings:?}"));
        }
    }
    bad
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex in cases.json"))
        .collect()
}

fn show(path: &[u8]) -> String {
    let s = String::from_utf8_lossy(path);
    if s.len() > 80 {
        format!("{}...({} bytes)", &s[..40], path.len())
    } else {
        format!("{s:?}")
    }
}

/// Checks the final tree of a valid case through the library.
fn check_tree(case: &Case, path: &Path) -> Vec<String> {
    let input = ballast::archive::Input::Path(path.to_path_buf());
    let run = catch_unwind(AssertUnwindSafe(|| {
        ballast::run_pipeline(&input, &ballast::Options::default())
    }));
    let analysis = match run {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => return vec![format!("library refused it: {}", e.one_line())],
        Err(_) => return vec!["library panicked".into()],
    };
    let mut bad = Vec::new();
    let last = analysis.image.layers.len().checked_sub(1);
    let state = |p: &[u8]| {
        let id = analysis.image.tree.lookup(p)?;
        analysis
            .image
            .state_at(id, last?)
            .map(|s| (s.size(), s.is_dir()))
    };
    let present = case
        .expect_paths
        .iter()
        .map(|p| p.as_bytes().to_vec())
        .chain(case.expect_path_bytes_hex.iter().map(|h| unhex(h)));
    for p in present {
        if state(&p).is_none() {
            bad.push(format!("{} missing from the final tree", show(&p)));
        }
    }
    for p in &case.expect_absent {
        if state(p.as_bytes()).is_some() {
            bad.push(format!("{} present, want absent", show(p.as_bytes())));
        }
    }
    for (p, &want) in &case.expect_sizes {
        match state(p.as_bytes()) {
            Some((got, false)) if got == want => {}
            got => bad.push(format!(
                "{}: (size, is_dir) {got:?}, want a {want}-byte file",
                show(p.as_bytes())
            )),
        }
    }
    bad
}

/// Runs every case whose file is in `dir`; the failures, one line each.
fn run_cases(dir: &Path, big: bool, limit: Duration, measure: Option<&Path>) -> Vec<String> {
    let mut failures = Vec::new();
    for case in read_cases(dir).into_iter().filter(|c| c.big == big) {
        let path = dir.join(&case.file);
        if !path.is_file() {
            if big {
                failures.push(format!("{}: not generated", case.file));
            } else {
                failures.push(format!("{}: listed but absent", case.file));
            }
            continue;
        }
        let started = Instant::now();
        let label = path.display().to_string();
        let (cmd, stats) = match measure {
            Some(time) => {
                let stats = dir.join(format!("{}.time", case.file));
                let mut c = Command::new(time);
                c.arg("-v").arg("-o").arg(&stats);
                c.arg(env!("CARGO_BIN_EXE_ballast"))
                    .arg(&path)
                    .args(["--json", "-"])
                    .env("NO_COLOR", "1")
                    .stdin(Stdio::null());
                (c, Some(stats))
            }
            None => (ballast_cmd(&path), None),
        };
        let run = run_limited(cmd, limit);
        let finished = run.is_ok();
        let mut bad = match run {
            Err(e) => vec![e],
            Ok(o) => {
                let mut bad = check_run(&case, &label, &o);
                if bad.is_empty() && case.expect_exit == 0 {
                    bad.extend(check_tree(&case, &path));
                }
                bad
            }
        };
        let mut note = String::new();
        if let Some(stats) = stats.filter(|_| finished) {
            match max_rss_kib(&stats) {
                Some(kib) => {
                    let mb = kib * 1024 / 1_000_000;
                    let limit = case.max_rss_mb.unwrap_or(BIG_RSS_LIMIT_MB);
                    note = format!(" (max RSS {mb} MB of {limit})");
                    if kib * 1024 > limit * 1_000_000 {
                        bad.push(format!("peak RSS {mb} MB over the {limit} MB bound"));
                    }
                }
                None => bad.push(format!("no RSS figure in {}", stats.display())),
            }
        }
        if !big {
            let piped = ballast_stdin_cmd(&path).and_then(|c| run_limited(c, limit));
            match piped {
                Err(e) => bad.push(format!("stdin: {e}")),
                Ok(o) => bad.extend(
                    check_run(&case, "<stdin>", &o)
                        .into_iter()
                        .map(|b| format!("stdin: {b}")),
                ),
            }
        }
        let secs = started.elapsed().as_secs_f64();
        if bad.is_empty() {
            eprintln!("ok    {} [{secs:.2}s]{note}", case.file);
        } else {
            eprintln!("FAIL  {} [{secs:.2}s]{note} ({})", case.file, case.why);
            for b in &bad {
                eprintln!("        {b}");
                failures.push(format!("{}: {b}", case.file));
            }
        }
    }
    failures
}

fn max_rss_kib(stats: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(stats).ok()?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
}

fn python3() -> Option<&'static str> {
    let ok = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Some("python3")
    } else {
        eprintln!("SKIPPED: python3 is not installed");
        None
    }
}

/// GNU time, when installed (`-v` reports the peak RSS).
fn gnu_time() -> Option<PathBuf> {
    let time = PathBuf::from("/usr/bin/time");
    let works = Command::new(&time)
        .args(["-v", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .is_ok_and(|o| o.status.success() && stderr(&o).contains("Maximum resident set size"));
    works.then_some(time)
}

#[test]
fn hostile_corpus_gives_clean_errors_or_correct_trees() {
    let failures = run_cases(&corpus_dir(), false, TIME_LIMIT, None);
    assert!(
        failures.is_empty(),
        "{} hostile case checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn hostile_corpus_lists_every_file() {
    let dir = corpus_dir();
    let listed: Vec<String> = read_cases(&dir).into_iter().map(|c| c.file).collect();
    for entry in std::fs::read_dir(&dir).expect("read corpus dir") {
        let name = entry.expect("dir entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            name == "cases.json" || listed.iter().any(|f| *f == name),
            "{name} is in the corpus but not in cases.json"
        );
    }
}

/// The committed corpus is exactly what the generator writes, so a case's
/// `why` describes the bytes that are tested.
#[test]
fn hostile_corpus_matches_its_generator() {
    let Some(py) = python3() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let status = Command::new(py)
        .arg(generator())
        .arg(tmp.path())
        .stderr(Stdio::null())
        .status()
        .expect("run generate.py");
    assert!(status.success(), "generate.py failed");
    let committed = corpus_dir();
    for case in read_cases(tmp.path()).iter().filter(|c| !c.big) {
        let fresh = std::fs::read(tmp.path().join(&case.file)).expect("generated file");
        let old = std::fs::read(committed.join(&case.file)).unwrap_or_default();
        assert!(
            fresh == old,
            "{} differs from generate.py's output; rerun `python3 tests/hostile/generate.py`",
            case.file
        );
    }
    let fresh = std::fs::read(tmp.path().join("cases.json")).expect("cases.json");
    let old = std::fs::read(committed.join("cases.json")).expect("cases.json");
    assert!(fresh == old, "cases.json differs from generate.py's output");
}

/// Gigabyte bombs and a million entries, under a memory bound. Opt-in:
/// `BALLAST_BIG_TESTS=1` (generating takes ~35 s, running about a minute).
#[test]
fn hostile_big_cases_stay_bounded() {
    if std::env::var("BALLAST_BIG_TESTS").as_deref() != Ok("1") {
        eprintln!("SKIPPED: set BALLAST_BIG_TESTS=1 to run the big hostile cases");
        return;
    }
    let Some(py) = python3() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let status = Command::new(py)
        .arg(generator())
        .arg(tmp.path())
        .arg("--big")
        .status()
        .expect("run generate.py --big");
    assert!(status.success(), "generate.py --big failed");
    let time = gnu_time();
    if time.is_none() {
        eprintln!("NOTE: /usr/bin/time -v is unavailable; peak memory is not checked");
    }
    let failures = run_cases(tmp.path(), true, BIG_TIME_LIMIT, time.as_deref());
    assert!(
        failures.is_empty(),
        "{} big hostile case checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

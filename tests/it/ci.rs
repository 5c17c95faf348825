//! The CI contract: `--ci` never passes by accident (dive's default rules
//! when no budget is set, unknown names refused), one waste denominator,
//! outputs that never collide, clap errors in one line, and the outputs
//! each CI system reads (GitHub step summary and annotations, SARIF, GitLab
//! Code Quality, JUnit) checked against their published schemas.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::util::{assert_clean_failure, ballast, dive_fixtures, repo_root, sample, stderr};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs ballast in `dir` (no `ballast.toml` or `.dive-ci` there unless the
/// test writes one), with `env` added and GitHub's variables removed.
fn ballast_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ballast"));
    c.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run ballast")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The failed checks' names from `--ci` text output.
fn failed_rules(out: &str) -> Vec<String> {
    let mut v: Vec<String> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("FAIL  "))
        .map(|l| l.split(':').next().unwrap_or("").to_string())
        .collect();
    v.sort();
    v
}

/// `dive --ci --source docker-archive X` with no `.dive-ci` (its default
/// rules), recorded with dive 0.13.1 on 2026-12-02: (archive, exit code,
/// failed rules). `None` archives are dive's fixtures, the rest samples.
const DIVE_DEFAULT_VERDICTS: [(Option<&str>, &str, i32, &[&str]); 12] = [
    (
        None,
        "test-docker-image.tar",
        1,
        &["highestUserWastedPercent"],
    ),
    (
        None,
        "test-kaniko-image.tar",
        1,
        &["highestUserWastedPercent"],
    ),
    (None, "test-oci-gzip-image.tar", 0, &[]),
    (None, "test-oci-zstd-image.tar", 0, &[]),
    (None, "test-oci-uncompressed-image.tar", 0, &[]),
    (None, "test-oci-estargz-image.tar", 0, &[]),
    (Some("s"), "clean.docker.tar", 0, &[]),
    (Some("s"), "clean.oci.tar", 0, &[]),
    (Some("s"), "ml-cuda.oci.tar", 0, &[]),
    (
        Some("s"),
        "ml-mistakes.docker.tar",
        1,
        &["highestUserWastedPercent", "lowestEfficiency"],
    ),
    (
        Some("s"),
        "ml-mistakes.oci.tar",
        1,
        &["highestUserWastedPercent", "lowestEfficiency"],
    ),
    (
        Some("s"),
        "ml-mistakes.oci-zstd.tar",
        1,
        &["highestUserWastedPercent", "lowestEfficiency"],
    ),
];

fn verdict_archives() -> Vec<(PathBuf, i32, &'static [&'static str])> {
    let fixtures = dive_fixtures();
    DIVE_DEFAULT_VERDICTS
        .iter()
        .filter_map(|(kind, name, code, failed)| {
            let path = match kind {
                None => fixtures.as_ref()?.join(name),
                Some(_) => sample(name),
            };
            Some((path, *code, *failed))
        })
        .collect()
}

#[test]
fn ci_without_budgets_applies_dive_defaults_and_says_so_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (img, code, failed) in verdict_archives() {
        let o = ballast_in(dir.path(), &[s(&img), "--ci"], &[]);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(code), "{}: {out}", img.display());
        assert!(
            out.lines()
                .next()
                .is_some_and(|l| l.starts_with("No budget set")
                    && l.contains("dive 0.13.1's default rules")
                    && l.contains("lowestEfficiency 0.9")
                    && l.contains("highestUserWastedPercent 0.1")),
            "{out}"
        );
        assert_eq!(failed_rules(&out), failed, "{}", img.display());
    }
    // Any budget at all, and the defaults step aside.
    let img = sample("ml-mistakes.docker.tar");
    let o = ballast_in(dir.path(), &[s(&img), "--ci", "--max-size", "1GB"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(!stdout(&o).contains("No budget set"));
}

/// With dive installed (`DIVE_BIN`, or `dive` on PATH), dive's own
/// verdicts with its defaults must still be the recorded ones. OCI
/// archives without a `manifest.json` and with several layers are left
/// out: dive orders their layers at random (the recorded verdict holds for
/// ballast's correct order).
#[test]
fn live_dive_defaults_agree_when_installed() {
    let dive = std::env::var("DIVE_BIN").unwrap_or_else(|_| "dive".into());
    if Command::new(&dive).arg("--version").output().is_err() {
        eprintln!("SKIPPED: no dive binary (set DIVE_BIN to compare live)");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for (img, code, failed) in verdict_archives() {
        let name = img.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if matches!(
            name,
            "ml-mistakes.oci.tar"
                | "ml-mistakes.oci-zstd.tar"
                | "clean.oci.tar"
                | "ml-cuda.oci.tar"
        ) {
            continue;
        }
        let o = Command::new(&dive)
            .args(["--ci", "--source", "docker-archive"])
            .arg(&img)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("run dive");
        assert_eq!(o.status.code(), Some(code), "dive --ci on {name}");
        // dive prints `FAIL: rule: why`, the FAIL in color.
        let out = stdout(&o)
            .replace("\x1b[1;7;31m", "")
            .replace("\x1b[0m", "");
        let mut dive_failed: Vec<&str> = out
            .lines()
            .filter_map(|l| l.trim().strip_prefix("FAIL: "))
            .map(|l| l.split(':').next().unwrap_or(""))
            .collect();
        dive_failed.sort_unstable();
        assert_eq!(dive_failed, failed, "dive --ci on {name}");
        eprintln!("dive --ci on {name}: exit {code}, failed {failed:?}, as recorded");
    }
}

#[test]
fn unknown_categories_are_refused_listing_the_known_ones() {
    let img = sample("clean.oci.tar");
    let img = s(&img);
    let o = ballast(&[img, "--ci", "--max-category", "cachee=1kB"]);
    assert_clean_failure(&o, "--max-category", "unknown category \"cachee\"");
    assert!(
        stderr(&o).contains("known: build-order, build-tooling, cache,"),
        "{}",
        stderr(&o)
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("ballast.toml"),
        "[budget.max_category]\ncachee = \"1kB\"\n",
    )
    .expect("write");
    let o = ballast_in(dir.path(), &[img, "--ci"], &[]);
    assert_clean_failure(
        &o,
        "ballast.toml",
        "budget.max_category: unknown category \"cachee\"",
    );
    // A category a user rule adds is known.
    std::fs::write(
        dir.path().join("ballast.toml"),
        "[budget.max_category]\nlogs = \"1kB\"\n[[rule]]\nid = \"logs\"\ncategory = \"logs\"\npaths = [\"**/*.log\"]\nmessage = \"logs\"\nsuggestion = \"delete them\"\n",
    )
    .expect("write");
    let o = ballast_in(dir.path(), &[img, "--ci"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("PASS  max-category logs"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn unknown_rules_and_keys_are_refused_listing_the_known_ones() {
    let img = sample("clean.oci.tar");
    let img = s(&img);
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "[[rule]]\nid = \"pip-cahce\"\ndisabled = true\n").expect("write");
    let o = ballast(&[img, "--rules", s(&rules)]);
    assert_clean_failure(&o, "rules.toml", "rule pip-cahce: no rule has this id");
    assert!(
        stderr(&o).contains("known: ") && stderr(&o).contains("pip-cache"),
        "{}",
        stderr(&o)
    );
    let ci = dir.path().join(".dive-ci");
    std::fs::write(&ci, "rules:\n  lowestEfficency: 0.999\n").expect("write");
    let o = ballast(&[img, "--ci-config", s(&ci)]);
    assert_clean_failure(
        &o,
        ".dive-ci",
        "line 2: unknown key `rules.lowestEfficency`",
    );
    assert!(
        stderr(&o).contains("rules.lowestEfficiency"),
        "{}",
        stderr(&o)
    );
    let o = ballast_in(dir.path(), &[img, "--ci"], &[]);
    assert_clean_failure(&o, ".dive-ci", "unknown key");
    let cfg = dir.path().join("ballast.toml");
    std::fs::write(&cfg, "[budget]\nmax_sise = \"1GB\"\n").expect("write");
    let o = ballast(&[img, "--config", s(&cfg)]);
    assert_clean_failure(&o, "ballast.toml", "known: max_size");
}

/// Every category the sample images produce is one a budget may name.
#[test]
fn every_category_found_is_known() {
    let rules = ballast::analyze::rules::RuleSet::load(None).expect("rules");
    let known = ballast::analyze::categories::known(&rules);
    for name in ["ml-mistakes.docker.tar", "ml-cuda.oci.tar", "clean.oci.tar"] {
        let o = ballast(&[s(&sample(name)), "--json", "-"]);
        let r: Value = serde_json::from_slice(&o.stdout).expect("json");
        for f in r["findings"].as_array().expect("findings") {
            let c = f["category"].as_str().expect("category");
            assert!(known.contains(c), "{name}: {c} is not in {known:?}");
        }
    }
}

/// The summary's waste percentage and `--max-waste-percent` divide by the
/// same figure: the image size, all layers.
#[test]
fn waste_percentages_share_one_denominator() {
    let img = sample("ml-mistakes.docker.tar");
    let o = ballast(&[s(&img), "--ci", "--max-waste-percent", "1%", "--json", "-"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).expect("json");
    let check = &r["budget"]["checks"][0];
    assert_eq!(check["name"], "max-waste-percent");
    let budget = check["actual"].as_f64().expect("ratio");
    let reclaimable = r["summary"]["reclaimable_bytes"].as_f64().expect("bytes");
    let size = r["image"]["size_bytes"].as_f64().expect("bytes");
    assert!((budget - reclaimable / size).abs() < 1e-12, "{budget}");
    // The text summary went to stderr (the JSON holds stdout).
    let text = stderr(&o);
    let line = text
        .lines()
        .find(|l| l.starts_with("Waste: "))
        .expect("waste line");
    let shown: f64 = line
        .split('(')
        .nth(1)
        .and_then(|t| t.split(" %").next())
        .and_then(|t| t.parse().ok())
        .expect("a percentage");
    assert!((shown - budget * 100.0).abs() <= 0.05, "{line} vs {budget}");
    assert!(
        line.contains("of the image's") && line.contains("all layers"),
        "{line}"
    );
}

#[test]
fn conflicting_outputs_are_refused_in_one_line() {
    let img = sample("clean.oci.tar");
    let img = s(&img);
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.out");
    for (args, phrase) in [
        (
            vec!["--json", "-", "--format", "markdown"],
            "--json -, --format markdown all write to stdout",
        ),
        (
            vec!["--json", "--markdown", "-"],
            "--json -, --markdown - all write to stdout",
        ),
        (
            vec!["--sarif", "-", "--junit", "-"],
            "--sarif -, --junit - all write to stdout",
        ),
        (
            vec!["--codequality", "-", "--ci", "--format", "text"],
            "--codequality -, --format text",
        ),
        (
            vec!["--json", s(&a), "--sarif", s(&a)],
            "--json and --sarif both write",
        ),
    ] {
        let mut all = vec![img];
        all.extend(args);
        let o = ballast(&all);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{all:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(
            err.starts_with("ballast: error: ") && err.contains(phrase),
            "{err}"
        );
    }
    assert!(!a.exists());
}

#[test]
fn dash_is_stdout_for_every_output_and_ci_markdown_is_markdown() {
    let img = sample("ml-mistakes.docker.tar");
    let img = s(&img);
    let dir = tempfile::tempdir().expect("tempdir");
    let o = ballast_in(dir.path(), &[img, "--markdown", "-"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("### ballast: "), "{}", stdout(&o));
    assert!(!dir.path().join("-").exists(), "no file named `-`");
    for (flag, starts) in [
        ("--sarif", "{"),
        ("--codequality", "["),
        ("--junit", "<?xml"),
    ] {
        let o = ballast_in(dir.path(), &[img, flag, "-"], &[]);
        assert_eq!(o.status.code(), Some(0), "{flag}: {}", stderr(&o));
        assert!(stdout(&o).starts_with(starts), "{flag}: {}", stdout(&o));
        assert!(!dir.path().join("-").exists(), "{flag}: no file named `-`");
    }
    // `--ci --format markdown` does what it says: Markdown with the budget
    // table, after the dive-defaults line.
    let o = ballast_in(dir.path(), &[img, "--ci", "--format", "markdown"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let mut lines = out.lines();
    assert!(
        lines.next().is_some_and(|l| l.starts_with("No budget set")),
        "{out}"
    );
    assert!(
        out.contains("### ballast: ") && out.contains("| lowestEfficiency | **FAIL** |"),
        "{out}"
    );
    assert!(
        !out.contains("Result: FAIL"),
        "no text verdict in Markdown: {out}"
    );
    // With another output on stdout, the CI text goes to stderr.
    let o = ballast_in(dir.path(), &[img, "--ci", "--junit", "-"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("<?xml"));
    assert!(stderr(&o).contains("Result: FAIL"), "{}", stderr(&o));
}

#[test]
fn clap_errors_are_one_line_and_help_still_works() {
    for args in [
        vec!["x.tar", "--max-sise", "1GB"],
        vec![],
        vec!["x.tar", "--format", "html"],
        vec!["x.tar", "y.tar"],
    ] {
        let o = ballast(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("ballast: error: "), "{err}");
        assert!(err.contains("ballast --help"), "{err}");
    }
    let o = ballast(&["x.tar", "--max-sise", "1GB"]);
    assert!(
        stderr(&o).contains("--max-size"),
        "the tip survives: {}",
        stderr(&o)
    );
    for flag in ["--help", "-h", "--version", "-V"] {
        let o = ballast(&[flag]);
        assert_eq!(o.status.code(), Some(0), "{flag}");
        assert!(stdout(&o).contains("ballast"), "{flag}");
    }
}

fn validator(file: &str) -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(repo_root().join("tests/schemas").join(file)).expect("schema");
    let v: Value = serde_json::from_str(&text).expect("schema json");
    jsonschema::validator_for(&v).expect("valid schema")
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

/// The images whose outputs are checked: every sample, with and without a
/// failed budget.
const OUTPUT_IMAGES: [&str; 4] = [
    "ml-mistakes.docker.tar",
    "ml-cuda.oci.tar",
    "clean.oci.tar",
    "ml-mistakes.oci-zstd.tar",
];

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let schema = validator("sarif-2.1.0.json");
    for name in OUTPUT_IMAGES {
        let img = sample(name);
        let o = ballast(&[s(&img), "--ci", "--max-size", "1MB", "--sarif", "-"]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        let log: Value = serde_json::from_slice(&o.stdout).expect("json");
        assert_valid(&schema, &log, name);
        let report = crate::util::json_of(&ballast(&[s(&img), "--json", "-"]));
        let findings = report["findings"].as_array().expect("findings");
        let run = &log["runs"][0];
        let results = run["results"].as_array().expect("results");
        // One result per finding, plus the failed budget.
        assert_eq!(results.len(), findings.len() + 1, "{name}");
        let rules: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|r| r["id"].as_str().expect("id"))
            .collect();
        for (res, f) in results.iter().zip(findings) {
            assert_eq!(res["ruleId"], f["rule"]);
            let i = usize::try_from(res["ruleIndex"].as_u64().expect("index")).expect("fits");
            assert_eq!(rules[i], f["rule"].as_str().expect("rule"));
            assert_eq!(res["properties"]["bytes"], f["bytes"]);
            let level = res["level"].as_str().expect("level");
            let want = match f["severity"].as_str().expect("severity") {
                "high" => "error",
                "medium" => "warning",
                _ => "note",
            };
            assert_eq!(level, want);
            let fp = res["partialFingerprints"]["ballastFinding/v1"]
                .as_str()
                .expect("fingerprint");
            assert_eq!(fp.len(), 32);
            assert_eq!(
                res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                run["artifacts"][0]["location"]["uri"]
            );
        }
        let last = results.last().expect("budget result");
        assert_eq!(last["ruleId"], "budget/max-size");
        assert_eq!(last["level"], "error");
    }
    // The same image saved twice gives the same fingerprints.
    let fps = |name: &str| -> Vec<Value> {
        let o = ballast(&[s(&sample(name)), "--sarif", "-"]);
        let log: Value = serde_json::from_slice(&o.stdout).expect("json");
        log["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["partialFingerprints"].clone())
            .collect()
    };
    assert_eq!(fps("ml-mistakes.docker.tar"), fps("ml-mistakes.oci.tar"));
}

#[test]
fn codequality_validates_against_gitlabs_report_format() {
    let schema = validator("gitlab-codequality.schema.json");
    for name in OUTPUT_IMAGES {
        let img = sample(name);
        let o = ballast(&[s(&img), "--ci", "--max-size", "1MB", "--codequality", "-"]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        let issues: Value = serde_json::from_slice(&o.stdout).expect("json");
        assert_valid(&schema, &issues, name);
        let issues = issues.as_array().expect("array");
        let report = crate::util::json_of(&ballast(&[s(&img), "--json", "-"]));
        assert_eq!(
            issues.len(),
            report["findings"].as_array().expect("findings").len() + 1
        );
        let mut fps: Vec<&str> = issues
            .iter()
            .map(|i| i["fingerprint"].as_str().expect("fp"))
            .collect();
        fps.sort_unstable();
        fps.dedup();
        assert_eq!(fps.len(), issues.len(), "{name}: fingerprints are unique");
        assert!(issues.iter().all(|i| i["location"]["path"] == s(&img)));
        assert_eq!(issues.last().expect("budget")["severity"], "critical");
    }
}

/// Validates `xml` against `tests/schemas/junit-10.xsd` with Python's
/// `xmlschema`; false (after a SKIPPED line) when no Python has it.
fn xsd_valid(xml: &Path) -> Option<Result<(), String>> {
    let xsd = repo_root().join("tests/schemas/junit-10.xsd");
    let script = "import sys, xmlschema\nxmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])\n";
    let candidates: Vec<String> = std::env::var("BALLAST_PYTHON")
        .into_iter()
        .chain(["python3".to_string(), "/usr/bin/python3".to_string()])
        .collect();
    for py in candidates {
        let has = Command::new(&py)
            .args(["-c", "import xmlschema"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !has {
            continue;
        }
        let o = Command::new(&py)
            .args(["-c", script])
            .arg(&xsd)
            .arg(xml)
            .output()
            .expect("run python");
        return Some(if o.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&o.stderr).into_owned())
        });
    }
    eprintln!(
        "SKIPPED: the JUnit XSD check needs Python's xmlschema (apt-get install python3-xmlschema)"
    );
    None
}

#[test]
fn junit_has_one_test_case_per_budget_and_validates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let img = sample("ml-mistakes.docker.tar");
    let xml = dir.path().join("junit.xml");
    let o = ballast_in(
        dir.path(),
        &[
            s(&img),
            "--ci",
            "--max-size",
            "1MB",
            "--max-waste",
            "1GB",
            "--max-category",
            "cache=1kB",
            "--junit",
            s(&xml),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = std::fs::read_to_string(&xml).expect("junit written");
    // Structure, checked without a parser: three cases, two failures,
    // every element closed.
    assert_eq!(text.matches("<testcase ").count(), 3, "{text}");
    assert_eq!(text.matches("</testcase>").count(), 3);
    assert_eq!(text.matches("<failure ").count(), 2);
    assert!(
        text.contains(r#"<testsuites name="ballast" tests="3" failures="2" errors="0">"#),
        "{text}"
    );
    assert!(text.contains(r#"<testcase name="max-category cache" classname="ballast.budget">"#));
    assert!(text.trim_end().ends_with("</testsuites>"));
    if let Some(r) = xsd_valid(&xml) {
        r.expect("valid JUnit");
    }
    // The XSD bites: a test case without a name is refused.
    let bad = dir.path().join("bad.xml");
    std::fs::write(
        &bad,
        text.replace(r#"<testcase name="max-size" "#, "<testcase "),
    )
    .expect("write");
    if let Some(r) = xsd_valid(&bad) {
        assert!(r.is_err(), "a nameless test case must not validate");
    }
    // No budgets: an empty suite, still valid; the dive defaults are two.
    for (args, cases) in [(vec![], 0), (vec!["--ci"], 2)] {
        let mut all = vec![s(&img), "--junit", s(&xml)];
        all.extend(args);
        let _ = ballast_in(dir.path(), &all, &[]);
        let text = std::fs::read_to_string(&xml).expect("junit written");
        assert_eq!(text.matches("<testcase ").count(), cases, "{text}");
        if let Some(r) = xsd_valid(&xml) {
            r.expect("valid JUnit");
        }
    }
}

#[test]
fn github_actions_gets_a_step_summary_and_annotations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step output\n").expect("write");
    let img = sample("ml-mistakes.docker.tar");
    let o = ballast_in(
        dir.path(),
        &[s(&img), "--ci", "--max-size", "1MB", "--json", "-"],
        &[
            ("GITHUB_STEP_SUMMARY", s(&summary)),
            ("GITHUB_ACTIONS", "true"),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    serde_json::from_slice::<Value>(&o.stdout).expect("stdout is still only the JSON");
    let md = std::fs::read_to_string(&summary).expect("summary");
    assert!(
        md.starts_with("earlier step output\n### ballast: "),
        "appended: {md}"
    );
    assert!(md.contains("| max-size | **FAIL** |"), "{md}");
    assert!(
        md.contains("<details><summary>")
            && md.matches("<details>").count() == md.matches("</details>").count(),
        "{md}"
    );
    let err = stderr(&o);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("::error ")).collect();
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("::warning "))
        .collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        errors[0].starts_with("::error title=ballast%3A over budget (max-size)::image size is"),
        "{}",
        errors[0]
    );
    assert_eq!(warnings.len(), 10, "at most ten: {err}");
    assert!(
        warnings
            .iter()
            .all(|w| w.contains("title=ballast%3A ") && !w.contains('\r'))
    );
    // Not in GitHub Actions: no annotations, no summary.
    let o = ballast_in(dir.path(), &[s(&img), "--ci"], &[]);
    assert!(!stderr(&o).contains("::warning"));
}

/// A report as large as a 300k-file image's can make it: 300k findings with
/// long paths, 300k inefficient files, 400 steps. The step summary stays
/// within GitHub's 1 MiB, its tables cut at a row with every `<details>`
/// closed.
#[test]
fn step_summary_stays_under_one_mib_on_a_huge_report() {
    let input = ballast::archive::Input::parse(s(&sample("ml-mistakes.docker.tar")));
    let a = ballast::run_pipeline(&input, &ballast::Options::default()).expect("analysis");
    let mut r = a.report;
    let f0 = r.findings[0].clone();
    let long = "usr/lib/python3/site-packages/".repeat(20);
    r.findings = (0..300_000)
        .map(|i| {
            let mut f = f0.clone();
            f.message = format!("{} #{i} {}", f0.message, "|`<x>".repeat(50));
            f.paths = vec![ballast::analyze::report::PathBytes(
                format!("{long}{i}").into_bytes(),
            )];
            f
        })
        .collect();
    let step0 = r.steps[0].clone();
    r.steps = (0..400)
        .map(|i| {
            let mut st = step0.clone();
            st.index = i;
            st.instruction = format!("RUN {}", "pip install x && ".repeat(100));
            st
        })
        .collect();
    let file0 = r
        .dive
        .inefficient_files
        .first()
        .cloned()
        .expect("dive files");
    r.dive.inefficient_files = vec![file0; 300_000];
    let limit = usize::try_from(ballast::present::github::STEP_SUMMARY_LIMIT).expect("fits");
    let md = ballast::present::github::step_summary(&r, limit);
    assert!(md.len() <= limit, "{} bytes", md.len());
    assert!(md.len() > limit / 2, "the room is used: {} bytes", md.len());
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    assert!(md.contains("more rows left out"), "the cut is said");
    for line in md.lines().filter(|l| l.starts_with('|')) {
        assert!(line.ends_with('|'), "a row cut in the middle: {line}");
    }
    // And with a nearly full summary file: still within what is left.
    let md = ballast::present::github::step_summary(&r, 5000);
    assert!(md.len() <= 5000, "{}", md.len());
}

/// The lines of the block scalar `run: |` that follows `marker` in a YAML
/// text, unindented.
fn run_block(yaml: &str, marker: &str) -> String {
    let from = yaml.find(marker).expect("marker");
    let rest = &yaml[from..];
    let start = rest.find("run: |\n").expect("run block") + "run: |\n".len();
    let body = &rest[start..];
    let indent = body.len() - body.trim_start_matches(' ').len();
    body.lines()
        .take_while(|l| l.is_empty() || l.starts_with(&" ".repeat(indent)))
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The value of the first `key: value` line after `after`.
fn yaml_value<'a>(yaml: &'a str, after: &str, key: &str) -> &'a str {
    let from = yaml.find(after).expect("section");
    yaml[from..]
        .lines()
        .find_map(|l| l.trim().strip_prefix(key))
        .map(str::trim)
        .expect("key")
}

#[test]
fn documented_ci_jobs_run_as_written() {
    let root = repo_root();
    let read = |p: &str| std::fs::read_to_string(root.join(p)).expect(p);
    let (doc, gh, gl, action) = (
        read("docs/ci.md"),
        read("docs/examples/github-workflow.yml"),
        read("docs/examples/gitlab-ci.yml"),
        read("action.yml"),
    );
    assert!(
        doc.contains(gh.trim_end()),
        "docs/ci.md shows the workflow as tested"
    );
    assert!(
        doc.contains(gl.trim_end()),
        "docs/ci.md shows the GitLab job as tested"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path();
    std::fs::copy(sample("ml-mistakes.docker.tar"), work.join("app.tar")).expect("copy");
    // Where the action's install step puts the binary.
    let bin = work.join("runner/ballast/bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ballast"), bin.join("ballast")).expect("link");
    assert!(action.contains(
        r#"cargo install --locked --path "$GITHUB_ACTION_PATH" --root "$RUNNER_TEMP/ballast""#
    ));

    // GitHub: the action's run step, with the workflow's inputs.
    let script = run_block(&action, "- name: Run ballast");
    let summary = work.join("step-summary.md");
    let o = Command::new("bash")
        .args(["-e", "-c", &script])
        .current_dir(work)
        .env(
            "BALLAST_IMAGE",
            yaml_value(&gh, "uses: OWNER/ballast", "image:"),
        )
        .env(
            "BALLAST_ARGS",
            yaml_value(&gh, "uses: OWNER/ballast", "args:"),
        )
        .env("BALLAST_SARIF", yaml_value(&action, "sarif:", "default:"))
        .env("RUNNER_TEMP", work.join("runner"))
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_ACTIONS", "true")
        .env("NO_COLOR", "1")
        .output()
        .expect("run the action's script");
    // ml-mistakes wastes more than 10 %: the job fails on that budget.
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("FAIL  max-waste-percent"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("PASS  max-size"), "{}", stdout(&o));
    let sarif_path = work.join(yaml_value(&gh, "upload-sarif", "sarif_file:"));
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(&sarif_path).expect("the SARIF the upload step reads"),
    )
    .expect("json");
    assert_valid(&validator("sarif-2.1.0.json"), &sarif, "action's SARIF");
    assert!(
        std::fs::read_to_string(&summary)
            .expect("summary")
            .contains("### ballast: ")
    );
    assert!(
        stderr(&o)
            .lines()
            .any(|l| l.starts_with("::error title=ballast%3A over budget (max-waste-percent)"))
    );

    // GitLab: the job's ballast line, through a shell, with ballast on PATH.
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let lines: Vec<&str> = gl
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- ballast "))
        .collect();
    assert_eq!(lines.len(), 1, "{gl}");
    let o = Command::new("sh")
        .args(["-c", &format!("ballast {}", lines[0])])
        .current_dir(work)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .expect("run the GitLab job's command");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let cq = yaml_value(&gl, "reports:", "codequality:");
    let issues: Value =
        serde_json::from_str(&std::fs::read_to_string(work.join(cq)).expect("code quality report"))
            .expect("json");
    assert_valid(
        &validator("gitlab-codequality.schema.json"),
        &issues,
        "GitLab job's report",
    );
    let junit = work.join(yaml_value(&gl, "reports:", "junit:"));
    let xml = std::fs::read_to_string(&junit).expect("junit report");
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    if let Some(r) = xsd_valid(&junit) {
        r.expect("valid JUnit");
    }
}

/// The hook for the Dockerfile reader: with a step's line known, SARIF,
/// Code Quality and the annotations point at it (and stay valid).
#[test]
fn a_known_dockerfile_line_is_where_results_point() {
    use ballast::present::location::{Locations, SourceLocation};
    let input = ballast::archive::Input::parse(s(&sample("ml-mistakes.docker.tar")));
    let r = ballast::run_pipeline(&input, &ballast::Options::default())
        .expect("analysis")
        .report;
    let f = r
        .findings
        .iter()
        .max_by_key(|f| f.bytes)
        .expect("a finding");
    let step = f.step_index.expect("a step");
    let mut by_step = vec![None; r.steps.len()];
    by_step[step] = Some(SourceLocation {
        path: "docker/Dockerfile".into(),
        line: 7,
    });
    let loc = Locations::new(by_step);
    let sarif = ballast::present::sarif::log(&r, &loc);
    assert_valid(
        &validator("sarif-2.1.0.json"),
        &sarif,
        "SARIF with a location",
    );
    // The schemas bite: a level or severity they do not know is invalid.
    let mut bad = sarif.clone();
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator("sarif-2.1.0.json").is_valid(&bad));
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let pointed: Vec<&Value> = results
        .iter()
        .filter(|res| res["properties"]["step_index"] == step)
        .collect();
    assert!(!pointed.is_empty());
    for res in pointed {
        let phys = &res["locations"][0]["physicalLocation"];
        assert_eq!(phys["artifactLocation"]["uri"], "docker/Dockerfile");
        assert_eq!(phys["region"]["startLine"], 7);
    }
    let cq = ballast::present::codequality::issues(&r, &loc);
    assert_valid(
        &validator("gitlab-codequality.schema.json"),
        &cq,
        "Code Quality with a location",
    );
    let mut bad = cq.clone();
    bad[0]["severity"] = "urgent".into();
    assert!(!validator("gitlab-codequality.schema.json").is_valid(&bad));
    bad[0]["severity"] = "info".into();
    bad[0]["location"] = serde_json::json!({"path": "Dockerfile"});
    assert!(!validator("gitlab-codequality.schema.json").is_valid(&bad));
    assert!(cq.as_array().expect("issues").iter().any(|i| i["location"]
        == serde_json::json!({"path": "docker/Dockerfile", "lines": {"begin": 7}})));
    let notes = ballast::present::github::annotations(&r, &loc);
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("::warning file=docker/Dockerfile,line=7,title=")),
        "{notes:#?}"
    );
}

/// `--dockerfile` fills the location every CI printer points at: SARIF
/// results and Code Quality issues name the Dockerfile line the report
/// mapped the finding's step to.
#[test]
fn sarif_and_code_quality_point_at_the_mapped_dockerfile_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sarif_path = dir.path().join("out.sarif");
    let cq_path = dir.path().join("cq.json");
    let json_path = dir.path().join("report.json");
    // As a CI job names it: relative to the repository root, which is
    // where code scanning and GitLab look for it.
    let dockerfile = "sample-images/ml-mistakes/Dockerfile";
    let out = Command::new(env!("CARGO_BIN_EXE_ballast"))
        .current_dir(repo_root())
        .args([
            "sample-images/ml-mistakes.docker.tar",
            "--dockerfile",
            dockerfile,
        ])
        .args(["--json", s(&json_path), "--sarif", s(&sarif_path)])
        .args(["--codequality", s(&cq_path)])
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run ballast");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |p: &Path| -> Value {
        serde_json::from_slice(&std::fs::read(p).expect("read")).expect("json")
    };
    let (report, sarif, cq) = (read(&json_path), read(&sarif_path), read(&cq_path));
    let line_of_step = |i: u64| report["steps"][i as usize]["dockerfile"]["line"].clone();
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let mut pointed = 0;
    for res in results {
        let Some(step) = res["properties"]["step_index"].as_u64() else {
            continue;
        };
        if line_of_step(step).is_null() {
            continue;
        }
        let phys = &res["locations"][0]["physicalLocation"];
        assert_eq!(phys["artifactLocation"]["uri"], dockerfile, "{res}");
        assert_eq!(phys["region"]["startLine"], line_of_step(step), "{res}");
        pointed += 1;
    }
    assert!(pointed > 0, "no SARIF result points at the Dockerfile");
    assert!(
        cq.as_array()
            .expect("issues")
            .iter()
            .any(|i| i["location"]["path"] == dockerfile),
        "no Code Quality issue points at the Dockerfile"
    );
}

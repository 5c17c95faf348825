//! `ballast diff` on the buildah-built pairs in `sample-images/diff/` (OLD
//! and four NEW variants, each one step apart). Every expected figure is
//! computed here from the archives themselves (manifests, configs and layer
//! tars read with the `tar` and `flate2` crates), never copied from
//! ballast's output. Also: `--baseline` against the two-image form, the JSON
//! schema, snapshots of the three formats, budget exit codes, and that a
//! shared layer is indexed once.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::util::{assert_clean_failure, repo_root, stderr};

const PAIRS: [&str; 4] = ["pip-added", "file-grown", "step-moved", "cache-left"];

/// Paths relative to the repository, so outputs (and snapshots) name the
/// images the same way on every machine.
fn rel(name: &str) -> String {
    format!("sample-images/diff/{name}.oci.tar")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ballast"))
        .args(args)
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run ballast")
}

fn diff_json(extra: &[&str]) -> Value {
    let mut args = vec!["diff"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--json", "-"]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

fn pair(new: &str) -> Value {
    diff_json(&[&rel("old"), &rel(new)])
}

// ---- the archives, read independently -----------------------------------

/// One OCI archive as its own files say: per layer the manifest's digest
/// and size, the config's diff_id, and the layer tar's regular files.
struct Archive {
    layers: Vec<Layer>,
    /// History entries that made layers, in order (created_by).
    layer_steps: Vec<String>,
}

struct Layer {
    size: u64,
    diff_id: String,
    /// Regular files: path (no leading `./` or `/`) → size.
    files: BTreeMap<String, u64>,
}

fn blobs(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut ar = tar::Archive::new(std::fs::File::open(path).expect("archive"));
    for e in ar.entries().expect("entries") {
        let mut e = e.expect("entry");
        let name = e.path().expect("path").to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).expect("read");
        out.insert(name, data);
    }
    out
}

fn read_archive(name: &str) -> Archive {
    let files = blobs(&repo_root().join(rel(name)));
    let blob = |digest: &str| {
        let key = format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"));
        files.get(&key).unwrap_or_else(|| panic!("{key}")).clone()
    };
    let json = |b: Vec<u8>| -> Value { serde_json::from_slice(&b).expect("json") };
    let index = json(files["index.json"].clone());
    let manifest = json(blob(index["manifests"][0]["digest"].as_str().unwrap()));
    let config = json(blob(manifest["config"]["digest"].as_str().unwrap()));
    let diff_ids = config["rootfs"]["diff_ids"].as_array().unwrap();
    let mut layers = Vec::new();
    for (i, l) in manifest["layers"].as_array().unwrap().iter().enumerate() {
        let raw = blob(l["digest"].as_str().unwrap());
        let mut tar_bytes = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut tar_bytes)
            .expect("gzip layer");
        let mut files = BTreeMap::new();
        let mut ar = tar::Archive::new(tar_bytes.as_slice());
        for e in ar.entries().expect("layer entries") {
            let e = e.expect("layer entry");
            if e.header().entry_type().is_file() {
                let p = e.path().expect("path").to_string_lossy().into_owned();
                let p = p
                    .trim_start_matches("./")
                    .trim_start_matches('/')
                    .to_string();
                files.insert(p, e.header().size().expect("size"));
            }
        }
        layers.push(Layer {
            size: l["size"].as_u64().unwrap(),
            diff_id: diff_ids[i].as_str().unwrap().to_string(),
            files,
        });
    }
    let layer_steps = config["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| !h["empty_layer"].as_bool().unwrap_or(false))
        .map(|h| h["created_by"].as_str().unwrap().to_string())
        .collect();
    Archive {
        layers,
        layer_steps,
    }
}

impl Layer {
    fn content_bytes(&self) -> u64 {
        self.files.values().sum()
    }
}

/// What a host holding `old` downloads for `new`: layers whose diff_id
/// `old` lacks, each once.
fn expected_pull(old: &Archive, new: &Archive) -> (usize, u64, usize) {
    let have: HashSet<&str> = old.layers.iter().map(|l| l.diff_id.as_str()).collect();
    let mut seen = HashSet::new();
    let (mut n, mut bytes, mut reused) = (0, 0, 0);
    for l in &new.layers {
        if have.contains(l.diff_id.as_str()) {
            reused += 1;
        } else if seen.insert(l.diff_id.as_str()) {
            n += 1;
            bytes += l.size;
        }
    }
    (n, bytes, reused)
}

fn step<'a>(d: &'a Value, status: &str, needle: &str) -> &'a Value {
    d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == status && s["instruction"].as_str().unwrap().contains(needle))
        .unwrap_or_else(|| panic!("no {status} step with {needle:?}: {:#}", d["steps"]))
}

fn i64_of(v: &Value) -> i64 {
    v.as_i64().expect("integer")
}

// ---- acceptance: each pair -------------------------------------------------

#[test]
fn pull_cost_equals_what_the_manifests_say_for_every_pair() {
    let old = read_archive("old");
    for name in PAIRS {
        let new = read_archive(name);
        let d = pair(name);
        let (n, bytes, reused) = expected_pull(&old, &new);
        assert_eq!(d["pull"]["download_layers"], n, "{name}");
        assert_eq!(d["pull"]["download_bytes"], bytes, "{name}");
        assert_eq!(d["pull"]["reused_layers"], reused, "{name}");
        let reused_bytes: u64 = new
            .layers
            .iter()
            .filter(|l| old.layers.iter().any(|o| o.diff_id == l.diff_id))
            .map(|l| l.size)
            .sum();
        assert_eq!(d["pull"]["reused_bytes"], reused_bytes, "{name}");
        // The first layer whose diff_id moved from OLD's at its position.
        let first = new
            .layers
            .iter()
            .zip(&old.layers)
            .position(|(a, b)| a.diff_id != b.diff_id)
            .expect("every pair changes a layer");
        let from = &d["pull"]["rebuilt_from"];
        assert_eq!(from["layer_index"], first, "{name}");
        let rebuilt: u64 = new.layers[first..].iter().map(|l| l.size).sum();
        assert_eq!(from["compressed_bytes"], rebuilt, "{name}");
    }
}

#[test]
fn a_pip_package_added_shows_as_the_changed_step_and_a_new_package() {
    let (old, new) = (read_archive("old"), read_archive("pip-added"));
    let d = pair("pip-added");
    let s = step(&d, "changed", "pip install --no-cache-dir alpha beta");
    assert_eq!(s["old_instruction"], "RUN pip install --no-cache-dir alpha");
    let li = new
        .layer_steps
        .iter()
        .position(|c| c.ends_with("alpha beta"))
        .unwrap();
    let want = new.layers[li].content_bytes() as i64 - old.layers[li].content_bytes() as i64;
    assert!(want > 0);
    assert_eq!(i64_of(&s["delta_bytes"]), want, "exact to the byte");
    assert_eq!(s["new_size_bytes"], new.layers[li].content_bytes());
    let added = d["packages"]["added"].as_array().unwrap();
    assert_eq!(added.len(), 1, "{added:#?}");
    assert_eq!(added[0]["name"], "beta");
    assert_eq!(added[0]["version"], "2.0");
    assert_eq!(added[0]["manager"], "pip");
    let beta_bytes: u64 = new.layers[li]
        .files
        .iter()
        .filter(|(p, _)| p.contains("/site-packages/beta"))
        .map(|(_, s)| s)
        .sum();
    assert_eq!(added[0]["bytes"], beta_bytes);
    assert!(d["packages"]["removed"].as_array().unwrap().is_empty());
    // Every other step is the same layer.
    let others = d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] != "same");
    assert_eq!(others.count(), 1, "{:#}", d["steps"]);
}

#[test]
fn a_grown_file_is_listed_with_its_directory_and_exact_growth() {
    let (old, new) = (read_archive("old"), read_archive("file-grown"));
    let d = pair("file-grown");
    let s = step(&d, "changed", "in /opt/data/");
    let li = new
        .layer_steps
        .iter()
        .position(|c| c.contains("in /opt/data/"))
        .unwrap();
    let want = new.layers[li].content_bytes() as i64 - old.layers[li].content_bytes() as i64;
    assert_eq!(i64_of(&s["delta_bytes"]), want);
    let grown = new.layers[li].files["opt/data/blob.bin"] as i64
        - old.layers[li].files["opt/data/blob.bin"] as i64;
    let files = d["paths"]["files"].as_array().unwrap();
    assert_eq!(files[0]["path"], "/opt/data/blob.bin");
    assert_eq!(files[0]["status"], "grown");
    assert_eq!(i64_of(&files[0]["delta_bytes"]), grown);
    assert_eq!(files.len(), 1, "nothing else changed: {files:#?}");
    let dirs = d["paths"]["directories"].as_array().unwrap();
    assert_eq!(dirs[0]["path"], "/opt/data");
    assert_eq!(i64_of(&dirs[0]["delta_bytes"]), grown);
    assert_eq!(i64_of(&d["size"]["final_delta_bytes"]), grown);
}

#[test]
fn a_moved_step_is_moved_and_costs_no_download() {
    let d = pair("step-moved");
    let statuses: Vec<&str> = d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == "moved").count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == "same" || *s == "moved"),
        "{statuses:?}"
    );
    assert_eq!(d["pull"]["download_bytes"], 0);
    assert_eq!(d["size"]["delta_bytes"], 0);
    assert_eq!(d["paths"]["files"].as_array().unwrap().len(), 0);
}

#[test]
fn a_cache_left_only_in_new_is_a_new_finding_with_its_bytes() {
    let new = read_archive("cache-left");
    let d = pair("cache-left");
    let li = new
        .layer_steps
        .iter()
        .position(|c| c.ends_with("pip install alpha"))
        .unwrap();
    let cache: u64 = new.layers[li]
        .files
        .iter()
        .filter(|(p, _)| p.starts_with("root/.cache/pip/"))
        .map(|(_, s)| s)
        .sum();
    assert!(cache > 0);
    let fresh = d["findings"]["new"].as_array().unwrap();
    let f = fresh
        .iter()
        .find(|f| f["rule"] == "pip-cache")
        .unwrap_or_else(|| panic!("{fresh:#?}"));
    assert_eq!(f["category"], "cache");
    assert_eq!(f["bytes"], cache);
    assert_eq!(f["instruction"], "RUN pip install alpha");
    assert!(d["findings"]["fixed"].as_array().unwrap().is_empty());
    assert_eq!(d["findings"]["by_category"]["cache"]["new_bytes"], cache);
    // The edited step is one change, not a removal and an addition.
    let s = step(&d, "changed", "RUN pip install alpha");
    assert_eq!(s["old_instruction"], "RUN pip install --no-cache-dir alpha");
    // Reversed, the same finding is fixed.
    let back = diff_json(&[&rel("cache-left"), &rel("old")]);
    let fixed = back["findings"]["fixed"].as_array().unwrap();
    assert!(
        fixed
            .iter()
            .any(|f| f["rule"] == "pip-cache" && f["bytes"] == cache)
    );
    assert!(back["findings"]["new"].as_array().unwrap().is_empty());
}

// ---- --baseline -------------------------------------------------------------

fn saved_report(name: &str, dir: &Path) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    let o = run(&[&rel(name), "--json", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    path
}

#[test]
fn baseline_gives_the_two_image_answers_and_names_what_needs_the_old_image() {
    let dir = tempfile::tempdir().unwrap();
    let report = saved_report("old", dir.path());
    for name in PAIRS {
        let two = pair(name);
        let one = diff_json(&["--baseline", report.to_str().unwrap(), &rel(name)]);
        for field in [
            "size", "pull", "steps", "packages", "findings", "budget", "new",
        ] {
            assert_eq!(one[field], two[field], "{name}: {field}");
        }
        for field in [
            "source",
            "name",
            "size_bytes",
            "compressed_size_bytes",
            "layer_count",
        ] {
            assert_eq!(one["old"][field], two["old"][field], "{name}: old.{field}");
        }
        assert_eq!(one["old"]["from"], "report");
        assert_eq!(two["old"]["from"], "image");
        assert!(one["paths"].is_null());
        assert!(two["paths"].is_object());
        let needs = one["needs_old_image"].as_array().unwrap();
        assert_eq!(needs.len(), 1);
        assert!(
            needs[0].as_str().unwrap().starts_with("paths:"),
            "{needs:?}"
        );
        assert!(two["needs_old_image"].as_array().unwrap().is_empty());
    }
    let text = run(&[
        "diff",
        "--baseline",
        report.to_str().unwrap(),
        &rel("cache-left"),
    ]);
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(
        out.contains("Not compared (OLD is a saved report)"),
        "{out}"
    );
    assert!(out.contains("needs OLD's image"), "{out}");
}

#[test]
fn budgets_in_the_same_run_with_a_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let report = saved_report("old", dir.path());
    let b = report.to_str().unwrap();
    let o = run(&[
        "diff",
        "--baseline",
        b,
        &rel("cache-left"),
        "--fail-on-new",
        "cache",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

// ---- contract: schema and snapshots ---------------------------------------

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo_root().join("docs/diff.schema.json")).expect("schema");
    let v: Value = serde_json::from_str(&text).expect("schema json");
    jsonschema::validator_for(&v).expect("valid schema")
}

/// A comparison that fails its budgets (exit 1), as JSON.
fn over_budget(name: &str) -> Value {
    let o = run(&[
        "diff",
        &rel("old"),
        &rel(name),
        "--max-growth",
        "1B",
        "--fail-on-new",
        "cache",
        "--json",
        "-",
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

#[test]
fn every_diff_validates_against_its_schema() {
    let validator = schema();
    let dir = tempfile::tempdir().unwrap();
    let report = saved_report("old", dir.path());
    for name in PAIRS {
        for d in [
            pair(name),
            diff_json(&["--baseline", report.to_str().unwrap(), &rel(name)]),
            over_budget(name),
        ] {
            let errors: Vec<String> = validator
                .iter_errors(&d)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{name}: {errors:#?}");
            assert_eq!(d["schema_version"], 1);
        }
    }
    let mut extra = pair("pip-added");
    extra["surprise"] = Value::Bool(true);
    assert!(!validator.is_valid(&extra), "unknown fields are refused");
}

#[test]
fn snapshots_of_text_json_and_markdown() {
    let args = [rel("old"), rel("cache-left")];
    let text = run(&["diff", &args[0], &args[1]]);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    insta::assert_snapshot!(
        "diff_cache_left_text",
        String::from_utf8_lossy(&text.stdout)
    );
    let md = run(&["diff", &args[0], &args[1], "--format", "markdown"]);
    insta::assert_snapshot!(
        "diff_cache_left_markdown",
        String::from_utf8_lossy(&md.stdout)
    );
    let json = diff_json(&[&args[0], &args[1]]);
    insta::assert_json_snapshot!("diff_cache_left_json", json);
    let moved = run(&["diff", &rel("old"), &rel("step-moved")]);
    insta::assert_snapshot!(
        "diff_step_moved_text",
        String::from_utf8_lossy(&moved.stdout)
    );
}

#[test]
fn markdown_is_written_beside_other_output() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("comment.md");
    let o = run(&[
        "diff",
        &rel("old"),
        &rel("pip-added"),
        "--markdown",
        md.to_str().unwrap(),
        "--json",
        "-",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice::<Value>(&o.stdout).expect("stdout stays JSON");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.starts_with("### ballast diff:"), "{text}");
    assert!(text.contains("| added | pip | beta | 2.0 |"), "{text}");
    assert!(text.contains("**Files that changed most**"), "{text}");
}

// ---- budgets and exit codes ------------------------------------------------

#[test]
fn budget_exit_codes_0_within_1_over_2_unanalysable() {
    let (old, new) = (rel("old"), rel("cache-left"));
    let o = run(&[
        "diff",
        &old,
        &new,
        "--max-growth",
        "1MB",
        "--max-pull",
        "1MB",
        "--max-growth-percent",
        "50%",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("PASS  max-growth:"), "{out}");
    assert!(out.contains("Result: PASS (3 checks)"), "{out}");

    for (flag, value) in [
        ("--max-growth", "1kB"),
        ("--max-pull", "1kB"),
        ("--max-growth-percent", "1%"),
        ("--fail-on-new", "cache"),
    ] {
        let o = run(&["diff", &old, &new, flag, value]);
        assert_eq!(o.status.code(), Some(1), "{flag}: {}", stderr(&o));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.contains(&format!("FAIL  {}", &flag[2..])),
            "{flag}: {out}"
        );
    }
    // A category with no new finding passes.
    let o = run(&["diff", &old, &new, "--fail-on-new", "build-tooling"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let o = run(&["diff", &old, "sample-images/diff/absent.oci.tar"]);
    assert_clean_failure(&o, "absent.oci.tar", "no such file");
    let o = run(&["diff", &old, &new, "--max-pull", "lots"]);
    assert_clean_failure(&o, "--max-pull", "not a size");
    let o = run(&["diff", "-", "-"]);
    assert_clean_failure(&o, "-", "one side only");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"schema_version\": 1}").unwrap();
    let o = run(&["diff", "--baseline", bad.to_str().unwrap(), &new]);
    assert_clean_failure(&o, "bad.json", "not a ballast report");
    std::fs::write(&bad, "[1, 2").unwrap();
    let o = run(&["diff", "--baseline", bad.to_str().unwrap(), &new]);
    assert_clean_failure(&o, "bad.json", "not a JSON report");
}

#[test]
fn diff_budgets_come_from_ballast_toml_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ballast.toml");
    std::fs::write(
        &cfg,
        "[budget]\nmax_size = \"1GB\"\n[diff]\nmax_growth = \"1kB\"\nfail_on_new = [\"cache\"]\n",
    )
    .unwrap();
    let c = cfg.to_str().unwrap();
    let (old, new) = (rel("old"), rel("cache-left"));
    let o = run(&["diff", &old, &new, "--config", c]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("FAIL  max-growth:") && out.contains("FAIL  fail-on-new cache"),
        "{out}"
    );
    let o = run(&[
        "diff",
        &old,
        &new,
        "--config",
        c,
        "--max-growth",
        "1MB",
        "--fail-on-new",
        "vcs-and-junk",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // The single-image command reads the same file without tripping on [diff].
    let o = run(&[&new, "--config", c, "--ci"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::write(&cfg, "[diff]\nmax_grow = \"1kB\"\n").unwrap();
    let o = run(&["diff", &old, &new, "--config", c]);
    assert_clean_failure(&o, "ballast.toml", "diff.max_grow: unknown key");
}

// ---- cost: shared layers are indexed once ----------------------------------

#[test]
fn layers_old_already_indexed_are_not_read_again() {
    use ballast::archive::{Input, LoadProgress};
    use std::sync::Arc;
    let root = repo_root();
    let opts = ballast::Options::default();
    let old = ballast::run_pipeline(&Input::Path(root.join(rel("old"))), &opts).unwrap();
    for name in PAIRS {
        let progress = Arc::new(LoadProgress::default());
        let mut with_progress = opts.clone();
        with_progress.load.progress = Some(Arc::clone(&progress));
        let input = Input::Path(root.join(rel(name)));
        let reused = ballast::pair::analyze_reusing_from(&input, &with_progress, &old).unwrap();
        let (n, bytes, _) = expected_pull(&read_archive("old"), &read_archive(name));
        use std::sync::atomic::Ordering::Relaxed;
        assert_eq!(
            progress.layers_total.load(Relaxed),
            n,
            "{name}: only the new layers are read"
        );
        assert_eq!(progress.layers_done.load(Relaxed), n, "{name}");
        assert_eq!(progress.bytes_total.load(Relaxed), bytes, "{name}");
        // Reusing changes nothing in the answer.
        let fresh = ballast::run_pipeline(&input, &opts).unwrap();
        assert_eq!(
            serde_json::to_value(&reused.report).unwrap(),
            serde_json::to_value(&fresh.report).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn stdin_can_be_either_side() {
    let root = repo_root();
    for (args, stdin_file) in [
        (
            vec![
                "diff",
                "-",
                "sample-images/diff/cache-left.oci.tar",
                "--json",
                "-",
            ],
            "old",
        ),
        (
            vec!["diff", "sample-images/diff/old.oci.tar", "-", "--json", "-"],
            "cache-left",
        ),
    ] {
        let file = std::fs::File::open(root.join(rel(stdin_file))).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_ballast"))
            .args(&args)
            .current_dir(&root)
            .stdin(Stdio::from(file))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let d: Value = serde_json::from_slice(&o.stdout).unwrap();
        let two = pair("cache-left");
        for field in ["size", "pull", "steps", "packages", "findings", "paths"] {
            assert_eq!(d[field], two[field], "{args:?}: {field}");
        }
    }
}

/// `ballast diff … --html` writes the growth page (the browser checks of
/// that page are in `html.rs`); with only a saved report there is no OLD
/// tree to draw, which is said in one line.
#[test]
fn diff_html_writes_the_growth_page_and_needs_the_old_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("diff.html");
    let o = run(&[
        "diff",
        &rel("old"),
        &rel("file-grown"),
        "--html",
        page.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(&page).expect("page written");
    assert!(html.contains("\"mode\":\"diff\""), "not a diff page");
    assert!(
        html.contains("blob.bin"),
        "the grown file is not on the page"
    );
    let baseline = dir.path().join("old.json");
    let o = run(&[&rel("old"), "--json", baseline.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&[
        "diff",
        "--baseline",
        baseline.to_str().expect("utf-8"),
        &rel("file-grown"),
        "--html",
        page.to_str().expect("utf-8"),
    ]);
    assert_clean_failure(&o, "--html", "--baseline");
}

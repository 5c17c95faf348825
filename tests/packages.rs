//! Package attribution and the ML findings, checked against figures computed
//! without ballast: `tests/packages/final_tree.py` rebuilds each sample's
//! final tree from its layers with Python's tarfile and sums what every
//! package record lists (see its docstring). Tests that need it print a
//! message and pass when python3 is absent.
//!
//! - `ml-cuda.oci.tar` (committed; `sample-images/ml-cuda/`): fake CUDA
//!   packages (dpkg), pip wheels, a conda package, an unstripped C extension
//!   and a model file; every ML finding is planted once.
//! - `ml-pip.docker.tar` (about 300 MB, not committed): Debian bookworm
//!   from debootstrap with numpy and MarkupSafe installed by the image's own
//!   pip, built by `sample-images/ml-pip/build.sh` into
//!   `$BALLAST_SAMPLES_DIR` (`.ci/run` does it first); skipped, with a
//!   message, when absent, unless `BALLAST_REQUIRE_SAMPLES` is set.
//! - `clean.*.tar` and `ml-mistakes.*.tar`: the ML findings stay silent.

// Test scaffolding: a test may panic on what it did not expect, and the
// pedantic lints are for the product code.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

#[path = "common/report_shape.rs"]
mod report_shape;
use report_shape::{Package, Packages, findings};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample(name: &str) -> PathBuf {
    repo().join("sample-images").join(name)
}

fn report(image: &Path) -> Value {
    report_with(image, &[])
}

fn report_with(image: &Path, args: &[&str]) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_ballast"))
        .arg(image)
        .args(["--json", "-"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run ballast");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("json")
}

fn text(image: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_ballast"))
        .arg(image)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run ballast");
    assert_eq!(o.status.code(), Some(0));
    String::from_utf8(o.stdout).expect("utf-8")
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What `final_tree.py` computes for an image, or None (and a message) when
/// python3 is missing.
fn expected(image: &Path) -> Option<Value> {
    expected_with(image, &[])
}

/// `final_tree.py IMAGE ARGS…`.
fn expected_with(image: &Path, args: &[&str]) -> Option<Value> {
    if !have("python3") {
        eprintln!("SKIPPED: python3 is absent; the expected figures need it");
        return None;
    }
    let o = Command::new("python3")
        .arg(repo().join("tests/packages/final_tree.py"))
        .arg(image)
        .args(args)
        .output()
        .expect("run final_tree.py");
    assert!(
        o.status.success(),
        "final_tree.py: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    Some(serde_json::from_slice(&o.stdout).expect("json"))
}

/// Where on-demand samples are built (`BALLAST_SAMPLES_DIR`, default
/// `/var/tmp/ballast-samples`): outside the work tree, by their scripts,
/// never by `cargo test`.
fn samples_dir() -> PathBuf {
    std::env::var_os("BALLAST_SAMPLES_DIR")
        .map_or_else(|| PathBuf::from("/var/tmp/ballast-samples"), PathBuf::from)
}

/// The ml-pip image when `sample-images/ml-pip/build.sh` has built it.
/// `.ci/run` builds it and sets `BALLAST_REQUIRE_SAMPLES=1`, so there a
/// missing image fails instead of skipping.
fn ml_pip() -> Option<&'static Path> {
    static IMAGE: OnceLock<Option<PathBuf>> = OnceLock::new();
    IMAGE
        .get_or_init(|| {
            let image = samples_dir().join("ml-pip.docker.tar");
            if image.is_file() {
                return Some(image);
            }
            let msg = format!(
                "ml-pip sample not built: run `bash sample-images/ml-pip/build.sh` (needs root, buildah, debootstrap and the network) to make {}",
                image.display()
            );
            assert!(std::env::var_os("BALLAST_REQUIRE_SAMPLES").is_none(), "{msg}");
            eprintln!("SKIPPED: {msg}");
            None
        })
        .as_deref()
}

fn u(v: &Value) -> u64 {
    v.as_u64().expect("number")
}

fn s(v: &Value) -> &str {
    v.as_str().expect("string")
}

/// Every package ballast reports has the bytes and entries the
/// independent count gives for its record, and no record is left out; the
/// unowned bytes per top directory match too.
fn assert_packages_match(image: &Path) {
    let Some(exp) = expected(image) else { return };
    let r = report(image);
    let p = &r["packages"];
    let got: BTreeMap<&str, &Value> = p["list"]
        .as_array()
        .expect("list")
        .iter()
        .map(|pk| (s(&pk["metadata"]), pk))
        .collect();
    let mut checked = BTreeMap::<&str, usize>::new();
    for (record, want) in exp["packages"].as_object().expect("packages") {
        if !want["owned_by"].is_null() {
            // A pip record a dpkg/conda package lists is that package's.
            assert!(
                !got.contains_key(record.as_str()),
                "{record} is {} and not a pip package",
                want["owned_by"]
            );
            continue;
        }
        let pk = got
            .get(record.as_str())
            .unwrap_or_else(|| panic!("{}: no package for {record}", image.display()));
        assert_eq!(pk["manager"], want["manager"], "{record}");
        assert_eq!(u(&pk["bytes"]), u(&want["bytes"]), "bytes of {record}");
        assert_eq!(
            u(&pk["file_count"]),
            u(&want["entries"]),
            "files of {record}"
        );
        *checked.entry(s(&want["manager"])).or_default() += 1;
    }
    assert_eq!(
        checked.values().sum::<usize>(),
        got.len(),
        "{}: packages without a record",
        image.display()
    );
    let want_unowned: BTreeMap<String, u64> = exp["unowned"]
        .as_object()
        .expect("unowned")
        .iter()
        .filter(|(_, b)| u(b) > 0)
        .map(|(d, b)| (d.clone(), u(b)))
        .collect();
    let got_unowned: BTreeMap<String, u64> = p["unowned"]
        .as_array()
        .expect("unowned")
        .iter()
        .filter(|d| u(&d["bytes"]) > 0)
        .map(|d| (s(&d["path"]).to_string(), u(&d["bytes"])))
        .collect();
    assert_eq!(got_unowned, want_unowned, "{}", image.display());
    assert_eq!(
        u(&p["owned_bytes"]) + u(&p["unowned_bytes"]),
        u(&r["image"]["final_size_bytes"])
    );
    eprintln!("{}: {checked:?} packages match", image.display());
}

/// The step whose instruction contains `needle`.
fn step(r: &Value, needle: &str) -> u64 {
    let hits: Vec<u64> = r["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|st| s(&st["instruction"]).contains(needle))
        .map(|st| u(&st["index"]))
        .collect();
    assert_eq!(hits.len(), 1, "one step with {needle:?}: {hits:?}");
    hits[0]
}

/// (step, bytes, every path) of a rule's findings; each finding here names
/// fewer than ten paths, so `paths` is all of them.
fn by_step(r: &Value, rule: &str) -> BTreeMap<u64, (u64, BTreeSet<String>)> {
    let mut out = BTreeMap::new();
    for f in findings(r, rule) {
        let paths: BTreeSet<String> = f["paths"]
            .as_array()
            .expect("paths")
            .iter()
            .map(|p| s(p).to_string())
            .collect();
        assert_eq!(paths.len() as u64, u(&f["path_count"]), "{f}");
        let prev = out.insert(u(&f["step_index"]), (u(&f["bytes"]), paths));
        assert!(prev.is_none(), "one {rule} finding per step");
    }
    out
}

fn sizes(exp: &Value, paths: &BTreeSet<String>) -> u64 {
    paths.iter().map(|p| u(&exp["files"][p.as_str()])).sum()
}

const ML_RULES: [&str; 5] = [
    "cuda-twice",
    "cuda-two-versions",
    "python-package-twice",
    "unstripped-binaries",
    "model-weights",
];

#[test]
fn ml_sample_packages_match_an_independent_count() {
    assert_packages_match(&sample("ml-cuda.oci.tar"));
}

#[test]
fn debian_pip_sample_packages_match_an_independent_count() {
    let Some(image) = ml_pip() else { return };
    assert_packages_match(image);
    let r = report(image);
    let list = r["packages"]["list"].as_array().expect("list");
    let find = |name: &str, loc: &str| {
        list.iter()
            .find(|p| p["name"] == name && s(&p["location"]).starts_with(loc))
            .unwrap_or_else(|| panic!("{name} in {loc}"))
    };
    let venv = step(&r, "python3 -m venv");
    assert_eq!(u(&find("numpy", "/opt/venv")["step_index"]), venv);
    assert_eq!(u(&find("MarkupSafe", "/opt/venv")["step_index"]), venv);
    let system = step(&r, "--break-system-packages");
    assert_eq!(
        u(&find("MarkupSafe", "/usr/local/lib/python3.11/dist-packages")["step_index"]),
        system
    );
    // The later `rm -rf` removed some of numpy's files: counted as missing.
    assert!(u(&find("numpy", "/opt/venv")["missing_count"]) > 0);
    let bash = list
        .iter()
        .find(|p| p["manager"] == "dpkg" && p["name"] == "bash")
        .expect("bash");
    assert_eq!(u(&bash["step_index"]), 0);
    assert!(
        bash["files"]
            .as_array()
            .expect("files")
            .iter()
            .any(|f| f["path"] == "/usr/bin/bash"),
        "/bin/bash resolved through the /bin symlink: {bash}"
    );
    // The venv and the system Python both have MarkupSafe.
    let twice = findings(&r, "python-package-twice");
    assert_eq!(twice.len(), 1, "{twice:?}");
    assert_eq!(u(&twice[0]["step_index"]), system);
    assert!(s(&twice[0]["message"]).contains("MarkupSafe"));
    for rule in ["cuda-twice", "cuda-two-versions", "model-weights"] {
        assert!(findings(&r, rule).is_empty(), "{rule}");
    }
}

#[test]
fn ml_findings_fire_on_the_planted_sample_with_true_sizes() {
    let image = sample("ml-cuda.oci.tar");
    let Some(exp) = expected(&image) else { return };
    let r = report(&image);
    let files: BTreeSet<String> = exp["files"]
        .as_object()
        .expect("files")
        .keys()
        .cloned()
        .collect();
    let stem = |p: &str| {
        let base = p.rsplit('/').next().unwrap_or(p);
        base.split(".so").next().unwrap_or(base).to_string()
    };
    let pip_stems: BTreeSet<String> = files
        .iter()
        .filter(|p| p.contains("/site-packages/nvidia/") && p.contains(".so"))
        .map(|p| stem(p))
        .collect();
    let system = |root: &str| -> BTreeSet<String> {
        files
            .iter()
            .filter(|p| p.starts_with(root) && p.contains(".so") && pip_stems.contains(&stem(p)))
            .cloned()
            .collect()
    };
    let (s12, s11) = (step(&r, "cuda-cudart-12-1"), step(&r, "cuda-cudart-11-8"));

    // CUDA twice: the system copies of what the nvidia-* wheels bring.
    let twice = by_step(&r, "cuda-twice");
    for (st, root) in [
        (s12, "/usr/local/cuda-12.1/"),
        (s11, "/usr/local/cuda-11.8/"),
    ] {
        let want = system(root);
        assert!(!want.is_empty());
        let (bytes, paths) = &twice[&st];
        assert_eq!(paths, &want, "cuda-twice at step {st}");
        assert_eq!(*bytes, sizes(&exp, &want));
    }
    assert_eq!(twice.len(), 2);

    // Two CUDA versions: 11.8's cuFFT beside 12.1's.
    let versions = by_step(&r, "cuda-two-versions");
    let cufft: BTreeSet<String> = files
        .iter()
        .filter(|p| p.starts_with("/usr/local/cuda-11.8/") && p.contains("libcufft.so."))
        .cloned()
        .collect();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[&s11], (sizes(&exp, &cufft), cufft));

    // The -devel toolkit: dpkg packages, so one package-level finding at
    // the 12.1 step, and no path rule repeats their files.
    let devel = by_step(&r, "build-toolchain");
    assert!(devel[&s12].1.contains("/usr/local/cuda-12.1/bin/nvcc"));
    assert!(
        devel[&s12]
            .1
            .contains("/usr/local/cuda-12.1/targets/x86_64-linux/lib/libcudart_static.a")
    );
    for rule in ["cuda-devel", "static-libraries", "headers"] {
        assert!(findings(&r, rule).is_empty(), "{rule}");
    }

    // numpy in a venv and in conda, beside the system one.
    let pk = &exp["packages"];
    let dup = by_step(&r, "python-package-twice");
    let venv = step(&r, "VIRTUAL_ENV=/opt/venv");
    let conda = step(&r, "conda install");
    assert_eq!(dup.len(), 2);
    assert_eq!(
        dup[&venv].0,
        u(&pk["/opt/venv/lib/python3.11/site-packages/numpy-1.26.4.dist-info/RECORD"]["bytes"])
    );
    assert_eq!(
        dup[&conda].0,
        u(&pk["/opt/conda/conda-meta/numpy-1.26.4-py311h64a7726_0.json"]["bytes"])
    );

    // The unstripped extension: its .debug* sections, measured while
    // streaming, equal a whole-file parse of its section headers.
    let debug = by_step(&r, "unstripped-binaries");
    let so =
        "/usr/local/lib/python3.11/site-packages/fastext/_speedups.cpython-311-x86_64-linux-gnu.so";
    let want = u(&exp["debug"][so]);
    assert!(want > 64 << 10, "{want}");
    assert_eq!(
        debug[&step(&r, "fastext")],
        (want, BTreeSet::from([so.to_string()]))
    );
    assert_eq!(debug.len(), 1);

    // The model file, at the COPY that baked it in.
    let model = by_step(&r, "model-weights");
    let gguf = "/models/tiny-llama.Q4_K_M.gguf".to_string();
    assert_eq!(
        model[&step(&r, "in /models/")],
        (u(&exp["files"][gguf.as_str()]), BTreeSet::from([gguf]))
    );

    // Each has a fix in the step-by-step suggestions.
    for st in [s12, s11, venv, conda] {
        assert!(
            r["suggestions"]
                .as_array()
                .expect("suggestions")
                .iter()
                .any(|sg| u(&sg["step_index"]) == st),
            "suggestion for step {st}"
        );
    }
}

#[test]
fn ml_findings_stay_silent_on_images_without_those_mistakes() {
    for name in [
        "clean.docker.tar",
        "clean.oci.tar",
        "ml-mistakes.docker.tar",
        "ml-mistakes.oci.tar",
        "ml-mistakes.oci-zstd.tar",
    ] {
        let r = report(&sample(name));
        for rule in ML_RULES.iter().chain(&["site-packages-docs"]) {
            assert!(findings(&r, rule).is_empty(), "{name}: {rule}");
        }
    }
}

#[test]
fn the_text_summary_lists_the_largest_packages() {
    let t = text(&sample("ml-cuda.oci.tar"));
    let at = t.find("\nPackages: ").expect("a Packages section");
    let section: Vec<&str> = t[at + 1..].lines().take_while(|l| !l.is_empty()).collect();
    assert!(
        section[0].starts_with("Packages: 1 conda, 7 dpkg, 6 pip ("),
        "{section:?}"
    );
    assert!(
        section[2].contains("pip") && section[2].contains("nvidia-cublas-cu12 12.1.3.1"),
        "largest first: {section:?}"
    );
    assert!(
        section
            .last()
            .expect("line")
            .contains("owned by no package: /models 12.0 MB")
    );
    assert!(!text(&sample("clean.docker.tar")).contains("\nPackages: "));
}

#[test]
fn the_packages_section_parses_strictly_and_adds_up() {
    for name in ["ml-cuda.oci.tar", "clean.oci.tar", "ml-mistakes.docker.tar"] {
        let r = report(&sample(name));
        let p: Packages =
            serde_json::from_value(r["packages"].clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            p.list.windows(2).all(|w| w[0].bytes >= w[1].bytes),
            "largest first"
        );
        for pk in &p.list {
            assert!(pk.files.len() <= 10);
            assert!(pk.files.len() as u64 <= pk.file_count);
            assert!(pk.files.iter().map(|f| f.size_bytes).sum::<u64>() <= pk.bytes);
            assert!(["pip", "conda", "dpkg", "apk"].contains(&pk.manager.as_str()));
        }
        for (m, t) in &p.by_manager {
            let of_m: Vec<&Package> = p.list.iter().filter(|pk| &pk.manager == m).collect();
            assert_eq!(t.count, of_m.len());
            assert_eq!(t.bytes, of_m.iter().map(|pk| pk.bytes).sum::<u64>());
        }
        assert_eq!(
            p.unowned.iter().map(|d| d.bytes).sum::<u64>(),
            p.unowned_bytes
        );
    }
}

#[test]
fn path_rules_for_models_and_docs_match_what_they_should() {
    let set = ballast::analyze::rules::RuleSet::load(None).expect("rules");
    let ids = |path: &str| {
        let mut out = Vec::new();
        set.matching(path.as_bytes(), &mut out);
        out.iter()
            .map(|&i| set.rules[i].id.clone())
            .collect::<Vec<_>>()
    };
    for p in [
        "models/llama.gguf",
        "app/weights/model.safetensors",
        "srv/models/bert/pytorch_model.bin",
        "data/hf/models--org--name/blobs/0123abcd",
        "opt/model.onnx",
    ] {
        assert_eq!(ids(p), ["model-weights"], "{p}");
    }
    for p in [
        "root/.cache/huggingface/hub/models--x/blobs/ab",
        "var/cache/apt/pkgcache.bin",
        "usr/lib/firmware/x.bin",
        "usr/lib/python3/site-packages/pkg/tests/data/model.onnx",
    ] {
        assert!(!ids(p).contains(&"model-weights".to_string()), "{p}");
    }
    assert_eq!(
        ids("usr/local/lib/python3.11/site-packages/scipy/doc/index.html"),
        ["site-packages-docs"]
    );
}

/// A sample `sample-images/debian-pip/build.sh` builds into
/// `$BALLAST_SAMPLES_DIR` (default /var/tmp/ballast-samples); the tests never
/// build it. None, and a message, when it is not there (a failure instead
/// with BALLAST_REQUIRE_SAMPLES=1).
fn debian_pip(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("BALLAST_SAMPLES_DIR")
        .map_or_else(|| PathBuf::from("/var/tmp/ballast-samples"), PathBuf::from)
        .join("debian-pip");
    let p = dir.join(name);
    if p.exists() {
        return Some(p);
    }
    let msg = format!(
        "{} not built (run `bash sample-images/debian-pip/build.sh`)",
        p.display()
    );
    assert!(
        std::env::var_os("BALLAST_REQUIRE_SAMPLES").is_none(),
        "{msg}"
    );
    eprintln!("SKIPPED: {msg}");
    None
}

/// Sum of the final files whose path `pick` accepts.
fn files_where(exp: &Value, pick: impl Fn(&str) -> bool) -> u64 {
    exp["files"]
        .as_object()
        .expect("files")
        .iter()
        .filter(|(p, _)| pick(p))
        .map(|(_, b)| u(b))
        .sum()
}

/// Findings of `category` at `step`, their bytes summed.
fn at_step(r: &Value, category: &str, step: u64) -> u64 {
    r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["category"] == category && f["step_index"].as_u64() == Some(step))
        .map(|f| u(&f["bytes"]))
        .sum()
}

/// The report's one `build-toolchain` finding, which must be at `step`,
/// and its packages.
fn toolchain_at(r: &Value, step: u64) -> (&Value, Vec<&str>) {
    let tc = findings(r, "build-toolchain");
    assert_eq!(tc.len(), 1, "{tc:?}");
    assert_eq!(u(&tc[0]["step_index"]), step);
    let names = tc[0]["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(s)
        .collect();
    (tc[0], names)
}

fn within_1_percent(got: u64, want: u64, what: &str) {
    assert!(want > 0, "{what}: nothing planted?");
    assert!(
        got.abs_diff(want) * 100 <= want,
        "{what}: found {got} bytes, planted {want}"
    );
}

#[test]
fn debian_pip_sample_findings_are_few_packaged_and_never_the_bases() {
    let (Some(image), Some(base), Some(oci)) = (
        debian_pip("debian-pip.docker.tar"),
        debian_pip("debian-pip.oci.tar"),
        debian_pip("debian-base.docker.tar"),
    ) else {
        return;
    };
    let (base, oci) = (oci, base);
    let Some(exp) = expected(&image) else { return };
    let r = report(&image);
    let all = r["findings"].as_array().expect("findings");
    assert!(all.len() <= 30, "{} findings", all.len());
    eprintln!("debian-pip: {} findings", all.len());

    // The base, three ways.
    assert_eq!(r["image"]["base"]["method"], "history");
    assert_eq!(r["image"]["base"]["layer_count"], 1);
    let given = report_with(&image, &["--base", base.to_str().expect("utf-8")]);
    assert_eq!(given["image"]["base"]["method"], "argument");
    assert_eq!(given["image"]["base"]["layer_count"], 1);
    let annotated = report(&oci);
    assert_eq!(annotated["image"]["base"]["method"], "annotation");
    assert_eq!(annotated["image"]["base"]["layer_count"], 1);

    for rep in [&r, &given, &annotated] {
        let inherited: BTreeSet<u64> = rep["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter(|st| st["inherited"] == true)
            .map(|st| u(&st["index"]))
            .collect();
        assert_eq!(inherited, BTreeSet::from([0, 1, 2]));
        for f in rep["findings"].as_array().expect("findings") {
            if f["rule"] == "base-image" {
                continue;
            }
            assert!(!inherited.contains(&u(&f["step_index"])), "{f}");
        }
        for sg in rep["suggestions"].as_array().expect("suggestions") {
            assert!(!inherited.contains(&u(&sg["step_index"])), "{sg}");
        }
    }

    // The toolchain: one finding, named by package, its bytes the union of
    // those packages' files as their dpkg .list files give them.
    let apt = step(&r, "apt-get install");
    let (tc, names) = toolchain_at(&r, apt);
    for want in [
        "build-essential",
        "gcc-12",
        "g++-12",
        "cpp-12",
        "binutils",
        "make",
        "libc6-dev",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    for runtime in ["libstdc++6", "libgcc-s1", "gcc-12-base", "python3", "libc6"] {
        assert!(!names.contains(&runtime), "{runtime} is not build tooling");
    }
    let union = expected_with(&image, &["--union-dpkg", &names.join(",")]).expect("python3");
    assert_eq!(u(&tc["bytes"]), u(&union["union"]["bytes"]));
    let fix = s(&tc["suggestion"]);
    assert!(
        fix.contains("apt-get purge -y --auto-remove ") && fix.contains(" build-essential "),
        "{tc}"
    );
    assert!(findings(&r, "compilers").is_empty() && findings(&r, "headers").is_empty());

    // Every planted mistake at its step, within 1 %.
    let apt_cache = files_where(&exp, |p| {
        (p.starts_with("/var/lib/apt/lists/")
            && !p.starts_with("/var/lib/apt/lists/partial/")
            && p != "/var/lib/apt/lists/lock")
            || (p.starts_with("/var/cache/apt/") && (p.ends_with(".deb") || p.ends_with(".bin")))
    });
    within_1_percent(at_step(&r, "cache", apt), apt_cache, "apt caches");
    let venv = step(&r, "python3 -m venv");
    // Test suites inside the venv's packages: `site-packages/PKG/tests/…`,
    // `PKG/test/…`, `PKG/SUB/tests/…`.
    let suites = files_where(&exp, |p| {
        p.strip_prefix("/opt/venv/lib/python3.11/site-packages/")
            .is_some_and(|rest| {
                let c: Vec<&str> = rest.split('/').collect();
                (c.len() > 2 && (c[1] == "tests" || c[1] == "test"))
                    || (c.len() > 3 && c[2] == "tests")
            })
    });
    within_1_percent(
        findings(&r, "site-packages-tests")
            .iter()
            .map(|f| u(&f["bytes"]))
            .sum(),
        suites,
        "test suites",
    );
    let chmod = step(&r, "chmod 755");
    let libstdcxx = files_where(&exp, |p| {
        p.starts_with("/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.")
    });
    within_1_percent(
        at_step(&r, "metadata-copy", chmod),
        libstdcxx,
        "chmod of a base file",
    );
    let base_exp = expected(&base).expect("python3");
    let gconv = files_where(&base_exp, |p| {
        p.starts_with("/usr/lib/x86_64-linux-gnu/gconv/")
    });
    let rm = step(&r, "rm -rf /usr/lib/x86_64-linux-gnu/gconv");
    within_1_percent(
        at_step(&r, "deleted-later", rm),
        gconv,
        "deleted base files",
    );
    let cp = step(&r, "cp /opt/venv");
    let blas = files_where(&exp, |p| p.starts_with("/usr/local/lib/libopenblas"));
    within_1_percent(
        at_step(&r, "duplicate-content", cp),
        blas,
        "second OpenBLAS",
    );
    let dup = findings(&r, "duplicate-content");
    let blas_dup = dup
        .iter()
        .find(|f| u(&f["step_index"]) == cp)
        .expect("the OpenBLAS copy");
    assert!(s(&blas_dup["keep"]).starts_with("/opt/venv/"), "{blas_dup}");
    let copy = step(&r, "/models/model.safetensors");
    let model = files_where(&exp, |p| p == "/models/model.safetensors");
    within_1_percent(at_step(&r, "model-weights", copy), model, "model weights");

    // numpy's test suites: the fix names the venv they are in.
    let tests = findings(&r, "site-packages-tests");
    assert_eq!(tests.len(), 1, "{tests:?}");
    assert_eq!(u(&tests[0]["step_index"]), venv);
    assert!(
        s(&tests[0]["suggestion"]).contains("find /opt/venv/lib/python3.11/site-packages "),
        "{}",
        tests[0]
    );

    // Payload is reported, never reclaimable: ignoring the model changes
    // nothing in the reclaimable total.
    let w = findings(&r, "model-weights");
    assert_eq!(w[0]["reclaimable"], false);
    let without = report_with(&image, &["--ignore", "models/**"]);
    assert_eq!(
        r["summary"]["reclaimable_bytes"],
        without["summary"]["reclaimable_bytes"]
    );
    assert!(findings(&without, "model-weights").is_empty());
}

#[test]
fn model_weights_are_payload_and_the_toolchain_is_packages() {
    let image = sample("ml-cuda.oci.tar");
    let r = report(&image);
    let w = findings(&r, "model-weights");
    assert_eq!(w.len(), 1);
    assert_eq!(w[0]["reclaimable"], false);
    let without = report_with(&image, &["--ignore", "models/**"]);
    assert!(findings(&without, "model-weights").is_empty());
    assert_eq!(
        r["summary"]["reclaimable_bytes"],
        without["summary"]["reclaimable_bytes"]
    );
    // The -devel CUDA packages a step installed: one package-level finding
    // whose bytes are the union of their files.
    let (tc, names) = toolchain_at(&r, step(&r, "cuda-cudart-12-1"));
    assert_eq!(names, ["cuda-cudart-dev-12-1", "cuda-nvcc-12-1"]);
    let Some(union) = expected_with(&image, &["--union-dpkg", &names.join(",")]) else {
        return;
    };
    assert_eq!(u(&tc["bytes"]), u(&union["union"]["bytes"]));
}

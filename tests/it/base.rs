//! The base image apart, on the committed `based` sample
//! (`sample-images/based/`): a busybox base built first, then an image FROM
//! it whose steps chmod, delete and edit base files and copy in a pip cache.
//! Expected sizes are read from the archives' layer tars here, not from
//! ballast.

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::Value;

use crate::report_shape::findings;
use crate::util::{ballast, json_of, sample};

const BASE_NAME: &str = "localhost/ballast-based-base:1";

fn report(args: &[&str]) -> Value {
    json_of(&ballast(args))
}

fn path_of(name: &str) -> String {
    sample(name).to_str().expect("utf-8").to_string()
}

/// Regular files of each layer of a docker-archive: path (with `/`) → size.
fn layer_files(archive: &str) -> Vec<BTreeMap<String, u64>> {
    let mut outer = tar::Archive::new(std::fs::File::open(sample(archive)).expect("open"));
    let mut blobs: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for e in outer.entries().expect("entries") {
        let mut e = e.expect("entry");
        let name = e.path().expect("path").to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).expect("read");
        blobs.insert(name, data);
    }
    let manifest: Value = serde_json::from_slice(&blobs["manifest.json"]).expect("manifest");
    manifest[0]["Layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| {
            let data = &blobs[l.as_str().expect("layer name")];
            let mut t = tar::Archive::new(&data[..]);
            let mut files = BTreeMap::new();
            for e in t.entries().expect("layer entries") {
                let e = e.expect("layer entry");
                if e.header().entry_type().is_file() {
                    let p = e.path().expect("path").to_string_lossy().into_owned();
                    let p = format!("/{}", p.trim_start_matches("./"));
                    files.insert(p, e.header().size().expect("size"));
                }
            }
            files
        })
        .collect()
}

fn step_of(r: &Value, needle: &str) -> u64 {
    r["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["instruction"].as_str().expect("instr").contains(needle))
        .unwrap_or_else(|| panic!("no step with {needle}"))["index"]
        .as_u64()
        .expect("index")
}

fn inherited_steps(r: &Value) -> Vec<u64> {
    r["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["inherited"] == true)
        .map(|s| s["index"].as_u64().expect("index"))
        .collect()
}

#[test]
fn the_base_is_found_by_history_by_annotation_and_by_base() {
    let base_layers = layer_files("based-base.docker.tar").len();
    let docker = path_of("based.docker.tar");
    let oci = path_of("based.oci.tar");
    let base_archive = path_of("based-base.docker.tar");
    let cases = [
        (vec![docker.as_str(), "--json", "-"], "history"),
        (vec![oci.as_str(), "--json", "-"], "annotation"),
        (
            vec![
                docker.as_str(),
                "--json",
                "-",
                "--base",
                base_archive.as_str(),
            ],
            "argument",
        ),
    ];
    for (args, method) in cases {
        let r = report(&args);
        let b = &r["image"]["base"];
        assert_eq!(b["method"], method, "{args:?}: {b}");
        assert_eq!(b["confidence"], "high", "{args:?}: {b}");
        assert_eq!(b["layer_count"].as_u64(), Some(base_layers as u64), "{b}");
        let want_bytes: u64 = r["layers"].as_array().expect("layers")[..base_layers]
            .iter()
            .map(|l| l["size_bytes"].as_u64().expect("size"))
            .sum();
        assert_eq!(b["bytes"].as_u64(), Some(want_bytes));
        // The base's four steps (COPY, RUN, ENV, CMD), then the build's own.
        assert_eq!(inherited_steps(&r), [0, 1, 2, 3], "{args:?}");
        match method {
            "argument" => assert!(b["name"].as_str().expect("name").contains("based-base")),
            _ => assert_eq!(b["name"], BASE_NAME),
        }
        if method == "annotation" {
            assert!(b["digest"].as_str().expect("digest").starts_with("sha256:"));
        }
    }
    // The base on its own has no base: its CMD is its last step.
    let alone = report(&[base_archive.as_str(), "--json", "-"]);
    assert!(alone["image"]["base"].is_null());
    assert!(inherited_steps(&alone).is_empty());
}

#[test]
fn no_finding_or_fix_targets_an_inherited_step_and_base_changes_are_the_runs() {
    let layers = layer_files("based.docker.tar");
    let base = &layers[0];
    for image in ["based.docker.tar", "based.oci.tar"] {
        let r = report(&[&path_of(image), "--json", "-"]);
        let inherited = inherited_steps(&r);
        for f in r["findings"].as_array().expect("findings") {
            if f["rule"] == "base-image" {
                assert!(f["step_index"].is_null(), "{f}");
                continue;
            }
            let s = f["step_index"].as_u64().expect("step");
            assert!(
                !inherited.contains(&s),
                "{image}: finding at inherited step: {f}"
            );
        }
        for sg in r["suggestions"].as_array().expect("suggestions") {
            let s = sg["step_index"].as_u64().expect("step");
            assert!(!inherited.contains(&s), "{image}: suggestion for {s}");
        }
        // Each change to a base file is the changing RUN's, with the base
        // copy's size.
        for (rule, needle, path) in [
            (
                "metadata-copy-base-files",
                "chmod 600",
                "/usr/share/base-data/table.bin",
            ),
            ("deleted-base-files", "rm /usr", "/usr/lib/base/libbig.so"),
            ("modified-base-files", "sed -i", "/etc/base.conf"),
        ] {
            let fs = findings(&r, rule);
            assert_eq!(fs.len(), 1, "{image}: {rule}: {fs:?}");
            let f = fs[0];
            assert_eq!(f["step_index"].as_u64(), Some(step_of(&r, needle)), "{f}");
            assert_eq!(f["bytes"].as_u64(), Some(base[path]), "{image}: {f}");
            assert_eq!(f["paths"][0], path);
            assert!(
                !f["suggestion"].as_str().expect("fix").contains("step 0"),
                "the fix never points into the base: {f}"
            );
        }
        // The build's own cache, at its COPY.
        let pip = findings(&r, "pip-cache");
        let want: u64 = layers
            .iter()
            .flat_map(|l| l.iter())
            .filter(|(p, _)| p.starts_with("/root/.cache/pip/"))
            .map(|(_, s)| s)
            .sum();
        assert_eq!(pip.len(), 1);
        assert_eq!(pip[0]["bytes"].as_u64(), Some(want));
        assert_eq!(
            pip[0]["step_index"].as_u64(),
            Some(step_of(&r, "/root/.cache/pip"))
        );
        // The base's own waste: two extra copies of one licence and a .deb,
        // one finding, outside what the build's fixes reclaim.
        let b = findings(&r, "base-image");
        assert_eq!(b.len(), 1, "{image}");
        let want = base["/usr/share/doc/libb/LICENSE"]
            + base["/usr/share/doc/libc/LICENSE"]
            + base["/var/cache/apt/archives/old_1.0_amd64.deb"];
        assert_eq!(b[0]["bytes"].as_u64(), Some(want), "{}", b[0]);
        assert_eq!(b[0]["reclaimable"], false);
        assert!(findings(&r, "duplicate-content").is_empty(), "{image}");
        assert!(findings(&r, "apt-archives").is_empty(), "{image}");
        let own: u64 = r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["reclaimable"] == true)
            .map(|f| f["bytes"].as_u64().expect("bytes"))
            .sum();
        assert_eq!(r["summary"]["reclaimable_bytes"].as_u64(), Some(own));
    }
}

#[test]
fn only_own_ignore_and_the_size_floor() {
    let docker = path_of("based.docker.tar");
    let own = report(&[&docker, "--json", "-", "--only-own"]);
    assert!(findings(&own, "base-image").is_empty());
    assert_eq!(own["filters"]["only_own"], true);
    let text = String::from_utf8(ballast(&[&docker, "--only-own"]).stdout).expect("utf-8");
    assert!(
        text.contains("4 steps of the base image hidden by --only-own"),
        "{text}"
    );
    assert!(!text.contains("--install"), "{text}");
    let all = String::from_utf8(ballast(&[&docker]).stdout).expect("utf-8");
    assert!(
        all.contains("Base image: localhost/ballast-based-base:1"),
        "{all}"
    );
    assert!(
        all.lines()
            .any(|l| l.contains("inherited") && l.contains("CMD")),
        "{all}"
    );
    assert!(
        all.lines()
            .any(|l| l.contains("yours") && l.contains("chmod 600")),
        "{all}"
    );

    // --ignore drops the files from every finding.
    let ignored = report(&[&docker, "--json", "-", "--ignore", "root/.cache/pip"]);
    assert!(findings(&ignored, "pip-cache").is_empty());
    assert_eq!(ignored["filters"]["ignore"][0], "root/.cache/pip");
    // The same from ballast.toml's [ignore].
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("ballast.toml");
    std::fs::write(&cfg, "[ignore]\npaths = [\"/root/.cache/**\"]\n").expect("write");
    let from_file = report(&[
        &docker,
        "--json",
        "-",
        "--config",
        cfg.to_str().expect("utf-8"),
    ]);
    assert!(findings(&from_file, "pip-cache").is_empty());
    std::fs::write(&cfg, "[ignore]\npaths = [\"a[\"]\n").expect("write");
    let bad = ballast(&[&docker, "--config", cfg.to_str().expect("utf-8")]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.starts_with("ballast: error: ") && err.contains("[ignore]"),
        "{err}"
    );

    // Findings under --min-bytes are counted in the text, kept in the JSON.
    let floor = report(&[&docker, "--json", "-", "--min-bytes", "10MB"]);
    let n = floor["findings"].as_array().expect("findings").len();
    let below = floor["filters"]["below_min_count"].as_u64().expect("count");
    assert!(n > 0 && below as usize == n, "{n} findings, {below} below");
    let text = String::from_utf8(ballast(&[&docker, "--min-bytes", "10MB"]).stdout).expect("utf-8");
    assert!(
        text.contains(&format!("… {below} findings smaller than 10.0 MB")),
        "{text}"
    );
    assert!(!text.contains("[cache]"), "{text}");
    let default = report(&[&docker, "--json", "-"]);
    assert_eq!(default["filters"]["min_bytes"], 100_000);
}

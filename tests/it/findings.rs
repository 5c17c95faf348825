//! Waste findings on images whose mistakes are known in advance: the ML
//! sample (its build script records every planted mistake, its step and its
//! true size in `planted.json`), the clean sample, and dive's test image.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::util::{assert_clean_failure, ballast, dive_fixtures, json_of, sample};

fn report(path: &std::path::Path) -> Value {
    json_of(&ballast(&[path.to_str().expect("utf-8"), "--json", "-"]))
}

fn planted() -> Vec<Value> {
    let text = std::fs::read_to_string(sample("ml-mistakes/planted.json")).expect("planted.json");
    serde_json::from_str(&text).expect("json")
}

fn paths(f: &Value) -> Vec<String> {
    f["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .map(|p| p.as_str().expect("utf-8 path").to_string())
        .collect()
}

#[test]
fn every_planted_mistake_is_found_at_its_step_with_its_size() {
    for image in [
        "ml-mistakes.docker.tar",
        "ml-mistakes.oci.tar",
        "ml-mistakes.oci-zstd.tar",
    ] {
        let r = report(&sample(image));
        let findings = r["findings"].as_array().expect("findings");
        let image_bytes = r["image"]["final_size_bytes"].as_u64().expect("size");
        let mut explained = BTreeSet::new();
        for m in planted() {
            let cat = m["category"].as_str().expect("category");
            let step = m["history_index"].as_u64().expect("step");
            let want = m["bytes"].as_u64().expect("bytes");
            let planted_paths: BTreeSet<String> = m["paths"]
                .as_array()
                .expect("paths")
                .iter()
                .map(|p| p.as_str().expect("path").to_string())
                .collect();
            let hits: Vec<(usize, &Value)> = findings
                .iter()
                .enumerate()
                .filter(|(_, f)| f["category"] == cat && f["step_index"].as_u64() == Some(step))
                .collect();
            assert!(!hits.is_empty(), "{image}: {cat} at step {step} not found");
            let got: u64 = hits
                .iter()
                .map(|(_, f)| f["bytes"].as_u64().expect("bytes"))
                .sum();
            let err = (got as f64 - want as f64).abs() / want as f64;
            assert!(
                err <= 0.01,
                "{image}: {cat} at step {step}: {got} bytes, planted {want}"
            );
            for (i, f) in &hits {
                explained.insert(*i);
                for p in paths(f) {
                    assert!(
                        planted_paths.contains(&p),
                        "{image}: {cat} at step {step} names {p}, not planted"
                    );
                }
            }
        }
        for (i, f) in findings.iter().enumerate() {
            if explained.contains(&i) {
                continue;
            }
            let bytes = f["bytes"].as_u64().expect("bytes");
            assert!(
                bytes * 100 <= image_bytes,
                "{image}: unplanted finding above 1% of the image: {f}"
            );
        }
        let s = &r["summary"];
        let by_cat: u64 = s["by_category"]
            .as_object()
            .expect("map")
            .values()
            .map(|v| v.as_u64().expect("n"))
            .sum();
        assert_eq!(
            by_cat,
            s["wasted_bytes"].as_u64().expect("wasted"),
            "{image}"
        );
        assert!(s["reclaimable_bytes"].as_u64() <= s["wasted_bytes"].as_u64());
        // Each planted byte is real and distinct, so the reclaimable total is their sum.
        let planted_total: u64 = planted()
            .iter()
            .map(|m| m["bytes"].as_u64().expect("bytes"))
            .sum();
        let reclaimable = s["reclaimable_bytes"].as_u64().expect("reclaimable");
        assert!(
            reclaimable.abs_diff(planted_total) * 100 <= planted_total,
            "{image}: reclaimable {reclaimable} vs planted {planted_total}"
        );
        // Suggestions: one per step, biggest saving first, each with a fix.
        let sg = r["suggestions"].as_array().expect("suggestions");
        assert!(
            sg.windows(2)
                .all(|w| w[0]["bytes"].as_u64() >= w[1]["bytes"].as_u64())
        );
        assert!(
            sg.iter()
                .all(|s| !s["fixes"].as_array().expect("fixes").is_empty())
        );
    }
}

#[test]
fn clean_sample_has_no_waste() {
    for image in ["clean.docker.tar", "clean.oci.tar"] {
        let r = report(&sample(image));
        let sized: Vec<&Value> = r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["bytes"].as_u64() > Some(0))
            .collect();
        assert!(sized.is_empty(), "{image}: {sized:?}");
        assert_eq!(r["summary"]["reclaimable_bytes"], 0);
    }
}

#[test]
fn dive_test_image_reports_what_dive_misses() {
    let Some(dir) = dive_fixtures() else { return };
    let r = report(&dir.join("test-docker-image.tar"));
    let findings = r["findings"].as_array().expect("findings");
    // The same 6405 bytes at five paths of the final image.
    let mut dup_paths = BTreeSet::new();
    for f in findings
        .iter()
        .filter(|f| f["category"] == "duplicate-content")
    {
        assert_eq!(f["bytes"].as_u64().expect("bytes") % 6405, 0);
        dup_paths.extend(paths(f));
        // The copy to keep is named as a field and is one of the paths.
        let keep = f["keep"].as_str().expect("keep").to_string();
        assert!(paths(f).contains(&keep), "{f}");
    }
    let want: BTreeSet<String> = [
        "/somefile.txt",
        "/root/saved.txt",
        "/root/.saved.txt",
        "/tmp/saved.again1.txt",
        "/root/.data/saved.again2.txt",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(dup_paths, want);
    // Both chmod steps copy whole files to change a bit.
    let chmod_steps: BTreeSet<u64> = findings
        .iter()
        .filter(|f| f["category"] == "metadata-copy")
        .map(|f| f["step_index"].as_u64().expect("step"))
        .collect();
    let instr = |i: u64| {
        r["steps"][i as usize]["instruction"]
            .as_str()
            .expect("instr")
            .to_string()
    };
    assert_eq!(chmod_steps.len(), 2);
    assert!(
        chmod_steps
            .iter()
            .all(|&s| instr(s).starts_with("RUN chmod")),
        "{chmod_steps:?}"
    );
}

#[test]
fn a_user_rule_file_adds_a_category_without_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        r#"
[[rule]]
id = "baked-models"
category = "model-weights"
paths = ["**/*.safetensors"]
message = "model weights baked into the image"
suggestion = "mount the weights at run time"
"#,
    )
    .expect("write");
    let img = sample("ml-mistakes.oci.tar");
    let o = ballast(&[
        img.to_str().expect("utf-8"),
        "--rules",
        rules.to_str().expect("utf-8"),
        "--json",
    ]);
    let r = json_of(&o);
    let hits: Vec<&Value> = r["findings"]
        .as_array()
        .expect("f")
        .iter()
        .filter(|f| f["category"] == "model-weights")
        .collect();
    assert_eq!(hits.len(), 2, "one per step that wrote a model file");
    assert!(r["summary"]["by_category"]["model-weights"].as_u64() > Some(400_000));

    std::fs::write(&rules, "[[rule]]\nid = \"x\"\ncategory = \"c\"\npaths = [\"a[\"]\nmessage = \"m\"\nsuggestion = \"s\"\n").expect("write");
    let o = ballast(&[
        img.to_str().expect("utf-8"),
        "--rules",
        rules.to_str().expect("utf-8"),
    ]);
    assert_clean_failure(&o, "rules.toml", "bad pattern");
}

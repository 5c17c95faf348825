//! The `--json` report is a contract: every report of every sample validates
//! against `docs/report.schema.json`, parses into structs that reject unknown
//! fields, and the sample reports are pinned by snapshots.

use serde_json::Value;

use crate::report_shape::Report;
use crate::util::{DIVE_FIXTURE_IMAGES, ballast, dive_fixtures, json_of, sample};

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(crate::util::repo_root().join("docs/report.schema.json"))
        .expect("schema");
    let v: Value = serde_json::from_str(&text).expect("schema json");
    jsonschema::validator_for(&v).expect("valid schema")
}

/// Every archive the tests know: the samples, and dive's fixtures when present.
fn all_images() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = [
        "clean.docker.tar",
        "clean.oci.tar",
        "ml-mistakes.docker.tar",
        "ml-mistakes.oci.tar",
        "ml-mistakes.oci-zstd.tar",
        "ml-cuda.oci.tar",
        "based.docker.tar",
        "based.oci.tar",
        "based-base.docker.tar",
    ]
    .iter()
    .map(|n| sample(n))
    .collect();
    if let Some(dir) = dive_fixtures() {
        for n in DIVE_FIXTURE_IMAGES {
            v.push(dir.join(format!("{n}.tar")));
        }
    }
    v
}

#[test]
fn every_report_validates_and_parses_strictly() {
    let validator = schema();
    for img in all_images() {
        let p = img.to_str().expect("utf-8");
        for extra in [
            &[][..],
            &["--json-files"][..],
            &[
                "--max-size",
                "1MB",
                "--max-category",
                "cache=1kB",
                "--min-efficiency",
                "0.5",
            ][..],
        ] {
            let mut args = vec![p, "--json", "-"];
            args.extend_from_slice(extra);
            let o = ballast(&args);
            assert!(
                matches!(o.status.code(), Some(0 | 1)),
                "{p}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let v: Value = serde_json::from_slice(&o.stdout).expect("json");
            let errors: Vec<String> = validator
                .iter_errors(&v)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{p} {extra:?}: {errors:#?}");
            let parsed: Report =
                serde_json::from_value(v).unwrap_or_else(|e| panic!("{p} {extra:?}: {e}"));
            assert_eq!(parsed.schema_version, 2);
            assert_eq!(
                parsed.layers.iter().all(|l| l.files.is_some()),
                extra == ["--json-files"],
                "{p}"
            );
        }
    }
}

#[test]
fn schema_rejects_what_the_contract_forbids() {
    let validator = schema();
    let o = ballast(&[sample("clean.oci.tar").to_str().expect("utf-8"), "--json"]);
    let good = json_of(&o);
    let mut extra = good.clone();
    extra["surprise"] = 1.into();
    assert!(
        !validator.is_valid(&extra),
        "unknown top-level fields are refused"
    );
    let mut human = good.clone();
    human["image"]["size_bytes"] = "2 MB".into();
    assert!(
        !validator.is_valid(&human),
        "sizes are numbers, never strings"
    );
    let mut no_version = good;
    no_version
        .as_object_mut()
        .expect("object")
        .remove("schema_version");
    assert!(!validator.is_valid(&no_version));
}

fn pinned(name: &str) -> Value {
    let mut v = json_of(&ballast(&[
        sample(name).to_str().expect("utf-8"),
        "--json",
        "-",
    ]));
    v["image"]["source"] = "[source]".into();
    v
}

#[test]
fn sample_reports_are_pinned() {
    insta::assert_json_snapshot!("clean_docker_report", pinned("clean.docker.tar"));
    insta::assert_json_snapshot!(
        "ml_mistakes_docker_report",
        pinned("ml-mistakes.docker.tar")
    );
}

#[test]
fn markdown_summary_of_the_ml_sample_is_a_table() {
    let o = ballast(&[
        sample("ml-mistakes.oci.tar").to_str().expect("utf-8"),
        "--format",
        "markdown",
        "--max-waste",
        "1MB",
    ]);
    assert_eq!(o.status.code(), Some(1), "over the 1 MB waste budget");
    let md = String::from_utf8(o.stdout).expect("utf-8");
    assert!(md.lines().any(|l| l.starts_with("|---")), "has a table");
    insta::assert_snapshot!("ml_mistakes_markdown", md);
}

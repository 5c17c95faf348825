//! One image, many containers: docker-archive, oci-archive (gzip and zstd
//! layers), an OCI layout directory and stdin must all give the same layers,
//! steps and file lists.

use std::path::Path;

use ballast::archive::Input;
use ballast::index::layer::LayerIndex;
use ballast::{Analysis, Options, run_pipeline};

use crate::util::{ballast, ballast_stdin, json_of, sample};

type FileRow = (Vec<u8>, String, u64, u32, u32, u32, u128, Vec<u8>);

fn files(idx: &LayerIndex) -> Vec<FileRow> {
    let mut v: Vec<FileRow> = idx
        .entries
        .iter()
        .map(|e| {
            (
                idx.path(e).to_vec(),
                format!("{:?}", e.kind),
                e.size,
                e.mode,
                e.uid,
                e.gid,
                e.hash,
                idx.link(e).to_vec(),
            )
        })
        .collect();
    v.sort();
    v
}

pub(crate) fn load(p: &Path) -> Analysis {
    run_pipeline(&Input::Path(p.to_path_buf()), &Options::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn assert_same_image(a: &Analysis, b: &Analysis, what: &str) {
    assert_eq!(
        a.image.layers.len(),
        b.image.layers.len(),
        "{what}: layer count"
    );
    for (i, (x, y)) in a.image.layers.iter().zip(&b.image.layers).enumerate() {
        assert_eq!(
            x.content_bytes(),
            y.content_bytes(),
            "{what}: layer {i} size"
        );
        assert_eq!(files(x), files(y), "{what}: layer {i} files");
    }
    let steps = |r: &Analysis| {
        r.report
            .steps
            .iter()
            .map(|s| {
                (
                    s.instruction.clone(),
                    s.empty_layer,
                    s.layer_index,
                    s.size_bytes,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(steps(a), steps(b), "{what}: steps");
    assert_eq!(
        a.report.image.file_count, b.report.image.file_count,
        "{what}: file count"
    );
    assert_eq!(
        a.image.tree.layer_changes, b.image.tree.layer_changes,
        "{what}: change sets"
    );
}

#[test]
fn docker_archive_oci_archive_zstd_and_oci_dir_agree() {
    let docker = load(&sample("ml-mistakes.docker.tar"));
    assert_eq!(docker.report.image.format, "docker-archive");
    assert!(
        docker.image.layers.len() >= 10,
        "the sample has one layer per step"
    );
    for name in ["ml-mistakes.oci.tar", "ml-mistakes.oci-zstd.tar"] {
        let oci = load(&sample(name));
        assert_eq!(oci.report.image.format, "oci-archive");
        assert_same_image(&docker, &oci, name);
    }
    let zstd = load(&sample("ml-mistakes.oci-zstd.tar"));
    assert!(
        zstd.report
            .layers
            .iter()
            .all(|l| l.media_type.ends_with("+zstd"))
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let f = std::fs::File::open(sample("ml-mistakes.oci.tar")).expect("open");
    tar::Archive::new(f).unpack(dir.path()).expect("unpack");
    let oci_dir = load(dir.path());
    assert_eq!(oci_dir.report.image.format, "oci-dir");
    assert_same_image(&docker, &oci_dir, "oci dir");
}

#[test]
fn clean_sample_agrees_across_formats() {
    let docker = load(&sample("clean.docker.tar"));
    let oci = load(&sample("clean.oci.tar"));
    assert_same_image(&docker, &oci, "clean");
}

#[test]
fn stdin_gives_the_same_report_as_the_file() {
    for name in [
        "ml-mistakes.docker.tar",
        "ml-mistakes.oci.tar",
        "clean.oci.tar",
    ] {
        let path = sample(name);
        let p = path.to_str().expect("utf-8 path");
        let mut from_file = json_of(&ballast(&[p, "--json", "-"]));
        let mut from_stdin = json_of(&ballast_stdin(&["-", "--json", "-"], &path));
        assert_eq!(from_stdin["image"]["source"], "<stdin>");
        from_file["image"]["source"] = "".into();
        from_stdin["image"]["source"] = "".into();
        assert_eq!(from_file, from_stdin, "{name}");
    }
}

#[test]
fn gzip_compressed_outer_archive_is_streamed() {
    // `docker save img | gzip > img.tar.gz` is a common way to keep archives.
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = dir.path().join("clean.tar.gz");
    let raw = std::fs::read(sample("clean.docker.tar")).expect("read");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("create"),
        flate2::Compression::fast(),
    );
    std::io::Write::write_all(&mut enc, &raw).expect("write");
    enc.finish().expect("finish");
    let a = load(&gz);
    let b = load(&sample("clean.docker.tar"));
    assert_same_image(&a, &b, "gzip outer");
}

#[test]
fn json_report_has_the_fixed_fields() {
    let path = sample("ml-mistakes.oci.tar");
    let v = json_of(&ballast(&[path.to_str().expect("utf-8"), "--json"]));
    assert_eq!(v["schema_version"], 2);
    for key in [
        "source",
        "format",
        "repo_tags",
        "os",
        "architecture",
        "size_bytes",
        "compressed_size_bytes",
        "layer_count",
        "file_count",
    ] {
        assert!(!v["image"][key].is_null(), "image.{key}");
    }
    let layer = &v["layers"][0];
    for key in [
        "index",
        "digest",
        "diff_id",
        "media_type",
        "compressed_size_bytes",
        "tar_size_bytes",
        "size_bytes",
        "file_count",
        "added",
        "modified",
        "removed",
        "step_index",
    ] {
        assert!(layer.get(key).is_some(), "layers[].{key}");
    }
    let step = &v["steps"][2];
    for key in [
        "index",
        "created_by",
        "instruction",
        "empty_layer",
        "layer_index",
        "size_bytes",
    ] {
        assert!(step.get(key).is_some(), "steps[].{key}");
    }
    // The sample's third step is an ENV: an empty layer.
    assert_eq!(step["empty_layer"], true);
    assert!(
        step["instruction"]
            .as_str()
            .expect("instruction")
            .starts_with("ENV ")
    );
    let sum: u64 = v["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["size_bytes"].as_u64().expect("size"))
        .sum();
    assert_eq!(v["image"]["size_bytes"], sum);
}

/// Two `docker save` archives merged into one: the entries of both, and a
/// `manifest.json` that lists both images.
fn two_image_archive(out: &Path) {
    let mut manifest: Vec<serde_json::Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut b = tar::Builder::new(std::fs::File::create(out).expect("create"));
    for name in ["clean.docker.tar", "ml-mistakes.docker.tar"] {
        let f = std::fs::File::open(sample(name)).expect("open");
        let mut ar = tar::Archive::new(f);
        for e in ar.entries().expect("entries") {
            let mut e = e.expect("entry");
            let path = e.path().expect("path").into_owned();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).expect("read");
            if path == Path::new("manifest.json") {
                let v: Vec<serde_json::Value> = serde_json::from_slice(&data).expect("manifest");
                manifest.extend(v);
                continue;
            }
            if !seen.insert(path.clone()) {
                continue;
            }
            let mut h = e.header().clone();
            b.append_data(&mut h, &path, &data[..]).expect("append");
        }
    }
    let m = serde_json::to_vec(&manifest).expect("json");
    let mut h = tar::Header::new_gnu();
    h.set_size(m.len() as u64);
    h.set_mode(0o644);
    b.append_data(&mut h, "manifest.json", &m[..])
        .expect("append");
    b.finish().expect("finish");
}

#[test]
fn several_images_need_a_choice_and_image_picks_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let both = dir.path().join("both.tar");
    two_image_archive(&both);
    let p = both.to_str().expect("utf-8");
    let o = ballast(&[p]);
    crate::util::assert_clean_failure(&o, "both.tar", "--image");
    let err = crate::util::stderr(&o);
    assert!(
        err.contains("clean:latest") && err.contains("ml-mistakes:latest"),
        "lists the choices: {err}"
    );
    let v = json_of(&ballast(&[p, "--image", "ml-mistakes", "--json"]));
    assert!(
        v["image"]["repo_tags"][0]
            .as_str()
            .expect("tag")
            .contains("ml-mistakes")
    );
    let single = load(&sample("ml-mistakes.docker.tar"));
    assert_eq!(v["image"]["size_bytes"], single.report.image.size_bytes);
    let o = ballast(&[p, "--image", "nope:1"]);
    crate::util::assert_clean_failure(&o, "both.tar", "no image matches --image nope:1");
}

//! ballast's index against dive 0.13.1's own export of each fixture: the same
//! layers, the same per-layer sizes, the same file lists.

use std::collections::BTreeMap;

use ballast::archive::{Input, LoadOptions};
use ballast::index::layer::{EntryKind, LayerEntry, LayerIndex};
use ballast::{Options, run_pipeline};
use serde_json::Value;

use crate::util::{DIVE_FIXTURE_IMAGES, dive_fixtures};

/// Go's `os.FileMode` as dive prints it, from a tar type flag and mode.
fn go_file_mode(tar_type: u8, mode: u32) -> u64 {
    let mut m = u64::from(mode & 0o777);
    if mode & 0o4000 != 0 {
        m |= 1 << 23;
    }
    if mode & 0o2000 != 0 {
        m |= 1 << 22;
    }
    if mode & 0o1000 != 0 {
        m |= 1 << 20;
    }
    m |= match tar_type {
        b'2' => 1 << 27,
        b'3' => (1 << 26) | (1 << 21),
        b'4' => 1 << 26,
        b'5' => 1 << 31,
        b'6' => 1 << 25,
        _ => 0,
    };
    m
}

/// An entry as dive lists it: whiteouts under their `.wh.` name.
fn dive_path(idx: &LayerIndex, e: &LayerEntry) -> String {
    let p = String::from_utf8_lossy(idx.path(e)).into_owned();
    match e.kind {
        EntryKind::Whiteout => match p.rsplit_once('/') {
            Some((dir, name)) => format!("{dir}/.wh.{name}"),
            None => format!(".wh.{p}"),
        },
        EntryKind::Opaque => format!("{p}/.wh..wh..opq"),
        _ => p,
    }
}

type Row = (String, u64, u64, u64, u64, u64, String);

fn ours(idx: &LayerIndex) -> BTreeMap<String, Row> {
    let mut m = BTreeMap::new();
    for e in &idx.entries {
        let path = dive_path(idx, e);
        if path.is_empty() {
            continue;
        }
        let link = String::from_utf8_lossy(idx.link(e)).into_owned();
        m.insert(
            path.clone(),
            (
                path,
                u64::from(e.tar_type),
                e.size,
                go_file_mode(e.tar_type, e.mode),
                u64::from(e.uid),
                u64::from(e.gid),
                link,
            ),
        );
    }
    m
}

fn theirs(layer: &Value) -> BTreeMap<String, Row> {
    let mut m = BTreeMap::new();
    for f in layer["fileList"].as_array().expect("fileList") {
        let path = f["path"].as_str().expect("path").to_string();
        let row = (
            path.clone(),
            f["typeFlag"].as_u64().expect("typeFlag"),
            f["size"].as_u64().expect("size"),
            f["fileMode"].as_u64().expect("fileMode"),
            f["uid"].as_u64().expect("uid"),
            f["gid"].as_u64().expect("gid"),
            f["linkName"].as_str().expect("linkName").to_string(),
        );
        m.insert(path, row);
    }
    m
}

#[test]
fn layers_sizes_and_file_lists_equal_dive_0_13_1() {
    let Some(dir) = dive_fixtures() else { return };
    let mut checked = 0;
    for entry in std::fs::read_dir(dir.join("dive-0.13.1-json")).expect("json dir") {
        let json_path = entry.expect("entry").path();
        let stem = json_path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let expected: Value =
            serde_json::from_slice(&std::fs::read(&json_path).expect("read json")).expect("json");
        let tar = dir.join(format!("{stem}.tar"));
        let a = run_pipeline(
            &Input::Path(tar.clone()),
            &Options {
                load: LoadOptions::default(),
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{stem}: {e}"));
        let layers = expected["layer"].as_array().expect("layers");
        assert_eq!(a.image.layers.len(), layers.len(), "{stem}: layer count");
        for (i, (idx, want)) in a.image.layers.iter().zip(layers).enumerate() {
            assert_eq!(
                idx.content_bytes(),
                want["sizeBytes"].as_u64().expect("sizeBytes"),
                "{stem} layer {i}: size_bytes"
            );
            assert_eq!(a.report.layers[i].size_bytes, idx.content_bytes());
            let (o, t) = (ours(idx), theirs(want));
            let only_ours: Vec<_> = o.keys().filter(|k| !t.contains_key(*k)).collect();
            let only_theirs: Vec<_> = t.keys().filter(|k| !o.contains_key(*k)).collect();
            assert!(
                only_ours.is_empty() && only_theirs.is_empty(),
                "{stem} layer {i}: ours only {only_ours:?}, dive only {only_theirs:?}"
            );
            for (k, row) in &o {
                assert_eq!(row, &t[k], "{stem} layer {i}: {k}");
            }
        }
        assert_eq!(
            a.report.image.size_bytes,
            expected["image"]["sizeBytes"].as_u64().expect("image size"),
            "{stem}: image size"
        );
        checked += 1;
    }
    assert_eq!(checked, 6, "every dive export was compared");
}

/// dive's three figures and its inefficient-file list, through the real
/// loader, against dive's export and its CI text in the fixtures README.
#[test]
fn dive_metrics_equal_dive_0_13_1() {
    let Some(dir) = dive_fixtures() else { return };
    let expected_uwp = [
        ("test-docker-image", 48.3491),
        ("test-kaniko-image", 48.8450),
    ];
    for stem in DIVE_FIXTURE_IMAGES {
        let text = std::fs::read_to_string(dir.join(format!("dive-0.13.1-json/{stem}.json")))
            .expect("json");
        let want: Value = serde_json::from_str(&text).expect("json");
        let a = run_pipeline(
            &Input::Path(dir.join(format!("{stem}.tar"))),
            &Options::default(),
        )
        .expect("load");
        let d = &a.report.dive;
        // serde_json's default float parsing can be one ulp off; read the
        // literal with std for an exact comparison.
        let lit = text
            .split("\"efficiencyScore\":")
            .nth(1)
            .expect("score")
            .split([',', '\n', '}'])
            .next()
            .expect("lit");
        let eff: f64 = lit.trim().parse().expect("f64");
        assert_eq!(
            d.efficiency.to_bits(),
            eff.to_bits(),
            "{stem}: efficiency {} vs {eff}",
            d.efficiency
        );
        assert_eq!(
            d.wasted_bytes,
            want["image"]["inefficientBytes"].as_u64().expect("wasted"),
            "{stem}"
        );
        let files: Vec<(String, u64, u64)> = d
            .inefficient_files
            .iter()
            .map(|f| (f.path.display(), u64::from(f.count), f.wasted_bytes))
            .collect();
        let want_files: Vec<(String, u64, u64)> = want["image"]["fileReference"]
            .as_array()
            .expect("refs")
            .iter()
            .map(|f| {
                (
                    f["file"].as_str().expect("file").to_string(),
                    f["count"].as_u64().expect("count"),
                    f["sizeBytes"].as_u64().expect("size"),
                )
            })
            .collect();
        assert_eq!(
            files, want_files,
            "{stem}: inefficient files, in dive's order"
        );
        match expected_uwp.iter().find(|(s, _)| *s == stem) {
            Some((_, pct)) => {
                let got = d.user_wasted_percent.expect("multi-layer");
                assert_eq!(format!("{:.4}", got * 100.0), format!("{pct:.4}"), "{stem}");
            }
            None => assert_eq!(d.user_wasted_percent, None, "{stem}: one layer"),
        }
    }
}

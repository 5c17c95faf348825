//! Hard links are inodes: a link whose original name a later layer deletes
//! or replaces still holds the bytes a container sees. The final size, the
//! directory sizes and the package bytes count them once, and no
//! `deleted-later` or `overwritten` finding calls them waste.

use std::path::Path;

use serde_json::Value;
use sha2::Digest;

use crate::util::{ballast, json_of};

enum E<'a> {
    File(&'a str, Vec<u8>),
    Link(&'a str, &'a str),
}

fn layer(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o755);
        match e {
            E::File(p, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, p, &data[..]).expect("append");
            }
            E::Link(p, target) => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_size(0);
                b.append_link(&mut h, p, target).expect("link");
            }
        }
    }
    b.into_inner().expect("tar")
}

fn hex(bytes: &[u8]) -> String {
    ballast::index::layer::hex(&sha2::Sha256::digest(bytes))
}

/// A `docker save`-shaped archive of the given layers.
pub fn docker_archive(out: &Path, layers: &[Vec<u8>]) {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", hex(l)))
        .collect();
    let history: Vec<Value> = layers
        .iter()
        .enumerate()
        .map(|(i, _)| serde_json::json!({"created_by": format!("RUN step {i}")}))
        .collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }))
    .expect("json");
    let config_name = format!("{}.json", hex(&config));
    let names: Vec<String> = layers
        .iter()
        .map(|l| format!("{}/layer.tar", hex(l)))
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": config_name, "RepoTags": ["links:1"], "Layers": names}
    ]))
    .expect("json");
    let mut b = tar::Builder::new(std::fs::File::create(out).expect("create"));
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data).expect("append");
    };
    add(&config_name, &config);
    for (n, l) in names.iter().zip(layers) {
        add(n, l);
    }
    add("manifest.json", &manifest);
    b.finish().expect("finish");
}

const STATUS: &[u8] =
    b"Package: tool\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\n";
const LIST: &[u8] = b"/usr/bin/tool\n/usr/bin/alias\n";

fn analyse(second: &[E]) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("links.tar");
    let first = layer(&[
        E::File("var/lib/dpkg/status", STATUS.to_vec()),
        E::File("var/lib/dpkg/info/tool.list", LIST.to_vec()),
        E::File("usr/bin/tool", vec![b'a'; 100_000]),
        E::Link("usr/bin/alias", "usr/bin/tool"),
    ]);
    docker_archive(&path, &[first, layer(second)]);
    json_of(&ballast(&[path.to_str().expect("utf-8"), "--json", "-"]))
}

fn meta_bytes() -> u64 {
    (STATUS.len() + LIST.len()) as u64
}

fn categories(r: &Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["category"].as_str().expect("category").to_string())
        .collect()
}

fn dir_size(r: &Value, path: &str) -> u64 {
    r["largest_directories"]
        .as_array()
        .expect("dirs")
        .iter()
        .find(|d| d["path"] == path)
        .and_then(|d| d["size_bytes"].as_u64())
        .unwrap_or_else(|| panic!("{path} not in {}", r["largest_directories"]))
}

fn package_bytes(r: &Value, name: &str) -> u64 {
    let pkgs = &r["packages"];
    pkgs["list"]
        .as_array()
        .unwrap_or_else(|| panic!("packages section: {pkgs}"))
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["bytes"].as_u64())
        .unwrap_or_else(|| panic!("{name} not in {pkgs}"))
}

#[test]
fn a_link_whose_original_is_deleted_still_holds_the_bytes() {
    let r = analyse(&[E::File("usr/bin/.wh.tool", Vec::new())]);
    assert_eq!(
        r["image"]["final_size_bytes"].as_u64(),
        Some(100_000 + meta_bytes()),
        "{}",
        r["image"]
    );
    assert!(
        !categories(&r).iter().any(|c| c == "deleted-later"),
        "the bytes are still in use: {:?}",
        categories(&r)
    );
    assert_eq!(dir_size(&r, "/usr/bin"), 100_000);
    assert_eq!(package_bytes(&r, "tool"), 100_000);
}

#[test]
fn a_link_whose_original_is_replaced_keeps_the_old_content() {
    let r = analyse(&[E::File("usr/bin/tool", vec![b'b'; 10])]);
    assert_eq!(
        r["image"]["final_size_bytes"].as_u64(),
        Some(100_010 + meta_bytes())
    );
    assert!(
        !categories(&r).iter().any(|c| c == "overwritten"),
        "the old content is still seen through the link: {:?}",
        categories(&r)
    );
    assert_eq!(package_bytes(&r, "tool"), 100_010);
}

#[test]
fn a_link_and_its_original_count_once() {
    let r = analyse(&[E::File("etc/motd", b"hi".to_vec())]);
    assert_eq!(
        r["image"]["final_size_bytes"].as_u64(),
        Some(100_002 + meta_bytes())
    );
    assert_eq!(package_bytes(&r, "tool"), 100_000);
}

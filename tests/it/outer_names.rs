//! Names in the outer archive and in layout directories, read the way a
//! runtime's import reads them: members compared as raw bytes after
//! cleaning, and metadata bounded by the bytes actually read.

use std::path::Path;

use crate::hardlinks::docker_archive;
use crate::util::{assert_clean_failure, ballast, json_of};

fn tiny_layer() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(2);
    h.set_mode(0o644);
    b.append_data(&mut h, "hello", &b"hi"[..]).expect("append");
    b.into_inner().expect("tar")
}

/// Appends a member with a raw (unchecked) name to a finished archive.
fn append_raw(archive: &Path, name: &[u8], data: &[u8]) {
    let mut bytes = std::fs::read(archive).expect("read");
    // Drop the end-of-archive blocks, append, and end it again.
    while bytes.len() >= 512 && bytes[bytes.len() - 512..].iter().all(|&b| b == 0) {
        bytes.truncate(bytes.len() - 512);
    }
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    bytes.extend_from_slice(h.as_bytes());
    bytes.extend_from_slice(data);
    bytes.resize(bytes.len().div_ceil(512) * 512 + 1024, 0);
    std::fs::write(archive, bytes).expect("write");
}

#[test]
fn a_member_climbing_out_does_not_shadow_manifest_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shadow.tar");
    docker_archive(&path, &[tiny_layer()]);
    append_raw(
        &path,
        b"../manifest.json",
        br#"[{"Config":"nope.json","RepoTags":["evil:1"],"Layers":[]}]"#,
    );
    let p = path.to_str().expect("utf-8");
    let v = json_of(&ballast(&[p, "--json", "-"]));
    assert_eq!(v["image"]["repo_tags"][0], "links:1");
    // From stdin too.
    let o = crate::util::ballast_stdin(&["-", "--json", "-"], &path);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["image"]["repo_tags"][0], "links:1");
}

#[test]
fn members_whose_names_are_not_utf8_match_no_manifest_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bytes.tar");
    // A manifest naming the lossy form of the member appended below.
    let layer = tiny_layer();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let mut b = tar::Builder::new(std::fs::File::create(&path).expect("create"));
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data).expect("append");
    };
    add("c.json", config);
    add(
        "manifest.json",
        "[{\"Config\":\"c.json\",\"Layers\":[\"\u{fffd}/layer.tar\"]}]".as_bytes(),
    );
    b.finish().expect("finish");
    drop(b);
    append_raw(&path, b"\xff/layer.tar", &layer);
    let o = ballast(&[path.to_str().expect("utf-8")]);
    assert_clean_failure(&o, "bytes.tar", "layer.tar");
}

#[test]
fn metadata_that_is_a_proc_file_is_bounded_by_bytes_read() {
    let pagemap = Path::new("/proc/self/pagemap");
    if std::fs::File::open(pagemap).is_err() {
        println!("SKIPPED: /proc/self/pagemap is not readable here");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("oci");
    std::fs::create_dir_all(layout.join("blobs/sha256")).expect("mkdir");
    std::fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("w");
    // /proc files report a size of 0 and read on for gigabytes.
    std::os::unix::fs::symlink(pagemap, layout.join("index.json")).expect("symlink");
    let start = std::time::Instant::now();
    let o = ballast(&[layout.to_str().expect("utf-8")]);
    assert_clean_failure(&o, "oci", "too large for metadata");
    assert!(start.elapsed().as_secs() < 30, "{:?}", start.elapsed());
}

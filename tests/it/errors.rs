//! Broken input: exit 2, one line on stderr naming the file and the problem,
//! never a panic.

use std::io::{Read, Write};

use crate::util::{assert_clean_failure, ballast, ballast_stdin, dive_fixtures, sample, stderr};

#[test]
fn not_an_image_is_refused() {
    let Some(dir) = dive_fixtures() else { return };
    let p = dir.join("not-an-image.tar");
    let o = ballast(&[p.to_str().expect("utf-8")]);
    assert_clean_failure(&o, "not-an-image.tar", "could not find image manifest");
}

#[test]
fn missing_file_is_named() {
    let o = ballast(&["/nonexistent/img.tar"]);
    assert_clean_failure(&o, "/nonexistent/img.tar", "no such file");
}

#[test]
fn empty_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("empty.tar");
    std::fs::write(&p, b"").expect("write");
    assert_clean_failure(
        &ballast(&[p.to_str().expect("utf-8")]),
        "empty.tar",
        "empty",
    );
    assert_clean_failure(&ballast_stdin(&["-"], &p), "<stdin>", "no files");
}

#[test]
fn random_bytes_are_not_a_tar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("random.bin");
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&p, bytes).expect("write");
    assert_clean_failure(
        &ballast(&[p.to_str().expect("utf-8")]),
        "random.bin",
        "not a tar",
    );
}

#[test]
fn truncated_archive_is_refused_from_file_and_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = std::fs::read(sample("ml-mistakes.docker.tar")).expect("read");
    let p = dir.path().join("cut.tar");
    std::fs::write(&p, &raw[..raw.len() * 3 / 5]).expect("write");
    assert_clean_failure(
        &ballast(&[p.to_str().expect("utf-8")]),
        "cut.tar",
        "truncated",
    );
    assert_clean_failure(&ballast_stdin(&["-"], &p), "<stdin>", "truncated");
}

/// The offset and size of the largest blob in an OCI archive.
fn largest_blob(raw: &[u8]) -> (u64, u64) {
    let mut ar = tar::Archive::new(raw);
    let mut best = (0, 0);
    for e in ar.entries().expect("entries") {
        let e = e.expect("entry");
        if e.size() > best.1 {
            best = (e.raw_file_position(), e.size());
        }
    }
    best
}

#[test]
fn corrupt_gzip_layer_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut raw = std::fs::read(sample("clean.oci.tar")).expect("read");
    let (off, size) = largest_blob(&raw);
    let mid = usize::try_from(off + size / 2).expect("fits");
    for b in &mut raw[mid..mid + 256] {
        *b ^= 0x5a;
    }
    let p = dir.path().join("corrupt.tar");
    std::fs::File::create(&p)
        .and_then(|mut f| f.write_all(&raw))
        .expect("write");
    let o = ballast(&[p.to_str().expect("utf-8")]);
    assert_clean_failure(&o, "corrupt.tar", "layer");
    assert_clean_failure(&ballast_stdin(&["-"], &p), "<stdin>", "layer");
}

#[test]
fn corrupt_zstd_layer_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut raw = Vec::new();
    std::fs::File::open(sample("ml-mistakes.oci-zstd.tar"))
        .and_then(|mut f| f.read_to_end(&mut raw))
        .expect("read");
    let (off, size) = largest_blob(&raw);
    let mid = usize::try_from(off + size / 2).expect("fits");
    for b in &mut raw[mid..mid + 256] {
        *b ^= 0xa5;
    }
    let p = dir.path().join("corrupt-zstd.tar");
    std::fs::write(&p, &raw).expect("write");
    assert_clean_failure(
        &ballast(&[p.to_str().expect("utf-8")]),
        "corrupt-zstd.tar",
        "layer",
    );
}

#[test]
fn verify_accepts_intact_images() {
    for name in [
        "ml-mistakes.docker.tar",
        "ml-mistakes.oci.tar",
        "ml-mistakes.oci-zstd.tar",
        "clean.oci.tar",
    ] {
        let p = sample(name);
        let o = ballast(&[p.to_str().expect("utf-8"), "--verify", "--json", "-"]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name}: {}",
            crate::util::stderr(&o)
        );
        let o = ballast_stdin(&["-", "--verify", "--json", "-"], &p);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name} on stdin: {}",
            crate::util::stderr(&o)
        );
    }
}

/// A byte of file content changed inside a layer: the tar stays valid, so
/// only the digests can tell.
#[test]
fn verify_refuses_a_tampered_layer_and_plain_runs_warn() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut raw = std::fs::read(sample("ml-mistakes.docker.tar")).expect("read");
    let (off, size) = largest_blob(&raw);
    // The largest layer holds the 2 MB busybox binary: its middle is content.
    let at = usize::try_from(off + size / 2).expect("fits");
    raw[at] ^= 0x01;
    let p = dir.path().join("tampered.tar");
    std::fs::write(&p, &raw).expect("write");
    let p = p.to_str().expect("utf-8");
    let o = ballast(&[p, "--json", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", crate::util::stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(report["image"]["digests_checked"], false);
    let o = ballast(&[p, "--verify"]);
    assert_clean_failure(&o, "tampered.tar", "does not match");
    // The stream loader an engine's `docker save` goes through: the same
    // check, which `docker://` and `podman://` run without `--verify`.
    let o = ballast_stdin(&["-", "--verify"], std::path::Path::new(p));
    assert_clean_failure(&o, "<stdin>", "does not match");
    let o = ballast_stdin(
        &["-", "--verify", "--json", "-"],
        &sample("ml-mistakes.docker.tar"),
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(report["image"]["digests_checked"], true);
}

#[test]
fn verify_refuses_a_tampered_oci_blob() {
    let Some(fixtures) = dive_fixtures() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut raw = std::fs::read(fixtures.join("test-oci-uncompressed-image.tar")).expect("read");
    let (off, size) = largest_blob(&raw);
    // The uncompressed layer: one README.md after a 512-byte header.
    let at = usize::try_from(off + 512 + size / 4).expect("fits");
    raw[at] ^= 0x01;
    let p = dir.path().join("tampered-oci.tar");
    std::fs::write(&p, &raw).expect("write");
    let o = ballast(&[p.to_str().expect("utf-8"), "--verify"]);
    assert_clean_failure(&o, "tampered-oci.tar", "blob digest");
}

#[test]
fn less_than_one_header_is_not_a_tar_archive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("hello.tar");
    std::fs::write(&p, b"hello").expect("write");
    let o = ballast(&[p.to_str().expect("utf-8")]);
    assert_clean_failure(&o, "hello.tar", "not a tar archive");
    let o = ballast_stdin(&["-"], &p);
    assert_clean_failure(&o, "<stdin>", "not a tar archive");
}

#[test]
fn json_before_the_image_says_what_happened() {
    let img = sample("clean.oci.tar");
    let img = img.to_str().expect("utf-8");
    let o = ballast(&["--json", img]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("no IMAGE given") && err.contains(&format!("ballast {img} --json")),
        "{err}"
    );
}

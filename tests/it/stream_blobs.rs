//! An OCI archive read as a stream (stdin, a pipe path) is indexed blob by
//! blob before `index.json` says which blobs are layers. Thousands of small
//! unreferenced blobs ahead of it must not be refused (the file is not), and
//! the indexes kept meanwhile are bounded by the bytes they hold: blobs that
//! would make them hold more fail with one line naming the input and the
//! bound.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::util::{assert_clean_failure, ballast, ballast_stdin, json_of, sample};

/// Appends `data` as a regular file.
fn add(b: &mut tar::Builder<std::fs::File>, name: &str, data: &[u8]) {
    let mut h = tar::Header::new_ustar();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, name, data).expect("append");
}

fn blob_name(data: &[u8]) -> String {
    let digest: String = Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("blobs/sha256/{digest}")
}

/// `clean.oci.tar` with `extra` blobs written ahead of all its members,
/// `index.json` included, so a stream meets them before the layout.
fn oci_with_blobs_first(out: &Path, extra: impl Iterator<Item = Vec<u8>>) {
    let mut b = tar::Builder::new(std::fs::File::create(out).expect("create"));
    for data in extra {
        add(&mut b, &blob_name(&data), &data);
    }
    let src = std::fs::File::open(sample("clean.oci.tar")).expect("open sample");
    let mut a = tar::Archive::new(src);
    for e in a.entries().expect("entries") {
        let mut e = e.expect("entry");
        if !e.header().entry_type().is_file() {
            continue;
        }
        let name = e.path().expect("path").to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).expect("read");
        add(&mut b, &name, &data);
    }
    b.finish().expect("finish");
}

/// A small tar layer holding one file.
fn tiny_layer(i: usize) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let data = format!("unreferenced {i}\n");
    let mut h = tar::Header::new_ustar();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, format!("junk/{i}.txt"), data.as_bytes())
        .expect("append");
    b.into_inner().expect("tar")
}

/// 12,000 unreferenced blobs of the kinds registries leave behind: small
/// JSON documents, tiny layers, and bytes that are neither.
fn unreferenced(n: usize) -> impl Iterator<Item = Vec<u8>> {
    (0..n).map(|i| match i % 3 {
        0 => format!("{{\"unreferenced\": {i}}}").into_bytes(),
        1 => tiny_layer(i),
        _ => format!("not json, not a tar: {i}").into_bytes(),
    })
}

fn report(o: &std::process::Output) -> serde_json::Value {
    let mut v = json_of(o);
    v["image"]["source"] = "".into();
    v
}

#[test]
fn twelve_thousand_unreferenced_blobs_stream_like_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let img = dir.path().join("many-blobs.oci.tar");
    oci_with_blobs_first(&img, unreferenced(12_000));
    let p = img.to_str().expect("utf-8");
    let from_file = report(&ballast(&[p, "--json", "-"]));
    let from_stdin = report(&ballast_stdin(&["-", "--json", "-"], &img));
    assert_eq!(from_file, from_stdin, "stdin differs from the file");
    // A pipe path, as `ballast <(cat img)` gives it.
    let piped = Command::new("bash")
        .args(["-c", r#"exec "$0" <(cat "$1") --json -"#])
        .arg(env!("CARGO_BIN_EXE_ballast"))
        .arg(&img)
        .output()
        .expect("bash");
    assert_eq!(
        report(&piped),
        from_file,
        "a pipe path differs from the file"
    );
    // And the image is the sample's, blobs or not.
    let plain = report(&ballast(&[
        sample("clean.oci.tar").to_str().expect("utf-8"),
        "--json",
        "-",
    ]));
    assert_eq!(plain["layers"], from_file["layers"]);
}

/// A gzip layer of `entries` files whose PAX paths are each about 1 MiB:
/// a few KB stored, about `entries` MiB of names once indexed.
fn long_named_layer(entries: usize) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let long = "a".repeat((1 << 20) - 64);
    for i in 0..entries {
        let name = format!("{i:04}/{long}");
        let body = format!(" path={name}\n");
        let mut len = body.len() + 1;
        while len.to_string().len() + body.len() != len {
            len += 1;
        }
        let record = format!("{len}{body}");
        let mut pax = tar::Header::new_ustar();
        pax.set_path("PaxHeaders/x").expect("path");
        pax.set_size(record.len() as u64);
        pax.set_entry_type(tar::EntryType::XHeader);
        pax.set_cksum();
        gz.write_all(pax.as_bytes()).expect("write");
        gz.write_all(record.as_bytes()).expect("write");
        gz.write_all(&vec![0u8; (512 - record.len() % 512) % 512])
            .expect("write");
        let mut h = tar::Header::new_ustar();
        h.set_path("short").expect("path");
        h.set_size(0);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        gz.write_all(h.as_bytes()).expect("write");
    }
    gz.write_all(&[0u8; 1024]).expect("write");
    gz.finish().expect("gzip")
}

#[test]
fn unreferenced_blobs_holding_too_much_are_refused_from_stdin_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let img = dir.path().join("heavy-blobs.oci.tar");
    // 24 blobs of 12 entries: about 288 MiB of names, over the 256 MiB
    // bound, from a few hundred KB of archive.
    let layer = long_named_layer(12);
    oci_with_blobs_first(
        &img,
        (0..24).map(|i| {
            // Distinct digests: the gzip header's OS byte varies per blob.
            let mut l = layer.clone();
            l[9] = u8::try_from(i).expect("small");
            l
        }),
    );
    let size = std::fs::metadata(&img).expect("stat").len();
    assert!(size < 4 << 20, "the archive stays small: {size} bytes");
    let p = img.to_str().expect("utf-8");
    // The file is read by its layout: the blobs are never indexed.
    let from_file = report(&ballast(&[p, "--json", "-"]));
    assert!(from_file["layers"].is_array());
    // By default the names' budget of --max-entries (96 bytes an entry)
    // is the first bound these names reach; raised, the 256 MiB bound on
    // what stdin keeps before the manifest is next.
    let o = ballast_stdin(&["-", "--json", "-"], &img);
    assert_clean_failure(&o, "<stdin>", "--max-entries N raises the limit");
    let raised = ["-", "--json", "-", "--max-entries", "5000000"];
    let o = ballast_stdin(&raised, &img);
    assert_clean_failure(&o, "<stdin>", "256 MiB");
    // Refused at the bound, not after holding everything: peak RSS as
    // time(1) measures it stays under the 500 MB every input must.
    let file = std::fs::File::open(&img).expect("open");
    let Ok(timed) = Command::new("/usr/bin/time")
        .args(["-f", "max_rss_kb: %M", env!("CARGO_BIN_EXE_ballast")])
        .args(raised)
        .stdin(file)
        .output()
    else {
        println!("SKIPPED: the RSS check needs /usr/bin/time (Debian package time)");
        return;
    };
    let err = String::from_utf8_lossy(&timed.stderr);
    let rss_kb: u64 = err
        .lines()
        .find_map(|l| l.strip_prefix("max_rss_kb: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("time(1) reports the peak RSS");
    println!("refused from stdin at a peak RSS of {rss_kb} kB");
    assert!(rss_kb < 500 * 1000, "peak RSS {rss_kb} kB");
}

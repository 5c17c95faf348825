//! Gzip layers inflated in parallel (`BALLAST_INFLATE=parallel-only`: no
//! streaming fallback, so what is checked is the parallel inflater's own
//! work) and by the streaming inflater (`=single`) give the same report,
//! diff_ids and blob digests included, from an OCI archive, an OCI layout
//! directory and a docker-archive with gzip layers; a broken stream gives
//! the same one-line error either way (`=parallel`, the default's
//! behaviour, falls back to the streaming path's verdict).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use sha2::Digest;

use crate::util::{assert_clean_failure, json_of, stderr};

fn ballast_with(inflate: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ballast"));
    c.args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .stdin(Stdio::null());
    match inflate {
        Some(m) => c.env("BALLAST_INFLATE", m),
        None => c.env_remove("BALLAST_INFLATE"),
    };
    c.output().expect("run ballast")
}

fn hex(b: &[u8]) -> String {
    ballast::index::layer::hex(b)
}

/// Deterministic bytes: runs of code-like text and runs of noise.
fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let words: [&[u8]; 8] = [
        b"import ",
        b"torch",
        b".nn",
        b"(self, x)",
        b"\n    return ",
        b"def forward",
        b" = ",
        b"tensor",
    ];
    let mut out = Vec::with_capacity(len + 64);
    while out.len() < len {
        if next().is_multiple_of(3) {
            for _ in 0..2048 {
                out.extend_from_slice(&next().to_le_bytes());
            }
        } else {
            for _ in 0..3000 {
                out.extend_from_slice(words[(next() % 8) as usize]);
            }
        }
    }
    out.truncate(len);
    out
}

fn layer_tar(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, &data[..]).expect("append");
    }
    b.into_inner().expect("tar")
}

fn gz(data: &[u8], level: u32) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// Layers as (uncompressed tar, gzip blob): one big single-member layer,
/// one of concatenated members split mid-entry (with an empty member and a
/// stored one), one of stored blocks, and a tiny one.
fn layers() -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut big_files: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..40 {
        big_files.push((
            format!("usr/lib/python3/m{i:02}.py"),
            content(40_000 + i * 977, i as u64),
        ));
    }
    big_files.push(("usr/lib/libtorch.so".into(), content(7 << 20, 100)));
    big_files.push(("models/w.bin".into(), content(3 << 20, 101)));
    let big_refs: Vec<(&str, Vec<u8>)> = big_files
        .iter()
        .map(|(n, d)| (n.as_str(), d.clone()))
        .collect();
    let big = layer_tar(&big_refs);

    let multi = layer_tar(&[
        ("opt/a.bin", content(3 << 20, 200)),
        ("opt/b.txt", content(2 << 20, 201)),
    ]);
    let cut = multi.len() / 3;
    let mut multi_gz = gz(&multi[..cut], 6);
    multi_gz.extend(gz(b"", 6));
    multi_gz.extend(gz(&multi[cut..2 * cut], 0));
    multi_gz.extend(gz(&multi[2 * cut..], 1));

    let stored = layer_tar(&[("srv/data", content(3 << 20, 300))]);
    let tiny = layer_tar(&[("etc/hostname", b"box\n".to_vec())]);
    vec![
        (big.clone(), gz(&big, 6)),
        (multi, multi_gz),
        (stored.clone(), gz(&stored, 0)),
        (tiny.clone(), gz(&tiny, 6)),
    ]
}

fn config(layers: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|(raw, _)| format!("\"sha256:{}\"", hex(&sha2::Sha256::digest(raw))))
        .collect();
    let history: Vec<String> = (0..layers.len())
        .map(|i| format!(r#"{{"created_by":"/bin/sh -c step {i}"}}"#))
        .collect();
    format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[{}]}},"history":[{}]}}"#,
        diff_ids.join(","),
        history.join(",")
    )
    .into_bytes()
}

fn add(b: &mut tar::Builder<std::fs::File>, name: &str, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    b.append_data(&mut h, name, data).expect("append");
}

/// Writes the image as an OCI archive at `path`; `blob_of` may alter the
/// stored blobs (to corrupt one) after the manifest names the good ones.
fn oci_archive(
    path: &Path,
    layers: &[(Vec<u8>, Vec<u8>)],
    blob_of: impl Fn(usize, &[u8]) -> Vec<u8>,
) {
    let cfg = config(layers);
    let cfg_hex = hex(&sha2::Sha256::digest(&cfg));
    let descs: Vec<String> = layers
        .iter()
        .map(|(_, g)| {
            format!(
                r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:{}","size":{}}}"#,
                hex(&sha2::Sha256::digest(g)),
                g.len()
            )
        })
        .collect();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{cfg_hex}","size":{}}},"layers":[{}]}}"#,
        cfg.len(),
        descs.join(",")
    );
    let m_hex = hex(&sha2::Sha256::digest(manifest.as_bytes()));
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{m_hex}","size":{}}}]}}"#,
        manifest.len()
    );
    let mut b = tar::Builder::new(std::fs::File::create(path).expect("create"));
    add(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    add(&mut b, "index.json", index.as_bytes());
    add(
        &mut b,
        &format!("blobs/sha256/{m_hex}"),
        manifest.as_bytes(),
    );
    add(&mut b, &format!("blobs/sha256/{cfg_hex}"), &cfg);
    for (i, (_, g)) in layers.iter().enumerate() {
        add(
            &mut b,
            &format!("blobs/sha256/{}", hex(&sha2::Sha256::digest(g))),
            &blob_of(i, g),
        );
    }
    b.finish().expect("finish");
}

/// The same image as `docker save` of the containerd store writes it:
/// `manifest.json` naming gzip `layer.tar` members.
fn docker_archive(path: &Path, layers: &[(Vec<u8>, Vec<u8>)]) {
    let cfg = config(layers);
    let cfg_name = format!("{}.json", hex(&sha2::Sha256::digest(&cfg)));
    let mut b = tar::Builder::new(std::fs::File::create(path).expect("create"));
    add(&mut b, &cfg_name, &cfg);
    let mut names = Vec::new();
    for (i, (_, g)) in layers.iter().enumerate() {
        let name = format!("l{i}/layer.tar");
        add(&mut b, &name, g);
        names.push(format!("\"{name}\""));
    }
    let manifest = format!(
        r#"[{{"Config":"{cfg_name}","RepoTags":["big:1"],"Layers":[{}]}}]"#,
        names.join(",")
    );
    add(&mut b, "manifest.json", manifest.as_bytes());
    b.finish().expect("finish");
}

#[test]
fn parallel_and_streaming_inflate_give_the_same_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ls = layers();
    let oci = dir.path().join("img.oci.tar");
    oci_archive(&oci, &ls, |_, g| g.to_vec());
    let oci_dir = dir.path().join("img-oci");
    tar::Archive::new(std::fs::File::open(&oci).expect("open"))
        .unpack(&oci_dir)
        .expect("unpack");
    let docker = dir.path().join("img.docker.tar");
    docker_archive(&docker, &ls);
    for path in [&oci, &oci_dir, &docker] {
        let p = path.to_str().expect("utf-8");
        for extra in [&[][..], &["--verify"][..]] {
            let args: Vec<&str> = [p, "--json", "-"].iter().chain(extra).copied().collect();
            let single = json_of(&ballast_with(Some("single"), &args));
            let parallel = json_of(&ballast_with(Some("parallel-only"), &args));
            assert_eq!(single, parallel, "{p} {extra:?}");
            let auto = json_of(&ballast_with(None, &args));
            assert_eq!(single, auto, "{p} {extra:?}");
            if !extra.is_empty() {
                let layers = parallel["layers"].as_array().expect("layers");
                assert_eq!(layers.len(), 4);
                let text = parallel.to_string();
                assert!(!text.contains("does not match"), "{p}: {text}");
            }
        }
    }
}

#[test]
fn a_broken_gzip_layer_fails_the_same_way_in_every_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ls = layers();
    type Damage = fn(&[u8]) -> Vec<u8>;
    let cases: [(&str, Damage, &str); 3] = [
        (
            "corrupt.tar",
            |g| {
                let mut v = g.to_vec();
                let mid = v.len() / 2;
                v[mid] ^= 0x5a;
                v
            },
            "gzip",
        ),
        ("cut.tar", |g| g[..g.len() * 2 / 3].to_vec(), "truncated"),
        (
            "crc.tar",
            |g| {
                let mut v = g.to_vec();
                let n = v.len();
                v[n - 7] ^= 1;
                v
            },
            "checksum",
        ),
    ];
    for (name, damage, phrase) in cases {
        let path = dir.path().join(name);
        oci_archive(
            &path,
            &ls,
            |i, g| if i == 0 { damage(g) } else { g.to_vec() },
        );
        let p = path.to_str().expect("utf-8");
        let single = ballast_with(Some("single"), &[p]);
        assert_clean_failure(&single, name, phrase);
        for mode in ["parallel", "parallel-only"] {
            let o = ballast_with(Some(mode), &[p]);
            assert_clean_failure(&o, name, "gzip");
            if mode == "parallel" {
                assert_eq!(stderr(&o), stderr(&single), "{name}: {mode}");
            }
        }
    }
}

//! Inputs real tools write that ballast used to refuse or misread: config
//! names written `./x.json`, OCI blobs named by sha512, JSON with a key
//! given twice (Go keeps the last).

use std::path::Path;

use sha2::Digest;

use crate::util::{ballast, json_of, stderr};

fn layer() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(5);
    h.set_mode(0o644);
    b.append_data(&mut h, "etc/hello", &b"hello"[..])
        .expect("append");
    b.into_inner().expect("tar")
}

fn hex(b: &[u8]) -> String {
    ballast::index::layer::hex(b)
}

fn config_for(layer: &[u8]) -> Vec<u8> {
    format!(
        r#"{{"architecture":"arm64","os":"linux","architecture":"amd64","rootfs":{{"type":"layers","diff_ids":["sha256:{}"]}}}}"#,
        hex(&sha2::Sha256::digest(layer))
    )
    .into_bytes()
}

#[test]
fn dot_slash_config_names_and_duplicate_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dot.tar");
    let l = layer();
    let mut b = tar::Builder::new(std::fs::File::create(&path).expect("create"));
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data).expect("append");
    };
    add("c.json", &config_for(&l));
    add("l/layer.tar", &l);
    add(
        "manifest.json",
        br#"[{"Config":"./c.json","RepoTags":["dot:1"],"Layers":["./l/layer.tar"]}]"#,
    );
    b.finish().expect("finish");
    drop(b);
    let v = json_of(&ballast(&[path.to_str().expect("utf-8"), "--json", "-"]));
    assert_eq!(v["image"]["final_size_bytes"], 5);
    assert_eq!(v["image"]["architecture"], "amd64", "the last key wins");
}

/// An OCI layout directory whose layer blob is named by sha512.
fn sha512_layout(root: &Path, corrupt: bool) {
    let l = layer();
    let l512 = hex(&sha2::Sha512::digest(&l));
    let put = |alg: &str, hex: &str, data: &[u8]| {
        let d = root.join("blobs").join(alg);
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join(hex), data).expect("write");
    };
    let mut stored = l.clone();
    if corrupt {
        stored[600] ^= 1; // file data, not a header
    }
    put("sha512", &l512, &stored);
    let config = config_for(&l);
    let c256 = hex(&sha2::Sha256::digest(&config));
    put("sha256", &c256, &config);
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{c256}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha512:{l512}","size":{}}}]}}"#,
        config.len(),
        l.len()
    );
    let m256 = hex(&sha2::Sha256::digest(manifest.as_bytes()));
    put("sha256", &m256, manifest.as_bytes());
    std::fs::write(
        root.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{m256}","size":{}}}]}}"#,
            manifest.len()
        ),
    )
    .expect("index");
    std::fs::write(
        root.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("w");
}

#[test]
fn sha512_blobs_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good");
    sha512_layout(&good, false);
    let o = ballast(&[good.to_str().expect("utf-8"), "--verify", "--json", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bad = dir.path().join("bad");
    sha512_layout(&bad, true);
    let o = ballast(&[bad.to_str().expect("utf-8"), "--verify"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("sha512:"), "{}", stderr(&o));
}

#[test]
fn pre_1_10_docker_save_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&path).expect("create"));
    for (name, data) in [
        ("repositories", &br#"{"busybox":{"latest":"abc"}}"#[..]),
        ("abc/VERSION", b"1.0"),
        ("abc/json", br#"{"id":"abc"}"#),
        ("abc/layer.tar", &layer()[..]),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data).expect("append");
    }
    b.finish().expect("finish");
    drop(b);
    let o = ballast(&[path.to_str().expect("utf-8")]);
    crate::util::assert_clean_failure(&o, "old.tar", "before Docker 1.10");
    let o = crate::util::ballast_stdin(&["-"], &path);
    assert!(stderr(&o).contains("before Docker 1.10"), "{}", stderr(&o));
}

#[test]
fn uncompressed_layer_sizes_are_called_stored() {
    let docker = crate::util::sample("ml-mistakes.docker.tar");
    let o = ballast(&[docker.to_str().expect("utf-8")]);
    let text = String::from_utf8(o.stdout).expect("utf-8");
    assert!(text.contains(" stored)"), "{text}");
    let oci = crate::util::sample("ml-mistakes.oci.tar");
    let o = ballast(&[oci.to_str().expect("utf-8")]);
    let text = String::from_utf8(o.stdout).expect("utf-8");
    assert!(text.contains(" compressed)"), "{text}");
}

#[test]
fn a_pipe_path_is_read_as_a_stream() {
    let sample = crate::util::sample("ml-mistakes.docker.tar");
    let file = json_of(&ballast(&[sample.to_str().expect("utf-8"), "--json", "-"]));
    let o = std::process::Command::new("bash")
        .arg("-c")
        .arg(r#""$0" <(cat "$1") --json -"#)
        .arg(env!("CARGO_BIN_EXE_ballast"))
        .arg(&sample)
        .output()
        .expect("bash");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let piped: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(
        piped["image"]["final_size_bytes"],
        file["image"]["final_size_bytes"]
    );
    assert_eq!(piped["findings"], file["findings"]);
}

/// Runs a tool, or says why it cannot (not installed, or it fails here).
fn tool(cmd: &str, args: &[&str]) -> Result<(), String> {
    match std::process::Command::new(cmd).args(args).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "{cmd} failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("{cmd} cannot run: {e}")),
    }
}

#[test]
fn skopeo_dir_transport_agrees_with_the_docker_archive() {
    use crate::formats::{assert_same_image, load};
    let sample = crate::util::sample("ml-mistakes.docker.tar");
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("dir");
    let src = format!("docker-archive:{}", sample.display());
    let dst = format!("dir:{}", out.display());
    if which("skopeo").is_none() {
        println!("SKIPPED: skopeo is not installed");
        return;
    }
    tool("skopeo", &["copy", "--quiet", &src, &dst]).expect("skopeo copy");
    assert!(out.join("version").is_file(), "skopeo wrote a version file");
    let docker = load(&sample);
    let dir = load(&out);
    assert_eq!(dir.report.image.format, "dir");
    assert_same_image(&docker, &dir, "skopeo dir:");
    // Every layer's digest is checked against the manifest's.
    let o = ballast(&[out.to_str().expect("utf-8"), "--verify", "--json", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A layer file gone: one line naming it, exit 2.
    let digest = dir.report.layers[0].digest.clone().expect("digest");
    let hex = digest.trim_start_matches("sha256:").to_string();
    std::fs::remove_file(out.join(&hex)).expect("remove a layer");
    let o = ballast(&[out.to_str().expect("utf-8")]);
    crate::util::assert_clean_failure(&o, "dir", &hex);

    // podman save --format docker-dir writes the same transport.
    let root = tmp.path().join("root");
    let run = tmp.path().join("run");
    let podman = |args: &[&str]| {
        let mut all = vec![
            "--root",
            root.to_str().expect("utf-8"),
            "--runroot",
            run.to_str().expect("utf-8"),
            "--storage-driver",
            "vfs",
        ];
        all.extend_from_slice(args);
        tool("podman", &all)
    };
    let pdir = tmp.path().join("podman-dir");
    let saved = podman(&["load", "-q", "-i", sample.to_str().expect("utf-8")]).and_then(|()| {
        podman(&[
            "save",
            "-q",
            "--format",
            "docker-dir",
            "-o",
            pdir.to_str().expect("utf-8"),
            "localhost/ml-mistakes:latest",
        ])
    });
    match saved {
        Ok(()) => {
            let p = load(&pdir);
            assert_eq!(p.report.image.format, "dir");
            assert_same_image(&docker, &p, "podman docker-dir");
        }
        Err(why) => println!("SKIPPED: podman docker-dir: {why}"),
    }
}

fn which(cmd: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(cmd))
            .find(|f| f.is_file())
    })
}

#[test]
fn xz_and_bzip2_compressed_archives_are_streamed() {
    // `docker save img | xz > img.tar.xz`: `docker load` takes xz and
    // bzip2 as it takes gzip, from a file or a pipe.
    let sample = crate::util::sample("ml-mistakes.docker.tar");
    let plain_path = sample.to_str().expect("utf-8");
    let mut plain = json_of(&ballast(&[plain_path, "--json", "-"]));
    plain["image"]["source"] = "".into();
    let tmp = tempfile::tempdir().expect("tempdir");
    for (cmd, ext) in [("xz", "xz"), ("bzip2", "bz2")] {
        let packed = tmp.path().join(format!("img.tar.{ext}"));
        let out = match std::process::Command::new(cmd)
            .args(["-c", plain_path])
            .output()
        {
            Ok(o) if o.status.success() => o.stdout,
            _ => {
                println!("SKIPPED: {cmd} cannot run");
                continue;
            }
        };
        std::fs::write(&packed, &out).expect("write");
        let p = packed.to_str().expect("utf-8");
        let mut from_file = json_of(&ballast(&[p, "--json", "-"]));
        from_file["image"]["source"] = "".into();
        assert_eq!(from_file, plain, "{cmd} from a file");
        let mut from_stdin = json_of(&crate::util::ballast_stdin(&["-", "--json", "-"], &packed));
        from_stdin["image"]["source"] = "".into();
        assert_eq!(from_stdin, plain, "{cmd} from stdin");
        // Cut short: one line naming the truncation, exit 2.
        let cut = tmp.path().join(format!("cut.tar.{ext}"));
        std::fs::write(&cut, &out[..out.len() / 3]).expect("write");
        let name = format!("cut.tar.{ext}");
        crate::util::assert_clean_failure(
            &ballast(&[cut.to_str().expect("utf-8")]),
            &name,
            "truncated",
        );
    }
}

#[test]
fn an_xz_header_asking_for_a_huge_dictionary_is_refused() {
    // The LZMA2 dictionary size byte raised to 4 GiB (block header CRC
    // fixed up): refused before anything that size is allocated.
    let sample = crate::util::sample("ml-mistakes.docker.tar");
    let Ok(o) = std::process::Command::new("xz")
        .args(["-c", "--lzma2=dict=1MiB"])
        .arg(&sample)
        .output()
    else {
        println!("SKIPPED: xz cannot run");
        return;
    };
    let mut x = o.stdout;
    let size = (x[12] as usize + 1) * 4;
    let header = &mut x[12..12 + size];
    let at = header
        .windows(2)
        .position(|w| w == [0x21, 0x01])
        .expect("LZMA2 filter flags");
    header[at + 2] = 40;
    let mut crc = flate2::Crc::new();
    crc.update(&header[..size - 4]);
    header[size - 4..].copy_from_slice(&crc.sum().to_le_bytes());
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("huge-dict.tar.xz");
    std::fs::write(&path, &x).expect("write");
    crate::util::assert_clean_failure(
        &ballast(&[path.to_str().expect("utf-8")]),
        "huge-dict.tar.xz",
        "memory than the 256 MiB limit",
    );
}

//! Tar naming against the real thing: each crafted layer of `gotar.rs` goes
//! into a one-layer docker-archive (plus multi-layer cases here: whiteouts,
//! opaque directories, hard links outliving their first name, names outside
//! the root), which a private `dockerd` (vfs storage) loads; a container is
//! created from it and exported, and the files it holds (names, types,
//! sizes, link targets) must be the files of ballast's final tree. Where Docker refuses the image, ballast must refuse it too,
//! except for the differences listed in `DOCKER_ONLY_REFUSES` (Docker's own
//! rules on top of Go's `archive/tar`; ballast shows what the layer holds).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use ballast::ImageIndex;
use ballast::archive::{Input, LoadOptions};
use ballast::index::layer::{EntryKind, IndexOptions, index_layer};
use sha2::{Digest, Sha256};

use crate::sources::dockerd;

/// Cases Go's `archive/tar` reads (and so ballast does) but `docker load`
/// refuses, with the reason Docker gives. Asserted exactly both ways: a case
/// that stops differing, or a new difference, fails the test.
///
/// Old GNU sparse files (type `S`): Go's reader expands them, but Docker's
/// unpacker (like containerd's) knows only regular files, directories,
/// links, devices and FIFOs, and fails the whole layer on any other type.
/// ballast reads the layer as Go does; the image does not load.
const DOCKER_ONLY_REFUSES: &[(&str, &str)] = &[(
    "old GNU sparse header: real size, holes read as zeros",
    "unhandled tar header type 83",
)];

/// Cases where the container holds paths ballast's tree does not, and why.
/// Docker's unpacker creates the parent directory of every header's name
/// before it looks at the type, so even a PAX global header (which it then
/// ignores) leaves its parent directory behind; ballast, like Go's reader,
/// takes a global header for no file at all. Only empty directories may be
/// listed here, and each must really be the only difference.
const DOCKER_ONLY_DIRS: &[(&str, &[&str])] = &[(
    "a global header drops the PAX header before it",
    &["PaxHeaders"],
)];

/// One file as a container sees it: kind, size, link target.
type Item = (char, u64, Vec<u8>);

/// Paths Docker's init layer adds to every container.
const INIT_LAYER: &[&str] = &[
    ".dockerenv",
    "dev",
    "dev/console",
    "dev/pts",
    "dev/shm",
    "etc",
    "etc/hostname",
    "etc/hosts",
    "etc/mtab",
    "etc/resolv.conf",
    "proc",
    "sys",
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A docker-archive holding `layers`, bottom first, tagged `tag`.
fn docker_archive(layers: &[Vec<u8>], tag: &str, out: &Path) {
    let diff_ids: Vec<String> = layers.iter().map(|l| hex(&Sha256::digest(l))).collect();
    let list = |items: Vec<String>| items.join(",");
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Cmd":["/none"]}},"rootfs":{{"type":"layers","diff_ids":[{}]}},"history":[{}]}}"#,
        list(diff_ids.iter().map(|d| format!("\"sha256:{d}\"")).collect()),
        list(
            layers
                .iter()
                .map(|_| r#"{"created_by":"crafted layer"}"#.to_string())
                .collect()
        ),
    );
    let config_name = format!("{}.json", hex(&Sha256::digest(config.as_bytes())));
    let layer_names: Vec<String> = diff_ids.iter().map(|d| format!("{d}/layer.tar")).collect();
    let manifest = format!(
        r#"[{{"Config":"{config_name}","RepoTags":["{tag}"],"Layers":[{}]}}]"#,
        list(layer_names.iter().map(|n| format!("\"{n}\"")).collect())
    );
    let mut members: Vec<(&str, &[u8])> = layer_names
        .iter()
        .zip(layers)
        .map(|(n, l)| (n.as_str(), l.as_slice()))
        .collect();
    members.push((config_name.as_str(), config.as_bytes()));
    members.push(("manifest.json", manifest.as_bytes()));
    let mut b = tar::Builder::new(std::fs::File::create(out).expect("create"));
    for (name, data) in members {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).expect("append");
    }
    b.finish().expect("finish");
}

/// Hard links become the file they name (which name Docker's export calls
/// the original depends on its walk order, not on the layer).
fn resolve_links(mut files: BTreeMap<Vec<u8>, Item>) -> BTreeMap<Vec<u8>, Item> {
    let snapshot = files.clone();
    for item in files.values_mut() {
        if item.0 == 'h' {
            let target = snapshot.get(&item.2).filter(|t| t.0 != 'h');
            *item = ('f', target.map_or(item.1, |t| t.1), Vec::new());
        }
    }
    files
}

fn without_init_layer(mut files: BTreeMap<Vec<u8>, Item>) -> BTreeMap<Vec<u8>, Item> {
    for p in INIT_LAYER {
        files.remove(p.as_bytes());
    }
    files
}

/// ballast's final tree of the archive, or its error.
/// ballast's final tree of the archive and its content bytes (each inode
/// once), or its error.
fn ballast_files(archive: &Path) -> Result<(BTreeMap<Vec<u8>, Item>, u64), String> {
    let input = Input::Path(archive.to_path_buf());
    let (meta, layers) = ballast::archive::load(&input, &LoadOptions::default(), |s| {
        index_layer(s, IndexOptions::default())
    })
    .map_err(|e| e.to_string())?;
    let (image, ()) = ImageIndex::merge(meta, layers, |_| ());
    let mut files = BTreeMap::new();
    image.walk_final(|path, _, st| {
        let item = match st.entry {
            None => ('d', 0, Vec::new()),
            Some(e) => {
                let layer = &image.layers[st.version.layer as usize];
                let kind = match e.kind {
                    EntryKind::Dir => 'd',
                    EntryKind::File => 'f',
                    EntryKind::Symlink => 'l',
                    EntryKind::Hardlink => 'h',
                    _ => char::from(e.tar_type),
                };
                let link = if matches!(e.kind, EntryKind::Symlink | EntryKind::Hardlink) {
                    layer.link(e).to_vec()
                } else {
                    Vec::new()
                };
                if e.kind == EntryKind::Hardlink {
                    // A hard link holds its inode's bytes whatever became of
                    // the name it was linked to.
                    (
                        'f',
                        linked_size(&image, st.version.layer as usize, &link),
                        Vec::new(),
                    )
                } else {
                    (kind, st.size(), link)
                }
            }
        };
        files.insert(path.to_vec(), item);
    });
    Ok((without_init_layer(files), image.final_size()))
}

/// The size of the file `target` named when a hard link in layer `at` was
/// made: its newest regular-file entry in that layer or below.
fn linked_size(image: &ImageIndex, at: usize, target: &[u8]) -> u64 {
    image.layers[..=at]
        .iter()
        .rev()
        .find_map(|l| {
            l.entries
                .iter()
                .rev()
                .find(|e| e.kind == EntryKind::File && l.path(e) == target)
                .map(|e| e.size)
        })
        .unwrap_or(0)
}

/// The files of an exported container.
/// The files of an exported container, and the bytes its regular files
/// hold (Docker's export writes each inode's bytes once, at its first name).
fn exported_files(export: &[u8]) -> (BTreeMap<Vec<u8>, Item>, u64) {
    let mut files = BTreeMap::new();
    let mut a = tar::Archive::new(export);
    for e in a.entries().expect("export entries") {
        let mut e = e.expect("export entry");
        let raw = e.path_bytes().into_owned();
        let path: Vec<u8> = raw
            .strip_prefix(b"./")
            .unwrap_or(&raw)
            .strip_suffix(b"/")
            .map_or_else(
                || raw.strip_prefix(b"./").unwrap_or(&raw).to_vec(),
                <[u8]>::to_vec,
            );
        if path.is_empty() || path == b"." {
            continue;
        }
        let t = e.header().entry_type();
        let link = e
            .link_name_bytes()
            .map(|l| l.into_owned())
            .unwrap_or_default();
        let item = match t {
            tar::EntryType::Directory => ('d', 0, Vec::new()),
            tar::EntryType::Symlink => ('l', 0, link),
            tar::EntryType::Link => ('h', 0, link.strip_prefix(b"/").unwrap_or(&link).to_vec()),
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mut n = 0u64;
                let mut buf = [0u8; 8192];
                loop {
                    let k = e.read(&mut buf).expect("export data");
                    if k == 0 {
                        break;
                    }
                    n += k as u64;
                }
                ('f', n, Vec::new())
            }
            other => (char::from(other.as_byte()), 0, Vec::new()),
        };
        files.insert(path, item);
    }
    let files = without_init_layer(files);
    let bytes = files.values().filter(|i| i.0 == 'f').map(|i| i.1).sum();
    (resolve_links(files), bytes)
}

/// What a layer entry is, for the multi-layer cases.
enum E<'a> {
    File(&'a [u8]),
    Dir,
    Hard(&'a str),
    Sym(&'a str),
}

/// A layer written as a plain tool would (GNU headers).
fn layer(entries: &[(&str, E)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, e) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(0);
        match e {
            E::File(data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, name, *data).expect("file");
            }
            E::Dir => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                b.append_data(&mut h, name, &[][..]).expect("dir");
            }
            E::Hard(target) | E::Sym(target) => {
                h.set_entry_type(if matches!(e, E::Hard(_)) {
                    tar::EntryType::Link
                } else {
                    tar::EntryType::Symlink
                });
                b.append_link(&mut h, name, target).expect("link");
            }
        }
    }
    b.into_inner().expect("layer")
}

/// Writes a raw name the tar crate would refuse ("..", absolute) into the
/// first header of `layer` and fixes its checksum.
fn renamed(mut layer: Vec<u8>, name: &[u8]) -> Vec<u8> {
    layer[..100].fill(0);
    layer[..name.len()].copy_from_slice(name);
    layer[148..156].fill(b' ');
    let sum: u32 = layer[..512].iter().map(|&b| u32::from(b)).sum();
    layer[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    layer
}

/// Runtime cases over several layers: whiteouts, opaque directories, hard
/// links whose first name goes away, names outside the root. (what, layers
/// bottom first)
fn layered_cases() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    use E::{Dir, File, Hard, Sym};
    vec![
        (
            "a hard link keeps the bytes when its first name is deleted later",
            vec![
                layer(&[
                    ("lib", Dir),
                    ("lib/a.so", File(b"12345")),
                    ("lib/b.so", Hard("lib/a.so")),
                ]),
                layer(&[("lib", Dir), ("lib/.wh.a.so", File(b""))]),
            ],
        ),
        (
            "a hard link keeps the bytes when its first name is replaced later",
            vec![
                layer(&[("a", File(b"original")), ("b", Hard("a"))]),
                layer(&[("a", File(b"new"))]),
            ],
        ),
        (
            "an opaque directory hides everything below it",
            vec![
                layer(&[
                    ("d", Dir),
                    ("d/x", File(b"x")),
                    ("d/sub", Dir),
                    ("d/sub/y", File(b"yy")),
                ]),
                layer(&[
                    ("d", Dir),
                    ("d/.wh..wh..opq", File(b"")),
                    ("d/z", File(b"zzz")),
                ]),
            ],
        ),
        (
            "a file becomes a directory, a directory a symlink",
            vec![
                layer(&[("p", File(b"p")), ("q", Dir), ("q/r", File(b"r"))]),
                layer(&[("p", Dir), ("p/in", File(b"in")), ("q", Sym("p"))]),
            ],
        ),
        (
            "an absolute name lands under the root",
            vec![renamed(
                layer(&[("placeholder", File(b"* * * * * root x\n"))]),
                b"/etc/cron.d/x",
            )],
        ),
        (
            "a name climbing out with .. is put back under the root",
            vec![renamed(
                layer(&[("placeholder", File(b"/lib/evil.so\n"))]),
                b"../../etc/ld.so.preload",
            )],
        ),
    ]
}

fn docker(host: &str, args: &[&str]) -> std::process::Output {
    Command::new("docker")
        .args(["-H", host])
        .args(args)
        .output()
        .expect("run docker")
}

fn show(files: &BTreeMap<Vec<u8>, Item>) -> String {
    files
        .iter()
        .map(|(p, (k, s, l))| {
            format!(
                "\n    {k} {} {s} {}",
                String::from_utf8_lossy(p),
                String::from_utf8_lossy(l)
            )
        })
        .collect()
}

#[test]
fn crafted_layers_match_what_a_docker_container_holds() {
    let Some((_daemon, host)) = dockerd() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    let mut docker_only = Vec::new();
    let mut compared = 0;
    let single = crate::gotar::cases()
        .into_iter()
        .map(|(what, layer, _)| (what, vec![layer]));
    for (i, (what, layers)) in single.chain(layered_cases()).enumerate() {
        let archive = dir.path().join(format!("case{i}.tar"));
        let tag = format!("oracle:case{i}");
        docker_archive(&layers, &tag, &archive);
        let ours = ballast_files(&archive);
        let load = docker(
            &host,
            &["load", "-q", "-i", archive.to_str().expect("utf-8")],
        );
        if !load.status.success() {
            let why = String::from_utf8_lossy(&load.stderr).trim().to_string();
            if ours.is_ok() {
                docker_only.push((what, why));
            }
            continue;
        }
        let create = docker(&host, &["create", &tag]);
        assert!(
            create.status.success(),
            "{what}: docker create: {}",
            String::from_utf8_lossy(&create.stderr)
        );
        let id = String::from_utf8_lossy(&create.stdout).trim().to_string();
        let export = docker(&host, &["export", &id]);
        assert!(export.status.success(), "{what}: docker export failed");
        let (mut theirs, their_bytes) = exported_files(&export.stdout);
        if let Some((_, dirs)) = DOCKER_ONLY_DIRS.iter().find(|(w, _)| *w == what) {
            for d in *dirs {
                let item = theirs.remove(d.as_bytes());
                assert_eq!(
                    item,
                    Some(('d', 0, Vec::new())),
                    "{what}: the container no longer has the directory {d}"
                );
            }
        }
        docker(&host, &["rm", &id]);
        docker(&host, &["rmi", &tag]);
        compared += 1;
        match ours {
            Ok((ours, our_bytes)) if ours == theirs && our_bytes == their_bytes => {}
            Ok((ours, our_bytes)) => failures.push(format!(
                "{what}: {their_bytes} content bytes in the container, {our_bytes} in ballast's \
                 final tree\n  docker:{}\n  ballast:{}",
                show(&theirs),
                show(&ours)
            )),
            Err(e) => failures.push(format!(
                "{what}: Docker loads it, ballast refuses: {e}\n  docker:{}",
                show(&theirs)
            )),
        }
    }
    println!("compared {compared} containers with ballast's final tree");
    println!("refused by Docker and read by ballast: {docker_only:#?}");
    assert!(compared > 0, "Docker loaded none of the cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let listed: Vec<&str> = DOCKER_ONLY_REFUSES.iter().map(|(w, _)| *w).collect();
    let found: Vec<&str> = docker_only.iter().map(|(w, _)| *w).collect();
    assert_eq!(
        found, listed,
        "cases Docker refuses and ballast reads: {docker_only:#?}"
    );
    for ((what, why), (_, expected)) in docker_only.iter().zip(DOCKER_ONLY_REFUSES) {
        assert!(why.contains(expected), "{what}: Docker now says {why}");
    }
}

//! Tar naming against Go's `archive/tar`, the reader Docker and containerd
//! unpack layers with. Each case is a layer built byte by byte here; the
//! oracle (`tests/oracle/gotar`, standard library only, built with the local
//! Go toolchain into a temp dir, offline) prints the entries Go reads, and
//! ballast's per-layer index must list the same names, types and sizes, or
//! fail where Go fails.

use std::io::{Cursor, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use ballast::index::layer::{IndexOptions, index_layer};

use crate::util::repo_root;

#[derive(Clone, Copy, PartialEq)]
enum Magic {
    V7,
    Ustar,
    Gnu,
    Star,
}

/// One raw 512-byte header; `put` writes extra bytes at fixed offsets.
struct Hdr<'a> {
    name: &'a [u8],
    flag: u8,
    size: u64,
    magic: Magic,
    prefix: &'a [u8],
    link: &'a [u8],
    put: Vec<(usize, Vec<u8>)>,
}

impl<'a> Hdr<'a> {
    fn new(name: &'a [u8], flag: u8, size: u64) -> Self {
        Hdr {
            name,
            flag,
            size,
            magic: Magic::Ustar,
            prefix: b"",
            link: b"",
            put: Vec::new(),
        }
    }
    fn magic(mut self, m: Magic) -> Self {
        self.magic = m;
        self
    }
    fn prefix(mut self, p: &'a [u8]) -> Self {
        self.prefix = p;
        self
    }
    fn link(mut self, l: &'a [u8]) -> Self {
        self.link = l;
        self
    }
    fn put(mut self, at: usize, bytes: &[u8]) -> Self {
        self.put.push((at, bytes.to_vec()));
        self
    }
    fn bytes(&self) -> Vec<u8> {
        let mut b = vec![0u8; 512];
        b[..self.name.len()].copy_from_slice(self.name);
        b[100..108].copy_from_slice(b"0000644\0");
        b[108..116].copy_from_slice(b"0000000\0");
        b[116..124].copy_from_slice(b"0000000\0");
        b[124..136].copy_from_slice(format!("{:011o}\0", self.size).as_bytes());
        b[136..148].copy_from_slice(b"00000000000\0");
        b[156] = self.flag;
        b[157..157 + self.link.len()].copy_from_slice(self.link);
        match self.magic {
            Magic::V7 => {}
            Magic::Ustar | Magic::Star => {
                b[257..265].copy_from_slice(b"ustar\x0000");
                b[345..345 + self.prefix.len()].copy_from_slice(self.prefix);
            }
            Magic::Gnu => b[257..265].copy_from_slice(b"ustar  \0"),
        }
        if self.magic == Magic::Star {
            b[476..488].copy_from_slice(b"00000000000\0");
            b[488..500].copy_from_slice(b"00000000000\0");
            b[508..512].copy_from_slice(b"tar\0");
        }
        for (at, bytes) in &self.put {
            b[*at..at + bytes.len()].copy_from_slice(bytes);
        }
        b[148..156].fill(b' ');
        let sum: u32 = b.iter().map(|&x| u32::from(x)).sum();
        b[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        b
    }
}

fn padded(data: &[u8]) -> Vec<u8> {
    let mut v = data.to_vec();
    v.resize(data.len().div_ceil(512) * 512, 0);
    v
}

/// A header followed by its data.
fn entry(h: &Hdr, data: &[u8]) -> Vec<u8> {
    let mut v = h.bytes();
    v.extend(padded(data));
    v
}

fn file(name: &str, data: &[u8]) -> Vec<u8> {
    entry(&Hdr::new(name.as_bytes(), b'0', data.len() as u64), data)
}

/// `LEN KEY=VALUE\n`, the length counting itself.
fn record(key: &str, value: &[u8]) -> Vec<u8> {
    let body_len = key.len() + value.len() + 2;
    let mut n = body_len + 1;
    while n.to_string().len() + 1 + body_len != n {
        n += 1;
    }
    let mut v = format!("{n} {key}=").into_bytes();
    v.extend_from_slice(value);
    v.push(b'\n');
    v
}

fn pax_raw(flag: u8, body: &[u8]) -> Vec<u8> {
    entry(&Hdr::new(b"PaxHeaders/x", flag, body.len() as u64), body)
}

fn pax(records: &[(&str, &[u8])]) -> Vec<u8> {
    let body: Vec<u8> = records.iter().flat_map(|(k, v)| record(k, v)).collect();
    pax_raw(b'x', &body)
}

fn gnu_long(flag: u8, name: &[u8]) -> Vec<u8> {
    entry(
        &Hdr::new(b"././@LongLink", flag, name.len() as u64).magic(Magic::Gnu),
        name,
    )
}

fn end() -> Vec<u8> {
    vec![0u8; 1024]
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// One entry as both readers see it: type flag, cleaned name, content bytes,
/// link target.
type Seen = (u8, Vec<u8>, u64, Vec<u8>);

fn oracle() -> Option<&'static PathBuf> {
    static BIN: OnceLock<Option<PathBuf>> = OnceLock::new();
    BIN.get_or_init(|| {
        // Cargo's scratch directory for integration tests: the Go build cache
        // is reused across runs and nothing is left in /tmp.
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gotar");
        std::fs::create_dir_all(&dir).ok()?;
        let bin = dir.join("gotar");
        let src = repo_root().join("tests/oracle/gotar/main.go");
        let out = Command::new("go")
            .arg("build")
            .arg("-o")
            .arg(&bin)
            .arg(&src)
            .env("GOCACHE", dir.join("cache"))
            .env("GOPATH", dir.join("gopath"))
            .env("GOPROXY", "off")
            .env("GOFLAGS", "")
            .env("GO111MODULE", "off")
            .output();
        match out {
            Ok(o) if o.status.success() => Some(bin),
            Ok(o) => panic!(
                "go build of the oracle failed: {}",
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => {
                println!("SKIPPED: Go toolchain unavailable ({e}); install golang-go");
                None
            }
        }
    })
    .as_ref()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// What Go reads: the entries, or the error it stops with.
fn go_reads(bin: &PathBuf, tar: &[u8]) -> Result<Vec<Seen>, String> {
    let mut child = Command::new(bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(tar).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut seen = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.splitn(5, ' ').collect();
        match f[0] {
            "E" => seen.push((
                f[1].parse::<u8>().unwrap(),
                unhex(f[2]),
                f[3].parse().unwrap(),
                unhex(f.get(4).copied().unwrap_or("")),
            )),
            "END" => return Ok(seen),
            _ => return Err(line.to_string()),
        }
    }
    panic!("oracle output ended early: {text}");
}

fn ballast_reads(tar: &[u8]) -> Result<Vec<Seen>, String> {
    let idx = index_layer(Cursor::new(tar), IndexOptions::default()).map_err(|e| e.to_string())?;
    Ok(idx
        .entries
        .iter()
        .map(|e| {
            (
                e.tar_type,
                idx.path(e).to_vec(),
                e.size,
                idx.link(e).to_vec(),
            )
        })
        .collect())
}

/// The naming cases: (what, layer bytes, a path Go must read, or None when
/// Go must refuse the layer).
pub(crate) fn cases() -> Vec<(&'static str, Vec<u8>, Option<&'static str>)> {
    let secret = b"/lib/evil.so\n";
    let sparse_name = b"GNUSparseFile.0/doc.txt";
    // GNU sparse 1.0: the map is text at the head of the data.
    let mut map_1x0 = padded(b"2\n0\n4\n8192\n3\n");
    map_1x0.extend_from_slice(b"abcdxyz");
    vec![
        (
            "a GNU long name beats a PAX path",
            cat(&[
                pax(&[("path", b"usr/share/doc/readme")]),
                gnu_long(b'L', b"etc/ld.so.preload"),
                file("short", secret),
                end(),
            ]),
            Some("etc/ld.so.preload"),
        ),
        (
            "PAX sparse 0.1 names the file by GNU.sparse.name at its real size",
            cat(&[
                pax(&[
                    ("GNU.sparse.major", b"0"),
                    ("GNU.sparse.minor", b"1"),
                    ("GNU.sparse.name", b"etc/cron.d/x"),
                    ("GNU.sparse.realsize", b"9000"),
                    ("GNU.sparse.numblocks", b"2"),
                    ("GNU.sparse.map", b"0,4,8192,3"),
                ]),
                entry(&Hdr::new(sparse_name, b'0', 7), b"abcdxyz"),
                end(),
            ]),
            Some("etc/cron.d/x"),
        ),
        (
            "PAX sparse 0.0 offset/numbytes pairs",
            cat(&[
                pax(&[
                    ("GNU.sparse.size", b"100"),
                    ("GNU.sparse.numblocks", b"1"),
                    ("GNU.sparse.offset", b"10"),
                    ("GNU.sparse.numbytes", b"5"),
                    ("GNU.sparse.name", b"etc/ld.so.preload"),
                ]),
                entry(&Hdr::new(sparse_name, b'0', 5), b"12345"),
                end(),
            ]),
            Some("etc/ld.so.preload"),
        ),
        (
            "PAX sparse 1.0 with its map in the data",
            cat(&[
                pax(&[
                    ("GNU.sparse.major", b"1"),
                    ("GNU.sparse.minor", b"0"),
                    ("GNU.sparse.name", b"etc/cron.d/y"),
                    ("GNU.sparse.realsize", b"8195"),
                ]),
                entry(&Hdr::new(sparse_name, b'0', map_1x0.len() as u64), &map_1x0),
                end(),
            ]),
            Some("etc/cron.d/y"),
        ),
        (
            "sparse map claiming more data than stored",
            cat(&[
                pax(&[
                    ("GNU.sparse.name", b"x"),
                    ("GNU.sparse.realsize", b"100"),
                    ("GNU.sparse.numblocks", b"1"),
                    ("GNU.sparse.map", b"0,50"),
                ]),
                entry(&Hdr::new(b"x", b'0', 7), b"abcdxyz"),
                end(),
            ]),
            None,
        ),
        (
            "old GNU sparse header: real size, holes read as zeros",
            cat(&[
                entry(
                    &Hdr::new(b"var/sparse.img", b'S', 4)
                        .magic(Magic::Gnu)
                        .put(386, b"00000010000\0")
                        .put(398, b"00000000004\0")
                        .put(483, b"00000020000\0"),
                    b"data",
                ),
                end(),
            ]),
            Some("var/sparse.img"),
        ),
        (
            "star header: the prefix is 131 bytes, then times",
            cat(&[
                entry(
                    &Hdr::new(b"x.conf", b'0', 1)
                        .magic(Magic::Star)
                        .prefix(&[b'd'; 131]),
                    b"1",
                ),
                end(),
            ]),
            Some(""),
        ),
        (
            "ustar header: the prefix is 155 bytes",
            cat(&[
                entry(&Hdr::new(b"x.conf", b'0', 1).prefix(&[b'p'; 155]), b"1"),
                end(),
            ]),
            Some(""),
        ),
        (
            "GNU header ignores ustar prefix bytes",
            cat(&[
                entry(
                    &Hdr::new(b"x.conf", b'0', 1)
                        .magic(Magic::Gnu)
                        .put(345, b"00000000000\0"),
                    b"1",
                ),
                end(),
            ]),
            Some("x.conf"),
        ),
        (
            "GNU header with unparsable times takes the prefix",
            cat(&[
                entry(
                    &Hdr::new(b"x.conf", b'0', 1)
                        .magic(Magic::Gnu)
                        .put(345, b"etc"),
                    b"1",
                ),
                end(),
            ]),
            Some("etc/x.conf"),
        ),
        (
            "a NUL in a PAX path is refused",
            cat(&[
                pax(&[("path", b"etc/passwd\0.txt")]),
                file("a", b"x"),
                end(),
            ]),
            None,
        ),
        (
            "a malformed PAX record length is refused, not skipped",
            cat(&[
                pax_raw(b'x', b"99 path=etc/shadow\n"),
                file("doc.txt", b"x"),
                end(),
            ]),
            None,
        ),
        (
            "a PAX record without its newline is refused",
            cat(&[pax_raw(b'x', b"12 path=abc "), file("doc.txt", b"x"), end()]),
            None,
        ),
        (
            "a lone zero block followed by entries is refused",
            cat(&[
                file("a", b"x"),
                vec![0u8; 512],
                file("etc/ld.so.preload", secret),
                end(),
            ]),
            None,
        ),
        (
            "one zero block then the end of the stream",
            cat(&[file("a", b"x"), vec![0u8; 512]]),
            Some("a"),
        ),
        (
            "an empty PAX path keeps the header's name",
            cat(&[pax(&[("path", b"")]), file("kept", b"x"), end()]),
            Some("kept"),
        ),
        (
            "the last of two PAX paths wins",
            cat(&[
                pax(&[("path", b"first"), ("path", b"second")]),
                file("x", b"x"),
                end(),
            ]),
            Some("second"),
        ),
        (
            "a global header drops the PAX header before it",
            cat(&[
                pax(&[("path", b"etc/cron.d/z")]),
                pax_raw(b'g', &record("comment", b"x")),
                file("doc.txt", b"x"),
                end(),
            ]),
            Some("doc.txt"),
        ),
        (
            "a GNU long name is cut at its first NUL",
            cat(&[
                gnu_long(b'L', b"etc/profile.d/a.sh\0ignored"),
                file("short", b"x"),
                end(),
            ]),
            Some("etc/profile.d/a.sh"),
        ),
        (
            "an empty GNU long name keeps the header's name",
            cat(&[gnu_long(b'L', b""), file("kept", b"x"), end()]),
            Some("kept"),
        ),
        (
            "a v7 NUL-type entry with a trailing slash (after PAX) is a directory",
            cat(&[
                pax(&[("path", b"opt/dir/")]),
                entry(&Hdr::new(b"opt/file", 0, 0).magic(Magic::V7), b""),
                end(),
            ]),
            Some("opt/dir"),
        ),
        (
            "a PAX size overrides the header's",
            cat(&[
                pax(&[("size", b"3")]),
                entry(&Hdr::new(b"f", b'0', 0), b"abc"),
                end(),
            ]),
            Some("f"),
        ),
        (
            "a negative header size is refused though a PAX size follows",
            cat(&[
                pax(&[("size", b"3")]),
                entry(&Hdr::new(b"f", b'0', 0).put(124, &[0xff; 12]), b"abc"),
                end(),
            ]),
            None,
        ),
        (
            "an archive cut inside the last entry's padding ends there",
            {
                let mut t = cat(&[
                    file("a", b"x"),
                    file("etc/ld.so.preload", b"/lib/evil.so\n"),
                ]);
                t.truncate(t.len() - 100);
                t
            },
            Some("etc/ld.so.preload"),
        ),
        (
            "an archive cut inside a PAX record's padding ends there",
            {
                let mut t = cat(&[file("a", b"x"), pax(&[("path", b"etc/x")])]);
                t.truncate(t.len() - 100);
                t
            },
            Some("a"),
        ),
        (
            "a PAX uid that is not a number is refused",
            cat(&[pax(&[("uid", b"root")]), file("f", b"x"), end()]),
            None,
        ),
        (
            "a mode field with inner spaces is refused",
            cat(&[
                entry(&Hdr::new(b"f", b'0', 1).put(100, b"06 44\0\0\0"), b"x"),
                end(),
            ]),
            None,
        ),
        (
            "a hard link keeps its GNU long link name",
            cat(&[
                file("bin/real", b"elf"),
                gnu_long(b'K', b"bin/real"),
                entry(&Hdr::new(b"bin/alias", b'1', 0).link(b"bin/other"), b""),
                end(),
            ]),
            Some("bin/alias"),
        ),
    ]
}

#[test]
fn layer_names_match_go_archive_tar() {
    let Some(bin) = oracle() else { return };
    let mut failures = Vec::new();
    for (what, tar, want) in cases() {
        let go = go_reads(bin, &tar);
        match (&go, want) {
            (Ok(seen), Some(path)) if !path.is_empty() => assert!(
                seen.iter().any(|s| s.1 == path.as_bytes()),
                "{what}: the case is wrong, Go did not read {path}: {seen:?}"
            ),
            (Err(_), None) | (Ok(_), Some(_)) => {}
            _ => panic!("{what}: the case is wrong, Go read {go:?}"),
        }
        let ours = ballast_reads(&tar);
        let agree = match (&go, &ours) {
            (Ok(a), Ok(b)) => a == b,
            (Err(_), Err(_)) => true,
            _ => false,
        };
        if !agree {
            failures.push(format!("{what}:\n  go:      {go:?}\n  ballast: {ours:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

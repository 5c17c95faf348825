//! One layer's entries, read in a single pass over its tar stream.
//!
//! Every regular file is hashed (xxh3-128) from the borrowed read buffer as it
//! streams past; nothing of the content is kept except small package-manager
//! metadata files the attribution step asks for. Paths live in one byte arena
//! per layer, so an entry costs a fixed few dozen bytes whatever its name.

use serde::Serialize;
use std::io::BufRead;
use twox_hash::xxhash3_128::{DEFAULT_SECRET_LENGTH, RawHasher, SecretBuffer};

use super::budget::{Budget, LayerCharge};
use super::path::{Repairs, normalize_into, split_parent};
use crate::archive::tar_stream::{TarError, TarReader};
use crate::sha256_tap::Sha256Tap;

/// A byte range in a [`LayerIndex`]'s path buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    start: u32,
    len: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    /// Devices, FIFOs and anything else that carries no content.
    Other,
    /// `.wh.NAME`: the entry's path is the removed path.
    Whiteout,
    /// `.wh..wh..opq`: the entry's path is the directory made opaque.
    Opaque,
}

/// 48 bytes: the link target of a symlink or hard link sits in the path
/// arena right after its path, behind a 4-byte length, so the entries of
/// the other kinds carry no span for it.
#[derive(Clone, Debug)]
pub struct LayerEntry {
    pub path: Span,
    pub kind: EntryKind,
    /// The raw tar type flag and permission bits, for dive-exact figures.
    pub tar_type: u8,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Content bytes this entry adds: regular files only; links count once,
    /// at their target.
    pub size: u64,
    /// xxh3-128 of the content (regular files, and hard links once resolved).
    pub hash: u128,
}

/// A small metadata file kept for package attribution.
#[derive(Clone, Debug)]
pub struct Captured {
    pub entry: u32,
    pub content: Vec<u8>,
}

/// How many names one layer had to repair, and what kind of repair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RepairedPaths {
    pub count: u64,
    pub kinds: Repairs,
}

#[derive(Clone, Debug, Default)]
pub struct LayerIndex {
    pub entries: Vec<LayerEntry>,
    paths: Vec<u8>,
    /// Bytes of the uncompressed tar stream.
    pub tar_bytes: u64,
    pub captured: Vec<Captured>,
    pub warnings: Vec<String>,
    /// Entries whose names were absolute or climbed out with `..`, put back
    /// under the root; reported once for the whole image.
    pub repaired_paths: RepairedPaths,
    /// sha256 of the uncompressed stream, when verifying.
    pub diff_id: Option<String>,
    /// Hard links whose target is not in this layer; the merge resolves them.
    pub unresolved_links: Vec<u32>,
    /// ELF files with `.debug*` sections: (entry index, bytes of those
    /// sections), in entry order. Measured by [`super::elf`] while hashing.
    pub elf_debug: Vec<(u32, u64)>,
}

impl LayerIndex {
    pub fn bytes(&self, span: Span) -> &[u8] {
        &self.paths[span.start as usize..(span.start + span.len) as usize]
    }
    pub fn path(&self, e: &LayerEntry) -> &[u8] {
        self.bytes(e.path)
    }
    /// A symlink's or hard link's target; empty for other kinds.
    pub fn link(&self, e: &LayerEntry) -> &[u8] {
        if !matches!(e.kind, EntryKind::Symlink | EntryKind::Hardlink) {
            return &[];
        }
        let at = (e.path.start + e.path.len) as usize;
        let mut len = [0u8; 4];
        len.copy_from_slice(&self.paths[at..at + 4]);
        &self.paths[at + 4..at + 4 + u32::from_le_bytes(len) as usize]
    }
    /// Sum of regular-file content sizes: the per-layer figure dive reports.
    pub fn content_bytes(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }
}

#[derive(Clone, Copy, Debug)]
pub struct IndexOptions {
    /// Compute the uncompressed stream's sha256 (the layer's diff_id).
    pub verify: bool,
    /// Entries (and name bytes, see [`super::budget`]) the image's layers
    /// may hold together: `--max-entries`.
    pub max_entries: u64,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            verify: false,
            max_entries: super::budget::DEFAULT_MAX_ENTRIES,
        }
    }
}

/// Per-file cap for captured metadata files, and per-layer total.
const CAPTURE_FILE_LIMIT: u64 = 16 << 20;
const CAPTURE_LAYER_LIMIT: u64 = 256 << 20;
/// Path arena cap: spans are u32, and a layer of 4 GiB of names is hostile.
const PATH_ARENA_LIMIT: usize = 1 << 31;

/// Package-manager metadata the attribution step reads, chosen by path.
pub fn wants_capture(path: &[u8]) -> bool {
    let (parent, base) = split_parent(path);
    (base == b"RECORD" && parent.ends_with(b".dist-info"))
        || (base == b"installed-files.txt" && parent.ends_with(b".egg-info"))
        || path == b"var/lib/dpkg/status"
        || (parent == b"var/lib/dpkg/info" && base.ends_with(b".list"))
        || (parent.ends_with(b"conda-meta") && base.ends_with(b".json"))
        || path == b"lib/apk/db/installed"
}

/// The error of one layer: where in its stream it went wrong.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("{0}")]
    Tar(#[from] TarError),
    #[error("layer path names exceed {PATH_ARENA_LIMIT} bytes")]
    TooManyNames,
    #[error("{0}")]
    OverBudget(#[from] super::budget::Exceeded),
}

/// Reads one layer's (already decompressed) tar stream to the end, within
/// `opts.max_entries` for this layer alone.
pub fn index_layer<R: BufRead>(stream: R, opts: IndexOptions) -> Result<LayerIndex, LayerError> {
    index_layer_within(stream, opts, &Budget::new(opts.max_entries))
}

/// [`index_layer`], counting the entries against a budget the image's other
/// layers share.
pub fn index_layer_within<R: BufRead>(
    stream: R,
    opts: IndexOptions,
    budget: &Budget,
) -> Result<LayerIndex, LayerError> {
    let mut charge = LayerCharge::new(budget);
    let tap = Sha256Tap::new(stream, opts.verify);
    let mut tar = TarReader::new(tap);
    let mut idx = LayerIndex::default();
    let mut elf = super::elf::ElfSniffer::default();
    let mut captured_total = 0u64;
    let mut repaired = Repairs::default();
    let mut repaired_count = 0u64;
    let mut has_hardlinks = false;

    while let Some(h) = tar.next_entry()? {
        let start = idx.paths.len();
        let repairs = normalize_into(h.path, &mut idx.paths);
        if repairs.absolute || repairs.escaped_root {
            repaired.absolute |= repairs.absolute;
            repaired.escaped_root |= repairs.escaped_root;
            repaired_count += 1;
        }
        let flag = h.flag;
        let (parent, base) = split_parent(&idx.paths[start..]);
        let parent_len = parent.len();
        let kind = if base.starts_with(b".wh.") {
            if base == b".wh..wh..opq" {
                EntryKind::Opaque
            } else if base.starts_with(b".wh..wh.") {
                // aufs bookkeeping (.wh..wh.plnk and friends), not content.
                idx.paths.truncate(start);
                continue;
            } else {
                EntryKind::Whiteout
            }
        } else if flag.is_regular() {
            EntryKind::File
        } else if flag.0 == b'S' {
            // Old GNU sparse: Go reads it as a file of its real size, but
            // Docker and containerd refuse to unpack the type.
            idx.warnings.push(format!(
                "{} is an old GNU sparse entry (type 'S'), which Docker and containerd refuse to unpack",
                super::path::display(&idx.paths[start..])
            ));
            EntryKind::File
        } else if flag.is_dir() {
            EntryKind::Dir
        } else if flag.is_symlink() {
            EntryKind::Symlink
        } else if flag.is_hardlink() {
            EntryKind::Hardlink
        } else {
            EntryKind::Other
        };
        // Rewrite marker entries to name what they act on.
        match kind {
            EntryKind::Opaque => idx.paths.truncate(start + parent_len),
            EntryKind::Whiteout => {
                let name_at = if parent_len == 0 {
                    start
                } else {
                    start + parent_len + 1
                };
                idx.paths.drain(name_at..name_at + 4);
            }
            _ => {}
        }
        if kind == EntryKind::File && idx.paths.len() == start {
            // A regular file named as the root: nothing sensible to index.
            idx.warnings
                .push("an entry named the image root as a regular file; skipped".into());
            continue;
        }
        let path_len = idx.paths.len() - start;
        if matches!(kind, EntryKind::Symlink | EntryKind::Hardlink) {
            let len_at = idx.paths.len();
            idx.paths.extend_from_slice(&[0; 4]);
            if kind == EntryKind::Hardlink {
                normalize_into(h.link, &mut idx.paths);
            } else {
                idx.paths.extend_from_slice(h.link);
            }
            // A link name is one PAX record at most (1 MiB), far below 4 GiB.
            let link_len = (idx.paths.len() - len_at - 4) as u32;
            idx.paths[len_at..len_at + 4].copy_from_slice(&link_len.to_le_bytes());
        }
        if idx.paths.len() > PATH_ARENA_LIMIT {
            return Err(LayerError::TooManyNames);
        }
        charge.entry(&idx.paths[start..start + path_len], idx.paths.len() - start)?;
        let (mode, uid, gid, size) = (h.mode, h.uid, h.gid, h.size);
        let tar_type = flag.0;
        let mut entry = LayerEntry {
            path: span(start, path_len),
            kind,
            tar_type,
            mode,
            uid,
            gid,
            size: if kind == EntryKind::File { size } else { 0 },
            hash: 0,
        };
        has_hardlinks |= kind == EntryKind::Hardlink;
        if kind == EntryKind::File {
            let capture = wants_capture(idx.bytes(entry.path))
                && size <= CAPTURE_FILE_LIMIT
                && captured_total + size <= CAPTURE_LAYER_LIMIT;
            let mut content = Vec::new();
            let mut hasher = ContentHash::new(size);
            elf.reset(size);
            loop {
                let chunk = tar.data_chunk()?;
                if chunk.is_empty() {
                    break;
                }
                hasher.update(chunk);
                elf.feed(chunk);
                if capture {
                    content.extend_from_slice(chunk);
                }
                let n = chunk.len();
                tar.consume(n);
            }
            entry.hash = hasher.finish();
            if let Some(debug) = elf.debug_bytes().filter(|&d| d > 0) {
                idx.elf_debug.push((entry_id(idx.entries.len()), debug));
            }
            if capture {
                captured_total += size;
                idx.captured.push(Captured {
                    entry: entry_id(idx.entries.len()),
                    content,
                });
            }
        }
        idx.entries.push(entry);
    }
    charge.flush()?;
    let mut tar_bytes = tar.position();
    let mut tap = tar.into_inner();
    // Whatever follows the end-of-archive blocks belongs to the stream (and
    // its diff_id) too, and reading it surfaces a corrupt compressed tail.
    loop {
        let n = tap.fill_buf().map_err(TarError::Io)?.len();
        if n == 0 {
            break;
        }
        tap.consume(n);
        tar_bytes += n as u64;
    }
    idx.tar_bytes = tar_bytes;
    // Growth by doubling leaves up to half of each list unused; the image
    // keeps every layer's index to the end of the run.
    idx.entries.shrink_to_fit();
    idx.paths.shrink_to_fit();
    idx.diff_id = tap.finish();
    idx.repaired_paths = RepairedPaths {
        count: repaired_count,
        kinds: repaired,
    };
    if has_hardlinks {
        resolve_hardlinks(&mut idx);
    }
    Ok(idx)
}

/// xxh3-128 of one file's content, fed the chunks as they stream past.
///
/// twox-hash picks AVX2 at run time, three to five times the SSE2 a baseline
/// x86-64 build of xxhash-rust gets, and hashing is what an uncompressed
/// layer costs besides reading it. A file that arrives in one chunk (most
/// small ones) is hashed in one call; a longer one streams through a hasher
/// whose buffers sit on the stack. Nothing is allocated per file.
struct ContentHash {
    size: u64,
    whole: Option<u128>,
    stream: Option<RawHasher<[u8; DEFAULT_SECRET_LENGTH]>>,
}

impl ContentHash {
    fn new(size: u64) -> Self {
        ContentHash {
            size,
            whole: None,
            stream: None,
        }
    }

    fn update(&mut self, chunk: &[u8]) {
        if let Some(stream) = self.stream.as_mut() {
            stream.write(chunk);
        } else if self.whole.is_none() && chunk.len() as u64 == self.size {
            self.whole = Some(twox_hash::XxHash3_128::oneshot(chunk));
        } else {
            // Seed 0 keeps the default secret: the plain xxh3-128.
            let Ok(secret) = SecretBuffer::with_seed(0, [0; DEFAULT_SECRET_LENGTH]) else {
                unreachable!("a secret buffer of the default length is accepted");
            };
            let mut stream = RawHasher::new(secret);
            stream.write(chunk);
            self.stream = Some(stream);
        }
    }

    fn finish(&self) -> u128 {
        match (&self.stream, self.whole) {
            (Some(stream), _) => stream.finish_128(),
            (None, Some(h)) => h,
            (None, None) => twox_hash::XxHash3_128::oneshot(&[]),
        }
    }
}

fn span(start: usize, len: usize) -> Span {
    // Both are bounded by PATH_ARENA_LIMIT (< u32::MAX), checked above.
    Span {
        start: u32::try_from(start).unwrap_or(u32::MAX),
        len: u32::try_from(len).unwrap_or(0),
    }
}

fn entry_id(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// Gives each hard link its target's hash when the target is in this layer.
fn resolve_hardlinks(idx: &mut LayerIndex) {
    let mut by_path: std::collections::HashMap<&[u8], u128> = std::collections::HashMap::new();
    for e in &idx.entries {
        if e.kind == EntryKind::File {
            by_path.insert(idx.bytes(e.path), e.hash);
        }
    }
    let mut resolved = Vec::new();
    let mut unresolved = Vec::new();
    for (i, e) in idx.entries.iter().enumerate() {
        if e.kind == EntryKind::Hardlink {
            match by_path.get(idx.link(e)) {
                Some(&h) => resolved.push((i, h)),
                None => unresolved.push(entry_id(i)),
            }
        }
    }
    for (i, h) in resolved {
        idx.entries[i].hash = h;
    }
    idx.unresolved_links = unresolved;
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn layer(entries: &[(&str, tar::EntryType, &[u8], &str)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, ty, data, link) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*ty);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            if !link.is_empty() {
                h.set_link_name(link).unwrap();
            }
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn index(bytes: &[u8]) -> LayerIndex {
        index_layer(
            Cursor::new(bytes.to_vec()),
            IndexOptions {
                verify: true,
                ..IndexOptions::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn whiteouts_and_opaque_markers_name_their_targets() {
        use tar::EntryType::Regular;
        let idx = index(&layer(&[
            ("etc/.wh.passwd", Regular, b"", ""),
            ("var/cache/.wh..wh..opq", Regular, b"", ""),
            (".wh.top", Regular, b"", ""),
            ("a/.wh..wh.plnk", Regular, b"", ""),
        ]));
        let got: Vec<_> = idx
            .entries
            .iter()
            .map(|e| (idx.path(e).to_vec(), e.kind))
            .collect();
        assert_eq!(
            got,
            vec![
                (b"etc/passwd".to_vec(), EntryKind::Whiteout),
                (b"var/cache".to_vec(), EntryKind::Opaque),
                (b"top".to_vec(), EntryKind::Whiteout),
            ]
        );
    }

    #[test]
    fn files_are_hashed_and_hardlinks_share_the_hash_but_not_the_size() {
        use tar::EntryType::{Link, Regular, Symlink};
        let idx = index(&layer(&[
            ("./bin/busybox", Regular, b"ELF....", ""),
            ("bin/sh", Link, b"", "bin/busybox"),
            ("bin/ls", Symlink, b"", "busybox"),
        ]));
        let [file, hard, sym] = &idx.entries[..] else {
            panic!("three entries expected")
        };
        assert_eq!(idx.path(file), b"bin/busybox");
        assert_eq!(file.size, 7);
        assert_eq!(file.hash, twox_hash::XxHash3_128::oneshot(b"ELF...."));
        assert_eq!(
            (hard.kind, hard.size, hard.hash),
            (EntryKind::Hardlink, 0, file.hash)
        );
        assert_eq!(idx.link(sym), b"busybox");
        assert_eq!(idx.content_bytes(), 7);
        assert!(idx.unresolved_links.is_empty());
        assert!(idx.diff_id.as_deref().unwrap().starts_with("sha256:"));
    }

    #[test]
    fn an_entry_stays_48_bytes() {
        // The per-entry budget (bench/MEMORY.md) counts on it.
        assert_eq!(std::mem::size_of::<LayerEntry>(), 48);
    }

    #[test]
    fn content_hash_is_plain_xxh3_128_however_the_data_is_chunked() {
        let data: Vec<u8> = (0..300_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for len in [0, 1, 16, 17, 128, 129, 240, 241, 1024, 4096, 300_000] {
            let want = twox_hash::XxHash3_128::oneshot(&data[..len]);
            for chunk in [1, 7, 64, 1000, 65_536, len.max(1)] {
                let mut h = ContentHash::new(len as u64);
                for piece in data[..len].chunks(chunk) {
                    h.update(piece);
                }
                assert_eq!(h.finish(), want, "len {len}, chunks of {chunk}");
            }
        }
    }

    #[test]
    fn metadata_files_are_captured() {
        use tar::EntryType::Regular;
        let idx = index(&layer(&[
            (
                "usr/lib/python3/site-packages/x-1.0.dist-info/RECORD",
                Regular,
                b"x/a.py,,3\n",
                "",
            ),
            ("var/lib/dpkg/info/libc6:amd64.list", Regular, b"/lib\n", ""),
            ("usr/bin/other", Regular, b"zzz", ""),
        ]));
        assert_eq!(idx.captured.len(), 2);
        assert_eq!(idx.captured[0].content, b"x/a.py,,3\n");
    }

    #[test]
    fn escaping_paths_are_normalized_and_reported() {
        use tar::EntryType::Regular;
        let mut raw = layer(&[("x", Regular, b"1", "")]);
        // tar::Builder refuses `..`, so patch the name field directly.
        raw[..3].copy_from_slice(b"../");
        raw[3] = b'y';
        let mut h = tar::Header::from_byte_slice(&raw[..512]).clone();
        h.set_cksum();
        raw[..512].copy_from_slice(h.as_bytes());
        let idx = index(&raw);
        assert_eq!(idx.path(&idx.entries[0]), b"y");
        assert_eq!(idx.repaired_paths.count, 1);
        assert!(idx.repaired_paths.kinds.escaped_root);
        assert!(!idx.repaired_paths.kinds.absolute);
    }
}

//! The two random-access containers: a seekable outer tar scanned header
//! by header, and a directory (OCI layout, docker-dir).

use super::META_LIMIT;
use super::RandomAccess;
use super::layout;
use super::layout::MetaFiles;
use super::parallel_inflate::FileRange;
use super::tar_problem;
use super::tar_stream::TarReader;
use crate::error::Problem;
use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::io::BufReader;
use std::io::Read;
use std::io::Seek;
use std::io::SeekFrom;
use std::path::Path;
use std::path::PathBuf;

/// Where an entry's data lies in a seekable outer tar.
#[derive(Clone, Debug)]
pub(super) struct Located {
    offset: u64,
    size: u64,
    /// Symlinks and hard links in the outer archive (Docker dedups layers
    /// by linking `<id>/layer.tar` to another's).
    link: Option<String>,
}

/// The name an outer-archive member is found by, compared as raw bytes
/// after cleaning: a member whose name climbs out of the archive
/// (`../manifest.json`) or is not UTF-8 can match no name a manifest gives
/// (containerd's import compares `path.Clean`ed names the same way), so it
/// is passed over rather than repaired into another member's name.
pub(super) fn member_name(raw: &[u8]) -> Option<String> {
    let mut out = Vec::new();
    if crate::index::path::normalize_into(raw, &mut out).escaped_root {
        return None;
    }
    String::from_utf8(out).ok()
}

pub(super) struct SeekableTar {
    path: PathBuf,
    entries: HashMap<String, Located>,
}

impl SeekableTar {
    pub(super) fn scan(path: &Path, f: File, len: u64) -> Result<SeekableTar, Problem> {
        let mut tar = TarReader::new(BufReader::with_capacity(64 << 10, f));
        let mut entries = HashMap::new();
        let mut seen_any = false;
        loop {
            let h = match tar.next_entry() {
                Ok(Some(h)) => h,
                Ok(None) => break,
                Err(e) => return Err(tar_problem(e, !seen_any)),
            };
            seen_any = true;
            let Some(name) = member_name(h.path) else {
                continue;
            };
            if h.data_offset.saturating_add(h.size) > len {
                return Err(Problem::Archive(format!(
                    "archive is truncated: {name} needs {} bytes, {} remain",
                    h.size,
                    len.saturating_sub(h.data_offset)
                )));
            }
            // Only files are blobs (and links to them): a manifest naming a
            // directory gets "not in the archive", as it does from stdin.
            if !(h.flag.is_regular() || h.flag.is_symlink() || h.flag.is_hardlink()) {
                continue;
            }
            let link = if h.flag.is_symlink() {
                let (dir, _) = name.rsplit_once('/').unwrap_or(("", &name));
                let target = String::from_utf8_lossy(h.link);
                Some(layout::normalize_name(&format!("{dir}/{target}")))
            } else if h.flag.is_hardlink() {
                Some(layout::normalize_name(&String::from_utf8_lossy(h.link)))
            } else {
                None
            };
            entries.insert(
                name,
                Located {
                    offset: h.data_offset,
                    size: h.size,
                    link,
                },
            );
        }
        if entries.is_empty() {
            return Err(Problem::NotAnImage("the archive holds no files".into()));
        }
        Ok(SeekableTar {
            path: path.to_path_buf(),
            entries,
        })
    }

    fn locate(&self, name: &str) -> Option<&Located> {
        let mut cur = self.entries.get(name)?;
        for _ in 0..8 {
            match &cur.link {
                Some(target) => cur = self.entries.get(target)?,
                None => return Some(cur),
            }
        }
        None
    }
}

impl MetaFiles for SeekableTar {
    fn exists(&self, name: &str) -> bool {
        self.locate(name).is_some()
    }
    fn read(&self, name: &str) -> Result<Vec<u8>, Problem> {
        let (mut r, size) = self.open(name)?;
        if size > META_LIMIT {
            return Err(Problem::Archive(format!(
                "{name} is {size} bytes, too large for metadata"
            )));
        }
        let mut v = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        r.read_to_end(&mut v).map_err(Problem::Io)?;
        Ok(v)
    }
}

impl RandomAccess for SeekableTar {
    fn open(&self, name: &str) -> Result<(Box<dyn Read + Send + '_>, u64), Problem> {
        let loc = self.locate(name).ok_or_else(|| Problem::MissingBlob {
            what: "the manifest".into(),
            name: name.to_string(),
        })?;
        let mut f = File::open(&self.path).map_err(Problem::Io)?;
        f.seek(SeekFrom::Start(loc.offset)).map_err(Problem::Io)?;
        Ok((Box::new(f.take(loc.size)), loc.size))
    }
    fn positional(&self, name: &str) -> Option<FileRange> {
        let loc = self.locate(name)?;
        let f = File::open(&self.path).ok()?;
        Some(FileRange::new(f, loc.offset, loc.size))
    }
}

pub(super) struct DirContainer {
    pub(super) root: PathBuf,
}

impl DirContainer {
    fn path_of(&self, name: &str) -> Option<PathBuf> {
        // Names come from the image's own manifests: never let one reach
        // outside the layout directory.
        let norm = layout::normalize_name(name);
        if norm.is_empty() || norm != name.trim_start_matches("./") {
            return None;
        }
        Some(self.root.join(norm))
    }
}

impl MetaFiles for DirContainer {
    fn exists(&self, name: &str) -> bool {
        self.path_of(name).is_some_and(|p| p.is_file())
    }
    fn read(&self, name: &str) -> Result<Vec<u8>, Problem> {
        let (mut r, size) = self.open(name)?;
        if size > META_LIMIT {
            return Err(Problem::Archive(format!(
                "{name} is {size} bytes, too large for metadata"
            )));
        }
        // The size a file reports can be a lie (files under /proc report
        // 0), so the cap counts the bytes actually read.
        // Whole 64 KiB reads: some special files refuse odd-sized ones.
        let mut v = Vec::new();
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Problem::Io(e)),
            };
            v.extend_from_slice(&buf[..n]);
            if v.len() as u64 > META_LIMIT {
                return Err(Problem::Archive(format!(
                    "{name} is over {META_LIMIT} bytes, too large for metadata"
                )));
            }
        }
        Ok(v)
    }
}

impl RandomAccess for DirContainer {
    fn open(&self, name: &str) -> Result<(Box<dyn Read + Send + '_>, u64), Problem> {
        let p = self.path_of(name).ok_or_else(|| Problem::MissingBlob {
            what: "the manifest".into(),
            name: name.to_string(),
        })?;
        // A blob that is a device or a FIFO (a symlink to /dev/zero, say)
        // would never end, or block opening.
        if std::fs::metadata(&p).is_ok_and(|m| !m.is_file()) {
            return Err(Problem::Archive(format!(
                "{name} is not a regular file (a device, FIFO or directory)"
            )));
        }
        let f = File::open(&p).map_err(|_| Problem::MissingBlob {
            what: "the manifest".into(),
            name: name.to_string(),
        })?;
        let len = f.metadata().map_err(Problem::Io)?.len();
        Ok((Box::new(f), len))
    }
    fn positional(&self, name: &str) -> Option<FileRange> {
        let f = File::open(self.path_of(name)?).ok()?;
        let md = f.metadata().ok()?;
        md.is_file().then(|| FileRange::new(f, 0, md.len()))
    }
}

//! One file's bytes out of one layer, on demand (the UI's view and extract
//! keys): the layer's blob is located in the archive (a seekable archive is
//! scanned header by header, seeking over data), decompressed as it streams,
//! and its entries walked until the path. Only that entry's bytes are kept,
//! up to a limit; nothing else is kept or written anywhere.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::Problem;
use crate::index::path::{display, normalize_into};

use super::decompress::{self, Compression};
use super::tar_stream::{Streamed, TarReader};
use super::{DirContainer, RandomAccess, SeekableTar, io_problem};

/// A file read from a layer.
#[derive(Debug)]
pub struct EntryBytes {
    /// At most the limit asked for.
    pub bytes: Vec<u8>,
    /// The entry's whole size.
    pub size: u64,
}

impl EntryBytes {
    pub fn truncated(&self) -> bool {
        (self.bytes.len() as u64) < self.size
    }
}

/// Hard links followed, at most, to reach a file's data.
const MAX_LINK_HOPS: usize = 8;

/// Reads the regular file at `path` (root-relative and normalized, as the
/// index stores it) from the layer stored as `blob` in `archive` (a docker
/// or OCI archive, or a layout directory), keeping at most `limit` bytes.
pub fn read_entry(
    archive: &Path,
    blob: &str,
    path: &[u8],
    limit: usize,
) -> Result<EntryBytes, Problem> {
    let mut bytes = Vec::new();
    let size = stream_entry(archive, blob, path, &mut |chunk| {
        let n = chunk.len().min(limit - bytes.len());
        bytes.extend_from_slice(&chunk[..n]);
        Ok(bytes.len() < limit)
    })?;
    Ok(EntryBytes { bytes, size })
}

/// Copies the file at `path` from the layer `blob` into `out` as it
/// streams (any size, in bounded memory); returns its size.
pub fn write_entry(
    archive: &Path,
    blob: &str,
    path: &[u8],
    out: &mut dyn Write,
) -> Result<u64, Problem> {
    stream_entry(archive, blob, path, &mut |chunk| {
        out.write_all(chunk).map(|()| true)
    })
}

/// Receives a file's data chunk by chunk; `Ok(false)` stops early.
type Sink<'a> = dyn FnMut(&[u8]) -> io::Result<bool> + 'a;

fn stream_entry(
    archive: &Path,
    blob: &str,
    path: &[u8],
    sink: &mut Sink<'_>,
) -> Result<u64, Problem> {
    let md = std::fs::metadata(archive).map_err(io_problem)?;
    if md.is_dir() {
        let dir = DirContainer {
            root: archive.to_path_buf(),
        };
        return follow(&dir, blob, path, sink);
    }
    let mut f = File::open(archive).map_err(io_problem)?;
    let mut head = [0u8; 4];
    let n = f.read(&mut head).map_err(Problem::Io)?;
    if Compression::sniff(&head[..n]) != Compression::None {
        return Err(Problem::Archive(
            "the archive is compressed as a whole, so a file cannot be read from it \
             on demand; decompress the archive first"
                .into(),
        ));
    }
    f.seek(SeekFrom::Start(0)).map_err(Problem::Io)?;
    let tar = SeekableTar::scan(archive, f, md.len())?;
    follow(&tar, blob, path, sink)
}

/// Finds the entry, following hard links to the entry with the data.
fn follow(
    c: &dyn RandomAccess,
    blob: &str,
    path: &[u8],
    sink: &mut Sink<'_>,
) -> Result<u64, Problem> {
    let mut want = path.to_vec();
    for _ in 0..MAX_LINK_HOPS {
        match find(c, blob, &want, sink)? {
            Found::Data(size) => return Ok(size),
            Found::HardLink(target) => want = target,
        }
    }
    Err(Problem::Archive(format!(
        "{}: too many hard links",
        display(path)
    )))
}

enum Found {
    /// The data went to the sink; the entry's size.
    Data(u64),
    /// A hard link: the data is under this (normalized) path.
    HardLink(Vec<u8>),
}

fn find(
    c: &dyn RandomAccess,
    blob: &str,
    want: &[u8],
    sink: &mut Sink<'_>,
) -> Result<Found, Problem> {
    let (raw, _) = c.open(blob)?;
    let (stream, _) = decompress::decoder(raw).map_err(Problem::Io)?;
    let mut tar = TarReader::new(Streamed(stream));
    let mut name = Vec::new();
    loop {
        let h = match tar.next_entry() {
            Ok(Some(h)) => h,
            Ok(None) => break,
            Err(e) => return Err(Problem::Archive(e.to_string())),
        };
        name.clear();
        normalize_into(h.path, &mut name);
        if name != want {
            continue;
        }
        if h.flag.is_hardlink() {
            let mut target = Vec::new();
            normalize_into(h.link, &mut target);
            return Ok(Found::HardLink(target));
        }
        if !h.flag.is_regular() {
            let what = if h.flag.is_dir() {
                "a directory"
            } else if h.flag.is_symlink() {
                "a symbolic link"
            } else {
                "not a regular file"
            };
            return Err(Problem::Archive(format!("{} is {what}", display(want))));
        }
        let size = h.size;
        loop {
            let chunk = tar
                .data_chunk()
                .map_err(|e| Problem::Archive(e.to_string()))?;
            if chunk.is_empty() {
                break;
            }
            let n = chunk.len();
            let more = sink(chunk).map_err(Problem::Io)?;
            tar.consume(n);
            if !more {
                break;
            }
        }
        return Ok(Found::Data(size));
    }
    Err(Problem::Archive(format!(
        "{} is not in layer {blob}",
        display(want)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../sample-images/ml-mistakes.docker.tar")
    }

    #[test]
    fn reads_one_file_from_one_layer_and_refuses_what_is_not_there() {
        let (meta, layers) = crate::image_index::load_layers(
            &crate::archive::Input::Path(sample()),
            &crate::archive::LoadOptions::default(),
            crate::index::layer::IndexOptions::default(),
            &|_| None,
        )
        .expect("sample loads");
        let (a, ()) = crate::ImageIndex::merge(meta, layers, |_| ());
        let node = a.tree.lookup(b"app/main.py").expect("main.py");
        let last = a.layers.len() - 1;
        let v = a.tree.version_at(node, last).expect("present");
        let layer = v.layer as usize;
        let entry = &a.layers[layer].entries[v.entry_index().expect("an entry")];
        let got = read_entry(
            &sample(),
            &a.meta.layers[layer].name,
            b"app/main.py",
            1 << 20,
        )
        .expect("read");
        assert_eq!(got.size, entry.size);
        assert_eq!(got.bytes.len() as u64, entry.size);
        assert!(!got.truncated());
        let cut =
            read_entry(&sample(), &a.meta.layers[layer].name, b"app/main.py", 3).expect("read");
        assert_eq!((cut.bytes.len(), cut.truncated()), (3, true));
        assert_eq!(cut.bytes, got.bytes[..3]);
        let mut out = Vec::new();
        let n = write_entry(
            &sample(),
            &a.meta.layers[layer].name,
            b"app/main.py",
            &mut out,
        )
        .expect("write");
        assert_eq!((n, out), (entry.size, got.bytes));
        let e = read_entry(&sample(), &a.meta.layers[layer].name, b"no/such", 10).unwrap_err();
        assert!(e.to_string().contains("/no/such is not in layer"), "{e}");
        let e = read_entry(&sample(), &a.meta.layers[layer].name, b"app", 10).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
    }
}

//! One big gzip layer inflated on every core: the image most often met in
//! practice (an ML image, a distro with one fat layer) spends its load
//! inflating a single multi-GB gzip stream, which the streaming inflater does
//! on one core while the others wait.
//!
//! A gzip stream cannot be split where its writer did not split it: every
//! deflate block may copy from the 32 KiB before it. rapidgzip's answer,
//! which `rapidgzip-core` implements over zlib-rs (the inflater the rest of
//! ballast uses), is to start decoders at guessed block boundaries in each
//! compressed chunk, decode with the unknown window kept as markers, confirm
//! that each chunk's start is where the previous one really ends, and resolve
//! the markers once the previous chunk's last 32 KiB are known. It needs
//! positional reads of the compressed bytes, so it serves blobs that can be
//! read anywhere (a file, a range inside a seekable archive, a registry that
//! answers Range requests); stdin and pipes keep the streaming inflater.
//!
//! The decoded bytes arrive in order through one `Read`, so the tar reader,
//! the content hashes and the diff_id see exactly the stream the streaming
//! inflater gives, while the decoder threads run ahead of them: hashing and
//! indexing the big layer overlap its inflate.
//!
//! On two cores the crate's own admission screen declines its speculative
//! path (a speculative decode runs at a fraction of zlib-rs's speed per
//! core; bench/GZIP.md has the figures) and it inflates sequentially, so the
//! default only tries this path on [`MIN_PARALLEL_CORES`] or more. The tests
//! here and in tests/it/parallel_gzip.rs therefore cover the hook, the
//! fallback and the agreement of results; the speculative path itself is
//! covered by the crate's tests and, at run time, by the CRC32 and ISIZE it
//! checks on every member (a wrong byte fails the layer, which is then read
//! again by the streaming path).
//!
//! The streaming inflater stays the reference. A parallel decode that fails
//! for any reason (a corrupt or cut stream, an I/O error, a bad tar inside)
//! is discarded and the layer is read again by the streaming path, so every
//! error, and the verdict on every odd stream, is that path's own.

use std::fmt::Display;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::decompress::Compression;
use super::digest::BlobDigest;
use super::input::LoadProgress;

/// Blobs smaller than this are inflated by the streaming path: starting
/// the decoder threads and probing chunk boundaries costs more than the
/// second core gives back on a layer that inflates in a fraction of a
/// second.
pub const MIN_PARALLEL_BYTES: u64 = 64 << 20;

/// Fewest cores on which the default tries the parallel inflater.
pub const MIN_PARALLEL_CORES: usize = 3;

/// Most decoder threads for one layer. Each holds up to two 4 MiB chunks
/// in flight (decoded, and marked-up before its window is known); past
/// eight, the tar reader and hashers consuming the ordered output, not the
/// inflate, set the pace, and more threads would only add memory.
const MAX_DECODER_THREADS: usize = 8;

/// Read-ahead between the decoder's ordered output and the tar reader: the
/// decoder hands over 4 MiB chunks, so a large buffer keeps the hasher in
/// long runs without a copy per small read.
const OUTPUT_BUFFER: usize = 1 << 20;

/// Which inflater gzip layers of seekable inputs get, from the environment
/// variable `BALLAST_INFLATE` (for benchmarks and tests; users never need
/// it): `single` never inflates in parallel, `parallel` does it for every
/// gzip layer whatever its size, `parallel-only` too but without reading a
/// failed layer again with the streaming path (so a test sees the parallel
/// inflater's own work), anything else (or unset) decides by size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Auto,
    Single,
    Parallel,
    ParallelOnly,
}

impl Mode {
    pub fn from_env() -> Mode {
        match std::env::var("BALLAST_INFLATE").as_deref() {
            Ok("single") => Mode::Single,
            Ok("parallel") => Mode::Parallel,
            Ok("parallel-only") => Mode::ParallelOnly,
            _ => Mode::Auto,
        }
    }

    /// Whether a failed parallel decode is read again by the streaming
    /// path, whose verdict and message then stand.
    pub fn falls_back(self) -> bool {
        self != Mode::ParallelOnly
    }

    /// Whether a blob of `size` compressed bytes, among `total` bytes of
    /// layers to index on `cores` cores, is worth inflating in parallel.
    /// Layers are indexed one per core, largest first; a second core only
    /// idles when one layer outlasts every other core's share of the rest,
    /// that is when it holds more than `total / cores` of the bytes. Below
    /// that, the cores are already busy with other layers and the
    /// speculative decode's extra work would only slow the load.
    ///
    /// Not on two cores: there the decoder's own admission screen (exact
    /// zlib-rs against one wave of speculative decodes) declines the
    /// speculative path, as it should, since a speculative decode runs at a
    /// fraction of zlib-rs's speed per core (measured in bench/GZIP.md), and
    /// the screen would be paid for nothing.
    pub fn parallel_for(self, size: u64, total: u64, cores: usize) -> bool {
        match self {
            Mode::Single => false,
            Mode::Parallel | Mode::ParallelOnly => true,
            Mode::Auto => {
                cores >= MIN_PARALLEL_CORES
                    && size >= MIN_PARALLEL_BYTES
                    && u128::from(size) * cores as u128 > u128::from(total)
            }
        }
    }
}

/// Compressed bytes that can be read at any offset, by several threads at
/// once: a range of a file, or a registry blob fetched by Range requests.
pub trait PositionalRead: Send + Sync {
    /// Length in bytes; stable while it is read.
    fn len(&self) -> u64;
    /// Reads up to `buf.len()` bytes at `offset` (relative to the blob's
    /// start); `Ok(0)` only at or past the end.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A blob stored as a byte range of a file: a member of a seekable outer
/// tar, or a whole file of an OCI layout directory.
pub struct FileRange {
    file: File,
    start: u64,
    len: u64,
}

impl FileRange {
    pub fn new(file: File, start: u64, len: u64) -> FileRange {
        FileRange { file, start, len }
    }
}

impl PositionalRead for FileRange {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.len {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.len - offset).unwrap_or(usize::MAX));
        self.file.read_at(&mut buf[..want], self.start + offset)
    }
}

/// A [`PositionalRead`] read front to back, for the blob digest `--verify`
/// computes beside the decode.
pub struct Sequential<'a, P: ?Sized> {
    inner: &'a P,
    pos: u64,
}

impl<'a, P: PositionalRead + ?Sized> Sequential<'a, P> {
    pub fn new(inner: &'a P) -> Self {
        Sequential { inner, pos: 0 }
    }
}

impl<P: PositionalRead + ?Sized> Read for Sequential<'_, P> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// What the decoder reads: the blob, with the progress counter advanced by
/// the furthest offset read (the decoder reads chunks out of order and some
/// twice, so a plain sum would overshoot the blob's size).
struct Tracked<P> {
    inner: P,
    furthest: Arc<AtomicU64>,
    progress: Option<Arc<LoadProgress>>,
}

impl<P: PositionalRead> rapidgzip_core::ReadAt for Tracked<P> {
    fn len(&self) -> io::Result<u64> {
        Ok(self.inner.len())
    }
    fn read_at(&self, offset: u64, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read_at(offset, buffer)?;
        let end = offset + n as u64;
        let before = self.furthest.fetch_max(end, Ordering::Relaxed);
        if end > before
            && let Some(p) = &self.progress
        {
            p.bytes_done.fetch_add(end - before, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// How far a parallel decode advanced the progress counter, to take back
/// if its layer is read again by the streaming path.
pub struct Counted(Arc<AtomicU64>);

impl Counted {
    pub fn undo(&self, progress: Option<&Arc<LoadProgress>>) {
        if let Some(p) = progress {
            p.bytes_done
                .fetch_sub(self.0.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
}

/// Whether the blob starts with the gzip magic.
pub fn is_gzip<P: PositionalRead + ?Sized>(src: &P) -> bool {
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < head.len() {
        match src.read_at(got as u64, &mut head[got..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => got += n,
        }
    }
    head == [0x1f, 0x8b]
}

/// The decoded stream of a gzip blob, inflated on every core and handed
/// over in order. Errors (a corrupt or cut stream) surface from `read`.
/// Dropping the reader early stops the decoder threads.
pub fn gzip_reader<P: PositionalRead + 'static>(
    src: P,
    progress: Option<Arc<LoadProgress>>,
) -> io::Result<(Box<dyn BufRead + Send>, Counted)> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let decoder = rapidgzip_core::Decoder::builder()
        .decoder_threads(cores.clamp(1, MAX_DECODER_THREADS))
        .build()
        .map_err(|e| io::Error::other(e.to_string()))?;
    let furthest = Arc::new(AtomicU64::new(0));
    let counted = Counted(Arc::clone(&furthest));
    let reader = decoder
        .reader(Tracked {
            inner: src,
            furthest,
            progress,
        })
        .map_err(|e| io::Error::other(e.to_string()))?;
    Ok((
        Box::new(BufReader::with_capacity(OUTPUT_BUFFER, reader)),
        counted,
    ))
}

impl<P: PositionalRead + ?Sized> PositionalRead for Arc<P> {
    fn len(&self) -> u64 {
        (**self).len()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        (**self).read_at(offset, buf)
    }
}

/// A layer's index, its compression and its blob digest (`--verify`).
pub(super) type Indexed<T> = (T, Compression, Option<String>);

/// [`super::index_blob`] for a gzip blob that can be read anywhere (a
/// [`FileRange`] here; a registry blob read by Range requests can implement
/// [`PositionalRead`] and come through the same function):
/// inflated on every core, the blob digest (`--verify`) hashed on the side.
/// `None` when the blob is not gzip; an error when the parallel decode
/// failed in any way (the caller then reads the blob with the streaming
/// path, whose verdict and message stand).
pub(super) fn index_blob<T, E, F, P>(
    src: P,
    progress: Option<&Arc<LoadProgress>>,
    verify: bool,
    name: &str,
    index: &F,
) -> Option<Result<Indexed<T>, String>>
where
    E: Display,
    F: Fn(&mut dyn BufRead) -> Result<T, E>,
    P: PositionalRead + 'static,
{
    if !is_gzip(&src) {
        return None;
    }
    let src = Arc::new(src);
    let result = std::thread::scope(|s| {
        let blob_digest = verify.then(|| {
            let src = &src;
            s.spawn(move || {
                let (mut raw, d) = BlobDigest::tap(Box::new(Sequential::new(&**src)), true, name);
                io::copy(&mut raw, &mut io::sink()).map_err(|e| e.to_string())?;
                Ok::<_, String>(d.and_then(|d| d.finish()))
            })
        });
        let (mut stream, counted) =
            gzip_reader(Arc::clone(&src), progress.cloned()).map_err(|e| e.to_string())?;
        let indexed = index(&mut *stream).map_err(|e| format!("gzip layer: {e}"));
        drop(stream);
        let computed = match blob_digest {
            Some(h) => h
                .join()
                .unwrap_or_else(|_| Err("the blob digest thread panicked".into())),
            None => Ok(None),
        };
        let result = indexed.and_then(|t| Ok((t, Compression::Gzip, computed?)));
        if result.is_err() {
            counted.undo(progress);
        }
        result
    });
    Some(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    impl PositionalRead for Vec<u8> {
        fn len(&self) -> u64 {
            self.as_slice().len() as u64
        }
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
            let start = usize::try_from(offset)
                .unwrap_or(usize::MAX)
                .min(self.as_slice().len());
            let n = buf.len().min(self.as_slice().len() - start);
            buf[..n].copy_from_slice(&self[start..start + n]);
            Ok(n)
        }
    }

    fn parallel(blob: &[u8]) -> Result<Vec<u8>, String> {
        let (mut r, _) = gzip_reader(blob.to_vec(), None).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        r.read_to_end(&mut out).map_err(|e| e.to_string())?;
        Ok(out)
    }

    fn single(blob: &[u8]) -> Result<Vec<u8>, String> {
        let (mut r, _) = super::super::decompress::decoder(io::Cursor::new(blob.to_vec()))
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        r.read_to_end(&mut out).map_err(|e| e.to_string())?;
        Ok(out)
    }

    fn gz(data: &[u8], level: u32) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// Text-like runs and incompressible runs, a few MiB.
    fn mixed(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        let mut out = Vec::with_capacity(len);
        let words: [&[u8]; 6] = [
            b"lib",
            b"usr/share/",
            b"python3.12 ",
            b"def main():\n",
            b"0x1f8b ",
            b"{\"k\": 1}\n",
        ];
        while out.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if (x >> 40).is_multiple_of(3) {
                for _ in 0..4096 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    out.extend_from_slice(&x.to_le_bytes());
                }
            } else {
                for _ in 0..2048 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    out.extend_from_slice(words[(x % 6) as usize]);
                }
            }
        }
        out.truncate(len);
        out
    }

    /// Every kind of stream a layer arrives in, good and broken: the
    /// parallel inflater must give the streaming one's bytes, and fail
    /// exactly where it fails (the loader then re-reads a failed layer with
    /// the streaming path, so agreeing on failure is all that is needed).
    #[test]
    fn parallel_and_streaming_inflaters_agree() {
        let data = mixed(10 << 20, 7);
        let one = gz(&data, 6);
        let mut cases: Vec<(&str, Vec<u8>)> = vec![("one member", one.clone())];
        let mut multi = gz(&data[..3 << 20], 1);
        multi.extend(gz(&data[3 << 20..6 << 20], 6));
        multi.extend(gz(b"", 6));
        multi.extend(gz(&data[6 << 20..], 0));
        cases.push(("concatenated members", multi));
        cases.push(("stored blocks", gz(&data[..6 << 20], 0)));
        let noise: Vec<u8> = data
            .chunks(8)
            .flat_map(|c| c.iter().rev().copied())
            .map(|b| b.wrapping_mul(167))
            .collect();
        cases.push((
            "incompressible",
            gz(
                &mixed(6 << 20, 99)
                    .iter()
                    .zip(&noise)
                    .map(|(a, b)| a ^ b)
                    .collect::<Vec<u8>>(),
                6,
            ),
        ));
        cases.push(("tiny", gz(b"hello", 6)));
        cases.push(("empty", gz(b"", 6)));
        let mut z = one.clone();
        z.extend([0u8; 1024]);
        cases.push(("trailing zeros", z));
        let mut g = one.clone();
        g.extend(b"garbage!garbage!");
        cases.push(("trailing garbage", g));
        cases.push(("cut", one[..one.len() * 7 / 10].to_vec()));
        cases.push(("cut in the trailer", one[..one.len() - 3].to_vec()));
        cases.push(("header only", one[..10].to_vec()));
        let mut c = one.clone();
        let mid = c.len() / 2;
        c[mid] ^= 0x55;
        cases.push(("corrupt", c));
        let mut crc = one.clone();
        let n = crc.len();
        crc[n - 6] ^= 1;
        cases.push(("bad crc", crc));
        for (name, blob) in cases {
            match (parallel(&blob), single(&blob)) {
                (Ok(p), Ok(s)) => assert!(p == s, "{name}: different bytes"),
                (Err(_), Err(_)) => {}
                (p, s) => panic!(
                    "{name}: parallel {:?}, streaming {:?}",
                    p.map(|v| v.len()),
                    s.map(|v| v.len())
                ),
            }
        }
    }

    #[test]
    fn a_layer_goes_parallel_only_when_it_would_leave_a_core_idle() {
        let big = MIN_PARALLEL_BYTES * 10;
        // One layer holding most of the image, four cores: parallel.
        assert!(Mode::Auto.parallel_for(big, big + big / 3, 4));
        // Four equal big layers keep four cores busy on their own.
        assert!(!Mode::Auto.parallel_for(big, 4 * big, 4));
        assert!(Mode::Auto.parallel_for(big, 3 * big, 4));
        // Small layers, one or two cores, or the escape hatches.
        assert!(!Mode::Auto.parallel_for(MIN_PARALLEL_BYTES - 1, MIN_PARALLEL_BYTES - 1, 4));
        assert!(!Mode::Auto.parallel_for(big, big, 1));
        assert!(!Mode::Auto.parallel_for(big, big, 2));
        assert!(!Mode::Single.parallel_for(big, big, 2));
        assert!(Mode::Parallel.parallel_for(1, 100, 2));
    }

    #[test]
    fn a_file_range_reads_only_its_range() {
        let dir = std::env::temp_dir().join(format!("ballast-range-{}", std::process::id()));
        std::fs::write(&dir, b"0123456789").unwrap();
        let r = FileRange::new(File::open(&dir).unwrap(), 3, 4);
        let mut all = Vec::new();
        Sequential::new(&r).read_to_end(&mut all).unwrap();
        assert_eq!(all, b"3456");
        assert_eq!(r.read_at(4, &mut [0u8; 8]).unwrap(), 0);
        assert!(!is_gzip(&r));
        std::fs::remove_file(&dir).unwrap();
    }
}

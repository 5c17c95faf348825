//! Layer blobs arrive uncompressed, gzip (eStargz is gzip too) or zstd;
//! whole archives may also be xz or bzip2 (`docker load` takes them, and
//! Docker's decompressor accepts them for layers too). The media type can
//! lie, so the first bytes decide.

use std::io::{self, BufRead, Cursor, Read};

use serde::Serialize;

/// Read-ahead for decompressed data. Large reads keep the inflater and the
/// hasher in long straight runs.
const STREAM_BUFFER: usize = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Xz,
    Bzip2,
}

/// Largest xz dictionary accepted, in KiB: `xz -9` needs 64 MiB, and a
/// header asking for more (up to 4 GiB) must not drive the allocation.
const XZ_MEM_LIMIT_KIB: u32 = 256 << 10;

impl Compression {
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
            // A skippable frame (magic 0x184D2A5?), which pzstd writes
            // first; Docker and containerd accept such streams.
            || (head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18])
        {
            Compression::Zstd
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X']) {
            Compression::Xz
        } else if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
            Compression::Bzip2
        } else {
            Compression::None
        }
    }
}

/// Counts bytes as they pass, for compressed sizes and progress.
pub struct Counting<R> {
    inner: R,
    pub count: u64,
    on_read: Option<Box<dyn FnMut(u64) + Send>>,
}

impl<R> Counting<R> {
    pub fn new(inner: R, on_read: Option<Box<dyn FnMut(u64) + Send>>) -> Self {
        Counting {
            inner,
            count: 0,
            on_read,
        }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if let Some(f) = self.on_read.as_mut() {
            f(n as u64);
        }
        Ok(n)
    }
}

/// Wraps a raw blob in the decoder its magic bytes call for.
pub fn decoder<'a, R: Read + Send + 'a>(
    mut raw: R,
) -> io::Result<(Box<dyn BufRead + Send + 'a>, Compression)> {
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < head.len() {
        match raw.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let kind = Compression::sniff(&head[..got]);
    let stream = Cursor::new(head).take(got as u64).chain(raw);
    let out: Box<dyn BufRead + Send + 'a> = match kind {
        Compression::None => Box::new(GrowingBuf::new(stream)),
        Compression::Gzip => {
            // Multi-member: eStargz writes one gzip member per file.
            let gz = flate2::bufread::MultiGzDecoder::new(GrowingBuf::new(stream));
            Box::new(GrowingBuf::new(Truncation(gz)))
        }
        Compression::Zstd => {
            let z = zstd::stream::read::Decoder::with_buffer(GrowingBuf::new(stream))?;
            Box::new(GrowingBuf::new(Truncation(z)))
        }
        Compression::Xz => {
            // Concatenated streams, as `cat a.xz b.xz` and pxz make.
            let x = lzma_rust2::XzReader::new_mem_limit(
                GrowingBuf::new(stream),
                true,
                XZ_MEM_LIMIT_KIB,
            );
            Box::new(GrowingBuf::new(Truncation(x)))
        }
        Compression::Bzip2 => {
            // Multi-stream: pbzip2 and lbzip2 write one stream per block.
            let b = bzip2::bufread::MultiBzDecoder::new(GrowingBuf::new(stream));
            Box::new(GrowingBuf::new(Truncation(b)))
        }
    };
    Ok((out, kind))
}

/// A read-ahead buffer that starts small and doubles, up to
/// [`STREAM_BUFFER`], while reads keep filling it. A `BufReader` zeroes its
/// whole buffer on first use, so 10,000 tiny layers cost 10,000 MiB of
/// memset; here a tiny layer costs its first 16 KiB and a big one still
/// gets long reads after a few doublings.
struct GrowingBuf<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
}

impl<R: Read> GrowingBuf<R> {
    fn new(inner: R) -> Self {
        GrowingBuf {
            inner,
            buf: vec![0; 16 << 10],
            pos: 0,
            filled: 0,
        }
    }
}

impl<R: Read> Read for GrowingBuf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.filled && out.len() >= self.buf.len() {
            return self.inner.read(out);
        }
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for GrowingBuf<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.filled {
            if self.filled == self.buf.len() && self.buf.len() < STREAM_BUFFER {
                let grown = (self.buf.len() * 2).min(STREAM_BUFFER);
                self.buf.resize(grown, 0);
            }
            self.pos = 0;
            self.filled = 0;
            self.filled = loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.filled);
    }
}

/// Names a compressed stream that ends early as truncated, the word a cut
/// tar stream gets too, rather than the decoder's own jargon.
struct Truncation<R>(R);

impl<R: Read> Read for Truncation<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("compressed stream is truncated ({e})"),
                )
            } else if e.kind() == io::ErrorKind::OutOfMemory {
                // The xz decoder's refusal of a dictionary over the cap.
                io::Error::other(format!(
                    "the compressed stream needs more memory than the {} MiB limit",
                    XZ_MEM_LIMIT_KIB >> 10
                ))
            } else {
                e
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A zstd stream behind a skippable frame, as pzstd writes it.
    fn skippable_first(zs: &[u8]) -> Vec<u8> {
        let mut v = vec![0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4];
        v.extend_from_slice(zs);
        v
    }

    #[test]
    fn sniffs_and_decodes_each_kind() {
        let plain = b"plain tar bytes would go here".to_vec();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        let zs = zstd::encode_all(&plain[..], 1).unwrap();
        for (blob, want) in [
            (plain.clone(), Compression::None),
            (gz, Compression::Gzip),
            (zs.clone(), Compression::Zstd),
            (skippable_first(&zs), Compression::Zstd),
        ] {
            let (mut r, kind) = decoder(Cursor::new(blob)).unwrap();
            assert_eq!(kind, want);
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            assert_eq!(out, plain);
        }
    }

    #[test]
    fn sniffs_xz_and_bzip2_magic() {
        assert_eq!(
            Compression::sniff(&[0xfd, b'7', b'z', b'X']),
            Compression::Xz
        );
        assert_eq!(Compression::sniff(b"BZh9"), Compression::Bzip2);
        // A block size digit is required: `BZh0` and a bare `BZh` are not.
        assert_eq!(Compression::sniff(b"BZh0"), Compression::None);
        assert_eq!(Compression::sniff(b"BZh"), Compression::None);
    }

    #[test]
    fn corrupt_xz_and_bzip2_are_errors() {
        for blob in [
            vec![
                0xfd, b'7', b'z', b'X', b'Z', 0, 0, 4, 0xde, 0xad, 0xbe, 0xef,
            ],
            b"BZh91AY&SY\xde\xad\xbe\xef".to_vec(),
        ] {
            let (mut r, _) = decoder(Cursor::new(blob)).unwrap();
            assert!(r.read_to_end(&mut Vec::new()).is_err());
        }
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        let blob = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef];
        let (mut r, _) = decoder(Cursor::new(blob)).unwrap();
        let mut out = Vec::new();
        assert!(r.read_to_end(&mut out).is_err());
    }

    #[test]
    fn cut_compressed_streams_say_truncated() {
        let plain: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        let zs = zstd::encode_all(&plain[..], 1).unwrap();
        for blob in [gz, zs] {
            let cut = blob[..blob.len() * 7 / 10].to_vec();
            let (mut r, _) = decoder(Cursor::new(cut)).unwrap();
            let err = r.read_to_end(&mut Vec::new()).unwrap_err();
            assert!(err.to_string().contains("truncated"), "{err}");
        }
    }
}

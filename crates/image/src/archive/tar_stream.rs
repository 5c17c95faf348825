//! A streaming tar reader for both the outer image archive and every layer.
//!
//! Why not the `tar` crate here: it reads PAX and GNU long-name records into
//! memory in full, sized by whatever the header claims, and in raw mode it
//! forgets a PAX `size` (which Go writers emit for files over 8 GiB, i.e. model
//! weights). An image is untrusted input, so this reader caps every record it
//! buffers, never allocates by a header field, reads each byte once, and hands
//! file data out as borrowed slices of the caller's buffer (no copy, no
//! per-entry allocation once its buffers have grown).
//!
//! It does not interpret paths beyond joining ustar prefixes; normalization
//! and whiteout handling belong to the indexer.

use std::io::{self, BufRead, BufReader, Read, Seek};

const BLOCK: u64 = 512;

/// Largest PAX or GNU long-name record buffered. A path thousands of
/// directories deep fits easily; a record claiming more is refused.
pub const MAX_EXTENSION_BYTES: u64 = 1 << 20;

/// Largest entry size believed (4 EiB). Anything above is a lie that would
/// only overflow offset arithmetic; a merely large claim is caught as
/// truncation when the data runs out.
const MAX_ENTRY_SIZE: u64 = 1 << 62;

/// How a reader moves past entry data it does not want.
pub trait SkipForward: BufRead {
    /// Discards `n` bytes. The default reads through them; seekable readers
    /// override it.
    fn skip_forward(&mut self, mut n: u64) -> io::Result<()> {
        while n > 0 {
            let buf = self.fill_buf()?;
            if buf.is_empty() {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let take = usize::try_from(n).unwrap_or(usize::MAX).min(buf.len());
            self.consume(take);
            n -= take as u64;
        }
        Ok(())
    }
}

impl<R: Read + Seek> SkipForward for BufReader<R> {
    fn skip_forward(&mut self, n: u64) -> io::Result<()> {
        // Seeking never reports running past the end; the caller checks
        // offsets against the file length instead.
        let n = i64::try_from(n).map_err(|_| io::Error::other("skip too large"))?;
        self.seek_relative(n)
    }
}

/// A reader that can only move forward by reading (pipes, decompressors).
pub struct Streamed<R>(pub R);

impl<R: BufRead> Read for Streamed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}
impl<R: BufRead> BufRead for Streamed<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.0.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.0.consume(amt);
    }
}
impl<R: BufRead> SkipForward for Streamed<R> {}

#[derive(Debug, thiserror::Error)]
pub enum TarError {
    #[error("archive is truncated (ends inside {what} at byte {offset})")]
    Truncated { what: &'static str, offset: u64 },
    #[error("bad tar header at byte {offset} ({why})")]
    BadHeader { offset: u64, why: &'static str },
    #[error("tar {kind} record at byte {offset} claims {size} bytes, over the {limit}-byte limit")]
    ExtensionTooLarge {
        kind: &'static str,
        offset: u64,
        size: u64,
        limit: u64,
    },
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// The tar type flag, kept raw so exact figures (dive's `typeFlag`) survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeFlag(pub u8);

impl TypeFlag {
    pub fn is_regular(self) -> bool {
        matches!(self.0, b'0' | 0 | b'7')
    }
    pub fn is_dir(self) -> bool {
        self.0 == b'5'
    }
    pub fn is_symlink(self) -> bool {
        self.0 == b'2'
    }
    pub fn is_hardlink(self) -> bool {
        self.0 == b'1'
    }
}

/// One entry's header, borrowed from the reader's buffers until the next call.
#[derive(Debug)]
pub struct Header<'a> {
    pub path: &'a [u8],
    pub link: &'a [u8],
    pub flag: TypeFlag,
    pub size: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Offset of the entry's data from the start of the tar stream.
    pub data_offset: u64,
}

pub struct TarReader<R> {
    inner: R,
    /// Bytes of the stream consumed so far (headers, data, padding).
    pos: u64,
    /// Unread data of the current entry, then its padding.
    data_left: u64,
    pad_left: u64,
    path: Vec<u8>,
    link: Vec<u8>,
    long_path: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    finished: bool,
}

struct PaxOverrides {
    path: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    size: Option<u64>,
    uid: Option<u32>,
    gid: Option<u32>,
}

impl<R: SkipForward> TarReader<R> {
    pub fn new(inner: R) -> Self {
        TarReader {
            inner,
            pos: 0,
            data_left: 0,
            pad_left: 0,
            path: Vec::new(),
            link: Vec::new(),
            long_path: None,
            long_link: None,
            finished: false,
        }
    }

    /// Bytes of the tar stream consumed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Advances to the next entry, skipping whatever data of the current one
    /// was not read. `None` at the end of the archive.
    pub fn next_entry(&mut self) -> Result<Option<Header<'_>>, TarError> {
        if self.finished {
            return Ok(None);
        }
        self.skip_rest()?;
        let mut pax: Option<PaxOverrides> = None;
        loop {
            let header_offset = self.pos;
            let mut block = [0u8; 512];
            let got = read_full(&mut self.inner, &mut block)?;
            self.pos += got as u64;
            if got == 0 {
                // No end-of-archive blocks: tolerated, as every runtime does.
                self.finished = true;
                return Ok(None);
            }
            if got < block.len() {
                return Err(TarError::Truncated {
                    what: "a header",
                    offset: header_offset,
                });
            }
            if block.iter().all(|&b| b == 0) {
                self.finished = true;
                return Ok(None);
            }
            verify_checksum(&block, header_offset)?;
            // Pre-POSIX archives write NUL for a regular file and mark
            // directories only by a trailing slash; read them as Go and GNU
            // tar do.
            let flag = match block[156] {
                0 if field_str(&block[0..100]).ends_with(b"/") => TypeFlag(b'5'),
                0 => TypeFlag(b'0'),
                f => TypeFlag(f),
            };
            let mut size = parse_number(&block[124..136]).ok_or(TarError::BadHeader {
                offset: header_offset,
                why: "size field is not a number",
            })?;
            match flag.0 {
                b'x' | b'g' | b'L' | b'K' => {
                    let kind = match flag.0 {
                        b'x' => "PAX header",
                        b'g' => "PAX global header",
                        b'L' => "GNU long name",
                        _ => "GNU long link",
                    };
                    if size > MAX_EXTENSION_BYTES {
                        return Err(TarError::ExtensionTooLarge {
                            kind,
                            offset: header_offset,
                            size,
                            limit: MAX_EXTENSION_BYTES,
                        });
                    }
                    let data = self.read_record(size, header_offset)?;
                    match flag.0 {
                        b'x' => pax = Some(parse_pax(&data)),
                        // Global headers carry defaults nobody relies on in
                        // image layers; they are read past, not applied.
                        b'g' => {}
                        b'L' => self.long_path = Some(trim_nul(data)),
                        _ => self.long_link = Some(trim_nul(data)),
                    }
                    continue;
                }
                _ => {}
            }
            let mut uid = parse_number(&block[108..116]).unwrap_or(0);
            let mut gid = parse_number(&block[116..124]).unwrap_or(0);
            let mode = parse_number(&block[100..108]).unwrap_or(0);
            self.path.clear();
            self.link.clear();
            let long_path = self.long_path.take();
            let long_link = self.long_link.take();
            let (pax_path, pax_link) = match pax {
                Some(p) => {
                    if let Some(s) = p.size {
                        size = s;
                    }
                    if let Some(u) = p.uid {
                        uid = u64::from(u);
                    }
                    if let Some(g) = p.gid {
                        gid = u64::from(g);
                    }
                    (p.path, p.link)
                }
                None => (None, None),
            };
            match pax_path.or(long_path) {
                Some(p) => self.path.extend_from_slice(&p),
                None => {
                    // POSIX ustar splits long names into prefix + name; GNU
                    // headers use those bytes for other fields.
                    if &block[257..263] == b"ustar\0" {
                        let prefix = field_str(&block[345..500]);
                        if !prefix.is_empty() {
                            self.path.extend_from_slice(prefix);
                            self.path.push(b'/');
                        }
                    }
                    self.path.extend_from_slice(field_str(&block[0..100]));
                }
            }
            match pax_link.or(long_link) {
                Some(l) => self.link.extend_from_slice(&l),
                None => self.link.extend_from_slice(field_str(&block[157..257])),
            }
            if size > MAX_ENTRY_SIZE {
                return Err(TarError::BadHeader {
                    offset: header_offset,
                    why: "entry size is impossibly large",
                });
            }
            // Links, dirs and devices carry no data whatever the header says
            // (hard links written by some tools repeat the target's size).
            let has_data = !matches!(flag.0, b'1' | b'2' | b'3' | b'4' | b'5' | b'6');
            let data_len = if has_data { size } else { 0 };
            self.data_left = data_len;
            self.pad_left = padding(data_len);
            return Ok(Some(Header {
                path: &self.path,
                link: &self.link,
                flag,
                size: data_len,
                mode: u32::try_from(mode & 0o7777).unwrap_or(0),
                uid: u32::try_from(uid).unwrap_or(u32::MAX),
                gid: u32::try_from(gid).unwrap_or(u32::MAX),
                data_offset: self.pos,
            }));
        }
    }

    /// Borrows the next run of the current entry's data; empty when it has
    /// all been read. Call [`TarReader::consume`] with how much was used.
    pub fn data_chunk(&mut self) -> Result<&[u8], TarError> {
        if self.data_left == 0 {
            return Ok(&[]);
        }
        let offset = self.pos;
        let buf = self.inner.fill_buf()?;
        if buf.is_empty() {
            return Err(TarError::Truncated {
                what: "file data",
                offset,
            });
        }
        let n = usize::try_from(self.data_left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        Ok(&buf[..n])
    }

    pub fn consume(&mut self, n: usize) {
        self.inner.consume(n);
        self.pos += n as u64;
        self.data_left -= n as u64;
    }

    /// Unread data left in the current entry.
    pub fn data_left(&self) -> u64 {
        self.data_left
    }

    fn skip_rest(&mut self) -> Result<(), TarError> {
        let n = self.data_left + self.pad_left;
        if n > 0 {
            let offset = self.pos;
            self.inner.skip_forward(n).map_err(|e| {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    TarError::Truncated {
                        what: "file data",
                        offset,
                    }
                } else {
                    TarError::Io(e)
                }
            })?;
            self.pos += n;
            self.data_left = 0;
            self.pad_left = 0;
        }
        Ok(())
    }

    fn read_record(&mut self, size: u64, header_offset: u64) -> Result<Vec<u8>, TarError> {
        // `size` is capped by MAX_EXTENSION_BYTES above, so this allocation
        // is bounded no matter what the header claims.
        let len = usize::try_from(size).unwrap_or(0);
        let mut data = vec![0u8; len];
        let got = read_full(&mut self.inner, &mut data)?;
        self.pos += got as u64;
        if got < len {
            return Err(TarError::Truncated {
                what: "an extension record",
                offset: header_offset,
            });
        }
        let pad = padding(size);
        self.inner
            .skip_forward(pad)
            .map_err(|_| TarError::Truncated {
                what: "an extension record",
                offset: header_offset,
            })?;
        self.pos += pad;
        Ok(data)
    }
}

fn padding(len: u64) -> u64 {
    (BLOCK - len % BLOCK) % BLOCK
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn field_str(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    &field[..end]
}

fn trim_nul(mut v: Vec<u8>) -> Vec<u8> {
    while v.last() == Some(&0) {
        v.pop();
    }
    v
}

/// Octal ASCII, or GNU base-256 when the high bit of the first byte is set.
fn parse_number(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        if field[0] == 0xff {
            return None; // negative: meaningless for sizes and ids
        }
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let mut v: u64 = 0;
    let mut seen = false;
    for &b in field {
        match b {
            b'0'..=b'7' => {
                v = v.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
                seen = true;
            }
            b' ' if !seen => {}
            b' ' | 0 => break,
            _ => return None,
        }
    }
    Some(v)
}

fn verify_checksum(block: &[u8; 512], offset: u64) -> Result<(), TarError> {
    let stored = parse_number(&block[148..156]).ok_or(TarError::BadHeader {
        offset,
        why: "checksum field is not a number",
    })?;
    // The checksum field counts as eight spaces. Straight sums over the two
    // halves vectorize; a header per file makes this a hot loop.
    let (head, rest) = block.split_at(148);
    let tail = &rest[8..];
    let spaces = 8 * u32::from(b' ');
    let unsigned =
        || -> u32 { head.iter().chain(tail).map(|&b| u32::from(b)).sum::<u32>() + spaces };
    let signed = || -> i32 {
        head.iter()
            .chain(tail)
            .map(|&b| i32::from(b.cast_signed()))
            .sum::<i32>()
            + spaces.cast_signed()
    };
    // Old tar implementations summed signed chars; accept either.
    if stored == u64::from(unsigned())
        || i64::try_from(stored).is_ok_and(|s| s == i64::from(signed()))
    {
        Ok(())
    } else {
        Err(TarError::BadHeader {
            offset,
            why: "checksum mismatch",
        })
    }
}

fn parse_pax(data: &[u8]) -> PaxOverrides {
    let mut out = PaxOverrides {
        path: None,
        link: None,
        size: None,
        uid: None,
        gid: None,
    };
    let mut rest = data;
    // Records are "LEN KEY=VALUE\n" where LEN counts the whole record.
    while !rest.is_empty() {
        let Some(space) = rest.iter().position(|&b| b == b' ') else {
            break;
        };
        let Some(len) = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            break;
        };
        if len <= space + 1 || len > rest.len() {
            break;
        }
        let record = &rest[space + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|&b| b == b'=') {
            let (key, value) = (&record[..eq], &record[eq + 1..]);
            let num = || std::str::from_utf8(value).ok()?.trim().parse::<u64>().ok();
            match key {
                b"path" => out.path = Some(value.to_vec()),
                b"linkpath" => out.link = Some(value.to_vec()),
                b"size" => out.size = num(),
                b"uid" => out.uid = num().and_then(|v| u32::try_from(v).ok()),
                b"gid" => out.gid = num().and_then(|v| u32::try_from(v).ok()),
                _ => {}
            }
        }
        rest = &rest[len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn build(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    type Entries = Vec<(Vec<u8>, Vec<u8>)>;

    fn read_all(bytes: &[u8]) -> Result<Entries, TarError> {
        let mut r = TarReader::new(Streamed(Cursor::new(bytes)));
        let mut out = Vec::new();
        while let Some(h) = r.next_entry()? {
            let path = h.path.to_vec();
            let mut data = Vec::new();
            loop {
                let chunk = r.data_chunk()?;
                if chunk.is_empty() {
                    break;
                }
                let n = chunk.len();
                data.extend_from_slice(chunk);
                r.consume(n);
            }
            out.push((path, data));
        }
        Ok(out)
    }

    #[test]
    fn reads_entries_and_long_gnu_names() {
        let long = "d/".repeat(300) + "file.txt";
        let bytes = build(&[("a.txt", b"hello"), (&long, b"x")]);
        let got = read_all(&bytes).unwrap();
        assert_eq!(got[0], (b"a.txt".to_vec(), b"hello".to_vec()));
        assert_eq!(got[1].0, long.as_bytes());
        assert_eq!(got[1].1, b"x");
    }

    #[test]
    fn truncated_data_is_an_error_not_a_short_file() {
        let bytes = build(&[("a.txt", &[7u8; 2000])]);
        let cut = &bytes[..512 + 1000];
        let err = read_all(cut).unwrap_err();
        assert!(matches!(err, TarError::Truncated { .. }), "{err}");
    }

    #[test]
    fn corrupted_header_fails_checksum() {
        let mut bytes = build(&[("a.txt", b"hello")]);
        bytes[0] = b'b';
        let err = read_all(&bytes).unwrap_err();
        assert!(err.to_string().contains("checksum"), "{err}");
    }

    #[test]
    fn oversized_extension_record_is_refused_without_allocating() {
        let mut h = tar::Header::new_ustar();
        h.set_path("././@LongLink").unwrap();
        h.set_entry_type(tar::EntryType::GNULongName);
        h.set_size(1 << 40);
        h.set_cksum();
        let bytes = h.as_bytes().to_vec();
        let err = read_all(&bytes).unwrap_err();
        assert!(matches!(err, TarError::ExtensionTooLarge { .. }), "{err}");
    }

    #[test]
    fn pax_records_override_path_and_size() {
        // The length prefix counts the whole record, itself included.
        let body = "path=some/very/long/name.bin\n";
        let record = format!("{} {body}", body.len() + 3);
        let pax = record.as_bytes();
        let mut h = tar::Header::new_ustar();
        h.set_path("PaxHeaders/x").unwrap();
        h.set_entry_type(tar::EntryType::XHeader);
        h.set_size(pax.len() as u64);
        h.set_cksum();
        let mut bytes = h.as_bytes().to_vec();
        bytes.extend_from_slice(pax);
        bytes.resize(bytes.len() + padding(pax.len() as u64) as usize, 0);
        bytes.extend(build(&[("short", b"abc")]));
        let got = read_all(&bytes).unwrap();
        assert_eq!(got[0].0, b"some/very/long/name.bin");
        assert_eq!(got[0].1, b"abc");
    }

    #[test]
    fn impossible_pax_size_is_refused_not_wrapped() {
        let body = format!("size={}\n", u64::MAX);
        let record = format!("{} {body}", body.len() + 3);
        let mut h = tar::Header::new_ustar();
        h.set_path("PaxHeaders/x").unwrap();
        h.set_entry_type(tar::EntryType::XHeader);
        h.set_size(record.len() as u64);
        h.set_cksum();
        let mut bytes = h.as_bytes().to_vec();
        bytes.extend_from_slice(record.as_bytes());
        bytes.resize(bytes.len() + padding(record.len() as u64) as usize, 0);
        bytes.extend(build(&[("x", b"abc"), ("y", b"def")]));
        let err = read_all(&bytes).unwrap_err();
        assert!(err.to_string().contains("impossibly large"), "{err}");
    }

    #[test]
    fn checksums_are_accepted_as_unsigned_or_signed_sums() {
        // A name with high bytes makes the two sums differ.
        let mut bytes = build(&[("caf\u{e9}-\u{2603}", b"x")]);
        let header: &mut [u8] = &mut bytes[..512];
        header[148..156].fill(b' ');
        let unsigned: u32 = header.iter().map(|&b| u32::from(b)).sum();
        let signed: i32 = header.iter().map(|&b| i32::from(b.cast_signed())).sum();
        assert_ne!(i64::from(unsigned), i64::from(signed));
        for sum in [i64::from(unsigned), i64::from(signed)] {
            bytes[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
            let got = read_all(&bytes).unwrap();
            assert_eq!(got[0].1, b"x");
        }
        bytes[148..156].copy_from_slice(format!("{:06o}\0 ", unsigned + 1).as_bytes());
        assert!(read_all(&bytes).is_err());
    }

    #[test]
    fn numbers_parse_octal_and_base256() {
        assert_eq!(parse_number(b"0000644\0"), Some(0o644));
        assert_eq!(parse_number(b"  755 \0"), Some(0o755));
        assert_eq!(
            parse_number(&[0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]),
            Some(2 << 32)
        );
        assert_eq!(parse_number(b"12x"), None);
    }
}

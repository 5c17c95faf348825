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

use super::tar_pax::{
    PaxRecords, PaxSparse, check_merge, parse_int, parse_pax, pax_sparse_kind, present,
    sparse_map_0x1, sparse_map_1x0, validate_sparse,
};

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
    /// Unread stored data of the current entry, then its padding.
    data_left: u64,
    pad_left: u64,
    path: Vec<u8>,
    link: Vec<u8>,
    /// The current entry is a sparse file: its holes read as zeros.
    sparse: Option<Sparse>,
    finished: bool,
}

/// Where a sparse entry's reading stands, in logical (expanded) bytes.
struct Sparse {
    /// Data fragments (offset, length), in order, none empty.
    data: Vec<(u64, u64)>,
    next: usize,
    pos: u64,
    size: u64,
    /// Whether the chunk last handed out came from the stored data.
    chunk_is_data: bool,
}

/// What the holes of sparse files read as.
static ZEROS: [u8; 1 << 16] = [0; 1 << 16];

/// Go's header formats, told apart by magic as its `getFormat` does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    V7,
    Ustar,
    Star,
    Gnu,
}

fn header_format(block: &[u8; 512]) -> Format {
    let (magic, version, trailer) = (&block[257..263], &block[263..265], &block[508..512]);
    if magic == b"ustar\0" && trailer == b"tar\0" {
        Format::Star
    } else if magic == b"ustar\0" {
        Format::Ustar
    } else if magic == b"ustar " && version == b" \0" {
        Format::Gnu
    } else {
        Format::V7
    }
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
            sparse: None,
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

    /// Reads one 512-byte block; `Ok(false)` at a clean end of stream.
    fn read_block(&mut self, block: &mut [u8; 512], what: &'static str) -> Result<bool, TarError> {
        let offset = self.pos;
        let got = read_full(&mut self.inner, block)?;
        self.pos += got as u64;
        if got == 0 {
            return Ok(false);
        }
        if got < block.len() {
            return Err(TarError::Truncated { what, offset });
        }
        Ok(true)
    }

    /// Advances to the next entry, skipping whatever data of the current one
    /// was not read. `None` at the end of the archive.
    ///
    /// Names, sizes and types follow Go's `archive/tar` reader rule for rule,
    /// since that is what Docker and containerd unpack layers with: a GNU
    /// long name beats a PAX `path`, `GNU.sparse.name` beats both, sparse
    /// files have their real size and read their holes as zeros, and what Go
    /// refuses (malformed PAX records, a NUL in a PAX path, a lone zero block
    /// followed by more headers, unparsable numbers) is an error here too.
    pub fn next_entry(&mut self) -> Result<Option<Header<'_>>, TarError> {
        if self.finished {
            return Ok(None);
        }
        self.skip_rest()?;
        self.sparse = None;
        if self.finished {
            return Ok(None);
        }
        let mut pax: Option<PaxRecords> = None;
        let mut long_path: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        loop {
            if self.finished {
                // An extension record's padding was cut short: the end.
                return Ok(None);
            }
            let header_offset = self.pos;
            let bad = |why: &'static str| TarError::BadHeader {
                offset: header_offset,
                why,
            };
            let mut block = [0u8; 512];
            if !self.read_block(&mut block, "a header")? {
                // No end-of-archive blocks: tolerated, as every runtime does.
                self.finished = true;
                return Ok(None);
            }
            if block.iter().all(|&b| b == 0) {
                // Go ends at two zero blocks, or one and the end of the
                // stream; a zero block followed by a header is an error.
                let mut next = [0u8; 512];
                if self.read_block(&mut next, "the end-of-archive blocks")?
                    && next.iter().any(|&b| b != 0)
                {
                    return Err(bad("a zero block is followed by more entries"));
                }
                self.finished = true;
                return Ok(None);
            }
            verify_checksum(&block, header_offset)?;
            let format = header_format(&block);
            let num = |range: std::ops::Range<usize>| {
                parse_numeric(&block[range]).ok_or(bad("a numeric field is malformed"))
            };
            let mut size = num(124..136)?;
            // Go sizes the entry by its own header before any PAX record
            // applies: a negative size fails unless the type has no data.
            if size < 0 && !matches!(block[156], b'1'..=b'6') {
                return Err(bad("entry size is negative"));
            }
            let mode = num(100..108)?;
            let mut uid = num(108..116)?;
            let mut gid = num(116..124)?;
            num(136..148)?;
            let mut prefix: &[u8] = b"";
            if format != Format::V7 {
                num(329..337)?;
                num(337..345)?;
            }
            match format {
                Format::Ustar => prefix = field_str(&block[345..500]),
                Format::Star => {
                    prefix = field_str(&block[345..476]);
                    num(476..488)?;
                    num(488..500)?;
                }
                Format::Gnu => {
                    // Go reads a GNU header whose time fields do not parse
                    // as a buggy ustar one, prefix included when ASCII.
                    let broken = |r: std::ops::Range<usize>| {
                        block[r.start] != 0 && parse_numeric(&block[r]).is_none()
                    };
                    if broken(345..357) || broken(357..369) {
                        let p = field_str(&block[345..500]);
                        if p.is_ascii() {
                            prefix = p;
                        }
                    }
                }
                Format::V7 => {}
            }
            let raw_flag = block[156];
            if matches!(raw_flag, b'x' | b'g' | b'L' | b'K') {
                let kind = match raw_flag {
                    b'x' => "PAX header",
                    b'g' => "PAX global header",
                    b'L' => "GNU long name",
                    _ => "GNU long link",
                };
                let size = u64::try_from(size).map_err(|_| bad("entry size is negative"))?;
                if size > MAX_EXTENSION_BYTES {
                    return Err(TarError::ExtensionTooLarge {
                        kind,
                        offset: header_offset,
                        size,
                        limit: MAX_EXTENSION_BYTES,
                    });
                }
                let data = self.read_record(size, header_offset)?;
                match raw_flag {
                    b'x' => pax = Some(parse_pax(&data).map_err(bad)?),
                    b'g' => {
                        // Go returns a global header as an entry of its own,
                        // which runtimes skip; what came before it is lost.
                        parse_pax(&data).map_err(bad)?;
                        pax = None;
                        long_path = None;
                        long_link = None;
                    }
                    b'L' => long_path = Some(field_str(&data).to_vec()),
                    _ => long_link = Some(field_str(&data).to_vec()),
                }
                continue;
            }
            self.path.clear();
            self.link.clear();
            if !prefix.is_empty() {
                self.path.extend_from_slice(prefix);
                self.path.push(b'/');
            }
            self.path.extend_from_slice(field_str(&block[0..100]));
            self.link.extend_from_slice(field_str(&block[157..257]));
            // PAX records first, then GNU long names over them (Go's order).
            if let Some(p) = &pax {
                check_merge(p).map_err(bad)?;
                if let Some(v) = present(p.path.as_deref()) {
                    v.clone_into(&mut self.path);
                }
                if let Some(v) = present(p.link.as_deref()) {
                    v.clone_into(&mut self.link);
                }
                let int = |v: &Option<Vec<u8>>| present(v.as_deref()).and_then(parse_int);
                size = int(&p.size).unwrap_or(size);
                uid = int(&p.uid).unwrap_or(uid);
                gid = int(&p.gid).unwrap_or(gid);
            }
            if let Some(v) = long_path.filter(|v| !v.is_empty()) {
                self.path = v;
            }
            if let Some(v) = long_link.filter(|v| !v.is_empty()) {
                self.link = v;
            }
            // Pre-POSIX archives write NUL for a regular file and mark
            // directories only by a trailing slash.
            let flag = match raw_flag {
                0 if self.path.ends_with(b"/") => TypeFlag(b'5'),
                0 => TypeFlag(b'0'),
                f => TypeFlag(f),
            };
            // Links, dirs and devices carry no data whatever the header says
            // (hard links written by some tools repeat the target's size).
            let header_only = matches!(flag.0, b'1'..=b'6');
            let stored = if header_only {
                0
            } else {
                u64::try_from(size).map_err(|_| bad("entry size is negative"))?
            };
            if stored > MAX_ENTRY_SIZE {
                return Err(bad("entry size is impossibly large"));
            }
            self.data_left = stored;
            self.pad_left = padding(stored);
            let mut logical = stored;
            let map = if flag.0 == b'S' {
                if format != Format::Gnu {
                    return Err(bad("a GNU sparse entry without a GNU header"));
                }
                logical = logical_size(num(483..495)?, header_offset)?;
                Some(self.old_gnu_sparse_map(&block, header_offset)?)
            } else if let Some(kind) = pax.as_ref().and_then(pax_sparse_kind) {
                let p = pax.as_ref().expect("checked above");
                if let Some(name) = present(p.sparse_name.as_deref()) {
                    name.clone_into(&mut self.path);
                }
                if let Some(v) =
                    present(p.sparse_size.as_deref()).or(present(p.sparse_realsize.as_deref()))
                {
                    let n = parse_int(v).ok_or(bad("GNU sparse size is not a number"))?;
                    logical = logical_size(n, header_offset)?;
                }
                Some(match kind {
                    PaxSparse::InRecords => sparse_map_0x1(p).map_err(bad)?,
                    PaxSparse::InData => self.sparse_map_in_data(header_offset)?,
                })
            } else {
                None
            };
            if let Some(map) = map {
                if header_only {
                    return Err(bad("a link, directory or device has a sparse map"));
                }
                let size = i64::try_from(logical).unwrap_or(i64::MAX);
                let data = validate_sparse(&map, size).map_err(bad)?;
                self.sparse = Some(Sparse {
                    data,
                    next: 0,
                    pos: 0,
                    size: logical,
                    chunk_is_data: false,
                });
            }
            return Ok(Some(Header {
                path: &self.path,
                link: &self.link,
                flag,
                size: logical,
                mode: u32::try_from(mode & 0o7777).unwrap_or(0),
                uid: u32::try_from(uid).unwrap_or(u32::MAX),
                gid: u32::try_from(gid).unwrap_or(u32::MAX),
                data_offset: self.pos,
            }));
        }
    }

    /// Go's `readOldGNUSparseMap`: four fragments in the header, then 21 in
    /// each extension block while the "extended" byte is set.
    fn old_gnu_sparse_map(
        &mut self,
        block: &[u8; 512],
        header_offset: u64,
    ) -> Result<Vec<(i64, i64)>, TarError> {
        let bad = |why| TarError::BadHeader {
            offset: header_offset,
            why,
        };
        let mut out = Vec::new();
        let mut ext = [0u8; 512];
        let (mut area, mut extended): (&[u8], bool) = (&block[386..482], block[482] != 0);
        let mut blocks = 0u64;
        loop {
            for e in area.chunks_exact(24) {
                if e[0] == 0 {
                    break;
                }
                let off = parse_numeric(&e[..12]).ok_or(bad("GNU sparse map is malformed"))?;
                let len = parse_numeric(&e[12..24]).ok_or(bad("GNU sparse map is malformed"))?;
                out.push((off, len));
            }
            if !extended {
                return Ok(out);
            }
            blocks += 1;
            if blocks * BLOCK > MAX_EXTENSION_BYTES {
                return Err(TarError::ExtensionTooLarge {
                    kind: "GNU sparse map",
                    offset: header_offset,
                    size: blocks * BLOCK,
                    limit: MAX_EXTENSION_BYTES,
                });
            }
            if !self.read_block(&mut ext, "a GNU sparse map")? {
                return Err(TarError::Truncated {
                    what: "a GNU sparse map",
                    offset: header_offset,
                });
            }
            area = &ext[..504];
            extended = ext[504] != 0;
        }
    }

    /// Go's `readGNUSparseMap1x0`: the map is text at the head of the data,
    /// read in whole blocks until it has every line it announces.
    fn sparse_map_in_data(&mut self, header_offset: u64) -> Result<Vec<(i64, i64)>, TarError> {
        let mut text = Vec::new();
        let mut newlines = 0usize;
        let mut need = 1usize;
        loop {
            if self.data_left < BLOCK {
                return Err(TarError::Truncated {
                    what: "a GNU sparse 1.0 map",
                    offset: header_offset,
                });
            }
            if text.len() as u64 >= MAX_EXTENSION_BYTES {
                return Err(TarError::ExtensionTooLarge {
                    kind: "GNU sparse 1.0 map",
                    offset: header_offset,
                    size: text.len() as u64,
                    limit: MAX_EXTENSION_BYTES,
                });
            }
            let mut block = [0u8; 512];
            if !self.read_block(&mut block, "a GNU sparse 1.0 map")? {
                return Err(TarError::Truncated {
                    what: "a GNU sparse 1.0 map",
                    offset: header_offset,
                });
            }
            self.data_left -= BLOCK;
            newlines += block.iter().filter(|&&b| b == b'\n').count();
            text.extend_from_slice(&block);
            if newlines < need {
                continue;
            }
            if need == 1 {
                let first = text.split(|&b| b == b'\n').next().unwrap_or(b"");
                need = parse_int(first)
                    .and_then(|n| usize::try_from(n).ok())
                    .and_then(|n| n.checked_mul(2)?.checked_add(1))
                    .ok_or(TarError::BadHeader {
                        offset: header_offset,
                        why: "malformed GNU sparse 1.0 map",
                    })?;
            }
            if let Some(map) = sparse_map_1x0(&text) {
                return map.map_err(|why| TarError::BadHeader {
                    offset: header_offset,
                    why,
                });
            }
        }
    }

    /// Borrows the next run of the current entry's data; empty when it has
    /// all been read. Call [`TarReader::consume`] with how much was used.
    pub fn data_chunk(&mut self) -> Result<&[u8], TarError> {
        if self.sparse.is_some() {
            return self.sparse_chunk();
        }
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

    /// A sparse file's next run: stored data inside a fragment, zeros in a
    /// hole. Stored data that runs out early or is left over fails, as Go's
    /// reader does (`errMissData`, `errUnrefData`).
    fn sparse_chunk(&mut self) -> Result<&[u8], TarError> {
        let offset = self.pos;
        let data_left = self.data_left;
        let s = self.sparse.as_mut().expect("sparse entry");
        while s.data.get(s.next).is_some_and(|&(o, l)| s.pos >= o + l) {
            s.next += 1;
        }
        if s.pos >= s.size {
            if data_left > 0 {
                return Err(TarError::BadHeader {
                    offset,
                    why: "sparse file stores more data than its map covers",
                });
            }
            return Ok(&[]);
        }
        match s.data.get(s.next) {
            Some(&(o, l)) if s.pos >= o => {
                s.chunk_is_data = true;
                let want = o + l - s.pos;
                if data_left == 0 {
                    return Err(TarError::BadHeader {
                        offset,
                        why: "sparse map covers more data than the file stores",
                    });
                }
                let buf = self.inner.fill_buf()?;
                if buf.is_empty() {
                    return Err(TarError::Truncated {
                        what: "file data",
                        offset,
                    });
                }
                let n = usize::try_from(want.min(data_left))
                    .unwrap_or(usize::MAX)
                    .min(buf.len());
                Ok(&buf[..n])
            }
            next => {
                s.chunk_is_data = false;
                let end = next.map_or(s.size, |&(o, _)| o);
                let n = usize::try_from(end - s.pos)
                    .unwrap_or(usize::MAX)
                    .min(ZEROS.len());
                Ok(&ZEROS[..n])
            }
        }
    }

    pub fn consume(&mut self, n: usize) {
        if let Some(s) = self.sparse.as_mut() {
            s.pos += n as u64;
            if !s.chunk_is_data {
                return;
            }
        }
        self.inner.consume(n);
        self.pos += n as u64;
        self.data_left -= n as u64;
    }

    /// Unread data left in the current entry.
    pub fn data_left(&self) -> u64 {
        self.data_left
    }

    /// Skips what is left of the entry's data, then its padding. Data cut
    /// short is an error; padding cut short ends the archive, as in Go's
    /// reader (its `tryReadFull` of the padding returns a clean EOF).
    fn skip_rest(&mut self) -> Result<(), TarError> {
        if self.data_left > 0 {
            let offset = self.pos;
            self.inner.skip_forward(self.data_left).map_err(|e| {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    TarError::Truncated {
                        what: "file data",
                        offset,
                    }
                } else {
                    TarError::Io(e)
                }
            })?;
            self.pos += self.data_left;
            self.data_left = 0;
        }
        self.skip_padding(self.pad_left)?;
        self.pad_left = 0;
        Ok(())
    }

    /// Skips `pad` bytes of padding; the stream ending inside it finishes
    /// the archive.
    fn skip_padding(&mut self, pad: u64) -> Result<(), TarError> {
        if pad == 0 {
            return Ok(());
        }
        match self.inner.skip_forward(pad) {
            Ok(()) => self.pos += pad,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => self.finished = true,
            Err(e) => return Err(TarError::Io(e)),
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
        self.skip_padding(padding(size))?;
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

/// Go's `parseNumeric`: GNU base-256 (two's complement) when the high bit
/// of the first byte is set, else octal padded with spaces or NULs.
fn parse_numeric(field: &[u8]) -> Option<i64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        let inv = if field[0] & 0x40 != 0 { 0xff } else { 0 };
        let mut x: u64 = 0;
        for (i, &c) in field.iter().enumerate() {
            let mut c = c ^ inv;
            if i == 0 {
                c &= 0x7f;
            }
            if x >> 56 > 0 {
                return None;
            }
            x = x << 8 | u64::from(c);
        }
        if x >> 63 > 0 {
            return None;
        }
        let x = x.cast_signed();
        return Some(if inv == 0xff { !x } else { x });
    }
    parse_octal(field)
}

/// Go's `parseOctal`: trim spaces and NULs, stop at a NUL, then octal
/// digits only; the value wraps to negative as Go's `int64(x)` does.
fn parse_octal(field: &[u8]) -> Option<i64> {
    let pad = |b: &u8| *b == b' ' || *b == 0;
    let start = field.iter().position(|b| !pad(b)).unwrap_or(field.len());
    let end = field.iter().rposition(|b| !pad(b)).map_or(start, |e| e + 1);
    let digits = field_str(&field[start..end]);
    if digits.is_empty() {
        return Some(0);
    }
    let mut v: u64 = 0;
    for &b in digits {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v.cast_signed())
}

/// A sparse file's real size, refused when negative or impossible.
fn logical_size(n: i64, offset: u64) -> Result<u64, TarError> {
    u64::try_from(n)
        .ok()
        .filter(|&n| n <= MAX_ENTRY_SIZE)
        .ok_or(TarError::BadHeader {
            offset,
            why: "sparse file size is negative or impossibly large",
        })
}

fn verify_checksum(block: &[u8; 512], offset: u64) -> Result<(), TarError> {
    let stored = parse_octal(&block[148..156]).ok_or(TarError::BadHeader {
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
    if stored == i64::from(unsigned()) || stored == i64::from(signed()) {
        Ok(())
    } else {
        Err(TarError::BadHeader {
            offset,
            why: "checksum mismatch",
        })
    }
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
    fn a_stream_cut_inside_padding_ends_there_as_in_go() {
        // Found by the tar_naming fuzz target's Go model, confirmed with Go:
        // its reader reads padding with `tryReadFull`, which turns a short
        // read into a clean end of archive.
        let bytes = build(&[("a.txt", b"hello"), ("b.txt", b"x")]);
        let got = read_all(&bytes[..3 * 512 + 100]).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], (b"b.txt".to_vec(), b"x".to_vec()));
        // Data cut short is still truncation.
        let err = read_all(&bytes[..3 * 512]).unwrap_err();
        assert!(matches!(err, TarError::Truncated { .. }), "{err}");
    }

    #[test]
    fn a_negative_header_size_is_refused_before_pax_applies() {
        // Go sizes every entry by its own header first (`handleRegularFile`).
        let record = b"10 size=3\n";
        let mut x = tar::Header::new_ustar();
        x.set_path("PaxHeaders/x").unwrap();
        x.set_entry_type(tar::EntryType::XHeader);
        x.set_size(record.len() as u64);
        x.set_cksum();
        let mut bytes = x.as_bytes().to_vec();
        bytes.extend_from_slice(record);
        bytes.resize(1024, 0);
        let mut h = tar::Header::new_ustar();
        h.set_path("f").unwrap();
        h.set_entry_type(tar::EntryType::Regular);
        h.as_mut_bytes()[124..136].fill(0xff);
        h.set_cksum();
        bytes.extend_from_slice(h.as_bytes());
        bytes.extend_from_slice(&[0u8; 1536]);
        let err = read_all(&bytes).unwrap_err();
        assert!(err.to_string().contains("negative"), "{err}");
        // A link's size is never read, negative or not.
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_cksum();
        bytes[1024..1536].copy_from_slice(h.as_bytes());
        assert_eq!(read_all(&bytes).unwrap().len(), 1);
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
        // Go's ParseInt refuses it outright; under 2^63 the cap does.
        assert!(err.to_string().contains("not a decimal number"), "{err}");
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
        assert_eq!(parse_numeric(b"0000644\0"), Some(0o644));
        assert_eq!(parse_numeric(b"  755 \0"), Some(0o755));
        assert_eq!(
            parse_numeric(&[0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]),
            Some(2 << 32)
        );
        assert_eq!(parse_numeric(&[0xff; 8]), Some(-1));
        assert_eq!(parse_numeric(b"12x"), None);
        assert_eq!(parse_numeric(b"12 34\0"), None, "Go refuses inner spaces");
    }
}

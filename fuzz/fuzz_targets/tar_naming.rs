//! Differential: ballast's tar reader against a small, independent model of
//! Go's `archive/tar` reader (what Docker and containerd unpack layers with).
//!
//! The input is not a tar: it is a program that builds one (`build`), so
//! checksums are right and headers, PAX records, GNU long names and sparse
//! maps are well-formed often enough to reach the naming rules, while sizes,
//! lengths, magics and padding still go wrong in every way. Both readers then
//! read the same bytes as a runtime does (every header, then all of each
//! entry's data); they must list the same entries (name, link target, type
//! flag, size, content) and both end cleanly or both refuse, at the same
//! entry.
//!
//! The model (`go`) follows Go's `reader.go` (`next`, `readHeader`,
//! `handleRegularFile`, `parsePAX`, `mergePAX`, `readOldGNUSparseMap`,
//! `readGNUSparsePAXHeaders`, `readGNUSparseMap1x0`/`0x1`,
//! `validateSparseEntries`, the sparse file reader's `errMissData` and
//! `errUnrefData`) plus ballast's deliberate limits, each marked `LIMIT`:
//! where Go would go on (given unbounded input or memory), ballast refuses.

#![no_main]

use std::io::Cursor;

use ballast::archive::tar_stream::{Streamed, TarReader};
use libfuzzer_sys::fuzz_target;

// ---------------------------------------------------------------- builder

struct Src<'a>(&'a [u8]);

impl Src<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> usize {
        usize::from(self.u8()) << 8 | usize::from(self.u8())
    }
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[usize::from(self.u8()) % from.len()]
    }
    /// Up to `max` bytes from a small alphabet where naming rules bite:
    /// slashes, dots, NUL, a non-ASCII byte, digits, letters.
    fn text(&mut self, max: usize) -> Vec<u8> {
        let n = usize::from(self.u8()) % (max + 1);
        (0..n)
            .map(|_| self.pick(b"ab/./\0\xc3 z09-,\n=xy"))
            .collect()
    }
    fn digits(&mut self) -> Vec<u8> {
        let forms: [&[u8]; 12] = [
            b"0", b"1", b"2", b"5", b"512", b"1024", b"-1", b"+3", b"", b"x", b"9223372036854775807",
            b"4611686018427387905",
        ];
        let mut v = self.pick(&forms).to_vec();
        if self.u8() % 4 == 0 {
            v.extend(self.u16().to_string().bytes());
        }
        v
    }
}

const PAX_KEYS: &[&str] = &[
    "path",
    "linkpath",
    "size",
    "uid",
    "gid",
    "mtime",
    "atime",
    "ctime",
    "uname",
    "GNU.sparse.major",
    "GNU.sparse.minor",
    "GNU.sparse.name",
    "GNU.sparse.size",
    "GNU.sparse.realsize",
    "GNU.sparse.numblocks",
    "GNU.sparse.map",
    "GNU.sparse.offset",
    "GNU.sparse.numbytes",
    "SCHILY.xattr.a",
    "",
];

fn octal(v: u64, width: usize) -> Vec<u8> {
    let mut s = format!("{v:0w$o}", w = width - 1).into_bytes();
    s.truncate(width - 1);
    s.push(0);
    s
}

/// A numeric field: octal, base-256 (positive or negative), or garbage.
fn numeric(src: &mut Src, v: u64, width: usize) -> Vec<u8> {
    match src.u8() % 16 {
        0 => {
            let mut f = vec![0u8; width];
            f[0] = 0x80;
            for (i, b) in v.to_be_bytes().iter().rev().enumerate() {
                if i + 1 < width {
                    f[width - 1 - i] = *b;
                }
            }
            f
        }
        1 => vec![0xff; width],
        2 => {
            let mut f = vec![b' '; width];
            let t = src.text(width);
            f[..t.len()].copy_from_slice(&t);
            f
        }
        3 => vec![0; width],
        4 => {
            // Space-padded, no NUL.
            let s = format!("{v:>w$o}", w = width);
            s.into_bytes()[..width].to_vec()
        }
        _ => octal(v, width),
    }
}

fn pax_body(src: &mut Src) -> Vec<u8> {
    let mut body = Vec::new();
    for _ in 0..src.u8() % 6 {
        let key = src.pick(PAX_KEYS).as_bytes().to_vec();
        let value = match src.u8() % 4 {
            0 => src.text(24),
            1 => {
                let mut v = src.digits();
                if src.u8() % 4 == 0 {
                    v.push(b',');
                    v.extend(src.digits());
                }
                v
            }
            _ => src.digits(),
        };
        let rec_len = key.len() + value.len() + 3;
        let mut n = rec_len;
        while n.to_string().len() + rec_len != n {
            n += 1;
        }
        let n = match src.u8() % 16 {
            0 => n.wrapping_add(usize::from(src.u8() % 5)).wrapping_sub(2),
            _ => n,
        };
        body.extend(n.to_string().bytes());
        body.push(b' ');
        body.extend(&key);
        body.push(b'=');
        body.extend(&value);
        body.push(if src.u8() % 32 == 31 { b' ' } else { b'\n' });
    }
    body
}

/// Data that starts with a GNU sparse 1.0 map.
fn sparse_1x0_data(src: &mut Src) -> Vec<u8> {
    let mut map = Vec::new();
    let n = usize::from(src.u8() % 5);
    map.extend(if src.u8() % 8 == 0 { src.digits() } else { n.to_string().into_bytes() });
    map.push(b'\n');
    let mut off = 0usize;
    for _ in 0..n * 2 {
        off += usize::from(src.u8());
        map.extend(off.to_string().bytes());
        map.push(b'\n');
    }
    map.resize(map.len().div_ceil(512) * 512, 0);
    let extra = usize::from(src.u8());
    map.extend(std::iter::repeat_n(b'd', extra));
    map
}

fn build(data: &[u8]) -> Vec<u8> {
    let mut src = Src(data);
    let mut out = Vec::new();
    while !src.0.is_empty() {
        match src.u8() % 12 {
            0 => out.extend([0u8; 512]),
            1 => {
                let t = src.text(64);
                out.extend(t);
            }
            2 => {
                let cut = usize::from(src.u8()) * 4;
                out.truncate(out.len().saturating_sub(cut));
            }
            3 => out.extend([0u8; 1024]),
            _ => header(&mut src, &mut out),
        }
    }
    out
}

fn header(src: &mut Src, out: &mut Vec<u8>) {
    let flag = src.pick(b"00000\0\0\x0012257SS7xxxxggLLLKK346A");
    let magic = src.u8() % 4; // 0 v7, 1 ustar, 2 star, 3 gnu
    let mut data = match flag {
        b'x' | b'g' => pax_body(src),
        b'L' | b'K' => {
            let mut v = src.text(200);
            if src.u8() % 2 == 0 {
                v.push(0);
                v.extend(src.text(8));
            }
            v
        }
        _ if src.u8() % 8 == 1 => sparse_1x0_data(src),
        _ => {
            let n = src.u16() % 1100;
            vec![b'd'; n]
        }
    };
    let mut b = [0u8; 512];
    let name = src.text(100);
    b[..name.len()].copy_from_slice(&name);
    let link = src.text(100);
    b[157..157 + link.len()].copy_from_slice(&link);
    b[100..108].copy_from_slice(&numeric(src, 0o644, 8));
    b[108..116].copy_from_slice(&numeric(src, 0, 8));
    b[116..124].copy_from_slice(&numeric(src, 0, 8));
    let size_claim = match src.u8() % 8 {
        0 => data.len() as u64 + u64::from(src.u8()),
        1 => (data.len() as u64).saturating_sub(u64::from(src.u8())),
        _ => data.len() as u64,
    };
    b[124..136].copy_from_slice(&numeric(src, size_claim, 12));
    b[136..148].copy_from_slice(&numeric(src, 0, 12));
    b[156] = flag;
    match magic {
        1 | 2 => {
            b[257..265].copy_from_slice(b"ustar\x0000");
            let p = src.text(155);
            let width = if magic == 2 { 131 } else { 155 };
            let p = &p[..p.len().min(width)];
            b[345..345 + p.len()].copy_from_slice(p);
            b[329..337].copy_from_slice(&numeric(src, 0, 8));
            b[337..345].copy_from_slice(&numeric(src, 0, 8));
            if magic == 2 {
                b[476..488].copy_from_slice(&numeric(src, 0, 12));
                b[488..500].copy_from_slice(&numeric(src, 0, 12));
                b[508..512].copy_from_slice(b"tar\0");
            }
        }
        3 => {
            b[257..265].copy_from_slice(b"ustar  \0");
            if src.u8() % 4 == 0 {
                // atime/ctime: what a pre-Go 1.8 writer put there (a prefix).
                let p = src.text(155);
                b[345..345 + p.len()].copy_from_slice(&p);
            }
        }
        _ => {}
    }
    let mut ext_blocks = Vec::new();
    if flag == b'S' {
        // Old GNU sparse: four entries in the header, more in extensions.
        let mut off = 0u64;
        let mut entries = |src: &mut Src, area: &mut [u8]| {
            for e in area.chunks_exact_mut(24) {
                if src.u8() % 4 == 0 {
                    break;
                }
                off += u64::from(src.u8());
                let len = u64::from(src.u8()) * 4;
                e[..12].copy_from_slice(&numeric(src, off, 12));
                e[12..].copy_from_slice(&numeric(src, len, 12));
                off += len;
            }
        };
        entries(src, &mut b[386..482]);
        // An exhausted input reads as zeros: zero must end every loop.
        let mut extended = src.u8() % 4 == 1;
        b[482] = u8::from(extended);
        while extended {
            let mut ext = [0u8; 512];
            entries(src, &mut ext[..504]);
            extended = src.u8() % 3 == 1;
            ext[504] = u8::from(extended);
            ext_blocks.extend(ext);
        }
        let real = off + u64::from(src.u8());
        b[483..495].copy_from_slice(&numeric(src, real, 12));
    }
    // A few bytes anywhere, for what the fields above do not reach.
    for _ in 0..src.u8() % 4 {
        let at = usize::from(src.u8()) * 2;
        b[at] = src.u8();
    }
    b[148..156].fill(b' ');
    let unsigned: u32 = b.iter().map(|&x| u32::from(x)).sum();
    let sum = match src.u8() % 64 {
        0 => unsigned + 1,
        1 => b.iter().map(|&x| i32::from(x.cast_signed())).sum::<i32>().cast_unsigned(),
        _ => unsigned,
    };
    b[148..156].copy_from_slice(format!("{:06o}\0 ", sum & 0o777_777).as_bytes());
    out.extend(b);
    out.extend(ext_blocks);
    if src.u8() % 16 != 0 {
        data.resize(data.len().div_ceil(512) * 512, 0);
    }
    out.extend(data);
}

// ---------------------------------------------------------------- model

/// One entry as a runtime sees it: type flag, name, link target, size, and
/// a hash of its content (`None` when reading the content failed).
type Seen = (u8, Vec<u8>, Vec<u8>, u64, Option<u64>);

const LIMIT_ENTRY_SIZE: i64 = 1 << 62; // LIMIT: ballast's MAX_ENTRY_SIZE
const SPECIAL_FILE: usize = 1 << 20; // Go's maxSpecialFileSize, and ballast's

fn fnv(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}
const FNV0: u64 = 0xcbf2_9ce4_8422_2325;

fn cstr(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

/// `strconv.ParseInt(s, 10, 64)`.
fn go_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: i128 = 0;
    for &d in digits {
        v = v * 10 + i128::from(d - b'0');
        if v > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// `parser.parseNumeric`; `None` is `p.err`.
fn go_numeric(b: &[u8]) -> Option<i64> {
    if !b.is_empty() && b[0] & 0x80 != 0 {
        let inv = if b[0] & 0x40 != 0 { 0xff } else { 0 };
        let mut x = 0u64;
        for (i, &c) in b.iter().enumerate() {
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
        let x = x as i64;
        return Some(if inv == 0xff { !x } else { x });
    }
    // parseOctal: trim " \0" both ends, cut at a NUL, ParseUint base 8.
    let start = b.iter().position(|&c| c != b' ' && c != 0);
    let Some(start) = start else { return Some(0) };
    let end = b.iter().rposition(|&c| c != b' ' && c != 0).unwrap() + 1;
    let s = cstr(&b[start..end]);
    if s.is_empty() || !s.iter().all(|c| (b'0'..=b'7').contains(c)) {
        return None;
    }
    let mut x: u64 = 0;
    for &d in s {
        x = x.checked_mul(8)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(x as i64)
}

struct Go<'a> {
    data: &'a [u8],
    pos: usize,
}

enum Stop {
    End,
    Refuse,
}

impl Go<'_> {
    /// `io.ReadFull` of n bytes: `Ok(None)` at a clean EOF (nothing left).
    fn read(&mut self, n: usize) -> Result<Option<&[u8]>, Stop> {
        let left = self.data.len() - self.pos;
        if left == 0 && n > 0 {
            return Ok(None);
        }
        if left < n {
            return Err(Stop::Refuse);
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(Some(s))
    }
    fn must(&mut self, n: usize) -> Result<&[u8], Stop> {
        self.read(n)?.ok_or(Stop::Refuse)
    }
}

#[derive(Default, Clone)]
struct Pax(Vec<(Vec<u8>, Vec<u8>)>);

impl Pax {
    /// A map insert: one value per key, the last one.
    fn set(&mut self, k: &[u8], v: &[u8]) {
        self.0.retain(|(key, _)| key != k);
        self.0.push((k.to_vec(), v.to_vec()));
    }
    /// A map lookup, "" when absent (Go's map of a nil PAX header).
    fn get(&self, k: &str) -> &[u8] {
        self.0
            .iter()
            .rev()
            .find(|(key, _)| key == k.as_bytes())
            .map_or(&[][..], |(_, v)| v)
    }
}

/// `parsePAX` over the record's bytes.
fn parse_pax(mut s: &[u8]) -> Option<Pax> {
    let mut out = Pax::default();
    let mut sparse: Vec<Vec<u8>> = Vec::new();
    while !s.is_empty() {
        let sp = s.iter().position(|&c| c == b' ')?;
        let n = go_int(&s[..sp])?;
        if n < 5 || n > s.len() as i64 {
            return None;
        }
        let n = n - (sp as i64 + 1);
        if n <= 0 {
            return None;
        }
        let rest = &s[sp + 1..];
        let n = n as usize;
        let (rec, nl) = (&rest[..n - 1], rest[n - 1]);
        if nl != b'\n' {
            return None;
        }
        let eq = rec.iter().position(|&c| c == b'=')?;
        let (k, v) = (&rec[..eq], &rec[eq + 1..]);
        let valid = !k.is_empty()
            && match k {
                b"path" | b"linkpath" | b"uname" | b"gname" => !v.contains(&0),
                _ => !k.contains(&0),
            };
        if !valid {
            return None;
        }
        s = &rest[n..];
        if k == b"GNU.sparse.offset" || k == b"GNU.sparse.numbytes" {
            let even = sparse.len() % 2 == 0;
            if (even && k != b"GNU.sparse.offset")
                || (!even && k != b"GNU.sparse.numbytes")
                || v.contains(&b',')
            {
                return None;
            }
            sparse.push(v.to_vec());
        } else {
            out.set(k, v);
        }
    }
    if !sparse.is_empty() {
        out.set(b"GNU.sparse.map", &sparse.join(&b","[..]));
    }
    Some(out)
}

fn pax_time_ok(s: &[u8]) -> bool {
    let (secs, frac) = match s.iter().position(|&c| c == b'.') {
        Some(d) => (&s[..d], &s[d + 1..]),
        None => (s, &b""[..]),
    };
    go_int(secs).is_some() && frac.iter().all(u8::is_ascii_digit)
}

fn header_only(flag: u8) -> bool {
    (b'1'..=b'6').contains(&flag)
}

/// `validateSparseEntries`, then the data fragments.
fn valid_sparse(sp: &[(i64, i64)], size: i64) -> bool {
    if size < 0 {
        return false;
    }
    let mut pre_end = 0i64;
    for &(o, l) in sp {
        if o < 0 || l < 0 || o > i64::MAX - l || o + l > size || pre_end > o {
            return false;
        }
        pre_end = o + l;
    }
    true
}

fn go_reads(data: &[u8]) -> (Vec<Seen>, bool) {
    let mut go = Go { data, pos: 0 };
    let mut seen = Vec::new();
    let refused = matches!(go_next_all(&mut go, &mut seen), Stop::Refuse);
    (seen, refused)
}

fn go_next_all(go: &mut Go, seen: &mut Vec<Seen>) -> Stop {
    // Physical bytes still to skip before the next header: (data, padding).
    let mut pad = 0usize;
    loop {
        match go_next(go, &mut pad, seen) {
            Ok(()) => {}
            Err(stop) => return stop,
        }
    }
}

/// One `Next` and the full read of the entry's data; pushes the entry.
fn go_next(go: &mut Go, pad: &mut usize, seen: &mut Vec<Seen>) -> Result<(), Stop> {
    let mut pax: Option<Pax> = None;
    let mut long_name: Option<Vec<u8>> = None;
    let mut long_link: Option<Vec<u8>> = None;
    loop {
        // tryReadFull of the padding: a short read ends the archive cleanly.
        let left = go.data.len() - go.pos;
        if left < *pad {
            return Err(Stop::End);
        }
        go.pos += *pad;
        *pad = 0;
        let Some(blk) = go.read(512)? else {
            return Err(Stop::End);
        };
        let blk: [u8; 512] = blk.try_into().unwrap();
        if blk.iter().all(|&c| c == 0) {
            let Some(next) = go.read(512)? else {
                return Err(Stop::End);
            };
            return Err(if next.iter().all(|&c| c == 0) { Stop::End } else { Stop::Refuse });
        }
        // getFormat: checksum first.
        let stored = go_numeric_octal_only(&blk[148..156]).ok_or(Stop::Refuse)?;
        let (mut unsigned, mut signed) = (0i64, 0i64);
        for (i, &c) in blk.iter().enumerate() {
            let c = if (148..156).contains(&i) { b' ' } else { c };
            unsigned += i64::from(c);
            signed += i64::from(c.cast_signed());
        }
        if stored != unsigned && stored != signed {
            return Err(Stop::Refuse);
        }
        let (magic, version, trailer) = (&blk[257..263], &blk[263..265], &blk[508..512]);
        let fmt = if magic == b"ustar\0" && trailer == b"tar\0" {
            2
        } else if magic == b"ustar\0" {
            1
        } else if magic == b"ustar " && version == b" \0" {
            3
        } else {
            0
        };
        // readHeader.
        let flag = blk[156];
        let mut name = cstr(&blk[..100]).to_vec();
        let mut link = cstr(&blk[157..257]).to_vec();
        let num = |r: std::ops::Range<usize>| go_numeric(&blk[r]).ok_or(Stop::Refuse);
        let mut size = num(124..136)?;
        num(100..108)?;
        num(108..116)?;
        num(116..124)?;
        num(136..148)?;
        if fmt != 0 {
            num(329..337)?;
            num(337..345)?;
            let mut prefix: &[u8] = b"";
            match fmt {
                1 => prefix = cstr(&blk[345..500]),
                2 => {
                    prefix = cstr(&blk[345..476]);
                    num(476..488)?;
                    num(488..500)?;
                }
                _ => {
                    let bad = |r: std::ops::Range<usize>| {
                        blk[r.start] != 0 && go_numeric(&blk[r]).is_none()
                    };
                    if bad(345..357) || bad(357..369) {
                        let p = cstr(&blk[345..500]);
                        if p.is_ascii() {
                            prefix = p;
                        }
                    }
                }
            }
            if !prefix.is_empty() {
                let mut n = prefix.to_vec();
                n.push(b'/');
                n.extend(&name);
                name = n;
            }
        }
        // handleRegularFile on the raw header.
        let nb = if header_only(flag) { 0 } else { size };
        if nb < 0 {
            return Err(Stop::Refuse);
        }
        match flag {
            b'x' | b'g' | b'L' | b'K' => {
                // readSpecialFile: at most 1 MiB.
                if nb > SPECIAL_FILE as i64 {
                    return Err(Stop::Refuse);
                }
                let body = go.must(nb as usize)?.to_vec();
                *pad = (512 - nb as usize % 512) % 512;
                match flag {
                    b'x' => pax = Some(parse_pax(&body).ok_or(Stop::Refuse)?),
                    b'g' => {
                        // Returned as an entry of its own, which runtimes
                        // skip; what came before it is dropped.
                        parse_pax(&body).ok_or(Stop::Refuse)?;
                        return Ok(());
                    }
                    b'L' => long_name = Some(cstr(&body).to_vec()),
                    _ => long_link = Some(cstr(&body).to_vec()),
                }
                continue;
            }
            _ => {}
        }
        // mergePAX.
        let p = pax.clone().unwrap_or_default();
        for (k, v) in &p.0 {
            if v.is_empty() {
                continue;
            }
            match k.as_slice() {
                b"path" => name.clone_from(v),
                b"linkpath" => link.clone_from(v),
                b"uid" | b"gid" => {
                    go_int(v).ok_or(Stop::Refuse)?;
                }
                b"size" => size = go_int(v).ok_or(Stop::Refuse)?,
                b"mtime" | b"atime" | b"ctime" if !pax_time_ok(v) => return Err(Stop::Refuse),
                _ => {}
            }
        }
        if let Some(n) = long_name.take().filter(|n| !n.is_empty()) {
            name = n;
        }
        if let Some(l) = long_link.take().filter(|l| !l.is_empty()) {
            link = l;
        }
        let flag = match flag {
            0 if name.ends_with(b"/") => b'5',
            0 => b'0',
            f => f,
        };
        // handleRegularFile again, with the merged size.
        let nb = if header_only(flag) { 0 } else { size };
        if nb < 0 {
            return Err(Stop::Refuse);
        }
        if nb > LIMIT_ENTRY_SIZE {
            return Err(Stop::Refuse); // LIMIT
        }
        let mut stored_left = nb;
        // handleSparseFile.
        let sparse: Option<Vec<(i64, i64)>> = if flag == b'S' {
            if fmt != 3 {
                return Err(Stop::Refuse);
            }
            size = num(483..495)?;
            let mut spd = Vec::new();
            let mut area = blk[386..482].to_vec();
            let mut extended = blk[482] != 0;
            let mut blocks = 0usize;
            loop {
                for e in area.chunks_exact(24) {
                    if e[0] == 0 {
                        break;
                    }
                    let o = go_numeric(&e[..12]).ok_or(Stop::Refuse)?;
                    let l = go_numeric(&e[12..]).ok_or(Stop::Refuse)?;
                    spd.push((o, l));
                }
                if !extended {
                    break;
                }
                blocks += 1;
                if blocks * 512 > SPECIAL_FILE {
                    return Err(Stop::Refuse); // LIMIT
                }
                let ext = go.must(512)?;
                area = ext[..504].to_vec();
                extended = ext[504] != 0;
            }
            Some(spd)
        } else {
            let (major, minor) = (p.get("GNU.sparse.major"), p.get("GNU.sparse.minor"));
            let kind = match (major, minor) {
                (b"0", b"0" | b"1") => Some(false),
                (b"1", b"0") => Some(true),
                _ if !major.is_empty() || !minor.is_empty() => None,
                _ if !p.get("GNU.sparse.map").is_empty() => Some(false),
                _ => None,
            };
            match kind {
                None => None,
                Some(is_1x0) => {
                    let sparse_name = p.get("GNU.sparse.name");
                    if !sparse_name.is_empty() {
                        name = sparse_name.to_vec();
                    }
                    let mut s = p.get("GNU.sparse.size");
                    if s.is_empty() {
                        s = p.get("GNU.sparse.realsize");
                    }
                    if !s.is_empty() {
                        size = go_int(s).ok_or(Stop::Refuse)?;
                    }
                    Some(if is_1x0 {
                        map_1x0(go, &mut stored_left)?
                    } else {
                        map_0x1(&p)?
                    })
                }
            }
        };
        if let Some(sp) = &sparse {
            if header_only(flag) || !valid_sparse(sp, size) {
                return Err(Stop::Refuse);
            }
            if size > LIMIT_ENTRY_SIZE {
                return Err(Stop::Refuse); // LIMIT
            }
        }
        let logical = if header_only(flag) { 0 } else if sparse.is_some() { size } else { nb };
        *pad = (512 - (nb % 512) as usize) % 512;
        seen.push((flag, name, link, logical as u64, None));
        // The runtime reads the content (see `content_plan`).
        match content_plan(stored_left as u64, logical as u64, go.data.len() - go.pos) {
            Plan::Truncated => return Err(Stop::Refuse),
            Plan::Skip => {
                seen.last_mut().unwrap().4 = Some(0);
                go.pos += stored_left as usize;
                return Ok(());
            }
            Plan::Read => {}
        }
        let hash = match &sparse {
            None => {
                let d = go.must(stored_left as usize)?;
                fnv(FNV0, d)
            }
            Some(sp) => {
                let mut h = FNV0;
                let mut at = 0i64;
                for &(o, l) in sp {
                    h = fnv_zeros(h, o - at);
                    if l > stored_left {
                        // errMissData, or the stream ends first.
                        return Err(Stop::Refuse);
                    }
                    let d = go.must(l as usize)?;
                    h = fnv(h, d);
                    stored_left -= l;
                    at = o + l;
                }
                h = fnv_zeros(h, size - at);
                if stored_left > 0 {
                    return Err(Stop::Refuse); // errUnrefData
                }
                h
            }
        };
        seen.last_mut().unwrap().4 = Some(hash);
        return Ok(());
    }
}

fn fnv_zeros(mut h: u64, n: i64) -> u64 {
    for _ in 0..n {
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// The checksum field is read with `parseOctal` alone.
fn go_numeric_octal_only(b: &[u8]) -> Option<i64> {
    if b.first().is_some_and(|c| c & 0x80 != 0) {
        return None;
    }
    go_numeric(b)
}

fn map_0x1(p: &Pax) -> Result<Vec<(i64, i64)>, Stop> {
    let n = go_int(p.get("GNU.sparse.numblocks")).ok_or(Stop::Refuse)?;
    if n < 0 || n.checked_mul(2).is_none() {
        return Err(Stop::Refuse);
    }
    let m = p.get("GNU.sparse.map");
    let fields: Vec<&[u8]> = if m.is_empty() { Vec::new() } else { m.split(|&c| c == b',').collect() };
    if fields.len() as i64 != 2 * n {
        return Err(Stop::Refuse);
    }
    fields
        .chunks_exact(2)
        .map(|f| Ok((go_int(f[0]).ok_or(Stop::Refuse)?, go_int(f[1]).ok_or(Stop::Refuse)?)))
        .collect()
}

fn map_1x0(go: &mut Go, stored_left: &mut i64) -> Result<Vec<(i64, i64)>, Stop> {
    let mut buf: Vec<u8> = Vec::new();
    let mut newlines = 0i64;
    let mut feed = |go: &mut Go, buf: &mut Vec<u8>, newlines: &mut i64, want: i64| {
        while *newlines < want {
            if buf.len() >= SPECIAL_FILE {
                return Err(Stop::Refuse); // LIMIT
            }
            if *stored_left < 512 {
                return Err(Stop::Refuse);
            }
            let blk = go.must(512)?;
            *stored_left -= 512;
            *newlines += blk.iter().filter(|&&c| c == b'\n').count() as i64;
            buf.extend_from_slice(blk);
        }
        Ok(())
    };
    feed(go, &mut buf, &mut newlines, 1)?;
    let first = buf.split(|&c| c == b'\n').next().unwrap_or(b"");
    let n = go_int(first).ok_or(Stop::Refuse)?;
    newlines -= 1;
    if n < 0 || n.checked_mul(2).is_none() {
        return Err(Stop::Refuse);
    }
    // Feed again from where the buffer stands, then tokenize the whole text.
    feed(go, &mut buf, &mut newlines, 2 * n)?;
    let mut tokens = buf.split(|&c| c == b'\n').skip(1);
    let mut out = Vec::new();
    for _ in 0..n {
        let o = tokens.next().and_then(go_int);
        let l = tokens.next().and_then(go_int);
        match (o, l) {
            (Some(o), Some(l)) => out.push((o, l)),
            _ => return Err(Stop::Refuse),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- ballast

/// Above this a sparse file's holes are not read out (both sides skip).
const CONTENT_CAP: u64 = 1 << 20;

enum Plan {
    Read,
    /// A sparse file too large to expand: its stored data is skipped.
    Skip,
    /// The stored data is not all in the input: reading it must fail, so
    /// it is refused at once (a hole of 2^62 zeros before it would take
    /// forever to read out).
    Truncated,
}

/// The same rule for both readers, from what both expose.
fn content_plan(stored: u64, logical: u64, input_left: usize) -> Plan {
    if stored > input_left as u64 {
        Plan::Truncated
    } else if logical > CONTENT_CAP && stored < logical {
        Plan::Skip
    } else {
        Plan::Read
    }
}

fn ballast_reads(data: &[u8]) -> (Vec<Seen>, bool) {
    let mut tar = TarReader::new(Streamed(Cursor::new(data)));
    let mut seen = Vec::new();
    loop {
        match tar.next_entry() {
            Ok(Some(h)) => seen.push((h.flag.0, h.path.to_vec(), h.link.to_vec(), h.size, None)),
            Ok(None) => return (seen, false),
            Err(_) => return (seen, true),
        }
        let size = seen.last().unwrap().3;
        match content_plan(tar.data_left(), size, data.len() - tar.position() as usize) {
            Plan::Truncated => return (seen, true),
            Plan::Skip => {
                seen.last_mut().unwrap().4 = Some(0);
                continue;
            }
            Plan::Read => {}
        }
        let mut h = FNV0;
        loop {
            match tar.data_chunk() {
                Ok([]) => break,
                Ok(c) => {
                    h = fnv(h, c);
                    let n = c.len();
                    tar.consume(n);
                }
                Err(_) => return (seen, true),
            }
        }
        seen.last_mut().unwrap().4 = Some(h);
    }
}

fuzz_target!(|data: &[u8]| {
    let tar = build(data);
    let go = go_reads(&tar);
    let ours = ballast_reads(&tar);
    if go != ours {
        let show = |(s, refused): &(Vec<Seen>, bool)| {
            let mut t: Vec<String> = s
                .iter()
                .map(|(f, n, l, size, h)| {
                    format!(
                        "  {:?} {:?} -> {:?} size {size} content {h:?}",
                        char::from(*f),
                        String::from_utf8_lossy(n),
                        String::from_utf8_lossy(l)
                    )
                })
                .collect();
            t.push(if *refused { "  REFUSED".into() } else { "  END".into() });
            t.join("\n")
        };
        panic!(
            "ballast and the Go model differ on a {}-byte tar\ngo:\n{}\nballast:\n{}",
            tar.len(),
            show(&go),
            show(&ours)
        );
    }
});

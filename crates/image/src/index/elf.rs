//! How many bytes of an ELF file are `.debug*` sections, learned while the
//! file streams past once for hashing.
//!
//! An ELF file names its sections in a string table (`.shstrtab`) and lists
//! them in a section header table that linkers put at the end of the file,
//! after the string table. So the sniffer reads the ELF header from the
//! first bytes, then keeps only two windows of the stream: the last 64 KiB
//! before the header table (where `.shstrtab` almost always sits) and the
//! table itself (at most 1 MiB). When the string table lies after the table
//! instead, it is captured as it streams past. Nothing else is copied, and a
//! file that is not ELF costs one check of its first chunk.
//!
//! It never fails: a truncated, odd or hostile file yields `None`.

/// Bytes kept before the section header table, for `.shstrtab`.
const TAIL_LIMIT: u64 = 64 << 10;
/// Largest section header table read (16k sections of ELF64).
const TABLE_LIMIT: u64 = 1 << 20;
/// Largest `.shstrtab` captured after the table.
const STRTAB_LIMIT: u64 = 1 << 20;
/// Section type of sections with no bytes in the file.
const SHT_NOBITS: u32 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Reading the ELF header.
    Head,
    /// Header read: keeping the tail window and the table as they pass.
    Table,
    /// Table read; the string table comes later in the stream.
    Strtab,
    /// Nothing more to learn (answer known, or not ELF).
    Done,
}

#[derive(Clone, Copy, Debug)]
struct Layout {
    wide: bool,
    little: bool,
    shoff: u64,
    shentsize: u64,
    shnum: u64,
    shstrndx: u64,
}

/// Reusable across files: [`ElfSniffer::reset`] before each one.
#[derive(Debug)]
pub struct ElfSniffer {
    phase: Phase,
    /// Stream position of the next byte fed.
    pos: u64,
    size: u64,
    head: Vec<u8>,
    layout: Option<Layout>,
    /// Bytes `[tail_start, shoff)` of the file.
    tail: Vec<u8>,
    tail_start: u64,
    table: Vec<u8>,
    /// Where `.shstrtab` is, once the table has said so.
    strtab: (u64, u64),
    strtab_bytes: Vec<u8>,
    result: Option<u64>,
}

impl Default for ElfSniffer {
    fn default() -> Self {
        ElfSniffer {
            phase: Phase::Done,
            pos: 0,
            size: 0,
            head: Vec::new(),
            layout: None,
            tail: Vec::new(),
            tail_start: 0,
            table: Vec::new(),
            strtab: (0, 0),
            strtab_bytes: Vec::new(),
            result: None,
        }
    }
}

/// Appends to `dst` the part of `chunk` (at stream offset `pos`) that falls
/// in `[start, end)`.
fn copy_window(dst: &mut Vec<u8>, start: u64, end: u64, pos: u64, chunk: &[u8]) {
    let chunk_end = pos + chunk.len() as u64;
    if chunk_end <= start || pos >= end {
        return;
    }
    let from = usize::try_from(start.saturating_sub(pos)).unwrap_or(usize::MAX);
    let to = usize::try_from(end.min(chunk_end) - pos).unwrap_or(usize::MAX);
    if from < to {
        dst.extend_from_slice(&chunk[from..to]);
    }
}

impl ElfSniffer {
    /// Starts on a new file of `size` bytes.
    pub fn reset(&mut self, size: u64) {
        self.phase = Phase::Head;
        self.pos = 0;
        self.size = size;
        self.head.clear();
        self.layout = None;
        self.tail.clear();
        self.table.clear();
        self.strtab_bytes.clear();
        self.strtab = (0, 0);
        self.result = None;
    }

    /// Feeds the file's next bytes.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.phase == Phase::Done {
            return;
        }
        let pos = self.pos;
        self.pos += chunk.len() as u64;
        if self.phase == Phase::Head {
            let earlier = self.head.len();
            let want = 64usize.saturating_sub(earlier).min(chunk.len());
            self.head.extend_from_slice(&chunk[..want]);
            if !self.head_so_far_is_elf() {
                self.phase = Phase::Done;
                return;
            }
            if self.head.len() < 64 {
                return;
            }
            match parse_header(&self.head, self.size) {
                Some(l) => {
                    self.tail_start = l.shoff.saturating_sub(TAIL_LIMIT);
                    self.layout = Some(l);
                    self.phase = Phase::Table;
                    // Bytes of earlier chunks went only to `head`; the
                    // windows may start inside it.
                    let end = l.shoff + l.shnum * l.shentsize;
                    let before = &self.head[..earlier];
                    copy_window(&mut self.tail, self.tail_start, l.shoff, 0, before);
                    copy_window(&mut self.table, l.shoff, end, 0, before);
                }
                None => {
                    self.phase = Phase::Done;
                    return;
                }
            }
        }
        let Some(l) = self.layout else {
            self.phase = Phase::Done;
            return;
        };
        let table_end = l.shoff + l.shnum * l.shentsize;
        if self.phase == Phase::Table {
            copy_window(&mut self.tail, self.tail_start, l.shoff, pos, chunk);
            copy_window(&mut self.table, l.shoff, table_end, pos, chunk);
            if self.pos >= table_end {
                self.table_read(l, pos, chunk);
            }
        } else if self.phase == Phase::Strtab {
            let (start, len) = self.strtab;
            copy_window(&mut self.strtab_bytes, start, start + len, pos, chunk);
            if self.pos >= start + len {
                self.result = debug_bytes(&l, &self.table, &self.strtab_bytes);
                self.phase = Phase::Done;
            }
        }
    }

    /// The first bytes fed could still begin an ELF file.
    fn head_so_far_is_elf(&self) -> bool {
        let magic = b"\x7fELF";
        let n = self.head.len().min(4);
        self.head[..n] == magic[..n]
    }

    /// The whole table is in: find `.shstrtab`, either in the tail already
    /// kept or later in the stream.
    fn table_read(&mut self, l: Layout, pos: u64, chunk: &[u8]) {
        self.phase = Phase::Done;
        let Some((start, len)) = section_range(&l, &self.table, l.shstrndx) else {
            return;
        };
        let end = start.saturating_add(len);
        if start >= self.tail_start && end <= l.shoff {
            let from = usize::try_from(start - self.tail_start).unwrap_or(usize::MAX);
            let to = usize::try_from(end - self.tail_start).unwrap_or(usize::MAX);
            if let Some(names) = self.tail.get(from..to) {
                self.result = debug_bytes(&l, &self.table, names);
            }
        } else if start >= l.shoff + l.shnum * l.shentsize
            && len <= STRTAB_LIMIT
            && end <= self.size
        {
            self.strtab = (start, len);
            self.phase = Phase::Strtab;
            // The chunk that finished the table may hold some of it already.
            copy_window(&mut self.strtab_bytes, start, end, pos, chunk);
            if self.pos >= end {
                self.result = debug_bytes(&l, &self.table, &self.strtab_bytes);
                self.phase = Phase::Done;
            }
        }
    }

    /// Bytes of the file's `.debug*` sections: `None` when the file is not
    /// ELF or its sections could not be read, `Some(0)` when it has none.
    pub fn debug_bytes(&self) -> Option<u64> {
        self.result
    }
}

fn read_u16(b: &[u8], at: usize, little: bool) -> Option<u64> {
    let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(u64::from(if little {
        u16::from_le_bytes(s)
    } else {
        u16::from_be_bytes(s)
    }))
}

fn read_u32(b: &[u8], at: usize, little: bool) -> Option<u64> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(u64::from(if little {
        u32::from_le_bytes(s)
    } else {
        u32::from_be_bytes(s)
    }))
}

fn read_u64(b: &[u8], at: usize, little: bool) -> Option<u64> {
    let s: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
    Some(if little {
        u64::from_le_bytes(s)
    } else {
        u64::from_be_bytes(s)
    })
}

/// The header fields that locate the section table, checked against the
/// file's size so nothing later reads past its end.
fn parse_header(h: &[u8], size: u64) -> Option<Layout> {
    let wide = match h.get(4)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let little = match h.get(5)? {
        1 => true,
        2 => false,
        _ => return None,
    };
    let (shoff, rest) = if wide {
        (read_u64(h, 0x28, little)?, 0x3A)
    } else {
        (read_u32(h, 0x20, little)?, 0x2E)
    };
    let shentsize = read_u16(h, rest, little)?;
    let shnum = read_u16(h, rest + 2, little)?;
    let shstrndx = read_u16(h, rest + 4, little)?;
    let header_size = if wide { 64 } else { 52 };
    let entry = if wide { 64 } else { 40 };
    // shnum 0 and shstrndx 0xffff mean extended numbering: not supported.
    let ok = shoff >= header_size
        && shentsize == entry
        && shnum > 0
        && shstrndx < shnum
        && shnum * shentsize <= TABLE_LIMIT
        && shoff.checked_add(shnum * shentsize)? <= size;
    ok.then_some(Layout {
        wide,
        little,
        shoff,
        shentsize,
        shnum,
        shstrndx,
    })
}

/// Section `i` of the table: (name offset, type, file offset, size).
fn section(l: &Layout, table: &[u8], i: u64) -> Option<(u64, u32, u64, u64)> {
    let at = usize::try_from(i * l.shentsize).ok()?;
    let entry = table.get(at..at + usize::try_from(l.shentsize).ok()?)?;
    let name = read_u32(entry, 0, l.little)?;
    let ty = u32::try_from(read_u32(entry, 4, l.little)?).ok()?;
    let (offset, size) = if l.wide {
        (
            read_u64(entry, 0x18, l.little)?,
            read_u64(entry, 0x20, l.little)?,
        )
    } else {
        (
            read_u32(entry, 0x10, l.little)?,
            read_u32(entry, 0x14, l.little)?,
        )
    };
    Some((name, ty, offset, size))
}

fn section_range(l: &Layout, table: &[u8], i: u64) -> Option<(u64, u64)> {
    let (_, ty, offset, size) = section(l, table, i)?;
    (ty != SHT_NOBITS).then_some((offset, size))
}

/// Sums the in-file sizes of sections named `.debug*` or `.zdebug*`.
fn debug_bytes(l: &Layout, table: &[u8], names: &[u8]) -> Option<u64> {
    let mut total = 0u64;
    for i in 0..l.shnum {
        let (name_at, ty, _, size) = section(l, table, i)?;
        if ty == SHT_NOBITS {
            continue;
        }
        let Some(name) = usize::try_from(name_at).ok().and_then(|n| names.get(n..)) else {
            continue;
        };
        if name.starts_with(b".debug") || name.starts_with(b".zdebug") {
            total = total.saturating_add(size);
        }
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 (or ELF32) file: header, section contents, then the
    /// string table and the section table, in the order GNU ld writes them.
    /// `strtab_last` puts the string table after the section table instead.
    fn elf(
        wide: bool,
        little: bool,
        sections: &[(&str, u32, usize)],
        strtab_last: bool,
    ) -> Vec<u8> {
        let hsize = if wide { 64 } else { 52 };
        let esize = if wide { 64 } else { 40 };
        let mut names = vec![0u8];
        let mut name_at = Vec::new();
        for (n, _, _) in sections {
            name_at.push(names.len());
            names.extend_from_slice(n.as_bytes());
            names.push(0);
        }
        let shstr_name = names.len();
        names.extend_from_slice(b".shstrtab\0");
        let mut body = vec![0u8; hsize];
        let mut offsets = Vec::new();
        for (i, (_, ty, len)) in sections.iter().enumerate() {
            offsets.push(body.len());
            if *ty != SHT_NOBITS {
                body.extend(std::iter::repeat_n(u8::try_from(i % 251).unwrap(), *len));
            }
        }
        let shnum = sections.len() + 2;
        let table_len = shnum * esize;
        let (strtab_off, shoff) = if strtab_last {
            (body.len() + table_len, body.len())
        } else {
            (body.len(), body.len() + names.len())
        };
        let put = |v: &mut Vec<u8>, x: u64, n: usize| {
            let bytes = if little {
                x.to_le_bytes()
            } else {
                x.to_be_bytes()
            };
            if little {
                v.extend_from_slice(&bytes[..n]);
            } else {
                v.extend_from_slice(&bytes[8 - n..]);
            }
        };
        let mut table = vec![0u8; esize]; // section 0: null
        let mut entries: Vec<(usize, u32, usize, usize)> = sections
            .iter()
            .enumerate()
            .map(|(i, (_, ty, len))| (name_at[i], *ty, offsets[i], *len))
            .collect();
        entries.push((shstr_name, 3, strtab_off, names.len()));
        for (name, ty, off, len) in entries {
            let mut e = Vec::new();
            put(&mut e, name as u64, 4);
            put(&mut e, u64::from(ty), 4);
            let w = if wide { 8 } else { 4 };
            put(&mut e, 0, w); // flags
            put(&mut e, 0, w); // addr
            put(&mut e, off as u64, w);
            put(&mut e, len as u64, w);
            e.resize(esize, 0);
            table.extend_from_slice(&e);
        }
        if strtab_last {
            body.extend_from_slice(&table);
            body.extend_from_slice(&names);
        } else {
            body.extend_from_slice(&names);
            body.extend_from_slice(&table);
        }
        let mut h = b"\x7fELF".to_vec();
        h.push(if wide { 2 } else { 1 });
        h.push(if little { 1 } else { 2 });
        h.resize(if wide { 0x28 } else { 0x20 }, 0);
        put(&mut h, shoff as u64, if wide { 8 } else { 4 });
        h.resize(if wide { 0x3A } else { 0x2E }, 0);
        put(&mut h, esize as u64, 2);
        put(&mut h, shnum as u64, 2);
        put(&mut h, (shnum - 1) as u64, 2);
        body[..h.len()].copy_from_slice(&h);
        body
    }

    fn sniff(data: &[u8], chunk: usize) -> Option<u64> {
        let mut s = ElfSniffer::default();
        s.reset(data.len() as u64);
        for c in data.chunks(chunk.max(1)) {
            s.feed(c);
        }
        s.debug_bytes()
    }

    const SECTIONS: &[(&str, u32, usize)] = &[
        (".text", 1, 300),
        (".debug_info", 1, 1000),
        (".bss", SHT_NOBITS, 5000),
        (".debug_str", 1, 234),
        (".zdebug_line", 1, 40),
        (".comment", 1, 17),
        (".debug_fake_nobits", SHT_NOBITS, 999),
    ];

    #[test]
    fn debug_sections_are_summed_for_every_layout_and_chunking() {
        for wide in [true, false] {
            for little in [true, false] {
                for strtab_last in [false, true] {
                    let f = elf(wide, little, SECTIONS, strtab_last);
                    for chunk in [1, 3, 63, 64, 65, 512, 4096, f.len()] {
                        assert_eq!(
                            sniff(&f, chunk),
                            Some(1274),
                            "wide {wide} little {little} strtab_last {strtab_last} chunk {chunk}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn stripped_files_have_zero_and_other_files_none() {
        let f = elf(true, true, &[(".text", 1, 100), (".comment", 1, 9)], false);
        assert_eq!(sniff(&f, 4096), Some(0));
        assert_eq!(sniff(b"#!/bin/sh\necho hi\n", 4096), None);
        assert_eq!(sniff(b"\x7fEL", 4096), None);
        assert_eq!(sniff(b"", 4096), None);
    }

    #[test]
    fn hostile_headers_are_refused_not_trusted() {
        let good = elf(true, true, SECTIONS, false);
        // Table offset past the end of the file.
        let mut f = good.clone();
        f[0x28..0x30].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(sniff(&f, 512), None);
        // A string-table index beyond the table.
        let mut f = good.clone();
        f[0x3E..0x40].copy_from_slice(&500u16.to_le_bytes());
        assert_eq!(sniff(&f, 512), None);
        // Truncated: the file ends before its table.
        let cut = &good[..good.len() - 10];
        let mut s = ElfSniffer::default();
        s.reset(cut.len() as u64);
        s.feed(cut);
        assert_eq!(s.debug_bytes(), None);
        // Random bytes behind a valid magic (the samples' fake binaries).
        let mut f = b"\x7fELF\x02\x01\x01\x00".to_vec();
        f.extend((0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        assert_eq!(sniff(&f, 700), None);
    }

    #[test]
    fn a_reused_sniffer_forgets_the_previous_file() {
        let mut s = ElfSniffer::default();
        let f = elf(true, true, SECTIONS, false);
        s.reset(f.len() as u64);
        s.feed(&f);
        assert_eq!(s.debug_bytes(), Some(1274));
        s.reset(5);
        s.feed(b"hello");
        assert_eq!(s.debug_bytes(), None);
    }
}

//! Text for terminal cells: hostile names made harmless, and strings fitted
//! to a width counted in cells (a CJK character or an emoji takes two, a
//! combining mark none), never in chars or bytes.

use unicode_width::UnicodeWidthChar;

use crate::index::layer::EntryKind;

/// Bytes as one safe line: invalid UTF-8 and control characters escaped (as
/// everywhere in ballast), and also the invisible format characters that
/// reorder or hide text (bidi overrides, zero-width joiners), which a
/// terminal would otherwise obey.
pub fn clean(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    crate::index::path::push_escaped(&mut s, bytes);
    if s.chars().any(is_invisible_format) {
        s = s
            .chars()
            .map(|c| {
                if is_invisible_format(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect();
    }
    s
}

/// [`clean`] for text that is already a string (instructions, messages).
pub fn clean_str(s: &str) -> String {
    clean(s.as_bytes())
}

fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Cells the string takes.
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Cuts `s` to at most `max` cells keeping both ends, since paths and
/// commands carry their meaning at the start and the end.
pub fn fit_middle(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let head_budget = (max - 1) / 2;
    let tail_budget = max - 1 - head_budget;
    let mut head = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w > head_budget {
            break;
        }
        used += w;
        head.push(c);
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let w = char_width(c);
        if used + w > tail_budget {
            break;
        }
        used += w;
        tail.push(c);
    }
    head.push('…');
    head.extend(tail.into_iter().rev());
    head
}

/// Cuts `s` to at most `max` cells, marking the cut with `…`.
pub fn fit_end(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// `ls -l` style type and permission bits, e.g. `drwxr-xr-x`.
pub fn mode_string(kind: EntryKind, mode: u32) -> String {
    let t = match kind {
        EntryKind::Dir => 'd',
        EntryKind::Symlink => 'l',
        EntryKind::Hardlink => 'h',
        EntryKind::Other => '?',
        EntryKind::File | EntryKind::Whiteout | EntryKind::Opaque => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(t);
    for (shift, special, special_char) in [(6, 0o4000, 's'), (3, 0o2000, 's'), (0, 0o1000, 't')] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        let exec = bits & 1 != 0;
        s.push(match (mode & special != 0, exec) {
            (true, true) => special_char,
            (true, false) => special_char.to_ascii_uppercase(),
            (false, true) => 'x',
            (false, false) => '-',
        });
    }
    s
}

/// A byte count for people, e.g. `360.3 kB` (the same units as the text
/// report and dive).
pub fn human(bytes: u64) -> String {
    crate::present::text::human(bytes)
}

/// `part` as a percentage of `whole`, one decimal.
pub fn percent(part: u64, whole: u64) -> String {
    crate::present::text::percent(part, whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn middle_cut_counts_cells_not_chars() {
        assert_eq!(fit_middle("abcdefghij", 5), "ab…ij");
        assert_eq!(fit_middle("abc", 5), "abc");
        assert_eq!(fit_middle("abc", 0), "");
        assert_eq!(fit_middle("abcdef", 1), "…");
        // Each CJK character is two cells wide.
        let cut = fit_middle("漢字漢字漢字", 7);
        assert!(width(&cut) <= 7, "{cut}");
        assert!(cut.starts_with('漢') && cut.contains('…'));
    }

    #[test]
    fn end_cut_fits() {
        assert_eq!(fit_end("abcdef", 4), "abc…");
        assert_eq!(fit_end("ab", 4), "ab");
        assert_eq!(fit_end("abcdef", 0), "");
        assert!(width(&fit_end("😀😀😀", 4)) <= 4);
    }

    #[test]
    fn hostile_names_are_escaped() {
        assert_eq!(clean(b"caf\xe9"), "caf\\xe9");
        assert_eq!(clean(b"a\nb"), "a\\nb");
        let rlo = clean("evil\u{202E}txt.exe".as_bytes());
        assert!(!rlo.contains('\u{202E}'), "{rlo}");
        assert!(rlo.contains("\\u{202e}"), "{rlo}");
    }

    #[test]
    fn modes_read_like_ls() {
        assert_eq!(mode_string(EntryKind::Dir, 0o755), "drwxr-xr-x");
        assert_eq!(mode_string(EntryKind::File, 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_string(EntryKind::File, 0o1644), "-rw-r--r-T");
        assert_eq!(mode_string(EntryKind::Symlink, 0o777), "lrwxrwxrwx");
    }
}

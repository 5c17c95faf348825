//! The small wording leaf: byte counts, percentages and shortened text as
//! a person reads them. Messages built by the analysis (findings, budget
//! checks) and every printer use these, so one figure reads the same
//! everywhere. Nothing here knows about reports or terminals.

use bytesize::ByteSize;

/// `1.5 MB`: SI units, as dive and `docker images` print sizes.
pub fn human(bytes: u64) -> String {
    ByteSize::b(bytes).display().si().to_string()
}

/// `43.6 %` of `whole`; `0 %` of nothing.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0 %".into();
    }
    format!("{:.1} %", part as f64 * 100.0 / whole as f64)
}

/// Cuts `s` to `width` characters, keeping both ends (paths and commands
/// carry their meaning at the start and the end).
pub fn ellipsize_middle(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_string();
    }
    if width <= 1 {
        return "…".chars().take(width).collect();
    }
    let head = (width - 1) / 2;
    let tail = width - 1 - head;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

/// `s` with control characters (newlines included) made spaces.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_shares_read_as_people_write_them() {
        assert_eq!(human(1_500_000), "1.5 MB");
        assert_eq!(percent(1, 4), "25.0 %");
        assert_eq!(percent(1, 0), "0 %");
        assert_eq!(ellipsize_middle("abcdefghij", 5), "ab…ij");
        assert_eq!(ellipsize_middle("abc", 5), "abc");
        assert_eq!(one_line("a\nb\tc"), "a b c");
    }
}

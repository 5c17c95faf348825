//! Path normalization: every tar name becomes a root-relative path with no
//! `.`/`..`/empty components, so `./etc/x`, `/etc/x` and `etc//x` are one file
//! and `../../x` cannot point outside the image.

/// What normalizing a name had to repair, for the layer's warnings.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Repairs {
    pub absolute: bool,
    pub escaped_root: bool,
}

/// Appends the normalized form of `raw` to `out` and returns what was fixed.
/// An empty result means the image root itself.
pub fn normalize_into(raw: &[u8], out: &mut Vec<u8>) -> Repairs {
    let start = out.len();
    let mut repairs = Repairs {
        absolute: raw.first() == Some(&b'/'),
        escaped_root: false,
    };
    for comp in raw.split(|&b| b == b'/') {
        match comp {
            b"" | b"." => {}
            b".." => {
                if out.len() == start {
                    repairs.escaped_root = true;
                } else {
                    let cut = out[start..]
                        .iter()
                        .rposition(|&b| b == b'/')
                        .map_or(start, |p| start + p);
                    out.truncate(cut);
                }
            }
            _ => {
                if out.len() > start {
                    out.push(b'/');
                }
                out.extend_from_slice(comp);
            }
        }
    }
    repairs
}

/// Splits a normalized path into (parent, basename).
pub fn split_parent(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (&[], path),
    }
}

/// Displays a path for people: leading `/`, non-UTF-8 bytes as `\xNN`.
pub fn display(path: &[u8]) -> String {
    let mut s = String::with_capacity(path.len() + 1);
    s.push('/');
    push_escaped(&mut s, path);
    s
}

/// Appends bytes as text, escaping invalid UTF-8 and control characters so a
/// hostile name cannot break a line of output or move the cursor.
pub fn push_escaped(s: &mut String, bytes: &[u8]) {
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                s.extend(c.escape_default());
            } else {
                s.push(c);
            }
        }
        for b in chunk.invalid() {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &str) -> (String, Repairs) {
        let mut out = Vec::new();
        let r = normalize_into(raw.as_bytes(), &mut out);
        (String::from_utf8(out).unwrap(), r)
    }

    #[test]
    fn strips_dot_slash_and_leading_slash() {
        assert_eq!(norm("./etc/passwd").0, "etc/passwd");
        assert_eq!(norm("etc//passwd/").0, "etc/passwd");
        let (p, r) = norm("/etc/x");
        assert_eq!(p, "etc/x");
        assert!(r.absolute);
        assert_eq!(norm("./").0, "");
    }

    #[test]
    fn dot_dot_cannot_escape_the_root() {
        let (p, r) = norm("../../outside");
        assert_eq!(p, "outside");
        assert!(r.escaped_root);
        assert_eq!(norm("a/b/../c").0, "a/c");
        assert_eq!(norm("a/../../c").0, "c");
    }

    #[test]
    fn normalizes_after_existing_bytes() {
        let mut out = b"prev".to_vec();
        normalize_into(b"x/../y", &mut out);
        assert_eq!(out, b"prevy");
    }

    #[test]
    fn display_escapes_bad_bytes_and_controls() {
        assert_eq!(display(b"caf\xe9"), "/caf\\xe9");
        assert_eq!(display(b"a\nb"), "/a\\nb");
        assert_eq!(split_parent(b"a/b/c"), (&b"a/b"[..], &b"c"[..]));
        assert_eq!(split_parent(b"c"), (&b""[..], &b"c"[..]));
    }
}

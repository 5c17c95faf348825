//! PAX extended records and GNU sparse maps, read by the rules of Go's
//! `archive/tar` (the reader Docker and containerd unpack layers with), so a
//! layer names exactly the files a container gets.
//!
//! Go refuses the whole entry (and so the runtime refuses the layer) on any
//! malformed record; these functions return the reason instead of guessing.

/// The records of one PAX header that change what an entry is. A record
/// given twice keeps its last value, as Go's map does; an empty value counts
/// as absent wherever Go checks for `""`.
#[derive(Debug, Default)]
pub(crate) struct PaxRecords {
    pub path: Option<Vec<u8>>,
    pub link: Option<Vec<u8>>,
    pub size: Option<Vec<u8>>,
    pub uid: Option<Vec<u8>>,
    pub gid: Option<Vec<u8>>,
    /// mtime, atime, ctime: only checked, as Go fails on a malformed one.
    pub times: [Option<Vec<u8>>; 3],
    pub sparse_major: Option<Vec<u8>>,
    pub sparse_minor: Option<Vec<u8>>,
    pub sparse_name: Option<Vec<u8>>,
    pub sparse_size: Option<Vec<u8>>,
    pub sparse_realsize: Option<Vec<u8>>,
    pub sparse_numblocks: Option<Vec<u8>>,
    pub sparse_map: Option<Vec<u8>>,
}

/// `Some` only when the value is non-empty.
pub(crate) fn present(v: Option<&[u8]>) -> Option<&[u8]> {
    v.filter(|v| !v.is_empty())
}

/// Go's `strconv.ParseInt(s, 10, 64)`: optional sign, decimal digits only.
pub(crate) fn parse_int(s: &[u8]) -> Option<i64> {
    std::str::from_utf8(s).ok()?.parse::<i64>().ok()
}

/// Go's `parsePAXTime` accepts `[-]SECONDS[.DIGITS]`.
fn valid_pax_time(s: &[u8]) -> bool {
    let (secs, frac) = match s.iter().position(|&b| b == b'.') {
        Some(dot) => (&s[..dot], &s[dot + 1..]),
        None => (s, &b""[..]),
    };
    parse_int(secs).is_some() && frac.iter().all(u8::is_ascii_digit)
}

/// Parses the records of a PAX header (`LEN KEY=VALUE\n` each) as Go's
/// `parsePAX` does; any malformed record fails the whole header.
pub(crate) fn parse_pax(data: &[u8]) -> Result<PaxRecords, &'static str> {
    let mut out = PaxRecords::default();
    let mut pairs: Vec<&[u8]> = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let (key, value, residual) = parse_record(rest)?;
        rest = residual;
        match key {
            b"GNU.sparse.offset" | b"GNU.sparse.numbytes" => {
                let want_offset = pairs.len().is_multiple_of(2);
                if want_offset != (key == b"GNU.sparse.offset") || value.contains(&b',') {
                    return Err("GNU sparse offset/numbytes records out of order");
                }
                pairs.push(value);
            }
            _ => {
                let v = Some(value.to_vec());
                match key {
                    b"path" => out.path = v,
                    b"linkpath" => out.link = v,
                    b"size" => out.size = v,
                    b"uid" => out.uid = v,
                    b"gid" => out.gid = v,
                    b"mtime" => out.times[0] = v,
                    b"atime" => out.times[1] = v,
                    b"ctime" => out.times[2] = v,
                    b"GNU.sparse.major" => out.sparse_major = v,
                    b"GNU.sparse.minor" => out.sparse_minor = v,
                    b"GNU.sparse.name" => out.sparse_name = v,
                    b"GNU.sparse.size" => out.sparse_size = v,
                    b"GNU.sparse.realsize" => out.sparse_realsize = v,
                    b"GNU.sparse.numblocks" => out.sparse_numblocks = v,
                    b"GNU.sparse.map" => out.sparse_map = v,
                    _ => {}
                }
            }
        }
    }
    if !pairs.is_empty() {
        out.sparse_map = Some(pairs.join(&b","[..]));
    }
    Ok(out)
}

/// Go's `parsePAXRecord`.
/// (key, value, the records after this one).
type Record<'a> = (&'a [u8], &'a [u8], &'a [u8]);

fn parse_record(s: &[u8]) -> Result<Record<'_>, &'static str> {
    const BAD: &str = "malformed PAX record";
    let space = s.iter().position(|&b| b == b' ').ok_or(BAD)?;
    let (n_str, rest) = (&s[..space], &s[space + 1..]);
    let n = parse_int(n_str).ok_or(BAD)?;
    if n < 5 || n > i64::try_from(s.len()).unwrap_or(i64::MAX) {
        return Err(BAD);
    }
    let n = usize::try_from(n).map_err(|_| BAD)? - (n_str.len() + 1);
    if n == 0 {
        return Err(BAD);
    }
    let (rec, nl, rem) = (&rest[..n - 1], rest[n - 1], &rest[n..]);
    if nl != b'\n' {
        return Err(BAD);
    }
    let eq = rec.iter().position(|&b| b == b'=').ok_or(BAD)?;
    let (k, v) = (&rec[..eq], &rec[eq + 1..]);
    let valid = !k.is_empty()
        && match k {
            b"path" | b"linkpath" | b"uname" | b"gname" => !v.contains(&0),
            _ => !k.contains(&0),
        };
    if !valid {
        return Err("PAX record holds a NUL byte or an empty key");
    }
    Ok((k, v, rem))
}

/// Checks the records Go's `mergePAX` parses (ids, size, times).
pub(crate) fn check_merge(p: &PaxRecords) -> Result<(), &'static str> {
    for v in [&p.uid, &p.gid, &p.size] {
        if present(v.as_deref()).is_some_and(|v| parse_int(v).is_none()) {
            return Err("PAX uid, gid or size is not a decimal number");
        }
    }
    if p.times
        .iter()
        .any(|t| present(t.as_deref()).is_some_and(|t| !valid_pax_time(t)))
    {
        return Err("PAX time is malformed");
    }
    Ok(())
}

/// Which PAX sparse format the records announce (Go's
/// `readGNUSparsePAXHeaders`): `None` when the entry is not sparse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PaxSparse {
    /// 0.0 and 0.1: the map is in the records.
    InRecords,
    /// 1.0: the map opens the entry's data.
    InData,
}

pub(crate) fn pax_sparse_kind(p: &PaxRecords) -> Option<PaxSparse> {
    let major = present(p.sparse_major.as_deref()).unwrap_or(b"");
    let minor = present(p.sparse_minor.as_deref()).unwrap_or(b"");
    match (major, minor) {
        (b"0", b"0" | b"1") => Some(PaxSparse::InRecords),
        (b"1", b"0") => Some(PaxSparse::InData),
        _ if !major.is_empty() || !minor.is_empty() => None,
        _ if present(p.sparse_map.as_deref()).is_some() => Some(PaxSparse::InRecords),
        _ => None,
    }
}

/// Go's `readGNUSparseMap0x1`: data fragments as (offset, length).
pub(crate) fn sparse_map_0x1(p: &PaxRecords) -> Result<Vec<(i64, i64)>, &'static str> {
    const BAD: &str = "malformed GNU sparse map";
    let n = parse_int(p.sparse_numblocks.as_deref().unwrap_or(b"")).ok_or(BAD)?;
    if n < 0 {
        return Err(BAD);
    }
    let map = p.sparse_map.as_deref().unwrap_or(b"");
    let fields: Vec<&[u8]> = if map.is_empty() {
        Vec::new()
    } else {
        map.split(|&b| b == b',').collect()
    };
    if i64::try_from(fields.len()).ok() != n.checked_mul(2) {
        return Err(BAD);
    }
    fields
        .chunks_exact(2)
        .map(|pair| {
            Ok((
                parse_int(pair[0]).ok_or(BAD)?,
                parse_int(pair[1]).ok_or(BAD)?,
            ))
        })
        .collect()
}

/// Go's `readGNUSparseMap1x0` over the map text at the start of the data:
/// the fragments, or `None` if more blocks are needed.
pub(crate) fn sparse_map_1x0(text: &[u8]) -> Option<Result<Vec<(i64, i64)>, &'static str>> {
    const BAD: &str = "malformed GNU sparse 1.0 map";
    let newlines = text.iter().filter(|&&b| b == b'\n').count();
    if newlines < 1 {
        return None;
    }
    let mut tokens = text.split(|&b| b == b'\n');
    let n = match tokens.next().and_then(parse_int) {
        Some(n) if n >= 0 => n,
        _ => return Some(Err(BAD)),
    };
    let want = usize::try_from(n).ok().and_then(|n| n.checked_mul(2));
    let Some(want) = want else {
        return Some(Err(BAD));
    };
    if newlines < want + 1 {
        return None;
    }
    let mut out = Vec::with_capacity(want / 2);
    for _ in 0..want / 2 {
        let off = tokens.next().and_then(parse_int);
        let len = tokens.next().and_then(parse_int);
        match (off, len) {
            (Some(o), Some(l)) => out.push((o, l)),
            _ => return Some(Err(BAD)),
        }
    }
    Some(Ok(out))
}

/// Go's `validateSparseEntries`, then the non-empty data fragments.
pub(crate) fn validate_sparse(
    map: &[(i64, i64)],
    size: i64,
) -> Result<Vec<(u64, u64)>, &'static str> {
    const BAD: &str = "GNU sparse map is out of order or past the file's end";
    if size < 0 {
        return Err(BAD);
    }
    let mut pre_end = 0i64;
    for &(off, len) in map {
        if off < 0 || len < 0 || off > i64::MAX - len || off + len > size || pre_end > off {
            return Err(BAD);
        }
        pre_end = off + len;
    }
    Ok(map
        .iter()
        .filter(|&&(_, len)| len > 0)
        .map(|&(o, l)| (o.cast_unsigned(), l.cast_unsigned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(k: &str, v: &str) -> String {
        let body = format!("{k}={v}\n");
        let mut n = body.len() + 2;
        if (n.to_string().len() + 1 + body.len()) != n {
            n += 1;
        }
        format!("{n} {body}")
    }

    #[test]
    fn records_follow_go() {
        let p = parse_pax(rec("path", "a/b").as_bytes()).unwrap();
        assert_eq!(p.path.as_deref(), Some(&b"a/b"[..]));
        assert!(parse_pax(b"5 a=\n").is_ok());
        assert!(parse_pax(b"4 a\n").is_err());
        assert!(parse_pax(b"11 path=a\0b\n").is_err(), "NUL in path");
        assert!(parse_pax(b"9 path=ab").is_err(), "no newline");
        assert!(parse_pax(b"99 path=ab\n").is_err(), "length past the end");
        assert!(parse_pax(b"8 =abcd\n").is_err(), "empty key");
        assert!(parse_pax(b"x path=a\n").is_err());
    }

    #[test]
    fn sparse_pairs_become_a_map() {
        let text = rec("GNU.sparse.numblocks", "1")
            + &rec("GNU.sparse.offset", "5")
            + &rec("GNU.sparse.numbytes", "3");
        let p = parse_pax(text.as_bytes()).unwrap();
        assert_eq!(pax_sparse_kind(&p), Some(PaxSparse::InRecords));
        assert_eq!(sparse_map_0x1(&p).unwrap(), vec![(5, 3)]);
        let bad = rec("GNU.sparse.numbytes", "3");
        assert!(parse_pax(bad.as_bytes()).is_err());
    }

    #[test]
    fn sparse_1x0_map_needs_all_lines() {
        assert!(sparse_map_1x0(b"2\n0\n").is_none());
        assert_eq!(
            sparse_map_1x0(b"1\n0\n4\n\0\0").unwrap().unwrap(),
            vec![(0, 4)]
        );
        assert!(sparse_map_1x0(b"x\n").unwrap().is_err());
        assert!(validate_sparse(&[(4, 4), (0, 1)], 10).is_err());
        assert!(validate_sparse(&[(8, 4)], 10).is_err());
    }
}

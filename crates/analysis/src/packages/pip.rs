//! pip's installation records: `NAME-VERSION.dist-info/RECORD` (a CSV whose
//! first column is each installed path, relative to the site-packages
//! directory holding the dist-info) and the older
//! `NAME-VERSION-pyX.Y.egg-info/installed-files.txt` (one path a line,
//! relative to the egg-info directory itself).

use super::{Manager, RawPackage, join_relative};
use ballast_image::index::path::split_parent;

/// Reads one captured metadata file; `path` is its root-relative path.
pub fn read(path: &[u8], content: &[u8]) -> Option<RawPackage> {
    let (dir, base) = split_parent(path);
    let (site, info_dir) = split_parent(dir);
    let (name, version, base_dir, paths) = if base == b"RECORD" {
        let stem = info_dir.strip_suffix(b".dist-info")?;
        let (name, version) = split_name_version(stem);
        (name, version, site, record_paths(content))
    } else {
        let stem = info_dir.strip_suffix(b".egg-info")?;
        let (name, version) = split_name_version(stem);
        let version = match version.find("-py") {
            Some(i) => version[..i].to_string(),
            None => version,
        };
        let lines = content
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
        (name, version, dir, lines)
    };
    let files = paths.iter().map(|p| join_relative(base_dir, p)).collect();
    Some(RawPackage {
        manager: Manager::Pip,
        name,
        version,
        location: site.to_vec(),
        files,
    })
}

/// `nvidia_cublas_cu12-12.1.3.1` → (`nvidia-cublas-cu12`, `12.1.3.1`).
/// Directory names escape `-` in the project name as `_`, so the first `-`
/// ends the name; the name is shown with `-` again, as users type it.
fn split_name_version(stem: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(stem);
    let (name, version) = text.split_once('-').unwrap_or((&text, ""));
    (name.replace('_', "-"), version.to_string())
}

/// The first field of every row of a RECORD file (RFC 4180 CSV: a field may
/// be quoted, with `""` for a quote inside it).
pub fn record_paths(content: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < content.len() {
        // Nearly every row is `path,hash,size` with no quote anywhere: take
        // the path as one slice instead of byte by byte.
        let line_end = content[i..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(content.len(), |n| i + n);
        let line = &content[i..line_end];
        if !line.contains(&b'"') {
            let first = line.split(|&b| b == b',').next().unwrap_or(line);
            let first = first.strip_suffix(b"\r").unwrap_or(first);
            if !first.is_empty() {
                out.push(first.to_vec());
            }
            i = line_end + 1;
            continue;
        }
        let mut field = Vec::new();
        if content[i] == b'"' {
            i += 1;
            while i < content.len() {
                match content[i] {
                    b'"' if content.get(i + 1) == Some(&b'"') => {
                        field.push(b'"');
                        i += 2;
                    }
                    b'"' => {
                        i += 1;
                        break;
                    }
                    b => {
                        field.push(b);
                        i += 1;
                    }
                }
            }
        }
        // Unquoted remainder of the first field, then skip to the next row,
        // honoring quotes in the later fields.
        let mut quoted = false;
        let mut in_first = true;
        while i < content.len() {
            let b = content[i];
            i += 1;
            match b {
                b'"' => quoted = !quoted,
                b',' if !quoted => in_first = false,
                b'\n' if !quoted => break,
                _ if in_first && !quoted => field.push(b),
                _ => {}
            }
        }
        if field.last() == Some(&b'\r') {
            field.pop();
        }
        if !field.is_empty() {
            out.push(field);
        }
    }
    out
}

/// PEP 503 normalized project name: lower case, runs of `-`, `_` and `.`
/// made one `-`. `MarkupSafe` and `markupsafe` are one project.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_rows_give_their_first_field() {
        let rec = b"numpy/__init__.py,sha256=abc,392\r\n\"odd,name\"\"q.py\",sha256=x,1\n../../../bin/f2py,sha256=y,221\nnumpy-1.26.4.dist-info/RECORD,,\n\n";
        assert_eq!(
            record_paths(rec),
            vec![
                b"numpy/__init__.py".to_vec(),
                b"odd,name\"q.py".to_vec(),
                b"../../../bin/f2py".to_vec(),
                b"numpy-1.26.4.dist-info/RECORD".to_vec(),
            ]
        );
    }

    #[test]
    fn dist_info_paths_are_relative_to_site_packages() {
        let p = read(
            b"opt/venv/lib/python3.11/site-packages/numpy-1.26.4.dist-info/RECORD",
            b"numpy/core/x.so,sha256=a,10\n../../../bin/f2py,sha256=b,2\n/etc/abs.cfg,,\n",
        )
        .unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("numpy", "1.26.4"));
        assert_eq!(p.location, b"opt/venv/lib/python3.11/site-packages");
        assert_eq!(
            p.files,
            vec![
                b"opt/venv/lib/python3.11/site-packages/numpy/core/x.so".to_vec(),
                b"opt/venv/bin/f2py".to_vec(),
                b"etc/abs.cfg".to_vec(),
            ]
        );
    }

    #[test]
    fn egg_info_paths_are_relative_to_the_egg_info_dir() {
        let p = read(
            b"usr/lib/python3/site-packages/six-1.16.0-py3.11.egg-info/installed-files.txt",
            b"../six.py\n../__pycache__/six.cpython-311.pyc\nPKG-INFO\n",
        )
        .unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("six", "1.16.0"));
        assert_eq!(p.location, b"usr/lib/python3/site-packages");
        assert_eq!(p.files[0], b"usr/lib/python3/site-packages/six.py");
        assert_eq!(
            p.files[2],
            b"usr/lib/python3/site-packages/six-1.16.0-py3.11.egg-info/PKG-INFO"
        );
    }

    #[test]
    fn escaped_names_are_shown_as_typed() {
        let p = read(
            b"site-packages/nvidia_cublas_cu12-12.1.3.1.dist-info/RECORD",
            b"",
        )
        .unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("nvidia-cublas-cu12", "12.1.3.1")
        );
    }

    #[test]
    fn names_normalize_per_pep_503() {
        assert_eq!(normalize("MarkupSafe"), "markupsafe");
        assert_eq!(normalize("nvidia_cublas-cu12"), "nvidia-cublas-cu12");
        assert_eq!(normalize("zope..interface"), "zope-interface");
    }
}

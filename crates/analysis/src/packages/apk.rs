//! apk's database, `/lib/apk/db/installed`: one stanza per package, `P:`
//! name, `V:` version, then `F:` a directory (relative to the root) followed
//! by `R:` the files in it.

use super::{Manager, RawPackage};

pub fn read(content: &[u8]) -> Vec<RawPackage> {
    let mut out = Vec::new();
    for stanza in content
        .split(|&b| b == b'\n')
        .collect::<Vec<_>>()
        .split(|l| l.is_empty())
    {
        let mut p = RawPackage {
            manager: Manager::Apk,
            name: String::new(),
            version: String::new(),
            location: Vec::new(),
            files: Vec::new(),
        };
        let mut dir: &[u8] = b"";
        for line in stanza {
            let (Some(&key), Some(b':')) = (line.first(), line.get(1)) else {
                continue;
            };
            let value = &line[2..];
            match key {
                b'P' => p.name = String::from_utf8_lossy(value).into_owned(),
                b'V' => p.version = String::from_utf8_lossy(value).into_owned(),
                b'F' => dir = value,
                b'R' => p.files.push(super::join_relative(dir, value)),
                _ => {}
            }
        }
        if !p.name.is_empty() {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas_give_packages_with_their_files() {
        let db = b"C:Q1abc=\nP:musl\nV:1.2.4-r2\nF:lib\nR:ld-musl-x86_64.so.1\nZ:Q1x=\nR:libc.musl-x86_64.so.1\n\nP:busybox\nV:1.36.1-r5\nF:bin\nR:busybox\nF:etc\nR:securetty\n";
        let pk = read(db);
        assert_eq!(pk.len(), 2);
        assert_eq!(
            (pk[0].name.as_str(), pk[0].version.as_str()),
            ("musl", "1.2.4-r2")
        );
        assert_eq!(
            pk[0].files,
            vec![
                b"lib/ld-musl-x86_64.so.1".to_vec(),
                b"lib/libc.musl-x86_64.so.1".to_vec()
            ]
        );
        assert_eq!(
            pk[1].files,
            vec![b"bin/busybox".to_vec(), b"etc/securetty".to_vec()]
        );
    }
}

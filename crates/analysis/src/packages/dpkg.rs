//! dpkg's database: `/var/lib/dpkg/status` (one stanza per package: name,
//! status, version, architecture) and `/var/lib/dpkg/info/NAME[:ARCH].list`
//! (every path the package installed, absolute, directories included).

use std::collections::HashMap;

use super::{Manager, RawPackage};
use ballast_image::index::path::normalize_into;

/// Versions of installed packages from the status file, by `name` and by
/// `name:arch`.
#[derive(Debug, Default)]
pub struct Status {
    versions: HashMap<String, String>,
}

impl Status {
    pub fn parse(content: &[u8]) -> Status {
        let text = String::from_utf8_lossy(content);
        let mut versions = HashMap::new();
        for stanza in text.split("\n\n") {
            let (mut name, mut version, mut arch, mut installed) = ("", "", "", false);
            for line in stanza.lines() {
                if line.starts_with([' ', '\t']) {
                    continue; // a continuation line
                }
                let Some((key, value)) = line.split_once(':') else {
                    continue;
                };
                let value = value.trim();
                match key {
                    "Package" => name = value,
                    "Version" => version = value,
                    "Architecture" => arch = value,
                    "Status" => installed = value.ends_with(" installed"),
                    _ => {}
                }
            }
            if name.is_empty() || !installed {
                continue;
            }
            versions.insert(name.to_string(), version.to_string());
            if !arch.is_empty() {
                versions.insert(format!("{name}:{arch}"), version.to_string());
            }
        }
        Status { versions }
    }
}

/// One `.list` file: the package is named by the file name.
pub fn read_list(list_name: &[u8], content: &[u8], status: &Status) -> RawPackage {
    let stem =
        String::from_utf8_lossy(list_name.strip_suffix(b".list").unwrap_or(list_name)).into_owned();
    let version = status.versions.get(&stem).cloned().unwrap_or_default();
    let name = stem
        .split_once(':')
        .map_or(stem.as_str(), |(n, _)| n)
        .to_string();
    let mut files = Vec::new();
    for line in content.split(|&b| b == b'\n') {
        let mut p = Vec::new();
        normalize_into(line, &mut p);
        if !p.is_empty() {
            files.push(p);
        }
    }
    RawPackage {
        manager: Manager::Dpkg,
        name,
        version,
        location: Vec::new(),
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_list_make_a_package() {
        let status = Status::parse(
            b"Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9\nDescription: x\n more\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n",
        );
        let p = read_list(b"libc6:amd64.list", b"/.\n/lib\n/lib/x.so\n", &status);
        assert_eq!((p.name.as_str(), p.version.as_str()), ("libc6", "2.36-9"));
        assert_eq!(p.files, vec![b"lib".to_vec(), b"lib/x.so".to_vec()]);
        assert_eq!(read_list(b"gone.list", b"", &status).version, "");
    }
}

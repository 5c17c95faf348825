//! conda's package records: `PREFIX/conda-meta/NAME-VERSION-BUILD.json`,
//! whose `files` lists every installed path relative to the environment's
//! prefix (newer records also carry them in `paths_data.paths[]._path`).

use serde::Deserialize;

use super::{Manager, RawPackage, join_relative};
use ballast_image::index::path::split_parent;

#[derive(Deserialize)]
struct Record {
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    files: Vec<String>,
    #[serde(default)]
    paths_data: Option<PathsData>,
}

#[derive(Deserialize)]
struct PathsData {
    #[serde(default)]
    paths: Vec<PathEntry>,
}

#[derive(Deserialize)]
struct PathEntry {
    #[serde(rename = "_path")]
    path: String,
}

/// Reads one `conda-meta/*.json`; `None` when it is not a package record
/// (conda also keeps `history` and other files there).
pub fn read(path: &[u8], content: &[u8]) -> Option<RawPackage> {
    let rec: Record = serde_json::from_slice(content).ok()?;
    if rec.name.is_empty() {
        return None;
    }
    let (meta_dir, _) = split_parent(path);
    let (prefix, _) = split_parent(meta_dir);
    let mut paths = rec.files;
    if paths.is_empty()
        && let Some(pd) = rec.paths_data
    {
        paths = pd.paths.into_iter().map(|p| p.path).collect();
    }
    Some(RawPackage {
        manager: Manager::Conda,
        name: rec.name,
        version: rec.version,
        location: prefix.to_vec(),
        files: paths
            .iter()
            .map(|p| join_relative(prefix, p.as_bytes()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_relative_to_the_prefix() {
        let p = read(
            b"opt/conda/conda-meta/numpy-1.26.4-py311h64a7726_0.json",
            br#"{"name":"numpy","version":"1.26.4","build":"py311","files":["lib/python3.11/site-packages/numpy/__init__.py","bin/f2py"]}"#,
        )
        .unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("numpy", "1.26.4"));
        assert_eq!(p.location, b"opt/conda");
        assert_eq!(p.files[1], b"opt/conda/bin/f2py");
    }

    #[test]
    fn paths_data_is_the_fallback_and_junk_is_ignored() {
        let p = read(
            b"opt/conda/envs/x/conda-meta/zlib-1.3-0.json",
            br#"{"name":"zlib","version":"1.3","paths_data":{"paths":[{"_path":"lib/libz.so.1"}]}}"#,
        )
        .unwrap();
        assert_eq!(p.files, vec![b"opt/conda/envs/x/lib/libz.so.1".to_vec()]);
        assert!(read(b"opt/conda/conda-meta/x.json", b"not json").is_none());
        assert!(read(b"opt/conda/conda-meta/x.json", b"{}").is_none());
    }
}

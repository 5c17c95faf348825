//! The one result every presenter reads. Plain data: raw byte counts, no
//! terminal or formatting types. Field names are the `--json` contract
//! (`schema_version` 1); documented field by field in `docs/report.schema.json`.

use serde::{Serialize, Serializer};

/// A path as bytes. In JSON: a string when it is UTF-8 (with a leading `/`),
/// otherwise `{"bytes": "<base64 of the raw path>"}`, so no name is lost.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PathBytes(pub Vec<u8>);

impl PathBytes {
    /// From a normalized (root-relative) path.
    pub fn from_relative(p: &[u8]) -> Self {
        let mut v = Vec::with_capacity(p.len() + 1);
        v.push(b'/');
        v.extend_from_slice(p);
        PathBytes(v)
    }
    pub fn display(&self) -> String {
        let mut s = String::new();
        ballast_image::index::path::push_escaped(&mut s, &self.0);
        s
    }
}

impl Serialize for PathBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("bytes", &base64(&self.0))?;
                m.end()
            }
        }
    }
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// 2: `reclaimable_bytes` leaves out payload and the base image's waste;
/// one `duplicate-content` finding per content group (with `keep`);
/// `image.base`, `steps[].inherited`, `filters` and the findings'
/// `reclaimable`, `keep` and `packages` are new.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub image: ImageInfo,
    pub layers: Vec<LayerInfo>,
    pub steps: Vec<StepInfo>,
    pub largest_directories: Vec<DirSize>,
    /// dive 0.13.1's figures, computed exactly as dive does (quirks
    /// included), so `.dive-ci` thresholds carry over. ballast's own,
    /// correct figures are in `summary` and `findings`.
    pub dive: DiveSection,
    /// Largest first.
    pub findings: Vec<crate::findings::Finding>,
    pub summary: Summary,
    pub suggestions: Vec<Suggestion>,
    /// Which package costs how much (pip, conda, dpkg, apk), and what no
    /// package owns.
    pub packages: crate::packages::PackagesSection,
    /// Budget checks from flags, `ballast.toml` and `.dive-ci`; empty
    /// `checks` (and `passed: true`) when none were set.
    pub budget: crate::budget::BudgetVerdict,
    /// What `--min-bytes`, `--ignore` and `--only-own` did.
    pub filters: crate::refine::Filters,
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Sum of every finding's bytes (a byte named by two findings counts
    /// twice here; see `reclaimable_bytes`).
    pub wasted_bytes: u64,
    /// Bytes the findings' fixes would remove, each byte counted once;
    /// payload (model weights) and the base image's own waste excluded.
    pub reclaimable_bytes: u64,
    pub by_category: std::collections::BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Suggestion {
    pub step_index: usize,
    pub instruction: String,
    pub fixes: Vec<String>,
    /// What this step's fixes save, each byte once.
    pub bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct DiveSection {
    pub efficiency: f64,
    pub wasted_bytes: u64,
    /// `wasted_bytes` over the bytes of every layer but the first; `null`
    /// for a one-layer image (dive prints NaN there).
    pub user_wasted_percent: Option<f64>,
    pub inefficient_files: Vec<InefficientFileInfo>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InefficientFileInfo {
    pub path: PathBytes,
    pub count: u32,
    pub wasted_bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ImageInfo {
    pub source: String,
    pub format: String,
    pub repo_tags: Vec<String>,
    pub os: String,
    pub architecture: String,
    /// Sum of every layer's `size_bytes` (what dive calls the image size).
    pub size_bytes: u64,
    /// Content bytes of the regular files in the final tree.
    pub final_size_bytes: u64,
    /// Sum of the layer blobs as stored in the archive.
    pub compressed_size_bytes: u64,
    /// Every layer was hashed as it was read and matched its digest or
    /// diff_id (registry, Docker and Podman always; archives with
    /// `--verify`).
    pub digests_checked: bool,
    pub layer_count: usize,
    /// Non-directory paths in the final tree.
    pub file_count: u64,
    /// The base image's layers, when it could be told apart; `null`
    /// otherwise.
    pub base: Option<crate::base::BaseInfo>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LayerInfo {
    pub index: usize,
    pub digest: Option<String>,
    pub diff_id: Option<String>,
    pub media_type: String,
    pub compressed_size_bytes: u64,
    /// Length of the uncompressed tar stream.
    pub tar_size_bytes: u64,
    /// Sum of the content sizes of the regular files this layer carries.
    pub size_bytes: u64,
    /// Entries in the layer that are not directories or whiteout markers.
    pub file_count: u64,
    pub added: u64,
    pub modified: u64,
    pub metadata_only: u64,
    pub removed: u64,
    pub step_index: usize,
    /// What the layer changed, path by path: only with `--json-files`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<FileChange>>,
}

/// One path a layer added, changed or removed.
#[derive(Clone, Debug, Serialize)]
pub struct FileChange {
    pub path: PathBytes,
    pub change: ballast_image::index::tree::Change,
    /// `null` for removals and for directories a layer implies without
    /// listing them.
    pub kind: Option<ballast_image::index::layer::EntryKind>,
    pub size_bytes: u64,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepInfo {
    pub index: usize,
    pub created_by: String,
    pub instruction: String,
    pub empty_layer: bool,
    pub layer_index: Option<usize>,
    /// The layer's `size_bytes`; 0 for empty steps.
    pub size_bytes: u64,
    /// A step of the base image, not of this build.
    pub inherited: bool,
    /// The Dockerfile instruction that made the step: only with a
    /// Dockerfile (`--dockerfile`, or one found that matches), and never
    /// for the base image's steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<DockerfileLine>,
}

/// Where in the Dockerfile a step comes from (1-based lines).
#[derive(Clone, Debug, Serialize)]
pub struct DockerfileLine {
    pub path: String,
    pub line: usize,
    pub end_line: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct DirSize {
    pub path: PathBytes,
    pub size_bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(raw.as_bytes()), enc);
        }
    }

    #[test]
    fn non_utf8_paths_serialize_losslessly() {
        let ok = serde_json::to_string(&PathBytes::from_relative(b"etc/caf\xc3\xa9")).unwrap();
        assert_eq!(ok, "\"/etc/caf\u{e9}\"");
        let raw = serde_json::to_string(&PathBytes::from_relative(b"caf\xe9")).unwrap();
        assert_eq!(raw, r#"{"bytes":"L2NhZuk="}"#);
    }
}
